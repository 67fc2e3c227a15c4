"""What a sweep prints: the status line, one line per ended trial, the skipped-pairs summary, the
quiet Tune settings, and what Ctrl-C leaves (without Ray: the Tune experiment is replaced)."""

import io
import json
import logging
import os

import pandas as pd
import pytest

import dist_ombo.distributed.sweep as sweep
from dist_ombo.distributed.sweep_config import SweepConfig, default_sweep_config, expand_grid
from dist_ombo.distributed.sweep_progress import (
    CLEAR_LINE, SweepPrinter, format_duration, quiet_tune, trial_line, trial_reason,
)
from dist_ombo.errors import ConfigError

MOO = {"task": "zdt1", "method": "ensemble-nsga2", "seed": 0, "hv": 4.4, "hv_dbest": 4.0, "time_total_s": 12.34}
SOO = {"task": "ackley", "method": "ensemble-ga", "seed": 1, "score_100th": 0.5, "score_dbest": 0.25,
       "time_total_s": 3.0}


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_trial_line_names_the_headline_and_its_ratio_to_dbest():
    assert trial_line("zdt1 / ensemble-nsga2 / seed 0", MOO) == \
        "zdt1 / ensemble-nsga2 / seed 0: HV 4.4000 = 1.100 x D(best), 12.3s"
    assert trial_line("a", SOO) == "a: score 0.5000 = 2.000 x D(best), 3.0s"
    assert trial_line("a", {**SOO, "reused": True}).endswith("(reused an earlier result)")
    assert "no headline metric" in trial_line("a", {"time_total_s": 1.0})


def test_durations_read_as_a_person_would_say_them():
    assert [format_duration(s) for s in (0, 59.6, 75, 3700)] == ["0s", "1m 00s", "1m 15s", "1h 01m"]


def test_plain_output_counts_trials_and_estimates_what_is_left():
    out, clock = io.StringIO(), Clock()
    printer = SweepPrinter(5, {"t0": "zdt1 / m / seed 0"}, stream=out, live=False, interval_s=60, clock=clock)
    assert "ETA after the first trial" in printer.status_line()
    printer.started("t0")
    printer.started("t1")
    clock.now = 10.0
    printer.finished("t0", MOO)
    clock.now = 30.0
    printer.failed_for_good("t1", "DataError: need at least 2 designs")
    # mean of 10 s and 30 s (20 s) x 3 trials left / 2 running at most = 30 s
    assert printer.eta_s() == pytest.approx(30.0)
    assert printer.status_line() == "[sweep] 1/5 done, 0 running, 1 failed, ETA 30s"
    lines = out.getvalue().splitlines()
    assert lines == ["zdt1 / m / seed 0: HV 4.4000 = 1.100 x D(best), 12.3s",
                     "FAILED t1: DataError: need at least 2 designs"]
    printer.tick()  # 30 s since the start: no status line yet
    clock.now = 61.0
    printer.tick()
    assert out.getvalue().splitlines()[-1].startswith("[sweep] 1/5 done")
    assert CLEAR_LINE not in out.getvalue()


def test_a_terminal_gets_one_status_line_redrawn_in_place():
    out, clock = io.StringIO(), Clock()
    printer = SweepPrinter(2, stream=out, live=True, clock=clock)
    printer.started("a")
    printer.started("b")
    clock.now = 5.0
    printer.finished("a", SOO)
    printer.retrying("b", "RayActorError: the actor died")
    printer.started("b")
    printer.finished("b", SOO)
    printer.close()
    text = out.getvalue()
    # every trial line first clears the status line, and the status is redrawn after it
    assert text.count("\n") == 4 and text.endswith("[sweep] 2/2 done, 0 running, 0 failed, all ended\n")
    assert f"{CLEAR_LINE}a: score 0.5000" in text and f"{CLEAR_LINE}retrying b after: RayActorError" in text
    assert text.count(CLEAR_LINE + "[sweep]") >= 4


def test_a_failure_reason_is_the_last_line_of_the_trials_own_error(tmp_path):
    (tmp_path / "error.json").write_text(json.dumps({"error": "DataError: bad\nsecond line", "traceback": "..."}))
    assert trial_reason(tmp_path) == "second line"
    assert trial_reason(tmp_path / "missing", RuntimeError("Traceback\n  x\nRayActorError: died")) == \
        "RayActorError: died"
    assert trial_reason(tmp_path / "missing") == "no error recorded"


def test_quiet_tune_picks_the_legacy_engine_and_drops_only_the_named_records(caplog):
    before = os.environ.get("RAY_AIR_NEW_OUTPUT")
    logger = logging.getLogger("ray.tune.execution.tune_controller")
    with caplog.at_level(logging.WARNING, logger="ray.tune.execution.tune_controller"):
        with quiet_tune(True):
            assert os.environ["RAY_AIR_NEW_OUTPUT"] == "0"
            logger.error("Trial task failed for trial x")
            logger.warning("Some other warning")
        logger.error("Trial task failed for trial y")
    assert os.environ.get("RAY_AIR_NEW_OUTPUT") == before
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["Some other warning", "Trial task failed for trial y"]
    with quiet_tune(False):
        assert os.environ.get("RAY_AIR_NEW_OUTPUT") == before


def test_skipped_pairs_are_one_summary_line_unless_verbose(capsys):
    notes = ["zdt1 x ensemble-ga: method 'ensemble-ga' supports soo tasks", "re21 x ensemble-ga: ..."]
    sweep.print_skipped(notes, verbose=0)
    assert capsys.readouterr().out == "skipped 2 incompatible task-method pairs; --verbose lists them\n"
    sweep.print_skipped(notes, verbose=1)
    assert capsys.readouterr().out.splitlines() == [f"skipped (incompatible): {n}" for n in notes]
    sweep.print_skipped([], verbose=0)
    assert capsys.readouterr().out == ""


