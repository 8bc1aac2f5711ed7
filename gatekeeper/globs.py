# gatekeeper/globs.py: gitignore-style glob matching, the one pattern language of configs and policies.
"""Gitignore-style globs, compiled once to linear-time matchers, compared case-insensitively
after NFC normalisation (every name a file system may give the same file).

Semantics (the same as CODEOWNERS and .gitignore):
- ``*`` matches within one path segment, ``?`` one character, ``[abc]`` a class;
- ``**`` matches any number of segments (``a/**/b``, ``dir/**``, ``**/x``);
- a pattern with no slash (other than a trailing one) matches at any depth: ``*.sql``;
- a leading ``/`` anchors the pattern at the repository root;
- a trailing ``/`` (or a pattern naming a directory) matches everything below it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence

# Token kinds of a parsed glob. In the linear matcher every token is a position of a small
# NFA; the set of live positions is an int bitmask, so a path is read once, left to right, in
# time proportional to its length times the pattern's (never exponential: no backtracking).
_T_LIT, _T_ONE, _T_CLS, _T_STAR, _T_ANY, _T_SEGS = range(6)
#: The regular expression of each wildcard token (literals are escaped, classes kept).
_RX = {_T_ONE: "[^/]", _T_STAR: "[^/]*", _T_ANY: ".*", _T_SEGS: "(?:.*/)?"}


def _tokens(pattern: str) -> tuple[list[tuple[int, str]], bool]:
    """A glob's tokens, and whether it names a directory only (a trailing ``/``): the one
    parse both :func:`_compile` and :class:`_Linear` build on. A literal's argument is its
    character, a class's its regular expression (``[^ab]``); wildcards have none."""
    pat = pattern.strip()
    anchored = pat.startswith("/")
    pat = pat.lstrip("/")
    dir_only = pat.endswith("/")
    pat = pat.rstrip("/")
    if not anchored and "/" not in pat:
        pat = "**/" + pat
    toks: list[tuple[int, str]] = []
    i, n = 0, len(pat)
    while i < n:
        c = pat[i]
        if c == "*":
            if pat.startswith("**", i):
                at_seg_start = i == 0 or pat[i - 1] == "/"
                j = i + 2
                if at_seg_start and (j == n or pat[j] == "/"):
                    # "**/" : zero or more whole segments; trailing "**": everything below.
                    if j == n:
                        toks.append((_T_ANY, ""))
                        i = j
                    else:
                        toks.append((_T_SEGS, ""))
                        i = j + 1
                    continue
                toks.append((_T_STAR, ""))
                i = j
                continue
            toks.append((_T_STAR, ""))
        elif c == "?":
            toks.append((_T_ONE, ""))
        elif c == "[":
            j = pat.find("]", i + 1)
            if j == -1:
                toks.append((_T_LIT, c))
            else:
                body = pat[i + 1 : j]
                if body.startswith("!"):
                    body = "^" + body[1:]
                toks.append((_T_CLS, "[" + body.replace("\\", "\\\\") + "]"))
                i = j
        else:
            toks.append((_T_LIT, c))
        i += 1
    return toks, dir_only


@functools.lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern[str]:
    """``pattern`` as a regular expression: the reference the fast matchers are tested
    against, and the check that a pattern's classes compile (:func:`check_glob`)."""
    toks, dir_only = _tokens(pattern)
    out = [re.escape(arg) if kind == _T_LIT else arg if kind == _T_CLS else _RX[kind]
           for kind, arg in toks]
    # Matching a directory means matching everything below it, as gitignore does.
    tail = "(?:/.*)?" if not dir_only else "/.*"
    return re.compile("".join(out) + tail + r"\Z", re.DOTALL)


_WILD = frozenset("*?[")  # the characters _compile gives a meaning; all others are literal


def fold(text: str) -> str:
    """The spelling paths and patterns are compared in: NFC, then case-folded.

    ``DB/Migrations/0002_X.SQL`` is ``db/migrations/0002_x.sql`` on a case-insensitive
    checkout (macOS, Windows), an NFD ``café`` is the NFC one on macOS, and HFS+ ignores
    some invisible code points: a name the file system treats as the same file must be
    judged as the same path.
    """
    if text.isascii():
        return text.lower()
    import unicodedata  # only for non-ASCII names

    text = text.translate(_HFS_IGNORED)
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())


