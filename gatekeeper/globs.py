# gatekeeper/globs.py: gitignore-style glob matching, the one pattern language of configs and policies.
"""Gitignore-style globs, compiled once to regular expressions.

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


@functools.lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern[str]:
    pat = pattern.strip()
    anchored = pat.startswith("/")
    pat = pat.lstrip("/")
    dir_only = pat.endswith("/")
    pat = pat.rstrip("/")
    if not anchored and "/" not in pat:
        pat = "**/" + pat
    out: list[str] = []
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
                        out.append(".*")
                        i = j
                    else:
                        out.append("(?:.*/)?")
                        i = j + 1
                    continue
                out.append("[^/]*")
                i = j
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pat.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                body = pat[i + 1 : j]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    # Matching a directory means matching everything below it, as gitignore does.
    tail = "(?:/.*)?" if not dir_only else "/.*"
    return re.compile("".join(out) + tail + r"\Z", re.DOTALL)


_WILD = frozenset("*?[")  # the characters _compile gives a meaning; all others are literal


def _plain(text: str) -> bool:
    """True for a non-empty pattern piece with no wildcard (it matches only itself)."""
    return bool(text) and _WILD.isdisjoint(text)


@functools.lru_cache(maxsize=4096)
def _matcher(pattern: str) -> Callable[[str], bool]:
    """A test equivalent to ``_compile(pattern).match(path) is not None``.

    The common shapes (``dir/**``, ``**/dir/**``, ``name``, ``*.ext``, ``LICENSE*``, a
    literal path) become plain string tests: compiling ~60 regular expressions was a
    visible part of a commit hook's latency, and a string test is also faster per call.
    Any other shape uses the regular expression, so the semantics stay exactly those of
    :func:`_compile` (tests/test_perf_equivalence.py compares the two on generated paths).
    """
    pat = pattern.strip()
    anchored = pat.startswith("/")
    pat = pat.lstrip("/")
    if not pat.endswith("/"):  # directory-only patterns keep the regex
        if not anchored and "/" not in pat:
            pat = "**/" + pat
        if _plain(pat):  # a literal path: itself, or anything below it
            below = pat + "/"
            return lambda p: p == pat or p.startswith(below)
        if pat.startswith("**/"):
            rest = pat[3:]
            if _plain(rest):  # whole segments anywhere: **/name, **/a/b
                inner = "/" + rest + "/"
                return lambda p: inner in "/" + p + "/"
            if rest.endswith("/**") and _plain(rest[:-3]):  # **/dir/**
                inner = "/" + rest[:-3] + "/"
                return lambda p: inner in "/" + p
            if rest.count("*") == 1 and rest != "*" and "/" not in rest and _plain(
                    rest.replace("*", "")):  # one segment: *.ext, LICENSE*, test_*.py
                pre, suf = rest.split("*")
                least = len(pre) + len(suf)
                return lambda p: any(len(s) >= least and s.startswith(pre) and s.endswith(suf)
                                     for s in p.split("/"))
        elif pat.endswith("/**") and _plain(pat[:-3]):  # dir/**
            below = pat[:-2]
            return lambda p: p.startswith(below)
    rx = _compile(pattern)
    return lambda p: rx.match(p) is not None


def match(pattern: str, path: str) -> bool:
    """True when the repository-relative ``path`` matches the gitignore-style ``pattern``."""
    return _matcher(pattern)(path)


#: (patterns, path) -> verdict. A push judges the same few paths against the same pattern
#: lists (path classes, selectors, feature globs) once per commit; this turns the repeats
#: into one dictionary lookup. Bounded: cleared when it grows past _ANY_MAX entries.
_ANY: dict[tuple[tuple[str, ...], str], bool] = {}
_ANY_MAX = 200_000


def match_any(patterns: Iterable[str], path: str) -> bool:
    """True when any of ``patterns`` matches ``path``."""
    pats = patterns if isinstance(patterns, tuple) else tuple(patterns)
    key = (pats, path)
    got = _ANY.get(key)
    if got is None:
        got = any(_matcher(p)(path) for p in pats)
        if len(_ANY) >= _ANY_MAX:
            _ANY.clear()
        _ANY[key] = got
    return got


def last_match(rules: Sequence[tuple[str, str]], path: str) -> str | None:
    """CODEOWNERS semantics: of ``(pattern, owner)`` pairs the last matching one wins."""
    for pattern, owner in reversed(rules):
        if _matcher(pattern)(path):
            return owner
    return None


def to_pathspecs(pattern: str) -> list[str]:
    """Git ``:(glob)`` pathspecs that select at least what ``pattern`` matches.

    Used only to narrow what git reads; the exact test is always :func:`match`.
    """
    pat = pattern.strip()
    anchored = pat.startswith("/")
    pat = pat.strip("/")
    if not anchored and "/" not in pat:
        pat = "**/" + pat
    specs = [":(glob)" + pat]
    if not pat.endswith("**"):
        specs.append(":(glob)" + pat + "/**")
    return specs


def index_dirs(pattern: str) -> list[str] | None:
    """Directories (with a trailing slash; "" is the top) such that every path ``pattern``
    matches has one of them as a prefix, or None when it can match at any depth. Used to
    index many patterns by directory."""
    pat = pattern.strip()
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
    except re.error as exc:
        return f"glob {pattern!r} is not valid: {exc}"
    return None
