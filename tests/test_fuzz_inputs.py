# tests/test_fuzz_inputs.py: structure-aware fuzzing of the ledger, config, [tool.gatekeeper] and policies.
"""Valid documents, mutated (a hostile value at a random key, a key dropped or added, a
hostile snippet spliced into the text, raw bytes spliced into the file), fed through the
loaders the CLI uses: strict decoding (``yamlio.decode``, as ``context.load_at`` does) and
``context._build`` (config, policies, ledger), then the engine on a fixed change.

The outcome must be a verdict, or a ConfigError whose ``where`` is ``file:line`` (exit 2),
within a time bound. Profiles (``GATEKEEPER_FUZZ``):
- ``quick`` (default, the normal suite): a few hundred examples per target, derandomized;
- ``long``: 10,000 examples per target, random; with ``GATEKEEPER_FUZZ_REPORT=FILE`` the
  counts per target are appended to FILE as JSON lines (every 500 examples, and at the end);
- ``GATEKEEPER_FUZZ_EXAMPLES=N`` overrides the count, ``GATEKEEPER_FUZZ_TIME_BOUND`` the
  seconds one example may take, and ``GATEKEEPER_FUZZ_DEBUG=1`` also fails an example that
  leaves an exception ignored in a destructor (a slow garbage collection after each one).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import resource
import time
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatekeeper import context as gk_context
from gatekeeper import yamlio
from gatekeeper.changes import ChangeSet, FileChange
from gatekeeper.context import CONFIG_PATH
from gatekeeper.engine import Environment, evaluate
from gatekeeper.errors import ConfigError, GatekeeperError
from gatekeeper.identity import resolve
from gatekeeper.ledger import LEDGER_PATH

PROFILE = os.environ.get("GATEKEEPER_FUZZ", "quick")
LONG = PROFILE == "long"
EXAMPLES = int(os.environ.get("GATEKEEPER_FUZZ_EXAMPLES", "10000" if LONG else "200"))
#: Seconds one example may take (loaders, validation and the engine together). Generous:
#: the suite may run on a loaded machine, and the bombs this catches take far longer.
TIME_BOUND = float(os.environ.get("GATEKEEPER_FUZZ_TIME_BOUND", "10"))
#: Peak resident memory the whole fuzz process may reach (a template or alias bomb would
#: blow far past it).
MEMORY_BOUND_MB = 1500

FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, database=None, derandomize=not LONG,
    suppress_health_check=list(HealthCheck), print_blob=True,
)

LOCATED = re.compile(r"^[^\s:]+(?: \[tool\.gatekeeper\])?:\d+$")
COUNTS: dict[str, dict[str, int]] = {}


# --------------------------------------------------------------------------- the oracle


def layer(raw: dict[str, bytes | None], policies: list[tuple[str, bytes]]) -> str:
    """Run the CLI's loaders on raw file contents; 'verdict' or 'exit2' (else it raises)."""
    try:
        texts = {p: (_decode(b, p) if b is not None else None) for p, b in raw.items()}
        pols = [(w, _decode(b, w)) for w, b in policies]
        ctx = gk_context._build(texts, pols, "fuzz", "")
    except GatekeeperError as exc:
        assert isinstance(exc, ConfigError), f"{type(exc).__name__}: {exc}"
        assert LOCATED.match(exc.where), f"no file:line in {str(exc)!r}"
        assert "\n" not in str(exc).strip(), "one message, one line"
        return "exit2"
    judge(ctx, CHANGE)
    return "verdict"


#: The decoding rule load_at applies (the fallback lets this harness run against old code).
_decode: Callable[[bytes, str], str] = getattr(
    yamlio, "decode", lambda data, _where: data.decode("utf-8", "replace"))


def judge(ctx: gk_context.Context, change: ChangeSet) -> None:
    """The engine's verdict on ``change``, its findings rendered as the report does."""
    env = Environment(where="client", today=dt.date(2026, 6, 1),
                      scope_lines=lambda feature, _c: 10_000, read_text=lambda *_a: None,
                      open_halts=lambda: {fid: ["E-1"] for fid in ctx.state.features})
    ident = resolve(change.trailers(), env={})
    for finding in evaluate(change, ctx, ident, env):
        json.dumps(finding.as_json())
        assert len(finding.message) < 200_000, "a message template blew up"


