# gatekeeper/adapters/claude_tools.py: the Claude Code adapter's handlers: writes, Bash, and the inbox events.
"""Handlers behind :mod:`gatekeeper.adapters.claude`, imported only for the events that need
them. Each returns the JSON answer to print, or '' for no output (a pass)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from gatekeeper import git
from gatekeeper.adapters import shell
from gatekeeper.adapters.claude import (
    HOOK_BYPASS,
    MAX_CONTEXT_LINES,
    MAX_LINE_CHARS,
    Undecided,
    acting_role,
    deny,
    rewrite,
)
from gatekeeper.adapters.proposed import LABEL, Judged, OutsideRepository, judge, locate, read_disk
from gatekeeper.checker import Options
from gatekeeper.context import Context, inbox_dir
from gatekeeper.engine import Finding, fingerprint, render
from gatekeeper.errors import GitError, NotARepository
from gatekeeper.identity import Identity
from gatekeeper.report import Report

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any

#: Rules a shell write is judged by: those that need only the path.
SHELL_RULES = {"domain-boundary", "phase-gate", "ledger-integrity", "halt-freeze"}


def _identity(event: dict[str, Any], state: dict[str, Any]) -> Any:
    agent_type = event.get("agent_type")
    agent_type = agent_type if isinstance(agent_type, str) else None

    def identity_for(ctx: Context) -> tuple[Identity, list[str] | None]:
        state["fail_open"] = ctx.config.claude.fail_open
        role, confine = acting_role(agent_type, ctx.config.claude)
        state["role"] = role
        return Identity(agent=role, source="claude"), confine

    return identity_for


def _cwd(event: dict[str, Any]) -> str:
    cwd = event.get("cwd")
    return cwd if isinstance(cwd, str) and cwd else os.getcwd()


# ------------------------------------------------------------------ writes


def _edited(text: str | None, old: Any, new: Any, replace_all: Any) -> str | None:
    """``text`` with one Edit applied, or None when the Edit cannot apply (the tool fails)."""
    if not isinstance(old, str) or not isinstance(new, str):
        raise Undecided("Edit: old_string and new_string must be strings")
    if text is None:
        return new if old == "" else None  # an Edit with an empty old_string creates the file
    if old == "" or old not in text:
        return None
    return text.replace(old, new) if replace_all is True else text.replace(old, new, 1)


def _notebook(text: str | None, ti: dict[str, Any]) -> str | None:
    """The notebook's JSON text after a NotebookEdit (nbformat's layout: indent 1, sorted)."""
    import json

    try:
        nb = json.loads(text) if text else {"cells": [], "metadata": {}, "nbformat": 4,
                                            "nbformat_minor": 5}
    except ValueError:
        return None  # not a notebook: the tool will fail
    cells = nb.get("cells")
    if not isinstance(cells, list):
        return None
    mode = ti.get("edit_mode") or "replace"
    cell_id = ti.get("cell_id")
    index = next((i for i, c in enumerate(cells)
                  if isinstance(c, dict) and cell_id is not None and c.get("id") == cell_id), None)
    if index is None and isinstance(cell_id, str) and cell_id.isdigit():
        index = int(cell_id)
    source = ti.get("new_source")
    source = source if isinstance(source, str) else ""
    lines = [ln for ln in re.split(r"(?<=\n)", source) if ln]
    if mode == "insert":
        cell: dict[str, Any] = {"cell_type": ti.get("cell_type") or "code", "metadata": {}, "source": lines}
        if cell["cell_type"] == "code":
            cell.update(execution_count=None, outputs=[])
        cells.insert(0 if index is None else index + 1, cell)
    elif index is None or index >= len(cells):
        return None
    elif mode == "delete":
        cells.pop(index)
    else:
        cells[index]["source"] = lines
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def proposed_text(tool: str, ti: dict[str, Any], current: str | None) -> str | None:
    """The file's content after the tool runs, or None when the tool would fail."""
    if tool == "Write":
        content = ti.get("content")
        if not isinstance(content, str):
            raise Undecided("Write: tool_input.content is not a string")
        return content
    if tool == "Edit":
        return _edited(current, ti.get("old_string"), ti.get("new_string"), ti.get("replace_all"))
    if tool == "MultiEdit":
        edits = ti.get("edits")
        if not isinstance(edits, list):
            raise Undecided("MultiEdit: tool_input.edits is not a list")
        text = current
        for e in edits:
            if not isinstance(e, dict):
                raise Undecided("MultiEdit: an edit is not an object")
            text = _edited(text, e.get("old_string"), e.get("new_string"), e.get("replace_all"))
            if text is None:
                return None
        return text
    return _notebook(current, ti)


