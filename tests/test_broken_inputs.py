# tests/test_broken_inputs.py: every command against a corpus of broken .pact/ files, through the real CLI.
"""Issue 14: a malformed ledger, config or policy gives one message with the file and the
line, and exit 2, from every command; never exit 3. ``status``, ``feature add`` and the
checks read the same files through the same validation layer, so they agree: same exit,
same message.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from helpers import GitRepo, pact_repo
from server_helpers import make_server, push

LEDGER = ".pact/ledger.yaml"
CONFIG = ".pact/config.toml"
POLICY = ".pact/policies/team.yaml"
RULE = ("rules:\n  - id: team-rule\n    title: T\n    check: {check}\n    level: ALERT\n"
        "    category: QUALITY\n    message: {message}\n")


def _event(text: str) -> tuple[str, bytes]:
    return ("append", ("---\n" + text).encode("utf-8"))


#: name -> (file, how: append | prepend | replace | delete-config, content, "file:line")
CORPUS: dict[str, tuple[str, str, bytes, str]] = {
    "ledger-bad-date": (LEDGER, "append", b"---\nevent: init\nat: 2026-13-01\n", LEDGER),
    "ledger-int-tag": (LEDGER, "append", b"---\nevent: init\nversion: !!int b\n", LEDGER),
    "ledger-bool-tag": (LEDGER, "append", b"---\nevent: init\nversion: !!bool x\n", LEDGER),
    "ledger-huge-estimate": (LEDGER, "append", b"---\nevent: estimate\nfeature: auth\nlines: 1"
                             + b"0" * 400 + b"\nreason: more work than planned\n", LEDGER),
    "ledger-5000-digits": (LEDGER, "append", b"---\nevent: init\nversion: " + b"7" * 5000 + b"\n",
                           LEDGER),
    "ledger-bad-utf8": (LEDGER, "append", b"---\nevent: init\nby: caf\xe9\n", LEDGER),
    "ledger-control-char": (LEDGER, "append", b"---\nevent: init\nby: a\x01b\n", LEDGER),
    "ledger-bad-glob": (LEDGER, "append", b"---\nevent: feature\nid: web\npaths: ['src/[z-a]/**']\n",
                        LEDGER),
    "ledger-alias-bomb": (LEDGER, "append", b"---\nevent: init\n" + "".join(
        f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}" if i else "1"] * 10) + "]\n"
        for i in range(9)).encode(), LEDGER),
    "config-param-type": (CONFIG, "append", b"\n[rules.hardcoded-secret]\nmin_length = 'abc'\n",
                          CONFIG),
    "config-param-list": (CONFIG, "append", b"\n[rules.file-size]\nmax_lines = [5]\n", CONFIG),
    "config-message-list": (CONFIG, "append", b"\n[rules.phase-gate]\nmessage = ['x']\n", CONFIG),
    "config-template-bomb": (CONFIG, "append",
                             b"\n[rules.phase-gate]\nmessage = '{count:>999999999}'\n", CONFIG),
    "config-nested-2000": (CONFIG, "prepend", b"x = " + b"[" * 2000 + b"]" * 2000 + b"\n", CONFIG),
    "config-end-of-doc": (CONFIG, "append", b"\n[rules.file-size]\nmax_lines = ", CONFIG),
    "config-unknown-pack": (CONFIG, "prepend", b"", CONFIG),
    "config-unknown-rule": (CONFIG, "append", b"\n[rules.no-such-rule]\naction = 'off'\n", CONFIG),
    "config-bad-glob": (CONFIG, "append", b"\n[rules.phase-gate]\npaths = ['a[]']\n", CONFIG),
    "config-bad-utf8": (CONFIG, "append", b"\n# caf\xe9\n", CONFIG),
    "pyproject-tool-5": ("pyproject.toml", "delete-config", b"tool = 5\n", "pyproject.toml"),
    "policy-param-type": (POLICY, "replace", (RULE.format(check="file_size", message="m")
                                              + "    params:\n      max_lines: abc\n").encode(),
                          POLICY),
    "policy-owners-nan": (POLICY, "replace", (RULE.format(check="domain_boundary", message="m")
                                              + "    params:\n      owners: .nan\n").encode(),
                          POLICY),
    "policy-template-bomb": (POLICY, "replace", RULE.format(
        check="phase_gate", message="'{count:>999999999}'").encode(), POLICY),
    "policy-selector-glob": (POLICY, "replace", (RULE.format(check="phase_gate", message="m")
                                                 + "    selectors:\n      paths: ['[z-a]']\n"
                                                 ).encode(), POLICY),
    "policy-control-char": (POLICY, "replace", b"rules:\n  - id: x\x07\n", POLICY),
}


def _broken_repo(tmp_path: Path, name: str) -> GitRepo:
    """A PACT repository whose HEAD commits the broken file (so disk == HEAD)."""
    path, how, content, _ = CORPUS[name]
    repo = pact_repo(tmp_path / "r")
    target = repo.path / path
    if how == "append":
        target.write_bytes(target.read_bytes() + content)
    elif how == "prepend":
        if name == "config-unknown-pack":
            text = target.read_text(encoding="utf-8").replace(
                'packs = ["pact-core", "pact-signals"]', 'packs = ["pact-core", "pact-nope"]')
            target.write_text(text, encoding="utf-8")
        else:
            target.write_bytes(content + target.read_bytes())
    elif how == "delete-config":
        (repo.path / CONFIG).unlink()
        target.write_bytes(content)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    repo.git("add", "-A", ".pact", "pyproject.toml" if target.name == "pyproject.toml" else ".pact")
    repo.git("commit", "-q", "--no-verify", "-m", f"break {path}\n\nPACT-Agent: orchestrator")
    return repo


def _core(stderr: str) -> str:
    """The message itself: one line, without the 'gatekeeper: ' prefix or the commit it
    was read from (the checks add '(as committed in <sha>)')."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, stderr
    msg = re.sub(r"^(gatekeeper: )?(error: )?", "", lines[0])
    return re.sub(r" \(as committed in [0-9a-f]+\)", "", msg)


