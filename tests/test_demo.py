# tests/test_demo.py: the README's main command, `gatekeeper demo`, shows the three headline gates.
from __future__ import annotations

from pathlib import Path

from helpers import gk


def test_demo_blocks_each_headline_gate_then_passes(tmp_path: Path) -> None:
    proc = gk(tmp_path, "demo")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for rule in ("phase-gate", "domain-boundary", "scope-budget"):
        assert f"BLOCK {rule}" in out, rule
    assert out.count("escalation: E-") == 3
    # The inbox listing shows the three notes, and the demo ends on its success line.
    listing = out.split("The orchestrator's inbox", 1)[1]
    for rule in ("phase-gate", "domain-boundary", "scope-budget"):
        assert rule in listing
    assert "Demo complete" in out


def test_demo_commands_can_be_copied(tmp_path: Path) -> None:
    """Every `$ ` line is a shell command as it must be typed: arguments with spaces or
    globs are quoted (a copied `--paths src/auth/**` would be expanded by the shell)."""
    import shlex

    proc = gk(tmp_path, "demo")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    shown = [ln[2:] for ln in proc.stdout.splitlines() if ln.startswith("$ ")]
    assert "gatekeeper feature add auth --paths 'src/auth/**' 'migrations/**' --estimate 40 " \
           "--title 'Login with tokens'" in shown
    assert "git commit -q -m 'auth enters CODE' --trailer 'PACT-Agent: orchestrator' -- .pact" \
           in shown
    for line in shown:
        assert shlex.join(shlex.split(line)) == line, line
