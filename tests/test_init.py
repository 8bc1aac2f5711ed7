# tests/test_init.py: `gatekeeper init`: layout detection, a config that works unedited, idempotence.
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import yaml
from helpers import git, make_repo
from orchestrator_kit import check, cli, ledger_commit, ok

from gatekeeper.config import load_config


def _tree(root: Path) -> dict[str, str]:
    """Every file outside .git with its content hash."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}


def test_init_detects_layout_writes_a_working_config_and_prints_setup(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    repo.commit("app", files={
        "backend/alembic/versions/0001_users.py": "# migration\n",
        "db/migrations/0002.sql": "-- add\n",
        "docs/architecture/auth.md": "# auth\n",
        "cmd/main.go": "// main\npackage main\n",
        "web/app.tsx": "// app\n",
    })
    res = ok(repo.path, "init")
    out = res.out
    for created in (".pact/ledger.yaml", ".pact/config.toml", ".pact/policies/README.md"):
        assert f"created {created}" in out
    config_text = (repo.path / ".pact/config.toml").read_text(encoding="utf-8")
    assert "#   languages:   Go, Python, SQL, TypeScript" in config_text
    assert "#   PACT docs:   docs/<phase>/<feature>.md" in config_text
    assert '"backend/alembic/**",' in config_text  # the defaults would miss it
    assert '"db/migrations/**"' not in config_text  # already **/migrations/**
    config = load_config(config_text, None)  # valid, and the defaults where unset
    assert config.path_class("backend/alembic/versions/0001_users.py") == "schema"
    assert config.path_class("src/app.py") == "code"
    assert (config.tolerance, config.repeat_threshold, config.halt_freeze) == (0.2, 3, True)

    py = sys.executable
    assert "repo: local" in out and f"entry: {py} -m gatekeeper hook commit-msg" in out
    assert "stages: [commit-msg]" in out and "pre-commit install" in out
    assert f"{py} -m gatekeeper install --server" in out
    assert "inside git: never committed" in out
    # The inbox and cache stay inside .git: init adds nothing else to the tree.
    assert git(repo.path, "status", "--porcelain").stdout.splitlines() == ["?? .pact/"]
    assert not (repo.path / ".gitignore").exists()

    # The unedited config works: commit it, declare a feature, judge a change.
    ledger_commit(repo, "set up pact")
    ok(repo.path, "feature", "add", "auth", "--paths", "src/auth/**", "--estimate", "50")
    ledger_commit(repo, "declare auth")
    repo.stage({"src/auth/a.py": "# a\nx = 1\n"})
    code, report = check(repo)
    assert code == 1 and report["findings"][0]["rule"] == "phase-gate"


def test_init_twice_changes_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    ok(repo.path, "init")
    before = _tree(repo.path)
    res = cli(repo.path, "init")
    assert res.code == 0
    assert "nothing to do: .pact/ is already set up" in res.out
    assert "kept    .pact/config.toml (already there)" in res.out
    assert _tree(repo.path) == before
    # An edited config is the orchestrator's: a re-run keeps it.
    cfg = repo.path / ".pact/config.toml"
    cfg.write_text(cfg.read_text() + "\n# tuned by hand\n")
    edited = _tree(repo.path)
    assert ok(repo.path, "init").code == 0
    assert _tree(repo.path) == edited


def test_init_respects_pyproject_config_and_names_a_local_bare_remote(tmp_path: Path) -> None:
    bare = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    repo = make_repo(tmp_path / "r")
    repo.commit("py", files={"pyproject.toml": "[tool.gatekeeper]\npacks = [\"pact-core\"]\n"})
    repo.git("remote", "add", "origin", str(bare))
    out = ok(repo.path, "init").out
    assert not (repo.path / ".pact/config.toml").exists()
    assert "[tool.gatekeeper] in pyproject.toml" in out
    assert f"  {sys.executable} -m gatekeeper install --server {bare}" in out


def test_init_refuses_outside_a_working_tree(tmp_path: Path) -> None:
    bare = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    res = cli(bare, "init")
    assert res.code == 2 and "gatekeeper install --server" in res.err


def test_init_writes_editor_schema_hints(tmp_path: Path) -> None:
    from gatekeeper import jsonschemas

    repo = make_repo(tmp_path / "r")
    ok(repo.path, "init")
    config = (repo.path / ".pact/config.toml").read_text(encoding="utf-8")
    assert config.splitlines()[0] == "#:schema ./schemas/config.schema.json"
    for name in ("config", "policy", "ledger"):
        copy = repo.path / ".pact/schemas" / f"{name}.schema.json"
        assert copy.read_text(encoding="utf-8") == jsonschemas.render(name)
    readme = (repo.path / ".pact/policies/README.md").read_text(encoding="utf-8")
    assert "# yaml-language-server: $schema=../schemas/policy.schema.json" in readme


def test_init_in_a_repository_without_commits(tmp_path: Path) -> None:
    path = tmp_path / "r"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    res = ok(path, "init")
    assert "created .pact/config.toml" in res.out
    assert "languages:   none detected" in (path / ".pact/config.toml").read_text()
    # Staged before the first commit: the layout is still detected.
    other = tmp_path / "r2"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    (other / "backend/alembic/versions").mkdir(parents=True)
    (other / "backend/alembic/versions/0001.py").write_text("# m\n")
    git(other, "add", "-A")
    ok(other, "init")
    assert '"backend/alembic/**",' in (other / ".pact/config.toml").read_text()


def _snippet(out: str) -> str:
    lines = out.splitlines()
    start = lines.index("# .pre-commit-config.yaml: pact-gatekeeper through the pre-commit framework.")
    end = next(i for i in range(start, len(lines)) if not lines[i].strip())
    return "\n".join(lines[start:end]) + "\n"


def test_printed_pre_commit_snippet_works_as_printed(tmp_path: Path) -> None:
    """Save init's snippet, `pre-commit install`, and commit: the hook runs the Python that
    ran init, with PATH lacking the virtual environment's bin."""
    repo = make_repo(tmp_path / "r")
    out = ok(repo.path, "init").out
    snippet = _snippet(out)
    config = yaml.safe_load(snippet)
    hooks = {h["id"]: h for h in config["repos"][0]["hooks"]}
    assert config["repos"][0]["repo"] == "local"
    assert hooks["pact-gatekeeper"]["entry"] == f"{sys.executable} -m gatekeeper hook commit-msg"
    assert hooks["pact-gatekeeper-pre-push"]["pass_filenames"] is False
    (repo.path / ".pre-commit-config.yaml").write_text(snippet, encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "PRE_COMMIT_HOME": str(tmp_path / "pc-home")}
    inst = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo.path,
                          capture_output=True, text=True, env=env)
    assert inst.returncode == 0, inst.stderr
    # Left untracked here: whether the orchestrator may commit it is a domain rule's business.
    git(repo.path, "add", ".pact")
    done = git(repo.path, "commit", "-q", "-m", "Set up pact-gatekeeper", "--trailer",
               "PACT-Agent: orchestrator", env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    ok(repo.path, "feature", "add", "auth", "--paths", "src/auth/**", "--estimate", "50")
    git(repo.path, "add", ".pact")
    git(repo.path, "commit", "-q", "-m", "declare auth", "--trailer", "PACT-Agent: orchestrator",
        env=env)
    repo.stage({"src/auth/a.py": "# a\nx = 1\n"})
    blocked = git(repo.path, "commit", "-q", "-m", "early code", "--trailer",
                  "PACT-Agent: backend-coder", env=env, check=False)
    assert blocked.returncode != 0
    assert "phase-gate" in blocked.stdout + blocked.stderr