#: Code points HFS+ ignores in file names (the list git's core.protectHFS uses): on such a
#: volume ``.pa\u200cct/`` is ``.pact/``.
_HFS_IGNORED = dict.fromkeys([0x200C, 0x200D, 0x200E, 0x200F, *range(0x202A, 0x202F),
                              *range(0x206A, 0x2070), 0xFEFF])


class _Linear:
    """A glob compiled to a bit-parallel NFA (Thompson simulation), same language as
    :func:`_compile`'s regular expression.

    ``*`` is ``[^/]*``, ``?`` is ``[^/]``, ``[...]`` a one-character class (tested by a
    one-character regex, which cannot backtrack), a trailing ``**`` is ``.*`` and ``**/``
    is ``(?:.*/)?``. The tail: ``(?:/.*)?``, or ``/.*`` for a directory-only pattern.
    """

    __slots__ = ("accept", "eps", "needs", "segs", "start", "steps", "tokens")

    def __init__(self, pattern: str) -> None:
        parsed, dir_only = _tokens(pattern)
        toks: list[tuple[int, object]] = [
            (kind, re.compile(arg) if kind == _T_CLS else arg) for kind, arg in parsed]
        m = len(toks)
        toks.append((_T_LIT, "/"))  # the tail: "/" then anything below
        toks.append((_T_ANY, None))
        self.tokens = toks
        self.eps = sum(1 << k for k, (kind, _) in enumerate(toks) if kind in (_T_STAR, _T_ANY, _T_SEGS))
        # "**/" may be skipped when entered, but once it has read characters it is left
        # only by reading a "/": its staying positions get no epsilon move.
        self.segs = sum(1 << k for k, (kind, _) in enumerate(toks) if kind == _T_SEGS)
        self.accept = (1 << (m + 2)) | (0 if dir_only else 1 << m)
        self.steps: dict[str, tuple[int, int]] = {}
        self.start = self._close(1)
        # Runs of literal characters each appear whole in any path the pattern matches: a
        # path missing one is refused by a C-level substring test, before the NFA runs.
        runs, run = [], ""
        for kind, arg in toks[:m]:
            if kind == _T_LIT:
                run += str(arg)
            else:
                runs.append(run)
                run = ""
        self.needs = tuple(r for r in [*runs, run] if len(r) > 1)

    def _close(self, live: int) -> int:
        eps = self.eps
        while True:
            more = live | ((live & eps) << 1)
            if more == live:
                return live
            live = more

    def _step(self, c: str) -> tuple[int, int]:
        """(positions that consume ``c`` and advance, positions that consume it and stay)."""
        adv = stay = 0
        for k, (kind, arg) in enumerate(self.tokens):
            bit = 1 << k
            if kind == _T_LIT:
                if arg == c:
                    adv |= bit
            elif kind == _T_ONE:
                if c != "/":
                    adv |= bit
            elif kind == _T_CLS:
                if arg.match(c) is not None:  # type: ignore[attr-defined]
                    adv |= bit
            elif kind == _T_STAR:
                if c != "/":
                    stay |= bit
            elif kind == _T_ANY:
                stay |= bit
            else:  # _T_SEGS: anything, and leaving it right after a "/"
                stay |= bit
                if c == "/":
                    adv |= bit
        if len(self.steps) < 512:
            self.steps[c] = (adv, stay)
        return adv, stay

    def __call__(self, path: str) -> bool:
        for run in self.needs:
            if run not in path:
                return False
        live = self.start
        steps = self.steps
        for c in path:
            got = steps.get(c)
            adv, stay = got if got is not None else self._step(c)
            stayed = live & stay
            live = self._close(((live & adv) << 1) | (stayed & ~self.segs)) | (stayed & self.segs)
            if not live:
                return False
        return bool(live & self.accept)


def _plain(text: str) -> bool:
    """True for a non-empty pattern piece with no wildcard (it matches only itself)."""
    return bool(text) and _WILD.isdisjoint(text)


#: The shapes :func:`_shape` gives a glob: a plain string test each, or the NFA.
_EXACT, _BELOW, _INNER, _INNER_DIR, _TAIL, _HEAD, _SEGMENT, _OTHER = range(8)
#: The substring shapes: what goes before and after the folded path before the shape's
#: argument is looked for in it.
_WRAP = {_INNER: ("/", "/"), _INNER_DIR: ("/", ""), _HEAD: ("/", ""), _TAIL: ("", "/")}


