"""How far ``sweep --plan``'s cost estimates are from measured trial times, on committed sweeps.

Held-out check: for each method measured on at least ``--min-tasks`` tasks of a held-out group
(default: the RE tasks), its measurements on that group are removed, the cost model is fitted on
everything else (``results/published`` and ``--costs-from`` sweeps), and the summed estimate for
the removed trials is set against their measured sum. That is the situation the plan is used in: a
method costed on tasks where it has not run yet, from its cost elsewhere and other methods' cost
there. Each method is checked twice in one run: with the fit over all tasks, and with the plan's
fit over the tasks with the same number of objectives first.

    python -m benchmarks.plan_accuracy        # writes benchmarks/results/plan_accuracy.json
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

from benchmarks.common import write_results
from dist_ombo.distributed.sweep_plan import CostModel, measured_times, task_objectives


def held_out_ratios(rows: list[tuple[str, str, float]], held_out: str, min_tasks: int,
                    objectives: dict[str, int] | None = None) -> dict[str, dict]:
    """Per method: estimated / measured total over its trials on tasks starting with ``held_out``;
    ``objectives`` (task label -> objective count) turns on the fit by objective count."""
    tasks_of: dict[str, set[str]] = defaultdict(set)
    for task, method, _ in rows:
        if task.startswith(held_out):
            tasks_of[method].add(task)
    out = {}
    for method, tasks in sorted(tasks_of.items()):
        if len(tasks) < min_tasks:
            continue
        test = [r for r in rows if r[1] == method and r[0] in tasks]
        model = CostModel([r for r in rows if not (r[1] == method and r[0] in tasks)], objectives)
        estimates = [model.seconds(task, method) for task, _, _ in test]
        if any(e is None for e in estimates):
            continue
        measured = sum(s for _, _, s in test)
        out[method] = {"tasks": len(tasks), "trials": len(test), "measured_h": round(measured / 3600, 3),
                       "estimated_h": round(sum(estimates) / 3600, 3), "ratio": round(sum(estimates) / measured, 3)}
    return out


def _median_abs_log(ratios: dict[str, dict]) -> float:
    return float(np.median([abs(np.log(r["ratio"])) for r in ratios.values()])) if ratios else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", default="results/published")
    parser.add_argument("--costs-from", action="append", default=["results/compare"])
    parser.add_argument("--budget", default="cpu")
    parser.add_argument("--held-out", default="re", help="task-name prefix of the held-out group")
    parser.add_argument("--min-tasks", type=int, default=5)
    args = parser.parse_args()
    rows = measured_times([Path(args.sweep), *map(Path, args.costs_from)], args.budget)
    dirs = [Path(args.sweep), *map(Path, args.costs_from)]
    overall = held_out_ratios(rows, args.held_out, args.min_tasks)
    by_count = held_out_ratios(rows, args.held_out, args.min_tasks, task_objectives([], dirs))
    print(f"{'method':28s} tasks trials  measured h   all tasks (ratio)   same objective count (ratio)")
    for method, r in overall.items():
        s = by_count[method]
        print(f"{method:28s} {r['tasks']:5d} {r['trials']:6d} {r['measured_h']:10.2f} {r['estimated_h']:11.2f} "
              f"({r['ratio']:.2f}) {s['estimated_h']:16.2f} ({s['ratio']:.2f})")
    summary = {name: {"median_abs_log_ratio": round(_median_abs_log(r), 3), "methods": r}
               for name, r in (("all_tasks", overall), ("same_objective_count", by_count))}
    for name, s in summary.items():
        print(f"{name}: median |log(estimated / measured)| {s['median_abs_log_ratio']:.3f}")
    path = write_results("plan_accuracy", {"sweep": args.sweep, "costs_from": args.costs_from, "budget": args.budget,
                                           "held_out": args.held_out, "measurements": len(rows), **summary})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
