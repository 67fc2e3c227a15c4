"""Multi-head surrogates trained with GradNorm or PcGrad (Off-MOO-Bench "Multi-Head + GradNorm /
+ PcGrad").

Each ensemble member is one net with a shared trunk and one output per objective
(``EnsembleSurrogate`` ``head="multihead"``): the last layer's column ``i`` is objective ``i``'s head,
every other layer is shared. The per-objective losses are MSEs on min-max normalized y. Both schemes
act on the per-objective gradients of the shared parameters, computed for all members at once (the
members' losses are independent, so the gradient of the sum over members is each member's own).

- **GradNorm** (Chen et al., ICML 2018): the loss is ``sum_i w_i L_i`` with learnable weights
  ``w``. With ``G_i = w_i * ||grad_W L_i||`` on the last shared layer ``W`` and the relative inverse
  training rate ``r_i = (L_i / L_i(0)) / mean_j (L_j / L_j(0))``, the weights minimize
  ``sum_i |G_i - mean_j(G_j) * r_i ** alpha|`` (target held constant), then are renormalized to sum
  to the number of objectives, so tasks that train slower get larger gradients.
- **PcGrad** (Yu et al., NeurIPS 2020): for each objective, in random order over the others, a
  gradient that conflicts with another objective's (negative dot product) is projected onto the
  normal plane of that gradient; the shared parameters step along the sum of the projected
  gradients, as in the paper (the Off-MOO-Bench code averages them; with Adam the two nearly
  coincide); the heads get their own gradients unchanged.

``train_gradnorm`` and ``train_pcgrad`` take the net and the layer (parameters) they act on, so the
end-to-end schemes (``e2e``: one net, GradNorm on its output layer, PcGrad over all of it) reuse
them; ``docs/end-to-end.md`` compares the two families.

Defaults from the Off-MOO-Bench configs (``configs/algorithm/End2End-GradNorm.yaml``,
``-PcGrad.yaml`` in lamda-bbo/offline-moo): Adam lr 1e-3 x0.98 per epoch, GradNorm ``alpha`` 0.12,
weight lr 5e-4 x0.99 per epoch (the reference uses batch 32; the budgets set the batch size).
The reference restarts the weights' Adam after every step; here it keeps its state. Its GradNorm
loss also back-propagates into the network's weights; here, as in the paper, it only moves ``w``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from dist_ombo.models.ensemble import EnsembleSurrogate
from dist_ombo.models.batched_mlp import BatchedMLP
from dist_ombo.models.robust.base import Prepared, RobustConfig, prepare
from dist_ombo.models.robust.training import Progress, adam, per_net_norm, train_loop
from dist_ombo.problem import OfflineProblem
from dist_ombo.validation import require_positive


@dataclass(frozen=True)
class GradNormConfig(RobustConfig):
    """Multi-head ensemble trained with GradNorm loss weights (see module docstring)."""

    lr: float = 1e-3
    n_members: int = 5
    alpha: float = 0.12  # asymmetry: 0 pulls all weighted gradient norms to their mean
    weight_lr: float = 5e-4
    weight_lr_decay: float = 0.99

    def __post_init__(self) -> None:
        super().__post_init__()
        check_gradnorm_fields(self)


def check_gradnorm_fields(cfg: Any) -> None:
    """Validate GradNorm's own fields (``alpha``, ``weight_lr``, ``weight_lr_decay``)."""
    require_positive(cfg, "weight_lr", "weight_lr_decay")
    require_positive(cfg, "alpha", allow_zero=True)


@dataclass(frozen=True)
class PcGradConfig(RobustConfig):
    """Multi-head ensemble trained with PcGrad gradient surgery (see module docstring)."""

    lr: float = 1e-3
    n_members: int = 5


def gradnorm_targets(G: torch.Tensor, losses: torch.Tensor, initial: torch.Tensor, alpha: float) -> torch.Tensor:
    """GradNorm's target gradient norms ``mean_j(G_j) * r_i ** alpha`` (constants), per net:
    ``G``, ``losses``, ``initial`` are ``(n_nets, m)``."""
    ratio = losses.detach() / initial
    r = ratio / ratio.mean(dim=1, keepdim=True).clamp_min(1e-12)
    return (G.detach().mean(dim=1, keepdim=True) * r.pow(alpha)).detach()


def fit_gradnorm(problem: OfflineProblem, config: GradNormConfig, seed: int,
                 progress: Progress | None = None) -> EnsembleSurrogate:
    X, Y, lower, upper, n_categories = problem.arrays()
    prep = prepare(X, Y, lower, upper, n_categories, config, seed, head="multihead", n_members=config.n_members)
    net = prep.new_net()
    norm_layer = net.weights[-2] if len(net.weights) > 1 else net.weights[-1]  # the last shared layer
    return train_gradnorm(prep, config, net, norm_layer, progress)


