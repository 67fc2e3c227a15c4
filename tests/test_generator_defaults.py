"""The rule that picks the generators' defaults on held-out tasks (benchmarks/generator_defaults.py)."""

import pytest

from benchmarks.generator_defaults import TUNING_SEEDS, TUNING_TASKS, decide

CANDIDATES = (0.0, 0.1, 0.3)


def _table(gain: dict[float, list[float]]):
    """HV / D(best) 1.0 for the old default plus a per-cell gain for each candidate."""
    cells = [(t, s) for t in TUNING_TASKS for s in TUNING_SEEDS]
    return {(t, s, v): {"hv_ratio": 1.0 + gain[v][i], "copy_fraction": 0.0}
            for v in CANDIDATES for i, (t, s) in enumerate(cells)}


def test_a_consistent_gain_is_adopted():
    n = len(TUNING_TASKS) * len(TUNING_SEEDS)
    d = decide(_table({0.0: [0.0] * n, 0.1: [0.01] * n, 0.3: [0.02 + 0.001 * i for i in range(n)]}), 0.0, CANDIDATES)
    assert d["best"] == 0.3 and d["adopted"] and d["default"] == 0.3


def test_a_gain_within_its_standard_error_keeps_the_old_default():
    n = len(TUNING_TASKS) * len(TUNING_SEEDS)
    noisy = [0.05 if i == 0 else -0.005 for i in range(n)]  # mean > 0, carried by one cell
    d = decide(_table({0.0: [0.0] * n, 0.1: [-0.01] * n, 0.3: noisy}), 0.0, CANDIDATES)
    assert d["best"] == 0.3 and d["values"]["0.3"]["diff_mean"] > 0
    assert not d["adopted"] and d["default"] == 0.0


def test_a_missing_cell_is_an_error_not_a_smaller_sample():
    n = len(TUNING_TASKS) * len(TUNING_SEEDS)
    table = _table({v: [0.0] * n for v in CANDIDATES})
    del table[(TUNING_TASKS[0], TUNING_SEEDS[0], 0.3)]
    with pytest.raises(SystemExit, match="incomplete"):
        decide(table, 0.0, CANDIDATES)
