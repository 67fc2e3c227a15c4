"""Replays the recovery probes on a real (tiny) sweep: a deleted trial folder, a truncated
``metrics.json`` or ``proposals.parquet`` of a finished trial are all run again on the next run,
whatever Tune's saved state says, while intact trials are reused, not retrained."""

import pandas as pd
import pytest

from dist_ombo.distributed.sweep import run_sweep
from dist_ombo.distributed.sweep_config import SweepConfig

TASK = {"name": "ackley", "params": {"dim": 3, "n_total": 200}, "label": "ack"}


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.ray
def test_damaged_or_deleted_trials_are_rerun_and_intact_ones_reused(ray_session, tmp_path, capsys):
    import shutil

    config = SweepConfig(name="recover", tasks=(TASK,), methods=("ensemble-ga",), seeds=(0, 1, 2, 3),
                         budget="smoke", n_proposals=8, max_concurrent=2)
    first = run_sweep(config, tmp_path, verbose=0)
    assert (first["status"] == "ok").all() and len(first) == 4
    trials = tmp_path / "trials"
    mtimes = {d.name: (d / "metrics.json").stat().st_mtime_ns for d in trials.iterdir()}
    shutil.rmtree(trials / "ack__ensemble-ga__seed0")
    _truncate(trials / "ack__ensemble-ga__seed1" / "metrics.json")
    _truncate(trials / "ack__ensemble-ga__seed2" / "proposals.parquet")
    capsys.readouterr()

    again = run_sweep(config, tmp_path, verbose=0)
    out = capsys.readouterr().out
    assert (again["status"] == "ok").all() and len(again) == 4
    assert "seed1: metrics.json is unreadable" in out and "seed2: proposals.parquet is unreadable" in out
    assert "1 of 4 trials finished earlier, 3 to run" in out
    for seed in (0, 1, 2):  # run again: intact files with new results
        folder = trials / f"ack__ensemble-ga__seed{seed}"
        assert (folder / "metrics.json").stat().st_mtime_ns != mtimes.get(folder.name)
        assert len(pd.read_parquet(folder / "proposals.parquet")) == 8
    assert (trials / "ack__ensemble-ga__seed3" / "metrics.json").stat().st_mtime_ns == mtimes["ack__ensemble-ga__seed3"]
    assert (trials / "ack__ensemble-ga__seed1" / "metrics.json.invalid").exists()  # set aside, not deleted
    # same seed -> same proposals: the rerun of seed 2 matches what seed 2 gave before, row for row
    pd.testing.assert_frame_equal(again.set_index("trial_id")[["score_100th"]],
                                  first.set_index("trial_id")[["score_100th"]])

    third = run_sweep(config, tmp_path, verbose=0)
    assert "nothing to run" in capsys.readouterr().out and (third["status"] == "ok").all()
