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
    training costs the same either way; forward-only inference (``infer``) keeps a transposed copy.
    Training steps go through ``MSEStep``.
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

    def infer(self, x: torch.Tensor) -> torch.Tensor:
        """Forward of one input ``x`` ``(n, in)`` shared by every net, without autograd (for
        search, which calls it thousands of times); returns ``(n_nets, n, out)``, equal to
        ``forward`` up to float rounding: bitwise on the CPU measured here for search-sized layers
        and chunks, where MKL runs a net's ``addmm`` with the kernel ``baddbmm`` uses per net, but
        not for tiny layers or chunks of one or two rows, where BLAS picks other kernels.

        Row chunks of at most ``_infer_rows`` rows; in each, the hidden layers run net by net
        (``addmm``), so one net's activations stay in the cache between layers where one batched
        matmul over all nets would stream them all through memory, then the output layer runs
        batched over the nets (``baddbmm``, as ``forward`` does: a one-column ``addmm`` takes
        MKL's matrix-vector path, which rounds differently). Hidden weights are kept transposed,
        ``(out, in)`` contiguous, so each layer is ``addmm(b, x, W.T)``, the layout MKL runs
        fastest (as ``nn.Linear``); that copy is rebuilt whenever a weight changes (moved,
        stepped, loaded). The activation works in place. On a GPU, where launches cost more than
        cache misses, this is the batched ``forward`` under ``no_grad``.
        """
        if x.dim() != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"expected input (n, {self.in_features}), got {tuple(x.shape)}")
        if x.device.type != "cpu" or len(self.weights) == 1:
            with torch.no_grad():
                return self.forward(x)
        with torch.no_grad():
            weights_t, biases = self._inference_weights()
            n, last, widths = x.shape[0], len(self.weights) - 1, self.sizes[1:-1]
            out = torch.empty(self.n_nets, n, self.out_features, dtype=x.dtype, device=x.device)
            # equal chunks (no short remainder of a row or two, which BLAS computes another way)
            rows = max(1, math.ceil(n / max(1, math.ceil(n / self._infer_rows()))))
            # the last hidden layer of every net (the output layer's input), and two ping-pong
            # buffers for the hidden layers before it
            last_in = torch.empty(self.n_nets * rows * widths[-1], dtype=x.dtype, device=x.device)
            scratch = [torch.empty(rows * max(widths), dtype=x.dtype, device=x.device) for _ in range(2)]
            for start in range(0, n, rows):
                xc = x[start:start + rows]
                r = xc.shape[0]
                hidden = last_in[: self.n_nets * r * widths[-1]].view(self.n_nets, r, widths[-1])
                for i in range(self.n_nets):
                    h = xc
                    for k in range(last):
                        z = hidden[i] if k == last - 1 else scratch[k % 2][: r * widths[k]].view(r, widths[k])
                        torch.addmm(biases[k][i], h, weights_t[k][i].T, out=z)
                        h = F.leaky_relu(z, self.negative_slope, inplace=True)
                out[:, start:start + r] = torch.baddbmm(self.biases[last], hidden, self.weights[last])
        return out

    def _infer_rows(self) -> int:
        """Rows per chunk in ``infer``: about 512 KiB of float32 activations per layer, at least
        256 rows (measured best on one CPU thread for widths 256 and 2048)."""
        return max(256, (1 << 17) // max(self.sizes[1:]))

    def _inference_weights(self) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Transposed contiguous weights ``(n_nets, out, in)`` and ``(n_nets, out)`` biases, cached
        while every parameter keeps its storage and version."""
        params = [*self.weights, *self.biases]
        key = tuple((p.data_ptr(), p._version, p.dtype, p.device) for p in params)
        cached = self.__dict__.get("_inference_cache")
        if cached is None or cached[0] != key:
            weights_t = [w.detach().transpose(1, 2).contiguous() for w in self.weights]
            biases = [b.detach()[:, 0, :].contiguous() for b in self.biases]
            self.__dict__["_inference_cache"] = cached = (key, weights_t, biases)
        return cached[1], cached[2]

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_inference_cache", None)  # derived from the weights; never pickled
        return state

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


class MSEStep:
    """One optimizer step of every net of a ``BatchedMLP`` on its own minibatch of squared error,
    with the forward and backward written out over buffers that live as long as this object.

    Autograd would allocate every activation and gradient afresh on each step; the stacked weight
    gradients (80 MiB for five 2048x2048 layers) exceed glibc's mmap threshold, so each one was
    mapped and page-faulted in anew, which made the weight-gradient matmul ~1.5x slower than into a
    reused buffer. Here the gradients are computed into fixed buffers set as ``p.grad``, then the
    given optimizer (fused Adam in ``EnsembleSurrogate``) steps over them. The arithmetic is the
    one autograd does, op for op (``baddbmm``; ``bmm`` with the same transposed operands;
    ``leaky_relu_backward``; ``sum`` over the batch for the biases; the loss gradient
    ``2 * (pred - y) * fl32(1/B)``), so weights match an autograd step bit for bit on one machine
    (``tests/models/test_batched_mlp.py``).

    The loss of net ``i`` is the batch mean of its squared errors summed over its outputs; the
    call returns the sum over nets and outputs (a detached 0-dim tensor), as
    ``(net(x) - y).square().mean(dim=1).sum()`` would.
    """

    def __init__(self, net: BatchedMLP, optimizer: torch.optim.Optimizer) -> None:
        self.net = net
        self.optimizer = optimizer
        ws, bs = list(net.weights), list(net.biases)
        # Gradients live in fixed buffers from the start; every step overwrites them in full.
        self._grad_w = [torch.empty_like(w, memory_format=torch.contiguous_format) for w in ws]
        self._grad_b = [torch.empty_like(b, memory_format=torch.contiguous_format) for b in bs]
        self._rows = 0  # minibatch rows the activation buffers hold
        self._flat: dict[str, list[torch.Tensor]] = {}

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Step on inputs ``x`` ``(n_nets, B, in)`` and targets ``y`` ``(n_nets, B, out)``."""
        net = self.net
        n, rows = net.n_nets, x.shape[1] if x.dim() == 3 else -1
        if x.shape != (n, rows, net.in_features) or y.shape != (n, rows, net.out_features):
            raise ValueError(
                f"MSEStep needs x ({n}, B, {net.in_features}) and y ({n}, B, {net.out_features}), "
                f"got {tuple(x.shape)} and {tuple(y.shape)}"
            )
        with torch.no_grad():
            loss = self._forward_backward(x, y)
        for p, g in zip([*net.weights, *net.biases], [*self._grad_w, *self._grad_b]):
            if p.grad is not g:  # e.g. after zero_grad(set_to_none=True)
                p.grad = g
        self.optimizer.step()
        return loss

    def _forward_backward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        net = self.net
        slope = net.negative_slope
        rows = x.shape[1]
        z, act, grad_act, grad_z = self._buffers(rows, x.dtype, x.device)
        ws, bs = list(net.weights), list(net.biases)
        last = len(ws) - 1
        h = x.contiguous()
        inputs = []
        for k, (w, b) in enumerate(zip(ws, bs)):
            inputs.append(h)
            torch.baddbmm(b, h, w, out=z[k])
            if k < last:
                torch.ops.aten.leaky_relu.out(z[k], slope, out=act[k])
                h = act[k]
        diff = torch.sub(z[last], y, out=grad_z[last])
        loss = diff.square().mean(dim=1).sum()
        # d(mean over B of diff^2)/d diff, in autograd's order: 1/B rounded to float32, times 2
        inv_rows = float(np.float32(1.0) / np.float32(rows))
        g = diff.mul_(inv_rows).mul_(2.0)
        for k in range(last, -1, -1):
            torch.bmm(inputs[k].transpose(1, 2), g, out=self._grad_w[k])
            torch.sum(g, dim=1, keepdim=True, out=self._grad_b[k])
            if k > 0:
                torch.bmm(g, ws[k].transpose(1, 2), out=grad_act[k - 1])
                g = torch.ops.aten.leaky_relu_backward.grad_input(
                    grad_act[k - 1], z[k - 1], slope, False, grad_input=grad_z[k - 1])
        return loss

    def _buffers(self, rows: int, dtype: torch.dtype, device: torch.device):
        """Contiguous ``(n_nets, rows, width)`` views of flat buffers sized for the largest
        minibatch seen (a shorter last batch uses their first elements)."""
        widths = self.net.sizes[1:]
        n = self.net.n_nets
        stale = not self._flat or self._flat["z"][0].dtype != dtype or self._flat["z"][0].device != device
        if stale or rows > self._rows:
            self._rows = max(rows, self._rows)
            self._flat = {name: [torch.empty(n * self._rows * wd, dtype=dtype, device=device) for wd in widths]
                          for name in ("z", "act", "grad_act", "grad_z")}
        return tuple([buf[: n * rows * wd].view(n, rows, wd) for buf, wd in zip(self._flat[name], widths)]
                     for name in ("z", "act", "grad_act", "grad_z"))


def _tensor(a: torch.Tensor | np.ndarray) -> torch.Tensor:
    """A tensor view of ``a``; read-only arrays (e.g. from Ray's object store) are copied, since
    torch does not support tensors over non-writable memory."""
    if isinstance(a, np.ndarray) and not a.flags.writeable:
        a = a.copy()
    return torch.as_tensor(a)
