import numpy as np
import pytest

from dist_ombo.errors import ConfigError
from dist_ombo.catalog import get_method
from dist_ombo.runner import TrialConfig, check_compatible, run_trial
from dist_ombo.search.evolutionary import EvolutionConfig, evolutionary_search
from dist_ombo.search.permutation import is_permutation, permutation_refusal, start_from_zero
from dist_ombo.tasks import get_task

TINY = {"n_total": 200, "generations": 8, "pop_size": 30}


class _TourSurrogate:
    """A stand-in model: the true tour lengths (so search has something to improve)."""

    def __init__(self, task):
        self.task = task

    def predict(self, X):
        Y = self.task.oracle(np.asarray(X, dtype=np.int64))
        return Y, np.zeros_like(Y)


def test_start_from_zero_rotates_only():
    X = np.array([[2, 0, 1, 3], [0, 3, 2, 1], [3, 2, 1, 0]])
    np.testing.assert_array_equal(start_from_zero(X), [[0, 1, 3, 2], [0, 3, 2, 1], [0, 3, 2, 1]])
    assert is_permutation(X).all() and not is_permutation(np.array([[0, 0, 1, 2]])).any()


@pytest.mark.parametrize("algorithm", ["nsga2", "nsga3", "smsemoa", "moead"])
def test_evolutionary_search_keeps_permutations(algorithm):
    task = get_task("bi_tsp_20", **TINY)
    data = task.dataset(seed=0, cache=False)
    cfg = EvolutionConfig(algorithm=algorithm, pop_size=24, n_gen=5)
    X, n_evals = evolutionary_search(_TourSurrogate(task), data.X, data.Y, task.lower, task.upper, 16, cfg,
                                     seed=1, n_categories=task.n_categories, design_kind="permutation")
    assert X.dtype == np.int64 and len(X) > 0 and n_evals > 0
    assert is_permutation(X).all()
    assert np.all(X[:, 0] == 0)  # the data's canonical rotation is kept
    assert len(np.unique(X, axis=0)) == len(X)


def test_search_improves_on_the_data_with_a_perfect_model():
    task = get_task("bi_kp_50", **TINY)
    data = task.dataset(seed=0, cache=False)
    cfg = EvolutionConfig(algorithm="nsga2", pop_size=40, n_gen=30)
    X, _ = evolutionary_search(_TourSurrogate(task), data.X, data.Y, task.lower, task.upper, 40, cfg,
                               seed=0, n_categories=task.n_categories, design_kind="permutation")
    assert is_permutation(X).all()
    assert task.oracle(X).sum(axis=1).min() < data.Y.sum(axis=1).min()


def test_methods_that_cannot_keep_permutations_are_refused():
    task = get_task("bi_tsp_20", **TINY)
    for name in ["pgs", "model-free-ga", "paretoflow-nsga2", "ddom"]:
        with pytest.raises(ConfigError, match="cannot search permutations"):
            check_compatible(task, get_method(name))
    check_compatible(task, get_method("ensemble-nsga2"))
    assert permutation_refusal("evolutionary", "cmaes", None)
    assert permutation_refusal("gradient", None, None)


def test_refusal_comes_before_any_dataset_work(tmp_path, monkeypatch):
    monkeypatch.setenv("DIST_OMBO_CACHE", str(tmp_path))
    with pytest.raises(ConfigError, match="cannot search permutations"):
        run_trial(TrialConfig(task="bi_tsp_20", method="pgs", budget="smoke", task_params=TINY))
    assert not any(tmp_path.rglob("*.parquet"))


@pytest.mark.slow
@pytest.mark.parametrize("task_name", ["bi_tsp_20", "bi_kp_50"])
def test_ensemble_nsga2_end_to_end_on_permutations(task_name, one_torch_thread):
    cfg = TrialConfig(task=task_name, method="ensemble-nsga2", budget="smoke", task_params=TINY)
    result = run_trial(cfg)
    X = result.proposals[[c for c in result.proposals if c.startswith("x")]].to_numpy()
    assert is_permutation(X).all()
    assert np.isfinite(result.metrics["hv"]) and result.metrics["hv"] > 0
    again = run_trial(cfg)
    np.testing.assert_array_equal(again.proposals.to_numpy(), result.proposals.to_numpy())


def test_sweep_grid_skips_methods_that_cannot_search_permutations():
    from dist_ombo.distributed.sweep_config import SweepConfig, expand_grid

    cfg = SweepConfig(tasks=({"name": "bi_kp_50", "params": TINY},), methods=("ensemble-nsga2", "pgs", "ddom-nsga2"),
                      seeds=(0,))
    points, skipped = expand_grid(cfg)
    assert [p.method_label for p in points] == ["ensemble-nsga2"]
    assert len(skipped) == 2 and all("cannot search permutations" in s for s in skipped)


def test_routing_surrogates_see_adjacency_features(monkeypatch, one_torch_thread):
    from dist_ombo import runner

    seen = []

    def trainer(jobs, show_progress=False):
        seen.extend(jobs)
        return runner.local_trainer(jobs, show_progress)

    for encoding, n_features, n_categories in (("adjacency", 20 * 19 // 2, None), ("position", 20, 20)):
        seen.clear()
        cfg = TrialConfig(task="bi_tsp_20", method="ensemble-nsga2", budget="smoke",
                          task_params={**TINY, "encoding": encoding})
        result = run_trial(cfg, trainer=trainer)
        assert seen[0].problem.X.shape[1] == n_features and seen[0].problem.n_categories == n_categories
        X = result.proposals[[c for c in result.proposals if c.startswith("x")]].to_numpy()
        assert X.shape[1] == 20 and is_permutation(X).all()
        assert np.isfinite(result.metrics["final_val_loss"])
    assert get_task("bi_tsp_20").surrogate_encoding == "adjacency"
    assert get_task("bi_kp_50").surrogate_encoding == "position"
    with pytest.raises(ConfigError, match="unknown encoding"):
        get_task("bi_tsp_20", encoding="edges")


def test_cli_refuses_before_starting_ray(monkeypatch, capsys):
    from dist_ombo.cli import main
    from dist_ombo.distributed import cluster

    def no_ray(*args, **kwargs):
        raise AssertionError("Ray was started for a trial that cannot run")

    monkeypatch.setattr(cluster, "init_ray", no_ray)
    assert main(["run", "--task", "bi_tsp_20", "--method", "ddom-nsga2", "--budget", "smoke"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot search permutations" in err[0]
