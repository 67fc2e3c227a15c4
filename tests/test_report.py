import numpy as np
import pandas as pd
import pytest

from dist_ombo.reporting.leaderboard import DBEST, format_leaderboard, leaderboard
from dist_ombo.reporting.plots import write_plots


def hand_made():
    rows = []
    # task A (MOO): method m1 better than m2; D(best) = 4.0 on every seed
    for seed, (h1, h2) in enumerate([(5.0, 3.0), (5.2, 3.2), (4.8, 3.4)]):
        rows.append(dict(task="A", method="m1", seed=seed, status="ok", hv=h1, hv_dbest=4.0))
        rows.append(dict(task="A", method="m2", seed=seed, status="ok", hv=h2, hv_dbest=4.0))
    # task B (SOO): m2 better than m1; D(best) 0.5
    for seed, (s1, s2) in enumerate([(0.6, 0.9), (0.4, 0.8)]):
        rows.append(dict(task="B", method="m1", seed=seed, status="ok", score_100th=s1, score_dbest=0.5))
        rows.append(dict(task="B", method="m2", seed=seed, status="ok", score_100th=s2, score_dbest=0.5))
    rows.append(dict(task="B", method="m1", seed=2, status="error", error="boom"))
    return pd.DataFrame(rows)


def test_leaderboard_ranks_and_means():
    per_task, mean_rank = leaderboard(hand_made())
    a = per_task[per_task.task == "A"].set_index("method")
    assert a.loc["m1", "mean"] == pytest.approx(5.0)
    assert a.loc["m1", "std"] == pytest.approx(np.std([5.0, 5.2, 4.8]))
    assert list(a.sort_values("rank").index) == ["m1", DBEST, "m2"]
    assert a.loc["m1", "beats_dbest"] == "yes" and a.loc["m2", "beats_dbest"] == "no"
    assert a.loc["m1", "seeds_beating"] == "3/3"
    b = per_task[per_task.task == "B"].set_index("method")
    assert b.loc["m1", "mean"] == pytest.approx(0.5) and b.loc["m1", "failed"] == 1
    assert b.loc["m1", "beats_dbest"] == "no"  # 0.5 does not exceed 0.5
    ranks = mean_rank.set_index("method")["mean_rank"]
    # m1: ranks 1 (A) and 2.5 (B tie with D(best)); m2: 3 and 1; D(best): 2 and 2.5
    assert ranks["m1"] == pytest.approx(1.75) and ranks["m2"] == pytest.approx(2.0)
    assert ranks[DBEST] == pytest.approx(2.25)
    text = format_leaderboard(per_task, mean_rank)
    assert "m1" in text and "mean rank" in text


def test_plots_are_written(tmp_path):
    written = write_plots(hand_made(), tmp_path, tmp_path / "plots")
    names = {p.name for p in written}
    assert {"scores.png", "mean_rank.png"} <= names
    assert all(p.stat().st_size > 1000 for p in written)


def test_statistics_on_a_hand_made_score_matrix():
    from dist_ombo.reporting.stats import compare, critical_difference

    rows = []
    for t in range(6):  # method a always best, c always worst
        for m, s in (("a", 3.0 + t), ("b", 2.0 + t), ("c", 1.0 + t)):
            rows.append({"task": f"t{t}", "method": m, "mean": s})
    result = compare(pd.DataFrame(rows))
    assert result["best"] == "a" and result["mean_ranks"] == {"a": 1.0, "b": 2.0, "c": 3.0}
    assert result["friedman_p"] < 0.01
    assert result["cd"] == pytest.approx(2.343 * np.sqrt(3 * 4 / 36), rel=1e-3)  # Demsar's Table 5 q
    assert result["wilcoxon_vs_best"]["c"] < 0.05
    assert np.isnan(critical_difference(1, 5))


def test_markdown_report_compares_with_published(tmp_path):
    from dist_ombo.reporting.markdown import write_markdown
    from dist_ombo.reporting.verdicts import published_comparison

    table = hand_made().assign(task=lambda f: f["task"].map({"A": "zdt1", "B": "ackley-3"}))
    comp = published_comparison(table)
    assert list(comp["task"]) == ["zdt1"]
    assert comp["published best ratio"].iloc[0] == pytest.approx(4.87 / 4.04)
    assert comp["our ratio"].iloc[0] == pytest.approx(5.0 / 4.0)
    # 1.25 - 1.205 = 0.045 > SE = std([1.25, 1.3, 1.2], ddof 1) / sqrt(3) = 0.029
    assert comp["verdict"].iloc[0] == "beats"
    out = write_markdown(table, tmp_path, tmp_path / "docs" / "results.md")
    text = out.read_text()
    assert "## Leaderboard per task" in text and "### zdt1" in text and "published best ratio" in text
    assert "beats on 1, matches on 0, below on 0 of 1 judged tasks" in text
    assert text.index("heatmap.png") < text.index("## Against published") < text.index("## Overview")


