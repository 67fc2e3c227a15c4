"""Replays the damaged-file probes: a damaged or replaced dataset cache is rebuilt with a one-line
warning, a trial folder whose files are missing, unreadable or inconsistent is never taken as
finished, and every file written is readable by group and others."""

import json
import logging
import stat

import numpy as np
import pandas as pd
import pytest

from dist_ombo.distributed.trial_files import result_problem, set_aside
from dist_ombo.io import file_mode
from dist_ombo.runner import TrialConfig, run_trial
from dist_ombo.tasks import get_task


@pytest.fixture
def cached(tmp_path):
    task = get_task("ackley", dim=3, n_total=200)
    fresh = task.dataset(0, cache_dir=tmp_path)
    return task, fresh, tmp_path / f"{task.cache_key(0)}.parquet"


def _truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _damage_truncated(file):
    _truncate(file)


def _damage_missing_column(file):
    pd.read_parquet(file).drop(columns=["x2"]).to_parquet(file)


def _damage_replaced(file):  # a valid Parquet file, but another table: fewer rows, f0 halved
    df = pd.read_parquet(file).head(10)
    df["f0"] = df["f0"] / 2
    df.to_parquet(file)


def _damage_tampered(file):  # the recorded metadata kept, one value changed
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(file)
    df = table.to_pandas()
    df.loc[0, "f0"] += 1.0
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(table.schema.metadata), file)


@pytest.mark.parametrize("damage", [_damage_truncated, _damage_missing_column, _damage_replaced, _damage_tampered])
def test_a_damaged_dataset_cache_is_rebuilt_with_one_warning(cached, caplog, damage):
    task, fresh, file = cached
    damage(file)
    with caplog.at_level(logging.WARNING):
        again = task.dataset(0, cache_dir=file.parent)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and str(file) in warnings[0] and "rebuilding" in warnings[0]
    assert "\n" not in warnings[0]
    np.testing.assert_array_equal(again.X, fresh.X)
    np.testing.assert_array_equal(again.Y, fresh.Y)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        task.dataset(0, cache_dir=file.parent)  # the rebuilt file is trusted again
    assert not caplog.records


def test_an_intact_cache_is_used_as_is(cached, monkeypatch):
    task, fresh, file = cached
    monkeypatch.setattr(type(task), "_build_dataset", lambda *a: pytest.fail("rebuilt an intact cache"))
    np.testing.assert_array_equal(task.dataset(0, cache_dir=file.parent).X, fresh.X)


@pytest.fixture(scope="module")
def finished_trial(tmp_path_factory):
    out = tmp_path_factory.mktemp("trial")
    config = TrialConfig(task="ackley", method="ensemble-ga", budget="smoke", n_proposals=8,
                         task_params={"dim": 3, "n_total": 200})
    run_trial(config, out_dir=out)
    return out, config


@pytest.fixture
def trial_copy(finished_trial, tmp_path):
    import shutil

    src, config = finished_trial
    dst = tmp_path / "t"
    shutil.copytree(src, dst)
    return dst, config.to_dict()


def test_an_intact_trial_is_finished(trial_copy):
    folder, config = trial_copy
    assert result_problem(folder, config) is None


@pytest.mark.parametrize("damage,needle", [
    (lambda f: _truncate(f / "metrics.json"), "metrics.json is unreadable"),
    (lambda f: _truncate(f / "proposals.parquet"), "proposals.parquet is unreadable"),
    (lambda f: (f / "proposals.parquet").unlink(), "proposals.parquet is missing"),
    (lambda f: (f / "config.json").unlink(), "config.json is missing"),
    (lambda f: pd.read_parquet(f / "proposals.parquet").head(3).to_parquet(f / "proposals.parquet"),
     "has 3 rows, metrics.json says 8"),
    (lambda f: (f / "metrics.json").write_text(json.dumps({"hv": 1.0})), "metrics.json lacks"),
    (lambda f: (f / "metrics.json").unlink(), "not finished"),
])
def test_damaged_trial_files_are_detected_and_set_aside(trial_copy, damage, needle):
    folder, config = trial_copy
    damage(folder)
    problem = result_problem(folder, config)
    assert problem is not None and needle in problem
    moved = set_aside(folder)
    assert not (folder / "metrics.json").exists()
    assert moved is None or moved.name == "metrics.json.invalid"


def test_another_configuration_is_not_reused(trial_copy):
    folder, config = trial_copy
    assert "another trial configuration" in result_problem(folder, {**config, "n_proposals": 9})


@pytest.fixture
def umask_022():
    import os

    before = os.umask(0o022)
    yield
    os.umask(before)


def test_written_files_are_readable_by_group_and_others(tmp_path, umask_022):
    config = TrialConfig(task="ackley", method="ensemble-ga", budget="smoke", n_proposals=4,
                         task_params={"dim": 2, "n_total": 100})
    run_trial(config, out_dir=tmp_path / "trial")
    get_task("ackley", dim=2, n_total=100).dataset(0, cache_dir=tmp_path / "cache")
    assert file_mode() == 0o644
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 4  # metrics, config, proposals and the cached dataset; no temp file left
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    for folder in [tmp_path / "trial", tmp_path / "cache"]:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o755


def test_a_trial_whose_method_settings_changed_is_not_reused(trial_copy, monkeypatch):
    """A catalog default that changes leaves config.json (names and overrides) the same; the
    recorded settings hash tells the resumed sweep that the trial is another method now."""
    import dist_ombo.runner as runner

    folder, config = trial_copy
    trial = TrialConfig.from_dict(config)
    now = runner.trial_settings_hash(trial)
    assert json.loads((folder / "metrics.json").read_text())["settings_hash"] == now
    assert result_problem(folder, config, now) is None
    changed = runner.trial_settings_hash(TrialConfig.from_dict({**config, "search": {"pop_size": 7}}))
    assert changed != now
    assert "settings changed" in result_problem(folder, config, changed)


def test_a_trial_from_before_the_settings_record_is_reused(trial_copy):
    folder, config = trial_copy
    metrics = json.loads((folder / "metrics.json").read_text())
    del metrics["settings_hash"]
    (folder / "metrics.json").write_text(json.dumps(metrics))
    assert result_problem(folder, config, "0123456789abcdef") is None
