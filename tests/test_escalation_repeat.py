# tests/test_escalation_repeat.py: the same block hit again and again raises one repeated-block note.
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from helpers import GitRepo, findings
from orchestrator_kit import AWS_EXAMPLE_KEY, check, lines, ok, setup_repo


def _notes(repo: GitRepo) -> dict[str, dict[str, Any]]:
    out = {}
    for p in sorted((repo.path / ".git/pact/escalations").glob("E-*.md")):
        meta = yaml.safe_load(p.read_text(encoding="utf-8").split("---\n")[1])
        out[meta["id"]] = meta
    return out


def _repeats(repo: GitRepo) -> list[dict[str, Any]]:
    return [m for m in _notes(repo).values() if m.get("repeat_of")]


def test_third_identical_block_raises_one_quality_alert(tmp_path: Path) -> None:
    repo = setup_repo(tmp_path / "r", estimate=10)
    repo.stage({"src/auth/a.py": lines(40)})
    ids = []
    for attempt in (1, 2):
        code, report = check(repo)
        assert code == 1
        ids.append([e["id"] for e in report["escalations"]])
        assert _repeats(repo) == [], f"no repeat note after attempt {attempt}"
    assert ids[0] == ids[1]  # de-duplicated: the same note, attempts raised
    [original] = ids[0]
    assert _notes(repo)[original]["attempts"] == 2

    code, report = check(repo)
    assert code == 1
    [repeat] = _repeats(repo)
    assert repeat["level"] == "ALERT" and repeat["category"] == "QUALITY"
    assert repeat["rule"] == "repeated-block" and repeat["repeated_rule"] == "scope-budget"
    assert repeat["repeat_of"] == original and repeat["feature"] == "auth"
    assert repeat["agent"] == "backend-coder" and repeat["status"] == "open"
    assert "blocked 3 times by scope-budget" in repeat["issue"]
    assert [e["id"] for e in report["escalations"]] == [original, repeat["id"]]
    assert findings(report, "scope-budget")[0]["escalation"] == original

    # A fourth attempt: still one repeated-block note, now counting 4.
    code, report = check(repo)
    [again] = _repeats(repo)
    assert again["id"] == repeat["id"] and again["blocked_attempts"] == 4
    assert repeat["id"] in [e["id"] for e in report["escalations"]]
    listing = ok(repo.path, "escalations", "list", "--level", "ALERT").out
    assert repeat["id"] in listing and "repeated-block" in listing

    # Once the orchestrator has decided about the loop, it is not raised again.
    ok(repo.path, "escalations", "resolve", repeat["id"], "--outcome", "acknowledged",
       "--note", "told the agent to stop and split the work")
    check(repo)
    assert [m["status"] for m in _repeats(repo)] == ["acknowledged"]


def test_threshold_comes_from_config_and_piling_notes_make_a_meta_block(
        tmp_path: Path) -> None:
    repo = setup_repo(tmp_path / "r", estimate=10,
                      config="[escalations]\nrepeat_threshold = 2\nhalt_freeze = false\n")
    repo.stage({
        "src/auth/big.py": lines(40),  # scope-budget
        "src/auth/migrations/0001_init.py": "# migration\nop = 1\n",  # domain-boundary
        "src/auth/keys.py": f'# keys\nKEY = "{AWS_EXAMPLE_KEY}"\n',  # hardcoded-secret (HALT)
    })
    code, report = check(repo)
    assert code == 1
    originals = {e["id"] for e in report["escalations"]}
    assert len(originals) == 3 and _repeats(repo) == []
    code, report = check(repo)
    repeats = _repeats(repo)
    assert {m["repeat_of"] for m in repeats} == originals  # one per original note
    assert {m["category"] for m in repeats} == {"META-BLOCK"}
    assert {m["level"] for m in repeats} == {"ALERT"}
    assert "3 open escalations on this feature" in repeats[0]["issue"]
    assert {e["id"] for e in report["escalations"]} == originals | {m["id"] for m in repeats}
