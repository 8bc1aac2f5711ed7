# gatekeeper/fsutil.py: atomic file writes and inter-process locks, so concurrent hooks lose nothing.
"""Filesystem primitives shared by the ledger, the escalation inbox and the cache."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename: readers see old or new."""
    atomic_write_many([(path, data)])


#: Most threads :func:`atomic_write_many` flushes with.
_SYNC_THREADS = 16


def atomic_write_many(items: Sequence[tuple[Path, bytes]]) -> None:
    """:func:`atomic_write` for several files: every temporary file is written, then all
    are flushed to disk side by side (an fsync each, in threads: the file system commits
    them together, where one after another a blocked push's notes waited for the disk
    thirty times), then each is renamed into place, in order. A failure leaves every
    file as it was (those renamed before it aside) and no temporary file behind."""
    # Imported here: tempfile pulls in shutil, random, bz2 and lzma (~3 ms), and a
    # passing hook with a warm cache writes nothing.
    import tempfile

    temps: list[tuple[int, str, Path]] = []
    try:
        for path, data in items:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            temps.append((fd, tmp, path))
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        _sync_all([fd for fd, _, _ in temps])
        while temps:
            fd, tmp, path = temps[0]
            os.close(fd)
            os.replace(tmp, path)
            del temps[0]
    except BaseException:
        for fd, tmp, _ in temps:
            with contextlib.suppress(OSError):
                os.close(fd)
            Path(tmp).unlink(missing_ok=True)
        raise


def _sync_all(fds: list[int]) -> None:
    """fsync every file of ``fds``, side by side; the first failure is raised."""
    if len(fds) <= 1:
        for fd in fds:
            os.fsync(fd)
        return
    import threading

    errors: list[OSError] = []

    def sync(chunk: list[int]) -> None:
        for fd in chunk:
            try:
                os.fsync(fd)
            except OSError as exc:
                errors.append(exc)

    width = min(len(fds), _SYNC_THREADS)
    threads = [threading.Thread(target=sync, args=(fds[k::width],)) for k in range(width)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


@contextlib.contextmanager
def locked(lock_path: Path, timeout: float = 30.0) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (flock on POSIX, an O_EXCL file elsewhere).

    flock is released by the kernel when a process dies, so a hook killed mid-write
    cannot leave the inbox locked.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        deadline = time.monotonic() + timeout
        while True:
            try:
                fd = os.open(lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                break
            except FileExistsError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"could not lock {lock_path}") from None
                time.sleep(0.02)
        try:
            yield
        finally:
            os.close(fd)
            lock_path.unlink(missing_ok=True)
        return
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"could not lock {lock_path}") from None
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)
