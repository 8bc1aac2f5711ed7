# tests/test_readme_quickstart.py: the README's quick start, run as printed, ends in a working gate.
"""Each command of the quick start's ``sh`` block runs verbatim in a fresh repository (with
``gatekeeper`` on PATH standing for the installed console script), with the two things the
block leaves to the reader done as the README says: the roster from its ``toml`` block is
put under ``[roster]``, and the architect's document is written before it is committed.
Then real commits through the installed hooks: code passes, code of an undeclared
feature's phase is blocked.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from helpers import REPO_ROOT, GitRepo, make_repo

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def _block(heading: str, lang: str) -> str:
    section = README[README.index(heading):]
    start = section.index(f"```{lang}\n") + len(f"```{lang}\n")
    return section[start:section.index("```", start)]


def _sh(cwd: Path, cmd: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-c", cmd], cwd=cwd, text=True, capture_output=True, env=env,
                          stdin=subprocess.DEVNULL)


def test_quick_start_as_printed(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "gatekeeper").write_text(
        f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m gatekeeper \"$@\"\n", encoding="utf-8")
    (bindir / "gatekeeper").chmod(0o755)
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(REPO_ROOT)}
    repo: GitRepo = make_repo(tmp_path / "your-repo")
    roster = _block("**The roster**", "toml")
    assert roster.startswith("[roster]\n") and "orchestrator = " in roster
    ran = []
    for raw in _block("## Quick start in a project", "sh").splitlines():
        line = raw.split("  #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if line.startswith(("python3 -m venv", "export PATH=", "cd your-repo")):
            continue  # the install: the shim on PATH stands for it; cwd is the repository
        if line.startswith("git add .pact"):
            # "Now fill [roster] in .pact/config.toml (see below), then commit .pact/ alone"
            cfg = repo.path / ".pact" / "config.toml"
            cfg.write_text(cfg.read_text(encoding="utf-8").replace(
                "[roster]\n", roster, 1), encoding="utf-8")
        if line.startswith("git add docs/architecture/auth.md"):
            # "The architect writes docs/architecture/auth.md, then commits it"
            repo.write({"docs/architecture/auth.md": "# auth: architecture\n"})
        proc = _sh(repo.path, line, env)
        assert proc.returncode == 0, f"{line}\n{proc.stdout}{proc.stderr}"
        ran.append(line)
    assert any("-- .pact" in c for c in ran) and any(c.startswith("gatekeeper approve") for c in ran)
    assert (repo.path / ".git" / "hooks" / "commit-msg").is_file()
    # Nothing left uncommitted in .pact/: every decision is in force for the hooks.
    assert repo.git("status", "--porcelain", "--", ".pact").stdout == ""
    # The gate works: the backend coder's code in auth passes ...
    repo.write({"src/auth/login.py": "def login() -> bool:\n    return True\n"})
    proc = _sh(repo.path, "git add src/auth/login.py && git commit -q -m 'Login' "
                          "--trailer 'PACT-Agent: backend-coder'", env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # ... and work on a feature still in ARCHITECT is blocked.
    _sh(repo.path, "gatekeeper feature add billing --paths 'src/billing/**' && "
                   "git commit -q -m 'Plan billing' --trailer 'PACT-Agent: orchestrator' -- .pact",
        env)
    repo.write({"src/billing/invoice.py": "X = 1\n"})
    proc = _sh(repo.path, "git add src/billing && git commit -q -m 'Invoice' "
                          "--trailer 'PACT-Agent: backend-coder'", env)
    assert proc.returncode == 1 and "BLOCK phase-gate" in proc.stdout + proc.stderr
