"""Deep-ensemble surrogate: the Off-MOO-Bench reference regressor, with all members trained at once.

The reference ("multiple models", see ``shared/docs/protocols.md``) trains one MLP d-2048-2048-1 per
objective with Adam (lr 1e-3, x0.98 per epoch), batch 128, 200 epochs, on min-max normalized x and
y, and keeps the last-epoch weights. Here every member and objective is one net of a
``BatchedMLP`` and all of them take their Adam steps together, each on its own minibatch, so K
members cost one batched matmul per layer instead of K Python-level training loops. The spread of
the members is the epistemic uncertainty. Objectives are **minimized**, as everywhere inside.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Callable, Mapping

import numpy as np
import torch

from dist_ombo.config import config_from_dict
from dist_ombo.errors import ConfigError, DataError
from dist_ombo.models.batched_mlp import BatchedMLP, MSEStep
from dist_ombo.models.normalize import MinMaxNormalizer, OneHotEncoder
from dist_ombo.problem import OfflineProblem
from dist_ombo.seeding import torch_generators
from dist_ombo.validation import is_int, is_real, require

HEADS = ("multiple", "multihead")
Progress = Callable[[int, int, float, float], None]
_STATE_FORMAT = 1
_FUSED_ADAM_DEVICES = ("cpu", "cuda")
# Activations per prediction chunk (16 MiB of float32): larger fresh buffers exceed glibc's largest
# mmap threshold (32 MiB) and are page-faulted in anew on every call, which costs more than chunking.
_PREDICT_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class EnsembleConfig:
    """Training settings; the defaults are the Off-MOO-Bench reference.

    ``head="multiple"``: one net per (member, objective) with one output (Off-MOO-Bench "multiple
    models"); ``"multihead"``: one net per member with ``m`` outputs (shared trunk, per-objective
    losses summed). ``max_steps`` caps the optimizer steps across epochs (declared CPU budgets);
    ``lr_decay`` multiplies the learning rate after every epoch.
    """

    n_members: int = 5
    hidden: tuple[int, ...] = (2048, 2048)
    head: str = "multiple"
    epochs: int = 200
    max_steps: int | None = None
    batch_size: int = 128
    lr: float = 1e-3
    lr_decay: float = 0.98
    weight_decay: float = 0.0
    val_fraction: float = 0.1
    device: str = "cpu"

    def __post_init__(self) -> None:
        hidden = self.hidden
        if isinstance(hidden, list):
            hidden = tuple(hidden)
            object.__setattr__(self, "hidden", hidden)
        if not isinstance(hidden, tuple) or not all(is_int(h) and h >= 1 for h in hidden):
            raise ConfigError(f"hidden must be a tuple of positive ints, got {hidden!r}")
        for name in ("n_members", "epochs", "batch_size"):
            require(is_int(getattr(self, name)) and getattr(self, name) >= 1, "EnsembleConfig", name,
                    "a positive int")
        require(self.max_steps is None or (is_int(self.max_steps) and self.max_steps >= 1), "EnsembleConfig",
                "max_steps", "None or a positive int")
        require(self.head in HEADS, "EnsembleConfig", "head", f"one of {', '.join(HEADS)}")
        require(is_real(self.lr) and self.lr > 0, "EnsembleConfig", "lr", "a positive number")
        require(is_real(self.lr_decay) and 0 < self.lr_decay <= 1, "EnsembleConfig", "lr_decay", "in (0, 1]")
        require(is_real(self.weight_decay) and self.weight_decay >= 0, "EnsembleConfig", "weight_decay", ">= 0")
        require(is_real(self.val_fraction) and 0 <= self.val_fraction < 1, "EnsembleConfig", "val_fraction",
                "in [0, 1)")
        require(isinstance(self.device, str) and bool(self.device), "EnsembleConfig", "device", "a device string")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EnsembleConfig:
        """Build from a plain mapping (YAML, JSON); unknown keys are an error, lists become tuples."""
        if not isinstance(d, Mapping):
            raise ConfigError(f"EnsembleConfig.from_dict needs a mapping, got {type(d).__name__}")
        return config_from_dict(cls, d)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class EnsembleSurrogate:
    """An ensemble of MLP regressors mapping designs to (minimized) objectives, with a spread.

    ``fit`` sets ``net`` (the ``BatchedMLP``), ``x_normalizer`` (continuous tasks: the design
    bounds onto ``[0, 1]``) or ``encoder`` (discrete tasks: one-hot tokens), ``y_normalizer``
    (min-max of the training ``Y``) and ``history`` (per-epoch train/validation MSE in normalized
    y units, averaged over nets and objectives). The weights are frozen after ``fit``
    (``requires_grad=False``), so gradients in ``predict_torch`` flow to the input only.

    Net layout for ``head="multiple"``: net ``j`` is member ``j // n_obj`` fitted to objective
    ``j % n_obj``.
    """

    def __init__(self, config: EnsembleConfig | None = None) -> None:
        self.config = config if config is not None else EnsembleConfig()
        self.net: BatchedMLP | None = None
        self.x_normalizer: MinMaxNormalizer | None = None
        self.encoder: OneHotEncoder | None = None
        self.y_normalizer: MinMaxNormalizer | None = None
        self.n_obj: int = 0
        self.history: list[dict[str, float]] = []

    # ------------------------------------------------------------------ fit

    def fit(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
        n_categories: int | None = None,
        seed: int = 0,
        progress: Progress | None = None,
    ) -> EnsembleSurrogate:
        """Train on designs ``X`` ``(n, d)`` (int tokens when ``n_categories`` is given) and
        minimized objectives ``Y`` ``(n, m)``. ``lower``/``upper`` are the design bounds (ignored
        for discrete inputs). ``progress(epoch, n_epochs, train_loss, val_loss)`` is called after
        every epoch. The same ``seed`` gives bitwise identical weights on the same CPU."""
        cfg = self.config
        X, Y = _check_data(X, Y, n_categories)
        n, m = Y.shape
        if n_categories is None:
            lower = np.asarray(lower, dtype=np.float64).reshape(-1)
            upper = np.asarray(upper, dtype=np.float64).reshape(-1)
            if lower.shape != (X.shape[1],) or upper.shape != (X.shape[1],):
                raise DataError(f"bounds must have length d={X.shape[1]}, got {lower.shape}, {upper.shape}")
            self.x_normalizer, self.encoder = MinMaxNormalizer.from_bounds(lower, upper), None
        else:
            self.x_normalizer, self.encoder = None, OneHotEncoder(int(n_categories), X.shape[1])
        # Off-MOO-Bench fits y statistics on all the data a method is given (split included).
        self.y_normalizer = MinMaxNormalizer.fit(Y)
        self.n_obj = m

        g_init, g_split, g_batch = torch_generators(seed, 3)
        device = torch.device(cfg.device)
        feats = self._features(X)
        targets = torch.as_tensor(self.y_normalizer.transform(Y), dtype=torch.float32, device=device)
        # One random 90/10 split shared by all members (Off-MOO-Bench), seeded.
        perm = torch.randperm(n, generator=g_split).to(device)
        n_val = min(math.ceil(n * cfg.val_fraction), n - 1)
        multiple = cfg.head == "multiple"
        n_nets = cfg.n_members * m if multiple else cfg.n_members
        net = BatchedMLP(feats.shape[1], 1 if multiple else m, cfg.hidden, n_nets, generator=g_init)
        self.net = net.to(device)
        self.history = self._train(feats[perm[n_val:]], targets[perm[n_val:]], feats[perm[:n_val]],
                                   targets[perm[:n_val]], g_batch, progress)
        self.net.requires_grad_(False)
        return self

    def _train(
        self,
        x_tr: torch.Tensor,
        t_tr: torch.Tensor,
        x_val: torch.Tensor,
        t_val: torch.Tensor,
        generator: torch.Generator,
        progress: Progress | None,
    ) -> list[dict[str, float]]:
        """All nets take their Adam steps together, each on its own minibatches; returns the
        per-epoch history (MSE in normalized y units, averaged over nets and objectives)."""
        cfg, net = self.config, self.net
        device, n_nets, m = x_tr.device, net.n_nets, t_tr.shape[1]
        multiple = cfg.head == "multiple"
        obj = torch.arange(n_nets, device=device) % m  # the objective of each net ("multiple")
        t_val_nets = t_val.T[obj].unsqueeze(-1) if multiple else t_val.expand(n_nets, -1, -1)
        # Fused Adam: one pass over each stacked tensor instead of ~a dozen elementwise ops, which
        # at 2048 hidden units otherwise costs as much as the matmuls on one CPU thread.
        opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay,
                               fused=device.type in _FUSED_ADAM_DEVICES)
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=cfg.lr_decay)
        mse_step = MSEStep(net, opt)
        n_train, bs = len(x_tr), cfg.batch_size
        n_epochs = cfg.epochs
        if cfg.max_steps is not None:
            n_epochs = min(n_epochs, math.ceil(cfg.max_steps / math.ceil(n_train / bs)))
        history: list[dict[str, float]] = []
        step = 0
        for epoch in range(n_epochs):
            lr = opt.param_groups[0]["lr"]
            # Each net shuffles the training set on its own, as if it had its own DataLoader.
            order = torch.argsort(torch.rand(n_nets, n_train, generator=generator), dim=1).to(device)
            total, seen = torch.zeros((), device=device), 0
            for start in range(0, n_train, bs):
                if cfg.max_steps is not None and step >= cfg.max_steps:
                    break
                idx = order[:, start:start + bs]  # (n_nets, B)
                yb = t_tr[idx, obj[:, None]].unsqueeze(-1) if multiple else t_tr[idx]
                # Per-net mean over the batch, summed over nets and outputs: each net's gradient
                # is that of its own loss (multihead: per-objective MSEs summed, "Vallina").
                loss = mse_step(x_tr[idx], yb)
                total += loss.detach() * idx.shape[1]
                seen += idx.shape[1]
                step += 1
            sched.step()
            train_loss = float(total) / (max(seen, 1) * n_nets * net.out_features)
            val_loss = float("nan")
            if len(x_val):
                with torch.no_grad():
                    val_loss = float((self._forward_chunked(x_val) - t_val_nets).square().mean())
            history.append({"epoch": epoch + 1, "steps": step, "lr": lr, "train_loss": train_loss,
                            "val_loss": val_loss})
            if progress is not None:
                progress(epoch + 1, n_epochs, train_loss, val_loss)
        return history

    # ------------------------------------------------------------------ predict

    def encode(self, X: np.ndarray) -> torch.Tensor:
        """Designs -> the input of ``predict_torch``: min-max normalized ``(n, d)`` for continuous
        tasks, one-hot ``(n, L, v)`` for discrete ones (float32, on the model's device)."""
        self._check_fitted()
        return self._features(np.asarray(X)).reshape(self._input_shape(len(X)))

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and spread (std across members, ddof 0) in original y units, each ``(n, m)``."""
        self._check_fitted()
        X = np.asarray(X)
        if X.ndim != 2:
            raise DataError(f"X must be 2-D (n, d), got shape {X.shape}")
        feats = self._features(X)
        if len(feats) == 0:
            return np.zeros((0, self.n_obj)), np.zeros((0, self.n_obj))
        with torch.no_grad():  # BatchedMLP.infer: no autograd, chunked net by net in the cache
            mu, sd = self._mean_std(self._members(feats, infer=True))
        mean, std = mu.cpu().double().numpy(), sd.cpu().double().numpy()
        return self.y_normalizer.inverse(mean), self.y_normalizer.inverse_std(std)

    def predict_torch(self, x: torch.Tensor, normalized_y: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Differentiable mean and std ``(n, m)`` for gradient search.

        ``x``: normalized continuous designs ``(n, d)`` (see ``x_normalizer``), or for discrete tasks
        one-hot / relaxed probabilities ``(n, L, v)`` (or flattened ``(n, L*v)``). Original y units
        unless ``normalized_y`` (the ``[0, 1]`` scale of the training ``Y``). With one member the
        std is zero (and has zero gradient)."""
        self._check_fitted()
        x = x.to(device=self.net.weights[0].device, dtype=torch.float32)
        x = x.reshape(x.shape[0], -1)
        if x.shape[1] != self.net.in_features:
            raise DataError(f"expected input of shape {self._input_shape(x.shape[0])}, got {tuple(x.shape)}")
        mean, std = self._mean_std(self._members(x))
        if normalized_y:
            return mean, std
        return self.y_normalizer.inverse(mean), self.y_normalizer.inverse_std(std)

    @property
    def n_members(self) -> int:
        return self.config.n_members

    def _members(self, feats: torch.Tensor, infer: bool = False) -> torch.Tensor:
        """Per-member predictions ``(n_members, n, m)`` in normalized y units. ``infer`` (no
        autograd): ``BatchedMLP.infer``, or other nets' (IOM's two-stage) forward in row chunks."""
        if infer:
            out = self.net.infer(feats) if isinstance(self.net, BatchedMLP) else self._forward_chunked(feats)
        else:
            out = self.net(feats)  # (n_nets, n, out)
        if self.config.head == "multiple":
            out = out.reshape(self.n_members, self.n_obj, -1).transpose(1, 2)
        return out

    @staticmethod
    def _mean_std(members: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean = members.mean(dim=0)
        if members.shape[0] == 1:
            return mean, torch.zeros_like(mean)
        return mean, members.std(dim=0, correction=0)

    def _forward_chunked(self, feats: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.net(c) for c in torch.split(feats, self._chunk_rows())], dim=1)

    def _chunk_rows(self) -> int:
        return max(1, _PREDICT_ELEMENTS // (self.net.n_nets * max(self.net.sizes)))

    def _features(self, X: np.ndarray) -> torch.Tensor:
        """Designs -> flat float32 features on the model's device."""
        if self.encoder is not None:
            f = self.encoder.transform(X)
        else:
            X = np.asarray(X, dtype=np.float64)
            if X.ndim != 2 or X.shape[1] != self.x_normalizer.dim:
                raise DataError(f"X must have shape (n, {self.x_normalizer.dim}), got {X.shape}")
            f = self.x_normalizer.transform(X)
        return torch.as_tensor(f, dtype=torch.float32, device=torch.device(self.config.device))

    def _input_shape(self, n: int) -> tuple[int, ...]:
        if self.encoder is not None:
            return (n, self.encoder.length, self.encoder.n_categories)
        return (n, self.x_normalizer.dim)

    def _check_fitted(self) -> None:
        if self.net is None:
            raise RuntimeError("EnsembleSurrogate is not fitted: call fit() or from_state() first")

    # ------------------------------------------------------------------ state

    def state(self) -> dict[str, Any]:
        """Weights and statistics as plain numpy arrays and dicts (picklable, torch-free), for
        shipping a trained model between processes (e.g. through Ray's object store)."""
        self._check_fitted()
        return {
            "format": _STATE_FORMAT,
            "config": self.config.to_dict(),
            "n_obj": self.n_obj,
            "x_normalizer": None if self.x_normalizer is None else self.x_normalizer.state(),
            "encoder": None if self.encoder is None else asdict(self.encoder),
            "y_normalizer": self.y_normalizer.state(),
            "negative_slope": self.net.negative_slope,
            "weights": [w.detach().cpu().numpy().copy() for w in self.net.weights],
            "biases": [b.detach().cpu().numpy().copy() for b in self.net.biases],
            "history": [dict(h) for h in self.history],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> EnsembleSurrogate:
        """Inverse of ``state()``; predictions are bitwise identical on the same device."""
        if state.get("format") != _STATE_FORMAT:
            raise DataError(f"unsupported EnsembleSurrogate state format {state.get('format')!r}")
        model = cls(EnsembleConfig.from_dict(state["config"]))
        model.n_obj = int(state["n_obj"])
        xs, enc = state["x_normalizer"], state["encoder"]
        model.x_normalizer = None if xs is None else MinMaxNormalizer.from_state(xs)
        model.encoder = None if enc is None else OneHotEncoder(**enc)
        model.y_normalizer = MinMaxNormalizer.from_state(state["y_normalizer"])
        net = BatchedMLP.from_tensors(state["weights"], state["biases"], state["negative_slope"])
        model.net = net.to(torch.device(model.config.device)).requires_grad_(False)
        model.history = [dict(h) for h in state["history"]]
        return model


def _check_data(X: np.ndarray, Y: np.ndarray, n_categories: int | None) -> tuple[np.ndarray, np.ndarray]:
    X, Y = np.asarray(X), np.asarray(Y, dtype=np.float64)
    if X.ndim != 2 or Y.ndim != 2 or len(X) != len(Y):
        raise DataError(f"need X (n, d) and Y (n, m) with the same n, got {X.shape} and {Y.shape}")
    if len(X) < 2:
        raise DataError(f"need at least 2 designs to fit, got {len(X)}")
    if not np.all(np.isfinite(Y)):
        raise DataError("Y contains NaN or inf")
    if n_categories is None:
        X = X.astype(np.float64)
        if not np.all(np.isfinite(X)):
            raise DataError("X contains NaN or inf")
    elif not np.issubdtype(X.dtype, np.integer):
        raise DataError(f"discrete X must hold integer tokens, got dtype {X.dtype}")
    return X, Y


def fit_ensemble(problem: OfflineProblem, config: EnsembleConfig, seed: int, progress=None):
    X, Y, lower, upper, n_categories = problem.arrays()
    return EnsembleSurrogate(config).fit(X, Y, lower, upper, n_categories=n_categories, seed=seed, progress=progress)

