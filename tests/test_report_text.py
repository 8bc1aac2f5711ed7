# tests/test_report_text.py: the text report wraps to a terminal's width, and only on a terminal.
from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from helpers import REPO_ROOT, pact_repo


def _on_tty(cwd: Path, *args: str, columns: int) -> tuple[int, str]:
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "NO_COLOR": "1", "COLUMNS": str(columns),
           "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "gatekeeper", *args], cwd=cwd, env=env,
                            stdout=slave, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    code = proc.wait(timeout=60)
    os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


def test_block_wraps_to_the_terminal_and_not_when_piped(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r", phase="architect")
    repo.stage({"src/auth/login.py": "x = 1\n"})
    code, out = _on_tty(repo.path, "check", "--staged", "--agent", "backend-coder", "--no-notes",
                        columns=60)
    assert code == 1, out
    lines = out.splitlines()
    assert len(lines) > 8
    for ln in lines:
        # A single word (a path, a command argument) is never broken, so it may overflow.
        assert len(ln) <= 60 or " " not in ln.strip(), ln
    # Continuation lines are indented under their message.
    assert any(re.match(r"^    \S", ln) for ln in lines)
    piped = repo.gk("check", "--staged", "--agent", "backend-coder", "--no-notes",
                    env={"COLUMNS": "60"})
    fix = [ln for ln in piped.stdout.splitlines() if ln.startswith("  fix: ")]
    assert len(fix) == 1 and len(fix[0]) > 200  # one line: searchable, parseable
