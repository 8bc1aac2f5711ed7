# tests/test_attack_git.py: attack cases against the diff reader: git features that change what the gate sees.
"""Each test is an attempt to get a violating change past the gate with a git feature:
type changes that shift the patch, in-tree attributes that hide lines, replace refs and
grafts, merges that undo the other side's ledger, encodings and sizes beyond the scan
limits, and ledger edits that keep the text's prefix but change its meaning. All use real
repositories, the real CLI, and (for the server) real pushes into a bare repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import GitRepo, findings, git, pact_repo
from server_helpers import clear_inbox, inbox_rules, make_server, push, ref_of, team_repo

TOKEN = "ghp" + "_" + "A1b2C3d4E5" * 4
SECRET = f'TOKEN = "{TOKEN}"\n'


# -- helpers ---------------------------------------------------------------------------------

def rules_of(report: dict[str, Any]) -> set[str]:
    return {f["rule"] for f in report["findings"]}


def check(repo: GitRepo, mode: str, base: str, agent: str = "backend-coder",
          env: dict[str, str] | None = None) -> dict[str, Any]:
    """Judge what ``repo`` holds in ``mode``: staged (the index), commit (HEAD), range."""
    if mode == "staged":
        msg = repo.path.parent / "msg.txt"
        msg.write_text(f"change\n\nPACT-Agent: {agent}\n", encoding="utf-8")
        proc = repo.gk("check", "--staged", "--message-file", str(msg), "--format", "json",
                       "--no-notes", env=env)
    elif mode == "commit":
        proc = repo.gk("check", "--commit", "HEAD", "--format", "json", "--no-notes", env=env)
    else:
        proc = repo.gk("check", "--range", f"{base}..HEAD", "--format", "json", "--no-notes",
                       env=env)
    assert proc.returncode in (0, 1), proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def land(repo: GitRepo, mode: str, message: str, agent: str = "backend-coder") -> None:
    """Commit the index (except in staged mode, which judges the index itself)."""
    if mode != "staged":
        repo.commit(message, agent=agent)


def symlink(repo: GitRepo, path: str, target: str) -> None:
    p = repo.path / path
    if p.exists() or p.is_symlink():
        p.unlink()
    p.parent.mkdir(parents=True, exist_ok=True)
    p.symlink_to(target)
    repo.git("add", "--", path)


def gitlink(repo: GitRepo, path: str) -> None:
    """Make ``path`` a submodule entry (mode 160000) in the index."""
    sha = repo.head()
    repo.git("rm", "-q", "--cached", "--ignore-unmatch", "--", path)
    p = repo.path / path
    if p.exists() or p.is_symlink():
        p.unlink()
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{sha},{path}")


def regular(repo: GitRepo, path: str, text: str) -> None:
    repo.git("rm", "-q", "--cached", "--ignore-unmatch", "--", path)
    p = repo.path / path
    if p.is_symlink():
        p.unlink()
    repo.stage({path: text})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("attack-server")
    repo = team_repo(root / "team", estimate=100_000)
    return make_server(repo, root / "srv.git")


@pytest.fixture
def work(server: Path, tmp_path: Path) -> GitRepo:
    git(tmp_path, "clone", "-q", str(server), "work")
    clear_inbox(server)
    repo = GitRepo(tmp_path / "work")
    repo.git("config", "user.name", "bob")
    repo.git("config", "user.email", "bob@example.com")
    return repo


def client_repo(tmp_path: Path, estimate: int = 100_000) -> tuple[GitRepo, str]:
    repo = pact_repo(tmp_path / "r", estimate=estimate)
    return repo, repo.head()


# -- class 1: type changes never shift or drop another file's diff ---------------------------

def _type_changes(repo: GitRepo) -> None:
    """Three type changes (file->symlink, symlink->file, file->submodule) sorted before a
    file that adds a secret."""
    repo.commit("setup", agent="backend-coder",
                files={"src/auth/a.py": "# a\nA = 1\n", "src/auth/c.py": "# c\nC = 1\n",
                       "src/auth/z.py": "# z\nZ = 1\n"})
    symlink(repo, "src/auth/b.py", "a.py")
    repo.commit("link", agent="backend-coder")
    symlink(repo, "src/auth/a.py", "c.py")
    regular(repo, "src/auth/b.py", "# b\nB = 2\n")
    gitlink(repo, "src/auth/c.py")
    repo.stage({"src/auth/z.py": "# z\nZ = 1\n" + SECRET})


@pytest.mark.parametrize("mode", ["staged", "commit", "range"])
def test_type_changes_do_not_hide_the_next_files_lines(tmp_path: Path, mode: str) -> None:
    repo, base = client_repo(tmp_path)
    _type_changes(repo)
    land(repo, mode, "type changes")
    report = check(repo, mode, base)
    hits = findings(report, "hardcoded-secret")
    assert [h["paths"] for h in hits] == [["src/auth/z.py"]], report["findings"]


def test_type_changes_do_not_hide_lines_from_the_server(server: Path, work: GitRepo) -> None:
    _type_changes(work)
    work.commit("type changes", agent="backend-coder")
    proc = push(work, "origin", "HEAD:refs/heads/type-changes", user="bob")
    assert proc.returncode == 1, proc.stderr
    assert "hardcoded-secret" in inbox_rules(server)
    assert ref_of(server, "refs/heads/type-changes") is None


def test_symlink_turned_file_is_read_as_that_file(tmp_path: Path) -> None:
    """The type-changed path's own new content (its second patch section) is judged."""
    repo, base = client_repo(tmp_path)
    symlink(repo, "src/auth/keys.py", "../../README.md")
    repo.commit("link", agent="backend-coder")
    regular(repo, "src/auth/keys.py", "# keys\n" + SECRET)
    repo.commit("keys", agent="backend-coder")
    report = check(repo, "range", base)
    assert [h["paths"] for h in findings(report, "hardcoded-secret")] == [["src/auth/keys.py"]]


