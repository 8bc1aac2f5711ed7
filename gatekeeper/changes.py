# gatekeeper/changes.py: ChangeSet and FileChange, what one commit or the index changes, parsed from git.
"""What a change is: the files it touches, the lines it adds, and who says they made it.

Parsing lives here (pure, no processes) so that rules never call git: they read a
:class:`ChangeSet`. The input is git's ``--raw -z -p -U0`` output, whose raw entries
give exact paths and whose patch sections, in the same order, give the added lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import IO

from gatekeeper.errors import GitError
from gatekeeper.record import dataclass, field

#: Added lines kept per file for content rules; the rest are counted, not stored.
MAX_LINES_PER_FILE = 20_000
#: A longer line is cut before content rules see it (minified bundles, data blobs).
MAX_LINE_CHARS = 4_000

_HUNK = re.compile(r"^(@+) .*?\+(\d+)(?:,(\d+))? @+")
_MARK = b"\0\0GK1\0"


@dataclass(slots=True)
class FileChange:
    """One file touched by a change."""

    path: str
    status: str  # A M D R C T (git's letters); a merge's combined entry reports M or A
    old_path: str | None = None
    new_mode: str = "100644"
    new_blob: str = ""
    added: int = 0
    deleted: int = 0
    binary: bool = False
    truncated: bool = False
    added_lines: list[tuple[int, str]] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        """True for a file the change creates (a copy or rename is not new content)."""
        return self.status == "A"

    @property
    def is_deleted(self) -> bool:
        """True for a file the change removes."""
        return self.status == "D"

    @property
    def is_gitlink(self) -> bool:
        """True for a submodule entry, whose 'content' is a commit id."""
        return self.new_mode == "160000"

    @property
    def changed(self) -> int:
        """Lines added plus lines deleted."""
        return self.added + self.deleted


@dataclass(slots=True)
class ChangeSet:
    """One commit (or the staged index, ``commit is None``) and the files it changes."""

    commit: str | None
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    message: str
    files: list[FileChange]
    tree: str = ""

    @property
    def label(self) -> str:
        """A short name for reports: the abbreviated commit id, or "staged"."""
        return self.commit[:12] if self.commit else "staged"

    @property
    def is_merge(self) -> bool:
        """True for a commit with more than one parent."""
        return len(self.parents) > 1

    def trailers(self) -> dict[str, str]:
        """The message's trailers (last paragraph of ``Key: value`` lines); later keys win."""
        return parse_trailers(self.message)


_TRAILER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*)\s*:\s*(.*?)\s*$")


def parse_trailers(message: str) -> dict[str, str]:
    """Trailers of a commit message, keys lower-cased, as ``git interpret-trailers`` finds them.

    The trailer block is the last paragraph; it counts when at least one of its lines is a
    ``Key: value`` trailer and the other lines are continuations or (like git's 25% rule)
    a minority. Comment lines (``#``) are ignored, since commit-msg sees them.
    """
    lines = [ln for ln in message.replace("\r\n", "\n").split("\n") if not ln.startswith("#")]
    while lines and not lines[-1].strip():
        lines.pop()
    block: list[str] = []
    for ln in reversed(lines):
        if not ln.strip():
            break
        block.append(ln)
    block.reverse()
    if len(block) == len([ln for ln in lines if ln.strip()]) and len(lines) > 0:
        # A message that is a single paragraph has no trailer block, except when that
        # paragraph is only trailers after a subject line git would also not accept.
        if len(block) < 2 or not _TRAILER.match(block[0]) or not _TRAILER.match(block[-1]):
            return {}
        block = block[1:]
    found: dict[str, str] = {}
    hits = 0
    for ln in block:
        m = _TRAILER.match(ln)
        if m:
            hits += 1
            found[m.group(1).lower()] = m.group(2)
    if hits == 0 or hits * 4 < len(block) * 3:
        return {}
    return found


