"""Hand-rounded working: Rounding itself, then solve() and the chain rule with every
intermediate rounded, against the worksheet worked by hand in decimal arithmetic."""

from __future__ import annotations

import dataclasses
import math
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnsolve import chain, network
from nnsolve.errors import SolveError
from nnsolve.network import ACTIVATIONS, LOSSES
from nnsolve.problem import Problem, load_problem
from nnsolve.rounding import Rounding
from nnsolve.solution import element_name, solve

from conftest import PROBLEMS
from random_networks import as_problem, make_case

HALF_UP_3 = Rounding(3)
HALF_UP_4 = Rounding(4)


# ---------------------------------------------------------------------------
# Rounding, one number at a time


@pytest.mark.parametrize(
    "value, rounding, expected",
    [
        # half-up rounds a tie away from zero, on the decimal digits people see
        (2.675, Rounding(2), 2.68),
        (-2.675, Rounding(2), -2.68),
        (0.125, Rounding(2), 0.13),
        (-0.125, Rounding(2), -0.13),
        (0.135, Rounding(2), 0.14),
        (2.5, Rounding(0), 3.0),
        (-2.5, Rounding(0), -3.0),
        (1.0005, Rounding(3), 1.001),
        (0.99999999996, Rounding(3), 1.0),  # the worksheet's sigma(24)
        (0.1192029220221175, Rounding(4), 0.1192),
        # truncate drops digits toward zero
        (2.675, Rounding(2, "truncate"), 2.67),
        (-2.675, Rounding(2, "truncate"), -2.67),
        (2.679, Rounding(2, "truncate"), 2.67),
        (-2.679, Rounding(2, "truncate"), -2.67),
        (0.125, Rounding(2, "truncate"), 0.12),
        (0.99999999996, Rounding(3, "truncate"), 0.999),  # what the worksheet wrote
        # tiny numbers, zeros
        (1e-9, Rounding(3), 0.0),
        (-1e-9, Rounding(3), 0.0),
        (1e-9, Rounding(3, "truncate"), 0.0),
        (0.0, Rounding(3), 0.0),
        (-0.0, Rounding(3), 0.0),
        (0.0, Rounding(2, significant=True), 0.0),
        # already short enough: unchanged
        (0.5, Rounding(3), 0.5),
        (24.0, Rounding(0), 24.0),
        (1e300, Rounding(3), 1e300),
        (-7.25, Rounding(5), -7.25),
        # significant figures count from the first non-zero digit
        (1e-9, Rounding(3, significant=True), 1e-9),
        (1.23456e-9, Rounding(3, significant=True), 1.23e-9),
        (0.00123456, Rounding(3, significant=True), 0.00123),
        (0.00123456, Rounding(3, "truncate", significant=True), 0.00123),
        (0.0012355, Rounding(4, significant=True), 0.001236),
        (-0.0012355, Rounding(4, significant=True), -0.001236),
        (123456.0, Rounding(3, significant=True), 123000.0),
        (-123556.0, Rounding(3, significant=True), -124000.0),
        (-123556.0, Rounding(3, "truncate", significant=True), -123000.0),
        (9.995, Rounding(3, significant=True), 10.0),
        (9.995, Rounding(3, "truncate", significant=True), 9.99),
        (2.675, Rounding(3, significant=True), 2.68),
        (0.99999999996, Rounding(1, significant=True), 1.0),
        (0.99999999996, Rounding(1, "truncate", significant=True), 0.9),
    ],
)
def test_rounds_like_a_person(value, rounding, expected):
    got = rounding.apply(value)
    assert type(got) is float
    assert got == expected
    assert math.copysign(1.0, got) == math.copysign(1.0, expected)  # 0, never -0


def test_half_up_is_not_floats_round():
    # the float 2.675 is 2.67499999999999982236431605997495353221893310546875
    assert round(2.675, 2) == 2.67
    assert Rounding(2).apply(2.675) == 2.68


