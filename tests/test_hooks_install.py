# tests/test_hooks_install.py: `gatekeeper install` (client and server) and the client pre-push hook.
"""Installing never clobbers a hook someone else wrote: an existing server hook is chained
(and still runs), a ``pre-receive.d/`` directory gets ours beside the others, and anything
else is refused with exit 2. The client's pre-push hook is exercised with real pushes.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from helpers import GitRepo, git, gk
from server_helpers import code, push, ref_of, team_repo

MARKER = "# pact-gatekeeper managed hook"


def _bare(tmp_path: Path) -> tuple[GitRepo, Path]:
    repo = team_repo(tmp_path / "team")
    bare = tmp_path / "srv.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo.path), str(bare))
    repo.git("remote", "add", "origin", str(bare))
    repo.git("fetch", "-q", "origin")
    return repo, bare


def _foreign(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_server_install_fresh_and_idempotent(tmp_path: Path) -> None:
    repo, bare = _bare(tmp_path)
    for _ in range(2):
        proc = gk(tmp_path, "install", "--server", str(bare))
        assert proc.returncode == 0, proc.stderr
    hook = bare / "hooks" / "pre-receive"
    assert MARKER in hook.read_text() and hook.stat().st_mode & stat.S_IXUSR
    assert not (bare / "hooks" / "pre-receive.chained").exists()
    repo.commit("bad", agent="backend-coder", files={"src/billing/x.py": code(5)})
    proc = push(repo, "origin", "HEAD:main")
    assert proc.returncode == 1 and "BLOCK phase-gate" in proc.stderr


def test_server_install_chains_an_existing_hook(tmp_path: Path) -> None:
    repo, bare = _bare(tmp_path)
    hook = bare / "hooks" / "pre-receive"
    _foreign(hook, 'while read old new ref; do echo "foreign saw $ref"; done\n'
                   '[ -e "$GIT_DIR/deny" ] && { echo "foreign says no"; exit 1; }\nexit 0')
    proc = gk(tmp_path, "install", "--server", str(bare))
    assert proc.returncode == 0, proc.stderr
    assert "pre-receive.chained" in proc.stdout
    assert "foreign saw" in (bare / "hooks" / "pre-receive.chained").read_text()
    assert MARKER in hook.read_text()
    # Reinstalling keeps the chain.
    assert gk(tmp_path, "install", "--server", str(bare)).returncode == 0
    assert (bare / "hooks" / "pre-receive.chained").exists()
    # Both hooks run, each seeing every ref line; either can reject.
    repo.commit("good", agent="backend-coder", files={"src/auth/ok.py": code(5)})
    proc = push(repo, "origin", "HEAD:main")
    assert proc.returncode == 0, proc.stderr
    assert "foreign saw refs/heads/main" in proc.stderr
    (bare / "deny").write_text("")
    repo.commit("good too", agent="backend-coder", files={"src/auth/ok2.py": code(5)})
    proc = push(repo, "origin", "HEAD:main")
    assert proc.returncode == 1 and "foreign says no" in proc.stderr
    (bare / "deny").unlink()
    # Ours runs first: a bad commit never reaches the foreign hook.
    repo.commit("bad", agent="backend-coder", files={"src/billing/x.py": code(5)})
    proc = push(repo, "origin", "HEAD:main")
    assert proc.returncode == 1 and "BLOCK phase-gate" in proc.stderr
    assert "foreign saw" not in proc.stderr


def test_server_install_into_pre_receive_d(tmp_path: Path) -> None:
    _repo, bare = _bare(tmp_path)
    hook_d = bare / "hooks" / "pre-receive.d"
    _foreign(hook_d / "other", "exit 0")
    proc = gk(tmp_path, "install", "--server", str(bare))
    assert proc.returncode == 0, proc.stderr
    ours = hook_d / "pact-gatekeeper"
    assert MARKER in ours.read_text() and ours.stat().st_mode & stat.S_IXUSR
    assert (hook_d / "other").read_text() == "#!/bin/sh\nexit 0\n"
    assert not (bare / "hooks" / "pre-receive").exists()


@pytest.mark.parametrize("where", ["chain-taken", "pre-receive.d"])
def test_server_install_refuses_to_overwrite_foreign_hooks(tmp_path: Path, where: str) -> None:
    _repo, bare = _bare(tmp_path)
    hooks = bare / "hooks"
    if where == "chain-taken":
        paths = [hooks / "pre-receive", hooks / "pre-receive.chained"]
    else:
        paths = [hooks / "pre-receive.d" / "pact-gatekeeper"]
    for path in paths:
        _foreign(path, "echo mine; exit 0")
    proc = gk(tmp_path, "install", "--server", str(bare))
    assert proc.returncode == 2
    assert "refusing" in proc.stderr or "not written by pact-gatekeeper" in proc.stderr
    assert "Traceback" not in proc.stderr
    for path in paths:
        assert path.read_text() == "#!/bin/sh\necho mine; exit 0\n"


def test_client_install_refuses_a_foreign_hook(tmp_path: Path) -> None:
    repo = team_repo(tmp_path / "team")
    hook = repo.path / ".git" / "hooks" / "commit-msg"
    _foreign(hook, "exit 0")
    proc = repo.gk("install")
    assert proc.returncode == 2 and "refusing to overwrite" in proc.stderr
    assert hook.read_text() == "#!/bin/sh\nexit 0\n"
    hook.unlink()
    proc = repo.gk("install")
    assert proc.returncode == 0, proc.stderr
    assert MARKER in hook.read_text()
    assert MARKER in (repo.path / ".git" / "hooks" / "pre-push").read_text()


# ---------------------------------------------------------------- client pre-push, real pushes


@pytest.fixture
def client(tmp_path: Path) -> tuple[GitRepo, Path]:
    """The team repository with `gatekeeper install`, and a bare remote without hooks whose
    main already holds a bad commit (pushed past the hooks with --no-verify)."""
    repo, bare = _bare(tmp_path)
    assert repo.gk("install").returncode == 0
    repo.commit("old bad", agent="backend-coder", files={"src/billing/old.py": code(5)})
    git(repo.path, "push", "-q", "--no-verify", "origin", "HEAD:main")
    return repo, bare


def test_pre_push_blocks_new_bad_commits(client: tuple[GitRepo, Path]) -> None:
    repo, bare = client
    before = ref_of(bare, "refs/heads/main")
    repo.commit("new bad", agent="backend-coder", files={"src/billing/new.py": code(5)})
    proc = push(repo, "origin", "HEAD:main", user=None)
    assert proc.returncode == 1
    assert "BLOCK phase-gate" in proc.stderr and "src/billing/new.py" in proc.stderr
    assert "failed to push" in proc.stderr
    assert ref_of(bare, "refs/heads/main") == before


def test_pre_push_new_branch_judges_only_what_the_remote_lacks(
        client: tuple[GitRepo, Path]) -> None:
    repo, bare = client
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("good", agent="backend-coder", files={"src/auth/topic.py": code(5)})
    proc = push(repo, "origin", "topic", user=None)
    assert proc.returncode == 0, proc.stderr
    assert "old.py" not in proc.stderr  # already on the remote: not judged again
    assert ref_of(bare, "refs/heads/topic") == repo.head()


def test_pre_push_every_ref_and_deletions(client: tuple[GitRepo, Path]) -> None:
    repo, bare = client
    repo.git("branch", "doomed")
    assert push(repo, "origin", "doomed", user=None).returncode == 0
    repo.git("checkout", "-q", "-b", "good")
    repo.commit("good", agent="backend-coder", files={"src/auth/g.py": code(5)})
    repo.git("checkout", "-q", "-b", "bad", "main")
    repo.commit("bad", agent="backend-coder", files={"src/billing/b.py": code(5)})
    proc = push(repo, "origin", "good", "bad", ":doomed", user=None)
    assert proc.returncode == 1 and "src/billing/b.py" in proc.stderr
    assert ref_of(bare, "refs/heads/doomed") is not None  # the whole push was refused
    proc = push(repo, "origin", "good", ":doomed", user=None)
    assert proc.returncode == 0, proc.stderr
    assert ref_of(bare, "refs/heads/doomed") is None
    assert ref_of(bare, "refs/heads/good") is not None
