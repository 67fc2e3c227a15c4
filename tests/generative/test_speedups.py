"""The generators' faster training and sampling paths compute what the plain ones did: the flat
Adam steps bitwise like ``torch.optim.Adam``."""

import copy

import pytest
import torch
from torch import nn

from dist_ombo.generative.common import FlatAdam, mlp, mlp_forward


def _train(net: nn.Module, opt, steps: int = 25) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn((64, 5), generator=g), torch.randn((64, 3), generator=g)
    for _ in range(steps):
        loss = (net(x) - y).square().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return [p.detach().clone() for p in net.parameters()]


def test_flat_adam_steps_bitwise_like_torch_adam():
    net = mlp([5, 33, 17, 3], nn.SiLU, torch.Generator().manual_seed(0))
    twin = copy.deepcopy(net)
    expected = _train(net, torch.optim.Adam(net.parameters(), lr=3e-3))
    got = _train(twin, FlatAdam(list(twin.parameters()), lr=3e-3))
    assert all(torch.equal(a, b) for a, b in zip(expected, got))
    assert any(not torch.equal(a, b) for a, b in zip(got, [p.detach() for p in mlp(
        [5, 33, 17, 3], nn.SiLU, torch.Generator().manual_seed(0)).parameters()]))  # it did train


def test_flat_adam_keeps_parameters_as_views_and_state_dict_loadable():
    net = mlp([4, 8, 2], nn.ReLU, torch.Generator().manual_seed(0))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    opt = FlatAdam(list(net.parameters()), lr=1e-2)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    net.load_state_dict({k: torch.zeros_like(v) for k, v in before.items()})
    assert float(opt.flat.abs().sum()) == 0.0  # the parameters are the flat buffer


def test_flat_adam_refuses_a_step_without_gradients():
    net = mlp([4, 8, 2], nn.ReLU, torch.Generator().manual_seed(0))
    opt = FlatAdam(list(net.parameters()), lr=1e-2)
    with pytest.raises(RuntimeError, match="no gradient"):
        opt.step()


@pytest.mark.parametrize("activation", [nn.LeakyReLU, nn.SiLU, nn.SELU])
def test_mlp_forward_matches_the_sequential_in_output_and_gradients(activation):
    g = torch.Generator().manual_seed(2)
    net = mlp([6, 40, 24, 5], activation, g)
    x = torch.randn((50, 6), generator=g)
    weights = torch.randn((50, 5), generator=g)
    grads = []
    for forward in (net, lambda v: mlp_forward(net, v)):
        xi = x.clone().requires_grad_(True)
        out = forward(xi)
        net.zero_grad(set_to_none=True)
        (out.tanh() * weights).sum().backward()
        grads.append([out.detach(), xi.grad, *[p.grad.clone() for p in net.parameters()]])
    assert all(torch.equal(a, b) for a, b in zip(*grads))
