"""Ehrlich functions: optimum, feasibility, quantization, instance determinism, dataset protocol."""

from __future__ import annotations

import numpy as np
import pytest

from dist_ombo.errors import ConfigError, TaskInputError
from dist_ombo.tasks import get_task
from dist_ombo.tasks.ehrlich import INFEASIBLE_VALUE, Ehrlich

INSTANCES = [
    {},
    {"length": 16, "vocab": 8, "motifs": 2, "motif_length": 3, "instance_seed": 5},
    {"length": 64, "vocab": 20, "motifs": 8, "motif_length": 4, "quantization": 2, "instance_seed": 1},
    {"length": 10, "vocab": 4, "motifs": 1, "motif_length": 10, "instance_seed": 2},
]


def test_spec_is_discrete_minimized_with_optimum_minus_one():
    task = Ehrlich(length=20, vocab=7)
    assert (task.dim, task.n_obj, task.n_categories, task.family) == (20, 1, 7, "ehrlich")
    np.testing.assert_array_equal(task.lower, np.zeros(20))
    np.testing.assert_array_equal(task.upper, np.full(20, 6.0))
    assert task.optimum == -1.0
    assert task.params["quantization"] == task.params["motif_length"] == 4


@pytest.mark.parametrize("params", INSTANCES)
def test_optimal_solution_is_feasible_and_scores_one(params):
    task = Ehrlich(**params)
    x = task.optimal_solution()
    assert x.dtype == np.int64 and x.shape == (task.dim,)
    assert task.is_feasible(x[None])[0]
    assert task.value(x[None])[0] == 1.0
    assert task.oracle(x[None]).tolist() == [[-1.0]]


def test_infeasible_transition_scores_zero():
    task = Ehrlich()
    x = task.optimal_solution()
    written = int((task.offsets[:, -1] + 1).sum())  # the motifs occupy x[:written]
    assert written < task.dim
    forbidden = np.flatnonzero(task.transition_matrix[x[-2]] == 0.0)
    assert len(forbidden) > 0
    bad = x.copy()
    bad[-1] = forbidden[0]  # every motif is still written out in full
    assert not task.is_feasible(bad[None])[0]
    assert task.value(bad[None])[0] == 0.0
    assert task.oracle(bad[None])[0, 0] == 0.0
    # a feasible change of the same position keeps the optimum
    ok = x.copy()
    ok[-1] = np.flatnonzero(task.transition_matrix[x[-2]] > 0.0)[0]
    assert task.value(ok[None])[0] == 1.0


def _instance_with_separable_last_motif(quantization: int) -> Ehrlich:
    """A 2-motif instance whose last motif has 4 distinct tokens, none of them in the first motif."""
    for seed in range(200):
        task = Ehrlich(length=24, vocab=32, motifs=2, motif_length=4, quantization=quantization,
                       instance_seed=seed)
        first, last = task.motifs
        if len(set(last)) == 4 and not set(last) & set(first):
            return task
    raise AssertionError("no instance with a separable last motif among 200 seeds")


# k = 4: best fraction j/4 quantized down to multiples of 1/q
EXPECTED = {
    4: [0.0, 0.25, 0.5, 0.75, 1.0],
    2: [0.0, 0.0, 0.5, 0.5, 1.0],
    1: [0.0, 0.0, 0.0, 0.0, 1.0],
}


@pytest.mark.parametrize("q", [4, 2, 1])
@pytest.mark.parametrize("j", [0, 1, 2, 3, 4])
def test_quantized_value_of_a_partial_motif(q, j):
    task = _instance_with_separable_last_motif(q)
    first_offsets, last_offsets = task.offsets
    last = task.motifs[1]
    prefix = task.optimal_solution()[: first_offsets[-1] + 1]  # the first motif, written in full
    # the last motif's first j elements at their offsets, each repeated up to the next one;
    # the rest of the sequence repeats the last token written (self-transitions are feasible)
    runs = [np.full(last_offsets[i + 1] - last_offsets[i], last[i]) for i in range(j - 1)]
    x = np.concatenate([prefix, *runs]) if runs else prefix
    if j:
        x = np.append(x, last[j - 1])
    x = np.concatenate([x, np.full(task.dim - len(x), x[-1])])
    assert task.is_feasible(x[None])[0]
    assert task.value(x[None])[0] == EXPECTED[q][j]


