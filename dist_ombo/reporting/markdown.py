"""``docs/results.md`` from a sweep directory: leaderboards, statistics, published comparison."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dist_ombo.reporting.headline import HEADLINES, by_metric
from dist_ombo.reporting.leaderboard import DBEST, leaderboard
from dist_ombo.reporting.plots import write_plots
from dist_ombo.reporting.published import TFBIND8, TFBIND8_BEST
from dist_ombo.reporting.stats import compare, plot_cd
from dist_ombo.reporting.verdicts import (RULE_TEXT, above_front, dbest_disagreements, published_comparison,
                                          score_comparison)


def _table(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(_cell(row[c]) for c in cols) + " |")
    return "\n".join(lines)


def _cell(v) -> str:
    if isinstance(v, (float, np.floating)):
        return "—" if np.isnan(v) else f"{v:.4g}"
    return str(v)


#: Columns of a per-task leaderboard table (``headroom`` only where some trial holds it).
LEADERBOARD_COLUMNS = ["rank", "method", "mean", "std", "ratio_to_dbest", "headroom", "beats_dbest",
                       "seeds_beating", "failed"]


#: How a report heads those columns.
LEADERBOARD_HEADERS = {"ratio_to_dbest": "x D(best)", "beats_dbest": "beats D(best)",
                       "seeds_beating": "seeds beating"}


def leaderboard_view(g: pd.DataFrame) -> pd.DataFrame:
    """One task's leaderboard rows as a report prints them, best first."""
    cols = [c for c in LEADERBOARD_COLUMNS if c != "headroom" or g["headroom"].notna().any()]
    return g.sort_values("rank")[cols].rename(columns=LEADERBOARD_HEADERS)


#: Why a D(best) disagreement is shown.
DBEST_NOTE = ("both should depend on task and seed alone; each trial's ratio uses its own D(best), "
              "so the trials below stand on slightly different datasets or reference points; `datasets` "
              "counts the distinct dataset checksums their trials recorded, 0 where none recorded one")


