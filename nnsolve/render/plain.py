"""A Document as plain text: the worksheet's symbols in Unicode, tables in aligned columns.

What nnsolve prints when stdout is not a terminal (a pipe, a file, a test) or NO_COLOR is
set: no colour, no box drawing, no trailing spaces, never wrapped, so the same input gives
the same bytes. It needs nothing beyond the standard library; the terminal renderer (rich)
shares its pieces.
"""

from __future__ import annotations

from typing import Optional

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


RULE = 60  # the width of the rule above a part of its own (one SGD step)


def grid(block) -> tuple[Optional[str], list[str], list[bool], list[list[str]]]:
    """A Matrix or a Table as (title, headers, right-aligned per column, rows of cells)."""
    if isinstance(block, doc.Matrix):
        row, column = block.axes
        headers = [f"row {row}"] + [f"{column}={j}" for j in range(1, len(block.rows[0]) + 1)]
        right = [False] + [True] * len(block.rows[0])
        rows = [
            [f"{i} ({'bias' if label == '1' else unicode(label)})", *row]
            for i, (label, row) in enumerate(zip(block.row_labels, block.rows), start=block.first_row)
        ]
        return unicode(block.name), headers, right, rows
    right = list(block.numeric or (False,) * len(block.header))
    rows = [[inline(c) for c in row] for row in block.rows]
    return (line(block.title) if block.title else None), [inline(h) for h in block.header], right, rows


def _table(title: Optional[str], headers: list[str], right: list[bool], rows: list[list[str]]) -> list[str]:
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows)]
    out = [title] if title else []
    for cells in [headers, *rows]:
        padded = (c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right))
        out.append((" " + "  ".join(padded)).rstrip())
    return out


def lines(document: doc.Document):
    """The document, line by line."""
    if document.title:
        yield document.title
    for n, block in enumerate(document.blocks):
        if isinstance(block, doc.Heading):
            if n or document.title:
                yield ""
            if block.level == 0:
                yield "=" * RULE
            yield line(block.parts)
        elif isinstance(block, doc.Para):
            yield line(block.parts)
        elif isinstance(block, doc.Equations):
            for terms in block.lines:
                yield equation(terms, block.approx)
        else:
            yield from _table(*grid(block))


def text(document: doc.Document) -> str:
    return "".join(f"{line_}\n" for line_ in lines(document))
