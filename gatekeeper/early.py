# gatekeeper/early.py: starts a hook's first git processes before its imports, to overlap them.
"""The commit-msg hook spends most of its time importing the gatekeeper, and then waits,
one after the other, for the git processes a staged check needs. Their command lines do
not depend on anything the imports provide, so :func:`start_staged` starts them first,
from :func:`gatekeeper.cli.main` (for the pre-commit hook too, without the trailers),
and they run on another core meanwhile:

- ``rev-parse`` (:func:`gatekeeper.git.discover`),
- ``diff --cached`` (:func:`gatekeeper.git.staged_changes`),
- ``cat-file --batch-command`` (:class:`gatekeeper.git.CatFile`),
- ``interpret-trailers`` on the message (:func:`gatekeeper.trailers.start_staged_block`).

Each waits in ``gatekeeper.git.EARLY`` (or ``gatekeeper.trailers.EARLY``) until the code
that would have started it asks for the same command, in the same directory, with the same
pipes; it is handed over instead of started again, so verdicts and process counts do not
change. The pre-receive hook starts its own first three the same way
(:func:`start_server`): ``rev-parse``, ``config --get-regexp ^gatekeeper.`` and
``for-each-ref refs/heads/``. :func:`finish` stops what nobody claimed (a hook run from a
subdirectory, or one that stopped early), so no git process outlives the hook.
"""

from __future__ import annotations

import os
import subprocess

from gatekeeper import git, trailers


def _start(args: tuple[str, ...], cwd: str, stdin: int, stdout: int, stderr: int) -> None:
    from pathlib import Path

    proc = git._popen(args, Path(cwd), stdin=stdin, stdout=stdout, stderr=stderr)
    git.EARLY[args] = (cwd, {"stdin": stdin, "stdout": stdout, "stderr": stderr}, proc)


def start_staged(message_file: str | None) -> None:
    """Start the git processes of a staged check in this directory: the commit-msg hook's
    (``message_file``: git's message file) or the pre-commit hook's (None: no message)."""
    from pathlib import Path

    cwd = os.getcwd()
    message = ""
    if message_file is not None:
        try:
            message = Path(message_file).read_bytes().decode("utf-8", "replace")
        except OSError:
            return  # the hook itself reports it
    pipe, null = subprocess.PIPE, subprocess.DEVNULL
    _start(git.DISCOVER, cwd, stdin=null, stdout=pipe, stderr=pipe)
    _start(git.STAGED, cwd, stdin=null, stdout=pipe, stderr=pipe)
    _start(git.CAT_FILE, cwd, stdin=pipe, stdout=pipe, stderr=null)
    env = os.environ
    if message.strip():
        trailers.EARLY[(cwd, message, env.get("GIT_EDITOR", ""))] = \
            trailers.start_staged_block(Path(cwd), message, env)


def start_server() -> None:
    """Start the pre-receive hook's first git processes in this directory (the bare
    repository): its discovery, its ``gatekeeper.*`` settings and its branches."""
    pipe, null = subprocess.PIPE, subprocess.DEVNULL
    cwd = os.getcwd()
    for args in (git.DISCOVER, git.GATEKEEPER_CONFIG, git.BRANCHES):
        _start(args, cwd, stdin=null, stdout=pipe, stderr=pipe)


def finish() -> None:
    """Stop every early process nobody claimed."""
    for _cwd, _pipes, proc in git.EARLY.values():
        if proc.poll() is None:
            proc.kill()
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        proc.wait()
    git.EARLY.clear()
    for pending in trailers.EARLY.values():
        pending.discard()
    trailers.EARLY.clear()
