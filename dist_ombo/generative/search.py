"""Searches that sample a trained generator (``ctx.models["generator"]``), score the samples with
the surrogate and keep the proposal budget (256 MOO / 128 SOO) by non-dominated sorting and
crowding on the predicted objectives. With ``seed_pymoo`` the best samples instead form the
initial population of pymoo's NSGA-II (MOO) / GA (SOO) on the surrogate, whose final population
gives the proposals.

One search per generator, so each config holds only its sampler's settings:

- ``cbas``: CbAS refit iterations from the pretrained prior VAE (they need the surrogate, so they
  run here, not in the generator's training actor), then samples of the refit VAE;
- ``cvae``: the conditional VAE sampled at the data's best objective values;
- ``ddom``: classifier-free guided reverse diffusion at the data's best objective values;
- ``paretoflow``: ParetoFlow's weight-vector guided flow sampling (the archive is the sample set).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from dist_ombo.errors import ConfigError
from dist_ombo.generative.common import simplex_weights
from dist_ombo.metrics import rank_by_nds
from dist_ombo.seeding import torch_generators
from dist_ombo.validation import is_int, is_real, require

ALGORITHMS = ("auto", "nsga2", "nsga3", "moead", "smsemoa", "ga")


@dataclass(frozen=True)
class SampleSearchConfig:
    """Settings every generator search shares. ``n_samples``: designs drawn from the generator
    before the surrogate picks the budget. ``seed_pymoo``: seed pymoo's initial population with the
    best ``pop_size`` samples and run ``algorithm`` (``auto``: NSGA-II for several objectives, GA
    for one) for ``n_gen`` generations (Off-MOO-Bench's NSGA-II budget: 256 x 50)."""

    n_samples: int = 1024
    seed_pymoo: bool = False
    algorithm: str = "auto"
    pop_size: int = 256
    n_gen: int = 50

    def __post_init__(self) -> None:
        owner = type(self).__name__
        require(is_int(self.n_samples) and self.n_samples >= 1, owner, "n_samples", "a positive int")
        require(isinstance(self.seed_pymoo, bool), owner, "seed_pymoo", "true or false")
        require(self.algorithm in ALGORITHMS, owner, "algorithm", f"one of {', '.join(ALGORITHMS)}")
        require(is_int(self.pop_size) and self.pop_size >= 4, owner, "pop_size", "an int >= 4")
        require(is_int(self.n_gen) and self.n_gen >= 1, owner, "n_gen", "a positive int")


@dataclass(frozen=True)
class CbASSearchConfig(SampleSearchConfig):
    """CbAS refit (design-baselines: 50 iterations x 1000 samples x 10 epochs, batch 100, lr 1e-3,
    percentile 80, alpha 0.2); ``n_weights``: scalarizing weight vectors for several objectives."""

    iterations: int = 20
    online_samples: int = 1000
    online_epochs: int = 10
    batch_size: int = 100
    lr: float = 1e-3
    percentile: float = 80.0
    alpha: float = 0.2
    n_weights: int = 16

    def __post_init__(self) -> None:
        super().__post_init__()
        owner = type(self).__name__
        for name in ("iterations", "online_samples", "online_epochs", "batch_size", "n_weights"):
            require(is_int(getattr(self, name)) and getattr(self, name) >= 1, owner, name, "a positive int")
        require(is_real(self.lr) and self.lr > 0, owner, "lr", "> 0")
        require(is_real(self.percentile) and 0 < self.percentile < 100, owner, "percentile", "in (0, 100)")
        require(is_real(self.alpha) and self.alpha > 0, owner, "alpha", "> 0")


@dataclass(frozen=True)
class CVAESearchConfig(SampleSearchConfig):
    """``target_offset``: how far (normalized objective units) beyond the data's best values the
    condition is set."""

    target_offset: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        require(is_real(self.target_offset), type(self).__name__, "target_offset", "a number")


@dataclass(frozen=True)
class DDOMSearchConfig(SampleSearchConfig):
    """DDOM sampling (reference: 512 samples, 1000 steps, guidance 2.0, condition = data's best)."""

    steps: int = 200
    guidance: float = 2.0
    target_offset: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        owner = type(self).__name__
        require(is_int(self.steps) and self.steps >= 1, owner, "steps", "a positive int")
        require(is_real(self.guidance) and self.guidance >= 0, owner, "guidance", ">= 0")
        require(is_real(self.target_offset), owner, "target_offset", "a number")


@dataclass(frozen=True)
class ParetoFlowSearchConfig(SampleSearchConfig):
    """ParetoFlow sampling (reference: >= 300 weight vectors, 1000 steps, gamma 2.0, threshold
    0.8, O 5, K m + 1 (``n_neighbors=0``), g_t 0.1). ``n_samples``: at least this many weight
    vectors (several objectives) or particles (one objective)."""

    n_samples: int = 300
    steps: int = 200
    guidance: float = 2.0
    t_threshold: float = 0.8
    n_offspring: int = 5
    n_neighbors: int = 0
    noise: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        owner = type(self).__name__
        require(is_int(self.steps) and self.steps >= 2, owner, "steps", "an int >= 2")
        require(is_real(self.guidance) and self.guidance >= 0, owner, "guidance", ">= 0")
        require(is_real(self.t_threshold) and 0 <= self.t_threshold <= 1, owner, "t_threshold", "in [0, 1]")
        require(is_int(self.n_offspring) and self.n_offspring >= 1, owner, "n_offspring", "a positive int")
        require(is_int(self.n_neighbors) and self.n_neighbors >= 0, owner, "n_neighbors", "an int >= 0")
        require(is_real(self.noise) and self.noise >= 0, owner, "noise", ">= 0")


# ---------------------------------------------------------------------- shared ending
def _generator(ctx, expected: type) -> Any:
    model = ctx.models.get("generator")
    if not isinstance(model, expected):
        raise ConfigError(f"this search needs a trained {expected.__name__} as models['generator'], "
                          f"got {type(model).__name__}")
    return model


def choose(ctx, samples: np.ndarray, config: SampleSearchConfig, n_evals: int = 0) -> tuple[np.ndarray, int]:
    """Score unique samples with the surrogate and keep ``ctx.n_proposals`` by NDS + crowding (or
    run pymoo from the best of them); too few unique samples are topped up with the data's best
    designs. Returns ``(proposals, n_surrogate_evaluations)``."""
    samples = np.asarray(samples)
    _, first = np.unique(samples, axis=0, return_index=True)
    samples = samples[np.sort(first)]
    mean, _ = ctx.surrogate.predict(samples)
    n_evals += len(samples)
    if config.seed_pymoo:
        from dist_ombo.search.evolutionary import EvolutionConfig, evolutionary_search

        algorithm = config.algorithm
        if algorithm == "auto":
            algorithm = "nsga2" if ctx.Y.shape[1] > 1 else "ga"
        initial = samples[rank_by_nds(mean, config.pop_size)]
        evo = EvolutionConfig(algorithm=algorithm, pop_size=config.pop_size, n_gen=config.n_gen)
        proposals, evals = evolutionary_search(
            ctx.surrogate, ctx.X, ctx.Y, ctx.lower, ctx.upper, ctx.n_proposals, evo, seed=ctx.seed,
            n_categories=ctx.n_categories, initial=initial,
        )
        return proposals, n_evals + evals
    proposals = samples[rank_by_nds(mean, ctx.n_proposals)]
    short = ctx.n_proposals - len(proposals)
    if short > 0:  # the data's best designs not proposed yet (the data may repeat designs)
        seen = {row.tobytes() for row in np.asarray(proposals, dtype=ctx.X.dtype)}
        extra = []
        for x in ctx.X[rank_by_nds(ctx.Y, 2 * ctx.n_proposals)]:
            if len(extra) < short and x.tobytes() not in seen:
                seen.add(x.tobytes())
                extra.append(x)
        if extra:
            proposals = np.concatenate([proposals, np.asarray(extra, dtype=proposals.dtype)])
    if ctx.n_categories is not None:
        proposals = proposals.astype(np.int64)
    return proposals, n_evals


def _seeds(ctx, n: int) -> list[torch.Generator]:
    return torch_generators(ctx.seed, n)


# ---------------------------------------------------------------------- the four searches
def run_cbas(ctx, config: CbASSearchConfig) -> tuple[np.ndarray, int]:
    from dist_ombo.generative.vae import CbASRefit, VAEGenerator, cbas_refit

    prior = _generator(ctx, VAEGenerator)
    (g,) = _seeds(ctx, 1)
    settings = CbASRefit(iterations=config.iterations, samples=config.online_samples, epochs=config.online_epochs,
                         batch_size=config.batch_size, lr=config.lr, percentile=config.percentile,
                         alpha=config.alpha, n_weights=config.n_weights)
    q, n_evals = cbas_refit(prior, ctx.surrogate, ctx.Y, settings, g, ctx.progress)
    return choose(ctx, q.sample(config.n_samples, g), config, n_evals)


def run_cvae(ctx, config: CVAESearchConfig) -> tuple[np.ndarray, int]:
    from dist_ombo.generative.vae import VAEGenerator

    model = _generator(ctx, VAEGenerator)
    if not model.conditional:
        raise ConfigError("the cvae search needs a conditional VAE (scheme 'cvae')")
    (g,) = _seeds(ctx, 1)
    cond = _best_conditions(model.y_normalizer, ctx.Y, config.n_samples, config.target_offset)
    samples = model.sample(config.n_samples, g, cond)
    if ctx.progress is not None:
        ctx.progress(config.n_samples, config.n_samples)
    return choose(ctx, samples, config)


def run_ddom(ctx, config: DDOMSearchConfig) -> tuple[np.ndarray, int]:
    from dist_ombo.generative.diffusion import DDOMGenerator

    model = _generator(ctx, DDOMGenerator)
    (g,) = _seeds(ctx, 1)
    cond = _best_conditions(model.y_normalizer, ctx.Y, config.n_samples, config.target_offset)
    samples = model.sample(config.n_samples, g, cond, config.guidance, config.steps, ctx.progress)
    return choose(ctx, samples, config)


def run_paretoflow(ctx, config: ParetoFlowSearchConfig) -> tuple[np.ndarray, int]:
    from dist_ombo.generative.flow import FlowGenerator, ParetoFlowSampling, init_archive

    model = _generator(ctx, FlowGenerator)
    (g,) = _seeds(ctx, 1)
    m = ctx.Y.shape[1]
    W = simplex_weights(m, config.n_samples) if m > 1 else np.ones((config.n_samples, 1))
    archive, scores = init_archive(model, ctx.X, ctx.Y, W)
    settings = ParetoFlowSampling(steps=config.steps, guidance=config.guidance, t_threshold=config.t_threshold,
                                  n_offspring=config.n_offspring, n_neighbors=config.n_neighbors,
                                  noise=config.noise)
    F, n_evals = model.paretoflow_sample(surrogate_scores(model, ctx.surrogate, ctx.Y), W, archive, scores,
                                         settings, g, ctx.progress)
    return choose(ctx, model.codec.decode(F), config, n_evals)


def surrogate_scores(model, surrogate, Y: np.ndarray):
    """``score_fn`` for guidance: standardized features -> the surrogate's mean prediction,
    standardized with the data's objective mean/std and negated (larger is better), ``(n, m)``."""
    Y = np.asarray(Y, dtype=np.float64)
    dev = model.device
    mu = torch.as_tensor(Y.mean(axis=0), dtype=torch.float32, device=dev)
    sd = torch.as_tensor(np.where(Y.std(axis=0) > 0, Y.std(axis=0), 1.0), dtype=torch.float32, device=dev)

    def score(z: torch.Tensor) -> torch.Tensor:
        mean, _ = surrogate.predict_torch(model.codec.to_surrogate(model.scaler.inverse(z)))
        return -(mean.to(dev) - mu) / sd

    return score


def _best_conditions(y_normalizer, Y: np.ndarray, n: int, offset: float) -> np.ndarray:
    """Sampling targets ``(n, m)`` in normalized units: the data's best objective values (one
    objective: the minimum; several: the best ``n`` by NDS + crowding, cycled), moved ``offset``
    toward the ideal point (DDOM conditions on the dataset's best value)."""
    Yn = y_normalizer.transform(np.asarray(Y, dtype=np.float64))
    best = Yn[rank_by_nds(Yn, n)]
    return (best[np.resize(np.arange(len(best)), n)] - offset).astype(np.float32)
