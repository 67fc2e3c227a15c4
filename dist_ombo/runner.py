"""One trial end to end: (task, method, seed) -> dataset -> train -> search -> proposals -> score.

Readable without knowing Ray: training goes through a ``Trainer`` callable, in-process by default
or on Ray actors (``dist_ombo.distributed.actors.ray_trainer``). The oracle is called here and only
here, once, on the final proposals.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dist_ombo import metrics as M
from dist_ombo.catalog import check_task_fit, get_searcher, method_for
from dist_ombo.config import config_from_dict
from dist_ombo.errors import ConfigError
from dist_ombo.models.permutation_encoding import EncodedSurrogate, PermutationEncoder
from dist_ombo.model_store import ModelStore, canonical_sha256, code_version, data_fingerprint, jsonable
from dist_ombo.pipeline import (ResolvedMethod, StoreContext, Trainer, local_trainer, resolve_configs,
                                train_and_search)
from dist_ombo.problem import OfflineProblem
from dist_ombo.reference_fronts import ReferenceFrontError, reference_front
from dist_ombo.search.permutation import permutation_refusal
from dist_ombo.specs import MethodSpec
from dist_ombo.tasks import get_task
from dist_ombo.tasks.base import PROTOCOL_VERSION, Task

#: Proposal budgets: Off-MOO-Bench 256 (MOO), Design-Bench 128 (SOO).
DEFAULT_PROPOSALS = {"moo": 256, "soo": 128}
#: D(best): the data's best 256 designs (Off-MOO-Bench), whatever a trial's proposal count.
DBEST_SIZE = 256


@dataclass(frozen=True)
class TrialConfig:
    """Everything that defines one trial. The method is a preset by name, or ``scheme`` +
    ``searcher`` composed (``method`` is then its label, default ``<scheme>-<searcher>``).
    ``model`` / ``search`` override the method's defaults (which override the budget's);
    resources say how training actors are placed. In a dict, ``search`` may name the search
    (``{scheme: coms, search: nsga3}``); its overrides then go in ``search_params``."""

    task: str
    method: str = ""
    seed: int = 0
    budget: str = "cpu"
    task_params: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    search: dict[str, Any] = field(default_factory=dict)
    n_proposals: int | None = None
    train_actors: int = 1  # members are split into this many groups, one Ray actor each
    cpus_per_actor: float = 1.0
    gpus_per_actor: float = 0.0
    scheme: str | None = None
    searcher: str | None = None

    def __post_init__(self) -> None:
        from dist_ombo.validation import raise_problems, trial_problems

        raise_problems(trial_problems(self), "trial config")
        if not self.method and self.scheme is not None and self.searcher is not None:
            object.__setattr__(self, "method", f"{self.scheme}-{self.searcher}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrialConfig":
        data = dict(data)
        if isinstance(data.get("search"), str):  # a search name, not overrides
            data["searcher"] = data.pop("search")
            data["search"] = data.pop("search_params", None) or {}
        return config_from_dict(cls, data, "trial config")

    def to_dict(self) -> dict[str, Any]:
        """Plain data; a preset trial leaves out the composition keys, so its record reads as before."""
        out = asdict(self)
        for key in ("scheme", "searcher"):
            if out[key] is None:
                del out[key]
        return out

    def method_spec(self) -> MethodSpec:
        """The preset this trial names, or its scheme + search composed (validated)."""
        return method_for(self.method, self.scheme, self.searcher)


def check_compatible(task: Task, spec: MethodSpec) -> None:
    """Raise ``ConfigError`` when the method cannot run on the task, listing the searches that fit."""
    check_task_fit(spec, task.kind, task.is_discrete, task.name, task.n_obj)
    if task.design_kind == "permutation":
        why = permutation_refusal(spec.search, get_searcher(spec.search).params.get("algorithm"), spec.generator)
        if why:
            raise ConfigError(f"method {spec.name!r} cannot search permutations ({task.name!r}): {why}")


def check_trial(config: TrialConfig) -> tuple[Task, MethodSpec, ResolvedMethod]:
    """The checks a trial makes before any data or Ray (names, task/method fit, configs, the task's
    stored reference front); returns the task, the method and its resolved configs."""
    task = get_task(config.task, **config.task_params)
    spec = config.method_spec()
    check_compatible(task, spec)
    reference_front(task)  # a damaged front file is one line now, not a scoring error after training
    return task, spec, resolve_configs(spec, config.budget, config.model, config.search)


def settings_hash(resolved: ResolvedMethod) -> str:
    """A short hash of a method's resolved model, search and generator configs. A finished trial
    records it, so a resumed sweep reruns a trial whose settings changed since (a catalog or
    budget default), although its ``config.json`` (names and overrides) is the same."""
    parts = {name: None if cfg is None else jsonable(asdict(cfg))
             for name, cfg in (("model", resolved.model), ("search", resolved.search),
                               ("generator", resolved.generator))}
    return canonical_sha256(parts)[:16]


def trial_settings_hash(config: TrialConfig) -> str:
    """``settings_hash`` of what ``config`` resolves to now (no task or data is built)."""
    return settings_hash(resolve_configs(config.method_spec(), config.budget, config.model, config.search))


def task_problem(task: Task, data) -> OfflineProblem:
    """What a method sees of a task's dataset."""
    return OfflineProblem(data.X, data.Y, task.lower, task.upper, task.n_categories,
                          permutation=task.design_kind == "permutation")


