"""Build the computed reference fronts (``dist_ombo/tasks/data/fronts/``) from each task's oracle.

For every continuous MOO task without an analytic front: several seeded runs (NSGA-II for two
objectives, NSGA-III with Das-Dennis directions for more), each keeping an archive of every
non-dominated design it evaluated; the runs' archives are merged by non-dominated sorting and
thinned by crowding distance to at most ``cap`` points. Resumable: each finished run is kept in
``--work`` and reused. Prints, per task, the HV of the merged front after each added run
(normalized by the final front's ideal/nadir, reference 1.1) as evidence of convergence, and
writes ``benchmarks/results/reference_fronts.json``.

    PYTHONPATH=. python benchmarks/build_reference_fronts.py            # every missing front
    PYTHONPATH=. python benchmarks/build_reference_fronts.py --tasks re21 re33 --force
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.algorithms.moo.nsga3 import NSGA3
from pymoo.core.callback import Callback
from pymoo.core.problem import Problem
from pymoo.optimize import minimize
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

from dist_ombo import metrics as M
from dist_ombo.reference_fronts import FRONT_DIR, read_manifest, reference_front, write_front
from dist_ombo.refdirs import das_dennis
from dist_ombo.tasks import get_task, task_names

ROOT = Path(__file__).resolve().parents[1]
#: Bump when the recipe below changes: the version string travels into every scored trial.
VERSION = "1"
SEEDS = (0, 1, 2)
#: (population, generations) by number of objectives; sized so that all fronts build in about
#: 20 minutes on one core (RE oracles are cheap numpy; pymoo's survival dominates).
SIZES = {2: (200, 200), 3: (210, 200), 4: (220, 150), 6: (252, 120)}
#: Points kept per front: crowding-distance thinning loses HV fast in many objectives, while HV
#: of a 6-objective front costs seconds at 2,000 points (about 6 s per RE61 trial).
CAPS = {2: 2000, 3: 6000, 4: 4000, 6: 2000}
BAD = 1e30  # non-finite objectives (degenerate designs) become a value no front keeps


class _Objectives(Problem):
    def __init__(self, task) -> None:
        super().__init__(n_var=task.dim, n_obj=task.n_obj, xl=task.lower, xu=task.upper)
        self.task = task

    def _evaluate(self, X, out, *args, **kwargs):
        F = np.asarray(self.task._evaluate(X), dtype=float)
        out["F"] = np.where(np.isfinite(F), F, BAD)


class _Archive(Callback):
    """Every non-dominated objective vector seen, pruned every 20 generations."""

    def __init__(self) -> None:
        super().__init__()
        self.F: list[np.ndarray] = []

    def notify(self, algorithm) -> None:
        self.F.append(algorithm.pop.get("F").copy())
        if algorithm.n_gen % 20 == 0:
            self.F = [nondominated(np.concatenate(self.F))]


def nondominated(F: np.ndarray) -> np.ndarray:
    """The unique, finite, non-dominated rows of ``F``."""
    F = F[np.all(F < BAD / 10, axis=1)]
    if len(F) == 0:
        return F
    F = np.unique(F, axis=0)
    return F[NonDominatedSorting().do(F, only_non_dominated_front=True)]


def run_once(task, seed: int, pop: int, generations: int) -> np.ndarray:
    """One seeded run's archive of non-dominated objective vectors."""
    if task.n_obj == 2:
        algorithm = NSGA2(pop_size=pop)
    else:
        algorithm = NSGA3(ref_dirs=das_dennis(task.n_obj, pop), pop_size=pop)
    archive = _Archive()
    minimize(_Objectives(task), algorithm, ("n_gen", generations), seed=seed, callback=archive, verbose=False)
    return nondominated(np.concatenate(archive.F))


def thin(F: np.ndarray, cap: int) -> np.ndarray:
    """At most ``cap`` points of a non-dominated set, chosen by crowding distance."""
    return F if len(F) <= cap else F[np.sort(M.rank_by_nds(F, cap))]


