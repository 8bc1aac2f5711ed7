# tests/test_ci_templates.py: action.yml and the GitLab template, run step by step on simulated events.
"""GitHub cannot run here, so the composite action's `run:` scripts are executed with bash
and the environment GitHub gives them (GITHUB_ACTION_PATH, GITHUB_EVENT_PATH,
GITHUB_OUTPUT, RUNNER_TEMP, the step's `env:` with its expressions evaluated), in real
repositories cloned the way actions/checkout clones them. `uses:` steps are not run; their
`if:` conditions are evaluated, so "the SARIF upload runs even when the check blocks" is
checked on the action's own text. The GitLab template's rules are evaluated and its
script lines run the same way. Both files validate against their official schemas.

Offline: pip builds this checkout (no index, no dependency downloads) and the action's
virtual environment sees this environment's dependencies through PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from helpers import REPO_ROOT, GitRepo, git, pact_repo

SCHEMAS = Path(__file__).parent / "schemas"
ZERO = "0" * 40
BAD = {"migrations/0001.sql": "-- m\nALTER TABLE t ADD c int;\n"}
SITE = [p for p in sys.path if p.endswith("site-packages")]
# PIP_NO_BUILD_ISOLATION=0 turns isolation off: pip reads its negative flags inverted.
OFFLINE = {"PIP_NO_INDEX": "1", "PIP_NO_DEPS": "1", "PIP_NO_BUILD_ISOLATION": "0",
           "PYTHONPATH": os.pathsep.join(SITE)}
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO_ROOT / "action.yml").read_text(encoding="utf-8"))
    return data


def _shim(tmp: Path) -> str:
    """PATH with `python3` being this interpreter (what setup-python would put first)."""
    bin_dir = tmp / "shim"
    bin_dir.mkdir(exist_ok=True)
    for name in ("python3", "python"):
        link = bin_dir / name
        if not link.exists():
            link.symlink_to(sys.executable)
    return f"{bin_dir}:/usr/bin:/bin"


class Runner:
    """Runs action.yml's steps the way a GitHub runner would, minus `uses:` steps."""

    def __init__(self, tmp: Path, workspace: GitRepo, event: str, payload: dict[str, Any],
                 inputs: dict[str, str], runner_temp: Path) -> None:
        self.tmp = tmp
        self.ws = workspace
        self.action = _action()
        self.inputs = {k: str(v.get("default", "")) for k, v in self.action["inputs"].items()}
        self.inputs.update(inputs)
        self.outputs: dict[str, dict[str, str]] = {}
        self.failed = False
        payload.setdefault("repository", {"default_branch": "main"})
        self.event_path = tmp / f"event-{event}.json"
        self.event_path.write_text(json.dumps(payload), encoding="utf-8")
        self.env = {"PATH": _shim(tmp), "HOME": str(tmp), "CI": "true", "GITHUB_ACTIONS": "true",
                    "GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(self.event_path),
                    "GITHUB_ACTION_PATH": str(REPO_ROOT), "GITHUB_WORKSPACE": str(workspace.path),
                    "RUNNER_TEMP": str(runner_temp), **OFFLINE}
        self.log: list[tuple[str, str, int | None]] = []  # (step name, output, exit code)

    def value(self, expr: str) -> Any:
        """The few expression forms the action uses."""
        expr = expr.strip()
        if expr == "always()":
            return True
        if expr == "success()":
            return not self.failed
        m = re.fullmatch(r"inputs\.([\w-]+)", expr)
        if m:
            return self.inputs[m.group(1)]
        m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
        if m:
            return self.outputs.get(m.group(1), {}).get(m.group(2), "")
        m = re.fullmatch(r"'([^']*)'", expr)
        if m:
            return m.group(1)
        if expr == "github.action_path":
            return str(REPO_ROOT)
        raise AssertionError(f"expression not understood by the test runner: {expr}")

    def condition(self, cond: str | None) -> bool:
        if cond is None:
            return not self.failed
        cond = EXPR.sub(lambda m: m.group(1), str(cond))
        parts = [p.strip() for p in cond.split("&&")]
        result = True
        for part in parts:
            m = re.fullmatch(r"(.+?)\s*(==|!=)\s*(.+)", part)
            if m:
                left, right = self.value(m.group(1)), self.value(m.group(3))
                result &= (left == right) if m.group(2) == "==" else (left != right)
            else:
                result &= bool(self.value(part))
        # A step without always()/failure() in its condition is skipped after a failure.
        if "always()" not in cond and self.failed:
            return False
        return result

    def subst(self, text: str) -> str:
        return EXPR.sub(lambda m: str(self.value(m.group(1))), text)

    def run(self) -> None:
        for step in self.action["runs"]["steps"]:
            name = step.get("name", step.get("id", "?"))
            if not self.condition(step.get("if")):
                self.log.append((name, "skipped", None))
                continue
            if "uses" in step:
                self.log.append((name, "uses " + step["uses"], 0))
                continue
            out_file = self.tmp / f"output-{len(self.log)}"
            out_file.write_text("")
            env = {**self.env, "GITHUB_OUTPUT": str(out_file),
                   **{k: self.subst(str(v)) for k, v in step.get("env", {}).items()}}
            assert step["shell"] == "bash"
            proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                                   step["run"]], cwd=self.ws.path, env=env, capture_output=True,
                                  text=True)
            self.log.append((name, proc.stdout + proc.stderr, proc.returncode))
            if "id" in step:
                self.outputs[step["id"]] = dict(
                    line.split("=", 1) for line in out_file.read_text().splitlines() if "=" in line)
            if proc.returncode != 0:
                self.failed = True

    def step(self, name: str) -> tuple[str, int | None]:
        (hit,) = [(out, code) for n, out, code in self.log if n == name]
        return hit


