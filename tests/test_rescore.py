"""Scores next to the reference front (headroom, IGD+, robust HV), D(best) determinism, rescore."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dist_ombo import metrics as M
from dist_ombo.reference_fronts import reference_front
from dist_ombo.rescore import RescoreError, rescore
from dist_ombo.runner import TrialConfig, moo_scores, run_trial
from dist_ombo.tasks import get_task

TINY = {"n_total": 600}
SCORING_KEYS = {"hv", "hv_50th", "hv_dbest", "hv_ratio", "beats_dbest", "hv_front", "headroom", "igd", "igd_plus",
                "hv_robust", "hv_robust_dbest", "hv_robust_ratio", "reference_front"}


def _trial(method, tmp_path, task="zdt1", seed=0, **kw):
    cfg = TrialConfig(task=task, method=method, seed=seed, budget="smoke", task_params=dict(TINY), **kw)
    return run_trial(cfg, out_dir=tmp_path / method).metrics


@pytest.mark.parametrize("name", ["zdt1", "re21"])
def test_headroom_is_zero_at_dbest_and_one_at_the_front(name):
    task = get_task(name, **TINY)
    data = task.dataset(0)
    front = reference_front(task).points
    dbest = data.Y[M.dbest_indices(data.Y, 256)]
    at_dbest = moo_scores(task, data, dbest)
    at_front = moo_scores(task, data, front)
    assert at_dbest["headroom"] == pytest.approx(0.0, abs=1e-12)
    assert at_front["headroom"] == pytest.approx(1.0)
    assert at_front["hv_front"] == at_dbest["hv_front"] > at_dbest["hv_dbest"]
    assert at_front["igd_plus"] == pytest.approx(0.0, abs=1e-12)
    # a sample between the two: D(best) plus a few front points closes part of the gap
    mixed = moo_scores(task, data, np.vstack([dbest, front[:: max(1, len(front) // 5)]]))
    assert 0.0 < mixed["headroom"] < 1.0
    assert set(at_front) == SCORING_KEYS


def test_two_methods_on_the_same_task_and_seed_share_dbest(tmp_path, one_torch_thread):
    """D(best) is the data's, not the method's: a model-free and a surrogate method (which
    propose different numbers of designs here) get the same hv_dbest."""
    a = _trial("model-free-ga", tmp_path)
    b = _trial("ensemble-nsga2", tmp_path, n_proposals=64, search={"pop_size": 16, "n_gen": 2})
    assert a["n_proposals"] != b["n_proposals"]
    for key in ("hv_dbest", "hv_robust_dbest", "hv_front"):
        assert a[key] == b[key]
    assert a["reference_front"] == b["reference_front"] == "analytic-1"
    assert np.isfinite(a["headroom"]) and np.isfinite(b["igd_plus"]) and b["igd_plus"] <= b["igd"] + 1e-12


def test_rescore_recomputes_scores_keeps_other_keys_and_never_trains(tmp_path, monkeypatch):
    original = _trial("model-free-ga", tmp_path, task="re21")
    folder = tmp_path / "model-free-ga"
    stale = json.loads((folder / "metrics.json").read_text())
    for key in ("hv_front", "headroom", "igd_plus", "hv_robust", "reference_front"):
        stale.pop(key)
    stale["hv_dbest"] = 123.0
    stale["custom_note"] = "kept"
    (folder / "metrics.json").write_text(json.dumps(stale))

    import dist_ombo.pipeline as pipeline
    import dist_ombo.runner as runner

    def no_training(*args, **kwargs):
        raise AssertionError("rescore must not train or search")

    monkeypatch.setattr(pipeline, "train_and_search", no_training)
    monkeypatch.setattr(runner, "train_and_search", no_training)
    [done] = rescore([tmp_path])
    assert done.status == "rescored" and done.detail == ""
    after = json.loads((folder / "metrics.json").read_text())
    for key in SCORING_KEYS:
        assert after[key] == (original[key] if isinstance(original[key], str) else pytest.approx(original[key]))
    others = {k: v for k, v in stale.items() if k not in SCORING_KEYS}
    assert json.dumps({k: after[k] for k in others}, sort_keys=True) == json.dumps(others, sort_keys=True)
    assert after["trained_on_rebuilt_data"] is True
    assert "scoring" in after["rescored_with"] and "re21:" in after["rescored_with"]
    assert 0.0 <= after["copy_fraction"] <= 1.0 and after["copy_fraction"] == original["copy_fraction"]


def test_rescore_adds_copy_fraction_to_single_objective_trials(tmp_path):
    """A trial that returns training designs reports them as copies, in the run and on rescore."""
    import pandas as pd

    original = _trial("model-free-ga", tmp_path, task="ackley-10")
    folder = tmp_path / "model-free-ga"
    task = get_task("ackley-10", **TINY)
    data = task.dataset(0)
    frame = pd.read_parquet(folder / "proposals.parquet")
    half = len(frame) // 2
    frame.loc[: half - 1, [f"x{i}" for i in range(task.dim)]] = data.X[:half]
    frame.to_parquet(folder / "proposals.parquet")
    X = frame[[f"x{i}" for i in range(task.dim)]].to_numpy()
    stale = json.loads((folder / "metrics.json").read_text())
    stale.pop("copy_fraction")
    stale["novelty"] = M.novelty(X, data.X, task.lower, task.upper)  # as if the run had proposed these
    (folder / "metrics.json").write_text(json.dumps(stale))
    [done] = rescore([folder])
    after = json.loads((folder / "metrics.json").read_text())
    assert done.status == "rescored" and "hv" not in after and after["trained_on_rebuilt_data"] is True
    assert after["copy_fraction"] >= half / len(frame) > original["copy_fraction"]
    # a trial from before dataset checksums were recorded, whose stored novelty the rebuilt data
    # does not reproduce, gets no copy fraction
    stale.pop("dataset_sha256")
    stale["novelty"] += 0.01
    (folder / "metrics.json").write_text(json.dumps(stale))
    [done] = rescore([folder])
    after = json.loads((folder / "metrics.json").read_text())
    assert after["trained_on_rebuilt_data"] is False and np.isnan(after["copy_fraction"])


def test_rescore_flags_a_trial_trained_on_other_data(tmp_path):
    _trial("model-free-ga", tmp_path, task="re21")
    folder = tmp_path / "model-free-ga"
    m = json.loads((folder / "metrics.json").read_text())
    assert len(m["dataset_sha256"]) == 64
    [done] = rescore([folder], write=False)
    assert done.detail == "" and done.after["trained_on_rebuilt_data"] is True
    m["dataset_sha256"] = "0" * 64  # as if the dataset had been rebuilt otherwise where the trial ran
    (folder / "metrics.json").write_text(json.dumps(m))
    [done] = rescore([folder], write=False)
    assert "dataset checksum differs" in done.detail and done.after["trained_on_rebuilt_data"] is False
    assert json.loads((folder / "metrics.json").read_text()) == m  # write=False leaves the file
    legacy = {k: v for k, v in m.items() if k != "dataset_sha256"}
    legacy["novelty"] += 0.01  # a trial without a checksum: its novelty is checked instead
    (folder / "metrics.json").write_text(json.dumps(legacy))
    [done] = rescore([folder], write=False)
    assert "novelty" in done.detail and done.after["trained_on_rebuilt_data"] is False


def test_rescore_bad_paths_are_one_line_before_any_work(tmp_path):
    with pytest.raises(RescoreError, match="is not a folder"):
        rescore([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(RescoreError, match="holds no trial folders"):
        rescore([tmp_path / "empty"])


def test_rescore_command(tmp_path, capsys):
    from dist_ombo.cli import main

    _trial("model-free-ga", tmp_path, task="re21")
    assert main(["rescore", str(tmp_path), "--dry-run"]) == 0
    assert "would rescore 1 trial(s), skipped 0" in capsys.readouterr().out
    assert "rescored_with" not in json.loads((tmp_path / "model-free-ga" / "metrics.json").read_text())
    assert main(["rescore", str(tmp_path)]) == 0
    assert "rescored 1 trial(s)" in capsys.readouterr().out
    assert "rescored_with" in json.loads((tmp_path / "model-free-ga" / "metrics.json").read_text())
    assert main(["rescore", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
