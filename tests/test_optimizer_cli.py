"""Optimizers through the commands (issue 19): problem files (optimizer:, weight_decay:, l2:,
decay_bias:, state:, and their line-numbered errors), run's working in every format and its
JSON (version 3, validated), several steps carrying the state, a batch's combined gradient
feeding the optimizer, grad's working after the derivative, check's slips and carried-forward
new weights, new --from, convert, and train --optimizer."""

from __future__ import annotations

import json
from dataclasses import replace

import jsonschema
import numpy as np
import pytest

from conftest import PROBLEMS, assert_usage_error, invoke, run_json

from nnsolve import optimizers
from nnsolve.problem import load_problem, parse_problem
from nnsolve.solution import solve, solve_batch, solve_steps

ADAM = str(PROBLEMS / "worksheet_adam.yaml")
MOMENTUM = str(PROBLEMS / "worksheet_momentum.yaml")
MOONS, MOONS_DATA = str(PROBLEMS / "moons.yaml"), str(PROBLEMS / "data" / "moons.csv")
WORKSHEET = (PROBLEMS / "worksheet.yaml").read_text()


def schema(name):
    return json.loads((PROBLEMS.parent / "nnsolve" / "schemas" / f"{name}.schema.json").read_text())


# -- problem files -----------------------------------------------------------------------------


def test_the_forms_of_the_optimizer_key():
    assert parse_problem(WORKSHEET + "optimizer: adam\n").optimizer == optimizers.make("adam")
    p = parse_problem(WORKSHEET + "optimizer: {name: momentum, momentum: 0.5, nesterov: true}\nweight_decay: 0.01\ndecay_bias: true\n")
    assert p.optimizer == optimizers.make("momentum", {"momentum": 0.5, "nesterov": True}, 0.01, True)
    assert parse_problem(WORKSHEET + "optimizer: sgd\n").optimizer is None  # plain SGD: the worksheet's update
    assert parse_problem(WORKSHEET + "optimizer: adamw\n").optimizer.weight_decay == 0.01  # torch's AdamW default
    assert parse_problem(WORKSHEET + "optimizer: {name: adam, eps: 1e-6, amsgrad: yes}\n").optimizer["amsgrad"] is True
    l2 = parse_problem(WORKSHEET + "l2: 0.1\n")
    assert l2.l2 == 0.1 and l2.optimizer is None and not l2.decay_bias
    state = parse_problem(WORKSHEET + "optimizer: adam\nstate: {step: 3, W1: {m: [[1, 2], [3, 4], [5, 6]], v: [[1, 1], [1, 1], [1, 1]]},"
                                      " W2: {m: [[1], [2], [3]], v: [[1], [1], [1]]}}\n").state
    assert state.step == 3 and state.layer(1)["m"].tolist() == [[1, 2], [3, 4], [5, 6]]


BASE = WORKSHEET.replace("learning_rate: 2\n", "learning_rate: 2   # line 10\n")
ERRORS = [
    ("optimizer: adma\n", "11: optimizer", ("unknown optimizer 'adma'", "did you mean 'adam'?")),
    ("optimizer: {name: adam, beta: 0.9}\n", "11: optimizer: beta", ("is not an option of adam", "beta1, beta2, eps, amsgrad")),
    ("optimizer: {name: adam, beta1: 1}\n", "11: optimizer: beta1", ("must lie in [0, 1)",)),
    ("optimizer: {name: adam, weight_decay: 0.1}\n", "11: optimizer: weight_decay", ("top-level key",)),
    ("optimizer: {name: adam, lr: 0.1}\n", "11: optimizer: lr", ("learning_rate",)),
    ("optimizer: {name: sgd, nesterov: true}\n", "11: optimizer: nesterov", ("momentum above 0",)),
    ("optimizer: {name: adam, amsgrad: 1}\n", "11: optimizer: amsgrad", ("not true or false",)),
    ("optimizer: {beta1: 0.9}\n", "11: optimizer", ("has no name",)),
    ("weight_decay: -1\n", "11: weight_decay", ("0 or more",)),
    ("l2: -0.1\n", "11: l2", ("0 or more",)),
    ("decay_bias: true\n", "11: decay_bias", ("nothing to decay",)),
    ("state: {step: 1}\n", "11: state", ("no optimizer",)),
    ("optimizer: adam\nstate: {W1: {m: [[0, 0], [0, 0], [0, 0]]}}\n", "12: state: step", ("steps already taken",)),
    ("optimizer: adam\nstate: {step: 1, W1: {m: [[0, 0], [0, 0], [0, 0]], v: [[0, 0], [0, 0], [0, 0]]}}\n", "12: state: W2", ("missing",)),
    ("optimizer: adam\nstate: {step: 1, W1: {q: [[0, 0]]}}\n", "12: state: W1: q", ("is not Adam's state", "keeps m, v")),
    ("optimizer: momentum\nstate: {step: 1, W1: {v: [[0, 0]]}, W2: {v: [[0], [0], [0]]}}\n", "12: state: W1: v", ("not the shape", "3 x 2")),
    ("optimizer: adam\nstate: {step: 1.5}\n", "12: state: step", ("whole number",)),
    ("optimizer: adam\nstate: {step: -1}\n", "12: state: step", ("is -1", "whole number")),
]


@pytest.mark.parametrize("extra, where, fragments", ERRORS, ids=[e[1] + " " + e[0].split(":")[0] for e in ERRORS])
def test_bad_optimizer_keys_are_one_line_with_the_fix(write, extra, where, fragments):
    path = write(BASE + extra)
    result = invoke("run", path)
    line = assert_usage_error(result, *fragments)
    assert line.startswith(f"nnsolve: error: {path}:{where}: "), line


