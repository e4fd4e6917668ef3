"""A Document on a terminal: rich tables with box drawing and styles.

Only for a terminal that takes colour; everywhere else nnsolve prints render/plain.py's text,
which this module shares its pieces with (and which needs no rich).
"""

from __future__ import annotations

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import document as doc
from .plain import RULE, equation, grid, line

VERDICT_STYLES = {"correct": "green", "carried forward": "yellow", "wrong": "red"}

# rich pads each cell with a space on either side and draws one rule character between columns
_PADDING, _RULE = 2, 1


def _table(block, width: int) -> Table:
    title, headers, right, rows = grid(block)
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False)
    # rich sizes a column by rendering every cell to measure it; the widths are known here (the
    # longest cell), so when the table fits the terminal, rich is told them, measures nothing and
    # looks for no place to wrap a cell. A table too wide is left to rich, which shares out the
    # width and wraps cells.
    columns = list(zip(headers, *rows))
    widths = [max(cell_len(cell) for cell in column) for column in columns]
    fits = sum(widths) + (_PADDING + _RULE) * len(widths) - _RULE <= width and not any("\n" in c for column in columns for c in column)
    for head, r, w in zip(headers, right, widths):
        t.add_column(Text(head), justify="right" if r else "left", width=w if fits else None, no_wrap=fits)
    verdicts = headers.index("verdict") if "verdict" in headers else None
    for row in rows:
        cells = [Text(cell) for cell in row]
        if verdicts is not None:  # a grade at a glance (rich leaves colour out with NO_COLOR)
            cells[verdicts].stylize(VERDICT_STYLES.get(row[verdicts], ""))
        t.add_row(*cells)
    return t


def renderables(document: doc.Document, width: int = 80):
    if document.title:
        yield Text(document.title, style="bold")
    for n, block in enumerate(document.blocks):
        if isinstance(block, doc.Heading):
            if n or document.title:
                yield Text("")
            if block.level == 0:  # a part of its own: set off by a rule
                yield Text("━" * RULE)
            yield Text(line(block.parts), style="bold underline" if block.level else "bold reverse")
        elif isinstance(block, doc.Para):
            yield Text(line(block.parts))
        elif isinstance(block, doc.Equations):
            for terms in block.lines:
                yield Text(equation(terms, block.approx))
        else:
            yield _table(block, width)


def write(document: doc.Document, console: Console) -> None:
    lines: list[Text] = []

    def flush() -> None:  # the lines between two tables, as one print: each line keeps its style
        if lines:
            # a line of working is never wrapped mid-formula
            console.print(Text("\n").join(lines), highlight=False, soft_wrap=True)
            lines.clear()

    with console:  # one write to the terminal at the end, not one per line
        for part in renderables(document, console.width):
            if isinstance(part, Text):
                lines.append(part)
            else:
                flush()
                # tables fit the width: one told its widths fits already, and needs no cropping
                console.print(part, highlight=False, crop=any(column.width is None for column in part.columns))
        flush()
