"""The GP surrogate: Off-MOO-Bench's training subset, a fit that predicts its data, state round
trips, and objectives fitted apart merging into the model fitted at once."""

import numpy as np
import pytest

from dist_ombo.bo.gp import GPConfig, GPSurrogate, fit_gp, merge_gp_states, training_subset
from dist_ombo.errors import ConfigError
from dist_ombo.metrics import pareto_mask
from dist_ombo.problem import OfflineProblem

from .conftest import LOWER, UPPER


def test_training_subset_takes_the_best_fronts_first(box_data):
    _, Y = box_data
    rows = training_subset(Y, 48)
    assert len(rows) == 48 == len(set(rows.tolist()))
    front = np.flatnonzero(pareto_mask(Y))
    assert set(front.tolist()) <= set(rows.tolist())  # the first front is always in
    assert len(training_subset(Y, 10_000)) == len(Y)


def test_fit_predicts_its_training_data_with_small_std(box_gp):
    mean, std = box_gp.predict(box_gp.X)
    assert mean.shape == std.shape == (48, 2)
    np.testing.assert_allclose(mean, box_gp.Y, atol=0.05 * np.ptp(box_gp.Y, axis=0).max())
    far_mean, far_std = box_gp.predict(np.array([[5.0, 20.0, 10.0]]))  # far outside the data
    assert (far_std > 5 * std.mean(axis=0)).all()


def test_state_round_trip_gives_identical_predictions(box_gp, box_data):
    X, _ = box_data
    again = GPSurrogate.from_state(box_gp.state())
    np.testing.assert_array_equal(again.predict(X[:20])[0], box_gp.predict(X[:20])[0])


def test_objectives_fitted_apart_merge_into_the_joint_fit(box_gp, box_data):
    X, Y = box_data
    parts = [fit_gp(OfflineProblem(X, Y, LOWER, UPPER), GPConfig(train_size=48, objectives=(j,)), seed=0).state()
             for j in (1, 0)]
    merged = GPSurrogate.from_state(merge_gp_states(parts))
    assert merged.objectives == [0, 1]
    np.testing.assert_allclose(merged.predict(X[:20])[0], box_gp.predict(X[:20])[0], rtol=1e-9)


def test_ref_point_lies_past_the_worst_data_point(box_gp, box_data):
    _, Y = box_data
    ref = box_gp.ref_point()  # model units: maximized, so below every training target
    assert (box_gp.to_model_units(Y) > ref).all()


def test_discrete_designs_and_bad_configs_are_refused(box_data):
    X, Y = box_data
    with pytest.raises(ConfigError, match="continuous designs only"):
        fit_gp(OfflineProblem(X, Y, LOWER, UPPER, 4), GPConfig(), seed=0)
    with pytest.raises(ConfigError, match="train_size"):
        GPConfig(train_size=1)
