"""`nnsolve grad`: the chain rule for one weight or several, or every weight's gradient."""

from __future__ import annotations

import os

import click

from .common import emit, given_option, make_given, make_rounding, output_options, resolve_format, rounding_options


@click.command()
@click.argument("args", nargs=-1, metavar="[REF]... [FILE]")
@click.option("--all", "all_weights", is_flag=True, help="List every weight of the network: value, gradient, updated value.")
@output_options("nnsolve.grad/1 (one line per weight for several), or nnsolve.grad-all/1 with --all; nnsolve.grad-batch/1 for a batch problem")
@rounding_options
@given_option
def grad(args, all_weights, output_format, as_json, digits, fragment, output, force, round_decimals, round_sig, round_mode, given):
    """The chain rule for each weight REF, factor by factor, in FILE.

    REF names a weight as W2[1,1]: layer 2, row 1 (row 0 is the bias row), column 1.
    W^2_{11}, W2_11 and w2[1][1] are read the same way. In a problem written Wx+b, REF is
    W1[j,i] (into neuron j from input i, both from 1) or the bias b1[j]; in xW+b, W1[i,j]
    (from input i into neuron j) or b1[j]. Give one weight or several, before
    or after FILE. Without FILE, the built-in worksheet. Prints the path(s) by which the
    weight reaches the loss, the chain rule in symbols, each factor with its formula and
    numbers, the product, and the update. For a problem with `batch: mean` (or sum): the
    derivative in each example, then combined.

    \b
    Examples:
      nnsolve grad 'W1[2,1]'
      nnsolve grad 'W2[1,1]' problems/two_outputs.yaml --json
      nnsolve grad problems/two_outputs.yaml 'W2[1,1]' 'W1[2,1]'
      nnsolve grad --all problems/deep_tanh_relu.yaml
      nnsolve grad 'W1[2,1]' --format markdown -o key.md
      nnsolve grad 'W1[2,1]' --round 4     # each factor rounded, as by hand
    """
    refs, file = _refs_and_file(args)
    if not refs and not all_weights:
        raise click.UsageError("name a weight, such as 'W2[1,1]', or give --all")
    if refs and all_weights:
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
        _batch(problem, refs, all_weights, rounding, chosen, digits, fragment, output, force)
        return
    solution = solve(problem, rounding, make_given(problem, given))
    if all_weights:
        grads = [chain.gradient_of(solution, *w) for w in chain.all_weights(solution)]
    else:
        grads = [chain.weight_gradient(solution, ref) for ref in refs]

    def document(digits):
        from ..render import document as doc

        if all_weights:
            return doc.grad_table_document(solution, grads, digits)
        return _joined([doc.grad_document(solution, g, digits) for g in grads])

    def data():
        from ..render import json as render_json

        return render_json.grad_all_dict(grads, problem) if all_weights else render_json.grad_dict(grads[0], problem)

    if chosen == "json" and len(grads) > 1 and not all_weights:  # several weights: one JSON line each
        from ..render import json as render_json

        _json_lines([render_json.grad_dict(g, problem) for g in grads], output, force)
        return
    emit(chosen, digits, fragment, output, force, document, data)


def _batch(problem, refs, all_weights, rounding, chosen, digits, fragment, output, force) -> None:
    """grad on a batch problem: each weight's derivative in each example, their mean (or sum)
    and the one update; with --all, every weight's."""
    from .. import chain
    from ..solution import solve_batch

    batch = solve_batch(problem, rounding)
    per_weight = []  # for each weight named, its gradient in each example
    if not all_weights:
        for ref in refs:
            layer, i, j = chain.resolve_ref(batch.solutions[0], ref)
            per_weight.append([chain.gradient_of(s, layer, i, j) for s in batch.solutions])

    def document(digits):
        from ..render import batch as render_batch

        if all_weights:
            return render_batch.batch_grad_table_document(batch, digits)
        return _joined([render_batch.batch_grad_document(batch, grads, digits) for grads in per_weight])

    def data():
        from ..render import json as render_json

        return render_json.grad_all_batch_dict(batch) if all_weights else render_json.grad_batch_dict(batch, per_weight[0])

    if chosen == "json" and len(per_weight) > 1:  # several weights: one JSON line each
        from ..render import json as render_json

        _json_lines([render_json.grad_batch_dict(batch, grads) for grads in per_weight], output, force)
        return
    emit(chosen, digits, fragment, output, force, document, data)


def _joined(documents):
    """Several weights' documents as one: the title once, then each weight's blocks in turn."""
    from ..render.document import Document

    return Document(documents[0].title, tuple(b for d in documents for b in d.blocks))


def _json_lines(records, output, force: bool) -> None:
    """One JSON object a line (JSON Lines), to stdout or atomically to -o FILE."""
    from ..render.json import dumps_line

    text = "".join(dumps_line(r) for r in records)
    if output:
        from ..files import write_text_atomic

        write_text_atomic(output, text, force)
        click.echo(f"nnsolve: wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def _refs_and_file(args) -> tuple[list[str], "str | None"]:
    """The weights and the problem file among the arguments, in either order. An argument that
    is a file is the file (a weight name is never taken for a file that exists, nor a file for
    a weight: when a file's name could be a weight's, stderr says which it was taken for).
    One that is not a file is a weight, unless it is written as a path (a / or a .yaml) and not
    as a weight's or a layer's name (dL/db1, dl/dW2 are names): then it is the problem file
    when no other argument is one, and otherwise a name (a .yaml one: no such file)."""
    from ..notation import names_weight

    refs, files, paths = [], [], []
    for arg in args:
        if os.path.exists(arg):
            files.append(arg)
            if names_weight(arg):
                click.echo(f"nnsolve: took {arg!r} for the problem file {arg}, not a weight (a file of that name is here; "
                           f"write ./{arg} for the file, or rename it, to name the weight)", err=True)
        elif names_weight(arg) or not _looks_like_path(arg):
            refs.append(arg)
        else:
            paths.append(arg)  # written as a path, but no file is there
    if len(files) > 1:
        raise click.UsageError(f"{files[0]} and {files[1]} are both files; give one problem file (and the weights)")
    if not files and paths:
        files.append(paths.pop(0))  # the problem file, which load_problem finds missing
    for path in paths:
        if path.lower().endswith(_FILE_ENDINGS):
            raise click.UsageError(f"there is no file {path}, and {files[0]} is the problem file; give one problem file (and the weights)")
        refs.append(path)
    return refs, (files[0] if files else None)


_FILE_ENDINGS = (".yaml", ".yml", ".json")


def _looks_like_path(text: str) -> bool:
    return os.sep in text or "/" in text or text.lower().endswith(_FILE_ENDINGS)
