"""Tests of the batched MLP, the encodings and the ensemble surrogate (tiny nets; a few seconds)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from dist_ombo.errors import ConfigError, DataError
from dist_ombo.models import BatchedMLP, EnsembleConfig, EnsembleSurrogate, MinMaxNormalizer, OneHotEncoder

LOWER, UPPER = -np.ones(3), np.ones(3)
FAST = dict(hidden=(32, 32), epochs=40, batch_size=32, lr=1e-2, lr_decay=0.95)


def two_bowls(X: np.ndarray) -> np.ndarray:
    """Two objectives in 3-D: sum(x^2) and sum((x - 0.5)^2)."""
    return np.stack([(X**2).sum(axis=1), ((X - 0.5) ** 2).sum(axis=1)], axis=1)


def r2(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    return 1 - ((pred - true) ** 2).sum(axis=0) / ((true - true.mean(axis=0)) ** 2).sum(axis=0)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(0).uniform(-1, 1, (400, 3))
    return X, two_bowls(X)


@pytest.fixture(scope="module")
def held_out() -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(1).uniform(-1, 1, (200, 3))
    return X, two_bowls(X)


@pytest.fixture(scope="module", params=["multiple", "multihead"])
def fitted(request, data) -> EnsembleSurrogate:
    X, Y = data
    return EnsembleSurrogate(EnsembleConfig(head=request.param, **FAST)).fit(X, Y, LOWER, UPPER, seed=3)


def small_fit(data, seed: int = 0, **overrides) -> EnsembleSurrogate:
    X, Y = data
    cfg = EnsembleConfig(**{**FAST, "hidden": (16, 16), "epochs": 3, **overrides})
    return EnsembleSurrogate(cfg).fit(X, Y, LOWER, UPPER, seed=seed)


# ---------------------------------------------------------------- BatchedMLP


@pytest.mark.parametrize("hidden", [(16, 16), (8,), ()])
def test_batched_forward_equals_member_sequentials(hidden):
    net = BatchedMLP(5, 3, hidden, n_nets=4, generator=torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(1)
    x_shared = torch.randn(7, 5, generator=g)
    x_per_net = torch.randn(4, 7, 5, generator=g)
    with torch.no_grad():
        out_shared, out_per_net = net(x_shared), net(x_per_net)
        assert out_shared.shape == out_per_net.shape == (4, 7, 3)
        for i in range(4):
            member = net.member(i)
            assert isinstance(member, torch.nn.Sequential)
            torch.testing.assert_close(out_shared[i], member(x_shared), atol=1e-6, rtol=0)
            torch.testing.assert_close(out_per_net[i], member(x_per_net[i]), atol=1e-6, rtol=0)


def test_batched_init_is_seeded_linear_style_and_leaves_global_rng_alone():
    before = torch.get_rng_state()
    a = BatchedMLP(10, 1, (20,), 3, generator=torch.Generator().manual_seed(5))
    b = BatchedMLP(10, 1, (20,), 3, generator=torch.Generator().manual_seed(5))
    a.member(0)
    assert torch.equal(torch.get_rng_state(), before)
    for wa, wb in zip(a.parameters(), b.parameters()):
        assert torch.equal(wa, wb)
    assert a.weights[0].abs().max() <= 1 / np.sqrt(10)  # nn.Linear's bound 1/sqrt(fan_in)
    assert a.weights[1].abs().max() <= 1 / np.sqrt(20)
    assert not torch.equal(a.weights[0][0], a.weights[0][1])  # nets differ


def test_batched_from_tensors_round_trip():
    net = BatchedMLP(4, 2, (6,), 3, generator=torch.Generator().manual_seed(0))
    copy = BatchedMLP.from_tensors([w.detach().numpy() for w in net.weights], [b.detach() for b in net.biases])
    x = torch.randn(5, 4)
    assert torch.equal(net(x), copy(x))
    with pytest.raises(ValueError):
        net(torch.randn(2, 5, 4))  # wrong number of nets


def test_batched_from_read_only_arrays_copies_without_warning():
    import warnings

    net = BatchedMLP(4, 2, (6,), 3, generator=torch.Generator().manual_seed(0))
    weights = [w.detach().numpy().copy() for w in net.weights]
    for w in weights:
        w.setflags(write=False)  # as arrays from Ray's object store are
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        copy = BatchedMLP.from_tensors(weights, [b.detach() for b in net.biases])
    x = torch.randn(5, 4)
    assert torch.equal(net(x), copy(x))


# ---------------------------------------------------------------- encodings


def test_minmax_normalizer_round_trip_and_constant_column():
    X = np.array([[0.0, 5.0, 1.0], [2.0, 5.0, 3.0], [1.0, 5.0, 2.0]])
    norm = MinMaxNormalizer.fit(X)
    Z = norm.transform(X)
    np.testing.assert_allclose(Z[:, 0], [0, 1, 0.5])
    np.testing.assert_allclose(Z[:, 1], 0.0)  # constant column: no division by zero
    np.testing.assert_allclose(norm.inverse(Z), X)
    np.testing.assert_allclose(norm.inverse_std(np.ones(3)), [2.0, 1.0, 2.0])
    t = norm.transform(torch.as_tensor(X, dtype=torch.float32))
    assert isinstance(t, torch.Tensor) and np.allclose(t.numpy(), Z)
    with pytest.raises(ValueError):
        norm.lo[0] = 1.0  # read-only statistics
    with pytest.raises(AttributeError):
        norm.lo = np.zeros(3)


def test_one_hot_encoder():
    enc = OneHotEncoder(n_categories=4, length=3)
    tokens = np.array([[0, 3, 1], [2, 2, 0]])
    F = enc.transform(tokens)
    assert F.shape == (2, 12) and F.dtype == np.float32
    np.testing.assert_array_equal(F.reshape(2, 3, 4).argmax(-1), tokens)
    np.testing.assert_array_equal(enc.inverse(F), tokens)
    with pytest.raises(ValueError):
        enc.transform(np.array([[0, 4, 1]]))


# ---------------------------------------------------------------- config


def test_config_rejects_unknown_keys_and_converts_lists():
    with pytest.raises(ConfigError, match="n_member") as info:
        EnsembleConfig.from_dict({"n_member": 3})
    assert "n_members" in str(info.value)  # the valid keys are listed
    cfg = EnsembleConfig.from_dict({"hidden": [64, 32], "head": "multihead"})
    assert cfg.hidden == (64, 32) and cfg.head == "multihead"
    assert EnsembleConfig.from_dict(cfg.to_dict()) == cfg
    for bad in ({"head": "shared"}, {"lr": -1.0}, {"hidden": [0]}, {"epochs": 1.5}, {"val_fraction": 1.0}):
        with pytest.raises(ConfigError):
            EnsembleConfig.from_dict(bad)
    with pytest.raises(AttributeError):
        cfg.lr = 0.1  # frozen


def test_reference_defaults():
    cfg = EnsembleConfig()
    assert (cfg.hidden, cfg.lr, cfg.lr_decay, cfg.epochs, cfg.batch_size) == ((2048, 2048), 1e-3, 0.98, 200, 128)


# ---------------------------------------------------------------- training


def test_training_lowers_loss_and_fits(fitted, held_out):
    first, last = fitted.history[0], fitted.history[-1]
    assert len(fitted.history) == 40
    assert last["train_loss"] < 0.1 * first["train_loss"]
    assert last["val_loss"] < 0.1 * first["val_loss"]
    X, Y = held_out
    mean, std = fitted.predict(X)
    assert mean.shape == std.shape == (200, 2)
    assert np.all(r2(mean, Y) > 0.95)
    assert np.all(std >= 0) and std.mean() > 0


@pytest.mark.parametrize("head, n_nets, out", [("multiple", 10, 1), ("multihead", 5, 2)])
def test_heads_layout(data, head, n_nets, out):
    model = small_fit(data, head=head)
    assert model.net.n_nets == n_nets
    assert [tuple(w.shape) for w in model.net.weights] == [(n_nets, 3, 16), (n_nets, 16, 16), (n_nets, 16, out)]
    assert [tuple(b.shape) for b in model.net.biases] == [(n_nets, 1, 16), (n_nets, 1, 16), (n_nets, 1, out)]
    assert model.predict(data[0][:7])[0].shape == (7, 2)


def test_max_steps_and_progress(data):
    calls = []
    model = small_fit(data, epochs=50, max_steps=25)
    assert model.history[-1]["steps"] == 25 and len(model.history) == 3  # 12 steps per epoch
    X, Y = data
    EnsembleSurrogate(EnsembleConfig(hidden=(8,), epochs=2)).fit(
        X, Y, LOWER, UPPER, progress=lambda *a: calls.append(a))
    assert [c[:2] for c in calls] == [(1, 2), (2, 2)]


def test_same_seed_identical_different_seed_differs(data, held_out):
    before = torch.get_rng_state()
    a, b, c = small_fit(data, seed=7), small_fit(data, seed=7), small_fit(data, seed=8)
    assert torch.equal(torch.get_rng_state(), before)  # no global seeding or draws
    for wa, wb in zip(a.net.parameters(), b.net.parameters()):
        assert torch.equal(wa, wb)
    X = held_out[0]
    np.testing.assert_array_equal(a.predict(X)[0], b.predict(X)[0])
    assert not np.allclose(a.predict(X)[0], c.predict(X)[0])


def test_state_round_trip(fitted, held_out):
    state = pickle.loads(pickle.dumps(fitted.state()))
    assert all(isinstance(w, np.ndarray) for w in state["weights"] + state["biases"])
    restored = EnsembleSurrogate.from_state(state)
    X = held_out[0]
    for got, want in zip(restored.predict(X), fitted.predict(X)):
        np.testing.assert_array_equal(got, want)
    assert restored.config == fitted.config and restored.history == fitted.history


def test_std_zero_when_members_share_weights(fitted, held_out):
    state = fitted.state()
    m = fitted.n_obj
    for arrays in (state["weights"], state["biases"]):
        for a in arrays:
            # every net takes member 0's weights (for "multiple", member 0's net of the same objective)
            first = a[:m] if fitted.config.head == "multiple" else a[:1]
            a[:] = np.concatenate([first] * fitted.n_members)
    clone = EnsembleSurrogate.from_state(state)
    mean, std = clone.predict(held_out[0])
    np.testing.assert_allclose(std, 0.0, atol=1e-6 * fitted.y_normalizer.scale.max())
    assert fitted.predict(held_out[0])[1].min() > 0


def test_predict_torch_matches_predict_and_is_differentiable(fitted, held_out):
    X = held_out[0][:20]
    x = fitted.encode(X).clone().requires_grad_(True)
    mean, std = fitted.predict_torch(x)
    np.testing.assert_allclose(mean.detach().numpy(), fitted.predict(X)[0], rtol=1e-5, atol=1e-5)
    (mean.sum() + std.sum()).backward()
    assert x.grad is not None and x.grad.shape == x.shape and x.grad.abs().sum() > 0
    mean_n, _ = fitted.predict_torch(x, normalized_y=True)
    torch.testing.assert_close(fitted.y_normalizer.inverse(mean_n), mean)


def test_discrete_inputs_train_and_predict():
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 4, size=(300, 6))
    Y = np.stack([(tokens == 0).sum(1), (tokens == 3).sum(1) - 0.5 * tokens[:, 0]], axis=1).astype(float)
    model = EnsembleSurrogate(EnsembleConfig(hidden=(16, 16), epochs=15, batch_size=32, lr=1e-2, n_members=3))
    model.fit(tokens, Y, np.zeros(6), np.full(6, 3), n_categories=4, seed=0)
    assert model.history[-1]["train_loss"] < 0.5 * model.history[0]["train_loss"]
    mean, std = model.predict(tokens[:50])
    assert mean.shape == std.shape == (50, 2)
    assert np.corrcoef(mean[:, 0], Y[:50, 0])[0, 1] > 0.8
    probs = model.encode(tokens[:5])
    assert probs.shape == (5, 6, 4)
    relaxed = torch.softmax(torch.randn(5, 6, 4), dim=-1).requires_grad_(True)
    mean_t, _ = model.predict_torch(relaxed)
    mean_t[:, 0].sum().backward()
    assert relaxed.grad is not None and relaxed.grad.shape == (5, 6, 4) and relaxed.grad.abs().sum() > 0
    with pytest.raises(DataError):
        model.fit(tokens.astype(float), Y, None, None, n_categories=4)


def test_bad_data_rejected():
    model = EnsembleSurrogate(EnsembleConfig(hidden=(4,), epochs=1))
    with pytest.raises(DataError):
        model.fit(np.zeros((5, 3)), np.zeros((4, 2)), LOWER, UPPER)
    with pytest.raises(DataError):
        model.fit(np.full((5, 3), np.nan), np.zeros((5, 2)), LOWER, UPPER)
    with pytest.raises(RuntimeError):
        model.predict(np.zeros((2, 3)))