def run_trial(
    config: TrialConfig,
    out_dir: str | Path | None = None,
    trainer: Trainer = local_trainer,
    progress: bool = False,
    model_store: ModelStore | str | Path | None = None,
) -> TrialResult:
    """Run one trial; write ``proposals.parquet`` and ``metrics.json`` to ``out_dir`` if given.

    With ``model_store`` (a ``ModelStore`` or its folder) a model another trial already trained
    with the same key is loaded instead of trained, and a model trained here is stored. A trainer
    that splits training says so by its ``train_actors`` / ``gpu`` attributes (part of the key)."""
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    task, spec, resolved = check_trial(config)
    store = _store_context(config, task, spec, trainer, out_dir, model_store)
    n_proposals = config.n_proposals or DEFAULT_PROPOSALS[task.kind]

    data = task.dataset(config.seed)
    times["time_dataset_s"] = time.perf_counter() - t0

    problem, train_on, view = task_problem(task, data), None, None
    if task.design_kind == "permutation" and getattr(task, "surrogate_encoding", "position") == "adjacency":
        # the surrogate learns from adjacency features in [0, 1]; search still varies permutations
        encoder = PermutationEncoder(task.dim, "adjacency")
        F = encoder.transform(data.X)
        train_on = OfflineProblem(F, data.Y, np.zeros(F.shape[1]), np.ones(F.shape[1]))
        view = partial(EncodedSurrogate, encoder=encoder)
    outcome = train_and_search(spec, problem, resolved, n_proposals, config.seed, trainer, progress,
                               search_view=view, train_on=train_on, store=store)
    times.update(outcome.times)
    proposals, surrogate = outcome.proposals, outcome.surrogate
    if view is not None and surrogate is not None:
        surrogate = view(surrogate)

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
        # the offline dataset is a function of (task, seed); its checksum shows when a rebuild elsewhere
        # (another machine's floating point) gave other data
        "dataset_sha256": data_fingerprint(problem),
        "surrogate_evals": int(outcome.n_evals),
        "search_evals_per_s": float(outcome.n_evals / max(times["time_search_s"], 1e-9)),
        "final_val_loss": _final_val_loss(surrogate),
        "code_version": code_version(), "settings_hash": settings_hash(resolved),
        **_stored_metrics(outcome.stored),
    })
    frame = proposals_frame(proposals, pred_mean, pred_std, true_Y)
    if out_dir is not None:
        write_trial_outputs(Path(out_dir), frame, metrics, config)
    return TrialResult(metrics=metrics, proposals=frame)


def _store_context(config: TrialConfig, task: Task, spec: MethodSpec, trainer: Trainer,
                   out_dir: str | Path | None, model_store: ModelStore | str | Path | None) -> StoreContext:
    if model_store is not None:
        model_store = (model_store if isinstance(model_store, ModelStore) else ModelStore(model_store)).check()
    dataset = {"task": task.name, "task_params": config.task_params, "data_seed": config.seed,
               "protocol_version": PROTOCOL_VERSION}
    label = Path(out_dir).name if out_dir is not None else f"{task.name}__{spec.name}__seed{config.seed}"
    return StoreContext(dataset, label, model_store, int(getattr(trainer, "train_actors", 1)),
                        bool(getattr(trainer, "gpu", False)))


