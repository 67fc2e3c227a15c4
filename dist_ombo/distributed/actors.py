"""Ray actors that train models (surrogate ensembles, generators): thin wrappers around a
registered scheme's ``fit``.

An ensemble's members are split into groups, one actor per group, and generators get an actor
each, all training in parallel; each
actor asks for ``num_gpus`` (fractional allowed) and ``num_cpus`` from the trial's config, sets
torch's thread count to its CPUs, trains on CUDA when Ray gave it a GPU and CUDA exists, and
returns plain-numpy weights through the object store. On a machine where Ray schedules logical
GPUs but CUDA is absent, it warns once and trains on CPU.
"""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from typing import Any

import ray

from dist_ombo.errors import DistOmboError
from dist_ombo.catalog import get_scheme
from dist_ombo.pipeline import TrainJob
from dist_ombo.seeding import spawn_seeds

#: Seconds to wait for one training actor before giving up (a dead or hung actor must not hang a sweep).
TRAIN_TIMEOUT_S = float(os.environ.get("DIST_OMBO_TRAIN_TIMEOUT_S", 6 * 3600))


class TrainingActorError(DistOmboError, RuntimeError):
    """A training actor died or timed out; the message names the actor and the cause."""


def pick_device(gpu_ids: list[Any], cuda_available: bool) -> tuple[str, str | None]:
    """Device for an actor given the GPU ids Ray assigned; returns ``(device, warning or None)``."""
    if not gpu_ids:
        return "cpu", None
    if cuda_available:
        return "cuda", None
    return "cpu", (
        f"Ray assigned GPU id(s) {gpu_ids} to this training actor but CUDA is not available "
        "(CPU-only torch build or no driver): training on CPU instead"
    )


@ray.remote
class ModelTrainer:
    """Trains one model (or one group of an ensemble's members) with a registered scheme."""

    def __init__(self, num_threads: int) -> None:
        import torch

        torch.set_num_threads(max(1, int(num_threads)))  # a reused worker keeps old thread counts
        self.gpu_ids = list(ray.get_gpu_ids())
        self.device, self.warning = pick_device(self.gpu_ids, torch.cuda.is_available())

    def info(self) -> dict[str, Any]:
        return {"gpu_ids": self.gpu_ids, "device": self.device, "warning": self.warning, "pid": os.getpid(),
                "node_id": ray.get_runtime_context().get_node_id()}

    def fit(self, job: TrainJob, show_progress: bool = False) -> dict[str, Any]:
        scheme = get_scheme(job.scheme)
        config = job.config
        if "device" in {f.name for f in dataclasses.fields(config)}:
            config = dataclasses.replace(config, device=self.device)
        progress, bar = None, None
        epochs = int(getattr(config, "epochs", 0) or 0)
        if show_progress and epochs:  # Ray's tqdm draws actors' bars in the driver's terminal
            from ray.experimental.tqdm_ray import tqdm

            bar = tqdm(total=epochs, desc=f"train {job.role} ({job.scheme}, {self.device})")

            def progress(epoch, n_epochs, train_loss, val_loss):
                bar.update(1)

        model = scheme.train(job.problem, config, job.seed, progress)
        if bar is not None:
            bar.close()
        state = model.state()
        if isinstance(state.get("config"), dict) and "device" in state["config"]:
            state["config"] = {**state["config"], "device": "cpu"}  # weights travel as numpy
        return state


def member_groups(n_members: int, n_groups: int) -> list[int]:
    """Split ``n_members`` as evenly as possible into at most ``n_groups`` non-empty groups."""
    n_groups = max(1, min(int(n_groups), n_members))
    base, extra = divmod(n_members, n_groups)
    return [base + (1 if i < extra else 0) for i in range(n_groups)]


def group_seeds(seed: int, n_groups: int) -> list[int]:
    """One seed per member group; a single group keeps the trial's seed (so local == Ray)."""
    if n_groups == 1:
        return [int(seed)]
    return spawn_seeds(seed, n_groups)


def split_by_objective(job: TrainJob, train_actors: int) -> list[TrainJob]:
    """A GP's objectives (``split_objectives`` schemes) in at most ``train_actors`` groups, one
    job each, like an ensemble's member groups; the scheme's ``merge`` joins the fitted groups.
    Every group fits on the same subset with the same seed, so the merged model equals one fitted
    in a single process. A single group keeps the job whole."""
    sizes = member_groups(job.problem.n_obj, train_actors)
    if len(sizes) <= 1:
        return [job]
    jobs, start = [], 0
    for size in sizes:
        objectives = tuple(range(start, start + size))
        jobs.append(dataclasses.replace(job, config=dataclasses.replace(job.config, objectives=objectives)))
        start += size
    return jobs


def _split(job: TrainJob, train_actors: int) -> list[TrainJob]:
    """An ensemble's members split over actors (splittable schemes), a GP's objectives likewise
    (``split_objectives``); other models train whole."""
    scheme = get_scheme(job.scheme)
    if scheme.split_objectives and train_actors > 1:
        return split_by_objective(job, train_actors)
    if not scheme.splittable or train_actors <= 1:
        return [job]
    sizes = member_groups(job.config.n_members, train_actors)
    seeds = group_seeds(job.seed, len(sizes))
    return [dataclasses.replace(job, config=dataclasses.replace(job.config, n_members=size), seed=seed)
            for size, seed in zip(sizes, seeds)]


