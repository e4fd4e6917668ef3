"""`nnsolve run`: every step of one solve."""

from __future__ import annotations

import click

from .common import emit, given_option, make_given, make_rounding, output_options, problem_argument, resolve_format, rounding_options


@click.command()
@problem_argument
@output_options("nnsolve.solution/1")
@rounding_options
@given_option
def run(file, output_format, as_json, digits, fragment, output, force, round_decimals, round_sig, round_mode, given):
    """Solve FILE: forward pass, loss, backpropagation and update.

    FILE is a problem in YAML (see problems/); without it, the built-in worksheet.
    The output follows the worksheet's questions in order, in its notation.

    \b
    Examples:
      nnsolve run problems/worksheet.yaml
      nnsolve run --json
      nnsolve run --format latex -o key.tex
      nnsolve run --round 3                # as worked by hand, to 3 decimals
    """
    chosen = resolve_format(output_format, as_json, fragment, output, force)
    rounding = make_rounding(round_decimals, round_sig, round_mode)
    from ..problem import load_problem
    from ..solution import solve

    problem = load_problem(file)
    solution = solve(problem, rounding, make_given(problem, given))

    def document(digits):
        from ..render.document import solution_document

        return solution_document(solution, digits)

    def data():
        from ..render.json import solution_dict

        return solution_dict(solution)

    emit(chosen, digits, fragment, output, force, document, data)
