# tests/test_guard.py: `gatekeeper guard`: one proposed file change judged for any agent harness.
from __future__ import annotations

import json
from pathlib import Path

import pytest
from claude_kit import two_feature_repo
from helpers import GitRepo, findings


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return two_feature_repo(tmp_path / "repo")


def _content(tmp_path: Path, text: str) -> str:
    f = tmp_path / "proposed.txt"
    f.write_text(text)
    return str(f)


def test_guard_blocks_a_migration_by_the_backend_and_writes_the_note(repo: GitRepo,
                                                                    tmp_path: Path) -> None:
    f = _content(tmp_path, "ALTER TABLE users ADD email text;\n")
    proc = repo.gk("guard", "--agent", "backend-coder", "migrations/0002.sql",
                   "--content-file", f, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["schema"] == "pact-gatekeeper/report@1" and report["verdict"] == "block"
    [hit] = findings(report, "domain-boundary")
    assert hit["paths"] == ["migrations/0002.sql"] and hit["agent"] == "backend-coder"
    assert hit["commit"] == "proposed"
    assert len(report["escalations"]) == 1
    assert not (repo.path / "migrations/0002.sql").exists()
    proc = repo.gk("guard", "--agent", "pact-database-engineer", "migrations/0002.sql",
                   "--content-file", f)
    assert proc.returncode == 0 and "passed" in proc.stdout


def test_guard_reads_stdin_and_text_output_names_rule_and_fix(repo: GitRepo) -> None:
    proc = repo.gk("guard", "--agent", "backend-coder", "src/auth/keys.py", "--content-file", "-",
                   "--no-notes", input='# keys\nKEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"\n')
    assert proc.returncode == 1
    assert "BLOCK hardcoded-secret [HALT SECURITY]" in proc.stdout and "fix:" in proc.stdout
    assert "escalation" not in proc.stdout.split("BLOCKED")[-1]  # --no-notes


def test_guard_judges_the_file_on_disk_without_content(repo: GitRepo) -> None:
    repo.write({"src/billing/x.py": "# x\nx = 1\n"})
    proc = repo.gk("guard", "--agent", "backend-coder", "src/billing/x.py", "--no-notes")
    assert proc.returncode == 1 and "BLOCK phase-gate" in proc.stdout
    assert "gatekeeper approve billing" in proc.stdout


def test_guard_judges_a_deletion(repo: GitRepo) -> None:
    repo.commit("m", agent="database-engineer", files={"migrations/0001.sql": "CREATE TABLE t();\n"})
    proc = repo.gk("guard", "--agent", "backend-coder", "migrations/0001.sql", "--delete",
                   "--no-notes")
    assert proc.returncode == 1 and "domain-boundary" in proc.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--agent", "backend-coder", "/etc/hostname-nope"], "outside the repository"),
    (["--agent", "backend-coder", "src/none.py"], "does not exist; give --content-file"),
    (["--agent", "backend-coder", "a.py", "--content-file", "/nonexistent"], "--content-file"),
    (["--agent", "backend-coder", ".git/hooks/commit-msg", "--content-file", "-"],
     "inside the git directory"),
    (["src/a.py"], "--agent"),
])
def test_guard_usage_errors_exit_2(repo: GitRepo, args: list[str], message: str) -> None:
    proc = repo.gk("guard", *args, input="x\n")
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
