# gatekeeper/adapters/claude_install.py: `install --claude` and `uninstall --claude` (.claude/settings.json).
"""Merges the gatekeeper's hook entries into the project's ``.claude/settings.json``,
keeping every other setting and hook. Idempotent: our entries are recognised by their
command (``gatekeeper hook claude``), replaced on reinstall and removed on uninstall.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from gatekeeper import fsutil, git
from gatekeeper.errors import ConfigError, GatekeeperError

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any

SETTINGS = ".claude/settings.json"
MARK = "gatekeeper hook claude"
#: Event -> matcher (None: the event takes no matcher).
EVENTS: dict[str, str | None] = {
    "PreToolUse": "Write|Edit|MultiEdit|NotebookEdit|Bash",
    "SessionStart": None,
    "UserPromptSubmit": None,
    "SubagentStop": None,
}
TIMEOUT = 30


def command(event: str = "PreToolUse") -> str:
    """The hook command: this Python running the gatekeeper (like the git hooks).

    For PreToolUse, a gatekeeper that cannot even start (moved virtualenv, broken install)
    exits 2, which Claude Code treats as a block: a write is never let through unjudged.
    """
    cmd = f"{shlex.quote(sys.executable)} -m {MARK}"
    if event != "PreToolUse":
        return cmd
    return (f"{cmd} || {{ echo 'pact-gatekeeper could not run; the tool call is blocked "
            "(fail closed)' >&2; exit 2; }")


def _path(repo: git.Repo) -> Path:
    if repo.top is None:
        raise GatekeeperError("install --claude needs a working tree")
    return repo.top / SETTINGS


def _load(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{SETTINGS}:{exc.lineno}", f"invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ConfigError(SETTINGS, "the settings are not a JSON object")
    hooks = data.get("hooks", {})
    if not isinstance(hooks, dict):
        raise ConfigError(SETTINGS, "'hooks' is not an object")
    return data


def _ours(entry: Any) -> bool:
    return isinstance(entry, dict) and MARK in str(entry.get("command", ""))


def _strip(data: dict[str, Any]) -> int:
    """Remove our hook commands (and groups left empty); return how many were removed."""
    removed = 0
    hooks = data.get("hooks")
    if not isinstance(hooks, dict):
        return 0
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        kept_groups = []
        for group in groups:
            if isinstance(group, dict) and isinstance(group.get("hooks"), list):
                before = len(group["hooks"])
                group["hooks"] = [h for h in group["hooks"] if not _ours(h)]
                removed += before - len(group["hooks"])
                if not group["hooks"] and before:
                    continue
            kept_groups.append(group)
        if kept_groups:
            hooks[event] = kept_groups
        else:
            del hooks[event]
    if not hooks:
        del data["hooks"]
    return removed


def _save(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fsutil.atomic_write(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode())


def install(repo: git.Repo) -> str:
    """Merge our entries into ``.claude/settings.json`` (idempotent)."""
    path = _path(repo)
    data = _load(path)
    _strip(data)
    hooks = data.setdefault("hooks", {})
    for event, matcher in EVENTS.items():
        entry = {"type": "command", "command": command(event), "timeout": TIMEOUT}
        group: dict[str, Any] = {"hooks": [entry]}
        if matcher is not None:
            group = {"matcher": matcher, **group}
        hooks.setdefault(event, []).append(group)
    _save(path, data)
    return (f"merged the gatekeeper's Claude Code hooks into {path} "
            f"({', '.join(EVENTS)}); other settings kept. Also run `gatekeeper install` for "
            "the git hooks, the backstop for anything done outside Claude Code's tools.")


def uninstall(repo: git.Repo) -> str:
    """Remove our entries from ``.claude/settings.json``, keeping everything else."""
    path = _path(repo)
    if not path.exists():
        return f"{path} does not exist; nothing to remove"
    data = _load(path)
    removed = _strip(data)
    _save(path, data)
    return f"removed {removed} gatekeeper hook(s) from {path}; other settings kept"
