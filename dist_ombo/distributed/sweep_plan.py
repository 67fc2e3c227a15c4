"""What a sweep would run if started now, and what it would cost, from trials already measured.

A comparison on CPU is limited by its cost, so before a long resume a user wants to know how many
trials are left per method and how many trial-hours they take. ``sweep --plan`` answers from
the sweep directory alone: it decides which trials are finished exactly as a run would (the files
on disk, ``trial_files.unfinished``), but reads only, starts no Ray and sets nothing aside.

Costs are the measured ``time_total_s`` of finished trials at the config's budget, in the sweep
directory and in any ``--costs-from`` directories. A (task, method) cell measured at least once
costs its median; another cell is estimated by a fit of log(time) = task effect + method effect
over the measured cells' medians, which carries a method's cost from the tasks where it ran to the ones
where it did not (an RE task with 60,000 training designs costs every method more than ZDT1 with
its 1,000). A cell whose task and method were never measured together with a common method or
task (not connected in the measured task-method graph) is reported as unmeasured, not guessed.

The fit is first made over the tasks with the same number of objectives as the cell's task: a
method's cost need not follow the other methods' from two objectives to four (qNEHVI's hypervolume
box decompositions took about four times as long on RE41 as on the three-objective RE tasks, while
most methods barely slowed down). Where the method has no measurement linked to the task among those
tasks, the fit over all tasks answers and the plan counts the trial as costed across objective
counts, so a reader knows which part of the figure is an extrapolation.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dist_ombo.distributed.sweep_config import GridPoint, SweepConfig
from dist_ombo.distributed.trial_files import TRIALS_DIR, unfinished
from dist_ombo.errors import DistOmboError
from dist_ombo.tasks import get_task


@dataclass(frozen=True)
class MethodPlan:
    """One method's share of what is left: ``estimated_s`` sums its estimable trials only."""

    method: str
    total: int
    left: int
    measured: int
    estimated_s: float
    unmeasured: int
    across_objectives: int = 0


@dataclass(frozen=True)
class SweepPlan:
    name: str
    out_dir: Path
    total: int
    finished: int
    max_concurrent: int | None
    methods: list[MethodPlan] = field(default_factory=list)

    @property
    def left(self) -> int:
        return self.total - self.finished

    @property
    def estimated_s(self) -> float:
        return sum(m.estimated_s for m in self.methods)

    @property
    def unmeasured(self) -> int:
        return sum(m.unmeasured for m in self.methods)

    @property
    def across_objectives(self) -> int:
        return sum(m.across_objectives for m in self.methods)


def measured_times(dirs: list[Path], budget: str) -> list[tuple[str, str, float]]:
    """``(task label, method label, time_total_s)`` of every finished trial at ``budget`` under the
    ``trials/`` folders of ``dirs``; labels are read from the trial folder's name, as the grid
    writes it (``task__method__seedN``)."""
    rows = []
    for d in dirs:
        for metrics_path in sorted((Path(d) / TRIALS_DIR).glob("*__*__seed*/metrics.json")):
            try:
                metrics = json.loads(metrics_path.read_text())
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                continue  # a damaged trial is not a measurement; the run will redo it
            seconds = metrics.get("time_total_s")
            if metrics.get("budget") != budget or not isinstance(seconds, (int, float)) or seconds <= 0:
                continue
            parts = metrics_path.parent.name.split("__")
            if len(parts) == 3:  # labels holding "__" cannot be told apart; not measurements
                rows.append((parts[0], parts[1], float(seconds)))
    return rows


