# gatekeeper/rules/scope.py: check kind scope_budget, PACT's 20% rule on lines changed per feature.
"""Lines changed (added + deleted) in a feature's paths, from the commit where it entered
CODE to the change under check, against its estimate. Over 100% warns; over the tolerance
(20% by default) blocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gatekeeper.changes import ChangeSet, FileChange
from gatekeeper.engine import Hit
from gatekeeper.globs import match_any, to_pathspecs
from gatekeeper.rules.phase import ledger_commit, numbered, retry, undo_first

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from gatekeeper.engine import CheckContext
    from gatekeeper.ledger import Feature
    from gatekeeper.policy import Rule


def feature_pathspecs(features: Iterable[Feature]) -> list[str]:
    """Git pathspecs that narrow a diff to these features' globs (a superset)."""
    return sorted({spec for f in features for pat in f.paths for spec in to_pathspecs(pat)})


def feature_lines(stats: Mapping[str, int], feature: Feature) -> int:
    """Lines changed in the feature's paths, from per-path numstat figures."""
    return sum(n for p, n in stats.items() if match_any(feature.paths, p))


def budget(feature: Feature, changed: int, tolerance: float) -> tuple[int, int]:
    """(percent used, limit in lines)."""
    est = feature.estimate or 0
    limit = int(est * (1 + tolerance))
    pct = round(100 * changed / est) if est else 0
    return pct, limit


def scope_budget(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """One hit per touched feature in CODE/TEST whose budget is exceeded."""
    tolerance = float(rule.params.get("tolerance", cc.config.tolerance))
    warn_at = float(rule.params.get("warn_at", cc.config.warn_at))
    hits = []
    for fid in sorted(cc.files_by_feature([f for f in files if f.changed])):
        feat = cc.state.features[fid]
        if not feat.in_code or feat.estimate is None:
            continue
        provider = cc.env.scope_lines
        changed = provider(feat, cc.change) if provider else None
        if changed is None:
            _defer(cc, rule, feat)
            continue
        pct, limit = budget(feat, changed, tolerance)
        if changed > limit:
            action = None
        elif changed > feat.estimate * warn_at and feat.estimate > 0:
            action = "warn"
        else:
            continue
        suggested = _suggested(changed, limit, warn_at)
        # The budget is cumulative from the CODE baseline: only a revised estimate (or a
        # waiver) committed before the retry changes the verdict.
        fix = numbered([
            *undo_first(cc),
            f"the orchestrator revises the estimate: gatekeeper estimate {fid} {suggested} "
            f"--reason 'why the plan changed' (or waives the budget for this feature: "
            f"gatekeeper waive scope-budget --feature {fid} --reason 'why the budget does not apply')",
            ledger_commit(f"Revise the estimate of {fid}"), retry(cc)])
        fields = {"changed": changed, "estimate": feat.estimate, "percent": pct, "limit": limit,
                  "tolerance": round(tolerance * 100), "suggested": suggested, "fix": fix}
        paths = sorted(f.path for f in files if fid in cc.features_of.get(f.path, ()))
        hits.append(Hit(fields=fields, paths=paths, feature=fid, action=action,
                        evidence=f"scope:{'warn' if action else 'over'}"))
    return hits


def _suggested(changed: int, limit: int, warn_at: float) -> int:
    """The smallest estimate that neither blocks nor warns at ``changed`` lines."""
    if warn_at <= 0:
        return max(changed, limit)
    return max(limit, changed, -(-changed * 1000 // round(warn_at * 1000)))


def _defer(cc: CheckContext, rule: Rule, feat: Feature) -> None:
    """Leave the budget of ``feat`` to the range driver, which judges it in one batch at the
    tip-most commits touching the feature (see ``checker._resolve_scope``).

    Only the paths and counts are kept: holding every commit's added lines until the end
    of a 10,000-commit push is what made memory grow.
    """
    ch = cc.change
    light = ChangeSet(commit=ch.commit, parents=ch.parents, author_name=ch.author_name,
                      author_email=ch.author_email, message="", tree=ch.tree,
                      files=[FileChange(path=f.path, status=f.status, added=f.added,
                                        deleted=f.deleted) for f in ch.files])
    cc.env.deferred.append((rule, feat, light, cc.context, cc.identity))
