"""Answer sheets written by nnsolve: every quantity of a problem with its key value, in the
format `nnsolve check` reads (the keys of `nnsolve new`)."""

from __future__ import annotations

from typing import Iterator, Optional, Sequence

import numpy as np

from ..quantities import Catalog, base_value
from ..solution import Solution
from .problem_file import numbers


def key_sheets(solutions: Sequence[Solution], problem_names: Sequence[Optional[str]], comments: Sequence[Sequence[str]] = (), catalog: Optional[Catalog] = None) -> Iterator[str]:
    """For each solution (all of one shape: a class's variants), every name of the blank sheet
    with the exact key value, naming its problem file; one sheet at a time, as they are asked
    for. Each quantity is read for every solution at once."""
    catalog = catalog or Catalog(solutions[0].problem)
    columns, stacked = [], {}
    for name in catalog.names():
        q = catalog.by_name[name]
        if q.base not in stacked:
            stacked[q.base] = np.array([base_value(s, q.base) for s in solutions], dtype=np.float64)
        columns.append((f"{name}: ", _texts(stacked[q.base][(slice(None),) + q.index])))
    for k, problem_name in enumerate(problem_names):
        lines = [f"# {c}".rstrip() for c in (comments[k] if comments else ())]
        if problem_name:
            lines.append(f"problem: {problem_name}")
        lines.append("student: key")
        lines.extend(name + texts[k] for name, texts in columns)
        yield "\n".join(lines) + "\n"


def _texts(values: np.ndarray) -> list[str]:
    """Each values[k] (a number, a vector or a matrix) as a sheet writes it, with the numbers made
    at once: a single value (of shape (), (1,) or (1, 1)) as a number, else a list or a list of rows."""
    count, shape = values.shape[0], values.shape[1:]
    flat = numbers(values)
    if values.size == count:  # one number each (of shape (), (1,) or (1, 1))
        return flat
    n = shape[-1]
    rows = ["[" + ", ".join(flat[i:i + n]) + "]" for i in range(0, len(flat), n)]
    if len(shape) == 1:
        return rows
    r = shape[0]
    return ["[" + ", ".join(rows[i:i + r]) + "]" for i in range(0, len(rows), r)]


def key_sheet(solution: Solution, problem_name: Optional[str], comments=(), catalog: Optional[Catalog] = None) -> str:
    """key_sheets() of one solution."""
    return next(key_sheets([solution], [problem_name], [comments], catalog))
