# gatekeeper/identity.py: who made a change (agent role), for which feature, and who pushed it.
"""Identity resolution, as DESIGN.md fixes it.

- agent: ``--agent``, else the ``PACT-Agent`` trailer (as git parses it, see
  :mod:`gatekeeper.trailers`), else ``PACT_AGENT``, else (off the server; the engine does
  it, as it holds the roster) the one role the roster gives the author's email;
- feature: the ``PACT-Feature`` trailer, else the ledger's feature path globs;
- pusher (server side): the first of ``PUSHER_VARS`` that is set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from gatekeeper.config import ROLES, normalize_role
from gatekeeper.record import dataclass

#: Hosting environments and the variable that names the pusher, in lookup order.
PUSHER_VARS = ("GL_USERNAME", "GITHUB_USER_LOGIN", "GITEA_PUSHER_NAME", "GL_USER", "REMOTE_USER")


@dataclass(frozen=True)
class Identity:
    """Who claims to have made a change, and from which sources."""

    agent: str | None  # the normalized role that judges the change
    source: str  # "flag", "trailer", "env", "author" (roster by author email) or "none"
    flag: str | None = None
    trailer: str | None = None
    env: str | None = None
    feature: str | None = None  # the PACT-Feature trailer
    pusher: str | None = None
    pusher_var: str | None = None

    @property
    def known(self) -> bool:
        """True when the agent names one of PACT's roles."""
        return self.agent is not None and self.agent in ROLES


def pusher_from_env(env: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """(pusher, variable) from the hosting environment, or (None, None)."""
    env = os.environ if env is None else env
    for var in PUSHER_VARS:
        value = env.get(var, "").strip()
        if value:
            return value, var
    return None, None


def resolve(trailers: Mapping[str, str], *, flag: str | None = None,
            env: Mapping[str, str] | None = None, server: bool = False) -> Identity:
    """Resolve the agent of one change. On the server, ``PACT_AGENT`` is not consulted:
    it is the pusher's environment there, not the commit's author."""
    env = os.environ if env is None else env
    trailer = trailers.get("pact-agent") or None
    env_agent = None if server else (env.get("PACT_AGENT", "").strip() or None)
    flag_n = normalize_role(flag) if flag else None
    trailer_n = normalize_role(trailer) if trailer else None
    env_n = normalize_role(env_agent) if env_agent else None
    if flag_n:
        agent, source = flag_n, "flag"
    elif trailer_n:
        agent, source = trailer_n, "trailer"
    elif env_n:
        agent, source = env_n, "env"
    else:
        agent, source = None, "none"
    pusher, var = pusher_from_env(env) if server else (None, None)
    return Identity(agent=agent, source=source, flag=flag_n, trailer=trailer_n, env=env_n,
                    feature=(trailers.get("pact-feature") or None), pusher=pusher,
                    pusher_var=var)
