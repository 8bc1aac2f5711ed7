# tests/test_flatyaml.py: the notes' YAML subset read and written without PyYAML agrees with PyYAML.
from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from helpers import REPO_ROOT, pact_repo

from gatekeeper import flatyaml, yamlio

# Strings chosen to trip a YAML writer: resolver words in every case, numbers and dates,
# indicators, quotes, comments, line breaks YAML 1.1 knows (NEL, LS, PS), a BOM, NBSP,
# lone surrogates (paths decoded with surrogateescape), tabs and trailing spaces.
NASTY = ["", " ", "a", "yes", "No", "ON", "oFf", "y", "N", "null", "Null", "~", "true",
         "TRUE", "False", "0", "-0", "007", "1_000", "0x1F", "0o17", "1e3", "1.5", ".inf",
         ".NaN", "1:20", "2026-11-30", "2026-11-30T05:37:27Z", "<<", "=", "-", "- a", "a-",
         "-a", "?", ":", "a: b", "a:b", "a #b", "#a", "'", "''", "'a'", '"', '"a"', "\\",
         "a\\nb", "a\nb", "a\r\nb", "\t", "a\tb", " a", "a ", "\x85", "\u2028", "\u2029",
         "\ufeff", "\xa0", "\udcff", "é", "日本", "\U0001f600", "[a]", "{a: b}", "*a", "&a",
         "!x", "%x", "@x", "`x", "|", ">", "E-5dea17bc5269", "d1ad4f6a49b8", "tests/a.py",
         "x" * 300, "_", "A_b-C", "---", "...", "a,b", "a]"]
ALPHABET = "ab Y:#'\"-\\\n\t_~01.é\x85\u2028!&*[]{}%@`|>?,"


