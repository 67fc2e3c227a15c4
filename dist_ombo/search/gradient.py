"""Gradient ascent on the surrogate from the best dataset designs (Design-Bench's "Grad").

Continuous designs move in the [0, 1]-normalized box (clamped to it after every step). Discrete
designs are optimized in Design-Bench's "logit" relaxation: each start's one-hot tokens are mixed
with the uniform distribution (0.6 weight on uniform), logged, and the softmax of the logits is
fed to the surrogate; the result is decoded by argmax.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from dist_ombo.errors import ConfigError
from dist_ombo.metrics import rank_by_nds


@dataclass(frozen=True)
class GradientConfig:
    """Gradient-ascent settings (Design-Bench Grad: 200 steps from the top 128 designs)."""

    steps: int = 200
    lr: float = 0.01  # Adam step size in the [0, 1] box (or on logits for discrete designs)
    beta: float = 0.0  # objective = mean + beta * ensemble std (minimized)
    uniform_mix: float = 0.6  # discrete relaxation: weight of the uniform distribution at the start

    def __post_init__(self) -> None:
        if self.steps < 1 or self.lr <= 0:
            raise ConfigError(f"gradient search needs steps >= 1 and lr > 0, got {self.steps}, {self.lr}")


def gradient_search(
    surrogate,
    X: np.ndarray,
    Y: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    n_proposals: int,
    config: GradientConfig = GradientConfig(),
    weights: np.ndarray | None = None,
    n_categories: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Minimize ``weights . (mean + beta * std)`` from the best ``n_proposals`` dataset designs.

    ``weights`` scalarizes several objectives (default: equal weights); returns
    ``(proposals, n_surrogate_evaluations)``.
    """
    n_obj = Y.shape[1]
    w = torch.as_tensor(np.ones(n_obj) / n_obj if weights is None else weights, dtype=torch.float32)
    starts = np.asarray(X[rank_by_nds(Y, n_proposals)])
    if n_categories is None:
        z0 = surrogate.encode(starts)
        param = z0.clone().requires_grad_(True)
    else:
        onehot = surrogate.encode(starts)  # (n, L, v)
        mixed = (1 - config.uniform_mix) * onehot + config.uniform_mix / n_categories
        logits = torch.log(mixed)
        param = (logits - logits[..., :1]).clone().requires_grad_(True)
    opt = torch.optim.Adam([param], lr=config.lr)
    for step in range(config.steps):
        opt.zero_grad()
        x = param if n_categories is None else torch.softmax(param, dim=-1)
        mean, std = surrogate.predict_torch(x, normalized_y=True)
        loss = ((mean + config.beta * std) * w).sum()
        loss.backward()
        opt.step()
        if n_categories is None:
            with torch.no_grad():
                param.clamp_(0.0, 1.0)
        if progress is not None:
            progress(step + 1, config.steps)
    with torch.no_grad():
        if n_categories is None:
            designs = surrogate.x_normalizer.inverse(param.detach().double().cpu().numpy())
            designs = np.clip(designs, lower, upper)
        else:
            designs = param.argmax(dim=-1).cpu().numpy().astype(np.int64)
    return designs, len(starts) * config.steps


def run(ctx, config: GradientConfig):
    return gradient_search(
        ctx.surrogate, ctx.X, ctx.Y, ctx.lower, ctx.upper, ctx.n_proposals, config,
        n_categories=ctx.n_categories, progress=ctx.progress,
    )

