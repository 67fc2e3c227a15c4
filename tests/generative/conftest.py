"""Shared data for the generative tests: small correlated designs in a box, their objectives, a tiny
surrogate."""

from __future__ import annotations

import numpy as np
import pytest

from dist_ombo.models.ensemble import EnsembleConfig, EnsembleSurrogate

LOWER = np.array([-1.0, 0.0, 2.0])
UPPER = np.array([1.0, 4.0, 3.0])


def objectives(X: np.ndarray) -> np.ndarray:
    """Two conflicting minimized objectives of box coordinates (distance to two corners)."""
    Z = (X - LOWER) / (UPPER - LOWER)
    return np.stack([(Z ** 2).sum(1), ((1 - Z) ** 2).sum(1)], axis=1)


@pytest.fixture(scope="session")
def box_data():
    """1,500 correlated designs in the box (non-isotropic: a moment test has something to match)."""
    rng = np.random.default_rng(0)
    cov = np.array([[0.02, 0.012, 0.0], [0.012, 0.02, -0.006], [0.0, -0.006, 0.01]])
    Z = rng.multivariate_normal([0.35, 0.55, 0.5], cov, size=1500).clip(0, 1)
    X = LOWER + Z * (UPPER - LOWER)
    return X, objectives(X)


@pytest.fixture(scope="session")
def box_surrogate(box_data):
    X, Y = box_data
    cfg = EnsembleConfig(n_members=2, hidden=(32, 32), epochs=30, max_steps=400, batch_size=64)
    return EnsembleSurrogate(cfg).fit(X, Y, LOWER, UPPER, seed=0)


@pytest.fixture(scope="session")
def token_data():
    """Sequences of 6 tokens over 4 symbols; objective: how few 0-tokens (minimized), and a second."""
    rng = np.random.default_rng(1)
    X = rng.integers(0, 4, size=(600, 6))
    Y = np.stack([(X != 0).sum(1), (X != 3).sum(1) + 0.1 * X[:, 0]], axis=1).astype(float)
    return X, Y
