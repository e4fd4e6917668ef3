"""`nnsolve draw`: the picture of the network, with every weight named and valued."""

from __future__ import annotations

import click

from .common import problem_argument

DRAW_FORMATS = ("text", "dot", "mermaid", "svg", "png")


@click.command()
@problem_argument
@click.option(
    "--format", "output_format", type=click.Choice(DRAW_FORMATS), default="text", show_default=True,
    help="text (for the terminal), dot (Graphviz), mermaid (renders on GitHub), svg or png (drawn with matplotlib).",
)
@click.option("--updated", is_flag=True, help="Draw the weights after one gradient-descent update, w − λ ∂ℓ/∂w.")
@click.option(
    "--color-by", type=click.Choice(("weight", "gradient")), default=None,
    help="Colour each edge by the sign of its weight or of ∂ℓ/∂w (red +, blue −), its width by the size; "
    "gradient also labels each edge with ∂ℓ/∂w.",
)
@click.option(
    "--digits", type=click.IntRange(1, 17), default=4, show_default=True, metavar="N",
    help="Decimals of the weights shown (display only).",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), metavar="FILE",
    help="Write to FILE instead of stdout, atomically; png needs it. An existing FILE is replaced only with --force.",
)
@click.option("--force", is_flag=True, help="Let -o replace an existing file.")
def draw(file, output_format, updated, color_by, digits, output, force):
    """Draw the network of FILE: layers, bias nodes (+1), neurons, named weights.

    FILE is a problem in YAML (see problems/); without it, the built-in worksheet.
    Layers go left to right; every edge carries its weight's name and value, as
    W1[2,1] = 1, in the problem's convention: in Wx+b and xW+b, names as the course
    indexes them, z and a, and each neuron's bias b1[j] drawn with it. Layers wider than 6 neurons are summarised: the first two, the last,
    and one node standing for the rest. text, dot, mermaid and svg print to stdout
    without -o; png needs -o FILE. svg and png need matplotlib: make plot in a clone, pip install 'nnsolve[plot]' elsewhere.

    \b
    Examples:
      nnsolve draw
      nnsolve draw --updated --color-by gradient
      nnsolve draw --format mermaid            # paste into a ```mermaid block
      nnsolve draw --format dot | dot -Tsvg -o network.svg
      nnsolve draw --format png -o network.png
    """
    if force and not output:
        raise click.UsageError("--force is for -o FILE")
    if output_format == "png" and not output:
        raise click.UsageError("--format png writes a binary image: give -o FILE")
    if output_format in ("svg", "png"):
        from ..render.picture import require_matplotlib

        require_matplotlib()  # before the work, so its absence is the one thing said
    if output:
        from ..files import check_target

        check_target(output, force)  # an existing FILE is refused before any work
    from ..problem import load_problem
    from ..render.diagram import network_diagram
    from ..solution import solve, solve_batch

    problem = load_problem(file)
    if updated and not problem.updates:
        from ..errors import NnsolveError

        raise NnsolveError("the problem has no learning rate, so no update to draw", file=problem.source, key="--updated",
                           fix="add learning_rate to the problem, or leave out --updated")
    solution = solve(problem) if problem.batch is None else solve_batch(problem).as_solution()  # a batch: its one update
    diagram = network_diagram(solution, updated=updated, color_by=color_by, digits=digits)
    if output_format == "text" and not output:
        from ..render import diagram_text
        from .common import colour_terminal, make_console

        if colour_terminal():
            diagram_text.write(diagram, make_console())
        else:
            click.echo(diagram_text.plain_text(diagram), nl=False)
        return
    data = _render(diagram, output_format)
    if output:
        from ..files import write_bytes_atomic

        write_bytes_atomic(output, data, force)
        click.echo(f"nnsolve: wrote {output}", err=True)
    else:
        click.echo(data.decode("utf-8"), nl=False)


def _render(diagram, output_format: str) -> bytes:
    """The drawing in a format, as the bytes of a file."""
    if output_format in ("svg", "png"):
        from ..render import picture

        return picture.render(diagram, output_format)
    if output_format == "dot":
        from ..render import dot

        text = dot.write(diagram)
    elif output_format == "mermaid":
        from ..render import mermaid

        text = mermaid.write(diagram)
    else:
        from ..render import diagram_text

        text = diagram_text.plain_text(diagram)
    return text.encode("utf-8")
