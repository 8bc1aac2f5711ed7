# gatekeeper/yamlio.py: fast YAML loading (libyaml when present) and error locations with line numbers.
"""YAML helpers shared by the ledger and policy loaders.

Loading uses libyaml's C loader where PyYAML was built with it. Line numbers are only
computed on the error path (by composing the node tree), so valid files stay fast.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from gatekeeper.errors import ConfigError

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any

# PyYAML is imported on first use, not with this module: importing it costs about 10 ms,
# and a commit hook whose context comes from the cache never parses YAML at all.


@functools.cache
def _yaml() -> tuple[Any, type[Any], type[Any]]:
    """(the yaml module, its fastest safe Loader, its fastest safe Dumper)."""
    import yaml

    try:
        return yaml, yaml.CSafeLoader, yaml.CSafeDumper
    except AttributeError:  # PyYAML built without libyaml
        return yaml, yaml.SafeLoader, yaml.SafeDumper


def decode(data: bytes, where: str) -> str:
    """Strict UTF-8, the one decoding rule for every ``.pact/`` file and ``pyproject.toml``.

    The checks, ``status`` and the orchestrator's commands all decode through here, so they
    agree on a file with a bad byte: ConfigError naming the byte offset and its line.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{where}:{line}", f"not valid UTF-8: byte 0x{data[exc.start]:02x} at "
                          f"offset {exc.start} ({exc.reason}); save the file as UTF-8") from None


def one_line(text: str, limit: int = 300) -> str:
    """``text`` safe to print as one line of a message: control characters (a newline in a
    value a validator quotes) escaped, and long values cut."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_text(path: Path, where: str) -> str:
    """A file's text under :func:`decode`'s rule; an unreadable file is a ConfigError too."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(where, f"cannot read: {exc.strerror or exc}") from None
    return decode(data, where)


def offset_line(text: str, offset: int) -> int:
    """The 1-based line of a character offset (parsers that report only an offset)."""
    return text.count("\n", 0, max(0, min(offset, len(text)))) + 1


def _mark_line(exc: BaseException, text: str) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return int(mark.line) + 1
    # ReaderError ("unacceptable character") has only a position, which libyaml counts in
    # bytes of UTF-8; the reader stops at the first such character, so find that instead.
    character = getattr(exc, "character", None)
    if isinstance(character, int) and chr(character) in text:
        return offset_line(text, text.index(chr(character)))
    position = getattr(exc, "position", None)
    return offset_line(text, position) if isinstance(position, int) else None


@functools.cache
def _locating_loader() -> type[Any]:
    """A pure-Python SafeLoader that turns any constructor failure into a located error.

    PyYAML's own constructors raise ValueError, KeyError, IndexError, AttributeError or
    OverflowError for values such as ``2026-13-01``, ``!!int b`` or ``!!bool x``, with no
    position. This loader is used only after a load failed, to find the node's line.
    """
    import yaml

    class Locating(yaml.SafeLoader):
        def construct_object(self, node: Any, deep: bool = False) -> Any:
            try:
                return super().construct_object(node, deep)
            except yaml.YAMLError:
                raise
            except Exception as exc:  # any constructor failure gets a line
                raise yaml.constructor.ConstructorError(
                    None, None, _problem(exc, node), node.start_mark) from None

    return Locating


def _problem(exc: BaseException, node: Any) -> str:
    tag = str(getattr(node, "tag", "")).rsplit(":", 1)[-1]
    value = getattr(node, "value", "")
    shown = repr(value[:40]) if isinstance(value, str) else f"a {type(value).__name__}"
    if isinstance(exc, ValueError) and "Exceeds the limit" in str(exc):
        return f"the number {shown}... has too many digits"
    return f"{shown} is not a valid {tag or 'value'}"


def _fail(exc: BaseException, text: str, where: str, *, stream: bool) -> ConfigError:
    """A ConfigError with file and line for anything a YAML load raised."""
    yaml, _, _ = _yaml()
    if not isinstance(exc, yaml.YAMLError):
        # Parse again with the locating loader: slow, but only on the error path.
        try:
            if stream:
                list(yaml.load_all(text, Loader=_locating_loader()))
            else:
                yaml.load(text, Loader=_locating_loader())
        except yaml.YAMLError as located:
            exc = located
        except RecursionError:
            return ConfigError(f"{where}:{deepest_line(text)}", "invalid YAML: nested too deeply")
        except Exception:  # fall through to the first-line message
            pass
    line = _mark_line(exc, text) if isinstance(exc, yaml.YAMLError) else None
    if isinstance(exc, RecursionError):
        return ConfigError(f"{where}:{deepest_line(text)}", "invalid YAML: nested too deeply")
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, yaml.reader.ReaderError):
        problem = f"unacceptable character #x{exc.character:04x}" if isinstance(
            exc.character, int) else "unacceptable character"
    return ConfigError(f"{where}:{line or 1}", f"invalid YAML: {problem}")


