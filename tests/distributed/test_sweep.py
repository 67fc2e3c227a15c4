import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import yaml

from dist_ombo.distributed.sweep import run_sweep
from dist_ombo.distributed.sweep_config import SweepConfig, expand_grid
from dist_ombo.errors import ConfigError, UnknownNameError
from dist_ombo.problem import OfflineProblem
from dist_ombo.reporting.results import BASE_COLUMNS

ZDT = {"name": "zdt1", "params": {"n_total": 400}}
ACK = {"name": "ackley", "params": {"n_total": 300, "dim": 3}, "label": "ackley-3"}


def test_grid_expansion_skips_incompatible_pairs():
    cfg = SweepConfig(tasks=(ZDT, ACK), methods=("ensemble-nsga2", "ensemble-ga", "ensemble-grad"), seeds=(0, 1))
    points, skipped = expand_grid(cfg)
    ids = {p.trial_id for p in points}
    assert len(points) == (1 + 2) * 2
    assert "zdt1__ensemble-nsga2__seed1" in ids and "ackley-3__ensemble-grad__seed0" in ids
    assert len(skipped) == 3 and any("zdt1 x ensemble-ga" in s for s in skipped)
    assert all(p.trial.task_params == {"n_total": 300, "dim": 3} for p in points if p.task_label == "ackley-3")


def test_methods_all_expands_to_every_compatible_method():
    from dist_ombo.catalog import get_method, method_names

    points, skipped = expand_grid(SweepConfig.from_dict({"tasks": [ACK], "methods": "all", "seeds": [0]}))
    expected = {m for m in method_names() if "soo" in get_method(m).objectives}
    assert {p.method_label for p in points} == expected
    assert len(skipped) == len(method_names()) - len(expected)


def test_methods_may_pair_a_scheme_with_a_search():
    cfg = SweepConfig.from_dict({"tasks": [ZDT, ACK], "seeds": [0], "methods": [
        {"scheme": "coms", "search": "nsga3", "label": "coms-nsga3"}, {"scheme": "rank", "search": "ga"},
        {"name": "pgs", "search": {"steps": 3}}]})
    points, skipped = expand_grid(cfg)
    by_id = {p.trial_id: p.trial for p in points}
    assert set(by_id) == {"zdt1__coms-nsga3__seed0", "ackley-3__rank-ga__seed0", "zdt1__pgs__seed0",
                          "ackley-3__pgs__seed0"}
    assert (by_id["zdt1__coms-nsga3__seed0"].scheme, by_id["zdt1__coms-nsga3__seed0"].searcher) == ("coms", "nsga3")
    assert by_id["zdt1__pgs__seed0"].search == {"steps": 3} and by_id["zdt1__pgs__seed0"].scheme is None
    assert len(skipped) == 2
    with pytest.raises(ConfigError, match="searches that fit scheme 'coms': nsga2"):
        expand_grid(SweepConfig.from_dict({"tasks": [ZDT], "methods": [{"scheme": "coms", "search": "model-free-ga"}]}))
    with pytest.raises(ConfigError, match="search name"):
        expand_grid(SweepConfig.from_dict({"tasks": [ZDT], "methods": [{"name": "pgs", "search": "nsga2"}]}))


def test_config_errors_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="unknown key.*'seed'"):
        SweepConfig.from_dict({"tasks": ["zdt1"], "methods": ["ensemble-nsga2"], "seed": [0]})
    with pytest.raises(UnknownNameError, match="valid tasks"):
        expand_grid(SweepConfig(tasks=("zdt0",), methods=("ensemble-nsga2",)))
    with pytest.raises(ConfigError, match="duplicate"):
        expand_grid(SweepConfig(tasks=("zdt1", {"name": "zdt1"}), methods=("ensemble-nsga2",)))
    with pytest.raises(ConfigError, match=r"resources\.train_actors: must be an integer >= 1"):
        SweepConfig(tasks=("zdt1",), methods=("ensemble-nsga2",), resources={"train_actors": 0})
    with pytest.raises(ConfigError, match="does not exist"):
        SweepConfig.from_yaml(tmp_path / "missing.yaml")


