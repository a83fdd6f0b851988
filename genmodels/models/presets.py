"""Preset name -> model config. The names are stable keys: the UI, the CLI and model cards use them."""
from __future__ import annotations

from .gan import GANConfig
from .texture import TextureConfig
from .vae import VAEConfig

ModelConfig = GANConfig | VAEConfig | TextureConfig

PRESETS: dict[str, ModelConfig] = {
    # The seed article's DCGAN: 32x32 RGB, and its grayscale variant (the article's faces and animals).
    "dcgan-32": GANConfig(image_size=32, channels=3),
    "dcgan-32-gray": GANConfig(image_size=32, channels=1),
    "dcgan-64": GANConfig(image_size=64, channels=3),
    "dcgan-64-gray": GANConfig(image_size=64, channels=1),
    "vae-32": VAEConfig(image_size=32, channels=3, z_dim=64),
    "vae-32-gray": VAEConfig(image_size=32, channels=1, z_dim=64),
    # 64 px VAEs are two-stage (vae.py, detail.py): the VAE learns the layout at 32 px, a detail network
    # trained adversarially draws the 64 px picture. Folders saved as one-stage 64 px VAEs load as before.
    "vae-64": VAEConfig(image_size=64, channels=3, z_dim=64, base_size=32),
    "vae-64-gray": VAEConfig(image_size=64, channels=1, z_dim=64, base_size=32),
    # A seamless-texture GAN (texture.py), trained on random 64 px crops of one to twenty pictures; four
    # waves keep regular patterns in phase (texture_waves.py), placed to a quarter cycle per crop (a period of
    # four crops, so tiles come in steps of 256 px); each grid reads only the waves it can carry (wave_nyquist).
    # Folders saved without waves load as before.
    "texture": TextureConfig(waves=4, wave_period=4, wave_nyquist=True),
    # For patterns larger than a 64 px crop (a brick wall's running bond): two scales (texture_detail.py), the
    # generator learning from 128 px crops averaged down to 64 px, a detail network doubling its textures;
    # waves placed to a half cycle per generator crop (a period of two crops: tiles in steps of 256 px). Its
    # coarse grids read every wave, aliased: a brick wall's bond needs that position (README "Patterns").
    "texture-large": TextureConfig(crop_size=128, detail_width=16, waves=4, wave_period=2),
}


def model_kind(cfg: ModelConfig) -> str:
    """'gan', 'vae' or 'texture': the key saved in config.json and used to rebuild the network."""
    if isinstance(cfg, GANConfig):
        return "gan"
    if isinstance(cfg, VAEConfig):
        return "vae"
    if isinstance(cfg, TextureConfig):
        return "texture"
    raise TypeError(f"not a model config: {type(cfg).__name__}")


def preset_for(kind: str, image_size: int, grayscale: bool) -> str:
    """The preset name for a UI choice, e.g. ('gan', 64, False) -> 'dcgan-64'."""
    name = f"{'dcgan' if kind == 'gan' else 'vae'}-{image_size}{'-gray' if grayscale else ''}"
    if name not in PRESETS:
        raise ValueError(f"no preset for {kind} at {image_size} px")
    return name


def get_preset(name: str) -> ModelConfig:
    if name not in PRESETS:
        raise ValueError(f"Unknown model preset {name!r}; choose one of: {', '.join(PRESETS)}.")
    return PRESETS[name]
