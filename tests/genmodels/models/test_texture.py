"""Texture models: the networks, exact tiling, seeds, sizes, morph strips, and the model folder."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

import genmodels
from genmodels.generation import texture as tex
from genmodels.models.presets import PRESETS, model_kind
from genmodels.models.texture import TextureConfig, TextureDiscriminator, TextureGenerator, texture_noise
from genmodels.storage.store import load_model, save_model

CFG = PRESETS["texture"]
WAVES = torch.tensor([[13.0, 8.0], [4.0, 0.0], [0.0, 21.0], [-9.0, 5.0]])  # whole cycles per 256 px period


@pytest.fixture(scope="module")
def generator() -> TextureGenerator:
    """An untrained generator with weights large enough that seeds draw visibly different textures (at the
    DCGAN initialisation, eval mode draws an almost flat picture for any seed)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        g = TextureGenerator(CFG)
        with torch.no_grad():
            for p in g.parameters():
                if p.dim() == 4:
                    p.normal_(0.0, 0.1)
            g.waves.copy_(WAVES)
    return g.eval()


@pytest.fixture
def texture_folder(tmp_path, generator):
    return save_model(tmp_path / "bricks", generator, CFG, {"name": "Bricks", "preset": "texture"})


def test_shapes_of_both_networks(generator):
    noise = texture_noise(CFG, torch.Generator().manual_seed(0), 2, 3, 5)
    assert noise.shape == (2, CFG.z_dim, 3, 5)
    assert torch.equal(noise[:, :CFG.global_dim, 0, 0], noise[:, :CFG.global_dim, 2, 4])  # one code per picture
    with torch.no_grad():
        assert generator(noise).shape == (2, 3, 3 * CFG.stride, 5 * CFG.stride)
    assert TextureDiscriminator(CFG)(torch.zeros(2, 3, 64, 64)).shape == (2, 16)


def test_a_tile_and_its_wrap_around_neighbours_match_the_larger_output(generator):
    # Drawing the grid tiled 2 x 2 gives the texture tiled 2 x 2: every edge of a tile meets the next tile
    # exactly as the network itself continues the texture (the waves too: whole cycles per 256 px).
    noise = tex.seed_noise(CFG, 5, 16, 16)
    with torch.no_grad():
        one = generator(noise)
        larger = generator(noise.repeat(1, 1, 2, 2))
    assert torch.allclose(larger, one.repeat(1, 1, 2, 2), atol=1e-4)


def test_the_waves_reach_the_picture_and_a_shift_moves_the_pattern(generator):
    noise = tex.seed_noise(CFG, 5, 4, 4)
    shifted = noise.clone()
    shifted[:, -2] = (shifted[:, -2] + 0.25) % 1  # a quarter of the period along x
    with torch.no_grad():
        a, b = generator(noise), generator(shifted)
    assert not torch.allclose(a, b, atol=1e-3)


def test_a_texture_model_without_waves_tiles_at_every_cell():
    # folders saved before waves existed: 16 px steps, circular shifts of the grid, as before
    cfg = TextureConfig()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        g = TextureGenerator(cfg).eval()
    assert cfg.size_step == cfg.stride == 16 and cfg.z_dim == 48 and "waves" not in g.state_dict()
    noise = tex.seed_noise(cfg, 5, 4, 6)
    assert noise.shape == (1, 48, 4, 6)
    with torch.no_grad():
        assert torch.allclose(g(noise.repeat(1, 1, 2, 2)), g(noise).repeat(1, 1, 2, 2), atol=1e-4)
    assert tex.draw_texture(g, cfg, 0, 80).shape == (80, 80, 3)


