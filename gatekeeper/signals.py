# gatekeeper/signals.py: the pure content detectors behind PACT's algedonic signals.
# Secrets, frontend credentials, SQL injection, PII in logs, destructive SQL, file standards; no git, no I/O.
"""Pure detectors: each takes a path, the added lines and a rule's params, and returns hits.

A :class:`SignalHit` names the line, says what was seen and what to do instead, and never
carries a secret value: excerpts go through :func:`redact` and evidence keys are hashes.
Regular expressions are compiled once, on first use, so importing this module is cheap.
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

# ----------------------------------------------------------------------------- patterns

_NAME = r"[\w.\"'`\[\]$]+"
_TOKENS: tuple[tuple[str, str, str], ...] = (  # (slug, observed, regex with group v = the secret)
    ("aws-access-key", "AWS access key id", r"(?<![A-Za-z0-9])(?P<v>(?:AKIA|ASIA)[A-Z0-9]{16})(?![A-Za-z0-9])"),
    ("gcp-private-key", "GCP service-account private key",
     r'"private_key"\s*:\s*"(?P<v>-----BEGIN[A-Z ]*PRIVATE KEY-----[^"]*)'),
    ("azure-storage-key", "Azure storage account key", r"AccountKey=(?P<v>[A-Za-z0-9+/]{40,}={0,2})"),
    ("github-token", "GitHub token", r"(?<![A-Za-z0-9_])(?P<v>gh[pousr]_[A-Za-z0-9]{36,255})"),
    ("github-token", "GitHub fine-grained token", r"(?<![A-Za-z0-9_])(?P<v>github_pat_[A-Za-z0-9_]{22,255})"),
    ("gitlab-token", "GitLab access token", r"(?<![\w-])(?P<v>glpat-[A-Za-z0-9_-]{20,})"),
    ("slack-token", "Slack token", r"(?<![\w-])(?P<v>xox[abposr]-[A-Za-z0-9-]{10,})"),
    ("slack-webhook", "Slack webhook URL",
     r"(?P<v>https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{20,})"),
    ("stripe-key", "Stripe secret key", r"(?<![\w-])(?P<v>(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,})"),
    ("anthropic-key", "Anthropic API key", r"(?<![\w-])(?P<v>sk-ant-[A-Za-z0-9_-]{20,})"),
    ("openai-key", "OpenAI-style API key",
     r"(?<![\w-])(?P<v>sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,})"),
    ("npm-token", "npm access token", r"(?<![\w-])(?P<v>npm_[A-Za-z0-9]{36})(?![A-Za-z0-9])"),
    ("pypi-token", "PyPI API token", r"(?P<v>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{40,})"),
    ("google-api-key", "Google API key", r"(?<![\w-])(?P<v>AIza[0-9A-Za-z_-]{35})(?![\w-])"),
    ("private-key", "PEM private key block", r"(?P<v>-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)"),
    ("jwt", "JSON Web Token",
     r"(?<![\w-])(?P<v>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})"),
)
_SECRET_TERMS = (r"password|passwd|passphrase|pass_phrase|(?:^|_)pwd|secret|token|"
                 r"(?:api|access|private|secret|auth|signing|encryption|master|client)_?key")
_ASSIGN = (r"(?<![\w.$@-])(?P<nq>[\"']?)(?P<name>[A-Za-z_$@][\w.$@-]*)(?P=nq)"
           r"(?:[ \t]*:[ \t]*[A-Za-z_][\w.\[\], |]*?(?=[ \t]*=[^=>])|[ \t]+string\b)?"
           r"[ \t]*(?P<op>:=|=>|=(?!=)|:(?![:=]))[ \t]*"
           r"(?P<val>(?P<pre>[rRbBuU]{0,2})(?P<q>\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|`[^`\n]*`)"
           r"|[^\s'\"`,;#)}\]]+)")
_PLACEHOLDER = (r"change_?me|changeit|x{3,}|\*{3,}|^<.*>$|\$\{|\{\{|%s|%\(|^%|example|dummy|"
                r"placeholder|sample|your[_-]|[_-]here\b|redacted|fake|mock|test|todo|fixme|"
                r"^[.#-]+$|^\$\w|password|passwd|secret|token|^(?:none|null|nil|true|false|undefined)$")
_SQL_WEAK = (r"(?i)\b(?:select|insert|update|delete|from|where|set|values|into|drop|create|alter|"
             r"table|pragma|vacuum|attach|truncate|replace|merge|union|join|limit|order\s+by|grant|call)\b")
_SQL_STRONG = (r"(?i)\bselect\b[^;]*?\bfrom\b|\binsert\s+(?:or\s+\w+\s+)?into\b|"
               r"\bupdate\s+" + _NAME + r"\s+set\b|\bdelete\s+from\b|"
               r"\b(?:drop|create|alter|truncate)\s+(?:table|database|index|view|schema|trigger)\b|"
               r"\bwhere\s+" + _NAME + r"\s*(?:=|<|>|!=|\bin\b|\blike\b|\bis\b)|\bpragma\s+\w+|"
               r"\bvalues\s*\(|\border\s+by\b|\bgroup\s+by\b")
_SQL_CALL_GO_CTX = frozenset({"QueryContext", "QueryRowContext", "ExecContext", "PrepareContext"})
_SQL_CALL_STRONG = frozenset({"query", "Query", "raw", "Raw", "text", "read_sql", "read_sql_query",
                              "createQuery", "prepareStatement", "Prepare", "PrepareContext"})
_SQL_CALLS = (r"(?<![\w$])(?P<fn>execute|executemany|executescript|exec_driver_sql|executeQuery|"
              r"executeUpdate|executeLargeUpdate|addBatch|prepareStatement|prepareCall|createQuery|"
              r"createNativeQuery|createSQLQuery|query|\$queryRawUnsafe|\$executeRawUnsafe|raw|Raw|"
              r"text|read_sql|read_sql_query|Query|QueryRow|QueryContext|QueryRowContext|Exec|"
              r"ExecContext|Prepare|PrepareContext)\s*\(")
_LOG_CALLS = (r"(?<![\w$])(?P<fn>(?:[A-Za-z_$][\w$]*\.)*?(?:logging|logger|log|_log|_logger|LOGGER|"
              r"LOG|Log|[a-z_]+_logger)\.(?:debug|info|warning|warn|error|exception|critical|fatal|"
              r"trace)|print|console\.(?:log|info|warn|error|debug|trace)|"
              r"log\.(?:Print|Fatal|Panic)(?:f|ln)?|slog\.(?:Debug|Info|Warn|Error|Log)(?:Context)?|"
              r"(?:logger|log|sugar|logrus|zap\.[LS]\(\))\.(?:Debug|Info|Warn|Warning|Error|Fatal|"
              r"Panic|Trace)[fw]?|System\.(?:out|err)\.print(?:ln|f)?)\s*\(")
_FRONTEND = (r"(?<![\w$])(?P<name>(?P<pfx>VITE|REACT_APP|NEXT_PUBLIC|NUXT_PUBLIC|NUXT_ENV|EXPO_PUBLIC|"
             r"PUBLIC|GATSBY|VUE_APP|STORYBOOK)_[A-Z0-9_]*?(?:KEY|SECRET|TOKEN|PASSWORD|PASSWD|"
             r"CREDENTIALS?))(?![\w$])")


class _Rx:
    """Every compiled pattern; built once by :func:`_rx` on first use."""

    def __init__(self) -> None:
        c = re.compile
        self.tokens = [(slug, obs, c(rx)) for slug, obs, rx in _TOKENS]
        self.secret_trigger = c(
            r"(?i:pass(?:wd|word|phrase)|secret|token|key|pwd|://[^\s/@]*:[^\s/@]*@)|AKIA|ASIA|"
            r"gh[pousr]_|github_pat_|glpat-|xox[abposr]-|hooks\.slack|[sr]k_(?:live|test)_|sk-|"
            r"npm_|pypi-|PRIVATE KEY|AccountKey=|eyJ|AIza")
        self.secret_name = c(r"(?:" + _SECRET_TERMS + r")$")
        self.assign = c(_ASSIGN)
        self.placeholder = c(_PLACEHOLDER, re.I)
        self.connstr = c(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]{1,30})://(?P<user>[^\s:/@'\"`]{1,64}):"
                         r"(?P<v>[^\s@/'\"`]{1,128})@(?P<host>[^\s/'\"`?:,;)\]]+)")
        self.bearer = c(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/-]{8,}=*")
        self.pem_body = c(r"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----)(.*?)(-----END|\"|$)")
        self.aws_secret = c(r"[A-Za-z0-9/+]{40}")
        self.file_ext = c(r"(?i)\.(?:pem|key|crt|cer|p12|pfx|jks|json|ya?ml|txt|env|ini|cfg)$")
        self.frontend = c(_FRONTEND)
        self.env_assign = c(r"^\s*(?:export\s+)?(?P<name>[A-Z][A-Z0-9_]*)\s*=\s*(?P<v>.*)$")
        self.sql_calls = c(_SQL_CALLS)
        self.sql_weak = c(_SQL_WEAK)
        self.sql_strong = c(_SQL_STRONG)
        self.sql_trigger = c(_SQL_CALLS + r"|(?i:\b(?:select|insert|update|delete|drop|create|alter|"
                             r"truncate|pragma|where)\b)")
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
        self.destruct = c(r"(?i)\b(?P<k>delete)\s+from\s+" + _NAME + r"|\b(?P<u>update)\s+(?:or\s+\w+\s+)?"
                          + _NAME + r"\s+set\b|\b(?P<d>drop)\s+(?:table|database|schema)\b|"
                          r"\b(?P<t>truncate)\s+(?:table\s+)?(?!the\b|to\b|a\b|it\b)[\w.\"`\[\]]+|"
                          r"\balter\s+table\s+" + _NAME + r"\s+(?P<c>drop)\s+column\b")
        self.where = c(r"(?i)\bwhere\b")
        self.upper_destruct = c(r"\bDELETE\s+FROM\b|\bUPDATE\s+\S+\s+SET\b|\bDROP\s+(?:TABLE|DATABASE|"
                                r"SCHEMA)\b|\bTRUNCATE\b|\bDROP\s+COLUMN\b")
        self.destruct_trigger = c(r"(?i)\b(?:delete|update|drop|truncate)\b")
        self.comment_line = c(r"^\s*(?:#|//|--|/?\*)")


@functools.cache
def _rx() -> _Rx:
    return _Rx()


# ----------------------------------------------------------------------------- helpers


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _mask(value: str) -> str:
    """Show a long token's shape (``AKIA****MPLE``), nothing of a short one."""
    return value[:4] + "****" + value[-4:] if len(value) >= 16 else "<redacted>"


