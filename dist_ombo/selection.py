"""Offline model selection: score a method's surrogate configuration from the data alone.

Tuning a method on the oracle is the field's best-known way to report numbers nobody can
reproduce; here hyper-parameters are chosen by an *offline* criterion. The best ``holdout``
fraction of the dataset (by non-dominated sorting and crowding for MOO, by value for SOO) is held
out, the surrogate is trained on the rest, and its predictions on the held-out top slice are
compared with the measured values:

* ``offline_spearman``: Spearman rank correlation, averaged over objectives (higher is better);
  the surrogate must *order* the good designs it has never seen, which is what search relies on;
* ``offline_mse``: mean squared error in min-max normalized objective units (lower is better).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr

from dist_ombo.metrics import rank_by_nds
from dist_ombo.catalog import get_scheme
from dist_ombo.problem import OfflineProblem

METRICS = {"offline_spearman": "max", "offline_mse": "min"}


def split_top(Y: np.ndarray, holdout: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, top)``: the best ``holdout`` fraction of designs held out."""
    n_top = max(2, int(round(holdout * len(Y))))
    top = rank_by_nds(Y, n_top)
    mask = np.ones(len(Y), dtype=bool)
    mask[top] = False
    return np.flatnonzero(mask), top


def offline_scores(problem: OfflineProblem, scheme: str, config, seed: int, holdout: float = 0.1) -> dict[str, float]:
    """Train ``scheme`` on all but the held-out top slice and score it there (no oracle)."""
    X, Y = problem.X, problem.Y
    train, top = split_top(Y, holdout)
    rest = OfflineProblem(X[train], Y[train], problem.lower, problem.upper, problem.n_categories)
    model = get_scheme(scheme).train(rest, config, seed)
    pred, _ = model.predict(X[top])
    rhos = []
    for j in range(Y.shape[1]):
        rho = spearmanr(pred[:, j], Y[top, j]).statistic
        rhos.append(0.0 if not np.isfinite(rho) else float(rho))
    span = np.where(np.ptp(Y, axis=0) > 0, np.ptp(Y, axis=0), 1.0)
    mse = float(np.mean(((pred - Y[top]) / span) ** 2))
    return {"offline_spearman": float(np.mean(rhos)), "offline_mse": mse, "holdout_n": int(len(top))}