def test_several_sweeps_merge_into_one_report(tmp_path):
    from dist_ombo.reporting.markdown import write_markdown
    from dist_ombo.reporting.results import load_sweeps

    table = hand_made()
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    table[table.task == "A"].to_parquet(tmp_path / "one" / "results.parquet")
    table[table.task == "B"].to_parquet(tmp_path / "two" / "results.parquet")
    merged = load_sweeps([tmp_path / "one", tmp_path / "two"])
    assert len(merged) == len(table)
    assert set(merged["sweep"]) == {str(tmp_path / "one"), str(tmp_path / "two")}
    out = write_markdown(merged, [tmp_path / "one", tmp_path / "two"], tmp_path / "docs" / "results.md")
    text = out.read_text()
    assert "### A" in text and "### B" in text and "beats D(best) on" in text
    assert "| m1 | 1.250 (3) | 1.000 (2) |" in text  # overview: ratio to D(best), seeds
    assert f"`{tmp_path / 'two'}`" in text


def test_overlapping_sweeps_are_refused(tmp_path):
    from dist_ombo.reporting.results import load_sweeps

    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        hand_made().to_parquet(tmp_path / name / "results.parquet")
    with pytest.raises(ValueError, match="share \\(task, method, seed\\)"):
        load_sweeps([tmp_path / "one", tmp_path / "two"])


def test_verdict_against_published():
    from dist_ombo.reporting.verdicts import judge

    # mean 1.10, SE = 0.1 / sqrt(3) = 0.0577
    assert judge([1.0, 1.1, 1.2], 1.00).verdict == "beats"  # 0.10 > SE
    assert judge([1.0, 1.1, 1.2], 1.05).verdict == "matches"  # 0.05 < SE
    assert judge([1.0, 1.1, 1.2], 1.20).verdict == "below"  # -0.10 < -SE
    assert judge([1.0, 1.1, 1.2], 1.00).se == pytest.approx(0.1 / np.sqrt(3))
    assert judge([1.3], 1.00).verdict == "not judged"  # one seed has no SE


def test_ratio_uses_dbest_of_the_methods_own_seeds():
    rows = [dict(task="A", method="m1", seed=0, status="ok", hv=6.0, hv_dbest=5.0),
            dict(task="A", method="m1", seed=1, status="ok", hv=3.0, hv_dbest=2.0),
            dict(task="A", method="m2", seed=0, status="ok", hv=5.5, hv_dbest=5.0),
            dict(task="A", method="m2", seed=1, status="error", error="boom")]
    per_task, _ = leaderboard(pd.DataFrame(rows))
    a = per_task.set_index("method")
    assert a.loc[DBEST, "mean"] == pytest.approx(3.5)  # over every seed
    assert a.loc["m2", "ratio_to_dbest"] == pytest.approx(5.5 / 5.0)  # its own seed, not 5.5 / 3.5
    assert a.loc["m1", "ratio_to_dbest"] == pytest.approx((6.0 / 5.0 + 3.0 / 2.0) / 2)  # per seed, then mean


def test_trial_costs_table():
    from dist_ombo.reporting.markdown import trial_costs

    table = hand_made().assign(time_train_s=1.0, time_search_s=2.0, time_total_s=3.0)
    table.loc[table["method"] == "m2", "time_total_s"] = 7.0
    costs = trial_costs(table).set_index("method")
    assert list(costs.index) == ["m2", "m1"]  # most expensive first
    assert costs.loc["m2", "median total s"] == 7.0 and costs.loc["m1", "trials"] == 5  # errors not counted


def test_score_table_prints_mean_std_and_seeds():
    from dist_ombo.reporting.markdown import score_table

    per_task, mean_rank = leaderboard(hand_made())
    table = score_table(per_task, mean_rank).set_index("method")
    assert table.loc["m1", "A"] == f"5 ± {np.std([5.0, 5.2, 4.8]):.2g} (3)"
    assert table.loc["m2", "B"] == "0.85 ± 0.05 (2)"
    assert table.loc[DBEST, "A"] == "4 ± 0 (3)"


def test_rows_are_selected_by_task_and_method():
    from dist_ombo.reporting.results import select_rows

    table = hand_made()
    part = select_rows(table, tasks=["A"], methods=["m2"])
    assert set(part["task"]) == {"A"} and set(part["method"]) == {"m2"} and len(part) == 3
    assert len(select_rows(table)) == len(table)
    with pytest.raises(ValueError, match="no method 'nope'.*m1, m2"):
        select_rows(table, methods=["m1", "nope"])


