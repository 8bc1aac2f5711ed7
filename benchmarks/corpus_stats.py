# benchmarks/corpus_stats.py: measures the distributions the built-in benchmark corpus follows.
# Reads local mirrors read-only (git log / diff-tree / cat-file); prints real_history.py's constants.
"""Measure commit, diff and file sizes on real histories (issue 13's built-in corpus).

    python benchmarks/corpus_stats.py [GIT_DIR ...]

With no argument it reads the four mirrors the corpus was measured on (djangoproject.com,
flask, requests, django-rest-framework under ``/work/.mirror``). Every non-merge commit of
each mirror's ``HEAD`` counts, diffed against its parent as ``git log`` does (rename
detection on, ``-M``). A partial mirror lacks some blobs, and git stops at the first one
it cannot read: a commit whose diff names an absent blob is skipped whole (so that files per
commit stay true), and the skipped commits are counted and printed.

Printed, as Python constants ready for ``benchmarks/real_history.py`` (quantiles at
:data:`QUANTILES`, nearest rank, from the minimum to the maximum):

- ``FILES_PER_COMMIT``: file changes per commit (binary ones too);
- ``ADDED_PER_FILE``: added lines per text file change (any status);
- ``EXT_MIX``: share of file changes per kind (binary changes are ``bin``);
- ``STATUS_MIX``: share of text file changes that modify (M), add (A), delete (D) or
  rename (R) a file;
- ``FILE_LINES``: line count of the pre-image of modified text files (status M);
- ``ADDED_PER_MODIFIED``, ``DELETED_PER_MODIFIED``, ``HUNKS_PER_MODIFIED``: added and
  deleted lines and hunks of those changes; ``NEW_FILE_LINES``: lines of added text files;
  ``DELETED_FILE_LINES``, ``RENAMED_FILE_LINES``: lines of deleted text files and of the
  pre-image of renamed ones;
- ``BY_FILES``: the same five sizes (added, deleted and hunks of a modification, lines of an
  added and of a deleted file) again, per band of files per commit (:data:`BANDS`): a real
  commit of one file changes far fewer lines per file than one of ten (9 against 42 on
  average), so drawing every file's size from the pooled sizes made the corpus's commits
  bigger than real ones (73 added lines a commit against 54; at the 90th percentile 95
  against 52);
- ``ADDED_PER_COMMIT``: added lines per commit (text files), which the banded sizes follow;
- ``BINARY_BYTES``: size of the binary files added or modified;
- ``MESSAGE_LINES``: lines of a commit message (the subject, blank lines and the body);
- ``PY_DIR_MIX``: share of ``.py`` changes in test files, migrations, and other code;
- ``PY_LINE_KINDS``: share of added ``.py`` lines per kind (:func:`py_kind`: blank, comment,
  SQL ``execute(`` call, logging call, secret-like assignment of a literal, ...);
- ``PURE_RENAMES``: share of renames without a content change; ``TREE_FILES``: the median
  number of files in the mirrors' ``HEAD`` trees;
- ``LONG_LINE_RATE``: per kind, the share of text file changes that add a line of 1,000
  characters or more; ``LONG_LINE_CHARS``: the length of the longest such line;
  ``LONG_LINE_SHARE``: that share over all kinds.

A text file is one git diffs as text (numstat is not ``-``); a pre-image is text when its
first 8,000 bytes hold no NUL, git's own test.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

MIRRORS = tuple(Path("/work/.mirror") / name / "repo" for name in (
    "django+djangoproject.com", "pallets+flask", "psf+requests", "encode+django-rest-framework"))
#: 0 and 1 are the minimum and the maximum: the corpus draws between them, never beyond.
QUANTILES = (0.0, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99, 0.999, 0.9999, 1.0)
KINDS = ("py", "rst", "md", "html", "txt", "yml", "js", "bin", "ini", "po", "toml", "css",
         "json", "sql")
#: Spellings folded into one kind.
ALIASES = {"yaml": "yml", "htm": "html"}
LONG_LINE = 1_000
ZERO = "0" * 40
#: Bands of file changes per commit (their lower bounds): 1, 2-3, 4-9, 10 or more.
BANDS = (1, 2, 4, 10)
#: The sizes measured per band, in BY_FILES's order.
BANDED = ("added_mod", "deleted_mod", "hunks_mod", "new_file_lines", "gone_file_lines")


def band(files: int) -> int:
    """The :data:`BANDS` band of a commit of ``files`` file changes (none counts as one)."""
    return max(b for b in BANDS if b <= max(1, files))


def git(git_dir: Path, *args: str, input: bytes | None = None) -> bytes:
    """Run git on ``git_dir``; raise with its stderr on failure; return stdout."""
    proc = subprocess.run(["git", f"--git-dir={git_dir}", *args], input=input,
                          capture_output=True, env={"LC_ALL": "C", "PATH": "/usr/bin:/bin",
                                                    "GIT_CONFIG_NOSYSTEM": "1"})
    if proc.returncode:
        raise RuntimeError(f"git {' '.join(args)}: {proc.stderr.decode(errors='replace')}")
    return proc.stdout


def kind_of(path: str, binary: bool) -> str:
    """The EXT_MIX kind of a changed path."""
    if binary:
        return "bin"
    name = path.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name.lstrip(".") else ""
    ext = ALIASES.get(ext, ext)
    return ext if ext in KINDS else "other"


_LOG_CALL = re.compile(r"\b(?:log|logger|logging|LOGGER|LOG)\.(?:debug|info|warning|warn|error|"
                       r"exception|critical|fatal|log)\(")
# The gatekeeper's own hint for a credential-like name assigned a string literal.
_SECRET_ASSIGN = re.compile(r"(?i)(?:passw(?:or)?d|phrase|pwd|secret|token|key)[_$@.-]*[\"']?"
                            r"[ \t]*(?::=|=>|=|:)[ \t]*[rbu]{0,2}[\"'`]")
_CONTROL = re.compile(r"(?:if|elif|else|for|while|try|except|finally|with|async with|"
                      r"async for)\b")
# Targets (maybe unpacked, subscripted or annotated), then an (augmented) assignment operator.
_ASSIGN = re.compile(r"\*?[\w.]+(?:\[[^\]=]*\])?(?:\s*,\s*\*?[\w.]+(?:\[[^\]=]*\])?)*\s*"
                     r"(?::\s*[^=]+?)?\s*(?:[-+*/%|&^]|//|\*\*|>>|<<)?=(?!=)")
_KWARG = re.compile(r"\w+=[^=]")
_CALL = re.compile(r"(?:await\s+)?[\w.\[\]]+\(")
_CLOSE = re.compile(r"[)\]}]+[,:)\]}]*$")


def py_kind(line: str) -> str:
    """The kind of an added Python line, first match wins in this order."""
    s = line.strip()
    if not s:
        return "blank"
    if s.startswith("#"):
        return "comment"
    if "execute(" in s or "executemany(" in s:
        return "sql"
    if _LOG_CALL.search(s):
        return "log"
    if _SECRET_ASSIGN.search(s):
        return "secret"
    if s.startswith(("def ", "async def ", "class ")):
        return "def"
    if s.startswith("@"):
        return "decorator"
    if s.startswith("import ") or (s.startswith("from ") and " import " in s):
        return "import"
    if re.match(r"(?:return|yield)\b", s):
        return "return"
    if re.match(r"(?:raise|assert|pass|break|continue|del)\b", s):
        return "raise"
    if _CONTROL.match(s):
        return "control"
    if s[0] in "\"'" or s[:2].lower() in ('f"', "f'", 'r"', "r'", 'b"', "b'"):
        return "string"
    if _CLOSE.match(s):
        return "close"
    if _KWARG.match(s):
        return "kwarg"
    if _ASSIGN.match(s):
        return "assign"
    if _CALL.match(s):
        return "call"
    return "prose"  # mostly docstring text, the rest continuation lines


def py_dir(path: str) -> str:
    """Where a .py file sits, as real_history's role guess tells them apart: "tests",
    "migrations" or "code"."""
    low = "/" + path.lower()
    if "/migrations/" in low or "/alembic/" in low:
        return "migrations"
    if re.search(r"/tests?(/|_)|_test\.|conftest", low):
        return "tests"
    return "code"


@dataclass
class Stats:
    """Raw samples over every history read."""

    commits: int = 0
    skipped: int = 0
    files_per_commit: list[int] = field(default_factory=list)
    added_per_file: list[int] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    status: Counter[str] = field(default_factory=Counter)
    file_lines: list[int] = field(default_factory=list)
    gitlinks: int = 0
    unreadable_preimages: int = 0
    binary_preimages: int = 0
    added_mod: list[int] = field(default_factory=list)
    deleted_mod: list[int] = field(default_factory=list)
    hunks_mod: list[int] = field(default_factory=list)
    new_file_lines: list[int] = field(default_factory=list)
    binary_bytes: list[int] = field(default_factory=list)
    gone_file_lines: list[int] = field(default_factory=list)
    renamed_file_lines: list[int] = field(default_factory=list)
    py_kinds: Counter[str] = field(default_factory=Counter)
    py_dirs: Counter[str] = field(default_factory=Counter)
    long_line_changes: int = 0
    text_changes: int = 0
    long_line_chars: list[int] = field(default_factory=list)
    long_by_kind: Counter[str] = field(default_factory=Counter)
    text_by_kind: Counter[str] = field(default_factory=Counter)
    pure_renames: int = 0
    tree_files: list[int] = field(default_factory=list)
    message_lines: list[int] = field(default_factory=list)
    added_per_commit: list[int] = field(default_factory=list)
    #: (band, size name of BANDED) -> samples.
    by_files: dict[tuple[int, str], list[int]] = field(default_factory=dict)

    def add(self, files: int, name: str, value: int) -> None:
        """A sample of the size ``name`` (a list of this class) of a commit of ``files``
        file changes: kept pooled and in the commit's band."""
        getattr(self, name).append(value)
        self.by_files.setdefault((band(files), name), []).append(value)


