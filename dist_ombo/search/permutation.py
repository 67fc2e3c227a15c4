"""Variation for permutation designs: pymoo's permutation sampling, order crossover (OX) and
inversion mutation, plus Off-MOO-Bench's start-from-zero repair.

These are the operators Off-MOO-Bench collects its MOCO data with (``data_generation/collect_data.py``
of lamda-bbo/offline-moo: NSGA-II with ``PermutationRandomSampling``, ``OrderCrossover``,
``InversionMutation``, ``StartFromZeroRepair`` for the routing tasks). Each maps permutations to
permutations, so every design a search proposes stays a valid ordering.

Which methods can search permutations is decided here too (:func:`permutation_refusal`): only
searches that vary designs with these operators. Gradient search relaxes tokens to probabilities
and rounds them back, and generators sample token sequences, so neither yields permutations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pymoo.core.repair import Repair
from pymoo.operators.crossover.ox import OrderCrossover
from pymoo.operators.mutation.inversion import InversionMutation
from pymoo.operators.sampling.rnd import PermutationRandomSampling

#: Searches whose variation keeps permutations valid (they use :func:`permutation_operators`).
PERMUTATION_SEARCHES = ("nsga2", "nsga3", "moead", "smsemoa", "ga")
#: Evolutionary algorithms that vary designs with crossover and mutation (CMA-ES samples a Gaussian).
PERMUTATION_ALGORITHMS = ("nsga2", "nsga3", "moead", "smsemoa", "ga")


class StartFromZeroRepair(Repair):
    """Rotate each permutation so that element 0 comes first (Off-MOO-Bench's repair for TSP and
    CVRP). A closed tour's length does not depend on where it starts, so this only picks one
    representative per rotation class; for CVRP it puts the depot (node 0) first."""

    def _do(self, problem, X, **kwargs):
        return start_from_zero(np.asarray(X))


def start_from_zero(X: np.ndarray) -> np.ndarray:
    """Rows of ``X`` (permutations of ``0..n-1``) rotated so that each starts with 0."""
    X = np.asarray(X)
    n = X.shape[1]
    first = np.argmax(X == 0, axis=1)
    idx = (first[:, None] + np.arange(n)[None, :]) % n
    return np.take_along_axis(X, idx, axis=1)


def is_permutation(X: np.ndarray) -> np.ndarray:
    """Per row of ``X`` ``(n, d)``: whether it holds each of ``0..d-1`` exactly once."""
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"expected a 2-D array of designs, got shape {X.shape}")
    return np.all(np.sort(X, axis=1) == np.arange(X.shape[1])[None, :], axis=1)


def permutation_operators(start_from_zero: bool = False, sampling: bool = False) -> dict[str, Any]:
    """Keyword arguments for a pymoo genetic algorithm on permutations: OX crossover, inversion
    mutation, duplicate elimination, the start-from-zero repair when asked, and random permutation
    sampling when asked (searches seeded from data pass their own initial population)."""
    ops: dict[str, Any] = {
        "crossover": OrderCrossover(),
        "mutation": InversionMutation(),
        "eliminate_duplicates": True,
    }
    if start_from_zero:
        ops["repair"] = StartFromZeroRepair()
    if sampling:
        ops["sampling"] = PermutationRandomSampling()
    return ops


def permutation_refusal(search: str, algorithm: str | None, generator: str | None) -> str | None:
    """Why a method cannot search permutations, or ``None`` if it can."""
    if generator is not None:
        return f"its generator ({generator}) samples token sequences, not permutations"
    if search not in PERMUTATION_SEARCHES:
        return f"its search ({search}) does not keep designs permutations"
    if algorithm is not None and algorithm not in PERMUTATION_ALGORITHMS:
        return f"its algorithm ({algorithm}) samples a continuous distribution"
    return None
