# gatekeeper/rules/__init__.py: the explicit registry of check kinds that policy rules configure.
"""Check kinds are code; rules are data (policy YAML) that configure them.

A check kind is a function ``check(ctx, rule, files) -> list[Hit]``. It never calls git:
it reads the :class:`~gatekeeper.engine.CheckContext` it is given. The registry maps a
kind's name to ``module:function`` so a kind's module is imported only when a rule that
uses it runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gatekeeper.changes import FileChange
    from gatekeeper.engine import CheckContext, Hit
    from gatekeeper.policy import Rule

    CheckFn = Callable[[CheckContext, Rule, list[FileChange]], list[Hit]]

CHECKS: dict[str, str] = {
    "phase_gate": "gatekeeper.rules.phase:phase_gate",
    "unplanned_work": "gatekeeper.rules.phase:unplanned_work",
    "domain_boundary": "gatekeeper.rules.boundary:domain_boundary",
    "scope_budget": "gatekeeper.rules.scope:scope_budget",
    "ledger_integrity": "gatekeeper.rules.integrity:ledger_integrity",
    "agent_identity": "gatekeeper.rules.identity:agent_identity",
    "halt_freeze": "gatekeeper.rules.freeze:halt_freeze",
    "protected_ref": "gatekeeper.rules.identity:protected_ref",
    # Content signals (issue: HALT and ALERT signals from content).
    "hardcoded_secret": "gatekeeper.rules.content:content_signal",
    "frontend_credentials": "gatekeeper.rules.content:content_signal",
    "sql_injection": "gatekeeper.rules.content:content_signal",
    "pii_in_logs": "gatekeeper.rules.content:content_signal",
    "destructive_sql": "gatekeeper.rules.content:destructive_sql",
    "sensitive_file": "gatekeeper.rules.content:sensitive_file",
    "file_header": "gatekeeper.rules.content:file_header",
    "file_size": "gatekeeper.rules.content:file_size",
}

_loaded: dict[str, Any] = {}


def load_check(kind: str) -> CheckFn:
    """The function behind check kind ``kind``, imported on first use."""
    fn = _loaded.get(kind)
    if fn is None:
        module, _, name = CHECKS[kind].partition(":")
        fn = _loaded[kind] = getattr(importlib.import_module(module), name)
    return fn  # type: ignore[no-any-return]
