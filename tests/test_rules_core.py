# tests/test_rules_core.py: every core rule, a blocking and an allowed case, on real repositories and commits.
from __future__ import annotations

from pathlib import Path

from helpers import findings, pact_repo


def test_phase_gate_blocks_code_before_architecture_and_passes_in_code(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r", phase="architect")
    repo.stage({"src/auth/login.py": "# login\nx = 1\n"})
    rc, report = repo.check_staged("add login", agent="backend-coder")
    assert rc == 1 and report["verdict"] == "block"
    (f,) = findings(report, "phase-gate")
    assert f["action"] == "block" and f["feature"] == "auth"
    assert "ARCHITECT" in f["message"] and "src/auth/login.py" in f["message"]
    assert "no approved architecture" in f["message"]
    assert "gatekeeper approve auth docs/architecture/auth.md" in f["remedy"]
    assert "gatekeeper phase auth code" in f["remedy"]
    # The orchestrator approves and enters CODE (committed separately): now it passes.
    repo.git("reset", "-q")
    repo.write({"docs/architecture/auth.md": "# design\n"})
    repo.orchestrate("approve", "auth", "docs/architecture/auth.md")
    repo.orchestrate("phase", "auth", "code")
    repo.commit_ledger()
    repo.stage({"src/auth/login.py": "# login\nx = 1\n"})
    rc, report = repo.check_staged("add login", agent="backend-coder")
    assert rc == 0 and not findings(report, "phase-gate")


def test_phase_gate_judges_against_parent_ledger_not_the_same_commit(tmp_path: Path) -> None:
    """A commit cannot loosen the rules that judge it: ledger + code in one commit is blocked."""
    repo = pact_repo(tmp_path / "r", phase="architect")
    repo.write({"docs/architecture/auth.md": "# design\n"})
    repo.orchestrate("approve", "auth", "docs/architecture/auth.md")
    repo.orchestrate("phase", "auth", "code")
    repo.git("add", "-A")
    repo.stage({"src/auth/login.py": "x = 1\n"})
    rc, report = repo.check_staged("sneak", agent="orchestrator")
    assert rc == 1 and findings(report, "phase-gate")


def test_phase_gate_allows_skipped_architect_with_reason(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r", phase="none")
    repo.orchestrate("phase", "auth", "code", "--skip-reason", "structured_gate_passed")
    repo.commit_ledger()
    repo.stage({"src/auth/login.py": "x = 1\n"})
    rc, report = repo.check_staged("code", agent="backend-coder")
    assert rc == 0, report


def test_phase_gate_blocks_done_feature(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r", phase="done")
    repo.stage({"src/auth/login.py": "x = 2\n"})
    rc, report = repo.check_staged("late", agent="backend-coder")
    (f,) = findings(report, "phase-gate")
    assert rc == 1 and "DONE" in f["message"]


def test_domain_boundary_backend_touching_migration(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r", paths="src/auth/**")
    repo.stage({"db/migrations/0002_add_email.py": "# migration\nop.add_column('users')\n"})
    rc, report = repo.check_staged("schema", agent="backend-coder")
    assert rc == 1
    (f,) = findings(report, "domain-boundary")
    assert f["paths"] == ["db/migrations/0002_add_email.py"]
    assert "database-engineer" in f["message"] and "backend-coder" in f["message"]
    assert "orchestrator" in f["remedy"] and "database-engineer" in f["remedy"]
    rc, report = repo.check_staged("schema", agent="database-engineer")
    assert not findings(report, "domain-boundary")


def test_domain_boundary_last_match_wins(tmp_path: Path) -> None:
    """CODEOWNERS semantics: a later, more specific owner entry overrides an earlier one."""
    repo = pact_repo(tmp_path / "r")
    repo.write({".pact/policies/local.yaml": """\
# .pact/policies/local.yaml: test override of domain-boundary owners
rules:
  - id: domain-boundary
    title: owners
    check: domain_boundary
    level: ALERT
    category: SCOPE
    action: block
    message: "{agent} touched {paths} owned by {owner}"
    params:
      owners:
        - "*.sql": database-engineer
        - "seeds/*.sql": backend-coder
"""})
    repo.commit_ledger("local policy")
    repo.stage({"seeds/users.sql": "INSERT INTO users VALUES (1);\n",
                "schema/users.sql": "CREATE TABLE users (id int);\n"})
    _, report = repo.check_staged("seed", agent="backend-coder")
    (f,) = findings(report, "domain-boundary")
    assert f["paths"] == ["schema/users.sql"]


def test_orchestrator_confined_to_docs(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.stage({"src/auth/login.py": "x = 1\n", "docs/notes.md": "n\n", "CLAUDE.md": "c\n"})
    rc, report = repo.check_staged("fix", agent="orchestrator")
    (f,) = findings(report, "domain-boundary")
    assert rc == 1 and f["paths"] == ["src/auth/login.py"]
    assert "orchestrator may change only" in f["message"]


def test_scope_budget_blocks_over_tolerance_and_warns_over_estimate(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r", estimate=100)
    repo.stage({"src/auth/a.py": "".join(f"a{i} = {i}\n" for i in range(110))})
    rc, report = repo.check_staged("a", agent="backend-coder")
    (f,) = findings(report, "scope-budget")
    assert rc == 0 and f["action"] == "warn" and "110 of 100" in f["message"]
    repo.stage({"src/auth/b.py": "".join(f"b{i} = {i}\n" for i in range(20))})
    rc, report = repo.check_staged("b", agent="backend-coder")
    (f,) = findings(report, "scope-budget")
    assert rc == 1 and f["action"] == "block"
    assert "130 of 100 estimated lines (130%, limit 120" in f["message"]
    assert "gatekeeper estimate auth" in f["remedy"]
    # A revised estimate unblocks.
    repo.git("stash", "-q")
    repo.orchestrate("estimate", "auth", "200", "--reason", "needs a second provider")
    repo.commit_ledger()
    repo.git("stash", "pop", "-q")
    repo.git("add", "-A", "src")
    rc, report = repo.check_staged("b", agent="backend-coder")
    assert rc == 0 and not findings(report, "scope-budget")


def test_scope_budget_counts_from_baseline_across_commits(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r", estimate=50)
    repo.commit("one", agent="backend-coder",
                files={"src/auth/a.py": "".join(f"a{i} = {i}\n" for i in range(40))})
    repo.stage({"src/auth/b.py": "".join(f"b{i} = {i}\n" for i in range(25))})
    rc, report = repo.check_staged("two", agent="backend-coder")
    (f,) = findings(report, "scope-budget")
    assert rc == 1 and "65 of 50" in f["message"]


def test_ledger_integrity_blocks_non_orchestrator_and_rewrites(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    ledger = repo.path / ".pact/ledger.yaml"
    text = ledger.read_text()
    ledger.write_text(text.replace("estimate: 100", "estimate: 9000"))
    repo.git("add", ".pact")
    rc, report = repo.check_staged("bump", agent="backend-coder")
    got = findings(report, "ledger-integrity")
    assert rc == 1
    assert any("only the orchestrator" in f["message"] and f["level"] == "HALT" for f in got)
    assert any("append-only" in f["message"] for f in got)
    rc, report = repo.check_staged("bump", agent="orchestrator")
    (f,) = findings(report, "ledger-integrity")
    assert rc == 1 and "append-only" in f["message"]


def test_ledger_integrity_allows_orchestrator_append(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.orchestrate("estimate", "auth", "150", "--reason", "bigger than planned")
    repo.git("add", ".pact")
    rc, report = repo.check_staged("estimate", agent="orchestrator")
    assert rc == 0 and not findings(report, "ledger-integrity")


def test_ledger_integrity_rejects_invalid_appended_event(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    ledger = repo.path / ".pact/ledger.yaml"
    ledger.write_text(ledger.read_text() + "---\nevent: phase\nfeature: auth\nphase: sideways\n")
    repo.git("add", ".pact")
    rc, report = repo.check_staged("bad", agent="orchestrator")
    (f,) = findings(report, "ledger-integrity")
    assert rc == 1 and "does not validate" in f["message"] and "ledger.yaml:" in f["message"]


def test_policy_change_by_agent_blocked(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.stage({".pact/config.toml": "[rules.scope-budget]\naction = \"off\"\n"})
    rc, report = repo.check_staged("loosen", agent="backend-coder")
    assert rc == 1 and findings(report, "ledger-integrity")


def test_unplanned_work_warns_outside_features(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.stage({"src/billing/invoice.py": "x = 1\n"})
    rc, report = repo.check_staged("billing", agent="backend-coder")
    (f,) = findings(report, "unplanned-work")
    assert rc == 0 and f["action"] == "warn" and "src/billing/invoice.py" in f["message"]
    repo.stage({"src/auth/ok.py": "x = 1\n"})
    repo.git("rm", "-q", "--cached", "src/billing/invoice.py")
    rc, report = repo.check_staged("auth", agent="backend-coder")
    assert not findings(report, "unplanned-work")


def test_unplanned_work_silent_without_features(repo) -> None:  # type: ignore[no-untyped-def]
    repo.orchestrate("init")
    repo.commit_ledger()
    repo.stage({"src/x.py": "x = 1\n"})
    rc, report = repo.check_staged("x", agent="backend-coder")
    assert rc == 0 and not findings(report, "unplanned-work")


def test_agent_identity_missing_unknown_and_disagreeing(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.stage({"src/auth/a.py": "x = 1\n"})
    rc, report = repo.check_staged("no trailer")
    (f,) = findings(report, "agent-identity")
    assert rc == 0 and f["action"] == "warn" and "no PACT-Agent" in f["message"]
    rc, report = repo.check_staged("odd", agent="wizard")
    (f,) = findings(report, "agent-identity")
    assert "unknown role 'wizard'" in f["message"]
    msg = tmp_path / "m.txt"
    msg.write_text("x\n\nPACT-Agent: backend-coder\n")
    proc = repo.gk("check", "--staged", "--message-file", str(msg), "--format", "json",
                   env={"PACT_AGENT": "pact-database-engineer"})
    assert "disagree" not in proc.stdout
    assert "but PACT_AGENT says 'database-engineer'" in proc.stdout
    rc, report = repo.check_staged("ok", agent="pact-backend-coder")
    assert not findings(report, "agent-identity")


def test_agent_flag_wins_over_trailer(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.stage({"db/migrations/1.sql": "CREATE TABLE t (id int);\n"})
    _, report = repo.check_staged("m", "backend-coder", "--agent", "database-engineer")
    assert not findings(report, "domain-boundary")


def test_check_commit_and_range(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r", phase="architect")
    base = repo.head()
    bad = repo.commit("early code", agent="backend-coder", files={"src/auth/a.py": "x = 1\n"})
    proc = repo.gk("check", "--commit", bad, "--format", "json")
    assert proc.returncode == 1 and '"phase-gate"' in proc.stdout
    proc = repo.gk("check", "--range", f"{base}..HEAD")
    assert proc.returncode == 1 and "phase-gate" in proc.stdout and bad[:12] in proc.stdout
    proc = repo.gk("check", "--commit", base)
    assert proc.returncode == 0, proc.stdout


def test_merge_commit_answers_only_for_what_it_introduces(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("feature work", agent="backend-coder", files={"src/auth/a.py": "x = 1\n"})
    repo.git("checkout", "-q", "main")
    # Work on main that the feature branch's agent could not have made.
    repo.commit("schema", agent="database-engineer",
                files={"db/migrations/1.sql": "CREATE TABLE t (id int);\n"})
    repo.git("checkout", "-q", "feature")
    repo.git("merge", "-q", "--no-edit", "-m", "merge main\n\nPACT-Agent: backend-coder", "main")
    proc = repo.gk("check", "--commit", "HEAD", "--format", "json")
    assert proc.returncode == 0, proc.stdout
    assert '"domain-boundary"' not in proc.stdout


def test_binary_and_weird_paths_and_non_utf8_message(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r", paths="src/**")
    repo.stage({"src/auth/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00binary",
                "src/auth/we ird\tname \u00e9.py": "x = 1\n"})
    msg = tmp_path / "m.txt"
    msg.write_bytes(b"caf\xe9 latin-1 message\n\nPACT-Agent: backend-coder\n")
    proc = repo.gk("check", "--staged", "--message-file", str(msg), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr


def test_sarif_output(tmp_path: Path) -> None:
    import json

    repo = pact_repo(tmp_path / "r", phase="architect")
    repo.stage({"src/auth/a.py": "x = 1\n"})
    msg = tmp_path / "m.txt"
    msg.write_text("x\n\nPACT-Agent: backend-coder\n")
    proc = repo.gk("check", "--staged", "--message-file", str(msg), "--format", "sarif")
    assert proc.returncode == 1
    sarif = json.loads(proc.stdout)
    assert sarif["version"] == "2.1.0"
    (res,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "phase-gate"]
    assert res["level"] == "error"
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/auth/a.py"
    assert any(r["id"] == "phase-gate" for r in sarif["runs"][0]["tool"]["driver"]["rules"])


def test_not_a_repository_exits_2(tmp_path: Path) -> None:
    from helpers import gk

    proc = gk(tmp_path, "check", "--staged")
    assert proc.returncode == 2 and "not a git repository" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_first_commit_in_empty_repository(tmp_path: Path) -> None:
    from helpers import GitRepo, git

    path = tmp_path / "empty"
    path.mkdir()
    git(path, "init", "-q")
    repo = GitRepo(path)
    repo.stage({"app.py": "x = 1\n"})
    rc, report = repo.check_staged("first", agent="backend-coder")
    assert rc == 0, report


def test_huge_diff_is_counted_in_full(tmp_path: Path) -> None:
    """A 200,000-line file: streamed, counted exactly, content scanning capped, no crash."""
    repo = pact_repo(tmp_path / "r", estimate=100)
    repo.stage({"src/auth/generated.py": "".join(f"v{i} = {i}\n" for i in range(200_000))})
    rc, report = repo.check_staged("huge", agent="backend-coder")
    (f,) = findings(report, "scope-budget")
    assert rc == 1 and "200000 of 100 estimated lines" in f["message"]
    (size,) = findings(report, "file-size")
    assert "200000" in size["message"]


def test_range_judges_scope_at_every_branch_tip(tmp_path: Path) -> None:
    """Two branches pushed together: the over-budget one is caught whichever comes last."""
    from gatekeeper import git as gitmod
    from gatekeeper.checker import Options, check_revisions

    repo = pact_repo(tmp_path / "r", estimate=100)
    base = repo.head()
    repo.git("checkout", "-q", "-b", "big")
    repo.commit("lots", agent="backend-coder",
                files={"src/auth/a.py": "".join(f"a{i} = {i}\n" for i in range(150))})
    big = repo.head()
    repo.git("checkout", "-q", "-b", "small", base)
    repo.commit("a little", agent="backend-coder", files={"src/auth/b.py": "b = 1\n"})
    repo.commit("a little more", agent="backend-coder", files={"src/auth/c.py": "c = 1\n"})
    small = repo.head()
    r = gitmod.discover(repo.path)
    for tips in ([big, small], [small, big]):
        report = check_revisions(r, tips, [base], opts=Options(where="ci", record=False))
        over = [f for f in report.findings if f.rule == "scope-budget"]
        assert [f.commit for f in over] == [big[:12]], tips
        assert "150 of 100" in over[0].message
    # On one linear branch only the newest commit touching the feature is judged.
    report = check_revisions(r, [small], [base], opts=Options(where="ci", record=False))
    assert not [f for f in report.findings if f.rule == "scope-budget"]


def test_huge_commit_in_a_range_is_counted_in_full(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r", estimate=100)
    base = repo.head()
    repo.commit("huge", agent="backend-coder",
                files={"src/auth/gen.py": "".join(f"v{i} = {i}\n" for i in range(200_000))})
    proc = repo.gk("check", "--range", f"{base}..HEAD", "--format", "json", "--no-notes")
    assert proc.returncode == 1, proc.stderr
    assert "200000 of 100 estimated lines" in proc.stdout


def test_truncated_content_scan_is_reported(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r", estimate=1_000_000)
    repo.stage({"src/auth/big.py": "".join(f"v{i} = {i}\n" for i in range(250_000))})
    rc, report = repo.check_staged("big", agent="backend-coder")
    assert rc == 0
    (note,) = report["notices"]
    assert "first 2,097,152 bytes of added text" in note and "src/auth/big.py" in note
