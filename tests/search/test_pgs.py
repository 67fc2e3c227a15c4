"""PGS: positive per-dimension step sizes from a CQL-trained policy, trajectories from the top of the
data, and proposals that improve on their starts under the surrogate."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dist_ombo.models import EnsembleConfig, EnsembleSurrogate
from dist_ombo.search.pgs import PGSConfig, pgs_search

LOWER, UPPER = np.zeros(3), np.ones(3)
SMALL = PGSConfig(n_trajectories=64, trajectory_length=8, rl_steps=60, batch_size=64, hidden=(32, 32),
                  cql_samples=2, steps=15, n_weights=4)


@pytest.fixture(autouse=True)
def one_thread(one_torch_thread):
    """Every test here runs on one torch thread (shared fixture in tests/conftest.py)."""


@pytest.fixture(scope="module")
def bowl_model():
    X = np.random.default_rng(0).uniform(0.4, 1.0, (300, 3))
    Y = np.stack([((X - 0.2) ** 2).sum(1), ((X - 0.6) ** 2).sum(1)], axis=1)
    cfg = EnsembleConfig(n_members=2, hidden=(32, 32), epochs=40, batch_size=64, lr=3e-3)
    return X, Y, EnsembleSurrogate(cfg).fit(X, Y, LOWER, UPPER, seed=0), \
        EnsembleSurrogate(cfg).fit(X, Y[:, :1], LOWER, UPPER, seed=0)


def test_policy_step_sizes_are_positive_and_proposals_improve(bowl_model):
    X, Y, _, model = bowl_model
    details = {}
    P, n_evals = pgs_search(model, X, Y[:, :1], LOWER, UPPER, 16, SMALL, seed=0, details=details)
    assert P.shape == (16, 3) and np.all((P >= 0) & (P <= 1)) and n_evals > 0
    policy, data = details["policy"], details["transitions"]
    states = torch.cat([torch.rand(200, 3), torch.zeros(1, 3), torch.ones(1, 3), 50 * torch.randn(20, 3)])
    alpha = policy.step_sizes(states)
    assert alpha.shape == (222, 3) and torch.all(alpha > 0) and torch.all(alpha <= data.a_max * (1 + 1e-6))
    assert torch.all(data.rewards >= 0) and torch.all(data.actions.abs() < 1)  # improving trajectories
    start, end = details["start"], details["end"]
    with torch.no_grad():
        before = model.predict_torch(start, normalized_y=True)[0].mean()
        after = model.predict_torch(end, normalized_y=True)[0].mean()
    assert after < before
    again, _ = pgs_search(model, X, Y[:, :1], LOWER, UPPER, 16, SMALL, seed=0)
    np.testing.assert_array_equal(P, again)  # seeded


def test_moo_runs_one_conditioned_policy_over_weight_vectors(bowl_model):
    X, Y, model, _ = bowl_model
    details = {}
    P, _ = pgs_search(model, X, Y, LOWER, UPPER, 20, SMALL, seed=1, details=details)
    assert 0 < len(P) <= 20 and np.all((P >= 0) & (P <= 1))
    w = details["weights"]
    assert len(torch.unique(w, dim=0)) == 4 and torch.allclose(w.sum(1), torch.ones(len(w)))
    assert details["transitions"].states.shape[1] == 3 + 2  # the design and its weight vector


def test_discrete_designs_move_as_logits():
    rng = np.random.default_rng(2)
    X = rng.integers(0, 4, (300, 6))
    Y = (X != 2).sum(1, keepdims=True).astype(float)
    cfg = EnsembleConfig(n_members=2, hidden=(32, 32), epochs=20, batch_size=64, lr=3e-3)
    model = EnsembleSurrogate(cfg).fit(X, Y, np.zeros(6), np.full(6, 3), n_categories=4, seed=0)
    P, _ = pgs_search(model, X, Y, np.zeros(6), np.full(6, 3), 8, SMALL, seed=0, n_categories=4)
    assert P.dtype == np.int64 and P.shape == (8, 6) and P.min() >= 0 and P.max() <= 3


def test_trajectory_gradients_are_the_whole_pools_at_the_visited_rows(bowl_model):
    """synthesize differentiates the surrogate only at the rows its trajectories visit."""
    from dist_ombo.search.pgs import _design_space, _gradients_at, surrogate_value_and_grad

    X, _, model, _ = bowl_model
    space = _design_space(model, None)
    z = space.encode(model, X)
    w = torch.tensor([0.25, 0.75])
    _, full = surrogate_value_and_grad(model, space, z, w)
    rows = np.random.default_rng(3).choice(len(X), 70)  # repeats, any order
    got = _gradients_at(model, space, z, rows, w)
    assert got.shape == (70, 3)
    torch.testing.assert_close(got, full[rows], rtol=1e-6, atol=1e-8)
    torch.testing.assert_close(_gradients_at(model, space, z, np.arange(len(X))[::-1].copy(), w), full.flip(0))


def test_actions_drawn_from_repeated_policy_outputs_equal_those_at_repeated_states():
    """The CQL step evaluates the policy once per state and repeats its outputs for the penalty's
    samples; that must draw what sampling at the repeated states draws."""
    from dist_ombo.search.pgs import StepPolicy, _sample

    policy = StepPolicy(5, 3, (32, 32), 1.0, torch.Generator().manual_seed(0))
    s = torch.randn(64, 5, generator=torch.Generator().manual_seed(1))
    a_rep, logp_rep = policy.sample(s.repeat(4, 1), torch.Generator().manual_seed(2))
    mean, std = policy._dist(s)
    a, logp = _sample(mean.repeat(4, 1), std.repeat(4, 1), torch.Generator().manual_seed(2))
    torch.testing.assert_close(a, a_rep, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(logp, logp_rep, rtol=1e-6, atol=1e-5)