def test_submodule_turned_file_then_symlink_keeps_every_line(tmp_path: Path) -> None:
    repo, base = client_repo(tmp_path)
    repo.commit("setup", agent="backend-coder", files={"src/auth/m.py": "# m\n"})
    gitlink(repo, "src/auth/g")
    symlink(repo, "src/auth/s", "m.py")
    repo.commit("gitlink and symlink", agent="backend-coder")
    regular(repo, "src/auth/g", "# g\nG = 1\n")
    gitlink(repo, "src/auth/s")
    repo.stage({"src/auth/y.py": "# y\n" + SECRET})
    repo.commit("swap", agent="backend-coder")
    report = check(repo, "range", base)
    assert [h["paths"] for h in findings(report, "hardcoded-secret")] == [["src/auth/y.py"]]


# -- class 2: renames and copies keep both names; deletions keep theirs ----------------------

def _changes(repo: GitRepo, mode: str) -> list[Any]:
    """The FileChanges the gate reads for the index (staged) or HEAD (log)."""
    from gatekeeper import git as gitmod

    r = gitmod.discover(repo.path)
    if mode == "staged":
        return gitmod.staged_changes(r, repo.head(), "", ("", "")).files
    [change] = list(gitmod.log_changes(r, [repo.head()], [f"{repo.head()}~1"]))
    return change.files


@pytest.mark.parametrize("mode", ["staged", "log"])
def test_rename_and_copy_keep_their_source_path(tmp_path: Path, mode: str) -> None:
    repo, _ = client_repo(tmp_path)
    body = "".join(f"line {i}\n" for i in range(40))
    repo.commit("setup", agent="backend-coder",
                files={"db/migrations/0001_init.sql": "-- m\n" + body, "src/auth/x.py": body})
    repo.git("mv", "db/migrations/0001_init.sql", "src/auth/init.sql")
    repo.stage({"src/auth/x.py": body + "more\n", "src/auth/x_copy.py": body})
    if mode == "log":
        repo.commit("move and copy", agent="backend-coder")
    files = {f.path: f for f in _changes(repo, mode)}
    moved, copied = files["src/auth/init.sql"], files["src/auth/x_copy.py"]
    assert (moved.status, moved.old_path) == ("R", "db/migrations/0001_init.sql")
    assert (copied.status, copied.old_path) == ("C", "src/auth/x.py")


