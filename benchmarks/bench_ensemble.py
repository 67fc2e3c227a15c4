"""Training and inference speed of the batched ensemble against a Python loop over separate MLPs.

On one CPU thread, for K members of d-H-H-1 MLPs (the Off-MOO-Bench reference has H=2048), time
``EnsembleSurrogate.fit`` (all nets stepping together through ``MSEStep``: forward and backward by
hand into reused buffers, one fused Adam step) and, side by side in the same run:

- ``autograd step``: the same fit with the step it had before (``net(x)``, loss, ``backward``,
  fused Adam; ``EnsembleSurrogate`` swapped to it for the timing only), so before/after is one run;
- a plain loop over K ``nn.Sequential`` nets, each with its own Adam, its own minibatches, the same
  data, batch size and number of steps, with torch's default Adam and with ``fused=True``.

Vectorized seconds per step = ``(t(fit, warm-up + steps) - t(fit, warm-up)) / steps``, best of
``--repeats`` for each fit, so setup costs (init, split, one validation pass) cancel; the variants
are interleaved, so a busy neighbour slows all alike. Also reported: achieved GFLOP/s (forward
``2*in*out`` per layer per sample, x3 with the backward) against the thread's fp32 matmul peak
(best 2048^3 matmul, measured between the rounds of the same run) and the per-step cost of
gathering per-net minibatches.

Inference: designs/s of ``predict`` (numpy in and out, mean and std included), of ``predict`` as
it was before (one batched ``forward`` over row chunks), and of a plain no-grad loop over the same
nets (K members x 2 objectives).

``--malloc-tuning`` adds a training pass with glibc's mmap and trim thresholds raised
(``mallopt``); that is process configuration, the caller's choice, never the library's. It used to
matter (stacked gradients above glibc's 32 MiB mmap threshold were page-faulted in every step);
``MSEStep``'s reused buffers made it moot for the batched path.

    python benchmarks/bench_ensemble.py            # writes benchmarks/results/ensemble.json
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from dist_ombo.models import BatchedMLP, EnsembleConfig, EnsembleSurrogate
from dist_ombo.models import ensemble as ensemble_module

RESULTS = Path(__file__).resolve().parent / "results" / "ensemble.json"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def matmul_gflops(n: int = 2048, reps: int = 6) -> float:
    """Best-of-``reps`` GFLOP/s of one ``n x n @ n x n`` fp32 matmul."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(reps))
    return 2 * n**3 / best / 1e9


def tune_malloc() -> bool:
    """Raise glibc's trim and mmap thresholds to 1 GiB for this process; False when not glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(libc.mallopt(m_trim_threshold, 1 << 30) and libc.mallopt(m_mmap_threshold, 1 << 30))


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def train_flops_per_step(sizes: tuple[int, ...], k: int, batch: int) -> float:
    """Forward 2*in*out per layer per sample, x3 for forward + backward, for k nets."""
    per_sample = sum(2 * a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return 3.0 * per_sample * batch * k


def make_data(n: int, d: int, m: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """ZDT1-like objectives on [0, 1]^d (the values do not matter for timing)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n, d))
    g = 1 + 9 * X[:, 1:].mean(axis=1)
    f1 = X[:, 0]
    cols = [f1, g * (1 - np.sqrt(f1 / g))][:m]
    return X, np.stack(cols, axis=1)


class AutogradStep:
    """The training step ``EnsembleSurrogate`` took before ``MSEStep`` (for the side-by-side
    timing): autograd forward and backward, gradients freed after every step, fused Adam."""

    def __init__(self, net: BatchedMLP, optimizer: torch.optim.Optimizer) -> None:
        self.net, self.optimizer = net, optimizer

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        loss = (self.net(x) - y).square().mean(dim=1).sum()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.detach()


