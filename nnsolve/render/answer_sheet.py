"""Answer sheets written by nnsolve: every quantity of a problem with its key value, in the
format `nnsolve check` reads (the keys of `nnsolve new`)."""

from __future__ import annotations

from typing import Iterator, Optional, Sequence

import numpy as np

from ..quantities import Catalog, base_value
from ..solution import Solution
from .problem_file import number


def _text(value) -> str:
    """A value as tolist() gives it (a float, a list, a list of rows), written as a sheet does:
    a single number for a single value."""
    if not isinstance(value, list):
        return number(value)
    if not isinstance(value[0], list):
        return number(value[0]) if len(value) == 1 else "[" + ", ".join(map(number, value)) + "]"
    if len(value) == 1 and len(value[0]) == 1:
        return number(value[0][0])
    return "[" + ", ".join("[" + ", ".join(map(number, row)) + "]" for row in value) + "]"


def key_sheets(solutions: Sequence[Solution], problem_names: Sequence[Optional[str]], comments: Sequence[Sequence[str]] = (), catalog: Optional[Catalog] = None) -> Iterator[str]:
    """For each solution (all of one shape: a class's variants), every name of the blank sheet
    with the exact key value, naming its problem file; one sheet at a time, as they are asked
    for. Each quantity is read for every solution at once."""
    catalog = catalog or Catalog(solutions[0].problem)
    columns, stacked = [], {}
    for name in catalog.names():
        q = catalog.by_name[name]
        if q.base not in stacked:
            stacked[q.base] = np.stack([np.asarray(base_value(s, q.base), dtype=np.float64) for s in solutions])
        columns.append((f"{name}: ", stacked[q.base][(slice(None),) + q.index].tolist()))
    for k, problem_name in enumerate(problem_names):
        lines = [f"# {c}".rstrip() for c in (comments[k] if comments else ())]
        if problem_name:
            lines.append(f"problem: {problem_name}")
        lines.append("student: key")
        lines.extend(name + _text(values[k]) for name, values in columns)
        yield "\n".join(lines) + "\n"


def key_sheet(solution: Solution, problem_name: Optional[str], comments=(), catalog: Optional[Catalog] = None) -> str:
    """key_sheets() of one solution."""
    return next(key_sheets([solution], [problem_name], [comments], catalog))
