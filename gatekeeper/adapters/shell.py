# gatekeeper/adapters/shell.py: a best-effort reading of one Bash command line for the Claude Code adapter.
"""What a shell command does that the gatekeeper cares about, read without running it:

- each ``git commit`` (where a ``PACT-Agent`` trailer can be inserted);
- roles the command claims (``PACT-Agent: x`` in a message or trailer, ``PACT_AGENT=x``);
- hook bypasses (``--no-verify``, ``commit -n``, ``core.hooksPath``, ``git commit-tree``,
  ``SKIP=`` for the pre-commit framework, tampering with ``.git/hooks``);
- files written through the shell (redirections, ``tee``, ``sed -i``, ``cp``/``mv``,
  ``rm``, ``truncate``, ``dd of=``).

Best effort by design: a shell is a programming language, and ``eval``, variables or a
script file hide what a command does. The git hooks and the server remain the backstop.
"""

from __future__ import annotations

import posixpath
import re

from gatekeeper.record import dataclass, field

_OPS = ("&&", "||", ";;", "|&", ";", "|", "&", "\n", "(", ")")
_REDIR = re.compile(r"(\d*)(&>>|&>|>>|>\||>&|>|<<<|<<-|<<|<>|<&|<)")
CLAIM = re.compile(r"pact[-_]agent\s*[:=]\s*[\"']?([A-Za-z0-9_.-]+)", re.I)
ENV_CLAIM = re.compile(r"\bPACT_AGENT\s*=\s*[\"']?([A-Za-z0-9_.-]+)")
_WRAPPERS = {"command", "exec", "env", "sudo", "nice", "nohup", "time", "timeout", "xargs"}
#: git's global options that take a separate value.
_GIT_VALUE_OPTS = {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env",
                   "--super-prefix", "--exec-path"}
#: git commit's short options that take a value (the rest of the cluster, or the next word).
_COMMIT_VALUE_SHORT = set("mFcCt")
_COMMIT_OPTIONAL_SHORT = set("Su")


@dataclass
class Word:
    """One shell word: its unquoted text and where it sits in the command line."""

    text: str
    start: int
    end: int


@dataclass
class Segment:
    """One simple command: its words and the targets of its output redirections."""

    words: list[Word] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)


@dataclass
class Facts:
    """What :func:`read` found in a command line (nothing at all for most commands)."""

    commit_ends: list[int] = field(default_factory=list)  # offsets just after each `commit`
    claims: list[str] = field(default_factory=list)
    bypasses: list[str] = field(default_factory=list)
    writes: list[tuple[str, str]] = field(default_factory=list)  # (directory, path as written)
    message_files: list[tuple[str, str]] = field(default_factory=list)  # (directory, -F file)

    @property
    def empty(self) -> bool:
        """True when the command does nothing the gatekeeper judges."""
        return not (self.commit_ends or self.claims or self.bypasses or self.writes)


def tokenize(cmd: str) -> list[Segment]:
    """Split a command line into simple commands (a small POSIX-shell word reader)."""
    segments: list[Segment] = [Segment()]
    i, n = 0, len(cmd)
    pending_redirect: str | None = None
    heredocs: list[str] = []

    def add_word(text: str, start: int, end: int) -> None:
        nonlocal pending_redirect
        if pending_redirect is not None:
            op, pending_redirect = pending_redirect, None
            if op in (">", ">>", ">|", "&>", "&>>", ">&", "<>"):
                segments[-1].writes.append(text)
            elif op.startswith("<<") and op != "<<<":
                heredocs.append(text)
            return
        segments[-1].words.append(Word(text, start, end))

    while i < n:
        c = cmd[i]
        if c in " \t":
            i += 1
            continue
        if c == "\\" and cmd[i + 1 : i + 2] == "\n":
            i += 2
            continue
        if c == "#":
            while i < n and cmd[i] != "\n":
                i += 1
            continue
        if c == "\n" and heredocs:
            # Skip here-document bodies: their lines are data, not commands.
            i += 1
            while heredocs and i < n:
                eol = cmd.find("\n", i)
                line = cmd[i : eol if eol != -1 else n]
                i = eol + 1 if eol != -1 else n
                if line.strip() == heredocs[0]:
                    heredocs.pop(0)
            segments.append(Segment())
            continue
        m = _REDIR.match(cmd, i)
        if m:
            op, i = m.group(2), m.end()
            while i < n and cmd[i] in " \t":
                i += 1
            if op in (">&", "<&") and (i >= n or cmd[i].isdigit() or cmd[i] == "-"):
                while i < n and (cmd[i].isdigit() or cmd[i] == "-"):
                    i += 1  # fd duplication (2>&1, >&-): no file
                continue
            pending_redirect = op
            continue
        op = next((o for o in _OPS if cmd.startswith(o, i)), None)
        if op is not None:
            segments.append(Segment())
            i += len(op)
            continue
        start = i
        text: list[str] = []
        while i < n and cmd[i] not in " \t\n;&|()<>":
            c = cmd[i]
            if c == "'":
                end = cmd.find("'", i + 1)
                end = n if end == -1 else end
                text.append(cmd[i + 1 : end])
                i = end + 1
            elif c == '"':
                i += 1
                while i < n and cmd[i] != '"':
                    if cmd[i] == "\\" and i + 1 < n and cmd[i + 1] in '"\\$`\n':
                        i += 1
                    text.append(cmd[i])
                    i += 1
                i += 1
            elif c == "\\" and i + 1 < n:
                text.append(cmd[i + 1])
                i += 2
            elif c == "$" and cmd.startswith("$(", i):
                depth, j = 0, i
                while j < n:
                    if cmd[j] == "(":
                        depth += 1
                    elif cmd[j] == ")":
                        depth -= 1
                        if depth == 0:
                            break
                    j += 1
                text.append(cmd[i : j + 1])
                i = j + 1
            else:
                text.append(c)
                i += 1
        add_word("".join(text), start, i)
    return [s for s in segments if s.words or s.writes]


