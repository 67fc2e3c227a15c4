"""One trial end to end: (task, method, seed) -> dataset -> train -> search -> proposals -> score.

Readable without knowing Ray: training goes through a ``Trainer`` callable, in-process by default
or on Ray actors (``dist_ombo.distributed.actors.ray_trainer``). The oracle is called here and only
here, once, on the final proposals.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from dist_ombo import metrics as M
from dist_ombo.config import config_from_dict
from dist_ombo.errors import ConfigError
from dist_ombo.methods import MethodSpec, check_objective_count, get_budget, get_method
from dist_ombo.models.registry import get_scheme
from dist_ombo.search.registry import SearchContext, get_searcher
from dist_ombo.tasks import get_task
from dist_ombo.tasks.base import PROTOCOL_VERSION, Task

#: Proposal budgets: Off-MOO-Bench 256 (MOO), Design-Bench 128 (SOO).
DEFAULT_PROPOSALS = {"moo": 256, "soo": 128}


@dataclass(frozen=True)
class TrialConfig:
    """Everything that defines one trial. ``model`` / ``search`` override the method's defaults
    (which override the budget's); resources say how training actors are placed."""

    task: str
    method: str
    seed: int = 0
    budget: str = "cpu"
    task_params: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    search: dict[str, Any] = field(default_factory=dict)
    n_proposals: int | None = None
    train_actors: int = 1  # members are split into this many groups, one Ray actor each
    cpus_per_actor: float = 1.0
    gpus_per_actor: float = 0.0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrialConfig":
        return config_from_dict(cls, data, "trial config")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TrainJob:
    """One model to train: the arrays, the scheme and its config. No task object, no oracle."""

    X: np.ndarray
    Y: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n_categories: int | None
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
        scheme = get_scheme(job.scheme)
        epochs = getattr(job.config, "epochs", 1)
        with _bar(show_progress, epochs, f"train {job.role} ({job.scheme})") as bar:
            models.append(scheme.fit(job.X, job.Y, job.lower, job.upper, job.n_categories, job.config,
                                     job.seed, bar.epoch if bar else None))
    return models


@dataclass
class TrialResult:
    metrics: dict[str, Any]
    proposals: pd.DataFrame


@dataclass(frozen=True)
class ResolvedMethod:
    """A method's configs after merging budget < method defaults < trial overrides."""

    model: Any  # surrogate scheme config, or None for model-free methods
    search: Any
    generator: Any = None


def resolve_configs(config: TrialConfig, spec: MethodSpec) -> ResolvedMethod:
    """Merge budget < method < trial overrides into the model, generator and search configs."""
    budget = get_budget(config.budget)
    model = None
    if spec.scheme is not None:
        model = get_scheme(spec.scheme).make_config(budget.get("model", {}), {**spec.model, **config.model})
    elif config.model:
        raise ConfigError(f"method {spec.name!r} trains no model; drop the model overrides {sorted(config.model)}")
    generator = None
    if spec.generator is not None:
        generator = get_scheme(spec.generator).make_config(budget.get("generator", {}), spec.generator_params)
    searcher = get_searcher(spec.search)
    search_params = {**budget.get(spec.search, {}), **spec.search_params, **config.search}
    search = config_from_dict(searcher.config_cls, search_params, f"search config of {spec.name}")
    return ResolvedMethod(model=model, search=search, generator=generator)


def check_compatible(task: Task, spec: MethodSpec) -> None:
    if task.kind not in spec.objectives:
        raise ConfigError(
            f"method {spec.name!r} supports {'/'.join(spec.objectives)} tasks; {task.name!r} is {task.kind}"
        )
    if task.is_discrete and not spec.discrete:
        raise ConfigError(f"method {spec.name!r} does not support discrete designs ({task.name!r})")
    check_objective_count(spec, task.n_obj, task.kind)


def run_trial(
    config: TrialConfig,
    out_dir: str | Path | None = None,
    trainer: Trainer = local_trainer,
    progress: bool = False,
) -> TrialResult:
    """Run one trial; write ``proposals.parquet`` and ``metrics.json`` to ``out_dir`` if given."""
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    task = get_task(config.task, **config.task_params)
    spec = get_method(config.method)
    check_compatible(task, spec)
    resolved = resolve_configs(config, spec)
    n_proposals = config.n_proposals or DEFAULT_PROPOSALS[task.kind]

    data = task.dataset(config.seed)
    times["time_dataset_s"] = time.perf_counter() - t0

    t = time.perf_counter()
    seed_train, seed_gen, seed_search = (
        int(s.generate_state(1)[0]) for s in np.random.SeedSequence(config.seed).spawn(3)
    )
    common = (data.X, data.Y, task.lower, task.upper, task.n_categories)
    jobs = []
    if spec.scheme is not None:
        jobs.append(TrainJob(*common, scheme=spec.scheme, config=resolved.model, seed=seed_train))
    if spec.generator is not None:
        jobs.append(TrainJob(*common, scheme=spec.generator, config=resolved.generator, seed=seed_gen,
                             role="generator"))
    models = dict(zip([j.role for j in jobs], trainer(jobs, progress))) if jobs else {}
    surrogate = models.pop("surrogate", None)
    times["time_train_s"] = time.perf_counter() - t

    t = time.perf_counter()
    searcher = get_searcher(spec.search)
    total = int(getattr(resolved.search, searcher.steps_field, 0) or 0)
    with _bar(progress and total > 0, total, f"search ({spec.search})") as bar:
        ctx = SearchContext(surrogate, data.X, data.Y, task.lower, task.upper, task.n_categories,
                            n_proposals, seed_search, bar.step if bar else None, models)
        proposals, n_evals = searcher.run(ctx, resolved.search)
    times["time_search_s"] = time.perf_counter() - t

    t = time.perf_counter()
    if surrogate is not None:
        pred_mean, pred_std = surrogate.predict(proposals)
    else:  # model-free methods predict nothing
        pred_mean = pred_std = np.full((len(proposals), task.n_obj), np.nan)
    true_Y = task.oracle(proposals)  # the only oracle call of a trial
    metrics = score(task, data, proposals, true_Y)
    times["time_score_s"] = time.perf_counter() - t
    times["time_total_s"] = time.perf_counter() - t0

    metrics.update(times)
    metrics.update({
        "task": task.name, "method": spec.name, "seed": config.seed, "budget": config.budget,
        "protocol_version": PROTOCOL_VERSION, "n_train": len(data.X), "n_proposals": len(proposals),
        "surrogate_evals": int(n_evals),
        "search_evals_per_s": float(n_evals / max(times["time_search_s"], 1e-9)),
        "final_val_loss": _final_val_loss(surrogate),
    })
    frame = proposals_frame(proposals, pred_mean, pred_std, true_Y)
    if out_dir is not None:
        write_trial_outputs(Path(out_dir), frame, metrics, config)
    return TrialResult(metrics=metrics, proposals=frame)


def _final_val_loss(surrogate: Any) -> float:
    history = getattr(surrogate, "history", None)
    if history and "val_loss" in history[-1]:
        return float(history[-1]["val_loss"])
    return float("nan")


def score(task: Task, data, proposals: np.ndarray, true_Y: np.ndarray) -> dict[str, Any]:
    """Oracle-based scores of proposals next to D(best), the best the data already holds."""
    out: dict[str, Any] = {}
    discrete = task.is_discrete
    out["diversity"] = M.diversity(proposals, task.lower, task.upper, discrete)
    out["novelty"] = M.novelty(proposals, data.X, task.lower, task.upper, discrete)
    if task.kind == "moo":
        hv = lambda Y: M.offmoo_hypervolume(Y, data.y_min_full, data.y_max_full, task.nadir_point)  # noqa: E731
        dbest = data.Y[M.rank_by_nds(data.Y, len(proposals) if len(proposals) else 256)]
        out["hv"] = hv(true_Y)
        out["hv_50th"] = hv(true_Y[M.percentile_subset(true_Y, 50)]) if len(true_Y) else 0.0
        out["hv_dbest"] = hv(data.Y[M.rank_by_nds(data.Y, 256)])
        out["hv_ratio"] = out["hv"] / out["hv_dbest"] if out["hv_dbest"] > 0 else float("nan")
        out["beats_dbest"] = bool(out["hv"] > out["hv_dbest"])
        del dbest
        front = task.pareto_front()
        if front is not None:
            out["igd"] = M.igd(true_Y, front)
    else:
        lo, hi = float(data.y_min_full[0]), float(data.y_max_full[0])
        out.update(M.soo_percentile_scores(true_Y[:, 0], lo, hi))
        out["score_dbest"] = float(M.normalized_score(np.array([data.Y[:, 0].min()]), lo, hi)[0])
        out["beats_dbest"] = bool(out["score_100th"] > out["score_dbest"])
        if task.optimum is not None:
            out["score_optimum"] = float(M.normalized_score(np.array([task.optimum]), lo, hi)[0])
    return out


def proposals_frame(X: np.ndarray, mean: np.ndarray, std: np.ndarray, true_Y: np.ndarray) -> pd.DataFrame:
    cols: dict[str, np.ndarray] = {f"x{i}": X[:, i] for i in range(X.shape[1])}
    for j in range(mean.shape[1]):
        cols[f"pred_f{j}"] = mean[:, j]
        cols[f"pred_std_f{j}"] = std[:, j]
        cols[f"true_f{j}"] = true_Y[:, j]
    return pd.DataFrame(cols)


def write_trial_outputs(out_dir: Path, frame: pd.DataFrame, metrics: dict[str, Any], config: TrialConfig) -> None:
    """Write proposals and metrics atomically (metrics last: its presence marks a finished trial)."""
    from dist_ombo.tasks.cache import write_parquet_atomic

    out_dir.mkdir(parents=True, exist_ok=True)
    write_parquet_atomic(frame, out_dir / "proposals.parquet")
    write_json_atomic(out_dir / "config.json", config.to_dict())
    write_json_atomic(out_dir / "metrics.json", metrics)


def write_json_atomic(path: Path, payload: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(jsonable(payload), fh, indent=2, sort_keys=True)
    os.replace(tmp, path)


def jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return obj


class _Bars:
    """tqdm bars for training epochs and search steps (quiet unless asked for)."""

    def __init__(self, total: int, desc: str) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, desc=desc, leave=False)

    def epoch(self, epoch: int, n_epochs: int, train_loss: float, val_loss: float) -> None:
        self.bar.total = n_epochs
        self.bar.n = epoch
        self.bar.set_postfix(train=f"{train_loss:.4f}", val=f"{val_loss:.4f}", refresh=False)
        self.bar.refresh()

    def step(self, i: int, total: int) -> None:
        self.bar.total = total
        self.bar.n = i
        self.bar.refresh()


class _bar:
    def __init__(self, enabled: bool, total: int, desc: str) -> None:
        self.enabled, self.total, self.desc = enabled, total, desc
        self.bars: _Bars | None = None

    def __enter__(self) -> _Bars | None:
        if self.enabled:
            self.bars = _Bars(self.total, self.desc)
        return self.bars

    def __exit__(self, *exc: Any) -> None:
        if self.bars is not None:
            self.bars.bar.close()
