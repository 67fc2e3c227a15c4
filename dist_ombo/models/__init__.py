"""Surrogate models: batched MLP ensembles and the encodings they train on.

Models get arrays, bounds and a config only; they never see a task or an oracle. The names below
load on first use, so importing a light submodule (e.g. ``permutation_encoding``) needs no torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "BatchedMLP": "dist_ombo.models.batched_mlp",
    "EnsembleConfig": "dist_ombo.models.ensemble",
    "EnsembleSurrogate": "dist_ombo.models.ensemble",
    "MinMaxNormalizer": "dist_ombo.models.normalize",
    "OneHotEncoder": "dist_ombo.models.normalize",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'dist_ombo.models' has no attribute {name!r}")


__all__ = list(_LAZY)
