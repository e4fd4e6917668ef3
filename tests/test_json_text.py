"""render/json.py's dumps writes, byte for byte, what it wrote with the json module: json.dumps with
indent=2, ensure_ascii=False and allow_nan=False, each list of numbers then put on one line, and a
final newline. The same errors for NaN, infinities, odd keys and objects JSON cannot hold."""

from __future__ import annotations

import json
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import PROBLEM_FILES, invoke
from nnsolve.problem import load_problem
from nnsolve.render.json import dumps, solution_dict, steps_dict
from nnsolve.rounding import Rounding
from nnsolve.solution import solve, solve_steps

# what dumps was: json's text, then each list of numbers json spread over lines joined onto one
_NUMBER_LIST = re.compile(r"\[\n\s*((?:-?[0-9][-+.0-9eE]*,\n\s*)*-?[0-9][-+.0-9eE]*)\n\s*\]")


def json_module_text(data) -> str:
    text = json.dumps(data, indent=2, allow_nan=False, ensure_ascii=False)
    return _NUMBER_LIST.sub(lambda m: "[" + re.sub(r",\n\s*", ", ", m.group(1)) + "]", text) + "\n"


def outcome(write, data):
    try:
        return write(data)
    except (TypeError, ValueError) as e:
        return type(e), str(e)


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: p.name)
def test_every_problem_as_before(path):
    problem = load_problem(str(path))
    datas = [steps_dict(problem, solve_steps(problem, 2))]
    if not problem.examples:
        datas += [solution_dict(solve(problem)), solution_dict(solve(problem, Rounding(3)))]
    for data in datas:
        assert dumps(data) == json_module_text(data)


@pytest.mark.parametrize("args", [("run", "--json"), ("grad", "W1[2,1]", "--json"), ("grad", "--all", "--json"), ("schema", "solution")])
def test_commands_write_json_that_reads_back(args):
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    assert dumps(json.loads(result.stdout)) == json_module_text(json.loads(result.stdout))


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(["", '"', "\\", "\n\t\r\b\f\x00\x1f\x7f", "é β ∂ℓ", "\u2028", "[\n1\n]", "1,\n 2"])
)
keys = st.text(max_size=6) | st.integers(-5, 5) | st.floats(allow_nan=False, allow_infinity=False) | st.booleans() | st.none()
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.lists(inner, max_size=3).map(tuple) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(values)
def test_any_json_data_as_before(data):
    assert outcome(dumps, data) == outcome(json_module_text, data)


def test_errors_as_before():
    for data in ({"v": math.nan}, [1.0, math.inf], {"k": [-math.inf]}, {math.nan: 1}, {"o": object()}, {(1, 2): 3}, {1j: 1}):
        got, expected = outcome(dumps, data), outcome(json_module_text, data)
        assert got == expected and isinstance(got, tuple), (got, expected)


# -- check's JSON Lines: check_line writes what dumps_line(check_dict(...)) writes ---------------


def _check_lines_both_ways(rows, tolerance, carry_forward):
    from nnsolve.render.json import check_dict, check_line, dumps_line

    for sheet, report, error in rows:
        expected = outcome(lambda _: dumps_line(check_dict(sheet, report, error, tolerance, carry_forward)), None)
        assert outcome(lambda _: check_line(sheet, report, error, tolerance, carry_forward), None) == expected


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: p.name)
def test_check_lines_as_the_json_module_writes_them(path):
    """Random sheets of every problem (every verdict, recomputed values, matrices), every
    tolerance, points and partial credit, with and without carrying forward; and sheets that
    could not be read, students' names that need escaping, no name."""
    import numpy as np
    from test_check_stacked import TOLERANCES, random_sheets

    from nnsolve.check import grade_many

    problem = load_problem(str(path))
    sheets = random_sheets(problem, 25, np.random.default_rng(len(path.name)))
    names = [None, "Ada", 'Zoë "the" \\ student\t\n\x01', "学生"]
    for tolerance in TOLERANCES:
        for carry_forward, partial in ((True, 0.5), (False, 1.0)):
            points = {sheets[0].answers[0].quantity.name: 3.0}
            reports = grade_many(problem, sheets, tolerance, carry_forward, points, partial)
            rows = [(f"sheets/{n}.yaml", r, None) for n, r in enumerate(reports)]
            rows += [(f"sheets/ß{n}.yaml", r.replace(student=name) if hasattr(r, "replace") else _with_student(r, name), None) for n, (r, name) in enumerate(zip(reports, names))]
            rows += [("bad.yaml", None, "bad.yaml, line 2: alpha1: not valid YAML \"here\"")]
            _check_lines_both_ways(rows, tolerance, carry_forward)


def _with_student(report, student):
    from nnsolve.check import Report

    return Report(report.sheet, student, report.graded)


def test_check_lines_refuse_what_json_refuses():
    """A value JSON cannot hold (NaN, an infinity, in a list or alone) raises json's own error."""
    import numpy as np

    from nnsolve.check import CORRECT, Graded, Report, Tolerance

    for bad in (np.array(np.nan), np.array([1.0, np.inf]), np.array([[1.0, 2.0], [-np.inf, 0.0]]), np.array(1e308)):
        graded = Graded("alpha1", bad, np.array([0.0, 24.0]), bad, CORRECT, None, 1.0, 1.0, 3)
        _check_lines_both_ways([("s.yaml", Report("s.yaml", "s", (graded,)), None)], Tolerance(), True)
