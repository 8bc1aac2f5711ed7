# tests/test_server_file.py: the pre-receive hook on a real bare repository, pushed to over file://.
"""Real pushes into a bare repository with ``gatekeeper install --server``: what the server
accepts and rejects, per ref update kind, with the rule id in the client's ``remote:``
output and the escalation note in the bare repository's inbox. REMOTE_USER names the
pusher (git http-backend's variable; the local transport passes the environment through).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import GitRepo, git
from server_helpers import (
    ZERO,
    clear_inbox,
    code,
    inbox,
    inbox_rules,
    make_server,
    push,
    ref_of,
    team_repo,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One team repository and its bare server, shared by the module's tests."""
    root = tmp_path_factory.mktemp("server")
    repo = team_repo(root / "team")
    return make_server(repo, root / "srv.git")


@pytest.fixture
def work(server: Path, tmp_path: Path) -> GitRepo:
    """A fresh clone of the server (origin), and an empty inbox."""
    git(tmp_path, "clone", "-q", str(server), "work")
    clear_inbox(server)
    return GitRepo(tmp_path / "work")


def remote_lines(proc_stderr: str) -> str:
    """The hook's output as the client shows it."""
    return "\n".join(line for line in proc_stderr.splitlines() if line.startswith("remote:"))


def test_legitimate_flow_is_accepted_end_to_end(server: Path, work: GitRepo) -> None:
    """Orchestrator ledger pushes, the architect's doc, then code in CODE: all accepted."""
    work.orchestrate("feature", "add", "search", "--paths", "src/search/**", "--estimate", "30")
    work.orchestrate("phase", "search", "prepare")
    work.orchestrate("phase", "search", "architect")
    work.commit_ledger("search: declared, to ARCHITECT")
    proc = push(work, "origin", "HEAD:refs/heads/flow", user="alice")
    assert proc.returncode == 0, proc.stderr
    work.commit("search architecture", agent="architect",
                files={"docs/architecture/search.md": "# search\n"})
    proc = push(work, "origin", "HEAD:refs/heads/flow", user="carol")
    assert proc.returncode == 0, proc.stderr
    work.orchestrate("approve", "search", "docs/architecture/search.md")
    work.orchestrate("phase", "search", "code")
    work.commit_ledger("search to CODE")
    work.commit("search index", agent="backend-coder", files={"src/search/index.py": code(12)})
    proc = push(work, "origin", "HEAD:refs/heads/flow", user="alice")
    # alice is not rostered as backend-coder: the code commit must come from bob's account.
    assert proc.returncode == 1 and "agent-identity" in proc.stderr
    assert ref_of(server, "refs/heads/flow") != work.head()
    git(work.path, "reset", "-q", "--hard", "HEAD~1")
    assert push(work, "origin", "HEAD:refs/heads/flow", user="alice").returncode == 0
    work.commit("search index", agent="backend-coder", files={"src/search/index.py": code(12)})
    proc = push(work, "origin", "HEAD:refs/heads/flow", user="bob")
    assert proc.returncode == 0, proc.stderr
    assert ref_of(server, "refs/heads/flow") == work.head()
    assert "BLOCK" not in proc.stderr
    assert not [n for n in inbox(server) if n["rule"] != "agent-identity"]


@pytest.mark.parametrize(("rule", "files"), [
    ("phase-gate", {"src/billing/invoice.py": code(5)}),
    ("domain-boundary", {"migrations/0002_add_email.sql": "-- add email\nALTER TABLE u ADD e;\n"}),
    ("scope-budget", {"src/auth/login.py": code(60)}),
])
def test_headline_violation_is_rejected_with_rule_and_note(
        server: Path, work: GitRepo, rule: str, files: dict[str, str | bytes]) -> None:
    before = ref_of(server, "refs/heads/main")
    work.commit(f"violates {rule}", agent="backend-coder", files=files)
    proc = push(work, "origin", "HEAD:main", user="bob")
    assert proc.returncode == 1
    assert "pre-receive hook declined" in proc.stderr
    assert f"BLOCK {rule}" in remote_lines(proc.stderr)
    assert ref_of(server, "refs/heads/main") == before
    notes = [n for n in inbox(server) if n["rule"] == rule]
    assert notes and notes[0]["where"] == "server" and notes[0]["status"] == "open"
    assert notes[0]["commit"] == work.head()[:12]


