"""`nnsolve grad`: the chain rule for one weight, or every weight's gradient."""

from __future__ import annotations

import click

from .common import emit, given_option, make_given, make_rounding, output_options, problem_argument, resolve_format, rounding_options


@click.command()
@click.argument("ref", required=False)
@problem_argument
@click.option("--all", "all_weights", is_flag=True, help="List every weight of the network: value, gradient, updated value.")
@output_options("nnsolve.grad/1, or nnsolve.grad-all/1 with --all; nnsolve.grad-batch/1 for a batch problem")
@rounding_options
@given_option
def grad(ref, file, all_weights, output_format, as_json, digits, fragment, output, force, round_decimals, round_sig, round_mode, given):
    """The chain rule for the weight REF, factor by factor, in FILE.

    REF names a weight as W2[1,1]: layer 2, row 1 (row 0 is the bias row), column 1.
    W^2_{11}, W2_11 and w2[1][1] are read the same way. Without FILE, the built-in
    worksheet. Prints the path(s) by which the weight reaches the loss, the chain rule in
    symbols, each factor with its formula and numbers, the product, and the update. For a
    problem with `batch: mean` (or sum): the derivative in each example, then combined.

    \b
    Examples:
      nnsolve grad 'W1[2,1]'
      nnsolve grad 'W2[1,1]' problems/two_outputs.yaml --json
      nnsolve grad --all problems/deep_tanh_relu.yaml
      nnsolve grad 'W1[2,1]' --format markdown -o key.md
      nnsolve grad 'W1[2,1]' --round 4     # each factor rounded, as by hand
    """
    if all_weights and ref is not None and file is None and not _looks_like_ref(ref):
        ref, file = None, ref  # `nnsolve grad --all FILE`
    if ref is None and not all_weights:
        raise click.UsageError("name a weight, such as 'W2[1,1]', or give --all")
    if ref is not None and all_weights:
        raise click.UsageError("give a weight or --all, not both")
    chosen = resolve_format(output_format, as_json, fragment, output, force)
    rounding = make_rounding(round_decimals, round_sig, round_mode)
    from .. import chain
    from ..problem import load_problem
    from ..solution import solve

    problem = load_problem(file)
    if problem.batch is not None:  # the derivative in each example, then combined
        if given:
            raise click.UsageError("--given works on one example; a batch problem has several (drop --given, or give one x and y)")
        _batch(problem, ref, all_weights, rounding, chosen, digits, fragment, output, force)
        return
    solution = solve(problem, rounding, make_given(problem, given))
    if all_weights:
        grads = [chain.gradient_of(solution, *w) for w in chain.all_weights(solution)]
    else:
        grads = [chain.weight_gradient(solution, ref)]

    def document(digits):
        from ..render import document as doc

        if all_weights:
            return doc.grad_table_document(solution, grads, digits)
        return doc.grad_document(solution, grads[0], digits)

    def data():
        from ..render import json as render_json

        return render_json.grad_all_dict(grads, problem) if all_weights else render_json.grad_dict(grads[0], problem)

    emit(chosen, digits, fragment, output, force, document, data)


def _batch(problem, ref, all_weights, rounding, chosen, digits, fragment, output, force) -> None:
    """grad on a batch problem: the weight's derivative in each example, their mean (or sum)
    and the one update; with --all, every weight's."""
    from .. import chain
    from ..solution import solve_batch

    batch = solve_batch(problem, rounding)
    grads = None
    if not all_weights:
        layer, i, j = chain.resolve_ref(batch.solutions[0], ref)
        grads = [chain.gradient_of(s, layer, i, j) for s in batch.solutions]

    def document(digits):
        from ..render import batch as render_batch

        if all_weights:
            return render_batch.batch_grad_table_document(batch, digits)
        return render_batch.batch_grad_document(batch, grads, digits)

    def data():
        from ..render import json as render_json

        return render_json.grad_all_batch_dict(batch) if all_weights else render_json.grad_batch_dict(batch, grads)

    emit(chosen, digits, fragment, output, force, document, data)


def _looks_like_ref(text: str) -> bool:
    from ..notation import parse_weight_ref

    try:
        parse_weight_ref(text)
    except ValueError:
        return False
    return True
