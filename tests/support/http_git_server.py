# tests/support/http_git_server.py: a throw-away lighttpd + git-http-backend server for tests.
#
# Serves every bare repository under a project root at http://127.0.0.1:PORT/git/<name>.git
# through git's smart-HTTP CGI (git-http-backend), behind HTTP basic auth so that REMOTE_USER
# carries the pusher and receive-pack (push) is enabled. Server-side hooks (pre-receive, update,
# post-receive) run exactly as on a real forge, including receive-pack's object quarantine.
#
# Everything (config, user file, logs, pid file, upload buffers, the CGI's HOME) lives in a
# temporary directory; lighttpd runs in the foreground (-D) as a child of the test process, in its
# own process group, and the whole group is terminated (then killed) on exit.
"""Run a real HTTP git server (lighttpd + git-http-backend, basic auth) for the duration of a test.

Typical use::

    reason = available()
    if reason is not None:
        pytest.skip(reason)
    with http_git_server(project_root, {"alice": "s3cret"}) as server:
        subprocess.run(["git", "push", server.url_for("demo", "alice"), "HEAD:main"], check=True)
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

__all__ = [
    "HttpGitServer",
    "HttpGitServerError",
    "available",
    "find_http_backend",
    "find_lighttpd",
    "http_git_server",
]

HOST = "127.0.0.1"
"""Address the server binds to (loopback only)."""

STARTUP_TIMEOUT = 10.0
"""Seconds to wait for the server's port to accept connections."""

STOP_TIMEOUT = 5.0
"""Seconds to wait after SIGTERM before the process group is SIGKILLed."""

# Debian installs lighttpd in /usr/sbin, which is often missing from a non-root user's PATH.
_SBIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")

# Standard directories appended to the CGI's PATH after the directory holding `git`.
_CGI_PATH_DIRS = ("/usr/local/bin", "/usr/bin", "/bin")

# lighttpd modules the generated config uses. mod_alias, mod_setenv and mod_access are compiled
# into Debian 12's lighttpd 1.4.69 binary; the others are shared objects in /usr/lib/lighttpd.
_MODULES = (
    "mod_access",
    "mod_alias",
    "mod_setenv",
    "mod_auth",
    "mod_authn_file",
    "mod_cgi",
    "mod_accesslog",
)

_STARTUP_ATTEMPTS = 3
"""Free ports are picked by binding port 0; retry if another process grabbed it meanwhile."""


class HttpGitServerError(RuntimeError):
    """The HTTP git server could not be configured or did not start."""


@dataclass(frozen=True)
class HttpGitServer:
    """A running lighttpd serving bare repositories over smart HTTP with basic auth."""

    port: int
    """TCP port on 127.0.0.1."""
    project_root: Path
    """Directory whose bare repositories are served (GIT_PROJECT_ROOT)."""
    users: Mapping[str, str] = field(repr=False)
    """user name -> password accepted by basic auth."""
    state_dir: Path
    """Temporary directory holding config, user file, logs and pid file."""
    config_file: Path
    """The generated lighttpd.conf."""
    error_log: Path
    """lighttpd's server.errorlog (start-up, auth failures such as "password doesn't match")."""
    access_log: Path
    """lighttpd's access log (one line per request, with status code and user)."""
    output_log: Path
    """lighttpd's stdout/stderr, which CGIs inherit: git-http-backend's own errors land here.

    Hook output does not: git relays it to the pushing client (``remote: ...`` lines)."""
    pid: int
    """Process id of the lighttpd process (also its process group id)."""

    @property
    def base_url(self) -> str:
        """URL prefix under which repositories are served, without credentials."""
        return f"http://{HOST}:{self.port}/git"

    def url_for(self, repo_name: str, user: str, password: str | None = None) -> str:
        """Return ``http://user:password@127.0.0.1:PORT/git/<repo_name>.git``.

        ``repo_name`` may be given with or without the ``.git`` suffix, and may contain ``/`` for
        repositories nested below the project root. ``password`` defaults to the user's configured
        password; pass another value to exercise authentication failures.
        """
        if password is None:
            try:
                password = self.users[user]
            except KeyError:
                known = sorted(self.users)
                raise KeyError(f"unknown user {user!r}; known users: {known}") from None
        name = repo_name.strip("/").removesuffix(".git")
        credentials = f"{quote(user, safe='')}:{quote(password, safe='')}"
        return f"http://{credentials}@{HOST}:{self.port}/git/{quote(name)}.git"

    def logs(self) -> str:
        """Return the server's error log, output and access log, for assertion messages."""
        return _describe_logs(self.error_log, self.output_log, self.access_log)


