# gatekeeper/rules/boundary.py: check kind domain_boundary: role-owned paths and role confinement.
"""Who may change what. Ownership follows CODEOWNERS: gitignore-style globs, and the last
matching pattern wins. Confinement limits a role to path classes (the orchestrator writes
docs, ``.pact/`` and AI-tool settings, never application code).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gatekeeper.engine import Hit
from gatekeeper.globs import last_match, match_any

if TYPE_CHECKING:
    from gatekeeper.changes import FileChange
    from gatekeeper.engine import CheckContext
    from gatekeeper.policy import Rule


#: id(params) -> (params, owners, path -> owner). A push judges thousands of commits with
#: the same rule and the same few paths: the owners list is built once per params object,
#: and each path's owner is looked up once. The params object is kept alive in the entry,
#: so its id cannot be reused while cached.
_OWNERS: dict[int, tuple[dict[str, Any], list[tuple[str, str]], dict[str, str | None]]] = {}


def _owner_lookup(params: dict[str, Any]) -> tuple[list[tuple[str, str]], dict[str, str | None]]:
    hit = _OWNERS.get(id(params))
    if hit is not None and hit[0] is params:
        return hit[1], hit[2]
    owners = _build_owners(params)
    if len(_OWNERS) > 256:
        _OWNERS.clear()
    _OWNERS[id(params)] = (params, owners, {})
    return owners, _OWNERS[id(params)][2]


def _owner_of(params: dict[str, Any], path: str) -> str | None:
    """CODEOWNERS semantics (the last matching pattern wins), memoised per rule and path."""
    owners, memo = _owner_lookup(params)
    if path not in memo:
        if len(memo) > 100_000:
            memo.clear()
        memo[path] = last_match(owners, path)
    return memo[path]


def _build_owners(params: dict[str, Any]) -> list[tuple[str, str]]:
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
    handoff: dict[str, list[str]] = {}
    for f in files:
        owner = _owner_of(rule.params, f.path)
        if owner and owner != agent:
            handoff.setdefault(owner, []).append(f.path)
    hits = []
    for owner, paths in sorted(handoff.items()):
        hits.append(Hit(
            fields={"owner": owner, "reason": f"these paths belong to {owner}",
                    "handoff": f"escalate to the orchestrator, who hands it to {owner}"},
            paths=paths, feature=_feature(cc, paths), evidence=f"owner:{owner}"))
    confine: dict[str, list[str]] = rule.params.get("confine", {})
    allowed = confine.get(agent)
    if allowed is not None:
        # confine_paths: globs a confined role may change whatever their class (the
        # orchestrator's workflow configuration: .pre-commit-config.yaml, CI files).
        also = rule.params.get("confine_paths", {}).get(agent, [])
        outside = [f.path for f in files if cc.classes.get(f.path) not in allowed
                   and not (also and match_any(also, f.path))
                   and f.path not in {p for ps in handoff.values() for p in ps}]
        if outside:
            hits.append(Hit(
                fields={"owner": "a specialist",
                        "reason": f"{agent} may change only {', '.join(allowed)}",
                        "handoff": "delegate it to the specialist who owns it"},
                paths=outside, feature=_feature(cc, outside), evidence=f"confine:{agent}"))
    return hits


def _feature(cc: CheckContext, paths: list[str]) -> str | None:
    feats = {fid for p in paths for fid in cc.features_of.get(p, ())}
    return next(iter(feats)) if len(feats) == 1 else None
