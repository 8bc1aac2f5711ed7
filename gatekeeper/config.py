# gatekeeper/config.py: the project's config (.pact/config.toml or [tool.gatekeeper]) and its defaults.
"""Configuration: roster, path classes, policy packs, rule overrides, server options.

Precedence (documented in the README): built-in defaults, then ``[tool.gatekeeper]`` in
``pyproject.toml``, then ``.pact/config.toml`` (which wins when both exist). The server
options can further be overridden by the bare repository's ``git config gatekeeper.*``,
which the pushers cannot change.

Validation uses pydantic, but only on a cache miss: the validated result is plain data
(:class:`Config`), cached with the ledger and policies.
"""

from __future__ import annotations

import re
import sys

from gatekeeper.errors import ConfigError
from gatekeeper.record import dataclass, field

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any

ROLES = (
    "orchestrator", "preparer", "architect", "backend-coder", "frontend-coder",
    "database-engineer", "devops-engineer", "test-engineer", "security-engineer",
    "qa-engineer", "auditor", "secretary", "n8n",
)

#: Default path classes. A path's class is the first of PATH_CLASS_ORDER that matches.
DEFAULT_PATHS: dict[str, list[str]] = {
    "pact": [".pact/**"],
    "ai_config": ["CLAUDE.md", ".claude/**", "/.gitignore", "AGENTS.md"],
    "docs": ["docs/**", "*.md", "*.rst", "*.adoc", "LICENSE*", "CHANGELOG*", "AUTHORS*"],
    "tests": ["tests/**", "test/**", "spec/**", "__tests__/**", "test_*.py", "*_test.py",
              "*_test.go", "*.test.*", "*.spec.*", "conftest.py"],
    "schema": [
        "**/migrations/**", "alembic/**", "alembic.ini", "db/migrate/**", "db/schema.rb",
        "db/structure.sql", "prisma/schema.prisma", "*.prisma", "**/db/migration/**",
        "flyway/**", "liquibase/**", "**/changelog/*.xml", "*.sql",
    ],
    "code": ["**"],
}
PATH_CLASS_ORDER = ("pact", "ai_config", "docs", "tests", "schema", "code")

DEFAULT_PACKS = ["pact-core", "pact-signals"]


@dataclass(frozen=True)
class ServerOptions:
    """Options that matter only in the server-side pre-receive hook."""

    deadline: float = 4.5
    fail_open: bool = False
    require_identity: bool = True
    protected_refs: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ClaudeOptions:
    """Options of the Claude Code adapter (``gatekeeper hook claude``)."""

    main_thread: str = "orchestrator"  # the role of the main thread (no agent_type)
    fail_open: bool = False  # pass a write the adapter cannot judge (default: deny it)
    unknown_agent: str = "least-privilege"  # or "deny", or a role an unknown agent acts as
    agents: dict[str, str] = field(default_factory=dict)  # agent_type -> role


@dataclass(frozen=True)
class Config:
    """The validated project configuration, as plain data."""

    roster: dict[str, list[str]] = field(default_factory=dict)
    paths: dict[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_PATHS))
    packs: list[str] = field(default_factory=lambda: list(DEFAULT_PACKS))
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    server: ServerOptions = field(default_factory=ServerOptions)
    claude: ClaudeOptions = field(default_factory=ClaudeOptions)
    inbox: str | None = None
    tolerance: float = 0.2
    warn_at: float = 1.0
    undershoot: float = 0.8
    repeat_threshold: int = 3
    halt_freeze: bool = True
    source: str = "defaults"
    #: Line of each key the loaders may need to point at later: ``packs``,
    #: ``rules.ID`` and ``rules.ID.KEY`` (unknown packs and rules are found only when the
    #: policies are built, after the config itself has been validated).
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def file(self) -> str:
        """The file the config came from, without the ``[tool.gatekeeper]`` suffix."""
        return self.source.split(" ", 1)[0]

    def at(self, *keys: str | int) -> str:
        """``file:line`` for the deepest of ``keys`` whose line is known (else line 1)."""
        line = 1
        for n in range(len(keys), 0, -1):
            got = self.lines.get(".".join(str(k) for k in keys[:n]))
            if got:
                line = got
                break
        return f"{self.file}:{line}"

    def roles_of(self, identity: str) -> list[str]:
        """Roles the roster lets ``identity`` (an email or a server username) act as."""
        ident = identity.strip().lower()
        # Kept on the (frozen) config like path_class's answers: a range asks once per commit.
        index: dict[str, list[str]] | None = self.__dict__.get("_roles")
        if index is None:
            index = {}
            for role, ids in self.roster.items():
                for i in ids:
                    roles = index.setdefault(i.lower(), [])
                    if role not in roles:  # an identity listed twice under one role
                        roles.append(role)
            self.__dict__["_roles"] = index
        return list(index.get(ident, ()))

    def path_class(self, path: str) -> str:
        """The class of a path: pact, ai_config, docs, tests, schema or code."""
        # A range asks about the same paths once per commit: remember the answers on the
        # (frozen) config itself, so a new config never sees an old one's classes.
        known: dict[str, str] | None = self.__dict__.get("_classes")
        if known is None:
            known = self.__dict__["_classes"] = {}
        got = known.get(path)
        if got is None:
            from gatekeeper.globs import match_any

            got = next((name for name in PATH_CLASS_ORDER
                        if match_any(self.paths.get(name, ()), path)), "other")
            if len(known) < 20_000:
                known[path] = got
        return got


def normalize_role(role: str) -> str:
    """``pact-backend-coder`` and ``Backend-Coder`` both mean ``backend-coder``."""
    r = role.strip().lower().replace("_", "-")
    return r[5:] if r.startswith("pact-") else r


