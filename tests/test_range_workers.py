# tests/test_range_workers.py: a long range judged by forked workers gives one process's report.
"""``check --range`` and the pre-receive hook cut a long range into runs of commits that
forked workers judge side by side (gatekeeper/workers.py). The report must be the one a
single process gives, finding for finding and in the same order: the scope budgets span
runs (a request is superseded only by a later commit that descends from it and touches
its feature), merges are judged against each parent, the ledger changes mid-range, and
errors and deadlines must reach the parent as they would have in one process."""

from __future__ import annotations

import functools
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import GitRepo
from server_helpers import make_server, push, team_repo

from gatekeeper import checker, engine, workers
from gatekeeper import git as gitmod
from gatekeeper.checker import Options, check_revisions
from gatekeeper.errors import ConfigError, GatekeeperError
from gatekeeper.report import to_json


@pytest.fixture
def short_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Runs of three commits, so that a history of a few dozen commits is cut."""
    monkeypatch.setattr(workers, "MIN_RUN", 3)
    yield


def _auth(repo: GitRepo, tag: str, lines: int) -> str:
    body = f"# {tag}\n" + "".join(f"{tag}_{i} = {i}\n" for i in range(lines - 1))
    return repo.commit(f"auth {tag}", agent="backend-coder", files={f"src/auth/{tag}.py": body})


def _history(tmp_path: Path) -> tuple[GitRepo, str, list[str]]:
    """A team history of about forty commits: auth past its budget early and again late,
    billing coded before and after its approval (the ledger changes mid-range), a secret,
    a side branch left unmerged and one merged with an evil resolution."""
    repo = team_repo(tmp_path / "team", estimate=40)
    base = repo.head()
    side_from = _auth(repo, "a0", 30)
    for k in range(1, 6):
        _auth(repo, f"a{k}", 3)  # past 40 lines: a scope-budget request per commit
    repo.commit("billing before approval", agent="backend-coder",
                files={"src/billing/early.py": "# early\nx = 1\n"})
    repo.commit("a key", agent="backend-coder",
                files={"src/auth/keys.py": "# keys\nAWS = 'AKIAIOSFODNN7EXAMPLE'\n"})
    repo.commit("billing architecture", agent="architect",
                files={"docs/architecture/billing.md": "# billing\n"})
    repo.orchestrate("approve", "billing", "docs/architecture/billing.md")
    repo.orchestrate("phase", "billing", "code")
    repo.commit_ledger("billing to CODE")
    for k in range(6):  # billing past its 50 lines, then never touched again
        repo.commit(f"billing {k}", agent="backend-coder",
                    files={f"src/billing/b{k}.py": "# b\n" + "v = 1\n" * 11})
    for k in range(6, 14):
        _auth(repo, f"a{k}", 2)
    # A branch from the first auth commit, merged back with a resolution that adds a line
    # neither side has (an evil merge: its combined diff carries it).
    repo.git("checkout", "-q", "-b", "topic", side_from)
    _auth(repo, "t1", 4)
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "--no-commit", "topic")
    repo.write({"src/auth/t1.py": "# t1\nTOKEN = 'ghp_" + "a1B2c3D4e5" * 4 + "'\n"})
    repo.git("add", "-A")
    repo.commit("merge topic", agent="backend-coder")
    for k in range(14, 20):
        _auth(repo, f"a{k}", 2)
    # A side branch from early on, touching auth, never merged: pushed as a second tip.
    repo.git("checkout", "-q", "-b", "spike", side_from)
    _auth(repo, "s1", 15)  # 45 lines of 40 on its own line of history
    spike = repo.head()
    repo.git("checkout", "-q", "main")
    for k in range(20, 26):
        repo.commit(f"docs {k}", agent="backend-coder", files={f"docs/n{k}.md": f"# {k}\n"})
    return repo, base, [repo.head(), spike]


def _wait_until(ready: Callable[[], bool]) -> None:
    """Wait (at most 30 s) for another worker to reach a point: an idle worker takes only
    from a part whose pace it can reckon, so a test that wants a split holds the fast part
    back until the slow one has begun, however late its worker is scheduled."""
    deadline = time.monotonic() + 30
    while not ready() and time.monotonic() < deadline:
        time.sleep(0.001)


def _report(repo: GitRepo, tips: list[str], base: str, jobs: int) -> dict[str, object]:
    r = gitmod.discover(repo.path)
    rep = check_revisions(r, tips, [base], opts=Options(where="ci", record=False, jobs=jobs))
    # Through JSON, as a user reads it: every field of every finding, in order.
    return json.loads(json.dumps(to_json(rep)))  # type: ignore[no-any-return]


@pytest.mark.parametrize(("jobs", "per_worker"), [(2, 1), (2, 3), (3, 2)])
def test_workers_give_the_report_of_one_process(tmp_path: Path, short_runs: None,
                                                monkeypatch: pytest.MonkeyPatch, jobs: int,
                                                per_worker: int) -> None:
    repo, base, tips = _history(tmp_path)
    one = _report(repo, tips, base, 1)
    monkeypatch.setattr(workers, "RUNS_PER_WORKER", per_worker)
    workers.PEAKS_KB.clear()
    many = _report(repo, tips, base, jobs)
    assert len(workers.PEAKS_KB) == jobs  # the range really was cut and judged by workers
    assert many == one
    found = one["findings"]
    assert isinstance(found, list)
    rules = {f["rule"] for f in found}
    assert {"scope-budget", "phase-gate", "hardcoded-secret"} <= rules, rules
    scope = {(f["feature"], f["commit"]) for f in found if f["rule"] == "scope-budget"}
    listed = gitmod.range_commits(gitmod.discover(repo.path), tips, [base])
    order = [line.split()[0][:12] for line in listed]
    # billing's last commit is early in the range (a run before the last), auth's budget is
    # judged at each tip that touches it: the merge line's last commit and the spike.
    billing = [c for f, c in scope if f == "billing"]
    auth = sorted(c for f, c in scope if f == "auth")
    assert len(billing) == 1 and order.index(billing[0]) < len(order) // 2, (billing, order)
    last_auth = repo.git("log", "-1", "--format=%h", "--abbrev=12", "main", "--",
                         "src/auth").stdout.strip()
    assert auth == sorted([last_auth, tips[1][:12]]), (auth, scope)
    secret = [f for f in found if f["rule"] == "hardcoded-secret"]
    assert len(secret) == 2  # the key, and the token the evil merge added


def test_a_run_split_by_an_idle_worker_gives_the_report_of_one_process(
        tmp_path: Path, short_runs: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first run's commits are made slow, so the worker of the last run (done early)
    takes the end of the first run, maybe more than once: the report stays one process's,
    scope budgets settled across every part."""
    repo, base, tips = _history(tmp_path)
    one = _report(repo, tips, base, 1)
    listed = gitmod.range_commits(gitmod.discover(repo.path), tips, [base])
    slow = {line.split()[0] for line in listed[: len(listed) // 2]}
    real = engine.evaluate  # what gatekeeper.checker calls
    begun = tmp_path / "slow-begun"

    def evaluate(change: Any, *args: Any, **kwargs: Any) -> Any:
        if change.commit in slow:
            begun.touch()
            time.sleep(0.04)  # in the forked workers too
        else:
            _wait_until(begun.exists)  # the fast run waits for the slow one's first commit
        return real(change, *args, **kwargs)

    monkeypatch.setattr(checker, "evaluate", evaluate)
    monkeypatch.setattr(workers, "STEAL_COST_NS", 1_000_000)
    monkeypatch.setattr(workers, "READ_AHEAD", 1)
    workers.PEAKS_KB.clear()
    many = _report(repo, tips, base, 2)
    assert len(workers.PEAKS_KB) == 2
    parts = list(workers.PARTS)
    assert len(parts) > 2, parts  # the first run was split
    assert parts[0][0] == 0 and parts[-1][1] == len(listed)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(parts)), parts
    assert many == one


def test_a_run_whose_first_commit_is_slow_to_read_is_still_split(
        tmp_path: Path, short_runs: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that opens with a big commit (an import git takes seconds to diff) has not read
    a commit yet when the other worker is done: its owner claims its first commits before
    reading any, so the idle worker sees a slow pace and takes the run's rest, where it
    used to see no pace and go away."""
    repo, base, tips = _history(tmp_path)
    one = _report(repo, tips, base, 1)
    listed = gitmod.range_commits(gitmod.discover(repo.path), tips, [base])
    first = listed[0].split()[0]
    real_ahead, real_evaluate = checker._read_ahead, engine.evaluate
    begun = tmp_path / "first-run-begun"

    def read_ahead(cat: Any, changes: Any, probes: Any) -> Any:
        got = real_ahead(cat, changes, probes)
        head = next(got, None)
        if head is not None and head.commit == first:
            begun.touch()
            time.sleep(1.5)  # git still writing the first run's first diff
        if head is not None:
            yield head
        yield from got

    def evaluate(change: Any, *args: Any, **kwargs: Any) -> Any:
        _wait_until(begun.exists)  # the other run starts once the first has begun
        return real_evaluate(change, *args, **kwargs)

    monkeypatch.setattr(checker, "_read_ahead", read_ahead)
    monkeypatch.setattr(checker, "evaluate", evaluate)
    monkeypatch.setattr(workers, "STEAL_COST_NS", 1_000_000)
    monkeypatch.setattr(workers, "READ_AHEAD", 1)
    many = _report(repo, tips, base, 2)
    parts = list(workers.PARTS)
    assert len(parts) > 2, parts  # the first run's rest was taken while it read its first
    assert parts[0][0] == 0 and parts[-1][1] == len(listed)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(parts)), parts
    assert many == one


def test_run_parts_judges_every_item_once_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "STEAL_COST_NS", 1_000_000)

    def judge(part: workers.Part) -> list[int]:
        got = []
        for item in part.items:
            if not part.claim():
                break
            got.append(item)
            if item < 400:
                time.sleep(0.002)  # the first part is slow: the other worker takes from it
        if part.start == 400:
            # The fast part ends once the slow one has claimed its first items (on a loaded
            # CI machine the slow one's worker once started late, and nothing was split).
            _wait_until(lambda: part.board.cell(0, workers._NEXT) > 0)
        return got

    items = list(range(600))
    parts = workers.run_parts(items, [400, 200], 2, judge)
    assert len(parts) > 2  # split at least once
    assert [start for start, _ in parts] == sorted(start for start, _ in parts)
    assert [item for _, got in parts for item in got] == items  # each once, in order
    assert [(start, got[0]) for start, got in parts] == [(s, s) for s, _ in parts]
    assert [(start, start + len(got)) for start, got in parts] == workers.PARTS
    with pytest.raises(ValueError, match="covering the items exactly"):
        workers.run_parts(items, [400, 100], 2, judge)


def test_a_split_part_fails_as_one_process_would(monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 399 fails wherever it lands: in the slow first part, or in the part taken from
    it; nothing earlier fails, so that error is the one raised, as in one process."""
    monkeypatch.setattr(workers, "STEAL_COST_NS", 1_000_000)

    def judge(part: workers.Part) -> int:
        n = 0
        for item in part.items:
            if not part.claim():
                break
            if item == 399:
                raise GatekeeperError(f"item {item} failed")
            n += 1
            if item < 400:
                time.sleep(0.002)
        return n

    with pytest.raises(GatekeeperError, match="item 399 failed"):
        workers.run_parts(list(range(600)), [400, 200], 2, judge)


def test_a_workers_error_is_the_one_a_single_process_meets_first(tmp_path: Path,
                                                                 short_runs: None) -> None:
    repo, base, _ = _history(tmp_path)
    for k in range(3):
        _auth(repo, f"late{k}", 2)
    repo.write({".pact/ledger.yaml": "features: [unclosed\n"})
    repo.commit_ledger("a broken ledger")
    for k in range(6):
        _auth(repo, f"after{k}", 2)
    r = gitmod.discover(repo.path)
    errors = []
    for jobs in (1, 2, 3):
        with pytest.raises(ConfigError) as got:
            check_revisions(r, [repo.head()], [base], opts=Options(where="ci", record=False,
                                                                   jobs=jobs))
        errors.append((got.value.where, got.value.what))
    assert errors[0] == errors[1] == errors[2]
    assert errors[0][0].startswith(".pact/ledger.yaml")
    # Through the CLI: one message with the file, exit 2, no traceback, whatever the jobs.
    out = [repo.gk("check", "--range", f"{base}..HEAD", "--jobs", str(j)) for j in (1, 2)]
    assert out[0].returncode == out[1].returncode == 2
    assert out[0].stderr == out[1].stderr and ".pact/ledger.yaml" in out[0].stderr
    assert "Traceback" not in out[1].stderr


def test_an_open_halt_freezes_its_feature_alike_in_workers(tmp_path: Path,
                                                          short_runs: None) -> None:
    """An open HALT note in the inbox (the parent reads it once for every worker) freezes
    its feature in every run, as in one process."""
    repo, base, tips = _history(tmp_path)
    inbox = repo.path / ".git" / "pact" / "escalations"
    inbox.mkdir(parents=True)
    (inbox / "E-0123456789ab.md").write_text(
        "---\nid: E-0123456789ab\nrule: hardcoded-secret\nlevel: HALT\nstatus: open\n"
        f"feature: auth\nwhere: ci\ncommit: {base[:12]}\ncreated: '2026-11-29'\n---\n# HALT\n",
        encoding="utf-8")
    one = _report(repo, tips, base, 1)
    assert _report(repo, tips, base, 2) == one
    found = one["findings"]
    assert isinstance(found, list)
    frozen = [f for f in found if f["rule"] == "halt-freeze"]
    assert len(frozen) >= 20 and {f["feature"] for f in frozen} == {"auth"}
    assert all("E-0123456789ab" in f["message"] for f in frozen)


def test_the_collector_is_rarer_only_while_a_range_is_judged(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            ) -> None:
    """Judging raises the collector's thresholds (fewer passes over the range's objects)
    and puts them back afterwards, after an error too."""
    import gc

    from gatekeeper import checker

    repo = team_repo(tmp_path / "team", estimate=40)
    base = repo.head()
    _auth(repo, "a0", 3)
    seen: list[tuple[int, int, int]] = []
    judge = checker._judge_run

    def spy(*args: object, **kw: object) -> object:
        seen.append(gc.get_threshold())
        return judge(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(checker, "_judge_run", spy)
    before = gc.get_threshold()
    _report(repo, [repo.head()], base, 1)
    assert seen and seen[0][0] > before[0] and gc.get_threshold() == before
    repo.write({".pact/ledger.yaml": "features: [unclosed\n"})
    repo.commit_ledger("a broken ledger")
    _auth(repo, "a1", 2)
    with pytest.raises(ConfigError):
        _report(repo, [repo.head()], base, 1)
    assert gc.get_threshold() == before


def _children() -> list[int]:
    """Live (not zombie) processes whose parent is this process."""
    me, found = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == me and fields[0] != "Z":
            found.append(int(entry.name))
    return found


class _Late(Exception):
    pass


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_deadline_in_the_parent_kills_every_worker() -> None:
    def fire(_sig: int, _frame: object) -> None:
        raise _Late

    before = set(_children())
    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    t0 = time.monotonic()
    try:
        with pytest.raises(_Late):
            workers.run([lambda: time.sleep(60)] * 3, 2)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert time.monotonic() - t0 < 10
    assert set(_children()) - before == set()  # killed and reaped, none left behind


def test_tasks_come_back_in_order_and_the_first_failure_wins() -> None:
    def boom(k: int) -> int:
        raise GatekeeperError(f"task {k} failed")

    def fine(k: int) -> int:
        return k * k

    squares = [functools.partial(fine, k) for k in range(7)]
    assert workers.run(squares, 3) == [k * k for k in range(7)]
    tasks = [lambda: fine(0), lambda: boom(1), lambda: fine(2), lambda: boom(3)]
    with pytest.raises(GatekeeperError, match="task 1 failed"):
        workers.run(tasks, 2)

    def unpicklable() -> int:
        class Local(Exception):
            pass

        raise Local("kept in words")

    with pytest.raises(RuntimeError, match="Local: kept in words"):
        workers.run([lambda: fine(1), unpicklable], 2)


def test_split_keeps_order_and_leaves_short_ranges_whole() -> None:
    items = list(range(1000))
    cut = workers.split(items, 2)
    assert [x for run in cut for x in run] == items
    assert len(cut) == 2 * workers.RUNS_PER_WORKER
    assert all(len(run) >= workers.MIN_RUN for run in cut[:-1])
    # The last run, whose worker also settles the scope budgets, is a little shorter.
    assert abs(len(cut[-1]) - len(cut[0]) * workers.LAST_SHARE) <= 1
    two = workers.split(items[: 2 * workers.MIN_RUN], 2)
    assert [len(run) for run in two] == [167, 133]
    assert workers.split(items[: 2 * workers.MIN_RUN - 1], 4) == [items[: 2 * workers.MIN_RUN - 1]]
    assert workers.split(items, 1) == [items]


def test_jobs_setting_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEKEEPER_JOBS", "3")
    assert workers.jobs() == 3
    assert workers.jobs(1) == 1  # --jobs wins over the variable
    monkeypatch.setenv("GATEKEEPER_JOBS", "0")
    with pytest.raises(GatekeeperError, match="GATEKEEPER_JOBS"):
        workers.jobs()
    monkeypatch.delenv("GATEKEEPER_JOBS")
    assert 1 <= workers.jobs() <= workers.MAX_DEFAULT
    repo = team_repo(tmp_path / "team")
    bad = repo.gk("check", "--range", "HEAD~1..HEAD", "--jobs", "0")
    assert bad.returncode == 2 and "--jobs" in bad.stderr
    bad = repo.gk("check", "--range", "HEAD~1..HEAD", env={"GATEKEEPER_JOBS": "many"})
    assert bad.returncode == 2 and "GATEKEEPER_JOBS" in bad.stderr
    assert "Traceback" not in bad.stderr


def _bulk(repo: GitRepo, n: int) -> None:
    """``n`` commits on main, each adding two lines to auth, written with fast-import (a
    real history, built in a fraction of a second)."""
    head = repo.head()
    parts = [b"feature done\n"]
    for k in range(n):
        body = f"# bulk {k}\nv = {k}\n".encode()
        msg = f"bulk {k}\n\nPACT-Agent: backend-coder\n".encode()
        parts.append(b"commit refs/heads/main\n")
        parts.append(f"author bob <bob@example.com> {1700000000 + k} +0000\n".encode())
        parts.append(f"committer bob <bob@example.com> {1700000000 + k} +0000\n".encode())
        parts.append(b"data %d\n%s" % (len(msg), msg))
        if k == 0:
            parts.append(f"from {head}\n".encode())
        parts.append(b"M 100644 inline src/auth/bulk_%d.py\ndata %d\n%s\n" % (k, len(body), body))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo.path, check=True,
                   input=b"".join(parts) + b"done\n")
    repo.git("reset", "-q", "--hard", "main")


def test_a_long_push_through_the_hook_is_judged_alike_by_workers(tmp_path: Path) -> None:
    """A real push of a range long enough for workers, into a bare repository with the
    pre-receive hook (git's quarantine in place): same verdict, same words, one process
    or two workers."""
    repo = team_repo(tmp_path / "team", estimate=400)
    bare = make_server(repo, tmp_path / "srv.git")
    twin = tmp_path / "twin.git"
    shutil.copytree(bare, twin, symlinks=True)  # the same server, hook and all
    _bulk(repo, 2 * workers.MIN_RUN + 60)
    repo.commit("a key", agent="backend-coder",
                files={"src/auth/keys.py": "# keys\nAWS = 'AKIAIOSFODNN7EXAMPLE'\n"})
    outputs = []
    for jobs, server in (("1", bare), ("2", twin)):
        trace = tmp_path / f"trace{jobs}.txt"
        proc = push(repo, str(server), "HEAD:main",
                    env={"GATEKEEPER_JOBS": jobs, "GATEKEEPER_TRACE_GIT": str(trace)})
        assert proc.returncode != 0, proc.stderr
        logs = [c for c in trace.read_text().splitlines() if c.startswith("log ")]
        # One git log per run (and per part an idle worker splits off): the range was cut.
        assert len(logs) == 1 if jobs == "1" else len(logs) >= 2, logs
        head = gitmod.run(["rev-parse", "refs/heads/main"], server).decode().strip()
        assert head != repo.head()  # nothing landed
        outputs.append(proc.stderr.replace(str(server), "SRV"))
    assert "hardcoded-secret" in outputs[0] and "scope-budget" in outputs[0]
    assert outputs[0] == outputs[1]


def test_no_process_to_be_had_means_one_process_judges(tmp_path: Path, short_runs: None,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A process limit (fork fails with EAGAIN) is no verdict of its own: the range is
    judged in one process, with the same report."""
    repo, base, tips = _history(tmp_path)
    one = _report(repo, tips, base, 1)

    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    workers.PEAKS_KB.clear()
    assert _report(repo, tips, base, 2) == one
    assert workers.PEAKS_KB == []


def test_a_worker_that_dies_is_an_error_not_a_pass() -> None:
    def die() -> int:
        os.kill(os.getpid(), signal.SIGKILL)
        return 0

    def fine() -> int:
        return 1

    with pytest.raises(RuntimeError, match="ended without a result"):
        workers.run([fine, die], 2)
