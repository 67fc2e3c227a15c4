"""Reference Pareto fronts for scoring: how much room a task leaves above D(best).

Analytic where the front is known (ZDT, DTLZ, VLMOP1-2, OmniTest: the task's ``pareto_front``),
otherwise computed once from the oracle by several seeded evolutionary runs merged by
non-dominated sorting (``benchmarks/build_reference_fronts.py``) and stored as package data:
``dist_ombo/tasks/data/fronts/<task>.npy`` plus ``manifest.json`` (version, algorithm, population,
generations, seeds, sha256, created). Loading checks the checksum. Scoring only: no method ever
sees a front. See ``docs/headroom.md``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from dist_ombo.errors import DistOmboError

FRONT_DIR = Path(__file__).resolve().parent / "tasks" / "data" / "fronts"
MANIFEST_NAME = "manifest.json"
#: Version string of the analytic fronts (bump when a task's analytic front changes).
ANALYTIC_VERSION = "analytic-1"
#: Points an analytic front is sampled with.
ANALYTIC_POINTS = 1000


class ReferenceFrontError(DistOmboError):
    """A stored reference front cannot be trusted (missing file, checksum mismatch); the message
    says which task and how to rebuild it."""


@dataclass(frozen=True)
class ReferenceFront:
    """Minimized objective vectors of a task's (approximate) Pareto front and where they come from:
    ``version`` is ``analytic-1`` or the computed front's ``<task>:<manifest version>``."""

    points: np.ndarray
    version: str
    analytic: bool


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_manifest(front_dir: Path = FRONT_DIR) -> dict[str, Any]:
    """The manifest of computed fronts (``{"tasks": {name: record}}``); empty when none exist."""
    file = Path(front_dir) / MANIFEST_NAME
    if not file.exists():
        return {"tasks": {}}
    try:
        return json.loads(file.read_text())
    except json.JSONDecodeError as exc:
        raise ReferenceFrontError(f"reference front manifest {file} is not valid JSON ({exc.msg} at line {exc.lineno})") from exc


def load_computed_front(name: str, front_dir: Path = FRONT_DIR) -> ReferenceFront | None:
    """The stored front of ``name``, checked against the manifest's sha256; ``None`` if the
    manifest does not list the task, ``ReferenceFrontError`` if the file is missing or altered."""
    record = read_manifest(front_dir).get("tasks", {}).get(name)
    if record is None:
        return None
    file = Path(front_dir) / record["file"]
    rebuild = f"rebuild it with: python benchmarks/build_reference_fronts.py --tasks {name} --force"
    if not file.exists():
        raise ReferenceFrontError(f"reference front of {name}: {file} is missing; {rebuild}")
    digest = sha256_file(file)
    if digest != record["sha256"]:
        raise ReferenceFrontError(
            f"reference front of {name}: checksum mismatch ({file.name} has sha256 {digest[:12]}..., "
            f"the manifest records {record['sha256'][:12]}...); {rebuild}")
    points = np.load(file, allow_pickle=False)
    return ReferenceFront(np.asarray(points, dtype=float), f"{name}:{record['version']}", analytic=False)


@lru_cache(maxsize=None)
def _cached(name: str, params_key: str) -> ReferenceFront | None:
    from dist_ombo.tasks import get_task

    return _resolve(get_task(name, **json.loads(params_key)))


def _resolve(task: Any) -> ReferenceFront | None:
    front = task.pareto_front(ANALYTIC_POINTS)
    if front is not None:
        return ReferenceFront(np.asarray(front, dtype=float), ANALYTIC_VERSION, analytic=True)
    return load_computed_front(task.name)


def reference_front(task: Any) -> ReferenceFront | None:
    """The task's reference front (analytic first, then the stored computed one), or ``None``
    for tasks without one (single-objective and permutation tasks). Cached per task."""
    if getattr(task, "kind", "soo") != "moo":
        return None
    try:
        params_key = json.dumps(task.params, sort_keys=True)
    except TypeError:  # parameters that are not plain data: resolve without the cache
        return _resolve(task)
    return _cached(task.name, params_key)


def write_front(name: str, points: np.ndarray, record: dict[str, Any], front_dir: Path = FRONT_DIR) -> dict[str, Any]:
    """Store a computed front and its manifest entry (both written atomically); returns the entry."""
    from dist_ombo.io import write_atomic, write_text_atomic

    front_dir = Path(front_dir)
    front_dir.mkdir(parents=True, exist_ok=True)
    file = front_dir / f"{name}.npy"
    points = np.ascontiguousarray(points, dtype=np.float64)

    def save(tmp: str) -> None:
        with open(tmp, "wb") as fh:  # a handle: np.save would append ".npy" to the temp name
            np.save(fh, points, allow_pickle=False)

    write_atomic(file, save)
    entry = {**record, "file": file.name, "sha256": sha256_file(file), "n_points": int(len(points))}
    manifest = read_manifest(front_dir)
    manifest.setdefault("tasks", {})[name] = entry
    write_text_atomic(front_dir / MANIFEST_NAME, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    _cached.cache_clear()
    return entry
