# gatekeeper/checker.py: drives a check: git -> contexts -> engine -> escalations -> Report.
"""The one pipeline behind ``gatekeeper check`` and every hook, so verdicts are identical
wherever the gatekeeper runs:

    adapter -> git (one log stream, one cat-file) -> parent contexts -> engine
            -> deferred scope budgets (one diff-tree) -> escalation notes -> Report
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from gatekeeper import git
from gatekeeper.changes import MAX_LINE_CHARS, MAX_LINES_PER_FILE, ChangeSet
from gatekeeper.context import Context, load_at, touches_context
from gatekeeper.engine import Environment, Finding, evaluate
from gatekeeper.errors import GitError
from gatekeeper.identity import resolve
from gatekeeper.ledger import Feature
from gatekeeper.record import dataclass, field
from gatekeeper.report import Report
from gatekeeper.rules.scope import feature_lines, feature_pathspecs


@dataclass
class Options:
    """How a check runs."""

    where: str = "client"  # client | ci | server
    agent: str | None = None  # --agent
    record: bool = True  # write escalation notes
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    ref: str | None = None


class _Reader:
    """Blob access for the rules (ledger integrity, file size), through one cat-file."""

    def __init__(self, cat: git.CatFile) -> None:
        self.cat = cat

    def text(self, change: ChangeSet, path: str, old: bool) -> str | None:
        if change.commit is None:
            rev = (change.parents[0] if change.parents else None) if old else ""
            spec = f"{rev}:{path}" if old and rev else (None if old else f":{path}")
        else:
            rev = (change.parents[0] if change.parents else None) if old else change.commit
            spec = f"{rev}:{path}" if rev else None
        if spec is None:
            return None
        got = self.cat.read(spec)
        return None if got is None or got[1] != "blob" else got[2].decode("utf-8", "replace")


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
    from gatekeeper.escalations import Inbox, inbox_dir

    inbox = Inbox(inbox_dir(repo, ctx.config.inbox if ctx else None))
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


def _open_halts(repo: git.Repo, ctx: Context) -> dict[str, list[str]]:
    from gatekeeper.escalations import Inbox, inbox_dir

    return Inbox(inbox_dir(repo, ctx.config.inbox)).open_halts()


def check_staged(repo: git.Repo, *, message: str = "", opts: Options) -> Report:
    """Judge the index against HEAD (the client-side pre-commit / commit-msg view)."""
    with git.CatFile(repo) as cat:
        head_info = cat.info("HEAD")
        head = head_info[0] if head_info else None
        ctx = load_at(repo, cat, head)
        author = (opts.env.get("GIT_AUTHOR_NAME", ""), opts.env.get("GIT_AUTHOR_EMAIL", ""))
        if ctx.config.roster and not author[1]:
            author = git.ident(repo, "AUTHOR")
        change = git.staged_changes(repo, head, message, author)
        reader = _Reader(cat)

        def scope_lines(feature: Feature, _change: ChangeSet) -> int | None:
            base = feature.baseline or git.EMPTY_TREE
            if cat.info(base) is None:
                raise GitError(f"feature {feature.id}: its code baseline {base[:12]} is not in "
                               "this repository (a shallow clone?); fetch full history")
            stats = git.numstat(repo, base, None, feature_pathspecs([feature]))
            return feature_lines(stats, feature)

        halts: dict[str, list[str]] | None = None

        def open_halts() -> dict[str, list[str]]:
            nonlocal halts
            if halts is None:
                halts = _open_halts(repo, ctx)
            return halts

        env = Environment(where=opts.where, scope_lines=scope_lines, read_text=reader.text,
                          open_halts=open_halts)
        ident = resolve(change.trailers(), flag=opts.agent, env=opts.env,
                        server=opts.where == "server")
        findings = evaluate(change, ctx, ident, env) if change.files else []
        report = Report(findings=findings, commits=1, where=opts.where,
                        expired_waivers=list(env.expired_seen.values()))
        _note_truncation(report, [(change.label, f.path) for f in change.files if f.truncated])
        return finish(repo, report, ctx, opts)


def check_revisions(repo: git.Repo, include: list[str], exclude: list[str], *, opts: Options,
                    exclude_refs: tuple[str, ...] = (), base_label: str | None = None,
                    limit: int | None = None,
                    ) -> Report:
    """Judge every commit reachable from ``include`` but not ``exclude`` (nor from
    ``exclude_refs``, e.g. ``--all`` on a server), each against its parent's context.

    Constant process count: one ``git log`` stream, one ``cat-file``, one ``diff-tree``.
    """
    shallow: set[str] = set()
    if repo.shallow:
        shallow_file = repo.common_dir / "shallow"
        if shallow_file.is_file():
            shallow = set(shallow_file.read_text().split())
    with git.CatFile(repo) as cat:
        for rev in [*include, *exclude]:
            if cat.info(rev) is None:
                hint = (" This is a shallow clone: fetch the full history (GitHub Actions: "
                        "fetch-depth: 0; GitLab CI: GIT_DEPTH: 0)." if repo.shallow else "")
                raise GitError(f"revision {rev!r} is not in this repository.{hint}")
        reader = _Reader(cat)
        after: dict[str, Context] = {}
        last_ctx: Context | None = None
        halts_cache: dict[str, dict[str, list[str]]] = {}

        def ctx_for(parent: str | None) -> Context:
            if parent is None:
                return load_at(repo, cat, None)
            ctx = after.get(parent)
            if ctx is None:
                ctx = after[parent] = load_at(repo, cat, parent)
            return ctx

        findings: list[Finding] = []
        # Per commit: the scope requests (feature -> commits) visible from it, so that a
        # descendant touching the same feature supersedes them.
        reach: dict[str, dict[str, frozenset[str]]] = {}
        pending: dict[tuple[str, str], Any] = {}
        truncated: list[tuple[str, str]] = []
        env = Environment(where=opts.where, scope_lines=None, read_text=reader.text, ref=opts.ref)
        count = 0
        for change in git.log_changes(repo, include, exclude, exclude_refs=exclude_refs,
                                      limit=limit):
            count += 1
            sha = change.commit
            assert sha is not None
            if sha in shallow:
                raise GitError(f"commit {sha[:12]} is a shallow-clone boundary: the range cannot "
                               "be judged completely. Fetch the full history (GitHub Actions: "
                               "fetch-depth: 0; GitLab CI: GIT_DEPTH: 0).")
            ctx = ctx_for(change.parents[0] if change.parents else None)
            last_ctx = ctx

            def open_halts(c: Context = ctx) -> dict[str, list[str]]:
                if c.key not in halts_cache:
                    halts_cache[c.key] = _open_halts(repo, c)
                return halts_cache[c.key]

            env.open_halts = open_halts
            ident = resolve(change.trailers(), flag=opts.agent, env=opts.env,
                            server=opts.where == "server")
            findings.extend(evaluate(change, ctx, ident, env))
            truncated.extend((change.label, f.path) for f in change.files if f.truncated)
            _track_scope_tips(change, env.deferred, reach, pending)
            env.deferred.clear()
            if touches_context([f.path for f in change.files]):
                after[sha] = load_at(repo, cat, sha)
            else:
                after[sha] = ctx
        findings.extend(_resolve_scope(repo, cat, env, list(pending.values())))
        report = Report(findings=findings, commits=count, where=opts.where,
                        expired_waivers=list(env.expired_seen.values()))
        _note_truncation(report, truncated)
        if count == 0 and base_label:
            report.notices.append(f"no commits in {base_label}")
        return finish(repo, report, last_ctx, opts)


def _note_truncation(report: Report, where: list[tuple[str, str]]) -> None:
    """Say so when content rules saw only part of a huge file (lines are still counted)."""
    if not where:
        return
    shown = ", ".join(f"{path} ({label})" for label, path in where[:5])
    more = f" and {len(where) - 5} more" if len(where) > 5 else ""
    report.notices.append(
        f"note: content rules read only the first {MAX_LINES_PER_FILE:,} added lines "
        f"({MAX_LINE_CHARS:,} characters each) of {shown}{more}; every line is counted")


def _track_scope_tips(change: ChangeSet, new: list[Any], reach: dict[str, dict[str, frozenset[str]]],
                      pending: dict[tuple[str, str], Any]) -> None:
    """Add ``change``'s scope requests to ``pending`` and drop those it supersedes: the
    requests for the features it touches that are visible from its parents (commits
    arrive parents first). Dropping them at once keeps a long push's memory flat."""
    sha = change.commit or ""
    parents = [reach[p] for p in change.parents if p in reach]
    touched = {item[1].id for item in new}
    if not touched and len(parents) == 1:
        reach[sha] = parents[0]  # shared, not copied: most commits change nothing here
        return
    merged: dict[str, frozenset[str]] = {}
    for r in parents:
        for fid, shas in r.items():
            merged[fid] = merged.get(fid, frozenset()) | shas
    for fid in touched:
        for old in merged.get(fid, ()):
            pending.pop((fid, old), None)
        merged[fid] = frozenset((sha,))
    reach[sha] = merged
    for item in new:
        pending[(item[1].id, sha)] = item


