"""End-to-end surrogates (Off-MOO-Bench "End-to-End", "+ GradNorm", "+ PcGrad"): ONE network maps a
design to all ``m`` objectives.

What Off-MOO-Bench (lamda-bbo/offline-moo, ``off_moo_baselines/end2end/``) trains, and what differs
from its "Multi-Head" (``off_moo_baselines/multi_head/``):

- **Network.** End-to-end: ``d -> 2048 -> 2048 -> m``, LeakyReLU after each hidden layer, a linear
  output layer with one column per objective (``End2EndModel``). Multi-Head: a feature extractor
  ``d -> 2048 -> 2048`` (LeakyReLU) and ``m`` heads ``Linear(2048, 1)``, each followed by a
  LeakyReLU. Up to that output activation the two are the same function class (``m`` heads of width
  1 are the columns of one output layer), so what sets them apart is the training below. Here both
  use the ensemble's ``head="multihead"`` layout (``BatchedMLP`` with ``m`` outputs, no output
  activation); the end-to-end schemes train **one** net (the reference's single model; the budgets'
  ``n_members`` does not apply), where our multi-head schemes train an ensemble of 5.
- **Loss.** The sum over objectives of the per-objective MSE on min-max normalized y (the
  reference sums the per-row objective means over the batch: the same up to a constant factor, which
  Adam ignores). Adam, lr 1e-3, batch 32, 200 epochs (``configs/algorithm/End2End-*.yaml``).
- **GradNorm** measures each task's gradient norm on the **output layer** (``layers[-1]``; the
  multi-head's on the last shared layer) and otherwise follows ``multitask.train_gradnorm``
  (``G_i = w_i ||grad_W L_i||``, alpha 0.12, weight lr 5e-4 x0.99 per epoch, ``sum_i w_i = m``).
- **PcGrad** projects the gradients of **all** parameters: in one network every parameter gets a
  gradient from every objective, so the reference's ``PCGrad`` treats the whole net, output layer
  included, as shared (the multi-head's heads keep their own gradients).
- **Data.** Plain end-to-end trains on all the data; "+ GradNorm" and "+ PcGrad" on the best 20%
  (``data_pruning: True``, ratio 0.2; the catalog's methods set ``data_fraction``).

The reference read is ``end2end/trainer.py`` at commit fd63aaf; a later revision (22c8a8c)
changes two things, noted below.

Departures, all shared with the multi-head schemes: the budgets set the batch size and the epochs
(``cpu``: 128, 20 epochs / 2000 steps, 2x256 units); the learning rate decays x0.98 per epoch in
all three (the configs' ``forward_lr_decay``; the reference's PcGrad trainer never decays it, and
the later revision anneals plain and GradNorm by a cosine to 0); the loss is not multiplied by
``1 / 0.2`` on pruned data (Adam is scale-invariant); training keeps the last epoch (the reference
reloads its best validation checkpoint). GradNorm: the reference restarts the weights' Adam after
every step and lets the GradNorm loss back-propagate into the network too; here, as in the paper,
the weights' Adam keeps its state and the GradNorm loss moves only ``w``. (The later revision takes
``G_i = ||grad_W L_i||`` without ``w_i``, so its GradNorm loss has no gradient in ``w`` and the
weights stay at 1; here ``G_i`` includes ``w_i``, as in fd63aaf and the paper.) PcGrad sums the
projected gradients (the paper; the reference averages them, which with Adam nearly coincides).

Measured on the output layer, a task's gradient norm is proportional to its residual, so raising a
task's weight soon shrinks its norm: a weight lr far above the default overshoots (on the tests'
two tasks, alpha 0, weight lr 0.05 leaves the per-step norm ratio at 3.1 against 2.7 with fixed
weights; 0.005 brings it to 2.3; ``tests/models/robust/test_robust_e2e.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from dist_ombo.models.ensemble import EnsembleSurrogate
from dist_ombo.models.robust.base import Prepared, RobustConfig, prepare
from dist_ombo.models.robust.multitask import check_gradnorm_fields, train_gradnorm, train_pcgrad
from dist_ombo.models.robust.training import Progress, adam, mse_terms, train_loop
from dist_ombo.problem import OfflineProblem


@dataclass(frozen=True)
class E2EConfig(RobustConfig):
    """One network with ``m`` outputs, summed per-objective MSE (see module docstring)."""

    lr: float = 1e-3


@dataclass(frozen=True)
class E2EGradNormConfig(E2EConfig):
    """The end-to-end network trained with GradNorm loss weights on its output layer."""

    alpha: float = 0.12
    weight_lr: float = 5e-4
    weight_lr_decay: float = 0.99

    def __post_init__(self) -> None:
        super().__post_init__()
        check_gradnorm_fields(self)


@dataclass(frozen=True)
class E2EPcGradConfig(E2EConfig):
    """The end-to-end network trained with PcGrad projection of all its parameters' gradients."""


def _one_net(problem: OfflineProblem, config: E2EConfig, seed: int):
    X, Y, lower, upper, n_categories = problem.arrays()
    prep: Prepared = prepare(X, Y, lower, upper, n_categories, config, seed, head="multihead", n_members=1)
    return prep, prep.new_net()


def fit_e2e(problem: OfflineProblem, config: E2EConfig, seed: int,
            progress: Progress | None = None) -> EnsembleSurrogate:
    """Off-MOO-Bench "End-to-End": one net, the per-objective MSEs summed."""
    prep, net = _one_net(problem, config, seed)
    opt = adam(net.parameters(), config)

    def step(idx: torch.Tensor):
        loss = mse_terms(net(prep.x_tr[idx]), prep.targets(idx)).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.detach(), {}

    history = train_loop(prep, config, net, opt, step, progress)
    return prep.finish(net, history)


def fit_e2e_gradnorm(problem: OfflineProblem, config: E2EGradNormConfig, seed: int,
                     progress: Progress | None = None) -> EnsembleSurrogate:
    """Off-MOO-Bench "End-to-End + GradNorm": gradient norms measured on the output layer."""
    prep, net = _one_net(problem, config, seed)
    return train_gradnorm(prep, config, net, net.weights[-1], progress)


def fit_e2e_pcgrad(problem: OfflineProblem, config: E2EPcGradConfig, seed: int,
                   progress: Progress | None = None) -> EnsembleSurrogate:
    """Off-MOO-Bench "End-to-End + PcGrad": every parameter's gradient is projected."""
    prep, net = _one_net(problem, config, seed)
    return train_pcgrad(prep, config, net, [*net.weights, *net.biases], [], progress)
