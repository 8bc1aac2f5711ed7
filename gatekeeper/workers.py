# gatekeeper/workers.py: judges a long range's runs of commits in forked workers, side by side.
"""A range's commits are judged one after another by one Python process, which is where
the time of ``check --range`` and of a big push goes (git itself streams the diffs in
another process). A long range is therefore cut into runs of consecutive commits, and a
few forked workers take the runs one at a time from a shared queue, each with its own
``git log`` and ``cat-file``; the parent then settles what spans the range. Forking keeps
the parent's imports and caches, and needs no pickling of the work, only of the results.

Workers are used only where ``os.fork`` exists and the range is long enough to gain by
them; ``GATEKEEPER_JOBS=1`` (or ``check --jobs 1``) judges in one process. A worker's
error is the parent's error (the first run's in stream order, as one process would have
met it first), and a deadline or an interrupt in the parent kills the workers.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from typing import TypeVar

from gatekeeper.errors import GatekeeperError

T = TypeVar("T")

#: Upper bound of the default worker count: each worker holds its own interpreter, caches
#: and share of the range's largest commits (tens of MB each; see the README's Performance).
MAX_DEFAULT = 4
#: A run shorter than this costs more in start-up (a ``git log``, contexts) than it saves.
MIN_RUN = 150
#: Runs per worker. More runs could balance uneven commits, but each costs a new ``git log``
#: and cold caches: on two cores, two or three runs a worker measured no faster than one.
RUNS_PER_WORKER = 1
#: The last run's length against the others'.
LAST_SHARE = 0.8
#: Peak RSS (KiB, ``VmHWM``) of each worker of the last :func:`run`, for the benchmarks.
PEAKS_KB: list[int] = []


class Unavailable(OSError):
    """No worker could be started (a process or pipe limit): judge in this process."""


def jobs(wanted: int | None = None) -> int:
    """How many workers a range may use: ``wanted`` (``check --jobs``), else
    ``GATEKEEPER_JOBS``, else the CPUs this process may run on (at most 4); 1 where
    ``os.fork`` is missing. A bad ``GATEKEEPER_JOBS`` is a usage error."""
    if not hasattr(os, "fork"):
        return 1
    if wanted is None:
        raw = os.environ.get("GATEKEEPER_JOBS", "").strip()
        if raw:
            if not raw.isdigit() or int(raw) < 1:
                raise GatekeeperError(
                    f"GATEKEEPER_JOBS must be a whole number of workers, 1 or more, not {raw!r}")
            wanted = int(raw)
        else:
            try:
                cpus = len(os.sched_getaffinity(0))
            except (AttributeError, OSError):
                cpus = os.cpu_count() or 1
            wanted = min(cpus, MAX_DEFAULT)
    return max(1, wanted)


def split(items: Sequence[T], workers: int) -> list[list[T]]:
    """``items`` cut into consecutive runs for ``workers`` workers: about
    :data:`RUNS_PER_WORKER` runs each, none shorter than :data:`MIN_RUN` but the last (a
    :data:`LAST_SHARE` of the others); one run (judge in this process) when the range is
    too short to gain by workers."""
    if workers <= 1 or len(items) < 2 * MIN_RUN:
        return [list(items)]
    count = min(workers * RUNS_PER_WORKER, len(items) // MIN_RUN, 255)
    # The last run is a little shorter: its worker then also judges the range's last scope
    # budgets (gatekeeper/checker.py), while the others finish theirs.
    weights = [1.0] * (count - 1) + [LAST_SHARE]
    total, acc, at = sum(weights), 0.0, 0
    out: list[list[T]] = []
    for k, w in enumerate(weights):
        acc += w
        end = len(items) if k == count - 1 else round(len(items) * acc / total)
        out.append(list(items[at:end]))
        at = end
    return out


def run(tasks: Sequence[Callable[[], T]], workers: int) -> list[T]:
    """Every task's result, in task order, the tasks run by ``min(workers, len(tasks))``
    forked workers that take them one at a time, in order, from a shared queue.

    The first task (in order) that raised has its exception raised here. A task that
    raises ends its worker; the other workers go on with the queue, so every task before
    the failed one still runs."""
    import pickle  # only a long range gets here: the hooks never import it

    PEAKS_KB.clear()
    if len(tasks) > 255:
        raise ValueError("at most 255 tasks")
    import gc

    # The parent's objects go to a generation the collector never scans, so that the
    # workers' collections do not write to (and so copy) every page they inherited.
    children: dict[int, int] = {}  # result pipe -> pid
    queue_r = -1
    gc.freeze()
    try:
        try:
            queue_r, queue_w = os.pipe()
            os.write(queue_w, bytes(range(len(tasks))))  # a byte a task: 1-byte reads are atomic
            os.close(queue_w)
            for _ in range(min(workers, len(tasks))):
                out_r, out_w = os.pipe()
                pid = os.fork()
                if pid == 0:  # the worker: never returns
                    os.close(out_r)
                    for fd in children:
                        os.close(fd)
                    _work(tasks, queue_r, out_w)
                os.close(out_w)
                children[out_r] = pid
        except OSError as exc:  # no process or pipe to be had: nothing was judged yet
            raise Unavailable(f"cannot start workers: {exc}") from exc
        finally:
            gc.unfreeze()
        os.close(queue_r)
        queue_r = -1
        data = _collect(children)
    except BaseException:
        for pid in children.values():
            _kill(pid)
        raise
    finally:
        if queue_r >= 0:
            os.close(queue_r)
        for fd in children:
            os.close(fd)
    results: dict[int, tuple[bool, object]] = {}
    for fd, pid in children.items():
        _, status = os.waitpid(pid, 0)
        payload = data.pop(fd)  # each payload freed once read: the parent's peak stays low
        got = pickle.loads(payload) if payload else None
        del payload
        if not isinstance(got, tuple):
            raise RuntimeError(f"a worker ended without a result (wait status {status})")
        done, peak = got
        PEAKS_KB.append(peak)
        results.update(done)
    for k in range(len(tasks)):
        ok, value = results.get(k, (False, None))
        if not ok:
            if isinstance(value, BaseException):
                raise value
            # Not reached: a task is skipped only after an earlier one failed.
            raise RuntimeError(f"task {k} of {len(tasks)} was not run")
    return [results[k][1] for k in range(len(tasks))]  # type: ignore[misc]


def _work(tasks: Sequence[Callable[[], object]], queue: int, out: int) -> None:
    """A worker's life: take tasks until the queue is empty (or one fails), send every
    result to the parent, and exit without running the parent's cleanups."""
    import pickle

    code = 0
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        done: dict[int, tuple[bool, object]] = {}
        while True:
            got = os.read(queue, 1)
            if not got:
                break
            k = got[0]
            try:
                done[k] = (True, tasks[k]())
            except BaseException as exc:  # the parent raises it, in order
                done[k] = (False, portable(exc))
                break
        payload = pickle.dumps((done, _peak_kb()), pickle.HIGHEST_PROTOCOL)
        with os.fdopen(out, "wb") as fh:
            fh.write(payload)
    except BaseException:
        code = 70
    finally:
        os._exit(code)


def portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling as itself (to reach the parent from a worker), else
    an error that keeps its words."""
    import pickle

    try:
        back = pickle.loads(pickle.dumps(exc))
        if type(back) is type(exc) and str(back) == str(exc):
            return exc
    except Exception:  # any failure to pickle: send the words instead
        pass
    return RuntimeError(f"{type(exc).__name__}: {exc}")


def _collect(children: dict[int, int]) -> dict[int, bytes]:
    """Everything each worker writes, read side by side until every pipe is closed."""
    import selectors

    chunks: dict[int, list[bytes]] = {fd: [] for fd in children}
    with selectors.DefaultSelector() as sel:
        for fd in children:
            sel.register(fd, selectors.EVENT_READ)
        open_fds = len(children)
        while open_fds:
            for key, _ in sel.select():
                fd = int(key.fd)
                block = os.read(fd, 1 << 20)
                if block:
                    chunks[fd].append(block)
                else:
                    sel.unregister(fd)
                    open_fds -= 1
    return {fd: b"".join(parts) for fd, parts in chunks.items()}


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _peak_kb() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
