"""COMs: its conservative term makes the model less optimistic at its own adversarial designs."""

from __future__ import annotations

import math

import numpy as np
import torch

from dist_ombo.models import EnsembleConfig, EnsembleSurrogate
from dist_ombo.models.relaxed_space import RelaxedDesignSpace
from dist_ombo.models.robust.coms import COMsConfig, descend_particles, fit_coms
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
