# gatekeeper/inboxcmd.py: `gatekeeper escalations`: list, show and resolve algedonic notes.
"""The orchestrator's view of the escalation inbox.

A note's status is the one in its file, unless the ledger holds a ``resolve`` event for
it: a resolution made in another clone (and committed) closes the note here too, which
is how a server learns that a HALT its pre-receive recorded has been dealt with.
"""

from __future__ import annotations

import argparse
import sys

from gatekeeper import git
from gatekeeper.context import inbox_dir
from gatekeeper.errors import Exit, GatekeeperError
from gatekeeper.escalations import Inbox, Note
from gatekeeper.ledger import LedgerState, Resolution
from gatekeeper.report import dump_json

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any


def _context(repo: git.Repo) -> tuple[str | None, LedgerState]:
    """The configured inbox and the ledger: the working tree's, else (a bare server
    repository) the default branch's, found even when ``HEAD`` names a missing branch."""
    from gatekeeper.context import default_branch, load_at, load_worktree

    try:
        if repo.top is not None:
            ctx = load_worktree(repo)
        else:
            with git.CatFile(repo) as cat:
                found = default_branch(repo, cat)
                ctx = load_at(repo, cat, found[1] if found else None)
    except GatekeeperError:
        return None, LedgerState()  # a broken config must not hide the inbox
    return ctx.config.inbox, ctx.state


def effective(note: Note, state: LedgerState) -> tuple[str, Resolution | None]:
    """The note's status, taking the ledger's resolutions into account."""
    res = state.resolutions.get(note.id)
    if note.status == "open" and res is not None:
        return res.outcome, res
    return note.status, None


def _row(n: Note, status: str) -> str:
    m = n.meta
    return (f"{n.id:<16} {m.get('level', ''):<5} {m.get('category', ''):<10} {status:<12} "
            f"x{m.get('attempts', 1)!s:<3} {m.get('rule', '')!s:<18} "
            f"{m.get('feature') or '-'}")[:80]


def _as_json(n: Note, status: str, res: Resolution | None) -> dict[str, Any]:
    out = dict(n.meta, path=str(n.path), status=status)
    if res is not None:
        out["resolution"] = {"outcome": res.outcome, "note": res.note, "by": res.by,
                             "at": res.at, "source": "ledger"}
    return out


def run(repo: git.Repo, args: argparse.Namespace) -> int:
    """Dispatch ``escalations [list|show|resolve]``."""
    configured, state = _context(repo)
    inbox = Inbox(inbox_dir(repo, configured))
    cmd = args.esc_cmd or "list"
    fmt = getattr(args, "format", "text")
    if cmd == "list":
        status = getattr(args, "status", "open")
        level = getattr(args, "level", None)
        rows = []
        for n in inbox.notes():
            st, res = effective(n, state)
            if (status == "all" or st == "open") and (level is None
                                                     or n.meta.get("level") == level):
                rows.append((n, st, res))
        rows.sort(key=lambda r: (r[1] != "open", r[0].meta.get("level") != "HALT",
                                 str(r[0].meta.get("created"))))
        if fmt == "json":
            sys.stdout.write(dump_json({"escalations": [_as_json(*r) for r in rows],
                                        "inbox": str(inbox.root)}))
        elif not rows:
            what = f"{level} " if level else ""
            sys.stdout.write(f"no {'open ' if status == 'open' else ''}{what}escalations "
                             f"in {inbox.root}\n")
        else:
            sys.stdout.write(f"{'ID':<16} {'LEVEL':<5} {'CATEGORY':<10} {'STATUS':<12} "
                             f"{'ATT':<4} {'RULE':<18} FEATURE\n")
            for n, st, _ in rows:
                sys.stdout.write(_row(n, st) + "\n")
        return Exit.OK
    if cmd == "show":
        note = inbox.get(args.id)
        st, res = effective(note, state)
        if fmt == "json":
            sys.stdout.write(dump_json(_as_json(note, st, res)))
        else:
            sys.stdout.write(note.path.read_text(encoding="utf-8"))
            if res is not None:
                sys.stdout.write(f"\n## Resolution in the ledger ({res.outcome})\n\n{res.note}\n\n"
                                 f"By {res.by} at {res.at}.\n")
            sys.stdout.write(f"\n(file: {note.path})\n")
        return Exit.OK
    if cmd == "resolve":
        from gatekeeper import resolve as resolving

        note = resolving.resolve(repo, inbox, args.id, args.outcome, args.note, state=state)
        where = ("recorded in the note and in the ledger; commit .pact/ledger.yaml (on its "
                 "own) so the server and other clones learn of it" if repo.top is not None
                 else "recorded in the note")
        if fmt == "json":
            sys.stdout.write(dump_json(_as_json(note, note.status, None)))
        elif note.meta.get("elsewhere"):
            sys.stdout.write(
                f"{note.id}: {note.status} in the ledger (this clone's inbox has no such "
                "note: it was raised by the server or another clone). Commit the ledger on "
                "its own and push it, so the server learns of it:\n"
                f"  git commit -m 'resolve {note.id}' --trailer 'PACT-Agent: orchestrator' "
                "-- .pact/ledger.yaml\n")
        elif (note.meta.get("resolution") or {}).get("source") == "ledger":
            res = note.meta["resolution"]
            sys.stdout.write(f"{note.id}: already {note.status} in the ledger by "
                             f"{res.get('by')} at {res.get('at')}; the note now says so\n")
        else:
            sys.stdout.write(f"{note.id}: {note.status}; {where}\n")
        return Exit.OK
    raise GatekeeperError(f"unknown escalations command {cmd!r}")
