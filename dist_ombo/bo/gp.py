"""Gaussian-process surrogate for the MOBO baselines: one exact GP per objective (BoTorch
``SingleTaskGP``), fitted on a subset of the data chosen by non-dominated sorting.

Off-MOO-Bench's MOBO (``off_moo_baselines/mobo``) fits ``SingleTaskGP`` (one independent GP per
objective, batched) on the best ``train_gp_data_size = 256`` designs by non-dominated sorting, with
designs scaled to the unit cube by the task bounds. We do the same, with these departures:

- each objective's GP is fitted on its own (so Ray actors can fit objectives in parallel) and the
  fitted hyperparameters are stacked into one batched multi-output ``SingleTaskGP``; the model is
  the same as fitting the batched one, since its marginal likelihood is a sum over objectives;
- the kernel is BoTorch 0.18's default (RBF with dimension-scaled log-normal lengthscale prior,
  Hvarfner et al. 2024) instead of the Matern-5/2 + Gamma priors of the BoTorch of 2023;
- targets are standardized here (per objective, over the subset) rather than by an outcome
  transform, so the per-objective fits stack without transform state.

Inside, BoTorch maximizes: the model's outputs are ``-(y - mean) / std`` of the minimized
objectives. ``predict`` returns mean and std in the minimized, raw units every other surrogate uses.
The fit runs under a fixed torch seed (``fit_gpytorch_mll`` may restart from prior samples) and
never touches the global random state.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from dist_ombo.errors import ConfigError, DataError
from dist_ombo.metrics import rank_by_nds
from dist_ombo.validation import is_int

_STATE_FORMAT = 1
#: Off-MOO-Bench reference point: 1.1 x the worst point; here 10 % of the data's range beyond the
#: data's worst value of each objective (``REF_MARGIN`` in min-max normalized units).
REF_MARGIN = 0.1


@dataclass(frozen=True)
class GPConfig:
    """``train_size``: designs the GPs are fitted on (best by non-dominated sorting, Off-MOO-Bench
    256); ``objectives``: which objectives this fit covers (``None``: all; set when the objectives
    are split over Ray actors)."""

    train_size: int = 256
    objectives: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if not is_int(self.train_size) or self.train_size < 2:
            raise ConfigError(f"GPConfig.train_size must be an integer >= 2, got {self.train_size!r}")
        objectives = self.objectives
        if isinstance(objectives, list):
            object.__setattr__(self, "objectives", tuple(objectives))
        if self.objectives is not None and (
            not self.objectives or not all(is_int(j) and j >= 0 for j in self.objectives)
        ):
            raise ConfigError(f"GPConfig.objectives must be None or objective indices, got {objectives!r}")


def training_subset(Y: np.ndarray, size: int) -> np.ndarray:
    """Row indices of the best ``size`` designs by non-dominated sorting and crowding (all rows if
    there are fewer), in the order ``rank_by_nds`` gives (Off-MOO-Bench ``get_N_nondominated_index``)."""
    return rank_by_nds(np.asarray(Y, dtype=float), int(size))


class GPSurrogate:
    """Fitted GPs of every objective. ``model`` is the batched BoTorch model (maximize, standardized
    targets) on designs in the unit cube; ``to_unit`` / ``from_unit`` map designs to and from it."""

    def __init__(self, state: Mapping[str, Any]) -> None:
        if state.get("format") != _STATE_FORMAT:
            raise DataError(f"GP state format {state.get('format')!r} is not {_STATE_FORMAT}")
        self.lower = np.asarray(state["lower"], dtype=float)
        self.upper = np.asarray(state["upper"], dtype=float)
        self.X = np.asarray(state["X"], dtype=float)  # the training subset, raw units
        self.Y = np.asarray(state["Y"], dtype=float)  # minimized, raw units
        self.y_mean = self.Y.mean(axis=0)
        self.y_std = _safe_std(self.Y)
        self.data_min = np.asarray(state["data_min"], dtype=float)
        self.data_max = np.asarray(state["data_max"], dtype=float)
        self.objectives = [int(j) for j in state["objectives"]]
        self.params = [dict(p) for p in state["params"]]
        self.config = dict(state.get("config", {}))
        self._model = None

    # ------------------------------------------------------------------ the BoTorch side

    @property
    def n_obj(self) -> int:
        return len(self.objectives)

    @property
    def model(self):
        """The batched ``SingleTaskGP`` (built on first use; needs every objective's fit)."""
        if self._model is None:
            if self.objectives != list(range(self.Y.shape[1])):
                raise DataError(f"GP state covers objectives {self.objectives}, not all {self.Y.shape[1]}")
            self._model = _stacked_model(self.train_inputs(), self.train_targets(), self.params)
        return self._model

    def to_unit(self, X: np.ndarray):
        import torch

        span = np.where(self.upper > self.lower, self.upper - self.lower, 1.0)
        return torch.as_tensor((np.asarray(X, dtype=float) - self.lower) / span, dtype=torch.float64)

    def from_unit(self, Z) -> np.ndarray:
        Z = np.clip(Z.detach().cpu().numpy() if hasattr(Z, "detach") else np.asarray(Z, dtype=float), 0.0, 1.0)
        return self.lower + Z * (self.upper - self.lower)

    def train_inputs(self):
        return self.to_unit(self.X)

    def train_targets(self):
        """Training targets as the model sees them: maximized and standardized."""
        import torch

        return torch.as_tensor(self.to_model_units(self.Y), dtype=torch.float64)

    def to_model_units(self, Y: np.ndarray) -> np.ndarray:
        return -(np.asarray(Y, dtype=float) - self.y_mean) / self.y_std

    def ref_point(self) -> np.ndarray:
        """The hypervolume reference point in model units: ``REF_MARGIN`` of the data's range past
        the data's worst value of each objective (all rows, not only the subset)."""
        worst = self.data_max + REF_MARGIN * np.maximum(self.data_max - self.data_min, 1e-12)
        return self.to_model_units(worst[None, :])[0]

    # ------------------------------------------------------------------ the surrogate protocol

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and std of every objective at ``X`` (raw units, minimized)."""
        import torch

        X = np.asarray(X, dtype=float)
        if len(X) == 0:
            return np.zeros((0, self.n_obj)), np.zeros((0, self.n_obj))
        means, stds = [], []
        with torch.no_grad():
            for start in range(0, len(X), 4096):
                post = self.model.posterior(self.to_unit(X[start:start + 4096]))
                means.append(post.mean.numpy())
                stds.append(post.variance.clamp_min(0).sqrt().numpy())
        mean, std = np.concatenate(means), np.concatenate(stds)
        return self.y_mean - mean * self.y_std, std * self.y_std

    def state(self) -> dict[str, Any]:
        return {
            "format": _STATE_FORMAT, "config": dict(self.config), "lower": self.lower, "upper": self.upper,
            "X": self.X, "Y": self.Y, "data_min": self.data_min, "data_max": self.data_max,
            "objectives": list(self.objectives), "params": [dict(p) for p in self.params],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "GPSurrogate":
        return cls(state)


def _safe_std(Y: np.ndarray) -> np.ndarray:
    std = np.asarray(Y, dtype=float).std(axis=0, ddof=1)  # as torch (and BoTorch's check) compute it
    return np.where(std > 1e-12, std, 1.0)


def _single_gp(train_x, train_y):
    from botorch.models import SingleTaskGP

    return SingleTaskGP(train_x, train_y, outcome_transform=None)


def _fit_one(train_x, train_y, seed: int) -> dict[str, np.ndarray]:
    """Fit one objective's GP by maximizing its marginal likelihood; returns its parameters."""
    from botorch import fit_gpytorch_mll
    from botorch.utils.sampling import manual_seed
    from gpytorch.mlls import ExactMarginalLogLikelihood

    with manual_seed(int(seed) % (2**31)):
        model = _single_gp(train_x, train_y)
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}


