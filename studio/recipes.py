"""Recipes: what made an image (model, seed or latent, variety, variation, edits), built and captioned in
one place for every tab. Reading one back from untrusted input is studio/recipe_reader.py.

A recipe is a small JSON dict. The ones the studio writes:
  {"model": name, "model_key": key, "seed": s, "variety": v (, "label": class)}    a drawn image (a labelled
                                                                                    model's: its class)
  {... , "strength": a, "variation_seed": t, "variation_index": i, "from": {...}}   a variation
  {"model": name, "model_key": key, "latent": [z_dim numbers], ...}                 anything else
                                                                                    (blend frame, upload)
  {"model": name, "model_key": key, "seed": s, "texture_size": px (, "morph_to": t) a texture (or a morph
   (, "crisp": true)}                                                               strip from s to t; either
                                                                                    with crisp detail)
plus, optionally, "edits": an edit stack (postprocess.EditStack.to_dict()). "model_key" is an
internal key of this app; PNG files carry only "model" (the name), which the reader matches to a model.
"""
from __future__ import annotations

from typing import Any, TypedDict

import numpy as np

import postprocess

# What made an image. A plain JSON dict at run time (PNG text chunks and the browser's storage carry it),
# typed here so every tab builds and reads the same keys. total=False: each kind has its own subset.
Recipe = TypedDict("Recipe", {
    "model": str,  # the model's name, which PNG files carry
    "model_key": str,  # this app's key for the model (never written into files: see plain())
    "seed": int, "variety": float,  # a drawn image
    "label": str,  # a labelled model's class the image was drawn for (absent: any class)
    "class_strength": float,  # a labelled model's class strength, 1..3 (absent: 1, as trained)
    "strength": float, "variation_seed": int, "variation_index": int,  # a variation of it
    "from": "Recipe",  # for a variation of a variation: the recipe it came from
    "latent": list[float], "source": str,  # an image known by its exact latent, and its caption
    "texture_size": int, "morph_to": int,  # a texture model's tile (its side) or morph strip (its width, seed B)
    "crisp": bool,  # a texture tile or morph strip drawn with crisp detail (absent: without)
    "edits": dict,  # an edit stack (postprocess.EditStack.to_dict())
    "error": str,  # a stored favourite this app cannot redraw
    # kept for people: how an explored or found image was made
    "directions": dict, "directions_method": str, "explored_from": "Recipe", "search_seed": int, "similarity": float,
}, total=False)


def latent_json(z: np.ndarray) -> list[float]:
    """A float32 latent as the shortest JSON numbers that read back to exactly the same float32."""
    return [float(str(x)) for x in np.asarray(z, dtype=np.float32).reshape(-1)]


def from_seed(model: str, model_key: str, seed: int, variety: float = 1.0, label: str | None = None,
              class_strength: float = 1.0) -> Recipe:
    """A drawn image: the model and the seed (and variety, and a labelled model's class and class
    strength, the latter only when it is not 1) that draw it."""
    recipe: Recipe = {"model": model, "model_key": model_key, "seed": int(seed), "variety": float(variety)}
    if label:
        recipe["label"] = label
    if class_strength != 1.0:
        recipe["class_strength"] = float(class_strength)
    return recipe


def from_texture(model: str, model_key: str, seed: int, size: int, morph_to: int | None = None,
                 crisp: bool = False) -> Recipe:
    """A texture model's seamless tile of seed at size px, or its morph strip (size px wide) from seed to
    morph_to; crisp: drawn with crisp detail."""
    recipe: Recipe = {"model": model, "model_key": model_key, "seed": int(seed), "texture_size": int(size)}
    if morph_to is not None:
        recipe["morph_to"] = int(morph_to)
    if crisp:
        recipe["crisp"] = True
    return recipe


def from_latent(model: str, model_key: str, latent: np.ndarray, source: str, **details: Any) -> Recipe:
    """An image known by its exact latent (a blend frame, an explored image, an upload found in the model);
    source is its caption, details are kept for people (search seed, directions, ...)."""
    return {"model": model, "model_key": model_key, "latent": latent_json(latent), "source": source, **details}


