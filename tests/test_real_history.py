# tests/test_real_history.py: the built-in benchmark corpus follows the measured distributions.
# Real corpora built by benchmarks/real_history.py, measured by benchmarks/corpus_stats.py.
"""The built-in corpus of ``benchmarks/real_history.py`` (issue 13): an import of a measured
tree, then sampled commits whose modified files' pre-images, statuses and Python line kinds
follow the constants, measured back with the very script that derived them; the constants
match what ``benchmarks/corpus_stats.py`` prints on the mirrors (where they exist); a commit
naming an absent blob is skipped and counted, never a crash."""

from __future__ import annotations

import ast
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import corpus_stats, real_history


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=True).stdout


def _quantile(q: float, quantiles: tuple[int, ...]) -> int:
    return quantiles[real_history.QUANTILES.index(q)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, corpus_stats.Stats]:
    """A 400-commit corpus and its statistics over the sampled commits (not the import)."""
    top = real_history.builtin_corpus(tmp_path_factory.mktemp("corpus") / "c", 400, 13)
    root = _git(top, "rev-list", "--max-parents=0", "HEAD").strip()
    st = corpus_stats.Stats()
    corpus_stats.measure(top / ".git", st, ("HEAD", f"^{root}"))
    return top, st


def test_corpus_is_an_import_then_the_sampled_commits(
        corpus: tuple[Path, corpus_stats.Stats]) -> None:
    top, st = corpus
    assert int(_git(top, "rev-list", "--count", "HEAD")) == 401
    root = _git(top, "rev-list", "--max-parents=0", "HEAD").strip()
    imported = _git(top, "ls-tree", "-r", "--name-only", root).split()
    assert len(imported) == real_history.TREE_FILES
    assert st.commits == 400 and st.skipped == 0


def test_modified_files_pre_images_follow_file_lines(
        corpus: tuple[Path, corpus_stats.Stats]) -> None:
    _, st = corpus
    assert len(st.file_lines) > 400
    got = corpus_stats.quantiles(st.file_lines)
    for q in (0.5, 0.75, 0.9):
        want = _quantile(q, real_history.FILE_LINES)
        assert abs(_quantile(q, got) - want) <= 0.25 * want, (q, got)
    # Small files run short (deletions take them): the lower quantiles sit a little high.
    assert abs(_quantile(0.25, got) - _quantile(0.25, real_history.FILE_LINES)) <= \
        0.4 * _quantile(0.25, real_history.FILE_LINES), got
    # Real pre-images are hundreds of lines: the old corpus's grew from nothing (median ~30).
    assert statistics.median(st.file_lines) > 100


