# tests/test_follow_the_fix.py: "a remedy is a promise": do exactly what a fix: line says, retry, pass.
"""For each rule and each distinct cause: a real ``git commit`` (or ``git push``) through the
installed hooks is blocked; the test reads the printed ``fix:`` line, runs its numbered steps
as written (the commands in them verbatim, through a ``gatekeeper`` on PATH), retries the
same git command, and asserts that the retry passes and prints no finding of that rule.

Only the prose around the commands is interpreted ("the architect writes X and commits it:
CMD" writes X, then runs CMD); every command is run exactly as printed.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT, GitRepo, make_repo, pact_repo

PY_OK = 'import os\n\nKEY = os.environ["STRIPE_KEY"]\n'
SECRET = 'STRIPE_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"\n'


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A PATH with a ``gatekeeper`` that is this checkout (as a user's install would be)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "gatekeeper"
    shim.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m gatekeeper \"$@\"\n",
                    encoding="utf-8")
    shim.chmod(0o755)
    full = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(REPO_ROOT)}
    full.pop("COLUMNS", None)  # one line per message: the fix is read back from the output
    return full


def sh(repo: GitRepo, cmd: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a printed command verbatim in the repository (a POSIX shell, as a user would)."""
    return subprocess.run(["sh", "-c", cmd], cwd=repo.path, text=True, capture_output=True,
                          env=env, stdin=subprocess.DEVNULL)


def hooked(repo: GitRepo, env: dict[str, str]) -> GitRepo:
    proc = sh(repo, "gatekeeper install", env)
    assert proc.returncode == 0, proc.stderr
    return repo


def fix_of(output: str, rule: str) -> str:
    """The ``fix:`` line of the first finding of ``rule`` in a text report."""
    m = re.search(rf"^\s*(?:BLOCK|WARN) {re.escape(rule)} .*?\n(?:.*\n)*?\s*fix: (.*)$",
                  output, re.M)
    assert m, f"no fix for {rule} in:\n{output}"
    return m.group(1)


def steps_of(fix: str) -> list[str]:
    """The numbered steps ``1) ...; 2) ...``."""
    parts = re.split(r"(?:^|; )\d\) ", fix[fix.index("1) "):])
    return [p for p in parts if p]


def command_in(step: str) -> str:
    """The command of a step written "who does what: COMMAND (or an alternative)"."""
    if step.startswith(("gatekeeper ", "git ")):
        return step
    cmd = step.split(": ", 1)[1]
    return re.sub(r" \(or [^:]*: .*\)$", "", cmd)


def follow(repo: GitRepo, fix: str, env: dict[str, str], retry: list[str], *,
           doc_text: str = "# design\n") -> subprocess.CompletedProcess[str]:
    """Run every step of ``fix`` as printed; the retry step reruns ``retry`` (plus the trailer
    the step names). Returns the retry's result."""
    result = None
    for step in steps_of(fix):
        if step.startswith("then run the same git commit again"):
            extra = re.findall(r"git commit (--trailer '[^']*')", step)
            cmd = shlex.join(retry) + "".join(f" {t}" for t in extra)
            result = sh(repo, cmd, env)
            continue
        m = re.match(r"the architect writes (\S+) and commits it: (.*)$", step)
        if m:
            repo.write({m.group(1): doc_text})
            cmd = m.group(2)
        else:
            cmd = command_in(step)
        proc = sh(repo, cmd, env)
        assert proc.returncode == 0, f"step {step!r} failed:\n{proc.stdout}{proc.stderr}"
    assert result is not None, f"the fix never says to retry: {fix}"
    return result


def commit_cmd(agent: str = "backend-coder", msg: str = "work") -> list[str]:
    return ["git", "commit", "-q", "-m", msg, "--trailer", f"PACT-Agent: {agent}"]


