# tests/test_range_scope_split.py: a range's scope budgets, computed by diff-tree processes side by side.
"""A range computes every feature's budget at the end: features are spread over at most
sixteen groups (gatekeeper.checker._SCOPE_GROUPS), one ``diff-tree`` each narrowed to its
features' paths, run side by side (a lone feature with four or more tips is split over
two). Each budget must come out as one diff-tree over every path gives it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import GitRepo, pact_repo

from gatekeeper import checker
from gatekeeper import git as gitmod


def _features(repo: GitRepo, estimates: dict[str, int]) -> None:
    for name, estimate in estimates.items():
        repo.orchestrate("feature", "add", name, "--paths", f"src/{name}/**",
                         "--estimate", str(estimate))
        for phase in ("prepare", "architect"):
            repo.orchestrate("phase", name, phase)
        repo.write({f"docs/architecture/{name}.md": f"# {name}\n"})
        repo.orchestrate("approve", name, f"docs/architecture/{name}.md")
        repo.orchestrate("phase", name, "code")
    repo.commit_ledger("features to code")


def _body(tag: str, n: int) -> str:
    return f"# {tag}\n" + "".join(f"{tag}{i} = {i}\n" for i in range(n - 1))


def _scope(repo: GitRepo, rng: str) -> dict[str, tuple[str, str]]:
    """feature -> (action, message) of its scope-budget finding (a warning from 100 %)."""
    proc = repo.gk("check", "--range", rng, "--format", "json", "--no-notes")
    assert proc.returncode in (0, 1), proc.stderr
    return {f["feature"]: (f["action"], f["message"]) for f in json.loads(proc.stdout)["findings"]
            if f["rule"] == "scope-budget"}


def test_eleven_features_in_eight_groups_keep_their_own_budgets(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Eight groups for eleven features: three groups hold two features each.
    monkeypatch.setattr(checker, "_SCOPE_GROUPS", 8)
    estimates = {f"f{k:02d}": 20 for k in range(11)}
    repo = pact_repo(tmp_path / "r")
    _features(repo, estimates)
    base = repo.head()
    for k, name in enumerate(estimates):  # feature k gets 15 + k lines, in two commits
        repo.commit(f"{name} one", agent="backend-coder",
                    files={f"src/{name}/a.py": _body("a", 10)})
        repo.commit(f"{name} two", agent="backend-coder",
                    files={f"src/{name}/b.py": _body("b", 5 + k)})
    spawned = len(gitmod.SPAWNED)
    report = checker.check_revisions(gitmod.discover(repo.path), ["HEAD"], [base],
                                     opts=checker.Options(where="ci", record=False))
    numstats = [a for a in gitmod.SPAWNED[spawned:] if "--numstat" in a]
    assert len(numstats) == 8, numstats  # the groups really were shared
    found = {f.feature or "": (f.action, f.message) for f in report.findings
             if f.rule == "scope-budget"}
    assert found == _scope(repo, f"{base}..HEAD")  # and the CLI (sixteen groups) agrees
    # Each feature's own lines, whatever group it is in: 15 + k of 20 (a warning over 20,
    # a block over 24: feature 10 only).
    assert sorted(found) == [f"f{k:02d}" for k in range(6, 11)], found
    for k in range(6, 11):
        assert f"{15 + k} of 20" in found[f"f{k:02d}"][1], found
    assert [f for f, (action, _) in found.items() if action == "block"] == ["f10"]


def test_one_feature_with_four_tips_is_split_and_counted_right(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r", estimate=10)
    base = repo.head()
    tips = []
    for k in range(4):  # four branches pushed together: four tips of one feature
        repo.git("checkout", "-q", "-b", f"b{k}", base)
        repo.commit(f"branch {k}", agent="backend-coder",
                    files={f"src/auth/m{k}.py": _body("m", 9 + k)})
        tips.append(repo.head())
    r = gitmod.discover(repo.path)
    from gatekeeper.checker import Options, check_revisions

    report = check_revisions(r, tips, [base], opts=Options(where="ci", record=False))
    got = {f.commit: (f.action, f.message) for f in report.findings if f.rule == "scope-budget"}
    # 9, 10, 11, 12 lines against 10 (limit 12): warnings over 10 lines, no block.
    assert sorted(got) == sorted(t[:12] for t in tips[2:]), got
    for k, tip in enumerate(tips[2:], 2):
        assert got[tip[:12]] == ("warn", got[tip[:12]][1]) and f"{9 + k} of 10" in got[tip[:12]][1]
    repo.commit("one more", agent="backend-coder", files={"src/auth/extra.py": "# e\n"})
    tips[-1] = repo.head()
    report = check_revisions(r, tips, [base], opts=Options(where="ci", record=False))
    blocks = [(f.commit, f.message) for f in report.findings
              if f.rule == "scope-budget" and f.action == "block"]
    assert blocks == [(tips[-1][:12], blocks[0][1])] and "13 of 10" in blocks[0][1], blocks
