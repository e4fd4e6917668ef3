"""Records (nnsolve/record.py) behave as the frozen dataclasses they replace, and each class's
hand-written __init__ takes exactly its fields, in order, with the defaults its body gives."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import nnsolve.chain  # noqa: F401  (the modules whose records are checked)
import nnsolve.network  # noqa: F401
import nnsolve.problem  # noqa: F401
import nnsolve.render.document  # noqa: F401
import nnsolve.solution  # noqa: F401
from nnsolve.problem import load_problem
from nnsolve.record import FrozenInstanceError, Record
from nnsolve.render.document import Heading, Math, Table
from nnsolve.solution import solve

# a field whose default is made fresh for each record (None in the signature stands for it)
FRESH_DEFAULTS = {("Solution", "computed")}


def records() -> list[type]:
    found, todo = [], list(Record.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_module_of_run_has_its_records():
    names = {cls.__name__ for cls in records()}
    assert {"Activation", "Loss", "Forward", "Backward", "Problem", "LayerSolution", "Solution", "Step",
            "Factor", "WeightGradient", "Math", "Heading", "Para", "Equations", "Matrix", "Table", "Document"} <= names


@pytest.mark.parametrize("cls", records(), ids=lambda c: c.__name__)
def test_init_takes_the_fields_in_order_with_their_defaults(cls):
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    assert tuple(p.name for p in params) == cls._fields
    for p in params:
        assert p.kind is p.POSITIONAL_OR_KEYWORD
        if (cls.__name__, p.name) in FRESH_DEFAULTS:
            assert p.default is None
        elif p.name in cls.__dict__:  # a default in the class body
            assert p.default is cls.__dict__[p.name] or p.default == cls.__dict__[p.name], p.name
        else:
            assert p.default is p.empty, p.name
    assert cls.__doc__, "a record says what it holds"


@pytest.mark.parametrize("cls", records(), ids=lambda c: c.__name__)
def test_init_sets_every_field(cls):
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    values = {p.name: object() for p in params}
    record = cls(**values)
    assert {name: getattr(record, name) for name in cls._fields} == values
    assert set(vars(record)) == set(cls._fields)


def test_frozen_equal_hashable_printable_and_replaceable():
    h = Heading(("Forward pass",), 1)
    with pytest.raises(FrozenInstanceError):
        h.level = 2
    with pytest.raises(AttributeError):
        del h.parts
    assert h == Heading(("Forward pass",)) and h != Heading(("Forward pass",), 0) and h != ("Forward pass", 1)
    assert hash(h) == hash(Heading(("Forward pass",), 1))
    assert len({Math("x_1"), Math("x_1"), Math("x_2")}) == 2
    assert repr(h) == "Heading(parts=('Forward pass',), level=1)"
    assert repr(Table(("a",), ())) == "Table(header=('a',), rows=(), title=None, numeric=())"
    assert h.replace(level=0) == Heading(("Forward pass",), 0) and h.level == 1
    with pytest.raises(TypeError):
        h.replace(colour="red")
    match h:
        case Heading(parts, level):
            assert (parts, level) == (("Forward pass",), 1)


def test_problem_and_solution_replace():
    problem = load_problem()
    other = problem.replace(learning_rate=0.5, title="half")
    assert (other.learning_rate, other.title, other.x is problem.x) == (0.5, "half", True)
    assert problem.learning_rate != 0.5
    s = solve(problem)
    assert s.computed == {} and s.replace(problem=other).problem is other
    np.testing.assert_array_equal(s.replace(problem=other).y_hat, s.y_hat)
