"""render/json.py's dumps: the json module's text (indent=2, ensure_ascii=False, allow_nan=False),
with each list of numbers on one line and a final newline. It reads back as the data it was
given, and refuses what json refuses (NaN, the infinities, keys and objects JSON cannot hold)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import PROBLEM_FILES, PROBLEMS, invoke
from nnsolve.problem import load_problem
from nnsolve.render.json import check_line, dumps, dumps_line, solution_dict, steps_dict
from nnsolve.rounding import Rounding
from nnsolve.solution import solve, solve_steps


def compact(data) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def assert_reads_back(data) -> None:
    """dumps(data) holds data, and is json's indented text but for the vectors' line breaks."""
    text = dumps(data)
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert compact(json.loads(text)) == compact(data)
    assert text.count("\n") <= json.dumps(data, indent=2).count("\n") + 1


def outcome(write, data):
    try:
        return write(data)
    except (TypeError, ValueError) as e:
        return type(e)


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: p.name)
def test_every_problem_reads_back_with_its_vectors_on_one_line(path):
    problem = load_problem(str(path))
    datas = [steps_dict(problem, solve_steps(problem, 2))]
    if not problem.examples:
        datas += [solution_dict(solve(problem)), solution_dict(solve(problem, Rounding(3)))]
    for data in datas:
        assert_reads_back(data)
        text = dumps(data)
        final = data["final"] if "final" in data else data["updated"]
        for rows in final.values():
            for row in (rows if isinstance(rows[0], list) else [rows]):  # (a bias vector b1 is one row)
                assert "[" + ", ".join(map(repr, row)) + "]" in text  # a row of weights: one line, full precision


@pytest.mark.parametrize("args", [("run", "--json"), ("grad", "W1[2,1]", "--json"), ("grad", "--all", "--json")])
def test_commands_write_their_json_with_dumps(args):
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == dumps(json.loads(result.stdout))


def test_check_writes_each_sheet_as_a_compact_json_line_in_order(tmp_path):
    """A graded sheet, one with a slip and one that cannot be read: a line each, as dumps_line writes it."""
    answers = (PROBLEMS / "worksheet-answers.yaml").read_text().replace("problem: worksheet.yaml\n", "")
    texts = [answers, answers.replace("beta1: [0.5, 0.999]", "beta1: [0.5, 0.95]"), "alpha1: [0, 24\n"]
    sheets = []
    for n, text in enumerate(texts):
        (tmp_path / f"s{n}.yaml").write_text(text)
        sheets.append(str(tmp_path / f"s{n}.yaml"))
    result = invoke("check", *sheets, "--problem", str(PROBLEMS / "worksheet.yaml"), "--json")
    lines = result.stdout.splitlines(keepends=True)
    assert [json.loads(line)["sheet"] for line in lines] == sheets
    assert [json.loads(line)["error"] is None for line in lines] == [True, True, False]
    assert all(line == dumps_line(json.loads(line)) for line in lines)


def test_a_vector_is_one_line_and_a_matrix_a_line_a_row():
    data = {"v": [1.0, -2.5e-17, 3], "m": [[1.0, 2.0], [3.0, 4.0]], "mixed": [1, "a"], "empty": [], "s": "[\n1,\n 2\n]"}
    assert dumps(data) == (
        '{\n  "v": [1.0, -2.5e-17, 3],\n  "m": [\n    [1.0, 2.0],\n    [3.0, 4.0]\n  ],\n'
        '  "mixed": [\n    1,\n    "a"\n  ],\n  "empty": [],\n  "s": "[\\n1,\\n 2\\n]"\n}\n'
    )


finite = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(["", '"', "\\", "\n\t\r\b\f\x00\x1f\x7f", "é β ∂ℓ", "\u2028", "[\n1\n]", "1,\n 2"])
)
values = st.recursive(
    finite,
    lambda inner: st.lists(inner, max_size=5) | st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=6) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(values)
def test_any_json_data_reads_back(data):
    assert_reads_back(data)


@pytest.mark.parametrize("data", [{"v": math.nan}, [1.0, math.inf], {"k": [-math.inf]}, {math.nan: 1}, {"o": object()}, {(1, 2): 3}, {1j: 1}])
def test_what_json_refuses_is_refused(data):
    assert outcome(dumps, data) in (TypeError, ValueError)
    assert outcome(dumps, data) == outcome(lambda d: json.dumps(d, allow_nan=False), data)


def test_check_lines_refuse_what_json_refuses():
    """A value JSON cannot hold (NaN, an infinity, in a list or alone) raises json's own error."""
    from nnsolve.grading import CORRECT, Graded, Report, Tolerance

    for bad in (np.array(np.nan), np.array([1.0, np.inf]), np.array([[1.0, 2.0], [-np.inf, 0.0]])):
        graded = Graded("alpha1", bad, np.array([0.0, 24.0]), bad, CORRECT, None, 1.0, 1.0, 3)
        with pytest.raises(ValueError):
            check_line("s.yaml", Report("s.yaml", "s", (graded,)), None, Tolerance(), True)


def test_a_check_line_is_one_compact_line_that_reads_back():
    from nnsolve.grading import CORRECT, Graded, Report, Tolerance

    graded = Graded("alpha1", np.array([1.0, 24.0]), np.array([1.0, 24.0]), None, CORRECT, None, 1.0, 1.0, 3)
    line = check_line("s.yaml", Report("s.yaml", 'Zoë "the" \\ student\t\n', (graded,)), None, Tolerance(), True)
    assert line.endswith("\n") and line.count("\n") == 1
    data = json.loads(line)
    assert data["student"] == 'Zoë "the" \\ student\t\n' and data["answers"][0]["answer"] == [1.0, 24.0]
    assert data["answers"][0]["verdict"] == CORRECT and data["error"] is None
