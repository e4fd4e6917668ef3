"""`nnsolve grad`: the chain rule for one weight, factor by factor."""

from __future__ import annotations

import json
import math

import jsonschema
import pytest

from nnsolve import chain
from nnsolve.solution import solve
from conftest import PROBLEM_FILES, PROBLEMS, assert_usage_error, invoke, run_json
from random_networks import as_problem, make_case


def grad_json(*args: str) -> dict:
    result = invoke("grad", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def schema(name: str) -> dict:
    return json.loads(invoke("schema", name).stdout)


def path_sum(paths) -> float:
    return sum(math.prod(f["value"] if isinstance(f, dict) else f.value for f in path) for path in paths)


# -- the worksheet ---------------------------------------------------------------------------


def test_worksheet_W2_11_factors_in_the_worksheets_order():
    g = grad_json("W2[1,1]")
    assert (g["weight"], g["layer"], g["row"], g["column"], g["value"]) == ("W2[1,1]", 2, 1, 1, 2.0)
    [path] = g["paths"]
    assert [f["symbol"] for f in path] == ["dl/dy_hat", "dy_hat/dalpha2", "dalpha2/dW2[1,1]"]
    assert [f["formula"] for f in path] == ["-(y - y_hat)", "y_hat(1 - y_hat)", "beta1_1"]
    assert path[2]["value"] == 0.5
    assert g["gradient"] == pytest.approx(-0.04623902, abs=5e-9)
    assert g["updated"] == pytest.approx(2.09247804, abs=5e-9)
    assert g["learning_rate"] == 2


def test_worksheet_W1_21_has_the_five_factors():
    g = grad_json("W1[2,1]")
    [path] = g["paths"]
    assert [f["symbol"] for f in path] == [
        "dl/dy_hat", "dy_hat/dalpha2", "dalpha2/dbeta1_1", "dbeta1_1/dalpha1_1", "dalpha1_1/dW1[2,1]",
    ]
    assert [f["formula"] for f in path] == ["-(y - y_hat)", "y_hat(1 - y_hat)", "W2[1,1]", "beta1_1(1 - beta1_1)", "x_2"]
    assert [f["value"] for f in path][2:] == [2.0, 0.25, 5.0]
    assert g["gradient"] == pytest.approx(-0.23119511, abs=5e-9)
    assert g["updated"] == pytest.approx(1.46239022, abs=5e-9)


def test_terminal_shows_the_working():
    out = invoke("grad", "W1[2,1]").stdout
    for text in (
        "W1[2,1] affects ŷ only through α¹₁, β¹₁ and α², from x₂",
        "∂ℓ/∂W1[2,1] = ∂ℓ/∂ŷ · ∂ŷ/∂α² · ∂α²/∂β¹₁ · ∂β¹₁/∂α¹₁ · ∂α¹₁/∂W1[2,1]",
        "−(1 − 0.11920292)",
        "0.5(1 − 0.5)",
        "(-0.88079708)(0.10499359)(2)(0.25)(5) = -0.23119511",
        "new W1[2,1] = W1[2,1] − λ ∂ℓ/∂W1[2,1] = 1 − (2)(-0.23119511) = 1.46239022",
    ):
        assert text in out, text
    assert "W2[1,1] affects ŷ only through α², from β¹₁" in invoke("grad", "W2[1,1]").stdout


@pytest.mark.parametrize("spelling", ["W2[1,1]", "W^2_{11}", "W2_11", "w2[1][1]", "W^{2}_{1,1}", "W2(1,1)", " W2[ 1 , 1 ] ", "dl/dW2[1,1]", "W2_1_1"])
def test_every_spelling_names_the_same_weight(spelling):
    assert grad_json(spelling)["weight"] == "W2[1,1]"


def test_bias_weight_has_dalpha_dw_1():
    path = grad_json("W1[0,2]")["paths"][0]
    assert path[-1] == {"symbol": "dalpha1_2/dW1[0,2]", "formula": "1", "value": 1.0}
    assert "from the bias term 1" in invoke("grad", "W1[0,2]").stdout


def test_train_bias_false_says_the_bias_stays(write):
    path = write((PROBLEMS / "worksheet.yaml").read_text() + "train_bias: false\n")
    g = grad_json("W2[0,1]", path)
    assert g["trained"] is False and g["updated"] == g["value"] == 1.0
    assert g["gradient"] != 0
    assert "is a bias weight and train_bias is false: it stays 1." in invoke("grad", "W2[0,1]", path).stdout
    assert grad_json("W2[1,1]", path)["trained"] is True


def test_softmax_cross_entropy_factor_is_y_hat_minus_y():
    g = grad_json("W2[1,2]", str(PROBLEMS / "softmax_cross_entropy.yaml"))
    assert len(g["paths"]) == 1
    first = g["paths"][0][0]
    assert first["symbol"] == "dl/dalpha2_2" and first["formula"] == "y_hat_2 - y_2"
    data = run_json(str(PROBLEMS / "softmax_cross_entropy.yaml"))
    assert first["value"] == pytest.approx(data["y_hat"][1] - data["y"][1] if "y" in data else data["y_hat"][1] - data["problem"]["y"][1])


def test_several_outputs_sum_over_paths():
    g = grad_json("W1[1,1]", str(PROBLEMS / "two_outputs.yaml"))
    assert g["path_count"] == 2 and len(g["paths"]) == 2
    assert path_sum(g["paths"]) == pytest.approx(g["gradient"], rel=1e-12)
    out = invoke("grad", "W1[1,1]", str(PROBLEMS / "two_outputs.yaml")).stdout
    assert "reaches the loss by 2 paths" in out and "Path 2:" in out


def test_past_eight_paths_the_delta_recursion_is_shown(write):
    # 1 -> 3 -> 5 -> 2: a weight of W1 reaches the loss through 5 neurons, then 2 outputs: 10 paths
    path = write(
        "x: [1]\ny: [1, 0]\nW1: [[0.1, 0.2, 0.3], [1, -1, 0.5]]\n"
        "W2: [[0, 0, 0, 0, 0], [1, 2, 3, -1, 1], [-1, 0.5, 1, 2, 1], [0.2, -0.3, 0.4, 1, -1]]\n"
        "W3: [[0, 0], [1, -1], [0.5, 0.5], [-1, 2], [1, 1], [2, -2]]\nactivation: tanh\nlearning_rate: 1\n"
    )
    out = invoke("grad", "W1[1,1]", path).stdout
    assert "by 10 paths" in out
    assert "δ¹₁ · ∂α¹₁/∂W1[1,1]" in out and "Σₖ" in out and "Path 1:" not in out
    g = grad_json("W1[1,1]", path)
    assert g["path_count"] == 10 and len(g["paths"]) == 10
    assert path_sum(g["paths"]) == pytest.approx(g["gradient"], rel=1e-12)


def test_all_lists_every_weight():
    data = json.loads(invoke("grad", "--all", "--json").stdout)
    jsonschema.Draft7Validator(schema("grad-all")).validate(data)
    assert [w["weight"] for w in data["weights"]] == [
        "W1[0,1]", "W1[0,2]", "W1[1,1]", "W1[1,2]", "W1[2,1]", "W1[2,2]", "W2[0,1]", "W2[1,1]", "W2[2,1]",
    ]
    out = invoke("grad", "--all", str(PROBLEMS / "worksheet.yaml")).stdout
    assert "W1[2,1]" in out and "-0.23119511" in out and "1.46239022" in out


# -- every weight of random networks ---------------------------------------------------------


@pytest.mark.parametrize("seed", range(0, 240, 3))
def test_paths_sum_to_the_gradient_of_run_for_every_weight(seed):
    case = make_case(seed)
    solution = solve(as_problem(case))
    for layer, i, j in chain.all_weights(solution):
        g = chain.gradient_of(solution, layer, i, j)
        assert g.path_count >= len(g.paths) >= 1
        total = path_sum(g.paths)
        assert total == pytest.approx(g.gradient, rel=1e-9, abs=1e-12), (case.describe(), g.weight)
        r = i - (0 if case.bias else 1)
        assert g.gradient == solution.layers[layer - 1].grad_W[r, j - 1]


def test_grad_json_equals_run_json_on_every_problem_file():
    for path in PROBLEM_FILES:
        run = run_json(str(path))
        if run["schema"].startswith("nnsolve.steps/"):
            run = run["steps"][0]  # grad works on the first example, the first step
        batch = run["schema"].startswith("nnsolve.batch/")  # each example's derivative, and their mean (or sum)
        validator = jsonschema.Draft7Validator(schema("grad-batch" if batch else "grad"))
        for w in json.loads(invoke("grad", "--all", str(path), "--json").stdout)["weights"]:
            g = grad_json(w["weight"], str(path))
            validator.validate(g)
            for part, value in (("gradients", g["gradient"]), ("updated", g["updated"])):
                if "parameter" not in g:  # the worksheet's bias-row form (versions 1 and 3 of it): row i from 0, the bias row
                    expected = run[part][f"W{g['layer']}"][g["row"]][g["column"] - 1]
                elif g["parameter"] == "b":  # version 2: as the convention writes it, from 1
                    expected = run[part][f"b{g['layer']}"][g["row"] - 1]
                else:
                    expected = run[part][f"W{g['layer']}"][g["row"] - 1][g["column"] - 1]
                assert value == pytest.approx(expected, rel=1e-12, abs=0), (path.name, g["weight"])
            if batch:
                for e in g["examples"]:
                    assert path_sum(e["paths"]) == pytest.approx(e["gradient"], rel=1e-9, abs=1e-15)
                total = sum(e["gradient"] for e in g["examples"])
                assert g["gradient"] == pytest.approx(total / len(g["examples"]) if g["batch"] == "mean" else total, rel=1e-12)
            else:
                assert path_sum(g["paths"]) == pytest.approx(g["gradient"], rel=1e-9, abs=1e-15)


# -- no learning rate: the derivative only --------------------------------------------------


def test_without_a_learning_rate_grad_shows_the_derivative_only(write):
    path = write((PROBLEMS / "worksheet.yaml").read_text().replace("learning_rate: 2", ""))
    g = grad_json("W1[2,1]", path)
    jsonschema.Draft7Validator(schema("grad")).validate(g)
    assert g["gradient"] == grad_json("W1[2,1]")["gradient"]
    assert (g["learning_rate"], g["updated"], g["exact_updated"]) == (None, None, None)
    rounded = grad_json("W1[2,1]", path, "--round", "3")
    jsonschema.Draft7Validator(schema("grad")).validate(rounded)
    assert rounded["gradient"] == -0.231 and rounded["updated"] is None and rounded["exact_updated"] is None
    for fmt in ("text", "markdown", "latex"):
        out = invoke("grad", "W1[2,1]", path, "--format", fmt).stdout
        assert "-0.23119511" in out
        assert "update" not in out and "new W" not in out and "lambda" not in out and "λ" not in out, fmt
    every = json.loads(invoke("grad", "--all", path, "--json").stdout)
    jsonschema.Draft7Validator(schema("grad-all")).validate(every)
    assert all(w["learning_rate"] is None and w["updated"] is None for w in every["weights"])
    table = invoke("grad", "--all", path).stdout
    assert "-0.23119511" in table and "1.46239022" not in table and "λ" not in table


# -- bad references --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref, fragments",
    [
        ("W3[1,1]", ["W3[1,1]", "no layer 3", "layers are W1..W2"]),
        ("W0[1,1]", ["no layer 0"]),
        ("W2[3,1]", ["out of range", "W2 has rows 0..2 and columns 1..1"]),
        ("W2[1,2]", ["W2 has rows 0..2 and columns 1..1"]),
        ("W2[1,0]", ["columns 1..1"]),
        ("W1[1]", ["not a weight name", "W2[1,1]"]),
        ("alpha1", ["not a weight name"]),
        ("", ["not a weight name"]),
    ],
)
def test_bad_refs(ref, fragments):
    assert_usage_error(invoke("grad", ref), *fragments)


