# gatekeeper/errors.py: the exit codes and the exceptions that carry them.
"""Exit codes (one IntEnum) and the user-facing errors that map onto them."""

from __future__ import annotations

import enum


class Exit(enum.IntEnum):
    """The public exit codes of every command (DESIGN.md section 1)."""

    OK = 0
    BLOCKED = 1
    USAGE = 2
    INTERNAL = 3


class GatekeeperError(Exception):
    """A problem the user can fix: printed as one line, never with a traceback."""

    code = Exit.USAGE


class ConfigError(GatekeeperError):
    """A malformed ledger, policy or config file.

    `where` is "path:line" (or just the path) so the message points at the spot.
    """

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: {what}")
        self.where = where
        self.what = what

    def __reduce__(self) -> tuple[type[ConfigError], tuple[str, str]]:
        # A worker process (gatekeeper/workers.py) hands its error to the parent pickled.
        return (type(self), (self.where, self.what))


class NotARepository(GatekeeperError):
    """The command needs a git repository and there is none."""


class GitError(GatekeeperError):
    """git itself failed in a way the user can act on (shallow clone, bad revision)."""


class RefusedError(GatekeeperError):
    """An orchestrator command refused, e.g. a phase change out of order."""
