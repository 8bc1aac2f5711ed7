# tests/test_precision_real.py: the precision fixes of issue 13, each as a false positive that
# now passes and the true positive (or the attack around it) that still blocks, in real repos.
"""Precision on real code: vendored/generated files, source-only file standards, .env files
judged by their values, SQL over constants and ORM-built SQL, destructive SQL by the file's
owner, secret-shaped examples; and content regexes that stay linear on 100,000-char lines."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO_ROOT, GitRepo, findings, pact_repo

from gatekeeper import signals


def _check(repo: GitRepo, agent: str) -> tuple[int, dict[str, Any]]:
    return repo.check_staged("change", agent, "--no-notes")


def _rule(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return findings(report, rule)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return pact_repo(tmp_path / "repo")


# ------------------------------------------------------------------------------- env-file


def test_env_file_with_settings_only_warns(repo: GitRepo) -> None:
    repo.stage({".env": "DEBUG=true\nPORT=8000\nSECRET_KEY=changeme\n"})
    code, report = _check(repo, "backend-coder")
    (f,) = _rule(report, "env-file")
    assert code == 0 and f["action"] == "warn" and f["level"] == "ALERT"
    assert "no value that looks like a credential" in f["message"]


def test_env_file_with_a_password_blocks(repo: GitRepo) -> None:
    repo.stage({"deploy/.env": "DEBUG=false\nDB_PASSWORD=hunter2hunter2\n"})
    code, report = _check(repo, "backend-coder")
    (f,) = _rule(report, "env-file")
    assert code == 1 and f["action"] == "block" and "DB_PASSWORD" in f["message"]


def test_env_file_renamed_from_a_template_is_judged_by_its_whole_content(repo: GitRepo) -> None:
    # Attack: commit the secret under an allowed template name, then rename it: a pure
    # rename adds no lines, so the full new content must be read.
    repo.commit("template", agent="backend-coder",
                files={".env.example": "API_TOKEN=ghp_" + "a1B2" * 9 + "\n"})
    repo.git("mv", ".env.example", ".env")
    code, report = _check(repo, "backend-coder")
    assert code == 1 and [f["action"] for f in _rule(report, "env-file")] == ["block"]


def test_private_key_file_without_a_key_warns_with_a_key_blocks(repo: GitRepo) -> None:
    repo.stage({"conf/license.key": "ACME-PRO-LICENSE 2026\n"})
    code, report = _check(repo, "backend-coder")
    assert code == 0 and [f["action"] for f in _rule(report, "env-file")] == ["warn"]
    repo.stage({"conf/server.key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"
                                   "-----END PRIVATE KEY-----\n"})
    code, report = _check(repo, "backend-coder")
    assert code == 1 and "block" in [f["action"] for f in _rule(report, "env-file")]


# ------------------------------------------------------------------------- destructive-sql


def test_destructive_sql_by_the_owner_is_an_alert_with_a_note(repo: GitRepo) -> None:
    # domain-boundary gives *.sql to the database engineer, wherever it lives: an upgrade
    # script outside migrations/ is theirs too.
    repo.stage({"deploy/upgrade/add_community.sql": "UPDATE feeds SET feed_type_id = 2;\n"})
    proc = repo.gk("check", "--staged", "--agent", "database-engineer", "--format", "json")
    report = json.loads(proc.stdout)
    (f,) = _rule(report, "destructive-sql")
    assert proc.returncode == 0
    assert (f["action"], f["level"], f["category"]) == ("warn", "ALERT", "DATA")
    assert "database-engineer, who owns this file" in f["message"]
    assert report["escalations"], "an owner's destructive SQL still leaves a note"


def test_destructive_sql_by_another_role_still_blocks(repo: GitRepo) -> None:
    repo.stage({"src/auth/purge.py": '# src/auth/purge.py: purge.\ndef purge(cursor):\n'
                                     '    cursor.execute("DELETE FROM sessions")\n'})
    code, report = _check(repo, "backend-coder")
    assert code == 1 and [f["action"] for f in _rule(report, "destructive-sql")] == ["block"]
    # The database engineer outside the files it owns: still a block.
    code, report = _check(repo, "database-engineer")
    assert code == 1 and [f["action"] for f in _rule(report, "destructive-sql")] == ["block"]


# ---------------------------------------------------------------- file-header / file-size


def test_file_standards_skip_vendored_and_non_source_files(repo: GitRepo) -> None:
    big = "".join(f"line {k}\n" for k in range(700))
    repo.stage({"static/js/lib/jquery.js": "(function(){\nvar a = 1;\nvar b = 2;\n})();\n",
                "app/static/css/lib/x.min.css": big, "locale/fr/django.po": big,
                "fixtures/data.json": big, "node_modules/left/index.js": "a\nb\nc\n",
                # a ClearSilver template under C#'s extension: markup, not source
                "templates/trac/ticket.cs": "<?cs include 'h.cs' ?>\n<p>a</p>\n<p>b</p>\n"})
    _code, report = _check(repo, "backend-coder")
    assert _rule(report, "file-header") == [] and _rule(report, "file-size") == []


def test_file_standards_still_judge_source_files(repo: GitRepo) -> None:
    body = "".join(f"x{k} = {k}\n" for k in range(700))
    repo.stage({"src/auth/big.py": body})
    _code, report = _check(repo, "backend-coder")
    assert [f["rule"] for f in _rule(report, "file-header")] == ["file-header"]
    assert [f["rule"] for f in _rule(report, "file-size")] == ["file-size"]


def test_linguist_generated_comes_from_the_parent_tree(repo: GitRepo) -> None:
    src = "import os\nimport sys\nVALUE = 1\n"
    # Attack: mark your own file generated in the same commit. The judged commit's
    # .gitattributes does not count.
    repo.stage({".gitattributes": "gen/** linguist-generated\n", "gen/api.py": src})
    _code, report = _check(repo, "backend-coder")
    assert [f["paths"] for f in _rule(report, "file-header")] == [["gen/api.py"]]
    # Once the attribute is in the parent's tree, generated files are skipped.
    repo.git("reset", "-q")
    repo.commit("mark generated code", agent="backend-coder",
                files={".gitattributes": "gen/** linguist-generated\n"})
    repo.stage({"gen/api.py": src})
    _code, report = _check(repo, "backend-coder")
    assert _rule(report, "file-header") == []
    # linguist-vendored=false takes a default vendor path back.
    repo.git("reset", "-q")
    repo.commit("unvendor", agent="backend-coder",
                files={".gitattributes": "gen/** linguist-generated\n"
                                         "static/js/lib/** linguist-vendored=false\n"})
    repo.stage({"static/js/lib/ours.js": "var a = 1;\nvar b = 2;\nvar c = 3;\n"})
    _code, report = _check(repo, "backend-coder")
    assert [f["paths"] for f in _rule(report, "file-header")] == [["static/js/lib/ours.js"]]


# ------------------------------------------------------------------------- sql-injection

CONSTANT_SQL = '''# src/auth/views.py: reports.
class Migration:
    viewname = "bouncing_tickets"
    viewquery = """
        SELECT id FROM ticket WHERE status = 'closed'
    """

    def forwards(self, db):
        db.execute("CREATE VIEW %s AS %s" % (self.viewname, self.viewquery))
        db.execute("DROP VIEW %s" % self.viewname)


def count(cursor, qs, extension):
    table = "auth_user"
    cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE id > 1")
    sql, params = qs.query.sql_with_params()
    cursor.execute("SELECT COUNT(*) FROM (%s) sub" % sql, params)
    cursor.execute("CREATE EXTENSION %s" % connection.ops.quote_name(extension))
    cursor.execute(f"SELECT * FROM {Model._meta.db_table} WHERE id = %s", [1])
'''


def test_sql_over_constants_literals_and_orm_sql_passes(repo: GitRepo) -> None:
    repo.stage({"src/auth/views.py": CONSTANT_SQL})
    _code, report = _check(repo, "backend-coder")
    assert _rule(report, "sql-injection") == []


@pytest.mark.parametrize("body", [
    # a value from the request
    "def f(cursor, request):\n    cursor.execute(f\"SELECT * FROM t WHERE id = {request.GET['id']}\")\n",
    # Attack: a constant-looking local reassigned from input on one branch
    "def f(cursor, name):\n    table = 'users'\n    if name:\n        table = name\n"
    "    cursor.execute(f'SELECT * FROM {table} WHERE id = 1')\n",
    # Attack: an UPPER_CASE name that is not a constant
    "def f(cursor, request):\n    TABLE = request.args['t']\n"
    "    cursor.execute('SELECT * FROM %s WHERE id = 1' % TABLE)\n",
    # Attack: a class attribute set from input somewhere in the file
    "class V:\n    table = 'users'\n    def set(self, t):\n        self.table = t\n"
    "    def get(self, cursor):\n        cursor.execute('SELECT * FROM %s WHERE id = 1' % self.table)\n",
    # ORM SQL is fine, but a value formatted next to it is not
    "def f(cursor, qs, name):\n    sql, params = qs.query.sql_with_params()\n"
    "    cursor.execute(\"SELECT * FROM (%s) s WHERE name = '%s'\" % (sql, name), params)\n",
])
def test_sql_with_a_non_constant_value_still_blocks(repo: GitRepo, body: str) -> None:
    repo.stage({"src/auth/q.py": "# src/auth/q.py: queries.\n" + body})
    code, report = _check(repo, "backend-coder")
    assert code == 1 and len(_rule(report, "sql-injection")) == 1


# ----------------------------------------------------------------------- hardcoded-secret


def test_secret_shaped_examples_pass_real_secrets_block(repo: GitRepo) -> None:
    repo.stage({
        "src/auth/oauth.py": '# src/auth/oauth.py: oauth.\ndef sign():\n    """For example::\n\n'
                             '        oauth_token="ad180jjd733klru7",\n    """\n',
        "src/auth/fixture.json": '{"password": "sha1$6cbce$e4e808893d586a3301ac3c14da6c8485"}\n',
        "src/auth/test_url.py": "URL = 'http://user:pass%20pass@complex.url.com/path'\n",
        "docs/_templates/search.html": "<script>docsearch({apiKey: 'f177061e2354c50a97bfc635e827ffab'})"
                                       "</script>\n"})
    code, report = _check(repo, "backend-coder")
    assert _rule(report, "hardcoded-secret") == []
    repo.stage({"src/auth/keys.py": "API_KEY = 'f177061e2354c50a97bfc635e827ffab'\n"})
    code, report = _check(repo, "backend-coder")
    assert code == 1 and [f["paths"] for f in _rule(report, "hardcoded-secret")] == [
        ["src/auth/keys.py"]]


