"""BoTorch's fused qLogNEHVI C++ kernel vs its pure-Python path, one CPU thread.

Compiles the kernel once, outside any trial, into a temporary ``TORCH_EXTENSIONS_DIR`` (the cost a
first use would pay), then times forward + backward passes of the same qLogNEHVI acquisition
(GPs on ZDT1's best 128 designs, 32 MC samples, 16 restarts x q=1) with the kernel and without.
The project keeps the pure-Python path (``dist_ombo/bo/fused_kernel.py``); this is the evidence.

    python -m benchmarks.bench_bo_kernel      # writes benchmarks/results/bo_kernel.json
"""

from __future__ import annotations

import os
import tempfile
import time

import torch

from benchmarks.common import write_results


def main() -> None:
    torch.set_num_threads(1)
    os.environ["TORCH_EXTENSIONS_DIR"] = tempfile.mkdtemp(prefix="bo_kernel_")
    from botorch.acquisition.multi_objective import logei
    from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
    from botorch.sampling.normal import SobolQMCNormalSampler

    from dist_ombo import get_task
    from dist_ombo.bo.gp import GPConfig, fit_gp
    from dist_ombo.problem import OfflineProblem

    task = get_task("zdt1")
    data = task.dataset(0)
    gp = fit_gp(OfflineProblem(data.X, data.Y, task.lower, task.upper), GPConfig(train_size=128), seed=0)

    t, c = time.perf_counter(), time.process_time()
    logei._try_load_fused_kernel()
    compile_s, compile_cpu_s = time.perf_counter() - t, time.process_time() - c
    kernel = logei._C
    print(f"compile: {compile_s:.1f} s wall, {compile_cpu_s:.1f} s CPU of this process (g++ runs in a child); "
          f"loaded: {kernel is not None}", flush=True)

    X = torch.rand(16, 1, gp.X.shape[1], dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    rows = {}
    for name, module in (("pure_python", None), ("fused_kernel", kernel)):
        if name == "fused_kernel" and module is None:
            continue
        logei._C = module
        acq = qLogNoisyExpectedHypervolumeImprovement(
            gp.model, gp.ref_point().tolist(), gp.train_inputs(),
            sampler=SobolQMCNormalSampler(torch.Size([32]), seed=0), prune_baseline=True)
        reps = 20
        t, c = time.perf_counter(), time.process_time()
        for _ in range(reps):
            x = X.clone().requires_grad_(True)
            acq(x).sum().backward()
        wall, cpu = (time.perf_counter() - t) / reps, (time.process_time() - c) / reps
        rows[name] = {"s_per_eval": wall, "cpu_s_per_eval": cpu}
        print(f"{name}: {wall * 1e3:.1f} ms per forward+backward of 16 candidates ({cpu * 1e3:.1f} ms CPU)", flush=True)
    if len(rows) == 2:
        rows["speedup_cpu"] = rows["pure_python"]["cpu_s_per_eval"] / rows["fused_kernel"]["cpu_s_per_eval"]
        print(f"fused kernel speed-up (CPU time): {rows['speedup_cpu']:.2f}x", flush=True)
    write_results("bo_kernel", {"compile_s": compile_s, "kernel_loaded": kernel is not None, **rows})


if __name__ == "__main__":
    main()
