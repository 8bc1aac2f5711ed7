# gatekeeper/engine.py: evaluate(change, context) -> findings; rules, selectors, waivers, fingerprints.
"""The engine: for one :class:`ChangeSet` and the :class:`Context` of its parent, run every
enabled rule's check kind on the files its selectors pick, turn hits into findings, and
apply the ledger's waivers. Pure: no git, no files, no output.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from gatekeeper.changes import ChangeSet, FileChange
from gatekeeper.config import Config
from gatekeeper.context import Context
from gatekeeper.globs import fold, index_dirs, match, match_any
from gatekeeper.identity import Identity
from gatekeeper.ledger import Feature, LedgerState, Waiver
from gatekeeper.policy import Rule, Selectors
from gatekeeper.record import dataclass, field, replace
from gatekeeper.rules import load_check

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    import datetime as dt
    from typing import Any

CODE_CLASSES = ("code", "tests", "schema")
#: When a file has several names (a rename's old and new path, a symlink's target), its one
#: class is the most guarded of theirs: moving a migration into src/ is a schema change.
CLASS_PRIORITY = ("schema", "code", "tests", "pact", "ai_config", "docs", "other")
SYMLINK_MODE = "120000"


@dataclass
class Hit:
    """What a check kind reports: the facts; the engine adds rule, level and wording."""

    fields: dict[str, Any]
    paths: list[str]
    feature: str | None = None
    line: int | None = None
    evidence: str = ""
    level: str | None = None
    category: str | None = None
    action: str | None = None


@dataclass
class Finding:
    """A rule's verdict on one thing a change did (the JSON report's ``findings`` item)."""

    rule: str
    title: str
    level: str
    category: str
    action: str  # block | warn
    message: str
    remedy: str
    impact: str
    paths: list[str]
    commit: str
    feature: str | None
    agent: str | None
    line: int | None = None
    fingerprint: str = ""
    waiver: str | None = None
    escalation: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The report@1 shape."""
        out: dict[str, Any] = {
            "rule": self.rule, "level": self.level, "category": self.category,
            "action": self.action, "message": self.message, "paths": self.paths,
            "commit": self.commit, "feature": self.feature, "agent": self.agent,
            "remedy": self.remedy, "line": self.line, "title": self.title,
            "fingerprint": self.fingerprint,
        }
        if self.waiver:
            out["waiver"] = self.waiver
        if self.escalation:
            out["escalation"] = self.escalation
        return out


def current_date() -> dt.date:
    """Today, for waiver expiry. ``GATEKEEPER_TODAY=YYYY-MM-DD`` overrides it: a testing aid
    (and a way to preview which waivers will have expired on a given day)."""
    import datetime as dt  # imported here: most hook runs never need a date

    forced = os.environ.get("GATEKEEPER_TODAY")
    if forced:
        try:
            return dt.date.fromisoformat(forced.strip())
        except ValueError:
            from gatekeeper.errors import ConfigError

            raise ConfigError("GATEKEEPER_TODAY", f"{forced!r} is not a date (YYYY-MM-DD)") from None
    return dt.date.today()


