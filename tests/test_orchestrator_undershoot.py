# tests/test_orchestrator_undershoot.py: entering TEST far under the estimate raises an ALERT, never a block.
from __future__ import annotations

from pathlib import Path

import yaml
from orchestrator_kit import check, cli, ledger_commit, lines, ok, setup_repo


def test_entering_test_under_80_percent_alerts_without_blocking(tmp_path: Path) -> None:
    repo = setup_repo(tmp_path / "r", estimate=100)
    repo.commit("auth", agent="backend-coder", files={"src/auth/a.py": lines(50)})
    # Uncommitted work does not count: the figure is baseline..HEAD.
    repo.write({"src/auth/b.py": lines(60)})

    res = cli(repo.path, "phase", "auth", "test")
    assert res.code == 0
    assert "feature auth entered TEST" in res.out
    assert "ALERT SCOPE (not blocking)" in res.out
    assert "used 50 of 100 estimated lines (50%, below 80%)" in res.out
    note_id = res.out.split("escalation note: ", 1)[1].split()[0]

    events = list(yaml.safe_load_all((repo.path / ".pact/ledger.yaml").read_text()))
    assert events[-1]["event"] == "phase" and events[-1]["phase"] == "test"
    listed = ok(repo.path, "escalations", "list", "--format", "json").json()["escalations"]
    [note] = [n for n in listed if n["id"] == note_id]
    assert (note["level"], note["category"], note["rule"]) == ("ALERT", "SCOPE",
                                                               "scope-undershoot")
    assert note["feature"] == "auth" and note["status"] == "open"
    status = ok(repo.path, "status", "--format", "json").json()
    assert status["features"][0]["scope"]["state"] == "undershoot"
    assert [e["id"] for e in status["escalations"]["ALERT"]] == [note_id]

    # The alert does not freeze anything: the test engineer's commit passes.
    (repo.path / "src/auth/b.py").unlink()
    ledger_commit(repo, "auth to test")
    repo.stage({"tests/test_auth.py": "# tests/test_auth.py\ndef test_x():\n    assert 1\n"})
    code, _ = check(repo, "test-engineer")
    assert code == 0


def test_no_alert_at_or_above_the_configured_floor(tmp_path: Path) -> None:
    repo = setup_repo(tmp_path / "r", estimate=100)
    repo.commit("auth", agent="backend-coder", files={"src/auth/a.py": lines(85)})
    res = ok(repo.path, "phase", "auth", "test")
    assert "ALERT" not in res.out
    assert list((repo.path / ".git/pact/escalations").glob("E-*.md")) == []

    repo = setup_repo(tmp_path / "r2", estimate=100, config="[scope]\nundershoot = 0.5\n")
    repo.commit("auth", agent="backend-coder", files={"src/auth/a.py": lines(60)})
    assert "ALERT" not in ok(repo.path, "phase", "auth", "test").out
    repo = setup_repo(tmp_path / "r3", estimate=None)
    assert "ALERT" not in ok(repo.path, "phase", "auth", "test").out
