"""Published numbers on another HV scale (docs/published-scale.md): what may be compared."""

import numpy as np
import pandas as pd
import pytest

from dist_ombo import metrics as M
from dist_ombo.reporting.markdown import side_by_side
from dist_ombo.reporting.published import SCALE_NOTES, best_ratio, scale_note
from dist_ombo.reporting.verdicts import RULE_TEXT, published_comparison


def test_the_data_max_rescales_every_hv_alike_so_ratios_to_dbest_do_not_move():
    """Why RE22 and RE31 ratios stay comparable: another data max (one extreme design of an
    unbounded objective) multiplies all HVs of a dataset by one factor."""
    rng = np.random.default_rng(0)
    nadir = np.array([829.0, 2.4e6])
    lo = np.array([5.9, 0.0])
    dbest = lo + rng.random((50, 2)) * (nadir - lo) * 0.5
    proposals = lo + rng.random((50, 2)) * (nadir - lo) * 0.4
    hvs = {}
    for y_max_f2 in (2.4e6, 1.07e8):  # at the nadir (the reference's data) and 45x beyond (our seed 0)
        hi = np.array([884.0, y_max_f2])
        hvs[y_max_f2] = (M.offmoo_hypervolume(dbest, lo, hi, nadir), M.offmoo_hypervolume(proposals, lo, hi, nadir))
    (d1, p1), (d2, p2) = hvs[2.4e6], hvs[1.07e8]
    assert d1 / d2 == pytest.approx(1.07e8 / 2.4e6, rel=1e-9)  # the absolute HV moves 45-fold
    assert p1 / d1 == pytest.approx(p2 / d2, rel=1e-9)  # the ratio does not


def test_vlmop1_hv_cannot_exceed_0_3025_when_y_spans_the_whole_box():
    """The cap behind VLMOP1's note: nadir (4, 4), y in [0, 16]; the whole Pareto front scores
    below 2.2^2 * (4 / 16)^2 = 0.3025, so a published 4.83 stands on another y range."""
    x = np.linspace(-2.0, 4.0, 2001)
    Y = np.column_stack([x**2, (x - 2.0) ** 2])
    hv = M.offmoo_hypervolume(Y, Y.min(axis=0), Y.max(axis=0), np.array([4.0, 4.0]))
    assert 0.25 < hv < 0.3025


def test_notes_name_their_tasks_and_only_vlmop1_ratio_is_withheld():
    assert set(SCALE_NOTES) == {"re22", "re31", "vlmop1"}
    assert scale_note("re22").ratio_comparable and scale_note("re31").ratio_comparable
    assert not scale_note("vlmop1").ratio_comparable
    assert scale_note("zdt1") is None
    assert best_ratio("vlmop1") is None  # 4.83 / 0.08 is not offered as a target
    assert best_ratio("re22") == (pytest.approx(4.99 / 4.78), "ParetoFlow")


def _table(task: str, dbest: float, ratio: float) -> pd.DataFrame:
    return pd.DataFrame([dict(task=task, method="m", seed=s, status="ok", hv=dbest * (ratio + 0.01 * s),
                              hv_dbest=dbest) for s in range(3)])


def test_a_task_whose_published_ratio_mixes_scales_is_shown_but_not_judged():
    table = pd.concat([_table("vlmop1", 0.29, 1.01), _table("re22", 0.1, 1.00)], ignore_index=True)
    comp = published_comparison(table).set_index("task")
    v = comp.loc["vlmop1"]
    assert v["verdict"] == "not comparable" and np.isnan(v["ratio difference"])
    assert v["our ratio"] == pytest.approx(1.02)  # our numbers are still shown
    assert v["published best ratio"] == pytest.approx(4.83 / 0.08)
    assert "mix y scales" in v["scale note"]
    r = comp.loc["re22"]
    assert r["verdict"] == "below"  # 1.01 +- 0.006 against 4.99 / 4.78 = 1.044: still judged
    assert "ratio comparable" in r["scale note"]
    _, summary = side_by_side(table)
    assert "below on 1 of 1 judged tasks (1 not judged)" in summary
    assert "scale note" in RULE_TEXT


def test_tasks_without_a_note_have_an_empty_scale_note():
    comp = published_comparison(_table("re21", 4.0, 1.13))
    assert comp.iloc[0]["scale note"] == "" and comp.iloc[0]["verdict"] == "beats"
