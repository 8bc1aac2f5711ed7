# tests/test_escalation_lifecycle.py: escalation notes listed, shown, resolved; the HALT freeze and its end.
from __future__ import annotations

from pathlib import Path

import yaml
from helpers import GitRepo, findings, git
from orchestrator_kit import AWS_EXAMPLE_KEY, check, cli, ledger_commit, ok, setup_repo

SECRET = f'# src/auth/keys.py: cloud access\nAWS_ACCESS_KEY_ID = "{AWS_EXAMPLE_KEY}"\n'
CLEAN = '# src/auth/keys.py: cloud access\nimport os\nAWS_ACCESS_KEY_ID = os.environ["AWS_KEY"]\n'


def _inbox(repo: GitRepo) -> Path:
    return repo.path / ".git" / "pact" / "escalations"


def _front(path: Path) -> dict[str, object]:
    text = path.read_text(encoding="utf-8")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert isinstance(meta, dict)
    return meta


def test_halt_blocks_freezes_the_feature_until_resolved_in_the_ledger(tmp_path: Path) -> None:
    repo = setup_repo(tmp_path / "r")
    repo.stage({"src/auth/keys.py": SECRET})
    code, report = check(repo)
    assert code == 1
    [secret] = findings(report, "hardcoded-secret")
    assert secret["level"] == "HALT" and secret["category"] == "SECURITY"
    note_id = secret["escalation"]
    assert [e["id"] for e in report["escalations"]] == [note_id]
    note_file = _inbox(repo) / f"{note_id}.md"
    meta = _front(note_file)
    assert meta["level"] == "HALT" and meta["status"] == "open" and meta["feature"] == "auth"
    body = note_file.read_text(encoding="utf-8")
    for heading in ("**Issue:**", "**Evidence:**", "**Impact:**", "**Recommended Action:**"):
        assert heading in body
    assert AWS_EXAMPLE_KEY not in body  # the note itself must not leak the credential

    listing = ok(repo.path, "escalations", "list").out
    assert note_id in listing and "HALT" in listing and "hardcoded-secret" in listing
    assert note_id not in ok(repo.path, "escalations", "list", "--level", "ALERT").out
    shown = ok(repo.path, "escalations", "show", note_id[:8]).out  # a unique prefix works
    assert "src/auth/keys.py" in shown and "Status: open" in shown

    # The secret is gone, but the feature stays frozen while the HALT is open.
    repo.stage({"src/auth/keys.py": CLEAN})
    code, report = check(repo)
    assert code == 1
    assert findings(report, "hardcoded-secret") == []
    [freeze] = findings(report, "halt-freeze")
    assert note_id in freeze["message"] and freeze["feature"] == "auth"
    assert f"gatekeeper escalations resolve {note_id}" in freeze["remedy"]
    assert report["escalations"] == []  # the freeze itself raises no note

    # Refusals: no decision recorded, nothing written.
    ledger_before = (repo.path / ".pact/ledger.yaml").read_bytes()
    for args, message in [
        (["--outcome", "acknowledged", "--note", "ok"], "--note must say what was decided"),
        (["--outcome", "overridden", "--note", "it is only a test key"],
         "overriding a HALT needs a written justification"),
    ]:
        res = cli(repo.path, "escalations", "resolve", note_id, *args)
        assert res.code == 2 and message in res.err, res.err
    res = cli(repo.path, "escalations", "resolve", "E-0000", "--outcome", "resolved",
              "--note", "nothing to see here at all")
    assert res.code == 2 and "no escalation" in res.err
    assert (repo.path / ".pact/ledger.yaml").read_bytes() == ledger_before
    assert _front(note_file)["status"] == "open"

    # The human has seen it; the orchestrator records the decision.
    repo.git("reset", "-q")
    res = ok(repo.path, "escalations", "resolve", note_id, "--outcome", "resolved", "--note",
             "key rotated at AWS; the code now reads it from the environment")
    assert "commit .pact/ledger.yaml" in res.out
    meta = _front(note_file)
    assert meta["status"] == "resolved"
    resolution = meta["resolution"]
    assert isinstance(resolution, dict)
    assert resolution["by"] == "test@example.com" and resolution["at"]
    assert resolution["note"].startswith("key rotated")
    [ev] = [d for d in yaml.safe_load_all((repo.path / ".pact/ledger.yaml").read_text())
            if d and d.get("event") == "resolve"]
    assert ev["escalation"] == note_id and ev["outcome"] == "resolved"
    assert ev["by"] == "test@example.com"
    assert note_id not in ok(repo.path, "escalations", "list").out
    assert "resolved" in ok(repo.path, "escalations", "list", "--status", "all").out
    res = cli(repo.path, "escalations", "resolve", note_id, "--outcome", "resolved", "--note",
              "resolving it a second time")
    assert res.code == 2 and "already resolved" in res.err

    ledger_commit(repo, "resolve the HALT")
    repo.stage({"src/auth/keys.py": CLEAN})
    code, report = check(repo)
    assert code == 0 and findings(report, "halt-freeze") == []
    sha = repo.commit("read the key from the environment", agent="backend-coder")
    assert cli(repo.path, "check", "--commit", sha).code == 0


