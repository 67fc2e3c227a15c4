"""The headline metric of each task kind: the one table leaderboards, plots, Markdown and the CLI read.

A trial's metrics are computed in ``dist_ombo.runner.score``; naming one here as the headline (or
as a detail the one-line trial summary prints) is all a report needs. Higher is better for every
headline; D(best) is the same metric of the best designs the data already holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Headline:
    """``metric``: the results column ranked; ``dbest``: the same for D(best); ``label``: how a
    table heading names it; ``short``: how a plot title names it; ``details``: further columns a
    trial summary prints (``(column, label)``) when present."""

    kind: str
    metric: str
    dbest: str
    label: str
    short: str
    details: tuple[tuple[str, str], ...] = ()


HEADLINES: dict[str, Headline] = {
    "moo": Headline("moo", "hv", "hv_dbest", "HV (Off-MOO-Bench)", "HV", details=(("igd", "IGD"),)),
    "soo": Headline("soo", "score_100th", "score_dbest", "normalized score, 100th pct", "score",
                    details=(("score_50th", "50th"),)),
}


def by_metric(metric: str) -> Headline:
    """The headline whose ranked column is ``metric``."""
    for headline in HEADLINES.values():
        if headline.metric == metric:
            return headline
    raise KeyError(f"no headline metric {metric!r}; headlines: {', '.join(h.metric for h in HEADLINES.values())}")


def of_metrics(metrics: Mapping[str, Any]) -> Headline:
    """The headline of one trial's metrics (the kind whose metric they hold)."""
    for headline in HEADLINES.values():
        if headline.metric in metrics and metrics[headline.metric] is not None:
            return headline
    raise KeyError(f"these metrics hold no headline metric ({', '.join(h.metric for h in HEADLINES.values())})")


def format_trial(m: Mapping[str, Any]) -> str:
    """A short human summary of one trial's metrics."""
    h = of_metrics(m)
    head = f"{m['task']} / {m['method']} / seed {m['seed']} ({m['budget']} budget): "
    ratio = m[h.metric] / m[h.dbest] if m[h.dbest] else float("nan")
    body = f"{h.short} {m[h.metric]:.4f} vs D(best) {m[h.dbest]:.4f} (ratio {ratio:.3f})"
    body += "".join(f", {label} {m[col]:.4f}" for col, label in h.details if col in m)
    verdict = "beats D(best)" if m["beats_dbest"] else "does not beat D(best)"
    times = ", ".join(f"{k[5:-2]} {m[k]:.1f}s" for k in
                      ("time_dataset_s", "time_train_s", "time_search_s", "time_total_s"))
    return f"{head}{body}: {verdict}\ndiversity {m['diversity']:.4f}, novelty {m['novelty']:.4f}; {times}"


def headline_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``metric``, ``score`` and ``score_dbest`` columns: each row's headline metric (the first
    kind in ``HEADLINES`` whose metric the row holds) and its D(best)."""
    frame = frame.copy()
    frame["metric"] = None
    frame["score"] = np.nan
    dbest = pd.Series(np.nan, index=frame.index)
    for h in HEADLINES.values():
        if h.metric not in frame:
            continue
        rows = frame["metric"].isna() & frame[h.metric].notna()
        frame.loc[rows, "metric"] = h.metric
        frame.loc[rows, "score"] = frame.loc[rows, h.metric]
        if h.dbest in frame:
            dbest[rows] = frame.loc[rows, h.dbest]
    frame["score_dbest"] = dbest
    return frame
