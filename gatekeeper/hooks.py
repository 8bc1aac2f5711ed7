# gatekeeper/hooks.py: git hook adapters: pre-commit, commit-msg, pre-push; pre-receive (server).
"""Each adapter turns a git hook's inputs into one call of :mod:`gatekeeper.checker`, so the
verdict is the same everywhere. The server-side pre-receive hook is the authoritative
gate: it fails closed when it cannot decide, within a deadline. It also carries what only a
server needs: adoption (bootstrap, the adopting commit, the default-branch fallback, the
admin's pinned roster), protected refs per ref, one note per rule, feature and agent of a
push, and a bounded summary for big pushes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from gatekeeper import git
from gatekeeper.changes import ChangeSet
from gatekeeper.checker import Options, check_revisions, check_staged
from gatekeeper.context import (
    Context,
    branches_with_pact,
    carries_pact,
    default_branch,
    inbox_dir,
    list_branches,
    load_at,
    pinned_roster,
    with_roster,
)
from gatekeeper.engine import Environment, Finding, evaluate, fingerprint
from gatekeeper.errors import ConfigError, Exit, GatekeeperError, GitError
from gatekeeper.identity import Identity, pusher_from_env, resolve
from gatekeeper.record import dataclass, field
from gatekeeper.report import Report, clean_text, render_text

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import IO


def _emit(report: Report, stream: IO[str], prefix: str = "") -> None:
    _write(stream, render_text(report, stream, prefix=prefix))


def _write(stream: IO[str], text: str) -> None:
    try:
        stream.write(text)
    except UnicodeEncodeError:
        # A non-UTF-8 file name arrives as surrogates: print it escaped, never crash on it.
        stream.write(clean_text(text))
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
    try:
        raw = message_file.read_bytes()
    except OSError as exc:
        raise GatekeeperError(f"cannot read the commit message file {message_file}: "
                              f"{exc.strerror or exc}") from None
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
def deadline(seconds: float, error: Callable[[], BaseException] | None = None,
             ) -> Iterator[None]:
    """Raise ``error()`` in the main thread after ``seconds`` (POSIX timers); by default a
    DeadlineExceeded that names the server setting. The Claude Code adapter shares it."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def fire(_sig: int, _frame: object) -> None:
        if error is not None:
            raise error()
        raise DeadlineExceeded(
            f"no verdict within {seconds:g} s; an admin raises the limit in the bare "
            f"repository: git config gatekeeper.deadline {max(30, int(seconds * 4))}")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class ServerSettings:
    """Server options. Precedence, lowest first: built-in defaults, ``[server] deadline``
    in the repository's config (as committed on the default branch), the bare
    repository's ``git config gatekeeper.deadline``, and ``GATEKEEPER_DEADLINE`` in the
    hook's environment. Fail-open comes only from ``git config gatekeeper.failOpen``:
    ``[server] fail_open`` in the committed config is ignored (a pusher could commit it)."""

    deadline: float
    fail_open: bool
    warnings: list[str] = field(default_factory=list)


def _git_config(repo: git.Repo) -> dict[str, str]:
    """The repository's ``gatekeeper.*`` git config (keys lower-cased), in one process."""
    out = git.run(git.GATEKEEPER_CONFIG, repo.cwd, check=False)
    found: dict[str, str] = {}
    for item in out.decode("utf-8", "replace").split("\0"):
        key, _, value = item.partition("\n")
        if key:
            found[key.lower()] = value
    return found


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _positive(where: str, value: float) -> float:
    import math

    if not math.isfinite(value) or value <= 0:
        raise ConfigError(where, f"the deadline must be a number of seconds above 0, not "
                          f"{value:g} (there is no 'no deadline': a hook that never answers "
                          "blocks every push)")
    return value