def _strip_prefix(words: list[Word], env: dict[str, str]) -> list[Word]:
    """Drop leading ``NAME=value`` assignments (kept in ``env``) and wrappers like ``sudo``."""
    out = list(words)
    while out:
        w = out[0].text
        if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w):
            name, _, value = w.partition("=")
            env[name] = value
        elif posixpath.basename(w) in _WRAPPERS:
            pass
        elif w.startswith("-") and len(out) < len(words):
            pass  # an option of a wrapper (env -i, timeout 5 is caught below)
        elif re.fullmatch(r"\d+[smhd]?", w) and len(out) < len(words):
            pass
        else:
            break
        out.pop(0)
    return out


def _is_no_verify(arg: str) -> bool:
    # git accepts any unambiguous prefix of a long option: --no-verif is --no-verify.
    return len(arg) >= len("--no-veri") and "--no-verify".startswith(arg.split("=", 1)[0])


def _git(words: list[Word], facts: Facts, cwd: str) -> None:
    i = 1
    where = cwd
    while i < len(words) and words[i].text.startswith("-"):
        opt = words[i].text
        name, eq, value = opt.partition("=")
        if name in _GIT_VALUE_OPTS and not eq:
            value = words[i + 1].text if i + 1 < len(words) else ""
            i += 1
        if name == "-C" and value:
            where = posixpath.join(where, value)
        if name in ("-c", "--config-env") and "hookspath" in value.lower():
            facts.bypasses.append(f"git {name} {value} points git at other hooks")
        i += 1
    if i >= len(words):
        return
    sub = words[i].text
    args = [w.text for w in words[i + 1 :]]
    for a in args:
        if a == "--":
            break
        if _is_no_verify(a):
            facts.bypasses.append(f"git {sub} {a} skips the git hooks")
    if sub == "commit-tree":
        facts.bypasses.append("git commit-tree makes a commit without running any hook")
    if sub == "config" and any("hookspath" in a.lower() for a in args):
        facts.bypasses.append("git config core.hooksPath points git at other hooks")
    if sub != "commit":
        return
    facts.commit_ends.append(words[i].end)
    j = 0
    while j < len(args):
        a = args[j]
        if a == "--":
            break
        if a.startswith("-") and not a.startswith("--") and len(a) > 1:
            for k, ch in enumerate(a[1:], start=1):
                if ch == "n":
                    facts.bypasses.append(f"git commit {a} skips the git hooks (-n is --no-verify)")
                    break
                if ch in _COMMIT_VALUE_SHORT:
                    value = a[k + 1 :]
                    if not value and j + 1 < len(args):
                        j += 1
                        value = args[j]
                    if ch == "F":
                        facts.message_files.append((where, value))
                    break
                if ch in _COMMIT_OPTIONAL_SHORT:
                    break
        elif a.startswith("--file"):
            _, eq, value = a.partition("=")
            if not eq and j + 1 < len(args):
                j += 1
                value = args[j]
            facts.message_files.append((where, value))
        j += 1


_WRITE_TOOLS = {"tee", "sed", "perl", "cp", "mv", "install", "ln", "rm", "truncate", "touch",
                "dd", "chmod", "unlink", "rsync"}


