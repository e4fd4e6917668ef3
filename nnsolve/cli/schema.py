"""`nnsolve schema`: the JSON Schemas nnsolve ships."""

from __future__ import annotations

import click

SCHEMAS = ("solution", "steps", "batch", "problem", "grad", "grad-all", "grad-batch", "check", "train")


@click.command()
@click.argument("name", type=click.Choice(SCHEMAS))
def schema(name):
    """Print the JSON Schema (draft-07) for NAME.

    \b
    solution  the output of `nnsolve run --json`
    steps     the output of `nnsolve run --json` for SGD over several examples
    batch     the output of `nnsolve run --json` for one update from a batch (batch: mean|sum)
    problem   problem files (point your editor's YAML support at it)
    grad      the output of `nnsolve grad REF --json`
    grad-all  the output of `nnsolve grad --all --json`
    grad-batch  the output of `nnsolve grad REF --json` for a batch problem
    check     one line of `nnsolve check --json` (JSON Lines, one per sheet)
    train     one line of `nnsolve train --json` (JSON Lines, one per epoch)
    """
    from importlib import resources

    text = resources.files("nnsolve").joinpath("schemas").joinpath(f"{name}.schema.json").read_text(encoding="utf-8")
    click.echo(text, nl=False)
