# tests/test_signals_corpus.py: corpus tests for the pure signal detectors in gatekeeper/signals/.
# True positives and true negatives per language; every hit names its line and leaks no secret.
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatekeeper import signals
from gatekeeper.signals import SignalHit

ROOT = Path(__file__).resolve().parent.parent

# Token-shaped values are assembled at run time so that no scanner mistakes this file for a
# leak; all of them are made up, or AWS's documented example key pair.
AWS_ID = "AKIA" + "IOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG" + "/bPxRfiCYEXAMPLEKEY"
GH = "ghp" + "_" + "A1b2C3d4E5" * 4
GH_PAT = "github" + "_pat_" + "11ABCDEFG0" * 3 + "_xYz"
GLPAT = "glpat" + "-" + "Ab3dE6gH9jK2mN5pQ8sT"
SLACK = "xox" + "b-" + "1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUv"
SLACK_HOOK = "https://hooks" + ".slack.com/services/" + "T0AAAAAAA/B0BBBBBBB/" + "Zq" * 12
STRIPE = "sk" + "_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
OPENAI = "sk" + "-proj-" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv"
ANTHROPIC = "sk" + "-ant-api03-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe"
AZURE = "Jq3Xk9Lm2Np7Rs4Tv8Wx1Yz5Ab6Cd0Ef" * 2 + "Gh1Jk2Lm3Np4Qr5St6Uv7Wx8Yz9A=="
PEM_HEAD = "-----BEGIN " + "RSA PRIVATE KEY-----"
PEM_BODY = "MIIEpAIBAAKCAQEA" + "q7Zx3Ks9Lm2Np7Rs4Tv8Wx1Yz5Ab6Cd0Ef" * 2
PW = "Kq7#mZ2pLx9v"
TOK = "Zx81kdlaPq0w9Vb"
DB_PW = "Sup3rS3cretPw"


def added(text: str, start: int = 1) -> list[tuple[int, str]]:
    """Added lines as the engine passes them: (line number in the new file, text)."""
    return list(enumerate(text.splitlines(), start))


def check_hit(hit: SignalHit, line: int, observed: str, secret: str | None) -> None:
    assert hit.line == line, hit
    assert observed.lower() in hit.observed.lower(), hit
    assert hit.advice and hit.evidence and len(hit.excerpt) <= 120
    assert hit.excerpt == hit.excerpt.strip()
    if secret:
        assert secret not in hit.excerpt, hit
        assert secret not in hit.evidence, hit
        assert secret not in hit.observed, hit


# (path, added text, first line number, expected observed, expected line, secret value)
SECRET_TP = [
    ("app/settings.py", f'AWS_ACCESS_KEY_ID = "{AWS_ID}"', 1, "AWS access key id", 1, AWS_ID),
    ("app/settings.py", f'aws_secret_access_key = "{AWS_SECRET}"', 1, "AWS secret access key", 1,
     AWS_SECRET),
    ("deploy/sa.json", f'{{\n  "type": "service_account",\n  "private_key": "{PEM_HEAD}\\n'
     f'{PEM_BODY}\\n-----END RSA PRIVATE KEY-----\\n",\n}}', 1, "GCP service-account", 3, PEM_BODY),
    ("src/Storage.cs", f'cs = "DefaultEndpointsProtocol=https;AccountName=a;AccountKey={AZURE}";',
     10, "Azure storage", 10, AZURE),
    ("web/github.ts", f'const kit = new Octokit({{ auth: "{GH}" }});', 1, "GitHub token", 1, GH),
    ("cmd/main.go", f'client := github.NewClient(nil).WithAuthToken("{GH_PAT}")', 7,
     "GitHub fine-grained", 7, GH_PAT),
    ("ci/config.yml", f"deploy:\n  gitlab_token: {GLPAT}\n", 1, "GitLab", 2, GLPAT),
    ("bot/slack.py", f'SLACK_BOT = "{SLACK}"', 1, "Slack token", 1, SLACK),
    ("web/notify.ts", f'await fetch("{SLACK_HOOK}", {{ method: "POST" }});', 1, "Slack webhook", 1,
     SLACK_HOOK),
    ("src/Billing.java", f'static final String STRIPE = "{STRIPE}";', 3, "Stripe", 3, STRIPE),
    ("ai/client.py", f'client = OpenAI(api_key="{OPENAI}")', 1, "OpenAI", 1, OPENAI),
    ("ai/claude.py", f'client = anthropic.Anthropic(api_key="{ANTHROPIC}")', 1, "Anthropic", 1,
     ANTHROPIC),
    ("certs/server.pem", f"{PEM_HEAD}\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----", 1,
     "PEM private key", 1, PEM_BODY),
    (".env", f"DATABASE_URL=postgres://app:{DB_PW}@db.prod.internal:5432/app", 1,
     "connection", 1, DB_PW),
    ("app/db.py", f'engine = create_engine("mysql+pymysql://svc:{DB_PW}@10.0.0.5/shop")', 1,
     "connection", 1, DB_PW),
    ("internal/db.go", f'dbPassword := "{PW}"', 4, "dbPassword", 4, PW),
    ("src/Api.java", 'private static final String API_KEY = "a8f5f167f44f4964e6c998dee827110c";', 1,
     "API_KEY", 1, "a8f5f167f44f4964e6c998dee827110c"),
    (".env.production", f"NODE_ENV=production\nAPI_TOKEN={TOK}\n", 1, "API_TOKEN", 2, TOK),
    ("config/app.toml", f'[oauth]\nclient_secret = "{TOK}"', 20, "client_secret", 21, TOK),
    ("app/db.py", f'conn = psycopg.connect(host="db", password="{PW}")', 1, "password", 1, PW),
    ("web/api.ts", f'const apiKey: string = "{TOK}";', 1, "apiKey", 1, TOK),
    ("app/conf.py", f'token: str = "{TOK}"', 1, "token", 1, TOK),
    ("app/conf.json", f'{{"auth_token": "{TOK}"}}', 1, "auth_token", 1, TOK),
    ("README.md", f"export AWS_ACCESS_KEY_ID={AWS_ID}", 1, "AWS access key id", 1, AWS_ID),
]

