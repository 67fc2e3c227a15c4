"""The unit-box encoding of mixed designs: round trips, snapping, distances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dist_ombo.errors import DataError
from dist_ombo.userdata.space import UserDesignSpace, InputColumn

SPACE = UserDesignSpace((
    InputColumn("x", "float", -1.0, 3.0),
    InputColumn("k", "integer", 2.0, 7.0),
    InputColumn("c", "categorical", categories=("a", "b", "c")),
    InputColumn("fixed", "float", 5.0, 5.0),
))


def test_dim_and_box():
    assert SPACE.dim == 1 + 1 + 3 + 1
    assert np.all(SPACE.lower == 0) and np.all(SPACE.upper == 1)


def test_encode_decode_round_trip():
    designs = pd.DataFrame({"x": [-1.0, 0.5, 3.0], "k": [2, 5, 7], "c": ["b", "a", "c"], "fixed": [5.0] * 3})
    Z = SPACE.encode(designs)
    assert Z.min() >= 0 and Z.max() <= 1
    back = SPACE.decode(Z)
    pd.testing.assert_frame_equal(back, designs, check_dtype=False)
    assert back["k"].dtype == np.int64


def test_snap_gives_valid_designs_and_is_idempotent():
    rng = np.random.default_rng(0)
    Z = rng.uniform(-0.2, 1.2, (500, SPACE.dim))
    S = SPACE.snap(Z)
    assert np.array_equal(SPACE.snap(S), S)
    designs = SPACE.decode(Z)
    assert designs["k"].between(2, 7).all() and (designs["k"] == np.rint(designs["k"])).all()
    assert set(designs["c"]) <= {"a", "b", "c"}
    assert designs["x"].between(-1, 3).all()
    assert (designs["fixed"] == 5.0).all()
    onehot = S[:, 2:5]
    assert np.all(onehot.sum(axis=1) == 1)


def test_snap_picks_largest_category_and_nearest_integer():
    z = np.array([[0.5, 0.29, 0.2, 0.7, 0.1, 0.3]])  # k: 2 + 0.29 * 5 = 3.45 -> 3
    d = SPACE.decode(z).iloc[0]
    assert d["k"] == 3 and d["c"] == "b"


def test_category_mismatch_counts_as_distance_one():
    a = SPACE.encode(pd.DataFrame({"x": [0.0], "k": [3], "c": ["a"], "fixed": [5.0]}))
    b = SPACE.encode(pd.DataFrame({"x": [0.0], "k": [3], "c": ["c"], "fixed": [5.0]}))
    fa, fb = SPACE.distance_features(a), SPACE.distance_features(b)
    assert np.linalg.norm(fa - fb) == pytest.approx(1.0)


def test_unseen_category_is_an_error():
    with pytest.raises(DataError, match="'zz'"):
        SPACE.encode(pd.DataFrame({"x": [0.0], "k": [3], "c": ["zz"], "fixed": [5.0]}))
