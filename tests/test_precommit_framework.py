# tests/test_precommit_framework.py: .pre-commit-hooks.yaml under the REAL pre-commit tool.
"""The hooks as pre-commit users get them: a throwaway git copy of this working tree (so
uncommitted work is tested too) is the hook repository; ``pre-commit install`` puts the
stages of ``default_install_hook_types`` into a PACT repository; then real ``git commit``
and ``git push`` runs are blocked or let through. pre-commit builds the hook's virtualenv
once per session (PRE_COMMIT_HOME is session-wide, see conftest.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT, GitRepo, git
from server_helpers import code, ref_of, team_repo

HOOK_IDS = ("pact-gatekeeper", "pact-gatekeeper-pre-commit", "pact-gatekeeper-pre-push",
            "pact-gatekeeper-ci")


def _pre_commit(cwd: Path, *args: str, env: dict[str, str] | None = None,
                ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, text=True,
                          capture_output=True, env={**os.environ, **(env or {})})


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git copy of this checkout's working tree (tracked + untracked, minus ignored)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    dest = tmp_path_factory.mktemp("hook-repo")
    listed = git(REPO_ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for rel in filter(None, listed.stdout.split("\0")):
        src = REPO_ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "--no-verify", "-m", "snapshot of the working tree")
    return dest, git(dest, "rev-parse", "HEAD").stdout.strip()


def _config(hook_repo: tuple[Path, str]) -> str:
    path, rev = hook_repo
    hooks = "".join(f"      - id: {h}\n" for h in HOOK_IDS)
    return ("default_install_hook_types: [pre-commit, commit-msg, pre-push]\n"
            f"repos:\n  - repo: {path}\n    rev: {rev}\n    hooks:\n{hooks}")


@pytest.fixture(scope="session")
def hook_env(hook_repo: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory,
             ) -> tuple[Path, str]:
    """The hook repository with pre-commit's virtualenv built (once per session)."""
    warm = tmp_path_factory.mktemp("warm")
    git(warm, "init", "-q")
    (warm / ".pre-commit-config.yaml").write_text(_config(hook_repo), encoding="utf-8")
    proc = _pre_commit(warm, "install-hooks")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return hook_repo


@pytest.fixture
def user_repo(hook_env: tuple[Path, str], tmp_path: Path) -> GitRepo:
    """The team repository using the hooks through pre-commit (`pre-commit install`)."""
    repo = team_repo(tmp_path / "team")
    repo.commit("use pre-commit", agent="devops-engineer",
                files={".pre-commit-config.yaml": _config(hook_env)})
    proc = _pre_commit(repo.path, "install")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for stage in ("pre-commit", "commit-msg", "pre-push"):
        assert (repo.path / ".git" / "hooks" / stage).is_file(), stage
    return repo


