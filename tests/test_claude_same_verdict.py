# tests/test_claude_same_verdict.py: the adapter (before the write) and the commit hook (after it) agree.
"""The same change in two identical repositories: in one, Claude Code's Write or Edit goes
through ``gatekeeper hook claude``; in the other, the file is written, staged and judged by
``check --staged`` (the commit-msg hook's pipeline) with the same agent in the trailer.
Both must block with the same rules and messages, and write the same escalation note id
(the same fingerprint), or both must pass. ``gatekeeper guard`` gives the same verdict too.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from claude_kit import decision, event, run_hook, two_feature_repo, write_event
from helpers import GitRepo, findings

SECRET = 'STRIPE_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"\n'
BASE = {"src/auth/login.py": "# login\ndef login():\n    a = 1\n    b = 2\n    return a + b\n",
        "migrations/0001_init.sql": "CREATE TABLE users (id int);\n"}

# (agent_type or None for the main thread, role in the trailer, path, tool, new content)
CASES = {
    "backend writes a migration": ("pact-backend-coder", "backend-coder",
                                   "migrations/0002_email.sql", "Write",
                                   "ALTER TABLE users ADD email text;\n"),
    "code before architecture": ("pact-frontend-coder", "frontend-coder",
                                 "src/billing/invoice.py", "Write", "# invoice\ntotal = 0\n"),
    "edit adds a secret": ("pact-backend-coder", "backend-coder", "src/auth/login.py", "Edit",
                           BASE["src/auth/login.py"].replace("    b = 2\n", "    " + SECRET)),
    "scope over budget": ("pact-backend-coder", "backend-coder", "src/auth/big.py", "Write",
                          "# big\n" + "".join(f"v{i} = {i}\n" for i in range(130))),
    "orchestrator writes code": (None, "orchestrator", "src/auth/helper.py", "Write",
                                 "# helper\nx = 1\n"),
    "database engineer edits a migration": ("pact-database-engineer", "database-engineer",
                                            "migrations/0001_init.sql", "Edit",
                                            "CREATE TABLE users (id bigint);\n"),
    "clean edit": ("pact-backend-coder", "backend-coder", "src/auth/login.py", "Edit",
                   BASE["src/auth/login.py"].replace("    b = 2\n", "    b = 3\n")),
}

RULES = {"backend writes a migration": {"domain-boundary"}, "code before architecture":
         {"phase-gate"}, "edit adds a secret": {"hardcoded-secret"},
         "scope over budget": {"scope-budget"}, "orchestrator writes code": {"domain-boundary"},
         "database engineer edits a migration": set(), "clean edit": set()}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = two_feature_repo(tmp_path_factory.mktemp("tmpl") / "repo")
    repo.commit("base", agent="backend-coder", files=dict(BASE))
    return repo.path


def _adapter(repo: GitRepo, agent: str | None, rel: str, tool: str,
             new: str) -> tuple[set[tuple[str, str]], set[str]]:
    if tool == "Write":
        ev = write_event(repo, rel, new, agent_type=agent)
    else:
        old = (repo.path / rel).read_text()
        lo = next(i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b)
        ev = event(repo, tool="Edit", agent_type=agent, tool_input={
            "file_path": str(repo.path / rel), "old_string": old[lo:], "new_string": new[lo:]})
    answer, _ = run_hook(repo.path, ev)
    if answer is None:
        return set(), set()
    assert decision(answer) == "deny"
    text = answer["hookSpecificOutput"]["permissionDecisionReason"]
    blocks = set(re.findall(r"^- ([a-z-]+) \[[A-Z]+ [A-Z-]+\]: (.*)$", text, re.M))
    notes = set(re.findall(r"escalation note: (E-[0-9a-f]+)", text))
    return blocks, notes


def _commit_hook(repo: GitRepo, role: str, rel: str, new: str,
                 ) -> tuple[set[tuple[str, str]], set[str]]:
    repo.stage({rel: new})
    code, report = repo.check_staged("the change", role)
    blocks = {(f["rule"], f["message"]) for f in findings(report) if f["action"] == "block"}
    assert (code == 1) == bool(blocks)
    return blocks, {e["id"] for e in report["escalations"]}


@pytest.mark.parametrize("case", list(CASES))
def test_adapter_and_commit_hook_agree(template: Path, tmp_path: Path, case: str) -> None:
    agent, role, rel, tool, new = CASES[case]
    a = GitRepo(tmp_path / "a")
    b = GitRepo(tmp_path / "b")
    shutil.copytree(template, a.path, symlinks=True)
    shutil.copytree(template, b.path, symlinks=True)
    before_blocks, before_notes = _adapter(a, agent, rel, tool, new)
    after_blocks, after_notes = _commit_hook(b, role, rel, new)
    assert before_blocks == after_blocks
    assert before_notes == after_notes  # the same fingerprint: one note, wherever it is seen
    expect_pass = case in ("database engineer edits a migration", "clean edit")
    assert {r for r, _m in before_blocks} == RULES[case]
    # guard, the harness-neutral entry, agrees as well
    content = tmp_path / "content"
    content.write_text(new)
    proc = a.gk("guard", "--agent", role, rel, "--content-file", str(content), "--no-notes",
                "--format", "json")
    assert proc.returncode == (0 if expect_pass else 1), proc.stderr