def growth(runs: list[np.ndarray], final: np.ndarray) -> list[float]:
    """HV of the merged front after each run, in the final front's [ideal, nadir] box, ref 1.1.
    Up to three objectives the whole merged set counts (so the sequence never falls); beyond,
    HV is too costly and the merged set is thinned to the stored cap first."""
    lo, hi = final.min(axis=0), final.max(axis=0)
    ref = np.full(final.shape[1], 1.1)
    cap = 10**9 if final.shape[1] <= 3 else CAPS[final.shape[1]]
    out, merged = [], np.zeros((0, final.shape[1]))
    for F in runs:
        merged = nondominated(np.concatenate([merged, F]))
        out.append(M.hypervolume(M.normalize_objectives(thin(merged, cap), lo, hi), ref))
    out.append(M.hypervolume(M.normalize_objectives(final, lo, hi), ref))  # the stored, thinned front
    return out


def build(name: str, work: Path, seeds=SEEDS) -> dict:
    task = get_task(name)
    pop, generations = SIZES[task.n_obj]
    runs = []
    t0 = time.perf_counter()
    for seed in seeds:
        file = work / f"{name}-v{VERSION}-seed{seed}.npy"
        if file.exists():
            runs.append(np.load(file))
            continue
        t = time.perf_counter()
        F = run_once(task, seed, pop, generations)
        np.save(file, F)
        runs.append(F)
        print(f"  {name} seed {seed}: {len(F)} non-dominated points in {time.perf_counter() - t:.1f} s", flush=True)
    final = thin(nondominated(np.concatenate(runs)), CAPS[task.n_obj])
    hv = growth(runs, final)
    algorithm = "NSGA-II" if task.n_obj == 2 else "NSGA-III (Das-Dennis directions)"
    entry = write_front(name, final, {
        "version": VERSION, "algorithm": algorithm, "pop": pop, "generations": generations,
        "seeds": list(seeds), "cap": CAPS[task.n_obj], "task_params": task.params,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "hv_growth": [round(h, 6) for h in hv[:-1]], "hv_stored": round(hv[-1], 6),
    })
    steps = " -> ".join(f"{h:.5f}" for h in hv[:-1])
    print(f"{name}: {len(final)} points, HV after each run {steps}; stored front {hv[-1]:.5f} "
          f"({time.perf_counter() - t0:.1f} s)", flush=True)
    return entry


def computed_tasks() -> list[str]:
    """Continuous MOO tasks whose front is not analytic (MOCO permutation tasks are skipped)."""
    out = []
    for name in task_names():
        task = get_task(name)
        if task.kind == "moo" and task.design_kind == "continuous" and task.pareto_front(10) is None:
            out.append(name)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="*", help="tasks to build (default: every continuous MOO task without an analytic front)")
    parser.add_argument("--force", action="store_true", help="rebuild fronts the manifest already lists")
    parser.add_argument("--work", type=Path, default=ROOT / ".cache" / "fronts_work",
                        help="folder of finished runs (resume)")
    args = parser.parse_args(argv)
    names = args.tasks or computed_tasks()
    unknown = sorted(set(names) - set(computed_tasks()))
    if unknown:
        print(f"error: no computed front for {unknown} (analytic, discrete, permutation or unknown tasks)", file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    listed = read_manifest().get("tasks", {})
    summary = {}
    for name in names:
        if name in listed and not args.force and listed[name].get("version") == VERSION:
            print(f"{name}: listed (version {VERSION}), skipped; --force rebuilds it")
            continue
        summary[name] = build(name, args.work)
    for name in names:  # every front loads and passes its checksum
        assert reference_front(get_task(name)) is not None
    out = ROOT / "benchmarks" / "results" / "reference_fronts.json"
    previous = json.loads(out.read_text()) if out.exists() else {}
    previous.update(summary)
    out.write_text(json.dumps(previous, indent=2, sort_keys=True) + "\n")
    print(f"{len(summary)} fronts built into {FRONT_DIR}; summary in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
