"""Properties of the generators themselves: fitted samples match the data, guidance moves samples
toward better predicted values, samples respect bounds and tokens, same seed same model, and the
numpy state round trip."""

import dataclasses

import numpy as np
import pytest
import torch

from dist_ombo.generative.common import DesignCodec, ddom_weights, goodness, simplex_weights
from dist_ombo.generative.diffusion import DDOMConfig, DDOMGenerator, fit_ddom
from dist_ombo.generative.flow import FlowConfig, FlowGenerator, ParetoFlowSampling, fit_flow, init_archive
from dist_ombo.generative.search import surrogate_scores
from dist_ombo.generative.vae import (
    CbASConfig,
    CbASRefit,
    CVAEConfig,
    VAEGenerator,
    cbas_from_state,
    cbas_refit,
    cvae_from_state,
    fit_cbas,
    fit_cvae,
)
from dist_ombo.problem import OfflineProblem

from .conftest import LOWER, UPPER

STEPS = 400
FITS = {
    "cbas": (fit_cbas, cbas_from_state, CbASConfig(hidden=(32, 32), latent=3, max_steps=STEPS, batch_size=64)),
    "cvae": (fit_cvae, cvae_from_state, CVAEConfig(hidden=(32, 32), latent=3, max_steps=STEPS, batch_size=64)),
    "ddom": (fit_ddom, DDOMGenerator.from_state, DDOMConfig(hidden=(64, 64), max_steps=STEPS, batch_size=64)),
    "paretoflow": (fit_flow, FlowGenerator.from_state, FlowConfig(hidden=(64, 64), max_steps=STEPS, batch_size=64)),
}


def fit(name, X, Y, lower=LOWER, upper=UPPER, n_categories=None, seed=0, **changes):
    fit_fn, _, cfg = FITS[name]
    return fit_fn(OfflineProblem(X, Y, lower, upper, n_categories), dataclasses.replace(cfg, **changes), seed)


def unguided(name, model, n, seed=1):
    """Samples of the model of the data itself: no guidance, no target (the conditional VAE at the
    data's own objectives, i.e. p(x) = E_y p(x | y))."""
    g = torch.Generator().manual_seed(seed)
    if name == "cvae":
        return model.sample(n, g, model.y_normalizer.transform(model_y(model, n)).astype(np.float32))
    if name == "ddom":
        return model.sample(n, g, None, guidance=0.0, steps=30)
    if name == "paretoflow":
        return model.codec.decode(model.sample_features(n, g, steps=30))
    return model.sample(n, g)


def model_y(model, n):
    lo, hi = model.y_normalizer.lo, model.y_normalizer.hi
    return lo + np.random.default_rng(5).random((n, len(lo))) * (hi - lo)


@pytest.fixture(scope="module")
def fitted(box_data):
    X, Y = box_data
    return {name: fit(name, X, Y) for name in FITS}


def moment_gap(S, X):
    a, b = (S - LOWER) / (UPPER - LOWER), (X - LOWER) / (UPPER - LOWER)
    return np.abs(a.mean(0) - b.mean(0)).sum() + np.abs(np.cov(a.T) - np.cov(b.T)).sum()


@pytest.mark.parametrize("name", list(FITS))
def test_trained_samples_match_data_moments_better_than_untrained(name, box_data, fitted):
    X, Y = box_data
    untrained = fit(name, X, Y, max_steps=1)
    if name == "cvae":  # condition both on the data's own objectives
        g = torch.Generator().manual_seed(1)
        cond = fitted[name].y_normalizer.transform(Y[:1000]).astype(np.float32)
        trained_s = fitted[name].sample(1000, g, cond)
        untrained_s = untrained.sample(1000, torch.Generator().manual_seed(1), cond)
    else:
        trained_s, untrained_s = unguided(name, fitted[name], 1000), unguided(name, untrained, 1000)
    assert moment_gap(trained_s, X) < 0.8 * moment_gap(untrained_s, X)


def test_ddom_guidance_moves_toward_better_predictions(fitted, box_surrogate):
    model = fitted["ddom"]
    g = torch.Generator().manual_seed(2)
    best = np.zeros((500, 2), np.float32)  # the normalized ideal: both objectives at the data's best
    guided = model.sample(500, g, best, guidance=2.0, steps=30)
    plain = unguided("ddom", model, 500)
    assert box_surrogate.predict(guided)[0].sum(1).mean() < box_surrogate.predict(plain)[0].sum(1).mean()


def test_cvae_condition_moves_samples(fitted, box_surrogate):
    model = fitted["cvae"]
    good = model.sample(500, torch.Generator().manual_seed(3), np.full((500, 2), [0.0, 0.5], np.float32))
    bad = model.sample(500, torch.Generator().manual_seed(3), np.full((500, 2), [1.0, 0.5], np.float32))
    assert box_surrogate.predict(good)[0][:, 0].mean() < box_surrogate.predict(bad)[0][:, 0].mean()


class FirstObjective:
    """A surrogate of the first objective only (a one-objective view of the two-objective one)."""

    def __init__(self, surrogate):
        self.surrogate = surrogate

    def predict(self, X):
        mean, std = self.surrogate.predict(X)
        return mean[:, :1], std[:, :1]


