"""`nnsolve run`: every step of one solve, or of SGD over a problem's examples."""

from __future__ import annotations

import click

from .common import emit, given_option, make_given, make_rounding, output_options, problem_argument, resolve_format, rounding_options


@click.command()
@problem_argument
@output_options("nnsolve.solution/1; nnsolve.steps/1 for several SGD steps; nnsolve.batch/1 for a batch")
@rounding_options
@given_option
@click.option("--epochs", type=click.IntRange(1, 1000), default=1, show_default=True, metavar="N", help="Repeat the pass over the problem's examples N times, one SGD step per example.")
def run(file, output_format, as_json, digits, fragment, output, force, round_decimals, round_sig, round_mode, given, epochs):
    """Solve FILE: forward pass, loss, backpropagation and update.

    FILE is a problem in YAML (see problems/); without it, the built-in worksheet.
    The output follows the worksheet's questions in order, in its notation. A problem with
    `examples:` (or --epochs above 1) is worked as SGD step by step: one update per example,
    in order, each step with its whole working and the weights it leaves for the next; with
    `batch: mean` (or sum) too, as one update from the mean (or sum) of the examples' gradients,
    each example worked from the same weights.

    \b
    Examples:
      nnsolve run problems/worksheet.yaml
      nnsolve run --json
      nnsolve run --format latex -o key.tex
      nnsolve run --round 3                # as worked by hand, to 3 decimals
      nnsolve run problems/sgd_steps.yaml --epochs 2
      nnsolve run problems/batch_mean.yaml   # one update from 3 examples
    """
    chosen = resolve_format(output_format, as_json, fragment, output, force)
    rounding = make_rounding(round_decimals, round_sig, round_mode)
    from ..problem import load_problem
    from ..solution import solve, solve_steps

    problem = load_problem(file)
    if problem.batch is not None:  # one update from the mean (or sum) of the examples' gradients
        if given:
            raise click.UsageError("--given works on one example; a batch problem has several (drop --given, or give one x and y)")
        if epochs > 1:
            raise click.UsageError("--epochs repeats SGD steps; a batch problem makes one update from all its examples (drop --epochs, or remove 'batch:')")
        from ..solution import solve_batch

        batch = solve_batch(problem, rounding)

        def document(digits):
            from ..render.batch import batch_document

            return batch_document(batch, digits)

        def data():
            from ..render.json import batch_dict

            return batch_dict(batch)

        emit(chosen, digits, fragment, output, force, document, data)
        return
    if problem.examples or epochs > 1:
        if given:
            raise click.UsageError("--given works on one step; drop --epochs, or give a problem with one x and y")
        steps = solve_steps(problem, epochs, rounding)

        def document(digits):
            from ..render.document import steps_document

            return steps_document(problem, steps, digits)

        def data():
            from ..render.json import steps_dict

            return steps_dict(problem, steps)

        emit(chosen, digits, fragment, output, force, document, data)
        return

    solution = solve(problem, rounding, make_given(problem, given))

    def document(digits):
        from ..render.document import solution_document

        return solution_document(solution, digits)

    def data():
        from ..render.json import solution_dict

        return solution_dict(solution)

    def diagram():
        from ..render.diagram import network_diagram
        from ..render.svg import svg

        return svg(network_diagram(solution))

    emit(chosen, digits, fragment, output, force, document, data, diagram)
