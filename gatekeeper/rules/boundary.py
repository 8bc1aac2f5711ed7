# gatekeeper/rules/boundary.py: check kind domain_boundary: role-owned paths and role confinement.
"""Who may change what. Ownership follows CODEOWNERS: gitignore-style globs, and the last
matching pattern wins. Confinement limits a role to path classes (the orchestrator writes
docs, ``.pact/`` and AI-tool settings, never application code).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gatekeeper.engine import Hit
from gatekeeper.globs import last_match

if TYPE_CHECKING:
    from gatekeeper.changes import FileChange
    from gatekeeper.engine import CheckContext
    from gatekeeper.policy import Rule


def _owners(params: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for entry in params.get("owners", []):
        if isinstance(entry, dict):
            for pattern, role in entry.items():
                out.append((str(pattern), str(role)))
    return out


def domain_boundary(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """Hits for paths owned by another role, and for paths outside the agent's confinement."""
    agent = cc.agent
    if agent is None:
        return []  # agent-identity reports the missing identity
    owners = _owners(rule.params)
    handoff: dict[str, list[str]] = {}
    for f in files:
        owner = last_match(owners, f.path)
        if owner and owner != agent:
            handoff.setdefault(owner, []).append(f.path)
    hits = []
    for owner, paths in sorted(handoff.items()):
        hits.append(Hit(
            fields={"owner": owner, "reason": f"these paths belong to {owner}",
                    "handoff": f"hand the change to {owner} through the orchestrator"},
            paths=paths, feature=_feature(cc, paths), evidence=f"owner:{owner}"))
    confine: dict[str, list[str]] = rule.params.get("confine", {})
    allowed = confine.get(agent)
    if allowed is not None:
        outside = [f.path for f in files if cc.classes.get(f.path) not in allowed
                   and f.path not in {p for ps in handoff.values() for p in ps}]
        if outside:
            hits.append(Hit(
                fields={"owner": "a specialist",
                        "reason": f"{agent} may change only {', '.join(allowed)}",
                        "handoff": "delegate the change to the specialist who owns it"},
                paths=outside, feature=_feature(cc, outside), evidence=f"confine:{agent}"))
    return hits


def _feature(cc: CheckContext, paths: list[str]) -> str | None:
    feats = {fid for p in paths for fid in cc.features_of.get(p, ())}
    return next(iter(feats)) if len(feats) == 1 else None
