"""Reference fronts: analytic ones agree with the oracle, computed ones load only when intact."""

from __future__ import annotations

import numpy as np
import pytest

from dist_ombo import metrics as M
from dist_ombo.reference_fronts import (
    ANALYTIC_VERSION,
    ReferenceFrontError,
    load_computed_front,
    read_manifest,
    reference_front,
    write_front,
)
from dist_ombo.tasks import get_task, task_names

ANALYTIC = ["zdt1", "zdt2", "zdt3", "zdt4", "zdt6", "dtlz1", "dtlz2", "dtlz3", "dtlz4", "dtlz5", "dtlz6",
            "dtlz7", "omnitest", "vlmop1", "vlmop2"]


def _beyond(front: np.ndarray, Y: np.ndarray) -> float:
    """How far the best row of ``Y`` lies beyond the front, in units of the front's range: for
    each row, the distance ``min_z |max(z - y, 0)|`` to being weakly dominated by a front point
    (0 when some front point dominates it; only the front's sampling gaps leave a little)."""
    scale = front.max(axis=0) - front.min(axis=0)
    F, Yn = front / scale, Y / scale
    worst = 0.0
    for start in range(0, len(Yn), 500):
        gap = np.maximum(F[None, :, :] - Yn[start:start + 500, None, :], 0.0)
        worst = max(worst, float(np.linalg.norm(gap, axis=2).min(axis=1).max()))
    return worst


@pytest.mark.parametrize("name", ANALYTIC)
def test_analytic_front_is_not_beaten_by_the_oracle(name):
    """Random designs, and for ZDT/DTLZ their projection onto the Pareto set's distance
    variables, never dominate the analytic front; the projected designs land on it."""
    task = get_task(name, n_total=100)
    front = reference_front(task)
    assert front is not None and front.analytic and front.version == ANALYTIC_VERSION
    rng = np.random.default_rng(0)
    X = task.lower + (task.upper - task.lower) * rng.random((3000, task.dim))
    Y = task.oracle(X)
    tol = 5e-3 if task.n_obj == 2 else 0.03  # the sampled front's gaps: 1000 points on a curve, 990 on a surface
    assert _beyond(front.points, Y) < tol
    tail = {"zdt": 0.0, "dtlz": 0.5}.get(name.rstrip("0123456789"))
    # zdt3/dtlz7: part of the Pareto-set curve is dominated; zdt4's distance vars live in [-5, 5]
    if tail is not None and name not in ("zdt3", "zdt4", "dtlz6", "dtlz7"):
        on_set = X.copy()
        on_set[:, task.n_obj - 1 if name.startswith("dtlz") else 1:] = tail
        if name == "dtlz5":
            on_set[:, 1:task.n_obj - 1] = 0.5
        Y_set = task.oracle(on_set)
        assert _beyond(front.points, Y_set) < tol
        scale = front.points.max(axis=0) - front.points.min(axis=0)
        nearest = M.nearest_distances(Y_set / scale, front.points / scale, np.zeros(task.n_obj), np.ones(task.n_obj))
        assert nearest.max() < 4 * tol  # Pareto-set designs sit on the front (Euclidean gaps are wider)


@pytest.mark.parametrize("name", ["vlmop1", "omnitest"])
def test_analytic_front_matches_a_brute_force_grid(name):
    """Low-dimensional tasks: the non-dominated points of a dense grid lie on the front, and
    the front is covered by them (IGD both ways small in normalized units)."""
    task = get_task(name, n_total=100)
    axes = [np.linspace(lo, hi, 2001 if task.dim == 1 else 301) for lo, hi in zip(task.lower, task.upper)]
    X = np.stack([a.ravel() for a in np.meshgrid(*axes, indexing="ij")], axis=1)
    Y = task.oracle(X)
    best = Y[M.pareto_mask(Y)]
    front = reference_front(task).points
    scale = front.max(axis=0) - front.min(axis=0)
    assert M.igd(best / scale, front / scale) < 0.01
    assert M.igd(front / scale, best / scale) < 0.02


def test_every_continuous_moo_task_has_a_reference_front():
    """Analytic or computed (package data): MOCO permutation tasks are the only MOO tasks without."""
    missing = []
    for name in task_names():
        task = get_task(name)
        if task.kind == "moo" and task.design_kind == "continuous" and reference_front(task) is None:
            missing.append(name)
    assert missing == []
    assert reference_front(get_task("bi_tsp_20")) is None
    assert reference_front(get_task("branin")) is None


def test_computed_fronts_are_non_dominated_and_listed_with_their_recipe():
    manifest = read_manifest()["tasks"]
    assert {"re21", "re24", "re24_offmoo", "re33", "re61", "vlmop3"} <= set(manifest)
    for name, record in manifest.items():
        assert {"version", "algorithm", "pop", "generations", "seeds", "sha256", "created"} <= set(record)
        front = load_computed_front(name)
        assert front.version == f"{name}:{record['version']}" and not front.analytic
        assert len(front.points) == record["n_points"] and front.points.shape[1] == get_task(name).n_obj
        assert M.pareto_mask(front.points).all()


def test_re24_variants_have_different_fronts():
    a = reference_front(get_task("re24")).points
    b = reference_front(get_task("re24_offmoo")).points
    assert a.shape[1] == b.shape[1] == 2
    assert not np.array_equal(np.sort(a, axis=0)[:10], np.sort(b, axis=0)[:10])


def test_checksum_mismatch_is_one_clear_line(tmp_path):
    points = np.array([[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]])
    write_front("re21", points, {"version": "t"}, front_dir=tmp_path)
    assert np.array_equal(load_computed_front("re21", tmp_path).points, points)
    raw = bytearray((tmp_path / "re21.npy").read_bytes())
    raw[-1] ^= 0xFF  # one flipped byte in the data
    (tmp_path / "re21.npy").write_bytes(bytes(raw))
    with pytest.raises(ReferenceFrontError) as err:
        load_computed_front("re21", tmp_path)
    message = str(err.value)
    assert "\n" not in message and "re21" in message and "checksum mismatch" in message
    assert "build_reference_fronts.py" in message
    (tmp_path / "re21.npy").unlink()
    with pytest.raises(ReferenceFrontError, match="missing"):
        load_computed_front("re21", tmp_path)
    assert load_computed_front("re22", tmp_path) is None  # not listed: no front, no error
    (tmp_path / "manifest.json").write_text("{broken")
    with pytest.raises(ReferenceFrontError, match="not valid JSON"):
        read_manifest(tmp_path)