def test_multi_ref_push_with_one_bad_ref_moves_no_ref(server: Path, work: GitRepo) -> None:
    work.git("checkout", "-q", "-b", "good")
    work.commit("good", agent="backend-coder", files={"src/auth/ok.py": code(5)})
    work.git("checkout", "-q", "-b", "bad", "origin/main")
    work.commit("bad", agent="backend-coder", files={"src/billing/nope.py": code(5)})
    proc = push(work, "origin", "good", "bad", user="bob")
    assert proc.returncode == 1
    assert "BLOCK phase-gate" in proc.stderr
    assert ref_of(server, "refs/heads/good") is None
    assert ref_of(server, "refs/heads/bad") is None


def test_branch_creation_and_deletion(server: Path, work: GitRepo) -> None:
    work.commit("topic work", agent="backend-coder", files={"src/auth/topic.py": code(5)})
    proc = push(work, "origin", "HEAD:refs/heads/topic", user="bob")
    assert proc.returncode == 0, proc.stderr
    assert ref_of(server, "refs/heads/topic") == work.head()
    proc = push(work, "origin", ":refs/heads/topic", user="bob")
    assert proc.returncode == 0, proc.stderr
    assert ref_of(server, "refs/heads/topic") is None
    # A new branch at a commit the server already has judges nothing.
    proc = push(work, "origin", "origin/main:refs/heads/same", user="bob")
    assert proc.returncode == 0 and "BLOCK" not in proc.stderr


def test_protected_ref_update_and_deletion(server: Path, work: GitRepo) -> None:
    proc = push(work, "origin", "HEAD:refs/heads/release", user="bob")
    assert proc.returncode == 1 and "BLOCK protected-ref" in proc.stderr
    assert ref_of(server, "refs/heads/release") is None
    assert "protected-ref" in inbox_rules(server)
    assert push(work, "origin", "HEAD:refs/heads/release", user="alice").returncode == 0
    proc = push(work, "origin", ":refs/heads/release", user="bob")
    assert proc.returncode == 1 and "BLOCK protected-ref" in proc.stderr
    assert ref_of(server, "refs/heads/release") is not None


def test_force_push_is_judged(server: Path, work: GitRepo) -> None:
    work.commit("first try", agent="backend-coder", files={"src/auth/f.py": code(5)})
    assert push(work, "origin", "HEAD:refs/heads/force", user="bob").returncode == 0
    first = work.head()
    work.git("reset", "-q", "--hard", "HEAD~1")
    work.commit("rewritten", agent="backend-coder", files={"src/billing/f.py": code(5)})
    proc = push(work, "origin", "+HEAD:refs/heads/force", user="bob")
    assert proc.returncode == 1 and "BLOCK phase-gate" in proc.stderr
    assert ref_of(server, "refs/heads/force") == first
    work.git("reset", "-q", "--hard", "HEAD~1")
    work.commit("rewritten well", agent="backend-coder", files={"src/auth/g.py": code(5)})
    proc = push(work, "origin", "+HEAD:refs/heads/force", user="bob")
    assert proc.returncode == 0, proc.stderr
    assert ref_of(server, "refs/heads/force") == work.head()


def test_annotated_tags_are_peeled_and_judged(server: Path, work: GitRepo) -> None:
    work.commit("tagged bad", agent="backend-coder", files={"src/billing/t.py": code(5)})
    work.git("tag", "-a", "v0.1-bad", "-m", "bad release")
    proc = push(work, "origin", "refs/tags/v0.1-bad", user="bob")
    assert proc.returncode == 1 and "BLOCK phase-gate" in proc.stderr
    assert ref_of(server, "refs/tags/v0.1-bad") is None
    work.git("reset", "-q", "--hard", "HEAD~1")
    work.commit("tagged good", agent="backend-coder", files={"src/auth/t.py": code(5)})
    work.git("tag", "-a", "v0.1", "-m", "release")
    proc = push(work, "origin", "refs/tags/v0.1", user="bob")
    assert proc.returncode == 0, proc.stderr
    assert ref_of(server, "refs/tags/v0.1") == work.git("rev-parse", "v0.1").stdout.strip()
    # Deleting the tag is a deletion: nothing to judge.
    assert push(work, "origin", ":refs/tags/v0.1", user="bob").returncode == 0


def test_spoofed_agent_is_rejected_as_halt(server: Path, work: GitRepo) -> None:
    """bob is rostered as backend-coder and claims database-engineer."""
    work.commit("sneaky migration", agent="database-engineer",
                files={"migrations/0003_drop.sql": "-- migration\nALTER TABLE u ADD f;\n"})
    proc = push(work, "origin", "HEAD:main", user="bob")
    assert proc.returncode == 1
    assert "BLOCK agent-identity [HALT SECURITY]" in proc.stderr
    assert "pusher 'bob' claims 'database-engineer'" in proc.stderr
    notes = [n for n in inbox(server) if n["rule"] == "agent-identity"]
    assert notes and notes[0]["level"] == "HALT"
    # The same commit pushed by dana, who is the database engineer, is accepted.
    proc = push(work, "origin", "HEAD:refs/heads/dana", user="dana")
    assert proc.returncode == 0, proc.stderr