def _pyyaml(text: str) -> Any:
    """What the gatekeeper's own loader (libyaml's, where built) reads."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _string(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return rng.choice(NASTY)
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12)))


def _scalar(rng: random.Random) -> Any:
    kind = rng.random()
    if kind < 0.55:
        return _string(rng)
    if kind < 0.7:
        return rng.choice([0, 1, -1, 36, 522, 10**17, 10**18, -(10**19)])
    if kind < 0.95:
        return rng.choice([None, True, False])
    return 1.5  # outside the subset


def _key(rng: random.Random) -> str:
    if rng.random() < 0.9:
        return rng.choice(["id", "rule", "level", "paths", "line", "landed", "_x", "k9"])
    return rng.choice(["on", "null", "y", "Key", "a b", "9k", ""])  # outside the subset


def _meta(rng: random.Random) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        if kind < 0.6:
            value: Any = _scalar(rng)
        elif kind < 0.8:
            value = [_scalar(rng) for _ in range(rng.randint(0, 3))]
        else:
            value = {_key(rng): _scalar(rng) for _ in range(rng.randint(0, 3))}
        meta[_key(rng)] = value
    return meta


def test_dump_is_read_back_alike_by_pyyaml_and_by_load() -> None:
    rng = random.Random(13)
    dumped = fell_back = 0
    for _ in range(10_000):
        meta = _meta(rng)
        text = flatyaml.dump(meta)
        if text is None:
            fell_back += 1
            continue
        dumped += 1
        assert _pyyaml(text) == meta, text
        assert flatyaml.load(text) == meta, text
    # Both ways are exercised: much random data is in the subset, much is not.
    assert dumped > 2_000 and fell_back > 2_000, (dumped, fell_back)


def test_load_agrees_with_pyyaml_or_declines() -> None:
    """Text PyYAML wrote, and line soups around the subset: load gives PyYAML's answer or
    None, never a different answer."""
    rng = random.Random(7)
    pieces = ["id: E-1", "a: 'x''y'", "a: 'x'y'", "a: 'x' ", "a:  b", "a: yes", "a: Yes",
              "a: yEs", "a: ~", "a: -1", "a: -0", "a: 01", "a: 08", "a: 0123", "a: 1_0", "a: []", "a: {}",
              "a:", "- x", "- 'y'", "- - x", "  b: c", "  b:", "  - x", "a: b # c",
              "# c", "", "a: b: c", "a: 'b: c'", "on: x", "a: x\r", "a: \t", "a: 'é'",
              "a: 'a\tb'", "---", "...", "a: &x y", "b: *x", "a: !!str 1", "a: \"q\"",
              "a: null", "b: true", "c: FALSE", "d: 12", "e: 'text with # and: colon'",
              "a: 'x", "a: x'", "a: '", "a: ''", "a: ''''", "a: '''", "A: x", "a_b: c"]
    agreed = 0
    for _ in range(20_000):
        text = "\n".join(rng.choice(pieces) for _ in range(rng.randint(1, 5)))
        text += rng.choice(["", "\n"])
        got = flatyaml.load(text)
        if got is None:
            continue
        assert got == _pyyaml(text), text
        agreed += 1
    assert agreed > 500, agreed
    rng = random.Random(11)
    for _ in range(3_000):
        meta = _meta(rng)
        try:
            text = yamlio.dump(meta)
        except (yaml.YAMLError, UnicodeEncodeError):  # PyYAML cannot write a lone surrogate
            continue
        got = flatyaml.load(text)
        assert got is None or got == meta, text


def test_a_note_written_by_pyyaml_is_still_read(tmp_path: Path) -> None:
    """Notes written before this subset existed (PyYAML's folded lines) are read through
    PyYAML, and the next write puts them in the subset."""
    from gatekeeper.escalations import _parse, _render

    meta = {"id": "E-abc", "rule": "hardcoded-secret", "level": "HALT",
            "category": "SECURITY", "status": "open", "issue": "x: " + "word " * 40,
            "evidence": "e", "impact": "i", "recommended_action": "r " * 80,
            "agent": "backend-coder", "feature": "auth", "commit": "0123abc",
            "paths": ["src/a b.py", "it's.py"], "line": 3, "attempts": 2,
            "created": "2026-11-30T05:37:27Z", "landed": True}
    old = tmp_path / "E-abc.md"
    old.write_text("---\n" + yamlio.dump(meta) + "---\nbody\n", encoding="utf-8")
    assert flatyaml.load(old.read_text().split("---\n")[1]) is None  # folded: PyYAML's
    note = _parse(old, halt_only=True)
    assert note is not None and note.meta == meta
    new = _render(meta)
    front = new.split("---\n")[1]
    assert flatyaml.load(front) == meta == yaml.safe_load(front)
    assert "level: HALT\n" in front and "line: 3\n" in front and "- it''s.py" not in front
    assert "- 'it''s.py'\n" in front


def test_a_blocked_push_writes_and_reads_notes_without_pyyaml(tmp_path: Path) -> None:
    """The server's inbox round trip (record, read HALTs, mark landed) never imports
    PyYAML once its notes are in the subset: that import is a tenth of a small push."""
    repo = pact_repo(tmp_path / "r", phase="code")
    key = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
    repo.stage({"src/auth/keys.py": f"# src/auth/keys.py: keys\nSTRIPE_KEY = \"{key}\"\n"})
    rc, report = repo.check_staged("early", agent="backend-coder")
    assert rc == 1 and report["escalations"]
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from gatekeeper import git\n"
        "from gatekeeper.escalations import Inbox\n"
        "repo = git.discover(Path(sys.argv[1]))\n"
        "inbox = Inbox(repo.common_dir / 'pact' / 'escalations')\n"
        "halts = inbox.open_halts()\n"
        "assert halts == {'auth': [n.id for n in inbox.notes()\n"
        "                 if n.meta['level'] == 'HALT']}, halts\n"
        "note = inbox.notes()[0]\n"
        "inbox.update(note.id, landed=True)\n"
        "assert inbox.get(note.id).meta['landed'] is True\n"
        "print('yaml' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", script, str(repo.path)], cwd=REPO_ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
    # ...and what it wrote is what PyYAML reads.
    for path in (repo.path / ".git" / "pact" / "escalations").glob("E-*.md"):
        front = path.read_text(encoding="utf-8").split("---\n")[1]
        assert yaml.safe_load(front) == flatyaml.load(front)
