"""Pieces every generator shares: the design <-> feature codec, seeded MLPs, a minibatch trainer,
DDOM's reweighting toward good designs, simplex weight vectors, and numpy states.

Feature space: continuous designs live in the ``[0, 1]`` box (the task bounds mapped linearly, as
the surrogate sees them); discrete designs are flat one-hot vectors (position-major, the
surrogate's ``OneHotEncoder`` layout). Diffusion and flow models additionally standardize features
(z-score, as DDOM and ParetoFlow do); the VAE models the box / one-hot features directly.

Objectives are minimized everywhere, as in the rest of the package; "goodness" below is the one
place where larger is better (DDOM's weights are defined on a score to maximize).

Training is cheaper than plain ``nn.Sequential`` + ``torch.optim.Adam`` without changing what it
computes (issue 15): each net runs forward and backward as one autograd node (``mlp_forward``) and
Adam steps one flat parameter buffer (``FlatAdam``); both are bitwise the ops they replace.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from math import comb
from typing import Any

import numpy as np
import torch
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting
from pymoo.util.ref_dirs import get_reference_directions
from torch import nn

from dist_ombo.errors import DataError
from dist_ombo.validation import is_int, is_real, require
from dist_ombo.models.normalize import MinMaxNormalizer, OneHotEncoder

Progress = Callable[[int, int, float, float], None]
STATE_FORMAT = 1


# ---------------------------------------------------------------------- config checks
def check_training_fields(cfg: Any) -> None:
    """Validate the fields every generator config has (hidden, epochs, max_steps, batch_size, lr,
    device); ``hidden`` given as a list (YAML) becomes a tuple."""
    owner = type(cfg).__name__
    hidden = cfg.hidden
    if isinstance(hidden, list):
        hidden = tuple(hidden)
        object.__setattr__(cfg, "hidden", hidden)
    require(isinstance(hidden, tuple) and len(hidden) > 0 and all(is_int(h) and h >= 1 for h in hidden),
            owner, "hidden", "a non-empty tuple of positive ints")
    for name in ("epochs", "batch_size"):
        require(is_int(getattr(cfg, name)) and getattr(cfg, name) >= 1, owner, name, "a positive int")
    require(cfg.max_steps is None or (is_int(cfg.max_steps) and cfg.max_steps >= 1), owner, "max_steps",
            "None or a positive int")
    require(is_real(cfg.lr) and cfg.lr > 0, owner, "lr", "a positive number")
    require(isinstance(cfg.device, str) and bool(cfg.device), owner, "device", "a device string")


# ---------------------------------------------------------------------- randomness
def randn(shape: tuple[int, ...], generator: torch.Generator, device: torch.device | str = "cpu") -> torch.Tensor:
    return torch.randn(shape, generator=generator).to(device)


def rand(shape: tuple[int, ...], generator: torch.Generator, device: torch.device | str = "cpu") -> torch.Tensor:
    return torch.rand(shape, generator=generator).to(device)


# ---------------------------------------------------------------------- networks
def mlp(sizes: list[int], activation: type[nn.Module], generator: torch.Generator) -> nn.Sequential:
    """``sizes[0] -> ... -> sizes[-1]`` with ``activation`` between layers and a linear output.
    Initialized like ``nn.Linear`` (uniform in +-1/sqrt(fan_in)) from ``generator``."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layer = nn.Linear(a, b)
        bound = 1.0 / math.sqrt(a)
        with torch.no_grad():
            layer.weight.uniform_(-bound, bound, generator=generator)
            layer.bias.uniform_(-bound, bound, generator=generator)
        layers.append(layer)
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _activation_backward(act: nn.Module, grad: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """The backward autograd runs for ``act`` applied to ``z`` (derivatives.yaml's formula)."""
    if isinstance(act, nn.LeakyReLU):
        return torch.ops.aten.leaky_relu_backward(grad, z, act.negative_slope, False)
    if isinstance(act, nn.SiLU):
        return torch.ops.aten.silu_backward(grad, z)
    if isinstance(act, nn.SELU):  # selu is elu(alpha, scale) underneath
        return torch.ops.aten.elu_backward(grad, _SELU_ALPHA, _SELU_SCALE, 1.0, False, z)
    raise TypeError(f"no hand-written backward for {type(act).__name__}")


class _MLPFunction(torch.autograd.Function):
    """A whole ``mlp`` as one autograd node: the forward runs ``nn.Linear``'s ``addmm`` and the
    activations, keeping their inputs; the backward runs what autograd's ``AddmmBackward0`` and
    activation nodes compute, op for op (weight: ``grad.t() @ input``; input: ``grad @ W``; bias:
    ``grad.sum(0)``), so gradients are bitwise the same, without a graph node, a transpose view and
    two gradient accumulations per layer. At a generator's sizes (batch 128, width 256) the
    matmuls dominate either way: with ``FlatAdam`` it saves 4-18% of a training step's CPU time
    (``benchmarks/README.md``)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, activations: tuple[nn.Module, ...], *params: torch.Tensor) -> torch.Tensor:
        h, saved = x, []
        last = len(params) // 2 - 1
        for k in range(last + 1):
            w, b = params[2 * k], params[2 * k + 1]
            saved.append(h)
            z = torch.addmm(b, h, w.t())
            if k < last:
                saved.append(z)
                h = activations[k](z)
            else:
                h = z
        ctx.activations = activations
        ctx.save_for_backward(*saved, *params)
        return h

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        n_layers = len(ctx.activations) + 1
        tensors = ctx.saved_tensors
        saved, params = tensors[:2 * n_layers - 1], tensors[2 * n_layers - 1:]
        grads: list[torch.Tensor | None] = [None] * len(params)
        g, grad_x = grad, None
        for k in range(n_layers - 1, -1, -1):
            h, w = saved[2 * k], params[2 * k]
            grads[2 * k] = g.t().mm(h)
            grads[2 * k + 1] = g.sum(0)
            if k > 0:
                g = _activation_backward(ctx.activations[k - 1], g.mm(w), saved[2 * k - 1])
            elif ctx.needs_input_grad[0]:
                grad_x = g.mm(w)
        return (grad_x, None, *grads)


def mlp_forward(net: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """``net(x)`` for a 2-d ``x`` and an ``mlp`` network, bitwise, as one autograd node (see
    ``_MLPFunction``; ``tests/generative/test_speedups.py`` checks output and gradients)."""
    if x.dim() != 2:
        return net(x)
    layers = list(net)
    linears, activations = layers[0::2], tuple(layers[1::2])
    params = [t for lin in linears for t in (lin.weight, lin.bias)]
    return _MLPFunction.apply(x, activations, *params)


def module_arrays(module: nn.Module) -> dict[str, np.ndarray]:
    """A module's parameters and buffers as CPU numpy copies (picklable, torch-free)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}


def load_arrays(module: nn.Module, arrays: Mapping[str, np.ndarray], device: torch.device | str) -> nn.Module:
    module.load_state_dict({k: torch.as_tensor(np.array(v)) for k, v in arrays.items()})
    return module.to(device)


# ---------------------------------------------------------------------- features
@dataclass(frozen=True, eq=False)
class DesignCodec:
    """Designs <-> generator features. Continuous: the bounds onto ``[0, 1]`` (decoding clips to the
    box, so decoded designs always respect the bounds). Discrete: integer tokens <-> flat one-hot
    (decoding takes the most likely token per position, so tokens are always in range)."""

    lower: np.ndarray
    upper: np.ndarray
    n_categories: int | None
    length: int

    @classmethod
    def build(cls, X: np.ndarray, lower: np.ndarray, upper: np.ndarray, n_categories: int | None) -> DesignCodec:
        X = np.asarray(X)
        if X.ndim != 2 or len(X) < 2:
            raise DataError(f"need designs X of shape (n >= 2, d), got {X.shape}")
        lower = np.asarray(lower, dtype=np.float64).reshape(-1)
        upper = np.asarray(upper, dtype=np.float64).reshape(-1)
        if n_categories is None:
            if lower.shape != (X.shape[1],) or upper.shape != (X.shape[1],):
                raise DataError(f"bounds must have length d={X.shape[1]}, got {lower.shape}, {upper.shape}")
            if not np.all(np.isfinite(X)):
                raise DataError("X contains NaN or inf")
        elif not np.issubdtype(X.dtype, np.integer):
            raise DataError(f"discrete X must hold integer tokens, got dtype {X.dtype}")
        return cls(lower, upper, None if n_categories is None else int(n_categories), int(X.shape[1]))

    @property
    def discrete(self) -> bool:
        return self.n_categories is not None

    @property
    def dim(self) -> int:
        return self.length * self.n_categories if self.discrete else self.length

    def _box(self) -> MinMaxNormalizer:
        return MinMaxNormalizer.from_bounds(self.lower, self.upper)

    def encode(self, X: np.ndarray) -> np.ndarray:
        """Designs -> float32 features ``(n, dim)``."""
        if self.discrete:
            return OneHotEncoder(self.n_categories, self.length).transform(np.asarray(X))
        return self._box().transform(np.asarray(X, dtype=np.float64)).astype(np.float32)

    def decode(self, F: np.ndarray | torch.Tensor) -> np.ndarray:
        """Features -> designs inside the bounds (continuous, float64) or tokens (int64)."""
        F = F.detach().cpu().double().numpy() if isinstance(F, torch.Tensor) else np.asarray(F, dtype=np.float64)
        F = np.nan_to_num(F, nan=0.5, posinf=1.0, neginf=0.0)
        if self.discrete:
            return F.reshape(len(F), self.length, self.n_categories).argmax(axis=-1).astype(np.int64)
        return np.clip(self._box().inverse(np.clip(F, 0.0, 1.0)), self.lower, self.upper)

    def to_surrogate(self, F: torch.Tensor) -> torch.Tensor:
        """Features -> the differentiable input of ``surrogate.predict_torch``: box coordinates for
        continuous designs, per-position probabilities ``(n, L, v)`` for discrete ones."""
        if not self.discrete:
            return F
        p = torch.relu(F.reshape(F.shape[0], self.length, self.n_categories)) + 1e-6
        return p / p.sum(dim=-1, keepdim=True)

    def state(self) -> dict[str, Any]:
        return {"lower": np.array(self.lower), "upper": np.array(self.upper),
                "n_categories": self.n_categories, "length": self.length}

    @classmethod
    def from_state(cls, s: Mapping[str, Any]) -> DesignCodec:
        return cls(np.asarray(s["lower"]), np.asarray(s["upper"]), s["n_categories"], int(s["length"]))


@dataclass(frozen=True, eq=False)
class Standardizer:
    """Per-feature z-score of generator features (DDOM and ParetoFlow train on standardized x).
    A constant feature (a token never seen at a position) keeps a tiny spread, so what the model
    generates there decodes back to the constant."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, F: np.ndarray, min_std: float = 1e-3) -> Standardizer:
        F = np.asarray(F, dtype=np.float64)
        return cls(F.mean(axis=0), np.maximum(F.std(axis=0), min_std))

    def _t(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        kw = {"dtype": like.dtype, "device": like.device}
        return torch.as_tensor(np.array(self.mean), **kw), torch.as_tensor(np.array(self.std), **kw)

    def transform(self, F: torch.Tensor) -> torch.Tensor:
        m, s = self._t(F)
        return (F - m) / s

    def inverse(self, Z: torch.Tensor) -> torch.Tensor:
        m, s = self._t(Z)
        return Z * s + m

    def state(self) -> dict[str, np.ndarray]:
        return {"mean": np.array(self.mean), "std": np.array(self.std)}

    @classmethod
    def from_state(cls, s: Mapping[str, np.ndarray]) -> Standardizer:
        return cls(np.asarray(s["mean"]), np.asarray(s["std"]))


def check_objectives(Y: np.ndarray, n: int) -> np.ndarray:
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim != 2 or len(Y) != n:
        raise DataError(f"need Y of shape ({n}, m), got {Y.shape}")
    if not np.all(np.isfinite(Y)):
        raise DataError("Y contains NaN or inf")
    return Y


# ---------------------------------------------------------------------- reweighting
def goodness(Y: np.ndarray) -> np.ndarray:
    """A scalar per design, larger is better, in ``[0, 1]``: one objective: ``1 - `` its min-max
    normalized value; several: ``1 - `` the non-dominated front index over the number of fronts
    (ours: DDOM's weights need a scalar score and the multi-objective order is the front order)."""
    Y = np.asarray(Y, dtype=np.float64)
    if Y.shape[1] == 1:
        y = Y[:, 0]
        span = y.max() - y.min()
        return 1.0 - (y - y.min()) / (span if span > 0 else 1.0)
    fronts = NonDominatedSorting().do(Y)
    rank = np.empty(len(Y))
    for i, front in enumerate(fronts):
        rank[front] = i
    return 1.0 - rank / max(len(fronts) - 1, 1)


def ddom_weights(score: np.ndarray, bins: int = 20, quantile: float = 0.9, max_weight: float = 5.0) -> np.ndarray:
    """DDOM's sample weights (Krishnamoorthy et al. 2023, reference ``get_weights``): a histogram of
    the scores (``bins`` bins) is reshaped toward a softmax over the bins' upper edges with
    temperature ``|quantile(score - max, q)|`` (floored at 1e-3), the weight of a design being
    target / empirical mass of its bin, clipped to ``[0, max_weight]``. ``score``: larger is better."""
    s = np.asarray(score, dtype=np.float64).reshape(-1)
    hist, edges = np.histogram(s, bins=bins)
    hist = hist / max(hist.sum(), 1)
    temp = max(abs(float(np.quantile(s - s.max(), quantile))), 1e-3)
    logits = edges[1:] / temp
    soft = np.exp(logits - logits.max())
    soft /= soft.sum()
    target = soft * (hist / (hist + 1e-3))
    target /= target.sum() + 1e-7
    b = np.minimum(np.digitize(s, edges[1:]), bins - 1)
    return np.clip(target[b] / (hist[b] + 1e-7), 0.0, max_weight)


# ---------------------------------------------------------------------- weight vectors
def simplex_weights(n_obj: int, at_least: int) -> np.ndarray:
    """The sparsest Das-Dennis (uniform) weight vectors with at least ``at_least`` points
    (ParetoFlow: the fewest partitions giving >= 300 vectors)."""
    if n_obj == 1:
        return np.ones((1, 1))
    p = 1
    while comb(n_obj + p - 1, p) < at_least:
        p += 1
    return get_reference_directions("uniform", n_obj, n_partitions=p)


# ---------------------------------------------------------------------- training loop
class FlatAdam:
    """``torch.optim.Adam`` (default settings: no weight decay, no amsgrad) stepping every
    parameter at once, bitwise the same updates.

    torch's CPU default is its single-tensor loop: about ten elementwise ops per parameter tensor
    per step, a fixed cost per tensor that a generator's small nets (12-16 tensors) pay on every
    step (profile of a cpu-budget VAE step on a loaded machine: 5.7 of 19 ms wall in Adam; in CPU
    time the saving is smaller, see ``_MLPFunction``). Here the parameters are
    re-pointed into one flat buffer (they stay ordinary ``nn.Parameter`` views of it, so state
    dicts, copies and loading are unchanged), the gradients are gathered into a second one, and
    the same ops as ``torch.optim.adam._single_tensor_adam`` run once over the whole buffer: each
    op is elementwise, so every element gets exactly the arithmetic torch's loop gives it
    (``tests/generative/test_speedups.py`` checks equality). Every parameter must receive a
    gradient on every step (torch's Adam would skip one that has none)."""

    def __init__(self, params: list[torch.nn.Parameter], lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("FlatAdam needs at least one parameter")
        first = self.params[0]
        sizes = [p.numel() for p in self.params]
        flat = torch.empty(sum(sizes), dtype=first.dtype, device=first.device)
        offset = 0
        with torch.no_grad():
            for p, n in zip(self.params, sizes):
                view = flat[offset:offset + n].view_as(p)
                view.copy_(p)
                p.data = view
                offset += n
        self.flat = flat
        self.grad = torch.zeros_like(flat)
        self.exp_avg = torch.zeros_like(flat)
        self.exp_avg_sq = torch.zeros_like(flat)
        # torch keeps the step count in a float32 tensor and reads it back with .item()
        self.step_t = torch.zeros((), dtype=torch.float32)
        self.lr, self.beta1, self.beta2, self.eps = float(lr), float(betas[0]), float(betas[1]), float(eps)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        grads = [p.grad for p in self.params]
        if any(g is None for g in grads):
            raise RuntimeError("FlatAdam: a parameter received no gradient in this step")
        torch.cat([g.reshape(-1) for g in grads], out=self.grad)
        self.step_t += 1
        beta1, beta2 = self.beta1, self.beta2
        self.exp_avg.lerp_(self.grad, 1 - beta1)
        self.exp_avg_sq.mul_(beta2).addcmul_(self.grad, self.grad, value=1 - beta2)
        step = self.step_t.item()
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = self.lr / bias_correction1
        bias_correction2_sqrt = bias_correction2 ** 0.5
        denom = (self.exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(self.eps)
        self.flat.addcdiv_(self.exp_avg, denom, value=-step_size)


def n_epochs(cfg: Any, n: int) -> int:
    """Epochs actually run: ``epochs``, capped by ``max_steps`` minibatch steps."""
    steps_per_epoch = math.ceil(n / cfg.batch_size)
    if cfg.max_steps is None:
        return int(cfg.epochs)
    return max(1, min(int(cfg.epochs), math.ceil(cfg.max_steps / steps_per_epoch)))


def train_minibatches(
    step_loss: Callable[[torch.Tensor], torch.Tensor],
    params: list[torch.nn.Parameter],
    n: int,
    cfg: Any,
    generator: torch.Generator,
    device: torch.device,
    progress: Progress | None = None,
    optimizer: FlatAdam | torch.optim.Optimizer | None = None,
) -> list[dict[str, float]]:
    """Adam (``FlatAdam``) over shuffled minibatches of ``n`` rows for ``cfg.epochs`` epochs (at most
    ``cfg.max_steps`` steps); ``step_loss(idx)`` returns the loss of the rows ``idx``. Returns the
    per-epoch history (mean train loss; no validation split: ``val_loss`` is NaN)."""
    opt = optimizer if optimizer is not None else FlatAdam(params, lr=cfg.lr)
    epochs = n_epochs(cfg, n)
    history, step = [], 0
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator).to(device)
        total, batches = 0.0, 0
        for start in range(0, n, cfg.batch_size):
            if cfg.max_steps is not None and step >= cfg.max_steps:
                break
            loss = step_loss(order[start:start + cfg.batch_size])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach())
            batches += 1
            step += 1
        train_loss = total / max(batches, 1)
        history.append({"epoch": epoch + 1, "steps": step, "train_loss": train_loss, "val_loss": float("nan")})
        if progress is not None:
            progress(epoch + 1, epochs, train_loss, float("nan"))
    return history
