# tests/test_way_out.py: every block has a way out: HALT freezes, server note ids, lost baselines.
"""Issue 10 part 3, with real repositories and real pushes, and the remedies followed
literally (the follow-the-fix tests for ``halt-freeze`` and ``protected-ref``):

- the orchestrator's commit that changes only ``.pact/`` is never frozen;
- a note id printed by a server rejection is resolved from any clone, and the server honours it;
- a rejected push's notes never freeze a feature for anyone else;
- re-running a range does not freeze the range's own commits;
- a code baseline lost to a rebase falls back to the commit that recorded it;
- big pushes get one note per rule, feature and agent and a bounded summary.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

from helpers import GitRepo, git, gk, make_repo
from orchestrator_kit import AWS_EXAMPLE_KEY
from server_helpers import code, inbox, make_server, push, ref_of, team_repo, write_roster

SECRET = f'# keys\nAWS_ACCESS_KEY_ID = "{AWS_EXAMPLE_KEY}"\n'


def app_repo(path: Path, *, config: str = "") -> GitRepo:
    """A team repository whose one feature, ``app``, covers everything (``**``, so also
    ``.pact/``), in CODE."""
    repo = make_repo(path)
    repo.orchestrate("init")
    write_roster(repo)
    if config:
        cfg = repo.path / ".pact/config.toml"
        cfg.write_text(cfg.read_text(encoding="utf-8") + config, encoding="utf-8")
    repo.commit_ledger("set up pact")
    app_to_code(repo, "**", 400)
    return repo


def app_to_code(repo: GitRepo, paths: str, estimate: int) -> None:
    """Declare feature ``app`` over ``paths``, approve its architecture, enter CODE, and
    commit the ledger."""
    repo.orchestrate("feature", "add", "app", "--paths", paths, "--estimate", str(estimate))
    repo.write({"docs/architecture/app.md": "# app\n"})
    for ph in ("prepare", "architect"):
        repo.orchestrate("phase", "app", ph)
    repo.orchestrate("approve", "app", "docs/architecture/app.md")
    repo.orchestrate("phase", "app", "code")
    repo.commit_ledger("app to CODE")


def fix_line(stderr: str, rule: str) -> str:
    """The ``fix:`` text printed for the first finding of ``rule``."""
    lines = [ln.removeprefix("remote:").strip() for ln in stderr.splitlines()]
    for i, ln in enumerate(lines):
        if ln.startswith(f"BLOCK {rule}"):
            return next(x for x in lines[i:] if x.startswith("fix:")).removeprefix("fix:").strip()
    raise AssertionError(f"no {rule} block in:\n{stderr}")


def run_literally(cwd: Path, command: str, note: str) -> subprocess.CompletedProcess[str]:
    """Run a printed command as a user would, with ``'...'``-style placeholders filled."""
    command = command.replace("'what was decided'", shlex.quote(note))
    argv = shlex.split(command)
    if argv[0] == "gatekeeper":
        return gk(cwd, *argv[1:])
    return git(cwd, *argv[1:], check=False)


def test_rejected_push_freezes_nothing_for_anyone_else(tmp_path: Path) -> None:
    repo = app_repo(tmp_path / "team")
    bare = make_server(repo, tmp_path / "srv.git")
    base = repo.head()
    repo.commit("keys", agent="backend-coder", files={"src/keys.py": SECRET})
    proc = push(repo, "origin", "HEAD:main", user="bob")
    assert proc.returncode == 1 and "hardcoded-secret" in proc.stderr
    assert [n["level"] for n in inbox(bare)] == ["HALT"]
    # The commit never landed: others (and bob, after fixing it) keep working.
    repo.git("reset", "-q", "--hard", base)
    repo.commit("clean work", agent="backend-coder", files={"src/ok.py": code(4)})
    proc = push(repo, "origin", "HEAD:main", user="bob")
    assert proc.returncode == 0, proc.stderr
    assert "halt-freeze" not in proc.stderr
    repo.orchestrate("estimate", "app", "500", "--reason", "more endpoints than planned")
    repo.commit_ledger("app estimate")
    assert push(repo, "origin", "HEAD:main", user="alice").returncode == 0


def test_server_halt_resolved_from_a_clone_unfreezes_the_feature(tmp_path: Path) -> None:
    """A landed HALT (hardcoded-secret set to warn), the freeze, and the printed fix
    followed literally in a clone that never saw the note: the feature unfreezes."""
    repo = app_repo(tmp_path / "team", config='\n[rules.hardcoded-secret]\naction = "warn"\n')
    bare = make_server(repo, tmp_path / "srv.git")
    git(bare, "symbolic-ref", "HEAD", "refs/heads/trunk")  # a dangling HEAD, as git init gives
    repo.commit("keys", agent="backend-coder", files={"src/keys.py": SECRET})
    proc = push(repo, "origin", "HEAD:main", user="bob")
    assert proc.returncode == 0, proc.stderr
    [note] = [n for n in inbox(bare) if n["level"] == "HALT"]
    assert note["landed"] is True
    repo.commit("more", agent="backend-coder", files={"src/more.py": code(4)})
    proc = push(repo, "origin", "HEAD:main", user="bob")
    assert proc.returncode == 1 and "halt-freeze" in proc.stderr and note["id"] in proc.stderr
    fix = fix_line(proc.stderr, "halt-freeze")
    resolve_cmd = re.search(r"gatekeeper escalations resolve \S+ --outcome \S+ --note "
                            r"'what was decided'", fix)
    commit_cmd = re.search(r"git commit -m 'resolve \S+' --trailer 'PACT-Agent: "
                           r"orchestrator' -- \.pact/ledger\.yaml", fix)
    assert resolve_cmd and commit_cmd, fix
    listed = gk(bare, "escalations", "list")
    assert note["id"] in listed.stdout

    # alice, in her own fresh clone whose inbox has never seen the note.
    git(tmp_path, "clone", "-q", str(bare), "alice")
    alice = GitRepo(tmp_path / "alice")
    git(alice.path, "checkout", "-q", "main")
    done = run_literally(alice.path, resolve_cmd.group(0),
                         "human saw it; example key, rotated and purged")
    assert done.returncode == 0, done.stderr
    assert "git commit -m" in done.stdout  # it prints how to commit the ledger
    assert run_literally(alice.path, commit_cmd.group(0), "").returncode == 0
    proc = push(alice, "origin", "HEAD:main", user="alice")
    assert proc.returncode == 0, proc.stderr  # the ledger commit is not frozen ('**')
    # bob's retry passes; the server's list honours the resolution on the default branch.
    repo.git("pull", "-q", "--rebase", "origin", "main")
    proc = push(repo, "origin", "HEAD:main", user="bob")
    assert proc.returncode == 0, proc.stderr
    assert note["id"] not in gk(bare, "escalations", "list").stdout
    assert "acknowledged" in gk(bare, "escalations", "list", "--status", "all").stdout


def test_resolve_an_unknown_id_records_only_the_ledger_event(tmp_path: Path) -> None:
    repo = app_repo(tmp_path / "team")
    proc = repo.gk("escalations", "resolve", "E-0123456789ab", "--outcome", "acknowledged",
                   "--note", "seen on the server, handled")
    assert proc.returncode == 0, proc.stderr
    ledger = (repo.path / ".pact/ledger.yaml").read_text(encoding="utf-8")
    assert "E-0123456789ab" in ledger and "acknowledged" in ledger
    # An override of a note this clone cannot see needs the HALT's justification.
    proc = repo.gk("escalations", "resolve", "E-0123456789ac", "--outcome", "overridden",
                   "--note", "fine, it is only a test")
    assert proc.returncode == 2 and "40 characters" in proc.stderr
    # A prefix is not enough for a note raised elsewhere.
    proc = repo.gk("escalations", "resolve", "E-01", "--outcome", "acknowledged", "--note",
                   "seen on the server, handled")
    assert proc.returncode == 2 and "no escalation" in proc.stderr


def test_rerunning_a_range_gives_the_first_runs_verdicts(tmp_path: Path) -> None:
    repo = app_repo(tmp_path / "team")
    base = repo.head()
    repo.commit("keys", agent="backend-coder", files={"src/keys.py": SECRET})
    repo.commit("later", agent="backend-coder", files={"src/later.py": code(4)})
    first = repo.gk("check", "--range", f"{base}..HEAD")
    second = repo.gk("check", "--range", f"{base}..HEAD")
    assert first.returncode == second.returncode == 1
    assert "halt-freeze" not in second.stdout, second.stdout
    assert second.stdout.count("BLOCK") == first.stdout.count("BLOCK")
    # New work after the HALT is still frozen.
    repo.commit("newer", agent="backend-coder", files={"src/newer.py": code(4)})
    third = repo.gk("check", "--commit", "HEAD")
    assert third.returncode == 1 and "halt-freeze" in third.stdout


def test_orchestrator_pact_only_commit_is_never_frozen_on_the_client(tmp_path: Path) -> None:
    repo = app_repo(tmp_path / "team")
    repo.stage({"src/keys.py": SECRET})
    proc = repo.gk("check", "--staged", "--agent", "backend-coder")
    assert proc.returncode == 1
    repo.git("reset", "-q", "--hard")
    repo.orchestrate("estimate", "app", "450", "--reason", "re-plan after the HALT")
    repo.git("add", ".pact")
    proc = repo.gk("check", "--staged", "--agent", "orchestrator")
    assert proc.returncode == 0, proc.stdout
    repo.stage({"src/x.py": code(3)})
    proc = repo.gk("check", "--staged", "--agent", "orchestrator")
    assert proc.returncode == 1 and "halt-freeze" in proc.stdout


def test_lost_baseline_falls_back_to_the_commit_that_recorded_it(tmp_path: Path) -> None:
    """A rebase rewrites the baseline commit; a fresh clone never had it."""
    repo = make_repo(tmp_path / "team")
    repo.orchestrate("init")
    repo.commit_ledger("set up pact")
    root = repo.head()
    repo.commit("prep", files={"docs/notes.md": "# notes\n"})
    app_to_code(repo, "src/**", 10)
    # Rewrite everything after root onto a new commit: the baseline's id changes.
    repo.git("checkout", "-q", "-b", "other", root)
    repo.commit("upstream", files={"UPSTREAM.md": "# up\n"})
    repo.git("checkout", "-q", "main")
    repo.git("rebase", "-q", "other")
    git(tmp_path, "clone", "-q", "--no-local", str(repo.path), "fresh")
    fresh = GitRepo(tmp_path / "fresh")
    fresh.commit("code", agent="backend-coder", files={"src/a.py": code(30)})
    proc = fresh.gk("check", "--commit", "HEAD")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "scope-budget" in proc.stdout  # measured: 30 lines over an estimate of 10
    fresh.git("reset", "-q", "--hard", "HEAD~1")
    fresh.stage({"src/a.py": code(5)})
    proc = fresh.gk("check", "--staged", "--agent", "backend-coder")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_big_push_one_note_per_rule_feature_agent_and_a_short_summary(tmp_path: Path) -> None:
    repo = team_repo(tmp_path / "team")
    bare = make_server(repo, tmp_path / "srv.git")
    for i in range(30):
        repo.commit(f"billing {i}", agent="backend-coder",
                    files={f"src/billing/m{i}.py": code(3)})
    proc = push(repo, "origin", "HEAD:main", user="bob")
    assert proc.returncode == 1
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("remote:")]
    assert len(lines) <= 50, len(lines)
    notes = [n for n in inbox(bare) if n["rule"] == "phase-gate"]
    assert len(notes) == 1
    assert len(notes[0]["commits"]) == 30
    assert "30 findings in 30 commit(s)" in notes[0]["issue"] + notes[0]["evidence"]
    assert "and 20 more" in notes[0]["evidence"] or "(+25 more)" in notes[0]["evidence"]
    summary = "\n".join(lines)
    assert "phase-gate feature=billing agent=backend-coder: 30 finding(s) in 30 commit(s)" \
        in summary
    assert notes[0]["id"] in summary and "fix phase-gate:" in summary


def test_follow_the_fix_protected_ref(tmp_path: Path) -> None:
    """protected-ref's fix, literally: push to another branch; with a dangling HEAD."""
    repo = team_repo(tmp_path / "team")
    bare = make_server(repo, tmp_path / "srv.git")
    git(bare, "symbolic-ref", "HEAD", "refs/heads/master")
    repo.commit("work", agent="backend-coder", files={"src/auth/a.py": code(4)})
    proc = push(repo, "origin", "HEAD:refs/heads/release", user="bob")
    assert proc.returncode == 1 and "protected-ref" in proc.stderr
    fix = fix_line(proc.stderr, "protected-ref")
    cmd = re.search(r"git push origin HEAD:refs/heads/feature/NAME", fix)
    assert cmd, fix
    argv = shlex.split(cmd.group(0).replace("NAME", "work"))
    proc = push(repo, *argv[2:], user="bob")
    assert proc.returncode == 0, proc.stderr
    assert ref_of(bare, "refs/heads/feature/work") == repo.head()


def test_follow_the_fix_broken_setup(tmp_path: Path) -> None:
    """ledger-integrity for a pushed commit whose ledger does not load, fix followed."""
    repo = team_repo(tmp_path / "team")
    bare = make_server(repo, tmp_path / "srv.git")
    repo.commit("good", agent="backend-coder", files={"src/auth/g.py": code(4)})
    good = repo.head()
    repo.commit("break", agent="backend-coder", files={".pact/ledger.yaml": "events: [x\n"})
    proc = push(repo, "origin", "HEAD:main", user="bob")
    assert proc.returncode == 1
    fix = fix_line(proc.stderr, "ledger-integrity")
    assert "when it is your last commit, git reset --hard HEAD~1" in fix
    repo.git("reset", "--hard", "HEAD~1")
    proc = push(repo, "origin", "HEAD:main", user="bob")
    assert proc.returncode == 0, proc.stderr
    assert ref_of(bare, "refs/heads/main") == good
