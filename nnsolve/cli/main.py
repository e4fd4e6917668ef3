"""The `nnsolve` group: every command, and one way of reporting a user's mistakes."""

from __future__ import annotations

import os
import sys

import click

from .. import __version__
from ..errors import NnsolveError
from .common import EXIT_OK, EXIT_USAGE

# name -> module: a command's module is imported only when that command runs (or for --help),
# so `nnsolve run` does not pay for building the options of every other command
COMMANDS = {
    "run": "run",
    "grad": "grad",
    "check": "check",
    "draw": "draw",
    "train": "train",
    "new": "new",
    "tutor": "tutor",
    "convert": "convert",
    "schema": "schema",
}


def fail(message: str) -> "NoReturn":  # noqa: F821
    click.echo(f"nnsolve: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _utf8_streams() -> None:
    """stdout and stderr in UTF-8 whatever the locale (LC_ALL=C, PYTHONIOENCODING=latin-1): the
    same bytes everywhere, and never a UnicodeEncodeError for a β."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(encoding="utf-8")
            except (ValueError, OSError):  # a stream that cannot change: leave it
                pass


class NnsolveGroup(click.Group):
    """Turns every mistake a user can make into one `nnsolve: error: ...` line and exit status 2."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        import importlib

        return getattr(importlib.import_module(f".{COMMANDS[name]}", __package__), name)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        args = list(sys.argv[1:] if args is None else args)
        _utf8_streams()
        if not args:  # a bare `nnsolve` is a request for help, not a mistake
            args = ["--help"]
        nul = next((a for a in args if "\0" in a), None)
        if nul is not None:  # no shell passes one, but a program may; no file name can hold it
            fail(f"{nul[:40]!r}: an argument holds a NUL character, which no file name or value can hold")
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


def main(args=None, prog_name="nnsolve"):
    cli.main(args=args, prog_name=prog_name)
