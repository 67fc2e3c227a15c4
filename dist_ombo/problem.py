"""One offline problem, as a method sees it: designs, measured objectives, bounds, design kind.

Travels through training jobs and searches instead of five positional arrays; a task's dataset
and a user's table both become one. No task object and no oracle: only what a method may use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dist_ombo.errors import DataError


@dataclass(frozen=True, eq=False)
class OfflineProblem:
    """``X`` (n, dim) designs (integer tokens when ``n_categories`` is set), ``Y`` (n, n_obj)
    measured objectives, minimized; ``lower`` / ``upper`` the design box; ``permutation``: each
    design is an ordering of ``0..dim-1``."""

    X: np.ndarray
    Y: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n_categories: int | None = None
    permutation: bool = False  # each row an ordering of 0..dim-1 (search must keep it one)

    def __post_init__(self) -> None:
        X, Y = np.asarray(self.X), np.asarray(self.Y)
        if X.ndim != 2 or Y.ndim != 2 or len(X) != len(Y):
            raise DataError(f"an offline problem needs X (n, dim) and Y (n, n_obj), got {X.shape} and {Y.shape}")
        if np.shape(self.lower) != (X.shape[1],) or np.shape(self.upper) != (X.shape[1],):
            raise DataError(f"bounds must have shape ({X.shape[1]},), got {np.shape(self.lower)} and "
                            f"{np.shape(self.upper)}")

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int | None]:
        """``(X, Y, lower, upper, n_categories)``, for code that takes them apart."""
        return self.X, self.Y, self.lower, self.upper, self.n_categories

    @property
    def n_obj(self) -> int:
        return int(self.Y.shape[1])

    @property
    def kind(self) -> str:
        """``"moo"`` for several objectives, ``"soo"`` for one."""
        return "moo" if self.n_obj > 1 else "soo"

    @property
    def is_discrete(self) -> bool:
        return self.n_categories is not None

    @property
    def design_kind(self) -> str:
        """``"continuous"``, ``"categorical"`` (integer tokens) or ``"permutation"``, as ``Task.design_kind``."""
        return "permutation" if self.permutation else "categorical" if self.is_discrete else "continuous"