def _assert_located(stderr: str, where: str) -> None:
    assert re.search(rf"{re.escape(where)}:\d+: ", stderr), stderr


def _no_crash(proc: subprocess.CompletedProcess[str], what: str) -> None:
    assert proc.returncode != 3, f"{what}: internal error\n{proc.stderr}"
    assert "Traceback" not in proc.stderr and "crash log" not in proc.stderr, \
        f"{what}:\n{proc.stderr}"


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_status_feature_add_and_checks_agree(tmp_path: Path, name: str) -> None:
    """Same exit 2 and the same 'file:line: what' from status, feature add and the checks."""
    repo = _broken_repo(tmp_path, name)
    where = CORPUS[name][3]
    msg = repo.path.parent / "msg.txt"
    msg.write_text("add\n\nPACT-Agent: backend-coder\n", encoding="utf-8")
    repo.stage({"src/auth/a.py": "x = 1\n"})
    runs = {
        "check": repo.gk("check", "--staged", "--message-file", str(msg)),
        "status": repo.gk("status"),
        "feature add": repo.gk("feature", "add", "web", "--paths", "web/**"),
    }
    cores = {}
    for what, proc in runs.items():
        _no_crash(proc, what)
        assert proc.returncode == 2, f"{what}: {proc.returncode}\n{proc.stdout}{proc.stderr}"
        _assert_located(proc.stderr, where)
        cores[what] = _core(proc.stderr)
    assert len(set(cores.values())) == 1, cores
    # Nothing was written past the broken file.
    assert b"id: web\npaths:\n- web/**" not in (repo.path / LEDGER).read_bytes()


#: Every command, with the arguments that make it read the context.
COMMANDS: list[tuple[str, ...]] = [
    ("check", "--commit", "HEAD"),
    ("check", "--range", "HEAD~1..HEAD"),
    ("check", "--range", "HEAD~1..HEAD", "--format", "json"),
    ("check", "--staged", "--format", "sarif"),
    ("status", "--format", "json"),
    ("phase", "auth", "test"),
    ("approve", "auth", "docs/architecture/auth.md"),
    ("estimate", "auth", "300", "--reason", "the provider needs a callback"),
    ("waive", "scope-budget", "--reason", "the orchestrator re-planned it", "--feature", "auth"),
    ("policy", "list"),
    ("policy", "explain", "scope-budget"),
    ("escalations", "list"),
    ("init",),
    ("hook", "pre-commit"),
    ("hook", "commit-msg", "MSG"),
    ("hook", "pre-push", "origin", "file:///nowhere"),
]


