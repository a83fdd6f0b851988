"""postprocess: designer-grade image edits for Latent Studio.

Every edit is a pure function: a uint8 H x W x 3 RGB array in, a new uint8 H x W x 3 RGB array out,
keyword parameters with documented ranges, and neutral settings return the image unchanged. Size
edits change the shape by design and never produce more than 4096 px per side / 16.8 Mpx.

    from postprocess import apply_edit, list_edits, EditStack, save_png
    out = apply_edit(image, "contrast", {"amount": 1.3})
    stack = EditStack([("auto_contrast", {}), ("vignette", {"strength": 0.4})])
    save_png("out.png", stack.apply(image), recipe={"model": "faces-64", "seed": 7}, edit_stack=stack)

Layout: tone.py, style.py, artistic.py, tiling.py, colour.py, palette.py, size.py hold the edits
(each declared with its parameter specs); tiling.py also has `seam_score`; registry.py is the table
of them; stack.py the EditStack; budget.py what a stack will cost before it runs; metadata.py PNG provenance; _params.py (parameter specs), _spec.py (the @edit decorator) and _common.py (array
helpers) the shared machinery; README.md the registry, stack and metadata formats. Nothing here
imports torch or genmodels, and importing has no side effects.
"""
from ._common import MAX_PIXELS, MAX_SIDE, EditCancelled, EditError
from ._params import Param
from ._spec import GROUPS, Edit
from .budget import StackCost, stack_cost
from .artistic import cartoon, halftone, neon, painterly, pencil_sketch, pixel_art, watercolour
from .colour import colour_transfer, histogram_match
from .metadata import SOURCE_TYPES, png_bytes, read_png_recipe, save_png
from .palette import extract_palette, palette_swatch, recolour
from .registry import EDITS, apply_edit, edit_names, get_edit, limits, list_edits
from .size import FORMATS, crop_to_format, pad_to_format, resize, saliency_map, upscale
from .stack import EditStack, reference_id
from .style import (duotone, emboss, film_grain, grayscale, posterize, sepia, soft_focus, vignette,
                    vintage)
from .tiling import seam_score, seamless
from .tone import (auto_contrast, brightness, contrast, denoise, exposure, gamma, levels,
                   local_contrast, saturation, sharpen, white_balance)

__all__ = [
    # registry, stack, saving
    "EditError", "EditCancelled", "Edit", "Param", "GROUPS", "EDITS", "MAX_SIDE", "MAX_PIXELS", "FORMATS", "SOURCE_TYPES",
    "list_edits", "edit_names", "get_edit", "apply_edit", "limits", "EditStack", "reference_id",
    "save_png", "png_bytes", "read_png_recipe", "StackCost", "stack_cost",
    # analysis helpers (not image edits)
    "extract_palette", "palette_swatch", "saliency_map", "seam_score",
    # Tone
    "brightness", "contrast", "saturation", "gamma", "exposure", "white_balance", "sharpen",
    "auto_contrast", "levels", "local_contrast", "denoise",
    # Style
    "grayscale", "sepia", "vintage", "posterize", "duotone", "emboss", "vignette", "film_grain",
    "soft_focus", "pencil_sketch", "cartoon", "painterly", "watercolour", "neon", "pixel_art", "halftone",
    "seamless",
    # Colour
    "colour_transfer", "histogram_match", "recolour",
    # Size
    "upscale", "resize", "crop_to_format", "pad_to_format",
]
