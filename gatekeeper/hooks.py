# gatekeeper/hooks.py: stage adapters: pre-commit, commit-msg, pre-push (client) and pre-receive (server).
"""Each adapter turns a git hook's inputs into one call of :mod:`gatekeeper.checker`, so the
verdict is the same everywhere. The server-side pre-receive hook is the authoritative
gate: it fails closed when it cannot decide, within a deadline.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from gatekeeper import git
from gatekeeper.changes import ChangeSet
from gatekeeper.checker import Options, check_revisions, check_staged
from gatekeeper.context import Context, load_at
from gatekeeper.engine import Environment, evaluate
from gatekeeper.errors import Exit, GatekeeperError
from gatekeeper.identity import resolve
from gatekeeper.report import Report, render_text


def _emit(report: Report, stream: IO[str], prefix: str = "") -> None:
    stream.write(render_text(report, stream, prefix=prefix))
    stream.flush()


def pre_commit(repo: git.Repo, *, agent: str | None, stream: IO[str]) -> int:
    """The pre-commit stage: the staged change; identity from ``PACT_AGENT`` (no message yet)."""
    report = check_staged(repo, message="", opts=Options(where="client", agent=agent))
    if report.findings or report.blocked:
        _emit(report, stream)
    return Exit.BLOCKED if report.blocked else Exit.OK


def commit_msg(repo: git.Repo, message_file: Path, *, agent: str | None, stream: IO[str]) -> int:
    """The commit-msg stage: the staged change plus the message's trailers. The main hook."""
    raw = message_file.read_bytes()
    message = raw.decode("utf-8", "replace")
    report = check_staged(repo, message=message, opts=Options(where="client", agent=agent))
    if report.findings or report.blocked:
        _emit(report, stream)
    return Exit.BLOCKED if report.blocked else Exit.OK


def pre_push(repo: git.Repo, remote: str, lines: list[str], *, agent: str | None,
             stream: IO[str]) -> int:
    """pre-push: every ref being pushed; only the commits the remote does not have."""
    include: list[str] = []
    exclude: list[str] = []
    with git.CatFile(repo) as cat:
        for line in lines:
            parts = line.split()
            if len(parts) != 4:
                continue
            _local_ref, local_sha, _remote_ref, remote_sha = parts
            if set(local_sha) == {"0"}:
                continue  # a deletion pushes no commits
            include.append(local_sha)
            if set(remote_sha) != {"0"} and cat.info(remote_sha) is not None:
                exclude.append(remote_sha)
    if not include:
        return Exit.OK
    report = check_revisions(repo, include, exclude, exclude_refs=(f"--remotes={remote}",),
                             opts=Options(where="client", agent=agent))
    if report.findings or report.blocked:
        _emit(report, stream)
    return Exit.BLOCKED if report.blocked else Exit.OK


# ------------------------------------------------------------------ server side