def test_float_noise_does_not_decide_a_truncation_or_a_tie():
    # 1 - 0.9 is 0.09999999999999998 in float64; a person writes 0.1
    assert Rounding(3, "truncate").apply(1 - 0.9) == 0.1
    assert Rounding(1, "truncate").apply(0.1 * 3) == 0.3
    # 1.0049999999999999 is 1.005 as far as float64 can tell (15 significant digits)
    assert Rounding(2).apply(1.0049999999999999) == 1.01
    assert Rounding(2).apply(0.7 * 1.5) == 1.05  # 1.0499999999999998 in float64


def test_infinities_and_nan_pass_through():
    r = Rounding(3)
    assert r.apply(math.inf) == math.inf and r.apply(-math.inf) == -math.inf
    assert math.isnan(r.apply(math.nan))


def test_arrays_of_any_shape():
    r = Rounding(2)
    values = np.array([[[2.675, -2.675], [0.125, 1e-9]], [[-0.0001, 3.0], [np.inf, 0.994999]]])
    got = r.apply(values)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64 and got.shape == values.shape
    np.testing.assert_array_equal(got, [[[2.68, -2.68], [0.13, 0.0]], [[0.0, 3.0], [np.inf, 0.99]]])
    assert not np.any(np.signbit(got[got == 0]))
    np.testing.assert_array_equal(values[0, 0], [2.675, -2.675])  # not changed in place

    scalar = r.apply(np.array(2.675))  # a 0-d array stays an array
    assert isinstance(scalar, np.ndarray) and scalar.shape == () and scalar == 2.68
    assert r.apply(np.array([], dtype=np.float64)).shape == (0,)
    assert r.apply(np.array([1, 2])).dtype == np.float64  # ints in, float64 out
    assert type(r.apply(np.float64(2.675))) is float and r.apply(np.float64(2.675)) == 2.68
    assert type(r.apply(3)) is float


def test_a_rounding_is_callable_frozen_and_hashable():
    r = Rounding(3)
    assert r(2.675) == r.apply(2.675) == 2.675
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.digits = 4  # type: ignore[misc]
    assert r == Rounding(3, "half-up", False) and len({r, Rounding(3)}) == 1
    assert r.as_dict() == {"digits": 3, "mode": "half-up", "significant": False}


@pytest.mark.parametrize(
    "rounding, text",
    [
        (Rounding(3), "3 decimals, half-up"),
        (Rounding(1, "truncate"), "1 decimal, truncate"),
        (Rounding(0), "0 decimals, half-up"),
        (Rounding(4, "truncate", significant=True), "4 significant figures, truncate"),
        (Rounding(1, significant=True), "1 significant figure, half-up"),
    ],
)
def test_describe(rounding, text):
    assert rounding.describe() == text


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(digits=-1), "decimals must be 0 or more, not -1"),
        (dict(digits=0, significant=True), "significant figures must be 1 or more, not 0"),
        (dict(digits=-2, significant=True), "significant figures must be 1 or more"),
        (dict(digits=3, mode="half-even"), "rounding mode must be one of half-up, truncate, not 'half-even'"),
        (dict(digits=3, mode="half_up"), "half-up, truncate"),
        (dict(digits=2.5), "whole number"),
        (dict(digits="3"), "whole number"),
        (dict(digits=True), "whole number"),
    ],
)
def test_bad_roundings_say_what_is_valid(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        Rounding(**kwargs)


def _decimal_reference(text: str, rounding: Rounding) -> float:
    """text rounded in decimal arithmetic, independently of nnsolve.rounding."""
    d = Decimal(text)
    mode = ROUND_HALF_UP if rounding.mode == "half-up" else ROUND_DOWN
    exponent = d.adjusted() - rounding.digits + 1 if rounding.significant else -rounding.digits
    return float(d.quantize(Decimal(1).scaleb(exponent), rounding=mode)) + 0.0


_roundings = st.builds(
    Rounding,
    digits=st.integers(1, 8),
    mode=st.sampled_from(["half-up", "truncate"]),
    significant=st.booleans(),
)


@settings(database=None, deadline=None, max_examples=300)
@given(
    coefficient=st.integers(-(10**12), 10**12).filter(lambda c: c != 0),
    exponent=st.integers(-14, 4),
    rounding=_roundings,
)
def test_matches_decimal_rounding_of_what_is_written(coefficient, exponent, rounding):
    # a number as written (at most 13 digits), so its decimal digits are exactly these
    text = f"{coefficient}e{exponent}"
    assert rounding.apply(float(text)) == _decimal_reference(text, rounding)


@settings(database=None, deadline=None, max_examples=300)
@given(value=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12), rounding=_roundings)
def test_rounding_is_idempotent_and_moves_less_than_a_unit(value, rounding):
    once = rounding.apply(value)
    assert rounding.apply(once) == once
    # the value is first read at 15 significant figures (DISPLAY_DIGITS): half a unit of those
    # (and an ulp, as the shortest repr itself is within half an ulp of the float)
    display = 0.5 * 10.0 ** (math.floor(math.log10(abs(value))) - 14) + math.ulp(value) if value else 0.0
    slack = 1 + 1e-9
    if rounding.mode == "truncate":
        assert abs(once) <= (abs(value) + display) * slack  # toward zero
    if once != 0.0:
        assert math.copysign(1.0, once) == math.copysign(1.0, value)
    unit = 10.0 ** (-rounding.digits)
    if rounding.significant:
        unit = 10.0 ** (math.floor(math.log10(abs(value))) - rounding.digits + 1) if value else 0.0
    share = 0.5 if rounding.mode == "half-up" else 1.0
    assert abs(once - value) <= (share * unit + display) * slack


