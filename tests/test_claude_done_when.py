# tests/test_claude_done_when.py: issue 11's "done when", through the hook install --claude writes.
"""In a PACT repository after ``gatekeeper install`` and ``gatekeeper install --claude``,
the command written into ``.claude/settings.json`` is run with events shaped as Claude Code
sends them. Denied writes never reach the disk and leave their note in the inbox; the
passes print nothing; a plain ``git commit`` gains its true trailer and then really
commits through the commit-msg hook; the orchestrator's next prompt carries the HALT.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from claude_kit import decision, event, inbox_notes, reason, run_hook, two_feature_repo, write_event
from helpers import GitRepo

SECRET = 'STRIPE_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"\n'


def _installed(tmp_path: Path) -> tuple[GitRepo, dict[str, str]]:
    repo = two_feature_repo(tmp_path / "repo")
    assert repo.gk("install").returncode == 0
    proc = repo.gk("install", "--claude")
    assert proc.returncode == 0, proc.stderr
    settings = json.loads((repo.path / ".claude/settings.json").read_text())
    commands = {ev: groups[0]["hooks"][0]["command"] for ev, groups in settings["hooks"].items()}
    assert set(commands) == {"PreToolUse", "SessionStart", "UserPromptSubmit", "SubagentStop"}
    assert "Write" in settings["hooks"]["PreToolUse"][0]["matcher"]
    assert "Bash" in settings["hooks"]["PreToolUse"][0]["matcher"]
    return repo, commands


def _run(repo: GitRepo, commands: dict[str, str], ev: dict[str, Any]) -> dict[str, Any] | None:
    answer, _err = run_hook(repo.path, ev, command=commands[ev["hook_event_name"]])
    return answer


def test_done_when(tmp_path: Path) -> None:
    repo, commands = _installed(tmp_path)

    # 1. A backend subagent's Write of a migration: denied, file absent, note in the inbox.
    mig = "migrations/0002_add_email.sql"
    answer = _run(repo, commands, write_event(repo, mig, "ALTER TABLE users ADD email text;\n",
                                              agent_type="pact-backend-coder"))
    assert decision(answer) == "deny"
    why = reason(answer)
    assert "domain-boundary" in why and mig in why and "database-engineer" in why
    assert "escalation note: E-" in why
    assert not (repo.path / mig).exists()

    # 2. Code before its architecture is approved (billing is in ARCHITECT): denied.
    code = "src/billing/invoice.py"
    answer = _run(repo, commands, write_event(repo, code, "# invoice\ntotal = 0\n",
                                              agent_type="pact-backend-coder"))
    assert decision(answer) == "deny"
    why = reason(answer)
    assert "phase-gate" in why and "billing" in why
    assert "gatekeeper approve billing docs/architecture/billing.md" in why  # the fix
    assert not (repo.path / code).exists()

    # 2b. The database engineer's migration and a clean edit pass: no output at all.
    assert _run(repo, commands, write_event(repo, mig, "ALTER TABLE users ADD email text;\n",
                                            agent_type="pact-database-engineer")) is None
    repo.commit("login", agent="backend-coder",
                files={"src/auth/login.py": "# login\ndef login():\n    return True\n"})
    before = (repo.path / "src/auth/login.py").read_text()
    clean = event(repo, tool="Edit", agent_type="pact-backend-coder", tool_input={
        "file_path": str(repo.path / "src/auth/login.py"), "old_string": "    return True\n",
        "new_string": "    # checked\n    return True\n", "replace_all": False})
    assert _run(repo, commands, clean) is None

    # 3. A plain git commit gains its true trailer, and the commit-msg hook passes it.
    (repo.path / "src/auth/login.py").write_text(before + "# reviewed\n")
    repo.git("add", "src/auth/login.py")
    before = (repo.path / "src/auth/login.py").read_text()
    bash = event(repo, tool="Bash", agent_type="pact-backend-coder",
                 tool_input={"command": "git commit -m 'auth: review note'",
                             "description": "Commit the change"})
    answer = _run(repo, commands, bash)
    assert answer is not None and decision(answer) is None
    updated = answer["hookSpecificOutput"]["updatedInput"]
    assert updated["description"] == "Commit the change"
    assert updated["command"] == ("git commit --trailer 'PACT-Agent: backend-coder' "
                                  "-m 'auth: review note'")
    proc = subprocess.run(["sh", "-c", updated["command"]], cwd=repo.path, text=True,
                          capture_output=True)
    assert proc.returncode == 0, proc.stderr  # through the installed commit-msg hook
    assert "agent-identity" not in proc.stderr
    trailers = repo.git("log", "-1", "--format=%(trailers:key=PACT-Agent,valueonly)").stdout
    assert trailers.strip() == "backend-coder"

    # 4. An edit that adds a secret: denied before the file changes.
    before = (repo.path / "src/auth/login.py").read_text()
    edit = event(repo, tool="Edit", agent_type="pact-backend-coder", tool_input={
        "file_path": str(repo.path / "src/auth/login.py"), "old_string": "    return True\n",
        "new_string": "    " + SECRET + "    return True\n", "replace_all": False})
    answer = _run(repo, commands, edit)
    assert decision(answer) == "deny"
    why = reason(answer)
    assert "hardcoded-secret" in why and "HALT" in why and "src/auth/login.py" in why
    assert (repo.path / "src/auth/login.py").read_text() == before

    notes = inbox_notes(repo)
    rules = sorted(n["rule"] for n in notes)
    assert rules == ["domain-boundary", "hardcoded-secret", "phase-gate"], notes
    assert {n["agent"] for n in notes} == {"backend-coder"}

    # The HALT freezes the feature, here as in a commit: the next clean edit waits too.
    answer = _run(repo, commands, clean)
    assert decision(answer) == "deny" and "halt-freeze" in reason(answer)

    # 5. The orchestrator's next prompt carries the open HALT, first.
    answer = _run(repo, commands, event(repo, "UserPromptSubmit", prompt="what next?"))
    assert answer is not None
    out = answer["hookSpecificOutput"]
    assert out["hookEventName"] == "UserPromptSubmit"
    lines = out["additionalContext"].splitlines()
    assert "3 open escalation(s), 1 HALT" in lines[0]
    halt = next(n for n in notes if n["rule"] == "hardcoded-secret")
    assert halt["level"] == "HALT"
    assert lines[1].startswith(f"- {halt['id']} HALT SECURITY hardcoded-secret")
    assert "Action:" in lines[1]

    # ... and once the human has decided, the prompt no longer carries it.
    for n in notes:
        assert repo.gk("escalations", "resolve", n["id"], "--outcome", "resolved",
                       "--note", "key rotated and removed; delegated properly").returncode == 0
    assert _run(repo, commands, event(repo, "UserPromptSubmit", prompt="go on")) is None
    assert _run(repo, commands, clean) is None  # the freeze is lifted


def test_uninstall_claude_keeps_other_settings(tmp_path: Path) -> None:
    repo = two_feature_repo(tmp_path / "repo")
    settings = repo.path / ".claude/settings.json"
    settings.parent.mkdir()
    mine: dict[str, Any] = {"permissions": {"allow": ["Bash(npm test)"]},
            "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [
                {"type": "command", "command": "./scripts/audit.sh"}]}]}}
    settings.write_text(json.dumps(mine))
    assert repo.gk("install", "--claude").returncode == 0
    once = settings.read_text()
    assert repo.gk("install", "--claude").returncode == 0
    assert settings.read_text() == once  # idempotent
    data = json.loads(once)
    assert data["permissions"] == mine["permissions"]
    pre = data["hooks"]["PreToolUse"]
    assert pre[0] == mine["hooks"]["PreToolUse"][0] and len(pre) == 2
    assert repo.gk("uninstall", "--claude").returncode == 0
    assert json.loads(settings.read_text()) == mine


def test_install_claude_bad_settings_is_a_clear_error(tmp_path: Path) -> None:
    repo = two_feature_repo(tmp_path / "repo")
    settings = repo.path / ".claude/settings.json"
    settings.parent.mkdir()
    settings.write_text('{\n  "hooks": {,\n}\n')
    proc = repo.gk("install", "--claude")
    assert proc.returncode == 2
    assert ".claude/settings.json:2" in proc.stderr and "Traceback" not in proc.stderr
