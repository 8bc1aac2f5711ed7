# tests/test_claude_bash.py: PreToolUse for Bash: true trailers, spoofed roles, hook bypasses, shell writes.
"""Bash commands as Claude Code hands them to the hook, judged in a real repository.
The trailer the adapter adds is then really committed through the installed commit-msg
hook. Attack cases per class: spoofed identity, hook bypass, governed files written
through the shell; and the look-alikes that must still pass.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from claude_kit import decision, event, reason, run_hook, two_feature_repo
from helpers import GitRepo


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = two_feature_repo(tmp_path / "repo")
    assert r.gk("install").returncode == 0
    r.commit("schema", agent="database-engineer",
             files={"migrations/0001_init.sql": "CREATE TABLE users (id int);\n"})
    return r


def _bash(repo: GitRepo, command: str, agent: str | None = "pact-backend-coder",
          ) -> tuple[dict[str, object] | None, str]:
    ev = event(repo, tool="Bash", agent_type=agent,
               tool_input={"command": command, "description": "run it", "timeout": 120000})
    return run_hook(repo.path, ev)


def _updated(answer: dict[str, object] | None) -> str:
    assert answer is not None and decision(answer) is None  # never a permission decision
    out = answer["hookSpecificOutput"]
    assert isinstance(out, dict)
    assert out["updatedInput"]["description"] == "run it"  # the rest of the input is kept
    return str(out["updatedInput"]["command"])


# ------------------------------------------------------------------ the true trailer


def test_compound_commit_gains_the_trailer_and_commits(repo: GitRepo) -> None:
    repo.write({"src/auth/a.py": "# a\na = 1\n"})
    cmd = _updated(_bash(repo, 'git add -A && git commit -q -m "auth: a"')[0])
    assert cmd == "git add -A && git commit --trailer 'PACT-Agent: backend-coder' -q -m \"auth: a\""
    proc = subprocess.run(["sh", "-c", cmd], cwd=repo.path, text=True, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    body = repo.git("log", "-1", "--format=%B").stdout
    assert body.strip().endswith("PACT-Agent: backend-coder")


def test_main_thread_commits_as_the_orchestrator(repo: GitRepo) -> None:
    assert "'PACT-Agent: orchestrator'" in _updated(_bash(repo, "git commit -m x", agent=None)[0])


def test_a_matching_claim_is_left_alone(repo: GitRepo) -> None:
    answer, _ = _bash(repo, "git commit -m x --trailer 'PACT-Agent: pact-backend-coder'")
    assert answer is None


# ------------------------------------------------------------------ attack: spoofed identity


@pytest.mark.parametrize("command", [
    "git commit -m x --trailer 'PACT-Agent: database-engineer'",
    "git commit -m x --trailer=pact-agent=database-engineer",
    'git commit -m "add email\n\nPACT-Agent: database-engineer"',
    "PACT_AGENT=database-engineer git commit -m x",
    "export PACT_AGENT=database-engineer; git commit -m x",
    "git commit -F msg.txt",
])
def test_claiming_another_role_is_denied(repo: GitRepo, command: str) -> None:
    (repo.path / "msg.txt").write_text("add email\n\nPACT-Agent: database-engineer\n")
    answer, _ = _bash(repo, command)
    assert decision(answer) == "deny"
    why = reason(answer)
    assert "agent-identity [HALT SECURITY]" in why
    assert "'database-engineer'" in why and "'backend-coder'" in why
    assert "escalation note: E-" in why


# ------------------------------------------------------------------ attack: hook bypass


@pytest.mark.parametrize("command", [
    "git commit --no-verify -m x",
    "git commit -nm x",
    "git commit -a -n -m x",
    "git commit --no-verif -m x",
    "git -c core.hooksPath=/dev/null commit -m x",
    "git -c CORE.HOOKSPATH=/tmp commit -m x",
    "git config core.hooksPath .nohooks",
    "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.hooksPath GIT_CONFIG_VALUE_0=/x git commit -m x",
    "git push --no-verify origin main",
    "git merge --no-verify feature",
    "sh -c 'git commit --no-verify -m x'",
    "SKIP=pact-gatekeeper git commit -m x",
    "rm -f .git/hooks/commit-msg",
    "chmod -x .git/hooks/commit-msg",
    "echo 'exit 0' > .git/hooks/commit-msg",
    "git commit-tree HEAD^{tree} -p HEAD -m x",
])
def test_hook_bypasses_are_denied(repo: GitRepo, command: str) -> None:
    answer, _ = _bash(repo, command)
    assert decision(answer) == "deny", command
    why = reason(answer)
    assert "hook-bypass" in why
    assert "no --no-verify" in why  # the fix


@pytest.mark.parametrize("command", [
    'git commit -m "docs: why we never use --no-verify"',
    "git push -n origin main",
    "git log -n 3",
    "ls .git/hooks",
    "cat .git/hooks/commit-msg",
])
def test_bypass_look_alikes_pass(repo: GitRepo, command: str) -> None:
    answer, _ = _bash(repo, command)
    assert decision(answer) is None, reason(answer) if answer else ""


# ------------------------------------------------------------------ attack: shell writes


@pytest.mark.parametrize(("command", "rule"), [
    ("echo 'event: phase' >> .pact/ledger.yaml", "ledger-integrity"),
    ("tee -a .pact/ledger.yaml < /dev/null", "ledger-integrity"),
    ("sed -i 's/int/bigint/' migrations/0001_init.sql", "domain-boundary"),
    ("cd migrations && sed -i.bak -e 's/int/bigint/' 0001_init.sql", "domain-boundary"),
    ("cp /tmp/x.sql migrations/0002_x.sql", "domain-boundary"),
    ("cp /tmp/0002_x.sql migrations/", "domain-boundary"),
    ("perl -pi -e 's/int/bigint/' migrations/0001_init.sql", "domain-boundary"),
    ("dd if=/tmp/x of=migrations/0001_init.sql", "domain-boundary"),
    ("mv migrations/0001_init.sql old.sql", "domain-boundary"),
    ("rm migrations/0001_init.sql", "domain-boundary"),
    ("cat > src/billing/invoice.py <<'EOF'\nprint('--no-verify')\nEOF", "phase-gate"),
    ("printf 'x' 2>/dev/null 1> migrations/0003.sql", "domain-boundary"),
])
def test_governed_files_written_through_the_shell(repo: GitRepo, command: str,
                                                  rule: str) -> None:
    answer, _ = _bash(repo, command)
    assert decision(answer) == "deny", command
    assert rule in reason(answer)
    assert "hook-bypass" not in reason(answer)


def test_the_owner_may_write_through_the_shell(repo: GitRepo) -> None:
    cmd = "sed -i 's/int/bigint/' migrations/0001_init.sql"
    assert _bash(repo, cmd, agent="pact-database-engineer")[0] is None


def test_the_orchestrator_uses_the_cli_not_redirections(repo: GitRepo) -> None:
    answer, _ = _bash(repo, "echo '---' >> .pact/ledger.yaml", agent=None)
    assert decision(answer) == "deny"
    assert "ledger-integrity" in reason(answer) and "gatekeeper feature add" in reason(answer)
    assert _bash(repo, "gatekeeper phase auth test", agent=None)[0] is None


def test_harmless_commands_print_nothing(repo: GitRepo) -> None:
    for cmd in ("ls -la", "pytest -q > /dev/null 2>&1", "git status", "git diff > /tmp/x.patch",
                "echo hi >&2", "npm test 2>&1 | tee /tmp/log.txt"):
        assert _bash(repo, cmd)[0] is None, cmd


def test_bash_outside_a_repository_prints_nothing(tmp_path: Path) -> None:
    ev = event(tmp_path, tool="Bash", agent_type="pact-backend-coder",
               tool_input={"command": "git commit --no-verify -m x"})
    assert run_hook(tmp_path, ev)[0] is None


def test_claude_codes_own_heredoc_commit_style(repo: GitRepo) -> None:
    """Claude Code writes commit messages through a quoted here-document in $(...)."""
    repo.write({"src/auth/b.py": "# b\nb = 1\n"})
    repo.git("add", "src/auth/b.py")
    command = ('git commit -m "$(cat <<\'EOF\'\nauth: b\n\n'
               'Co-Authored-By: Claude <noreply@anthropic.com>\nEOF\n)"')
    cmd = _updated(_bash(repo, command)[0])
    assert cmd.startswith("git commit --trailer 'PACT-Agent: backend-coder' -m \"$(cat <<")
    proc = subprocess.run(["bash", "-c", cmd], cwd=repo.path, text=True, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    trailers = repo.git("log", "-1", "--format=%(trailers:only,unfold)").stdout
    assert "Co-Authored-By: Claude" in trailers and "PACT-Agent: backend-coder" in trailers
    spoof = command.replace("Co-Authored-By", "PACT-Agent: database-engineer\nCo-Authored-By")
    assert decision(_bash(repo, spoof)[0]) == "deny"


def test_mentioning_a_role_outside_a_commit_is_no_claim(repo: GitRepo) -> None:
    for cmd in ("git log --grep 'PACT-Agent: database-engineer'",
                "grep -r 'PACT-Agent: database-engineer' docs"):
        assert _bash(repo, cmd, agent=None)[0] is None, cmd
