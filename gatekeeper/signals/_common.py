# gatekeeper/signals/_common.py: shared ground of the content detectors in gatekeeper.signals.
# SignalHit and its types, the lazy regex cache, hashing, redaction, excerpts and path helpers.
"""What every detector shares: the hit type, the pattern cache and safe-to-print text.

A pattern is compiled by :func:`_rx` the first time a detector needs it, so importing the
package compiles nothing and a clean commit compiles only its detectors' cheap triggers.
"""

from __future__ import annotations

import bisect
import fnmatch
import functools
import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence

from gatekeeper.record import dataclass

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any


@dataclass(frozen=True)
class SignalHit:
    """One finding of a detector, about one line of one file."""

    line: int  # 1-based line in the new file; 0 when the hit is about the whole file
    observed: str  # what was seen, short
    excerpt: str  # the line, stripped, <= 120 chars, secrets redacted: safe to print
    advice: str  # what to do instead
    evidence: str  # stable, non-secret de-duplication key


Lines = Sequence[tuple[int, str]]
Params = Mapping[str, "Any"]
Detector = Callable[[str, Lines, Params], list[SignalHit]]


@functools.cache
def _rx(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled, once per process and only when first used (flags inline: ``(?i)``)."""
    return re.compile(pattern)


@functools.cache
def _literal(pattern: str) -> str | None:
    """The text ``pattern`` matches when it is a plain literal (``re.escape`` of it), else
    None: a substring test then answers "no match anywhere" faster than the regex does."""
    text = re.sub(r"\\(.)", r"\1", pattern)
    return text if re.escape(text) == pattern else None


class _Globs:
    """``fnmatch.fnmatchcase`` against any of some patterns. A name is first tested against
    each pattern's literal head (or, when it has none, literal tail), with no regex at all;
    one combined regex is compiled only for a name that passes."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        heads, tails, self.anything = [], [], False
        for p in patterns:  # fnmatch has no escapes: text outside * ? [...] is literal
            head = p[:min((p.find(c) for c in "*?[" if c in p), default=len(p))]
            tail = p[max((p.rfind(c) for c in "*?[]" if c in p), default=-1) + 1:]
            if head:
                heads.append(head)
            elif tail:
                tails.append(tail)
            else:
                self.anything = True
        self.heads, self.tails = tuple(heads), tuple(tails)
        self.rx: re.Pattern[str] | None = None

    def match(self, name: str) -> bool:
        """Whether ``name`` matches any of the patterns."""
        if not (self.anything or name.startswith(self.heads) or name.endswith(self.tails)):
            return False
        if self.rx is None:
            self.rx = re.compile("|".join(map(fnmatch.translate, self.patterns)))
        return bool(self.rx.match(name))


@functools.cache
def _globs(patterns: tuple[str, ...], prefix: str = "") -> _Globs:
    """The matcher for ``prefix + p`` for each of ``patterns``, built once per distinct list."""
    return _Globs(tuple(prefix + p for p in patterns))


# ------------------------------------------------------------------- secret-shaped tokens

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
_SECRET_NAME = (r"(?:password|passwd|passphrase|pass_phrase|(?:^|_)pwd|secret|token|"
                r"(?:api|access|private|secret|auth|signing|encryption|master|client)_?key)$")
# A literal after a (maybe quoted) name, an optional type annotation and an assignment operator.
# String bodies are written unrolled ([^"\\]*(?:\\.[^"\\]*)*): the same language as
# (?:[^"\\]|\\.)*, without a backtracking frame per character (51 MB on a 140 KB literal).
_ASSIGN = (r"(?<![\w.$@-])(?P<nq>[\"']?)(?P<name>[A-Za-z_$@][\w.$@-]*)(?P=nq)"
           r"(?:[ \t]*:[ \t]*[A-Za-z_][\w.\[\], |]*?(?=[ \t]*=[^=>])|[ \t]+string\b)?"
           r"[ \t]*(?P<op>:=|=>|=(?!=)|:(?![:=]))[ \t]*(?P<val>(?P<pre>[rRbBuU]{0,2})"
           r"(?P<q>\"[^\"\\\n]*(?:\\.[^\"\\\n]*)*\"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'|`[^`\n]*`)|"
           r"[^\s'\"`,;#)}\]]+)")
_CONNSTR = (r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]{1,30})://(?P<user>[^\s:/@'\"`]{1,64}):"
            r"(?P<v>[^\s@/'\"`,]{1,128})@(?P<host>[^\s/'\"`?:,;)\]]+)")