def test_resolution_reaches_a_clone_that_never_saw_the_clients_inbox(tmp_path: Path) -> None:
    client = setup_repo(tmp_path / "client")
    base = client.head()
    # An agent bypasses the client hooks; CI in another clone judges the range.
    client.commit("add keys", agent="backend-coder", files={"src/auth/keys.py": SECRET})
    git(tmp_path, "clone", "-q", str(client.path), "ci")
    ci = GitRepo(tmp_path / "ci")
    res = cli(ci.path, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert res.code == 1
    [note_id] = [e["id"] for e in res.json()["escalations"]]

    # More work on the frozen feature: the clone's own inbox freezes it.
    client.commit("remove keys", agent="backend-coder", files={"src/auth/keys.py": CLEAN})
    ci.git("pull", "-q", "--ff-only")
    res = cli(ci.path, "check", "--commit", "HEAD", "--format", "json")
    assert res.code == 1
    assert [f["rule"] for f in res.json()["findings"]] == ["halt-freeze"]

    # The orchestrator, in the client, sees the same violation (same fingerprint, same id)
    # and resolves it there; only the ledger travels.
    res = cli(client.path, "check", "--range", f"{base}..HEAD~1", "--format", "json")
    assert [e["id"] for e in res.json()["escalations"]] == [note_id]
    ok(client.path, "escalations", "resolve", note_id, "--outcome", "acknowledged", "--note",
       "human acknowledged; key rotated and removed in the next commit")
    ledger_commit(client, "acknowledge the HALT")
    client.commit("more auth", agent="backend-coder",
                  files={"src/auth/session.py": "# session\nTTL = 3600\n"})
    ci.git("pull", "-q", "--ff-only")
    res = cli(ci.path, "check", "--commit", "HEAD", "--format", "json")
    assert res.code == 0, res.out
    assert res.json()["findings"] == []
    # The clone's note file is still "open", but the ledger says otherwise.
    listed = ok(ci.path, "escalations", "list", "--status", "all", "--format", "json").json()
    [entry] = [e for e in listed["escalations"] if e["id"] == note_id]
    assert entry["status"] == "acknowledged" and entry["resolution"]["source"] == "ledger"
    assert note_id not in ok(ci.path, "escalations", "list").out
    res = ok(ci.path, "escalations", "resolve", note_id, "--outcome", "acknowledged", "--note",
             "syncing the note with the ledger")
    assert "already acknowledged in the ledger" in res.out
    assert _front(_inbox(ci) / f"{note_id}.md")["status"] == "acknowledged"


def test_halt_freeze_can_be_turned_off_and_override_needs_justification(
        tmp_path: Path) -> None:
    config = "[escalations]\nhalt_freeze = false\n"
    repo = setup_repo(tmp_path / "r", config=config)
    repo.stage({"src/auth/keys.py": SECRET})
    code, report = check(repo)
    assert code == 1
    note_id = findings(report, "hardcoded-secret")[0]["escalation"]
    repo.stage({"src/auth/keys.py": CLEAN})
    code, report = check(repo)
    assert code == 0 and findings(report, "halt-freeze") == []

    repo.git("reset", "-q")
    ok(repo.path, "escalations", "resolve", note_id, "--outcome", "overridden", "--note",
       "this is AWS's published documentation key, not a credential of ours")
    shown = ok(repo.path, "escalations", "show", note_id, "--format", "json").json()
    assert shown["status"] == "overridden"
    assert shown["resolution"]["note"].startswith("this is AWS's published")
