"""One check of the GPU path, run once on a GPU machine; the JSON it writes is the evidence.

Parts (each written to the JSON as soon as it is done, so a cut-short run keeps what finished):

1. ``environment``: torch, CUDA, cuDNN, Ray and driver versions; the device's properties.
2. ``peak`` (GPU only): the device's measured fp32 and tf32 matmul peak (an 8192^3 ``mm``, CUDA
   events, TF32 off then on), the yardstick for the next part.
3. ``trial``: one full trial (``ensemble-nsga2``, default ``zdt1``, ``reference`` budget on a GPU:
   5 members x 2 objectives of 2 x 2048 MLPs, batch 128, 200 epochs) through ``run_trial``, its
   training inside a Ray actor holding ``num_gpus=1``. Reported: HV, the trial's times, and the
   training's achieved GFLOP/s (forward ``2*in*out`` per layer per sample, x3 with the backward,
   plus the per-epoch validation forward) as a fraction of the fp32 and tf32 peaks. The training
   time is the actor's whole wall time (start, CUDA context, transfers included), so the fraction
   is a lower bound.
4. ``packed``: 4 trials at once (seeds 0-3, ``--packed-epochs`` epochs each) with
   ``gpus_per_actor: 0.25``, so Ray packs their training actors on one GPU; reported: each
   trial's HV and training window, whether all four windows overlapped, and the wall time.

On a machine without CUDA it still runs, on the ``smoke`` budget: parts 2 and the GPU of parts 3-4
are skipped and the JSON says so (``gpu_skipped``); part 4 then schedules its four actors on one
*logical* Ray GPU, which checks the packing and the CUDA-absent fallback but measures nothing of a
GPU. Only public entry points are used: ``runner.run_trial``, ``runner.TrialConfig`` and the
trainers of ``distributed/actors.py``.

    benchmarks/device_check.sh [OUT_PATH]      # default $OUT/device_check.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

METHOD = "ensemble-nsga2"
N_PACKED = 4


def default_out() -> Path:
    if os.environ.get("OUT"):
        return Path(os.environ["OUT"]) / "device_check.json"
    return Path(__file__).resolve().parent / "results" / "device_check.json"


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Atomic write: a reader (or a run cut short) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    os.replace(tmp, path)


def environment() -> dict[str, Any]:
    import numpy as np
    import ray
    import torch

    env: dict[str, Any] = {
        "python": platform.python_version(), "machine": platform.machine(), "cpu_count": os.cpu_count(),
        "torch": torch.__version__, "torch_cuda": torch.version.cuda, "numpy": np.__version__,
        "ray": ray.__version__, "cuda_available": torch.cuda.is_available(),
        "git_commit": _git_commit(),
    }
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        env.update({
            "cudnn": torch.backends.cudnn.version(), "device_count": torch.cuda.device_count(),
            "device_name": props.name, "device_memory_gib": props.total_memory / 2**30,
            "multiprocessors": props.multi_processor_count, "compute_capability": f"{props.major}.{props.minor}",
            "allow_tf32_default": torch.backends.cuda.matmul.allow_tf32, "driver": _nvidia_smi_driver(),
        })
    return env


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _nvidia_smi_driver() -> str | None:
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def matmul_peak_tflops(tf32: bool, n: int = 8192, reps: int = 20) -> float:
    """Best-of-3 TFLOP/s of ``n^3`` fp32 ``mm`` on the current CUDA device, TF32 on or off."""
    import torch

    before = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32
    try:
        a, b = torch.randn(n, n, device="cuda"), torch.randn(n, n, device="cuda")
        c = torch.empty(n, n, device="cuda")
        for _ in range(3):
            torch.mm(a, b, out=c)
        torch.cuda.synchronize()
        best = math.inf
        for _ in range(3):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(reps):
                torch.mm(a, b, out=c)
            end.record()
            torch.cuda.synchronize()
            best = min(best, start.elapsed_time(end) / 1e3 / reps)
        del a, b, c
        torch.cuda.empty_cache()
        return 2 * n**3 / best / 1e12
    finally:
        torch.backends.cuda.matmul.allow_tf32 = before


def training_flops(job: Any) -> float:
    """FLOPs of training one ensemble job: forward ``2*in*out`` per layer per sample, x3 with the
    backward, over every epoch's training rows (``max_steps`` honoured), plus one validation
    forward per epoch. Read from the job's arrays and config only."""
    cfg = job.config
    problem = job.problem
    n, m = problem.Y.shape
    d = problem.X.shape[1] * (problem.n_categories or 1)  # one-hot width for token designs
    multiple = getattr(cfg, "head", "multiple") == "multiple"
    n_nets = cfg.n_members * (m if multiple else 1)
    sizes = (d, *cfg.hidden, 1 if multiple else m)
    per_sample = sum(2 * a * b for a, b in zip(sizes[:-1], sizes[1:]))
    n_val = min(math.ceil(n * cfg.val_fraction), n - 1)
    n_fit, bs = n - n_val, cfg.batch_size
    steps_per_epoch = math.ceil(n_fit / bs)
    epochs = cfg.epochs
    if cfg.max_steps is not None:
        epochs = min(epochs, math.ceil(cfg.max_steps / steps_per_epoch))
    steps_left = cfg.max_steps if cfg.max_steps is not None else math.inf
    rows = 0
    for _ in range(epochs):
        take = min(steps_per_epoch, steps_left)
        rows += min(n_fit, take * bs)
        steps_left -= take
    return n_nets * per_sample * (3 * rows + epochs * n_val)


