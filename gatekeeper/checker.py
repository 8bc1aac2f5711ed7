# gatekeeper/checker.py: drives a check: git -> contexts -> engine -> escalations -> Report.
"""The one pipeline behind ``gatekeeper check`` and every hook, so verdicts are identical
wherever the gatekeeper runs:

    adapter -> git (one log stream, one cat-file) -> parent contexts -> engine
            -> deferred scope budgets (one diff-tree) -> escalation notes -> Report
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path

from gatekeeper import git, workers
from gatekeeper.changes import ChangeSet, FileChange, scan_limit
from gatekeeper.context import (
    CONFIG_PATH,
    POLICY_DIR,
    Context,
    baseline_lost,
    inbox_dir,
    load_at,
    recover_baseline,
    touches_context,
)
from gatekeeper.engine import SYMLINK_MODE, Environment, Finding, evaluate, fingerprint
from gatekeeper.errors import GatekeeperError, GitError
from gatekeeper.identity import resolve
from gatekeeper.ledger import LEDGER_PATH, Feature
from gatekeeper.record import dataclass, field
from gatekeeper.report import Report
from gatekeeper.rules.scope import feature_lines, feature_pathspecs
from gatekeeper.scopestats import staged_numstat
from gatekeeper.trailers import start_staged_block

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any


@dataclass
class Options:
    """How a check runs."""

    where: str = "client"  # client | ci | server
    agent: str | None = None  # --agent
    record: bool = True  # write escalation notes
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    ref: str | None = None
    #: The server's context policy (gatekeeper.hooks): fallback and pinned-roster contexts.
    adjust: Callable[[Context], Context] | None = None
    #: Worker processes for a long range (None: GATEKEEPER_JOBS, else as many as there are
    #: CPUs, at most 4; 1: none). See gatekeeper/workers.py.
    jobs: int | None = None


class _Reader:
    """Blob access for the rules (ledger integrity, file size), through one cat-file."""

    def __init__(self, cat: git.CatFile) -> None:
        self.cat = cat
        #: cat-file name -> bytes (None: absent or not a file), read ahead by :meth:`prefetch`
        #: and taken once by :meth:`data`.
        self.ahead: dict[str, bytes | None] = {}

    def prefetch(self, change: ChangeSet, paths: list[str], old: bool) -> None:
        """Read the blobs :meth:`data` is about to be asked for, in one batch."""
        specs = [s for s in (self.spec(change, p, old) for p in paths) if s is not None]
        if len(self.ahead) > 64:
            self.ahead.clear()  # read ahead and never asked for: dropped, not kept forever
        if len(specs) > 1:
            for spec, got in zip(specs, self.cat.read_many(specs), strict=True):
                self.ahead[spec] = None if got is None or got[1] != "blob" else got[3]

    @staticmethod
    def spec(change: ChangeSet, path: str, old: bool) -> str | None:
        """The cat-file name of ``path`` before (``old``: in the first parent) or after."""
        if change.commit is None:
            rev = (change.parents[0] if change.parents else None) if old else ""
            return f"{rev}:{path}" if old and rev else (None if old else f":{path}")
        rev = (change.parents[0] if change.parents else None) if old else change.commit
        return f"{rev}:{path}" if rev else None

    def data(self, change: ChangeSet, path: str, old: bool) -> bytes | None:
        """The bytes of ``path`` before or after ``change``; None when absent or not a file."""
        spec = self.spec(change, path, old)
        if spec is None:
            return None
        if spec in self.ahead:
            return self.ahead.pop(spec)
        got = self.cat.read(spec)
        return None if got is None or got[1] != "blob" else got[2]

    def text(self, change: ChangeSet, path: str, old: bool) -> str | None:
        data = self.data(change, path, old)
        return None if data is None else data.decode("utf-8", "replace")


def finish(repo: git.Repo, report: Report, ctx: Context | None, opts: Options) -> Report:
    """Write escalation notes for what blocks (and for every HALT), then return the report."""
    if ctx is not None:
        report.rules = ctx.rules
    report.expired_waivers = list({w.id: w for w in report.expired_waivers}.values())
    if not opts.record:
        return report
    no_note = {r.id for r in report.rules if r.params.get("escalate") is False}
    # escalate: true also notes a rule's warnings (destructive SQL by the file's owner).
    always = {r.id for r in report.rules if r.params.get("escalate") is True}
    todo = [f for f in report.active if (f.action == "block" or f.level == "HALT"
                                         or f.rule in always) and f.rule not in no_note]
    if not todo:
        return report
    # Imported here: a passing hook never writes a note, so it never pays for this.
    from gatekeeper.escalations import Inbox

    inbox = Inbox(_inbox_of(repo, ctx))
    try:
        notes = inbox.record(todo, opts.where,
                             repeat_threshold=ctx.config.repeat_threshold if ctx else 3)
    except OSError as exc:
        report.notices.append(f"warning: could not write escalation notes to {inbox.root}: {exc}")
        return report
    seen: dict[str, str] = {}
    for n in notes:
        seen[n.id] = str(n.path)
    report.escalations = list(seen.items())
    return report


def _inbox_of(repo: git.Repo, ctx: Context | None) -> Path:
    """``ctx``'s escalation inbox (the default one without a context)."""
    return inbox_dir(repo, ctx.config.inbox if ctx is not None else None)


