# gatekeeper/signals.py: the pure content detectors behind PACT's algedonic signals.
# Secrets, browser-exposed keys, SQL injection, PII in logs, destructive SQL, file standards.
"""Pure detectors: each takes a path, the added lines and a rule's params, and returns hits.

No git, no I/O. A :class:`SignalHit` names the line, says what was seen and what to do
instead, and never carries a secret value: excerpts pass through :func:`redact`, evidence
keys are hashes. Patterns are compiled once, on first use, so importing this is cheap.
"""

from __future__ import annotations

import bisect
import fnmatch
import functools
import hashlib
import importlib
import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple


class SignalHit(NamedTuple):
    line: int  # 1-based line in the new file; 0 when the hit is about the whole file
    observed: str  # what was seen, short
    excerpt: str  # the line, stripped, <= 120 chars, secrets redacted: safe to print
    advice: str  # what to do instead
    evidence: str  # stable, non-secret de-duplication key


Lines = Sequence[tuple[int, str]]
Params = Mapping[str, Any]
Detector = Callable[[str, Lines, Params], list[SignalHit]]

# ------------------------------------------------------------------------------ patterns

_B = r"(?<![\w-])"  # no word character or dash before a token
_TOKENS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    # (evidence slug, what was seen, substrings one of which the line must hold, regex: v = secret)
    ("aws-access-key", "AWS access key id", ("AKIA", "ASIA"),
     r"(?<![A-Za-z0-9])(?P<v>(?:AKIA|ASIA)[A-Z0-9]{16})(?![A-Za-z0-9])"),
    ("gcp-private-key", "GCP service-account private key", ('"private_key"',),
     r'"private_key"\s*:\s*"(?P<v>-----BEGIN[A-Z ]*PRIVATE KEY-----[^"]*)'),
    ("azure-storage-key", "Azure storage account key", ("AccountKey=",),
     r"AccountKey=(?P<v>[A-Za-z0-9+/]{40,}={0,2})"),
    ("github-token", "GitHub token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
     _B + r"(?P<v>gh[pousr]_[A-Za-z0-9]{36,255})"),
    ("github-token", "GitHub fine-grained token", ("github_pat_",),
     _B + r"(?P<v>github_pat_[A-Za-z0-9_]{22,255})"),
    ("gitlab-token", "GitLab access token", ("glpat-",), _B + r"(?P<v>glpat-[A-Za-z0-9_-]{20,})"),
    ("slack-token", "Slack token", ("xox",), _B + r"(?P<v>xox[abposr]-[A-Za-z0-9-]{10,})"),
    ("slack-webhook", "Slack webhook URL", ("hooks.slack.com",),
     r"(?P<v>https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{20,})"),
    ("stripe-key", "Stripe secret key", ("_live_", "_test_"),
     _B + r"(?P<v>(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,})"),
    ("anthropic-key", "Anthropic API key", ("sk-ant-",), _B + r"(?P<v>sk-ant-[A-Za-z0-9_-]{20,})"),
    ("openai-key", "OpenAI-style API key", ("sk-",),
     _B + r"(?P<v>sk-(?!ant-)(?:proj-|svcacct-|admin-)?(?=[\w-]*\d)(?=[\w-]*[A-Z])[\w-]{20,})"),
    ("npm-token", "npm access token", ("npm_",), _B + r"(?P<v>npm_[A-Za-z0-9]{36})(?![A-Za-z0-9])"),
    ("pypi-token", "PyPI API token", ("pypi-",), r"(?P<v>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{40,})"),
    ("google-api-key", "Google API key", ("AIza",), _B + r"(?P<v>AIza[0-9A-Za-z_-]{35})(?![\w-])"),
    ("private-key", "PEM private key block", ("PRIVATE KEY",),
     r"(?P<v>-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)"),
    ("jwt", "JSON Web Token", ("eyJ",),
     _B + r"(?P<v>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})"),
)
_SECRET_KEYWORDS = ("pass", "secret", "token", "key", "pwd", "://")
_SECRET_NAME = (r"(?:password|passwd|passphrase|pass_phrase|(?:^|_)pwd|secret|token|"
                r"(?:api|access|private|secret|auth|signing|encryption|master|client)_?key)$")
# A literal after a (maybe quoted) name, an optional type annotation and an assignment operator.
_ASSIGN = (r"(?<![\w.$@-])(?P<nq>[\"']?)(?P<name>[A-Za-z_$@][\w.$@-]*)(?P=nq)"
           r"(?:[ \t]*:[ \t]*[A-Za-z_][\w.\[\], |]*?(?=[ \t]*=[^=>])|[ \t]+string\b)?"
           r"[ \t]*(?P<op>:=|=>|=(?!=)|:(?![:=]))[ \t]*(?P<val>(?P<pre>[rRbBuU]{0,2})"
           r"(?P<q>\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|`[^`\n]*`)|[^\s'\"`,;#)}\]]+)")
_PLACEHOLDER = (r"change_?me|changeit|x{3,}|\*{3,}|^<.*>$|\$\{|\{\{|\{[^{}\s]*\}|%s|%\(|^%|^\$\w|"
                r"example|dummy|placeholder|sample|your[_-]|[_-]here\b|redacted|fake|mock|test|"
                r"todo|fixme|password|passwd|secret|token|abcd|bcde|wxyz|1234|2345|qwer|asdf|"
                r"^arn:|^[.#-]+$|^(?:none|null|nil|true|false|undefined)$|"
                r"\(\?[=!:<P]|\[\^|\\[wdsv]")  # the last: a regular expression
_TOKEN_NOT_SECRET = ("next", "page", "continuation", "pagination", "lock", "client", "request",
                     "purchase", "change", "idempotency", "update", "forward", "backward", "sync",
                     "cursor", "output", "input", "marker", "resume", "action", "verification",
                     "subject", "csrf", "xsrf", "public", "publishable", "max", "min", "num",
                     "total", "type", "start", "end", "first", "last", "prev", "previous", "stop",
                     "eos", "bos", "pad", "unk", "mask", "sep", "cls", "special")
