# gatekeeper/rules/__init__.py: the explicit registry of check kinds that policy rules configure.
"""Check kinds are code; rules are data (policy YAML) that configure them.

A check kind is a function ``check(ctx, rule, files) -> list[Hit]``. It never calls git:
it reads the :class:`~gatekeeper.engine.CheckContext` it is given. The registry maps a
kind's name to ``module:function`` so a kind's module is imported only when a rule that
uses it runs.

:data:`PARAMS` declares each kind's parameters and their types; :func:`check_params` is
called by the policy loader (for a pack's ``params`` and for a config override), so a
check only ever sees parameters of the declared type, in range.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any

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

# ------------------------------------------------------------------ parameters
# A spec is a tuple: ("bool",), ("int", lo, hi), ("float", lo, hi), ("strs",) a list of
# strings, ("globs",) a list of valid globs, ("classes",) path classes, ("roles",) known
# roles, ("choices", a, b, ...) a list of these words, ("owners",) a list of one-entry
# {glob: role} mappings, ("confine",) a mapping role -> list of path classes,
# ("confine_paths",) a mapping role -> list of globs.
Spec = tuple["Any", ...]

#: Parameters every kind accepts.
COMMON_PARAMS: dict[str, Spec] = {"escalate": ("bool",)}

_SECRET: dict[str, Spec] = {
    "allow_values": ("strs",), "generic": ("bool",), "min_length": ("int", 1, 10_000),
    "min_entropy": ("float", 0.0, 16.0), "generic_skip_extensions": ("strs",),
    "ignore_token_words": ("strs",), "connection_allow_hosts": ("globs",),
    "detect_secrets": ("bool",), "generic_skip_paths": ("globs",),
}

#: kind -> parameter name -> spec. A parameter not declared here is refused by name.
PARAMS: dict[str, dict[str, Spec]] = {
    "phase_gate": {"classes": ("classes",)},
    "unplanned_work": {"classes": ("classes",)},
    "domain_boundary": {"owners": ("owners",), "confine": ("confine",),
                        "confine_paths": ("confine_paths",)},
    "scope_budget": {"tolerance": ("float", 0.0, 10.0), "warn_at": ("float", 0.0, 10.0)},
    "ledger_integrity": {},
    "agent_identity": {},
    "halt_freeze": {},
    "protected_ref": {},
    "hardcoded_secret": _SECRET,
    "frontend_credentials": {"allow_names": ("globs",)},
    "sql_injection": {},
    "pii_in_logs": {"names": ("strs",)},
    "destructive_sql": {
        "kinds": ("choices", "delete_without_where", "update_without_where", "drop", "truncate"),
        "sql_extensions": ("strs",), "migration_roles": ("roles",),
        "migration_paths": ("globs",)},
    "sensitive_file": {"names": ("globs",), "paths": ("globs",), "allow_names": ("globs",)},
    "file_header": {"min_lines": ("int", 0, 1_000_000), "extensions": ("strs",)},
    "file_size": {"max_lines": ("int", 1, 1_000_000_000)},
}

#: Longest string a parameter list item may be (a glob, a word, a literal to allow).
MAX_PARAM_STR = 1_000
#: Longest list a parameter may be.
MAX_PARAM_ITEMS = 10_000


def check_params(kind: str, params: Any) -> tuple[str, str] | None:
    """Why ``params`` do not fit check kind ``kind``: (the offending key, the reason), or
    None when every parameter is declared for the kind and has its declared type."""
    if not isinstance(params, dict):
        return "", f"params must be a mapping, got {_kind_of(params)}"
    declared = {**COMMON_PARAMS, **PARAMS.get(kind, {})}
    for key, value in params.items():
        spec = declared.get(key) if isinstance(key, str) else None
        if spec is None:
            known = ", ".join(sorted(declared)) or "none"
            return str(key), f"unknown parameter {key!r} for check kind {kind} (known: {known})"
        why = check_value(spec, value)
        if why:
            return key, f"{key} {why}"
    return None


def check_value(spec: Spec, value: Any) -> str | None:
    """Why ``value`` does not fit ``spec`` (a phrase such as "must be a list of strings")."""
    kind = spec[0]
    if kind == "bool":
        return None if isinstance(value, bool) else f"must be true or false, got {_kind_of(value)}"
    if kind in ("int", "float"):
        ok = isinstance(value, int) if kind == "int" else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok:
            return f"must be {'an integer' if kind == 'int' else 'a number'}, got {_kind_of(value)}"
        lo, hi = spec[1], spec[2]
        if not lo <= value <= hi:  # NaN fails both comparisons, so it is refused too
            return f"must be between {lo} and {hi}, got {_short(value)}"
        return None
    if kind in ("confine", "confine_paths"):
        what = "path classes" if kind == "confine" else "globs"
        if not isinstance(value, dict):
            return f"must be a mapping of role -> list of {what}, got {_kind_of(value)}"
        for role, items in value.items():
            why = _role(role) or check_value(("classes" if kind == "confine" else "globs",), items)
            if why:
                return f"entry {_short(role)}: {why}"
        return None
    if not isinstance(value, list):
        return f"must be a list, got {_kind_of(value)}"
    if len(value) > MAX_PARAM_ITEMS:
        return f"has more than {MAX_PARAM_ITEMS} items"
    for item in value:
        why = _item(spec, item)
        if why:
            return why
    return None


def _item(spec: Spec, item: Any) -> str | None:
    kind = spec[0]
    if kind == "owners":
        if not isinstance(item, dict) or len(item) != 1:
            return f"must be a list of one-entry mappings GLOB: ROLE, got {_kind_of(item)}"
        ((glob, role),) = item.items()
        return _glob(glob) or _role(role)
    if not isinstance(item, str):
        return f"must be a list of strings, got an item that is {_kind_of(item)}"
    if len(item) > MAX_PARAM_STR:
        return f"has an item longer than {MAX_PARAM_STR} characters"
    if kind == "globs":
        return _glob(item)
    if kind == "roles":
        return _role(item)
    if kind == "classes":
        from gatekeeper.config import PATH_CLASS_ORDER

        if item not in PATH_CLASS_ORDER:
            return f"has {item!r}, not a path class ({', '.join(PATH_CLASS_ORDER)})"
    if kind == "choices" and item not in spec[1:]:
        return f"has {item!r}; expected some of {', '.join(spec[1:])}"
    return None


def _glob(pattern: Any) -> str | None:
    if not isinstance(pattern, str):
        return f"has a pattern that is {_kind_of(pattern)}, not a string"
    from gatekeeper.globs import check_glob

    return check_glob(pattern)


def _role(role: Any) -> str | None:
    from gatekeeper.config import ROLES, normalize_role

    if not isinstance(role, str) or normalize_role(role) not in ROLES:
        return f"names an unknown role {_short(role)}"
    return None


def _kind_of(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "a list", dict: "a mapping", type(None): "null"}
    return names.get(type(value), f"a {type(value).__name__}") + (
        f" ({_short(value)})" if isinstance(value, (str, int, float)) else "")


def _short(value: Any) -> str:
    if isinstance(value, int) and value.bit_length() > 128:
        return f"a number of about {value.bit_length() * 3 // 10} digits"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_loaded: dict[str, Any] = {}


def load_check(kind: str) -> CheckFn:
    """The function behind check kind ``kind``, imported on first use."""
    fn = _loaded.get(kind)
    if fn is None:
        module, _, name = CHECKS[kind].partition(":")
        fn = _loaded[kind] = getattr(importlib.import_module(module), name)
    return fn  # type: ignore[no-any-return]
