import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from dist_ombo import model_store as MS
from dist_ombo.catalog import get_budget, get_scheme
from dist_ombo.model_store import ModelStore, StoreError, decode_state, encode_state, key_parts, model_key
from dist_ombo.pipeline import TrainJob, local_trainer
from dist_ombo.problem import OfflineProblem
from dist_ombo.runner import TrialConfig, run_trial

DATASET = {"task": "toy", "task_params": {}, "data_seed": 0, "protocol_version": "1"}


def _problem(seed=0, n=40):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, (n, 2))
    return OfflineProblem(X, np.c_[X.sum(1), (1 - X).sum(1)], np.zeros(2), np.ones(2))


def _job(seed=1, problem=None, **overrides):
    cfg = get_scheme("ensemble").make_config(get_budget("smoke")["model"], {"epochs": 2, **overrides})
    return TrainJob(problem or _problem(), "ensemble", cfg, seed)


@pytest.fixture(scope="module")
def tiny_model():
    return local_trainer([_job()])[0]


def _key(job, **kw):
    return model_key(key_parts(job, DATASET, **kw))


def test_key_changes_with_each_part_that_decides_the_weights(monkeypatch):
    base = _key(_job())
    assert _key(_job()) == base  # a fresh but equal job: same key
    assert _key(_job(seed=2)) != base
    assert _key(_job(hidden=(16, 16))) != base
    assert _key(_job(problem=_problem(seed=1))) != base  # other data
    assert model_key(key_parts(_job(), {**DATASET, "data_seed": 1})) != base
    assert _key(_job(), train_actors=2) != base  # members split in two seeded groups
    assert _key(_job(), gpu=True) != base
    monkeypatch.setattr(MS, "code_version", lambda: "other-code")
    assert _key(_job()) != base


def test_code_version_is_a_short_stable_hash():
    assert MS.code_version() == MS.code_version() and len(MS.code_version()) == 12
    int(MS.code_version(), 16)


def test_state_round_trips_exactly_and_refuses_what_it_cannot_keep(tiny_model):
    state = {"a": np.arange(3, dtype=np.float32), "t": (1, 2.5, "x"), "s": np.float64(np.nan),
             "l": [{"k": None, "b": True}], "nan": float("nan")}
    back = decode_state(encode_state(state))
    assert type(back["t"]) is tuple and back["s"].dtype == np.float64 and back["a"].dtype == np.float32
    assert MS._same(back, state) and not MS._same(back, {**state, "t": [1, 2.5, "x"]})
    assert MS._same(decode_state(encode_state(tiny_model.state())), tiny_model.state())
    with pytest.raises(StoreError, match="object"):
        encode_state({"o": object()})
    with pytest.raises(StoreError, match="not a string"):
        encode_state({"d": {1: 2}})


def test_published_model_loads_with_identical_predictions_and_a_manifest(tmp_path, tiny_model):
    store, job = ModelStore(tmp_path), _job()
    parts = key_parts(job, DATASET)
    key = model_key(parts)
    assert store.load(key, "ensemble") is None
    store.publish(key, tiny_model, parts, trained_by="zdt1__ensemble-nsga2__seed0", train_s=1.5)
    loaded = store.load(key, "ensemble")
    X = np.random.default_rng(3).uniform(0, 1, (7, 2))
    for a, b in zip(loaded.predict(X), tiny_model.predict(X)):
        np.testing.assert_array_equal(a, b)
    manifest = json.loads(store.manifest_path(key).read_text())
    assert manifest["trained_by"] == "zdt1__ensemble-nsga2__seed0" and manifest["parts"] == parts
    assert manifest["parts"]["code_version"] == MS.code_version() and manifest["train_s"] == 1.5
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{key}.json", f"{key}.npz"]  # no temp files left