_NAME = r"[\w.\"'`\[\]${}%]+"
_SQL_WEAK = (r"(?i)\b(?:select|insert|update|delete|from|where|set|values|into|drop|create|alter|"
             r"table|pragma|vacuum|attach|truncate|replace|merge|union|join|limit|grant|call)\b")
_COLUMN = r"(?:\*|[\w.{}$%()*\"`\[\]]+(?:\s+as\s+\w+)?)"
_SQL_STRONG = (r"(?i)\bselect\s+(?:distinct\s+)?" + _COLUMN + r"(?:\s*,\s*" + _COLUMN
               + r")*\s+from\b|"
               r"\binsert\s+(?:or\s+\w+\s+)?into\b|\bdelete\s+from\b|"
               r"\bupdate\s+" + _NAME + r"\s+set\b|\bpragma\s+\w+|\bvalues\s*\(|\border\s+by\b|"
               r"\b(?:drop|create|alter|truncate)\s+(?:table|database|index|view|schema|trigger)\b|"
               r"\bwhere\s+" + _NAME + r"\s*(?:=|<|>|!=|\bin\b|\blike\b|\bis\b)|\bgroup\s+by\b")
_SQL_KEYWORDS = ("select", "insert", "update", "delete", "drop", "create", "alter", "truncate",
                 "pragma", "where", 'f"""', "f'''", "= `")
_SQL_CALLS = (r"(?<![\w$])(?P<fn>execute|executemany|executescript|exec_driver_sql|executeQuery|"
              r"executeUpdate|executeLargeUpdate|addBatch|prepareStatement|prepareCall|createQuery|"
              r"createNativeQuery|createSQLQuery|query|\$queryRawUnsafe|\$executeRawUnsafe|raw|"
              r"Raw|text|read_sql|read_sql_query|Query|QueryRow|QueryContext|QueryRowContext|"
              r"Exec|ExecContext|Prepare|PrepareContext)\s*\(")
_SQL_CALL_KEYWORDS = ("exec", "query", "raw", "text", "read_sql", "prepare", "addbatch")
_SQL_CTX = frozenset({"QueryContext", "QueryRowContext", "ExecContext", "PrepareContext"})
_SQL_NEEDS_STRONG = frozenset({"query", "Query", "raw", "Raw", "text", "read_sql",
                               "read_sql_query", "createQuery", "prepareStatement", "Prepare"})
_LOG_CALLS = (r"(?<![\w$])(?P<fn>(?:[A-Za-z_$][\w$]*\.)*?(?:logging|logger|log|_log|_logger|"
              r"LOGGER|LOG|Log|[a-z_]+_logger)\.(?:debug|info|warning|warn|error|exception|"
              r"critical|fatal|trace)|print|console\.(?:log|info|warn|error|debug|trace)|"
              r"log\.(?:Print|Fatal|Panic)(?:f|ln)?|slog\.(?:Debug|Info|Warn|Error|Log)(?:Context)?|"
              r"(?:logger|log|sugar|logrus|zap\.[LS]\(\))\.(?:Debug|Info|Warn|Warning|Error|Fatal|"
              r"Panic|Trace)[fw]?|System\.(?:out|err)\.print(?:ln|f)?)\s*\(")
_LOG_KEYWORDS = ("log", "print", "console.", "system.")
_FRONTEND_PREFIXES = ("VITE", "REACT_APP", "NEXT_PUBLIC", "NUXT_PUBLIC", "NUXT_ENV", "EXPO_PUBLIC",
                      "PUBLIC", "GATSBY", "VUE_APP", "STORYBOOK")
_FRONTEND = (r"(?<![\w$])(?P<name>(?P<pfx>" + "|".join(_FRONTEND_PREFIXES) + r")_[A-Z0-9_]*?"
             r"(?:KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIALS?))(?![\w$])")
_DESTRUCT = (r"(?i)\b(?P<delete_without_where>delete)\s+from\s+" + _NAME + r"|\b(?P<update_without_"
             r"where>update)\s+(?:or\s+\w+\s+)?" + _NAME + r"\s+set\b|\b(?P<drop>drop)\s+(?:table|"
             r"database|schema)\s+(?:if\s+exists\s+)?[\w.\"`\[\]]+|\b(?P<truncate>truncate)\s+"
             r"(?:table\s+)?[\w.\"`\[\]]+|\balter\s+table\s+" + _NAME + r"\s+(?P<drop_column>drop)"
             r"\s+column\b")