def test_cbas_refit_moves_toward_better_predictions(fitted, box_data, box_surrogate):
    Y = box_data[1]
    prior, surrogate = fitted["cbas"], FirstObjective(box_surrogate)
    settings = CbASRefit(iterations=4, samples=300, epochs=2, batch_size=50)
    prior_weights = {k: v.copy() for k, v in prior.state()["weights"].items()}
    q, n_evals = cbas_refit(prior, surrogate, Y[:, :1], settings, torch.Generator().manual_seed(4))
    assert n_evals == 4 * 300
    before = surrogate.predict(prior.sample(800, torch.Generator().manual_seed(5)))[0].mean()
    after = surrogate.predict(q.sample(800, torch.Generator().manual_seed(5)))[0].mean()
    assert after < before
    for k, v in prior.state()["weights"].items():  # the prior itself is untouched (q is a refit copy)
        np.testing.assert_array_equal(v, prior_weights[k])


def test_paretoflow_guidance_moves_toward_better_predictions(fitted, box_data, box_surrogate):
    Y = box_data[1]
    flow = fitted["paretoflow"]
    W = simplex_weights(2, 40)
    empty = torch.zeros((len(W), flow.codec.dim))
    settings = ParetoFlowSampling(steps=30, guidance=2.0)
    F, n_evals = flow.paretoflow_sample(surrogate_scores(flow, box_surrogate, Y), W, empty,
                                        np.full(len(W), -np.inf), settings, torch.Generator().manual_seed(6))
    guided = flow.codec.decode(F)
    plain = unguided("paretoflow", flow, len(W))
    assert n_evals > 0
    assert box_surrogate.predict(guided)[0].sum(1).mean() < box_surrogate.predict(plain)[0].sum(1).mean()
    # weight vectors pull apart: the set spreads along the trade-off more than unguided samples
    assert np.ptp(box_surrogate.predict(guided)[0][:, 0]) > 0


def test_paretoflow_archive_starts_from_the_data_best(fitted, box_data):
    X, Y = box_data
    W = simplex_weights(2, 30)
    Z, scores = init_archive(fitted["paretoflow"], X, Y, W)
    assert Z.shape == (len(W), 3) and np.all(np.isfinite(scores))
    designs = fitted["paretoflow"].codec.decode(fitted["paretoflow"].scaler.inverse(Z))
    assert len(np.unique(designs.round(9), axis=0)) == len(W)  # distinct data designs


@pytest.mark.parametrize("name", list(FITS))
def test_samples_respect_bounds(name, fitted):
    S = unguided(name, fitted[name], 500)
    assert S.shape == (500, 3) and S.dtype == np.float64
    assert np.all(S >= LOWER) and np.all(S <= UPPER)


@pytest.mark.parametrize("name", list(FITS))
def test_discrete_samples_are_tokens_in_range(name, token_data):
    X, Y = token_data
    model = fit(name, X, Y, lower=np.zeros(6), upper=np.full(6, 3.0), n_categories=4, max_steps=30)
    S = unguided(name, model, 200)
    assert S.shape == (200, 6) and S.dtype == np.int64
    assert S.min() >= 0 and S.max() <= 3


@pytest.mark.parametrize("name", list(FITS))
def test_same_seed_same_model_and_samples(name, box_data):
    X, Y = box_data
    a, b, c = (fit(name, X[:300], Y[:300], seed=s, max_steps=20) for s in (7, 7, 8))
    for k, v in a.state()["weights"].items():
        np.testing.assert_array_equal(v, b.state()["weights"][k])
    assert any(not np.array_equal(v, c.state()["weights"][k]) for k, v in a.state()["weights"].items())
    np.testing.assert_array_equal(unguided(name, a, 50), unguided(name, b, 50))


@pytest.mark.parametrize("name", list(FITS))
def test_state_round_trip(name, box_data):
    import pickle

    X, Y = box_data
    model = fit(name, X[:300], Y[:300], max_steps=20)
    state = pickle.loads(pickle.dumps(model.state()))
    assert all(isinstance(v, np.ndarray) for v in state["weights"].values())
    restored = FITS[name][1](state)
    assert type(restored) is type(model) and restored.config == model.config
    np.testing.assert_array_equal(unguided(name, restored, 50), unguided(name, model, 50))


def test_codec_round_trip_and_clipping():
    codec = DesignCodec.build(np.array([[0.0, 1.0, 2.5], [1.0, 3.0, 2.0]]), LOWER, UPPER, None)
    X = np.array([[0.5, 2.0, 2.2]])
    np.testing.assert_allclose(codec.decode(codec.encode(X)), X, atol=1e-6)
    np.testing.assert_allclose(codec.decode(np.array([[-3.0, 9.0, 0.5]])), [[-1.0, 4.0, 2.5]])
    tokens = DesignCodec.build(np.array([[0, 1], [2, 0]]), np.zeros(2), np.full(2, 2.0), 3)
    np.testing.assert_array_equal(tokens.decode(tokens.encode(np.array([[2, 1]]))), [[2, 1]])


def test_ddom_weights_favour_better_designs():
    score = np.linspace(0, 1, 1000)
    w = ddom_weights(score)
    assert w.max() <= 5.0 and w.min() >= 0.0
    assert w[-100:].mean() > w[:100].mean()
    Y = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    np.testing.assert_allclose(goodness(Y), [1.0, 1.0, 0.5, 0.0])


def test_unknown_or_bad_config_is_rejected():
    from dist_ombo.errors import ConfigError
    from dist_ombo.catalog import get_scheme

    with pytest.raises(ConfigError, match="valid keys"):
        get_scheme("ddom").make_config({}, {"hiden": (8,)})
    with pytest.raises(ConfigError, match="beta_max"):
        DDOMConfig(beta_min=1.0, beta_max=0.5)
    cfg = get_scheme("paretoflow").make_config({"hidden": [16, 16], "epochs": 3, "n_members": 9}, {})
    assert cfg.hidden == (16, 16) and cfg.epochs == 3  # budget keys it lacks are ignored
    assert isinstance(VAEGenerator(CbASConfig(), False), VAEGenerator)
