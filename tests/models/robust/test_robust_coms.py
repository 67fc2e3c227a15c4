"""COMs: its conservative term makes the model less optimistic at its own adversarial designs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dist_ombo.models import EnsembleConfig, EnsembleSurrogate
from dist_ombo.models.batched_mlp import BatchedMLP
from dist_ombo.models.relaxed_space import RelaxedDesignSpace
from dist_ombo.models.robust.coms import COMsConfig, descend_particles, fit_coms
from dist_ombo.models.robust.training import InputGradient
from dist_ombo.problem import OfflineProblem

LOWER, UPPER = np.zeros(4), np.ones(4)
FAST = dict(hidden=(32, 32), epochs=30, batch_size=64, lr=3e-3)


def optimism(model, X) -> float:
    """Mean prediction on the data minus at 50 steps of gradient descent from it (normalized y,
    minimized: how much better the model believes its own search result is)."""
    feats = model.encode(X)
    space = RelaxedDesignSpace(feats.shape[1])
    z = descend_particles(model.net, space, feats.unsqueeze(0).expand(model.net.n_nets, -1, -1), 50,
                          0.05 * math.sqrt(feats.shape[1]) * space.scale(feats))
    with torch.no_grad():
        return float(model.net(feats).mean() - model.net(z).mean())


def test_coms_is_less_optimistic_at_its_adversarial_designs(bowl):
    X, Y = bowl
    for seed in (0, 1):
        plain = EnsembleSurrogate(EnsembleConfig(n_members=1, **FAST)).fit(X, Y, LOWER, UPPER, seed=seed)
        coms = fit_coms(OfflineProblem(X, Y, LOWER, UPPER), COMsConfig(**FAST, particle_steps=20), seed)
        assert optimism(coms, X) < 0.85 * optimism(plain, X)


def test_coms_tunes_its_multiplier_and_records_the_gap(bowl):
    X, Y = bowl
    cfg = COMsConfig(**{**FAST, "epochs": 5}, particle_steps=5, n_members=2)
    model = fit_coms(OfflineProblem(X, Y, LOWER, UPPER), cfg, seed=0)
    h = model.history
    assert model.net.n_nets == 2 and all(np.isfinite(e["overestimation"]) for e in h)
    assert h[-1]["alpha"] != cfg.alpha  # dual descent moved it


def _autograd_descent(net, space, z0, steps, step_size):
    """The particle descent as autograd runs it (the code before ``InputGradient``)."""
    z = z0.detach().clone()
    for _ in range(steps):
        z.requires_grad_(True)
        grad, = torch.autograd.grad(net(space.features(z)).sum(), z)
        z = (z - step_size * grad).detach()
        space.project_(z)
    return z


@pytest.mark.parametrize("hidden, n_categories", [((32, 32), None), ((16,), None), ((16, 8, 8), 4)])
def test_particle_descent_equals_autograd_bit_for_bit(hidden, n_categories):
    g = torch.Generator().manual_seed(0)
    n_nets, rows, d = 3, 9, 12
    net = BatchedMLP(d, 1, hidden, n_nets, generator=g)  # weights require grad, as in training
    space = RelaxedDesignSpace(d, n_categories)
    if n_categories is None:
        z0 = torch.rand(n_nets, rows, d, generator=g)
    else:
        tokens = torch.randint(0, n_categories, (n_nets, rows, d // n_categories), generator=g)
        z0 = space.to_z(torch.nn.functional.one_hot(tokens, n_categories).reshape(n_nets, rows, d).float())
    x = space.features(z0)
    x_leaf = x.clone().requires_grad_(True)
    expected, = torch.autograd.grad(net(x_leaf).sum(), x_leaf)
    assert torch.equal(InputGradient(net)(x), expected)
    a = _autograd_descent(net, space, z0, 20, 0.05)
    b = descend_particles(net, space, z0, 20, 0.05)
    assert torch.equal(a, b) and not torch.equal(a, z0)
    assert all(p.grad is None for p in net.parameters())


def test_input_gradient_needs_one_output():
    with pytest.raises(ValueError, match="one output"):
        InputGradient(BatchedMLP(3, 2, (8,), 2))
