"""The terminal renderer's shortcuts print what rich prints the plain way: tables told their column
widths (when they fit) and the lines between tables printed at once give the same bytes as rich
measuring every cell and one print a line, at every width."""

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
from nnsolve.render.plain import RULE, equation, grid, line
from nnsolve.solution import solve, solve_steps


def plain_way(document: doc.Document, console: Console) -> None:
    """Each part printed alone; each table with string cells, measured by rich."""
    parts = []
    if document.title:
        parts.append(Text(document.title, style="bold"))
    for n, block in enumerate(document.blocks):
        if isinstance(block, doc.Heading):
            if n or document.title:
                parts.append(Text(""))
            if block.level == 0:
                parts.append(Text("━" * RULE))
            parts.append(Text(line(block.parts), style="bold underline" if block.level else "bold reverse"))
        elif isinstance(block, doc.Para):
            parts.append(Text(line(block.parts)))
        elif isinstance(block, doc.Equations):
            parts.extend(Text(equation(terms, block.approx)) for terms in block.lines)
        else:
            title, headers, right, rows = grid(block)
            t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False)
            for head, r in zip(headers, right):
                t.add_column(head, justify="right" if r else "left")
            for row in rows:
                t.add_row(*row)
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
    for width in (20, 30, 38, 41, 44, 47, 50, 55, 60, 70, 80, 100, 120, 200):
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
