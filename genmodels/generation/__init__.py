"""Drawing from a model: seeded latents, images, blends, grids and strips, keyframe paths, GIF and MP4."""