def find_lighttpd() -> str | None:
    """Return the path of the lighttpd binary, searching PATH and then the sbin directories."""
    found = shutil.which("lighttpd")
    if found is not None:
        return found
    return shutil.which("lighttpd", path=os.pathsep.join(_SBIN_DIRS))


def find_http_backend() -> Path | None:
    """Return the path of git-http-backend (in ``git --exec-path``), or None if unavailable."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        exec_path = subprocess.run(
            [git, "--exec-path"], capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    backend = Path(exec_path) / "git-http-backend"
    return backend if os.access(backend, os.X_OK) else None


def available() -> str | None:
    """Return None if the server can be run here, else a human-readable reason (for a skip)."""
    missing = []
    if shutil.which("git") is None:
        missing.append("git is not on PATH")
    elif find_http_backend() is None:
        missing.append("git-http-backend not found in `git --exec-path`")
    if find_lighttpd() is None:
        missing.append("lighttpd is not installed (Debian: apt-get install lighttpd)")
    return "; ".join(missing) if missing else None


@contextlib.contextmanager
def http_git_server(
    project_root: Path,
    users: Mapping[str, str],
    *,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[HttpGitServer]:
    """Serve the bare repositories under ``project_root`` over HTTP for the ``with`` block.

    Every request requires basic auth against ``users`` (name -> password), so git-http-backend
    sees ``REMOTE_USER`` and enables receive-pack. The CGI (and therefore every server-side hook)
    runs with ``GIT_PROJECT_ROOT``, ``GIT_HTTP_EXPORT_ALL``, ``GIT_CONFIG_NOSYSTEM=1``, a ``PATH``
    that finds ``git``, a private empty ``HOME``, and ``extra_env`` on top.

    Raises HttpGitServerError, including the server's logs, if lighttpd does not start.
    """
    reason = available()
    if reason is not None:
        raise HttpGitServerError(f"cannot start the HTTP git server: {reason}")
    lighttpd = find_lighttpd()
    backend = find_http_backend()
    git = shutil.which("git")
    assert lighttpd is not None and backend is not None and git is not None  # checked above
    _validate_users(users)
    project_root = Path(project_root).resolve()
    if not project_root.is_dir():
        raise HttpGitServerError(f"project root {project_root} is not a directory")

    with tempfile.TemporaryDirectory(prefix="pact-gk-httpd-") as tmp:
        state = Path(tmp)
        for sub in ("htdocs", "uploads", "home"):
            (state / sub).mkdir()
        users_file = state / "users"
        users_file.write_text("".join(f"{u}:{p}\n" for u, p in users.items()), encoding="utf-8")
        users_file.chmod(0o600)

        cgi_path = os.pathsep.join(dict.fromkeys([str(Path(git).parent), *_CGI_PATH_DIRS]))
        cgi_env: dict[str, str] = {
            "GIT_PROJECT_ROOT": str(project_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "PATH": cgi_path,
            "HOME": str(state / "home"),
            "LANG": "C.UTF-8",
        }
        cgi_env.update(extra_env or {})

        proc, port = _start(lighttpd, backend, state, users_file, cgi_env)
        server = HttpGitServer(
            port=port,
            project_root=project_root,
            users=dict(users),
            state_dir=state,
            config_file=state / "lighttpd.conf",
            error_log=state / "error.log",
            access_log=state / "access.log",
            output_log=state / "output.log",
            pid=proc.pid,
        )
        try:
            yield server
        finally:
            _stop(proc)


def _validate_users(users: Mapping[str, str]) -> None:
    """Reject user names/passwords that lighttpd's plain user file cannot represent."""
    if not users:
        raise HttpGitServerError("at least one user is required (every request needs auth)")
    for user, password in users.items():
        if not user or ":" in user or any(c in user for c in "\r\n"):
            raise HttpGitServerError(f"invalid user name {user!r} (empty, ':' or newline)")
        if any(c in password for c in "\r\n"):
            raise HttpGitServerError(f"invalid password for {user!r} (newline)")