def _file(path: str, lines: list[str], status: str = "M") -> FileChange:
    return FileChange(path=path, status=status, added=len(lines), deleted=1,
                      added_lines=list(enumerate(lines, 1)))


CHANGE = ChangeSet(
    commit=None, parents=("0" * 40,), author_name="a", author_email="b@x.org",
    message="feat: x\n\nPACT-Agent: backend-coder\n", files=[
        _file("src/auth/login.py", ["password = 'hunter2hunter2Xy9'", "log.info(user.email)",
                                    "cur.execute(f'SELECT * FROM t WHERE id={i}')"]),
        _file("db/migrations/0002_users.sql", ["DROP TABLE users;"], "A"),
        _file(".pact/ledger.yaml", ["event: phase"]),
        _file("docs/architecture/auth.md", ["# auth"]),
        _file("tests/test_login.py", ["def test(): pass"]),
        _file(".env", ["API_KEY=abc"], "A"),
        _file("web/app.js", ["const STRIPE_SECRET_KEY = 'sk_live_abcdefghijklmnopqrstuvwx'"]),
    ])


def run(target: str, fn: Callable[[], str]) -> None:
    """One example: time-bounded, memory-bounded, counted per outcome."""
    start = time.monotonic()
    if os.environ.get("GATEKEEPER_FUZZ_DEBUG"):
        import gc
        import sys

        seen: list[str] = []
        old = sys.unraisablehook
        sys.unraisablehook = lambda u: seen.append(
            f"{u.err_msg}: {type(u.object).__name__}: {type(u.exc_value).__name__}: "
            f"{str(u.exc_value)[:200]}")
        try:
            outcome = fn()
            gc.collect()
        finally:
            sys.unraisablehook = old
        assert not seen, seen
    else:
        outcome = fn()
    took = time.monotonic() - start
    assert took < TIME_BOUND, f"{target}: one input took {took:.1f}s"
    counts = COUNTS.setdefault(target, {"verdict": 0, "exit2": 0})
    counts[outcome] += 1
    total = counts["verdict"] + counts["exit2"]
    report = os.environ.get("GATEKEEPER_FUZZ_REPORT")
    if report and total % 500 == 0:  # progress for a long run (the last line per target wins)
        with open(report, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"target": target, **counts, "profile": PROFILE,
                                 "partial": True}) + "\n")


@pytest.fixture(scope="module", autouse=True)
def _bounds_and_counts() -> Any:
    yield
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = os.environ.get("GATEKEEPER_FUZZ_REPORT")
    if report:
        with open(report, "a", encoding="utf-8") as fh:
            for target, counts in sorted(COUNTS.items()):
                fh.write(json.dumps({"target": target, **counts, "peak_mb": round(peak_mb),
                                     "profile": PROFILE}) + "\n")
    assert peak_mb < MEMORY_BOUND_MB, f"peak memory {peak_mb:.0f} MB"


# ------------------------------------------------------------------- hostile ingredients

#: YAML text that PyYAML's constructors or the validators must refuse (or accept) cleanly.
RAW_YAML = [
    "2026-13-01", "!!int b", "!!float", "!!float x", "!!bool x", "!!timestamp x", "!!int",
    "!!binary 'x'", "&a [*a]", "*nowhere", "[" * 100 + "]" * 100, "1" * 5000, "-" + "9" * 4400,
    "!!python/object:os.system x", "{a: 1, a: 2}", "\"\\ud800\"", "\x01", "? [a]\n  : 1",
    "!!set {a}", "0x" + "f" * 5000, "1.0e+400", ".nan", "-.inf", "~", "''", "|\n  block",
    "!!str", "!!map [1]", "!!omap [1]", "!!pairs 5", "{", "]", "'unclosed", "\t", "@x", "`x",
    "%TAG ! x", "--- !x", "...", "!<tag:yaml.org,2002:int> z", "0o9", "2026-02-30T25:61:00",
    "[*a, &a 1]", "{? {a: 1}: 2}", "<<: {a: 1}", "<<: 5", "<<: [5]", "&x a", "{a: &b [1], c: *b}",
    "\ufeff", "\u2028", "\x85", "'\ud7ff'", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]",
]