# ---------------------------------------------------------------------------
# The worksheet, rounded by hand in decimal arithmetic


D = Decimal
X = [D(2), D(5)]
Y = D(1)
W1 = [[D(-1), D(2)], [D(-2), D(1)], [D(1), D(4)]]
W2 = [[D(1)], [D(2)], [D(-4)]]
LEARNING_RATE = D(2)


def _worksheet_by_hand(digits: int, mode: str = "half-up") -> dict:
    """The worksheet as a person works it with a calculator: exact decimal arithmetic, and each
    value written down rounded to `digits` decimals before the next step uses it."""
    unit = D(1).scaleb(-digits)
    r = lambda d: d.quantize(unit, rounding=ROUND_HALF_UP if mode == "half-up" else ROUND_DOWN)  # noqa: E731
    sigma = lambda a: r(D(repr(1.0 / (1.0 + math.exp(-float(a))))))  # noqa: E731

    inp1 = [D(1)] + X
    alpha1 = [r(sum(inp1[i] * W1[i][j] for i in range(3))) for j in range(2)]
    beta1 = [sigma(a) for a in alpha1]
    inp2 = [D(1)] + beta1
    alpha2 = r(sum(inp2[i] * W2[i][0] for i in range(3)))
    y_hat = sigma(alpha2)
    loss = r(D("0.5") * (Y - y_hat) ** 2)
    dl_dy_hat = r(-(Y - y_hat))
    dy_hat_dalpha = r(y_hat * (1 - y_hat))
    delta2 = r(dl_dy_hat * dy_hat_dalpha)
    grad2 = [[r(inp2[i] * delta2)] for i in range(3)]
    dl_dbeta1 = [r(W2[k + 1][0] * delta2) for k in range(2)]
    derivative1 = [r(b * (1 - b)) for b in beta1]
    delta1 = [r(g * d) for g, d in zip(dl_dbeta1, derivative1)]
    grad1 = [[r(inp1[i] * delta1[j]) for j in range(2)] for i in range(3)]
    new1 = [[r(W1[i][j] - LEARNING_RATE * grad1[i][j]) for j in range(2)] for i in range(3)]
    new2 = [[r(W2[i][0] - LEARNING_RATE * grad2[i][0])] for i in range(3)]

    # the chain rule for one weight: the product of the rounded factors, rounded, then the update
    factors_W2_11 = [dl_dy_hat, dy_hat_dalpha, beta1[0]]
    factors_W1_21 = [dl_dy_hat, dy_hat_dalpha, W2[1][0], derivative1[0], X[1]]
    chain_W2_11 = r(math.prod(factors_W2_11))
    chain_W1_21 = r(math.prod(factors_W1_21))

    written = dict(
        inp1=inp1, alpha1=alpha1, beta1=beta1, inp2=inp2, alpha2=alpha2, y_hat=y_hat, loss=loss,
        dl_dy_hat=dl_dy_hat, dy_hat_dalpha=dy_hat_dalpha, delta2=delta2, grad2=grad2, dl_dbeta1=dl_dbeta1,
        derivative1=derivative1, delta1=delta1, grad1=grad1, new1=new1, new2=new2,
        factors_W2_11=factors_W2_11, factors_W1_21=factors_W1_21, chain_W2_11=chain_W2_11, chain_W1_21=chain_W1_21,
    )
    return {name: _floats(value) for name, value in written.items()}


