"""The four generator methods (cbas, cvae, ddom, paretoflow) against a plain ``ensemble-nsga2``
trial of the same task, before and after their training was made cheaper (issue 15, item 4;
target: a generator trial <= 3x the plain trial).

Side by side in one run: every trial (``cpu`` budget, seed 0, one torch thread, models trained in
the trial's own process one after another, as ``run_trial``'s default trainer does) runs in a
fresh interpreter, alternating between the package at ``--baseline`` (exported with ``git archive``)
and this tree, trial by trial, so both see the same machine load. Reported per trial: total,
training and search seconds, the ratio of the total to the plain trial of the same task and
tree, the CPU seconds of the trial process and their ratio (robust to a loaded machine, where a
process gets a fraction of a core), the load average while it ran, and the HV (with the committed
``results/compare`` value where that trial exists). A generator trial here trains the ensemble
and the generator one after the other; a sweep trains them in two parallel actors, so
``gen_train_s`` (the trial's training time less the plain trial's) is also shown.

    python -m benchmarks.bench_slow_schemes_generators            # baseline: merge-base with main
    python -m benchmarks.bench_slow_schemes_generators --tasks zdt1 --methods cvae --baseline 1d825df

On a loaded machine the parts can run side by side in several processes (``--plain after`` /
``--plain none``, one task and method each) and be combined with ``--merge`` (see the README).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_cli import export
from benchmarks.common import write_results

ROOT = Path(__file__).resolve().parents[1]
PLAIN = "ensemble-nsga2"
GENERATORS = ("cbas", "cvae", "ddom", "paretoflow")
_RUN = """
import json, sys, time, torch
torch.set_num_threads(1)
from dist_ombo.runner import TrialConfig, run_trial
cfg = TrialConfig.from_dict({"task": sys.argv[1], "method": sys.argv[2], "seed": int(sys.argv[3]), "budget": "cpu"})
c = time.process_time()
m = run_trial(cfg).metrics
row = {k: m[k] for k in ("hv", "time_total_s", "time_train_s", "time_search_s")}
print(json.dumps({**row, "cpu_s": time.process_time() - c}))
"""


def run(tree: Path, task: str, method: str, seed: int) -> dict:
    """One trial in a fresh interpreter importing the package from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    load = os.getloadavg()[0]
    out = subprocess.run([sys.executable, "-c", _RUN, task, method, str(seed)], env=env, capture_output=True,
                         text=True, cwd=tempfile.gettempdir())
    if out.returncode != 0:
        raise SystemExit(f"{method} on {task} failed with the package at {tree}:\n{out.stderr[-2000:]}")
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row["load_avg"] = round((load + os.getloadavg()[0]) / 2, 2)
    return row


def committed_hv(task: str, method: str, seed: int) -> float | None:
    path = ROOT / "results" / "compare" / "trials" / f"{task}__{method}__seed{seed}" / "metrics.json"
    return json.loads(path.read_text())["hv"] if path.exists() else None


