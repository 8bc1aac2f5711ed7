# gatekeeper/adapters/ci.py: `check --ci`: the range to judge, worked out from the CI environment.
"""Which commits a CI run judges, and why.

- GitHub Actions ``push``: ``before..after``. A created branch or tag (``before`` is 40
  zeros), or a force push whose ``before`` is gone, judges the commits not on the default
  branch; on the default branch itself, its commits on no other branch (never the tip
  alone). A deleted branch judges nothing.
- GitHub Actions ``pull_request`` / ``pull_request_target``: the event's base..head (never
  GitHub's own merge commit, which has no ``PACT-Agent`` trailer); ``merge_group`` (a merge
  queue): its ``base_sha..head_sha``.
- GitLab CI: merge-request pipelines judge ``CI_MERGE_REQUEST_DIFF_BASE_SHA..head``;
  branch pipelines ``CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA``, with the same zero-SHA rule.
- Anything else: the explicit ``--range`` (which also wins over the environment).

The chosen range and the reason are printed with the report, so a reviewer can see what
was (and was not) judged.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gatekeeper import git
from gatekeeper.errors import GatekeeperError, GitError
from gatekeeper.record import dataclass, field

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any

ZERO = "0" * 40
_ZEROS = {"", ZERO, "0" * 64}


@dataclass
class Selection:
    """What ``check --ci`` judges: commits reachable from ``include`` and not ``exclude``."""

    include: list[str]
    exclude: list[str]
    label: str
    why: str
    provider: str  # github | gitlab | explicit
    limit: int | None = None
    event: str = ""
    facts: dict[str, str] = field(default_factory=dict)

    @property
    def notice(self) -> str:
        """The line the report carries: which range, and why."""
        return f"range: {self.label} ({self.why})"

    @property
    def automation_id(self) -> str:
        """SARIF ``automationDetails.id``: one category per provider and event."""
        return f"pact-gatekeeper/{self.provider}{'-' + self.event if self.event else ''}/"


def _short(sha: str) -> str:
    return sha[:12]


def _is_zero(sha: str | None) -> bool:
    return (sha or "").strip() in _ZEROS or set((sha or "0").strip()) == {"0"}


def _has(repo: git.Repo, rev: str) -> bool:
    try:
        git.run(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], repo.cwd)
    except GitError:
        return False
    return True


def _shallow_hint(repo: git.Repo) -> str:
    return (" This is a shallow clone: fetch the full history (GitHub Actions: fetch-depth: 0; "
            "GitLab CI: GIT_DEPTH: 0)." if repo.shallow else "")


def _default_ref(repo: git.Repo, branch: str, provider: str) -> str:
    """The local name of the default branch's tip (remote-tracking ref first)."""
    for ref in (f"refs/remotes/origin/{branch}", f"refs/heads/{branch}"):
        if _has(repo, ref):
            return ref
    fetch = f"git fetch origin '+refs/heads/{branch}:refs/remotes/origin/{branch}'"
    where = ("actions/checkout with fetch-depth: 0 fetches it" if provider == "github"
             else "the GitLab template fetches it")
    raise GitError(f"check --ci: the default branch {branch!r} is not in this clone, so the "
                   f"commits not on it cannot be found. Fetch it first: {fetch} ({where}).")


def _other_branches(repo: git.Repo, default: str) -> list[str]:
    """The clone's remote-tracking branches other than the default branch (and HEAD)."""
    out = git.run(["for-each-ref", "--format=%(refname)", "refs/remotes/"], repo.cwd)
    skip = {f"refs/remotes/origin/{default}", "refs/remotes/origin/HEAD"}
    return [r for r in out.decode("utf-8", "surrogateescape").split() if r not in skip]


