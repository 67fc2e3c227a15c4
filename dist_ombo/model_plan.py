"""Which models a grid of trials needs, known before any data is made: how many distinct models
it trains with a model store against how many trials, and an order that starts one trial of each
model before the trials that will reuse it."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, Sequence

from dist_ombo.model_store import training_groups
from dist_ombo.pipeline import resolve_configs, split_seeds
from dist_ombo.runner import TrialConfig
from dist_ombo.tasks.base import PROTOCOL_VERSION


def planned_models(trial: TrialConfig, split_training: bool = True) -> list[str]:
    """An id per model the trial trains (surrogate, then generator): equal ids mean one stored
    model serves both trials. ``split_training``: the sweep splits an ensemble over
    ``trial.train_actors`` actors (as ``sweep_trial`` does); false for an in-process run."""
    spec = trial.method_spec()
    resolved = resolve_configs(spec, trial.budget, trial.model, trial.search)
    seed_train, seed_gen, _ = split_seeds(trial.seed)
    dataset = {"task": trial.task, "task_params": trial.task_params, "data_seed": trial.seed,
               "protocol_version": PROTOCOL_VERSION}
    ids = []
    for scheme, config, seed, role in ((spec.scheme, resolved.model, seed_train, "surrogate"),
                                       (spec.generator, resolved.generator, seed_gen, "generator")):
        if scheme is None:
            continue
        actors = trial.train_actors if split_training else 1
        parts = {"dataset": dataset, "scheme": scheme, "role": role, "config": dataclasses.asdict(config),
                 "seed": int(seed), "groups": training_groups(scheme, config, actors),
                 "gpu": trial.gpus_per_actor > 0}
        ids.append(hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest())
    return ids


def reuse_counts(trials: Sequence[TrialConfig]) -> dict[str, Any]:
    """How many models a grid trains without a store (one per trial and role) and with one (one
    per distinct model), and the trials that train none."""
    per_trial = [planned_models(t) for t in trials]
    distinct = {m for ids in per_trial for m in ids}
    return {"trials": len(trials), "trials_without_model": sum(not ids for ids in per_trial),
            "models_without_store": sum(len(ids) for ids in per_trial), "models_with_store": len(distinct)}


def trainers_first(trials: Sequence[TrialConfig]) -> list[int]:
    """Indices of ``trials`` in the order to start them: first each trial that needs a model no
    earlier trial needs (it trains it), then the rest (they reuse), each part in grid order."""
    seen: set[str] = set()
    first, later = [], []
    for i, trial in enumerate(trials):
        ids = planned_models(trial)
        (first if not ids or set(ids) - seen else later).append(i)
        seen.update(ids)
    return first + later
