"""An answer sheet written by nnsolve: every quantity of a problem with its key value, in the
format `nnsolve check` reads (the keys of `nnsolve new`)."""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..quantities import Catalog
from ..solution import Solution
from .problem_file import number


def _value(values) -> str:
    values = np.asarray(values)
    if values.ndim == 0 or values.size == 1:
        return number(values.flat[0])
    if values.ndim == 1:
        return "[" + ", ".join(map(number, values.tolist())) + "]"
    return "[" + ", ".join("[" + ", ".join(map(number, row)) + "]" for row in values.tolist()) + "]"


def key_sheet(solution: Solution, problem_name: Optional[str], comments=(), catalog: Optional[Catalog] = None) -> str:
    """Every name of the blank sheet with the exact key value, naming its problem file (catalog:
    the problem's, when at hand for many variants of one shape)."""
    catalog = catalog or Catalog(solution.problem)
    lines = [f"# {c}".rstrip() for c in comments]
    if problem_name:
        lines.append(f"problem: {problem_name}")
    lines.append("student: key")
    for name in catalog.names():
        lines.append(f"{name}: {_value(catalog.value(solution, catalog.by_name[name]))}")
    return "\n".join(lines) + "\n"