BAD_GLOBS = ["[z-a]", "a[]", "src/[z-a]/**", "[", "**/[!]", "", " ", "\\", "a[b-a]c/**",
             "[\\]", "x" * 5000, "**" * 200, "/" * 50, "[[:alpha:]]", "a\x00b", "\udcff"]
BAD_TEMPLATES = ["{count:>999999999}", "{count:>{count}}", "{paths!r}", "{0}", "{}", "{",
                 "}", "{a.b}", "{a[0]}", "{feature:{feature}}", "{{", "}}x{", "{count:,}",
                 "{count:09999999d}", "{" + "x" * 10000 + "}"]

NUMBERS = st.one_of(
    st.integers(min_value=-(10**500), max_value=10**500),
    st.sampled_from([10**400, -1, 0, 2**63, 2**64 + 1, 10**9 + 1, 4300]),
    st.floats(allow_nan=True, allow_infinity=True),
)
SCALARS = st.one_of(
    NUMBERS, st.booleans(), st.none(), st.text(max_size=40), st.dates(), st.binary(max_size=8),
    st.sampled_from(BAD_GLOBS + BAD_TEMPLATES),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)


class Raw(str):
    """A YAML/TOML fragment inserted into the serialized text as written."""


HOSTILE = st.one_of(VALUES, st.sampled_from(RAW_YAML).map(Raw))


def _paths_of(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths_of(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths_of(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, doc: Any) -> Any:
    """``doc`` with 0-3 structural mutations: set a hostile value, drop or add a key."""
    import copy

    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths_of(doc)
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["set", "set", "drop", "add", "swap"]))
        parent: Any = doc
        for key in path[:-1]:
            parent = parent[key]
        if not path:
            if op == "set":
                doc = draw(HOSTILE)
            continue
        key = path[-1]
        if op == "set":
            parent[key] = draw(HOSTILE)
        elif op == "drop":
            del parent[key]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["x", "id", "event", "params", "paths", "rules",
                                         "level", "zzz", "message"]))] = draw(HOSTILE)
        elif op == "add" and isinstance(parent, list):
            parent.insert(draw(st.integers(0, len(parent))), draw(HOSTILE))
        elif op == "swap" and isinstance(parent, list) and len(parent) > 1:
            j = draw(st.integers(0, len(parent) - 1))
            parent[key], parent[j] = parent[j], parent[key]
    return doc


@st.composite
def spliced(draw: st.DrawFn, text: str, raws: list[str]) -> bytes:
    """``text`` with 0-2 text splices (a hostile snippet, a cut, a duplicated range) and
    maybe raw bytes (invalid UTF-8 included), encoded."""
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "cut", "dup"]))
        if op == "insert":
            text = text[:at] + draw(st.one_of(st.sampled_from(raws), st.text(max_size=20))) + text[at:]
        elif op == "cut":
            text = text[:at] + text[at + draw(st.integers(0, 40)):]
        else:
            text = text[:at] + text[at:at + 60] + text[at:]
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=6)) + data[at:]
    return data


# --------------------------------------------------------------------------- YAML / TOML


def to_yaml(doc: Any, *, stream: bool = False) -> str:
    """Serialize, then put each Raw fragment in place of its placeholder."""
    raws: list[str] = []

    def strip(v: Any) -> Any:
        if isinstance(v, Raw):
            raws.append(str(v))
            return f"RAW{len(raws) - 1}Z"
        if isinstance(v, dict):
            return {strip(k): strip(x) for k, x in v.items()}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v

    plain = strip(doc)
    try:
        if stream:
            text = yaml.safe_dump_all(plain, sort_keys=False, allow_unicode=True)
        else:
            text = yaml.safe_dump(plain, sort_keys=False, allow_unicode=True)
    except (yaml.YAMLError, ValueError):
        text = "x: RAW0Z\n" if raws else "x: 1\n"
    for i, raw in enumerate(raws):
        text = text.replace(f"RAW{i}Z", raw.replace("\n", "\n    "), 1)
    return text


def _toml_value(v: Any) -> str:
    if isinstance(v, Raw):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        return ("-inf" if v < 0 else "inf") if math.isinf(v) else repr(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, (bytes, type(None))):
        return json.dumps(repr(v))
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    return json.dumps(str(v))