def _shape(pattern: str) -> tuple[int, str]:
    """The test a folded ``pattern`` stands for, as (kind, argument) on a folded path ``p``:

    - ``_EXACT`` (a literal path ``x``): ``p == x`` or ``p`` starts with ``x/``;
    - ``_BELOW`` (``dir/**``): ``p`` starts with the argument (``dir/``);
    - ``_INNER`` (``**/name``, ``**/a/b``): the argument (``/name/``) is in ``/p/``;
    - ``_INNER_DIR`` (``**/dir/**``): the argument (``/dir/``) is in ``/p``;
    - ``_TAIL`` (``*.ext``): the argument (``.ext/``) is in ``p/``;
    - ``_HEAD`` (``LICENSE*``): the argument (``/license``) is in ``/p``;
    - ``_SEGMENT`` (``test_*.py``): a segment of ``p`` starts and ends as the argument's
      two sides of its star do;
    - ``_OTHER``: anything else, tested by :class:`_Linear`.

    The common shapes are plain string tests: compiling ~60 regular expressions was a
    visible part of a commit hook's latency, and a string test is also faster per call.
    """
    pat = pattern.strip()
    anchored = pat.startswith("/")
    pat = pat.lstrip("/")
    if not pat.endswith("/"):  # directory-only patterns use the NFA
        if not anchored and "/" not in pat:
            pat = "**/" + pat
        if _plain(pat):  # a literal path: itself, or anything below it
            return _EXACT, pat
        if pat.startswith("**/"):
            rest = pat[3:]
            if _plain(rest):  # whole segments anywhere: **/name, **/a/b
                return _INNER, "/" + rest + "/"
            if rest.endswith("/**") and _plain(rest[:-3]):  # **/dir/**
                return _INNER_DIR, "/" + rest[:-3] + "/"
            if rest.count("*") == 1 and rest != "*" and "/" not in rest and _plain(
                    rest.replace("*", "")):  # one segment: *.ext, LICENSE*, test_*.py
                pre, suf = rest.split("*")
                # A segment ends with suf (no "/" in it) where suf + "/" is in p + "/", and
                # starts with pre where "/" + pre is in "/" + p: one substring test each.
                if not pre:
                    return _TAIL, suf + "/"
                if not suf:
                    return _HEAD, "/" + pre
                return _SEGMENT, rest
        elif pat.endswith("/**") and _plain(pat[:-3]):  # dir/**
            return _BELOW, pat[:-2]
    return _OTHER, pattern


@functools.lru_cache(maxsize=4096)
def _matcher(pattern: str) -> Callable[[str], bool]:
    """A test of a folded path (see :func:`fold`) against ``pattern``, compared folded too.

    The shapes :func:`_shape` names become plain string tests; any other uses :class:`_Linear`,
    whose cost is linear in the path's length (a backtracking regex was exponential on
    hostile globs such as ``*a*a*a*a*b``). All agree with :func:`_compile`
    (tests/test_perf_equivalence.py compares them on generated paths).
    """
    pattern = fold(pattern)
    kind, arg = _shape(pattern)
    if kind == _EXACT:
        below = arg + "/"
        return lambda p: p == arg or p.startswith(below)
    if kind == _BELOW:
        return lambda p: p.startswith(arg)
    if kind in _WRAP:
        before, after = _WRAP[kind]
        return lambda p: arg in before + p + after
    if kind == _SEGMENT:
        pre, suf = arg.split("*")
        least = len(pre) + len(suf)
        return lambda p: pre in p and suf in p and any(
            len(s) >= least and s.startswith(pre) and s.endswith(suf) for s in p.split("/"))
    return _Linear(pattern)


