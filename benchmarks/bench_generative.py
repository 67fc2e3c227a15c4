"""Generators on one CPU thread: training time on a 5,000-design dataset and sampling speed.

Dataset: the first 5,000 training designs of ZDT1 (30 dims, 2 objectives, Off-MOO-Bench
protocol). Each generator trains with its ``cpu``-budget settings (the configs' defaults); then its
search runs as a method would (``cpu``-budget sampling settings, 256 proposals) with a small
ensemble surrogate. Reported per generator: training time and steps, designs sampled per second by
the generator alone (no surrogate), and the whole search's time (CbAS: including its refit
iterations; ParetoFlow: its guided sampling).

    python benchmarks/bench_generative.py      # writes benchmarks/results/generative.json
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from benchmarks.common import write_results
from dist_ombo import get_task
from dist_ombo.catalog import SCHEMES, SEARCHES
from dist_ombo.models.ensemble import EnsembleConfig, EnsembleSurrogate
from dist_ombo.problem import OfflineProblem
from dist_ombo.specs import SearchContext


def sample_rate(name: str, model, n: int) -> float:
    """Designs per second drawn from the generator alone, with the search's own settings."""
    g = torch.Generator().manual_seed(0)
    cfg = SEARCHES[name].config_cls()
    t = time.perf_counter()
    if name == "cbas":
        model.sample(n, g)
    elif name == "cvae":
        model.sample(n, g, np.zeros((n, model.net.cond_dim), np.float32))
    elif name == "ddom":
        model.sample(n, g, np.zeros((n, model.n_obj), np.float32), cfg.guidance, cfg.steps)
    else:  # unguided flow (the guided sampler is timed in the search)
        model.codec.decode(model.sample_features(n, g, cfg.steps))
    return n / (time.perf_counter() - t)


def bench(name: str, X: np.ndarray, Y: np.ndarray, lower, upper, surrogate) -> dict:
    scheme, searcher = SCHEMES[name], SEARCHES[name]
    cfg = scheme.config_cls()
    t = time.perf_counter()
    model = scheme.train(OfflineProblem(X, Y, lower, upper), cfg, 0)
    train_s = time.perf_counter() - t
    rate = sample_rate(name, model, 1024 if name != "ddom" else 512)
    search_cfg = searcher.config_cls()
    ctx = SearchContext(surrogate, OfflineProblem(X, Y, lower, upper), 256, 0, None, {"generator": model})
    t = time.perf_counter()
    proposals, n_evals = searcher.run(ctx, search_cfg)
    search_s = time.perf_counter() - t
    return {
        "generator": name, "hidden": list(cfg.hidden), "train_steps": model.history[-1]["steps"],
        "train_s": train_s, "steps_per_s": model.history[-1]["steps"] / train_s, "samples_per_s": rate,
        "search_s": search_s, "search_samples": search_cfg.n_samples, "surrogate_evals": int(n_evals),
        "n_proposals": len(proposals),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="training designs")
    args = parser.parse_args()
    torch.set_num_threads(1)
    task = get_task("zdt1")
    X, Y = task.dataset(0)
    X, Y = X[:args.n], Y[:args.n]
    surrogate = EnsembleSurrogate(EnsembleConfig(n_members=5, hidden=(256, 256), epochs=20, max_steps=500)).fit(
        X, Y, task.lower, task.upper, seed=0)
    rows = [bench(name, X, Y, task.lower, task.upper, surrogate) for name in SCHEMES]
    print(f"{'generator':<11} {'hidden':<16} {'steps':>6} {'train s':>8} {'steps/s':>8} {'samples/s':>10} "
          f"{'search s':>9}")
    for r in rows:
        print(f"{r['generator']:<11} {tuple(r['hidden'])!s:<16} {r['train_steps']:>6} {r['train_s']:>8.1f} "
              f"{r['steps_per_s']:>8.0f} {r['samples_per_s']:>10.0f} {r['search_s']:>9.1f}")
    path = write_results("generative", {
        "task": "zdt1", "n_train": len(X), "dim": task.dim, "n_obj": task.n_obj, "threads": 1,
        "budget": "cpu (the configs' defaults)", "rows": rows,
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
