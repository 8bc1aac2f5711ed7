# gatekeeper/sarif.py: a check's Report as SARIF 2.1.0 that GitHub code scanning accepts.
"""SARIF output. Rendering only, off the hook path (``check --format sarif`` and the CI
adapter). GitHub's ingestion rules shape it beyond the schema:

- every result has a physical location (GitHub rejects the whole upload otherwise): the
  finding's path, else the first path its commit changed, else ``.pact/ledger.yaml``;
- rules carry rendered help (text and Markdown, never a raw ``{template}``) and a helpUri;
- HALT SECURITY / HALT DATA rules carry ``security-severity`` and ``security`` tags;
- waived findings are results at level ``note`` with a ``suppressions`` entry;
- ``partialFingerprints`` come from the finding's fingerprint (rule, feature, agent,
  evidence), so the same problem keeps its identity across runs and commits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from gatekeeper import __version__

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any

    from gatekeeper import git
    from gatekeeper.engine import Finding
    from gatekeeper.policy import Rule
    from gatekeeper.report import Report

#: Where the rules are documented (the README's "Rules" section).
DOCS_URL = "https://github.com/your-org/pact-gatekeeper#rules"
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
#: The location of a result that has nothing better: the file that decided it.
FALLBACK_PATH = ".pact/ledger.yaml"
#: GitHub's scale: 9.0+ critical, 7.0-8.9 high, 4.0-6.9 medium.
SECURITY_SEVERITY = {("HALT", "SECURITY"): "9.0", ("HALT", "DATA"): "8.0"}
#: GitHub code scanning rejects a run with more results than this.
MAX_RESULTS = 25_000
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")

#: Commit label -> the first path it changed (None when it changed nothing).
PathLookup = Callable[[list[str]], dict[str, str | None]]


def _severity(level: str, category: str) -> str | None:
    return SECURITY_SEVERITY.get((level, category))


def _tags(level: str, category: str) -> list[str]:
    tags = ["pact", f"pact-{level.lower()}", category.lower()]
    if (level, category) in SECURITY_SEVERITY:
        tags.insert(0, "security")
    return list(dict.fromkeys(tags))  # SARIF tags are unique


def _plain(text: str) -> str:
    """A template with nothing left to fill, or '' (a rule's text before a finding fills it)."""
    return "" if _PLACEHOLDER.search(text) else text.strip()


def rule_help(rule: Rule) -> tuple[str, str]:
    """(text, markdown) help for a rule: what it enforces, its example, where to read more.

    Remedy templates are filled in per finding (each result's message ends with its own
    remedy), so a template still holding ``{placeholders}`` is left out here.
    """
    text: list[str] = [rule.title + "."]
    md: list[str] = [f"**{rule.title}** (`{rule.id}`, {rule.level} {rule.category}, "
                     f"default action `{rule.action}`)"]
    if rule.enforces:
        text.append(f"Enforces: {rule.enforces}")
        md.append(f"Enforces: {rule.enforces}")
    remedy = _plain(rule.remedy)
    if remedy:
        text.append(f"How to get unblocked: {remedy}")
        md.append(f"How to get unblocked: {remedy}")
    else:
        text.append("How to get unblocked: each result's message ends with the exact remedy "
                    "for that case.")
        md.append("How to get unblocked: each result's message ends with the exact remedy "
                  "for that case.")
    ex = rule.example or {}
    if ex.get("violation"):
        text.append(f"Example violation: {ex['violation']}")
        md.append(f"Example violation: {ex['violation']}")
    if ex.get("fix"):
        text.append(f"Example fix: {ex['fix']}")
        md.append(f"Example fix:\n\n```sh\n{ex['fix']}\n```")
    text.append(f"Details: gatekeeper policy explain {rule.id}")
    md.append(f"Details: `gatekeeper policy explain {rule.id}`, or the [rules table]({DOCS_URL}).")
    return "\n".join(text), "\n\n".join(md)


def _rule_entry(rule: Rule, findings: list[Finding]) -> dict[str, Any]:
    # A rule's findings may be raised above its default (ledger-integrity by a non-
    # orchestrator, agent-identity spoofing are HALT SECURITY): the worst one counts.
    levels = [(rule.level, rule.category)] + [(f.level, f.category) for f in findings]
    sev = max((float(s) for s in (_severity(*lc) for lc in levels) if s), default=None)
    tags = sorted({t for lc in levels for t in _tags(*lc)})
    text, markdown = rule_help(rule)
    props: dict[str, Any] = {"tags": tags, "pactLevel": rule.level,
                             "pactCategory": rule.category, "pack": rule.pack}
    if sev is not None:
        props["security-severity"] = f"{sev:.1f}"
        props["precision"] = "high"
        props["problem.severity"] = "error"
    return {
        "id": rule.id, "name": "".join(w.capitalize() for w in rule.id.split("-")),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.enforces or rule.title},
        "help": {"text": text, "markdown": markdown},
        "helpUri": DOCS_URL,
        "defaultConfiguration": {"level": "error" if rule.action == "block" else "warning"},
        "properties": props,
    }


def _bare_rule(rule_id: str, f: Finding) -> dict[str, Any]:
    """A descriptor for a finding whose rule is not in the report (inbox escalations)."""
    props: dict[str, Any] = {"tags": _tags(f.level, f.category), "pactLevel": f.level,
                             "pactCategory": f.category}
    sev = _severity(f.level, f.category)
    if sev:
        props["security-severity"] = sev
    return {"id": rule_id, "name": "".join(w.capitalize() for w in rule_id.split("-")),
            "shortDescription": {"text": f.title or rule_id},
            "help": {"text": f"{f.title or rule_id}. Details: gatekeeper policy explain {rule_id}",
                     "markdown": f"**{f.title or rule_id}**: `gatekeeper policy explain {rule_id}`"},
            "helpUri": DOCS_URL, "properties": props}


