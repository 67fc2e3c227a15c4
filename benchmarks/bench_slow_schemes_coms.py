"""COMs and Tri-mentoring trials before and after their restructuring (issue 15, item 4), side by
side in one run with a plain ensemble-nsga2 trial of the same task.

Every trial runs in a fresh interpreter with one torch thread (as a sweep's one-CPU trial), at the
``cpu`` budget, seed 0, interleaved per task: the plain ensemble, then each method with the package
at ``--baseline`` (the code before, a ``git archive`` of that revision) and with this tree. The
ensemble code is the same in both, so the plain trial runs once per task (this tree). Reports
seconds per trial (training, search, total), the ratio to the plain trial, the load average while
it ran, the HV, and whether the proposals are the same (a hash of the proposed designs).

Results are written after every trial (``results/NAME.json``), so a run cut short keeps what it
finished.

``--max-steps K1 K2`` trains the methods (not the plain trial) for ``K1`` and then ``K2`` steps
instead of the budget's, for a method whose full trial does not fit the time at hand (COMs on a
loaded 2-core machine): the training seconds per step are the slope between the two, and the
full-budget trial is estimated as the ``K2`` trial plus the remaining steps at that slope (the
steps of the budget: 20 epochs of the best 20% of the data less the validation tenth, at most
2000).

    python -m benchmarks.bench_slow_schemes_coms --baseline 1d825df --tasks zdt1 re21
    python -m benchmarks.bench_slow_schemes_coms --methods coms-nsga2 --max-steps 20 120 --name coms_steps
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_cli import export
from benchmarks.common import write_results

ROOT = Path(__file__).resolve().parents[1]
NAME = "bench_slow_schemes_coms"
PLAIN = "ensemble-nsga2"
METHODS = ("coms-nsga2", "tri-mentoring-nsga2")
_RUN = """
import hashlib, json, sys, torch
torch.set_num_threads(1)
from dist_ombo.runner import TrialConfig, run_trial
task, method, model = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
r = run_trial(TrialConfig.from_dict({"task": task, "method": method, "seed": 0, "budget": "cpu", "model": model}))
m = r.metrics
X = r.proposals[[c for c in r.proposals.columns if c.startswith("x")]].to_numpy()
out = {k: m[k] for k in ("hv", "time_train_s", "time_search_s", "time_score_s", "time_total_s")}
out["proposals_sha1"] = hashlib.sha1(X.tobytes()).hexdigest()[:16]
out["n_data"] = m["n_train"]
print(json.dumps(out))
"""


_FIT = """
import hashlib, json, sys, time, torch
torch.set_num_threads(1)
from dist_ombo.models.robust import coms, coteach
from dist_ombo.runner import TrialConfig, check_trial, task_problem
task_name, method, model = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
task, spec, resolved = check_trial(TrialConfig.from_dict({"task": task_name, "method": method, "seed": 0,
                                                          "budget": "cpu", "model": model}))
