"""Batches with their working (issue 15, item 6): `examples:` plus `batch: mean|sum` makes one
update from the mean (or sum) of the examples' gradients, each example worked from the same
weights. The math against `train --batch-size N` and finite differences; run, grad, check and
draw on such a problem, in every format and in the Wx+b convention; bad input."""

from __future__ import annotations

import json
from dataclasses import replace

import jsonschema
import numpy as np
import pytest
import yaml

from nnsolve import network, training
from nnsolve.network import ACTIVATIONS, LOSSES
from nnsolve.notation import from_convention
from nnsolve.problem import Problem, load_problem, parse_problem
from nnsolve.rounding import Rounding
from nnsolve.solution import example_problems, solve, solve_batch, solve_steps

from conftest import PROBLEMS, assert_usage_error, invoke, run_json
from random_networks import KINK_MARGIN, KINKED, OUTPUT_LOSS_PAIRS, _labels, make_case

BATCH = PROBLEMS / "batch_mean.yaml"


def schema(name: str) -> dict:
    return json.loads(invoke("schema", name).stdout)


def json_of(*args: str) -> dict:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def random_batch(seed: int, n: int = 4, mode: str = "mean", train_bias: bool = True) -> Problem:
    """A random network of every (output activation, loss) pair in turn, with n examples for it,
    none of them near a relu kink (where a finite difference would straddle it)."""
    case = make_case(seed)
    rng = np.random.default_rng(500 + seed)
    acts = [ACTIVATIONS[a] for a in case.activations]
    k = case.weights[-1].shape[1]
    examples = []
    while len(examples) < n:
        x = rng.normal(0.0, 1.5, size=len(case.x))
        fwd = network.forward(case.weights, x, acts, case.bias)
        if all(np.min(np.abs(a)) >= KINK_MARGIN for a, name in zip(fwd.alphas, case.activations) if name in KINKED):
            examples.append((x, _labels(rng, case.activations[-1], case.loss, k)))
    return Problem(
        x=examples[0][0], y=examples[0][1], weights=case.weights, activations=case.activations, loss=case.loss,
        learning_rate=0.3, bias=case.bias, train_bias=train_bias or not case.bias, examples=tuple(examples),
        batch=mode, source=f"<random batch seed={seed}>",
    )


def batch_loss(problem: Problem, weights) -> float:
    """The batch's loss at these weights: the mean (or sum) of the examples' losses, from network."""
    acts = [ACTIVATIONS[a] for a in problem.activations]
    losses = [network.loss_value(y, network.forward(weights, x, acts, problem.bias), acts, LOSSES[problem.loss])
              for x, y in problem.examples]
    return float(np.mean(losses) if problem.batch == "mean" else np.sum(losses))


# -- the math --------------------------------------------------------------------------------------


def test_batch_mean_is_one_step_of_train_with_batch_size_n():
    """The issue's acceptance test: train on the same examples, batch size N, one epoch, no
    shuffle, from the same weights: the same weights after the step, to a relative 1e-12."""
    problem = load_problem(str(BATCH))
    X = np.array([x for x, _ in problem.examples])
    Y = np.array([y for _, y in problem.examples])
    history = training.train(training.Network.of(problem), X, Y, epochs=1, batch_size=len(X), shuffle=False)
    batch = solve_batch(problem)
    for got, want in zip(batch.updated, history.weights):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    assert batch.loss == pytest.approx(history.initial.loss, rel=1e-12)  # epoch 0: the loss at the starting weights


def test_batch_mean_is_one_step_of_the_train_command(tmp_path):
    """The same through the commands: `nnsolve train --batch-size 3 --epochs 1 --no-shuffle --save`."""
    data = tmp_path / "examples.csv"
    data.write_text("x1,x2,y\n" + "".join(f"{x[0]:g},{x[1]:g},{y[0]:g}\n" for x, y in load_problem(str(BATCH)).examples))
    saved = tmp_path / "trained.yaml"
    result = invoke("train", str(BATCH), "--data", str(data), "--epochs", "1", "--batch-size", "3", "--no-shuffle", "--save", str(saved))
    assert result.exit_code == 0, result.stderr
    trained = load_problem(str(saved))
    ran = run_json(str(BATCH))
    for l, W in enumerate(trained.weights, start=1):
        np.testing.assert_allclose(ran["updated"][f"W{l}"], W, rtol=1e-12, atol=0)