def deepest_line(text: str) -> int:
    """The line where bracket nesting is deepest (for a parser that overflowed its stack)."""
    depth = best = 0
    line = best_line = 1
    for ch in text:
        if ch in "[{":
            depth += 1
            if depth > best:
                best, best_line = depth, line
        elif ch in "]}":
            depth = max(0, depth - 1)
        elif ch == "\n":
            line += 1
    return best_line


#: Bounds on what a loaded document may expand to. Aliases share objects, so a few lines
#: of anchors can describe 10**9 nodes (or a cycle) that any later walk would expand.
MAX_DEPTH = 64
MAX_NODES = 200_000


def check_shape(data: Any, text: str, where: str) -> None:
    """Refuse a cyclic, too deep or too large (after alias expansion) document."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    containers = (dict, list, set, tuple)

    def size(obj: Any, depth: int) -> int:
        key = id(obj)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _shape_error(text, where, "an alias refers to itself (a cycle)")
        if depth > MAX_DEPTH:
            raise ConfigError(f"{where}:{deepest_line(text)}",
                              f"invalid YAML: nested more than {MAX_DEPTH} levels deep")
        active.add(key)
        items = obj.values() if isinstance(obj, dict) else obj  # keys are scalars
        total = 1 + len(obj)
        for item in items:
            if isinstance(item, containers):  # scalars count 1, already added
                total += size(item, depth + 1) - 1
            if total > MAX_NODES:
                raise _shape_error(text, where, f"more than {MAX_NODES:,} values once aliases "
                                   "are expanded")
        active.discard(key)
        sizes[key] = total
        return total

    if isinstance(data, containers):
        size(data, 0)


def _shape_error(text: str, where: str, what: str) -> ConfigError:
    import re

    m = re.search(r"(?<![^\s\[{,:-])\*[^\s,\]}]+", text)  # the first alias
    return ConfigError(f"{where}:{offset_line(text, m.start()) if m else 1}", f"invalid YAML: {what}")


def load(text: str, where: str) -> Any:
    """Load one YAML document; any failure becomes ConfigError with file and line."""
    yaml, loader, _ = _yaml()
    try:
        data = yaml.load(text, Loader=loader)
    except Exception as exc:  # PyYAML raises far more than YAMLError
        raise _fail(exc, text, where, stream=False) from None
    check_shape(data, text, where)
    return data


def load_all(text: str, where: str) -> list[Any]:
    """Load a YAML stream (``---`` separated documents); failures as in :func:`load`."""
    yaml, loader, _ = _yaml()
    try:
        docs = [d for d in yaml.load_all(text, Loader=loader) if d is not None]
    except Exception as exc:  # PyYAML raises far more than YAMLError
        raise _fail(exc, text, where, stream=True) from None
    for doc in docs:  # per document: a long ledger is fine, one exploding event is not
        check_shape(doc, text, where)
    return docs


def document_lines(text: str) -> list[int]:
    """The 1-based line where each non-empty document of a YAML stream starts."""
    yaml, loader, _ = _yaml()
    lines: list[int] = []
    for node in yaml.compose_all(text, Loader=loader):
        if node is not None:
            lines.append(int(node.start_mark.line) + 1)
    return lines


def locate(text: str, path: Sequence[str | int], *, document: int = 0) -> int | None:
    """The 1-based line of the node at ``path`` (keys and list indexes) in a document.

    Returns the deepest line found, so a missing key points at its parent mapping.
    """
    yaml, loader, _ = _yaml()
    try:
        docs = [n for n in yaml.compose_all(text, Loader=loader) if n is not None]
    except yaml.YAMLError:
        return None
    if document >= len(docs):
        return None
    node: Any = docs[document]
    line = int(node.start_mark.line) + 1
    for key in path:
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if str(k.value) == str(key):
                    nxt = v
                    line = int(k.start_mark.line) + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            nxt = node.value[key]
            line = int(nxt.start_mark.line) + 1
        if nxt is None:
            break
        node = nxt
    return line


def dump(data: Any) -> str:
    """Dump one document in block style, keys in the given order."""
    yaml, _, dumper = _yaml()
    return str(yaml.dump(data, Dumper=dumper, sort_keys=False, default_flow_style=False,
                         allow_unicode=True, width=100))
