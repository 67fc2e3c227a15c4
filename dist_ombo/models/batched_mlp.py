"""Many independent MLPs of one shape, evaluated together with one batched matmul per layer.

Stacking the weights of K regressors into ``(K, in, out)`` tensors lets one ``torch.baddbmm`` per
layer, one backward and one optimizer step do the work of K ``nn.Linear`` stacks. That removes the
per-call overhead that dominates small nets; nets of 2048 units on a CPU are compute-bound either
way (see ``benchmarks/bench_ensemble.py``).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


class BatchedMLP(nn.Module):
    """``n_nets`` independent MLPs ``in -> hidden... -> out``, LeakyReLU between layers, linear output.

    Layer ``k`` holds ``weights[k]`` of shape ``(n_nets, in_k, out_k)`` and ``biases[k]`` of shape
    ``(n_nets, 1, out_k)``. Initialization matches ``torch.nn.Linear`` (kaiming-uniform with
    ``a=sqrt(5)``, i.e. weights and biases uniform in ``±1/sqrt(in_k)``), drawn from ``generator``
    so that construction never touches the global RNG (``init=False`` leaves the memory
    uninitialized, for weights loaded next; see ``from_tensors``). The activation follows
    Off-MOO-Bench (LeakyReLU, slope 0.01).

    The ``(in, out)`` layout makes the forward ``x @ W``. MKL runs nn.Linear's ``x @ W.T`` about 20%
    faster for 2048x2048 on one CPU thread, but the backward's ``grad @ W.T`` swaps the two, so
    training costs the same either way; only forward-only inference pays.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        hidden: Sequence[int],
        n_nets: int,
        generator: torch.Generator | None = None,
        negative_slope: float = 0.01,
        dtype: torch.dtype = torch.float32,
        init: bool = True,
    ) -> None:
        super().__init__()
        if n_nets < 1 or in_features < 1 or out_features < 1 or any(h < 1 for h in hidden):
            raise ValueError(
                f"BatchedMLP sizes must be positive: n_nets={n_nets}, in={in_features}, "
                f"hidden={tuple(hidden)}, out={out_features}"
            )
        self.n_nets = int(n_nets)
        self.sizes = (int(in_features), *(int(h) for h in hidden), int(out_features))
        self.negative_slope = float(negative_slope)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            bound = 1.0 / math.sqrt(fan_in)
            w = torch.empty(self.n_nets, fan_in, fan_out, dtype=dtype)
            b = torch.empty(self.n_nets, 1, fan_out, dtype=dtype)
            if init:
                w.uniform_(-bound, bound, generator=generator)
                b.uniform_(-bound, bound, generator=generator)
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(b))

    @classmethod
    def from_tensors(
        cls,
        weights: Sequence[torch.Tensor | np.ndarray],
        biases: Sequence[torch.Tensor | np.ndarray],
        negative_slope: float = 0.01,
    ) -> BatchedMLP:
        """Rebuild from stacked per-layer arrays (``(n_nets, in, out)`` and ``(n_nets, 1, out)``)."""
        ws = [_tensor(w) for w in weights]
        bs = [_tensor(b) for b in biases]
        if not ws or len(ws) != len(bs):
            raise ValueError("need one bias per weight tensor and at least one layer")
        sizes = [ws[0].shape[1]] + [w.shape[2] for w in ws]
        net = cls(sizes[0], sizes[-1], sizes[1:-1], ws[0].shape[0], negative_slope=negative_slope,
                  dtype=ws[0].dtype, init=False)
        with torch.no_grad():
            for p, w in zip(net.weights, ws):
                if p.shape != w.shape:
                    raise ValueError(f"weight shape {tuple(w.shape)}, expected {tuple(p.shape)}")
                p.copy_(w)
            for p, b in zip(net.biases, bs):
                if p.shape != b.shape:
                    raise ValueError(f"bias shape {tuple(b.shape)}, expected {tuple(p.shape)}")
                p.copy_(b)
        return net

    @property
    def in_features(self) -> int:
        return self.sizes[0]

    @property
    def out_features(self) -> int:
        return self.sizes[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` of shape ``(n, in)`` (the same input for every net) or ``(n_nets, n, in)``;
        returns ``(n_nets, n, out)``."""
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(self.n_nets, -1, -1)  # a view: no copy per net
        elif x.dim() != 3 or x.shape[0] != self.n_nets:
            raise ValueError(
                f"expected input (n, {self.in_features}) or ({self.n_nets}, n, {self.in_features}), "
                f"got {tuple(x.shape)}"
            )
        if x.shape[-1] != self.in_features:
            raise ValueError(f"expected {self.in_features} input features, got {x.shape[-1]}")
        last = len(self.weights) - 1
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b, x, w)
            if k < last:
                x = F.leaky_relu(x, self.negative_slope)
        return x

    def member(self, i: int) -> nn.Sequential:
        """An ordinary ``nn.Sequential`` of ``nn.Linear``/``nn.LeakyReLU`` holding copies of net
        ``i``'s weights (for checks against the batched forward, and loop baselines)."""
        if not 0 <= i < self.n_nets:
            raise IndexError(f"net index {i} out of range for {self.n_nets} nets")
        layers: list[nn.Module] = []
        last = len(self.weights) - 1
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            fan_in, fan_out = w.shape[1], w.shape[2]
            # skip_init: no draw from the global RNG for weights that are overwritten anyway
            lin = nn.utils.skip_init(nn.Linear, fan_in, fan_out, dtype=w.dtype, device=w.device)
            with torch.no_grad():
                lin.weight.copy_(w[i].T)
                lin.bias.copy_(b[i, 0])
            layers.append(lin)
            if k < last:
                layers.append(nn.LeakyReLU(self.negative_slope))
        return nn.Sequential(*layers)

    def extra_repr(self) -> str:
        return f"n_nets={self.n_nets}, sizes={self.sizes}, negative_slope={self.negative_slope}"


def _tensor(a: torch.Tensor | np.ndarray) -> torch.Tensor:
    """A tensor view of ``a``; read-only arrays (e.g. from Ray's object store) are copied, since
    torch does not support tensors over non-writable memory."""
    if isinstance(a, np.ndarray) and not a.flags.writeable:
        a = a.copy()
    return torch.as_tensor(a)
