"""RoMA: smoothness pretraining lowers sensitivity to weight perturbations; its search adapts and
improves the designs under the model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dist_ombo.errors import ConfigError
from dist_ombo.models.robust.training import per_net_norm
from dist_ombo.models.robust.roma import RoMAConfig, RoMASearchConfig, fit_roma, roma_search
from dist_ombo.problem import OfflineProblem

LOWER, UPPER = np.zeros(4), np.ones(4)
FAST = dict(hidden=(32, 32), epochs=30, batch_size=64, lr=3e-3, input_noise=0.0)


def loss_increase_under_weight_noise(model, X, Y, eps=0.05, draws=20) -> float:
    """Mean rise of the training MSE when every weight tensor gets Gaussian noise of relative size
    ``eps``."""
    feats = model.encode(X)
    t = torch.as_tensor(model.y_normalizer.transform(Y), dtype=torch.float32)
    params = list(model.net.parameters())
    saved = [p.clone() for p in params]
    g = torch.Generator().manual_seed(0)

    def mse():
        return float((model.net(feats)[..., 0].mean(0) - t[:, 0]).square().mean())

    base, rises = mse(), []
    with torch.no_grad():
        for _ in range(draws):
            for p, s in zip(params, saved):
                n = torch.randn(p.shape, generator=g)
                p.copy_(s + eps * n * per_net_norm(s) / per_net_norm(n))
            rises.append(mse() - base)
        for p, s in zip(params, saved):
            p.copy_(s)
    return float(np.mean(rises))


def test_smoothness_term_reduces_sensitivity_to_weight_perturbations(wavy):
    X, Y = wavy
    for seed in (0, 1):
        plain = fit_roma(OfflineProblem(X, Y, LOWER, UPPER), RoMAConfig(**FAST, perturb_steps=0), seed)
        smooth = fit_roma(OfflineProblem(X, Y, LOWER, UPPER), RoMAConfig(**FAST, perturb_steps=5, perturb_size=0.05),
                          seed)
        assert loss_increase_under_weight_noise(smooth, X, Y) < 0.8 * loss_increase_under_weight_noise(plain, X, Y)


def test_roma_search_improves_designs_under_the_model(bowl):
    X, Y = bowl
    model = fit_roma(OfflineProblem(X, Y, LOWER, UPPER), RoMAConfig(**FAST), seed=0)
    cfg = RoMASearchConfig(updates=30, adapt_steps=3, sol_lr=0.03)
    P, n_evals = roma_search(model, X, Y, LOWER, UPPER, 16, cfg)
    assert P.shape == (16, 4) and n_evals == 16 * 30 * 5
    assert P.min() >= 0 and P.max() <= 1
    start = X[np.argsort(Y[:, 0])[:16]]
    assert model.predict(P)[0].mean() < model.predict(start)[0].mean()
    with pytest.raises(ConfigError, match="single-objective"):
        roma_search(model, X, np.hstack([Y, Y]), LOWER, UPPER, 4, cfg)
