"""Training schemes by name: how a model (surrogate or generator) is fitted and restored.

A scheme is a config class, a ``fit`` function and a ``from_state`` function; the model it returns
has ``state() -> dict`` (plain numpy, for Ray's object store). Families register their schemes in a
module-level ``SCHEMES`` dict; this module merges them (explicit list below).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from dist_ombo.config import config_from_dict
from dist_ombo.errors import UnknownNameError

#: ``fit(X, Y, lower, upper, n_categories, config, seed, progress) -> model``
FitFn = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, "int | None", Any, int, Any], Any]


@dataclass(frozen=True)
class Scheme:
    """A named way to train a model. ``splittable``: the config has ``n_members`` and groups of
    members trained apart can be merged with ``merge`` (ensembles), so actors can share the work."""

    name: str
    config_cls: type
    fit: FitFn
    from_state: Callable[[Mapping[str, Any]], Any]
    splittable: bool = False
    merge: Callable[[list[Mapping[str, Any]]], dict[str, Any]] | None = None
    description: str = ""
    split_objectives: bool = False  # the config has ``objectives``: groups of objectives fit apart (GPs)

    def make_config(self, budget: Mapping[str, Any], overrides: Mapping[str, Any]) -> Any:
        """Budget keys the config does not have are ignored (a budget spans schemes); override keys
        must all be known."""
        names = {f.name for f in dataclasses.fields(self.config_cls)}
        merged = {k: v for k, v in budget.items() if k in names}
        merged.update(overrides)
        return config_from_dict(self.config_cls, merged, f"{self.name} config")


_SCHEMES: dict[str, Scheme] = {}


def _load() -> dict[str, Scheme]:
    if not _SCHEMES:
        from dist_ombo import bo, generative
        from dist_ombo.models import ensemble, robust

        for module in (ensemble, robust, generative, bo):
            _SCHEMES.update(module.SCHEMES)
    return _SCHEMES


def get_scheme(name: str) -> Scheme:
    schemes = _load()
    if name not in schemes:
        raise UnknownNameError(f"unknown training scheme {name!r}; valid: {', '.join(schemes)}")
    return schemes[name]


def scheme_names() -> list[str]:
    return list(_load())
