"""PGS: policy-guided gradient search (Chemingui et al., AAAI 2024; arXiv 2405.05349).

Gradient search on a trained surrogate where a learned policy picks the step: from design ``x_t``,
``x_{t+1} = x_t - alpha(x_t) * grad f(x_t)`` with ``alpha = pi(x_t)`` a vector of positive
per-dimension step sizes (a diagonal preconditioner; objectives are minimized, so the step
descends). The policy is learned offline, by conservative Q-learning, from trajectories synthesized
out of the data:

1. **Trajectories.** The top ``percentile`` of the data (by measured value) is the pool; a
   trajectory is ``trajectory_length + 1`` distinct pool designs sorted from worst to best. State
   ``s_t = x_t``; reward ``r_t = y(x_t) - y(x_{t+1}) >= 0`` (measured improvement, normalized y);
   action: the step sizes that would carry ``x_t`` to ``x_{t+1}`` along the surrogate's gradient,
   ``(x_{t+1} - x_t) / (-grad f(x_t))`` per dimension. Step sizes are positive, so the negative part
   (a dimension the data moves against the surrogate's gradient) is clipped to 0, and the result is
   scaled by ``a_max`` (the ``step_quantile`` quantile of the positive implied steps) into [0, 1].
2. **Offline RL.** CQL(H) (Kumar et al., 2020) on these transitions: twin Q networks with target
   networks, a tanh-Gaussian policy with automatic entropy tuning (SAC), and the conservative
   penalty ``logsumexp_a Q(s, a) - Q(s, a_data)`` (uniform and policy actions, importance-weighted)
   that keeps Q low on actions the data does not support.
3. **Search.** From the best designs, ``steps`` policy-guided gradient steps with the policy's
   deterministic (mean) action; continuous designs stay in the box, token designs move as logits
   (Design-Bench's relaxation) and are decoded by argmax.

**MOO** (our extension; the paper is single-objective): objectives are min-max normalized with the
data and scalarized by weight vectors ``w`` spread on the simplex (Das-Dennis, at most
``n_weights``), ``f_w = w . f``. Trajectories are synthesized per weight vector (pool and rewards by
``w . y``), one policy is trained on all of them with ``w`` appended to the state, and each weight
vector's best designs are searched along ``grad f_w``; the distinct designs of the search paths
(end points and iterates: end points of different weight vectors often coincide on the box's faces)
are cut to the proposal budget by non-dominated sorting and crowding on the surrogate's predictions.

Defaults: trajectories of length 50 (the paper); the top-20% pool (the paper picks the percentile
with its OSEL procedure among candidates like 10-40%; OSEL is not implemented, the percentile is
fixed); CQL with the common continuous-control settings (Q lr 3e-4, policy lr 1e-4, discount 0.99,
target update 0.005, conservative weight 5, 10 sampled actions, 256-unit nets, batch 256).

Cost (issue 15): trajectories differentiate the surrogate only at the pool rows they visit, not the
whole pool (``_gradients_at``), and each CQL step evaluates the policy once at ``s`` and once at
``s'``, repeating those outputs for the penalty's sampled actions, where it used to run the policy
on every repeated state. Same transitions, CQL log and proposals, bit for bit on the CPU measured
(``benchmarks/bench_slow_schemes_roma_pgs.py``).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np
import torch

from dist_ombo.errors import ConfigError
from dist_ombo.metrics import rank_by_nds
from dist_ombo.models.batched_mlp import BatchedMLP
from dist_ombo.refdirs import das_dennis

if TYPE_CHECKING:
    from dist_ombo.models.relaxed_space import RelaxedDesignSpace

_LOG_STD = (-5.0, 2.0)
_MIN_FRACTION = 1e-3  # step sizes are a_max * (1e-3 + (1 - 1e-3) * u), u in (0, 1): always > 0


@dataclass(frozen=True)
class PGSConfig:
    """PGS settings (see module docstring)."""

    percentile: float = 0.2
    trajectory_length: int = 50
    n_trajectories: int = 500
    step_quantile: float = 0.95
    rl_steps: int = 2000
    batch_size: int = 256
    hidden: tuple[int, ...] = (256, 256)
    gamma: float = 0.99
    tau: float = 0.005
    q_lr: float = 3e-4
    policy_lr: float = 1e-4
    cql_weight: float = 5.0
    cql_samples: int = 10
    steps: int = 50
    n_weights: int = 16

    def __post_init__(self) -> None:
        if isinstance(self.hidden, list):
            object.__setattr__(self, "hidden", tuple(self.hidden))
        if not (0 < self.percentile <= 1 and 0 < self.step_quantile <= 1):
            raise ConfigError("PGS needs percentile and step_quantile in (0, 1]")
        for name in ("trajectory_length", "n_trajectories", "rl_steps", "batch_size", "cql_samples", "steps",
                     "n_weights"):
            if not (isinstance(getattr(self, name), int) and getattr(self, name) >= 1):
                raise ConfigError(f"PGSConfig.{name} must be a positive int, got {getattr(self, name)!r}")
        if not self.hidden or not all(isinstance(h, int) and h >= 1 for h in self.hidden):
            raise ConfigError(f"PGSConfig.hidden must be a tuple of positive ints, got {self.hidden!r}")
        if not (0 <= self.gamma < 1 and 0 < self.tau <= 1 and self.q_lr > 0 and self.policy_lr > 0
                and self.cql_weight >= 0):
            raise ConfigError("PGS needs gamma in [0, 1), tau in (0, 1], positive learning rates, cql_weight >= 0")


# ---------------------------------------------------------------------- the policy


class StepPolicy:
    """Tanh-Gaussian policy over step fractions: state ``(n, S)`` -> action ``a`` in ``(-1, 1)^d``;
    the step sizes are ``a_max * (1e-3 + (1 - 1e-3) * (a + 1) / 2)``, always positive."""

    def __init__(self, state_dim: int, action_dim: int, hidden, a_max: float, generator: torch.Generator) -> None:
        self.net = BatchedMLP(state_dim, 2 * action_dim, hidden, 1, generator=generator)
        self.action_dim, self.a_max = action_dim, float(a_max)

    def parameters(self):
        return self.net.parameters()

    def _dist(self, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.net(s)[0]
        mean, log_std = out[:, :self.action_dim], out[:, self.action_dim:]
        return mean, log_std.clamp(*_LOG_STD).exp()

    def sample(self, s: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Reparameterized action and its log-density (tanh-corrected)."""
        return _sample(*self._dist(s), generator)

    def mean_action(self, s: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self._dist(s)[0])

    def step_sizes(self, s: torch.Tensor) -> torch.Tensor:
        """The deterministic per-dimension step sizes at states ``s`` (positive)."""
        frac = (self.mean_action(s) + 1) / 2
        return self.a_max * (_MIN_FRACTION + (1 - _MIN_FRACTION) * frac)


