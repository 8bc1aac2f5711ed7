# gatekeeper/ledger.py: the phase ledger: event stream -> folded state, phase rules, atomic append.
"""The PACT phase ledger, ``.pact/ledger.yaml``: an append-only YAML stream of events.

The state is the fold of the events. :func:`apply` is the single place that knows the
phase rules; both reading a ledger and the orchestrator's commands go through it, so a
hand-edited ledger is held to the same rules as one written by the CLI.
"""

from __future__ import annotations

from pathlib import Path

from gatekeeper import fsutil, yamlio
from gatekeeper.errors import ConfigError, RefusedError
from gatekeeper.record import dataclass, field

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    import datetime as dt
    from typing import Any

LEDGER_PATH = ".pact/ledger.yaml"
PHASES = ("prepare", "architect", "code", "test", "done")
SKIPPABLE = {"prepare", "architect"}
SKIP_REASONS = ("plan_section_complete", "structured_gate_passed", "decomposition_active")
TEST_SKIP_REASON = "trivial_change"


@dataclass
class Artifact:
    """An approved artifact: its path and the sha256 of its content at approval."""

    kind: str
    path: str
    sha256: str
    at: str = ""
    by: str = ""


@dataclass
class Feature:
    """One feature's folded state."""

    id: str
    title: str
    paths: list[str]
    estimate: int | None
    phase: str | None = None  # None: declared, no phase entered yet
    skipped: dict[str, str] = field(default_factory=dict)  # phase -> sanctioned reason
    baseline: str | None = None  # commit HEAD when the feature entered CODE
    artifacts: dict[str, Artifact] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    estimates: list[dict[str, Any]] = field(default_factory=list)
    passes: dict[str, int] = field(default_factory=dict)  # phase -> how many passes (retries + 1)

    @property
    def architecture_ok(self) -> bool:
        """True when an architecture is approved or ARCHITECT was skipped with a reason."""
        return "architecture" in self.artifacts or "architect" in self.skipped

    @property
    def in_code(self) -> bool:
        """True in CODE or TEST, where code may change."""
        return self.phase in ("code", "test")


@dataclass
class Waiver:
    """An orchestrator's waiver of a rule, scoped and possibly expiring."""

    id: str
    rule: str
    reason: str
    feature: str | None = None
    path: str | None = None
    expires: str | None = None  # ISO date, inclusive
    by: str = ""
    at: str = ""

    def active(self, today: dt.date) -> bool:
        """True until the end of the ``expires`` day."""
        if self.expires is None:
            return True
        import datetime as dt  # lazily: a hook with no waivers never needs it

        return dt.date.fromisoformat(self.expires) >= today


@dataclass
class Resolution:
    """An escalation's resolution, recorded in the ledger so servers learn about it."""

    escalation: str
    outcome: str
    note: str
    by: str = ""
    at: str = ""


@dataclass
class LedgerState:
    """The fold of the ledger's events."""

    features: dict[str, Feature] = field(default_factory=dict)
    waivers: list[Waiver] = field(default_factory=list)
    resolutions: dict[str, Resolution] = field(default_factory=dict)
    initialized: bool = False
    events: int = 0


def _missing_step(feature: Feature, target: str, reason: str | None) -> str | None:
    """Why ``feature`` may not enter ``target`` now, or None when it may."""
    cur = PHASES.index(feature.phase) if feature.phase else -1
    tgt = PHASES.index(target)
    if tgt <= cur:
        if feature.phase == "done":
            return f"feature {feature.id!r} is done; a finished feature is never reopened"
        return None  # a retry pass of an earlier (or the current) phase
    skipped = PHASES[cur + 1 : tgt]
    for phase in skipped:
        if phase == "code":
            return f"CODE is never skipped: enter 'code' before '{target}'"
        if phase == "test":
            if reason != TEST_SKIP_REASON:
                return (f"TEST may be skipped only for a trivial change: use "
                        f"--skip-reason {TEST_SKIP_REASON}, or enter 'test' first")
        elif reason not in SKIP_REASONS:
            return (f"missing step: {phase.upper()} comes before {target.upper()}; enter "
                    f"'{phase}' first, or skip it with --skip-reason "
                    f"({' | '.join(SKIP_REASONS)})")
    if target == "code":
        arch_skipped = "architect" in skipped or "architect" in feature.skipped
        if "architecture" not in feature.artifacts and not arch_skipped:
            return (f"missing step: no approved architecture for {feature.id!r}; run "
                    f"'gatekeeper approve {feature.id} docs/architecture/{feature.id}.md'")
    return None