SECRET_TN = [
    ("app/settings.py", 'password = "changeme"'),
    ("app/settings.py", 'password = ""'),
    ("app/settings.py", 'api_key = "<your-api-key>"'),
    ("app/settings.py", 'API_KEY = "your-api-key-here"'),
    ("app/settings.py", 'password = "xxxxxxxxxx"\nsecret = "************"'),
    ("app/settings.py", 'password = "%s"\ntoken = "{{ token }}"'),
    ("app/settings.py", 'password = "dummy-Pw-42"\napi_key = "test-key-1234"'),
    ("app/settings.py", 'token = "a1B2c3"'),  # too short for the generic case
    ("app/settings.py", 'api_key = os.environ["API_KEY"]\ntoken = os.getenv("TOKEN")'),
    ("web/api.js", "const token = process.env.API_TOKEN;"),
    ("src/Db.java", 'String password = System.getenv("DB_PASSWORD");'),
    ("cmd/main.go", 'token := os.Getenv("TOKEN")'),
    ("lib/client.rb", 'token = ENV["TOKEN"]'),
    ("app/auth.py", "password = get_password()\ntoken = self.token\nsecret = settings.SECRET"),
    ("app/models.py", "password: str\napi_key: Optional[str] = None"),
    ("web/types.ts", "interface User {\n  password: string;\n  token?: string;\n}"),
    ("app/auth.py", f'if password == "{PW}":\n    pass\nassert token != "{TOK}"'),
    ("app/aws.py", 'next_token = "AAECAwQFBgcICQoLDA0ODxAREhMU"\nClientToken = "Ab9xQ2mN7pLw"'),
    ("app/forms.py", f'password_field = "{PW}"\nTOKEN_TYPE = "Bearer"\nmax_tokens = 1024'),
    ("app/db.py", 'url = "postgres://user:password@localhost/db"'),
    ("web/db.ts", "const url = `postgres://${DB_USER}:${DB_PASS}@${HOST}/app`;"),
    ("docker/.env", "DATABASE_URL=postgres://postgres:postgres@localhost:5432/dev"),
    ("app/keys.py", 'password = f"{prefix}-{suffix}"'),
    ("docs/setup.md", f'password = "{PW}"'),  # docs: only well-known token formats count
    ("ml/model.py", 'model = "sk-learn-classifier-version"\ntokenizer = "bert-base-uncased"'),
    ("app/tls.py", 'private_key = "/etc/ssl/private/server.pem"'),
    ("crypto/ssh.py", '_SK_START = b"' + PEM_HEAD + '"'),  # a marker constant, no key body
    ("app/ssl.py", 'ssl_keyfile = "server.key"\nsecret_name = "prod/db"'),
    ("scan/rules.py", "SECRET = r'(?=[^\\v\\'\\\"]*)(?=\\w+)[^\\v\\'\\\"]*'"),  # a regex
    ("app/urls.py", "u = MultiHostUrl('https://foo.com:123,foo:bar@bar.com/path')"),
]