def test_a_model_with_waves_per_crop_still_tiles_in_64_px_steps(tmp_path):
    # folders saved by the release whose waves made whole cycles per 64 px crop (no wave_period in config.json)
    cfg = TextureConfig(waves=4)
    assert cfg.wave_period == 1 and cfg.period == cfg.size_step == 64
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        g = TextureGenerator(cfg).eval()
    with torch.no_grad():
        g.waves.copy_(torch.tensor([[3.0, 2.0], [1.0, 0.0], [0.0, 5.0], [-2.0, 1.0]]))
        noise = tex.seed_noise(cfg, 5, 4, 8)
        assert torch.allclose(g(noise.repeat(1, 1, 2, 2)), g(noise).repeat(1, 1, 2, 2), atol=1e-4)
    folder = save_model(tmp_path / "per-crop", g, cfg, {"name": "per-crop", "preset": "texture"})
    config = json.loads((folder / "config.json").read_text())
    del config["config"]["wave_period"]  # as that release wrote it
    (folder / "config.json").write_text(json.dumps(config))
    m = load_model(folder)
    assert m.config == cfg and genmodels.draw_texture(folder, 0, 192).shape == (192, 192, 3)


def test_a_folder_saved_before_the_nyquist_rule_draws_as_it_did(tmp_path):
    # folders whose every convolution read every wave (no wave_nyquist in config.json) keep that network
    cfg = TextureConfig(waves=2, wave_period=2)
    assert not cfg.wave_nyquist and PRESETS["texture"].wave_nyquist
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        g = TextureGenerator(cfg).eval()
    with torch.no_grad():
        g.waves.copy_(torch.tensor([[0.0, 17.0], [3.0, 0.0]]))  # 17 cycles per 128 px alias on the coarse grids
    folder = save_model(tmp_path / "aliased", g, cfg, {"name": "aliased", "preset": "texture"})
    config = json.loads((folder / "config.json").read_text())
    del config["config"]["wave_nyquist"]  # as the releases before it wrote it
    (folder / "config.json").write_text(json.dumps(config))
    m = load_model(folder)
    assert m.config == cfg
    before = tex.draw_texture(g, cfg, 0, 128)
    assert np.array_equal(genmodels.draw_texture(folder, 0, 128, crisp=False), before)
    g.cfg = filtered = dataclasses.replace(cfg, wave_nyquist=True)
    assert not np.array_equal(tex.draw_texture(g, filtered, 0, 128), before)  # the rule changes what it draws
    with torch.no_grad():  # and it still tiles exactly
        noise = tex.seed_noise(filtered, 5, 8, 8)
        assert torch.allclose(g(noise.repeat(1, 1, 2, 2)), g(noise).repeat(1, 1, 2, 2), atol=1e-4)


def test_a_texture_is_a_pure_function_of_its_seed(generator):
    a = tex.draw_texture(generator, CFG, 3, 256)
    assert a.shape == (256, 256, 3) and a.dtype == np.uint8
    assert np.array_equal(a, tex.draw_texture(generator, CFG, 3, 256))
    assert not np.array_equal(a, tex.draw_texture(generator, CFG, 4, 256))
    state = torch.random.get_rng_state()
    tex.draw_texture(generator, CFG, 3, 256)
    assert torch.equal(state, torch.random.get_rng_state())  # the global RNG is never touched


def test_one_seed_keeps_its_layout_at_every_size():
    small, large = tex.seed_noise(CFG, 9, 4, 4), tex.seed_noise(CFG, 9, 8, 8)
    assert torch.equal(small, large[:, :, :4, :4])


@pytest.mark.parametrize("size", [63, 64, 128, 320, 100, 4096, 2304, True, 512.0])
def test_sizes_off_the_size_step_or_range_are_refused(generator, size):
    with pytest.raises(ValueError, match="multiple of 256"):
        tex.draw_texture(generator, CFG, 0, size)


