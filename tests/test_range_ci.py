# tests/test_range_ci.py: `check --range` as CI runs it: shallow clones, per-commit parity, batching.
"""CI ranges. A shallow clone that lacks what the range needs is refused loudly (exit 2,
naming the shallow clone and fetch-depth), never passed silently. A range gives the same
verdicts as checking its commits one by one. The number of git processes a range or a
pre-receive starts does not grow with the number of commits.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from helpers import GitRepo, git, gk
from server_helpers import ZERO, code, make_server, push, team_repo


def _report(proc_stdout: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(proc_stdout)
    return data


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[GitRepo, str]:
    """The team repository plus six commits, three of them violations; returns (repo, base)."""
    repo = team_repo(tmp_path_factory.mktemp("range") / "team")
    base = repo.head()
    repo.commit("auth 1", agent="backend-coder", files={"src/auth/a.py": code(10)})
    repo.commit("billing early", agent="backend-coder", files={"src/billing/b.py": code(5)})
    repo.commit("migration by backend", agent="backend-coder",
                files={"migrations/0001.sql": "-- m\nALTER TABLE t ADD c;\n"})
    repo.commit("docs", agent="backend-coder", files={"docs/notes.md": "notes\n"})
    repo.commit("spoof-free unknown role", agent="wizard", files={"src/auth/c.py": code(5)})
    repo.commit("auth too big", agent="backend-coder", files={"src/auth/big.py": code(40)})
    return repo, base


def test_range_matches_checking_each_commit(history: tuple[GitRepo, str]) -> None:
    repo, base = history
    proc = repo.gk("check", "--range", f"{base}..HEAD", "--format", "json", "--no-notes")
    assert proc.returncode == 1, proc.stderr
    ranged = _report(proc.stdout)
    assert ranged["commits"] == 6
    got = Counter((f["commit"], f["rule"], f["action"]) for f in ranged["findings"])
    shas = repo.git("rev-list", "--reverse", f"{base}..HEAD").stdout.split()
    one_by_one: Counter[tuple[str, str, str]] = Counter()
    for sha in shas:
        proc = repo.gk("check", "--commit", sha, "--format", "json", "--no-notes")
        assert proc.returncode in (0, 1), proc.stderr
        one_by_one.update((f["commit"], f["rule"], f["action"])
                          for f in _report(proc.stdout)["findings"])
    assert got == one_by_one
    rules = {rule for _c, rule, action in got if action == "block"}
    assert {"phase-gate", "domain-boundary", "scope-budget"} <= rules


def test_shallow_clone_without_the_base_is_refused(history: tuple[GitRepo, str],
                                                   tmp_path: Path) -> None:
    repo, base = history
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo.path}", "ci")
    ci = tmp_path / "ci"
    proc = gk(ci, "check", "--range", f"{base}..HEAD")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "shallow" in proc.stderr and "fetch-depth: 0" in proc.stderr
    assert "GIT_DEPTH: 0" in proc.stderr and "Traceback" not in proc.stderr
    # The base fetched on its own (depth 1) still leaves a gap in the range: refused too.
    git(ci, "fetch", "-q", "--depth", "1", "origin", base)
    proc = gk(ci, "check", "--range", f"{base}..HEAD")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "shallow" in proc.stderr and "fetch-depth: 0" in proc.stderr
    # With the full history the same range is judged (and blocked).
    git(ci, "fetch", "-q", "--unshallow", "origin")
    proc = gk(ci, "check", "--range", f"{base}..HEAD")
    assert proc.returncode == 1 and "BLOCK phase-gate" in proc.stdout


def test_missing_range_base_is_an_error_not_a_pass(history: tuple[GitRepo, str]) -> None:
    repo, _base = history
    proc = repo.gk("check", "--range", "origin/main..HEAD")
    assert proc.returncode == 2 and "origin/main" in proc.stderr


# ---------------------------------------------------------------- batching: constant processes


def _grow(repo: GitRepo, n: int, tag: str) -> None:
    for i in range(n):
        repo.commit(f"{tag} {i}", agent="backend-coder",
                    files={f"src/auth/{tag}_{i}.py": f"# {tag}\nv = {i}\n"})


def _traced(trace: Path) -> list[str]:
    lines = trace.read_text().splitlines() if trace.exists() else []
    trace.unlink(missing_ok=True)
    return lines


@pytest.mark.parametrize("mode", ["range", "pre-receive"])
def test_git_process_count_does_not_grow_with_commits(tmp_path: Path, mode: str) -> None:
    repo = team_repo(tmp_path / "team", estimate=400)
    bare = make_server(repo, tmp_path / "srv.git") if mode == "pre-receive" else None
    trace = tmp_path / "trace.txt"
    counts = {}
    for n in (5, 50):
        start = repo.head()
        _grow(repo, n, f"n{n}")
        env = {"GATEKEEPER_TRACE_GIT": str(trace)}
        if mode == "range":
            proc = repo.gk("check", "--range", f"{start}..HEAD", "--format", "json", env=env)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            assert _report(proc.stdout)["commits"] == n
        else:
            assert bare is not None
            proc = push(repo, "origin", "HEAD:main", env=env)
            assert proc.returncode == 0, proc.stderr
        counts[n] = _traced(trace)
    assert len(counts[5]) == len(counts[50]), counts
    assert sorted(counts[5]) == sorted(counts[50])
    assert sum(1 for c in counts[50] if c.startswith("log")) == 1
    assert len(counts[50]) <= 8, counts[50]


def test_pre_receive_hook_direct_input_forms(tmp_path: Path) -> None:
    """The hook's stdin, fed by hand: garbage lines are ignored, deletions judge nothing."""
    repo = team_repo(tmp_path / "team")
    bare = make_server(repo, tmp_path / "srv.git")
    head = repo.head()
    proc = gk(bare, "hook", "pre-receive", input=f"garbage\n{head} {ZERO} refs/heads/x\n",
              env={"REMOTE_USER": "bob"})
    assert proc.returncode == 0, proc.stderr