def test_statuses_sizes_and_kinds_follow_the_measures(
        corpus: tuple[Path, corpus_stats.Stats]) -> None:
    _, st = corpus
    share = dict(corpus_stats.shares(st.status))
    for status, want in real_history.STATUS_MIX:
        assert abs(share.get(status, 0.0) - want) <= max(0.03, want * 0.5), (status, share)
    assert statistics.median(st.files_per_commit) == _quantile(0.5,
                                                               real_history.FILES_PER_COMMIT)
    added = corpus_stats.quantiles(st.added_mod)
    assert abs(_quantile(0.5, added) - _quantile(0.5, real_history.ADDED_PER_MODIFIED)) <= 1
    want = _quantile(0.75, real_history.ADDED_PER_MODIFIED)
    assert abs(_quantile(0.75, added) - want) <= max(4, 0.25 * want), added
    # Each file's sizes are those of real commits with as many files (BY_FILES): a commit
    # of one file changes few lines. The pooled sizes above mix the bands as the corpus's
    # commits do; what must follow the mirrors is each band, and so each commit's size.
    for band in real_history.BANDS:
        got = st.by_files.get((band, "added_mod"), [])
        if len(got) < 200:
            continue  # too few changes in this band of a 400-commit corpus to tell
        sizes = corpus_stats.quantiles(got)
        for q in (0.75, 0.9):
            want = _quantile(q, real_history.BY_FILES[band][0])
            assert abs(_quantile(q, sizes) - want) <= max(6, 0.4 * want), (band, q, sizes)
    per_commit = corpus_stats.quantiles(st.added_per_commit)
    assert abs(_quantile(0.5, per_commit) - _quantile(0.5, real_history.ADDED_PER_COMMIT)) <= 2
    for q in (0.75, 0.9):
        want = _quantile(q, real_history.ADDED_PER_COMMIT)
        assert abs(_quantile(q, per_commit) - want) <= 0.35 * want, (q, per_commit)
    # Where .py changes land decides the role each commit is replayed as (migrations make a
    # database-engineer commit). Modified files are picked by size, so the shares are noisy.
    lines = corpus_stats.quantiles(st.message_lines)
    for q in (0.5, 0.9, 0.95):
        want = _quantile(q, real_history.MESSAGE_LINES)
        assert abs(_quantile(q, lines) - want) <= max(1, 0.25 * want), (q, lines)
    where = dict(corpus_stats.shares(st.py_dirs))
    for place, want in real_history.PY_DIR_MIX:
        assert abs(where.get(place, 0.0) - want) <= max(0.04, want * 0.45), where
    kinds = dict(corpus_stats.shares(st.py_kinds))
    for kind, want in real_history.PY_LINE_KINDS:
        if want >= 0.02:
            assert abs(kinds[kind] - want) <= want * 0.2, (kind, kinds)
    # The lines the detectors read come at their rare real rates (SQL execute calls: about
    # two in 10,000 added lines, so a 400-commit corpus may have none).
    for kind in ("secret", "log", "sql"):
        assert st.py_kinds[kind] < 0.005 * sum(st.py_kinds.values()), (kind, kinds)
    assert st.py_kinds["secret"] > 0 and st.py_kinds["log"] > 0, kinds


def test_same_seed_same_history_other_seed_another(tmp_path: Path) -> None:
    heads = [_git(real_history.builtin_corpus(tmp_path / f"c{i}", 30, seed), "rev-parse",
                  "HEAD") for i, seed in enumerate((5, 5, 6))]
    assert heads[0] == heads[1] != heads[2]


def test_a_commit_naming_an_absent_blob_is_skipped_and_counted(tmp_path: Path) -> None:
    top = tmp_path / "partial"
    top.mkdir()
    _git(top, "init", "-q", "-b", "main")
    for i, text in enumerate(("a\nb\n", "a\nb\nc\n", "a\nc\n")):
        (top / "f.py").write_text(text)
        _git(top, "add", "f.py")
        _git(top, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", f"c{i}")
    # Drop the last version's blob, as a partial mirror lacks some: git log -p would stop.
    blob = _git(top, "rev-parse", "HEAD:f.py").strip()
    (top / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    st = corpus_stats.Stats()
    corpus_stats.measure(top / ".git", st)
    assert (st.commits, st.skipped) == (2, 1)
    assert st.file_lines == [2]  # the second commit modified the 2-line first version


def test_constants_are_what_corpus_stats_prints_on_the_mirrors() -> None:
    if not all(d.is_dir() for d in corpus_stats.MIRRORS):
        pytest.skip("the four mirrors are not on this machine")
    out = subprocess.run([sys.executable, str(REPO_ROOT / "benchmarks" / "corpus_stats.py")],
                         capture_output=True, text=True, check=True, timeout=600).stdout
    printed: dict[str, object] = {}
    for line in out.splitlines():
        if not line.startswith("#") and " = " in line:
            name, text = line.split(" = ", 1)
            printed[name] = ast.literal_eval(text.split("  #")[0])
    assert len(printed) >= 15
    for name, value in printed.items():
        assert getattr(real_history, name) == value, name


def test_corpus_stats_on_a_folder_that_is_no_repository_says_so(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "benchmarks" / "corpus_stats.py"),
                           str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and str(tmp_path) in proc.stderr
    assert "not a git repository" in proc.stderr and "Traceback" not in proc.stderr
