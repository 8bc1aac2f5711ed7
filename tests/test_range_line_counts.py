# tests/test_range_line_counts.py: file-size over a range, where line counts are derived, not read.
"""A range check knows a blob's line count once it has read it (or seen the file created):
the next version's count is ``old + added - deleted``. These tests grow files commit after
commit, through renames, a lost final newline and CRLF lines, and check that the range's
verdict and its counts equal what each commit judged alone (which reads every blob) says.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers import GitRepo, findings, make_repo


def _lines(n: int, tag: str = "v", end: str = "\n") -> str:
    return "".join(f"{tag}{i} = {i}{end}" for i in range(n))


def _check(repo: GitRepo, rng: str) -> list[dict[str, Any]]:
    proc = repo.gk("check", "--range", rng, "--format", "json", "--no-notes")
    assert proc.returncode in (0, 1), proc.stderr
    return findings(json.loads(proc.stdout), "file-size")


def _messages(found: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((f["commit"], f["message"]) for f in found)


def _alone(repo: GitRepo, commits: list[str]) -> list[tuple[str, str]]:
    return sorted(m for c in commits for m in _messages(_check(repo, f"{c}^..{c}")))


def _one_growth(repo: GitRepo, base: str, made: list[str], k: int, path: str,
                grew: str) -> None:
    """The range ``base..HEAD`` judges as each of ``made`` alone does, with one finding:
    ``path`` in ``made[k]``, whose message says the file grew ``grew`` ("from A to B")."""
    found = _check(repo, f"{base}..HEAD")
    assert _messages(found) == _alone(repo, made)
    (hit,) = found
    assert hit["commit"] == made[k][:12] and hit["paths"] == [path]
    assert f"file grew {grew} lines (limit 600)" in hit["message"]


def test_counts_carried_through_a_range_equal_each_commit_alone(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    base = repo.head()
    body = _lines(590)
    made = [repo.commit("create", files={"app/big.py": body})]  # 590: known from the patch
    body = body.replace("v10 = 10\n", "v10 = 11\n") + _lines(5, "w")
    made.append(repo.commit("grow a little", files={"app/big.py": body}))  # 595, derived
    body = body[:-1]  # the last line loses its newline: -1 +1 lines, still 595
    made.append(repo.commit("no final newline", files={"app/big.py": body}))
    repo.git("mv", "app/big.py", "app/huge.py")
    body = body + "\n" + _lines(10, "x")  # renamed and grown past 600: 605
    made.append(repo.commit("rename and grow", files={"app/huge.py": body}))
    body = body + _lines(3, "y", "\r\n")  # CRLF lines count once each: 608
    made.append(repo.commit("grow again", files={"app/huge.py": body}))

    _one_growth(repo, base, made, 3, "app/huge.py", "from 595 to 605")


def test_files_older_than_the_range_are_counted_once_then_derived(tmp_path: Path) -> None:
    """Files the range never saw made are counted (together, ahead of judging), then derived."""
    repo = make_repo(tmp_path / "r")
    repo.commit("old files", files={"app/old.py": _lines(597), "app/other.py": _lines(590)})
    base = repo.head()
    body = _lines(597) + _lines(2, "a")  # 599: counted (the range never saw it made)
    made = [repo.commit("grow", files={"app/old.py": body})]
    made.append(repo.commit("grow the other", files={"app/other.py": _lines(590) + "z = 0\n"}))
    body = body.replace("v0 = 0\n", "") + _lines(3, "b")  # -1 +3: 601, derived from 599
    made.append(repo.commit("grow past", files={"app/old.py": body}))
    body = body + _lines(1, "c")  # already past the limit: no new finding
    made.append(repo.commit("grow more", files={"app/old.py": body}))
    other = _lines(590) + "z = 0\n" + _lines(10, "y")  # 591 + 10: 601
    made.append(repo.commit("the other past", files={"app/other.py": other}))

    found = _check(repo, f"{base}..HEAD")
    assert _messages(found) == _alone(repo, made)
    got = {f["paths"][0]: f for f in found}
    assert got["app/old.py"]["commit"] == made[2][:12]
    assert "file grew from 599 to 601 lines (limit 600)" in got["app/old.py"]["message"]
    assert got["app/other.py"]["commit"] == made[4][:12]
    assert "file grew from 591 to 601 lines (limit 600)" in got["app/other.py"]["message"]


def test_the_same_content_under_two_names_counts_the_same(tmp_path: Path) -> None:
    """A count is kept per blob: a copy of a measured file, grown elsewhere, is counted
    from the copy's own patch, and a shrinking commit in between keeps the count right."""
    repo = make_repo(tmp_path / "r")
    base = repo.head()
    body = _lines(580)
    made = [repo.commit("one", files={"app/a.py": body})]
    made.append(repo.commit("copy", files={"app/b.py": body}))
    shrunk = "".join(body.splitlines(keepends=True)[:-30]) + _lines(5, "s")  # 555
    made.append(repo.commit("shrink a", files={"app/a.py": shrunk}))
    made.append(repo.commit("grow a", files={"app/a.py": shrunk + _lines(50, "g")}))  # 605
    made.append(repo.commit("grow b", files={"app/b.py": body + _lines(21, "h")}))  # 601

    found = _check(repo, f"{base}..HEAD")
    assert _messages(found) == _alone(repo, made)
    got = {f["paths"][0]: f["message"] for f in found}
    assert "from 555 to 605 lines" in got["app/a.py"]
    assert "from 580 to 601 lines" in got["app/b.py"]


