# gatekeeper/__init__.py: package root of pact-gatekeeper, the git hooks that enforce PACT.
"""pact-gatekeeper: make the PACT workflow's rules mechanical with git hooks."""

from __future__ import annotations

__version__ = "0.1.0"
