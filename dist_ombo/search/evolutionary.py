"""pymoo evolutionary search over a surrogate.

MOO (Off-MOO-Bench): NSGA-II by default (NSGA-III, MOEA/D, SMS-EMOA selectable), population
seeded with the best dataset designs by non-dominated sorting, the final population cut to the
proposal budget by non-dominated sorting and crowding. SOO: GA and CMA-ES, seeded from the best
designs. Discrete designs use integer tokens with uniform crossover and random-reset mutation;
permutation designs use order crossover and inversion mutation (``dist_ombo.search.permutation``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from pymoo.algorithms.moo.moead import MOEAD
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.algorithms.moo.nsga3 import NSGA3
from pymoo.algorithms.moo.sms import SMSEMOA
from pymoo.algorithms.soo.nonconvex.cmaes import CMAES
from pymoo.algorithms.soo.nonconvex.ga import GA
from pymoo.core.callback import Callback
from pymoo.operators.crossover.ux import UniformCrossover
from pymoo.optimize import minimize

from dist_ombo.errors import ConfigError
from dist_ombo.metrics import rank_by_nds
from dist_ombo.refdirs import das_dennis
from dist_ombo.search.operators import TokenResetMutation
from dist_ombo.search.permutation import permutation_operators
from dist_ombo.search.problem import Surrogate, SurrogateProblem, seen_transitions

MOO_ALGORITHMS = ("nsga2", "nsga3", "moead", "smsemoa")
SOO_ALGORITHMS = ("ga", "cmaes")


@dataclass(frozen=True)
class EvolutionConfig:
    """Evolutionary search settings. Off-MOO-Bench's reference: NSGA-II, population 256 x 50 gens."""

    algorithm: str = "nsga2"
    pop_size: int = 256
    n_gen: int = 50
    beta: float = 0.0  # objective = mean + beta * ensemble std (minimized): uncertainty-aware when > 0
    cmaes_sigma: float = 0.2  # initial step size in the [0, 1]-normalized box
    # Discrete designs: a constraint that every adjacent token pair occurs somewhere in the data.
    # Sequence tasks with infeasible transitions (Ehrlich) score 0 off the data's support; the
    # constraint keeps search on it (pymoo's feasibility-first ranking) at no cost where all pairs
    # occur (TF-Bind-8).
    data_support: bool = True

    def __post_init__(self) -> None:
        if self.algorithm not in MOO_ALGORITHMS + SOO_ALGORITHMS:
            raise ConfigError(
                f"unknown search algorithm {self.algorithm!r}; valid: {', '.join(MOO_ALGORITHMS + SOO_ALGORITHMS)}"
            )
        if self.pop_size < 4 or self.n_gen < 1:
            raise ConfigError(f"pop_size must be >= 4 and n_gen >= 1, got {self.pop_size}, {self.n_gen}")


class _Progress(Callback):
    def __init__(self, fn: Callable[[int, int], None] | None, n_gen: int) -> None:
        super().__init__()
        self.fn, self.n_gen = fn, n_gen

    def notify(self, algorithm) -> None:
        if self.fn is not None:
            self.fn(algorithm.n_gen, self.n_gen)


def _algorithm(cfg: EvolutionConfig, n_obj: int, X0: np.ndarray, n_categories: int | None, seed: int,
               lower: np.ndarray, upper: np.ndarray, design_kind: str | None = None):
    discrete_ops = {}
    if design_kind == "permutation":
        # Keep the data's canonical rotation (Off-MOO-Bench's routing data all start at 0).
        discrete_ops = permutation_operators(start_from_zero=bool(np.all(X0[:, 0] == 0)))
    elif n_categories is not None:
        discrete_ops = {
            "crossover": UniformCrossover(),
            "mutation": TokenResetMutation(n_categories),
            "eliminate_duplicates": True,
        }
    if cfg.algorithm == "nsga2":
        return NSGA2(pop_size=cfg.pop_size, sampling=X0, **discrete_ops)
    if cfg.algorithm == "smsemoa":
        return SMSEMOA(pop_size=cfg.pop_size, sampling=X0, **discrete_ops)
    if cfg.algorithm in ("nsga3", "moead"):
        ref_dirs = das_dennis(n_obj, cfg.pop_size)
        if cfg.algorithm == "nsga3":
            return NSGA3(ref_dirs=ref_dirs, pop_size=cfg.pop_size, sampling=X0, **discrete_ops)
        ops = {k: v for k, v in discrete_ops.items() if k != "eliminate_duplicates"}
        # MOEA/D keeps one individual per reference direction: the population is that many
        return MOEAD(ref_dirs=ref_dirs, n_neighbors=15, prob_neighbor_mating=0.7,
                     sampling=X0[: len(ref_dirs)], **ops)
    if cfg.algorithm == "ga":
        return GA(pop_size=cfg.pop_size, sampling=X0, **discrete_ops)
    if cfg.algorithm == "cmaes":
        if n_categories is not None or design_kind == "permutation":
            raise ConfigError("cmaes searches continuous boxes only; use ga for discrete designs")
        # pymoo normalizes to [0, 1] internally, so sigma is relative to the box
        return CMAES(x0=X0[0], sigma=cfg.cmaes_sigma, pop_size=cfg.pop_size, restarts=0)
    raise ConfigError(f"unknown algorithm {cfg.algorithm!r}")


