"""JES's Pareto sets span the sampled path's front, ends included (BoTorch's random search keeps
the first non-dominated points it meets, which can leave out a whole end)."""

import torch
from botorch.models.deterministic import GenericDeterministicModel
from botorch.utils.multi_objective.pareto import is_non_dominated
from botorch.utils.sampling import manual_seed

from dist_ombo.bo.pareto_sets import pareto_set_search, spanning_subset


def circle_front(X):
    """Maximized: (cos, sin) of an angle in [0, pi/2] set by x0, shrunk by x1 (x1 = 0 is optimal)."""
    t = X[..., :1] * torch.pi / 2
    r = 1 - X[..., 1:2]
    return torch.cat([r * torch.cos(t), r * torch.sin(t)], dim=-1)


def test_search_returns_optimal_points_spanning_the_front():
    model = GenericDeterministicModel(circle_front, num_outputs=2)
    bounds = torch.stack([torch.zeros(2), torch.ones(2)]).double()
    with manual_seed(0):
        X, Y = pareto_set_search(model, bounds, num_points=5, pop_size=200, max_tries=6)
    assert X.shape == (5, 2) and Y.shape == (5, 2)
    assert is_non_dominated(Y).all()
    assert X[:, 1].max() < 0.02  # on (near) the true front
    angles = X[:, 0].sort().values
    assert angles[0] < 0.02 and angles[-1] > 0.98  # both ends of the front
    assert angles.diff().max() < 0.4  # no large stretch left out


def test_spanning_subset_starts_from_each_objectives_best_and_repeats_a_short_front():
    Y = torch.tensor([[0.0, 1.0], [0.1, 0.9], [0.5, 0.5], [0.9, 0.1], [1.0, 0.0]], dtype=torch.float64)
    rows = spanning_subset(Y, 3).tolist()
    assert rows[:2] == [4, 0] and rows[2] == 2
    assert spanning_subset(Y[:2], 4).tolist() == [1, 0, 1, 0]
