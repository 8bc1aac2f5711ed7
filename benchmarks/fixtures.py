# benchmarks/fixtures.py: builds the benchmark repositories with `git fast-import`, in seconds.
"""Synthetic but realistic PACT repositories for the benchmarks.

Everything is written as one ``git fast-import`` stream per stage (never one git process
per file or commit), so a 100,000-file tree or a 100,000-commit history takes seconds.

Every repository has the same shape:

- ``lib/pkgNNNN/modNNNNNN.py``: bulk files that only make the tree big;
- ``src/auth/mNN.py``: the feature ``auth`` (in CODE, architecture approved);
- ``docs/architecture/auth.md``, ``.pact/config.toml`` (a roster) and ``.pact/ledger.yaml``;
- optionally a long history of tiny commits (one small file each) before all of that.

Working repositories get their staged change with ``git read-tree`` and
``git update-index`` rather than a checkout: the gatekeeper, git's ``diff --cached`` and
gitlint only read the index, and checking out 100,000 files would dominate the build.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

AUTHOR = "Dev Eloper <dev@example.com>"
LEAD = "Lead Orchestrator <lead@example.com>"
EPOCH = 1_700_000_000
FEATURE_FILES = 20
FEATURE_LINES = 40
ARCH_DOC = b"# Architecture of auth\n\nSessions, tokens and throttling, in three modules.\n"
CONFIG = b"""# .pact/config.toml: benchmark project configuration.
[roster]
orchestrator = ["lead@example.com", "lead"]
backend-coder = ["dev@example.com", "dev"]
"""
MESSAGE = ("auth: throttle repeated logins\n\n"
           "Count failed attempts per account and slow down the next try.\n\n"
           "PACT-Agent: backend-coder\n")


def git(*args: str, cwd: Path, input: bytes | None = None) -> str:
    """Run git quietly; raise with its stderr on failure; return stdout."""
    proc = subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True,
                          env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"})
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode()


class Stream:
    """A ``git fast-import`` stream under construction (inline data, no marks needed)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.when = EPOCH

    def commit(self, ref: str, message: str, files: dict[str, bytes], *,
               parent: str | None = None, who: str = AUTHOR) -> None:
        """Append one commit to ``ref`` that writes ``files`` (continuing ``ref`` if no parent)."""
        self.when += 60
        msg = message.encode()
        out = [f"commit {ref}\n".encode(),
               f"author {who} {self.when} +0000\n".encode(),
               f"committer {who} {self.when} +0000\n".encode(),
               b"data %d\n" % len(msg), msg, b"\n"]
        if parent is not None:
            out.append(f"from {parent}\n".encode())
        for path, data in files.items():
            out.append(f"M 100644 inline {path}\n".encode())
            out.append(b"data %d\n" % len(data))
            out.append(data)
            out.append(b"\n")
        out.append(b"\n")
        self.parts.append(b"".join(out))

    def run(self, git_dir: Path) -> None:
        """Feed the stream to ``git fast-import`` in ``git_dir``."""
        git(f"--git-dir={git_dir}", "fast-import", "--quiet", cwd=git_dir,
            input=b"".join(self.parts) + b"done\n")


def bulk_files(count: int) -> dict[str, bytes]:
    """``count`` small modules that make the tree big (100 per directory)."""
    return {f"lib/pkg{i // 100:04d}/mod{i:06d}.py":
            f"# lib/pkg{i // 100:04d}/mod{i:06d}.py: generated module {i}.\nVALUE = {i}\n".encode()
            for i in range(count)}


def feature_lines(n: int, seed: int = 0) -> list[str]:
    """The lines of feature module ``n``: a header comment, then plain constants."""
    lines = [f"# src/auth/m{n:02d}.py: authentication helpers, part {n}.", ""]
    lines += [f"LIMIT_{k} = {k * 7 + seed}" for k in range(FEATURE_LINES - 2)]
    return lines


def feature_files() -> dict[str, bytes]:
    """The feature's files as committed at the baseline."""
    return {f"src/auth/m{n:02d}.py": ("\n".join(feature_lines(n)) + "\n").encode()
            for n in range(FEATURE_FILES)}


def event_yaml(fields: dict[str, object]) -> str:
    """One ledger event as a YAML document (ints bare, strings and list items quoted)."""
    out = ["---"]
    for key, value in fields.items():
        if isinstance(value, list):
            out.append(f"{key}:")
            out += [f"- '{v}'" for v in value]
        else:
            out.append(f"{key}: {value}" if isinstance(value, int) else f"{key}: '{value}'")
    return "\n".join(out) + "\n"


