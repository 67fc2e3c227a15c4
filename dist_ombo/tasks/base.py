"""The task contract: a design space, an oracle, and a seeded offline-dataset protocol.

A task follows Design-Bench's wall between what a method sees (the offline dataset: ``X``, ``Y``,
bounds) and what only the scorer touches (the oracle, and the normalization statistics that
include the hidden best part of the data). All objectives are **minimized** internally; tasks whose
natural sense is maximization (Ehrlich, TF-Bind-8) negate at their edge and say so.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Iterator

import numpy as np

from dist_ombo.errors import TaskInputError

PROTOCOL_VERSION = "1"

#: The robust HV variant ends each objective's normalization at this percentile of the whole
#: collected data instead of its maximum (``docs/headroom.md``).
ROBUST_PERCENTILE = 99.9


@dataclass(frozen=True)
class OfflineDataset:
    """The offline data of one (task, seed): what a method may see, plus scoring statistics.

    ``X, Y = task.dataset(seed)`` unpacks the training designs and their (minimized) objectives.
    ``y_min_full`` / ``y_max_full`` are per-objective min/max over *all* collected data, the hidden
    best part included (Off-MOO-Bench and Design-Bench normalize scores this way); they are for
    scoring only and are never handed to a method. ``y_robust_max_full`` is the same data's
    ``ROBUST_PERCENTILE`` per objective, the upper end of the robust HV normalization
    (``docs/headroom.md``).
    """

    X: np.ndarray
    Y: np.ndarray
    y_min_full: np.ndarray
    y_max_full: np.ndarray
    task: str
    seed: int
    protocol_version: str = PROTOCOL_VERSION
    n_hidden: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    y_robust_max_full: np.ndarray | None = None

    def __iter__(self) -> Iterator[np.ndarray]:
        yield self.X
        yield self.Y

    def __len__(self) -> int:
        return len(self.X)


def _default_cache_dir() -> Path:
    env = os.environ.get("DIST_OMBO_CACHE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dist_ombo"


class Task(ABC):
    """Base class of every task. Subclasses set the spec in ``__init__`` and implement two hooks.

    Spec attributes: ``name``, ``family``, ``dim``, ``n_obj``, ``lower``/``upper`` (per-dimension
    box; for discrete tasks the token range ``0..n_categories-1``), ``n_categories`` (``None`` for
    continuous tasks), ``nadir_point`` (MOO: the point whose 2.2x normalized value is the HV
    reference, Off-MOO-Bench), ``ideal_point`` (optional), ``optimum`` (SOO: best possible
    minimized value, when known).

    Hooks: ``_evaluate(X) -> Y`` (batch oracle on validated input) and
    ``_build_dataset(rng) -> (X_train, Y_train, X_hidden, Y_hidden)`` (the seeded protocol).
    """

    family: ClassVar[str] = "generic"
    name: str
    dim: int
    n_obj: int
    lower: np.ndarray
    upper: np.ndarray
    n_categories: int | None = None
    nadir_point: np.ndarray | None = None
    ideal_point: np.ndarray | None = None
    optimum: float | None = None
    #: Parameters that define the task instance (they key the dataset cache).
    params: dict[str, Any]

    # ------------------------------------------------------------------ spec
    @property
    def is_discrete(self) -> bool:
        return self.n_categories is not None

    @property
    def design_kind(self) -> str:
        """``"continuous"`` (a box), ``"categorical"`` (integer tokens) or ``"permutation"`` (each
        row an ordering of ``0..dim-1``; search must keep it one). Derived, so tasks that predate
        it keep their behaviour; permutation tasks override it."""
        return "categorical" if self.is_discrete else "continuous"

    @property
    def kind(self) -> str:
        """``"moo"`` or ``"soo"``."""
        return "moo" if self.n_obj > 1 else "soo"

    @property
    def n_samples(self) -> int:
        """Number of training designs the protocol yields (without building the dataset)."""
        return self._n_train()

    def _n_train(self) -> int:
        raise NotImplementedError

    def spec(self) -> dict[str, Any]:
        """A JSON-serializable summary, as ``dist-ombo tasks --format json`` prints it."""
        return {
            "name": self.name,
            "family": self.family,
            "kind": self.kind,
            "discrete": self.is_discrete,
            "design_kind": self.design_kind,
            "dim": int(self.dim),
            "n_obj": int(self.n_obj),
            "n_samples": int(self.n_samples),
            "n_categories": self.n_categories,
            "params": dict(self.params),
        }

    def pareto_front(self, n_points: int = 1000) -> np.ndarray | None:
        """The true Pareto front (minimized objectives) where known analytically, else ``None``."""
        return None

    # ---------------------------------------------------------------- oracle
    def oracle(self, X: np.ndarray) -> np.ndarray:
        """Score a batch of designs with the true objective: ``(n, dim)`` in, ``(n, n_obj)`` out.

        Only the trial runner's scoring step calls this; no method ever receives it.
        """
        X = self.validate_designs(X)
        Y = np.asarray(self._evaluate(X), dtype=float)
        return Y.reshape(len(X), self.n_obj)

    def validate_designs(self, X: np.ndarray, name: str = "X") -> np.ndarray:
        """Check shape, finiteness, bounds and (discrete) integrality; raise naming the problem."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.dim:
            raise TaskInputError(
                f"{self.name}: {name} must have shape (n, {self.dim}), got {tuple(X.shape)}"
            )
        if not np.issubdtype(X.dtype, np.number):
            raise TaskInputError(f"{self.name}: {name} must be numeric, got dtype {X.dtype}")
        X = X.astype(float)
        bad = ~np.isfinite(X)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise TaskInputError(
                f"{self.name}: {name} contains NaN/inf ({int(bad.any(axis=1).sum())} rows; "
                f"first at row {row}, column {col})"
            )
        tol = 1e-9 * np.maximum(1.0, np.abs(self.upper - self.lower))
        out = (X < self.lower - tol) | (X > self.upper + tol)
        if out.any():
            row, col = np.argwhere(out)[0]
            raise TaskInputError(
                f"{self.name}: {name}[{row}, {col}] = {X[row, col]:g} lies outside the bounds "
                f"[{self.lower[col]:g}, {self.upper[col]:g}] ({int(out.any(axis=1).sum())} rows out of bounds)"
            )
        if self.is_discrete:
            if not np.all(X == np.round(X)):
                row, col = np.argwhere(X != np.round(X))[0]
                raise TaskInputError(
                    f"{self.name}: {name}[{row}, {col}] = {X[row, col]:g} is not an integer token"
                )
            X = X.astype(np.int64)
        return X

    @abstractmethod
    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        """Evaluate validated designs; returns minimized objectives ``(n, n_obj)``."""

    # --------------------------------------------------------------- dataset
    @abstractmethod
    def _build_dataset(
        self, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Run the seeded protocol: ``(X_train, Y_train, X_hidden, Y_hidden)``."""

    def cache_key(self, seed: int) -> str:
        """File stem naming this dataset: task, a hash of its params, seed and protocol version."""
        blob = json.dumps({"params": self.params, "protocol": PROTOCOL_VERSION}, sort_keys=True)
        digest = hashlib.sha256(blob.encode()).hexdigest()[:10]
        return f"{self.name}-{digest}-seed{int(seed)}-p{PROTOCOL_VERSION}"

    def dataset(self, seed: int = 0, cache: bool = True, cache_dir: str | Path | None = None) -> OfflineDataset:
        """Build (or load from the Parquet cache) the offline dataset for ``seed``.

        The same (task params, seed, protocol version) always gives the same data; the cache is
        keyed by all three, so a protocol change never reuses stale files.
        """
        from dist_ombo.tasks.cache import CorruptCacheError, load_cached, save_cached  # local: keeps pyarrow off import path

        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise TaskInputError(f"{self.name}: seed must be a non-negative integer, got {seed!r}")
        path = Path(cache_dir) if cache_dir is not None else _default_cache_dir() / "datasets"
        file = path / f"{self.cache_key(seed)}.parquet"
        loaded = None
        if cache and file.exists():
            try:
                loaded = load_cached(file, self.dim, self.n_obj)
            except CorruptCacheError as exc:  # damaged or replaced: never used, rebuilt below
                logging.getLogger(__name__).warning("dataset cache %s: %s; rebuilding it", file, exc)
        if loaded is not None:
            Xtr, Ytr, Xh, Yh = loaded
        else:
            rng = np.random.default_rng(np.random.SeedSequence([int(seed), _stable_hash(self.name)]))
            Xtr, Ytr, Xh, Yh = self._build_dataset(rng)
            if cache:
                save_cached(file, Xtr, Ytr, Xh, Yh)
        Y_all = np.concatenate([Ytr, Yh]) if len(Yh) else Ytr
        if self.is_discrete:
            Xtr = Xtr.astype(np.int64)
        return OfflineDataset(
            X=Xtr,
            Y=Ytr,
            y_min_full=Y_all.min(axis=0),
            y_max_full=Y_all.max(axis=0),
            task=self.name,
            seed=int(seed),
            n_hidden=len(Yh),
            y_robust_max_full=_robust_max(Y_all),
        )

    def __repr__(self) -> str:
        extra = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({extra})"


def _robust_max(Y: np.ndarray) -> np.ndarray:
    """Per-objective 99.9th percentile of the finite rows (the robust HV's upper bound)."""
    finite = Y[np.all(np.isfinite(Y), axis=1)]
    if len(finite) == 0:
        return np.full(Y.shape[1], np.nan)
    return np.percentile(finite, ROBUST_PERCENTILE, axis=0)


def _stable_hash(text: str) -> int:
    """A process-independent integer from a string (Python's ``hash`` is salted per process)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
