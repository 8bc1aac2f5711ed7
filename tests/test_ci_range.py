# tests/test_ci_range.py: `check --ci` works out the range from GitHub Actions and GitLab CI.
"""Real repositories pushed through a real bare "origin", cloned the way CI clones them,
with the event payloads and variables GitHub and GitLab give. The old README recipe
(`origin/main..HEAD`) judged nothing on a push to main and exited 2 on a created branch;
each case here asserts which commits were judged, and that the report says why."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from helpers import GitRepo, git, gk, pact_repo

ZERO = "0" * 40
BAD = {"migrations/0001.sql": "-- m\nALTER TABLE t ADD c int;\n"}  # backend-coder: domain-boundary


def _clean_env() -> dict[str, str]:
    """The test runner's own CI variables must not leak into the simulated CI."""
    return {k: "" for k in os.environ if k.startswith(("GITHUB_", "GITLAB_", "CI_"))}


class World:
    """origin (bare), a developer clone, and CI clones of origin."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.dev = pact_repo(tmp / "dev")
        self.origin = tmp / "origin.git"
        git(tmp, "clone", "-q", "--bare", str(self.dev.path), str(self.origin))
        self.dev.git("remote", "add", "origin", str(self.origin))
        self.dev.git("fetch", "-q", "origin")

    def push(self, *refspec: str) -> None:
        self.dev.git("push", "-q", "--no-verify", "origin", *refspec)

    def ci_clone(self, name: str, rev: str, *, depth: int | None = None) -> GitRepo:
        """A clone like actions/checkout (fetch-depth: 0) at ``rev``, detached."""
        args = ["clone", "-q", "--no-local"] + (["--depth", str(depth)] if depth else [])
        git(self.tmp, *args, f"file://{self.origin}", name)
        ci = GitRepo(self.tmp / name)
        if depth is None:
            ci.git("checkout", "-q", "--detach", rev)
        return ci

    def github(self, ci: GitRepo, event: str, payload: dict[str, Any], *extra: str,
               ) -> tuple[int, dict[str, Any], str]:
        path = self.tmp / f"event-{event}.json"
        payload.setdefault("repository", {"default_branch": "main"})
        path.write_text(json.dumps(payload), encoding="utf-8")
        env = {**_clean_env(), "CI": "true", "GITHUB_ACTIONS": "true",
               "GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(path)}
        return _run(ci, env, *extra)


def _run(ci: GitRepo, env: dict[str, str], *extra: str) -> tuple[int, dict[str, Any], str]:
    proc = gk(ci.path, "check", "--ci", "--format", "json", "--no-notes", *extra, env=env)
    if proc.returncode not in (0, 1):
        return proc.returncode, {}, proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)
    return proc.returncode, report, proc.stderr


def _judged(report: dict[str, Any]) -> set[str]:
    return {f["commit"] for f in report["findings"]}


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def test_github_push_to_main_judges_before_to_after(world: World) -> None:
    dev = world.dev
    before = dev.head()
    dev.commit("ok", agent="backend-coder", files={"src/auth/a.py": "# a\nx = 1\n"})
    bad = dev.commit("migration", agent="backend-coder", files=BAD)
    world.push("main")
    ci = world.ci_clone("ci", bad)
    # What the old README recipe judged on this push: nothing at all.
    old = gk(ci.path, "check", "--range", "origin/main..HEAD", "--format", "json", "--no-notes")
    assert old.returncode == 0 and json.loads(old.stdout)["commits"] == 0
    code, report, _err = world.github(ci, "push", {"ref": "refs/heads/main", "before": before,
                                                   "after": bad})
    assert code == 1 and report["commits"] == 2
    assert {f["rule"] for f in report["findings"] if f["action"] == "block"} == {"domain-boundary"}
    assert report["notices"][0] == (f"range: {before[:12]}..{bad[:12]} "
                                    "(GitHub push to refs/heads/main: before..after)")
    assert report["range"] == {"label": f"{before[:12]}..{bad[:12]}",
                               "why": "GitHub push to refs/heads/main: before..after",
                               "provider": "github", "include": [bad], "exclude": [before]}
    from test_schemas import _errors

    assert _errors("report", report) == []


def test_github_created_branch_judges_commits_not_on_the_default_branch(world: World) -> None:
    dev = world.dev
    dev.git("checkout", "-q", "-b", "topic")
    dev.commit("one", agent="backend-coder", files={"src/auth/a.py": "# a\nx = 1\n"})
    tip = dev.commit("two", agent="backend-coder", files=BAD)
    world.push("topic")
    ci = world.ci_clone("ci", tip)
    code, report, err = world.github(ci, "push", {"ref": "refs/heads/topic", "before": ZERO,
                                                  "after": tip, "created": True})
    assert code == 1, err
    assert report["commits"] == 2  # not the whole history of main
    assert "creating refs/heads/topic" in report["notices"][0]
    assert "not on the default branch 'main'" in report["notices"][0]


def test_github_created_default_branch_judges_commits_on_no_other_branch(world: World) -> None:
    world.push("main:refs/heads/release")  # the history so far, on another branch
    tip = world.dev.commit("ok", agent="backend-coder", files={"src/auth/a.py": "# a\nx = 1\n"})
    world.push("main")
    ci = world.ci_clone("ci", tip)
    code, report, err = world.github(ci, "push", {"ref": "refs/heads/main", "before": ZERO,
                                                  "after": tip})
    assert code == 0, err
    assert report["commits"] == 1
    assert "judging its commits not on any other branch" in report["notices"][0]


def test_gitlab_scheduled_pipeline_on_the_default_branch_judges_its_tip(world: World) -> None:
    tip = world.dev.commit("ok", agent="backend-coder", files={"src/auth/a.py": "# a\nx = 1\n"})
    world.push("main")
    ci = world.ci_clone("ci", tip)
    code, report, err = _gitlab(ci, CI_PIPELINE_SOURCE="schedule", CI_COMMIT_SHA=tip,
                                CI_COMMIT_BEFORE_SHA=ZERO, CI_COMMIT_BRANCH="main")
    assert code == 0 and report["commits"] == 1, err
    assert "only its tip commit is judged" in report["notices"][0]


def test_github_created_branch_without_the_default_branch_fetched_exits_2(world: World) -> None:
    dev = world.dev
    dev.git("checkout", "-q", "-b", "topic")
    tip = dev.commit("one", agent="backend-coder", files={"src/auth/a.py": "# a\n"})
    world.push("topic")
    ci = world.ci_clone("ci", tip)
    ci.git("update-ref", "-d", "refs/remotes/origin/main")
    ci.git("branch", "-q", "-D", "main")  # actions/checkout makes no local default branch
    code, _report, err = world.github(ci, "push", {"ref": "refs/heads/topic", "before": ZERO,
                                                   "after": tip})
    assert code == 2 and "'main' is not in this clone" in err and "git fetch origin" in err
    assert "Traceback" not in err
    # The printed fetch command, run literally, fixes it.
    cmd = err.split("Fetch it first: ")[1].split(" (")[0]
    assert cmd.startswith("git fetch origin ")
    ci.git("fetch", "-q", "origin", cmd.split()[-1].strip("'"))
    code, report, err = world.github(ci, "push", {"ref": "refs/heads/topic", "before": ZERO,
                                                  "after": tip})
    assert code == 0 and report["commits"] == 1, err


def test_github_pull_request_judges_base_to_head_not_githubs_merge_commit(world: World) -> None:
    dev = world.dev
    base = dev.head()
    dev.git("checkout", "-q", "-b", "topic")
    dev.commit("one", agent="backend-coder", files={"src/auth/a.py": "# a\nx = 1\n"})
    head = dev.commit("two", agent="backend-coder", files=BAD)
    world.push("topic")
    ci = world.ci_clone("ci", base)
    # actions/checkout checks out refs/pull/N/merge: a merge commit GitHub made, no trailer.
    ci.git("merge", "-q", "--no-ff", "--no-verify", "-m", f"Merge {head} into {base}", head)
    code, report, err = world.github(ci, "pull_request", {"pull_request": {
        "number": 7, "base": {"sha": base}, "head": {"sha": head}}})
    assert code == 1, err
    assert report["commits"] == 2
    assert _judged(report) == {head[:12]}
    assert not [f for f in report["findings"] if f["rule"] == "agent-identity"]
    assert "GitHub pull_request #7: base..head" in report["notices"][0]


def test_github_branch_deletion_judges_nothing(world: World) -> None:
    ci = world.ci_clone("ci", world.dev.head())
    code, report, err = world.github(ci, "push", {"ref": "refs/heads/gone", "before":
                                                  world.dev.head(), "after": ZERO,
                                                  "deleted": True})
    assert code == 0, err
    assert report["commits"] == 0 and "nothing to judge" in report["notices"][0]


def test_github_force_push_falls_back_to_the_default_branch(world: World) -> None:
    dev = world.dev
    dev.git("checkout", "-q", "-b", "topic")
    old = dev.commit("old", agent="backend-coder", files={"src/auth/a.py": "# a\n"})
    world.push("topic")
    dev.git("reset", "-q", "--hard", "main")
    new = dev.commit("rewritten", agent="backend-coder", files=BAD)
    world.push("--force", "topic")
    ci = world.ci_clone("ci", new)
    assert ci.git("cat-file", "-e", old, check=False).returncode != 0
    code, report, err = world.github(ci, "push", {"ref": "refs/heads/topic", "before": old,
                                                  "after": new, "forced": True})
    assert code == 1, err
    assert report["commits"] == 1 and "a force push" in report["notices"][0]


def test_shallow_clone_is_refused_loudly(world: World) -> None:
    dev = world.dev
    before = dev.head()
    dev.commit("one", agent="backend-coder", files={"src/auth/a.py": "# a\n"})
    after = dev.commit("two", agent="backend-coder", files={"src/auth/b.py": "# b\n"})
    world.push("main")
    ci = world.ci_clone("ci", after, depth=1)
    code, _r, err = world.github(ci, "push", {"ref": "refs/heads/main", "before": before,
                                              "after": after})
    assert code == 2 and "shallow" in err and "fetch-depth: 0" in err


def test_github_bad_payload_and_unknown_event_exit_2(world: World) -> None:
    ci = world.ci_clone("ci", world.dev.head())
    env = {**_clean_env(), "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push",
           "GITHUB_EVENT_PATH": str(world.tmp / "missing.json")}
    code, _r, err = _run(ci, env)
    assert code == 2 and "missing.json" in err and "Traceback" not in err
    code, _r, err = world.github(ci, "schedule", {})
    assert code == 2 and "'schedule'" in err and "--range" in err


def _gitlab(ci: GitRepo, **vars: str) -> tuple[int, dict[str, Any], str]:
    env = {**_clean_env(), "CI": "true", "GITLAB_CI": "true", "CI_DEFAULT_BRANCH": "main",
           **vars}
    return _run(ci, env)


def test_gitlab_branch_pipeline_and_new_branch(world: World) -> None:
    dev = world.dev
    before = dev.head()
    dev.git("checkout", "-q", "-b", "topic")
    dev.commit("one", agent="backend-coder", files={"src/auth/a.py": "# a\n"})
    tip = dev.commit("two", agent="backend-coder", files=BAD)
    world.push("topic")
    ci = world.ci_clone("ci", tip)
    code, report, err = _gitlab(ci, CI_PIPELINE_SOURCE="push", CI_COMMIT_SHA=tip,
                                CI_COMMIT_BEFORE_SHA=ZERO, CI_COMMIT_BRANCH="topic")
    assert code == 1 and report["commits"] == 2, err
    assert "without CI_COMMIT_BEFORE_SHA" in report["notices"][0]
    code, report, err = _gitlab(ci, CI_PIPELINE_SOURCE="push", CI_COMMIT_SHA=tip,
                                CI_COMMIT_BEFORE_SHA=before, CI_COMMIT_BRANCH="topic")
    assert code == 1 and report["commits"] == 2, err
    assert "CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA" in report["notices"][0]


def test_gitlab_merge_request_pipeline(world: World) -> None:
    dev = world.dev
    base = dev.head()
    dev.git("checkout", "-q", "-b", "topic")
    dev.commit("one", agent="backend-coder", files={"src/auth/a.py": "# a\n"})
    tip = dev.commit("two", agent="backend-coder", files={"src/auth/b.py": "# b\n"})
    world.push("topic")
    ci = world.ci_clone("ci", tip)
    code, report, err = _gitlab(ci, CI_PIPELINE_SOURCE="merge_request_event", CI_COMMIT_SHA=tip,
                                CI_MERGE_REQUEST_IID="3", CI_MERGE_REQUEST_DIFF_BASE_SHA=base,
                                CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main")
    assert code == 0 and report["commits"] == 2, err
    assert "GitLab merge request !3" in report["notices"][0]


def test_other_ci_needs_an_explicit_range(world: World) -> None:
    dev = world.dev
    base = dev.head()
    dev.commit("bad", agent="backend-coder", files=BAD)
    code, _r, err = _run(dev, {**_clean_env(), "CI": "true"})
    assert code == 2 and "--range A..B" in err and "Traceback" not in err
    code, report, err = _run(dev, {**_clean_env(), "CI": "true"}, "--range", f"{base}..HEAD")
    assert code == 1 and report["commits"] == 1, err
    assert report["notices"][0] == f"range: {base}..HEAD (given with --range)"


def test_force_push_to_the_default_branch_judges_every_rewritten_commit(world: World) -> None:
    """Attack: rewrite main with bad commits under a clean tip and force-push. `before` is
    gone from the clone; judging only the tip would let the bad commits in."""
    dev = world.dev
    old = dev.commit("old", agent="backend-coder", files={"src/auth/a.py": "# a\n"})
    world.push("main")
    dev.git("reset", "-q", "--hard", "HEAD~1")
    dev.commit("bad", agent="backend-coder", files=BAD)
    tip = dev.commit("clean tip", agent="backend-coder", files={"src/auth/ok.py": "# ok\n"})
    dev.git("checkout", "-q", "-b", "topic", "HEAD~2")  # another branch the clone knows
    dev.commit("topic", agent="backend-coder", files={"src/auth/t.py": "# t\n"})
    world.push("topic")
    world.push("--force", "main")
    ci = world.ci_clone("ci", tip)
    assert ci.git("cat-file", "-e", old, check=False).returncode != 0
    code, report, err = world.github(ci, "push", {"ref": "refs/heads/main", "before": old,
                                                  "after": tip, "forced": True})
    assert code == 1, err
    assert report["commits"] == 2 and "domain-boundary" in {f["rule"] for f in report["findings"]}
    assert "not on any other branch" in report["notices"][0]
    # GitLab gives the same force push the same treatment.
    code, report, err = _gitlab(ci, CI_PIPELINE_SOURCE="push", CI_COMMIT_SHA=tip,
                                CI_COMMIT_BEFORE_SHA=old, CI_COMMIT_BRANCH="main")
    assert code == 1 and report["commits"] == 2, err


def test_github_merge_group_judges_the_queued_commits(world: World) -> None:
    dev = world.dev
    base = dev.head()
    dev.git("checkout", "-q", "-b", "gh-readonly-queue/main/pr-9")
    dev.commit("queued", agent="backend-coder", files=BAD)
    dev.git("checkout", "-q", "main")
    head = dev.git("rev-parse", "gh-readonly-queue/main/pr-9").stdout.strip()
    world.push("gh-readonly-queue/main/pr-9")
    ci = world.ci_clone("ci", head)
    code, report, err = world.github(ci, "merge_group", {"merge_group": {
        "base_sha": base, "head_sha": head, "head_ref": "refs/heads/gh-readonly-queue/main/pr-9"}})
    assert code == 1 and report["commits"] == 1, err
    assert "GitHub merge_group: base_sha..head_sha" in report["notices"][0]
