# gatekeeper/rules/integrity.py: check kind ledger_integrity: an append-only, valid, orchestrator-only ledger.
"""The rules that judge agents live in the repository, so their files need their own gate:
the ledger may only grow by valid events, and only the orchestrator may change the
ledger, the config or the project's policies.
"""

from __future__ import annotations

from gatekeeper.config import gatekeeper_section, load_config
from gatekeeper.context import CONFIG_PATH, POLICY_DIR
from gatekeeper.engine import Hit
from gatekeeper.errors import ConfigError
from gatekeeper.globs import fold
from gatekeeper.ledger import LEDGER_PATH, parse

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any

    from gatekeeper.changes import FileChange
    from gatekeeper.engine import CheckContext
    from gatekeeper.policy import Rule


#: pyproject.toml text -> what :func:`gatekeeper_state` said of it. A range judges the same
#: file's versions again and again (one commit's new side is the next one's old side), and
#: parsing the TOML is most of what this rule costs there. Bounded, and small files only.
_STATES: dict[str, Any] = {}


def gatekeeper_state(text: str | None) -> Any:
    """What decides whether a pyproject.toml change is governed: its ``[tool.gatekeeper]``
    section (None when absent or when the file is absent), or ``"invalid"`` when it is not
    valid TOML. Two versions with equal states differ in nothing the gatekeeper reads."""
    if text is None:
        return None
    got = _STATES.get(text, _STATES)
    if got is _STATES:
        try:
            got = gatekeeper_section(text, "pyproject.toml")
        except ConfigError:
            got = "invalid"
        if len(text) <= 1 << 18:
            if len(_STATES) >= 64:
                _STATES.clear()
            _STATES[text] = got
    return got


def _governed(cc: CheckContext, f: FileChange) -> bool:
    # Under every name (a rename's old path, a symlink's target), in any case or NFC spelling.
    if any(n in (LEDGER_PATH, CONFIG_PATH) or n.startswith(POLICY_DIR + "/")
           for n in map(fold, cc.names_of(f))):
        return True
    if f.path == "pyproject.toml" and cc.env.read_text is not None:
        return bool(gatekeeper_state(cc.env.read_text(cc.change, f.path, True))
                    != gatekeeper_state(cc.env.read_text(cc.change, f.path, False)))
    return False


def _problem(cc: CheckContext, f: FileChange) -> str | None:
    read = cc.env.read_text
    if read is None:
        return None
    new = None if f.is_deleted else read(cc.change, f.path, False)
    if f.path == LEDGER_PATH:
        old = read(cc.change, f.path, True)
        if new is None:
            return "the ledger was deleted; it is append-only"
        try:
            _, events = parse(new, LEDGER_PATH)
        except ConfigError as exc:
            return f"the new ledger does not validate: {exc}"
        return _ledger_problem(cc, old, new, events)
    if new is None:
        return None
    try:
        if f.path == CONFIG_PATH:
            load_config(new, None)
        elif f.path == "pyproject.toml":
            load_config(None, new)
        elif f.path.endswith((".yaml", ".yml")):
            from gatekeeper.policy import parse_pack

            parse_pack(new, f.path)
    except ConfigError as exc:
        return f"it does not validate: {exc}"
    return None


def _old_events(old: str) -> list[Any] | None:
    """The parent's ledger as data (raw documents); None when it cannot be read as YAML."""
    from gatekeeper import yamlio

    try:
        return yamlio.load_all(old, LEDGER_PATH)
    except ConfigError:
        return None


def _ledger_problem(cc: CheckContext, old: str | None, new: str, events: list[Any]) -> str | None:
    """Append-only by meaning: the parent's events are the first events of the new ledger,
    unchanged (a merge: all present); every new ``approve`` names a file at this commit."""
    from gatekeeper import yamlio

    docs = yamlio.load_all(new, LEDGER_PATH)
    before = [] if old is None else _old_events(old)
    if before is None:
        if old is not None and not new.startswith(old.rstrip("\n")):
            return "earlier ledger events were changed or removed; the ledger is append-only"
        before = []
    if cc.change.is_merge:
        left = [_key(d) for d in docs]
        for ev in before:
            k = _key(ev)
            if k not in left:
                return ("the merge drops or changes ledger events of "
                        f"{cc.change.parents[0][:12]}; the ledger is append-only")
            left.remove(k)
        fresh = [events[i] for i, d in enumerate(docs) if _key(d) in left]
    else:
        if [_key(d) for d in docs[: len(before)]] != [_key(d) for d in before]:
            return "earlier ledger events were changed or removed; the ledger is append-only"
        fresh = events[len(before):]
    return _approval_problem(cc, fresh)


def _key(doc: Any) -> str:
    import json

    return json.dumps(doc, sort_keys=True, default=str)


def _approval_problem(cc: CheckContext, events: list[dict[str, Any]]) -> str | None:
    """An approval must name a file committed with it, with the recorded sha256."""
    read = cc.env.read_bytes
    if read is None:
        return None
    # The ledger keeps the last approval per artifact: an earlier one it supersedes is moot.
    last = {(ev.get("feature"), ev.get("kind")): ev for ev in events if ev.get("event") == "approve"}
    for ev in last.values():
        data = read(cc.change, ev["path"], False)
        where = "this commit" if cc.change.commit else "the index"
        if data is None:
            return (f"the approve event for {ev['feature']} names {ev['path']}, which is not in "
                    f"{where}; commit the approved file with the ledger event")
        from gatekeeper.digest import sha256_hex

        digest = sha256_hex(data)
        if digest != ev["sha256"]:
            return (f"the approve event for {ev['feature']} records sha256 {ev['sha256'][:12]} "
                    f"but {ev['path']} in {where} has {digest[:12]}; approve the committed "
                    "version ('gatekeeper approve' after staging it)")
    return None


def ledger_integrity(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """Hits for governed files changed by a non-orchestrator, or left invalid."""
    governed = [f for f in files if _governed(cc, f)]
    if not governed:
        return []
    hits = []
    if cc.agent != "orchestrator":
        hits.append(Hit(
            fields={"problem": f"changed by {cc.agent or 'an unidentified agent'}; only the "
                               "orchestrator may change the ledger, config and policies"},
            paths=[f.path for f in governed], level="HALT", category="SECURITY",
            evidence="role"))
    for f in governed:
        problem = _problem(cc, f)
        if problem:
            hits.append(Hit(fields={"problem": problem}, paths=[f.path],
                            evidence=f"invalid:{f.path}"))
    return hits
