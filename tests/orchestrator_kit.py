# tests/orchestrator_kit.py: shared helpers of the orchestrator-side tests (no tests here).
"""Run the real CLI entry point (``gatekeeper.cli.main``) in this process: the same code as
the console script without an interpreter start per call, which keeps these scenario
tests fast. Repositories and commits are real; git is never mocked.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers import GitRepo, make_repo

from gatekeeper.cli import main

# AWS's documented example access key id, assembled so this file holds no literal key.
AWS_EXAMPLE_KEY = "AKIA" + "IOSFODNN7" + "EXAMPLE"


@dataclass
class Result:
    """What one CLI call did."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@contextlib.contextmanager
def _env(extra: Mapping[str, str | None]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in extra}
    try:
        for k, v in extra.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, old in saved.items():
            if old is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = old


def cli(cwd: Path, *args: str, env: Mapping[str, str | None] | None = None) -> Result:
    """``gatekeeper -C cwd ARGS`` in-process; returns exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    try:
        with _env(env or {}), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["-C", str(cwd), *args])
    finally:
        os.chdir(here)
    return Result(code, out.getvalue(), err.getvalue())


def ok(cwd: Path, *args: str, env: Mapping[str, str | None] | None = None) -> Result:
    """A CLI call that must succeed."""
    res = cli(cwd, *args, env=env)
    assert res.code == 0, f"gatekeeper {' '.join(args)} -> {res.code}\n{res.out}\n{res.err}"
    return res


def check(repo: GitRepo, agent: str | None = "backend-coder", *extra: str,
          env: Mapping[str, str | None] | None = None) -> tuple[int, dict[str, Any]]:
    """``check --staged --format json`` with a PACT-Agent trailer in the message."""
    msg = repo.path.parent / f"{repo.path.name}-msg.txt"
    msg.write_text("change\n" + (f"\nPACT-Agent: {agent}\n" if agent else ""), encoding="utf-8")
    res = cli(repo.path, "check", "--staged", "--message-file", str(msg), "--format", "json",
              *extra, env=env)
    assert res.code in (0, 1), res.err
    return res.code, res.json()


def ledger_commit(repo: GitRepo, message: str = "ledger") -> str:
    """Commit the orchestrator's ledger (and docs) on their own."""
    repo.git("add", "-A", ".pact")
    if (repo.path / "docs").exists():
        repo.git("add", "-A", "docs")
    return repo.commit(message, agent="orchestrator")


def setup_repo(path: Path, *, feature: str = "auth", paths: str = "src/auth/**",
               estimate: int | None = 100, phase: str = "code",
               config: str | None = None) -> GitRepo:
    """A repository with .pact/ (optionally a custom config) and one feature at ``phase``."""
    repo = make_repo(path)
    ok(repo.path, "init")
    if config is not None:
        (repo.path / ".pact" / "config.toml").write_text(config, encoding="utf-8")
    ledger_commit(repo, "set up pact")
    est = ["--estimate", str(estimate)] if estimate is not None else []
    ok(repo.path, "feature", "add", feature, "--paths", paths, *est)
    if phase != "declared":
        repo.write({f"docs/architecture/{feature}.md": f"# {feature} architecture\n"})
        ok(repo.path, "approve", feature, f"docs/architecture/{feature}.md")
        order = ["prepare", "architect", "code", "test", "done"]
        target = order.index(phase)
        if target >= 2:
            ok(repo.path, "phase", feature, "code", "--skip-reason", "plan_section_complete")
        else:
            ok(repo.path, "phase", feature, phase)
        for ph in order[3 : target + 1]:
            ok(repo.path, "phase", feature, ph)
    ledger_commit(repo, f"{feature} to {phase}")
    return repo


def lines(n: int, start: int = 0) -> str:
    """``n`` lines of harmless Python, with a header comment."""
    return "# generated test module\n" + "".join(f"v{i} = {i}\n" for i in range(start,
                                                                            start + n - 1))
