"""Issue 15, item 5: `bias: shared`, one bias per layer used by every neuron of it.

The engine keeps its one form: the shared bias is row 0 of W with every entry equal. Its
derivative is the sum over the layer's neurons of delta_j (in every entry of row 0 of dl/dW),
so the update keeps the entries equal. In Wx+b and xW+b a file writes it as one number,
`b1: 0.5`; in bias-row as row 0 of W, every entry equal. Checked here against finite
differences on the one shared parameter in every convention, through run, grad, train and
convert, and every way a file can get it wrong."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest
import yaml

from nnsolve import chain, network, training
from nnsolve.notation import CONVENTIONS
from nnsolve.problem import Problem, load_problem, parse_problem
from nnsolve.render.problem_file import problem_text
from nnsolve.solution import solve, solve_steps
from conftest import PROBLEMS, ROOT, assert_usage_error, invoke, run_json
from random_networks import as_problem, make_case

WXB = """convention: Wx+b
bias: shared
x: [2, 5]
y: [1]
W1: [[-2, 1], [1, 4]]
b1: 0.5
W2: [[2, -4]]
b2: 1
learning_rate: 2
"""


def schema(name: str) -> dict:
    result = invoke("schema", name)
    assert result.exit_code == 0
    return json.loads(result.stdout)


def shared_case(seed: int) -> Problem:
    """A random network with biases, each layer's row 0 made one number (its first entry)."""
    for s in range(seed, seed + 1000, 97):
        case = make_case(s)
        if case.bias:
            break
    weights = tuple(np.vstack([np.full((1, W.shape[1]), W[0, 0]), W[1:]]) for W in case.weights)
    from dataclasses import replace

    return replace(as_problem(case), weights=weights, shared_bias=True)


def in_convention(problem: Problem, convention: str) -> Problem:
    """The problem written in a convention by nnsolve, and read back as a user's file is."""
    from dataclasses import replace

    return parse_problem(problem_text(replace(problem, convention=convention)), source=f"<{convention}>")


def own_loss(problem: Problem, weights) -> float:
    acts = [network.ACTIVATIONS[a] for a in problem.activations]
    fwd = network.forward(weights, problem.x, acts, True)
    return float(network.loss_value(problem.y, fwd, acts, network.LOSSES[problem.loss]))


# -- the derivative: finite differences on the one shared parameter ---------------------------------


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_random_shared_biases_agree_with_finite_differences(convention):
    h = 1e-6
    checked = 0
    for seed in range(40):
        problem = in_convention(shared_case(seed), convention)
        assert problem.shared_bias and problem.convention == convention
        solution = solve(problem)
        for l, W in enumerate(problem.weights, start=1):
            up, down = [w.copy() for w in problem.weights], [w.copy() for w in problem.weights]
            up[l - 1][0, :] += h  # the one parameter moves every entry of row 0
            down[l - 1][0, :] -= h
            numeric = (own_loss(problem, up) - own_loss(problem, down)) / (2 * h)
            name = f"W{l}[0,1]" if convention == "bias-row" else f"b{l}"
            g = chain.weight_gradient(solution, name)
            assert g.shared and g.value == W[0, 0]
            assert g.gradient == pytest.approx(numeric, rel=1e-5, abs=1e-8), (seed, convention, name)
            # the sum of the paths is the sum of the layer's deltas, and backpropagation's number
            s = solution.layers[l - 1]
            assert g.gradient == pytest.approx(float(np.sum(s.delta)), rel=1e-12, abs=1e-15 * np.sum(np.abs(s.delta)))
            np.testing.assert_allclose(s.grad_W[0], np.full(W.shape[1], g.gradient), rtol=1e-12)
            products = g.path_products()
            assert sum(products) == pytest.approx(g.gradient, rel=1e-9, abs=1e-12 * sum(map(abs, products)))
            assert g.path_count == len(g.paths) or g.path_count > chain.MAX_LISTED_PATHS
            # the update keeps row 0 one number
            new = s.updated_W[0]
            assert np.all(new == new[0]) and new[0] == pytest.approx(W[0, 0] - 0.5 * g.gradient, rel=1e-12, abs=1e-300)
            checked += 1
        # every other weight is as without sharing: its own derivative
        for l, W in enumerate(problem.weights, start=1):
            for r in range(1, W.shape[0]):
                for c in range(W.shape[1]):
                    up, down = [w.copy() for w in problem.weights], [w.copy() for w in problem.weights]
                    up[l - 1][r, c] += h
                    down[l - 1][r, c] -= h
                    numeric = (own_loss(problem, up) - own_loss(problem, down)) / (2 * h)
                    assert solution.layers[l - 1].grad_W[r, c] == pytest.approx(numeric, rel=1e-5, abs=1e-8)
    assert checked >= 40


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_any_name_of_the_shared_bias_is_that_bias(convention):
    problem = in_convention(shared_case(3), convention)
    solution = solve(problem)
    n = problem.sizes[1]
    names = [f"W1[0,{j}]" for j in range(1, n + 1)] if convention == "bias-row" else ["b1", "b^1", "dL/db1"] + [f"b1[{j}]" for j in range(1, n + 1)]
    gradients = {chain.weight_gradient(solution, name).gradient for name in names}
    assert len(gradients) == 1
    # --all lists it once per layer
    listed = [w for w in chain.all_weights(solution) if w[1] == 0]
    assert listed == [(l, 0, 1) for l in range(1, problem.n_layers + 1)]


