# gatekeeper/workers.py: judges a long range's runs of commits in forked workers, side by side.
"""A range's commits are judged one after another by one Python process, which is where
the time of ``check --range`` and of a big push goes (git itself streams the diffs in
another process). A long range is therefore cut into runs of consecutive commits, and a
few forked workers take the runs one at a time from a shared queue, each with its own
``git log`` and ``cat-file``; the parent then settles what spans the range. Forking keeps
the parent's imports and caches, and needs no pickling of the work, only of the results.

Commits differ in cost by orders of magnitude (a regenerated stylesheet against a typo), so
runs of equal length can take very unequal times. A worker whose queue is empty therefore
takes the end of the run that, at its pace so far, would finish last, when enough of it is
left to pay for a new start (see :func:`run_parts`): the runs' owners claim commits (a
few at a time, the first before git has written any) before judging them, on a small
board of shared memory, so no commit is judged twice or skipped.

Workers are used only where ``os.fork`` exists and the range is long enough to gain by
them; ``GATEKEEPER_JOBS=1`` (or ``check --jobs 1``) judges in one process. A worker's
error is the parent's error (the first run's in stream order, as one process would have
met it first), and a deadline or an interrupt in the parent kills the workers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence

from gatekeeper.errors import GatekeeperError

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")

#: Upper bound of the default worker count: each worker holds its own interpreter, caches
#: and share of the range's largest commits (tens of MB each; see the README's Performance).
MAX_DEFAULT = 4
#: A run shorter than this costs more in start-up (a ``git log``, contexts) than it saves.
MIN_RUN = 150
#: Runs per worker. More runs balance uneven commits, but each costs a new ``git log`` and
#: cold caches: on two cores, two runs a worker measured 10 % slower than one on the
#: built-in corpus. Uneven runs are balanced by splitting them instead (see run_parts).
RUNS_PER_WORKER = 1
#: The last run's length against the others': its worker also judges the range's last scope
#: budgets (gatekeeper/checker.py).
LAST_SHARE = 0.8
#: What taking the rest of a part costs, all told: the taker's new ``git log``, context and
#: cold caches (15 to 25 ms), and the diffs the owner's ``git log`` had already written
#: ahead into its pipe (up to 1 MiB), made again. A part is split only when what is left of
#: it would take its owner over twice this; the owner keeps what it would judge in this
#: time, plus half of the rest.
#: At 20 ms, splits on balanced ranges cost requests' 6,489 commits 4 to 8 %; at 100 ms
#: they are as fast as without splitting, and djangoproject.com's 3,476 commits 12 % faster.
STEAL_COST_NS = 100_000_000
#: Most commits a range's reader parses ahead of judging (gatekeeper/checker.py's
#: _read_ahead window); a part's owner keeps at least these when its rest is taken.
READ_AHEAD = 32
#: Items a part's owner claims under one lock: the lock is two system calls, and taken per
#: commit it cost up to 1 % of a range's CPU. A taker leaves the owner at least READ_AHEAD items
#: past what it claimed, so a batch is never taken from under its owner; the owner's pace,
#: as a taker reckons it, runs at most this many items ahead.
CLAIM_BATCH = 8
#: Peak RSS (KiB, ``VmHWM``) of each worker of the last :func:`run`, for the benchmarks.
PEAKS_KB: list[int] = []
#: (start, end) of every part of the last :func:`run_parts`, in the list's order, for tests.
PARTS: list[tuple[int, int]] = []


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
    if len(tasks) > 255:
        raise ValueError("at most 255 tasks")
    done = _run(len(tasks), workers, lambda k: tasks[k](), None)
    return [value for _, value in _in_order(done, range(len(tasks)))]


class Part:
    """Items ``[start, end)`` of the list :func:`run_parts` shares out, judged in order by
    one worker, which claims each item before judging it; ``end`` drops when an idle
    worker takes the rest of the part."""

    def __init__(self, board: _Board, slot: int) -> None:
        self.board, self.slot = board, slot
        self.start = board.cell(slot, _START)
        #: The part's items as it was handed out (its ``end`` may drop since).
        self.items: list[Any] = list(board.items[self.start:board.cell(slot, _END)])
        self._held = 0  # items claimed on the board and not yet handed out by claim()

    def claim(self) -> bool:
        """Take the part's next item; False once the part is done or its rest was taken."""
        if self._held:
            self._held -= 1
            return True
        take = self._take()
        self._held = max(take - 1, 0)
        return take > 0

    def reserve(self) -> None:
        """Claim the part's first items before any is read, so that an idle worker can reckon
        the part's pace from its start: a slow first item (a big import, whose diff git takes
        seconds to write) then shows as a slow pace, where it showed as no pace, and a worker
        done with its own part went away instead of taking this one's rest."""
        if not self._held:
            self._held = self._take()

    def _take(self) -> int:
        """Claim up to :data:`CLAIM_BATCH` items on the board: how many were claimed."""
        board, slot = self.board, self.slot
        with board.locked():
            at, end = board.cell(slot, _NEXT), board.cell(slot, _END)
            take = max(min(CLAIM_BATCH, end - at), 0)
            board.set(slot, _NEXT, at + take)
        return take

    def ends_list(self) -> bool:
        """Whether the part, now that it is done, ends the whole list (its rest not taken)."""
        with self.board.locked():
            return self.board.cell(self.slot, _END) == len(self.board.items)