class _Rx:
    """Every compiled pattern; built once by :func:`_rx` on first use."""

    def __init__(self) -> None:
        c = re.compile
        self.tokens = [(slug, seen, hints, c(rx)) for slug, seen, hints, rx in _TOKENS]
        kws = {h.lower() for _, _, hs, _ in _TOKENS for h in hs} | set(_SECRET_KEYWORDS)
        self.secret_keywords = tuple(k for k in sorted(kws) if not any(o in k for o in kws - {k}))
        self.secret_name = c(_SECRET_NAME)
        self.assign = c(_ASSIGN)
        self.placeholder = c(_PLACEHOLDER, re.I)
        self.connstr = c(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]{1,30})://(?P<user>[^\s:/@'\"`]{1,64}):"
                         r"(?P<v>[^\s@/'\"`,]{1,128})@(?P<host>[^\s/'\"`?:,;)\]]+)")
        self.bearer = c(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/-]{8,}=*")
        self.pem_body = c(r"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----)(.*?)(-----END|\"|$)")
        self.base64ish = c(r"[A-Za-z0-9+/]{20,}|Proc-Type:")
        self.aws_secret = c(r"[A-Za-z0-9/+]{40}")
        self.file_ext = c(r"(?i)\.(?:pem|key|crt|cer|p12|pfx|jks|json|ya?ml|txt|env|ini|cfg)$")
        self.frontend = c(_FRONTEND)
        self.sql_calls = c(_SQL_CALLS)
        self.sql_weak = c(_SQL_WEAK)
        self.sql_strong = c(_SQL_STRONG)
        self.sql_assign = c(r"^\s*(?:(?:const|let|var|final|val|String|string|auto|static|private|"
                            r"public|protected)\s+)*(?P<name>[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)"
                            r"\s*(?::\s*[\w.\[\]<>|]+\s*)?(?P<op>:=|\+=|=)(?!=)\s*")
        self.lit_mark = c(r"\x01(\d+)\x02")
        self.fmt_pct = c(r"\x02\s*%\s*[\w(\[{$]")
        self.fmt_dot = c(r"\x02\s*\)?\s*\.\s*format\s*\(")
        self.fmt_call = c(r"(?:Sprintf|String\.format|sprintf|format)\s*\(\s*\x01")
        self.var_use = c(r"\s*(?P<name>[A-Za-z_$][\w$]*(?:\.(?!format\b)[A-Za-z_$][\w$]*)*)\s*"
                         r"(?P<op>%|\+|\.format\b)?(?P<rest>.*)", re.S)
        self.log_calls = c(_LOG_CALLS)
        self.ident = c(r"(?<![\w$.\x01])(?P<id>[A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*)")
        self.camel = c(r"(?<=[a-z0-9])(?=[A-Z])")
        self.destruct = c(_DESTRUCT)
        self.upper_destruct = c(r"\b(?:DELETE\s+FROM|UPDATE\s+\S+\s+SET|DROP\s+(?:TABLE|DATABASE|"
                                r"SCHEMA|COLUMN)|TRUNCATE)\b")
        self.where = c(r"(?i)\bwhere\b")
        self.comment_line = c(r"^\s*(?:#|//|--|/?\*)")


@functools.cache
def _rx() -> _Rx:
    return _Rx()


# ------------------------------------------------------------------------------- helpers


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _mask(value: str) -> str:
    """Show a long token's shape (``AKIA****MPLE``), nothing of a short one."""
    return value[:4] + "****" + value[-4:] if len(value) >= 16 else "<redacted>"


def _cut(text: str) -> str:
    text = text.strip()
    return text if len(text) <= 120 else text[:117] + "..."


def _excerpt(text: str, values: Sequence[tuple[str, str]] = ()) -> str:
    """The line, safe to print: each (value, shown instead) applied, then :func:`redact`.
    Only the head of a very long (minified) line is kept: the excerpt shows 120 chars."""
    text = text.strip()[:8000]
    for value, shown in sorted(values, key=lambda p: len(p[0]), reverse=True):
        text = text.replace(value, shown) if value else text
    return _cut(redact(text))


def _entropy(value: str) -> float:
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in map(value.count, set(value))) if n else 0.0


def _ext(path: str) -> str:
    base = path.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base.lstrip(".") else ""


def _is_config(path: str) -> bool:
    """Files where an unquoted value is a literal (.env, YAML, INI, shell...)."""
    base = path.rsplit("/", 1)[-1].lower()
    return (base.startswith(".env") or base.endswith(".env") or base in {
        "dockerfile", ".npmrc", ".pypirc", ".netrc", "credentials", ".pgpass", "config"}
        or _ext(path) in {"yaml", "yml", "toml", "ini", "cfg", "conf", "properties", "sh",
                          "bash", "zsh", "env", "envrc", "tfvars", "hcl"})


def _lang(path: str) -> str:
    ext = _ext(path)
    for lang, exts in (("py", "py pyi"), ("js", "js jsx ts tsx mjs cjs vue svelte astro"),
                       ("go", "go"), ("java", "java kt kts scala groovy cs")):
        if ext in exts.split():
            return lang
    return ""


def _candidates(lines: Lines, keywords: Sequence[str]) -> list[int]:
    """Indexes of the lines holding any of the lower-case ``keywords`` (case-insensitive),
    found with plain substring scans of the joined text: cheap enough to run on anything."""
    texts = [t for _, t in lines]
    blob = "\n".join(texts)
    low = blob.lower()
    present = [k for k in keywords if k in low]
    if not present:
        return []
    if len(low) != len(blob):  # lower() changed some lengths: go line by line
        return [i for i, t in enumerate(texts) if any(k in t.lower() for k in present)]
    ends = list(itertools.accumulate(len(t) + 1 for t in texts))
    found: set[int] = set()
    for kw in present:
        pos = low.find(kw)
        while pos >= 0:
            i = bisect.bisect_right(ends, pos)
            found.add(i)
            pos = low.find(kw, ends[i]) if i < len(ends) else -1
    return sorted(found)


def _gather(lines: Lines, i: int, col: int, call: bool, limit: int = 30) -> str:
    """Text from ``lines[i][1][col:]`` to the end of the expression, over consecutive added
    lines: the call's closing paren (``call``), else the end of the statement. At most
    ``limit`` more lines and 4000 characters (minified code stays linear)."""
    out: list[str] = []
    depth, quote, j, text = 0, "", i, lines[i][1][col:col + 4000]
    while True:
        k, n = 0, len(text)
        while k < n:
            ch = text[k]
            if quote:
                if ch == "\\":
                    k += 1
                elif text.startswith(quote, k):
                    k, quote = k + len(quote) - 1, ""
            elif ch in "\"'`":
                quote = text[k:k + 3] if text[k:k + 3] in ('"""', "'''") else ch
                k += len(quote) - 1
            elif ch in "([{":
                depth += 1
            elif ch in ")]}" or (ch == ";" and not call and depth == 0):
                depth -= ch != ";"
                if depth < 0 or ch == ";":
                    return "\n".join([*out, text[:k]])
            k += 1
        out.append(text)
        quote = "" if quote in ('"', "'") else quote  # a one-line string cannot go on
        if (not quote and depth <= 0 and not call) or j + 1 >= len(lines) or j - i >= limit \
                or lines[j + 1][0] != lines[j][0] + 1:
            return "\n".join(out)
        j += 1
        text = lines[j][1][:4000]


