"""Lower-bound JES with the truncated-normal moments computed in log space.

Why: BoTorch's ``_compute_entropy_upper_bound`` (the "LB" estimate of
``qLowerBoundMultiObjectiveJointEntropySearch``) needs each box's probability
``Phi(b) - Phi(a)`` of a candidate's predictive distribution. It takes ``Phi`` from ``erf``, which
has no precision left more than about 8 standard deviations into a tail, and clamps the difference
at machine epsilon; the box weights and moment ratios then describe no distribution at all, the
"covariance" whose log-determinant is the entropy gets a negative diagonal, and the acquisition
value is NaN (about 8 sd out; further out it is finite but wrong). That happens whenever a
candidate's near-noiseless posterior (conditioned on a sampled Pareto set) lies far beyond the
sampled front: on RE21 at the cpu budget, 0-5 of 2,000 random 4-point batches per Pareto-set draw
were NaN, and one NaN among a step's 32 raw start batches makes ``optimize_acqf``'s start-point
sampling fail ("probability tensor contains either inf, nan or element < 0").

Here the same moments (a mixture over the boxes of products of one-dimensional truncated normals)
come from ``log_ndtr`` differences, box weights from a softmax of their log probabilities, and the
covariance is formed in standardized units (no cancellation against the squared mean). Where
BoTorch's values are accurate the two agree (``tests/bo/test_jes_entropy.py``); far in the tails
ours stays a valid covariance, so the estimate is finite. Nothing else of the acquisition changes.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
#: Standard deviations treated as infinitely far (no normal variable's mass reaches them).
_FAR = 1e6


def _log_mass(a: Any, b: Any) -> Any:
    """``log(Phi(b) - Phi(a))`` for ``a <= b``, accurate in both tails (``-inf`` where ``a >= b``)."""
    import torch
    from torch.special import log_ndtr

    upper_tail = a > 0  # use Phi(b) - Phi(a) = Phi(-a) - Phi(-b) there
    hi = torch.where(upper_tail, log_ndtr(-a), log_ndtr(b))
    lo = torch.where(upper_tail, log_ndtr(-b), log_ndtr(a))
    diff = (lo - hi).clamp_max(0.0)  # <= 0; == 0 for an empty interval
    nonempty = diff < 0
    safe = torch.where(nonempty, diff, torch.full_like(diff, -1.0))  # no inf in either branch's gradient
    return torch.where(nonempty, hi + torch.log(-torch.expm1(safe)), torch.full_like(hi, -math.inf))


def truncated_entropy_upper_bound(hypercell_bounds: Any, mean: Any, variance: Any, observation_noise: Any) -> Any:
    """Gaussian entropy bound of each candidate's observation given that its latent value lies in
    the region the sampled Pareto front dominates; BoTorch's full-covariance "LB" estimate.

    Shapes as in BoTorch: ``hypercell_bounds`` ``P x 2 x J x M``; ``mean``, ``variance``,
    ``observation_noise`` ``batch x P x q x 1 x M``; returns ``batch x q`` (averaged over the
    ``P`` Pareto samples)."""
    import torch

    std = variance.sqrt()
    # batch x P x q x 2 x J x M: box bounds in standard units of each candidate's posterior
    g = (hypercell_bounds.unsqueeze(-4) - mean.unsqueeze(-2)) / std.unsqueeze(-2)
    # BoTorch writes the open ends of the boxes as +-1e10; log_ndtr's gradient is inf out there
    g = g.clamp(-_FAR, _FAR)
    a, b = g[..., 0, :, :], g[..., 1, :, :]
    log_w = _log_mass(a, b)  # batch x P x q x J x M
    empty = torch.isinf(log_w)
    safe_log_w = torch.where(empty, torch.zeros_like(log_w), log_w)

    def ratio(x):  # phi(x) / (Phi(b) - Phi(a)), 0 in empty boxes
        r = torch.exp(-0.5 * x * x - _LOG_SQRT_2PI - safe_log_w)
        return torch.where(empty, torch.zeros_like(r), r)

    ra, rb = ratio(a), ratio(b)
    # finite stand-ins for the bounds at +-1e10 (their pdf terms vanish anyway)
    a_fin = torch.where(ra > 0, a, torch.zeros_like(a))
    b_fin = torch.where(rb > 0, b, torch.zeros_like(b))
    mean_z = ra - rb  # E[z | box], per objective
    second_z = 1.0 + a_fin * ra - b_fin * rb  # E[z^2 | box]
    log_box = log_w.sum(dim=-1)  # batch x P x q x J
    weight = torch.softmax(log_box, dim=-1).unsqueeze(-1)  # boxes' shares of the dominated region's mass

    m1 = (weight * mean_z).sum(dim=-2)  # batch x P x q x M
    cross = torch.einsum("...ji,...jk->...ik", weight * mean_z, mean_z)  # sum_j w_j E[z_i|j] E[z_k|j]
    diag = (weight * (second_z - mean_z * mean_z)).sum(dim=-2)  # within-box variances
    cov_z = cross + torch.diag_embed(diag) - torch.einsum("...i,...k->...ik", m1, m1)
    s = std.squeeze(-2)
    cov_y = cov_z * s.unsqueeze(-1) * s.unsqueeze(-2) + torch.diag_embed(observation_noise.squeeze(-2))
    M = mean.shape[-1]
    jitter = 1e-6 * torch.eye(M, dtype=cov_y.dtype, device=cov_y.device)  # as BoTorch's estimate
    entropy = 0.5 * M * (1 + math.log(2 * math.pi)) + 0.5 * torch.logdet(cov_y + jitter)
    return entropy.mean(dim=-2)


def stable_lower_bound_jes(**kwargs: Any) -> Any:
    """``qLowerBoundMultiObjectiveJointEntropySearch`` ("LB") whose conditional entropy comes from
    ``truncated_entropy_upper_bound``; same arguments."""
    return _stable_class()(**kwargs, estimation_type="LB")


@lru_cache(maxsize=None)
def _stable_class() -> type:
    from botorch.acquisition.multi_objective.joint_entropy_search import (
        qLowerBoundMultiObjectiveJointEntropySearch,
    )

    class StableLowerBoundJES(qLowerBoundMultiObjectiveJointEntropySearch):
        def _compute_lower_bound_information_gain(self, X):
            stats = self._compute_posterior_statistics(X)
            conditional = truncated_entropy_upper_bound(
                self.hypercell_bounds, stats["posterior_mean"], stats["posterior_variance"],
                stats["observation_noise"],
            )
            return stats["initial_entropy"] - conditional.sum(dim=-1)

    return StableLowerBoundJES
