# gatekeeper/orchestrator.py: the orchestrator's ledger commands: feature add, phase, approve, estimate,
# waive, resolve; and the undershoot alert when a feature enters TEST.
"""Commands that append events to the ledger. Each one validates the new event, folds it
onto the current state (so an out-of-order phase change is refused with the missing step)
and appends it atomically under a lock. Agents only read the ledger.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from gatekeeper import fsutil, git, yamlio
from gatekeeper.digest import sha256_hex
from gatekeeper.errors import GatekeeperError, RefusedError
from gatekeeper.ledger import (
    LEDGER_PATH,
    SKIP_REASONS,
    TEST_SKIP_REASON,
    LedgerState,
    append,
    now,
    parse,
    validate_event,
)
from gatekeeper.ledger import apply as apply_event

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any

#: Shortest acceptable waiver reason (schema.is_placeholder enforces it).
MIN_REASON = 12
#: The rule id of the undershoot note (raised at ``phase ID test``, not by a policy rule).
UNDERSHOOT_RULE = "scope-undershoot"


def who(repo: git.Repo) -> str:
    """The approver recorded with an event: the git committer's email (or name)."""
    name, email = git.ident(repo, "COMMITTER")
    return email or name or "unknown"


def ledger_file(repo: git.Repo) -> Path:
    """The working tree's ledger file."""
    if repo.top is None:
        raise GatekeeperError("the orchestrator's commands need a working tree, not a bare repository")
    return repo.top / LEDGER_PATH


def read_state(repo: git.Repo) -> tuple[str, LedgerState]:
    """The ledger text on disk and its fold.

    The whole context on disk (config, policies, ledger) goes through the same validation
    as ``status`` and the checks (context.load_worktree), so a broken file is refused here
    with the very message a check would give, instead of being written past.
    """
    from gatekeeper.context import load_worktree

    path = ledger_file(repo)
    if not path.exists():
        raise GatekeeperError(f"no ledger at {LEDGER_PATH}; run 'gatekeeper init' first")
    text = yamlio.read_text(path, LEDGER_PATH)
    # The fold of this same text: should the file change in between, append() refuses.
    return text, load_worktree(repo).state


def record(repo: git.Repo, event: dict[str, Any]) -> dict[str, Any]:
    """Validate ``event``, check it against the current state, append it. Returns it as stored."""
    from pydantic import ValidationError

    event = {"event": event.pop("event"), **event, "at": now(), "by": who(repo)}
    try:
        clean = validate_event({k: v for k, v in event.items() if v is not None})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"][1:] if str(p) not in (event["event"],))
        raise RefusedError(yamlio.one_line(f"{loc or 'event'}: {err['msg']}")) from None
    # Keep documents readable: the event kind first, the stamp last.
    clean = {"event": clean["event"],
             **{k: v for k, v in clean.items() if k not in ("event", "at", "by")},
             "at": clean["at"], "by": clean["by"]}
    with fsutil.locked(repo.common_dir / "pact" / "ledger.lock"):
        text, state = read_state(repo)
        apply_event(state, clean)  # raises RefusedError with the missing step
        append(ledger_file(repo), text, clean)
    return clean


def feature_add(repo: git.Repo, fid: str, paths: list[str], estimate: int | None,
                title: str | None) -> dict[str, Any]:
    """Declare a feature with its path globs and estimate (lines changed)."""
    return record(repo, {"event": "feature", "id": fid, "title": title or fid, "paths": paths,
                         "estimate": estimate})


def phase(repo: git.Repo, fid: str, target: str, skip_reason: str | None) -> dict[str, Any]:
    """Move a feature to a phase; entering CODE records HEAD as the scope baseline."""
    if skip_reason and skip_reason not in (*SKIP_REASONS, TEST_SKIP_REASON):
        raise RefusedError(f"--skip-reason {skip_reason!r} is not sanctioned; use one of "
                           f"{', '.join(SKIP_REASONS)} (or {TEST_SKIP_REASON} to skip TEST)")
    baseline = None
    if target == "code":
        with git.CatFile(repo) as cat:
            head = cat.info("HEAD")
        baseline = head[0] if head else None
    return record(repo, {"event": "phase", "feature": fid, "phase": target,
                         "skip_reason": skip_reason, "baseline": baseline})


def infer_kind(path: str) -> str:
    """Artifact kind from PACT's conventional paths."""
    low = path.lower()
    if "preparation" in low:
        return "preparation"
    if "plan" in low.rsplit("/", 1)[-1] or "/plans/" in low:
        return "plan"
    return "architecture"


def approve(repo: git.Repo, fid: str, path: str, kind: str | None) -> dict[str, Any]:
    """Approve an artifact: record its path and the sha256 of its content now."""
    assert repo.top is not None
    file = (Path.cwd() / path).resolve()
    try:
        rel = file.relative_to(repo.top).as_posix()
    except ValueError:
        raise GatekeeperError(f"{path} is outside the repository") from None
    if not file.is_file():
        raise GatekeeperError(f"{rel}: no such file; write the artifact before approving it")
    digest = sha256_hex(file.read_bytes())
    return record(repo, {"event": "approve", "feature": fid, "kind": kind or infer_kind(rel),
                         "path": rel, "sha256": digest})


