# gatekeeper/install.py: `gatekeeper install` / `uninstall`: client hooks, or the server's pre-receive.
"""Installing hooks. Never overwrites a hook it did not write (recognised by a marker line);
an existing server hook is chained, or ours goes into ``pre-receive.d/``. Uninstalling
removes only hooks carrying the marker, and puts a chained foreign hook back in place.

GitPython does the repository work here (a cold command, never a hook): opening a path
tells a missing path, a non-repository and a bare repository apart with typed errors, and
reads HEAD's symbolic ref to warn when it names a branch that does not exist.
"""

from __future__ import annotations

import shlex
import stat
import sys
from pathlib import Path

from gatekeeper.errors import GatekeeperError
from gatekeeper.record import dataclass, field

TYPE_CHECKING = False  # typing is not imported at run time: 2 ms of every hook
if TYPE_CHECKING:
    import git as gitpython

    from gatekeeper import git

MARKER = "# pact-gatekeeper managed hook"
CLIENT_STAGES = ("commit-msg", "pre-push")


@dataclass
class Outcome:
    """What an (un)install did, and what the user should know."""

    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The lines for stdout."""
        return "\n".join(self.lines)


def _hook_script(stage: str, chained: bool = False) -> str:
    py = shlex.quote(sys.executable)
    if stage == "pre-receive":
        body = f"""input=$(cat)
printf '%s\\n' "$input" | {py} -m gatekeeper hook pre-receive || exit $?
if [ -x "$0.chained" ]; then
    printf '%s\\n' "$input" | "$0.chained" "$@" || exit $?
fi
""" if chained else f"exec {py} -m gatekeeper hook pre-receive\n"
    elif stage == "pre-push":
        body = f'exec {py} -m gatekeeper hook pre-push "$@"\n'
    else:
        body = f'exec {py} -m gatekeeper hook {stage} "$@"\n'
    return f"#!/bin/sh\n{MARKER} ({stage}); reinstall with `gatekeeper install`\n{body}"


def _write_hook(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def _open(path: Path, *, search_parents: bool) -> gitpython.Repo:
    """Open a repository, turning GitPython's errors into one-line exit-2 messages."""
    import git as gitpython  # GitPython: about 115 ms to import, so only in cold commands

    if not path.exists():
        raise GatekeeperError(f"{path}: no such directory")
    if not path.is_dir():
        raise GatekeeperError(f"{path}: not a directory")
    try:
        return gitpython.Repo(path, search_parent_directories=search_parents)
    except gitpython.exc.InvalidGitRepositoryError:
        raise GatekeeperError(f"{path}: not a git repository") from None
    except gitpython.exc.NoSuchPathError:
        raise GatekeeperError(f"{path}: no such directory") from None


def hooks_dir(repo: gitpython.Repo) -> Path:
    """Where git runs this repository's hooks: ``core.hooksPath`` when set (relative to the
    working tree, as git reads it), else the common git dir's ``hooks/``, which every
    linked worktree shares."""
    rel = repo.git.rev_parse("--git-path", "hooks")
    base = Path(repo.working_tree_dir or repo.git_dir)
    path = Path(rel)
    return path if path.is_absolute() else (base / path).resolve()


def _where(cwd: Path | git.Repo | None) -> Path:
    """A directory: given, a discovered repository's, or the current one."""
    if cwd is None:
        return Path.cwd()
    return cwd if isinstance(cwd, Path) else cwd.cwd


def install_client(cwd: Path | git.Repo | None = None) -> Outcome:
    """Install commit-msg and pre-push hooks; never overwrite a hook we did not write."""
    repo = _open(_where(cwd), search_parents=True)
    if repo.bare:
        raise GatekeeperError(f"{repo.git_dir} is a bare repository: use "
                              f"'gatekeeper install --server {repo.git_dir}'")
    hooks = hooks_dir(repo)
    out = Outcome()
    for stage in CLIENT_STAGES:
        path = hooks / stage
        if path.exists() and not _ours(path):
            raise GatekeeperError(
                f"{path} exists and was not written by pact-gatekeeper; refusing to overwrite "
                "it. Use the pre-commit framework to run several hooks, or remove it.")
    for stage in CLIENT_STAGES:
        path = hooks / stage
        _write_hook(path, _hook_script(stage))
        out.lines.append(f"installed {path}")
    return out


