# tests/test_install_uninstall.py: install's clean refusals, the dangling-HEAD warning, uninstall, hooks dirs.
"""`install --server` on a wrong path exits 2 with one line; on a bare repository whose HEAD
names a missing branch it warns and prints the fix (followed here, literally).
`uninstall` removes only hooks carrying the marker and restores a chained foreign hook.
Client hooks land where git runs them: `core.hooksPath`, and the common dir for linked
worktrees. The commit-msg hook never imports GitPython."""

from __future__ import annotations

import shlex
import stat
import subprocess
import sys
from pathlib import Path

from helpers import REPO_ROOT, GitRepo, git, gk, make_repo, pact_repo
from server_helpers import code, push, team_repo

MARKER = "# pact-gatekeeper managed hook"


def _bare_of(tmp_path: Path) -> tuple[GitRepo, Path]:
    repo = team_repo(tmp_path / "team")
    bare = tmp_path / "srv.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo.path), str(bare))
    repo.git("remote", "add", "origin", str(bare))
    return repo, bare


def _foreign(path: Path, body: str) -> str:
    text = f"#!/bin/sh\n{body}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return text


def test_install_server_on_a_missing_path_exits_2(tmp_path: Path) -> None:
    proc = gk(tmp_path, "install", "--server", str(tmp_path / "nowhere.git"))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"gatekeeper: error: {tmp_path / 'nowhere.git'}: no such directory"
    (tmp_path / "plain").mkdir()
    proc = gk(tmp_path, "install", "--server", str(tmp_path / "plain"))
    assert proc.returncode == 2 and "not a git repository" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_install_server_refuses_a_non_bare_repository(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work")
    proc = gk(tmp_path, "install", "--server", str(repo.path))
    assert proc.returncode == 2 and "not a bare repository" in proc.stderr
    assert not (repo.path / ".git/hooks/pre-receive").exists()


def test_install_server_warns_when_head_dangles_and_the_fix_works(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work")
    bare = tmp_path / "srv.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "master", str(bare))
    proc = gk(tmp_path, "install", "--server", str(bare))
    assert proc.returncode == 0
    assert "HEAD names refs/heads/master, which does not exist (it has no branches yet)" in proc.stderr
    assert gk(tmp_path, "uninstall", "--server", str(bare)).returncode == 0
    repo.git("push", "-q", "--no-verify", str(bare), "main")
    proc = gk(tmp_path, "install", "--server", str(bare))
    assert proc.returncode == 0 and "installed" in proc.stdout
    assert "its branches are main" in proc.stderr
    fix = proc.stderr.split("point it at the branch the team pushes: ")[1].strip()
    assert fix == f"git -C {shlex.quote(str(bare))} symbolic-ref HEAD refs/heads/main"
    subprocess.run(fix, shell=True, check=True)
    proc = gk(tmp_path, "install", "--server", str(bare))
    assert proc.returncode == 0 and proc.stderr == ""


def test_uninstall_server_restores_the_chained_hook(tmp_path: Path) -> None:
    repo, bare = _bare_of(tmp_path)
    hook = bare / "hooks" / "pre-receive"
    original = _foreign(hook, 'echo "foreign hook ran"\nexit 0')
    assert gk(tmp_path, "install", "--server", str(bare)).returncode == 0
    assert MARKER in hook.read_text()
    proc = gk(tmp_path, "uninstall", "--server", str(bare))
    assert proc.returncode == 0 and "restored the chained hook" in proc.stdout
    assert hook.read_text() == original and not (bare / "hooks/pre-receive.chained").exists()
    # The gate is gone and the foreign hook runs again: a blocked change now lands.
    repo.commit("bad", agent="backend-coder", files={"src/billing/x.py": code(5)})
    proc = push(repo, "origin", "HEAD:main")
    assert proc.returncode == 0 and "foreign hook ran" in proc.stderr
    # A second uninstall finds nothing of ours, and leaves the foreign hook alone.
    proc = gk(tmp_path, "uninstall", "--server", str(bare))
    assert proc.returncode == 0 and "nothing to remove" in proc.stdout
    assert "not written by pact-gatekeeper; left in place" in proc.stderr
    assert hook.read_text() == original


def test_uninstall_server_plain_and_pre_receive_d(tmp_path: Path) -> None:
    _repo, bare = _bare_of(tmp_path)
    assert gk(tmp_path, "install", "--server", str(bare)).returncode == 0
    proc = gk(tmp_path, "uninstall", "--server", str(bare))
    assert proc.returncode == 0 and not (bare / "hooks/pre-receive").exists()
    other = _foreign(bare / "hooks/pre-receive.d/audit", "exit 0")
    assert gk(tmp_path, "install", "--server", str(bare)).returncode == 0
    assert (bare / "hooks/pre-receive.d/pact-gatekeeper").exists()
    proc = gk(tmp_path, "uninstall", "--server", str(bare))
    assert proc.returncode == 0, proc.stderr
    assert not (bare / "hooks/pre-receive.d/pact-gatekeeper").exists()
    assert (bare / "hooks/pre-receive.d/audit").read_text() == other
    assert gk(tmp_path, "uninstall", "--server", str(tmp_path / "gone.git")).returncode == 2


def test_client_install_and_uninstall_keep_foreign_hooks(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    hooks = repo.path / ".git" / "hooks"
    foreign = _foreign(hooks / "pre-commit", "exit 0")
    assert repo.gk("install").returncode == 0
    assert MARKER in (hooks / "commit-msg").read_text()
    proc = repo.gk("uninstall")
    assert proc.returncode == 0
    assert not (hooks / "commit-msg").exists() and not (hooks / "pre-push").exists()
    assert (hooks / "pre-commit").read_text() == foreign
    assert "removed" in proc.stdout


def test_client_install_honours_core_hookspath(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r", phase="architect")
    repo.git("config", "core.hooksPath", ".githooks")
    assert repo.gk("install").returncode == 0
    assert MARKER in (repo.path / ".githooks/commit-msg").read_text()
    assert not (repo.path / ".git/hooks/commit-msg").exists()
    # git really runs it from there: an early change is blocked by the installed hook.
    repo.stage({"src/auth/x.py": "# x\nx = 1\n"})
    proc = repo.git("commit", "-q", "-m", "x", "--trailer", "PACT-Agent: backend-coder",
                    check=False)
    assert proc.returncode == 1 and "phase-gate" in proc.stderr + proc.stdout
    assert repo.gk("uninstall").returncode == 0
    assert not (repo.path / ".githooks/commit-msg").exists()


def test_client_install_from_a_linked_worktree_uses_the_common_hooks(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.git("worktree", "add", "-q", str(tmp_path / "wt"), "-b", "side")
    proc = gk(tmp_path / "wt", "install")
    assert proc.returncode == 0, proc.stderr
    assert MARKER in (repo.path / ".git/hooks/commit-msg").read_text()
    proc = gk(tmp_path / "wt" / "..", "install", "--server", str(tmp_path / "wt"))
    assert proc.returncode == 2 and "not a bare repository" in proc.stderr


def test_client_install_in_a_bare_repository_points_at_server(tmp_path: Path) -> None:
    bare = tmp_path / "b.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    proc = gk(bare, "install")
    assert proc.returncode == 2 and "install --server" in proc.stderr


def test_commit_msg_hook_never_imports_gitpython(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.stage({"src/auth/a.py": "# a\nx = 1\n"})
    msg = tmp_path / "msg"
    msg.write_text("work\n\nPACT-Agent: backend-coder\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "gatekeeper", "hook",
                           "commit-msg", str(msg)], cwd=repo.path, capture_output=True,
                          text=True, env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin",
                                          "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    modules = {line.split("|")[-1].strip() for line in proc.stderr.splitlines()
               if line.startswith("import time:") and "|" in line}
    assert "gatekeeper.hooks" in modules  # the hook path really ran
    assert not {m for m in modules if m == "git" or m.startswith("git.")}, "GitPython imported"


def test_pre_receive_hook_never_imports_gitpython(tmp_path: Path) -> None:
    """The server's hot path too: a real push through the installed hook, with Python's
    import profiler on (its lines reach the pusher as `remote:` output)."""
    repo, bare = _bare_of(tmp_path)
    assert gk(tmp_path, "install", "--server", str(bare)).returncode == 0
    repo.commit("work", agent="backend-coder", files={"src/auth/x.py": code(3)})
    proc = push(repo, "origin", "HEAD:main", env={"PYTHONPROFILEIMPORTTIME": "1"})
    modules = {line.split("|")[-1].strip() for line in proc.stderr.splitlines()
               if "import time:" in line and "|" in line}
    assert "gatekeeper.hooks" in modules, proc.stderr[-1500:]
    assert not {m for m in modules if m == "git" or m.startswith("git.")}, "GitPython imported"
