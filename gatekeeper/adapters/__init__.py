# gatekeeper/adapters/__init__.py: adapters turn a host's input (CI, Claude Code) into a check.
"""Host adapters: each turns its host's input into a ChangeSet or range and the verdict into
its host's output."""

from __future__ import annotations
