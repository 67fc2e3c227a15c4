"""GradNorm and PcGrad: the defining property of each, on the per-objective gradients they act on."""

from __future__ import annotations

import numpy as np
import torch

from dist_ombo.models.robust.multitask import (
    GradNormConfig, PcGradConfig, fit_gradnorm, fit_pcgrad, gradnorm_targets, project_conflicting,
)
from dist_ombo.problem import OfflineProblem

LOWER, UPPER = np.zeros(4), np.ones(4)
FAST = dict(hidden=(32, 32), epochs=20, batch_size=64, lr=1e-3, n_members=2)


def test_pcgrad_projected_gradients_do_not_conflict():
    g = torch.Generator().manual_seed(0)
    grads = torch.randn(2, 64, 50, generator=g)  # 2 objectives, 64 nets, 50 shared parameters
    dots = (grads[0] * grads[1]).sum(-1)
    assert (dots < 0).any() and (dots > 0).any()
    out = project_conflicting(grads, [[1], [0]])
    for i, j in ((0, 1), (1, 0)):
        assert torch.all((out[i] * grads[j]).sum(-1) >= -1e-4)  # against the other's gradient
    assert torch.all((out[0] * out[1]).sum(-1) >= -1e-4)  # and against each other
    merged = out.sum(0)
    for j in range(2):  # the update descends (does not ascend) every objective
        assert torch.all((merged * grads[j]).sum(-1) >= -1e-4)
    agree = dots >= 0
    assert torch.equal(out[:, agree], grads[:, agree])  # no conflict: left alone


def test_pcgrad_trains_a_multihead_ensemble(two_tasks):
    X, Y = two_tasks
    model = fit_pcgrad(OfflineProblem(X, Y, LOWER, UPPER), PcGradConfig(**FAST), seed=0)
    assert model.config.head == "multihead" and model.net.out_features == 2
    h = model.history
    assert 0 <= h[-1]["conflict_rate"] <= 1 and h[-1]["train_loss"] < h[0]["train_loss"]
    mean, std = model.predict(X[:5])
    assert mean.shape == std.shape == (5, 2)


def test_gradnorm_targets_follow_relative_training_rates():
    G = torch.tensor([[1.0, 3.0]])
    losses, initial = torch.tensor([[0.5, 0.5]]), torch.tensor([[0.25, 1.0]])  # task 0 trains slower
    t = gradnorm_targets(G, losses, initial, alpha=1.0)
    assert t[0, 0] > t[0, 1]  # the slower task is given the larger gradient norm
    assert torch.allclose(gradnorm_targets(G, losses, initial, alpha=0.0), torch.full((1, 2), 2.0))


def test_gradnorm_balances_per_task_gradient_norms(two_tasks):
    """With alpha = 0 GradNorm's target is equal weighted gradient norms on the last shared layer:
    the norms stay closer together than with fixed equal weights (plain multi-head training)."""
    X, Y = two_tasks

    def imbalance(weight_lr):
        model = fit_gradnorm(OfflineProblem(X, Y, LOWER, UPPER),
                             GradNormConfig(**FAST, alpha=0.0, weight_lr=weight_lr), 0)
        h = model.history[5:]
        return np.mean([abs(np.log(e["grad_norm_0"] / e["grad_norm_1"])) for e in h]), model.history

    plain, _ = imbalance(1e-12)
    balanced, history = imbalance(0.05)
    assert balanced < 0.8 * plain
    w = [history[-1]["loss_weight_0"], history[-1]["loss_weight_1"]]
    assert abs(sum(w) - 2.0) < 1e-4 and abs(w[0] - 1.0) > 0.05  # renormalized, and moved