def _floats(value):
    """Decimals, or nested lists of them, as floats."""
    return [_floats(v) for v in value] if isinstance(value, list) else float(value)


def _solved(rounding: Rounding) -> dict:
    s = solve(load_problem(), rounding)
    l1, l2 = s.layers
    return {
        "inp1": l1.input.tolist(), "alpha1": l1.alpha.tolist(), "beta1": l1.beta.tolist(),
        "inp2": l2.input.tolist(), "alpha2": float(l2.alpha[0]), "y_hat": float(s.y_hat[0]), "loss": s.loss,
        "dl_dy_hat": float(s.dl_dy_hat[0]), "dy_hat_dalpha": float(s.dy_hat_dalpha[0, 0]),
        "delta2": float(l2.delta[0]), "grad2": l2.grad_W.tolist(), "dl_dbeta1": l1.dl_dbeta.tolist(),
        "derivative1": l1.derivative.tolist(), "delta1": l1.delta.tolist(), "grad1": l1.grad_W.tolist(),
        "new1": l1.updated_W.tolist(), "new2": l2.updated_W.tolist(),
    }  # fmt: skip


@pytest.mark.parametrize(
    "digits, mode", [(3, "half-up"), (4, "half-up"), (2, "half-up"), (3, "truncate"), (4, "truncate")]
)
def test_worksheet_rounded_matches_the_hand_working_exactly(digits, mode):
    hand = _worksheet_by_hand(digits, mode)
    got = _solved(Rounding(digits, mode))
    for name, value in got.items():
        assert value == hand[name], (name, value, hand[name])


def test_worksheet_at_three_decimals_half_up():
    got = _solved(HALF_UP_3)
    # sigma(24) = 0.99999999996 is 1.000 at 3 decimals, half-up
    assert got["beta1"] == [0.5, 1.0]
    assert got["alpha2"] == -2.0  # 1 + 2(0.5) - 4(1.0), from the rounded beta1
    assert got["y_hat"] == 0.119  # sigma(-2) = 0.11920...
    assert got["loss"] == 0.388  # 0.5(0.881)^2 = 0.3880805
    assert (got["dl_dy_hat"], got["dy_hat_dalpha"]) == (-0.881, 0.105)  # 0.119(0.881) = 0.104839
    assert got["delta2"] == -0.093  # -0.881(0.105) = -0.092505
    assert got["grad2"] == [[-0.093], [-0.047], [-0.093]]  # 0.5(-0.093) = -0.0465, away from zero
    assert got["dl_dbeta1"] == [-0.186, 0.372]
    assert got["derivative1"] == [0.25, 0.0]  # 1.0(1 - 1.0): the rounded beta has no slope left
    assert got["delta1"] == [-0.047, 0.0]
    assert got["grad1"] == [[-0.047, 0.0], [-0.094, 0.0], [-0.235, 0.0]]
    assert got["new1"] == [[-0.906, 2.0], [-1.812, 1.0], [1.47, 4.0]]
    assert got["new2"] == [[1.186], [2.094], [-3.814]]


def test_worksheet_truncated_at_three_decimals_is_what_the_worksheet_wrote():
    got = _solved(Rounding(3, "truncate"))
    assert got["beta1"] == [0.5, 0.999]  # "beta^1 = [0.5, 0.999]"
    assert got["alpha2"] == -1.996  # "1 + 1 - 3.996 = -1.996"
    assert got["y_hat"] == 0.119