@pytest.mark.parametrize("seed", range(len(OUTPUT_LOSS_PAIRS)))
def test_random_batches_are_one_step_of_train(seed):
    for train_bias in (True, False):
        problem = random_batch(seed, 5, train_bias=train_bias)
        X = np.array([x for x, _ in problem.examples])
        Y = np.array([y for _, y in problem.examples])
        history = training.train(training.Network.of(problem), X, Y, epochs=1, batch_size=5, shuffle=False)
        for got, want in zip(solve_batch(problem).updated, history.weights):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("seed", range(0, 2 * len(OUTPUT_LOSS_PAIRS), 3))
@pytest.mark.parametrize("mode", ["mean", "sum"])
def test_the_combined_gradient_agrees_with_finite_differences_of_the_batch_loss(seed, mode):
    problem = random_batch(seed, 3, mode)
    batch = solve_batch(problem)
    assert batch.loss == pytest.approx(batch_loss(problem, problem.weights), rel=1e-12)
    scale = max(1.0, abs(batch.loss))
    for l, (W, G) in enumerate(zip(problem.weights, batch.grads)):
        for idx in np.ndindex(W.shape):
            h = 1e-6 * max(1.0, abs(W[idx]))
            plus, minus = [w.copy() for w in problem.weights], [w.copy() for w in problem.weights]
            plus[l][idx] += h
            minus[l][idx] -= h
            fd = (batch_loss(problem, plus) - batch_loss(problem, minus)) / (plus[l][idx] - minus[l][idx])
            assert abs(G[idx] - fd) <= 1e-5 * max(abs(G[idx]), abs(fd)) + 1e-7 * scale, (seed, mode, l + 1, idx, G[idx], fd)


