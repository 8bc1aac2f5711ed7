# gatekeeper/explain.py: `policy list|explain` and `check --explain`: what each rule does and why.
"""Rule documentation from the policy data itself, after config overrides: what a rule
enforces and where PACT says so, what it looks at, what it does now, and an example of a
violation and of its fix. For ``check --explain``, each rule's outcome on this change:
failed, warned, waived, passed (and why), or did not apply (and why).
"""

from __future__ import annotations

import argparse
import difflib
import sys
import textwrap
from collections.abc import Callable

from gatekeeper import git
from gatekeeper.errors import Exit, GatekeeperError
from gatekeeper.globs import match_any
from gatekeeper.policy import Rule
from gatekeeper.record import dataclass, field
from gatekeeper.report import Report, dump_json

WIDTH = 80


def _rules(repo: git.Repo) -> list[Rule]:
    from gatekeeper.context import load_at, load_worktree

    if repo.top is not None:
        return load_worktree(repo).rules
    with git.CatFile(repo) as cat:
        head = cat.info("HEAD")
        return load_at(repo, cat, head[0] if head else None).rules


def pack_default(r: Rule) -> Rule | None:
    """The rule as its bundled pack defines it, before project policies and config."""
    from gatekeeper.policy import bundled_files, parse_pack

    path = bundled_files().get(r.pack)
    if path is None:
        return None
    for base in parse_pack(path.read_text(encoding="utf-8"), f"policies/{path.name}"):
        if base.id == r.id:
            return base
    return None


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


def _para(label: str, text: str, indent: int = 2) -> list[str]:
    """``label`` on its own line, then ``text`` wrapped to 80 columns below it."""
    head = " " * indent + label
    if not text:
        return [head + " -"]
    pad = " " * (indent + 2)
    return [head, *textwrap.wrap(text, width=WIDTH, initial_indent=pad, subsequent_indent=pad,
                                 break_on_hyphens=False)]


def _field(label: str, text: str) -> list[str]:
    """``  label  text`` on one line when it fits, wrapped with a hanging indent otherwise."""
    head = f"  {label:<10}"
    return textwrap.wrap(text or "-", width=WIDTH, initial_indent=head,
                         subsequent_indent=" " * len(head), break_on_hyphens=False)


