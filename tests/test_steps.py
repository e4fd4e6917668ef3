"""SGD step by step: a problem with examples, run one update per example, in order."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest

from conftest import PROBLEMS, assert_usage_error, invoke, run_json

STEPS = str(PROBLEMS / "sgd_steps.yaml")


def single(write, x, y, W1, W2) -> dict:
    text = f"x: {x}\ny: {y}\nW1: {W1}\nW2: {W2}\nactivation: sigmoid\nloss: squared_error\nlearning_rate: 2\n"
    return run_json(write(text, name=f"single-{abs(hash(text))}.yaml"))


def same_weights(got: dict, expected: dict) -> None:
    assert got.keys() == expected.keys()
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-12, atol=0, err_msg=name)


def test_two_steps_equal_two_single_runs(write):
    steps = run_json(STEPS)
    assert steps["schema"] == "nnsolve.steps/1" and steps["epochs"] == 1 and len(steps["steps"]) == 2
    first = single(write, [2, 5], [1], [[-1, 2], [-2, 1], [1, 4]], [[1], [2], [-4]])
    second = single(write, [1, -1], [0], first["updated"]["W1"], first["updated"]["W2"])
    # two code paths: the same numbers to a relative 1e-12, not necessarily the same bits
    same_weights(steps["steps"][0]["updated"], first["updated"])
    np.testing.assert_allclose(steps["steps"][1]["problem"]["W1"], first["updated"]["W1"], rtol=1e-12, atol=0)
    same_weights(steps["steps"][1]["updated"], second["updated"])
    same_weights(steps["final"], second["updated"])
    assert [(s["epoch"], s["example"]) for s in steps["steps"]] == [(1, 1), (1, 2)]


def test_epochs_repeat_the_pass():
    two = run_json(STEPS, "--epochs", "2")
    assert two["epochs"] == 2 and len(two["steps"]) == 4
    assert [(s["epoch"], s["example"]) for s in two["steps"]] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert two["steps"][2]["problem"]["W2"] == two["steps"][1]["updated"]["W2"]
    losses = [s["loss"] for s in two["steps"]]
    assert losses[2] < losses[0] and losses[3] < losses[1]  # the second pass fits better
    jsonschema.Draft7Validator(json.loads(invoke("schema", "steps").stdout)).validate(two)


def test_epochs_on_a_single_example_repeat_it():
    data = run_json("--epochs", "3")
    assert len(data["steps"]) == 3 and all(s["example"] == 1 for s in data["steps"])
    assert data["steps"][0]["updated"]["W2"][1][0] == pytest.approx(2.09247804, abs=5e-9)


def test_terminal_shows_each_step_and_its_weights():
    out = invoke("run", STEPS).stdout
    assert out.count("Step ") >= 2 and "Step 1 of 2: epoch 1, example 1: x = [2, 5], y = [1]" in out
    assert "Step 2 of 2: epoch 1, example 2: x = [1, -1], y = [0]" in out
    assert out.count("Updated weights") == 2
    md = invoke("run", STEPS, "--format", "markdown").stdout
    assert "\n# Step 1 of 2" in md and "\n## Q3." in md


def test_grad_uses_the_first_example():
    g = json.loads(invoke("grad", "W1[2,1]", STEPS, "--json").stdout)
    assert g["gradient"] == pytest.approx(-0.23119511, abs=5e-9)
    assert "this is the first step, on the first" in invoke("grad", "W1[2,1]", STEPS).stdout


@pytest.mark.parametrize(
    "text, fragments",
    [
        ("x: [1]\nexamples: [{x: [1], y: [1]}]\nW1: [[1], [1]]\nlearning_rate: 1\n", ["x", "beside examples"]),
        ("examples: {x: [1], y: [1]}\nW1: [[1], [1]]\nlearning_rate: 1\n", ["examples", "not a list of examples"]),
        ("examples: [{x: [1]}]\nW1: [[1], [1]]\nlearning_rate: 1\n", ["examples 1: y", "missing"]),
        ("examples: [{x: [1], y: [1], z: 2}]\nW1: [[1], [1]]\nlearning_rate: 1\n", ["examples 1: z", "unknown key"]),
        ("examples: [{x: [1], y: [1]}, {x: [1, 2], y: [0]}]\nW1: [[1], [1]]\nlearning_rate: 1\n", ["examples 2: x", "example 1 has 1"]),
        ("examples: [{x: [1], y: [1]}, {x: [2], y: [3]}]\nW1: [[1], [1]]\nloss: binary_cross_entropy\nlearning_rate: 1\n", ["examples 2: y", "[0, 1]"]),
        ("examples: [{x: [1], y: [1]}, 5]\nW1: [[1], [1]]\nlearning_rate: 1\n", ["examples 2", "not an example"]),
        ("examples: [{x: [.nan], y: [1]}]\nW1: [[1], [1]]\nlearning_rate: 1\n", ["examples 1: x", "not a finite number"]),
    ],
)
def test_bad_examples(write, text, fragments):
    assert_usage_error(invoke("run", write(text)), *fragments)


def test_given_needs_one_step():
    assert_usage_error(invoke("run", STEPS, "--given", "beta1=[0.5,0.999]"), "--given works on one step")
    assert_usage_error(invoke("run", "--epochs", "0"), "--epochs")


def test_round_steps():
    data = run_json(STEPS, "--round", "3")
    assert data["steps"][0]["layers"][0]["beta"] == [0.5, 1.0]
    assert data["steps"][1]["problem"]["W2"] == data["steps"][0]["updated"]["W2"]
    assert np.all(np.round(np.array(data["final"]["W1"]), 3) == np.array(data["final"]["W1"]))
