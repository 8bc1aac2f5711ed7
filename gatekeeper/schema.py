# gatekeeper/schema.py: pydantic models that validate config, ledger events and policy files.
"""Validation models. Imported only when something must be validated (a cache miss or a
write), because pydantic costs about 160 ms to import: the hot path runs on the plain
data these models produce.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gatekeeper import config as cfg

SLUG = r"^[a-z0-9][a-z0-9._-]{0,62}$"
RULE_ID = r"^[a-z0-9][a-z0-9-]{1,62}$"
PHASES = ("prepare", "architect", "code", "test", "done")
SKIP_REASONS = ("plan_section_complete", "structured_gate_passed", "decomposition_active")
TEST_SKIP_REASON = "trivial_change"
ARTIFACT_KINDS = ("preparation", "architecture", "plan")
LEVEL_CATEGORIES = {
    "HALT": ("SECURITY", "DATA", "ETHICS"),
    "ALERT": ("QUALITY", "SCOPE", "META-BLOCK"),
}
OUTCOMES = ("acknowledged", "overridden", "resolved")


#: The largest line count an estimate may give (and any other count a file may hold).
MAX_LINES = 1_000_000_000
#: Longest free text (a title, a reason, a note) an event or a rule may carry.
MAX_TEXT = 20_000


class _Strict(BaseModel):
    # No NaN or infinity anywhere: every number reaches the checks finite and in range.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _globs(v: list[str]) -> list[str]:
    """Refuse a glob that cannot compile, naming it (globs.check_glob's reason)."""
    from gatekeeper.globs import check_glob

    for pattern in v:
        why = check_glob(pattern)
        if why:
            raise ValueError(why)
    return v


def check_template(text: str) -> str | None:
    """Why a message template is unusable, or None.

    Templates are filled by :func:`gatekeeper.engine.render`: ``{name}`` placeholders only,
    no format specs, conversions, attributes or indexes (``{count:>999999999}`` would
    otherwise build a gigabyte string).
    """
    import string

    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        return f"not a valid template ({exc}); write literal braces as {{{{ and }}}}"
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not name.isidentifier():
            return f"placeholder {{{name}}} is not a plain field name"
        if spec or conversion:
            return (f"placeholder {{{name}{'!' + conversion if conversion else ''}"
                    f"{':' + spec if spec else ''}}} has a format spec; use {{{name}}}")
    return None


# ---------------------------------------------------------------- config


class RosterEntry(_Strict):
    emails: list[str] = []
    users: list[str] = []


class ServerModel(_Strict):
    deadline: float = Field(4.5, gt=0, le=600)
    fail_open: bool = False
    require_identity: bool = True
    protected_refs: dict[str, list[str]] = {}


class EscalationsModel(_Strict):
    inbox: str | None = None
    repeat_threshold: int = Field(3, ge=2, le=100)
    halt_freeze: bool = True


class ScopeModel(_Strict):
    tolerance: float = Field(0.2, ge=0, le=10)
    warn_at: float = Field(1.0, ge=0, le=10)
    undershoot: float = Field(0.8, ge=0, le=1)


class ClaudeModel(_Strict):
    main_thread: str = "orchestrator"
    fail_open: bool = False
    unknown_agent: str = "least-privilege"
    agents: dict[str, str] = {}

    @model_validator(mode="after")
    def _roles(self) -> ClaudeModel:
        for what, role in [("main_thread", self.main_thread), *(
                (f"agents.{k}", v) for k, v in self.agents.items())]:
            if cfg.normalize_role(role) not in cfg.ROLES:
                raise ValueError(f"{what}: unknown role {role!r}")
        u = self.unknown_agent
        if u not in ("least-privilege", "deny") and cfg.normalize_role(u) not in cfg.ROLES:
            raise ValueError(f"unknown_agent must be least-privilege, deny or a role, got {u!r}")
        return self


class ConfigModel(_Strict):
    roster: dict[str, list[str] | RosterEntry] = {}
    paths: dict[str, list[str]] = {}
    packs: list[Annotated[str, Field(max_length=100)]] | None = None
    rules: dict[str, dict[str, Any]] = {}
    server: ServerModel = ServerModel()
    escalations: EscalationsModel = EscalationsModel()
    scope: ScopeModel = ScopeModel()
    claude: ClaudeModel = ClaudeModel()

    @field_validator("roster")
    @classmethod
    def _roles(cls, v: dict[str, Any]) -> dict[str, Any]:
        for role in v:
            if cfg.normalize_role(role) not in cfg.ROLES:
                raise ValueError(f"unknown role {role!r}; expected one of {', '.join(cfg.ROLES)}")
        return v

    @field_validator("paths")
    @classmethod
    def _classes(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for name in v:
            if name not in cfg.PATH_CLASS_ORDER:
                raise ValueError(
                    f"unknown path class {name!r}; expected one of {', '.join(cfg.PATH_CLASS_ORDER)}")
            _globs(v[name])
        return v

    @field_validator("rules")
    @classmethod
    def _overrides(cls, v: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for rule, over in v.items():
            action = over.get("action")
            if action is not None and action not in ("block", "warn", "off"):
                raise ValueError(f"rules.{rule}.action must be block, warn or off, got {action!r}")
        return v

    def to_config(self, where: str, lines: dict[str, int] | None = None) -> cfg.Config:
        roster: dict[str, list[str]] = {}
        for role, ids in self.roster.items():
            flat = list(ids) if isinstance(ids, list) else [*ids.emails, *ids.users]
            roster.setdefault(cfg.normalize_role(role), []).extend(flat)
        paths = dict(cfg.DEFAULT_PATHS)
        paths.update(self.paths)
        return cfg.Config(
            roster=roster, paths=paths,
            packs=list(self.packs) if self.packs is not None else list(cfg.DEFAULT_PACKS),
            rules={k: dict(v) for k, v in self.rules.items()},
            server=cfg.ServerOptions(
                deadline=self.server.deadline, fail_open=self.server.fail_open,
                require_identity=self.server.require_identity,
                protected_refs={k: list(v) for k, v in self.server.protected_refs.items()}),
            claude=cfg.ClaudeOptions(
                main_thread=self.claude.main_thread, fail_open=self.claude.fail_open,
                unknown_agent=self.claude.unknown_agent, agents=dict(self.claude.agents)),
            inbox=self.escalations.inbox, tolerance=self.scope.tolerance,
            warn_at=self.scope.warn_at, undershoot=self.scope.undershoot,
            repeat_threshold=self.escalations.repeat_threshold,
            halt_freeze=self.escalations.halt_freeze, source=where, lines=dict(lines or {}),
        )


# ---------------------------------------------------------------- ledger


Text = Annotated[str, Field(max_length=MAX_TEXT)]
Lines = Annotated[int, Field(ge=0, le=MAX_LINES)]


class _Event(_Strict):
    at: Text = ""
    by: Text = ""


class InitEvent(_Event):
    event: Literal["init"]
    version: int = Field(1, ge=1, le=1000)


class FeatureEvent(_Event):
    event: Literal["feature"]
    id: Annotated[str, Field(pattern=SLUG)]
    title: Text = ""
    paths: list[Annotated[str, Field(max_length=1000)]] = Field(min_length=1, max_length=1000)
    estimate: Lines | None = None

    @field_validator("paths")
    @classmethod
    def _paths(cls, v: list[str]) -> list[str]:
        return _globs(v)


class PhaseEvent(_Event):
    event: Literal["phase"]
    feature: str
    phase: Literal["prepare", "architect", "code", "test", "done"]
    skip_reason: str | None = None
    baseline: str | None = None

    @field_validator("skip_reason")
    @classmethod
    def _sanctioned(cls, v: str | None) -> str | None:
        if v is not None and v not in (*SKIP_REASONS, TEST_SKIP_REASON):
            raise ValueError(f"skip_reason {v!r} is not sanctioned; use one of "
                             f"{', '.join(SKIP_REASONS)} (or {TEST_SKIP_REASON} for TEST)")
        return v


class ApproveEvent(_Event):
    event: Literal["approve"]
    feature: str
    kind: Literal["preparation", "architecture", "plan"]
    path: str
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class EstimateEvent(_Event):
    event: Literal["estimate"]
    feature: str
    lines: Lines
    reason: Text = Field(min_length=1)


class WaiveEvent(_Event):
    event: Literal["waive"]
    id: str
    rule: Annotated[str, Field(pattern=RULE_ID)]
    reason: Text = Field(min_length=1)
    feature: str | None = None
    path: Annotated[str, Field(max_length=1000)] | None = None
    expires: dt.date | None = None

    @field_validator("path")
    @classmethod
    def _path(cls, v: str | None) -> str | None:
        return v if v is None else _globs([v])[0]


class ResolveEvent(_Event):
    event: Literal["resolve"]
    escalation: str
    outcome: Literal["acknowledged", "overridden", "resolved"]
    note: Text = Field(min_length=1)


Event = Annotated[
    InitEvent | FeatureEvent | PhaseEvent | ApproveEvent | EstimateEvent | WaiveEvent
    | ResolveEvent,
    Field(discriminator="event"),
]


class EventEnvelope(BaseModel):
    event: Event


# ---------------------------------------------------------------- policies


class Selectors(_Strict):
    paths: list[str] = ["**"]
    exclude_paths: list[str] = []
    roles: list[str] = []
    phases: list[str] = []
    classes: list[str] = []

    @field_validator("paths", "exclude_paths")
    @classmethod
    def _patterns(cls, v: list[str]) -> list[str]:
        return _globs(v)

    @field_validator("phases")
    @classmethod
    def _phases(cls, v: list[str]) -> list[str]:
        for p in v:
            if p not in PHASES:
                raise ValueError(f"unknown phase {p!r}; expected one of {', '.join(PHASES)}")
        return v

    @field_validator("classes")
    @classmethod
    def _path_classes(cls, v: list[str]) -> list[str]:
        for c in v:
            if c not in cfg.PATH_CLASS_ORDER:
                raise ValueError(f"unknown path class {c!r}; expected one of "
                                 f"{', '.join(cfg.PATH_CLASS_ORDER)}")
        return v

    @field_validator("roles")
    @classmethod
    def _roles(cls, v: list[str]) -> list[str]:
        out = [cfg.normalize_role(r) for r in v]
        for r in out:
            if r not in cfg.ROLES:
                raise ValueError(f"unknown role {r!r}")
        return out


class Example(_Strict):
    violation: str = ""
    fix: str = ""


class RuleModel(_Strict):
    id: Annotated[str, Field(pattern=RULE_ID)]
    title: str
    check: str
    level: Literal["HALT", "ALERT"]
    category: str
    action: Literal["block", "warn", "off"] = "block"
    enforces: str = ""
    selectors: Selectors = Selectors()
    params: dict[str, Any] = {}
    message: Text
    remedy: Text = ""
    impact: Text = ""
    example: Example = Example()

    @field_validator("message", "remedy")
    @classmethod
    def _template(cls, v: str) -> str:
        why = check_template(v)
        if why:
            raise ValueError(why)
        return v

    @model_validator(mode="after")
    def _level_category(self) -> RuleModel:
        allowed = LEVEL_CATEGORIES[self.level]
        if self.category not in allowed:
            raise ValueError(f"category {self.category!r} does not go with level {self.level}; "
                             f"use one of {', '.join(allowed)}")
        from gatekeeper.rules import CHECKS

        if self.check not in CHECKS:
            raise ValueError(f"unknown check kind {self.check!r}; known: {', '.join(sorted(CHECKS))}")
        return self


class PackModel(_Strict):
    pack: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")] = ""
    description: str = ""
    rules: list[RuleModel]


def is_placeholder(text: str) -> bool:
    """A reason that says nothing: empty, too short, or a stock filler word."""
    t = text.strip().lower()
    return len(t) < 12 or bool(re.fullmatch(r"(n/?a|none|todo|tbd|wip|fix|test|x+|\.+|-+|\?+)", t))
