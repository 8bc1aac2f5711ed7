# gatekeeper/rules/phase.py: check kinds phase_gate (code only in CODE/TEST) and unplanned_work.
"""PACT's phase order made mechanical.

``phase_gate``: code in a feature's paths changes only while the feature is in CODE or
TEST and its architecture is approved (or ARCHITECT was skipped with a sanctioned reason).
``unplanned_work``: code outside every declared feature.

Each hit carries a ``fix``: the exact commands that, run in order, make the retry pass
(tests/test_follow_the_fix.py runs them literally). They are computed from the feature's
state, since the way into CODE depends on where the feature stands.
"""

from __future__ import annotations

from gatekeeper.engine import CODE_CLASSES, Hit

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from gatekeeper.changes import FileChange
    from gatekeeper.engine import CheckContext
    from gatekeeper.ledger import Feature
    from gatekeeper.policy import Rule

_SLUG = r"[a-z0-9][a-z0-9._-]{0,62}"


def _q(text: str) -> str:
    """Shell-quoted. shlex (and any regex) only once there is a fix to write: this module
    is imported on every commit-msg hook run, which must stay fast."""
    import shlex

    return shlex.quote(text)


def ledger_commit(what: str) -> str:
    """The orchestrator's commit of the ledger alone. The ``-- .pact`` pathspec commits only
    .pact/, so whatever an agent has staged never rides along (and stays staged)."""
    return f"git commit -m {_q(what)} --trailer 'PACT-Agent: orchestrator' -- .pact"


def undo_first(cc: CheckContext) -> list[str]:
    """For a change that is already a commit: the step that undoes it, keeping the work.

    Each commit is judged by its parent's ledger, so a ledger commit made after the blocked
    one cannot help it: the work has to be committed again on top of the ledger commit.
    """
    if cc.change.commit is None:
        return []
    if cc.env.where == "ci":
        base = ("git reset --soft $(git merge-base HEAD origin/main) (the commits are pushed "
                "already: use the branch the CI compares against, and force-push at the end)")
    else:
        base = ("git reset --soft @{upstream} (the last commit the remote has; nothing was "
                "pushed, since the push was refused)")
    return [f"this commit is already made, and each commit is judged by its parent's ledger, "
            f"so first undo the unpushed commits, keeping the work staged: {base}"]


def retry(cc: CheckContext) -> str:
    """The last step: the same commit again, now judged by the new ledger."""
    if cc.change.commit is None:
        return "then run the same git commit again (your staged change is still staged)"
    return ("then commit the work again with the undone commit's message and trailers, and "
            "push again: git commit -C ORIG_HEAD")


def steps_to_code(fid: str, feat: Feature | None) -> list[str]:
    """Commands that take feature ``fid`` (``feat`` None: not declared yet) into CODE with an
    approved architecture, in the order the ledger accepts them."""
    steps: list[str] = []
    phase = feat.phase if feat else None
    if phase is None:
        steps.append(f"gatekeeper phase {fid} prepare")
    if phase in (None, "prepare"):
        steps.append(f"gatekeeper phase {fid} architect")
    if feat is None or not feat.architecture_ok:
        doc = f"docs/architecture/{fid}.md"
        steps.append(f"the architect writes {doc} and commits it: git add {doc} && git commit "
                     f"-m 'Architecture for {fid}' --trailer 'PACT-Agent: architect' -- {doc}")
        steps.append(f"gatekeeper approve {fid} {doc} --kind architecture")
    if phase not in ("code", "test"):
        steps.append(f"gatekeeper phase {fid} code")
    return steps


def numbered(steps: list[str]) -> str:
    """``1) a; 2) b; ...``: one line, each step runnable as written."""
    return "; ".join(f"{i}) {s}" for i, s in enumerate(steps, 1))


def _fresh_id(base: str, taken: set[str] | dict[str, Feature]) -> str:
    """``base-2`` (or -3, ...), not yet declared and still a valid id (63 characters)."""
    base = base[:56].rstrip("-._") or "work"
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


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
            new = _fresh_id(fid, cc.state.features)
            globs = " ".join(_q(p) for p in feat.paths)
            steps = [*undo_first(cc),
                     f"the orchestrator declares the follow-up work as a new feature over the "
                     f"same paths: gatekeeper feature add {new} --paths {globs}",
                     *steps_to_code(new, None),
                     ledger_commit(f"{new} enters CODE"),
                     f"{retry(cc)}, with the trailer that picks the new feature: "
                     f"git commit --trailer 'PACT-Feature: {new}' (paths of several features "
                     f"count for the first declared one unless the trailer names another)"]
        else:
            if not feat.in_code:
                missing = ("the feature has not entered CODE" if feat.architecture_ok else
                           "no approved architecture, and the feature has not entered CODE")
            elif not feat.architecture_ok:
                missing = "no approved architecture"
            else:
                continue
            steps = [*undo_first(cc), *steps_to_code(fid, feat),
                     ledger_commit(f"{fid} enters CODE"), retry(cc)]
        paths = [f.path for f in fchanges]
        hits.append(Hit(fields={"phase": phase, "missing": missing, "fix": numbered(steps)},
                        paths=paths, feature=fid, evidence=f"{feat.phase}:{missing}"))
    return hits


def _covering_globs(paths: list[str]) -> tuple[str, list[str]]:
    """(a feature id, globs) covering ``paths``: their deepest common directory; without one,
    each path's own directory (``dir/**``) or top-level file, never a catch-all ``**``."""
    parts = [p.split("/")[:-1] for p in paths]
    common: list[str] = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    if common:
        import re

        slug = re.sub(r"[^a-z0-9._-]+", "-", common[-1].lower()).strip("-._") or "work"
        return slug, ["/".join(common) + "/**"]
    globs = sorted({p.rsplit("/", 1)[0] + "/**" if "/" in p else p for p in paths})
    return "work", globs


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
    base, globs = _covering_globs(sorted(stray))
    if claimed and claimed not in cc.state.features:
        note = f"the PACT-Feature trailer names {claimed!r}, which the ledger does not declare"
        import re

        if re.fullmatch(_SLUG, claimed):
            base = claimed
    else:
        note = "no declared feature's paths cover them"
    fid = base if base not in cc.state.features else _fresh_id(base, cc.state.features)
    # A PACT-Feature trailer only chooses among features whose paths already cover a file,
    # so the only way out is declaring the work (and, for code, walking it into CODE).
    steps = [*undo_first(cc),
             f"the orchestrator declares the work: gatekeeper feature add {fid} --paths "
             + " ".join(_q(g) for g in globs),
             *steps_to_code(fid, None), ledger_commit(f"Declare {fid}"), retry(cc)]
    return [Hit(fields={"note": note, "features": ", ".join(sorted(cc.state.features)),
                        "fix": numbered(steps), "feature_id": fid, "globs": " ".join(globs)},
                paths=stray, evidence="\0".join(sorted(stray)))]
