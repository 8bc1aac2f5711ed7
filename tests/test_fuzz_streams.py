# tests/test_fuzz_streams.py: fuzzing commit messages, paths (any bytes) and git's diff/log streams.
"""Structure-aware: a well-formed ``git log`` / ``git diff --raw -z -p`` stream is built from
drawn commits (any bytes in paths, any text in messages), then maybe cut or spliced, and
parsed by ``parse_log_stream`` / ``parse_diff_stream``; every change is then judged by the
engine against a valid context and its findings rendered (JSON and text).

The outcome must be a verdict within the time bound. Profiles as in test_fuzz_inputs.py
(``GATEKEEPER_FUZZ=long`` for 10,000 examples per target).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_fuzz_inputs import FUZZ, _bounds_and_counts, judge, run

from gatekeeper import context as gk_context
from gatekeeper.changes import ChangeSet, parse_diff_stream, parse_log_stream, parse_trailers
from gatekeeper.context import CONFIG_PATH
from gatekeeper.engine import Environment, evaluate
from gatekeeper.errors import GitError
from gatekeeper.identity import resolve
from gatekeeper.ledger import LEDGER_PATH

__all__ = ["_bounds_and_counts"]  # the memory bound and the counts report apply here too

MARK = b"\0\0GK1\0"
LEDGER = (b"---\nevent: init\n---\nevent: feature\nid: auth\npaths: ['src/auth/**']\n"
          b"estimate: 10\n---\nevent: feature\nid: web\npaths: ['web/**']\n")


def _context() -> gk_context.Context:
    texts = {CONFIG_PATH: None, "pyproject.toml": None,
             LEDGER_PATH: LEDGER.decode()}
    return gk_context._build(texts, [], "fuzz-streams", "")


CTX = _context()

PATH_BYTES = st.one_of(
    st.binary(min_size=1, max_size=60).filter(lambda b: b"\0" not in b),
    st.sampled_from([b"src/auth/\xff\xfe.py", b"db/migrations/0002_\xe9.sql", b".pact/ledger.yaml",
                     b".PACT/config.toml", b"src/auth/" + "\u0301".encode() + b"x.py",
                     b"a\nb.py", b"-rf", b" ", b"\\", b"..", b"src/auth/../../etc/passwd",
                     b"x" * 4096, b".env", b"web/\x1b[31m.js"]),
)
LINE_BYTES = st.one_of(
    st.binary(max_size=80).filter(lambda b: b"\n" not in b and b"\0" not in b),
    st.sampled_from([b"password = 'hunter2hunter2Xy9'", b"DROP TABLE users;",
                     b"AKIAABCDEFGHIJKLMNOP", b"log.info(user.email)", b"x" * 5000,
                     "\u202e".encode(), b"\xef\xbb\xbf", b"\xff\xfe\x00"]),
)
MESSAGE = st.one_of(
    st.text(max_size=200).filter(lambda t: "\0" not in t),
    st.builds(
        lambda subject, body, trailers, crlf: (subject + "\n\n" + body + "\n\n"
                                               + "\n".join(trailers)).replace(
            "\n", "\r\n" if crlf else "\n"),
        st.sampled_from(["#1234: add a column", "feat: x", "", "Merge branch 'x'", "\u00e9t\u00e9"]),
        st.text(max_size=60).filter(lambda t: "\0" not in t),
        st.lists(st.sampled_from([
            "PACT-Agent: backend-coder", "PACT-Agent: database-engineer", "PACT-Agent:",
            "PACT-Agent: \u0000x", "PACT-Agent: pact-orchestrator", "PACT-Feature: auth",
            "PACT-Feature: ../../x", "Co-authored-by: a <b@c>", "# comment",
            "(cherry picked from commit abc)", "pact-agent: BACKEND_CODER", "PACT-Agent: " + "x" * 500,
        ]), max_size=4),
        st.booleans(),
    ),
)


@st.composite
def commits(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(1, 3))):
        files = []
        for _ in range(draw(st.integers(0, 4))):
            status = draw(st.sampled_from(["A", "M", "D", "R100", "C075", "T"]))
            files.append({"status": status, "path": draw(PATH_BYTES),
                          "old": draw(PATH_BYTES) if status[0] in "RC" else None,
                          "mode": draw(st.sampled_from(["100644", "100755", "120000", "160000"])),
                          "lines": draw(st.lists(LINE_BYTES, max_size=6)),
                          "binary": draw(st.integers(0, 9)) == 0})
        out.append({"sha": f"{i + 1:040x}", "parents": draw(st.sampled_from(
            ["", "a" * 40, "a" * 40 + " " + "b" * 40])),
            "name": draw(st.text(max_size=10).filter(lambda t: "\0" not in t)),
            "email": "a@b", "message": draw(MESSAGE), "files": files})
    return out


def _raw_and_patch(files: list[dict[str, Any]]) -> tuple[bytes, bytes]:
    raw, patch = b"", b""
    for f in files:
        raw += (f":100644 {f['mode']} {'0' * 7} {'1' * 7} {f['status']}\0".encode()
                + (f["old"] + b"\0" if f["old"] is not None else b"") + f["path"] + b"\0")
        patch += b"diff --git a/" + f["path"] + b" b/" + f["path"] + b"\n"
        if f["binary"]:
            patch += b"Binary files a/x and b/x differ\n"
            continue
        patch += b"--- a/x\n+++ b/x\n" + f"@@ -1,0 +1,{len(f['lines'])} @@\n".encode()
        patch += b"".join(b"+" + line + b"\n" for line in f["lines"]) + b"-gone\n"
    return raw, patch


def log_stream(cs: list[dict[str, Any]]) -> bytes:
    out = b""
    for c in cs:
        raw, patch = _raw_and_patch(c["files"])
        out += (MARK + "\0".join([c["sha"], "f" * 40, c["parents"], c["name"], c["email"],
                                 c["message"]]).encode("utf-8", "surrogatepass") + b"\0"
                + b"\0\n" + raw + (b"\0" if raw else b"") + patch)
    return out


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> bytes:
    """Maybe cut the stream short, or splice bytes into it (a pipe cut, a corrupt pack)."""
    op = draw(st.sampled_from(["none", "none", "cut", "splice", "drop"]))
    if not data or op == "none":
        return data
    at = draw(st.integers(0, len(data)))
    if op == "cut":
        return data[:at]
    if op == "drop":
        return data[:at] + data[at + draw(st.integers(1, 20)):]
    return data[:at] + draw(st.binary(min_size=1, max_size=12)) + data[at:]


class _Chunked(io.RawIOBase):
    """A pipe that hands out the stream in small, uneven reads."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.data, self.pos, self.sizes, self.n = data, 0, sizes or [7], 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        size = min(len(buf), self.sizes[self.n % len(self.sizes)])
        self.n += 1
        chunk = self.data[self.pos:self.pos + size]
        buf[: len(chunk)] = chunk
        self.pos += len(chunk)
        return len(chunk)