def test_action_yml_is_valid_pinned_and_has_no_expressions_in_run() -> None:
    action = _action()
    schema = json.loads((SCHEMAS / "github-actions.json").read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(action))
    assert not errors, [e.message for e in errors[:3]]
    assert set(action["inputs"]) >= {"python-version", "format", "upload-sarif", "fail-on"}
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], f"expression inside run: of {step['name']}"
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
    (upload,) = [s for s in action["runs"]["steps"] if "upload-sarif" in s.get("uses", "")]
    assert upload["if"].startswith("always()")


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One RUNNER_TEMP for the module: the install step builds this checkout once."""
    return tmp_path_factory.mktemp("runner-temp")


class Origin:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.dev = pact_repo(tmp / "dev")
        self.bare = tmp / "origin.git"
        git(tmp, "clone", "-q", "--bare", str(self.dev.path), str(self.bare))
        self.dev.git("remote", "add", "origin", str(self.bare))

    def push(self, *refspec: str) -> None:
        self.dev.git("push", "-q", "--no-verify", "origin", *refspec)

    def checkout(self, rev: str, *, depth: int | None = None) -> GitRepo:
        path = self.tmp / "workspace"
        args = ["clone", "-q", "--no-local"] + (["--depth", str(depth)] if depth else [])
        git(self.tmp, *args, f"file://{self.bare}", str(path))
        ws = GitRepo(path)
        if not depth:
            ws.git("checkout", "-q", "--detach", rev)
        return ws


def _sarif_valid(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft4Validator(schema).iter_errors(data))
    assert not errors, [e.message for e in errors[:3]]
    return data


def test_action_on_a_blocking_push_uploads_sarif_then_fails(tmp_path: Path,
                                                          runner_temp: Path) -> None:
    origin = Origin(tmp_path)
    before = origin.dev.head()
    origin.dev.commit("ok", agent="backend-coder", files={"src/auth/a.py": "# a\nx = 1\n"})
    after = origin.dev.commit("migration", agent="backend-coder", files=BAD)
    origin.push("main")
    ws = origin.checkout(after)
    run = Runner(tmp_path, ws, "push", {"ref": "refs/heads/main", "before": before,
                                        "after": after}, {}, runner_temp)
    run.run()
    out, code = run.step("Install pact-gatekeeper")
    assert code == 0, out
    out, code = run.step("Check the pushed commits")
    assert code == 0 and "BLOCK domain-boundary" in out
    assert f"range: {before[:12]}..{after[:12]}" in out
    assert run.outputs["check"]["verdict"] == "block"
    assert run.outputs["check"]["exit-code"] == "1"
    sarif = _sarif_valid(ws.path / "pact-gatekeeper.sarif")
    assert any(r["ruleId"] == "domain-boundary" for r in sarif["runs"][0]["results"])
    assert run.step("Upload SARIF to code scanning")[0].startswith("uses github/codeql-action")
    out, code = run.step("Enforce the verdict")
    assert code == 1 and "::error::pact-gatekeeper blocked" in out
    # fail-on: error and never let the job pass; the upload still happens.
    for fail_on in ("error", "never"):
        again = Runner(tmp_path, ws, "push", {"ref": "refs/heads/main", "before": before,
                                              "after": after}, {"fail-on": fail_on}, runner_temp)
        again.run()
        assert again.step("Enforce the verdict")[1] == 0
        assert again.step("Upload SARIF to code scanning")[1] == 0


def test_action_on_a_pull_request_that_passes(tmp_path: Path, runner_temp: Path) -> None:
    origin = Origin(tmp_path)
    base = origin.dev.head()
    origin.dev.git("checkout", "-q", "-b", "topic")
    head = origin.dev.commit("ok", agent="backend-coder", files={"src/auth/a.py": "# a\nx = 1\n"})
    origin.push("topic")
    ws = origin.checkout(base)
    ws.git("merge", "-q", "--no-ff", "--no-verify", "-m", "Merge into base", head)  # GitHub's
    run = Runner(tmp_path, ws, "pull_request", {"pull_request": {
        "number": 3, "base": {"sha": base}, "head": {"sha": head}}},
        {"upload-sarif": "false"}, runner_temp)
    run.run()
    assert run.outputs["check"]["verdict"] == "pass", run.log
    assert run.step("Upload SARIF to code scanning") == ("skipped", None)
    assert run.step("Enforce the verdict")[1] == 0
    assert _sarif_valid(ws.path / "pact-gatekeeper.sarif")["runs"][0]["results"] == []


def test_action_on_a_shallow_clone_fails_even_with_fail_on_error(tmp_path: Path,
                                                               runner_temp: Path) -> None:
    origin = Origin(tmp_path)
    before = origin.dev.head()
    origin.dev.commit("one", agent="backend-coder", files={"src/auth/a.py": "# a\n"})
    after = origin.dev.commit("two", agent="backend-coder", files={"src/auth/b.py": "# b\n"})
    origin.push("main")
    ws = origin.checkout(after, depth=1)
    run = Runner(tmp_path, ws, "push", {"ref": "refs/heads/main", "before": before,
                                        "after": after}, {"fail-on": "error"}, runner_temp)
    run.run()
    out, _code = run.step("Check the pushed commits")
    assert "shallow" in out and "fetch-depth: 0" in out
    assert run.outputs["check"]["verdict"] == "error"
    assert run.step("Upload SARIF to code scanning") == ("skipped", None)  # no file to upload
    out, code = run.step("Enforce the verdict")
    assert code == 1 and "could not decide" in out


# ---------------------------------------------------------------- GitLab


def _gitlab() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (REPO_ROOT / "templates/pact-gatekeeper.gitlab-ci.yml").read_text(encoding="utf-8"))
    return data


def _gitlab_rule(job: dict[str, Any], env: dict[str, str]) -> bool:
    """GitLab's `rules:`: the first rule whose `if:` holds decides (when: never skips)."""
    for rule in job["rules"]:
        cond = rule["if"]
        ok = True
        for part in cond.split("&&"):
            part = part.strip()
            m = re.fullmatch(r'\$(\w+)\s*==\s*"([^"]*)"', part)
            if m:
                ok &= env.get(m.group(1), "") == m.group(2)
            else:
                m = re.fullmatch(r"\$(\w+)", part)
                assert m, f"rule not understood by the test: {part}"
                ok &= bool(env.get(m.group(1)))
        if ok:
            return bool(rule.get("when", "on_success") != "never")
    return False