def test_the_given_values_are_used_as_given():
    problem = Problem(
        x=np.array([0.12345, 5.0]),
        y=np.array([0.98765]),
        weights=(np.array([[-1.23456, 2.0], [-2.0, 1.00001], [1.0, 4.0]]), np.array([[1.11111], [2.0], [-4.0]])),
        activations=("sigmoid", "sigmoid"),
        loss="squared_error",
        learning_rate=0.12345,
    )
    s = solve(problem, Rounding(2))
    for layer, W in zip(s.layers, problem.weights):
        np.testing.assert_array_equal(layer.W, W)
    np.testing.assert_array_equal(s.layers[0].input, [1.0, 0.12345, 5.0])
    assert s.layers[0].alpha[0] == Rounding(2).apply(-1.23456 - 2.0 * 0.12345 + 5.0)
    assert s.dl_dy_hat[0] == Rounding(2).apply(-(0.98765 - s.y_hat[0]))
    grad = s.layers[1].grad_W[1, 0]
    assert s.layers[1].updated_W[1, 0] == Rounding(2).apply(2.0 - 0.12345 * grad)


# ---------------------------------------------------------------------------
# The chain rule for one weight, rounded


def test_chain_rule_of_W1_21_at_four_decimals():
    s = solve(load_problem(), HALF_UP_4)
    g = chain.weight_gradient(s, "W1[2,1]")
    [path] = g.paths
    assert [f.value for f in path] == [-0.8808, 0.105, 2.0, 0.25, 5.0]
    assert all(HALF_UP_4.apply(f.value) == f.value for f in path)
    assert g.path_products() == (-0.2312,)  # -0.8808(0.105)(2)(0.25)(5) = -0.23121
    assert g.gradient == -0.2312
    assert g.updated == 1.4624  # 1 - 2(-0.2312)
    assert g.rounding == HALF_UP_4
    assert g.exact_gradient == pytest.approx(-0.23119511, abs=5e-9)
    assert g.exact_updated == pytest.approx(1.46239022, abs=5e-9)
    hand = _worksheet_by_hand(4)
    assert g.gradient == hand["chain_W1_21"] and [f.value for f in path] == hand["factors_W1_21"]
    # the factors' values, as a renderer substitutes them, are the rounded ones too
    assert dict(path[0].values) == {"y": 1.0, "y_hat": 0.1192}
    assert dict(path[3].values) == {"beta1_1": 0.5}


def test_chain_rule_of_W2_11_at_three_decimals():
    s = solve(load_problem(), HALF_UP_3)
    g = chain.weight_gradient(s, "W2[1,1]")
    assert [f.value for f in g.paths[0]] == [-0.881, 0.105, 0.5]
    assert g.gradient == -0.046  # -0.881(0.105)(0.5) = -0.0462525
    assert g.updated == 2.092
    assert g.gradient == _worksheet_by_hand(3)["chain_W2_11"]
    # backpropagation's own rounded working rounds delta2 first: -0.093(0.5) = -0.0465 -> -0.047
    assert s.layers[1].grad_W[1, 0] == -0.047


def test_chain_rule_without_rounding_is_unchanged():
    s = solve(load_problem())
    for layer, i, j in chain.all_weights(s):
        g = chain.gradient_of(s, layer, i, j)
        r = i  # bias: true
        assert g.rounding is None
        assert g.gradient == g.exact_gradient == s.layers[layer - 1].grad_W[r, j - 1]
        assert g.updated == g.exact_updated == s.layers[layer - 1].updated_W[r, j - 1]
        assert g.path_products() == tuple(math.prod(f.value for f in path) for path in g.paths)


def test_chain_rule_with_several_paths_rounds_each_path_then_the_sum():
    problem = _problem_file("two_outputs.yaml")
    rounding = Rounding(3)
    s = solve(problem, rounding)
    g = chain.weight_gradient(s, "W1[1,1]")
    assert len(g.paths) == 2
    products = [rounding.apply(math.prod(f.value for f in path)) for path in g.paths]
    assert list(g.path_products()) == products
    assert g.gradient == rounding.apply(sum(products))
    assert g.exact_gradient == solve(problem).layers[0].grad_W[1, 0]


