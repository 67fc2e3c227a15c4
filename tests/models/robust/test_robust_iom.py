"""IOM: the discrepancy penalty makes training and search designs indistinguishable in the
representation; the two-stage model ships through its own state format."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dist_ombo.errors import DataError
from dist_ombo.models import EnsembleSurrogate
from dist_ombo.models.robust.iom import IOMConfig, IOMSurrogate, fit_iom, mmd2
from dist_ombo.problem import OfflineProblem

LOWER, UPPER = np.zeros(4), np.ones(4)
FAST = dict(hidden=(32, 32), epochs=20, batch_size=64, lr=3e-3)


def test_mmd_between_data_and_search_representations_decreases(wavy):
    X, Y = wavy
    free = fit_iom(OfflineProblem(X, Y, LOWER, UPPER), IOMConfig(**FAST, mmd_weight=0.0), seed=0)
    iom = fit_iom(OfflineProblem(X, Y, LOWER, UPPER), IOMConfig(**FAST), seed=0)
    h = [e["mmd"] for e in iom.history]
    assert h[-1] < 0.2 * h[0]  # falls during training
    assert iom.history[-1]["mmd"] < 0.2 * free.history[-1]["mmd"]  # and because of the penalty


def test_mmd_is_zero_for_equal_samples_and_positive_otherwise():
    g = torch.Generator().manual_seed(0)
    a = torch.nn.functional.normalize(torch.randn(2, 50, 8, generator=g), dim=-1)
    assert torch.allclose(mmd2(a, a), torch.zeros(2), atol=1e-6)
    assert torch.all(mmd2(a, torch.nn.functional.normalize(a + 1.0, dim=-1)) > 1e-3)


def test_iom_state_round_trip_and_gradients(wavy):
    X, Y = wavy
    model = fit_iom(OfflineProblem(X, Y, LOWER, UPPER), IOMConfig(**{**FAST, "epochs": 2}, n_members=2), seed=1)
    back = IOMSurrogate.from_state(model.state())
    np.testing.assert_array_equal(model.predict(X[:7])[0], back.predict(X[:7])[0])
    x = model.encode(X[:3]).requires_grad_(True)
    model.predict_torch(x)[0].sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    with pytest.raises(DataError):  # a plain ensemble cannot silently load the two-stage weights
        EnsembleSurrogate.from_state(model.state())
