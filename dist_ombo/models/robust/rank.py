"""Learning to rank (Tan et al., ICLR 2025, "Offline model-based optimization by learning to
rank"), one scorer per objective.

Search only needs the *order* of designs, so the model is trained with a ranking loss on random
lists of training designs instead of a regression loss:

- ``listnet`` (listwise, the paper's default): cross-entropy between the softmax of the labels
  and the softmax of the scores over each list (top-one probabilities; Cao et al., 2007);
- ``ranknet`` (pairwise): logistic loss on every ordered pair of the list (Burges et al., 2005).

The labels are the designs' ranks, standardized (empirical CDF with ties averaged, scaled to mean 0
and standard deviation 1, like the paper's z-scored y), so the loss, and with a fixed seed the trained
weights, are exactly invariant to strictly increasing transforms of y: only order matters. (The
paper's ListNet uses z-scored y values, which a monotone transform would change.) Our objectives
are minimized: a lower score means a better design.

After training, each net's scores are standardized on the training designs (folded into its last
layer) and mapped to objective units as ``mean(y) + std(y) * score``, a monotone stand-in for y
that searches read like any surrogate's predictions; the numbers are an order, not estimates of y.

Defaults from the paper's code (lamda-bbo/Offline-RaM) and ``shared/docs/published-results.md``:
lists of 1,000 designs, Adam lr 3e-4, ListNet. The paper draws 10,000 lists per epoch and 128
lists per step; here a step takes ``lists_per_step`` lists and an epoch is ``n_train / list_length``
steps, so the budgets' ``epochs`` and ``max_steps`` keep the meaning they have for the regression
schemes (``batch_size`` is unused: a step's batch is its lists).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import rankdata
from torch.nn import functional as F

from dist_ombo.errors import ConfigError
from dist_ombo.models.ensemble import EnsembleSurrogate
from dist_ombo.models.normalize import MinMaxNormalizer
from dist_ombo.models.robust.base import RobustConfig, prepare
from dist_ombo.models.robust.training import Progress, adam, train_loop
from dist_ombo.problem import OfflineProblem
from dist_ombo.validation import require_count

LOSSES = ("listnet", "ranknet")


@dataclass(frozen=True)
class RankConfig(RobustConfig):
    """Learning-to-rank settings (see module docstring)."""

    n_members: int = 1
    loss: str = "listnet"
    list_length: int = 1000
    lists_per_step: int = 1
    lr_decay: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.loss not in LOSSES:
            raise ConfigError(f"RankConfig.loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        require_count(self, "list_length", "lists_per_step")
        if self.list_length < 2:
            raise ConfigError("RankConfig.list_length must be >= 2")


def rank_labels(Y: np.ndarray) -> np.ndarray:
    """Per column: ranks (ties averaged) standardized to mean 0, std 1; lower y -> lower label.
    Depends on the order of ``Y`` only."""
    Y = np.asarray(Y, dtype=np.float64)
    r = rankdata(Y, method="average", axis=0)
    r = r - r.mean(axis=0)
    sd = r.std(axis=0)
    return r / np.where(sd > 0, sd, 1.0)


def listnet_loss(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """ListNet top-one cross-entropy of each list (last axis; lower is better for scores and labels),
    averaged over the lists (second-to-last axis): ``(..., k, L)`` -> ``(...)``."""
    target = torch.softmax(-labels, dim=-1)
    return -(target * F.log_softmax(-scores, dim=-1)).sum(dim=-1).mean(dim=-1)


def ranknet_loss(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """RankNet: mean logistic loss over the ordered pairs of each list (``a`` better than ``b`` when
    its label is lower): ``-log sigmoid(s_b - s_a)``. Shapes as ``listnet_loss``."""
    better = labels[..., :, None] < labels[..., None, :]  # (..., L, L): a (row) better than b (col)
    pair = F.softplus(scores[..., :, None] - scores[..., None, :])
    per_list = (pair * better).sum(dim=(-2, -1)) / better.sum(dim=(-2, -1)).clamp_min(1)
    return per_list.mean(dim=-1)


def fit_rank(problem: OfflineProblem, config: RankConfig, seed: int,
             progress: Progress | None = None) -> EnsembleSurrogate:
    X, Y, lower, upper, n_categories = problem.arrays()
    prep = prepare(X, Y, lower, upper, n_categories, config, seed, n_members=config.n_members)
    net = prep.new_net()
    opt = adam(net.parameters(), config)
    device, n_nets = prep.device, prep.n_nets
    n_train = len(prep.x_tr)
    L = min(config.list_length, n_train)
    k = config.lists_per_step
    # labels from the order of the training rows only (the validation rows get their own)
    q_tr = torch.as_tensor(rank_labels(prep.t_tr.cpu().numpy()), dtype=torch.float32, device=device)
    q_val = torch.as_tensor(rank_labels(prep.t_val.cpu().numpy()), dtype=torch.float32, device=device) \
        if len(prep.t_val) > 1 else None
    loss_fn = listnet_loss if config.loss == "listnet" else ranknet_loss
    g_lists = prep.generators[1]

    def sampler():  # k random lists of L distinct training rows per net
        keys = torch.rand(n_nets * k, n_train, generator=g_lists)
        return keys.topk(L, dim=1).indices.reshape(n_nets, k * L).to(device)

    def step(idx):
        scores = net(prep.x_tr[idx])[..., 0].reshape(n_nets, k, L)
        labels = prep.targets(idx, q_tr)[..., 0].reshape(n_nets, k, L)
        loss = loss_fn(scores, labels)  # (n_nets,)
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        opt.step()
        return loss.detach().sum(), {}

    def validate() -> float:
        if q_val is None:
            return float("nan")
        n = min(L, len(prep.x_val))
        idx = torch.arange(n, device=device).expand(n_nets, -1)
        with torch.no_grad():
            scores = net(prep.x_val[idx])[..., 0].unsqueeze(1)
            labels = prep.targets(idx, q_val)[..., 0].unsqueeze(1)
            return float(loss_fn(scores, labels).mean())

    history = train_loop(prep, config, net, opt, step, progress, sampler=sampler,
                         steps_per_epoch=math.ceil(n_train / (k * L)), validate=validate)
    _standardize_scores(net, prep.x_tr)
    Yt = np.asarray(Y, dtype=np.float64)[prep.rows]
    mean, std = Yt.mean(axis=0), Yt.std(axis=0)
    prep.model.y_normalizer = MinMaxNormalizer(mean, mean + np.where(std > 0, std, 1.0))
    return prep.finish(net, history)


@torch.no_grad()
def _standardize_scores(net, feats: torch.Tensor) -> None:
    """Fold each net's score mean and standard deviation on ``feats`` into its last layer
    (a positive affine map: the order is unchanged)."""
    s = torch.cat([net(c) for c in torch.split(feats, 4096)], dim=1)  # (n_nets, n, out)
    mu = s.mean(dim=1, keepdim=True)
    sd = s.std(dim=1, keepdim=True).clamp_min(1e-8) if s.shape[1] > 1 else torch.ones_like(mu)
    net.weights[-1].div_(sd)
    net.biases[-1].sub_(mu).div_(sd)