class TimedTrainer:
    """Wraps a ``runner.Trainer`` (here a Ray one) and records each call's wall-clock window and
    the training FLOPs of its ensemble jobs. With ``parties``, calls wait for each other at a
    barrier, so trials whose datasets took different times still start training together."""

    def __init__(self, inner: Callable, parties: int = 1) -> None:
        self.inner = inner
        self.calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._barrier = threading.Barrier(parties) if parties > 1 else None

    def __call__(self, jobs: list, show_progress: bool = False) -> list:
        if self._barrier is not None:
            self._barrier.wait(timeout=3600)
        start = time.time()
        models = self.inner(jobs, show_progress)
        end = time.time()
        flops = sum(training_flops(j) for j in jobs if hasattr(j.config, "hidden"))
        with self._lock:
            self.calls.append({"start": start, "end": end, "seconds": end - start, "flops": flops})
        return models


def run_full_trial(args, gpu: bool, peaks: dict[str, float] | None) -> dict[str, Any]:
    from dist_ombo.distributed.actors import ray_trainer
    from dist_ombo.runner import TrialConfig, run_trial

    model = {"epochs": args.epochs} if args.epochs else {}
    gpus = 1.0 if gpu else 0.0
    config = TrialConfig(task=args.task, method=METHOD, seed=0, budget=args.budget, model=model,
                         cpus_per_actor=1.0, gpus_per_actor=gpus)
    trainer = TimedTrainer(ray_trainer(1, 1.0, gpus))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_trial(config, trainer=trainer)
    m, call = result.metrics, trainer.calls[0]
    out: dict[str, Any] = {
        "config": config.to_dict(), "actor_num_gpus": gpus, "hv": m.get("hv"), "hv_ratio": m.get("hv_ratio"),
        "igd": m.get("igd"), "final_val_loss": m.get("final_val_loss"),
        "times_s": {k: v for k, v in m.items() if k.startswith("time_")},
        "train_wall_s": call["seconds"], "train_flops": call["flops"],
        "train_gflops": call["flops"] / call["seconds"] / 1e9,
        "warnings": [str(w.message) for w in caught],
    }
    if peaks:
        tflops = out["train_gflops"] / 1e3
        out["fraction_of_fp32_peak"] = tflops / peaks["fp32_tflops"]
        out["fraction_of_tf32_peak"] = tflops / peaks["tf32_tflops"]
    return out