def _commits(git_dir: Path, revs: Sequence[str]) -> tuple[list[str], set[str]]:
    """Non-merge commits of ``revs`` (oldest first) and those whose diff names an absent blob."""
    raw = git(git_dir, "log", "--no-merges", "--no-renames", "--raw", "--no-abbrev", "--reverse",
              "--format=@%H", *revs, "--").decode("utf-8", "surrogateescape")
    order: list[str] = []
    blobs: dict[str, list[str]] = {}
    for line in raw.splitlines():
        if line.startswith("@"):
            order.append(line[1:])
        elif line.startswith(":"):
            meta = line.split("\t", 1)[0].split()
            for sha in meta[2:4]:
                if sha != ZERO and not meta[0 if sha == meta[2] else 1].endswith("160000"):
                    blobs.setdefault(sha, []).append(order[-1])
    out = git(git_dir, "cat-file", "--batch-check", input="\n".join(blobs).encode() + b"\n")
    bad: set[str] = set()
    for row in out.decode().splitlines():
        if row.endswith(" missing"):
            bad.update(blobs.get(row.split()[0], ()))
    return order, bad


def _diffs(git_dir: Path, commits: Sequence[str], *opts: str) -> Iterator[tuple[str, list[str]]]:
    """(commit, output lines) of ``git diff-tree --stdin`` over ``commits``, as git log shows."""
    out = git(git_dir, "diff-tree", "--stdin", "-r", "--root", "-M", "--no-abbrev", *opts,
              input="\n".join(commits).encode() + b"\n").decode("utf-8", "surrogateescape")
    sha, rows = "", list[str]()
    wanted = set(commits)
    for line in out.split("\n"):
        if len(line) == 40 and line in wanted:
            if sha:
                yield sha, rows
            sha, rows = line, []
        else:
            rows.append(line)
    if sha:
        yield sha, rows