# a state no step can leave, in every optimizer that keeps squares and in each convention's shapes
# (the worksheet at learning rate 0.1; the state: line is line 12): the entry named as the
# convention names its weight, at the line of its row
ZERO1, ZERO2 = "[[0, 0], [0, 0], [0, 0]]", "[[0], [0], [0]]"
IMPOSSIBLE_STATES = [
    ("adam", f"{{step: 1, W1: {{m: {ZERO1}, v: [[-1, 0], [0, 0], [0, 0]]}}, W2: {{m: {ZERO2}, v: {ZERO2}}}}}",
     "12: state: W1: v of W1[0,1] is -1; a second moment (a mean of squares) is 0 or more"),
    ("adamw", f"{{step: 1, W1: {{m: {ZERO1}, v: {ZERO1}}}, W2: {{m: {ZERO2}, v: [[0], [0], [-0.5]]}}}}",
     "12: state: W2: v of W2[2,1] is -0.5;"),
    ("{name: adam, amsgrad: true}", f"{{step: 1, W1: {{m: {ZERO1}, v: {ZERO1}, v_max: {ZERO1}}},"
     " W2: {m: [[0], [0], [0]], v: [[0], [0.5], [0]], v_max: [[0], [0.1], [0]]}}",
     "12: state: W2: v_max of W2[1,1] is 0.1, below its v, 0.5; v_max is the largest v so far"),
    ("{name: adam, amsgrad: true}", f"{{step: 1, W1: {{m: {ZERO1}, v: {ZERO1}, v_max: [[0, 0], [0, -2], [0, 0]]}},"
     f" W2: {{m: {ZERO2}, v: {ZERO2}, v_max: {ZERO2}}}}}", "12: state: W1: v_max of W1[1,2] is -2;"),
    ("adagrad", f"{{step: 1, W1: {{G: [[0, 0], [0, -2], [0, 0]]}}, W2: {{G: {ZERO2}}}}}",
     "12: state: W1: G of W1[1,2] is -2; Adagrad's G is a sum of squares, so 0 or more"),
    ("rmsprop", f"{{step: 1, W1: {{v: {ZERO1}}}, W2: {{v: [[0], [0], [-3]]}}}}", "12: state: W2: v of W2[2,1] is -3;"),
    ("{name: rmsprop, momentum: 0.9}", f"{{step: 1, W1: {{v: [[0, 0], [0, 0], [-1, 0]], u: {ZERO1}}}, W2: {{v: {ZERO2}, u: {ZERO2}}}}}",
     "12: state: W1: v of W1[2,1] is -1;"),
    ("rmsprop_centered", f"{{step: 1, W1: {{v: {ZERO1}, g_avg: {ZERO1}}}, W2: {{v: [[0], [0.01], [0]], g_avg: [[0], [0.2], [0]]}}}}",
     "12: state: W2: g_avg of W2[1,1] is 0.2 and v 0.01, so v - g_avg^2 is -0.03; the variance v - g_avg^2 is 0 or more"),
]


@pytest.mark.parametrize("optimizer, state, message", IMPOSSIBLE_STATES, ids=[f"{o} {m.split(':')[2]}" for o, _, m in IMPOSSIBLE_STATES])
def test_a_state_no_step_can_leave_is_one_line_naming_the_entry_and_the_rule(write, optimizer, state, message):
    path = write(WORKSHEET.replace("learning_rate: 2", "learning_rate: 0.1") + f"optimizer: {optimizer}\nstate: {state}\n")
    line = assert_usage_error(invoke("run", path))
    assert line.startswith(f"nnsolve: error: {path}:{message}"), line


@pytest.mark.parametrize("optimizer, state", [
    ("momentum", "{step: 1, W1: {v: [[-1, 0], [0, -2], [0, 0]]}, W2: {v: [[0], [-0.5], [0]]}}"),  # a velocity has any sign
    ("adam", f"{{step: 2, W1: {{m: [[-1, 0], [0, 0], [0, 0]], v: [[1, 0], [0, 0], [0, 0]]}}, W2: {{m: {ZERO2}, v: {ZERO2}}}}}"),
    ("{name: rmsprop, momentum: 0.9, centered: true}",
     f"{{step: 1, W1: {{v: [[0.5, 0], [0, 0], [0, 0]], g_avg: [[-0.7, 0], [0, 0], [0, 0]], u: [[-3, 0], [0, 0], [0, 0]]}},"
     f" W2: {{v: {ZERO2}, g_avg: {ZERO2}, u: {ZERO2}}}}}"),
    ("{name: adam, amsgrad: true}", f"{{step: 0, W1: {{m: {ZERO1}, v: [[1, 0], [0, 0], [0, 0]], v_max: [[1, 0], [0, 0], [0, 0]]}},"
     f" W2: {{m: {ZERO2}, v: {ZERO2}, v_max: {ZERO2}}}}}"),
])
def test_a_state_a_step_can_leave_runs(write, optimizer, state):
    path = write(WORKSHEET.replace("learning_rate: 2", "learning_rate: 0.1") + f"optimizer: {optimizer}\nstate: {state}\n")
    result = invoke("run", path, "--json")
    assert result.exit_code == 0, result.stderr


