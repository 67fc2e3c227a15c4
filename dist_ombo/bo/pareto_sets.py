"""Pareto sets of GP sample paths for JES, chosen to span the path's front.

JES conditions the GPs on sampled Pareto sets and truncates each candidate's predictive
distribution to the region the sampled front dominates. BoTorch's ``random_search_optimizer``
stops at the first random population that holds ``num_points`` non-dominated points and keeps the
first ``num_points`` of them in population order: the kept front can miss whole stretches of the
path's front, its ends included, and candidates there lie tens of posterior standard deviations
beyond it (on the tests' tiny GP, a candidate 42 sd past the front's best first objective). Such a
front says little about where the Pareto set is, and it puts the truncation far into the tails
(see ``dist_ombo.bo.jes_entropy``).

``pareto_set_search`` keeps BoTorch's interface and its random search (Sobol populations of
``pop_size`` on the sample path) but runs all ``max_tries`` populations, every second one perturbed
around the front found so far, keeps the non-dominated set of all of them, and from it
``num_points`` points that span the front: each objective's best point first, then greedily the
point farthest (in min-max normalized objectives) from those kept. A departure from Off-MOO-Bench,
which used BoTorch's random search.
"""

from __future__ import annotations

from typing import Any

#: Standard deviation (in the unit cube) of the perturbations around the front found so far.
LOCAL_STEP = 0.05


def pareto_set_search(model: Any, bounds: Any, num_points: int, maximize: bool = True, pop_size: int = 1000,
                      max_tries: int = 10) -> tuple[Any, Any]:
    """``num_points`` Pareto-optimal inputs and outputs of the deterministic ``model`` (a sampled
    path) within ``bounds``, as ``sample_optimal_points`` expects of its ``optimizer``. If the
    front holds fewer points, its points repeat (conditioning on a repeated observation only
    lowers its noise)."""
    import torch
    from botorch.utils.multi_objective.pareto import is_non_dominated
    from botorch.utils.sampling import draw_sobol_samples

    sign = 1.0 if maximize else -1.0
    d = bounds.shape[-1]
    front_X = torch.zeros(0, d, dtype=bounds.dtype)
    front_Y = None
    for attempt in range(max_tries):
        if attempt % 2 == 1 and len(front_X):
            parents = front_X[torch.randint(len(front_X), (pop_size,))]
            step = LOCAL_STEP * (bounds[1] - bounds[0]) * torch.randn(pop_size, d, dtype=bounds.dtype)
            X = torch.maximum(torch.minimum(parents + step, bounds[1]), bounds[0])
        else:
            X = draw_sobol_samples(bounds=bounds, n=pop_size, q=1).squeeze(-2)
        with torch.no_grad():
            Y = model.posterior(X).mean
        all_X = torch.cat([front_X, X])
        all_Y = Y if front_Y is None else torch.cat([front_Y, Y])
        keep = is_non_dominated(sign * all_Y)
        front_X, front_Y = all_X[keep], all_Y[keep]
    rows = spanning_subset(sign * front_Y, num_points)
    return front_X[rows], front_Y[rows]


def spanning_subset(Y: Any, k: int) -> Any:
    """Indices of ``k`` rows of a (maximized) front ``Y``: each objective's best row, then greedily
    the row farthest from those chosen, in min-max normalized units; rows repeat cyclically when
    ``Y`` has fewer than ``k``."""
    import torch

    n = len(Y)
    span = (Y.max(dim=0).values - Y.min(dim=0).values).clamp_min(1e-12)
    Z = (Y - Y.min(dim=0).values) / span
    chosen: list[int] = []
    for j in range(Y.shape[1]):
        best = int(torch.argmax(Y[:, j]))
        if best not in chosen:
            chosen.append(best)
    gap = torch.cdist(Z, Z[chosen]).min(dim=1).values
    while len(chosen) < min(k, n):
        far = int(torch.argmax(gap))
        chosen.append(far)
        gap = torch.minimum(gap, torch.cdist(Z, Z[far:far + 1]).squeeze(1))
    rows = chosen[:k]
    while len(rows) < k:
        rows.append(rows[len(rows) % len(chosen)])
    return torch.tensor(rows, dtype=torch.long)
