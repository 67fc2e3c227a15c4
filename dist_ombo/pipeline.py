"""Train, then search: the middle of every run, shared by a benchmark trial (``runner.run_trial``)
and a user's proposals (``propose.propose``).

Budget < search preset < method defaults < overrides resolve into configs; one root seed splits
into training, generator and search seeds; models train through a ``Trainer`` (in-process here,
Ray actors in ``dist_ombo.distributed.actors``); the search turns them into proposals. No task
object and no oracle: the caller scores.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from dist_ombo.catalog import get_budget, get_scheme, get_searcher
from dist_ombo.config import config_from_dict
from dist_ombo.errors import ConfigError
from dist_ombo.model_store import ModelStore, StoredModel, key_parts, model_key, train_through_store
from dist_ombo.problem import OfflineProblem
from dist_ombo.progress import progress_bar
from dist_ombo.seeding import spawn_seeds
from dist_ombo.specs import MethodSpec, SearchContext


@dataclass(frozen=True)
class TrainJob:
    """One model to train: the offline problem, the scheme and its config. No task, no oracle."""

    problem: OfflineProblem
    scheme: str
    config: Any  # an instance of the scheme's config class
    seed: int
    role: str = "surrogate"  # "surrogate" or "generator"


#: ``trainer(jobs, show_progress) -> models`` (same order); each trainer draws its own progress.
Trainer = Callable[[list[TrainJob], bool], list[Any]]


def local_trainer(jobs: list[TrainJob], show_progress: bool = False) -> list[Any]:
    """Train every job in this process, one after another."""
    models = []
    for job in jobs:
        epochs = getattr(job.config, "epochs", 1)
        with progress_bar(show_progress, epochs, f"train {job.role} ({job.scheme})") as bar:
            models.append(get_scheme(job.scheme).train(job.problem, job.config, job.seed,
                                                       bar.epoch if bar else None))
    return models


@dataclass(frozen=True)
class ResolvedMethod:
    """A method's configs after merging budget < search preset < method defaults < overrides."""

    model: Any  # surrogate scheme config, or None for model-free methods
    search: Any
    generator: Any = None


def resolve_configs(spec: MethodSpec, budget: str, model: Mapping[str, Any] | None = None,
                    search: Mapping[str, Any] | None = None) -> ResolvedMethod:
    """Merge the budget, the search's preset, the method's defaults and the overrides into the
    model, generator and search configs (unknown keys raise ``ConfigError``)."""
    settings = get_budget(budget)
    model_cfg = None
    if spec.scheme is not None:
        model_cfg = get_scheme(spec.scheme).make_config(settings.get("model", {}), {**spec.model, **(model or {})})
    elif model:
        raise ConfigError(f"method {spec.name!r} trains no model; drop the model overrides {sorted(model)}")
    generator = None
    if spec.generator is not None:
        generator = get_scheme(spec.generator).make_config(settings.get("generator", {}), {})
    searcher = get_searcher(spec.search)
    params = {**settings.get(searcher.budget_section, {}), **searcher.params, **spec.search_params, **(search or {})}
    search_cfg = config_from_dict(searcher.config_cls, params, f"search config of {spec.name}")
    return ResolvedMethod(model=model_cfg, search=search_cfg, generator=generator)


def split_seeds(seed: int) -> tuple[int, int, int]:
    """One root seed -> the training, generator and search seeds (``SeedSequence.spawn``)."""
    train, gen, search = spawn_seeds(seed, 3)
    return train, gen, search


@dataclass(frozen=True)
class StoreContext:
    """How a trial's models are keyed and, with a ``store``, shared: the dataset they learn from
    (task, parameters, data seed, protocol version), the trial that trains them, and how its
    trainer splits training (``train_actors``, ``gpu``). Without a store the keys are still
    computed (and recorded), and every model is trained."""

    dataset: Mapping[str, Any]
    trained_by: str
    store: ModelStore | None = None
    train_actors: int = 1
    gpu: bool = False


@dataclass
class SearchOutcome:
    """What training and search produced: the proposals, how many surrogate evaluations the
    search made, the trained surrogate (``None`` without a model), other models by role, the
    seconds each stage took, and (with a ``StoreContext``) each model's key and whether it was
    loaded from the store, by role."""

    proposals: np.ndarray
    n_evals: int
    surrogate: Any
    models: dict[str, Any] = field(default_factory=dict)
    times: dict[str, float] = field(default_factory=dict)
    stored: dict[str, StoredModel] = field(default_factory=dict)


def train_and_search(
    spec: MethodSpec,
    problem: OfflineProblem,
    configs: ResolvedMethod,
    n_proposals: int,
    seed: int,
    trainer: Trainer = local_trainer,
    progress: bool = False,
    search_view: Callable[[Any], Any] | None = None,
    train_on: OfflineProblem | None = None,
    store: StoreContext | None = None,
) -> SearchOutcome:
    """Train the method's models on ``problem`` and search them for ``n_proposals`` designs.

    ``search_view`` wraps the surrogate as the search sees it (user data: predictions of the
    snapped design; permutations: predictions from encoded features); the returned surrogate is
    the trained one. ``train_on`` is what the models learn from when it is not ``problem``
    itself (the encoded features of permutation designs). ``store``: models whose key is in its
    store are loaded instead of trained, and those trained here are published to it.
    """
    learn = problem if train_on is None else train_on
    seed_train, seed_gen, seed_search = split_seeds(seed)
    t = time.perf_counter()
    jobs = []
    if spec.scheme is not None:
        jobs.append(TrainJob(learn, spec.scheme, configs.model, seed_train))
    if spec.generator is not None:
        jobs.append(TrainJob(learn, spec.generator, configs.generator, seed_gen, role="generator"))
    trained, stored = _obtain_models(jobs, trainer, progress, store)
    models = dict(zip([j.role for j in jobs], trained))
    surrogate = models.pop("surrogate", None)
    t_train = time.perf_counter() - t

    t = time.perf_counter()
    searcher = get_searcher(spec.search)
    total = int(getattr(configs.search, searcher.steps_field, 0) or 0)
    seen = surrogate if search_view is None or surrogate is None else search_view(surrogate)
    with progress_bar(progress and total > 0, total, f"search ({spec.search})") as bar:
        ctx = SearchContext(seen, problem, n_proposals, seed_search, bar.step if bar else None, models)
        proposals, n_evals = searcher.run(ctx, configs.search)
    times = {"time_train_s": t_train, "time_search_s": time.perf_counter() - t}
    return SearchOutcome(np.asarray(proposals), int(n_evals), surrogate, models, times,
                         dict(zip([j.role for j in jobs], stored)))


def _obtain_models(jobs: list[TrainJob], trainer: Trainer, progress: bool,
                   store: StoreContext | None) -> tuple[list[Any], list[StoredModel]]:
    if not jobs:
        return [], []
    if store is None:
        return trainer(jobs, progress), []
    parts = [key_parts(j, store.dataset, store.train_actors, store.gpu) for j in jobs]
    if store.store is None:
        return trainer(jobs, progress), [StoredModel(model_key(p), reused=False) for p in parts]
    return train_through_store(jobs, lambda todo: trainer(todo, progress), store.store, parts, store.trained_by)
