# gatekeeper/scopestats.py: a staged check's scope-budget line counts, cached per blob pair.
"""Lines changed per path from a feature's code baseline to the index, for the
commit-msg hook's scope budget, without diffing the feature's whole history on every run.

A path's count depends only on its two blobs (the baseline's and the index's): git's
numstat, with a binary-by-attribute file recounted by content (see
:func:`gatekeeper.git.numstat`). So the hook asks git only which paths differ and with
which blobs (``git diff --cached --raw``, which reads no file content), takes the counts
of blob pairs it has seen before from ``<git common dir>/pact/cache/numstat.marshal``,
and runs :func:`gatekeeper.git.numstat` only on the rest, usually the few files the
commit touches. On a real repository the baseline is often months old: counting a
feature's whole diff (and draining its binary blobs to test them) was most of a hook run.

The list of differing paths is itself kept for an index whose content has not changed
(a retry of a blocked commit): it is keyed by the index file's trailing checksum, which
git computes over the whole file, with the baseline and the pathspecs.

Only regular files added, modified or deleted are cached; anything else (a symlink, a
submodule, a type change, an unmerged entry) is counted afresh every time. The result
is the same dict :func:`gatekeeper.git.numstat` returns. ``GATEKEEPER_NO_CACHE=1``
bypasses the cache.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence

from gatekeeper import git

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any

#: Past this many remembered blob pairs the cache starts over (it only ever saves time).
MAX_ENTRIES = 50_000
#: Differing-path lists remembered (one per index content, baseline and pathspecs).
MAX_LISTINGS = 16
#: More uncounted paths than this are counted with the feature's own pathspecs, not one
#: literal pathspec each (a command line has a length limit).
MAX_LITERALS = 500
_FILES = ("000000", "100644", "100755")  # absent, or a regular file
_RAW_OPTS = ("--raw", "-z", "--no-renames", "--no-abbrev", "--no-ext-diff", "--no-textconv")

Entry = tuple[str, "str | None"]  # (path, "old-blob:new-blob" or None: never cached)


def _cache_file(repo: git.Repo) -> str:
    from gatekeeper.context import cache_dir

    return str(cache_dir(repo) / "numstat.marshal")


def _entries(value: Any) -> list[Entry] | None:
    if not isinstance(value, list):
        return None
    out: list[Entry] = []
    for item in value:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
                and (item[1] is None or isinstance(item[1], str))):
            return None
        out.append((item[0], item[1]))
    return out


def _load(path: str) -> tuple[dict[str, int], dict[str, list[Entry]]]:
    """(counts per blob pair, differing paths per listing key); empty when unreadable."""
    import marshal

    try:
        with open(path, "rb") as fh:
            data = marshal.load(fh)
    except (OSError, EOFError, ValueError, TypeError):
        return {}, {}
    if not isinstance(data, dict) or not isinstance(data.get("pairs"), dict) \
            or not isinstance(data.get("listings"), dict):
        return {}, {}
    # Anything but what _save writes is someone else's file: ignore it rather than trust it.
    pairs = {k: v for k, v in data["pairs"].items()
             if isinstance(k, str) and type(v) is int and v >= 0}
    listings: dict[str, list[Entry]] = {}
    for k, v in data["listings"].items():
        got = _entries(v)
        if isinstance(k, str) and got is not None:
            listings[k] = got
    return pairs, listings


def _save(path: str, pairs: dict[str, int], listings: dict[str, list[Entry]]) -> None:
    """Replace the cache file in one rename. Not fsutil.atomic_write: its tempfile import
    and fsync cost the first hook run after a ``git add`` milliseconds, and a cache lost
    in a crash is only recomputed (a torn or empty file does not load, see _load)."""
    import marshal

    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(marshal.dumps({"pairs": pairs, "listings": listings}))
        os.replace(tmp, path)
    except OSError:  # a read-only repository only loses the speed-up
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def index_checksum(repo: git.Repo) -> str | None:
    """The index file's trailing checksum (git's hash of all of its content) with its size,
    or None when there is no usable one (no index, or ``index.skipHash``)."""
    name = os.environ.get("GIT_INDEX_FILE") or str(repo.git_dir / "index")
    try:
        # git runs in repo.cwd: a relative GIT_INDEX_FILE (git commit sets one) is from there.
        with open(os.path.join(repo.cwd, name), "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size < 64:
                return None
            fh.seek(size - 32)
            tail = fh.read(32)
    except OSError:
        return None
    if tail[-20:] == bytes(20):  # index.skipHash: no checksum written
        return None
    return f"{size}:{tail.hex()}"


def parse_raw(out: bytes) -> list[Entry]:
    """``diff --raw -z --no-renames`` output -> (path, cache key or None) per entry; the
    key is ``old-blob:new-blob`` for a regular file added, modified or deleted."""
    entries: list[Entry] = []
    tokens = out.split(b"\0")
    i = 0
    while i + 1 < len(tokens):
        head = tokens[i].decode("ascii", "replace")
        path = tokens[i + 1].decode("utf-8", "surrogateescape")
        i += 2
        parts = head.lstrip(":").split()
        key = None
        if (len(parts) == 5 and parts[4] in ("A", "M", "D") and parts[0] in _FILES
                and parts[1] in _FILES):
            key = f"{parts[2]}:{parts[3]}"
        entries.append((path, key))
    return entries


def staged_numstat(repo: git.Repo, base: str, pathspecs: Sequence[str],
                   cat: git.CatFile | None = None) -> dict[str, int]:
    """Lines changed per path from ``base`` to the index, limited by ``pathspecs``: what
    ``git.numstat(repo, base, None, pathspecs, cat=cat)`` returns, from cached counts
    where the blob pair was counted before."""
    if os.environ.get("GATEKEEPER_NO_CACHE"):
        return git.numstat(repo, base, None, pathspecs, cat=cat)
    where = _cache_file(repo)
    pairs, listings = _load(where)
    checksum = index_checksum(repo)
    listing = "\0".join([checksum, base, *pathspecs]) if checksum else None
    entries = listings.get(listing) if listing else None
    dirty = False
    if entries is None:
        out = git.run(["diff", "--cached", *_RAW_OPTS, base, "--", *pathspecs], repo.cwd)
        entries = parse_raw(out)
        if listing:
            listings.pop(listing, None)
            listings[listing] = entries
            for old in list(listings)[: max(0, len(listings) - MAX_LISTINGS)]:
                del listings[old]
            dirty = True
    stats: dict[str, int] = {}
    todo: list[Entry] = []
    for path, key in entries:
        if key is not None and key in pairs:
            stats[path] = pairs[key]
        else:
            todo.append((path, key))
    if todo:
        if len(todo) > MAX_LITERALS:  # a first run on a big feature: one plain numstat
            fresh = stats = git.numstat(repo, base, None, pathspecs, cat=cat)
        else:
            fresh = git.numstat(repo, base, None, [":(literal)" + p for p, _ in todo],
                                cat=cat)
            stats.update(fresh)
        learnt = {key: fresh[p] for p, key in todo if key is not None and p in fresh}
        if learnt:
            if len(pairs) + len(learnt) > MAX_ENTRIES:
                pairs = {}
            pairs.update(learnt)
            dirty = True
    if dirty:
        _save(where, pairs, listings)
    return stats
