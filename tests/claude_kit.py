# tests/claude_kit.py: Claude Code hook events shaped as documented, run through `gatekeeper hook claude`.
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from helpers import REPO_ROOT, GitRepo, gk, pact_repo

#: Every stdout the adapter printed in this process, for the "never allow" checks.
PRINTED: list[str] = []


def event(repo: GitRepo | Path, name: str = "PreToolUse", tool: str | None = None,
          tool_input: dict[str, Any] | None = None, *, agent_type: str | None = None,
          **extra: Any) -> dict[str, Any]:
    """A hook event with the documented common fields (and the tool and subagent fields)."""
    root = repo.path if isinstance(repo, GitRepo) else repo
    ev: dict[str, Any] = {
        "session_id": "3f1c2a9e-5b7d-4e2a-9c1f-0a8b7c6d5e4f",
        "transcript_path": str(root.parent / "transcript.jsonl"),
        "cwd": str(root), "permission_mode": "default", "hook_event_name": name,
    }
    if tool is not None:
        ev.update(tool_name=tool, tool_input=tool_input or {}, tool_use_id="toolu_01ABCdef")
    if agent_type is not None:
        ev.update(agent_id="a1b2c3d4e5", agent_type=agent_type)
    ev.update(extra)
    return ev


def run_hook(cwd: Path, payload: dict[str, Any] | str, *, command: str | None = None,
             env: dict[str, str] | None = None) -> tuple[dict[str, Any] | None, str]:
    """Run the adapter (the CLI, or an installed ``command`` through sh) on one event.

    Returns (the parsed JSON answer or None when it printed nothing, stderr). It must
    always exit 0 and never print "allow".
    """
    data = payload if isinstance(payload, str) else json.dumps(payload)
    if command is None:
        proc = gk(cwd, "hook", "claude", input=data, env=env)
    else:
        full = {**os.environ, **(env or {})}
        full["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + full.get("PYTHONPATH", "")
        proc = subprocess.run(["sh", "-c", command], cwd=cwd, input=data, text=True,
                              capture_output=True, env=full)
    PRINTED.append(proc.stdout)
    assert proc.returncode == 0, proc.stderr
    assert '"allow"' not in proc.stdout
    out = proc.stdout.strip()
    return (json.loads(out) if out else None), proc.stderr


def decision(answer: dict[str, Any] | None) -> str | None:
    """The permissionDecision of a PreToolUse answer (None: no decision)."""
    if answer is None:
        return None
    got = answer.get("hookSpecificOutput", {}).get("permissionDecision")
    return None if got is None else str(got)


def reason(answer: dict[str, Any] | None) -> str:
    """The permissionDecisionReason ('' if none)."""
    assert answer is not None
    return str(answer["hookSpecificOutput"].get("permissionDecisionReason", ""))


def write_event(repo: GitRepo, rel: str, content: str, *, agent_type: str | None = None,
                ) -> dict[str, Any]:
    """A Write of ``rel`` (absolute file_path, as Claude Code sends it)."""
    return event(repo, tool="Write", tool_input={"file_path": str(repo.path / rel),
                                                 "content": content}, agent_type=agent_type)


def inbox_notes(repo: GitRepo) -> list[dict[str, Any]]:
    """The open notes, through the real CLI."""
    proc = repo.gk("escalations", "--format", "json", "list")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    return list(data["escalations"] if isinstance(data, dict) else data)


def two_feature_repo(path: Path) -> GitRepo:
    """auth (src/auth/**, 100 lines) in CODE with its architecture approved; billing
    (src/billing/**) in ARCHITECT with none; committed through the real CLI."""
    repo = pact_repo(path)
    repo.orchestrate("feature", "add", "billing", "--paths", "src/billing/**", "--estimate", "50")
    repo.orchestrate("phase", "billing", "prepare")
    repo.orchestrate("phase", "billing", "architect")
    repo.commit_ledger("billing to architect")
    return repo