def _stacked_model(train_x, train_Y, params: Sequence[Mapping[str, np.ndarray]]):
    """One batched multi-output ``SingleTaskGP`` holding each objective's fitted parameters in its
    batch slot (what BoTorch's multi-objective acquisitions expect)."""
    import torch

    model = _single_gp(train_x, train_Y)
    target = model.state_dict()
    loaded = {}
    for key, value in target.items():
        parts = [torch.as_tensor(np.asarray(p[key]), dtype=value.dtype) for p in params]
        if all(p.shape == value.shape for p in parts):  # a buffer every batch shares
            loaded[key] = parts[0]
        else:
            loaded[key] = torch.stack(parts).reshape(value.shape)
    model.load_state_dict(loaded)
    model.eval()
    return model


def fit_gp(problem: Any, config: GPConfig, seed: int, progress: Callable[..., None] | None = None) -> GPSurrogate:
    """Fit the GPs of ``config.objectives`` (default all) on the best ``train_size`` rows of an
    ``OfflineProblem``; the training scheme's ``fit`` (Y minimized). Continuous designs only."""
    X, Y, lower, upper, n_categories = problem.arrays()
    if n_categories is not None:
        raise ConfigError("the GP surrogate models continuous designs only; this task's designs are discrete")
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    if len(X) < 2 or not np.isfinite(Y).all():
        raise DataError("the GP needs at least 2 rows of finite objective values")
    m = Y.shape[1]
    objectives = list(range(m)) if config.objectives is None else list(config.objectives)
    if max(objectives) >= m:
        raise ConfigError(f"GPConfig.objectives {objectives} out of range for {m} objectives")
    rows = training_subset(Y, config.train_size)
    state = {
        "format": _STATE_FORMAT, "config": asdict(config), "lower": np.asarray(lower, dtype=float),
        "upper": np.asarray(upper, dtype=float), "X": X[rows], "Y": Y[rows],
        "data_min": Y.min(axis=0), "data_max": Y.max(axis=0), "objectives": objectives, "params": [],
    }
    gp = GPSurrogate(state)
    train_x, train_Y = gp.train_inputs(), gp.train_targets()
    for i, j in enumerate(objectives):
        gp.params.append(_fit_one(train_x, train_Y[:, j:j + 1], seed))
        if progress is not None:
            progress(i + 1, len(objectives), float("nan"), float("nan"))
    return gp


def merge_gp_states(states: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One state from GP fits of disjoint objective groups (same data, same subset)."""
    first = dict(states[0])
    pairs = sorted((j, p) for s in states for j, p in zip(s["objectives"], s["params"]))
    objectives = [j for j, _ in pairs]
    if len(set(objectives)) != len(objectives):
        raise DataError(f"GP states overlap in objectives {objectives}")
    for s in states[1:]:
        if not np.array_equal(np.asarray(s["X"]), np.asarray(first["X"])):
            raise DataError("GP states were fitted on different training subsets")
    first.update(objectives=objectives, params=[p for _, p in pairs])
    first["config"] = {**dict(first.get("config", {})), "objectives": None}
    return first
