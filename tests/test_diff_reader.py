# tests/test_diff_reader.py: the bulk diff parser gives the same answer whole, streamed, however cut.
"""The diff reader has two paths: a patch that fits the window is parsed a file section at a
time (``bytes.count`` and one regex), a larger one streams block by block. Both must give
the same FileChanges, on a real history with every awkward shape: type changes, binaries,
long lines, missing final newlines, CRLF, renames, copies, merges and quoted paths."""

from __future__ import annotations

import io
import random
import subprocess
from pathlib import Path
from typing import IO, cast

import pytest
from helpers import ChunkyPipe, GitRepo, make_repo

from gatekeeper import changes
from gatekeeper.changes import LOG_FORMAT, parse_log_stream


def _history(path: Path) -> GitRepo:
    repo = make_repo(path)
    body = "".join(f"line {i}\n" for i in range(30))
    repo.commit("base", files={"a.py": body, "b.py": "one\n", "c.txt": "x\n",
                               "d.py": "d\n" + body})
    (repo.path / "link").symlink_to("a.py")
    repo.git("add", "link")
    repo.commit("symlink", files={"bin.dat": b"\x00\x01" * 50 + b"\n", "crlf.txt": "a\r\nb\r\n"})
    repo.git("rm", "-q", "--cached", "b.py")
    (repo.path / "b.py").unlink()
    (repo.path / "b.py").symlink_to("c.txt")
    repo.git("add", "b.py")
    (repo.path / "link").unlink()
    repo.git("rm", "-q", "--cached", "link")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{repo.head()},link")
    repo.git("mv", "d.py", "moved.py")
    repo.commit("type changes and more", files={
        "a.py": body + "tail without newline", "c.txt": "x\ny\n", "e.py": body + "more\n",
        "copy.py": body, "wide.txt": "w" * 50_000 + "\n", 'we"ird\tname.py': "q\n",
        "bin.dat": b"\x00\x02" * 50 + b"\n", "utf.txt": "caf\xe9 \u2603\n".encode("latin-1", "replace")})
    repo.git("checkout", "-q", "-b", "side", "HEAD~1")
    repo.commit("side", files={"side.py": "s\n", "c.txt": "x\nside\n"})
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-edit", "side", check=False)
    repo.stage({"c.txt": "x\ny\nside\n"})
    repo.git("commit", "-q", "--no-verify", "--no-edit")
    return repo


def _stream(repo: GitRepo) -> bytes:
    return subprocess.run(
        ["git", "-c", "core.quotePath=false", "log", "--reverse", "--topo-order", LOG_FORMAT,
         "--diff-merges=combined", "--raw", "-z", "-p", "-U0", "-C", "--text", "--no-abbrev",
         "--src-prefix=a/", "--dst-prefix=b/", "HEAD"],
        cwd=repo.path, capture_output=True, check=True).stdout


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return _stream(_history(tmp_path_factory.mktemp("reader") / "r"))


def test_whole_and_streamed_parses_agree(stream: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = [repr(c) for c in parse_log_stream(io.BytesIO(stream))]
    monkeypatch.setattr(changes, "WINDOW", 64)  # every patch takes the streaming path
    monkeypatch.setattr(changes, "_LONG_LINE", 1000)  # and long lines are cut while streaming
    for seed in range(4):
        pipe = cast(IO[bytes], ChunkyPipe(stream, random.Random(seed)))
        streamed = [repr(c) for c in parse_log_stream(pipe)]
        # Only the 50,000-character line differs: streamed, its start (1 MiB window) is kept
        # and the file is marked truncated.
        assert len(streamed) == len(whole)
        for a, b in zip(whole, streamed, strict=True):
            if a != b:
                assert "wide.txt" in a and "truncated=True" in b


def test_every_shape_is_read(stream: bytes) -> None:
    commits = {c.message.split("\n")[0]: c for c in parse_log_stream(io.BytesIO(stream))}
    files = {f.path: f for f in commits["type changes and more"].files}
    assert files["b.py"].status == "T" and files["link"].status == "T"
    assert files["a.py"].added_lines[-1] == (31, "tail without newline")
    assert files["e.py"].added_lines == [(31, "more")]
    assert files["moved.py"].old_path == "d.py" and files["moved.py"].status == "R"
    assert files["copy.py"].old_path in ("a.py", "d.py", "e.py")
    assert files["wide.txt"].added_lines == [(1, "w" * 50_000)]
    assert files['we"ird\tname.py'].added_lines == [(1, "q")]
    assert files["bin.dat"].binary and not files["bin.dat"].added_lines
    assert files["c.txt"].added_lines == [(2, "y")]
    crlf = {f.path: f for f in commits["symlink"].files}["crlf.txt"]
    assert crlf.added_lines == [(1, "a\r"), (2, "b\r")]
    merge = commits["Merge branch 'side'"]
    assert merge.is_merge and [f.path for f in merge.files] == ["c.txt"]
    assert merge.files[0].added_lines == [(3, "side")] or merge.files[0].added == 0
    assert commits["initial"].trailer_block == ""


def test_cat_file_read_many_answers_like_one_read_at_a_time(tmp_path: Path) -> None:
    """Batched reads (file-size, binary probes: one round trip per commit) give exactly what
    single reads give: absent names, trees, limits, empty and large blobs, odd paths."""
    from gatekeeper import git as gkgit

    repo = make_repo(tmp_path / "r")
    big = "x" * 70_000 + "\n"
    repo.commit("files", files={"a.txt": "one\n", "empty": "", "big.txt": big,
                                "dir/sp ace\u00e9.py": "print(1)\n"})
    specs = ["HEAD:a.txt", "HEAD:missing", "HEAD:dir", "HEAD:empty", "HEAD:big.txt",
             "HEAD:dir/sp ace\u00e9.py"] * 300  # more than one 16 KiB batch of commands
    handle = gkgit.discover(repo.path)
    with gkgit.CatFile(handle) as cat:
        single = [cat.read_prefix(s, 100) for s in specs]
        whole = [cat.read(s) for s in specs[:6]]
        assert list(cat.read_many(specs, 100)) == single
        many = list(cat.read_many(specs[:6]))
        assert [None if g is None else (g[0], g[1], g[3]) for g in many] == whole
        assert many[4] is not None and many[4][2] == len(big) and many[4][3] == big.encode()
        assert cat.read("HEAD:a.txt") is not None  # the process is still in step
        early = cat.read_many(specs, 10)
        first, big_one = single[0], single[4]
        assert first is not None and big_one is not None
        assert next(early) == (*first[:3], b"one\n")
        early.close()  # stopped early: the rest of the batch is read and dropped
        assert cat.read_prefix("HEAD:big.txt", 3) == (*big_one[:3], b"xxx")
