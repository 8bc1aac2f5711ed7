# gatekeeper/rules/integrity.py: check kind ledger_integrity: an append-only, valid, orchestrator-only ledger.
"""The rules that judge agents live in the repository, so their files need their own gate:
the ledger may only grow by valid events, and only the orchestrator may change the
ledger, the config or the project's policies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gatekeeper.config import gatekeeper_section, load_config
from gatekeeper.context import CONFIG_PATH, POLICY_DIR
from gatekeeper.engine import Hit
from gatekeeper.errors import ConfigError
from gatekeeper.ledger import LEDGER_PATH, parse

if TYPE_CHECKING:
    from gatekeeper.changes import FileChange
    from gatekeeper.engine import CheckContext
    from gatekeeper.policy import Rule


def _governed(cc: CheckContext, f: FileChange) -> bool:
    if f.path in (LEDGER_PATH, CONFIG_PATH) or f.path.startswith(POLICY_DIR + "/"):
        return True
    if f.path == "pyproject.toml" and cc.env.read_text is not None:
        def section(text: str | None) -> Any:
            if text is None:
                return None
            try:
                return gatekeeper_section(text, "pyproject.toml")
            except ConfigError:
                return "invalid"
        return bool(section(cc.env.read_text(cc.change, f.path, True))
                    != section(cc.env.read_text(cc.change, f.path, False)))
    return False


def _problem(cc: CheckContext, f: FileChange) -> str | None:
    read = cc.env.read_text
    if read is None:
        return None
    new = None if f.is_deleted else read(cc.change, f.path, False)
    if f.path == LEDGER_PATH:
        old = read(cc.change, f.path, True)
        if new is None:
            return "the ledger was deleted; it is append-only"
        if old is not None and not new.startswith(old.rstrip("\n")):
            return "earlier ledger events were changed or removed; the ledger is append-only"
        try:
            parse(new, LEDGER_PATH)
        except ConfigError as exc:
            return f"the new ledger does not validate: {exc}"
        return None
    if new is None:
        return None
    try:
        if f.path == CONFIG_PATH:
            load_config(new, None)
        elif f.path == "pyproject.toml":
            load_config(None, new)
        elif f.path.endswith((".yaml", ".yml")):
            from gatekeeper.policy import parse_pack

            parse_pack(new, f.path)
    except ConfigError as exc:
        return f"it does not validate: {exc}"
    return None


def ledger_integrity(cc: CheckContext, rule: Rule, files: list[FileChange]) -> list[Hit]:
    """Hits for governed files changed by a non-orchestrator, or left invalid."""
    governed = [f for f in files if _governed(cc, f)]
    if not governed:
        return []
    hits = []
    if cc.agent != "orchestrator":
        hits.append(Hit(
            fields={"problem": f"changed by {cc.agent or 'an unidentified agent'}; only the "
                               "orchestrator may change the ledger, config and policies"},
            paths=[f.path for f in governed], level="HALT", category="SECURITY",
            evidence="role"))
    for f in governed:
        problem = _problem(cc, f)
        if problem:
            hits.append(Hit(fields={"problem": problem}, paths=[f.path],
                            evidence=f"invalid:{f.path}"))
    return hits
