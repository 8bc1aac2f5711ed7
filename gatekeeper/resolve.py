# gatekeeper/resolve.py: resolving an escalation: the note and a ledger event, so servers learn of it.
"""PACT: the orchestrator may not suppress a signal; an override needs a written
justification, which is logged. A resolution is written to the note (status, outcome,
note, who, when) and appended to the ledger as a ``resolve`` event."""

from __future__ import annotations

from gatekeeper import git, orchestrator
from gatekeeper.errors import RefusedError
from gatekeeper.escalations import Inbox, Note
from gatekeeper.ledger import LedgerState, now
from gatekeeper.schema import OUTCOMES, is_placeholder

#: The shortest written justification accepted for overriding a HALT.
HALT_OVERRIDE_MIN = 40


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
    note = inbox.get(note_id)
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
    text = text.strip()
    if is_placeholder(text):
        raise RefusedError("--note must say what was decided (at least 12 characters, not a "
                           "placeholder)")
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
