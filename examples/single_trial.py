"""One trial, end to end, with the surrogate ensemble trained on Ray actors.

    python examples/single_trial.py --budget smoke
    python examples/single_trial.py --task ackley --method ensemble-cmaes --param dim=4 --budget smoke
    python examples/single_trial.py --task re21 --train-actors 2 --out runs/re21-seed0

Runs against the cluster named by ``RAY_ADDRESS`` if set, otherwise starts Ray in this process.
"""

from __future__ import annotations

import argparse
import sys

import yaml

from dist_ombo.distributed.actors import ray_trainer
from dist_ombo.distributed.cluster import init_ray
from dist_ombo.reporting.headline import format_trial
from dist_ombo.runner import TrialConfig, run_trial


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", default="zdt1", help="task name (`dist-ombo tasks`)")
    p.add_argument("--method", default="ensemble-nsga2", help="method name (`dist-ombo methods`)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--budget", default="cpu", help="reference | cpu | smoke (default: cpu)")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="task parameter, e.g. n_total=600 (repeatable)")
    p.add_argument("--train-actors", type=int, default=1, help="Ray actors the ensemble is split over")
    p.add_argument("--cpus-per-actor", type=float, default=1.0)
    p.add_argument("--gpus-per-actor", type=float, default=0.0, help="fractional GPUs allowed, e.g. 0.25")
    p.add_argument("--out", default=None, help="folder for proposals.parquet and metrics.json")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    params = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep:
            sys.exit(f"--param expects KEY=VALUE, got {item!r}")
        params[key.strip()] = yaml.safe_load(value)  # "600" -> 600, "true" -> True
    config = TrialConfig(
        task=args.task, method=args.method, seed=args.seed, budget=args.budget, task_params=params,
        train_actors=args.train_actors, cpus_per_actor=args.cpus_per_actor, gpus_per_actor=args.gpus_per_actor,
    )
    init_ray()
    trainer = ray_trainer(config.train_actors, config.cpus_per_actor, config.gpus_per_actor)
    result = run_trial(config, out_dir=args.out, trainer=trainer)

    print(format_trial(result.metrics))
    print()
    for key in sorted(result.metrics):
        print(f"  {key:<22} {result.metrics[key]}")
    if args.out:
        print(f"\nwrote {args.out}/proposals.parquet and {args.out}/metrics.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
