"""Honest comparisons: which methods are complete, which tasks are saturated, and the verdict rule
against a published number.

Only a method that finished every seed the sweep holds for a task is judged: a method that
finished the lucky seeds only would otherwise be compared on a different sample. Its ratio on
each seed is HV / D(best) of that same seed (D(best) is a function of task and seed, so a
method's numerator and denominator always stand on one dataset).

The rule (:func:`judge`): ``beats`` when our mean over seeds exceeds the published number by more
than the standard error of our seed values (std with ddof 1 / sqrt(n)), ``below`` when it falls
short by more than that, else ``matches``. One standard error is a modest bar (about a 84%
one-sided band under a normal model); a t-interval at 95% would need ~4.3 standard errors with
three seeds and would call nearly everything a match. The published number carries no seed error
we can use (papers print one number per task, on another dataset release), so only ours enters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from dist_ombo.metrics import SATURATION_HEADROOM, is_saturated
from dist_ombo.reporting.headline import HEADLINES, headline_columns
from dist_ombo.reporting.published import MOO_SOURCE_A, scale_note

#: A one-line statement of the rule, printed by every report that gives a verdict.
RULE_TEXT = (
    "Only methods that finished every seed of the sweep for the task are judged (others are listed "
    "as incomplete). Our value = mean over those seeds of each seed's HV / D(best) of the same seed "
    "(SOO: the score itself); SE = std over seeds (ddof 1) / sqrt(seeds). Verdict against the "
    "published value P: beats if mean - P > SE, below if mean - P < -SE, otherwise matches; "
    "a single seed has no SE and is not judged. A task is saturated when its best complete "
    f"method's headroom exceeds {SATURATION_HEADROOM} on every seed. A task whose published numbers "
    "stand on different HV scales (scale note) is shown but not judged. Front ratio = HV of the "
    "task's reference Pareto front / D(best), mean over the same seeds: the highest ratio any set "
    "of designs reaches on our datasets (computed fronts approximate the true one from below, "
    "within about 0.1% up to three objectives and more roughly with four and six); a published "
    "ratio above it was measured on other data or another normalization, and no method reaches "
    "it here."
)


@dataclass(frozen=True)
class Judgement:
    verdict: str  # beats / matches / below / not judged
    mean: float
    se: float
    n: int


def judge(values: Sequence[float], published: float) -> Judgement:
    """The verdict of our per-seed ``values`` against one ``published`` number (see module doc)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return Judgement("not judged", float("nan"), float("nan"), 0)
    mean = float(x.mean())
    if n < 2:
        return Judgement("not judged", mean, float("nan"), n)
    se = float(x.std(ddof=1) / np.sqrt(n))
    diff = mean - published
    word = "beats" if diff > se else "below" if diff < -se else "matches"
    return Judgement(word, mean, se, n)


def trial_ratios(results: pd.DataFrame) -> pd.DataFrame:
    """Finished trials with ``score``, ``score_dbest`` and ``ratio`` = score / D(best) of its own seed."""
    ok = headline_columns(results[results["status"] == "ok"])
    ok = ok[ok["score"].notna()].copy()
    ok["ratio"] = ok["score"] / ok["score_dbest"]
    return ok


def sweep_seeds(results: pd.DataFrame) -> dict[str, set]:
    """Task -> every seed the table holds for it (any status: a missing or failed trial still
    belongs to the sweep's seeds)."""
    return {task: set(g["seed"]) for task, g in results.groupby("task", sort=False)}


