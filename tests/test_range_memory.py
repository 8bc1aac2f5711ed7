# tests/test_range_memory.py: a range check's memory stays flat in the number of commits judged.
"""Issue 13: ``check --range`` and the pre-receive hook hold one commit's added text at a time.

A range whose every commit adds a file beyond the scan limit (kept for the scan-limit notice
or block) and whose merges bring in large new files (kept for the merge views) used to keep
each of those commits' added lines until the end. The real CLI runs in a subprocess under
``tracemalloc``; its peak over 40 such units must not grow with the number of units.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO_ROOT, git, pact_repo, started_git_processes

LINE = "generated line {n:06d} of bulk text that a range keeps only while judging it\n"
LIMIT = 100_000  # GATEKEEPER_SCAN_LIMIT: each generated file is three times this


def _bulk(seed: int) -> bytes:
    return "".join(LINE.format(n=seed * 10_000 + i) for i in range(4_000)).encode()


def _history(repo: Path, units: int) -> list[str]:
    """``units`` commits on main, each adding a 300 KB file; every fifth is a merge of a side
    commit, whose merge result adds one more 300 KB file that neither parent has (so the
    combined diff carries it). One ``git fast-import``. Returns main's commit per unit."""
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    out: list[bytes] = []
    mark = 0

    def commit(ref: str, msg: str, parents: list[str], files: dict[str, bytes]) -> str:
        nonlocal mark
        mark += 1
        out.append(f"commit {ref}\nmark :{mark}\n"
                   f"author Dev <dev@example.com> {1_700_000_000 + mark} +0000\n"
                   f"committer Dev <dev@example.com> {1_700_000_000 + mark} +0000\n"
                   f"data {len(msg)}\n{msg}\n".encode())
        out.append(f"from {parents[0]}\n".encode())
        for p in parents[1:]:
            out.append(f"merge {p}\n".encode())
        for path, data in files.items():
            out.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        return f":{mark}"

    tip = head
    tips: list[str] = []
    for u in range(units):
        if u % 5 == 4:
            side = commit("refs/heads/side", f"side {u}\n", [tip], {f"side/s{u}.txt": b"x\n"})
            tip = commit("refs/heads/main", f"merge {u}\n", [tip, side],
                         {f"side/s{u}.txt": b"x\n", f"data/merged{u}.txt": _bulk(u)})
        else:
            tip = commit("refs/heads/main", f"unit {u}\n", [tip], {f"data/f{u}.txt": _bulk(u)})
        tips.append(tip)
    out.append(b"".join(f"reset refs/tags/u{i}\nfrom {t}\n\n".encode()
                        for i, t in enumerate(tips)))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(out), check=True)
    git(repo, "reset", "-q", "--hard", "main")
    return [git(repo, "rev-parse", f"u{i}").stdout.strip() for i in range(units)]


_PEAK = ("import sys, tracemalloc\n"
         "tracemalloc.start()\n"
         "from gatekeeper.cli import main\n"
         "rc = main(sys.argv[1:])\n"
         "sys.stderr.write('PEAK %d\\n' % tracemalloc.get_traced_memory()[1])\n"
         "sys.exit(rc)\n")


def _peak(repo: Path, base: str, tip: str) -> tuple[int, dict[str, Any]]:
    env = {**os.environ, "GATEKEEPER_SCAN_LIMIT": str(LIMIT),
           "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-c", _PEAK, "check", "--range", f"{base}..{tip}",
                           "--format", "json", "--no-notes"], cwd=repo, env=env,
                          capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr
    peak = int(proc.stderr.rsplit("PEAK ", 1)[1].split()[0])
    return peak, json.loads(proc.stdout)


def test_range_memory_does_not_grow_with_commits(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "repo")
    # The content detectors' own cache of recent files (signals/_common.py, bounded by its
    # character budget) is left out: this measures what the range driver keeps.
    config = repo.path / ".pact" / "config.toml"
    config.write_text(config.read_text().replace('packs = ["pact-core", "pact-signals"]',
                                                 'packs = ["pact-core"]'))
    repo.commit_ledger("core rules only")
    base = git(repo.path, "rev-parse", "HEAD").stdout.strip()
    tips = _history(repo.path, 40)
    _peak(repo.path, base, tips[0])  # the first run builds the context cache: not measured
    short, short_report = _peak(repo.path, base, tips[7])
    full, full_report = _peak(repo.path, base, tips[-1])
    # What the user relies on is still there: every oversized file is named in the notice.
    assert full_report["commits"] == 48 and short_report["commits"] == 9
    notice = " ".join(full_report["notices"])
    assert "read only the first 100,000 bytes" in notice and "and 35 more" in notice
    # Holding each unit's kept text (100 KB as ~1,300 line tuples, about 0.3 MB) would add
    # ~10 MB from 8 to 40 units; what the range keeps per commit is ids and paths.
    assert full - short < 3_000_000, (short, full)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="F_SETPIPE_SZ is Linux's")
def test_git_writes_ahead_while_a_commit_is_judged(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """While Python judges one commit, git keeps writing the next ones into the pipe (up to
    1 MiB) instead of stopping at 64 KiB and waiting: the two run side by side."""
    import fcntl
    import termios
    import time

    from gatekeeper import git as gkgit

    started = started_git_processes(monkeypatch)
    repo = pact_repo(tmp_path / "repo")
    base = git(repo.path, "rev-parse", "HEAD").stdout.strip()
    tips = _history(repo.path, 6)
    stream = gkgit.log_changes(gkgit.discover(repo.path), [tips[-1]], [base])
    try:
        first = next(stream)  # the parser holds one commit; the rest is git's to write
        assert first.files and first.files[0].added == 4_000
        proc = next(p for p in started if "log" in p.args)  # type: ignore[operator]
        assert proc.stdout is not None
        waiting, deadline = 0, time.monotonic() + 10
        while time.monotonic() < deadline:
            buf = bytearray(4)
            fcntl.ioctl(proc.stdout.fileno(), termios.FIONREAD, buf)
            waiting = int.from_bytes(buf, sys.byteorder)
            if waiting > 256 * 1024:
                break
            time.sleep(0.05)
        assert waiting > 256 * 1024, f"git wrote only {waiting} bytes ahead"
        assert sum(1 for _ in stream) == 6  # the rest still parses (7 commits in all)
    finally:
        getattr(stream, "close", lambda: None)()  # stops git if an assertion failed