def test_deleted_file_keeps_its_path_and_the_next_file_its_lines(tmp_path: Path) -> None:
    repo, base = client_repo(tmp_path)
    repo.commit("setup", agent="backend-coder", files={"src/auth/a.py": "# a\n"})
    repo.git("rm", "-q", "src/auth/a.py")
    symlink(repo, "src/auth/b.py", "x")
    repo.commit("delete", agent="backend-coder")
    regular(repo, "src/auth/b.py", "# b\n" + SECRET)
    repo.commit("b", agent="backend-coder")
    files = {f.path: f for f in _changes(repo, "log")}
    assert files["src/auth/b.py"].added_lines[-1][1] == SECRET.strip()
    report = check(repo, "range", base)
    assert findings(report, "hardcoded-secret")


# -- class 3: attributes never hide lines or line counts -------------------------------------

ATTRIBUTES = ["src/** -diff\n", "*.py binary\n", "*.py diff=hide\n"]


@pytest.mark.parametrize("attrs", ATTRIBUTES)
def test_attributes_do_not_hide_a_secret_from_the_client(tmp_path: Path, attrs: str) -> None:
    repo, base = client_repo(tmp_path)
    repo.git("config", "diff.hide.binary", "true")  # the "diff=hide" driver says binary
    repo.commit("attributes", agent="backend-coder", files={".gitattributes": attrs})
    repo.stage({"src/auth/keys.py": "# keys\n" + SECRET})
    assert findings(check(repo, "staged", base), "hardcoded-secret")


def test_attributes_do_not_hide_a_secret_from_ci(tmp_path: Path) -> None:
    repo, base = client_repo(tmp_path)
    repo.commit("keys", agent="backend-coder",
                files={".gitattributes": "*.py -diff\n", "src/auth/keys.py": "# keys\n" + SECRET})
    assert findings(check(repo, "range", base), "hardcoded-secret")


def test_attributes_do_not_shrink_the_scope_budget_on_the_client(tmp_path: Path) -> None:
    repo, base = client_repo(tmp_path, estimate=10)
    repo.commit("attributes", agent="backend-coder", files={".gitattributes": "src/** -diff\n"})
    repo.stage({"src/auth/big.py": "# big\n" + "".join(f"v{i} = {i}\n" for i in range(30))})
    report = check(repo, "staged", base)
    assert findings(report, "scope-budget"), report["findings"]


def test_attributes_do_not_shrink_the_scope_budget_in_ci(tmp_path: Path) -> None:
    repo, base = client_repo(tmp_path, estimate=10)
    repo.commit("big", agent="backend-coder",
                files={".gitattributes": "*.py binary\n",
                       "src/auth/big.py": "# big\n" + "".join(f"v{i} = {i}\n" for i in range(30))})
    report = check(repo, "range", base)
    assert findings(report, "scope-budget"), report["findings"]


