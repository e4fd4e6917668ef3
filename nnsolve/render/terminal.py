"""A Document in the terminal: the worksheet's symbols in Unicode, tables drawn by rich.

Rich tables on a terminal; plain text (no colour, no box drawing, no trailing spaces) when
piped or NO_COLOR is set, at a fixed width, so the same input gives the same bytes.
"""

from __future__ import annotations

from typing import Iterable

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import document as doc
from .mathtext import unicode


def inline(part: doc.Inline) -> str:
    return unicode(part.text) if isinstance(part, doc.Math) else part


def line(parts: doc.Parts) -> str:
    return "".join(inline(p) for p in parts)


def equation(terms: tuple[str, ...], approx: bool = False) -> str:
    """a = b = c, or a = b ≈ c for a hand-rounded result."""
    written = [unicode(t) for t in terms]
    last = " ≈ " if approx and len(written) > 1 else " = "
    text = " = ".join(written[:-1]) + last + written[-1] if len(written) > 1 else written[0]
    return "    " + text.lstrip(" =") if not terms[0] else text  # a continuation line: "    + ..."


class _Writer:
    def __init__(self, plain: bool):
        self.box = None if plain else box.SIMPLE_HEAD

    def renderables(self, document: doc.Document) -> Iterable:
        if document.title:
            yield Text(document.title, style="bold")
        for n, block in enumerate(document.blocks):
            if isinstance(block, doc.Heading):
                if n or document.title:
                    yield Text("")
                if block.level == 0:  # a part of its own: set off by a rule
                    yield Text("=" * 60 if self.box is None else "━" * 60)
                yield Text(line(block.parts), style="bold underline" if block.level else "bold reverse")
            elif isinstance(block, doc.Para):
                yield Text(line(block.parts))
            elif isinstance(block, doc.Equations):
                for terms in block.lines:
                    yield Text(equation(terms, block.approx))
            elif isinstance(block, doc.Matrix):
                yield self.matrix(block)
            elif isinstance(block, doc.Table):
                yield self.table(block)

    def matrix(self, m: doc.Matrix) -> Table:
        t = Table(title=unicode(m.name), title_justify="left", box=self.box, show_edge=False)
        t.add_column("row i")
        for j in range(1, len(m.rows[0]) + 1):
            t.add_column(f"j={j}", justify="right")
        for i, (label, row) in enumerate(zip(m.row_labels, m.rows), start=m.first_row):
            t.add_row(f"{i} ({'bias' if label == '1' else unicode(label)})", *row)
        return t

    def table(self, tb: doc.Table) -> Table:
        title = line(tb.title) if tb.title else None
        t = Table(title=title, title_justify="left", box=self.box, show_edge=False)
        numeric = tb.numeric or (False,) * len(tb.header)
        for head, right in zip(tb.header, numeric):
            t.add_column(inline(head), justify="right" if right else "left")
        for row in tb.rows:
            t.add_row(*(inline(c) for c in row))
        return t


def plain(console: Console) -> bool:
    return console.no_color or not console.is_terminal


def write(document: doc.Document, console: Console) -> None:
    parts = _Writer(plain(console)).renderables(document)
    if not plain(console):
        for part in parts:
            # a line of working is never wrapped mid-formula; tables fit the width
            console.print(part, highlight=False, soft_wrap=isinstance(part, Text))
        return
    with console.capture() as capture:
        for part in parts:
            console.print(part, highlight=False, soft_wrap=isinstance(part, Text))
    # piped text carries no padding after the last column
    console.file.write("".join(text.rstrip() + "\n" for text in capture.get().splitlines()))