def _cut(text: str) -> str:
    text = text.strip()
    return text if len(text) <= 120 else text[:117] + "..."


def _excerpt(text: str, values: Sequence[tuple[str, str]] = ()) -> str:
    """The line, cut and safe to print: each (value, replacement) applied, then :func:`redact`."""
    for value, shown in sorted(values, key=lambda p: len(p[0]), reverse=True):
        if value:
            text = text.replace(value, shown)
    return _cut(redact(text))


def _entropy(value: str) -> float:
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in map(value.count, set(value))) if n else 0.0


def _ext(path: str) -> str:
    base = path.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base.lstrip(".") else ""


def _is_config(path: str) -> bool:
    base = path.rsplit("/", 1)[-1].lower()
    return (base.startswith(".env") or base.endswith(".env") or base in {
        "dockerfile", ".npmrc", ".pypirc", ".netrc", "credentials", ".pgpass", "config"}
        or _ext(path) in {"yaml", "yml", "toml", "ini", "cfg", "conf", "properties", "sh", "bash",
                          "zsh", "env", "envrc", "tfvars", "hcl"})


def _candidates(lines: Lines, rx: re.Pattern[str]) -> list[int]:
    """Indexes of lines matching ``rx``, found with one scan of the joined text."""
    blob = "\n".join(t for _, t in lines)
    m = rx.search(blob)
    if m is None:
        return []
    ends = list(itertools.accumulate(len(t) + 1 for _, t in lines))
    out: list[int] = []
    while m is not None:
        i = bisect.bisect_right(ends, m.start())
        out.append(i)
        if i + 1 >= len(ends):
            break
        m = rx.search(blob, ends[i])
    return out