def _components(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Connected components of the bipartite task-method graph of measured cells."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(node: tuple[str, str]) -> tuple[str, str]:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for task, method in pairs:
        parent[find(("task", task))] = find(("method", method))
    roots = {node: find(node) for node in list(parent)}
    ids = {root: i for i, root in enumerate(sorted(set(roots.values())))}
    return {node: ids[root] for node, root in roots.items()}


class LogAdditiveFit:
    """Median seconds per measured (task, method) cell; log(time) = task + method elsewhere."""

    def __init__(self, rows: list[tuple[str, str, float]]) -> None:
        cells: dict[tuple[str, str], list[float]] = defaultdict(list)
        for task, method, seconds in rows:
            cells[(task, method)].append(seconds)
        self.cell_median = {cell: float(np.median(v)) for cell, v in cells.items()}
        self.component = _components(set(cells))
        tasks = sorted({t for t, _ in cells})
        methods = sorted({m for _, m in cells})
        self._task_index = {t: i for i, t in enumerate(tasks)}
        self._method_index = {m: len(tasks) + i for i, m in enumerate(methods)}
        self._coef = np.zeros(len(tasks) + len(methods))
        if cells:
            design = np.zeros((len(cells), len(self._coef)))
            for i, (task, method) in enumerate(self.cell_median):
                design[i, self._task_index[task]] = 1.0
                design[i, self._method_index[method]] = 1.0
            target = np.log(list(self.cell_median.values()))
            # one row per cell (its median), so a cell's seed count does not weigh the fit;
            # minimum-norm least squares is well defined within each connected component
            self._coef = np.linalg.lstsq(design, target, rcond=None)[0]

    def seconds(self, task: str, method: str) -> float | None:
        """Estimated seconds of one trial of (task, method), or ``None`` when nothing measured
        links the two."""
        if (task, method) in self.cell_median:
            return self.cell_median[(task, method)]
        t, m = ("task", task), ("method", method)
        if t not in self.component or m not in self.component or self.component[t] != self.component[m]:
            return None
        return float(np.exp(self._coef[self._task_index[task]] + self._coef[self._method_index[method]]))


@dataclass(frozen=True)
class Estimate:
    seconds: float
    across_objectives: bool  # fitted from tasks with other objective counts than the cell's task


class CostModel:
    """Cost of a (task, method) trial: a measured cell's median, else the fit over the tasks with
    the task's objective count, else the fit over all tasks. A method's measured cells are its
    tasks measured, whether or not the planned grid holds them. ``objectives`` maps task labels to
    objective counts; without it (or for a label it lacks) only the fit over all tasks is used."""

    def __init__(self, rows: list[tuple[str, str, float]], objectives: dict[str, int] | None = None) -> None:
        self.objectives = dict(objectives or {})
        self.overall = LogAdditiveFit(rows)
        by_count: dict[int, list[tuple[str, str, float]]] = defaultdict(list)
        for row in rows:
            if row[0] in self.objectives:
                by_count[self.objectives[row[0]]].append(row)
        self.by_count = {n: LogAdditiveFit(r) for n, r in by_count.items()}

    @property
    def cell_median(self) -> dict[tuple[str, str], float]:
        return self.overall.cell_median

    def estimate(self, task: str, method: str) -> Estimate | None:
        """Estimated seconds of one trial of (task, method) and where they come from, or ``None``
        when nothing measured links the two."""
        n_obj = self.objectives.get(task)
        if n_obj in self.by_count:
            same = self.by_count[n_obj].seconds(task, method)
            if same is not None:
                return Estimate(same, False)
        overall = self.overall.seconds(task, method)
        return None if overall is None else Estimate(overall, n_obj is not None)

    def seconds(self, task: str, method: str) -> float | None:
        est = self.estimate(task, method)
        return None if est is None else est.seconds


def _objective_count(name: str, params: dict[str, Any]) -> int | None:
    try:
        return int(get_task(name, **params).n_obj)
    except (DistOmboError, TypeError, ValueError):
        return None  # a task this installation cannot build: its trials join the overall fit only


def task_objectives(points: list[GridPoint], dirs: list[Path]) -> dict[str, int]:
    """Objective count per task label: the grid's tasks from the task registry, other measured
    tasks from the ``config.json`` of one of their finished trials in ``dirs``."""
    counts: dict[str, int] = {}
    for p in points:
        if p.task_label not in counts:
            n_obj = _objective_count(p.trial.task, dict(p.trial.task_params or {}))
            if n_obj is not None:
                counts[p.task_label] = n_obj
    for d in dirs:
        for config_path in sorted((Path(d) / TRIALS_DIR).glob("*__*__seed*/config.json")):
            label = config_path.parent.name.split("__")[0]
            if label in counts:
                continue
            try:
                config = json.loads(config_path.read_text())
                name, params = config["task"], dict(config.get("task_params") or {})
            except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError):
                continue  # not readable: the run redoes that trial, and the label joins the overall fit
            n_obj = _objective_count(name, params)
            if n_obj is not None:
                counts[label] = n_obj
    return counts


