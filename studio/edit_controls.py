"""Gradio controls built from postprocess's registry: one component per edit parameter."""
from __future__ import annotations

from typing import Any

import gradio as gr

from .ui import PictureUpload


def control_for(param: dict[str, Any]) -> gr.components.Component:
    """A component for one registry parameter (see postprocess.Param.to_dict)."""
    kind, label, info = param["type"], param["label"], param.get("description") or None
    if kind in ("float", "int"):
        step = param.get("step") or (1 if kind == "int" else 0.01)
        return gr.Slider(param["min"], param["max"], value=param["default"], step=step, label=label, info=info)
    if kind == "bool":
        return gr.Checkbox(value=bool(param["default"]), label=label, info=info)
    if kind == "choice":
        options = [(str(c).capitalize(), c) for c in param["choices"]]  # shown capitalised; the value is the edit's
        return gr.Dropdown(options, value=param["default"], label=label, info=info)
    if kind == "color":
        return gr.ColorPicker(value=param["default"], label=label, info=info)
    if kind == "palette":
        return gr.Textbox(value=", ".join(param["default"]), label=label,
                          info=info or "Hex colours separated by commas, e.g. #1d2b53, #ff004d")
    if kind == "image":
        return PictureUpload(label=label)
    raise ValueError(f"no control for parameter type {kind!r}")


def value_from(param: dict[str, Any], value: Any) -> Any:
    """A component's value -> the value the registry expects (validation happens in postprocess)."""
    kind = param["type"]
    if kind == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind == "palette" and isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if kind == "color" and isinstance(value, str) and value.startswith("rgb"):
        return _rgb_to_hex(value)
    return value


def _rgb_to_hex(text: str) -> str:
    """Gradio's ColorPicker may report 'rgba(r, g, b, a)'."""
    nums = [float(v) for v in text[text.index("(") + 1:text.index(")")].split(",")[:3]]
    return "#" + "".join(f"{int(round(v)):02x}" for v in nums)