def _gather(lines: Lines, i: int, col: int, call: bool, limit: int = 30) -> str:
    """Text from ``lines[i][1][col:]`` to the end of the expression: the call's closing paren
    (``call``) or the end of the statement, following consecutive added lines."""
    out: list[str] = []
    depth, quote, j = 0, "", i
    text = lines[i][1][col:]
    while True:
        k, n = 0, len(text)
        while k < n:
            ch = text[k]
            if quote:
                if ch == "\\":
                    k += 1
                elif text.startswith(quote, k):
                    k += len(quote) - 1
                    quote = ""
            elif ch in "\"'`":
                quote = text[k:k + 3] if text[k:k + 3] in ('"""', "'''") else ch
                k += len(quote) - 1
            elif ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
                if depth < 0:
                    out.append(text[:k])
                    return "\n".join(out)
            elif ch == ";" and not call and depth == 0:
                out.append(text[:k])
                return "\n".join(out)
            k += 1
        out.append(text)
        if len(quote) == 1 and quote != "`":
            quote = ""  # a one-line string cannot continue
        if (not quote and depth <= 0 and not call) or j + 1 >= len(lines) or j - i >= limit \
                or lines[j + 1][0] != lines[j][0] + 1:
            return "\n".join(out)
        j += 1
        text = lines[j][1]


class _Lit(NamedTuple):
    prefix: str  # string prefix or template tag: "f", "rb", "sql", ""
    quote: str
    body: str
    closed: bool = True


def _tokenize(expr: str) -> tuple[str, list[_Lit]]:
    """Replace each string literal by a marker ``\\x01N\\x02``; return (masked, literals)."""
    out: list[str] = []
    lits: list[_Lit] = []
    k, n, start = 0, len(expr), 0
    while k < n:
        ch = expr[k]
        if ch in "\"'`":
            p = k
            while p > 0 and (expr[p - 1].isalnum() or expr[p - 1] in "_$."):
                p -= 1
            q = expr[k:k + 3] if expr[k:k + 3] in ('"""', "'''") else ch
            e = k + len(q)
            while e < n and not expr.startswith(q, e):
                e += 2 if expr[e] == "\\" else 1
            out.append(expr[start:p])
            out.append(f"\x01{len(lits)}\x02")
            lits.append(_Lit(expr[p:k], q, expr[k + len(q):e], e < n))
            k = start = e + len(q)
            continue
        k += 1
    out.append(expr[start:])
    return "".join(out), lits


def _is_fstring(lit: _Lit) -> bool:
    return (lit.quote[0] != "`" and "f" in lit.prefix.lower() and re.fullmatch(r"[rRbBuUfF]{1,3}", lit.prefix)
            is not None and "{" in lit.body.replace("{{", ""))


def _is_template(lit: _Lit) -> bool:
    return lit.quote == "`" and not lit.prefix and "${" in lit.body


def _split_args(masked: str) -> list[str]:
    args, depth, start = [], 0, 0
    for k, ch in enumerate(masked):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(masked[start:k])
            start = k + 1
    args.append(masked[start:])
    return args


