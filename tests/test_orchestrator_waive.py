# tests/test_orchestrator_waive.py: `gatekeeper waive`: reasons, scope, approver, expiry, and waived findings.
from __future__ import annotations

from pathlib import Path

import yaml
from helpers import findings
from orchestrator_kit import check, cli, ledger_commit, lines, ok, setup_repo


def _events(repo_path: Path) -> list[dict[str, object]]:
    text = (repo_path / ".pact/ledger.yaml").read_text(encoding="utf-8")
    return [d for d in yaml.safe_load_all(text) if d]


def test_scope_block_then_waiver_then_pass_listed_under_waived(tmp_path: Path) -> None:
    repo = setup_repo(tmp_path / "r", estimate=50)
    repo.stage({"src/auth/login.py": lines(80)})
    code, report = check(repo)
    assert code == 1
    [block] = findings(report, "scope-budget")
    assert block["action"] == "block" and "80 of 50" in block["message"]

    # The orchestrator decides: the waiver goes in the ledger, in a commit of its own.
    repo.git("reset", "-q")
    res = ok(repo.path, "waive", "scope-budget", "--feature", "auth", "--reason",
             "login needs the legacy SSO bridge; approved by the human", "--expires",
             "2030-06-30")
    assert "waiver W-1 for scope-budget" in res.out
    ev = _events(repo.path)[-1]
    assert ev["event"] == "waive" and ev["by"] == "test@example.com"
    assert ev["feature"] == "auth" and str(ev["expires"]) == "2030-06-30"
    ledger_commit(repo, "waive scope for auth")

    repo.stage({"src/auth/login.py": lines(80)})
    today = {"GATEKEEPER_TODAY": "2030-06-30"}  # the last day a waiver applies
    code, report = check(repo, env=today)
    assert code == 0 and report["verdict"] == "pass"
    assert findings(report, "scope-budget") == []
    [waived] = [f for f in report["waived"] if f["rule"] == "scope-budget"]
    assert waived["waiver"] == "W-1"
    text = cli(repo.path, "check", "--agent", "backend-coder", env=today)
    assert text.code == 0
    assert "WAIVED scope-budget" in text.out and "waived by W-1" in text.out
    assert "0 blocking" in text.out and "1 waived" in text.out

    # Committed, the range check (CI, server) agrees.
    sha = repo.commit("login", agent="backend-coder")
    res = cli(repo.path, "check", "--commit", sha, "--format", "json", env=today)
    assert res.code == 0 and [f["rule"] for f in res.json()["waived"]] == ["scope-budget"]

    # The day after it expires the waiver stops applying, and check and status say so.
    later = {"GATEKEEPER_TODAY": "2030-07-01"}
    res = cli(repo.path, "check", "--commit", sha, "--format", "json", env=later)
    assert res.code == 1
    rep = res.json()
    assert [f["rule"] for f in rep["findings"] if f["action"] == "block"] == ["scope-budget"]
    assert rep["waived"] == []
    assert [w["id"] for w in rep["expired_waivers"]] == ["W-1"]
    res = cli(repo.path, "check", "--commit", sha, env=later)
    assert "waiver W-1 (scope-budget) expired on 2030-06-30" in res.out
    status = ok(repo.path, "status", "--format", "json", env=later).json()
    assert status["waivers"][0]["state"] == "expired"


def test_waiver_scope_by_feature_and_path(tmp_path: Path) -> None:
    repo = setup_repo(tmp_path / "r", estimate=1000)
    ok(repo.path, "feature", "add", "billing", "--paths", "src/billing/**")
    ok(repo.path, "waive", "file-header", "--path", "src/auth/gen/**", "--reason",
       "generated protobuf stubs carry no header")
    ok(repo.path, "waive", "file-header", "--feature", "billing", "--reason",
       "billing is a vendored module we do not edit")
    ledger_commit(repo)
    body = "x = 1\ny = 2\nz = 3\nw = 4\n"
    repo.stage({"src/auth/gen/stub.py": body, "src/auth/core.py": body})
    _, report = check(repo)
    headers = findings(report, "file-header")
    assert [f["paths"] for f in headers] == [["src/auth/core.py"]]
    assert [f["waiver"] for f in report["waived"]] == ["W-1"]


def test_waive_refusals_leave_the_ledger_unchanged(tmp_path: Path) -> None:
    repo = setup_repo(tmp_path / "r")
    before = (repo.path / ".pact/ledger.yaml").read_bytes()
    cases = [
        (["scope-budget", "--reason", ""], "--reason must be a real justification"),
        (["scope-budget", "--reason", "n/a"], "--reason must be a real justification"),
        (["scope-budget", "--reason", "   todo     "], "--reason must be a real justification"),
        (["scope-budget", "--reason", "because"], "at least 12 characters"),
        (["no-such-rule", "--reason", "a perfectly fine reason"], "no rule 'no-such-rule'"),
        (["scope-budget", "--feature", "ghost", "--reason", "a perfectly fine reason"],
         "unknown feature 'ghost'"),
        (["scope-budget", "--expires", "next week", "--reason", "a perfectly fine reason"],
         "is not a date"),
        (["scope-budget", "--expires", "2020-01-01", "--reason", "a perfectly fine reason"],
         "is in the past"),
    ]
    for args, message in cases:
        res = cli(repo.path, "waive", *args)
        assert res.code == 2, (args, res.out)
        assert message in res.err, (args, res.err)
    assert (repo.path / ".pact/ledger.yaml").read_bytes() == before
    # The clock override is honoured by the refusal too: with "today" in 2031, 2030 is past.
    res = cli(repo.path, "waive", "scope-budget", "--expires", "2030-12-31", "--reason",
              "a perfectly fine reason", env={"GATEKEEPER_TODAY": "2031-01-01"})
    assert res.code == 2 and "is in the past" in res.err
    res = cli(repo.path, "waive", "scope-budget", "--reason", "a perfectly fine reason",
              "--expires", "2099-01-01", env={"GATEKEEPER_TODAY": "yesterday"})
    assert res.code == 2 and "GATEKEEPER_TODAY" in res.err
