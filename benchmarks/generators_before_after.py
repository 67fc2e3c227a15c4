"""Before / after the generators' defaults chosen on held-out tasks (``benchmarks/generator_defaults.py``).

"Before": the trials of ``results/compare`` (the old defaults); "after": ``results/generators``
(``benchmarks/configs/generators.yaml``). Same tasks, methods, seeds and budget; HV / D(best), copy
fraction and trial seconds (and the search's) per seed, read from each trial's ``metrics.json``. A trial that is not
there is reported missing, never filled in.

    python -m benchmarks.generators_before_after   # writes benchmarks/results/generators_before_after.json
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from benchmarks.common import write_results

ROOT = Path(__file__).resolve().parent.parent
TASKS = ("zdt1", "re21", "re33")
METHODS = ("paretoflow", "ddom", "cvae")
SEEDS = (0, 1, 2)
#: the papers' HV / D(best) on ZDT1 / RE21 (docs/generators.md): ParetoFlow its own; nearest for
#: CVAE CorrVAE, for DDOM PROUD (Source A, 100th percentile)
PAPER = {"paretoflow": {"zdt1": 1.064, "re21": 1.102}, "cvae": {"zdt1": 1.030, "re21": 1.068},
         "ddom": {"zdt1": 1.040, "re21": 1.088}}


def trial(folder: Path, task: str, method: str, seed: int) -> dict[str, float] | None:
    path = folder / "trials" / f"{task}__{method}__seed{seed}" / "metrics.json"
    if not path.exists():
        return None
    m = json.loads(path.read_text(), parse_constant=lambda c: float(c))
    return {k: float(m.get(k, math.nan)) for k in ("hv_ratio", "copy_fraction", "time_total_s", "time_search_s")}


def _mean(values: list[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return sum(kept) / len(kept) if kept else math.nan


def summarize(rows: list[dict[str, float] | None]) -> dict[str, Any]:
    present = [r for r in rows if r is not None]
    return {"hv_ratio": [None if r is None else r["hv_ratio"] for r in rows],
            "hv_ratio_mean": _mean([r["hv_ratio"] for r in present]) if len(present) == len(rows) else math.nan,
            "copy_fraction_mean": _mean([r["copy_fraction"] for r in present]),
            "copy_fraction_seeds": sum(not math.isnan(r["copy_fraction"]) for r in present),
            "time_total_s_mean": _mean([r["time_total_s"] for r in present]),
            "time_search_s_mean": _mean([r["time_search_s"] for r in present]), "n": len(present)}


def _fmt(s: dict[str, Any]) -> str:
    seeds = " / ".join("missing" if v is None else f"{v:.3f}" for v in s["hv_ratio"])
    mean = "" if math.isnan(s["hv_ratio_mean"]) else f"**{s['hv_ratio_mean']:.3f}** "
    return f"{mean}({seeds})"


def _copies(s: dict[str, Any]) -> str:
    n = s["copy_fraction_seeds"]
    return f"{s['copy_fraction_mean']:.2f}" + ("" if n == len(SEEDS) else f" ({n} seeds)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=str(ROOT / "results" / "compare"))
    parser.add_argument("--after", default=str(ROOT / "results" / "generators"))
    args = parser.parse_args()
    table = []
    print("| method | task | before: mean (seeds 0 / 1 / 2) | copies | after: mean (seeds 0 / 1 / 2) | copies "
          "| trial s before / after (search s) | paper |")
    print("|---|---|---|---|---|---|---|---|")
    for method in METHODS:
        for task in TASKS:
            before = summarize([trial(Path(args.before), task, method, s) for s in SEEDS])
            after = summarize([trial(Path(args.after), task, method, s) for s in SEEDS])
            paper = PAPER[method].get(task)
            table.append({"method": method, "task": task, "before": before, "after": after, "paper": paper})
            copies = [_copies(x) for x in (before, after)]
            seconds = " / ".join(f"{x['time_total_s_mean']:.0f} ({x['time_search_s_mean']:.1f})"
                                  for x in (before, after))
            print(f"| `{method}` | {task} | {_fmt(before)} | {copies[0]} | {_fmt(after)} | {copies[1]} "
                  f"| {seconds} | {'' if paper is None else f'{paper:.3f}'} |")
    where = {k: _relative(Path(v)) for k, v in (("before", args.before), ("after", args.after))}
    print(f"wrote {write_results('generators_before_after', {**where, 'rows': table})}")


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


if __name__ == "__main__":
    main()
