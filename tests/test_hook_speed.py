# tests/test_hook_speed.py: what keeps the warm commit-msg hook fast (issue 13), tested without timing.
"""The warm commit-msg hook is held near its floor by three things, each guarded here by
what can really fail, never by a stopwatch:

- what a clean commit imports (no pydantic, PyYAML, argparse, json, tempfile, hashlib,
  datetime, typing...): a module-level import added anywhere on the path shows up here;
- which git processes it starts: the early starts of gatekeeper/early.py must all be
  claimed (a drift between their command lines and the real ones would start them twice),
  and a retry reads the scope budget's line counts from the cache;
- the scope budget's blob-pair cache (gatekeeper/scopestats.py) gives exactly what a
  full ``numstat`` gives, whatever the paths went through (renames, attributes, binaries,
  symlinks, mode changes), and a damaged cache file is ignored, never trusted.
"""

from __future__ import annotations

import ast
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT, GitRepo, gk, pact_repo

from gatekeeper import git as gitmod

MESSAGE = "auth: add a module\n\nPACT-Agent: backend-coder\n"
#: Modules a warm, clean commit-msg run must not import (each costs milliseconds).
HEAVY = ("pydantic", "yaml", "argparse", "json", "tempfile", "shutil", "hashlib", "datetime",
         "dataclasses", "inspect", "textwrap", "tomllib", "tomli", "gatekeeper.schema",
         "gatekeeper.install", "gatekeeper.sarif", "gatekeeper.explain", "pickle", "typing")

# Runs the hook exactly as `python -m gatekeeper hook commit-msg FILE` does, then reports
# the exit code and every module loaded (taken before anything else is imported).
# exit_process raises as the normal exit does (it would end the process at once), so that
# the wrapper gets to report.
WRAPPER = (
    "import runpy, sys\n"
    "import gatekeeper.cli\n"
    "def normal_exit(code):\n"
    "    raise SystemExit(code)\n"
    "gatekeeper.cli.exit_process = normal_exit\n"
    "sys.argv = ['gatekeeper', 'hook', 'commit-msg', sys.argv[1]]\n"
    "code = 0\n"
    "try:\n"
    "    runpy.run_module('gatekeeper', run_name='__main__', alter_sys=True)\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "mods = sorted(sys.modules)\n"
    "sys.stderr.write('\\nMODULES ' + repr((code, mods)) + '\\n')\n")


def _hook(repo: GitRepo, msg: Path, cwd: Path | None = None, trace: Path | None = None,
          ) -> tuple[int, list[str], str]:
    """(exit code, modules loaded, stderr before the report) of one commit-msg run."""
    env = {k: v for k, v in os.environ.items() if k != "GATEKEEPER_NO_CACHE"}  # cache on
    env["PYTHONPATH"] = str(REPO_ROOT)
    if trace is not None:
        env["GATEKEEPER_TRACE_GIT"] = str(trace)
    proc = subprocess.run([sys.executable, "-c", WRAPPER, str(msg)], cwd=cwd or repo.path,
                          env=env, capture_output=True, text=True)
    err, _, tail = proc.stderr.rpartition("\nMODULES ")
    code, mods = ast.literal_eval(tail.strip())
    return int(code), list(mods), err


def _traced(trace: Path) -> list[str]:
    lines = trace.read_text().splitlines() if trace.exists() else []
    trace.unlink(missing_ok=True)
    return lines


@pytest.fixture(autouse=True)
def _cache_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the cache: on, even in tests/run.sh's second, cache-less pass."""
    monkeypatch.delenv("GATEKEEPER_NO_CACHE", raising=False)


@pytest.fixture
def staged(tmp_path: Path) -> tuple[GitRepo, Path]:
    """auth in CODE (estimate 100) with a clean change to it staged, and its message file."""
    repo = pact_repo(tmp_path / "repo")
    repo.stage({"src/auth/session.py": "# src/auth/session.py: session limits.\n"
                + "".join(f"LIMIT_{i} = {i}\n" for i in range(12))})
    msg = tmp_path / "COMMIT_EDITMSG"
    msg.write_text(MESSAGE, encoding="utf-8")
    return repo, msg


