"""``docs/results.md`` from a sweep directory: leaderboards, statistics, published comparison."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from dist_ombo.reporting.headline import HEADLINES, by_metric
from dist_ombo.reporting.leaderboard import DBEST, leaderboard
from dist_ombo.reporting.plots import write_plots
from dist_ombo.reporting.published import MOO_SOURCE_A, TFBIND8, TFBIND8_BEST
from dist_ombo.reporting.stats import compare, plot_cd


def _table(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(_cell(row[c]) for c in cols) + " |")
    return "\n".join(lines)


def _cell(v) -> str:
    if isinstance(v, float):
        return "" if np.isnan(v) else f"{v:.4g}"
    return str(v)


def published_comparison(per_task: pd.DataFrame) -> pd.DataFrame:
    """Our best method's HV / D(best) (on its own seeds) next to Source A's best and multiple-models
    ratios."""
    rows = []
    for task, g in per_task.groupby("task", sort=False):
        base = task.split("-")[0]
        if base in MOO_SOURCE_A and g["metric"].iloc[0] == HEADLINES["moo"].metric:
            methods = g[(g["method"] != DBEST) & (g["n"] > 0)]
            if methods.empty:
                continue
            # by ratio, not HV: with missing seeds, methods' HVs stand on different datasets
            top = methods.sort_values("ratio_to_dbest", ascending=False).iloc[0]
            dbest, mm, best, by = MOO_SOURCE_A[base]
            rows.append({
                "task": task, "our D(best)": top["dbest"], "our best method": top["method"], "seeds": top["n"],
                "our HV": top["mean"], "our ratio": top["ratio_to_dbest"],
                "published best ratio": best / dbest, "by": by, "published MM ratio": mm / dbest,
                "ratio difference": top["ratio_to_dbest"] - best / dbest,
                "verdict": verdict(top["ratio_to_dbest"], best / dbest),
            })
    return pd.DataFrame(rows)


#: Within this relative distance of the published number, ours "matches" it.
MATCH_TOLERANCE = 0.01


def verdict(ours: float, published: float) -> str:
    """``beats`` / ``matches`` (within 1%) / ``below`` the published number."""
    if ours >= published * (1 + MATCH_TOLERANCE):
        return "beats"
    return "matches" if ours >= published * (1 - MATCH_TOLERANCE) else "below"


def tfbind8_comparison(per_task: pd.DataFrame) -> pd.DataFrame:
    g = per_task[per_task["task"].str.startswith("tfbind8") & (per_task["n"] > 0)]
    rows = [{"method": r["method"], "our score (100th)": f"{r['mean']:.3f} ± {r['std']:.3f}", "seeds": r["n"]}
            for _, r in g.sort_values("rank").iterrows()]
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["published (RGD table / ranges)"] = ", ".join(f"{k} {v}" for k, v in TFBIND8.items())
        frame.loc[frame.index[1:], "published (RGD table / ranges)"] = ""
    return frame


def overview(per_task: pd.DataFrame, mean_rank: pd.DataFrame) -> pd.DataFrame:
    """Method x task table of mean score / D(best) (above 1 = beyond the data), methods in order of
    mean rank; a cell is empty where the method did not run on the task."""
    return _method_by_task(per_task, mean_rank, lambda r: f"{r['ratio_to_dbest']:.3f}"
                           + ("" if r["method"] == DBEST else f" ({int(r['n'])})"))


def score_table(per_task: pd.DataFrame, mean_rank: pd.DataFrame) -> pd.DataFrame:
    """Method x task table of the headline score itself, mean ± std over seeds (seeds in brackets),
    D(best) over every seed in its own row: the numbers a paper's table would print."""
    return _method_by_task(per_task, mean_rank, lambda r: f"{r['mean']:.4g} ± {r['std']:.2g} ({int(r['n'])})")


