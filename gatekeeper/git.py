# gatekeeper/git.py: the one place that talks to git; batched, streaming, no GitPython on the hot path.
"""Every git process the gatekeeper starts is started here.

The hot path uses plain subprocesses: a persistent ``git cat-file --batch-command``
for blobs, and one streamed ``git log``/``git diff`` for changes, so that judging N
commits costs a constant number of processes. GitPython (115 ms to import) is used only
off the hot path, by ``install`` and ``uninstall`` (gatekeeper/install.py).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import weakref
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path

from gatekeeper.changes import (
    LOG_FORMAT,
    ChangeSet,
    FileChange,
    _parse_raw,
    parse_diff_stream,
    parse_log_stream,
)
from gatekeeper.errors import GitError, NotARepository
from gatekeeper.record import dataclass

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
ZERO = "0" * 40
_TREE_PAIR = re.compile(rb"([0-9a-f]{40,64}) ([0-9a-f]{40,64})\n")

# Options that make git's output independent of the user's configuration.
#: core.bigFileThreshold, forced (see _CONFIG): diff treats a bigger file as binary.
BIG_FILE = 512 << 20
_CONFIG = (
    "-c", "core.quotePath=false",
    "-c", "diff.noprefix=false",
    "-c", "diff.mnemonicPrefix=false",
    "-c", "diff.relative=false",
    "-c", "log.showSignature=false",
    "-c", "color.ui=never",
    # git's default: a repository's own lower value would make diff call text files binary
    # (their lines unscanned and uncounted), so a client could set it to hide a change.
    "-c", f"core.bigFileThreshold={BIG_FILE}",
)
# --text: attributes (``-diff``, ``binary``, a ``diff=`` driver) never hide lines; the parser
# decides binary-ness by content instead. -C: renames and copies keep their source path.
_DIFF_OPTS = (
    "--raw", "-z", "-p", "-U0", "-C", "--text", "--no-abbrev",
    "--no-color", "--no-ext-diff", "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/",
)
# A range is read without in-tree attributes (see attribute_free), so git's own test by
# content decides binary-ness and real binaries do not flood the stream.
_LOG_DIFF_OPTS = tuple(o for o in _DIFF_OPTS if o != "--text")
#: git's own rule for binary content: a NUL byte in the first 8,000 bytes of either side.
BINARY_PROBE = 8000

#: Counts every git process started, so tests and benchmarks can prove batching.
SPAWNED: list[tuple[str, ...]] = []
_LIVE: list[subprocess.Popen[bytes]] = []
#: Processes gatekeeper/early.py started before the hook's imports, by argv: (cwd, pipe
#: settings, process). _popen hands one out instead of starting the same command again.
EARLY: dict[tuple[str, ...], tuple[str, dict[str, object], subprocess.Popen[bytes]]] = {}
#: Every open CatFile, so that a forked worker (gatekeeper/workers.py) gets its own processes.
_CATS: weakref.WeakSet[CatFile] = weakref.WeakSet()


def _after_fork() -> None:
    # The parent's git processes are the parent's: a worker neither kills nor waits for them.
    _LIVE.clear()
    EARLY.clear()
    for cat in list(_CATS):
        if cat._proc.returncode is None:
            cat._own()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # A pager or a terminal prompt would hang a hook.
    env["GIT_PAGER"] = "cat"
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.pop("GIT_EXTERNAL_DIFF", None)
    # What is judged is the real history: replace refs and grafts could show git another one.
    env["GIT_NO_REPLACE_OBJECTS"] = "1"
    env["GIT_GRAFT_FILE"] = os.devnull
    env.pop("GIT_REPLACE_REF_BASE", None)
    return env


def _popen(args: Sequence[str], cwd: Path, *, extra_env: dict[str, str] | None = None,
           **kw: object) -> subprocess.Popen[bytes]:
    early = EARLY.get(tuple(args)) if EARLY else None
    if early is not None and early[0] == str(cwd) and early[1] == kw and not extra_env:
        del EARLY[tuple(args)]
        return early[2]
    argv = ("git", "--no-replace-objects", *_CONFIG, *args)
    SPAWNED.append(tuple(args))
    if os.environ.get("GATEKEEPER_TRACE_GIT"):
        with open(os.environ["GATEKEEPER_TRACE_GIT"], "a", encoding="utf-8") as fh:
            i = 0
            while i < len(args) and args[i] == "-c":  # the command, not its -c options
                i += 2
            fh.write(" ".join(args[i : i + 2]) + "\n")
    proc: subprocess.Popen[bytes] = subprocess.Popen(  # type: ignore[call-overload]
        argv, cwd=cwd, env={**_env(), **(extra_env or {})}, **kw)
    _LIVE[:] = [p for p in _LIVE if p.poll() is None]
    _LIVE.append(proc)
    return proc


_PIPE_BYTES = 1 << 20  # the default /proc/sys/fs/pipe-max-size for unprivileged processes


def widen_pipe(stream: object) -> None:
    """Let git write up to 1 MiB ahead of the parser instead of 64 KiB (Linux; best effort):
    git then keeps producing while Python judges a commit, instead of blocking on a full
    pipe. Elsewhere, or above the system's limit, the pipe stays as it is."""
    fileno = getattr(stream, "fileno", None)
    if fileno is None or not sys.platform.startswith("linux"):
        return
    import fcntl  # Linux only, and only here

    cmd = getattr(fcntl, "F_SETPIPE_SZ", None)  # Python 3.10+ on Linux
    if cmd is None:
        return
    with contextlib.suppress(OSError, ValueError):  # above pipe-max-size, or not a pipe
        fcntl.fcntl(fileno(), cmd, _PIPE_BYTES)


