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
from collections.abc import Iterable, Sequence


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


def match(pattern: str, path: str) -> bool:
    """True when the repository-relative ``path`` matches the gitignore-style ``pattern``."""
    return _compile(pattern).match(path) is not None


def match_any(patterns: Iterable[str], path: str) -> bool:
    """True when any of ``patterns`` matches ``path``."""
    return any(_compile(p).match(path) is not None for p in patterns)


def last_match(rules: Sequence[tuple[str, str]], path: str) -> str | None:
    """CODEOWNERS semantics: of ``(pattern, owner)`` pairs the last matching one wins."""
    for pattern, owner in reversed(rules):
        if _compile(pattern).match(path) is not None:
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
