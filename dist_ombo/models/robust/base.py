"""What the robust training schemes share: a config base and data preparation (the training loop
and optimizers are in ``training``, the relaxed design space in ``dist_ombo.models.relaxed_space``).

Every scheme here produces an ``EnsembleSurrogate`` (or a subclass), so search, state shipping and
prediction are the ensemble's; only the training differs. Nets use the ensemble's layouts:
``head="multiple"`` (Off-MOO-Bench "multiple models": net ``j`` is member ``j // m`` fitted to
objective ``j % m``, one output) or ``"multihead"`` (one net per member, ``m`` outputs). All
objectives are **minimized**; where a paper states its mechanism in the maximize sense (a design is
"better" when its score is higher) the modules say how they flip it.

Design-Bench methods (COMs, RoMA, ICT, Tri-mentoring) state step sizes and noise in units of
z-scored designs; our designs live in the ``[0, 1]`` box (continuous) or as logits (discrete), so
those quantities are multiplied by ``RelaxedDesignSpace.scale`` (the designs' mean per-dimension standard
deviation), which reproduces the reference's step in our units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from dist_ombo.errors import ConfigError, DataError
from dist_ombo.metrics import rank_by_nds
from dist_ombo.models.batched_mlp import BatchedMLP
from dist_ombo.models.ensemble import EnsembleConfig, EnsembleSurrogate, _check_data
from dist_ombo.models.normalize import MinMaxNormalizer, OneHotEncoder
from dist_ombo.models.relaxed_space import RelaxedDesignSpace
from dist_ombo.seeding import torch_generators
from dist_ombo.validation import is_int, is_real, require_field

_MIN_ROWS = 16  # a data_fraction subset never has fewer rows than this (or all of them)


# ---------------------------------------------------------------------- configs


@dataclass(frozen=True)
class RobustConfig:
    """Fields every robust scheme shares (budgets set ``hidden``, ``epochs``, ``max_steps``,
    ``batch_size`` and, where present, ``n_members``).

    ``data_fraction``: train on the best fraction of the data only (by non-dominated sorting and
    crowding; by value for one objective). Off-MOO-Bench trains GradNorm, PcGrad, COMs, RoMA, IOM,
    ICT and Tri-mentoring on the best 20%: the MOO methods set 0.2, the SOO ones keep 1.0
    (Design-Bench uses all the data).
    """

    hidden: tuple[int, ...] = (2048, 2048)
    epochs: int = 200
    max_steps: int | None = None
    batch_size: int = 128
    lr: float = 3e-4
    lr_decay: float = 0.98
    val_fraction: float = 0.1
    data_fraction: float = 1.0
    device: str = "cpu"

    def __post_init__(self) -> None:
        check_config(self)


def check_config(cfg: Any) -> None:
    """Validate the shared fields (and ``n_members`` when present); lists become tuples."""
    hidden = cfg.hidden
    if isinstance(hidden, list):
        hidden = tuple(hidden)
        object.__setattr__(cfg, "hidden", hidden)
    name = type(cfg).__name__
    if not isinstance(hidden, tuple) or not all(is_int(h) and h >= 1 for h in hidden):
        raise ConfigError(f"{name}.hidden must be a tuple of positive ints, got {hidden!r}")
    for f in ("epochs", "batch_size") + (("n_members",) if hasattr(cfg, "n_members") else ()):
        require_field(cfg, f, is_int(getattr(cfg, f)) and getattr(cfg, f) >= 1, "a positive int")
    require_field(cfg, "max_steps", cfg.max_steps is None or (is_int(cfg.max_steps) and cfg.max_steps >= 1),
            "None or a positive int")
    require_field(cfg, "lr", is_real(cfg.lr) and cfg.lr > 0, "a positive number")
    require_field(cfg, "lr_decay", is_real(cfg.lr_decay) and 0 < cfg.lr_decay <= 1, "in (0, 1]")
    require_field(cfg, "val_fraction", is_real(cfg.val_fraction) and 0 <= cfg.val_fraction < 1, "in [0, 1)")
    require_field(cfg, "data_fraction", is_real(cfg.data_fraction) and 0 < cfg.data_fraction <= 1, "in (0, 1]")
    require_field(cfg, "device", isinstance(cfg.device, str) and bool(cfg.device), "a device string")


def ensemble_config(cfg: Any, head: str, n_members: int) -> EnsembleConfig:
    """The ``EnsembleConfig`` recorded in the trained surrogate's state (its architecture)."""
    return EnsembleConfig(
        n_members=n_members, hidden=tuple(cfg.hidden), head=head, epochs=cfg.epochs, max_steps=cfg.max_steps,
        batch_size=cfg.batch_size, lr=cfg.lr, lr_decay=cfg.lr_decay, val_fraction=cfg.val_fraction,
        device=cfg.device,
    )


# ---------------------------------------------------------------------- data


def select_top(Y: np.ndarray, fraction: float) -> np.ndarray:
    """Dataset indices of the best ``fraction`` of rows (NDS + crowding; by value for one
    objective), at least ``min(n, 16)``, in dataset order."""
    n = len(Y)
    if fraction >= 1:
        return np.arange(n)
    k = min(n, max(math.ceil(fraction * n), _MIN_ROWS))
    return np.sort(rank_by_nds(Y, k))