@dataclass
class Environment:
    """Where the judging happens and what the driver can supply on demand."""

    where: str = "client"  # client | ci | server
    #: The date waiver expiry is judged on; None: :func:`current_date`, read only when a
    #: finding meets a waiver (datetime costs a hook ~1 ms to import).
    today: dt.date | None = None
    #: Lines changed in a feature's paths from its baseline to this change, or None to defer.
    scope_lines: Callable[[Feature, ChangeSet], int | None] | None = None
    #: Text of a path before (old=True) or after the change, None when absent.
    read_text: Callable[[ChangeSet, str, bool], str | None] | None = None
    #: The bytes of a path before (old=True) or after the change, None when absent.
    read_bytes: Callable[[ChangeSet, str, bool], bytes | None] | None = None
    #: Read ahead, in one batch, the paths (before or after the change) about to be read.
    prefetch: Callable[[ChangeSet, list[str], bool], None] | None = None
    #: Open HALT escalations per feature (for the HALT freeze).
    open_halts: Callable[[], Mapping[str, list[str]]] | None = None
    #: Scope requests a range driver resolves in one batch after the stream.
    deferred: list[tuple[Rule, Feature, ChangeSet, Context, Identity]] = field(default_factory=list)
    expired_seen: dict[str, Waiver] = field(default_factory=dict)
    ref: str | None = None
    refs: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class CheckContext:
    """What a check kind may read. Check kinds never call git."""

    change: ChangeSet
    context: Context
    identity: Identity
    env: Environment
    classes: dict[str, str]
    features_of: dict[str, list[str]]
    claimed_feature: str | None
    #: Every name of each changed path (keyed by ``FileChange.path``): the path itself, a
    #: rename's or copy's old path, a symlink's target. Rules judge a file under all of them.
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def names_of(self, f: FileChange) -> tuple[str, ...]:
        """Every name ``f`` is judged under (its path first)."""
        return self.names.get(f.path) or (f.path,)

    @property
    def state(self) -> LedgerState:
        """The folded ledger of the parent."""
        return self.context.state

    @property
    def config(self) -> Config:
        """The configuration of the parent."""
        return self.context.config

    @property
    def agent(self) -> str | None:
        """The resolved role, or None."""
        return self.identity.agent

    def files_by_feature(self, files: list[FileChange]) -> dict[str, list[FileChange]]:
        """Group ``files`` by the feature each belongs to."""
        out: dict[str, list[FileChange]] = {}
        for f in files:
            for fid in self.features_of.get(f.path, ()):
                out.setdefault(fid, []).append(f)
        return out


_PLACEHOLDER: Any = None


def render(template: str, fields: Mapping[str, Any]) -> str:
    """Fill a message template's ``{name}`` placeholders; ``{{`` and ``}}`` are braces.

    Bounded by construction: no format specs, conversions, attributes or indexes are
    interpreted (the loaders refuse them; anything else is left as written, as are unknown
    fields), so the output is the template plus the field values, never more.
    """
    global _PLACEHOLDER
    if _PLACEHOLDER is None:
        import re

        _PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")

    def fill(m: Any) -> str:
        token: str = m.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name: str = m.group(1)
        return str(fields[name]) if name in fields else token

    return str(_PLACEHOLDER.sub(fill, template))


def names_of(change: ChangeSet, f: FileChange, env: Environment | None = None) -> tuple[str, ...]:
    """Every name a changed file has: its path; a rename's or copy's old path (moving
    ``.pact/ledger.yaml`` out of ``.pact/`` changes the ledger); and a symlink's target,
    resolved against the link's directory (a link into ``db/migrations/`` is schema). A
    target outside the repository names nothing in it."""
    names = [f.path]
    if f.old_path and f.old_path != f.path:
        names.append(f.old_path)
    if f.new_mode == SYMLINK_MODE and not f.is_deleted:
        target = f.added_lines[0][1] if f.added_lines else None
        if target is None and env is not None and env.read_text is not None:
            target = env.read_text(change, f.path, False)
        if target and not target.startswith("/"):
            import posixpath  # only for symlinks

            slash = f.path.rfind("/")
            joined = posixpath.normpath(posixpath.join(f.path[: slash + 1], target.strip("\n")))
            if joined not in (".", "..") and not joined.startswith("../") and joined not in names:
                # The target may be a directory: its contents are reached through the link.
                names += [joined, joined + "/"]
    return tuple(names)


