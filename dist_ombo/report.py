"""Leaderboard and plots from a results table (``dist-ombo report DIR``).

Headline score per task: hypervolume (MOO, Off-MOO-Bench protocol) or the normalized 100th
percentile score (SOO, Design-Bench); higher is better for both. Per task: mean ± std (ddof 0)
over seeds, rank of each method by score / D(best) (1 = best, ties averaged) with D(best) ranked
beside the methods as the papers do, and whether the method beats D(best). D(best) differs between
seeds (each seed builds its own dataset), so a method's ratio and verdict use D(best) of the seeds
it ran on. Across tasks: mean rank.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DBEST = "D(best)"


def headline_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``score`` and ``score_dbest`` columns: HV for MOO rows, normalized 100th for SOO rows."""
    frame = frame.copy()
    is_moo = frame["hv"].notna() if "hv" in frame else pd.Series(False, index=frame.index)
    frame["metric"] = np.where(is_moo, "hv", "score_100th")
    frame["score"] = np.where(is_moo, frame.get("hv"), frame.get("score_100th"))
    frame["score_dbest"] = np.where(is_moo, frame.get("hv_dbest"), frame.get("score_dbest"))
    return frame


def leaderboard(results: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(per_task, mean_rank)`` tables from a results table; failed trials are counted, not scored."""
    ok = headline_columns(results[results["status"] == "ok"])
    failed = results[results["status"] != "ok"].groupby(["task", "method"]).size()
    rows: list[dict[str, Any]] = []
    for task, group in ok.groupby("task", sort=False):
        metric = group["metric"].iloc[0]
        dbest = group.groupby("seed")["score_dbest"].first()
        rows.append({"task": task, "method": DBEST, "metric": metric, "mean": dbest.mean(), "std": dbest.std(ddof=0),
                     "n": len(dbest), "failed": 0, "dbest": dbest.mean(), "beats_dbest": "",
                     "seeds_beating": ""})
        for method, g in group.groupby("method", sort=False):
            wins = int((g["score"] > g["score_dbest"]).sum())
            mean = g["score"].mean()
            own_dbest = g["score_dbest"].mean()  # D(best) of the seeds this method ran on
            rows.append({
                "task": task, "method": method, "metric": metric, "mean": mean, "std": g["score"].std(ddof=0),
                "n": len(g), "failed": int(failed.get((task, method), 0)), "dbest": own_dbest,
                "beats_dbest": "yes" if mean > own_dbest else "no", "seeds_beating": f"{wins}/{len(g)}",
            })
    per_task = pd.DataFrame(rows)
    if per_task.empty:
        return per_task, pd.DataFrame(columns=["method", "mean_rank", "tasks"])
    per_task["ratio_to_dbest"] = per_task["mean"] / per_task["dbest"]
    # Ranked by the ratio: the same order as the mean score when every method ran on every seed,
    # and a fair one when some did not (seeds differ in D(best), so raw means would not compare).
    per_task["rank"] = per_task.groupby("task")["ratio_to_dbest"].rank(ascending=False, method="average")
    mean_rank = (
        per_task.groupby("method")["rank"].agg(["mean", "count"]).rename(columns={"mean": "mean_rank", "count": "tasks"})
        .reset_index().sort_values("mean_rank", kind="stable")
    )
    return per_task, mean_rank


def format_leaderboard(per_task: pd.DataFrame, mean_rank: pd.DataFrame) -> str:
    """Plain-text leaderboard for the terminal and for docs."""
    if per_task.empty:
        return "no finished trials yet"
    lines: list[str] = []
    for task, g in per_task.groupby("task", sort=False):
        metric = g["metric"].iloc[0]
        label = "HV (Off-MOO-Bench)" if metric == "hv" else "normalized score, 100th pct"
        lines.append(f"\n{task}  [{label}; higher is better]")
        lines.append(f"  {'rank':>4}  {'method':<22} {'mean ± std':>20}  {'x D(best)':>9}  {'beats':>5}  {'seeds':>5}  failed")
        for _, r in g.sort_values("rank").iterrows():
            lines.append(
                f"  {r['rank']:>4.1f}  {r['method']:<22} {r['mean']:>10.4f} ± {r['std']:<7.4f}  "
                f"{r['ratio_to_dbest']:>9.3f}  {r['beats_dbest']:>5}  {r['seeds_beating']:>5}  {r['failed']}"
            )
    lines.append("\nmean rank over tasks (lower is better)")
    for _, r in mean_rank.iterrows():
        lines.append(f"  {r['method']:<22} {r['mean_rank']:6.2f}  ({int(r['tasks'])} tasks)")
    return "\n".join(lines)


def sweep_summary(table: pd.DataFrame, out_dir: str | Path) -> str:
    """What a finished (or interrupted) sweep prints: counts, failures with their last error line,
    and the leaderboard."""
    n_ok = int((table["status"] == "ok").sum())
    lines = [f"\n{n_ok}/{len(table)} trials finished; results: {out_dir}/results.parquet"]
    for _, row in table[table["status"] != "ok"].iterrows():
        reason = str(row["error"] or "no result").strip().splitlines()[-1]
        lines.append(f"FAILED {row['trial_id']} ({row['status']}): {reason}")
    lines.append(format_leaderboard(*leaderboard(table)))
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ plots
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
        ax.set_title(f"{task} ({'HV' if g['metric'].iloc[0] == 'hv' else 'score'})", fontsize=9)
        lo = np.nanmin(g["mean"] - g["std"])
        ax.set_ylim(bottom=max(0.0, lo - 0.1 * abs(lo)))
    fig.tight_layout()
    written.append(_save(fig, plots_dir / "scores.png"))

    fig, ax = plt.subplots(figsize=(6, 0.4 * len(mean_rank) + 1.2))
    ax.barh(mean_rank["method"], mean_rank["mean_rank"], color=["0.6" if m == DBEST else "C0" for m in mean_rank["method"]])
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
    ok = results[(results["status"] == "ok") & results.get("hv", pd.Series(np.nan, index=results.index)).notna()]
    for task_label, group in ok.groupby("task", sort=False):
        first = group.sort_values("seed").iloc[0]
        config_file = trial_dir(first) / "config.json"
        if not config_file.exists():
            continue
        import json

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
        shown = group[group["seed"] == seed].nlargest(PARETO_PLOT_METHODS, "hv")  # one seed: HVs compare
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
