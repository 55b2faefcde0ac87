"""Rich Markdown for model output: nothing clickable, every target in plain sight.

A model can write `[your bank](https://evil.example)`. Rich with `hyperlinks=False`
renders a link as `your bank (https://evil.example)` from markdown-it's own parse, so
reference links, brackets in labels and punycode hosts are covered as well as inline
links, and code stays code. On top of that, an image shows as `alt (image: target)`
where it stands, and raw HTML and `<autolinks>` are parsed as plain text, so
`<script>` shows as typed rather than vanishing.
"""

from __future__ import annotations

from typing import ClassVar

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import CodeBlock, TableElement
from rich.markdown import Markdown as RichMarkdown
from rich.segment import Segment
from rich.syntax import Syntax
from rich.table import Table

from rtchat.compat import code_block_parts, markdown_elements, set_markdown_tokens, table_column_widths, table_element_cells, table_padding_width


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


class ContinuedTable(TableElement):
    """A table that may be one stretch of a longer one: rows only, in columns whose widths were fixed
    by the first stretch, with no top edge (continued) or no bottom edge (open: more rows follow)."""

    @classmethod
    def create(cls, markdown: InertMarkdown, token) -> ContinuedTable:
        element = cls()
        element.owner = markdown
        element.index = markdown.count("table")
        return element

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        owner: InertMarkdown = self.owner
        continued = owner.continues == "row" and self.index == 0
        open_end = owner.open_end == "row" and self.index == owner.tables - 1
        table = Table(box=box.SIMPLE, pad_edge=False, style="markdown.table.border", show_edge=True, collapse_padding=True, show_header=not continued)
        header, rows = table_element_cells(self)
        for cell in header:
            heading = cell.copy()
            heading.stylize("markdown.table.header")
            table.add_column(heading)
        for row in rows:
            table.add_row(*row)
        if not (continued or open_end):
            yield table  # a whole table: exactly Rich's
            return
        widths = owner.table_widths if continued else None
        if widths is None or len(widths) != len(table.columns):
            widths = table_column_widths(table, console, options)  # Rich's own sizing of this first stretch
            owner.table_widths = widths
        for index, (column, width) in enumerate(zip(table.columns, widths)):
            column.width = max(1, width - table_padding_width(table, index))
            column.overflow = "fold"  # a word wider than the fixed column breaks, it is never cut off
        lines = console.render_lines(table, options, pad=False)
        lines = lines[1 if continued else 0 : len(lines) - 1 if open_end else len(lines)]
        for number, line in enumerate(lines):
            if number:
                yield Segment.line()
            yield from line


class ContinuedCode(CodeBlock):
    """A fenced code block that may be one stretch of a longer one: no top (continued) or bottom (open) padding."""

    @classmethod
    def create(cls, markdown: InertMarkdown, token) -> ContinuedCode:
        element = super().create(markdown, token)
        element.owner = markdown
        element.index = markdown.count("code")
        return element

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        owner: InertMarkdown = self.owner
        top = 0 if owner.continues == "code" and self.index == 0 else 1
        bottom = 0 if owner.open_end == "code" and self.index == owner.codes - 1 else 1
        text, lexer_name, theme = code_block_parts(self)
        yield Syntax(text.rstrip(), lexer_name, theme=theme, word_wrap=True, padding=(top, 1, bottom, 1))


class InertMarkdown(RichMarkdown):
    """Rich Markdown with links as `label (target)`, images as `alt (image: target)`, HTML as text.

    It can also render one stretch of a long block (see markdown_blocks): `continues` says the
    first table ("row") or code block ("code") goes on from an earlier stretch, `open_end` that the
    last one goes on in the next; `table_widths` carries the column widths between stretches.
    """

    elements: ClassVar[dict] = markdown_elements(table_open=ContinuedTable, fence=ContinuedCode, code_block=ContinuedCode)

    def __init__(
        self,
        markup: str,
        code_theme: str = "monokai",
        continues: str | None = None,
        open_end: str | None = None,
        table_widths: list[int] | None = None,
    ) -> None:
        super().__init__("", code_theme=code_theme, hyperlinks=False)  # "": parse once, with PARSER below
        self.markup = markup
        tokens = PARSER.parse(markup)
        set_markdown_tokens(self, tokens)
        self.continues = continues
        self.open_end = open_end
        self.table_widths = table_widths
        top = [token.type for token in tokens if token.level == 0]
        self.tables = top.count("table_open")
        self.codes = top.count("fence") + top.count("code_block")
        self._seen = {"table": 0, "code": 0}

    def count(self, kind: str) -> int:
        """The index of the next table or code block met while rendering."""
        index = self._seen[kind]
        self._seen[kind] += 1
        return index

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rendered = super().__rich_console__(console, options)
        if self.continues == "row":
            first = next(rendered, None)  # Rich opens every table with a line break: not mid-table
            if first is not None and first.text != "\n":
                yield first
        yield from rendered