def _toml_key(k: Any) -> str:
    k = str(k)
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def to_toml(doc: Any, prefix: str = "") -> str:
    """TOML: scalars and lists first, each sub-mapping as a [table]."""
    if not isinstance(doc, dict):
        return f"value = {_toml_value(doc)}\n"
    head, tables = [], []
    for k, v in doc.items():
        if isinstance(v, dict):
            tables.append(f"\n[{prefix}{_toml_key(k)}]\n" + to_toml(v, f"{prefix}{_toml_key(k)}."))
        else:
            head.append(f"{_toml_key(k)} = {_toml_value(v)}\n")
    return "".join(head) + "".join(tables)


RAW_TOML = ["1979-13-27", "[" * 3000 + "]" * 3000, "{a = " * 500 + "1" + "}" * 500,
            "1" * 5000, "{a = 1, a = 2}", "inf", "nan", "0x" + "f" * 5000, "'''", '"\\x"',
            "[1, 'a']", "{}", "=", "[[x]]", "\x00", "\"\\ud800\"", "07:99:00", "1979-05-27T07:32:00Z",
            "+0b1", "1__0", "[tool]\ngatekeeper = 5", "[tool\n", "\ufeff", "'\n'"]


# ------------------------------------------------------------------------ valid documents

ROLES = ["orchestrator", "backend-coder", "database-engineer", "frontend-coder", "architect"]
GLOBS = ["src/auth/**", "src/**/*.py", "db/migrations/**", "web/*.js", "/README.md", "*.sql",
         "src/[ab]*/x.py", "docs/**", "src/?.py", "**/*.md"]


@st.composite
def valid_ledger(draw: st.DrawFn) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [{"event": "init", "version": 1, "at": "2026-01-01T00:00:00Z",
                                     "by": "o@x.org"}]
    for n in range(draw(st.integers(1, 3))):
        fid = f"f{n}-{draw(st.sampled_from(['auth', 'pay', 'db']))}"
        events.append({"event": "feature", "id": fid, "title": draw(st.text(max_size=10)),
                       "paths": draw(st.lists(st.sampled_from(GLOBS), min_size=1, max_size=3)),
                       "estimate": draw(st.integers(0, 5000))})
        target = draw(st.integers(0, 5))
        for i, phase in enumerate(["prepare", "architect", "code", "test", "done"][:target]):
            if phase == "code":
                events.append({"event": "approve", "feature": fid, "kind": "architecture",
                               "path": f"docs/architecture/{fid}.md", "sha256": "a" * 64})
            events.append({"event": "phase", "feature": fid, "phase": phase,
                           **({"baseline": "b" * 40} if phase == "code" else {})})
            if i == 2 and draw(st.booleans()):
                events.append({"event": "estimate", "feature": fid, "lines": 900,
                               "reason": "the callback handler was missing"})
        if draw(st.booleans()):
            events.append({"event": "waive", "id": f"W-{n + 1}", "rule": "scope-budget",
                           "reason": "the orchestrator re-planned this", "feature": fid,
                           "path": draw(st.sampled_from(GLOBS)),
                           "expires": draw(st.sampled_from(["2026-12-31", "2020-01-01"]))})
    if draw(st.booleans()):
        events.append({"event": "resolve", "escalation": "E-1", "outcome": "acknowledged",
                       "note": "seen by the human"})
    return events


def valid_config(draw: Callable[..., Any]) -> dict[str, Any]:
    return {
        "roster": {"orchestrator": ["o@x.org"], "backend-coder": {"emails": ["b@x.org"],
                                                                  "users": ["bob"]}},
        "paths": {"schema": draw(st.lists(st.sampled_from(GLOBS), min_size=1, max_size=3))},
        "packs": draw(st.sampled_from([["pact-core", "pact-signals"], ["pact-core"]])),
        "rules": {
            "scope-budget": {"tolerance": draw(st.floats(0, 2)), "action": "block"},
            "hardcoded-secret": {"min_length": draw(st.integers(1, 50)), "allow_values": ["x"],
                                 "paths": ["src/**"], "message": "secret at {path}"},
            "domain-boundary": {"owners": [{"*.sql": "database-engineer"}],
                                "confine": {"orchestrator": ["docs", "pact"]}},
            "file-size": {"max_lines": draw(st.integers(1, 10_000))},
        },
        "server": {"deadline": 4.5, "fail_open": False, "protected_refs": {
            "refs/heads/main": ["alice"]}},
        "escalations": {"repeat_threshold": 3, "halt_freeze": True},
        "scope": {"tolerance": 0.2, "warn_at": 1.0, "undershoot": 0.8},
    }


