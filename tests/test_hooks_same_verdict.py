# tests/test_hooks_same_verdict.py: one violation, one verdict: check --staged, the client hooks, pre-receive.
"""The same change gets the same rule id and the same message wherever it is judged:
``gatekeeper check --staged``, the pre-commit and commit-msg hooks on a real ``git commit``,
``check --commit`` in CI, the client's pre-push hook and the server's pre-receive on a
real push.
"""

from __future__ import annotations

from pathlib import Path

from helpers import findings
from server_helpers import make_server, push, team_repo

MIGRATION: dict[str, str | bytes] = {
    "migrations/0002_add_email.sql": "-- add email\nALTER TABLE users ADD email;\n"}
MESSAGE = "add email column\n\nPACT-Agent: backend-coder\n"


def test_one_violation_same_rule_everywhere(tmp_path: Path) -> None:
    repo = team_repo(tmp_path / "team")
    make_server(repo, tmp_path / "srv.git")
    assert repo.gk("install").returncode == 0
    repo.stage(MIGRATION)

    # 1. check --staged with the message's trailer
    code, report = repo.check_staged("add email column", "backend-coder")
    assert code == 1
    blocking = [f for f in findings(report) if f["action"] == "block"]
    assert [f["rule"] for f in blocking] == ["domain-boundary"]
    message = blocking[0]["message"]
    assert "migrations/0002_add_email.sql" in message

    # 2. the pre-commit stage hook, for an agent that exports PACT_AGENT
    proc = repo.gk("hook", "pre-commit", env={"PACT_AGENT": "backend-coder"})
    assert proc.returncode == 1
    assert "BLOCK domain-boundary" in proc.stderr and message in proc.stderr

    # 3. a real `git commit` through the installed commit-msg hook
    proc = repo.git("commit", "-q", "-m", MESSAGE, check=False)
    assert proc.returncode == 1
    assert "BLOCK domain-boundary" in proc.stderr and message in proc.stderr
    assert repo.git("diff", "--cached", "--name-only").stdout.strip() == next(iter(MIGRATION))

    # 4. committed past the client hooks: CI's check --commit and the server agree
    repo.git("commit", "-q", "--no-verify", "-m", MESSAGE)
    proc = repo.gk("check", "--commit", "HEAD", "--no-notes")
    assert proc.returncode == 1 and "BLOCK domain-boundary" in proc.stdout
    assert message in proc.stdout
    proc = push(repo, "origin", "HEAD:main", user="bob")  # the client's pre-push hook
    assert proc.returncode == 1 and "remote:" not in proc.stderr
    assert "BLOCK domain-boundary" in proc.stderr and message in proc.stderr
    proc = push(repo, "--no-verify", "origin", "HEAD:main", user="bob")  # the server's hook
    assert proc.returncode == 1
    remote = " ".join(ln[len("remote: "):].strip() for ln in proc.stderr.splitlines()
                      if ln.startswith("remote: "))
    assert "BLOCK domain-boundary" in remote and message in remote
    assert "phase-gate" not in remote and "scope-budget" not in remote


def test_pre_commit_stage_without_an_agent_is_quiet_about_the_trailer(tmp_path: Path) -> None:
    """Before the message exists, a missing PACT-Agent is not news; real blocks still are."""
    repo = team_repo(tmp_path / "team")
    repo.stage({"src/auth/login.py": "# login\nok = True\n"})
    proc = repo.gk("hook", "pre-commit")
    assert proc.returncode == 0 and "agent-identity" not in proc.stderr, proc.stderr
    repo.stage({"src/billing/early.py": "# early\nok = True\n"})
    proc = repo.gk("hook", "pre-commit")
    assert proc.returncode == 1 and "BLOCK phase-gate" in proc.stderr