def plan_sweep(config: SweepConfig, points: list[GridPoint], out_dir: Path,
               costs_from: list[Path] | None = None) -> SweepPlan:
    """Which of ``points`` (a checked grid) are finished in ``out_dir`` and what the rest cost.
    Reads files only."""
    out_dir = Path(out_dir)
    dirs = [out_dir, *(costs_from or [])]
    model = CostModel(measured_times(dirs, config.budget), task_objectives(points, dirs))
    left_of: dict[str, list[GridPoint]] = defaultdict(list)
    for p, _ in unfinished(points, out_dir / TRIALS_DIR):
        left_of[p.method_label].append(p)
    total_of: dict[str, int] = defaultdict(int)
    for p in points:
        total_of[p.method_label] += 1
    measured_of: dict[str, int] = defaultdict(int)
    for _, method in model.cell_median:
        measured_of[method] += 1
    methods = []
    for method, total in total_of.items():
        costs = [model.estimate(p.task_label, method) for p in left_of[method]]
        known = [c for c in costs if c is not None]
        methods.append(MethodPlan(method, total, len(costs), measured_of[method], sum(c.seconds for c in known),
                                  len(costs) - len(known), sum(c.across_objectives for c in known)))
    finished = len(points) - sum(len(v) for v in left_of.values())
    return SweepPlan(config.name, out_dir, len(points), finished, config.max_concurrent, methods)


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.1f}" if hours >= 1 else f"{hours:.2f}"


def format_plan(plan: SweepPlan) -> str:
    """The plan as the lines ``sweep --plan`` prints."""
    lines = [f"plan for sweep {plan.name!r} in {plan.out_dir}: {plan.total} trials, {plan.finished} finished, "
             f"{plan.left} to run"]
    if plan.left == 0:
        return "\n".join(lines)
    lines.append(f"{'method':28s} {'to run':>7s} {'of':>5s} {'tasks measured':>15s} {'trial-h':>8s}")
    for m in sorted(plan.methods, key=lambda m: (-m.estimated_s, m.method)):
        if m.left == 0:
            continue
        hours = _hours(m.estimated_s) if m.unmeasured < m.left else "?"
        notes = [f"{m.unmeasured} unmeasured"] if 0 < m.unmeasured < m.left else []
        if m.across_objectives:
            notes.append(f"{m.across_objectives} across objective counts")
        note = f"  ({'; '.join(notes)})" if notes else ""
        lines.append(f"{m.method:28s} {m.left:7d} {m.total:5d} {m.measured:15d} {hours:>8s}{note}")
    estimable = plan.left - plan.unmeasured
    if estimable:
        lines.append(f"estimate: {_hours(plan.estimated_s)} trial-hours for {estimable} of the {plan.left} trials "
                     f"left (median measured trial time per task and method; a log-additive task x method fit "
                     f"where a pair was not measured)")
    if plan.across_objectives:
        lines.append(f"  {plan.across_objectives} of them are costed from tasks with other objective counts (the "
                     f"method was never measured with their task's number of objectives): an extrapolation, "
                     f"the least certain part of the figure")
    if plan.max_concurrent and estimable:
        lines.append(f"  about {_hours(plan.estimated_s / plan.max_concurrent)} h of wall time at max_concurrent "
                     f"{plan.max_concurrent}, if trials run side by side as fast as they were measured")
    if plan.unmeasured:
        missing = ", ".join(m.method for m in plan.methods if m.unmeasured == m.left and m.left)
        lines.append(f"unmeasured: {plan.unmeasured} trials have no finished trial at this budget that links "
                     f"their task and method{f' (none of theirs: {missing})' if missing else ''}; "
                     f"--costs-from DIR adds another sweep directory's trials as measurements")
    return "\n".join(lines)