def test_a_state_entry_is_named_in_the_conventions_shapes_at_the_line_of_its_row(write):
    # the worksheet in Wx+b (W1 is 2 x 2, neurons x inputs) and xW+b (inputs x neurons), the state written so
    head = {"Wx+b": "convention: Wx+b\nx: [2, 5]\ny: [1]\nW1: [[-2, 1], [1, 4]]\nb1: [-1, 2]\nW2: [[2, -4]]\nb2: [1]\n",
            "xW+b": "convention: xW+b\nx: [2, 5]\ny: [1]\nW1: [[-2, 1], [1, 4]]\nb1: [-1, 2]\nW2: [[2], [-4]]\nb2: [1]\n"}
    W2 = {"Wx+b": "W2: {m: [[0, 0]], v: [[0, 0]]}", "xW+b": "W2: {m: [[0], [0]], v: [[0], [0]]}"}
    # line 15 holds v's first row, line 16 its second
    for convention, rows, name, line in (("Wx+b", ("[0, 0]", "[-4, 0]"), "W1[2,1]", 16), ("xW+b", ("[0, 0]", "[-4, 0]"), "W1[2,1]", 16),
                                         ("Wx+b", ("[0, -4]", "[0, 0]"), "W1[1,2]", 15), ("xW+b", ("[0, -4]", "[0, 0]"), "W1[1,2]", 15)):
        text = (head[convention] + "learning_rate: 0.1\noptimizer: adam\nstate:\n  step: 2\n  W1:\n    m: [[0, 0], [0, 0]]\n"
                f"    v:\n      - {rows[0]}\n      - {rows[1]}\n  b1: {{m: [0, 0], v: [0, 0]}}\n  {W2[convention]}\n  b2: {{m: [0], v: [0]}}\n")
        assert text.splitlines()[line - 1].strip() == f"- {rows[line - 15]}"
        path = write(text)
        assert_usage_error(invoke("run", path), f"{path}:{line}: state: W1: v of {name} is -4;")
    # a bias's state is named as the bias, on b's line; a shared bias as the layer's one b
    text = head["Wx+b"] + "learning_rate: 0.1\noptimizer: rmsprop\nstate: {step: 1, W1: {v: [[0, 0], [0, 0]]}, b1: {v: [0, 0]},\n  W2: {v: [[0, 0]]}, b2: {v: [-7]}}\n"
    assert_usage_error(invoke("run", write(text)), ":11: state: b2: v of b2[1] is -7;")
    shared = (PROBLEMS.parent / "docs" / "shared_bias.yaml").read_text() + (
        "optimizer: adagrad\nstate: {step: 1, W1: {G: [[1, 1], [1, 1]]}, b1: {G: -0.5}, W2: {G: [[1, 1], [1, 1]]}, b2: {G: 0}}\n")
    assert_usage_error(invoke("run", write(shared)), "state: b1: G of b1 is -0.5;")
    # bias: false: rows count from 1
    text = "x: [1, 2]\ny: [1]\nbias: false\nW1: [[1, 2], [3, 4]]\nW2: [[1], [1]]\nlearning_rate: 0.1\noptimizer: adagrad\nstate: {step: 0, W1: {G: [[0, 0], [-1, 0]]}, W2: {G: [[0], [0]]}}\n"
    assert_usage_error(invoke("run", write(text)), ":8: state: W1: G of W1[2,1] is -1;")


@pytest.mark.parametrize("name, options", [("momentum", {}), ("adagrad", {}), ("rmsprop", {}), ("rmsprop_centered", {}),
                                           ("rmsprop", {"momentum": 0.9, "centered": True}), ("adam", {}), ("adam", {"amsgrad": True}),
                                           ("adamw", {})])
def test_every_state_a_step_leaves_is_one_the_reader_takes(name, options):
    """check_state refuses no state the steps themselves leave: many steps of random and of equal gradients."""
    opt = optimizers.make(name, options)
    rng = np.random.default_rng(3)
    W = rng.normal(size=(3, 2))
    for grads in (rng.normal(scale=5.0, size=(200, 3, 2)), np.full((200, 3, 2), 0.1), rng.normal(scale=1e-6, size=(200, 3, 2))):
        state = optimizers.State()
        for g in grads:
            s = optimizers.step(opt, 0.01, [W], [g], state)
            state = s.after
            assert optimizers.check_state(opt, state.layer(1)) is None, (name, options, state.step)
            W = s.updated[0]
    # the edge, as a person types it: v = g_avg^2 exactly (0.01 and 0.1, not exactly so in float64)
    centered = optimizers.make("rmsprop_centered")
    assert optimizers.check_state(centered, {"v": np.array([[0.01]]), "g_avg": np.array([[0.1]])}) is None


def test_an_optimizer_needs_a_learning_rate(write):
    path = write(WORKSHEET.replace("learning_rate: 2\n", "") + "optimizer: adam\n")
    assert_usage_error(invoke("run", path), f"{path}:10: optimizer", "needs a learning rate", "learning_rate: 0.001")


# -- run: the working, the JSON ------------------------------------------------------------------


def test_run_shows_the_adam_step_with_its_numbers():
    out = invoke("run", ADAM).stdout
    assert "The optimizer: Adam, step t = 1" in out
    assert "m̂ = m / (1 − 0.9^t)" in out and "new w = w − λ m̂ / (√(v̂) + 1e-8)" in out
    # W2[1,1]: g = -0.04623902, m = 0.1 g, v = 0.001 g^2, m_hat = g, v_hat = g^2: a step of lr
    assert "m = (0.9)(0) + (1 − 0.9)(-0.04623902) = -0.00462390" in out
    assert "new W2[1,1] = 2 − (0.1)(-0.04623902) / (√(0.00213805) + 1e-8) = 2.09999998" in out
    md = invoke("run", ADAM, "--format", "markdown").stdout
    assert r"\hat{m} &= m / (1 - 0.9^t)" in md and r"\sqrt{\hat{v}}" in md
    tex = invoke("run", ADAM, "--format", "latex").stdout
    assert r"\hat{v}" in tex and "m_hat" not in tex and "sqrt(" not in tex


def test_run_shows_the_momentum_step_from_its_given_velocity():
    out = invoke("run", MOMENTUM).stdout
    assert "The optimizer: SGD with momentum, step t = 2" in out and "v = 0.9 v + g" in out
    assert "v = (0.9)(-0.25) + (-0.23119511) = -0.45619511" in out
    assert "new W1[2,1] = 1 − (0.5)(-0.45619511) = 1.22809755" in out