@pytest.mark.parametrize("how", ["bigFileThreshold", "info/attributes"])
def test_text_git_calls_binary_still_counts_in_the_scope_budget(tmp_path: Path,
                                                                how: str) -> None:
    """git's numstat calls a text file binary when it is over core.bigFileThreshold, or when
    the administrator's info/attributes says so: the range counts its lines all the same."""
    repo, base = client_repo(tmp_path, estimate=10)
    if how == "bigFileThreshold":
        repo.git("config", "core.bigFileThreshold", "1k")
    else:
        info = Path(repo.git("rev-parse", "--git-common-dir").stdout.strip())
        info = info if info.is_absolute() else repo.path / info
        (info / "info").mkdir(exist_ok=True)
        (info / "info" / "attributes").write_text("*.py binary\n", encoding="utf-8")
    body = "# big\n" + "".join(f"value_number_{i} = {i} * 1000\n" for i in range(60))
    assert len(body) > 1024
    repo.commit("big", agent="backend-coder", files={"src/auth/big.py": body})
    numstat = repo.git("diff-tree", "--numstat", "-r", "HEAD~1", "HEAD").stdout
    assert numstat.startswith("-\t-\t"), numstat  # git itself counts nothing
    (hit,) = findings(check(repo, "range", base), "scope-budget")
    assert "61 of 10" in hit["message"], hit["message"]


def test_real_binary_files_stay_binary(tmp_path: Path) -> None:
    """Binary by content (a NUL byte): not scanned, counted as zero lines, as before."""
    repo, base = client_repo(tmp_path, estimate=10)
    blob = b"\x89PNG\r\n\x1a\n\x00\x00" + SECRET.encode() * 40
    repo.commit("image", agent="backend-coder", files={"src/auth/logo.png": blob})
    report = check(repo, "range", base)
    assert not findings(report, "hardcoded-secret") and not findings(report, "scope-budget")


# -- class 4: replace refs and grafts are ignored --------------------------------------------

def _clean_twin(repo: GitRepo, bad: str) -> str:
    """A commit with ``bad``'s parent, message and trailers but without its change."""
    tree = repo.git("rev-parse", f"{bad}~1^{{tree}}").stdout.strip()
    msg = repo.git("log", "-1", "--format=%B", bad).stdout
    return repo.git("commit-tree", tree, "-p", f"{bad}~1", input=msg).stdout.strip()


def test_replace_ref_does_not_swap_the_judged_commit(tmp_path: Path) -> None:
    repo, base = client_repo(tmp_path)
    bad = repo.commit("keys", agent="backend-coder",
                      files={"src/auth/keys.py": "# keys\n" + SECRET})
    repo.git("replace", bad, _clean_twin(repo, bad))
    assert findings(check(repo, "range", base), "hardcoded-secret")
    assert findings(check(repo, "commit", base), "hardcoded-secret")


def test_replaced_blob_is_not_what_is_judged(tmp_path: Path) -> None:
    repo, base = client_repo(tmp_path)
    repo.commit("keys", agent="backend-coder", files={"src/auth/keys.py": "# keys\n" + SECRET})
    bad_blob = repo.git("rev-parse", "HEAD:src/auth/keys.py").stdout.strip()
    clean = repo.git("hash-object", "-w", "--stdin", input="# keys\nTOKEN = None\n").stdout.strip()
    repo.git("replace", "-f", bad_blob, clean)
    assert findings(check(repo, "range", base), "hardcoded-secret")


def test_grafts_do_not_rewrite_history(tmp_path: Path) -> None:
    repo, base = client_repo(tmp_path)
    repo.commit("keys", agent="backend-coder", files={"src/auth/keys.py": "# keys\n" + SECRET})
    fix = repo.commit("no keys", agent="backend-coder", files={"src/auth/keys.py": "# keys\n"})
    # Graft the fix straight onto the base: the commit with the secret leaves the range.
    (repo.path / ".git" / "info").mkdir(exist_ok=True)
    (repo.path / ".git" / "info" / "grafts").write_text(f"{fix} {base}\n")
    assert findings(check(repo, "range", base), "hardcoded-secret")


