"""Keep BoTorch's qLog(N)EHVI on its pure-Python path: nothing compiles inside a trial.

BoTorch 0.18's ``botorch.acquisition.multi_objective.logei`` loads a fused C++ kernel on the first
qLogEHVI / qLogNEHVI construction: if no prebuilt ``logei_fused_ext`` module imports, it
JIT-compiles ``csrc/logei_fused.cpp`` with ``torch.utils.cpp_extension.load`` and
``-march=native`` into the torch extensions cache. That compile took over a minute on a quiet
2-core machine and 12+ minutes on a loaded one; one killed midway leaves a ``lock`` file there
on which every later construction waits forever; and ``-march=native`` ties the build to one CPU
model while a cluster's nodes differ. The kernel speeds up only the box-decomposition inner loop
(BoTorch: 1.5-3x there), so we mark the load as already attempted with no kernel, which is the
library's own fallback after a failed compile. See ``benchmarks/README.md`` for the measured cost.
"""

from __future__ import annotations

from dist_ombo.errors import DistOmboError


def use_pure_python_kernel() -> None:
    """Make the next qLog(N)EHVI construction skip the fused kernel's load and compile. Raises if
    BoTorch no longer has the switch (a newer release: check for a compile before raising the pin)."""
    from botorch.acquisition.multi_objective import logei

    if not hasattr(logei, "_load_attempted") or not hasattr(logei, "_C"):
        raise DistOmboError(
            "this BoTorch release changed how qLogNEHVI loads its C++ kernel "
            "(botorch.acquisition.multi_objective.logei._load_attempted is gone); "
            "dist_ombo supports botorch>=0.18,<0.19"
        )
    logei._load_attempted = True
    logei._C = None