def _method_by_task(per_task: pd.DataFrame, mean_rank: pd.DataFrame, cell) -> pd.DataFrame:
    tasks = list(dict.fromkeys(per_task["task"]))
    by_key = {(r["method"], r["task"]): r for _, r in per_task.iterrows()}
    rank_of = mean_rank.set_index("method")["mean_rank"]
    rows = []
    for method in mean_rank["method"]:
        row = {"method": method}
        for task in tasks:
            found = by_key.get((method, task))
            row[task] = "" if found is None else (("failed" if found["failed"] > 0 else "not run")
                                                  if found["n"] == 0 else cell(found))
        row["mean rank"] = "" if np.isnan(rank_of[method]) else f"{rank_of[method]:.2f}"
        rows.append(row)
    return pd.DataFrame(rows)


def trial_costs(results: pd.DataFrame) -> pd.DataFrame:
    """Median wall-clock seconds per trial of each method (training, search, total) and the total
    compute its trials took: what a sweep of that method costs on the machine that ran it."""
    ok = results[results["status"] == "ok"]
    cols = [c for c in ("time_train_s", "time_search_s", "time_total_s") if c in ok]
    if ok.empty or not cols:
        return pd.DataFrame()
    table = ok.groupby("method")[cols].median().round(1)
    table.columns = [f"median {c[5:-2]} s" for c in cols]
    table["trials"] = ok.groupby("method").size()
    table["total h"] = (ok.groupby("method")[cols[-1]].sum() / 3600).round(2)
    return table.sort_values(table.columns[len(cols) - 1], ascending=False).reset_index()


def _with_wins(per_task: pd.DataFrame, mean_rank: pd.DataFrame) -> pd.DataFrame:
    """Mean-rank table plus, per method, on how many of its tasks its mean beats D(best)."""
    wins = per_task[per_task["method"] != DBEST].groupby("method")["beats_dbest"].apply(lambda b: int((b == "yes").sum()))
    table = mean_rank.copy()
    table["beats D(best) on"] = [
        "" if m == DBEST else f"{wins.get(m, 0)}/{int(t)}" for m, t in zip(table["method"], table["tasks"])
    ]
    return table


def _statistics(per_task: pd.DataFrame, cd_path: Path) -> tuple[list[str], Path | None]:
    """Friedman test, Nemenyi CD diagram and Wilcoxon tests over the methods run on every task."""
    result = compare(per_task)
    if "mean_ranks" not in result:
        return [f"Not enough common tasks for a test ({result.get('note')})."], None
    plot_cd(result, cd_path)
    table = pd.DataFrame([{"method": m, "mean rank": result["mean_ranks"][m],
                           "Wilcoxon p vs best": result["wilcoxon_vs_best"].get(m, float("nan"))}
                          for m in result["mean_ranks"]])
    return [
        f"{len(result['methods'])} methods run on every one of the {result['tasks']} tasks: Friedman test p = "
        f"{result['friedman_p']:.3g}; Nemenyi critical difference of mean ranks (alpha 0.05) = {result['cd']:.2f} "
        f"(two methods whose mean ranks differ by less are not told apart). Wilcoxon signed-rank p-values of "
        f"each method against the best-ranked `{result['best']}` (per-task score / D(best)):",
        "", _table(table),
    ], cd_path


def _sweep_line(sweep_dir: Path, frame: pd.DataFrame) -> str:
    config = {}
    if (sweep_dir / "sweep.json").exists():
        config = json.loads((sweep_dir / "sweep.json").read_text())
    status = frame["status"].value_counts().to_dict()
    return (f"- `{sweep_dir}`: sweep `{config.get('name', '?')}`, budget `{config.get('budget', '?')}`, "
            f"seeds {config.get('seeds', '?')}; {len(frame)} trials: "
            + ", ".join(f"{v} {k}" for k, v in status.items()))