def _open_bare(bare: Path) -> gitpython.Repo:
    repo = _open(bare, search_parents=False)
    if not repo.bare:
        raise GatekeeperError(
            f"{bare} is not a bare repository (it has a working tree); the server hook goes "
            "into the bare repository the team pushes to. For this clone's own hooks run "
            "'gatekeeper install' inside it.")
    return repo


def _head_warning(repo: gitpython.Repo, bare: Path) -> str | None:
    """A warning when the bare HEAD names a branch that does not exist (``git init --bare``
    says ``master``, the team pushes ``main``): the default branch is then unknown."""
    try:
        target = repo.head.reference.path  # e.g. refs/heads/master
    except TypeError:
        return None  # a detached HEAD names a commit, which exists
    if repo.head.is_valid():
        return None
    branches = sorted(h.name for h in repo.heads)
    fix_branch = ("main" if "main" in branches else branches[0]) if branches else "main"
    have = (f"its branches are {', '.join(branches[:5])}" if branches
            else "it has no branches yet")
    return (f"{bare}: HEAD names {target}, which does not exist ({have}). The gatekeeper "
            "finds the default branch (protected refs, context for new branches) through "
            f"HEAD; point it at the branch the team pushes: git -C {shlex.quote(str(bare))} "
            f"symbolic-ref HEAD refs/heads/{fix_branch}")


def install_server(bare: Path) -> Outcome:
    """Install the pre-receive hook in a bare repository, keeping any existing hook."""
    repo = _open_bare(bare)
    out = Outcome()
    warning = _head_warning(repo, bare)
    if warning:
        out.warnings.append(warning)
    hooks = hooks_dir(repo)
    hook_d = hooks / "pre-receive.d"
    if hook_d.is_dir():
        # GitLab / Gitea style: each file in pre-receive.d runs; we add ours beside the others.
        target = hook_d / "pact-gatekeeper"
        if target.exists() and not _ours(target):
            raise GatekeeperError(f"{target} exists and was not written by pact-gatekeeper")
        _write_hook(target, _hook_script("pre-receive"))
        out.lines.append(f"installed {target} (pre-receive.d style)")
        return out
    target = hooks / "pre-receive"
    chained = hooks / "pre-receive.chained"
    if target.exists() and not _ours(target):
        if chained.exists():
            raise GatekeeperError(f"{target} exists and {chained} too; refusing to overwrite "
                                  "either. Chain them by hand.")
        target.rename(chained)
        _write_hook(target, _hook_script("pre-receive", chained=True))
        out.lines.append(f"installed {target}; the existing hook now runs after it as {chained}")
        return out
    _write_hook(target, _hook_script("pre-receive", chained=chained.exists()))
    out.lines.append(f"installed {target}")
    return out


def uninstall_client(cwd: Path | git.Repo | None = None) -> Outcome:
    """Remove the client hooks we wrote; leave every other hook alone."""
    repo = _open(_where(cwd), search_parents=True)
    if repo.bare:
        raise GatekeeperError(f"{repo.git_dir} is a bare repository: use "
                              f"'gatekeeper uninstall --server {repo.git_dir}'")
    return _remove(hooks_dir(repo), [*CLIENT_STAGES, "pre-commit"], chained=False)


def uninstall_server(bare: Path) -> Outcome:
    """Remove our pre-receive hook; a foreign hook we chained goes back in its place."""
    hooks = hooks_dir(_open_bare(bare))
    out = _remove(hooks / "pre-receive.d", ["pact-gatekeeper"], chained=False)
    both = _remove(hooks, ["pre-receive"], chained=True)
    out.lines = [ln for ln in out.lines + both.lines if not ln.startswith("nothing")]
    out.warnings += both.warnings
    if not out.lines:
        out.lines.append(f"nothing to remove: no pact-gatekeeper hook in {hooks}")
    return out


def _remove(hooks: Path, names: list[str], *, chained: bool) -> Outcome:
    out = Outcome()
    for name in names:
        path = hooks / name
        if not path.exists():
            continue
        if not _ours(path):
            out.warnings.append(f"{path} was not written by pact-gatekeeper; left in place")
            continue
        path.unlink()
        back = hooks / f"{name}.chained"
        if chained and back.exists():
            back.rename(path)
            out.lines.append(f"removed our hook; restored the chained hook as {path}")
        else:
            out.lines.append(f"removed {path}")
    if not out.lines:
        out.lines.append(f"nothing to remove: no pact-gatekeeper hook in {hooks}")
    return out