def _bundled_rules() -> list[dict[str, Any]]:
    from gatekeeper.policy import bundled_files

    out: list[dict[str, Any]] = []
    for path in bundled_files().values():
        out += yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]
    return out


BUNDLED_RULES = _bundled_rules()


@st.composite
def valid_policy(draw: st.DrawFn) -> dict[str, Any]:
    rules = draw(st.lists(st.sampled_from(BUNDLED_RULES), min_size=1, max_size=3,
                          unique_by=lambda r: r["id"]))
    rules = [dict(r) for r in rules]
    for r in rules:
        if draw(st.booleans()):
            r["id"] = "team-" + r["id"]
    return {"pack": "team", "description": "ours", "rules": rules}


def _ledger_bytes(draw: Callable[..., Any]) -> bytes:
    events = draw(mutated(draw(valid_ledger())))
    docs = events if isinstance(events, list) else [events]
    data: bytes = draw(spliced(to_yaml(docs, stream=True), RAW_YAML))
    return data


def _raw(ledger: bytes | None = None, config: bytes | None = None,
         pyproject: bytes | None = None) -> dict[str, bytes | None]:
    return {CONFIG_PATH: config, "pyproject.toml": pyproject,
            LEDGER_PATH: ledger}


# ------------------------------------------------------------------------------ targets


@FUZZ
@given(st.data())
def test_fuzz_ledger(data: st.DataObject) -> None:
    raw = _ledger_bytes(data.draw)
    run("ledger", lambda: layer(_raw(ledger=raw), []))


@FUZZ
@given(st.data())
def test_fuzz_config(data: st.DataObject) -> None:
    doc = data.draw(mutated(valid_config(data.draw)))
    raw = data.draw(spliced(to_toml(doc), RAW_TOML))
    ledger = to_yaml(data.draw(valid_ledger()), stream=True).encode()
    run("config", lambda: layer(_raw(ledger=ledger, config=raw), []))


@FUZZ
@given(st.data())
def test_fuzz_pyproject(data: st.DataObject) -> None:
    doc: dict[str, Any] = {"project": {"name": "demo", "version": "1.0"},
                           "tool": {"ruff": {"line-length": 100},
                                    "gatekeeper": valid_config(data.draw)}}
    doc = data.draw(mutated(doc))
    raw = data.draw(spliced(to_toml(doc), RAW_TOML))
    run("pyproject", lambda: layer(_raw(pyproject=raw), []))


@FUZZ
@given(st.data())
def test_fuzz_policies(data: st.DataObject) -> None:
    doc = data.draw(mutated(data.draw(valid_policy())))
    raw = data.draw(spliced(to_yaml(doc), RAW_YAML + BAD_TEMPLATES))
    ledger = to_yaml(data.draw(valid_ledger()), stream=True).encode()
    run("policies", lambda: layer(_raw(ledger=ledger), [(".pact/policies/team.yaml", raw)]))


# ------------------------------------------------------- regressions: one per crash class


