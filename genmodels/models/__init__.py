"""The networks (DCGAN, FastGAN, VAE), the latent mixture prior, and the named presets that size them."""
