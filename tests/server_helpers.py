# tests/server_helpers.py: shared builders for the hook, server and range tests (no tests here).
"""A PACT team repository with a roster, bare "server" copies with the pre-receive hook
installed, real pushes, and reading the bare repository's escalation inbox.

Team: alice is the orchestrator, carol the architect, bob the backend coder, dana the database engineer.
Features: ``auth`` (``src/auth/**``, estimate 40 lines) is in CODE with an approved
architecture; ``billing`` (``src/billing/**``) is only in ARCHITECT.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml
from helpers import REPO_ROOT, GitRepo, git, gk, make_repo

ROSTER = {"orchestrator": ["alice"], "architect": ["carol"], "backend-coder": ["bob"],
          "database-engineer": ["dana"]}
#: Only alice may update refs/heads/release (rule protected-ref).
PROTECTED = '\n[server.protected_refs]\n"refs/heads/release" = ["alice"]\n'

ZERO = "0" * 40


def write_roster(repo: GitRepo) -> None:
    """Fill ``[roster]`` in ``.pact/config.toml`` and protect ``refs/heads/release``."""
    cfg = repo.path / ".pact" / "config.toml"
    text = cfg.read_text(encoding="utf-8")
    roster = "".join(f'"{role}" = {users!r}\n'.replace("'", '"') for role, users in ROSTER.items())
    text = text.replace("[roster]\n", "[roster]\n" + roster, 1)
    text += PROTECTED
    cfg.write_text(text, encoding="utf-8")


_TEMPLATES: dict[int, Path] = {}


def team_repo(path: Path, *, estimate: int = 40) -> GitRepo:
    """The team repository described in the module docstring, fully committed.

    Built once per session and estimate, then copied (a dozen CLI runs cost seconds)."""
    if estimate not in _TEMPLATES:
        tmp = Path(tempfile.mkdtemp(prefix="pact-team-"))
        atexit.register(shutil.rmtree, tmp, True)
        _build_team_repo(tmp / "team", estimate)
        _TEMPLATES[estimate] = tmp / "team"
    shutil.copytree(_TEMPLATES[estimate], path, symlinks=True)
    return GitRepo(path)


def _build_team_repo(path: Path, estimate: int) -> GitRepo:
    repo = make_repo(path)
    repo.orchestrate("init")
    write_roster(repo)
    repo.commit_ledger("set up pact")
    repo.orchestrate("feature", "add", "auth", "--paths", "src/auth/**", "--estimate",
                     str(estimate))
    repo.orchestrate("feature", "add", "billing", "--paths", "src/billing/**", "--estimate", "50")
    for feature in ("auth", "billing"):
        for ph in ("prepare", "architect"):
            repo.orchestrate("phase", feature, ph)
    repo.commit_ledger("auth and billing to ARCHITECT")
    repo.commit("auth architecture", agent="architect",
                files={"docs/architecture/auth.md": "# auth architecture\n"})
    repo.orchestrate("approve", "auth", "docs/architecture/auth.md")
    repo.orchestrate("phase", "auth", "code")
    repo.commit_ledger("auth to CODE")
    return repo


def make_server(repo: GitRepo, bare: Path) -> Path:
    """A bare copy of ``repo`` (its history is trusted) with the pre-receive hook installed."""
    git(repo.path.parent, "clone", "-q", "--bare", str(repo.path), str(bare))
    proc = gk(bare, "install", "--server", str(bare))
    assert proc.returncode == 0, proc.stderr
    repo.git("remote", "add", "origin", str(bare))
    repo.git("fetch", "-q", "origin")
    return bare


def push(repo: GitRepo, *args: str, user: str | None = "bob",
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A real ``git push`` (never raising); ``user`` becomes REMOTE_USER for file:// pushes."""
    extra = dict(env or {})
    if user is not None:
        extra["REMOTE_USER"] = user
    extra["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    return git(repo.path, "push", *args, check=False, env=extra)


def ref_of(bare: Path, ref: str) -> str | None:
    """The object id ``ref`` names in ``bare``, or None."""
    proc = git(bare, "rev-parse", "-q", "--verify", ref, check=False)
    return proc.stdout.strip() or None


def inbox(bare: Path) -> list[dict[str, Any]]:
    """The front matter of every escalation note in the bare repository's inbox."""
    notes = []
    root = bare / "pact" / "escalations"
    for path in sorted(root.glob("*.md")) if root.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        front = text.split("---\n", 2)[1]
        notes.append(yaml.safe_load(front))
    return notes


def inbox_rules(bare: Path) -> set[str]:
    """The rule ids of the notes in the bare repository's inbox."""
    return {n["rule"] for n in inbox(bare)}


def clear_inbox(bare: Path) -> None:
    """Empty the inbox (so a test can tell which push wrote which note)."""
    shutil.rmtree(bare / "pact" / "escalations", ignore_errors=True)


def code(lines: int, tag: str = "x") -> str:
    """``lines`` lines of Python, the first a header comment (rule file-header)."""
    return "# test module\n" + "".join(f"{tag}_{i} = {i}\n" for i in range(lines - 1))
