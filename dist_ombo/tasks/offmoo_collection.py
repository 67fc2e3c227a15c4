"""Off-MOO-Bench's data collection (Xue et al., ICML 2024): NSGA-II with a *weakened* survival
records every generation's population until ``n_total`` designs exist; a uniform ``n_total`` are
kept. Kept apart from ``protocols`` because it needs pymoo's algorithms, which listing tasks does not.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.algorithms.moo.nsga3 import NSGA3
from pymoo.core.callback import Callback
from pymoo.core.problem import Problem
from pymoo.operators.survival.rank_and_crowding import RankAndCrowding
from pymoo.optimize import minimize
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting
from pymoo.util.ref_dirs import get_reference_directions

Evaluate = Callable[[np.ndarray], np.ndarray]


class WeakenedRankAndCrowding(RankAndCrowding):
    """NSGA-II survival that, with probability ``p_worst``, fills the next generation from the
    *worst* fronts first (Off-MOO-Bench's data-collection trick: it keeps the recorded populations
    spread over quality levels instead of converging to the front)."""

    def __init__(self, p_worst: float) -> None:
        super().__init__()
        self.p_worst = float(p_worst)

    def _do(self, problem, pop, *args, random_state=None, n_survive=None, **kwargs):
        rng = random_state if random_state is not None else np.random.default_rng()
        if rng.random() >= self.p_worst:
            return super()._do(problem, pop, *args, random_state=random_state, n_survive=n_survive, **kwargs)
        F = pop.get("F").astype(float, copy=False)
        fronts = NonDominatedSorting().do(F)
        survivors: list[int] = []
        for rank in range(len(fronts) - 1, -1, -1):
            front = fronts[rank]
            room = n_survive - len(survivors)
            if room <= 0:
                break
            if len(front) > room:
                front = rng.choice(front, size=room, replace=False)
            # Mating's binary tournament reads rank and crowding, so set them as NSGA-II does.
            crowding = self.crowding_func.do(F[front, :], n_remove=0)
            for j, i in enumerate(front):
                pop[i].set("rank", rank)
                pop[i].set("crowding", crowding[j])
            survivors.extend(front)
        return pop[np.asarray(survivors, dtype=int)]


class _Recorder(Callback):
    def __init__(self, every: int = 1) -> None:
        super().__init__()
        self.every = int(every)
        self.X: list[np.ndarray] = []
        self.F: list[np.ndarray] = []

    def notify(self, algorithm) -> None:
        if algorithm.n_gen % self.every:
            return
        self.X.append(algorithm.pop.get("X").copy())
        self.F.append(algorithm.pop.get("F").copy())


class _FunctionProblem(Problem):
    def __init__(self, evaluate: Evaluate, lower: np.ndarray, upper: np.ndarray, n_obj: int) -> None:
        super().__init__(n_var=len(lower), n_obj=n_obj, xl=lower, xu=upper)
        self._f = evaluate

    def _evaluate(self, X, out, *args, **kwargs):
        out["F"] = self._f(X)


def offmoo_collect(
    evaluate: Evaluate,
    lower: np.ndarray,
    upper: np.ndarray,
    n_obj: int,
    rng: np.random.Generator,
    n_total: int,
    generations: int = 30,
    p_worst: float = 0.45,
    pop_size: int = 100,
    use_nsga3: bool = False,
    operators: dict | None = None,
    record_every: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Collect ``n_total`` designs the Off-MOO-Bench way: repeated seeded NSGA-II runs with
    weakened survival, recording the whole population of every ``record_every``-th generation,
    then a uniform subsample. ``operators`` are extra pymoo keyword arguments of NSGA-II (the
    permutation tasks pass sampling, crossover, mutation, repair: see ``dist_ombo.search.permutation``).

    Rows with non-finite objectives are dropped (as the reference does) before subsampling.
    """
    problem = _FunctionProblem(evaluate, np.asarray(lower, float), np.asarray(upper, float), n_obj)
    Xs: list[np.ndarray] = []
    Fs: list[np.ndarray] = []
    count = 0
    while count < n_total:
        run_seed = int(rng.integers(0, 2**31 - 1))
        if use_nsga3:
            # RE34 in the reference: NSGA-III with uniform (Das-Dennis) reference directions.
            ref_dirs = get_reference_directions("uniform", n_obj, n_partitions=12)
            algorithm = NSGA3(ref_dirs=ref_dirs, pop_size=pop_size)
        else:
            algorithm = NSGA2(pop_size=pop_size, survival=WeakenedRankAndCrowding(p_worst), **(operators or {}))
        recorder = _Recorder(record_every)
        minimize(problem, algorithm, ("n_gen", generations), seed=run_seed, callback=recorder, verbose=False)
        X = np.concatenate(recorder.X)
        F = np.concatenate(recorder.F)
        ok = np.all(np.isfinite(F), axis=1)
        Xs.append(X[ok])
        Fs.append(F[ok])
        count += int(ok.sum())
    X = np.concatenate(Xs)
    F = np.concatenate(Fs)
    keep = rng.choice(len(X), size=n_total, replace=False)
    return X[keep], F[keep]
