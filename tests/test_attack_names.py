# tests/test_attack_names.py: attacks through another name of a path (issue 9 parts 3 and 7).
"""A path has more names than its spelling in the diff: a rename's old path, a case or
Unicode variant that a macOS or Windows checkout writes to the same file, a symlink's
target. And a glob is a program: a hostile one must not stall the gate. Each case is a
real repository judged by the real CLI, or a real push to a bare repository; each failed
on main (72af353): accepted, or (globs) undecided within the time limit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO_ROOT, GitRepo, git, pact_repo
from server_helpers import clear_inbox, make_server, push, team_repo


def _range(repo: GitRepo, base: str = "HEAD~1") -> tuple[int, dict[str, Any]]:
    proc = repo.gk("check", "--range", f"{base}..HEAD", "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def _blocking(report: dict[str, Any]) -> set[str]:
    return {f["rule"] for f in report["findings"] if f["action"] == "block"}


def _rename(repo: GitRepo, old: str, new: str, agent: str) -> None:
    (repo.path / new).parent.mkdir(parents=True, exist_ok=True)
    repo.git("mv", old, new)
    repo.commit(f"move {old}", agent=agent)


# --- renames: the old path is judged too ---------------------------------------------------

def test_moving_a_migration_into_src_is_a_schema_change(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.commit("migration", agent="database-engineer",
                files={"db/migrations/0001_init.sql": "CREATE TABLE t (id int);\n"})
    _rename(repo, "db/migrations/0001_init.sql", "src/auth/init_sql.py", "backend-coder")
    code, report = _range(repo)
    assert code == 1 and "domain-boundary" in _blocking(report)
    f = next(f for f in report["findings"] if f["rule"] == "domain-boundary")
    assert "db/migrations/0001_init.sql" in f["message"]  # the name that made it schema


def test_moving_the_ledger_out_of_pact_is_a_governed_change(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    _rename(repo, ".pact/ledger.yaml", "docs/old-ledger.yaml", "backend-coder")
    code, report = _range(repo)
    assert code == 1
    assert {"ledger-integrity", "domain-boundary"} <= _blocking(report)


def test_moving_a_policy_out_of_pact_is_a_governed_change(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.commit("policy", agent="orchestrator", files={
        ".pact/policies/local.yaml": "pack: local\nrules: []\n"})
    _rename(repo, ".pact/policies/local.yaml", "notes/local.yaml", "backend-coder")
    code, report = _range(repo)
    assert code == 1 and "ledger-integrity" in _blocking(report)


def test_orchestrator_cannot_write_code_by_moving_it_into_pact(tmp_path: Path) -> None:
    """Confinement judges every name: src/ code moved under .pact/ is still code."""
    repo = pact_repo(tmp_path / "r")
    repo.commit("code", agent="backend-coder", files={"src/auth/login.py": "# login\nx = 1\n"})
    _rename(repo, "src/auth/login.py", ".pact/login.py", "orchestrator")
    code, report = _range(repo)
    assert code == 1 and "domain-boundary" in _blocking(report)


# --- case and Unicode spellings -----------------------------------------------------------

CASE_VARIANTS = {
    "upper-migration": "DB/Migrations/0002_X.SQL",
    "upper-sql-ext": "src/auth/Patch.SQL",
    "mixed-migrations-dir": "app/MIGRATIONS/0003.py",
    "upper-architecture": "DOCS/Architecture/auth.md",
    "upper-pact": ".PACT/config.toml",
    "upper-alembic": "Alembic/versions/0004.py",
    "hfs-ignorable-pact": ".pa\u200cct/config.toml",
}


@pytest.mark.parametrize("case", sorted(CASE_VARIANTS))
def test_case_variants_of_owned_paths_are_owned(tmp_path: Path, case: str) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.commit("variant", agent="backend-coder", files={CASE_VARIANTS[case]: "x\n"})
    code, report = _range(repo)
    assert code == 1 and "domain-boundary" in _blocking(report), report["findings"]


def test_case_variant_of_a_feature_path_is_phase_gated(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r", phase="architect")
    repo.commit("early code", agent="backend-coder", files={"SRC/Auth/login.py": "# x\nx = 1\n"})
    code, report = _range(repo)
    assert code == 1 and "phase-gate" in _blocking(report)


def test_nfd_spelling_of_a_feature_path_is_phase_gated(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r", feature="cafe", paths="src/café/**", phase="architect")
    nfd = unicodedata.normalize("NFD", "src/café/menu.py")
    assert nfd != "src/café/menu.py"
    repo.commit("early code", agent="backend-coder", files={nfd: "# x\nx = 1\n"})
    code, report = _range(repo)
    assert code == 1 and "phase-gate" in _blocking(report)


def test_scope_budget_counts_case_variants(tmp_path: Path) -> None:
    """60 lines against an estimate of 40 (+20%), half of them spelt src/Auth/."""
    repo = pact_repo(tmp_path / "r", estimate=40)
    body = "# module\n" + "".join(f"v{i} = {i}\n" for i in range(29))
    repo.commit("auth", agent="backend-coder",
                files={"src/auth/a.py": body, "src/Auth/b.py": body})
    code, report = _range(repo)
    assert code == 1 and "scope-budget" in _blocking(report)


# --- symlinks: judged as the domain of their target --------------------------------------

SYMLINKS = {
    "into-migrations": ("src/auth/schema.sql.lnk", "../../db/migrations/0001_init.sql"),
    "into-migrations-dir": ("src/auth/migrations", "../../db/migrations"),
    "into-pact": ("docs/ledger-link", "../.pact/ledger.yaml"),
    "into-architecture": ("src/auth/design", "../../docs/architecture/auth.md"),
}


@pytest.mark.parametrize("case", sorted(SYMLINKS))
def test_symlink_into_an_owned_domain(tmp_path: Path, case: str) -> None:
    repo = pact_repo(tmp_path / "r")
    link, target = SYMLINKS[case]
    (repo.path / link).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, repo.path / link)
    repo.git("add", link)
    repo.commit("link", agent="backend-coder")
    code, report = _range(repo)
    assert code == 1 and "domain-boundary" in _blocking(report), report["findings"]


# --- the same through the server ---------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("names")
    repo = team_repo(root / "team")
    repo.commit("migration", agent="database-engineer",
                files={"db/migrations/0001_init.sql": "CREATE TABLE t (id int);\n"})
    return make_server(repo, root / "srv.git")


@pytest.fixture
def work(server: Path, tmp_path: Path) -> GitRepo:
    git(tmp_path, "clone", "-q", str(server), "work")
    clear_inbox(server)
    return GitRepo(tmp_path / "work")


def test_push_moving_a_migration_into_src_is_rejected(work: GitRepo) -> None:
    _rename(work, "db/migrations/0001_init.sql", "src/auth/init_sql.py", "backend-coder")
    proc = push(work, "origin", "HEAD:refs/heads/move", user="bob")
    assert proc.returncode != 0 and "domain-boundary" in proc.stderr


def test_push_moving_the_config_away_is_rejected(work: GitRepo) -> None:
    _rename(work, ".pact/config.toml", "config.toml.bak", "backend-coder")
    proc = push(work, "origin", "HEAD:refs/heads/noconfig", user="bob")
    assert proc.returncode != 0 and "ledger-integrity" in proc.stderr


def test_push_case_variant_migration_is_rejected(work: GitRepo) -> None:
    work.commit("variant", agent="backend-coder", files={"DB/Migrations/0002_X.SQL": "x\n"})
    proc = push(work, "origin", "HEAD:refs/heads/case", user="bob")
    assert proc.returncode != 0 and "domain-boundary" in proc.stderr


def test_push_case_variant_of_a_feature_in_architect_is_rejected(work: GitRepo) -> None:
    work.commit("billing early", agent="backend-coder",
                files={"SRC/Billing/invoice.py": "# invoice\nx = 1\n"})
    proc = push(work, "origin", "HEAD:refs/heads/billing", user="bob")
    assert proc.returncode != 0 and "phase-gate" in proc.stderr


def test_push_symlink_into_migrations_is_rejected(work: GitRepo) -> None:
    (work.path / "src" / "auth").mkdir(parents=True, exist_ok=True)
    os.symlink("../../db/migrations", work.path / "src" / "auth" / "m")
    work.git("add", "src/auth/m")
    work.commit("link", agent="backend-coder")
    proc = push(work, "origin", "HEAD:refs/heads/link", user="bob")
    assert proc.returncode != 0 and "domain-boundary" in proc.stderr


# --- hostile globs cost linear time ------------------------------------------------------

HOSTILE = "src/*a*a*a*a*a*a*a*a*a*a*a*a*b/**"


def _gk(cwd: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, "-m", "gatekeeper", *args], cwd=cwd, text=True,
                          capture_output=True, env=env, timeout=timeout)


def test_hostile_feature_glob_cannot_stall_a_check(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.orchestrate("feature", "add", "evil", "--paths", HOSTILE, "--estimate", "10")
    repo.commit_ledger("evil feature")
    repo.commit("long name", agent="backend-coder", files={"src/" + "a" * 60 + "/x.py": "x\n"})
    try:
        proc = _gk(repo.path, "check", "--range", "HEAD~1..HEAD", timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("a hostile glob stalled the check for over 60 s")
    assert proc.returncode in (0, 1), proc.stderr


def test_hostile_owner_pattern_cannot_stall_a_check(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.commit("policy", agent="orchestrator", files={".pact/policies/owners.yaml": (
        "pack: local\nrules:\n  - id: domain-boundary\n    title: owners\n"
        "    check: domain_boundary\n    level: ALERT\n    category: SCOPE\n    action: block\n"
        "    params:\n      owners:\n        - \"**/*a*a*a*a*a*a*a*a*a*a*a*a*b\": database-engineer\n"
        "    message: \"{paths}\"\n    remedy: \"ask\"\n    impact: \"x\"\n")})
    repo.commit("long name", agent="backend-coder", files={"src/" + "a" * 60 + ".py": "x\n"})
    try:
        proc = _gk(repo.path, "check", "--range", "HEAD~1..HEAD", timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("a hostile owner pattern stalled the check for over 60 s")
    assert proc.returncode in (0, 1), proc.stderr


def test_hostile_glob_push_is_decided_within_the_deadline(tmp_path: Path) -> None:
    """The server's deadline is 4.5 s; a hostile glob used to exhaust it (fail closed on a
    legitimate push). Now the push is judged, and accepted."""
    root = tmp_path
    repo = team_repo(root / "team")
    repo.orchestrate("feature", "add", "evil", "--paths", HOSTILE, "--estimate", "10")
    repo.commit_ledger("evil feature")
    bare = make_server(repo, root / "srv.git")
    git(root, "clone", "-q", str(bare), "work")
    work = GitRepo(root / "work")
    work.commit("auth", agent="backend-coder",
                files={"src/" + "a" * 60 + "/x.py": "# x\nx = 1\n"})
    proc = push(work, "origin", "HEAD:refs/heads/long", user="bob")
    assert proc.returncode == 0, proc.stderr