def _decode_path(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _parse_raw(tokens: list[bytes]) -> tuple[list[FileChange], int]:
    """Parse ``--raw -z`` entries; return the files and the index of the first non-raw token."""
    files: list[FileChange] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i].lstrip(b"\n")
        if not tok:
            i += 1
            continue
        if not tok.startswith(b":"):
            break
        colons = len(tok) - len(tok.lstrip(b":"))
        fields = tok[colons:].split(b" ")
        # fields: modes (colons + 1), ids (colons + 1), status
        new_mode = fields[colons].decode()
        new_blob = fields[2 * colons + 1].decode()
        status = fields[-1].decode()
        letter = status[0]
        if colons > 1:
            # A combined entry: "A" only if every parent lacked the file.
            letter = "A" if set(status) == {"A"} else "M"
        if letter in "RC" and colons == 1:
            old, new = _decode_path(tokens[i + 1]), _decode_path(tokens[i + 2])
            files.append(FileChange(path=new, old_path=old, status=letter,
                                    new_mode=new_mode, new_blob=new_blob))
            i += 3
        else:
            files.append(FileChange(path=_decode_path(tokens[i + 1]), status=letter,
                                    new_mode=new_mode, new_blob=new_blob))
            i += 2
    return files, i


def _parse_patch(lines: Iterable[bytes], files: list[FileChange]) -> None:
    """Fill added/deleted counts and added lines from the patch sections, in raw order.

    ``lines`` may be a stream: a huge diff is counted line by line, never held whole.
    """
    index = -1
    current: FileChange | None = None
    columns = 1
    lineno = 0
    in_hunk = False
    for raw_line in lines:
        raw_line = raw_line.rstrip(b"\n")
        if raw_line.startswith(b"diff --"):
            index += 1
            current = files[index] if index < len(files) else None
            in_hunk = False
            continue
        if current is None:
            continue
        first = raw_line[:1]
        if first == b"@" and raw_line.startswith(b"@@"):
            m = _HUNK.match(raw_line.decode("utf-8", "replace"))
            if m:
                columns = len(m.group(1)) - 1
                lineno = int(m.group(2))
                in_hunk = True
            continue
        if not in_hunk:
            if raw_line.startswith(b"Binary files ") or raw_line.startswith(b"GIT binary patch"):
                current.binary = True
            continue
        marks = raw_line[:columns]
        if marks == b"+" * columns:
            current.added += 1
            if not current.is_gitlink:
                if len(current.added_lines) < MAX_LINES_PER_FILE:
                    text = raw_line[columns:].decode("utf-8", "replace")
                    if len(text) > MAX_LINE_CHARS:
                        text = text[:MAX_LINE_CHARS]
                        current.truncated = True
                    current.added_lines.append((lineno, text))
                else:
                    current.truncated = True
            lineno += 1
        elif marks == b"-" * columns:
            current.deleted += 1
        elif first in (b"+", b" ") and b"-" not in marks:
            lineno += 1  # a line of the result that some parent already had


def parse_diff_stream(stream: IO[bytes]) -> list[FileChange]:
    """Parse ``--raw -z -p`` output from a pipe, reading the patch a line at a time."""
    buf = b""
    while True:
        chunk = stream.read1(1 << 16) if hasattr(stream, "read1") else stream.read(1 << 16)
        buf += chunk
        tokens = buf.split(b"\0")
        try:
            files, first_patch = _parse_raw(tokens)
        except (IndexError, ValueError):  # a raw entry cut by the chunk boundary
            files, first_patch = [], len(tokens)
        # Complete once the parser stopped at the start of the patch text (whose first
        # bytes are in hand), or the stream ended.
        started = first_patch < len(tokens) and tokens[first_patch][:1] not in (b"", b":")
        if not chunk or started or first_patch < len(tokens) - 1:
            break
    head = b"\0".join(tokens[first_patch:])
    _parse_patch(_lines(head, stream), files)
    return files


def _lines(head: bytes, stream: IO[bytes]) -> Iterator[bytes]:
    """The lines of ``head`` followed by the rest of ``stream``, split correctly at the seam."""
    parts = head.split(b"\n")
    yield from parts[:-1]
    tail = parts[-1]
    for line in stream:
        if tail:
            line, tail = tail + line, b""
        yield line
    if tail:
        yield tail


