"""ParetoFlow: flow matching over designs, sampled with multi-objective guidance by the surrogate
(Yuan, Chen, Liu, Bengio & Chen, ICLR 2025, arXiv 2412.03718; reference: StevenYuan666/ParetoFlow).

**Model.** An unconditional vector field ``v(x, t)`` is trained by (independent) conditional flow
matching on standardized design features: ``x_t = (1 - t) x_0 + t x_1`` with ``x_0 ~ N(0, I)``,
target ``x_1 - x_0`` (ParetoFlow's ``icfm`` path with ``sigma = 0``).

**Sampling** (ParetoFlow's Algorithm 1). One particle per weight vector, the vectors spread
uniformly over the simplex (Das-Dennis, the fewest partitions giving at least ``n_samples``;
ParetoFlow: 300). Euler steps from ``t = 0`` to ``1``; once ``t >= t_threshold`` the velocity is
guided by the surrogate: ``v + gamma (1 - t) / t * grad_x sum_j w_j s_j(x_1_hat)`` with
``x_1_hat = x_t + (1 - t) v`` the predicted end point and ``s_j`` the standardized negated mean
prediction of objective ``j`` (larger is better). After each guided step every particle spawns
``O`` noisy offspring (stochastic Euler, noise ``g_t sqrt(dt)``); each weight vector takes the
best offspring by its weighted score among those of its ``K`` nearest weight vectors (cosine;
``K = m + 1`` by default) whose predicted objective vector lies within half the angle ``phi_i`` to
its nearest weights (the non-convexity filter) - the **neighbour knowledge sharing**. Each weight
vector keeps an archive entry (initialized from the data's best designs, greedily by weighted
score) that the predicted end point of its chosen offspring replaces when it scores higher; the
archive is the Pareto set returned. Designs are kept in the box by clipping ``x_t`` so that the
predicted end point stays inside it (ParetoFlow's boundary repair). One objective reduces to one
weight ``w = 1`` shared by ``n_samples`` particles, each choosing among its own offspring.

Reference defaults: vector field MLP 3 x 512 SELU, Adam lr 1e-3, batch 128, 1000 epochs (early
stopping, patience 20); 1000 sampling steps, ``gamma 2.0``, ``t_threshold 0.8``, ``O = 5``,
``K = m + 1``, ``g_t = 0.1``. Differences (ours): time enters the net as an extra input rather
than an added linear embedding; features are z-scored ``[0, 1]``-box coordinates (ParetoFlow
z-scores raw x); no early stopping. Discrete designs use the one-hot relaxation (ParetoFlow uses
logits) and decode by argmax.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
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
    load_arrays,
    mlp,
    mlp_forward,
    module_arrays,
    rand,
    randn,
    train_minibatches,
)
from dist_ombo.problem import OfflineProblem
from dist_ombo.seeding import torch_generators

#: ``score_fn(z) -> (n, m)`` scores (larger is better) of standardized features, differentiable.
ScoreFn = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class FlowConfig:
    """Flow-matching training settings; defaults sized for the ``cpu`` budget (reference: hidden
    (512, 512, 512) SELU, 1000 epochs, batch 128, lr 1e-3)."""

    hidden: tuple[int, ...] = (256, 256, 256)
    epochs: int = 50
    max_steps: int | None = 3000
    batch_size: int = 128
    lr: float = 1e-3
    device: str = "cpu"

    def __post_init__(self) -> None:
        check_training_fields(self)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ParetoFlowSampling:
    """Guided sampling settings (ParetoFlow: T 1000, gamma 2.0, threshold 0.8, O 5, K m+1, g_t 0.1)."""

    steps: int = 200
    guidance: float = 2.0
    t_threshold: float = 0.8
    n_offspring: int = 5
    n_neighbors: int = 0  # 0: m + 1
    noise: float = 0.1


class FlowGenerator:
    """A fitted flow-matching model over designs (see the module docstring)."""

    def __init__(self, config: FlowConfig) -> None:
        self.config = config
        self.net: nn.Sequential | None = None
        self.codec: DesignCodec | None = None
        self.scaler: Standardizer | None = None
        self.history: list[dict[str, float]] = []

    @property
    def device(self) -> torch.device:
        return torch.device(self.config.device)

    def velocity(self, z: torch.Tensor, t: float | torch.Tensor) -> torch.Tensor:
        tt = t if isinstance(t, torch.Tensor) else torch.full((len(z), 1), float(t), device=z.device)
        return mlp_forward(self.net, torch.cat([z, tt], dim=1))

    def fit(self, X, Y, lower, upper, n_categories=None, seed: int = 0, progress: Progress | None = None) -> FlowGenerator:
        self.codec = DesignCodec.build(X, lower, upper, n_categories)
        check_objectives(Y, len(X))  # unconditional: Y only validated (the surrogate guides)
        F = self.codec.encode(X)
        self.scaler = Standardizer.fit(F)
        g_init, g_train = torch_generators(seed, 2)
        dev, d = self.device, self.codec.dim
        self.net = mlp([d + 1, *self.config.hidden, d], nn.SELU, g_init).to(dev)
        X1 = self.scaler.transform(torch.as_tensor(F, device=dev))

        def step(idx: torch.Tensor) -> torch.Tensor:
            x1 = X1[idx]
            x0 = randn(tuple(x1.shape), g_train, dev)
            t = rand((len(x1), 1), g_train, dev)
            return (self.velocity((1 - t) * x0 + t * x1, t) - (x1 - x0)).square().mean()

        self.history = train_minibatches(step, list(self.net.parameters()), len(X1), self.config, g_train, dev,
                                         progress)
        self.net.requires_grad_(False)
        return self

    # -------------------------------------------------------------- sampling
    def box(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The feature box ``[0, 1]`` in standardized coordinates."""
        lo = self.scaler.transform(torch.zeros((1, self.codec.dim), device=self.device))
        hi = self.scaler.transform(torch.ones((1, self.codec.dim), device=self.device))
        return lo, hi

    def sample_features(self, n: int, generator: torch.Generator, steps: int = 200) -> torch.Tensor:
        """Unguided Euler sampling: ``n`` feature rows (box / one-hot, not yet clipped)."""
        self._check()
        z = randn((n, self.codec.dim), generator, self.device)
        dt = 1.0 / steps
        with torch.no_grad():
            for i in range(steps):
                z = z + self.velocity(z, i * dt) * dt
        return self.scaler.inverse(z)

    def paretoflow_sample(self, score_fn: ScoreFn, weights: np.ndarray, archive: torch.Tensor,
                          archive_scores: np.ndarray, settings: ParetoFlowSampling, generator: torch.Generator,
                          progress=None) -> tuple[torch.Tensor, int]:
        """ParetoFlow's guided sampling; returns the final archive as box / one-hot features
        ``(N, dim)`` and the number of surrogate evaluations.

        ``weights`` ``(N, m)``: one weight vector per particle; ``archive`` ``(N, dim)``
        standardized features with weighted scores ``archive_scores`` ``(N,)`` (the initial Pareto
        set, e.g. ``init_archive``)."""
        self._check()
        dev = self.device
        W = torch.as_tensor(weights, dtype=torch.float32, device=dev)
        N, m = W.shape
        d = self.codec.dim
        lo, hi = self.box()
        nbr, half_phi = _neighbourhoods(W, settings.n_neighbors or (m + 1))
        archive = archive.to(dev).clone()
        best = torch.as_tensor(archive_scores, dtype=torch.float32, device=dev).clone()
        O, steps = settings.n_offspring, settings.steps
        dt = 1.0 / (steps - 1)
        n_evals = 0
        z = randn((N, d), generator, dev)

        def repair(x: torch.Tensor, t: float) -> torch.Tensor:
            with torch.no_grad():
                u = self.velocity(x, t)
            return torch.maximum(torch.minimum(x, hi - (1 - t) * u), lo - (1 - t) * u)

        for i in range(1, steps):
            t, s = i * dt, (i - 1) * dt  # step from time s to t
            with torch.no_grad():
                u = self.velocity(z, s)
            if s >= settings.t_threshold and settings.guidance != 0:
                zg = z.detach().requires_grad_(True)
                x1 = zg + (1 - s) * u  # the predicted end point (u held fixed, as ParetoFlow)
                (score_fn(x1) * W).sum().backward()
                u = u + settings.guidance * (1 - s) / max(s, dt) * zg.grad
                n_evals += N
            z = (z + u * dt).detach()
            if t < settings.t_threshold:
                z = repair(z, t)
            else:
                kids = z.unsqueeze(1) + settings.noise * math.sqrt(dt) * randn((N, O, d), generator, dev)
                kids = repair(kids.reshape(N * O, d), t)
                with torch.no_grad():
                    x1 = torch.maximum(torch.minimum(kids + (1 - t) * self.velocity(kids, t), hi), lo)
                    scores = score_fn(x1).reshape(N, O, m)
                n_evals += N * O
                K = nbr.shape[1]
                cand = scores[nbr].reshape(N, K * O, m)
                weighted = (cand * W.unsqueeze(1)).sum(dim=-1)  # (N, K*O)
                if m > 1:  # keep offspring whose objective vector points near the weight vector
                    ang = _angles(cand, W.unsqueeze(1).expand_as(cand))
                    keep = ang <= half_phi.unsqueeze(1)
                    keep[torch.arange(N, device=dev), ang.argmin(dim=1)] = True
                    weighted = weighted.masked_fill(~keep, float("-inf"))
                pick = weighted.argmax(dim=1)
                rows = torch.arange(N, device=dev)
                z = kids.reshape(N, O, d)[nbr].reshape(N, K * O, d)[rows, pick]
                chosen = x1.reshape(N, O, d)[nbr].reshape(N, K * O, d)[rows, pick]
                value = weighted[rows, pick]
                better = value > best
                archive[better] = chosen[better]
                best = torch.where(better, value, best)
            if progress is not None:
                progress(i, steps - 1)
        return self.scaler.inverse(archive.detach()), n_evals

    def _check(self) -> None:
        if self.net is None:
            raise RuntimeError("the flow model is not fitted: call fit() or from_state() first")

    # -------------------------------------------------------------- state
    def state(self) -> dict[str, Any]:
        self._check()
        return {
            "format": STATE_FORMAT, "kind": "flow", "config": self.config.to_dict(), "codec": self.codec.state(),
            "scaler": self.scaler.state(), "weights": module_arrays(self.net),
            "history": [dict(h) for h in self.history],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> FlowGenerator:
        if state.get("format") != STATE_FORMAT or state.get("kind") != "flow":
            raise DataError("not a flow generator state")
        cfg = dict(state["config"])
        cfg["hidden"] = tuple(cfg["hidden"])
        model = cls(FlowConfig(**cfg))
        model.codec = DesignCodec.from_state(state["codec"])
        model.scaler = Standardizer.from_state(state["scaler"])
        d = model.codec.dim
        net = mlp([d + 1, *model.config.hidden, d], nn.SELU, torch.Generator().manual_seed(0))
        model.net = load_arrays(net, state["weights"], model.device).requires_grad_(False)
        model.history = [dict(h) for h in state["history"]]
        return model


def _angles(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    cos = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1)).clamp_min(1e-12)
    return torch.acos(cos.clamp(-1.0, 1.0))


