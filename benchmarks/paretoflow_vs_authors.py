"""Our ParetoFlow next to the authors' package (``paretoflow`` 0.1.5) at matched settings.

Same dataset (the trial's, per task and seed), same sampling settings (steps, gamma 2, threshold
0.8, O 5, K m + 1, g_t 0.1), flows trained for the same number of minibatches (batch 128), and
the package's 400 weight vectors (it asks for at least 400 whatever ``num_solutions`` is; ours
ships 300, so ours is run with both). Variants, one sampling run each:

- ``ours``: ``run_paretoflow`` with the ``cpu`` budget's surrogate and flow (``n_samples`` 300
  shipped, 400 matched);
- ``authors``: the package end to end: its flow (3 x 512 SELU, additive time embedding) trained by
  its loss for the same minibatches, its proxies (one 2 x 2048 MLP per objective, its trainer,
  fewer epochs: declared in the results), its sampler with its initial set (``d_best``: argmax of
  ``y . w``) and its final selection (non-dominated sorting of ``-y_hat``);
- ``authors+our_surrogate``: the same, but our surrogate (wrapped to the package's z-scored x and
  y) as its proxies, so only the sampler and the flow differ;
- ``authors+our_surrogate+our_initial_set``: additionally the initial set scored as offspring are
  (best design per weight on ``-y . w``).

Each package run is also scored with the final selection done on the predicted objectives
(``..., selection on y_hat``): the 256 best of its archive by non-dominated sorting of ``y_hat``.
The package clips the predicted end point to ``task.xl / task.xu`` in its normalized x space; we
pass the bounds normalized the same way (its README passes raw bounds).

Also measured: the guidance gradient each predictor gives, ``|grad_z sum_j w_j s_j(z)|`` at
D(best) with equal weights (z: z-scored x, s: negated z-scored prediction), so a gamma can be
compared across predictors; and each predictor's error on the data (z-scored y units).

Needs the package importable (not a dependency of dist_ombo; install it without touching torch):

    python -m pip download paretoflow==0.1.5 --no-deps -d /tmp/pf
    python -m pip install --no-deps --no-build-isolation --target /tmp/pf_site /tmp/pf/paretoflow-0.1.5.tar.gz
    PYTHONPATH=.:/tmp/pf_site python -m benchmarks.paretoflow_vs_authors --tasks zdt1,re21 --seeds 0
    # writes benchmarks/results/paretoflow_vs_authors.json
"""

from __future__ import annotations

import os

os.environ.setdefault("TQDM_DISABLE", "1")  # the package's progress bars, before tqdm is imported

import argparse
import contextlib
import dataclasses
import io
import tempfile
import time
from typing import Any

import numpy as np
import torch

from benchmarks.common import write_results
from dist_ombo import metrics as M
from dist_ombo.catalog import get_scheme
from dist_ombo.generative import flow as flow_mod
from dist_ombo.generative.search import run_paretoflow
from dist_ombo.pipeline import split_seeds
from dist_ombo.runner import TrialConfig, check_trial, score, task_problem
from dist_ombo.specs import SearchContext

N_PROPOSALS = 256


def authors_package():
    """The package's modules, or None (with the reason printed) when it is not importable."""
    try:
        import paretoflow
        from importlib.metadata import version

        return paretoflow, version("paretoflow")
    except Exception as exc:  # noqa: BLE001 - any import failure means: skip
        print(f"skipped: the authors' package paretoflow is not importable ({exc}); see this script's docstring")
        return None, None


class SurrogateProxy(torch.nn.Module):
    """Our surrogate's prediction of one objective, in the package's units: z-scored x in,
    z-scored y out (``(n, 1)``)."""

    def __init__(self, surrogate, j, x_mean, x_std, lower, upper, y_mean, y_std):
        super().__init__()
        self.surrogate, self.j = surrogate, j
        f32 = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64), dtype=torch.float32)  # noqa: E731
        self.x_mean, self.x_std, self.lower, self.span = f32(x_mean), f32(x_std), f32(lower), f32(upper - lower)
        self.y_mean, self.y_std = float(y_mean[j]), float(y_std[j])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        box = (z.float() * self.x_std + self.x_mean - self.lower) / self.span
        mean, _ = self.surrogate.predict_torch(box)
        return ((mean[:, self.j] - self.y_mean) / self.y_std).unsqueeze(1)


def build_task(pf, name, X, Y, lower, upper):
    task = pf.Task(task_name=name, input_x=np.asarray(X, dtype=np.float64), input_y=np.asarray(Y, dtype=np.float64),
                   x_lower_bound=np.asarray(lower, dtype=np.float64), x_upper_bound=np.asarray(upper, dtype=np.float64))
    task.xl = (task.xl - task.x_mean) / task.x_std  # the package clips in its normalized x space
    task.xu = (task.xu - task.x_mean) / task.x_std
    return task