def write_markdown(results: pd.DataFrame, sweep_dirs: Path | list[Path], out: Path,
                   notes: Path | None = None) -> Path:
    """Write the report for one sweep or several merged ones (``results`` tagged by a ``sweep``
    column, as :func:`dist_ombo.reporting.results.load_sweeps` returns)."""
    sweep_dirs = [Path(d) for d in (sweep_dirs if isinstance(sweep_dirs, (list, tuple)) else [sweep_dirs])]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    plots_dir = out.parent / "plots"
    plots = write_plots(results, sweep_dirs[0], plots_dir)
    per_task, mean_rank = leaderboard(results)
    lines = []
    for d in sweep_dirs:
        own = results[results["sweep"] == str(d)] if "sweep" in results else results
        lines.append(_sweep_line(d, own))
    command = f"dist-ombo report {' '.join(str(d) for d in sweep_dirs)} --markdown {out}"
    if notes is not None:
        command += f" --notes {notes}"
    parts = [
        "# Results",
        "",
        f"Generated by `{command}` from the results tables of:",
        "",
        *lines,
        "",
        "Headline score: " + "; ".join(f"{h.kind.upper()} tasks: {h.label}" for h in HEADLINES.values())
        + "; higher is better; mean ± std (ddof 0) over seeds; D(best) is ranked beside the methods.",
        "",
        "## Overview: mean score / D(best) per task (seeds in brackets)",
        "",
        _table(overview(per_task, mean_rank)),
        "",
        "## Scores: mean ± std over seeds (seeds in brackets)",
        "",
        _table(score_table(per_task, mean_rank)),
        "",
        "## Leaderboard per task",
    ]
    for task, g in per_task.groupby("task", sort=False):
        view = g.sort_values("rank")[["rank", "method", "mean", "std", "ratio_to_dbest", "beats_dbest",
                                      "seeds_beating", "failed"]]
        metric = g["metric"].iloc[0]
        parts += ["", f"### {task} ({by_metric(metric).label if isinstance(metric, str) else 'no finished trial'})", "", _table(view)]
    parts += ["", "## Mean rank over tasks", "", _table(_with_wins(per_task, mean_rank))]
    parts += ["", "## Statistical comparison", ""]
    by_kind = [(f"{h.kind.upper()} tasks ({h.label})", h.metric, f"_{h.kind}") for h in HEADLINES.values()]
    for title, metric, suffix in [("All tasks", None, ""), *by_kind]:
        group = per_task[per_task["method"] != DBEST]
        if metric is not None:
            group = group[group["metric"] == metric]
            if group.empty or group["task"].nunique() == per_task["task"].nunique():
                continue  # none, or the same as "All tasks"
        text, cd_plot = _statistics(group, plots_dir / f"critical_difference{suffix}.png")
        parts += [f"### {title}", "", *text, ""]
        if cd_plot is not None:
            plots.append(cd_plot)
    comp = published_comparison(per_task)
    parts += ["", "## Against published numbers (HV / D(best), Source A of published-results.md)", ""]
    parts.append(_table(comp) if not comp.empty else "No task in common with the published MOO tables.")
    tf = tfbind8_comparison(per_task)
    verdicts = list(comp["verdict"]) if not comp.empty else []
    if not tf.empty:
        ours = per_task[per_task["task"].str.startswith("tfbind8") & (per_task["method"] != DBEST)]["mean"].max()
        verdicts.append(verdict(ours, TFBIND8_BEST[0]))
        parts += ["", "## TF-Bind-8 against published scores", "",
                  f"Best published 100th-percentile score: {TFBIND8_BEST[0]} ({TFBIND8_BEST[1]}); our best: "
                  f"{ours:.3f} ({verdicts[-1]}).", "", _table(tf)]
    if verdicts:
        counts = {v: verdicts.count(v) for v in ("beats", "matches", "below")}
        parts += ["", f"**Our best method against the best published number, per task covered by both:** "
                  f"beats on {counts['beats']}, matches (within {MATCH_TOLERANCE:.0%}) on {counts['matches']}, "
                  f"below on {counts['below']} of {len(verdicts)} tasks."]
    costs = trial_costs(results)
    if not costs.empty:
        parts += ["", "## Cost per trial (wall-clock seconds on the machine that ran it)", "", _table(costs)]
    parts += ["", "## Plots", ""]
    for p in plots:
        parts.append(f"![{p.stem}]({os.path.relpath(p, out.parent)})")
    if notes is not None and Path(notes).exists():
        parts += ["", Path(notes).read_text().strip()]
    out.write_text("\n".join(parts) + "\n")
    return out