def test_instance_is_fixed_by_instance_seed():
    a, b, c = Ehrlich(instance_seed=3), Ehrlich(instance_seed=3), Ehrlich(instance_seed=4)
    np.testing.assert_array_equal(a.transition_matrix, b.transition_matrix)
    np.testing.assert_array_equal(a.motifs, b.motifs)
    np.testing.assert_array_equal(a.offsets, b.offsets)
    assert not np.array_equal(a.motifs, c.motifs)
    assert not np.array_equal(a.transition_matrix > 0, c.transition_matrix > 0)
    # the dataset size does not change the function
    d = Ehrlich(instance_seed=3, n_total=100)
    np.testing.assert_array_equal(a.motifs, d.motifs)


def test_offsets_fit_and_quarter_of_transitions_forbidden():
    task = Ehrlich()
    assert np.all(task.offsets[:, 0] == 0) and np.all(np.diff(task.offsets, axis=1) >= 1)
    assert (task.offsets[:, -1] + 1).sum() <= task.dim
    np.testing.assert_allclose(task.transition_matrix.sum(axis=1), 1.0, rtol=1e-6)  # holo's float32
    assert np.all(np.diag(task.transition_matrix) > 0)
    # band of half-width floor(0.4 * 32) = 12 -> 25 allowed states per row (26 if the diagonal was outside)
    assert set((task.transition_matrix > 0).sum(axis=1)) <= {25, 26}


def test_dataset_protocol():
    task = Ehrlich(n_total=600)
    ds = task.dataset(seed=0, cache=False)
    again = task.dataset(seed=0, cache=False)
    other = task.dataset(seed=1, cache=False)
    np.testing.assert_array_equal(ds.X, again.X)
    np.testing.assert_array_equal(ds.Y, again.Y)
    assert not np.array_equal(ds.X, other.X)
    assert len(ds.X) == task.n_samples == 300 and ds.n_hidden == 300
    assert ds.X.dtype == np.int64 and ds.X.min() >= 0 and ds.X.max() <= task.vocab - 1
    assert task.is_feasible(ds.X).all()
    np.testing.assert_array_equal(ds.Y, task.oracle(ds.X))
    assert ds.y_min_full[0] < ds.Y.min()  # the hidden half holds the best sequences


def test_dataset_keeps_the_lower_half_in_f():
    task = Ehrlich(n_total=500, keep_fraction=0.4)
    X_tr, Y_tr, X_h, Y_h = task._build_dataset(np.random.default_rng(0))
    assert len(X_tr) == task._n_train() == 200 and len(X_h) == 300
    f_tr, f_h = task.value(X_tr), task.value(X_h)
    np.testing.assert_array_equal(-Y_tr[:, 0], f_tr)
    assert f_tr.max() <= f_h.min()
    assert task.is_feasible(X_h).all()


@pytest.mark.parametrize(
    "X",
    [np.full((1, 32), 0.5), np.full((2, 32), 32), np.full((1, 32), -1), np.zeros((1, 31))],
    ids=["non-integer", "above-vocab", "negative", "wrong-length"],
)
def test_oracle_rejects_bad_tokens(X):
    with pytest.raises(TaskInputError):
        Ehrlich().oracle(X)


@pytest.mark.parametrize(
    "params",
    [
        {"length": 15, "motifs": 4, "motif_length": 4},
        {"motif_length": 4, "quantization": 3},
        {"motif_length": 4, "quantization": 5},
        {"vocab": 1},
        {"keep_fraction": 0.0},
        {"n_total": 0},
        {"instance_seed": -1},
    ],
)
def test_invalid_parameters_raise(params):
    with pytest.raises(ConfigError):
        Ehrlich(**params)


@pytest.mark.parametrize("length", [128, 256, 512])
def test_holo_bench_family_is_named(length):
    task = get_task(f"ehrlich_holo_{length}", n_total=20)
    assert task.name == f"ehrlich_holo_{length}"
    assert (task.dim, task.vocab, task.n_motifs, task.motif_length, task.quantization) == (length, 32, 4, 8, 8)
    assert task.value(task.optimal_solution()[None])[0] == 1.0
    assert task.cache_key(0) != get_task("ehrlich", n_total=20).cache_key(0)


