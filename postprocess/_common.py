"""Shared helpers for edits: the image contract, size limits, blending, LUTs and colour parsing.

Everything here is a pure function on numpy arrays. Images are uint8 H x W x 3 RGB; helpers return
new arrays and never write into their inputs.
"""
from __future__ import annotations

import math
import re
from typing import Any

import cv2
import numpy as np

# Largest image a size edit may produce: 4096 px per side and 4096 x 4096 = 16.8 Mpx in total.
# An x4 upscale of a 2048 px photo would be 8192 x 8192 (201 MB of RGB); refusing it early keeps a
# laptop or a shared Space responsive. Edits that keep the size are not limited.
MAX_SIDE = 4096
MAX_PIXELS = 4096 * 4096


class EditError(ValueError):
    """A designer-fixable problem with an edit: unknown name, bad parameter, image too large.

    The message is one sentence meant to be shown as-is in the UI or on the CLI.
    """


EditError.__module__ = "postprocess"  # its public home, as shown in tracebacks and reprs


class EditCancelled(EditError):
    """EditStack.apply stopped between steps because its caller's should_stop() said so."""


EditCancelled.__module__ = "postprocess"


def check_image(image: Any, what: str = "The image") -> np.ndarray:
    """Return `image` if it is a uint8 H x W x 3 RGB array, else raise EditError.

    Gray (H x W) and RGBA (H x W x 4) arrays are refused rather than silently converted, so a
    caller that skipped conversion finds out at once ("raise, don't silently fix").
    """
    if not isinstance(image, np.ndarray):
        raise EditError(f"{what} must be a numpy array, not {type(image).__name__}.")
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise EditError(
            f"{what} must be a uint8 H x W x 3 RGB array (got {image.dtype} with shape {image.shape})."
        )
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise EditError(f"{what} is empty (shape {image.shape}).")
    return image


def check_output_size(height: int, width: int, action: str) -> None:
    """Raise EditError if an edit would produce an image above MAX_SIDE / MAX_PIXELS."""
    if height > MAX_SIDE or width > MAX_SIDE or height * width > MAX_PIXELS:
        raise EditError(
            f"{action} would make a {width} x {height} image, larger than the {MAX_SIDE} px per side "
            f"({MAX_PIXELS / 1e6:.1f} Mpx) limit; make the image smaller first."
        )


def blend(original: np.ndarray, effect: np.ndarray, strength: float) -> np.ndarray:
    """Mix `effect` over `original`: 0 = original (an exact copy), 1 = effect, in between linear."""
    if strength <= 0.0:
        return original.copy()
    if strength >= 1.0:
        return effect if effect is not original else effect.copy()
    # addWeighted rounds and saturates to uint8 in one SIMD pass (no float image in between).
    return cv2.addWeighted(effect, float(strength), original, 1.0 - float(strength), 0.0)


def lut_u8(values: np.ndarray) -> np.ndarray:
    """Turn a float table (256,) or (256, 3) of output levels into a uint8 table for cv2.LUT."""
    table = np.clip(np.rint(np.asarray(values, dtype=np.float64)), 0, 255).astype(np.uint8)
    # cv2.LUT takes (256,) for "same table for all channels", or (256, 1, 3) for one per channel.
    return table.reshape(256, 1, 3) if table.ndim == 2 else table


