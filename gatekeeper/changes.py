# gatekeeper/changes.py: ChangeSet and FileChange, what one commit or the index changes, parsed from git.
"""What a change is: the files it touches, the lines it adds, and who says they made it.

Parsing lives here (pure, no processes) so that rules never call git: they read a
:class:`ChangeSet`. The input is git's ``--raw -z -p -U0 --text`` output, whose raw entries
give exact paths and whose patch sections give the added lines. Patches are parsed in bulk:
whole byte blocks are cut with ``bytes.find``/``split`` and one regex, never a Python call per
line, and streamed so that a huge diff is never held whole.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator

from gatekeeper.errors import GitError
from gatekeeper.record import dataclass

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import IO

#: Bytes of added text kept per file for content rules (any line length, any line count);
#: the rest is counted, not stored. ``GATEKEEPER_SCAN_LIMIT`` (bytes; 0 = no limit) changes it.
MAX_SCAN_BYTES = 2 * 1024 * 1024
#: A line longer than this is never held whole while streaming (its start is kept).
_LONG_LINE = 1 << 20
#: The most one read takes from a pipe: what git wrote ahead (git.widen_pipe lets it write up
#: to 1 MiB) comes in a few such reads, none of which waits.
_READ = 1 << 18

_MARK = b"\0\0GK1\0"
# The only lines of a patch that start with these are headers: hunk lines start with a
# +, - or space column, so one multiline regex finds every structural line of a block.
_STRUCT = re.compile(rb"^(?:diff --|@@|Binary files |GIT binary patch)[^\n]*\n", re.M)
_HUNK1 = re.compile(rb"@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_HUNKN = re.compile(rb"^(@+) .*?\+(\d+)(?:,(\d+))? @+")
_NO_NEWLINE = re.compile(rb"^\\[^\n]*\n", re.M)


def scan_limit() -> int:
    """Bytes of added text kept per file (``GATEKEEPER_SCAN_LIMIT``; 0 or less: no limit)."""
    raw = os.environ.get("GATEKEEPER_SCAN_LIMIT", "").strip()
    if raw.isdigit() or (raw.startswith("-") and raw[1:].isdigit()):
        value = int(raw)
        return value if value > 0 else 1 << 62
    return MAX_SCAN_BYTES


class FileChange:
    """One file touched by a change.

    A plain class with a hand-written constructor: a long push builds one per touched file,
    and the generic record constructor cost more than parsing the file's patch.
    """

    __slots__ = (
        "added",
        "added_lines",
        "binary",
        "deleted",
        "new_blob",
        "new_mode",
        "old_blob",
        "old_mode",
        "old_path",
        "path",
        "status",
        "truncated",
    )

    def __init__(self, path: str, status: str, old_path: str | None = None,
                 new_mode: str = "100644", new_blob: str = "", added: int = 0, deleted: int = 0,
                 binary: bool = False, truncated: bool = False,
                 added_lines: list[tuple[int, str]] | None = None, old_mode: str = "100644",
                 old_blob: str = "") -> None:
        self.path = path
        self.status = status  # A M D R C T (git's letters); a merge's combined entry: M or A
        self.old_path = old_path  # the source of a rename (R) or copy (C)
        self.new_mode = new_mode
        self.new_blob = new_blob
        self.added = added
        self.deleted = deleted
        #: By content: a NUL byte in the changed lines, whatever attributes say.
        self.binary = binary
        #: More added text than the scan limit: only its start is stored.
        self.truncated = truncated
        self.added_lines: list[tuple[int, str]] = [] if added_lines is None else added_lines
        self.old_mode = old_mode
        self.old_blob = old_blob

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"FileChange({inner})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FileChange):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    @property
    def is_new(self) -> bool:
        """True for a file the change creates: added, or a copy (a new file at its path, whose
        whole content the checker supplies). A rename is not new content."""
        return self.status in ("A", "C")

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
    #: git's own parse of the message's trailers (``%(trailers:only,unfold)``); None when
    #: git did not parse it (the staged change).
    trailer_block: str | None = None

    @property
    def label(self) -> str:
        """A short name for reports: the abbreviated commit id, or "staged"."""
        return self.commit[:12] if self.commit else "staged"

    @property
    def is_merge(self) -> bool:
        """True for a commit with more than one parent."""
        return len(self.parents) > 1

    def trailers(self) -> dict[str, str]:
        """The message's trailers as git reads them, keys lower-cased; later keys win."""
        if self.trailer_block is not None:
            from gatekeeper.trailers import parse_block

            return parse_block(self.trailer_block)
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


