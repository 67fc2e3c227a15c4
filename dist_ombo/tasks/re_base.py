"""What every RE problem shares: the spec-as-class-attributes base class and the helpers its
formulas use (constraint violation sum, nearest catalogue value). See ``re_suite`` for the suite.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from dist_ombo.tasks.offmoo import OffMOOTask

Bounds = tuple[tuple[float, ...], tuple[float, ...]]


def violation(*g: np.ndarray) -> np.ndarray:
    """Sum of constraint violations, each ``g >= 0`` when satisfied (NaN counts as satisfied,
    as ``np.where(g < 0, -g, 0)`` does in the reference)."""
    return sum(np.where(gj < 0, -gj, 0.0) for gj in g)


def nearest(values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The catalogue value nearest to each ``x`` (first in catalogue order on ties)."""
    return values[np.argmin(np.abs(x[:, None] - values[None, :]), axis=1)]


class RETask(OffMOOTask):
    """One RE problem: the spec is class attributes, the formula is ``_evaluate``.

    Keyword arguments (``n_total``, ``generations``, ``p_worst``) go to :class:`OffMOOTask`.
    """

    family = "re"
    name: ClassVar[str]
    bounds: ClassVar[Bounds]
    n_objectives: ClassVar[int]
    #: Off-MOO-Bench's hard-coded point; HV reference = 2.2 x its normalized value.
    hv_nadir: ClassVar[tuple[float, ...]]
    #: Ideal / nadir point of Tanabe & Ishibuchi's approximated Pareto front.
    pf_ideal: ClassVar[tuple[float, ...]]
    pf_nadir: ClassVar[tuple[float, ...]]
    default_generations: ClassVar[int] = 30
    nsga3: ClassVar[bool] = False

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("generations", self.default_generations)
        super().__init__(
            self.name,
            np.array(self.bounds[0], dtype=float),
            np.array(self.bounds[1], dtype=float),
            self.n_objectives,
            np.array(self.hv_nadir, dtype=float),
            ideal_point=np.array(self.pf_ideal, dtype=float),
            use_nsga3=self.nsga3,
            **kwargs,
        )
        self.pf_nadir_point = np.array(self.pf_nadir, dtype=float)