def test_gitlab_template_is_valid_and_its_rules_pick_the_pipelines() -> None:
    template = _gitlab()
    schema = json.loads((SCHEMAS / "gitlab-ci.json").read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(template))
    assert not errors, [e.message for e in errors[:3]]
    job = template["pact-gatekeeper"]
    assert job["variables"]["GIT_DEPTH"] == "0"
    assert _gitlab_rule(job, {"CI_PIPELINE_SOURCE": "merge_request_event"})
    assert _gitlab_rule(job, {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "topic"})
    assert not _gitlab_rule(job, {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "topic",
                                  "CI_OPEN_MERGE_REQUESTS": "group/p!1"})  # the MR judges it
    assert not _gitlab_rule(job, {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "v1"})


def _gitlab_script(tmp: Path, ws: GitRepo, variables: dict[str, str],
                   ) -> subprocess.CompletedProcess[str]:
    template = _gitlab()
    job = template["pact-gatekeeper"]
    script = "\n".join(job["script"])
    # GitLab would install the released package; here, this checkout, offline.
    env = {"PATH": _shim(tmp), "HOME": str(tmp), "CI": "true", "GITLAB_CI": "true",
           **{k: str(v) for k, v in template["variables"].items()},
           **{k: str(v) for k, v in job["variables"].items()},
           "PACT_GATEKEEPER_PACKAGE": str(REPO_ROOT), **OFFLINE, **variables}
    venv = Path("/tmp/pact-gatekeeper-venv")
    script = script.replace(str(venv), str(tmp / "gl-venv"))  # one venv per test, not /tmp
    return subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=ws.path, env=env,
                          capture_output=True, text=True)