def test_a_morph_strip_turns_one_texture_into_another(generator):
    strip = tex.morph_strip(generator, CFG, 1, 2, 512, 256)
    assert strip.shape == (256, 512, 3)
    assert np.array_equal(strip, tex.morph_strip(generator, CFG, 1, 2, 512, 256))
    same = tex.morph_strip(generator, CFG, 1, 1, 512, 256)
    # the left ends match (seed 1's code there either way); the right ends differ
    assert np.abs(strip[:, :16].astype(int) - same[:, :16]).mean() < np.abs(strip[:, -16:].astype(int)
                                                                             - same[:, -16:]).mean()


def test_a_crisp_morph_strip_is_rebuilt_from_the_swatches(generator):
    palette = np.array([(170, 60, 40), (160, 160, 150)], np.uint8)  # two colours: every copied pixel is one
    picks = np.random.default_rng(0).integers(0, 2, (8, 64, 64))
    swatches = torch.from_numpy(palette[picks]).permute(0, 3, 1, 2).contiguous()
    strip = tex.morph_strip(generator, CFG, 1, 2, 512, 256, swatches)
    assert strip.shape == (256, 512, 3)
    assert np.array_equal(strip, tex.morph_strip(generator, CFG, 1, 2, 512, 256, swatches))
    is_palette = (strip[..., None, :] == palette).all(-1).any(-1)
    assert is_palette.all()  # pixels copied from the swatches, none of the network's own
    assert not (tex.morph_strip(generator, CFG, 1, 2, 512, 256)[..., None, :] == palette).all(-1).any(-1).all()


def test_the_config_checks_its_shape():
    assert model_kind(CFG) == "texture" and CFG.image_size == 64 and CFG.stride == 16
    assert CFG.period == CFG.size_step == 256  # the waves' period: four crops
    for bad in ({"crop_size": 40}, {"stages": 7}, {"channels": 2}, {"g_width": 1000}, {"waves": 17},
                {"wave_period": 3}):
        with pytest.raises(ValueError):
            TextureConfig(**bad)


def test_the_model_folder_round_trips(texture_folder, generator):
    m = load_model(texture_folder)
    assert m.kind == "texture" and m.config == CFG and torch.equal(m.network.waves.float(), WAVES)
    assert np.array_equal(genmodels.draw_texture(texture_folder, 2, 256), tex.draw_texture(generator, CFG, 2, 256))
    card = (texture_folder / "README.md").read_text()
    assert "seamless-texture GAN" in card and "texture-synthesis" in card and "--size 1024" in card
    assert genmodels.describe(texture_folder)["kind"] == "texture"


def test_half_precision_folders_draw_the_same_textures(tmp_path, generator):
    folder = save_model(tmp_path / "half", generator, CFG, {"name": "half"}, half_precision=True)
    diff = genmodels.draw_texture(folder, 0, 256).astype(int) - tex.draw_texture(generator, CFG, 0, 256)
    assert np.abs(diff).mean() < 0.5 and np.abs(diff).max() <= 8  # float16 rounding of large random weights


def test_the_facade_checks_what_callers_send(texture_folder, gan_folder):
    with pytest.raises(genmodels.StudioError, match="multiple of 256"):
        genmodels.draw_texture(texture_folder, 0, 1000)
    with pytest.raises(genmodels.StudioError, match="Seed"):
        genmodels.draw_texture(texture_folder, -1, 256)
    with pytest.raises(genmodels.StudioError, match="not a texture model"):
        genmodels.draw_texture(gan_folder, 0, 256)
    with pytest.raises(genmodels.StudioError, match="texture model"):
        genmodels.generate(texture_folder, 4)  # image tabs say where textures are drawn
    strip = genmodels.morph_texture(texture_folder, 0, 1, 512)
    assert strip.shape == (256, 512, 3)  # a quarter of the width, but at least the size step
    # a model without swatches draws its own detail by default, and says why it cannot draw crisp
    assert np.array_equal(strip, genmodels.morph_texture(texture_folder, 0, 1, 512, crisp=False))
    for bad, match in ((True, "keeps no swatches"), ("yes", "crisp must be")):
        with pytest.raises(genmodels.StudioError, match=match):
            genmodels.morph_texture(texture_folder, 0, 1, 512, crisp=bad)
    assert genmodels.tile_preview(strip[:64, :64], 3).shape == (192, 192, 3)