def _lang(path: str) -> str:
    ext = _ext(path)
    for lang, exts in (("py", "py pyi"), ("js", "js jsx ts tsx mjs cjs vue svelte"), ("go", "go"),
                       ("java", "java kt kts scala groovy cs")):
        if ext in exts.split():
            return lang
    return ""


# ----------------------------------------------------------------------------- redaction


def redact(text: str) -> str:
    """Return ``text`` with every secret-looking value masked: tokens, PEM bodies, passwords
    in connection strings, bearer credentials and literals assigned to secret-like names."""
    rx = _rx()
    text = rx.pem_body.sub(lambda m: m.group(1) + ("<redacted>" if m.group(2) else "") + m.group(3), text)
    for slug, _, pat in rx.tokens:
        if slug == "private-key":
            continue  # the header is not secret; pem_body has masked the body
        text = pat.sub(lambda m: m.group(0).replace(m.group("v"), _mask(m.group("v"))), text)
    text = rx.connstr.sub(lambda m: m.group(0).replace(":" + m.group("v") + "@", ":<redacted>@"), text)
    text = rx.bearer.sub(lambda m: m.group(1) + " <redacted>", text)

    def _assign(m: re.Match[str]) -> str:
        name = m.group("name").lower().replace("-", "_").replace(".", "_")
        if not rx.secret_name.search(name):
            return m.group(0)
        val, lit = m.group("val"), m.group("q")
        if lit:
            body = lit[1:-1]
            if not body or "****" in body or "<redacted>" in body:
                return m.group(0)
            return m.group(0)[: m.start("q") - m.start()] + lit[0] + "<redacted>" + lit[-1]
        tail = text[m.end():m.end() + 1]
        if tail == "(" or "****" in val or "<redacted>" in val or not (
                re.search(r"[\d+/=!@#%^&*]", val) or len(val) >= 16):
            return m.group(0)
        return m.group(0)[: m.start("val") - m.start()] + "<redacted>"

    return rx.assign.sub(_assign, text)


# ----------------------------------------------------------------------------- secrets


def _generic_ok(value: str, params: Params) -> bool:
    """A literal assigned to a secret-like name that looks like a real credential."""
    rx = _rx()
    if len(value) < int(params.get("min_length", 8)) or " " in value or rx.placeholder.search(value):
        return False
    if value[0] in "/.~\\" or "://" in value or rx.file_ext.search(value):
        return False
    if re.fullmatch(r"[A-Za-z_][A-Za-z_.:-]*", value):  # an identifier, key name or word
        return False
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^\w\s.-]"))
    return classes >= 2 and _entropy(value) >= float(params.get("min_entropy", 3.0))


def hardcoded_secret(path: str, lines: Lines, params: Params) -> list[SignalHit]:
    """Credentials in added lines: well-known token formats, private keys, passwords in
    connection strings, and literals assigned to secret-like names."""
    rx = _rx()
    allow = set(params.get("allow_values", ()))
    allow_hosts = list(params.get("connection_allow_hosts", ()))
    generic = bool(params.get("generic", True))
    config = _is_config(path)
    hits: list[SignalHit] = []
    seen: set[str] = set()

    def add(n: int, text: str, slug: str, observed: str, value: str, advice: str) -> None:
        ev = f"{slug}:{_sha(value)}"
        if value in allow or ev in seen:
            return
        seen.add(ev)
        shown = "<redacted>" if slug in ("secret-assignment", "connection-string") else _mask(value)
        shown = value if slug == "private-key" else shown
        hits.append(SignalHit(n, observed, _excerpt(text, [(value, shown)]), advice, ev))

    env_advice = ("remove it and rotate it now; read it at run time from the environment or a secret "
                  "manager (os.environ['X'], process.env.X, os.Getenv(\"X\"))")
    for i in _candidates(lines, rx.secret_trigger):
        n, text = lines[i]
        spans: list[tuple[int, int]] = []
        for slug, observed, pat in rx.tokens:
            for m in pat.finditer(text):
                if any(a < m.end() and m.start() < b for a, b in spans):
                    continue
                v = m.group("v")
                if slug == "openai-key" and not (re.search(r"\d", v) and re.search(r"[A-Z]", v)):
                    continue
                spans.append(m.span())
                if slug in ("private-key", "gcp-private-key"):
                    nxt = lines[i + 1][1] if i + 1 < len(lines) else path
                    v = v if slug == "gcp-private-key" else v + nxt
                    advice = "remove the key, revoke it, and load it from a secret store or a file outside the repository"
                else:
                    advice = env_advice
                add(n, text, slug, observed, v, advice)
        for m in rx.connstr.finditer(text):
            v, host = m.group("v"), m.group("host").lower()
            if (v == m.group("user") or v.lower() in {"pass", "pw", "pwd", "p", "x"}
                    or v[0] in "$<{%*:" or rx.placeholder.search(v)
                    or any(fnmatch.fnmatchcase(host, h) for h in allow_hosts)):
                continue
            spans.append(m.span("v"))
            add(n, text, "connection-string", f"password in a {m.group('scheme')}:// connection string",
                v, "keep the password out of the URL: build it from the environment "
                "(e.g. DATABASE_URL in the deployment's secrets), or use a credentials file or IAM auth")
        if not generic:
            continue
        for m in rx.assign.finditer(text):
            name = m.group("name")
            norm = rx.camel.sub("_", name).lower().replace("-", "_").replace(".", "_")
            if not rx.secret_name.search(norm) or any(a < m.end() and m.start() < b for a, b in spans):
                continue
            lit = m.group("q")
            if lit:
                value = lit[1:-1]
                if ("f" in m.group("pre").lower() and "{" in value) or (lit[0] == "`" and "${" in value):
                    continue
            elif config and m.group("op") != "=>":
                value = m.group("val").rstrip(".")
                if value[0] in "$!&*%{[(<~|>" or value.startswith("ENC["):
                    continue
            else:
                continue
            if rx.aws_secret.fullmatch(value) and ("aws" in norm or "access" in norm):
                add(n, text, "aws-secret-key", "AWS secret access key", value, env_advice)
            elif _generic_ok(value, params):
                add(n, text, "secret-assignment", f"literal value assigned to '{name}'", value, env_advice)
    if params.get("detect_secrets"):
        hits.extend(_detect_secrets(path, lines, allow, seen))
    return hits


