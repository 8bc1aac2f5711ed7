# gatekeeper/commands.py: one function per CLI command; each calls into the modules that do the work.
"""Command implementations behind :mod:`gatekeeper.cli`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from gatekeeper import git
from gatekeeper.errors import Exit, GatekeeperError
from gatekeeper.report import dump_json, render_text, to_json

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    import argparse

    from gatekeeper import install as install_mod


def _repo() -> git.Repo:
    return git.discover()


def _print(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def cmd_init(args: argparse.Namespace) -> int:
    from gatekeeper import init

    _print(init.init(_repo(), force_config=bool(getattr(args, "force_config", False))))
    return Exit.OK


#: How a ledger decision takes effect: committed alone (the pathspec keeps an agent's staged
#: files out of the orchestrator's commit).
COMMIT_ALONE = ("commit it alone: git commit -m 'ledger' --trailer 'PACT-Agent: orchestrator' "
                "-- .pact")


def cmd_feature(args: argparse.Namespace) -> int:
    from gatekeeper import orchestrator

    ev = orchestrator.feature_add(_repo(), args.id, args.paths, args.estimate, args.title)
    est = f", estimate {ev['estimate']} lines" if ev.get("estimate") is not None else ""
    _print(f"declared feature {ev['id']} ({', '.join(ev['paths'])}{est}); {COMMIT_ALONE}")
    return Exit.OK


def cmd_phase(args: argparse.Namespace) -> int:
    from gatekeeper import orchestrator

    repo = _repo()
    ev = orchestrator.phase(repo, args.id, args.phase, args.skip_reason)
    extra = f" (baseline {ev['baseline'][:12]})" if ev.get("baseline") else ""
    skip = f", skipping with reason {ev['skip_reason']}" if ev.get("skip_reason") else ""
    _print(f"feature {args.id} entered {args.phase.upper()}{skip}{extra}")
    if args.phase == "test":
        try:
            under = orchestrator.undershoot(repo, args.id)
        except (GatekeeperError, OSError) as exc:
            sys.stderr.write(f"gatekeeper: warning: could not check the estimate: {exc}\n")
            under = None
        if under is not None:
            _print(f"ALERT SCOPE (not blocking): {under['message']}.\n"
                   f"  escalation note: {under['note']} ({under['note_path']})\n"
                   "  Check that nothing was descoped silently, then:\n"
                   f"  gatekeeper escalations resolve {under['note']} --outcome acknowledged "
                   "--note '...'")
    return Exit.OK


def cmd_approve(args: argparse.Namespace) -> int:
    from gatekeeper import orchestrator

    ev = orchestrator.approve(_repo(), args.id, args.path, args.kind)
    _print(f"approved {ev['kind']} {ev['path']} for {args.id} (sha256 {ev['sha256'][:12]})")
    return Exit.OK


def cmd_estimate(args: argparse.Namespace) -> int:
    from gatekeeper import orchestrator

    orchestrator.estimate(_repo(), args.id, args.lines, args.reason)
    _print(f"estimate of {args.id} is now {args.lines} lines")
    return Exit.OK


def cmd_waive(args: argparse.Namespace) -> int:
    from gatekeeper import orchestrator
    from gatekeeper.context import load_worktree

    repo = _repo()
    known = {r.id for r in load_worktree(repo).rules}
    ev = orchestrator.waive(repo, args.rule, args.reason, args.feature, args.path, args.expires,
                            known)
    scope = ", ".join(f"{k}={ev[k]}" for k in ("feature", "path", "expires") if ev.get(k))
    _print(f"waiver {ev['id']} for {ev['rule']}" + (f" ({scope})" if scope else "")
           + f" recorded; {COMMIT_ALONE}")
    return Exit.OK


def cmd_status(args: argparse.Namespace) -> int:
    from gatekeeper import status

    repo = _repo()
    data = status.collect(repo)
    _print(dump_json(data) if args.format == "json" else status.render(data, sys.stdout))
    return Exit.OK


def cmd_check(args: argparse.Namespace) -> int:
    from gatekeeper.checker import Options, check_revisions, check_staged

    repo = _repo()
    import os

    ci = bool(getattr(args, "ci", False))
    if ci and (args.commit or args.staged):
        raise GatekeeperError("--ci judges a range; it does not go with --staged or --commit")
    where = "ci" if ci or ((args.range or args.commit) and os.environ.get("CI")) else "client"
    opts = Options(where=where, agent=args.agent, record=not args.no_notes,
                   jobs=getattr(args, "jobs", None))
    selection = None
    if ci or args.range:
        from gatekeeper.adapters import ci as ci_adapter

        selection = (ci_adapter.select(repo, os.environ, args.range) if ci
                     else ci_adapter.explicit(args.range))
        if selection.include:
            report = check_revisions(repo, selection.include, selection.exclude, opts=opts,
                                     base_label=selection.label, limit=selection.limit)
        else:
            from gatekeeper.report import Report

            report = Report(where=where)
        if ci:
            report.notices.insert(0, selection.notice)
    elif args.commit:
        report = check_revisions(repo, [args.commit], [], opts=opts, limit=1)
    else:
        message = ""
        if args.message_file:
            try:
                message = args.message_file.read_bytes().decode("utf-8", "replace")
            except OSError as exc:
                raise GatekeeperError(f"--message-file: {exc.strerror}: {args.message_file}") from None
        report = check_staged(repo, message=message, opts=opts)
    sarif_file = getattr(args, "sarif_file", None)
    if args.format == "sarif" or sarif_file:
        from gatekeeper.sarif import to_sarif

        sarif = dump_json(to_sarif(report, repo, automation_id=selection.automation_id
                                   if selection is not None and ci else None))
        if sarif_file:
            try:
                sarif_file.write_text(sarif, encoding="utf-8")
            except OSError as exc:
                raise GatekeeperError(f"--sarif-file: {exc.strerror}: {sarif_file}") from None
    if args.format == "json":
        data = to_json(report)
        if ci and selection is not None:
            data["range"] = {"label": selection.label, "why": selection.why,
                             "provider": selection.provider, "include": selection.include,
                             "exclude": selection.exclude}
        _print(dump_json(data))
    elif args.format == "sarif":
        _print(sarif)
    else:
        if args.explain:
            from gatekeeper import explain

            _print(explain.explain_report(report, explain.facts_for_check(repo, args)))
        sys.stdout.write(render_text(report, sys.stdout))
    return Exit.BLOCKED if report.blocked else Exit.OK


def cmd_hook(args: argparse.Namespace) -> int:
    """Run as a git hook. Inputs come the way git gives them (arguments, stdin), or, for
    pre-push under the pre-commit framework, in ``PRE_COMMIT_*`` variables (no stdin)."""
    import os

    if args.stage == "claude":
        # The event names its own directory; the adapter answers on stdout, always exit 0.
        from gatekeeper.adapters import claude

        return claude.main(sys.stdin, sys.stdout)
    from gatekeeper import hooks

    repo = _repo()
    if args.stage == "pre-commit":
        return hooks.pre_commit(repo, agent=args.agent, stream=sys.stderr)
    if args.stage == "commit-msg":
        if not args.args:
            raise GatekeeperError("commit-msg needs the message file (git passes it as the "
                                  "first argument)")
        return hooks.commit_msg(repo, Path(args.args[0]), agent=args.agent, stream=sys.stderr)
    if args.stage == "pre-push" and not args.args and (
            os.environ.get("PRE_COMMIT") == "1"
            or any(os.environ.get(v) for v in hooks.PRE_COMMIT_PUSH_VARS)):
        # git always passes <remote> <url>; pre-commit passes nothing and no stdin.
        return hooks.pre_push_from_env(repo, os.environ, agent=args.agent, stream=sys.stderr)
    lines = sys.stdin.read().splitlines() if not sys.stdin.isatty() else []
    if args.stage == "pre-push":
        remote = args.args[0] if args.args else "origin"
        return hooks.pre_push(repo, remote, lines, agent=args.agent, stream=sys.stderr)
    return hooks.pre_receive(repo, lines, sys.stderr)


def cmd_escalations(args: argparse.Namespace) -> int:
    from gatekeeper import inboxcmd

    return inboxcmd.run(_repo(), args)


def cmd_policy(args: argparse.Namespace) -> int:
    from gatekeeper import explain

    return explain.policy_command(_repo(), args)


def _outcome(out: install_mod.Outcome) -> int:
    if out.lines:
        _print(out.text())
    for w in out.warnings:
        sys.stderr.write(f"gatekeeper: warning: {w}\n")
    return Exit.OK


def cmd_install(args: argparse.Namespace) -> int:
    from gatekeeper import install

    if getattr(args, "claude", False):
        from gatekeeper.adapters import claude_install

        _print(claude_install.install(_repo()))
        return Exit.OK
    if args.server:
        return _outcome(install.install_server(args.server))
    return _outcome(install.install_client())


def cmd_uninstall(args: argparse.Namespace) -> int:
    """Remove what install wrote: client hooks, ``--server BARE_REPO``'s pre-receive, or
    ``--claude``'s settings (the Claude Code adapter's own uninstaller)."""
    from gatekeeper import install

    if getattr(args, "claude", False):
        from gatekeeper.adapters import claude_install

        _print(claude_install.uninstall(_repo()))
        return Exit.OK
    if getattr(args, "server", None):
        return _outcome(install.uninstall_server(args.server))
    return _outcome(install.uninstall_client())


def cmd_schema(args: argparse.Namespace) -> int:
    from gatekeeper import jsonschemas

    sys.stdout.write(jsonschemas.render(args.name))
    return Exit.OK


def cmd_guard(args: argparse.Namespace) -> int:
    from gatekeeper.adapters import guard

    return guard.run(args, sys.stdout)


def cmd_demo(args: argparse.Namespace) -> int:
    from gatekeeper import demo

    return demo.run(keep=args.keep)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "init": cmd_init, "feature": cmd_feature, "phase": cmd_phase, "approve": cmd_approve,
    "estimate": cmd_estimate, "waive": cmd_waive, "status": cmd_status, "check": cmd_check,
    "hook": cmd_hook, "escalations": cmd_escalations, "policy": cmd_policy,
    "install": cmd_install, "uninstall": cmd_uninstall, "demo": cmd_demo, "schema": cmd_schema,
    "guard": cmd_guard,
}


def dispatch(args: argparse.Namespace) -> int:
    """Run the command ``args`` names."""
    return COMMANDS[args.command](args)