def test_replace_ref_on_the_server_does_not_swap_a_pushed_commit(
        server: Path, work: GitRepo) -> None:
    bad = work.commit("keys", agent="backend-coder",
                      files={"src/auth/keys.py": "# keys\n" + SECRET})
    twin = _clean_twin(work, bad)
    # Step 1: a replace ref naming the commit to come (pushing refs/replace is h3's to refuse;
    # here it is planted in the bare repository as if an earlier push had landed it).
    git(server, "fetch", "-q", str(work.path), f"{twin}:refs/heads/tmp-twin")
    git(server, "update-ref", f"refs/replace/{bad}", twin)
    git(server, "update-ref", "-d", "refs/heads/tmp-twin")
    proc = push(work, "origin", "HEAD:refs/heads/replaced", user="bob")
    git(server, "update-ref", "-d", f"refs/replace/{bad}")
    assert proc.returncode == 1, proc.stderr
    assert "hardcoded-secret" in inbox_rules(server)


# -- class 5: merges are judged against each parent for governed paths -----------------------

def _main_moves_on(server: Path, tmp_path: Path) -> None:
    """alice records a ledger event and a config change on main."""
    git(tmp_path, "clone", "-q", str(server), "alice")
    alice = GitRepo(tmp_path / "alice")
    alice.orchestrate("estimate", "billing", "77", "--reason", "billing grew")
    alice.commit_ledger("billing estimate")
    assert push(alice, "origin", "HEAD:main", user="alice").returncode == 0, "alice's push"


@pytest.mark.parametrize("where", ["server", "range"])
def test_merge_ours_cannot_undo_mains_ledger(server: Path, work: GitRepo, tmp_path: Path,
                                              where: str) -> None:
    start = work.head()
    work.commit("feature work", agent="backend-coder",
                files={f"src/auth/{tmp_path.name}.py": "# f\nF = 1\n"})
    _main_moves_on(server, tmp_path)
    work.git("fetch", "-q", "origin")
    work.git("merge", "-q", "-s", "ours", "--no-edit", "-m",
             "merge main\n\nPACT-Agent: backend-coder\n", "origin/main")
    if where == "range":
        report = check(work, "range", f"{start}")
        hits = findings(report, "ledger-integrity")
        assert hits and any("drops or changes ledger events" in h["message"] for h in hits), hits
        return
    proc = push(work, "origin", "HEAD:refs/heads/ours-merge", user="bob")
    assert proc.returncode == 1, proc.stderr
    assert "ledger-integrity" in inbox_rules(server)
    assert ref_of(server, "refs/heads/ours-merge") is None


def test_merge_ours_is_caught_on_the_client_before_it_is_made(
        server: Path, work: GitRepo, tmp_path: Path) -> None:
    work.commit("feature work", agent="backend-coder",
                files={f"src/auth/{tmp_path.name}.py": "# f\nF = 1\n"})
    _main_moves_on(server, tmp_path)
    work.git("fetch", "-q", "origin")
    work.git("merge", "-q", "-s", "ours", "--no-commit", "origin/main")
    hits = findings(check(work, "staged", work.head()), "ledger-integrity")
    assert hits and any("drops or changes ledger events" in h["message"] for h in hits), hits


def test_merge_that_reverts_mains_config_is_a_governed_change(
        server: Path, work: GitRepo, tmp_path: Path) -> None:
    start = work.head()
    git(tmp_path, "clone", "-q", str(server), "alice")
    alice = GitRepo(tmp_path / "alice")
    cfg = alice.path / ".pact" / "config.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + f"\n# reviewed by alice {tmp_path.name}\n",
                   encoding="utf-8")
    alice.commit_ledger("config note")
    assert push(alice, "origin", "HEAD:main", user="alice").returncode == 0
    work.commit("feature work", agent="backend-coder",
                files={f"src/auth/{tmp_path.name}.py": "# f\nF = 1\n"})
    work.git("fetch", "-q", "origin")
    work.git("merge", "-q", "-s", "ours", "--no-edit", "-m",
             "merge main\n\nPACT-Agent: backend-coder\n", "origin/main")
    report = check(work, "range", start)
    hits = findings(report, "ledger-integrity")
    assert hits and hits[0]["level"] == "HALT" and ".pact/config.toml" in hits[0]["paths"], hits