def server_settings(repo: git.Repo, ctx: Context | None,
                    admin: Mapping[str, str] | None = None) -> ServerSettings:
    """Deadline and fail-open for the pre-receive hook (see :class:`ServerSettings`).

    Raises ConfigError for a deadline of zero or less (wherever it is set).
    """
    admin = _git_config(repo) if admin is None else admin
    settings = ServerSettings(deadline=4.5, fail_open=False)
    if ctx is not None:
        settings.deadline = _positive(".pact/config.toml: [server] deadline",
                                      float(ctx.config.server.deadline))
        if ctx.config.server.fail_open:
            settings.warnings.append(
                "ignoring [server] fail_open in .pact/config.toml: whether the server fails "
                "open is the admin's decision only (git config gatekeeper.failOpen true)")
    for where, value in (("git config gatekeeper.deadline", admin.get("gatekeeper.deadline")),
                         ("GATEKEEPER_DEADLINE", os.environ.get("GATEKEEPER_DEADLINE"))):
        if not value:
            continue
        try:
            number = float(value)
        except ValueError:
            settings.warnings.append(f"ignoring {where}={value!r} (not a number of seconds); "
                                     f"the deadline is {settings.deadline:g} s")
            continue
        settings.deadline = _positive(where, number)
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


#: Files the adopting commit may change besides ``.pact/``: hook configuration.
HOOK_CONFIG = (".pre-commit-config.yaml", ".pre-commit-hooks.yaml", "lefthook.yml",
               "lefthook.yaml", ".lefthook.yml")
HOOK_CONFIG_DIRS = (".pact/", ".githooks/", ".husky/")


#: The workflow rules of pact-core; the adopting commit has no parent state for them.
WORKFLOW_RULES = frozenset({"phase-gate", "domain-boundary", "scope-budget", "ledger-integrity",
                            "unplanned-work", "agent-identity", "halt-freeze", "protected-ref"})


def _hook_config(path: str) -> bool:
    return path in HOOK_CONFIG or path.startswith(HOOK_CONFIG_DIRS)


def adopted_marker(repo: git.Repo) -> Path:
    """The file that records, in the bare repository, that PACT was adopted there."""
    return repo.common_dir / "pact" / "adopted"


class ServerView:
    """What the server judges by, read once per push.

    - ``adopted``: some branch carries ``.pact/``. Before that, commits are accepted with
      a notice, and the commit that first adds ``.pact/`` adopts PACT (trust on first use).
    - ``base``: the default branch's context (with the pinned roster): it judges a root
      commit and a commit whose parent has no ``.pact/`` (no escape through an orphan
      branch), and gives the server settings.
    - ``pinned``: the roster an admin pinned with ``git config gatekeeper.roster FILE``;
      it replaces every committed roster.
    """

    def __init__(self, repo: git.Repo, cat: git.CatFile, admin: Mapping[str, str]) -> None:
        self.repo = repo
        self.cat = cat
        branches = list_branches(repo)
        self.default = default_branch(repo, cat, branches)
        with_pact = branches_with_pact(cat, branches)
        # Once adopted, always adopted: deleting every branch that carries .pact/ must not
        # put the server back into the accept-everything bootstrap (an admin removes the
        # marker to start over).
        self.adopted = bool(with_pact) or adopted_marker(repo).exists()
        self.adopting = False  # set when this push carries an adopting commit
        if with_pact:
            self.mark_adopted()
        self.pinned = pinned_roster(repo, admin.get("gatekeeper.roster", ""))
        rev = None
        if self.adopted:
            rev = self.default[1] if self.default and carries_pact(cat, self.default[1]) \
                else branches[with_pact[0]]
        self._cache: dict[str, Context] = {}
        self.base = self.adjust(load_at(repo, cat, rev), fallback=False)

    def mark_adopted(self) -> None:
        """Write the adoption marker (once)."""
        marker = adopted_marker(self.repo)
        if marker.exists():
            return
        with contextlib.suppress(OSError):
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text("PACT adopted; remove this file to return the repository to "
                              "bootstrap (README: Adopting PACT on a server)\n",
                              encoding="utf-8")

    def adjust(self, ctx: Context, fallback: bool = True) -> Context:
        """The context that really judges: the default branch's when ``ctx`` has no
        ``.pact/`` (once adopted), and the pinned roster in every case."""
        if fallback and self.adopted and not ctx.has_pact:
            return self.base
        if self.pinned is None:
            return ctx
        got = self._cache.get(ctx.key)
        if got is None:
            got = self._cache[ctx.key] = with_roster(ctx, self.pinned[1])
        return got

    def ref_context(self, ref: str, old: str) -> Context:
        """Protected refs for ``ref``: from its current tip, else the default branch."""
        if not _is_zero(old) and carries_pact(self.cat, old):
            return self.adjust(load_at(self.repo, self.cat, old))
        return self.base


