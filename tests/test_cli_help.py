# tests/test_cli_help.py: every positional and option of the CLI explains itself in --help.
from __future__ import annotations

import argparse
from pathlib import Path

from helpers import gk

from gatekeeper.cli import _parser


def _undocumented(p: argparse.ArgumentParser, name: str) -> list[str]:
    out = []
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            helped = {a.dest for a in action._choices_actions if a.help}
            for sub, sp in action.choices.items():
                if sub not in helped:
                    out.append(f"{name} {sub} (the subcommand)")
                out.extend(_undocumented(sp, f"{name} {sub}"))
        elif not action.help:
            out.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    return out


def test_every_positional_and_option_has_help() -> None:
    assert _undocumented(_parser(), "gatekeeper") == []


def test_phase_help_lists_the_skip_reasons(tmp_path: Path) -> None:
    proc = gk(tmp_path, "phase", "--help", env={"COLUMNS": "200"})
    assert proc.returncode == 0
    for reason in ("plan_section_complete", "structured_gate_passed", "decomposition_active",
                   "trivial_change"):
        assert reason in proc.stdout
