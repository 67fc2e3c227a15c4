import json

import pytest

from dist_ombo.cli import main
from dist_ombo.distributed.sweep_config import SweepConfig, expand_grid
from dist_ombo.distributed.sweep_plan import (CostModel, MethodPlan, SweepPlan, format_plan, measured_times,
                                               plan_sweep, task_objectives)
from dist_ombo.runner import run_trial

ACK = {"name": "ackley", "params": {"n_total": 200, "dim": 3}, "label": "ackley-3"}


def test_cost_model_uses_cell_medians_and_carries_effects_across_tasks():
    rows = [("t1", "m1", 10.0), ("t1", "m1", 30.0), ("t2", "m1", 100.0), ("t1", "m2", 60.0),
            ("t9", "m9", 5.0)]
    model = CostModel(rows)
    assert model.seconds("t1", "m1") == pytest.approx(20.0)  # the measured cell's median
    # t2 costs m1 5x what t1 does (100 vs 20), so m2 (60 on t1) is estimated at 300 on t2
    assert model.seconds("t2", "m2") == pytest.approx(300.0, rel=1e-6)
    assert model.seconds("t2", "m9") is None  # no measurement links them: not guessed
    assert model.seconds("t3", "m1") is None


def test_cost_model_fits_within_the_objective_count_first():
    # m1 costs the same on two and four objectives; m2 (a hypervolume-based BO) costs 10x more on
    # four. m3 was only measured on two objectives.
    rows = [("t2", "m1", 10.0), ("t2", "m2", 20.0), ("t2", "m3", 30.0),
            ("t4a", "m1", 12.0), ("t4a", "m2", 200.0), ("t4b", "m1", 12.0)]
    objectives = {"t2": 2, "t4a": 4, "t4b": 4}
    model = CostModel(rows, objectives)
    same = model.estimate("t4b", "m2")
    assert same.seconds == pytest.approx(200.0, rel=1e-6) and not same.across_objectives
    crossed = model.estimate("t4b", "m3")  # nothing of m3's on four objectives: the overall fit, flagged
    assert crossed.across_objectives and crossed.seconds == pytest.approx(CostModel(rows).seconds("t4b", "m3"))
    blind = CostModel(rows).estimate("t4b", "m2")  # without objective counts: one fit, not flagged
    assert not blind.across_objectives and blind.seconds < 100.0
    assert model.estimate("t4b", "m9") is None


def test_task_objectives_from_the_grid_and_measured_configs(half_done_sweep, tmp_path):
    _, points, out = half_done_sweep
    for label, config in [("zdt-one", {"task": "zdt1", "task_params": {}}), ("gone", {"task": "no-such-task"}),
                          ("broken", None)]:
        folder = tmp_path / "trials" / f"{label}__m__seed0"
        folder.mkdir(parents=True)
        (folder / "config.json").write_text("{" if config is None else json.dumps(config))
    assert task_objectives(points, [out, tmp_path]) == {"ackley-3": 1, "zdt-one": 2}


def test_plan_says_which_trials_are_costed_across_objective_counts():
    plan = SweepPlan("p", None, 10, 5, 2,
                     [MethodPlan("mobo-x", 10, 5, 2, 7200.0, 0, across_objectives=2)])
    text = format_plan(plan)
    assert "(2 across objective counts)" in text
    assert "2 of them are costed from tasks with other objective counts" in text
    assert "across" not in format_plan(SweepPlan("p", None, 10, 5, 2, [MethodPlan("m", 10, 5, 2, 7200.0, 0)]))


def test_measured_times_keep_the_budget_and_skip_damaged_files(tmp_path):
    for name, metrics in [("a__m__seed0", {"budget": "cpu", "time_total_s": 12.0}),
                          ("a__m__seed1", {"budget": "smoke", "time_total_s": 1.0}),
                          ("b__m__seed0", None)]:
        (tmp_path / "trials" / name).mkdir(parents=True)
        (tmp_path / "trials" / name / "metrics.json").write_text("{" if metrics is None else json.dumps(metrics))
    assert measured_times([tmp_path], "cpu") == [("a", "m", 12.0)]


