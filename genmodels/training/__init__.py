"""Training: TrainConfig, GAN recipes, the loop (train()), one optimisation step, augmentation,
checkpoints, precision and multi-process runs, and the VAE's fitted prior."""
