# tests/test_escalation_batch.py: a push's notes are written as one batch, and HALTs are found fast.
"""A blocked push writes a note per group of findings (and a repeated-block note per group
met again): the inbox makes them in memory and flushes them to disk together
(``fsutil.atomic_write_many``), so a later note of the batch must still see the earlier
ones, and a failed write must leave no half-written note. Reading the open HALTs skips
the YAML parse of any note whose front matter cannot spell HALT; a HALT spelled with a
YAML escape must still freeze its feature."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from helpers import make_repo, started_git_processes

from gatekeeper import fsutil
from gatekeeper import git as gitmod
from gatekeeper.engine import Finding
from gatekeeper.escalations import Inbox


def _finding(rule: str, fingerprint: str, feature: str = "auth") -> Finding:
    return Finding(rule=rule, title=rule, level="ALERT", category="SCOPE", action="block",
                   message=f"{rule} message", remedy="fix it", impact="-",
                   paths=[f"src/{feature}/{rule}.py"], commit="abc123", feature=feature,
                   agent="backend-coder", fingerprint=fingerprint)


def _on_disk(root: Path) -> dict[str, dict[str, object]]:
    out = {}
    for p in root.iterdir():
        assert p.name.startswith("E-") or p.name == ".lock", f"left behind: {p.name}"
        if p.name.startswith("E-"):
            out[p.stem] = yaml.safe_load(p.read_text(encoding="utf-8").split("---\n")[1])
    return out


def test_a_later_note_of_one_batch_sees_the_earlier_ones(tmp_path: Path) -> None:
    """The repeated-block note counts the feature's open notes, those made a moment ago in
    the same batch included: three on auth make it a META-BLOCK."""
    inbox = Inbox(tmp_path / "inbox")
    first = inbox.record([_finding("scope-budget", "a" * 16),
                          _finding("domain-boundary", "b" * 16)], "server", repeat_threshold=2)
    assert [n.meta["attempts"] for n in first] == [1, 1]
    # Again, with a new violation first: its note is made before the repeats are.
    again = inbox.record([_finding("phase-gate", "c" * 16), _finding("scope-budget", "a" * 16)],
                         "server", repeat_threshold=2)
    ids = [n.id for n in again]
    assert ids[:2] == ["E-cccccccccccc", "E-aaaaaaaaaaaa"] and len(ids) == 3
    notes = _on_disk(tmp_path / "inbox")
    assert set(notes) == {"E-aaaaaaaaaaaa", "E-bbbbbbbbbbbb", "E-cccccccccccc", ids[2]}
    assert notes["E-aaaaaaaaaaaa"]["attempts"] == 2
    repeat = notes[ids[2]]
    assert repeat["repeat_of"] == "E-aaaaaaaaaaaa"
    assert repeat["category"] == "META-BLOCK", repeat
    assert "3 open escalations on this feature" in str(repeat["issue"])
    assert "E-cccccccccccc" in str(repeat["evidence"])


def test_a_failed_batch_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "b.md").mkdir()  # a directory where the second file goes: its rename fails
    with pytest.raises(OSError):
        fsutil.atomic_write_many([(tmp_path / "a.md", b"one\n"), (tmp_path / "b.md", b"two\n"),
                                  (tmp_path / "c.md", b"three\n")])
    assert (tmp_path / "a.md").read_bytes() == b"one\n"  # renamed before the failure
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "b.md"]
    many = [(tmp_path / "many" / f"n{k}.md", f"{k}\n".encode() * 1000) for k in range(40)]
    fsutil.atomic_write_many(many)
    assert all(p.read_bytes() == data for p, data in many)
    assert len(list((tmp_path / "many").iterdir())) == 40


def _note(root: Path, name: str, level: str, body: str = "") -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{name}.md").write_text(
        f"---\nid: {name}\nrule: hardcoded-secret\nlevel: {level}\nstatus: open\n"
        f"feature: auth\nwhere: ci\ncreated: '2026-11-29'\n---\n# note\n{body}\n",
        encoding="utf-8")


def test_open_halts_finds_every_spelling_of_halt(tmp_path: Path) -> None:
    root = tmp_path / "inbox"
    _note(root, "E-plain", "HALT")
    _note(root, "E-quoted", "'HALT'")
    _note(root, "E-escaped", '"\\x48ALT"')  # YAML's escape: no "HALT" in the text
    _note(root, "E-alert", "ALERT", body="Shows the HALT note to the human.")  # body only
    _note(root, "E-other", "ALERT")
    halts = Inbox(root).open_halts()
    assert halts == {"auth": ["E-escaped", "E-plain", "E-quoted"]}


def test_a_stream_closed_early_stops_its_git(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader that stops after the first commit (an error in judging it) leaves no git
    log running behind it, writing into a pipe nobody reads."""
    started = started_git_processes(monkeypatch)
    repo = make_repo(tmp_path / "r")
    line = "x" * 60 + "\n"
    for k in range(30):  # about 3.7 MB of patch: more than git's 1 MiB pipe holds
        repo.commit(f"c{k}", files={f"f{k}.txt": f"{k} {line}" * 2000})
    stream = gitmod.log_changes(gitmod.discover(repo.path), ["HEAD"], [])
    assert next(stream).commit is not None
    logs = [p for p in started if isinstance(p.args, tuple) and "log" in p.args]
    assert logs and any(p.poll() is None for p in logs)  # still streaming, pipe full
    stream.close()
    assert all(p.returncode is not None for p in logs)
    assert all(p.stdout is None or p.stdout.closed for p in logs)
    assert not [p for p in logs if os.path.exists(f"/proc/{p.pid}")]
