# gatekeeper/hooks.py: git hook adapters: pre-commit, commit-msg, pre-push; pre-receive (server).
"""Each adapter turns a git hook's inputs into one call of :mod:`gatekeeper.checker`, so the
verdict is the same everywhere. The server-side pre-receive hook is the authoritative
gate: it fails closed when it cannot decide, within a deadline.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from gatekeeper import git
from gatekeeper.changes import ChangeSet
from gatekeeper.checker import Options, check_revisions, check_staged, finish
from gatekeeper.context import Context, load_at
from gatekeeper.engine import Environment, Finding, evaluate
from gatekeeper.errors import Exit, GatekeeperError, GitError
from gatekeeper.identity import resolve
from gatekeeper.record import dataclass, field
from gatekeeper.report import Report, render_text


def _emit(report: Report, stream: IO[str], prefix: str = "") -> None:
    stream.write(render_text(report, stream, prefix=prefix))
    stream.flush()


def pre_commit(repo: git.Repo, *, agent: str | None, stream: IO[str]) -> int:
    """The pre-commit stage: the staged change; identity from ``PACT_AGENT`` (no message yet)."""
    opts = Options(where="client", agent=agent)
    report = check_staged(repo, message="", opts=opts)
    if agent is None and not opts.env.get("PACT_AGENT"):
        # No message yet: a missing trailer is for the commit-msg stage to judge.
        report.findings = [f for f in report.findings
                           if not (f.rule == "agent-identity" and f.action == "warn")]
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
    """git's pre-push form: every ``<local ref> <local sha> <remote ref> <remote sha>`` line
    on stdin; deletions are skipped, and only the commits the remote does not have are judged.
    """
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
    return _check_push(repo, include, exclude, remote, agent=agent, stream=stream)


#: Variables the pre-commit framework sets for a pre-push hook (it passes no stdin).
PRE_COMMIT_PUSH_VARS = ("PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF", "PRE_COMMIT_REMOTE_NAME",
                        "PRE_COMMIT_LOCAL_BRANCH")


def pre_push_from_env(repo: git.Repo, env: Mapping[str, str], *, agent: str | None,
                      stream: IO[str]) -> int:
    """The pre-commit framework's pre-push form: refs in ``PRE_COMMIT_*`` variables, no stdin.

    pre-commit reads git's stdin itself and hands over the first pushed ref only:
    ``PRE_COMMIT_FROM_REF`` (what the remote has, or the parent of the first new commit)
    and ``PRE_COMMIT_TO_REF`` (the local tip). When the whole history is new it sets only
    ``PRE_COMMIT_LOCAL_BRANCH``; when run by hand without refs, ``HEAD`` is judged. In both
    cases the commits some ``--remotes=<remote>`` ref already has are left out.
    """
    remote = env.get("PRE_COMMIT_REMOTE_NAME") or "origin"
    from_ref = env.get("PRE_COMMIT_FROM_REF") or env.get("PRE_COMMIT_ORIGIN")
    to_ref = env.get("PRE_COMMIT_TO_REF") or env.get("PRE_COMMIT_SOURCE")
    if to_ref:
        include = [to_ref]
        exclude = [from_ref] if from_ref and set(from_ref) != {"0"} else []
    else:
        include = [env.get("PRE_COMMIT_LOCAL_BRANCH") or "HEAD"]
        exclude = []
    return _check_push(repo, include, exclude, remote, agent=agent, stream=stream)


def _check_push(repo: git.Repo, include: list[str], exclude: list[str], remote: str, *,
                agent: str | None, stream: IO[str]) -> int:
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
    """Server options. Precedence, lowest first: built-in defaults, ``[server]`` in the
    repository's config (as committed at the bare repository's ``HEAD``), the bare
    repository's ``git config gatekeeper.deadline`` / ``gatekeeper.failOpen`` (which pushers
    cannot change), and ``GATEKEEPER_DEADLINE`` in the hook's environment."""

    deadline: float
    fail_open: bool
    warnings: list[str] = field(default_factory=list)


def _git_config(repo: git.Repo) -> dict[str, str]:
    """The repository's ``gatekeeper.*`` git config (keys lower-cased), in one process."""
    out = git.run(["config", "-z", "--get-regexp", r"^gatekeeper\."], repo.cwd, check=False)
    found: dict[str, str] = {}
    for item in out.decode("utf-8", "replace").split("\0"):
        key, _, value = item.partition("\n")
        if key:
            found[key.lower()] = value
    return found


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def server_settings(repo: git.Repo, ctx: Context | None) -> ServerSettings:
    """Deadline and fail-open for the pre-receive hook (see :class:`ServerSettings`)."""
    settings = ServerSettings(deadline=ctx.config.server.deadline if ctx else 4.5,
                              fail_open=ctx.config.server.fail_open if ctx else False)
    admin = _git_config(repo)
    for where, value in (("git config gatekeeper.deadline", admin.get("gatekeeper.deadline")),
                         ("GATEKEEPER_DEADLINE", os.environ.get("GATEKEEPER_DEADLINE"))):
        if not value:
            continue
        try:
            settings.deadline = float(value)
        except ValueError:
            settings.warnings.append(f"ignoring {where}={value!r} (not a number of seconds); "
                                     f"the deadline is {settings.deadline:g} s")
    cfg_open = admin.get("gatekeeper.failopen")
    if cfg_open is not None:
        if cfg_open.lower() in _TRUE + _FALSE:
            settings.fail_open = cfg_open.lower() in _TRUE
        else:
            settings.warnings.append(f"ignoring git config gatekeeper.failOpen={cfg_open!r} "
                                     "(not a boolean)")
    return settings


