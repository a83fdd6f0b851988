"""The studio's Gradio UI, one module per tab. Only app.py builds it; importing has no side effects.
These modules talk to genmodels' facade and postprocess only (never torch, never a network class)."""
