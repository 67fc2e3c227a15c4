"""Verdicts against published numbers, headroom and saturation, on synthetic result tables."""

import numpy as np
import pandas as pd
import pytest

from dist_ombo.reporting.leaderboard import DBEST, format_leaderboard, leaderboard
from dist_ombo.reporting.verdicts import completeness, published_comparison, saturated_tasks


def re21_table(headroom=True):
    """re21 over seeds 0-2: ``full`` finished every seed; ``lucky`` only seed 2 (the seed with the
    weakest D(best), so its one-seed ratio looks best); ``pending`` not run at all."""
    dbest = {0: 4.0, 1: 5.0, 2: 3.0}
    rows = []
    for seed, d in dbest.items():
        hv = d * 1.13
        rows.append(dict(task="re21", method="full", seed=seed, status="ok", hv=hv, hv_dbest=d,
                         **({"headroom": 0.5 + 0.1 * seed, "hv_front": 2 * d} if headroom else {})))
        rows.append(dict(task="re21", method="pending", seed=seed, status="missing"))
        if seed == 2:
            rows.append(dict(task="re21", method="lucky", seed=seed, status="ok", hv=d * 1.3, hv_dbest=d,
                             **({"headroom": 0.9} if headroom else {})))
        else:
            rows.append(dict(task="re21", method="lucky", seed=seed, status="error", error="boom"))
    return pd.DataFrame(rows)


def test_only_complete_methods_are_judged_against_dbest_of_the_same_seeds():
    comp = published_comparison(re21_table()).set_index("task")
    row = comp.loc["re21"]
    assert row["our best method"] == "full" and row["seeds"] == 3  # lucky's 1.3 on one seed is not judged
    assert row["our D(best)"] == pytest.approx(4.0)  # mean of seeds 0-2, never one seed's
    assert row["our ratio"] == pytest.approx(1.13)
    assert row["SE"] == pytest.approx(0.0, abs=1e-12)
    assert row["published best ratio"] == pytest.approx(4.60 / 4.10)
    assert row["verdict"] == "beats"  # 1.13 - 1.122 > 0 = SE
    assert row["incomplete (not judged)"] == "lucky 1/3, pending 0/3"


def test_front_ratio_is_the_ceiling_and_marks_published_ratios_no_design_reaches():
    from dist_ombo.reporting.markdown import side_by_side
    from dist_ombo.reporting.verdicts import above_front

    row = published_comparison(re21_table()).iloc[0]
    assert row["front ratio"] == pytest.approx(2.0)  # hv_front = 2 x D(best) on every seed
    table = re21_table()
    full = table["method"] == "full"
    table.loc[full, "hv"] = table.loc[full, "hv_dbest"] * 1.05
    table.loc[full, "hv_front"] = table.loc[full, "hv_dbest"] * 1.1  # published 4.60 / 4.10 = 1.122
    comp, summary = side_by_side(table)
    assert comp["verdict"].iloc[0] == "below" and list(above_front(comp)) == [True]
    assert "On 1 of the 1 below, the published ratio is above our front ratio" in summary and "(re21)" in summary
    table = re21_table(headroom=False)  # no reference front: nothing claimed
    table.loc[full, "hv"] = table.loc[full, "hv_dbest"] * 1.05
    comp, summary = side_by_side(table)
    assert comp["verdict"].iloc[0] == "below" and np.isnan(comp["front ratio"].iloc[0])
    assert "front ratio" not in summary


def test_a_task_without_a_complete_method_has_no_verdict():
    table = re21_table()
    table = table[table["method"] != "full"]
    row = published_comparison(table).iloc[0]
    assert row["verdict"] == "no complete method" and np.isnan(row["our ratio"])


def test_completeness_counts_seeds_of_the_sweep():
    status = completeness(re21_table()).set_index("method")
    assert status.loc["full", "complete"] and status.loc["full", "finished"] == 3
    assert not status.loc["lucky", "complete"] and status.loc["lucky", "finished"] == 1
    assert status.loc["pending", "seeds"] == 3 and status.loc["pending", "finished"] == 0


