"""Conservative objective models (COMs; Trabucco et al., ICML 2021), one per objective.

Each net fits its objective by MSE plus a conservative term: from every minibatch's designs, 50
gradient steps on the net's own prediction give adversarial designs ``x_neg`` (where the model
believes the objective is best), and the loss adds ``alpha * (mean f(x) - mean f(x_neg))``, which
pushes predictions at ``x_neg`` toward worse values and at the data toward better ones. The
multiplier ``alpha`` is tuned by dual gradient descent on ``alpha * (limit - gap)``, so it grows
while the gap (the model's optimism at its own adversarial designs) exceeds ``limit`` and shrinks
otherwise. The paper maximizes a score; our objectives are minimized, so the particles *descend*
the prediction and the gap is ``f(data) - f(x_neg)`` (the reference's ``d_neg - d_pos`` with the sign
flipped).

Defaults: Off-MOO-Bench ``configs/algorithm/MultipleModels-COM.yaml`` (lamda-bbo/offline-moo) and
Design-Bench ``coms_cleaned`` (brandontrabucco/design-baselines): Adam lr 3e-4, initial ``alpha``
0.1, ``alpha`` lr 0.01, overestimation limit 0.5, particle lr 0.05 x sqrt(d), 50 particle steps,
no input noise, no entropy bonus (the reference's default coefficient is 0, so the term is left out).
Both references state the particle step and the limit in z-scored units; here the step is scaled by
the designs' standard deviation and the limit by each objective's normalized standard deviation.
Particles stay inside the design box (the references' boxes are unbounded z-scores). Discrete
designs move as logits (Design-Bench's relaxation).

Cost: the particles are nearly all of it (50 input gradients per training step against one forward
and backward for the step itself). Their gradient is written out by hand
(``training.InputGradient``): autograd's ops in its order over buffers reused across steps, without
a graph and without the output layer's forward; weights, proposals and HV are bitwise those of the
autograd loop it replaced. What remains is two ``B x h x h`` products per net and particle step,
which no restructuring removes without fewer steps: at the cpu budget a COMs trial stays several
times a plain ensemble trial (figures in ``benchmarks/README.md``). Fewer steps were tried on held-out
tasks and not adopted: 20 instead of 50 halves the trial (4.5x -> 2.1x the plain trial) but lost up
to 0.018 of HV / D(best) on DTLZ4 (``benchmarks/robust_budgets.py``), so every budget keeps 50.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from dist_ombo.models.ensemble import EnsembleSurrogate
from dist_ombo.models.relaxed_space import RelaxedDesignSpace
from dist_ombo.models.robust.base import RobustConfig, prepare
from dist_ombo.models.robust.training import InputGradient, Progress, adam, mse_terms, train_loop
from dist_ombo.problem import OfflineProblem
from dist_ombo.validation import require_count, require_positive


@dataclass(frozen=True)
class COMsConfig(RobustConfig):
    """COMs settings (see module docstring). ``n_members`` nets per objective, each with its own
    multiplier (the reference trains one)."""

    n_members: int = 1
    alpha: float = 0.1
    alpha_lr: float = 0.01
    overestimation_limit: float = 0.5
    particle_lr: float = 0.05
    particle_steps: int = 50
    noise_std: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        require_positive(self, "alpha", "alpha_lr", "particle_lr")
        require_positive(self, "overestimation_limit", "noise_std", allow_zero=True)
        require_count(self, "particle_steps")


def descend_particles(net: torch.nn.Module, space: RelaxedDesignSpace, z0: torch.Tensor, steps: int,
                      step_size: float, input_grad: InputGradient | None = None) -> torch.Tensor:
    """Plain gradient descent on each net's own prediction from ``z0`` ``(n_nets, B, F)``: the
    designs a minimizing search would move to (COMs' ``x_neg``); detached result.

    The gradient comes from ``InputGradient`` (autograd's arithmetic without its graph; pass one
    to reuse its buffers across calls), through the softmax of discrete designs by autograd."""
    grad_of = InputGradient(net) if input_grad is None else input_grad
    z = z0.detach().clone()
    for _ in range(steps):
        if space.discrete:
            z.requires_grad_(True)
            x = space.features(z)
            grad, = torch.autograd.grad(x, z, grad_of(x.detach()))
        else:
            grad = grad_of(z)
        z = (z - step_size * grad).detach()
        space.project_(z)
    return z


def fit_coms(problem: OfflineProblem, config: COMsConfig, seed: int,
             progress: Progress | None = None) -> EnsembleSurrogate:
    X, Y, lower, upper, n_categories = problem.arrays()
    prep = prepare(X, Y, lower, upper, n_categories, config, seed, n_members=config.n_members)
    net = prep.new_net()
    opt = adam(net.parameters(), config)
    n_nets, space = prep.n_nets, prep.space
    log_alpha = torch.full((n_nets,), math.log(config.alpha), device=prep.device, requires_grad=True)
    alpha_opt = torch.optim.Adam([log_alpha], lr=config.alpha_lr)
    z_scale = space.scale(space.to_z(prep.x_tr))
    step_size = config.particle_lr * math.sqrt(prep.x_tr.shape[1]) * z_scale
    # the limit in z-scored y units, converted to each net's normalized objective
    y_std = prep.t_tr.std(dim=0) if len(prep.t_tr) > 1 else torch.ones(prep.n_obj, device=prep.device)
    limit = config.overestimation_limit * y_std[prep.net_objective()]
    g_noise = prep.generators[2]
    input_grad = InputGradient(net)

    def step(idx):
        xb = prep.x_tr[idx]
        if config.noise_std > 0:
            xb = xb + config.noise_std * z_scale * torch.randn(xb.shape, generator=g_noise).to(xb.device)
        z_neg = descend_particles(net, space, space.to_z(xb), config.particle_steps, step_size, input_grad)
        pred_pos = net(xb)
        pred_neg = net(space.features(z_neg))
        mse = mse_terms(pred_pos, prep.targets(idx))
        gap = pred_pos.mean(dim=(1, 2)) - pred_neg.mean(dim=(1, 2))  # optimism at x_neg, per net
        alpha = log_alpha.exp()
        opt.zero_grad(set_to_none=True)
        (mse + alpha.detach() * gap).sum().backward()
        opt.step()
        alpha_opt.zero_grad(set_to_none=True)
        (alpha * (limit - gap.detach())).sum().backward()
        alpha_opt.step()
        return mse.detach().sum(), {"alpha": alpha.detach().mean(), "overestimation": gap.detach().mean()}

    history = train_loop(prep, config, net, opt, step, progress)
    return prep.finish(net, history)
