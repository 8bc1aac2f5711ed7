# gatekeeper/status.py: `gatekeeper status`: every feature's phase, artifacts, budget; escalations; waivers.
"""The orchestrator's dashboard, as data (``--format json``) and as 80-column text."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import IO, Any

from gatekeeper import git
from gatekeeper.context import load_worktree
from gatekeeper.escalations import Inbox, inbox_dir
from gatekeeper.globs import match_any, to_pathspecs
from gatekeeper.report import Style
from gatekeeper.rules.scope import budget


def _scope_lines(repo: git.Repo, baseline: str | None, paths: list[str]) -> int | None:
    base = baseline or git.EMPTY_TREE
    specs = sorted({s for p in paths for s in to_pathspecs(p)})
    try:
        out = git.run(["diff", "--numstat", "-z", "--no-renames", "--no-ext-diff", "--no-textconv",
                       base, "HEAD", "--", *specs], repo.cwd)
    except Exception:
        return None
    total = 0
    for token in out.split(b"\0"):
        parts = token.strip(b"\n").split(b"\t", 2)
        if len(parts) == 3 and match_any(paths, parts[2].decode("utf-8", "surrogateescape")):
            total += sum(0 if x == b"-" else int(x) for x in parts[:2])
    return total


def collect(repo: git.Repo) -> dict[str, Any]:
    """Everything ``status`` shows, as JSON-safe data."""
    ctx = load_worktree(repo)
    state, config = ctx.state, ctx.config
    today = dt.date.today()
    features = []
    for f in state.features.values():
        arts = []
        for a in f.artifacts.values():
            p = (repo.top / a.path) if repo.top else None
            if p is None or not p.is_file():
                disk = "missing"
            else:
                disk = "matches" if hashlib.sha256(p.read_bytes()).hexdigest() == a.sha256 \
                    else "changed"
            arts.append({"kind": a.kind, "path": a.path, "sha256": a.sha256, "on_disk": disk})
        scope: dict[str, Any] | None = None
        if f.in_code or f.phase == "done":
            changed = _scope_lines(repo, f.baseline, f.paths)
            if changed is not None and f.estimate:
                pct, limit = budget(f, changed, config.tolerance)
                scope = {"changed": changed, "estimate": f.estimate, "percent": pct,
                         "limit": limit, "over": changed > limit}
            elif changed is not None:
                scope = {"changed": changed, "estimate": f.estimate, "percent": None,
                         "limit": None, "over": False}
        features.append({
            "id": f.id, "title": f.title, "phase": f.phase or "declared", "paths": f.paths,
            "estimate": f.estimate, "baseline": f.baseline, "skipped": f.skipped,
            "artifacts": arts, "scope": scope, "passes": f.passes,
        })
    inbox = Inbox(inbox_dir(repo, config.inbox))
    open_notes = [n for n in inbox.notes() if n.status == "open"
                  and n.id not in state.resolutions]
    esc = {"HALT": [], "ALERT": []}  # type: dict[str, list[dict[str, Any]]]
    for n in open_notes:
        esc.setdefault(str(n.meta.get("level")), []).append(
            {"id": n.id, "rule": n.meta.get("rule"), "feature": n.meta.get("feature"),
             "attempts": n.meta.get("attempts"), "issue": n.meta.get("issue")})
    waivers = []
    for w in state.waivers:
        if not w.active(today):
            wstate = "expired"
        elif w.feature and w.feature not in state.features:
            wstate = "unmatched"
        else:
            wstate = "active"
        waivers.append({"id": w.id, "rule": w.rule, "feature": w.feature, "path": w.path,
                        "expires": w.expires, "reason": w.reason, "by": w.by, "state": wstate})
    return {"schema": "pact-gatekeeper/status@1", "features": features, "escalations": esc,
            "waivers": waivers, "inbox": str(inbox.root)}


def _bar(pct: int, width: int = 20) -> str:
    filled = min(width, round(width * pct / 100))
    return "[" + "#" * filled + "." * (width - filled) + "]"


def render(data: dict[str, Any], stream: IO[str]) -> str:
    """80-column text; colour only on a terminal and without NO_COLOR."""
    st = Style(stream)
    out: list[str] = []
    if not data["features"]:
        out.append("no features declared: gatekeeper feature add ID --paths GLOB --estimate N")
    for f in data["features"]:
        out.append(st(f"{f['id']}", "1") + f"  {f['phase'].upper()}  {f['title']}"[:74])
        out.append(f"  paths: {', '.join(f['paths'])}"[:80])
        for a in f["artifacts"]:
            mark = {"matches": "ok", "changed": st("CHANGED since approval", "33"),
                    "missing": "not on disk"}[a["on_disk"]]
            out.append(f"  {a['kind']}: {a['path']} ({mark})"[:80 + 20])
        sc = f["scope"]
        if sc and sc["percent"] is not None:
            color = "31" if sc["over"] else ("33" if sc["percent"] > 100 else "32")
            out.append(f"  scope: {st(_bar(sc['percent']), color)} {sc['changed']}/"
                       f"{sc['estimate']} lines ({sc['percent']}%, limit {sc['limit']})")
        elif sc:
            out.append(f"  scope: {sc['changed']} lines changed (no estimate)")
    halts, alerts = data["escalations"].get("HALT", []), data["escalations"].get("ALERT", [])
    out.append("")
    out.append(f"escalations: {len(halts)} HALT, {len(alerts)} ALERT open")
    for level, items in (("HALT", halts), ("ALERT", alerts)):
        for e in items:
            out.append(f"  {st(level, '31;1' if level == 'HALT' else '33')} {e['id']} "
                       f"{e['rule']} {e['feature'] or '-'} x{e['attempts']}"[:80 + 20])
    if data["waivers"]:
        out.append("")
        out.append("waivers:")
        for w in data["waivers"]:
            scope = " ".join(x for x in (w["feature"] and f"feature={w['feature']}",
                                         w["path"] and f"path={w['path']}",
                                         w["expires"] and f"expires={w['expires']}") if x)
            out.append(f"  {w['id']} {w['rule']} {w['state']} {scope}"[:80])
    return "\n".join(out) + "\n"