def test_a_kept_bias_weight_stays_as_given():
    problem = dataclasses.replace(load_problem(), 
        train_bias=False,
        weights=(np.array([[-1.23456, 2.0], [-2.0, 1.0], [1.0, 4.0]]), np.array([[1.0], [2.0], [-4.0]])),
    )
    s = solve(problem, Rounding(2))
    np.testing.assert_array_equal(s.layers[0].updated_W[0], [-1.23456, 2.0])
    g = chain.weight_gradient(s, "W1[0,1]")
    assert not g.trained and g.updated == g.value == -1.23456
    g = chain.weight_gradient(s, "W1[1,1]")
    assert g.trained and g.updated == Rounding(2).apply(g.value - problem.learning_rate * g.gradient)


# ---------------------------------------------------------------------------
# The solution's record: rounding, exact, max_difference


def test_a_rounded_solution_holds_the_exact_one():
    problem = load_problem()
    s = solve(problem, HALF_UP_3)
    assert s.rounding == HALF_UP_3
    assert s.exact is not None and s.exact.rounding is None and s.exact.exact is None
    _assert_bit_identical(s.exact, solve(problem))


def test_max_difference_names_the_value_that_drifts_furthest():
    problem = load_problem()
    assert solve(problem).max_difference() is None
    for rounding, bound in ((Rounding(3), 0.02), (Rounding(4), 2e-3), (Rounding(6), 2e-5)):
        s = solve(problem, rounding)
        name, diff = s.max_difference()
        assert 0 < diff < bound, (rounding, name, diff)
        assert diff == max(float(np.max(np.abs(a - b))) for (_, a), (_, b) in zip(s.quantities(), s.exact.quantities()))
    # at 3 decimals: updated W1[2,1] is 1.47 by hand, 1.46239022 exactly
    worst = solve(problem, HALF_UP_3).max_difference()
    assert worst == ("new W1[2,1]", pytest.approx(1.47 - 1.4623902161940028, abs=1e-15))


def test_quantity_names():
    s = solve(_problem_file("two_outputs.yaml"), HALF_UP_3)
    names = [name for name, _ in s.quantities()]
    assert names == [
        "alpha1", "beta1", "delta1", "dl/dW1", "new W1", "alpha2", "delta2", "dl/dW2", "new W2", "y_hat", "loss",
    ]  # fmt: skip
    name, _ = s.max_difference()
    base = name.split("[")[0].split("_")[0] if not name.startswith("y_hat") else "y_hat"
    assert any(base == n or name.startswith(n) for n in names), name


def test_max_difference_names_elements_as_the_notation_does():
    # one linear layer whose only inexact value is alpha1_2 = 0.3333333 -> 0.3 (y_hat_2 follows it)
    problem = Problem(
        x=np.array([1.0, 1.0]), y=np.array([0.0, 0.3333333]),
        weights=(np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.3333333]]),),
        activations=("linear",), loss="squared_error", learning_rate=0.0,
    )  # fmt: skip
    name, diff = solve(problem, Rounding(1)).max_difference()
    assert name == "alpha1_2" and diff == pytest.approx(0.0333333, abs=1e-12)
    one_output = dataclasses.replace(problem, y=np.array([0.3333333]), weights=(np.array([[0.0], [0.0], [0.3333333]]),))
    assert solve(one_output, Rounding(1)).max_difference()[0] == "alpha1"  # a layer of one neuron: no index
    # weights are named W1[i,j], with rows from 0 (the bias row) or from 1 without biases
    assert element_name("dl/dW1", (3, 2), 5, True) == "dl/dW1[2,2]"
    assert element_name("new W2", (3, 2), 1, False) == "new W2[1,2]"
    assert element_name("beta3", (4,), 2, True) == "beta3_3"
    assert element_name("loss", (), 0, True) == "loss"


def test_an_overflow_is_reported_as_without_rounding():
    problem = Problem(
        x=np.array([10.0]), y=np.array([0.0]), weights=(np.array([[0.0], [1e308]]),),
        activations=("linear",), loss="squared_error", learning_rate=1.0,
    )  # fmt: skip
    with pytest.raises(SolveError) as exact:
        solve(problem)
    with pytest.raises(SolveError) as rounded:
        solve(problem, Rounding(3))
    assert str(rounded.value) == str(exact.value)


# ---------------------------------------------------------------------------
# Every rounded value is its own rounding; random networks


