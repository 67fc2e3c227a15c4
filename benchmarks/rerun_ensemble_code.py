"""Rerun committed trials with the ensemble's previous and current code paths, side by side.

For each trial directory (default: three cheap ``cpu``-budget trials of ``results/compare``), run
its ``config.json`` in this process, one torch thread (as a sweep trial has), twice:

- ``before``: the training step and ``predict`` as they were before ``MSEStep`` and
  ``BatchedMLP.infer`` (autograd step; one batched ``forward`` per row chunk), swapped in for the
  run (the same functions ``bench_ensemble.py`` times);
- ``after``: the code as shipped;

and compare both with the committed ``metrics.json`` (HV and IGD for MOO, the score percentiles
for SOO) and with each other (the proposed designs and their true values; the predicted columns
differ by float rounding, reported as the largest absolute difference).

    python benchmarks/rerun_ensemble_code.py      # writes benchmarks/results/ensemble_rerun.json
"""

from __future__ import annotations

import argparse
import json
import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from benchmarks.bench_ensemble import AutogradStep, predict_before
from dist_ombo.models import ensemble as ensemble_module
from dist_ombo.pipeline import local_trainer
from dist_ombo.runner import TrialConfig, run_trial

ROOT = Path(__file__).resolve().parents[1]
TRIALS = ["zdt1__ensemble-nsga2__seed0", "re21__ensemble-nsga2__seed0", "ackley-10__ensemble-ga__seed0"]
RESULTS = Path(__file__).resolve().parent / "results" / "ensemble_rerun.json"
KEYS = ("hv", "hv_50th", "igd", "score_100th", "score_50th")


@contextmanager
def previous_code():
    """The autograd training step and the batched-forward ``predict`` in place of the new ones."""
    cls = ensemble_module.EnsembleSurrogate
    step, predict = ensemble_module.MSEStep, cls.predict
    ensemble_module.MSEStep, cls.predict = AutogradStep, predict_before
    try:
        yield
    finally:
        ensemble_module.MSEStep, cls.predict = step, predict


def run(trial_dir: Path) -> dict:
    config = TrialConfig.from_dict(json.loads((trial_dir / "config.json").read_text()))
    committed = json.loads((trial_dir / "metrics.json").read_text())
    with previous_code():
        before = run_trial(config, trainer=local_trainer)
    after = run_trial(config, trainer=local_trainer)
    designs = [c for c in after.proposals.columns if c.startswith(("x", "true_f"))]
    row = {"trial": trial_dir.name, "config": config.to_dict(),
           "same_designs_before_after": bool(before.proposals[designs].equals(after.proposals[designs])),
           "time_train_s": {"before": before.metrics["time_train_s"], "after": after.metrics["time_train_s"]},
           "time_search_s": {"before": before.metrics["time_search_s"], "after": after.metrics["time_search_s"]}}
    for key in KEYS:
        if key in committed:
            b, a, c = before.metrics[key], after.metrics[key], committed[key]
            row[key] = {"committed": c, "before": b, "after": a, "after_minus_committed": a - c,
                        "before_minus_committed": b - c}
    pred = [c for c in after.proposals.columns if c.startswith("pred_f")]
    row["max_abs_pred_diff_before_after"] = float(np.abs(
        after.proposals[pred].to_numpy() - before.proposals[pred].to_numpy()).max())
    return row


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("trials", nargs="*", default=TRIALS, help="trial directory names under --root")
    p.add_argument("--root", type=Path, default=ROOT / "results" / "compare" / "trials")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    rows = []
    for name in args.trials:
        row = run(args.root / name)
        rows.append(row)
        shown = {k: {kk: round(vv, 8) for kk, vv in row[k].items()} for k in KEYS if k in row}
        print(f"{name}: same designs before/after {row['same_designs_before_after']}; {shown}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"torch": torch.__version__, "threads": 1, "trials": rows}, indent=2) + "\n")
    os.replace(tmp, args.out)
    print(f"wrote {args.out}")
    return rows


if __name__ == "__main__":
    main()
