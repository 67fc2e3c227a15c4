"""COMs' particle steps and RoMA's perturbation steps at the ``cpu`` budget, chosen on held-out
tasks by a rule fixed before the runs (the configs' headers state it).

The two sweeps (``benchmarks/configs/coms_budget.yaml``, ``roma_budget.yaml``) run each method at
its current and at the cheaper setting, plus the plain ``ensemble-nsga2`` of the same tasks and seeds
in the same sweep (for the cost ratio the slow-schemes target speaks of: <= 3x the plain trial).
Tuning set: DTLZ2-4 (no published rows), seeds 0-1, so nothing judged is fitted.

Rule: the cheaper setting is adopted if mean(d) - 2 SE(d) > -0.01, where d is the paired (task,
seed) difference in HV / D(best), cheaper minus current: it loses at most 1% of D(best)'s HV at
about two standard errors. A missing (task, seed) is an error, not a smaller sample.

    dist-ombo sweep benchmarks/configs/coms_budget.yaml --out results/coms_budget
    dist-ombo sweep benchmarks/configs/roma_budget.yaml --out results/roma_budget
    python -m benchmarks.robust_budgets      # writes benchmarks/results/robust_budgets.json

``--check`` prints the same table for the judged tasks ZDT1 and RE21, run after the decisions
(``benchmarks/configs/robust_budgets_check.yaml``); it decides nothing:

    dist-ombo sweep benchmarks/configs/robust_budgets_check.yaml --out results/robust_budgets_check
    python -m benchmarks.robust_budgets --check   # writes robust_budgets_check.json
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import write_results

MARGIN = 0.01
PLAIN = "ensemble-nsga2"
CHECK_SWEEP = "results/robust_budgets_check"
#: study -> (sweep directory, knob, current label and value, cheaper label and value)
STUDIES: dict[str, tuple[str, str, tuple[str, int], tuple[str, int]]] = {
    "coms": ("results/coms_budget", "particle_steps", ("coms-nsga2-p50", 50), ("coms-nsga2-p20", 20)),
    "roma": ("results/roma_budget", "perturb_steps", ("roma-nsga2-p20", 20), ("roma-nsga2-p10", 10)),
}


COLUMNS = ("hv_ratio", "time_total_s", "time_train_s")


def paired(table: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """Rows of methods ``a``, ``b`` and the plain ensemble side by side on (task, seed), one column
    per (measure, method); every cell must be there and ok."""
    rows = table[table["method"].isin([a, b, PLAIN])]
    bad = rows[rows["status"] != "ok"]
    if len(bad):
        raise SystemExit(f"study incomplete: {len(bad)} trial(s) not ok, e.g. {bad['trial_id'].iloc[0]}")
    wide = rows.pivot_table(index=["task", "seed"], columns="method", values=list(COLUMNS), aggfunc="first")
    methods = set(wide.columns.get_level_values("method"))
    missing = [m for m in (a, b, PLAIN) if m not in methods] or wide.index[wide.isna().any(axis=1)].tolist()
    if missing:
        raise SystemExit(f"study incomplete: no rows for {missing[:4]}")
    return wide


def decide(table: pd.DataFrame, current: str, cheaper: str) -> dict[str, Any]:
    """The rule, plus each arm's cost against the plain ensemble of the same (task, seed)."""
    wide = paired(table, current, cheaper)
    hv, total, train = (wide[c] for c in COLUMNS)
    d = (hv[cheaper] - hv[current]).to_numpy()
    se = float(d.std(ddof=1) / np.sqrt(len(d)))
    cost = {arm: {"x_plain_median": float((total[arm] / total[PLAIN]).median()),
                  "x_plain_each": (total[arm] / total[PLAIN]).round(3).tolist(),
                  "train_x_plain_median": float((train[arm] / train[PLAIN]).median()),
                  "seconds_median": float(total[arm].median())} for arm in (current, cheaper, PLAIN)}
    return {"cells": [list(map(str, c)) for c in hv.index], "hv_ratio": {m: hv[m].round(5).tolist() for m in
                                                                          (current, cheaper, PLAIN)},
            "diff_mean": float(d.mean()), "diff_se": se, "bound": float(d.mean() - 2 * se),
            "better_in": int((d > 0).sum()), "adopted": bool(d.mean() - 2 * se > -MARGIN), "cost": cost}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="repository root holding results/ (default: .)")
    parser.add_argument("--check", action="store_true",
                        help=f"the judged tasks' check run ({CHECK_SWEEP}); decides nothing")
    args = parser.parse_args()
    out = {"rule": f"adopt the cheaper setting if mean(d) - 2 SE(d) > -{MARGIN}", "studies": {}}
    if args.check:
        out["rule"] += " (a check run: it decides nothing; 'adopted' says what the rule would say here)"
    for name, (folder, knob, (cur, cur_v), (cheap, cheap_v)) in STUDIES.items():
        folder = CHECK_SWEEP if args.check else folder
        table = pd.read_parquet(Path(args.root) / folder / "results.parquet")
        d = decide(table, cur, cheap)
        out["studies"][name] = {"sweep": folder, "knob": knob, "current": cur_v, "cheaper": cheap_v,
                                **({} if args.check else {"default": cheap_v if d["adopted"] else cur_v}), **d}
        c = d["cost"]
        print(f"{name} {knob} {cheap_v} vs {cur_v}: d = {d['diff_mean']:+.4f} +- {d['diff_se']:.4f} "
              f"(bound {d['bound']:+.4f}, better in {d['better_in']} of {len(d['cells'])}) -> "
              f"{'adopted' if d['adopted'] else 'kept ' + str(cur_v)}; trial x plain (median): "
              f"{cur_v}: {c[cur]['x_plain_median']:.2f}, {cheap_v}: {c[cheap]['x_plain_median']:.2f}")
    print(f"wrote {write_results('robust_budgets_check' if args.check else 'robust_budgets', out)}")


if __name__ == "__main__":
    main()
