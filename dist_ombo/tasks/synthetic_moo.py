"""Synthetic multi-objective tasks of Off-MOO-Bench: ZDT, DTLZ, OmniTest, VLMOP.

ZDT, DTLZ and OmniTest reuse pymoo's definitions (DTLZ evaluated correctly, unlike the reference's
stacking bug, so published DTLZ2-6 numbers are not comparable: see protocols.md). VLMOP1-3 are
written from Van Veldhuizen & Lamont (1999), with Off-MOO-Bench's dimensions and bounds.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from pymoo.core.problem import Problem
from pymoo.problems.many.dtlz import DTLZ1, DTLZ2, DTLZ3, DTLZ4, DTLZ5, DTLZ6, DTLZ7
from pymoo.problems.multi.omnitest import OmniTest
from pymoo.problems.multi.zdt import ZDT1, ZDT2, ZDT3, ZDT4, ZDT6

from dist_ombo.refdirs import das_dennis
from dist_ombo.tasks.offmoo import OffMOOTask


class PymooTask(OffMOOTask):
    """An Off-MOO-Bench task whose objectives come from a pymoo ``Problem``."""

    def __init__(self, name: str, problem: Problem, nadir: list[float], **kwargs: Any) -> None:
        self._problem = problem
        super().__init__(name, problem.xl, problem.xu, problem.n_obj, np.array(nadir), **kwargs)

    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        return self._problem.evaluate(np.atleast_2d(X), return_values_of=["F"])

    def pareto_front(self, n_points: int = 1000) -> np.ndarray | None:
        if self.name in PARETO_SET_TAIL:
            return self._front_from_pareto_set(n_points)
        try:
            if self.n_obj == 3:
                return self._problem.pareto_front(das_dennis(3, n_points))
            return self._problem.pareto_front(n_points)
        except Exception:  # pymoo has no analytic front for this problem
            return None


    def _front_from_pareto_set(self, n_points: int) -> np.ndarray:
        """DTLZ5-7 (pymoo reads their fronts from files it downloads): the oracle at designs of
        the known Pareto set, the distance variables at their optimum and the position variables
        on a grid; DTLZ7's set also holds dominated points, so only the non-dominated are kept."""
        from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

        n_pos = self.n_obj - 1
        if self.name == "dtlz7":
            side = int(np.ceil(n_points ** (1.0 / n_pos)))
            axes = np.meshgrid(*[np.linspace(0.0, 1.0, side)] * n_pos, indexing="ij")
            X = np.full((axes[0].size, self.dim), PARETO_SET_TAIL[self.name])
            X[:, :n_pos] = np.stack([a.ravel() for a in axes], axis=1)
        else:  # DTLZ5/6 degenerate to a curve: only x1 moves, g = 0 fixes the other angles
            X = np.full((n_points, self.dim), PARETO_SET_TAIL[self.name])
            X[:, 0] = np.linspace(0.0, 1.0, n_points)
            X[:, 1:n_pos] = 0.5
        F = self._evaluate(X)
        if self.name == "dtlz7":
            F = F[NonDominatedSorting().do(F, only_non_dominated_front=True)]
        return F


#: Value of the distance variables on the Pareto set of the DTLZ problems whose front we derive.
PARETO_SET_TAIL = {"dtlz5": 0.5, "dtlz6": 0.0, "dtlz7": 0.0}