@pytest.mark.parametrize("section,governed", [
    ("[tool.gatekeeper]\ninbox = '.pact/alice-inbox'\n", True),  # main set a gatekeeper key
    ("[tool.black]\nline-length = 99\n", False),  # main changed nothing the gatekeeper reads
])
def test_merge_ours_over_mains_pyproject(work: GitRepo, tmp_path: Path, section: str,
                                         governed: bool) -> None:
    """``-s ours`` dropping main's ``[tool.gatekeeper]`` is a governed change by the merger;
    dropping another tool's section of the same file is not (the control case)."""
    work.commit("pyproject", agent="orchestrator",
                files={"pyproject.toml": "[project]\nname = 'demo'\n"})
    start = work.head()
    work.git("checkout", "-q", "-b", "mainline")
    work.commit("pyproject section", agent="orchestrator",
                files={"pyproject.toml": f"[project]\nname = 'demo'\n\n{section}"})
    work.git("checkout", "-q", "-")
    work.commit("feature work", agent="backend-coder",
                files={f"src/auth/{tmp_path.name}.py": "# f\nF = 1\n"})
    work.git("merge", "-q", "-s", "ours", "--no-edit", "-m",
             "merge main\n\nPACT-Agent: backend-coder\n", "mainline")
    merge = work.head()[:12]
    hits = [h for h in findings(check(work, "range", start), "ledger-integrity")
            if h["commit"] == merge]
    if governed:
        assert hits and hits[0]["paths"] == ["pyproject.toml"], hits
        assert "changed by backend-coder" in hits[0]["message"]
    else:
        assert not hits, hits


def test_plain_merge_of_main_does_not_rejudge_mains_work(
        server: Path, work: GitRepo, tmp_path: Path) -> None:
    """Not an attack: the control case. Merging main (with its ledger events) into a feature
    is not a governed change by the feature's author."""
    start = work.head()
    work.commit("feature work", agent="backend-coder",
                files={f"src/auth/{tmp_path.name}.py": "# f\nF = 1\n"})
    _main_moves_on(server, tmp_path)
    work.git("fetch", "-q", "origin")
    work.git("merge", "-q", "--no-edit", "-m", "merge main\n\nPACT-Agent: backend-coder\n",
             "origin/main")
    assert not findings(check(work, "range", start), "ledger-integrity")
    proc = push(work, "origin", "HEAD:refs/heads/plain-merge", user="bob")
    assert proc.returncode == 0, proc.stderr


# -- class 6: encodings and sizes are not holes ----------------------------------------------

@pytest.mark.parametrize("codec,bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
                                       ("utf-32-le", b"\xff\xfe\x00\x00")])
def test_wide_text_with_a_bom_is_scanned(tmp_path: Path, codec: str, bom: bytes) -> None:
    repo, base = client_repo(tmp_path)
    data = bom + ("# keys\n" + SECRET).encode(codec)
    repo.stage({"src/auth/keys.py": data})
    assert findings(check(repo, "staged", base), "hardcoded-secret")
    repo.commit("keys", agent="backend-coder")
    assert findings(check(repo, "range", base), "hardcoded-secret")


def test_wide_text_is_scanned_on_the_server(server: Path, work: GitRepo) -> None:
    work.commit("keys", agent="backend-coder",
                files={"src/auth/keys.py": b"\xff\xfe" + ("# keys\n" + SECRET).encode("utf-16-le")})
    proc = push(work, "origin", "HEAD:refs/heads/wide", user="bob")
    assert proc.returncode == 1 and "hardcoded-secret" in inbox_rules(server), proc.stderr


def test_secret_past_column_4000_is_caught(tmp_path: Path) -> None:
    repo, base = client_repo(tmp_path)
    repo.stage({"src/auth/wide.py": "# wide\nX = 1;" + " " * 5000 + SECRET})
    assert findings(check(repo, "staged", base), "hardcoded-secret")