def _open_halts(repo: git.Repo, inbox: Path, judged: list[str] | None = None,
                ) -> dict[str, list[str]]:
    """The open HALTs of the escalation inbox at ``inbox``."""
    if not inbox.is_dir():
        return {}  # no note yet: nothing to import or read (a passing hook's common case)
    from gatekeeper.escalations import Inbox

    # A range re-run ignores the HALTs raised about its own commits (same verdict as the
    # first run, which had not written them yet).
    return Inbox(inbox).open_halts(repo=repo, judged=judged)


def check_staged(repo: git.Repo, *, message: str = "", opts: Options) -> Report:
    """Judge the index against HEAD (the client-side pre-commit / commit-msg view)."""
    trailers = start_staged_block(repo.cwd, message, opts.env)  # git's parse, in parallel
    with git.CatFile(repo) as cat:
        head_info = cat.info("HEAD")
        head = head_info[0] if head_info else None
        ctx = load_at(repo, cat, head)
        author = (opts.env.get("GIT_AUTHOR_NAME", ""), opts.env.get("GIT_AUTHOR_EMAIL", ""))
        if ctx.config.roster and not author[1]:
            author = git.ident(repo, "AUTHOR")
        change = git.staged_changes(repo, head, message, author)
        _expand_copies(cat, change)
        _decode_wide(cat, change)
        change.trailer_block = trailers.result()
        reader = _Reader(cat)

        def scope_lines(feature: Feature, _change: ChangeSet) -> int | None:
            base = feature.baseline or git.EMPTY_TREE
            if cat.info(base) is None:  # rewritten by a rebase or amend: see context.py
                base = recover_baseline(repo, base) or ""
                if not base:
                    raise GitError(baseline_lost(feature.id, feature.baseline or "",
                                                 repo.shallow))
            # Counts of blob pairs seen before come from a cache (gatekeeper/scopestats.py).
            stats = staged_numstat(repo, base, feature_pathspecs([feature]), cat=cat)
            return feature_lines(stats, feature)

        halts: dict[str, list[str]] | None = None

        def open_halts() -> dict[str, list[str]]:
            nonlocal halts
            if halts is None:
                halts = _open_halts(repo, _inbox_of(repo, ctx))
            return halts

        env = Environment(where=opts.where, scope_lines=scope_lines, read_text=reader.text,
                          read_bytes=reader.data, prefetch=reader.prefetch,
                          open_halts=open_halts)
        ident = resolve(change.trailers(), flag=opts.agent, env=opts.env,
                        server=opts.where == "server")
        findings = evaluate(change, ctx, ident, env) if change.files else []
        findings.extend(_staged_merge(repo, cat, change, ident, env))
        report = Report(findings=findings, commits=1, where=opts.where,
                        expired_waivers=list(env.expired_seen.values()))
        _oversize(report, [(change, f) for f in change.files if f.truncated], opts.where,
                  ident.agent)
        return finish(repo, report, ctx, opts)


def _staged_merge(repo: git.Repo, cat: git.CatFile, change: ChangeSet, ident: Any,
                  env: Environment) -> list[Finding]:
    """A merge being committed (``MERGE_HEAD``): judged against each parent for the governed
    paths, as a pushed merge is, so ``merge -s ours`` is caught before it is even made."""
    try:
        others = (repo.git_dir / "MERGE_HEAD").read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        return []
    if not others or not change.parents:
        return []
    tree = git.run(["write-tree"], repo.cwd, check=False).decode().strip()
    if not tree:
        return []
    merge = ChangeSet(commit=None, parents=(*change.parents, *others),
                      author_name=change.author_name, author_email=change.author_email,
                      message=change.message, files=change.files, tree=tree,
                      trailer_block=change.trailer_block)
    out: list[Finding] = []
    for view, who in _merge_views(repo, cat, [(merge, ident)]):
        out.extend(evaluate(view, load_at(repo, cat, view.parents[0]), who, env,
                            only={"ledger-integrity"}))
    return out


