# gatekeeper/adapters/guard.py: `gatekeeper guard`: judge one proposed file change, for any agent harness.
"""For harnesses other than Claude Code (Cursor, Codex, Aider...): call
``gatekeeper guard --agent ROLE PATH --content-file F`` before writing PATH. The change is
judged exactly like the Claude Code adapter judges a ``Write`` (same engine, ledger as
committed at ``HEAD``, policies and notes). Exit codes as for ``check``: 0 pass, 1 block,
2 usage or configuration error.
"""

from __future__ import annotations

import sys

from gatekeeper import git
from gatekeeper.adapters.proposed import OutsideRepository, judge, locate, read_disk
from gatekeeper.checker import Options
from gatekeeper.config import normalize_role
from gatekeeper.errors import Exit, GatekeeperError, NotARepository
from gatekeeper.identity import Identity
from gatekeeper.report import dump_json, render_text, to_json

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    import argparse
    from typing import IO

    from gatekeeper.context import Context


def run(args: argparse.Namespace, stream: IO[str]) -> int:
    """Judge ``args.path`` with the proposed content; print the report; return the exit code."""
    here = git.discover()
    try:
        target = locate(args.path)
    except (OutsideRepository, NotARepository):
        target = None
    if target is None or target.repo.top != here.top:
        raise GatekeeperError(f"guard: {args.path} is outside the repository at {here.top}")
    if target.rel.startswith(".git/"):
        raise GatekeeperError(f"guard: {args.path} is inside the git directory")
    new: str | None
    if args.delete:
        new = None
    elif args.content_file is None:
        new = read_disk(target.full)
        if new is None:
            raise GatekeeperError(f"guard: {args.path} does not exist; give --content-file")
    elif args.content_file == "-":
        new = sys.stdin.buffer.read().decode("utf-8", "replace")
    else:
        try:
            with open(args.content_file, "rb") as fh:
                new = fh.read().decode("utf-8", "replace")
        except OSError as exc:
            raise GatekeeperError(f"--content-file: {exc.strerror}: {args.content_file}") from None
    role = normalize_role(args.agent)

    def identity_for(_ctx: Context) -> tuple[Identity, list[str] | None]:
        return Identity(agent=role, source="flag", flag=role), None

    judged = judge(target.repo, {target.rel: new}, identity_for,
                   opts=Options(where="guard", record=not args.no_notes))
    assert judged is not None  # no skip: always a verdict
    report = judged.report
    if args.format == "json":
        stream.write(dump_json(to_json(report)))
    else:
        stream.write(render_text(report, stream))
    return Exit.BLOCKED if report.blocked else Exit.OK
