"""Every robust method end to end on a tiny MOO and a tiny SOO task (smoke budget), and the
registries and budgets they plug into."""

from __future__ import annotations

import numpy as np
import pytest

from dist_ombo.errors import ConfigError
from dist_ombo.catalog import METHODS, SCHEMES, get_budget, get_method, get_scheme
from dist_ombo.pipeline import resolve_configs
from dist_ombo.problem import OfflineProblem
from dist_ombo.runner import TrialConfig, run_trial

TASKS = {"moo": ("zdt1", {"n_total": 400}), "soo": ("ackley", {"n_total": 300, "dim": 3})}
#: The robust schemes' methods, PGS and the model-free GA.
ROBUST = [s for s in METHODS.values() if s.kind in ("surrogate", "model-free")
          and (s.scheme != "ensemble" or s.search == "pgs")]
ROBUST_SCHEMES = [name for name, s in SCHEMES.items() if s.fit_ref.startswith("dist_ombo.models.robust.")]
CASES = [(spec.name, kind) for spec in ROBUST for kind in spec.objectives]


@pytest.mark.parametrize("method,kind", CASES, ids=[f"{m}-{k}" for m, k in CASES])
def test_method_runs_end_to_end(method, kind):
    task, params = TASKS[kind]
    result = run_trial(TrialConfig(task=task, method=method, budget="smoke", task_params=params))
    m = result.metrics
    assert m["n_proposals"] > 0 and m["method"] == method
    X = result.proposals[[c for c in result.proposals.columns if c.startswith("x")]].to_numpy()
    assert np.isfinite(X).all()
    if kind == "moo":
        assert m["hv"] >= 0 and np.all((X >= 0) & (X <= 1))
    else:
        assert np.isfinite(m["score_100th"])


def test_discrete_method_keeps_tokens():
    params = {"length": 12, "vocab": 6, "motifs": 2, "motif_length": 3, "n_total": 300}
    result = run_trial(TrialConfig(task="ehrlich", method="coms-grad", budget="smoke", task_params=params))
    X = result.proposals[[f"x{i}" for i in range(12)]].to_numpy()
    assert np.all(X == np.round(X)) and X.min() >= 0 and X.max() <= 5


def test_robust_families_are_all_listed():
    assert len(ROBUST) == 21 and len(ROBUST_SCHEMES) == 11


@pytest.mark.parametrize("name", ROBUST_SCHEMES)
def test_scheme_state_round_trip(name, wavy):
    X, Y = wavy
    scheme = get_scheme(name)
    cfg = scheme.make_config(get_budget("smoke")["model"], {"epochs": 1, "max_steps": 3} |
                             ({"finetune_steps": 2} if name in ("ict", "tri-mentoring") else {}))
    model = scheme.train(OfflineProblem(X, np.hstack([Y, Y ** 2]), np.zeros(4), np.ones(4)), cfg, 0)
    back = scheme.from_state(model.state())
    np.testing.assert_array_equal(model.predict(X[:5])[0], back.predict(X[:5])[0])
    with pytest.raises(ConfigError, match="unknown"):
        scheme.make_config({}, {"epochs_typo": 1})


def test_budgets_reach_the_searches_and_moo_methods_use_the_best_fifth():
    resolved = resolve_configs(get_method("pgs"), "smoke")
    assert resolved.search.rl_steps == get_budget("smoke")["pgs"]["rl_steps"] == 10
    coms = resolve_configs(get_method("coms-nsga2"), "cpu")
    assert coms.model.data_fraction == 0.2 and coms.model.hidden == (256, 256)
    assert get_method("model-free-ga").scheme is None