def attempt(repo: GitRepo, files: dict[str, str], env: dict[str, str],
            cmd: list[str] | None = None) -> tuple[list[str], str]:
    """Stage ``files`` and commit through the hooks; assert the block; (command, output)."""
    repo.stage(files)
    cmd = cmd or commit_cmd()
    proc = sh(repo, shlex.join(cmd), env)
    assert proc.returncode != 0, "expected a block:\n" + proc.stdout + proc.stderr
    return cmd, proc.stdout + proc.stderr


def assert_passed(proc: subprocess.CompletedProcess[str], rule: str) -> None:
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"the retry was blocked:\n{out}"
    assert f" {rule} " not in out, out


# --- phase-gate: one test per state the feature can be in ---------------------------------

@pytest.mark.parametrize("phase", ["declared", "prepare", "architect"])
def test_phase_gate_without_architecture(tmp_path: Path, env: dict[str, str], phase: str) -> None:
    repo = hooked(pact_repo(tmp_path / "r", phase=phase if phase != "declared" else "-"), env)
    cmd, out = attempt(repo, {"src/auth/login.py": "def login():\n    return 1\n"}, env)
    fix = fix_of(out, "phase-gate")
    assert "docs/architecture/auth.md" in fix and "-- .pact" in fix
    assert_passed(follow(repo, fix, env, cmd), "phase-gate")
    assert "src/auth/login.py" in repo.git("show", "--name-only", "HEAD").stdout


def test_phase_gate_architecture_approved_not_in_code(tmp_path: Path, env: dict[str, str]) -> None:
    repo = pact_repo(tmp_path / "r", phase="architect")
    repo.write({"docs/architecture/auth.md": "# auth\n"})
    repo.orchestrate("approve", "auth", "docs/architecture/auth.md")
    repo.commit_ledger("approve auth")
    hooked(repo, env)
    cmd, out = attempt(repo, {"src/auth/login.py": "x = 1\n"}, env)
    fix = fix_of(out, "phase-gate")
    assert "has not entered CODE" in out and "approve" not in fix
    assert_passed(follow(repo, fix, env, cmd), "phase-gate")


def test_phase_gate_feature_done_needs_a_new_feature_and_its_trailer(
        tmp_path: Path, env: dict[str, str]) -> None:
    repo = hooked(pact_repo(tmp_path / "r", phase="done"), env)
    cmd, out = attempt(repo, {"src/auth/login.py": "x = 2\n"}, env)
    fix = fix_of(out, "phase-gate")
    assert "auth-2" in fix and "PACT-Feature: auth-2" in fix
    assert_passed(follow(repo, fix, env, cmd), "phase-gate")
    assert "PACT-Feature: auth-2" in repo.git("log", "-1", "--format=%B").stdout


def test_phase_gate_ledger_commit_leaves_the_agents_staged_work_out(
        tmp_path: Path, env: dict[str, str]) -> None:
    """`git commit -- .pact` in the fix: the agent's staged file never rides along."""
    repo = hooked(pact_repo(tmp_path / "r", phase="architect"), env)
    repo.write({"docs/architecture/auth.md": "# auth\n"})
    repo.orchestrate("approve", "auth", "docs/architecture/auth.md")
    repo.commit_ledger("approve auth")
    _cmd, out = attempt(repo, {"src/auth/login.py": "x = 1\n"}, env)
    fix = fix_of(out, "phase-gate")
    ledger_step = next(s for s in steps_of(fix) if "-- .pact" in s)
    for step in steps_of(fix):
        if step == ledger_step:
            break
        assert sh(repo, command_in(step), env).returncode == 0
    proc = sh(repo, command_in(ledger_step), env)
    assert proc.returncode == 0, proc.stderr
    assert repo.git("show", "--name-only", "--format=", "HEAD").stdout.split() == [
        ".pact/ledger.yaml"]
    assert "src/auth/login.py" in repo.git("diff", "--cached", "--name-only").stdout


