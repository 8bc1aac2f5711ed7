# tests/test_schemas.py: `gatekeeper schema`: JSON Schemas that accept what the tool writes, reject bad input.
"""The schemas are generated from the validation models; these tests hold them to real
data: the bundled packs, init's config, a real ledger walked through the CLI, real JSON
reports and status output. A wrong type in the config must be rejected by the schema as
it is by the gatekeeper itself."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from helpers import REPO_ROOT, gk, make_repo, pact_repo

from gatekeeper import jsonschemas
from gatekeeper.config import load_config, parse_toml
from gatekeeper.errors import ConfigError

NAMES = ("config", "ledger", "policy", "report", "status")


@functools.cache
def _schema(name: str) -> dict[str, Any]:
    """The schema as the real CLI prints it (once per name and session)."""
    proc = gk(REPO_ROOT, "schema", name)
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def _errors(name: str, instance: Any) -> list[str]:
    schema = _schema(name)
    v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return [f"{list(e.path)}: {e.message}" for e in v.iter_errors(instance)]


def _jsonable(data: Any) -> Any:
    """YAML dates as JSON strings, as a YAML language server sees them."""
    return json.loads(json.dumps(data, default=str))


@pytest.mark.parametrize("name", NAMES)
def test_schema_command_prints_the_shipped_file_and_a_valid_schema(name: str) -> None:
    schema = _schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    shipped = jsonschemas.bundled_dir() / jsonschemas.file_name(name)
    assert json.loads(shipped.read_text(encoding="utf-8")) == schema, (
        f"gatekeeper/schemas/{shipped.name} is stale: regenerate it with "
        f"`gatekeeper schema {name} > gatekeeper/schemas/{shipped.name}`")


def test_unknown_schema_name_exits_2() -> None:
    proc = gk(REPO_ROOT, "schema", "nope")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


@pytest.mark.parametrize("pack", ["pact-core", "pact-signals"])
def test_bundled_packs_validate(pack: str) -> None:
    data = yaml.safe_load((REPO_ROOT / "policies" / f"{pack}.yaml").read_text(encoding="utf-8"))
    assert _errors("policy", _jsonable(data)) == []


def test_policy_schema_rejects_a_bad_level() -> None:
    bad = {"rules": [{"id": "my-rule", "title": "t", "check": "file_size", "level": "PANIC",
                      "category": "QUALITY", "message": "m"}]}
    assert any("PANIC" in e for e in _errors("policy", bad))


def test_inits_config_validates_and_a_wrong_type_is_rejected(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    repo.commit("code", files={"db/migrate/0001_users.rb": "# m\n", "app.py": "# a\n"})
    assert repo.gk("init").returncode == 0
    text = (repo.path / ".pact/config.toml").read_text(encoding="utf-8")
    assert _errors("config", parse_toml(text, "config.toml")) == []
    # Every commented-out example, switched on, is valid too.
    uncommented = "\n".join(line[2:] if line.startswith(("# orchestrator", "# inbox", "# [rules",
                                                         "# action", "# max_lines", "# tests"))
                            else line for line in text.splitlines())
    assert _errors("config", parse_toml(uncommented, "config.toml")) == []
    wrong = text.replace("tolerance = 0.2", 'tolerance = "twenty percent"')
    assert any("tolerance" in e or "twenty percent" in e
               for e in _errors("config", parse_toml(wrong, "config.toml")))
    # The gatekeeper itself agrees: exit 2 naming the file and key.
    (repo.path / ".pact/config.toml").write_text(wrong, encoding="utf-8")
    proc = repo.gk("status")
    assert proc.returncode == 2 and "config.toml" in proc.stderr
    roles = '[roster]\nBackend_Coder = ["b@x.org"]\npact-database-engineer = ["d@x.org"]\n'
    assert _errors("config", parse_toml(roles, "x.toml")) == []  # spellings the loader accepts
    assert load_config(roles, None).roster["backend-coder"] == ["b@x.org"]
    with pytest.raises(ConfigError):
        load_config('[roster]\nwizard = ["w@x.org"]\n', None)
    for bad in ('[paths]\nsourcecode = ["src/**"]\n', '[rules.phase-gate]\naction = "maybe"\n',
                '[roster]\nwizard = ["w@x.org"]\n',
                '[scope]\nundershoot = 3\n', 'packs = "pact-core"\n'):
        assert _errors("config", parse_toml(bad, "x.toml")), bad


def test_real_ledger_events_validate(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.orchestrate("waive", "file-size", "--reason", "generated fixtures are long",
                     "--path", "src/auth/fixtures/**", "--expires", "2099-01-01")
    repo.orchestrate("estimate", "auth", "150", "--reason", "the OAuth flow needs a callback")
    docs = [d for d in yaml.safe_load_all((repo.path / ".pact/ledger.yaml").read_text()) if d]
    kinds = {d["event"] for d in docs}
    assert {"init", "feature", "phase", "approve", "waive", "estimate"} <= kinds
    for doc in docs:
        assert _errors("ledger", _jsonable(doc)) == [], doc
    assert _errors("ledger", {"event": "phase", "feature": "auth", "phase": "shipping"})


def test_real_reports_and_status_validate(tmp_path: Path) -> None:
    repo = pact_repo(tmp_path / "r")
    repo.stage({"src/auth/a.py": "# a\nx = 1\n", "migrations/0001.sql": "DROP TABLE users;\n"})
    code, report = repo.check_staged("work", "backend-coder")
    assert code == 1 and report["findings"]
    assert _errors("report", report) == []
    assert _errors("report", {**report, "verdict": "maybe"})
    proc = repo.gk("status", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    assert _errors("status", status) == []
    assert _errors("status", {k: v for k, v in status.items() if k != "features"})
