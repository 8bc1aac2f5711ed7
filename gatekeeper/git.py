# gatekeeper/git.py: the one place that talks to git; batched, streaming, no GitPython on the hot path.
"""Every git process the gatekeeper starts is started here.

The hot path uses plain subprocesses: a persistent ``git cat-file --batch-command``
for blobs, and one streamed ``git log``/``git diff`` for changes, so that judging N
commits costs a constant number of processes. GitPython (115 ms to import) is used only
off the hot path, by ``init`` and ``install``.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

from gatekeeper.changes import ChangeSet, parse_diff_stream, parse_log_stream
from gatekeeper.errors import GitError, NotARepository
from gatekeeper.record import dataclass

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
ZERO = "0" * 40
_TREE_PAIR = re.compile(rb"([0-9a-f]{40,64}) ([0-9a-f]{40,64})\n")

# Options that make git's output independent of the user's configuration.
_CONFIG = (
    "-c", "core.quotePath=false",
    "-c", "diff.noprefix=false",
    "-c", "diff.mnemonicPrefix=false",
    "-c", "diff.relative=false",
    "-c", "log.showSignature=false",
    "-c", "color.ui=never",
)
_DIFF_OPTS = (
    "--raw", "-z", "-p", "-U0", "-M",
    "--no-color", "--no-ext-diff", "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/",
)

#: Counts every git process started, so tests and benchmarks can prove batching.
SPAWNED: list[tuple[str, ...]] = []
_LIVE: list[subprocess.Popen[bytes]] = []


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # A pager or a terminal prompt would hang a hook.
    env["GIT_PAGER"] = "cat"
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.pop("GIT_EXTERNAL_DIFF", None)
    return env


def _popen(args: Sequence[str], cwd: Path, **kw: object) -> subprocess.Popen[bytes]:
    argv = ("git", *_CONFIG, *args)
    SPAWNED.append(tuple(args))
    if os.environ.get("GATEKEEPER_TRACE_GIT"):
        with open(os.environ["GATEKEEPER_TRACE_GIT"], "a", encoding="utf-8") as fh:
            fh.write(" ".join(args[:2]) + "\n")
    proc: subprocess.Popen[bytes] = subprocess.Popen(  # type: ignore[call-overload]
        argv, cwd=cwd, env=_env(), **kw)
    _LIVE[:] = [p for p in _LIVE if p.poll() is None]
    _LIVE.append(proc)
    return proc


def kill_all() -> None:
    """Kill every git process still running (a deadline passed)."""
    for proc in _LIVE:
        if proc.poll() is None:
            proc.kill()


def run(args: Sequence[str], cwd: Path, *, input: bytes | None = None, check: bool = True) -> bytes:
    """Run ``git args`` in ``cwd`` and return stdout; raise GitError on failure when ``check``."""
    proc = _popen(args, cwd, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(input)
    if check and proc.returncode != 0:
        msg = err.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {msg[-1] if msg else 'exit ' + str(proc.returncode)}")
    return out


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


def discover(path: Path | None = None) -> Repo:
    """Find the repository containing ``path`` (default: the current directory)."""
    where = Path(path or os.getcwd())
    proc = _popen(["rev-parse", "--is-bare-repository", "--absolute-git-dir", "--git-common-dir",
                   "--is-shallow-repository", "--show-cdup"], where,
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


class CatFile:
    """A persistent ``git cat-file --batch-command``: many lookups, one process."""

    def __init__(self, repo: Repo) -> None:
        self._proc = _popen(["cat-file", "--batch-command"], repo.cwd,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def _ask(self, command: str) -> tuple[str, str, int] | None:
        stdin, stdout = self._proc.stdin, self._proc.stdout
        assert stdin is not None and stdout is not None
        stdin.write(command.encode("utf-8", "surrogateescape") + b"\n")
        stdin.flush()
        header = stdout.readline().decode("ascii", "replace").split()
        if len(header) != 3:  # "<name> missing" or "ambiguous"
            return None
        return header[0], header[1], int(header[2])

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


def staged_changes(repo: Repo, head: str | None, message: str, author: tuple[str, str]) -> ChangeSet:
    """The index against HEAD (or the empty tree in a repository with no commits)."""
    base = head or EMPTY_TREE
    proc = _popen(["diff", "--cached", *_DIFF_OPTS, base, "--"], repo.cwd,
                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    files = parse_diff_stream(proc.stdout)  # streamed: a huge diff is never held whole
    err = proc.stderr.read()
    if proc.wait() != 0:
        msg = err.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git diff failed: {msg[-1] if msg else 'exit ' + str(proc.returncode)}")
    return ChangeSet(commit=None, parents=(head,) if head else (), author_name=author[0],
                     author_email=author[1], message=message, files=files)


def log_changes(repo: Repo, include: Sequence[str], exclude: Sequence[str] = (),
                *, exclude_refs: Sequence[str] = (), limit: int | None = None,
                ) -> Iterator[ChangeSet]:
    """Stream every commit reachable from ``include`` and not from ``exclude``, oldest first.

    One ``git log`` process for any number of commits. Merge commits carry a combined
    diff: only what differs from every parent.
    """
    args = ["log", "--reverse", "--topo-order", "--no-show-signature", "--no-relative",
            "--format=%x00%x00GK1%x00%H%x00%T%x00%P%x00%an%x00%ae%x00%B%x00%(trailers:only,unfold)%x00",
            "--diff-merges=combined", *_DIFF_OPTS]
    if limit is not None:
        args.append(f"--max-count={limit}")
    stdin_revs = [*include, *(f"^{r}" for r in exclude)]
    args.append("--stdin")
    if exclude_refs:
        # e.g. ["--all"] on a server: only commits new to the repository.
        args += ["--not", *exclude_refs]
    proc = _popen(args, repo.cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(("\n".join(stdin_revs) + "\n").encode())
    proc.stdin.close()
    yield from parse_log_stream(proc.stdout)
    err = proc.stderr.read() if proc.stderr else b""
    if proc.wait() != 0:
        msg = err.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git log failed: {msg[-1] if msg else 'exit ' + str(proc.returncode)}")


def numstat_trees(repo: Repo, pairs: Sequence[tuple[str, str]], pathspecs: Sequence[str],
                  ) -> dict[tuple[str, str], dict[str, int]]:
    """Lines changed per path for each (base tree, target tree), in one ``git diff-tree --stdin``.

    Binary files count as zero lines.
    """
    result: dict[tuple[str, str], dict[str, int]] = {p: {} for p in pairs}
    if not pairs:
        return result
    args = ["diff-tree", "--stdin", "-r", "--numstat", "-z", "--no-renames", "--no-ext-diff",
            "--no-textconv", "--", *pathspecs]
    out = run(args, repo.cwd, input="".join(f"{b} {t}\n" for b, t in set(pairs)).encode())
    current: dict[str, int] | None = None
    pos, n = 0, len(out)
    while pos < n:
        head = _TREE_PAIR.match(out, pos)
        if head is not None:
            current = result.setdefault((head.group(1).decode(), head.group(2).decode()), {})
            pos = head.end()
            continue
        end = out.find(b"\0", pos)
        end = n if end == -1 else end
        if current is not None:
            path, lines = _numstat_entry(out[pos:end])
            current[path] = lines
        pos = end + 1
    return result


def numstat(repo: Repo, base: str, target: str | None, pathspecs: Sequence[str]) -> dict[str, int]:
    """Lines changed per path from ``base`` to ``target`` (None: the index). Binary files
    count as zero lines."""
    where = ["--cached", base] if target is None else [base, target]
    out = run(["diff", "--numstat", "-z", "--no-renames", "--no-ext-diff", "--no-textconv",
               *where, "--", *pathspecs], repo.cwd)
    stats: dict[str, int] = {}
    for token in out.split(b"\0"):
        if token.strip():
            path, lines = _numstat_entry(token.strip(b"\n"))
            stats[path] = lines
    return stats


def _numstat_entry(token: bytes) -> tuple[str, int]:
    """``added<TAB>deleted<TAB>path`` -> (path, added + deleted); "-" (binary) counts 0."""
    added, deleted, path = token.split(b"\t", 2)
    return (path.decode("utf-8", "surrogateescape"),
            (0 if added == b"-" else int(added)) + (0 if deleted == b"-" else int(deleted)))
