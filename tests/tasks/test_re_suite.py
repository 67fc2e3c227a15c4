"""Tests of the RE suite (Tanabe & Ishibuchi, 2020): spec, oracle values, ideal points, dataset."""

from __future__ import annotations

import numpy as np
import pytest

from dist_ombo.tasks.re_suite import (
    RE21,
    RE22,
    RE23,
    RE25,
    RE33,
    RE34,
    RE36,
    RE37,
    RE41,
    TASKS,
    RETask,
)

#: (d, m) per task, from the table in shared/docs/protocols.md (re24_offmoo: RE24 as
#: Off-MOO-Bench's code computes it).
SHAPES = {
    "re21": (4, 2), "re22": (3, 2), "re23": (4, 2), "re24": (2, 2), "re24_offmoo": (2, 2), "re25": (3, 2),
    "re31": (3, 3), "re32": (4, 3), "re33": (4, 3), "re34": (5, 3), "re35": (7, 3),
    "re36": (4, 3), "re37": (4, 3), "re41": (7, 4), "re42": (6, 4), "re61": (3, 6),
}
NAMES = sorted(SHAPES)


def _random_designs(task: RETask, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return task.lower + (task.upper - task.lower) * rng.random((n, task.dim))


@pytest.fixture(scope="module")
def samples() -> dict[str, tuple[RETask, np.ndarray]]:
    """4000 uniform designs per task and their objectives (shared by the tests below)."""
    out = {}
    for name in NAMES:
        task = TASKS[name](n_total=100)
        out[name] = (task, task.oracle(_random_designs(task, 4000, seed=7)))
    return out


def test_registry_holds_the_fifteen_problems_and_the_offmoo_re24():
    assert sorted(TASKS) == NAMES
    for name, factory in TASKS.items():
        task = factory(n_total=100)
        assert task.name == name
        assert task.family == "re"
        assert task.kind == "moo" and not task.is_discrete


@pytest.mark.parametrize("name", NAMES)
def test_spec_matches_protocol_table(name):
    task = TASKS[name](n_total=100)
    d, m = SHAPES[name]
    assert (task.dim, task.n_obj) == (d, m)
    assert task.lower.shape == task.upper.shape == (d,)
    assert np.all(task.lower < task.upper)
    for point in (task.nadir_point, task.ideal_point, task.pf_nadir_point):
        assert point.shape == (m,)
    assert np.all(task.ideal_point <= task.pf_nadir_point)


@pytest.mark.parametrize("name", NAMES)
def test_oracle_shape_and_finite(name, samples):
    task, Y = samples[name]
    assert Y.shape == (4000, task.n_obj)
    assert np.all(np.isfinite(Y))


@pytest.mark.parametrize("name", NAMES)
def test_oracle_is_row_wise(name):
    """Evaluating a batch equals evaluating its rows one by one (no mixing across the batch)."""
    task = TASKS[name](n_total=100)
    X = _random_designs(task, 16, seed=3)
    rows = np.concatenate([task.oracle(x[None]) for x in X])
    np.testing.assert_allclose(task.oracle(X), rows, rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_random_designs_sit_inside_the_hv_reference_box(name, samples):
    """Off-MOO-Bench's reference is 2.2 x the normalized hard-coded nadir: with the published ideal
    as origin, every random design lies inside it, and nearly all are below the nadir itself."""
    task, Y = samples[name]
    ideal, nadir = task.ideal_point, task.nadir_point
    assert np.all(Y <= ideal + 2.2 * (nadir - ideal))
    assert np.mean(np.all(Y <= nadir, axis=1)) >= 0.95


@pytest.mark.parametrize("name", NAMES)
def test_published_ideal_is_approached_not_beaten(name, samples):
    task, Y = samples[name]
    ideal, nadir = task.ideal_point, task.nadir_point
    scale = np.abs(nadir - ideal)
    assert np.all(Y.min(axis=0) >= ideal - 1e-9 * scale)
    assert np.all((Y.min(axis=0) - ideal) / scale < 0.5)


def test_constraint_violation_objectives_reach_zero(samples):
    """The folded constraint objective is a violation sum: >= 0, and 0 for some random design
    (RE31's feasible region is too thin for uniform sampling to hit)."""
    for name in sorted(set(NAMES) - {"re21", "re34", "re37"}):
        _, Y = samples[name]
        assert np.all(Y[:, -1] >= 0.0), name
        assert (Y[:, -1].min() == 0.0) == (name != "re31"), name


# ------------------------------------------------------------------ known values, by hand
def test_re21_known_values():
    task = RE21(n_total=100)
    # Lower bounds (1, sqrt2, sqrt2, 1): f1 = 200 (2 + 2 + 2**0.25 + 1), f2 = 0.01 (2 + 2 - 2 + 2).
    # Upper bounds (3, 3, 3, 3): f1 = 200 (6 + 3 sqrt2 + sqrt3 + 3), f2 = 0.01 * 4/3.
    Y = task.oracle(np.vstack([task.lower, task.upper]))
    np.testing.assert_allclose(Y[0], [1237.8414230005, 0.04], rtol=1e-10)
    np.testing.assert_allclose(Y[1], [2994.9382989376, 0.0133333333333], rtol=1e-10)
    # The lower-bound point is the front's f1 extreme: f1 at the ideal, f2 at the nadir.
    np.testing.assert_allclose(Y[0], [task.ideal_point[0], task.pf_nadir_point[1]], rtol=1e-10)


def test_re33_known_values():
    task = RE33(n_total=100)
    Y = task.oracle(np.array([[60.0, 80.0, 2000.0, 15.0], [70.0, 80.0, 3000.0, 20.0]]))
    # (60, 80, 2000, 15): x2^2 - x1^2 = 2800, x2^3 - x1^3 = 296000; f1 = 4.9e-5 * 2800 * 14,
    # f2 = 9.82e6 * 2800 / (2000 * 15 * 296000); all four constraints hold (g1 = 0 exactly).
    np.testing.assert_allclose(Y[0], [1.9208, 3.0963963964, 0.0], rtol=1e-9)
    # (70, 80, 3000, 20): 1500 and 169000; violations g1 = 10 and g2 = 3000 / (3.14 * 1500) - 0.4.
    np.testing.assert_allclose(Y[1], [1.3965, 1.4526627219, 10.2369426752], rtol=1e-9)


def test_re37_known_values():
    task = RE37(n_total=100)
    Y = task.oracle(np.vstack([np.zeros(4), np.ones(4)]))
    np.testing.assert_allclose(Y[0], [0.692, 0.153, 0.370], rtol=1e-12)
    # At x = 1 each objective is the sum of its polynomial's coefficients.
    np.testing.assert_allclose(Y[1], [0.20514, 0.8774, 0.2838], rtol=1e-9)


def test_re41_known_values_at_lower_bounds():
    task = RE41(n_total=100)
    Y = task.oracle(task.lower[None])[0]
    # f1 = 1.98 + 4.9*0.5 + 6.67*0.45 + 6.98*0.5 + 4.01*0.5 + 1.78*0.875 + 1e-5*0.4 + 2.73*0.4;
    # f2 = 4.72 - 0.25 - 0.19*0.45*0.5; f3 = (Vmbp 10.1256125 + Vfd 16.05715) / 2; f4 = the
    # violations of g1, g4, g6, g7, g8, g9, g10 (0.0717211 + 0.1630707 + 0.569465 + 7.67975
    # + 0.42725 + 0.2256125 + 0.35715).
    np.testing.assert_allclose(Y, [15.576004, 4.42725, 13.09138125, 9.4940193], rtol=1e-9)
    # This corner is the published ideal in f1 and the published front nadir in f2-f4.
    np.testing.assert_allclose(Y[0], task.ideal_point[0], rtol=1e-12)
    np.testing.assert_allclose(Y[1:], task.pf_nadir_point[1:], rtol=1e-9)


def test_re42_uses_the_fixed_deadweight_bound():
    """The reference fixed ``50000 - DWT`` to ``500000 - DWT`` (2021-05-29): a design with a
    deadweight of about 51000 t that meets every other constraint has zero violation."""
    x = np.array([219.5, 32.2, 16.65, 11.69, 16.19, 0.7435])
    y = TASKS["re42"](n_total=100).oracle(x[None])[0]
    deadweight = 1.025 * x[0] * x[1] * x[3] * x[5] - y[1]  # displacement - light ship weight
    assert 50000.0 < deadweight < 52000.0
    assert y[3] == 0.0


def test_discrete_variables_follow_the_reference_mapping():
    # RE22: x1 = 9.9 maps to 10.0, an entry of the reference catalogue as written ("3,10").
    # f1 = 29.4 * 10 + 0.6 * 5 * 20; g1 = 10 * 20 - 7.735 * 100 / 5 - 180 = -134.7; g2 = 0.
    Y = RE22(n_total=100).oracle(np.array([[9.9, 5.0, 20.0]]))
    np.testing.assert_allclose(Y, [[354.0, 134.7]])
    # RE23: thicknesses 0.0625 * round(1.4) = 0.0625 and 0.0625 * round(2.6) = 0.1875.
    y = RE23(n_total=100).oracle(np.array([[1.4, 2.6, 10.0, 10.0]]))[0, 0]
    # f1 = 0.6224 * 6.25 + 1.7781 * 18.75 + 3.1661 * 0.0390625 + 19.84 * 0.0390625
    assert y == pytest.approx(38.12805078125, rel=1e-12)
    # RE25: 10 coils, wire diameter 0.3 -> stock size 0.307; f1 = pi^2 * 1.5 * 0.307^2 * 12 / 4.
    y = RE25(n_total=100).oracle(np.array([[10.2, 1.5, 0.3]]))[0, 0]
    assert y == pytest.approx(4.185901553392, rel=1e-10)
    # RE36: teeth (12, 13, 30, 60); f1 = |6.931 - (30/12)(60/13)|, f2 = 60, f3 = f1/6.931 - 0.5.
    Y = RE36(n_total=100).oracle(np.array([[12.4, 12.6, 30.2, 59.6]]))
    np.testing.assert_allclose(Y, [[4.60746153846, 60.0, 0.16476143969]], rtol=1e-10)


# ------------------------------------------------------------------------------ dataset
def test_constructor_forwards_protocol_parameters():
    task = RE21(n_total=300, generations=5, p_worst=0.2)
    assert task.params == {"n_total": 300, "generations": 5, "p_worst": 0.2}
    assert task.n_samples == 180
    assert (RE21().generations, RE21().p_worst, RE21().use_nsga3) == (30, 0.45, False)
    # RE34 is collected with NSGA-III for 100 generations.
    assert (RE34().generations, RE34().use_nsga3) == (100, True)


def test_tiny_dataset_build():
    task = RE21(n_total=200)
    data = task.dataset(seed=0, cache=False)
    assert data.X.shape == (120, 4) and data.Y.shape == (120, 2) and data.n_hidden == 80
    assert np.all((data.X >= task.lower) & (data.X <= task.upper))
    np.testing.assert_allclose(data.Y, task.oracle(data.X))
    again = RE21(n_total=200).dataset(seed=0, cache=False)
    np.testing.assert_array_equal(data.X, again.X)
    np.testing.assert_array_equal(data.Y, again.Y)
    other = RE21(n_total=200).dataset(seed=1, cache=False)
    assert not np.array_equal(data.X, other.X)


def test_re24_variants_differ_only_in_the_buckling_stress():
    """re24 uses sigma_k = E x1^2 / 100 (Tanabe & Ishibuchi), re24_offmoo E x1 x2 / 100
    (Off-MOO-Bench's code): weights agree everywhere, violations differ where buckling binds."""
    tanabe, offmoo = TASKS["re24"](n_total=100), TASKS["re24_offmoo"](n_total=100)
    X = np.array([[0.6, 10.0], [4.0, 50.0], [0.5, 3.0]])
    a, b = tanabe.oracle(X), offmoo.oracle(X)
    np.testing.assert_array_equal(a[:, 0], b[:, 0])
    E = 700000.0
    sigma_b = 4500.0 / (X[:, 0] * X[:, 1])
    buckling = lambda sk: np.maximum(-(1.0 - sigma_b / sk), 0.0)  # noqa: E731
    # row 2 (x1 = 0.5, x2 = 3): buckling binds under x1^2 only, so only re24 pays for it
    assert b[2, 1] < a[2, 1]
    np.testing.assert_allclose(a[:, 1] - b[:, 1],
                               buckling(E * X[:, 0] ** 2 / 100) - buckling(E * X[:, 0] * X[:, 1] / 100),
                               rtol=1e-9, atol=1e-12)
    assert offmoo.params == tanabe.params and offmoo.cache_key(0) != tanabe.cache_key(0)
