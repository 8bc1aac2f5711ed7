# gatekeeper/resolve.py: resolving an escalation: the note and a ledger event, so servers learn of it.
"""PACT: the orchestrator may not suppress a signal; an override needs a written
justification, which is logged. A resolution is written to the note (status, outcome,
note, who, when) and appended to the ledger as a ``resolve`` event."""

from __future__ import annotations

from gatekeeper import git, orchestrator
from gatekeeper.errors import RefusedError
from gatekeeper.escalations import Inbox, Note
from gatekeeper.ledger import now
from gatekeeper.schema import is_placeholder


def resolve(repo: git.Repo, inbox: Inbox, note_id: str, outcome: str, text: str) -> Note:
    """Resolve (acknowledge, override or resolve) a note; record it in the ledger too."""
    note = inbox.get(note_id)
    if note.status != "open":
        raise RefusedError(f"{note.id} is already {note.status}")
    if is_placeholder(text):
        raise RefusedError("--note must say what was decided (at least 12 characters, not a "
                           "placeholder)")
    if outcome == "overridden" and note.meta.get("level") == "HALT" and len(text.strip()) < 40:
        raise RefusedError("overriding a HALT needs a written justification of at least 40 "
                           "characters: what was checked, and why it is safe to go on")
    by = orchestrator.who(repo)
    if repo.top is not None:
        orchestrator.resolve_event(repo, note.id, outcome, text)
    return inbox.update(note.id, status=outcome,
                        resolution={"outcome": outcome, "note": text, "by": by, "at": now()})
