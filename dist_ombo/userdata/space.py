"""A mixed design space (float, integer, categorical columns) encoded as one continuous unit box.

Encoding (what the surrogate is trained on and what search moves in):

- float and integer columns: min-max scaled by their bounds onto ``[0, 1]`` (one dimension each);
- a categorical column with ``k`` seen categories: ``k`` dimensions in ``[0, 1]``, one-hot for a
  real design (the continuous relaxation of the choice).

Decoding snaps any point of the box to the nearest valid design: integers are rounded (and kept in
their integral bounds), a categorical block becomes the one-hot of its largest entry (argmax; the
nearest one-hot vector in Euclidean distance), floats are clipped. ``snap`` does this inside the
encoding, ``decode`` returns the table in the user's column names and types. Search evaluates the
surrogate on snapped points (see ``dist_ombo.propose``), so what it optimizes is exactly what gets
proposed; the relaxation only gives the operators a continuous space to move in.

A column whose bounds have zero width (constant in the data, no bounds given) or with a single
category is fixed: it takes its one value in every proposal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dist_ombo.errors import DataError

#: One-hot blocks are scaled by this in ``distance_features``: a different category then counts
#: as far as a full-range change of a numeric column (distance 1), not sqrt(2).
_CATEGORY_DISTANCE_SCALE = 1.0 / np.sqrt(2.0)


@dataclass(frozen=True)
class InputColumn:
    """One design column: kind ``float`` / ``integer`` (with bounds) or ``categorical`` (with the
    categories seen in the data, as the original values)."""

    name: str
    kind: str
    lower: float = 0.0
    upper: float = 0.0
    categories: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("float", "integer", "categorical"):
            raise DataError(f"column {self.name!r}: unknown kind {self.kind!r}")
        if self.kind == "categorical":
            if not self.categories:
                raise DataError(f"categorical column {self.name!r} has no categories")
        elif not self.lower <= self.upper:
            raise DataError(f"column {self.name!r}: lower {self.lower:g} > upper {self.upper:g}")

    @property
    def width(self) -> int:
        """Dimensions in the encoding."""
        return len(self.categories) if self.kind == "categorical" else 1

    @property
    def fixed(self) -> bool:
        return len(self.categories) == 1 if self.kind == "categorical" else self.upper == self.lower

    def describe(self) -> str:
        if self.kind == "categorical":
            text = ", ".join(map(str, self.categories))
            return text + (" (fixed: one category)" if self.fixed else "")
        text = f"[{self.lower:.6g}, {self.upper:.6g}]"
        return text + (" (fixed: constant in the data)" if self.fixed else "")


@dataclass(frozen=True)
class UserDesignSpace:
    """The input columns in order, and the unit-box encoding of designs (see the module doc)."""

    columns: tuple[InputColumn, ...]

    @property
    def dim(self) -> int:
        return sum(c.width for c in self.columns)

    @property
    def lower(self) -> np.ndarray:
        return np.zeros(self.dim)

    @property
    def upper(self) -> np.ndarray:
        return np.ones(self.dim)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def _slices(self) -> list[tuple[InputColumn, slice]]:
        out, start = [], 0
        for col in self.columns:
            out.append((col, slice(start, start + col.width)))
            start += col.width
        return out

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        """Designs with the user's columns (typed: numbers, or seen categories) -> ``(n, dim)``."""
        Z = np.zeros((len(frame), self.dim))
        for col, sl in self._slices():
            values = frame[col.name]
            if col.kind == "categorical":
                index = {c: i for i, c in enumerate(col.categories)}
                codes = np.array([index.get(v, -1) for v in values], dtype=int)
                if (codes < 0).any():
                    bad = values.iloc[int(np.argmax(codes < 0))]
                    raise DataError(f"column {col.name!r}: category {bad!r} was not seen in the data")
                Z[np.arange(len(frame)), sl.start + codes] = 1.0
            else:
                span = col.upper - col.lower
                x = values.to_numpy(dtype=float)
                Z[:, sl.start] = (x - col.lower) / span if span > 0 else 0.0
        return Z

    def snap(self, Z: np.ndarray) -> np.ndarray:
        """Every point of the box -> the encoding of its nearest valid design."""
        Z = np.clip(np.asarray(Z, dtype=float).reshape(-1, self.dim), 0.0, 1.0)
        out = np.zeros_like(Z)
        for col, sl in self._slices():
            if col.kind == "categorical":
                out[np.arange(len(Z)), sl.start + np.argmax(Z[:, sl], axis=1)] = 1.0
            elif col.kind == "integer" and col.upper > col.lower:
                span = col.upper - col.lower
                x = np.clip(np.rint(col.lower + Z[:, sl.start] * span), col.lower, col.upper)
                out[:, sl.start] = (x - col.lower) / span
            elif col.upper > col.lower:
                out[:, sl.start] = Z[:, sl.start]
        return out

    def decode(self, Z: np.ndarray) -> pd.DataFrame:
        """Points of the box -> designs in the user's column names and kinds (snapped first)."""
        Z = self.snap(Z)
        cols: dict[str, Any] = {}
        for col, sl in self._slices():
            if col.kind == "categorical":
                cats = np.empty(len(col.categories), dtype=object)
                cats[:] = list(col.categories)
                cols[col.name] = cats[np.argmax(Z[:, sl], axis=1)]
            else:
                x = np.clip(col.lower + Z[:, sl.start] * (col.upper - col.lower), col.lower, col.upper)
                cols[col.name] = np.rint(x).astype(np.int64) if col.kind == "integer" else x
        return pd.DataFrame(cols)

    def distance_features(self, Z: np.ndarray) -> np.ndarray:
        """The encoding with one-hot blocks scaled so that a different category counts 1, like a
        full-range change of a numeric column; Euclidean distance on these is the design distance
        the proposals report."""
        F = np.array(Z, dtype=float)
        for col, sl in self._slices():
            if col.kind == "categorical":
                F[:, sl] *= _CATEGORY_DISTANCE_SCALE
        return F
