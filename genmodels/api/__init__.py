"""The facade the UI and scripts call: plain values in (paths, ints, floats, uint8 arrays), arrays out.

drawing.py   models, images from seeds, variations, blends, latents, keyframe paths (and the limits)
explore.py   directions of variation, and finding a picture in a model
training.py  datasets, training runs as progress events, quality and originality reports
texture.py   texture models: crops of a picture, seamless tiles of any size, morph strips
"""
from .drawing import (
    MAX_BLEND_STEPS,
    MAX_CLASS_STRENGTH,
    MAX_IMAGES,
    MAX_KEYFRAMES,
    MAX_PATH_FPS,
    MAX_PATH_SECONDS,
    MAX_SEED,
    MAX_VARIETY,
    MIN_KEYFRAMES,
    PATH_MOTIONS,
    ModelRef,
    blend_between,
    blend_images,
    blend_latents,
    blend_seeds,
    decode_latents,
    describe,
    draw,
    each_class,
    encode_picture,
    generate,
    get_model,
    grid,
    latent_classes,
    list_models,
    preset_names,
    reconstruct,
    render_path,
    seed_latent,
    strip,
    untrained_model,
    use_device,
    variations,
    vary_latent,
)
from .explore import (
    MAX_OFFSET,
    MAX_STRIP_SPAN,
    MAX_STRIP_STEPS,
    MIN_PICTURE_SIDE,
    direction_strips,
    find_directions,
    find_in_model,
    move_along,
)
from .texture import (
    DEFAULT_TEXTURE_SCALE,
    MAX_TEXTURE_SCALE,
    MIN_TEXTURE_SCALE,
    SAMPLE_TEXTURES,
    TEXTURE_PRESETS,
    draw_texture,
    morph_texture,
    prepare_texture_dataset,
    texture_model,
    texture_quality,
    texture_views,
    tile_preview,
)
from .training import (
    SAMPLE_IMAGES,
    can_resume,
    dataset_views,
    nearest_training,
    originality_index,
    prepare_dataset,
    preset_name,
    quality_summary,
    release_memory,
    run_training,
)

__all__ = [
    "MAX_BLEND_STEPS", "MAX_CLASS_STRENGTH", "MAX_IMAGES", "MAX_KEYFRAMES", "MAX_PATH_FPS", "MAX_PATH_SECONDS", "MAX_SEED", "MAX_VARIETY",
    "MIN_KEYFRAMES", "PATH_MOTIONS", "ModelRef",
    "blend_between", "blend_images", "blend_latents", "blend_seeds", "decode_latents", "describe", "draw",
    "each_class", "encode_picture", "generate", "get_model", "grid", "latent_classes", "list_models", "preset_names", "reconstruct", "render_path",
    "seed_latent", "strip", "untrained_model", "use_device", "variations", "vary_latent",
    "MAX_OFFSET", "MAX_STRIP_SPAN", "MAX_STRIP_STEPS", "MIN_PICTURE_SIDE", "direction_strips", "find_directions",
    "find_in_model", "move_along",
    "SAMPLE_IMAGES", "can_resume", "dataset_views", "nearest_training", "originality_index", "prepare_dataset",
    "preset_name", "quality_summary", "release_memory", "run_training",
    "DEFAULT_TEXTURE_SCALE", "MAX_TEXTURE_SCALE", "MIN_TEXTURE_SCALE", "SAMPLE_TEXTURES", "TEXTURE_PRESETS", "draw_texture", "morph_texture", "prepare_texture_dataset", "texture_model", "texture_quality",
    "texture_views",
    "tile_preview",
]