def test_missing_identity_blocks_on_the_server(server: Path, work: GitRepo) -> None:
    work.commit("no trailer", files={"src/auth/anon.py": code(5)})
    proc = push(work, "origin", "HEAD:refs/heads/anon", user="bob")
    assert proc.returncode == 1
    assert "BLOCK agent-identity" in proc.stderr and "no PACT-Agent trailer" in proc.stderr
    proc = push(work, "origin", "HEAD:refs/heads/anon", user=None)  # no pusher at all
    assert proc.returncode == 1


def test_gitlab_prefix(server: Path, work: GitRepo) -> None:
    work.commit("bad", agent="backend-coder", files={"src/billing/gl.py": code(5)})
    proc = push(work, "origin", "HEAD:main", user=None,
                env={"GL_ID": "user-7", "GL_USERNAME": "bob"})
    assert proc.returncode == 1
    hook_lines = [ln[len("remote: "):] for ln in proc.stderr.splitlines()
                  if ln.startswith("remote: ") and ln.strip() != "remote:"]
    assert any(ln.startswith("GL-HOOK-ERR: BLOCK phase-gate") for ln in hook_lines)


def test_merging_main_into_a_feature_does_not_rejudge_main(server: Path, work: GitRepo) -> None:
    """Billing moves to CODE on the trunk after the feature branch forked: the merge brings
    billing code into a branch whose own ledger still says ARCHITECT. Only what the merge
    itself introduces is judged (nothing), so the push is accepted. (The trunk is a branch
    of its own so that this test leaves ``main`` as the other tests expect it.)"""
    work.git("checkout", "-q", "-b", "trunk")
    assert push(work, "origin", "trunk", user="bob").returncode == 0
    fork = work.head()
    work.git("checkout", "-q", "-b", "feat")
    work.commit("auth work", agent="backend-coder", files={"src/auth/m.py": code(5)})
    assert push(work, "origin", "feat", user="bob").returncode == 0
    work.git("checkout", "-q", "trunk")
    work.commit("billing architecture", agent="architect",
                files={"docs/architecture/billing.md": "# billing\n"})
    assert push(work, "origin", "trunk", user="carol").returncode == 0
    work.orchestrate("approve", "billing", "docs/architecture/billing.md")
    work.orchestrate("phase", "billing", "code")
    work.commit_ledger("billing to CODE")
    assert push(work, "origin", "trunk", user="alice").returncode == 0
    work.commit("billing work", agent="backend-coder", files={"src/billing/b.py": code(5)})
    assert push(work, "origin", "trunk", user="bob").returncode == 0
    work.git("checkout", "-q", "feat")
    assert work.git("merge-base", "feat", "trunk").stdout.strip() == fork
    work.git("merge", "-q", "--no-edit", "-m", "merge trunk\n\nPACT-Agent: backend-coder",
             "trunk")
    proc = push(work, "origin", "feat", user="bob")
    assert proc.returncode == 0, proc.stderr
    assert "BLOCK" not in proc.stderr
    # A merge that adds code of its own (an evil merge) answers for it.
    work.git("reset", "-q", "--hard", "HEAD~1")
    work.git("merge", "-q", "--no-commit", "trunk")
    work.write({"src/billing/evil.py": code(5)})
    work.git("add", "-A")
    work.git("commit", "-q", "--no-verify", "-m", "evil merge\n\nPACT-Agent: backend-coder")
    proc = push(work, "origin", "+feat", user="bob")
    assert proc.returncode == 1 and "BLOCK phase-gate" in proc.stderr
    assert "src/billing/evil.py" in proc.stderr and "src/billing/b.py" not in proc.stderr


