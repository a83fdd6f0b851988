"""User-given names (models, classes) shown as plain text where Markdown is rendered: model cards and
the studio's Markdown lines. A name like "**big** <img src=x>" must read as those characters."""
from __future__ import annotations

# Inline specials; ".", "-" and "+" act only at the start of a line, and callers never start one with a name.
MARKDOWN_SPECIALS = "\\`*_{}[]()<>#!|~&"


def markdown_text(text: str) -> str:
    """text with every character Markdown or HTML would act on inside a line backslash-escaped (CommonMark
    escapes any ASCII punctuation this way), so it renders as itself."""
    return "".join(f"\\{ch}" if ch in MARKDOWN_SPECIALS else ch for ch in str(text))