def check_revisions(repo: git.Repo, include: list[str], exclude: list[str], *, opts: Options,
                    exclude_refs: tuple[str, ...] = (), base_label: str | None = None,
                    limit: int | None = None,
                    ) -> Report:
    """Judge every commit reachable from ``include`` but not ``exclude`` (nor from
    ``exclude_refs``, e.g. ``--all`` on a server), each against its parent's context.

    Constant process count: one ``git log`` stream, one ``cat-file``, one ``diff-tree``
    per worker, and one more ``git log`` for each run an idle worker splits. A long range
    is cut into runs of consecutive commits (in the stream's order) that forked workers
    judge side by side (gatekeeper/workers.py); each commit's verdict depends on its own
    parent only, and the scope budgets, which span the range, are settled here over every
    run's steps, in the stream's order, so the report is the one a single process gives,
    finding for finding.
    """
    shallow: set[str] = set()
    if repo.shallow:
        shallow_file = repo.common_dir / "shallow"
        if shallow_file.is_file():
            shallow = set(shallow_file.read_text().split())
    with _rare_collections(), git.CatFile(repo) as cat:
        for rev in [*include, *exclude]:
            if cat.info(rev) is None:
                hint = (" This is a shallow clone: fetch the full history (GitHub Actions: "
                        "fetch-depth: 0; GitLab CI: GIT_DEPTH: 0)." if repo.shallow else "")
                raise GitError(f"revision {rev!r} is not in this repository.{hint}")
        after: dict[str, Context] = {}
        halts = _Halts(repo, [*include, f"--max-count={limit or -1}", "--not", *exclude,
                              *exclude_refs])
        walk = (include, exclude, exclude_refs, limit)

        def judge(listed: list[str] | None, part: workers.Part | None = None) -> _Run:
            return _judge_run(repo, cat, walk, listed, opts, shallow, after, halts, part)

        jobs = workers.jobs(opts.jobs)
        if jobs > 1 and (limit is None or limit >= 2 * workers.MIN_RUN):
            # The range's commits first, to cut it into runs; a short range is judged here,
            # and the list spares its merges a rev-list of their own. While git lists them:
            # the imports judging needs (once here, not in each worker), and the default
            # inbox's HALTs (read once; a failure is met again, in its place, by the commit
            # that needs the inbox). Judging in this process would do both anyway.
            listing = git.start_range_commits(repo, include, exclude,
                                              exclude_refs=exclude_refs, limit=limit)
            _warm()
            with contextlib.suppress(GatekeeperError):
                halts.of(None)
            listed = listing()
            cut = workers.split(listed, jobs)
            runs = None
            if len(cut) > 1:
                try:
                    runs = [r for _, r in workers.run_parts(
                        listed, [len(c) for c in cut], jobs,
                        lambda part: judge(part.items, part))]
                except workers.Unavailable:
                    runs = None  # a process limit: one process judges, as slowly as before
            if runs is None:
                runs = [judge(listed)]
        else:
            runs = [judge(None)]

        env = _range_env(cat, opts)
        findings = [f for r in runs for f in r.findings]
        for r in runs:
            env.expired_seen.update(r.expired)
        findings.extend(_resolve_scope(repo, cat, env, _settle_scope(runs)))
        last = runs[-1]
        if last.scoped is not None:  # the last run of several settled its own requests
            if last.scoped_error is not None:
                raise last.scoped_error
            findings.extend(last.scoped)
            env.expired_seen.update(last.scoped_expired)
        for r in runs:  # each run judged its own merges' views, after its commits
            if r.views_error is not None:
                raise r.views_error
        for r in runs:
            findings.extend(r.views)
            env.expired_seen.update(r.views_expired)
        count = sum(r.count for r in runs)
        report = Report(findings=findings, commits=count, where=opts.where,
                        expired_waivers=list(env.expired_seen.values()))
        _oversize(report, [t for r in runs for t in r.truncated], opts.where, None)
        if count == 0 and base_label:
            report.notices.append(f"no commits in {base_label}")
        last_ctx = next((r.last_ctx for r in reversed(runs) if r.last_ctx is not None), None)
        return finish(repo, report, last_ctx, opts)


def _range_env(cat: git.CatFile, opts: Options) -> Environment:
    """The environment a range's commits (or its settling) are judged in: blobs read
    through ``cat``, scope budgets left to the range's end."""
    reader = _Reader(cat)
    return Environment(where=opts.where, scope_lines=None, read_text=reader.text,
                       read_bytes=reader.data, prefetch=reader.prefetch, ref=opts.ref)


@contextlib.contextmanager
def _rare_collections() -> Iterator[None]:
    """The cyclic garbage collector runs about thirty times less often while a range is
    judged (in the workers too, which fork inside). Judging allocates many short-lived
    containers, which reference counting frees; the collector, run every 700 allocations,
    also kept walking the range's growing findings and caches: 4 % of a 1,500-commit range's
    CPU time, 10 % of django-rest-framework's in one process. Cycles are still collected."""
    import gc

    old = gc.get_threshold()
    gc.set_threshold(20_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*old)


class _Halts:
    """The open HALTs a range's commits meet, read once per inbox: the contexts of a range
    name one inbox, mostly, and reading it means parsing its notes."""

    def __init__(self, repo: git.Repo, judged: list[str]) -> None:
        self.repo, self.judged = repo, judged
        self.by_ctx: dict[str, dict[str, list[str]]] = {}  # a context's key -> its inbox's
        self.by_inbox: dict[str, dict[str, list[str]]] = {}

    def of(self, ctx: Context | None) -> dict[str, list[str]]:
        """Open HALT note ids per feature, in ``ctx``'s inbox (None: the default inbox)."""
        key = ctx.key if ctx is not None else ""
        got = self.by_ctx.get(key)
        if got is None:
            root = _inbox_of(self.repo, ctx)
            got = self.by_inbox.get(str(root))
            if got is None:
                got = self.by_inbox[str(root)] = _open_halts(self.repo, root, self.judged)
            self.by_ctx[key] = got
        return got