def write(event: dict[str, Any], tool: str, ti: dict[str, Any], state: dict[str, Any]) -> str:
    """PreToolUse for Write, Edit, MultiEdit and NotebookEdit."""
    key = "notebook_path" if tool == "NotebookEdit" else "file_path"
    path = ti.get(key)
    if not isinstance(path, str) or not path:
        raise Undecided(f"{tool}: tool_input.{key} is missing")
    try:
        target = locate(path, _cwd(event))
    except (OutsideRepository, NotARepository):
        return ""  # not in a repository: no ledger governs it
    identity_for = _identity(event, state)
    if target.rel.startswith(".git/"):
        return _deny_bypass(event, target.repo, target.rel, identity_for, tool,
                             "files inside .git (hooks, config) decide which checks run")
    current = read_disk(target.full)
    new = proposed_text(tool, ti, current)
    if new is None:
        return ""  # the tool itself will fail: nothing gets written
    if disarms_claude_hooks(target.rel, current, new):
        return _deny_bypass(event, target.repo, target.rel, identity_for, tool,
                             "it removes the gatekeeper's own Claude Code hooks")
    judged = judge(target.repo, {target.rel: new}, identity_for,
                   opts=Options(where="claude"), skip=_ignored, pact_only=True)
    if judged is None:
        return ""  # not a PACT repository, or an ignored untracked file (never committed)
    return _answer(event, judged, f"{tool} of {target.rel}")


def _ignored(repo: git.Repo, rel: str) -> bool:
    """True for an untracked path git ignores (check-ignore exits 0 only then)."""
    try:
        git.run(["check-ignore", "-q", "--", rel], repo.cwd)
    except GitError:
        return False
    return True


#: Claude Code settings files whose hooks an agent could switch off.
CLAUDE_SETTINGS = (".claude/settings.json", ".claude/settings.local.json")


def disarms_claude_hooks(rel: str, current: str | None, new: str | None) -> bool:
    """True when a change to Claude Code's settings drops the gatekeeper's hook entries."""
    from gatekeeper.adapters.claude_install import MARK

    return (rel in CLAUDE_SETTINGS and current is not None and MARK in current
            and (new is None or MARK not in new))


def _deny_bypass(event: dict[str, Any], repo: git.Repo, rel: str, identity_for: Any,
                  tool: str, why: str) -> str:
    """Deny a write that would disarm the gates (``hook-bypass``), with its note."""

    def extra(ctx: Context) -> list[Finding]:
        agent = identity_for(ctx)[0].agent
        return [bypass_finding(f"a {tool} of {rel}: {why}", agent, paths=[rel])]

    judged = judge(repo, {}, identity_for, opts=Options(where="claude"), extra=extra,
                   pact_only=True)
    if judged is None:
        return ""  # not a PACT repository
    return _answer(event, judged, f"{tool} of {rel}")


# ------------------------------------------------------------------ findings and answers


def bypass_finding(what: str, agent: str | None, *, paths: list[str] | None = None) -> Finding:
    """A ``hook-bypass`` finding: an attempt to skip or disarm the git hooks."""
    return Finding(
        rule=HOOK_BYPASS, title="Git hooks are not skipped or disarmed", level="ALERT",
        category="QUALITY", action="block",
        message=f"{agent or 'the agent'} tried to skip the gatekeeper's git hooks: {what}.",
        remedy=("Run it without skipping hooks (no --no-verify / -n, no core.hooksPath, no "
                "changes to .git/hooks). If a hook blocks you, do what its fix says or "
                "escalate to the orchestrator."),
        impact="A commit that skips the hooks is judged only at push time, after more work "
               "has been built on it.",
        paths=paths or [], commit=LABEL, feature=None, agent=agent,
        fingerprint=fingerprint(HOOK_BYPASS, None, agent, what))


def rule_finding(ctx: Context, rule_id: str, fields: dict[str, Any], *, agent: str | None,
                 evidence: str, remedy: str, paths: list[str] | None = None,
                 level: str | None = None, category: str | None = None) -> Finding | None:
    """A finding of a policy rule raised by the adapter itself (None if the rule is off)."""
    rule = next((r for r in ctx.rules if r.id == rule_id), None)
    if rule is None or rule.action == "off":
        return None
    return Finding(
        rule=rule.id, title=rule.title, level=level or rule.level,
        category=category or rule.category, action="block",
        message=render(rule.message, fields), remedy=remedy,
        impact=render(rule.impact, fields), paths=paths or [], commit=LABEL, feature=None,
        agent=agent, fingerprint=fingerprint(rule.id, None, agent, evidence))


def _answer(event: dict[str, Any], judged: Judged, what: str) -> str:
    report = judged.report
    if not report.blocked:
        return ""
    _track(event, report)
    return deny(reason(report, what, subagent=bool(event.get("agent_id"))))