@pytest.mark.parametrize(("path", "text", "start", "observed", "line", "secret"), SECRET_TP)
def test_hardcoded_secret_true_positives(
        path: str, text: str, start: int, observed: str, line: int, secret: str) -> None:
    hits = signals.hardcoded_secret(path, added(text, start), {})
    assert hits, f"missed {observed} in {path}"
    check_hit(hits[0], line, observed, secret)
    for hit in hits:
        check_hit(hit, hit.line, "", secret)


@pytest.mark.parametrize(("path", "text"), SECRET_TN)
def test_hardcoded_secret_true_negatives(path: str, text: str) -> None:
    assert signals.hardcoded_secret(path, added(text), {}) == []


def test_hardcoded_secret_allow_values_and_evidence_is_stable() -> None:
    lines = added(f'key = "{AWS_ID}"')
    assert signals.hardcoded_secret("a.py", lines, {"allow_values": [AWS_ID]}) == []
    first = signals.hardcoded_secret("a.py", lines, {})[0]
    again = signals.hardcoded_secret("b/other.py", added(f'k2 = "{AWS_ID}"', 9), {})[0]
    assert first.evidence == again.evidence and first.evidence.startswith("aws-access-key:")
    assert first.excerpt == 'key = "AKIA****MPLE"'


def test_hardcoded_secret_generic_can_be_turned_off() -> None:
    assert signals.hardcoded_secret("a.py", added(f'password = "{PW}"'), {"generic": False}) == []


def test_detect_secrets_backend_is_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("detect_secrets", "detect_secrets.core", "detect_secrets.core.scan"):
        monkeypatch.setitem(sys.modules, name, None)  # importing it now raises ImportError
    hits = signals.hardcoded_secret("a.py", added(f'key = "{AWS_ID}"'), {"detect_secrets": True})
    assert [h.observed for h in hits] == ["AWS access key id"]


def test_detect_secrets_backend_when_installed() -> None:
    pytest.importorskip("detect_secrets")
    hexval = "a3f9c2e1b7d4" * 4
    lines = added(f'key = "{AWS_ID}"\nh = "{hexval}"', 20)
    hits = signals.hardcoded_secret("a.py", lines, {"detect_secrets": True})
    assert [h.line for h in hits] == [20, 21]  # the AWS key once (ours), then the backend's hex
    assert "detect-secrets" in hits[1].observed
    assert all(v not in h.excerpt for h in hits for v in (AWS_ID, hexval))


# ------------------------------------------------------------------ frontend credentials

FRONTEND_TP = [
    (".env", "VITE_API_SECRET=abc123", "VITE_API_SECRET"),
    (".env.local", "NEXT_PUBLIC_OPENAI_API_KEY=", "NEXT_PUBLIC_OPENAI_API_KEY"),
    ("src/api.ts", "const t = import.meta.env.VITE_GITHUB_TOKEN;", "VITE_GITHUB_TOKEN"),
    ("pages/admin.js", "login(process.env.NEXT_PUBLIC_ADMIN_PASSWORD)",
     "NEXT_PUBLIC_ADMIN_PASSWORD"),
    ("src/App.jsx", "auth(process.env.REACT_APP_AUTH0_CLIENT_SECRET)",
     "REACT_APP_AUTH0_CLIENT_SECRET"),
    ("src/lib/db.svelte", "import { PUBLIC_SUPABASE_SERVICE_KEY } from '$env/static/public';",
     "PUBLIC_SUPABASE_SERVICE_KEY"),
    ("src/main.vue", "headers: { Authorization: process.env.VUE_APP_API_TOKEN }",
     "VUE_APP_API_TOKEN"),
    ("gatsby-config.js", "token: process.env.GATSBY_CONTENTFUL_TOKEN,", "GATSBY_CONTENTFUL_TOKEN"),
    ("app.config.ts", "key: process.env.EXPO_PUBLIC_MAPBOX_SECRET_TOKEN",
     "EXPO_PUBLIC_MAPBOX_SECRET_TOKEN"),
    ("nuxt.config.ts", "apiSecret: process.env.NUXT_PUBLIC_API_SECRET", "NUXT_PUBLIC_API_SECRET"),
]