def _neighbourhoods(W: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Each weight vector's ``k`` nearest weight vectors by cosine similarity (itself included),
    and half of ParetoFlow's angle ``phi_i`` (twice the mean angle to its ``m`` nearest others).
    One objective: every particle is its own neighbourhood."""
    N, m = W.shape
    if m == 1:
        return torch.arange(N, device=W.device).unsqueeze(1), torch.full((N,), math.pi, device=W.device)
    Wn = W / W.norm(dim=1, keepdim=True)
    cos = Wn @ Wn.T
    nbr = cos.topk(min(k, N), dim=1).indices
    closest = cos.topk(min(m + 1, N), dim=1).indices  # itself (angle 0) and its m nearest
    ang = _angles(W[closest], W.unsqueeze(1).expand(N, closest.shape[1], m))
    return nbr, ang.sum(dim=1) / m  # phi_i / 2 = (2 * sum / m) / 2


def init_archive(flow: FlowGenerator, X: np.ndarray, Y: np.ndarray, weights: np.ndarray,
                 sign: float = -1.0) -> tuple[torch.Tensor, np.ndarray]:
    """ParetoFlow's ``d_best`` initial Pareto set: among the best ``N`` designs (non-dominated
    sorting and crowding), each weight vector in turn takes the remaining design with the highest
    weighted score (standardized objectives times ``sign``: -1 negates them, as offspring are
    scored; the authors' package uses +1, see docs/generators.md). Returns standardized features
    and scores."""
    from dist_ombo.metrics import rank_by_nds

    Y = np.asarray(Y, dtype=np.float64)
    N = len(weights)
    top = rank_by_nds(Y, N)
    top = top[np.resize(np.arange(len(top)), N)] if len(top) < N else top
    s = sign * (Y[top] - Y.mean(axis=0)) / np.where(Y.std(axis=0) > 0, Y.std(axis=0), 1.0)
    ws = s @ np.asarray(weights).T  # (N candidates, N weights)
    free = np.ones(len(top), dtype=bool)
    pick, score = np.empty(N, dtype=int), np.empty(N)
    for i in range(N):
        col = np.where(free, ws[:, i], -np.inf)
        j = int(np.argmax(col))
        pick[i], score[i] = j, col[j]
        if free.sum() > 1:
            free[j] = False
    F = torch.as_tensor(flow.codec.encode(X[top[pick]]), device=flow.device)
    return flow.scaler.transform(F), score


def fit_flow(problem: OfflineProblem, config: FlowConfig, seed: int, progress=None) -> FlowGenerator:
    X, Y, lower, upper, n_categories = problem.arrays()
    return FlowGenerator(config).fit(X, Y, lower, upper, n_categories, seed, progress)
