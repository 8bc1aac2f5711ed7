# tests/test_digest.py: the one SHA-256 (gatekeeper/digest.py) gives hashlib's digests.
"""Ids, fingerprints and approval checks hash through gatekeeper.digest: its digests must be
hashlib's, byte for byte, whichever implementation it found, or every stored note id and
approval would change with the Python build."""

from __future__ import annotations

import hashlib
import sys

import pytest

from gatekeeper import digest

SAMPLES = [b"", b"abc", "ünïcödé\0rule".encode(), bytes(range(256)) * 300]


@pytest.mark.parametrize("data", SAMPLES, ids=["empty", "abc", "unicode", "70kB"])
def test_same_digest_as_hashlib(data: bytes) -> None:
    assert digest.sha256_hex(data) == hashlib.sha256(data).hexdigest()


def test_the_builtin_module_is_used_where_there_is_one() -> None:
    names = [n for n in ("_sha256", "_sha2") if _importable(n)]
    if not names:
        pytest.skip("no built-in SHA-256 module in this Python")
    assert digest._SHA256 is not hashlib.sha256
    assert digest._SHA256.__module__ in names


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def test_hashlib_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes the import fail, as on a build without the module.
    monkeypatch.setitem(sys.modules, "_sha256", None)
    monkeypatch.setitem(sys.modules, "_sha2", None)
    sha = digest._constructor()
    assert sha is hashlib.sha256
    assert sha(b"abc").hexdigest() == hashlib.sha256(b"abc").hexdigest()
