# gatekeeper/signals/secrets.py: the credential detectors of gatekeeper.signals.
# Hardcoded secrets (token formats, keys, URLs, assignments), browser-exposed keys, detect-secrets.
"""Secrets in added lines: :func:`hardcoded_secret` and :func:`frontend_credentials`.

Token formats are only compiled when a line holds one of their fixed hints; the optional
detect-secrets backend is imported only when a rule asks for it.
"""

from __future__ import annotations

import functools
import itertools
import re

from gatekeeper.signals._common import (
    _ASSIGN,
    _CAMEL,
    _CONNSTR,
    _SECRET_NAME,
    _TOKENS,
    Lines,
    Params,
    SignalHit,
    _entropy,
    _excerpt,
    _ext,
    _globs,
    _is_config,
    _lang,
    _lines_matching,
    _mask,
    _rx,
    _scan,
    _sha,
)

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any

_PLACEHOLDER = (r"(?i)change_?me|changeit|x{3,}|\*{3,}|^<.*>$|\$\{|\{\{|\{[^{}\s]*\}|%s|%\(|^%|^\$\w|"
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
_BASE64ISH = r"[A-Za-z0-9+/]{20,}|Proc-Type:"
_AWS_SECRET = r"[A-Za-z0-9/+]{40}"
_FILE_EXT = r"(?i)\.(?:pem|key|crt|cer|p12|pfx|jks|json|ya?ml|txt|env|ini|cfg)$"

_ENV_ADVICE = ("remove it and rotate it now; read it at run time from the environment or a "
               "secret manager (os.environ['X'], process.env.X, os.Getenv(\"X\"))")
_KEY_ADVICE = "remove the key, revoke it, and load it from a secret store or a file outside git"
_URL_ADVICE = ("keep the password out of the URL: take the whole URL from the environment "
               "(DATABASE_URL set from the deployment's secrets) or use IAM/credential files")


#: What a line must hold for a password in a connection string to be on it: the part of
#: :data:`_CONNSTR` from ``://`` to ``@``, with the same character classes. A plain ``://``
#: is on every line of a document that links somewhere; this is on few of them.
_CONNSTR_HINT = r"://[^\s:/@'\"`]{1,64}:[^\s@/'\"`,]{1,128}@"


@functools.cache
def _token_hints() -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Case-sensitive patterns one of which a line must match for a token format or a
    connection string to be on it, each with the indexes (in :data:`_TOKENS`) of the formats
    whose fixed hints it finds: the formats' fixed hints (which the scan below tests exactly
    so), and :data:`_CONNSTR_HINT` (no format: index none). Hints that start with the same
    character share one pattern, so a file is read a dozen times instead of two dozen: the
    regex engine then jumps between that character's occurrences, where branches that start
    differently (``AKIA|PRIVATE KEY``) would make it try every position. A hint holding
    another (``sk-ant-`` holds ``sk-``) is found by the shorter one's pattern."""
    hints = {h for _, _, hs, _ in _TOKENS for h in hs}
    groups: dict[str, list[str]] = {}
    for h in sorted(hints):
        if not any(o != h and o in h for o in hints):
            groups.setdefault(h[0], []).append(h)
    out = []
    for members in groups.values():
        formats = tuple(k for k, (_, _, hs, _) in enumerate(_TOKENS)
                        if any(o in h for h in hs for o in members))
        out.append(("|".join(map(re.escape, members)), formats))
    return (*out, (_CONNSTR_HINT, ()))


#: What a line must hold for a literal assigned to a secret-like name to be on it (matched
#: against the lower-cased line): a name ending like :data:`_SECRET_NAME` (its trailing
#: ``_$@.-`` are stripped before the test), maybe a closing quote, then an annotation or an
#: assignment operator, as :data:`_ASSIGN` requires.
_ASSIGN_TAIL = r"[_$@.-]*[\"']?[ \t]*(?:[:=]|string\b)"
#: The same in code, where only a string literal is a hardcoded value: the operator must be
#: followed by a (maybe prefixed) quote.
_ASSIGN_LIT_TAIL = (r"[_$@.-]*[\"']?(?:"
                    r"[ \t]*:[ \t]*[a-z_][^=\n\"'`{}();:<>]*=|"  # an annotation, then "="
                    r"(?:[ \t]+string\b)?[ \t]*(?::=|=>|=|:))[ \t]*[rbu]{0,2}[\"'`]")
#: The name words the hints start with. Each is searched as a pattern of its own (the lines
#: of the alternation are the union of theirs): a pattern with one literal head lets the
#: regex engine jump between that head's occurrences, where the alternation made it try
#: every p, s, t and k of the file (three times as long over a range).
_HINT_WORDS = ("passw(?:or)?d", "phrase", "pwd", "secret", "token", "key")
_ASSIGN_HINT = f"(?:{'|'.join(_HINT_WORDS)}){_ASSIGN_TAIL}"
_ASSIGN_LIT_HINT = f"(?:{'|'.join(_HINT_WORDS)}){_ASSIGN_LIT_TAIL}"
_ASSIGN_HINTS = tuple(w + _ASSIGN_TAIL for w in _HINT_WORDS)
_ASSIGN_LIT_HINTS = tuple(w + _ASSIGN_LIT_TAIL for w in _HINT_WORDS)
#: Added text from which on the words are searched one by one: compiling six patterns
#: costs a millisecond more than one, as much as a commit hook judges in a small file.
_SPLIT_FROM = 16_384
_NAME_ENDS = ("password", "passwd", "phrase", "pwd", "secret", "token", "key")


