"""Statistical comparison of methods over tasks (Demsar 2006): Friedman test, Nemenyi critical
difference, and Wilcoxon signed-rank tests of each method against the best-ranked one."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

def score_matrix(per_task: pd.DataFrame) -> pd.DataFrame:
    """Tasks x methods matrix of headline scores relative to D(best) (on each method's own seeds),
    restricted to methods run on every task."""
    wide = per_task.pivot(index="task", columns="method", values="ratio_to_dbest" if "ratio_to_dbest" in per_task else "mean")
    return wide.dropna(axis=1)


def critical_difference(n_methods: int, n_tasks: int) -> float:
    """Nemenyi critical difference of mean ranks at alpha = 0.05: q_0.05 of the studentized range
    (k groups, infinite degrees of freedom) / sqrt(2), as in Demsar (2006), Table 5."""
    if n_methods < 2 or n_tasks < 1:
        return float("nan")
    q = stats.studentized_range.ppf(0.95, n_methods, np.inf) / np.sqrt(2.0)
    return float(q * np.sqrt(n_methods * (n_methods + 1) / (6.0 * n_tasks)))


def compare(per_task: pd.DataFrame) -> dict:
    """Friedman p-value, mean ranks, CD, and Wilcoxon p-values vs the best method (higher scores
    are better). Needs at least 2 methods on at least 2 common tasks."""
    wide = score_matrix(per_task)
    if wide.shape[0] < 2 or wide.shape[1] < 2:
        return {"tasks": int(wide.shape[0]), "methods": list(wide.columns), "note": "too few common tasks"}
    ranks = wide.rank(axis=1, ascending=False, method="average").mean(axis=0).sort_values()
    friedman = stats.friedmanchisquare(*[wide[c].to_numpy() for c in wide.columns]).pvalue if wide.shape[1] >= 3 else float("nan")
    best = ranks.index[0]
    wilcoxon = {}
    for method in ranks.index[1:]:
        diff = wide[best] - wide[method]
        if np.allclose(diff, 0):
            wilcoxon[method] = 1.0
            continue
        wilcoxon[method] = float(stats.wilcoxon(wide[best], wide[method], zero_method="zsplit").pvalue)
    return {
        "tasks": int(wide.shape[0]), "methods": list(wide.columns), "mean_ranks": ranks.to_dict(),
        "friedman_p": float(friedman), "cd": critical_difference(wide.shape[1], wide.shape[0]),
        "best": best, "wilcoxon_vs_best": wilcoxon,
    }


def plot_cd(result: dict, path) -> None:
    """A critical-difference diagram: methods on the mean-rank axis, CD bar on top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ranks = result["mean_ranks"]
    k = len(ranks)
    fig, ax = plt.subplots(figsize=(7, 0.35 * k + 1.4))
    for i, (method, r) in enumerate(ranks.items()):
        ax.plot([r, r], [0, -(i + 1)], color="0.5", lw=0.8)
        ax.plot(r, 0, "o", color="C0")
        ax.text(k + 0.6, -(i + 1), f"{method} ({r:.2f})", va="center", fontsize=8)
        ax.plot([r, k + 0.5], [-(i + 1), -(i + 1)], color="0.5", lw=0.8)
    cd = result["cd"]
    if np.isfinite(cd):
        ax.plot([1, 1 + cd], [0.8, 0.8], color="k", lw=2)
        ax.text(1 + cd / 2, 1.0, f"CD = {cd:.2f}", ha="center", fontsize=8)
    ax.set_xlim(0.5, k + 4)
    ax.set_ylim(-(k + 1), 1.5)
    ax.set_yticks([])
    ax.set_xlabel(f"mean rank over {result['tasks']} tasks (lower is better); Friedman p = {result['friedman_p']:.3g}")
    for spine in ("left", "right", "top"):
        ax.spines[spine].set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