def _detect_secrets(path: str, lines: Lines, allow: set[str], seen: set[str]) -> list[SignalHit]:
    """Optional backend: Yelp's detect-secrets plugins, when the package is installed."""
    try:
        scan = importlib.import_module("detect_secrets.core.scan")
        settings = importlib.import_module("detect_secrets.settings")
    except ImportError:
        return []
    hits: list[SignalHit] = []
    with settings.default_settings():
        for n, text in lines:
            for found in scan.scan_line(text):
                value = str(getattr(found, "secret_value", "") or "")
                ev = f"detect-secrets:{_sha(value or text)}"
                if value in allow or ev in seen or any(
                        h.evidence.endswith(_sha(value)) for h in hits):
                    continue
                seen.add(ev)
                hits.append(SignalHit(n, f"{found.type} (detect-secrets)", _excerpt(text, [(value, "<redacted>")]),
                                      "remove it and rotate it; read it from the environment", ev))
    return hits


# ----------------------------------------------------------------------------- frontend


_FRONTEND_ALLOW = ("*_PUBLISHABLE_KEY", "*PUBLIC_KEY", "*_SITE_KEY", "*_ANON_KEY",
                   "*_FIREBASE_API_KEY", "*_MAPS_API_KEY")


def frontend_credentials(path: str, lines: Lines, params: Params) -> list[SignalHit]:
    """Secret-named variables under a public, bundled env prefix (VITE_, NEXT_PUBLIC_, ...)."""
    rx = _rx()
    allow = list(params.get("allow_names", _FRONTEND_ALLOW))
    web = _lang(path) == "js" or _is_config(path) or _ext(path) in {"html", "astro", "json", "mdx"}
    hits: list[SignalHit] = []
    seen: set[str] = set()
    for n, text in lines:
        if "_" not in text:
            continue
        for m in rx.frontend.finditer(text):
            name = m.group("name")
            if name in seen or any(fnmatch.fnmatchcase(name, g) for g in allow):
                continue
            if m.group("pfx") == "PUBLIC" and not web:
                continue
            seen.add(name)
            private = name[len(m.group("pfx")) + 1:]
            hits.append(SignalHit(
                n, f"secret-named '{name}' is exposed to the browser bundle ({m.group('pfx')}_ prefix)",
                _excerpt(text), f"keep the secret server-side: rename it without the public prefix "
                f"({private}), read it in a server route or API handler, and give the client only "
                "a publishable key or a short-lived token", f"frontend-credential:{name}"))
    return hits


# ----------------------------------------------------------------------------- SQL injection

_SQL_ADVICE = {
    "py": 'pass values as parameters: cursor.execute("SELECT * FROM users WHERE id = %s", (user_id,)) '
          '(or ? for sqlite3; text("... WHERE id = :id") with {"id": user_id} in SQLAlchemy)',
    "js": "pass values as parameters: db.query('SELECT * FROM users WHERE id = $1', [userId]) (or ?), "
          "or a tagged template such as sql`... ${userId}` / prisma.$queryRaw`...`",
    "go": 'pass values as arguments: db.QueryContext(ctx, "SELECT * FROM users WHERE id = $1", id) '
          "(? for MySQL/SQLite)",
    "java": 'use a PreparedStatement: conn.prepareStatement("SELECT * FROM users WHERE id = ?") '
            "then ps.setLong(1, id) (or a named :param in JPA)",
    "": "pass values as bound parameters (placeholders such as ?, $1 or :name), never by formatting",
}


