"""Base class of multi-objective tasks built with the Off-MOO-Bench data protocol."""

from __future__ import annotations

from typing import Any

import numpy as np

from dist_ombo.tasks.base import Task
from dist_ombo.tasks.protocols import split_best_by_nds

#: Fraction of the collected designs hidden as the best part (Off-MOO-Bench: 40%).
HIDDEN_FRACTION = 0.4


class OffMOOTask(Task):
    """A multi-objective task on a continuous box, its dataset collected by weakened NSGA-II.

    Parameters shared by every such task (keyword arguments of ``get_task``):
    ``n_total`` designs collected before the best 40% are hidden (Off-MOO-Bench: 100,000, leaving
    60,000 for training; tests use small values), ``generations`` per NSGA-II run and ``p_worst``,
    the probability of the weakened survival (defaults per task from protocols.md).
    """

    family = "synthetic-moo"

    def __init__(
        self,
        name: str,
        lower: np.ndarray,
        upper: np.ndarray,
        n_obj: int,
        nadir_point: np.ndarray,
        *,
        n_total: int = 100_000,
        generations: int = 30,
        p_worst: float = 0.45,
        use_nsga3: bool = False,
        ideal_point: np.ndarray | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        if n_total < 10:
            raise ValueError(f"{name}: n_total must be at least 10, got {n_total}")
        self.name = name
        self.lower = np.asarray(lower, dtype=float)
        self.upper = np.asarray(upper, dtype=float)
        self.dim = len(self.lower)
        self.n_obj = int(n_obj)
        self.nadir_point = np.asarray(nadir_point, dtype=float)
        self.ideal_point = None if ideal_point is None else np.asarray(ideal_point, dtype=float)
        self.n_total = int(n_total)
        self.generations = int(generations)
        self.p_worst = float(p_worst)
        self.use_nsga3 = bool(use_nsga3)
        self.params = {"n_total": self.n_total, "generations": self.generations, "p_worst": self.p_worst}
        if params:
            self.params.update(params)

    def _n_train(self) -> int:
        return self.n_total - int(round(HIDDEN_FRACTION * self.n_total))

    def _build_dataset(self, rng: np.random.Generator):
        from dist_ombo.tasks.offmoo_collection import offmoo_collect  # pymoo's algorithms: only to build data

        X, Y = offmoo_collect(
            self._evaluate,
            self.lower,
            self.upper,
            self.n_obj,
            rng,
            n_total=self.n_total,
            generations=self.generations,
            p_worst=self.p_worst,
            use_nsga3=self.use_nsga3,
        )
        return split_best_by_nds(X, Y, HIDDEN_FRACTION, rng)