def test_run_json_is_version_3_and_validates():
    validator = jsonschema.Draft7Validator(schema("solution"))
    for path in (ADAM, MOMENTUM):
        data = run_json(path)
        validator.validate(data)
        assert data["schema"] == "nnsolve.solution/3"
        opt = data["optimizer"]
        assert opt["t"] == opt["state_after"]["step"] == opt["state_before"]["step"] + 1
        s = solve(load_problem(path))
        for l, layer in enumerate(s.layers, start=1):
            for name, values in s.optimizer_step.layers[l - 1].state:
                assert opt["state_after"][f"W{l}"][name] == values.tolist()
            assert data["updated"][f"W{l}"] == layer.updated_W.tolist()
    assert run_json(ADAM)["optimizer"]["torch_state"] == {"m": "exp_avg", "v": "exp_avg_sq"}


def test_examples_carry_the_state_from_step_to_step(write):
    path = write((PROBLEMS / "sgd_steps.yaml").read_text() + "optimizer: {name: adam, amsgrad: true}\nweight_decay: 0.01\n")
    data = run_json(path)
    jsonschema.Draft7Validator(schema("steps")).validate(data)
    assert data["schema"] == "nnsolve.steps/3"
    first, second = data["steps"]
    assert second["optimizer"]["state_before"] == first["optimizer"]["state_after"] and second["optimizer"]["t"] == 2
    out = invoke("run", path).stdout
    assert "step t = 1" in out and "step t = 2" in out and "2 taken" not in out and "1 taken, so this is step t = 2" in out


def test_a_batch_feeds_its_combined_gradient_to_the_optimizer(write):
    path = write((PROBLEMS / "batch_mean.yaml").read_text() + "optimizer: momentum\nl2: 0.05\n")
    p = load_problem(path)
    b = solve_batch(p)
    plain = solve_batch(replace(p, optimizer=None, l2=0.0))
    for l, (G, G0, W) in enumerate(zip(b.grads, plain.grads, p.weights), start=1):
        mask = np.ones_like(W)
        mask[0] = 0
        np.testing.assert_allclose(G, G0 + 0.05 * mask * W, rtol=1e-12)  # l2 once, on the combined gradient
        np.testing.assert_allclose(b.updated[l - 1], W - p.learning_rate * G, rtol=1e-12)  # momentum's first step: v = g
    data = run_json(path)
    jsonschema.Draft7Validator(schema("batch")).validate(data)
    assert data["schema"] == "nnsolve.batch/3" and data["optimizer"]["name"] == "momentum"
    assert data["l2"]["term"] == pytest.approx(b.penalty) and data["loss"] == pytest.approx(plain.loss + b.penalty)
    assert "The optimizer: SGD with momentum" in invoke("run", path).stdout


def test_l2_in_the_loss_and_the_derivatives_working(write):
    path = write(WORKSHEET + "l2: 0.1\n")
    out = invoke("run", path).stdout
    squares = 4 + 1 + 1 + 16 + 4 + 16  # every weight but the biases
    assert f"||W||² = {squares}" in out or f"= {squares})" in out
    s = solve(load_problem(path))
    assert s.penalty == pytest.approx(0.05 * squares)
    assert "(5)(-0.04623902) + (0.1)(1)" in out  # dl/dW1[2,1] = input * delta + l2 w
    g = json.loads(invoke("grad", "W1[2,1]", path, "--json").stdout)
    jsonschema.Draft7Validator(schema("grad")).validate(g)
    assert g["gradient"] == pytest.approx(-0.23119511 + 0.1, rel=1e-7)
    assert "The l2 term of the loss adds" in invoke("grad", "W1[2,1]", path).stdout


def test_grad_shows_the_weights_optimizer_working_after_its_derivative():
    out = invoke("grad", "W2[1,1]", ADAM).stdout
    at = out.index("The update")
    assert out.index("∂ℓ/∂W2[1,1] = -0.04623902") < at
    assert "m = (0.9)(0) + (1 − 0.9)(-0.04623902) = -0.00462390" in out[at:]
    g = json.loads(invoke("grad", "W2[1,1]", ADAM, "--json").stdout)
    jsonschema.Draft7Validator(schema("grad")).validate(g)
    assert g["schema"] == "nnsolve.grad/3" and g["optimizer"]["t"] == 1
    assert g["optimizer"]["working"]["m_hat"] == pytest.approx(g["gradient"], rel=1e-12)
    every = json.loads(invoke("grad", "--all", MOMENTUM, "--json").stdout)
    jsonschema.Draft7Validator(schema("grad-all")).validate(every)
    assert "new w" in invoke("grad", "--all", MOMENTUM).stdout


# -- check, new, convert ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["worksheet_adam", "worksheet_momentum"])
def test_the_worksheets_keys_check_and_are_current(name):
    """problems/NAME.key.yaml (every quantity) checks right at a tight tolerance; NAME.key.md is
    what run --format markdown writes (make keys)."""
    result = invoke("check", str(PROBLEMS / f"{name}.key.yaml"), "--rtol", "1e-9", "--atol", "1e-12", "--json")
    assert result.exit_code == 0, result.stdout
    record = json.loads(result.stdout)
    assert record["counts"]["wrong"] == 0 and record["score"] == record["max_score"] and record["max_score"] > 40
    assert any(a["quantity"] == "new W1[2,1]" for a in record["answers"])
    from test_docs import same_text

    written = invoke("run", str(PROBLEMS / f"{name}.yaml"), "--format", "markdown").stdout
    assert same_text((PROBLEMS / f"{name}.key.md").read_text(encoding="utf-8"), written)


