"""Run (or resume) a sweep and print its leaderboard; exits 1 if any trial failed.

The same script runs everywhere:

    python examples/sweep.py --config examples/sweep_small.yaml --out runs/small      # laptop
    ray submit cluster/aws.yaml examples/sweep.py -- \\
        --config dist_ombo/examples/sweep_small.yaml --out /shared/runs/small   # runs in ~ on the head
    ray job submit --address http://HEAD:8265 --working-dir . -- \\
        python examples/sweep.py --config examples/sweep_small.yaml --out /shared/runs/small

As a Ray Job, ``RAY_ADDRESS`` is set and the sweep joins that cluster; on the head (``ray submit``)
it finds the running cluster; elsewhere it starts Ray in this process. Re-running with the same
``--out`` resumes: finished trials are kept, unfinished and failed ones run again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dist_ombo.distributed.sweep import default_sweep_config, run_sweep
from dist_ombo.distributed.sweep_config import SweepConfig
from dist_ombo.reporting.leaderboard import sweep_summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default=None, help="sweep YAML (default: the built-in default sweep)")
    p.add_argument("--out", default="runs/sweep", help="sweep folder; shared storage on a multi-node cluster")
    p.add_argument("--verbose", type=int, default=1, help="Tune verbosity 0-3")
    args = p.parse_args(argv)

    config = SweepConfig.from_yaml(args.config) if args.config else default_sweep_config()
    print(f"sweep {config.name!r}: {len(config.tasks)} tasks x {len(config.methods)} methods x "
          f"{len(config.seeds)} seeds, {config.budget!r} budget -> {Path(args.out).resolve()}")
    table = run_sweep(config, args.out, verbose=args.verbose)  # joins or starts Ray (init_ray)

    print(sweep_summary(table, args.out))
    return 0 if (table["status"] == "ok").all() else 1


if __name__ == "__main__":
    sys.exit(main())