_NEEDS_QUOTE = re.compile(rb'[\x00-\x1f"\\\x7f]')
_C_ESCAPES = {7: b"\\a", 8: b"\\b", 9: b"\\t", 10: b"\\n", 11: b"\\v", 12: b"\\f", 13: b"\\r",
              34: b'\\"', 92: b"\\\\"}


def _quoted(prefix: bytes, path: str) -> bytes:
    """``prefix + path`` as git writes it in a ``diff --git`` line (core.quotePath=false)."""
    raw = prefix + path.encode("utf-8", "surrogateescape")
    if _NEEDS_QUOTE.search(raw) is None:
        return raw
    out = bytearray(b'"')
    for b in raw:
        if b in _C_ESCAPES:
            out += _C_ESCAPES[b]
        elif b < 0x20 or b == 0x7F:
            out += b"\\%03o" % b
        else:
            out.append(b)
    return bytes(out + b'"')


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
            files.append(FileChange(path=new, old_path=old, status=letter, new_mode=new_mode,
                                    new_blob=new_blob, old_mode=fields[0].decode(),
                                    old_blob=fields[colons + 1].decode()))
            i += 3
        else:
            files.append(FileChange(path=_decode_path(tokens[i + 1]), status=letter,
                                    new_mode=new_mode, new_blob=new_blob,
                                    old_mode=fields[0].decode(),
                                    old_blob=fields[colons + 1].decode()))
            i += 2
    return files, i


def _headers(files: list[FileChange]) -> dict[bytes, int]:
    """The ``diff`` line git writes for each raw entry -> its index. A type change has two
    patch sections (a deletion and an addition) under the same line, so sections are matched
    to entries by this line, never by counting."""
    out: dict[bytes, int] = {}
    for i, f in enumerate(files):
        # A merge's "diff --cc" sections come one per entry, in order: the fallback matches.
        out.setdefault(b"diff --git " + _quoted(b"a/", f.old_path or f.path) + b" "
                       + _quoted(b"b/", f.path), i)
    return out


