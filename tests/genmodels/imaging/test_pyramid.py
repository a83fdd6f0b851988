import torch
import torch.nn.functional as F

from genmodels.imaging.pyramid import lap1, laplacian_pyramid


def test_the_pyramid_adds_back_up_to_the_image():
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    levels = laplacian_pyramid(x, 4)
    assert [lv.shape[-1] for lv in levels] == [32, 16, 8, 4]
    image = levels[-1]
    for band in reversed(levels[:-1]):
        image = band + F.interpolate(image, scale_factor=2, mode="bilinear", align_corners=False)
    assert torch.allclose(image, x, atol=1e-6)


def test_the_pyramid_stops_when_the_image_runs_out_of_pixels():
    assert len(laplacian_pyramid(torch.zeros(1, 1, 4, 4), 6)) == 3  # 4, 2, then the 1 x 1 residual


def test_lap1_is_zero_for_the_same_image_and_counts_each_image_apart():
    x = torch.rand(3, 3, 32, 32)
    assert lap1(x, x, 4).tolist() == [0.0, 0.0, 0.0]
    y = x.clone()
    y[1, :, :, 16:] += 0.5  # only the second image differs
    distance = lap1(x, y, 4)
    assert distance[0] == 0 and distance[2] == 0 and distance[1] > 0
    assert torch.allclose(lap1(y, x, 4), distance)


def test_lap1_has_a_gradient_for_training():
    a = torch.rand(2, 3, 16, 16, requires_grad=True)
    lap1(a, torch.zeros(2, 3, 16, 16), 3).sum().backward()
    assert a.grad is not None and torch.isfinite(a.grad).all() and a.grad.abs().sum() > 0
