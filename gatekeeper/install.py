# gatekeeper/install.py: `gatekeeper install`: client hooks, or the server's pre-receive hook.
"""Installing hooks. Never overwrites a hook it did not write (recognised by a marker line);
an existing server hook is chained, or ours goes into ``pre-receive.d/``."""

from __future__ import annotations

import shlex
import stat
import sys
from pathlib import Path

from gatekeeper import git
from gatekeeper.errors import GatekeeperError

MARKER = "# pact-gatekeeper managed hook"


def _hook_script(stage: str, chained: bool = False) -> str:
    py = shlex.quote(sys.executable)
    if stage == "pre-receive":
        body = f"""input=$(cat)
printf '%s\\n' "$input" | {py} -m gatekeeper hook pre-receive || exit $?
if [ -x "$0.chained" ]; then
    printf '%s\\n' "$input" | "$0.chained" "$@" || exit $?
fi
""" if chained else f"exec {py} -m gatekeeper hook pre-receive\n"
    elif stage == "pre-push":
        body = f'exec {py} -m gatekeeper hook pre-push "$@"\n'
    else:
        body = f'exec {py} -m gatekeeper hook {stage} "$@"\n'
    return f"#!/bin/sh\n{MARKER} ({stage}); reinstall with `gatekeeper install`\n{body}"


def _write_hook(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def install_client(repo: git.Repo) -> str:
    """Install commit-msg and pre-push hooks; never overwrite a hook we did not write."""
    out = []
    for stage in ("commit-msg", "pre-push"):
        rel = git.run(["rev-parse", "--git-path", f"hooks/{stage}"], repo.cwd).decode().strip()
        path = (repo.cwd / rel) if not Path(rel).is_absolute() else Path(rel)
        if path.exists() and not _ours(path):
            raise GatekeeperError(
                f"{path} exists and was not written by pact-gatekeeper; refusing to overwrite "
                "it. Use the pre-commit framework to run several hooks, or remove it.")
        _write_hook(path, _hook_script(stage))
        out.append(f"installed {path}")
    return "\n".join(out)


def install_server(bare: Path) -> str:
    """Install the pre-receive hook in a bare repository, keeping any existing hook."""
    repo = git.discover(bare)
    hooks = Path(git.run(["rev-parse", "--git-path", "hooks"], repo.cwd).decode().strip())
    if not hooks.is_absolute():
        hooks = repo.cwd / hooks
    hook_d = hooks / "pre-receive.d"
    if hook_d.is_dir():
        # GitLab / Gitea style: each file in pre-receive.d runs; we add ours beside the others.
        target = hook_d / "pact-gatekeeper"
        if target.exists() and not _ours(target):
            raise GatekeeperError(f"{target} exists and was not written by pact-gatekeeper")
        _write_hook(target, _hook_script("pre-receive"))
        return f"installed {target} (pre-receive.d style)"
    target = hooks / "pre-receive"
    chained = hooks / "pre-receive.chained"
    if target.exists() and not _ours(target):
        if chained.exists():
            raise GatekeeperError(f"{target} exists and {chained} too; refusing to overwrite "
                                  "either. Chain them by hand.")
        target.rename(chained)
        _write_hook(target, _hook_script("pre-receive", chained=True))
        return f"installed {target}; the existing hook now runs after it as {chained}"
    _write_hook(target, _hook_script("pre-receive", chained=chained.exists()))
    return f"installed {target}"
