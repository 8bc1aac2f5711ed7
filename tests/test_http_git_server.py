# tests/test_http_git_server.py: proves the lighttpd + git-http-backend test server really works.
#
# Real `git clone` / `git commit` / `git push` over HTTP with basic auth; server-side hooks must see
# REMOTE_USER and receive-pack's quarantine, a failing hook must reject the push with `remote:`
# output, and bad credentials must get HTTP 401. Skipped only when lighttpd / git-http-backend are
# absent locally; under CI (CI env var set) their absence is a failure instead.
"""Tests for tests/support/http_git_server.py (imported as `support.http_git_server`)."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import support.http_git_server as http_git_server_module
from support.http_git_server import (
    HttpGitServer,
    HttpGitServerError,
    available,
    http_git_server,
)

USERS = {"alice": "alice-pw", "bob": "b0b:with spaces&symbols"}


@pytest.fixture(autouse=True)
def _require_server() -> None:
    reason = available()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"HTTP git server unavailable in CI: {reason}")
        pytest.skip(reason)


@pytest.fixture
def git_env(tmp_path: Path) -> dict[str, str]:
    """Environment that isolates client-side git from the user's and system's config."""
    home = tmp_path / "client-home"
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GIT_") and k not in {"SSH_ASKPASS", "XDG_CONFIG_HOME"}
    }
    env.update(
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME="Alice Author",
        GIT_AUTHOR_EMAIL="alice@example.invalid",
        GIT_COMMITTER_NAME="Alice Author",
        GIT_COMMITTER_EMAIL="alice@example.invalid",
        LC_ALL="C",
    )
    return env


def git(
    env: dict[str, str], *args: str, cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run git, returning the completed process; on unexpected failure show its output."""
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    if check and proc.returncode != 0:
        pytest.fail(f"git {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc


@pytest.fixture
def project_root(tmp_path: Path, git_env: dict[str, str]) -> Path:
    """A project root holding one empty bare repository, demo.git, with default branch main."""
    root = tmp_path / "repos"
    root.mkdir()
    git(git_env, "init", "--quiet", "--bare", "--initial-branch=main", str(root / "demo.git"))
    return root


@pytest.fixture
def server(project_root: Path) -> Iterator[HttpGitServer]:
    with http_git_server(project_root, USERS) as srv:
        yield srv


def install_hook(repo: Path, name: str, text: str) -> None:
    hook = repo / "hooks" / name
    hook.write_text(text, encoding="utf-8")
    hook.chmod(0o755)


def clone_and_commit(
    server: HttpGitServer,
    git_env: dict[str, str],
    tmp_path: Path,
    user: str = "alice",
    dirname: str = "work",
) -> Path:
    """Clone demo over HTTP as ``user`` and make one real commit in the clone."""
    work = tmp_path / dirname
    git(git_env, "clone", "--quiet", server.url_for("demo", user), str(work))
    (work / "README.md").write_text(f"hello from {user}\n", encoding="utf-8")
    git(git_env, "add", "README.md", cwd=work)
    git(git_env, "commit", "--quiet", "-m", f"Add README ({user})", cwd=work)
    return work


def server_ref(git_env: dict[str, str], project_root: Path, ref: str) -> str | None:
    proc = git(
        git_env,
        "--git-dir",
        str(project_root / "demo.git"),
        "rev-parse",
        "--verify",
        "--quiet",
        ref,
        check=False,
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


REPORT_HOOK = """\
#!/bin/sh
# pre-receive: record what a server-side hook sees, accept the push.
report='{report}'
{{
  echo "REMOTE_USER=$REMOTE_USER"
  echo "GIT_QUARANTINE_PATH=$GIT_QUARANTINE_PATH"
  echo "GIT_OBJECT_DIRECTORY=$GIT_OBJECT_DIRECTORY"
  echo "GIT_ALTERNATE_OBJECT_DIRECTORIES=$GIT_ALTERNATE_OBJECT_DIRECTORIES"
  echo "GIT_BIN=$(command -v git)"
  while read -r old new ref; do
    echo "UPDATE=$old $new $ref"
    echo "NEW_TYPE=$(git cat-file -t "$new")"
  done
}} > "$report"
exit 0
"""


def parse_report(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines())


def test_push_runs_pre_receive_with_remote_user_and_quarantine(
    server: HttpGitServer, project_root: Path, git_env: dict[str, str], tmp_path: Path
) -> None:
    report = tmp_path / "hook-report.txt"
    repo = project_root / "demo.git"
    install_hook(repo, "pre-receive", REPORT_HOOK.format(report=report))
    work = clone_and_commit(server, git_env, tmp_path)
    head = git(git_env, "rev-parse", "HEAD", cwd=work).stdout.strip()

    push = git(git_env, "push", "origin", "HEAD:refs/heads/main", cwd=work, check=False)

    assert push.returncode == 0, f"{push.stderr}\n{server.logs()}"
    assert report.exists(), f"pre-receive hook did not run\n{server.logs()}"
    seen = parse_report(report)
    assert seen["REMOTE_USER"] == "alice"
    quarantine = seen["GIT_QUARANTINE_PATH"]
    assert quarantine, seen
    assert Path(quarantine).resolve().parent == (repo / "objects").resolve()
    assert Path(quarantine).name.startswith("tmp_objdir-incoming-")
    assert seen["GIT_OBJECT_DIRECTORY"] == quarantine
    alternates = seen["GIT_ALTERNATE_OBJECT_DIRECTORIES"].split(os.pathsep)
    assert (repo / "objects").resolve() in {Path(a).resolve() for a in alternates if a}
    assert seen["GIT_BIN"], "the hook's PATH must find git"
    # The hook's git sees the quarantined (not yet migrated) objects.
    assert seen["UPDATE"] == f"{'0' * 40} {head} refs/heads/main"
    assert seen["NEW_TYPE"] == "commit"
    assert not Path(quarantine).exists(), "quarantine should be migrated/removed after the push"
    assert server_ref(git_env, project_root, "refs/heads/main") == head


def test_remote_user_follows_the_authenticated_user(
    server: HttpGitServer, project_root: Path, git_env: dict[str, str], tmp_path: Path
) -> None:
    report = tmp_path / "hook-report.txt"
    install_hook(project_root / "demo.git", "pre-receive", REPORT_HOOK.format(report=report))
    work = clone_and_commit(server, git_env, tmp_path, user="bob")

    git(git_env, "push", "origin", "HEAD:refs/heads/main", cwd=work)

    assert parse_report(report)["REMOTE_USER"] == "bob"


def test_python_hook_with_absolute_interpreter(
    server: HttpGitServer, project_root: Path, git_env: dict[str, str], tmp_path: Path
) -> None:
    """The gatekeeper's hooks will be Python scripts with an absolute interpreter path."""
    report = tmp_path / "py-hook.json"
    hook = f"""\
#!{sys.executable}
import json, os, subprocess, sys
updates = [line.split() for line in sys.stdin.read().splitlines()]
subjects = [subprocess.run(["git", "log", "-1", "--format=%s", new], capture_output=True,
                           text=True, check=True).stdout.strip() for _old, new, _ref in updates]
keys = ("REMOTE_USER", "GIT_QUARANTINE_PATH", "GIT_DIR")
with open({str(report)!r}, "w") as fh:
    json.dump({{"env": {{k: os.environ.get(k) for k in keys}}, "subjects": subjects}}, fh)
"""
    install_hook(project_root / "demo.git", "pre-receive", hook)
    work = clone_and_commit(server, git_env, tmp_path)

    git(git_env, "push", "origin", "HEAD:refs/heads/main", cwd=work)

    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["env"]["REMOTE_USER"] == "alice"
    assert data["env"]["GIT_QUARANTINE_PATH"]
    assert data["subjects"] == ["Add README (alice)"]


def test_failing_pre_receive_rejects_push_with_remote_message(
    server: HttpGitServer, project_root: Path, git_env: dict[str, str], tmp_path: Path
) -> None:
    install_hook(
        project_root / "demo.git",
        "pre-receive",
        "#!/bin/sh\ncat >/dev/null\necho 'gatekeeper: phase gate CLOSED for alice' >&2\nexit 1\n",
    )
    work = clone_and_commit(server, git_env, tmp_path)

    push = git(git_env, "push", "origin", "HEAD:refs/heads/main", cwd=work, check=False)

    assert push.returncode != 0
    assert "remote: gatekeeper: phase gate CLOSED for alice" in push.stderr
    assert "pre-receive hook declined" in push.stderr
    assert server_ref(git_env, project_root, "refs/heads/main") is None


def _http_status(url: str, user: str | None, password: str | None) -> int:
    request = urllib.request.Request(url)
    if user is not None and password is not None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_wrong_password_is_refused(
    server: HttpGitServer, project_root: Path, git_env: dict[str, str], tmp_path: Path
) -> None:
    report = tmp_path / "hook-report.txt"
    install_hook(project_root / "demo.git", "pre-receive", REPORT_HOOK.format(report=report))
    work = clone_and_commit(server, git_env, tmp_path)
    bad_url = server.url_for("demo", "alice", password="not-the-password")

    push = git(git_env, "push", bad_url, "HEAD:refs/heads/main", cwd=work, check=False)

    assert push.returncode != 0
    assert "Authentication failed" in push.stderr, push.stderr
    assert not report.exists(), "the hook must not run for an unauthenticated push"
    assert server_ref(git_env, project_root, "refs/heads/main") is None

    refs = f"{server.base_url}/demo.git/info/refs?service=git-receive-pack"
    assert _http_status(refs, "alice", "not-the-password") == 401
    assert _http_status(refs, "mallory", "alice-pw") == 401
    assert _http_status(refs, None, None) == 401
    assert _http_status(refs, "alice", USERS["alice"]) == 200


def test_server_stops_and_leaves_no_process(project_root: Path) -> None:
    with http_git_server(project_root, USERS) as srv:
        pid, port = srv.pid, srv.port
        os.kill(pid, 0)  # running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_startup_failure_raises_with_server_log(
    project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If lighttpd cannot start (here: its port is taken), the error carries lighttpd's output."""
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        monkeypatch.setattr(http_git_server_module, "_free_port", lambda: blocker.getsockname()[1])
        with (
            pytest.raises(HttpGitServerError, match="exited with status") as excinfo,
            http_git_server(project_root, USERS),
        ):
            pytest.fail("server must not start on a port that is already in use")
    assert "Address already in use" in str(excinfo.value)


def test_invalid_arguments_are_rejected(tmp_path: Path) -> None:
    with (
        pytest.raises(HttpGitServerError, match="not a directory"),
        http_git_server(tmp_path / "missing", USERS),
    ):
        pass
    with (
        pytest.raises(HttpGitServerError, match="invalid user name"),
        http_git_server(tmp_path, {"a:b": "pw"}),
    ):
        pass
