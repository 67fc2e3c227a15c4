"""Tiny continuous data for the BO tests: two conflicting objectives in a 3-d box."""

from __future__ import annotations

import numpy as np
import pytest

LOWER = np.array([-1.0, 0.0, 2.0])
UPPER = np.array([1.0, 4.0, 3.0])


def objectives(X: np.ndarray) -> np.ndarray:
    """Distances to two corners of the box (minimized; their trade-off is the diagonal)."""
    Z = (X - LOWER) / (UPPER - LOWER)
    return np.stack([(Z ** 2).sum(1), ((1 - Z) ** 2).sum(1)], axis=1)


@pytest.fixture(scope="session")
def box_data():
    """120 designs away from the diagonal's middle, so the front has room to improve."""
    rng = np.random.default_rng(0)
    Z = rng.uniform(size=(400, 3))
    Z = Z[np.abs(Z - 0.5).max(axis=1) > 0.3][:120]
    X = LOWER + Z * (UPPER - LOWER)
    return X, objectives(X)


@pytest.fixture(scope="session")
def box_gp(box_data):
    from dist_ombo.bo.gp import GPConfig, fit_gp
    from dist_ombo.problem import OfflineProblem

    X, Y = box_data
    return fit_gp(OfflineProblem(X, Y, LOWER, UPPER), GPConfig(train_size=48), seed=0)
