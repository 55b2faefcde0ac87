"""Rich Markdown for model output: nothing clickable, every target in plain sight.

A model can write `[your bank](https://evil.example)`. Rich with `hyperlinks=False`
renders a link as `your bank (https://evil.example)` from markdown-it's own parse, so
reference links, brackets in labels and punycode hosts are covered as well as inline
links, and code stays code. On top of that, an image shows as `alt (image: target)`
where it stands, and raw HTML and `<autolinks>` are parsed as plain text, so
`<script>` shows as typed rather than vanishing.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from rich.markdown import Markdown as RichMarkdown


def images_as_text(state: StateCore) -> None:
    """A markdown-it core rule: each image becomes the text `alt (image: target)`."""
    for block in state.tokens:
        if block.type == "inline" and block.children:
            block.children = [_image_text(token) if token.type == "image" else token for token in block.children]


def _image_text(image: Token) -> Token:
    return Token("text", "", 0, content=f"{image.content or 'image'} (image: {image.attrGet('src') or ''})")


def markdown_parser() -> MarkdownIt:
    """Rich's own dialect (CommonMark, tables, strikethrough) with raw HTML and autolinks off."""
    parser = MarkdownIt("commonmark", {"html": False}).enable(["strikethrough", "table"]).disable("autolink")
    parser.core.ruler.push("images_as_text", images_as_text)
    return parser


PARSER = markdown_parser()


class InertMarkdown(RichMarkdown):
    """Rich Markdown with links as `label (target)`, images as `alt (image: target)`, HTML as text."""

    def __init__(self, markup: str, code_theme: str = "monokai") -> None:
        super().__init__("", code_theme=code_theme, hyperlinks=False)  # "": parse once, with PARSER below
        self.markup = markup
        self.parsed = PARSER.parse(markup)