def test_gitlab_template_script_on_a_new_branch_and_a_merge_request(tmp_path: Path) -> None:
    origin = Origin(tmp_path)
    base = origin.dev.head()
    origin.dev.git("checkout", "-q", "-b", "topic")
    origin.dev.commit("one", agent="backend-coder", files={"src/auth/a.py": "# a\n"})
    tip = origin.dev.commit("two", agent="backend-coder", files=BAD)
    origin.push("topic")
    ws = origin.checkout(tip)
    # GitLab's clone fetches only the pipeline's ref: drop the default branch's refs.
    ws.git("update-ref", "-d", "refs/remotes/origin/main")
    ws.git("branch", "-q", "-D", "main")
    proc = _gitlab_script(tmp_path, ws, {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_SHA": tip,
                                         "CI_COMMIT_BEFORE_SHA": ZERO, "CI_COMMIT_BRANCH": "topic",
                                         "CI_DEFAULT_BRANCH": "main"})
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "BLOCK domain-boundary" in proc.stdout
    assert "not on the default branch 'main'" in proc.stdout
    _sarif_valid(ws.path / "gl-pact-gatekeeper.sarif")
    proc = _gitlab_script(tmp_path, ws, {
        "CI_PIPELINE_SOURCE": "merge_request_event", "CI_COMMIT_SHA": tip,
        "CI_MERGE_REQUEST_IID": "5", "CI_MERGE_REQUEST_DIFF_BASE_SHA": base,
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "CI_DEFAULT_BRANCH": "main"})
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "GitLab merge request !5" in proc.stdout


# ---------------------------------------------------------------- README recipes


def _readme_ci_blocks() -> list[dict[str, Any]]:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### CI: judge the whole range")
    end = text.index("\n### ", start + 10)
    section = text[start:end]
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", section, re.S)]


def test_readme_workflow_sets_permissions_pins_actions_and_keeps_run_clean() -> None:
    blocks = _readme_ci_blocks()
    workflows = [b for b in blocks if "jobs" in b]
    assert workflows, "the README's CI section shows a GitHub workflow"
    schema = json.loads((SCHEMAS / "github-workflows.json").read_text(encoding="utf-8"))
    for wf in workflows:
        wf["on"] = wf.pop(True)  # type: ignore[call-overload]  # PyYAML reads the key `on` as YAML 1.1's true; GitHub does not
        errors = list(jsonschema.Draft7Validator(schema).iter_errors(wf))
        assert not errors, [e.message for e in errors[:3]]
        assert wf["permissions"]["contents"] == "read"
        assert wf["permissions"]["security-events"] == "write"
        for job in wf["jobs"].values():
            for step in job["steps"]:
                if "run" in step:
                    assert "${{" not in step["run"]
                if "uses" in step:
                    ref = step["uses"].split("@", 1)[1]
                    assert re.fullmatch(r"[0-9a-f]{40}", ref) or ref.startswith("REPLACE_WITH"), ref
        assert any("fetch-depth" in s.get("with", {}) for s in job["steps"])
    # The action's inputs are all documented.
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for name in _action()["inputs"]:
        assert f"| `{name}` |" in text, name


def test_readme_gitlab_recipe_includes_the_template() -> None:
    (gitlab,) = [b for b in _readme_ci_blocks() if "include" in b]
    schema = json.loads((SCHEMAS / "gitlab-ci.json").read_text(encoding="utf-8"))
    assert not list(jsonschema.Draft7Validator(schema).iter_errors(gitlab))
    remote = gitlab["include"][0]["remote"]
    path = remote.split("/v0.1.0/", 1)[1]
    assert (REPO_ROOT / path).is_file()
    assert "PACT_GATEKEEPER_PACKAGE" in gitlab["variables"]