def test_warm_clean_commit_imports_nothing_heavy(staged: tuple[GitRepo, Path]) -> None:
    repo, msg = staged
    code, cold, _ = _hook(repo, msg)  # builds the validated-context cache
    assert code == 0
    assert "pydantic" in cold  # the cold run validated the ledger: the cache is new
    code, warm, err = _hook(repo, msg)
    assert code == 0 and err.strip() == "", err  # clean: no finding at all
    assert "gatekeeper.checker" in warm and "gatekeeper.rules.scope" in warm  # it judged
    assert [m for m in warm if m.split(".")[0] in HEAVY or m in HEAVY] == []
    # No inbox yet, so no note to read for open HALTs: the inbox's code is not loaded.
    assert not (repo.path / ".git" / "pact" / "escalations").exists()
    assert "gatekeeper.escalations" not in warm and "gatekeeper.flatyaml" not in warm


def test_warm_commit_with_a_warning_imports_nothing_heavy(tmp_path: Path) -> None:
    """A finding is fingerprinted (SHA-256) on every run that has one: through CPython's own
    SHA-256 (gatekeeper/digest.py), not hashlib, whose import loads OpenSSL."""
    repo = pact_repo(tmp_path / "repo")
    repo.stage({"src/auth/session.py": "# src/auth/session.py: session limits.\n"
                + "".join(f"LIMIT_{i} = {i}\n" for i in range(110))})  # 111 of 100 (+20%)
    msg = tmp_path / "COMMIT_EDITMSG"
    msg.write_text(MESSAGE, encoding="utf-8")
    assert _hook(repo, msg)[0] == 0  # builds the validated-context cache
    code, warm, err = _hook(repo, msg)
    assert code == 0, err
    assert "WARN scope-budget" in err and "111 of 100 estimated lines" in err
    assert "gatekeeper.digest" in warm  # the warning was fingerprinted
    assert [m for m in warm if m.split(".")[0] in HEAVY or m in HEAVY] == []


def test_warm_clean_commit_git_processes(staged: tuple[GitRepo, Path], tmp_path: Path) -> None:
    repo, msg = staged
    trace = tmp_path / "trace.txt"
    assert _hook(repo, msg, trace=trace)[0] == 0
    first = _traced(trace)
    # The scope budget counted the new blob pair once (numstat), and remembered it.
    assert [c for c in first if c.startswith("diff --numstat")] == ["diff --numstat"]
    assert sorted(first) == ["cat-file --batch-command", "diff --cached", "diff --cached",
                             "diff --numstat", "interpret-trailers --parse",
                             "rev-parse --is-bare-repository"]
    code, _, err = _hook(repo, msg, trace=trace)
    assert code == 0, err
    # rev-parse, diff --cached (the change), cat-file and interpret-trailers, each started
    # early and claimed once; the index is unchanged, so the scope budget's list of
    # differing paths (diff --cached --raw) and their counts come from the cache.
    assert sorted(_traced(trace)) == ["cat-file --batch-command", "diff --cached",
                                      "interpret-trailers --parse",
                                      "rev-parse --is-bare-repository"]
    # The pre-commit stage (no message, so no trailers) starts its three early too.
    proc = repo.gk("hook", "pre-commit", env={"GATEKEEPER_TRACE_GIT": str(trace),
                                               "GATEKEEPER_NO_CACHE": ""})
    assert proc.returncode == 0, proc.stderr
    assert sorted(_traced(trace)) == ["cat-file --batch-command", "diff --cached",
                                      "rev-parse --is-bare-repository"]
    repo.stage({"src/auth/session.py": "# src/auth/session.py: session limits.\nA = 1\n"})
    assert _hook(repo, msg, trace=trace)[0] == 0
    again = _traced(trace)  # a new index: its differing paths are listed again
    assert sorted(again) == ["cat-file --batch-command", "diff --cached", "diff --cached",
                             "diff --numstat", "interpret-trailers --parse",
                             "rev-parse --is-bare-repository"]