def run_packed(args, gpu: bool) -> dict[str, Any]:
    from dist_ombo.distributed.actors import ray_trainer
    from dist_ombo.runner import TrialConfig, run_trial

    model = {"epochs": args.packed_epochs} if args.packed_epochs else {}
    trainer = TimedTrainer(ray_trainer(1, args.packed_cpus, 0.25), parties=N_PACKED)
    configs = [TrialConfig(task=args.task, method=METHOD, seed=s, budget=args.budget, model=model,
                           cpus_per_actor=args.packed_cpus, gpus_per_actor=0.25) for s in range(N_PACKED)]
    t0 = time.time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ThreadPoolExecutor(N_PACKED) as pool:
            results = list(pool.map(lambda c: run_trial(c, trainer=trainer), configs))
    wall = time.time() - t0
    windows = sorted(trainer.calls, key=lambda c: c["start"])
    all_four_s = min(c["end"] for c in windows) - max(c["start"] for c in windows)
    flops = sum(c["flops"] for c in windows)
    train_span = max(c["end"] for c in windows) - min(c["start"] for c in windows)
    return {
        "n_trials": N_PACKED, "gpus_per_actor": 0.25, "cpus_per_actor": args.packed_cpus,
        "model_overrides": model, "wall_s": wall,
        "all_training_windows_overlap": all_four_s > 0,
        "all_four_training_s": max(0.0, all_four_s),
        "training_span_s": train_span, "mean_training_s": sum(c["seconds"] for c in windows) / len(windows),
        "training_gflops_together": flops / train_span / 1e9,
        "trials": [{"seed": c.seed, "hv": r.metrics.get("hv"), "time_train_s": r.metrics["time_train_s"],
                    "time_total_s": r.metrics["time_total_s"]} for c, r in zip(configs, results)],
        "training_windows_s": [[c["start"] - t0, c["end"] - t0] for c in windows],
        "warnings": sorted({str(w.message) for w in caught}),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=None, help="JSON path (default $OUT/device_check.json)")
    p.add_argument("--task", default="zdt1")
    p.add_argument("--budget", default=None, help="default: reference with CUDA, smoke without")
    p.add_argument("--epochs", type=int, default=None, help="override the full trial's training epochs")
    p.add_argument("--packed-epochs", type=int, default=None,
                   help="epochs of each packed trial (default: 20 with CUDA, the budget's without)")
    p.add_argument("--skip-packed", action="store_true")
    args = p.parse_args(argv)
    out_path = args.out or default_out()

    import ray
    import torch

    gpu = torch.cuda.is_available()
    args.budget = args.budget or ("reference" if gpu else "smoke")
    if args.packed_epochs is None and gpu:
        args.packed_epochs = 20
    cpus = os.cpu_count() or 1
    args.packed_cpus = 1.0 if cpus >= N_PACKED + 1 else max(0.25, (cpus - 0.5) / N_PACKED)
    report: dict[str, Any] = {"check": "device", "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                              "budget": args.budget, "task": args.task, "method": METHOD}
    if not gpu:
        report["gpu_skipped"] = ("no CUDA device visible to torch: skipped the peak measurement and GPU "
                                 "training; the packed trials run on one logical Ray GPU (CPU training)")
        print(f"device check: {report['gpu_skipped']}", flush=True)

    t0 = time.time()
    report["environment"] = environment()
    write_json(out_path, report)
    peaks = None
    if gpu:
        peaks = {"fp32_tflops": matmul_peak_tflops(False), "tf32_tflops": matmul_peak_tflops(True)}
        report["peak"] = peaks
        print(f"peak: fp32 {peaks['fp32_tflops']:.1f} TFLOP/s, tf32 {peaks['tf32_tflops']:.1f} TFLOP/s", flush=True)
        write_json(out_path, report)

    # a logical GPU without CUDA lets Ray schedule (and the packing part check) GPU actors on CPU
    ray.init(num_cpus=cpus, num_gpus=None if gpu else 1, include_dashboard=False, log_to_driver=False)
    try:
        report["trial"] = run_full_trial(args, gpu, peaks)
        t = report["trial"]
        frac = f", {t['fraction_of_fp32_peak']:.2f} of fp32 peak" if peaks else ""
        print(f"trial: HV {t['hv']:.6f}; training {t['train_wall_s']:.1f} s, {t['train_gflops']:.1f} GFLOP/s{frac}",
              flush=True)
        write_json(out_path, report)
        if not args.skip_packed:
            report["packed"] = run_packed(args, gpu)
            pk = report["packed"]
            print(f"packed: {N_PACKED} trials in {pk['wall_s']:.1f} s; all four training at once for "
                  f"{pk['all_four_training_s']:.1f} of {pk['training_span_s']:.1f} s; "
                  f"HVs {[round(r['hv'], 4) for r in pk['trials']]}", flush=True)
    finally:
        ray.shutdown()
    report["total_s"] = time.time() - t0
    write_json(out_path, report)
    print(f"wrote {out_path}", flush=True)
    return report


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