problem = task_problem(task, task.dataset(0))
fit = coms.fit_coms if method.startswith("coms") else coteach.fit_tri_mentoring
t = time.perf_counter()
net = fit(problem, resolved.model, 0).net
dt = time.perf_counter() - t
w = b"".join(p.detach().numpy().tobytes() for p in net.parameters())
print(json.dumps({"fit_s": dt, "weights_sha1": hashlib.sha1(w).hexdigest()[:16]}))
"""


def fit_rounds(trees: dict, task: str, method: str, model: dict, rounds: int) -> dict:
    """Only the model fit (no search, no scoring), before and after alternated ``rounds`` times in
    fresh interpreters, so both see the same load drift; medians and whether the weights agree."""
    import statistics

    times: dict[str, list[float]] = {code: [] for code in trees}
    sha: dict[str, set] = {code: set() for code in trees}
    for _ in range(rounds):
        for code, tree in trees.items():
            env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
            out = subprocess.run([sys.executable, "-c", _FIT, task, method, json.dumps(model)], env=env,
                                 capture_output=True, text=True, cwd=tempfile.gettempdir())
            if out.returncode != 0:
                raise SystemExit(f"{method} on {task} failed:\n{out.stderr[-2000:]}")
            r = json.loads(out.stdout.strip().splitlines()[-1])
            times[code].append(r["fit_s"])
            sha[code].add(r["weights_sha1"])
    before, after = statistics.median(times["before"]), statistics.median(times["after"])
    row = {"task": task, "method": method, "model": model, "fit_s": times, "median_before_s": before,
           "median_after_s": after, "speedup": before / after, "same_weights": sha["before"] == sha["after"],
           "load": os.getloadavg()[0]}
    print(f"{task:<6} {method:<20} fit {model}: {before:.1f} s before, {after:.1f} s after (medians of {rounds}) "
          f"= {before / after:.2f}x; same weights: {row['same_weights']}; load {row['load']:.1f}", flush=True)
    return row


def run(tree: Path, task: str, method: str, model: dict | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _RUN, task, method, json.dumps(model or {})], env=env,
                         capture_output=True, text=True, cwd=tempfile.gettempdir())
    if out.returncode != 0:
        raise SystemExit(f"{method} on {task} failed:\n{out.stderr[-2000:]}")
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row.update(wall_s=time.perf_counter() - t0, load_start=load0, load_end=os.getloadavg()[0])
    return row


def _autograd_descent(net, space, z0, steps: int, step_size: float):
    """COMs' particle descent as it was before ``InputGradient`` (autograd per particle step)."""
    import torch

    z = z0.detach().clone()
    for _ in range(steps):
        z.requires_grad_(True)
        grad, = torch.autograd.grad(net(space.features(z)).sum(), z)
        z = (z - step_size * grad).detach()
        space.project_(z)
    return z


def particle_timing(rounds: int, dims: tuple[int, ...] = (30, 4)) -> list[dict]:
    """COMs' 50-step particle descent of one minibatch (128 designs, 2 nets, hidden 256x256, the
    cpu budget's shapes for ZDT1 d=30 and RE21 d=4), the autograd loop and ``InputGradient``
    alternated ``rounds`` times in this process, so both see the same load; medians."""
    import statistics

    import torch

    from dist_ombo.models.batched_mlp import BatchedMLP
    from dist_ombo.models.relaxed_space import RelaxedDesignSpace
    from dist_ombo.models.robust.coms import descend_particles
    from dist_ombo.models.robust.training import InputGradient

    torch.set_num_threads(1)
    out = []
    for d in dims:
        g = torch.Generator().manual_seed(0)
        net, space = BatchedMLP(d, 1, (256, 256), 2, generator=g), RelaxedDesignSpace(d)
        z0, grad = torch.rand(2, 128, d, generator=g), InputGradient(net)
        step = 0.05 * d**0.5 * 0.29  # particle lr x sqrt(d) x a typical design scale
        same = torch.equal(_autograd_descent(net, space, z0, 50, step),
                           descend_particles(net, space, z0, 50, step, grad))
        times = {"autograd": [], "by hand": []}
        for _ in range(rounds):
            for name, fn in (("autograd", lambda: _autograd_descent(net, space, z0, 50, step)),
                             ("by hand", lambda: descend_particles(net, space, z0, 50, step, grad))):
                t = time.perf_counter()
                fn()
                times[name].append((time.perf_counter() - t) / 50 * 1e3)
        before, after = statistics.median(times["autograd"]), statistics.median(times["by hand"])
        row = {"d": d, "ms_per_particle_step_before": before, "ms_per_particle_step_after": after,
               "speedup": before / after, "bitwise_equal": same, "load": os.getloadavg()[0]}
        print(f"particles d={d}: {before:.2f} ms per step (autograd) vs {after:.2f} ms (by hand) = "
              f"{before / after:.2f}x, bitwise equal: {same}, load {row['load']:.1f}", flush=True)
        out.append(row)
    return out


def budget_steps(n_data: int) -> int:
    """Training steps of an Off-MOO-Bench robust scheme at the cpu budget (data fraction 0.2,
    validation 0.1, 20 epochs of batches of 128, at most 2000 steps)."""
    k = max(math.ceil(0.2 * n_data), 16)
    n_tr = k - min(math.ceil(0.1 * k), k - 1)
    return min(2000, 20 * math.ceil(n_tr / 128))