#: One broken file per family in the normal suite (each case runs 16 commands); all of the
#: corpus with GATEKEEPER_FUZZ=long.
EVERY_COMMAND = sorted(CORPUS) if os.environ.get("GATEKEEPER_FUZZ") == "long" else [
    "ledger-bad-date", "ledger-bad-utf8", "ledger-huge-estimate", "ledger-bad-glob",
    "config-param-type", "config-nested-2000", "config-unknown-rule", "pyproject-tool-5",
    "policy-template-bomb", "policy-control-char"]


@pytest.mark.parametrize("name", EVERY_COMMAND)
def test_every_command_on_a_broken_file_never_exits_3(tmp_path: Path, name: str) -> None:
    repo = _broken_repo(tmp_path, name)
    repo.commit("code\n\nPACT-Agent: backend-coder", files={"src/auth/b.py": "y = 2\n"})
    msg = repo.path.parent / "msg.txt"
    msg.write_text("add\n\nPACT-Agent: backend-coder\n", encoding="utf-8")
    repo.stage({"src/auth/c.py": "z = 3\n"})
    head = repo.head()
    for args in COMMANDS:
        argv = [str(msg) if a == "MSG" else a for a in args]
        stdin = f"refs/heads/main {head} refs/heads/main {'0' * 40}\n" if "pre-push" in args \
            else None
        proc = repo.gk(*argv, input=stdin)
        _no_crash(proc, " ".join(args))
        if proc.returncode == 2:
            _assert_located(proc.stderr, CORPUS[name][3])


@pytest.mark.parametrize("name", ["ledger-bad-date", "config-param-type", "policy-template-bomb",
                                  "ledger-bad-utf8"])
def test_server_rejects_a_pushed_broken_file_without_crashing(tmp_path: Path, name: str) -> None:
    """The server judges the push after the broken file by it: a clear rejection, never a
    crash; the push is refused (fail closed)."""
    good = pact_repo(tmp_path / "good")
    bare = make_server(good, tmp_path / "server.git")
    repo = _broken_repo(tmp_path / "b", name)
    repo.git("remote", "add", "origin", str(bare))
    repo.commit("code\n\nPACT-Agent: backend-coder", files={"src/auth/b.py": "y = 2\n"})
    proc = push(repo, "origin", "HEAD:refs/heads/main", user=None)
    assert proc.returncode != 0, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr.lower()
    assert CORPUS[name][3] in proc.stderr, proc.stderr


# ------------------------------------------------- patterns are refused where they are written


@pytest.mark.parametrize("args, named", [
    (("feature", "add", "web", "--paths", "src/[z-a]/**"), "src/[z-a]/**"),
    (("feature", "add", "web", "--paths", "web/**", "a[]"), "a[]"),
    (("waive", "scope-budget", "--reason", "the orchestrator re-planned it", "--path", "[z-a]"),
     "[z-a]"),
])
def test_a_glob_that_cannot_compile_is_refused_when_written(tmp_path: Path, args: tuple[str, ...],
                                                            named: str) -> None:
    repo = pact_repo(tmp_path / "r")
    before = (repo.path / LEDGER).read_bytes()
    proc = repo.gk(*args)
    assert proc.returncode == 2, proc.stderr
    assert named in proc.stderr and "not valid" in proc.stderr, proc.stderr
    assert (repo.path / LEDGER).read_bytes() == before
    # ... and every later check still works.
    code, _ = repo.check_staged("x", "backend-coder")
    assert code in (0, 1)


def test_init_never_writes_a_glob_that_cannot_compile(tmp_path: Path) -> None:
    from helpers import make_repo

    repo = make_repo(tmp_path / "r")
    repo.commit("odd dirs", files={"db/[z-a]/migrations/0001_init.py": "x = 1\n",
                                   "app/migrations/0001_init.py": "x = 1\n"})
    proc = repo.gk("init")
    assert proc.returncode == 0, proc.stderr
    config = (repo.path / CONFIG).read_text(encoding="utf-8")
    assert "[z-a]" not in config
    proc = repo.gk("status")
    assert proc.returncode == 0, proc.stderr


def test_pyproject_tool_5_is_ignored_when_pact_config_exists(tmp_path: Path) -> None:
    """.pact/config.toml wins, so a broken pyproject.toml never breaks the checks; changing
    it is still judged (ledger-integrity reads its [tool.gatekeeper] without crashing)."""
    repo = pact_repo(tmp_path / "r")
    repo.stage({"pyproject.toml": "tool = 5\n", "src/auth/a.py": "x = 1\n"})
    code, report = repo.check_staged("x", "backend-coder")
    assert code in (0, 1), report
    proc = repo.gk("status")
    assert proc.returncode == 0, proc.stderr
