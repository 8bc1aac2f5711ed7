# gatekeeper/explain.py: `gatekeeper policy list|explain` and `check --explain`: what each rule does and why.
"""Rule documentation from the policy data itself, after config overrides."""

from __future__ import annotations

import argparse
import sys

from gatekeeper import git
from gatekeeper.errors import Exit, GatekeeperError
from gatekeeper.policy import Rule
from gatekeeper.report import Report, dump_json


def _rules(repo: git.Repo) -> list[Rule]:
    from gatekeeper.context import load_at, load_worktree

    if repo.top is not None:
        return load_worktree(repo).rules
    with git.CatFile(repo) as cat:
        head = cat.info("HEAD")
        return load_at(repo, cat, head[0] if head else None).rules


def rule_json(r: Rule) -> dict[str, object]:
    """A rule as plain data."""
    sel = r.selectors
    return {
        "id": r.id, "title": r.title, "check": r.check, "level": r.level,
        "category": r.category, "action": r.action, "enforces": r.enforces,
        "selectors": {"paths": list(sel.paths), "exclude_paths": list(sel.exclude_paths),
                      "roles": list(sel.roles), "phases": list(sel.phases),
                      "classes": list(sel.classes)},
        "params": r.params, "message": r.message, "remedy": r.remedy, "impact": r.impact,
        "example": r.example, "pack": r.pack, "source": r.source,
        "overridden_by": r.overridden_by or None,
    }


def explain_rule(r: Rule) -> str:
    """A readable explanation of one rule."""
    sel = r.selectors
    lines = [
        f"{r.id}: {r.title}",
        f"  level/category: {r.level} {r.category}",
        f"  action:         {r.action}" + (f" (overridden by {r.overridden_by})"
                                           if r.overridden_by else ""),
        f"  check kind:     {r.check}",
        f"  pack:           {r.pack} ({r.source})",
        f"  enforces:       {r.enforces or '-'}",
        f"  paths:          {', '.join(sel.paths)}"
        + (f" except {', '.join(sel.exclude_paths)}" if sel.exclude_paths else ""),
        f"  roles:          {', '.join(sel.roles) or 'every role'}",
        f"  phases:         {', '.join(sel.phases) or 'any phase'}",
    ]
    if sel.classes:
        lines.append(f"  path classes:   {', '.join(sel.classes)}")
    if r.params:
        lines.append("  params:")
        for k, v in r.params.items():
            text = str(v)
            lines.append(f"    {k}: {text if len(text) < 160 else text[:157] + '...'}")
    if r.impact:
        lines.append(f"  impact:         {r.impact}")
    if r.example.get("violation"):
        lines.append(f"  example:        {r.example['violation']}")
    if r.example.get("fix"):
        lines.append(f"  fix:            {r.example['fix']}")
    return "\n".join(lines)


def policy_command(repo: git.Repo, args: argparse.Namespace) -> int:
    """``policy list`` and ``policy explain RULE``."""
    rules = _rules(repo)
    fmt = getattr(args, "format", "text")
    if getattr(args, "policy_cmd", None) == "explain":
        match = [r for r in rules if r.id == args.rule]
        if not match:
            raise GatekeeperError(f"no rule {args.rule!r}; rules: {', '.join(r.id for r in rules)}")
        out = dump_json(rule_json(match[0])) if fmt == "json" else explain_rule(match[0]) + "\n"
        sys.stdout.write(out)
        return Exit.OK
    if fmt == "json":
        sys.stdout.write(dump_json({"rules": [rule_json(r) for r in rules]}))
        return Exit.OK
    sys.stdout.write(f"{'RULE':<22} {'ACTION':<6} {'LEVEL':<5} {'CATEGORY':<10} {'PACK':<13} TITLE\n")
    for r in rules:
        sys.stdout.write(f"{r.id:<22} {r.action:<6} {r.level:<5} {r.category:<10} "
                         f"{r.pack:<13} {r.title}\n")
    return Exit.OK


def explain_report(report: Report) -> str:
    """For ``check --explain``: each rule and why it passed, failed or did not apply."""
    by_rule: dict[str, list[str]] = {}
    for f in report.findings:
        state = "waived" if f.waiver else ("FAILED" if f.action == "block" else "warned")
        by_rule.setdefault(f.rule, []).append(f"{state}: {f.message}")
    lines = []
    for r in report.rules:
        if r.action == "off":
            lines.append(f"  {r.id:<22} off      (disabled by config)")
        elif r.id in by_rule:
            for item in by_rule[r.id]:
                state, _, msg = item.partition(": ")
                lines.append(f"  {r.id:<22} {state:<8} {msg}")
        else:
            lines.append(f"  {r.id:<22} passed   {_why_passed(r)}")
    return "rules:\n" + "\n".join(lines) + "\n"


def _why_passed(r: Rule) -> str:
    reasons = {
        "phase_gate": "no code changed in a feature outside CODE/TEST",
        "unplanned_work": "all changed code belongs to a declared feature (or none is declared)",
        "domain_boundary": "every path is in the agent's domain (or no agent is known)",
        "scope_budget": "every touched feature is within its estimate",
        "ledger_integrity": "the ledger, config and policies are unchanged or validly appended",
        "agent_identity": "the PACT-Agent is present and consistent",
        "halt_freeze": "no open HALT on a touched feature",
        "protected_ref": "no protected ref updated (server only)",
    }
    return reasons.get(r.check, "nothing in the added lines matched")