def test_phase_gate_in_a_push_names_the_reset_and_works(tmp_path: Path, env: dict[str, str]) -> None:
    """Already committed (hooks skipped): the pre-push block's fix undoes the commit first
    (keeping the work staged), puts the ledger commit below it, and commits it again."""
    repo = pact_repo(tmp_path / "r", phase="architect")
    bare = tmp_path / "remote.git"
    repo.git("init", "-q", "--bare", str(bare))
    repo.git("remote", "add", "origin", str(bare))
    repo.git("push", "-q", "-u", "origin", "main")
    hooked(repo, env)
    repo.commit("work", agent="backend-coder", files={"src/auth/login.py": "x = 1\n"})
    push = sh(repo, "git push -q origin main", env)
    assert push.returncode != 0
    fix = fix_of(push.stdout + push.stderr, "phase-gate")
    steps = steps_of(fix)
    assert "git reset --soft @{upstream}" in steps[0]
    for step in steps[:-1]:
        m = re.match(r"the architect writes (\S+) and commits it: (.*)$", step)
        if m:
            repo.write({m.group(1): "# design\n"})
        cmd = m.group(2) if m else re.sub(r" \(.*\)$", "", command_in(step))
        proc = sh(repo, cmd, env)
        assert proc.returncode == 0, step + proc.stderr
    last = re.search(r"and push again: (git commit -C ORIG_HEAD)\.?$", steps[-1])
    assert last, steps[-1]
    proc = sh(repo, last.group(1), env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PACT-Agent: backend-coder" in repo.git("log", "-1", "--format=%B").stdout
    assert_passed(sh(repo, "git push -q origin main", env), "phase-gate")


# --- unplanned-work: no feature covers the paths; the trailer names an undeclared one ---------

def _unplanned_blocks(repo: GitRepo) -> None:
    """unplanned-work warns by default; make it block so the retry's verdict says something."""
    cfg = repo.path / ".pact" / "config.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + '\n[rules.unplanned-work]\naction = "block"\n',
                   encoding="utf-8")
    repo.commit_ledger("unplanned work blocks")


@pytest.mark.parametrize("trailer", [None, "billing-v2"])
def test_unplanned_work(tmp_path: Path, env: dict[str, str], trailer: str | None) -> None:
    repo = pact_repo(tmp_path / "r", phase="code")
    _unplanned_blocks(repo)
    hooked(repo, env)
    cmd = commit_cmd() + (["--trailer", f"PACT-Feature: {trailer}"] if trailer else [])
    cmd, out = attempt(repo, {"src/billing/invoice.py": "x = 1\n", "src/billing/tax.py": "y = 2\n"},
                       env, cmd)
    fix = fix_of(out, "unplanned-work")
    fid = trailer or "billing"
    assert f"gatekeeper feature add {fid} --paths 'src/billing/**'" in fix
    assert "does not help" in out
    assert_passed(follow(repo, fix, env, cmd), "unplanned-work")


@pytest.mark.parametrize("files, globs", [
    (("setup.py",), "setup.py"),
    (("src/billing/a.py", "lib/tax/rates.py", "run.py"), "'lib/tax/**' run.py 'src/billing/**'"),
])
def test_unplanned_work_without_a_common_directory(tmp_path: Path, env: dict[str, str],
                                                   files: tuple[str, ...], globs: str) -> None:
    """No catch-all '**' feature: each path's own directory (or the top-level file)."""
    repo = pact_repo(tmp_path / "r", phase="code")
    _unplanned_blocks(repo)
    hooked(repo, env)
    cmd, out = attempt(repo, {f: "x = 1\n" for f in files}, env)
    fix = fix_of(out, "unplanned-work")
    assert f"gatekeeper feature add work --paths {globs};" in fix
    assert_passed(follow(repo, fix, env, cmd), "unplanned-work")


# --- scope-budget: cumulative, so only a revised estimate or a waiver helps -------------------

