# gatekeeper/escalations.py: algedonic notes: render, de-duplicate by fingerprint, the shared inbox.
"""Escalation notes (PACT's algedonic signals) in ``<git common dir>/pact/escalations/``.

One Markdown file per escalation, with YAML front matter carrying the same fields
machine-readably. The note id derives from the finding's fingerprint, so the same
violation seen again (on this client, or on the server) raises ``attempts`` on the same
note instead of adding one. Every read-modify-write happens under one inbox lock and
ends in an atomic rename: concurrent hooks lose nothing, and a hook killed mid-write
leaves at worst a stray temporary file, never a torn note.

When the same block keeps coming back (a note's ``attempts`` reach the configured
``repeat_threshold``), a second note, rule ``repeated-block``, tells the orchestrator the
agent is looping: ALERT QUALITY, or ALERT META-BLOCK once notes about the feature pile up.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from gatekeeper import fsutil, yamlio
from gatekeeper.engine import Finding
from gatekeeper.errors import GatekeeperError
from gatekeeper.git import Repo
from gatekeeper.ledger import now
from gatekeeper.record import dataclass
from gatekeeper.report import clean_data as _clean

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any

STATUSES = ("open", "acknowledged", "overridden", "resolved")
#: The rule id of a repeated-block note (not a policy rule: the inbox raises it).
REPEAT_RULE = "repeated-block"
#: Open notes on one feature from which a repeated block is a META-BLOCK, not QUALITY.
META_BLOCK_NOTES = 3


def repeat_id(note_id: str) -> str:
    """The id of the repeated-block note about ``note_id``: stable, so it is raised once."""
    from gatekeeper.digest import sha256_hex  # a blocked commit's import only

    return "E-" + sha256_hex(f"repeat\0{note_id}".encode())[:12]


@dataclass
class Note:
    """One escalation note: front matter plus the rendered body."""

    path: Path
    meta: dict[str, Any]

    @property
    def id(self) -> str:
        """The note id (also its file name without .md)."""
        return str(self.meta["id"])

    @property
    def status(self) -> str:
        """open, acknowledged, overridden or resolved."""
        return str(self.meta.get("status", "open"))


def _render(meta: dict[str, Any]) -> str:
    body = [
        f"# {meta['level']}: {meta['category']} ({meta['rule']})",
        "",
        f"**Issue:** {meta['issue']}",
        "",
        f"**Evidence:** {meta['evidence']}",
        "",
        f"**Impact:** {meta['impact']}",
        "",
        f"**Recommended Action:** {meta['recommended_action']}",
        "",
        f"Agent: {meta.get('agent') or 'unknown'} · Feature: {meta.get('feature') or '-'} · "
        f"Commit: {meta.get('commit')} · Attempts: {meta.get('attempts', 1)} · "
        f"Status: {meta.get('status', 'open')}",
    ]
    res = meta.get("resolution")
    if isinstance(res, dict):
        body += ["", f"## Resolution ({res.get('outcome')})", "",
                 f"{res.get('note')}", "", f"By {res.get('by')} at {res.get('at')}."]
    from gatekeeper import flatyaml  # here: a hook that writes no note needs none of it

    front = flatyaml.dump(meta) or yamlio.dump(meta)
    return "---\n" + front + "---\n" + "\n".join(body) + "\n"


def _parse(path: Path, halt_only: bool = False) -> Note | None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---\n", 4)
    if end == -1:
        return None
    if halt_only and "HALT" not in text[4:end] and "\\" not in text[4:end]:
        # YAML spells a HALT level with those four letters, or with a backslash escape in
        # a double-quoted scalar: any other note is not a HALT, and needs no YAML parse
        # (the parser's import, then a parse a note, before a range is judged).
        return None
    from gatekeeper import flatyaml

    meta = flatyaml.load(text[4 : end + 1])  # the notes this inbox writes: no PyYAML
    if meta is None:
        try:
            meta = yamlio.load(text[4 : end + 1], str(path))
        except GatekeeperError:
            return None
    return Note(path=path, meta=meta) if isinstance(meta, dict) and "id" in meta else None


def _evidence(f: Finding) -> str:
    where = ", ".join(f"{p}:{f.line}" if f.line and i == 0 else p
                      for i, p in enumerate(f.paths[:5]))
    if len(f.paths) > 5:
        where += f" (+{len(f.paths) - 5} more)"
    return f"{where or 'commit ' + f.commit}: {f.message}"


def _meta_for(f: Finding, where: str, note_id: str) -> dict[str, Any]:
    extra = {"commits": f.__dict__["commits"]} if "commits" in f.__dict__ else {}
    return extra | {
        "id": note_id, "rule": f.rule, "level": f.level, "category": f.category,
        "status": "open", "issue": f"{f.title}: {f.message.split('. ')[0].rstrip('.')}"[:300],
        "evidence": _evidence(f), "impact": f.impact or "-",
        "recommended_action": f.remedy or "-", "agent": f.agent, "feature": f.feature,
        "commit": f.commit, "paths": f.paths, "line": f.line, "fingerprint": f.fingerprint,
        "attempts": 1, "created": now(), "updated": now(), "where": where,
    }


def _oldest_first(notes: Iterable[Note]) -> list[Note]:
    return sorted(notes, key=lambda n: (str(n.meta.get("created", "")), n.id))


class Inbox:
    """The escalation inbox of one repository."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def _lock(self) -> Path:
        return self.root / ".lock"

    def notes(self, *, halt_only: bool = False) -> list[Note]:
        """Every note, oldest first; with ``halt_only``, at least every HALT note."""
        if not self.root.is_dir():
            return []
        found = [n for p in self.root.glob("E-*.md") if (n := _parse(p, halt_only)) is not None]
        return _oldest_first(found)

    def get(self, note_id: str) -> Note:
        """The note with this id (a unique prefix is enough)."""
        exact = self.root / f"{note_id}.md"
        if exact.is_file():
            note = _parse(exact)
            if note is not None:
                return note
        matches = [n for n in self.notes() if n.id.startswith(note_id)]
        if len(matches) != 1:
            raise GatekeeperError(f"no escalation {note_id!r}" if not matches else
                                  f"{note_id!r} is ambiguous: {', '.join(n.id for n in matches)}")
        return matches[0]

    def record(self, findings: Iterable[Finding], where: str,
               repeat_threshold: int | None = None) -> list[Note]:
        """Write (or bump) one note per finding; set ``finding.escalation``. Returns the notes.

        With ``repeat_threshold``, a note whose ``attempts`` reach it (the same agent blocked
        by the same rule on the same feature again and again) also raises a repeated-block
        note, once per original note; it is returned too, so reports list it.
        """
        written: list[Note] = []
        todo = list(findings)
        if not todo:
            return written
        # The notes are made in memory (a later one sees the earlier ones), then written
        # together: their flushes to disk overlap (see fsutil.atomic_write_many).
        staged: dict[Path, Note] = {}
        with fsutil.locked(self._lock):
            for f in todo:
                note = self._record_one(f, where, staged)
                f.escalation = note.id
                written.append(note)
                if repeat_threshold is not None and f.action == "block":
                    repeat = self._repeated(note, repeat_threshold, where, staged)
                    if repeat is not None:
                        written.append(repeat)
            fsutil.atomic_write_many([(n.path, _render(n.meta).encode("utf-8"))
                                      for n in staged.values()])
        return written

    def _load(self, path: Path, staged: dict[Path, Note]) -> Note | None:
        """The note at ``path``: as staged by this record, else as on disk, else None."""
        got = staged.get(path)
        if got is None and path.exists():
            got = _parse(path)
        return got

    def _record_one(self, f: Finding, where: str, staged: dict[Path, Note]) -> Note:
        base = f"E-{f.fingerprint[:12]}"
        n = 1
        while True:
            note_id = base if n == 1 else f"{base}-{n}"
            path = self.root / f"{note_id}.md"
            existing = self._load(path, staged)
            if existing is None:
                meta = _meta_for(f, where, note_id)
                break
            if existing.status == "open":
                meta = existing.meta
                meta["attempts"] = int(meta.get("attempts", 1)) + 1
                meta["updated"] = now()
                meta["commit"] = f.commit
                meta["evidence"] = _evidence(f)
                if "commits" in f.__dict__:
                    meta["commits"] = f.__dict__["commits"]
                break
            n += 1  # a resolved note stays closed; the same violation again opens a new one
        note = staged[path] = Note(path=path, meta=_clean(meta))
        return note

    def _repeated(self, original: Note, threshold: int, where: str,
                  staged: dict[Path, Note]) -> Note | None:
        """The repeated-block note of ``original`` once its attempts reach ``threshold``."""
        if int(original.meta.get("attempts", 1)) < threshold or original.meta.get("repeat_of"):
            return None
        note_id = repeat_id(original.id)
        path = self.root / f"{note_id}.md"
        existing = self._load(path, staged)
        if existing is not None:
            if existing.status != "open":
                return None  # the orchestrator has already decided about this loop
            meta = existing.meta
            meta["blocked_attempts"] = original.meta.get("attempts")
            meta["commit"] = original.meta.get("commit")
            meta["updated"] = now()
        else:
            meta = self._repeat_meta(original, note_id, where, staged)
        note = staged[path] = Note(path=path, meta=meta)
        return note

    def _repeat_meta(self, original: Note, note_id: str, where: str,
                     staged: dict[Path, Note]) -> dict[str, Any]:
        om = original.meta
        feature, agent, rule = om.get("feature"), om.get("agent"), om.get("rule")
        piling = []
        if feature:
            every = {n.path: n for n in self.notes()} | staged
            piling = [n.id for n in _oldest_first(every.values()) if n.status == "open"
                      and n.meta.get("feature") == feature and not n.meta.get("repeat_of")]
        meta_block = len(piling) >= META_BLOCK_NOTES
        attempts = int(om.get("attempts", 1))
        who = agent or "an unidentified agent"
        issue = (f"{who} was blocked {attempts} times by {rule}"
                 + (f" on feature {feature}" if feature else "")
                 + (f"; {len(piling)} open escalations on this feature" if meta_block else ""))
        evidence = f"note {original.id} ({om.get('issue')}), attempts {attempts}"
        if meta_block:
            evidence += f"; open notes on {feature}: {', '.join(piling)}"
        return {
            "id": note_id, "rule": REPEAT_RULE, "level": "ALERT",
            "category": "META-BLOCK" if meta_block else "QUALITY", "status": "open",
            "issue": issue[:300], "evidence": evidence,
            "impact": ("The agent keeps retrying against a gate instead of escalating: the "
                       "work is stuck and each retry costs time and tokens."),
            "recommended_action": (
                f"Stop the agent and decide: fix the cause named in {original.id}, revise the "
                "plan (gatekeeper estimate / approve / phase), waive with a reason, or "
                f"reassign the work; then resolve {original.id} and {note_id}."),
            "agent": agent, "feature": feature, "commit": om.get("commit"),
            "paths": om.get("paths") or [], "line": None, "fingerprint": note_id[2:],
            "repeat_of": original.id, "repeated_rule": rule, "blocked_attempts": attempts,
            "attempts": 1, "created": now(), "updated": now(), "where": where,
        }

    def update(self, note_id: str, **changes: Any) -> Note:
        """Change a note's front matter under the lock (used by resolve)."""
        with fsutil.locked(self._lock):
            note = self.get(note_id)
            note.meta.update(changes)
            note.meta["updated"] = now()
            fsutil.atomic_write(note.path, _render(note.meta).encode("utf-8"))
            return note

    def open_halts(self, *, repo: Repo | None = None,
                   judged: list[str] | None = None,
                   ) -> dict[str, list[str]]:
        """Open HALT notes per feature, those that freeze work.

        Left out: a server's notes about pushes it rejected (those commits never landed,
        so they freeze nothing for anyone else: ``landed`` is set when a push is
        accepted), and the notes about commits of the range being judged (``judged``:
        its ``rev-list`` arguments), so a re-run of a range gives the verdicts of its
        first run.
        """
        halts = [n for n in self.notes(halt_only=True)
                 if n.status == "open" and n.meta.get("level") == "HALT"
                 and n.meta.get("feature")
                 and not (n.meta.get("where") == "server" and not n.meta.get("landed"))]
        if halts and repo is not None and judged is not None:
            inside = _range_prefixes(repo, judged)
            halts = [n for n in halts if not (_note_commits(n) & inside)]
        out: dict[str, list[str]] = {}
        for n in halts:
            out.setdefault(str(n.meta["feature"]), []).append(n.id)
        return out


