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
``results/compare`` value where that trial exists). A generator trial here trains the ensemble and the generator one after the other;
a sweep trains them in two parallel actors, so ``gen_train_s`` (the trial's training time less the
plain trial's) is also shown.

    python -m benchmarks.bench_slow_schemes_generators            # baseline: merge-base with main
    python -m benchmarks.bench_slow_schemes_generators --tasks zdt1 --methods cvae --baseline 1d825df
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["zdt1", "re21"])
    parser.add_argument("--methods", nargs="+", default=list(GENERATORS), choices=GENERATORS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline", metavar="REV", help="git revision of 'before' (default: merge-base with main)")
    parser.add_argument("--name", default="slow_schemes_generators")
    args = parser.parse_args()
    baseline = args.baseline or merge_base()
    rows = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"before": export(baseline, Path(tmp)), "after": ROOT}
        for task in args.tasks:
            plain: dict[str, float] = {}
            for method in [PLAIN, *args.methods]:
                for version, tree in trees.items():
                    r = run(tree, task, method, args.seed)
                    if method == PLAIN:
                        plain[version] = r
                    base = plain[version]
                    r.update(task=task, method=method, version=version,
                             committed_hv=committed_hv(task, method, args.seed),
                             ratio_to_plain=r["time_total_s"] / base["time_total_s"],
                             cpu_ratio_to_plain=r["cpu_s"] / base["cpu_s"],
                             gen_train_s=r["time_train_s"] - base["time_train_s"] if method != PLAIN else 0.0)
                    rows.append(r)
                    print(f"{task:<5} {method:<15} {version:<6} total {r['time_total_s']:6.1f} s  train "
                          f"{r['time_train_s']:6.1f}  (generator ~{r['gen_train_s']:5.1f})  search "
                          f"{r['time_search_s']:5.1f}  x{r['ratio_to_plain']:.2f} plain  cpu {r['cpu_s']:6.1f} s "
                          f"x{r['cpu_ratio_to_plain']:.2f}  HV {r['hv']:.9f}  "
                          f"committed {r['committed_hv']}  load {r['load_avg']}", flush=True)
    summary = {}
    for task in args.tasks:
        for method in args.methods:
            pair = {r["version"]: r for r in rows if r["task"] == task and r["method"] == method}
            summary[f"{task}/{method}"] = {
                "before_s": pair["before"]["time_total_s"], "after_s": pair["after"]["time_total_s"],
                "speedup": pair["before"]["time_total_s"] / pair["after"]["time_total_s"],
                "ratio_before": pair["before"]["ratio_to_plain"], "ratio_after": pair["after"]["ratio_to_plain"],
                "cpu_before_s": pair["before"]["cpu_s"], "cpu_after_s": pair["after"]["cpu_s"],
                "cpu_ratio_before": pair["before"]["cpu_ratio_to_plain"],
                "cpu_ratio_after": pair["after"]["cpu_ratio_to_plain"],
                "hv_before": pair["before"]["hv"], "hv_after": pair["after"]["hv"],
                "hv_difference": abs(pair["before"]["hv"] - pair["after"]["hv"]),
            }
            s = summary[f"{task}/{method}"]
            print(f"{task}/{method}: {s['before_s']:.1f} -> {s['after_s']:.1f} s ({s['speedup']:.2f}x); "
                  f"x{s['ratio_before']:.2f} -> x{s['ratio_after']:.2f} plain; cpu {s['cpu_before_s']:.1f} -> "
                  f"{s['cpu_after_s']:.1f} s, x{s['cpu_ratio_before']:.2f} -> x{s['cpu_ratio_after']:.2f} plain; "
                  f"|HV after - before| "
                  f"{s['hv_difference']:.1e}")
    loads = [r["load_avg"] for r in rows]
    payload = {"baseline": baseline, "seed": args.seed, "budget": "cpu", "torch_threads": 1,
               "wall_s": time.perf_counter() - t0, "load_avg_range": [min(loads), max(loads)],
               "trials": rows, "summary": summary}
    print(f"wrote {write_results(args.name, payload)}")


if __name__ == "__main__":
    main()
