"""User-given names render as themselves where Markdown is rendered (genmodels/text.py)."""
from genmodels import markdown_text
from genmodels.storage.card import render_card


def test_markdown_and_html_in_a_name_are_escaped():
    assert markdown_text("**big** <img src=x> [a](b)") == "\\*\\*big\\*\\* \\<img src=x\\> \\[a\\]\\(b\\)"
    assert markdown_text("café 0.6 - ok") == "café 0.6 - ok"  # nothing to escape inside a line


def test_a_cards_class_names_are_plain_text():
    meta = {"kind": "gan", "name": "pets", "config": {"image_size": 32, "channels": 3,
                                                      "classes": ["<script>x</script>", "**dogs**"]}}
    card = render_card(meta, has_samples=False)
    assert "Classes: \\<script\\>x\\</script\\>, \\*\\*dogs\\*\\*." in card
    prose = card.split("```json")[0]  # the config itself is shown further down, inside a code block
    assert "<script>" not in prose