class _Lit(NamedTuple):
    prefix: str  # string prefix or template tag: "f", "rb", "sql", ""
    quote: str
    body: str
    closed: bool


def _tokenize(expr: str) -> tuple[str, list[_Lit]]:
    """Replace each string literal by a marker ``\\x01N\\x02``: (masked text, literals)."""
    out: list[str] = []
    lits: list[_Lit] = []
    k, n, start = 0, len(expr), 0
    while k < n:
        if expr[k] not in "\"'`":
            k += 1
            continue
        p = k
        while p > 0 and (expr[p - 1].isalnum() or expr[p - 1] in "_$."):
            p -= 1
        q = expr[k:k + 3] if expr[k:k + 3] in ('"""', "'''") else expr[k]
        e = k + len(q)
        while e < n and not expr.startswith(q, e):
            e += 2 if expr[e] == "\\" else 1
        out += [expr[start:p], f"\x01{len(lits)}\x02"]
        lits.append(_Lit(expr[p:k], q, expr[k + len(q):e], e < n))
        k = start = e + len(q)
    out.append(expr[start:])
    return "".join(out), lits


def _is_fstring(lit: _Lit) -> bool:
    return (lit.quote[0] != "`" and "f" in lit.prefix.lower() and len(lit.prefix) <= 3
            and lit.prefix.isalpha() and "{" in lit.body.replace("{{", ""))


def _is_template(lit: _Lit) -> bool:
    return lit.quote == "`" and not lit.prefix and "${" in lit.body


def _top_level(masked: str) -> str:
    """``masked`` without anything inside brackets."""
    out, depth = [], 0
    for ch in masked:
        depth += (ch in "([{") - (ch in ")]}")
        if depth == 0 and ch not in ")]}":
            out.append(ch)
    return "".join(out)


def _split_args(masked: str) -> list[str]:
    args, depth, start = [], 0, 0
    for k, ch in enumerate(masked):
        depth += (ch in "([{") - (ch in ")]}")
        if ch == "," and depth == 0:
            args.append(masked[start:k])
            start = k + 1
    return [*args, masked[start:]]


# ----------------------------------------------------------------------------- redaction


def redact(text: str) -> str:
    """``text`` with every secret-looking value masked: tokens, PEM bodies, passwords in
    connection strings, bearer credentials and literals assigned to secret-like names."""
    rx = _rx()
    text = rx.pem_body.sub(lambda m: m.group(1) + "<redacted>" * bool(m.group(2)) + m.group(3),
                           text)
    for slug, _, hints, pat in rx.tokens:
        if slug != "private-key" and any(h in text for h in hints):
            text = pat.sub(lambda m: m.group(0).replace(m.group("v"), _mask(m.group("v"))), text)
    text = rx.connstr.sub(lambda m: m.group(0).replace(f":{m.group('v')}@", ":<redacted>@"), text)
    text = rx.bearer.sub(lambda m: m.group(1) + " <redacted>", text)

    def assigned(m: re.Match[str]) -> str:
        name = rx.camel.sub("_", m.group("name")).lower().replace("-", "_").replace(".", "_")
        val, lit, head = m.group("val"), m.group("q"), m.group(0)[: m.start("val") - m.start()]
        if not rx.secret_name.search(name) or "****" in val or "<redacted>" in val:
            return m.group(0)
        if lit:
            empty = len(lit) <= 2
            return m.group(0) if empty else f"{head}{m.group('pre')}{lit[0]}<redacted>{lit[-1]}"
        if text[m.end():m.end() + 1] == "(" or val[0] in "{$%<" or not (
                re.search(r"[\d+/=!@#%^&*]", val) or len(val) >= 16):
            return m.group(0)  # a call, a template or a plain name, not a value
        return head + "<redacted>"

    return rx.assign.sub(assigned, text)


# ------------------------------------------------------------------------------- secrets

_ENV_ADVICE = ("remove it and rotate it now; read it at run time from the environment or a "
               "secret manager (os.environ['X'], process.env.X, os.Getenv(\"X\"))")
_KEY_ADVICE = "remove the key, revoke it, and load it from a secret store or a file outside git"
_URL_ADVICE = ("keep the password out of the URL: take the whole URL from the environment "
               "(DATABASE_URL set from the deployment's secrets) or use IAM/credential files")


def _generic_ok(value: str, params: Params) -> bool:
    """A literal assigned to a secret-like name that looks like a real credential."""
    rx = _rx()
    if len(value) < int(params.get("min_length", 8)) or " " in value or "://" in value:
        return False
    if value[0] in "/.~\\" or rx.placeholder.search(value) or rx.file_ext.search(value):
        return False
    if re.fullmatch(r"[A-Za-z_][A-Za-z_.:-]*", value):  # an identifier, key name or word
        return False
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^\w\s.-]"))
    return classes >= 2 and _entropy(value) >= float(params.get("min_entropy", 3.0))


def _secret_name(name: str, ignore: frozenset[str]) -> bool:
    rx = _rx()
    norm = rx.camel.sub("_", name).lower().replace("-", "_").replace(".", "_").strip("_$@")
    if not rx.secret_name.search(norm):
        return False
    return not (norm.endswith("token") and ignore & set(norm[:-5].strip("_").split("_")))