def run_parts(items: Sequence[Any], cut: Sequence[int], workers: int,
              judge: Callable[[Part], T]) -> list[tuple[int, T]]:
    """``judge`` of every part of ``items``, as (start, result) in the list's order.

    ``cut`` gives the parts' lengths; forked workers take them one at a time, in order,
    from a shared queue. A worker that finds the queue empty takes the end of the part
    that would otherwise finish last, as a new part, while that pays (see
    :meth:`_Board.steal`); so the parts returned may be more, and shorter, than ``cut``
    says, but they cover ``items`` exactly, each item judged once, in order within its
    part. Failures are as in :func:`run`, in the list's order."""
    if len(cut) > 255 or sum(cut) != len(items):
        raise ValueError("at most 255 parts, covering the items exactly")
    PARTS.clear()
    board = _Board(items, cut)
    try:
        done = _run(len(cut), workers, lambda slot: judge(Part(board, slot)), board)
        starts = {slot: board.cell(slot, _START) for slot in range(board.used())}
        order = sorted(starts, key=starts.__getitem__)
        PARTS.extend((starts[k], board.cell(k, _END)) for k in order)
    finally:
        board.close()
    return _in_order(done, order, starts)


def _in_order(done: dict[int, tuple[bool, object]], order: Any,
              starts: dict[int, int] | None = None) -> list[tuple[int, Any]]:
    """(start, result) of each task in ``order``; the first failure in it is raised."""
    out = []
    for k in order:
        ok, value = done.get(k, (False, None))
        if not ok:
            if isinstance(value, BaseException):
                raise value
            # Not reached: a task is skipped only after an earlier one failed.
            raise RuntimeError(f"task {k} of {len(done)} was not run")
        out.append((starts[k] if starts is not None else k, value))
    return out


def _run(count: int, workers: int, call: Callable[[int], object],
         board: _Board | None) -> dict[int, tuple[bool, object]]:
    """Fork ``min(workers, count)`` workers that take task numbers 0 to ``count - 1`` from a
    queue (and, with a ``board``, parts from each other), and gather every task's (ok,
    result or exception)."""
    import pickle  # only a long range gets here: the hooks never import it

    PEAKS_KB.clear()
    import gc

    # The parent's objects go to a generation the collector never scans, so that the
    # workers' collections do not write to (and so copy) every page they inherited.
    children: dict[int, int] = {}  # result pipe -> pid
    queue_r = -1
    gc.freeze()
    try:
        try:
            queue_r, queue_w = os.pipe()
            os.write(queue_w, bytes(range(count)))  # a byte a task: 1-byte reads are atomic
            os.close(queue_w)
            for _ in range(min(workers, count)):
                out_r, out_w = os.pipe()
                pid = os.fork()
                if pid == 0:  # the worker: never returns
                    os.close(out_r)
                    for fd in children:
                        os.close(fd)
                    _work(call, queue_r, out_w, board)
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
    return results


def _work(call: Callable[[int], object], queue: int, out: int, board: _Board | None) -> None:
    """A worker's life: take tasks until the queue is empty (then, with a board, the rest
    of other workers' parts) or one fails, send every result to the parent, and exit
    without running the parent's cleanups."""
    import pickle

    code = 0
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        done: dict[int, tuple[bool, object]] = {}
        while True:
            got = os.read(queue, 1)
            k = got[0] if got else board.steal() if board is not None else None
            if k is None:
                break
            if got and board is not None:
                board.start(k)
            try:
                done[k] = (True, call(k))
            except BaseException as exc:  # the parent raises it, in order
                done[k] = (False, portable(exc))
                break
            finally:
                if board is not None:
                    board.stop(k)
        payload = pickle.dumps((done, _peak_kb()), pickle.HIGHEST_PROTOCOL)
        with os.fdopen(out, "wb") as fh:
            fh.write(payload)
    except BaseException:
        code = 70
    finally:
        os._exit(code)


