# benchmarks/scan_real_code.py: run the signal detectors over the stdlib and site-packages.
# Measures throughput and shows findings per detector so a human can judge false positives.
"""Scan real code with every content detector, as if every line of every file were added.

    python benchmarks/scan_real_code.py [--sample N] [--json] [--root DIR ...]

Findings are counted twice: raw, and after the bundled pack's ``exclude_paths`` (paths taken
relative to each scanned root). Params come from ``policies/pact-signals.yaml``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import sysconfig
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from gatekeeper import globs, signals  # noqa: E402

SKIP_DIRS = {"__pycache__", ".git", "node_modules"}
SKIP_EXTS = {"pyc", "pyo", "so", "dylib", "dll", "gz", "bz2", "xz", "zip", "whl", "png", "jpg",
             "gif", "ico", "wav", "mat", "sav", "npy", "npz", "pkl", "db", "a", "o", "exe"}
MAX_BYTES = 4 * 1024 * 1024
CHECK_RULES = {  # check kind -> rule id in the bundled pack
    "hardcoded_secret": "hardcoded-secret", "frontend_credentials": "frontend-credentials",
    "sql_injection": "sql-injection", "pii_in_logs": "pii-in-logs",
    "destructive_sql": "destructive-sql", "sensitive_file": "env-file",
    "file_header": "file-header",
}


def load_pack() -> dict[str, dict[str, Any]]:
    """Each check kind's rule from the bundled pack (params and exclude_paths)."""
    import yaml

    data = yaml.safe_load((HERE / "policies" / "pact-signals.yaml").read_text(encoding="utf-8"))
    return {r["check"]: r for r in data["rules"]}


def iter_files(root: Path, skip: Sequence[Path]) -> Iterator[tuple[Path, str]]:
    """(absolute path, path relative to root) of every candidate text file, sorted."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in SKIP_DIRS and Path(dirpath, d) not in skip)
        for name in sorted(filenames):
            if name.rsplit(".", 1)[-1].lower() in SKIP_EXTS:
                continue
            full = Path(dirpath, name)
            yield full, full.relative_to(root).as_posix()


def read_text(path: Path) -> str | None:
    """The file as text, or None when it is large, binary or not UTF-8."""
    try:
        if path.stat().st_size > MAX_BYTES or not path.is_file():
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def scan(roots: Sequence[Path], pack: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Scan every file under ``roots``; return figures, findings and per-check timings."""
    files = lines_n = size = 0
    timings = dict.fromkeys(CHECK_RULES, 0.0)
    findings: dict[str, list[dict[str, Any]]] = {k: [] for k in CHECK_RULES}
    for root in roots:
        skip = [r for r in roots if r != root and root in r.parents]
        for full, rel in iter_files(root, skip):
            text = read_text(full)
            if text is None:
                continue
            files += 1
            size += len(text.encode("utf-8"))
            lines = list(enumerate(text.splitlines(), 1))
            lines_n += len(lines)
            shown = f"{root.name}/{rel}"
            for check in CHECK_RULES:
                params = pack.get(check, {}).get("params", {})
                t0 = time.perf_counter()
                if check == "sensitive_file":
                    one = signals.sensitive_file(rel, params)
                    hits = [one] if one else []
                elif check == "file_header":
                    one = signals.file_header(rel, lines, params) if rel.endswith(".py") else None
                    hits = [one] if one else []
                else:
                    hits = signals.CONTENT_DETECTORS[check](rel, lines, params)
                timings[check] += time.perf_counter() - t0
                excludes = pack.get(check, {}).get("selectors", {}).get("exclude_paths", [])
                for h in hits:
                    findings[check].append({
                        "path": shown, "line": h.line, "observed": h.observed, "excerpt": h.excerpt,
                        "excluded": globs.match_any(excludes, rel)})
    content = sum(timings[k] for k in signals.CONTENT_DETECTORS)
    mb = size / 1e6
    return {
        "roots": [str(r) for r in roots], "files": files, "lines": lines_n, "mb": round(mb, 2),
        "content_seconds": round(content, 2),
        "mb_per_s": round(mb / content, 2) if content else None,
        "per_check": {k: {"rule": CHECK_RULES[k], "findings": len(v),
                          "after_excludes": sum(not f["excluded"] for f in v),
                          "seconds": round(timings[k], 2),
                          "mb_per_s": round(mb / timings[k], 1) if timings[k] else None}
                      for k, v in findings.items()},
        "findings": findings,
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--sample", type=int, default=0, metavar="N",
                    help="show N random findings per detector (after excludes)")
    ap.add_argument("--all", action="store_true", help="sample from excluded findings too")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--root", action="append", type=Path,
                    help="directory to scan (default: stdlib and site-packages)")
    args = ap.parse_args(argv)
    paths = sysconfig.get_paths()
    roots = [p.resolve() for p in (args.root or [Path(paths["stdlib"]), Path(paths["purelib"])])]
    report = scan(roots, load_pack())
    rnd = random.Random(args.seed)
    samples: dict[str, list[dict[str, Any]]] = {}
    for check, found in report.pop("findings").items():
        pool = found if args.all else [f for f in found if not f["excluded"]]
        samples[check] = rnd.sample(pool, min(args.sample, len(pool)))
    if args.json:
        report["samples"] = samples
        print(json.dumps(report, indent=2))
        return 0
    print(f"roots: {', '.join(report['roots'])}")
    print(f"files {report['files']}  lines {report['lines']}  MB {report['mb']}  "
          f"content detectors {report['content_seconds']} s  =  {report['mb_per_s']} MB/s")
    print(f"{'check':22} {'rule':22} {'findings':>9} {'after excl.':>11} {'s':>7} {'MB/s':>7}")
    for check, row in report["per_check"].items():
        print(f"{check:22} {row['rule']:22} {row['findings']:>9} {row['after_excludes']:>11} "
              f"{row['seconds']:>7} {row['mb_per_s']!s:>7}")
    for check, rows in samples.items():
        if rows:
            print(f"\n== {check}: {len(rows)} sampled")
            for f in rows:
                print(f"  {f['path']}:{f['line']}  [{f['observed']}]\n      {f['excerpt']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
