"""Reading a recipe back (from a PNG's text, or a favourite in the browser's storage): every field is
checked as untrusted input, and the image it describes is drawn again with its edits."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

import genmodels
import postprocess

from . import edit_worker
from .budget import RequestBudget
from .recipes import latent_json
from .session import Pick, Session
from .ui import ModelCatalog

MAX_RECIPE_CHARS = 16_000  # a z_dim-512 latent as JSON is ~6 KB; anything larger is not ours
MAX_CHAIN = 8  # variations of variations of ...
MAX_LATENT = 1000.0  # prior draws are within ~±6; encoded pictures a little wider
MAX_SOURCE = 80  # a recipe's "source" caption, in characters


@dataclass
class Restored:
    """A recipe made real again: the model it names, the image before and after its edits."""

    model_key: str
    pick: Pick  # the image before edits, with its latent and recipe (model_key included)
    edits: postprocess.EditStack
    image: np.ndarray  # the image after the edits


def _number(recipe: dict, key: str, low: float, high: float, whole: bool = False, default: Any = None) -> Any:
    """recipe[key] checked by genmodels.check_number, refused as the recipe's fault (it came from a file)."""
    try:
        return genmodels.check_number(key, recipe.get(key, default), low, high, whole)
    except genmodels.StudioError:
        raise genmodels.StudioError(f"The recipe's {key.replace('_', ' ')} is not valid.") from None


def model_key_for(catalog: ModelCatalog, sess: Session, recipe: dict) -> str:
    """The key of an available model the recipe names: its model_key if that is loaded here, else the
    first model (built-in, then this visitor's) whose name matches."""
    key = recipe.get("model_key")
    if isinstance(key, str) and (key in catalog.builtins or key in sess.models):
        return key
    name = recipe.get("model")
    if not isinstance(name, str) or not name.strip():
        raise genmodels.StudioError("The recipe does not say which model made the picture.")
    for key, (label, _) in catalog.builtins.items():
        if label == name:
            return key
    for key, folder in sess.models.items():
        if genmodels.describe(folder)["name"] == name:
            return key
    raise genmodels.StudioError(f"The picture was made with the model '{name[:60]}', which is not loaded here; "
                                "import or pull it, then try again.")


def _source(recipe: dict) -> dict:
    """The recipe's "source" (a caption such as "explored image") if it is a short plain string; else nothing."""
    text = recipe.get("source")
    return {"source": text} if isinstance(text, str) and 0 < len(text) <= MAX_SOURCE and text.isprintable() else {}


def _latent(recipe: dict, z_dim: int) -> np.ndarray:
    latent = recipe["latent"]
    if (not isinstance(latent, list) or len(latent) != z_dim
            or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in latent)):
        raise genmodels.StudioError(f"The recipe's latent must be a list of {z_dim} numbers for this model.")
    try:
        z = np.asarray(latent, dtype=np.float64)
    except OverflowError:  # an int beyond float64 (10**400)
        z = np.full(z_dim, np.inf)
    if not np.isfinite(z).all() or np.abs(z).max() > MAX_LATENT:
        raise genmodels.StudioError(f"The recipe's latent holds numbers that are not finite or beyond "
                                    f"±{MAX_LATENT:g}.")
    return z.astype(np.float32)


def _label(recipe: dict, info: dict) -> str:
    """The recipe's class: one of the model's class names (a string compared exactly, never parsed)."""
    label = recipe["label"]
    if not info["classes"]:
        raise genmodels.StudioError(f"The recipe names a class, but {info['name']} was not trained with classes.")
    if not isinstance(label, str) or label not in info["classes"]:
        raise genmodels.StudioError(f"The recipe's class is not one of {info['name']}'s classes.")
    return label