def _how_dynamic(expr: str, keywords: re.Pattern[str], sql_vars: Mapping[str, tuple[int, bool, str]]
                 ) -> str | None:
    """How ``expr`` builds SQL from values (None when it does not)."""
    rx = _rx()
    masked, lits = _tokenize(expr)
    bodies = " ".join(lit.body for lit in lits)
    how = None
    if any(_is_fstring(lit) for lit in lits):
        how = "f-string"
    elif any(_is_template(lit) for lit in lits):
        how = "template literal"
    elif rx.fmt_call.search(masked):
        how = "Sprintf/format()"
    elif rx.fmt_pct.search(masked):
        how = "%-formatting"
    elif rx.fmt_dot.search(masked):
        how = ".format()"
    elif lits and "+" in masked and re.search(r"[\w$)\]]", rx.lit_mark.sub("", masked)):
        how = "string concatenation"
    if how and keywords.search(bodies):
        return how
    m = rx.var_use.fullmatch(masked)
    if m is None or m.group("name") not in sql_vars or not (m.group("op") or not m.group("rest").strip()):
        return None
    line, dynamic, built = sql_vars[m.group("name")]
    if m.group("op"):
        return f"formatting of the SQL string from line {line}"
    return f"{built} on line {line}" if dynamic else None


def sql_injection(path: str, lines: Lines, params: Params) -> list[SignalHit]:
    """SQL assembled by formatting or concatenation and passed to an execute/query call,
    on the same line or through a variable assigned on an earlier added line."""
    rx = _rx()
    hits: list[SignalHit] = []
    sql_vars: dict[str, tuple[int, bool, str]] = {}
    advice = _SQL_ADVICE[_lang(path)]
    for i in _candidates(lines, rx.sql_trigger):
        n, text = lines[i]
        m = rx.sql_assign.match(text)
        if m and not rx.sql_calls.match(text, m.end()):
            rhs = _gather(lines, i, m.end(), call=False)
            name, prev = m.group("name"), sql_vars.get(m.group("name"))
            how = _how_dynamic(rhs, rx.sql_strong, sql_vars)
            masked, lits = _tokenize(rhs)
            if m.group("op") == "+=" and prev:
                dynamic = bool(how) or prev[1] or bool(re.search(r"[\w$)]", rx.lit_mark.sub("", masked)))
                sql_vars[name] = (n, dynamic, how or prev[2])
            elif how or any(rx.sql_strong.search(lit.body) for lit in lits):
                sql_vars[name] = (n, bool(how), how or "")
            elif name in sql_vars:
                del sql_vars[name]
        for c in rx.sql_calls.finditer(text):
            fn = c.group("fn").lstrip("$")
            masked, lits = _tokenize(_gather(lines, i, c.end(), call=True))
            args = _split_args(masked)
            arg = args[1] if fn in _SQL_CALL_GO_CTX and len(args) > 1 else args[0]
            kw = rx.sql_strong if fn in _SQL_CALL_STRONG else rx.sql_weak
            how = _how_dynamic(_unmask_lits(arg, lits), kw, sql_vars)
            if how:
                hits.append(SignalHit(n, f"SQL built with {how} passed to {fn}()", _excerpt(text),
                                      advice, f"sql-injection:{fn}:{_sha(text.strip())}"))
                break
    return hits


def _unmask_lits(masked: str, lits: Sequence[_Lit]) -> str:
    """Put the original literal text back (prefix + quotes + body) for a re-tokenize."""
    def back(m: re.Match[str]) -> str:
        lit = lits[int(m.group(1))]
        return lit.prefix + lit.quote + lit.body + lit.quote
    return _rx().lit_mark.sub(back, masked)


# ----------------------------------------------------------------------------- PII in logs

_PII_NAMES = ("email", "email_address", "password", "passwd", "token", "access_token", "secret",
              "ssn", "social_security", "social_security_number", "card_number", "credit_card",
              "cc_number", "pan", "phone", "phone_number", "date_of_birth", "dob", "birthdate",
              "birth_date")
_MASK_FUNCS = ("mask", "redact", "hash", "sha", "md5", "blake", "digest", "hmac", "anonym", "obfusc",
               "scrub", "sanitiz", "encrypt", "fingerprint", "len", "bool", "type", "id", "isinstance",
               "last4", "count", "is_", "has_", "bcrypt")
_KEEP_ATTRS = frozenset({"lower", "upper", "strip", "casefold", "title", "trim", "toLowerCase",
                         "toUpperCase", "toString", "value", "decode", "encode", "get", "String"})
_SAFE_WORDS = frozenset({"hash", "hashed", "masked", "mask", "redacted", "encrypted", "obfuscated",
                         "safe", "has", "is", "num", "len", "count", "valid", "invalid", "verified",
                         "max", "min", "no", "sent", "field", "label", "header", "type", "regex"})


def _sensitive(chain: str, names: frozenset[str]) -> str | None:
    """The sensitive component of a dotted name, unless an attribute of it is read instead."""
    rx = _rx()
    parts = [p.strip() for p in chain.split(".")]
    for k, part in enumerate(parts):
        words = rx.camel.sub("_", part).lower().strip("_$").split("_")
        if words and words[0] in ("get", "self", "this"):
            words = words[1:]
        if not words or set(words[:-1]) & _SAFE_WORDS:
            continue
        hit = next((t for t in names if "_".join(words[-t.count("_") - 1:]) == t), None)
        if hit and all(p in _KEEP_ATTRS for p in parts[k + 1:]):
            return part
    return None


