"""The sweep controller: a Ray Tune experiment with one trial per (task, method, seed).

Each trial runs ``runner.run_trial`` inside its own placement group: a trial whose training is one
piece trains in its own worker on the bundle's CPUs/GPU; one that splits an ensemble over several
actors, or trains a generator beside its surrogate, gets an empty head bundle plus one bundle per
training actor, so child actors always find their resources and nothing deadlocks. Failing trials are retried ``retries`` times and then recorded
with their error while the rest go on. An interrupted sweep resumes: a trial whose files on disk
hold an intact result of its configuration is never trained again, and a new Tune experiment runs
the rest. Trials share trained models through ``<out>/models/`` (``dist_ombo.model_store``): each
distinct model is trained once, by a trial started ahead of those that reuse it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
import traceback
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
from ray import tune

from dist_ombo.distributed.cluster import init_ray
from dist_ombo.distributed.config_checks import checked_grid
from dist_ombo.distributed.sweep_config import GridPoint, SweepConfig, expand_grid
from dist_ombo.distributed.sweep_config import default_sweep_config  # noqa: F401 - its old home, used by examples/
from dist_ombo.distributed.sweep_lock import SweepLock
from dist_ombo.distributed.sweep_interrupt import StopOnCtrlC
from dist_ombo.distributed.sweep_progress import SweepPrinter, TuneProgress, quiet_tune
from dist_ombo.distributed.trial_files import OTHER_CONFIG, TRIALS_DIR, result_problem, set_aside, unfinished
from dist_ombo.errors import DistOmboError
from dist_ombo.io import write_text_atomic
from dist_ombo.reporting.results import collect_results, write_results
from dist_ombo.tasks.cache import write_parquet_atomic

MODELS_DIR = "models"  # the sweep's model store: each distinct model trained once (dist_ombo.model_store)


def _report_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """Tune accepts only plain scalars."""
    return {k: v for k, v in metrics.items() if isinstance(v, (int, float, bool, str))}


def sweep_trial(config: dict[str, Any]) -> None:
    """Tune's function trainable: one (task, method, seed)."""
    import torch

    from dist_ombo.distributed.actors import in_process_trainer, ray_trainer
    from dist_ombo.model_store import ModelStore
    from dist_ombo.runner import TrialConfig, run_trial, trial_settings_hash, write_json_atomic

    trial = TrialConfig.from_dict(config["point"]["trial"])
    out = Path(config["out_dir"]) / TRIALS_DIR / config["point"]["trial_id"]
    # finished and intact (e.g. by an earlier attempt)
    if result_problem(out, trial.to_dict(), trial_settings_hash(trial)) is None:
        tune.report(_report_metrics({**json.loads((out / "metrics.json").read_text()), "reused": True}))
        return
    set_aside(out)  # a stale or damaged result is replaced, never reused
    torch.set_num_threads(max(1, int(trial.train_actors * trial.cpus_per_actor)))
    out.mkdir(parents=True, exist_ok=True)
    try:
        if _pieces(trial) > 1:  # child actors in this trial's placement group, in parallel
            trainer = ray_trainer(trial.train_actors, trial.cpus_per_actor, trial.gpus_per_actor)
        else:  # this worker holds the single bundle: train here
            trainer = in_process_trainer()
        store = ModelStore(config["models_dir"]) if config.get("models_dir") else None
        result = run_trial(trial, out_dir=out, trainer=trainer, model_store=store)
    except Exception as exc:
        write_json_atomic(out / "error.json", {
            "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(), "time": time.time(),
        })
        raise
    (out / "error.json").unlink(missing_ok=True)
    import ray

    where = {  # for Tune's own records only (not the trial's metrics): which nodes did the work
        "trial_node": ray.get_runtime_context().get_node_id(),
        "actor_nodes": ",".join(sorted({p["node_id"] for p in getattr(trainer, "placements", [])})),
    }
    tune.report(_report_metrics({**result.metrics, "reused": False, **where}))


def _pieces(trial) -> int:
    from dist_ombo.distributed.actors import n_training_pieces
    spec = trial.method_spec()
    return n_training_pieces(spec.scheme, spec.generator, trial.train_actors)