def test_the_hub_model_draws_textures(texture_folder):
    model = genmodels.LatentStudioModel.from_pretrained(texture_folder)
    assert model.kind == "texture"
    assert model.draw_texture(1, 256).shape == (256, 256, 3)
    assert model.morph_texture(0, 1, 1024).shape == (256, 1024, 3)


def test_a_texture_model_zip_round_trips(tmp_path, texture_folder):
    path = genmodels.export_model_zip(texture_folder, tmp_path / "bricks.zip")
    (tmp_path / "imported").mkdir()
    back = genmodels.import_model_zip(path, tmp_path / "imported")
    assert np.array_equal(genmodels.draw_texture(back, 0, 256), genmodels.draw_texture(texture_folder, 0, 256))


def test_the_patch_loss_compares_patch_distributions():
    from genmodels.models.texture import patch_loss

    gen = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    a, b = torch.rand(4, 3, 32, 32) * 2 - 1, torch.zeros(4, 3, 32, 32)
    same = patch_loss(a, a.flip(0), gen(), patches=256)  # the same pictures in another order: the same patches
    assert patch_loss(a, b, gen(), patches=256) > 20 * same
    assert torch.equal(patch_loss(a, b, gen(), patches=256), patch_loss(a, b, gen(), patches=256))
    fake = b.clone().requires_grad_(True)
    patch_loss(fake, a, gen(), patches=256).backward()
    assert fake.grad.abs().sum() > 0


def test_the_patch_loss_is_the_sliced_wasserstein_distance_of_random_patches():
    """Its fast gathering and sorting (texture._patches, texture._sorted_like) give what the plain recipe
    does: every patch unfolded, a random choice of them, the projections sorted and compared."""
    from genmodels.models.texture import patch_loss

    fake = (torch.rand(3, 3, 20, 24) * 2 - 1).requires_grad_(True)
    real = torch.rand(3, 3, 20, 24) * 2 - 1
    loss = patch_loss(fake, real, torch.Generator().manual_seed(5), scales=2, patches=300, directions=16)
    loss.backward()

    reference, gen = fake.new_zeros(()), torch.Generator().manual_seed(5)
    twin = fake.detach().clone().requires_grad_(True)
    x, y = twin, real
    for _ in range(2):
        chosen = []
        for pictures in (x, y):
            every = torch.nn.functional.unfold(pictures, 5).transpose(1, 2).reshape(-1, 75)
            chosen.append(every[torch.randint(len(every), (300,), generator=gen)])
        d = torch.randn(75, 16, generator=gen)
        d = d / d.norm(dim=0, keepdim=True)
        reference = reference + ((chosen[0] @ d).sort(0)[0] - (chosen[1] @ d).sort(0)[0]).square().mean()
        x, y = torch.nn.functional.avg_pool2d(x, 2), torch.nn.functional.avg_pool2d(y, 2)
    reference.backward()
    assert torch.allclose(loss, reference, rtol=1e-5)
    assert torch.allclose(fake.grad, twin.grad, rtol=1e-4, atol=1e-9)


def test_the_patch_loss_takes_bf16_fakes_from_an_autocast_step():
    """On CPUs with native bf16 the generator's output is bf16; the loss is computed in fp32 all the same."""
    from genmodels.models.texture import patch_loss

    real = torch.rand(2, 3, 32, 32) * 2 - 1
    fake = real.flip(0).to(torch.bfloat16).requires_grad_(True)
    loss = patch_loss(fake, real, torch.Generator().manual_seed(0), patches=128)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    (loss + patch_loss(fake * 0, real, torch.Generator().manual_seed(0), patches=128)).backward()
    assert fake.grad.dtype == torch.bfloat16 and fake.grad.abs().sum() > 0