class DeadlineExceeded(Exception):
    """The pre-receive deadline passed before a verdict."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise DeadlineExceeded in the main thread after ``seconds`` (POSIX timers)."""
    if not hasattr(signal, "setitimer") or seconds <= 0:
        yield
        return

    def fire(_sig: int, _frame: object) -> None:
        raise DeadlineExceeded(f"no verdict within {seconds:g} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class ServerSettings:
    """Server options: the repository's config, then ``git config gatekeeper.*`` (admin)."""

    deadline: float
    fail_open: bool


def _git_config(repo: git.Repo, key: str) -> str | None:
    out = git.run(["config", "--get", key], repo.cwd, check=False).decode().strip()
    return out or None


def server_settings(repo: git.Repo, ctx: Context | None) -> ServerSettings:
    """Deadline and fail-open, with the bare repository's git config taking precedence."""
    deadline_s = ctx.config.server.deadline if ctx else 4.5
    fail_open = ctx.config.server.fail_open if ctx else False
    env_deadline = os.environ.get("GATEKEEPER_DEADLINE")
    cfg_deadline = env_deadline or _git_config(repo, "gatekeeper.deadline")
    if cfg_deadline:
        try:
            deadline_s = float(cfg_deadline)
        except ValueError:
            pass
    cfg_open = _git_config(repo, "gatekeeper.failOpen")
    if cfg_open is not None:
        fail_open = cfg_open.lower() in ("1", "true", "yes", "on")
    return ServerSettings(deadline=deadline_s, fail_open=fail_open)


def _prefix() -> str:
    # GitLab shows only GL-HOOK-ERR lines to the pusher in its UI.
    return "GL-HOOK-ERR: " if os.environ.get("GL_ID") else ""


def pre_receive(repo: git.Repo, lines: list[str], stream: IO[str]) -> int:
    """The authoritative gate: judge every commit new to the repository, for every ref."""
    prefix = _prefix()
    base_ctx: Context | None = None
    try:
        with git.CatFile(repo) as cat:
            head = cat.info("HEAD")
            base_ctx = load_at(repo, cat, head[0] if head else None)
    except GatekeeperError:
        base_ctx = None  # judged (and reported) below, where a bad config fails closed
    settings = server_settings(repo, base_ctx)
    try:
        with deadline(settings.deadline):
            report = _judge_push(repo, lines, base_ctx)
    except (DeadlineExceeded, GatekeeperError, Exception) as exc:
        git.kill_all()
        kind = "timed out" if isinstance(exc, DeadlineExceeded) else "could not decide"
        detail = str(exc) if isinstance(exc, (DeadlineExceeded, GatekeeperError)) else (
            f"internal error: {type(exc).__name__}: {exc}")
        if not isinstance(exc, (DeadlineExceeded, GatekeeperError)):
            traceback.print_exc(file=sys.stderr)
        if settings.fail_open:
            stream.write(f"{prefix}pact-gatekeeper {kind} ({detail}); the server is configured "
                         "to fail open (gatekeeper.failOpen), so the push is accepted.\n")
            return Exit.OK
        stream.write(f"{prefix}pact-gatekeeper {kind}: {detail}\n"
                     f"{prefix}The push is rejected (the server fails closed). Fix the cause, "
                     "or an admin sets 'git config gatekeeper.failOpen true'.\n")
        return Exit.BLOCKED
    if report.findings or report.blocked:
        _emit(report, stream, prefix)
    return Exit.BLOCKED if report.blocked else Exit.OK


def _judge_push(repo: git.Repo, lines: list[str], base_ctx: Context | None) -> Report:
    include: list[str] = []
    updates: list[tuple[str, str, str]] = []
    for line in lines:
        parts = line.split()
        if len(parts) != 3:
            continue
        old, new, ref = parts
        updates.append((old, new, ref))
        if set(new) != {"0"}:
            include.append(new)
    opts = Options(where="server")
    report = check_revisions(repo, include, [], exclude_refs=("--all",), opts=opts) if include \
        else Report(where="server")
    if base_ctx is not None:
        report.findings.extend(_protected_refs(updates, base_ctx))
        if not report.rules:
            report.rules = base_ctx.rules
    if report.findings:
        # Notes for the ref-level findings too (check_revisions wrote the commit-level ones).
        from gatekeeper.checker import _finish

        extra = Report(findings=[f for f in report.findings if f.rule == "protected-ref"],
                       where="server", rules=report.rules)
        _finish(repo, extra, base_ctx, opts)
        report.escalations += extra.escalations
    return report


def _protected_refs(updates: list[tuple[str, str, str]], ctx: Context) -> list:  # type: ignore[type-arg]
    if not ctx.config.server.protected_refs:
        return []
    out = []
    ident = resolve({}, server=True)
    for old, new, ref in updates:
        pseudo = ChangeSet(commit=new if set(new) != {"0"} else old, parents=(), author_name="",
                           author_email="", message="", files=[])
        env = Environment(where="server", ref=ref)
        out.extend(evaluate(pseudo, ctx, ident, env, only={"protected-ref"}))
    return out
