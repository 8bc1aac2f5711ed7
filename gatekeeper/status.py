# gatekeeper/status.py: `gatekeeper status`: every feature's phase, artifacts, budget; escalations; waivers.
"""The orchestrator's dashboard, as data (``--format json``) and as 80-column text.

Scope figures count lines changed (added + deleted) in a feature's paths from its code
baseline (the commit where it entered CODE) to ``HEAD``: committed work, the same figure
the range check and the server use. The ledger shown is the one on disk, so an
uncommitted decision is visible at once.
"""

from __future__ import annotations

import datetime as dt
import textwrap

from gatekeeper import git
from gatekeeper.context import inbox_dir, load_worktree
from gatekeeper.digest import sha256_hex
from gatekeeper.engine import current_date
from gatekeeper.errors import GitError
from gatekeeper.escalations import Inbox, Note
from gatekeeper.globs import match, to_pathspecs
from gatekeeper.ledger import Feature, LedgerState, Waiver
from gatekeeper.report import Style
from gatekeeper.rules.scope import budget, feature_lines, feature_pathspecs

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import IO, Any, TypeAlias

SCHEMA = "pact-gatekeeper/status@1"
WIDTH = 80
BAR = 20


def scope_lines(repo: git.Repo, f: Feature) -> int | None:
    """Lines changed in the feature's paths from its baseline (None: the empty tree) to ``HEAD``.

    None when it cannot be computed (no commit yet, a baseline missing from a shallow clone).
    """
    try:
        stats = git.numstat(repo, f.baseline or git.EMPTY_TREE, "HEAD", feature_pathspecs([f]))
    except GitError:
        return None
    return feature_lines(stats, f)


def feature_scope(repo: git.Repo, f: Feature, tolerance: float,
                  undershoot: float) -> dict[str, Any] | None:
    """A feature's budget from its baseline to HEAD, or None before it entered CODE."""
    if not (f.in_code or f.phase == "done"):
        return None
    changed = scope_lines(repo, f)
    if changed is None:
        return {"changed": None, "estimate": f.estimate, "percent": None, "limit": None,
                "state": "unknown", "baseline": f.baseline}
    if not f.estimate:
        return {"changed": changed, "estimate": f.estimate, "percent": None, "limit": None,
                "state": "no-estimate", "baseline": f.baseline}
    pct, limit = budget(f, changed, tolerance)
    if changed > limit:
        state = "over-limit"
    elif changed > f.estimate:
        state = "over-estimate"
    elif f.phase in ("test", "done") and changed < f.estimate * undershoot:
        state = "undershoot"
    else:
        state = "ok"
    return {"changed": changed, "estimate": f.estimate, "percent": pct, "limit": limit,
            "state": state, "baseline": f.baseline}


def _artifacts(repo: git.Repo, f: Feature) -> list[dict[str, Any]]:
    out = []
    for a in f.artifacts.values():
        p = (repo.top / a.path) if repo.top else None
        if p is None or not p.is_file():
            disk = "missing"
        else:
            disk = "matches" if sha256_hex(p.read_bytes()) == a.sha256 \
                else "changed"
        out.append({"kind": a.kind, "path": a.path, "sha256": a.sha256, "on_disk": disk,
                    "approved_at": a.at, "approved_by": a.by})
    return out


def _tracked(repo: git.Repo, globs: list[str]) -> list[str]:
    """Tracked files that the waivers' path globs could match (one ``ls-files``)."""
    if not globs:
        return []
    specs = sorted({s for g in globs for s in to_pathspecs(g)})
    try:
        out = git.run(["ls-files", "-z", "--", *specs], repo.cwd)
    except GitError:
        return []
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def waiver_state(w: Waiver, state: LedgerState, tracked: list[str],
                 today: dt.date) -> tuple[str, str]:
    """(active | expired | unmatched, why) for one waiver."""
    if not w.active(today):
        return "expired", f"its last day was {w.expires}"
    if w.feature:
        feat = state.features.get(w.feature)
        if feat is None:
            return "unmatched", f"feature {w.feature!r} is not declared"
        if feat.phase == "done":
            return "unmatched", f"feature {w.feature!r} is done"
    if w.path and not any(match(w.path, p) for p in tracked):
        return "unmatched", "no tracked file matches its path"
    return "active", f"until {w.expires}" if w.expires else "does not expire"


def uncommitted(repo: git.Repo, state: LedgerState) -> dict[str, Any] | None:
    """What in ``.pact/`` differs from ``HEAD``: the paths, and how many ledger events are
    not committed yet (None when unknown). None when nothing differs.

    ``status`` shows the ledger on disk; the hooks judge by the committed one, so a decision
    not yet committed looks in force here but is not, for any agent's commit.
    """
    try:
        out = git.run(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".pact"],
                      repo.cwd)
    except GitError:
        return None
    paths = sorted({e[3:] for e in out.decode("utf-8", "surrogateescape").split("\0")
                    if len(e) > 3 and e[2] == " "})
    if not paths:
        return None
    events: int | None = None
    if ".pact/ledger.yaml" in paths:
        try:
            from gatekeeper.ledger import parse

            committed = git.run(["show", "HEAD:.pact/ledger.yaml"], repo.cwd, check=False)
            events = state.events - parse(committed.decode("utf-8", "replace"))[0].events
        except Exception:  # an unreadable committed ledger: say nothing about the count
            events = None
    return {"paths": paths, "ledger_events": events}


