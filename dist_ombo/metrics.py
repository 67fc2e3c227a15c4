"""Scoring of proposals: pure functions of arrays (no task objects, no oracle).

Multi-objective scores follow Off-MOO-Bench (``shared/docs/protocols.md``): objectives are min-max
normalized with the y range of the *whole* collected data (training + hidden best 40%), and the
hypervolume reference point is 2.2 x the task's normalized hard-coded nadir point. Single-objective
scores follow Design-Bench: normalized score of the 100th / 50th percentile of the proposals.
Everything is minimized internally; the SOO normalized score flips the sign so that larger is better
and 1.0 is the best value of the full (unfiltered) sample.
"""

from __future__ import annotations

import numpy as np
from pymoo.indicators.hv import HV
from pymoo.indicators.igd import IGD
from pymoo.indicators.igd_plus import IGDPlus
from pymoo.operators.survival.rank_and_crowding.metrics import get_crowding_function
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting
from scipy.spatial import cKDTree
from scipy.spatial.distance import pdist

#: Off-MOO-Bench multiplies the normalized nadir point by this to get the HV reference point.
REF_POINT_SCALE = 2.2


def finite_rows(Y: np.ndarray) -> np.ndarray:
    """Boolean mask of rows with every value finite (inf/NaN rows are dropped before scoring)."""
    return np.all(np.isfinite(Y), axis=1)


def normalize_objectives(Y: np.ndarray, y_min: np.ndarray, y_max: np.ndarray) -> np.ndarray:
    """Min-max normalize minimized objectives with given per-objective bounds."""
    span = np.where(np.asarray(y_max) - np.asarray(y_min) > 0, np.asarray(y_max) - np.asarray(y_min), 1.0)
    return (np.asarray(Y, dtype=float) - y_min) / span


def hypervolume(F: np.ndarray, ref_point: np.ndarray) -> float:
    """Hypervolume (pymoo) dominated by ``F`` (minimized) up to ``ref_point``; points that do not
    dominate the reference point contribute nothing; non-finite rows are dropped."""
    F = np.asarray(F, dtype=float)
    F = F[finite_rows(F)]
    if len(F) == 0:
        return 0.0
    return float(HV(ref_point=np.asarray(ref_point, dtype=float))(F))


def offmoo_hypervolume(
    Y: np.ndarray, y_min: np.ndarray, y_max: np.ndarray, nadir_point: np.ndarray
) -> float:
    """Off-MOO-Bench HV: normalize with the full data's range, reference = 2.2 x normalized nadir."""
    ref = REF_POINT_SCALE * normalize_objectives(nadir_point, y_min, y_max)
    return hypervolume(normalize_objectives(Y, y_min, y_max), ref)


def robust_hypervolume(
    Y: np.ndarray, y_min: np.ndarray, y_upper: np.ndarray, nadir_point: np.ndarray
) -> float:
    """``hv_robust``: the protocol HV with each objective's span ended at ``y_upper`` (the whole
    collected data's 99.9th percentile) instead of its maximum. The reference point stays
    2.2 x the nadir normalized the same way, i.e. the same point in raw units, so which designs
    count is unchanged; only the scale no longer follows the single most extreme collected design."""
    return offmoo_hypervolume(Y, y_min, y_upper, nadir_point)


def headroom(hv: float, hv_dbest: float, hv_front: float) -> float:
    """Share of the gap between D(best) and the reference front that ``hv`` closes:
    0 at D(best), 1 at the front, negative below D(best); NaN without a usable gap."""
    gap = hv_front - hv_dbest
    if not np.isfinite(gap) or gap <= 0 or not np.isfinite(hv):
        return float("nan")
    return float((hv - hv_dbest) / gap)


#: A task is saturated when the best method's headroom exceeds this on every seed.
SATURATION_HEADROOM = 0.99