def test_secret_past_line_20000_is_caught(tmp_path: Path) -> None:
    repo, base = client_repo(tmp_path)
    repo.commit("long", agent="backend-coder",
                files={"src/auth/long.py": "# long\n" + "x = 1\n" * 25_000 + SECRET})
    hits = findings(check(repo, "range", base), "hardcoded-secret")
    assert hits and hits[0]["line"] == 25_002


def test_server_blocks_a_file_beyond_the_scan_limit(server: Path, work: GitRepo) -> None:
    """Never accepted unread: the block names the file and the limit; raising the limit (the
    remedy, an administrator's setting) scans the file in full and accepts it."""
    work.commit("big", agent="backend-coder",
                files={"src/auth/big.py": "# big\n" + "value = 12345\n" * 2_000})
    proc = push(work, "origin", "HEAD:refs/heads/big", user="bob",
                env={"GATEKEEPER_SCAN_LIMIT": "10000"})
    assert proc.returncode == 1, proc.stderr
    assert "scan-limit" in proc.stderr and "src/auth/big.py" in proc.stderr
    assert "10,000 bytes" in proc.stderr
    proc = push(work, "origin", "HEAD:refs/heads/big", user="bob",
                env={"GATEKEEPER_SCAN_LIMIT": "0"})
    assert proc.returncode == 0, proc.stderr


# -- class 7: ledger integrity by meaning ----------------------------------------------------

def _ledger(repo: GitRepo) -> Path:
    return repo.path / ".pact" / "ledger.yaml"


@pytest.mark.parametrize("mode", ["staged", "range"])
def test_text_appended_to_the_last_event_is_a_rewrite(tmp_path: Path, mode: str) -> None:
    repo, base = client_repo(tmp_path, estimate=40)
    repo.orchestrate("estimate", "auth", "40", "--reason", "kept")
    repo.commit_ledger("estimate")
    base = repo.head()
    text = _ledger(repo).read_text(encoding="utf-8")
    # "reason: kept" becomes "reason: keptx" and nothing else moves: the old text is a prefix.
    _ledger(repo).write_text(text.rstrip("\n") + "x\n", encoding="utf-8")
    repo.git("add", ".pact/ledger.yaml")
    land(repo, mode, "touch up", agent="orchestrator")
    report = check(repo, mode, base, agent="orchestrator")
    hits = findings(report, "ledger-integrity")
    assert hits and "changed or removed" in hits[0]["message"], report["findings"]


def test_approval_must_name_a_committed_file(tmp_path: Path) -> None:
    repo, base = client_repo(tmp_path)
    repo.write({"docs/architecture/billing.md": "# billing\n"})
    repo.orchestrate("feature", "add", "billing", "--paths", "src/billing/**")
    repo.orchestrate("approve", "billing", "docs/architecture/billing.md")
    repo.git("add", ".pact")  # the document itself stays out of the commit
    repo.commit("approve billing", agent="orchestrator")
    hits = findings(check(repo, "range", base, agent="orchestrator"), "ledger-integrity")
    assert hits and "not in this commit" in hits[0]["message"], hits


def test_approval_must_match_the_committed_content(tmp_path: Path) -> None:
    repo, base = client_repo(tmp_path)
    repo.write({"docs/architecture/billing.md": "# billing, as reviewed\n"})
    repo.orchestrate("feature", "add", "billing", "--paths", "src/billing/**")
    repo.orchestrate("approve", "billing", "docs/architecture/billing.md")
    repo.stage({"docs/architecture/billing.md": "# billing, something else\n"})
    repo.git("add", ".pact")
    hits = findings(check(repo, "staged", base, agent="orchestrator"), "ledger-integrity")
    assert hits and "records sha256" in hits[0]["message"], hits
    # The remedy: approve the committed version.
    repo.orchestrate("approve", "billing", "docs/architecture/billing.md")
    repo.git("add", ".pact")
    msgs = [h["message"] for h in findings(check(repo, "staged", base, agent="orchestrator"),
                                           "ledger-integrity")]
    assert not any("sha256" in m for m in msgs), msgs
