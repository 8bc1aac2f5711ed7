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
from typing import Any

from gatekeeper.errors import ConfigError
from gatekeeper.record import dataclass, field

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

    def roles_of(self, identity: str) -> list[str]:
        """Roles the roster lets ``identity`` (an email or a server username) act as."""
        ident = identity.strip().lower()
        return [role for role, ids in self.roster.items() if ident in (i.lower() for i in ids)]

    def path_class(self, path: str) -> str:
        """The class of a path: pact, ai_config, docs, tests, schema or code."""
        from gatekeeper.globs import match_any

        for name in PATH_CLASS_ORDER:
            if match_any(self.paths.get(name, ()), path):
                return name
        return "other"


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


def parse_toml(text: str, where: str) -> dict[str, Any]:
    """Parse TOML; a syntax error becomes ConfigError with the line."""
    tomllib = _tomllib()
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ConfigError(f"{where}:{m.group(1)}" if m else where, f"invalid TOML: {exc}") from None
    return data


def _line_of(text: str, key: str) -> int | None:
    pat = re.compile(rf"^\s*(\[.*\b{re.escape(key)}\b.*\]|\"?{re.escape(key)}\"?\s*=)", re.M)
    m = pat.search(text)
    return None if m is None else text.count("\n", 0, m.start()) + 1


def load_config(config_text: str | None, pyproject_text: str | None, *,
                config_where: str = ".pact/config.toml",
                pyproject_where: str = "pyproject.toml") -> Config:
    """Validate the config from its two possible homes; ``.pact/config.toml`` wins."""
    if config_text is not None:
        return _validate(parse_toml(config_text, config_where), config_text, config_where)
    if pyproject_text is not None:
        data = parse_toml(pyproject_text, pyproject_where)
        section = data.get("tool", {}).get("gatekeeper")
        if isinstance(section, dict):
            return _validate(section, pyproject_text, f"{pyproject_where} [tool.gatekeeper]")
    return Config()


def _validate(data: dict[str, Any], text: str, where: str) -> Config:
    from pydantic import ValidationError

    from gatekeeper.schema import ConfigModel

    try:
        model = ConfigModel.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"]]
        line = None
        for key in reversed(loc):
            line = _line_of(text, key)
            if line:
                break
        path = where.split(" ")[0]
        raise ConfigError(f"{path}:{line}" if line else path,
                          f"{'.'.join(loc) or 'config'}: {err['msg']}") from None
    return model.to_config(where)
