"""How the robust schemes train: the batched training loop with early stopping on validation MSE,
the optimizers (Adam with a per-scheme learning rate, an Adam that updates only masked nets), and
small tensor helpers (per-net MSE terms and norms, a functional forward pass with given weights).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import torch
from torch.nn import functional as F

from dist_ombo.models.robust.base import Prepared

Progress = Callable[[int, int, float, float], None]
#: ``step(idx) -> (mse, extras)``: one optimizer step on the minibatch ``idx`` ``(n_nets, B)``;
#: ``mse`` is the sum over nets and outputs of the batch-mean squared error (for the history).
StepFn = Callable[[torch.Tensor], "tuple[torch.Tensor, dict[str, torch.Tensor]]"]
_FUSED_ADAM_DEVICES = ("cpu", "cuda")


def adam(params, cfg: Any, lr: float | None = None, device: torch.device | None = None) -> torch.optim.Adam:
    """Adam as the ensemble uses it (fused on CPU/CUDA)."""
    params = list(params)
    dev = device or params[0].device
    return torch.optim.Adam(params, lr=cfg.lr if lr is None else lr, fused=dev.type in _FUSED_ADAM_DEVICES)


def n_epochs_for(cfg: Any, steps_per_epoch: int) -> int:
    if cfg.max_steps is None:
        return cfg.epochs
    return max(1, min(cfg.epochs, math.ceil(cfg.max_steps / steps_per_epoch)))


def train_loop(
    prep: Prepared,
    cfg: Any,
    net: torch.nn.Module,
    opt: torch.optim.Optimizer,
    step: StepFn,
    progress: Progress | None,
    sampler: Callable[[], torch.Tensor] | None = None,
    steps_per_epoch: int | None = None,
    validate: Callable[[], float] | None = None,
    on_epoch_end: Callable[[], None] | None = None,
) -> list[dict[str, float]]:
    """Epochs of ``step`` calls, each net on its own minibatches (a per-net shuffle per epoch, as
    if each had its own DataLoader), ``cfg.max_steps`` capping the steps across epochs and the
    learning rate multiplied by ``cfg.lr_decay`` after every epoch.

    ``sampler`` replaces the shuffled minibatches (``() -> idx (n_nets, B)``; then
    ``steps_per_epoch`` says how many steps an epoch has). Returns the per-epoch history:
    ``train_loss`` (MSE in normalized y units, averaged over nets and outputs), ``val_loss``
    (``validate()``, default the validation MSE) and the epoch means of ``step``'s extras.
    ``on_epoch_end()`` runs after each epoch (e.g. to decay a second optimizer).
    """
    n_train, n_nets = len(prep.x_tr), prep.n_nets
    g_batch = prep.generators[1]
    bs = min(cfg.batch_size, n_train)
    if sampler is None:
        steps_per_epoch = math.ceil(n_train / bs)
    n_epochs = n_epochs_for(cfg, steps_per_epoch)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=cfg.lr_decay)
    history: list[dict[str, float]] = []
    n_steps = 0
    for epoch in range(n_epochs):
        lr = opt.param_groups[0]["lr"]
        if sampler is None:
            order = torch.argsort(torch.rand(n_nets, n_train, generator=g_batch), dim=1).to(prep.device)
            batches = (order[:, s:s + bs] for s in range(0, n_train, bs))
        else:
            batches = (sampler() for _ in range(steps_per_epoch))
        total, count, sums = 0.0, 0, {}
        for idx in batches:
            if cfg.max_steps is not None and n_steps >= cfg.max_steps:
                break
            mse, extras = step(idx)
            total += float(mse)
            count += 1
            for k, v in extras.items():
                sums[k] = sums.get(k, 0.0) + float(v)
            n_steps += 1
        sched.step()
        if on_epoch_end is not None:
            on_epoch_end()
        train_loss = total / (max(count, 1) * n_nets * prep.out_features)
        val_loss = validate() if validate is not None else prep.val_mse(net)
        entry = {"epoch": epoch + 1, "steps": n_steps, "lr": lr, "train_loss": train_loss, "val_loss": val_loss}
        entry.update({k: v / max(count, 1) for k, v in sums.items()})
        history.append(entry)
        if progress is not None:
            progress(epoch + 1, n_epochs, train_loss, val_loss)
    return history


def mse_terms(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-net MSE summed over outputs: ``(n_nets, B, out)`` -> ``(n_nets,)``. Summing these over
    nets gives each net the gradient of its own loss."""
    return (pred - target).square().mean(dim=1).sum(dim=-1)


def per_net_norm(t: torch.Tensor) -> torch.Tensor:
    """L2 norm of each net's slice of a stacked tensor ``(n_nets, ...)`` -> ``(n_nets, 1, ...)``
    broadcastable against it."""
    return t.flatten(1).norm(dim=1).reshape(-1, *([1] * (t.dim() - 1)))


