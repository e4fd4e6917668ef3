"""Issue 18: what a newcomer trips on, each through the CLI as a user types it."""

from __future__ import annotations

import pytest

from conftest import PROBLEM_FILES, PROBLEMS, assert_usage_error, invoke

WORKSHEET = "x: [2, 5]\ny: [1]\nW1: [[-1, 2], [-2, 1], [1, 4]]\nW2: [[1], [2], [-4]]\nlearning_rate: 2\n"


# -- 1: the fixes messages give --------------------------------------------------------------


@pytest.mark.parametrize(
    "text, fragments",
    [
        # a 2 x 3 W1 for 3 inputs: written neurons x inputs; the right shape is 4 x 2, not 4 x 3
        ("x: [1, 2, 3]\ny: [1]\nW1: [[1, 2, 3], [4, 5, 6]]\nW2: [[1], [2], [3]]\n",
         ["W1: has 2 rows; 3 inputs plus the bias row need 4", "looks transposed", "make W1 4 x 2"]),
        ("x: [1, 2, 3]\ny: [1]\nbias: false\nW1: [[1, 2, 3], [4, 5, 6]]\nW2: [[1], [2]]\n",
         ["W1: has 2 rows; 3 inputs need 3", "looks transposed", "write its transpose, 3 x 2"]),
        # the bias as a column: the transpose fits as it is
        ("x: [1, 2, 3]\ny: [1]\nW1: [[0, 1, 2, 3], [0, 4, 5, 6]]\nW2: [[1], [2], [3]]\n",
         ["looks transposed", "its 4 columns match the bias and the inputs", "write its transpose, 4 x 2"]),
        # an output layer written as a row: 1 x 3 for 2 hidden neurons and the bias
        (WORKSHEET.replace("W2: [[1], [2], [-4]]", "W2: [[1, 2, -4]]"), ["W2: has 1 row", "looks transposed", "write its transpose, 3 x 1"]),
    ],
)
def test_a_transposed_matrix_is_named_so_with_the_right_shape(write, text, fragments):
    line = assert_usage_error(invoke("run", write(text)), *fragments)
    assert "make W1 4 x 3" not in line and "make W1 3 x 3" not in line


def test_a_bias_row_missing_still_says_add_it(write):
    text = WORKSHEET.replace("W1: [[-1, 2], [-2, 1], [1, 4]]", "W1: [[-2, 1], [1, 4]]")
    line = assert_usage_error(invoke("run", write(text)), "make W1 3 x 2")
    assert "transposed" not in line


@pytest.mark.parametrize(
    "loss, activation, meant",
    [
        ("categorical_cross_entropy", "sigmoid", "cross_entropy"),
        ("CategoricalCrossentropy", "sigmoid", "cross_entropy"),
        ("log_loss", "sigmoid", "binary_cross_entropy"),
        ("log_loss", "softmax", "cross_entropy"),
        ("nll", "softmax", "cross_entropy"),
        ("nll", "sigmoid", "binary_cross_entropy"),
        ("mean_squared_error", "sigmoid", "mse"),
        ("sse", "sigmoid", "squared_error"),
        ("bce", "sigmoid", "binary_cross_entropy"),
    ],
)
def test_a_loss_by_another_name_points_to_nnsolves(write, loss, activation, meant):
    text = "x: [2, 5]\ny: [0, 1]\nW1: [[-1, 2], [-2, 1], [1, 4]]\n" f"activation: {activation}\nloss: {loss}\n"
    assert_usage_error(invoke("run", write(text)), f"unknown loss '{loss}'", f"did you mean '{meant}'?")


def test_a_bias_vector_in_a_bias_row_file_points_to_the_conventions(write):
    assert_usage_error(invoke("run", write(WORKSHEET + "b1: [1, 2]\n")), "b1:", "row 0 of W1", "convention: Wx+b")
