"""Proposals from a user's own measured data: the next batch of designs to try.

``propose(df, "yield:max,cost:min")`` checks the table (``dist_ombo.userdata.prepare``), encodes
the mixed design space as a unit box (``dist_ombo.userdata.space``), trains a method's surrogate
on it, searches the surrogate, and returns the proposed designs in the user's columns with their
predicted objectives, the ensemble spread, whether each is predicted non-dominated by the measured
data, and its distance to the nearest measured design. ``dist-ombo propose`` is this function plus
file output. Training uses the method's configs under the chosen budget, except that it runs for
at least ``MIN_EPOCHS`` epochs (user tables are small; the budget's step cap still applies).

Inside, every objective is minimized (``max`` columns negated); outputs are in the user's sense.
Search moves in the relaxed box, but the surrogate it queries sees every point snapped to its
nearest valid design (rounded integers, argmax category), so the search optimizes exactly the
designs it proposes. Proposals are unique designs that were not measured already, ranked by
non-dominated sorting and crowding of their predicted objectives.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from dist_ombo import metrics as M
from dist_ombo.errors import ConfigError, DataError
from dist_ombo.catalog import check_objective_count, get_method
from dist_ombo.pipeline import ResolvedMethod, Trainer, local_trainer, resolve_configs, train_and_search
from dist_ombo.problem import OfflineProblem
from dist_ombo.specs import MethodSpec
from dist_ombo.userdata.output import (
    check_output_path,
    format_rows,
    pareto_plot,
    plot_path_for,
    table_writer,
    write_all,
)
from dist_ombo.userdata.prepare import UserData, prepare
from dist_ombo.userdata.space import UserDesignSpace
from dist_ombo.userdata.table import read_table, table_from_frame
from dist_ombo.validation import is_int

#: The default method by number of objectives.
DEFAULT_METHODS = {"moo": "ensemble-nsga2", "soo": "ensemble-ga"}
#: Search is asked for at least this many times ``n`` candidates (its whole population where it
#: has one), so that ``n`` remain after dropping duplicates of one another and of measured designs
#: (snapping maps many points to one design).
_OVERSAMPLE = 2
#: User tables are small (hundreds of rows), where a benchmark budget's epoch count (sized for
#: thousands of rows) gives a few dozen optimizer steps; train for at least the Off-MOO-Bench
#: reference's epochs, still capped by the budget's ``max_steps``.
MIN_EPOCHS = 200
ND_COLUMN = "predicted_nondominated_vs_data"
DISTANCE_COLUMN = "distance_to_nearest"


@dataclass
class ProposalResult:
    """``frame``: the proposals (design columns, ``pred_<obj>``, ``pred_std_<obj>``,
    ``predicted_nondominated_vs_data``, ``distance_to_nearest``); ``summary``: the printed text;
    ``info``: the same facts as numbers; ``out_path`` / ``plot_path``: files written (or ``None``)."""

    frame: pd.DataFrame
    summary: str
    info: dict[str, Any]
    data: UserData
    out_path: Path | None = None
    plot_path: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)


class _SnappedSurrogate:
    """The surrogate as search sees it: ``predict`` evaluates the snapped (valid) design of every
    point of the relaxed box. Other attributes (``predict_torch``, ``encode``, ...) are the
    model's own, so differentiable searches work on the relaxation and are snapped afterwards."""

    def __init__(self, model: Any, space: UserDesignSpace) -> None:
        self._model, self._space = model, space

    def predict(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._model.predict(self._space.snap(Z))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # never recurse through a half-built object (copy, pickle)
            raise AttributeError(name)
        return getattr(self._model, name)


def propose(
    data: pd.DataFrame | str | Path,
    objectives: Mapping[str, str] | str | Sequence[str],
    inputs: Sequence[str] | str | None = None,
    *,
    bounds: Mapping[str, Any] | str | Path | None = None,
    margin: float = 0.0,
    kinds: Mapping[str, str] | str | None = None,
    n: int = 64,
    method: str | None = None,
    seed: int = 0,
    budget: str = "cpu",
    drop_missing: bool = False,
    out: str | Path | None = None,
    plot: bool = True,
    model: Mapping[str, Any] | None = None,
    search: Mapping[str, Any] | None = None,
    trainer: Trainer = local_trainer,
    progress: bool = False,
) -> ProposalResult:
    """Propose ``n`` new designs from measured data.

    ``data``: a DataFrame, or a ``.csv`` / ``.parquet`` file. ``objectives``: ``"yield:max,cost:min"``
    or ``{"yield": "max", "cost": "min"}`` (senses: min, max, minimize, maximize). ``inputs``: the
    design columns (default: every other column). ``kinds``: force column kinds
    (``{"batch": "categorical"}``); the rest are inferred (see ``dist_ombo.userdata.prepare``).
    ``bounds``: ``{column: [lo, hi]}`` or a YAML file of it; other numeric inputs range over the
    data's range widened by ``margin`` x range on each side. ``method``: a method name (default
    ``ensemble-nsga2``, or ``ensemble-ga`` for one objective); ``budget``: ``cpu``, ``smoke`` or
    ``reference``; ``model`` / ``search``: config overrides. ``out``: write the proposals there
    (``.csv`` / ``.parquet``) and, for 2-3 objectives, ``<stem>_pareto.png`` beside it, all or
    nothing. Every check on the data runs before training; bad input raises ``DataError`` naming
    the column and row, and writes nothing.
    """
    t0 = time.perf_counter()
    if not is_int(n) or n < 1:
        raise ConfigError(f"n must be a positive integer (the number of proposals), got {n!r}")
    if not is_int(seed) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
    table = read_table(data) if isinstance(data, (str, Path)) else table_from_frame(data)
    out_path = check_output_path(out, table.path) if out is not None else None
    ud = prepare(table, objectives, inputs, kinds=kinds, bounds=bounds, margin=margin,
                 drop_missing=drop_missing)
    names = list(ud.objectives)
    columns = _output_columns(ud)
    spec = _method(method, len(names))
    configs, n_request = _configs(spec, budget, model, search, int(n))
    t_checked = time.perf_counter()

    space = ud.space
    problem = OfflineProblem(ud.X, ud.Y, space.lower, space.upper)
    outcome = train_and_search(spec, problem, configs, n_request, int(seed), trainer, progress,
                               search_view=lambda model: _SnappedSurrogate(model, space))
    surrogate, n_evals = outcome.surrogate, outcome.n_evals
    Z, n_distinct = _new_designs(space, np.asarray(outcome.proposals, dtype=float), ud.X)
    Z, mean, std = _best(surrogate, Z, int(n), len(names))
    t_searched = time.perf_counter()
    t_trained = t_checked + outcome.times["time_train_s"]

    frame = _proposals_frame(ud, Z, mean, std, columns)
    timings = {"check_s": t_checked - t0, "train_s": t_trained - t_checked, "search_s": t_searched - t_trained}
    info = _info(ud, spec.name, budget, int(seed), int(n), frame, mean, std, n_distinct, int(n_evals), timings)
    plot_path = None
    if out_path is not None:
        items = [(out_path, table_writer(frame, out_path))]
        if plot and len(names) in (2, 3):
            plot_path = plot_path_for(out_path)
            items.append((plot_path, _plotter(ud, mean * ud.signs, std, spec.name)))
        write_all(items)
        info["files"] = [str(p) for p, _ in items]
    timings["total_s"] = time.perf_counter() - t0
    return ProposalResult(frame, format_summary(info), info, ud, out_path, plot_path, timings)


# --------------------------------------------------------------------------- steps


def _method(name: str | None, n_obj: int) -> MethodSpec:
    kind = "moo" if n_obj > 1 else "soo"
    spec = get_method(name or DEFAULT_METHODS[kind])
    if kind not in spec.objectives:
        raise ConfigError(
            f"method {spec.name!r} is for {'/'.join(spec.objectives)} problems, but {n_obj} "
            f"objective(s) were given; try {DEFAULT_METHODS[kind]!r}"
        )
    if spec.scheme is None:
        raise ConfigError(f"method {spec.name!r} trains no surrogate; propose needs one to predict objectives")
    check_objective_count(spec, n_obj, kind)
    return spec


def _configs(spec: MethodSpec, budget: str, model: Mapping[str, Any] | None,
             search: Mapping[str, Any] | None, n: int) -> tuple[ResolvedMethod, int]:
    """Budget < method < overrides, as in a trial; then at least ``MIN_EPOCHS`` epochs and a
    population of at least ``_OVERSAMPLE * n``, unless overridden. Returns the configs and how
    many candidates to ask the search for."""
    model, search = dict(model or {}), dict(search or {})
    resolved = resolve_configs(spec, budget, model, search)
    model_cfg = resolved.model
    if "epochs" not in model and getattr(model_cfg, "epochs", MIN_EPOCHS) < MIN_EPOCHS:
        model_cfg = dataclasses.replace(model_cfg, epochs=MIN_EPOCHS)
    search_cfg = resolved.search
    n_request = _OVERSAMPLE * n
    if "pop_size" not in search and getattr(search_cfg, "pop_size", n_request) < n_request:
        search_cfg = dataclasses.replace(search_cfg, pop_size=n_request)
    # ask for the whole final population: the new designs are picked from all of it
    n_request = max(n_request, int(getattr(search_cfg, "pop_size", 0)))
    return dataclasses.replace(resolved, model=model_cfg, search=search_cfg), n_request


def _best(surrogate: Any, Z: np.ndarray, n: int, n_obj: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The best ``n`` designs by non-dominated sorting and crowding of the predicted objectives,
    best first, with their predicted mean and std (minimized)."""
    if len(Z) == 0:
        return Z, np.zeros((0, n_obj)), np.zeros((0, n_obj))
    mean, std = surrogate.predict(Z)
    order = M.rank_by_nds(mean, n)
    return Z[order], mean[order], std[order]


def _proposals_frame(ud: UserData, Z: np.ndarray, mean: np.ndarray, std: np.ndarray,
                     columns: dict[str, list[str]]) -> pd.DataFrame:
    """Designs in the user's columns, predictions in the user's sense, novelty columns."""
    frame = ud.space.decode(Z)
    for j, sign in enumerate(ud.signs):
        frame[columns["pred"][j]] = mean[:, j] * sign
        frame[columns["std"][j]] = std[:, j]
    frame[ND_COLUMN] = ~_dominated_by(mean, ud.Y)
    features = ud.space.distance_features
    frame[DISTANCE_COLUMN] = M.nearest_distances(features(Z), features(ud.X)) if len(Z) else np.zeros(0)
    return frame


def _output_columns(ud: UserData) -> dict[str, list[str]]:
    """Names of the prediction columns; a clash with a design column is an error (before training)."""
    cols = {"pred": [f"pred_{o}" for o in ud.objectives], "std": [f"pred_std_{o}" for o in ud.objectives]}
    taken = set(ud.space.names)
    for name in [*cols["pred"], *cols["std"], ND_COLUMN, DISTANCE_COLUMN]:
        if name in taken:
            raise DataError(f"input column {name!r} clashes with an output column of the same name; rename it")
    return cols


def _new_designs(space: UserDesignSpace, Z: np.ndarray, X_data: np.ndarray) -> tuple[np.ndarray, int]:
    """Snap the search's points, keep the first of each distinct design and drop the designs that
    were measured already; returns them (search order kept) and how many distinct designs there were."""
    Z = space.snap(Z.reshape(-1, space.dim))
    if len(Z) == 0:
        return Z, 0
    _, first = np.unique(Z, axis=0, return_index=True)
    Z = Z[np.sort(first)]
    n_distinct = len(Z)
    dist = M.nearest_distances(space.distance_features(Z), space.distance_features(X_data))
    return Z[dist > 1e-9], n_distinct


def _dominated_by(P: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Whether each row of ``P`` is dominated by some row of ``Y`` (both minimized)."""
    out = np.zeros(len(P), dtype=bool)
    for start in range(0, len(P), 256):  # chunks bound memory at 256 x n_data x m
        p = P[start:start + 256, None, :]
        out[start:start + 256] = ((Y[None] <= p).all(axis=2) & (Y[None] < p).any(axis=2)).any(axis=1)
    return out


def _plotter(ud: UserData, predicted: np.ndarray, std: np.ndarray, method: str):
    measured = ud.measured.to_numpy(dtype=float)
    labels = [f"{name} ({sense})" for name, sense in ud.objectives.items()]
    front = M.pareto_mask(ud.Y)
    title = f"{len(predicted)} proposals ({method}, predicted) vs measured data"
    return lambda tmp: pareto_plot(tmp, measured, predicted, std, labels, front, title)


def _info(ud: UserData, method: str, budget: str, seed: int, n: int, frame: pd.DataFrame,
          mean: np.ndarray, std: np.ndarray, n_distinct: int, n_evals: int,
          timings: dict[str, float]) -> dict[str, Any]:
    signs = ud.signs
    best = []
    for j, (name, sense) in enumerate(ud.objectives.items()):
        data_col = ud.measured[name].to_numpy()
        i_data = int(np.argmin(ud.Y[:, j]))
        entry = {"objective": name, "sense": sense, "best_measured": float(data_col[i_data]),
                 "best_measured_row": ud.row_names[i_data]}
        if len(mean):
            i = int(np.argmin(mean[:, j]))
            entry.update(best_predicted=float(mean[i, j] * signs[j]), best_predicted_std=float(std[i, j]))
        best.append(entry)
    dist = frame[DISTANCE_COLUMN].to_numpy(dtype=float)
    return {
        "source": ud.source,
        "rows_read": ud.n_read,
        "rows_used": len(ud.Y),
        "rows_dropped": list(ud.dropped),
        "inputs": [{"name": c.name, "kind": c.kind, "range": c.describe()} for c in ud.space.columns],
        "ignored_columns": list(ud.ignored),
        "bounds": ud.describe_bounds(),
        "objectives": dict(ud.objectives),
        "method": method,
        "budget": budget,
        "seed": seed,
        "n_requested": n,
        "n_proposals": len(frame),
        "n_distinct_found": n_distinct,
        "n_predicted_nondominated": int(frame[ND_COLUMN].sum()),
        "distance_to_nearest": {"min": float(dist.min()), "median": float(np.median(dist)),
                                "max": float(dist.max())} if len(dist) else {},
        "best": best,
        "surrogate_evals": n_evals,
        "timings": dict(timings),
    }


def format_summary(info: dict[str, Any]) -> str:
    """The short report ``dist-ombo propose`` prints."""
    lines = []
    dropped = info["rows_dropped"]
    used = f"{info['rows_read']} rows read, {info['rows_used']} used"
    if dropped:
        used += f", {len(dropped)} dropped for missing/non-finite values ({format_rows(dropped)})"
    lines.append(f"data: {info['source']}: {used}")
    lines.append(f"inputs ({len(info['inputs'])}; bounds: {info['bounds']}):")
    width = max(len(c["name"]) for c in info["inputs"])
    for c in info["inputs"]:
        lines.append(f"  {c['name']:<{width}}  {c['kind']:<11}  {c['range']}")
    if info["ignored_columns"]:
        lines.append(f"ignored columns: {', '.join(info['ignored_columns'])}")
    lines.append("objectives: " + ", ".join(f"{k} ({v})" for k, v in info["objectives"].items()))
    t = info["timings"]
    lines.append(f"method: {info['method']} ({info['budget']} budget, seed {info['seed']}); "
                 f"train {t['train_s']:.1f} s, search {t['search_s']:.1f} s")
    n_prop = info["n_proposals"]
    lines.append(f"proposals: {n_prop}; predicted non-dominated by the measured data: "
                 f"{info['n_predicted_nondominated']} of {n_prop}")
    if n_prop < info["n_requested"]:
        lines.append(f"  note: only {n_prop} of the {info['n_requested']} requested designs are new "
                     f"(search found {info['n_distinct_found']} distinct designs, some already measured); "
                     "a larger budget, --margin or wider --bounds give search more room")
    if info["distance_to_nearest"]:
        d = info["distance_to_nearest"]
        lines.append(f"distance to the nearest measured design (inputs scaled to [0, 1]): "
                     f"median {d['median']:.3g}, min {d['min']:.3g}, max {d['max']:.3g}")
    lines.append("best per objective, predicted (mean +- ensemble std) vs measured:")
    width = max(len(f"{b['objective']} ({b['sense']})") for b in info["best"])
    for b in info["best"]:
        label = f"{b['objective']} ({b['sense']})"
        pred = (f"{b['best_predicted']:.5g} +- {b['best_predicted_std']:.2g}"
                if "best_predicted" in b else "n/a")
        lines.append(f"  {label:<{width}}  predicted {pred}  vs  measured {b['best_measured']:.5g} "
                     f"({b['best_measured_row']})")
    if info.get("files"):
        lines.append("wrote " + " and ".join(info["files"]))
    return "\n".join(lines)
