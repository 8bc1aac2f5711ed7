# tests/test_claude_never_allow.py: whatever the event, the adapter never grants a permission ("allow").
"""An ``allow`` would skip the user's own permission prompts. Over a battery of every kind of
answer the adapter gives (deny, pass, rewrite, context, subagent report, undecided), the
only permission decision ever printed is ``deny``. (``run_hook`` also checks every call of
every test for ``"allow"``.)"""

from __future__ import annotations

from pathlib import Path

from claude_kit import PRINTED, event, run_hook, two_feature_repo, write_event

SECRET = 'STRIPE_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"\n'


def _decisions(obj: object) -> list[str]:
    """Every permissionDecision / decision value anywhere in an answer."""
    found: list[str] = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in ("permissionDecision", "decision", "behavior"):
                found.append(str(value))
            found += _decisions(value)
    elif isinstance(obj, list):
        for value in obj:
            found += _decisions(value)
    return found


def test_no_answer_ever_allows(tmp_path: Path) -> None:
    repo = two_feature_repo(tmp_path / "repo")
    repo.commit("x", agent="backend-coder", files={"src/auth/x.py": "# x\nx = 1\n"})
    be = "pact-backend-coder"
    payloads: list[dict[str, object] | str] = [
        write_event(repo, "src/auth/y.py", "# y\ny = 1\n", agent_type=be),            # pass
        write_event(repo, "migrations/1.sql", "ALTER TABLE t ADD c int;\n", agent_type=be),
        write_event(repo, "src/billing/b.py", "# b\n", agent_type=be),                  # phase
        write_event(repo, "docs/readme.md", "# docs\n"),                                # main
        event(repo, tool="Edit", agent_type=be, tool_input={
            "file_path": str(repo.path / "src/auth/x.py"), "old_string": "x = 1\n",
            "new_string": SECRET}),
        event(repo, tool="Bash", agent_type=be, tool_input={"command": "git commit -m x"}),
        event(repo, tool="Bash", agent_type=be, tool_input={"command": "git commit -n -m x"}),
        event(repo, tool="Bash", tool_input={"command": "ls"}),
        event(repo, tool="Read", tool_input={"file_path": str(repo.path / "README.md")}),
        event(repo, "SessionStart", source="startup"),
        event(repo, "UserPromptSubmit", prompt="next"),
        event(repo, "SubagentStop", agent_type=be, stop_hook_active=False),
        event(repo, "PermissionRequest", tool="Write", tool_input={"file_path": "a"}),
        event(repo, "Stop", stop_hook_active=False),
        "{broken", "",
    ]
    kinds: set[str] = set()
    for payload in payloads:
        answer, _ = run_hook(repo.path, payload)
        assert all(d == "deny" for d in _decisions(answer)), answer
        if answer is None:
            kinds.add("nothing")
        elif "systemMessage" in answer:
            kinds.add("system")
        else:
            out = answer["hookSpecificOutput"]
            kinds.add("deny" if "permissionDecision" in out else
                      "rewrite" if "updatedInput" in out else "context")
    assert kinds == {"nothing", "deny", "rewrite", "context", "system"}
    assert PRINTED and not any('"allow"' in p for p in PRINTED)
