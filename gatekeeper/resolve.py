# gatekeeper/resolve.py: resolving an escalation: the note and a ledger event, so servers learn of it.
"""PACT: the orchestrator may not suppress a signal; an override needs a written
justification, which is logged. A resolution is written to the note (status, outcome,
note, who, when) and appended to the ledger as a ``resolve`` event.

A note id printed by a server rejection (or by another clone) can be resolved from any
clone: when this clone's inbox has no such note, the ledger event alone is recorded, and
the server honours it once the ledger commit lands. A secret typed into the note is
refused before it reaches the tracked ledger."""

from __future__ import annotations

import re

from gatekeeper import git, orchestrator
from gatekeeper.errors import GatekeeperError, RefusedError
from gatekeeper.escalations import Inbox, Note
from gatekeeper.ledger import LedgerState, now
from gatekeeper.schema import OUTCOMES, is_placeholder

#: The shortest written justification accepted for overriding a HALT.
HALT_OVERRIDE_MIN = 40
#: A full escalation note id, as a server rejection prints it.
NOTE_ID = re.compile(r"E-[0-9a-f]{12}(?:-[0-9]+)?")


def _check_text(text: str) -> str:
    """The resolution note, refused when empty, a placeholder or carrying a secret."""
    text = text.strip()
    if is_placeholder(text):
        raise RefusedError("--note must say what was decided (at least 12 characters, not a "
                           "placeholder)")
    from gatekeeper.signals import redact

    if redact(text) != text:
        raise RefusedError("--note contains what looks like a secret (token, password or "
                           "key); the ledger is tracked and pushed, so describe the action "
                           "without the value, e.g. 'key rotated, removed from history'")
    return text


def _resolve_elsewhere(repo: git.Repo, inbox: Inbox, note_id: str, outcome: str, text: str,
                       state: LedgerState | None) -> Note:
    """Resolve a note this clone's inbox does not hold (raised by the server or another
    clone): only the ledger event, which is how the server learns of it."""
    if not NOTE_ID.fullmatch(note_id):
        raise GatekeeperError(f"no escalation {note_id!r} in {inbox.root}; give the full id "
                              "the server printed (E- and 12 hex digits) to resolve a note "
                              "raised elsewhere")
    if repo.top is None:
        raise GatekeeperError(f"no escalation {note_id!r} in {inbox.root}")
    known = state.resolutions.get(note_id) if state is not None else None
    if known is not None:
        raise RefusedError(f"{note_id} is already {known.outcome} in the ledger (by {known.by} "
                           f"at {known.at})")
    text = _check_text(text)
    # The level is unknown here: an override needs the HALT's written justification.
    if outcome == "overridden" and len(text) < HALT_OVERRIDE_MIN:
        raise RefusedError(f"{note_id} is not in this clone's inbox, so it may be a HALT: an "
                           f"override needs a written justification of at least "
                           f"{HALT_OVERRIDE_MIN} characters: what was checked, and why it is "
                           "safe to go on")
    ev = orchestrator.resolve_event(repo, note_id, outcome, text)
    from pathlib import Path

    return Note(path=Path(inbox.root / f"{note_id}.md"), meta={
        "id": note_id, "status": outcome, "elsewhere": True,
        "resolution": {"outcome": outcome, "note": text, "by": ev.get("by", ""),
                       "at": ev.get("at", "")}})


def resolve(repo: git.Repo, inbox: Inbox, note_id: str, outcome: str, text: str,
            state: LedgerState | None = None) -> Note:
    """Resolve (acknowledge, override or resolve) a note; record it in the ledger too.

    Refused: an unknown outcome, a note that is no longer open, an empty or placeholder
    note, a HALT override without a written justification. A note open in the inbox
    but already resolved in the ledger (from another clone) is brought up to date
    without a second ledger event.
    """
    if outcome not in OUTCOMES:
        raise RefusedError(f"--outcome must be one of {', '.join(OUTCOMES)}")
    try:
        note = inbox.get(note_id)
    except GatekeeperError as exc:
        if not str(exc).startswith("no escalation"):
            raise
        return _resolve_elsewhere(repo, inbox, note_id, outcome, text, state)
    if note.status != "open":
        res = note.meta.get("resolution") or {}
        raise RefusedError(f"{note.id} is already {note.status}"
                           + (f" (by {res.get('by')} at {res.get('at')})"
                              if isinstance(res, dict) and res.get("by") else ""))
    known = state.resolutions.get(note.id) if state is not None else None
    if known is not None:
        return inbox.update(note.id, status=known.outcome, resolution={
            "outcome": known.outcome, "note": known.note, "by": known.by, "at": known.at,
            "source": "ledger"})
    text = _check_text(text)
    if (outcome == "overridden" and note.meta.get("level") == "HALT"
            and len(text) < HALT_OVERRIDE_MIN):
        raise RefusedError(f"overriding a HALT needs a written justification of at least "
                           f"{HALT_OVERRIDE_MIN} characters: what was checked, and why it is "
                           "safe to go on")
    by = orchestrator.who(repo)
    at = now()
    if repo.top is not None:
        ev = orchestrator.resolve_event(repo, note.id, outcome, text)
        by, at = ev.get("by", by), ev.get("at", at)
    return inbox.update(note.id, status=outcome,
                        resolution={"outcome": outcome, "note": text, "by": by, "at": at})
