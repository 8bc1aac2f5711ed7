# gatekeeper/rules/boundary.py: check kind domain_boundary: role-owned paths and role confinement.
"""Who may change what. Ownership follows CODEOWNERS: gitignore-style globs, and the last
matching pattern wins. Confinement limits a role to path classes (the orchestrator writes
docs, ``.pact/`` and AI-tool settings, never application code).
"""

from __future__ import annotations

from gatekeeper.engine import Hit
from gatekeeper.globs import last_match, match_any

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any

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


def _identify(cc: CheckContext, owner: str) -> str:
    """How an unidentified author becomes the owner, in words that work when followed."""
    if cc.change.commit is None:
        trailer = f"commit again with the trailer: git commit --trailer 'PACT-Agent: {owner}'"
    else:
        trailer = ("add the trailer to the commit: git -c trailer.ifexists=replace commit "
                   f"--amend --no-edit --trailer 'PACT-Agent: {owner}' (an older commit: "
                   "git rebase -i, then the same for each)")
    how = f"If you are the {owner}, say so: {trailer}"
    email = cc.change.author_email or "(git config user.email)"
    if cc.env.where != "server":
        how += (f"; or the orchestrator puts your author email {email} under \"{owner}\" in "
                "[roster] of .pact/config.toml and commits it"
                + ("" if cc.change.commit is None else ", and you rebase onto that commit"))
    return how + f". Otherwise hand it to the {owner} through the orchestrator"


def _handoff(owner: str) -> str:
    if owner == "orchestrator":
        return ("Do not make this change yourself: only the orchestrator changes these paths "
                "(the ledger, config and policies, through the gatekeeper CLI); ask the "
                "orchestrator to make it")
    return ("Do not make this change yourself: escalate to the orchestrator, who delegates "
            f"it to the {owner}")


def domain_boundary(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """Hits for paths owned by another role, and for paths outside the agent's confinement.

    Every name of a path counts (a rename's old path, a symlink's target), compared
    case-insensitively after NFC. An unknown identity owns nothing: any owned path blocks.
    """
    agent = cc.agent
    if agent is None and cc.change.commit is None and not cc.change.message.strip():
        # The pre-commit stage: no message yet, so the identity is pending, not unknown;
        # the commit-msg stage judges the same change with its trailer.
        return []
    handoff: dict[str, list[str]] = {}
    via: dict[str, list[str]] = {}
    for f in files:
        names = cc.names_of(f)
        for i, name in enumerate(names):
            owner = _owner_of(rule.params, name)
            if owner and owner != agent and f.path not in handoff.get(owner, ()):
                handoff.setdefault(owner, []).append(f.path)
                if i:
                    via.setdefault(owner, []).append(f"{f.path} is also {name}")
    hits = []
    for owner, paths in sorted(handoff.items()):
        also = f" ({'; '.join(via[owner])})" if owner in via else ""
        if agent is None:
            fields = {"owner": owner, "who": "a change with no known PACT identity",
                      "reason": f"these paths belong to {owner}{also}, and an unidentified "
                                "change owns nothing (no PACT-Agent trailer, no PACT_AGENT, "
                                "author email not in the roster)",
                      "handoff": _identify(cc, owner)}
            evidence = f"unknown:{owner}"
        else:
            fields = {"owner": owner, "who": agent,
                      "reason": f"these paths belong to {owner}{also}",
                      "handoff": _handoff(owner)}
            evidence = f"owner:{owner}"
        hits.append(Hit(fields=fields, paths=paths, feature=_feature(cc, paths),
                        evidence=evidence))
    confine: dict[str, list[str]] = rule.params.get("confine", {})
    allowed = confine.get(agent) if agent is not None else None
    if allowed is not None:
        taken = {p for ps in handoff.values() for p in ps}
        # confine_paths: globs a confined role may change whatever their class (the
        # orchestrator's workflow configuration: .pre-commit-config.yaml, CI files).
        also = rule.params.get("confine_paths", {}).get(agent, [])
        outside = [f.path for f in files if f.path not in taken and any(
            cc.config.path_class(n) not in allowed and not (also and match_any(also, n))
            for n in cc.names_of(f))]
        if outside:
            hits.append(Hit(
                fields={"owner": "a specialist", "who": agent,
                        "reason": f"{agent} may change only {', '.join(allowed)}",
                        "handoff": "Do not make this change yourself: delegate it to the "
                                   "specialist who owns it"},
                paths=outside, feature=_feature(cc, outside), evidence=f"confine:{agent}"))
    return hits


def _feature(cc: CheckContext, paths: list[str]) -> str | None:
    feats = {fid for p in paths for fid in cc.features_of.get(p, ())}
    return next(iter(feats)) if len(feats) == 1 else None