def test_grad_usage_errors(write):
    assert_usage_error(invoke("grad"), "name a weight", "--all")
    assert_usage_error(invoke("grad", "W2[1,1]", "--all"), "not both")
    assert_usage_error(invoke("grad", "W2[1,1]", "missing.yaml"), "missing.yaml", "no such file")
    no_bias = write("x: [1, 2]\ny: [1]\nW1: [[1], [2]]\nbias: false\nlearning_rate: 1\n")
    assert_usage_error(invoke("grad", "W1[0,1]", no_bias), "W1 has rows 1..2 and columns 1..1")
    assert grad_json("W1[2,1]", no_bias)["gradient"] == pytest.approx(run_json(no_bias)["gradients"]["W1"][1][0], rel=1e-12, abs=0)


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: p.stem)
def test_the_one_path_sentence_names_what_the_weight_goes_through(path):
    """'W2[1,1] affects ŷ only through α², from β¹₁': never an empty list, also where the output
    delta is ŷ − y and the route skips ŷ (softmax with cross-entropy, sigmoid with log loss)."""
    for weight in ("W2[1,1]", "W1[1,1]"):
        text = invoke("grad", weight, str(path)).stdout
        assert "through ," not in text and "through  " not in text, (path.name, weight)
        for line in text.splitlines():
            if " only through " in line:
                assert line.split(" only through ")[1].split(",")[0].strip(), line


