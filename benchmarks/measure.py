# benchmarks/measure.py: timing and memory primitives for run.py: interleaved runs, medians, peak RSS.
"""How a figure is measured.

Every command runs as a subprocess, the way git runs a hook, with its output captured.
Subject and baseline are *interleaved* (subject, baseline, subject, baseline, ...) after
one untimed warm-up round, so a burst of load on a shared machine hits both alike; the
figure is the ratio of their medians.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Cmd:
    """One command to time: argv, where, extra environment, standard input."""

    argv: tuple[str, ...]
    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)
    stdin: bytes = b""
    ok: tuple[int, ...] = (0,)  # exit codes that mean "ran as intended"


#: A measured step: one command, or several whose times are summed (the latency floor).
Step = Cmd | tuple[Cmd, ...]


def base_env(pycache: Path, repo_root: Path) -> dict[str, str]:
    """The environment every timed command starts from.

    Bytecode is cached (in ``pycache``, not in the checkout) as it is in any real install;
    ``PYTHONDONTWRITEBYTECODE`` would make every Python command recompile its imports.
    Git variables of an enclosing hook or repository are removed.
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GIT_") and k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env["PYTHONPATH"] = str(repo_root)  # measure this checkout, installed or not
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["LC_ALL"] = "C"
    return env


class Runner:
    """Runs commands with a shared base environment and checks their exit codes."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = dict(env)

    def once(self, cmd: Cmd) -> float:
        """Wall time of one run of ``cmd``, in seconds."""
        env = {**self.env, **cmd.env}
        t0 = time.perf_counter()
        proc = subprocess.run(cmd.argv, cwd=cmd.cwd, env=env, input=cmd.stdin,
                              capture_output=True, check=False)
        elapsed = time.perf_counter() - t0
        if proc.returncode not in cmd.ok:
            raise RuntimeError(
                f"benchmark command failed ({proc.returncode}): {' '.join(cmd.argv)}\n"
                f"{proc.stderr.decode(errors='replace')[-2000:]}")
        return elapsed

    def step(self, step: Step) -> float:
        """Wall time of a step (the sum over its commands)."""
        return sum(self.once(c) for c in step) if isinstance(step, tuple) else self.once(step)

    def interleaved(self, steps: Mapping[str, Step], runs: int, warmup: int = 1,
                    ) -> dict[str, list[float]]:
        """Time every step ``runs`` times, round-robin, after ``warmup`` untimed rounds."""
        for _ in range(warmup):
            for s in steps.values():
                self.step(s)
        times: dict[str, list[float]] = {name: [] for name in steps}
        for _ in range(runs):
            for name, s in steps.items():
                times[name].append(self.step(s))
        return times

    def peak_rss(self, gatekeeper_args: Sequence[str], cmd: Cmd) -> dict[str, float]:
        """Peak RSS in MB of ``python -m gatekeeper ARGS`` run as ``cmd`` describes:
        ``python`` is the gatekeeper process itself plus its workers' peaks (a long range,
        ``workers`` of them), ``largest`` the largest of those processes, ``tree`` the
        largest process of the run (the gatekeeper or one of its git children).

        A small wrapper runs the module exactly as ``-m`` does. ``getrusage(RUSAGE_SELF)``
        would be wrong for it: Linux carries ``ru_maxrss`` across fork and exec, so a
        process started by this (large) benchmark process inherits our peak. The wrapper
        therefore reads its own ``VmHWM`` (the high-water mark of its own address space)
        and ``RUSAGE_CHILDREN`` for its git children, whose inherited part is bounded by
        the gatekeeper's own peak, so the larger of the two is the true peak of the run.
        """
        with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
            # exit_process is made to raise as the normal exit does (it would end the
            # process at once, with os._exit), so that the wrapper gets to report.
            wrapper = (
                "import json, resource, runpy, sys\n"
                "import gatekeeper.cli\n"
                "def normal_exit(code):\n"
                "    raise SystemExit(code)\n"
                "gatekeeper.cli.exit_process = normal_exit\n"
                f"sys.argv = ['gatekeeper', *{list(gatekeeper_args)!r}]\n"
                "code = 0\n"
                "try:\n"
                "    runpy.run_module('gatekeeper', run_name='__main__', alter_sys=True)\n"
                "except SystemExit as exc:\n"
                "    code = exc.code\n"
                "hwm = None\n"
                "try:\n"
                "    for line in open('/proc/self/status'):\n"
                "        if line.startswith('VmHWM:'):\n"
                "            hwm = int(line.split()[1])\n"
                "except OSError:\n"
                "    pass\n"
                "r = resource.getrusage\n"
                "w = sys.modules.get('gatekeeper.workers')\n"
                "json.dump({'self': hwm or r(resource.RUSAGE_SELF).ru_maxrss,"
                " 'children': r(resource.RUSAGE_CHILDREN).ru_maxrss, 'rc': code,"
                " 'workers': list(getattr(w, 'PEAKS_KB', []))},"
                f" open({out.name!r}, 'w'))\n")
            self.once(Cmd(argv=(sys.executable, "-c", wrapper), cwd=cmd.cwd, env=cmd.env,
                          stdin=cmd.stdin, ok=cmd.ok))
            got = json.loads(Path(out.name).read_text())
        if got["rc"] not in cmd.ok:
            raise RuntimeError(f"gatekeeper exited {got['rc']} under the RSS wrapper")
        kb = 1024.0  # VmHWM and ru_maxrss are in KiB on Linux
        # Workers (gatekeeper/workers.py) report their own VmHWM: the gatekeeper's memory is
        # the parent's peak plus every worker's (an upper bound: they share pages).
        return {"python": (got["self"] + sum(got["workers"])) / kb,
                "largest": max([got["self"], *got["workers"]]) / kb,
                "tree": max(got["self"], got["children"]) / kb,
                "workers": float(len(got["workers"]))}


def median(values: Sequence[float]) -> float:
    """The median of ``values``."""
    return float(statistics.median(values))