def test_check_names_the_optimizers_slips(write):
    s = solve(load_problem(ADAM))
    from nnsolve.slips import slips_of

    slips = {sl.name: sl.value for sl in slips_of(s, "new W2")}
    sheet = write(f"new W2[1,1]: {slips['bias correction forgotten'][1, 0]}\n"
                  f"new W2[2,1]: {slips['t off by one'][2, 0]}\n", "answers.yaml")
    result = invoke("check", sheet, "--problem", ADAM, "--json")
    assert result.exit_code == 1
    record = json.loads(result.stdout)
    jsonschema.Draft7Validator(schema("check")).validate(record)
    assert [a["slip"]["name"] for a in record["answers"]] == ["bias correction forgotten", "t off by one"]
    text = invoke("check", sheet, "--problem", ADAM).stdout
    assert "the bias correction was left out" in text and "this is step t = 1" in text
    momentum = solve(load_problem(MOMENTUM))
    left_out = {sl.name: sl.value for sl in slips_of(momentum, "new W1")}["momentum left out"]
    sheet = write(f"new W1[2,1]: {left_out[2, 0]}\n", "m.yaml")
    assert json.loads(invoke("check", sheet, "--problem", MOMENTUM, "--json").stdout)["answers"][0]["slip"]["name"] == "momentum left out"


def test_a_new_weight_carries_forward_from_the_students_own_derivative_through_the_optimizer(write):
    p = load_problem(MOMENTUM)
    wrong = -0.3  # their dl/dW1[2,1] (the key's is -0.2312): v = 0.9 (-0.25) + g, w - 0.5 v
    _, _, new = optimizers.rule(p.optimizer, p.learning_rate, np.array(1.0), np.array(wrong), {"v": np.array(-0.25)}, 2, 1.0)
    assert float(new) == pytest.approx(1 - 0.5 * (0.9 * -0.25 + wrong))
    sheet = write(f"dl/dW1[2,1]: {wrong}\nnew W1[2,1]: {float(new)}\n", "answers.yaml")
    record = json.loads(invoke("check", sheet, "--problem", MOMENTUM, "--json").stdout)
    assert [a["verdict"] for a in record["answers"]] == ["wrong", "carried forward"]


def test_new_from_keeps_the_optimizer_and_its_state(tmp_path, monkeypatch):
    for source in (ADAM, MOMENTUM):
        out = tmp_path / source.rsplit("/", 1)[1]
        result = invoke("new", "--from", source, "--count", "3", "--seed", "2", "--keys", "markdown", "--out", str(out))
        assert result.exit_code == 0, result.stderr
        original = load_problem(source)
        for n in (1, 2, 3):
            v = load_problem(str(out / f"variant-00{n}.yaml"))
            assert v.optimizer == original.optimizer
            assert (v.state is None) == (original.state is None)
            assert "The optimizer:" in (out / f"variant-00{n}.key.md").read_text()
        monkeypatch.chdir(out)
        graded = invoke("check", ".", "--json")
        assert graded.exit_code == 0, graded.stdout


def test_convert_keeps_the_optimizer_and_writes_the_state_in_the_convention(tmp_path):
    result = invoke("convert", MOMENTUM, "--to", "Wx+b")
    assert result.exit_code == 0, result.stderr
    path = tmp_path / "wxb.yaml"
    path.write_text(result.stdout)
    assert "b1: {v: [-0.05, 0]}" in result.stdout
    a, b = solve(load_problem(MOMENTUM)), solve(load_problem(str(path)))
    for x, y in zip(a.layers, b.layers):
        np.testing.assert_allclose(x.updated_W, y.updated_W, rtol=1e-12)
    data = run_json(str(path))
    jsonschema.Draft7Validator(schema("solution")).validate(data)
    assert data["optimizer"]["state_before"]["b1"]["v"] == [-0.05, 0]


# -- train --optimizer --------------------------------------------------------------------------


def test_training_one_row_is_the_problems_optimizer_step(write):
    for source in (ADAM, MOMENTUM):
        p = load_problem(source)
        data = write("x1,x2,y\n2,5,1\n", "one.csv")
        lines = [json.loads(l) for l in invoke("train", source, "--data", data, "--epochs", "3", "--json").stdout.splitlines()]
        steps = solve_steps(replace(p, examples=((p.x, p.y),)), epochs=3)
        assert [l["loss"] for l in lines] == pytest.approx([s.solution.loss for s in steps[1:]] + [lines[-1]["loss"]], rel=1e-12)


def test_train_several_optimizers_are_compared(tmp_path):
    result = invoke("train", MOONS, "--data", MOONS_DATA, "--epochs", "3", "--optimizer", "sgd,momentum,adam:lr=0.01:amsgrad=true", "--json")
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(l) for l in result.stdout.splitlines()]
    validator = jsonschema.Draft7Validator(schema("train"))
    for line in lines:
        validator.validate(line)
    assert [l["optimizer"] for l in lines] == ["sgd"] * 3 + ["momentum"] * 3 + ["adam:lr=0.01:amsgrad=true"] * 3
    table = invoke("train", MOONS, "--data", MOONS_DATA, "--epochs", "3", "--optimizer", "sgd,adam:lr=0.01").stdout
    assert "Optimizers compared" in table and "first epoch at" in table and "each step Adam (beta1 0.9" in table
    picture = tmp_path / "compare.png"
    pytest.importorskip("matplotlib")
    assert invoke("train", MOONS, "--data", MOONS_DATA, "--epochs", "2", "--optimizer", "sgd,adam", "--plot", str(picture)).exit_code == 0
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("spec, fragments", [
    ("adma", ("unknown optimizer 'adma'", "did you mean 'adam'?")),  # as run says of optimizer: adma
    ("nesterv", ("did you mean 'nesterov'?",)),
    ("zzz", ("known: sgd, momentum, adagrad, rmsprop, adam, adamw, nesterov, rmsprop_centered",)),
    ("adam:beta1=2", ("beta1", "[0, 1)")),
    ("adam:lr=-1", ("lr=-1", "positive")),
    ("adam:beta1", ("not key=value",)),
    ("sgd,,adam", ("empty name",)),
])
def test_train_bad_optimizers(spec, fragments):
    assert_usage_error(invoke("train", MOONS, "--data", MOONS_DATA, "--epochs", "1", "--optimizer", spec), *fragments)


