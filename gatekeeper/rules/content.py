# gatekeeper/rules/content.py: check kinds that scan added lines for PACT's HALT/ALERT signals.
"""Adapters between the engine and the pure detectors in :mod:`gatekeeper.signals`.

Only added lines are judged; binary files and submodules are skipped; a pure rename
adds no lines, so old content is never re-judged. Vendored and generated files (common
vendor paths, or ``linguist-vendored``/``linguist-generated`` in the parent's
.gitattributes) are skipped by the code and file-standard rules, never by the credential rules.
"""

from __future__ import annotations

from gatekeeper import signals
from gatekeeper.engine import Hit
from gatekeeper.globs import match_any

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from collections.abc import Sequence

    from gatekeeper.changes import ChangeSet, FileChange
    from gatekeeper.engine import CheckContext
    from gatekeeper.git import CatFile
    from gatekeeper.policy import Rule


def _text_files(files: list[FileChange]) -> list[FileChange]:
    return [f for f in files if not f.binary and not f.is_gitlink and f.added_lines]


#: (parent commit, directory) -> the linguist patterns of that directory's .gitattributes.
_ATTRS: dict[tuple[str, str], list[tuple[str, str]]] = {}
#: commit -> an ancestor with the same .gitattributes files everywhere (see same_attributes).
_SAME_ATTRS: dict[str, str] = {}


def same_attributes(change: ChangeSet) -> None:
    """Note that ``change`` (judged in a range) has its first parent's ``.gitattributes``
    files, when it is no merge and none of its paths is one: then the attribute patterns
    read for that parent serve the commits built on it, instead of being read again for
    every commit of the range (a round trip each)."""
    if change.commit is None or len(change.parents) != 1:
        return
    for f in change.files:
        for name in (f.path, f.old_path):
            if name and name.rsplit("/", 1)[-1] == ".gitattributes":
                return
    if len(_SAME_ATTRS) >= 50_000:
        _SAME_ATTRS.clear()
    parent = change.parents[0]
    _SAME_ATTRS[change.commit] = _SAME_ATTRS.get(parent, parent)


def _attrs_of(cc: CheckContext) -> str:
    """The commit whose attribute patterns the judged change's parent has: the parent, or
    the ancestor it shares every .gitattributes file with (see same_attributes)."""
    parent = cc.change.parents[0] if cc.change.parents else ""
    return _SAME_ATTRS.get(parent, parent)


def _attr_patterns(cc: CheckContext, directory: str) -> list[tuple[str, str]]:
    """``(glob, vendored)`` pairs from ``directory/.gitattributes`` in the PARENT's tree (the
    judged commit cannot mark its own files vendored), cached per parent and directory."""
    read = cc.env.read_text
    key = (_attrs_of(cc), directory)
    if key not in _ATTRS:
        if len(_ATTRS) > 50_000:
            _ATTRS.clear()
        text = None
        if read is not None and cc.change.parents:
            text = read(cc.change, f"{directory}/.gitattributes" if directory else ".gitattributes",
                        True)
        _ATTRS[key] = signals.linguist_patterns(text or "", directory)
    return _ATTRS[key]


def _vendored(cc: CheckContext, f: FileChange) -> bool:
    """A vendored or generated file: by common path (vendor/, node_modules/, static/**/lib,
    *.min.*), or by ``linguist-vendored`` / ``linguist-generated`` in the parent's
    .gitattributes (root and every directory above the file; the deepest match wins)."""
    parts = f.path.split("/")[:-1]
    if cc.env.prefetch is not None and cc.change.parents:  # one round trip for every level
        root = _attrs_of(cc)
        dirs = ["/".join(parts[:k]) for k in range(len(parts) + 1)]
        missing = [d for d in dirs if (root, d) not in _ATTRS]
        if len(missing) > 1:
            cc.env.prefetch(cc.change, [f"{d}/.gitattributes" if d else ".gitattributes"
                                        for d in missing], True)
    patterns = [p for k in range(len(parts) + 1)
                for p in _attr_patterns(cc, "/".join(parts[:k]))]
    return signals.is_vendored(f.path, patterns)


def _skip_vendored(cc: CheckContext, f: FileChange, found: list[signals.SignalHit]
                   ) -> list[signals.SignalHit]:
    """``found``, or nothing for a vendored/generated file (looked up only when there are
    hits, so a clean file never pays for reading attributes)."""
    return [] if found and _vendored(cc, f) else found