FRONTEND_TN = [
    (".env", "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY=pk_live_123\nVITE_SUPABASE_ANON_KEY=eyJx"),
    (".env", "NEXT_PUBLIC_RECAPTCHA_SITE_KEY=6Lc\nVITE_FIREBASE_API_KEY=AIzaX\nVITE_API_URL=/api"),
    (".env", "STRIPE_SECRET_KEY=sk\nOPENAI_API_KEY=x"),  # server-side names
    ("app/keys.py", "PUBLIC_TOKEN_LENGTH = 32\nPUBLIC_SECRET = load()"),  # bare PUBLIC_: web only
    ("src/x.ts", "const k = MY_VITE_SECRET;"),
]


@pytest.mark.parametrize(("path", "text", "name"), FRONTEND_TP)
def test_frontend_credentials_true_positives(path: str, text: str, name: str) -> None:
    hits = signals.frontend_credentials(path, added(text, 5), {})
    assert len(hits) == 1
    check_hit(hits[0], 5, name, None)
    assert hits[0].evidence == f"frontend-credential:{name}"


@pytest.mark.parametrize(("path", "text"), FRONTEND_TN)
def test_frontend_credentials_true_negatives(path: str, text: str) -> None:
    assert signals.frontend_credentials(path, added(text), {}) == []


def test_frontend_credentials_value_is_redacted_and_reported_once() -> None:
    text = f"VITE_STRIPE_SECRET_KEY={STRIPE}\nconst a = import.meta.env.VITE_STRIPE_SECRET_KEY"
    hits = signals.frontend_credentials(".env", added(text), {})
    assert len(hits) == 1 and STRIPE not in hits[0].excerpt


# ------------------------------------------------------------------------- SQL injection

SQL_TP = [
    ("app/repo.py", 'cursor.execute(f"SELECT * FROM u WHERE email = \'{email}\'")', 1, "f-string"),
    ("app/repo.py", 'cur.execute("SELECT * FROM u WHERE id = %s" % user_id)', 1, "%-formatting"),
    ("app/repo.py", 'conn.execute("DELETE FROM t WHERE id = {}".format(item_id))', 1, ".format()"),
    ("app/repo.py", 'cursor.execute("SELECT * FROM users WHERE name = \'" + name + "\'")', 1,
     "concatenation"),
    ("app/repo.py", 'cur.executemany(f"INSERT INTO {table} VALUES (?, ?)", rows)', 1, "f-string"),
    ("app/repo.py", 'db.executescript(f"DROP TABLE {name};")', 1, "f-string"),
    ("app/repo.py", 'session.execute(text(f"SELECT * FROM u WHERE id = {uid}"))', 1, "f-string"),
    ("app/views.py", 'User.objects.raw(f"SELECT * FROM auth_user WHERE name = \'{q}\'")', 1,
     "f-string"),
    ("app/repo.py", 'query = f"SELECT * FROM users WHERE name = \'{name}\'"\n'
     "rows = cursor.execute(query).fetchall()", 2, "line 1"),
    ("app/repo.py", "sql = \"SELECT * FROM users WHERE name = '%s'\" % name\n\ncur.execute(sql)", 3,
     "line 1"),
    ("app/repo.py", 'cursor.execute(\n    f"SELECT * FROM u WHERE id = {uid}"\n)', 1, "f-string"),
    ("app/repo.py", 'q = f"""\n    SELECT * FROM users\n    WHERE name = \'{name}\'\n"""\n'
     "cur.execute(q)", 5, "line 1"),
    ("web/repo.ts", "const r = await db.query(`SELECT * FROM users WHERE id = ${id}`);", 1,
     "template literal"),
    ("web/repo.js", "pool.query('SELECT * FROM users WHERE id = ' + req.params.id)", 1,
     "concatenation"),
    ("web/repo.ts", "await prisma.$queryRawUnsafe(`SELECT * FROM u WHERE email = '${email}'`)", 1,
     "template literal"),
    ("web/repo.js", 'sequelize.query("SELECT * FROM users WHERE name = \'" + name + "\'")', 1,
     "concatenation"),
    ("web/repo.js", "knex.raw(`SELECT * FROM users WHERE id = ${id}`)", 1, "template literal"),
    ("web/repo.ts", "const sql = `SELECT * FROM u WHERE id = ${id}`;\nawait pool.query(sql);", 2,
     "line 1"),
    ("db/users.go", 'rows, err := db.Query(fmt.Sprintf("SELECT * FROM u WHERE id = %s", id))', 1,
     "Sprintf"),
    ("db/users.go", 'row := db.QueryRow(fmt.Sprintf("SELECT name FROM u WHERE id = %d", id))', 1,
     "Sprintf"),
    ("db/users.go", 'db.QueryContext(ctx, "SELECT * FROM users WHERE name = \'" + name + "\'")', 1,
     "concatenation"),
    ("db/users.go", 'q := fmt.Sprintf("DELETE FROM u WHERE id = %s", id)\n_, err = db.Exec(q)', 2,
     "line 1"),
    ("src/UserDao.java", 'rs = stmt.executeQuery("SELECT * FROM u WHERE name = \'" + name + "\'");',
     1, "concatenation"),
    ("src/UserDao.java", 'em.createQuery("FROM User u WHERE u.name = \'" + name + "\'")', 1,
     "concatenation"),
    # A safe call first, then SQL that flows through an assignment with no literal of its
    # own (the detector must still follow it, and read every call line).
    ("app/repo.py", 'cur.execute("SELECT 1")\n'
     "base = \"SELECT * FROM users WHERE name = '%s'\" % name\nquery = base\ncur.execute(query)", 4,
     "%-formatting on line 2 on line 3"),
]

