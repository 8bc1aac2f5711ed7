# gatekeeper/adapters/proposed.py: judge a proposed file change (not yet written) like a commit would.
"""A write an agent is about to make becomes a real :class:`ChangeSet` (repository-relative
path; the added and deleted lines from the current file to the proposed content) and is
judged by the same engine, ledger context (as committed at ``HEAD``, exactly what the
commit hook would use) and policies as a commit, with the same escalation notes.

The scope budget is a projection: the lines changed in the feature's paths from its
baseline to the working tree (untracked files included), with this change applied.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from gatekeeper import git
from gatekeeper.changes import ChangeSet, FileChange, scan_limit
from gatekeeper.checker import Options, finish
from gatekeeper.context import Context, inbox_dir, load_at
from gatekeeper.engine import Environment, Finding, evaluate
from gatekeeper.errors import GatekeeperError, GitError
from gatekeeper.identity import Identity
from gatekeeper.ledger import Feature
from gatekeeper.policy import Rule
from gatekeeper.record import dataclass, replace
from gatekeeper.report import Report
from gatekeeper.rules.scope import feature_pathspecs

#: The ``commit`` label of a proposed change in reports and notes.
LABEL = "proposed"
#: Above this many lines on both sides of a change, lines are not matched one by one.
_DIFF_LIMIT = 4000


class OutsideRepository(GatekeeperError):
    """The path is not inside the repository's working tree."""


@dataclass(frozen=True)
class Target:
    """Where a proposed write lands."""

    repo: git.Repo
    rel: str  # repository-relative, POSIX separators
    full: Path


def locate(path: str, cwd: str | None = None) -> Target:
    """The repository containing ``path`` (the nearest existing directory decides) and the
    path relative to its top. ``..`` and symbolic links are resolved, so another name for
    a governed path is judged as that path."""
    raw = Path(os.path.expanduser(path))
    if not raw.is_absolute():
        raw = Path(cwd or os.getcwd()) / raw
    full = Path(os.path.realpath(raw))
    probe = full.parent
    if ".git" in full.parts:
        # Discover from the working tree above the git directory, not from inside it.
        probe = Path(*full.parts[: full.parts.index(".git")])
    while not probe.is_dir() and probe != probe.parent:
        probe = probe.parent
    repo = git.discover(probe)
    if repo.top is None:
        raise OutsideRepository(f"{path}: not in a working tree")
    top = Path(os.path.realpath(repo.top))
    for inner in (repo.git_dir, repo.common_dir):
        real = Path(os.path.realpath(inner))
        if full == real or real in full.parents:
            return Target(repo=repo, rel=".git/" + full.relative_to(real).as_posix(), full=full)
    if full != top and top not in full.parents:
        raise OutsideRepository(f"{path}: outside the repository at {top}")
    return Target(repo=repo, rel=full.relative_to(top).as_posix(), full=full)


