# gatekeeper/rules/phase.py: check kinds phase_gate (code only in CODE/TEST) and unplanned_work.
"""PACT's phase order made mechanical.

``phase_gate``: code in a feature's paths changes only while the feature is in CODE or
TEST and its architecture is approved (or ARCHITECT was skipped with a sanctioned reason).
``unplanned_work``: code outside every declared feature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.engine import CODE_CLASSES, Hit

if TYPE_CHECKING:
    from gatekeeper.changes import FileChange
    from gatekeeper.engine import CheckContext
    from gatekeeper.policy import Rule


def phase_gate(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """One hit per feature whose code changes outside CODE/TEST or without architecture."""
    code_classes = rule.params.get("classes", CODE_CLASSES)
    code = [f for f in files if cc.classes.get(f.path) in code_classes]
    hits = []
    for fid, fchanges in sorted(cc.files_by_feature(code).items()):
        feat = cc.state.features[fid]
        phase = feat.phase.upper() if feat.phase else "DECLARED (no phase entered)"
        if feat.phase == "done":
            missing = "the feature is DONE, and a finished feature is never reopened"
            fix = (f"declare follow-up work: gatekeeper feature add {fid}-2 --paths ... "
                   f"(or list these paths in another feature)")
        elif not feat.in_code:
            if feat.architecture_ok:
                missing = "the feature has not entered CODE"
                fix = f"gatekeeper phase {fid} code"
            else:
                missing = "no approved architecture, and the feature has not entered CODE"
                fix = (f"gatekeeper approve {fid} docs/architecture/{fid}.md --kind architecture"
                       f" && gatekeeper phase {fid} code")
        elif not feat.architecture_ok:
            missing = "no approved architecture"
            fix = f"gatekeeper approve {fid} docs/architecture/{fid}.md --kind architecture"
        else:
            continue
        paths = [f.path for f in fchanges]
        hits.append(Hit(fields={"phase": phase, "missing": missing, "fix": fix},
                        paths=paths, feature=fid, evidence=f"{feat.phase}:{missing}"))
    return hits


def unplanned_work(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """Code changed outside every declared feature, once the ledger declares one."""
    if not cc.state.features:
        return []
    code_classes = rule.params.get("classes", ("code", "schema"))
    stray = [f.path for f in files
             if cc.classes.get(f.path) in code_classes and f.path not in cc.features_of]
    if not stray:
        return []
    claimed = cc.claimed_feature
    if claimed and claimed not in cc.state.features:
        note = f"the PACT-Feature trailer names {claimed!r}, which the ledger does not declare"
    else:
        note = "no declared feature's paths cover them"
    return [Hit(fields={"note": note, "features": ", ".join(sorted(cc.state.features))},
                paths=stray, evidence="\0".join(sorted(stray)))]
