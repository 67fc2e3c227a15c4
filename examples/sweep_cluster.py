"""The reference-budget GPU sweep (``examples/sweep_gpu.yaml``) on an existing Ray cluster.

Refuses to run without ``RAY_ADDRESS``: this sweep would take days on a laptop. ``ray job submit``
sets it for the job; on the head, ``RAY_ADDRESS=auto`` joins the local cluster:

    ray job submit --address http://127.0.0.1:8265 --working-dir . -- \\
        python examples/sweep_cluster.py --out /shared/runs/gpu-reference
    # or, on the head (ray attach cluster/aws.yaml):
    RAY_ADDRESS=auto python dist_ombo/examples/sweep_cluster.py --out /shared/runs/gpu-reference

``--out`` must be a folder every node sees at the same path (NFS/EFS/Filestore): each trial writes
its results where it runs, and the driver collects them. Re-run the same command to resume.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

CONFIG = Path(__file__).with_name("sweep_gpu.yaml")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default=str(CONFIG), help=f"sweep YAML (default: {CONFIG.name})")
    p.add_argument("--out", default=None, help="sweep folder on storage shared by every node (required)")
    p.add_argument("--verbose", type=int, default=1, help="Tune verbosity 0-3")
    args = p.parse_args(argv)

    if not os.environ.get("RAY_ADDRESS"):
        print(
            "RAY_ADDRESS is not set: this script only runs on an existing Ray cluster.\n"
            "  submit it as a job:  ray job submit --address http://HEAD:8265 --working-dir . -- "
            "python examples/sweep_cluster.py --out /shared/runs/gpu\n"
            "  or on the head:      RAY_ADDRESS=auto python examples/sweep_cluster.py --out /shared/runs/gpu\n"
            "For a local run use examples/sweep.py.",
            file=sys.stderr,
        )
        return 2
    if not args.out:
        print("--out is required: a folder on storage every node shares (e.g. /shared/runs/gpu)", file=sys.stderr)
        return 2

    import ray

    from dist_ombo.distributed.cluster import init_ray
    from dist_ombo.distributed.sweep import run_sweep
    from dist_ombo.distributed.sweep_config import SweepConfig
    from dist_ombo.reporting.leaderboard import sweep_summary

    config = SweepConfig.from_yaml(args.config)
    res = config.resources_config()
    init_ray()  # joins RAY_ADDRESS
    gpus = ray.cluster_resources().get("GPU", 0)
    print(f"cluster at {os.environ['RAY_ADDRESS']}: {ray.cluster_resources().get('CPU', 0):g} CPUs, {gpus:g} GPUs now")
    print(f"each trial reserves {res.train_actors} x ({res.cpus_per_actor:g} CPU + {res.gpus_per_actor:g} GPU)")
    if res.gpus_per_actor > 0 and gpus == 0:
        print("no GPU node yet: trials wait until the autoscaler adds GPU workers (or forever on a fixed cluster)")

    table = run_sweep(config, args.out, verbose=args.verbose)
    print(sweep_summary(table, args.out))
    return 0 if (table["status"] == "ok").all() else 1


if __name__ == "__main__":
    sys.exit(main())