def side_by_side(results: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The published side-by-side table (one row per task with a published number) and a sentence
    counting its verdicts."""
    comp = published_comparison(results)
    if comp.empty:
        return comp, "No task in common with the published MOO tables."
    counts = comp["verdict"].value_counts()
    judged = int(sum(counts.get(v, 0) for v in ("beats", "matches", "below")))
    summary = (f"Best complete method against the best published HV / D(best), per task: beats on "
               f"{counts.get('beats', 0)}, matches on {counts.get('matches', 0)}, below on "
               f"{counts.get('below', 0)} of {judged} judged tasks"
               + (f" ({len(comp) - judged} not judged)" if judged < len(comp) else "") + ".")
    unreachable = comp[above_front(comp) & (comp["verdict"] == "below")]
    if counts.get("below", 0) and comp["front ratio"].notna().any():
        summary += (f" On {len(unreachable)} of the {counts['below']} below, the published ratio is above "
                    f"our front ratio, which no set of designs passes on our data"
                    + (f" ({', '.join(unreachable['task'])})" if len(unreachable) else "") + ".")
    return comp, summary


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
    """Method x task table of mean per-seed score / D(best) (above 1 = beyond the data), methods
    in order of mean rank; a cell is empty where the method did not run on the task."""
    return _method_by_task(per_task, mean_rank, lambda r: f"{r['ratio_to_dbest']:.3f}"
                           + ("" if r["method"] == DBEST else f" ({int(r['n'])})"))


def score_table(per_task: pd.DataFrame, mean_rank: pd.DataFrame) -> pd.DataFrame:
    """Method x task table of the headline score itself, mean ± std over seeds (seeds in brackets),
    D(best) over every seed in its own row: the numbers a paper's table would print."""
    return _method_by_task(per_task, mean_rank, lambda r: f"{r['mean']:.4g} ± {r['std']:.2g} ({int(r['n'])})")


def _method_by_task(per_task: pd.DataFrame, mean_rank: pd.DataFrame, cell) -> pd.DataFrame:
    tasks = list(dict.fromkeys(per_task["task"]))
    saturated = set(per_task.loc[per_task["saturated"], "task"]) if "saturated" in per_task else set()
    by_key = {(r["method"], r["task"]): r for _, r in per_task.iterrows()}
    rank_of = mean_rank.set_index("method")["mean_rank"]
    rows = []
    for method in mean_rank["method"]:
        row = {"method": method}
        for task in tasks:
            found = by_key.get((method, task))
            column = task + (" (saturated)" if task in saturated else "")
            row[column] = "" if found is None else (("failed" if found["failed"] > 0 else "not run")
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


@dataclass
class StatsSection:
    """One statistical comparison (all tasks, or one task kind): its title, a sentence, a table,
    and the result :func:`dist_ombo.reporting.stats.compare` returned (``None`` if too few tasks)."""

    title: str
    text: str
    table: pd.DataFrame
    result: dict | None
    suffix: str


def statistics_sections(per_task: pd.DataFrame) -> list[StatsSection]:
    """Friedman test, Nemenyi CD and Wilcoxon tests over the methods run on every task: once over
    all tasks, and per task kind where that is a different set."""
    sections = []
    by_kind = [(f"{h.kind.upper()} tasks ({h.label})", h.metric, f"_{h.kind}") for h in HEADLINES.values()]
    for title, metric, suffix in [("All tasks", None, ""), *by_kind]:
        group = per_task[per_task["method"] != DBEST]
        if metric is not None:
            group = group[group["metric"] == metric]
            if group.empty or group["task"].nunique() == per_task["task"].nunique():
                continue  # none, or the same as "All tasks"
        result = compare(group)
        if "mean_ranks" not in result:
            sections.append(StatsSection(title, f"Not enough common tasks for a test ({result.get('note')}).",
                                         pd.DataFrame(), None, suffix))
            continue
        table = pd.DataFrame([{"method": m, "mean rank": result["mean_ranks"][m],
                               "Wilcoxon p vs best": result["wilcoxon_vs_best"].get(m, float("nan"))}
                              for m in result["mean_ranks"]])
        text = (f"{len(result['methods'])} methods run on every one of the {result['tasks']} tasks: Friedman test "
                f"p = {result['friedman_p']:.3g}; Nemenyi critical difference of mean ranks (alpha 0.05) = "
                f"{result['cd']:.2f} (two methods whose mean ranks differ by less are not told apart). Wilcoxon "
                f"signed-rank p-values of each method against the best-ranked `{result['best']}` (per-task score / "
                f"D(best)):")
        sections.append(StatsSection(title, text, table, result, suffix))
    return sections


def tfbind8_sentence(results: pd.DataFrame) -> str:
    """Our best complete TF-Bind-8 method against the best published score, under the same rule."""
    method, j = score_comparison(results, "tfbind8", TFBIND8_BEST[0])
    if not method:
        return f"Best published 100th-percentile score: {TFBIND8_BEST[0]} ({TFBIND8_BEST[1]}); no complete method here."
    return (f"Best published 100th-percentile score: {TFBIND8_BEST[0]} ({TFBIND8_BEST[1]}); our best complete "
            f"method: {method} {j.mean:.3f} ± {j.se:.3f} (SE over {j.n} seeds): {j.verdict}.")


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
    column, as :func:`dist_ombo.reporting.results.load_sweeps` returns). It opens with the method x
    task heatmap and the published side-by-side, then the tables behind them."""
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
    heatmap = plots_dir / "heatmap.png"
    comp, summary = side_by_side(results)
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
    ]
    if heatmap.exists():
        parts += [f"![method x task heatmap]({os.path.relpath(heatmap, out.parent)})", ""]
    parts += ["## Against published numbers (HV / D(best), Source A of published-results.md)", "",
              f"Rule: {RULE_TEXT}", "", _table(comp) if not comp.empty else "", "", f"**{summary}**"]
    if per_task["task"].str.startswith("tfbind8").any():
        parts += ["", f"TF-Bind-8 (same rule on the normalized score): {tfbind8_sentence(results)}"]
    disagree = dbest_disagreements(results)
    if not disagree.empty:
        parts += ["", f"**D(best) or the dataset differs between trials of the same task and seed** ({DBEST_NOTE}):", "",
                  _table(disagree)]
    parts += [
        "",
        "## Overview: mean over seeds of score / D(best) of the same seed (seeds in brackets)",
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
        metric = g["metric"].iloc[0]
        heading = f"{task} ({by_metric(metric).label if isinstance(metric, str) else 'no finished trial'})"
        if g["saturated"].iloc[0]:
            heading += " (saturated)"
        parts += ["", f"### {heading}", "", _table(leaderboard_view(g))]
    parts += ["", "## Mean rank over tasks", "", _table(_with_wins(per_task, mean_rank))]
    parts += ["", "## Statistical comparison", ""]
    for section in statistics_sections(per_task):
        parts += [f"### {section.title}", "", section.text, ""]
        if section.result is not None:
            cd_plot = plots_dir / f"critical_difference{section.suffix}.png"
            plot_cd(section.result, cd_plot)
            plots.append(cd_plot)
            parts += [_table(section.table), ""]
    tf = tfbind8_comparison(per_task)
    if not tf.empty:
        parts += ["", "## TF-Bind-8 against published scores", "", tfbind8_sentence(results), "", _table(tf)]
    costs = trial_costs(results)
    if not costs.empty:
        parts += ["", "## Cost per trial (wall-clock seconds on the machine that ran it)", "", _table(costs)]
    parts += ["", "## Plots", ""]
    for p in plots:
        if p != heatmap:
            parts.append(f"![{p.stem}]({os.path.relpath(p, out.parent)})")
    if notes is not None and Path(notes).exists():
        parts += ["", Path(notes).read_text().strip()]
    out.write_text("\n".join(parts) + "\n")
    return out
