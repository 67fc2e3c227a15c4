"""Why ParetoFlow's Pareto set stays at D(best): one trial per variant of the method.

Each variant runs ``dist-ombo run --method paretoflow`` on one task and seed in its own process
(variants patch module state) and reports HV and HV / D(best):

- ``shipped``: the method as it is;
- ``steps1000``: the papers' 1000 sampling steps instead of the ``cpu`` budget's 200;
- ``archive_predicted``: the initial Pareto set scored by the surrogate, the scale its offspring
  are scored on, instead of by the measured objectives;
- ``archive_beaten``: an initial set every sample beats, which is what the reference code's
  un-negated initial scores amount to for minimized objectives: the proposals are then the guided
  samples themselves;
- ``flow_25k``: the flow trained for 25,000 steps (the ``cpu`` budget: 3,000).

    python -m benchmarks.paretoflow_diagnostics            # ZDT1, seed 0: about 12 min on 1 thread
    # writes benchmarks/results/paretoflow_diagnostics.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import write_results

VARIANTS = ("shipped", "steps1000", "archive_predicted", "archive_beaten", "flow_25k")


def _patch(variant: str, budget: str) -> list[str]:
    """Apply ``variant``'s patch in this process; return extra ``dist-ombo run`` arguments."""
    if variant in ("archive_predicted", "archive_beaten"):
        import numpy as np
        import torch

        import dist_ombo.generative.flow as flow

        shipped = flow.FlowGenerator.paretoflow_sample

        def sample(self, score_fn, weights, archive, archive_scores, settings, generator, progress=None):
            W = torch.as_tensor(weights, dtype=torch.float32, device=self.device)
            with torch.no_grad():
                predicted = (score_fn(archive.to(self.device)) * W).sum(-1).cpu().numpy()
            scores = predicted if variant == "archive_predicted" else np.full_like(predicted, -1e30)
            return shipped(self, score_fn, weights, archive, scores, settings, generator, progress)

        flow.FlowGenerator.paretoflow_sample = sample
    if variant == "flow_25k":
        import dist_ombo.generative.budgets as budgets

        budgets.BUDGETS[budget]["generator"] = {**budgets.BUDGETS[budget]["generator"], "epochs": 1000,
                                                "max_steps": 25_000}
    return ["--search", "steps=1000"] if variant == "steps1000" else []


def run_variant(variant: str, task: str, seed: int, budget: str, params: list[str], out: str) -> int:
    from dist_ombo.cli import main

    extra = _patch(variant, budget)
    args = ["run", "--task", task, "--method", "paretoflow", "--seed", str(seed), "--budget", budget,
            "--no-ray", "--out", out, *extra]
    for p in params:
        args += ["--param", p]
    return main(args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="zdt1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", default="cpu")
    parser.add_argument("--param", action="append", default=[], help="task parameter KEY=VALUE")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--variant", help=argparse.SUPPRESS)  # a child process runs one variant
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--results", default="paretoflow_diagnostics", help="results file name")
    args = parser.parse_args()
    if args.variant:
        sys.exit(run_variant(args.variant, args.task, args.seed, args.budget, args.param, args.out))

    rows = []
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for variant in args.variants.split(","):
        if variant not in VARIANTS:
            raise SystemExit(f"unknown variant {variant!r}; valid: {', '.join(VARIANTS)}")
        with tempfile.TemporaryDirectory() as out:
            cmd = [sys.executable, "-m", "benchmarks.paretoflow_diagnostics", "--variant", variant, "--out", out,
                   "--task", args.task, "--seed", str(args.seed), "--budget", args.budget]
            for p in args.param:
                cmd += ["--param", p]
            subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            m = json.loads((Path(out) / "metrics.json").read_text())
        row = {"variant": variant, "hv": m["hv"], "hv_dbest": m["hv_dbest"], "ratio": m["hv"] / m["hv_dbest"],
               "diversity": m["diversity"], "novelty": m["novelty"], "train_s": m["time_train_s"],
               "search_s": m["time_search_s"]}
        rows.append(row)
        print(f"{variant:<18} HV {row['hv']:.4f}  x D(best) {row['ratio']:.3f}  novelty {row['novelty']:.3f}  "
              f"train {row['train_s']:.0f}s  search {row['search_s']:.0f}s", flush=True)
    path = write_results(args.results, {"task": args.task, "seed": args.seed, "budget": args.budget,
                                        "params": args.param, "rows": rows})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