def reason(report: Report, what: str, *, subagent: bool) -> str:
    """The permissionDecisionReason: each blocking rule, what was seen, the fix, the note."""
    blocks = [f for f in report.active if f.action == "block"]
    who = blocks[0].agent if blocks else None
    lines = [f"pact-gatekeeper blocked this {what} (acting as {who or 'unknown'}):"]
    for f in blocks:
        lines.append(f"- {f.rule} [{f.level} {f.category}]: {f.message}")
        if f.remedy:
            lines.append(f"  fix: {f.remedy}")
        if f.escalation:
            lines.append(f"  escalation note: {f.escalation}")
    if subagent:
        lines.append("Do not work around this with another path, tool or shell command. "
                     "Stop and report it to the orchestrator, naming the escalation note.")
    else:
        lines.append("Show this to the human before going on; the note is in "
                     "`gatekeeper escalations list`.")
    return "\n".join(lines)


def _track(event: dict[str, Any], report: Report) -> None:
    """Remember the notes a subagent raised, for its SubagentStop."""
    agent_id = event.get("agent_id")
    if not isinstance(agent_id, str) or not agent_id or not report.escalations:
        return
    path = _track_file(agent_id, event)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write("".join(f"{note_id}\n" for note_id, _p in report.escalations))
    except OSError:
        pass  # the note itself is written; only the subagent summary would miss it


def _track_file(agent_id: str, event: dict[str, Any]) -> Path | None:
    """Where a subagent's note ids wait for its SubagentStop (in the git common dir)."""
    try:
        repo = git.discover(Path(_cwd(event)))
    except NotARepository:
        return None
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", agent_id)[:100]
    return repo.common_dir / "pact" / "claude" / f"subagent-{safe}.notes"


# ------------------------------------------------------------------ Bash


def bash(event: dict[str, Any], ti: dict[str, Any], state: dict[str, Any]) -> str:
    """PreToolUse for Bash: trailers on git commit; spoofed roles, hook bypasses and shell
    writes to governed files denied (best effort)."""
    command = ti.get("command")
    if not isinstance(command, str):
        raise Undecided("Bash: tool_input.command is not a string")
    cwd = _cwd(event)
    try:
        repo = git.discover(Path(cwd))
    except NotARepository:
        return ""
    if repo.top is None:
        return ""
    facts = shell.read(command, cwd)
    if facts.empty:
        return ""  # ls, pytest, git status...: no context to load
    claims = list(facts.claims)
    for where, name in facts.message_files:
        text = read_disk(Path(where) / name) if name not in ("", "-") else None
        if text:
            claims += [m.group(1) for m in shell.CLAIM.finditer(text)]
    opaque: list[str] = []
    git_dir_writes: list[str] = []
    for where, name in facts.writes:
        if name.startswith("/dev/") or not name:
            continue
        try:
            t = locate(name, where)
        except (OutsideRepository, NotARepository):
            continue
        if t.rel.startswith(".git/"):
            if t.rel.startswith((".git/hooks", ".git/config")):
                git_dir_writes.append(t.rel)
            continue
        if t.repo.top == repo.top:
            opaque.append(t.rel)
            if disarms_claude_hooks(t.rel, read_disk(t.full), None):
                git_dir_writes.append(t.rel)  # the content is unseen: assume the worst
    identity_for = _identity(event, state)

    def extra(ctx: Context) -> list[Finding]:
        from gatekeeper.config import normalize_role

        agent = state["role"]
        out: list[Finding] = []
        for what in dict.fromkeys(facts.bypasses):
            out.append(bypass_finding(what, agent))
        for rel in git_dir_writes:
            out.append(bypass_finding(f"a shell write to {rel}", agent, paths=[rel]))
        for claimed in dict.fromkeys(normalize_role(c) for c in claims):
            if claimed != agent:
                f = rule_finding(
                    ctx, "agent-identity",
                    {"problem": f"the command claims PACT-Agent {claimed!r}, but Claude Code "
                                f"says the acting agent is {agent!r}",
                     "claimed": claimed, "pusher": "-"},
                    agent=agent, evidence=f"claude-spoof:{claimed}", level="HALT",
                    category="SECURITY",
                    remedy=(f"Commit as yourself: drop the PACT-Agent trailer or PACT_AGENT "
                            f"(the gatekeeper adds 'PACT-Agent: {agent}'); work that belongs "
                            f"to {claimed} goes to {claimed} through the orchestrator."))
                if f is not None:
                    out.append(f)
        if agent == "orchestrator":
            pact = [p for p in opaque if p.startswith(".pact/")]
            if pact:
                f = rule_finding(
                    ctx, "ledger-integrity",
                    {"paths": ", ".join(pact), "problem": "written through the shell; the "
                     "ledger, config and policies change only through the gatekeeper CLI"},
                    agent=agent, evidence="shell:" + "\0".join(pact), paths=pact,
                    remedy="Use the CLI: gatekeeper feature add / phase / approve / estimate "
                           "/ waive, then commit .pact/ on its own.")
                if f is not None:
                    out.append(f)
        return out

    judged = judge(repo, {}, identity_for, opts=Options(where="claude"), only=SHELL_RULES,
                   opaque=tuple(dict.fromkeys(opaque)), extra=extra, pact_only=True)
    if judged is None:
        return ""  # not a PACT repository: its commits and hooks are none of our business
    if judged.report.blocked:
        _track(event, judged.report)
        return deny(reason(judged.report, "Bash command",
                           subagent=bool(event.get("agent_id"))))
    if facts.commit_ends and not claims:
        updated = shell.insert_trailer(command, facts, state["role"])
        if updated is not None:
            return rewrite({**ti, "command": updated})
    return ""


