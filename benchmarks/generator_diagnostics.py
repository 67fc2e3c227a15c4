"""Why the generators' proposals stay at D(best): where their samples land, and what moves HV.

``--methods paretoflow`` (the default) runs ParetoFlow's sweeps; ``ddom`` and ``cvae`` run theirs
(below).

For each task and seed the surrogate and the flow are trained once per setting (in this process,
the ``cpu`` budget's configs, the trial's seeds), then ParetoFlow is sampled with one setting
changed at a time from the shipped method:

- ``guidance``: gamma 0 (unguided), 2 (shipped), 8, 32, 128;
- ``flow_steps``: flow training minibatches 500, 3000 (shipped), 12000;
- ``predictor``: the surrogate trained for a tenth of its epochs (a worse guide), against shipped;
- ``initial_set``: how the archive starts: ``data`` (shipped: data's best, scored on measured
  objectives, larger negated-standardized score is better), ``predicted`` (same designs scored by
  the surrogate, the scale offspring are scored on), ``argmax_yw`` (the authors' package's rule:
  argmax of ``y . w`` on un-negated objectives, i.e. the worst design per weight when minimizing),
  ``none`` (every guided sample replaces its archive entry: the proposals are guided samples).

Every configuration reports HV / D(best), the copy fraction, and seconds; and, for its proposals
that are not copies of the data, where they land: mean predicted vs true normalized objectives,
the mean absolute prediction error, the distance to the nearest data design, and the share a
D(best) design dominates (by true objectives); and the archive's rows, distinct rows and distinct
rows that are data designs (proposals beyond the distinct rows are topped up from D(best)).

DDOM and CVAE (``--methods ddom,cvae``), the same way, one setting at a time from the shipped
method (every knob is an existing config field):

- ``target``: the condition's ``target_offset``, how far beyond the data's best values (min-max
  normalized objective units) the samples are asked to land: 0, 0.1, 0.3, 0.5;
- ``guidance`` (DDOM): the classifier-free guidance weight: 0, 2 (shipped), 8;
- ``reweight``: training on the data reweighted toward good designs (DDOM's weights; shipped for
  DDOM) or not (shipped for CVAE), the other way round;
- ``train_steps``: generator training minibatches 1500, 3000 (shipped), 12000 (0.5x, 1x, 4x).

For them every configuration also reports where all generated samples land (before the surrogate
picks the 256 proposals): the mean true normalized objective, the share a D(best) design
dominates, the distance to the nearest data design, and the mean condition asked for in the same
units.

    python -m benchmarks.generator_diagnostics --tasks zdt1,re21 --seeds 0,1,2   # ~20 min on 2 shared cores
    # writes benchmarks/results/generator_diagnostics.json
    python -m benchmarks.generator_diagnostics --methods ddom,cvae --tasks zdt1,re21 --seeds 0,1,2
    # writes benchmarks/results/generator_diagnostics_ddom_cvae.json
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import time
from typing import Any

import numpy as np
import torch

from benchmarks.common import write_results
from dist_ombo import metrics as M
from dist_ombo.catalog import get_scheme
from dist_ombo.generative import flow as flow_mod
from dist_ombo.generative import search as search_mod
from dist_ombo.generative.search import run_cvae, run_ddom, run_paretoflow
from dist_ombo.pipeline import split_seeds
from dist_ombo.runner import TrialConfig, check_trial, score, task_problem
from dist_ombo.specs import SearchContext

GUIDANCE = (0.0, 2.0, 8.0, 32.0, 128.0)
FLOW_STEPS = (500, 3000, 12000)
INITIAL_SETS = ("data", "predicted", "argmax_yw", "none")
TARGET_OFFSETS = (0.0, 0.1, 0.3, 0.5)
DDOM_GUIDANCE = (0.0, 2.0, 8.0)
TRAIN_STEPS = (1500, 3000, 12000)
SEARCHES = {"ddom": run_ddom, "cvae": run_cvae}
_SURROGATES: dict[tuple, tuple[Any, float]] = {}


_SHIPPED_INIT_ARCHIVE = flow_mod.init_archive  # the diagnostics patch the module's name while sampling


def _archive(rule: str):
    """An ``init_archive`` replacement for ``rule`` (``data`` is the shipped function)."""
    shipped = flow_mod.init_archive

    def init(flow, X, Y, weights):
        if rule == "argmax_yw":
            return _argmax_yw_archive(flow, X, Y, weights)
        A, s = shipped(flow, X, Y, weights)
        if rule == "none":
            return A, np.full_like(s, -np.inf)
        return A, s

    return init


def _argmax_yw_archive(flow, X, Y, weights):
    """The authors' package's initial set: the data's best ``N`` by NDS, each weight vector in
    turn taking the design with the largest standardized ``y . w`` and keeping that value as its
    score, while offspring are scored on ``-y_hat . w``."""
    return _SHIPPED_INIT_ARCHIVE(flow, X, Y, weights, sign=1.0)


def _predicted_archive(shipped_sample):
    def sample(self, score_fn, weights, archive, archive_scores, settings, generator, progress=None):
        W = torch.as_tensor(weights, dtype=torch.float32, device=self.device)
        with torch.no_grad():
            predicted = (score_fn(archive.to(self.device)) * W).sum(-1).cpu().numpy()
        return shipped_sample(self, score_fn, weights, archive, predicted, settings, generator, progress)

    return sample


def _counting_choose(shipped_choose, counts: dict):
    """``choose`` that also counts the archive: its rows, distinct rows, and distinct rows that
    are data designs (the rest of the proposals, when distinct rows run short, are topped up
    with the data's best designs)."""

    def choose(ctx, samples, config, n_evals=0):
        samples = np.asarray(samples)
        distinct = np.unique(samples, axis=0)
        counts.update(archive_rows=len(samples), archive_distinct=len(distinct),
                      archive_distinct_copies=int(round(len(distinct) * M.copy_fraction(
                          distinct, ctx.X, ctx.lower, ctx.upper))))
        return shipped_choose(ctx, samples, config, n_evals)

    return choose


def landing(task, data, proposals: np.ndarray, pred: np.ndarray, true_Y: np.ndarray) -> dict[str, float]:
    """Where the proposals that are not copies of the data land."""
    d = M.nearest_distances(proposals, data.X, task.lower, task.upper)
    new = d > M.COPY_TOLERANCE
    lo, hi = data.y_min_full, data.y_max_full
    out: dict[str, float] = {"n_new": int(new.sum())}
    if not new.any():
        return out
    pn, tn = M.normalize_objectives(pred[new], lo, hi), M.normalize_objectives(true_Y[new], lo, hi)
    dbest = M.normalize_objectives(data.Y[M.dbest_indices(data.Y, 256)], lo, hi)
    dominated = [(np.all(dbest <= y, axis=1) & np.any(dbest < y, axis=1)).any() for y in tn]
    out.update(new_pred_mean=float(pn.mean()), new_true_mean=float(tn.mean()),
               new_abs_error=float(np.abs(pn - tn).mean()), new_distance=float(d[new].mean()),
               new_dominated_by_dbest=float(np.mean(dominated)),
               dbest_true_mean=float(dbest.mean()))
    return out


def _scored(task, data, surrogate, proposals: np.ndarray, seconds: float) -> dict[str, Any]:
    """A proposal set's scores by the oracle and where it lands against the surrogate."""
    true_Y = task.oracle(proposals)
    m = score(task, data, proposals, true_Y)
    pred, _ = surrogate.predict(proposals)
    return {"hv_ratio": m["hv_ratio"], "copy_fraction": m["copy_fraction"], "novelty": m["novelty"],
            "headroom": m["headroom"], "search_s": seconds, **landing(task, data, proposals, pred, true_Y)}


def run_one(task, data, problem, surrogate, flow, n_proposals, seed_search, search, rule="data") -> dict[str, Any]:
    t = time.perf_counter()
    shipped_init, shipped_sample = flow_mod.init_archive, flow_mod.FlowGenerator.paretoflow_sample
    shipped_choose, archive_counts = search_mod.choose, {}
    try:
        flow_mod.init_archive = _archive(rule)
        if rule == "predicted":
            flow_mod.FlowGenerator.paretoflow_sample = _predicted_archive(shipped_sample)
        search_mod.choose = _counting_choose(shipped_choose, archive_counts)
        ctx = SearchContext(surrogate, problem, n_proposals, seed_search, None, {"generator": flow})
        proposals, _ = run_paretoflow(ctx, search)
    finally:
        flow_mod.init_archive, flow_mod.FlowGenerator.paretoflow_sample = shipped_init, shipped_sample
        search_mod.choose = shipped_choose
    return {**_scored(task, data, surrogate, proposals, time.perf_counter() - t), **archive_counts}


def _timed_train(problem, scheme: str, config, seed: int):
    """A scheme trained in this process (no Ray, no store) and the seconds it took."""
    t = time.perf_counter()
    model = get_scheme(scheme).train(problem, config, seed, None)
    return model, time.perf_counter() - t


def diagnose(name: str, seed: int, budget: str, sweeps: list[str]) -> list[dict[str, Any]]:
    torch.set_num_threads(1)
    task, spec, resolved = check_trial(TrialConfig(task=name, method="paretoflow", seed=seed, budget=budget))
    data = task.dataset(seed)
    problem = task_problem(task, data)
    n_proposals = 256
    seed_train, seed_gen, seed_search = split_seeds(seed)
    rows: list[dict[str, Any]] = []

    train = functools.partial(_timed_train, problem)

    surrogate, s_train = train(spec.scheme, resolved.model, seed_train)
    flow, f_train = train(spec.generator, resolved.generator, seed_gen)
    base = {"task": name, "seed": seed, "surrogate_train_s": s_train, "flow_train_s": f_train}

    def record(sweep, value, **kw):
        row = {**base, "sweep": sweep, "value": value, **kw}
        rows.append(row)
        print(f"{name} seed {seed} {sweep:<12} {value!s:<10} HV/D(best) {row['hv_ratio']:.4f} copies "
              f"{row['copy_fraction']:.2f} new {row.get('n_new', 0):3d} pred {row.get('new_pred_mean', float('nan')):.3f} "
              f"true {row.get('new_true_mean', float('nan')):.3f} dist {row.get('new_distance', float('nan')):.3f} "
              f"{row['search_s']:.0f}s", flush=True)

    shipped = run_one(task, data, problem, surrogate, flow, n_proposals, seed_search, resolved.search)
    record("shipped", "-", **shipped)
    if "guidance" in sweeps:
        for g in GUIDANCE:
            if g != resolved.search.guidance:
                search = dataclasses.replace(resolved.search, guidance=g)
                record("guidance", g, **run_one(task, data, problem, surrogate, flow, n_proposals, seed_search, search))
    if "initial_set" in sweeps:
        for rule in INITIAL_SETS[1:]:
            record("initial_set", rule, **run_one(task, data, problem, surrogate, flow, n_proposals, seed_search,
                                                  resolved.search, rule))
    if "predictor" in sweeps:
        weak_cfg = dataclasses.replace(resolved.model, epochs=max(1, resolved.model.epochs // 10))
        weak, w_train = train(spec.scheme, weak_cfg, seed_train)
        record("predictor", "epochs/10", surrogate_train_s_variant=w_train,
               **run_one(task, data, problem, weak, flow, n_proposals, seed_search, resolved.search))
    if "flow_steps" in sweeps:
        for steps in FLOW_STEPS:
            if steps != resolved.generator.max_steps:
                cfg = dataclasses.replace(resolved.generator, max_steps=steps, epochs=max(resolved.generator.epochs, 1000))
                other, o_train = train(spec.generator, cfg, seed_gen)
                record("flow_steps", steps, flow_train_s_variant=o_train,
                       **run_one(task, data, problem, surrogate, other, n_proposals, seed_search, resolved.search))
    return rows


def _recording_choose(shipped_choose, seen: dict):
    """``choose`` that keeps the generated samples it is given."""

    def choose(ctx, samples, config, n_evals=0):
        seen["samples"] = np.asarray(samples)
        return shipped_choose(ctx, samples, config, n_evals)

    return choose


def sample_landing(task, data, samples: np.ndarray, generator, config) -> dict[str, float]:
    """Where all generated samples land, next to the condition they were asked for."""
    from dist_ombo.generative.search import _best_conditions

    lo, hi = data.y_min_full, data.y_max_full
    true_n = M.normalize_objectives(task.oracle(samples), lo, hi)
    dbest = M.normalize_objectives(data.Y[M.dbest_indices(data.Y, 256)], lo, hi)
    dominated = [(np.all(dbest <= y, axis=1) & np.any(dbest < y, axis=1)).any() for y in true_n]
    cond = _best_conditions(generator.y_normalizer, data.Y, config.n_samples, config.target_offset)
    target = M.normalize_objectives(generator.y_normalizer.inverse(cond.astype(np.float64)), lo, hi)
    return {"samples_distinct": int(len(np.unique(samples, axis=0))), "samples_true_mean": float(true_n.mean()),
            "samples_dominated_by_dbest": float(np.mean(dominated)),
            "samples_distance": float(M.nearest_distances(samples, data.X, task.lower, task.upper).mean()),
            "samples_copy_fraction": M.copy_fraction(samples, data.X, task.lower, task.upper),
            "target_mean": float(target.mean()), "dbest_true_mean": float(dbest.mean())}


def run_conditional(method, task, data, problem, surrogate, generator, seed_search, search) -> dict[str, Any]:
    """One DDOM / CVAE search with its samples kept; scores, proposal and sample landing."""
    t = time.perf_counter()
    shipped_choose, seen = search_mod.choose, {}
    try:
        search_mod.choose = _recording_choose(shipped_choose, seen)
        ctx = SearchContext(surrogate, problem, 256, seed_search, None, {"generator": generator})
        proposals, _ = SEARCHES[method](ctx, search)
    finally:
        search_mod.choose = shipped_choose
    return {**_scored(task, data, surrogate, proposals, time.perf_counter() - t),
            **sample_landing(task, data, seen["samples"], generator, search)}


def diagnose_conditional(method: str, name: str, seed: int, budget: str, sweeps: list[str],
                         train_steps=TRAIN_STEPS, save=lambda rows: None) -> list[dict[str, Any]]:
    """DDOM's or CVAE's sweeps on one (task, seed); the surrogate is trained once, the generator
    once per training setting; ``save(rows)`` after each row (a long run keeps what it finished)."""
    torch.set_num_threads(1)
    task, spec, resolved = check_trial(TrialConfig(task=name, method=method, seed=seed, budget=budget))
    data = task.dataset(seed)
    problem = task_problem(task, data)
    seed_train, seed_gen, seed_search = split_seeds(seed)
    rows: list[dict[str, Any]] = []

    train = functools.partial(_timed_train, problem)

    key = (name, seed, spec.scheme, repr(resolved.model))
    if key not in _SURROGATES:  # DDOM and CVAE share the surrogate that picks their proposals
        _SURROGATES[key] = train(spec.scheme, resolved.model, seed_train)
    surrogate, s_train = _SURROGATES[key]
    gen, g_train = train(spec.generator, resolved.generator, seed_gen)
    base = {"method": method, "task": name, "seed": seed, "surrogate_train_s": s_train, "generator_train_s": g_train,
            "shipped_train_steps": resolved.generator.max_steps, "shipped_reweight": resolved.generator.reweight}

    def record(sweep, value, **kw):
        row = {**base, "sweep": sweep, "value": value, **kw}
        rows.append(row)
        save(rows)
        print(f"{method} {name} seed {seed} {sweep:<12} {value!s:<8} HV/D(best) {row['hv_ratio']:.4f} copies "
              f"{row['copy_fraction']:.2f} proposals true {row.get('new_true_mean', float('nan')):.3f} "
              f"dominated {row.get('new_dominated_by_dbest', float('nan')):.2f} | samples true "
              f"{row['samples_true_mean']:.3f} target {row['target_mean']:.3f} D(best) {row['dbest_true_mean']:.3f} "
              f"dominated {row['samples_dominated_by_dbest']:.2f} dist {row['samples_distance']:.3f} "
              f"{row['search_s']:.0f}s", flush=True)

    def run(generator, search):
        return run_conditional(method, task, data, problem, surrogate, generator, seed_search, search)

    record("shipped", "-", **run(gen, resolved.search))
    if "target" in sweeps:
        for off in TARGET_OFFSETS:
            if off != resolved.search.target_offset:
                record("target", off, **run(gen, dataclasses.replace(resolved.search, target_offset=off)))
    if "guidance" in sweeps and method == "ddom":
        for g in DDOM_GUIDANCE:
            if g != resolved.search.guidance:
                record("guidance", g, **run(gen, dataclasses.replace(resolved.search, guidance=g)))
    if "reweight" in sweeps:
        other = "none" if resolved.generator.reweight == "ddom" else "ddom"
        variant, v_train = train(spec.generator, dataclasses.replace(resolved.generator, reweight=other), seed_gen)
        record("reweight", other, generator_train_s_variant=v_train, **run(variant, resolved.search))
    if "train_steps" in sweeps:
        for steps in train_steps:
            if steps != resolved.generator.max_steps:
                cfg = dataclasses.replace(resolved.generator, max_steps=steps,
                                          epochs=max(resolved.generator.epochs, 1000))
                variant, v_train = train(spec.generator, cfg, seed_gen)
                record("train_steps", steps, generator_train_s_variant=v_train, **run(variant, resolved.search))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="paretoflow", help="paretoflow, or ddom and/or cvae")
    parser.add_argument("--tasks", default="zdt1,re21")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--budget", default="cpu")
    parser.add_argument("--sweeps", default=None,
                        help="paretoflow: guidance,initial_set,predictor,flow_steps (all by default); "
                             "ddom / cvae: target,guidance,reweight,train_steps (all by default)")
    parser.add_argument("--train-steps", default=",".join(map(str, TRAIN_STEPS)),
                        help="ddom / cvae: generator training minibatches to compare with the shipped")
    parser.add_argument("--results", default=None, help="results file name (default: by method)")
    args = parser.parse_args()
    methods = args.methods.split(",")
    unknown = [m for m in methods if m not in ("paretoflow", *SEARCHES)]
    if unknown or ("paretoflow" in methods and len(methods) > 1):
        parser.error(f"--methods takes paretoflow alone, or ddom and/or cvae; got {args.methods!r}")
    if methods == ["paretoflow"]:
        sweeps = (args.sweeps or "guidance,initial_set,predictor,flow_steps").split(",")
        results = args.results or "generator_diagnostics"
    else:
        sweeps = (args.sweeps or "target,guidance,reweight,train_steps").split(",")
        results = args.results or "generator_diagnostics_" + "_".join(methods)
    train_steps = [int(s) for s in args.train_steps.split(",")]
    rows: list[dict[str, Any]] = []

    def save(new):
        return write_results(results, {"method": ",".join(methods), "budget": args.budget, "rows": rows + new})

    for name in args.tasks.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            for method in methods:
                if method == "paretoflow":
                    rows += diagnose(name, seed, args.budget, sweeps)
                else:
                    rows += diagnose_conditional(method, name, seed, args.budget, sweeps, train_steps, save)
                save([])
    print(f"wrote {save([])}")


if __name__ == "__main__":
    main()