def merge_base() -> str:
    out = subprocess.run(["git", "merge-base", "main", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return out.stdout.strip() or "main"


def measure(tasks: list[str], methods: list[str], seed: int, baseline: str, plain: str) -> list[dict]:
    """Trials alternating between the two trees; ``plain``: run the plain trial with ``both`` trees,
    ``after`` only (the ensemble's code is the same in both), or ``none``."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"before": export(baseline, Path(tmp)), "after": ROOT}
        for task in tasks:
            todo = [(PLAIN, v) for v in trees if plain == "both" or (plain == "after" and v == "after")]
            todo += [(m, v) for m in methods for v in trees]
            for method, version in todo:
                r = run(trees[version], task, method, seed)
                r.update(task=task, method=method, version=version, committed_hv=committed_hv(task, method, seed))
                rows.append(r)
                print(f"{task:<5} {method:<15} {version:<6} total {r['time_total_s']:6.1f} s  train "
                      f"{r['time_train_s']:6.1f}  search {r['time_search_s']:5.1f}  cpu {r['cpu_s']:6.1f} s  "
                      f"HV {r['hv']:.9f}  committed {r['committed_hv']}  load {r['load_avg']}", flush=True)
    return rows


def summarize(rows: list[dict]) -> dict:
    """Per task and generator: before/after seconds (wall and CPU), their ratio to the plain trial
    of the same task (the same tree's where both ran, else the one plain trial), HV difference."""
    summary = {}
    for task in sorted({r["task"] for r in rows}):
        plains = {r["version"]: r for r in rows if r["task"] == task and r["method"] == PLAIN}
        for method in GENERATORS:
            pair = {r["version"]: r for r in rows if r["task"] == task and r["method"] == method}
            if len(pair) < 2 or not plains:
                continue
            s = {"plain_s": {v: p["time_total_s"] for v, p in plains.items()},
                 "plain_cpu_s": {v: p["cpu_s"] for v, p in plains.items()}}
            for v, r in pair.items():
                p = plains.get(v) or next(iter(plains.values()))
                s.update({f"{v}_s": r["time_total_s"], f"{v}_cpu_s": r["cpu_s"],
                          f"ratio_{v}": r["time_total_s"] / p["time_total_s"],
                          f"cpu_ratio_{v}": r["cpu_s"] / p["cpu_s"],
                          f"gen_train_{v}_s": r["time_train_s"] - p["time_train_s"], f"hv_{v}": r["hv"]})
            s["speedup"] = s["before_s"] / s["after_s"]
            s["cpu_speedup"] = s["before_cpu_s"] / s["after_cpu_s"]
            s["hv_difference"] = abs(s["hv_before"] - s["hv_after"])
            summary[f"{task}/{method}"] = s
            print(f"{task}/{method}: {s['before_s']:.1f} -> {s['after_s']:.1f} s ({s['speedup']:.2f}x), "
                  f"x{s['ratio_before']:.2f} -> x{s['ratio_after']:.2f} plain; cpu {s['before_cpu_s']:.1f} -> "
                  f"{s['after_cpu_s']:.1f} s ({s['cpu_speedup']:.2f}x), x{s['cpu_ratio_before']:.2f} -> "
                  f"x{s['cpu_ratio_after']:.2f} plain; |HV after - before| {s['hv_difference']:.1e}")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["zdt1", "re21"])
    parser.add_argument("--methods", nargs="*", default=list(GENERATORS), choices=GENERATORS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline", metavar="REV", help="git revision of 'before' (default: merge-base with main)")
    parser.add_argument("--plain", choices=("both", "after", "none"), default="both",
                        help="run the plain ensemble-nsga2 trial with both trees, this tree only, or not at all")
    parser.add_argument("--merge", nargs="+", type=Path, metavar="JSON",
                        help="no trials: combine the trials of earlier runs' results (parts run side by side)")
    parser.add_argument("--name", default="slow_schemes_generators")
    args = parser.parse_args()
    t0 = time.perf_counter()
    if args.merge:
        parts = [json.loads(p.read_text()) for p in args.merge]
        rows = [r for part in parts for r in part["trials"]]
        baseline = parts[0]["baseline"]
        extra = {"parts": [{"file": p.name, "date": part["date"], "wall_s": part["wall_s"]}
                           for p, part in zip(args.merge, parts)]}
    else:
        baseline = args.baseline or merge_base()
        rows = measure(args.tasks, args.methods, args.seed, baseline, args.plain)
        extra = {"wall_s": time.perf_counter() - t0}
    loads = [r["load_avg"] for r in rows]
    payload = {"baseline": baseline, "seed": args.seed, "budget": "cpu", "torch_threads": 1, **extra,
               "load_avg_range": [min(loads), max(loads)], "trials": rows, "summary": summarize(rows)}
    print(f"wrote {write_results(args.name, payload)}")


if __name__ == "__main__":
    main()
