"""Exploring a model: latent directions found by PCA, and finding a picture in a model (inversion)."""
