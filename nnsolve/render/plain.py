"""A Document as plain text: the worksheet's symbols in Unicode, tables in aligned columns.

What nnsolve prints when stdout is not a terminal (a pipe, a file, a test) or NO_COLOR is
set: no colour, no box drawing, no trailing spaces, never wrapped in a pipe or a file, so the
same input gives the same bytes. On a terminal (NO_COLOR) its prose and working are wrapped
to the terminal's width between words and numbers (`wrap`), never inside one. It needs
nothing beyond the standard library; the terminal renderer (rich) shares its pieces.
"""

from __future__ import annotations

import re
import unicodedata
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
CONTINUATION = "    "  # the indent of a line of working wrapped onto the next

# tokens that start a wrapped line rather than end one: a line of working breaks before its
# = or +, so that each continuation says what it continues
_OPERATORS = frozenset("= ≈ + − - · × ⊙ → ;".split())
# inside one token too long for a line (a product written out): a break between ")(" only
_INNER_BREAK = re.compile(r"(?<=\))(?=\()")


def cells(text: str) -> int:
    """The terminal columns text takes: combining marks none, wide characters two."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(text: str, width: Optional[int], indent: str = "") -> list[str]:
    """text as lines of at most width columns, broken at spaces only, so never inside a word
    or a number (a vector breaks between its elements); each line after the first starts with
    indent, and with the operator it continues with (= or +) rather than ending on it. A token
    longer than a line is broken between its factors, ")(", or else left whole. None: one line."""
    if width is None or cells(text) <= width:
        return [text]
    lead = text[: len(text) - len(text.lstrip(" "))]
    words = _words(text)
    out: list[str] = []
    current, empty = lead, True  # the line being filled; empty while it holds only its indent
    for word in words:
        sep = "" if empty else " "
        if cells(current + sep + word) <= width:
            current, empty = current + sep + word, False
            continue
        if not empty and cells(indent + word) <= width:  # on a line of its own
            out.append(current)
            current, empty = indent + word, False
            continue
        for n, piece in enumerate(_INNER_BREAK.split(word)):  # a token longer than a line: between its factors
            glue = sep if n == 0 else ""
            if not empty and cells(current + glue + piece) > width:
                out.append(current)
                current, empty, glue = indent, True, ""
            current, empty = current + glue + piece, False
    out.append(current)
    return out


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


def _words(text: str) -> list[str]:
    """The pieces wrap() never breaks inside: words, each operator glued to the word after it."""
    words: list[str] = []
    for word in text.strip(" ").split(" "):
        if words and words[-1] in _OPERATORS:
            words[-1] += " " + word
        elif word:
            words.append(word)
    return words


def layout(headers: list[str], rows: list[list[str]], width: Optional[int], margin: int, gap: int) -> list[tuple[list[int], list[int]]]:
    """How a table fits width columns, as groups of (its columns, their widths): one group of
    every column at its natural width when it fits (or without a width); else the wider
    columns narrowed, their cells wrapped between words (never narrower than a cell's longest
    word); else the columns shared out among several tables, each starting with column 0 (its
    row labels). margin: the columns the table takes beside its cells, gap: between two cells."""
    table = [headers, *rows]
    n = len(headers)
    natural = [max((cells(part) for row in table for part in row[c].split("\n")), default=0) for c in range(n)]
    if width is None:
        return [(list(range(n)), natural)]
    least = [max((cells(w) for row in table for part in row[c].split("\n") for w in _words(part)), default=0) for c in range(n)]

    def room(columns) -> int:
        return width - margin - gap * (len(columns) - 1)

    groups: list[list[int]] = [[0]]
    for c in range(1, n):
        if sum(least[k] for k in groups[-1]) + least[c] > room(groups[-1] + [c]) and len(groups[-1]) > 1:
            groups.append([0])
        groups[-1].append(c)
    out = []
    for columns in groups:
        widths = [natural[c] for c in columns]
        floor = [least[c] for c in columns]
        over = sum(widths) - room(columns)
        while over > 0:  # narrow the widest column that can still be narrowed
            k = max((k for k in range(len(columns)) if widths[k] > floor[k]), key=lambda k: widths[k], default=None)
            if k is None:
                break
            widths[k] -= 1
            over -= 1
        # each column as wide as its widest line once wrapped (no wider than it was given)
        widths = [max(cells(piece) for row in table for piece in cell_lines(row[c], w)) if w < natural[c] else w
                  for c, w in zip(columns, widths)]
        out.append((columns, widths))
    return out


def cell_lines(cell: str, width: int) -> list[str]:
    """A cell's lines at most width wide: its own lines (a matrix's rows), each wrapped between words."""
    return [piece for part in cell.split("\n") for piece in wrap(part, width)]


def _table(title: Optional[str], headers: list[str], right: list[bool], rows: list[list[str]], width: Optional[int] = None) -> list[str]:
    out = [title] if title else []
    for n, (columns, widths) in enumerate(layout(headers, rows, width, 1, 2)):
        if n:
            out.append("")
        for row in [headers, *rows]:
            parts = [cell_lines(row[c], w) for c, w in zip(columns, widths)]
            for k in range(max(len(p) for p in parts)):
                texts = [p[k] if k < len(p) else "" for p in parts]
                padded = (" " * (w - cells(t)) + t if right[c] else t + " " * (w - cells(t)) for t, c, w in zip(texts, columns, widths))
                out.append((" " + "  ".join(padded)).rstrip())
    return out


def lines(document: doc.Document, width: Optional[int] = None):
    """The document, line by line; with a width, prose and working wrapped to it."""
    if document.title:
        yield from wrap(document.title, width)
    for n, block in enumerate(document.blocks):
        if isinstance(block, doc.Heading):
            if n or document.title:
                yield ""
            if block.level == 0:
                yield "=" * RULE
            yield from wrap(line(block.parts), width)
        elif isinstance(block, doc.Para):
            yield from wrap(line(block.parts), width)
        elif isinstance(block, doc.Equations):
            for terms in block.lines:
                yield from wrap(equation(terms, block.approx), width, CONTINUATION)
        else:
            yield from _table(*grid(block), width)


def text(document: doc.Document, width: Optional[int] = None) -> str:
    """The document as text; width: a terminal's, to wrap prose and working to (None: never wrapped)."""
    return "".join(f"{line_}\n" for line_ in lines(document, width))