def split_lines(text: str) -> list[str]:
    """Lines as git sees them: split on ``\\n`` only, each keeping its newline."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def line_diff(old: list[str], new: list[str]) -> tuple[list[tuple[int, str]], int]:
    """(added lines with their line numbers in ``new``, number of deleted lines)."""
    lo = 0
    while lo < len(old) and lo < len(new) and old[lo] == new[lo]:
        lo += 1
    hi_o, hi_n = len(old), len(new)
    while hi_o > lo and hi_n > lo and old[hi_o - 1] == new[hi_n - 1]:
        hi_o -= 1
        hi_n -= 1
    a, b = old[lo:hi_o], new[lo:hi_n]
    # Without a line common to both sides the whole middle is replaced, as git reports it;
    # only otherwise are lines matched (difflib costs an import on the hook's hot path).
    if (a and b and len(a) <= _DIFF_LIMIT and len(b) <= _DIFF_LIMIT
            and not set(a).isdisjoint(b)):
        import difflib  # only for an edit that both removes and adds lines

        added: list[tuple[int, str]] = []
        deleted = 0
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if tag in ("replace", "delete"):
                deleted += i2 - i1
            if tag in ("replace", "insert"):
                added.extend((lo + j + 1, b[j]) for j in range(j1, j2))
        return added, deleted
    return [(lo + j + 1, line) for j, line in enumerate(b)], len(a)


def count_lines(text: str) -> int:
    """Lines in a text, a last line without a newline included (as git counts)."""
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def _is_binary(data: str) -> bool:
    return "\0" in data[:8000]


def file_change(rel: str, old: str | None, new: str | None, *, in_head: bool) -> FileChange:
    """The FileChange a commit of ``new`` (None: deletion) over ``old`` would carry.

    A file absent from ``HEAD`` is new: all its lines are added, as its commit will show.
    """
    status = "D" if new is None else ("M" if in_head else "A")
    fc = FileChange(path=rel, status=status)
    if (new is not None and _is_binary(new)) or (old is not None and _is_binary(old)):
        fc.binary = True
        return fc
    if new is None:
        fc.deleted = count_lines(old or "")
        return fc
    added, deleted = line_diff(split_lines(old or "") if in_head else [], split_lines(new))
    fc.added, fc.deleted = len(added), deleted
    # The same byte budget as the diff reader, so a write and its commit are judged alike.
    budget = scan_limit()
    for lineno, line in added:
        text = line[:-1] if line.endswith("\n") else line
        budget -= len(text.encode("utf-8", "surrogateescape")) + 1
        if budget < 0:
            fc.truncated = True
            break
        fc.added_lines.append((lineno, text))
    return fc


def read_disk(full: Path) -> str | None:
    """The file's current text, or None when it does not exist."""
    try:
        return full.read_bytes().decode("utf-8", "replace")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def _blob_text(cat: git.CatFile, spec: str) -> str | None:
    got = cat.read(spec)
    return None if got is None or got[1] != "blob" else got[2].decode("utf-8", "replace")


@dataclass
class Judged:
    """A verdict on a proposed change, and what it was judged with."""

    report: Report
    context: Context
    change: ChangeSet


def with_rule_params(ctx: Context, rule_id: str, params: Mapping[str, object]) -> Context:
    """A copy of ``ctx`` whose rule ``rule_id`` has ``params`` merged into its own."""
    rules: list[Rule] = [replace(r, params={**r.params, **params}) if r.id == rule_id else r
                         for r in ctx.rules]
    return replace(ctx, rules=rules)


#: Who acts, given the judging context: (identity, confinement or None).
IdentityFor = Callable[[Context], tuple[Identity, "list[str] | None"]]
#: Findings the adapter adds itself (hook bypasses...), given the context.
ExtraFor = Callable[[Context], list[Finding]]