def attribute(change: ChangeSet, state: LedgerState, config: Config,
              claimed: str | None, env: Environment | None = None,
              ) -> tuple[dict[str, str], dict[str, list[str]], dict[str, tuple[str, ...]]]:
    """Each path's class, the features each path belongs to, and each path's names.

    A path with several names (see :func:`names_of`) gets the most guarded of their
    classes and the features of all of them. A ``PACT-Feature`` trailer narrows a path
    matched by several features to the claimed one. Matching ignores case and Unicode
    normalisation (:func:`gatekeeper.globs.fold`).
    """
    classes: dict[str, str] = {}
    features_of: dict[str, list[str]] = {}
    names: dict[str, tuple[str, ...]] = {}
    by_dir, anywhere = _feature_index(state)
    order = _order(state)
    # name -> the features whose globs match it, kept on the (immutable) ledger state: a
    # range judges the same paths under the same state commit after commit.
    known: dict[str, frozenset[str]] = state.__dict__.setdefault("_owners", {})
    if len(known) > 20_000:
        known.clear()
    for f in change.files:
        these = names_of(change, f, env)
        names[f.path] = these
        if len(these) == 1:
            classes[f.path] = config.path_class(f.path)
        else:
            got = {config.path_class(n) for n in these}
            classes[f.path] = next(c for c in (*CLASS_PRIORITY, *sorted(got)) if c in got)
        owners: set[str] = set()
        for name in these:
            mine = known.get(name)
            if mine is None:
                folded = fold(name)
                # Only features with a glob under one of the path's directories can match it.
                dirs = [""] + [folded[: i + 1] for i, c in enumerate(folded) if c == "/"]
                candidates = {ft.id: ft for d in dirs for ft in by_dir.get(d, ())}
                candidates.update((ft.id, ft) for ft in anywhere)
                mine = known[name] = frozenset(
                    fid for fid, ft in candidates.items() if match_any(ft.paths, name))
            owners.update(mine)
        found = sorted(owners, key=order.__getitem__)
        if claimed and claimed in found and len(found) > 1:
            found = [claimed]
        if found:
            features_of[f.path] = found
    return classes, features_of, names


def _feature_index(state: LedgerState) -> tuple[dict[str, list[Feature]], list[Feature]]:
    """Features by the literal directory their globs lie under, built once per ledger state.

    With a thousand declared features a commit's ten paths would otherwise mean ten
    thousand glob tests on every hook run.
    """
    cached = state.__dict__.get("_index")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    by_dir: dict[str, list[Feature]] = {}
    anywhere: list[Feature] = []
    for ft in state.features.values():
        keys = [index_dirs(p) for p in ft.paths]
        if any(k is None for k in keys):
            anywhere.append(ft)
            continue
        for d in {d for k in keys if k is not None for d in k}:
            by_dir.setdefault(d, []).append(ft)
    index = (by_dir, anywhere)
    state.__dict__["_index"] = index
    return index


def _order(state: LedgerState) -> dict[str, int]:
    order = state.__dict__.get("_order")
    if order is None:
        order = state.__dict__["_order"] = {fid: i for i, fid in enumerate(state.features)}
    return order


#: (paths, exclude_paths, names) -> whether a file with those names is selected by them. A
#: push asks the same few questions once per commit and rule. Bounded like globs._ANY.
_BY_PATH: dict[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], bool] = {}


def _path_selected(sel: Selectors, names: tuple[str, ...]) -> bool:
    """Selected under any of its names; excluded only when every name is excluded."""
    key = (sel.paths, sel.exclude_paths, names)
    got = _BY_PATH.get(key)
    if got is None:
        got = ((sel.paths == ("**",) or any(match_any(sel.paths, n) for n in names))
               and not (sel.exclude_paths
                        and all(match_any(sel.exclude_paths, n) for n in names)))
        if len(_BY_PATH) >= 50_000:
            _BY_PATH.clear()
        _BY_PATH[key] = got
    return got


def _selected(rule: Rule, files: list[FileChange], cc: CheckContext) -> list[FileChange]:
    sel = rule.selectors
    if sel.paths == ("**",) and not (sel.exclude_paths or sel.classes or sel.phases):
        return files  # most rules select every file: no per-file test to make
    out = []
    for f in files:
        names = cc.names_of(f)
        if not _path_selected(sel, names):
            continue
        if sel.classes and cc.classes.get(f.path) not in sel.classes and not any(
                cc.config.path_class(n) in sel.classes for n in names[1:]):
            continue
        if sel.phases:
            phases = {cc.state.features[fid].phase or "declared"
                      for fid in cc.features_of.get(f.path, ())}
            if not phases & set(sel.phases):
                continue
        out.append(f)
    return out


