# gatekeeper/adapters/claude.py: `gatekeeper hook claude`: one Claude Code hook event on stdin -> its answer.
"""The Claude Code adapter: the gate before the agent writes.

- ``PreToolUse`` for ``Write``/``Edit``/``MultiEdit``/``NotebookEdit``: the proposed file
  change is judged like a commit (:mod:`gatekeeper.adapters.proposed`); a block is a
  ``deny`` with the rule, what was seen and the fix, and the same escalation note.
- ``PreToolUse`` for ``Bash``: ``git commit`` gets the acting agent's ``PACT-Agent``
  trailer (``updatedInput``); claiming another role, skipping hooks and writing governed
  files through the shell are denied (best effort, :mod:`gatekeeper.adapters.shell`).
- ``SessionStart`` / ``UserPromptSubmit`` on the main thread: the open escalations, HALT
  first, as ``additionalContext``. ``SubagentStop``: the notes raised during that run.

Identity comes from the harness (``agent_type``), not from anything the agent writes.
The adapter never answers ``allow`` (that would skip the user's permission prompts): a
pass prints nothing. A write it cannot judge is denied, unless ``[claude] fail_open``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from gatekeeper.config import ROLES, ClaudeOptions, normalize_role

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import IO, Any

WRITE_TOOLS = ("Write", "Edit", "MultiEdit", "NotebookEdit")
#: A hook that hangs is killed by Claude Code and the write goes through: decide sooner.
DEADLINE = 8.0
#: additionalContext is read by the model on every prompt: keep it short.
MAX_CONTEXT_LINES = 12
MAX_LINE_CHARS = 300
HOOK_BYPASS = "hook-bypass"


class Undecided(Exception):
    """The event cannot be judged (malformed input, an unreadable repository...)."""


# ------------------------------------------------------------------ identity


def acting_role(agent_type: str | None, opts: ClaudeOptions) -> tuple[str, list[str] | None]:
    """(role, confinement) of the agent Claude Code says is acting.

    No ``agent_type`` is the main thread (``[claude] main_thread``, the orchestrator by
    default). ``[claude] agents`` maps custom agent types; ``pact-`` prefixes are allowed.
    An agent type that names no PACT role gets least privilege: it owns nothing and may
    change only docs (``unknown_agent = "least-privilege"``), nothing at all (``"deny"``),
    or acts as the role ``unknown_agent`` names.
    """
    if not agent_type or not agent_type.strip():
        return normalize_role(opts.main_thread), None
    key = agent_type.strip()
    mapped = opts.agents.get(key) or opts.agents.get(key.lower())
    if mapped:
        return normalize_role(mapped), None
    role = normalize_role(key)
    if role in ROLES:
        return role, None
    if opts.unknown_agent == "least-privilege":
        return role, ["docs"]
    if opts.unknown_agent == "deny":
        return role, []
    return normalize_role(opts.unknown_agent), None


# ------------------------------------------------------------------ output


def _dump(obj: dict[str, Any]) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False) + "\n"


def deny(reason: str) -> str:
    """A PreToolUse denial; the reason is shown to Claude."""
    return _dump({"hookSpecificOutput": {"hookEventName": "PreToolUse",
                                         "permissionDecision": "deny",
                                         "permissionDecisionReason": reason}})


def rewrite(tool_input: dict[str, Any]) -> str:
    """A PreToolUse answer that changes the tool's input and makes no permission decision:
    the user's own permission rules and prompts still apply."""
    return _dump({"hookSpecificOutput": {"hookEventName": "PreToolUse",
                                         "updatedInput": tool_input}})


def context(event: str, text: str) -> str:
    """SessionStart / UserPromptSubmit context for the model."""
    return _dump({"hookSpecificOutput": {"hookEventName": event, "additionalContext": text}})


# ------------------------------------------------------------------ entry point