def apply_lut(image: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Map every level through a 256-entry table; a 2048 px image takes ~4 ms."""
    return cv2.LUT(image, lut_u8(values))


LEVELS = np.arange(256, dtype=np.float64)  # the identity table, read-only by convention


def srgb_to_linear(v: np.ndarray) -> np.ndarray:
    """sRGB-encoded values in 0..1 to linear light (IEC 61966-2-1 transfer function)."""
    v = np.asarray(v, dtype=np.float64)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(v: np.ndarray) -> np.ndarray:
    """Linear light in 0..1 to sRGB-encoded values (inverse of srgb_to_linear)."""
    v = np.clip(np.asarray(v, dtype=np.float64), 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)


def gray(image: np.ndarray) -> np.ndarray:
    """Rec. 601 luma (0.299 R + 0.587 G + 0.114 B) as H x W uint8, the same weights Pillow's "L" uses."""
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def gray3(image: np.ndarray) -> np.ndarray:
    """Rec. 601 luma repeated into three channels (H x W x 3 uint8)."""
    return cv2.cvtColor(gray(image), cv2.COLOR_GRAY2RGB)


def to_unit(image: np.ndarray) -> np.ndarray:
    """uint8 image to float32 in 0..1 (float32, not float64: half the memory traffic)."""
    return image.astype(np.float32) * np.float32(1 / 255)


def from_unit(image: np.ndarray) -> np.ndarray:
    """float image in 0..1 to uint8, rounded and clipped."""
    return np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)


def working_size(height: int, width: int, max_side: int) -> tuple[int, int]:
    """(height, width) scaled down so the long side is at most `max_side`; never scaled up."""
    scale = min(1.0, max_side / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def shrink(image: np.ndarray, max_side: int) -> np.ndarray:
    """Downscale with area averaging (no aliasing) so the long side is <= max_side."""
    h, w = working_size(image.shape[0], image.shape[1], max_side)
    if (h, w) == image.shape[:2]:
        return image
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)


def resize_to(image: np.ndarray, height: int, width: int, smooth: bool = True) -> np.ndarray:
    """Resize to exactly (height, width): area when shrinking, cubic (or nearest) when enlarging."""
    if image.shape[:2] == (height, width):
        return image
    if not smooth:
        interpolation = cv2.INTER_NEAREST
    elif height <= image.shape[0] and width <= image.shape[1]:
        interpolation = cv2.INTER_AREA
    else:
        interpolation = cv2.INTER_CUBIC
    return cv2.resize(image, (width, height), interpolation=interpolation)


_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
_RGB_FUNC = re.compile(r"^rgba?\(\s*([^)]*)\)$")


def parse_color(value: Any) -> str | None:
    """Normalise a colour to "#rrggbb", or None if it is not one.

    Accepts "#rrggbb", "#rgb" (with or without "#") and CSS "rgb(r, g, b)" / "rgba(r, g, b, a)",
    which is what Gradio's colour picker sends in some versions.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _HEX.match(text)
    if match:
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        return "#" + digits.lower()
    match = _RGB_FUNC.match(text.lower())
    if match:
        parts = [p.strip() for p in match.group(1).split(",")]
        if len(parts) in (3, 4):
            try:
                rgb = [float(p) for p in parts[:3]]
            except ValueError:
                return None
            if all(math.isfinite(c) and 0 <= c <= 255 for c in rgb):
                return "#" + "".join(f"{round(c):02x}" for c in rgb)
    return None


def hex_to_rgb(value: str) -> tuple[int, int, int]:
    """"#rrggbb" (or anything parse_color accepts) to an (r, g, b) tuple of ints 0..255."""
    text = parse_color(value)
    if text is None:
        raise EditError(f"{value!r} is not a colour; use a hex code like \"#aabbcc\".")
    return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)


def rgb_to_hex(rgb: Any) -> str:
    """(r, g, b) ints 0..255 to "#rrggbb"."""
    r, g, b = (int(np.clip(round(float(c)), 0, 255)) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def rgb_to_lab(colours: np.ndarray) -> np.ndarray:
    """N x 3 uint8 RGB colours to N x 3 float32 CIELAB (L 0..100) via OpenCV's float conversion."""
    rgb = np.asarray(colours, dtype=np.float32).reshape(1, -1, 3) / 255.0
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab).reshape(-1, 3)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """N x 3 float CIELAB colours to N x 3 uint8 RGB."""
    rgb = cv2.cvtColor(np.asarray(lab, dtype=np.float32).reshape(1, -1, 3), cv2.COLOR_Lab2RGB)
    return from_unit(rgb.reshape(-1, 3))