SQL_TN = [
    ("app/repo.py", 'cursor.execute("SELECT * FROM users WHERE id = %s", (user_id,))'),
    ("app/repo.py", 'con.execute("SELECT * FROM users WHERE id = ?", (user_id,))'),
    ("app/repo.py", 'session.execute(text("SELECT * FROM users WHERE id = :id"), {"id": uid})'),
    ("app/repo.py", 'query = "SELECT * FROM users WHERE id = %s"\ncursor.execute(query, (uid,))'),
    ("app/repo.py", 'cursor.execute("SELECT a " + "FROM t")'),
    ("app/ui.py", 'label = text(f"Hello {name}, select a file from the list")'),
    ("app/log.py", 'logger.info(f"select {n} rows from {table}")'),
    ("app/tasks.py", "self.execute(func, args, msg)"),
    ("web/repo.js", "db.query('SELECT * FROM users WHERE id = ?', [id])"),
    ("web/repo.ts", "await pool.query('SELECT * FROM users WHERE id = $1', [id]);"),
    ("web/repo.ts", "const q = sql`SELECT * FROM users WHERE id = ${id}`;\nawait db.query(q);"),
    ("web/repo.ts", "await prisma.$queryRaw`SELECT * FROM users WHERE id = ${id}`;"),
    ("db/users.go", 'rows, err := db.Query("SELECT * FROM users WHERE id = $1", id)'),
    ("db/users.go", 'db.QueryContext(ctx, "SELECT * FROM users WHERE id = ?", id)'),
    ("src/UserDao.java", 'ps = conn.prepareStatement("SELECT * FROM users WHERE id = ?");'),
]


@pytest.mark.parametrize(("path", "text", "line", "how"), SQL_TP)
def test_sql_injection_true_positives(path: str, text: str, line: int, how: str) -> None:
    hits = signals.sql_injection(path, added(text), {})
    assert len(hits) == 1, hits
    check_hit(hits[0], line, how, None)
    assert "?" in hits[0].advice or "$1" in hits[0].advice or "%s" in hits[0].advice


@pytest.mark.parametrize(("path", "text"), SQL_TN)
def test_sql_injection_true_negatives(path: str, text: str) -> None:
    assert signals.sql_injection(path, added(text), {}) == []


def test_sql_injection_advice_matches_the_language() -> None:
    py = signals.sql_injection("a.py", added(SQL_TP[0][1]), {})[0]
    go = signals.sql_injection("a.go", added(SQL_TP[18][1]), {})[0]
    assert "cursor.execute(" in py.advice and "QueryContext(ctx" in go.advice


# --------------------------------------------------------------------------- PII in logs

PII_TP = [
    ("app/auth.py", 'logger.info("login %s", user.email)', "email"),
    ("app/auth.py", 'logging.warning(f"password reset for {email}")', "email"),
    ("app/auth.py", 'print("password:", password)', "password"),
    ("app/pay.py", 'log.debug("charging card %s", card_number)', "card_number"),
    ("app/hr.py", 'self.logger.error("bad ssn " + employee.ssn)', "ssn"),
    ("app/auth.py", 'logger.exception("token refresh failed: %s", access_token)', "access_token"),
    ("web/user.ts", "console.log(`user ${user.phoneNumber} signed up`);", "phoneNumber"),
    ("web/user.js", 'console.error("dob", user.dateOfBirth)', "dateOfBirth"),
    ("svc/login.go", 'log.Printf("login %s", u.Email)', "Email"),
    ("svc/login.go", 'slog.Info("login", "email", user.Email)', "Email"),
    ("svc/login.go", 'logger.Info("signup", zap.String("phone", req.PhoneNumber))', "PhoneNumber"),
    ("src/Login.java", 'logger.info("User {} logged in", user.getEmail());', "getEmail"),
    ("src/Login.java", 'System.out.println("Password: " + password);', "password"),
    ("src/Crm.java", 'LOG.debug("calling " + customer.getPhoneNumber());', "getPhoneNumber"),
    ("app/auth.py", 'logger.info(\n    "user %s changed password",\n    user.email,\n)', "email"),
]