ENV = Environment(where="client", today=dt.date(2026, 6, 1),
                  scope_lines=lambda feature, _c: 10_000, read_text=lambda *_a: None,
                  open_halts=lambda: {"auth": ["E-1"]})


def _judge_all(changes: list[ChangeSet]) -> str:
    """Judge each change and render its findings as JSON and as text: 'verdict'."""
    from gatekeeper.report import Report, dump_json, render_text, to_json

    for change in changes:
        findings = evaluate(change, CTX, resolve(change.trailers(), env={}), ENV)
        report = Report(findings=findings, commits=1, where="client")
        json.loads(dump_json(to_json(report)))
        render_text(report, io.StringIO())
    return "verdict"


@FUZZ
@given(commits(), st.data())
def test_fuzz_log_stream(cs: list[dict[str, Any]], data: st.DataObject) -> None:
    stream = data.draw(damaged(log_stream(cs)))
    sizes = data.draw(st.lists(st.integers(1, 70_000), min_size=1, max_size=4))

    def go() -> str:
        try:
            changes = list(parse_log_stream(io.BufferedReader(_Chunked(stream, sizes))))
        except GitError:
            return "exit2"  # a cut or corrupt stream: "git log output ... is malformed"
        return _judge_all(changes)

    run("log-stream", go)


@FUZZ
@given(commits(), st.data())
def test_fuzz_diff_stream(cs: list[dict[str, Any]], data: st.DataObject) -> None:
    raw, patch = _raw_and_patch(cs[0]["files"])
    stream = data.draw(damaged(raw + (b"\0" if raw else b"") + patch))

    def go() -> str:
        files = parse_diff_stream(io.BytesIO(stream))
        change = ChangeSet(commit=None, parents=(), author_name="a", author_email="b",
                           message="x\n\nPACT-Agent: backend-coder\n", files=files)
        return _judge_all([change])

    run("diff-stream", go)