def test_each_example_is_its_own_solve_from_the_same_weights_and_sum_is_n_times_mean():
    problem = load_problem(str(BATCH))
    batch = solve_batch(problem)
    assert batch.count == 3 and batch.mode == "mean"
    for one, s in zip(example_problems(problem), batch.solutions):
        alone = solve(one)
        assert one.learning_rate is None and all(layer.updated_W is None for layer in s.layers)  # no update of its own
        np.testing.assert_allclose(s.y_hat, alone.y_hat, rtol=1e-12)
        for a, b in zip(s.layers, alone.layers):
            np.testing.assert_array_equal(a.W, problem.weights[a.layer - 1])  # every example from the same weights
            np.testing.assert_allclose(a.grad_W, b.grad_W, rtol=1e-12, atol=1e-300)
    for l in range(1, problem.n_layers + 1):
        np.testing.assert_allclose(batch.grads[l - 1], batch.example_gradients(l).mean(axis=0), rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(batch.updated[l - 1], problem.weights[l - 1] - 0.5 * batch.grads[l - 1], rtol=1e-12)
    summed = solve_batch(replace(problem, batch="sum"))
    assert summed.loss == pytest.approx(3 * batch.loss, rel=1e-12)
    for mean, total in zip(batch.grads, summed.grads):
        np.testing.assert_allclose(total, 3 * mean, rtol=1e-12, atol=1e-300)


def test_a_batch_of_one_example_is_the_sgd_step():
    problem = replace(load_problem(str(BATCH)), examples=load_problem(str(BATCH)).examples[:1])
    [step] = solve_steps(replace(problem, batch=None))
    for got, want in zip(solve_batch(problem).updated, step.solution.layers):
        np.testing.assert_allclose(got, want.updated_W, rtol=1e-12)


def test_without_batch_examples_are_still_sgd_step_by_step():
    text = BATCH.read_text().replace("batch: mean\n", "")
    problem = parse_problem(text)
    assert problem.batch is None
    steps = solve_steps(problem)
    assert len(steps) == 3  # one update per example, each from the weights the last one left
    np.testing.assert_array_equal(steps[1].solution.layers[0].W, steps[0].solution.layers[0].updated_W)


def test_train_bias_false_keeps_the_bias_rows():
    problem = replace(load_problem(str(BATCH)), train_bias=False)
    batch = solve_batch(problem)
    for W, U in zip(problem.weights, batch.updated):
        np.testing.assert_array_equal(U[0], W[0])
        assert not np.array_equal(U[1:], W[1:])


def test_hand_rounded_batch():
    problem = load_problem(str(BATCH))
    rounding = Rounding(3)
    batch = solve_batch(problem, rounding)
    for l, G in enumerate(batch.grads, start=1):
        each = batch.example_gradients(l)
        assert np.array_equal(each, np.round(each, 3))  # each example's working rounded, as by hand
        np.testing.assert_array_equal(G, rounding.apply(np.sum(each, axis=0) / 3))  # their sum, divided, rounded
    assert batch.exact is not None and batch.max_difference()[1] > 0
    data = run_json(str(BATCH), "--round", "3")
    jsonschema.Draft7Validator(schema("batch")).validate(data)
    assert data["rounding"]["digits"] == 3 and data["rounding"]["max_difference"]["quantity"]
    assert "Hand-rounded working" in invoke("run", str(BATCH), "--round", "3").stdout


def test_an_overflowing_batch_names_the_file(write):
    text = BATCH.read_text().replace("{x: [0, 1], y: [1]}", "{x: [1e300, 1e300], y: [1]}").replace("activation: sigmoid", "activation: linear")
    path = write(text)
    assert_usage_error(invoke("run", path), path, "overflows")
    assert_usage_error(invoke("grad", "W1[1,1]", path), path, "overflows")


# -- run ---------------------------------------------------------------------------------------------


def test_run_json_is_the_batch():
    data = run_json(str(BATCH))
    jsonschema.Draft7Validator(schema("batch")).validate(data)
    assert data["schema"] == "nnsolve.batch/1" and data["batch"] == "mean" and data["count"] == 3
    assert data["problem"]["batch"] == "mean" and len(data["problem"]["examples"]) == 3
    examples = data["examples"]
    assert [e["example"] for e in examples] == [1, 2, 3] and [e["x"] for e in examples] == [[1, 2], [2, -1], [0, 1]]
    assert data["loss"] == pytest.approx(np.mean([e["loss"] for e in examples]), rel=1e-12)
    for name in ("W1", "W2"):
        mean = np.mean([e["gradients"][name] for e in examples], axis=0)
        np.testing.assert_allclose(data["gradients"][name], mean, rtol=1e-12)
        np.testing.assert_allclose(data["updated"][name], np.array(data["problem"][name]) - 0.5 * mean, rtol=1e-12)
    assert "updated" not in examples[0] and "problem" not in examples[0]  # no update of an example's own


def test_run_text_shows_each_example_then_the_combined_gradient_and_the_update():
    out = invoke("run", str(BATCH), "--digits", "4").stdout
    assert "One update from a batch of 3 examples, from the mean of their gradients" in out
    for n, (x, y) in enumerate([("[1, 2]", "[1]"), ("[2, -1]", "[0]"), ("[0, 1]", "[1]")], start=1):
        assert f"Example {n} of 3: x = {x}, y = {y}" in out
    assert out.count("Backpropagation: every derivative") == 3 and out.count("Updated weights") == 1
    assert "ℓ = (0.0059 + 0.1628 + 0.0108) / 3 = 0.0599" in out
    assert "∂ℓ/∂W2[1,1] = ((-0.0040) + 0.1357 + (-0.0070)) / 3 = 0.0416" in out
    assert " W2[1,1]   -1  0.0416      -1.0208" in out
    assert "new W²" in out and "w − λ ∂ℓ/∂w" in out


def test_run_markdown_and_latex(tmp_path):
    md = invoke("run", str(BATCH), "--format", "markdown").stdout
    assert "\n# Example 1 of 3" in md and "\n# The batch: the mean of the 3 examples" in md
    assert r"\frac{\partial \ell }{\partial W^{2}_{11}} &= ((-0.00400005) + 0.13571158 + (-0.00696681)) / 3 = 0.04158157" in md
    tex = invoke("run", str(BATCH), "--format", "latex").stdout
    assert r"\begin{document}" in tex and "Example 3 of 3" in tex and "0.04158157" in tex


def test_a_large_layer_is_written_as_a_matrix(write):
    examples = "".join(f"  - {{x: [{k}, {k % 3}, 1, 2, 0, 1], y: [{k % 2}]}}\n" for k in range(12))
    W1 = [[0.1 * ((i + j) % 5 - 2) for j in range(5)] for i in range(7)]
    text = f"examples:\n{examples}batch: sum\nW1: {W1}\nW2: [[0.1], [0.2], [-0.3], [0.4], [0.5], [-0.6]]\nlearning_rate: 0.1\n"
    out = invoke("run", write(text), "--digits", "4").stdout
    assert "Layer 1, element by element the sum of the examples' ∂ℓ/∂W¹:" in out and "∂ℓ/∂W¹" in out
    assert "One update from a batch of 12 examples, from the sum of their gradients" in out


def test_run_refuses_given_and_epochs():
    assert_usage_error(invoke("run", str(BATCH), "--given", "beta1=[0.5,0.9]"), "--given works on one example")
    assert_usage_error(invoke("run", str(BATCH), "--epochs", "2"), "--epochs", "batch")


# -- grad ------------------------------------------------------------------------------------------


def test_grad_shows_the_derivative_in_each_example_then_combined():
    out = invoke("grad", "W2[1,1]", str(BATCH), "--digits", "4").stdout
    assert "∂ℓ/∂W2[1,1] over a batch of 3 examples: the mean of its derivatives" in out
    assert "∂ℓ/∂W2[1,1] = ∂ℓ/∂ŷ · ∂ŷ/∂α² · ∂α²/∂W2[1,1]" in out
    assert " 2        [2, -1]  [0]  (0.5706)(0.2450)(0.9707)        0.1357" in out
    assert "∂ℓ/∂W2[1,1] = ((-0.0040) + 0.1357 + (-0.0070)) / 3 = 0.0416" in out
    assert "new W2[1,1] = W2[1,1] − λ ∂ℓ/∂W2[1,1] = -1 − (0.5)(0.0416) = -1.0208" in out


def test_grad_json_and_grad_all():
    g = json_of("grad", "W1[2,1]", str(BATCH))
    jsonschema.Draft7Validator(schema("grad-batch")).validate(g)
    run = run_json(str(BATCH))
    assert g["schema"] == "nnsolve.grad-batch/1" and g["count"] == 3 and g["batch"] == "mean"
    assert [e["gradient"] for e in g["examples"]] == pytest.approx([e["gradients"]["W1"][2][0] for e in run["examples"]], rel=1e-12)
    assert g["gradient"] == pytest.approx(run["gradients"]["W1"][2][0], rel=1e-12)
    assert g["updated"] == pytest.approx(run["updated"]["W1"][2][0], rel=1e-12)
    assert g["exact_gradient"] == g["gradient"] and g["rounding"] is None
    every = json_of("grad", "--all", str(BATCH))
    jsonschema.Draft7Validator(schema("grad-all")).validate(every)
    assert every["batch"] == "mean" and len(every["weights"]) == 9
    w = next(w for w in every["weights"] if w["weight"] == "W1[2,1]")
    assert (w["gradient"], w["updated"]) == (g["gradient"], g["updated"])
    table = invoke("grad", "--all", str(BATCH), "--digits", "4").stdout
    assert "example 1  example 2  example 3" in table and " W1[2,1]    -1     0.0050     0.0040     0.0043   0.0044      -1.0022" in table


def test_grad_rounded_and_bad_references():
    rounded = json_of("grad", "W1[2,1]", str(BATCH), "--round", "3")
    jsonschema.Draft7Validator(schema("grad-batch")).validate(rounded)
    assert rounded["gradient"] == 0.005 and rounded["exact_gradient"] == pytest.approx(0.00443144, abs=5e-9)
    assert "(0.003)(2)" in invoke("grad", "W1[2,1]", str(BATCH), "--round", "3").stdout  # backpropagation's delta * input
    assert_usage_error(invoke("grad", "W3[1,1]", str(BATCH)), "no layer 3")
    assert_usage_error(invoke("grad", "W1[2,1]", str(BATCH), "--given", "beta1=[0.5,0.9]"), "--given works on one example")


# -- the Wx+b convention ---------------------------------------------------------------------------


def test_a_batch_in_wx_plus_b(tmp_path):
    path = tmp_path / "wxb.yaml"
    path.write_text(invoke("convert", str(BATCH), "--to", "Wx+b").stdout)
    assert yaml.safe_load(path.read_text())["batch"] == "mean"
    data = run_json(str(path))
    jsonschema.Draft7Validator(schema("batch")).validate(data)
    reference = run_json(str(BATCH))
    assert data["schema"] == "nnsolve.batch/2" and data["loss"] == pytest.approx(reference["loss"], rel=1e-12)
    for l in (1, 2):
        for part in ("gradients", "updated"):
            np.testing.assert_allclose(from_convention(data[part][f"W{l}"], data[part][f"b{l}"], "Wx+b"), reference[part][f"W{l}"], rtol=1e-12)
    out = invoke("run", str(path), "--digits", "4").stdout
    assert "Into layer 1: z¹ = W¹ x + b¹" in out and "L = (0.0059 + 0.1628 + 0.0108) / 3 = 0.0599" in out
    assert "∂L/∂b2[1] = ((-0.0106) + 0.1398 + (-0.0185)) / 3 = 0.0369" in out
    assert "∂L/∂W1[2,1] = ((-0.0002) + 0.1314 + 0) / 3 = 0.0437" in out  # into neuron 2 from input 1: bias-row W1[1,2]
    assert "new b² = [0.4815]" in out and "η" in out
    g = json_of("grad", "b2[1]", str(path))
    jsonschema.Draft7Validator(schema("grad-batch")).validate(g)
    assert g["schema"] == "nnsolve.grad-batch/2" and g["parameter"] == "b" and g["weight"] == "b2[1]"
    assert g["gradient"] == pytest.approx(reference["gradients"]["W2"][0][0], rel=1e-12)
    assert "∂L/∂b2[1] over a batch of 3 examples" in invoke("grad", "b2[1]", str(path)).stdout
    blank = yaml.safe_load(invoke("check", "--template", str(path)).stdout)
    assert "dL/db2[1]" in blank and "new b2[1]" in blank and "z1" not in blank


# -- check -----------------------------------------------------------------------------------------


def test_the_sheet_of_a_batch_answers_the_batch():
    blank = invoke("check", "--template", str(BATCH)).stdout
    assert "# A batch of 3: the loss, each dl/dW and each new W are the batch's (mean over the examples), one update." in blank
    names = [n for n in yaml.safe_load(blank) if n not in ("problem", "student")]
    assert names[:3] == ["shape W1", "shape W2", "loss"]
    assert {n.split("[")[0] for n in names[3:]} == {"dl/dW1", "dl/dW2", "new W1", "new W2"}


def test_check_grades_against_the_batch_with_its_slips(tmp_path):
    key = run_json(str(BATCH))
    (tmp_path / BATCH.name).write_text(BATCH.read_text())
    g, u = key["gradients"], key["updated"]
    sheet = {
        "problem": BATCH.name,
        "loss": key["loss"],
        "dl/dW2": g["W2"],  # a whole layer
        "dl/dW1[1,2]": 3 * g["W1"][1][1],  # the sum, not the mean
        "new W1[1,2]": 1 - 0.5 * 3 * g["W1"][1][1],  # from it: carried forward
        "dl/dW1[2,1]": key["examples"][0]["gradients"]["W1"][2][0],  # the first example's alone
        "new W1[0,1]": 0.5,  # the old weight
        "new W2": u["W2"],
    }
    path = tmp_path / "sheet.yaml"
    path.write_text(yaml.safe_dump(sheet, sort_keys=False))
    result = invoke("check", str(path), "--json")
    assert result.exit_code == 1, result.stderr
    record = json.loads(result.stdout)
    jsonschema.Draft7Validator(schema("check")).validate(record)
    got = {a["quantity"]: (a["verdict"], (a["slip"] or {}).get("name")) for a in record["answers"]}
    assert got == {
        "loss": ("correct", None), "dl/dW2": ("correct", None),
        "dl/dW1[1,2]": ("wrong", "sum for mean"), "new W1[1,2]": ("carried forward", None),
        "dl/dW1[2,1]": ("wrong", None), "new W1[0,1]": ("wrong", "old weight"), "new W2": ("correct", None),
    }
    text = invoke("check", str(path)).stdout
    assert "this is the sum of the 3 examples' derivatives, not their mean (3 ∂ℓ/∂w)" in text


def test_a_sum_batch_names_the_mean_for_the_sum(tmp_path):
    (tmp_path / "sum.yaml").write_text(BATCH.read_text().replace("batch: mean", "batch: sum"))
    key = run_json(str(tmp_path / "sum.yaml"))
    (tmp_path / "s.yaml").write_text(f"problem: sum.yaml\ndl/dW2[1,1]: {key['gradients']['W2'][1][0] / 3}\nnew W2[1,1]: {key['updated']['W2'][1][0]}\n")
    record = json.loads(invoke("check", str(tmp_path / "s.yaml"), "--json").stdout)
    assert [(a["verdict"], (a["slip"] or {}).get("name")) for a in record["answers"]] == [("wrong", "mean for sum"), ("correct", None)]


def test_a_sheet_of_a_batch_cannot_answer_an_example(tmp_path):
    (tmp_path / BATCH.name).write_text(BATCH.read_text())
    (tmp_path / "s.yaml").write_text(f"problem: {BATCH.name}\nalpha1: [1, 2]\n")
    record = json.loads(invoke("check", str(tmp_path / "s.yaml"), "--json").stdout)
    assert "alpha1" in record["error"] and "not a quantity" in record["error"]


# -- draw ------------------------------------------------------------------------------------------


def test_draw_updated_is_the_batch_update():
    run = run_json(str(BATCH))
    out = invoke("draw", str(BATCH), "--updated").stdout
    assert f"W2[1,1] = {run['updated']['W2'][1][0]:.4f}" in out


def test_the_tutor_refuses_a_batch():
    assert_usage_error(invoke("tutor", str(BATCH), input=""), "batch: the tutor works one example", "nnsolve run")