def _hit(rule: Rule, f: FileChange, sh: signals.SignalHit, cc: CheckContext) -> Hit:
    feats = cc.features_of.get(f.path, [])
    return Hit(fields={"observed": sh.observed, "excerpt": sh.excerpt, "advice": sh.advice},
               paths=[f.path], line=sh.line or None,
               feature=feats[0] if len(feats) == 1 else None,
               evidence=f"{f.path}\0{sh.evidence}")


#: Code detectors that skip vendored and generated files: their code is not the agent's own.
#: Credentials are looked for everywhere (a key in a vendored file is still a leaked key).
_CODE_CHECKS = frozenset({"sql_injection", "pii_in_logs"})


def _code_files(cc: CheckContext, files: list[FileChange]) -> list[FileChange]:
    """The text files a code rule reads: a file vendored by its name is skipped before it is
    scanned (its findings would be dropped anyway), unless the parent's attributes take it
    back (``linguist-vendored=false``). Minified bundles are where the scanning time goes."""
    return [f for f in _text_files(files)
            if not (signals.vendored_path(f.path) and _vendored(cc, f))]


def content_signal(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """Run the rule's content detector over each file's added lines."""
    detector = signals.CONTENT_DETECTORS[rule.check]
    code = rule.check in _CODE_CHECKS
    hits = []
    for f in _code_files(cc, files) if code else _text_files(files):
        found = detector(f.path, f.added_lines, rule.params)
        for sh in _skip_vendored(cc, f, found) if code else found:
            hits.append(_hit(rule, f, sh, cc))
    return hits


def _owns(cc: CheckContext, rule: Rule, path: str) -> bool:
    """Whether the change's role owns ``path``: by ``domain-boundary``'s owners (the role
    that rule gives the file to), or by this rule's ``migration_roles``/``migration_paths``."""
    agent = cc.agent
    if agent is None:
        return False
    roles = rule.params.get("migration_roles", ["database-engineer"])
    migrations = rule.params.get("migration_paths", cc.config.paths.get("schema", []))
    if agent in roles and match_any(migrations, path):
        return True
    from gatekeeper.rules.boundary import _owner_of

    return any(r.check == "domain_boundary" and _owner_of(r.params, path) == agent
               for r in cc.context.rules)


def destructive_sql(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """Destructive SQL. In a file its own role owns (the database engineer's migrations and
    upgrade scripts) it is an ALERT DATA warning, with a note, instead of a block."""
    hits = []
    for f in _code_files(cc, files):
        found = _skip_vendored(cc, f, signals.destructive_sql(f.path, f.added_lines, rule.params))
        owner = bool(found) and _owns(cc, rule, f.path)
        for sh in found:
            h = _hit(rule, f, sh, cc)
            if owner:
                h.fields["observed"] = f"{sh.observed} (by {cc.agent}, who owns this file)"
                h.action, h.level, h.category = "warn", "ALERT", "DATA"
            hits.append(h)
    return hits


def sensitive_file(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """Committed .env files, private keys and credential stores (added or modified). A file
    judged by its content (.env files, *.key, id_rsa...) blocks only when it holds something
    that looks like a credential; otherwise it is a warning."""
    hits = []
    for f in files:
        if f.is_deleted:
            continue
        sh = signals.sensitive_file(f.path, rule.params)
        if sh is None:
            continue
        h = _hit(rule, f, sh, cc)
        if signals.judged_by_content(f.path) and not f.binary and not f.is_gitlink:
            read = cc.env.read_text
            text = read(cc.change, f.path, False) if read is not None else None
            lines = (list(enumerate(text.splitlines(), 1)) if text is not None
                     else f.added_lines)
            seen = signals.credential_in(f.path, lines, rule.params)
            if seen is None:
                h.fields["observed"] = f"{sh.observed}, with no value that looks like a credential"
                h.fields["advice"] = ("keep only settings in it, or rename it to a template "
                                      "(.env.example) and add the real file to .gitignore")
                h.action, h.level = "warn", "ALERT"
            else:
                h.fields["observed"] = f"{sh.observed}, holding {seen}"
        hits.append(h)
    return hits


def file_header(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """New source files that do not open with a header comment."""
    hits = []
    for f in _text_files(files):
        if not f.is_new:
            continue
        sh = signals.file_header(f.path, f.added_lines, rule.params)
        if sh is not None and not _vendored(cc, f):
            hits.append(_hit(rule, f, sh, cc))
    return hits


#: blob id -> its line count, for the source files :func:`file_size` has measured. A count
#: is a property of the content, so it holds in any commit: a range that grows the same file
#: commit after commit derives each new count from the last (``old + added - deleted``, the
#: identity a patch's counts obey) instead of reading every new blob. Bounded: cleared when full.
_LINES: dict[str, int] = {}
_REGULAR = ("100644", "100755")


#: Blobs of files whose counts were not read from a patch (UTF-16/32 files decoded by the
#: range reader): their counts are never derived, only read.
_DECODED: set[str] = set()


def mark_decoded(f: FileChange) -> None:
    """``f``'s added and deleted counts come from decoding its blobs, not from a patch."""
    if len(_DECODED) >= 10_000:
        _DECODED.clear()
    _DECODED.update((f.old_blob, f.new_blob))


def _countable(f: FileChange) -> bool:
    """A regular file whose line count may be kept and carried on: its counts come from a
    patch (not from decoding a UTF-16/32 blob)."""
    return (f.new_mode in _REGULAR and bool(f.new_blob.strip("0"))
            and not (_DECODED and (f.new_blob in _DECODED or f.old_blob in _DECODED)))


def _remember(blob: str, lines: int) -> None:
    if len(_LINES) >= 20_000:
        _LINES.clear()
    _LINES[blob] = lines


def prime_line_counts(cat: CatFile, changes: Sequence[ChangeSet]) -> None:
    """Count, in one round trip, the lines of the source files that :func:`file_size` will
    need over ``changes`` (the next commits of a range, parents first) and could not derive:
    the grown ones whose count before is unknown. A later commit of the same file derives
    its count from these. Which files a file-size rule selects is not known here, so this
    asks about every grown source file of the default languages; any other is read when
    judged, as before."""
    want: list[str] = []
    made: set[str] = set()  # new blobs whose counts will be known when their turn comes
    for change in changes:
        if change.is_merge:
            continue
        for f in change.files:
            if (f.binary or f.is_gitlink or not f.added_lines or not _countable(f)
                    or not signals.is_source(f.path, {}) or signals.vendored_path(f.path)):
                continue  # a bundle file_size skips is not read (see there)
            if (f.new_blob in _LINES or f.is_new or (f.old_mode in _REGULAR and (
                    f.old_blob in _LINES or f.old_blob in made))):
                made.add(f.new_blob)
            elif f.added > f.deleted:
                want.append(f.new_blob)
                made.add(f.new_blob)
    if len(want) > 1:
        for blob, lines in zip(want, cat.line_counts(want), strict=True):
            if lines is not None:
                _remember(blob, lines)


def file_size(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """Source files that grow past the size limit with this change."""
    read = cc.env.read_text
    if read is None:
        return []
    hits = []
    merge = cc.change.is_merge
    sources = [f for f in _text_files(files) if signals.is_source(f.path, rule.params)]
    known: dict[int, int] = {}  # id(f) -> its new line count, known without a read
    for f in sources:
        countable = _countable(f)
        if f.is_new and not merge:
            # A new file's patch adds every one of its lines, so its length is known
            # without a blob read (a cat-file round trip per new file in a push).
            known[id(f)] = f.added
        elif countable and f.new_blob in _LINES:  # counted ahead, or seen before
            known[id(f)] = _LINES[f.new_blob]
        elif countable and not merge and f.old_mode in _REGULAR and f.old_blob in _LINES:
            # (a combined diff's counts are not against one parent: never for a merge)
            known[id(f)] = _LINES[f.old_blob] + f.added - f.deleted
        else:
            continue
        if countable:
            _remember(f.new_blob, known[id(f)])
    # A file vendored by its name gets no finding, so it is not counted (minified bundles
    # are the biggest blobs a range reads), unless the parent's attributes take it back.
    grown = [f for f in sources if f.added > f.deleted
             and not (signals.vendored_path(f.path) and _vendored(cc, f))]
    if cc.env.prefetch is not None:  # one round trip for the commit's blobs, not one each
        cc.env.prefetch(cc.change, [f.path for f in grown if id(f) not in known], False)
    for f in grown:
        new_lines = known.get(id(f))
        if new_lines is None:
            text = read(cc.change, f.path, False)
            if text is None:
                continue
            new_lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
            if _countable(f):
                _remember(f.new_blob, new_lines)
        old_lines = new_lines - f.added + f.deleted
        sh = signals.file_size(f.path, old_lines, new_lines, rule.params)
        if sh is not None and not _vendored(cc, f):
            hits.append(_hit(rule, f, sh, cc))
    return hits
