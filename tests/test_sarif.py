# tests/test_sarif.py: SARIF output against the official 2.1.0 schema and GitHub's ingestion rules.
"""GitHub code scanning rejects a whole upload when one result lacks a location, and shows
raw text where help is raw. These tests build real histories (a trailer-less commit, an
empty commit, a merge like GitHub's own, a waived secret and an active one), run the real
CLI, and check every rule GitHub documents for SARIF uploads."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import GitRepo, pact_repo

SCHEMAS = Path(__file__).parent / "schemas"
KEY = "AKIA" + "IOSFODNN7EXAMPLE"


def _validate(sarif: dict[str, Any]) -> None:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(sarif), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def _github_rules(sarif: dict[str, Any], tree: set[str]) -> None:
    """GitHub's documented requirements for a SARIF upload (code scanning docs, "SARIF
    support"): locations on every result, relative URIs, known rule ids, levels, help,
    security-severity as a number string in 0-10, fingerprints."""
    assert sarif["version"] == "2.1.0" and sarif["$schema"]
    for run in sarif["runs"]:
        driver = run["tool"]["driver"]
        assert driver["name"] and driver["version"]
        rules = driver["rules"]
        ids = [r["id"] for r in rules]
        assert len(ids) == len(set(ids))
        for r in rules:
            assert r["help"]["text"] and r["help"]["markdown"]
            for text in (r["help"]["text"], r["help"]["markdown"], r["shortDescription"]["text"]):
                assert not re.search(r"\{[a-z_]+\}", text), f"raw template in {r['id']}: {text}"
            assert r["helpUri"].startswith("https://")
            sev = r["properties"].get("security-severity")
            if sev is not None:
                assert isinstance(sev, str) and 0.0 <= float(sev) <= 10.0
                assert "security" in r["properties"]["tags"]
            assert len(r["properties"]["tags"]) <= 20
        assert len(run["results"]) <= 25_000
        for res in run["results"]:
            assert res["ruleId"] in ids
            assert ids[res["ruleIndex"]] == res["ruleId"]
            assert res["level"] in ("error", "warning", "note", "none")
            assert res["message"]["text"]
            assert res["locations"], f"result without a location: {res}"
            phys = res["locations"][0]["physicalLocation"]
            uri = phys["artifactLocation"]["uri"]
            assert not uri.startswith(("/", "file:")) and ".." not in uri.split("/")
            assert uri in tree, f"{uri} is not a file of the repository"
            if "region" in phys:
                assert phys["region"]["startLine"] >= 1
            assert res["partialFingerprints"]["pactFingerprint/v1"]


def _tree(repo: GitRepo) -> set[str]:
    return set(repo.git("ls-tree", "-r", "--name-only", "HEAD").stdout.split())


def _sarif(repo: GitRepo, *args: str) -> tuple[int, dict[str, Any]]:
    proc = repo.gk("check", *args, "--format", "sarif", "--no-notes")
    assert proc.returncode in (0, 1), proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return proc.returncode, data


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[GitRepo, str]:
    repo = pact_repo(tmp_path_factory.mktemp("sarif") / "r")
    base = repo.head()
    repo.orchestrate("waive", "hardcoded-secret", "--reason", "documented AWS example keys",
                     "--path", "src/auth/fixtures/**")
    repo.commit_ledger("waive the fixtures")
    repo.commit("keys", agent="backend-coder", files={
        "src/auth/fixtures/k.py": f'# fixture\nKEY = "{KEY}"\n',
        "src/auth/key.py": f'# key\nKEY = "{KEY}"\n'})
    repo.commit("a commit without trailers", files={"src/auth/b.py": "# b\nx = 1\n"})
    repo.commit("an empty commit without trailers", allow_empty=True)
    # GitHub's pull-request merge commit: made by GitHub, no PACT-Agent trailer.
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("topic work", agent="backend-coder", files={"src/auth/topic.py": "# t\ny = 2\n"})
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "--no-verify", "-m", "Merge pull request #7 from topic",
             "topic")
    return repo, base


def test_range_with_trailerless_commits_validates_and_every_result_is_located(
        history: tuple[GitRepo, str]) -> None:
    repo, base = history
    code, sarif = _sarif(repo, "--range", f"{base}..HEAD")
    assert code == 1
    _validate(sarif)
    _github_rules(sarif, _tree(repo))
    results = sarif["runs"][0]["results"]
    by_commit: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        by_commit.setdefault(r["properties"]["commit"], []).append(r)
    shas = {s[:12]: s for s in repo.git("rev-list", f"{base}..HEAD").stdout.split()}
    subject = {k: repo.git("log", "-1", "--format=%s", v).stdout.strip() for k, v in shas.items()}
    located = {subject[c]: [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                            for r in rs if r["ruleId"] == "agent-identity"]
               for c, rs in by_commit.items()}
    # No path of its own: the commit's first changed path, else the ledger.
    assert located["a commit without trailers"] == ["src/auth/b.py"]
    assert located["an empty commit without trailers"] == [".pact/ledger.yaml"]
    assert located["Merge pull request #7 from topic"] == ["src/auth/topic.py"]


def test_halt_security_severity_tags_and_waived_results(history: tuple[GitRepo, str]) -> None:
    repo, base = history
    _code, sarif = _sarif(repo, "--range", f"{base}..HEAD")
    run = sarif["runs"][0]
    (rule,) = [r for r in run["tool"]["driver"]["rules"] if r["id"] == "hardcoded-secret"]
    assert rule["properties"]["security-severity"] == "9.0"
    assert {"security", "pact-halt"} <= set(rule["properties"]["tags"])
    secrets = [r for r in run["results"] if r["ruleId"] == "hardcoded-secret"]
    active = [r for r in secrets if "suppressions" not in r]
    waived = [r for r in secrets if "suppressions" in r]
    assert [r["level"] for r in active] == ["error"]
    assert active[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/auth/key.py"
    assert active[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert [r["level"] for r in waived] == ["note"]
    (sup,) = waived[0]["suppressions"]
    assert sup["kind"] == "external" and "W-1" in sup["justification"]
    assert KEY not in json.dumps(sarif), "a secret is never printed"
    # Rule help is rendered: no template placeholders, the README's rule section linked.
    (ident,) = [r for r in run["tool"]["driver"]["rules"] if r["id"] == "agent-identity"]
    assert "security-severity" not in ident["properties"]
    assert "gatekeeper policy explain agent-identity" in ident["help"]["text"]
    assert ident["helpUri"].endswith("#rules")


def test_data_rules_carry_security_severity(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    base = repo.head()
    repo.commit("drop", agent="backend-coder",
                files={"src/auth/wipe.py": '# wipe\ncur.execute("DROP TABLE users")\n'})
    _code, sarif = _sarif(repo, "--range", f"{base}..HEAD")
    _validate(sarif)
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["destructive-sql"]["properties"]["security-severity"] == "8.0"
    assert "security" in rules["destructive-sql"]["properties"]["tags"]


def test_fingerprints_are_stable_across_runs_and_ranges(history: tuple[GitRepo, str]) -> None:
    repo, base = history
    _c, one = _sarif(repo, "--range", f"{base}..HEAD")
    _c, two = _sarif(repo, "--range", f"{base}..HEAD")

    def prints(s: dict[str, Any]) -> list[tuple[str, str, str]]:
        return sorted((r["ruleId"], r["properties"]["commit"],
                       r["partialFingerprints"]["pactFingerprint/v1"])
                      for r in s["runs"][0]["results"])

    assert prints(one) == prints(two)
    # The same finding judged in a shorter range keeps its fingerprint.
    key_commit = repo.git("rev-list", "-1", "--grep=^keys$", "HEAD").stdout.strip()
    _c, single = _sarif(repo, "--commit", key_commit)
    fp = {r["partialFingerprints"]["pactFingerprint/v1"] for r in single["runs"][0]["results"]
          if r["ruleId"] == "hardcoded-secret"}
    assert fp and fp <= {p for _r, _c2, p in prints(one)}


def test_staged_finding_without_a_path_points_at_the_first_staged_file(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.stage({"src/auth/x.py": "# x\nx = 1\n"})
    msg = tmp_path / "m.txt"
    msg.write_text("no trailer\n")
    _code, sarif = _sarif(repo, "--staged", "--message-file", str(msg))
    _validate(sarif)
    (ident,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "agent-identity"]
    assert ident["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/auth/x.py"


def test_sarif_file_beside_text_output(history: tuple[GitRepo, str], tmp_path: Path) -> None:
    repo, base = history
    out = tmp_path / "pact.sarif"
    proc = repo.gk("check", "--range", f"{base}..HEAD", "--no-notes", "--sarif-file", str(out))
    assert proc.returncode == 1
    assert "BLOCK hardcoded-secret" in proc.stdout
    _validate(json.loads(out.read_text(encoding="utf-8")))


def test_passing_check_gives_an_empty_valid_run(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    base = repo.head()
    repo.commit("ok", agent="backend-coder", files={"src/auth/ok.py": "# ok\nx = 1\n"})
    code, sarif = _sarif(repo, "--range", f"{base}..HEAD")
    assert code == 0
    _validate(sarif)
    assert sarif["runs"][0]["results"] == []


def test_awkward_paths_become_valid_relative_uris(tmp_path: Path) -> None:
    """A path with a space, '#', '%' or non-ASCII letters is still one artifact GitHub can
    map back to the file: percent-encoded, relative, never a fragment."""
    from urllib.parse import unquote

    repo = pact_repo(tmp_path / "r")
    base = repo.head()
    name = "src/auth/my file#1 100%-é.py"
    repo.commit("odd", agent="backend-coder", files={name: f'# odd\nKEY = "{KEY}"\n'})
    _code, sarif = _sarif(repo, "--range", f"{base}..HEAD")
    _validate(sarif)
    (res,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "hardcoded-secret"]
    uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert " " not in uri and "#" not in uri and unquote(uri) == name


def test_results_beyond_githubs_limit_are_cut_keeping_blocks_first(monkeypatch: pytest.MonkeyPatch,
                                                                   ) -> None:
    """GitHub rejects a run with more than 25,000 results; the SARIF keeps the blocking ones
    and says how many were left out. (In-process, with the limit lowered.)"""
    from gatekeeper import sarif
    from gatekeeper.engine import Finding
    from gatekeeper.report import Report

    def finding(i: int, action: str) -> Finding:
        return Finding(rule="file-size", title="t", level="ALERT", category="QUALITY",
                       action=action, message=f"m{i}", remedy="r", impact="", paths=[f"f{i}.py"],
                       commit="abc", feature=None, agent=None, fingerprint=f"fp{i}")

    monkeypatch.setattr(sarif, "MAX_RESULTS", 3)
    report = Report(findings=[finding(i, "warn") for i in range(4)] + [finding(9, "block")])
    data = sarif.to_sarif(report)
    _validate(data)
    results = data["runs"][0]["results"]
    assert len(results) == 3 and results[0]["level"] == "error"
    assert "2 result(s) left out" in data["runs"][0]["properties"]["notices"][-1]
