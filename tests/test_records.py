"""Records are frozen dataclasses (docs/design.md, "Records"): their fields are declared once, and
no class writes an __init__ that repeats them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nnsolve import chain, network, problem, solution
from nnsolve.cli.trained import TrainedRun
from nnsolve.problem import load_problem
from nnsolve.render import document
from nnsolve.render.document import Heading, Math, Table
from nnsolve.solution import solve

RECORDS = [
    network.Activation, network.Loss, network.Forward, network.Backward, problem.Problem, solution.LayerSolution,
    solution.Solution, solution.Step, chain.Factor, chain.WeightGradient, document.Math, document.Heading, document.Para,
    document.Equations, document.Matrix, document.Table, document.Document, TrainedRun,
]


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_every_record_is_a_frozen_dataclass_with_its_generated_init(cls):
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    assert cls.__init__.__code__.co_filename == "<string>", "the dataclass writes __init__, not the class"
    assert cls.__doc__ and not cls.__doc__.startswith(cls.__name__ + "("), "a record says what it holds"


def test_frozen_equal_hashable_printable_and_replaceable():
    h = Heading(("Forward pass",), 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        h.level = 2
    with pytest.raises(AttributeError):
        del h.parts
    assert h == Heading(("Forward pass",)) and h != Heading(("Forward pass",), 0) and h != ("Forward pass", 1)
    assert hash(h) == hash(Heading(("Forward pass",), 1))
    assert len({Math("x_1"), Math("x_1"), Math("x_2")}) == 2
    assert repr(h) == "Heading(parts=('Forward pass',), level=1)"
    assert repr(Table(("a",), ())) == "Table(header=('a',), rows=(), title=None, numeric=())"
    assert dataclasses.replace(h, level=0) == Heading(("Forward pass",), 0) and h.level == 1
    with pytest.raises(TypeError):
        dataclasses.replace(h, colour="red")
    match h:
        case Heading(parts, level):
            assert (parts, level) == (("Forward pass",), 1)


def test_problem_and_solution_replace():
    problem_ = load_problem()
    other = dataclasses.replace(problem_, learning_rate=0.5, title="half")
    assert (other.learning_rate, other.title, other.x is problem_.x) == (0.5, "half", True)
    assert problem_.learning_rate != 0.5
    s = solve(problem_)
    assert s.computed == {} and dataclasses.replace(s, problem=other).problem is other
    np.testing.assert_array_equal(dataclasses.replace(s, problem=other).y_hat, s.y_hat)
    assert solve(problem_).computed is not s.computed  # a fresh {} for each solution
