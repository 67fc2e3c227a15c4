"""``dist-ombo report DIR --html FILE``: one self-contained HTML page.

Every image is a PNG embedded as a ``data:`` URI and the CSS is inline, so the file opens offline,
can be mailed, and shows the same thing wherever it is moved. Sections (each an ``id``): heatmap,
published, scores, leaderboards, pareto, statistics, costs. The numbers are the ones the Markdown
report prints; only the rendering differs.
"""

from __future__ import annotations

import base64
import html
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from dist_ombo.reporting.headline import HEADLINES, by_metric
from dist_ombo.reporting.leaderboard import leaderboard
from dist_ombo.reporting.markdown import (DBEST_NOTE, leaderboard_view, side_by_side, statistics_sections,
                                          tfbind8_comparison, tfbind8_sentence, trial_costs)
from dist_ombo.reporting.plots import write_plots
from dist_ombo.reporting.stats import plot_cd
from dist_ombo.reporting.verdicts import RULE_TEXT, dbest_disagreements

#: Section ids of the page, in order; a test checks each is present.
SECTIONS = ("heatmap", "published", "scores", "leaderboards", "pareto", "statistics", "costs")

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1440px;
       padding: 0 20px 40px; color: #222; line-height: 1.4; }
h1 { margin-bottom: 4px; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 2px; margin-top: 32px; }
nav a { margin-right: 14px; } p.note { color: #555; font-size: 0.9em; }
img { max-width: 100%; height: auto; display: block; margin: 8px 0; }
table { border-collapse: collapse; font-size: 0.85em; margin: 8px 0 16px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; } td.txt, td:first-child, th:first-child { text-align: left; }
tr:nth-child(even) td { background: #fafafa; }
td.beats { background: #d7ecd9 !important; } td.below { background: #f6d5d5 !important; }
.saturated { color: #8a5a00; font-weight: 600; }
.boards { display: grid; grid-template-columns: repeat(auto-fill, minmax(620px, 1fr)); gap: 4px 24px; }
.boards > div { overflow-x: auto; } .boards td.txt { white-space: nowrap; }
.figs { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 4px 24px; }
"""


def write_html(results: pd.DataFrame, sweep_dirs: list[Path], out: Path) -> Path:
    """Write the self-contained report page for one sweep or several merged ones."""
    sweep_dirs = [Path(d) for d in sweep_dirs]
    out = Path(out)
    per_task, mean_rank = leaderboard(results)
    with tempfile.TemporaryDirectory() as tmp:
        plots = {p.name: p for p in write_plots(results, sweep_dirs[0], Path(tmp))}
        stats = statistics_sections(per_task)
        for section in stats:
            if section.result is not None:
                path = Path(tmp) / f"critical_difference{section.suffix}.png"
                plot_cd(section.result, path)
                plots[path.name] = path
        images = {name: _data_uri(path) for name, path in plots.items()}
    comp, summary = side_by_side(results)
    body = [
        "<h1>dist-ombo results</h1>",
        "<p class='note'>" + _sources(results, sweep_dirs) + "</p>",
        "<p class='note'>Headline score: " + html.escape("; ".join(
            f"{h.kind.upper()} tasks: {h.label}" for h in HEADLINES.values()))
        + "; higher is better; mean ± std (ddof 0) over seeds.</p>",
        "<nav>" + "".join(f"<a href='#{s}'>{s}</a>" for s in SECTIONS) + "</nav>",
        _section("heatmap", "Method x task", _img(images, "heatmap.png", "method x task heatmap")),
        _section("published", "Against published numbers (Source A: HV / D(best))",
                 f"<p class='note'>Rule: {html.escape(RULE_TEXT)}</p>"
                 + (_verdict_table(comp) if not comp.empty else "")
                 + f"<p><b>{html.escape(summary)}</b></p>" + _disagreements(results) + _tfbind8(results, per_task)),
        _section("scores", "Score / D(best) per task", _img(images, "scores.png", "score ratio per task")),
        _section("leaderboards", "Leaderboard per task", _leaderboards(per_task)),
        _section("pareto", "Pareto fronts", _pareto(images)),
        _section("statistics", "Statistical comparison", _statistics(stats, images)),
        _section("costs", "Cost per trial (wall-clock seconds on the machine that ran it)", _costs(results)),
    ]
    page = ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>dist-ombo results</title>"
            f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def _img(images: dict[str, str], name: str, alt: str) -> str:
    if name not in images:
        return "<p>No finished trial to draw.</p>"
    return f"<img src='{images[name]}' alt='{html.escape(alt)}'>"


def _section(anchor: str, title: str, content: str) -> str:
    return f"<section id='{anchor}'><h2>{html.escape(title)}</h2>\n{content}\n</section>"


def _frame(frame: pd.DataFrame) -> str:
    """A table with numbers to 4 significant digits and a dash for a missing value."""
    def cell(v) -> str:
        if isinstance(v, (float, np.floating)):
            return "<td>—</td>" if np.isnan(v) else f"<td>{v:.4g}</td>"
        if isinstance(v, (int, np.integer)):
            return f"<td>{v}</td>"
        return f"<td class='txt'>{html.escape(str(v))}</td>"  # words read left-aligned

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _verdict_table(comp: pd.DataFrame) -> str:
    """The side-by-side, with the verdict cell coloured (green beats, red below)."""
    text = _frame(comp)
    for word in ("beats", "below"):
        text = text.replace(f"<td class='txt'>{word}</td>", f"<td class='txt {word}'>{word}</td>")
    return text


def _disagreements(results: pd.DataFrame) -> str:
    table = dbest_disagreements(results)
    if table.empty:
        return ""
    return (f"<p><b>D(best) or the dataset differs between trials of the same task and seed</b> ({html.escape(DBEST_NOTE)}):</p>"
            + _frame(table))


def _tfbind8(results: pd.DataFrame, per_task: pd.DataFrame) -> str:
    tf = tfbind8_comparison(per_task)
    if tf.empty:
        return ""
    return (f"<h3>TF-Bind-8 (normalized score)</h3><p>{html.escape(tfbind8_sentence(results))}</p>" + _frame(tf))


def _leaderboards(per_task: pd.DataFrame) -> str:
    boards = []
    for task, g in per_task.groupby("task", sort=False):
        metric = g["metric"].iloc[0]
        label = by_metric(metric).label if isinstance(metric, str) else "no finished trial"
        mark = " <span class='saturated'>saturated</span>" if g["saturated"].iloc[0] else ""
        boards.append(f"<div><h3>{html.escape(task)}{mark}</h3><p class='note'>{html.escape(label)}</p>"
                      + _frame(leaderboard_view(g)) + "</div>")
    return "<div class='boards'>" + "".join(boards) + "</div>"


def _pareto(images: dict[str, str]) -> str:
    names = sorted(n for n in images if n.startswith("pareto_"))
    if not names:
        return "<p>No 2- or 3-objective task with trial folders to draw.</p>"
    return "<div class='figs'>" + "".join(_img(images, n, n[:-4]) for n in names) + "</div>"


def _statistics(stats, images: dict[str, str]) -> str:
    parts = []
    for section in stats:
        parts.append(f"<h3>{html.escape(section.title)}</h3><p>{html.escape(section.text)}</p>")
        if section.result is not None:
            parts.append(_img(images, f"critical_difference{section.suffix}.png", "critical difference diagram"))
            parts.append(_frame(section.table))
    return "".join(parts) or "<p>No method finished a trial.</p>"


def _costs(results: pd.DataFrame) -> str:
    costs = trial_costs(results)
    return _frame(costs) if not costs.empty else "<p>No timings in these trials.</p>"


def _sources(results: pd.DataFrame, sweep_dirs: list[Path]) -> str:
    parts = []
    for d in sweep_dirs:
        own = results[results["sweep"] == str(d)] if "sweep" in results else results
        counts = own["status"].value_counts().to_dict()
        parts.append(f"{html.escape(str(d))}: {len(own)} trials (" + ", ".join(
            f"{v} {html.escape(str(k))}" for k, v in counts.items()) + ")")
    return "From " + "; ".join(parts) + "."
