# tests/test_config_errors.py: malformed ledger, policy and config: exit 2, file and line, never a traceback.
from __future__ import annotations

from pathlib import Path

import pytest
from helpers import GitRepo, pact_repo


def _check(repo: GitRepo) -> tuple[int, str]:
    repo.stage({"src/auth/a.py": "x = 1\n"})
    msg = repo.path.parent / "m.txt"
    msg.write_text("x\n\nPACT-Agent: backend-coder\n")
    proc = repo.gk("check", "--staged", "--message-file", str(msg))
    assert "Traceback" not in proc.stderr
    return proc.returncode, proc.stderr


def _commit_raw(repo: GitRepo, files: dict[str, str]) -> None:
    repo.commit("break it", agent="orchestrator", files=files)


@pytest.mark.parametrize("text, where, what", [
    ("---\nevent: init\n---\nevent: feature\nid: x\npaths: [a/**]\nestimate: many\n",
     ".pact/ledger.yaml:7", "estimate"),
    ("---\nevent: init\n---\nevent: launch\n", ".pact/ledger.yaml:4", "event"),
    ("---\nevent: init\n---\n  bad: [unclosed\n", ".pact/ledger.yaml:", "invalid YAML"),
    ("---\nevent: init\n---\nevent: phase\nfeature: ghost\nphase: code\n",
     ".pact/ledger.yaml:4", "unknown feature 'ghost'"),
])
def test_malformed_ledger(tmp_path: Path, text: str, where: str, what: str) -> None:
    repo = pact_repo(tmp_path / "r")
    _commit_raw(repo, {".pact/ledger.yaml": text})
    rc, err = _check(repo)
    assert rc == 2
    assert where in err and what in err
    assert err.count("\n") == 1  # one message


def test_malformed_policy_names_file_line_and_rule(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    _commit_raw(repo, {".pact/policies/team.yaml": (
        "rules:\n"
        "  - id: no-todo\n"
        "    title: No TODO\n"
        "    check: hardcoded_secret\n"
        "    level: HALT\n"
        "    category: QUALITY\n"
        "    message: x\n")})
    rc, err = _check(repo)
    assert rc == 2
    assert ".pact/policies/team.yaml:2" in err and "no-todo" in err
    assert "does not go with level HALT" in err


def test_unknown_check_kind(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    _commit_raw(repo, {".pact/policies/team.yaml": (
        "rules:\n  - id: x-rule\n    title: X\n    check: telepathy\n    level: ALERT\n"
        "    category: QUALITY\n    message: x\n")})
    rc, err = _check(repo)
    assert rc == 2 and "unknown check kind 'telepathy'" in err and "team.yaml:2" in err


@pytest.mark.parametrize("text, line, what", [
    ("[scope]\ntolerance = \"lots\"\n", 2, "tolerance"),
    ("[roster]\nwizard = [\"merlin@example.com\"]\n", 1, "unknown role 'wizard'"),
    ("packs = [\"pact-core\"\n", None, "invalid TOML"),
    ("[rules.scope-budget]\naction = \"maybe\"\n", 1, "block, warn or off"),
])
def test_malformed_config(tmp_path: Path, text: str, line: int | None, what: str) -> None:
    repo = pact_repo(tmp_path / "r")
    _commit_raw(repo, {".pact/config.toml": text})
    rc, err = _check(repo)
    assert rc == 2 and what in err and ".pact/config.toml" in err
    if line:
        assert f".pact/config.toml:{line}" in err


def test_config_in_pyproject(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.git("rm", "-q", ".pact/config.toml")
    _commit_raw(repo, {"pyproject.toml": "[project]\nname = 'x'\n\n[tool.gatekeeper.rules."
                                          "agent-identity]\naction = \"block\"\n"})
    repo.stage({"src/auth/a.py": "x = 1\n"})
    msg = repo.path.parent / "m.txt"
    msg.write_text("no trailer\n")
    proc = repo.gk("check", "--staged", "--message-file", str(msg))
    assert proc.returncode == 1 and "agent-identity" in proc.stdout


def test_unknown_rule_override_is_an_error(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    _commit_raw(repo, {".pact/config.toml": "[rules.no-such-rule]\naction = \"off\"\n"})
    rc, err = _check(repo)
    assert rc == 2 and "no-such-rule" in err