def _sample(mean: torch.Tensor, std: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """A tanh-Gaussian action drawn at the policy's ``mean`` and ``std`` and its log-density."""
    u = mean + std * torch.randn(mean.shape, generator=generator).to(mean.device)
    a = torch.tanh(u)
    logp = (-0.5 * ((u - mean) / std).square() - std.log() - 0.5 * math.log(2 * math.pi)).sum(-1)
    logp = logp - torch.log(1 - a.square() + 1e-6).sum(-1)
    return a, logp


def _q(qnet: BatchedMLP, s: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """Twin Q values ``(2, n)``."""
    return qnet(torch.cat([s, a], dim=-1))[..., 0]


def train_cql(states, actions, rewards, next_states, dones, a_max: float, config: PGSConfig,
              generator: torch.Generator) -> tuple[StepPolicy, list[dict[str, float]]]:
    """CQL(H) with SAC on transitions (actions in ``(-1, 1)``); returns the policy and a short log."""
    n, S = states.shape
    A = actions.shape[1]
    policy = StepPolicy(S, A, config.hidden, a_max, generator)
    qnet = BatchedMLP(S + A, 1, config.hidden, 2, generator=generator)
    target = copy.deepcopy(qnet).requires_grad_(False)
    log_alpha = torch.zeros((), requires_grad=True)
    q_opt = torch.optim.Adam(qnet.parameters(), lr=config.q_lr)
    pi_opt = torch.optim.Adam(policy.parameters(), lr=config.policy_lr)
    a_opt = torch.optim.Adam([log_alpha], lr=config.q_lr)
    target_entropy = -float(A)
    N, B = config.cql_samples, min(config.batch_size, n)
    log_uniform = A * math.log(0.5)  # density of uniform actions on (-1, 1)^A
    log: list[dict[str, float]] = []
    for it in range(config.rl_steps):
        i = torch.randint(0, n, (B,), generator=generator)
        s, a, r, s2, d = states[i], actions[i], rewards[i], next_states[i], dones[i]
        alpha = log_alpha.exp().detach()
        # The policy at s and s2, once per step: the conservative penalty's N samples per state draw
        # from these same outputs (repeated), and the policy loss below backpropagates through the
        # first (the policy does not change before its own update).
        mean_s, std_s = policy._dist(s)
        with torch.no_grad():
            mean_s2, std_s2 = policy._dist(s2)
            a2, logp2 = _sample(mean_s2, std_s2, generator)
            q_next = _q(target, s2, a2).min(dim=0).values - alpha * logp2
            y = r + config.gamma * (1 - d) * q_next
        q_data = _q(qnet, s, a)  # (2, B)
        td = (q_data - y).square().mean(dim=1).sum()
        # conservative penalty: logsumexp over sampled actions minus the data action's value
        s_rep = s.repeat(N, 1)
        with torch.no_grad():
            a_pi, logp_pi = _sample(mean_s.detach().repeat(N, 1), std_s.detach().repeat(N, 1), generator)
            a_pi2, logp_pi2 = _sample(mean_s2.repeat(N, 1), std_s2.repeat(N, 1), generator)
        a_rand = torch.rand((N * B, A), generator=generator) * 2 - 1
        cat = torch.cat([
            (_q(qnet, s_rep, a_rand) - log_uniform).reshape(2, N, B),
            (_q(qnet, s_rep, a_pi) - logp_pi).reshape(2, N, B),
            (_q(qnet, s_rep, a_pi2) - logp_pi2).reshape(2, N, B),
        ], dim=1)
        cql = (torch.logsumexp(cat, dim=1) - q_data).mean(dim=1).sum()
        q_opt.zero_grad()
        (td + config.cql_weight * cql).backward()
        q_opt.step()
        a_new, logp = _sample(mean_s, std_s, generator)
        qnet.requires_grad_(False)  # the policy loss needs dQ/da only, not Q's weight gradients
        pi_loss = (alpha * logp - _q(qnet, s, a_new).min(dim=0).values).mean()
        pi_opt.zero_grad()
        pi_loss.backward()
        pi_opt.step()
        qnet.requires_grad_(True)
        a_opt.zero_grad()
        (-(log_alpha * (logp.detach() + target_entropy)).mean()).backward()
        a_opt.step()
        with torch.no_grad():
            for p, pt in zip(qnet.parameters(), target.parameters()):
                pt.lerp_(p, config.tau)
        if it % max(1, config.rl_steps // 10) == 0 or it == config.rl_steps - 1:
            log.append({"step": it, "td": float(td.detach()) / 2, "cql": float(cql.detach()) / 2,
                        "policy": float(pi_loss.detach())})
    policy.net.requires_grad_(False)
    return policy, log


# ---------------------------------------------------------------------- trajectories and search


def scalarized_targets(Y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``w . y`` per design and weight vector, y min-max normalized on the data: ``(n, K)``."""
    Y = np.asarray(Y, dtype=np.float64)
    span = Y.max(axis=0) - Y.min(axis=0)
    Yn = (Y - Y.min(axis=0)) / np.where(span > 0, span, 1.0)
    return Yn @ weights.T


def surrogate_value_and_grad(surrogate, space: RelaxedDesignSpace, z: torch.Tensor, w: torch.Tensor,
                             chunk: int = 4096) -> tuple[torch.Tensor, torch.Tensor]:
    """``f_w(z) = w . mean prediction`` (normalized y) and its gradient, per row; ``w`` ``(m,)`` or
    ``(n, m)``."""
    values, grads = [], []
    for k in range(0, len(z), chunk):
        zc = z[k:k + chunk].detach().clone().requires_grad_(True)
        wc = w if w.dim() == 1 else w[k:k + chunk]
        mean, _ = surrogate.predict_torch(space.features(zc), normalized_y=True)
        f = (mean * wc).sum(dim=-1)
        g, = torch.autograd.grad(f.sum(), zc)
        values.append(f.detach())
        grads.append(g)
    return torch.cat(values), torch.cat(grads)


def _gradients_at(surrogate, space: RelaxedDesignSpace, z: torch.Tensor, rows: np.ndarray,
                  w: torch.Tensor) -> torch.Tensor:
    """``grad f_w`` at ``z[rows]``, computed once per distinct row and only for those: a trajectory
    visits a few of the pool's rows (zdt1 at the cpu budget: about 1,600 of 12,000 per weight
    vector), and the whole pool's gradients cost a third to a half as much as the CQL training.

    The distinct rows are padded (by repeating the first) to a multiple of 64, since BLAS computes
    the last ``M mod 16`` rows of a matrix product with a remainder kernel that rounds differently;
    so each row's gradient is the one the whole pool's full-kernel rows get, bitwise on the CPU
    measured (zdt1 and re21 trials; tests/search/test_pgs.py checks it to float tolerance). Only a pool row in the last < 16 rows of the pool's last
    4096-row chunk was itself rounded the remainder way there (a few 1e-9)."""
    need, inverse = np.unique(rows, return_inverse=True)
    padded = -(-len(need) // 64) * 64
    if padded >= len(z):
        return surrogate_value_and_grad(surrogate, space, z, w)[1][rows]
    take = np.concatenate([need, np.full(padded - len(need), need[0])])
    _, g = surrogate_value_and_grad(surrogate, space, z[take], w)
    return g[:len(need)][inverse]


@dataclass
class Transitions:
    states: torch.Tensor
    actions: torch.Tensor  # in (-1, 1)
    rewards: torch.Tensor
    next_states: torch.Tensor
    dones: torch.Tensor
    a_max: float


def synthesize(surrogate, space: RelaxedDesignSpace, X: np.ndarray, S: np.ndarray, weights: np.ndarray,
               config: PGSConfig, rng: np.random.Generator) -> Transitions:
    """Transitions of trajectories through the top ``percentile`` pool of each weight vector (see
    module docstring); states carry the weight vector when there are several objectives."""
    n, K = S.shape
    moo = weights.shape[1] > 1
    per_weight = math.ceil(config.n_trajectories / K)
    pool_size = min(n, max(math.ceil(config.percentile * n), 2))
    T = max(1, min(config.trajectory_length, pool_size - 1))
    parts = {k: [] for k in ("s", "a_raw", "r", "s2", "d")}
    for k in range(K):
        pool = np.argsort(S[:, k], kind="stable")[:pool_size]
        z = space.encode(surrogate, X[pool])
        picks = np.stack([rng.choice(pool_size, T + 1, replace=False) for _ in range(per_weight)])
        picks = np.take_along_axis(picks, np.argsort(-S[pool][picks, k], axis=1, kind="stable"), axis=1)  # worst first
        cur, nxt = picks[:, :-1].reshape(-1), picks[:, 1:].reshape(-1)
        g_cur = _gradients_at(surrogate, space, z, cur, torch.as_tensor(weights[k], dtype=torch.float32))
        a_raw = (z[nxt] - z[cur]) / (-g_cur)
        a_raw = torch.where(torch.isfinite(a_raw), a_raw, torch.zeros_like(a_raw)).clamp_min(0.0)
        r = torch.as_tensor(S[pool][cur, k] - S[pool][nxt, k], dtype=torch.float32)
        done = torch.zeros(per_weight, T)
        done[:, -1] = 1.0
        wk = torch.as_tensor(weights[k], dtype=torch.float32).expand(len(cur), -1)
        parts["s"].append(torch.cat([z[cur], wk], dim=1) if moo else z[cur])
        parts["s2"].append(torch.cat([z[nxt], wk], dim=1) if moo else z[nxt])
        parts["a_raw"].append(a_raw)
        parts["r"].append(r)
        parts["d"].append(done.reshape(-1))
    a_raw = torch.cat(parts["a_raw"])
    positive = a_raw[a_raw > 0]
    a_max = float(torch.quantile(positive[:1_000_000], config.step_quantile)) if len(positive) else 1.0
    a_max = a_max if a_max > 0 else 1.0
    frac = (a_raw / a_max).clamp(0.0, 1.0)
    actions = (2 * frac - 1).clamp(-0.999, 0.999)
    rewards = torch.cat(parts["r"])
    rewards = rewards / rewards.std().clamp_min(1e-8) if len(rewards) > 1 else rewards
    return Transitions(torch.cat(parts["s"]), actions, rewards, torch.cat(parts["s2"]), torch.cat(parts["d"]), a_max)


def _design_space(surrogate, n_categories):
    # imported here: dist_ombo.models.robust registers this module's searcher at import time
    from dist_ombo.models.relaxed_space import RelaxedDesignSpace

    return RelaxedDesignSpace.of(surrogate, n_categories)


def pgs_search(
    surrogate,
    X: np.ndarray,
    Y: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    n_proposals: int,
    config: PGSConfig = PGSConfig(),
    seed: int = 0,
    n_categories: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    details: dict | None = None,
) -> tuple[np.ndarray, int]:
    """Train the step-size policy on synthesized trajectories, then run policy-guided gradient
    search; returns ``(proposals, n_surrogate_evaluations)``. ``details``, if given, receives the
    policy, the transitions, the start and end points and the CQL log."""
    if not hasattr(surrogate, "predict_torch"):
        raise ConfigError("PGS needs a differentiable surrogate (predict_torch), e.g. an EnsembleSurrogate")
    m = Y.shape[1]
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
    weights = np.ones((1, 1)) if m == 1 else das_dennis(m, config.n_weights)
    space = _design_space(surrogate, n_categories)
    S = scalarized_targets(Y, weights)
    data = synthesize(surrogate, space, X, S, weights, config, rng)
    policy, log = train_cql(data.states, data.actions, data.rewards, data.next_states, data.dones, data.a_max,
                            config, gen)
    n_evals = len(data.states)
    K = len(weights)
    per_weight = n_proposals if K == 1 else math.ceil(n_proposals / K)
    starts, w_rows = [], []
    for k in range(K):
        best = np.argsort(S[:, k], kind="stable")[:per_weight]
        starts.append(best)
        w_rows.append(np.repeat(weights[k][None], len(best), axis=0))
    start_idx = np.concatenate(starts)
    w = torch.as_tensor(np.concatenate(w_rows), dtype=torch.float32)
    z = space.encode(surrogate, X[start_idx])
    z0 = z.clone()
    path = []  # MOO: every iterate is a candidate for the final cut
    for t in range(config.steps):
        _, g = surrogate_value_and_grad(surrogate, space, z, w)
        with torch.no_grad():
            state = torch.cat([z, w], dim=1) if m > 1 else z
            z = z - policy.step_sizes(state) * g
            space.project_(z)
        if m > 1:
            path.append(z)
        n_evals += len(z)
        if progress is not None:
            progress(t + 1, config.steps)
    if details is not None:
        details.update(policy=policy, transitions=data, start=z0, end=z, weights=w, cql_log=log, space=space)
    if m == 1:
        return space.decode(surrogate, z, lower, upper), n_evals
    # End points of different weight vectors often coincide (e.g. on the box's faces), so every
    # distinct iterate competes in the cut (latest steps first: they win ties).
    designs = space.decode(surrogate, torch.cat(path[::-1]), lower, upper)
    _, unique = np.unique(designs, axis=0, return_index=True)
    designs = designs[np.sort(unique)]
    pred, _ = surrogate.predict(designs)
    return designs[rank_by_nds(pred, n_proposals)], n_evals + len(designs)


def run(ctx, config: PGSConfig):
    return pgs_search(ctx.surrogate, ctx.X, ctx.Y, ctx.lower, ctx.upper, ctx.n_proposals, config,
                      seed=ctx.seed, n_categories=ctx.n_categories, progress=ctx.progress)