def _targets(tool: str, args: list[str]) -> list[str]:
    """The files a write-capable tool changes (best effort)."""
    plain = [a for a in args if not a.startswith("-")]
    if tool == "tee" or tool in ("rm", "truncate", "touch", "chmod", "unlink"):
        return plain[1:] if tool == "chmod" else plain
    if tool in ("sed", "perl"):
        if not any(a.startswith("-i") or a.startswith("--in-place")
                   or (tool == "perl" and re.match(r"^-\w*i", a)) for a in args):
            return []
        scripted = any(a in ("-e", "-f") or re.match(r"^-\w*e$", a) for a in args)
        out, skip = [], False
        for a in args:
            if skip:
                skip = False
                continue
            if a in ("-e", "-f", "--expression", "--file") or re.match(r"^-\w*e$", a):
                skip = True
                continue
            if not a.startswith("-"):
                out.append(a)
        return out if scripted else out[1:]
    if tool == "dd":
        return [a[3:] for a in args if a.startswith("of=")]
    if tool in ("cp", "mv", "install", "ln", "rsync"):
        if "-t" in args:
            k = args.index("-t")
            dest, sources = (args[k + 1] if k + 1 < len(args) else ""), [
                a for a in plain if a != (args[k + 1] if k + 1 < len(args) else None)]
        elif len(plain) >= 2:
            dest, sources = plain[-1], plain[:-1]
        else:
            return []
        # The destination may be a directory: each source lands inside it under its name.
        out = [dest, *(posixpath.join(dest, posixpath.basename(src.rstrip("/")))
                       for src in sources)]
        return out + (sources if tool == "mv" else [])
    return []


def read(cmd: str, cwd: str) -> Facts:
    """Everything :class:`Facts` records about ``cmd``, run from ``cwd``."""
    facts = Facts()
    # PACT_AGENT=x claims a role for every later commit; a "PACT-Agent: x" text claims one
    # only in a command that commits (git log --grep 'PACT-Agent: x' claims nothing).
    facts.claims = [m.group(1) for m in ENV_CLAIM.finditer(cmd)]
    if re.search(r"\bcommit\b", cmd):
        facts.claims += [m.group(1) for m in CLAIM.finditer(cmd)
                         if not m.group(0).upper().startswith("PACT_AGENT")]
    here = cwd
    git_spans: list[tuple[int, int]] = []
    for seg in tokenize(cmd):
        env: dict[str, str] = {}
        words = _strip_prefix(seg.words, env)
        facts.writes.extend((here, t) for t in seg.writes)
        if "SKIP" in env and words and posixpath.basename(words[0].text) == "git":
            facts.bypasses.append(f"SKIP={env['SKIP']} skips pre-commit framework hooks")
        if not words:
            continue
        tool = posixpath.basename(words[0].text)
        args = [w.text for w in words[1:]]
        if tool == "cd":
            here = posixpath.join(here, args[0]) if args and args[0] != "-" else cwd
        elif tool == "git":
            _git(words, facts, here)
            git_spans.extend((w.start, w.end) for w in words)
        elif tool in _WRITE_TOOLS:
            facts.writes.extend((here, t) for t in _targets(tool, args))
    # Fallbacks on the raw text, for what a nested shell (sh -c, eval, $(...)) hides.
    # A --no-verify inside a git command's own words was judged above (it may be message
    # text); one anywhere else (sh -c "git commit --no-verify") is a bypass.
    if re.search(r"\bgit\b", cmd) and any(
            not any(a <= m.start() < b for a, b in git_spans)
            for m in re.finditer(r"--no-veri", cmd)):
        facts.bypasses.append("--no-verify skips the git hooks")
    if re.search(r"hookspath", cmd, re.I) and not any("hooks" in b for b in facts.bypasses):
        facts.bypasses.append("core.hooksPath points git at other hooks")
    if re.search(r"\.git/hooks\b", cmd) and re.search(
            r"(>|\b(rm|mv|cp|ln|chmod|tee|truncate|sed|perl|install|unlink|dd)\b)", cmd):
        facts.bypasses.append("the command changes the repository's git hooks (.git/hooks)")
    return facts


def insert_trailer(cmd: str, facts: Facts, role: str) -> str | None:
    """``cmd`` with ``--trailer 'PACT-Agent: role'`` after each ``git commit``; None if none."""
    if not facts.commit_ends:
        return None
    out = cmd
    for end in sorted(facts.commit_ends, reverse=True):
        out = out[:end] + f" --trailer 'PACT-Agent: {role}'" + out[end:]
    return out