@functools.lru_cache(maxsize=1024)
def _any_matcher(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """One test of a folded path against all of ``patterns`` (true when any matches): the
    literal paths are one set lookup, the prefixes one ``startswith``, the other string
    tests one loop each, and only the rest a matcher each. A push meets a new path once
    per pattern list (path classes, selectors, features), and testing it pattern by
    pattern was most of the cost of a path's first commit."""
    exact: set[str] = set()
    starts: list[str] = []
    wrapped: dict[tuple[str, str], list[str]] = {}  # (before, after) -> arguments
    other: list[Callable[[str], bool]] = []
    for pattern in patterns:
        kind, arg = _shape(fold(pattern))
        if kind == _EXACT:
            exact.add(arg)
            starts.append(arg + "/")
        elif kind == _BELOW:
            starts.append(arg)
        elif kind in _WRAP:
            wrapped.setdefault(_WRAP[kind], []).append(arg)
        else:
            other.append(_matcher(pattern))
    prefixes = tuple(starts)
    groups = tuple((before, after, tuple(args)) for (before, after), args in wrapped.items())

    def test(p: str) -> bool:
        if p in exact or (prefixes and p.startswith(prefixes)):
            return True
        for before, after, args in groups:
            s = before + p + after
            for x in args:
                if x in s:
                    return True
        return any(m(p) for m in other)

    return test


def match(pattern: str, path: str) -> bool:
    """True when the repository-relative ``path`` matches the gitignore-style ``pattern``,
    ignoring case and Unicode normalisation (see :func:`fold`)."""
    return _matcher(pattern)(fold(path))


#: (patterns, path) -> verdict. A push judges the same few paths against the same pattern
#: lists (path classes, selectors, feature globs) once per commit; this turns the repeats
#: into one dictionary lookup. Bounded: cleared when it grows past _ANY_MAX entries.
_ANY: dict[tuple[tuple[str, ...], str], bool] = {}
_ANY_MAX = 50_000


def match_any(patterns: Iterable[str], path: str) -> bool:
    """True when any of ``patterns`` matches ``path``."""
    pats = patterns if isinstance(patterns, tuple) else tuple(patterns)
    key = (pats, path)
    got = _ANY.get(key)
    if got is None:
        got = _any_matcher(pats)(fold(path))
        if len(_ANY) >= _ANY_MAX:
            _ANY.clear()
        _ANY[key] = got
    return got


def last_match(rules: Sequence[tuple[str, str]], path: str) -> str | None:
    """CODEOWNERS semantics: of ``(pattern, owner)`` pairs the last matching one wins."""
    folded = fold(path)
    for pattern, owner in reversed(rules):
        if _matcher(pattern)(folded):
            return owner
    return None


def to_pathspecs(pattern: str) -> list[str]:
    """Git ``:(glob,icase)`` pathspecs that select at least what ``pattern`` matches.

    Used only to narrow what git reads; the exact test is always :func:`match`. Case
    variants must be selected too (a scope budget counts ``SRC/Auth/x.py``), and git's
    ``icase`` is ASCII-only, so a segment with other characters (which may be spelt NFD)
    becomes ``*``.
    """
    pat = pattern.strip()
    anchored = pat.startswith("/")
    pat = pat.strip("/")
    if not anchored and "/" not in pat:
        pat = "**/" + pat
    if not pat.isascii():
        pat = "/".join(seg if seg.isascii() else "*" for seg in pat.split("/"))
    specs = [":(glob,icase)" + pat]
    if not pat.endswith("**"):
        specs.append(":(glob,icase)" + pat + "/**")
    return specs


def index_dirs(pattern: str) -> list[str] | None:
    """Directories (with a trailing slash; "" is the top) such that every path ``pattern``
    matches has one of them as a prefix, or None when it can match at any depth. Used to
    index many patterns by directory. The directories are folded (see :func:`fold`)."""
    pat = fold(pattern).strip()
    anchored = pat.startswith("/")
    pat = pat.strip("/")
    if not anchored and "/" not in pat:
        return None  # a basename pattern: any depth
    cut = min((i for i, c in enumerate(pat) if c in "*?["), default=len(pat))
    if cut == len(pat):
        # A literal path matches itself (under its parent) and everything below it.
        return [pat[: pat.rfind("/") + 1], pat + "/"]
    head = pat[:cut]
    return [head[: head.rfind("/") + 1]]


def check_glob(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable glob, or None when it is.

    Called wherever a glob is written (``feature add``, config and policy loading), so that a
    bad pattern is refused there, naming it, instead of breaking every later check.
    """
    if not isinstance(pattern, str) or not pattern.strip():
        return "an empty pattern matches nothing"
    try:
        _compile(pattern)
        _Linear(fold(pattern))
    except re.error as exc:
        return f"glob {pattern!r} is not valid: {exc}"
    return None
