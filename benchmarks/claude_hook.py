# benchmarks/claude_hook.py: warm latency of `gatekeeper hook claude` per event, against two baselines.
"""Claude Code runs the hook on every edit, so a warm call must stay under 100 ms.

A throwaway PACT repository is set up through the real CLI (one feature in CODE with
its architecture approved). Each event is sent as Claude Code sends it, on stdin to
``python -m gatekeeper hook claude``, as a subprocess. After untimed warm-up calls (the
context cache is filled, bytecode compiled), subject and baseline (``python -c pass``)
are interleaved with two baselines measured in the same run: bare ``python -c pass`` and the
commit-msg hook on a one-line staged change (the gate this adapter moves earlier). The
medians are reported with their ratios, and the machine's load.

    python benchmarks/claude_hook.py [--runs 15] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_MS = 100.0


def _env(pycache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(PYTHONPATH=str(ROOT), PYTHONPYCACHEPREFIX=str(pycache), GIT_CONFIG_NOSYSTEM="1",
               GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _run(argv: list[str], cwd: Path, env: dict[str, str], stdin: str = "") -> str:
    proc = subprocess.run(argv, cwd=cwd, env=env, input=stdin, text=True, capture_output=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr}")
    return proc.stdout


def setup(repo: Path, env: dict[str, str]) -> None:
    """A PACT repository with feature auth in CODE and some code in it."""
    gk = [sys.executable, "-m", "gatekeeper"]
    repo.mkdir(parents=True)
    _run(["git", "init", "-q", "-b", "main"], repo, env)
    (repo / "README.md").write_text("# bench\n")
    _run([*gk, "init"], repo, env)
    _run(["git", "add", "-A"], repo, env)
    _run(["git", "commit", "-q", "-m", "init\n\nPACT-Agent: orchestrator"], repo, env)
    _run([*gk, "feature", "add", "auth", "--paths", "src/auth/**", "--estimate", "2000"], repo, env)
    (repo / "docs/architecture").mkdir(parents=True)
    (repo / "docs/architecture/auth.md").write_text("# auth\n")
    _run([*gk, "approve", "auth", "docs/architecture/auth.md"], repo, env)
    for phase in ("prepare", "architect", "code"):
        _run([*gk, "phase", "auth", phase], repo, env)
    _run(["git", "add", "-A"], repo, env)
    _run(["git", "commit", "-q", "-m", "auth to code\n\nPACT-Agent: orchestrator"], repo, env)
    (repo / "src/auth").mkdir(parents=True)
    for i in range(20):
        body = "".join(f"value_{j} = {j}\n" for j in range(40))
        (repo / f"src/auth/mod{i}.py").write_text(f"# mod{i}\n{body}")
    _run(["git", "add", "-A"], repo, env)
    _run(["git", "commit", "-q", "-m", "auth code\n\nPACT-Agent: backend-coder"], repo, env)
    # A staged one-line change for the commit-msg baseline.
    mod = repo / "src/auth/mod1.py"
    mod.write_text(mod.read_text().replace("value_1 = 1\n", "value_1 = 10\n"))
    _run(["git", "add", "src/auth/mod1.py"], repo, env)
    (repo.parent / "msg.txt").write_text("auth: x\n\nPACT-Agent: backend-coder\n")


def events(repo: Path) -> dict[str, dict[str, object]]:
    """One event per measured case, shaped as Claude Code sends them."""
    common = {"session_id": "bench", "transcript_path": str(repo.parent / "t.jsonl"),
              "cwd": str(repo), "permission_mode": "default"}
    sub = {"agent_id": "a1", "agent_type": "pact-backend-coder"}

    def tool(name: str, ti: dict[str, object], who: dict[str, str]) -> dict[str, object]:
        return {**common, **who, "hook_event_name": "PreToolUse", "tool_name": name,
                "tool_input": ti, "tool_use_id": "toolu_bench"}

    return {
        "Write, pass": tool("Write", {"file_path": str(repo / "src/auth/new.py"),
                                      "content": "# new\nx = 1\n"}, sub),
        "Edit, pass": tool("Edit", {"file_path": str(repo / "src/auth/mod3.py"),
                                    "old_string": "value_7 = 7\n", "new_string": "value_7 = 8\n"},
                           sub),
        "Write, deny (note)": tool("Write", {"file_path": str(repo / "migrations/0001.sql"),
                                             "content": "ALTER TABLE t ADD c int;\n"}, sub),
        "Bash git commit": tool("Bash", {"command": "git commit -m 'auth: x'"}, sub),
        "UserPromptSubmit": {**common, "hook_event_name": "UserPromptSubmit", "prompt": "go"},
    }


def measure(runs: int) -> dict[str, object]:
    """Medians in milliseconds per case, the baseline, and the ratios."""
    with tempfile.TemporaryDirectory(prefix="gk-claude-bench-") as tmp:
        env = _env(Path(tmp) / "pycache")
        repo = Path(tmp) / "repo"
        setup(repo, env)
        hook = [sys.executable, "-m", "gatekeeper", "hook", "claude"]
        bare = [sys.executable, "-c", "pass"]
        commit_msg = [sys.executable, "-m", "gatekeeper", "hook", "commit-msg",
                      str(repo.parent / "msg.txt")]
        cases = {name: json.dumps(ev) for name, ev in events(repo).items()}

        def once(argv: list[str], stdin: str) -> float:
            t0 = time.perf_counter()
            _run(argv, repo, env, stdin)
            return (time.perf_counter() - t0) * 1000

        for payload in cases.values():  # warm-up: caches filled, bytecode compiled
            once(hook, payload)
            once(hook, payload)
        once(commit_msg, "")
        times: dict[str, list[float]] = {name: [] for name in cases}
        base: list[float] = []
        hook_base: list[float] = []
        for _ in range(runs):
            for name, payload in cases.items():
                times[name].append(once(hook, payload))
                base.append(once(bare, ""))
                hook_base.append(once(commit_msg, ""))
        baseline = statistics.median(base)
        commit_hook = statistics.median(hook_base)
        rows = {name: {"median_ms": round(statistics.median(t), 1),
                       "ratio_to_bare_python": round(statistics.median(t) / baseline, 2),
                       "ratio_to_commit_msg_hook": round(statistics.median(t) / commit_hook, 2),
                       "within_budget": statistics.median(t) <= BUDGET_MS}
                for name, t in times.items()}
    return {"runs": runs, "bare_python_ms": round(baseline, 1),
            "commit_msg_hook_ms": round(commit_hook, 1), "budget_ms": BUDGET_MS,
            "load_average": list(os.getloadavg()), "cpus": os.cpu_count(), "cases": rows}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table (or JSON)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    result = measure(args.runs)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    load = ", ".join(f"{x:.2f}" for x in result["load_average"])  # type: ignore[attr-defined]
    print(f"gatekeeper hook claude, warm, median of {args.runs} "
          f"(load average {load} on {result['cpus']} CPUs)")
    print(f"  baselines: bare `python -c pass` {result['bare_python_ms']} ms, commit-msg hook "
          f"(1-line staged change) {result['commit_msg_hook_ms']} ms")
    print(f"  {'event':<22} {'median':>10}  {'/python':>7}  {'/commit-msg':>11}")
    for name, row in result["cases"].items():  # type: ignore[attr-defined]
        flag = "ok" if row["within_budget"] else f"OVER {BUDGET_MS:g} ms"
        print(f"  {name:<22} {row['median_ms']:>7} ms  {row['ratio_to_bare_python']:>6}x  "
              f"{row['ratio_to_commit_msg_hook']:>10}x  {flag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
