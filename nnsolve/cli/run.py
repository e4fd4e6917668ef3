"""`nnsolve run`: every step of one solve."""

from __future__ import annotations

import click

from .common import emit, output_options, problem_argument, resolve_format


@click.command()
@problem_argument
@output_options("nnsolve.solution/1")
def run(file, output_format, as_json, digits, fragment, output, force):
    """Solve FILE: forward pass, loss, backpropagation and update.

    FILE is a problem in YAML (see problems/); without it, the built-in worksheet.
    The output follows the worksheet's questions in order, in its notation.

    \b
    Examples:
      nnsolve run problems/worksheet.yaml
      nnsolve run --json
      nnsolve run --format latex -o key.tex
    """
    chosen = resolve_format(output_format, as_json, fragment, output, force)
    from ..problem import load_problem
    from ..solution import solve

    solution = solve(load_problem(file))

    def document(digits):
        from ..render.document import solution_document

        return solution_document(solution, digits)

    def data():
        from ..render.json import solution_dict

        return solution_dict(solution)

    emit(chosen, digits, fragment, output, force, document, data)