def _masked_at(masked: str, pos: int) -> bool:
    """True when position ``pos`` sits inside a call of a masking function (mask(), len(), ...)."""
    depth = 0
    for k in range(pos - 1, -1, -1):
        ch = masked[k]
        if ch in ")]}":
            depth += 1
        elif ch in "([{":
            if depth:
                depth -= 1
            elif ch == "(":
                m = re.search(r"([A-Za-z_][\w]*)\s*$", masked[:k])
                fn = m.group(1).lower() if m else ""
                if fn and any(fn.startswith(f) or fn.endswith(f) for f in _MASK_FUNCS):
                    return True
    return False


def _pii_in(expr: str, names: frozenset[str]) -> list[str]:
    rx = _rx()
    masked, lits = _tokenize(expr)
    found: list[str] = []
    for m in rx.ident.finditer(masked):
        after = masked[m.end():m.end() + 2]
        if after.startswith("=") and after != "==":
            continue  # a keyword argument's name
        chain = re.sub(r"\s+", "", m.group("id"))
        if masked[m.end():].lstrip().startswith("(") and not chain.split(".")[-1].startswith("get"):
            continue  # a call: only getters (getEmail(), get_password()) return the value
        part = _sensitive(chain, names)
        if part and not _masked_at(masked, m.start()) and part not in found:
            found.append(part)
    for lit in lits:
        if _is_fstring(lit) or _is_template(lit):
            for expr_in in re.findall(r"\$?\{([^{}]+)\}", lit.body.replace("{{", "").replace("}}", "")):
                found.extend(p for p in _pii_in(expr_in.split("!")[0].split(":")[0], names)
                             if p not in found)
    return found


def pii_in_logs(path: str, lines: Lines, params: Params) -> list[SignalHit]:
    """Sensitive values (email, password, token, SSN, card, phone, birth date...) passed as
    values to logging or print calls; plain words inside string literals do not count."""
    rx = _rx()
    names = frozenset(params.get("names", _PII_NAMES))
    hits: list[SignalHit] = []
    for i in _candidates(lines, rx.log_calls):
        n, text = lines[i]
        if rx.comment_line.match(text):
            continue
        for c in rx.log_calls.finditer(text):
            found = _pii_in(_gather(lines, i, c.end(), call=True), names)
            if found:
                fn = c.group("fn")
                hits.append(SignalHit(
                    n, f"{', '.join(found)} passed to {fn}()", _excerpt(text),
                    "log a stable id or a masked/hashed form instead (user_id, mask(email), "
                    "sha256(token)[:8]); never the raw value", f"pii-in-logs:{fn}:{_sha(text.strip())}"))
                break
    return hits


# ----------------------------------------------------------------------------- destructive SQL

_DESTRUCT_ADVICE = {
    "k": "add a WHERE clause that names the rows (DELETE FROM t WHERE id = ?); for a deliberate "
         "purge, ship it as a reviewed migration by the database engineer",
    "u": "add a WHERE clause that names the rows (UPDATE t SET ... WHERE id = ?); for a deliberate "
         "backfill, ship it as a reviewed migration by the database engineer",
    "d": "drop tables only in a reviewed migration by the database engineer, with a backup or a "
         "reversible rename first",
    "t": "truncate only in a reviewed migration by the database engineer; delete the named rows instead",
    "c": "drop columns only in a reviewed migration (expand/contract), after the code stops using them",
}
_DESTRUCT_SAID = {"k": "DELETE without WHERE", "u": "UPDATE without WHERE", "d": "DROP statement",
                  "t": "TRUNCATE statement", "c": "ALTER TABLE ... DROP COLUMN"}


def destructive_sql(path: str, lines: Lines, params: Params) -> list[SignalHit]:
    """DELETE/UPDATE without WHERE, DROP TABLE/DATABASE/SCHEMA and TRUNCATE in added SQL:
    whole statements in .sql files; SQL string literals (or upper-case SQL lines) in code."""
    rx = _rx()
    kinds = set(params.get("kinds", ("k", "u", "d", "t")))
    is_sql = _ext(path) in set(params.get("sql_extensions", ("sql", "psql", "pgsql", "ddl", "dml")))
    hits: list[SignalHit] = []
    for i in _candidates(lines, rx.destruct_trigger):
        n, text = lines[i]
        if is_sql:
            segments = [(text.split("--", 1)[0], True)]
        elif rx.comment_line.match(text):
            continue
        else:  # (text, whether the statement may go on to the next line)
            lits = _tokenize(text)[1]
            segments = [(lit.body, not lit.closed) for lit in lits if rx.destruct.search(lit.body)]
            if not segments and rx.upper_destruct.search(text):
                segments = [(text, True)]
        for code, follow in segments:
            for m in rx.destruct.finditer(code):
                kind = next(k for k in "kudtc" if m.group(k))
                if kind not in kinds or not (is_sql or m.group(0)[:4].isupper()
                                             or not code[:m.start()].strip()):
                    continue
                if kind in "ku" and _has_where(lines, i, code[m.end():], is_sql, follow):
                    continue
                stmt = " ".join(code[m.start():].split(";")[0].lower().split())
                hits.append(SignalHit(n, _DESTRUCT_SAID[kind], _excerpt(text), _DESTRUCT_ADVICE[kind],
                                      f"destructive-sql:{kind}:{_sha(stmt)}"))
    return hits


