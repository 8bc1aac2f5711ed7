# gatekeeper/digest.py: the one SHA-256 every id, fingerprint and approval check uses.
"""SHA-256 without ``hashlib`` where CPython has its own.

``import hashlib`` loads OpenSSL's libcrypto: about 4 ms of a warm commit-msg hook that
has a finding to fingerprint (60 ms in all). CPython's built-in module (``_sha256`` up to
3.11, ``_sha2`` from 3.12) gives the same digests for a fraction of that; ``hashlib`` is
the fallback where neither exists. The data hashed here is small (ids, approved
documents), where the built-in code is as fast as OpenSSL's.
"""

from __future__ import annotations

from collections.abc import Callable

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    from typing import Any


def _constructor() -> Callable[[bytes], Any]:
    try:
        from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]  # <= 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            from hashlib import sha256  # type: ignore[assignment,unused-ignore]
    return sha256  # type: ignore[no-any-return,unused-ignore]


_SHA256 = _constructor()


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of ``data``, as 64 lower-case hex digits."""
    return str(_SHA256(data).hexdigest())
