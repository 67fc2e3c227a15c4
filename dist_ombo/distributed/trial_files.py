"""Whether a trial folder holds a finished, intact result of exactly this trial configuration.

The files on disk decide, never Tune's experiment state: a deleted folder, a truncated
``metrics.json`` or ``proposals.parquet``, or files that disagree with each other mean the trial is
run again. A result that is not reusable is set aside (renamed, not deleted), so ``results.py`` never
reads it and nothing is lost.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: A sweep directory's folder of trial folders (``<sweep dir>/trials/<trial id>/``).
TRIALS_DIR = "trials"
#: Keys every finished trial's metrics carry (runner.run_trial writes them).
REQUIRED_METRICS = ("task", "method", "seed", "budget", "n_proposals", "beats_dbest", "protocol_version")
SET_ASIDE_SUFFIX = ".invalid"
OTHER_CONFIG = "config.json holds another trial configuration"
OTHER_SETTINGS = ("the method's resolved settings changed since this trial ran (a catalog or budget "
                  "default)")


def _read_json(path: Path) -> tuple[Any, str | None]:
    try:
        return json.loads(path.read_text()), None
    except FileNotFoundError:
        return None, f"{path.name} is missing"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"{path.name} is unreadable ({type(exc).__name__}: {exc})"


def result_problem(folder: Path, trial_config: dict[str, Any], settings: str | None = None) -> str | None:
    """``None`` when ``folder`` holds an intact finished result of ``trial_config`` (a
    ``TrialConfig.to_dict()``); otherwise one line saying what is missing or wrong. With
    ``settings`` (``runner.trial_settings_hash``) a result that recorded other resolved settings is
    not reusable; one that predates the record (no ``settings_hash``) is taken as it is."""
    from dist_ombo.model_store import jsonable

    folder = Path(folder)
    if not (folder / "metrics.json").exists():
        return "not finished (no metrics.json)"
    metrics, problem = _read_json(folder / "metrics.json")
    if problem:
        return problem
    if not isinstance(metrics, dict) or any(k not in metrics for k in REQUIRED_METRICS):
        return "metrics.json lacks " + ", ".join(k for k in REQUIRED_METRICS if not isinstance(metrics, dict) or k not in metrics)
    config, problem = _read_json(folder / "config.json")
    if problem:
        return problem
    if config != jsonable(trial_config):
        return OTHER_CONFIG
    if settings is not None and metrics.get("settings_hash", settings) != settings:
        return OTHER_SETTINGS
    if metrics["seed"] != trial_config["seed"] or metrics["budget"] != trial_config["budget"]:
        return "metrics.json belongs to another seed or budget than config.json"
    return _proposals_problem(folder / "proposals.parquet", metrics["n_proposals"])


def unfinished(points: list[Any], trials_dir: Path) -> list[tuple[Any, str]]:
    """``(point, problem)`` for each grid point (``sweep_config.GridPoint``) whose folder under
    ``trials_dir`` holds no intact result of its configuration and current settings. Reads only:
    the one test of "finished" that a run (which then sets these aside) and a plan both use."""
    from dist_ombo.runner import trial_settings_hash

    out = []
    for p in points:
        problem = result_problem(Path(trials_dir) / p.trial_id, p.trial.to_dict(), trial_settings_hash(p.trial))
        if problem is not None:
            out.append((p, problem))
    return out


def _proposals_problem(path: Path, n_expected: Any) -> str | None:
    import pyarrow.parquet as pq

    if not path.exists():
        return "proposals.parquet is missing"
    try:
        n_rows = pq.read_table(path).num_rows  # reads every page: a truncated file fails here
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        return f"proposals.parquet is unreadable ({type(exc).__name__}: {' '.join(str(exc).split())[:120]})"
    if n_rows != n_expected:
        return f"proposals.parquet has {n_rows} rows, metrics.json says {n_expected}"
    return None


def set_aside(folder: Path) -> Path | None:
    """Rename a non-reusable ``metrics.json`` so no reader takes the trial as finished; returns the
    new path (``None`` when there was nothing to set aside)."""
    metrics = Path(folder) / "metrics.json"
    if not metrics.exists():
        return None
    target = metrics.with_name(metrics.name + SET_ASIDE_SUFFIX)
    metrics.replace(target)
    return target