def hardcoded_secret(path: str, lines: Lines, params: Params) -> list[SignalHit]:
    """Credentials in added lines: well-known token formats, private keys, passwords in
    connection strings, and literals assigned to secret-like names."""
    rx = _rx()
    allow = set(params.get("allow_values", ()))
    allow_hosts = list(params.get("connection_allow_hosts", ()))
    ignore = frozenset(params.get("ignore_token_words", _TOKEN_NOT_SECRET))
    generic = bool(params.get("generic", True)) and _ext(path) not in set(
        params.get("generic_skip_extensions", ("md", "rst", "txt", "adoc")))
    config = _is_config(path)
    hits: list[SignalHit] = []
    seen: set[str] = set()

    def add(n: int, text: str, slug: str, observed: str, value: str, advice: str) -> None:
        ev = f"{slug}:{_sha(value)}"
        if value not in allow and ev not in seen:
            seen.add(ev)
            generic = slug in ("secret-assignment", "connection-string")
            shown = "<redacted>" if generic else _mask(value)
            hits.append(SignalHit(n, observed, _excerpt(text, [(value, shown)]), advice, ev))

    for i in _candidates(lines, rx.secret_keywords):
        n, text = lines[i]
        spans: list[tuple[int, int]] = []
        for slug, observed, hints, pat in rx.tokens:
            found = pat.finditer(text) if any(h in text for h in hints) else iter(())
            for m in itertools.islice(found, 8):
                if any(a < m.end() and m.start() < b for a, b in spans):
                    continue
                value = m.group("v")
                if slug == "private-key":  # a header alone (a constant, a docstring) is no key
                    nxt = lines[i + 1][1] if i + 1 < len(lines) else ""
                    if not rx.base64ish.search(text, m.end()) and not rx.base64ish.match(
                            nxt.strip().strip("\"'")):
                        continue
                    value += nxt
                spans.append(m.span())
                advice = _KEY_ADVICE if "private" in slug else _ENV_ADVICE
                add(n, text, slug, observed, value, advice)
        for m in rx.connstr.finditer(text) if "://" in text else ():
            v, host = m.group("v"), m.group("host").lower()
            if (v == m.group("user") or v.lower() in {"pass", "pw", "pwd", "p", "x"}
                    or v[0] in "$<{%*:" or rx.placeholder.search(v)
                    or any(fnmatch.fnmatchcase(host, h) for h in allow_hosts)):
                continue
            spans.append(m.span("v"))
            said = f"password in a {m.group('scheme')}:// connection string"
            add(n, text, "connection-string", said, v, _URL_ADVICE)
        for m in rx.assign.finditer(text) if generic else ():
            name, lit = m.group("name"), m.group("q")
            overlaps = any(a < m.end() and m.start() < b for a, b in spans)
            if overlaps or not _secret_name(name, ignore):
                continue
            if lit:
                value = lit[1:-1]
                fstring = "f" in m.group("pre").lower() and "{" in value
                if fstring or (lit[0] == "`" and "${" in value):
                    continue
            elif config and m.group("op") != "=>":
                value = m.group("val").rstrip(".")
                if value[0] in "$!&*%{[(<~|>" or value.startswith("ENC["):
                    continue
            else:
                continue  # in code, only a string literal is a hardcoded value
            if rx.aws_secret.fullmatch(value) and re.search(r"(?i)aws|access", name):
                add(n, text, "aws-secret-key", "AWS secret access key", value, _ENV_ADVICE)
            elif _generic_ok(value, params):
                said = f"literal assigned to '{name}'"
                add(n, text, "secret-assignment", said, value, _ENV_ADVICE)
    if params.get("detect_secrets"):
        hits.extend(_detect_secrets(path, lines, allow, seen))
    return hits


def _detect_secrets(path: str, lines: Lines, allow: set[str], seen: set[str]) -> list[SignalHit]:
    """Optional backend: Yelp's detect-secrets plugins (its line-based scan, as for a diff),
    when that package is installed; values we already reported are skipped."""
    try:
        scan = importlib.import_module("detect_secrets.core.scan")
        settings = importlib.import_module("detect_secrets.settings")
        process = scan._process_line_based_plugins
    except (ImportError, AttributeError):
        return []
    hits: list[SignalHit] = []
    with settings.default_settings():
        numbered = [(k, text) for k, (_, text) in enumerate(lines, 1)]
        for found in process(numbered, filename=path):
            value = str(found.secret_value or "")
            ev = f"detect-secrets:{_sha(value)}"
            if value and value not in allow and not any(e.endswith(_sha(value)) for e in seen):
                seen.add(ev)
                n, text = lines[int(found.line_number) - 1]
                hits.append(SignalHit(n, f"{found.type} (detect-secrets)",
                                      _excerpt(text, [(value, "<redacted>")]), _ENV_ADVICE, ev))
    return hits


# ------------------------------------------------------------------------------ frontend

_FRONTEND_ALLOW = ("*_PUBLISHABLE_KEY", "*PUBLIC_KEY", "*_SITE_KEY", "*_ANON_KEY",
                   "*_FIREBASE_API_KEY", "*_MAPS_API_KEY")


def frontend_credentials(path: str, lines: Lines, params: Params) -> list[SignalHit]:
    """Secret-named variables under a public env prefix (VITE_, NEXT_PUBLIC_, ...) that build
    tools inline into browser bundles: in .env files and in code. One hit per name."""
    rx = _rx()
    allow = list(params.get("allow_names", _FRONTEND_ALLOW))
    web = _lang(path) == "js" or _is_config(path) or _ext(path) in {"html", "mdx"}
    hits: list[SignalHit] = []
    seen: set[str] = set()
    for i in _candidates(lines, tuple(p.lower() + "_" for p in _FRONTEND_PREFIXES)):
        n, text = lines[i]
        for m in rx.frontend.finditer(text):
            name, pfx = m.group("name"), m.group("pfx")
            if name in seen or any(fnmatch.fnmatchcase(name, g) for g in allow) or (
                    pfx == "PUBLIC" and not web):  # SvelteKit's bare PUBLIC_: web files only
                continue
            seen.add(name)
            hits.append(SignalHit(
                n, f"secret-named {name} is exposed to the browser bundle by its {pfx}_ prefix",
                _excerpt(text), f"keep it server-side: rename it {name[len(pfx) + 1:]}, use it in "
                "a server route or API handler, and give the client only a publishable key or a "
                "short-lived token", f"frontend-credential:{name}"))
    return hits


# ------------------------------------------------------------------------- SQL injection

