"""Feature encodings of permutation designs for surrogates.

A permutation ``x`` of ``0..n-1`` can be shown to a regressor two ways:

* **position one-hot** (``n * n`` features): feature ``p * n + x[p]`` is 1, "element ``x[p]`` sits at
  position ``p``". It is what the ensemble's token one-hot gives a permutation task
  (``n_categories = n``), and it suits objectives that depend on *where* an element is, like the
  knapsack's packing order (an early item is packed, a late one may not be).
* **adjacency one-hot** (``n (n - 1) / 2`` features): feature ``{a, b}`` is 1 when ``a`` and ``b``
  are neighbours in the closed sequence (``x[-1]`` next to ``x[0]``), direction ignored. A closed
  tour's length is a *linear* function of these features (the sum of its edges' lengths), and it
  is invariant to rotating or reversing the tour, as the features are.

Which one fits better offline is measured by ``benchmarks/bench_permutation_encoding.py`` (results
in ``docs/moco.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ENCODINGS = ("position", "adjacency")


@dataclass(frozen=True)
class PermutationEncoder:
    """Permutations ``(m, n)`` of ``0..n-1`` -> float32 features ``(m, n_features)`` in ``{0, 1}``."""

    n: int
    kind: str = "position"

    def __post_init__(self) -> None:
        if self.kind not in ENCODINGS:
            raise ValueError(f"unknown permutation encoding {self.kind!r}; valid: {', '.join(ENCODINGS)}")
        if self.n < 2:
            raise ValueError(f"permutations need n >= 2, got {self.n}")

    @property
    def n_features(self) -> int:
        return self.n * self.n if self.kind == "position" else self.n * (self.n - 1) // 2

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.int64)
        if X.ndim != 2 or X.shape[1] != self.n:
            raise ValueError(f"expected permutations of shape (m, {self.n}), got {X.shape}")
        out = np.zeros((len(X), self.n_features), dtype=np.float32)
        rows = np.arange(len(X))[:, None]
        if self.kind == "position":
            out[rows, np.arange(self.n)[None, :] * self.n + X] = 1.0
        else:
            out[rows, _pair_index(X, np.roll(X, -1, axis=1), self.n)] = 1.0
        return out


def _pair_index(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Index of the unordered pair ``{a, b}`` (``a != b``) in the row-major upper triangle."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    return lo * n - lo * (lo + 1) // 2 + (hi - lo - 1)


class EncodedSurrogate:
    """A model trained on encoded features, seen by search as a model of permutations.

    ``predict(X)`` encodes the permutations ``X`` and asks the inner model; everything else
    (``history`` for the trial's final validation loss) is the inner model's.
    """

    def __init__(self, model, encoder: PermutationEncoder) -> None:
        self.model, self.encoder = model, encoder

    @property
    def history(self):
        return getattr(self.model, "history", None)

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.model.predict(self.encoder.transform(X))