def forward_with(weights: Sequence[torch.Tensor], biases: Sequence[torch.Tensor], x: torch.Tensor,
                 negative_slope: float = 0.01) -> torch.Tensor:
    """``BatchedMLP.forward`` with explicit (e.g. virtually updated) weights: ``x`` ``(n, in)`` or
    ``(n_nets, n, in)`` -> ``(n_nets, n, out)``."""
    if x.dim() == 2:
        x = x.unsqueeze(0).expand(weights[0].shape[0], -1, -1)
    last = len(weights) - 1
    for k, (w, b) in enumerate(zip(weights, biases)):
        x = torch.baddbmm(b, x, w)
        if k < last:
            x = F.leaky_relu(x, negative_slope)
    return x


class MaskedAdam:
    """Adam over stacked per-net tensors that updates only the nets selected by a mask.

    Co-teaching updates two of three models per round; one ``torch.optim.Adam`` over the stacked
    weights would keep moving the third on its stale momentum. Each net keeps its own step count
    and moments here, so a masked-out net is left exactly as it is.
    """

    def __init__(self, params: Sequence[torch.Tensor], lr: float, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        self.params = list(params)
        self.lr, self.betas, self.eps, self.weight_decay = float(lr), betas, float(eps), float(weight_decay)
        n_nets = self.params[0].shape[0]
        self.steps = torch.zeros(n_nets, device=self.params[0].device)
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor], mask: torch.Tensor) -> None:
        """``grads`` aligned with the params; ``mask`` ``(n_nets,)`` bool."""
        b1, b2 = self.betas
        self.steps += mask.float()
        t = self.steps.clamp(min=1)
        c1, c2 = 1 - b1**t, 1 - b2**t
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            shape = (-1,) + (1,) * (p.dim() - 1)
            keep = mask.reshape(shape)
            if self.weight_decay:
                g = g + self.weight_decay * p
            m.copy_(torch.where(keep, b1 * m + (1 - b1) * g, m))
            v.copy_(torch.where(keep, b2 * v + (1 - b2) * g * g, v))
            upd = self.lr * (m / c1.reshape(shape)) / ((v / c2.reshape(shape)).sqrt() + self.eps)
            p.sub_(torch.where(keep, upd, torch.zeros_like(upd)))


class InputGradient:
    """The gradient of each net's summed prediction with respect to its inputs, for inner loops
    that move designs thousands of times per training step (COMs' particles), written out by hand
    over buffers reused across calls.

    Autograd records a graph and allocates every activation afresh on each call; at the cpu
    budget's widths that bookkeeping costs about as much as the products. Here the forward keeps
    only what the backward needs (the hidden pre-activations; the output layer's value is never
    used, so it is not computed) and the backward runs the ops autograd runs, in its order and
    with its operand layouts (``baddbmm``; ``leaky_relu_backward``; ``bmm`` with the transposed
    weight view), so the result equals ``torch.autograd.grad(net(x).sum(), x)`` bit for bit on
    one machine (``tests/models/robust/test_robust_coms.py``). The gradient of a sum with respect
    to the output layer's input is that layer's weight column, exactly (a product with 1).
    """

    def __init__(self, net: torch.nn.Module) -> None:
        if net.out_features != 1:
            raise ValueError(f"InputGradient needs nets with one output, got {net.out_features}")
        self.net = net
        self._key: tuple | None = None
        self._bufs: dict[str, list[torch.Tensor]] = {}

    def _buffers(self, x: torch.Tensor) -> dict[str, list[torch.Tensor]]:
        widths = self.net.sizes[1:-1]
        key = (tuple(x.shape), x.dtype, x.device)
        if key != self._key:
            n, rows = x.shape[0], x.shape[1]
            new = lambda w: torch.empty(n, rows, w, dtype=x.dtype, device=x.device)  # noqa: E731
            self._bufs = {"z": [new(w) for w in widths], "act": [new(w) for w in widths[:-1]],
                          "grad_act": [new(w) for w in widths[:-1]], "grad_z": [new(w) for w in widths],
                          "grad_x": [new(x.shape[-1])]}
            self._key = key
        return self._bufs

    @torch.no_grad()
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` ``(n_nets, B, in)`` -> ``d sum(net(x)) / dx`` ``(n_nets, B, in)``; the returned
        tensor is a buffer overwritten by the next call."""
        net = self.net
        ws, bs = list(net.weights), list(net.biases)
        slope, last = net.negative_slope, len(ws) - 1
        buf = self._buffers(x)
        z, act, grad_act, grad_z = buf["z"], buf["act"], buf["grad_act"], buf["grad_z"]
        h = x
        for k in range(last):
            torch.baddbmm(bs[k], h, ws[k], out=z[k])
            if k < last - 1:
                torch.ops.aten.leaky_relu.out(z[k], slope, out=act[k])
                h = act[k]
        # d sum / d (last hidden activation): the output weight column, the same for every row
        g = ws[last].transpose(1, 2).expand(-1, x.shape[1], -1)
        for k in range(last - 1, -1, -1):
            g = torch.ops.aten.leaky_relu_backward.grad_input(g, z[k], slope, False, grad_input=grad_z[k])
            out = grad_act[k - 1] if k > 0 else buf["grad_x"][0]
            g = torch.bmm(g, ws[k].transpose(1, 2), out=out)
        return g
