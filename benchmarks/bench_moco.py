"""MOCO tasks: sizes and dataset build times, and ensemble-nsga2 against D(best) per task.

    python -m benchmarks.bench_moco sizes [--gens 20]           # writes results/moco_sizes.json
    python -m benchmarks.bench_moco build bi_kp_50 ...          # full reference builds, timed
    python -m benchmarks.bench_moco compare [--seeds 0 1 2] [--encoding position] [--tag _x]
                                                                # writes results/moco_compare<tag>.json

``sizes`` runs ``--gens`` generations of each task's collection (population 500) and extrapolates
the reference build time from the seconds per generation; ``build`` times whole reference builds.
``compare`` collects each dataset with the declared generations in ``COMPARE_TASKS`` (fewer than
the reference's for the routing tasks, to fit a shared 2-core machine; recorded in the output) and
runs ``ensemble-nsga2`` at the ``cpu`` budget, trained in-process.
"""

from __future__ import annotations

import argparse
import json
import time

from benchmarks.common import write_results
from dist_ombo.tasks import get_task
from dist_ombo.tasks.moco import TASKS

#: One task of each kind, with the collection generations used for ``compare`` (declared budget).
COMPARE_TASKS = {"bi_tsp_20": {"generations": 400}, "bi_cvrp_20": {"generations": 200}, "bi_kp_50": {}}


def sizes(gens: int) -> None:
    rows = []
    for name in TASKS:
        task = get_task(name)
        short = get_task(name, generations=gens, n_total=gens * task.pop_size)
        t = time.perf_counter()
        short.dataset(0, cache=False)
        per_gen = (time.perf_counter() - t) / gens
        row = {"task": name, "dim": task.dim, "n_obj": task.n_obj, "n_train": task.n_samples,
               "n_hidden": task.n_total - task.n_samples, "generations": task.generations,
               "pop_size": task.pop_size, "record_every": task.record_every(),
               "s_per_generation": round(per_gen, 4), "est_build_s": round(per_gen * task.generations, 1)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print("wrote", write_results("moco_sizes", {"measured_generations": gens, "rows": rows}))


def build(names: list[str]) -> None:
    rows = []
    for name in names:
        task = get_task(name)
        t = time.perf_counter()
        data = task.dataset(0, cache=False)
        rows.append({"task": name, "n_train": len(data), "n_hidden": data.n_hidden,
                     "build_s": round(time.perf_counter() - t, 1), "params": task.params})
        print(json.dumps(rows[-1]), flush=True)
    print("wrote", write_results("moco_builds", {"rows": rows}))


def compare(seeds: list[int], budget: str, tasks: list[str], encoding: str | None, tag: str) -> None:
    import torch

    from dist_ombo.runner import TrialConfig, run_trial

    torch.set_num_threads(1)
    rows = []
    for name in tasks:
        params = dict(COMPARE_TASKS[name])
        if encoding is not None:  # how the surrogate sees designs; the data stay the same
            params["encoding"] = encoding
        for seed in seeds:
            t = time.perf_counter()
            data = get_task(name, **params).dataset(seed)
            build_s = time.perf_counter() - t
            result = run_trial(TrialConfig(task=name, method="ensemble-nsga2", seed=seed, budget=budget,
                                           task_params=params))
            m = result.metrics
            row = {"task": name, "seed": seed, "task_params": params,
                   "encoding": get_task(name, **params).surrogate_encoding, "budget": budget, "n_train": len(data),
                   "dataset_s": round(build_s, 1), "hv": m["hv"], "hv_dbest": m["hv_dbest"],
                   "hv_ratio": m["hv_ratio"], "beats_dbest": m["beats_dbest"], "hv_50th": m["hv_50th"],
                   "final_val_loss": m["final_val_loss"], "train_s": round(m["time_train_s"], 1),
                   "search_s": round(m["time_search_s"], 1)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print("wrote", write_results(f"moco_compare{tag}", {"method": "ensemble-nsga2", "rows": rows}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("sizes")
    p.add_argument("--gens", type=int, default=20)
    p = sub.add_parser("build")
    p.add_argument("names", nargs="+", choices=list(TASKS))
    p = sub.add_parser("compare")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--budget", default="cpu")
    p.add_argument("--tasks", nargs="+", default=list(COMPARE_TASKS), choices=list(COMPARE_TASKS))
    p.add_argument("--encoding", choices=["position", "adjacency"], default=None,
                   help="surrogate input (default: each task's own)")
    p.add_argument("--tag", default="", help="suffix of the results file name")
    args = parser.parse_args()
    if args.cmd == "sizes":
        sizes(args.gens)
    elif args.cmd == "build":
        build(args.names)
    else:
        compare(args.seeds, args.budget, args.tasks, args.encoding, args.tag)


if __name__ == "__main__":
    main()
