# gatekeeper/jsonschemas.py: `gatekeeper schema NAME`: JSON Schemas generated from the pydantic models.
"""JSON Schemas for editors and other tools: the config, one ledger event, a policy pack
(all generated from the validation models in :mod:`gatekeeper.schema`), the JSON report
and the JSON status (models of their own, here). Cold path: imports pydantic.

The wheel ships the generated files in ``gatekeeper/schemas/`` (a test keeps them equal to
what the models generate); ``init`` copies them into ``.pact/schemas/`` and points the
config's ``#:schema`` line (Taplo, Even Better TOML) and the policies'
``# yaml-language-server: $schema=`` line at them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter

NAMES = ("config", "ledger", "policy", "report", "status")
DIALECT = "https://json-schema.org/draft/2020-12/schema"


class _Open(BaseModel):
    # Reports and status may grow keys in later versions: the schema names what a consumer
    # can rely on and lets new keys through.
    model_config = ConfigDict(extra="allow")


class FindingModel(_Open):
    """One finding of ``pact-gatekeeper/report@1``."""

    rule: str
    level: Literal["HALT", "ALERT"]
    category: str
    action: Literal["block", "warn"]
    message: str
    paths: list[str]
    commit: str
    feature: str | None
    agent: str | None
    remedy: str
    line: int | None = None
    title: str = ""
    fingerprint: str = ""
    waiver: str | None = None
    escalation: str | None = None


class EscalationRef(_Open):
    id: str
    path: str


class ExpiredWaiver(_Open):
    id: str
    rule: str
    expires: str | None
    feature: str | None = None
    path: str | None = None


class RangeModel(_Open):
    """``check --ci`` only: the range judged, and why."""

    label: str
    why: str
    provider: Literal["github", "gitlab", "explicit"]
    include: list[str]
    exclude: list[str]


class ReportModel(_Open):
    """``gatekeeper check --format json``: ``pact-gatekeeper/report@1``."""

    schema_: Literal["pact-gatekeeper/report@1"]
    verdict: Literal["pass", "block"]
    findings: list[FindingModel]
    waived: list[FindingModel]
    escalations: list[EscalationRef]
    commits: int
    where: str  # client | ci | server (adapters may add more)
    expired_waivers: list[ExpiredWaiver] = []
    notices: list[str] = []
    range: RangeModel | None = None


class FeatureStatus(_Open):
    id: str
    title: str
    phase: str
    paths: list[str]
    estimate: int | None
    baseline: str | None
    skipped: Any = None
    passes: Any = None
    artifacts: Any = None
    scope: dict[str, Any] | None = None
    estimate_revisions: int = 0


class WaiverStatus(_Open):
    id: str
    rule: str
    feature: str | None
    path: str | None
    expires: str | None
    reason: str
    state: str


class StatusModel(_Open):
    """``gatekeeper status --format json``: ``pact-gatekeeper/status@1``."""

    schema_: Literal["pact-gatekeeper/status@1"]
    today: str
    features: list[FeatureStatus]
    escalations: dict[str, list[dict[str, Any]]]
    waivers: list[WaiverStatus]
    inbox: str
    settings: dict[str, Any]


def _rename_schema_key(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` is a BaseModel attribute, so the models call it ``schema_``."""
    props = schema.get("properties", {})
    if "schema_" in props:
        props["schema"] = props.pop("schema_")
        props["schema"]["title"] = "Schema"
        schema["required"] = ["schema" if r == "schema_" else r for r in schema["required"]]
    return schema


def _role_pattern(roles: tuple[str, ...]) -> str:
    """A regex for role names as the loader reads them: any case, ``_`` for ``-``, an
    optional ``pact-`` prefix (JSON Schema regexes have no case-insensitive flag)."""
    def word(w: str) -> str:
        return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else ("[-_]" if c == "-" else c)
                       for c in w)

    return f"^({word('pact-')})?({'|'.join(word(r) for r in roles)})$"


def generate(name: str) -> dict[str, Any]:
    """The JSON Schema called ``name`` (one of :data:`NAMES`)."""
    from gatekeeper import config as cfg
    from gatekeeper import schema as models

    out: dict[str, Any]
    if name == "config":
        out = models.ConfigModel.model_json_schema()
        props = out["properties"]
        props["paths"]["propertyNames"] = {"enum": list(cfg.PATH_CLASS_ORDER)}
        props["roster"]["propertyNames"] = {"pattern": _role_pattern(cfg.ROLES)}
        props["rules"]["propertyNames"] = {"pattern": models.RULE_ID}
        props["rules"]["additionalProperties"] = {
            "type": "object", "properties": {"action": {"enum": ["block", "warn", "off"]}}}
        title = "pact-gatekeeper config (.pact/config.toml or [tool.gatekeeper])"
    elif name == "ledger":
        out = TypeAdapter(models.Event).json_schema()
        title = "pact-gatekeeper ledger event (one YAML document of .pact/ledger.yaml)"
    elif name == "policy":
        out = models.PackModel.model_json_schema()
        title = "pact-gatekeeper policy pack (.pact/policies/*.yaml)"
    elif name == "report":
        out = _rename_schema_key(ReportModel.model_json_schema())
        title = "pact-gatekeeper report@1 (check --format json)"
    elif name == "status":
        out = _rename_schema_key(StatusModel.model_json_schema())
        title = "pact-gatekeeper status@1 (status --format json)"
    else:
        from gatekeeper.errors import GatekeeperError

        raise GatekeeperError(f"no schema {name!r}; expected one of {', '.join(NAMES)}")
    return {"$schema": DIALECT, "title": title, **{k: v for k, v in out.items() if k != "title"}}


def bundled_dir() -> Path:
    """The generated schema files shipped inside the package."""
    return Path(__file__).resolve().parent / "schemas"


def file_name(name: str) -> str:
    """``config`` -> ``config.schema.json``."""
    return f"{name}.schema.json"


def render(name: str) -> str:
    """The schema as the file text shipped and printed (stable key order, newline)."""
    import json

    return json.dumps(generate(name), indent=2, sort_keys=True) + "\n"