def ray_train(jobs: list[TrainJob], train_actors: int = 1, cpus_per_actor: float = 1.0,
              gpus_per_actor: float = 0.0, show_progress: bool = False,
              placements: list[dict[str, Any]] | None = None) -> list[Any]:
    """Train every job on Ray actors in parallel (ensembles split into member groups, one actor
    each) and return the models in job order, groups merged. ``placements``, if given, receives
    each actor's ``info()`` (node, GPUs, PID): where the training ran."""
    parts = [_split(job, train_actors) for job in jobs]
    flat = [p for group in parts for p in group]
    threads = max(1, int(math.floor(cpus_per_actor)))
    actors = [ModelTrainer.options(num_cpus=cpus_per_actor, num_gpus=gpus_per_actor).remote(threads)
              for _ in flat]
    try:
        infos = ray.get([actor.info.remote() for actor in actors], timeout=TRAIN_TIMEOUT_S)
        if placements is not None:
            placements.extend(infos)
        fallbacks = [i["warning"] for i in infos if i["warning"]]
        if fallbacks:  # one warning per trial, not one per actor
            warnings.warn(f"{len(fallbacks)} of {len(infos)} training actors: {fallbacks[0]}",
                          RuntimeWarning, stacklevel=2)
        refs = [actor.fit.remote(job, show_progress) for actor, job in zip(actors, flat)]
        states = [_get(ref, i, flat[i]) for i, ref in enumerate(refs)]
    finally:
        for actor in actors:
            ray.kill(actor)
    models, i = [], 0
    for job, group in zip(jobs, parts):
        scheme = get_scheme(job.scheme)
        chunk = states[i:i + len(group)]
        i += len(group)
        models.append(scheme.from_state(scheme.merge(chunk) if len(chunk) > 1 else chunk[0]))
    return models


def _get(ref: Any, i: int, job: TrainJob) -> dict[str, Any]:
    what = f"training actor {i} ({job.role}, {job.scheme})"
    try:
        return ray.get(ref, timeout=TRAIN_TIMEOUT_S)
    except ray.exceptions.GetTimeoutError as exc:
        raise TrainingActorError(f"{what} timed out after {TRAIN_TIMEOUT_S:.0f} s") from exc
    except ray.exceptions.RayActorError as exc:
        raise TrainingActorError(f"{what} died: {exc}") from exc
    except ray.exceptions.RayTaskError as exc:
        cause = exc.cause if exc.cause is not None else exc
        raise TrainingActorError(f"{what} failed: {type(cause).__name__}: {cause}") from exc


def n_training_pieces(scheme: str | None, generator: str | None, train_actors: int) -> int:
    """How many actors a trial's training needs: member groups of a splittable surrogate scheme,
    one for any other model, one per generator."""
    pieces = 0
    if scheme is not None:
        split = get_scheme(scheme).splittable or get_scheme(scheme).split_objectives
        pieces += max(1, int(train_actors)) if split else 1
    if generator is not None:
        pieces += 1
    return pieces


def in_process_trainer():
    """A ``pipeline.Trainer`` for a Ray worker that already holds the trial's resources (a Tune
    trial with a single training piece): trains here, on the GPU Ray assigned this worker if CUDA
    has it, so no extra process (and no second torch import) is paid per trial."""
    import torch

    device, warning = pick_device(list(ray.get_gpu_ids()), torch.cuda.is_available())
    if warning:
        warnings.warn(f"trial worker: {warning}", RuntimeWarning, stacklevel=2)

    def train(jobs: list[TrainJob], show_progress: bool = False) -> list[Any]:
        models = []
        for job in jobs:
            config = job.config
            if "device" in {f.name for f in dataclasses.fields(config)}:
                config = dataclasses.replace(config, device=device)
            scheme = get_scheme(job.scheme)
            model = scheme.train(job.problem, config, job.seed)
            if device != "cpu":  # search runs on CPU tensors in this process: round-trip the state
                state = model.state()
                if isinstance(state.get("config"), dict) and "device" in state["config"]:
                    state["config"] = {**state["config"], "device": "cpu"}
                model = scheme.from_state(state)
            models.append(model)
        return models

    train.gpu = device != "cpu"  # type: ignore[attr-defined]  # part of a stored model's key
    return train


def ray_trainer(train_actors: int = 1, cpus_per_actor: float = 1.0, gpus_per_actor: float = 0.0):
    """A ``pipeline.Trainer`` that trains on Ray actors with these resources; its ``placements``
    list collects where each actor ran."""
    placements: list[dict[str, Any]] = []

    def train(jobs: list[TrainJob], show_progress: bool = False) -> list[Any]:
        return ray_train(jobs, train_actors, cpus_per_actor, gpus_per_actor, show_progress=show_progress,
                         placements=placements)

    train.placements = placements  # type: ignore[attr-defined]
    train.train_actors = train_actors  # type: ignore[attr-defined]  # a stored model's key holds the split
    train.gpu = gpus_per_actor > 0  # type: ignore[attr-defined]
    return train