def show(task: str, method: str, code: str, r: dict) -> None:
    steps = f" ({r['max_steps']} steps)" if "max_steps" in r else ""
    print(f"{task:<6} {method:<20} {code:<6} total {r['time_total_s']:7.1f} s  train {r['time_train_s']:7.1f} s"
          f"{steps}  = {r.get('ratio_to_plain', 1.0):.2f}x plain  HV {r['hv']:.6f}  proposals "
          f"{r['proposals_sha1']}  load {r['load_start']:.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="1d825df", help="git revision of the code before")
    parser.add_argument("--tasks", nargs="+", default=["zdt1", "re21"])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--name", default=NAME, help="results file name (results/NAME.json)")
    parser.add_argument("--max-steps", nargs=2, type=int, metavar=("K1", "K2"),
                        help="train the methods K1 and K2 steps; estimate the full trial from the slope")
    parser.add_argument("--particles-only", type=int, metavar="ROUNDS",
                        help="only time COMs' particle descent before/after, alternated ROUNDS times")
    parser.add_argument("--fit-rounds", type=int, metavar="ROUNDS",
                        help="only time the methods' model fits (with --fit-model overrides), alternated")
    parser.add_argument("--fit-model", default="{}", help="JSON model overrides for --fit-rounds")
    args = parser.parse_args()
    if args.fit_rounds:
        with tempfile.TemporaryDirectory() as tmp:
            trees = {"before": export(args.baseline, Path(tmp)), "after": ROOT}
            rows = [fit_rounds(trees, task, method, json.loads(args.fit_model), args.fit_rounds)
                    for task in args.tasks for method in args.methods]
        print(f"wrote {write_results(args.name, {'baseline': args.baseline, 'fits': rows})}")
        return
    if args.particles_only:
        rows = particle_timing(args.particles_only)
        print(f"wrote {write_results(args.name, {'particles': rows})}")
        return
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"before": export(args.baseline, Path(tmp)), "after": ROOT}
        for task in args.tasks:
            plain = run(ROOT, task, PLAIN)
            rows.append({"task": task, "method": PLAIN, "code": "after", **plain})
            show(task, PLAIN, "after", plain)
            write_results(args.name, {"baseline": args.baseline, "trials": rows})
            for method in args.methods:
                pair = {}
                for code, tree in trees.items():
                    if args.max_steps:
                        k1, k2 = args.max_steps
                        short = [run(tree, task, method, {"max_steps": k}) | {"max_steps": k} for k in (k1, k2)]
                        for s in short:
                            s["ratio_to_plain"] = s["time_total_s"] / plain["time_total_s"]
                            rows.append({"task": task, "method": method, "code": code, **s})
                            show(task, method, code, s)
                        per_step = (short[1]["time_train_s"] - short[0]["time_train_s"]) / (k2 - k1)
                        full = budget_steps(short[1]["n_data"])
                        r = {"estimated": True, "train_s_per_step": per_step, "budget_steps": full,
                             "time_total_s": short[1]["time_total_s"] + per_step * (full - k2),
                             "time_train_s": short[1]["time_train_s"] + per_step * (full - k2),
                             "hv": short[1]["hv"], "hv_at_steps": k2, "proposals_sha1": short[1]["proposals_sha1"]}
                        r["ratio_to_plain"] = r["time_total_s"] / plain["time_total_s"]
                        rows.append({"task": task, "method": method, "code": code, **r})
                        print(f"{task:<6} {method:<20} {code:<6} {per_step:.3f} s per training step; "
                              f"estimated full trial ({full} steps) {r['time_total_s']:.0f} s = "
                              f"{r['ratio_to_plain']:.2f}x plain", flush=True)
                    else:
                        r = run(tree, task, method)
                        r["ratio_to_plain"] = r["time_total_s"] / plain["time_total_s"]
                        rows.append({"task": task, "method": method, "code": code, **r})
                        show(task, method, code, r)
                    pair[code] = r
                    write_results(args.name, {"baseline": args.baseline, "trials": rows})
                b, a = pair["before"], pair["after"]
                print(f"{task:<6} {method:<20} speed-up {b['time_total_s'] / a['time_total_s']:.2f}x total, "
                      f"{b['time_train_s'] / a['time_train_s']:.2f}x training; |HV after - before| "
                      f"{abs(a['hv'] - b['hv']):.1e}; same proposals: {a['proposals_sha1'] == b['proposals_sha1']}",
                      flush=True)
    print(f"wrote {write_results(args.name, {'baseline': args.baseline, 'trials': rows})}")


if __name__ == "__main__":
    main()
