# tests/test_merge_streams.py: a range's merges get exactly the combined diff one git log gave.
"""``log_changes`` reads commits from one ``git log`` without merge diffs and takes each
merge's combined diff from a side stream (without copy detection when every path of it is
modified against every parent, with it otherwise), asked only for merges that have one.
These tests build every kind of merge, evil ones included, and compare what the range
reader returns with a single ``git log --diff-merges=combined -C`` parsed the same way.
"""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

from helpers import GitRepo, findings, make_repo

from gatekeeper import git as gitmod
from gatekeeper.changes import LOG_FORMAT, ChangeSet, parse_log_stream

KEY = "ghp" + "_" + "A1b2C3d4E5" * 4  # a GitHub token by format


def _one_stream(repo: GitRepo, base: str, tip: str) -> list[ChangeSet]:
    """What the range reader gave before it split the stream: one git log for everything."""
    r = gitmod.discover(repo.path)
    cwd, env, cfg = gitmod.attribute_free(r)
    proc = subprocess.run(
        ["git", *cfg[:4], "log", "--reverse", "--topo-order", "--no-show-signature",
         "--no-relative", LOG_FORMAT, "--diff-merges=combined", *gitmod._LOG_DIFF_OPTS,
         f"{base}..{tip}"], cwd=cwd, env={**gitmod._env(), **env}, capture_output=True,
        check=True)
    return list(parse_log_stream(io.BufferedReader(io.BytesIO(proc.stdout))))


def _merge(repo: GitRepo, other: str, msg: str, files: dict[str, str] | None = None,
           strategy: str = "") -> str:
    args = ["merge", "-q", "--no-ff", "--no-commit", *(["-s", strategy] if strategy else []),
            other]
    repo.git(*args, check=False)
    for name, text in (files or {}).items():
        repo.write({name: text})
        repo.git("add", "--", name)
    repo.git("commit", "-q", "--no-verify", "-m", msg)
    return repo.head()


def _history(tmp_path: Path) -> tuple[GitRepo, str, dict[str, str]]:
    repo = make_repo(tmp_path / "r")
    repo.commit("base", files={"app/views.py": "".join(f"v{i} = {i}\n" for i in range(40)),
                               "app/models.py": "class M:\n    pass\n",
                               "docs/guide.md": "# Guide\n"})
    base = repo.head()
    merges: dict[str, str] = {}
    # 1. a clean merge: no path differs from both parents (no combined diff at all)
    repo.git("checkout", "-q", "-b", "side1")
    repo.commit("side docs", files={"docs/guide.md": "# Guide\n\nMore.\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main views", files={"app/extra.py": "X = 1\n"})
    merges["clean"] = _merge(repo, "side1", "merge side1")
    # 2. both sides change one file; the merge resolves it with a secret of its own (M, M)
    repo.git("checkout", "-q", "-b", "side2")
    repo.commit("side views", files={"app/views.py": "side = 1\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main views again", files={"app/views.py": "main = 1\n"})
    merges["resolved"] = _merge(repo, "side2", "merge side2",
                                {"app/views.py": f"side = 1\nmain = 1\nkey = '{KEY}'\n"})
    # 3. a side renames a file, main changes it, the merge edits it again (renames at play)
    repo.git("checkout", "-q", "-b", "side3")
    (repo.path / "db").mkdir()
    repo.git("mv", "app/models.py", "db/models.py")
    repo.commit("move models")
    repo.git("checkout", "-q", "main")
    repo.commit("main models", files={"app/models.py": "class M:\n    name = 'm'\n"})
    merges["renamed"] = _merge(repo, "side3", "merge side3",
                               {"db/models.py": "class M:\n    name = 'm'\n    extra = 2\n"})
    # 4. an evil merge: a file neither parent has (A, A), a secret in it
    repo.git("checkout", "-q", "-b", "side4")
    repo.commit("side4 work", files={"docs/side4.md": "side 4\n"})
    repo.git("checkout", "-q", "main")
    merges["evil"] = _merge(repo, "side4", "merge side4", {"app/evil.py": f"K = '{KEY[:-4]}Zz9Q'\n"})
    # 5. an octopus merge of two branches touching different files
    for b in ("o1", "o2"):
        repo.git("checkout", "-q", "-b", b, "main")
        repo.commit(f"{b} work", files={f"docs/{b}.md": f"{b}\n"})
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-edit", "-m", "octopus", "o1", "o2")
    merges["octopus"] = repo.head()
    # 6. -s ours: the merge keeps main's tree (paths differ from the side only)
    repo.git("checkout", "-q", "-b", "side6")
    repo.commit("side6 work", files={"app/views.py": "side six\n"})
    repo.git("checkout", "-q", "main")
    merges["ours"] = _merge(repo, "side6", "merge side6", strategy="ours")
    return repo, base, merges


def test_every_merge_gets_the_combined_diff_one_log_gave(tmp_path: Path) -> None:
    repo, base, merges = _history(tmp_path)
    r = gitmod.discover(repo.path)
    got = list(gitmod.log_changes(r, ["HEAD"], [base]))
    want = _one_stream(repo, base, "HEAD")
    assert [c.commit for c in got] == [c.commit for c in want]
    assert got == want
    by_id = {c.commit: c for c in got}
    # The history does hold each kind: no diff, a plain one, one with renames, an evil file.
    assert by_id[merges["clean"]].files == [] and by_id[merges["ours"]].files == []
    assert [f.path for f in by_id[merges["resolved"]].files] == ["app/views.py"]
    assert [f.path for f in by_id[merges["evil"]].files] == ["app/evil.py"]
    assert "db/models.py" in [f.path for f in by_id[merges["renamed"]].files]
    kinds = gitmod._merge_kinds(*gitmod.attribute_free(r)[:2],
                                gitmod.range_commits(r, ["HEAD"], [base]))
    assert kinds[merges["resolved"]] == "plain"
    assert kinds[merges["evil"]] == "copies" and kinds[merges["renamed"]] == "copies"
    assert merges["clean"] not in kinds and merges["ours"] not in kinds


def test_secrets_a_merge_adds_are_found_in_a_range(tmp_path: Path) -> None:
    repo, base, merges = _history(tmp_path)
    proc = repo.gk("check", "--range", f"{base}..HEAD", "--format", "json", "--no-notes")
    assert proc.returncode == 1, proc.stderr
    hits = findings(json.loads(proc.stdout), "hardcoded-secret")
    where = {(h["commit"], h["paths"][0]) for h in hits}
    assert (merges["resolved"][:12], "app/views.py") in where
    assert (merges["evil"][:12], "app/evil.py") in where


def test_a_limited_range_and_excluded_refs_keep_their_merges(tmp_path: Path) -> None:
    """--max-count and --not <refs> choose the same merges in every stream."""
    repo, base, merges = _history(tmp_path)
    r = gitmod.discover(repo.path)
    for limit in (3, 7, 50):
        got = list(gitmod.log_changes(r, ["HEAD"], [base], limit=limit))
        want = _one_stream(repo, base, "HEAD")[-limit:]
        assert got == want, limit
    repo.git("update-ref", "refs/heads/known", merges["renamed"])
    got = list(gitmod.log_changes(r, ["HEAD"], [], exclude_refs=["refs/heads/known"]))
    assert got == _one_stream(repo, merges["renamed"], "HEAD")