def apply(state: LedgerState, ev: dict[str, Any]) -> None:
    """Fold one validated event into ``state``; raise RefusedError when it breaks a rule."""
    kind = ev["event"]
    state.events += 1
    if kind == "init":
        state.initialized = True
        return
    if kind == "feature":
        if ev["id"] in state.features:
            raise RefusedError(f"feature {ev['id']!r} is already declared")
        state.features[ev["id"]] = Feature(id=ev["id"], title=ev.get("title") or "",
                                           paths=list(ev["paths"]), estimate=ev.get("estimate"))
        return
    if kind == "waive":
        exp = ev.get("expires")
        state.waivers.append(Waiver(
            id=ev["id"], rule=ev["rule"], reason=ev["reason"], feature=ev.get("feature"),
            path=ev.get("path"), expires=str(exp) if exp else None,
            by=ev.get("by", ""), at=ev.get("at", "")))
        return
    if kind == "resolve":
        state.resolutions[ev["escalation"]] = Resolution(
            escalation=ev["escalation"], outcome=ev["outcome"], note=ev["note"],
            by=ev.get("by", ""), at=ev.get("at", ""))
        return
    feature = state.features.get(ev["feature"])
    if feature is None:
        raise RefusedError(f"unknown feature {ev['feature']!r}; declare it with "
                           f"'gatekeeper feature add {ev['feature']} --paths GLOB'")
    if kind == "phase":
        target, reason = ev["phase"], ev.get("skip_reason")
        why = _missing_step(feature, target, reason)
        if why:
            raise RefusedError(why)
        cur = PHASES.index(feature.phase) if feature.phase else -1
        for phase in PHASES[cur + 1 : PHASES.index(target)]:
            if reason:
                feature.skipped[phase] = reason
        if target == "code" and "code" not in feature.passes:
            # The first entry into CODE fixes the baseline; a retry pass keeps it, so the
            # budget cannot be reset by going round again.
            feature.baseline = ev.get("baseline")
        feature.passes[target] = feature.passes.get(target, 0) + 1
        feature.phase = target
        feature.history.append({"phase": target, "at": ev.get("at", ""), "by": ev.get("by", ""),
                                "skip_reason": reason, "pass": feature.passes[target],
                                "from": PHASES[cur] if cur >= 0 else None})
    elif kind == "approve":
        feature.artifacts[ev["kind"]] = Artifact(kind=ev["kind"], path=ev["path"],
                                                 sha256=ev["sha256"], at=ev.get("at", ""),
                                                 by=ev.get("by", ""))
    elif kind == "estimate":
        feature.estimates.append({"from": feature.estimate, "to": ev["lines"],
                                  "reason": ev["reason"], "at": ev.get("at", "")})
        feature.estimate = ev["lines"]


def validate_event(raw: Any) -> dict[str, Any]:
    """Validate one raw event with pydantic; return it as plain, JSON-safe data."""
    from gatekeeper.schema import EventEnvelope

    env = EventEnvelope.model_validate({"event": raw})
    return env.event.model_dump(mode="json", exclude_none=True)


def parse(text: str, where: str = LEDGER_PATH) -> tuple[LedgerState, list[dict[str, Any]]]:
    """Validate and fold a whole ledger; errors name the file and the event's line."""
    from pydantic import ValidationError

    docs = yamlio.load_all(text, where)
    lines: list[int] | None = None

    def line_of(i: int, loc: tuple[Any, ...] = ()) -> str:
        nonlocal lines
        if lines is None:
            lines = yamlio.document_lines(text)
        line = yamlio.locate(text, [str(p) for p in loc], document=i) if loc else None
        return f"{where}:{line or (lines[i] if i < len(lines) else '?')}"

    state = LedgerState()
    events: list[dict[str, Any]] = []
    for i, raw in enumerate(docs):
        if not isinstance(raw, dict):
            raise ConfigError(line_of(i), "each ledger event must be a mapping with an 'event' key")
        try:
            ev = validate_event(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            # err["loc"] is ("event", <event kind tag>, field, ...) for a known kind.
            loc = tuple(err["loc"][2:]) if len(err["loc"]) > 2 else ()
            field_name = ".".join(str(p) for p in loc) or "event"
            raise ConfigError(line_of(i, loc), yamlio.one_line(f"{field_name}: {err['msg']}")) from None
        try:
            apply(state, ev)
        except RefusedError as exc:
            raise ConfigError(line_of(i), yamlio.one_line(
                f"{raw.get('event')} event refused: {exc}")) from None
        events.append(ev)
    return state, events


def now() -> str:
    """The timestamp events carry: UTC, seconds."""
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def append(path: Path, current: str, event: dict[str, Any]) -> str:
    """Append one event to the ledger file atomically and return the new text.

    ``current`` is the text the event was validated against; if the file changed since,
    the append is refused rather than silently interleaved. Earlier events are never
    rewritten: the new text is the old text plus one document.
    """
    on_disk = path.read_bytes() if path.exists() else b""
    if on_disk != current.encode("utf-8"):
        raise RefusedError(f"{path} changed while this command ran; run it again")
    doc = "---\n" + yamlio.dump(event)
    new = current if current.endswith("\n") or not current else current + "\n"
    new += doc
    fsutil.atomic_write(path, new.encode("utf-8"))
    return new
