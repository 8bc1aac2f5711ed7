# tests/test_trailers_git.py: trailers as git reads them, against git itself (issue 9, part 1).
"""Each message is committed for real, under each cleanup mode, with and without an editor.
A commit-msg hook captures the file exactly as hooks see it; the gatekeeper's reading of
that file (:func:`staged_block`) must equal git's parse of the commit it recorded
(``%(trailers:only,unfold)``), and so must the log stream's reading of the commit."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from helpers import git, make_repo

from gatekeeper import git as gkgit
from gatekeeper.trailers import parse_block, staged_block

A = "PACT-Agent: backend-coder"
MESSAGES = [
    f"#1234: add a column\n\n{A}\n",
    f"#1234: add a column\n{A}\n",
    f"fix thing\n\n{A}\n",
    f"fix thing\n\nbody text\n\n{A}\n",
    f"fix thing\n\n{A}\n(cherry picked from commit {'a' * 40})\n",
    f"fix thing\n\n{A}\n\n(cherry picked from commit {'a' * 40})\n",
    f"fix thing\r\n\r\n{A}\r\n",
    f"fix thing\r\n\r\nbody\r\n\r\n{A}\r\nPACT-Feature: auth\r\n",
    f"fix thing\n\n{A}\nPACT-Feature: auth\nSigned-off-by: Bob <bob@example.com>\n",
    f"fix thing\n\nCo-authored-by: Carol <carol@example.com>\nCo-authored-by: Dan <d@e.com>\n{A}\n",
    f"fix thing\n\n{A}\n\nCo-authored-by: Carol <carol@example.com>\n",
    f"fix thing\n\n{A}\n# a comment line\n",
    f"fix thing\n\n{A}\n# Please enter the commit message\n#\n# On branch main\n",
    f"fix thing\n\n# {A}\n",
    f"# {A}\nfix thing\n\nPACT-Agent: database-engineer\n",
    f"{A}\n",
    f"{A}\n\n",
    f"\n\nfix thing\n\n{A}\n",
    f"fix thing\n\nnot a trailer\nstill not\n{A}\n",
    f"fix thing\n\nSigned-off-by: x <x@y>\nnot a trailer\nmore\n{A}\n",
    f"fix thing\n\n{A}\n  continued value\n",
    f"fix thing\n\n{A}\n---\nbelow the divider\n\nX-Other: y\n",
    f"fix thing\n\n{A}\nPACT-Agent: database-engineer\n",
    "fix thing\n\npact-agent:   backend-coder   \n",
    "fix thing\n\nPACT-Agent : backend-coder\n",
    "fix thing\n\n PACT-Agent: backend-coder\n",
    f"fix thing\n\n{A}\n# ------------------------ >8 ------------------------\ndiff --git a/x b/x\n",
    f"fix thing\n\n# ------------------------ >8 ------------------------\n{A}\n",
    f"fix thing\n\n{A}\n\n\n\n",
    f"fix thing   \n\n{A}   \n",
    f"fix thing\n\nhttp://example.com: not a key\n{A}\n",
    f"#1234 fix\n#\n{A}\n",
    f"[ABC-12] fix\n\n{A}\nReviewed-by: Eve <eve@example.com>\n",
    f"fix thing\n\nFixes: #12\n{A}\n",
    f"fix thing\n\n{A}\n\t\n",
]
MODES = ["default", "strip", "whitespace", "verbatim", "scissors"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("trailers")
    r = make_repo(base / "r")
    capture = base / "capture"
    capture.mkdir()
    hook = r.path / ".git" / "hooks" / "commit-msg"
    hook.write_text(f'#!/bin/sh\ncp "$1" "{capture}/msg"\nprintf %s "${{GIT_EDITOR-unset}}" '
                    f'> "{capture}/editor"\n', encoding="utf-8")
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    return r.path, capture


def _commit(path: Path, capture: Path, message: str, mode: str, editing: bool,
            ) -> tuple[str, str, dict[str, str]] | None:
    msg = path.parent / "message.txt"
    msg.write_bytes(message.encode())
    # The repository's mode (commit.cleanup), as a hook can read it; a --cleanup option on
    # the command line is invisible to hooks.
    git(path, "config", "commit.cleanup", mode)
    args = ["commit", "-q", "--allow-empty", "-F", str(msg)]
    env = {"GIT_EDITOR": "true"} if editing else {}
    if editing:
        args.append("-e")
    proc = git(path, *args, env=env, check=False)
    if proc.returncode != 0:
        assert "empty commit message" in proc.stderr, proc.stderr
        return None  # git refused the message (e.g. only comments): nothing to compare
    seen = (capture / "msg").read_bytes().decode()
    hook_env = {} if (capture / "editor").read_text() == "unset" else {
        "GIT_EDITOR": (capture / "editor").read_text()}
    got = git(path, "log", "-1", "--format=%(trailers:only,unfold)").stdout
    return seen, got, hook_env


@pytest.mark.parametrize("editing", [False, True], ids=["no-editor", "editor"])
@pytest.mark.parametrize("mode", MODES)
def test_staged_trailers_equal_gits_parse_of_the_recorded_commit(
        repo: tuple[Path, Path], mode: str, editing: bool) -> None:
    path, capture = repo
    assert len(MESSAGES) >= 30
    wrong = []
    for message in MESSAGES:
        got = _commit(path, capture, message, mode, editing)
        if got is None:
            continue
        seen, gits, hook_env = got
        ours = parse_block(staged_block(path, seen, hook_env))
        if ours != parse_block(gits):
            wrong.append((message, ours, gits))
        # The log stream reads the same commit the way git does, too.
        head = next(iter(gkgit.log_changes(gkgit.discover(path), ["HEAD"], ["HEAD^"])))
        assert head.trailers() == parse_block(gits), message
    assert not wrong, wrong


def test_hash_subject_identity_is_seen_by_log_and_hook(repo: tuple[Path, Path]) -> None:
    """The most common hole on real histories: an issue-number subject hid the trailer."""
    path, capture = repo
    got = _commit(path, capture, f"#1234: add a column\n\n{A}\n", "default", False)
    assert got is not None
    seen, _gits, hook_env = got
    assert parse_block(staged_block(path, seen, hook_env)) == {"pact-agent": "backend-coder"}
    head = next(iter(gkgit.log_changes(gkgit.discover(path), ["HEAD"], ["HEAD^"])))
    assert head.trailers()["pact-agent"] == "backend-coder"


FRAGMENTS = [
    "#12: subject", "subject", "", "", "body line", "  indented", "# comment", "#",
    A, "PACT-Agent: database-engineer", "PACT-Feature: auth", "Co-authored-by: C <c@e.com>",
    "Signed-off-by: S <s@e.com>", f"(cherry picked from commit {'b' * 40})", "not: a trailer?",
    "Key with space: v", "---", "# ------------------------ >8 ------------------------",
    "\tcontinued", "x\r", "", "Reviewed-by: R <r@e.com>",
]


def test_random_messages_equal_gits_parse(repo: tuple[Path, Path]) -> None:
    """Messages assembled at random from awkward fragments (fixed seed), each mode and
    editor setting in turn: the hook's reading equals git's parse of what it recorded."""
    import random

    rnd = random.Random(20261129)
    path, capture = repo
    wrong, compared = [], 0
    for i in range(60):
        lines = [rnd.choice(FRAGMENTS) for _ in range(rnd.randint(1, 9))]
        message = "\n".join(lines) + ("\n" if rnd.random() < 0.8 else "")
        mode, editing = MODES[i % len(MODES)], bool(i % 2)
        got = _commit(path, capture, message, mode, editing)
        if got is None:
            continue
        compared += 1
        seen, gits, hook_env = got
        if parse_block(staged_block(path, seen, hook_env)) != parse_block(gits):
            wrong.append((mode, editing, message, gits))
    assert compared >= 40 and not wrong, wrong