class _Pipe:
    """A pull parser's view of a pipe: read up to a delimiter, peek, read a line.

    It keeps an offset into one buffer and compacts only when refilling, so parsing stays
    linear however the pipe splits its reads.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.buf = bytearray()
        self.pos = 0
        self.eof = False

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(1 << 16)
        if not chunk:
            self.eof = True
            return False
        if self.pos:
            del self.buf[: self.pos]
            self.pos = 0
        self.buf += chunk
        return True

    def peek(self, n: int) -> bytes:
        while len(self.buf) - self.pos < n and self._fill():
            pass
        return bytes(self.buf[self.pos : self.pos + n])

    def skip(self, n: int) -> None:
        self.pos += n

    def until(self, delim: bytes) -> bytes | None:
        """Everything up to ``delim`` (consumed, not returned); the rest at EOF; None if empty."""
        start = self.pos
        while True:
            i = self.buf.find(delim, start)
            if i != -1:
                out = bytes(self.buf[self.pos : i])
                self.pos = i + len(delim)
                return out
            start = max(self.pos, len(self.buf) - len(delim) + 1)
            offset = start - self.pos
            if not self._fill():
                out = bytes(self.buf[self.pos :])
                self.pos = len(self.buf)
                return out or None
            start = self.pos + offset

    def patch_lines(self) -> Iterator[bytes]:
        """Lines (without their newline) until the next record's mark or EOF. A patch line
        never starts with NUL and the mark does, so one byte tells them apart."""
        buf = self.buf
        while True:
            if self.pos >= len(buf) and not self._fill():
                return
            if buf[self.pos] == 0:
                return
            i = buf.find(b"\n", self.pos)
            while i == -1:
                if not self._fill():
                    line = bytes(buf[self.pos :])
                    self.pos = len(buf)
                    yield line
                    return
                i = buf.find(b"\n", self.pos)
            line = bytes(buf[self.pos : i])
            self.pos = i + 1
            yield line


def parse_log_stream(stream: IO[bytes]) -> Iterator[ChangeSet]:
    """Parse the ``git log`` stream that :func:`gatekeeper.git.log_changes` starts, lazily.

    A pull parser: the header fields and raw entries are read token by token, the patch
    line by line, so a commit with a huge diff is counted without being held in memory,
    and the parse stays linear however the pipe splits its reads.
    """
    pipe = _Pipe(stream)
    if pipe.until(_MARK) is None and pipe.eof:
        return
    while True:
        fields = [pipe.until(b"\0") or b"" for _ in range(6)]
        sha, tree, parents, name, email, message = (f.decode("utf-8", "replace") for f in fields)
        if not sha:
            return
        while pipe.peek(1) in (b"\0", b"\n") and pipe.peek(len(_MARK)) != _MARK:
            pipe.skip(1)
        files: list[FileChange] = []
        while pipe.peek(1) == b":":
            meta = pipe.until(b"\0") or b""
            paths = [pipe.until(b"\0") or b""]
            status = meta.rsplit(b" ", 1)[-1][:1]
            if status in (b"R", b"C") and not meta.startswith(b"::"):
                paths.append(pipe.until(b"\0") or b"")
            try:
                files.extend(_parse_raw([meta, *paths])[0])
            except (IndexError, ValueError):  # a cut or corrupt stream (git killed mid-way)
                raise GitError(f"git log output for {sha[:12]} is malformed: {meta[:60]!r}") from None
        if pipe.peek(len(_MARK)) != _MARK and pipe.peek(1) == b"\0":
            pipe.skip(1)  # the separator between the raw entries and the patch
        _parse_patch(pipe.patch_lines(), files)
        yield ChangeSet(commit=sha, parents=tuple(parents.split()), author_name=name,
                        author_email=email, message=message, files=files, tree=tree)
        if pipe.until(_MARK) is None:
            return
