"""A Document on a terminal: rich tables with box drawing and styles.

Only for a terminal that takes colour; everywhere else nnsolve prints render/plain.py's text,
which this module shares its pieces with (and which needs no rich).
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import document as doc
from .plain import CONTINUATION, RULE, cell_lines, equation, grid, layout, line, wrap

VERDICT_STYLES = {"correct": "green", "carried forward": "yellow", "wrong": "red"}

# rich pads each cell with a space on either side and draws one rule character between columns
_PADDING, _RULE = 2, 1


def _tables(block, width: int):
    """The table, laid out as plain.layout says (cells wrapped between words, or its columns
    shared out among several tables when they cannot fit), each told its column widths: rich
    measures nothing, and wraps, folds or cuts short nothing."""
    title, headers, right, rows = grid(block)
    verdicts = headers.index("verdict") if "verdict" in headers else None
    for n, (columns, widths) in enumerate(layout(headers, rows, width, _PADDING, _PADDING + _RULE)):
        t = Table(title=title if n == 0 else None, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False)
        for c, w in zip(columns, widths):
            t.add_column(Text("\n".join(cell_lines(headers[c], w))), justify="right" if right[c] else "left", width=w, no_wrap=True)
        for row in rows:
            texts = [Text("\n".join(cell_lines(row[c], w))) for c, w in zip(columns, widths)]
            if verdicts is not None and verdicts in columns:  # a grade at a glance (rich leaves colour out with NO_COLOR)
                texts[columns.index(verdicts)].stylize(VERDICT_STYLES.get(row[verdicts], ""))
            t.add_row(*texts)
        if n:
            yield Text("")
        yield t


def renderables(document: doc.Document, width: int = 80):
    """Text lines, wrapped to width between words and numbers (plain.wrap), and tables."""

    def texts(text: str, style: str = "", indent: str = ""):
        return (Text(part, style=style) for part in wrap(text, width, indent))

    if document.title:
        yield from texts(document.title, "bold")
    for n, block in enumerate(document.blocks):
        if isinstance(block, doc.Heading):
            if n or document.title:
                yield Text("")
            if block.level == 0:  # a part of its own: set off by a rule
                yield Text("━" * min(RULE, width))
            yield from texts(line(block.parts), "bold underline" if block.level else "bold reverse")
        elif isinstance(block, doc.Para):
            yield from texts(line(block.parts))
        elif isinstance(block, doc.Equations):
            for terms in block.lines:
                yield from texts(equation(terms, block.approx), indent=CONTINUATION)
        else:
            yield from _tables(block, width)


def write(document: doc.Document, console: Console) -> None:
    lines: list[Text] = []

    def flush() -> None:  # the lines between two tables, as one print: each line keeps its style
        if lines:
            # each line is wrapped already, between words and numbers: rich wraps nothing more
            console.print(Text("\n").join(lines), highlight=False, soft_wrap=True)
            lines.clear()

    with console:  # one write to the terminal at the end, not one per line
        for part in renderables(document, console.width):
            if isinstance(part, Text):
                lines.append(part)
            else:
                flush()
                # each table is told its widths (_tables), which fit the width: nothing to crop
                console.print(part, highlight=False, crop=False)
        flush()
