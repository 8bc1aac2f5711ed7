# gatekeeper/rules/freeze.py: check kind halt_freeze: no commits to a feature while a HALT on it is open.
"""PACT: a HALT stops all work until the human acknowledges it. While a HALT escalation
about a feature is open (and no ledger ``resolve`` event closed it), further changes to
that feature's paths are blocked, pointing at the open note.

The way out is never frozen: the orchestrator's commit that changes only ``.pact/`` (the
ledger ``resolve`` event that closes the HALT, a re-plan) passes even when a feature's
globs cover ``.pact/``. On the server, the orchestrator claim is checked against the
pusher by ``agent-identity``."""

from __future__ import annotations

from gatekeeper.engine import Hit

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from gatekeeper.changes import FileChange
    from gatekeeper.engine import CheckContext
    from gatekeeper.policy import Rule


def halt_freeze(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """One hit per touched feature with an open HALT."""
    if not cc.config.halt_freeze or cc.env.open_halts is None:
        return []
    if cc.agent == "orchestrator" and cc.change.files and all(
            cc.classes.get(f.path) == "pact"
            and (f.old_path is None or cc.config.path_class(f.old_path) == "pact")
            for f in cc.change.files):
        return []
    halts = cc.env.open_halts()
    if not halts:
        return []
    hits = []
    for fid, fchanges in sorted(cc.files_by_feature(files).items()):
        notes = [n for n in halts.get(fid, []) if n not in cc.state.resolutions]
        if notes:
            hits.append(Hit(fields={"notes": ", ".join(notes), "note": notes[0]},
                            paths=[f.path for f in fchanges], feature=fid,
                            evidence="freeze"))
    return hits