PII_TN = [
    ("app/auth.py", 'logger.info("email sent")\nprint("Please enter your password")'),
    ("app/auth.py", 'logger.info("login user_id=%s", user.id)'),
    ("app/auth.py", 'logger.info("reset for %s", mask(email))\nprint(f"{len(password)} chars")'),
    ("app/auth.py", 'logger.info("verified=%s", user.email_verified)\nprint(email_count)'),
    ("app/auth.py", 'logger.debug("hash %s", hash_password(pw))\nprint(hashed_password)'),
    ("app/auth.py", 'logger.info("sent", extra={"email": "redacted"})'),
    ("app/auth.py", "send_email(email)\n# print(password)"),
    ("app/auth.py", 'logger.info("user %s", user.email.split("@")[1])'),
    ("web/user.js", 'console.log("email:", redact(user.email));'),
    ("svc/cli.go", "fmt.Println(user.Email)"),  # CLI output, not a log
    ("app/auth.py", 'logger.info("token type %s", token.type)'),
]


@pytest.mark.parametrize(("path", "text", "name"), PII_TP)
def test_pii_in_logs_true_positives(path: str, text: str, name: str) -> None:
    hits = signals.pii_in_logs(path, added(text, 30), {})
    assert len(hits) == 1, hits
    check_hit(hits[0], 30, name, None)
    assert "mask" in hits[0].advice


@pytest.mark.parametrize(("path", "text"), PII_TN)
def test_pii_in_logs_true_negatives(path: str, text: str) -> None:
    assert signals.pii_in_logs(path, added(text), {}) == []


def test_pii_in_logs_names_are_configurable() -> None:
    lines = added('logger.info("t=%s", token)')
    assert signals.pii_in_logs("a.py", lines, {}) == []
    assert len(signals.pii_in_logs("a.py", lines, {"names": ["token"]})) == 1


def test_pii_excerpt_redacts_a_logged_secret_literal() -> None:
    hits = signals.pii_in_logs("a.py", added(f'print(user.email, "{STRIPE}")'), {})
    assert hits and STRIPE not in hits[0].excerpt


# ----------------------------------------------------------------------- destructive SQL

DESTRUCTIVE_TP = [
    ("db/cleanup.sql", "DELETE FROM sessions;", 1, "DELETE without WHERE"),
    ("db/fix.sql", "UPDATE users SET active = false;", 1, "UPDATE without WHERE"),
    ("db/fix.sql", "update users\n  set active = false\n;", 1, "UPDATE without WHERE"),
    ("db/drop.sql", "-- cleanup\nDROP TABLE IF EXISTS users;", 2, "DROP"),
    ("db/wipe.sql", "TRUNCATE TABLE audit_log;", 1, "TRUNCATE"),
    ("app/jobs.py", 'cur.execute("DELETE FROM sessions")', 1, "DELETE without WHERE"),
    ("web/jobs.ts", "await db.query('DELETE FROM carts');", 1, "DELETE without WHERE"),
    ("svc/jobs.go", 'db.Exec("TRUNCATE TABLE events")', 1, "TRUNCATE"),
    ("src/Jobs.java", 'stmt.executeUpdate("DROP TABLE tmp_import");', 1, "DROP"),
    ("app/jobs.py", 'cur.execute("""\n    UPDATE accounts SET balance = 0\n""")', 2,
     "UPDATE without WHERE"),
]

