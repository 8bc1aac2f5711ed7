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
    #: True when the commit carries PACT set-up (.pact/ ledger, config or policies).
    has_pact: bool = False


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


_WARNED: set[str] = set()


def inbox_dir(repo: Repo, configured: str | None = None) -> Path:
    """The inbox: ``GATEKEEPER_INBOX``, else the config's path, else the default.

    The committed ``[escalations] inbox`` must stay inside the git directory: a pushed
    config must never make a server (or a clone) write notes anywhere else. One that
    leaves it is ignored, with a warning, and the default inbox is used: notes are never
    lost, and no check stops over it. ``GATEKEEPER_INBOX`` is the operator's own choice
    and may point anywhere.
    """
    default = repo.common_dir / "pact" / "escalations"
    env = os.environ.get("GATEKEEPER_INBOX")
    if env:
        p = Path(env).expanduser()
        return p if p.is_absolute() else repo.common_dir / p
    if configured:
        p = Path(configured).expanduser()
        p = p if p.is_absolute() else repo.common_dir / p
        root = os.path.realpath(repo.common_dir)
        if os.path.commonpath([root, os.path.realpath(p)]) == root:
            return p
        if configured not in _WARNED:
            _WARNED.add(configured)
            import sys

            sys.stderr.write(f"pact-gatekeeper: warning: ignoring [escalations] inbox = "
                             f"{configured!r} in .pact/config.toml: it leaves the git "
                             f"directory; notes go to {default}\n")
    return default


def _cache_get(repo: Repo, key: str) -> Context | None:
    if os.environ.get("GATEKEEPER_NO_CACHE"):
        return None
    try:
        # pickle's own C loader, which pickle.load is: the pickle module itself (with
        # struct and a probe for Jython) costs a warm hook about 1 ms to import.
        from _pickle import UnpicklingError, load
    except ImportError:  # pragma: no cover - not CPython
        from pickle import UnpicklingError, load
    try:
        with open(cache_dir(repo) / f"{key}.pickle", "rb") as fh:
            ctx = load(fh)
    except (OSError, UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return ctx if isinstance(ctx, Context) else None


def _cache_put(repo: Repo, ctx: Context) -> None:
    if os.environ.get("GATEKEEPER_NO_CACHE"):
        return
    import pickle  # only a cold run writes the cache

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
                   has_ledger=texts[LEDGER_PATH] is not None,
                   has_pact=texts[LEDGER_PATH] is not None or texts[CONFIG_PATH] is not None
                   or bool(policies))


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
    from gatekeeper.digest import sha256_hex

    digest = sha256_hex(repr((__version__, _bundled_stamp(), texts, policies)).encode())
    key = "wt-" + digest[:40]
    cached = _cache_get(repo, key)
    if cached is not None:
        return cached
    ctx = _build(texts, policies, key, "")
    _cache_put(repo, ctx)
    return ctx


# ------------------------------------------------------------------ server-side contexts


def list_branches(repo: Repo) -> dict[str, str]:
    """Every branch ref and its commit (one ``for-each-ref``)."""
    from gatekeeper import git

    out = git.run(git.BRANCHES, repo.cwd, check=False).decode("utf-8", "surrogateescape")
    branches: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, ref = line.partition(" ")
        if ref:
            branches[ref] = sha
    return branches


def head_ref(repo: Repo) -> str:
    """The branch ``HEAD`` names (``refs/heads/...``), existing or not; "" when detached."""
    try:  # a bare repository's HEAD is a file: no process needed
        text = (repo.git_dir / "HEAD").read_text(encoding="utf-8", errors="replace").strip()
        return text[5:].strip() if text.startswith("ref: ") else ""
    except OSError:
        from gatekeeper import git

        return git.run(["symbolic-ref", "-q", "HEAD"], repo.cwd, check=False).decode(
            "utf-8", "surrogateescape").strip()


def default_branch(repo: Repo, cat: CatFile, branches: dict[str, str] | None = None,
                   ) -> tuple[str, str] | None:
    """(ref, commit) of the repository's default branch, or None when it has no branch.

    The branch ``HEAD`` names, when it exists; else ``main``, then ``master``; else the
    first branch carrying ``.pact/``; else the first branch. ``git init --bare`` leaves
    ``HEAD`` naming ``master`` even when the team only ever pushes ``main``: a dangling
    ``HEAD`` must not switch the server's settings (protected refs, resolutions) off.
    """
    branches = list_branches(repo) if branches is None else branches
    if not branches:
        return None
    for ref in (head_ref(repo), "refs/heads/main", "refs/heads/master"):
        if ref in branches:
            return ref, branches[ref]
    for ref, sha in sorted(branches.items()):
        if carries_pact(cat, sha):
            return ref, sha
    ref = sorted(branches)[0]
    return ref, branches[ref]