def test_infeasible_value_is_named_and_lowest():
    assert INFEASIBLE_VALUE == 0.0
    task = Ehrlich(n_total=50)
    rng = np.random.default_rng(0)
    X = rng.integers(0, task.vocab, (300, task.dim))
    feasible = task.is_feasible(X)
    assert (~feasible).any()
    assert np.all(task.value(X[~feasible]) == INFEASIBLE_VALUE)
    assert np.all(task.value(X[feasible]) >= INFEASIBLE_VALUE)


def test_spacing_weights_are_normalized_uniform_draws():
    # holo: w = rand(k - 1) / sum, gaps 1 + floor(w * ((L - c k) // c)); with k = 3 the first
    # weight is U / (U + V), whose mean is 1/2 (as for Dirichlet(1)) but whose spread differs:
    # P(w < 0.1) = 0.1 under Dirichlet(1, 1) and 0.1 / 1.8 = 0.056 for U / (U + V).
    slack = 200
    fractions = []
    for seed in range(300):
        task = Ehrlich(length=slack + 3, vocab=8, motifs=1, motif_length=3, n_total=10, instance_seed=seed)
        gaps = np.diff(task.offsets[0]) - 1
        assert gaps.sum() <= slack and np.all(gaps >= 0)
        fractions.append(gaps[0] / slack)
    fractions = np.array(fractions)
    assert abs(fractions.mean() - 0.5) < 0.05
    assert np.mean(fractions < 0.1) < 0.09


def test_holo_instance_raises_a_named_error_when_not_ergodic(monkeypatch):
    """The instance is drawn on first use (listing tasks needs no torch); a bad one is named then."""
    import torch

    from dist_ombo.tasks import ehrlich

    monkeypatch.setattr(torch, "eye", lambda v, dtype=None: torch.zeros(v, v, dtype=dtype))
    monkeypatch.setattr(ehrlich, "BAND_FRACTION", 0.0)  # mask: one shuffled permutation, no diagonal
    with pytest.raises(ConfigError, match="not ergodic"):
        for seed in range(20):
            Ehrlich(length=12, vocab=6, motifs=1, motif_length=3, instance_seed=seed).transition_matrix


HOLO_CASES = [(32, 256, 4, 8, 8, 0), (32, 32, 4, 4, 4, 0), (32, 32, 4, 4, 4, 3), (20, 64, 8, 4, 2, 1),
              (8, 16, 2, 3, 3, 5)]


@pytest.mark.parametrize("v,L,c,k,q,seed", HOLO_CASES)
def test_matches_pytorch_holo(v, L, c, k, q, seed):
    """Same instance as holo's ``random_seed`` and the same values (holo scores infeasible -inf).

    Skipped unless ``holo`` imports. pytorch-holo 0.0.5 requires numpy<2 and pulls in wandb and
    hydra-core, so it is not in the test extras; its Ehrlich needs only torch, botorch and pooch:
    ``pip install --no-deps --target DIR pytorch-holo==0.0.5 pooch`` and put DIR on PYTHONPATH.
    """
    closed_form = pytest.importorskip("holo.test_functions.closed_form")
    import torch

    ours = Ehrlich(vocab=v, length=L, motifs=c, motif_length=k, quantization=q, instance_seed=seed, n_total=10)
    holo = closed_form.Ehrlich(num_states=v, dim=L, num_motifs=c, motif_length=k, quantization=q,
                               random_seed=seed)
    np.testing.assert_array_equal(ours.transition_matrix, holo.transition_matrix.double().numpy())
    np.testing.assert_array_equal(ours.motifs, torch.stack(holo.motifs).numpy())
    holo_offsets = np.stack([np.concatenate([[0], np.cumsum(s.numpy())]) for s in holo.spacings])
    np.testing.assert_array_equal(ours.offsets, holo_offsets)
    np.testing.assert_array_equal(ours.optimal_solution(), holo.optimal_solution().numpy())
    rng = np.random.default_rng(seed)
    X = np.concatenate([ours.sample_dmp(300, L, rng), rng.integers(0, v, (300, L))])
    f_holo = holo.evaluate_true(torch.as_tensor(X)).double().numpy()
    f_ours = ours.value(X)
    feasible = np.isfinite(f_holo)
    np.testing.assert_array_equal(feasible, ours.is_feasible(X))
    np.testing.assert_allclose(f_ours[feasible], f_holo[feasible], rtol=1e-6)  # holo multiplies in float32
    assert np.all(np.isneginf(f_holo[~feasible])) and np.all(f_ours[~feasible] == INFEASIBLE_VALUE)