DESTRUCTIVE_TN = [
    ("db/cleanup.sql", "DELETE FROM sessions\nWHERE expires_at < now();"),
    ("db/fix.sql", "UPDATE users\nSET x = 1\nWHERE id = 3;"),
    ("db/fix.sql", "-- DROP TABLE users;\nSELECT 1;"),
    ("app/jobs.py", 'cur.execute("DELETE FROM t WHERE id = ?", (x,))'),
    ("app/jobs.py", 'cur.execute("""\nDELETE FROM t\nWHERE id = ?\n""", (x,))'),
    ("app/io.py", 'def truncate(self, size):\n    """Truncate the file to size bytes."""'),
    ("app/io.py", 'raise ValueError("truncate on closed file")\nitems.delete()'),
    ("app/jobs.py", "# DELETE FROM users\nrows = fetch()"),
    ("app/ui.py", 'MENU = ["Drop table", "Delete from list"]'),
]


@pytest.mark.parametrize(("path", "text", "line", "observed"), DESTRUCTIVE_TP)
def test_destructive_sql_true_positives(
        path: str, text: str, line: int, observed: str) -> None:
    hits = signals.destructive_sql(path, added(text), {})
    assert len(hits) == 1, hits
    check_hit(hits[0], line, observed, None)


@pytest.mark.parametrize(("path", "text"), DESTRUCTIVE_TN)
def test_destructive_sql_true_negatives(path: str, text: str) -> None:
    assert signals.destructive_sql(path, added(text), {}) == []


def test_destructive_sql_kinds_param() -> None:
    lines = added("ALTER TABLE users DROP COLUMN email;\nDROP TABLE x;")
    assert [h.observed for h in signals.destructive_sql("m.sql", lines, {})] == ["DROP statement"]
    hits = signals.destructive_sql("m.sql", lines, {"kinds": ["drop_column"]})
    assert [h.line for h in hits] == [1]


# ---------------------------------------------------------------------------- file checks

@pytest.mark.parametrize("path", [
    ".env", "config/.env.production", "deploy/prod.env", "keys/id_rsa", "home/u/.ssh/id_ed25519",
    "certs/server.key", "store.p12", "android/app/release.keystore", "home/.aws/credentials",
    ".docker/config.json", "vault/secrets.kdbx", "web/.htpasswd", ".netrc", ".pgpass",
    "infra/terraform.tfstate", "google/credentials.json",
])
def test_sensitive_file_true_positives(path: str) -> None:
    hit = signals.sensitive_file(path, {})
    assert hit is not None and hit.line == 0 and path in hit.advice
    assert hit.evidence == f"sensitive-file:{path}"


@pytest.mark.parametrize("path", [
    ".env.example", "app/.env.sample", ".env.template", ".env.dist", "keys/id_rsa.pub",
    "src/env.py", "environment.yml", "docs/keys.md", "config.json", "src/keyboard.ts",
])
def test_sensitive_file_true_negatives(path: str) -> None:
    assert signals.sensitive_file(path, {}) is None


HEADER_CASES = [
    ("app/x.py", "import os\nimport sys\nprint(1)", 1),
    ("app/x.py", "# app/x.py: does x.\nimport os\nimport sys", None),
    ("app/x.py", '"""Does x."""\nimport os\nimport sys', None),
    ("app/x.py", "#!/usr/bin/env python3\n\nimport os\nimport sys", 3),
    ("app/x.py", "#!/usr/bin/env python3\n# app/x.py: does x.\nimport os", None),
    ("cmd/main.go", "// Package main runs x.\npackage main\n\nfunc main() {}", None),
    ("cmd/main.go", "package main\n\nimport \"fmt\"\nfunc main() {}", 1),
    ("web/page.tsx", '"use client";\n// web/page.tsx: the page.\nexport default function P() {}',
     None),
    ("web/page.tsx", '"use client";\nimport x from "y";\nexport default x;', 2),
    ("src/A.java", "/*\n * A: does a.\n */\npackage a;", None),
    ("db/q.sql", "-- db/q.sql: reports.\nSELECT 1;\nSELECT 2;", None),
    ("app/__init__.py", "", None),
    ("app/two.py", "import os\nx = 1", None),  # under min_lines
    ("docs/guide.md", "Title\n=====\ntext", None),  # not a source file
]


@pytest.mark.parametrize(("path", "text", "line"), HEADER_CASES)
def test_file_header(path: str, text: str, line: int | None) -> None:
    hit = signals.file_header(path, added(text), {})
    assert (hit.line if hit else None) == line
    if hit:
        assert "header" in hit.observed and path in hit.advice


def test_file_header_min_lines_param() -> None:
    assert signals.file_header("a.py", added("x = 1"), {"min_lines": 1}) is not None


