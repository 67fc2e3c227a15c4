"""PGS and RoMA trials before and after their restructuring, beside a plain ensemble-nsga2 trial of
the same task, interleaved in one run (issue 15, item 4: each <= 3x the plain trial at the cpu
budget).

Every trial runs from its config in a fresh interpreter with one torch thread (as a sweep's
one-CPU trial does): the plain trial and the "after" trials with this tree's package, the "before"
trials with the package at a git revision (``--before``: the revision the restructuring started
from, exported with ``git archive``, so the old code is reachable only here). Per task and round the order is plain, then each
method before and after, so a change of machine load hits all of them alike; the load average is
recorded around every trial.

    python -m benchmarks.bench_slow_schemes_roma_pgs --before 1d825df
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_cli import export
from benchmarks.common import write_results

ROOT = Path(__file__).resolve().parents[1]
PLAIN = "ensemble-nsga2"
_RUN = """
import json, sys, torch
torch.set_num_threads(1)
from dist_ombo.runner import TrialConfig, run_trial
m = run_trial(TrialConfig.from_dict(json.loads(sys.argv[1]))).metrics
print(json.dumps({k: m[k] for k in ("hv", "time_train_s", "time_search_s", "time_total_s")}))
"""


def trial(tree: Path, task: str, method: str, seed: int, budget: str) -> dict:
    """One trial in a fresh interpreter importing ``dist_ombo`` from ``tree``; its timings, HV and
    the 1-minute load average before and after."""
    config = json.dumps({"task": task, "method": method, "seed": seed, "budget": budget})
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    load_before = os.getloadavg()[0]
    out = subprocess.run([sys.executable, "-c", _RUN, config], env=env, capture_output=True, text=True,
                         cwd=tempfile.gettempdir())
    if out.returncode != 0:
        raise SystemExit(f"{task} {method} failed in {tree}:\n{out.stderr[-2000:]}")
    row = json.loads(out.stdout.strip().splitlines()[-1])
    return {**row, "load_before": load_before, "load_after": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, metavar="REV", help="git revision of the code before")
    parser.add_argument("--tasks", nargs="+", default=["zdt1", "re21"])
    parser.add_argument("--methods", nargs="+", default=["pgs", "roma-nsga2"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", default="cpu")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--name", default="slow_schemes_roma_pgs", help="results file name (no .json)")
    args = parser.parse_args()
    rows, path = [], None
    with tempfile.TemporaryDirectory() as tmp:
        before = export(args.before, Path(tmp))
        for rnd in range(args.rounds):
            for task in args.tasks:
                plain = trial(ROOT, task, PLAIN, args.seed, args.budget)
                print(f"{task:<6} {PLAIN:<12} {plain['time_total_s']:7.1f} s  hv {plain['hv']:.6f}  "
                      f"load {plain['load_before']:.1f}-{plain['load_after']:.1f}", flush=True)
                for method in args.methods:
                    old = trial(before, task, method, args.seed, args.budget)
                    new = trial(ROOT, task, method, args.seed, args.budget)
                    row = {"round": rnd, "task": task, "method": method, "seed": args.seed, "plain": plain,
                           "before": old, "after": new,
                           "ratio_before": old["time_total_s"] / plain["time_total_s"],
                           "ratio_after": new["time_total_s"] / plain["time_total_s"],
                           "speedup": old["time_total_s"] / new["time_total_s"],
                           "hv_difference": new["hv"] - old["hv"]}
                    rows.append(row)
                    print(f"{task:<6} {method:<12} before {old['time_total_s']:7.1f} s ({row['ratio_before']:.2f}x plain, "
                          f"search {old['time_search_s']:.1f} s)  after {new['time_total_s']:7.1f} s "
                          f"({row['ratio_after']:.2f}x plain, search {new['time_search_s']:.1f} s)  "
                          f"speed-up {row['speedup']:.2f}x  hv {old['hv']:.9f} -> {new['hv']:.9f} "
                          f"(diff {row['hv_difference']:.1e})  load {old['load_before']:.1f}-{new['load_after']:.1f}",
                          flush=True)
                    # written after every row: a long run cut short keeps what it measured
                    path = write_results(args.name, {"before": args.before, "budget": args.budget, "rows": rows})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