def _stored_metrics(stored: dict[str, Any]) -> dict[str, Any]:
    """``model_key`` / ``model_reused`` of the surrogate (``None`` / false without one), and
    ``generator_key`` / ``generator_reused`` when the method trains a generator."""
    surrogate = stored.get("surrogate")
    out = {"model_key": surrogate.key if surrogate else None, "model_reused": bool(surrogate and surrogate.reused)}
    if "generator" in stored:
        out.update(generator_key=stored["generator"].key, generator_reused=stored["generator"].reused)
    return out


@dataclass
class TrialResult:
    metrics: dict[str, Any]
    proposals: pd.DataFrame


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
    out["copy_fraction"] = M.copy_fraction(proposals, data.X, task.lower, task.upper,
                                           exact=task.design_kind != "continuous")
    if task.kind == "moo":
        out.update(moo_scores(task, data, true_Y))
    else:
        lo, hi = float(data.y_min_full[0]), float(data.y_max_full[0])
        out.update(M.soo_percentile_scores(true_Y[:, 0], lo, hi))
        out["score_dbest"] = float(M.normalized_score(np.array([data.Y[:, 0].min()]), lo, hi)[0])
        out["beats_dbest"] = bool(out["score_100th"] > out["score_dbest"])
        if task.optimum is not None:
            out["score_optimum"] = float(M.normalized_score(np.array([task.optimum]), lo, hi)[0])
    return out


def moo_scores(task: Task, data, true_Y: np.ndarray) -> dict[str, Any]:
    """Protocol HV next to D(best), headroom to the reference front, IGD/IGD+ and the robust HV
    (``docs/headroom.md``). D(best) is the data's best 256 by NDS + crowding, a function of the
    (task, seed) data alone, so every method on that data gets the same ``hv_dbest``."""

    lo, hi, nadir = data.y_min_full, data.y_max_full, task.nadir_point
    hv = lambda Y: M.offmoo_hypervolume(Y, lo, hi, nadir)  # noqa: E731
    dbest = data.Y[M.dbest_indices(data.Y, DBEST_SIZE)]
    out: dict[str, Any] = {}
    out["hv"] = hv(true_Y)
    out["hv_50th"] = hv(true_Y[M.percentile_subset(true_Y, 50)]) if len(true_Y) else 0.0
    out["hv_dbest"] = hv(dbest)
    out["hv_ratio"] = out["hv"] / out["hv_dbest"] if out["hv_dbest"] > 0 else float("nan")
    out["beats_dbest"] = bool(out["hv"] > out["hv_dbest"])

    robust_hi = getattr(data, "y_robust_max_full", None)
    if robust_hi is not None:
        out["hv_robust"] = M.robust_hypervolume(true_Y, lo, robust_hi, nadir)
        out["hv_robust_dbest"] = M.robust_hypervolume(dbest, lo, robust_hi, nadir)
        out["hv_robust_ratio"] = (out["hv_robust"] / out["hv_robust_dbest"]
                                  if out["hv_robust_dbest"] > 0 else float("nan"))
    else:  # a dataset built without the whole collected data (user data): no robust bound
        out["hv_robust"] = out["hv_robust_dbest"] = out["hv_robust_ratio"] = float("nan")

    out["hv_front"] = out["headroom"] = out["igd"] = out["igd_plus"] = float("nan")
    try:
        front = reference_front(task)
    except ReferenceFrontError as exc:  # finished work is kept; the record says why no front
        logging.getLogger(__name__).warning("%s", exc)
        out["reference_front"] = f"error: {exc}"
        return out
    out["reference_front"] = front.version if front is not None else "none"
    if front is not None:
        out["hv_front"] = hv(front.points)
        out["headroom"] = M.headroom(out["hv"], out["hv_dbest"], out["hv_front"])
        out["igd"] = M.igd(true_Y, front.points)
        out["igd_plus"] = M.igd_plus(true_Y, front.points)
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
    """Temp file + rename, mode 0644 (``dist_ombo.io``)."""
    from dist_ombo.io import write_text_atomic

    write_text_atomic(path, json.dumps(jsonable(payload), indent=2, sort_keys=True))
