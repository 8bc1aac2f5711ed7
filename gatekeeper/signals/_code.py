# gatekeeper/signals/_code.py: a light reader of added source lines for the code detectors.
# Gathers a call's or a statement's text across lines and swaps string literals for markers.
"""Just enough lexing for the SQL and logging detectors: no parser, any language.

:func:`_gather` follows brackets and quotes over consecutive added lines; :func:`_tokenize`
replaces each string literal by a marker ``\\x01N\\x02`` so code and text can be told apart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gatekeeper.signals._common import Lines, _rx

_LIT_MARK = r"\x01(\d+)\x02"
#: What ends a string literal opened by each quote, or a backslash that escapes a character.
_CLOSING = {q: r"\\|" + re.escape(q) for q in ('"', "'", "`", '"""', "'''")}


def _gather(lines: Lines, i: int, col: int, call: bool, limit: int = 30) -> str:
    """Text from ``lines[i][1][col:]`` to the end of the expression, over consecutive added
    lines: the call's closing paren (``call``), else the end of the statement. At most
    ``limit`` more lines and 4000 characters (minified code stays linear)."""
    out: list[str] = []
    depth, quote, j, text = 0, "", i, lines[i][1][col:col + 4000]
    while True:
        k, n = 0, len(text)
        while k < n:
            ch = text[k]
            if quote:
                if ch == "\\":
                    k += 1
                elif text.startswith(quote, k):
                    k, quote = k + len(quote) - 1, ""
            elif ch in "\"'`":
                quote = text[k:k + 3] if text[k:k + 3] in ('"""', "'''") else ch
                k += len(quote) - 1
            elif ch in "([{":
                depth += 1
            elif ch in ")]}" or (ch == ";" and not call and depth == 0):
                depth -= ch != ";"
                if depth < 0 or ch == ";":
                    return "\n".join([*out, text[:k]])
            k += 1
        out.append(text)
        quote = "" if quote in ('"', "'") else quote  # a one-line string cannot go on
        if (not quote and depth <= 0 and not call) or j + 1 >= len(lines) or j - i >= limit \
                or lines[j + 1][0] != lines[j][0] + 1:
            return "\n".join(out)
        j += 1
        text = lines[j][1][:4000]


class _Lit:
    """A string literal of an expression (made for each literal of a candidate line)."""

    __slots__ = ("body", "closed", "prefix", "quote")

    def __init__(self, prefix: str, quote: str, body: str, closed: bool) -> None:
        self.prefix = prefix  # string prefix or template tag: "f", "rb", "sql", ""
        self.quote = quote
        self.body = body
        self.closed = closed


def _tokenize(expr: str) -> tuple[str, list[_Lit]]:
    """Replace each string literal by a marker ``\\x01N\\x02``: (masked text, literals)."""
    out: list[str] = []
    lits: list[_Lit] = []
    k, n, start = 0, len(expr), 0
    quote = _rx(r"[\"'`]")
    while k < n:
        m = quote.search(expr, k)  # C-speed jumps: minified lines are long
        if m is None:
            break
        k = p = m.start()
        while p > 0 and (expr[p - 1].isalnum() or expr[p - 1] in "_$."):
            p -= 1
        q = expr[k:k + 3] if expr[k:k + 3] in ('"""', "'''") else expr[k]
        e = k + len(q)
        closing = _rx(_CLOSING[q])
        while e < n:  # to the closing quote; a backslash escapes the character after it
            c = closing.search(expr, e)
            if c is None:
                e = n
            elif expr[c.start()] == "\\":
                e = c.start() + 2
                continue
            else:
                e = c.start()
            break
        out += [expr[start:p], f"\x01{len(lits)}\x02"]
        lits.append(_Lit(expr[p:k], q, expr[k + len(q):e], e < n))
        k = start = e + len(q)
    out.append(expr[start:])
    return "".join(out), lits


def _is_fstring(lit: _Lit) -> bool:
    return (lit.quote[0] != "`" and "f" in lit.prefix.lower() and len(lit.prefix) <= 3
            and lit.prefix.isalpha() and "{" in lit.body.replace("{{", ""))


def _is_template(lit: _Lit) -> bool:
    return lit.quote == "`" and not lit.prefix and "${" in lit.body


def _top_level(masked: str) -> str:
    """``masked`` without anything inside brackets."""
    out, depth = [], 0
    for ch in masked:
        depth += (ch in "([{") - (ch in ")]}")
        if depth == 0 and ch not in ")]}":
            out.append(ch)
    return "".join(out)


def _split_args(masked: str) -> list[str]:
    args, depth, start = [], 0, 0
    for k, ch in enumerate(masked):
        depth += (ch in "([{") - (ch in ")]}")
        if ch == "," and depth == 0:
            args.append(masked[start:k])
            start = k + 1
    return [*args, masked[start:]]


def _relit(masked: str, lits: Sequence[_Lit]) -> str:
    """Put the literals back into a piece of masked text."""
    def back(m: re.Match[str]) -> str:
        lit = lits[int(m.group(1))]
        return lit.prefix + lit.quote + lit.body + lit.quote * lit.closed
    return _rx(_LIT_MARK).sub(back, masked)