def test_every_method_is_listed_even_when_all_its_trials_failed(tmp_path):
    from dist_ombo.reporting.markdown import write_markdown

    table = pd.concat([hand_made(), pd.DataFrame([
        dict(task="A", method="broken", seed=s, status="error", error="boom") for s in range(3)] + [
        dict(task="C", method="m1", seed=0, status="error", error="boom")])], ignore_index=True)
    per_task, mean_rank = leaderboard(table)
    broken = per_task[(per_task.task == "A") & (per_task.method == "broken")].iloc[0]
    assert broken["n"] == 0 and broken["failed"] == 3 and np.isnan(broken["mean"])
    assert set(per_task[per_task.task == "C"]["method"]) == {"m1"}  # a task with no finished trial
    assert mean_rank.set_index("method").loc["broken", "tasks"] == 0
    text = format_leaderboard(per_task, mean_rank)
    assert "broken" in text and "every trial failed" in text and "no finished trial" in text
    md = write_markdown(table, [tmp_path], tmp_path / "r.md").read_text()
    assert "| broken | failed |" in md


def test_one_table_names_the_headline_metric_of_each_task_kind(monkeypatch):
    from dist_ombo.reporting import headline

    rows = [dict(task="T", method=m, seed=0, status="ok", regret_score=v, regret_dbest=0.5)
            for m, v in (("a", 0.9), ("b", 0.1))]
    monkeypatch.setitem(headline.HEADLINES, "regret", headline.Headline(
        "regret", "regret_score", "regret_dbest", "inverse regret", "1/regret"))
    per_task, _ = leaderboard(pd.DataFrame(rows))
    assert list(per_task.sort_values("rank")["method"]) == ["a", DBEST, "b"]
    assert "inverse regret" in format_leaderboard(*leaderboard(pd.DataFrame(rows)))


def _sweep_dir(tmp_path):
    """A real sweep directory: sweep.json, two finished trials and the sweep's results table."""
    import json

    from dist_ombo.distributed.sweep import config_json
    from dist_ombo.distributed.sweep_config import SweepConfig, expand_grid
    from dist_ombo.reporting.results import rebuild_results

    config = SweepConfig(name="s", tasks=("ackley",), methods=("ensemble-ga", "ensemble-grad"), seeds=(0,))
    (tmp_path / "sweep.json").write_text(config_json(config))
    for point in expand_grid(config)[0]:
        folder = tmp_path / "trials" / point.trial_id
        folder.mkdir(parents=True)
        metrics = dict(task="ackley", method=point.trial.method, seed=0, budget="cpu", score_100th=0.7,
                       score_dbest=0.5, beats_dbest=True)
        (folder / "metrics.json").write_text(json.dumps(metrics))
    rebuild_results(tmp_path)
    return tmp_path


def test_report_reads_results_and_never_rewrites_them(tmp_path, capsys):
    from dist_ombo.cli import main

    sweep = _sweep_dir(tmp_path)
    before = (sweep / "results.parquet").read_bytes()
    (sweep / "trials" / "ackley__ensemble-grad__seed0" / "metrics.json").write_text("{torn")
    assert main(["report", str(sweep), "--no-plots"]) == 0
    out, err = capsys.readouterr()
    assert (sweep / "results.parquet").read_bytes() == before
    assert "could not be read" in err and "ackley__ensemble-grad__seed0/metrics.json: JSONDecodeError" in err
    assert "ensemble-grad" in out and "every trial failed" in out  # listed, counted as failed


def test_a_method_not_run_yet_is_listed_as_not_run_not_as_failed(tmp_path):
    from dist_ombo.reporting.markdown import write_markdown

    table = pd.concat([hand_made(), pd.DataFrame([
        dict(task="A", method="pending", seed=s, status="missing", error=None) for s in range(3)])],
        ignore_index=True)
    per_task, mean_rank = leaderboard(table)
    pending = per_task[(per_task.task == "A") & (per_task.method == "pending")].iloc[0]
    assert pending["n"] == 0 and pending["failed"] == 0
    text = format_leaderboard(per_task, mean_rank)
    assert "not run yet" in text and "every trial failed" not in text
    md = write_markdown(table, [tmp_path], tmp_path / "r.md").read_text()
    assert "| pending | not run |" in md


def test_score_grid_wraps_tasks_into_rows_of_at_most_four_at_screen_width(tmp_path):
    import struct

    from dist_ombo.reporting.plots import GRID_COLUMNS, write_score_grid

    table = pd.concat([hand_made().assign(task=f"t{i}") for i in range(7)], ignore_index=True)
    png = write_score_grid(table, tmp_path / "scores.png").read_bytes()
    width, height = struct.unpack(">II", png[16:24])  # the PNG header's image size
    assert GRID_COLUMNS <= 4 and width == 1400  # readable at a normal screen width, not 7 x 400 px in a row
    assert height >= 2 * 200  # two rows of panels, each at least 200 px tall
