# gatekeeper/rules/identity.py: check kinds agent_identity (who made the commit) and protected_ref.
"""Identity checks. On a client they warn; on the server, the authoritative gate, a
spoofed or missing identity blocks (``server.require_identity``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.config import ROLES
from gatekeeper.engine import Hit

if TYPE_CHECKING:
    from gatekeeper.changes import FileChange
    from gatekeeper.engine import CheckContext
    from gatekeeper.policy import Rule


def agent_identity(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """Missing, unknown, contradictory or spoofed ``PACT-Agent``."""
    ident = cc.identity
    server = cc.env.where == "server"
    strict = server and cc.config.server.require_identity
    block = "block" if strict else None
    problems: list[Hit] = []

    def hit(problem: str, evidence: str, *, spoof: bool = False) -> None:
        problems.append(Hit(
            fields={"problem": problem, "claimed": ident.agent or "none",
                    "pusher": ident.pusher or "unknown"},
            paths=[], evidence=evidence, action="block" if spoof else block,
            level="HALT" if spoof else None, category="SECURITY" if spoof else None))

    if ident.agent is None:
        hit("no PACT-Agent trailer (and no PACT_AGENT in the environment)", "missing")
    elif ident.agent not in ROLES:
        hit(f"unknown role {ident.agent!r}; PACT's roles are {', '.join(ROLES)}",
            f"unknown:{ident.agent}")
    if ident.trailer and ident.env and ident.trailer != ident.env:
        hit(f"the PACT-Agent trailer says {ident.trailer!r} but PACT_AGENT says {ident.env!r}",
            f"disagree:{ident.trailer}:{ident.env}")
    if server and ident.agent in ROLES:
        if ident.pusher is None:
            # A server set-up problem, not an agent's act: it blocks (fail closed) but is
            # no HALT, so it freezes nothing.
            hit("the server could not tell who pushed (no pusher variable set)", "no-pusher")
        else:
            allowed = cc.config.roles_of(ident.pusher)
            if ident.agent not in allowed:
                may = ", ".join(allowed) if allowed else "no role (not in the roster)"
                hit(f"pusher {ident.pusher!r} claims {ident.agent!r} but may act as {may}",
                    f"spoof:{ident.pusher}:{ident.agent}", spoof=True)
    elif not server and ident.agent in ROLES and cc.config.roster and cc.change.author_email:
        allowed = cc.config.roles_of(cc.change.author_email)
        if allowed and ident.agent not in allowed:
            hit(f"author {cc.change.author_email} is rostered as {', '.join(allowed)}, "
                f"not {ident.agent!r}", f"author:{ident.agent}")
    return problems


def protected_ref(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """Pushes to protected refs by pushers not allowed to update them (server only).

    ``refs/replace/*`` is protected by default (nobody may update it unless listed): a
    replace ref changes what every clone sees for another object id. The hook skips this
    when an admin allows it (``git config gatekeeper.allowReplaceRefs true``).
    """
    if cc.env.where != "server" or cc.env.ref is None:
        return []
    allowed = cc.config.server.protected_refs.get(cc.env.ref)
    if allowed is None and cc.env.ref.startswith("refs/replace/"):
        allowed = []
    if allowed is None:
        return []
    pusher = cc.identity.pusher
    if pusher is not None and pusher in allowed:
        return []
    return [Hit(fields={"ref": cc.env.ref, "pusher": pusher or "unknown",
                        "allowed": ", ".join(allowed) or "nobody"},
                paths=[], evidence=f"ref:{cc.env.ref}")]