def trial_resources(config: dict[str, Any]) -> tune.PlacementGroupFactory:
    """One placement group per trial. A trial with one training piece runs it in the trial's own
    worker (one bundle: no extra process per trial); otherwise an empty head bundle plus one
    bundle per training actor, so child actors always find their resources (ray-notes.md)."""
    from dist_ombo.runner import TrialConfig

    trial = TrialConfig.from_dict(config["point"]["trial"])
    bundle: dict[str, float] = {"CPU": trial.cpus_per_actor}
    if trial.gpus_per_actor > 0:
        bundle["GPU"] = trial.gpus_per_actor
    pieces = _pieces(trial)
    if pieces <= 1:
        return tune.PlacementGroupFactory([bundle])
    return tune.PlacementGroupFactory([{}] + [dict(bundle)] * pieces, strategy="PACK")


def config_json(config: SweepConfig) -> str:
    """The ``sweep.json`` text of a config: what a sweep directory records and is compared with."""
    return json.dumps(asdict(config), indent=2, default=str)


def config_change_note(path: Path, config: SweepConfig) -> str | None:
    """What a user should know when a sweep directory that held another configuration is reused:
    its finished trials stay and are reused where their trial configuration matches, but the
    directory's results table and report now cover this configuration's grid only."""
    if not path.exists():
        return None
    old = json.loads(path.read_text())
    new = json.loads(config_json(config))
    if old == new:
        return None
    if old.get("name") == new.get("name"):
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        return (f"note: sweep {config.name!r} in {path.parent} changed ({', '.join(changed)}); finished trials "
                f"with the same configuration are reused, not rerun")
    return (f"note: {path.parent} held sweep {old.get('name', '?')!r} ({len(old.get('tasks', []))} tasks, "
            f"seeds {old.get('seeds', '?')}); it now holds {config.name!r}. Finished trials of both stay in "
            f"{TRIALS_DIR}/ and a trial with the same configuration is reused, not rerun; the results table "
            f"and `dist-ombo report` cover {config.name!r}'s grid until its config is run here again.")


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the sweep: Tune stopped its trials, finished trial folders stay and the
    results table of what finished was written; rerunning the same sweep resumes it."""

    def __init__(self, out_dir: Path, finished: int, total: int) -> None:
        super().__init__(f"interrupted with {finished} of {total} trials finished in {out_dir}")
        self.out_dir, self.finished, self.total = out_dir, finished, total


def run_sweep(config: SweepConfig, out_dir: str | Path, verbose: int = 0,
              model_store: bool = True) -> pd.DataFrame:
    """Run (or resume) a sweep into ``out_dir``; returns the tidy results table, also written to
    ``out_dir/results.parquet``. With ``model_store`` trials share ``out_dir/models/``: each
    distinct model is trained once and the trials that share it search from the stored weights.

    ``verbose`` 0 prints a status line and one line per ended trial (``sweep_progress``) and Ray's
    warnings only; 1-3 add Tune's own tables at that verbosity, Ray's info lines and the trial
    workers' output, and list each skipped (incompatible) pair. Ctrl-C raises ``SweepInterrupted``
    once the finished trials' table is written.

    The whole config is checked before Ray starts or a file is written; ``out_dir`` is then locked
    for this sweep alone (a second sweep into it stops with the holder's PID and host). Which
    trials run is decided by their files on disk (``trial_files``), never by Tune's saved state, so
    a deleted or damaged trial folder is run again.
    """
    out_dir = Path(out_dir).resolve()
    points, skipped = checked_grid(config, expand_grid(config))  # every config problem before Ray starts or a file is written
    if out_dir.exists() and not out_dir.is_dir():
        raise DistOmboError(f"sweep directory {out_dir} is an existing file; choose another --out")
    with SweepLock(out_dir) as lock:
        if lock.took_over:
            print(f"note: took over {lock.path}, left by PID {lock.took_over.get('pid')} on "
                  f"{lock.took_over.get('host')}, which is no longer running")
        return _run_locked(config, out_dir, points, skipped, verbose, model_store)


def _run_locked(config: SweepConfig, out_dir: Path, points: list[GridPoint], skipped: list[str],
                verbose: int, model_store: bool = True) -> pd.DataFrame:
    change = config_change_note(out_dir / "sweep.json", config)
    if change:
        print(change)
    write_text_atomic(out_dir / "sweep.json", config_json(config))
    print_skipped(skipped, verbose)
    errors: dict[str, str] = {}
    interrupted = False
    try:
        if config.selection is not None:
            init_ray(quiet=verbose == 0)
            points = apply_selection(points, select_offline(config, points, out_dir, verbose))
        pending = pending_points(points, out_dir / TRIALS_DIR)
        if not pending:
            print(f"all {len(points)} trials finished earlier and their files are intact; nothing to run")
        else:
            if len(pending) < len(points):
                print(f"resuming: {len(points) - len(pending)} of {len(points)} trials finished earlier, "
                      f"{len(pending)} to run")
            init_ray(quiet=verbose == 0)
            errors, interrupted = _fit(config, out_dir, pending, verbose,
                                       out_dir / MODELS_DIR if model_store else None)
    except KeyboardInterrupt:  # a second Ctrl-C, or one before Tune took over SIGINT
        interrupted = True
    table = collect_results(out_dir / TRIALS_DIR, points, errors)
    write_results(table, out_dir / "results.parquet")
    if interrupted:
        raise SweepInterrupted(out_dir, int((table["status"] == "ok").sum()), len(table))
    return table


def print_skipped(skipped: list[str], verbose: int) -> None:
    """Incompatible (task, method) pairs of a user's config: one summary line, each with --verbose."""
    if not skipped:
        return
    if verbose:
        for note in skipped:
            print(f"skipped (incompatible): {note}")
    else:
        print(f"skipped {len(skipped)} incompatible task-method pair{'s' if len(skipped) != 1 else ''}; "
              f"--verbose lists them")


def pending_points(points: list[GridPoint], trials_dir: Path) -> list[GridPoint]:
    """The points whose folder holds no intact result of their configuration. A damaged or
    inconsistent result, or one whose method settings changed since, is set aside (renamed) with a
    one-line note, so it is never reused."""
    pending = []
    for p, problem in unfinished(points, trials_dir):
        if (trials_dir / p.trial_id / "metrics.json").exists():
            moved = set_aside(trials_dir / p.trial_id)
            if problem != OTHER_CONFIG:
                print(f"trial {p.trial_id}: {problem}; set aside as {moved.name} and run again")
        pending.append(p)
    return pending


def _fit(config: SweepConfig, out_dir: Path, points: list[GridPoint], verbose: int,
         models_dir: Path | None = None) -> tuple[dict[str, str], bool]:
    """One Tune experiment over ``points``; returns the error of each trial that failed for good,
    and whether Ctrl-C stopped it (``sweep_interrupt``). Each run is a fresh experiment: what is
    finished is known from the trial folders. With a model store, the trials that train a model
    start before the trials that will reuse it."""
    if models_dir is not None:
        from dist_ombo.model_plan import trainers_first

        points = [points[i] for i in trainers_first([p.trial for p in points])]
    labels = {p.trial_id: f"{p.task_label} / {p.method_label} / seed {p.trial.seed}" for p in points}
    progress = TuneProgress(SweepPrinter(len(points), labels, live=None if verbose == 0 else False),
                            out_dir / TRIALS_DIR)
    ctrl_c = StopOnCtrlC()
    param_space = {
        "point": tune.grid_search([{"trial_id": p.trial_id, "trial": p.trial.to_dict()} for p in points]),
        "out_dir": str(out_dir),
        "models_dir": None if models_dir is None else str(models_dir),
    }
    tuner = tune.Tuner(
        tune.with_resources(sweep_trial, trial_resources),
        param_space=param_space,
        tune_config=tune.TuneConfig(
            reuse_actors=True,
            max_concurrent_trials=config.max_concurrent,
            trial_dirname_creator=lambda t: t.config["point"]["trial_id"],
            trial_name_creator=lambda t: t.config["point"]["trial_id"],
        ),
        run_config=tune.RunConfig(
            name=f"{config.name}-{config.digest()}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}",
            storage_path=str(out_dir / "tune"),
            failure_config=tune.FailureConfig(max_failures=config.retries, fail_fast=False),
            verbose=verbose,
            callbacks=[progress],
            stop=ctrl_c,
        ),
    )
    with quiet_tune(verbose == 0), ctrl_c:
        results = tuner.fit()
    errors = {}
    for result in results:
        if result.error is not None:
            # A trial lost with its node may come back without a config; its folder is named by trial id.
            trial_id = result.config["point"]["trial_id"] if result.config else Path(result.path).name
            errors[trial_id] = f"{type(result.error).__name__}: {result.error}"
    return errors, ctrl_c.pressed


def selection_trial(config: dict[str, Any]) -> None:
    """Tune trainable of the selection stage: one (task, method, seed, candidate) -> offline score."""
    import torch

    from dist_ombo.pipeline import resolve_configs
    from dist_ombo.runner import TrialConfig, task_problem
    from dist_ombo.selection import offline_scores
    from dist_ombo.tasks import get_task

    torch.set_num_threads(1)
    base = TrialConfig.from_dict(config["point"]["trial"])
    trial = dataclasses.replace(base, model={**base.model, **config["params"]})
    spec = trial.method_spec()
    task = get_task(trial.task, **trial.task_params)
    data = task.dataset(trial.seed)
    resolved = resolve_configs(spec, trial.budget, trial.model, trial.search)
    scores = offline_scores(task_problem(task, data), spec.scheme,
                            resolved.model, trial.seed, holdout=config["holdout"])
    tune.report(scores)


def select_offline(config: SweepConfig, points: list[GridPoint], out_dir: Path, verbose: int) -> dict[tuple[str, str], dict]:
    """Choose model overrides per (task, method) by an offline criterion; written to
    ``selection.json`` / ``selection.parquet`` (and reused when the sweep resumes)."""
    from dist_ombo.selection import METRICS

    sel = config.selection_config()
    chosen_file = out_dir / "selection.json"
    if chosen_file.exists():
        saved = json.loads(chosen_file.read_text())
        return {tuple(k.split("||")): v for k, v in saved["chosen"].items()}
    seeds = set(sel.seeds or config.seeds[:1])
    candidates = [
        {"trial_id": p.trial_id, "pair": f"{p.task_label}||{p.method_label}", "trial": p.trial.to_dict()}
        for p in points if p.trial.seed in seeds and p.trial.method_spec().scheme is not None
    ]
    if not candidates:
        return {}
    ctrl_c = StopOnCtrlC()
    tuner = tune.Tuner(
        tune.with_resources(selection_trial, {"cpu": 1}),
        param_space={
            "point": tune.grid_search(candidates),
            "params": {k: tune.grid_search(list(v)) for k, v in sel.space.items()},
            "holdout": sel.holdout,
        },
        tune_config=tune.TuneConfig(reuse_actors=True, max_concurrent_trials=config.max_concurrent),
        run_config=tune.RunConfig(name=f"{config.name}-{config.digest()}-selection",
                                  storage_path=str(out_dir / "tune"), verbose=verbose, stop=ctrl_c,
                                  failure_config=tune.FailureConfig(max_failures=config.retries)),
    )
    with quiet_tune(verbose == 0), ctrl_c:
        fitted = tuner.fit()
    if ctrl_c.pressed:
        raise KeyboardInterrupt
    rows = [
        {"pair": r.config["point"]["pair"], "seed": r.config["point"]["trial"]["seed"],
         "params": json.dumps(r.config["params"], sort_keys=True), sel.metric: r.metrics.get(sel.metric)}
        for r in fitted if r.error is None and r.metrics
    ]
    if not rows:
        raise DistOmboError("offline selection failed for every candidate; see the Tune logs in " + str(out_dir / "tune"))
    frame = pd.DataFrame(rows)
    summary = frame.groupby(["pair", "params"])[sel.metric].mean().reset_index()
    ascending = METRICS[sel.metric] == "min"
    best = summary.sort_values(sel.metric, ascending=ascending, kind="stable").groupby("pair").head(1)
    chosen = {row["pair"]: json.loads(row["params"]) for _, row in best.iterrows()}
    write_parquet_atomic(summary, out_dir / "selection.parquet")
    write_text_atomic(chosen_file, json.dumps({"metric": sel.metric, "chosen": chosen}, indent=2))
    for pair, params in chosen.items():
        print(f"selected offline ({sel.metric}) for {pair.replace('||', ' x ')}: {params}")
    return {tuple(k.split("||")): v for k, v in chosen.items()}


def apply_selection(points: list[GridPoint], chosen: dict[tuple[str, str], dict]) -> list[GridPoint]:
    out = []
    for p in points:
        params = chosen.get((p.task_label, p.method_label))
        if params:
            trial = dataclasses.replace(p.trial, model={**p.trial.model, **params})
            p = dataclasses.replace(p, trial=trial)
        out.append(p)
    return out