# ------------------------------------------------------------------ inbox events


def _inbox_for(cwd: str) -> tuple[Any, Context | None, str]:
    from gatekeeper.context import load_at
    from gatekeeper.escalations import Inbox

    repo = git.discover(Path(cwd))
    problem = ""
    ctx: Context | None = None
    try:
        with git.CatFile(repo) as cat:
            head = cat.info("HEAD")
            ctx = load_at(repo, cat, head[0] if head else None)
    except Exception as exc:
        problem = f"pact-gatekeeper: warning: could not read the ledger or config: {exc}"
    return Inbox(inbox_dir(repo, ctx.config.inbox if ctx else None)), ctx, problem


def _clip(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: max(n - 1, 0)] + "…"


def _line(meta: Mapping[str, Any]) -> str:
    """One note in one line of at most MAX_LINE_CHARS: who and what first, then the issue
    and the recommended action, each cut to its share."""
    head = (f"- {meta.get('id')} {meta.get('level')} {meta.get('category')} {meta.get('rule')}"
            f" feature={meta.get('feature') or '-'} agent={meta.get('agent') or '-'}: ")
    room = max(MAX_LINE_CHARS - len(head) - len(". Action: "), 40)
    action = _clip(str(meta.get("recommended_action") or "-"), room // 2)
    issue = _clip(str(meta.get("issue") or "-"), room - len(action))
    sep = " " if issue.endswith((".", "…")) else ". "
    return _clip(f"{head}{issue}{sep}Action: {action}", MAX_LINE_CHARS)


def open_escalations(event: dict[str, Any], env: Mapping[str, str]) -> str:
    """The orchestrator's view of the open escalations, HALT first, bounded in length."""
    try:
        inbox, ctx, problem = _inbox_for(_cwd(event))
    except NotARepository:
        return ""
    resolved = set(ctx.state.resolutions) if ctx is not None else set()
    notes = [n for n in inbox.notes() if n.status == "open" and n.id not in resolved]
    if not notes and not problem:
        return ""
    notes.sort(key=lambda n: (n.meta.get("level") != "HALT", str(n.meta.get("created", ""))))
    halts = sum(1 for n in notes if n.meta.get("level") == "HALT")
    lines = [problem] if problem else []
    if notes:
        lines.append(
            f"pact-gatekeeper: {len(notes)} open escalation(s), {halts} HALT. "
            + ("A HALT stops all work on its feature until the human acknowledges it: show "
               "it to the human now. " if halts else "")
            + "Resolve each with: gatekeeper escalations resolve ID --outcome "
              "acknowledged|overridden|resolved --note '...'")
        lines += [_line(n.meta) for n in notes[:MAX_CONTEXT_LINES]]
        if len(notes) > MAX_CONTEXT_LINES:
            lines.append(f"- … and {len(notes) - MAX_CONTEXT_LINES} more: "
                         "gatekeeper escalations list")
    return "\n".join(lines)


def subagent_notes(event: dict[str, Any], env: Mapping[str, str]) -> str:
    """The escalation notes a subagent raised during its run (then forgotten)."""
    agent_id = event.get("agent_id")
    if not isinstance(agent_id, str) or not agent_id:
        return ""
    path = _track_file(agent_id, event)
    if path is None or not path.is_file():
        return ""
    ids = list(dict.fromkeys(path.read_text(encoding="utf-8").split()))
    path.unlink(missing_ok=True)
    try:
        inbox, _ctx, _problem = _inbox_for(_cwd(event))
        metas = []
        for note_id in ids:
            try:
                metas.append(inbox.get(note_id).meta)
            except Exception:
                metas.append({"id": note_id, "issue": "(note not found)"})
    except NotARepository:
        return ""
    who = event.get("agent_type") or "subagent"
    return "\n".join([f"pact-gatekeeper: {who} raised {len(ids)} escalation note(s) during "
                      "its run; the orchestrator decides on them:",
                      *(_line(m) for m in metas[:MAX_CONTEXT_LINES])])