@pytest.mark.parametrize("where, text", [
    # PyYAML constructor errors (ValueError, KeyError, IndexError, AttributeError)
    ("ledger", "---\nevent: init\nat: 2026-13-01\n"),
    ("ledger", "---\nevent: init\nversion: !!int b\n"),
    ("ledger", "---\nevent: init\nversion: !!float\n"),
    ("ledger", "---\nevent: init\nversion: !!bool x\n"),
    ("ledger", "---\nevent: init\nat: !!timestamp x\n"),
    # int conversion limit, and a number that overflows float()
    ("ledger", "---\nevent: init\nversion: " + "1" * 5000 + "\n"),
    ("ledger", "---\nevent: init\n---\nevent: feature\nid: a\npaths: [a/**]\nestimate: "
     + "1" + "0" * 400 + "\n"),
    # YAML nesting and alias bombs
    ("ledger", "---\nevent: init\nx: " + "[" * 200 + "]" * 200 + "\n"),
    ("ledger", "---\nevent: init\nx: &a [*a]\n"),
    ("ledger", "---\nevent: init\n" + "".join(
        f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}" if i else "1"] * 10) + "]\n" for i in range(9))),
    # unacceptable character, invalid UTF-8
    ("ledger", "---\nevent: init\nby: \x01\n"),
    # a glob that cannot compile, in a feature and in a waiver
    ("ledger", "---\nevent: init\n---\nevent: feature\nid: a\npaths: ['src/[z-a]/**']\n"),
    ("ledger", "---\nevent: init\n---\nevent: feature\nid: a\npaths: ['a[]']\n---\nevent: waive\n"
     "id: W-1\nrule: scope-budget\nreason: a real reason here\npath: '[z-a]'\n"),
    # TOML: recursion, int limit, end of document, tool = 5
    ("config", "x = " + "[" * 2000 + "]" * 2000 + "\n"),
    ("config", "[scope]\ntolerance = " + "1" * 5000 + "\n"),
    ("config", "[scope]\ntolerance = "),
    ("pyproject", "tool = 5\n"),
    ("pyproject", "[tool]\ngatekeeper = 5\n"),
    # rule params and overrides of the wrong type or out of range
    ("config", "[rules.hardcoded-secret]\nmin_length = 'abc'\n"),
    ("config", "[rules.file-size]\nmax_lines = [5]\n"),
    ("config", "[rules.domain-boundary]\nowners = nan\n"),
    ("config", "[rules.domain-boundary]\nconfine = ''\n"),
    ("config", "[rules.phase-gate]\nmessage = ['x']\n"),
    ("config", "[rules.phase-gate]\npaths = [{a = 'b'}]\n"),
    ("config", "[rules.phase-gate]\nmessage = '{count:>999999999}'\n"),
    ("config", "[rules.scope-budget]\ntolerance = inf\n"),
    ("config", "[rules.phase-gate]\nlevel = 'HALT'\n"),
    ("config", "[rules.phase-gate]\npaths = ['[z-a]']\n"),
    ("config", "[paths]\nschema = ['a[]']\n"),
    ("config", "packs = ['pact-core', 'nope']\n"),
    ("config", "[rules.no-such-rule]\naction = 'off'\n"),
    ("config", "[scope]\ntolerance = nan\n"),
    # policies: params, templates, selector globs
    ("policy", "rules:\n  - id: t\n    title: T\n    check: file_size\n    level: ALERT\n"
     "    category: QUALITY\n    message: m\n    params:\n      max_lines: abc\n"),
    ("policy", "rules:\n  - id: t\n    title: T\n    check: domain_boundary\n    level: ALERT\n"
     "    category: QUALITY\n    message: m\n    params:\n      owners: .nan\n"),
    ("policy", "rules:\n  - id: t\n    title: T\n    check: phase_gate\n    level: ALERT\n"
     "    category: QUALITY\n    message: '{count:>999999999}'\n"),
    ("policy", "rules:\n  - id: t\n    title: T\n    check: phase_gate\n    level: ALERT\n"
     "    category: QUALITY\n    message: m\n    selectors:\n      paths: ['[z-a]']\n"),
    ("policy", "rules:\n  - id: t\n    title: T\n    check: phase_gate\n    level: ALERT\n"
     "    category: QUALITY\n    message: m\n    params:\n      telepathy: 1\n"),
])
def test_crash_class_regression(where: str, text: str) -> None:
    """Each crash class the fuzzer (or issue 14) found: exit 2 with file and line."""
    base_ledger = b"---\nevent: init\n"
    raw = _raw(ledger=base_ledger)
    policies: list[tuple[str, bytes]] = []
    data = text.encode("utf-8")
    if where == "ledger":
        raw = _raw(ledger=data)
    elif where == "config":
        raw = _raw(ledger=base_ledger, config=data)
    elif where == "pyproject":
        raw = _raw(ledger=base_ledger, pyproject=data)
    else:
        policies = [(".pact/policies/team.yaml", data)]
    assert layer(raw, policies) == "exit2"


@pytest.mark.parametrize("text", [
    "---\nevent: init\n---\nevent: \"block\\n\"\n",      # quoted in pydantic's message
    "---\nevent: init\n\"a\\nb\": 1\n",                  # a key in the error's location
])
def test_a_newline_in_a_value_never_splits_the_message(text: str) -> None:
    """Crash class from the long fuzz run: a value with a newline, quoted by a validator,
    made the exit-2 message two lines."""
    with pytest.raises(ConfigError) as info:
        gk_context._build({CONFIG_PATH: None, "pyproject.toml": None, LEDGER_PATH: text},
                          [], "k", "")
    assert "\n" not in str(info.value) and "\\n" in str(info.value)