def _tomllib() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10
        import tomli as tomllib
    return tomllib


#: Deeper TOML nesting than this is refused before tomllib recurses into it.
MAX_TOML_DEPTH = 64


def parse_toml(text: str, where: str) -> dict[str, Any]:
    """Parse TOML; every failure (syntax, nesting, huge integers) is a ConfigError with a line."""
    from gatekeeper.yamlio import deepest_line, offset_line

    tomllib = _tomllib()
    if text.count("[") + text.count("{") > MAX_TOML_DEPTH:
        depth = _toml_depth(text)
        if depth > MAX_TOML_DEPTH:
            raise ConfigError(f"{where}:{deepest_line(text)}",
                              f"invalid TOML: nested more than {MAX_TOML_DEPTH} levels deep")
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"line (\d+)", msg)
        line = m.group(1) if m else (offset_line(text, len(text)) if "end of document" in msg
                                     else "1")
        raise ConfigError(f"{where}:{line}", f"invalid TOML: {msg}") from None
    except RecursionError:
        raise ConfigError(f"{where}:{deepest_line(text)}", "invalid TOML: nested too deeply") from None
    except ValueError as exc:  # int() beyond sys.get_int_max_str_digits()
        m = re.search(r"[0-9][0-9_]{999,}", text)
        line = offset_line(text, m.start()) if m else 1
        raise ConfigError(f"{where}:{line}", f"invalid TOML: {str(exc).split(';')[0]}") from None
    return data


def _toml_depth(text: str) -> int:
    """Bracket nesting outside strings and comments (an upper bound of TOML's depth)."""
    depth = best = 0
    quote = ""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif ch in "[{":
            depth += 1
            best = max(best, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
        i += 1
    return best


def locate_toml(text: str, loc: list[str] | tuple[str | int, ...]) -> int | None:
    """The line of the key path ``loc`` (e.g. ``rules``, ``scope-budget``, ``tolerance``):
    each key is searched after the previous one, as a table header part or an assignment."""
    pos, line = 0, None
    for key in loc:
        if isinstance(key, int) or str(key).isdigit():  # a list index: no key to find
            continue
        k = re.escape(str(key))
        # A key is followed by "=", "." (a dotted key or header part) or "]" (the end of a
        # header); the next key is searched right after this one, so the keys of
        # [tool.gatekeeper.rules.x] are all found in that one header.
        pat = re.compile(rf"(?<![\w-])[\"']?(?P<k>{k})[\"']?(?=[ \t]*[.\]=])")
        m = pat.search(text, pos)
        if m is None:
            break
        line = text.count("\n", 0, m.start()) + 1
        pos = m.end("k")
    return line


def load_config(config_text: str | None, pyproject_text: str | None, *,
                config_where: str = ".pact/config.toml",
                pyproject_where: str = "pyproject.toml") -> Config:
    """Validate the config from its two possible homes; ``.pact/config.toml`` wins.

    ``pyproject.toml`` is parsed only when there is no ``.pact/config.toml``: a broken
    pyproject never breaks a project configured in ``.pact/``.
    """
    if config_text is not None:
        return _validate(parse_toml(config_text, config_where), config_text, config_where)
    if pyproject_text is not None:
        section = gatekeeper_section(pyproject_text, pyproject_where)
        if section is None:
            return Config()
        return _validate(section, pyproject_text, f"{pyproject_where} [tool.gatekeeper]")
    return Config()


def gatekeeper_section(text: str, where: str = "pyproject.toml") -> dict[str, Any] | None:
    """``[tool.gatekeeper]`` of a pyproject.toml, or None when absent; ConfigError (with a
    line) when the file is not TOML or ``tool`` / ``tool.gatekeeper`` is not a table."""
    data = parse_toml(text, where)
    tool = data.get("tool")
    if tool is None:
        return None
    if not isinstance(tool, dict):
        raise ConfigError(f"{where}:{locate_toml(text, ['tool']) or 1}",
                          "'tool' must be a table ([tool.NAME] sections)")
    section = tool.get("gatekeeper")
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ConfigError(f"{where}:{locate_toml(text, ['tool', 'gatekeeper']) or 1}",
                          "tool.gatekeeper must be a table")
    return section


def _validate(data: dict[str, Any], text: str, where: str) -> Config:
    from pydantic import ValidationError

    from gatekeeper.schema import ConfigModel
    from gatekeeper.yamlio import one_line

    prefix = ["tool", "gatekeeper"] if where.endswith("[tool.gatekeeper]") else []
    path = where.split(" ")[0]
    try:
        model = ConfigModel.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"]]
        # pydantic names union members and validators in loc; keep the data keys only.
        keys = _data_path(data, loc)
        line = locate_toml(text, [*prefix, *keys]) or 1
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{path}:{line}",
                          one_line(f"{'.'.join(keys) or 'config'}: {msg}")) from None
    lines: dict[str, int] = {}
    if model.packs is not None:
        base = locate_toml(text, [*prefix, "packs"])
        if base:
            lines["packs"] = base
    for rid, over in model.rules.items():
        got = locate_toml(text, [*prefix, "rules", rid])
        if got:
            lines[f"rules.{rid}"] = got
            for key in over:
                sub = locate_toml(text, [*prefix, "rules", rid, key])
                if sub:
                    lines[f"rules.{rid}.{key}"] = sub
    return model.to_config(where, lines)


def _data_path(data: Any, loc: list[str]) -> list[str]:
    """The items of ``loc`` that are real keys (or list indexes) along the path in ``data``."""
    out: list[str] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            out.append(part)
            node = node[int(part)]
    return out