def test_the_delta_recursion_indexes_w_as_the_convention_writes_it(write):
    """Past a handful of paths grad writes delta's recursion; in Wx+b W[k,j] goes from neuron j
    to neuron k of the layer after (W is neurons x inputs), in bias-row and xW+b W[j,k]."""
    import numpy as np
    import yaml

    rng = np.random.default_rng(3)
    sizes = [6, 5, 5, 3]  # 5 x 3 = 15 paths from W1: past MAX_WRITTEN_PATHS, the recursion
    weights = {f"W{l}": rng.integers(-2, 3, (sizes[l], sizes[l - 1])).tolist() for l in (1, 2, 3)}
    biases = {f"b{l}": [0] * sizes[l] for l in (1, 2, 3)}
    wxb = {"convention": "Wx+b", "x": rng.integers(-2, 3, 6).tolist(), "y": [0, 1, 0], **weights, **biases,
           "activation": ["tanh", "tanh", "sigmoid"], "loss": "squared_error", "learning_rate": 0.1}
    path = write(yaml.safe_dump(wxb), "wxb.yaml")
    text = " ".join(invoke("grad", "W1[2,3]", path).stdout.split())
    assert "δⱼ = f'(zⱼ) · Σₖ W[k,j] δₖ" in text, text[:600]
    for convention in ("bias-row", "xW+b"):
        converted = invoke("convert", path, "--to", convention)
        assert converted.exit_code == 0, converted.stderr
        other = write(converted.stdout, f"{convention}.yaml")
        weight = "W1[3,2]"  # the same weight: row 3 (input 3) to neuron 2, in both
        text = " ".join(invoke("grad", weight, other).stdout.split())
        assert "Σₖ W[j,k] δₖ" in text, (convention, text[:600])