def test_invalid_utf8_names_offset_and_line() -> None:
    raw = _raw(ledger=b"---\nevent: init\nby: caf\xe9\n")
    with pytest.raises(ConfigError) as info:
        yamlio.decode(raw[LEDGER_PATH] or b"", ".pact/ledger.yaml")
    assert info.value.where == ".pact/ledger.yaml:3"
    assert "offset 23" in info.value.what and "0xe9" in info.value.what


def test_template_with_format_spec_is_refused_and_render_is_bounded() -> None:
    from gatekeeper.engine import render

    out = render("{count:>999999999} {count} {{x}} {missing}", {"count": 3})
    assert out == "{count:>999999999} 3 {x} {missing}"


@pytest.mark.parametrize("text, line", [
    ("[a]\nb = 1\n\nc = ", 4),            # "at end of document"
    ("a = 1\nb = \x01\n", 2),
])
def test_toml_errors_name_a_line(text: str, line: int) -> None:
    from gatekeeper.config import parse_toml

    with pytest.raises(ConfigError) as info:
        parse_toml(text, ".pact/config.toml")
    assert info.value.where == f".pact/config.toml:{line}"


def test_harness_serializers() -> None:
    """The harness's own serializers produce what they claim (a canary for the fuzzer)."""
    assert to_toml({"a": {"b": [1, Raw("nan")]}}) == "\n[a]\nb = [1, nan]\n"
    assert yaml.safe_load(to_yaml({"a": Raw("!!int 5")})) == {"a": 5}


def test_unacceptable_character_line_counts_characters_not_bytes() -> None:
    """libyaml reports the position of a control character in UTF-8 bytes; the line must
    still be the character's own (multi-byte text before it once pushed it 4 lines down)."""
    text = "a: " + "\u00e9" * 30 + "\nb: 1\nc: 2\nd: 3\ne: \x01\nf: 1\ng: 1\nh: 1\n"
    with pytest.raises(ConfigError) as info:
        yamlio.load(text, ".pact/policies/x.yaml")
    assert info.value.where == ".pact/policies/x.yaml:5"
    assert "unacceptable character #x0001" in info.value.what


@pytest.mark.parametrize("text, line, what", [
    ("---\nevent: init\n---\nevent: init\nat: 2026-13-01\n", 5, "'2026-13-01' is not a valid timestamp"),
    ("---\nevent: init\nversion: !!int b\n", 3, "'b' is not a valid int"),
    ("x: 1\ny: !!bool x\n", 2, "'x' is not a valid bool"),
    ("x: [\n  1,\n  " + "[" * 100 + "]" * 100 + "]\n", 3, "nested more than 64 levels"),
])
def test_yaml_failures_name_the_line(text: str, line: int, what: str) -> None:
    with pytest.raises(ConfigError) as info:
        yamlio.load_all(text, "F")
    assert info.value.where == f"F:{line}", info.value
    assert what in info.value.what


@pytest.mark.parametrize("section, line, what", [
    ('packs = ["pact-core", "nope"]\n', 8, "unknown policy pack 'nope'"),
    ("[tool.gatekeeper.rules.file-size]\nmax_lines = 'a'\n", 9, "max_lines: must be an integer"),
    ("[tool.gatekeeper.rules.nosuch]\naction = 'off'\n", 8, "rules.nosuch: no such rule"),
    ("[tool.gatekeeper.scope]\ntolerance = nan\n", 9, "scope.tolerance"),
])
def test_pyproject_errors_name_the_line(section: str, line: int, what: str) -> None:
    text = ('[project]\nname = "x"\n\n[tool.ruff]\nline-length = 100\n\n[tool.gatekeeper]\n'
            + section)
    raw = _raw(ledger=b"---\nevent: init\n", pyproject=text.encode())
    with pytest.raises(ConfigError) as info:
        gk_context._build({p: (b.decode() if b is not None else None) for p, b in raw.items()},
                          [], "k", "")
    assert info.value.where == f"pyproject.toml:{line}", info.value
    assert what in info.value.what, info.value
