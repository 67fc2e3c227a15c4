import numpy as np
import pytest

from dist_ombo.models.permutation_encoding import PermutationEncoder
from dist_ombo.tasks import get_task


def _perms(m, n, seed=0):
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(n) for _ in range(m)])


def test_position_one_hot_marks_each_element_once():
    X = _perms(10, 6)
    F = PermutationEncoder(6, "position").transform(X).reshape(10, 6, 6)
    assert np.all(F.sum(axis=2) == 1) and np.all(F.sum(axis=1) == 1)
    np.testing.assert_array_equal(F.argmax(axis=2), X)


def test_adjacency_is_rotation_and_reversal_invariant():
    enc = PermutationEncoder(7, "adjacency")
    X = _perms(20, 7, seed=1)
    F = enc.transform(X)
    assert enc.n_features == 21 and np.all(F.sum(axis=1) == 7)
    np.testing.assert_array_equal(enc.transform(np.roll(X, 3, axis=1)), F)
    np.testing.assert_array_equal(enc.transform(X[:, ::-1]), F)
    assert len(np.unique(F, axis=0)) > 1


def test_tour_length_is_linear_in_adjacency_features():
    task = get_task("bi_tsp_20")
    enc = PermutationEncoder(20, "adjacency")
    X = _perms(400, 20, seed=2)
    F, Y = enc.transform(X), task.oracle(X)
    coef, *_ = np.linalg.lstsq(F.astype(float), Y, rcond=None)
    np.testing.assert_allclose(F @ coef, Y, atol=1e-6)


def test_unknown_encoding_is_named():
    with pytest.raises(ValueError, match="valid: position, adjacency"):
        PermutationEncoder(5, "rank")
