# gatekeeper/rules/identity.py: check kinds agent_identity (who made the commit) and protected_ref.
"""Identity checks. On a client they warn; on the server, the authoritative gate, a
spoofed or missing identity blocks (``server.require_identity``)."""

from __future__ import annotations

from gatekeeper.config import ROLES
from gatekeeper.engine import Hit

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from gatekeeper.changes import FileChange
    from gatekeeper.engine import CheckContext
    from gatekeeper.policy import Rule


def _retrailer(cc: CheckContext, role: str) -> str:
    """The command that gives this change the trailer ``PACT-Agent: role``."""
    if cc.change.commit is None:
        return f"git commit --trailer 'PACT-Agent: {role}'"
    return (f"git -c trailer.ifexists=replace commit --amend --no-edit --trailer 'PACT-Agent: "
            f"{role}' (an older commit: git rebase -i, then the same for each)")


def agent_identity(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """Missing, unknown, contradictory or spoofed ``PACT-Agent``: one finding per cause,
    each with its own remedy (the ``fix`` field), which works when followed literally."""
    ident = cc.identity
    server = cc.env.where == "server"
    strict = server and cc.config.server.require_identity
    block = "block" if strict else None
    problems: list[Hit] = []
    roles = ", ".join(ROLES)
    again = " and push again" if server else ""

    def hit(problem: str, fix: str, evidence: str, *, action: str | None = block,
            spoof: bool = False) -> None:
        problems.append(Hit(
            fields={"problem": problem, "fix": fix, "claimed": ident.agent or "none",
                    "pusher": ident.pusher or "unknown"},
            paths=[], evidence=evidence, action="block" if spoof else action,
            level="HALT" if spoof else None, category="SECURITY" if spoof else None))

    pusher_roles = cc.config.roles_of(ident.pusher) if server and ident.pusher else []
    if ident.agent is None:
        if server:
            role = pusher_roles[0] if len(pusher_roles) == 1 else "<role>"
            mine = (f"your role as {ident.pusher} is {role}" if len(pusher_roles) == 1 else
                    f"{ident.pusher or 'the pusher'} may act as "
                    f"{', '.join(pusher_roles) or 'no role yet (not in the roster)'}")
            hit("the commit has no PACT-Agent trailer",
                f"Give each pushed commit its trailer ({mine}): {_retrailer(cc, role)}{again}",
                "missing")
        else:
            email = cc.change.author_email
            roster = (f"; or the orchestrator maps your author email {email} to your role in "
                      "[roster] of .pact/config.toml" if email else "")
            hit("no PACT identity (no PACT-Agent trailer, no PACT_AGENT"
                + (f", and the author email {email} is not in the roster" if email else "")
                + ")",
                f"Name your role ({roles}) in a trailer: {_retrailer(cc, '<role>')}; or set "
                f"PACT_AGENT=<role> in the agent's environment{roster}", "missing")
    elif ident.agent not in ROLES:
        hit(f"unknown role {ident.agent!r}", f"Use one of PACT's roles ({roles}): "
            f"{_retrailer(cc, '<role>')}{again}", f"unknown:{ident.agent}")
    if ident.trailer and ident.env and ident.trailer != ident.env:
        hit(f"the PACT-Agent trailer says {ident.trailer!r} but PACT_AGENT says {ident.env!r}",
            f"Make them agree: unset PACT_AGENT, or set PACT_AGENT={ident.trailer} (or change "
            f"the trailer: {_retrailer(cc, ident.env)})", f"disagree:{ident.trailer}:{ident.env}")
    if server and ident.agent in ROLES:
        if ident.pusher is None:
            # A server set-up problem, not an agent's act: it blocks (fail closed) but is
            # no HALT, so it freezes nothing.
            hit("the server could not tell who pushed (no pusher variable set)",
                "Server set-up, for the admin: the hosting must name the pusher in one of "
                "GL_USERNAME, GITHUB_USER_LOGIN, GITEA_PUSHER_NAME, GL_USER or REMOTE_USER "
                "(git http-backend sets REMOTE_USER only behind authentication); then push "
                "again", "no-pusher")
        elif not pusher_roles:
            # Not an impersonation of a rostered person: an account the roster does not
            # know yet (a new team member, an adopting project). It blocks, freezing nothing.
            hit(f"pusher {ident.pusher!r} is not in the roster (the commit claims "
                f"{ident.agent!r})",
                f"The orchestrator adds \"{ident.pusher}\" under \"{ident.agent}\" in [roster] of "
                ".pact/config.toml, commits and pushes it; then rebase your commits onto it "
                "(git pull --rebase) and push again", f"not-rostered:{ident.pusher}")
        elif ident.agent not in pusher_roles:
            role = pusher_roles[0]
            hit(f"pusher {ident.pusher!r} claims {ident.agent!r} but may act as "
                f"{', '.join(pusher_roles)}",
                f"Commit as your own role: {_retrailer(cc, role)}, and push again; "
                f"{ident.agent}'s work is pushed by a {ident.agent}'s account",
                f"spoof:{ident.pusher}:{ident.agent}", spoof=True)
    elif not server and ident.agent in ROLES and cc.config.roster and cc.change.author_email:
        allowed = cc.config.roles_of(cc.change.author_email)
        if allowed and ident.agent not in allowed:
            hit(f"author {cc.change.author_email} is rostered as {', '.join(allowed)}, "
                f"not {ident.agent!r}",
                f"Commit as your rostered role: {_retrailer(cc, allowed[0])}; or the "
                "orchestrator changes your roles in [roster] of .pact/config.toml",
                f"author:{ident.agent}")
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