#: A connection-string password made of placeholder words only ("pass", "pass%20pass").
_PASS_WORDS = r"(?i)(?:pass(?:word)?|pw|pwd|p|x+|secret|%[0-9a-f]{2}|[\W_\d])+"
#: A stored password hash (Django, passlib, crypt): not a credential one can log in with.
_PASSWORD_HASH = r"(?:pbkdf2_\w+|sha1|md5|unsalted_\w+|bcrypt(?:_sha256)?|argon2\w*|scrypt|crypt)\$"


def _in_docstring(path: str, lines: Lines, i: int) -> bool:
    """Whether line ``i`` of a Python file sits inside a triple-quoted string (a docstring's
    example), judged over the consecutive added lines above it; asked only about a hit."""
    if _ext(path) not in ("py", "pyi"):
        return False
    quotes, k = 0, i
    while k > 0 and lines[k - 1][0] == lines[k][0] - 1 and i - k < 400:
        k -= 1
    for _, text in lines[k:i]:
        quotes += text.count('"""') + text.count("'''")
    return quotes % 2 == 1


def _generic_ok(value: str, params: Params) -> bool:
    """A literal assigned to a secret-like name that looks like a real credential."""
    if len(value) < int(params.get("min_length", 8)) or " " in value or "://" in value:
        return False
    if _rx(_PASSWORD_HASH).match(value):
        return False
    if value[0] in "/.~\\" or _rx(_PLACEHOLDER).search(value) or _rx(_FILE_EXT).search(value):
        return False
    if _rx(r"[A-Za-z_][A-Za-z_.:-]*").fullmatch(value):  # an identifier, key name or word
        return False
    classes = sum(bool(_rx(p).search(value)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^\w\s.-]"))
    return classes >= 2 and _entropy(value) >= float(params.get("min_entropy", 3.0))


def _secret_name(name: str, ignore: frozenset[str]) -> bool:
    if not name.rstrip("_$@.-").lower().endswith(_NAME_ENDS):
        return False  # the cheap test first: most names end in none of the words
    norm = _rx(_CAMEL).sub("_", name).lower().replace("-", "_").replace(".", "_").strip("_$@")
    if not _rx(_SECRET_NAME).search(norm):
        return False
    return not (norm.endswith("token") and ignore & set(norm[:-5].strip("_").split("_")))


#: id(params) -> (params, its settings): a range asks once per file with the same params
#: (a rule's, never changed once its policy is built).
_SETTINGS: dict[int, tuple[Params, tuple[Any, ...]]] = {}


def _settings(params: Params) -> tuple[Any, ...]:
    """hardcoded_secret's parameters as the sets and matcher it tests with."""
    got = _SETTINGS.get(id(params))
    if got is not None and got[0] is params:
        return got[1]
    settings = (set(params.get("allow_values", ())),
                tuple(params.get("connection_allow_hosts", ())),
                frozenset(params.get("ignore_token_words", _TOKEN_NOT_SECRET)),
                bool(params.get("generic", True)),
                set(params.get("generic_skip_extensions", ("md", "rst", "txt", "adoc"))),
                _globs(tuple(params.get("generic_skip_paths", ()))))
    if len(_SETTINGS) >= 64:
        _SETTINGS.clear()
    _SETTINGS[id(params)] = (params, settings)  # params kept alive: its id stays its own
    return settings


def hardcoded_secret(path: str, lines: Lines, params: Params) -> list[SignalHit]:
    """Credentials in added lines: well-known token formats, private keys, passwords in
    connection strings, and literals assigned to secret-like names."""
    allow, allow_hosts, ignore, generic_on, skip_ext, skip_paths = _settings(params)
    generic = generic_on and _ext(path) not in skip_ext and not skip_paths.match(path)
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

    # line -> the formats whose fixed text may be on it (a link alone: none, only a
    # connection string may be there)
    tokens: dict[int, set[int]] = {}
    scan = _scan(lines)
    for hint, formats in _token_hints():
        for i in scan.matching(hint, lower=False):
            tokens.setdefault(i, set()).update(formats)
    assigns: set[int] = set()
    if generic and len(scan.low) >= _SPLIT_FROM:
        for hint in _ASSIGN_HINTS if config else _ASSIGN_LIT_HINTS:
            assigns.update(scan.matching(hint))
    elif generic:
        assigns.update(scan.matching(_ASSIGN_HINT if config else _ASSIGN_LIT_HINT))
    for i in sorted(tokens.keys() | assigns):
        n, text = lines[i]
        spans: list[tuple[int, int]] = []
        maybe = tokens.get(i, ())
        for k, (slug, observed, hints, pat) in enumerate(_TOKENS):
            if k not in maybe or not any(h in text for h in hints):
                continue  # the cheap trigger: the format's fixed text is not on the line
            for m in itertools.islice(_rx(pat).finditer(text), 8):
                if any(a < m.end() and m.start() < b for a, b in spans):
                    continue
                value = m.group("v")
                if slug == "private-key":  # a header alone (a constant, a docstring) is no key
                    nxt = lines[i + 1][1] if i + 1 < len(lines) else ""
                    if not _rx(_BASE64ISH).search(text, m.end()) and not _rx(_BASE64ISH).match(
                            nxt.strip().strip("\"'")):
                        continue
                    value += nxt
                spans.append(m.span())
                advice = _KEY_ADVICE if "private" in slug else _ENV_ADVICE
                add(n, text, slug, observed, value, advice)
        for m in _rx(_CONNSTR).finditer(text) if "://" in text else ():
            v, host = m.group("v"), m.group("host").lower()
            if (v == m.group("user") or _rx(_PASS_WORDS).fullmatch(v)
                    or v[0] in "$<{%*:" or _rx(_PLACEHOLDER).search(v)
                    or _globs(allow_hosts).match(host)):
                continue
            spans.append(m.span("v"))
            said = f"password in a {m.group('scheme')}:// connection string"
            add(n, text, "connection-string", said, v, _URL_ADVICE)
        for m in _rx(_ASSIGN).finditer(text) if i in assigns else ():
            name = m.group("name")
            if not _secret_name(name, ignore) or (spans and any(
                    a < m.end() and m.start() < b for a, b in spans)):
                continue
            lit = m.group("q")
            if lit:
                value = lit[1:-1]
                fstring = "f" in m.group("pre").lower() and "{" in value
                if fstring or (lit[0] == "`" and "${" in value):
                    continue
            elif config and m.group("op") != "=>":
                value = m.group("val").rstrip(".")
                if not value or value[0] in "$!&*%{[(<~|>" or value.startswith("ENC["):
                    continue
            else:
                continue  # in code, only a string literal is a hardcoded value
            if _rx(_AWS_SECRET).fullmatch(value) and _rx(r"(?i)aws|access").search(name):
                add(n, text, "aws-secret-key", "AWS secret access key", value, _ENV_ADVICE)
            elif _generic_ok(value, params) and not _in_docstring(path, lines, i):
                said = f"literal assigned to '{name}'"
                add(n, text, "secret-assignment", said, value, _ENV_ADVICE)
    if params.get("detect_secrets"):
        hits.extend(_detect_secrets(path, lines, allow, seen))
    return hits


def _detect_secrets(path: str, lines: Lines, allow: set[str], seen: set[str]) -> list[SignalHit]:
    """Optional backend: Yelp's detect-secrets plugins (its line-based scan, as for a diff),
    when that package is installed; values we already reported are skipped."""
    import importlib

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

_FRONTEND_PREFIXES = ("VITE", "REACT_APP", "NEXT_PUBLIC", "NUXT_PUBLIC", "NUXT_ENV", "EXPO_PUBLIC",
                      "PUBLIC", "GATSBY", "VUE_APP", "STORYBOOK")
#: What a line must hold for :data:`_FRONTEND` to match on it (case-sensitive, as it is).
_FRONTEND_HINT = "(?:" + "|".join(_FRONTEND_PREFIXES) + ")_"
_FRONTEND = (r"(?<![\w$])(?P<name>(?P<pfx>" + "|".join(_FRONTEND_PREFIXES) + r")_[A-Z0-9_]*?"
             r"(?:KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIALS?))(?![\w$])")
_FRONTEND_ALLOW = ("*_PUBLISHABLE_KEY", "*PUBLIC_KEY", "*_SITE_KEY", "*_ANON_KEY",
                   "*_FIREBASE_API_KEY", "*_MAPS_API_KEY")


def frontend_credentials(path: str, lines: Lines, params: Params) -> list[SignalHit]:
    """Secret-named variables under a public env prefix (VITE_, NEXT_PUBLIC_, ...) that build
    tools inline into browser bundles: in .env files and in code. One hit per name."""
    allow = tuple(params.get("allow_names", _FRONTEND_ALLOW))
    web = _lang(path) == "js" or _is_config(path) or _ext(path) in {"html", "mdx"}
    hits: list[SignalHit] = []
    seen: set[str] = set()
    for i in _lines_matching(lines, _FRONTEND_HINT, lower=False):
        n, text = lines[i]
        for m in _rx(_FRONTEND).finditer(text):
            name, pfx = m.group("name"), m.group("pfx")
            if name in seen or _globs(allow).match(name) or (
                    pfx == "PUBLIC" and not web):  # SvelteKit's bare PUBLIC_: web files only
                continue
            seen.add(name)
            hits.append(SignalHit(
                n, f"secret-named {name} is exposed to the browser bundle by its {pfx}_ prefix",
                _excerpt(text), f"keep it server-side: rename it {name[len(pfx) + 1:]}, use it in "
                "a server route or API handler, and give the client only a publishable key or a "
                "short-lived token", f"frontend-credential:{name}"))
    return hits
