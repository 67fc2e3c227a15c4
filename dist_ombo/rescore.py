"""Recompute the multi-objective scores of finished trials from what they saved, without training.

A trial folder holds ``config.json`` (task, its parameters, seed), ``proposals.parquet`` (the
designs and their true objectives ``true_f*``) and ``metrics.json``. Rescoring rebuilds the
(task, seed) dataset (deterministic, cached), recomputes the scoring keys of
``runner.moo_scores`` (protocol HV and D(best), headroom to the reference front, IGD/IGD+, the
robust HV) of multi-objective trials on a continuous box and the ``copy_fraction`` of every trial
(single-objective and discrete ones get that key only), keeps every other key, records
``rescored_with``, and writes ``metrics.json`` atomically. It also checks that the trial was
trained on the data the (task, seed) rebuilds: its stored ``dataset_sha256`` must match the
rebuilt dataset's (trials from before that key was recorded: its stored novelty, the distance to
the training designs, must be reproduced); ``trained_on_rebuilt_data`` says whether it was, and
where it was not ``copy_fraction`` is NaN.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dist_ombo import __version__
from dist_ombo import metrics as M
from dist_ombo.errors import DistOmboError

#: Bump when the scoring keys or their definitions change.
SCORING_VERSION = "3"


class RescoreError(DistOmboError):
    """A path given to rescore is not a trial or sweep folder."""


@dataclass(frozen=True)
class Rescored:
    """What rescoring did to one trial folder: ``status`` is ``rescored`` or ``skipped``."""

    trial: Path
    status: str
    detail: str = ""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def trial_dirs(paths: list[Path]) -> list[Path]:
    """Trial folders under each path (a sweep folder's ``trials/*``, or a trial folder itself).
    Raises ``RescoreError`` naming the first path that holds none, before anything is rescored."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if not path.is_dir():
            raise RescoreError(f"{path} is not a folder (give sweep or trial folders)")
        if (path / "metrics.json").exists():
            found.append(path)
            continue
        inner = sorted(p.parent for p in path.glob("trials/*/metrics.json")) or sorted(
            p.parent for p in path.glob("*/metrics.json"))
        if not inner:
            raise RescoreError(f"{path} holds no trial folders (no */metrics.json or trials/*/metrics.json)")
        found.extend(inner)
    return found


def rescore_trial(trial: Path, write: bool = True, datasets: dict | None = None) -> Rescored:
    """Rescore one trial folder (MOO trials; others are skipped with the reason). ``datasets``
    keeps rebuilt datasets and their checksums between calls (a sweep has many trials per (task,
    seed))."""
    from dist_ombo.model_store import data_fingerprint
    from dist_ombo.runner import moo_scores, task_problem, write_json_atomic
    from dist_ombo.tasks import get_task

    trial = Path(trial)
    try:
        metrics = json.loads((trial / "metrics.json").read_text())
        config = json.loads((trial / "config.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        return Rescored(trial, "skipped", f"unreadable metrics.json or config.json ({exc})")
    task = get_task(config["task"], **(config.get("task_params") or {}))
    try:
        frame = pd.read_parquet(trial / "proposals.parquet")
    except (OSError, ValueError) as exc:
        return Rescored(trial, "skipped", f"unreadable proposals.parquet ({type(exc).__name__})")
    moo = task.kind == "moo" and task.design_kind == "continuous"
    true_cols = [f"true_f{j}" for j in range(task.n_obj)]
    x_cols = [f"x{i}" for i in range(task.dim)]
    missing = [c for c in [*x_cols, *(true_cols if moo else [])] if c not in frame.columns]
    if missing:
        return Rescored(trial, "skipped", f"proposals.parquet lacks {missing}")
    seed = int(config.get("seed", 0))
    key = (task.cache_key(seed), task.name)
    datasets = {} if datasets is None else datasets
    if key not in datasets:
        if len(datasets) >= 8:  # trials come sorted by task: a few (task, seed) at a time suffice
            datasets.clear()
        rebuilt = task.dataset(seed)
        datasets[key] = rebuilt, data_fingerprint(task_problem(task, rebuilt))
    data, rebuilt_sha = datasets[key]
    X = frame[x_cols].to_numpy(dtype=float)
    # single-objective and discrete trials get the design-space keys only (no reference front)
    scores = moo_scores(task, data, frame[true_cols].to_numpy(dtype=float)) if moo else {}
    scores["copy_fraction"] = M.copy_fraction(X, data.X, task.lower, task.upper,
                                              exact=task.design_kind != "continuous")
    novelty = M.novelty(X, data.X, task.lower, task.upper, task.is_discrete)
    stored = metrics.get("novelty")
    stored_sha = metrics.get("dataset_sha256")
    if stored_sha is not None:
        same_data = stored_sha == rebuilt_sha
    else:
        same_data = stored is None or bool(np.isclose(novelty, float(stored), rtol=1e-9, atol=1e-12))
    if not same_data:  # copies of other designs than the trial learned from would mean nothing
        scores["copy_fraction"] = float("nan")
    before = dict(metrics)
    metrics.update(scores)
    metrics["trained_on_rebuilt_data"] = same_data
    front = scores.get("reference_front", "none (copy fraction only)")
    metrics["rescored_with"] = (f"dist_ombo {__version__} scoring {SCORING_VERSION}, "
                                f"reference front {front}")
    if write:
        write_json_atomic(trial / "metrics.json", metrics)
    if same_data:
        detail = ""
    elif stored_sha is not None:
        detail = f"trained on other data than {task.name} seed {seed} rebuilds (dataset checksum differs)"
    else:
        detail = (f"trained on other data than {task.name} seed {seed} "
                  f"rebuilds (novelty {stored:.6g} stored, {novelty:.6g} rebuilt)")
    return Rescored(trial, "rescored", detail, before, metrics)


def rescore(paths: list[Path], write: bool = True) -> list[Rescored]:
    """Rescore every trial folder under ``paths`` (all found before the first is touched)."""
    datasets: dict = {}
    return [rescore_trial(t, write, datasets) for t in trial_dirs([Path(p) for p in paths])]
