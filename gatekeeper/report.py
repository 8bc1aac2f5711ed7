# gatekeeper/report.py: the verdict of a check, rendered as text or JSON (report@1); SARIF is in sarif.py.
"""Reports. Rendering only: deciding happened in the engine."""

from __future__ import annotations

import os
import sys

from gatekeeper.engine import Finding
from gatekeeper.ledger import Waiver
from gatekeeper.policy import Rule
from gatekeeper.record import dataclass, field

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import IO, Any

SCHEMA = "pact-gatekeeper/report@1"


@dataclass
class Report:
    """The outcome of judging one or more changes."""

    findings: list[Finding] = field(default_factory=list)
    commits: int = 0
    where: str = "client"
    expired_waivers: list[Waiver] = field(default_factory=list)
    escalations: list[tuple[str, str]] = field(default_factory=list)  # (id, path)
    rules: list[Rule] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def active(self) -> list[Finding]:
        """Findings not covered by a waiver."""
        return [f for f in self.findings if not f.waiver]

    @property
    def waived(self) -> list[Finding]:
        """Findings an active waiver covers."""
        return [f for f in self.findings if f.waiver]

    @property
    def blocked(self) -> bool:
        """True when any unwaived finding blocks."""
        return any(f.action == "block" for f in self.active)

    @property
    def verdict(self) -> str:
        """``block`` or ``pass``."""
        return "block" if self.blocked else "pass"


def remedy_of(f: Finding) -> str:
    """The finding's remedy with ``{escalation}`` filled in: the note id is known only once
    the note is written, after the engine rendered the text."""
    if "{escalation}" not in f.remedy:
        return f.remedy
    return f.remedy.replace("{escalation}", f.escalation or "<id from gatekeeper escalations list>")


def _finding_json(f: Finding) -> dict[str, Any]:
    out = f.as_json()
    out["remedy"] = remedy_of(f)
    return out


def to_json(report: Report) -> dict[str, Any]:
    """The ``pact-gatekeeper/report@1`` object."""
    return {
        "schema": SCHEMA,
        "verdict": report.verdict,
        "findings": [_finding_json(f) for f in report.active],
        "waived": [_finding_json(f) for f in report.waived],
        "escalations": [{"id": i, "path": p} for i, p in report.escalations],
        "commits": report.commits,
        "where": report.where,
        "expired_waivers": [{"id": w.id, "rule": w.rule, "expires": w.expires,
                             "feature": w.feature, "path": w.path}
                            for w in report.expired_waivers],
        "notices": report.notices,
    }


def to_sarif(report: Report) -> dict[str, Any]:
    """SARIF 2.1.0; moved to :mod:`gatekeeper.sarif` (kept here for old callers)."""
    from gatekeeper.sarif import to_sarif as sarif

    return sarif(report)


def _color(stream: IO[str]) -> bool:
    return (not os.environ.get("NO_COLOR") and hasattr(stream, "isatty") and stream.isatty()
            and os.environ.get("TERM") != "dumb")


class Style:
    """ANSI styling that honours NO_COLOR and non-terminals."""

    def __init__(self, stream: IO[str]) -> None:
        self.on = _color(stream)

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.on else text


def clean_text(text: str) -> str:
    """``text`` safe to write as UTF-8: bytes git handed over undecoded (a non-UTF-8 file
    name, kept as surrogates) become ``\\xNN`` escapes instead of crashing the writer."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a surrogate that stands for no byte
            return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def clean_data(value: Any) -> Any:
    """``value`` (str, list, dict, nested) with every string passed through clean_text."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_data(v) for v in value]
    if isinstance(value, dict):
        return {k: clean_data(v) for k, v in value.items()}
    return value


def render_text(report: Report, stream: IO[str] | None = None, *, prefix: str = "") -> str:
    """Human-readable report: one block per finding (rule, level, what, how to fix)."""
    st = Style(stream or sys.stdout)
    lines: list[str] = []
    for f in report.active + report.waived:
        tag = "WAIVED" if f.waiver else ("BLOCK" if f.action == "block" else "WARN")
        color = "32" if f.waiver else ("31;1" if f.action == "block" else "33")
        head = f"{st(tag, color)} {f.rule} [{f.level} {f.category}]"
        head += f" {f.commit}" + (f" feature={f.feature}" if f.feature else "")
        lines.append(head)
        lines.append(f"  {f.message}")
        if f.line and f.paths:
            lines.append(f"  at: {f.paths[0]}:{f.line}")
        if not f.waiver and f.remedy:
            lines.append(f"  fix: {remedy_of(f)}")
        if f.waiver:
            lines.append(f"  waived by {f.waiver}")
        if f.escalation:
            lines.append(f"  escalation: {f.escalation}")
        lines.append("")
    for w in report.expired_waivers:
        lines.append(f"{st('NOTE', '36')} waiver {w.id} ({w.rule}) expired on {w.expires} "
                     "and no longer applies")
    lines.extend(report.notices)
    blocks = sum(1 for f in report.active if f.action == "block")
    warns = sum(1 for f in report.active if f.action != "block")
    summary = (f"pact-gatekeeper: {'BLOCKED' if report.blocked else 'passed'}: "
               f"{report.commits} change(s), {blocks} blocking, {warns} warning(s), "
               f"{len(report.waived)} waived")
    if report.escalations:
        summary += f", {len(report.escalations)} escalation note(s)"
    lines.append(st(summary, "31;1" if report.blocked else "32"))
    width = _width(stream or sys.stdout)
    if width:
        lines = _wrap(lines, width - len(prefix))
    return clean_text("\n".join(prefix + ln if ln else prefix.rstrip() for ln in lines) + "\n")


def _width(stream: IO[str]) -> int | None:
    """The width to wrap at when ``stream`` is a terminal (``COLUMNS`` when set, else the
    terminal's). Piped output (CI logs, scripts, the pre-commit framework, which captures a
    hook's output) is never wrapped: one line per message, so that it can be searched."""
    try:
        if not (hasattr(stream, "isatty") and stream.isatty()):
            return None
        cols = os.environ.get("COLUMNS", "").strip()
        width = int(cols) if cols.isdigit() else os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return None
    return max(width, 40) if width > 0 else None


def _wrap(lines: list[str], width: int) -> list[str]:
    """Wrap long lines at word boundaries, continuation lines indented two more spaces.
    Words (paths, commands) are never broken, so a long one may still overflow."""
    if all(len(ln) <= width for ln in lines):
        return lines
    import textwrap  # only when something is too long: most hook runs print nothing

    out: list[str] = []
    for ln in lines:
        if len(ln) <= width:
            out.append(ln)
            continue
        indent = ln[: len(ln) - len(ln.lstrip(" "))]
        out.extend(textwrap.wrap(ln, width=max(width, 20), subsequent_indent=indent + "  ",
                                 break_long_words=False, break_on_hyphens=False))
    return out


def dump_json(data: dict[str, Any]) -> str:
    """Pretty JSON with a trailing newline."""
    import json  # not on a hook's silent path

    # Escape undecodable path bytes in the values, so the result is valid JSON too.
    return json.dumps(clean_data(data), indent=2, ensure_ascii=False) + "\n"