def test_frozen_shared_bias_keeps_its_value():
    from dataclasses import replace

    problem = replace(shared_case(5), train_bias=False)
    for convention in CONVENTIONS:
        p = in_convention(problem, convention)
        assert not p.train_bias and p.shared_bias
        s = solve(p)
        g = chain.gradient_of(s, 1, 0, 1)
        assert not g.trained and g.updated == g.value
        for layer in s.layers:
            np.testing.assert_array_equal(layer.updated_W[0], layer.W[0])
            assert np.all(layer.grad_W[0] == layer.grad_W[0, 0])  # the derivative is still shown


def test_hand_rounded_working_sums_the_rounded_paths():
    from nnsolve.rounding import Rounding

    path_solution = solve(parse_problem(WXB), rounding=Rounding(4))
    g = chain.weight_gradient(path_solution, "b1")
    assert g.rounding is not None and len(g.paths) == 2
    assert g.gradient == pytest.approx(round(sum(g.path_products()), 4), abs=1e-12)
    assert g.gradient == pytest.approx(g.exact_gradient, abs=1e-4)


# -- what the commands write ------------------------------------------------------------------------


def test_run_says_the_bias_is_shared_and_sums_its_derivative(tmp_path):
    path = tmp_path / "wxb.yaml"
    path.write_text(WXB)
    out = invoke("run", str(path)).stdout
    assert "bias: shared: one bias per layer, used by every neuron of the layer; its derivative is the sum over the layer's neurons, ∂L/∂b = Σⱼ δⱼ." in out
    assert "b¹ = 0.5\n" in out and "new b¹ = 0.57701225\n" in out
    assert "1 (z¹₁)   -2    1" in out
    assert " b¹       0.5  (1)(-0.03850613) + (1)(8.7361689e-11)    -0.03850613    0.57701225" in out
    assert "z¹₂ = (1)(2) + (4)(5) + (0.5) = 22.5" in out
    # bias-row: row 0 of W, every entry equal, named W1[0,j]
    row = tmp_path / "row.yaml"
    row.write_text(invoke("convert", str(path), "--to", "bias-row").stdout)
    out = invoke("run", str(row)).stdout
    assert "bias: shared: row 0 of each W is the layer's one bias, the same in every column" in out
    assert " W1[0,j]  0.5  (1)(-0.03850613) + (1)(8.7361689e-11)    -0.03850613    0.57701225" in out
    assert " W2[0,1]   1  (1)(-0.12908831)" in out  # a layer of one neuron: its bias, W2[0,1]