@pytest.mark.ray
def test_failing_trial_is_recorded_while_others_finish(ray_session, tmp_path, capfd):
    broken = {"name": "ackley", "params": {"n_total": 10, "dim": 3, "keep_fraction": 0.1}, "label": "broken"}
    cfg = SweepConfig(name="fail", tasks=(ACK, broken), methods=("ensemble-ga",), seeds=(0,), budget="smoke",
                      retries=1)
    table = run_sweep(cfg, tmp_path, verbose=0)
    printed = capfd.readouterr()
    lines = printed.out.splitlines()
    # quiet output: one line per ended trial (a retry, then the failure with its reason), no Tune tables
    assert any(line.startswith("ackley-3 / ensemble-ga / seed 0: score ") and "x D(best)" in line for line in lines)
    assert "FAILED broken / ensemble-ga / seed 0: DataError: need at least 2 designs to fit, got 1" in lines
    assert any(line.startswith("retrying broken / ensemble-ga / seed 0 after: DataError") for line in lines)
    for noise in ("Trial status", "╭", "tensorboard", "Traceback", "Trial task failed", "Tuner.restore"):
        assert noise not in printed.out + printed.err
    assert list(table.columns[: len(BASE_COLUMNS)]) == BASE_COLUMNS
    status = dict(zip(table["trial_id"], table["status"]))
    assert status == {"ackley-3__ensemble-ga__seed0": "ok", "broken__ensemble-ga__seed0": "error"}
    err = table.set_index("trial_id").loc["broken__ensemble-ga__seed0", "error"]
    assert "DataError" in err and "at least 2 designs" in err
    on_disk = pd.read_parquet(tmp_path / "results.parquet")
    assert len(on_disk) == 2 and {"score_100th", "score_dbest", "time_train_s"} <= set(on_disk.columns)
    from dist_ombo.reporting.results import rebuild_results

    (tmp_path / "results.parquet").unlink()
    rebuilt = rebuild_results(tmp_path)  # from sweep.json and the trial folders alone
    assert dict(zip(rebuilt["trial_id"], rebuilt["status"])) == status
    assert "at least 2 designs" in rebuilt.set_index("trial_id").loc["broken__ensemble-ga__seed0", "error"]


@pytest.mark.slow
@pytest.mark.ray
def test_resume_after_interruption_runs_only_missing_trials(ray_session, tmp_path):
    config = {
        "name": "resume", "tasks": [ZDT, ACK], "methods": ["ensemble-nsga2", "ensemble-ga"],
        "seeds": [0, 1, 2, 3], "budget": "smoke", "max_concurrent": 1,
        "model": {"epochs": 100, "max_steps": 400},  # ~1-2 s per trial: room to interrupt mid-sweep
    }
    cfg_file = tmp_path / "sweep.yaml"
    cfg_file.write_text(yaml.safe_dump(config))
    out = tmp_path / "out"
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    log = tmp_path / "stderr.txt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dist_ombo.cli", "sweep", str(cfg_file), "--out", str(out)],
        env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"), start_new_session=True,
    )
    trials = out / "trials"
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not list(trials.glob("*/metrics.json")):
            time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C, as a user interrupts
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    finished = {p.parent.name: p.stat().st_mtime_ns for p in trials.glob("*/metrics.json")}
    assert 1 <= len(finished) < 8, f"interruption came too late or too early: {sorted(finished)}"
    err = log.read_text()
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1] == f"  dist-ombo sweep {cfg_file} --out {out}"
    assert f"{len(finished)} of 8 trials finished" in err
    assert (pd.read_parquet(out / "results.parquet")["status"] == "ok").sum() == len(finished)

    table = run_sweep(SweepConfig.from_yaml(cfg_file), out, verbose=0)
    assert (table["status"] == "ok").all() and len(table) == 8
    for trial_id, mtime in finished.items():  # finished trials were not redone
        assert (trials / trial_id / "metrics.json").stat().st_mtime_ns == mtime
    assert json.loads((out / "sweep.json").read_text())["name"] == "resume"