def pre_receive(repo: git.Repo, lines: list[str], stream: IO[str]) -> int:
    """The authoritative gate: judge every commit new to the repository, for every ref."""
    prefix = _prefix()
    admin = _git_config(repo)
    with git.CatFile(repo) as cat:
        view: ServerView | None = None
        base_error: GatekeeperError | None = None
        try:
            view = ServerView(repo, cat, admin)
        except GatekeeperError as exc:
            base_error = exc  # nothing can be judged: fail closed below
        try:
            settings = server_settings(repo, view.base if view else None, admin)
        except ConfigError as exc:
            base_error = base_error or exc
            settings = ServerSettings(deadline=4.5, fail_open=False)
            cfg_open = admin.get("gatekeeper.failopen", "").lower()
            settings.fail_open = cfg_open in _TRUE
        for warning in settings.warnings:
            stream.write(f"{prefix}pact-gatekeeper: warning: {warning}\n")
        try:
            if base_error is not None:
                raise base_error
            assert view is not None
            with deadline(settings.deadline):
                try:
                    report = _judge_push(repo, cat, lines, view, admin)
                except ConfigError as exc:
                    # A pushed commit broke the ledger, config or policies: that is a
                    # verdict about the push, not a failure to decide.
                    report = _integrity_block(repo, view, exc)
            _mark_landed(repo, view, report)
            if view.adopting and not report.blocked:
                view.mark_adopted()
            return _verdict(report, stream, prefix)
        except (DeadlineExceeded, GatekeeperError, Exception) as exc:
            return _undecided(exc, settings, stream, prefix)


#: Above this many findings the pusher gets a summary instead of every finding.
SUMMARY_LINES = 50


def _verdict(report: Report, stream: IO[str], prefix: str) -> int:
    if report.findings or report.blocked or report.notices:
        if len(report.findings) * 5 + len(report.notices) + 2 > SUMMARY_LINES:
            _write(stream, summary_text(report, prefix))
        else:
            _emit(report, stream, prefix)
    return Exit.BLOCKED if report.blocked else Exit.OK


def summary_text(report: Report, prefix: str = "", limit: int = SUMMARY_LINES) -> str:
    """A big push's verdict in at most ``limit`` lines: one line per rule, feature and
    agent (with counts and the note to read), the first fix of each rule, then totals."""
    groups: dict[tuple[str, str, str, str], list[Finding]] = {}
    for f in report.active:
        key = (f.action, f.rule, f.feature or "-", f.agent or "unknown")
        groups.setdefault(key, []).append(f)
    order = sorted(groups, key=lambda k: (k[0] != "block", k[1], k[2], k[3]))
    lines: list[str] = []
    fixes: dict[str, str] = {}
    budget = limit - 6 - min(len(report.notices), 3)
    for n, key in enumerate(order):
        if len(lines) >= budget - 1:
            lines.append(f"... and {len(order) - n} more group(s); "
                         "gatekeeper escalations list (on the server) shows them all")
            break
        action, rule, feature, agent = key
        found = groups[key]
        commits = list(dict.fromkeys(f.commit for f in found))
        paths = list(dict.fromkeys(p for f in found for p in f.paths))
        note = next((f.escalation for f in found if f.escalation), None)
        tag = "BLOCK" if action == "block" else "WARN"
        lines.append(f"{tag} {rule} feature={feature} agent={agent}: {len(found)} finding(s) "
                     f"in {len(commits)} commit(s), {len(paths)} path(s)"
                     + (f"; note {note}" if note else ""))
        if rule not in fixes and found[0].remedy:
            fixes[rule] = found[0].remedy
    for rule, fix in list(fixes.items())[: max(0, limit - len(lines) - 5)]:
        lines.append(f"fix {rule}: {fix}"[:300])
    lines.extend(report.notices[:3])
    blocks = sum(1 for f in report.active if f.action == "block")
    warns = len(report.active) - blocks
    lines.append(f"pact-gatekeeper: {'BLOCKED' if report.blocked else 'passed'}: "
                 f"{report.commits} change(s), {blocks} blocking, {warns} warning(s), "
                 f"{len(report.waived)} waived, {len(report.escalations)} escalation note(s) "
                 f"(summary: {len(groups)} group(s) of rule, feature and agent)")
    return "".join(f"{prefix}{ln}\n" for ln in lines[:limit])


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
                     "to fail open (git config gatekeeper.failOpen), so the push is accepted.\n")
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