def _over_budget(tmp_path: Path, env: dict[str, str]) -> tuple[GitRepo, list[str], str]:
    repo = hooked(pact_repo(tmp_path / "r", phase="code", estimate=10), env)
    repo.commit("first part", agent="backend-coder",
                files={"src/auth/a.py": "".join(f"a{i} = {i}\n" for i in range(9))})
    cmd, out = attempt(repo, {"src/auth/b.py": "".join(f"b{i} = {i}\n" for i in range(6))}, env)
    return repo, cmd, out


def test_scope_budget_estimate(tmp_path: Path, env: dict[str, str]) -> None:
    repo, cmd, out = _over_budget(tmp_path, env)
    fix = fix_of(out, "scope-budget")
    assert "gatekeeper estimate auth 15 " in fix and "Splitting the commit does not help" in out
    retry = follow(repo, fix, env, cmd)
    assert_passed(retry, "scope-budget")  # and no warning either: 15 of 15 lines


def test_scope_budget_waiver(tmp_path: Path, env: dict[str, str]) -> None:
    repo, cmd, out = _over_budget(tmp_path, env)
    fix = fix_of(out, "scope-budget")
    waive = re.search(r"\(or waives the budget for this feature: (gatekeeper waive [^)]*)\)", fix)
    assert waive, fix
    steps = steps_of(fix)
    assert sh(repo, waive.group(1), env).returncode == 0
    for step in steps[1:-1]:
        assert sh(repo, command_in(step), env).returncode == 0
    retry = sh(repo, shlex.join(cmd), env)
    assert retry.returncode == 0, retry.stdout + retry.stderr


def test_scope_budget_warning_fix_silences_it(tmp_path: Path, env: dict[str, str]) -> None:
    """Over the estimate but within +20%: a warning whose fix also works."""
    repo = hooked(pact_repo(tmp_path / "r", phase="code", estimate=10), env)
    repo.stage({"src/auth/a.py": "".join(f"a{i} = {i}\n" for i in range(11))})
    proc = sh(repo, shlex.join(commit_cmd()), env)
    assert proc.returncode == 0
    fix = fix_of(proc.stdout + proc.stderr, "scope-budget")
    repo.stage({"src/auth/a.py": "".join(f"a{i} = {i}\n" for i in range(12))})
    steps = steps_of(fix)
    for step in steps[:-1]:
        assert sh(repo, command_in(step), env).returncode == 0, step
    retry = sh(repo, shlex.join(commit_cmd()), env)
    assert_passed(retry, "scope-budget")


# --- secrets: staged, and already committed (history rewritten before the push) -------------

def _secret_steps(fix: str) -> list[str]:
    steps = steps_of(fix)
    assert len(steps) == 3, fix
    assert steps[0].startswith("the orchestrator shows the HALT note E-"), steps[0]
    return steps


def test_secret_staged(tmp_path: Path, env: dict[str, str]) -> None:
    repo = hooked(pact_repo(tmp_path / "r", phase="code"), env)
    cmd, out = attempt(repo, {"src/auth/keys.py": SECRET}, env)
    steps = _secret_steps(fix_of(out, "hardcoded-secret"))
    assert sh(repo, command_in(steps[0]), env).returncode == 0
    # 2) "not yet committed: fix the file, git add it, then commit again"
    repo.write({"src/auth/keys.py": PY_OK})
    assert sh(repo, "git add src/auth/keys.py", env).returncode == 0
    assert_passed(sh(repo, shlex.join(cmd), env), "hardcoded-secret")


