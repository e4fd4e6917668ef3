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
from .plain import RULE, equation, grid, line


def _table(block) -> Table:
    title, headers, right, rows = grid(block)
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False)
    for head, r in zip(headers, right):
        t.add_column(head, justify="right" if r else "left")
    for row in rows:
        t.add_row(*row)
    return t


def renderables(document: doc.Document):
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
            yield _table(block)


def write(document: doc.Document, console: Console) -> None:
    for part in renderables(document):
        # a line of working is never wrapped mid-formula; tables fit the width
        console.print(part, highlight=False, soft_wrap=isinstance(part, Text))