def _warm() -> None:
    """Import what judging a commit imports on first use, once, before the workers fork."""
    import json  # noqa: F401
    import shlex  # noqa: F401
    import tempfile  # noqa: F401

    import gatekeeper.digest
    import gatekeeper.escalations
    import gatekeeper.rules.content
    import gatekeeper.signals  # noqa: F401


@dataclass
class _Run:
    """What judging a run of a range's commits leaves for the range's report: the commits'
    own findings, and what is settled over the whole range (scope budgets, merge views,
    files beyond the scan limit). Pickled when a worker judged it."""

    findings: list[Finding]
    #: Scope requests still pending at the run's end (a subset of the range's own).
    pending: dict[tuple[str, str], Any]
    truncated: list[tuple[ChangeSet, FileChange]]
    expired: dict[str, Any]
    #: The run's merges judged against each parent (see :func:`_merge_views`), and what
    #: that judging met: it comes after the scope budgets in the report, as it did when
    #: one process judged the range after its stream.
    views: list[Finding]
    views_expired: dict[str, Any]
    views_error: BaseException | None
    count: int
    last_ctx: Context | None
    #: Per commit, when asked for: (commit, parents, features of its new scope requests).
    steps: list[tuple[str, tuple[str, ...], tuple[str, ...]]]
    #: The last run of several: its scope requests, which no later commit can supersede,
    #: already judged (see :func:`_settle_scope`), with what that judging met.
    scoped: list[Finding] | None = None
    scoped_expired: dict[str, Any] = field(default_factory=dict)
    scoped_error: BaseException | None = None


def _judge_run(repo: git.Repo, cat: git.CatFile,
               walk: tuple[list[str], list[str], tuple[str, ...], int | None],
               listed: list[str] | None, opts: Options, shallow: set[str],
               after: dict[str, Context], halts: _Halts,
               part: workers.Part | None = None) -> _Run:
    """Judge the range ``walk`` (include, exclude, exclude_refs, limit) commit by commit,
    each against its parent's context (``listed``: its :func:`gatekeeper.git.range_commits`,
    when known). With a ``part`` (a worker's), just the commits of that part, each claimed
    before it is judged: the rest of the part may be taken by another worker (see
    gatekeeper/workers.py). The part that ends the range also judges its own scope
    requests: nothing after it can supersede them, and its worker is then done sooner than
    the parent would be."""
    from gatekeeper.rules.content import same_attributes  # ranges only, not the hooks

    include, exclude, exclude_refs, limit = walk
    last_ctx: Context | None = None

    def ctx_for(parent: str | None) -> Context:
        got = after.get(parent) if parent is not None else None
        if got is None:
            got = load_at(repo, cat, parent)
            if parent is not None:
                after[parent] = got
        return opts.adjust(got) if opts.adjust is not None else got

    findings: list[Finding] = []
    # Per commit: the scope requests (feature -> commits) visible from it, so that a
    # descendant touching the same feature supersedes them.
    reach: dict[str, dict[str, tuple[str, ...]]] = {}
    pending: dict[tuple[str, str], Any] = {}
    truncated: list[tuple[ChangeSet, FileChange]] = []
    merges: list[tuple[ChangeSet, Any]] = []
    trail: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []
    env = _range_env(cat, opts)
    count = 0
    probes: dict[str, bytes | None] = {}
    if part is not None:
        part.reserve()  # claimed before git log writes the first commit: see Part.reserve
    stream = git.log_changes(repo, include, exclude, exclude_refs=exclude_refs, limit=limit,
                             listed=listed, only=part is not None)
    ahead = _read_ahead(cat, stream, probes)
    cut_short = False
    for change in ahead:
        if part is not None and not part.claim():
            cut_short = True  # the rest of the part is another worker's now
            break
        count += 1
        sha = change.commit
        assert sha is not None
        if sha in shallow:
            raise GitError(f"commit {sha[:12]} is a shallow-clone boundary: the range cannot "
                           "be judged completely. Fetch the full history (GitHub Actions: "
                           "fetch-depth: 0; GitLab CI: GIT_DEPTH: 0).")
        ctx = ctx_for(change.parents[0] if change.parents else None)
        last_ctx = ctx
        _expand_copies(cat, change)
        _decode_wide(cat, change, probes)

        env.open_halts = functools.partial(halts.of, ctx)
        ident = resolve(change.trailers(), flag=opts.agent, env=opts.env,
                        server=opts.where == "server")
        findings.extend(evaluate(change, ctx, ident, env))
        same_attributes(change)
        _release(change)
        truncated.extend((change, f) for f in change.files if f.truncated)
        if change.is_merge:
            merges.append((change, ident))
        new = [(item[1].id, item) for item in env.deferred]
        _track_scope_tips(sha, change.parents, new, reach, pending)
        if part is not None:  # the range's scope is settled over every part's steps
            trail.append((sha, change.parents, tuple(fid for fid, _ in new)))
        env.deferred.clear()
        if touches_context([p for f in change.files for p in (f.path, f.old_path) if p]):
            after[sha] = load_at(repo, cat, sha)
        else:
            after[sha] = ctx
    ahead.close()  # a part cut short stops its git log at once
    stream.close()
    if part is not None and not cut_short and part.claim():
        raise GitError(f"git log gave {count} of the {len(part.items)} commits listed")
    expired, env.expired_seen = env.expired_seen, {}
    views: list[Finding] = []
    views_error: BaseException | None = None
    try:
        for view, who in _merge_views(repo, cat, merges):
            views.extend(evaluate(view, ctx_for(view.parents[0]), who, env,
                                  only={"ledger-integrity"}))
    except GatekeeperError as exc:  # raised after the scope budgets, as in one process
        views_error = workers.portable(exc)
    done = _Run(findings=findings, pending=pending, truncated=truncated, expired=expired,
                views=views, views_expired=env.expired_seen, views_error=views_error,
                count=count, last_ctx=last_ctx, steps=trail)
    if part is not None and part.ends_list():
        env.expired_seen = {}
        done.scoped = []
        try:
            done.scoped = _resolve_scope(repo, cat, env, list(pending.values()))
        except GatekeeperError as exc:  # raised after the earlier runs' budgets
            done.scoped_error = workers.portable(exc)
        done.scoped_expired = env.expired_seen
    return done