def fingerprint(rule: str, feature: str | None, agent: str | None, evidence: str) -> str:
    """The de-duplication key of an escalation: (rule, feature, agent, evidence)."""
    raw = "\0".join((rule, feature or "", agent or "", evidence))
    from gatekeeper.digest import sha256_hex  # only when there is a finding to fingerprint

    return sha256_hex(raw.encode("utf-8", "surrogateescape"))[:16]


def _waiver_for(finding: Finding, waivers: list[Waiver], today: dt.date,
                expired: dict[str, Waiver]) -> Waiver | None:
    for w in reversed(waivers):
        if w.rule != finding.rule:
            continue
        if w.feature and w.feature != finding.feature:
            continue
        if w.path and not (finding.paths and all(match(w.path, p) for p in finding.paths)):
            continue
        if not w.active(today):
            expired[w.id] = w
            continue
        return w
    return None


def evaluate(change: ChangeSet, context: Context, identity: Identity, env: Environment,
             *, only: set[str] | None = None) -> list[Finding]:
    """Judge one change against the context of its parent; findings in rule order.

    With no ``--agent``, trailer or ``PACT_AGENT``, the agent is the one role the roster
    gives the author's email (DESIGN.md's identity order), except on the server, where the
    author is whatever the pusher wrote. Otherwise the identity stays unknown, and an
    unknown identity owns nothing (domain-boundary).
    """
    if (identity.agent is None and env.where != "server" and change.author_email
            and context.config.roster):
        roles = context.config.roles_of(change.author_email)
        if len(roles) == 1:
            identity = replace(identity, agent=roles[0], source="author")
    claimed = identity.feature
    classes, features_of, names = attribute(change, context.state, context.config, claimed, env)
    cc = CheckContext(change=change, context=context, identity=identity, env=env,
                      classes=classes, features_of=features_of, claimed_feature=claimed,
                      names=names)
    findings: list[Finding] = []
    for rule in context.rules:
        if rule.action == "off" or (only is not None and rule.id not in only):
            continue
        if rule.selectors.roles and identity.agent not in rule.selectors.roles:
            continue
        files = _selected(rule, change.files, cc)
        for hit in load_check(rule.check)(cc, rule, files):
            findings.append(_finding(rule, hit, change, identity))
    if findings and context.state.waivers:
        if env.today is None:
            env.today = current_date()
        for f in findings:
            w = _waiver_for(f, context.state.waivers, env.today, env.expired_seen)
            if w is not None:
                f.waiver = w.id
    return findings


def _finding(rule: Rule, hit: Hit, change: ChangeSet, identity: Identity) -> Finding:
    fields: dict[str, Any] = {
        "rule": rule.id, "agent": identity.agent or "unknown", "commit": change.label,
        "feature": hit.feature or "-", "paths": ", ".join(hit.paths[:8])
        + (f" (+{len(hit.paths) - 8} more)" if len(hit.paths) > 8 else ""),
        "path": hit.paths[0] if hit.paths else "", "count": len(hit.paths),
        "line": hit.line or 0,
    }
    fields.update(hit.fields)
    action = hit.action or rule.action
    evidence = hit.evidence or "\0".join(sorted(hit.paths))
    return Finding(
        rule=rule.id, title=rule.title, level=hit.level or rule.level,
        category=hit.category or rule.category, action=action,
        message=render(rule.message, fields), remedy=render(rule.remedy, fields),
        impact=render(rule.impact, fields), paths=list(hit.paths), commit=change.label,
        feature=hit.feature, agent=identity.agent, line=hit.line,
        fingerprint=fingerprint(rule.id, hit.feature, identity.agent, evidence),
    )
