"""Every method that trains a model, at the ``smoke`` budget: a trial that loads its models from a
model store proposes exactly what a trial that trains them itself proposes (same machine, CPU).

Per method (ZDT1 for MOO methods, Ackley-3 for SOO ones, 200 designs, 16 proposals, one torch
thread): run it through a store (trains and publishes, or reuses a model an earlier method
published), again through the store (loads every model), and without a store; the three
proposal tables must be equal.

    python -m benchmarks.model_store_every_method   # writes benchmarks/results/model_store_every_method.json
"""

from __future__ import annotations

import tempfile

import torch

from benchmarks.common import write_results
from dist_ombo.catalog import get_method, method_names
from dist_ombo.runner import TrialConfig, run_trial


def main() -> None:
    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as store:
        for name in method_names():
            spec = get_method(name)
            if spec.scheme is None and spec.generator is None:
                continue
            moo = "moo" in spec.objectives
            task, params = ("zdt1", {"n_total": 200}) if moo else ("ackley", {"n_total": 200, "dim": 3})
            config = TrialConfig(task=task, method=name, budget="smoke", task_params=params, n_proposals=16)
            first = run_trial(config, model_store=store)
            again = run_trial(config, model_store=store)
            alone = run_trial(config)
            row = {"method": name, "task": task, "first_reused_surrogate": first.metrics["model_reused"],
                   "reused": again.metrics["model_reused"] or spec.scheme is None,
                   "generator_reused": again.metrics.get("generator_reused"),
                   "identical": first.proposals.equals(again.proposals) and again.proposals.equals(alone.proposals)}
            rows.append(row)
            print(f"{name:<28} reused {row['reused']!s:<5} generator reused {row['generator_reused']!s:<5} "
                  f"identical proposals {row['identical']}", flush=True)
    ok = sum(r["identical"] and r["reused"] for r in rows)
    print(f"{ok} of {len(rows)} methods: reused and identical")
    print("wrote", write_results("model_store_every_method", {"methods": rows, "reused_and_identical": ok}))


if __name__ == "__main__":
    main()
