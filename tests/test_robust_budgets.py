"""The non-inferiority rule that picks COMs' and RoMA's cpu-budget steps (benchmarks/robust_budgets.py)."""

import pandas as pd
import pytest

from benchmarks.robust_budgets import PLAIN, decide

CELLS = [(t, s) for t in ("dtlz2", "dtlz3", "dtlz4") for s in (0, 1)]


def _table(loss: list[float], status: str = "ok") -> pd.DataFrame:
    """HV / D(best) 1.0 for the current setting, 1.0 + loss for the cheaper one; the cheaper trial
    takes half the current's seconds and the plain ensemble a quarter."""
    rows = []
    for (task, seed), d in zip(CELLS, loss):
        for method, hv, seconds in (("cur", 1.0, 400.0), ("cheap", 1.0 + d, 200.0), (PLAIN, 1.01, 100.0)):
            rows.append({"trial_id": f"{task}__{method}__seed{seed}", "task": task, "seed": seed, "method": method,
                         "status": status, "hv_ratio": hv, "time_total_s": seconds, "time_train_s": seconds - 10})
    return pd.DataFrame(rows)


def test_a_small_steady_loss_is_within_the_margin():
    d = decide(_table([-0.004, -0.005, -0.003, -0.004, -0.006, -0.004]), "cur", "cheap")
    assert d["adopted"] and d["diff_mean"] == pytest.approx(-0.0043333, abs=1e-6)
    assert d["cost"]["cur"]["x_plain_median"] == 4.0 and d["cost"]["cheap"]["x_plain_median"] == 2.0


def test_a_loss_that_may_exceed_one_percent_keeps_the_current_setting():
    d = decide(_table([0.002, 0.002, 0.001, 0.002, -0.018, -0.011]), "cur", "cheap")  # mean -0.0037, wide
    assert d["diff_mean"] > -0.01 and d["bound"] < -0.01 and not d["adopted"]


def test_an_unfinished_or_missing_trial_stops_the_decision():
    with pytest.raises(SystemExit, match="not ok"):
        decide(_table([0.0] * 6, status="error"), "cur", "cheap")
    with pytest.raises(SystemExit, match="no rows"):
        decide(_table([0.0] * 6).iloc[1:], "cur", "cheap")
