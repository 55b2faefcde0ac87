"""The fenced (and indented) code blocks of an answer, read from its Markdown source."""

from __future__ import annotations

from dataclasses import dataclass

from markdown_it import MarkdownIt

_PARSER = MarkdownIt("commonmark")


@dataclass(frozen=True)
class CodeBlock:
    language: str
    code: str

    @property
    def lines(self) -> int:
        return len(self.code.splitlines())

    def describe(self, width: int = 70) -> str:
        """One picker row: language, line count, then the first non-blank line."""
        first = next((line.strip() for line in self.code.splitlines() if line.strip()), "")
        head = f"{self.language or 'text'} · {self.lines} line{'s' if self.lines != 1 else ''} · "
        room = max(1, width - len(head))
        return head + (first if len(first) <= room else first[: room - 1] + "…")


def code_blocks(markdown: str) -> list[CodeBlock]:
    """Every code block in order; a fence the answer left open still counts (it ends with the text)."""
    blocks = []
    for token in _PARSER.parse(markdown):
        if token.type in ("fence", "code_block"):
            language = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
            blocks.append(CodeBlock(language, token.content))
    return blocks