_BEARER = r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/-]{8,}=*"
_PEM_BODY = r"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----)(.*?)(-----END|\"|$)"
_CAMEL = r"(?<=[a-z0-9])(?=[A-Z])"
_COMMENT_LINE = r"^\s*(?:#|//|--|/?\*)"

# ------------------------------------------------------------------------------- helpers


def _sha(text: str) -> str:
    from gatekeeper.digest import sha256_hex  # only a hit needs it

    return sha256_hex(text.encode("utf-8", "surrogatepass"))[:12]


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


@functools.lru_cache(maxsize=4096)  # each detector asks about the same file again
def _ext(path: str) -> str:
    base = path.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base.lstrip(".") else ""


@functools.lru_cache(maxsize=4096)
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


class _Scan:
    """One file's added text, joined and lower-cased once for every detector, with the
    line indexes of each keyword found so far (detectors share many keywords)."""

    def __init__(self, lines: Lines) -> None:
        self.lines = lines  # kept alive so that its id() identifies it while cached
        self.blob = "\n".join([t for _, t in lines])
        self.low = self.blob.lower()
        self.ends: list[int] | None = None
        self.found: dict[str, tuple[int, ...]] = {}  # keyword -> lines (see where)
        self.matched: dict[str, tuple[int, ...]] = {}  # pattern -> lines, lower-cased text
        self.matched_raw: dict[str, tuple[int, ...]] = {}  # pattern -> lines, text as is

    def where(self, kw: str) -> tuple[int, ...]:
        """Indexes of the lines holding ``kw`` (lower case), found with plain substring scans."""
        got = self.found.get(kw)
        if got is not None:
            return got
        low = self.low
        pos = low.find(kw)
        if pos < 0:
            got = ()
        elif len(low) != len(self.blob):  # lower() changed some lengths: go line by line
            got = tuple(i for i, (_, t) in enumerate(self.lines) if kw in t.lower())
        else:
            if self.ends is None:
                self.ends = list(itertools.accumulate(len(t) + 1 for _, t in self.lines))
            ends, out = self.ends, []
            while pos >= 0:
                i = bisect.bisect_right(ends, pos)
                out.append(i)
                pos = low.find(kw, ends[i]) if i < len(ends) else -1
            got = tuple(out)
        self.found[kw] = got
        return got

    def matching(self, pattern: str, lower: bool = True) -> tuple[int, ...]:
        """Indexes of the lines whose text (lower-cased when ``lower``: then ``pattern`` is
        lower-case) holds a match of ``pattern``, a regex with no anchors, searched over the
        whole file at once: one C-level scan, then a jump to the next line after each hit."""
        found = self.matched if lower else self.matched_raw
        got = found.get(pattern)
        if got is not None:
            return got
        low = self.low if lower else self.blob
        lit = _literal(pattern)
        if lit is not None and lit not in low and len(low) == len(self.blob):
            found[pattern] = ()  # most files hold no token prefix at all
            return ()
        rx = _rx(pattern)
        if len(low) != len(self.blob):  # lower() changed some lengths: go line by line
            got = tuple(i for i, (_, t) in enumerate(self.lines) if rx.search(t.lower()))
        else:
            m = rx.search(low)
            out: list[int] = []
            if m is not None:
                if self.ends is None:
                    self.ends = list(itertools.accumulate(len(t) + 1 for _, t in self.lines))
                ends = self.ends
                while m is not None:
                    i = bisect.bisect_right(ends, m.start())
                    out.append(i)
                    m = rx.search(low, ends[i]) if i < len(ends) else None
            got = tuple(out)
        found[pattern] = got
        return got