def _not_on_default(repo: git.Repo, tip: str, default: str, ref: str, provider: str,
                    event: str, why: str, *, tip_only: bool = False) -> Selection:
    """No usable 'before': judge what the default branch lacks. For the default branch
    itself (its creation, or a force push that dropped 'before'), judge the commits on no
    other branch: judging only the tip would let rewritten commits under a clean tip
    through. ``tip_only`` is for pipelines no push started (a schedule, a button)."""
    branch = ref.removeprefix("refs/heads/")
    if branch == default and tip_only:
        return Selection([tip], [], _short(tip), f"{why}; {ref} is the default branch and no "
                         "push started this pipeline, so only its tip commit is judged",
                         provider, limit=1, event=event)
    if branch == default:
        others = _other_branches(repo, default)
        return Selection([tip], others, f"{_short(tip)} --not {len(others)} other branch(es)",
                         f"{why}; {ref} is the default branch: judging its commits not on any "
                         "other branch", provider, event=event)
    base = _default_ref(repo, default, provider)
    return Selection([tip], [base], f"{base.removeprefix('refs/remotes/')}..{_short(tip)}",
                     f"{why}: judging the commits not on the default branch {default!r}",
                     provider, event=event)


def _payload(env: Mapping[str, str]) -> dict[str, Any]:
    import json

    name = env.get("GITHUB_EVENT_PATH", "")
    if not name:
        raise GatekeeperError("check --ci: GITHUB_EVENT_PATH is not set, so the event cannot "
                              "be read; give the range with --range A..B")
    try:
        data = json.loads(Path(name).read_text(encoding="utf-8"))
    except OSError as exc:
        raise GatekeeperError(f"check --ci: cannot read the event payload {name}: "
                              f"{exc.strerror}") from None
    except ValueError as exc:
        raise GatekeeperError(f"check --ci: {name}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise GatekeeperError(f"check --ci: {name}: the event payload is not a JSON object")
    return data


def _get(data: Any, *keys: str) -> str:
    for k in keys:
        data = data.get(k) if isinstance(data, dict) else None
    return data if isinstance(data, str) else ""


def _github(repo: git.Repo, env: Mapping[str, str]) -> Selection:
    event = env.get("GITHUB_EVENT_NAME", "")
    data = _payload(env)
    default = _get(data, "repository", "default_branch") or "main"
    if event in ("pull_request", "pull_request_target"):
        base = _get(data, "pull_request", "base", "sha")
        head = _get(data, "pull_request", "head", "sha")
        if not base or not head:
            raise GatekeeperError(f"check --ci: the {event} payload has no pull_request.base.sha "
                                  "/ head.sha")
        number = str((data.get("pull_request") or {}).get("number", "?"))
        for what, sha in (("base", base), ("head", head)):
            if not _has(repo, sha):
                raise GitError(f"check --ci: the pull request's {what} {_short(sha)} is not in "
                               f"this clone.{_shallow_hint(repo)} Check out with fetch-depth: 0"
                               + (" and ref: the pull request's head sha"
                                  if event == "pull_request_target" else "") + ".")
        return Selection([head], [base], f"{_short(base)}..{_short(head)}",
                         f"GitHub {event} #{number}: base..head, without GitHub's merge commit",
                         "github", event=event.replace("_target", ""))
    if event == "merge_group":
        # A merge queue: GitHub's temporary branch of queued pull requests on the base. A
        # required check must run here too, or the queue waits for it forever.
        base = _get(data, "merge_group", "base_sha")
        head = _get(data, "merge_group", "head_sha")
        if not base or not head:
            raise GatekeeperError("check --ci: the merge_group payload has no base_sha / head_sha")
        for what, sha in (("base", base), ("head", head)):
            if not _has(repo, sha):
                raise GitError(f"check --ci: the merge group's {what} {_short(sha)} is not in "
                               f"this clone.{_shallow_hint(repo)} Check out with fetch-depth: 0.")
        return Selection([head], [base], f"{_short(base)}..{_short(head)}",
                         "GitHub merge_group: base_sha..head_sha", "github", event=event)
    if event == "push":
        before, after = _get(data, "before"), _get(data, "after")
        ref = _get(data, "ref")
        if _is_zero(after) or data.get("deleted") is True:
            return Selection([], [], "nothing", f"GitHub push deleting {ref}: nothing to judge",
                             "github", event=event)
        if not after:
            raise GatekeeperError("check --ci: the push payload has no 'after' commit")
        if _is_zero(before) or data.get("created") is True:
            return _not_on_default(repo, after, default, ref, "github", event,
                                   f"GitHub push creating {ref}")
        if not _has(repo, before):
            if repo.shallow:
                raise GitError(f"check --ci: the push's before {_short(before)} is not in this "
                               f"clone.{_shallow_hint(repo)}")
            return _not_on_default(repo, after, default, ref, "github", event,
                                   f"GitHub push to {ref}: before {_short(before)} is gone "
                                   "(a force push)")
        return Selection([after], [before], f"{_short(before)}..{_short(after)}",
                         f"GitHub push to {ref}: before..after", "github", event=event)
    raise GatekeeperError(f"check --ci: GitHub event {event or '(none)'!r} names no commits to "
                          "judge (push, pull_request and merge_group do); give the range with "
                          "--range A..B")


def _gitlab(repo: git.Repo, env: Mapping[str, str]) -> Selection:
    head = env.get("CI_COMMIT_SHA", "")
    if not head:
        raise GatekeeperError("check --ci: GitLab CI without CI_COMMIT_SHA; give --range A..B")
    default = env.get("CI_DEFAULT_BRANCH", "") or "main"
    if env.get("CI_PIPELINE_SOURCE") == "merge_request_event" or env.get("CI_MERGE_REQUEST_IID"):
        # A merged-results pipeline runs on a merge commit GitLab made; judge the source tip.
        tip = env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") or head
        base = env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA", "")
        target = env.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "") or default
        iid = env.get("CI_MERGE_REQUEST_IID", "?")
        if _is_zero(base):
            return _not_on_default(repo, tip, target, "", "gitlab", "merge_request",
                                   f"GitLab merge request !{iid} without a diff base")
        if not _has(repo, base):
            raise GitError(f"check --ci: the merge request's diff base {_short(base)} is not in "
                           f"this clone.{_shallow_hint(repo)} Fetch the target branch: git fetch "
                           f"origin {target}")
        return Selection([tip], [base], f"{_short(base)}..{_short(tip)}",
                         f"GitLab merge request !{iid}: CI_MERGE_REQUEST_DIFF_BASE_SHA..head",
                         "gitlab", event="merge_request")
    before = env.get("CI_COMMIT_BEFORE_SHA", "")
    branch = env.get("CI_COMMIT_BRANCH", "")
    ref = f"refs/heads/{branch}" if branch else f"refs/tags/{env.get('CI_COMMIT_TAG', '')}"
    if _is_zero(before):
        return _not_on_default(repo, head, default, ref, "gitlab", "push",
                               f"GitLab pipeline for {ref} without CI_COMMIT_BEFORE_SHA "
                               "(a new branch, a tag, or a pipeline not started by a push)",
                               tip_only=env.get("CI_PIPELINE_SOURCE", "push") != "push")
    if not _has(repo, before):
        if repo.shallow:
            raise GitError(f"check --ci: CI_COMMIT_BEFORE_SHA {_short(before)} is not in this "
                           f"clone.{_shallow_hint(repo)}")
        return _not_on_default(repo, head, default, ref, "gitlab", "push",
                               f"GitLab push to {ref}: before {_short(before)} is gone "
                               "(a force push)")
    return Selection([head], [before], f"{_short(before)}..{_short(head)}",
                     f"GitLab push to {ref}: CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA", "gitlab",
                     event="push")


def explicit(spec: str) -> Selection:
    """``--range A..B`` (A may be empty: every commit reachable from B)."""
    if ".." not in spec:
        raise GatekeeperError(f"--range takes A..B, got {spec!r}")
    base, _, tip = spec.partition("..")
    tip = tip.lstrip(".") or "HEAD"
    return Selection([tip], [base] if base else [], spec, "given with --range", "explicit")


def select(repo: git.Repo, env: Mapping[str, str], range_spec: str | None = None) -> Selection:
    """The range ``check --ci`` judges: ``--range`` when given, else from the environment."""
    if range_spec:
        return explicit(range_spec)
    if env.get("GITHUB_ACTIONS") == "true":
        return _github(repo, env)
    if env.get("GITLAB_CI") == "true":
        return _gitlab(repo, env)
    raise GatekeeperError("check --ci: no CI environment recognised (GitHub Actions sets "
                          "GITHUB_ACTIONS, GitLab CI sets GITLAB_CI); on other CI systems give "
                          "the range with --range A..B")
