"""Learning to rank: only the order of y matters."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from dist_ombo.errors import ConfigError
from dist_ombo.models.robust.rank import RankConfig, fit_rank, listnet_loss, rank_labels, ranknet_loss
from dist_ombo.problem import OfflineProblem

LOWER, UPPER = np.zeros(4), np.ones(4)
FAST = dict(hidden=(32, 32), epochs=20, lr=3e-3, list_length=64)


@pytest.mark.parametrize("loss", ["listnet", "ranknet"])
def test_ranking_loss_is_invariant_to_monotone_transforms_of_y(wavy, loss):
    X, Y = wavy
    cfg = RankConfig(**{**FAST, "epochs": 3}, loss=loss)
    a = fit_rank(OfflineProblem(X, Y, LOWER, UPPER), cfg, seed=0)
    b = fit_rank(OfflineProblem(X, np.exp(3 * Y) + 7, LOWER, UPPER), cfg, seed=0)
    for wa, wb in zip(a.net.weights, b.net.weights):
        assert torch.equal(wa, wb)
    assert [h["train_loss"] for h in a.history] == [h["train_loss"] for h in b.history]
    np.testing.assert_array_equal(rank_labels(Y), rank_labels(np.exp(3 * Y) + 7))


def test_scores_order_designs_like_y(wavy):
    X, Y = wavy
    model = fit_rank(OfflineProblem(X, Y, LOWER, UPPER), RankConfig(**FAST), seed=0)
    assert spearmanr(model.predict(X)[0][:, 0], Y[:, 0]).statistic > 0.8


def test_losses_prefer_the_right_order():
    labels = torch.arange(6.0).reshape(1, 1, 6)
    for fn in (listnet_loss, ranknet_loss):
        assert fn(labels, labels) < fn(-labels, labels)
    with pytest.raises(ConfigError, match="loss"):
        RankConfig(loss="lambdarank")
