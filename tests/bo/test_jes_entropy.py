"""The JES entropy bound in log space: equal to BoTorch's where BoTorch is accurate, finite where a
candidate's posterior lies far beyond the sampled Pareto front (BoTorch's NaN there made
``optimize_acqf`` fail on RE21 with "probability tensor contains either inf, nan or element < 0")."""

import math

import pytest
import torch
from botorch.acquisition.multi_objective.joint_entropy_search import (
    _compute_entropy_upper_bound,
    qLowerBoundMultiObjectiveJointEntropySearch,
)
from botorch.acquisition.multi_objective.utils import compute_sample_box_decomposition
from botorch.optim import optimize_acqf

from dist_ombo.bo.jes_entropy import stable_lower_bound_jes, truncated_entropy_upper_bound

FRONTS = torch.tensor([[[0.0, 1.0], [0.5, 0.6], [1.0, 0.0]],
                       [[0.2, 0.9], [0.7, 0.3], [0.9, -0.2]]], dtype=torch.float64)  # 2 samples, maximized


def test_matches_botorch_where_its_tails_are_accurate():
    gen = torch.Generator().manual_seed(0)
    mean = 0.5 * torch.randn(5, 2, 3, 1, 2, dtype=torch.float64, generator=gen)
    var = 0.05 + 0.5 * torch.rand(5, 2, 3, 1, 2, dtype=torch.float64, generator=gen)
    noise = torch.full_like(var, 1e-3)
    boxes = compute_sample_box_decomposition(FRONTS)
    ours = truncated_entropy_upper_bound(boxes, mean, var, noise)
    theirs = _compute_entropy_upper_bound(boxes, mean, var, noise, only_diagonal=False)
    assert ours.shape == theirs.shape == (5, 3)
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-10)


@pytest.mark.parametrize("k", [8.0, 12.0, 40.0])
def test_candidate_far_beyond_the_sampled_front_gets_a_finite_entropy(k):
    # the failure condition: a near-noiseless posterior k standard deviations past the front in f2
    sd, noise_var = 0.01, 1e-4
    mean = torch.tensor([-0.5, 1.0 + k * sd], dtype=torch.float64).reshape(1, 1, 1, 1, 2).requires_grad_(True)
    var = torch.full((1, 1, 1, 1, 2), sd ** 2, dtype=torch.float64)
    noise = torch.full_like(var, noise_var)
    boxes = compute_sample_box_decomposition(FRONTS[:1])
    with torch.no_grad():
        theirs = _compute_entropy_upper_bound(boxes, mean, var, noise, only_diagonal=False).item()
    ours = truncated_entropy_upper_bound(boxes, mean, var, noise)
    ours.sum().backward()
    assert torch.isfinite(mean.grad).all()
    # f1 stays Gaussian; f2, truncated k sd below its mean, keeps about sd^2 / k^2 of its variance
    approx = 1 + math.log(2 * math.pi) + 0.5 * math.log((sd ** 2 + noise_var) * (sd ** 2 / k ** 2 + noise_var))
    assert ours.item() == pytest.approx(approx, abs=0.01)
    assert math.isnan(theirs) or abs(theirs - approx) > 0.3  # BoTorch's: NaN at k = 8, then wrong


def test_start_point_sampling_survives_candidates_beyond_the_sampled_front(box_gp):
    # Pareto fronts far behind the GPs' predictions put every candidate beyond them (as on RE21)
    model = box_gp.model
    gen = torch.Generator().manual_seed(0)
    ps = torch.rand(2, 4, 3, dtype=torch.float64, generator=gen)
    with torch.no_grad():
        pf = model.posterior(ps).mean - 2.0
    jes = stable_lower_bound_jes(model=model, pareto_sets=ps, pareto_fronts=pf,
                                 hypercell_bounds=compute_sample_box_decomposition(pf))
    with torch.no_grad():
        assert torch.isfinite(jes(torch.rand(256, 2, 3, dtype=torch.float64, generator=gen))).all()
    torch.manual_seed(0)
    bounds = torch.stack([torch.zeros(3), torch.ones(3)]).double()
    cand, value = optimize_acqf(jes, bounds=bounds, q=2, num_restarts=2, raw_samples=32,
                                options={"maxiter": 5, "batch_limit": 2})
    assert cand.shape == (2, 3) and torch.isfinite(value).all()