def main(stdin: IO[str], stdout: IO[str], env: Mapping[str, str] | None = None) -> int:
    """Read one event, answer it. Always exits 0: the answer is in the JSON on stdout."""
    env = os.environ if env is None else env
    event: dict[str, Any] = {}
    state: dict[str, Any] = {"fail_open": False}
    try:
        from gatekeeper.hooks import deadline  # the server's timer, with our own error

        with deadline(DEADLINE, lambda: Undecided(f"no verdict within {DEADLINE:g} s")):
            raw = stdin.read()
            import json

            try:
                parsed = json.loads(raw)
            except ValueError as exc:
                raise Undecided(f"the hook event is not JSON ({exc})") from None
            if not isinstance(parsed, dict):
                raise Undecided("the hook event is not a JSON object")
            event = parsed
            out = handle(event, env, state)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        from gatekeeper import git

        git.kill_all()
        fail_open = state["fail_open"] if "role" in state else _fail_open(event)
        out = _undecided(event, exc, bool(fail_open))
    if out:
        stdout.write(out)
        stdout.flush()
    return 0


def _fail_open(event: dict[str, Any]) -> bool:
    """``[claude] fail_open`` of the event's repository, when its context can be read."""
    try:
        from pathlib import Path

        from gatekeeper import git
        from gatekeeper.context import load_at

        cwd = event.get("cwd")
        repo = git.discover(Path(cwd) if isinstance(cwd, str) and cwd else None)
        with git.CatFile(repo) as cat:
            head = cat.info("HEAD")
            return load_at(repo, cat, head[0] if head else None).config.claude.fail_open
    except Exception:
        return False


def _undecided(event: dict[str, Any], exc: BaseException, fail_open: bool) -> str:
    """No verdict: deny a write (or any malformed event), unless ``[claude] fail_open``."""
    from gatekeeper.errors import GatekeeperError

    name = event.get("hook_event_name")
    tool = event.get("tool_name")
    handled = name == "PreToolUse" and tool in (*WRITE_TOOLS, "Bash")
    if event and not handled:
        return ""  # nothing to protect: a context event or a tool we do not judge
    detail = str(exc) if isinstance(exc, (GatekeeperError, Undecided)) else (
        f"internal error: {type(exc).__name__}: {exc}")
    if not isinstance(exc, (GatekeeperError, Undecided)):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    if fail_open:
        sys.stderr.write(f"pact-gatekeeper could not decide ({detail}); [claude] fail_open "
                         "= true, so the tool call passes\n")
        return ""
    return deny(f"pact-gatekeeper could not decide: {detail}. The {tool or 'tool'} call is "
                "denied because the gatekeeper fails closed. Tell the orchestrator; the human "
                "fixes the cause (run `gatekeeper status` in the repository), or sets "
                "[claude] fail_open = true in .pact/config.toml.")


def handle(event: dict[str, Any], env: Mapping[str, str], state: dict[str, Any]) -> str:
    """The answer to one parsed event ('' for no output)."""
    name = event.get("hook_event_name")
    if not isinstance(name, str):
        raise Undecided("the hook event has no hook_event_name")
    if name == "PreToolUse":
        tool = event.get("tool_name")
        if tool not in (*WRITE_TOOLS, "Bash"):
            return ""
        tool_input = event.get("tool_input")
        if not isinstance(tool_input, dict):
            raise Undecided(f"{tool}: tool_input is not an object")
        from gatekeeper.adapters import claude_tools

        if tool == "Bash":
            return claude_tools.bash(event, tool_input, state)
        return claude_tools.write(event, str(tool), tool_input, state)
    if name in ("SessionStart", "UserPromptSubmit"):
        if event.get("agent_id"):
            return ""  # the inbox is the orchestrator's to read
        from gatekeeper.adapters import claude_tools

        text = claude_tools.open_escalations(event, env)
        return context(name, text) if text else ""
    if name == "SubagentStop":
        from gatekeeper.adapters import claude_tools

        text = claude_tools.subagent_notes(event, env)
        return _dump({"systemMessage": text}) if text else ""
    return ""