def test_train_save_takes_one_optimizer(tmp_path):
    saved = tmp_path / "m.yaml"
    assert_usage_error(invoke("train", MOONS, "--data", MOONS_DATA, "--optimizer", "sgd,adam", "--save", str(saved)), "--save", "one --optimizer")
    assert invoke("train", MOONS, "--data", MOONS_DATA, "--epochs", "1", "--optimizer", "adam:lr=0.01", "--save", str(saved)).exit_code == 0
    p = load_problem(str(saved))
    assert p.optimizer == optimizers.make("adam") and p.learning_rate == 0.01


def test_adam_on_moons_reaches_sgds_accuracy_in_fewer_epochs():
    """docs/train.md's figure: mini-batches of 32, 200 epochs, from the same weights in the same order."""
    result = invoke("train", MOONS, "--data", MOONS_DATA, "--epochs", "200", "--batch-size", "32",
                    "--optimizer", "sgd,adam:lr=0.03", "--json")
    runs: dict = {}
    for line in map(json.loads, result.stdout.splitlines()):
        runs.setdefault(line["optimizer"], []).append(line)
    sgd, adam = runs["sgd"], runs["adam:lr=0.03"]
    target = sgd[-1]["accuracy"]
    first = {name: next(r["epoch"] for r in rows if r["accuracy"] >= target) for name, rows in runs.items()}
    assert first["adam:lr=0.03"] < first["sgd"] / 2, first
    assert max(r["accuracy"] for r in adam) > target


def test_the_working_in_another_convention_and_in_mathml(tmp_path):
    path = tmp_path / "wxb.yaml"
    path.write_text(invoke("convert", MOMENTUM, "--to", "Wx+b").stdout)
    out = invoke("run", str(path)).stdout
    assert "b1[1]:" in out and "g = ∂L/∂b1[1] = -0.04623902" in out and "new b1[1] = -1 − (0.5)(-0.09123902) = -0.95438049" in out
    assert "new w = w − η v" in out  # the convention's learning rate, eta
    from nnsolve.render.mathml import mathml

    written = mathml("new w = w - lambda m_hat / (sqrt(v_hat) + 1e-8); g_avg, v_max, v_tilde")
    assert "<msqrt>" in written and "hat" not in written and "<mi>max</mi>" in written and "_" not in written
    html = invoke("run", ADAM, "--format", "html").stdout
    assert "<msqrt>" in html and "m_hat" not in html


def test_a_shared_bias_with_adam_in_wx_plus_b_solves(write):
    """bias: shared with optimizer: adam (main's shared bias meets issue 19): the shared bias's
    derivative is the sum over its layer's neurons, and Adam's step keeps row 0 one bias."""
    from test_shared_bias import WXB

    path = write(WXB + "optimizer: adam\n")
    s = solve(load_problem(path))
    assert s.problem.shared_bias and s.problem.optimizer == optimizers.make("adam")
    for layer in s.layers:
        assert np.all(layer.grad_W[0] == layer.grad_W[0][0])  # one derivative, in every entry of row 0
        assert np.all(layer.updated_W[0] == layer.updated_W[0][0])  # the shared row stays equal after the step
    assert s.layers[0].updated_W[0][0] == pytest.approx(0.5 + 2, abs=1e-5)  # Adam's first step: lr * sign(g)
    data = run_json(path)
    jsonschema.Draft7Validator(schema("solution")).validate(data)
    assert data["schema"] == "nnsolve.solution/3" and data["problem"]["shared_bias"] is True
    assert data["updated"]["b1"] == pytest.approx(s.layers[0].updated_W[0][0], rel=1e-12)
    assert "new b¹" in invoke("run", path).stdout
    # the shared bias's state is one number too, and convert keeps it
    given = write(WXB + "optimizer: {name: momentum, momentum: 0.9}\nstate: {step: 1, W1: {v: [[1, 1], [1, 1]]}, b1: {v: 0.5},"
                        " W2: {v: [[1, 1]]}, b2: {v: 0.2}}\n")
    assert "v = (0.9)(0.5) + (-0.03850613) = 0.41149387" in invoke("run", given).stdout
    row = load_problem(write(invoke("convert", given, "--to", "bias-row").stdout))
    assert row.shared_bias and row.state.layer(1)["v"][0].tolist() == [0.5, 0.5]
    assert "b1: {v: 0.5}" in invoke("convert", given, "--to", "Wx+b").stdout


# -- hand rounding that loses an adaptive step's denominator ---------------------------------------


def test_rounding_adams_v_to_nothing_is_said_with_the_fix():
    """At 4 decimals Adam's v = (1 - 0.999) g^2 of the worksheet's gradients (2e-6) rounds to 0,
    and each step divides by eps alone: the new weights are 1e5 and more. run says which value
    went, and that --sig keeps it."""
    text = invoke("run", ADAM, "--round", "4").stdout
    assert ("v of W1[0,1] is 2.14e-06 exactly, which rounds to 0 at 4 decimals, half-up: the rounded step divides "
            "by ε = 1e-8 alone, so the new weights above are far from Adam's. Work it by hand to significant figures "
            "instead (--sig 4).") in " ".join(text.split())
    assert "rounds to 0" not in invoke("run", ADAM, "--sig", "4").stdout  # the gradient of W1[2,2] is 0 there too: no step, no note
    assert "rounds to 0" not in invoke("run", ADAM).stdout
    assert "rounds to 0" not in invoke("run", MOMENTUM, "--round", "4").stdout  # no denominator


