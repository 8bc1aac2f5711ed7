# tests/test_status.py: `gatekeeper status`: phases, approved artifacts, scope budgets, notes, waivers.
from __future__ import annotations

from pathlib import Path

from helpers import gk_on_tty
from orchestrator_kit import check, cli, ledger_commit, lines, ok, setup_repo


def _run_on_tty(cwd: Path, *args: str, env: dict[str, str]) -> str:
    """Run the real console entry point with stdout on a pseudo-terminal."""
    code, out = gk_on_tty(cwd, *args, env=env)
    assert code == 0, out
    return out


def test_status_shows_phase_artifacts_budget_notes_and_waivers(tmp_path: Path) -> None:
    repo = setup_repo(tmp_path / "r", estimate=100,
                      paths="src/auth/**")
    ok(repo.path, "feature", "add", "billing-with-a-rather-long-feature-name",
       "--paths", "src/billing/**", "src/invoices/very/deep/path/to/some/module/**",
       "--title", "Billing and invoices for every customer in every country on earth")
    ok(repo.path, "waive", "file-header", "--reason", "generated code carries no header",
       "--path", "gen/**")
    ok(repo.path, "waive", "scope-budget", "--feature", "auth", "--reason",
       "the OAuth callback was approved late", "--expires", "2099-12-31")
    ledger_commit(repo)
    repo.commit("auth code", agent="backend-coder", files={"src/auth/a.py": lines(40)})
    # A blocked attempt leaves an ALERT note (scope over the limit).
    repo.stage({"src/auth/b.py": lines(100)})
    code, _ = check(repo)
    assert code == 0  # waived: W-2 covers scope-budget on auth
    repo.git("reset", "-q", "--hard")
    (repo.path / "docs/architecture/auth.md").write_text("# edited after approval\n")

    res = ok(repo.path, "status", "--format", "json")
    data = res.json()
    assert data["schema"] == "pact-gatekeeper/status@1"
    auth = next(f for f in data["features"] if f["id"] == "auth")
    assert auth["phase"] == "code"
    assert auth["artifacts"][0]["path"] == "docs/architecture/auth.md"
    assert auth["artifacts"][0]["on_disk"] == "changed"
    assert auth["scope"] == {"changed": 40, "estimate": 100, "percent": 40, "limit": 120,
                             "state": "ok", "baseline": auth["baseline"], "waivers": ["W-2"]}
    billing = next(f for f in data["features"] if f["id"] != "auth")
    assert billing["phase"] == "declared" and billing["scope"] is None
    states = {w["id"]: w["state"] for w in data["waivers"]}
    assert states == {"W-1": "unmatched", "W-2": "active"}  # no tracked file under gen/

    text = ok(repo.path, "status", env={"NO_COLOR": "1"}).out
    for line in text.splitlines():
        assert len(line) <= 80, line
    assert "\x1b[" not in text
    assert "auth  CODE" in text
    assert "CHANGED since approval" in text
    assert "[########............] 40/100 lines 40%, limit 120" in text
    assert "W-1   file-header  unmatched" in text and "W-2   scope-budget  active" in text
    assert "1 active, 0 expired, 1 no longer matching anything" in text


def test_status_reports_over_limit_expired_waiver_and_open_halt(tmp_path: Path) -> None:
    repo = setup_repo(tmp_path / "r", estimate=20)
    ok(repo.path, "waive", "scope-budget", "--feature", "auth", "--reason",
       "spike approved by the human", "--expires", "2030-01-01")
    ledger_commit(repo)
    repo.commit("big", agent="backend-coder", files={"src/auth/a.py": lines(30)})
    repo.stage({"src/auth/keys.py": f'# keys\nAWS_KEY = "{"AKIA" + "IOSFODNN7EXAMPLE"}"\n'})
    code, report = check(repo)
    assert code == 1 and report["escalations"]
    repo.git("reset", "-q", "--hard")

    data = ok(repo.path, "status", "--format", "json", env={"GATEKEEPER_TODAY": "2030-01-02"}
              ).json()
    auth = data["features"][0]
    assert auth["scope"]["state"] == "over-limit" and auth["scope"]["changed"] == 30
    assert data["waivers"][0]["state"] == "expired"
    assert [e["rule"] for e in data["escalations"]["HALT"]] == ["hardcoded-secret"]
    text = ok(repo.path, "status", env={"GATEKEEPER_TODAY": "2030-01-02"}).out
    assert "OVER LIMIT" in text and "30/20 lines 150%, limit 24" in text
    assert "escalations: 1 HALT, 0 ALERT open" in text
    assert "expired: its last day was 2030-01-01" in text
    assert max(len(ln) for ln in text.splitlines()) <= 80


def test_status_colours_only_on_a_terminal_and_honours_no_color(tmp_path: Path) -> None:
    repo = setup_repo(tmp_path / "r")
    coloured = _run_on_tty(repo.path, "status", env={})
    assert "\x1b[" in coloured
    plain = _run_on_tty(repo.path, "status", env={"NO_COLOR": "1"})
    assert "\x1b[" not in plain and "auth  CODE" in plain


def test_status_without_features_and_outside_a_repository(tmp_path: Path) -> None:
    from helpers import make_repo

    repo = make_repo(tmp_path / "r")
    assert "no features declared" in ok(repo.path, "status").out  # before init, too
    ok(repo.path, "init")
    assert "no features declared" in ok(repo.path, "status").out
    outside = tmp_path / "plain"
    outside.mkdir()
    res = cli(outside, "status")
    assert res.code == 2 and "not a git repository" in res.err


def test_status_says_when_the_ledger_on_disk_is_not_committed(tmp_path: Path) -> None:
    """The hooks judge by the committed ledger: status says so when the two differ, and
    links a scope-budget waiver to the budget it covers."""
    from helpers import pact_repo

    repo = pact_repo(tmp_path / "r", phase="code")
    data = ok(repo.path, "status", "--format", "json").json()
    assert data["uncommitted"] is None
    ok(repo.path, "waive", "scope-budget", "--feature", "auth", "--reason",
       "the OAuth callback was approved late")
    ok(repo.path, "estimate", "auth", "150", "--reason", "the partner API needs more")
    data = ok(repo.path, "status", "--format", "json").json()
    assert data["uncommitted"] == {"paths": [".pact/ledger.yaml"], "ledger_events": 2}
    auth = next(f for f in data["features"] if f["id"] == "auth")
    assert auth["scope"]["waivers"] == ["W-1"]
    assert data["waivers"][0]["covers"] == ["auth"]
    text = ok(repo.path, "status").out
    assert "NOT COMMITTED: 2 ledger event(s) not committed in .pact/ledger.yaml" in text
    assert "-- .pact" in text and "scope-budget by W-1" in text
    assert "covers the scope budget of auth" in text
    repo.git("commit", "-q", "--no-verify", "-m", "ledger", "--", ".pact")
    data = ok(repo.path, "status", "--format", "json").json()
    assert data["uncommitted"] is None
