"""How numbers are written for people: exact values short, others to the asked decimals."""

import numpy as np
import pytest

from nnsolve.render.numbers import fmt, paren


@pytest.mark.parametrize(
    "value, digits, text",
    [
        (24.0, 8, "24"),
        (0.0, 8, "0"),
        (-0.0, 8, "0"),
        (0.5, 8, "0.5"),
        (-4.0, 3, "-4"),
        (0.11920292202211755, 8, "0.11920292"),
        (-0.046239021619400286, 8, "-0.04623902"),
        (0.9999999999622486, 8, "0.99999999996"),  # never rounded to look like 1
        (-1.9999999998489946, 8, "-1.9999999998"),
        (0.38790174627, 3, "0.388"),
        (1.3964686719647543e-11, 8, "1.3964687e-11"),
        (10.4, 1, "10.4"),
        (10.44, 1, "10.4"),
        (0.04, 1, "4.0e-02"),
        (1.96, 1, "1.96"),  # 2.0 would look exact
        (2.5e20, 4, "2.500e+20"),
    ],
)
def test_fmt(value, digits, text):
    assert fmt(value, digits) == text


def test_paren():
    assert paren(-1.0, 8) == "(-1)"


def test_problem_file_numbers_read_back_as_the_same_float():
    """render.problem_file.number: the shortest text that YAML 1.1 reads back (through nnsolve's
    reader) as the very same float64; whole numbers below 1e15 without a decimal point."""
    import math

    from nnsolve.problem import parse_problem
    from nnsolve.render.problem_file import number

    rng = np.random.default_rng(3)
    values = [0.0, -0.0, 1.0, -2.0, 0.5, 1e15, -1e15, 999999999999999.0, 1e16, 1e-5, -1e-5, 5e-324, 1e300, 0.1]
    values += (rng.normal(size=300) * 10.0 ** rng.integers(-30, 30, size=300)).tolist()
    values += np.round(rng.normal(size=100) * 1000).tolist()
    texts = [number(v) for v in values]
    for v, text in zip(values, texts):
        if v.is_integer() and abs(v) < 1e15:
            assert text == str(int(v)), (v, text)
        else:
            assert float(text) == v and ("e" not in text or "." in text.partition("e")[0]), (v, text)
    problem = parse_problem("x: [" + ", ".join(texts) + "]\ny: [1]\nW1: [[1]" + ", [1]" * len(texts) + "]\nlearning_rate: 1\n")
    assert problem.x.tolist() == [0.0 if v == 0 else v for v in values]
    assert not any(math.copysign(1, x) < 0 for x in problem.x if x == 0)  # never -0