def _has_where(lines: Lines, i: int, rest: str, is_sql: bool, follow: bool) -> bool:
    """Whether WHERE comes before the statement ends: ``;``, or in code the string's end."""
    rx = _rx()
    j = i
    while True:
        if rx.where.search(rest.split(";")[0]):
            return True
        if ";" in rest or not follow or (not is_sql and j > i and re.search(r"[\"'`]", rest)):
            return False
        if j + 1 >= len(lines) or lines[j + 1][0] != lines[j][0] + 1 or j - i >= 50:
            return False
        j += 1
        rest = lines[j][1].split("--", 1)[0] if is_sql else lines[j][1]


# ----------------------------------------------------------------------------- file checks

_SENSITIVE_NAMES = (".env", ".env.*", "*.env", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "*.key",
                    "*.p12", "*.pfx", "*.jks", "*.keystore", ".netrc", "_netrc", ".pgpass", "*.kdbx",
                    ".htpasswd", ".git-credentials", "credentials.json", "client_secret*.json",
                    "*.tfstate", "*.tfstate.backup")
_SENSITIVE_PATHS = (".aws/credentials", ".docker/config.json", ".ssh/*")
_ALLOWED_NAMES = (".env.example", ".env.sample", ".env.template", ".env.dist", "*.pub")


def sensitive_file(path: str, params: Params) -> SignalHit | None:
    """A committed file that holds credentials by its nature: .env files, private keys,
    keystores, credential stores. Path-based, any directory depth; line 0."""
    base = path.rsplit("/", 1)[-1]
    allowed = params.get("allow_names", _ALLOWED_NAMES)
    if any(fnmatch.fnmatchcase(base, g) for g in allowed):
        return None
    by_name = any(fnmatch.fnmatchcase(base, g) for g in params.get("names", _SENSITIVE_NAMES))
    by_path = any(fnmatch.fnmatchcase("/" + path, "*/" + g) for g in params.get("paths", _SENSITIVE_PATHS))
    if not (by_name or by_path):
        return None
    what = "dotenv file" if base.startswith(".env") or base.endswith(".env") else "credential file"
    return SignalHit(0, f"{what} '{base}' committed", _cut(path),
                     f"remove it from the index (git rm --cached {path}), add it to .gitignore, rotate "
                     "what it held, and commit a placeholder template (.env.example) instead",
                     f"sensitive-file:{path}")


_COMMENTS = {"#": "py pyi rb sh bash zsh pl pm r ps1 nim cr ex exs tcl",
             "//": "js jsx ts tsx mjs cjs go java kt kts rs c h cc cpp cxx hpp hh cs php swift scala "
                   "dart groovy m mm zig v sol proto",
             "--": "sql lua hs elm ada psql"}
_SOURCE_EXTS = frozenset(" ".join(_COMMENTS.values()).split())


def file_header(path: str, lines: Lines, params: Params) -> SignalHit | None:
    """A new source file that does not open with a header comment (after an optional shebang,
    encoding line, ``<?php`` or JS directive such as ``"use strict"``; a docstring counts in Python)."""
    ext = _ext(path)
    exts = set(params.get("extensions", _SOURCE_EXTS))
    if ext not in exts or ext not in _SOURCE_EXTS:
        return None
    body = [(n, t.strip()) for n, t in lines if t.strip()]
    if len(body) < int(params.get("min_lines", 3)):
        return None
    marks = tuple(k for k, v in _COMMENTS.items() if ext in v.split()) + ("/*",)
    if ext in ("php", "sql"):
        marks += ("#", "/*") if ext == "php" else ("/*",)
    for n, t in body:
        if t.startswith("#!") or t.startswith("<?php") or re.fullmatch(r"""["']use \w+["'];?""", t):
            continue
        if t.startswith(marks) or (ext in ("py", "pyi") and re.match(r"[rRuU]?(\"{3}|'{3})", t)):
            return None
        return SignalHit(n, "new source file without a header comment", _excerpt(t),
                         f"open {path.rsplit('/', 1)[-1]} with a 1-2 line comment saying where it sits "
                         f"and what it is for, e.g. '{marks[0]} {path}: <what it is for>'",
                         f"file-header:{path}")
    return None


def file_size(path: str, old_lines: int, new_lines: int, params: Params) -> SignalHit | None:
    """A source file that grew past ``params.max_lines`` (default 600) in this change."""
    limit = int(params.get("max_lines", 600))
    if not old_lines <= limit < new_lines:
        return None
    return SignalHit(limit + 1, f"file grew from {old_lines} to {new_lines} lines (limit {limit})",
                     _cut(f"{path}: {new_lines} lines"),
                     "split it: move a cohesive group of functions or classes into its own module "
                     "with one job, and import it", f"file-size:{path}:{limit}")


CONTENT_DETECTORS: dict[str, Detector] = {
    "hardcoded_secret": hardcoded_secret,
    "frontend_credentials": frontend_credentials,
    "sql_injection": sql_injection,
    "pii_in_logs": pii_in_logs,
    "destructive_sql": destructive_sql,
}
