# gatekeeper/init.py: `gatekeeper init`: scaffold .pact/ with a commented config, print hook snippets.
"""Setting a repository up. Off the hot path, so GitPython is fine here."""

from __future__ import annotations

import os

from gatekeeper import __version__, git, orchestrator
from gatekeeper.errors import GatekeeperError

PRE_COMMIT_SNIPPET = """\
# .pre-commit-config.yaml
default_install_hook_types: [pre-commit, commit-msg, pre-push]
repos:
  - repo: https://github.com/your-org/pact-gatekeeper   # or a local clone's path
    rev: v{version}
    hooks:
      - id: pact-gatekeeper            # commit-msg: staged change + PACT-Agent trailer
      - id: pact-gatekeeper-pre-push   # pre-push: every commit the remote lacks
"""

_LANGS = {
    ".py": "Python", ".js": "JavaScript", ".ts": "TypeScript", ".tsx": "TypeScript",
    ".go": "Go", ".java": "Java", ".rb": "Ruby", ".rs": "Rust", ".kt": "Kotlin",
    ".cs": "C#", ".php": "PHP", ".sql": "SQL",
}


def _tracked(repo: git.Repo) -> list[str]:
    import git as gitpython  # GitPython: only here, off the hot path

    assert repo.top is not None
    try:
        files: str = gitpython.Repo(repo.top).git.ls_files()
    except gitpython.GitCommandError:
        return []
    return files.splitlines()


def detect_layout(files: list[str]) -> dict[str, list[str]]:
    """What the repository looks like: migration dirs, docs layout, languages."""
    migrations: set[str] = set()
    for f in files:
        parts = f.split("/")
        for i, p in enumerate(parts[:-1]):
            if p in ("migrations", "migrate", "alembic", "migration", "flyway", "liquibase"):
                migrations.add("/".join(parts[: i + 1]) + "/**")
        if f.endswith(("schema.prisma", "schema.rb", "structure.sql")):
            migrations.add(f)
    langs = sorted({_LANGS[ext] for f in files for ext in [os.path.splitext(f)[1]]
                    if ext in _LANGS})
    docs = sorted({f.split("/")[0] + "/**" for f in files
                   if f.split("/")[0] in ("docs", "doc", "documentation") and "/" in f})
    return {"migrations": sorted(migrations), "languages": langs, "docs": docs}


def render_config(layout: dict[str, list[str]]) -> str:
    """A commented .pact/config.toml that works unedited."""
    mig = layout["migrations"]
    extra_schema = "\n".join(f'#   "{m}",' for m in mig) if mig else "#   (none found)"
    return f"""# .pact/config.toml: pact-gatekeeper configuration (written by `gatekeeper init`).
# Only the orchestrator changes this file (rule ledger-integrity). Everything is optional:
# the defaults below are what the gatekeeper uses when a key is absent.
#
# Detected in this repository:
#   languages:  {', '.join(layout['languages']) or 'none detected'}
#   docs:       {', '.join(layout['docs']) or 'none detected'}
#   migrations / schema (owned by database-engineer by default):
{extra_schema}

# Policy packs bundled with the gatekeeper that are on.
packs = ["pact-core", "pact-signals"]

# Who may act as which role: git author emails and server usernames (the pusher).
# The server-side hook rejects a commit whose PACT-Agent its pusher may not claim.
[roster]
# orchestrator = ["lead@example.com", "alice"]
# backend-coder = ["backend-bot@example.com", "bot-backend"]
# database-engineer = ["db-bot@example.com", "bot-db"]

# Path classes (gitignore-style globs; a path's class is the first that matches, in the
# order pact, ai_config, docs, tests, schema, code). Setting a class replaces its default.
[paths]
# schema = ["**/migrations/**", "db/migrate/**", "*.sql", "prisma/schema.prisma"]
# tests = ["tests/**", "**/*_test.go"]

# The 20% rule: block above estimate * (1 + tolerance); warn above estimate * warn_at.
[scope]
tolerance = 0.2
warn_at = 1.0
undershoot = 0.8

[escalations]
# inbox = "pact/escalations"   # relative to the git common dir
repeat_threshold = 3
halt_freeze = true

# Server-side pre-receive options (an admin can override with `git config gatekeeper.*`).
[server]
deadline = 4.5
fail_open = false
require_identity = true
# [server.protected_refs]
# "refs/heads/main" = ["alice"]

# Per-rule overrides: action = "block" | "warn" | "off", selectors, or check parameters.
# [rules.unplanned-work]
# action = "block"
# [rules.file-size]
# max_lines = 800
"""


def init(repo: git.Repo) -> str:
    """Scaffold ``.pact/`` (idempotent) and return the instructions to print."""
    if repo.top is None:
        raise GatekeeperError("init needs a working tree; for a server use "
                              "'gatekeeper install --server BARE_REPO'")
    created = []
    if orchestrator.ensure_ledger(repo):
        created.append(".pact/ledger.yaml")
    cfg = repo.top / ".pact" / "config.toml"
    if not cfg.exists():
        cfg.write_text(render_config(detect_layout(_tracked(repo))), encoding="utf-8")
        created.append(".pact/config.toml")
    readme = repo.top / ".pact" / "policies" / "README.md"
    if not readme.exists():
        readme.parent.mkdir(parents=True, exist_ok=True)
        readme.write_text(
            "# .pact/policies: this project's own gatekeeper rules\n\n"
            "Each `*.yaml` file here is a policy pack (`rules:` list). A rule with the id of "
            "a bundled rule replaces it. See `gatekeeper policy list` and the README.\n",
            encoding="utf-8")
        created.append(".pact/policies/README.md")
    lines = [f"created {c}" for c in created] or ["nothing to do: .pact/ is already set up"]
    lines += [
        "",
        "Next: commit .pact/ on its own, e.g.",
        "  git add .pact && git commit -m 'Set up pact-gatekeeper' --trailer 'PACT-Agent: orchestrator'",
        "",
        "Client hooks, with the pre-commit framework:",
        *("  " + ln for ln in PRE_COMMIT_SNIPPET.format(version=__version__).splitlines()),
        "  then: pre-commit install",
        "Or without it: gatekeeper install",
        "",
        "Server (the authoritative gate), on the git server:",
        "  gatekeeper install --server /path/to/repo.git",
    ]
    return "\n".join(lines)


