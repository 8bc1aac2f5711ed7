# tests/test_range_attributes.py: a range reads each parent's .gitattributes, even when it reuses them.
"""A range reuses the attribute patterns read for a commit's parent for the commits built
on it, as long as none of them changes a ``.gitattributes`` file (a rename, copy or
deletion of one counts) and none is a merge. These tests change attributes in the middle
of a range, in every way, and check that each commit is judged as it is alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers import GitRepo, make_repo

BARE = "import os\n\nVALUE = os.sep\nOTHER = 2\n"  # a source file without a header comment


def _header_findings(repo: GitRepo, rng: str) -> list[tuple[str, str]]:
    proc = repo.gk("check", "--range", rng, "--format", "json", "--no-notes")
    assert proc.returncode in (0, 1), proc.stderr
    found: list[dict[str, Any]] = json.loads(proc.stdout)["findings"]
    return sorted((f["commit"], f["paths"][0]) for f in found if f["rule"] == "file-header")


def test_attributes_changed_mid_range_are_read_where_they_change(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    base = repo.head()
    made = [repo.commit("one", files={"gen/a.py": BARE})]  # no attributes yet: a finding
    made.append(repo.commit("mark", files={"gen/.gitattributes": "*.py linguist-generated\n"}))
    made.append(repo.commit("two", files={"gen/b.py": BARE}))  # generated: none
    made.append(repo.commit("other", files={"docs/x.md": "x\n"}))
    made.append(repo.commit("three", files={"gen/c.py": BARE}))  # still generated: none
    repo.git("mv", "gen/.gitattributes", "gen/old.attributes")  # a rename drops them
    made.append(repo.commit("unmark"))
    made.append(repo.commit("four", files={"gen/d.py": BARE}))  # a finding again
    repo.git("mv", "gen/old.attributes", "gen/.gitattributes")  # and back
    made.append(repo.commit("remark"))
    made.append(repo.commit("five", files={"gen/e.py": BARE}))  # none
    repo.write({"gen/.gitattributes": ""})
    made.append(repo.commit("empty", files={"gen/.gitattributes": ""}))
    made.append(repo.commit("six", files={"gen/f.py": BARE}))  # a finding

    got = _header_findings(repo, f"{base}..HEAD")
    alone = sorted(m for c in made for m in _header_findings(repo, f"{c}^..{c}"))
    assert got == alone
    assert sorted(p for _, p in got) == ["gen/a.py", "gen/d.py", "gen/f.py"]


def test_a_merge_bringing_attributes_is_read_again(tmp_path: Path) -> None:
    """A merge's diff does not list what it takes from the other side: the commit after it
    reads the merge's own attributes."""
    repo = make_repo(tmp_path / "r")
    base = repo.head()
    repo.git("checkout", "-q", "-b", "side")
    side = repo.commit("mark", files={".gitattributes": "gen/** linguist-vendored\n"})
    repo.git("checkout", "-q", "main")
    first = repo.commit("one", files={"gen/a.py": BARE})  # main has no attributes: a finding
    repo.git("merge", "-q", "--no-edit", "side")
    after = repo.commit("two", files={"gen/b.py": BARE})  # the merge brought them: none
    got = _header_findings(repo, f"{base}..HEAD")
    assert got == [(first[:12], "gen/a.py")]
    assert _header_findings(repo, f"{after}^..{after}") == []
    assert side