def test_saturation_needs_headroom_above_threshold_on_every_seed():
    table = re21_table()
    assert saturated_tasks(table) == set()  # full's headroom 0.5-0.7
    table.loc[table["method"] == "full", "headroom"] = [0.995, 0.999, 0.992]
    assert saturated_tasks(table) == {"re21"}
    table.loc[(table["method"] == "full") & (table["seed"] == 1), "headroom"] = 0.98
    assert saturated_tasks(table) == set()  # one seed below the threshold
    assert saturated_tasks(re21_table(headroom=False)) == set()  # old trials: never saturated


def test_saturated_task_is_marked_in_every_table(tmp_path):
    from dist_ombo.reporting.markdown import write_markdown

    table = re21_table()
    table.loc[table["method"] == "full", "headroom"] = [0.995, 0.999, 0.992]
    per_task, mean_rank = leaderboard(table)
    assert "SATURATED" in format_leaderboard(per_task, mean_rank)
    assert published_comparison(table).iloc[0]["saturated"] == "yes"
    text = (write_markdown(table, [tmp_path], tmp_path / "r.md")).read_text()
    assert "### re21 (HV (Off-MOO-Bench)) (saturated)" in text
    assert "| method | re21 (saturated) | mean rank |" in text  # the overview tables' column


def test_leaderboard_shows_headroom_beside_hv_and_a_dash_where_a_trial_lacks_it():
    table = re21_table()
    per_task, mean_rank = leaderboard(table)
    full = per_task.set_index("method").loc["full"]
    assert full["headroom"] == pytest.approx(0.6)
    text = format_leaderboard(per_task, mean_rank)
    assert "headroom" in text and "0.600" in text
    # an older trial without the key: the method's headroom is unknown, shown as a dash
    table.loc[(table["method"] == "full") & (table["seed"] == 0), "headroom"] = np.nan
    per_task, mean_rank = leaderboard(table)
    assert np.isnan(per_task.set_index("method").loc["full", "headroom"])
    assert "—" in format_leaderboard(per_task, mean_rank)
    # no trial holds the key at all: no headroom column, nothing crashes
    per_task, mean_rank = leaderboard(re21_table(headroom=False))
    assert "headroom" not in format_leaderboard(per_task, mean_rank)
    assert per_task.set_index("method").loc[DBEST, "mean"] == pytest.approx(4.0)


def test_heatmap_uses_headroom_when_every_cell_has_it_and_the_ratio_otherwise(tmp_path):
    from dist_ombo.reporting.plots import heatmap_values, write_heatmap

    values, kind = heatmap_values(re21_table())
    assert kind == "headroom" and values.loc["full", "re21"] == pytest.approx(0.6)
    values, kind = heatmap_values(re21_table(headroom=False))
    assert kind == "ratio" and values.loc["lucky", "re21"] == pytest.approx(1.3)
    assert list(values.index) == ["lucky", "full"]  # best first
    path = write_heatmap(re21_table(), tmp_path / "heatmap.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_dbest_disagreements_name_the_task_seed_and_methods():
    from dist_ombo.reporting.verdicts import dbest_disagreements

    table = re21_table()
    assert dbest_disagreements(table).empty
    table.loc[(table["method"] == "lucky") & (table["seed"] == 2), "hv_dbest"] = 3.001
    found = dbest_disagreements(table)
    assert list(found["task"]) == ["re21"] and list(found["seed"]) == [2]
    assert found["methods per value"].iloc[0] == "3: full; 3.001: lucky"
    assert found["datasets"].iloc[0] == 0  # no trial recorded a dataset checksum


def test_dbest_disagreements_flag_trials_on_different_datasets_with_equal_dbest():
    from dist_ombo.reporting.verdicts import dbest_disagreements

    table = re21_table()
    table["dataset_sha256"] = "a" * 64
    assert dbest_disagreements(table).empty
    table.loc[(table["method"] == "lucky") & (table["seed"] == 2), "dataset_sha256"] = "b" * 64
    found = dbest_disagreements(table)
    assert list(found["seed"]) == [2] and found["datasets"].iloc[0] == 2
    assert found["D(best) values"].iloc[0] == 1 and found["relative spread"].iloc[0] == 0
