# tests/test_ledger.py: the ledger fold, phase-order refusals and atomic appends, through the real CLI.
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import GitRepo, make_repo


@pytest.fixture
def planned(tmp_path: Path) -> GitRepo:
    repo = make_repo(tmp_path / "r")
    repo.orchestrate("init")
    repo.orchestrate("feature", "add", "auth", "--paths", "src/auth/**", "--estimate", "300",
                     "--title", "Login")
    return repo


def _events(repo: GitRepo) -> list[dict]:  # type: ignore[type-arg]
    return [d for d in yaml.safe_load_all((repo.path / ".pact/ledger.yaml").read_text()) if d]


def test_events_are_appended_in_order(planned: GitRepo) -> None:
    planned.orchestrate("phase", "auth", "prepare")
    planned.orchestrate("phase", "auth", "architect")
    planned.write({"docs/architecture/auth.md": "# arch\n"})
    planned.orchestrate("approve", "auth", "docs/architecture/auth.md")
    planned.orchestrate("phase", "auth", "code")
    planned.orchestrate("estimate", "auth", "350", "--reason", "OAuth callback")
    evs = _events(planned)
    assert [e["event"] for e in evs] == ["init", "feature", "phase", "phase", "approve", "phase",
                                         "estimate"]
    assert evs[1] == {**evs[1], "id": "auth", "paths": ["src/auth/**"], "estimate": 300}
    assert evs[4]["kind"] == "architecture" and len(evs[4]["sha256"]) == 64
    assert evs[5]["baseline"] == planned.head()
    assert all(e["by"] == "test@example.com" and e["at"].endswith("Z") for e in evs)


def test_append_never_rewrites_earlier_events(planned: GitRepo) -> None:
    before = (planned.path / ".pact/ledger.yaml").read_text()
    planned.orchestrate("phase", "auth", "prepare")
    after = (planned.path / ".pact/ledger.yaml").read_text()
    assert after.startswith(before) and len(after) > len(before)


def test_out_of_order_phase_names_missing_step(planned: GitRepo) -> None:
    proc = planned.gk("phase", "auth", "code")
    assert proc.returncode == 2
    assert "missing step: PREPARE comes before CODE" in proc.stderr
    proc = planned.gk("phase", "auth", "test", "--skip-reason", "plan_section_complete")
    assert proc.returncode == 2 and "CODE is never skipped" in proc.stderr
    planned.orchestrate("phase", "auth", "architect", "--skip-reason", "plan_section_complete")
    proc = planned.gk("phase", "auth", "code")
    assert proc.returncode == 2 and "no approved architecture" in proc.stderr
    assert "gatekeeper approve auth" in proc.stderr


def test_skip_reasons_must_be_sanctioned(planned: GitRepo) -> None:
    proc = planned.gk("phase", "auth", "architect", "--skip-reason", "felt_like_it")
    assert proc.returncode == 2 and "plan_section_complete" in proc.stderr
    planned.orchestrate("phase", "auth", "code", "--skip-reason", "decomposition_active")
    assert _events(planned)[-1]["skip_reason"] == "decomposition_active"


def test_test_phase_skip_only_for_trivial_change(planned: GitRepo) -> None:
    planned.orchestrate("phase", "auth", "code", "--skip-reason", "structured_gate_passed")
    proc = planned.gk("phase", "auth", "done")
    assert proc.returncode == 2 and "trivial_change" in proc.stderr
    planned.orchestrate("phase", "auth", "done", "--skip-reason", "trivial_change")
    proc = planned.gk("phase", "auth", "code")
    assert proc.returncode == 2 and "never reopened" in proc.stderr


def test_retry_pass_keeps_the_code_baseline(planned: GitRepo) -> None:
    planned.orchestrate("phase", "auth", "code", "--skip-reason", "structured_gate_passed")
    first = planned.head()
    planned.commit("more", files={"x.txt": "x\n"})
    planned.orchestrate("phase", "auth", "architect")  # a retry pass of ARCHITECT
    planned.orchestrate("phase", "auth", "code")
    proc = planned.gk("status", "--format", "json")
    import json

    (feat,) = json.loads(proc.stdout)["features"]
    assert feat["phase"] == "code" and feat["baseline"] == first
    assert feat["passes"] == {"code": 2, "architect": 1}


def test_duplicate_feature_and_unknown_feature_refused(planned: GitRepo) -> None:
    proc = planned.gk("feature", "add", "auth", "--paths", "x/**")
    assert proc.returncode == 2 and "already declared" in proc.stderr
    proc = planned.gk("phase", "nope", "prepare")
    assert proc.returncode == 2 and "unknown feature 'nope'" in proc.stderr
    proc = planned.gk("feature", "add", "Bad Id!", "--paths", "x/**")
    assert proc.returncode == 2 and "id" in proc.stderr


def test_approve_missing_file_refused(planned: GitRepo) -> None:
    proc = planned.gk("approve", "auth", "docs/architecture/none.md")
    assert proc.returncode == 2 and "no such file" in proc.stderr


def test_concurrent_appends_lose_nothing(planned: GitRepo) -> None:
    import subprocess
    import sys

    from helpers import REPO_ROOT

    env = {"PYTHONPATH": str(REPO_ROOT)}
    import os

    procs = [subprocess.Popen([sys.executable, "-m", "gatekeeper", "feature", "add", f"f{i}",
                               "--paths", f"src/f{i}/**"], cwd=planned.path,
                              env={**os.environ, **env}, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
             for i in range(6)]
    for p in procs:
        p.communicate()
        assert p.returncode == 0
    ids = {e.get("id") for e in _events(planned) if e["event"] == "feature"}
    assert ids == {"auth", *(f"f{i}" for i in range(6))}


def test_leftover_temp_file_of_a_killed_write_is_never_committed(planned: GitRepo) -> None:
    """A write killed between its temporary file and the rename leaves the ledger intact,
    and the leftover temporary file is ignored by git."""
    before = (planned.path / ".pact/ledger.yaml").read_text()
    (planned.path / ".pact/.ledger.yaml.k1ll3d.tmp").write_text("---\nevent: feat")
    planned.git("add", "-A", ".pact")
    staged = planned.git("diff", "--cached", "--name-only").stdout.split()
    assert ".pact/.ledger.yaml.k1ll3d.tmp" not in staged
    assert (planned.path / ".pact/ledger.yaml").read_text() == before
    planned.orchestrate("phase", "auth", "prepare")  # the ledger still appends normally
