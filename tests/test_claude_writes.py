# tests/test_claude_writes.py: PreToolUse for the file tools: verdicts, identity, attacks, failures.
"""Every payload is shaped as Claude Code documents it and runs through the real CLI
against a real repository. Attack cases first: another name for a governed path, a write
into .git, an edit hidden in a MultiEdit or a notebook cell, an agent type PACT does not
know; then the scope projection, failures (fail closed / fail open) and the inbox events.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from claude_kit import decision, event, reason, run_hook, two_feature_repo, write_event
from helpers import GitRepo, make_repo, pact_repo

SECRET = 'STRIPE_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"\n'
MIGRATION = "ALTER TABLE users ADD email text;\n"


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return two_feature_repo(tmp_path / "repo")


def _edit(repo: GitRepo, rel: str, old: str, new: str, agent: str | None = "pact-backend-coder",
          **extra: object) -> dict[str, object]:
    return event(repo, tool="Edit", agent_type=agent, tool_input={
        "file_path": str(repo.path / rel), "old_string": old, "new_string": new,
        "replace_all": False, **extra})


# ------------------------------------------------------------------ attack: other names


def test_dot_dot_path_is_judged_as_the_migration_it_names(repo: GitRepo) -> None:
    path = str(repo.path / "src/auth/../../migrations/0002_x.sql")
    ev = event(repo, tool="Write", agent_type="pact-backend-coder",
               tool_input={"file_path": path, "content": MIGRATION})
    answer, _ = run_hook(repo.path, ev)
    assert decision(answer) == "deny"
    assert "domain-boundary" in reason(answer) and "migrations/0002_x.sql" in reason(answer)


def test_relative_path_resolves_against_the_event_cwd(repo: GitRepo) -> None:
    ev = event(repo, tool="Write", agent_type="pact-backend-coder",
               tool_input={"file_path": "migrations/0002_x.sql", "content": MIGRATION})
    answer, _ = run_hook(repo.path / "..", ev)  # the hook's own cwd does not matter
    assert decision(answer) == "deny" and "migrations/0002_x.sql" in reason(answer)


def test_symlinked_directory_does_not_hide_a_migration(repo: GitRepo) -> None:
    (repo.path / "migrations").mkdir()
    (repo.path / "src/auth").mkdir(parents=True)
    os.symlink("../../migrations", repo.path / "src/auth/db")
    answer, _ = run_hook(repo.path, write_event(repo, "src/auth/db/0002_x.sql", MIGRATION,
                                                agent_type="pact-backend-coder"))
    assert decision(answer) == "deny"
    assert "migrations/0002_x.sql" in reason(answer) and "domain-boundary" in reason(answer)


@pytest.mark.parametrize("rel", [".git/hooks/commit-msg", ".git/config"])
def test_writing_into_the_git_directory_is_a_hook_bypass(repo: GitRepo, rel: str) -> None:
    answer, _ = run_hook(repo.path, write_event(repo, rel, "#!/bin/sh\nexit 0\n",
                                                agent_type="pact-backend-coder"))
    assert decision(answer) == "deny" and "hook-bypass" in reason(answer)
    assert "escalation note: E-" in reason(answer)


def test_secret_in_the_second_edit_of_a_multiedit(repo: GitRepo) -> None:
    repo.commit("login", agent="backend-coder",
                files={"src/auth/login.py": "# login\nA = 1\nB = 2\n"})
    ev = event(repo, tool="MultiEdit", agent_type="pact-backend-coder", tool_input={
        "file_path": str(repo.path / "src/auth/login.py"),
        "edits": [{"old_string": "A = 1\n", "new_string": "A = 10\n"},
                  {"old_string": "B = 2\n", "new_string": "B = 2\n" + SECRET,
                   "replace_all": True}]})
    answer, _ = run_hook(repo.path, ev)
    assert decision(answer) == "deny" and "hardcoded-secret" in reason(answer)
    assert "src/auth/login.py" in reason(answer)


def test_secret_added_by_replace_all(repo: GitRepo) -> None:
    repo.commit("cfg", agent="backend-coder",
                files={"src/auth/cfg.py": "# cfg\nKEY = None\nOTHER = None\n"})
    answer, _ = run_hook(repo.path, _edit(repo, "src/auth/cfg.py", "None\n",
                                          '"sk_live_4eC39HqLyjWDarjtT1zdp7dc"\n',
                                          replace_all=True))
    assert decision(answer) == "deny" and "hardcoded-secret" in reason(answer)


def test_secret_in_a_notebook_cell(repo: GitRepo) -> None:
    nb = {"cells": [{"cell_type": "code", "id": "c1", "metadata": {}, "source": ["x = 1\n"],
                     "execution_count": None, "outputs": []}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    repo.commit("nb", agent="backend-coder",
                files={"src/auth/explore.ipynb": json.dumps(nb, indent=1, sort_keys=True) + "\n"})
    ev = event(repo, tool="NotebookEdit", agent_type="pact-backend-coder", tool_input={
        "notebook_path": str(repo.path / "src/auth/explore.ipynb"), "cell_id": "c1",
        "new_source": "x = 1\n" + SECRET, "edit_mode": "replace"})
    clean = dict(ev, tool_input={**ev["tool_input"], "new_source": "x = 2\n"})
    assert run_hook(repo.path, clean)[0] is None
    answer, _ = run_hook(repo.path, ev)
    assert decision(answer) == "deny" and "hardcoded-secret" in reason(answer)


def test_backend_writing_the_ledger_is_a_halt(repo: GitRepo) -> None:
    text = (repo.path / ".pact/ledger.yaml").read_text()
    answer, _ = run_hook(repo.path, write_event(repo, ".pact/ledger.yaml", text + "---\n",
                                                agent_type="pact-backend-coder"))
    assert decision(answer) == "deny"
    assert "ledger-integrity [HALT SECURITY]" in reason(answer)


# ------------------------------------------------------------------ identity


def test_main_thread_is_the_orchestrator_and_writes_no_code(repo: GitRepo) -> None:
    answer, _ = run_hook(repo.path, write_event(repo, "src/auth/x.py", "# x\nx = 1\n"))
    assert decision(answer) == "deny"
    why = reason(answer)
    assert "acting as orchestrator" in why and "domain-boundary" in why
    assert "Show this to the human" in why  # the main thread is told to escalate upward
    assert run_hook(repo.path, write_event(repo, "docs/notes.md", "# notes\n"))[0] is None


def test_pact_prefix_and_bare_role_names_are_the_same_role(repo: GitRepo) -> None:
    for agent in ("pact-database-engineer", "database-engineer", "PACT-Database-Engineer"):
        answer, _ = run_hook(repo.path, write_event(repo, "migrations/0002_x.sql", MIGRATION,
                                                    agent_type=agent))
        assert answer is None, agent


def test_unknown_agent_type_gets_least_privilege(repo: GitRepo) -> None:
    answer, _ = run_hook(repo.path, write_event(repo, "src/auth/x.py", "# x\nx = 1\n",
                                                agent_type="general-purpose"))
    assert decision(answer) == "deny"
    assert "general-purpose may change only docs" in reason(answer)
    assert run_hook(repo.path, write_event(repo, "docs/x.md", "# x\n",
                                           agent_type="general-purpose"))[0] is None
    answer, _ = run_hook(repo.path, write_event(repo, "migrations/0002.sql", MIGRATION,
                                                agent_type="general-purpose"))
    assert decision(answer) == "deny" and "database-engineer" in reason(answer)


def _configure(repo: GitRepo, toml: str) -> None:
    cfg = repo.path / ".pact/config.toml"
    cfg.write_text(cfg.read_text() + "\n" + toml)
    repo.commit_ledger("configure claude")


def test_claude_config_maps_agent_types_and_unknown_agents(repo: GitRepo) -> None:
    _configure(repo, '[claude]\nunknown_agent = "backend-coder"\n'
                     '[claude.agents]\n"my-dba" = "database-engineer"\n')
    assert run_hook(repo.path, write_event(repo, "migrations/0002.sql", MIGRATION,
                                           agent_type="my-dba"))[0] is None
    assert run_hook(repo.path, write_event(repo, "src/auth/x.py", "# x\nx = 1\n",
                                           agent_type="general-purpose"))[0] is None
    answer, _ = run_hook(repo.path, write_event(repo, "migrations/0003.sql", MIGRATION,
                                                agent_type="general-purpose"))
    assert decision(answer) == "deny" and "acting as backend-coder" in reason(answer)


def test_unknown_agent_deny_mode_denies_every_write(repo: GitRepo) -> None:
    _configure(repo, '[claude]\nunknown_agent = "deny"\n')
    answer, _ = run_hook(repo.path, write_event(repo, "docs/x.md", "# x\n",
                                                agent_type="general-purpose"))
    assert decision(answer) == "deny" and "domain-boundary" in reason(answer)


def test_claude_config_is_validated(repo: GitRepo) -> None:
    cfg = repo.path / ".pact/config.toml"
    cfg.write_text(cfg.read_text() + '\n[claude]\nmain_thread = "boss"\n')
    proc = repo.gk("status")
    assert proc.returncode == 2 and "main_thread" in proc.stderr and "boss" in proc.stderr


# ------------------------------------------------------------------ scope as a projection


def test_scope_budget_counts_committed_working_tree_and_this_write(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "repo", estimate=100)  # limit 120 at +20%
    body = "".join(f"v{i} = {i}\n" for i in range(60))
    repo.commit("a", agent="backend-coder", files={"src/auth/a.py": "# a\n" + body[: -1] + "\n"})
    write = write_event(repo, "src/auth/c.py",
                        "# c\n" + "".join(f"c{i} = {i}\n" for i in range(29)),
                        agent_type="pact-backend-coder")
    assert run_hook(repo.path, write)[0] is None  # 61 committed + 30 proposed = 91
    repo.write({"src/auth/b.py": "# b\n" + "".join(f"b{i} = {i}\n" for i in range(39))})
    answer, _ = run_hook(repo.path, write)  # + 40 untracked in the working tree = 131
    assert decision(answer) == "deny"
    why = reason(answer)
    assert "scope-budget" in why and "131 of 100" in why
    assert "gatekeeper estimate auth" in why


# ------------------------------------------------------------------ passes and no-ops


def test_no_output_for_what_is_not_governed(repo: GitRepo, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.py"
    assert run_hook(repo.path, event(repo, tool="Write", agent_type="pact-backend-coder",
                                     tool_input={"file_path": str(outside),
                                                 "content": SECRET}))[0] is None
    repo.commit("ignore", agent="orchestrator", files={".gitignore": "*.local\n"})
    assert run_hook(repo.path, write_event(repo, "secrets.local", SECRET,
                                           agent_type="pact-backend-coder"))[0] is None
    # an Edit that cannot apply writes nothing
    repo.commit("x", agent="backend-coder", files={"src/auth/x.py": "# x\nx = 1\n"})
    assert run_hook(repo.path, _edit(repo, "src/auth/x.py", "not there", SECRET))[0] is None
    # tools and events the adapter does not judge
    assert run_hook(repo.path, event(repo, tool="Read", tool_input={
        "file_path": str(repo.path / "src/auth/x.py")}))[0] is None
    assert run_hook(repo.path, event(repo, tool="mcp__fs__write_file", tool_input={
        "path": "migrations/x.sql"}))[0] is None
    assert run_hook(repo.path, event(repo, "Notification", message="hi"))[0] is None
    assert run_hook(repo.path, event(repo, "PostToolUse", tool="Write", tool_input={
        "file_path": str(repo.path / "migrations/x.sql"), "content": MIGRATION},
        tool_response={"success": True}))[0] is None


# ------------------------------------------------------------------ failure


@pytest.mark.parametrize("payload", [
    "{not json", "[]", '{"hook_event_name": "PreToolUse", "tool_name": "Write"}',
    '{"hook_event_name": "PreToolUse", "tool_name": "Write", "tool_input": {"content": "x"}}',
    '{"hook_event_name": "PreToolUse", "tool_name": "Edit", "tool_input": '
    '{"file_path": "a.py", "old_string": 1, "new_string": "x"}}',
    '{"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": 3}}',
    "",
])
def test_malformed_events_are_denied_never_passed(repo: GitRepo, payload: str) -> None:
    answer, err = run_hook(repo.path, payload)
    assert decision(answer) == "deny"
    assert reason(answer).startswith("pact-gatekeeper could not decide")
    assert "Traceback" not in err


def test_a_broken_config_denies_writes_with_file_and_line(repo: GitRepo) -> None:
    (repo.path / ".pact/config.toml").write_text("[claude\n")
    repo.git("add", ".pact/config.toml")
    repo.git("commit", "-q", "--no-verify", "-m", "broken")
    answer, _ = run_hook(repo.path, write_event(repo, "src/auth/x.py", "# x\n",
                                                agent_type="pact-backend-coder"))
    assert decision(answer) == "deny"
    assert "could not decide" in reason(answer) and ".pact/config.toml:1" in reason(answer)
    # context events never block: they carry the problem instead
    answer, _ = run_hook(repo.path, event(repo, "SessionStart", source="startup"))
    assert answer is not None
    assert ".pact/config.toml" in answer["hookSpecificOutput"]["additionalContext"]


def test_fail_open_lets_an_undecidable_write_through(repo: GitRepo) -> None:
    bad = event(repo, tool="Write", agent_type="pact-backend-coder",
                tool_input={"file_path": str(repo.path / "src/auth/x.py"), "content": 7})
    assert decision(run_hook(repo.path, bad)[0]) == "deny"
    _configure(repo, "[claude]\nfail_open = true\n")
    answer, err = run_hook(repo.path, bad)
    assert answer is None and "fail_open" in err


# ------------------------------------------------------------------ inbox events


def test_session_start_lists_halts_first_and_subagents_get_nothing(repo: GitRepo) -> None:
    run_hook(repo.path, write_event(repo, "migrations/0002.sql", MIGRATION,
                                    agent_type="pact-backend-coder"))
    run_hook(repo.path, write_event(repo, "src/auth/k.py", "# k\n" + SECRET,
                                    agent_type="pact-backend-coder"))
    answer, _ = run_hook(repo.path, event(repo, "SessionStart", source="startup"))
    assert answer is not None
    ctx = answer["hookSpecificOutput"]
    assert ctx["hookEventName"] == "SessionStart"
    lines = ctx["additionalContext"].splitlines()
    assert "2 open escalation(s), 1 HALT" in lines[0]
    assert " HALT SECURITY hardcoded-secret feature=auth" in lines[1]
    assert " ALERT SCOPE domain-boundary" in lines[2]
    assert all(len(line) <= 300 for line in lines[1:])
    sub = event(repo, "UserPromptSubmit", prompt="x", agent_type="pact-backend-coder")
    assert run_hook(repo.path, sub)[0] is None


def test_context_is_bounded(repo: GitRepo) -> None:
    for i in range(15):  # fifteen different secrets: fifteen notes
        run_hook(repo.path, write_event(repo, f"src/auth/k{i}.py", "# k\n" + SECRET,
                                        agent_type="pact-backend-coder"))
    answer, _ = run_hook(repo.path, event(repo, "UserPromptSubmit", prompt="x"))
    assert answer is not None
    lines = answer["hookSpecificOutput"]["additionalContext"].splitlines()
    assert len(lines) == 1 + 12 + 1 and "and 3 more" in lines[-1]


def test_subagent_stop_reports_the_notes_of_that_run(repo: GitRepo) -> None:
    answer, _ = run_hook(repo.path, write_event(repo, "migrations/0002.sql", MIGRATION,
                                                agent_type="pact-backend-coder"))
    note = reason(answer).split("escalation note: ")[1].split()[0]
    stop = event(repo, "SubagentStop", agent_type="pact-backend-coder", stop_hook_active=False,
                 agent_transcript_path=str(repo.path.parent / "agent.jsonl"))
    answer, _ = run_hook(repo.path, stop)
    assert answer is not None
    assert "raised 1 escalation note(s)" in answer["systemMessage"]
    assert note in answer["systemMessage"] and "domain-boundary" in answer["systemMessage"]
    assert run_hook(repo.path, stop)[0] is None  # reported once
    other = dict(stop, agent_id="zz9")
    assert run_hook(repo.path, other)[0] is None


def test_an_existing_ignored_file_is_not_judged_but_a_tracked_one_is(repo: GitRepo) -> None:
    repo.commit("ignore", agent="orchestrator", files={".gitignore": ".env\n"})
    (repo.path / ".env").write_text("DEBUG=1\n")
    # A credential-looking value: env-file blocks only those (a plain DEBUG=0 warns).
    leak = "DEBUG=1\nDB_PASSWORD=t7Rq2Lm9Xz\n"
    assert run_hook(repo.path, _edit(repo, ".env", "DEBUG=1\n", leak))[0] is None
    # git ignores only untracked files: a tracked .env is committed, so it is judged
    repo.git("add", "-f", ".env")
    repo.commit("env", agent="devops-engineer")
    answer, _ = run_hook(repo.path, _edit(repo, ".env", "DEBUG=1\n", leak))
    assert decision(answer) == "deny" and "env-file" in reason(answer)


def test_removing_the_gatekeepers_claude_hooks_is_a_hook_bypass(repo: GitRepo) -> None:
    assert repo.gk("install", "--claude").returncode == 0
    settings = repo.path / ".claude/settings.json"
    data = json.loads(settings.read_text())
    kept = {"permissions": data.get("permissions", {"allow": []})}
    answer, _ = run_hook(repo.path, write_event(repo, ".claude/settings.json", json.dumps(kept),
                                                agent_type="pact-backend-coder"))
    assert decision(answer) == "deny" and "hook-bypass" in reason(answer)
    assert "removes the gatekeeper's own Claude Code hooks" in reason(answer)
    # the orchestrator may still edit AI settings, as long as the hooks stay
    data["permissions"] = {"allow": ["Bash(npm test)"]}
    assert run_hook(repo.path, write_event(repo, ".claude/settings.json",
                                           json.dumps(data, indent=2)))[0] is None
    ev = event(repo, tool="Bash", agent_type="pact-backend-coder",
               tool_input={"command": "echo '{}' > .claude/settings.json"})
    answer, _ = run_hook(repo.path, ev)
    assert decision(answer) == "deny" and "hook-bypass" in reason(answer)


def test_a_repository_without_a_ledger_is_left_alone(tmp_path: Path) -> None:
    """A plugin installed for every project must not gate projects that do not use PACT."""
    plain = make_repo(tmp_path / "plain")
    for ev in (write_event(plain, "migrations/1.sql", MIGRATION, agent_type="general-purpose"),
               write_event(plain, "src/app.py", "# app\n"),
               event(plain, tool="Bash", tool_input={"command": "git commit --no-verify -m x"}),
               event(plain, tool="Bash", tool_input={"command": "git commit -m x"}),
               event(plain, "UserPromptSubmit", prompt="hi")):
        assert run_hook(plain.path, ev)[0] is None