def completeness(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (task, method): seeds finished, seeds in the sweep, and whether it is complete."""
    seeds = sweep_seeds(results)
    done = results[results["status"] == "ok"].groupby(["task", "method"])["seed"].apply(set)
    rows = []
    for (task, method), _ in results.groupby(["task", "method"], sort=False):
        finished = done.get((task, method), set())
        rows.append({"task": task, "method": method, "finished": len(finished & seeds[task]),
                     "seeds": len(seeds[task]), "complete": seeds[task] <= finished})
    return pd.DataFrame(rows, columns=["task", "method", "finished", "seeds", "complete"])


def method_ratios(results: pd.DataFrame) -> pd.DataFrame:
    """Per (task, method) over its finished seeds: mean and std (ddof 0) of the per-seed ratio,
    mean D(best) of the same seeds, mean headroom (NaN where a trial lacks it), and completeness."""
    ok = trial_ratios(results)
    if "headroom" not in ok:
        ok["headroom"] = np.nan
    agg = ok.groupby(["task", "method"], sort=False).agg(
        ratio=("ratio", "mean"), ratio_std=("ratio", lambda r: float(np.std(r, ddof=0))),
        score=("score", "mean"), dbest=("score_dbest", "mean"), metric=("metric", "first"),
        headroom=("headroom", lambda h: h.mean() if h.notna().all() else np.nan),
    ).reset_index()
    return agg.merge(completeness(results), on=["task", "method"], how="left")


def saturated_tasks(results: pd.DataFrame) -> set[str]:
    """Tasks whose best complete method (by mean ratio) has headroom above
    :data:`SATURATION_HEADROOM` on every seed. A task whose trials lack headroom is never saturated."""
    ok = trial_ratios(results)
    if "headroom" not in ok:
        return set()
    table = method_ratios(results)
    saturated = set()
    for task, g in table[table["complete"]].groupby("task", sort=False):
        best = g.sort_values("ratio", ascending=False).iloc[0]["method"]
        h = ok[(ok["task"] == task) & (ok["method"] == best)]["headroom"]
        if is_saturated(h.to_numpy()):
            saturated.add(task)
    return saturated


def published_comparison(results: pd.DataFrame) -> pd.DataFrame:
    """One row per MOO task with a published Source A number: our best complete method (by mean
    per-seed ratio), our D(best) (mean over the same seeds), its ratio ± SE, the front ratio of the
    same seeds (the ceiling of any ratio on our data; NaN without a reference front), the published
    best ratio, the verdict, the methods left out as incomplete, and the task's scale note: a task
    whose published ratio is not comparable (``published.SCALE_NOTES``) gets the verdict "not
    comparable"."""
    table = method_ratios(results)
    saturated = saturated_tasks(results)
    ok = trial_ratios(results)
    status = completeness(results)
    rows = []
    for task, g in table.groupby("task", sort=False):
        base = task.split("-")[0]
        if base not in MOO_SOURCE_A or g["metric"].iloc[0] != HEADLINES["moo"].metric:
            continue
        dbest_pub, mm, best, by = MOO_SOURCE_A[base]
        published = best / dbest_pub
        note = scale_note(task)
        complete = g[g["complete"]]
        incomplete = status[(status["task"] == task) & ~status["complete"]]  # not run at all included
        row = {"task": task, "saturated": "yes" if task in saturated else "",
               "published best ratio": published, "by": by, "published MM ratio": mm / dbest_pub}
        if complete.empty:
            row.update({"our best method": "", "seeds": 0, "our D(best)": np.nan, "our HV": np.nan,
                        "our ratio": np.nan, "SE": np.nan, "front ratio": np.nan, "ratio difference": np.nan,
                        "verdict": "no complete method"})
        else:
            top = complete.sort_values("ratio", ascending=False).iloc[0]
            seeds = ok[(ok["task"] == task) & (ok["method"] == top["method"])]
            j = judge(seeds["ratio"], published)
            row.update({"our best method": top["method"], "seeds": j.n, "our D(best)": seeds["score_dbest"].mean(),
                        "our HV": seeds["score"].mean(), "our ratio": j.mean, "SE": j.se,
                        "front ratio": front_ratio(seeds), "ratio difference": j.mean - published,
                        "verdict": j.verdict})
            if note is not None and not note.ratio_comparable:
                row.update({"ratio difference": np.nan, "verdict": "not comparable"})
        row["incomplete (not judged)"] = ", ".join(
            f"{r['method']} {int(r['finished'])}/{int(r['seeds'])}"
            for _, r in incomplete.sort_values("finished", ascending=False, kind="stable").iterrows())
        row["scale note"] = note.reason if note is not None else ""
        rows.append(row)
    columns = ["task", "saturated", "our best method", "seeds", "our D(best)", "our HV", "our ratio", "SE",
               "front ratio", "published best ratio", "by", "published MM ratio", "ratio difference", "verdict",
               "incomplete (not judged)", "scale note"]
    return pd.DataFrame(rows, columns=columns)


def front_ratio(trials: pd.DataFrame) -> float:
    """Mean over ``trials`` (one per seed) of the reference front's HV / D(best): the highest HV /
    D(best) any set of designs reaches on those seeds' data. NaN unless every trial has a front."""
    if "hv_front" not in trials or trials.empty or trials["hv_front"].isna().any():
        return float("nan")
    return float((trials["hv_front"] / trials["score_dbest"]).mean())


def above_front(comp: pd.DataFrame) -> pd.Series:
    """Rows of a :func:`published_comparison` table whose published best ratio is above our front
    ratio: a gap no method can close on our data."""
    return comp["front ratio"].notna() & (comp["published best ratio"] > comp["front ratio"])


def score_comparison(results: pd.DataFrame, task_prefix: str, published: float) -> tuple[str, Judgement]:
    """The best complete method on tasks starting with ``task_prefix`` judged on its raw scores
    against ``published`` (SOO tables print scores, not ratios): ``(method, judgement)``."""
    table = method_ratios(results)
    g = table[table["task"].str.startswith(task_prefix) & table["complete"]]
    if g.empty:
        return "", judge([], published)
    top = g.sort_values("score", ascending=False).iloc[0]
    ok = trial_ratios(results)
    seeds = ok[(ok["task"] == top["task"]) & (ok["method"] == top["method"])]
    return str(top["method"]), judge(seeds["score"], published)


def dbest_disagreements(results: pd.DataFrame, rtol: float = 1e-9) -> pd.DataFrame:
    """(task, seed) pairs whose trials report different D(best) values or recorded different
    dataset checksums. Both should be functions of task and seed alone; a disagreement means trials
    stand on different datasets or reference points (e.g. datasets rebuilt on other machines, or
    run by different code versions) and their ratios do not compare. ``datasets`` counts the
    distinct checksums recorded (0: no trial of the pair recorded one)."""
    ok = trial_ratios(results)
    rows = []
    for (task, seed), g in ok.groupby(["task", "seed"], sort=False):
        lo, hi = g["score_dbest"].min(), g["score_dbest"].max()
        checksums = g["dataset_sha256"].dropna().nunique() if "dataset_sha256" in g else 0
        if hi - lo > rtol * max(abs(hi), abs(lo)) or checksums > 1:
            values = g.groupby("score_dbest")["method"].apply(lambda m: ", ".join(m))
            rows.append({"task": task, "seed": seed, "D(best) values": len(values),
                         "relative spread": (hi - lo) / max(abs(hi), abs(lo)), "datasets": checksums,
                         "methods per value": "; ".join(f"{v:.6g}: {m}" for v, m in values.items())})
    return pd.DataFrame(rows, columns=["task", "seed", "D(best) values", "relative spread", "datasets",
                                       "methods per value"])