def vectorized_timer(X, Y, hidden, k, batch, warmup, steps,
                     step_cls: type | None = None) -> Callable[[], tuple[float, float]]:
    """A sampler of ``(t(fit, warm-up steps), t(fit, warm-up + steps))`` for ``EnsembleSurrogate``
    (``step_cls``: the training step to swap in, default the shipped one)."""
    d = X.shape[1]
    lo, hi = np.zeros(d), np.ones(d)

    def fit(max_steps: int) -> float:
        cfg = EnsembleConfig(n_members=k, hidden=hidden, epochs=1, max_steps=max_steps, batch_size=batch)
        shipped = ensemble_module.MSEStep
        if step_cls is not None:
            ensemble_module.MSEStep = step_cls
        try:
            return _timed(lambda: EnsembleSurrogate(cfg).fit(X, Y, lo, hi, seed=0))
        finally:
            ensemble_module.MSEStep = shipped

    fit(warmup)  # first-call allocations, thread-pool and MKL start-up
    return lambda: (fit(warmup), fit(warmup + steps))


def loop_timer(X, Y, hidden, k, batch, warmup, steps, fused: bool) -> Callable[[], float]:
    """A sampler of the time of ``steps`` steps of K separate nn.Sequential nets, each with its own
    Adam and its own minibatches (after ``warmup`` untimed steps)."""
    d = X.shape[1]
    x = torch.as_tensor(X, dtype=torch.float32)
    y = torch.as_tensor((Y - Y.min(0)) / (Y.max(0) - Y.min(0)), dtype=torch.float32)
    stacked = BatchedMLP(d, 1, hidden, k, generator=torch.Generator().manual_seed(0))
    nets = [stacked.member(i) for i in range(k)]
    opts = [torch.optim.Adam(net.parameters(), lr=1e-3, fused=fused) for net in nets]
    g = torch.Generator().manual_seed(1)
    orders = [torch.randperm(len(x), generator=g) for _ in range(k)]

    def run(n_steps: int) -> None:
        for s in range(n_steps):
            for net, opt, order in zip(nets, opts, orders):
                idx = order[(s * batch) % (len(x) - batch):][:batch]
                loss = (net(x[idx]) - y[idx]).square().mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()

    run(warmup)
    return lambda: _timed(lambda: run(steps))


def gather_seconds(X, k, batch, reps: int = 200) -> float:
    """Cost of building the per-net minibatch ``(k, batch, d)`` by index gather, per step."""
    x = torch.as_tensor(X, dtype=torch.float32)
    idx = torch.randint(0, len(x), (k, batch), generator=torch.Generator().manual_seed(0))
    x[idx]
    return min(_timed(lambda: x[idx]) for _ in range(reps))


