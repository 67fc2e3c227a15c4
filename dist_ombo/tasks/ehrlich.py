"""Ehrlich functions: closed-form discrete sequence tasks with a known optimum of exactly 1.0.

Stanton et al. 2024, "Closed-Form Test Functions for Biophysical Sequence Design Benchmarking"
(arXiv 2407.00236); the construction follows their reference implementation (holo-bench's
``pytorch-holo`` 0.0.5, ``holo.test_functions.closed_form.Ehrlich``), and the instance is drawn
**exactly as holo draws it**: the same torch generator calls in the same order, so
``instance_seed = s`` is holo's ``random_seed = s`` (a cross-check test compares the two when
``pytorch-holo`` is installed). A function instance has three random parts, all drawn from
``instance_seed`` and nothing else:

* **Feasibility.** A discrete Markov process (DMP) over the ``v`` tokens. Its transition matrix is a
  row-wise softmax of Gaussian logits (temperature 0.5) masked by a banded 0/1 matrix of bandwidth
  ``b = floor(0.4 v)`` (row ``i`` allows ``i-b..i+b`` modulo ``v``) whose rows are shuffled; the
  diagonal is always allowed, so repeating a token is always feasible. The masked matrix is
  renormalized and must be ergodic (holo raises otherwise, and so do we, naming the seed). A
  sequence is feasible iff every transition in it has non-zero probability (the first token is
  free). For small vocabularies the band can cover every state (``v <= 3`` or ``v = 5``), and then
  every sequence is feasible.
* **Motifs.** ``c`` motifs of length ``k``, drawn as *one* DMP trajectory of length ``c k`` (started
  from the stationary distribution) cut into ``c`` pieces, so each motif, and each motif followed by
  the next, is a feasible walk.
* **Spacings.** Per motif, offsets ``s_1 = 0 < s_2 < ... < s_k``: the ``k - 1`` gaps are
  ``1 + floor(w_j * ((L - c k) // c))`` with ``w`` = ``k - 1`` uniform draws divided by their sum
  (holo's weights; not a uniform draw on the simplex), so the ``c`` spaced motifs fit side by side
  into ``L`` positions.

The value of a feasible sequence ``x`` is

    f(x) = prod_i h_q(x, a_i, s_i),   h_q = max_l floor(q * m_l / k) / q,
    m_l = #{j : x[l + s_ij] == a_ij}   (over the shifts l with l + s_ik < L),

i.e. for each motif the best fraction of its elements present with its spacing, quantized down to
multiples of ``1/q`` (``q`` divides ``k``; ``q = k`` is no quantization). ``f`` lies in ``[0, 1]``, and
``f = 1`` is attained by :meth:`Ehrlich.optimal_solution` (each motif written out with its gaps
filled by repeating the previous element, the tail by repeating the last one).

**Infeasible sequences** score :data:`INFEASIBLE_VALUE` = 0 here, where holo returns ``-inf``. Ours
is finite so that surrogates can be trained and scores normalized on any proposal; 0 is also the
lowest feasible value, so an infeasible sequence is never better than a feasible one, only tied
with feasible sequences that hold no motif element at a full quantization level.

Sense: the paper maximizes ``f``; like every task here, Ehrlich is **minimized** internally, so the
oracle returns ``-f(x)`` and ``optimum = -1.0``. :meth:`Ehrlich.value` gives ``f`` itself.

Tasks: ``ehrlich`` (defaults L = v = 32, c = k = 4: a small instance of ours, quick to run) and
holo-bench's benchmark family, v = 32, c = 4, k = q = 8 (``config/hydra/test_function/ehrlich.yaml``
is L = 256; its Figure 4a sweep adds 128 and 512): ``ehrlich_holo_128``, ``ehrlich_holo_256``,
``ehrlich_holo_512``, each at holo's ``random_seed`` 0 unless ``instance_seed`` is given.

Offline data (``shared/docs/protocols.md``, "Discrete: Ehrlich functions"): ``n_total`` feasible
sequences sampled from the DMP (initial token from its stationary distribution), of which the worse
``keep_fraction`` by ``f`` (ties broken at random) are the training set.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from dist_ombo.errors import ConfigError
from dist_ombo.tasks.base import Task
from dist_ombo.tasks.protocols import split_lower_soo

#: Reference implementation's constants: band half-width as a fraction of ``v``, logit temperature.
BAND_FRACTION = 0.4
SOFTMAX_TEMPERATURE = 0.5
#: What ``f`` is for a sequence with a forbidden transition (holo-bench: ``-inf``; see above).
INFEASIBLE_VALUE = 0.0
#: holo-bench's benchmark configuration (``config/hydra/test_function/ehrlich.yaml``) but L.
HOLO_CONFIG = {"vocab": 32, "motifs": 4, "motif_length": 8, "quantization": 8}


class Ehrlich(Task):
    """An Ehrlich function on sequences of ``length`` tokens from ``0..vocab-1`` (minimized: ``-f``).

    Parameters: ``length`` L, ``vocab`` v, ``motifs`` c, ``motif_length`` k, ``quantization`` q
    (``None`` means ``k``), ``n_total`` sampled sequences and ``keep_fraction`` kept for training,
    ``instance_seed`` (holo's ``random_seed``: draws the transition matrix, motifs and spacings; the
    dataset seed does not change the function). The defaults (L = v = 32, c = k = 4) are a small
    instance of ours; holo-bench's benchmark is L = 256, v = 32, c = 4, k = q = 8
    (``ehrlich_holo_256``).

    Attributes of the instance: ``transition_matrix`` (v, v), ``motifs`` (c, k) tokens, ``offsets``
    (c, k) positions of each motif's elements relative to its first one (``offsets[:, 0] == 0``).
    """

    family = "ehrlich"

    def __init__(
        self,
        *,
        length: int = 32,
        vocab: int = 32,
        motifs: int = 4,
        motif_length: int = 4,
        quantization: int | None = None,
        n_total: int = 10_000,
        keep_fraction: float = 0.5,
        instance_seed: int = 0,
    ) -> None:
        L = _positive_int(length, "length")
        v = _positive_int(vocab, "vocab")
        c = _positive_int(motifs, "motifs")
        k = _positive_int(motif_length, "motif_length")
        q = k if quantization is None else _positive_int(quantization, "quantization")
        if v < 2:
            raise ConfigError(f"ehrlich: vocab must be at least 2, got {v}")
        if c * k > L:
            raise ConfigError(
                f"ehrlich: motifs * motif_length = {c} * {k} = {c * k} does not fit in length {L}"
            )
        if q > k or k % q != 0:
            raise ConfigError(
                f"ehrlich: quantization must divide motif_length ({k}), got {q} "
                f"(valid: {[d for d in range(1, k + 1) if k % d == 0]})"
            )
        n_total = _positive_int(n_total, "n_total")
        if not 0.0 < float(keep_fraction) <= 1.0:
            raise ConfigError(f"ehrlich: keep_fraction must lie in (0, 1], got {keep_fraction}")
        if int(round(float(keep_fraction) * n_total)) < 1:
            raise ConfigError(
                f"ehrlich: keep_fraction * n_total = {keep_fraction} * {n_total} keeps no sequence"
            )
        if not isinstance(instance_seed, (int, np.integer)) or instance_seed < 0:
            raise ConfigError(f"ehrlich: instance_seed must be a non-negative integer, got {instance_seed!r}")

        self.name = "ehrlich"
        self.dim = L
        self.n_obj = 1
        self.n_categories = v
        self.lower = np.zeros(L)
        self.upper = np.full(L, float(v - 1))
        self.optimum = -1.0
        self.length, self.vocab, self.n_motifs, self.motif_length, self.quantization = L, v, c, k, q
        self.n_total = n_total
        self.keep_fraction = float(keep_fraction)
        self.instance_seed = int(instance_seed)
        self.params = {
            "length": L,
            "vocab": v,
            "motifs": c,
            "motif_length": k,
            "quantization": q,
            "n_total": n_total,
            "keep_fraction": self.keep_fraction,
            "instance_seed": self.instance_seed,
            # instances are drawn as pytorch-holo draws them; datasets cached from the earlier
            # numpy draw (another function for the same seed) must not be reused
            "instance_draw": "pytorch-holo",
        }

    # The instance is drawn on first use (torch's generator, as holo draws it), so listing tasks
    # or checking a config needs no torch.
    @cached_property
    def _instance(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return holo_instance(self.vocab, self.length, self.n_motifs, self.motif_length, self.instance_seed)

    @property
    def transition_matrix(self) -> np.ndarray:
        return self._instance[0]

    @property
    def motifs(self) -> np.ndarray:
        return self._instance[1]

    @property
    def offsets(self) -> np.ndarray:
        return self._instance[2]

    @cached_property
    def stationary_dist(self) -> np.ndarray:
        return _stationary_distribution(self.transition_matrix)

    @cached_property
    def _optimal(self) -> np.ndarray:
        return self._build_optimal_solution()

        if self.value(self._optimal[None])[0] != 1.0:  # the construction guarantees this
            raise RuntimeError("ehrlich: the constructed optimal solution does not score 1.0")

    # ------------------------------------------------------------------ function
    def value(self, X: np.ndarray) -> np.ndarray:
        """``f(x)`` in ``[0, 1]`` (the paper's maximized value) for a batch ``(n, L)``: shape ``(n,)``."""
        X = self.validate_designs(X)
        return self._value(X)

    def is_feasible(self, X: np.ndarray) -> np.ndarray:
        """Whether every transition of each sequence has non-zero DMP probability: shape ``(n,)``."""
        X = self.validate_designs(X)
        return self._feasible(X)

    def optimal_solution(self) -> np.ndarray:
        """A feasible sequence with ``f = 1`` (int64, shape ``(L,)``)."""
        return self._optimal.copy()

    def sample_dmp(self, n: int, length: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` DMP trajectories of ``length`` tokens (first token from the stationary distribution)."""
        X = np.empty((n, length), dtype=np.int64)
        X[:, 0] = _categorical(np.broadcast_to(self.stationary_dist, (n, self.vocab)), rng)
        for t in range(1, length):
            X[:, t] = _categorical(self.transition_matrix[X[:, t - 1]], rng)
        return X

    def _feasible(self, X: np.ndarray) -> np.ndarray:
        return np.all(self.transition_matrix[X[:, :-1], X[:, 1:]] > 0.0, axis=1)

    def _motif_fraction(self, X: np.ndarray, motif: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Quantized best fraction of ``motif`` present with ``offsets`` in each row of ``X``."""
        k, q = self.motif_length, self.quantization
        shifts = np.arange(self.length - offsets[-1])
        windows = X[:, shifts[:, None] + offsets[None, :]]  # (n, shifts, k)
        best = (windows == motif).sum(axis=2).max(axis=1)
        return (best * q // k) / q

    def _value(self, X: np.ndarray) -> np.ndarray:
        f = np.ones(len(X))
        for motif, offsets in zip(self.motifs, self.offsets):
            f *= self._motif_fraction(X, motif, offsets)
        return np.where(self._feasible(X), f, INFEASIBLE_VALUE)

    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        # Minimized convention: -f (written 0 - f so that f = 0 gives +0.0, not -0.0).
        return (0.0 - self._value(X))[:, None]

    def _build_optimal_solution(self) -> np.ndarray:
        # holo-bench's construction: each motif element repeated up to the next one's offset, the
        # motifs back to back, the tail filled with the last token (self-transitions are feasible).
        parts = []
        for motif, offsets in zip(self.motifs, self.offsets):
            parts.append(np.repeat(motif, np.diff(offsets, append=offsets[-1] + 1)))
        x = np.concatenate(parts)
        return np.concatenate([x, np.full(self.length - len(x), x[-1])]).astype(np.int64)

    # ------------------------------------------------------------------ dataset
    def _n_train(self) -> int:
        return int(round(self.keep_fraction * self.n_total))

    def _build_dataset(self, rng: np.random.Generator):
        X = self.sample_dmp(self.n_total, self.length, rng)
        Y = self._evaluate(X)
        return split_lower_soo(X, Y, self.keep_fraction, rng)


def _positive_int(x, name: str) -> int:
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 1:
        raise ConfigError(f"ehrlich: {name} must be a positive integer, got {x!r}")
    return int(x)


def _categorical(P: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row of the (unnormalized) probability rows ``P``; never picks a zero entry."""
    cum = np.cumsum(P, axis=1)
    u = rng.random(len(P)) * cum[:, -1]
    # first index whose cumulative mass exceeds u: zero-mass states repeat the previous total
    # and so are never first, and u < total keeps the index in range.
    return (cum <= u[:, None]).sum(axis=1)


def _stationary_distribution(P: np.ndarray) -> np.ndarray:
    v = len(P)
    A = np.vstack([P.T - np.eye(v), np.ones((1, v))])
    b = np.zeros(v + 1)
    b[-1] = 1.0
    pi = np.clip(np.linalg.lstsq(A, b, rcond=None)[0], 0.0, None)
    return pi / pi.sum()


def holo_instance(v: int, L: int, c: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(transition_matrix, motifs, offsets)`` drawn as ``pytorch-holo``'s ``Ehrlich(num_states=v,
    dim=L, num_motifs=c, motif_length=k, random_seed=seed)`` draws them: one ``torch.Generator``
    seeded with ``seed``, the same calls in the same order (float32, CPU)."""
    import torch  # only to draw an instance: listing tasks stays torch-free

    g = torch.Generator().manual_seed(int(seed))
    band = int(v * BAND_FRACTION)
    dense = (torch.randn(v, v, generator=g) / SOFTMAX_TEMPERATURE).softmax(dim=-1)
    i = torch.arange(v)
    banded = ((i[None, :] - i[:, None]) % v <= band) | ((i[:, None] - i[None, :]) % v <= band)
    mask = banded[torch.randperm(v, generator=g)] | torch.eye(v, dtype=torch.bool)
    P = torch.where(mask, dense, torch.zeros_like(dense))
    P = P / P.sum(dim=-1, keepdim=True)
    if not torch.all(torch.linalg.matrix_power(P, (v - 1) ** 2 + 1) > 0):  # holo's ergodicity test
        raise ConfigError(f"ehrlich: instance_seed={seed} draws a transition matrix that is not ergodic "
                          f"for vocab={v} (pytorch-holo fails on it too); choose another instance_seed")
    stationary = _holo_stationary(P)
    chain = torch.zeros(c * k, dtype=torch.int64)
    chain[0] = torch.multinomial(stationary, 1, replacement=True, generator=g)[0]
    for t in range(1, c * k):
        chain[t] = torch.multinomial(P[chain[t - 1]][None], 1, generator=g)[0, 0]
    offsets = []
    for _ in range(c):
        w = torch.rand(k - 1, generator=g)
        w /= w.sum()
        gaps = 1 + ((L - c * k) // c * w).floor().to(torch.int64)
        offsets.append(np.concatenate([[0], np.cumsum(gaps.numpy())]))
    return P.double().numpy(), chain.numpy().reshape(c, k), np.stack(offsets).astype(np.int64)


def _holo_stationary(P: "torch.Tensor") -> "torch.Tensor":
    """holo's ``dmp_stationary_dist``: least squares by QR, float32 (its motif draws depend on it)."""
    import torch

    v = P.shape[0]
    A = torch.cat([(torch.eye(v) - P).T, torch.ones(1, v)], dim=0)
    b = torch.zeros(v + 1, 1)
    b[-1] = 1
    Q, R = torch.linalg.qr(A)
    return torch.linalg.solve(R, Q.T @ b).squeeze(-1)


def _holo_task(length: int):
    def make(**params):
        task = Ehrlich(**{"length": length, **HOLO_CONFIG, **params})
        task.name = f"ehrlich_holo_{length}"
        return task

    return make


TASKS = {"ehrlich": Ehrlich, **{f"ehrlich_holo_{L}": _holo_task(L) for L in (128, 256, 512)}}