def _rounded_values(s):
    """Every value a rounded solution computed (not the given x, y, W)."""
    yield "y_hat", s.y_hat
    yield "loss", np.asarray(s.loss)
    yield "dy_hat_dalpha", s.dy_hat_dalpha
    if s.dl_dy_hat is not None:
        yield "dl_dy_hat", s.dl_dy_hat
    for layer in s.layers:
        for name in ("alpha", "beta", "delta", "grad_W", "derivative", "dl_dbeta"):
            value = getattr(layer, name)
            if value is not None:
                yield f"{name}{layer.layer}", value
        yield f"input{layer.layer + 1}", layer.input[1:] if layer.layer > 1 else np.zeros(0)


ROUNDINGS = [
    Rounding(3), Rounding(2, "truncate"), Rounding(4, significant=True), Rounding(1, "truncate", significant=True),
]


@pytest.mark.parametrize("seed", range(0, 240, 4))
def test_every_rounded_value_is_its_own_rounding(seed):
    case = make_case(seed)
    rounding = ROUNDINGS[seed % len(ROUNDINGS)]
    problem = as_problem(case)
    s = solve(problem, rounding)
    for name, value in _rounded_values(s):
        np.testing.assert_array_equal(rounding.apply(np.asarray(value)), value, err_msg=f"{case.describe()}: {name}")
    for layer in s.layers:  # updated weights: rounded, except kept bias rows
        np.testing.assert_array_equal(rounding.apply(layer.updated_W), layer.updated_W)
    for layer, i, j in chain.all_weights(s):
        g = chain.gradient_of(s, layer, i, j)
        assert rounding.apply(g.gradient) == g.gradient and rounding.apply(g.updated) == g.updated
        for path in g.paths:
            for f in path:  # a factor is a rounded value, or a given one (a weight, x_i, 1)
                given = f.formula == "1" or f.formula.startswith(("W", "x_"))
                assert given or rounding.apply(f.value) == f.value, (case.describe(), g.weight, f)
    _assert_bit_identical(s.exact, solve(problem))


@pytest.mark.parametrize("seed", range(1, 240, 4))
def test_fine_rounding_stays_close_to_the_exact_solution(seed):
    # twelve significant figures: the rounded working is the same math, so it agrees closely
    case = make_case(seed)
    s = solve(as_problem(case), Rounding(12, significant=True))
    for (name, rounded), (_, exact) in zip(s.quantities(), s.exact.quantities()):
        scale = max(1.0, float(np.max(np.abs(exact))))
        np.testing.assert_allclose(rounded, exact, rtol=1e-7, atol=1e-7 * scale, err_msg=f"{case.describe()}: {name}")
    for layer, i, j in chain.all_weights(s):
        g = chain.gradient_of(s, layer, i, j)
        assert g.gradient == pytest.approx(g.exact_gradient, rel=1e-7, abs=1e-7), (case.describe(), g.weight)


@pytest.mark.parametrize("seed", range(2, 240, 6))
def test_without_rounding_solve_is_the_plain_network(seed):
    # rounding=None is the exact math, bit for bit; a hook that rounds nothing agrees with it
    # closely (not bitwise: with a hook, softmax's delta is summed over its Jacobian, as by hand)
    case = make_case(seed)
    problem = as_problem(case)
    acts = [ACTIVATIONS[a] for a in case.activations]
    loss = LOSSES[case.loss]
    s = solve(problem, None)
    assert s.rounding is None and s.exact is None
    for rnd, compare in ((None, np.testing.assert_array_equal), (lambda v: v, _close)):
        fwd = network.forward(case.weights, case.x, acts, case.bias, rnd)
        bwd = network.backward(case.weights, fwd, case.y, acts, loss, case.bias, rnd)
        updated = network.update(case.weights, bwd.grads, 0.5, case.bias, True, rnd)
        compare(s.loss, float(network.loss_value(case.y, fwd, acts, loss, rnd)), err_msg=case.describe())
        for l, layer in enumerate(s.layers):
            for got, want in ((layer.alpha, fwd.alphas[l]), (layer.beta, fwd.betas[l]), (layer.delta, bwd.deltas[l]),
                              (layer.grad_W, bwd.grads[l]), (layer.updated_W, updated[l])):  # fmt: skip
                compare(got, want, err_msg=case.describe())
            if layer.dl_dbeta is not None:
                compare(layer.dl_dbeta, bwd.grad_betas[l], err_msg=case.describe())


