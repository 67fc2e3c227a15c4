"""Cost of the MOBO baselines (GP fit + acquisition search) per budget, one CPU thread.

Fits the GPs of ``dist_ombo.bo`` on a task's dataset and forms a proposal batch with each
acquisition under a budget's settings; reports wall-clock and CPU seconds (the process's own, which
a busy shared machine does not inflate) for the fit and for the search, seconds per greedy step,
and acquisition evaluations. ``--from-trials DIR`` instead tabulates the train and
search times that finished sweep trials recorded (``DIR/trials/*/metrics.json``).

    python benchmarks/bench_bo.py --budget smoke --task zdt1      # writes benchmarks/results/bo.json
    python benchmarks/bench_bo.py --from-trials results/bo        # writes benchmarks/results/bo_trials.json
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch

from benchmarks.common import write_results
from dist_ombo import get_task
from dist_ombo.bo.acquisition import ACQUISITIONS, BOSearchConfig, propose_batch
from dist_ombo.bo.gp import GPConfig, fit_gp
from dist_ombo.catalog import get_budget
from dist_ombo.problem import OfflineProblem


def bench(task_name: str, budget: str, n: int, acquisitions: list[str]) -> list[dict]:
    task = get_task(task_name)
    data = task.dataset(0)
    settings = get_budget(budget)
    gp_cfg = GPConfig(train_size=settings["model"]["train_size"])
    t, c = time.perf_counter(), time.process_time()
    gp = fit_gp(OfflineProblem(data.X, data.Y, task.lower, task.upper, task.n_categories), gp_cfg, seed=0)
    fit_s, fit_cpu_s = time.perf_counter() - t, time.process_time() - c
    rows = []
    for acquisition in acquisitions:
        cfg = BOSearchConfig(acquisition=acquisition, **settings[acquisition])
        t, c = time.perf_counter(), time.process_time()
        result = propose_batch(gp, cfg, n, seed=0)
        search_s, search_cpu_s = time.perf_counter() - t, time.process_time() - c
        steps = math.ceil(n / cfg.per_step)
        rows.append({"task": task_name, "budget": budget, "acquisition": acquisition, "train_size": gp_cfg.train_size,
                     "n_proposals": len(result.X_unit), "fit_s": fit_s, "search_s": search_s,
                     "fit_cpu_s": fit_cpu_s, "search_cpu_s": search_cpu_s,
                     "s_per_step": search_s / steps, "acq_evals": result.n_evals, **cfg.__dict__})
        print(f"{task_name} {budget} {acquisition}: fit {fit_s:.1f} s ({fit_cpu_s:.1f} CPU s), search "
              f"{search_s:.1f} s ({search_cpu_s:.1f} CPU s), {len(result.X_unit)} proposals", flush=True)
    return rows


def from_trials(directory: Path) -> list[dict]:
    rows = []
    for path in sorted(directory.glob("trials/*/metrics.json")):
        m = json.loads(path.read_text())
        rows.append({k: m.get(k) for k in ("task", "method", "seed", "budget", "time_train_s", "time_search_s",
                                           "time_total_s", "n_proposals", "surrogate_evals", "hv", "hv_dbest")})
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", default="zdt1")
    p.add_argument("--budget", default="smoke")
    p.add_argument("--n", type=int, default=256, help="proposals per batch (Off-MOO-Bench: 256)")
    p.add_argument("--acquisitions", default=",".join(ACQUISITIONS))
    p.add_argument("--from-trials", type=Path, default=None)
    args = p.parse_args()
    torch.set_num_threads(1)
    if args.from_trials is not None:
        rows = from_trials(args.from_trials)
        for r in rows:
            print(r)
        write_results("bo_trials", {"source": str(args.from_trials), "trials": rows})
        return
    rows = bench(args.task, args.budget, args.n, args.acquisitions.split(","))
    write_results("bo", {"rows": rows})


if __name__ == "__main__":
    main()
