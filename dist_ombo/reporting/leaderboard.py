"""Leaderboard from a results table (``dist-ombo report DIR``).

Headline score per task: the task kind's metric in ``headline.HEADLINES`` (hypervolume for MOO,
Off-MOO-Bench protocol; the normalized 100th percentile score for SOO, Design-Bench); higher is
better for both. Per task: mean ± std (ddof 0)
over seeds, rank of each method by the mean over its seeds of score / D(best) of the same seed
(1 = best, ties averaged), with D(best) ranked
beside the methods as the papers do, and whether the method beats D(best). D(best) differs between
seeds (each seed builds its own dataset), so a method's ratio and verdict use D(best) of the seeds
it ran on. Across tasks: mean rank. A method whose every trial on a task failed is listed there
too (no score, its failures counted), so a report never hides a method.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dist_ombo.reporting.headline import by_metric, headline_columns
from dist_ombo.reporting.verdicts import SATURATION_HEADROOM, saturated_tasks

DBEST = "D(best)"


def leaderboard(results: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(per_task, mean_rank)`` tables from a results table; failed trials are counted, not scored."""
    ok = headline_columns(results[results["status"] == "ok"])
    # a trial that ran and failed (or left unreadable files) is counted; one not run yet is not
    failed = results[results["status"].isin(["error", "unreadable"])].groupby(["task", "method"]).size()
    methods = results.groupby("task", sort=False)["method"].unique()
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
                "headroom": _mean_headroom(g), "ratio_to_dbest": float((g["score"] / g["score_dbest"]).mean()),
            })
        for method in methods[task]:
            if method not in set(group["method"]):  # every trial failed: listed, not scored
                rows.append({"task": task, "method": method, "metric": metric, "mean": np.nan, "std": np.nan,
                             "n": 0, "failed": int(failed.get((task, method), 0)), "dbest": dbest.mean(),
                             "beats_dbest": "no", "seeds_beating": "0/0"})
    for task in methods.index:
        if task not in set(ok["task"]):  # no trial of the task finished
            for method in methods[task]:
                rows.append({"task": task, "method": method, "metric": None, "mean": np.nan, "std": np.nan, "n": 0,
                             "failed": int(failed.get((task, method), 0)), "dbest": np.nan, "beats_dbest": "no",
                             "seeds_beating": "0/0"})
    per_task = pd.DataFrame(rows)
    if per_task.empty:
        return per_task, pd.DataFrame(columns=["method", "mean_rank", "tasks"])
    if "headroom" not in per_task:
        per_task["headroom"] = np.nan
    saturated = saturated_tasks(results)
    per_task["saturated"] = per_task["task"].isin(saturated)
    # each method's ratio is the mean over its seeds of score / D(best) of that seed, so a seed with
    # a large D(best) does not outweigh the others; D(best)'s own row is 1 by definition
    if "ratio_to_dbest" not in per_task:
        per_task["ratio_to_dbest"] = np.nan
    dbest_rows = per_task["method"] == DBEST
    per_task.loc[dbest_rows, "ratio_to_dbest"] = per_task.loc[dbest_rows, "mean"] / per_task.loc[dbest_rows, "dbest"]
    # Ranked by the ratio: the same order as the mean score when every method ran on every seed,
    # and a fair one when some did not (seeds differ in D(best), so raw means would not compare).
    per_task["rank"] = per_task.groupby("task")["ratio_to_dbest"].rank(ascending=False, method="average")
    mean_rank = (  # methods without a score on any task have no mean rank
        per_task.groupby("method")["rank"].agg(["mean", "count"]).rename(columns={"mean": "mean_rank", "count": "tasks"})
        .reset_index().sort_values("mean_rank", kind="stable")
    )
    return per_task, mean_rank


def _mean_headroom(trials: pd.DataFrame) -> float:
    """Mean headroom over a method's finished seeds; NaN when any of them lacks the key (older
    trials), so a mean never silently stands on fewer seeds than the HV beside it."""
    if "headroom" not in trials or trials["headroom"].isna().any():
        return float("nan")
    return float(trials["headroom"].mean())


def task_heading(task: str, metric: Any, saturated: bool) -> str:
    """A task's heading: its name, headline metric, and whether it is saturated."""
    label = by_metric(metric).label if isinstance(metric, str) else "no finished trial"
    mark = f" SATURATED (best method's headroom > {SATURATION_HEADROOM} on every seed)" if saturated else ""
    return f"{task}  [{label}; higher is better]{mark}"


def format_leaderboard(per_task: pd.DataFrame, mean_rank: pd.DataFrame) -> str:
    """Plain-text leaderboard for the terminal and for docs."""
    if per_task.empty:
        return "no finished trials yet"
    lines: list[str] = []
    for task, g in per_task.groupby("task", sort=False):
        lines.append("\n" + task_heading(task, g["metric"].iloc[0], bool(g["saturated"].iloc[0])))
        with_headroom = g["headroom"].notna().any()
        head = f"  {'headroom':>8}" if with_headroom else ""
        lines.append(f"  {'rank':>4}  {'method':<22} {'mean ± std':>20}  {'x D(best)':>9}{head}  {'beats':>5}  "
                     f"{'seeds':>5}  failed")
        for _, r in g.sort_values("rank", na_position="last").iterrows():
            if r["n"] == 0:
                lines.append(f"  {'-':>4}  {r['method']:<22} {no_result(r):>20}  {'':>9}{' ' * len(head)}  {'':>5}  "
                             f"{'':>5}  {r['failed']}")
                continue
            room = ""
            if with_headroom:
                room = f"  {r['headroom']:>8.3f}" if np.isfinite(r["headroom"]) else f"  {'—':>8}"
            lines.append(
                f"  {r['rank']:>4.1f}  {r['method']:<22} {r['mean']:>10.4f} ± {r['std']:<7.4f}  "
                f"{r['ratio_to_dbest']:>9.3f}{room}  {r['beats_dbest']:>5}  {r['seeds_beating']:>5}  {r['failed']}"
            )
    lines.append("\nmean rank over tasks (lower is better)")
    for _, r in mean_rank.iterrows():
        rank = f"{r['mean_rank']:6.2f}" if r["tasks"] else "     -"
        lines.append(f"  {r['method']:<22} {rank}  ({int(r['tasks'])} tasks{'' if r['tasks'] else ': no finished trial'})")
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


def no_result(row: Any) -> str:
    """What a leaderboard row without a finished trial says: its trials failed, or none ran yet."""
    return "every trial failed" if row["failed"] > 0 else "not run yet"
