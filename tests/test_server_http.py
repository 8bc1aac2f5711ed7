# tests/test_server_http.py: the pre-receive hook behind a real HTTP forge (lighttpd + git-http-backend).
"""Pushes over smart HTTP with basic auth: the authenticated account is REMOTE_USER, the
pusher the roster maps to roles. One server for the module; the hook runs with the CGI's
clean environment (PYTHONPATH passed through), inside receive-pack's quarantine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import REPO_ROOT, GitRepo, git, gk
from server_helpers import clear_inbox, code, inbox, ref_of, team_repo
from support.http_git_server import HttpGitServer, available, http_git_server

USERS = {"alice": "a-pass", "bob": "b-pass", "carol": "c-pass", "dana": "d-pass"}


@pytest.fixture(scope="module")
def forge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HttpGitServer, Path]]:
    """The HTTP server and the bare repository it serves as ``team``."""
    reason = available()
    if reason is not None:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("forge")
    repo = team_repo(root / "seed")
    bare = root / "projects" / "team.git"
    bare.parent.mkdir()
    git(root, "clone", "-q", "--bare", str(repo.path), str(bare))
    git(bare, "config", "http.receivepack", "true")
    proc = gk(bare, "install", "--server", str(bare))
    assert proc.returncode == 0, proc.stderr
    env = {"PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with http_git_server(bare.parent, USERS, extra_env=env) as server:
        yield server, bare


@pytest.fixture
def clone(forge: tuple[HttpGitServer, Path], tmp_path: Path) -> GitRepo:
    server, bare = forge
    git(tmp_path, "clone", "-q", server.url_for("team", "bob"), "work")
    clear_inbox(bare)
    return GitRepo(tmp_path / "work")


def _push(forge: tuple[HttpGitServer, Path], repo: GitRepo, user: str, *refspecs: str,
          ) -> tuple[int, str]:
    server, _bare = forge
    proc = git(repo.path, "push", server.url_for("team", user), *refspecs, check=False)
    return proc.returncode, proc.stderr


def test_http_legitimate_push_is_accepted(forge: tuple[HttpGitServer, Path],
                                         clone: GitRepo) -> None:
    _server, bare = forge
    clone.orchestrate("estimate", "auth", "60", "--reason", "token refresh needs a handler")
    clone.commit_ledger("auth estimate 60")
    code_, err = _push(forge, clone, "alice", "HEAD:refs/heads/login")
    assert code_ == 0, err + forge[0].logs()
    clone.commit("login", agent="backend-coder", files={"src/auth/login.py": code(10)})
    code_, err = _push(forge, clone, "bob", "HEAD:refs/heads/login")
    assert code_ == 0, err
    assert ref_of(bare, "refs/heads/login") == clone.head()
    # The database engineer's migration, pushed from her own account.
    clone.commit("schema", agent="database-engineer",
                 files={"migrations/0001_init.sql": "-- init\nCREATE TABLE t (id int);\n"})
    code_, err = _push(forge, clone, "dana", "HEAD:refs/heads/login")
    assert code_ == 0, err


@pytest.mark.parametrize(("rule", "files"), [
    ("phase-gate", {"src/billing/invoice.py": code(5)}),
    ("domain-boundary", {"migrations/0002_email.sql": "-- m\nALTER TABLE u ADD e;\n"}),
    ("scope-budget", {"src/auth/huge.py": code(60)}),
])
def test_http_violations_are_rejected(forge: tuple[HttpGitServer, Path], clone: GitRepo,
                                      rule: str, files: dict[str, str | bytes]) -> None:
    _server, bare = forge
    before = ref_of(bare, "refs/heads/main")
    clone.commit(f"violates {rule}", agent="backend-coder", files=files)
    code_, err = _push(forge, clone, "bob", "HEAD:main")
    assert code_ == 1
    assert f"remote: BLOCK {rule}" in err and "pre-receive hook declined" in err
    assert ref_of(bare, "refs/heads/main") == before
    assert rule in {n["rule"] for n in inbox(bare)}


def test_http_spoofed_identity_is_rejected(forge: tuple[HttpGitServer, Path],
                                           clone: GitRepo) -> None:
    """bob (rostered as backend-coder) claims database-engineer: the authenticated account,
    not the commit message, decides."""
    _server, bare = forge
    clone.commit("schema", agent="database-engineer",
                 files={"migrations/0003_x.sql": "-- m\nALTER TABLE u ADD x;\n"})
    code_, err = _push(forge, clone, "bob", "HEAD:main")
    assert code_ == 1
    assert "remote: BLOCK agent-identity [HALT SECURITY]" in err
    assert "pusher 'bob' claims 'database-engineer'" in err
    notes = [n for n in inbox(bare) if n["rule"] == "agent-identity"]
    assert notes and notes[0]["level"] == "HALT" and notes[0]["where"] == "server"