def _settle_scope(runs: list[_Run]) -> list[Any]:
    """The range's scope requests, in the order one process would have left them.

    A request is superseded by any commit of the range that descends from it and touches
    its feature. Each run has dropped those its own commits supersede, in the order one
    process would have, so what is left is to drop, from the requests earlier runs left,
    those a later run's commits supersede: the steps of every run are replayed in the
    stream's order, each commit seeing the requests still standing in its parents."""
    if len(runs) == 1:
        return list(runs[0].pending.values())
    at: dict[str, list[tuple[str, str]]] = {}  # commit -> its requests, earlier runs only
    for r in runs[:-1]:
        for key in r.pending:
            at.setdefault(key[1], []).append(key)
    dropped: set[tuple[str, str]] = set()
    if at:
        none: frozenset[tuple[str, str]] = frozenset()
        seen: dict[str, frozenset[tuple[str, str]]] = {}
        for r in runs:
            for sha, parents, fids in r.steps:
                got = seen.get(parents[0], none) if len(parents) == 1 else none.union(
                    *(seen.get(p, none) for p in parents))
                if fids and got:
                    gone = {key for key in got if key[0] in fids}
                    dropped |= gone
                    got = got - gone
                if sha in at:
                    got = got.union(at[sha])
                if got:
                    seen[sha] = got
    # The last run's own requests stand (nothing comes after it): judged by its worker.
    return [item for r in (runs if runs[-1].scoped is None else runs[:-1])
            for key, item in r.pending.items() if key not in dropped]


def _read_ahead(cat: git.CatFile, changes: Iterator[ChangeSet],
                probes: dict[str, bytes | None]) -> Generator[ChangeSet, None, None]:
    """``changes``, parsed a few commits ahead of their judging, so that what is read of
    their blobs is read in one round trip per window (a range would otherwise wait for
    cat-file once per commit): the line counts file-size needs, and into ``probes`` (blob ->
    first bytes, None when not a blob) the start of every binary file, for
    :func:`_decode_wide`. At most :data:`gatekeeper.workers.READ_AHEAD` commits (32) or 20,000
    added lines are held ahead."""
    from gatekeeper.rules.content import prime_line_counts

    def fill(window: list[ChangeSet]) -> None:
        prime_line_counts(cat, window)
        probes.clear()
        blobs = list(dict.fromkeys(f.new_blob for c in window for f in _wide_candidates(c)))
        for blob, got in zip(blobs, cat.read_many(blobs, 4) if blobs else (), strict=True):
            probes[blob] = got[3] if got is not None and got[1] == "blob" else None

    window: list[ChangeSet] = []
    held, size = 0, 1
    for change in changes:
        window.append(change)
        held += sum(f.added for f in change.files)
        if len(window) >= size or held >= 20_000:
            fill(window)
            yield from window
            window, held = [], 0
            # The first windows are small, so that judging (and its first imports) starts
            # at once, while git is still sorting out the range's merges.
            size = min(2 * size, workers.READ_AHEAD)
    fill(window)
    yield from window


def _release(change: ChangeSet) -> None:
    """Drop a judged commit's added text: what later stages keep of it (merges, files
    beyond the scan limit) needs its paths and counts only, and the next commit is parsed
    while this one is still referenced. A symlink keeps its one line, its target (a name
    the engine gives the file when a merge is judged again)."""
    for f in change.files:
        if f.added_lines and f.new_mode != SYMLINK_MODE:
            f.added_lines = []


_NO_SCOPE: dict[str, tuple[str, ...]] = {}