def is_saturated(best_headroom_per_seed: list[float] | np.ndarray) -> bool:
    """The saturation rule (``docs/headroom.md``): the best method's headroom exceeds 0.99 on
    every seed. ``False`` without seeds or when any seed's headroom is NaN (no front)."""
    h = np.asarray(best_headroom_per_seed, dtype=float)
    return bool(len(h) > 0 and np.all(h > SATURATION_HEADROOM))


def igd_plus(F: np.ndarray, front: np.ndarray) -> float:
    """IGD+ (Ishibuchi et al. 2015, pymoo) of ``F`` to a reference front: like IGD but counts only
    how far a point falls short of the front (Pareto-compliant); same, unnormalized units."""
    F = np.asarray(F, dtype=float)
    F = F[finite_rows(F)]
    if len(F) == 0:
        return float("inf")
    return float(IGDPlus(np.asarray(front, dtype=float))(F))


def igd(F: np.ndarray, front: np.ndarray) -> float:
    """Inverted generational distance of ``F`` to a known true front (same, unnormalized units)."""
    F = np.asarray(F, dtype=float)
    F = F[finite_rows(F)]
    if len(F) == 0:
        return float("inf")
    return float(IGD(np.asarray(front, dtype=float))(F))


def rank_by_nds(Y: np.ndarray, k: int) -> np.ndarray:
    """Indices of the best ``k`` rows by non-dominated sorting, the last front cut by crowding
    distance (Off-MOO-Bench's top-k; we return dataset indices, fixing the reference's
    within-front index bug)."""
    Y = np.asarray(Y, dtype=float)
    k = min(int(k), len(Y))
    if k <= 0:
        return np.zeros(0, dtype=int)
    if Y.shape[1] == 1:
        return np.argsort(Y[:, 0], kind="stable")[:k]
    crowding = get_crowding_function("cd")
    chosen: list[np.ndarray] = []
    n = 0
    for front in NonDominatedSorting().do(Y, n_stop_if_ranked=k):
        room = k - n
        if room <= 0:
            break
        if len(front) > room:
            cd = crowding.do(Y[front], n_remove=len(front) - room)
            front = front[np.argsort(-cd, kind="stable")[:room]]
        chosen.append(np.asarray(front))
        n += len(front)
    return np.concatenate(chosen)


def dbest_indices(Y: np.ndarray, k: int = 256) -> np.ndarray:
    """D(best): ``rank_by_nds`` applied to the rows in lexicographic order of their values, so
    the choice (crowding ties included) depends on the data's values only, never on how the rows
    happen to be stored; indices refer to ``Y`` as given (``docs/headroom.md``)."""
    Y = np.asarray(Y, dtype=float)
    if len(Y) == 0:
        return np.zeros(0, dtype=int)
    order = np.lexsort(Y.T[::-1])
    return order[rank_by_nds(Y[order], k)]


def percentile_subset(Y: np.ndarray, percentile: float) -> np.ndarray:
    """Indices of the designs kept at a percentile: 100th = all, 50th = the worse half after
    removing the best half by NDS + crowding (Off-MOO-Bench's convention)."""
    n = len(Y)
    n_remove = int(round((100.0 - percentile) / 100.0 * n))
    best = rank_by_nds(Y, n_remove)
    mask = np.ones(n, dtype=bool)
    mask[best] = False
    return np.flatnonzero(mask)


def pareto_mask(Y: np.ndarray) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``Y`` (minimized)."""
    mask = np.zeros(len(Y), dtype=bool)
    if len(Y):
        mask[NonDominatedSorting().do(np.asarray(Y, dtype=float), only_non_dominated_front=True)] = True
    return mask


# ---------------------------------------------------------------------- single objective
def normalized_score(y: np.ndarray, y_min: float, y_max: float) -> np.ndarray:
    """Design-Bench normalized score of minimized values: (y_max - y) / (y_max - y_min), so larger
    is better and 1.0 is the best value of the full sample (can exceed 1 when the data is beaten)."""
    span = float(y_max - y_min) if y_max > y_min else 1.0
    return (float(y_max) - np.asarray(y, dtype=float)) / span


def soo_percentile_scores(y: np.ndarray, y_min: float, y_max: float) -> dict[str, float]:
    """Normalized 100th (best) and 50th (median) percentile scores of proposals' minimized values."""
    y = np.asarray(y, dtype=float).ravel()
    y = y[np.isfinite(y)]
    if len(y) == 0:
        return {"score_100th": float("nan"), "score_50th": float("nan")}
    s = normalized_score(y, y_min, y_max)
    return {"score_100th": float(np.max(s)), "score_50th": float(np.median(s))}