def test_the_default_sweep_holds_only_compatible_pairs():
    config = default_sweep_config()
    points, skipped = expand_grid(config)
    assert skipped == [] and len(points) == 27
    pairs = {(p.task_label, p.method_label) for p in points}
    assert ("zdt1", "ensemble-nsga2") in pairs and ("ackley-10", "ensemble-cmaes") in pairs
    assert ("ehrlich", "ensemble-cmaes") not in pairs  # CMA-ES does not search discrete designs
    assert {p.task_label for p in points} == {"zdt1", "re21", "ackley-10", "ehrlich"}


def test_a_task_may_name_its_own_methods():
    ack = {"name": "ackley", "params": {"n_total": 300, "dim": 3}, "label": "ackley-3",
           "methods": ["ensemble-ga", {"name": "ensemble-grad", "label": "grad"}]}
    config = SweepConfig.from_dict({"tasks": ["zdt1", ack], "methods": ["ensemble-nsga2"], "seeds": [0]})
    points, skipped = expand_grid(config)
    assert {p.trial_id for p in points} == {"zdt1__ensemble-nsga2__seed0", "ackley-3__ensemble-ga__seed0",
                                            "ackley-3__grad__seed0"}
    assert skipped == []
    with pytest.raises(ConfigError, match=r"tasks\[0\]\.methods\[0\]: must be a name or a mapping"):
        SweepConfig.from_dict({"tasks": [{"name": "zdt1", "methods": [3]}], "methods": ["ensemble-nsga2"]})


def test_ctrl_c_writes_the_finished_table_and_raises_for_the_cli(tmp_path, monkeypatch):
    """The Tune experiment is replaced by one that "finishes" a trial, then reports an interruption."""
    config = SweepConfig(name="stop", tasks=({"name": "ackley", "params": {"n_total": 300, "dim": 3},
                                              "label": "ackley-3"},),
                         methods=("ensemble-ga",), seeds=(0, 1), budget="smoke")
    points, _ = expand_grid(config)

    def fake_fit(config, out_dir, pending, verbose, models_dir=None):
        done = out_dir / "trials" / pending[0].trial_id
        done.mkdir(parents=True)
        (done / "metrics.json").write_text(json.dumps({"score_100th": 0.3, "score_dbest": 0.2}))
        return {}, True

    monkeypatch.setattr(sweep, "init_ray", lambda **kw: None)
    monkeypatch.setattr(sweep, "_fit", fake_fit)
    with pytest.raises(sweep.SweepInterrupted) as stop:
        sweep.run_sweep(config, tmp_path, verbose=0)
    assert (stop.value.finished, stop.value.total) == (1, 2)
    table = pd.read_parquet(tmp_path / "results.parquet")
    assert sorted(table["status"]) == ["missing", "ok"]
    from dist_ombo.distributed.sweep_lock import SweepLock

    with SweepLock(tmp_path) as lock:  # released: a resume may take it at once
        assert not lock.took_over


def test_first_ctrl_c_asks_tune_to_stop_and_a_second_interrupts(capsys):
    import signal

    from dist_ombo.distributed.sweep_interrupt import StopOnCtrlC

    def stale(signum, frame):  # what an earlier Tune run leaves installed: it stops nothing
        pass

    before = signal.signal(signal.SIGINT, stale)
    try:
        with StopOnCtrlC() as stopper:
            assert os.environ["TUNE_DISABLE_SIGINT_HANDLER"] == "1" and not stopper.stop_all()
            os.kill(os.getpid(), signal.SIGINT)
            assert stopper.stop_all() and stopper.pressed
            assert "Ctrl-C again to stop at once" in capsys.readouterr().err
            with pytest.raises(KeyboardInterrupt):  # whatever handler was found
                os.kill(os.getpid(), signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) is stale and "TUNE_DISABLE_SIGINT_HANDLER" not in os.environ
        assert stopper("t", {}) is False
    finally:
        signal.signal(signal.SIGINT, before)


def test_a_live_line_is_redrawn_only_when_it_changes():
    out = io.StringIO()
    printer = SweepPrinter(3, stream=out, live=True, clock=Clock())
    printer.started("a")
    drawn = out.getvalue()
    for _ in range(5):
        printer.tick()
    assert out.getvalue() == drawn
    printer.started("b")
    assert out.getvalue().endswith("[sweep] 0/3 done, 2 running, 0 failed, ETA after the first trial")


def test_a_quiet_ray_keeps_warnings_and_names_token_auth_itself(monkeypatch):
    """ray.init replaced by a recorder: quiet means Ray's warnings only and no worker output; a new
    local Ray gets token authentication chosen explicitly (no warning), a user's choice wins."""
    import dist_ombo.distributed.cluster as cluster
    from dist_ombo.distributed import session_cleanup

    calls = []
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)
    monkeypatch.setattr(cluster.ray, "is_initialized", lambda: False)
    monkeypatch.setattr(cluster.ray, "init", lambda **kw: calls.append(kw))
    monkeypatch.setattr(cluster.atexit, "register", lambda fn: None)
    monkeypatch.setattr(session_cleanup, "record_session", lambda *a: None)
    monkeypatch.setattr(session_cleanup, "clean_stale_sessions", lambda: 0)
    cluster.init_ray(quiet=True)
    assert calls[-1]["logging_level"] == logging.WARNING and calls[-1]["log_to_driver"] is False
    assert os.environ["RAY_AUTH_MODE"] == "token"
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    cluster.init_ray()
    assert calls[-1]["logging_level"] == logging.INFO and calls[-1]["log_to_driver"] is True
    assert os.environ["RAY_AUTH_MODE"] == "disabled"
