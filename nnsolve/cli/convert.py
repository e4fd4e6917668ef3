"""`nnsolve convert`: a problem file rewritten in another course's convention."""

from __future__ import annotations

import click

from .common import problem_argument



def _convention(ctx, param, value):
    """--to, spelled as a problem file's convention: key may be (wx+b, 'W x + b', bias_row)."""
    from ..notation import convention_named

    found = convention_named(value) if value is not None else None
    if value is not None and found is None:
        raise click.BadParameter(f"unknown convention {value!r}; use bias-row, Wx+b or xW+b (any case, spaces or not)", ctx, param)
    return found


@click.command()
@problem_argument
@click.option("--to", "convention", callback=_convention, required=True, metavar="CONVENTION",
              help="bias-row (the bias as row 0 of W, the worksheet's), Wx+b (W is neurons x inputs, with b) or xW+b "
                   "(W is inputs x neurons, with b); spelled as in a problem file's convention: key (wx+b, 'W x + b').")
@click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write to FILE instead of stdout, atomically; an existing FILE is replaced only with --force.")
@click.option("--force", is_flag=True, help="Let -o replace an existing file.")
def convert(file, convention, output, force):
    """Rewrite FILE's weights in another convention: the same network, the same numbers.

    In Wx+b, W^l is n_l x n_{l-1} with a bias vector b^l (z = W a + b: Ng, Nielsen, PyTorch's
    nn.Linear); in xW+b, W^l is n_{l-1} x n_l (z = a W + b: CS231n, Keras); in bias-row, the
    biases are row 0 of W^l (the worksheet's). Converting there and back gives the same file
    back, as nnsolve writes it. Without FILE, the built-in worksheet.

    \b
    Examples:
      nnsolve convert problems/worksheet.yaml --to Wx+b
      nnsolve convert course.yaml --to bias-row -o worksheet-form.yaml
    """
    from dataclasses import replace

    from ..files import check_target, write_text_atomic
    from ..problem import load_problem
    from ..render.problem_file import problem_text

    if output:
        check_target(output, force)
    problem = load_problem(file)
    text = problem_text(replace(problem, convention=convention))
    if output:
        write_text_atomic(output, text, force)
        click.echo(f"nnsolve: wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
