"""Searches by name. A search turns trained models and the offline data into proposals.

Every search has the same signature, ``run(ctx: SearchContext, config) -> (proposals, n_evals)``,
so methods differ only in the part that differs. Families register searches in a module-level
``SEARCHES`` dict; this module merges them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from dist_ombo.errors import UnknownNameError


@dataclass
class SearchContext:
    """What a search may use: trained models, the offline data, bounds, budget, seed. No task, no
    oracle. ``models`` holds extra trained models by role (e.g. ``"generator"``)."""

    surrogate: Any
    X: np.ndarray
    Y: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n_categories: int | None
    n_proposals: int
    seed: int
    progress: Callable[[int, int], None] | None = None
    models: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Searcher:
    name: str
    config_cls: type
    run: Callable[[SearchContext, Any], tuple[np.ndarray, int]]
    steps_field: str = "n_gen"  # the config field counted by the progress bar


_SEARCHES: dict[str, Searcher] = {}


def _load() -> dict[str, Searcher]:
    if not _SEARCHES:
        from dist_ombo import bo, generative
        from dist_ombo.models import robust
        from dist_ombo.search import evolutionary, gradient

        for module in (evolutionary, gradient, robust, generative, bo):
            _SEARCHES.update(module.SEARCHES)
    return _SEARCHES


def get_searcher(name: str) -> Searcher:
    searches = _load()
    if name not in searches:
        raise UnknownNameError(f"unknown search {name!r}; valid: {', '.join(searches)}")
    return searches[name]
