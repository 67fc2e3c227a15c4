"""IOM: invariant objective models (Qi et al., NeurIPS 2022), one per objective.

A representation net ``phi`` (output normalized to the unit sphere, 128-d) feeds a predictor head;
the loss is the head's MSE on the data plus ``mmd_weight`` times the squared maximum mean
discrepancy (Gaussian kernels) between ``phi`` of the training designs and ``phi`` of the designs the
search is visiting. Those come from persistent particles, started at each objective's best training
designs, that take one gradient step on the current model per training step (the search
distribution follows the model as it trains). Making the two distributions indistinguishable in the
representation keeps the predictor from rewarding what is specific to the off-data designs a search
reaches. The paper maximizes; particles here *descend* the minimized prediction.

Defaults: Off-MOO-Bench ``configs/algorithm/MultipleModels-IOM.yaml`` (lamda-bbo/offline-moo):
Adam lr 3e-4, representation 128-d, discrepancy weight 2 (``mmd_param``), particle lr 0.05 with
one step per training step. The reference measures the discrepancy with an adversarial
discriminator (least-squares GAN loss); we use the kernel MMD the paper names as the alternative
(bandwidths 0.25, 1 and 4 on the unit sphere, where squared distances lie in [0, 4]). Particles stay
inside the design box; discrete designs move as logits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import torch
from torch import nn

from dist_ombo.errors import DataError
from dist_ombo.models.batched_mlp import BatchedMLP
from dist_ombo.models.ensemble import EnsembleSurrogate
from dist_ombo.models.robust.base import RobustConfig, prepare
from dist_ombo.models.robust.training import Progress, adam, mse_terms, train_loop
from dist_ombo.problem import OfflineProblem
from dist_ombo.validation import require_count, require_positive

_STATE_FORMAT = "iom-1"
BANDWIDTHS = (0.25, 1.0, 4.0)


@dataclass(frozen=True)
class IOMConfig(RobustConfig):
    """IOM settings (see module docstring); ``n_particles`` defaults to ``batch_size``."""

    n_members: int = 1
    rep_dim: int = 128
    mmd_weight: float = 2.0
    particle_lr: float = 0.05
    n_particles: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        require_count(self, "rep_dim")
        require_positive(self, "particle_lr")
        require_positive(self, "mmd_weight", allow_zero=True)
        if self.n_particles is not None:
            require_count(self, "n_particles")


class TwoStageNet(nn.Module):
    """``n_nets`` representation MLPs (output on the unit sphere) feeding ``n_nets`` predictor heads.

    Exposes what ``EnsembleSurrogate`` reads of a ``BatchedMLP`` (``n_nets``, ``sizes``,
    ``in_features``, ``out_features``, ``weights``, ``negative_slope``), so prediction, gradient
    search and chunking work unchanged.
    """

    def __init__(self, rep: BatchedMLP, head: BatchedMLP) -> None:
        super().__init__()
        if rep.n_nets != head.n_nets or rep.out_features != head.in_features:
            raise ValueError("representation and head nets do not fit together")
        self.rep, self.head = rep, head
        self.n_nets = rep.n_nets
        self.negative_slope = head.negative_slope
        self.sizes = (*rep.sizes, *head.sizes[1:])

    @property
    def in_features(self) -> int:
        return self.rep.in_features

    @property
    def out_features(self) -> int:
        return self.head.out_features

    @property
    def weights(self) -> list[nn.Parameter]:
        return [*self.rep.weights, *self.head.weights]

    @property
    def biases(self) -> list[nn.Parameter]:
        return [*self.rep.biases, *self.head.biases]

    def representation(self, x: torch.Tensor) -> torch.Tensor:
        r = self.rep(x)
        return r / (r.norm(dim=-1, keepdim=True) + 1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.representation(x))


class IOMSurrogate(EnsembleSurrogate):
    """An ensemble surrogate whose nets are ``TwoStageNet``s (state format ``"iom-1"``)."""

    def state(self) -> dict[str, Any]:
        state = super().state()
        state["format"] = _STATE_FORMAT
        state["rep_layers"] = len(self.net.rep.weights)
        return state

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> IOMSurrogate:
        if state.get("format") != _STATE_FORMAT:
            raise DataError(f"unsupported IOM state format {state.get('format')!r}")
        k = int(state["rep_layers"])
        head_state = dict(state, format=1, weights=state["weights"][k:], biases=state["biases"][k:])
        model = super().from_state(head_state)  # an IOMSurrogate whose net is the head
        rep = BatchedMLP.from_tensors(state["weights"][:k], state["biases"][:k], state["negative_slope"])
        rep = rep.to(model.net.weights[0].device).requires_grad_(False)
        model.net = TwoStageNet(rep, model.net)
        return model


def mmd2(a: torch.Tensor, b: torch.Tensor, bandwidths=BANDWIDTHS) -> torch.Tensor:
    """Biased squared MMD per net between samples ``a`` ``(n_nets, n, r)`` and ``b``
    ``(n_nets, p, r)``, with a sum of Gaussian kernels ``exp(-|u - v|^2 / (2 s))``."""

    def kernel(x, y):
        d = (x.square().sum(-1)[:, :, None] + y.square().sum(-1)[:, None, :]
             - 2 * torch.bmm(x, y.transpose(1, 2))).clamp_min(0)
        return sum(torch.exp(-d / (2 * s)) for s in bandwidths)

    return kernel(a, a).mean(dim=(1, 2)) + kernel(b, b).mean(dim=(1, 2)) - 2 * kernel(a, b).mean(dim=(1, 2))


def fit_iom(problem: OfflineProblem, config: IOMConfig, seed: int,
            progress: Progress | None = None) -> IOMSurrogate:
    X, Y, lower, upper, n_categories = problem.arrays()
    prep = prepare(X, Y, lower, upper, n_categories, config, seed, n_members=config.n_members,
                   model_cls=IOMSurrogate)
    rep = prep.new_net(out_features=config.rep_dim)
    head = prep.new_net(in_features=config.rep_dim)
    net = TwoStageNet(rep, head)
    opt = adam(net.parameters(), config)
    space = prep.space
    n_particles = config.n_particles or config.batch_size
    z_p = space.to_z(prep.x_tr[prep.top_rows(n_particles)])  # (n_nets, P, F): the search distribution

    def step(idx):
        nonlocal z_p
        z_p.requires_grad_(True)
        grad, = torch.autograd.grad(net(space.features(z_p)).sum(), z_p)
        z_p = (z_p - config.particle_lr * grad).detach()
        space.project_(z_p)
        rep_pos = net.representation(prep.x_tr[idx])
        rep_neg = net.representation(space.features(z_p))
        mse = mse_terms(net.head(rep_pos), prep.targets(idx))
        mmd = mmd2(rep_pos, rep_neg)
        opt.zero_grad(set_to_none=True)
        (mse + config.mmd_weight * mmd).sum().backward()
        opt.step()
        return mse.detach().sum(), {"mmd": mmd.detach().mean()}

    history = train_loop(prep, config, net, opt, step, progress)
    return prep.finish(net, history)
