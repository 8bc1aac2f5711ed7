# gatekeeper/context.py: config + policies + folded ledger as of one commit, cached by content hash.
"""The rules that judge a commit are those of its parent: :func:`load_at` reads the
ledger, config and project policies from a commit (through one ``cat-file`` process)
and returns them validated and folded.

Validation (pydantic) is the expensive part, so the result is cached under
``<git common dir>/pact/cache/``, keyed by the blob ids it was built from, the bundled
packs and the gatekeeper version. A cache hit never imports pydantic. Set
``GATEKEEPER_NO_CACHE=1`` to bypass the cache (the test suite runs both ways).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import zlib
from pathlib import Path

from gatekeeper import __version__, fsutil, yamlio
from gatekeeper.config import Config, load_config
from gatekeeper.errors import ConfigError
from gatekeeper.git import CatFile, Repo, parse_tree
from gatekeeper.ledger import LEDGER_PATH, LedgerState, parse
from gatekeeper.policy import Rule, build_rules, bundled_files
from gatekeeper.record import dataclass

CONFIG_PATH = ".pact/config.toml"
POLICY_DIR = ".pact/policies"
#: Paths whose change alters the context; a commit touching none of them keeps its parent's.
CONTEXT_PATHS = (LEDGER_PATH, CONFIG_PATH, "pyproject.toml")


@dataclass
class Context:
    """Everything a commit is judged by."""

    config: Config
    rules: list[Rule]
    state: LedgerState
    key: str
    has_ledger: bool = False


def touches_context(paths: list[str]) -> bool:
    """True when a change to these paths can change the judging context."""
    return any(p in CONTEXT_PATHS or p.startswith(POLICY_DIR + "/") for p in paths)


def _bundled_stamp() -> str:
    """What else a cached context depends on: the bundled packs and the modules whose
    objects are pickled (so an upgraded or edited gatekeeper never reads a stale cache)."""
    parts = [__version__]
    here = Path(__file__).parent
    files = [*bundled_files().values(),
             *(here / m for m in ("context.py", "config.py", "ledger.py", "policy.py",
                                  "record.py", "schema.py", "yamlio.py", "rules/__init__.py"))]
    for path in files:
        st = path.stat()
        parts.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}")
    # crc32, not hashlib: this runs on every hook, and hashlib's import costs ~2.5 ms.
    return f"{zlib.crc32(';'.join(parts).encode()):08x}"


def cache_dir(repo: Repo) -> Path:
    """Where validated contexts are cached."""
    return repo.common_dir / "pact" / "cache"


def _cache_get(repo: Repo, key: str) -> Context | None:
    if os.environ.get("GATEKEEPER_NO_CACHE"):
        return None
    try:
        with open(cache_dir(repo) / f"{key}.pickle", "rb") as fh:
            ctx = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return ctx if isinstance(ctx, Context) else None


def _cache_put(repo: Repo, ctx: Context) -> None:
    if os.environ.get("GATEKEEPER_NO_CACHE"):
        return
    # A read-only repository still gets verdicts, only slower ones.
    with contextlib.suppress(OSError):
        fsutil.atomic_write(cache_dir(repo) / f"{ctx.key}.pickle",
                            pickle.dumps(ctx, protocol=pickle.HIGHEST_PROTOCOL))


def _build(texts: dict[str, str | None], policies: list[tuple[str, str]], key: str,
           suffix: str) -> Context:
    try:
        config = load_config(texts[CONFIG_PATH], texts["pyproject.toml"])
        rules = build_rules(config, policies)
        ledger_text = texts[LEDGER_PATH]
        state = parse(ledger_text)[0] if ledger_text is not None else LedgerState()
    except ConfigError as exc:
        if suffix:
            raise ConfigError(exc.where, f"{exc.what} ({suffix})") from None
        raise
    return Context(config=config, rules=rules, state=state, key=key,
                   has_ledger=texts[LEDGER_PATH] is not None)


def load_at(repo: Repo, cat: CatFile, rev: str | None) -> Context:
    """The context as committed in ``rev`` (None: a repository with no commits yet)."""
    ids: dict[str, str | None] = {}
    policy_tree: str | None = None
    if rev is not None:
        for path in CONTEXT_PATHS:
            got = cat.info(f"{rev}:{path}")
            ids[path] = got[0] if got and got[1] == "blob" else None
        tree = cat.info(f"{rev}:{POLICY_DIR}")
        policy_tree = tree[0] if tree and tree[1] == "tree" else None
    else:
        ids = dict.fromkeys(CONTEXT_PATHS)
    # The blob and tree ids are content hashes already: joined, they are the key.
    key = "-".join([_bundled_stamp(), *(ids[p] or "0" for p in CONTEXT_PATHS),
                    policy_tree or "0"])
    cached = _cache_get(repo, key)
    if cached is not None:
        return cached
    texts: dict[str, str | None] = {}
    for path, oid in ids.items():
        blob = cat.read(oid) if oid else None
        texts[path] = _decode(blob[2], path, rev) if blob else None
    policies: list[tuple[str, str]] = []
    if policy_tree:
        tree_obj = cat.read(policy_tree)
        assert tree_obj is not None
        for mode, name, oid in parse_tree(tree_obj[2]):
            if name.endswith((".yaml", ".yml")) and mode.startswith("100"):
                blob = cat.read(oid)
                if blob:
                    where = f"{POLICY_DIR}/{name}"
                    policies.append((where, _decode(blob[2], where, rev)))
    ctx = _build(texts, policies, key, f"as committed in {rev[:12]}" if rev else "")
    _cache_put(repo, ctx)
    return ctx


def _decode(data: bytes, where: str, rev: str | None) -> str:
    """Strict UTF-8, as everywhere (yamlio.decode), naming the commit like _build does."""
    try:
        return yamlio.decode(data, where)
    except ConfigError as exc:
        raise ConfigError(exc.where, f"{exc.what} (as committed in {(rev or '')[:12]})") from None


def load_worktree(repo: Repo) -> Context:
    """The context as it is on disk now (the orchestrator's commands and ``status``)."""
    top = repo.top
    if top is None:
        raise ConfigError(str(repo.git_dir), "this command needs a working tree")
    texts: dict[str, str | None] = {}
    for path in CONTEXT_PATHS:
        p = top / path
        texts[path] = yamlio.read_text(p, path) if p.is_file() else None
    policies = [(f"{POLICY_DIR}/{p.name}", yamlio.read_text(p, f"{POLICY_DIR}/{p.name}"))
                for p in sorted((top / POLICY_DIR).glob("*.y*ml")) if p.is_file()]
    import hashlib

    digest = hashlib.sha256(repr((__version__, _bundled_stamp(), texts, policies)).encode())
    key = "wt-" + digest.hexdigest()[:40]
    cached = _cache_get(repo, key)
    if cached is not None:
        return cached
    ctx = _build(texts, policies, key, "")
    _cache_put(repo, ctx)
    return ctx