def evolutionary_search(
    surrogate: Surrogate,
    X: np.ndarray,
    Y: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    n_proposals: int,
    config: EvolutionConfig = EvolutionConfig(),
    seed: int = 0,
    n_categories: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    initial: np.ndarray | None = None,
    design_kind: str | None = None,
) -> tuple[np.ndarray, int]:
    """Run a pymoo algorithm on the surrogate; return ``(proposals, n_surrogate_evaluations)``.

    The initial population is the best ``pop_size`` dataset designs (by NDS + crowding for MOO,
    by value for SOO), or ``initial`` when given (cut or repeated to ``pop_size``); proposals are
    the final population's best ``n_proposals`` by predicted objectives (NDS + crowding), unique
    rows only. ``design_kind="permutation"``: designs stay permutations of ``0..d-1``.
    """
    n_obj = Y.shape[1]
    if (n_obj > 1) != (config.algorithm in MOO_ALGORITHMS):
        kind = "multi" if n_obj > 1 else "single"
        raise ConfigError(f"search algorithm {config.algorithm!r} does not fit a {kind}-objective task")
    discrete = n_categories is not None
    # the transition constraint is for token sequences; permutation operators keep their own support
    support = (seen_transitions(X, n_categories)
               if discrete and config.data_support and design_kind != "permutation" else None)
    problem = SurrogateProblem(surrogate, lower, upper, n_obj, beta=config.beta, discrete=discrete,
                               seen_transitions=support)
    if initial is None:
        X0 = np.asarray(X[rank_by_nds(Y, config.pop_size)], dtype=float)
    else:  # e.g. a generator's samples (dist_ombo.generative)
        X0 = np.asarray(initial, dtype=float)[: config.pop_size]
    if len(X0) < config.pop_size:  # tiny datasets: repeat the best designs
        X0 = X0[np.resize(np.arange(len(X0)), config.pop_size)]
    algorithm = _algorithm(config, n_obj, X0, n_categories, seed, np.asarray(lower), np.asarray(upper),
                           design_kind)
    res = minimize(
        problem, algorithm, ("n_gen", config.n_gen), seed=int(seed), verbose=False,
        callback=_Progress(progress, config.n_gen),
    )
    pop_X = np.asarray(res.pop.get("X"), dtype=float)
    pop_F = np.asarray(res.pop.get("F"), dtype=float)
    if support is not None:  # prefer data-supported designs; keep others only to fill the budget
        cv = np.asarray(res.pop.get("CV"), dtype=float).reshape(-1)
        order = np.argsort(cv > 0, kind="stable")
        feasible = int((cv <= 0).sum())
        keep = order[: max(feasible, min(n_proposals, len(order)))]
        pop_X, pop_F = pop_X[keep], pop_F[keep] + (cv[keep, None] > 0) * 1e12
    if discrete:
        pop_X = np.rint(pop_X)
    pop_X = np.clip(pop_X, lower, upper)
    _, unique = np.unique(pop_X, axis=0, return_index=True)
    unique = np.sort(unique)
    pop_X, pop_F = pop_X[unique], pop_F[unique]
    chosen = rank_by_nds(pop_F, n_proposals)
    proposals = pop_X[chosen]
    if discrete:
        proposals = proposals.astype(np.int64)
    return proposals, problem.n_evaluations


def run(ctx, config: EvolutionConfig):
    return evolutionary_search(
        ctx.surrogate, ctx.X, ctx.Y, ctx.lower, ctx.upper, ctx.n_proposals, config,
        seed=ctx.seed, n_categories=ctx.n_categories, progress=ctx.progress, design_kind=ctx.design_kind,
    )

