"""Markdown that admins write, rendered safely: the one place it is turned into HTML.

Raw HTML in the source is shown as text, never passed through; markdown-it's link
check refuses javascript:, vbscript:, file: and data: URLs. Images are off: guidance
is words, and an image would let a page load things from anywhere.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.enable("table").disable("image")


def render_markdown(source: str) -> Markup:
    tokens = _md.parse(source or "")
    # The page has its own h1: a "# Heading" in the guidance becomes an h2, and so on.
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
    # Safe to mark: the renderer has raw HTML off and escapes all text (tests prove it).
    return Markup(_md.renderer.render(tokens, _md.options, {}))  # nosec B704