@FUZZ
@given(PATH_BYTES, st.lists(LINE_BYTES, max_size=4))
def test_fuzz_paths(path: bytes, lines: list[bytes]) -> None:
    cs = [{"sha": "1" * 40, "parents": "a" * 40, "name": "n", "email": "e",
           "message": "x\n\nPACT-Agent: backend-coder\n",
           "files": [{"status": "A", "path": path, "old": None, "mode": "100644",
                      "lines": lines, "binary": False}]}]
    run("paths", lambda: _judge_all(list(parse_log_stream(io.BytesIO(log_stream(cs))))))


@FUZZ
@given(MESSAGE)
def test_fuzz_commit_messages(message: str) -> None:
    def go() -> str:
        parse_trailers(message)
        change = ChangeSet(commit=None, parents=(), author_name="a", author_email="b",
                           message=message, files=[])
        from test_fuzz_inputs import CHANGE

        change.files = CHANGE.files
        return _judge_all([change])

    run("messages", go)


@pytest.mark.parametrize("stream", [
    b"", MARK, MARK + b"\0" * 7, MARK + b"x\0" * 6 + b"\0\n:100644", b":100644 100644 a b\0",
    MARK + b"1\0t\0\0n\0e\0m\0\0\n:1 2 3 4 R\0only-one-path\0",
])
def test_truncated_streams(stream: bytes) -> None:
    """Streams cut at the worst places parse to something (or nothing), never crash."""
    try:
        for change in parse_log_stream(io.BytesIO(stream)):
            judge(CTX, change)
    except GitError as exc:
        assert "malformed" in str(exc)


# ------------------------------------------------------------ a sample through the real CLI

CLI_EXAMPLES = 40 if FUZZ.max_examples > 1000 else 6


@pytest.fixture(scope="module")
def cli_repo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from helpers import pact_repo

    return pact_repo(tmp_path_factory.mktemp("cli") / "r")


@FUZZ.__class__(FUZZ, max_examples=CLI_EXAMPLES)
@given(st.binary(min_size=1, max_size=24).filter(
    lambda b: b"\0" not in b and b"/" not in b and b not in (b".", b"..", b".git")),
    st.binary(max_size=200), MESSAGE)
def test_fuzz_cli_sample(cli_repo: Any, name: bytes, content: bytes, message: str) -> None:
    """Any bytes as a file name and content, any message: the real CLI gives a verdict
    (exit 0 or 1) in text and JSON, never an internal error."""
    import os
    import subprocess
    import sys

    from helpers import REPO_ROOT

    repo = cli_repo
    target = os.path.join(os.fsencode(repo.path), b"src", b"auth", name)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as fh:
        fh.write(content)
    msg = repo.path.parent / "fuzz-msg.txt"
    msg.write_bytes(message.encode("utf-8", "surrogateescape"))
    try:
        repo.git("add", "-A", "src")
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        for fmt in ("text", "json"):
            proc = subprocess.run(
                [sys.executable, "-m", "gatekeeper", "check", "--staged", "--no-notes",
                 "--message-file", str(msg), "--format", fmt],
                cwd=repo.path, capture_output=True, env=env)
            err = proc.stderr.decode("utf-8", "replace")
            assert proc.returncode in (0, 1), f"{fmt}: exit {proc.returncode}\n{err}"
            if fmt == "json":
                assert json.loads(proc.stdout)["verdict"] in ("pass", "block")
    finally:
        os.unlink(target)
        repo.git("add", "-A", "src")


def test_blocked_non_utf8_path_writes_its_note(cli_repo: Any) -> None:
    """Crash class found by the CLI sample: a block on a file whose name is not UTF-8
    crashed writing the escalation note (UnicodeEncodeError, exit 3)."""
    import os

    repo = cli_repo
    target = os.path.join(os.fsencode(repo.path), b"src", b"auth", b"k\xff.py")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as fh:
        fh.write(b"AWS_KEY = 'AKIAABCDEFGHIJKLMNOP'\n")
    try:
        repo.git("add", "-A", "src")
        msg = repo.path.parent / "note-msg.txt"
        msg.write_text("x\n\nPACT-Agent: backend-coder\n", encoding="utf-8")
        proc = repo.gk("check", "--staged", "--message-file", str(msg))
        assert proc.returncode == 1, proc.stderr
    finally:
        os.unlink(target)
        repo.git("add", "-A", "src")