def test_secret_already_committed_is_amended_before_the_push(
        tmp_path: Path, env: dict[str, str]) -> None:
    repo = pact_repo(tmp_path / "r", phase="code")
    bare = tmp_path / "remote.git"
    repo.git("init", "-q", "--bare", str(bare))
    repo.git("remote", "add", "origin", str(bare))
    repo.git("push", "-q", "-u", "origin", "main")
    hooked(repo, env)
    repo.commit("keys", agent="backend-coder", files={"src/auth/keys.py": SECRET})  # --no-verify
    push = sh(repo, "git push -q origin main", env)
    assert push.returncode != 0
    fix = fix_of(push.stdout + push.stderr, "hardcoded-secret")
    assert "does not help" in fix and "git commit --amend --no-edit" in fix
    steps = _secret_steps(fix)
    assert sh(repo, command_in(steps[0]), env).returncode == 0
    # 2) already committed, the last commit: "fix the file, git add it and git commit --amend --no-edit"
    repo.write({"src/auth/keys.py": PY_OK})
    for cmd in ("git add src/auth/keys.py", "git commit --amend --no-edit"):
        proc = sh(repo, cmd, env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    # 3) push again
    assert_passed(sh(repo, "git push -q origin main", env), "hardcoded-secret")
    assert "sk_live" not in repo.git("log", "-p", "origin/main").stdout


def test_env_file_staged(tmp_path: Path, env: dict[str, str]) -> None:
    repo = hooked(make_repo(tmp_path / "r"), env)
    sh(repo, "gatekeeper init", env)
    repo.commit_ledger("set up pact")
    cmd, out = attempt(repo, {".env": "DB_PASSWORD=hunter2hunter2\n", "app.py": "x = 1\n"}, env)
    steps = _secret_steps(fix_of(out, "env-file"))
    assert sh(repo, command_in(steps[0]), env).returncode == 0
    # 2) "not yet committed: git rm --cached the file, then commit again"
    assert sh(repo, "git rm -q --cached .env", env).returncode == 0
    assert_passed(sh(repo, shlex.join(cmd), env), "env-file")


# --- the other HALT signals: the note first, then the advice, then commit again ------------

_LOG = "import logging\nlog = logging.getLogger(__name__)\n\ndef f(user):\n"
HALT_CASES = {
    "sql-injection": (
        'def find(cur, email):\n    cur.execute(f"SELECT * FROM users WHERE email = \'{email}\'")\n',
        'def find(cur, email):\n    cur.execute("SELECT * FROM users WHERE email = %s", (email,))\n'),
    "pii-in-logs": (_LOG + '    log.info("login %s", user.email)\n',
                    _LOG + '    log.info("login user_id=%s", user.id)\n'),
    "destructive-sql": ('def clean(cur):\n    cur.execute("DELETE FROM sessions")\n',
                        'def clean(cur):\n    cur.execute("DELETE FROM sessions WHERE expires_at < now()")'
                        '\n'),
}
_FRONT = ("// src/auth/pay.ts: the payment form.\n"
          "export const key = import.meta.env.VITE_STRIPE_{}_KEY;\n")


@pytest.mark.parametrize("rule", [*sorted(HALT_CASES), "frontend-credentials"])
def test_halt_signal_staged(tmp_path: Path, env: dict[str, str], rule: str) -> None:
    if rule == "frontend-credentials":
        path, (bad, good) = "src/auth/pay.ts", (_FRONT.format("SECRET"), _FRONT.format("PUBLISHABLE"))
    else:
        path, (bad, good) = "src/auth/db.py", HALT_CASES[rule]
    repo = hooked(pact_repo(tmp_path / "r", phase="code"), env)
    cmd, out = attempt(repo, {path: bad}, env)
    steps = _secret_steps(fix_of(out, rule))
    assert sh(repo, command_in(steps[0]), env).returncode == 0
    repo.write({path: good})  # 2) the advice
    assert steps[2].startswith("git add the file and commit again")
    assert sh(repo, f"git add {path}", env).returncode == 0
    assert_passed(sh(repo, shlex.join(cmd), env), rule)


def test_halt_freeze_would_block_a_retry_that_skips_step_1(tmp_path: Path, env: dict[str, str]) -> None:
    """Why the order matters: fixing the file without resolving the note is still blocked."""
    repo = hooked(pact_repo(tmp_path / "r", phase="code"), env)
    cmd, _out = attempt(repo, {"src/auth/keys.py": SECRET}, env)
    repo.stage({"src/auth/keys.py": PY_OK})
    proc = sh(repo, shlex.join(cmd), env)
    assert proc.returncode == 1 and "BLOCK halt-freeze" in proc.stdout + proc.stderr


# --- ledger-integrity: an agent's edit of .pact/, the orchestrator's hand edit --------------

def test_ledger_integrity_agent_edit(tmp_path: Path, env: dict[str, str]) -> None:
    repo = hooked(pact_repo(tmp_path / "r", phase="code"), env)
    ledger = (repo.path / ".pact/ledger.yaml").read_text(encoding="utf-8")
    cmd, out = attempt(repo, {".pact/ledger.yaml": ledger + "---\nevent: estimate\nfeature: auth\n"
                              "lines: 900\nreason: I want more room to work in\n",
                              "src/auth/x.py": "x = 1\n"}, env)
    fix = fix_of(out, "ledger-integrity")
    restore = re.search(r"Not the orchestrator: take the change out, (git restore [^,(]*?) \(", fix)
    assert restore and restore.group(1) == "git restore --staged --worktree -- .pact"
    assert sh(repo, restore.group(1), env).returncode == 0
    assert_passed(sh(repo, shlex.join(cmd), env), "ledger-integrity")
    assert "src/auth/x.py" in repo.git("show", "--name-only", "HEAD").stdout


def test_ledger_integrity_orchestrator_hand_edit(tmp_path: Path, env: dict[str, str]) -> None:
    repo = hooked(pact_repo(tmp_path / "r", phase="code"), env)
    ledger = (repo.path / ".pact/ledger.yaml").read_text(encoding="utf-8")
    cmd = commit_cmd("orchestrator", "raise the estimate")
    _, out = attempt(repo, {".pact/ledger.yaml": ledger.replace("estimate: 100", "estimate: 900")},
                     env, cmd)
    fix = fix_of(out, "ledger-integrity")
    m = re.search(r"rewrites earlier events: (git restore [^,]*), make the change with the "
                  r"gatekeeper command, then (git commit .*? -- \.pact)\.", fix)
    assert m, fix
    assert sh(repo, m.group(1), env).returncode == 0
    assert sh(repo, "gatekeeper estimate auth 900 --reason 'the partner API needs more'",
              env).returncode == 0
    proc = sh(repo, m.group(2), env)
    assert_passed(proc, "ledger-integrity")
    assert "lines: 900" in repo.git("show", "HEAD:.pact/ledger.yaml").stdout


def test_scope_budget_in_a_push(tmp_path: Path, env: dict[str, str]) -> None:
    """The budget block at pre-push: undo, revise, ledger commit, commit again, push."""
    repo = pact_repo(tmp_path / "r", phase="code", estimate=10)
    bare = tmp_path / "remote.git"
    repo.git("init", "-q", "--bare", str(bare))
    repo.git("remote", "add", "origin", str(bare))
    repo.git("push", "-q", "-u", "origin", "main")
    hooked(repo, env)
    repo.commit("part 1", agent="backend-coder",
                files={"src/auth/a.py": "".join(f"a{i} = {i}\n" for i in range(9))})
    repo.commit("part 2", agent="backend-coder",
                files={"src/auth/b.py": "".join(f"b{i} = {i}\n" for i in range(6))})
    push = sh(repo, "git push -q origin main", env)
    assert push.returncode != 0
    steps = steps_of(fix_of(push.stdout + push.stderr, "scope-budget"))
    assert "git reset --soft @{upstream}" in steps[0] and "gatekeeper estimate auth 15 " in steps[1]
    for step in steps[:-1]:
        cmd = re.sub(r" \((?:the last commit|or waives).*\)$", "", command_in(step))
        proc = sh(repo, cmd, env)
        assert proc.returncode == 0, f"{step}\n{proc.stderr}"
    assert steps[-1].endswith("git commit -C ORIG_HEAD.")
    assert sh(repo, "git commit -C ORIG_HEAD", env).returncode == 0
    assert_passed(sh(repo, "git push -q origin main", env), "scope-budget")