def budget_waivers(f: Feature, waivers: list[dict[str, Any]]) -> list[str]:
    """The active scope-budget waivers that cover feature ``f``'s budget."""
    return [w["id"] for w in waivers if w["rule"] == "scope-budget" and w["state"] == "active"
            and w["feature"] in (None, f.id)]


def open_notes(inbox: Inbox, state: LedgerState) -> list[Note]:
    """Open notes: open in the inbox and not resolved by a ledger ``resolve`` event."""
    return [n for n in inbox.notes() if n.status == "open" and n.id not in state.resolutions]


def collect(repo: git.Repo) -> dict[str, Any]:
    """Everything ``status`` shows, as JSON-safe data."""
    ctx = load_worktree(repo)
    state, config = ctx.state, ctx.config
    today = current_date()
    tracked = _tracked(repo, [w.path for w in state.waivers if w.path])
    waivers: list[dict[str, Any]] = []
    for w in state.waivers:
        wstate, why = waiver_state(w, state, tracked, today)
        waivers.append({"id": w.id, "rule": w.rule, "feature": w.feature, "path": w.path,
                        "expires": w.expires, "reason": w.reason, "by": w.by, "at": w.at,
                        "state": wstate, "why": why, "covers": []})
    features = []
    for f in state.features.values():
        scope = feature_scope(repo, f, config.tolerance, config.undershoot)
        if scope is not None:
            scope["waivers"] = budget_waivers(f, waivers)
            for wd in waivers:
                if wd["id"] in scope["waivers"]:
                    wd["covers"].append(f.id)
        features.append({
            "id": f.id, "title": f.title, "phase": f.phase or "declared", "paths": f.paths,
            "estimate": f.estimate, "baseline": f.baseline, "skipped": f.skipped,
            "passes": f.passes, "artifacts": _artifacts(repo, f),
            "scope": scope,
            "estimate_revisions": len(f.estimates),
        })
    inbox = Inbox(inbox_dir(repo, config.inbox))
    esc: dict[str, list[dict[str, Any]]] = {"HALT": [], "ALERT": []}
    for n in open_notes(inbox, state):
        m = n.meta
        esc.setdefault(str(m.get("level")), []).append(
            {"id": n.id, "category": m.get("category"), "rule": m.get("rule"),
             "feature": m.get("feature"), "agent": m.get("agent"),
             "attempts": m.get("attempts"), "issue": m.get("issue"),
             "created": m.get("created"), "path": str(n.path)})
    counts = {s: sum(1 for w in waivers if w["state"] == s)
              for s in ("active", "expired", "unmatched")}
    return {"schema": SCHEMA, "today": today.isoformat(), "features": features,
            "escalations": esc, "waivers": waivers, "waiver_counts": counts,
            "uncommitted": uncommitted(repo, state),
            "inbox": str(inbox.root), "settings": {
                "tolerance": config.tolerance, "undershoot": config.undershoot,
                "halt_freeze": config.halt_freeze,
                "repeat_threshold": config.repeat_threshold}}


# ---------------------------------------------------------------- text

Seg: TypeAlias = "str | tuple[str, str]"  # plain text, or (text, ANSI code)


def _line(st: Style, *segs: Seg, width: int = WIDTH) -> str:
    """Join segments, cut the visible text at ``width`` columns, then colour it."""
    out, used = [], 0
    for seg in segs:
        text, code = (seg, "") if isinstance(seg, str) else seg
        room = width - used
        if room <= 0:
            break
        if len(text) > room:
            text = text[: max(0, room - 3)] + "..."
        used += len(text)
        out.append(st(text, code) if code else text)
    return "".join(out).rstrip()


def _wrapped(st: Style, text: str, indent: int, lines: int = 2) -> list[str]:
    """``text`` wrapped at 80 columns under an indent, at most ``lines`` lines."""
    pad = " " * indent
    got = textwrap.wrap(text, width=WIDTH, initial_indent=pad, subsequent_indent=pad,
                        break_on_hyphens=False) or [pad.rstrip()]
    if len(got) > lines:
        got = got[:lines]
        got[-1] = got[-1][: WIDTH - 3] + "..."
    return [_line(st, g) for g in got]


def bar(pct: int, width: int = BAR) -> str:
    """``[#####.....]``: the share of the estimate used, full beyond 100%."""
    filled = max(0, min(width, round(width * pct / 100)))
    return "[" + "#" * filled + "." * (width - filled) + "]"


_SCOPE_COLOR = {"over-limit": "31;1", "over-estimate": "33", "undershoot": "33", "ok": "32"}
_SCOPE_NOTE = {"over-limit": "  OVER LIMIT", "over-estimate": "  over estimate",
               "undershoot": "  under", "ok": ""}


