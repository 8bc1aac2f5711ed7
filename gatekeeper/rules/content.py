# gatekeeper/rules/content.py: check kinds that scan added lines for PACT's HALT/ALERT signals.
"""Adapters between the engine and the pure detectors in :mod:`gatekeeper.signals`.

Only added lines are judged; binary files and submodules are skipped; a pure rename
adds no lines, so old content is never re-judged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper import signals
from gatekeeper.engine import Hit
from gatekeeper.globs import match_any

if TYPE_CHECKING:
    from gatekeeper.changes import FileChange
    from gatekeeper.engine import CheckContext
    from gatekeeper.policy import Rule


def _text_files(files: list[FileChange]) -> list[FileChange]:
    return [f for f in files if not f.binary and not f.is_gitlink and f.added_lines]


def _hit(rule: Rule, f: FileChange, sh: signals.SignalHit, cc: CheckContext) -> Hit:
    feats = cc.features_of.get(f.path, [])
    return Hit(fields={"observed": sh.observed, "excerpt": sh.excerpt, "advice": sh.advice},
               paths=[f.path], line=sh.line or None,
               feature=feats[0] if len(feats) == 1 else None,
               evidence=f"{f.path}\0{sh.evidence}")


def content_signal(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """Run the rule's content detector over each file's added lines."""
    detector = signals.CONTENT_DETECTORS[rule.check]
    hits = []
    for f in _text_files(files):
        for sh in detector(f.path, f.added_lines, rule.params):
            hits.append(_hit(rule, f, sh, cc))
    return hits


def destructive_sql(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """Destructive SQL, except in migrations written by a role allowed to (the database engineer)."""
    roles = rule.params.get("migration_roles", ["database-engineer"])
    migrations = rule.params.get("migration_paths", cc.config.paths.get("schema", []))
    hits = []
    for f in _text_files(files):
        if cc.agent in roles and match_any(migrations, f.path):
            continue
        for sh in signals.destructive_sql(f.path, f.added_lines, rule.params):
            hits.append(_hit(rule, f, sh, cc))
    return hits


def sensitive_file(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """Committed .env files, private keys and credential stores (added or modified)."""
    hits = []
    for f in files:
        if f.is_deleted:
            continue
        sh = signals.sensitive_file(f.path, rule.params)
        if sh is not None:
            hits.append(_hit(rule, f, sh, cc))
    return hits


def file_header(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """New source files that do not open with a header comment."""
    hits = []
    for f in _text_files(files):
        if not f.is_new:
            continue
        sh = signals.file_header(f.path, f.added_lines, rule.params)
        if sh is not None:
            hits.append(_hit(rule, f, sh, cc))
    return hits


def file_size(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """Source files that grow past the size limit with this change."""
    read = cc.env.read_text
    hits = []
    for f in _text_files(files):
        if f.added <= f.deleted or read is None:
            continue
        if f.is_new and not cc.change.is_merge:
            # A new file's patch adds every one of its lines, so its length is known
            # without a blob read (a cat-file round trip per new file in a push).
            new_lines = f.added
        else:
            text = read(cc.change, f.path, False)
            if text is None:
                continue
            new_lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        old_lines = new_lines - f.added + f.deleted
        sh = signals.file_size(f.path, old_lines, new_lines, rule.params)
        if sh is not None:
            hits.append(_hit(rule, f, sh, cc))
    return hits
