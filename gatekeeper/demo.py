# gatekeeper/demo.py: `gatekeeper demo`: a throwaway PACT repository that shows the three headline gates.
"""The README's "run the main job" command. It builds a repository in a temporary folder,
installs the gatekeeper's commit-msg hook, and walks one feature through PACT while agents
make real ``git commit`` calls: each headline gate blocks, writes its escalation note, and
passes once the orchestrator (or the right specialist) does the right thing.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from gatekeeper.report import Style


class _Demo:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.st = Style(sys.stdout)
        self.env = {
            **os.environ,
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": str(root.parent / "gitconfig"),
            "GIT_AUTHOR_NAME": "PACT Demo", "GIT_AUTHOR_EMAIL": "agents@demo.invalid",
            "GIT_COMMITTER_NAME": "PACT Demo", "GIT_COMMITTER_EMAIL": "agents@demo.invalid",
        }
        self.env.pop("PACT_AGENT", None)
        self.env.pop("GIT_DIR", None)
        (root.parent / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n"
                                               "[commit]\n\tgpgsign = false\n")

    def say(self, text: str) -> None:
        print("\n" + self.st(f"== {text}", "1;36"))

    def run(self, *cmd: str, show: bool = True, expect: int | None = 0) -> int:
        # Quoted as a shell would need them, so that every shown command can be copied.
        shown = shlex.join(cmd)
        if cmd[0] == sys.executable:
            shown = shlex.join(["gatekeeper", *cmd[3:]])
        if show:
            print(self.st(f"$ {shown}", "2"))
        proc = subprocess.run(list(cmd), cwd=self.root, env=self.env, text=True,
                              capture_output=True)
        out = (proc.stdout + proc.stderr).rstrip()
        if show and out:
            print(textwrap.indent(out, "  "))
        if expect is not None and proc.returncode != expect:
            raise SystemExit(f"demo: unexpected exit {proc.returncode} from: {shown}\n{out}")
        return proc.returncode

    def gk(self, *args: str, expect: int | None = 0) -> int:
        return self.run(sys.executable, "-m", "gatekeeper", *args, expect=expect)

    def write(self, rel: str, text: str) -> None:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")

    def commit(self, agent: str, message: str, *paths: str, expect: int = 0) -> int:
        """``git add`` then a pathspec commit of ``paths``: only they are committed, whatever
        else is staged (the form the README and the fix: lines use)."""
        self.run("git", "add", "--", *paths)
        rc = self.run("git", "commit", "-q", "-m", message, "--trailer",
                      f"PACT-Agent: {agent}", "--", *paths, expect=expect)
        if rc != 0:
            self.run("git", "reset", "-q", show=False)
        return rc


def _login_code(lines: int) -> str:
    body = "\n".join(f"    check_{i} = token.count('{i}')" for i in range(lines))
    return ("# src/auth/login.py: the login handler of the demo's auth feature.\n"
            "def login(user_id: int, token: str) -> bool:\n"
            f"{body}\n    return bool(user_id)\n")


def run(keep: bool = False) -> int:
    """Run the demo; return 0 when every gate behaved as PACT requires."""
    tmp = Path(tempfile.mkdtemp(prefix="pact-demo-"))
    root = tmp / "shop"
    root.mkdir()
    d = _Demo(root)
    try:
        d.say(f"A fresh repository at {root}, with the gatekeeper's commit-msg hook")
        d.run("git", "init", "-q")
        d.write("README.md", "# shop\n")
        d.write("src/app.py", "# src/app.py: the demo application's entry point.\nAPP = 'shop'\n")
        d.run("git", "add", ".", show=False)
        d.run("git", "commit", "-q", "-m", "initial", show=False)
        d.gk("init")
        d.gk("install")
        d.commit("orchestrator", "Set up pact-gatekeeper", ".pact")

        d.say("The orchestrator plans feature 'auth' (estimate 40 lines) and starts ARCHITECT")
        d.gk("feature", "add", "auth", "--paths", "src/auth/**", "migrations/**", "--estimate", "40",
             "--title", "Login with tokens")
        d.gk("phase", "auth", "architect", "--skip-reason", "plan_section_complete")
        d.commit("orchestrator", "Plan auth", ".pact")

        d.say("Gate 1, phase-gate: the backend coder writes code before the architecture "
              "is approved")
        d.write("src/auth/login.py", _login_code(10))
        d.commit("backend-coder", "Add login handler", "src/auth", expect=1)

        d.say("The architect writes the design; the orchestrator approves it and enters CODE")
        d.write("docs/architecture/auth.md", "# auth: architecture\n\nA token check.\n")
        d.commit("architect", "Architecture for auth", "docs")
        d.gk("approve", "auth", "docs/architecture/auth.md")
        d.gk("phase", "auth", "code")
        d.commit("orchestrator", "auth enters CODE", ".pact")
        d.commit("backend-coder", "Add login handler", "src/auth")

        d.say("Gate 2, domain-boundary: the backend coder changes the database schema")
        d.write("migrations/0002_add_token.sql",
                "-- migrations/0002_add_token.sql: tokens for auth.\n"
                "ALTER TABLE users ADD COLUMN token_hash text;\n")
        d.commit("backend-coder", "Add token column", "migrations", expect=1)
        d.say("...so the orchestrator hands it to the database engineer, whose commit passes")
        d.commit("database-engineer", "Add token column", "migrations")

        d.say("Gate 3, scope-budget: the feature grows far past its 40-line estimate (+20%)")
        d.write("src/auth/login.py", _login_code(60))
        d.commit("backend-coder", "Handle every token shape", "src/auth", expect=1)
        d.say("The orchestrator revises the estimate with a reason; the commit now passes")
        d.gk("estimate", "auth", "90", "--reason", "Token formats from the partner API")
        d.commit("orchestrator", "Revise auth estimate", ".pact")
        d.commit("backend-coder", "Handle every token shape", "src/auth")

        d.say("The orchestrator's inbox: one algedonic note per block")
        d.gk("escalations", "list")
        d.say("Where everything stands")
        d.gk("status")
        print("\n" + d.st("Demo complete: three gates blocked, wrote their notes, and passed "
                          "once the PACT flow was followed.", "1;32"))
        if keep:
            print(f"The repository is kept at {root}")
        return 0
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