@pytest.mark.parametrize("how", ["env", "git-config"])
def test_deadline_fails_closed_by_default_and_open_when_configured(
        server: Path, work: GitRepo, how: str) -> None:
    work.commit("good", agent="backend-coder", files={"src/auth/slow.py": code(5)})
    env = {"GATEKEEPER_DEADLINE": "0.001"} if how == "env" else {}
    if how == "git-config":
        git(server, "config", "gatekeeper.deadline", "0.001")
    try:
        proc = push(work, "origin", "HEAD:refs/heads/slow", user="bob", env=env)
        assert proc.returncode == 1
        assert "pact-gatekeeper timed out" in proc.stderr
        assert "fails closed" in proc.stderr
        assert ref_of(server, "refs/heads/slow") is None
        git(server, "config", "gatekeeper.failOpen", "true")
        proc = push(work, "origin", "HEAD:refs/heads/slow", user="bob", env=env)
        assert proc.returncode == 0, proc.stderr
        assert "timed out" in proc.stderr and "fail open" in proc.stderr
        assert ref_of(server, "refs/heads/slow") == work.head()
    finally:
        git(server, "config", "--unset-all", "gatekeeper.failOpen", check=False)
        git(server, "config", "--unset-all", "gatekeeper.deadline", check=False)
        push(work, "origin", ":refs/heads/slow", user="bob")


def _set_server_config(repo: GitRepo, old: str, new: str) -> None:
    cfg = repo.path / ".pact" / "config.toml"
    text = cfg.read_text(encoding="utf-8")
    assert old in text
    cfg.write_text(text.replace(old, new, 1), encoding="utf-8")
    repo.commit_ledger("server config")


def test_deadline_and_fail_open_from_the_repository_config(tmp_path: Path) -> None:
    """``[server] deadline`` in .pact/config.toml, as committed on the default branch, is
    honoured; ``[server] fail_open`` there is ignored with a notice (issue 9 part 6: only
    the admin's git config makes the server fail open)."""
    repo = team_repo(tmp_path / "team")
    _set_server_config(repo, "deadline = 4.5", "deadline = 0.001")
    bare = make_server(repo, tmp_path / "srv.git")
    repo.commit("good", agent="backend-coder", files={"src/auth/a.py": code(5)})
    proc = push(repo, "origin", "HEAD:main")
    assert proc.returncode == 1 and "timed out" in proc.stderr
    assert ref_of(bare, "refs/heads/main") != repo.head()
    repo.git("reset", "-q", "--hard", "HEAD~1")
    _set_server_config(repo, "fail_open = false", "fail_open = true")
    git(bare, "fetch", "-q", str(repo.path), "+main:main")  # the admin updates the server
    repo.commit("good", agent="backend-coder", files={"src/auth/a.py": code(5)})
    proc = push(repo, "origin", "HEAD:main")
    assert proc.returncode == 1 and "timed out" in proc.stderr
    assert "ignoring [server] fail_open" in proc.stderr
    assert "gatekeeper.deadline" in proc.stderr  # the timeout names the setting
    assert ref_of(bare, "refs/heads/main") != repo.head()
    git(bare, "config", "gatekeeper.failOpen", "true")
    proc = push(repo, "origin", "HEAD:main")
    assert proc.returncode == 0 and "fail open" in proc.stderr
    assert ref_of(bare, "refs/heads/main") == repo.head()


def test_unreadable_config_fails_closed(tmp_path: Path) -> None:
    """A broken config at the parent cannot judge anything: rejected, with the file and line."""
    repo = team_repo(tmp_path / "team")
    _set_server_config(repo, "deadline = 4.5", "deadline = 4.5\ndeadline = 1")
    bare = make_server(repo, tmp_path / "srv.git")
    repo.commit("good", agent="backend-coder", files={"src/auth/a.py": code(5)})
    proc = push(repo, "origin", "HEAD:main")
    assert proc.returncode == 1
    assert "could not decide" in proc.stderr and ".pact/config.toml:" in proc.stderr
    assert "fails closed" in proc.stderr
    # A deletion judges no commit, but the protected refs cannot be read: rejected too.
    assert push(repo, "origin", "HEAD~1:refs/heads/other", user="alice").returncode == 1
    git(bare, "branch", "other", "HEAD")
    proc = push(repo, "origin", ":refs/heads/other", user="bob")
    assert proc.returncode == 1 and "could not decide" in proc.stderr
    assert ref_of(bare, "refs/heads/other") is not None
    git(bare, "config", "gatekeeper.failOpen", "true")
    proc = push(repo, "origin", "HEAD:main")
    assert proc.returncode == 0 and "fail open" in proc.stderr


def test_pushing_nothing_new_and_zero_lines(server: Path, work: GitRepo) -> None:
    """A push of an already-known commit to a new ref and an empty stdin are both fine."""
    proc = git(server, "rev-parse", "HEAD")
    head = proc.stdout.strip()
    from helpers import gk

    empty = gk(server, "hook", "pre-receive", input="")
    assert empty.returncode == 0, empty.stderr
    known = gk(server, "hook", "pre-receive", input=f"{ZERO} {head} refs/heads/known\n",
               env={"REMOTE_USER": "bob"})
    assert known.returncode == 0, known.stderr