def _param_text(v: object) -> str:
    """A parameter for reading: mappings as ``key -> value``, lists comma-separated."""
    if isinstance(v, dict):
        return "; ".join(f"{k} -> {_param_text(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return ", ".join(_param_text(x) for x in v) if v else "(none)"
    return str(v)


def explain_rule(r: Rule) -> str:
    """A readable explanation of one rule, in 80 columns."""
    sel = r.selectors
    lines = [f"{r.id}: {r.title}"[:WIDTH], ""]
    lines += _para("What it enforces (PACT source):", r.enforces)
    lines.append("")
    action = r.action
    if r.overridden_by:
        base = pack_default(r)
        was = f"; pack default {base.action}" if base is not None and base.action != r.action \
            else ""
        action += f" (set by {r.overridden_by}{was})"
    lines += _field("action", action)
    lines += _field("level", f"{r.level} {r.category}")
    lines += _field("check", f"{r.check} (pack {r.pack}, {r.source})")
    paths = ", ".join(sel.paths) + (f"; except {', '.join(sel.exclude_paths)}"
                                    if sel.exclude_paths else "")
    lines += _field("paths", paths)
    lines += _field("classes", ", ".join(sel.classes) or "any path class")
    lines += _field("roles", ", ".join(sel.roles) or "every role")
    lines += _field("phases", ", ".join(sel.phases) or "any phase")
    for k, v in r.params.items():
        lines += _field(f"{k}" if len(k) < 10 else k[:9] + ".", _param_text(v))
    lines.append("")
    lines += _para("Message:", r.message)
    lines += _para("How to get unblocked:", r.remedy)
    if r.impact:
        lines += _para("Impact:", r.impact)
    lines.append("")
    lines += _para("Example violation:", r.example.get("violation", ""))
    lines += _para("Example fix:", r.example.get("fix", ""))
    return "\n".join(lines)


def list_rules(rules: list[Rule]) -> str:
    """The ``policy list`` table, in 80 columns; ``*`` marks a changed action."""
    out = [f"{'RULE':<21} {'ACTION':<7} {'LEVEL':<5} {'CATEGORY':<10} TITLE"]
    changed = False
    for r in rules:
        mark = ""
        if r.overridden_by:
            base = pack_default(r)
            if base is None or base.action != r.action:
                mark, changed = "*", True
        head = f"{r.id:<21} {r.action + mark:<7} {r.level:<5} {r.category:<10} "
        out.append(head + textwrap.shorten(r.title, width=max(12, WIDTH - len(head)),
                                           placeholder="..."))
    if changed:
        out.append("* action changed by the project's config or policies")
    out.append("details: gatekeeper policy explain RULE")
    return "\n".join(out) + "\n"


def policy_command(repo: git.Repo, args: argparse.Namespace) -> int:
    """``policy list`` and ``policy explain RULE``."""
    rules = _rules(repo)
    fmt = getattr(args, "format", "text")
    if getattr(args, "policy_cmd", None) == "explain":
        match = [r for r in rules if r.id == args.rule]
        if not match:
            near = difflib.get_close_matches(args.rule, [r.id for r in rules], n=3)
            hint = f"; did you mean {' or '.join(near)}?" if near else \
                "; see 'gatekeeper policy list'"
            raise GatekeeperError(f"no rule {args.rule!r}{hint}")
        out = dump_json(rule_json(match[0])) if fmt == "json" else explain_rule(match[0]) + "\n"
        sys.stdout.write(out)
        return Exit.OK
    if fmt == "json":
        sys.stdout.write(dump_json({"rules": [rule_json(r) for r in rules]}))
        return Exit.OK
    sys.stdout.write(list_rules(rules))
    return Exit.OK


# ---------------------------------------------------------------- check --explain


@dataclass
class Facts:
    """What ``check --explain`` needs besides the report to say why a rule did not apply."""

    paths: list[str] = field(default_factory=list)
    path_class: Callable[[str], str] | None = None
    agent: str | None = None
    halt_freeze: bool = True


def facts_for_check(repo: git.Repo, args: argparse.Namespace) -> Facts:
    """The changed paths, path classes, agent and settings of the check ``args`` describe.

    One extra ``git`` call, only when ``--explain`` is asked for.
    """
    from gatekeeper.context import load_at
    from gatekeeper.trailers import parse_block, staged_block

    rng, rev = getattr(args, "range", None), getattr(args, "commit", None)
    if rng:
        base, _, tip = rng.partition("..")
        tip = tip.lstrip(".") or "HEAD"
        cmd = ["log", "--format=", "--name-only", "-z", "-m", tip] + ([f"^{base}"] if base
                                                                     else [])
    elif rev:
        cmd = ["diff-tree", "--no-commit-id", "--name-only", "-r", "-z", "--root", "-m", rev]
    else:
        cmd = ["diff", "--cached", "--name-only", "-z", "--no-renames"]
    try:
        out = git.run(cmd, repo.cwd)
    except GatekeeperError:
        out = b""
    paths = sorted({p.strip("\n") for p in out.decode("utf-8", "surrogateescape").split("\0")
                    if p.strip("\n")})
    agent = getattr(args, "agent", None)
    msg_file = getattr(args, "message_file", None)
    if agent is None and msg_file is not None:
        try:
            text = msg_file.read_text(encoding="utf-8", errors="replace")
            agent = parse_block(staged_block(repo.cwd, text)).get("pact-agent")  # as git reads it
        except OSError:
            agent = None
    if agent is None:
        import os

        agent = os.environ.get("PACT_AGENT") or None
    with git.CatFile(repo) as cat:
        head = cat.info("HEAD")
        try:
            ctx = load_at(repo, cat, head[0] if head else None)
        except GatekeeperError:
            return Facts(paths=paths, agent=agent)
    from gatekeeper.config import normalize_role

    return Facts(paths=paths, path_class=ctx.config.path_class,
                 agent=normalize_role(agent) if agent else None,
                 halt_freeze=ctx.config.halt_freeze)


_PASSED = {
    "phase_gate": "no code changed in a feature outside CODE/TEST",
    "unplanned_work": "all changed code belongs to a declared feature (or none is declared)",
    "domain_boundary": "every path is in the agent's domain (or no agent is known)",
    "scope_budget": "every touched feature in CODE/TEST is within its estimate",
    "ledger_integrity": "the ledger, config and policies are unchanged or validly appended",
    "agent_identity": "the PACT-Agent is present and consistent",
    "halt_freeze": "no open HALT on a touched feature",
    "protected_ref": "no protected ref updated",
}


def _not_applicable(r: Rule, report: Report, facts: Facts | None) -> str | None:
    """Why rule ``r`` did not look at this change at all, or None when it did."""
    if r.action == "off":
        return f"disabled (action off, {r.overridden_by or r.source})"
    if r.check == "protected_ref" and report.where != "server":
        return "server only: judges ref updates in pre-receive"
    if facts is None:
        return None
    if r.check == "halt_freeze" and not facts.halt_freeze:
        return "[escalations] halt_freeze = false in the config"
    sel = r.selectors
    if sel.roles and facts.agent not in sel.roles:
        return f"only for {', '.join(sel.roles)}; the agent is {facts.agent or 'unknown'}"
    if not facts.paths:
        return "nothing changed"
    # Some check kinds narrow by path class through a parameter rather than a selector.
    classes = tuple(sel.classes) or tuple(r.params.get("classes") or ())
    picked = [p for p in facts.paths
              if (sel.paths == ("**",) or match_any(sel.paths, p))
              and not (sel.exclude_paths and match_any(sel.exclude_paths, p))
              and not (classes and facts.path_class is not None
                       and facts.path_class(p) not in classes)]
    if not picked:
        what = [f"paths {', '.join(sel.paths)}"] if sel.paths != ("**",) else []
        if classes:
            what.append(f"classes {', '.join(classes)}")
        return "no changed path is in its scope" + (f" ({'; '.join(what)})" if what else "")
    return None


def explain_report(report: Report, facts: Facts | None = None) -> str:
    """For ``check --explain``: each rule and why it failed, passed or did not apply.

    Without ``facts`` (the changed paths and the agent), only what the report itself
    shows decides "did not apply": a disabled rule, a server-only rule on a client.
    """
    by_rule: dict[str, list[tuple[str, str]]] = {}
    for f in report.findings:
        state = ("waived" if f.waiver else "FAILED" if f.action == "block" else "warned")
        text = f.message + (f" (waiver {f.waiver})" if f.waiver else "")
        by_rule.setdefault(f.rule, []).append((state, text))
    pad = " " * 33
    lines: list[str] = []
    for r in report.rules:
        if r.id in by_rule:
            items = by_rule[r.id]
        else:
            why = _not_applicable(r, report, facts)
            items = [("n/a", why)] if why else [("passed", _PASSED.get(
                r.check, "nothing in the added lines matched"))]
        for state, text in items:
            lines += textwrap.wrap(text, width=WIDTH, initial_indent=f"  {r.id:<22} {state:<8} ",
                                   subsequent_indent=pad, break_on_hyphens=False) or [
                f"  {r.id:<22} {state}"]
    return "rules:\n" + "\n".join(lines) + "\n"
