"""Render Markdown as an HTML-showing viewer would, and count the real elements in it."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

from markdown_it import MarkdownIt


class Elements(HTMLParser):
    """Start and end tags of the rendered HTML (escaped text is not an element)."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: Counter[str] = Counter()
        self.closed: Counter[str] = Counter()

    def handle_starttag(self, tag, attrs) -> None:
        self.opened[tag] += 1

    def handle_endtag(self, tag) -> None:
        self.closed[tag] += 1


def render(markdown: str) -> str:
    """CommonMark with raw HTML passed through, the riskiest common viewer setting."""
    return MarkdownIt("commonmark").render(markdown)


def rendered_elements(markdown: str) -> Elements:
    elements = Elements()
    elements.feed(render(markdown))
    return elements
