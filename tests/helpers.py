# tests/helpers.py: test helpers: real git repositories, real commits, and running the real CLI.
from __future__ import annotations

import io
import json
import os
import pty
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def git(cwd: Path, *args: str, check: bool = True, input: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run real git; raise with its output on failure."""
    proc = subprocess.run(["git", *args], cwd=cwd, text=True, capture_output=True, input=input,
                          env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


def gk(cwd: Path, *args: str, env: dict[str, str] | None = None, input: str | None = None,
       ) -> subprocess.CompletedProcess[str]:
    """Run the real `gatekeeper` CLI (as `python -m gatekeeper`) in ``cwd``."""
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "gatekeeper", *args], cwd=cwd, text=True,
                          capture_output=True, env=full_env, input=input)


@dataclass
class GitRepo:
    """A real temporary working repository."""

    path: Path

    def git(self, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        return git(self.path, *args, **kw)

    def gk(self, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        return gk(self.path, *args, **kw)

    def write(self, files: Mapping[str, str | bytes]) -> None:
        for name, content in files.items():
            p = self.path / name
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content, encoding="utf-8")

    def stage(self, files: Mapping[str, str | bytes]) -> None:
        self.write(files)
        self.git("add", "-A", "--", *files)

    def commit(self, message: str, *, agent: str | None = None, files: Mapping[str, str | bytes]
               | None = None, allow_empty: bool = False, extra_trailers: str = "") -> str:
        """Stage ``files`` and commit with --no-verify; return the new commit id."""
        if files:
            self.stage(files)
        msg = message
        trailers = (f"PACT-Agent: {agent}\n" if agent else "") + extra_trailers
        if trailers:
            msg += "\n\n" + trailers
        args = ["commit", "-q", "--no-verify", "-m", msg]
        if allow_empty:
            args.append("--allow-empty")
        self.git(*args)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()

    def check_staged(self, message: str = "", agent: str | None = None, *extra: str,
                     ) -> tuple[int, dict[str, Any]]:
        """`gatekeeper check --staged --format json`; returns (exit code, report)."""
        msg_file = self.path.parent / f"{self.path.name}-msg.txt"
        body = message + (f"\n\nPACT-Agent: {agent}\n" if agent else "\n")
        msg_file.write_text(body, encoding="utf-8")
        proc = self.gk("check", "--staged", "--message-file", str(msg_file), "--format", "json",
                       *extra)
        assert proc.returncode in (0, 1), proc.stderr
        return proc.returncode, json.loads(proc.stdout)

    def orchestrate(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run an orchestrator command and assert it succeeded."""
        proc = self.gk(*args)
        assert proc.returncode == 0, f"gatekeeper {' '.join(args)}: {proc.stderr}"
        return proc

    def commit_ledger(self, message: str = "ledger") -> str:
        self.git("add", "-A", ".pact", *(["docs"] if (self.path / "docs").exists() else []))
        return self.commit(message, agent="orchestrator")


def make_repo(path: Path) -> GitRepo:
    """A new repository with one initial commit (a README)."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    repo = GitRepo(path)
    repo.commit("initial", files={"README.md": "# test repo\n"})
    return repo


_TEMPLATES: dict[tuple[str, str, int, str], Path] = {}


def pact_repo(path: Path, *, feature: str = "auth", paths: str = "src/auth/**",
              estimate: int = 100, phase: str = "code") -> GitRepo:
    """A repository with .pact/ set up and one feature walked to ``phase`` (committed).

    Built once per session through the real CLI, then copied: the copies keep the same
    commit ids, so the ledger's baselines stay valid.
    """
    key = (feature, paths, estimate, phase)
    if key not in _TEMPLATES:
        tmpl = Path(tempfile.mkdtemp(prefix="pact-template-")) / "repo"
        _build_pact_repo(tmpl, feature=feature, paths=paths, estimate=estimate, phase=phase)
        _TEMPLATES[key] = tmpl
    shutil.copytree(_TEMPLATES[key], path, symlinks=True)
    return GitRepo(path)


def _build_pact_repo(path: Path, *, feature: str, paths: str, estimate: int,
                     phase: str) -> GitRepo:
    repo = make_repo(path)
    repo.orchestrate("init")
    repo.commit_ledger("set up pact")
    repo.orchestrate("feature", "add", feature, "--paths", paths, "--estimate", str(estimate))
    order = ["prepare", "architect", "code", "test", "done"]
    if phase in order:
        for ph in order[: order.index(phase) + 1]:
            if ph == "code":
                repo.write({f"docs/architecture/{feature}.md": f"# {feature} architecture\n"})
                repo.orchestrate("approve", feature, f"docs/architecture/{feature}.md")
            repo.orchestrate("phase", feature, ph)
    repo.commit_ledger(f"{feature} to {phase}")
    return repo


def findings(report: dict[str, Any], rule: str | None = None) -> list[dict[str, Any]]:
    """The report's (unwaived) findings, optionally of one rule."""
    return [f for f in report["findings"] if rule is None or f["rule"] == rule]


def gk_on_tty(cwd: Path, *args: str, env: Mapping[str, str] | None = None,
              columns: int = 80) -> tuple[int, str]:
    """Run the real CLI with stdout and stderr on a pseudo-terminal (colour, wrapping);
    return its exit code and what the terminal showed."""
    master, slave = pty.openpty()
    full = {**os.environ, **(env or {}), "TERM": "xterm", "COLUMNS": str(columns),
            "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "gatekeeper", *args], cwd=cwd, env=full,
                            stdout=slave, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closed: the process is gone
            break
        if not data:
            break
        chunks.append(data)
    code = proc.wait(timeout=60)
    os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


class ChunkyPipe(io.RawIOBase):
    """A pipe that returns short reads of random sizes (1 to ``most`` bytes), to test that
    stream parsers do not depend on where reads split."""

    def __init__(self, data: bytes, rnd: random.Random, most: int = 5000) -> None:
        self.data, self.pos, self.rnd, self.most = data, 0, rnd, most

    def readable(self) -> bool:
        return True

    def readinto(self, buf: bytearray | memoryview) -> int:  # type: ignore[override]
        size = min(len(buf), self.rnd.randint(1, self.most))
        out = self.data[self.pos : self.pos + size]
        buf[: len(out)] = out
        self.pos += len(out)
        return len(out)


def started_git_processes(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    """Every git process gatekeeper starts from now on (the test's), kept as it starts:
    ``gatekeeper.git._LIVE`` drops a process once it has exited, and a ``git log`` that has
    written all its output into the pipe exits before its reader is done."""
    from gatekeeper import git as gitmod

    started: list[subprocess.Popen[bytes]] = []
    popen = gitmod._popen

    def keep(args: Any, cwd: Path, **kw: Any) -> subprocess.Popen[bytes]:
        proc = popen(args, cwd, **kw)
        started.append(proc)
        return proc

    monkeypatch.setattr(gitmod, "_popen", keep)
    return started