def _commit(repo: GitRepo, message: str, files: dict[str, str | bytes],
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    repo.stage(files)
    return repo.git("commit", "-m", message, check=False, env=env)


def test_commit_msg_hook_blocks_a_phase_gate_and_passes_good_work(user_repo: GitRepo) -> None:
    before = user_repo.head()
    proc = _commit(user_repo, "invoice\n\nPACT-Agent: backend-coder",
                   {"src/billing/invoice.py": code(5)})
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "BLOCK phase-gate" in out and "Failed" in out
    assert user_repo.head() == before
    user_repo.git("reset", "-q", "--hard")
    user_repo.git("clean", "-qfd")
    proc = _commit(user_repo, "login\n\nPACT-Agent: backend-coder", {"src/auth/login.py": code(8)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert user_repo.head() != before
    out = proc.stdout + proc.stderr
    assert "pact-gatekeeper (PACT phase gates, domains, scope)" in out and "Passed" in out


def test_commit_msg_hook_reads_the_message_trailer(user_repo: GitRepo) -> None:
    """The trailer in the message decides the agent: database work by the database engineer
    passes, the same change claimed by the backend coder is a domain-boundary block."""
    migration: dict[str, str | bytes] = {"migrations/0001_init.sql": "-- init\nCREATE TABLE t (id int);\n"}
    proc = _commit(user_repo, "schema\n\nPACT-Agent: backend-coder", migration)
    assert proc.returncode == 1 and "BLOCK domain-boundary" in proc.stdout + proc.stderr
    proc = user_repo.git("commit", "-m", "schema\n\nPACT-Agent: database-engineer", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_pre_commit_stage_hook_uses_pact_agent(user_repo: GitRepo) -> None:
    proc = _commit(user_repo, "schema\n\nPACT-Agent: backend-coder",
                   {"migrations/0001_init.sql": "-- init\nCREATE TABLE t (id int);\n"},
                   env={"PACT_AGENT": "backend-coder"})
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1
    # The pre-commit stage failed, so the commit-msg stage never ran.
    assert "pact-gatekeeper (staged change, PACT_AGENT)" in out and "BLOCK domain-boundary" in out
    assert "pact-gatekeeper (PACT phase gates, domains, scope)" not in out


def test_pre_push_hook_under_pre_commit(user_repo: GitRepo, tmp_path: Path) -> None:
    """pre-commit gives the hook PRE_COMMIT_FROM_REF / _TO_REF, not stdin."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    user_repo.git("remote", "add", "origin", str(bare))
    proc = user_repo.git("push", "origin", "main", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "pact-gatekeeper (commits being pushed)" in proc.stdout + proc.stderr
    user_repo.commit("ok", agent="backend-coder", files={"src/auth/ok.py": code(5)})
    user_repo.commit("too early", agent="backend-coder", files={"src/billing/b.py": code(5)})
    proc = user_repo.git("push", "origin", "main", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "BLOCK phase-gate" in out and "src/billing/b.py" in out
    assert ref_of(bare, "refs/heads/main") != user_repo.head()
    # A new branch: only the commits the remote lacks (the first, good one, passes).
    proc = user_repo.git("push", "origin", "HEAD~1:refs/heads/topic", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ci_hook_manual_stage(user_repo: GitRepo) -> None:
    base = user_repo.head()
    user_repo.commit("too early", agent="backend-coder", files={"src/billing/b.py": code(5)})
    user_repo.commit("ok", agent="backend-coder", files={"src/auth/ok.py": code(5)})
    run = ("run", "--hook-stage", "manual", "pact-gatekeeper-ci")
    proc = _pre_commit(user_repo.path, *run, env={"GATEKEEPER_RANGE": f"{base}..HEAD"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "BLOCK phase-gate" in proc.stdout and "2 change(s)" in proc.stdout
    proc = _pre_commit(user_repo.path, *run, "--from-ref", "HEAD~1", "--to-ref", "HEAD",
                       env={"GATEKEEPER_RANGE": f"{base}..HEAD"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # No origin/main in this repository: the default range is an error, not a pass.
    proc = _pre_commit(user_repo.path, *run)
    assert proc.returncode != 0 and "origin/main" in proc.stdout


def test_warn_lines_show_on_a_passing_commit(user_repo: GitRepo) -> None:
    """pre-commit hides a passing hook's output unless the hook is verbose: a commit that
    passes with a warning (no PACT-Agent trailer) must still show its WARN line."""
    proc = _commit(user_repo, "login without a trailer", {"src/auth/login.py": code(8)})
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "WARN agent-identity" in out and "no PACT-Agent trailer" in out


def _readme_yaml_after(heading: str) -> str:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(heading):]
    start = section.index("```yaml\n") + len("```yaml\n")
    return section[start:section.index("```", start)]


def test_readme_local_snippet_works_as_printed(tmp_path: Path) -> None:
    """The README's `repo: local` snippet, with only the documented python path replaced by
    this interpreter's: blocks a phase-gate violation, passes good work, shows WARN lines."""
    snippet = _readme_yaml_after("### Client hooks with the pre-commit framework")
    assert "/home/you/.pact-venv/bin/python -m gatekeeper" in snippet
    assert "rev:" not in snippet and "entry: gatekeeper" not in snippet
    repo = team_repo(tmp_path / "team")
    repo.commit("use pre-commit", agent="orchestrator", files={
        ".pre-commit-config.yaml": snippet.replace("/home/you/.pact-venv/bin/python",
                                                   sys.executable)})
    proc = _pre_commit(repo.path, "install")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    env = {"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"}  # no venv on PATH
    proc = _commit(repo, "invoice\n\nPACT-Agent: backend-coder",
                   {"src/billing/invoice.py": code(5)}, env=env)
    assert proc.returncode == 1 and "BLOCK phase-gate" in proc.stdout + proc.stderr
    repo.git("reset", "-q", "--hard")
    repo.git("clean", "-qfd")
    proc = _commit(repo, "login", {"src/auth/login.py": code(8)}, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARN agent-identity" in proc.stdout + proc.stderr


def test_orchestrator_commits_workflow_configuration(tmp_path: Path) -> None:
    """The orchestrator may commit .pre-commit-config.yaml and CI files (confine_paths)."""
    repo = team_repo(tmp_path / "team")
    repo.stage({".pre-commit-config.yaml": "repos: []\n",
                ".github/workflows/pact.yml": "on: push\n", ".gitlab-ci.yml": "stages: []\n"})
    code_, report = repo.check_staged("workflow", "orchestrator")
    assert code_ == 0 and not [f for f in report["findings"] if f["rule"] == "domain-boundary"]
    repo.stage({"src/auth/x.py": "x = 1\n"})
    code_, report = repo.check_staged("workflow", "orchestrator")
    assert code_ == 1 and report["findings"][0]["paths"] == ["src/auth/x.py"]
