"""The model-free GA: no model, offspring of the best data designs, in bounds, new."""

from __future__ import annotations

import numpy as np

from dist_ombo.runner import TrialConfig, run_trial
from dist_ombo.search.model_free import ModelFreeConfig, binary_tournament, model_free_ga, rank_and_crowding


def test_never_builds_a_model(monkeypatch):
    from dist_ombo import pipeline
    from dist_ombo.models import ensemble

    def boom(*args, **kwargs):
        raise AssertionError("the model-free GA must not train or load a model")

    monkeypatch.setattr(pipeline, "get_scheme", boom)
    monkeypatch.setattr(ensemble.EnsembleSurrogate, "fit", boom)
    monkeypatch.setattr(ensemble.EnsembleSurrogate, "predict", boom)
    result = run_trial(TrialConfig(task="zdt1", method="model-free-ga", budget="smoke", task_params={"n_total": 400}))
    assert result.metrics["surrogate_evals"] == 0 and result.metrics["n_proposals"] == 256
    assert result.proposals["pred_f0"].isna().all()
    X = result.proposals[[f"x{i}" for i in range(30)]].to_numpy()
    assert X.min() >= 0 and X.max() <= 1


def test_offspring_are_new_distinct_and_in_bounds():
    rng = np.random.default_rng(0)
    lo, hi = np.array([-1.0, 0.0, 2.0]), np.array([1.0, 4.0, 3.0])
    X = lo + rng.random((200, 3)) * (hi - lo)
    Y = np.stack([X[:, 0], -X[:, 1]], axis=1)
    P, n = model_free_ga(X, Y, lo, hi, 50, ModelFreeConfig(pool_size=20), seed=3)
    assert n == 0 and P.shape == (50, 3)
    assert np.all((P >= lo) & (P <= hi))
    assert len(np.unique(P, axis=0)) == 50
    assert not any((P == row).all(axis=1).any() for row in X)  # no copies of dataset designs
    again, _ = model_free_ga(X, Y, lo, hi, 50, ModelFreeConfig(pool_size=20), seed=3)
    np.testing.assert_array_equal(P, again)


def test_token_offspring_are_integer_tokens():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 5, (100, 8))
    Y = (X == 0).sum(1, keepdims=True).astype(float)
    P, _ = model_free_ga(X, Y, np.zeros(8), np.full(8, 4), 30, ModelFreeConfig(pool_size=16), seed=0,
                         n_categories=5)
    assert P.dtype == np.int64 and P.min() >= 0 and P.max() <= 4 and len(P) == 30


def test_tournament_prefers_better_measured_designs():
    F = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [2.0, 2.0], [3.0, 3.0]])
    rank, crowd = rank_and_crowding(F)
    assert list(rank) == [0, 0, 0, 1, 2]
    wins = binary_tournament(rank, crowd, 5000, np.random.default_rng(0))
    counts = np.bincount(wins, minlength=5)
    assert counts[4] < counts[3] < counts[:3].min()