def test_bundles_are_not_counted_unless_the_parent_takes_them_back(tmp_path: Path) -> None:
    """A file vendored by its name gets no file-size finding (and is not read for one); the
    parent's ``linguist-vendored=false`` takes it back, counts and all."""
    repo = make_repo(tmp_path / "r")
    repo.commit("bundles", files={"static/js/lib/a.js": _lines(599, "var a"),
                                  "static/js/lib/b.js": _lines(599, "var b")})
    base = repo.head()
    made = [repo.commit("grow a", files={"static/js/lib/a.js": _lines(605, "var a")})]
    assert _check(repo, f"{base}..HEAD") == []
    repo.commit("take lib back", files={".gitattributes": "static/js/lib/** linguist-vendored=false\n"})
    made.append(repo.commit("grow b", files={"static/js/lib/b.js": _lines(603, "var b")}))
    _one_growth(repo, base, made, 1, "static/js/lib/b.js", "from 599 to 603")


def test_a_copy_counts_as_the_new_file_it_is(tmp_path: Path) -> None:
    """A copy's counts are its whole content (the range gives it as a new file), so its
    source's count is not added to them: a 590-line copy of a 590-line file is no finding."""
    repo = make_repo(tmp_path / "r")
    base = repo.head()
    body = _lines(590)
    made = [repo.commit("create", files={"app/a.py": body})]
    # -C finds copies from files changed in the same commit: change the source too.
    copy = body.replace("v0 = 0\n", "b0 = 0\n")  # not the source's blob: its count is unknown
    made.append(repo.commit("copy", files={"app/a.py": body + "tail = 1\n", "app/b.py": copy}))
    show = repo.git("show", "-C", "--name-status", "--format=", "HEAD").stdout
    assert show.startswith("M\tapp/a.py") and "\nC" in show, show  # git does see a copy
    made.append(repo.commit("grow the copy", files={"app/b.py": copy + _lines(15, "c")}))
    _one_growth(repo, base, made, 2, "app/b.py", "from 590 to 605")


def test_a_utf16_source_file_is_judged_as_each_commit_alone_judges_it(tmp_path: Path) -> None:
    """UTF-16 files are decoded by the range reader (their patch is binary): their counts
    are read, never carried from one commit to the next."""
    repo = make_repo(tmp_path / "r")
    base = repo.head()

    def utf16(text: str) -> bytes:
        return b"\xff\xfe" + text.encode("utf-16-le")

    made = [repo.commit("create", files={"app/w.cs": utf16(_lines(590, "int v"))})]
    made.append(repo.commit("grow", files={"app/w.cs": utf16(_lines(598, "int v"))}))
    made.append(repo.commit("grow past", files={"app/w.cs": utf16(_lines(640, "int v"))}))
    assert _messages(_check(repo, f"{base}..HEAD")) == _alone(repo, made)
