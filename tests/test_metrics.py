import numpy as np
import pytest

from dist_ombo import metrics as M


def test_hypervolume_hand_computed():
    assert M.hypervolume(np.array([[0.5, 0.5]]), np.array([1.0, 1.0])) == pytest.approx(0.25)
    # staircase of two points with reference (2, 2): 2*1 + 1*1 = 3
    assert M.hypervolume(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([2.0, 2.0])) == pytest.approx(3.0)
    # 3-D unit cube corner at origin, ref (1, 2, 3)
    assert M.hypervolume(np.zeros((1, 3)), np.array([1.0, 2.0, 3.0])) == pytest.approx(6.0)
    # points outside the reference box and NaN rows contribute nothing
    F = np.array([[0.5, 0.5], [3.0, 0.1], [np.nan, 0.0]])
    assert M.hypervolume(F, np.array([1.0, 1.0])) == pytest.approx(0.25)


def test_offmoo_hv_at_normalized_ideal_is_2_2_power_m():
    y_min, y_max = np.array([1.0, 10.0]), np.array([3.0, 20.0])
    nadir = y_max.copy()
    assert M.offmoo_hypervolume(y_min[None], y_min, y_max, nadir) == pytest.approx(2.2**2)


def test_adding_a_dominating_point_never_lowers_hv():
    rng = np.random.default_rng(0)
    for _ in range(20):
        F = rng.random((15, 3))
        ref = np.full(3, 1.2)
        base = M.hypervolume(F, ref)
        p = F[rng.integers(15)] * rng.uniform(0.5, 1.0, 3)
        assert M.hypervolume(np.vstack([F, p]), ref) >= base - 1e-12


def test_rank_by_nds_returns_best_fronts():
    Y = np.array([[0, 1], [1, 0], [0.5, 0.5], [1, 1], [2, 2], [0.2, 0.9]])
    top = M.rank_by_nds(Y, 4)
    assert set(top) == {0, 1, 2, 5}
    assert len(M.rank_by_nds(Y, 5)) == 5 and 3 in M.rank_by_nds(Y, 5)
    assert list(M.percentile_subset(Y, 50)) == sorted(set(range(6)) - set(M.rank_by_nds(Y, 3)))


def test_igd_zero_on_the_front():
    front = np.stack([np.linspace(0, 1, 50), 1 - np.linspace(0, 1, 50)], 1)
    assert M.igd(front, front) == pytest.approx(0.0)
    assert M.igd(front + 0.1, front) > 0.05


def test_soo_scores():
    s = M.soo_percentile_scores(np.array([0.0, 5.0, 10.0]), y_min=0.0, y_max=10.0)
    assert s["score_100th"] == pytest.approx(1.0) and s["score_50th"] == pytest.approx(0.5)
    assert M.normalized_score(np.array([-1.0]), 0.0, 10.0)[0] == pytest.approx(1.1)


def test_diversity_and_novelty():
    lo, hi = np.zeros(2), np.full(2, 2.0)
    X = np.array([[0.0, 0.0], [2.0, 0.0]])
    assert M.diversity(X, lo, hi) == pytest.approx(1.0)
    assert M.novelty(X, np.array([[0.0, 0.0]]), lo, hi) == pytest.approx(0.5)
    T = np.array([[0, 1, 2, 3], [0, 1, 2, 0]])
    assert M.diversity(T, None, None, discrete=True) == pytest.approx(0.25)
    assert M.novelty(T, T[:1], None, None, discrete=True) == pytest.approx(0.125)


# ------------------------------------------------------------------ headroom, IGD+, robust HV
def test_headroom_is_zero_at_dbest_one_at_the_front_and_nan_without_a_gap():
    assert M.headroom(5.0, 5.0, 6.0) == 0.0
    assert M.headroom(6.0, 5.0, 6.0) == 1.0
    assert M.headroom(5.5, 5.0, 6.0) == pytest.approx(0.5)
    assert M.headroom(4.0, 5.0, 6.0) == pytest.approx(-1.0)  # below D(best)
    assert np.isnan(M.headroom(5.5, 5.0, 5.0)) and np.isnan(M.headroom(5.5, 6.0, 5.0))
    assert np.isnan(M.headroom(5.5, 5.0, float("nan")))


