"""Circular convolutions (models/circular.py): the same outputs and gradients as torch's own circular padding."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from genmodels.models.circular import CircularConv2d, circular_pad


@pytest.mark.parametrize("padding", [(1, 1, 1, 1), (0, 2, 0, 2), (2, 0, 1, 3)])
@pytest.mark.parametrize("memory_format", [torch.contiguous_format, torch.channels_last])
def test_circular_pad_matches_torch_forward_and_backward(padding, memory_format):
    x = torch.randn(2, 3, 7, 9).to(memory_format=memory_format)
    mine, theirs = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    out = circular_pad(mine, padding)
    assert torch.equal(out, F.pad(theirs, padding, mode="circular"))
    grad = torch.randn_like(out)
    out.backward(grad)
    F.pad(theirs, padding, mode="circular").backward(grad)
    assert torch.allclose(mine.grad, theirs.grad, atol=1e-6)


def test_a_circular_conv_is_a_circular_nn_conv2d():
    torch.manual_seed(0)
    mine = CircularConv2d(4, 6, 3, 1, 1)
    theirs = nn.Conv2d(4, 6, 3, 1, 1, padding_mode="circular")
    theirs.load_state_dict(mine.state_dict())  # the same parameters under the same names
    x = torch.randn(2, 4, 8, 8, requires_grad=True)
    y = x.detach().clone().requires_grad_(True)
    assert torch.equal(mine(x), theirs(y))
    mine(x).square().sum().backward()
    theirs(y).square().sum().backward()
    assert torch.allclose(x.grad, y.grad, atol=1e-5)
    assert torch.allclose(mine.weight.grad, theirs.weight.grad, atol=1e-4)
