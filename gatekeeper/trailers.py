# gatekeeper/trailers.py: commit trailers exactly as git reads them (log stream, commit-msg file).
"""Trailers (``PACT-Agent: backend-coder``) are identity, so they are read by git's own rules,
never by a look-alike parser:

- for a commit, the log stream carries ``%(trailers:only,unfold)``: git's parse of the
  recorded message, which :func:`parse_block` turns into a dictionary;
- for the commit-msg hook, :func:`staged_block` first cleans the message file as
  ``git commit`` will (``commit.cleanup``: strip when an editor was used, else whitespace;
  scissors; verbatim), then lets ``git interpret-trailers --parse --no-divider`` (the parse
  ``%(trailers)`` uses) find the block. One process; a second one (``git config``) only when
  the message has a line the cleanup mode could treat differently.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any

#: git's cut line; the comment character is put in front of it.
SCISSORS = " ------------------------ >8 ------------------------"
CLEANUP_MODES = ("strip", "whitespace", "verbatim", "scissors", "default")


def parse_block(block: str | None) -> dict[str, str]:
    """``Key: value`` lines (git's unfolded trailer block) -> {lower-cased key: value}.

    Later keys win, as everywhere in the gatekeeper: ``git commit --trailer`` appends, so
    the last ``PACT-Agent`` is the one a user added to correct an earlier one.
    """
    found: dict[str, str] = {}
    if not block:
        return found
    for line in block.replace("\r\n", "\n").split("\n"):
        key, sep, value = line.partition(":")
        key = key.strip()
        if sep and key:
            found[key.lower()] = value.strip()
    return found


def _stripspace(text: str, comment: str | None) -> str:
    """``git stripspace`` (with ``-s`` when ``comment`` is given): drop trailing whitespace,
    comment lines, leading/trailing blank lines, and collapse runs of blank lines."""
    out: list[str] = []
    blank = 0
    for line in text.split("\n"):
        if comment is not None and line.startswith(comment):
            continue
        line = line.rstrip(" \t\r\n\v\f")
        if not line:
            blank += 1
            continue
        if out and blank:
            out.append("")
        blank = 0
        out.append(line)
    return "\n".join(out) + "\n" if out else ""


def cleanup(message: str, mode: str, *, editing: bool, comment: str = "#") -> str:
    """The message ``git commit`` records from the commit-msg hook's file.

    ``mode`` is ``commit.cleanup``; ``editing`` tells whether an editor was used (git sets
    ``GIT_EDITOR=:`` for the hooks when none is). Mirrors builtin/commit.c: the scissors
    cut applies in scissors mode and to an edited ``commit -v`` message (a diff below the
    cut line), then whitespace cleanup, stripping comments only in strip mode (scissors
    mode is whitespace plus the cut).
    """
    if mode == "default":
        mode = "strip" if editing else "whitespace"
    if mode == "scissors" and not editing:
        mode = "whitespace"  # git: scissors without an editor is whitespace
    cut = comment + SCISSORS
    lines = message.split("\n")
    for i, line in enumerate(lines):
        if line.rstrip("\r") != cut:
            continue
        # ``commit -v`` puts the diff below the cut line; git truncates there (it knows
        # it ran verbose; a hook can only see the diff).
        # Its own lines follow the cut line: comment lines ("Do not modify or remove the
        # line above."), then the diff.
        rest = lines[i + 1:]
        verbose = editing and bool(rest) and rest[0].startswith(comment) and any(
            ln.startswith("diff --git ") for ln in rest)
        if mode == "scissors" or verbose:
            message = "\n".join(lines[:i]) + ("\n" if i else "")
        break
    if mode == "verbatim":
        return message
    return _stripspace(message, comment if mode == "strip" else None)


def _needs_config(message: str) -> bool:
    """True when the cleanup mode or comment character could change what git records:
    a line that could be a comment or a cut line, or leading blank lines (verbatim)."""
    if message[:1] in ("\n", "\r", " ", "\t"):
        return True
    return any(line[:1] and not line[:1].isalnum() for line in message.split("\n")[1:]) or (
        bool(message[:1]) and not message[:1].isalnum())


def _git(args: list[str], cwd: Path, data: bytes | None = None) -> bytes:
    from gatekeeper import git  # here: gatekeeper.git imports this module's users

    return git.run(args, cwd, input=data, check=False)


def cleanup_settings(cwd: Path) -> tuple[str, str]:
    """(commit.cleanup, comment string) of the repository, with git's defaults."""
    got = _git(["config", "-z", "--get-regexp", r"^(commit\.cleanup|core\.comment(char|string))$"],
               cwd)
    mode, comment = "default", "#"
    for entry in got.decode("utf-8", "replace").split("\0"):
        key, _, value = entry.partition("\n")
        if key == "commit.cleanup" and value.strip().lower() in CLEANUP_MODES:
            mode = value.strip().lower()
        elif key in ("core.commentchar", "core.commentstring") and value and value != "auto":
            comment = value
    return mode, comment


class Pending:
    """A running ``git interpret-trailers``: started early, read when needed, so that its
    start-up overlaps the hook's other work (it is on the commit-msg hot path)."""

    def __init__(self, proc: Any = None) -> None:
        self._proc = proc

    def result(self) -> str:
        """The trailer block git found (waits for the process)."""
        if self._proc is None:
            return ""
        out = self._proc.stdout.read()  # stdin is already closed: no communicate()
        self._proc.wait()
        return bytes(out).decode("utf-8", "replace")

    def discard(self) -> None:
        """Stop the process unread (an early start nobody claimed)."""
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.stdout.close()
            self._proc.wait()


#: Reads started by gatekeeper/early.py before the hook's imports, by (directory, message,
#: GIT_EDITOR): the inputs of :func:`start_staged_block`'s result.
EARLY: dict[tuple[str, str, str], Pending] = {}


def start_staged_block(cwd: Path, message: str, env: Mapping[str, str] | None = None) -> Pending:
    """Start reading the trailer block the commit being made will have, as git will read
    it back with ``%(trailers:only,unfold)``; :meth:`Pending.result` gives it.

    ``message`` is the commit-msg hook's file; an empty message has none.
    """
    if not message.strip():
        return Pending()
    env = os.environ if env is None else env
    early = EARLY.pop((str(cwd), message, env.get("GIT_EDITOR", "")), None)
    if early is not None:
        return early
    import subprocess

    from gatekeeper import git  # here: gatekeeper.git imports this module's users

    editing = env.get("GIT_EDITOR", "") != ":"
    mode, comment = cleanup_settings(cwd) if _needs_config(message) else ("default", "#")
    text = cleanup(message, mode, editing=editing, comment=comment)
    proc = git._popen(["interpret-trailers", "--parse", "--no-divider"], cwd,
                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None
    try:
        proc.stdin.write(text.encode("utf-8", "surrogateescape"))  # git reads it all first
        proc.stdin.close()
    except BrokenPipeError:
        pass
    return Pending(proc)


def staged_block(cwd: Path, message: str, env: Mapping[str, str] | None = None) -> str:
    """The trailer block (``Key: value`` lines) the commit being made will have, as git
    will read it back with ``%(trailers:only,unfold)``.

    ``message`` is the commit-msg hook's file; an empty message has none.
    """
    return start_staged_block(cwd, message, env).result()
