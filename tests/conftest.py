# tests/conftest.py: shared fixtures; every test runs on real temporary git repositories, isolated from $HOME.
from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from helpers import GitRepo, make_repo


@pytest.fixture(autouse=True, scope="session")
def _isolate_git(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test touches the user's $HOME or git config (a session-wide guard)."""
    home = tmp_path_factory.mktemp("home")
    saved = dict(os.environ)
    os.environ["HOME"] = str(home)
    os.environ["XDG_CONFIG_HOME"] = str(home / ".config")
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    os.environ["GIT_CONFIG_GLOBAL"] = str(home / ".gitconfig")
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n"
        "[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n[protocol \"file\"]\n\tallow = always\n")
    for var in ("PACT_AGENT", "GL_USERNAME", "GITHUB_USER_LOGIN", "GITEA_PUSHER_NAME", "GL_USER",
                "REMOTE_USER", "GL_ID", "GATEKEEPER_INBOX", "GIT_DIR", "GIT_WORK_TREE",
                "GIT_INDEX_FILE", "NO_COLOR"):
        os.environ.pop(var, None)
    os.environ["PRE_COMMIT_HOME"] = str(home / ".cache" / "pre-commit")
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """An empty repository with one initial commit."""
    return make_repo(tmp_path / "repo")
