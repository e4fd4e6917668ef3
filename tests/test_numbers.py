"""How numbers are written for people: exact values short, others to the asked decimals."""

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
