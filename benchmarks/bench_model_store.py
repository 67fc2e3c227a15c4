"""Train once, search many: what the sweep's model store saves, and that it changes no result.

1. Reuse counts (no training): trials vs distinct models of the default sweep, ``compare.yaml``
   and its MOO part, and, from the committed ``results/compare`` trial times, the training
   seconds a store saves in those grids (each distinct model's training paid once).
2. Side by side in one run, on one local Ray with 2 CPUs: the same small sweep (2 tasks x the four
   ``ensemble-*`` MOO methods x 1 seed) without and with the store; wall time, models trained,
   and the per-trial HV difference between the two (0 expected: same weights).
3. The default sweep (what ``dist-ombo sweep`` runs with no config: 27 trials) twice in one run,
   without and with the store, each into a fresh temporary folder after the datasets are cached:
   wall time, models trained, and per-trial equality of the headline score (MOO: HV; SOO:
   normalized score) (``--default-sweep``; issue 15, item 1).
4. Committed trials rerun through the store: per (task, seed), one committed trial trains and
   publishes, a committed sibling sharing its model searches from the stored weights; both HVs
   are compared with ``results/compare`` and with the same trial rerun without the store here.

    python -m benchmarks.bench_model_store      # writes benchmarks/results/model_store.json
    python -m benchmarks.bench_model_store --default-sweep --skip-counts --skip-sweep --skip-reruns \
        --name model_store_default_sweep
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.common import write_results
from dist_ombo.distributed.sweep import default_sweep_config, run_sweep
from dist_ombo.distributed.sweep_config import SweepConfig, expand_grid
from dist_ombo.model_plan import planned_models, reuse_counts, trainers_first
from dist_ombo.runner import TrialConfig, run_trial

ROOT = Path(__file__).resolve().parents[1]
COMPARE = ROOT / "results" / "compare"
MOO_TASKS = ("zdt1", "dtlz2", "re21", "re33")
ENSEMBLE_MOO = ("ensemble-nsga2", "ensemble-nsga3", "ensemble-moead", "ensemble-smsemoa")
#: (trial that trains and publishes, committed sibling that reuses its model)
RERUNS = [("zdt1__ensemble-nsga2__seed0", "zdt1__ensemble-moead__seed0"),
          ("re21__ensemble-nsga2__seed0", "re21__ensemble-smsemoa__seed0"),
          ("re33__ensemble-nsga3__seed1", "re33__ensemble-nsga2__seed1")]
CPUS = 2


def grid(config: SweepConfig) -> list:
    return expand_grid(config)[0]


def committed(trials_dir: Path) -> dict[str, dict]:
    """Metrics of the committed trials by trial id."""
    out = {}
    for folder in sorted(trials_dir.iterdir()) if trials_dir.is_dir() else []:
        try:
            out[folder.name] = json.loads((folder / "metrics.json").read_text())
        except (OSError, ValueError):
            continue
    return out


def training_saved(points: list, done: dict[str, dict]) -> dict:
    """The training seconds of a grid without and with the store, from committed trial times: a
    trial whose every model an earlier trial (in the sweep's trainers-first order) already
    trained saves its whole training time; one that shares only some of its models is counted as
    saving nothing (its time is not split by model). A trial not committed is estimated by the
    committed trials that train the same models (same ids: same training), else left out."""
    trials = [p.trial for p in points]
    ids = [tuple(planned_models(t)) for t in trials]
    by_ids: dict[tuple, list[float]] = {}
    for p, i in zip(points, ids):
        if p.trial_id in done and i:
            by_ids.setdefault(i, []).append(done[p.trial_id]["time_train_s"])
    seen: set[str] = set()
    train = saved = 0.0
    unknown = 0
    for k in trainers_first(trials):
        if not ids[k]:
            continue
        p = points[k]
        t = done[p.trial_id]["time_train_s"] if p.trial_id in done else (
            sum(by_ids[ids[k]]) / len(by_ids[ids[k]]) if ids[k] in by_ids else None)
        if t is None:
            unknown += 1
        else:
            train += t
            if set(ids[k]) <= seen:
                saved += t
        seen.update(ids[k])
    committed_total = sum(done[p.trial_id]["time_total_s"] for p in points if p.trial_id in done)
    return {"trials": len(points), "committed_trials": sum(p.trial_id in done for p in points),
            "trials_without_estimate": unknown, "train_s": train, "train_s_saved": saved,
            "saved_fraction_of_training": saved / train if train else 0.0,
            "committed_trial_s": committed_total}


def counts_section() -> dict:
    compare = SweepConfig.from_yaml(ROOT / "benchmarks" / "configs" / "compare.yaml")
    compare_moo = dataclasses.replace(compare, name="compare-moo", tasks=MOO_TASKS)
    grids = {"default_sweep": grid(default_sweep_config()), "compare": grid(compare), "compare_moo": grid(compare_moo)}
    done = committed(COMPARE / "trials")
    out = {}
    for name, points in grids.items():
        c = out[name] = reuse_counts([p.trial for p in points])
        print(f"{name}: {c['trials']} trials ({c['trials_without_model']} model-free) train "
              f"{c['models_without_store']} models without the store, {c['models_with_store']} with it")
        if name.startswith("compare") and done:
            s = c["training"] = training_saved(points, done)
            print(f"  from {s['committed_trials']} committed trials' times ({s['trials_without_estimate']} trials "
                  f"without an estimate): {s['train_s']:.0f} s of training, {s['train_s_saved']:.0f} s saved "
                  f"({s['saved_fraction_of_training']:.0%})")
    return out


def sweep_section(budget: str) -> dict:
    import ray

    config = SweepConfig(name="bench-store", tasks=("zdt1", "re21"), methods=ENSEMBLE_MOO, seeds=(0,),
                         budget=budget, retries=0)
    for task in ("zdt1", "re21"):  # warm the dataset cache so both sides pay the same (nothing)
        run_trial(TrialConfig(task=task, method="ensemble-nsga2", budget="smoke", n_proposals=8))
    ray.init(num_cpus=CPUS, include_dashboard=False, log_to_driver=False)
    rows = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for label, store in (("without_store", False), ("with_store", True)):
                t = time.perf_counter()
                table = run_sweep(config, Path(tmp) / label, verbose=0, model_store=store)
                wall = time.perf_counter() - t
                assert (table["status"] == "ok").all(), table[["trial_id", "status", "error"]]
                rows[label] = {"wall_s": wall, "sum_train_s": float(table["time_train_s"].sum()),
                               "models_trained": int((~table["model_reused"].astype(bool)).sum()),
                               "models_stored": len(list((Path(tmp) / label / "models").glob("*.npz"))),
                               "hv": dict(zip(table["trial_id"], table["hv"]))}
                print(f"sweep {label}: {wall:.1f} s wall, {rows[label]['models_trained']} models trained, "
                      f"{rows[label]['sum_train_s']:.1f} s training in trials")
    finally:
        ray.shutdown()
    a, b = rows["without_store"], rows["with_store"]
    diff = max(abs(a["hv"][k] - b["hv"][k]) for k in a["hv"])
    print(f"-> {a['wall_s'] / b['wall_s']:.2f}x faster with the store; largest per-trial HV difference {diff:.3g}")
    return {"grid": f"zdt1, re21 x {', '.join(ENSEMBLE_MOO)} x seed 0, {budget} budget, {CPUS} CPUs",
            **rows, "speedup": a["wall_s"] / b["wall_s"], "max_hv_difference": diff}


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def default_sweep_section() -> dict:
    """The default sweep without and with the store, side by side in one run. Every dataset is
    built first (the on-disk cache both runs then read), so neither side pays for a build."""
    import ray

    from dist_ombo.runner import check_trial

    config = default_sweep_config()
    points = grid(config)
    t = time.perf_counter()
    for task_name, seed in sorted({(p.trial.task, p.trial.seed) for p in points}):
        point = next(p for p in points if (p.trial.task, p.trial.seed) == (task_name, seed))
        check_trial(point.trial)[0].dataset(seed)
    print(f"datasets of {len(points)} trials cached in {time.perf_counter() - t:.1f} s", flush=True)
    planned = reuse_counts([p.trial for p in points])
    ray.init(num_cpus=CPUS, include_dashboard=False, log_to_driver=False)
    rows = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for label, store in (("without_store", False), ("with_store", True)):
                load_before = _load()
                t = time.perf_counter()
                table = run_sweep(config, Path(tmp) / label, verbose=0, model_store=store)
                wall = time.perf_counter() - t
                if not (table["status"] == "ok").all():
                    bad = table[table["status"] != "ok"][["trial_id", "status", "error"]]
                    raise SystemExit(f"error: the default sweep {label} had failed trials:\n{bad}")
                rows[label] = {"wall_s": wall, "trials": len(table),
                               "sum_trial_s": float(table["time_total_s"].sum()),
                               "sum_train_s": float(table["time_train_s"].sum()),
                               "models_trained": int((~table["model_reused"].astype(bool)).sum()),
                               "models_stored": len(list((Path(tmp) / label / "models").glob("*.npz"))),
                               "load_before": load_before, "load_after": _load(),
                               "score": headline_scores(table)}
                print(f"default sweep {label}: {wall:.1f} s wall, {rows[label]['models_trained']} models trained, "
                      f"{rows[label]['sum_train_s']:.1f} s training in trials, load {load_before} -> "
                      f"{rows[label]['load_after']}", flush=True)
    finally:
        ray.shutdown()
    a, b = rows["without_store"], rows["with_store"]
    if set(a["score"]) != set(b["score"]):
        raise SystemExit("error: the two runs hold different trials")
    diffs = {k: abs(a["score"][k] - b["score"][k]) for k in a["score"]}
    equal = sum(d == 0 for d in diffs.values())
    print(f"-> {a['wall_s'] / b['wall_s']:.2f}x faster with the store ({a['wall_s']:.0f} s -> {b['wall_s']:.0f} s); "
          f"{equal} of {len(diffs)} trials' headline score (MOO: HV) identical, largest difference "
          f"{max(diffs.values()):.3g}")
    return {"grid": f"default sweep ({len(points)} trials), {config.budget} budget, {CPUS} CPUs",
            "planned": planned, **rows, "speedup": a["wall_s"] / b["wall_s"],
            "trials_score_identical": equal, "max_score_difference": max(diffs.values())}


def headline_scores(table) -> dict[str, float]:
    """Each trial's headline score (MOO: HV; SOO: normalized score); a trial without one stops the run."""
    from dist_ombo.reporting.headline import headline_columns

    scores = headline_columns(table).set_index("trial_id")["score"].astype(float)
    missing = scores[~scores.notna()].index.tolist()
    if missing:
        raise SystemExit(f"error: trials without a headline score: {', '.join(missing)}")
    return scores.to_dict()


def _committed_trial(trial_id: str) -> tuple[TrialConfig, float]:
    folder = COMPARE / "trials" / trial_id
    if not (folder / "metrics.json").exists():
        raise SystemExit(f"error: {folder} holds no finished trial (no metrics.json)")
    config = TrialConfig.from_dict(json.loads((folder / "config.json").read_text()))
    return config, json.loads((folder / "metrics.json").read_text())["hv"]


def rerun_section(groups: list[int], alone_id: str | None) -> dict:
    previous = {}
    old = ROOT / "benchmarks" / "results" / "rerun_trials.json"
    if old.exists():  # the same trials rerun here without a store (benchmarks/rerun_trials.py)
        previous = {r["trial"]: r["rerun"] for r in json.loads(old.read_text())["trials"]}
    for g in groups:  # every trial exists before any is run
        for trial_id in RERUNS[g]:
            _committed_trial(trial_id)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for trial_id in [t for g in groups for t in RERUNS[g]]:
            config, committed = _committed_trial(trial_id)
            m = run_trial(config, model_store=Path(tmp) / "models").metrics
            row = {"trial": trial_id, "model_reused": m["model_reused"], "committed": committed,
                   "store": m["hv"], "store_vs_committed": abs(m["hv"] - committed), "time_s": m["time_total_s"]}
            if trial_id in previous:
                row["rerun_without_store"] = previous[trial_id]
                row["store_vs_rerun_without_store"] = abs(m["hv"] - previous[trial_id])
            rows.append(row)
            print(f"{trial_id:<32} {'reused' if m['model_reused'] else 'trained'}  committed {committed:.12f}  "
                  f"store {m['hv']:.12f}  |diff| {row['store_vs_committed']:.3g}"
                  + (f"  (rerun without store here: {previous[trial_id]:.12f})" if trial_id in previous else ""),
                  flush=True)
    if alone_id:  # a trial that reuses a model, trained by itself here: the same HV is expected
        config, committed = _committed_trial(alone_id)
        hv = run_trial(config).metrics["hv"]
        rows.append({"trial": alone_id, "model_reused": False, "committed": committed, "rerun_without_store": hv,
                     "rerun_vs_committed": abs(hv - committed)})
        print(f"{alone_id:<32} trained by itself here, no store: {hv:.12f}", flush=True)
    return {"trials": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", default="cpu", help="budget of the side-by-side sweep")
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--skip-reruns", action="store_true")
    parser.add_argument("--skip-counts", action="store_true")
    parser.add_argument("--default-sweep", action="store_true",
                        help="also run the default sweep (27 trials) without and with the store")
    parser.add_argument("--groups", default="0,1,2", help="which RERUNS pairs to rerun (indices)")
    parser.add_argument("--alone", default=RERUNS[0][1],
                        help="a reusing trial to rerun also without the store ('' to skip)")
    parser.add_argument("--name", default="model_store", help="results file: benchmarks/results/NAME.json")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)  # as a sweep's one-CPU trial
    result = {} if args.skip_counts else {"counts": counts_section()}
    if not args.skip_sweep:
        result["sweep"] = sweep_section(args.budget)
    if args.default_sweep:
        result["default_sweep"] = default_sweep_section()
    if not args.skip_reruns:
        groups = [int(g) for g in args.groups.split(",") if g.strip()]
        result["reruns"] = rerun_section(groups, args.alone or None)
    print("wrote", write_results(args.name, result))


if __name__ == "__main__":
    main()
