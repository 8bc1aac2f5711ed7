# gatekeeper/signals/pii.py: the PII-in-logs detector of gatekeeper.signals.
# Emails, passwords, tokens, SSNs, cards, phones, birth dates passed to logging or print calls.
"""Sensitive values in logs: :func:`pii_in_logs`.

The cheap trigger runs first (a line mentioning log/print/console/System); the name hint
regex is built once per distinct ``names`` param.
"""

from __future__ import annotations

import functools
import itertools
import re

from gatekeeper.signals._code import _gather, _is_fstring, _is_template, _tokenize
from gatekeeper.signals._common import (
    _CAMEL,
    _COMMENT_LINE,
    Lines,
    Params,
    SignalHit,
    _candidates,
    _excerpt,
    _rx,
    _sha,
)

# The call's own name only: the dotted chain before it (``self.app.logger``) is found by
# :func:`_chain_start`, a bounded backward walk. A lazy ``(?:\w+\.)*?`` prefix in the
# regex made every start position rescan the chain: quadratic in the line's length.
_LOG_CALLS = (r"(?<![\w$])(?P<fn>(?:logging|logger|log|_log|_logger|"
              r"LOGGER|LOG|Log|[a-z_]+_logger)\.(?:debug|info|warning|warn|error|exception|"
              r"critical|fatal|trace)|print|console\.(?:log|info|warn|error|debug|trace)|"
              r"log\.(?:Print|Fatal|Panic)(?:f|ln)?|slog\.(?:Debug|Info|Warn|Error|Log)(?:Context)?|"
              r"(?:logger|log|sugar|logrus|zap\.[LS]\(\))\.(?:Debug|Info|Warn|Warning|Error|Fatal|"
              r"Panic|Trace)[fw]?|System\.(?:out|err)\.print(?:ln|f)?)\s*\(")
_LOG_KEYWORDS = ("log", "print", "console.", "system.")
_IDENT = r"(?<![\w$.\x01])(?P<id>[A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*)"
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


def _chain_start(text: str, start: int) -> int:
    """Where the dotted chain ending at ``start`` begins (``a.b.`` before ``logger.info``):
    each segment an identifier that does not follow a word character, at most 200 chars."""
    floor = max(0, start - 200)
    while start > floor + 1 and text[start - 1] == ".":
        j = start - 1
        while j > floor and (text[j - 1].isalnum() or text[j - 1] in "_$"):
            j -= 1
        seg = text[j:start - 1]
        if not seg or not (seg[0].isascii() and (seg[0].isalpha() or seg[0] in "_$")):
            break
        start = j
    return start


def _sensitive(chain: str, names: frozenset[str]) -> str | None:
    """The sensitive component of a dotted name, unless an attribute of it is read instead
    (``token.type``, ``email.domain``)."""
    parts = chain.split(".")
    for k, part in enumerate(parts):
        words = _rx(_CAMEL).sub("_", part).lower().strip("_$").split("_")
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
            m = _rx(r"(\w+)\s*$").search(masked[:k])
            fn = m.group(1).lower() if m else ""
            if fn and any(fn.startswith(f) or fn.endswith(f) for f in _MASK_FUNCS):
                return True
    return False


def _pii_in(expr: str, names: frozenset[str]) -> list[str]:
    """Sensitive names used as values in ``expr`` (a call's arguments), unmasked."""
    masked, lits = _tokenize(expr)
    found: list[str] = []
    for m in _rx(_IDENT).finditer(masked):
        after = _rx(r"\s*(==|=|\()?").match(masked, m.end()).group(1)  # type: ignore[union-attr]
        chain = _rx(r"\s+").sub("", m.group("id"))
        if after == "=" or (after == "(" and not chain.split(".")[-1].startswith("get")):
            continue  # a keyword argument's name, or a call that is not a getter
        part = _sensitive(chain, names)
        if part and part not in found and not _masked_at(masked, m.start()):
            found.append(part)
    for lit in lits:
        if _is_fstring(lit) or _is_template(lit):
            for inner in _rx(r"\{([^{}]+)\}").findall(lit.body.replace("{{", "").replace("}}", "")):
                expr = _rx(r"!|:(?!=)").split(inner)[0]  # drop !r and :format specs
                found += [p for p in _pii_in(expr, names) if p not in found]
    return found


@functools.cache
def _hint(names: frozenset[str]) -> re.Pattern[str]:
    """Whether any of ``names`` (``_`` optional, any case) is in a text: the quick pre-check."""
    return re.compile("|".join(re.escape(t).replace("_", "_?") for t in names), re.I)


def pii_in_logs(path: str, lines: Lines, params: Params) -> list[SignalHit]:
    """Sensitive values (email, password, token, SSN, card, phone, birth date...) passed to
    logging or print calls as values; the same words inside plain string literals pass."""
    candidates = _candidates(lines, _LOG_KEYWORDS)
    if not candidates:
        return []
    names = frozenset(params.get("names", _PII_NAMES))
    hits: list[SignalHit] = []
    for i in candidates:
        n, text = lines[i]
        if _rx(_COMMENT_LINE).match(text):
            continue
        for c in itertools.islice(_rx(_LOG_CALLS).finditer(text), 8):
            args = _gather(lines, i, c.end(), call=True)
            found = _pii_in(args, names) if _hint(names).search(args) else []
            if found:
                fn = text[_chain_start(text, c.start("fn")):c.end("fn")]
                hits.append(SignalHit(
                    n, f"{', '.join(found)} passed to {fn}()", _excerpt(text),
                    "log a stable id or a masked/hashed form instead (user_id, mask(email), "
                    "sha256(token)[:8]), never the raw value",
                    f"pii-in-logs:{fn}:{_sha(text.strip())}"))
                break
    return hits