def predict_before(model: EnsembleSurrogate, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``EnsembleSurrogate.predict`` as it was before ``BatchedMLP.infer``: one batched
    ``forward`` (``baddbmm`` over all nets) per chunk of 16 MiB of activations."""
    feats = model._features(X)
    rows = max(1, (1 << 22) // (model.net.n_nets * max(model.net.sizes)))
    means, stds = [], []
    with torch.no_grad():
        for chunk in torch.split(feats, rows):
            mu, sd = model._mean_std(model._members(chunk))
            means.append(mu)
            stds.append(sd)
    mean, std = torch.cat(means).double().numpy(), torch.cat(stds).double().numpy()
    return model.y_normalizer.inverse(mean), model.y_normalizer.inverse_std(std)


def time_inference(X, Y, hidden, k, sizes, repeats) -> list[dict]:
    """Forward-only designs/s of ``predict`` (numpy in/out), of ``predict`` before ``infer`` and of
    a loop over the same nets, interleaved, best of ``repeats``."""
    d = X.shape[1]
    cfg = EnsembleConfig(n_members=k, hidden=hidden, epochs=1, max_steps=1)
    model = EnsembleSurrogate(cfg).fit(X, Y, np.zeros(d), np.ones(d), seed=0)
    nets = [model.net.member(i).requires_grad_(False) for i in range(model.net.n_nets)]
    rows = []
    rng = np.random.default_rng(2)
    for n in sizes:
        Xq = rng.uniform(size=(n, d))
        xq = torch.as_tensor(Xq, dtype=torch.float32)
        now, before = model.predict(Xq), predict_before(model, Xq)
        max_diff = float(np.abs(now[0] - before[0]).max() / max(np.abs(before[0]).max(), 1e-12))

        def loop():
            with torch.no_grad():
                return [net(xq) for net in nets]

        loop()
        t_vec, t_before, t_loop = [], [], []
        for _ in range(repeats):
            t_vec.append(_timed(lambda: model.predict(Xq)))
            t_before.append(_timed(lambda: predict_before(model, Xq)))
            t_loop.append(_timed(loop))
        t_vec, t_before, t_loop = min(t_vec), min(t_before), min(t_loop)
        rows.append({
            "hidden": list(hidden), "n_nets": model.net.n_nets, "n_designs": n,
            "vectorized_designs_per_s": n / t_vec, "before_designs_per_s": n / t_before,
            "loop_designs_per_s": n / t_loop,
            "speedup": t_loop / t_vec, "speedup_before": t_loop / t_before,
            "max_rel_diff_vs_before": max_diff,
        })
    return rows


def bench_training(X, Y, args, peaks: list[float], mode: str) -> list[dict]:
    """Steps/s of the vectorized ensemble (shipped step and the autograd step it replaced) and the
    two loop baselines, for hidden 2048 and 256; one matmul-peak sample per round into ``peaks``."""
    rows = []
    for hidden, steps in (((2048, 2048), args.steps_large), ((256, 256), args.steps_small)):
        flops = train_flops_per_step((args.d, *hidden, 1), args.k, args.batch)
        common = (X, Y, hidden, args.k, args.batch, args.warmup, steps)
        samplers = {
            "vectorized": vectorized_timer(*common),
            "autograd": vectorized_timer(*common, step_cls=AutogradStep),
            "loop": loop_timer(*common, fused=False),
            "loop_fused": loop_timer(*common, fused=True),
        }
        times: dict[str, list] = {name: [] for name in samplers}
        for _ in range(args.repeats):  # interleaved, best of each: a busy neighbour hits all alike
            for name, sampler in samplers.items():
                times[name].append(sampler())
            peaks.append(matmul_gflops(reps=3))
        t_vec, t_auto = ((min(t for _, t in times[v]) - min(t for t, _ in times[v])) / steps
                         for v in ("vectorized", "autograd"))
        t_loop, t_loop_fused = min(times["loop"]) / steps, min(times["loop_fused"]) / steps
        rows.append({
            "malloc": mode, "hidden": list(hidden), "k": args.k, "d": args.d, "batch": args.batch,
            "steps": steps,
            "vectorized_steps_per_s": 1 / t_vec,
            "autograd_step_steps_per_s": 1 / t_auto,
            "loop_steps_per_s": 1 / t_loop,
            "loop_fused_adam_steps_per_s": 1 / t_loop_fused,
            "speedup_vs_loop": t_loop / t_vec,
            "speedup_vs_loop_fused_adam": t_loop_fused / t_vec,
            "autograd_step_speedup_vs_loop_fused_adam": t_loop_fused / t_auto,
            "vectorized_gflops": flops / t_vec / 1e9,
            "autograd_step_gflops": flops / t_auto / 1e9,
            "loop_fused_adam_gflops": flops / t_loop_fused / 1e9,
            "gather_ms_per_step": 1e3 * gather_seconds(X, args.k, args.batch),
        })
    return rows


def print_tables(result: dict) -> None:
    a = result["args"]
    print(f"torch {result['torch']}, {result['threads']} thread, {result['cpu']}")
    print(f"fp32 matmul 2048^3: {result['matmul_gflops']:.1f} GFLOP/s (best of the run; "
          f"samples {min(result['matmul_gflops_samples']):.1f}-{max(result['matmul_gflops_samples']):.1f})\n")
    print(f"training, K={a['k']}, d={a['d']}, batch {a['batch']} (steps/s; x = loop+fused time / this time;"
          " of mm = GFLOP/s / matmul peak)")
    print(f"{'malloc':>14} {'hidden':>12} {'vectorized':>11} {'autograd':>9} {'loop':>7} {'loop+fused':>11}"
          f" {'x fused':>8} {'x (autograd)':>12} {'GFLOP/s':>8} {'of mm':>6} {'(autograd)':>10} {'(fused loop)':>12}")
    for r in result["training"]:
        print(f"{r['malloc']:>14} {str(tuple(r['hidden'])):>12} {r['vectorized_steps_per_s']:11.2f}"
              f" {r['autograd_step_steps_per_s']:9.2f} {r['loop_steps_per_s']:7.2f}"
              f" {r['loop_fused_adam_steps_per_s']:11.2f} {r['speedup_vs_loop_fused_adam']:8.2f}"
              f" {r['autograd_step_speedup_vs_loop_fused_adam']:12.2f} {r['vectorized_gflops']:8.1f}"
              f" {r['fraction_of_matmul']:6.2f} {r['autograd_step_fraction_of_matmul']:10.2f}"
              f" {r['loop_fused_adam_fraction_of_matmul']:12.2f}")
    print(f"\ninference, {a['k']} members x 2 objectives (designs/s; x = loop time / this time)")
    print(f"{'hidden':>12} {'nets':>5} {'n':>6} {'predict':>10} {'before':>10} {'loop':>10} {'x loop':>7}"
          f" {'x (before)':>10} {'rel. diff':>9}")
    for r in result["inference"]:
        print(f"{str(tuple(r['hidden'])):>12} {r['n_nets']:5d} {r['n_designs']:6d}"
              f" {r['vectorized_designs_per_s']:10.0f} {r['before_designs_per_s']:10.0f}"
              f" {r['loop_designs_per_s']:10.0f} {r['speedup']:7.2f} {r['speedup_before']:10.2f}"
              f" {r['max_rel_diff_vs_before']:9.1e}")


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--k", type=int, default=5, help="ensemble members (nets) in the training benchmark")
    p.add_argument("--d", type=int, default=30, help="input dimension")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--steps-large", type=int, default=20, help="timed steps for hidden 2048")
    p.add_argument("--steps-small", type=int, default=200, help="timed steps for hidden 256")
    p.add_argument("--repeats", type=int, default=3, help="best of this many timings")
    p.add_argument("--inference-sizes", type=int, nargs="+", default=[256, 4096], help="designs per predict")
    p.add_argument("--malloc-tuning", action="store_true", help="add a training pass with mallopt (glibc)")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)

    torch.set_num_threads(1)
    peaks = [matmul_gflops()]
    # enough rows that one epoch (90% of them) holds every timed step
    n = int((args.warmup + max(args.steps_large, args.steps_small)) * args.batch / 0.85) + args.batch
    X, Y1 = make_data(n, args.d, 1)
    _, Y2 = make_data(n, args.d, 2)
    inference = []
    for hidden in ((2048, 2048), (256, 256)):
        inference += time_inference(X, Y2, hidden, args.k, args.inference_sizes, args.repeats + 1)
        peaks.append(matmul_gflops(reps=3))
    training = bench_training(X, Y1, args, peaks, "glibc default")
    if args.malloc_tuning:
        if tune_malloc():  # irreversible for this process, so it runs last
            training += bench_training(X, Y1, args, peaks, "mallopt 1 GiB")
        else:
            print("mallopt unavailable (not glibc); skipped the tuned-malloc pass")
    peak = max(peaks)  # the thread's peak: the best sample, as for every other timing here
    for r in training:
        for key in ("", "autograd_step_", "loop_fused_adam_"):
            gflops = r["vectorized_gflops"] if not key else r[f"{key}gflops"]
            r[f"{key}fraction_of_matmul"] = gflops / peak

    result = {
        "torch": torch.__version__, "threads": torch.get_num_threads(), "cpu": cpu_model(),
        "cpu_count": os.cpu_count(), "python": platform.python_version(), "machine": platform.machine(),
        "args": {k: v for k, v in vars(args).items() if k != "out"},
        "matmul_gflops": peak, "matmul_gflops_samples": peaks, "training": training, "inference": inference,
    }
    print_tables(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    os.replace(tmp, args.out)  # atomic: a reader never sees half a file
    print(f"\nwrote {args.out}")
    return result


if __name__ == "__main__":
    main()