def train_gradnorm(prep: Prepared, config: GradNormConfig, net: BatchedMLP, norm_layer: torch.Tensor,
                   progress: Progress | None = None) -> EnsembleSurrogate:
    """GradNorm training of a net with ``m`` outputs (see module docstring); the weighted per-task
    gradient norms are measured on ``norm_layer`` (one of ``net``'s stacked weights). Shared by the
    multi-head schemes (last shared layer) and the end-to-end ones (output layer)."""
    m = prep.n_obj
    opt = adam(net.parameters(), config)
    weights = torch.ones(prep.n_nets, m, device=prep.device, requires_grad=True)
    w_opt = torch.optim.Adam([weights], lr=config.weight_lr)
    w_sched = torch.optim.lr_scheduler.ExponentialLR(w_opt, gamma=config.weight_lr_decay)
    state: dict[str, torch.Tensor] = {}

    def step(idx):
        pred = net(prep.x_tr[idx])
        losses = (pred - prep.targets(idx)).square().mean(dim=1)  # (n_nets, m)
        if "initial" not in state:
            state["initial"] = losses.detach().clamp_min(1e-12)
        norms = torch.stack([
            per_net_norm(torch.autograd.grad(losses[:, i].sum(), norm_layer, retain_graph=True)[0]).flatten()
            for i in range(m)
        ], dim=1)  # (n_nets, m): ||grad_W L_i|| per member
        G = weights * norms
        target = gradnorm_targets(G, losses, state["initial"], config.alpha)
        gn_loss = (G - target).abs().sum()
        w_grad, = torch.autograd.grad(gn_loss, weights)
        opt.zero_grad(set_to_none=True)
        (weights.detach() * losses).sum().backward()
        opt.step()
        weights.grad = w_grad
        w_opt.step()
        with torch.no_grad():  # renormalize: sum_i w_i = m per member
            weights.clamp_(min=1e-4)
            weights.mul_(m / weights.sum(dim=1, keepdim=True))
        Gd = G.detach()
        extras = {"gradnorm_loss": gn_loss.detach() / prep.n_nets,
                  "grad_norm_ratio": (Gd.max(dim=1).values / Gd.min(dim=1).values.clamp_min(1e-12)).mean()}
        extras.update({f"loss_weight_{i}": weights.detach()[:, i].mean() for i in range(m)})
        extras.update({f"grad_norm_{i}": Gd[:, i].mean() for i in range(m)})
        return losses.detach().sum(), extras

    history = train_loop(prep, config, net, opt, step, progress, on_epoch_end=w_sched.step)
    return prep.finish(net, history)


def project_conflicting(grads: torch.Tensor, orders: list[list[int]]) -> torch.Tensor:
    """PcGrad's projection, per net: ``grads`` ``(m, n_nets, P)`` (objective ``i``'s flat gradient
    of each net's shared parameters); ``orders[i]`` is the random order in which objective ``i``
    visits the others. Returns the projected gradients, same shape."""
    out = grads.clone()
    sq = grads.square().sum(dim=-1).clamp_min(1e-20)  # (m, n_nets)
    for i, order in enumerate(orders):
        g = out[i]
        for j in order:
            if j == i:
                continue
            dot = (g * grads[j]).sum(dim=-1)  # (n_nets,)
            g = g - (dot.clamp(max=0.0) / sq[j]).unsqueeze(-1) * grads[j]
        out[i] = g
    return out


def fit_pcgrad(problem: OfflineProblem, config: PcGradConfig, seed: int,
               progress: Progress | None = None) -> EnsembleSurrogate:
    X, Y, lower, upper, n_categories = problem.arrays()
    prep = prepare(X, Y, lower, upper, n_categories, config, seed, head="multihead", n_members=config.n_members)
    net = prep.new_net()
    shared = [*net.weights[:-1], *net.biases[:-1]]
    heads = [net.weights[-1], net.biases[-1]]
    return train_pcgrad(prep, config, net, shared, heads, progress)


def train_pcgrad(prep: Prepared, config: PcGradConfig, net: BatchedMLP, shared: list[torch.Tensor],
                 own: list[torch.Tensor], progress: Progress | None = None) -> EnsembleSurrogate:
    """PcGrad training of a net with ``m`` outputs (see module docstring): the per-objective
    gradients of the ``shared`` parameters are projected and summed; the ``own`` parameters (the
    multi-head's output layer; none for the end-to-end net) take the summed loss's gradient."""
    m = prep.n_obj
    opt = adam(net.parameters(), config)
    rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,), generator=prep.generators[2])))

    def step(idx):
        pred = net(prep.x_tr[idx])
        losses = (pred - prep.targets(idx)).square().mean(dim=1)  # (n_nets, m)
        per_obj = []
        for i in range(m):
            gs = torch.autograd.grad(losses[:, i].sum(), shared, retain_graph=bool(own) or i < m - 1)
            per_obj.append(torch.cat([g.flatten(1) for g in gs], dim=1))
        G = torch.stack(per_obj)  # (m, n_nets, P)
        orders = [list(rng.permutation(m)) for _ in range(m)]
        merged = project_conflicting(G, orders).sum(dim=0)
        own_grads = torch.autograd.grad(losses.sum(), own) if own else ()
        opt.zero_grad(set_to_none=True)
        offset = 0
        for p in shared:
            size = p[0].numel()
            p.grad = merged[:, offset:offset + size].reshape(p.shape).contiguous()
            offset += size
        for p, g in zip(own, own_grads):
            p.grad = g
        opt.step()
        conflict = torch.zeros((), device=prep.device)
        if m > 1:
            dots = torch.einsum("inp,jnp->nij", G, G)
            off = ~torch.eye(m, dtype=torch.bool, device=prep.device)
            conflict = (dots[:, off] < 0).float().mean()
        return losses.detach().sum(), {"conflict_rate": conflict}

    history = train_loop(prep, config, net, opt, step, progress)
    return prep.finish(net, history)
