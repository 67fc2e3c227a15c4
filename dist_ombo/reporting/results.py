"""The tidy results table: one row per trial, built from the trial folders on disk.

A finished trial has ``metrics.json``; a failed one ``error.json`` (or an error reported by Tune);
a trial file that cannot be read makes the row ``unreadable``, its error naming the file. The table
is rebuilt from disk every time, so an interrupted sweep never leaves it torn; the sweep writes it
atomically (temp file + rename), and a report rebuilds it in memory only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

#: Columns every results table has, whatever its metrics.
BASE_COLUMNS = ["trial_id", "task", "task_name", "method", "method_name", "seed", "budget", "status", "error"]


def collect_results(trials_dir: Path, points: Iterable[Any], errors: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per grid point with its status (``ok`` / ``error`` / ``missing``) and metrics."""
    errors = errors or {}
    rows: list[dict[str, Any]] = []
    for p in points:
        folder = Path(trials_dir) / p.trial_id
        row: dict[str, Any] = {
            "trial_id": p.trial_id, "task": p.task_label, "task_name": p.trial.task,
            "method": p.method_label, "method_name": p.trial.method, "seed": p.trial.seed,
            "budget": p.trial.budget, "status": "missing", "error": None,
        }
        metrics_file, error_file = folder / "metrics.json", folder / "error.json"
        try:
            if metrics_file.exists():
                metrics = _read_json(metrics_file)
                for key in ("task", "method", "seed", "budget"):
                    metrics.pop(key, None)
                row.update(metrics)
                row["status"] = "ok"
            elif error_file.exists() or p.trial_id in errors:
                row["status"] = "error"
                row["error"] = str(_read_json(error_file)["error"]) if error_file.exists() else errors[p.trial_id]
        except UnreadableFile as exc:
            row["status"], row["error"] = "unreadable", str(exc)
        rows.append(row)
    frame = pd.DataFrame(rows)
    ordered = BASE_COLUMNS + [c for c in frame.columns if c not in BASE_COLUMNS]
    return frame[ordered]


class UnreadableFile(ValueError):
    """A trial file exists but does not hold what a finished or failed trial writes."""


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnreadableFile(f"cannot read {path}: {type(exc).__name__}: {exc}") from exc
    if not isinstance(data, dict) or (path.name == "error.json" and "error" not in data):
        raise UnreadableFile(f"cannot read {path}: not a trial's {path.name}")
    return data


def unreadable_files(table: pd.DataFrame) -> list[str]:
    """The messages of rows whose trial files could not be read (each names its file)."""
    if "status" not in table or "error" not in table:
        return []
    return [str(e) for e in table.loc[table["status"] == "unreadable", "error"]]


def write_results(frame: pd.DataFrame, path: Path) -> None:
    from dist_ombo.tasks.cache import write_parquet_atomic

    write_parquet_atomic(frame, Path(path))


def results_from_trials(sweep_dir: Path) -> pd.DataFrame:
    """The results table of a sweep directory, built from its config and trial folders (after an
    interruption, the table on disk may predate trials that finished since). Writes nothing."""
    from dist_ombo.distributed.sweep_config import SweepConfig, expand_grid

    sweep_dir = Path(sweep_dir)
    config = SweepConfig.from_dict(_read_json(sweep_dir / "sweep.json"))
    points, _ = expand_grid(config)
    return collect_results(sweep_dir / "trials", points)


def rebuild_results(sweep_dir: Path) -> pd.DataFrame:
    """Rebuild and write ``results.parquet`` of a sweep directory from its trial folders."""
    table = results_from_trials(sweep_dir)
    write_results(table, Path(sweep_dir) / "results.parquet")
    return table


def read_results(path: Path) -> pd.DataFrame:
    path = Path(path)
    if path.is_dir():
        path = path / "results.parquet"
    if not path.exists():
        raise FileNotFoundError(f"no results table at {path} (run `dist-ombo sweep` first)")
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a torn or foreign file
        raise UnreadableFile(f"cannot read {path}: {type(exc).__name__}: {exc}") from exc


def load_sweeps(paths: Iterable[Path]) -> pd.DataFrame:
    """One table from several sweep directories (or results files), each row tagged with the
    ``sweep`` directory its trial folder lives in. A sweep directory's table is rebuilt (in memory,
    nothing is written) from its trial folders, so trials finished after an interruption are
    included.

    Two sweeps may not hold the same (task, method, seed): the merged leaderboard would silently
    average two runs of one trial, so that is an error naming the overlap.
    """
    frames = []
    for path in paths:
        path = Path(path)
        if path.is_dir() and (path / "sweep.json").exists():
            frame = results_from_trials(path)
            sweep_dir = path
        else:
            frame = read_results(path)
            sweep_dir = path if path.is_dir() else path.parent
        frames.append(frame.assign(sweep=str(sweep_dir)))
    if not frames:
        raise ValueError("no sweep directory given")
    table = pd.concat(frames, ignore_index=True)
    key = ["task", "method", "seed"]
    dup = table[table.duplicated(key, keep=False)]
    if not dup.empty and len(frames) > 1:
        first = dup.iloc[0]
        sweeps = sorted(set(dup[(dup[key] == first[key]).all(axis=1)]["sweep"]))
        raise ValueError(
            f"{len(dup)} rows share (task, method, seed) across sweeps, e.g. {first['task']} / "
            f"{first['method']} / seed {first['seed']} in {', '.join(sweeps)}: report each sweep on its own"
        )
    return table


def select_rows(table: pd.DataFrame, tasks: Iterable[str] | None = None,
                methods: Iterable[str] | None = None) -> pd.DataFrame:
    """The rows of the given task and method labels, for a report on part of a sweep; a label the
    table does not hold is an error naming it and the labels it does hold."""
    for column, wanted in (("task", tasks), ("method", methods)):
        if wanted is None:
            continue
        wanted, held = list(wanted), set(table[column])
        unknown = [w for w in wanted if w not in held]
        if unknown:
            raise ValueError(f"no {column} {', '.join(map(repr, unknown))} in the results; they hold: "
                             + ", ".join(dict.fromkeys(table[column])))
        table = table[table[column].isin(wanted)]
    return table.reset_index(drop=True)
