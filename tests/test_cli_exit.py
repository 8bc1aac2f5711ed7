# tests/test_cli_exit.py: `python -m gatekeeper` ends without the interpreter's teardown, losing nothing.
"""``gatekeeper.cli.exit_process`` ends the process with ``os._exit`` once the streams are
flushed and the ``atexit`` callbacks have run: the output, the exit code and what the
callbacks clean up (the range's empty attribute directory) must all be there, and a
thread still running is waited for as the normal exit would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import REPO_ROOT, make_repo


def _python(code: str, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OUT": str(tmp_path)}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          timeout=60)


def test_output_code_and_callbacks_survive_the_quick_exit(tmp_path: Path) -> None:
    proc = _python(
        "import atexit, os, sys\n"
        "from gatekeeper.cli import exit_process\n"
        "atexit.register(lambda: open(os.environ['OUT'] + '/ran', 'w').write('yes'))\n"
        "sys.stdout.write('x' * 300000)\n"
        "sys.stderr.write('said')\n"
        "exit_process(3)\n", tmp_path)
    assert proc.returncode == 3
    assert proc.stdout == b"x" * 300000 and proc.stderr == b"said"
    assert (tmp_path / "ran").read_text() == "yes"


def test_a_running_thread_is_waited_for(tmp_path: Path) -> None:
    proc = _python(
        "import os, threading, time\n"
        "from gatekeeper.cli import exit_process\n"
        "def late():\n"
        "    time.sleep(0.3)\n"
        "    open(os.environ['OUT'] + '/late', 'w').write('done')\n"
        "threading.Thread(target=late).start()\n"
        "exit_process(0)\n", tmp_path)
    assert proc.returncode == 0
    assert (tmp_path / "late").read_text() == "done"


def test_a_range_check_leaves_no_temporary_directory(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    base = repo.head()
    repo.commit("more", files={"notes.txt": "one\n"})
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = repo.gk("check", "--range", f"{base}..HEAD", "--format", "json",
                   env={"TMPDIR": str(scratch)})
    assert proc.returncode in (0, 1), proc.stderr
    assert '"commits": 1' in proc.stdout
    assert list(scratch.iterdir()) == []  # the attribute-free directory was removed