@pytest.mark.parametrize("name", ["adam", "adamw", "rmsprop", "rmsprop_centered", "adagrad"])
def test_the_note_names_the_weight_grad_shows(name, write):
    problem = write(WORKSHEET + f"optimizer: {name}\n")
    for weight in ("W2[1,1]", "W1[0,1]"):
        text = " ".join(invoke("grad", weight, problem, "--round", "4").stdout.split())
        exact = load_problem(problem)
        rounded_step = solve(exact, _rounding(4)).optimizer_step
        exact_step = solve(exact).optimizer_step
        layer, row, column = int(weight[1]), int(weight[3]), int(weight[5])
        lost = optimizers.rounded_to_nothing(rounded_step, exact_step, (layer, row * 2 + column - 1 if layer == 1 else row))
        if lost is None:
            assert "rounds to 0" not in text
        else:
            assert f"of {weight} is" in text and "rounds to 0 at 4 decimals" in text and "new weight above is far" in text


def _rounding(digits):
    from nnsolve.rounding import Rounding

    return Rounding(digits)


def test_rounded_to_nothing_finds_the_first_value_on_the_way():
    rng = np.random.default_rng(5)
    for name in ("adam", "rmsprop", "adagrad"):
        opt = optimizers.make(name)
        W = [rng.normal(size=(3, 2))]
        g = [np.array([[0.05, 0.0], [1.0, 1e-9], [0.3, -0.002]])]  # 0.05^2 (1 - 0.999) = 2.5e-6; 1e-9: no step either way
        exact = optimizers.step(opt, 0.1, W, g)
        rounded = optimizers.step(opt, 0.1, W, g, rnd=_rounding(4))
        lost = optimizers.rounded_to_nothing(rounded, exact)
        if name == "adagrad":  # G = 0 + g^2: 0.0025 survives 4 decimals, 0.002^2 = 4e-6 does not
            assert lost == (1, 5, "G", pytest.approx(4e-6, rel=1e-12))
            assert abs(rounded.layers[0].updated[2, 1] - exact.layers[0].updated[2, 1]) > 1e3
            continue
        layer, k, what, value = lost
        assert (layer, k, what) == (1, 0, "v")
        v = (1 - opt["beta2"] if name == "adam" else 1 - opt["alpha"]) * 0.05 ** 2
        assert value == pytest.approx(v, rel=1e-12)
        assert optimizers.rounded_to_nothing(rounded, exact, only=(1, 2)) is None  # g = 1: v survives
        assert optimizers.rounded_to_nothing(rounded, exact, only=(1, 3)) is None  # g = 1e-9: eps was most of it anyway
        assert abs(rounded.layers[0].updated[0, 0] - exact.layers[0].updated[0, 0]) > 1e3  # what the note is for


def test_the_note_in_the_problems_convention(write):
    problem = write(WORKSHEET + "optimizer: adam\n")
    converted = invoke("convert", problem, "--to", "Wx+b")
    assert converted.exit_code == 0, converted.stderr
    wxb = write(converted.stdout, "wxb.yaml")
    out = " ".join(invoke("run", wxb, "--round", "4").stdout.split())
    assert "v of b1[1] is 2.14e-06 exactly, which rounds to 0" in out


# -- quiz statements say the rule their new weights follow ---------------------------------------


def test_a_quiz_of_an_optimizer_problem_states_its_rule_and_state(tmp_path, monkeypatch):
    """The keys of new W are the optimizer's step: the Moodle and PrairieLearn statements say which
    rule, its options and the state it starts from, and the l2 term, or a student is graded on a
    rule they were not told."""
    monkeypatch.chdir(tmp_path)
    result = invoke("new", "--from", MOMENTUM, "--count", "2", "--out", "v", "--moodle", "q.xml", "--prairielearn", "pl")
    assert result.exit_code == 0, result.stderr
    server = (tmp_path / "pl" / "server.py").read_text(encoding="utf-8").replace("\\\\", "\\")  # a Python string's \\ is \
    for text in ((tmp_path / "q.xml").read_text(encoding="utf-8"), server):
        assert "one step of SGD with momentum (momentum 0.9, dampening 0, nesterov false)" in text
        assert r"\(v = 0.9 v + g\)" in text and r"\text{ new } w = w - \lambda  v" in text
        assert r"v \text{ of } W^{1} = \begin{bmatrix}" in text  # the velocity the first step left
    plain = WORKSHEET + "l2: 0.01\n"
    (tmp_path / "l2.yaml").write_text(plain, encoding="utf-8")
    assert invoke("new", "--from", "l2.yaml", "--moodle", "l2.xml").exit_code == 0
    text = (tmp_path / "l2.xml").read_text(encoding="utf-8")
    assert r"\lambda_2 = 0.01" in text and "the biases left out" in text and "one step of" not in text
    (tmp_path / "plain.yaml").write_text(WORKSHEET, encoding="utf-8")
    assert invoke("new", "--from", "plain.yaml", "--moodle", "plain.xml").exit_code == 0
    text = (tmp_path / "plain.xml").read_text(encoding="utf-8")
    assert "one step of" not in text and "l2 term" not in text  # plain SGD: as before


@pytest.mark.parametrize("optimizer, title", [("adam", "Adam"), ("adamw", "AdamW"), ("rmsprop", "RMSprop"), ("adagrad", "Adagrad"),
                                              ("{name: adam, amsgrad: true}", "Adam"), ("nesterov", None)])