# A part's cells on the board (T0: when its owner began it, in monotonic ns), its states.
_START, _NEXT, _END, _STATE, _T0 = range(5)
_CELLS = 5
_QUEUED, _RUNNING, _DONE = range(3)


class _Board:
    """The parts of a list being judged, in memory shared by the workers (forked after it
    is made): per part its start, next unclaimed item, end and state, changed only under a
    lock. The lock is a POSIX record lock on a temporary file, which the kernel releases
    when its holder dies: a killed worker cannot leave the others waiting."""

    SLOTS = 256

    def __init__(self, items: Sequence[Any], cut: Sequence[int]) -> None:
        import mmap
        import tempfile

        self.items = items
        self.mem = mmap.mmap(-1, 8 * (1 + _CELLS * self.SLOTS))  # anonymous: shared by forks
        self.cells = memoryview(self.mem).cast("q")
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self.fd = self.file.fileno()
        at = 0
        for slot, length in enumerate(cut):
            self._put(slot, at, at + length)
            at += length
        self.cells[0] = len(cut)

    def _put(self, slot: int, start: int, end: int) -> None:
        base = 1 + _CELLS * slot
        self.cells[base + _START] = self.cells[base + _NEXT] = start
        self.cells[base + _END] = end
        self.cells[base + _STATE] = _QUEUED
        self.cells[base + _T0] = time.monotonic_ns()

    def cell(self, slot: int, which: int) -> int:
        """One cell of a part (read under :meth:`locked` when others may write it)."""
        return int(self.cells[1 + _CELLS * slot + which])

    def set(self, slot: int, which: int, value: int) -> None:
        """Write one cell of a part (under :meth:`locked`)."""
        self.cells[1 + _CELLS * slot + which] = value

    def used(self) -> int:
        """How many parts there are (the cut's, then the ones taken from them)."""
        return int(self.cells[0])

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """The board's lock, held by one process at a time."""
        import fcntl

        fcntl.lockf(self.fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.lockf(self.fd, fcntl.LOCK_UN)

    def start(self, slot: int) -> None:
        """A worker took ``slot`` from the queue: its rest may be taken from now on."""
        with self.locked():
            self.set(slot, _STATE, _RUNNING)
            self.set(slot, _T0, time.monotonic_ns())

    def stop(self, slot: int) -> None:
        """``slot`` is done (or failed): nothing of it is left to take."""
        with self.locked():
            self.set(slot, _END, max(self.cell(slot, _NEXT), self.cell(slot, _START)))
            self.set(slot, _STATE, _DONE)

    def steal(self) -> int | None:
        """A new part: the end of the running part whose owner, at its pace so far, would
        finish last, when that is more than twice :data:`STEAL_COST_NS` away. The owner keeps
        what it would judge while the taker starts, plus half the rest (and at least
        :data:`READ_AHEAD` commits); None when no part is worth splitting or no slot is left."""
        with self.locked():
            now, used = time.monotonic_ns(), self.used()
            best, longest, pace = None, 2.0 * STEAL_COST_NS, 0.0
            for slot in range(used):
                at, end = self.cell(slot, _NEXT), self.cell(slot, _END)
                done, spent = at - self.cell(slot, _START), now - self.cell(slot, _T0)
                if self.cell(slot, _STATE) != _RUNNING or done < 1 or spent <= 0:
                    continue
                ns = spent / done  # per item, so far
                if (end - at) * ns > longest:
                    best, longest, pace = slot, (end - at) * ns, ns
            if best is None or used >= self.SLOTS:
                return None
            at, end = self.cell(best, _NEXT), self.cell(best, _END)
            keep = max(READ_AHEAD, round((end - at + STEAL_COST_NS / pace) / 2))
            if at + keep >= end:
                return None
            self._put(used, at + keep, end)
            self.set(used, _STATE, _RUNNING)
            self.set(best, _END, at + keep)
            self.cells[0] = used + 1
            return used

    def close(self) -> None:
        """Free the shared memory and the lock file (in the parent, after the workers)."""
        self.cells.release()
        self.mem.close()
        self.file.close()


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
