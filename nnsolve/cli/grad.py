"""`nnsolve grad`: the chain rule for one weight, or every weight's gradient."""

from __future__ import annotations

import os

import click

from .common import emit, given_option, make_given, make_rounding, output_options, resolve_format, rounding_options


@click.command()
@click.argument("args", nargs=-1, metavar="[REF]... [FILE]")
@click.option("--all", "all_weights", is_flag=True, help="List every weight of the network: value, gradient, updated value.")
@output_options("nnsolve.grad/1 (one line per weight for several), or nnsolve.grad-all/1 with --all")
@rounding_options
@given_option
def grad(args, all_weights, output_format, as_json, digits, fragment, output, force, round_decimals, round_sig, round_mode, given):
    """The chain rule for each weight REF, factor by factor, in FILE.

    REF names a weight as W2[1,1]: layer 2, row 1 (row 0 is the bias row), column 1.
    W^2_{11}, W2_11 and w2[1][1] are read the same way. Give one weight or several, before
    or after FILE. Without FILE, the built-in worksheet. Prints the path(s) by which the
    weight reaches the loss, the chain rule in symbols, each factor with its formula and
    numbers, the product, and the update.

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
    solution = solve(problem, rounding, make_given(problem, given))
    if all_weights:
        grads = [chain.gradient_of(solution, *w) for w in chain.all_weights(solution)]
    else:
        grads = [chain.weight_gradient(solution, ref) for ref in refs]

    def document(digits):
        from ..render import document as doc

        if all_weights:
            return doc.grad_table_document(solution, grads, digits)
        documents = [doc.grad_document(solution, g, digits) for g in grads]
        return doc.Document(documents[0].title, tuple(b for d in documents for b in d.blocks))

    def data():
        from ..render import json as render_json

        return render_json.grad_all_dict(grads, problem) if all_weights else render_json.grad_dict(grads[0], problem)

    if chosen == "json" and len(grads) > 1 and not all_weights:  # several weights: one JSON line each
        from ..render import json as render_json

        text = "".join(render_json.dumps_line(render_json.grad_dict(g, problem)) for g in grads)
        if output:
            from ..files import write_text_atomic

            write_text_atomic(output, text, force)
            click.echo(f"nnsolve: wrote {output}", err=True)
        else:
            click.echo(text, nl=False)
        return
    emit(chosen, digits, fragment, output, force, document, data)


def _refs_and_file(args) -> tuple[list[str], "str | None"]:
    """The weights and the problem file among the arguments, in either order. An argument that
    is a file is the file (a weight name is never taken for a file that exists, nor a file for
    a weight: when a file's name could be a weight's, stderr says which it was taken for);
    one that is not is a weight, unless it is written as a path (a / or a .yaml)."""
    import os

    refs, files = [], []
    for arg in args:
        if os.path.exists(arg):
            files.append(arg)
            if _looks_like_ref(arg):
                click.echo(f"nnsolve: took {arg!r} for the problem file {arg}, not a weight (a file of that name is here; "
                           f"write ./{arg} for the file, or rename it, to name the weight)", err=True)
        elif _looks_like_ref(arg) or not _looks_like_path(arg):
            refs.append(arg)
        else:
            files.append(arg)
    if len(files) > 1:
        raise click.UsageError(f"{files[0]} and {files[1]} are both files; give one problem file (and the weights)")
    return refs, (files[0] if files else None)


def _looks_like_path(text: str) -> bool:
    return os.sep in text or "/" in text or text.lower().endswith((".yaml", ".yml", ".json"))


def _looks_like_ref(text: str) -> bool:
    from ..notation import CONVENTIONS, parse_weight_in

    for convention in CONVENTIONS:
        try:
            parse_weight_in(convention, text)
        except ValueError:
            continue
        return True
    return False