def test_saturation_needs_every_seed_above_0_99():
    assert M.is_saturated([0.993, 0.992, 0.994])  # re21 in results/compare
    assert not M.is_saturated([0.998, 0.981, 0.998])  # re33: seed 1 falls short
    assert not M.is_saturated([]) and not M.is_saturated([0.995, float("nan")])


def test_igd_plus_counts_only_shortfall():
    front = np.stack([np.linspace(0, 1, 101), 1 - np.linspace(0, 1, 101)], 1)
    assert M.igd_plus(front, front) == pytest.approx(0.0)
    beyond = front - 0.05  # dominates the front: IGD+ sees no shortfall, IGD sees a distance
    assert M.igd_plus(beyond, front) == pytest.approx(0.0)
    assert M.igd(beyond, front) > 0.05
    assert M.igd_plus(front + 0.1, front) > 0.09


def test_robust_hv_ignores_one_extreme_design_protocol_hv_does_not():
    """One collected design 1000x outside the rest sets the protocol normalization, and with it
    the HV of every proposal set; the 99.9th-percentile bound barely moves."""
    from dist_ombo.tasks.base import _robust_max

    rng = np.random.default_rng(0)
    collected = rng.random((5000, 2)) * [1.0, 10.0]
    with_outlier = np.vstack([collected, [[0.5, 10_000.0]]])
    proposals = rng.random((50, 2)) * [0.5, 5.0]
    nadir = np.array([1.0, 10.0])
    lo = collected.min(axis=0)
    plain = M.offmoo_hypervolume(proposals, lo, collected.max(axis=0), nadir)
    spoiled = M.offmoo_hypervolume(proposals, lo, with_outlier.max(axis=0), nadir)
    robust = M.robust_hypervolume(proposals, lo, _robust_max(collected), nadir)
    robust_spoiled = M.robust_hypervolume(proposals, lo, _robust_max(with_outlier), nadir)
    assert spoiled < plain / 100
    assert robust_spoiled == pytest.approx(robust, rel=1e-3)


def test_dbest_indices_do_not_depend_on_row_order():
    """Crowding ties (duplicates, a front larger than k with equal gaps) are broken by value, so
    any storage order of the same rows selects the same objective vectors."""
    t = np.linspace(0, 1, 21)
    front = np.stack([t, 1 - t], 1)
    Y = np.vstack([front, front, front + 0.5, [[2.0, 2.0]]])  # duplicated front: many ties
    ref = np.sort(Y[M.dbest_indices(Y, 15)], axis=0)
    rng = np.random.default_rng(1)
    for _ in range(10):
        p = rng.permutation(len(Y))
        np.testing.assert_array_equal(np.sort(Y[p][M.dbest_indices(Y[p], 15)], axis=0), ref)
    assert len(set(M.dbest_indices(Y, 15))) == 15


def test_copy_fraction_counts_designs_of_the_data():
    lo, hi = np.array([0.0, -10.0]), np.array([1.0, 10.0])
    data = np.array([[0.1, 0.0], [0.5, 5.0], [0.9, -5.0]])
    # one exact copy, one within the tolerance of the scaled box, one moved well beyond it
    X = np.array([[0.1, 0.0], [0.5 + 1e-9, 5.0 - 1e-8], [0.9, -4.9]])
    assert M.copy_fraction(X, data, lo, hi) == pytest.approx(2 / 3)
    assert M.copy_fraction(X[2:], data, lo, hi) == 0.0
    assert M.copy_fraction(X[:0], data, lo, hi) != M.copy_fraction(X[:0], data, lo, hi)  # NaN
    # discrete designs match only when every position is equal
    T = np.array([[0, 1, 2, 3], [3, 2, 1, 0]])
    assert M.copy_fraction(np.array([[0, 1, 2, 3], [0, 1, 2, 2]]), T, exact=True) == pytest.approx(0.5)
