# benchmarks/compare_reports.py: the before/after comparison of two full JSON reports (check --range).
# Proves a speed change kept every verdict, or lists exactly what a precision change altered.
"""Compare two ``gatekeeper check --format json`` reports of the same range.

    python benchmarks/compare_reports.py BEFORE.json AFTER.json [--show N]

A finding is identified by (rule, commit, paths, line); for each one present in both, a
change of action, level or message is reported. Prints counts per rule and the first N
differences of each kind; exits 0 when the reports agree on every finding, else 1.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path
from typing import Any

Key = tuple[str, str, tuple[str, ...], int]


def _index(report: dict[str, Any]) -> dict[Key, dict[str, Any]]:
    out: dict[Key, dict[str, Any]] = {}
    for f in report.get("findings", []):
        key = (f["rule"], f.get("commit") or "", tuple(f.get("paths") or ()), f.get("line") or 0)
        out[key] = f
    return out


def compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Findings only before, only after, and present in both but judged differently."""
    a, b = _index(before), _index(after)
    changed = [(k, a[k], b[k]) for k in a.keys() & b.keys()
               if (a[k]["action"], a[k]["level"], a[k]["message"])
               != (b[k]["action"], b[k]["level"], b[k]["message"])]
    return {"removed": [a[k] for k in a.keys() - b.keys()],
            "added": [b[k] for k in b.keys() - a.keys()],
            "changed": sorted(changed, key=lambda t: t[0])}


def main(argv: list[str] | None = None) -> int:
    """Print the per-rule differences between two reports."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--show", type=int, default=5, help="differences shown per kind")
    args = ap.parse_args(argv)
    before = json.loads(args.before.read_text(encoding="utf-8"))
    after = json.loads(args.after.read_text(encoding="utf-8"))
    diff = compare(before, after)
    print(f"verdict: {before.get('verdict')} -> {after.get('verdict')}; findings: "
          f"{len(before.get('findings', []))} -> {len(after.get('findings', []))}")
    for kind in ("removed", "added"):
        per = collections.Counter(f["rule"] for f in diff[kind])
        print(f"{kind}: {dict(per) or 'none'}")
        for f in diff[kind][:args.show]:
            print(f"  {f['rule']} {f['action']} {(f.get('commit') or '')[:10]} {f['message'][:110]}")
    per = collections.Counter(k[0] for k, _, _ in diff["changed"])
    print(f"changed: {dict(per) or 'none'}")
    for k, old, new in diff["changed"][:args.show]:
        print(f"  {k[0]} {k[1][:10]} {old['action']}/{old['level']} -> {new['action']}/"
              f"{new['level']}: {new['message'][:100]}")
    return 0 if not any(diff.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