def _judge_push(repo: git.Repo, cat: git.CatFile, lines: list[str], view: ServerView,
                admin: Mapping[str, str]) -> Report:
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
    opts = Options(where="server", record=False, adjust=view.adjust)
    findings: list[Finding] = []
    notices: list[str] = []
    exclude: list[str] = []
    if include and not view.adopted:
        exclude, adopt_findings, notice = _bootstrap(repo, cat, include, view)
        findings.extend(adopt_findings)
        if notice:
            notices.append(notice)
    report = check_revisions(repo, include, exclude, exclude_refs=("--all",), opts=opts) \
        if include else Report(where="server")
    report.findings = findings + report.findings
    report.notices = notices + report.notices
    report.commits += len(exclude)
    report.findings.extend(_protected_refs(updates, view, admin))
    if not report.rules:
        report.rules = view.base.rules
    record_push(repo, report, view.base)
    return report


def _bootstrap(repo: git.Repo, cat: git.CatFile, include: list[str], view: ServerView,
               ) -> tuple[list[str], list[Finding], str | None]:
    """Before adoption: the commits without ``.pact/`` (accepted, with a notice) and the
    adopting commits (judged here); returns what check_revisions must leave out."""
    out = git.run(["rev-list", "--parents", *include, "--not", "--all"], repo.cwd)
    plain: list[str] = []
    adopting: list[tuple[str, str | None]] = []
    for line in out.decode("ascii", "replace").splitlines():
        sha, *parents = line.split()
        first = parents[0] if parents else None
        if first is not None and carries_pact(cat, first):
            continue  # after adoption in the same push: judged by its parent's context
        if carries_pact(cat, sha):
            adopting.append((sha, first))
        else:
            plain.append(sha)
    findings: list[Finding] = []
    for sha, parent in adopting:
        findings.extend(_judge_adoption(repo, cat, sha, parent, view))
    view.adopting = bool(adopting)
    notice = None
    if plain:
        notice = (f"pact-gatekeeper: notice: PACT is not adopted here yet (no branch carries "
                  f".pact/): {len(plain)} commit(s) accepted unjudged; the first commit that "
                  "adds .pact/ adopts it (README: Adopting PACT on a server).")
    return plain + [sha for sha, _ in adopting], findings, notice


def _rule_meta(ctx: Context, rule_id: str) -> tuple[str, str, str]:
    for rule in ctx.rules:
        if rule.id == rule_id:
            return rule.title, rule.level, rule.category
    return rule_id, "ALERT", "SECURITY"


def _block(ctx: Context, rule: str, commit: str, message: str, remedy: str, paths: list[str],
           evidence: str, impact: str, agent: str | None = None) -> Finding:
    title, level, category = _rule_meta(ctx, rule)
    return Finding(rule=rule, title=title, level=level, category=category, action="block",
                   message=message, remedy=remedy, impact=impact, paths=paths,
                   commit=commit[:12], feature=None, agent=agent,
                   fingerprint=fingerprint(rule, None, agent, evidence))


