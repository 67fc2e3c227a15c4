"""Plots of a results table: score bars with error bars, a mean-rank chart, and the Pareto fronts
of 2-3 objective tasks (proposals of the best methods over the dataset and the true front)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from dist_ombo.reporting.headline import HEADLINES, by_metric
from dist_ombo.reporting.leaderboard import DBEST, leaderboard

def write_plots(results: pd.DataFrame, sweep_dir: Path, plots_dir: Path) -> list[Path]:
    """Score bars with error bars, a mean-rank chart, and Pareto fronts of 2-3 objective tasks.

    Trial folders are looked up in ``sweep_dir``, or in each row's ``sweep`` column where the
    table merges several sweeps.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots_dir.mkdir(parents=True, exist_ok=True)
    per_task, mean_rank = leaderboard(results)
    written: list[Path] = []
    if per_task.empty:
        return written
    tasks = list(dict.fromkeys(per_task["task"]))
    fig, axes = plt.subplots(1, len(tasks), figsize=(4 * len(tasks), 3.6), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        g = per_task[per_task["task"] == task]
        colors = ["0.6" if m == DBEST else f"C{i % 10}" for i, m in enumerate(g["method"])]
        ax.bar(range(len(g)), g["mean"], yerr=g["std"], color=colors, capsize=3)
        ax.set_xticks(range(len(g)), g["method"], rotation=60, ha="right", fontsize=7)
        metric = g["metric"].iloc[0]
        ax.set_title(f"{task} ({by_metric(metric).short if isinstance(metric, str) else 'no score'})", fontsize=9)
        lo = np.nanmin(g["mean"] - g["std"]) if g["mean"].notna().any() else 0.0
        ax.set_ylim(bottom=max(0.0, lo - 0.1 * abs(lo)))
    fig.tight_layout()
    written.append(_save(fig, plots_dir / "scores.png"))

    fig, ax = plt.subplots(figsize=(6, 0.4 * len(mean_rank) + 1.2))
    ax.barh(mean_rank["method"], mean_rank["mean_rank"],
            color=["0.6" if m == DBEST else "C0" for m in mean_rank["method"]])
    ax.invert_yaxis()
    ax.set_xlabel("mean rank over tasks (lower is better)")
    fig.tight_layout()
    written.append(_save(fig, plots_dir / "mean_rank.png"))
    written += _pareto_plots(results, Path(sweep_dir), plots_dir, plt)
    return written


#: Methods drawn on a Pareto plot: the best few by HV on the plotted seed (all 30 would hide each other).
PARETO_PLOT_METHODS = 6


def _pareto_plots(results: pd.DataFrame, sweep_dir: Path, plots_dir: Path, plt) -> list[Path]:
    from dist_ombo.tasks import get_task

    def trial_dir(row) -> Path:
        base = Path(row["sweep"]) if "sweep" in row and isinstance(row["sweep"], str) else sweep_dir
        return base / "trials" / row["trial_id"]

    written: list[Path] = []
    if "trial_id" not in results:  # a table not written by a sweep: no trial folders to read
        return written
    hv = HEADLINES["moo"].metric
    ok = results[(results["status"] == "ok") & results.get(hv, pd.Series(np.nan, index=results.index)).notna()]
    for task_label, group in ok.groupby("task", sort=False):
        first = group.sort_values("seed").iloc[0]
        config_file = trial_dir(first) / "config.json"
        if not config_file.exists():
            continue
        cfg = json.loads(config_file.read_text())
        task = get_task(cfg["task"], **cfg["task_params"])
        if task.n_obj not in (2, 3):
            continue
        seed = int(first["seed"])
        data = task.dataset(seed)
        fig = plt.figure(figsize=(5.5, 4.5))
        ax = fig.add_subplot(projection="3d" if task.n_obj == 3 else None)
        sample = data.Y[np.random.default_rng(0).choice(len(data.Y), min(2000, len(data.Y)), replace=False)]
        ax.scatter(*sample.T, s=2, c="0.75", label="dataset")
        front = task.pareto_front(300)
        if front is not None:
            ax.scatter(*front.T, s=2, c="k", label="true front")
        shown = group[group["seed"] == seed].nlargest(PARETO_PLOT_METHODS, hv)  # one seed: HVs compare
        for i, (_, row) in enumerate(shown.iterrows()):
            file = trial_dir(row) / "proposals.parquet"
            if file.exists():
                P = pd.read_parquet(file)[[f"true_f{j}" for j in range(task.n_obj)]].to_numpy()
                ax.scatter(*P.T, s=6, c=f"C{i % 10}", label=row["method"])
        ax.set_xlabel("f0")
        ax.set_ylabel("f1")
        ax.set_title(f"{task_label}: proposals of the top {len(shown)} methods (seed {seed}), minimized", fontsize=9)
        ax.legend(fontsize=7, markerscale=2)
        written.append(_save(fig, plots_dir / f"pareto_{task_label}.png"))
    return written


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path
