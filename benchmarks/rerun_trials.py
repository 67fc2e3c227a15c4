"""Rerun committed trials from their ``config.json`` and compare the headline metric with the
committed ``metrics.json``: a refactor that keeps methods' meaning reproduces them exactly on CPU.

Trials run in this process with one torch thread (as a sweep's one-CPU trial does). Datasets are
rebuilt or read from the dataset cache.

    python -m benchmarks.rerun_trials results/compare/trials/zdt1__ensemble-nsga2__seed0 ...
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.common import write_results

TOLERANCE = 1e-9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trials", nargs="+", type=Path, help="committed trial folders (config.json + metrics.json)")
    args = parser.parse_args()
    import torch

    from dist_ombo.reporting.headline import of_metrics
    from dist_ombo.runner import TrialConfig, run_trial

    torch.set_num_threads(1)
    rows = []
    for folder in args.trials:
        config = TrialConfig.from_dict(json.loads((folder / "config.json").read_text()))
        committed = json.loads((folder / "metrics.json").read_text())
        metric = of_metrics(committed).metric
        now = run_trial(config).metrics
        diff = abs(now[metric] - committed[metric])
        rows.append({"trial": folder.name, "metric": metric, "committed": committed[metric], "rerun": now[metric],
                     "abs_diff": diff, "same": diff <= TOLERANCE, "rerun_total_s": now["time_total_s"]})
        print(f"{folder.name:<36} {metric} committed {committed[metric]:.12f} rerun {now[metric]:.12f} "
              f"|diff| {diff:.2e} {'same' if diff <= TOLERANCE else 'DIFFERENT'}")
    print(f"wrote {write_results('rerun_trials', {'tolerance': TOLERANCE, 'trials': rows})}")


if __name__ == "__main__":
    main()
