# gatekeeper/adapters/__init__.py: adapters from a host (Claude Code, other harnesses) to a verdict.
"""Each adapter turns its host's input into a ChangeSet, judges it with the same engine,
ledger and policies as the git hooks, and answers in its host's protocol."""
