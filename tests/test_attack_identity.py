# tests/test_attack_identity.py: identity attacks (issue 9 parts 1-2), agent-identity remedies (issue 10).
"""An agent that wants past domain-boundary hides or blurs who it is: a trailer git reads
but the gatekeeper did not (``#1234`` subjects, cherry-pick lines, git's 25% rule), or no
identity at all, which used to own everything on the client and in CI. Every case is a
real repository judged by the real CLI, a real ``git commit`` through the installed hook,
or a real push to a bare repository; each failed on main (72af353).

The follow-the-fix tests at the end do exactly what each agent-identity cause's remedy
says, then assert the retry passes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import GitRepo, git, pact_repo
from server_helpers import clear_inbox, make_server, push, team_repo

MIGRATION = {"db/migrations/0002_add_email.sql": "ALTER TABLE users ADD email text;\n"}


def _range(repo: GitRepo, base: str = "HEAD~1") -> tuple[int, dict[str, Any]]:
    proc = repo.gk("check", "--range", f"{base}..HEAD", "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def _rules(report: dict[str, Any], action: str = "block") -> set[str]:
    return {f["rule"] for f in report["findings"] if f["action"] == action}


def _commit_msg(repo: GitRepo, message: str, files: dict[str, str]) -> None:
    repo.stage(files)
    (repo.path.parent / "m.txt").write_text(message, encoding="utf-8")
    repo.git("commit", "-q", "--no-verify", "-F", str(repo.path.parent / "m.txt"))


def _finding(report: dict[str, Any], rule: str) -> dict[str, Any]:
    got: list[dict[str, Any]] = [f for f in report["findings"] if f["rule"] == rule]
    assert got, report["findings"]
    return got[0]


# --- identity as git reads it: the trailer is seen, so the boundary holds ------------------

HIDDEN = {
    "hash-subject": "#1234: add a column\n\nPACT-Agent: backend-coder\n",
    "cherry-pick-x": ("add a column\n\nPACT-Agent: backend-coder\n"
                      f"(cherry picked from commit {'a' * 40})\n"),
    "25-percent-rule": ("add a column\n\nSigned-off-by: Bob <bob@example.com>\nsee the design "
                        "notes\nfor the reasons\nand the plan\nPACT-Agent: backend-coder\n"),
    "crlf-hash-subject": "#77: add a column\r\n\r\nPACT-Agent: backend-coder\r\n",
}


@pytest.mark.parametrize("case", sorted(HIDDEN))
def test_range_sees_the_trailer_git_sees(tmp_path: Path, case: str) -> None:
    """backend-coder's migration, with a trailer only git used to see: blocked as the
    backend coder crossing into the database engineer's domain."""
    repo = pact_repo(tmp_path / "r")
    _commit_msg(repo, HIDDEN[case], MIGRATION)
    code, report = _range(repo)
    assert code == 1
    f = _finding(report, "domain-boundary")
    assert f["agent"] == "backend-coder" and "database-engineer" in f["message"]


def test_commit_msg_hook_sees_a_hash_subject_trailer(tmp_path: Path) -> None:
    """A real `git commit -m` through the installed hook (no editor: whitespace cleanup
    keeps the '#1234' subject)."""
    repo = pact_repo(tmp_path / "r")
    assert repo.gk("install").returncode == 0
    repo.stage(MIGRATION)
    proc = repo.git("commit", "-q", "-m", "#1234: add a column\n\nPACT-Agent: backend-coder",
                    check=False)
    assert proc.returncode != 0
    assert "domain-boundary" in proc.stdout + proc.stderr
    assert "backend-coder" in proc.stdout + proc.stderr


