# gatekeeper/signals/files.py: the whole-file detectors of gatekeeper.signals.
# Committed credential files (.env, keys, keystores), missing header comments, oversized files.
"""File-level signals: :func:`sensitive_file`, :func:`file_header` and :func:`file_size`.

Each file-name pattern list is compiled once into a single regex per distinct params value.
"""

from __future__ import annotations

from gatekeeper.signals._common import Lines, Params, SignalHit, _cut, _excerpt, _ext, _globs, _rx

_SENSITIVE_NAMES = (".env", ".env.*", "*.env", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519",
                    "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", ".netrc", "_netrc",
                    ".pgpass", "*.kdbx", ".htpasswd", ".git-credentials", "credentials.json",
                    "client_secret*.json", "*.tfstate", "*.tfstate.backup")
_SENSITIVE_PATHS = (".aws/credentials", ".docker/config.json")
_ALLOWED_NAMES = (".env.example", ".env.sample", ".env.template", ".env.dist", "*.pub")


def sensitive_file(path: str, params: Params) -> SignalHit | None:
    """A committed file that holds credentials by its nature (.env files, private keys,
    keystores, credential stores), by name at any depth; line 0."""
    base = path.rsplit("/", 1)[-1]
    if not _globs(tuple(params.get("names", _SENSITIVE_NAMES))).match(base) and \
            not _globs(tuple(params.get("paths", _SENSITIVE_PATHS)), "*/").match("/" + path):
        return None
    if _globs(tuple(params.get("allow_names", _ALLOWED_NAMES))).match(base):
        return None
    what = "dotenv file" if base.startswith(".env") or base.endswith(".env") else "credential file"
    return SignalHit(0, f"{what} {base} committed", _cut(path),
                     f"git rm --cached {path}, add it to .gitignore, rotate what it held, and "
                     "commit a template with names only (.env.example)", f"sensitive-file:{path}")


_COMMENTS = {"#": "py pyi rb sh bash zsh pl pm r ps1 nim cr ex exs tcl",
             "//": "js jsx ts tsx mjs cjs go java kt kts rs c h cc cpp cxx hpp hh cs php swift "
                   "scala dart groovy m mm zig v sol proto",
             "--": "sql lua hs elm ada psql"}
_SOURCE_EXTS = frozenset(" ".join(_COMMENTS.values()).split())


def file_header(path: str, lines: Lines, params: Params) -> SignalHit | None:
    """A new source file that does not open with a header comment. Skipped first: a shebang,
    ``<?php``, a JS directive (``"use strict"``); a docstring counts in Python."""
    ext = _ext(path)
    if ext not in _SOURCE_EXTS or ext not in set(params.get("extensions", _SOURCE_EXTS)):
        return None
    body = [(n, t.strip()) for n, t in lines if t.strip()]
    if len(body) < int(params.get("min_lines", 3)):
        return None
    marks = [k for k, v in _COMMENTS.items() if ext in v.split()] + ["/*"] + ["#"] * (ext == "php")
    for n, t in body:
        if t.startswith(("#!", "<?php")) or _rx(r"""["']use \w+["'];?""").fullmatch(t):
            continue
        if t.startswith(tuple(marks)) or (
                ext in ("py", "pyi") and _rx(r"[rRuU]?(\"{3}|'{3})").match(t)):
            return None
        return SignalHit(n, "new source file without a header comment", _excerpt(t),
                         f"open it with a 1-2 line comment saying where it sits and what it is "
                         f"for, e.g. '{marks[0]} {path}: <what it is for>'", f"file-header:{path}")
    return None


def file_size(path: str, old_lines: int, new_lines: int, params: Params) -> SignalHit | None:
    """A source file that grew past ``params.max_lines`` (default 600) in this change."""
    limit = int(params.get("max_lines", 600))
    if not old_lines <= limit < new_lines:
        return None
    return SignalHit(limit + 1, f"file grew from {old_lines} to {new_lines} lines (limit {limit})",
                     _cut(f"{path}: {new_lines} lines"), "split it: move a cohesive group of "
                     "functions or classes into a module of its own, with one job",
                     f"file-size:{path}:{limit}")
