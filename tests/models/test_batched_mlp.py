"""Tests of the hand-written training step and the no-autograd inference of ``BatchedMLP``."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from dist_ombo.models import BatchedMLP, EnsembleConfig, EnsembleSurrogate
from dist_ombo.models import ensemble as ensemble_module
from dist_ombo.models.batched_mlp import MSEStep


class AutogradStep:
    """The step ``MSEStep`` replaces: autograd forward/backward, then the optimizer."""

    def __init__(self, net: BatchedMLP, optimizer: torch.optim.Optimizer) -> None:
        self.net, self.optimizer = net, optimizer

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        loss = (self.net(x) - y).square().mean(dim=1).sum()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.detach()


def make_net(hidden, n_nets=3, d=5, out=1, seed=0) -> BatchedMLP:
    return BatchedMLP(d, out, hidden, n_nets, generator=torch.Generator().manual_seed(seed))


def batches(n_nets, d, out, rows_list, seed=1):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(n_nets, r, d, generator=g), torch.randn(n_nets, r, out, generator=g)) for r in rows_list]


def train(step_cls, hidden, out=1, weight_decay=0.0, fused=True, rows_list=(16, 16, 7, 16)):
    net = make_net(hidden, out=out)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2, weight_decay=weight_decay, fused=fused)
    step = step_cls(net, opt)
    losses = [step(x, y) for x, y in batches(net.n_nets, net.in_features, out, rows_list)]
    return net, losses


# ---------------------------------------------------------------- MSEStep


@pytest.mark.parametrize("hidden,out,weight_decay,fused", [
    ((16, 16), 1, 0.0, True),
    ((8,), 2, 1e-3, True),  # multihead-like output, weight decay
    ((), 1, 0.0, True),  # a single linear layer
    ((16, 16), 1, 0.0, False),  # the unfused Adam too
])
def test_mse_step_matches_the_autograd_step_bit_for_bit(hidden, out, weight_decay, fused):
    """Same weights and losses as autograd + the same optimizer, a short last batch included."""
    net_a, loss_a = train(AutogradStep, hidden, out, weight_decay, fused)
    net_m, loss_m = train(MSEStep, hidden, out, weight_decay, fused)
    for p_a, p_m in zip(net_a.parameters(), net_m.parameters()):
        assert torch.equal(p_a, p_m)
    for la, lm in zip(loss_a, loss_m):
        assert torch.equal(la, lm)
    assert not any(torch.equal(p, q) for p, q in zip(net_m.parameters(), make_net(hidden, out=out).parameters()))


def test_mse_step_lowers_the_loss():
    net = make_net((32, 32), n_nets=2, d=3)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2, fused=True)
    step = MSEStep(net, opt)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 64, 3, generator=g)
    y = (x**2).sum(dim=-1, keepdim=True)
    first = float(step(x, y))
    for _ in range(200):
        last = float(step(x, y))
    assert last < 0.05 * first


def test_mse_step_survives_zero_grad_set_to_none():
    net_a, _ = train(MSEStep, (8, 8), rows_list=(16, 16))
    net = make_net((8, 8))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2, fused=True)
    step = MSEStep(net, opt)
    for x, y in batches(net.n_nets, net.in_features, 1, (16, 16)):
        opt.zero_grad(set_to_none=True)  # a caller's habit must not detach the gradient buffers
        step(x, y)
    for p_a, p in zip(net_a.parameters(), net.parameters()):
        assert torch.equal(p_a, p)


def test_mse_step_rejects_wrong_shapes():
    net = make_net((8,), n_nets=3, d=5)
    step = MSEStep(net, torch.optim.Adam(net.parameters()))
    with pytest.raises(ValueError, match=r"MSEStep needs x \(3, B, 5\)"):
        step(torch.zeros(2, 4, 5), torch.zeros(2, 4, 1))
    with pytest.raises(ValueError, match="got"):
        step(torch.zeros(3, 4, 5), torch.zeros(3, 5, 1))


def test_ensemble_fit_equals_the_autograd_fit(monkeypatch):
    """End to end: ``EnsembleSurrogate.fit`` gives the weights and history the autograd step gave
    (several epochs, a short last batch, both heads), so committed results keep their numbers."""
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(230, 4))
    Y = np.stack([X.sum(1), (X**2).sum(1)], axis=1)
    for head in ("multiple", "multihead"):
        cfg = EnsembleConfig(n_members=2, hidden=(16, 16), epochs=3, batch_size=64, head=head)
        shipped = EnsembleSurrogate(cfg).fit(X, Y, np.zeros(4), np.ones(4), seed=5)
        monkeypatch.setattr(ensemble_module, "MSEStep", AutogradStep)
        before = EnsembleSurrogate(cfg).fit(X, Y, np.zeros(4), np.ones(4), seed=5)
        monkeypatch.undo()
        for a, b in zip(shipped.state()["weights"] + shipped.state()["biases"],
                        before.state()["weights"] + before.state()["biases"]):
            np.testing.assert_array_equal(a, b)
        assert shipped.history == before.history


# ---------------------------------------------------------------- infer


@pytest.mark.parametrize("hidden", [(512, 512), (8,), ()])
@pytest.mark.parametrize("n", [0, 1, 37, 700])  # 700 rows: three chunks at width 512
def test_infer_equals_forward(hidden, n):
    net = make_net(hidden, n_nets=2, d=6, out=2)
    x = torch.rand(n, 6, generator=torch.Generator().manual_seed(n))
    with torch.no_grad():
        ref = net(x)
    got = net.infer(x)
    assert got.shape == ref.shape == (net.n_nets, n, 2)
    torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-6)
    assert not got.requires_grad


@pytest.mark.parametrize("out", [1, 2])
def test_infer_equals_forward_at_search_sizes(out):
    """The layouts a search uses (one output per net, many nets, a 30-dimensional design);
    uneven row counts are split into equal chunks."""
    net = BatchedMLP(30, out, (256, 256), 10, generator=torch.Generator().manual_seed(3))
    x = torch.rand(1025, 30, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        torch.testing.assert_close(net.infer(x), net(x), rtol=1e-5, atol=1e-6)


def test_infer_follows_weight_changes():
    """The cached transposed weights are rebuilt after an in-place change and a move."""
    net = make_net((8, 8)).requires_grad_(False)
    x = torch.rand(5, 5)
    first = net.infer(x)
    with torch.no_grad():
        net.weights[1].mul_(2.0)
        net.biases[2].add_(1.0)
    torch.testing.assert_close(net.infer(x), net(x))
    assert not torch.allclose(net.infer(x), first)
    net64 = net.to(torch.float64)
    torch.testing.assert_close(net64.infer(x.double()), net64(x.double()))


def test_infer_rejects_per_net_inputs_and_pickles_without_its_cache():
    net = make_net((8,), n_nets=3, d=5)
    with pytest.raises(ValueError, match=r"expected input \(n, 5\)"):
        net.infer(torch.zeros(3, 4, 5))
    x = torch.rand(4, 5)
    out = net.infer(x)
    blob = pickle.dumps(net)
    assert b"_inference_cache" not in blob
    torch.testing.assert_close(pickle.loads(blob).infer(x), out)


def test_predict_matches_the_batched_forward():
    """``predict`` (through ``infer``) agrees with the differentiable path."""
    rng = np.random.default_rng(1)
    X = rng.uniform(size=(300, 3))
    Y = np.stack([X.sum(1), (X**2).sum(1)], axis=1)
    model = EnsembleSurrogate(EnsembleConfig(n_members=3, hidden=(16, 16), epochs=2)).fit(
        X, Y, np.zeros(3), np.ones(3), seed=0)
    Xq = rng.uniform(size=(50, 3))
    mean, std = model.predict(Xq)
    mean_t, std_t = model.predict_torch(model.encode(Xq))
    np.testing.assert_allclose(mean, mean_t.detach().double().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(std, std_t.detach().double().numpy(), rtol=1e-4, atol=1e-6)
    empty_mean, empty_std = model.predict(np.zeros((0, 3)))
    assert empty_mean.shape == empty_std.shape == (0, 2)
