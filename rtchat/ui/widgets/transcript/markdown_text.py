"""Markdown as the plain words a reader sees, for one-line places such as search snippets.

Parsed by the transcript's own parser (`inert_markdown.PARSER`: raw HTML and autolinks stay
text, an image is `alt (image: target)`), so `**bold**`, `` `code` ``, `# heading` and list
marks go while every word stays, and a link keeps its target in sight as the transcript
shows it: `label (target)`. Characters markdown-it does not treat as markup (the search
marks around a hit, say) pass through untouched. The result is not yet terminal-safe.
"""

from __future__ import annotations

from markdown_it.token import Token

from rtchat.ui.widgets.transcript.inert_markdown import PARSER


def markdown_text(markup: str) -> str:
    """The words of `markup` on one line: blocks and line breaks become single spaces."""
    words: list[str] = []
    for block in PARSER.parse(markup):
        if block.type == "inline":
            words.append(_inline_text(block.children or []))
        elif block.type in ("fence", "code_block"):
            words.append(block.content)
    return " ".join(" ".join(words).split())


def _inline_text(tokens: list[Token]) -> str:
    parts: list[str] = []
    targets: list[str] = []  # the open links' targets, said after their labels
    for token in tokens:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type == "link_open":
            targets.append(str(token.attrGet("href") or ""))
        elif token.type == "link_close" and targets:
            target = targets.pop()
            parts.append(f" ({target})" if target else "")
    return "".join(parts)