_SQL_ADVICE = {
    "py": 'bind values: cursor.execute("SELECT * FROM users WHERE id = %s", (user_id,)) (? in '
          'sqlite3; text("... WHERE id = :id") with {"id": user_id} in SQLAlchemy); pick '
          "identifiers from an allow-list",
    "js": "bind values: db.query('SELECT * FROM users WHERE id = $1', [userId]) (or ?), or a "
          "tagged template such as sql`... ${userId}` / prisma.$queryRaw`...`",
    "go": 'bind values: db.QueryContext(ctx, "SELECT * FROM users WHERE id = $1", id) (? for '
          "MySQL/SQLite)",
    "java": 'use a PreparedStatement: conn.prepareStatement("SELECT * FROM users WHERE id = ?"), '
            "then ps.setLong(1, id) (or a named :param in JPA)",
    "": "bind values as parameters (placeholders ?, $1 or :name); never format them into SQL",
}


def _how_dynamic(expr: str, keywords: re.Pattern[str],
                 sql_vars: Mapping[str, tuple[int, bool, str]]) -> str | None:
    """How ``expr`` builds SQL from values, or None when it does not."""
    rx = _rx()
    masked, lits = _tokenize(expr)
    top = _top_level(masked)
    how = ("f-string" if any(map(_is_fstring, lits)) else
           "a template literal" if any(map(_is_template, lits)) else
           "Sprintf/format()" if rx.fmt_call.search(masked) else
           "%-formatting" if rx.fmt_pct.search(masked) else
           ".format()" if rx.fmt_dot.search(masked) else
           "concatenation" if lits and "+" in top and re.search(r"[\w$]", rx.lit_mark.sub("", top))
           else None)
    if how and keywords.search(" ".join(lit.body for lit in lits)):
        return how
    m = rx.var_use.fullmatch(masked)
    name, op, rest = (m.group("name"), m.group("op"), m.group("rest")) if m else ("", "", "")
    if name not in sql_vars or (not op and rest.strip()) or (
            op == "+" and not re.search(r"[\w$]", rx.lit_mark.sub("", rest))):
        return None  # not a SQL variable, or one that only grows by literals
    line, dynamic, built = sql_vars[name]
    if op:
        return f"formatting of '{name}' (line {line})"
    return f"{built} on line {line}" if dynamic else None


def _relit(masked: str, lits: Sequence[_Lit]) -> str:
    """Put the literals back into a piece of masked text."""
    def back(m: re.Match[str]) -> str:
        lit = lits[int(m.group(1))]
        return lit.prefix + lit.quote + lit.body + lit.quote * lit.closed
    return _rx().lit_mark.sub(back, masked)


def sql_injection(path: str, lines: Lines, params: Params) -> list[SignalHit]:
    """SQL built by formatting or concatenation and passed to an execute/query call, on the
    same line or through a variable assigned on an earlier added line of the file."""
    rx = _rx()
    hits: list[SignalHit] = []
    sql_vars: dict[str, tuple[int, bool, str]] = {}  # name -> (line, dynamic, how)
    for i in _candidates(lines, _SQL_KEYWORDS + _SQL_CALL_KEYWORDS):
        n, text = lines[i]
        m = rx.sql_assign.match(text)
        if m and not rx.sql_calls.match(text, m.end()):
            name, prev = m.group("name"), sql_vars.get(m.group("name"))
            rhs = _gather(lines, i, m.end(), call=False)
            how = _how_dynamic(rhs, rx.sql_strong, sql_vars)
            masked, lits = _tokenize(rhs)
            if m.group("op") == "+=" and prev:
                grows = bool(re.search(r"[\w$)]", rx.lit_mark.sub("", masked)))
                built = how or prev[2] or "concatenation"
                sql_vars[name] = (n, bool(how) or prev[1] or grows, built)
            elif how or any(rx.sql_strong.search(lit.body) for lit in lits):
                sql_vars[name] = (n, bool(how), how or "")
            else:
                sql_vars.pop(name, None)
        for c in itertools.islice(rx.sql_calls.finditer(text), 8):
            fn = c.group("fn").lstrip("$")
            masked, lits = _tokenize(_gather(lines, i, c.end(), call=True))
            args = _split_args(masked)
            arg = args[1] if fn in _SQL_CTX and len(args) > 1 else args[0]
            keywords = rx.sql_strong if fn in _SQL_NEEDS_STRONG else rx.sql_weak
            how = _how_dynamic(_relit(arg, lits), keywords, sql_vars)
            if how:
                hits.append(SignalHit(n, f"SQL built with {how} passed to {fn}()", _excerpt(text),
                                      _SQL_ADVICE[_lang(path)],
                                      f"sql-injection:{fn}:{_sha(text.strip())}"))
                break
    return hits


# --------------------------------------------------------------------------- PII in logs

_PII_NAMES = ("email", "email_address", "password", "passwd", "secret", "access_token",
              "refresh_token", "auth_token", "id_token", "api_key", "ssn", "social_security",
              "social_security_number", "card_number", "credit_card", "cc_number", "pan", "phone",
              "phone_number", "date_of_birth", "dob", "birthdate", "birth_date")
_MASK_FUNCS = ("mask", "redact", "hash", "sha", "md5", "blake", "digest", "hmac", "anonym",
               "obfusc", "scrub", "sanitiz", "encrypt", "fingerprint", "len", "bool", "type",
               "isinstance", "last4", "count", "bcrypt")
_KEEP_ATTRS = frozenset({"lower", "upper", "strip", "casefold", "title", "trim", "toLowerCase",
                         "toUpperCase", "toString", "value", "decode", "encode", "String",
                         "get_secret_value", "getSecretValue"})
_SAFE_WORDS = frozenset({"hash", "hashed", "masked", "mask", "redacted", "encrypted", "safe", "has",
                         "is", "num", "len", "count", "valid", "invalid", "verified", "max", "min",
                         "no", "field", "label", "header", "type", "regex", "key"})


