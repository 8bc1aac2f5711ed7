# tests/test_perf_equivalence.py: the performance shortcuts (issue 6) give exactly the old answers.
"""Fast paths must not change verdicts: string-test globs agree with the regex compiler on
every pattern the bundled policies and defaults use (and on awkward ones), and the
offset-based log parser yields the same records however the stream is chunked."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import IO, cast

import pytest
import yaml
from helpers import ChunkyPipe

from gatekeeper import globs
from gatekeeper.changes import parse_log_stream
from gatekeeper.config import DEFAULT_PATHS

ROOT = Path(__file__).resolve().parent.parent

AWKWARD = [
    "src/auth/**", "/.gitignore", "CLAUDE.md", "**/vendor", "**/db/migration", "a//b", "/a/b/",
    "dir/", "*", "**", "/**", "", "/", "*.", "*a*", "test_*.py", "x?y", "[ab]c", "/src/*.py",
    "**/**/x", "  docs/** ", "a\\b", "**/*.min.js", "*_test.go", "docs", "/docs/**", "*.spec.*",
    "**/changelog/*.xml", "a/**/b", "LICENSE*", ".env.*", "**/x/", "a*b/**", "**/.*",
    # shapes only the linear NFA takes (several stars, classes, ** inside a segment)
    "*a*b*", "a/*/b/**", "**/a*/**/b*", "a**b", "[!a]*", "[a-c]?/**", "x/**/*.py", "**/*.*",
    "*/", "a*/", "**/b/*/", "?", "??/**", "[ab][ab]", "a/**/", "*a*a*a*b",
]
SEGMENTS = [
    "src", "auth", "docs", "a", "b", "x", "vendor", "db", "migration", "migrations",
    "CLAUDE.md", "LICENSE", "LICENSE.txt", ".gitignore", "test_x.py", "test_.py", "x_test.go",
    "f.sql", ".sql", "y.min.js", "m.test.js", "changelog", "c.xml", "node_modules", "x.md", "",
    "a\nb", "ab", "ac", "tests", ".env.local", "xay", "a\\b", "p.py", "dir", "alembic.ini",
    "aab", "abab", "ba", "Src", "DB", "Migrations", "A", "café", "cafe\u0301", "ẞ",
]


def _policy_patterns() -> set[str]:
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("paths", "exclude_paths", "migration_paths") and isinstance(value, list):
                    found.update(v for v in value if isinstance(v, str))
                if key == "owners" and isinstance(value, list):
                    for entry in value:
                        if isinstance(entry, dict):
                            found.update(str(k) for k in entry)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for pack in sorted((ROOT / "policies").glob("*.yaml")):
        walk(yaml.safe_load(pack.read_text(encoding="utf-8")))
    for pats in DEFAULT_PATHS.values():
        found.update(pats)
    return found


def test_glob_fast_paths_agree_with_the_regex() -> None:
    rnd = random.Random(7)
    paths = {"", "/", "a/", "/a", "src/auth/m00.py"}
    for depth in range(1, 5):
        for _ in range(3000):
            paths.add("/".join(rnd.choice(SEGMENTS) for _ in range(depth)))
    for pattern in sorted(_policy_patterns() | set(AWKWARD)):
        # Today's semantics, compared folded: the regex of the folded pattern on the
        # folded path (case and NFC spellings are one name, issue 9 part 3).
        rx = globs._compile(globs.fold(pattern))
        wrong = [p for p in paths
                 if globs.match(pattern, p) != (rx.match(globs.fold(p)) is not None)]
        assert not wrong, (pattern, wrong[:5])
        linear = globs._Linear(globs.fold(pattern))  # the NFA alone, without fast paths
        wrong = [p for p in paths
                 if linear(globs.fold(p)) != (rx.match(globs.fold(p)) is not None)]
        assert not wrong, (pattern, wrong[:5])


@pytest.mark.parametrize("pattern", ["*a*a*a*a*a*a*a*a*a*b", "**/a*a*a*a*a*a*a*a*b/**",
                                     "a/**/a/**/a/**/a/**/a/**/b", "*?*?*?*?*?*?*?*?*?*b"])
def test_hostile_globs_cost_linear_time(pattern: str) -> None:
    """A backtracking regex needed seconds for 30 characters of these; the NFA reads a
    path once. 200x longer input must cost about 200x, not 2**200x."""
    import time

    short, long = "a/" * 10 + "a" * 20, "a/" * 2000 + "a" * 4000
    t0 = time.perf_counter()
    assert not globs.match(pattern, short)
    t1 = time.perf_counter()
    assert not globs.match(pattern, long)
    t2 = time.perf_counter()
    assert t2 - t1 < 0.5, f"{pattern}: {t2 - t1:.3f}s for {len(long)} characters"
    assert t1 - t0 < 0.5  # seconds for a backtracking regex; room for a loaded CI machine


def test_case_and_nfc_spellings_match() -> None:
    import unicodedata

    assert globs.match("*.sql", "DB/Migrations/0002_X.SQL")
    assert globs.match(".pact/**", ".PACT/config.toml")
    assert globs.match("src/café/**", unicodedata.normalize("NFD", "src/Café/x.py"))
    assert globs.last_match([("**/migrations/**", "database-engineer")], "app/MIGRATIONS/1.py")
    assert globs.to_pathspecs("src/auth/**") == [":(glob,icase)src/auth/**"]


def test_match_any_memo_is_transparent() -> None:
    pats = ["docs/**", "*.md"]
    for path in ("docs/x.py", "src/README.md", "src/x.py"):
        want = any(globs._compile(p).match(globs.fold(path)) is not None for p in pats)
        assert globs.match_any(pats, path) is want
        assert globs.match_any(tuple(pats), path) is want  # cached answer, same verdict


def _record(i: int) -> bytes:
    body = (b":000000 100644 " + b"0" * 40 + b" " + b"%040x" % i + b" A\0src/f%d.py\0" % i
            + b"diff --git a/src/f%d.py b/src/f%d.py\nnew file mode 100644\n" % (i, i)
            + b"--- /dev/null\n+++ b/src/f%d.py\n@@ -0,0 +1,2 @@\n+one\n+two %d\n" % (i, i))
    head = (b"%040x\0%040x\0\0Dev\0dev@example.com\0msg %d\n\nPACT-Agent: x\n\0" % (i, i + 1, i)
            + b"PACT-Agent: x\n\0")  # %B, then git's parse of its trailers
    return b"\0\0GK1\0" + head + body


@pytest.mark.parametrize("count", [0, 1, 2, 50])
def test_log_stream_parsing_does_not_depend_on_chunking(count: int) -> None:
    data = b"".join(_record(i) for i in range(count))
    whole = [repr(c) for c in parse_log_stream(io.BytesIO(data))]
    assert len(whole) == count
    for seed in range(5):
        # The raw object: each read returns whatever short piece it likes, as a pipe can.
        pipe = cast(IO[bytes], ChunkyPipe(data, random.Random(seed), most=700))
        chunked = [repr(c) for c in parse_log_stream(pipe)]
        assert chunked == whole
    if count:
        first = next(iter(parse_log_stream(io.BytesIO(data))))
        assert first.files[0].path == "src/f0.py" and first.files[0].added == 2


def test_feature_index_agrees_with_testing_every_feature() -> None:
    """attribute()'s directory index must find exactly the features a full scan finds."""
    import random

    from gatekeeper.changes import ChangeSet, FileChange
    from gatekeeper.config import Config
    from gatekeeper.engine import attribute
    from gatekeeper.globs import match_any
    from gatekeeper.ledger import Feature, LedgerState

    rnd = random.Random(7)
    shapes = ["src/{a}/**", "src/{a}/*.py", "{a}/**", "/{a}", "src/{a}", "*.{a}", "**/{a}/**",
              "lib/{a}*/x/**", "docs/{a}/[ab]*.md", "src/{a}/sub/file.py", "{a}/*/deep/**"]
    names = ["auth", "api", "db", "web", "py", "sql", "core"]
    state = LedgerState()
    for i in range(60):
        pats = [rnd.choice(shapes).format(a=rnd.choice(names)) for _ in range(rnd.randint(1, 3))]
        state.features[f"f{i}"] = Feature(id=f"f{i}", title="", paths=pats, estimate=None)
    segs = ["src", "lib", "docs", "x", "deep", "sub", *names, "file.py", "a.md", "b.sql"]
    paths = {"/".join(rnd.choice(segs) for _ in range(rnd.randint(1, 5))) for _ in range(3000)}
    change = ChangeSet(commit=None, parents=(), author_name="", author_email="", message="",
                       files=[FileChange(path=p, status="M") for p in sorted(paths)])
    _, features_of, _ = attribute(change, state, Config(), None)
    for p in paths:
        naive = [fid for fid, ft in state.features.items() if match_any(ft.paths, p)]
        assert features_of.get(p, []) == naive, p


def test_a_pattern_lists_one_test_agrees_with_testing_each_pattern() -> None:
    """match_any tests a new path against a whole list at once (a set, one startswith,
    a loop per kind of substring test): the same answer as testing pattern by pattern,
    for the lists the policies and configs use and for random lists of every shape."""
    rnd = random.Random(11)
    paths = {"", "/", "a/", "/a", "LICENSE", "docs/x.md", "src/tests/test_a.py"}
    for depth in range(1, 5):
        for _ in range(1500):
            paths.add("/".join(rnd.choice(SEGMENTS) for _ in range(depth)))
    every = sorted(_policy_patterns() | set(AWKWARD))
    lists = [tuple(pats) for pats in DEFAULT_PATHS.values()]
    lists += [tuple(rnd.sample(every, rnd.randint(1, 8))) for _ in range(60)]
    shapes = {globs._shape(globs.fold(p))[0] for p in every}
    assert len(shapes) == 8  # every kind of test is met
    for pats in lists:
        one = globs._any_matcher(pats)
        wrong = [p for p in paths if one(globs.fold(p))
                 != any(globs._matcher(q)(globs.fold(p)) for q in pats)]
        assert not wrong, (pats, wrong[:5])
