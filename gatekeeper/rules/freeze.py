# gatekeeper/rules/freeze.py: check kind halt_freeze: no commits to a feature while a HALT on it is open.
"""PACT: a HALT stops all work until the human acknowledges it. While a HALT escalation
about a feature is open (and no ledger ``resolve`` event closed it), further changes to
that feature's paths are blocked, pointing at the open note."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.engine import Hit

if TYPE_CHECKING:
    from gatekeeper.changes import FileChange
    from gatekeeper.engine import CheckContext
    from gatekeeper.policy import Rule


def halt_freeze(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """One hit per touched feature with an open HALT."""
    if not cc.config.halt_freeze or cc.env.open_halts is None:
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