class PatchParser:
    """Fill ``files``' added/deleted counts and added lines from their patch text.

    Fed arbitrary byte blocks (:meth:`feed`), it works on whole blocks: one regex pass finds
    the section and hunk headers; a single-parent hunk's body is cut with ``split`` and decoded
    once. Memory is bounded: at most ``limit`` bytes of added text are kept per file, and no
    line is held whole beyond 1 MiB while streaming.
    """

    def __init__(self, files: list[FileChange], limit: int | None = None,
                 keep_lines: bool = True) -> None:
        self.files = files
        self.limit = scan_limit() if limit is None else limit
        self.keep = keep_lines
        self.headers = _headers(files)
        self.cur: FileChange | None = None
        self.index = -1
        self.header = b""
        self.in_hunk = False
        self.columns = 1
        self.del_left = 0
        self.lineno = 0
        self.nul = False
        self.mark: tuple[int, int, int, bool] = (0, 0, 0, False)
        self.kept: dict[int, int] = {}
        self.carry = b""
        self.skip_line = False

    # -- streaming ---------------------------------------------------------------------------
    def feed(self, block: bytes) -> None:
        """Parse the next piece of the patch (any size, cut anywhere)."""
        if self.skip_line:
            # The rest of a giant line whose start was already taken.
            cut = block.find(b"\n")
            if b"\0" in (block if cut == -1 else block[:cut]):
                self.nul = True
            if cut == -1:
                return
            self.skip_line = False
            block = block[cut + 1 :]
        data = self.carry + block if self.carry else block
        cut = data.rfind(b"\n")
        if cut == -1:
            if len(data) > _LONG_LINE:
                # A single line longer than the window: judge its start, skip its rest.
                self.carry = b""
                self._block(data + b"\n")
                if self.cur is not None:
                    self.cur.truncated = self.cur.truncated or self.in_hunk
                self.skip_line = True
            else:
                self.carry = data
            return
        self.carry = data[cut + 1 :]
        self._block(data[: cut + 1] if cut + 1 < len(data) else data)

    def close(self) -> None:
        """End of the patch: parse a last unterminated line and settle the last section."""
        if self.carry:
            self._block(self.carry + b"\n")
            self.carry = b""
        self._end_section()

    def section(self, index: int, header: bytes, data: bytes) -> None:
        """Parse one whole file section (``data`` starts with its ``diff`` line)."""
        self._end_section()
        self.carry = b""
        self.skip_line = False
        self.index, self.header = index, header
        self.cur = cur = self.files[index]
        self.in_hunk = False
        self.mark = (cur.added, cur.deleted, len(cur.added_lines), cur.truncated)
        eol = data.find(b"\n")
        if eol != -1:
            self._block(data[eol + 1 :] if data.endswith(b"\n") else data[eol + 1 :] + b"\n")
        self._end_section()

    # -- structure ---------------------------------------------------------------------------
    def _block(self, data: bytes) -> None:
        pos = 0
        for m in _STRUCT.finditer(data):
            if m.start() > pos:
                self._body(data[pos : m.start()])
            self._struct(m.group(0)[:-1])
            pos = m.end()
        if pos < len(data):
            self._body(data[pos:] if pos else data)

    def _end_section(self) -> None:
        cur = self.cur
        if cur is not None and self.nul:
            # Binary by content (git's own test, minus attributes): roll this section back.
            added, deleted, kept, truncated = self.mark
            cur.binary = True
            cur.added, cur.deleted, cur.truncated = added, deleted, truncated
            del cur.added_lines[kept:]
        self.nul = False

    def _struct(self, line: bytes) -> None:
        if line.startswith(b"diff --"):
            self._end_section()
            index = self.headers.get(line)
            if index is None:  # an unexpected spelling: the next entry, or this one again
                index = self.index if line == self.header else self.index + 1
            self.index, self.header = index, line
            self.cur = self.files[index] if 0 <= index < len(self.files) else None
            self.in_hunk = False
            cur = self.cur
            if cur is not None:
                self.mark = (cur.added, cur.deleted, len(cur.added_lines), cur.truncated)
            return
        cur = self.cur
        if cur is None:
            return
        if line.startswith(b"@@"):
            if line.startswith(b"@@ "):
                m1 = _HUNK1.match(line)
                if m1 is None:
                    self.in_hunk = False
                    return
                self.columns = 1
                self.del_left = 1 if m1.group(1) is None else int(m1.group(1))
                self.lineno = int(m1.group(2))
            else:
                mn = _HUNKN.match(line)
                if mn is None:
                    self.in_hunk = False
                    return
                self.columns = len(mn.group(1)) - 1
                self.lineno = int(mn.group(2))
            self.in_hunk = True
        elif not self.in_hunk:
            cur.binary = True  # "Binary files ... differ" (never with --text, kept for safety)

    # -- hunk bodies -------------------------------------------------------------------------
    def _body(self, seg: bytes) -> None:
        cur = self.cur
        if cur is None or not self.in_hunk:
            return
        if b"\0" in seg:
            self.nul = True
        if b"\\" in seg and (seg[:1] == b"\\" or b"\n\\" in seg):
            seg = _NO_NEWLINE.sub(b"", seg)
            if not seg:
                return
        if self.columns != 1:
            self._combined(seg)
            return
        n = seg.count(b"\n")
        gone = min(self.del_left, n)
        if gone:
            self.del_left -= gone
            cur.deleted += gone
            if gone == n:
                return
            seg = seg.split(b"\n", gone)[-1]
        count = n - gone
        if seg[:1] != b"+":
            self._combined(seg)  # not the shape -U0 promises: count line by line
            return
        cur.added += count
        if self.keep and not cur.is_gitlink:
            self._keep(cur, seg, count)
        else:
            self.lineno += count

    def _keep(self, cur: FileChange, seg: bytes, count: int) -> None:
        """Store ``count`` added lines (``+text\\n`` each) within the file's byte budget."""
        used = self.kept.get(self.index, 0)
        room = self.limit - used
        if room <= 0:
            cur.truncated = True
            self.lineno += count
            return
        start = self.lineno
        self.lineno += count
        if len(seg) > room:
            cut = seg.rfind(b"\n", 0, room)
            if cut == -1:
                # One line longer than the room left: keep its start, so what can be scanned is.
                cut = seg.find(b"\n")
                seg = seg[: min(cut, room)] + b"\n"
            else:
                seg = seg[: cut + 1]
            count = seg.count(b"\n")
            cur.truncated = True
        self.kept[self.index] = used + len(seg)
        texts = seg[1:-1].decode("utf-8", "replace").split("\n+")
        cur.added_lines.extend(zip(range(start, start + count), texts, strict=False))

    def _combined(self, seg: bytes) -> None:
        """A merge's combined hunk (one column per parent), line by line: merges are few."""
        cur = self.cur
        assert cur is not None
        columns = self.columns
        plus, minus = b"+" * columns, b"-" * columns
        for raw_line in seg.split(b"\n")[:-1]:
            marks = raw_line[:columns]
            if marks == plus:
                cur.added += 1
                if self.keep and not cur.is_gitlink:
                    used = self.kept.get(self.index, 0)
                    if used < self.limit:
                        body = raw_line[columns : columns + self.limit - used]
                        if len(body) < len(raw_line) - columns:
                            cur.truncated = True
                        self.kept[self.index] = used + len(body) + 1
                        cur.added_lines.append((self.lineno, body.decode("utf-8", "replace")))
                    else:
                        cur.truncated = True
                self.lineno += 1
            elif marks == minus:
                cur.deleted += 1
                if columns == 1:
                    self.del_left -= 1
            elif marks[:1] in (b"+", b" ") and b"-" not in marks:
                self.lineno += 1  # a line of the result that some parent already had