def train_authors_flow(pf, task, steps: int, batch: int, seed: int):
    """The package's FlowMatching (its net, its loss) trained for ``steps`` minibatches."""
    torch.manual_seed(seed)
    d = task.input_x.shape[1]
    model = pf.FlowMatching(pf.VectorFieldNet(d, 512), 0.0, d, 1000, prob_path="icfm")
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    X1 = torch.as_tensor(task.input_x, dtype=torch.float32)
    g = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(steps):
        loss = model(X1[torch.randint(len(X1), (batch,), generator=g)])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return model


def train_authors_proxies(task, epochs: int, seed: int):
    from paretoflow.multiple_model_predictor import train_proxies

    torch.manual_seed(seed)
    with tempfile.TemporaryDirectory() as tmp, _quiet():
        _, model = train_proxies(task.input_x, task.input_y, task.name, save_dir=tmp + "/", n_epochs=epochs)
    proxies = list(model.obj2model.values())
    for p in proxies:
        p.eval().requires_grad_(False)
    return proxies


@contextlib.contextmanager
def _quiet():
    """The package prints per epoch and draws progress bars; keep our output to the figures."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


class _RecordingSelection:
    """Stands in for the package's ``get_N_non_dominated_solutions`` and keeps the last call's
    arguments (the sampler's final call gets the whole deduplicated archive and ``-y_hat``)."""

    def __init__(self, shipped):
        self.shipped, self.last = shipped, None

    def __call__(self, N, all_x, all_y):
        self.last = (np.array(all_x), np.array(all_y))
        return self.shipped(N, all_x, all_y)


def run_authors(pf, task, flow, proxies, steps, gamma, seed, our_initial_set=False):
    """The package's sampler; returns (its proposals, proposals re-selected on y_hat, seconds)."""
    import paretoflow.paretoflow as pf_mod

    sampler_cls = pf.ParetoFlow
    if our_initial_set:
        sampler_cls = type("ParetoFlowOurInitialSet", (pf.ParetoFlow,), {"_initialize_pareto_set": _initial_set})
    sampler = sampler_cls(task=task, load_pretrained_fm=True, load_pretrained_proxies=True, fm_model=flow,
                          proxies=proxies)
    recorder = _RecordingSelection(pf_mod.get_N_non_dominated_solutions)
    pf_mod.get_N_non_dominated_solutions = recorder
    torch.manual_seed(seed)
    t = time.perf_counter()
    try:
        with _quiet():
            res_x, _ = sampler.sample(T=steps, gamma=gamma, num_solutions=N_PROPOSALS)
    finally:
        pf_mod.get_N_non_dominated_solutions = recorder.shipped
    seconds = time.perf_counter() - t
    archive_z, neg_pred = recorder.last
    fixed = archive_z[M.rank_by_nds(-neg_pred, N_PROPOSALS)] * task.x_std + task.x_mean
    return res_x, fixed, seconds


def _initial_set(self, batch_size, objectives_weights=None, methods="d_best", all_x=None, all_y=None):
    """The package's ``d_best`` with the sign offspring are scored on: each weight takes the best
    remaining design by ``-y . w`` and keeps that score."""
    from paretoflow.paretoflow_utils import get_N_non_dominated_solutions

    X, Y = get_N_non_dominated_solutions(N=batch_size, all_x=all_x, all_y=all_y)
    X, S = torch.tensor(X), -torch.tensor(Y)
    free, out = torch.ones(len(X), dtype=torch.bool), []
    for i in range(batch_size):
        s = torch.where(free, S @ objectives_weights[i].to(S.dtype), torch.tensor(-torch.inf, dtype=S.dtype))
        j = int(torch.argmax(s))
        out.append((X[j], s[j]))
        free[j] = False
    return out


def guidance_gradient(proxies, Z: torch.Tensor) -> float:
    """Mean norm of ``grad_z sum_j s_j(z) / m`` (s = negated z-scored prediction) at the rows of ``Z``."""
    z = Z.clone().requires_grad_(True)
    (-torch.cat([p(z) for p in proxies], dim=1).mean(dim=1)).sum().backward()
    return float(z.grad.norm(dim=1).mean())


def prediction_error(proxies, Z: torch.Tensor, Yz: np.ndarray) -> float:
    with torch.no_grad():
        pred = torch.cat([p(Z) for p in proxies], dim=1).numpy()
    return float(np.abs(pred - Yz).mean())


def compare(pf, name: str, seed: int, budget: str, gammas: list[float], proxy_epochs: int,
            save=lambda rows: None) -> list[dict[str, Any]]:
    """Every variant on one (task, seed); ``save(rows)`` after each row (a long run keeps what it
    finished)."""
    torch.set_num_threads(1)
    task, spec, resolved = check_trial(TrialConfig(task=name, method="paretoflow", seed=seed, budget=budget))
    data = task.dataset(seed)
    problem = task_problem(task, data)
    seed_train, seed_gen, seed_search = split_seeds(seed)
    lower, upper = np.asarray(task.lower, dtype=np.float64), np.asarray(task.upper, dtype=np.float64)
    rows: list[dict[str, Any]] = []
    flow_steps, batch = resolved.generator.max_steps, resolved.generator.batch_size

    def timed(fn, *a):
        t = time.perf_counter()
        out = fn(*a)
        return out, time.perf_counter() - t

    surrogate, s_train = timed(lambda: get_scheme(spec.scheme).train(problem, resolved.model, seed_train, None))
    flow, f_train = timed(lambda: get_scheme(spec.generator).train(problem, resolved.generator, seed_gen, None))
    ptask = build_task(pf, name, data.X, data.Y, lower, upper)
    pflow, pf_train = timed(train_authors_flow, pf, ptask, flow_steps, batch, seed_gen)
    proxies, p_train = timed(train_authors_proxies, ptask, proxy_epochs, seed_train)
    ours_as_proxies = [SurrogateProxy(surrogate, j, ptask.x_mean, ptask.x_std, lower, upper, ptask.y_mean, ptask.y_std)
                       for j in range(data.Y.shape[1])]
    Z = torch.as_tensor(ptask.input_x, dtype=torch.float32)
    Zbest = Z[M.dbest_indices(data.Y, N_PROPOSALS)]
    predictors = {
        "authors_proxies": {"train_s": p_train, "epochs": proxy_epochs,
                            "grad_norm_dbest": guidance_gradient(proxies, Zbest),
                            "abs_error_data": prediction_error(proxies, Z, ptask.input_y)},
        "our_surrogate": {"train_s": s_train, "grad_norm_dbest": guidance_gradient(ours_as_proxies, Zbest),
                          "abs_error_data": prediction_error(ours_as_proxies, Z, ptask.input_y)},
    }
    base = {"task": name, "seed": seed, "flow_steps": flow_steps, "batch_size": batch, "our_flow_train_s": f_train,
            "authors_flow_train_s": pf_train, "predictors": predictors}
    theirs, ours = predictors["authors_proxies"], predictors["our_surrogate"]
    print(f"{name} seed {seed}: guidance gradient at D(best) authors' proxies {theirs['grad_norm_dbest']:.3f} "
          f"ours {ours['grad_norm_dbest']:.3f}; error on data {theirs['abs_error_data']:.4f} / "
          f"{ours['abs_error_data']:.4f}", flush=True)

    def record(variant, gamma, proposals, seconds, **kw):
        proposals = np.clip(np.asarray(proposals, dtype=np.float64), lower, upper)  # float round-off of denormalizing
        m = score(task, data, proposals, task.oracle(proposals))
        row = {**base, "variant": variant, "gamma": gamma, "n_proposals": len(proposals), "hv_ratio": m["hv_ratio"],
               "copy_fraction": m["copy_fraction"], "novelty": m["novelty"], "search_s": seconds, **kw}
        rows.append(row)
        save(rows)
        print(f"{name} seed {seed} gamma {gamma:<5g} {variant:<55} HV/D(best) {row['hv_ratio']:.4f} copies "
              f"{row['copy_fraction']:.2f} n {len(proposals)} {seconds:.0f}s", flush=True)

    for gamma in gammas:
        for n_weights in (300, 400):
            search = dataclasses.replace(resolved.search, guidance=gamma, n_samples=n_weights)
            ctx = SearchContext(surrogate, problem, N_PROPOSALS, seed_search, None, {"generator": flow})
            (props, _), secs = timed(run_paretoflow, ctx, search)
            record(f"ours ({n_weights} weights)", gamma, props, secs)
        runs = [("authors+our_surrogate", ours_as_proxies, False),
                ("authors+our_surrogate+our_initial_set", ours_as_proxies, True), ("authors", proxies, False)]
        for variant, prox, our_init in runs:
            try:
                res_x, fixed, secs = run_authors(pf, ptask, pflow, prox, resolved.search.steps, gamma, seed_search,
                                                 our_init)
            except AssertionError as exc:  # the package asserts >= 256 distinct archive rows
                print(f"{name} seed {seed} gamma {gamma:g} {variant}: the package stopped: {exc}", flush=True)
                rows.append({**base, "variant": variant, "gamma": gamma, "error": str(exc).split("\n")[0]})
                save(rows)
                continue
            record(variant, gamma, res_x, secs)
            record(variant + ", selection on y_hat", gamma, fixed, secs)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="zdt1,re21")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--budget", default="cpu")
    parser.add_argument("--gammas", default="2")
    parser.add_argument("--proxy-epochs", type=int, default=1, help="the package's proxies' epochs (its default: 200)")
    parser.add_argument("--results", default="paretoflow_vs_authors", help="results file name")
    args = parser.parse_args()
    pf, version = authors_package()
    if pf is None:
        return
    gammas = [float(g) for g in args.gammas.split(",")]
    done: list[dict[str, Any]] = []

    def save(rows):
        return write_results(args.results, {"method": "paretoflow", "budget": args.budget, "package": version,
                                            "proxy_epochs": args.proxy_epochs, "rows": done + rows})

    for name in args.tasks.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            done += compare(pf, name, seed, args.budget, gammas, args.proxy_epochs, save)
    print(f"wrote {save([])}")


if __name__ == "__main__":
    main()
