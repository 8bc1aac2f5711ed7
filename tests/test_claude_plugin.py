# tests/test_claude_plugin.py: the Claude Code plugin manifest in this repository and its hooks file.
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from claude_kit import decision, two_feature_repo, write_event
from helpers import REPO_ROOT


def _plugin() -> tuple[dict[str, object], dict[str, object]]:
    manifest = json.loads((REPO_ROOT / ".claude-plugin/plugin.json").read_text())
    hooks_file = REPO_ROOT / str(manifest["hooks"])
    return manifest, json.loads(hooks_file.read_text())


def test_manifest_names_its_hooks_file_and_the_marketplace_lists_it() -> None:
    manifest, hooks = _plugin()
    assert manifest["name"] == "pact-gatekeeper" and manifest["version"]
    events = hooks["hooks"]
    assert isinstance(events, dict)
    assert set(events) == {"PreToolUse", "SessionStart", "UserPromptSubmit", "SubagentStop"}
    assert events["PreToolUse"][0]["matcher"] == "Write|Edit|MultiEdit|NotebookEdit|Bash"
    market = json.loads((REPO_ROOT / ".claude-plugin/marketplace.json").read_text())
    assert [p["name"] for p in market["plugins"]] == ["pact-gatekeeper"]


def _run(command: str, cwd: Path, payload: str, path: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path,
           "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(["sh", "-c", command], cwd=cwd, input=payload, text=True,
                          capture_output=True, env=env)


def test_plugin_pretooluse_command_denies_and_fails_closed(tmp_path: Path) -> None:
    _manifest, hooks = _plugin()
    command = hooks["hooks"]["PreToolUse"][0]["hooks"][0]["command"]  # type: ignore[index]
    repo = two_feature_repo(tmp_path / "repo")
    payload = json.dumps(write_event(repo, "migrations/1.sql", "ALTER TABLE t ADD c int;\n",
                                     agent_type="pact-backend-coder"))
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "gatekeeper").write_text(f"#!/bin/sh\nexec {sys.executable} -m gatekeeper \"$@\"\n")
    (shim / "gatekeeper").chmod(0o755)
    base = os.environ["PATH"]
    proc = _run(command, repo.path, payload, f"{shim}{os.pathsep}{base}")
    assert proc.returncode == 0, proc.stderr
    assert decision(json.loads(proc.stdout)) == "deny"
    # gatekeeper missing from PATH: exit 2, which Claude Code treats as a block
    proc = _run(command, repo.path, payload, "/usr/bin:/bin")
    assert proc.returncode == 2 and "blocked" in proc.stderr
