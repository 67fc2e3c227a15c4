"""The MOBO searches: 256 proposals from one round of batch Bayesian optimization on the GPs.

Off-MOO-Bench (``off_moo_baselines/mobo``) forms its 256 proposals in one offline round: qNEHVI
and JES run ``optimize_acqf(q=256, sequential=True)`` (greedy, one candidate at a time, each
conditioned on the earlier ones as pending points), ParEGO ``optimize_acqf_list`` over 256
Chebyshev scalarizations with weights drawn uniformly from the simplex (one per candidate, also
greedy); all with 10 restarts, 256 raw samples, ``batch_limit`` 10, ``maxiter`` 200, 128 Sobol MC
samples; JES samples 10 Pareto sets of 10 points by random search (population 5000, 50 tries).

Here a proposal batch is built in greedy steps of ``q`` candidates optimized jointly, every step
conditioned on all earlier candidates (``X_pending``); ``q = 1`` is Off-MOO-Bench's procedure and
the ``reference`` budget, the ``cpu`` budget takes larger steps and fewer restarts (declared in
``dist_ombo.bo.budgets``). Departures, besides the budget: qNEHVI and ParEGO use the log forms
(``qLogNEHVI``, ``qLogNEI``; BoTorch's recommended, numerically stable versions of qNEHVI and
qNEI, Ament et al. 2023); ParEGO draws one weight vector per step (per candidate at ``q = 1``);
the hypervolume reference point is the data's worst point plus 10 % of its range (see
``dist_ombo.bo.gp``), where Off-MOO-Bench passed 1.1 x the raw nadir point to a model of
normalized objectives; JES's random search runs all its tries and keeps points spanning each
sampled front (``dist_ombo.bo.pareto_sets``) where BoTorch's keeps the first points it finds, and
its entropy bound takes the truncated-normal moments in log space (``dist_ombo.bo.jes_entropy``:
BoTorch's returns NaN or wrong values for candidates far beyond the sampled front). Designs live
in the unit cube; randomness comes from the search's seed (``botorch.utils.sampling.manual_seed``
forks and restores torch's global state).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from dist_ombo.errors import ConfigError
from dist_ombo.validation import require_count

ACQUISITIONS = ("qnehvi", "parego", "jes")
#: Most objectives each acquisition is offered for (Off-MOO-Bench asserts m < 5 for qNEHVI and
#: m < 4 for ParEGO and JES: their cost grows fast with m).
MAX_OBJECTIVES = {"qnehvi": 4, "parego": 3, "jes": 3}


@dataclass(frozen=True)
class BOSearchConfig:
    """``q``: candidates optimized jointly per greedy step; ``num_restarts`` / ``raw_samples`` /
    ``maxiter`` / ``batch_limit``: ``optimize_acqf``'s multi-start L-BFGS-B; ``mc_samples``: Sobol
    QMC samples of the posterior; ``jes_*``: JES's sampled Pareto sets (samples x points) and the
    random search that finds them."""

    acquisition: str = "qnehvi"
    q: int = 1
    restart_candidates: int = 1
    num_restarts: int = 10
    raw_samples: int = 256
    maxiter: int = 200
    batch_limit: int = 10
    mc_samples: int = 128
    jes_pareto_samples: int = 10
    jes_pareto_points: int = 10
    jes_pop_size: int = 5000
    jes_max_tries: int = 50

    def __post_init__(self) -> None:
        if self.acquisition not in ACQUISITIONS:
            raise ConfigError(f"unknown acquisition {self.acquisition!r}; valid: {', '.join(ACQUISITIONS)}")
        require_count(self, "q", "restart_candidates", "num_restarts", "raw_samples", "maxiter", "batch_limit",
                      "mc_samples", "jes_pareto_samples", "jes_pareto_points", "jes_pop_size", "jes_max_tries")

        if self.restart_candidates > self.num_restarts:
            raise ConfigError(f"BOSearchConfig.restart_candidates ({self.restart_candidates}) must not exceed "
                              f"num_restarts ({self.num_restarts})")

    @property
    def per_step(self) -> int:
        return self.q * self.restart_candidates

    @property
    def steps(self) -> int:  # for the progress bar: greedy steps of a 256-proposal batch
        return math.ceil(256 / self.per_step)


@dataclass
class BatchResult:
    """Proposals in the unit cube (``n x d`` tensor), acquisition evaluations (points), and what
    each step used (``weights``: ParEGO's scalarization weights, one row per step)."""

    X_unit: Any
    n_evals: int
    weights: list[np.ndarray] = field(default_factory=list)
    first_acquisition: Any = None  # the first step's acquisition function, for inspection


def check_objectives(acquisition: str, n_obj: int) -> None:
    if n_obj < 2:
        raise ConfigError(f"{acquisition} is a multi-objective acquisition; got {n_obj} objective(s)")
    if n_obj > MAX_OBJECTIVES[acquisition]:
        raise ConfigError(f"{acquisition} supports at most {MAX_OBJECTIVES[acquisition]} objectives, got {n_obj}")


def propose_batch(gp: Any, config: BOSearchConfig, n: int, seed: int,
                  progress: Callable[[int, int], None] | None = None) -> BatchResult:
    """``n`` candidates from greedy steps of ``config.q`` on ``gp`` (a ``GPSurrogate``)."""
    import torch
    from botorch.optim import optimize_acqf
    from botorch.utils.sampling import manual_seed

    from dist_ombo.bo.fused_kernel import use_pure_python_kernel

    check_objectives(config.acquisition, gp.n_obj)
    use_pure_python_kernel()  # before any qLog(N)EHVI exists: nothing compiles inside a trial
    model = gp.model
    d = gp.X.shape[1]
    bounds = torch.stack([torch.zeros(d, dtype=torch.float64), torch.ones(d, dtype=torch.float64)])
    counter = [0]
    result = BatchResult(X_unit=torch.zeros(0, d, dtype=torch.float64), n_evals=0)
    n_steps = math.ceil(n / config.per_step)
    with manual_seed(int(seed) % (2**31)):
        make_acq = _BUILDERS[config.acquisition](gp, model, bounds, config, result)
        step = 0
        while len(result.X_unit) < n:
            q = min(config.q, n - len(result.X_unit))
            pending = result.X_unit if len(result.X_unit) else None
            acq = make_acq(step, pending)
            if step == 0:
                result.first_acquisition = acq
            hook = acq.register_forward_hook(lambda mod, inp, out: _count(counter, inp[0]))
            try:
                cand, value = optimize_acqf(
                    acq, bounds=bounds, q=q, num_restarts=config.num_restarts,
                    raw_samples=config.raw_samples, return_best_only=False,
                    options={"batch_limit": config.batch_limit, "maxiter": config.maxiter},
                )
            finally:
                hook.remove()
            new = _best_restarts(cand.detach(), value.detach(), config.restart_candidates, result.X_unit)
            result.X_unit = torch.cat([result.X_unit, new[: n - len(result.X_unit)]])
            step += 1
            if progress is not None:
                progress(min(step, n_steps), n_steps)
    result.n_evals = counter[0]
    return result


def _best_restarts(cand, value, k: int, chosen):
    """The batches of the ``k`` best restarts (by acquisition value), as rows, without designs
    already chosen or repeated (restarts may converge to one point). At least the best batch."""
    import torch

    order = torch.argsort(value.reshape(-1), descending=True)
    rows = []
    for i in order[:k].tolist():
        for x in cand[i].reshape(-1, cand.shape[-1]):
            seen = torch.cat([chosen, *[r[None] for r in rows]]) if rows else chosen
            if len(seen) == 0 or torch.cdist(x[None], seen).min() > 1e-6:
                rows.append(x)
    if not rows:  # everything repeated: keep the best batch anyway, so the loop advances
        rows = list(cand[order[0]].reshape(-1, cand.shape[-1]))
    return torch.stack(rows)


def _count(counter: list[int], X) -> None:
    counter[0] += int(X.shape[:-1].numel())


def _sampler(config: BOSearchConfig):
    import torch
    from botorch.sampling.normal import SobolQMCNormalSampler

    seed = int(torch.randint(0, 2**31 - 1, (1,)).item())  # drawn under the search's seed
    return SobolQMCNormalSampler(sample_shape=torch.Size([config.mc_samples]), seed=seed)


def _qnehvi(gp, model, bounds, config, result):
    """qLogNEHVI with the reference point of ``gp``; one acquisition, pending points updated."""
    import torch
    from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement

    acq = qLogNoisyExpectedHypervolumeImprovement(
        model=model, ref_point=torch.as_tensor(gp.ref_point(), dtype=torch.float64).tolist(),
        X_baseline=gp.train_inputs(), sampler=_sampler(config), prune_baseline=True,
    )

    def make(step: int, pending):
        acq.set_X_pending(pending)
        return acq

    return make


def _parego(gp, model, bounds, config, result):
    """qLogNEI of a Chebyshev scalarization with fresh simplex weights at every step (ParEGO)."""
    import torch
    from botorch.acquisition.logei import qLogNoisyExpectedImprovement
    from botorch.acquisition.objective import GenericMCObjective
    from botorch.utils.multi_objective.scalarization import get_chebyshev_scalarization
    from botorch.utils.sampling import sample_simplex

    X_base = gp.train_inputs()
    with torch.no_grad():
        pred = model.posterior(X_base).mean
    sampler = _sampler(config)

    def make(step: int, pending):
        weights = sample_simplex(gp.n_obj, dtype=torch.float64).squeeze(0)
        result.weights.append(weights.numpy().copy())
        objective = GenericMCObjective(get_chebyshev_scalarization(weights=weights, Y=pred))
        return qLogNoisyExpectedImprovement(model=model, X_baseline=X_base, sampler=sampler,
                                            objective=objective, X_pending=pending, prune_baseline=True)

    return make


def _jes(gp, model, bounds, config, result):
    """Lower-bound joint entropy search on Pareto sets sampled once from the GPs (sets that span
    each sampled front: ``dist_ombo.bo.pareto_sets``; BoTorch's "LB" estimate with its
    truncated-normal moments taken in log space: ``dist_ombo.bo.jes_entropy``)."""
    from botorch.acquisition.multi_objective.utils import compute_sample_box_decomposition, sample_optimal_points

    from dist_ombo.bo.jes_entropy import stable_lower_bound_jes
    from dist_ombo.bo.pareto_sets import pareto_set_search

    ps, pf = sample_optimal_points(
        model=model, bounds=bounds, num_samples=config.jes_pareto_samples,
        num_points=config.jes_pareto_points, optimizer=pareto_set_search,
        optimizer_kwargs={"pop_size": config.jes_pop_size, "max_tries": config.jes_max_tries},
    )
    hypercell_bounds = compute_sample_box_decomposition(pf)

    def make(step: int, pending):
        return stable_lower_bound_jes(
            model=model, pareto_sets=ps, pareto_fronts=pf, hypercell_bounds=hypercell_bounds, X_pending=pending,
        )

    return make


_BUILDERS = {"qnehvi": _qnehvi, "parego": _parego, "jes": _jes}


def run_bo(ctx: Any, config: BOSearchConfig) -> tuple[np.ndarray, int]:
    """The search's entry point: ``ctx.n_proposals`` designs from the GPs in ``ctx.surrogate``."""
    gp = ctx.surrogate
    result = propose_batch(gp, config, int(ctx.n_proposals), int(ctx.seed), ctx.progress)
    return gp.from_unit(result.X_unit), result.n_evals