#: id(lines) -> its scan. Rules run one after another over a commit's files, so every file
#: of the commit stays cached until the cache is full (entries keep their lines alive, so an
#: id cannot be reused while cached).
_SCANS: dict[int, _Scan] = {}
_SCAN_LIMIT = (256, 2_000_000)  # entries, characters: a few MB at most, for a push's peak RSS
_scan_chars = [0]


def _scan(lines: Lines) -> _Scan:
    """The :class:`_Scan` of ``lines``, shared by the detectors that look at one file."""
    scan = _SCANS.get(id(lines))
    if scan is not None and scan.lines is lines:
        return scan
    scan = _Scan(lines)
    if len(_SCANS) >= _SCAN_LIMIT[0] or _scan_chars[0] + len(scan.blob) > _SCAN_LIMIT[1]:
        _SCANS.clear()
        _scan_chars[0] = 0
    _SCANS[id(lines)] = scan
    _scan_chars[0] += len(scan.blob)
    return scan


def _candidates(lines: Lines, keywords: Sequence[str]) -> list[int]:
    """Indexes of the lines holding any of the lower-case ``keywords`` (case-insensitive),
    found with plain substring scans of the file's joined text, shared by all detectors."""
    scan = _scan(lines)
    low, known = scan.low, scan.found
    found: set[int] = set()
    for kw in keywords:
        got = known.get(kw)
        if got is None:
            got = scan.where(kw) if kw in low else ()  # the C-speed test first: most are absent
            known[kw] = got
        if got:
            found.update(got)
    return sorted(found)


def _lines_matching(lines: Lines, pattern: str, lower: bool = True) -> tuple[int, ...]:
    """Indexes of the lines whose text, lower-cased when ``lower``, holds a match of the
    regex ``pattern`` (see :meth:`_Scan.matching`). A detector uses it as a necessary
    condition: a pattern that every line it could report must match, so skipping the rest
    is exact."""
    return _scan(lines).matching(pattern, lower)


# ----------------------------------------------------------------------------- redaction


def redact(text: str) -> str:
    """``text`` with every secret-looking value masked: tokens, PEM bodies, passwords in
    connection strings, bearer credentials and literals assigned to secret-like names."""
    if "-----BEGIN " in text:
        text = _rx(_PEM_BODY).sub(
            lambda m: m.group(1) + "<redacted>" * bool(m.group(2)) + m.group(3), text)
    for slug, _, hints, pat in _TOKENS:
        if slug != "private-key" and any(h in text for h in hints):
            text = _rx(pat).sub(lambda m: m.group(0).replace(m.group("v"), _mask(m.group("v"))),
                                text)
    if "://" in text:
        text = _rx(_CONNSTR).sub(
            lambda m: m.group(0).replace(f":{m.group('v')}@", ":<redacted>@"), text)
    text = _rx(_BEARER).sub(lambda m: m.group(1) + " <redacted>", text)

    def assigned(m: re.Match[str]) -> str:
        name = _rx(_CAMEL).sub("_", m.group("name")).lower().replace("-", "_").replace(".", "_")
        val, lit, head = m.group("val"), m.group("q"), m.group(0)[: m.start("val") - m.start()]
        if not _rx(_SECRET_NAME).search(name) or "****" in val or "<redacted>" in val:
            return m.group(0)
        if lit:
            empty = len(lit) <= 2
            return m.group(0) if empty else f"{head}{m.group('pre')}{lit[0]}<redacted>{lit[-1]}"
        if text[m.end():m.end() + 1] == "(" or val[0] in "{$%<" or not (
                _rx(r"[\d+/=!@#%^&*]").search(val) or len(val) >= 16):
            return m.group(0)  # a call, a template or a plain name, not a value
        return head + "<redacted>"

    return _rx(_ASSIGN).sub(assigned, text)
