"""Reliability: numbers up to 1e6 and learning rates from 1e-12 to 1e6 give finite results for every
activation and loss; past float64 the run names what overflowed; training that diverges stops
with the last good weights. The fuzzing of every input path is in test_fuzz.py."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nnsolve import network
from nnsolve import chain
from nnsolve.problem import load_problem, parse_problem
from nnsolve.render.json import grad_all_dict, grad_dict, solution_dict
from nnsolve.rounding import Rounding
from nnsolve.solution import solve, solve_many

from conftest import PROBLEMS, ROOT, assert_usage_error, invoke, numbers_in, strict_json

XOR = PROBLEMS / "xor.yaml"
XOR_DATA = ROOT / "problems" / "data" / "xor.csv"


# =============================================================================================
# Numerical extremes

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]
OUTPUT_LOSS = [
    ("sigmoid", "squared_error"), ("sigmoid", "mse"), ("sigmoid", "binary_cross_entropy"), ("sigmoid", "cross_entropy"),
    ("softmax", "cross_entropy"), ("softmax", "squared_error"), ("tanh", "mse"), ("relu", "squared_error"),
    ("leaky_relu", "mse"), ("linear", "squared_error"),
]


def extreme_problem(hidden: str, output: str, loss: str, size: float, rate: float) -> str:
    n_out = 2 if output == "softmax" else 1
    y = "[0, 1]" if n_out == 2 else "[1]"
    s = repr(size)
    W2 = [[-size] * n_out, [size] * n_out, [-size / 3] * n_out]
    if n_out == 2:
        W2 = [[-size, size], [size, -size / 2], [size / 3, -size]]
    return (
        f"x: [{s}, {-size!r}]\ny: {y}\n"
        f"W1: [[{s}, {-size!r}], [{-size!r}, {s}], [{size / 2!r}, {s}]]\n"
        f"W2: {json.dumps(W2)}\n"
        f"activation: [{hidden}, {output}]\nloss: {loss}\nlearning_rate: {rate!r}\n"
    )


SIZES = [1e-12, 1.0, 1e3, 1e6]
RATES = [1e-12, 1.0, 1e6]


def all_finite(data) -> bool:
    return bool(np.all(np.isfinite(numbers_in(strict_json(json.dumps(data, allow_nan=True))))))


@pytest.mark.parametrize("output,loss", OUTPUT_LOSS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_numbers_up_to_1e6_give_finite_results(hidden, output, loss):
    """Weights and inputs of size up to 1e6, learning rates from 1e-12 to 1e6, every activation
    and loss: every number of the solution (exact, and rounded to 4 decimals) and of every
    weight's chain rule is finite. The grid's sizes and rates are solved as one stacked
    computation, as `new` and `check` solve a class; the CLI runs of the corners follow."""
    problems = [parse_problem(extreme_problem(hidden, output, loss, size, rate)) for size in SIZES for rate in RATES]
    for problem, solution in zip(problems, solve_many(problems)):
        where = (problem.weights[0][0, 0], problem.learning_rate)
        assert all_finite(solution_dict(solution)), where
        grads = [chain.gradient_of(solution, *w) for w in chain.all_weights(solution)]
        assert all_finite(grad_all_dict(grads)) and all_finite(grad_dict(grads[0])), where
        one = solve(problem)  # the stacked computation is the one-problem solve
        np.testing.assert_allclose(solution.y_hat, one.y_hat, rtol=1e-12, atol=1e-300)
        rounded = solve(problem, Rounding(4))
        assert all_finite(solution_dict(rounded)), where


@pytest.mark.parametrize("hidden, output, loss, size, rate", [
    ("sigmoid", "sigmoid", "binary_cross_entropy", 1e6, 1e6),
    ("relu", "softmax", "cross_entropy", 1e-12, 1e-12),
    ("tanh", "linear", "squared_error", 1e3, 1.0),
    ("leaky_relu", "tanh", "mse", 1e6, 1e-12),
    ("linear", "softmax", "squared_error", 1e6, 1e6),
])
def test_the_corners_of_the_grid_through_the_cli(tmp_path, hidden, output, loss, size, rate):
    path = tmp_path / "p.yaml"
    path.write_text(extreme_problem(hidden, output, loss, size, rate), encoding="utf-8")
    for args in (["run", str(path), "--json"], ["grad", "--all", str(path), "--json"], ["run", str(path), "--round", "4", "--json"],
                 ["grad", "W1[1,1]", str(path), "--json"]):
        result = invoke(*args)
        assert result.exit_code == 0, (args, result.stderr)
        assert all(np.isfinite(numbers_in(strict_json(result.stdout)))), args


@pytest.mark.parametrize(
    "text, quantity",
    [
        # alpha1 = 1e200 * 1e200: past float64 in the first step
        ("x: [1e200, 1]\ny: [1]\nW1: [[0], [1e200], [0]]\nW2: [[0], [1]]\nactivation: linear\nlearning_rate: 1\n", "alpha1 overflows float64"),
        # a finite gradient times a learning rate of 1e300
        ("x: [1e10, 1]\ny: [0]\nW1: [[0], [1], [0]]\nW2: [[0], [1]]\nactivation: linear\nlearning_rate: 1e300\n", "the updated W1 overflows float64"),
        # (y - y_hat)^2 of y_hat = 1e155
        ("x: [1, 1]\ny: [0]\nW1: [[0], [1], [0]]\nW2: [[1e155], [0]]\nactivation: [sigmoid, linear]\nlearning_rate: 1\n", "the loss overflows float64"),
    ],
)
def test_past_float64_the_run_names_what_overflowed(tmp_path, text, quantity):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    for args in (["run", str(path), "--json"], ["run", str(path)], ["grad", "--all", str(path)], ["draw", str(path)]):
        line = assert_usage_error(invoke(*args), str(path), "overflows float64 (larger than 1.8e308)", "use smaller weights, inputs or learning rate")
        assert quantity in line, line


@pytest.mark.parametrize("a", [-1e308, -1e6, -746.0, -40.0, -1e-300, 0.0, 1e-300, 40.0, 710.0, 1e6, 1e308])
def test_sigmoid_softmax_and_the_log_losses_are_stable(a):
    """No overflow, no NaN and no warning (warnings are errors in the tests), wherever alpha is."""
    alpha = np.array([a])
    s = network.ACTIVATIONS["sigmoid"].value(alpha)
    assert np.all((s >= 0) & (s <= 1))
    assert np.all(np.isfinite(network.ACTIVATIONS["tanh"].value(alpha)))
    for y in (0.0, 1.0, 0.5):
        bce = network.LOSSES["binary_cross_entropy"].value(np.array([y]), alpha, s, network.ACTIVATIONS["sigmoid"])
        ce = network.LOSSES["cross_entropy"].value(np.array([y]), alpha, s, network.ACTIVATIONS["sigmoid"])
        assert np.isfinite(bce) and bce >= 0 and np.isfinite(ce) and ce >= 0, (a, y, bce, ce)
    alphas = np.array([a, 0.0, a / 2, -a / 4])  # no two more than 1.25 |a| apart: their differences stay finite
    soft = network.ACTIVATIONS["softmax"].value(alphas)
    assert np.all(np.isfinite(soft)) and abs(np.sum(soft) - 1) < 1e-12
    for k in range(4):
        y = np.eye(4)[k]
        ce = network.LOSSES["cross_entropy"].value(y, alphas, soft, network.ACTIVATIONS["softmax"])
        assert np.isfinite(ce) and ce >= 0, (a, k, ce)


DIVERGES = """x: [0, 0]
y: [0]
W1: [[-1, 2], [-2, 1], [1, 4]]
W2: [[1], [2], [-4]]
activation: [linear, linear]
loss: squared_error
learning_rate: {rate}
"""


def _weights(path: Path) -> list:
    problem = load_problem(str(path))
    return [W.tolist() for W in problem.weights]


def test_training_that_diverges_stops_with_the_last_good_weights(tmp_path):
    problem = tmp_path / "diverges.yaml"
    problem.write_text(DIVERGES.format(rate=0.15), encoding="utf-8")
    common = ["train", str(problem), "--data", str(XOR_DATA), "--no-shuffle"]
    result = invoke(*common, "--epochs", "100", "--json", "--save", str(tmp_path / "kept.yaml"))
    assert result.exit_code == 1, result.stderr
    records = [strict_json(line) for line in result.stdout.splitlines()]
    assert [r["epoch"] for r in records] == [1, 2, 3, 4]
    assert all(np.isfinite(numbers_in(records)))
    said = [line for line in result.stderr.splitlines() if "diverged" in line]
    assert said == [
        "nnsolve: training diverged in epoch 5: W1 is no longer a finite number; stopped and kept the weights after "
        "epoch 4; try a smaller learning_rate in the problem file or a larger --batch-size"
    ]
    kept = _weights(tmp_path / "kept.yaml")  # a problem file nnsolve reads again: no NaN in it
    assert all(np.isfinite(numbers_in(kept)))
    assert "diverged in epoch 5" in (tmp_path / "kept.yaml").read_text(encoding="utf-8")
    # the weights kept are those of epoch 4, exactly
    result = invoke(*common, "--epochs", "4", "--save", str(tmp_path / "four.yaml"))
    assert result.exit_code == 0, result.stderr
    assert kept == _weights(tmp_path / "four.yaml")


def test_training_that_diverges_at_once_keeps_the_starting_weights(tmp_path):
    problem = tmp_path / "diverges.yaml"
    problem.write_text(DIVERGES.format(rate=1e6), encoding="utf-8")
    result = invoke("train", str(problem), "--data", str(XOR_DATA), "--epochs", "5", "--save", str(tmp_path / "kept.yaml"))
    assert result.exit_code == 1
    assert "diverged in epoch 1" in result.stderr and "kept the starting weights" in result.stderr
    assert _weights(tmp_path / "kept.yaml") == _weights(problem)
    assert "nan" not in result.stdout.lower() and "inf" not in result.stdout.lower()


def _dtypes() -> list[list[str]]:
    from nnsolve.cli.train import train

    has_dtype = any(p.name == "dtype" for p in train.params)
    return [[]] + ([["--dtype", "float32"]] if has_dtype else [])


@pytest.mark.parametrize("dtype", _dtypes(), ids=lambda d: d[-1] if d else "float64")
def test_training_that_diverges_saves_only_finite_weights(tmp_path, dtype):
    problem = tmp_path / "diverges.yaml"
    problem.write_text(DIVERGES.format(rate=0.15), encoding="utf-8")
    save = tmp_path / "kept.yaml"
    result = invoke("train", str(problem), "--data", str(XOR_DATA), "--no-shuffle", "--epochs", "100", "--json", "--save", str(save), *dtype)
    assert result.exit_code == 1, result.stderr
    assert "training diverged in epoch" in result.stderr
    assert all(np.isfinite(numbers_in([strict_json(line) for line in result.stdout.splitlines()])))
    assert all(np.isfinite(numbers_in(_weights(save))))


@pytest.mark.parametrize("dtype", _dtypes(), ids=lambda d: d[-1] if d else "float64")
@pytest.mark.parametrize("rate", ["1e-12", "1e6"])
def test_training_at_the_extreme_learning_rates_never_shows_nan(tmp_path, rate, dtype):
    problem = tmp_path / "p.yaml"
    problem.write_text(XOR.read_text(encoding="utf-8").replace("learning_rate: ", f"learning_rate: {rate} #"), encoding="utf-8")
    result = invoke("train", str(problem), "--data", str(XOR_DATA), "--epochs", "5", "--json", *dtype)
    assert result.exit_code in (0, 1), result.stderr
    assert all(np.isfinite(numbers_in([strict_json(line) for line in result.stdout.splitlines()])))
    if rate == "1e-12":
        assert result.exit_code == 0