def _judge_adoption(repo: git.Repo, cat: git.CatFile, sha: str, parent: str | None,
                    view: ServerView) -> list[Finding]:
    """The adopting commit: only ``.pact/`` and hook configuration, pushed by an
    orchestrator of the roster it introduces (or of the admin's pinned roster)."""
    base = ["diff-tree", "-r", "-z", "--name-only", "--no-renames", "--no-commit-id"]
    args = [*base, parent, sha] if parent else [*base, "--root", sha]
    names = [p for p in git.run(args, repo.cwd).decode("utf-8", "surrogateescape").split("\0")
             if p]
    impact = ("Whoever adopts PACT writes its first roster: only the orchestrator may, and "
              "nothing else may ride along unjudged.")
    findings: list[Finding] = []
    others = [p for p in names if not _hook_config(p)]
    if others:
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5
                                          else "")
        findings.append(_block(
            view.base, "ledger-integrity", sha,
            f"commit {sha[:12]} adopts PACT (it adds .pact/) but also changes {shown}; the "
            "adopting commit may change only .pact/ and hook configuration files.",
            "Commit .pact/ (and hook configuration) on its own first: git reset --soft "
            "HEAD~1, then git commit -- .pact .pre-commit-config.yaml, push that, then "
            "commit and push the rest.", others[:50], f"adopt-extra:{sha}", impact))
    try:
        own = view.adjust(load_at(repo, cat, sha), fallback=False)
    except ConfigError as exc:
        findings.append(_block(
            view.base, "ledger-integrity", sha,
            f"commit {sha[:12]} adopts PACT with a broken set-up: {exc}",
            "Fix the file named (gatekeeper init writes a valid one), amend the commit and "
            "push again.", [exc.where.split(":")[0]], f"adopt-broken:{sha}", impact))
        return findings
    pusher, _var = pusher_from_env()
    # Nothing rides along unjudged: the content rules (secrets, .env files...) judge the
    # adopting commit by the set-up it introduces; the workflow rules have no parent
    # state to judge it by.
    content = {r.id for r in own.rules} - WORKFLOW_RULES
    for change in git.log_changes(repo, [sha], [parent] if parent else [], limit=1):
        ident = Identity(agent="orchestrator", source="adoption", pusher=pusher)
        findings.extend(f for f in evaluate(change, own, ident, Environment(where="server"),
                                            only=content) if f.action == "block")
    orchestrators = own.config.roster.get("orchestrator", [])
    where = (f"the roster pinned by the admin ({view.pinned[0]})" if view.pinned
             else "the roster this commit introduces ([roster] in .pact/config.toml)")
    if pusher is None:
        findings.append(_block(
            view.base, "ledger-integrity", sha,
            "the server could not tell who pushed the adopting commit (no pusher variable).",
            "An admin configures the hosting (REMOTE_USER, GL_USERNAME...) so pushers are "
            "named, then push again.", [".pact/config.toml"], f"adopt-nopusher:{sha}", impact))
    elif not own.config.roles_of(pusher) or "orchestrator" not in own.config.roles_of(pusher):
        findings.append(_block(
            view.base, "ledger-integrity", sha,
            f"commit {sha[:12]} adopts PACT, but its pusher {pusher!r} is not an orchestrator "
            f"in {where} (orchestrator: {', '.join(orchestrators) or 'nobody'}).",
            (f"Let an orchestrator listed there push it, or ask the admin to add {pusher!r} "
             f"under orchestrator in {view.pinned[0]}." if view.pinned else
             "Let the orchestrator push it. If you are the orchestrator, name your server "
             f"account in .pact/config.toml: [roster] orchestrator = [\"{pusher}\"], amend "
             "the commit (git commit --amend -- .pact/config.toml) and push again."),
            [".pact/config.toml"], f"adopt-pusher:{sha}:{pusher}", impact, agent=None))
    return findings