def test_hook_from_a_subdirectory_or_outside_a_repository(staged: tuple[GitRepo, Path],
                                                         tmp_path: Path) -> None:
    """An early start nobody can claim (another directory) changes nothing but speed."""
    repo, msg = staged
    sub = repo.path / "src" / "auth"
    assert _hook(repo, msg, cwd=sub)[0] == 0
    repo.stage({"migrations/0001_users.sql": "CREATE TABLE users (id int);\n"})
    code, _, err = _hook(repo, msg, cwd=sub)
    assert code == 1 and "BLOCK domain-boundary" in err
    assert _hook(repo, msg)[0] == 1
    outside = tmp_path / "plain"
    outside.mkdir()
    proc = gk(outside, "hook", "commit-msg", str(msg))
    assert proc.returncode == 2 and "not a git repository" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_message_file_is_a_usage_error(staged: tuple[GitRepo, Path]) -> None:
    repo, _msg = staged
    proc = repo.gk("hook", "commit-msg", str(repo.path / "no-such-message"))
    assert proc.returncode == 2, proc.stderr
    assert "cannot read the commit message file" in proc.stderr and "no-such-message" in proc.stderr
    assert "Traceback" not in proc.stderr and "crash log" not in proc.stderr
    proc = repo.gk("hook", "commit-msg", str(repo.path / "src"))  # a directory
    assert proc.returncode == 2 and "cannot read the commit message file" in proc.stderr


# ------------------------------------------------------------ the blob-pair count cache


def _numstats(repo: GitRepo, base: str) -> tuple[dict[str, int], dict[str, int]]:
    """(cached path, plain git.numstat) for the index against ``base``, over src/**."""
    from gatekeeper.scopestats import staged_numstat

    r = gitmod.discover(repo.path)
    specs = [":(glob,icase)src/**"]
    with gitmod.CatFile(r) as cat:
        fast = staged_numstat(r, base, specs, cat=cat)
        plain = gitmod.numstat(r, base, None, specs, cat=cat)
    return fast, plain


def test_cached_counts_equal_numstat_whatever_the_paths_went_through(tmp_path: Path) -> None:
    """Attack: a path whose count depends on more than its two blobs would let a warm cache
    undercount a feature. Renames, attribute-binary text, real binaries, symlinks, mode
    changes and deletions all get numstat's own figures, cold, warm and after a re-stage."""
    repo = pact_repo(tmp_path / "repo")
    base = repo.head()
    text = "".join(f"line {i}\n" for i in range(30))
    repo.commit("history", files={
        "src/moved.py": text, "src/gone.py": text, "src/mode.sh": "echo hi\n",
        "src/blob.bin": b"\0\1\2" * 400, "src/data.txt": text,
        ".gitattributes": "*.txt -diff\n"})  # text by content, binary by attribute
    repo.git("mv", "src/moved.py", "src/moved_to.py")
    repo.git("rm", "-q", "src/gone.py")
    (repo.path / "src" / "mode.sh").chmod(0o755)
    os.symlink("moved_to.py", repo.path / "src" / "link.py")
    repo.stage({"src/data.txt": text + "one more\n", "src/blob.bin": b"\0\3" * 700,
                "src/new.py": "x = 1\n"})
    repo.git("add", "-A", "src")
    cache = repo.path / ".git" / "pact" / "cache" / "numstat.marshal"
    fast, plain = _numstats(repo, base)
    assert fast == plain
    assert plain["src/data.txt"] == 31 and plain["src/blob.bin"] == 0  # by content
    assert cache.exists()
    fast, plain = _numstats(repo, base)  # warm: every regular-file pair from the cache
    assert fast == plain
    repo.stage({"src/data.txt": "short\n", "src/new.py": "x = 2\ny = 3\n"})  # new pairs
    fast, plain = _numstats(repo, base)
    assert fast == plain and plain["src/data.txt"] == 1 and plain["src/new.py"] == 2


