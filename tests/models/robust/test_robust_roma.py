"""RoMA: smoothness pretraining lowers sensitivity to weight perturbations; its search adapts and
improves the designs under the model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dist_ombo.errors import ConfigError
from dist_ombo.models.robust.base import prepare
from dist_ombo.models.robust.roma import RoMAConfig, RoMASearchConfig, fit_roma, perturb_weights_, roma_search
from dist_ombo.models.robust.training import adam, mse_terms, per_net_norm, train_loop
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


def fit_roma_autograd(problem: OfflineProblem, config: RoMAConfig, seed: int):
    """RoMA pretraining as first written, with autograd: the reference ``fit_roma``'s hand-written
    passes must reproduce."""
    X, Y, lower, upper, n_categories = problem.arrays()
    prep = prepare(X, Y, lower, upper, n_categories, config, seed, n_members=config.n_members)
    net = prep.new_net()
    opt = adam(net.parameters(), config)
    params = list(net.parameters())
    noise = config.input_noise * prep.space.scale(prep.x_tr)

    def step(idx):
        xb, yb = prep.x_tr[idx], prep.targets(idx)
        xb = xb + noise * torch.randn(xb.shape, generator=prep.generators[2])
        saved = [p.detach().clone() for p in params]
        norms = [per_net_norm(p) for p in saved]
        clean = None
        for _ in range(config.perturb_steps):
            loss = mse_terms(net(xb), yb)
            clean = loss.detach() if clean is None else clean
            grads = torch.autograd.grad(loss.sum(), params)
            perturb_weights_(params, grads, norms, config.perturb_size / config.perturb_steps)
        loss = mse_terms(net(xb), yb)
        clean = loss.detach() if clean is None else clean
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        with torch.no_grad():
            for p, s in zip(params, saved):
                p.grad.clamp_(-config.grad_clip, config.grad_clip)
                p.copy_(s)
        opt.step()
        return clean.sum(), {"perturbed_loss": loss.detach().mean()}

    history = train_loop(prep, config, net, opt, step, None)
    return prep.finish(net, history)


@pytest.mark.parametrize("perturb_steps", [0, 3])
def test_hand_written_passes_train_the_autograd_weights_bit_for_bit(two_tasks, perturb_steps):
    X, Y = two_tasks
    cfg = RoMAConfig(hidden=(32, 32), epochs=2, batch_size=64, lr=3e-3, input_noise=0.2, perturb_steps=perturb_steps,
                     perturb_size=0.05)
    ref = fit_roma_autograd(OfflineProblem(X, Y, LOWER, UPPER), cfg, seed=0)
    got = fit_roma(OfflineProblem(X, Y, LOWER, UPPER), cfg, seed=0)
    assert got.net.n_nets == 2
    for p_ref, p in zip(ref.net.parameters(), got.net.parameters()):
        assert torch.equal(p_ref, p)
    assert [h["train_loss"] for h in got.history] == [h["train_loss"] for h in ref.history]
    np.testing.assert_allclose([h["perturbed_loss"] for h in got.history],
                               [h["perturbed_loss"] for h in ref.history], rtol=1e-6)
