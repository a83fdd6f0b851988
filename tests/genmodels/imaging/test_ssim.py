import pytest
import torch
import torch.nn.functional as F

from genmodels.imaging.ssim import gaussian_kernel, ssim


def _ssim_by_convolution(a, b):
    """Wang et al.'s definition written the slow, obvious way: a depthwise 11 x 11 Gaussian convolution."""
    c = a.shape[1]
    g = gaussian_kernel(1.5, 11)
    w = torch.outer(g, g).expand(c, 1, 11, 11)

    def mean(x):
        return F.conv2d(x, w, groups=c)

    mu_a, mu_b = mean(a), mean(b)
    var_a, var_b, cov = mean(a * a) - mu_a**2, mean(b * b) - mu_b**2, mean(a * b) - mu_a * mu_b
    c1, c2 = 0.01**2, 0.03**2
    return (((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))).mean((1, 2, 3))


@pytest.mark.parametrize("size", [11, 32, 64])
def test_ssim_matches_its_definition(size):
    gen = torch.Generator().manual_seed(size)
    a = torch.rand(3, 3, size, size, generator=gen)
    b = (a + 0.2 * torch.randn(3, 3, size, size, generator=gen)).clamp(0, 1)
    assert torch.allclose(ssim(a, b), _ssim_by_convolution(a, b), atol=1e-5)
    assert torch.allclose(ssim(a, a), torch.ones(3))
    assert (ssim(a, b) < 0.9).all() and ssim(a, b).shape == (3,)


def test_ssim_refuses_images_it_cannot_window():
    with pytest.raises(ValueError, match="square"):
        ssim(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match="square"):
        ssim(torch.zeros(1, 3, 32, 16), torch.zeros(1, 3, 32, 16))
