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


def test_numbers_of_an_array_are_number_of_each():
    """render.problem_file.numbers (a class's key sheets, made at once) writes what number writes
    for each value: around every edge of repr's exponent (1e-4, 1e16), the whole-number limit
    (1e15), zeros of both signs, subnormals, the largest floats, infinities and NaN."""
    from nnsolve.render.problem_file import number, numbers

    rng = np.random.default_rng(5)
    edges = np.array([1e-4, 2e-4, 1e15, 1e16, 5e15, 1.0, 0.5, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308])
    with np.errstate(over="ignore"):  # the largest float's next is an infinity
        near = np.concatenate([np.nextafter(edges, 0), edges, np.nextafter(edges, np.inf)])
    values = np.concatenate([
        near, -near, [0.0, -0.0, np.inf, -np.inf, np.nan],
        rng.normal(size=2000) * 10.0 ** rng.integers(-320, 300, size=2000),
        np.round(rng.normal(size=500) * 10.0 ** rng.integers(0, 18, size=500)),
        rng.integers(-20, 21, size=200) / 10,
    ])
    assert numbers(values) == [number(v) for v in values.tolist()]
    assert numbers(values.reshape(-1, 5)) == [number(v) for v in values.tolist()]  # flattened, in order
    assert numbers(np.array(2.0)) == ["2"] and numbers([]) == []


def _old_text(value) -> str:
    """How a key sheet wrote a value (as tolist() gives it) before its numbers were made at once."""
    from nnsolve.render.problem_file import number

    if not isinstance(value, list):
        return number(value)
    if not isinstance(value[0], list):
        return number(value[0]) if len(value) == 1 else "[" + ", ".join(map(number, value)) + "]"
    if len(value) == 1 and len(value[0]) == 1:
        return number(value[0][0])
    return "[" + ", ".join("[" + ", ".join(map(number, row)) + "]" for row in value) + "]"


@pytest.mark.parametrize("shape", [(), (1,), (3,), (1, 1), (1, 4), (3, 1), (3, 2)])
def test_key_sheet_values_are_written_as_before(shape):
    """answer_sheet._texts: a number for a single value, a list, a list of rows; as one at a time."""
    from nnsolve.render.answer_sheet import _texts

    values = np.random.default_rng(len(shape)).normal(size=(7,) + shape) * 10.0 ** np.arange(-3, 4).reshape((7,) + (1,) * len(shape))
    values[0] = np.round(values[0])
    assert _texts(values) == [_old_text(v.tolist()) for v in values]


def test_a_class_of_problem_files_is_each_problem_file():
    """render.problem_file.problem_yamls (new's variants, their numbers made at once) writes each
    problem as problem_yaml does: every shape, with and without bias rows, kept biases, odd
    thresholds, titles that need quoting, tenths and whole numbers."""
    from nnsolve.render.problem_file import problem_yaml, problem_yamls
    from nnsolve.variant_drawing import Shape, generate

    for sizes, acts, loss, bias, train_bias, threshold, decimals in [
        ((2, 2, 1), ("sigmoid", "sigmoid"), "squared_error", True, True, 0.5, 0),
        ((3, 4, 2), ("tanh", "softmax"), "cross_entropy", True, False, 0.5, 1),
        ((1, 3, 2, 1), ("relu", "leaky_relu", "sigmoid"), "binary_cross_entropy", False, True, 0.25, 1),
        ((4, 1), ("linear",), "mse", True, True, 0.5, 0),
    ]:
        shape = Shape(sizes, acts, loss, bias, train_bias, threshold, decimals, None, 'A "quoted" \\\\ title')
        problems, _ = generate(shape, 12, seed=len(sizes))
        comments = [[f"variant {k}", "second line "] for k in range(len(problems))]
        expected = [
            problem_yaml(comments=c, title=p.title, x=p.x, y=p.y, weights=p.weights, activations=p.activations, loss=p.loss,
                         learning_rate=p.learning_rate, threshold=p.threshold, bias=p.bias, train_bias=p.train_bias)
            for p, c in zip(problems, comments)
        ]
        assert list(problem_yamls(problems, comments)) == expected