def test_selection_metric_must_be_offline():
    with pytest.raises(ConfigError, match="oracle scores cannot be selection metrics"):
        SweepConfig(tasks=("zdt1",), methods=("ensemble-nsga2",),
                    selection={"metric": "hv", "space": {"lr": [0.1]}}).selection_config()
    with pytest.raises(ConfigError, match="non-empty lists"):
        SweepConfig(tasks=("zdt1",), methods=("ensemble-nsga2",),
                    selection={"space": {"lr": 0.1}}).selection_config()


def test_offline_scores_use_only_the_data(monkeypatch):
    from dist_ombo.models.ensemble import EnsembleConfig
    from dist_ombo.selection import offline_scores, split_top
    from dist_ombo.tasks import get_task
    from dist_ombo.tasks.base import Task

    task = get_task("ackley", dim=3, n_total=400)
    data = task.dataset(0)
    monkeypatch.setattr(Task, "oracle", lambda self, X: pytest.fail("selection called the oracle"))
    train, top = split_top(data.Y, 0.1)
    assert len(top) == 20 and data.Y[top].max() <= data.Y[train].min()
    cfg = EnsembleConfig(n_members=2, hidden=(32, 32), epochs=30, batch_size=32)
    scores = offline_scores(OfflineProblem(data.X, data.Y, task.lower, task.upper), "ensemble", cfg, seed=0)
    assert -1 <= scores["offline_spearman"] <= 1 and scores["offline_mse"] >= 0 and scores["holdout_n"] == 20


@pytest.mark.ray
def test_selection_picks_per_pair_and_feeds_the_sweep(ray_session, tmp_path):
    cfg = SweepConfig(name="sel", tasks=(ACK,), methods=("ensemble-ga",), seeds=(0,), budget="smoke",
                      selection={"space": {"hidden": [[8], [32, 32]]}, "metric": "offline_mse"})
    table = run_sweep(cfg, tmp_path, verbose=0)
    chosen = json.loads((tmp_path / "selection.json").read_text())["chosen"]["ackley-3||ensemble-ga"]
    summary = pd.read_parquet(tmp_path / "selection.parquet")
    best = summary.sort_values("offline_mse").iloc[0]["params"]
    assert json.loads(best) == chosen
    used = json.loads((tmp_path / "trials" / "ackley-3__ensemble-ga__seed0" / "config.json").read_text())
    assert used["model"]["hidden"] == chosen["hidden"]
    assert (table["status"] == "ok").all()


@pytest.mark.ray
def test_a_changed_trial_config_is_rerun_not_reused(ray_session, tmp_path):
    base = dict(name="rerun", tasks=(ACK,), methods=("ensemble-ga",), seeds=(0,), budget="smoke")
    metrics = tmp_path / "trials" / "ackley-3__ensemble-ga__seed0" / "metrics.json"
    run_sweep(SweepConfig(**base), tmp_path, verbose=0)
    first = metrics.stat().st_mtime_ns
    run_sweep(SweepConfig(**base), tmp_path, verbose=0)
    assert metrics.stat().st_mtime_ns == first  # same config: reused
    run_sweep(SweepConfig(**base, model={"hidden": [8]}), tmp_path, verbose=0)
    assert metrics.stat().st_mtime_ns != first  # changed config: trained again
    used = json.loads((metrics.parent / "config.json").read_text())
    assert used["model"]["hidden"] == [8]


def test_reusing_a_sweep_directory_for_another_config_says_so(tmp_path):
    from dist_ombo.distributed.sweep import config_change_note, config_json

    path = tmp_path / "sweep.json"
    first = SweepConfig(name="first", tasks=(ZDT,), methods=("ensemble-nsga2",), seeds=(0, 1))
    assert config_change_note(path, first) is None  # a new directory
    path.write_text(config_json(first))
    assert config_change_note(path, first) is None  # the same config resumes
    note = config_change_note(path, SweepConfig(name="second", tasks=(ZDT,), methods=("ensemble-nsga2",), seeds=(2,)))
    assert "'first'" in note and "'second'" in note and "reused" in note
    edited = config_change_note(path, SweepConfig(name="first", tasks=(ZDT,), methods=("ensemble-nsga2",),
                                                  seeds=(0, 1), max_concurrent=2))
    assert "'first'" in edited and "changed (max_concurrent)" in edited and "held sweep" not in edited
