"""The three MOBO methods end to end at the smoke budget: a trial, and ``propose`` on a user table."""

import numpy as np
import pytest

from dist_ombo.errors import ConfigError
from dist_ombo.catalog import get_method
from dist_ombo.runner import TrialConfig, run_trial

METHODS = ["mobo-qnehvi", "mobo-parego", "mobo-jes"]


def test_methods_are_registered():
    for name in METHODS:
        spec = get_method(name)
        assert spec.scheme == "gp" and not spec.discrete and spec.objectives == ("moo",)


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_trial_end_to_end_at_the_smoke_budget(method):
    cfg = TrialConfig(task="zdt1", method=method, seed=0, budget="smoke", task_params={"n_total": 300},
                      n_proposals=12)
    result = run_trial(cfg)
    m, frame = result.metrics, result.proposals
    X = frame[[c for c in frame.columns if c.startswith("x")]].to_numpy()
    assert m["n_proposals"] == 12 and len(np.unique(X, axis=0)) == 12
    assert X.min() >= 0 and X.max() <= 1
    assert m["hv"] > 0 and m["surrogate_evals"] > 0
    assert (frame["pred_std_f0"] > 0).all()


def test_discrete_and_many_objective_tasks_are_refused_before_training():
    from types import SimpleNamespace

    from dist_ombo.runner import check_compatible

    spec = get_method("mobo-jes")
    with pytest.raises(ConfigError, match="does not support discrete designs"):
        check_compatible(SimpleNamespace(name="tokens", kind="moo", is_discrete=True, n_obj=2), spec)
    with pytest.raises(ConfigError, match="mobo-jes' handles at most 3 objectives, got 4; .*mobo-qnehvi"):
        check_compatible(SimpleNamespace(name="four", kind="moo", is_discrete=False, n_obj=4), spec)


@pytest.mark.slow
def test_propose_backend_on_a_user_table(tmp_path):
    from dist_ombo.propose import propose

    rng = np.random.default_rng(0)
    import pandas as pd

    frame = pd.DataFrame({"temp": rng.uniform(20, 80, 60), "ratio": rng.uniform(0, 1, 60),
                          "color": rng.choice(["red", "blue"], 60)})
    frame["cost"] = frame["temp"] / 80 + frame["ratio"] ** 2
    frame["yield"] = frame["ratio"] + 0.2 * (frame["color"] == "red")
    out = tmp_path / "proposals.csv"
    result = propose(frame, "cost:min,yield:max", method="mobo-qnehvi", budget="smoke", n=6, out=out, plot=False)
    written = pd.read_csv(out)
    assert len(written) == 6 and set(written["color"]) <= {"red", "blue"}
    assert written["temp"].between(frame["temp"].min(), frame["temp"].max()).all()
    assert (written["pred_std_cost"] > 0).all()
    assert "method: mobo-qnehvi" in result.summary
    with pytest.raises(ConfigError, match="at most 4 objectives"):
        frame5 = frame.assign(a=frame["cost"], b=frame["yield"], c=frame["ratio"])
        propose(frame5, "cost:min,yield:max,a:min,b:min,c:max", method="mobo-qnehvi", budget="smoke", n=4)