def _uri(path: str) -> str:
    """A repository-relative path as a URI reference (spaces, '#', '%' escaped)."""
    from urllib.parse import quote

    return quote(path.lstrip("/"), safe="/@:+,;=!$&'()*~")


def _result(f: Finding, index: int, first_paths: dict[str, str | None]) -> dict[str, Any]:
    path = f.paths[0] if f.paths else first_paths.get(f.commit) or FALLBACK_PATH
    loc: dict[str, Any] = {"artifactLocation": {"uri": _uri(path), "uriBaseId": "%SRCROOT%"}}
    if f.line and f.paths:
        loc["region"] = {"startLine": f.line}
    level = "note" if f.waiver else ("error" if f.action == "block" else "warning")
    message = f.message + (f" Remedy: {f.remedy}" if f.remedy and not f.waiver else "")
    if f.waiver:
        message += f" (waived by {f.waiver})"
    props: dict[str, Any] = {"pactLevel": f.level, "pactCategory": f.category,
                             "action": f.action, "commit": f.commit, "feature": f.feature,
                             "agent": f.agent, "paths": f.paths,
                             "tags": _tags(f.level, f.category)}
    sev = _severity(f.level, f.category)
    if sev:
        props["security-severity"] = sev
    if f.escalation:
        props["escalation"] = f.escalation
    res: dict[str, Any] = {
        "ruleId": f.rule, "ruleIndex": index, "level": level,
        "message": {"text": message},
        "locations": [{"physicalLocation": loc}],
        "partialFingerprints": {"pactFingerprint/v1": f.fingerprint},
        "properties": props,
    }
    if f.waiver:
        res["suppressions"] = [{"kind": "external", "status": "accepted",
                                "justification": f"waiver {f.waiver} in .pact/ledger.yaml"}]
    return res


def first_changed_paths(repo: git.Repo, labels: Iterable[str]) -> dict[str, str | None]:
    """Commit label -> the first path the commit changed against its first parent (one
    ``git log`` for all of them); ``staged`` -> the first staged path."""
    from gatekeeper import git
    from gatekeeper.errors import GitError

    out: dict[str, str | None] = {}
    wanted = set(labels)
    commits = sorted(c for c in wanted if c and c != "staged")
    if "staged" in wanted:
        try:
            staged = git.run(["diff", "--cached", "--name-only", "-z", "--no-renames"], repo.cwd)
            first = staged.split(b"\0")[0].decode("utf-8", "surrogateescape")
            out["staged"] = first or None
        except GitError:
            out["staged"] = None
    if not commits:
        return out
    try:
        raw = git.run(["log", "--no-walk=unsorted", "--format=%x01%h%x02%H", "--abbrev=12",
                       "--name-only", "-z", "--no-renames", "--diff-merges=first-parent",
                       *commits, "--"], repo.cwd)
    except GitError:
        return out
    for chunk in raw.decode("utf-8", "surrogateescape").split("\x01")[1:]:
        head, _, rest = chunk.partition("\x02")
        full, _, names = rest.partition("\n")
        paths = [p for p in names.replace("\n", "\0").split("\0") if p]
        for key in (head, full[:12]):
            out.setdefault(key, paths[0] if paths else None)
    return out


def to_sarif(report: Report, repo: git.Repo | None = None, *,
             paths_of: PathLookup | None = None,
             automation_id: str | None = None, notes: list[str] | None = None,
             ) -> dict[str, Any]:
    """SARIF 2.1.0 for code-scanning dashboards (GitHub, GitLab, VS Code's viewer).

    ``repo`` (or ``paths_of``) locates findings that name no path, through the first path
    their commit changed; without either they point at ``.pact/ledger.yaml``.
    """
    findings = report.active + report.waived
    need = [f.commit for f in findings if not f.paths]
    first: dict[str, str | None] = {}
    if need:
        if paths_of is not None:
            first = paths_of(need)
        elif repo is not None:
            first = first_changed_paths(repo, need)
    by_id = {r.id: r for r in report.rules}
    order: list[str] = []
    for f in findings:
        if f.rule not in order:
            order.append(f.rule)
    rules = []
    for rid in order:
        mine = [f for f in findings if f.rule == rid]
        rules.append(_rule_entry(by_id[rid], mine) if rid in by_id else _bare_rule(rid, mine[0]))
    index = {rid: i for i, rid in enumerate(order)}
    results = [_result(f, index[f.rule], first) for f in findings]
    extra = list(notes or [])
    if len(results) > MAX_RESULTS:
        # Keep what blocks first: a truncated upload beats a rejected one.
        rank = {"error": 0, "warning": 1, "note": 2}
        results.sort(key=lambda r: rank.get(r["level"], 3))
        extra.append(f"{len(results) - MAX_RESULTS} result(s) left out: GitHub code scanning "
                     f"accepts at most {MAX_RESULTS:,} per run (the text and JSON reports "
                     "have them all)")
        del results[MAX_RESULTS:]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "pact-gatekeeper", "version": __version__,
                            "semanticVersion": __version__, "informationUri": DOCS_URL,
                            "rules": rules}},
        "originalUriBaseIds": {"%SRCROOT%": {"description": {
            "text": "The root of the repository's working tree."}}},
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {"verdict": report.verdict, "commits": report.commits,
                       "where": report.where, "notices": [*report.notices, *extra]},
    }
    if automation_id:
        run["automationDetails"] = {"id": automation_id}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
