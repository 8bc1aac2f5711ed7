# gatekeeper/inboxcmd.py: `gatekeeper escalations`: list, show and resolve algedonic notes.
"""The orchestrator's view of the escalation inbox."""

from __future__ import annotations

import argparse
import sys

from gatekeeper import git
from gatekeeper.errors import Exit, GatekeeperError
from gatekeeper.escalations import Inbox, Note, inbox_dir
from gatekeeper.report import dump_json


def _inbox(repo: git.Repo) -> Inbox:
    configured = None
    if repo.top is not None:
        try:
            from gatekeeper.context import load_worktree

            configured = load_worktree(repo).config.inbox
        except GatekeeperError:
            configured = None
    return Inbox(inbox_dir(repo, configured))


def _row(n: Note) -> str:
    m = n.meta
    return (f"{n.id:<18} {m.get('level', ''):<5} {m.get('category', ''):<10} "
            f"{m.get('status', ''):<12} x{m.get('attempts', 1):<3} {m.get('rule', ''):<18} "
            f"{m.get('feature') or '-'}")


def run(repo: git.Repo, args: argparse.Namespace) -> int:
    """Dispatch ``escalations [list|show|resolve]``."""
    inbox = _inbox(repo)
    cmd = args.esc_cmd or "list"
    fmt = getattr(args, "format", "text")
    if cmd == "list":
        status = getattr(args, "status", "open")
        level = getattr(args, "level", None)
        notes = [n for n in inbox.notes()
                 if (status == "all" or n.status == "open")
                 and (level is None or n.meta.get("level") == level)]
        notes.sort(key=lambda n: (n.meta.get("level") != "HALT", str(n.meta.get("created"))))
        if fmt == "json":
            sys.stdout.write(dump_json({"escalations": [dict(n.meta, path=str(n.path))
                                                         for n in notes]}))
        elif not notes:
            sys.stdout.write(f"no {'open ' if status == 'open' else ''}escalations in {inbox.root}\n")
        else:
            sys.stdout.write(f"{'ID':<18} {'LEVEL':<5} {'CATEGORY':<10} {'STATUS':<12} "
                             f"{'ATT':<4} {'RULE':<18} FEATURE\n")
            for n in notes:
                sys.stdout.write(_row(n) + "\n")
        return Exit.OK
    if cmd == "show":
        note = inbox.get(args.id)
        if fmt == "json":
            sys.stdout.write(dump_json(dict(note.meta, path=str(note.path))))
        else:
            sys.stdout.write(note.path.read_text(encoding="utf-8"))
        return Exit.OK
    if cmd == "resolve":
        from gatekeeper import resolve as resolving

        note = resolving.resolve(repo, inbox, args.id, args.outcome, args.note)
        sys.stdout.write(f"{note.id}: {args.outcome}; recorded in the note and in the ledger "
                         "(commit .pact/ledger.yaml so the server learns of it)\n")
        return Exit.OK
    raise GatekeeperError(f"unknown escalations command {cmd!r}")
