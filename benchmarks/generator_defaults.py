"""The generators' steering defaults, chosen on held-out tasks by a rule fixed before the results.

Tuning set: DTLZ2, DTLZ3, DTLZ4 (3 objectives, 10 variables), seeds 0 and 1, ``cpu`` budget. The
DTLZ tasks are in our task set but are not judged against published numbers (``docs/results.md``
has no rows for them), so a default chosen there is not fitted to the tasks it is judged on
(ZDT1, RE21, RE33). The three were picked by cost (the first three of DTLZ2-6) before any
tuning result was seen.

Rule, per method: candidates ``target_offset`` in {0, 0.1, 0.3, 0.5} (DDOM, CVAE) and guidance
gamma in {2, 8, 32, 128} (ParetoFlow). The candidate with the highest mean HV / D(best) over the
tuning tasks x seeds is adopted as the default only if its mean beats the old default's (0 and 2)
by more than the standard error of the paired differences (same task and seed); otherwise the
old default stays.

Reads the diagnostics' JSON (``benchmarks/generator_diagnostics.py``, run with the old defaults):

    python -m benchmarks.generator_diagnostics --methods ddom,cvae --tasks dtlz2,dtlz3,dtlz4 \
        --seeds 0,1 --sweeps target --results generator_tuning_ddom_cvae
    python -m benchmarks.generator_diagnostics --tasks dtlz2,dtlz3,dtlz4 --seeds 0,1 \
        --sweeps guidance --results generator_tuning_paretoflow
    python -m benchmarks.generator_defaults      # writes benchmarks/results/generator_defaults.json

``--check dtlz5,dtlz6`` prints the same table on two more held-out tasks, from diagnostics run
after the change (their ``shipped`` rows hold the adopted values); it decides nothing:

    python -m benchmarks.generator_diagnostics --methods ddom,cvae --tasks dtlz5,dtlz6 --seeds 0,1 \
        --sweeps target --results generator_check_ddom_cvae_dtlz5_dtlz6
    python -m benchmarks.generator_diagnostics --tasks dtlz5,dtlz6 --seeds 0,1 --sweeps guidance \
        --results generator_check_paretoflow_dtlz5_dtlz6
    python -m benchmarks.generator_defaults --check dtlz5,dtlz6   # generator_defaults_check.json
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from benchmarks.common import RESULTS_DIR, write_results

TUNING_TASKS = ("dtlz2", "dtlz3", "dtlz4")
TUNING_SEEDS = (0, 1)
#: method -> (knob, the default the tuning runs were made with, candidates, diagnostics file)
KNOBS: dict[str, tuple[str, float, tuple[float, ...], str]] = {
    "ddom": ("target_offset", 0.0, (0.0, 0.1, 0.3, 0.5), "generator_tuning_ddom_cvae"),
    "cvae": ("target_offset", 0.0, (0.0, 0.1, 0.3, 0.5), "generator_tuning_ddom_cvae"),
    "paretoflow": ("guidance", 2.0, (2.0, 8.0, 32.0, 128.0), "generator_tuning_paretoflow"),
}


def ratios(rows: list[dict[str, Any]], method: str, shipped: float) -> dict[tuple[str, int, float], dict[str, float]]:
    """(task, seed, knob value) -> HV / D(best) and copy fraction; the ``shipped`` row has the
    value ``shipped`` (the default the diagnostics ran with)."""
    out = {}
    for r in rows:
        if r.get("method", "paretoflow") != method:
            continue
        value = shipped if r["sweep"] == "shipped" else float(r["value"])
        out[(r["task"], int(r["seed"]), value)] = {"hv_ratio": float(r["hv_ratio"]),
                                                   "copy_fraction": float(r["copy_fraction"])}
    return out


def decide(table: dict[tuple[str, int, float], dict[str, float]], old: float,
           candidates: tuple[float, ...], tasks=TUNING_TASKS, seeds=TUNING_SEEDS) -> dict[str, Any]:
    """Apply the rule; a (task, seed) missing for any candidate is an error, not a smaller sample."""
    cells = [(t, s) for t in tasks for s in seeds]
    missing = [(t, s, v) for t, s in cells for v in candidates if (t, s, v) not in table]
    if missing:
        raise SystemExit(f"tuning results incomplete: no row for (task, seed, value) {missing[:4]}")
    per_value = {}
    for v in candidates:
        hv = np.array([table[(t, s, v)]["hv_ratio"] for t, s in cells])
        diff = hv - np.array([table[(t, s, old)]["hv_ratio"] for t, s in cells])
        per_value[v] = {"hv_ratio": hv.tolist(), "mean": float(hv.mean()),
                        "copy_fraction_mean": float(np.mean([table[(t, s, v)]["copy_fraction"] for t, s in cells])),
                        "diff_mean": float(diff.mean()),
                        "diff_se": float(diff.std(ddof=1) / np.sqrt(len(diff)))}
    best = max(candidates, key=lambda v: per_value[v]["mean"])
    adopt = best != old and per_value[best]["diff_mean"] > per_value[best]["diff_se"]
    return {"cells": [list(c) for c in cells], "values": {str(v): per_value[v] for v in candidates},
            "best": best, "old": old, "default": best if adopt else old, "adopted": bool(adopt)}


#: the defaults adopted (``dist_ombo/catalog.py``), the value of the ``shipped`` rows of a check run
ADOPTED = {"ddom": 0.3, "cvae": 0.0, "paretoflow": 128.0}


def _report(method: str, knob: str, d: dict[str, Any]) -> str:
    return f"{method} {knob}: " + ", ".join(
        f"{v} mean {x['mean']:.4f} (diff {x['diff_mean']:+.4f} +- {x['diff_se']:.4f})" for v, x in d["values"].items())


def choose() -> None:
    """The rule on the tuning runs (old defaults in their ``shipped`` rows)."""
    decisions = {}
    for method, (knob, old, candidates, source) in KNOBS.items():
        rows = json.loads((RESULTS_DIR / f"{source}.json").read_text())["rows"]
        d = decide(ratios(rows, method, old), old, candidates)
        decisions[method] = {"knob": knob, "source": f"benchmarks/results/{source}.json", **d}
        print(_report(method, knob, d) + f" -> default {d['default']} ({'adopted' if d['adopted'] else 'kept'})")
    payload = {"tasks": list(TUNING_TASKS), "seeds": list(TUNING_SEEDS), "decisions": decisions}
    print(f"wrote {write_results('generator_defaults', payload)}")


def check(tasks: tuple[str, ...]) -> None:
    """The same table on other held-out tasks, run with the adopted defaults; decides nothing."""
    out = {}
    for method, (knob, old, candidates, source) in KNOBS.items():
        name = source.replace("generator_tuning_", "generator_check_") + "_" + "_".join(tasks)
        rows = json.loads((RESULTS_DIR / f"{name}.json").read_text())["rows"]
        d = decide(ratios(rows, method, ADOPTED[method]), old, candidates, tasks, TUNING_SEEDS)
        out[method] = {"knob": knob, "source": f"benchmarks/results/{name}.json", "adopted": ADOPTED[method], **d}
        print(_report(method, knob, d) + f" (adopted {ADOPTED[method]}; best here {d['best']})")
    payload = {"tasks": list(tasks), "seeds": list(TUNING_SEEDS), "methods": out}
    print(f"wrote {write_results('generator_defaults_check', payload)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", default=None, metavar="TASKS",
                        help="the same table on other held-out tasks (e.g. dtlz5,dtlz6), read from "
                             "generator_check_*_<task>_<task>.json; decides nothing")
    args = parser.parse_args()
    if args.check:
        check(tuple(args.check.split(",")))
    else:
        choose()


if __name__ == "__main__":
    main()
