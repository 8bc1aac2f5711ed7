# tests/test_adoption.py: getting a project onto a hooked server: bootstrap, the adopting commit, after.
"""Issue 10 part 1, with real pushes into bare repositories that carry the pre-receive hook:

- not yet adopted (no branch carries ``.pact/``): commits are accepted with a one-line notice;
- the adopting commit (adds ``.pact/``, changes only ``.pact/`` and hook configuration) is
  accepted when its pusher is an orchestrator of the roster it introduces (trust on first
  use), or of the roster an admin pinned with ``git config gatekeeper.roster FILE``;
- afterwards a commit is judged by its parent's context, and a root commit or a commit
  whose parent has no ``.pact/`` by the default branch's (no escape through an orphan branch).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import REPO_ROOT, GitRepo, git, gk, make_repo
from server_helpers import code, inbox, push, ref_of, write_roster
from support.http_git_server import HttpGitServer, available, http_git_server


def hooked_bare(path: Path) -> Path:
    """A fresh, empty bare repository with the hook; HEAD names master (git's default),
    while the team pushes main."""
    git(path.parent, "init", "-q", "--bare", "--initial-branch=master", str(path))
    proc = gk(path, "install", "--server", str(path))
    assert proc.returncode == 0, proc.stderr
    return path


def project(path: Path) -> GitRepo:
    """A repository with a little history and no PACT yet."""
    repo = make_repo(path)
    repo.commit("app", files={"src/app.py": code(5)})
    return repo


def adopt(repo: GitRepo, *, extra: dict[str, str] | None = None) -> str:
    """``gatekeeper init`` plus the team's roster (alice orchestrator), committed alone."""
    repo.orchestrate("init")
    write_roster(repo)
    if extra:
        repo.write(extra)
        repo.git("add", "--", *extra)
    repo.git("add", "--", ".pact")
    return repo.commit("adopt PACT", agent="orchestrator")


def test_fresh_empty_server_accepts_history_then_the_adopting_commit(tmp_path: Path) -> None:
    bare = hooked_bare(tmp_path / "srv.git")
    repo = project(tmp_path / "w")
    repo.git("remote", "add", "origin", str(bare))
    proc = push(repo, "origin", "main", user="bob")
    assert proc.returncode == 0, proc.stderr
    notice = [ln for ln in proc.stderr.splitlines() if "not adopted" in ln]
    assert len(notice) == 1 and "2 commit(s) accepted" in notice[0]
    adopt(repo)
    proc = push(repo, "origin", "main", user="alice")
    assert proc.returncode == 0, proc.stderr
    assert ref_of(bare, "refs/heads/main") == repo.head()
    assert "BLOCK" not in proc.stderr
    # From now on the gate holds: bob may not touch the ledger, and a note says so.
    repo.commit("bob edits the ledger", agent="backend-coder",
                files={".pact/ledger.yaml": "# mine\n"})
    proc = push(repo, "origin", "main", user="bob")
    assert proc.returncode == 1
    assert "not adopted" not in proc.stderr
    assert inbox(bare)


def test_first_push_with_history_and_adoption_at_once(tmp_path: Path) -> None:
    """The quick start's case: the whole history and the adopting commit in one push."""
    bare = hooked_bare(tmp_path / "srv.git")
    repo = project(tmp_path / "w")
    adopt(repo)
    repo.git("remote", "add", "origin", str(bare))
    proc = push(repo, "origin", "main", user="alice")
    assert proc.returncode == 0, proc.stderr
    assert ref_of(bare, "refs/heads/main") == repo.head()


def test_existing_hooked_repository_adopts_pact(tmp_path: Path) -> None:
    """A server that has run the hook for a while (history accepted) adopts PACT later."""
    repo = project(tmp_path / "w")
    git(tmp_path, "clone", "-q", "--bare", str(repo.path), str(tmp_path / "srv.git"))
    bare = tmp_path / "srv.git"
    assert gk(bare, "install", "--server", str(bare)).returncode == 0
    repo.git("remote", "add", "origin", str(bare))
    repo.commit("more work", files={"src/more.py": code(3)})
    assert push(repo, "origin", "main", user="bob").returncode == 0
    adopt(repo)
    proc = push(repo, "origin", "main", user="alice")
    assert proc.returncode == 0, proc.stderr
    assert ref_of(bare, "refs/heads/main") == repo.head()


def test_adopting_commit_by_a_non_orchestrator_is_refused_and_the_fix_works(
        tmp_path: Path) -> None:
    bare = hooked_bare(tmp_path / "srv.git")
    repo = project(tmp_path / "w")
    repo.git("remote", "add", "origin", str(bare))
    assert push(repo, "origin", "main", user="bob").returncode == 0
    adopt(repo)
    proc = push(repo, "origin", "main", user="bob")
    assert proc.returncode == 1
    assert "ledger-integrity" in proc.stderr and "adopts PACT" in proc.stderr
    assert "'bob' is not an orchestrator" in proc.stderr and "alice" in proc.stderr
    assert "Let the orchestrator push it" in proc.stderr
    [note] = inbox(bare)
    assert note["rule"] == "ledger-integrity"
    # The fix, literally: the orchestrator pushes it.
    assert push(repo, "origin", "main", user="alice").returncode == 0


def test_adopting_commit_must_carry_only_pact_and_hook_config(tmp_path: Path) -> None:
    bare = hooked_bare(tmp_path / "srv.git")
    repo = project(tmp_path / "w")
    repo.git("remote", "add", "origin", str(bare))
    assert push(repo, "origin", "main", user="alice").returncode == 0
    adopt(repo, extra={".pre-commit-config.yaml": "repos: []\n", "src/backdoor.py": code(3)})
    proc = push(repo, "origin", "main", user="alice")
    assert proc.returncode == 1
    assert "also changes src/backdoor.py" in proc.stderr
    assert ".pre-commit-config.yaml" not in proc.stderr.split("also changes")[1].split("\n")[0]
    # The remedy, literally: reset --soft, commit .pact and the hook config, push.
    repo.git("reset", "--soft", "HEAD~1")
    repo.git("commit", "-q", "--no-verify", "-m", "adopt PACT\n\nPACT-Agent: orchestrator",
             "--", ".pact", ".pre-commit-config.yaml")
    proc = push(repo, "origin", "main", user="alice")
    assert proc.returncode == 0, proc.stderr
    assert "src/backdoor.py" in repo.git("status", "--porcelain").stdout


def test_hook_config_alone_with_pact_is_fine(tmp_path: Path) -> None:
    bare = hooked_bare(tmp_path / "srv.git")
    repo = project(tmp_path / "w")
    repo.git("remote", "add", "origin", str(bare))
    adopt(repo, extra={".pre-commit-config.yaml": "repos: []\n"})
    assert push(repo, "origin", "main", user="alice").returncode == 0


def _adopted(tmp_path: Path) -> tuple[GitRepo, Path, str]:
    bare = hooked_bare(tmp_path / "srv.git")
    repo = project(tmp_path / "w")
    pre = repo.head()
    repo.git("remote", "add", "origin", str(bare))
    adopt(repo)
    assert push(repo, "origin", "main", user="alice").returncode == 0
    return repo, bare, pre


def test_orphan_branch_with_its_own_roster_is_judged_by_the_default_branch(
        tmp_path: Path) -> None:
    repo, bare, _pre = _adopted(tmp_path)
    repo.git("checkout", "-q", "--orphan", "mine")
    cfg = (repo.path / ".pact/config.toml").read_text(encoding="utf-8")
    repo.write({".pact/config.toml": cfg.replace('"orchestrator" = ["alice"]',
                                                 '"orchestrator" = ["alice", "bob"]')})
    repo.git("add", "-A")
    repo.commit("my own rules", agent="orchestrator")
    proc = push(repo, "origin", "mine", user="bob")
    assert proc.returncode == 1
    assert "agent-identity" in proc.stderr and "'bob' claims 'orchestrator'" in proc.stderr
    assert ref_of(bare, "refs/heads/mine") is None


def test_commit_on_a_pre_adoption_parent_is_judged_by_the_default_branch(
        tmp_path: Path) -> None:
    repo, _bare, pre = _adopted(tmp_path)
    repo.git("checkout", "-q", "-b", "old", pre)
    repo.commit("sneak a migration", agent="backend-coder",
                files={"migrations/0001_x.sql": "ALTER TABLE u ADD x int;\n"})
    proc = push(repo, "origin", "old", user="bob")
    assert proc.returncode == 1
    assert "domain-boundary" in proc.stderr
    assert "not adopted" not in proc.stderr


def _pin(bare: Path, text: str) -> None:
    (bare / "roster.toml").write_text(text, encoding="utf-8")
    git(bare, "config", "gatekeeper.roster", "roster.toml")


def test_pinned_roster_decides_who_adopts(tmp_path: Path) -> None:
    bare = hooked_bare(tmp_path / "srv.git")
    _pin(bare, '[roster]\norchestrator = { users = ["carol"] }\nbackend-coder = ["bob"]\n')
    repo = project(tmp_path / "w")
    repo.git("remote", "add", "origin", str(bare))
    adopt(repo)  # its own roster names alice
    proc = push(repo, "origin", "main", user="alice")
    assert proc.returncode == 1
    assert "roster pinned by the admin" in proc.stderr and "carol" in proc.stderr
    proc = push(repo, "origin", "main", user="carol")
    assert proc.returncode == 0, proc.stderr


def test_pinned_roster_wins_after_adoption(tmp_path: Path) -> None:
    repo, bare, _pre = _adopted(tmp_path)
    _pin(bare, '[roster]\norchestrator = ["carol"]\nbackend-coder = ["dana"]\n')
    repo.orchestrate("feature", "add", "x", "--paths", "src/x/**", "--estimate", "10")
    repo.commit_ledger("declare x")
    proc = push(repo, "origin", "main", user="alice")
    assert proc.returncode == 1 and "agent-identity" in proc.stderr
    assert push(repo, "origin", "main", user="carol").returncode == 0


def test_broken_pinned_roster_fails_closed_with_the_file_named(tmp_path: Path) -> None:
    repo, bare, _pre = _adopted(tmp_path)
    _pin(bare, '[roster]\nboss = ["carol"]\n')
    repo.commit("docs", agent="orchestrator", files={"docs/x.md": "# x\n"})
    proc = push(repo, "origin", "main", user="alice")
    assert proc.returncode == 1
    assert "gatekeeper.roster" in proc.stderr and "unknown role 'boss'" in proc.stderr


@pytest.fixture
def forge(tmp_path: Path) -> Iterator[tuple[HttpGitServer, Path]]:
    reason = available()
    if reason is not None:
        pytest.skip(reason)
    bare = tmp_path / "projects" / "fresh.git"
    bare.parent.mkdir()
    hooked_bare(bare)
    git(bare, "config", "http.receivepack", "true")
    env = {"PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with http_git_server(bare.parent, {"alice": "a-pass", "bob": "b-pass"},
                         extra_env=env) as server:
        yield server, bare


def test_http_adoption_of_a_fresh_repository(forge: tuple[HttpGitServer, Path],
                                             tmp_path: Path) -> None:
    server, bare = forge
    repo = project(tmp_path / "w")
    adopt(repo)
    proc = git(repo.path, "push", server.url_for("fresh", "bob"), "main", check=False)
    assert proc.returncode == 1 and "'bob' is not an orchestrator" in proc.stderr
    proc = git(repo.path, "push", server.url_for("fresh", "alice"), "main", check=False)
    assert proc.returncode == 0, proc.stderr
    assert ref_of(bare, "refs/heads/main") == repo.head()


def test_adopting_commit_is_scanned_for_secrets(tmp_path: Path) -> None:
    bare = hooked_bare(tmp_path / "srv.git")
    repo = project(tmp_path / "w")
    repo.git("remote", "add", "origin", str(bare))
    key = "AKIA" + "IOSFODNN7" + "EXAMPLE"
    adopt(repo, extra={".pre-commit-config.yaml": f"# hooks\n# aws_key = \"{key}\"\n"})
    proc = push(repo, "origin", "main", user="alice")
    assert proc.returncode == 1 and "hardcoded-secret" in proc.stderr
    assert ref_of(bare, "refs/heads/main") is None


def test_deleting_every_pact_branch_does_not_reopen_the_bootstrap(tmp_path: Path) -> None:
    """Once adopted, always adopted: bob deletes main, then pushes his own set-up."""
    repo, bare, pre = _adopted(tmp_path)
    assert (bare / "pact" / "adopted").is_file()
    assert push(repo, "origin", ":main", user="bob").returncode == 0  # main is unprotected
    repo.git("checkout", "-q", "--orphan", "mine")
    cfg = (repo.path / ".pact/config.toml").read_text(encoding="utf-8")
    repo.write({".pact/config.toml": cfg.replace('"orchestrator" = ["alice"]',
                                                 '"orchestrator" = ["bob"]')})
    repo.git("add", "-A")
    repo.commit("my set-up", agent="orchestrator")
    proc = push(repo, "origin", "mine", user="bob")
    assert proc.returncode == 1 and "not adopted" not in proc.stderr
    assert ref_of(bare, "refs/heads/mine") is None
    # Plain commits are not waved through either.
    repo.git("checkout", "-q", "-b", "plain", pre)
    proc = push(repo, "origin", "plain", user="bob")
    assert proc.returncode == 1 and "not adopted" not in proc.stderr


def test_default_branch_and_dangling_head_helpers(tmp_path: Path) -> None:
    """What the server and ``install --server`` use: HEAD names master, the team pushes main."""
    from gatekeeper import git as gkgit
    from gatekeeper.context import default_branch, head_is_dangling

    bare = hooked_bare(tmp_path / "srv.git")
    repo = project(tmp_path / "w")
    repo.git("remote", "add", "origin", str(bare))
    assert push(repo, "origin", "main", user="bob").returncode == 0
    srv = gkgit.discover(bare)
    assert head_is_dangling(srv) == "refs/heads/master"
    with gkgit.CatFile(srv) as cat:
        assert default_branch(srv, cat) == ("refs/heads/main", repo.head())
    git(bare, "symbolic-ref", "HEAD", "refs/heads/main")
    assert head_is_dangling(srv) is None