def _close(got, want, err_msg=""):
    scale = max(1.0, float(np.max(np.abs(want))))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15 * scale, err_msg=err_msg)


def _assert_bit_identical(a, b):
    assert a.loss == b.loss
    np.testing.assert_array_equal(a.y_hat, b.y_hat)
    np.testing.assert_array_equal(a.dy_hat_dalpha, b.dy_hat_dalpha)
    for la, lb in zip(a.layers, b.layers):
        for name in ("alpha", "beta", "delta", "grad_W", "updated_W", "input"):
            np.testing.assert_array_equal(getattr(la, name), getattr(lb, name))


# ---------------------------------------------------------------------------
# Stacks: the rounding hook works over leading batch axes


@pytest.mark.parametrize(
    "activations, loss_name, train_bias",
    [
        (("tanh", "sigmoid"), "squared_error", True),
        (("relu", "softmax"), "squared_error", False),  # softmax's Jacobian, entry by entry
        (("sigmoid", "softmax"), "cross_entropy", True),
        (("leaky_relu", "sigmoid"), "binary_cross_entropy", False),
    ],
)
def test_a_stack_of_problems_rounds_like_each_problem(activations, loss_name, train_bias):
    rng = np.random.default_rng(5)
    n = 4
    weights = (rng.normal(size=(n, 4, 3)), rng.normal(size=(n, 4, 2)))
    x = rng.normal(size=(n, 3))
    y = np.array([[1.0, 0.0], [0.0, 1.0], [0.3, 0.7], [1.0, 0.0]])
    acts = [ACTIVATIONS[a] for a in activations]
    loss = LOSSES[loss_name]
    rnd = Rounding(3).apply

    fwd = network.forward(weights, x, acts, True, rnd)
    value = network.loss_value(y, fwd, acts, loss, rnd)
    bwd = network.backward(weights, fwd, y, acts, loss, True, rnd)
    updated = network.update(weights, bwd.grads, 0.5, True, train_bias, rnd)
    assert value.shape == (n,) and bwd.grads[0].shape == (n, 4, 3)
    for b in range(n):
        one = tuple(W[b] for W in weights)
        f1 = network.forward(one, x[b], acts, True, rnd)
        b1 = network.backward(one, f1, y[b], acts, loss, True, rnd)
        u1 = network.update(one, b1.grads, 0.5, True, train_bias, rnd)
        assert value[b] == network.loss_value(y[b], f1, acts, loss, rnd)
        for stacked, single in (
            (fwd.alphas, f1.alphas), (fwd.betas, f1.betas), (bwd.deltas, b1.deltas),
            (bwd.grads, b1.grads), (updated, u1),
        ):  # fmt: skip
            for S, s1 in zip(stacked, single):
                np.testing.assert_array_equal(S[b], s1)
        np.testing.assert_array_equal(bwd.grad_betas[0][b], b1.grad_betas[0])
        if not train_bias:
            np.testing.assert_array_equal(updated[0][b, 0], weights[0][b, 0])
    for values in (*fwd.alphas, *fwd.betas, *bwd.deltas, *bwd.grads, bwd.grad_betas[0], value):
        np.testing.assert_array_equal(Rounding(3).apply(values), values)
    assert bwd.grad_betas[1] is None


def test_rounded_softmax_delta_sums_the_rounded_jacobian():
    act = ACTIVATIONS["softmax"]
    alpha = np.array([0.3, -1.2, 2.0])
    beta = Rounding(3).apply(act.value(alpha))
    g = np.array([0.25, -0.5, 0.125])
    J = Rounding(3).apply(act.jacobian(alpha, beta))
    expected = [sum(g[m] * J[m, k] for m in range(3)) for k in range(3)]
    np.testing.assert_allclose(act.backward(alpha, beta, g, Rounding(3).apply), expected, rtol=1e-15)
    # without rnd: the exact vector-Jacobian product, as before
    np.testing.assert_allclose(act.backward(alpha, beta, g), act.jacobian(alpha, beta).T @ g, rtol=1e-12)


def _problem_file(name: str) -> Problem:
    return load_problem(str(PROBLEMS / name))
