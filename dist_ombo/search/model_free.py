"""Model-free GA: recombine and mutate the dataset's best designs, with no model at all.

The honest "is the model helping at all?" baseline. Without a model (and without the oracle, which
only the trial runner calls, once, to score the proposals) nothing can rank offspring, so there is
no generational loop to run: a GA with no fitness for its children can do exactly one round of
variation. That round is NSGA-II's (or a GA's) mating step on measured data:

1. the parent pool is the dataset's best ``pool_size`` designs (non-dominated sorting and crowding
   for MOO, value for SOO), with their *measured* objectives;
2. parents are picked by binary tournament on those measurements (rank, then crowding distance, as
   NSGA-II mates; value for SOO);
3. offspring come from pymoo's operators: SBX crossover (prob 0.9, eta 15) and polynomial mutation
   (eta 20, per-variable prob 1/d), pymoo's NSGA-II defaults; for token designs, uniform crossover
   and random-reset mutation;
4. the proposals are the first ``n_proposals`` distinct offspring that are not copies of a dataset
   design (rounds of mating repeat until there are enough, up to ``max_rounds``).

``n_evals`` is 0: nothing predicts anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pymoo.core.population import Population
from pymoo.core.problem import Problem
from pymoo.operators.crossover.sbx import SBX
from pymoo.operators.crossover.ux import UniformCrossover
from pymoo.operators.mutation.pm import PM
from pymoo.operators.survival.rank_and_crowding.metrics import get_crowding_function
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

from dist_ombo.errors import ConfigError
from dist_ombo.metrics import rank_by_nds
from dist_ombo.search.operators import TokenResetMutation


@dataclass(frozen=True)
class ModelFreeConfig:
    """One round of GA variation on the dataset's best designs (see module docstring)."""

    pool_size: int = 256
    crossover_prob: float = 0.9
    crossover_eta: float = 15.0
    mutation_eta: float = 20.0
    max_rounds: int = 50

    def __post_init__(self) -> None:
        if self.pool_size < 2 or self.max_rounds < 1:
            raise ConfigError(f"model-free GA needs pool_size >= 2 and max_rounds >= 1, got "
                              f"{self.pool_size}, {self.max_rounds}")
        if not 0 <= self.crossover_prob <= 1 or self.crossover_eta <= 0 or self.mutation_eta <= 0:
            raise ConfigError("model-free GA needs crossover_prob in [0, 1] and positive eta values")


def rank_and_crowding(F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-dominated front index and crowding distance of each row (minimized objectives); for one
    objective, the value's rank and zero crowding."""
    n = len(F)
    if F.shape[1] == 1:
        rank = np.empty(n, dtype=int)
        rank[np.argsort(F[:, 0], kind="stable")] = np.arange(n)
        return rank, np.zeros(n)
    rank, crowd = np.empty(n, dtype=int), np.zeros(n)
    crowding = get_crowding_function("cd")
    for i, front in enumerate(NonDominatedSorting().do(F)):
        rank[front] = i
        crowd[front] = crowding.do(F[front])
    return rank, crowd


def binary_tournament(rank: np.ndarray, crowd: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` winners of random pairs: lower rank wins, then larger crowding, then a coin flip."""
    a, b = rng.integers(0, len(rank), size=(2, n))
    coin = rng.random(n) < 0.5
    a_wins = (rank[a] < rank[b]) | ((rank[a] == rank[b]) & ((crowd[a] > crowd[b]) | ((crowd[a] == crowd[b]) & coin)))
    return np.where(a_wins, a, b)


def model_free_ga(
    X: np.ndarray,
    Y: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    n_proposals: int,
    config: ModelFreeConfig = ModelFreeConfig(),
    seed: int = 0,
    n_categories: int | None = None,
) -> tuple[np.ndarray, int]:
    """Offspring of the dataset's best designs; returns ``(proposals, 0)``."""
    rng = np.random.default_rng(seed)
    discrete = n_categories is not None
    lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    pool = rank_by_nds(Y, config.pool_size)
    P, F = np.asarray(X[pool], dtype=float), np.asarray(Y[pool], dtype=float)
    rank, crowd = rank_and_crowding(F)
    problem = Problem(n_var=X.shape[1], n_obj=Y.shape[1], xl=lower, xu=upper, vtype=int if discrete else float)
    if discrete:
        crossover, mutation = UniformCrossover(prob=config.crossover_prob), TokenResetMutation(n_categories)
    else:
        crossover = SBX(prob=config.crossover_prob, eta=config.crossover_eta)
        mutation = PM(eta=config.mutation_eta)
    parents_pop = Population.new("X", P)
    seen = {row.tobytes() for row in _canonical(X, discrete)}
    children: list[np.ndarray] = []
    for _ in range(config.max_rounds):
        need = n_proposals - len(children)
        if need <= 0:
            break
        n_matings = max(1, math.ceil(need / 2))
        mates = binary_tournament(rank, crowd, 2 * n_matings, rng).reshape(n_matings, 2)
        off = crossover.do(problem, parents_pop, mates, random_state=rng)
        off = mutation.do(problem, off, random_state=rng)
        Xo = np.clip(np.asarray(off.get("X"), dtype=float), lower, upper)
        for row in _canonical(Xo, discrete):
            key = row.tobytes()
            if key not in seen:
                seen.add(key)
                children.append(row)
    if not children:
        return np.zeros((0, X.shape[1]), dtype=np.int64 if discrete else float), 0
    return np.stack(children[:n_proposals]), 0


def _canonical(X: np.ndarray, discrete: bool) -> np.ndarray:
    X = np.asarray(X)
    return np.rint(X).astype(np.int64) if discrete else X.astype(np.float64)


def run(ctx, config: ModelFreeConfig):
    if ctx.surrogate is not None:
        raise ConfigError("the model-free GA uses no model; its method must have scheme=None")
    return model_free_ga(ctx.X, ctx.Y, ctx.lower, ctx.upper, ctx.n_proposals, config, seed=ctx.seed,
                         n_categories=ctx.n_categories)