def kill_all() -> None:
    """Kill every git process still running (a deadline passed)."""
    for proc in _LIVE:
        if proc.poll() is None:
            proc.kill()


def run(args: Sequence[str], cwd: Path, *, input: bytes | None = None, check: bool = True,
        extra_env: dict[str, str] | None = None) -> bytes:
    """Run ``git args`` in ``cwd`` and return stdout; raise GitError on failure when ``check``."""
    proc = _popen(args, cwd, extra_env=extra_env,
                  stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(input)
    if check and proc.returncode != 0:
        raise _failed(args[0], proc.returncode, err)
    return out


def _failed(what: str, code: int, err: bytes) -> GitError:
    """The error for ``git what`` exiting with ``code``: git's last line of stderr."""
    msg = err.decode("utf-8", "replace").strip().splitlines()
    return GitError(f"git {what} failed: {msg[-1] if msg else 'exit ' + str(code)}")


def _wait(what: str, proc: subprocess.Popen[bytes]) -> None:
    """Wait for ``proc`` (its stdout already read or redirected); raise if it failed."""
    err = proc.stderr.read() if proc.stderr else b""
    if proc.wait() != 0:
        raise _failed(what, proc.returncode, err)


@dataclass(frozen=True)
class Repo:
    """Where a repository lives. ``top`` is None in a bare repository."""

    top: Path | None
    git_dir: Path
    common_dir: Path
    bare: bool
    shallow: bool

    @property
    def cwd(self) -> Path:
        """The directory git commands run in."""
        return self.top if self.top is not None else self.git_dir


#: Commands that gatekeeper/early.py starts before a hook's imports and hands over when the
#: code below asks for them: handed over only when equal, so each is spelt once, here.
DISCOVER = ("rev-parse", "--is-bare-repository", "--absolute-git-dir", "--git-common-dir",
            "--is-shallow-repository", "--show-cdup")
CAT_FILE = ("cat-file", "--batch-command")
#: The repository's ``gatekeeper.*`` settings (gatekeeper.hooks) and its branches
#: (gatekeeper.context.list_branches).
GATEKEEPER_CONFIG = ("config", "-z", "--get-regexp", r"^gatekeeper\.")
BRANCHES = ("for-each-ref", "--format=%(objectname) %(refname)", "refs/heads/")


def discover(path: Path | None = None) -> Repo:
    """Find the repository containing ``path`` (default: the current directory)."""
    where = Path(path or os.getcwd())
    proc = _popen(DISCOVER, where,
                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, _ = proc.communicate()
    lines = out.decode("utf-8", "surrogateescape").split("\n")
    if proc.returncode != 0 or len(lines) < 4:
        raise NotARepository(f"not a git repository: {where}")
    bare = lines[0] == "true"
    git_dir = Path(lines[1])
    common = Path(lines[2])
    if not common.is_absolute():
        common = (where / common).resolve()
    top = None if bare else (where / lines[4]).resolve() if len(lines) > 4 else where
    return Repo(top=top, git_dir=git_dir, common_dir=common, bare=bare, shallow=lines[3] == "true")


_NO_ATTR_DIR: list[str] = []


def attribute_free(repo: Repo) -> tuple[Path, dict[str, str], list[str]]:
    """(cwd, environment, options) under which git reads no in-tree ``.gitattributes``.

    git reads attributes from the work tree (falling back to the index), from
    ``core.attributesFile``, the system file and ``$GIT_DIR/info/attributes``; newer git also
    from ``attr.tree`` (HEAD in a bare repository). Judging commits needs none of them: git
    runs in an empty directory posing as the work tree, with an index that does not exist,
    so binary-ness is git's own test by content. Only ``info/attributes`` remains (an
    administrator's file, never a pushed one); when it exists, patches are read with
    ``--text`` and binary-ness decided by the parser, by content.
    """
    if not _NO_ATTR_DIR or not os.path.isdir(_NO_ATTR_DIR[0]):
        import atexit
        import shutil
        import tempfile

        _NO_ATTR_DIR[:] = [tempfile.mkdtemp(prefix="gatekeeper-noattr-")]
        atexit.register(shutil.rmtree, _NO_ATTR_DIR[0], True)
    empty = _NO_ATTR_DIR[0]
    env = {"GIT_DIR": str(repo.git_dir), "GIT_WORK_TREE": empty,
           "GIT_INDEX_FILE": os.path.join(empty, "index"), "GIT_ATTR_NOSYSTEM": "1"}
    opts = ["-c", "core.attributesFile=" + os.devnull, "-c", "attr.tree=" + EMPTY_TREE]
    info = repo.common_dir / "info" / "attributes"
    try:
        if info.stat().st_size > 0:
            opts.append("--text")
    except OSError:
        pass
    return Path(empty), env, opts


class CatFile:
    """A persistent ``git cat-file --batch-command``: many lookups, one process."""

    def __init__(self, repo: Repo) -> None:
        self._cwd = repo.cwd
        self._start()
        _CATS.add(self)

    def _start(self) -> None:
        self._proc = _popen(CAT_FILE, self._cwd,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def _own(self) -> None:
        """In a forked worker: leave the parent's process to the parent (closing only this
        process's copies of its pipes) and start one of this process's own, so that two
        processes never interleave their requests on one pipe."""
        for pipe in (self._proc.stdin, self._proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError, ValueError):
                    pipe.close()
        if self._proc.returncode is None:
            self._proc.returncode = 0  # not this process's child: never waited for here
        self._start()

    def _ask(self, command: str) -> tuple[str, str, int] | None:
        stdin = self._proc.stdin
        assert stdin is not None
        stdin.write(command.encode("utf-8", "surrogateescape") + b"\n")
        stdin.flush()
        return self._header()

    def _header(self) -> tuple[str, str, int] | None:
        """(object id, type, size) of the next answer; None for "<name> missing" or
        "ambiguous", which carry no content."""
        stdout = self._proc.stdout
        assert stdout is not None
        header = stdout.readline().decode("ascii", "replace").split()
        if len(header) != 3:
            return None
        return header[0], header[1], int(header[2])

    def _body(self, got: tuple[str, str, int], limit: int | None,
              ) -> tuple[str, str, int, bytes]:
        """The content after header ``got``: its first ``limit`` bytes (all with None) kept,
        the rest read and dropped in pieces, so a huge blob never sits in memory."""
        stdout = self._proc.stdout
        assert stdout is not None
        head = stdout.read(got[2] if limit is None else min(limit, got[2]))
        left = got[2] - len(head)
        while left > 0:
            piece = stdout.read(min(left, 1 << 20))
            if not piece:
                break
            left -= len(piece)
        stdout.read(1)  # the newline after the content
        return got[0], got[1], got[2], head

    def info(self, spec: str) -> tuple[str, str] | None:
        """(object id, type) of ``spec`` (e.g. ``HEAD:.pact/ledger.yaml``), or None if absent."""
        got = self._ask(f"info {spec}")
        return None if got is None else (got[0], got[1])

    def read(self, spec: str) -> tuple[str, str, bytes] | None:
        """(object id, type, content) of ``spec``, or None if absent."""
        got = self._ask(f"contents {spec}")
        if got is None:
            return None
        stdout = self._proc.stdout
        assert stdout is not None
        data = stdout.read(got[2])
        stdout.read(1)  # the newline after the content
        return got[0], got[1], data

    def read_prefix(self, spec: str, limit: int) -> tuple[str, str, int, bytes] | None:
        """(object id, type, size, first ``limit`` bytes) of ``spec``, or None if absent. The
        rest is read and dropped in pieces, so a huge blob never sits in memory."""
        got = self._ask(f"contents {spec}")
        return None if got is None else self._body(got, limit)

    def read_many(self, specs: Sequence[str], limit: int | None = None,
                  ) -> Generator[tuple[str, str, int, bytes] | None, None, None]:
        """:meth:`read_prefix` (or whole contents, with no ``limit``) of each of ``specs``, in
        order, for one round trip per batch instead of one per object: a range reads a few
        blobs per commit, and each round trip waits for git to be scheduled. The commands of
        a batch (at most 16 KiB) fit in the pipe, so writing them never waits on git while
        git waits on us. Answers are yielded as they are read, so a caller that keeps only a
        verdict per blob holds one blob at a time; one that stops early still leaves the
        process in step (the rest of the batch is read and dropped)."""
        for batch in self._batches("contents", specs):
            left = batch
            try:
                while left:
                    left -= 1
                    yield self._answer(limit)
            finally:
                while left:  # the caller stopped early: keep the protocol in step
                    left -= 1
                    self._answer(0)

    def _batches(self, verb: str, specs: Sequence[str]) -> Iterator[int]:
        """Write the ``verb`` commands of ``specs`` in batches of at most 16 KiB (they fit in
        the pipe, so writing never waits on git while git waits on us); yield each batch's
        size once it is written, for the caller to read that many answers."""
        stdin = self._proc.stdin
        assert stdin is not None
        head = verb.encode() + b" "
        k = 0
        while k < len(specs):
            batch: list[bytes] = []
            size = 0
            while k < len(specs) and (not batch or size < 16 << 10):
                line = head + specs[k].encode("utf-8", "surrogateescape") + b"\n"
                batch.append(line)
                size += len(line)
                k += 1
            stdin.write(b"".join(batch))
            stdin.flush()
            yield len(batch)

    def info_many(self, specs: Sequence[str]) -> list[tuple[str, str, int] | None]:
        """(object id, type, size) of each of ``specs`` (None if absent), in order, one round
        trip per batch."""
        out: list[tuple[str, str, int] | None] = []
        for batch in self._batches("info", specs):
            out.extend(self._header() for _ in range(batch))
        return out

    def _answer(self, limit: int | None) -> tuple[str, str, int, bytes] | None:
        got = self._header()
        return None if got is None else self._body(got, limit)

    def line_count(self, spec: str) -> int:
        """Lines of a blob, counted in pieces (a huge blob never sits in memory)."""
        got = self._ask(f"contents {spec}")
        return 0 if got is None else self._count(got[2])

    def line_counts(self, specs: Sequence[str]) -> list[int | None]:
        """:meth:`line_count` of each of ``specs`` (None when absent or not a blob), in
        order, one round trip per batch."""
        out: list[int | None] = []
        for batch in self._batches("contents", specs):
            for _ in range(batch):
                got = self._header()
                if got is None:
                    out.append(None)
                    continue
                lines = self._count(got[2])
                out.append(lines if got[1] == "blob" else None)
        return out

    def _count(self, size: int) -> int:
        stdout = self._proc.stdout
        assert stdout is not None
        left, lines, last = size, 0, b"\n"
        while left > 0:
            piece = stdout.read(min(left, 1 << 20))
            if not piece:
                break
            lines += piece.count(b"\n")
            last = piece[-1:]
            left -= len(piece)
        stdout.read(1)
        return lines + (0 if last == b"\n" else 1)

    def is_text(self, spec: str) -> bool:
        """True unless ``spec`` is a blob with a NUL in its first 8,000 bytes (git's test for
        binary content, without attributes); an absent side counts as text."""
        got = self.read_prefix(spec, BINARY_PROBE)
        return got is None or got[1] != "blob" or b"\0" not in got[3]

    def close(self) -> None:
        """End the process."""
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait()

    def __enter__(self) -> CatFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def parse_tree(data: bytes) -> Iterator[tuple[str, str, str]]:
    """(mode, name, object id) of each entry of a raw tree object."""
    i, n = 0, len(data)
    while i < n:
        sp = data.index(b" ", i)
        nul = data.index(b"\0", sp)
        mode = data[i:sp].decode()
        name = data[sp + 1 : nul].decode("utf-8", "surrogateescape")
        oid_len = 20 if len(data) - nul - 1 >= 20 else 0
        oid = data[nul + 1 : nul + 1 + oid_len].hex()
        yield mode, name, oid
        i = nul + 1 + oid_len


def ident(repo: Repo, who: str) -> tuple[str, str]:
    """(name, email) git would record as ``who`` ("AUTHOR" or "COMMITTER"); empty if unset."""
    out = run(["var", f"GIT_{who}_IDENT"], repo.cwd, check=False).decode("utf-8", "replace")
    name, sep, rest = out.partition("<")
    return name.strip(), (rest.split(">", 1)[0].strip() if sep else "")


#: The staged diff's command (gatekeeper/early.py starts it too; see DISCOVER).
STAGED = ("diff", "--cached", *_DIFF_OPTS, "--")


def staged_changes(repo: Repo, head: str | None, message: str, author: tuple[str, str]) -> ChangeSet:
    """The index against HEAD (or the empty tree in a repository with no commits)."""
    # No base named: git takes HEAD, or the empty tree before the first commit. The
    # command is then known before HEAD is read, so gatekeeper/early.py can start it.
    proc = _popen(STAGED, repo.cwd,
                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    files = parse_diff_stream(proc.stdout)  # streamed: a huge diff is never held whole
    _wait("diff", proc)
    return ChangeSet(commit=None, parents=(head,) if head else (), author_name=author[0],
                     author_email=author[1], message=message, files=files)


def _walk(include: Sequence[str], exclude: Sequence[str], exclude_refs: Sequence[str],
          limit: int | None) -> tuple[list[str], bytes, list[str]]:
    """A range's walk options, revisions (for ``--stdin``) and trailing ``--not`` refs."""
    walk = ["--reverse", "--topo-order", *([f"--max-count={limit}"] if limit is not None else [])]
    revs = ("\n".join([*include, *(f"^{r}" for r in exclude)]) + "\n").encode()
    nots = ["--not", *exclude_refs] if exclude_refs else []  # e.g. --all: new commits only
    return walk, revs, nots


def range_commits(repo: Repo, include: Sequence[str], exclude: Sequence[str] = (), *,
                  exclude_refs: Sequence[str] = (), limit: int | None = None) -> list[str]:
    """The commits :func:`log_changes` streams for the same arguments, in the same order,
    each as a line "commit parent...", ready for its ``listed``."""
    return start_range_commits(repo, include, exclude, exclude_refs=exclude_refs,
                               limit=limit)()


def start_range_commits(repo: Repo, include: Sequence[str], exclude: Sequence[str] = (), *,
                        exclude_refs: Sequence[str] = (), limit: int | None = None,
                        ) -> Callable[[], list[str]]:
    """:func:`range_commits`, started: git lists the range while the caller does other work;
    calling the result waits for the list (and raises git's error)."""
    walk, revs, nots = _walk(include, exclude, exclude_refs, limit)
    cwd, env, _ = attribute_free(repo)
    proc = _popen(["rev-list", "--parents", *walk, "--stdin", *nots], cwd, extra_env=env,
                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(revs)  # rev-list reads every revision before it writes a line
    except BrokenPipeError:
        pass  # git died early: its own words follow, from _wait
    finally:
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.close()

    def finish() -> list[str]:
        assert proc.stdout is not None
        out = proc.stdout.read()
        _wait("rev-list", proc)
        return out.decode().splitlines()

    return finish


def log_changes(repo: Repo, include: Sequence[str], exclude: Sequence[str] = (),
                *, exclude_refs: Sequence[str] = (), limit: int | None = None,
                listed: Sequence[str] | None = None, only: bool = False,
                ) -> Generator[ChangeSet, None, None]:
    """Stream every commit reachable from ``include`` and not from ``exclude``, oldest first.

    A constant number of ``git log`` processes for any number of commits. Merge commits
    carry a combined diff: only what differs from every parent. Most merges have none, and
    asking git for one with copy detection is what made a range cost twice ``git log -p``
    (every merge diffed against each parent, with copies searched among everything the
    merged branch brought). So the commits come from one ``git log`` without merge diffs,
    and the merges' combined diffs from side streams, asked only for the merges that have
    one (see :func:`_merge_kinds`); what each merge gets is exactly what one stream with
    ``--diff-merges=combined`` gave it.

    ``listed``: the range's :func:`range_commits`, already known (no ``rev-list`` is run
    for the merges). With ``only``, it replaces the walk: exactly the listed commits (a run
    of the range), in that order, each as the walk would have given it.
    """
    cwd, env, cfg = attribute_free(repo)
    text = ["--text"] if "--text" in cfg else []
    nots: list[str]
    if only and listed is not None:
        walk, nots = ["--no-walk=unsorted"], []
        revs = "".join(line.split(" ", 1)[0] + "\n" for line in listed).encode()
    else:
        walk, revs, nots = _walk(include, exclude, exclude_refs, limit)

    def stream(args: list[str], stdin: bytes, diff_opts: Sequence[str] = _LOG_DIFF_OPTS,
               ) -> tuple[subprocess.Popen[bytes], Iterator[ChangeSet]]:
        proc = _popen([*cfg[:4], "log", "--no-show-signature", "--no-relative", LOG_FORMAT,
                       *diff_opts, *text, *args, "--stdin"], cwd, extra_env=env,
                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdin is not None and proc.stdout is not None
        widen_pipe(proc.stdout)
        proc.stdin.write(stdin)
        proc.stdin.close()
        return proc, parse_log_stream(proc.stdout)

    if limit is not None and limit <= 1:  # one commit (a hook's own): no side streams
        proc, changes = stream([*walk, "--diff-merges=combined", *nots], revs)
        yield from changes
        _wait("log", proc)
        return
    main, changes = stream([*walk, "--diff-merges=off", *nots], revs)
    sides: dict[str, tuple[subprocess.Popen[bytes], Iterator[ChangeSet]]] = {}
    try:
        # The merges are sorted out while the first commits are judged (git does the work; the
        # thread only waits for it), and waited for at the first merge.
        import threading  # ranges only

        found: list[dict[str, str] | BaseException] = []

        def sort_out() -> None:
            try:
                known = listed if listed is not None else range_commits(
                    repo, include, exclude, exclude_refs=exclude_refs, limit=limit)
                found.append(_merge_kinds(cwd, env, known))
            except BaseException as exc:  # re-raised where the merges are needed
                found.append(exc)

        sorting = threading.Thread(target=sort_out, daemon=True)
        sorting.start()
        kinds: dict[str, str] | None = None

        def start_sides() -> dict[str, str]:
            sorting.join()
            got = found[0]
            if isinstance(got, BaseException):
                raise got
            # Renames change nothing in a "plain" merge's diff, so none are looked for (not
            # even the -M that diff.renames turns on by default).
            for name, opts in (("plain", (*(o for o in _LOG_DIFF_OPTS if o != "-C"),
                                          "--no-renames")),
                               ("copies", _LOG_DIFF_OPTS)):
                these = [sha for sha, k in got.items() if k == name]  # in stream order
                if these:
                    sides[name] = stream(["--no-walk=unsorted", "--diff-merges=combined"],
                                         ("\n".join(these) + "\n").encode(), opts)
            return got

        for change in changes:
            if change.is_merge and kinds is None:
                kinds = start_sides()
            kind = (kinds.get(change.commit or "") if kinds is not None and change.is_merge
                    else None)
            if kind is not None:
                got = next(sides[kind][1], None)
                if got is None or got.commit != change.commit:
                    raise GitError(f"git log gave no combined diff for merge {change.commit}")
                change = got
            yield change
        _wait("log", main)
        if kinds is None:
            kinds = start_sides()  # no merge came: the lists must agree (none expected)
            if kinds:
                raise GitError("git log gave no merge that rev-list lists")
        for proc, rest in sides.values():
            if next(rest, None) is not None:
                raise GitError("git log gave combined diffs for merges outside the range")
            _wait("log", proc)
    finally:  # a reader that stops early (an error, a deadline) stops git too
        for proc in (main, *(p for p, _ in sides.values())):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()


def _merge_kinds(cwd: Path, env: dict[str, str], listed: Sequence[str]) -> dict[str, str]:
    """The merges of ``listed`` (a :func:`range_commits`) that have a combined diff, in
    stream order, each with the side stream that gives it exactly: ``"plain"`` when every
    path in it is modified (status M) against every parent, ``"copies"`` otherwise. A merge
    not listed has an empty one.

    Found with ``diff-tree -c --no-renames`` (trees only, no file contents). Rename and
    copy detection only ever turn an added path into a rename or copy (a modified path
    stays modified, a deleted one may be absorbed into a rename), so the paths of the
    combined diff with ``-C`` are a subset of these: a merge with none here has none there,
    and a merge whose paths are all modified against every parent has the same paths,
    pairs and patch with or without ``-C``. Anything unexpected in git's answer: every
    merge goes to the ``-C`` stream, as if nothing were known.
    """
    # A line of two or more parents: a merge (only those are kept, not a list of every line).
    merges = re.findall(r"(?m)^(\w+) \w+ \w", "\n".join(listed))
    if not merges:
        return {}
    everything = dict.fromkeys(merges, "copies")
    out = run(["diff-tree", "--stdin", "-c", "-r", "--no-renames", "--raw", "-z", "--no-abbrev"],
              cwd, input=("\n".join(merges) + "\n").encode(), extra_env=env)
    where = {sha.encode(): k for k, sha in enumerate(merges)}
    statuses: dict[int, set[int]] = {}
    tokens = out.split(b"\0")
    cur, k = -1, 0
    while k < len(tokens):
        token = tokens[k]
        if token.startswith(b"::") and cur >= 0 and k + 1 < len(tokens):
            statuses[cur].update(token.rsplit(b" ", 1)[-1])  # one letter per parent
            k += 2  # the path follows; it is never read as anything else
        elif where.get(token, -1) > cur:
            cur = where[token]
            statuses[cur] = set()
            k += 1
        elif token == b"" and k == len(tokens) - 1:
            k += 1
        else:
            return everything
    return {sha: "plain" if statuses[i] <= {ord("M")} else "copies"
            for i, sha in enumerate(merges) if statuses.get(i)}


def numstat_trees(repo: Repo, pairs: Sequence[tuple[str, str]], pathspecs: Sequence[str],
                  cat: CatFile | None = None) -> dict[tuple[str, str], dict[str, int]]:
    """Lines changed per path for each (base tree, target tree), in one ``git diff-tree --stdin``.

    Binary files count as zero lines, binary by content: a file that git reports as binary
    only because of an attribute (``-diff``, ``binary``) is counted again with ``--text``.
    """
    return numstat_groups(repo, [(pairs, pathspecs)], cat)[0]


def numstat_groups(repo: Repo, groups: Sequence[tuple[Sequence[tuple[str, str]], Sequence[str]]],
                   cat: CatFile | None = None) -> list[dict[tuple[str, str], dict[str, int]]]:
    """:func:`numstat_trees` of each (pairs, pathspecs) group, the groups' ``diff-tree``
    processes side by side (a lone group with four or more pairs is split in two): a range
    waits for its scope budgets at the very end, when nothing else runs, and each budget is
    a whole diff from the feature's baseline, so each is best narrowed to its own paths."""
    results: list[dict[tuple[str, str], dict[str, int]]] = [{p: {} for p in pairs}
                                                            for pairs, _ in groups]
    cwd, env, cfg = attribute_free(repo)
    jobs: list[tuple[int, list[str], list[bytes]]] = []
    for g, (pairs, pathspecs) in enumerate(groups):
        lines = [f"{b} {t}\n".encode() for b, t in sorted(set(pairs))]
        if not lines:
            continue
        args = [*cfg[:4], "diff-tree", "--stdin", "-r", "--numstat", "-z", "--no-renames",
                "--no-ext-diff", "--no-textconv", "--", *pathspecs]
        halves = [lines[0::2], lines[1::2]]  # sorted pairs: alternate for even costs
        split = len(groups) == 1 and len(lines) >= 4 and (os.cpu_count() or 1) > 1
        jobs += [(g, args, half) for half in halves] if split else [(g, args, lines)]
    suspects: list[list[tuple[tuple[str, str], str]]] = [[] for _ in groups]
    for (g, _, _), out in zip(jobs, _run_many(cwd, env, [(a, ls) for _, a, ls in jobs]),
                              strict=True):
        _read_tree_numstat(out, results[g], suspects[g])
    for result, found in zip(results, suspects, strict=True):
        if found:
            _recount_hidden(repo, cat, cfg, result, found)
    return results


def _recount_hidden(repo: Repo, cat: CatFile | None, cfg: list[str],
                    result: dict[tuple[str, str], dict[str, int]],
                    suspects: list[tuple[tuple[str, str], str]]) -> None:
    """Count again, from their patch, the files numstat called binary whose both sides are
    text by git's own test (so only an attribute, or size, made numstat skip them)."""
    with _cat(repo, cat) as reader:
        # Both sides of every suspect, each tree and path once (pairs of a range share
        # their base trees), a round trip per batch: git's own test, a NUL in the first
        # 8,000 bytes; an absent side counts as text. Only the verdicts are kept.
        specs = sorted({f"{pair[k]}:{path}" for pair, path in suspects for k in (0, 1)})
        if "--text" not in cfg:
            # No attributes at all: git called a file binary by that same test, unless
            # a side is over core.bigFileThreshold. Only such suspects are read.
            over = {spec for spec, got in zip(specs, reader.info_many(specs), strict=True)
                    if got is not None and got[2] > BIG_FILE}
            suspects = [(pair, path) for pair, path in suspects
                        if f"{pair[0]}:{path}" in over or f"{pair[1]}:{path}" in over]
            specs = sorted({f"{pair[k]}:{path}" for pair, path in suspects
                            for k in (0, 1)})
        text = {spec: got is None or got[1] != "blob" or b"\0" not in got[3]
                for spec, got in zip(specs, reader.read_many(specs, BINARY_PROBE),
                                     strict=True)}
        hidden = [(pair, path) for pair, path in suspects
                  if text[f"{pair[0]}:{path}"] and text[f"{pair[1]}:{path}"]]
    # numstat ignores --text for attribute-binary files; their patch does not: count it.
    by_pair: dict[tuple[str, str], list[str]] = {}
    for pair, path in hidden:
        by_pair.setdefault(pair, []).append(path)
    for pair, paths in sorted(by_pair.items()):
        for path, lines in _count_patch(repo, ["diff-tree", "-r", *pair], paths).items():
            result[pair][path] = lines


def _run_many(cwd: Path, env: dict[str, str], jobs: list[tuple[list[str], list[bytes]]],
              ) -> list[bytes]:
    """The output of each ``git args`` fed its ``lines`` on stdin, the processes side by
    side, each writing to a temporary file so that none waits for another to be read."""
    if len(jobs) <= 1:
        return [run(args, cwd, input=b"".join(lines), extra_env=env) for args, lines in jobs]
    import tempfile  # ranges only

    with contextlib.ExitStack() as stack:
        outs = [stack.enter_context(tempfile.TemporaryFile()) for _ in jobs]
        procs = []
        for (args, lines), out in zip(jobs, outs, strict=True):
            proc = _popen(args, cwd, extra_env=env, stdin=subprocess.PIPE, stdout=out,
                          stderr=subprocess.PIPE)
            assert proc.stdin is not None
            proc.stdin.write(b"".join(lines))
            proc.stdin.close()
            procs.append(proc)
        got = []
        for proc, out in zip(procs, outs, strict=True):
            _wait("diff-tree", proc)
            out.seek(0)
            got.append(out.read())
        return got


def _read_tree_numstat(out: bytes, result: dict[tuple[str, str], dict[str, int]],
                       binary: list[tuple[tuple[str, str], str]]) -> None:
    current: dict[str, int] | None = None
    pair = ("", "")
    pos, n = 0, len(out)
    while pos < n:
        head = _TREE_PAIR.match(out, pos)
        if head is not None:
            pair = (head.group(1).decode(), head.group(2).decode())
            current = result.setdefault(pair, {})
            pos = head.end()
            continue
        end = out.find(b"\0", pos)
        end = n if end == -1 else end
        if current is not None:
            path, lines, is_binary = _numstat_entry(out[pos:end])
            current[path] = lines
            if is_binary:
                binary.append((pair, path))
        pos = end + 1


class _cat:  # a context manager used like a function, hence the lower-case name
    """The caller's CatFile, or a new one closed on exit."""

    def __init__(self, repo: Repo, cat: CatFile | None) -> None:
        self.own = cat is None
        self.cat = cat if cat is not None else CatFile(repo)

    def __enter__(self) -> CatFile:
        return self.cat

    def __exit__(self, *exc: object) -> None:
        if self.own:
            self.cat.close()


def _literal(path: str) -> str:
    return ":(literal)" + path


def numstat(repo: Repo, base: str, target: str | None, pathspecs: Sequence[str],
            cat: CatFile | None = None) -> dict[str, int]:
    """Lines changed per path from ``base`` to ``target`` (None: the index). Binary files
    count as zero lines, binary by content (an attribute cannot make text count zero)."""
    where = ["--cached", base] if target is None else [base, target]
    opts = ["--numstat", "-z", "--no-renames", "--no-ext-diff", "--no-textconv"]
    out = run(["diff", *opts, *where, "--", *pathspecs], repo.cwd)
    stats: dict[str, int] = {}
    suspects: list[str] = []
    for token in out.split(b"\0"):
        if token.strip():
            path, lines, is_binary = _numstat_entry(token.strip(b"\n"))
            stats[path] = lines
            if is_binary:
                suspects.append(path)
    if suspects:
        new = ":" if target is None else f"{target}:"
        with _cat(repo, cat) as reader:
            hidden = [p for p in suspects
                      if reader.is_text(f"{base}:{p}") and reader.is_text(f"{new}{p}")]
        if hidden:
            stats.update(_count_patch(repo, ["diff", *where], hidden))
    return stats


def _count_patch(repo: Repo, diff: list[str], paths: list[str]) -> dict[str, int]:
    """Lines added plus deleted per path, counted from the ``--text`` patch (binary by
    content counts zero): for files git's numstat calls binary only by attribute."""
    proc = _popen([*diff[:1], *_DIFF_OPTS, "--no-renames", *diff[1:], "--",
                   *map(_literal, paths)], repo.cwd,
                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    files = parse_diff_stream(proc.stdout, keep_lines=False)
    _wait(diff[0], proc)
    return {f.path: 0 if f.binary else f.changed for f in files}


def _numstat_entry(token: bytes) -> tuple[str, int, bool]:
    """``added<TAB>deleted<TAB>path`` -> (path, added + deleted, binary); "-" (binary) counts 0."""
    added, deleted, path = token.split(b"\t", 2)
    return (path.decode("utf-8", "surrogateescape"),
            (0 if added == b"-" else int(added)) + (0 if deleted == b"-" else int(deleted)),
            added == b"-")


def parse_tree_pairs(out: bytes) -> dict[tuple[str, str], list[FileChange]]:
    """``diff-tree --stdin --raw -z`` output over tree pairs -> the raw entries of each pair."""
    result: dict[tuple[str, str], list[FileChange]] = {}
    tokens: list[bytes] = []
    pair: tuple[str, str] | None = None
    pos, n = 0, len(out)

    def flush() -> None:
        if pair is not None and tokens:
            result.setdefault(pair, []).extend(_parse_raw(tokens)[0])

    while pos < n:
        head = _TREE_PAIR.match(out, pos)
        if head is not None:
            flush()
            tokens = []
            pair = (head.group(1).decode(), head.group(2).decode())
            pos = head.end()
            continue
        end = out.find(b"\0", pos)
        end = n if end == -1 else end
        tokens.append(out[pos:end])
        pos = end + 1
    flush()
    return result
