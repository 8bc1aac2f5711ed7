# tests/test_attack_server.py: attacks on the server gate: undecided, refs, rosters, freezes, inbox.
"""Each case is an attacker's move with a real push (or the real CLI), and each got
through, crashed or left the server undecided on main 72af353. Classes (issue 9 parts 4,
6 and 8, issue 10 parts 2 and 3):

- undecided: a push that makes the server fail open or "could not decide";
- refs: protected refs switched off by a dangling HEAD or read from the wrong branch, and
  ``refs/replace/*``;
- roster: the admin's pinned roster;
- freeze: a rejected push used to freeze a feature for everyone (denial of service);
- inbox: notes written outside the git directory, secrets typed into the tracked ledger.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import REPO_ROOT, GitRepo, git, gk
from orchestrator_kit import AWS_EXAMPLE_KEY
from server_helpers import code, inbox, make_server, push, ref_of, team_repo
from support.http_git_server import HttpGitServer, available, http_git_server

SECRET = f'# keys\nAWS_ACCESS_KEY_ID = "{AWS_EXAMPLE_KEY}"\n'


@pytest.fixture
def team(tmp_path: Path) -> tuple[GitRepo, Path]:
    repo = team_repo(tmp_path / "team")
    return repo, make_server(repo, tmp_path / "srv.git")


def _config(repo: GitRepo, extra: str = "", old: str = "", new: str = "") -> None:
    cfg = repo.path / ".pact/config.toml"
    text = cfg.read_text(encoding="utf-8")
    if old:
        assert old in text
        text = text.replace(old, new, 1)
    cfg.write_text(text + extra, encoding="utf-8")
    repo.commit_ledger("server config")


def _land(repo: GitRepo, bare: Path) -> None:
    """The admin updates the server directly (the pushed history is trusted)."""
    git(bare, "fetch", "-q", str(repo.path), "+main:main")


def _integrity_block(proc_stderr: str, bare: Path) -> None:
    assert "could not decide" not in proc_stderr
    assert "BLOCK ledger-integrity" in proc_stderr
    assert "ledger-integrity" in {n["rule"] for n in inbox(bare)}


# ---------------------------------------------------------------- undecided (issue 9.6)


def test_committed_fail_open_does_not_open_the_server(team: tuple[GitRepo, Path]) -> None:
    repo, bare = team
    _config(repo, old="fail_open = false", new="fail_open = true")
    _land(repo, bare)
    git(bare, "config", "gatekeeper.deadline", "0.001")
    repo.commit("bad", agent="backend-coder", files={"src/billing/x.py": code(4)})
    proc = push(repo, "origin", "HEAD:main")
    assert proc.returncode == 1, proc.stderr
    assert ref_of(bare, "refs/heads/main") != repo.head()


@pytest.mark.parametrize(("path", "text"), [
    (".pact/ledger.yaml", "events: [unclosed\n"),
    (".pact/config.toml", "[server]\ndeadline = 1\ndeadline = 2\n"),
    (".pact/policies/evil.yaml", "rules: {{{\n"),
])
def test_pushed_broken_setup_is_a_ledger_integrity_block(
        team: tuple[GitRepo, Path], path: str, text: str) -> None:
    repo, bare = team
    repo.commit("break it", agent="backend-coder", files={path: text})
    proc = push(repo, "origin", "HEAD:main")
    assert proc.returncode == 1
    _integrity_block(proc.stderr, bare)


def test_broken_setup_cannot_ride_an_admins_fail_open(team: tuple[GitRepo, Path]) -> None:
    """The admin chose to fail open on timeouts; a broken ledger still does not pass."""
    repo, bare = team
    git(bare, "config", "gatekeeper.failOpen", "true")
    repo.commit("break it", agent="backend-coder",
                files={".pact/ledger.yaml": "events: [unclosed\n"})
    proc = push(repo, "origin", "HEAD:main")
    assert proc.returncode == 1, proc.stderr
    assert ref_of(bare, "refs/heads/main") != repo.head()
    _integrity_block(proc.stderr, bare)


@pytest.mark.parametrize("how", ["git-config", "env"])
def test_zero_or_negative_deadline_is_a_configuration_error(
        team: tuple[GitRepo, Path], how: str) -> None:
    repo, bare = team
    env = {}
    if how == "git-config":
        git(bare, "config", "gatekeeper.deadline", "0")
    else:
        env = {"GATEKEEPER_DEADLINE": "-1"}
    repo.commit("fine", agent="backend-coder", files={"src/auth/x.py": code(4)})
    proc = push(repo, "origin", "HEAD:main", env=env)
    assert proc.returncode == 1
    assert "above 0" in proc.stderr
    assert ref_of(bare, "refs/heads/main") != repo.head()


@pytest.mark.parametrize(("name", "content", "rule"), [
    (b"src/auth/k\xff\xfe.py", SECRET.encode(), "hardcoded-secret"),
    (b"migrations/0002_\xe9t\xe9.sql", b"ALTER TABLE u ADD x int;\n", "domain-boundary"),
])
def test_non_utf8_path_is_judged_and_noted(team: tuple[GitRepo, Path], name: bytes,
                                           content: bytes, rule: str) -> None:
    repo, bare = team
    target = os.path.join(os.fsencode(repo.path), name)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as fh:
        fh.write(content)
    git(repo.path, "add", "-A")
    repo.commit("odd name", agent="backend-coder")
    proc = push(repo, "origin", "HEAD:main")
    assert proc.returncode == 1
    assert f"BLOCK {rule}" in proc.stderr and "could not decide" not in proc.stderr
    [note] = [n for n in inbox(bare) if n["rule"] == rule]
    assert "\\x" in " ".join(note["paths"])


# ---------------------------------------------------------------- refs (issue 9.4, 10.2)


@pytest.mark.parametrize("user", ["bob", "alice"])
def test_replace_refs_are_refused_by_default(team: tuple[GitRepo, Path], user: str) -> None:
    repo, bare = team
    head = repo.head()
    role, path = {"bob": ("backend-coder", "src/auth/ok.py"),
                  "alice": ("orchestrator", "docs/ok.md")}[user]
    repo.commit("innocent", agent=role, files={path: code(3)})
    fake = repo.head()
    proc = push(repo, "origin", f"{fake}:refs/replace/{head}", user=user)
    assert proc.returncode == 1 and "protected-ref" in proc.stderr
    assert ref_of(bare, f"refs/replace/{head}") is None
    git(bare, "config", "gatekeeper.allowReplaceRefs", "true")
    assert push(repo, "origin", f"{fake}:refs/replace/{head}", user=user).returncode == 0


@pytest.mark.parametrize("kind", ["update", "create", "delete", "head-without-pact"])
def test_protected_refs_hold_when_bare_head_dangles(team: tuple[GitRepo, Path],
                                                    kind: str) -> None:
    repo, bare = team
    git(bare, "branch", "release", "main")
    git(bare, "symbolic-ref", "HEAD", "refs/heads/master")  # git init --bare's default
    if kind == "head-without-pact":  # HEAD names a branch from before adoption
        root = git(bare, "rev-list", "--max-parents=0", "main").stdout.split()[0]
        git(bare, "branch", "master", root)
        assert git(bare, "ls-tree", "master", ".pact").stdout == ""
    if kind == "create":
        git(bare, "branch", "-D", "release")
    repo.commit("work", agent="backend-coder", files={"src/auth/a.py": code(4)})
    refspec = ":refs/heads/release" if kind == "delete" else "HEAD:refs/heads/release"
    proc = push(repo, "origin", refspec, user="bob")
    assert proc.returncode == 1 and "protected-ref" in proc.stderr
    assert (ref_of(bare, "refs/heads/release") is None) == (kind == "create")


def test_protected_refs_come_from_the_refs_own_tip(team: tuple[GitRepo, Path]) -> None:
    """stable's own config protects it; main's (the HEAD) says nothing about stable."""
    repo, bare = team
    repo.git("checkout", "-q", "-b", "stable")
    _config(repo, extra='"refs/heads/stable" = ["alice"]\n')
    assert push(repo, "origin", "stable", user="alice").returncode == 0
    repo.commit("work", agent="backend-coder", files={"src/auth/a.py": code(4)})
    proc = push(repo, "origin", "stable", user="bob")
    assert proc.returncode == 1 and "protected-ref" in proc.stderr
    assert ref_of(bare, "refs/heads/stable") != repo.head()


@pytest.fixture
def forge(tmp_path: Path) -> Iterator[tuple[HttpGitServer, Path, GitRepo]]:
    reason = available()
    if reason is not None:
        pytest.skip(reason)
    repo = team_repo(tmp_path / "seed")
    bare = tmp_path / "projects" / "team.git"
    bare.parent.mkdir()
    git(tmp_path, "clone", "-q", "--bare", str(repo.path), str(bare))
    git(bare, "config", "http.receivepack", "true")
    git(bare, "symbolic-ref", "HEAD", "refs/heads/master")
    assert gk(bare, "install", "--server", str(bare)).returncode == 0
    env = {"PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with http_git_server(bare.parent, {"alice": "a", "bob": "b"}, extra_env=env) as server:
        yield server, bare, repo


def test_http_protected_ref_with_dangling_head(
        forge: tuple[HttpGitServer, Path, GitRepo]) -> None:
    server, bare, repo = forge
    repo.commit("work", agent="backend-coder", files={"src/auth/a.py": code(4)})
    proc = git(repo.path, "push", server.url_for("team", "bob"), "HEAD:refs/heads/release",
               check=False)
    assert proc.returncode == 1 and "protected-ref" in proc.stderr
    assert ref_of(bare, "refs/heads/release") is None


# ---------------------------------------------------------------- roster (issue 10.1)


def test_pinned_roster_beats_a_committed_roster(team: tuple[GitRepo, Path]) -> None:
    """The committed roster was widened to make bob an orchestrator; the admin's pin says
    otherwise, and wins."""
    repo, bare = team
    _config(repo, old='"orchestrator" = ["alice"]', new='"orchestrator" = ["alice", "bob"]')
    _land(repo, bare)
    (bare / "roster.toml").write_text(
        '[roster]\norchestrator = ["alice"]\nbackend-coder = ["bob"]\narchitect = ["carol"]\n',
        encoding="utf-8")
    git(bare, "config", "gatekeeper.roster", "roster.toml")
    repo.orchestrate("estimate", "auth", "400", "--reason", "bob widens his own budget")
    repo.commit_ledger("auth estimate")
    proc = push(repo, "origin", "HEAD:main", user="bob")
    assert proc.returncode == 1 and "agent-identity" in proc.stderr


# ---------------------------------------------------------------- freeze (issue 10.3)


def test_rejected_push_cannot_freeze_a_feature_for_others(team: tuple[GitRepo, Path]) -> None:
    """Denial of service: bob pushes a secret on purpose; the rejection must not stop dana."""
    repo, bare = team
    base = repo.head()
    repo.commit("keys", agent="backend-coder", files={"src/auth/keys.py": SECRET})
    assert push(repo, "origin", "HEAD:refs/heads/x", user="bob").returncode == 1
    repo.git("reset", "-q", "--hard", base)
    repo.commit("honest", agent="backend-coder", files={"src/auth/h.py": code(4)})
    proc = push(repo, "origin", "HEAD:refs/heads/y", user="bob")
    assert proc.returncode == 0, proc.stderr
    assert ref_of(bare, "refs/heads/y") == repo.head()


def test_rejected_push_cannot_freeze_the_orchestrators_ledger(tmp_path: Path) -> None:
    """A feature covering .pact/ (paths '**'): the orchestrator still commits the ledger."""
    repo = team_repo(tmp_path / "team")
    repo.orchestrate("feature", "add", "everything", "--paths", "**", "--estimate", "900")
    repo.commit_ledger("declare everything")
    bare = make_server(repo, tmp_path / "srv.git")
    base = repo.head()
    repo.commit("keys", agent="backend-coder", files={"lib/keys.py": SECRET})
    assert push(repo, "origin", "HEAD:main", user="bob").returncode == 1
    assert [n["feature"] for n in inbox(bare) if n["level"] == "HALT"] == ["everything"]
    repo.git("reset", "-q", "--hard", base)
    repo.orchestrate("estimate", "auth", "60", "--reason", "the token refresh needs more")
    repo.commit_ledger("auth estimate")
    proc = push(repo, "origin", "HEAD:main", user="alice")
    assert proc.returncode == 0, proc.stderr
    assert ref_of(bare, "refs/heads/main") == repo.head()


# ---------------------------------------------------------------- inbox (issue 9.8)


def test_committed_inbox_cannot_leave_the_server_git_dir(team: tuple[GitRepo, Path],
                                                         tmp_path: Path) -> None:
    repo, bare = team
    _config(repo, extra="", old="repeat_threshold = 3",
            new='inbox = "../outside"\nrepeat_threshold = 3')
    _land(repo, bare)
    repo.commit("bad", agent="backend-coder", files={"src/billing/x.py": code(4)})
    proc = push(repo, "origin", "HEAD:main")
    assert proc.returncode == 1 and "phase-gate" in proc.stderr
    assert not (tmp_path / "outside").exists()
    assert "leaves the git directory" in proc.stderr
    assert "phase-gate" in {n["rule"] for n in inbox(bare)}


def test_committed_inbox_cannot_leave_a_clones_git_dir(tmp_path: Path) -> None:
    repo = team_repo(tmp_path / "team")
    outside = tmp_path / "elsewhere"
    _config(repo, old="repeat_threshold = 3",
            new=f'inbox = "{outside}"\nrepeat_threshold = 3')
    repo.stage({"src/billing/x.py": code(4)})
    proc = repo.gk("check", "--staged", "--agent", "backend-coder")
    assert proc.returncode == 1 and "leaves the git directory" in proc.stderr
    assert not outside.exists()


@pytest.mark.parametrize("note", [
    f"rotated {AWS_EXAMPLE_KEY} and purged it from history",
    "db creds postgres://app:Sup3rSecretPw@db.internal/app were rotated",
])
def test_secret_in_a_resolution_note_never_reaches_the_ledger(tmp_path: Path,
                                                              note: str) -> None:
    repo = team_repo(tmp_path / "team")
    repo.stage({"src/auth/keys.py": SECRET})
    proc = repo.gk("check", "--staged", "--agent", "backend-coder", "--format", "json")
    assert proc.returncode == 1
    import json

    [note_id] = [e["id"] for e in json.loads(proc.stdout)["escalations"]]
    before = (repo.path / ".pact/ledger.yaml").read_bytes()
    proc = repo.gk("escalations", "resolve", note_id, "--outcome", "acknowledged",
                   "--note", note)
    assert proc.returncode == 2 and "looks like a secret" in proc.stderr
    assert (repo.path / ".pact/ledger.yaml").read_bytes() == before


def test_secret_in_a_resolution_of_a_server_note_never_reaches_the_ledger(
        tmp_path: Path) -> None:
    """The same through the path for ids this clone never saw (raised by the server)."""
    repo = team_repo(tmp_path / "team")
    before = (repo.path / ".pact/ledger.yaml").read_bytes()
    proc = repo.gk("escalations", "resolve", "E-0123456789ab", "--outcome", "resolved",
                   "--note", "moved the key ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8 to vault")
    assert proc.returncode == 2 and "looks like a secret" in proc.stderr
    assert (repo.path / ".pact/ledger.yaml").read_bytes() == before