def _feature_lines(st: Style, f: dict[str, Any], undershoot: float) -> list[str]:
    passes = f["passes"].get(f["phase"], 0)
    phase = f["phase"].upper() + (f" (pass {passes})" if passes > 1 else "")
    title = f"  {f['title']}" if f["title"] and f["title"] != f["id"] else ""
    out = [_line(st, (f["id"], "1"), "  ", (phase, "36"), title)]
    out.append(_line(st, "  paths:     ", ", ".join(f["paths"])))
    if f["skipped"]:
        out.append(_line(st, "  skipped:   ", ", ".join(f"{k} ({v})" for k, v in
                                                       f["skipped"].items())))
    for a in f["artifacts"]:
        mark: Seg = {"matches": ("unchanged", "32"),
                     "changed": ("CHANGED since approval", "33;1"),
                     "missing": ("missing on disk", "33")}[a["on_disk"]]
        out.append(_line(st, "  approved:  ", f"{a['kind']} {a['path']}  ", mark))
    sc = f["scope"]
    est = f"estimate {f['estimate']} lines" if f["estimate"] is not None else "no estimate"
    if sc is None:
        out.append(_line(st, f"  scope:     not started ({est}; counted from entering CODE)"))
    elif sc["state"] == "unknown":
        out.append(_line(st, f"  scope:     cannot count: baseline {str(sc['baseline'])[:12]} "
                             "or HEAD missing"))
    elif sc["state"] == "no-estimate":
        out.append(_line(st, f"  scope:     {sc['changed']} lines changed (no estimate)"))
    else:
        color = _SCOPE_COLOR[sc["state"]]
        note = _SCOPE_NOTE[sc["state"]]
        if sc["state"] == "undershoot":
            note += f" {round(undershoot * 100)}%"
        out.append(_line(st, "  scope:     ", (bar(sc["percent"]), color),
                         f" {sc['changed']}/{sc['estimate']} lines {sc['percent']}%,"
                         f" limit {sc['limit']}", (note, color)))
    if sc is not None and sc.get("waivers"):
        out.append(_line(st, "  waived:    scope-budget by ", ", ".join(sc["waivers"]),
                         ": over the limit does not block"))
    return out


def render(data: dict[str, Any], stream: IO[str]) -> str:
    """80-column text; colour only on a terminal and without NO_COLOR."""
    st = Style(stream)
    out: list[str] = []
    halts = data["escalations"].get("HALT", [])
    alerts = data["escalations"].get("ALERT", [])
    counts = data["waiver_counts"]
    out.append(_line(st, "pact-gatekeeper status: ", f"{len(data['features'])} feature(s), ",
                     (f"{len(halts)} HALT", "31;1" if halts else ""),
                     f" / {len(alerts)} ALERT open, {counts['active']} waiver(s) active"))
    unc = data.get("uncommitted")
    if unc:
        n = unc["ledger_events"]
        what = (f"{n} ledger event(s) not committed" if n else "changes not committed")
        out.extend(_wrapped(st, f"NOT COMMITTED: {what} in {', '.join(unc['paths'])}; the "
                                "hooks judge by the committed ledger, so commit them alone: "
                                "git commit -m 'ledger' --trailer 'PACT-Agent: orchestrator' "
                                "-- .pact", 0, lines=4))
    out.append("")
    if not data["features"]:
        out.append(_line(st, "no features declared: gatekeeper feature add ID --paths GLOB "
                             "--estimate N"))
    for f in data["features"]:
        out.extend(_feature_lines(st, f, data["settings"]["undershoot"]))
        out.append("")
    out.append(_line(st, "escalations: ", (f"{len(halts)} HALT", "31;1" if halts else ""),
                     f", {len(alerts)} ALERT open"))
    for level, items in (("HALT", halts), ("ALERT", alerts)):
        for e in items:
            out.append(_line(st, "  ", (f"{level:<5}", "31;1" if level == "HALT" else "33"),
                             f" {e['id']}  {e['category']}  {e['rule']}  "
                             f"{e['feature'] or '-'}  attempts {e['attempts']}"))
            out.extend(_wrapped(st, str(e["issue"]), 8))
    if halts or alerts:
        out.append(_line(st, "  see: gatekeeper escalations show ID; decide: gatekeeper "
                             "escalations resolve ID"))
    if data["waivers"]:
        out.append("")
        out.append(_line(st, f"waivers: {counts['active']} active, {counts['expired']} expired, "
                             f"{counts['unmatched']} no longer matching anything"))
        colors = {"active": "32", "expired": "33", "unmatched": "33"}
        for w in data["waivers"]:
            scope = " ".join(x for x in (w["feature"] and f"feature={w['feature']}",
                                         w["path"] and f"path={w['path']}") if x) or "everywhere"
            out.append(_line(st, f"  {w['id']:<5} {w['rule']}  ",
                             (w["state"], colors[w["state"]]), f": {w['why']}"))
            out.append(_line(st, f"        {scope}  by {w['by'] or 'unknown'}"))
            if w.get("covers"):
                out.append(_line(st, "        covers the scope budget of ",
                                 ", ".join(w["covers"])))
            out.extend(_wrapped(st, f"reason: {w['reason']}", 8))
    return "\n".join(out) + "\n"
