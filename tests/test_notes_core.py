# tests/test_notes_core.py: escalation notes: algedonic content, de-duplication, concurrent writers.
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from helpers import REPO_ROOT, GitRepo, pact_repo


def _note(path: Path) -> tuple[dict, str]:  # type: ignore[type-arg]
    text = path.read_text()
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def _blocked_repo(tmp_path: Path) -> GitRepo:
    repo = pact_repo(tmp_path / "r", phase="architect")
    repo.stage({"src/auth/login.py": "x = 1\n"})
    return repo


def test_block_writes_algedonic_note(tmp_path: Path) -> None:
    repo = _blocked_repo(tmp_path)
    rc, report = repo.check_staged("early", agent="backend-coder")
    assert rc == 1
    (esc,) = report["escalations"]
    path = Path(esc["path"])
    assert path.parent == repo.path / ".git" / "pact" / "escalations"
    meta, body = _note(path)
    assert meta["id"] == esc["id"] and meta["rule"] == "phase-gate"
    assert meta["level"] == "ALERT" and meta["category"] == "SCOPE"
    assert meta["status"] == "open" and meta["attempts"] == 1
    assert meta["agent"] == "backend-coder" and meta["feature"] == "auth"
    assert meta["commit"] == "staged" and meta["paths"] == ["src/auth/login.py"]
    for key in ("issue", "evidence", "impact", "recommended_action", "fingerprint", "created"):
        assert meta[key], key
    assert "# ALERT: SCOPE (phase-gate)" in body
    for heading in ("**Issue:**", "**Evidence:**", "**Impact:**", "**Recommended Action:**"):
        assert heading in body
    assert "src/auth/login.py" in meta["evidence"]
    assert "gatekeeper phase auth code" in meta["recommended_action"]


def test_same_violation_raises_attempts(tmp_path: Path) -> None:
    repo = _blocked_repo(tmp_path)
    first = repo.check_staged("early", agent="backend-coder")[1]["escalations"][0]
    second = repo.check_staged("early again", agent="backend-coder")[1]["escalations"][0]
    assert first["id"] == second["id"]
    notes = list((repo.path / ".git/pact/escalations").glob("E-*.md"))
    assert len(notes) == 1
    assert _note(notes[0])[0]["attempts"] == 2
    # A different agent is a different escalation.
    third = repo.check_staged("early", agent="frontend-coder")[1]["escalations"][0]
    assert third["id"] != first["id"]


def test_warnings_write_no_note_but_halt_warnings_do(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.stage({"src/billing/x.py": "x = 1\n"})
    rc, report = repo.check_staged("unplanned", agent="backend-coder")
    assert rc == 0 and report["findings"] and not report["escalations"]
    repo.write({".pact/config.toml": '[rules.hardcoded-secret]\naction = "warn"\n'})
    repo.commit_ledger("secrets only warn")
    key = "AKIA" + "IOSFODNN7EXAMPLE"
    repo.stage({"src/auth/cfg.py": f'AWS_ACCESS_KEY_ID = "{key}"\n'})
    rc, report = repo.check_staged("key", agent="backend-coder")
    halts = [f for f in report["findings"] if f["level"] == "HALT"]
    assert halts and all(f["action"] == "warn" for f in halts)
    assert report["escalations"], "a HALT writes a note even when only warned"
    text = Path(report["escalations"][0]["path"]).read_text()
    assert key not in text, "a note never shows a secret"


def test_concurrent_hooks_lose_no_note(tmp_path: Path) -> None:
    """Eight checks at once: the same violation gives one note with 8 attempts; nothing torn."""
    repo = _blocked_repo(tmp_path)
    msg = tmp_path / "m.txt"
    msg.write_text("x\n\nPACT-Agent: backend-coder\n")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "gatekeeper", "check", "--staged",
                               "--message-file", str(msg)], cwd=repo.path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for _ in range(8)]
    for p in procs:
        _, err = p.communicate()
        assert p.returncode == 1, err
    metas = [_note(p)[0] for p in (repo.path / ".git/pact/escalations").glob("E-*.md")]
    by_rule = {m["rule"]: m for m in metas}
    # One phase-gate note with every attempt counted, plus one repeated-block note
    # (raised once, at the third attempt), and nothing else.
    assert len(metas) == 2 and set(by_rule) == {"phase-gate", "repeated-block"}
    assert by_rule["phase-gate"]["attempts"] == 8
    assert not list((repo.path / ".git/pact/escalations").glob("*.tmp"))


def test_escalations_list_and_show(tmp_path: Path) -> None:
    repo = _blocked_repo(tmp_path)
    note_id = repo.check_staged("early", agent="backend-coder")[1]["escalations"][0]["id"]
    proc = repo.gk("escalations", "list")
    assert proc.returncode == 0 and note_id in proc.stdout and "phase-gate" in proc.stdout
    proc = repo.gk("escalations", "show", note_id[:8])
    assert proc.returncode == 0 and "**Recommended Action:**" in proc.stdout