def _lighttpd_string(value: str) -> str:
    """Quote ``value`` as a lighttpd config string literal."""
    if any(c in value for c in '"\\\r\n\0'):
        raise HttpGitServerError(f"cannot put {value!r} in a lighttpd config string")
    return f'"{value}"'


def _render_config(
    port: int, state: Path, backend: Path, users_file: Path, cgi_env: Mapping[str, str]
) -> str:
    """Return the lighttpd.conf text for one server instance."""
    q = _lighttpd_string
    env_lines = ",\n".join(f"        {q(k)} => {q(v)}" for k, v in cgi_env.items())
    modules = ", ".join(q(m) for m in _MODULES)
    return f"""\
# Generated by tests/support/http_git_server.py; throw-away test server.
server.modules = ( {modules} )
server.bind = {q(HOST)}
server.port = {port}
server.document-root = {q(str(state / "htdocs"))}
server.errorlog = {q(str(state / "error.log"))}
server.pid-file = {q(str(state / "lighttpd.pid"))}
server.upload-dirs = ( {q(str(state / "uploads"))} )
accesslog.filename = {q(str(state / "access.log"))}
accesslog.format = "%h %u %t \\"%r\\" %>s %b"

auth.backend = "plain"
auth.backend.plain.userfile = {q(str(users_file))}
auth.require = ( "/" => (
    "method" => "basic",
    "realm" => "pact-gatekeeper test git",
    "require" => "valid-user"
) )

alias.url = ( "/git/" => {q(str(backend) + "/")} )
$HTTP["url"] =~ "^/git/" {{
    cgi.assign = ( "" => "" )
    setenv.add-environment = (
{env_lines}
    )
}}
"""


def _free_port() -> int:
    """Return a TCP port on HOST that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _lighttpd_answers(port: int) -> bool:
    """Return True if a lighttpd answers HTTP on HOST:port (not merely some other listener)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=1.0)
    try:
        conn.request("GET", "/git/")
        response = conn.getresponse()
        response.read()
        return response.getheader("Server", "").startswith("lighttpd")
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def _read(path: Path) -> str:
    """Return the text of ``path``, or a placeholder if it does not exist."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "<missing>"


def _describe_logs(*paths: Path) -> str:
    """Concatenate log files with headers, for error messages."""
    return "\n".join(f"--- {p.name} ---\n{_read(p).rstrip()}" for p in paths)


def _lighttpd_env() -> dict[str, str]:
    """Environment for lighttpd itself: ours, minus GIT_* variables that would leak into CGIs."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}


def _start(
    lighttpd: str, backend: Path, state: Path, users_file: Path, cgi_env: Mapping[str, str]
) -> tuple[subprocess.Popen[bytes], int]:
    """Write the config, start lighttpd in the foreground and wait for its port to answer."""
    conf = state / "lighttpd.conf"
    error_log = state / "error.log"
    output_log = state / "output.log"
    env = _lighttpd_env()
    failure = ""
    for _attempt in range(_STARTUP_ATTEMPTS):
        port = _free_port()
        conf.write_text(_render_config(port, state, backend, users_file, cgi_env), encoding="utf-8")
        check = subprocess.run(
            [lighttpd, "-tt", "-f", str(conf)],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
            check=False,
        )
        if check.returncode != 0:
            raise HttpGitServerError(
                f"lighttpd rejected its config {conf} (exit {check.returncode}):\n"
                f"{check.stdout}{check.stderr}\n{_describe_logs(error_log)}"
            )
        with output_log.open("wb") as out:
            proc = subprocess.Popen(
                [lighttpd, "-D", "-f", str(conf)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            if _lighttpd_answers(port) and proc.poll() is None:
                return proc, port
            time.sleep(0.05)
        exited = proc.poll() is not None
        _stop(proc)
        what = (
            f"exited with status {proc.returncode} before answering"
            if exited
            else f"did not answer within {STARTUP_TIMEOUT:g}s"
        )
        failure = (
            f"lighttpd (pid {proc.pid}) on {HOST}:{port} {what}\n"
            f"{_describe_logs(error_log, output_log, conf)}"
        )
        if "already in use" not in failure:
            break
    raise HttpGitServerError(failure)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate lighttpd and everything in its process group (CGIs, hooks); then reap it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    # Stragglers (e.g. a hook still running after lighttpd exited) share the process group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