# ---------------------------------------------------------------------- design-space metrics
def _design_distances_scale(X: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    span = np.where(upper - lower > 0, upper - lower, 1.0)
    return (np.asarray(X, dtype=float) - lower) / span


def diversity(X: np.ndarray, lower: np.ndarray, upper: np.ndarray, discrete: bool = False) -> float:
    """Mean pairwise distance among proposals: Euclidean in the box scaled to [0, 1]^d for
    continuous designs, Hamming fraction (share of differing positions) for discrete ones."""
    if len(X) < 2:
        return 0.0
    if discrete:
        return float(np.mean(pdist(np.asarray(X), metric="hamming")))
    return float(np.mean(pdist(_design_distances_scale(X, lower, upper))))


def novelty(
    X: np.ndarray, X_data: np.ndarray, lower: np.ndarray, upper: np.ndarray, discrete: bool = False
) -> float:
    """Mean distance from each proposal to its nearest dataset design (same metrics as diversity)."""
    if len(X) == 0 or len(X_data) == 0:
        return float("nan")
    if discrete:
        return float(np.mean(nearest_distances(X, X_data, discrete=True)))
    return float(np.mean(nearest_distances(X, X_data, lower, upper)))


def nearest_distances(
    X: np.ndarray,
    X_data: np.ndarray,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    discrete: bool = False,
) -> np.ndarray:
    """Per-proposal distance to the nearest dataset design (scaled Euclidean or Hamming fraction)."""
    if discrete:
        A = np.asarray(X)
        B = np.asarray(X_data)
        out = np.empty(len(A))
        for start in range(0, len(A), 64):  # chunks bound memory at 64 x n_data x L
            diff = (A[start : start + 64, None, :] != B[None, :, :]).mean(axis=2)
            out[start : start + 64] = diff.min(axis=1)
        return out
    lo = np.zeros(X.shape[1]) if lower is None else np.asarray(lower, dtype=float)
    hi = np.ones(X.shape[1]) if upper is None else np.asarray(upper, dtype=float)
    tree = cKDTree(_design_distances_scale(X_data, lo, hi))
    dist, _ = tree.query(_design_distances_scale(X, lo, hi), k=1)
    return np.asarray(dist, dtype=float)


#: Two continuous designs count as the same when they are this close (Euclidean) in the design
#: box scaled to [0, 1]^d: float32 round trips through a generator or a parquet file stay far
#: below it, any real move of the search far above it.
COPY_TOLERANCE = 1e-6


def copy_fraction(
    X: np.ndarray,
    X_data: np.ndarray,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    exact: bool = False,
    tol: float = COPY_TOLERANCE,
) -> float:
    """Share of proposals that equal some training design: a method that returns the data it was
    given has found nothing new. Continuous designs match within ``tol`` in the scaled box;
    ``exact`` (categorical or permutation designs) needs every position equal. NaN without proposals."""
    X = np.asarray(X)
    if len(X) == 0:
        return float("nan")
    if len(X_data) == 0:
        return 0.0
    if exact:
        data_rows = {row.tobytes() for row in np.ascontiguousarray(np.asarray(X_data, dtype=np.int64))}
        hits = [row.tobytes() in data_rows for row in np.ascontiguousarray(X.astype(np.int64))]
        return float(np.mean(hits))
    return float(np.mean(nearest_distances(X.astype(float), X_data, lower, upper) <= tol))