@pytest.mark.parametrize(("old", "new", "params", "line"), [
    (590, 601, {}, 601), (0, 700, {}, 601), (600, 601, {}, 601), (601, 700, {}, None),
    (100, 600, {}, None), (90, 120, {"max_lines": 100}, 101),
])
def test_file_size(old: int, new: int, params: dict[str, int], line: int | None) -> None:
    hit = signals.file_size("src/big.py", old, new, params)
    assert (hit.line if hit else None) == line
    if hit:
        assert f"{new} lines" in hit.observed and "split" in hit.advice


# ------------------------------------------------------------------------------- redact

@pytest.mark.parametrize(("text", "secret"), [
    (f'aws = "{AWS_ID}"', AWS_ID),
    (f"Authorization: Bearer {TOK}", TOK),
    (f"postgres://app:{DB_PW}@db/app", DB_PW),
    (f'password = "{PW}"', PW),
    (f"API_TOKEN={TOK}", TOK),
    (f'"private_key": "{PEM_HEAD}\\n{PEM_BODY}\\n"', PEM_BODY),
    (f"curl -H 'X: {GH}' {SLACK_HOOK}", GH),
])
def test_redact_hides_the_value(text: str, secret: str) -> None:
    out = signals.redact(text)
    assert secret not in out and ("<redacted>" in out or "****" in out)


def test_redact_leaves_ordinary_code_alone() -> None:
    for text in ('logger.info("login %s", user.id)', "password = get_password()",
                 'cursor.execute("SELECT 1")', "token = self.token"):
        assert signals.redact(text) == text


# ------------------------------------------------------------------------ pack and registry

def test_registry_keys() -> None:
    assert set(signals.CONTENT_DETECTORS) == {
        "hardcoded_secret", "frontend_credentials", "sql_injection", "pii_in_logs",
        "destructive_sql"}


def test_every_content_detector_has_corpus_cases() -> None:
    corpora: dict[str, tuple[list[Any], list[Any]]] = {
        "hardcoded_secret": (SECRET_TP, SECRET_TN),
        "frontend_credentials": (FRONTEND_TP, FRONTEND_TN),
        "sql_injection": (SQL_TP, SQL_TN), "pii_in_logs": (PII_TP, PII_TN),
        "destructive_sql": (DESTRUCTIVE_TP, DESTRUCTIVE_TN)}
    assert set(corpora) == set(signals.CONTENT_DETECTORS)
    assert all(len(tp) >= 5 and len(tn) >= 5 for tp, tn in corpora.values())


def test_bundled_pack_matches_the_detectors() -> None:
    pack = yaml.safe_load((ROOT / "policies" / "pact-signals.yaml").read_text(encoding="utf-8"))
    rules = {r["id"]: r for r in pack["rules"]}
    assert set(rules) == {"hardcoded-secret", "env-file", "frontend-credentials", "sql-injection",
                          "pii-in-logs", "destructive-sql", "file-header", "file-size"}
    checks = set(signals.CONTENT_DETECTORS) | {"sensitive_file", "file_header", "file_size"}
    assert {r["check"] for r in rules.values()} == checks
    assert rules["file-size"]["params"]["max_lines"] == 600
    assert rules["destructive-sql"]["params"]["migration_roles"] == ["database-engineer"]
    # The pack's params restate the code's defaults: same results with and without them.
    assert set(rules["pii-in-logs"]["params"]["names"]) == set(signals._PII_NAMES)
    assert tuple(rules["frontend-credentials"]["params"]["allow_names"]) == signals._FRONTEND_ALLOW
    assert tuple(rules["env-file"]["params"]["names"]) == signals._SENSITIVE_NAMES
    assert tuple(rules["env-file"]["params"]["allow_names"]) == signals._ALLOWED_NAMES
    secret_params = rules["hardcoded-secret"]["params"]
    assert tuple(secret_params["ignore_token_words"]) == signals._TOKEN_NOT_SECRET
    corpora: list[tuple[str, list[Any]]] = [
        ("hardcoded_secret", SECRET_TP), ("sql_injection", SQL_TP), ("pii_in_logs", PII_TP),
        ("destructive_sql", DESTRUCTIVE_TP), ("frontend_credentials", FRONTEND_TP)]
    by_check = {r["check"]: r["params"] for r in rules.values()}
    for check, cases in corpora:
        for case in cases:
            assert signals.CONTENT_DETECTORS[check](case[0], added(case[1]), by_check[check]), case


def test_import_is_cheap() -> None:
    code = ("import gatekeeper.signals as s, sys; "
            "assert s._rx.cache_info().currsize == 0; assert 'yaml' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