def estimate(repo: git.Repo, fid: str, lines: int, reason: str) -> dict[str, Any]:
    """Revise a feature's estimate, with the reason."""
    if not reason.strip():
        raise RefusedError("--reason must say why the estimate changes")
    return record(repo, {"event": "estimate", "feature": fid, "lines": lines, "reason": reason})


def waive(repo: git.Repo, rule: str, reason: str, feature: str | None, path: str | None,
          expires: str | None, known_rules: set[str]) -> dict[str, Any]:
    """Append a waiver: an orchestrator decision with reason, scope and expiry.

    Refused: an unknown rule or feature, an empty or placeholder reason, a date that is
    not ``YYYY-MM-DD`` or lies in the past. The approver is recorded with the event.
    """
    from gatekeeper.engine import current_date
    from gatekeeper.schema import is_placeholder

    if rule not in known_rules:
        raise RefusedError(f"no rule {rule!r}; see 'gatekeeper policy list'")
    if is_placeholder(reason):
        raise RefusedError(f"--reason must be a real justification (at least "
                           f"{MIN_REASON} characters, not a placeholder such as 'n/a' or "
                           "'todo')")
    if path is not None and not path.strip():
        raise RefusedError("--path must be a glob such as 'src/auth/**'")
    exp = None
    if expires:
        try:
            exp = dt.date.fromisoformat(expires)
        except ValueError:
            raise RefusedError(f"--expires {expires!r} is not a date (YYYY-MM-DD)") from None
        if exp < current_date():
            raise RefusedError(f"--expires {expires} is in the past")
    _, state = read_state(repo)
    if feature and feature not in state.features:
        raise RefusedError(f"unknown feature {feature!r}; declared: "
                           f"{', '.join(state.features) or 'none'}")
    wid = f"W-{len(state.waivers) + 1}"
    return record(repo, {"event": "waive", "id": wid, "rule": rule, "reason": reason.strip(),
                         "feature": feature, "path": path,
                         "expires": exp.isoformat() if exp else None})


def undershoot(repo: git.Repo, fid: str) -> dict[str, Any] | None:
    """After ``phase ID test``: an ALERT SCOPE note when the feature used less than
    ``[scope] undershoot`` (80%) of its estimate from its baseline to HEAD; None otherwise.

    A warning only: the phase change stands. The note goes to the inbox like any other
    escalation, so the orchestrator sees it in ``status`` and ``escalations list``.
    """
    from gatekeeper.context import inbox_dir, load_worktree
    from gatekeeper.engine import Finding, fingerprint
    from gatekeeper.escalations import Inbox
    from gatekeeper.status import feature_scope

    ctx = load_worktree(repo)
    feat = ctx.state.features.get(fid)
    if feat is None or not feat.estimate:
        return None
    sc = feature_scope(repo, feat, ctx.config.tolerance, ctx.config.undershoot)
    if sc is None or sc["changed"] is None or sc["state"] != "undershoot":
        return None
    floor = round(ctx.config.undershoot * 100)
    message = (f"feature {fid} entered TEST having used {sc['changed']} of "
               f"{feat.estimate} estimated lines ({sc['percent']}%, below {floor}%)")
    finding = Finding(
        rule=UNDERSHOOT_RULE, title="Work well under its estimate", level="ALERT",
        category="SCOPE", action="warn", message=message + ".",
        remedy=(f"Check that CODE is complete (nothing descoped silently). If the estimate "
                f"was simply generous, acknowledge: gatekeeper escalations resolve ID "
                f"--outcome acknowledged --note '...'; or go back: gatekeeper phase {fid} code."),
        impact=("PACT's 20% rule applies both ways: work far under its estimate may mean "
                "missing functionality or a plan that no longer describes the work."),
        paths=list(feat.paths), commit=(sc["baseline"] or "")[:12] + "..HEAD",
        feature=fid, agent="orchestrator",
        fingerprint=fingerprint(UNDERSHOOT_RULE, fid, "orchestrator",
                                f"undershoot:{feat.baseline}"),
    )
    inbox = Inbox(inbox_dir(repo, ctx.config.inbox))
    notes = inbox.record([finding], "client")
    return {**sc, "message": message, "floor": floor, "note": notes[0].id,
            "note_path": str(notes[0].path)}


def resolve_event(repo: git.Repo, note_id: str, outcome: str, note: str) -> dict[str, Any]:
    """Record an escalation's resolution in the ledger, so servers learn of it."""
    return record(repo, {"event": "resolve", "escalation": note_id, "outcome": outcome,
                         "note": note})


def ensure_ledger(repo: git.Repo) -> bool:
    """Create the ledger with its init event if absent. Returns True when it was created."""
    path = ledger_file(repo)
    if path.exists():
        parse(yamlio.read_text(path, LEDGER_PATH), LEDGER_PATH)
        return False
    header = ("# .pact/ledger.yaml: the PACT phase ledger, an append-only stream of events.\n"
              "# Written by the orchestrator through `gatekeeper`; agents only read it.\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    fsutil.atomic_write(path, header.encode())
    append(path, header, {"event": "init", "version": 1, "at": now(), "by": who(repo)})
    return True