def _prefix() -> str:
    # GitLab shows only GL-HOOK-ERR lines to the pusher in its UI.
    return "GL-HOOK-ERR: " if os.environ.get("GL_ID") else ""


def pre_receive(repo: git.Repo, lines: list[str], stream: IO[str]) -> int:
    """The authoritative gate: judge every commit new to the repository, for every ref."""
    prefix = _prefix()
    with git.CatFile(repo) as cat:
        base_ctx: Context | None = None
        base_error: GatekeeperError | None = None
        try:
            head = cat.info("HEAD")
            base_ctx = load_at(repo, cat, head[0] if head else None)
        except GatekeeperError as exc:
            base_error = exc  # ref-level rules cannot be judged: fail closed below
        settings = server_settings(repo, base_ctx)
        for warning in settings.warnings:
            stream.write(f"{prefix}pact-gatekeeper: warning: {warning}\n")
        try:
            if base_error is not None:
                raise base_error
            with deadline(settings.deadline):
                report = _judge_push(repo, cat, lines, base_ctx)
            return _verdict(report, stream, prefix)
        except (DeadlineExceeded, GatekeeperError, Exception) as exc:
            return _undecided(exc, settings, stream, prefix)


def _verdict(report: Report, stream: IO[str], prefix: str) -> int:
    if report.findings or report.blocked:
        _emit(report, stream, prefix)
    return Exit.BLOCKED if report.blocked else Exit.OK


def _undecided(exc: BaseException, settings: ServerSettings, stream: IO[str], prefix: str) -> int:
    """No verdict (timeout, bad config, crash): reject, unless the server fails open."""
    git.kill_all()
    kind = "timed out" if isinstance(exc, DeadlineExceeded) else "could not decide"
    detail = str(exc) if isinstance(exc, (DeadlineExceeded, GatekeeperError)) else (
        f"internal error: {type(exc).__name__}: {exc}")
    if not isinstance(exc, (DeadlineExceeded, GatekeeperError)):
        import traceback  # the error path only

        traceback.print_exception(exc, file=sys.stderr)
    if settings.fail_open:
        stream.write(f"{prefix}pact-gatekeeper {kind} ({detail}); the server is configured "
                     "to fail open (gatekeeper.failOpen), so the push is accepted.\n")
        return Exit.OK
    stream.write(f"{prefix}pact-gatekeeper {kind}: {detail}\n"
                 f"{prefix}The push is rejected (the server fails closed). Fix the cause, "
                 "or an admin sets 'git config gatekeeper.failOpen true'.\n")
    return Exit.BLOCKED


def _is_zero(sha: str) -> bool:
    return set(sha) == {"0"}


def _peel_new_tips(cat: git.CatFile, updates: list[tuple[str, str, str]]) -> list[str]:
    """The commits the pushed ref values point at: annotated tags are peeled; a deletion, or
    a tag of a tree or blob, brings no commits to judge."""
    tips: list[str] = []
    news = [new for _old, new, _ref in updates if not _is_zero(new)]
    if not news:
        return tips
    for new in news:
        got = cat.info(new)
        if got is None:
            raise GitError(f"pushed object {new[:12]} is not in the repository")
        if got[1] == "commit":
            tips.append(new)
        elif got[1] == "tag":
            peeled = cat.info(f"{new}^{{commit}}")
            if peeled is not None:
                tips.append(peeled[0])
    return list(dict.fromkeys(tips))


def _judge_push(repo: git.Repo, cat: git.CatFile, lines: list[str],
                base_ctx: Context | None) -> Report:
    """Judge every commit new to the repository (``NEW --not --all``), for all refs at once,
    plus the ref-level rules (protected refs) for every update, deletions included."""
    updates: list[tuple[str, str, str]] = []
    for line in lines:
        parts = line.split()
        if len(parts) != 3:
            continue
        old, new, ref = parts
        updates.append((old, new, ref))
    include = _peel_new_tips(cat, updates)
    opts = Options(where="server")
    report = check_revisions(repo, include, [], exclude_refs=("--all",), opts=opts) if include \
        else Report(where="server")
    if base_ctx is not None:
        ref_findings = _protected_refs(updates, base_ctx)
        if ref_findings:
            report.findings.extend(ref_findings)
            # Notes for the ref-level findings too (check_revisions wrote the commit-level ones).
            extra = finish(repo, Report(findings=ref_findings, where="server"), base_ctx, opts)
            report.escalations += extra.escalations
        if not report.rules:
            report.rules = base_ctx.rules
    return report


def _protected_refs(updates: list[tuple[str, str, str]], ctx: Context) -> list[Finding]:
    if not ctx.config.server.protected_refs:
        return []
    out: list[Finding] = []
    ident = resolve({}, server=True)
    for old, new, ref in updates:
        pseudo = ChangeSet(commit=old if _is_zero(new) else new, parents=(), author_name="",
                           author_email="", message="", files=[])
        env = Environment(where="server", ref=ref)
        out.extend(evaluate(pseudo, ctx, ident, env, only={"protected-ref"}))
    return out