def _resolve_scope(repo: git.Repo, cat: git.CatFile, env: Environment,
                   requests: list[Any]) -> list[Finding]:
    """Scope budgets of a range, judged at the tip-most commits touching each feature: a
    request is dropped when a descendant in the range touched the same feature (its diff
    from the baseline includes the earlier one's). Branches pushed together each keep
    their own tip. One ``diff-tree --stdin`` computes every budget.
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
            if got is None:
                raise GitError(f"feature {feat.id}: its code baseline {base[:12]} is not in "
                               "this repository (a shallow clone?); fetch the full history")
            base_tree = base_trees[base] = got[0]
        pairs.append((base_tree, change.tree))
    stats = git.numstat_trees(repo, pairs, feature_pathspecs(item[1] for item in requests))
    out: list[Finding] = []
    for (rule, feat, change, ctx, ident), pair in zip(requests, pairs, strict=True):
        lines = feature_lines(stats.get(pair, {}), feat)

        def known(feature: Feature, _change: ChangeSet, n: int = lines, want: str = feat.id,
                  ) -> int | None:
            return n if feature.id == want else None  # other features: their own request

        scoped = Environment(where=env.where, today=env.today, read_text=env.read_text,
                             scope_lines=known)
        out.extend(evaluate(change, ctx, ident, scoped, only={rule.id}))
        env.expired_seen.update(scoped.expired_seen)
    return out
