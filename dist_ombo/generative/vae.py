"""VAEs of designs: the CbAS generator and the conditional VAE.

**CbAS** (Brookes, Park & Listgarten, ICML 2019; defaults from design-baselines' ``cbas``): a VAE
``p0`` is fitted to the data; then a search distribution ``q`` (initialized as ``p0``) is refit
for several iterations on its own samples, each weighted by

    w(x) = [ p0(x) / q(x) * P(f(x) <= gamma_t) ] ** alpha

where ``P(f(x) <= gamma_t)`` is the probability under the surrogate ensemble (a Gaussian with the
ensemble's mean and std) that the design beats the current threshold ``gamma_t``, the
``(100 - percentile)``-th percentile of the predicted values of the current samples, never
allowed to get worse (the "rising quantile"; objectives are minimized here), and ``p0(x)/q(x)``
is the prior ratio that keeps ``q`` near the data (computed, as in design-baselines, from the two
decoders' likelihoods of ``x`` at the latent code that generated it). design-baselines: latent
32, 256 hidden units, lr 1e-3, batch 100, 200 offline epochs, 50 iterations x 1000 samples x 10
epochs, percentile 80, alpha 0.2, beta 2-200 per task.

In dist_ombo the prior ``p0`` is trained by the ``cbas`` *scheme* (in the generator's own Ray
actor, in parallel with the surrogate, on the data reweighted toward good designs with DDOM's
weights) and the refit iterations, which need the trained surrogate, run in the ``cbas`` *search*
(``cbas_refit``). Several objectives are scalarized by weight vectors spread over the simplex: the
event becomes "the weighted sum of standardized objectives is below its own rising threshold",
averaged over the weight vectors (ours).

**Conditional VAE**: encoder and decoder also see the design's objectives (min-max normalized,
minimized); designs are sampled with the condition set to the best values in the data.

Continuous designs are modelled in the ``[0, 1]`` box (Gaussian decoder with a learned per-feature
std), discrete designs as one-hot sequences (categorical decoder per position).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from dist_ombo.errors import DataError
from dist_ombo.generative.common import (
    STATE_FORMAT,
    DesignCodec,
    FlatAdam,
    Progress,
    check_objectives,
    check_training_fields,
    ddom_weights,
    goodness,
    load_arrays,
    mlp,
    mlp_forward,
    module_arrays,
    randn,
    train_minibatches,
)
from dist_ombo.models.normalize import MinMaxNormalizer
from dist_ombo.problem import OfflineProblem
from dist_ombo.seeding import torch_generators
from dist_ombo.validation import is_int, is_real, require

REWEIGHT = ("ddom", "none")
_LOG_STD_RANGE = (math.log(1e-3), math.log(1.0))  # decoder std of a box feature in [0.001, 1]


@dataclass(frozen=True)
class VAEConfig:
    """VAE training settings; defaults sized for the ``cpu`` budget (design-baselines' reference:
    hidden (256, 256), latent 32, 200 epochs, batch 100, lr 1e-3). ``beta`` weighs the KL term.
    ``reweight="ddom"`` fits the data reweighted toward good designs (DDOM's weights)."""

    hidden: tuple[int, ...] = (256, 256)
    latent: int = 32
    beta: float = 1.0
    epochs: int = 50
    max_steps: int | None = 3000
    batch_size: int = 128
    lr: float = 1e-3
    reweight: str = "none"
    device: str = "cpu"

    def __post_init__(self) -> None:
        check_training_fields(self)
        owner = type(self).__name__
        require(is_int(self.latent) and self.latent >= 1, owner, "latent", "a positive int")
        require(is_real(self.beta) and self.beta >= 0, owner, "beta", ">= 0")
        require(self.reweight in REWEIGHT, owner, "reweight", f"one of {', '.join(REWEIGHT)}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CbASConfig(VAEConfig):
    """The CbAS prior ``p0``: an unconditional VAE fitted to the data reweighted toward good designs."""

    reweight: str = "ddom"


@dataclass(frozen=True)
class CVAEConfig(VAEConfig):
    """A VAE conditioned on the (normalized, minimized) objectives, fitted to the plain data."""

    reweight: str = "none"


class DesignVAE(nn.Module):
    """Encoder ``(x[, y]) -> N(mu, sigma)`` over a ``latent``-dim code, decoder ``(z[, y]) -> p(x)``.

    ``cond_dim = 0`` is the unconditional VAE (CbAS), ``m`` the conditional one. Features are
    ``DesignCodec`` features: box coordinates (Gaussian decoder, learned std per feature) or flat
    one-hot tokens (categorical decoder per position).
    """

    def __init__(self, codec: DesignCodec, config: VAEConfig, cond_dim: int, generator: torch.Generator) -> None:
        super().__init__()
        self.codec, self.config, self.cond_dim = codec, config, int(cond_dim)
        d, h, k = codec.dim, list(config.hidden), config.latent
        out = d if codec.discrete else 2 * d
        self.encoder = mlp([d + self.cond_dim, *h, 2 * k], nn.LeakyReLU, generator)
        self.decoder = mlp([k + self.cond_dim, *h[::-1], out], nn.LeakyReLU, generator)

    # -------------------------------------------------------------- distributions
    def encode(self, F: torch.Tensor, c: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        h = mlp_forward(self.encoder, F if c is None else torch.cat([F, c], dim=1))
        mu, log_var = h.chunk(2, dim=1)
        return mu, log_var.clamp(-12.0, 8.0)

    def decode(self, z: torch.Tensor, c: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Continuous: ``(mean, log_std)``; discrete: ``(logits (n, L, v), None)``."""
        h = mlp_forward(self.decoder, z if c is None else torch.cat([z, c], dim=1))
        if self.codec.discrete:
            return h.reshape(len(h), self.codec.length, self.codec.n_categories), None
        mean, raw = h.chunk(2, dim=1)
        lo, hi = _LOG_STD_RANGE
        # clamped first: a saturated sigmoid underflows to denormals, which make CPU math crawl
        return mean, lo + (hi - lo) * torch.sigmoid(raw.clamp(-15.0, 15.0))

    def log_likelihood(self, F: torch.Tensor, params: tuple[torch.Tensor, torch.Tensor | None]) -> torch.Tensor:
        """``log p(x | z)`` per row, summed over features."""
        a, log_std = params
        if self.codec.discrete:
            tokens = F.reshape(len(F), self.codec.length, self.codec.n_categories).argmax(dim=-1)
            logp = torch.log_softmax(a, dim=-1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
            return logp.sum(dim=1)
        z = (F - a) / log_std.exp()
        return (-0.5 * z.square() - log_std - 0.5 * math.log(2 * math.pi)).sum(dim=1)

    def sample_features(self, params: tuple[torch.Tensor, torch.Tensor | None], g: torch.Generator) -> torch.Tensor:
        """Draw features from the decoder distribution; continuous samples are clipped to the box."""
        a, log_std = params
        if self.codec.discrete:
            u = torch.rand(a.shape, generator=g).to(a.device).clamp_(1e-12, 1.0)
            tokens = (a - torch.log(-torch.log(u))).argmax(dim=-1)  # Gumbel-max sampling
            return nn.functional.one_hot(tokens, self.codec.n_categories).reshape(len(a), -1).to(a.dtype)
        return (a + log_std.exp() * randn(tuple(a.shape), g, a.device)).clamp(0.0, 1.0)

    def loss(self, F: torch.Tensor, c: torch.Tensor | None, w: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        """Weighted negative ELBO: ``sum_i w_i (nll_i + beta kl_i) / sum_i w_i`` (design-baselines)."""
        mu, log_var = self.encode(F, c)
        z = mu + (0.5 * log_var).exp() * randn(tuple(mu.shape), g, mu.device)
        nll = -self.log_likelihood(F, self.decode(z, c))
        kl = 0.5 * (mu.square() + log_var.exp() - 1.0 - log_var).sum(dim=1)
        return (w * (nll + self.config.beta * kl)).sum() / w.sum().clamp_min(1e-12)


class VAEGenerator:
    """A fitted VAE over designs plus what sampling needs: the design codec and the objectives'
    min-max normalizer (the conditional VAE's condition scale)."""

    def __init__(self, config: VAEConfig, conditional: bool) -> None:
        self.config, self.conditional = config, bool(conditional)
        self.net: DesignVAE | None = None
        self.codec: DesignCodec | None = None
        self.y_normalizer: MinMaxNormalizer | None = None
        self.history: list[dict[str, float]] = []

    @property
    def device(self) -> torch.device:
        return torch.device(self.config.device)

    def fit(self, X, Y, lower, upper, n_categories=None, seed: int = 0, progress: Progress | None = None) -> VAEGenerator:
        self.codec = DesignCodec.build(X, lower, upper, n_categories)
        Y = check_objectives(Y, len(X))
        self.y_normalizer = MinMaxNormalizer.fit(Y)
        g_init, g_train = torch_generators(seed, 2)
        dev = self.device
        self.net = DesignVAE(self.codec, self.config, Y.shape[1] if self.conditional else 0, g_init).to(dev)
        F = torch.as_tensor(self.codec.encode(X), device=dev)
        C = torch.as_tensor(self.y_normalizer.transform(Y), dtype=torch.float32, device=dev)
        w = ddom_weights(goodness(Y)) if self.config.reweight == "ddom" else np.ones(len(X))
        W = torch.as_tensor(w, dtype=torch.float32, device=dev)
        net = self.net

        def step(idx: torch.Tensor) -> torch.Tensor:
            return net.loss(F[idx], C[idx] if self.conditional else None, W[idx], g_train)

        self.history = train_minibatches(step, list(net.parameters()), len(F), self.config, g_train, dev, progress)
        return self

    # -------------------------------------------------------------- sampling
    def sample_features(self, n: int, generator: torch.Generator, cond: np.ndarray | None = None) -> torch.Tensor:
        """``n`` feature rows from the prior ``z ~ N(0, I)`` (conditional: at normalized objectives
        ``cond`` of shape ``(n, m)``)."""
        self._check()
        with torch.no_grad():
            z = randn((n, self.config.latent), generator, self.device)
            c = self._cond(cond, n)
            return self.net.sample_features(self.net.decode(z, c), generator)

    def sample(self, n: int, generator: torch.Generator, cond: np.ndarray | None = None) -> np.ndarray:
        """``n`` designs (inside the bounds / valid tokens)."""
        return self.codec.decode(self.sample_features(n, generator, cond))

    def _cond(self, cond: np.ndarray | None, n: int) -> torch.Tensor | None:
        if not self.conditional:
            return None
        if cond is None:
            raise ValueError("a conditional VAE samples at given (normalized) objectives: pass cond")
        c = torch.as_tensor(np.asarray(cond, dtype=np.float32), device=self.device)
        if c.shape != (n, self.net.cond_dim):
            raise ValueError(f"cond must have shape ({n}, {self.net.cond_dim}), got {tuple(c.shape)}")
        return c

    def _check(self) -> None:
        if self.net is None:
            raise RuntimeError("the VAE is not fitted: call fit() or from_state() first")

    # -------------------------------------------------------------- state
    def state(self) -> dict[str, Any]:
        self._check()
        return {
            "format": STATE_FORMAT, "kind": "vae", "conditional": self.conditional,
            "config": self.config.to_dict(), "cond_dim": self.net.cond_dim, "codec": self.codec.state(),
            "y_normalizer": self.y_normalizer.state(), "weights": module_arrays(self.net),
            "history": [dict(h) for h in self.history],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], config_cls: type = VAEConfig) -> VAEGenerator:
        if state.get("format") != STATE_FORMAT or state.get("kind") != "vae":
            raise DataError("not a VAE generator state")
        cfg = dict(state["config"])
        cfg["hidden"] = tuple(cfg["hidden"])
        model = cls(config_cls(**cfg), state["conditional"])
        model.codec = DesignCodec.from_state(state["codec"])
        model.y_normalizer = MinMaxNormalizer.from_state(state["y_normalizer"])
        net = DesignVAE(model.codec, model.config, state["cond_dim"], torch.Generator().manual_seed(0))
        model.net = load_arrays(net, state["weights"], model.device)
        model.history = [dict(h) for h in state["history"]]
        return model


# ---------------------------------------------------------------------- CbAS
@dataclass(frozen=True)
class CbASRefit:
    """Settings of the CbAS refit loop (design-baselines: 50 iterations of 10 x 100 samples,
    10 epochs each, batch 100, percentile 80, alpha 0.2)."""

    iterations: int = 20
    samples: int = 1000
    epochs: int = 10
    batch_size: int = 100
    lr: float = 1e-3
    percentile: float = 80.0
    alpha: float = 0.2
    n_weights: int = 16
    max_steps: int | None = None


def scalarized(mean: np.ndarray, std: np.ndarray, y_mean: np.ndarray, y_std: np.ndarray,
               weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted sums of standardized predicted objectives and their std (objectives independent):
    each ``(n, n_weights)``."""
    z = (mean - y_mean) / y_std
    s = std / y_std
    return z @ weights.T, np.sqrt((s ** 2) @ (weights ** 2).T)


def cbas_refit(prior: VAEGenerator, surrogate: Any, Y: np.ndarray, settings: CbASRefit,
               generator: torch.Generator, progress=None) -> tuple[VAEGenerator, int]:
    """Run CbAS's iterations from the fitted prior; returns ``(q, n_surrogate_evaluations)``.

    ``surrogate.predict(X) -> (mean, std)`` of minimized objectives; ``Y`` (the data's objectives)
    only standardizes them. Each iteration samples ``q``, weights the samples (see the module
    docstring), and takes ``epochs`` of weighted ELBO steps on them with one Adam kept across
    iterations (as design-baselines' ``q_vae``)."""
    from scipy.special import logsumexp
    from scipy.stats import norm

    from dist_ombo.generative.common import simplex_weights

    prior._check()
    if prior.conditional:
        raise ValueError("CbAS refits an unconditional VAE")
    q = copy.deepcopy(prior)
    Y = np.asarray(Y, dtype=np.float64)
    y_mean, y_std = Y.mean(axis=0), np.where(Y.std(axis=0) > 0, Y.std(axis=0), 1.0)
    W = simplex_weights(Y.shape[1], settings.n_weights)
    opt = FlatAdam(list(q.net.parameters()), lr=settings.lr)  # bitwise torch.optim.Adam, one op per update
    gamma = np.full(len(W), np.inf)
    n_evals = 0
    dev = q.device
    for it in range(settings.iterations):
        with torch.no_grad():
            z = randn((settings.samples, q.config.latent), generator, dev)
            q_params = q.net.decode(z, None)
            F = q.net.sample_features(q_params, generator)
            log_ratio = prior.net.log_likelihood(F, prior.net.decode(z, None)) - q.net.log_likelihood(F, q_params)
        mean, std = surrogate.predict(q.codec.decode(F))
        n_evals += len(F)
        s_mean, s_std = scalarized(mean, std, y_mean, y_std, W)
        gamma = np.minimum(gamma, np.percentile(s_mean, 100.0 - settings.percentile, axis=0))
        log_p = norm.logcdf((gamma - s_mean) / np.maximum(s_std, 1e-6))  # P(scalarized f <= gamma)
        log_event = logsumexp(log_p, axis=1) - math.log(len(W))  # mean over the weight vectors
        log_w = settings.alpha * (log_ratio.double().cpu().numpy() + log_event)
        w = np.exp(log_w - log_w.max())  # the weighted loss divides by sum(w): the scale drops out
        Wt = torch.as_tensor(w, dtype=torch.float32, device=dev)

        def step(idx: torch.Tensor, F=F, Wt=Wt) -> torch.Tensor:
            return q.net.loss(F[idx], None, Wt[idx], generator)

        train_minibatches(step, [], len(F), settings, generator, dev, optimizer=opt)
        if progress is not None:
            progress(it + 1, settings.iterations)
    return q, n_evals


# ---------------------------------------------------------------------- schemes
def fit_cbas(problem: OfflineProblem, config: CbASConfig, seed: int, progress=None) -> VAEGenerator:
    X, Y, lower, upper, n_categories = problem.arrays()
    return VAEGenerator(config, conditional=False).fit(X, Y, lower, upper, n_categories, seed, progress)


def fit_cvae(problem: OfflineProblem, config: CVAEConfig, seed: int, progress=None) -> VAEGenerator:
    X, Y, lower, upper, n_categories = problem.arrays()
    return VAEGenerator(config, conditional=True).fit(X, Y, lower, upper, n_categories, seed, progress)


def cbas_from_state(state: Mapping[str, Any]) -> VAEGenerator:
    return VAEGenerator.from_state(state, CbASConfig)


def cvae_from_state(state: Mapping[str, Any]) -> VAEGenerator:
    return VAEGenerator.from_state(state, CVAEConfig)