def _read(folder: str, recipe: Any, depth: int = 0) -> tuple[np.ndarray, dict]:
    """The latent (z_dim,) a recipe describes, and the recipe rebuilt from its checked fields alone
    (latent or seed, variety, variation, a short source; no model names): a field that is present
    but not valid is one sentence, and anything else the file or the browser brought is left behind."""
    if not isinstance(recipe, dict):
        raise genmodels.StudioError("The recipe is not a JSON object.")
    if depth > MAX_CHAIN:
        raise genmodels.StudioError("The recipe's chain of variations is too long.")
    has_latent = "latent" in recipe
    info = genmodels.describe(folder)
    z = _latent(recipe, info["latent_dim"]) if has_latent else None
    fields: dict[str, Any] = {"latent": latent_json(z)} if has_latent else {}
    if "seed" in recipe or not has_latent:
        fields["seed"] = _number(recipe, "seed", 0, genmodels.api.MAX_SEED, whole=True)
    if "label" in recipe and not has_latent:
        fields["label"] = _label(recipe, info)
    if "variety" in recipe or not has_latent:  # a seed without a variety was drawn at 1
        fields["variety"] = _number(recipe, "variety", 0.0, genmodels.api.MAX_VARIETY, default=1.0)
    if "class_strength" in recipe and not has_latent:
        fields["class_strength"] = _number(recipe, "class_strength", 1.0, genmodels.api.MAX_CLASS_STRENGTH)
    if "strength" in recipe:
        fields.update(strength=_number(recipe, "strength", 0.0, 1.0),
                      variation_seed=_number(recipe, "variation_seed", 0,
                                             genmodels.api.MAX_SEED - genmodels.api.MAX_IMAGES, whole=True),
                      variation_index=_number(recipe, "variation_index", 0, genmodels.api.MAX_IMAGES - 1,
                                              whole=True))
    fields.update(_source(recipe))
    if has_latent:  # the latent alone makes the image: "from" is not needed (nor read)
        return z, fields
    drawn = (folder, fields["seed"], fields["variety"], fields.get("label"), fields.get("class_strength", 1.0))
    if "strength" not in recipe:
        return genmodels.seed_latent(*drawn), fields
    if "from" in recipe:
        base, fields["from"] = _read(folder, recipe["from"], depth + 1)
    else:
        base = genmodels.seed_latent(*drawn)
    index = fields["variation_index"]
    _, latents = genmodels.vary_latent(folder, base, index + 1, fields["strength"], fields["variation_seed"])
    return latents[index], fields


def edits_from(data: Any) -> postprocess.EditStack:
    """An edit stack from its JSON form (None = no edits), validated by EditStack."""
    if data is None:
        return postprocess.EditStack()
    stack = postprocess.EditStack.from_dict(data)
    if stack.references_needed():
        raise genmodels.StudioError("The picture's edits use a reference picture, which a recipe cannot carry.")
    return stack


@dataclass
class Planned:
    """A recipe checked and its edits priced, not yet drawn: the model and the edit stack it needs."""

    recipe: dict
    model_key: str
    folder: str
    edits: postprocess.EditStack
    seconds: float  # the edits' price on the model's pictures


def plan(catalog: ModelCatalog, sess: Session, recipe: Any, edits: Any, budget: RequestBudget) -> Planned:
    """Check a recipe's size, its model and its edit stack (else the recipe's "edits"), and charge the
    stack on the model's picture size to `budget`, all before anything is drawn."""
    if not isinstance(recipe, dict):
        raise genmodels.StudioError("The recipe is not a JSON object.")
    try:
        size = len(json.dumps(recipe, allow_nan=False))
    except (TypeError, ValueError):
        raise genmodels.StudioError("The recipe holds values that are not plain JSON.") from None
    if size > MAX_RECIPE_CHARS:
        raise genmodels.StudioError("The recipe is too large to be a Latent Studio recipe.")
    key = model_key_for(catalog, sess, recipe)
    folder = catalog.folder(sess, key)
    stack = edits_from(edits if edits is not None else recipe.get("edits"))
    side = genmodels.describe(folder)["image_size"]
    cost = budget.charge(stack, side, side, what="The picture's edits")
    return Planned(recipe, key, folder, stack, cost.seconds)


def draw(planned: Planned, budget: RequestBudget) -> Restored:
    """Redraw a planned recipe's image and apply its edits (stopping if the visitor has gone)."""
    z, fields = _read(planned.folder, planned.recipe)
    image = genmodels.decode_latents(planned.folder, z)[0]
    base = {"model": genmodels.describe(planned.folder)["name"], "model_key": planned.model_key, **fields}
    stack = planned.edits
    edited = edit_worker.apply(stack, image, None, planned.seconds, budget.should_stop) if len(stack) else image
    return Restored(planned.model_key, Pick(image, z, base), stack, edited)


def restore(catalog: ModelCatalog, sess: Session, recipe: Any, edits: Any = None) -> Restored:
    """Redraw the image a recipe (and optional edit stack; else the recipe's "edits") describes, its
    edits priced within one request's budget before anything is drawn."""
    budget = RequestBudget()
    return draw(plan(catalog, sess, recipe, edits, budget), budget)