def ledger(events: int, baseline: str | None) -> bytes:
    """A ledger of exactly ``events`` events (at least 10) in which ``auth`` is in CODE.

    Without a baseline, the ledger stops before ``auth`` enters CODE (the first stage).
    Above 10 events, filler features (declared, prepared, architected, approved, in CODE)
    and estimate revisions make up the count, as in a long-running project.
    """
    stamp = {"at": "2024-01-01T00:00:00Z", "by": "lead@example.com"}
    arch = hashlib.sha256(ARCH_DOC).hexdigest()
    evs: list[dict[str, object]] = [
        {"event": "init", "version": 1, **stamp},
        {"event": "feature", "id": "auth", "title": "auth", "paths": ["src/auth/**"],
         "estimate": 100000, **stamp},
        {"event": "feature", "id": "billing", "title": "billing", "paths": ["src/billing/**"],
         "estimate": 400, **stamp},
        {"event": "phase", "feature": "auth", "phase": "prepare", **stamp},
        {"event": "phase", "feature": "auth", "phase": "architect", **stamp},
        {"event": "approve", "feature": "auth", "kind": "architecture",
         "path": "docs/architecture/auth.md", "sha256": arch, **stamp},
    ]
    if baseline is None:
        return "".join(event_yaml(e) for e in evs).encode()
    evs += [
        {"event": "phase", "feature": "auth", "phase": "code", "baseline": baseline, **stamp},
        {"event": "phase", "feature": "billing", "phase": "prepare", **stamp},
        {"event": "estimate", "feature": "auth", "lines": 200000, "reason": "rate limits",
         **stamp},
    ]
    n = 0
    while len(evs) + 5 <= events - 1:
        fid = f"f{n:04d}"
        evs += [
            {"event": "feature", "id": fid, "title": fid, "paths": [f"svc/{fid}/**"],
             "estimate": 500, **stamp},
            {"event": "phase", "feature": fid, "phase": "prepare", **stamp},
            {"event": "phase", "feature": fid, "phase": "architect", **stamp},
            {"event": "approve", "feature": fid, "kind": "architecture",
             "path": f"docs/architecture/{fid}.md", "sha256": arch, **stamp},
            {"event": "phase", "feature": fid, "phase": "code", "baseline": baseline, **stamp},
        ]
        n += 1
    while len(evs) < events - 1:
        evs.append({"event": "estimate", "feature": "auth", "lines": 200000 + len(evs),
                    "reason": "revised after review", **stamp})
    evs.append({"event": "phase", "feature": "billing", "phase": "architect", **stamp})
    return "".join(event_yaml(e) for e in evs).encode()


def _base(git_dir: Path, *, files: int, history: int, events: int, branches: Iterable[str],
          ) -> str:
    """Import history + base tree + ledger into ``git_dir``; return the tip commit id."""
    s = Stream()
    for i in range(history):
        s.commit("refs/heads/main", f"history {i}\n", {"history.txt": f"{i}\n".encode()})
    tree = {**bulk_files(max(0, files - FEATURE_FILES - 4)), **feature_files(),
            "docs/architecture/auth.md": ARCH_DOC, ".pact/config.toml": CONFIG,
            ".pact/ledger.yaml": ledger(events, None)}
    s.commit("refs/heads/main", "import the project\n\nPACT-Agent: orchestrator\n", tree,
             who=LEAD)
    s.run(git_dir)
    baseline = git("rev-parse", "refs/heads/main", cwd=git_dir).strip()
    s = Stream()
    s.when += 10_000_000
    s.commit("refs/heads/main", "auth enters CODE\n\nPACT-Agent: orchestrator\n",
             {".pact/ledger.yaml": ledger(events, baseline)}, parent=baseline, who=LEAD)
    s.run(git_dir)
    tip = git("rev-parse", "refs/heads/main", cwd=git_dir).strip()
    for b in branches:
        git("update-ref", f"refs/heads/{b}", tip, cwd=git_dir)
    return tip


@dataclass
class Workspace:
    """A working repository with a staged change and a commit message file."""

    top: Path
    message_file: Path


