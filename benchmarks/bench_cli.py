"""Start-up time of the listing commands: `dist-ombo methods`, `dist-ombo tasks`, `dist-ombo --help`.

Each command runs in a fresh interpreter ``--repeat`` times (median wall seconds reported), and once
more under ``python -X importtime`` to count the modules it imports and whether torch or ray is
among them. ``--compare REV`` times the package as it was at a git revision side by side (its
``dist_ombo`` exported to a temporary folder), so the ratio comes from one run on one machine.
Target: each listing command under 1.5 s, importing neither torch nor ray.

    python -m benchmarks.bench_cli --compare a5fea9d
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

from benchmarks.common import write_results

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {"methods": ["methods"], "tasks": ["tasks"], "help": ["--help"]}
TARGET_S = 1.5


def _run(tree: Path, argv: list[str], importtime: bool = False) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "dist_ombo.cli", *argv]
    t = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, cwd=tree)
    return time.perf_counter() - t, out.stderr


def measure(tree: Path, repeat: int) -> dict[str, dict]:
    results = {}
    for name, argv in COMMANDS.items():
        _run(tree, argv)  # warm the file cache
        times = [_run(tree, argv)[0] for _ in range(repeat)]
        _, log = _run(tree, argv, importtime=True)
        modules = [line.split("|")[-1].strip() for line in log.splitlines() if line.startswith("import time:")][1:]
        top = {m.split(".")[0] for m in modules}
        results[name] = {
            "median_s": statistics.median(times), "min_s": min(times), "modules_imported": len(modules),
            "torch_modules": sum(m.split(".")[0] == "torch" for m in modules),
            "imports_torch": "torch" in top, "imports_ray": "ray" in top,
        }
    return results


def export(rev: str, into: Path) -> Path:
    """The ``dist_ombo`` package at ``rev``, written under ``into``."""
    blob = subprocess.run(["git", "archive", rev, "dist_ombo"], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--compare", metavar="REV", help="also time the package at this git revision")
    args = parser.parse_args()
    trees = {"this tree": ROOT}
    with tempfile.TemporaryDirectory() as tmp:
        if args.compare:
            trees[args.compare] = export(args.compare, Path(tmp))
        figures = {label: measure(tree, args.repeat) for label, tree in trees.items()}
    print(f"{'tree':<12} {'command':<8} {'median s':>9} {'modules':>8} {'torch mods':>10}  torch  ray")
    for label, rows in figures.items():
        for name, r in rows.items():
            print(f"{label:<12} {name:<8} {r['median_s']:>9.3f} {r['modules_imported']:>8} {r['torch_modules']:>10}"
                  f"  {str(r['imports_torch']):<5}  {r['imports_ray']}")
    now = figures["this tree"]
    meets = all(r["median_s"] < TARGET_S and not r["imports_torch"] and not r["imports_ray"] for r in now.values())
    print(f"target: every listing command under {TARGET_S} s without torch or ray: {'met' if meets else 'NOT met'}")
    payload = {"repeat": args.repeat, "target_s": TARGET_S, "target_met": meets, "figures": figures}
    if args.compare:
        old = figures[args.compare]
        payload["speedup_methods"] = old["methods"]["median_s"] / now["methods"]["median_s"]
        print(f"`dist-ombo methods`: {old['methods']['median_s']:.2f} s at {args.compare} -> "
              f"{now['methods']['median_s']:.2f} s ({payload['speedup_methods']:.1f}x)")
    print(f"wrote {write_results('cli', payload)}")


if __name__ == "__main__":
    main()
