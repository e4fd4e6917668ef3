"""Errors a user can cause and fix. The CLI prints each as one line and exits with status 2."""

from __future__ import annotations

from typing import Optional


class NnsolveError(Exception):
    """A mistake in what the user gave nnsolve: where it is, what is wrong, how to fix it."""

    def __init__(
        self,
        message: str,
        *,
        file: Optional[str] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
        key: Optional[str] = None,
        fix: Optional[str] = None,
    ):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.fix = fix

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line, self.column) if p is not None)
        parts = [p for p in (where, self.key) if p]
        text = ": ".join(parts + [self.message])
        if self.fix:
            text += f"; {self.fix}"
        # one line, always: a message built from user text must not break it
        return " ".join(text.split())


class ProblemError(NnsolveError):
    """A problem file that cannot be read or does not describe a network nnsolve can solve."""


class SolveError(NnsolveError):
    """A problem that reads well but whose numbers overflow float64."""


def install_plot() -> str:
    """The command that installs matplotlib (the plot extra) for the nnsolve that runs: from a
    clone, its editable install with the extra (make plot, where it runs from the clone's
    .venv); installed from a package, pip with this Python."""
    import os
    import shlex
    import sys

    python = shlex.quote(sys.executable or "python3")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.isfile(os.path.join(root, "pyproject.toml")):  # installed: no clone beside it
        return f"{python} -m pip install 'nnsolve[plot]'"
    here = os.path.realpath(root) == os.path.realpath(os.getcwd())
    target = "." if here else root
    command = f"{python} -m pip install -e {shlex.quote(target + '[plot]')}"
    if os.path.realpath(sys.prefix) == os.path.realpath(os.path.join(root, ".venv")):
        return f"make{'' if here else ' -C ' + shlex.quote(root)} plot (or {command})"
    return command