def test_run_json_writes_the_shared_bias_as_one_number_and_validates(tmp_path):
    path = tmp_path / "wxb.yaml"
    path.write_text(WXB)
    data = run_json(str(path))
    assert data["schema"] == "nnsolve.solution/2"
    assert data["problem"]["shared_bias"] is True and data["problem"]["b1"] == 0.5
    assert data["shapes"]["b1"] == [] and data["shapes"]["W1"] == [2, 2]
    assert data["gradients"]["b1"] == pytest.approx(sum(data["layers"][0]["delta"]), rel=1e-12)
    assert data["updated"]["b1"] == pytest.approx(0.5 - 2 * data["gradients"]["b1"], rel=1e-12)
    jsonschema.Draft7Validator(schema("solution")).validate(data)
    row = tmp_path / "row.yaml"
    row.write_text(invoke("convert", str(path), "--to", "bias-row").stdout)
    data_row = run_json(str(row))
    assert data_row["schema"] == "nnsolve.solution/2"  # a shared bias changes what row 0 of a gradient means
    assert data_row["gradients"]["W1"][0] == [data["gradients"]["b1"]] * 2
    jsonschema.Draft7Validator(schema("solution")).validate(data_row)


def test_grad_shows_the_sum_of_the_paths_and_json_says_shared(tmp_path):
    path = tmp_path / "wxb.yaml"
    path.write_text(WXB)
    out = invoke("grad", "b1", str(path)).stdout
    assert "b¹ is layer 1's one shared bias (bias: shared), used by all 2 neurons of the layer: it reaches the loss through each of them, by 2 paths" in out
    assert "Path 1: b¹ → z¹₁ → a¹₁ → z² → ŷ → L" in out and "Path 2: b¹ → z¹₂ → a¹₂ → z² → ŷ → L" in out
    assert "∂L/∂b¹ = (-0.03850613) + (8.7361689e-11) = -0.03850613" in out
    data = json.loads(invoke("grad", "b1", str(path), "--json").stdout)
    assert data["weight"] == "b1" and data["shared"] is True and data["parameter"] == "b" and data["row"] is None
    assert len(data["paths"]) == data["path_count"] == 2
    jsonschema.Draft7Validator(schema("grad")).validate(data)
    every = json.loads(invoke("grad", "--all", str(path), "--json").stdout)
    jsonschema.Draft7Validator(schema("grad-all")).validate(every)
    assert [w["weight"] for w in every["weights"]].count("b1") == 1
    # bias-row: any entry of row 0 names it, and the text says so
    row = tmp_path / "row.yaml"
    row.write_text(invoke("convert", str(path), "--to", "bias-row").stdout)
    out = invoke("grad", "W1[0,2]", str(row)).stdout
    assert "W1[0,2] is row 0 of W1, layer 1's one shared bias (bias: shared: every W1[0,j] names it)" in out
    data = json.loads(invoke("grad", "W1[0,2]", str(row), "--json").stdout)
    assert data["shared"] is True and data["row"] == 0 and data["column"] == 2
    jsonschema.Draft7Validator(schema("grad")).validate(data)


