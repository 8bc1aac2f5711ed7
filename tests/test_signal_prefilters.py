# tests/test_signal_prefilters.py: the whole-file prefilters of the content detectors are exact.
"""The detectors skip lines (or whole files) that a cheap whole-file pattern does not match.
That is only sound if the pattern is a necessary condition of every finding. These tests
check that directly: on many random lines built from the fragments findings are made of,
every match the detector's own line-level regex would act on is also found by its prefilter,
and a detector reports the same findings on a line alone as inside a large file."""

from __future__ import annotations

import random
import re

import pytest

from gatekeeper.signals import _common, secrets, sql
from gatekeeper.signals._common import _ASSIGN, _TOKENS, _lines_matching, _rx

FRAGMENTS = [
    "password", "Password", "PASSWD", "api_key", "apiKey", "API-KEY", "api.key", "token", "secret",
    "pwd", "passPhrase", "pass_phrase", "\u212aey", " = ", "=", ":", ": str = ", ": Optional[str] = ",
    " := ", " => ", "==", " string = ", "'", '"', "`", '"""', "\\", "f'", "b'", "R\"", "rb'", "u'",
    "hunter2Xy9!", "AKIAABCDEFGHIJKLMNOP", "sk_live_abcdefghijklmnop123", "ghp_" + "a1" * 18,
    "github_pat_" + "x" * 22, "glpat-" + "y" * 20, "xoxb-1234567890ab", "eyJabcdefghijk.eyJabcdefghijk.",
    "postgres://user:s3cr3tPw@db.example.com/x", "execute(", "executeQuery (", "Query(", "raw(",
    "text(", "read_sql_query(", "prepareStatement(", "$queryRawUnsafe(", "addBatch(", "Exec (",
    "VITE_SECRET_KEY", "NEXT_PUBLIC_TOKEN", "REACT_APP_", "PUBLIC_", "_KEY", "SECRET",
    "-----BEGIN RSA PRIVATE KEY-----", '"private_key": "', "AccountKey=", "AIza", "npm_", "pypi-",
    "(", ")", "{", "}", "[", "]", ";", ",", "#", "//", "\t", " ", "x", "value", "self.", "$", "@",
    "-", ".", "_", "İ", "ſ", "\u00e9", "var ", "const ", "string ", "DELETE FROM t", "delete from ",
    "UPDATE t SET a=1", "update users set", "DROP TABLE x", "drop table if exists y", "TRUNCATE z",
    "ALTER TABLE t DROP COLUMN c", " WHERE ", "cursor.execute(",
    "://", "https://", "redis://", "user", ":pw", ":", "@", "@host", "x@y:z", "/path", "%40", "?q=1",
    "://a:b@c", "ftp://u:p@h",
]


def _lines(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 20))) for _ in range(count)]


def _hint_lines(text: str, pattern: str, lower: bool = True) -> bool:
    return bool(_lines_matching([(1, text)], pattern, lower))


@pytest.mark.parametrize("seed", range(4))
def test_every_secret_assignment_is_on_a_hinted_line(seed: int) -> None:
    ignore = frozenset(secrets._TOKEN_NOT_SECRET)
    checked = 0
    for text in _lines(seed, 3000):
        for m in _rx(_ASSIGN).finditer(text):
            if not secrets._secret_name(m.group("name"), ignore):
                continue
            checked += 1
            # Config files take any value; code only a string literal.
            assert _hint_lines(text, secrets._ASSIGN_HINT), text
            if m.group("q"):
                assert _hint_lines(text, secrets._ASSIGN_LIT_HINT), text
    assert checked > 100  # the fragments do build secret assignments


@pytest.mark.parametrize("seed", range(4))
def test_every_token_format_match_is_on_a_hinted_line(seed: int) -> None:
    """Each format's match is on a line its own hint pattern finds (the detector tries on a
    line only the formats of the patterns that found it), and each connection-string
    password on a line the connection-string hint finds."""
    checked = conn = 0
    for text in _lines(seed, 3000):
        found = [formats for h, formats in secrets._token_hints()
                 if _hint_lines(text, h, lower=False)]
        for k, (_, _, hints, pat) in enumerate(_TOKENS):
            if any(h in text for h in hints) and _rx(pat).search(text):
                checked += 1
                assert any(k in formats for formats in found), text
        if _rx(_common._CONNSTR).search(text):
            conn += 1
            assert _hint_lines(text, secrets._CONNSTR_HINT, lower=False), text
    assert checked > 50 and conn > 50


@pytest.mark.parametrize("seed", range(4))
def test_every_sql_call_and_frontend_name_is_on_a_hinted_line(seed: int) -> None:
    calls = frontend = 0
    for text in _lines(seed, 3000):
        if _rx(sql._SQL_CALLS).search(text):
            calls += 1
            assert any(_hint_lines(text, kw + sql._SQL_CALL_TAIL)
                       for kw in sql._SQL_CALL_KEYWORDS), text
        if _rx(secrets._FRONTEND).search(text):
            frontend += 1
            assert _hint_lines(text, secrets._FRONTEND_HINT, lower=False), text
    assert calls > 100 and frontend > 50


@pytest.mark.parametrize("seed", range(4))
def test_destructive_sql_in_a_literal_is_destructive_sql_in_its_line(seed: int) -> None:
    from gatekeeper.signals._code import _tokenize

    checked = 0
    for text in _lines(seed, 3000) + [f"{q}{s}{q}" for q in ("'", '"', '"""', "`")
                                      for s in ("DELETE FROM t", "drop table x", "TRUNCATE y")]:
        if any(_rx(sql._DESTRUCT).search(lit.body) for lit in _tokenize(text)[1]):
            checked += 1
            assert _rx(sql._DESTRUCT).search(text), text
    assert checked > 50


