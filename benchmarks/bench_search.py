"""Surrogate evaluations per second inside pymoo search (NSGA-II / GA), one CPU thread.

The surrogate is the ``cpu``-budget ensemble (5 members x m objectives, 2 x 256 MLPs) trained
briefly on the task's dataset; search is NSGA-II (MOO) or GA (SOO), population 256 x 50
generations, as in the Off-MOO-Bench reference. Reported: evaluations/s of the whole search (pymoo
overhead included) and of the bare batched forward pass on a 256-design population.

    python benchmarks/bench_search.py      # writes benchmarks/results/search.json
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from benchmarks.common import write_results
from dist_ombo import get_task
from dist_ombo.catalog import BUDGETS
from dist_ombo.models.ensemble import EnsembleConfig, EnsembleSurrogate
from dist_ombo.search.evolutionary import EvolutionConfig, evolutionary_search


def bench(task_name: str, algorithm: str, n_total: int, steps: int) -> dict:
    task = get_task(task_name, n_total=n_total)
    data = task.dataset(0)
    cfg = EnsembleConfig.from_dict({**BUDGETS["cpu"]["model"], "max_steps": steps})
    model = EnsembleSurrogate(cfg).fit(data.X, data.Y, task.lower, task.upper, seed=0)
    search_cfg = EvolutionConfig(algorithm=algorithm, pop_size=256, n_gen=50)
    t = time.perf_counter()
    _, n_evals = evolutionary_search(model, data.X, data.Y, task.lower, task.upper, 256 if task.n_obj > 1 else 128,
                                     search_cfg, seed=0)
    search_s = time.perf_counter() - t
    pop = np.random.default_rng(0).uniform(task.lower, task.upper, (256, task.dim))
    model.predict(pop)
    reps = 50
    t = time.perf_counter()
    for _ in range(reps):
        model.predict(pop)
    fwd_s = (time.perf_counter() - t) / reps
    return {
        "task": task_name, "dim": task.dim, "n_obj": task.n_obj, "algorithm": algorithm,
        "members_x_objectives": cfg.n_members * task.n_obj, "hidden": list(cfg.hidden),
        "search_evals": n_evals, "search_s": search_s, "search_evals_per_s": n_evals / search_s,
        "forward_256_s": fwd_s, "forward_evals_per_s": 256 / fwd_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-total", type=int, default=5000, help="dataset size collected per task")
    parser.add_argument("--steps", type=int, default=200, help="training steps (speed does not depend on fit)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = [bench("zdt1", "nsga2", args.n_total, args.steps), bench("dtlz2", "nsga2", args.n_total, args.steps),
            bench("ackley-10", "ga", args.n_total, args.steps)]
    print(f"{'task':<10} {'algo':<6} {'evals':>7} {'search s':>9} {'evals/s':>10} {'fwd evals/s':>12}")
    for r in rows:
        print(f"{r['task']:<10} {r['algorithm']:<6} {r['search_evals']:>7} {r['search_s']:>9.2f} "
              f"{r['search_evals_per_s']:>10.0f} {r['forward_evals_per_s']:>12.0f}")
    print("wrote", write_results("search", {"threads": 1, "rows": rows}))


if __name__ == "__main__":
    main()