def test_a_deep_network_writes_the_sum_of_deltas():
    lines = ["convention: xW+b", "bias: shared", "x: [1, -1]", "y: [1, 0]",
             "W1: [[0.5, -0.2, 0.3], [0.1, -0.4, 0.2]]", "b1: 0.1",
             "W2: [[0.2, -0.3, 0.4], [0.1, 0.5, -0.2], [0.3, 0.2, 0.1]]", "b2: -0.2",
             "W3: [[0.3, -0.1], [0.2, -0.2], [0.4, 0.1]]", "b3: 0.05",
             "activation: [tanh, tanh, sigmoid]", "learning_rate: 0.5"]
    problem = parse_problem("\n".join(lines) + "\n")
    g = chain.weight_gradient(solve(problem), "b1")
    assert g.path_count == 3 * 3 * 2 and g.path_count > 8  # past a handful, grad writes the deltas
    from nnsolve.render import plain
    from nnsolve.render.document import grad_document

    text = plain.text(grad_document(solve(problem), g, 8))
    assert "∂L/∂b¹ = Σⱼ δ¹ⱼ: the bias enters every z¹ⱼ with the factor 1" in text
    assert "∂L/∂b¹ = δ¹₁ + δ¹₂ + δ¹₃ = " in text


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_convert_keeps_a_shared_bias(convention, tmp_path):
    path = tmp_path / "wxb.yaml"
    path.write_text(WXB)
    text = invoke("convert", str(path), "--to", convention).stdout
    assert "bias: shared" in text
    data = yaml.safe_load(text)
    if convention == "bias-row":
        assert data["W1"][0] == [0.5, 0.5] and "b1" not in data
    else:
        assert data["b1"] == 0.5 and data["b2"] == 1
    there = tmp_path / "there.yaml"
    there.write_text(text)
    back = invoke("convert", str(there), "--to", "Wx+b").stdout
    assert back == invoke("convert", str(path), "--to", "Wx+b").stdout
    for a, b in zip(load_problem(str(path)).weights, load_problem(str(there)).weights):
        np.testing.assert_array_equal(a, b)


def test_draw_names_the_shared_bias(tmp_path):
    path = tmp_path / "wxb.yaml"
    path.write_text(WXB)
    out = invoke("draw", str(path)).stdout
    assert out.count("--b¹ = 0.5--") == 2 and "Layer 1: W¹ is 2 × 2 (neurons × inputs), b¹ is one number, shared" in out
    assert "Each layer's one bias b (bias: shared) is drawn with each of its neurons" in out
    row = tmp_path / "row.yaml"
    row.write_text(invoke("convert", str(path), "--to", "bias-row").stdout)
    out = invoke("draw", str(row)).stdout
    assert "+1 is the bias term: row 0 of each W holds the layer's one shared bias" in out
    assert "+1 --W1[0,1] = 0.5--" in out and "+1 --W1[0,2] = 0.5--" in out


# -- train and new ----------------------------------------------------------------------------------


def test_train_keeps_the_shared_bias_one_number_and_matches_the_worked_step():
    problem = in_convention(shared_case(11), "bias-row")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, problem.sizes[0]))
    Y = np.array([problem.y] * 6)
    net = training.Network.of(problem)
    assert net.shared_bias
    # batch size 1: each step is the worked step (solve_steps over the same examples)
    trainer = training.Trainer(net, X, Y, batch_size=1)
    trainer.epoch(np.arange(6))
    from dataclasses import replace

    stepped = solve_steps(replace(problem, examples=tuple(zip(X, Y))))
    for W, s in zip(trainer.current(), stepped[-1].solution.layers):
        np.testing.assert_allclose(W, s.updated_W, rtol=1e-12, atol=1e-15)
        assert np.all(W[0] == W[0, 0])
    # a batch of all six: one step with the mean of the six gradients, row 0 summed over the neurons
    trainer = training.Trainer(net, X, Y, batch_size=6)
    trainer.epoch(np.arange(6))
    grads = [[layer.grad_W for layer in solve(replace(problem, x=x, y=y)).layers] for x, y in zip(X, Y)]
    for l, W in enumerate(trainer.current()):
        mean = np.mean([g[l] for g in grads], axis=0)
        np.testing.assert_allclose(W, problem.weights[l] - problem.learning_rate * mean, rtol=1e-12, atol=1e-14)
        assert np.all(W[0] == W[0, 0])