#: A patch up to this size is parsed whole, a file section at a time; a larger one streams.
WINDOW = 4 << 20
# A hunk body starts with "\n@@", so every line follows a "\n": a literal "\n" lead lets the
# regex engine jump between candidates instead of testing "^" at every position.
_HEADS = re.compile(r"\n@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_ADDED = re.compile(r"\n\+([^\n]*)")


def parse_patch_blocks(blocks: Iterable[bytes], files: list[FileChange], *,
                       keep_lines: bool = True, limit: int | None = None) -> None:
    """Fill ``files`` from a patch given in blocks: whole when it fits :data:`WINDOW` (the
    common case, a handful of C-level calls per file), streamed block by block otherwise."""
    held: list[bytes] = []
    size = 0
    it = iter(blocks)
    for block in it:
        held.append(block)
        size += len(block)
        if size > WINDOW:
            parser = PatchParser(files, limit, keep_lines)
            for piece in held:
                parser.feed(piece)
            held.clear()
            for piece in it:
                parser.feed(piece)
            parser.close()
            return
    if held:
        data = b"".join(held) if len(held) > 1 else held[0]
        held.clear()  # the blocks are in ``data`` now: hold the patch once, not twice
        _parse_whole(data, files, keep_lines, limit)


def _parse_whole(data: bytes, files: list[FileChange], keep_lines: bool,
                 limit: int | None) -> None:
    """The fast path: each single-parent file section is counted with ``bytes.count`` and its
    added lines taken with one regex over the decoded section (``-U0`` puts every ``+`` line
    of a hunk after its header, and headers number them)."""
    parser = PatchParser(files, limit, keep_lines)
    headers = parser.headers
    # No patch line but a section header starts with "diff --" (hunk lines start with a
    # column mark), so a plain search finds the sections. Each is sliced out by offsets, one
    # at a time: a patch of one huge line is never copied more than the parse needs.
    size = len(data)
    start = 0 if data.startswith(b"diff --") else data.find(b"\ndiff --") + 1
    if start == 0 and not data.startswith(b"diff --"):
        start = size  # nothing before the first section belongs to a file
    index = -1
    last = b""
    while start < size:
        nxt = data.find(b"\ndiff --", start)
        end = size if nxt == -1 else nxt
        eol = data.find(b"\n", start, end)
        line = data[start:eol] if eol != -1 else data[start:end]
        section_at = start
        start = end + 1
        found = headers.get(line)
        index = found if found is not None else (index if line == last else index + 1)
        last = line
        if not 0 <= index < len(files):
            continue
        f = files[index]
        hunk = data.find(b"\n@@", section_at, end)
        if hunk == -1:
            if (data.find(b"\nBinary files ", section_at, end) != -1
                    or data.find(b"\nGIT binary patch", section_at, end) != -1):
                f.binary = True
            continue
        if data.find(b"\0", hunk, end) != -1:
            f.binary = True  # binary by content: nothing of this section is counted or kept
            continue
        if data.startswith(b"\n@@@", hunk, end) or (
                keep_lines and parser.kept.get(index, 0) + end - hunk > parser.limit):
            # merges, binary or over budget: slow path
            parser.section(index, line, data[section_at:end])
            continue
        body = data[hunk:end]
        f.deleted += body.count(b"\n-")
        added = body.count(b"\n+")
        f.added += added
        if not added or not keep_lines or f.is_gitlink:
            continue
        text = body.decode("utf-8", "replace")
        texts = _ADDED.findall(text)
        numbers: list[int] = []
        for first, count in _HEADS.findall(text):
            n = 1 if count == "" else int(count)
            if n:
                numbers.extend(range(int(first), int(first) + n))
        del text  # the lines are in ``texts``: do not hold the section twice while zipping
        if len(numbers) != len(texts):  # not the shape -U0 promises: take the slow path
            f.added -= added
            f.deleted -= body.count(b"\n-")
            parser.section(index, line, data[section_at:end])
            continue
        parser.kept[index] = parser.kept.get(index, 0) + len(body)
        del body
        f.added_lines.extend(zip(numbers, texts, strict=True))
    parser.close()


def parse_patch(data: bytes, files: list[FileChange], *, limit: int | None = None) -> None:
    """Fill ``files`` from a whole patch held in memory (tests, small diffs)."""
    parse_patch_blocks([data], files, limit=limit)


def parse_diff_stream(stream: IO[bytes], *, keep_lines: bool = True) -> list[FileChange]:
    """Parse ``--raw -z -p`` output from a pipe: the raw entries, then the patch in blocks."""
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

    read = getattr(stream, "read1", stream.read)  # what is there, never a wait for more

    def blocks() -> Iterator[bytes]:
        yield b"\0".join(tokens[first_patch:])
        while True:
            chunk = read(_READ)
            if not chunk:
                return
            yield chunk

    parse_patch_blocks(blocks(), files, keep_lines=keep_lines)
    return files


class _Pipe:
    """A pull parser's view of a pipe: read up to a delimiter, peek, read patch blocks.

    It keeps an offset into one buffer and compacts only when refilling, so parsing stays
    linear however the pipe splits its reads.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        # read1: what the pipe holds now (one system call), never a wait for a full block.
        # ``read(n)`` of a buffered pipe blocks until n bytes arrive, while git, its pipe
        # full, waits for us: the two would take turns instead of running side by side.
        self.read = getattr(stream, "read1", stream.read)
        self.buf = bytearray()
        self.pos = 0
        self.eof = False

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.read(_READ)
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

    def patch_blocks(self) -> Iterator[bytes]:
        """The patch text up to the next record's mark (or EOF), in blocks. The mark starts
        a line with NUL, and no patch line does (hunk lines start with a column mark), so
        ``\\n`` + mark cannot occur inside a patch even with ``--text``."""
        if self.peek(len(_MARK)) == _MARK:
            return
        mark = b"\n" + _MARK
        while True:
            if self.pos >= len(self.buf) and not self._fill():
                return
            i = self.buf.find(mark, self.pos)
            if i != -1:
                yield bytes(self.buf[self.pos : i + 1])
                self.pos = i + 1
                return
            end = len(self.buf) - len(mark) + 1
            if end > self.pos:
                yield bytes(self.buf[self.pos : end])
                self.pos = end
            if not self._fill():
                if self.pos < len(self.buf):
                    yield bytes(self.buf[self.pos :])
                    self.pos = len(self.buf)
                return


#: A record's seven header fields, each ended by NUL (see LOG_FORMAT).
_HEAD = re.compile(rb"([^\0]*)\0" * 7)
#: A raw entry's metadata and (first) path, each ended by NUL.
_ENTRY = re.compile(rb"(:[^\0]*)\0([^\0]*)\0")

#: The ``git log --format`` that :func:`parse_log_stream` reads.
LOG_FORMAT = ("--format=%x00%x00GK1%x00%H%x00%T%x00%P%x00%an%x00%ae%x00%B%x00"
              "%(trailers:only,unfold)%x00")


def parse_log_stream(stream: IO[bytes]) -> Iterator[ChangeSet]:
    """Parse the ``git log`` stream that :func:`gatekeeper.git.log_changes` starts, lazily.

    A pull parser: the header fields and raw entries are read token by token, the patch in
    blocks, so a commit with a huge diff is counted without being held in memory, and the
    parse stays linear however the pipe splits its reads.
    """
    pipe = _Pipe(stream)
    if pipe.until(_MARK) is None and pipe.eof:
        return
    limit = scan_limit()  # once per stream: an unset variable costs a KeyError per lookup
    while True:
        # The header's seven fields in one match when the buffer holds them all (it nearly
        # always does), else field by field as the pipe delivers them.
        head = _HEAD.match(pipe.buf, pipe.pos)
        if head is not None:
            fields = list(head.groups())
            pipe.pos = head.end()
        else:
            fields = [pipe.until(b"\0") or b"" for _ in range(7)]
        sha, tree, parents, name, email, message, trailer_block = (
            f.decode("utf-8", "replace") for f in fields)
        if not sha:
            return
        while pipe.peek(1) in (b"\0", b"\n") and pipe.peek(len(_MARK)) != _MARK:
            pipe.skip(1)
        files: list[FileChange] = []
        while pipe.peek(1) == b":":
            entry = _ENTRY.match(pipe.buf, pipe.pos)  # meta and path, when both are in hand
            if entry is not None:
                meta, paths = entry.group(1), [entry.group(2)]
                pipe.pos = entry.end()
            else:
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
        parse_patch_blocks(pipe.patch_blocks(), files, limit=limit)
        yield ChangeSet(commit=sha, parents=tuple(parents.split()), author_name=name,
                        author_email=email, message=message, files=files, tree=tree,
                        trailer_block=trailer_block)
        if pipe.until(_MARK) is None:
            return
