# gatekeeper/flatyaml.py: the flat YAML of escalation notes' front matter, read and written without PyYAML.
"""A small, exact subset of YAML: the front matter of escalation notes.

Importing PyYAML costs a hook about 10 ms, and a server hook that only reads its inbox's
HALT notes and writes a push's notes needs nothing else from it. This module reads and
writes the flat mappings notes hold, each key at the margin with one of:

- a scalar: ``null``, ``true``, ``false``, a decimal int, a plain word
  (``[A-Za-z_][A-Za-z0-9_-]*`` that YAML does not read as a bool or null), or a
  single-quoted string on one line;
- a list of such scalars (``- item`` lines, or ``[]``);
- a mapping of such scalars (``  key: value`` lines, or ``{}``).

Both directions are partial on purpose: :func:`dump` and :func:`load` return None for
anything outside the subset (a newline in a value, a float, a hand-edited note with a
comment...), and the caller then uses PyYAML. Within the subset, ``load`` gives exactly
what ``yaml.safe_load`` gives, and PyYAML reads what ``dump`` writes back to the same data;
tests/test_flatyaml.py holds both to that over random data.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any

_KEY = re.compile(r"[a-z_][a-z0-9_]*\Z")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_INT = re.compile(r"(?:0|-?[1-9][0-9]{0,17})\Z")
#: Plain words PyYAML's resolver reads as something other than a string.
_SPECIAL = {"null": None, "Null": None, "NULL": None, "~": None,
            **{w: True for w in ("true", "True", "TRUE", "yes", "Yes", "YES", "on", "On",
                                 "ON")},
            **{w: False for w in ("false", "False", "FALSE", "no", "No", "NO", "off",
                                  "Off", "OFF")}}
#: Words written quoted whatever their case (and never read plain here): YAML 1.1 also
#: lists y and n as booleans, and a resolver's case rules are not worth trusting further.
_RISKY = {w.lower() for w in _SPECIAL} | {"y", "n"}
_NO = object()  # "not in the subset"


def _scalar_text(value: Any) -> str | None:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        text = str(value)
        return text if _INT.match(text) else None
    if type(value) is not str:
        return None
    if _WORD.match(value) and value.lower() not in _RISKY:
        return value
    # Single quotes escape nothing but the quote itself; a printable value has no line
    # break (not even YAML 1.1's NEL, LS or PS) and no character a YAML reader refuses.
    if value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    return None


def dump(data: dict[str, Any]) -> str | None:
    """``data`` as block YAML, keys in order; None when it is outside the subset."""
    out: list[str] = []
    for key, value in data.items():
        if type(key) is not str or not _KEY.match(key) or key in _RISKY:
            return None
        if type(value) in (list, dict) and not value:
            out.append(f"{key}: {'[]' if isinstance(value, list) else '{}'}")
        elif type(value) is list:
            out.append(f"{key}:")
            for item in value:
                text = _scalar_text(item)
                if text is None:
                    return None
                out.append(f"- {text}")
        elif type(value) is dict:
            out.append(f"{key}:")
            for sub, item in value.items():
                text = _scalar_text(item)
                if type(sub) is not str or not _KEY.match(sub) or sub in _RISKY or text is None:
                    return None
                out.append(f"  {sub}: {text}")
        else:
            text = _scalar_text(value)
            if text is None:
                return None
            out.append(f"{key}: {text}")
    return "\n".join(out) + "\n" if out else None


def _scalar(text: str) -> Any:
    if text.startswith("'"):
        inner = text[1:-1]
        if len(text) < 2 or not text.endswith("'") or "'" in inner.replace("''", "") \
                or not inner.isprintable():
            return _NO
        return inner.replace("''", "'")
    if text in _SPECIAL:
        return _SPECIAL[text]
    if _INT.match(text):
        return int(text)
    if _WORD.match(text) and text.lower() not in _RISKY:
        return text
    if text == "[]":
        return []
    if text == "{}":
        return {}
    return _NO


def load(text: str) -> dict[str, Any] | None:
    """The mapping ``text`` holds, as ``yaml.safe_load`` reads it; None when ``text`` is
    outside the subset (then PyYAML must read it)."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    out: dict[str, Any] = {}
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        i += 1
        if line.endswith(":"):
            key = line[:-1]
            items: list[Any] = []
            mapping: dict[str, Any] = {}
            while i < n and lines[i].startswith("- "):
                item = _scalar(lines[i][2:])
                if item is _NO or isinstance(item, list | dict):
                    return None
                items.append(item)
                i += 1
            while not items and i < n and lines[i].startswith("  "):
                sub, sep, rest = lines[i][2:].partition(": ")
                item = _scalar(rest)
                if not sep or not _KEY.match(sub) or sub in _RISKY or sub in mapping \
                        or item is _NO or isinstance(item, list | dict):
                    return None
                mapping[sub] = item
                i += 1
            if not items and not mapping:
                return None
            value: Any = items or mapping
        else:
            key, sep, rest = line.partition(": ")
            if not sep:
                return None
            value = _scalar(rest)
            if value is _NO:
                return None
        if not _KEY.match(key) or key in _RISKY or key in out:
            return None
        out[key] = value
    return out or None
