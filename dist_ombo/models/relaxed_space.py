"""The relaxed design space of gradient-based search: where designs move while a surrogate's
gradient steers them (COMs particles, IOM's search distribution, ICT / Tri-mentoring candidates,
RoMA's and PGS's search).

Continuous designs move in the ``[0, 1]`` box the surrogate normalizes to; token designs move as
logits (Design-Bench's relaxation) and are decoded by argmax. Not to be confused with
``dist_ombo.userdata.space.UserDesignSpace``, a user table's mixed columns as a unit box.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from dist_ombo.errors import DataError


class RelaxedDesignSpace:
    """Where gradient-based inner loops move designs (COMs particles, IOM's search distribution,
    ICT / Tri-mentoring candidates, RoMA and PGS search).

    Continuous designs: ``z`` is the ``[0, 1]``-normalized design and the net's input; ``project_``
    clamps it to the box. Discrete designs: ``z`` holds logits ``(..., L * v)`` built as in
    Design-Bench (one-hot mixed with the uniform distribution at weight ``uniform_mix``, logged,
    class 0 subtracted); the net sees ``softmax(z)`` per position; decoding is by argmax.
    """

    def __init__(self, n_features: int, n_categories: int | None = None, uniform_mix: float = 0.6) -> None:
        self.n_features = int(n_features)
        self.n_categories = None if n_categories is None else int(n_categories)
        self.uniform_mix = float(uniform_mix)
        if self.n_categories is not None and self.n_features % self.n_categories:
            raise DataError(f"{n_features} one-hot features do not split into categories of {n_categories}")

    @property
    def discrete(self) -> bool:
        return self.n_categories is not None

    def to_z(self, feats: torch.Tensor) -> torch.Tensor:
        """Net features (normalized designs or one-hot) ``(..., F)`` -> search variables."""
        if not self.discrete:
            return feats.clone()
        v = self.n_categories
        f = feats.reshape(*feats.shape[:-1], -1, v)
        logits = torch.log((1 - self.uniform_mix) * f + self.uniform_mix / v)
        return (logits - logits[..., :1]).reshape(feats.shape)

    def features(self, z: torch.Tensor) -> torch.Tensor:
        """Search variables -> net input (differentiable)."""
        if not self.discrete:
            return z
        v = self.n_categories
        return torch.softmax(z.reshape(*z.shape[:-1], -1, v), dim=-1).reshape(z.shape)

    def project_(self, z: torch.Tensor) -> torch.Tensor:
        """In place: keep continuous designs inside the box (logits are unconstrained)."""
        if not self.discrete:
            with torch.no_grad():
                z.clamp_(0.0, 1.0)
        return z

    @staticmethod
    def scale(z: torch.Tensor) -> float:
        """Mean per-dimension standard deviation of designs ``(n, F)`` in search variables: the
        unit in which Design-Bench (z-scored designs) states step sizes and noise."""
        if len(z) < 2:
            return 1.0
        s = float(z.std(dim=0).mean())
        return s if s > 1e-8 else 1.0

    # -- the search side: a trained surrogate's encoding of designs

    @classmethod
    def of(cls, surrogate: Any, n_categories: int | None) -> RelaxedDesignSpace:
        if n_categories is None:
            return cls(surrogate.x_normalizer.dim)
        return cls(surrogate.encoder.n_features, n_categories)

    def encode(self, surrogate: Any, X: np.ndarray) -> torch.Tensor:
        """Designs -> search variables ``(n, F)`` (float32, on the surrogate's device)."""
        feats = surrogate.encode(np.asarray(X))
        return self.to_z(feats.reshape(len(X), -1))

    def decode(self, surrogate: Any, z: torch.Tensor, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
        """Search variables -> designs in bounds (continuous) or integer tokens (discrete)."""
        z = z.detach().cpu()
        if not self.discrete:
            X = surrogate.x_normalizer.inverse(z.double().numpy())
            return np.clip(X, lower, upper)
        v = self.n_categories
        return z.reshape(len(z), -1, v).argmax(dim=-1).numpy().astype(np.int64)
