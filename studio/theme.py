"""The studio's look: a calm theme and a few styles Gradio has no setting for."""
from __future__ import annotations

import gradio as gr

CSS = """
.ls-header h1 { margin-bottom: 0; }
.ls-intro p { color: var(--body-text-color-subdued); margin: 0 0 4px 0; }
.ls-progress { height: 14px; border-radius: 7px; background: var(--neutral-200); overflow: hidden; }
.ls-progress-fill { height: 100%; background: linear-gradient(90deg, #6366f1, #ec4899); transition: width .4s; }
.ls-progress-text { margin: 6px 0 0 0; font-size: 0.92em; }
footer { display: none !important; }
/* Model images are 32 or 64 px: fill the frame, keeping their pixels sharp instead of a tiny thumbnail. */
.ls-pixels img { width: 100% !important; height: 100% !important; object-fit: contain; image-rendering: pixelated; }
"""


def theme() -> gr.themes.Base:
    return gr.themes.Soft(primary_hue="indigo", secondary_hue="pink", neutral_hue="slate",
                          font=[gr.themes.GoogleFont("Inter"), "ui-sans-serif", "system-ui", "sans-serif"])