def test_train_saves_a_shared_problem(tmp_path):
    path = tmp_path / "xor.yaml"
    path.write_text("x: [0, 0]\ny: 0\nW1: [[-1, -1], [-2, 1], [1, 4]]\nW2: [[1], [2], [-4]]\nlearning_rate: 2\nbias: shared\n")
    saved = tmp_path / "trained.yaml"
    result = invoke("train", str(path), "--data", str(PROBLEMS / "data" / "xor.csv"), "--epochs", "3",
                    "--save", str(saved))
    assert result.exit_code == 0, result.stderr
    assert "one shared bias per layer" in result.stdout
    trained = load_problem(str(saved))
    assert trained.shared_bias and all(np.all(W[0] == W[0, 0]) for W in trained.weights)


def test_new_makes_variants_with_a_shared_bias(tmp_path):
    source = tmp_path / "wxb.yaml"
    source.write_text(WXB.replace("convention: Wx+b\n", "").replace("W1: [[-2, 1], [1, 4]]\nb1: 0.5", "W1: [[0.5, 0.5], [-2, 1], [1, 4]]")
                      .replace("W2: [[2, -4]]\nb2: 1", "W2: [[1], [2], [-4]]"))
    out = tmp_path / "class"
    result = invoke("new", "--from", str(source), "--count", "4", "--seed", "3", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    for k in range(1, 5):
        variant = load_problem(str(out / f"variant-{k:03d}.yaml"))
        assert variant.shared_bias and all(np.all(W[0] == W[0, 0]) for W in variant.weights)
        graded = invoke("check", str(out / f"variant-{k:03d}.key.yaml"))
        assert graded.exit_code == 0, graded.stdout


# -- what a user gets wrong ---------------------------------------------------------------------------


@pytest.mark.parametrize("change, fragments", [
    (("b1: 0.5", "b1: [0.5, 0.5]"), ["p.yaml:6:", "b1", "is a list, but with 'bias: shared' each layer has one bias", "write b1 as one number, such as 'b1: 0.5', or remove 'bias: shared'"]),
    (("b2: 1\n", ""), ["b2", "missing: with 'bias: shared' each layer has one bias, a number b2", "add 'b2: 0'"]),
    (("b1: 0.5", "b1: half"), ["p.yaml:6:", "b1", "half"]),
    (("bias: shared", "bias: sharde"), ["p.yaml:2:", "bias", "is 'sharde', not true, false or shared", "'bias: shared' (one bias per layer)"]),
    (("bias: shared\n", ""), ["p.yaml:5:", "b1", "is one number, but W1 has 2 neurons, each with its own bias", "or add 'bias: shared' for one bias per layer"]),
])
def test_a_wrong_shared_file_is_one_line_naming_the_line_key_and_fix(tmp_path, change, fragments):
    path = tmp_path / "p.yaml"
    old, new = change
    assert old in WXB
    path.write_text(WXB.replace(old, new, 1))
    assert_usage_error(invoke("run", str(path)), str(path), *fragments)


def test_a_bias_row_with_unequal_entries_is_refused(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("x: [2, 5]\ny: [1]\nW1:\n  - [-1, 2]\n  - [-2, 1]\n  - [1, 4]\nW2: [[1], [2], [-4]]\nbias: shared\nlearning_rate: 2\n")
    assert_usage_error(invoke("run", str(path)), f"{path}:4:", "W1 row 0", "holds [-1, 2], but with 'bias: shared' row 0 is the layer's one bias",
                       "write row 0 as [-1, -1] (one number, repeated), or remove 'bias: shared'")


def test_grad_of_a_bias_vector_without_sharing_names_an_element(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(WXB.replace("bias: shared\n", "").replace("b1: 0.5", "b1: [0.5, 0.5]"))
    assert_usage_error(invoke("grad", "b1", str(path)), "'b1' is layer 1's bias vector", "b1[1]")
    path.write_text(WXB)
    assert_usage_error(invoke("grad", "b3", str(path)), "the network has no layer 3")
    assert_usage_error(invoke("grad", "b1[3]", str(path)), "out of range")


def test_the_published_example_gives_its_published_numbers():
    """docs/shared_bias.yaml is Matt Mazur's step-by-step backpropagation example (one bias per
    layer): its total error and new weights as the post gives them, to its 9 decimals."""
    path = ROOT / "docs" / "shared_bias.yaml"
    jsonschema.Draft7Validator(schema("problem")).validate(yaml.safe_load(path.read_text()))
    data = run_json(str(path))
    assert data["loss"] == pytest.approx(0.298371109, abs=5e-10)
    new = data["updated"]
    published = {"W1": [[0.149780716, 0.19956143], [0.24975114, 0.29950229]],
                 "W2": [[0.35891648, 0.408666186], [0.511301270, 0.561370121]]}
    for name, rows in published.items():
        np.testing.assert_allclose(new[name], rows, atol=5e-9)
    # the shared biases, which the post leaves as they are: moved here by the sum of their deltas
    assert new["b1"] == pytest.approx(0.35 - 0.5 * sum(data["layers"][0]["delta"]), rel=1e-12)


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_check_asks_the_shared_bias_once_and_grades_it_as_the_sum(convention, tmp_path):
    source = tmp_path / "source.yaml"
    source.write_text(invoke("convert", str(ROOT / "docs" / "shared_bias.yaml"), "--to", convention).stdout)
    template = invoke("check", "--template", str(source)).stdout
    name = "dL/db1" if convention != "bias-row" else "dl/dW1[0,1]"
    new = "new b1" if convention != "bias-row" else "new W1[0,1]"
    assert template.count(f"\n{name}:") == 1 and template.count(f"\n{new}:") == 1
    assert "dl/dW1[0,2]:" not in template
    # new --from it: every key grades in full
    out = tmp_path / "class"
    assert invoke("new", "--from", str(source), "--count", "2", "--seed", "4", "--out", str(out)).exit_code == 0
    for k in (1, 2):
        graded = invoke("check", str(out / f"variant-00{k}.key.yaml"))
        assert graded.exit_code == 0, graded.stdout
    # the sum is right; one neuron's delta is not; in bias-row any W1[0,j] names the one bias
    s = solve(load_problem(str(source)))
    deltas = s.layers[0].delta
    other = "dL/db1" if convention != "bias-row" else "dl/dW1[0,2]"
    for answer, code in ((float(np.sum(deltas)), 0), (float(deltas[0]), 1)):
        sheet = tmp_path / "sheet.yaml"
        sheet.write_text(f"problem: {source.name}\n{other}: {answer!r}\n")
        result = invoke("check", str(sheet))
        assert result.exit_code == code, result.stdout


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_a_batch_with_a_shared_bias_is_one_step_of_train(convention, tmp_path):
    source = tmp_path / "wxb.yaml"
    source.write_text(WXB.replace("x: [2, 5]\ny: [1]\n", "examples:\n  - {x: [2, 5], y: [1]}\n  - {x: [1, -1], y: [0]}\nbatch: mean\n"))
    path = tmp_path / "there.yaml"
    path.write_text(invoke("convert", str(source), "--to", convention).stdout)
    problem = load_problem(str(path))
    assert problem.shared_bias and problem.batch == "mean"
    data = run_json(str(path))
    assert data["schema"] == "nnsolve.batch/2"
    jsonschema.Draft7Validator(schema("batch")).validate(data)
    trainer = training.Trainer(training.Network.of(problem), np.array([x for x, _ in problem.examples]),
                               np.array([y for _, y in problem.examples]), batch_size=2)
    trainer.epoch(np.arange(2))
    name = "b1" if convention != "bias-row" else "W1[0,2]"
    g = json.loads(invoke("grad", name, str(path), "--json").stdout)
    jsonschema.Draft7Validator(schema("grad-batch")).validate(g)
    assert g["shared"] is True
    assert g["updated"] == pytest.approx(trainer.current()[0][0, 0], rel=1e-12)
    assert g["gradient"] == pytest.approx(np.mean([e["gradient"] for e in g["examples"]]), rel=1e-12)
    text = invoke("run", str(path)).stdout
    line = "∂L/∂b¹ = ((" if convention != "bias-row" else "∂ℓ/∂W1[0,1] = (("
    assert text.count(line) == 1 and "∂ℓ/∂W1[0,2] = ((" not in text  # the batch's one shared bias, combined once


# -- check's slips of a shared bias: one neuron's delta, or their mean, for the sum -----------------


def _check_answers(sheet: str) -> list[dict]:
    result = invoke("check", sheet, "--json")
    assert result.exit_code in (0, 1), result.stderr
    record = json.loads(result.stdout)
    jsonschema.Draft7Validator(schema("check")).validate(record)
    return record["answers"]


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_check_names_one_neurons_delta_and_the_mean_for_the_shared_bias(convention, tmp_path):
    """The published example in every convention: dL/db1 (bias-row: dl/dW1[0,j]) answered with one
    neuron's delta, or with the deltas' mean, is wrong and named, and so is the new bias made from
    it; each value worked here from run --json's deltas, w - eta delta."""
    source = tmp_path / "p.yaml"
    source.write_text(invoke("convert", str(ROOT / "docs" / "shared_bias.yaml"), "--to", convention).stdout)
    data = run_json(str(source))
    lr = 0.5
    row = convention == "bias-row"
    for l in (1, 2):
        deltas = data["layers"][l - 1]["delta"]
        bias = data["problem"][f"W{l}"][0][0] if row else data["problem"][f"b{l}"]
        derivative = f"dl/dW{l}[0,2]" if row else f"dL/db{l}"  # bias-row: any entry of row 0 names the bias
        new = f"new W{l}[0,2]" if row else f"new b{l}"
        wrong = [(d, "one neuron's delta") for d in deltas] + [(sum(deltas) / len(deltas), "mean for sum")]
        for value, name in wrong:
            sheet = tmp_path / "s.yaml"
            for answer in (f"{derivative}: {value!r}", f"'{new}': {bias - lr * value!r}"):
                if name == "mean for sum" and answer.startswith("'new") and lr == 1 / len(deltas):
                    continue  # w - eta (sum / 2) with eta = 1/2 is w - eta^2 sum: lambda twice too, named first
                sheet.write_text(f"problem: p.yaml\n{answer}\n")
                [graded] = _check_answers(str(sheet))
                assert (graded["verdict"], (graded["slip"] or {}).get("name")) == ("wrong", name), (l, answer)
                assert "its derivative is the sum of their deltas" in graded["slip"]["explanation"]
            # the new bias from the student's own (slipped) derivative: the mistake was made there
            sheet.write_text(f"problem: p.yaml\n{derivative}: {value!r}\n'{new}': {bias - lr * value!r}\n")
            assert [a["verdict"] for a in _check_answers(str(sheet))] == ["wrong", "carried forward"]
        # the sum is right, and so is the new bias from it
        sheet.write_text(f"problem: p.yaml\n{derivative}: {sum(deltas)!r}\n'{new}': {bias - lr * sum(deltas)!r}\n")
        assert [(a["verdict"], a["slip"]) for a in _check_answers(str(sheet))] == [("correct", None)] * 2
    sheet.write_text(f"problem: p.yaml\n{'dl/dW1[0,1]' if row else 'dL/db1'}: {data['layers'][0]['delta'][1]!r}\n")
    text = invoke("check", str(sheet)).stdout
    name = "∂ℓ/∂W1[0,1]" if row else "∂L/∂b¹"
    assert (f"{name} is wrong: this is the delta of neuron 2 alone: the layer's one bias reaches the loss through each of "
            "its 2 neurons, so its derivative is the sum of their deltas (δ¹₂).") in text


def test_check_names_each_columns_own_delta_in_a_whole_bias_row_matrix(tmp_path):
    """bias-row, dl/dW1 answered whole with row 0 as separate biases would have it: each column its
    own neuron's delta. Wrong, and named; the key's whole matrix is right."""
    source = tmp_path / "p.yaml"
    source.write_text(invoke("convert", str(ROOT / "docs" / "shared_bias.yaml"), "--to", "bias-row").stdout)
    data = run_json(str(source))
    key = data["gradients"]["W1"]
    own = [data["layers"][0]["delta"]] + key[1:]
    sheet = tmp_path / "s.yaml"
    sheet.write_text(f"problem: p.yaml\ndl/dW1: {own}\n")
    [answer] = _check_answers(str(sheet))
    assert (answer["verdict"], answer["slip"]["name"], answer["slip"]["formula"]) == ("wrong", "one neuron's delta", "delta1_j in W1[0,j]")
    sheet.write_text(f"problem: p.yaml\ndl/dW1: {key}\n")
    assert _check_answers(str(sheet))[0]["verdict"] == "correct"


def test_one_delta_within_the_tolerance_of_the_sum_is_correct_and_a_layer_of_one_neuron_has_no_such_slip(tmp_path):
    """WXB's delta1 is [-0.0385..., 8.7e-11]: the first neuron's delta alone is within the
    tolerance of the sum (and nearer itself than the key): correct, never demoted. Layer 2 has one
    neuron, whose delta is the sum: answered with it, right; answered with its sign flipped, the
    slip is the sign, not one neuron's delta."""
    path = tmp_path / "p.yaml"
    path.write_text(WXB)
    data = run_json(str(path))
    d1, d2 = data["layers"][0]["delta"], data["layers"][1]["delta"]
    assert d1[0] != sum(d1) and abs(d1[0] - sum(d1)) < 1e-9 and len(d2) == 1
    sheet = tmp_path / "s.yaml"
    sheet.write_text(f"problem: p.yaml\ndL/db1: {d1[0]!r}\nnew b1: {0.5 - 2 * d1[0]!r}\ndL/db2: {d2[0]!r}\nnew b2: {1 - 2 * d2[0]!r}\n")
    assert [(a["verdict"], a["slip"]) for a in _check_answers(str(sheet))] == [("correct", None)] * 4
    sheet.write_text(f"problem: p.yaml\ndL/db2: {-d2[0]!r}\n")
    assert _check_answers(str(sheet))[0]["slip"]["name"] == "sign flipped"
    # a shared bias kept by train_bias: false: its new value is the old one, and no delta makes another
    path.write_text(WXB + "train_bias: false\n")
    sheet.write_text(f"problem: p.yaml\nnew b1: 0.5\n")
    assert [(a["verdict"], a["slip"]) for a in _check_answers(str(sheet))] == [("correct", None)]


def test_one_neurons_delta_under_an_optimizer_takes_the_optimizers_step(tmp_path):
    """Under Adam, the new bias from one neuron's delta is the optimizer's step from that gradient
    (optimizers.new_weight, one weight at a time), and named."""
    from nnsolve.optimizers import new_weight

    path = tmp_path / "p.yaml"
    path.write_text(WXB + "optimizer: adam\n")
    problem = load_problem(str(path))
    deltas = solve(problem).layers[0].delta
    sheet = tmp_path / "s.yaml"
    for j in (0, 1):
        value = float(new_weight(problem.optimizer, problem.learning_rate, 0.5, float(deltas[j]), problem.state, 1, (0, 0), False))
        if abs(value - solve(problem).layers[0].updated_W[0, 0]) < 1e-3:
            continue  # (Adam's first step is lr * sign(g): one delta of the same sign is the key)
        sheet.write_text(f"problem: p.yaml\nnew b1: {value!r}\n")
        [answer] = _check_answers(str(sheet))
        assert (answer["verdict"], answer["slip"]["name"]) == ("wrong", "one neuron's delta"), j
        assert answer["slip"]["formula"] == f"the step from dL/dw = delta1_{j + 1}"