@pytest.mark.parametrize("seed", range(2))
def test_findings_do_not_depend_on_the_rest_of_the_file(seed: int) -> None:
    """Whole-file scans map matches back to lines: a line's findings are the same alone
    and among thousands of others (including a multi-byte and a lower()-lengthening one)."""
    lines = _lines(seed, 200)
    plain = [f"x_{k} = compute({k})  # \u00e9t\u00e9" for k in range(2000)]
    for filler in (plain, [*plain, "\u0130stanbul"]):  # lower() keeps, or changes, lengths
        for check, detector in sorted(_common_detectors().items()):
            for k, text in enumerate(lines):
                alone = detector("app/settings.py", [(7, text)], {})
                mixed = [(n, t) for n, t in enumerate(filler, 100)] + [(7, text)]
                among = detector("app/settings.py", mixed, {})
                assert [h for h in among if h.line == 7] == alone, (check, k, text)


def _common_detectors() -> dict[str, _common.Detector]:
    from gatekeeper.signals import CONTENT_DETECTORS

    return dict(CONTENT_DETECTORS)


def test_an_empty_value_after_stripping_dots_is_not_a_crash() -> None:
    # 'password: ...' in a YAML file left an empty value: the gate crashed (exit 3).
    hits = secrets.hardcoded_secret("settings.yml", [(2, "  password: ...")], {})
    assert hits == []
    assert re.search(secrets._ASSIGN_HINT, "  password: ...")


@pytest.mark.parametrize("seed", range(4))
def test_a_literal_pattern_finds_the_lines_its_regex_finds(seed: int) -> None:
    """matching() answers a plain literal (a token prefix such as ``sk\\-``) with a substring
    test when the file lacks it: the lines found must be the regex's, in files with and
    without the literal, and in files whose lower-casing changes their length."""
    assert _common._literal(r"sk\-") == "sk-" and _common._literal("eyJ") == "eyJ"
    for pattern in (r"gho_|ghp_", r"a.b", r"query\w*\s*\(", r"\d", r"x\ y"):
        assert _common._literal(pattern) is None or re.escape(
            _common._literal(pattern) or "") == pattern
    assert _common._literal(r"a.b") is None and _common._literal(r"\d") is None
    rnd = random.Random(seed)
    words = ["sk-", "SK-", "eyJ", "hooks.slack.com", "npm_", "İ", "ß", "x", "token = 1", " "]
    for _ in range(200):
        lines = [(k + 1, "".join(rnd.choice(words) for _ in range(rnd.randint(0, 6))))
                 for k in range(rnd.randint(1, 8))]
        for pattern, lower in ((r"sk\-", False), (r"sk\-", True), ("eyJ", False),
                               (r"hooks\.slack\.com", False), ("npm_", True)):
            want = tuple(i for i, (_, t) in enumerate(lines)
                         if _rx(pattern).search(t.lower() if lower else t))
            assert _common._Scan(lines).matching(pattern, lower) == want, (pattern, lines)


@pytest.mark.parametrize("seed", range(2))
def test_the_per_word_assignment_hints_find_the_lines_of_the_whole_hint(seed: int) -> None:
    """hardcoded_secret searches each name word's hint on its own (one literal head each,
    which the regex engine jumps between): together they must find exactly the lines the
    alternation of all the words finds, in config files and in code."""
    lines = list(enumerate(_lines(seed, 3000), 1))
    assert len("\n".join(t for _, t in lines)) >= secrets._SPLIT_FROM  # searched word by word
    for whole, parts in ((secrets._ASSIGN_HINT, secrets._ASSIGN_HINTS),
                         (secrets._ASSIGN_LIT_HINT, secrets._ASSIGN_LIT_HINTS)):
        found = set(_lines_matching(lines, whole))
        assert len(found) > 100
        assert set().union(*(_lines_matching(lines, p) for p in parts)) == found
    # A small file is searched with the whole pattern, a large one word by word: a secret
    # assignment is found alike either way.
    line = (7, 'API_TOKEN = "x9Fq2LmZ8wR4tY6u"')
    filler = [(n, f"v{n} = compute({n})") for n in range(100, 2100)]
    small = secrets.hardcoded_secret("app/settings.py", [line], {})
    large = secrets.hardcoded_secret("app/settings.py", [*filler, line], {})
    assert len(small) == 1 and [h for h in large if h.line == 7] == small


def test_each_token_hint_pattern_has_one_first_character() -> None:
    """A pattern whose branches start differently (AKIA|PRIVATE KEY) makes the regex engine
    try every position of the file; one shared first character lets it jump."""
    for hint, _formats in secrets._token_hints()[:-1]:  # the last: the connection string's
        heads = {branch.replace("\\", "")[0] for branch in hint.split("|")}
        assert len(heads) == 1, hint


@pytest.mark.parametrize("seed", range(2))
def test_the_sql_word_test_answers_as_the_sql_patterns_do(seed: int) -> None:
    """sql-injection looks for the SQL patterns' words before it compiles or runs them: on
    ASCII text without any of them neither pattern can match; other text (a long s or a
    Kelvin sign match s and k case-insensitively) always goes to the pattern."""
    texts = [*_lines(seed, 3000), "ſELECT a FROM t", "DELETE FROM t", "Update t Set a = 1",
             "group by x", "\u212aILL", "values (1)", "x WHERE id = 3"]
    hits = 0
    for text in texts:
        for pattern in (sql._SQL_WEAK, sql._SQL_STRONG):
            expected = _rx(pattern).search(text) is not None
            hits += expected
            assert sql._sql_in(pattern, text) == expected, (pattern[:20], text)
    assert hits > 500