# ------------------------------------------------------------------------- linear time

LONG = 100_000
HOSTILE = {
    "dotted chain before a log call": "x." * (LONG // 2) + "log(",
    "dotted argument": "logger.info(" + "a." * (LONG // 2) + "b)",
    "many arguments": "logger.info(" + ", ".join(f"user.x{k}" for k in range(LONG // 10)) + ")",
    "open parens": "print(" + "(" * LONG,
    "assignments": "a=" * (LONG // 2),
    "unclosed quote": '"' + "x" * LONG,
    "connection strings": "a://b:c@" * (LONG // 8),
    "select list": "cursor.execute('select " + "a, " * (LONG // 3) + "')",
    "f-string chain": "execute(f'select {" + "a." * (LONG // 2),
    "delete": "DELETE FROM " + "a " * (LONG // 2),
    "frontend name": "VITE_" + "A_" * (LONG // 2),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_content_detectors_are_linear_on_a_100k_char_line(name: str) -> None:
    line = HOSTILE[name]
    for check, detector in {**signals.CONTENT_DETECTORS}.items():
        t0 = time.perf_counter()
        detector("src/app.py", [(1, line)], {})
        elapsed = time.perf_counter() - t0
        # Linear costs ~30 ms here; the quadratic pii-in-logs regex took 300 s on "dotted
        # argument". The bound leaves room for a loaded CI machine.
        assert elapsed < 1.5, f"{check} took {elapsed:.2f} s on {name}"


# ------------------------------------------------------------ the real-history benchmark


def test_real_history_benchmark_quick_run_on_the_builtin_corpus() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "real_history.py"), "--corpus", "builtin",
         "--commits", "60", "--runs", "1", "--json"],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["machine"]["commits"] == 60
    measures = [r["measure"] for r in out["results"]]
    assert any(m.startswith("check --range") for m in measures)
    assert any(m.startswith("git push with the pre-receive hook") for m in measures)
    assert any(m.startswith("pre-receive hook within the push") for m in measures)
    assert any(m.startswith("peak RSS") for m in measures)
    assert all(r["value"] > 0 for r in out["results"])


def test_pii_finding_still_names_the_whole_call_chain() -> None:
    # The linear log-call pattern finds the dotted chain by a backward walk: the finding
    # (and its fingerprint) reads as before.
    lines = [(7, '    self.app.logger.info("login %s", user.email)')]
    (hit,) = signals.pii_in_logs("src/app.py", lines, {})
    assert hit.observed == "email passed to self.app.logger.info()"
    assert hit.evidence.startswith("pii-in-logs:self.app.logger.info:")
    (hit,) = signals.pii_in_logs("src/app.py", [(1, "x1.logger.info(user.email)")], {})
    assert hit.observed == "email passed to x1.logger.info()"


def test_destructive_sql_without_an_identity_blocks(repo: GitRepo) -> None:
    # Attack: no trailer at all, hoping "nobody" counts as the owner of a .sql file.
    repo.stage({"deploy/upgrade/wipe.sql": "DELETE FROM feeds;\n"})
    code, report = repo.check_staged("wipe", None, "--no-notes")
    assert code == 1 and [f["action"] for f in _rule(report, "destructive-sql")] == ["block"]