@pytest.fixture(scope="module")
def half_done_sweep(tmp_path_factory):
    """Two of four trials finished (their times set to 10 s and 30 s), one damaged."""
    out = tmp_path_factory.mktemp("sweep")
    config = SweepConfig(name="plan-test", tasks=(ACK,), methods=("ensemble-ga", "model-free-ga"), seeds=(0, 1),
                         budget="smoke", n_proposals=8, max_concurrent=2)
    points, _ = expand_grid(config)
    ga = [p for p in points if p.method_label == "ensemble-ga"]
    for p, seconds in zip(ga, (10.0, 30.0)):
        folder = out / "trials" / p.trial_id
        run_trial(p.trial, out_dir=folder)
        metrics = json.loads((folder / "metrics.json").read_text())
        (folder / "metrics.json").write_text(json.dumps({**metrics, "time_total_s": seconds}))
    damaged = out / "trials" / "ackley-3__model-free-ga__seed0"
    damaged.mkdir(parents=True)
    (damaged / "metrics.json").write_text("{")
    return config, points, out


def test_plan_counts_what_a_run_would_reuse_and_reads_only(half_done_sweep):
    config, points, out = half_done_sweep
    before = sorted(str(p) for p in out.rglob("*"))
    plan = plan_sweep(config, points, out)
    assert (plan.total, plan.finished, plan.left) == (4, 2, 2)
    by_method = {m.method: m for m in plan.methods}
    assert by_method["ensemble-ga"].left == 0
    assert by_method["model-free-ga"].unmeasured == 2  # never measured anywhere: not guessed
    assert sorted(str(p) for p in out.rglob("*")) == before  # the damaged file was not set aside
    text = format_plan(plan)
    assert "4 trials, 2 finished, 2 to run" in text and "unmeasured: 2 trials" in text


def test_plan_takes_costs_from_another_sweep(half_done_sweep, tmp_path):
    config, points, out = half_done_sweep
    other = tmp_path / "other"
    (other / "trials" / "ackley-3__model-free-ga__seed5").mkdir(parents=True)
    (other / "trials" / "ackley-3__model-free-ga__seed5" / "metrics.json").write_text(
        json.dumps({"budget": "smoke", "time_total_s": 4.0}))
    plan = plan_sweep(config, points, out, [other])
    assert plan.unmeasured == 0 and plan.estimated_s == pytest.approx(8.0)


def test_plan_from_the_command_line(half_done_sweep, tmp_path, capsys):
    config, _, out = half_done_sweep
    path = tmp_path / "sweep.yaml"
    path.write_text(json.dumps({"name": config.name, "tasks": [ACK], "methods": ["ensemble-ga", "model-free-ga"],
                                "seeds": [0, 1], "budget": "smoke", "n_proposals": 8}))
    assert main(["sweep", str(path), "--out", str(out), "--plan"]) == 0
    assert "2 finished, 2 to run" in capsys.readouterr().out
    assert main(["sweep", str(path), "--out", str(out), "--costs-from", str(tmp_path / "nowhere")]) == 2
    assert "only serves --plan" in capsys.readouterr().err
    assert main(["sweep", str(path), "--out", str(out), "--plan", "--costs-from", str(tmp_path / "nowhere")]) == 2
    assert "not a sweep directory" in capsys.readouterr().err


def test_held_out_check_recovers_an_exactly_additive_cost():
    from benchmarks.plan_accuracy import held_out_ratios

    task_cost = {"zdt1": 1.0, "re21": 4.0, "re33": 8.0}
    method_cost = {"a": 10.0, "b": 30.0}
    rows = [(t, m, tc * mc) for t, tc in task_cost.items() for m, mc in method_cost.items()]
    ratios = held_out_ratios(rows, "re", min_tasks=2)
    assert set(ratios) == {"a", "b"} and all(r["ratio"] == pytest.approx(1.0) for r in ratios.values())
