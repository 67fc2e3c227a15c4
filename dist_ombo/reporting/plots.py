"""Plots of a results table: a method x task heatmap, a grid of per-task ratio bars with error
bars, a mean-rank chart, and the Pareto fronts of 2-3 objective tasks (proposals of the best
methods over the dataset and the true front).

Figures are sized for a screen about 1400 px wide at the saved 100 dpi; every score axis is HV (or
score) / D(best) of the same seed, so tasks whose absolute scales differ read side by side."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from dist_ombo.reporting.headline import HEADLINES, by_metric
from dist_ombo.reporting.leaderboard import DBEST, leaderboard
from dist_ombo.reporting.verdicts import method_ratios, saturated_tasks

#: Panels per row of the score grid; with 14 inch wide figures each panel is ~350 px wide.
GRID_COLUMNS = 4
#: Width of every wide figure in inches (1400 px at the saved dpi).
WIDE = 14.0
DPI = 100


def write_plots(results: pd.DataFrame, sweep_dir: Path, plots_dir: Path) -> list[Path]:
    """Heatmap, score-ratio grid, mean-rank chart, and Pareto fronts of 2-3 objective tasks.

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
    if not method_ratios(results).empty:  # some trial finished: there is a score to draw
        written.append(write_heatmap(results, plots_dir / "heatmap.png"))
        written.append(write_score_grid(results, plots_dir / "scores.png"))

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


def heatmap_values(results: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Methods x tasks matrix of mean headroom, or of mean HV / D(best) when any scored cell lacks
    headroom (older trials), and which of the two it is (``"headroom"`` / ``"ratio"``). Methods are
    ordered by their mean value over tasks, best first."""
    table = method_ratios(results)
    kind = "headroom" if len(table) and table["headroom"].notna().all() else "ratio"
    wide = table.pivot(index="method", columns="task", values=kind)
    wide = wide.reindex(columns=list(dict.fromkeys(table["task"])))
    order = wide.rank(ascending=False).mean(axis=1).sort_values().index
    return wide.loc[order], kind


def write_heatmap(results: pd.DataFrame, path: Path) -> Path:
    """Method x task heatmap of mean headroom (diverging, centred on 0) or of HV / D(best)
    (diverging, centred on 1), each cell annotated; saturated tasks are marked in their label."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    values, kind = heatmap_values(results)
    saturated = saturated_tasks(results)
    table = method_ratios(results).set_index(["method", "task"])
    n_methods, n_tasks = values.shape
    width = min(WIDE, 3.5 + 1.1 * n_tasks)
    crowded = n_tasks > 10  # long task lists: slanted labels, so that neighbours do not overlap
    fig, ax = plt.subplots(figsize=(width, 1.6 + 0.26 * max(n_methods, 1) + (1.2 if crowded else 0.0)))
    data = values.to_numpy(dtype=float)
    centre = 0.0 if kind == "headroom" else 1.0
    with np.errstate(invalid="ignore"):
        if kind == "headroom":  # one scale for all tasks: headroom is already comparable across tasks
            spread = np.ones(n_tasks)
        else:  # ratios are not (Ackley-10 reaches 10x, ZDT1 1.2x): each task column on its own scale
            spread = np.nanmax(np.abs(data - centre), axis=0) if n_methods else np.ones(n_tasks)
        spread = np.where(np.isfinite(spread) & (spread > 0), spread, 1.0)
        shade = np.clip((data - centre) / spread, -1.0, 1.0)
    cmap = plt.get_cmap("RdBu").with_extremes(bad="0.92")
    ax.imshow(np.ma.masked_invalid(shade), cmap=cmap, vmin=-1.0, vmax=1.0, aspect="auto")
    for i in range(n_methods):
        for j in range(n_tasks):
            v = data[i, j]
            text = "—" if not np.isfinite(v) else f"{v:.3f}"
            key = (values.index[i], values.columns[j])
            if np.isfinite(v) and not table.loc[key, "complete"]:  # seeds missing: say on how many it stands
                text += f" ({int(table.loc[key, 'finished'])}/{int(table.loc[key, 'seeds'])})"
            dark = np.isfinite(v) and abs(shade[i, j]) > 0.6
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color="white" if dark else "black")
    labels = [f"{t}{' ' if crowded else chr(10)}(saturated)" if t in saturated else t for t in values.columns]
    ax.xaxis.tick_top()
    if crowded:
        ax.set_xticks(range(n_tasks), labels, fontsize=8, rotation=50, ha="left", rotation_mode="anchor")
    else:
        ax.set_xticks(range(n_tasks), labels, fontsize=9)
    ax.set_yticks(range(n_methods), values.index, fontsize=8)
    what = ("mean headroom = (HV - D(best)) / (front HV - D(best)) over seeds: 0 = D(best) (white), "
            "1 = the reference front (blue), red = below D(best); grey: no finished trial"
            if kind == "headroom" else
            "mean over seeds of score / D(best) of the same seed: 1 = D(best) (white), blue beyond, red below; "
            "colour scaled per task; grey: no finished trial")
    what += "\n(k/n): the method finished only k of the sweep's n seeds"
    ax.set_title(what, fontsize=9, pad=28 if saturated else 18)
    fig.tight_layout()
    return _save(fig, path)


def write_score_grid(results: pd.DataFrame, path: Path) -> Path:
    """One panel per task in a grid of at most :data:`GRID_COLUMNS` columns: each method's mean
    score / D(best) over its seeds (horizontal bars, best on top) with the std over seeds of that
    ratio as error bar, and a line at 1 (D(best))."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = method_ratios(results)
    saturated = saturated_tasks(results)
    tasks = list(dict.fromkeys(table["task"])) or ["(no finished trial)"]
    ncols = min(GRID_COLUMNS, len(tasks))
    nrows = int(np.ceil(len(tasks) / ncols))
    per_panel = max([int((table["task"] == t).sum()) for t in tasks] + [1])
    fig, axes = plt.subplots(nrows, ncols, figsize=(WIDE, nrows * max(2.2, 0.9 + 0.17 * per_panel)), squeeze=False)
    for ax in axes.flat[len(tasks):]:
        ax.set_visible(False)
    for ax, task in zip(axes.flat, tasks):
        g = table[table["task"] == task].sort_values("ratio", ascending=True)
        colors = ["C0" if c else "C1" for c in g["complete"]]
        ax.barh(range(len(g)), g["ratio"], xerr=g["ratio_std"], color=colors, capsize=2, height=0.7)
        ax.set_yticks(range(len(g)), [f"{m} ({int(n)}/{int(s)})" for m, n, s in
                                      zip(g["method"], g["finished"], g["seeds"])], fontsize=7)
        ax.axvline(1.0, color="k", lw=0.8)
        metric = g["metric"].iloc[0] if len(g) else None
        short = by_metric(metric).short if isinstance(metric, str) else "score"
        ax.set_title(f"{task}{' (saturated)' if task in saturated else ''}", fontsize=10)
        ax.set_xlabel(f"{short} / D(best)", fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        if len(g):
            lo = float(np.nanmin(g["ratio"] - g["ratio_std"].fillna(0)))
            hi = float(np.nanmax(g["ratio"] + g["ratio_std"].fillna(0)))
            pad = 0.05 * max(hi - min(lo, 1.0), 1e-3)
            ax.set_xlim(min(lo, 1.0) - pad, hi + pad)
    fig.suptitle("mean over seeds of score / D(best) of the same seed, error bar = std over seeds; "
                 "(finished/seeds) after each method, orange = incomplete", fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=DPI)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path