def test_a_partial_temp_file_is_never_loaded(tmp_path, tiny_model, monkeypatch):
    store, key = ModelStore(tmp_path), "k" * 64
    data = encode_state(tiny_model.state())
    (tmp_path / f".{key}.npz.abc.tmp").write_bytes(data[: len(data) // 2])  # a writer killed mid-write
    assert store.load(key, "ensemble") is None

    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        store.publish(key, tiny_model, {"scheme": "ensemble"}, "t")
    assert not store.model_path(key).exists()
    assert store.load(key, "ensemble") is None


@pytest.mark.parametrize("damage", ["truncate", "flip", "manifest"])
def test_a_corrupt_entry_is_set_aside_and_trained_again(tmp_path, tiny_model, damage):
    notes = []
    store, job = ModelStore(tmp_path, note=notes.append), _job()
    parts = key_parts(job, DATASET)
    key = model_key(parts)
    store.publish(key, tiny_model, parts, "first")
    path = store.model_path(key)
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[:100])
    elif damage == "flip":  # still a valid zip member? the sha256 in the manifest catches it anyway
        path.write_bytes(data[:-50] + bytes([data[-50] ^ 1]) + data[-49:])
    else:
        store.manifest_path(key).write_text("{not json")
    calls = []
    models, info = MS.train_through_store([job], lambda jobs: calls.append(1) or [tiny_model], store, [parts], "second")
    assert calls == [1] and not info[0].reused and info[0].published
    assert len(notes) == 1 and "unreadable" in notes[0] and "set aside" in notes[0]
    assert any(p.name.startswith(f"{key}.npz{MS.CORRUPT_SUFFIX}") for p in tmp_path.iterdir())
    assert json.loads(store.manifest_path(key).read_text())["trained_by"] == "second"
    assert store.load(key, "ensemble") is not None


def test_same_key_reuses_and_other_keys_train(tmp_path, tiny_model):
    store, calls = ModelStore(tmp_path), []

    def train(jobs):
        calls.append(len(jobs))
        return [tiny_model] * len(jobs)

    a, b = _job(), _job(seed=2)
    pa, pb = key_parts(a, DATASET), key_parts(b, DATASET)
    _, info = MS.train_through_store([a], train, store, [pa], "t1")
    assert not info[0].reused and info[0].published
    _, info = MS.train_through_store([a, b], train, store, [pa, pb], "t2")
    assert [i.reused for i in info] == [True, False] and calls == [1, 1]
    assert not list(tmp_path.glob("*.lock"))


def test_two_concurrent_trials_train_a_shared_model_once(tmp_path, tiny_model):
    store, job, calls = ModelStore(tmp_path, poll_s=0.02), _job(), []
    parts = [key_parts(job, DATASET)]

    def slow_train(jobs):
        calls.append(threading.current_thread().name)
        time.sleep(0.5)  # long enough that the other trial finds the key locked
        return [tiny_model]

    results = {}

    def trial(name):
        results[name] = MS.train_through_store([job], slow_train, store, parts, name)

    threads = [threading.Thread(target=trial, args=(f"t{i}",), name=f"t{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1  # one trained, the other waited and loaded
    reused = sorted(results[n][1][0].reused for n in results)
    assert reused == [False, True]
    manifest = json.loads(store.manifest_path(results["t0"][1][0].key).read_text())
    assert manifest["trained_by"] == calls[0]


def test_a_lock_just_written_by_another_thread_is_not_taken_as_stale(tmp_path, monkeypatch):
    """The window between a holder writing its lock file and recording its token: a second thread
    of the same process that looks then must see a live holder, not a stale lock."""
    store, key, seen = ModelStore(tmp_path), "k" * 64, []
    real_fdopen = os.fdopen

    class LooksRightAfterWriting:
        def __init__(self, fd, mode):
            self.f = real_fdopen(fd, mode)

        def __enter__(self):
            return self.f

        def __exit__(self, *exc):
            self.f.close()
            if not seen:  # the file is whole; the other thread looks now
                seen.append(store.try_lock(key, "second"))

    monkeypatch.setattr(MS.os, "fdopen", LooksRightAfterWriting)
    first = store.try_lock(key, "first")
    monkeypatch.undo()
    assert first is not None and seen == [None]
    assert json.loads(store.lock_path(key).read_text())["token"] == first


def test_a_waiter_trains_alone_after_the_timeout_without_publishing(tmp_path, tiny_model):
    notes = []
    store, job = ModelStore(tmp_path, wait_s=0.3, poll_s=0.05, note=notes.append), _job()
    parts = key_parts(job, DATASET)
    key = model_key(parts)
    token = store.try_lock(key, "a live holder")  # held by this process: not stale
    try:
        models, info = MS.train_through_store([job], lambda jobs: [tiny_model], store, [parts], "waiter")
    finally:
        store.release(key, token)
    assert models == [tiny_model] and not info[0].reused and not info[0].published
    assert not store.model_path(key).exists() and "training it here without publishing" in notes[0]


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    store = ModelStore(tmp_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    store.lock_path("k").write_text(json.dumps({"pid": pid, "host": MS.socket.gethostname(), "token": "x"}))
    token = store.try_lock("k", "me")
    assert token is not None and json.loads(store.lock_path("k").read_text())["token"] == token
    assert store.try_lock("k", "other") is None  # now held by a live process
    store.release("k", token)
    assert not store.lock_path("k").exists()


def test_a_trial_from_a_stored_model_proposes_what_training_itself_proposes(tmp_path):
    cfg = TrialConfig(task="zdt1", method="ensemble-nsga2", budget="smoke", task_params={"n_total": 300},
                      n_proposals=16)
    alone = run_trial(cfg)
    first = run_trial(cfg, out_dir=tmp_path / "a", model_store=tmp_path / "models")
    other = TrialConfig(task="zdt1", method="cbas", budget="smoke", task_params={"n_total": 300}, n_proposals=16)
    second = run_trial(other, out_dir=tmp_path / "b", model_store=tmp_path / "models")
    again = run_trial(cfg, model_store=tmp_path / "models")
    assert first.proposals.equals(alone.proposals) and again.proposals.equals(alone.proposals)
    assert first.metrics["model_key"] == second.metrics["model_key"] == alone.metrics["model_key"]
    assert not first.metrics["model_reused"] and second.metrics["model_reused"] and again.metrics["model_reused"]
    assert not second.metrics["generator_reused"] and second.metrics["generator_key"]
    written = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert written["code_version"] == MS.code_version() and written["model_reused"] is True
    assert len(list((tmp_path / "models").glob("*.npz"))) == 2  # the ensemble (shared) and cbas' VAE
    manifest = json.loads((tmp_path / "models" / f"{first.metrics['model_key']}.json").read_text())
    assert manifest["trained_by"] == "a"


def test_cli_run_uses_a_model_store(tmp_path, capsys):
    from dist_ombo.cli import main

    argv = ["run", "--task", "ackley", "--method", "ensemble-ga", "--budget", "smoke", "--no-ray",
            "--param", "dim=3", "--param", "n_total=200", "--model-store", str(tmp_path / "models")]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    assert main([*argv[:4], "ensemble-grad", *argv[5:], "--out", str(tmp_path / "b")]) == 0
    reused = [json.loads((tmp_path / d / "metrics.json").read_text())["model_reused"] for d in "ab"]
    assert reused == [False, True] and len(list((tmp_path / "models").glob("*.npz"))) == 1
    (tmp_path / "file").write_text("")
    capsys.readouterr()
    assert main([*argv[:-1], str(tmp_path / "file")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --model-store") and "not a directory" in err


def test_ray_trainer_says_how_it_splits_training():
    from dist_ombo.distributed.actors import ray_trainer

    split = ray_trainer(train_actors=3, gpus_per_actor=0.5)
    assert split.train_actors == 3 and split.gpu
    assert not ray_trainer().gpu and ray_trainer().train_actors == 1


def test_a_store_that_cannot_hold_models_is_one_clear_line_and_a_failed_publish_only_a_note(tmp_path, tiny_model):
    from dist_ombo.errors import ConfigError

    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match=r"model store .*file/models cannot be created \(Not a directory\)"):
        ModelStore(tmp_path / "file" / "models").check()
    notes = []
    store, job = ModelStore(tmp_path / "m", note=notes.append), _job()

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    store.publish = full
    models, info = MS.train_through_store([job], lambda jobs: [tiny_model], store, [key_parts(job, DATASET)], "t")
    assert models == [tiny_model] and not info[0].published
    assert "is not stored: OSError" in notes[0] and not list((tmp_path / "m").glob("*.lock"))
