"""Seeded offline-dataset protocols (see ``shared/docs/protocols.md``).

* Off-MOO-Bench (Xue et al., ICML 2024): NSGA-II with a *weakened* survival records every
  generation's population until ``n_total`` designs exist (``offmoo_collection``); a uniform
  ``n_total`` are kept; the best 40% by non-dominated sorting are hidden (used only for score
  normalization).
* Design-Bench style (SOO and discrete tasks): sample, keep the worse part, so beating D(best) is
  possible and measurable.
"""

from __future__ import annotations

import numpy as np


def split_best_by_nds(
    X: np.ndarray, Y: np.ndarray, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Remove the best ``fraction`` of designs by non-dominated sorting (fronts best-first, the
    last front randomly subsampled so that exactly ``round(fraction * n)`` go).

    Returns ``(X_keep, Y_keep, X_removed, Y_removed)``.
    """
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting  # listing tasks needs no pymoo

    n_remove = int(round(fraction * len(X)))
    fronts = NonDominatedSorting().do(Y, n_stop_if_ranked=n_remove)
    removed: list[int] = []
    for front in fronts:
        room = n_remove - len(removed)
        if room <= 0:
            break
        if len(front) <= room:
            removed.extend(front)
        else:
            removed.extend(rng.choice(front, size=room, replace=False))
    mask = np.zeros(len(X), dtype=bool)
    mask[np.asarray(removed, dtype=int)] = True
    return X[~mask], Y[~mask], X[mask], Y[mask]


def split_lower_soo(
    X: np.ndarray, Y: np.ndarray, keep_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Keep the worse ``keep_fraction`` of a single-objective (minimized) sample; ties are broken
    at random so that tasks with discrete values (Ehrlich) still split exactly.

    Returns ``(X_keep, Y_keep, X_hidden, Y_hidden)``.
    """
    y = Y[:, 0]
    order = np.lexsort((rng.random(len(y)), -y))  # worst (largest) first, random tie-break
    n_keep = int(round(keep_fraction * len(y)))
    keep, hide = order[:n_keep], order[n_keep:]
    return X[keep], Y[keep], X[hide], Y[hide]
