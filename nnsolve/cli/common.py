"""What the commands share: the problem argument, the output options, writing the output."""

from __future__ import annotations

import sys

import click

EXIT_OK, EXIT_FOUND, EXIT_USAGE = 0, 1, 2

problem_argument = click.argument("file", required=False, type=click.Path(dir_okay=True, allow_dash=False))

from ..render.formats import FORMATS  # noqa: E402 (what every result can be written as)


def output_options(schema_name: str):
    """The options every command that prints a solution shares: format, digits, -o/--force."""

    def decorate(command):
        options = (
            click.option(
                "--format", "output_format", type=click.Choice(FORMATS), default=None,
                help="text (tables, the default), json (for scripts), markdown (GitHub math), latex (a document for pdflatex) or html (one self-contained page: MathML, the network as SVG).",
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


def rounding_options(command):
    """--round N / --sig N with --round-mode: hand-rounded working, as with a calculator."""
    options = (
        click.option(
            "--round", "round_decimals", type=click.IntRange(0, 15), default=None, metavar="N",
            help="Hand-rounded working: round every intermediate to N decimals before the next step uses it.",
        ),
        click.option(
            "--sig", "round_sig", type=click.IntRange(1, 15), default=None, metavar="N",
            help="Like --round, but to N significant figures.",
        ),
        click.option(
            "--round-mode", type=click.Choice(("half-up", "truncate")), default=None,
            help="How --round and --sig round: half-up (half away from zero, the default) or truncate.",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


def given_option(command):
    """--given NAME=VALUE: the student's own numbers, and everything that follows from them."""
    return click.option(
        "--given", "given", multiple=True, metavar="NAME=VALUE",
        help="Use your own value for a quantity (alpha, beta, y_hat, dl/dy_hat, dy_hat/dalpha, delta or dl/dW, "
        "whole or one element, as in an answer sheet) and compute everything after it from it. Repeatable.",
    )(command)


def make_given(problem, given) -> "dict | None":
    """--given values as solve()'s given (network names -> arrays, NaN where not given), or None."""
    if not given:
        return None
    from ..grading import overrides
    from ..errors import NnsolveError
    from ..quantities import Catalog
    from ..sheet import SHEET_KEYS, bind, parse_raw_sheet

    catalog = Catalog(problem)
    answers = []
    for text in given:
        name, sep, value = text.partition("=")
        if not sep or not name.strip() or not value.strip() or "\n" in text or "\r" in text:
            raise click.UsageError(f"--given {text!r}: write NAME=VALUE, such as beta1=[0.5,0.999]")
        try:
            if name.strip() in SHEET_KEYS:  # a sheet's problem: and student: are not values
                raise NnsolveError("is not a quantity", fix="give alpha, beta, y_hat, dl/dy_hat, dy_hat/dalpha, dbeta/dalpha, delta or dl/dW")
            found = bind(parse_raw_sheet(f"{name.strip()}: {value.strip()}\n", "--given"), catalog).answers
        except NnsolveError as e:
            raise click.UsageError(f"--given {text!r}: {e.message}" + (f"; {e.fix}" if e.fix else "")) from None
        for a in found:
            q = a.quantity
            if not q.overridable:
                raise click.UsageError(
                    f"--given {q.name}: nothing after it is computed from it; give alpha, beta, y_hat, "
                    "dl/dy_hat, dy_hat/dalpha, dbeta/dalpha, delta or dl/dW"
                )
            twice = next((t for t, b in answers if b.quantity.base == q.base and (b.quantity.index == q.index or () in (b.quantity.index, q.index))), None)
            if twice is not None:
                raise click.UsageError(f"--given {name.strip()}: --given {twice} gives it already; give each value once")
            answers.append((name.strip(), a))
    return overrides(problem, ((a.quantity, a.value) for _, a in answers))


def make_rounding(round_decimals, round_sig, round_mode):
    """The Rounding the options ask for, or None for exact working."""
    if round_decimals is not None and round_sig is not None:
        raise click.UsageError("--round and --sig both set the rounding; give one")
    if round_decimals is None and round_sig is None:
        if round_mode is not None:
            raise click.UsageError("--round-mode needs --round N or --sig N")
        return None
    from ..rounding import Rounding

    if round_sig is not None:
        return Rounding(round_sig, round_mode or "half-up", significant=True)
    return Rounding(round_decimals, round_mode or "half-up")


def resolve_format(output_format, as_json, fragment, output, force) -> str:
    if as_json and output_format not in (None, "json"):
        raise click.UsageError(f"--json and --format {output_format} ask for two formats; give one")
    chosen = "json" if as_json else (output_format or "text")
    if fragment and chosen != "latex":
        raise click.UsageError("--fragment is for --format latex")
    if force and not output:
        raise click.UsageError("--force is for -o FILE")
    return chosen


def emit(chosen: str, digits: int, fragment: bool, output, force: bool, document, data, diagram=None) -> None:
    """Write the solution in the chosen format: document(digits) builds what people read, data()
    the JSON, diagram() the network as SVG for html (render/formats.py writes each)."""
    if chosen == "text" and not output:
        show(document(digits))
        return
    from ..render.formats import written

    text = written(chosen, lambda: document(digits), data, fragment, diagram)
    if output:
        from ..files import write_text_atomic

        write_text_atomic(output, text, force)
        click.echo(f"nnsolve: wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def colour_terminal() -> bool:
    """stdout is a terminal that takes colour: rich's tables; anything else gets plain text."""
    import os

    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def show(document) -> None:
    """A document for people: rich tables on a colour terminal, plain text everywhere else."""
    if colour_terminal():
        from ..render import terminal

        terminal.write(document, make_console())
    else:
        from ..render import plain

        click.echo(plain.text(document, terminal_width()), nl=False)


def terminal_width() -> "int | None":
    """The columns of the terminal stdout is (COLUMNS if set), to wrap plain text to (NO_COLOR);
    None for a pipe or a file, whose text is never wrapped."""
    if not sys.stdout.isatty():
        return None
    import shutil

    return shutil.get_terminal_size().columns


def make_console():
    """A rich console on the terminal stdout is. nnsolve's text is never console markup or emoji
    codes: a [b] or :x: in a title is printed as written, and rich never loads its emoji table."""
    from rich.console import Console

    return Console(highlight=False, markup=False, emoji=False)