def _sensitive(chain: str, names: frozenset[str]) -> str | None:
    """The sensitive component of a dotted name, unless an attribute of it is read instead
    (``token.type``, ``email.domain``)."""
    parts = chain.split(".")
    for k, part in enumerate(parts):
        words = _rx().camel.sub("_", part).lower().strip("_$").split("_")
        words = words[1:] if words[0] in ("get", "self", "this") else words
        if not words or set(words[:-1]) & _SAFE_WORDS:
            continue
        hit = any("_".join(words[-t.count("_") - 1:]) == t for t in names)
        if hit and all(p in _KEEP_ATTRS for p in parts[k + 1:]):
            return part
    return None


def _masked_at(masked: str, pos: int) -> bool:
    """Whether ``pos`` sits inside a call of a masking function (mask(), hash(), len()...)."""
    depth = 0
    for k in range(pos - 1, -1, -1):
        ch = masked[k]
        if ch in ")]}":
            depth += 1
        elif ch in "([{" and depth:
            depth -= 1
        elif ch == "(":
            m = re.search(r"(\w+)\s*$", masked[:k])
            fn = m.group(1).lower() if m else ""
            if fn and any(fn.startswith(f) or fn.endswith(f) for f in _MASK_FUNCS):
                return True
    return False


def _pii_in(expr: str, names: frozenset[str]) -> list[str]:
    """Sensitive names used as values in ``expr`` (a call's arguments), unmasked."""
    masked, lits = _tokenize(expr)
    found: list[str] = []
    for m in _rx().ident.finditer(masked):
        after = masked[m.end():].lstrip()
        chain = re.sub(r"\s+", "", m.group("id"))
        if (after.startswith("=") and not after.startswith("==")) or (
                after.startswith("(") and not chain.split(".")[-1].startswith("get")):
            continue  # a keyword argument's name, or a call that is not a getter
        part = _sensitive(chain, names)
        if part and part not in found and not _masked_at(masked, m.start()):
            found.append(part)
    for lit in lits:
        if _is_fstring(lit) or _is_template(lit):
            for inner in re.findall(r"\{([^{}]+)\}", lit.body.replace("{{", "").replace("}}", "")):
                expr = re.split(r"!|:(?!=)", inner)[0]  # drop !r and :format specs
                found += [p for p in _pii_in(expr, names) if p not in found]
    return found


def pii_in_logs(path: str, lines: Lines, params: Params) -> list[SignalHit]:
    """Sensitive values (email, password, token, SSN, card, phone, birth date...) passed to
    logging or print calls as values; the same words inside plain string literals pass."""
    rx = _rx()
    names = frozenset(params.get("names", _PII_NAMES))
    hint = re.compile("|".join(re.escape(t).replace("_", "_?") for t in names), re.I)
    hits: list[SignalHit] = []
    for i in _candidates(lines, _LOG_KEYWORDS):
        n, text = lines[i]
        if rx.comment_line.match(text):
            continue
        for c in itertools.islice(rx.log_calls.finditer(text), 8):
            args = _gather(lines, i, c.end(), call=True)
            found = _pii_in(args, names) if hint.search(args) else []
            if found:
                hits.append(SignalHit(
                    n, f"{', '.join(found)} passed to {c.group('fn')}()", _excerpt(text),
                    "log a stable id or a masked/hashed form instead (user_id, mask(email), "
                    "sha256(token)[:8]), never the raw value",
                    f"pii-in-logs:{c.group('fn')}:{_sha(text.strip())}"))
                break
    return hits


# ----------------------------------------------------------------------- destructive SQL

_DESTRUCTIVE = {  # kind: (what was seen, advice)
    "delete_without_where": ("DELETE without WHERE", "name the rows: DELETE FROM t WHERE id = ?; "
                             "a deliberate purge goes in a reviewed migration"),
    "update_without_where": ("UPDATE without WHERE", "name the rows: UPDATE t SET ... WHERE "
                             "id = ?; a deliberate backfill goes in a reviewed migration"),
    "drop": ("DROP statement", "drop only in a reviewed migration by the database engineer, "
             "after a backup or a reversible rename"),
    "truncate": ("TRUNCATE statement", "truncate only in a reviewed migration by the database "
                 "engineer; otherwise delete the named rows"),
    "drop_column": ("ALTER TABLE ... DROP COLUMN", "drop columns in a reviewed migration "
                    "(expand/contract), once no code reads them"),
}


def destructive_sql(path: str, lines: Lines, params: Params) -> list[SignalHit]:
    """DELETE/UPDATE without WHERE, DROP TABLE/DATABASE/SCHEMA and TRUNCATE in added SQL:
    whole statements in .sql files; SQL string literals (or upper-case SQL) in code."""
    kinds = set(params.get("kinds", ("delete_without_where", "update_without_where", "drop",
                                     "truncate")))
    if _ext(path) in set(params.get("sql_extensions", ("sql", "psql", "pgsql", "ddl", "dml"))):
        return _destructive_statements(lines, kinds)
    rx = _rx()
    hits: list[SignalHit] = []
    for i in _candidates(lines, ("delete", "update", "drop", "truncate")):
        n, text = lines[i]
        if rx.comment_line.match(text):
            continue
        segments = [(lit.body, not lit.closed) for lit in _tokenize(text)[1]]  # (SQL, goes on)
        if not any(rx.destruct.search(s) for s, _ in segments) and rx.upper_destruct.search(text):
            segments = [(text, True)]  # a line inside a multi-line string
        for code, follow in segments:
            for m in itertools.islice(rx.destruct.finditer(code), 8):
                kind = next(k for k, v in m.groupdict().items() if v)
                word = m.group(kind)
                if kind not in kinds or not (word.isupper() or (
                        word.islower() and kind != "truncate" and not code[:m.start()].strip())):
                    continue  # in code: upper-case SQL, or a lower-case literal that starts with it
                rest = code[m.end():m.end() + 4000]
                if kind.endswith("_where") and _code_has_where(lines, i, rest, follow):
                    continue
                hits.append(_destructive_hit(kind, n, text, code[m.start():m.end() + 4000]))
                break  # one finding per line is enough
            else:
                continue
            break
    return hits