def _line_count(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def _read_blobs(git_dir: Path, shas: Sequence[str]) -> dict[str, bytes | None]:
    """Blob contents by sha (None when absent), through one ``cat-file --batch``."""
    proc = subprocess.run(["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
                          input="\n".join(shas).encode() + b"\n", capture_output=True, check=True)
    out, pos = proc.stdout, 0
    got: dict[str, bytes | None] = {}
    for sha in shas:
        end = out.index(b"\n", pos)
        head = out[pos:end].split()
        pos = end + 1
        if head[-1] == b"missing":
            got[sha] = None
            continue
        size = int(head[2])
        got[sha] = out[pos:pos + size]
        pos += size + 1
    return got


def measure(git_dir: Path, st: Stats, revs: Sequence[str] = ("HEAD",)) -> None:
    """Add the samples of ``revs`` (``git log`` arguments) in ``git_dir`` to ``st``."""
    st.tree_files.append(git(git_dir, "ls-tree", "-r", "HEAD").count(b"\n"))
    order, bad = _commits(git_dir, revs)
    good = [c for c in order if c not in bad]
    st.commits += len(good)
    st.skipped += len(bad)
    bodies = git(git_dir, "log", "--no-walk=unsorted", "--stdin", "--format=%x00%B",
                 input="\n".join(good).encode() + b"\n")
    st.message_lines += [len(m.rstrip(b"\n").split(b"\n")) for m in bodies.split(b"\0")[1:]]
    preimages: list[str] = []
    binaries: list[str] = []
    renamed: list[str] = []
    width: dict[str, int] = {}  # commit -> its file changes
    for sha, rows in _diffs(git_dir, good, "--raw", "--numstat"):
        raws = [r for r in rows if r.startswith(":")]
        nums = [r for r in rows if r and not r.startswith(":")]
        n = width[sha] = sum(1 for r in raws if "160000" not in r[:15])
        st.files_per_commit.append(n)
        st.added_per_commit.append(0)
        for raw, num in zip(raws, nums, strict=True):
            meta, path = raw.split("\t", 1)
            old_mode, new_mode, old, new, status = meta.split()
            if "160000" in (old_mode[1:], new_mode):
                st.gitlinks += 1  # a submodule moved: no file changed
                continue
            added, deleted, _ = num.split("\t", 2)
            binary = added == "-"
            name = path.split("\t")[-1]
            st.kinds[kind_of(name, binary)] += 1
            if kind_of(name, binary) == "py":
                st.py_dirs[py_dir(name)] += 1
            if binary:
                if new != ZERO:
                    binaries.append(new)
                continue
            st.added_per_file.append(int(added))
            st.added_per_commit[-1] += int(added)
            st.status[status[0]] += 1
            st.pure_renames += status == "R100"
            if status == "M":
                preimages.append(old)
                st.add(n, "added_mod", int(added))
                st.add(n, "deleted_mod", int(deleted))
            elif status == "A":
                st.add(n, "new_file_lines", int(added))
            elif status == "D":
                st.add(n, "gone_file_lines", int(deleted))
            elif status[0] == "R":
                renamed.append(old)
    if binaries:
        sizes = git(git_dir, "cat-file", "--batch-check", input="\n".join(binaries).encode() + b"\n")
        st.binary_bytes += [int(r.split()[2]) for r in sizes.decode().splitlines()
                            if not r.endswith(" missing")]
    blobs = _read_blobs(git_dir, sorted(set(preimages) | set(renamed)))
    st.renamed_file_lines += [_line_count(blobs[sha] or b"") for sha in renamed]
    for sha in preimages:
        data = blobs[sha]
        if data is None:
            st.unreadable_preimages += 1
        elif b"\0" in data[:8000]:
            st.binary_preimages += 1
        else:
            st.file_lines.append(_line_count(data))
    for sha, rows in _diffs(git_dir, good, "-p"):
        files = "\n".join(rows).split("\ndiff --git ")
        for f in files:
            if not f.strip() or "\nBinary files " in f or "\n@@ " not in f:
                continue
            head, _, body = f.partition("\n@@ ")
            name = head.split("\n", 1)[0].rsplit(" b/", 1)[-1]
            st.text_changes += 1
            lines = ("@@ " + body).split("\n")
            plus = [ln[1:] for ln in lines if ln.startswith("+")]
            if "\nnew file mode" not in "\n" + head and "\ndeleted file mode" not in "\n" + head \
                    and "\nrename from" not in "\n" + head:
                st.add(width[sha], "hunks_mod", sum(1 for ln in lines if ln.startswith("@@ ")))
            kind = kind_of(name, False)
            st.text_by_kind[kind] += 1
            longest = max(map(len, plus), default=0)
            if longest >= LONG_LINE:
                st.long_line_changes += 1
                st.long_line_chars.append(longest)
                st.long_by_kind[kind] += 1
            if name.endswith(".py"):
                st.py_kinds.update(py_kind(a) for a in plus)


def quantiles(xs: Sequence[int]) -> tuple[int, ...]:
    """Nearest-rank quantiles of ``xs`` at :data:`QUANTILES`."""
    s = sorted(xs)
    return tuple(s[min(len(s) - 1, int(q * len(s)))] for q in QUANTILES)


def shares(c: Counter[str], order: Sequence[str] = ()) -> tuple[tuple[str, float], ...]:
    """(key, share) pairs, three decimals, in ``order`` then by frequency."""
    total = sum(c.values())
    keys = [k for k in order if k in c] + [k for k, _ in c.most_common() if k not in order]
    return tuple((k, round(c[k] / total, 4 if c[k] / total < 0.01 else 3)) for k in keys)


def main(argv: list[str] | None = None) -> int:
    """Measure the given (or the default) mirrors and print the constants."""
    dirs = [Path(a) for a in (sys.argv[1:] if argv is None else argv)] or list(MIRRORS)
    st = Stats()
    for d in dirs:
        before = (st.commits, st.skipped)
        try:
            measure(d, st)
        except RuntimeError as err:  # not a git directory, no HEAD, ...
            sys.stderr.write(f"corpus_stats: {d}: {str(err).strip().splitlines()[-1]}\n")
            return 2
        sys.stderr.write(f"{d}: {st.commits - before[0]:,} commits, "
                         f"{st.skipped - before[1]:,} skipped (an absent blob)\n")
    changes = sum(st.kinds.values())
    print(f"# {st.commits:,} non-merge commits ({st.skipped:,} skipped: their diff names a blob "
          f"absent from a partial mirror), {changes:,} file changes "
          f"({len(st.added_per_file):,} text), {len(st.file_lines):,} modified text files "
          f"({st.unreadable_preimages:,} pre-images unreadable, {st.binary_preimages:,} binary); "
          f"{st.gitlinks:,} submodule changes left out")
    print(f"QUANTILES = {QUANTILES}")
    print(f"FILES_PER_COMMIT = {quantiles(st.files_per_commit)}")
    print(f"ADDED_PER_FILE = {quantiles(st.added_per_file)}")
    print(f"EXT_MIX = {shares(st.kinds, (*KINDS, 'other'))}")
    moves = Counter({k: n for k, n in st.status.items() if k in "MADR"})
    print(f"STATUS_MIX = {shares(moves, ('M', 'A', 'D', 'R'))}  # type changes left out: "
          f"{st.status['T']:,}")
    print(f"FILE_LINES = {quantiles(st.file_lines)}")
    print(f"ADDED_PER_MODIFIED = {quantiles(st.added_mod)}")
    print(f"DELETED_PER_MODIFIED = {quantiles(st.deleted_mod)}")
    print(f"HUNKS_PER_MODIFIED = {quantiles(st.hunks_mod)}")
    print(f"NEW_FILE_LINES = {quantiles(st.new_file_lines)}")
    print(f"DELETED_FILE_LINES = {quantiles(st.gone_file_lines)}")
    print(f"RENAMED_FILE_LINES = {quantiles(st.renamed_file_lines)}")
    print(f"BINARY_BYTES = {quantiles(st.binary_bytes)}")
    print(f"ADDED_PER_COMMIT = {quantiles(st.added_per_commit)}")
    print(f"BANDS = {BANDS}")
    by_files = {b: tuple(quantiles(st.by_files.get((b, name), [0])) for name in BANDED)
                for b in BANDS}
    print(f"BY_FILES = {by_files}  # per band of files per commit: {', '.join(BANDED)}")
    print(f"MESSAGE_LINES = {quantiles(st.message_lines)}")
    print(f"PY_DIR_MIX = {shares(st.py_dirs, ('code', 'tests', 'migrations'))}")
    print(f"PY_LINE_KINDS = {shares(st.py_kinds)}  # {sum(st.py_kinds.values()):,} added lines")
    print(f"PURE_RENAMES = {st.pure_renames / max(1, st.status['R']):.3f}  # of {st.status['R']:,} "
          f"renames, the share with no content change (R100)")
    print(f"TREE_FILES = {int(statistics.median(st.tree_files))}  # the median of the "
          f"files in each HEAD tree: {', '.join(map(str, st.tree_files))}")
    rates = {k: round(st.long_by_kind[k] / st.text_by_kind[k], 4)
             for k in (*KINDS, "other") if st.long_by_kind[k]}
    print(f"LONG_LINE_RATE = {rates}  # share of a kind's text changes adding a line >= "
          f"{LONG_LINE:,} characters")
    print(f"LONG_LINE_CHARS = {quantiles(st.long_line_chars)}  # its longest added line")
    print(f"# LONG_LINE_SHARE = {st.long_line_changes / max(1, st.text_changes):.4f}  "
          f"# {st.long_line_changes:,} of {st.text_changes:,} text file changes add a line "
          f">= {LONG_LINE:,} characters")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
