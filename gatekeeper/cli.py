# gatekeeper/cli.py: argument parsing only; each command calls one function in another module.
"""The ``gatekeeper`` command line. Exit codes: 0 allowed, 1 blocked, 2 usage or
configuration error, 3 internal error (with a crash log)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from gatekeeper import __version__
from gatekeeper.errors import Exit, GatekeeperError

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    import argparse
    from typing import Any, NoReturn

PHASE_CHOICES = ("prepare", "architect", "code", "test", "done")
HOOK_STAGES = ("pre-commit", "commit-msg", "pre-push", "pre-receive", "claude")


def _jobs(text: str) -> int:
    import argparse

    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a whole number of workers, 1 or more, not {text!r}")
    return int(text)


class _Unbuilt:
    """Stands for a subcommand's parser that this run does not parse with: every call it
    gets is absorbed (see :func:`_parser`)."""

    def __getattr__(self, _name: str) -> Callable[..., _Unbuilt]:
        return lambda *_args, **_kw: self


class _OneCommand:
    """The subcommands' action, building only ``wanted``'s parser: the others' two dozen
    parsers cost about 5 ms of every ``check --range`` before it starts."""

    def __init__(self, real: Any, wanted: str | None) -> None:
        self.real, self.wanted, self.found = real, wanted, wanted is None

    def add_parser(self, name: str, **kw: Any) -> Any:
        if self.wanted is None or name == self.wanted:
            self.found = True
            return self.real.add_parser(name, **kw)
        return _Unbuilt()


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with ``command``, that subcommand's alone (the full
    parser when there is no such subcommand, so that the error lists them all)."""
    import argparse

    p = argparse.ArgumentParser(prog="gatekeeper", description=(
        "Enforce the PACT workflow in git: phase gates, domain boundaries, scope budgets, "
        "content signals, and algedonic escalation notes."))
    p.add_argument("--version", action="version", version=f"pact-gatekeeper {__version__}")
    p.add_argument("-C", dest="directory", help="run as if started in this directory")
    p.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")
    sub: Any = _OneCommand(p.add_subparsers(dest="command", required=True,
                                            metavar="COMMAND"), command)

    def fmt(sp: argparse.ArgumentParser, extra: tuple[str, ...] = ()) -> None:
        sp.add_argument("--format", choices=("text", "json", *extra), default="text",
                        help="output format (default: text)")

    def subfmt(sp: argparse.ArgumentParser) -> None:
        # Under a parent that has --format too: no default here, so that
        # `escalations --format json list` keeps the parent's value.
        sp.add_argument("--format", choices=("text", "json"), default=argparse.SUPPRESS,
                        help="output format (default: text)")

    sp = sub.add_parser("init", help="scaffold .pact/ and print hook snippets")
    sp.add_argument("--force-config", action="store_true", help=argparse.SUPPRESS)

    feat = sub.add_parser("feature", help="declare features").add_subparsers(
        dest="feature_cmd", required=True, metavar="SUBCOMMAND")
    sp = feat.add_parser("add", help="declare a feature with its paths and estimate")
    sp.add_argument("id", help="the feature's id, a slug such as auth or billing-v2")
    sp.add_argument("--paths", nargs="+", required=True, metavar="GLOB",
                    help="gitignore-style globs of the feature's files, e.g. 'src/auth/**'")
    sp.add_argument("--estimate", type=int, metavar="LINES",
                    help="lines changed (added + deleted) the work should take; the scope "
                         "budget blocks above it +20%%")
    sp.add_argument("--title", help="a human-readable name")

    sp = sub.add_parser("phase", help="move a feature to a phase", description=(
        "Move a feature to a phase. Phases run in order: prepare, architect, code, test, "
        "done. PREPARE and ARCHITECT may be skipped only with a sanctioned --skip-reason; "
        "CODE is never skipped and needs an approved architecture (or a skipped "
        "ARCHITECT); TEST may be skipped only with --skip-reason trivial_change."))
    sp.add_argument("id", help="a declared feature's id")
    sp.add_argument("phase", choices=PHASE_CHOICES, help="the phase to enter: %(choices)s")
    sp.add_argument("--skip-reason", metavar="REASON",
                    help="why the phases between the current one and PHASE are skipped: "
                         "plan_section_complete, structured_gate_passed or "
                         "decomposition_active (PREPARE, ARCHITECT); trivial_change (TEST)")

    sp = sub.add_parser("approve", help="approve an artifact (records its sha256)")
    sp.add_argument("id", help="a declared feature's id")
    sp.add_argument("path", help="the document to approve; it must exist (its sha256 is "
                                 "recorded), e.g. docs/architecture/ID.md")
    sp.add_argument("--kind", choices=("preparation", "architecture", "plan"),
                    help="what the document is (default: guessed from its path, else "
                         "architecture)")

    sp = sub.add_parser("estimate", help="revise a feature's estimate")
    sp.add_argument("id", help="a declared feature's id")
    sp.add_argument("lines", type=int, help="the new estimate, in lines changed")
    sp.add_argument("--reason", required=True, help="why the plan changed (recorded)")

    sp = sub.add_parser("waive", help="waive a rule (an orchestrator decision in the ledger)")
    sp.add_argument("rule", help="the rule id to waive, e.g. scope-budget")
    sp.add_argument("--reason", required=True,
                    help="the justification: at least 12 characters, not a placeholder")
    sp.add_argument("--feature", help="waive it only for this feature")
    sp.add_argument("--path", metavar="GLOB", help="waive it only for paths this glob matches")
    sp.add_argument("--expires", metavar="DATE",
                    help="last day the waiver applies (YYYY-MM-DD, inclusive; default: never)")

    sp = sub.add_parser("status", help="where every feature stands")
    fmt(sp)

    sp = sub.add_parser("check", help="judge the index, a commit or a range")
    mode = sp.add_mutually_exclusive_group()
    mode.add_argument("--staged", action="store_true", help="the index against HEAD (default)")
    mode.add_argument("--commit", metavar="REV", help="one commit, against its parent")
    mode.add_argument("--range", metavar="A..B",
                      help="every commit in A..B, each against its parent's ledger")
    sp.add_argument("--ci", action="store_true",
                    help="judge the range the CI environment names (GitHub Actions push or "
                         "pull_request, GitLab CI); --range overrides it on other CI systems")
    sp.add_argument("--sarif-file", type=Path, metavar="F",
                    help="also write the report as SARIF 2.1.0 to F (any --format)")
    sp.add_argument("--message-file", type=Path, metavar="F",
                    help="with --staged: the commit message whose trailers to read")
    sp.add_argument("--agent", metavar="ROLE",
                    help="the PACT role to judge as (instead of the PACT-Agent trailer)")
    sp.add_argument("--no-notes", action="store_true", help="do not write escalation notes")
    sp.add_argument("--jobs", type=_jobs, metavar="N",
                    help="worker processes for a long range (default: GATEKEEPER_JOBS, else "
                         "the CPUs, at most 4; 1: judge in one process)")
    sp.add_argument("--explain", action="store_true",
                    help="say for each rule why it passed, failed or did not apply")
    fmt(sp, ("sarif",))

    sp = sub.add_parser("hook", help="run as a git hook (used by installed hooks)")
    sp.add_argument("stage", choices=HOOK_STAGES, help="the git hook: %(choices)s")
    sp.add_argument("args", nargs="*",
                    help="what git passes the hook (commit-msg: the message file; "
                         "pre-push: the remote's name and URL)")
    sp.add_argument("--agent", metavar="ROLE",
                    help="the PACT role to judge as (instead of the trailer or PACT_AGENT)")

    esc = sub.add_parser("escalations", help="list, show and resolve escalation notes")
    fmt(esc)
    esc_sub = esc.add_subparsers(dest="esc_cmd", metavar="SUBCOMMAND")
    sp = esc_sub.add_parser("list", help="list notes (default: the open ones)")
    sp.add_argument("--status", choices=("open", "all"), default="open",
                    help="open notes only (default) or all")
    sp.add_argument("--level", choices=("HALT", "ALERT"), help="only notes of this level")
    subfmt(sp)
    sp = esc_sub.add_parser("show", help="one note in full")
    sp.add_argument("id", help="the note's id, E-... (as printed by a block)")
    subfmt(sp)
    sp = esc_sub.add_parser("resolve", help="record the decision on a note")
    sp.add_argument("id", help="the note's id, E-... (as printed by a block)")
    sp.add_argument("--outcome", required=True, choices=("acknowledged", "overridden", "resolved"),
                    help="acknowledged (the human has seen it), resolved (the cause is fixed) "
                         "or overridden (go on despite it)")
    sp.add_argument("--note", required=True,
                    help="what was decided; overriding a HALT needs a written justification")
    subfmt(sp)

    pol = sub.add_parser("policy", help="list rules or explain one")
    fmt(pol)
    pol_sub = pol.add_subparsers(dest="policy_cmd", metavar="SUBCOMMAND")
    sp = pol_sub.add_parser("list", help="every rule and its action now")
    subfmt(sp)
    sp = pol_sub.add_parser("explain", help="what a rule enforces, a violation and its fix")
    sp.add_argument("rule", help="the rule id, e.g. scope-budget")
    subfmt(sp)

    sp = sub.add_parser("install", help="install git hooks here, or the pre-receive on a server")
    sp.add_argument("--server", metavar="BARE_REPO", type=Path,
                    help="the bare repository the team pushes to (gets the pre-receive hook)")
    sp.add_argument("--claude", action="store_true",
                    help="merge the Claude Code hooks into .claude/settings.json")

    sp = sub.add_parser("uninstall", help="remove what install added (only that)")
    sp.add_argument("--server", metavar="BARE_REPO", type=Path,
                    help="remove the pre-receive hook from this bare repository, restoring a "
                         "hook it had chained")
    sp.add_argument("--claude", action="store_true",
                    help="remove the Claude Code hooks from .claude/settings.json")

    sp = sub.add_parser("schema", help="print a JSON Schema (config, ledger event, policy pack, "
                        "JSON report, JSON status)")
    sp.add_argument("name", choices=("config", "ledger", "policy", "report", "status"),
                    help="which file or output the schema describes")

    sp = sub.add_parser("guard", help="judge one proposed file change (for agent harnesses)")
    sp.add_argument("path", metavar="PATH", help="the file the agent proposes to change")
    sp.add_argument("--agent", metavar="ROLE", required=True,
                    help="the PACT role of the agent proposing the change")
    sp.add_argument("--content-file", metavar="F",
                    help="the proposed content ('-' for stdin); default: the file as it is now")
    sp.add_argument("--delete", action="store_true", help="judge deleting PATH")
    sp.add_argument("--no-notes", action="store_true", help="do not write escalation notes")
    fmt(sp)

    sp = sub.add_parser("demo", help="walk a throwaway PACT repository through the three gates")
    sp.add_argument("--keep", action="store_true", help="keep the demo repository")
    return p if sub.found else _parser()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gatekeeper`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    wanted = argv[0] if argv and not argv[0].startswith("-") else None
    args = _hook_args(argv) or _parser(wanted).parse_args(argv)
    early = (args.command == "hook" and args.stage in ("commit-msg", "pre-commit", "pre-receive")
             and not args.directory and _start_early(args.stage, args.args[0] if args.args else None))
    try:
        if args.directory:
            os.chdir(args.directory)
        from gatekeeper import commands

        return int(commands.dispatch(args))
    except GatekeeperError as exc:
        sys.stderr.write(f"gatekeeper: error: {exc}\n")
        return int(exc.code)
    except KeyboardInterrupt:
        sys.stderr.write("gatekeeper: interrupted\n")
        return 130
    except BrokenPipeError:
        return int(Exit.OK)
    except Exception as exc:
        if args.debug:
            raise
        return _crash(exc)
    finally:
        if early:
            from gatekeeper import early as early_mod

            early_mod.finish()


def exit_process(code: int) -> NoReturn:
    """End ``python -m gatekeeper`` with ``code``.

    The interpreter's teardown (freeing, one by one, every object a run left) is skipped:
    about 5 ms after a staged hook, 15 ms after a 1,500-commit push. Once both streams are
    flushed, the ``atexit`` callbacks (a coverage tool, a temporary directory to remove)
    run here, and the process ends with ``os._exit``. Every file the gatekeeper writes is
    closed (and fsynced) before :func:`main` returns. The normal exit is kept when a
    thread other than a daemon still runs (the normal exit waits for it), when a stream
    cannot be flushed (the normal exit reports, or ignores, that as it always has), and
    where ``atexit`` cannot run its callbacks on demand (not CPython). Never called by
    :func:`main` itself, which callers may run in their own process.
    """
    import atexit

    run_callbacks = getattr(atexit, "_run_exitfuncs", None)
    threading = sys.modules.get("threading")
    waited = threading is not None and any(
        t.is_alive() and not t.daemon and t is not threading.main_thread()
        for t in threading.enumerate())
    if run_callbacks is not None and not waited:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        else:
            run_callbacks()  # and forgets them: the normal exit would not run them again
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
    raise SystemExit(code)


def _start_early(stage: str, message_file: str | None) -> bool:
    """Start a hook's first git processes now, to overlap the imports (see
    gatekeeper/early.py). Any failure here leaves the work to the normal path."""
    try:
        from gatekeeper import early
    except Exception:  # the normal path starts (and reports) them itself
        return False
    import contextlib  # already loaded: gatekeeper.git's subprocess imports it

    # What did start before a failure is claimed later, or stopped by early.finish().
    with contextlib.suppress(Exception):
        if stage == "pre-receive":
            early.start_server()
        else:
            early.start_staged(message_file)
    return True


def _hook_args(argv: list[str]) -> argparse.Namespace | None:
    """``gatekeeper hook STAGE [args] [--agent ROLE]`` parsed without argparse.

    Hooks run on every commit, and building the full parser costs a few milliseconds of
    a budget measured in tens; anything unusual falls back to the real parser.
    """
    if len(argv) < 2 or argv[0] != "hook" or argv[1] not in HOOK_STAGES:
        return None
    rest, agent = argv[2:], None
    if any(a in ("-h", "--help") for a in rest):
        return None
    if "--agent" in rest:
        i = rest.index("--agent")
        if i + 1 >= len(rest):
            return None
        agent = rest[i + 1]
        rest = rest[:i] + rest[i + 2 :]
    if any(a.startswith("--") for a in rest):
        return None
    from types import SimpleNamespace

    ns: Any = SimpleNamespace(command="hook", stage=argv[1], args=rest, agent=agent,
                              directory=None, debug=False)
    return ns  # type: ignore[no-any-return]


def _crash(exc: BaseException) -> int:
    # Imported here, not at the top: only a crash needs them, and every hook run would
    # otherwise pay for them (traceback alone pulls in tokenize, linecache and textwrap).
    import datetime as dt
    import tempfile
    import traceback

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    log = Path(tempfile.gettempdir()) / f"gatekeeper-crash-{stamp}-{os.getpid()}.log"
    try:
        log.write_text(f"pact-gatekeeper {__version__}\nargv: {sys.argv}\n\n"
                       + "".join(traceback.format_exception(exc)), encoding="utf-8")
        where = str(log)
    except OSError:
        where = "(could not write a crash log)"
    sys.stderr.write(f"gatekeeper: internal error: {type(exc).__name__}: {exc}\n"
                     f"A crash log is at {where}. Please report it with that file.\n")
    return int(Exit.INTERNAL)