def head_is_dangling(repo: Repo) -> str | None:
    """The branch a repository's ``HEAD`` names when that branch does not exist while
    others do (for ``install --server`` to warn about), else None."""
    branches = list_branches(repo)
    head = head_ref(repo)
    return head if head and branches and head not in branches else None


def carries_pact(cat: CatFile, rev: str) -> bool:
    """True when ``rev``'s tree has a ``.pact`` directory."""
    got = cat.info(f"{rev}:.pact")
    return got is not None and got[1] == "tree"


def branches_with_pact(cat: CatFile, branches: dict[str, str]) -> list[str]:
    """The branch refs whose tips carry ``.pact/`` (empty: PACT not adopted yet)."""
    return [ref for ref, sha in sorted(branches.items()) if carries_pact(cat, sha)]


def pinned_roster(repo: Repo, value: str | None = None,
                  ) -> tuple[str, dict[str, list[str]]] | None:
    """The roster an admin pinned on the server (``git config gatekeeper.roster FILE``), as
    (file, roster), or None. ``FILE`` is TOML: a ``[roster]`` table (or role keys at the
    top level) mapping roles to git emails and server usernames; a relative path is
    relative to the git directory. A pinned roster wins over every committed one.
    ``value``: the setting when the caller has read git config already."""
    if value is None:
        from gatekeeper import git

        value = git.run(["config", "--get", "gatekeeper.roster"], repo.cwd,
                        check=False).decode("utf-8", "surrogateescape")
    value = value.strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = repo.git_dir / path
    where = f"git config gatekeeper.roster ({path})"
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(where, f"cannot read the pinned roster: {exc}") from None
    from gatekeeper.config import ROLES, _tomllib, normalize_role

    tomllib = _tomllib()
    try:
        data = tomllib.loads(raw)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ConfigError(where, f"not valid TOML: {exc}") from None
    table = data.get("roster", data)
    roster: dict[str, list[str]] = {}
    if not isinstance(table, dict):
        raise ConfigError(where, "[roster] must be a table of role = [names]")
    for role, ids in table.items():
        norm = normalize_role(str(role))
        if norm not in ROLES:
            raise ConfigError(where, f"unknown role {role!r}; PACT's roles are {', '.join(ROLES)}")
        if isinstance(ids, dict):  # { emails = [...], users = [...] }, as in config.toml
            ids = [i for key in ("emails", "users") for i in ids.get(key) or []]
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ConfigError(where, f"roster.{role} must be a list of names")
        roster[norm] = [str(i) for i in ids]
    return str(path), roster


def with_roster(ctx: Context, roster: dict[str, list[str]]) -> Context:
    """``ctx`` with its roster replaced (the admin's pinned roster)."""
    from gatekeeper.record import replace

    return replace(ctx, config=replace(ctx.config, roster=roster))


# ------------------------------------------------------------------ lost baselines


def recover_baseline(repo: Repo, lost: str) -> str | None:
    """A stand-in for a feature's code baseline that a rebase or an amend rewrote away: the
    parent of the first commit whose ledger mentions it (the orchestrator's commit that
    recorded the feature entering CODE, which the rebase carried along). None when no
    such commit exists (a shallow clone, or history really gone)."""
    from gatekeeper import git

    out = git.run(["log", "--all", "--reverse", "--format=%H %P", f"-S{lost}", "--",
                   LEDGER_PATH], repo.cwd, check=False).decode("ascii", "replace")
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            return parts[1]
    return None


def baseline_lost(feature: str, lost: str, shallow: bool) -> str:
    """The message for a code baseline that is gone, naming the fix."""
    if shallow:
        return (f"feature {feature}: its code baseline {lost[:12]} is not in this shallow "
                "clone; fetch the full history (git fetch --unshallow; GitHub Actions: "
                "fetch-depth: 0; GitLab CI: GIT_DEPTH: 0)")
    return (f"feature {feature}: its code baseline {lost[:12]} is not in this repository, "
            "and no commit's ledger records it (a rebase or amend rewrote both). Restore it: "
            f"git fetch origin {lost} (or find it with git reflog), then git branch "
            f"pact-baseline-{feature} {lost}")
