# tests/test_report_text.py: the text report wraps to a terminal's width, and only on a terminal.
from __future__ import annotations

import re
from pathlib import Path

from helpers import gk_on_tty, pact_repo


def test_block_wraps_to_the_terminal_and_not_when_piped(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r", phase="architect")
    repo.stage({"src/auth/login.py": "x = 1\n"})
    code, out = gk_on_tty(repo.path, "check", "--staged", "--agent", "backend-coder", "--no-notes",
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