def _track_scope_tips(sha: str, parents: tuple[str, ...], new: list[tuple[str, Any]],
                      reach: dict[str, dict[str, tuple[str, ...]]],
                      pending: dict[tuple[str, str], Any]) -> None:
    """Add commit ``sha``'s scope requests (``new``: feature id, request) to ``pending`` and
    drop those it supersedes: the
    requests for the features it touches that are visible from its parents (commits
    arrive parents first). Dropping them at once keeps a long push's memory flat.

    ``reach`` maps every commit to a dict that is never changed once stored, so commits
    share their parent's (most change no feature), and a merge whose sides see the same
    requests shares it too: one dict per distinct state, not one per merge."""
    sides: list[dict[str, tuple[str, ...]]] = []
    for p in parents:
        r = reach.get(p)
        if r and all(r is not s for s in sides):
            sides.append(r)
    touched = {fid for fid, _ in new}
    if not touched and len(sides) <= 1:
        reach[sha] = sides[0] if sides else _NO_SCOPE
        return
    # A feature's tips are a tuple (48 bytes for one commit; a frozenset takes 216): every
    # commit that touches a feature stores one, so on a 20,000-commit push this is most of
    # what the tracking keeps.
    merged: dict[str, tuple[str, ...]] = dict(sides[0]) if sides else {}
    for r in sides[1:]:
        for fid, shas in r.items():
            have = merged.get(fid)
            if have is None or set(have) <= set(shas):
                merged[fid] = shas
            elif not set(shas) <= set(have):
                merged[fid] = tuple(dict.fromkeys((*have, *shas)))
    for fid in touched:
        for old in merged.get(fid, ()):
            pending.pop((fid, old), None)
        merged[fid] = (sha,)
    # The union is often one side's state (the other side saw nothing new): share it.
    same = next((r for r in sides if r == merged), None) if not touched else None
    reach[sha] = same if same is not None else merged
    for fid, item in new:
        pending[(fid, sha)] = item


#: At most this many diff-tree processes compute a range's scope budgets. Up to this many
#: features, each has its own: paired in one process, two large features made the longest
#: job of the range's serial tail (on the built-in corpus, 16 against 8 took the hook alone
#: from 731 to 715 ms and from 747 to 740 ms, medians of 14 interleaved runs).
_SCOPE_GROUPS = 16


def _resolve_scope(repo: git.Repo, cat: git.CatFile, env: Environment,
                   requests: list[Any]) -> list[Finding]:
    """Scope budgets of a range, judged at the tip-most commits touching each feature: a
    request is dropped when a descendant in the range touched the same feature (its diff
    from the baseline includes the earlier one's). Branches pushed together each keep
    their own tip. A few ``diff-tree --stdin`` side by side compute every budget.
    """
    if not requests:
        return []
    base_trees: dict[str, str] = {}
    pairs: list[tuple[str, str]] = []
    for _rule, feat, change, _ctx, _ident in requests:
        base = feat.baseline
        if base is None:
            base_tree = git.EMPTY_TREE
        elif base in base_trees:
            base_tree = base_trees[base]
        else:
            got = cat.info(f"{base}^{{tree}}")
            if got is None:  # rewritten by a rebase or amend: see context.py
                found = recover_baseline(repo, base)
                got = cat.info(f"{found}^{{tree}}") if found else None
            if got is None:
                raise GitError(baseline_lost(feat.id, base, repo.shallow))
            base_tree = base_trees[base] = got[0]
        pairs.append((base_tree, change.tree))
    # Each budget counts its own feature's paths only, so features are spread over a few
    # groups (one diff-tree each, side by side), each narrowed to its features' paths:
    # with a feature per top directory that is one diff of the range, not one per feature.
    ids = sorted({item[1].id for item in requests})
    width = min(len(ids), _SCOPE_GROUPS)
    bucket = {fid: k % width for k, fid in enumerate(ids)}
    members: list[list[int]] = [[] for _ in range(width)]
    for n, item in enumerate(requests):
        members[bucket[item[1].id]].append(n)
    results = git.numstat_groups(repo, [
        ([pairs[n] for n in ns], feature_pathspecs(requests[n][1] for n in ns))
        for ns in members], cat=cat)
    out: list[Finding] = []
    for (rule, feat, change, ctx, ident), pair in zip(requests, pairs, strict=True):
        lines = feature_lines(results[bucket[feat.id]].get(pair, {}), feat)

        def known(feature: Feature, _change: ChangeSet, n: int = lines, want: str = feat.id,
                  ) -> int | None:
            return n if feature.id == want else None  # other features: their own request

        scoped = Environment(where=env.where, today=env.today, read_text=env.read_text,
                             read_bytes=env.read_bytes, prefetch=env.prefetch,
                             scope_lines=known)
        out.extend(evaluate(change, ctx, ident, scoped, only={rule.id}))
        env.expired_seen.update(scoped.expired_seen)
    return out


# -- text that git shows as binary: UTF-16/UTF-32 with a byte order mark ------------------------