def test_commit_check_reads_the_commit_like_git(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    _commit_msg(repo, HIDDEN["hash-subject"], MIGRATION)
    proc = repo.gk("check", "--commit", "HEAD", "--format", "json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert _finding(json.loads(proc.stdout), "domain-boundary")["agent"] == "backend-coder"


# --- unknown identity owns nothing --------------------------------------------------------

OWNED = {
    "migration": MIGRATION,
    "prisma": {"prisma/schema.prisma": "model User { id Int @id }\n"},
    "alembic-ini": {"alembic.ini": "[alembic]\n"},
    "architecture-doc": {"docs/architecture/auth.md": "# auth architecture, rewritten\n"},
    "changelog-xml": {"db/changelog/0002.xml": "<databaseChangeLog/>\n"},
}


@pytest.mark.parametrize("case", sorted(OWNED))
def test_range_unknown_identity_owns_nothing(tmp_path: Path, case: str) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.commit("no trailer", files=OWNED[case])
    code, report = _range(repo)
    assert code == 1 and "domain-boundary" in _rules(report)
    f = _finding(report, "domain-boundary")
    assert "PACT-Agent:" in f["remedy"] and "roster" in f["remedy"]


def test_commit_msg_hook_blocks_an_unidentified_migration_and_its_fix_works(
        tmp_path: Path) -> None:
    """No trailer, no PACT_AGENT, no roster: the hook blocks; the remedy's command passes."""
    repo = pact_repo(tmp_path / "r")
    assert repo.gk("install").returncode == 0
    repo.stage(MIGRATION)
    proc = repo.git("commit", "-q", "-m", "add a column", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "domain-boundary" in out
    cmd = re.search(r"git commit --trailer '(PACT-Agent: [a-z-]+)'", out)
    assert cmd and cmd.group(1) == "PACT-Agent: database-engineer"
    # Do exactly what it says (with the same message).
    proc = repo.git("commit", "-q", "-m", "add a column", "--trailer", cmd.group(1), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_unknown_identity_fix_by_roster_works(tmp_path: Path) -> None:
    """The other way out the remedy names: the orchestrator puts the author's email in the
    roster, commits it; the same staged change then passes."""
    repo = pact_repo(tmp_path / "r")
    repo.stage(MIGRATION)
    code, report = repo.check_staged("add a column")
    assert code == 1
    remedy = _finding(report, "domain-boundary")["remedy"]
    assert 'under "database-engineer" in [roster]' in remedy
    repo.git("reset", "-q")
    cfg = repo.path / ".pact" / "config.toml"
    cfg.write_text(cfg.read_text().replace(
        "[roster]\n", '[roster]\n"database-engineer" = ["test@example.com"]\n', 1))
    repo.git("add", ".pact/config.toml")
    repo.commit("roster", agent="orchestrator")
    repo.stage(MIGRATION)
    code, report = repo.check_staged("add a column")
    assert code == 0, report["findings"]


def test_unknown_identity_in_a_range_fix_by_amend_works(tmp_path: Path) -> None:
    """In CI the commit exists: the remedy amends it, and the range then passes."""
    repo = pact_repo(tmp_path / "r")
    repo.commit("add a column", files=MIGRATION)
    code, report = _range(repo)
    assert code == 1
    fix = _fix_of(_finding(report, "domain-boundary")["remedy"])
    assert fix == ("git -c trailer.ifexists=replace commit --amend --no-edit --trailer "
                   "'PACT-Agent: database-engineer'")
    _run_fix(repo, fix)
    code, report = _range(repo)
    assert code == 0, report["findings"]


def test_author_email_in_the_roster_is_the_identity(tmp_path: Path) -> None:
    """No trailer, but the roster maps the author to backend-coder: judged as backend-coder,
    so the migration is blocked (main judged it as nobody and let it pass)."""
    repo = pact_repo(tmp_path / "r")
    cfg = repo.path / ".pact" / "config.toml"
    cfg.write_text(cfg.read_text().replace(
        "[roster]\n", '[roster]\n"backend-coder" = ["test@example.com"]\n', 1))
    repo.git("add", ".pact/config.toml")
    repo.commit("roster", agent="orchestrator")
    repo.commit("no trailer", files=MIGRATION)
    code, report = _range(repo)
    assert code == 1
    assert _finding(report, "domain-boundary")["agent"] == "backend-coder"


# --- on the server ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lax_server(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The team server with ``require_identity = false``: identity findings only warn, so
    the boundary itself must hold for unidentified commits."""
    root = tmp_path_factory.mktemp("lax")
    repo = team_repo(root / "team")
    cfg = repo.path / ".pact" / "config.toml"
    cfg.write_text(cfg.read_text().replace("require_identity = true", "require_identity = false"))
    repo.git("add", ".pact/config.toml")
    repo.commit("identity warns", agent="orchestrator")
    return make_server(repo, root / "srv.git")


@pytest.fixture
def lax(lax_server: Path, tmp_path: Path) -> GitRepo:
    git(tmp_path, "clone", "-q", str(lax_server), "work")
    clear_inbox(lax_server)
    return GitRepo(tmp_path / "work")


def test_server_rejects_an_unidentified_migration(lax: GitRepo) -> None:
    lax.commit("add a column", files=MIGRATION)
    proc = push(lax, "origin", "HEAD:refs/heads/unknown", user="bob")
    assert proc.returncode != 0
    assert "domain-boundary" in proc.stderr


def test_server_rejects_an_unidentified_architecture_rewrite(lax: GitRepo) -> None:
    lax.commit("rewrite", files={"docs/architecture/auth.md": "# mine now\n"})
    proc = push(lax, "origin", "HEAD:refs/heads/unknown-doc", user="bob")
    assert proc.returncode != 0
    assert "domain-boundary" in proc.stderr


def test_server_reads_a_hash_subject_trailer(lax: GitRepo) -> None:
    """dana's own migration with an issue-number subject is hers: accepted, and her
    identity is seen (main saw no trailer: an agent-identity warning, and the boundary
    was skipped)."""
    _commit_msg(lax, "#1234: add a column\n\nPACT-Agent: database-engineer\n", MIGRATION)
    proc = push(lax, "origin", "HEAD:refs/heads/dana", user="dana")
    assert proc.returncode == 0, proc.stderr
    assert "agent-identity" not in proc.stderr


# --- agent-identity: one cause, one remedy, and the remedy works ---------------------------

@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("strict")
    return make_server(team_repo(root / "team"), root / "srv.git")


@pytest.fixture
def work(strict_server: Path, tmp_path: Path) -> GitRepo:
    git(tmp_path, "clone", "-q", str(strict_server), "work")
    clear_inbox(strict_server)
    return GitRepo(tmp_path / "work")


def _fix_of(stderr: str) -> str:
    lines = [ln.removeprefix("remote:").strip() for ln in stderr.splitlines()]
    text = " ".join(lines)
    m = re.search(r"(git (?:-c \S+ )?commit [^()]*?--trailer 'PACT-Agent: [a-z-]+')", text)
    assert m, text
    return m.group(1)


def _run_fix(repo: GitRepo, command: str) -> None:
    args = re.findall(r"'[^']*'|\S+", command)[1:]
    repo.git(*[a.strip("'") for a in args])


def test_missing_trailer_on_the_server_remedy(work: GitRepo) -> None:
    work.commit("auth tweak", files={"src/auth/tweak.py": "# tweak\nx = 10\n"})
    proc = push(work, "origin", "HEAD:refs/heads/f1", user="bob")
    assert proc.returncode != 0 and "agent-identity" in proc.stderr
    assert "no PACT-Agent trailer" in proc.stderr and "backend-coder" in proc.stderr
    _run_fix(work, _fix_of(proc.stderr))
    proc = push(work, "origin", "HEAD:refs/heads/f1", user="bob")
    assert proc.returncode == 0, proc.stderr


def test_spoofed_role_remedy(work: GitRepo) -> None:
    work.commit("auth tweak", agent="database-engineer",
                files={"src/auth/tweak.py": "# tweak\nx = 11\n"})
    proc = push(work, "origin", "HEAD:refs/heads/f2", user="bob")
    assert proc.returncode != 0 and "claims 'database-engineer'" in proc.stderr
    fix = _fix_of(proc.stderr)
    assert "PACT-Agent: backend-coder" in fix and "ifexists=replace" in fix
    _run_fix(work, fix)
    proc = push(work, "origin", "HEAD:refs/heads/f2", user="bob")
    assert proc.returncode == 0, proc.stderr


def test_pusher_not_in_the_roster_remedy(work: GitRepo) -> None:
    """erin is new: not a spoof (no HALT), and the remedy's steps get her push through."""
    work.commit("auth tweak", agent="backend-coder",
                files={"src/auth/tweak.py": "# tweak\nx = 12\n"})
    proc = push(work, "origin", "HEAD:refs/heads/f3", user="erin")
    assert proc.returncode != 0 and "'erin' is not in the roster" in proc.stderr
    assert "HALT" not in proc.stderr
    assert 'adds "erin" under "backend-coder" in [roster]' in proc.stderr
    # The orchestrator (alice) does it, on the branch's base, and pushes it.
    git(work.path, "checkout", "-q", "-b", "roster", "origin/main")
    cfg = work.path / ".pact" / "config.toml"
    cfg.write_text(cfg.read_text().replace('"backend-coder" = ["bob"]',
                                           '"backend-coder" = ["bob", "erin"]'))
    work.git("add", ".pact/config.toml")
    work.commit("roster: erin", agent="orchestrator")
    assert push(work, "origin", "HEAD:refs/heads/main", user="alice").returncode == 0
    # "then rebase your commits onto it (git pull --rebase) and push again"
    git(work.path, "checkout", "-q", "-")
    work.git("pull", "-q", "--rebase", "origin", "main")
    proc = push(work, "origin", "HEAD:refs/heads/f3", user="erin")
    assert proc.returncode == 0, proc.stderr


def test_no_pusher_variable_remedy(work: GitRepo) -> None:
    # Content of its own: the same commit as an earlier test's, made in the same second, has
    # the same id, is already on the server, and so is (rightly) not judged again.
    work.commit("auth tweak", agent="backend-coder",
                files={"src/auth/tweak.py": "# tweak\nx = 4\n"})
    proc = push(work, "origin", "HEAD:refs/heads/f4", user=None)
    assert proc.returncode != 0 and "could not tell who pushed" in proc.stderr
    assert "REMOTE_USER" in proc.stderr
    proc = push(work, "origin", "HEAD:refs/heads/f4", user="bob")  # the hosting sets it
    assert proc.returncode == 0, proc.stderr


def test_author_email_mismatch_remedy(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    cfg = repo.path / ".pact" / "config.toml"
    cfg.write_text(cfg.read_text().replace(
        "[roster]\n", '[roster]\n"backend-coder" = ["test@example.com"]\n', 1))
    repo.git("add", ".pact/config.toml")
    repo.commit("roster", agent="orchestrator")
    repo.commit("auth tweak", agent="database-engineer",
                files={"src/auth/tweak.py": "# tweak\nx = 13\n"})
    _code, report = _range(repo)
    f = _finding(report, "agent-identity")
    assert "rostered as backend-coder" in f["message"]
    _run_fix(repo, _fix_of(f["remedy"]))
    _code, report = _range(repo)
    assert not [f for f in report["findings"] if f["rule"] == "agent-identity"]


def test_unknown_role_and_disagreement_have_their_own_remedies(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.stage({"src/auth/x.py": "# x\nx = 1\n"})
    _code, report = repo.check_staged("x", "hacker")
    f = _finding(report, "agent-identity")
    assert "unknown role 'hacker'" in f["message"] and "backend-coder" in f["remedy"]
    msg = repo.path.parent / "msg.txt"
    msg.write_text("x\n\nPACT-Agent: backend-coder\n")
    proc = repo.gk("check", "--staged", "--message-file", str(msg), "--format", "json",
                   env={"PACT_AGENT": "architect"})
    f = _finding(json.loads(proc.stdout), "agent-identity")
    assert "PACT_AGENT says 'architect'" in f["message"] and "unset PACT_AGENT" in f["remedy"]


def test_orchestrator_handoff_wording(tmp_path: Path) -> None:
    """'escalate to the orchestrator, who hands it to orchestrator' is gone."""
    repo = pact_repo(tmp_path / "r")
    repo.stage({".pact/notes.md": "mine\n"})
    _code, report = repo.check_staged("x", "backend-coder")
    f = _finding(report, "domain-boundary")
    assert "who hands it to orchestrator" not in f["remedy"]
    assert "ask the orchestrator to make it" in f["remedy"]