@dataclass
class Prepared:
    """A scheme's starting point: the surrogate shell (normalizers set, net not yet), the data split
    into features and ``[0, 1]``-normalized targets, the net layout and seeded generators."""

    model: EnsembleSurrogate
    x_tr: torch.Tensor
    t_tr: torch.Tensor
    x_val: torch.Tensor
    t_val: torch.Tensor
    space: RelaxedDesignSpace
    n_obj: int
    n_members: int
    head: str
    generators: list[torch.Generator]
    rows: np.ndarray  # dataset indices the model trains on (split included)

    @property
    def n_nets(self) -> int:
        return self.n_members * self.n_obj if self.head == "multiple" else self.n_members

    @property
    def out_features(self) -> int:
        return 1 if self.head == "multiple" else self.n_obj

    @property
    def device(self) -> torch.device:
        return self.x_tr.device

    def net_objective(self) -> torch.Tensor:
        """The objective of each net (``"multiple"``); ``(n_nets,)``."""
        return torch.arange(self.n_nets, device=self.device) % self.n_obj

    def targets(self, idx: torch.Tensor, t: torch.Tensor | None = None) -> torch.Tensor:
        """Normalized targets of rows ``idx`` ``(n_nets, B)`` -> ``(n_nets, B, out)``."""
        t = self.t_tr if t is None else t
        if self.head == "multiple":
            return t[idx, self.net_objective()[:, None]].unsqueeze(-1)
        return t[idx]

    def new_net(self, generator: torch.Generator | None = None, in_features: int | None = None,
                out_features: int | None = None, hidden: Sequence[int] | None = None) -> BatchedMLP:
        net = BatchedMLP(
            self.x_tr.shape[1] if in_features is None else in_features,
            self.out_features if out_features is None else out_features,
            self.model.config.hidden if hidden is None else hidden,
            self.n_nets, generator=self.generators[0] if generator is None else generator,
        )
        return net.to(self.device)

    def val_mse(self, net: torch.nn.Module) -> float:
        """Validation MSE in normalized y units, averaged over nets and outputs (NaN without a
        validation split)."""
        if not len(self.x_val):
            return float("nan")
        with torch.no_grad():
            pred = torch.cat([net(c) for c in torch.split(self.x_val, 4096)], dim=1)
        t = self.t_val
        tv = t.T[self.net_objective()].unsqueeze(-1) if self.head == "multiple" else t.expand(self.n_nets, -1, -1)
        return float((pred - tv).square().mean())

    def finish(self, net: torch.nn.Module, history: list[dict[str, float]]) -> EnsembleSurrogate:
        """Freeze the weights and hand back the trained surrogate."""
        self.model.net = net
        self.model.history = history
        net.requires_grad_(False)
        return self.model

    def top_rows(self, k: int) -> torch.Tensor:
        """Per net, the training rows of its best ``k`` designs by its own objective (multiple
        layout) or by NDS over all objectives (multihead): ``(n_nets, k)``."""
        k = min(k, len(self.t_tr))
        t = self.t_tr
        if self.head == "multiple":
            best = torch.argsort(t, dim=0, stable=True)[:k].T  # (m, k)
            return best[self.net_objective()]
        rows = torch.as_tensor(rank_by_nds(t.cpu().numpy(), k), device=self.device)
        return rows.expand(self.n_nets, -1)


def prepare(
    X: np.ndarray,
    Y: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    n_categories: int | None,
    cfg: Any,
    seed: int,
    head: str = "multiple",
    n_members: int = 1,
    extra_generators: int = 2,
    model_cls: type = EnsembleSurrogate,
) -> Prepared:
    """Validate and encode the data as ``EnsembleSurrogate.fit`` does (x by the design bounds or
    one-hot; y min-max normalized on the rows trained on), keep ``cfg.data_fraction`` of the best
    rows, split off a seeded validation set, and split the seed into generators: ``[init, batch,
    extra...]``. ``model_cls``: the ``EnsembleSurrogate`` subclass to build."""
    X, Y = _check_data(X, Y, n_categories)
    rows = select_top(Y, cfg.data_fraction)
    X, Y = X[rows], Y[rows]
    model = model_cls(ensemble_config(cfg, head, n_members))
    if n_categories is None:
        lower = np.asarray(lower, dtype=np.float64).reshape(-1)
        upper = np.asarray(upper, dtype=np.float64).reshape(-1)
        if lower.shape != (X.shape[1],) or upper.shape != (X.shape[1],):
            raise DataError(f"bounds must have length d={X.shape[1]}, got {lower.shape}, {upper.shape}")
        model.x_normalizer, model.encoder = MinMaxNormalizer.from_bounds(lower, upper), None
    else:
        model.x_normalizer, model.encoder = None, OneHotEncoder(int(n_categories), X.shape[1])
    model.y_normalizer = MinMaxNormalizer.fit(Y)
    model.n_obj = Y.shape[1]

    g_init, g_split, g_batch, *extra = torch_generators(seed, 3 + extra_generators)
    device = torch.device(cfg.device)
    feats = model._features(X)
    targets = torch.as_tensor(model.y_normalizer.transform(Y), dtype=torch.float32, device=device)
    n = len(X)
    perm = torch.randperm(n, generator=g_split).to(device)
    n_val = min(math.ceil(n * cfg.val_fraction), n - 1)
    space = RelaxedDesignSpace(feats.shape[1], n_categories)
    return Prepared(
        model=model, x_tr=feats[perm[n_val:]], t_tr=targets[perm[n_val:]], x_val=feats[perm[:n_val]],
        t_val=targets[perm[:n_val]], space=space, n_obj=Y.shape[1], n_members=n_members, head=head,
        generators=[g_init, g_batch, *extra], rows=rows,
    )


# ---------------------------------------------------------------------- training
