"""End-to-end schemes (one net, m outputs): each trains, GradNorm's weights move and stay a positive
split of m, PcGrad removes conflicts across the whole net, and the methods run through Ray actors
exactly as they run locally."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dist_ombo.catalog import METHODS, get_method, method_names
from dist_ombo.models.robust.base import prepare
from dist_ombo.models.robust.e2e import (
    E2EConfig, E2EGradNormConfig, E2EPcGradConfig, fit_e2e, fit_e2e_gradnorm, fit_e2e_pcgrad,
)
from dist_ombo.models.robust.multitask import project_conflicting
from dist_ombo.pipeline import resolve_configs
from dist_ombo.problem import OfflineProblem
from dist_ombo.runner import TrialConfig, run_trial

LOWER, UPPER = np.zeros(4), np.ones(4)
FAST = dict(hidden=(32, 32), epochs=20, batch_size=64)
E2E_METHODS = ["e2e-nsga2", "e2e-gradnorm-nsga2", "e2e-pcgrad-nsga2"]


@pytest.fixture(scope="module")
def three_tasks(two_tasks):
    """Three objectives of different difficulty (two_tasks plus a quadratic bowl)."""
    X, Y = two_tasks
    return X, np.hstack([Y, ((X - 0.5) ** 2).sum(axis=1, keepdims=True)])


@pytest.fixture(scope="module")
def conflicting():
    """Two objectives pulling the same feature opposite ways (their gradients conflict)."""
    X = np.random.default_rng(1).uniform(0.0, 1.0, (400, 4))
    return X, np.stack([X[:, 0] + 0.3 * X[:, 1] ** 2, 1.0 - X[:, 0] + 0.3 * np.sin(6 * X[:, 2])], axis=1)


@pytest.mark.parametrize("fit,config", [(fit_e2e, E2EConfig), (fit_e2e_gradnorm, E2EGradNormConfig),
                                        (fit_e2e_pcgrad, E2EPcGradConfig)], ids=["plain", "gradnorm", "pcgrad"])
def test_one_net_with_m_outputs_trains(fit, config, three_tasks):
    X, Y = three_tasks
    model = fit(OfflineProblem(X, Y, LOWER, UPPER), config(**FAST), seed=0)
    assert model.config.head == "multihead" and model.config.n_members == 1
    assert model.net.weights[0].shape[0] == 1 and model.net.out_features == 3  # one net, 3 outputs
    h = model.history
    assert h[-1]["train_loss"] < 0.5 * h[0]["train_loss"] and h[-1]["val_loss"] < h[0]["val_loss"]
    mean, std = model.predict(X[:5])
    assert mean.shape == (5, 3) and np.all(std == 0)  # one net: no ensemble spread
    again = fit(OfflineProblem(X, Y, LOWER, UPPER), config(**FAST), seed=0)
    np.testing.assert_array_equal(again.predict(X[:5])[0], mean)  # same seed, same model


def test_gradnorm_weights_move_and_stay_a_positive_split_of_m(three_tasks):
    X, Y = three_tasks
    model = fit_e2e_gradnorm(OfflineProblem(X, Y, LOWER, UPPER), E2EGradNormConfig(**FAST, weight_lr=0.01), 0)
    w = np.array([[e[f"loss_weight_{i}"] for i in range(3)] for e in model.history])  # (epochs, m)
    assert np.all(w > 0) and np.allclose(w.sum(axis=1), 3.0, atol=1e-4)
    assert np.abs(w[-1] - 1.0).max() > 0.05  # moved away from equal weights
    assert np.abs(w[-1] - w[len(w) // 2]).max() > 1e-3  # and still moving late in training


def test_gradnorm_balances_output_layer_gradient_norms(two_tasks):
    """alpha = 0 targets equal weighted gradient norms on the output layer: per step, the larger
    over the smaller stays closer to 1 than with the weights held at 1 (plain end-to-end training).
    An output column's gradient is proportional to its task's residual, so raising a weight soon
    shrinks that task's norm: a large weight lr (0.05) overshoots, the test uses 0.005."""
    X, Y = two_tasks

    def imbalance(weight_lr):
        cfg = E2EGradNormConfig(**FAST, alpha=0.0, weight_lr=weight_lr)
        h = fit_e2e_gradnorm(OfflineProblem(X, Y, LOWER, UPPER), cfg, 0).history[5:]
        return np.mean([e["grad_norm_ratio"] for e in h])

    assert imbalance(0.005) < 0.9 * imbalance(1e-12)


def test_pcgrad_projects_every_parameter_of_the_net(conflicting):
    """On one net every parameter is shared: the per-objective gradients of all of them conflict,
    and after projection no objective's gradient has a negative inner product with another's."""
    X, Y = conflicting
    cfg = E2EPcGradConfig(**FAST)
    prep = prepare(X, Y, LOWER, UPPER, None, cfg, 0, head="multihead", n_members=1)
    net = prep.new_net()
    params = [*net.weights, *net.biases]
    losses = (net(prep.x_tr) - prep.t_tr).square().mean(dim=1)  # (1, 2)
    G = torch.stack([torch.cat([g.flatten(1) for g in torch.autograd.grad(losses[:, i].sum(), params,
                                                                          retain_graph=True)], dim=1)
                     for i in range(2)])  # (2 objectives, 1 net, all parameters)
    assert float((G[0] * G[1]).sum()) < 0  # they conflict
    out = project_conflicting(G, [[1], [0]])
    for i, j in ((0, 1), (1, 0)):
        assert float((out[i] * G[j]).sum()) >= -1e-5 * float(G[j].norm() ** 2)
    model = fit_e2e_pcgrad(OfflineProblem(X, Y, LOWER, UPPER), cfg, 0)
    h = model.history
    assert h[0]["conflict_rate"] > 0 and h[-1]["train_loss"] < h[0]["train_loss"]


def test_catalog_lists_the_e2e_methods_after_the_others():
    assert method_names()[-3:] == E2E_METHODS
    for name, scheme in zip(E2E_METHODS, ["e2e", "e2e-gradnorm", "e2e-pcgrad"]):
        spec = get_method(name)
        assert spec.scheme == scheme and spec.search == "nsga2" and spec.objectives == ("moo",)
    fraction = {name: resolve_configs(METHODS[name], "cpu").model.data_fraction for name in E2E_METHODS}
    assert fraction == {"e2e-nsga2": 1.0, "e2e-gradnorm-nsga2": 0.2, "e2e-pcgrad-nsga2": 0.2}
    assert resolve_configs(METHODS["e2e-nsga2"], "reference").model.hidden == (2048, 2048)
    smoke = resolve_configs(METHODS["e2e-gradnorm-nsga2"], "smoke").model
    assert smoke.hidden == (32, 32) and smoke.alpha == 0.12 and not hasattr(smoke, "n_members")


@pytest.mark.parametrize("method", E2E_METHODS)
def test_trial_through_ray_actors_matches_local(method, ray_session):
    from dist_ombo.distributed.actors import ray_trainer

    cfg = TrialConfig(task="zdt1", method=method, seed=0, budget="smoke", task_params={"n_total": 400})
    remote = run_trial(cfg, trainer=ray_trainer(train_actors=1, cpus_per_actor=1))
    local = run_trial(cfg)
    assert remote.metrics["n_proposals"] > 0 and remote.metrics["hv"] > 0
    np.testing.assert_array_equal(remote.proposals.to_numpy(), local.proposals.to_numpy())
