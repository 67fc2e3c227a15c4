import numpy as np
import pytest

from dist_ombo.errors import ConfigError, TaskInputError
from dist_ombo.search.permutation import is_permutation, start_from_zero
from dist_ombo.tasks import get_task
from dist_ombo.tasks import moco
from dist_ombo.tasks.moco import TASKS

TINY = {"n_total": 120, "generations": 6, "pop_size": 20}


def _perms(n_rows: int, dim: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(dim) for _ in range(n_rows)])


@pytest.mark.parametrize("name", list(TASKS))
def test_spec_instance_and_oracle_shapes(name):
    task = get_task(name, **TINY)
    assert task.design_kind == "permutation" and task.spec()["design_kind"] == "permutation"
    assert task.family == "moco" and task.n_categories == task.dim
    Y = task.oracle(_perms(5, task.dim))
    assert Y.shape == (5, task.n_obj) and np.all(np.isfinite(Y))
    assert len(task.nadir_point) == len(task.ideal_point) == task.n_obj


# The reference's own oracles (lamda-bbo/offline-moo a960f6f1, run on its .pt instances) give these
# for the identity permutation and np.random.default_rng(7).permutation(dim).
REFERENCE_VALUES = {
    "bi_tsp_20": [[9.56013, 12.92182], [12.48108, 10.92927]],
    "tri_tsp_20": [[11.02833, 15.60521, 9.73009], [9.65415, 16.21224, 10.38448]],
    "bi_cvrp_20": [[11.87965, 4.05236], [11.37601, 3.85946]],
    "bi_kp_50": [[-13.09321, -9.2981], [-11.21516, -8.24147]],
}


@pytest.mark.parametrize("name", list(REFERENCE_VALUES))
def test_oracle_matches_reference_values(name):
    task = get_task(name)
    X = np.stack([np.arange(task.dim), np.random.default_rng(7).permutation(task.dim)])
    np.testing.assert_allclose(task.oracle(X), REFERENCE_VALUES[name], atol=2e-5)


@pytest.mark.parametrize("name", ["bi_tsp_20", "tri_tsp_20", "bi_tsp_50"])
def test_tour_length_invariant_to_rotation_and_reversal(name):
    task = get_task(name)
    X = _perms(30, task.dim, seed=1)
    Y = task.oracle(X)
    rng = np.random.default_rng(2)
    for shift in rng.integers(1, task.dim, size=5):
        np.testing.assert_allclose(task.oracle(np.roll(X, int(shift), axis=1)), Y, rtol=1e-12)
    np.testing.assert_allclose(task.oracle(X[:, ::-1]), Y, rtol=1e-12)
    np.testing.assert_allclose(task.oracle(start_from_zero(X)), Y, rtol=1e-12)


def test_tour_length_changes_with_order():
    task = get_task("bi_tsp_20")
    X = _perms(50, task.dim, seed=3)
    assert len(np.unique(task.oracle(X)[:, 0].round(9))) == 50


@pytest.mark.parametrize("name", ["bi_kp_50", "bi_kp_100", "bi_kp_200"])
def test_knapsack_never_exceeds_capacity(name):
    task = get_task(name)
    X = _perms(300, task.dim, seed=4)
    packed = task.packed(X)
    weights = packed @ task.instance[:, 0]
    assert np.all(weights <= task.capacity + 1e-9)
    # greedy until the first misfit: the next item in order would not have fit
    order_weights = task.instance[X, 0]
    n_packed = packed.sum(axis=1)
    assert np.all(n_packed < task.dim)
    nxt = order_weights[np.arange(len(X)), n_packed]
    assert np.all(weights + nxt > task.capacity)
    np.testing.assert_allclose(task.oracle(X), -(packed @ task.instance[:, 1:3]))


def test_cvrp_returns_and_objectives():
    task = get_task("bi_cvrp_20")
    X = start_from_zero(_perms(20, task.dim, seed=5))
    seq = task.routes(X)
    assert seq.shape[1] == task.dim + len(task.returns) + 1 and np.all(seq[:, -1] == 0)
    Y = task.oracle(X)
    assert np.all(Y[:, 1] <= Y[:, 0] + 1e-12)  # the longest route is part of the total


@pytest.mark.parametrize("name", ["bi_tsp_20", "tri_tsp_20", "bi_cvrp_20", "bi_kp_50"])
def test_dataset_holds_valid_permutations_and_is_deterministic(name, tmp_path):
    task = get_task(name, **TINY)
    a = task.dataset(seed=2, cache_dir=tmp_path)
    b = task.dataset(seed=2, cache_dir=tmp_path)  # from the cache
    c = task.dataset(seed=2, cache=False)
    assert a.X.dtype == np.int64 and a.X.shape == (task.n_samples, task.dim)
    assert is_permutation(a.X).all()
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.X, c.X)
    np.testing.assert_allclose(task.oracle(a.X), a.Y)
    if task.start_from_zero:
        assert np.all(a.X[:, 0] == 0)
    assert a.n_hidden == TINY["n_total"] - task.n_samples


def test_hidden_fraction_per_family():
    assert get_task("bi_cvrp_20", **TINY).n_samples == 120 - 66  # 55% hidden
    assert get_task("bi_tsp_20", **TINY).n_samples == 72  # 40% hidden


def test_reference_collection_settings():
    task = get_task("bi_tsp_20")
    assert (task.generations, task.pop_size, task.p_worst, task.n_total) == (3200, 500, 0.0, 100_000)
    assert task.record_every() == 16
    assert get_task("bi_tsp_20", generations=10, n_total=100).record_every() == 10  # the last one
    few = get_task("bi_kp_50", generations=3, n_total=10, pop_size=8)
    assert len(few.dataset(0, cache=False).X) == few.n_samples
    kp = get_task("bi_kp_50")
    assert (kp.generations, kp.p_worst, kp.start_from_zero) == (200, 0.15, False)


def test_non_permutations_rejected_with_a_named_row():
    task = get_task("bi_tsp_20")
    X = _perms(3, task.dim)
    X[1, 0] = X[1, 1]
    with pytest.raises(TaskInputError, match=r"X\[1\] is not a permutation"):
        task.oracle(X)


def test_damaged_instance_is_refused(tmp_path, monkeypatch):
    bad = tmp_path / "bi_tsp_20.npy"
    arr = np.load(moco.DATA_DIR / "bi_tsp_20.npy")
    arr[0, 0] += 1e-3
    np.save(bad, arr)
    monkeypatch.setattr(moco, "DATA_DIR", tmp_path)
    with pytest.raises(ConfigError, match="SHA-256"):
        get_task("bi_tsp_20")