_BOMS = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
         (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"))


def _wide_codec(head: bytes) -> str | None:
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    return None


def _expand_copies(cat: git.CatFile, change: ChangeSet) -> None:
    """A copy (C) is a new file at its path: give the rules its whole content, as for an
    added file, while ``old_path`` keeps the name it was copied from. Copies are found only
    from sources changed in the same commit, so this reads few blobs."""
    limit = scan_limit()
    for f in change.files:
        if f.status != "C" or f.is_gitlink or not f.new_blob.strip("0"):
            continue
        got = cat.read_prefix(f.new_blob, limit)
        if got is None or got[1] != "blob":
            continue
        data = got[3]
        f.added_lines = []
        f.deleted = 0
        f.truncated = got[2] > limit
        if b"\0" in data[: git.BINARY_PROBE]:
            f.binary, f.added = True, 0
            continue
        f.binary = False
        text = data.decode("utf-8", "replace")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        f.added = len(lines) if not f.truncated else cat.line_count(f.new_blob)
        f.added_lines = list(enumerate(lines, 1))


def _wide_candidates(change: ChangeSet) -> list[FileChange]:
    """The files of ``change`` that may be UTF-16/UTF-32 text: binary, present, not a gitlink."""
    return [f for f in change.files
            if f.binary and not f.is_deleted and not f.is_gitlink and f.new_blob.strip("0")]


def _decode_wide(cat: git.CatFile, change: ChangeSet,
                 probes: Mapping[str, bytes | None] | None = None) -> None:
    """Give content rules the lines of UTF-16/UTF-32 files (with a BOM), which the patch shows
    as binary (NUL bytes). The added lines are the new file's lines that the old one lacks.
    ``probes``: the first bytes of binary blobs, read ahead (see :func:`_read_ahead`)."""
    wide = _wide_candidates(change)
    # The first bytes of every binary file of the commit, in one round trip: most are images.
    known = probes or {}
    unread = [f.new_blob for f in wide if f.new_blob not in known]
    heads: dict[str, bytes | None] = {}
    for blob, probe in zip(unread, cat.read_many(unread, 4) if unread else (), strict=True):
        heads[blob] = probe[3] if probe is not None and probe[1] == "blob" else None
    for f in wide:
        limit = scan_limit()
        head = known[f.new_blob] if f.new_blob in known else heads[f.new_blob]
        codec = _wide_codec(head) if head is not None else None
        if codec is None:
            continue
        got = cat.read_prefix(f.new_blob, limit)
        if got is None:
            continue
        new_text = got[3][len(_bom_of(codec)) :].decode(codec, "replace")
        old_lines: dict[str, int] = {}
        if f.old_blob.strip("0") and not f.is_new:
            old = cat.read_prefix(f.old_blob, limit)
            if old is not None and old[1] == "blob":
                old_codec = _wide_codec(old[3][:4])
                old_text = (old[3][len(_bom_of(old_codec)) :].decode(old_codec, "replace")
                            if old_codec else old[3].decode("utf-8", "replace"))
                for line in old_text.splitlines():
                    old_lines[line] = old_lines.get(line, 0) + 1
        added: list[tuple[int, str]] = []
        for n, line in enumerate(new_text.splitlines(), 1):
            if old_lines.get(line, 0) > 0:
                old_lines[line] -= 1
            else:
                added.append((n, line))
        from gatekeeper.rules.content import mark_decoded  # only for a decoded file

        f.binary = False
        mark_decoded(f)  # file-size reads its counts: they come from no patch
        f.added_lines = added
        f.added = len(added)
        f.deleted = sum(old_lines.values())
        f.truncated = got[2] > limit


def _bom_of(codec: str | None) -> bytes:
    return next((bom for bom, name in _BOMS if name == codec), b"")


# -- files beyond the scan limits ---------------------------------------------------------------

def _oversize(report: Report, change_files: list[tuple[ChangeSet, FileChange]], where: str,
              agent: str | None) -> None:
    """A file whose added text exceeds the scan limit: on the server a block (never accepted
    unread), elsewhere a notice. ``GATEKEEPER_SCAN_LIMIT`` (bytes; 0: no limit) raises it."""
    if not change_files:
        return
    limit = scan_limit()
    if where != "server":
        shown = ", ".join(f"{f.path} ({c.label})" for c, f in change_files[:5])
        more = f" and {len(change_files) - 5} more" if len(change_files) > 5 else ""
        report.notices.append(
            f"note: content rules read only the first {limit:,} bytes of added text of "
            f"{shown}{more}; every line is counted")
        return
    for change, f in change_files:
        report.findings.append(Finding(
            rule="scan-limit", title="File beyond the content scan limit", level="ALERT",
            category="SECURITY", action="block",
            message=(f"{f.path} adds more than {limit:,} bytes of text ({change.label}); the "
                     "server scans at most that much per file and does not accept what it "
                     "has not read"),
            remedy=("split the file or commit it as a generated artifact elsewhere; an "
                    "administrator may raise GATEKEEPER_SCAN_LIMIT (bytes; 0 scans in full) "
                    "in the server hook's environment"),
            impact="secrets or PII past the limit would reach the repository unscanned",
            paths=[f.path], commit=change.label, feature=None, agent=agent,
            fingerprint=fingerprint("scan-limit", None, agent, f"{f.path}\0{f.new_blob}")))


# -- merges: judged against each parent for the governed paths -------------------------------

_GOVERNED_SPECS = (":(literal).pact", ":(literal)pyproject.toml")


def _merge_views(repo: git.Repo, cat: git.CatFile, merges: list[tuple[ChangeSet, Any]],
                 ) -> list[tuple[ChangeSet, Any]]:
    """Each merge seen from each parent whose governed files it does not keep: the change a
    merge makes to that parent's ledger, config, policies or roster, whatever the strategy
    (``-s ours``, a manual resolution). The combined diff shows only what differs from every
    parent, so this is the view that catches a merge undoing one side's governed state.

    A parent's ledger is kept when every one of its events is in the merge's ledger; another
    governed file when the merge keeps it as that parent left it, or when that parent never
    changed it since the merge base (the merge brought in the other side's change, which was
    judged there). One ``diff-tree --stdin`` for every (parent, merge) pair, and one
    ``merge-base`` per merge that changes a governed file other than the ledger.
    """
    if not merges:
        return []
    jobs: list[tuple[str, str, ChangeSet, str]] = []
    pairs = [(change, parent) for change, _ident in merges for parent in change.parents]
    trees = cat.info_many([f"{parent}^{{tree}}" for _, parent in pairs])
    for (change, parent), got in zip(pairs, trees, strict=True):
        if got is not None and got[0] != change.tree:
            jobs.append((got[0], change.tree, change, parent))
    if not jobs:
        return []
    out = git.run(["diff-tree", "--stdin", "-r", "--raw", "-z", "--no-renames", "--no-abbrev",
                   "--", *_GOVERNED_SPECS], repo.cwd,
                  input="".join(f"{a} {b}\n" for a, b, _, _ in jobs).encode())
    diffs = git.parse_tree_pairs(out)
    idents = {id(change): ident for change, ident in merges}
    views: list[tuple[ChangeSet, Any]] = []
    bases: dict[str, str | None] = {}
    for old_tree, new_tree, change, parent in jobs:
        files = diffs.get((old_tree, new_tree), [])
        combined = {f.path for f in change.files}
        kept: list[FileChange] = []
        for f in files:
            if parent == change.parents[0] and f.path in combined:
                continue  # the combined diff already judges it against this parent
            if f.path == LEDGER_PATH:
                if _ledger_kept(cat, parent, change):
                    continue
            elif _governed_path(f.path):
                if f.path == "pyproject.toml" and _same_state(cat, f):
                    continue  # no [tool.gatekeeper] change from this parent: nothing governed
                key = change.commit or ""
                if key not in bases:
                    bases[key] = _merge_base(repo, change.parents)
                base = bases[key]
                mine = cat.info(f"{parent}:{f.path}")
                before = cat.info(f"{base}:{f.path}") if base else None
                if (mine[0] if mine else None) == (before[0] if before else None):
                    continue  # this parent never changed it: the merge took the other side's
            else:
                continue
            kept.append(f)
        if kept:
            view = ChangeSet(commit=change.commit, parents=(parent, *(p for p in change.parents
                                                                       if p != parent)),
                             author_name=change.author_name, author_email=change.author_email,
                             message=change.message, files=kept, tree=change.tree,
                             trailer_block=change.trailer_block)
            views.append((view, idents[id(change)]))
    return views


def _same_state(cat: git.CatFile, f: FileChange) -> bool:
    """Whether a merge keeps a parent's ``[tool.gatekeeper]`` (and TOML validity): then
    ledger-integrity, the one rule a merge view is judged by, finds nothing in the file."""
    from gatekeeper.rules.integrity import gatekeeper_state

    def text(blob: str) -> str | None:
        got = cat.read(blob) if blob.strip("0") else None
        return None if got is None or got[1] != "blob" else got[2].decode("utf-8", "replace")

    return bool(gatekeeper_state(text(f.old_blob)) == gatekeeper_state(text(f.new_blob)))


def _governed_path(path: str) -> bool:
    return path.startswith(POLICY_DIR + "/") or path in (CONFIG_PATH, "pyproject.toml")


def _ledger_kept(cat: git.CatFile, parent: str, change: ChangeSet) -> bool:
    """True when every event of ``parent``'s ledger is in the merge's ledger (as data)."""
    from gatekeeper import yamlio
    from gatekeeper.errors import ConfigError

    def events(rev: str) -> list[str] | None:
        got = cat.read(f"{rev}:{LEDGER_PATH}")
        if got is None or got[1] != "blob":
            return []
        try:
            docs = yamlio.load_all(got[2].decode("utf-8", "replace"), LEDGER_PATH)
        except ConfigError:
            return None
        return [_canonical(d) for d in docs]

    theirs, merged = events(parent), events(change.commit or "")
    if theirs is None:
        return True  # an invalid parent ledger was judged (and blocked) where it was made
    if merged is None:
        return False
    left: dict[str, int] = {}
    for ev in merged:
        left[ev] = left.get(ev, 0) + 1
    for ev in theirs:
        if left.get(ev, 0) <= 0:
            return False
        left[ev] -= 1
    return True


def _canonical(doc: Any) -> str:
    import json

    return json.dumps(doc, sort_keys=True, default=str)


def _merge_base(repo: git.Repo, parents: tuple[str, ...]) -> str | None:
    out = git.run(["merge-base", "--octopus", *parents], repo.cwd, check=False).split()
    return out[0].decode() if out else None