@pytest.mark.parametrize("junk", [
    b"not marshal at all", marshal.dumps(["a", "list"]), marshal.dumps({"x:y": 0}),
    marshal.dumps({"pairs": {"x:y": "7", 3: 4}, "listings": {}}),
    marshal.dumps({"pairs": {"x:y": -5}, "listings": {"k": [("a", 3)], "j": "no"}}),
], ids=["not-marshal", "a-list", "old-format", "wrong-types", "bad-values"])
def test_a_damaged_count_cache_is_ignored(tmp_path: Path, junk: bytes) -> None:
    repo = pact_repo(tmp_path / "repo")
    base = repo.head()
    repo.stage({"src/auth/a.py": "a = 1\nb = 2\n"})
    cache = repo.path / ".git" / "pact" / "cache" / "numstat.marshal"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(junk)
    fast, plain = _numstats(repo, base)
    assert fast == plain == {"src/auth/a.py": 2}


def test_scope_budget_adds_up_across_commits_with_a_warm_cache(tmp_path: Path) -> None:
    """Attack: split the work into commits small enough on their own. The budget is
    cumulative from the baseline: the cache must not make earlier commits count zero."""
    repo = pact_repo(tmp_path / "repo", estimate=10)  # blocks above 12 lines
    assert repo.gk("install").returncode == 0
    msg = "auth: part {}\n\nPACT-Agent: backend-coder\n"
    repo.stage({"src/auth/a.py": "".join(f"A{i} = {i}\n" for i in range(8))})
    proc = repo.git("commit", "-q", "-m", msg.format(1), check=False)
    assert proc.returncode == 0, proc.stderr
    repo.stage({"src/auth/b.py": "".join(f"B{i} = {i}\n" for i in range(6))})
    proc = repo.git("commit", "-q", "-m", msg.format(2), check=False)
    assert proc.returncode == 1
    assert "BLOCK scope-budget" in proc.stderr and "14" in proc.stderr
    proc = repo.git("commit", "-q", "-m", msg.format(2), check=False)  # a retry: warm cache
    assert proc.returncode == 1 and "BLOCK scope-budget" in proc.stderr
    repo.stage({"src/auth/b.py": "B0 = 0\n"})  # cut down to fit: 9 lines in all
    proc = repo.git("commit", "-q", "-m", msg.format(2), check=False)
    assert proc.returncode == 0, proc.stderr


def test_no_cache_bypasses_the_count_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           ) -> None:
    repo = pact_repo(tmp_path / "repo")
    base = repo.head()
    repo.stage({"src/auth/a.py": "a = 1\nb = 2\n"})
    cache = repo.path / ".git" / "pact" / "cache" / "numstat.marshal"
    monkeypatch.setenv("GATEKEEPER_NO_CACHE", "1")
    fast, plain = _numstats(repo, base)
    assert fast == plain == {"src/auth/a.py": 2} and not cache.exists()


def test_pre_receive_claims_its_early_git_processes(tmp_path: Path) -> None:
    """The pre-receive hook starts rev-parse, its git config and its branch list before its
    imports (gatekeeper/early.py): each must be claimed, never started a second time."""
    from server_helpers import code, make_server, push, ref_of, team_repo

    repo = team_repo(tmp_path / "team")
    bare = make_server(repo, tmp_path / "server.git")
    sha = repo.commit("auth: a module", agent="backend-coder",
                      files={"src/auth/a.py": "# src/auth/a.py: a module.\n" + code(5)})
    trace = tmp_path / "trace.txt"
    proc = push(repo, "origin", "HEAD:refs/heads/main", env={"GATEKEEPER_TRACE_GIT": str(trace)})
    assert proc.returncode == 0, proc.stderr
    assert ref_of(bare, "refs/heads/main") == sha  # judged and accepted
    spawned = _traced(trace)
    for first in ("rev-parse --is-bare-repository", "config -z",
                  "for-each-ref --format=%(objectname) %(refname)"):
        assert spawned.count(first) == 1, (first, spawned)
