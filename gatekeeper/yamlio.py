# gatekeeper/yamlio.py: fast YAML loading (libyaml when present) and error locations with line numbers.
"""YAML helpers shared by the ledger and policy loaders.

Loading uses libyaml's C loader where PyYAML was built with it. Line numbers are only
computed on the error path (by composing the node tree), so valid files stay fast.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gatekeeper.errors import ConfigError

if TYPE_CHECKING:
    import yaml

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


def _mark_line(exc: yaml.YAMLError) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return None if mark is None else int(mark.line) + 1


def load(text: str, where: str) -> Any:
    """Load one YAML document; a syntax error becomes ConfigError with file and line."""
    yaml, loader, _ = _yaml()
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        line = _mark_line(exc)
        raise ConfigError(f"{where}:{line}" if line else where,
                          f"invalid YAML: {getattr(exc, 'problem', None) or exc}") from None


def load_all(text: str, where: str) -> list[Any]:
    """Load a YAML stream (``---`` separated documents)."""
    yaml, loader, _ = _yaml()
    try:
        return [d for d in yaml.load_all(text, Loader=loader) if d is not None]
    except yaml.YAMLError as exc:
        line = _mark_line(exc)
        raise ConfigError(f"{where}:{line}" if line else where,
                          f"invalid YAML: {getattr(exc, 'problem', None) or exc}") from None


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
