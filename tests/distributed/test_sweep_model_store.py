import json

import pytest

from dist_ombo.distributed.sweep import MODELS_DIR, run_sweep
from dist_ombo.distributed.sweep_config import SweepConfig, expand_grid
from dist_ombo.model_plan import planned_models, reuse_counts, trainers_first
from dist_ombo.runner import TrialConfig

ZDT = {"name": "zdt1", "params": {"n_total": 300}}
SHARING = ("ensemble-nsga2", "ensemble-moead")  # one scheme, two searches


def test_reuse_counts_of_a_grid():
    cfg = SweepConfig(tasks=(ZDT, "re21"), methods=(*SHARING, "multihead-nsga2", "cbas", "model-free-ga"),
                      seeds=(0, 1), budget="smoke")
    trials = [p.trial for p in expand_grid(cfg)[0]]
    counts = reuse_counts(trials)
    # per task and seed: one ensemble (nsga2, moead, cbas' surrogate), one multihead, one VAE
    assert counts == {"trials": 20, "trials_without_model": 4, "models_without_store": 20, "models_with_store": 12}
    order = trainers_first(trials)
    assert sorted(order) == list(range(20))
    first_reuser = next(i for i, j in enumerate(order) if trials[j].method == "ensemble-moead")
    assert first_reuser >= 12  # every trial that trains a model starts before any that only reuses


def test_planned_models_follow_seed_config_and_actor_split():
    t = TrialConfig(task="zdt1", method="ensemble-nsga2", budget="smoke")
    same = TrialConfig(task="zdt1", method="ensemble-smsemoa", budget="smoke")
    assert planned_models(t) == planned_models(same) and len(planned_models(t)) == 1
    assert planned_models(t) != planned_models(TrialConfig(task="zdt1", method="ensemble-nsga2", budget="smoke",
                                                           seed=1))
    assert planned_models(t) != planned_models(TrialConfig(task="zdt1", method="ensemble-nsga2", budget="smoke",
                                                           model={"epochs": 3}))
    assert planned_models(t) != planned_models(TrialConfig(task="zdt1", method="ensemble-nsga2", budget="smoke",
                                                           train_actors=2))
    assert planned_models(TrialConfig(task="zdt1", method="model-free-ga", budget="smoke")) == []


@pytest.mark.ray
def test_a_sweep_of_two_methods_sharing_a_scheme_trains_once(ray_session, tmp_path):
    cfg = SweepConfig(name="share", tasks=(ZDT,), methods=SHARING, seeds=(0,), budget="smoke")
    table = run_sweep(cfg, tmp_path / "store", verbose=0)
    plain = run_sweep(cfg, tmp_path / "plain", verbose=0, model_store=False)
    assert (table["status"] == "ok").all() and (plain["status"] == "ok").all()
    manifests = [json.loads(p.read_text()) for p in (tmp_path / "store" / MODELS_DIR).glob("*.json")]
    assert len(manifests) == 1 and len(list((tmp_path / "store" / MODELS_DIR).glob("*.npz"))) == 1
    ids = {f"zdt1__{m}__seed0" for m in SHARING}
    assert manifests[0]["trained_by"] in ids and manifests[0]["parts"]["scheme"] == "ensemble"
    metrics = {i: json.loads((tmp_path / "store" / "trials" / i / "metrics.json").read_text()) for i in ids}
    assert sorted(m["model_reused"] for m in metrics.values()) == [False, True]
    trainer = next(i for i, m in metrics.items() if not m["model_reused"])
    assert trainer == manifests[0]["trained_by"]
    assert {m["model_key"] for m in metrics.values()} == {manifests[0]["key"]}
    assert not (tmp_path / "plain" / MODELS_DIR).exists()
    # the stored model gives what each trial gets by training itself
    assert dict(zip(table["trial_id"], table["hv"])) == dict(zip(plain["trial_id"], plain["hv"]))
    assert not plain["model_reused"].any()