def staged_change() -> dict[str, bytes]:
    """The typical commit: 10 files, 300 changed lines in ``auth``.

    7 modules get 15 lines rewritten (15 added + 15 deleted each) and 3 new modules of
    30 lines (with header comments) are added.
    """
    out: dict[str, bytes] = {}
    for n in range(7):
        lines = feature_lines(n)
        lines[2:17] = [f"LIMIT_{k} = {k * 11 + 3}" for k in range(15)]
        out[f"src/auth/m{n:02d}.py"] = ("\n".join(lines) + "\n").encode()
    for j in range(3):
        lines = [f"# src/auth/throttle{j}.py: login throttling, step {j}.", ""]
        lines += [f"WINDOW_{k} = {k * 5 + j}" for k in range(28)]
        out[f"src/auth/throttle{j}.py"] = ("\n".join(lines) + "\n").encode()
    return out


def workspace(root: Path, *, files: int = 300, history: int = 10, events: int = 10,
              checkout: bool = False) -> Workspace:
    """A working repository at ``root`` with :func:`staged_change` in its index.

    Without ``checkout`` only the index is populated (read-tree); with it, the tree is
    checked out too (gitlint and people expect one; the gatekeeper does not read it).
    """
    root.mkdir(parents=True)
    git("init", "-q", "-b", "main", cwd=root)
    for key, value in (("user.name", "Dev Eloper"), ("user.email", "dev@example.com"),
                       ("gc.auto", "0")):
        git("config", key, value, cwd=root)
    _base(root / ".git", files=files, history=history, events=events, branches=())
    if checkout:
        git("checkout", "-q", "-f", "main", cwd=root)
    else:
        git("read-tree", "HEAD", cwd=root)
    change = staged_change()
    for path, data in change.items():
        p = root / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    git("update-index", "--add", "--", *change, cwd=root)
    msg = root.parent / f"{root.name}.MSG"
    msg.write_text(MESSAGE, encoding="utf-8")
    return Workspace(top=root, message_file=msg)


@dataclass
class Server:
    """A bare repository holding unreferenced new commits, as during a push."""

    git_dir: Path
    old: str
    new: str
    commits: int

    @property
    def stdin(self) -> str:
        """The pre-receive hook's input for this push."""
        return f"{self.old} {self.new} refs/heads/feature\n"


def _push_commits(base: str, count: int) -> Stream:
    """``count`` commits on ``base``: each rewrites lines in 1-3 feature modules, and every
    tenth also adds a small new module (so some files grow, as real work does)."""
    s = Stream()
    s.when += 20_000_000
    current = {n: feature_lines(n) for n in range(FEATURE_FILES)}
    for i in range(count):
        touched: dict[str, bytes] = {}
        for j in range(1 + i % 3):
            n = (i * 7 + j * 3) % FEATURE_FILES
            lines = current[n]
            k = 2 + (i + j) % (FEATURE_LINES - 4)
            lines[k] = f"LIMIT_{k - 2} = {i * 13 + j}"
            lines[k + 1] = f"LIMIT_{k - 1} = {i * 17 + j}"
            touched[f"src/auth/m{n:02d}.py"] = ("\n".join(lines) + "\n").encode()
        if i % 10 == 9:
            new = [f"# src/auth/gen/c{i:05d}.py: generated check {i}.", ""]
            new += [f"CHECK_{k} = {i + k}" for k in range(6)]
            touched[f"src/auth/gen/c{i:05d}.py"] = ("\n".join(new) + "\n").encode()
        s.commit("refs/bench/incoming", f"auth: step {i}\n\nTune limits, round {i}.\n\n"
                 "PACT-Agent: backend-coder\n", touched, parent=base if i == 0 else None)
    return s


def server(root: Path, *, commits: int, files: int = 300) -> Server:
    """A bare repository whose ``feature`` branch is about to receive ``commits`` commits.

    The new commits are imported and then unreferenced, so ``rev-list NEW --not --all``
    finds exactly them, as git's own receive-pack would present them to pre-receive.
    """
    root.mkdir(parents=True)
    git("init", "-q", "--bare", "-b", "main", cwd=root)
    git("config", "gc.auto", "0", cwd=root)
    old = _base(root, files=files, history=10, events=10, branches=("feature",))
    _push_commits(old, commits).run(root)
    new = git("rev-parse", "refs/bench/incoming", cwd=root).strip()
    git("update-ref", "-d", "refs/bench/incoming", cwd=root)
    found = git("rev-list", "--count", new, "--not", "--all", cwd=root).strip()
    if int(found) != commits:
        raise RuntimeError(f"expected {commits} new commits, rev-list found {found}")
    return Server(git_dir=root, old=old, new=new, commits=commits)

