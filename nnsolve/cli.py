"""The command line: thin click commands that wire problem -> solution -> renderer.

Only click is imported at start-up; numpy, yaml and rich are imported by the commands that
use them, so `--help` and `--version` are instant and `--json` never loads rich.
Library errors (NnsolveError) become one line on stderr and exit status 2.
"""

from __future__ import annotations

import os
import sys

import click

from . import __version__
from .errors import NnsolveError

EXIT_OK, EXIT_FOUND, EXIT_USAGE = 0, 1, 2


def fail(message: str) -> "NoReturn":  # noqa: F821
    click.echo(f"nnsolve: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


class NnsolveGroup(click.Group):
    """Turns every mistake a user can make into one `nnsolve: error: ...` line and exit status 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        args = list(sys.argv[1:] if args is None else args)
        if not args:  # a bare `nnsolve` is a request for help, not a mistake
            args = ["--help"]
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as e:
            hint = f"; see '{e.ctx.command_path} --help'" if e.ctx is not None else ""
            fail(" ".join(e.format_message().split()).rstrip(".") + hint)
        except click.ClickException as e:
            fail(" ".join(e.format_message().split()))
        except NnsolveError as e:
            fail(str(e))
        except (click.Abort, KeyboardInterrupt):
            click.echo("nnsolve: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            # the reader stopped (nnsolve run | head): not an error; silence the final flush
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_OK)
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)


@click.group("nnsolve", cls=NnsolveGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="nnsolve", message="%(prog)s %(version)s")
def cli():
    """Solve neural-network worksheets step by step.

    A problem file (YAML) gives the input x, the label y, the weights W1, W2, ... (row 0 =
    bias weights), the activations, the loss and the learning rate. nnsolve computes the
    forward pass, the loss, every derivative by backpropagation and the updated weights.

    \b
    Examples:
      nnsolve run                          # the built-in worksheet
      nnsolve run problems/worksheet.yaml --json
      nnsolve schema solution              # the JSON Schema of `run --json`
    """


problem_argument = click.argument("file", required=False, type=click.Path(dir_okay=True, allow_dash=False))

FORMATS = ("text", "json", "markdown", "latex")


def output_options(schema_name: str):
    """The options every command that prints a solution shares: format, digits, -o/--force."""

    def decorate(command):
        options = (
            click.option(
                "--format", "output_format", type=click.Choice(FORMATS), default=None,
                help="text (tables, the default), json (for scripts), markdown (GitHub math) or latex (a document for pdflatex).",
            ),
            click.option("--json", "as_json", is_flag=True, help=f"Short for --format json: one JSON object, schema {schema_name}."),
            click.option(
                "--digits", type=click.IntRange(1, 17), default=8, show_default=True, metavar="N",
                help="Decimals shown in text, Markdown and LaTeX (display only; the math and JSON keep full precision).",
            ),
            click.option("--fragment", is_flag=True, help="With --format latex: the body only, to \\input into a document of your own."),
            click.option(
                "-o", "--output", type=click.Path(dir_okay=False), metavar="FILE",
                help="Write to FILE instead of stdout, atomically; an existing FILE is replaced only with --force.",
            ),
            click.option("--force", is_flag=True, help="Let -o replace an existing file."),
        )
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def resolve_format(output_format, as_json, fragment, output, force) -> str:
    if as_json and output_format not in (None, "json"):
        raise click.UsageError(f"--json and --format {output_format} ask for two formats; give one")
    chosen = "json" if as_json else (output_format or "text")
    if fragment and chosen != "latex":
        raise click.UsageError("--fragment is for --format latex")
    if force and not output:
        raise click.UsageError("--force is for -o FILE")
    return chosen


def emit(chosen: str, digits: int, fragment: bool, output, force: bool, document, data) -> None:
    """Write the solution in the chosen format: document() builds what people read, data() the JSON."""
    if chosen == "json":
        from .render import json as render_json

        text = render_json.dumps(data())
    elif chosen == "markdown":
        from .render import markdown

        text = markdown.write(document(digits))
    elif chosen == "latex":
        from .render import latex

        text = latex.write(document(digits), fragment)
    elif output:
        text = terminal_text(document(digits))
    else:
        from .render import terminal

        terminal.write(document(digits), make_console())
        return
    if output:
        from .files import write_text_atomic

        write_text_atomic(output, text, force)
        click.echo(f"nnsolve: wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def terminal_text(document) -> str:
    """The plain text of the terminal output, for a file."""
    import io

    from rich.console import Console

    from .render import terminal

    buffer = io.StringIO()
    terminal.write(document, Console(file=buffer, width=120, color_system=None, force_terminal=False))
    return buffer.getvalue()


@cli.command()
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
    from .problem import load_problem
    from .solution import solve

    solution = solve(load_problem(file))

    def document(digits):
        from .render.document import solution_document

        return solution_document(solution, digits)

    def data():
        from .render.json import solution_dict

        return solution_dict(solution)

    emit(chosen, digits, fragment, output, force, document, data)


@cli.command()
@click.argument("ref", required=False)
@problem_argument
@click.option("--all", "all_weights", is_flag=True, help="List every weight of the network: value, gradient, updated value.")
@output_options("nnsolve.grad/1, or nnsolve.grad-all/1 with --all")
def grad(ref, file, all_weights, output_format, as_json, digits, fragment, output, force):
    """The chain rule for the weight REF, factor by factor, in FILE.

    REF names a weight as W2[1,1]: layer 2, row 1 (row 0 is the bias row), column 1.
    W^2_{11}, W2_11 and w2[1][1] are read the same way. Without FILE, the built-in
    worksheet. Prints the path(s) by which the weight reaches the loss, the chain rule in
    symbols, each factor with its formula and numbers, the product, and the update.

    \b
    Examples:
      nnsolve grad 'W1[2,1]'
      nnsolve grad 'W2[1,1]' problems/two_outputs.yaml --json
      nnsolve grad --all problems/deep_tanh_relu.yaml
      nnsolve grad 'W1[2,1]' --format markdown -o key.md
    """
    if all_weights and ref is not None and file is None and not _looks_like_ref(ref):
        ref, file = None, ref  # `nnsolve grad --all FILE`
    if ref is None and not all_weights:
        raise click.UsageError("name a weight, such as 'W2[1,1]', or give --all")
    if ref is not None and all_weights:
        raise click.UsageError("give a weight or --all, not both")
    chosen = resolve_format(output_format, as_json, fragment, output, force)
    from . import chain
    from .problem import load_problem
    from .solution import solve

    solution = solve(load_problem(file))
    if all_weights:
        grads = [chain.gradient_of(solution, *w) for w in chain.all_weights(solution)]
    else:
        grads = [chain.weight_gradient(solution, ref)]

    def document(digits):
        from .render import document as doc

        if all_weights:
            return doc.grad_table_document(solution, grads, digits)
        return doc.grad_document(solution, grads[0], digits)

    def data():
        from .render import json as render_json

        return render_json.grad_all_dict(grads) if all_weights else render_json.grad_dict(grads[0])

    emit(chosen, digits, fragment, output, force, document, data)


def _looks_like_ref(text: str) -> bool:
    from .notation import parse_weight_ref

    try:
        parse_weight_ref(text)
    except ValueError:
        return False
    return True


SCHEMAS = ("solution", "problem", "grad", "grad-all")


@cli.command()
@click.argument("name", type=click.Choice(SCHEMAS))
def schema(name):
    """Print the JSON Schema (draft-07) for NAME.

    \b
    solution  the output of `nnsolve run --json`
    problem   problem files (point your editor's YAML support at it)
    grad      the output of `nnsolve grad REF --json`
    grad-all  the output of `nnsolve grad --all --json`
    """
    from importlib import resources

    text = resources.files("nnsolve").joinpath("schemas").joinpath(f"{name}.schema.json").read_text(encoding="utf-8")
    click.echo(text, nl=False)


def make_console():
    """A rich console on stdout: fixed width and no colour when piped, so output is reproducible."""
    from rich.console import Console

    if sys.stdout.isatty():
        return Console(highlight=False)
    return Console(file=sys.stdout, width=120, color_system=None, highlight=False, force_terminal=False)


def main(args=None, prog_name="nnsolve"):
    cli.main(args=args, prog_name=prog_name)