def test_check_names_plain_sgds_step_for_an_optimizer_whose_step_is_not_sgds(optimizer, title, write):
    """The worksheet under each optimizer whose step is not plain SGD's: a new weight made as
    w - lambda g from the student's own derivative (the key's, rounded as a student writes it) is
    wrong and named; AdamW's also with its weight decay (w - lambda (g + 0.01 w)). Nesterov's first
    step is momentum's slip. The key's new weight, with or without the derivative, is correct and
    names nothing. Each value worked here from run --json."""
    path = write(WORKSHEET + f"optimizer: {optimizer}\n", "p.yaml")
    data = run_json(path)
    g = float(f"{data['gradients']['W2'][1][0]:.4g}")  # -0.04624, within tolerance of the key's
    w, lr = 2.0, 2.0
    sgd = [(w - lr * g, "w − λ ∂ℓ/∂w")] + ([(w - lr * (g + 0.01 * w), "w − λ (∂ℓ/∂w + weight_decay w)")] if optimizer == "adamw" else [])
    name = "plain SGD's step" if title else "momentum left out"
    for value, formula in sgd:
        for sheet in (f"new W2[1,1]: {value!r}\n", f"dl/dW2[1,1]: {g!r}\nnew W2[1,1]: {value!r}\n"):
            result = invoke("check", write(sheet, "s.yaml"), "--problem", path, "--json")
            assert result.exit_code == 1
            record = json.loads(result.stdout)
            jsonschema.Draft7Validator(schema("check")).validate(record)
            answer = record["answers"][-1]
            assert (answer["verdict"], answer["slip"]["name"]) == ("wrong", name), (sheet, answer)
        text = invoke("check", write(sheet, "s.yaml"), "--problem", path).stdout
        if title:
            assert f"new W2[1,1] is wrong: {title}'s rule was left out: this is plain SGD's step" in text and f"({formula})." in text
        else:
            assert "new W2[1,1] is wrong: the velocity was left out: this is plain SGD's step (w − λ g)." in text
    key = data["updated"]["W2"][1][0]
    for sheet in (f"new W2[1,1]: {key!r}\n", f"dl/dW2[1,1]: {g!r}\nnew W2[1,1]: {key!r}\n"):
        record = json.loads(invoke("check", write(sheet, "s.yaml"), "--problem", path, "--json").stdout)
        assert [(a["verdict"], a["slip"]) for a in record["answers"]] == [("correct", None)] * len(record["answers"])


def test_the_newcomers_plain_sgd_step_on_the_adam_worksheet(tmp_path):
    """As the newcomer typed it: problems/worksheet_adam.yaml, the derivative rounded, the new
    weight 2 - 0.1 (-0.04624)."""
    (tmp_path / "a.yaml").write_text("dl/dW2[1,1]: -0.04624\nnew W2[1,1]: 2.004624\n")
    result = invoke("check", str(tmp_path / "a.yaml"), "--problem", ADAM)
    assert result.exit_code == 1
    assert "new W2[1,1] is wrong: Adam's rule was left out: this is plain SGD's step (w − λ ∂ℓ/∂w)." in result.stdout
    assert "leaves the key" not in result.stdout


def test_plain_sgds_step_within_the_tolerance_of_the_key_is_correct(write):
    """A linear output with y such that dl/dW2[0,1] = y_hat - y = 1.005: Adam's first step is
    lambda g / (|g| + eps), about lambda, and plain SGD's 1.005 lambda, within rtol 0.01 of it.
    That answer is correct and names nothing (the slip never demotes); 1.05 lambda, outside, is
    named."""
    text = WORKSHEET.replace("activation: sigmoid", "activation: [sigmoid, linear]").replace("y: [1]", "y: [-3.005]") + "optimizer: adam\n"
    path = write(text, "p.yaml")
    data = run_json(path)
    g = data["gradients"]["W2"][0][0]
    assert g == pytest.approx(1.005, abs=1e-9)
    record = json.loads(invoke("check", write(f"new W2[0,1]: {1 - 2 * g!r}\n", "s.yaml"), "--problem", path, "--json").stdout)
    assert [(a["verdict"], a["slip"]) for a in record["answers"]] == [("correct", None)]
    path = write(text.replace("y: [-3.005]", "y: [-3.05]"), "p.yaml")
    g = run_json(path)["gradients"]["W2"][0][0]
    record = json.loads(invoke("check", write(f"new W2[0,1]: {1 - 2 * g!r}\n", "s.yaml"), "--problem", path, "--json").stdout)
    assert [(a["verdict"], a["slip"]["name"]) for a in record["answers"]] == [("wrong", "plain SGD's step")]


def test_an_optimizer_slip_near_the_key_never_marks_a_right_answer_down(write):
    """At step 10001 Adam's bias correction of v is 1 - 0.999^10001 = 0.99995: the step without
    it is 0.002% off the key. An answer equal to it is within the key's tolerance: correct, not
    "bias correction forgotten" (as for every optimizer slip: each can come that near the key)."""
    from nnsolve.slips import slips_of

    state = ("state: {step: 10000, W1: {m: [[0, 0], [0, 0], [0, 0]], v: [[0, 0], [0, 0], [0, 0]]}, "
             "W2: {m: [[0], [0], [0]], v: [[0], [0], [0]]}}\n")
    path = write(WORKSHEET + "optimizer: adam\n" + state)
    problem = load_problem(path)
    key = solve(problem)
    [slip] = [s for s in slips_of(key, "new W2") if s.name == "bias correction forgotten"]
    value = float(slip.value[1, 0])
    assert value != float(key.layers[1].updated_W[1, 0]) and value == pytest.approx(float(key.layers[1].updated_W[1, 0]), rel=1e-4)
    sheet = write(f"new W2[1,1]: {value!r}\n", "sheet.yaml")
    [record] = [json.loads(line) for line in invoke("check", sheet, "--problem", path, "--json").stdout.splitlines()]
    assert [(a["verdict"], a["slip"]) for a in record["answers"]] == [("correct", None)]