def _protected_refs(updates: list[tuple[str, str, str]], view: ServerView,
                    admin: Mapping[str, str]) -> list[Finding]:
    """``protected-ref`` for every update, each judged by its ref's own settings (its
    current tip, else the default branch). ``refs/replace/*`` is refused unless an admin
    allows it (``git config gatekeeper.allowReplaceRefs true``)."""
    out: list[Finding] = []
    ident = resolve({}, server=True)
    allow_replace = admin.get("gatekeeper.allowreplacerefs", "").lower() in _TRUE
    for old, new, ref in updates:
        ctx = view.ref_context(ref, old)
        if ref.startswith("refs/replace/") and allow_replace \
                and ref not in ctx.config.server.protected_refs:
            continue
        if not ref.startswith("refs/replace/") and not ctx.config.server.protected_refs:
            continue
        pseudo = ChangeSet(commit=old if _is_zero(new) else new, parents=(), author_name="",
                           author_email="", message="", files=[])
        env = Environment(where="server", ref=ref)
        out.extend(evaluate(pseudo, ctx, ident, env, only={"protected-ref"}))
    return out


def record_push(repo: git.Repo, report: Report, ctx: Context) -> None:
    """One escalation note per rule, feature and agent of a push (listing its commits and
    paths, bounded), for what blocks and for every HALT; sets each finding's note id."""
    no_note = {r.id for r in report.rules if r.params.get("escalate") is False}
    todo = [f for f in report.active
            if (f.action == "block" or f.level == "HALT") and f.rule not in no_note]
    if not todo:
        return
    from gatekeeper.escalations import Inbox, group_findings

    inbox = Inbox(inbox_dir(repo, ctx.config.inbox))
    merged, members = group_findings(todo)
    try:
        notes = inbox.record(merged, "server", repeat_threshold=ctx.config.repeat_threshold)
    except OSError as exc:
        report.notices.append(f"warning: could not write escalation notes to {inbox.root}: {exc}")
        return
    for group, originals in zip(merged, members, strict=True):
        for f in originals:
            f.escalation = group.escalation
    report.escalations = list({n.id: str(n.path) for n in notes}.items())


def _mark_landed(repo: git.Repo, view: ServerView, report: Report) -> None:
    """An accepted push landed its commits: its HALT notes now freeze their features
    (a rejected push's notes never do: those commits are not in the repository)."""
    if report.blocked or not report.escalations:
        return
    from gatekeeper.escalations import Inbox

    inbox = Inbox(inbox_dir(repo, view.base.config.inbox))
    for note_id, _path in report.escalations:
        with contextlib.suppress(GatekeeperError, OSError):
            inbox.update(note_id, landed=True)


def _integrity_block(repo: git.Repo, view: ServerView, exc: ConfigError) -> Report:
    """A pushed commit whose ledger, config or policies do not load: a ledger-integrity
    block with a note (the commit is named when the loader says which)."""
    import re

    found = re.search(r"as committed in ([0-9a-f]{7,40})", str(exc))
    commit = found.group(1) if found else "push"
    where = exc.where.split(":")[0] if exc.where else ".pact/"
    finding = _block(
        view.base, "ledger-integrity", commit,
        f"the push breaks the PACT set-up: {exc}",
        f"Take {commit} out of the push: when it is your last commit, git reset --hard "
        f"HEAD~1 (or restore {where} and git commit --amend); otherwise git rebase -i "
        f"{commit}~1 and drop or fix it. Then push again. Only the orchestrator changes "
        ".pact/, through the gatekeeper CLI (phase, approve, estimate, waive), which writes "
        "valid files.",
        [where], f"broken:{commit}:{exc.where}",
        "A ledger, config or policy that does not load would stop the gate for everyone.")
    report = Report(findings=[finding], where="server", rules=view.base.rules,
                    commits=1 if found else 0)
    record_push(repo, report, view.base)
    return report