def variation_of(base: Recipe, latent: np.ndarray, strength: float, variation_seed: int, index: int) -> Recipe:
    """Variation `index` of the image base describes. A variation of a seed names the seed (and, for a
    variation of a variation, the whole recipe it came from, so it can be made again); a variation of an
    image known by its latent is known by its own latent: no "from", which would nest at every level."""
    by_seed = "seed" in base and "latent" not in base
    made = {"strength": float(strength), "variation_seed": int(variation_seed), "variation_index": int(index)}
    common = {"model": base["model"], "model_key": base.get("model_key")}
    if by_seed:
        source = {"from": plain(base)} if "strength" in base else {}
        class_of = {k: base[k] for k in ("label", "class_strength") if base.get(k)}
        return {**common, "seed": base["seed"], "variety": base.get("variety", 1.0), **class_of, **made, **source}
    what = base.get("source", "an image")
    return {**common, "source": what if what.startswith("variation of ") else f"variation of {what}",
            "latent": latent_json(latent), **made}


def caption(recipe: Recipe) -> str:
    """A recipe in a few words, for gallery captions: "seed 12", "variation 2 of seed 12", "explored
    image" (an image known by its latent: its source), "+ edits" when it carries an edit stack."""
    if "error" in recipe:  # a stored favourite this app can no longer redraw
        return "can't redraw"
    crisp = ", crisp" if recipe.get("crisp") is True else ""  # a texture tile's or strip's
    if "morph_to" in recipe:
        text = f"morph from seed {recipe.get('seed')} to {recipe['morph_to']}{crisp}"
    elif "texture_size" in recipe:
        text = f"texture, seed {recipe.get('seed')}, {recipe['texture_size']} px{crisp}"
    elif "seed" in recipe and "latent" not in recipe:
        text = f"seed {recipe['seed']}" + (f", {recipe['label']}" if recipe.get("label") else "")
        if "strength" in recipe:
            text = f"variation {recipe.get('variation_index', 0) + 1} of {text}"
    else:
        text = recipe.get("source", "remembered image")
    return text + (" + edits" if recipe.get("edits") else "")


def describe_recipe(recipe: Recipe, edits: postprocess.EditStack | None = None) -> str:
    """One line for people: 'model Tiny GAN · seed 12 · variety 0.8 · edits: brightness, sharpen'."""
    parts = [f"model {recipe.get('model', '?')}"]
    crisp = ", crisp detail" if recipe.get("crisp") is True else ""  # a texture tile's or strip's
    if "latent" in recipe and "seed" not in recipe:
        parts.append(f"a remembered latent ({len(recipe['latent'])} numbers)")
    elif "morph_to" in recipe:
        parts.append(f"morph from seed {recipe.get('seed')} to {recipe['morph_to']}, "
                     f"{recipe.get('texture_size')} px wide{crisp}")
    elif "texture_size" in recipe:
        parts.append(f"seamless texture, seed {recipe.get('seed')}, {recipe['texture_size']} px{crisp}")
    elif "seed" in recipe:
        parts.append(f"seed {recipe['seed']}")
        if recipe.get("label"):
            parts.append(f"class {recipe['label']}")
        if isinstance(recipe.get("class_strength"), (int, float)):
            parts.append(f"class strength {recipe['class_strength']:g}")
        if "strength" in recipe:
            parts.append(f"variation {recipe.get('variation_index', 0) + 1} (strength {recipe['strength']:g}, "
                         f"variation seed {recipe.get('variation_seed')})")
    if isinstance(recipe.get("variety"), (int, float)):
        parts.append(f"variety {recipe['variety']:g}")
    if edits is not None and len(edits):
        parts.append("edits: " + ", ".join(name for name, _ in edits.steps))
    return " · ".join(parts)


def plain(recipe: Recipe) -> Recipe:
    """The recipe as written into PNG files: without the app's internal model key."""
    return {k: v for k, v in recipe.items() if k != "model_key"}
