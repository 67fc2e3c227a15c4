"""COMs and Tri-mentoring trials before and after their restructuring (issue 15, item 4), side by
side in one run with a plain ensemble-nsga2 trial of the same task.

Every trial runs in a fresh interpreter with one torch thread (as a sweep's one-CPU trial), at the
``cpu`` budget, seed 0, interleaved per task: the plain ensemble, then each method with the package
at ``--baseline`` (the code before, a ``git archive`` of that revision) and with this tree. The
ensemble code is the same in both, so the plain trial runs once per task (this tree). Reports
seconds per trial (training, search, total), the ratio to the plain trial, the load average while
it ran, the HV, and whether the proposals are the same (a hash of the proposed designs).

Results are written after every trial (``results/bench_slow_schemes_coms.json``), so a run cut
short keeps what it finished.

    python -m benchmarks.bench_slow_schemes_coms --baseline 1d825df --tasks zdt1 re21
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
NAME = "bench_slow_schemes_coms"
PLAIN = "ensemble-nsga2"
METHODS = ("coms-nsga2", "tri-mentoring-nsga2")
_RUN = """
import hashlib, json, sys, torch
torch.set_num_threads(1)
from dist_ombo.runner import TrialConfig, run_trial
task, method = sys.argv[1], sys.argv[2]
r = run_trial(TrialConfig.from_dict({"task": task, "method": method, "seed": 0, "budget": "cpu"}))
m = r.metrics
X = r.proposals[[c for c in r.proposals.columns if c.startswith("x")]].to_numpy()
out = {k: m[k] for k in ("hv", "time_train_s", "time_search_s", "time_score_s", "time_total_s")}
out["proposals_sha1"] = hashlib.sha1(X.tobytes()).hexdigest()[:16]
print(json.dumps(out))
"""


def run(tree: Path, task: str, method: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _RUN, task, method], env=env, capture_output=True, text=True,
                         cwd=tempfile.gettempdir())
    if out.returncode != 0:
        raise SystemExit(f"{method} on {task} failed:\n{out.stderr[-2000:]}")
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row.update(wall_s=time.perf_counter() - t0, load_start=load0, load_end=os.getloadavg()[0])
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="1d825df", help="git revision of the code before")
    parser.add_argument("--tasks", nargs="+", default=["zdt1", "re21"])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--name", default=NAME, help="results file name (results/NAME.json)")
    args = parser.parse_args()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"before": export(args.baseline, Path(tmp)), "after": ROOT}
        for task in args.tasks:
            plain = run(ROOT, task, PLAIN)
            rows.append({"task": task, "method": PLAIN, "code": "after", **plain})
            print(f"{task:<6} {PLAIN:<20} {'':<6} total {plain['time_total_s']:7.1f} s  train "
                  f"{plain['time_train_s']:7.1f} s  HV {plain['hv']:.6f}  load {plain['load_start']:.1f}", flush=True)
            for method in args.methods:
                pair = {}
                for code, tree in trees.items():
                    r = run(tree, task, method)
                    r["ratio_to_plain"] = r["time_total_s"] / plain["time_total_s"]
                    pair[code] = r
                    rows.append({"task": task, "method": method, "code": code, **r})
                    print(f"{task:<6} {method:<20} {code:<6} total {r['time_total_s']:7.1f} s  train "
                          f"{r['time_train_s']:7.1f} s  = {r['ratio_to_plain']:.2f}x plain  HV {r['hv']:.6f}  "
                          f"proposals {r['proposals_sha1']}  load {r['load_start']:.1f}", flush=True)
                    write_results(args.name, {"baseline": args.baseline, "trials": rows})
                b, a = pair["before"], pair["after"]
                print(f"{task:<6} {method:<20} speed-up {b['time_total_s'] / a['time_total_s']:.2f}x total, "
                      f"{b['time_train_s'] / a['time_train_s']:.2f}x training; |HV after - before| "
                      f"{abs(a['hv'] - b['hv']):.1e}; same proposals: {a['proposals_sha1'] == b['proposals_sha1']}",
                      flush=True)
    print(f"wrote {write_results(args.name, {'baseline': args.baseline, 'trials': rows})}")


if __name__ == "__main__":
    main()