def judge(repo: git.Repo, proposals: Mapping[str, str | None], identity_for: IdentityFor, *,
          opts: Options, only: set[str] | None = None, opaque: tuple[str, ...] = (),
          extra: ExtraFor | None = None,
          skip: Callable[[git.Repo, str], bool] | None = None,
          pact_only: bool = False) -> Judged | None:
    """Judge the proposed new contents of ``proposals`` (repository-relative path -> text,
    None to delete) in ``repo``, and write the notes a commit would.

    ``opaque`` paths are changed with content the adapter cannot see (a shell write): they
    are judged by path only. ``skip(repo, path)`` is asked about proposed paths absent from
    ``HEAD``; when it says yes for all of them, there is no verdict (None). With
    ``pact_only``, a repository without a committed ledger (not a PACT project) gets none
    either: a plugin installed for every project stays out of the others.
    """
    assert repo.top is not None
    with git.CatFile(repo) as cat:
        head_info = cat.info("HEAD")
        head = head_info[0] if head_info else None
        ctx = load_at(repo, cat, head)
        if pact_only and not ctx.has_ledger:
            return None
        identity, confine = identity_for(ctx)
        if confine is not None and identity.agent:
            ctx = with_rule_params(ctx, "domain-boundary", {"confine": {
                **ctx_confine(ctx), identity.agent: confine}})
        files: list[FileChange] = []
        head_text: dict[str, str | None] = {}
        for rel in proposals:
            head_text[rel] = _blob_text(cat, f"HEAD:{rel}") if head else None
        if skip is not None and proposals and all(
                head_text[rel] is None and skip(repo, rel) for rel in proposals):
            return None
        for rel, new in proposals.items():
            disk = read_disk(repo.top / rel)
            old = disk if disk is not None else head_text[rel]
            files.append(file_change(rel, old, new, in_head=head_text[rel] is not None))
        for rel in opaque:
            if rel not in proposals:
                in_head = bool(head) and cat.info(f"HEAD:{rel}") is not None
                files.append(FileChange(path=rel, status="M" if in_head else "A"))
        change = ChangeSet(commit=LABEL, parents=(head,) if head else (), author_name="",
                           author_email="", message="", files=files)

        def read_text(_change: ChangeSet, path: str, old: bool) -> str | None:
            if old:
                return head_text[path] if path in head_text else (
                    _blob_text(cat, f"HEAD:{path}") if head else None)
            if path in proposals:
                return proposals[path]
            return read_disk(repo.top / path) if repo.top else None

        def scope_lines(feature: Feature, _change: ChangeSet) -> int | None:
            return projected_lines(repo, cat, feature, proposals)

        halts: dict[str, list[str]] | None = None

        def open_halts() -> dict[str, list[str]]:
            nonlocal halts
            if halts is None:
                from gatekeeper.escalations import Inbox

                halts = Inbox(inbox_dir(repo, ctx.config.inbox)).open_halts()
            return halts

        env = Environment(where="client", scope_lines=scope_lines, read_text=read_text,
                          open_halts=open_halts)
        found = evaluate(change, ctx, identity, env, only=only) if files else []
        report = Report(findings=[*found, *(extra(ctx) if extra else [])], commits=1,
                        where="client",
                        expired_waivers=list(env.expired_seen.values()))
        return Judged(report=finish(repo, report, ctx, opts), context=ctx, change=change)


def ctx_confine(ctx: Context) -> dict[str, list[str]]:
    """The domain-boundary rule's confinement table in this context."""
    for r in ctx.rules:
        if r.id == "domain-boundary":
            return dict(r.params.get("confine", {}))
    return {}


def projected_lines(repo: git.Repo, cat: git.CatFile, feature: Feature,
                    proposals: Mapping[str, str | None]) -> int:
    """Lines changed in ``feature``'s paths from its baseline to the working tree with the
    proposals applied: committed + staged + unstaged + untracked + this change."""
    from gatekeeper.globs import match_any

    base = feature.baseline or git.EMPTY_TREE
    if cat.info(base) is None:
        raise GitError(f"feature {feature.id}: its code baseline {base[:12]} is not in this "
                       "repository (a shallow clone?); fetch full history")
    specs = feature_pathspecs([feature])
    # The untracked files are listed while the diff runs: two git processes, one wait.
    listing = git._popen(["ls-files", "-z", "--others", "--exclude-standard", "--", *specs],
                         repo.cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    out = git.run(["diff", "--numstat", "-z", "--no-renames", "--no-ext-diff", "--no-textconv",
                   base, "--", *specs], repo.cwd)
    others, _ = listing.communicate()
    stats: dict[str, int] = {}
    for token in out.split(b"\0"):
        token = token.strip(b"\n")
        if token:
            added, deleted, path = token.split(b"\t", 2)
            stats[path.decode("utf-8", "surrogateescape")] = (
                (0 if added == b"-" else int(added)) + (0 if deleted == b"-" else int(deleted)))
    assert repo.top is not None
    for raw in others.split(b"\0"):
        if raw:
            name = raw.decode("utf-8", "surrogateescape")
            text = read_disk(repo.top / name)
            stats[name] = 0 if text is None or _is_binary(text) else count_lines(text)
    for rel, new in proposals.items():
        base_text = None if base == git.EMPTY_TREE else _blob_text(cat, f"{base}:{rel}")
        fc = file_change(rel, base_text, new, in_head=base_text is not None)
        stats[rel] = fc.added + fc.deleted
    return sum(n for p, n in stats.items() if match_any(feature.paths, p))
