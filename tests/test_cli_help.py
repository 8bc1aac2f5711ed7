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


def test_a_parser_built_for_one_command_parses_as_the_full_one() -> None:
    """main() builds only the parser of the command it was given (the others cost about
    5 ms of every run): what it parses must be what the full parser parses."""
    full = _parser()
    commands = [name for a in full._actions if isinstance(a, argparse._SubParsersAction)
                for name in a.choices]
    assert len(commands) >= 15
    samples = [
        ["check", "--range", "a..b", "--format", "json", "--no-notes", "--jobs", "2"],
        ["check", "--staged", "--agent", "backend-coder"],
        ["check", "--ci", "--sarif-file", "out.sarif"],
        ["status", "--format", "json"],
        ["escalations", "resolve", "E-1", "--outcome", "acknowledged", "--note", "n"],
        ["escalations", "--format", "json", "list", "--status", "all"],
        ["policy", "explain", "scope-budget"],
        ["feature", "add", "auth", "--paths", "src/auth/**", "--estimate", "40"],
        ["phase", "auth", "code"],
        ["hook", "pre-receive"],
        ["install", "--server", "srv.git"],
        ["guard", "src/x.py", "--agent", "backend-coder", "--delete", "--format", "json"],
    ]
    for argv in samples:
        assert vars(_parser(argv[0]).parse_args(argv)) == vars(full.parse_args(argv)), argv
    for name in commands:
        alone = _parser(name)
        built = [n for a in alone._actions if isinstance(a, argparse._SubParsersAction)
                 for n in a.choices]
        assert built == [name]
    # No such command: the full parser, whose error names every command.
    assert _undocumented(_parser("chek"), "gatekeeper") == []
    assert [n for a in _parser("chek")._actions if isinstance(a, argparse._SubParsersAction)
            for n in a.choices] == commands