class VLMOPTask(OffMOOTask):
    """VLMOP1-3 (Van Veldhuizen & Lamont 1999), dimensions and bounds as in Off-MOO-Bench."""

    def __init__(self, variant: int, **kwargs: Any) -> None:
        spec = {
            1: (np.full(1, -2.0), np.full(1, 4.0), 2, [4.0, 4.0]),
            2: (np.full(6, -2.0), np.full(6, 2.0), 2, [1.0, 1.0]),
            3: (np.full(2, -3.0), np.full(2, 3.0), 3, [10.0, 60.0, 1.0]),
        }[variant]
        self.variant = variant
        super().__init__(f"vlmop{variant}", spec[0], spec[1], spec[2], np.array(spec[3]), **kwargs)

    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        if self.variant == 1:
            x = X[:, 0]
            return np.stack([x**2, (x - 2.0) ** 2], axis=1)
        if self.variant == 2:
            c = 1.0 / np.sqrt(X.shape[1])
            f1 = 1.0 - np.exp(-np.sum((X - c) ** 2, axis=1))
            f2 = 1.0 - np.exp(-np.sum((X + c) ** 2, axis=1))
            return np.stack([f1, f2], axis=1)
        x, y = X[:, 0], X[:, 1]
        r2 = x**2 + y**2
        f1 = 0.5 * r2 + np.sin(r2)
        f2 = (3 * x - 2 * y + 4) ** 2 / 8 + (x - y + 1) ** 2 / 27 + 15
        f3 = 1.0 / (r2 + 1) - 1.1 * np.exp(-r2)
        return np.stack([f1, f2, f3], axis=1)

    def pareto_front(self, n_points: int = 1000) -> np.ndarray | None:
        if self.variant == 1:  # Pareto set x in [0, 2]
            x = np.linspace(0.0, 2.0, n_points)[:, None]
            return self._evaluate(x)
        if self.variant == 2:  # Pareto set: all x_i equal, in [-1/sqrt(d), 1/sqrt(d)]
            c = 1.0 / np.sqrt(self.dim)
            t = np.linspace(-c, c, n_points)
            return self._evaluate(np.repeat(t[:, None], self.dim, axis=1))
        return None


def _pymoo(name: str, problem: Callable[[], Problem], nadir: list[float], **defaults: Any):
    def factory(**kwargs: Any) -> PymooTask:
        return PymooTask(name, problem(), nadir, **{**defaults, **kwargs})

    factory.__doc__ = f"{name.upper()} (pymoo definition), Off-MOO-Bench dataset protocol."
    return factory


def _vlmop(variant: int):
    def factory(**kwargs: Any) -> VLMOPTask:
        return VLMOPTask(variant, **kwargs)

    return factory


# Hard-coded nadir points and protocol settings from protocols.md (Off-MOO-Bench reference).
TASKS: dict[str, Callable[..., OffMOOTask]] = {
    "zdt1": _pymoo("zdt1", lambda: ZDT1(n_var=30), [0.99999809, 7.8250663]),
    "zdt2": _pymoo("zdt2", lambda: ZDT2(n_var=30), [0.99999706, 9.74316166], generations=40),
    "zdt3": _pymoo("zdt3", lambda: ZDT3(n_var=30), [0.99999954, 9.83643758]),
    "zdt4": _pymoo("zdt4", lambda: ZDT4(n_var=10), [0.99980978, 273.25533168], generations=600, p_worst=0.25),
    "zdt6": _pymoo("zdt6", lambda: ZDT6(n_var=10), [1.0, 9.34365208], generations=600, p_worst=0.2),
    "dtlz1": _pymoo("dtlz1", lambda: DTLZ1(n_var=7, n_obj=3), [507.46516068, 502.09050332, 516.68985527]),
    "dtlz2": _pymoo("dtlz2", lambda: DTLZ2(n_var=10, n_obj=3), [2.51925352, 2.53011955, 2.66682285]),
    "dtlz3": _pymoo("dtlz3", lambda: DTLZ3(n_var=10, n_obj=3), [1548.83497615, 1459.58638514, 1518.61926977]),
    "dtlz4": _pymoo("dtlz4", lambda: DTLZ4(n_var=10, n_obj=3, alpha=100), [2.75747516, 2.57674881, 2.52558196]),
    "dtlz5": _pymoo("dtlz5", lambda: DTLZ5(n_var=10, n_obj=3), [2.40756462, 2.36937324, 2.45008585]),
    "dtlz6": _pymoo("dtlz6", lambda: DTLZ6(n_var=10, n_obj=3), [8.90471718, 8.89404128, 8.88893072]),
    "dtlz7": _pymoo("dtlz7", lambda: DTLZ7(n_var=10, n_obj=3), [0.9999954, 0.99999772, 30.79227037]),
    "omnitest": _pymoo("omnitest", lambda: OmniTest(n_var=2), [2.0, 2.0]),
    "vlmop1": _vlmop(1),
    "vlmop2": _vlmop(2),
    "vlmop3": _vlmop(3),
}
