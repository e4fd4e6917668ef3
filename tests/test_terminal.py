"""The terminal renderer's shortcuts print what rich prints the plain way: tables told their column
widths and the lines between tables printed at once give the same bytes as rich measuring every
cell (wrapped as plain.layout says) and one print a line, at every width where the tables fit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from nnsolve.problem import load_problem
from nnsolve.render import document as doc
from nnsolve.render import terminal
from nnsolve.render.document import solution_document, steps_document
from nnsolve.render.plain import CONTINUATION, RULE, cell_lines, equation, grid, layout, line, wrap
from nnsolve.solution import solve, solve_steps


def plain_way(document: doc.Document, console: Console) -> None:
    """Each part printed alone: each line wrapped as plain.wrap does, each table with string cells
    wrapped as plain.layout says, measured by rich."""
    parts = []
    width = console.width

    def texts(text, style="", indent=""):
        return [Text(piece, style=style) for piece in wrap(text, width, indent)]

    if document.title:
        parts.extend(texts(document.title, "bold"))
    for n, block in enumerate(document.blocks):
        if isinstance(block, doc.Heading):
            if n or document.title:
                parts.append(Text(""))
            if block.level == 0:
                parts.append(Text("━" * min(RULE, width)))
            parts.extend(texts(line(block.parts), "bold underline" if block.level else "bold reverse"))
        elif isinstance(block, doc.Para):
            parts.extend(texts(line(block.parts)))
        elif isinstance(block, doc.Equations):
            for terms in block.lines:
                parts.extend(texts(equation(terms, block.approx), indent=CONTINUATION))
        else:
            title, headers, right, rows = grid(block)
            for k, (columns, widths) in enumerate(layout(headers, rows, width, 2, 3)):
                if k:
                    parts.append(Text(""))
                t = Table(title=title if k == 0 else None, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False)
                for c, w in zip(columns, widths):
                    t.add_column("\n".join(cell_lines(headers[c], w)), justify="right" if right[c] else "left")
                for row in rows:
                    t.add_row(*("\n".join(cell_lines(row[c], w)) for c, w in zip(columns, widths)))
                parts.append(t)
    for part in parts:
        console.print(part, highlight=False, soft_wrap=isinstance(part, Text))


def console(width: int) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, color_system="standard", width=width, highlight=False, markup=False, emoji=False), out


PROBLEMS = str(Path(__file__).resolve().parent.parent / "problems") + "/"

DOCUMENTS = {
    "worksheet": lambda: solution_document(solve(load_problem(PROBLEMS + "worksheet.yaml")), 8),
    "breast_cancer": lambda: solution_document(solve(load_problem(PROBLEMS + "breast_cancer.yaml")), 8),
    "deep": lambda: solution_document(solve(load_problem(PROBLEMS + "deep_tanh_relu.yaml")), 3),
    "sgd_steps": lambda: (lambda p: steps_document(p, solve_steps(p, 1), 8))(load_problem(PROBLEMS + "sgd_steps.yaml")),
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_shortcuts_print_what_rich_prints_the_plain_way(name):
    document = DOCUMENTS[name]()
    for width in (41, 44, 47, 50, 55, 60, 70, 80, 100, 120, 200):  # narrower, a table of these cannot fit
        fast, fast_out = console(width)
        terminal.write(document, fast)
        plain, plain_out = console(width)
        plain_way(document, plain)
        assert fast_out.getvalue() == plain_out.getvalue(), f"width {width}"


def test_text_is_never_markup_or_emoji():
    c, out = console(80)
    terminal.write(doc.Document("[bold]x[/bold] :smile:", (doc.Table(("[b]a",), (("[i]1:x:",),), ("[red]t",)),)), c)
    text = out.getvalue()
    assert "[bold]x[/bold] :smile:" in text and "[b]a" in text and "[i]1:x:" in text and "[red]t" in text