#: How many commits and paths a grouped note lists before "and N more".
GROUP_SHOWN = 10


def group_findings(findings: list[Finding]) -> tuple[list[Finding], list[list[Finding]]]:
    """One finding per (rule, feature, agent) of a push, standing for its members: the
    note lists their commits and paths (bounded, with "and N more"). A group of one is
    the finding itself, so its note id is the one a client would write."""
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.rule, f.feature or "", f.agent or ""), []).append(f)
    merged: list[Finding] = []
    members: list[list[Finding]] = []
    from gatekeeper.engine import fingerprint
    from gatekeeper.record import replace

    for (rule, feature, agent), found in groups.items():
        members.append(found)
        if len(found) == 1:
            merged.append(found[0])
            continue
        commits = list(dict.fromkeys(f.commit for f in found))
        paths = list(dict.fromkeys(p for f in found for p in f.paths))
        shown = ", ".join(commits[:GROUP_SHOWN]) + (
            f" and {len(commits) - GROUP_SHOWN} more" if len(commits) > GROUP_SHOWN else "")
        first = found[0]
        group = replace(
            first, level="HALT" if any(f.level == "HALT" for f in found) else first.level,
            action="block" if any(f.action == "block" for f in found) else first.action,
            message=(f"{len(found)} findings in {len(commits)} commit(s) ({shown}); "
                     f"the first: {first.message}"),
            paths=paths[:GROUP_SHOWN * 5], line=None,
            fingerprint=fingerprint(rule, feature or None, agent or None,
                                    "group:" + "\0".join(sorted(f.fingerprint for f in found))))
        group.__dict__["commits"] = commits[:GROUP_SHOWN * 5]
        merged.append(group)
    return merged, members


def _note_commits(note: Note) -> set[str]:
    """The abbreviated commit ids a note is about."""
    found = {str(c)[:12] for c in note.meta.get("commits") or []}
    if note.meta.get("commit"):
        found.add(str(note.meta["commit"])[:12])
    return found


def _range_prefixes(repo: Repo, rev_list_args: list[str]) -> set[str]:
    """The abbreviated ids of the commits a range names (one ``rev-list``)."""
    from gatekeeper import git

    out = git.run(["rev-list", *rev_list_args], repo.cwd, check=False).decode("ascii",
                                                                              "replace")
    return {line[:12] for line in out.split()}