def _destructive_statements(lines: Lines, kinds: set[str]) -> list[SignalHit]:
    """The .sql case: statements may span lines; WHERE counts up to the closing ``;``."""
    texts = [t.split("--", 1)[0] for _, t in lines]
    blob = "\n".join(texts)
    ends = list(itertools.accumulate(len(t) + 1 for t in texts))
    semis = [k for k, ch in enumerate(blob) if ch == ";"] if ";" in blob else []
    wheres = [w.start() for w in _rx().where.finditer(blob)]
    hits: list[SignalHit] = []
    for m in _rx().destruct.finditer(blob):
        kind = next(k for k, v in m.groupdict().items() if v)
        n, text = lines[bisect.bisect_right(ends, m.start())]
        if kind not in kinds or (hits and hits[-1].line == n):
            continue  # one finding per line is enough
        k = bisect.bisect_left(semis, m.end())
        end = semis[k] if k < len(semis) else len(blob)
        w = bisect.bisect_left(wheres, m.end())
        if not (kind.endswith("_where") and w < len(wheres) and wheres[w] < end):
            hits.append(_destructive_hit(kind, n, text, blob[m.start():min(end, m.end() + 4000)]))
    return hits


def _destructive_hit(kind: str, n: int, text: str, stmt: str) -> SignalHit:
    seen, advice = _DESTRUCTIVE[kind]
    key = " ".join(stmt.split(";")[0].lower().split())
    return SignalHit(n, seen, _excerpt(text), advice, f"destructive-sql:{kind}:{_sha(key)}")


def _code_has_where(lines: Lines, i: int, rest: str, follow: bool) -> bool:
    """Whether WHERE comes before the statement ends: ``;`` or the end of the string."""
    j = i
    while True:
        if _rx().where.search(rest.split(";")[0]):
            return True
        if ";" in rest or not follow or (j > i and re.search(r"[\"'`]", rest)):
            return False
        if j + 1 >= len(lines) or lines[j + 1][0] != lines[j][0] + 1 or j - i >= 50:
            return False
        j += 1
        rest = lines[j][1][:4000]


# --------------------------------------------------------------------------- file checks

_SENSITIVE_NAMES = (".env", ".env.*", "*.env", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519",
                    "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", ".netrc", "_netrc",
                    ".pgpass", "*.kdbx", ".htpasswd", ".git-credentials", "credentials.json",
                    "client_secret*.json", "*.tfstate", "*.tfstate.backup")
_SENSITIVE_PATHS = (".aws/credentials", ".docker/config.json")
_ALLOWED_NAMES = (".env.example", ".env.sample", ".env.template", ".env.dist", "*.pub")


def sensitive_file(path: str, params: Params) -> SignalHit | None:
    """A committed file that holds credentials by its nature (.env files, private keys,
    keystores, credential stores), by name at any depth; line 0."""
    base = path.rsplit("/", 1)[-1]
    if any(fnmatch.fnmatchcase(base, g) for g in params.get("allow_names", _ALLOWED_NAMES)):
        return None
    if not any(fnmatch.fnmatchcase(base, g) for g in params.get("names", _SENSITIVE_NAMES)) and \
            not any(fnmatch.fnmatchcase("/" + path, "*/" + g)
                    for g in params.get("paths", _SENSITIVE_PATHS)):
        return None
    what = "dotenv file" if base.startswith(".env") or base.endswith(".env") else "credential file"
    return SignalHit(0, f"{what} {base} committed", _cut(path),
                     f"git rm --cached {path}, add it to .gitignore, rotate what it held, and "
                     "commit a template with names only (.env.example)", f"sensitive-file:{path}")


_COMMENTS = {"#": "py pyi rb sh bash zsh pl pm r ps1 nim cr ex exs tcl",
             "//": "js jsx ts tsx mjs cjs go java kt kts rs c h cc cpp cxx hpp hh cs php swift "
                   "scala dart groovy m mm zig v sol proto",
             "--": "sql lua hs elm ada psql"}
_SOURCE_EXTS = frozenset(" ".join(_COMMENTS.values()).split())


def file_header(path: str, lines: Lines, params: Params) -> SignalHit | None:
    """A new source file that does not open with a header comment. Skipped first: a shebang,
    ``<?php``, a JS directive (``"use strict"``); a docstring counts in Python."""
    ext = _ext(path)
    if ext not in _SOURCE_EXTS or ext not in set(params.get("extensions", _SOURCE_EXTS)):
        return None
    body = [(n, t.strip()) for n, t in lines if t.strip()]
    if len(body) < int(params.get("min_lines", 3)):
        return None
    marks = [k for k, v in _COMMENTS.items() if ext in v.split()] + ["/*"] + ["#"] * (ext == "php")
    for n, t in body:
        if t.startswith(("#!", "<?php")) or re.fullmatch(r"""["']use \w+["'];?""", t):
            continue
        if t.startswith(tuple(marks)) or (
                ext in ("py", "pyi") and re.match(r"[rRuU]?(\"{3}|'{3})", t)):
            return None
        return SignalHit(n, "new source file without a header comment", _excerpt(t),
                         f"open it with a 1-2 line comment saying where it sits and what it is "
                         f"for, e.g. '{marks[0]} {path}: <what it is for>'", f"file-header:{path}")
    return None


def file_size(path: str, old_lines: int, new_lines: int, params: Params) -> SignalHit | None:
    """A source file that grew past ``params.max_lines`` (default 600) in this change."""
    limit = int(params.get("max_lines", 600))
    if not old_lines <= limit < new_lines:
        return None
    return SignalHit(limit + 1, f"file grew from {old_lines} to {new_lines} lines (limit {limit})",
                     _cut(f"{path}: {new_lines} lines"), "split it: move a cohesive group of "
                     "functions or classes into a module of its own, with one job",
                     f"file-size:{path}:{limit}")


CONTENT_DETECTORS: dict[str, Detector] = {
    "hardcoded_secret": hardcoded_secret,
    "frontend_credentials": frontend_credentials,
    "sql_injection": sql_injection,
    "pii_in_logs": pii_in_logs,
    "destructive_sql": destructive_sql,
}
