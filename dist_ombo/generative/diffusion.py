"""DDOM: a conditional diffusion model of designs (Krishnamoorthy, Mashkaria & Grover, ICML 2023).

A noise model ``eps(x_t, t, y)`` of the variance-preserving SDE (Song et al. 2021) with a linear
``beta(t)`` from ``beta_min`` to ``beta_max`` is trained by denoising score matching on
standardized design features, conditioned on the design's objectives; each design's loss is
weighted by DDOM's histogram reweighting toward high-value designs, and the condition is dropped
(replaced by a learned-null indicator) with probability ``cond_dropout`` so the same net also
models ``p(x)``. Sampling integrates the reverse SDE from ``N(0, I)`` with classifier-free guidance
``(1 + w) eps(x, t, y*) - w eps(x, t, null)`` at a target ``y*``: the best objective values in the
data (DDOM conditions on the dataset's maximum).

Reference defaults (DDOM repository, ``configs/simple_conditional_diffusion.cfg`` and
``design_baselines/diff``): MLP with 3 hidden layers of 1024 Swish units, Adam lr 1e-3, batch 128,
1000 epochs, ``beta_min 0.01``, ``beta_max 2.0``, condition dropout 0.15, guidance 2.0, 1000
sampling steps, weights from 20 histogram bins with the 90th-percentile temperature, clipped at 5.
Differences (ours): the net predicts the noise (equivalent to DDOM's score parametrization,
``score = -eps / sigma(t)``); a separate "condition present" input replaces DDOM's zeroed y as the
null condition; Euler-Maruyama instead of DDOM's Heun-style sampler; several objectives are one
condition vector (DDOM is single-objective) and the reweighting uses the non-dominated front order.
Discrete designs diffuse in the one-hot relaxation and decode by argmax.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from dist_ombo.errors import DataError
from dist_ombo.generative.common import (
    STATE_FORMAT,
    DesignCodec,
    Progress,
    Standardizer,
    check_objectives,
    check_training_fields,
    ddom_weights,
    goodness,
    load_arrays,
    mlp,
    mlp_forward,
    module_arrays,
    rand,
    randn,
    train_minibatches,
)
from dist_ombo.models.normalize import MinMaxNormalizer
from dist_ombo.problem import OfflineProblem
from dist_ombo.seeding import torch_generators
from dist_ombo.validation import is_real, require

_T_MIN = 1e-3  # smallest diffusion time trained on and integrated to


@dataclass(frozen=True)
class DDOMConfig:
    """DDOM training settings; defaults sized for the ``cpu`` budget (reference: hidden
    (1024, 1024, 1024), 1000 epochs, batch 128, lr 1e-3)."""

    hidden: tuple[int, ...] = (256, 256, 256)
    epochs: int = 50
    max_steps: int | None = 3000
    batch_size: int = 128
    lr: float = 1e-3
    beta_min: float = 0.01
    beta_max: float = 2.0
    cond_dropout: float = 0.15
    reweight: str = "ddom"
    device: str = "cpu"

    def __post_init__(self) -> None:
        check_training_fields(self)
        owner = type(self).__name__
        require(is_real(self.beta_min) and self.beta_min > 0, owner, "beta_min", "> 0")
        require(is_real(self.beta_max) and self.beta_max > self.beta_min, owner, "beta_max", "> beta_min")
        require(is_real(self.cond_dropout) and 0 <= self.cond_dropout < 1, owner, "cond_dropout", "in [0, 1)")
        require(self.reweight in ("ddom", "none"), owner, "reweight", "'ddom' or 'none'")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class DDOMGenerator:
    """A fitted conditional diffusion model over designs (see the module docstring)."""

    def __init__(self, config: DDOMConfig) -> None:
        self.config = config
        self.net: nn.Sequential | None = None
        self.codec: DesignCodec | None = None
        self.scaler: Standardizer | None = None
        self.y_normalizer: MinMaxNormalizer | None = None
        self.n_obj = 0
        self.history: list[dict[str, float]] = []

    @property
    def device(self) -> torch.device:
        return torch.device(self.config.device)

    # -------------------------------------------------------------- the VP SDE
    def _beta(self, t: torch.Tensor) -> torch.Tensor:
        return self.config.beta_min + (self.config.beta_max - self.config.beta_min) * t

    def _alpha_sigma(self, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean weight and std of ``x_t | x_0``."""
        b0, b1 = self.config.beta_min, self.config.beta_max
        log_alpha = -0.25 * t ** 2 * (b1 - b0) - 0.5 * t * b0
        return log_alpha.exp(), (1.0 - (2.0 * log_alpha).exp()).clamp_min(1e-12).sqrt()

    def _eps(self, x: torch.Tensor, t: torch.Tensor, c: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        return mlp_forward(self.net, torch.cat([x, t, c * keep, keep], dim=1))

    # -------------------------------------------------------------- fit
    def fit(self, X, Y, lower, upper, n_categories=None, seed: int = 0, progress: Progress | None = None) -> DDOMGenerator:
        cfg = self.config
        self.codec = DesignCodec.build(X, lower, upper, n_categories)
        Y = check_objectives(Y, len(X))
        self.n_obj = Y.shape[1]
        self.y_normalizer = MinMaxNormalizer.fit(Y)
        F = self.codec.encode(X)
        self.scaler = Standardizer.fit(F)
        g_init, g_train = torch_generators(seed, 2)
        dev = self.device
        d = self.codec.dim
        self.net = mlp([d + 1 + self.n_obj + 1, *cfg.hidden, d], nn.SiLU, g_init).to(dev)
        X0 = self.scaler.transform(torch.as_tensor(F, device=dev))
        C = torch.as_tensor(self.y_normalizer.transform(Y), dtype=torch.float32, device=dev)
        w = ddom_weights(goodness(Y)) if cfg.reweight == "ddom" else np.ones(len(X))
        W = torch.as_tensor(w, dtype=torch.float32, device=dev)

        def step(idx: torch.Tensor) -> torch.Tensor:
            n = len(idx)
            t = _T_MIN + (1.0 - _T_MIN) * rand((n, 1), g_train, dev)
            eps = randn((n, d), g_train, dev)
            alpha, sigma = self._alpha_sigma(t)
            keep = (rand((n, 1), g_train, dev) >= cfg.cond_dropout).float()
            pred = self._eps(alpha * X0[idx] + sigma * eps, t, C[idx], keep)
            return (W[idx] * (pred - eps).square().mean(dim=1)).mean()  # DDOM's weighted DSM

        self.history = train_minibatches(step, list(self.net.parameters()), len(X0), cfg, g_train, dev, progress)
        self.net.requires_grad_(False)
        return self

    # -------------------------------------------------------------- sampling
    def sample_features(self, n: int, generator: torch.Generator, cond: np.ndarray | None = None,
                        guidance: float = 2.0, steps: int = 200, progress=None) -> torch.Tensor:
        """Integrate the reverse SDE for ``n`` samples; ``cond`` ``(n, m)`` normalized targets
        (``None``: unconditional). Returns box / one-hot features (not yet clipped)."""
        self._check()
        dev, d = self.device, self.codec.dim
        null_c = torch.zeros((n, self.n_obj), device=dev)
        zeros, ones = torch.zeros((n, 1), device=dev), torch.ones((n, 1), device=dev)
        c = None if cond is None else torch.as_tensor(np.asarray(cond, np.float32), device=dev).reshape(n, self.n_obj)
        ts = torch.linspace(1.0, _T_MIN, steps + 1)
        x = randn((n, d), generator, dev)
        with torch.no_grad():
            for i in range(steps):
                t, h = float(ts[i]), float(ts[i] - ts[i + 1])
                tt = torch.full((n, 1), t, device=dev)
                eps = self._eps(x, tt, null_c, zeros)
                if c is not None:
                    eps = (1.0 + guidance) * self._eps(x, tt, c, ones) - guidance * eps
                _, sigma = self._alpha_sigma(tt)
                beta = self._beta(tt)
                x = x + h * (0.5 * beta * x - beta * eps / sigma)  # score = -eps / sigma
                if i < steps - 1:
                    x = x + (beta * h).sqrt() * randn((n, d), generator, dev)
                if progress is not None:
                    progress(i + 1, steps)
        return self.scaler.inverse(x)

    def sample(self, n: int, generator: torch.Generator, cond: np.ndarray | None = None,
               guidance: float = 2.0, steps: int = 200, progress=None) -> np.ndarray:
        """``n`` designs (inside the bounds / valid tokens)."""
        return self.codec.decode(self.sample_features(n, generator, cond, guidance, steps, progress))

    def _check(self) -> None:
        if self.net is None:
            raise RuntimeError("the diffusion model is not fitted: call fit() or from_state() first")

    # -------------------------------------------------------------- state
    def state(self) -> dict[str, Any]:
        self._check()
        return {
            "format": STATE_FORMAT, "kind": "ddom", "config": self.config.to_dict(), "n_obj": self.n_obj,
            "codec": self.codec.state(), "scaler": self.scaler.state(), "y_normalizer": self.y_normalizer.state(),
            "weights": module_arrays(self.net), "history": [dict(h) for h in self.history],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> DDOMGenerator:
        if state.get("format") != STATE_FORMAT or state.get("kind") != "ddom":
            raise DataError("not a DDOM generator state")
        cfg = dict(state["config"])
        cfg["hidden"] = tuple(cfg["hidden"])
        model = cls(DDOMConfig(**cfg))
        model.n_obj = int(state["n_obj"])
        model.codec = DesignCodec.from_state(state["codec"])
        model.scaler = Standardizer.from_state(state["scaler"])
        model.y_normalizer = MinMaxNormalizer.from_state(state["y_normalizer"])
        d = model.codec.dim
        net = mlp([d + 1 + model.n_obj + 1, *model.config.hidden, d], nn.SiLU, torch.Generator().manual_seed(0))
        model.net = load_arrays(net, state["weights"], model.device).requires_grad_(False)
        model.history = [dict(h) for h in state["history"]]
        return model


def fit_ddom(problem: OfflineProblem, config: DDOMConfig, seed: int, progress=None) -> DDOMGenerator:
    X, Y, lower, upper, n_categories = problem.arrays()
    return DDOMGenerator(config).fit(X, Y, lower, upper, n_categories, seed, progress)
