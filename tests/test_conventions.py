"""Issue 15: a course's notation. Problem files in the Wx+b and xW+b conventions (a weight
matrix per layer as the course writes it, and a bias vector b beside it) are read into the
one form nnsolve works in, written back by `nnsolve convert`, and every output names the
weights in the convention's own indexing."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml

from nnsolve import chain
from nnsolve.notation import CONVENTIONS, from_convention, parse_weight_in, weight_in
from nnsolve.problem import load_problem, parse_problem
from nnsolve.render.problem_file import problem_text
from nnsolve.solution import solve
from conftest import PROBLEM_FILES, PROBLEMS, assert_usage_error, invoke, run_json


def convert(path, convention: str) -> str:
    result = invoke("convert", str(path), "--to", convention)
    assert result.exit_code == 0, result.stderr
    return result.stdout


# -- every problem, in every convention and back ------------------------------------------------


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: p.stem)
def test_every_problem_converts_to_each_convention_and_back_unchanged(path, tmp_path):
    original = load_problem(str(path))
    home = convert(path, original.convention)  # the file as nnsolve writes it, in its own convention
    for convention in CONVENTIONS:
        there = tmp_path / f"{convention}.yaml"
        there.write_text(convert(path, convention))
        converted = load_problem(str(there))
        assert converted.convention == convention
        for a, b in zip(original.weights, converted.weights):
            np.testing.assert_array_equal(a, b)  # the same numbers, moved: nothing is computed
        back = tmp_path / "back.yaml"
        back.write_text(convert(there, original.convention))
        assert back.read_text() == home, convention


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: p.stem)
def test_every_problem_solves_to_the_same_numbers_in_every_convention(path, tmp_path):
    reference = run_json(str(path))
    for convention in CONVENTIONS:
        there = tmp_path / f"{convention}.yaml"
        there.write_text(convert(path, convention))
        data = run_json(str(there))
        a, b = (d["steps"][0] if "steps" in d else d for d in (reference, data))
        assert b["schema"].split("/")[0] == a["schema"].split("/")[0]  # (a batch stays a batch)
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-12)
        if "count" in a:  # a batch: each example's y_hat, then the batch's gradients and update
            for one, other in zip(a["examples"], b["examples"]):
                assert other["y_hat"] == pytest.approx(one["y_hat"], rel=1e-12)
        else:
            assert b["y_hat"] == pytest.approx(a["y_hat"], rel=1e-12)
        for part in ("gradients", "updated"):  # each in its file's convention: read back to one form
            for l in range(1, len(a["shapes"]) - sum(k.startswith("b") for k in a["shapes"]) + 1):
                ours, theirs = (from_convention(d[part][f"W{l}"], d[part].get(f"b{l}"), d["problem"].get("convention", "bias-row"))
                                for d in (a, b))
                np.testing.assert_allclose(theirs, ours, rtol=1e-12, atol=1e-300)


def test_the_worksheet_in_wx_plus_b():
    text = convert(PROBLEMS / "worksheet.yaml", "Wx+b")
    data = yaml.safe_load(text)
    # W^l is neurons x inputs: the worksheet's W1 without its bias row, transposed
    assert data["W1"] == [[-2, 1], [1, 4]] and data["b1"] == [-1, 2]
    assert data["W2"] == [[2, -4]] and data["b2"] == [1]
    xw = yaml.safe_load(convert(PROBLEMS / "worksheet.yaml", "xW+b"))
    assert xw["W1"] == [[-2, 1], [1, 4]] and xw["W2"] == [[2], [-4]] and xw["b2"] == [1]


# -- the convention's own names ---------------------------------------------------------------------


def test_weight_names_follow_the_conventions_indexing():
    # internal (layer, row i with 0 the bias row, column j): from input i into neuron j
    assert weight_in("bias-row", 2, 1, 2) == "W2[1,2]"
    assert weight_in("Wx+b", 2, 1, 2) == "W2[2,1]"  # into neuron 2 from input 1
    assert weight_in("xW+b", 2, 1, 2) == "W2[1,2]"
    assert weight_in("Wx+b", 2, 0, 2) == weight_in("xW+b", 2, 0, 2) == "b2[2]"
    for convention in CONVENTIONS:
        for layer, i, j in ((1, 0, 1), (2, 1, 2), (3, 3, 1)):
            assert parse_weight_in(convention, weight_in(convention, layer, i, j)) == (layer, i, j)
    assert parse_weight_in("Wx+b", "dL/dW^2_{1,2}") == (2, 2, 1)
    assert parse_weight_in("Wx+b", "b_2[1]".replace("_", "")) == (2, 0, 1)
    with pytest.raises(ValueError, match="count from 1"):
        parse_weight_in("Wx+b", "W2[0,1]")
    with pytest.raises(ValueError, match="bias: false"):
        parse_weight_in("Wx+b", "b2[1]", bias=False)


def test_run_writes_z_and_a_and_the_layer_as_the_course_does():
    out = invoke("run", str(PROBLEMS / "wxb_relu_softmax.yaml")).stdout
    assert "Into layer 1: z¹ = W¹ x + b¹" in out
    assert "z¹₁ = (0.5)(1) + (-0.2)(2) + (0.1)(-1) + (0.1) = 0.1" in out
    assert "Out of layer 1: a¹ = relu(z¹)" in out
    assert "δ¹ = relu'(z¹) ⊙ (W²ᵀ δ²)" in out
    for name in ("b1[1]", "W1[1,3]", "W2[2,1]", "b2[2]"):
        assert f"\n {name} " in out, name
    assert "α" not in out and "β" not in out and "λ" not in out
    assert "learning rate η = 0.5" in out and "L = −" in out
    # the updated weights in the convention's shapes
    assert "new W²\n row j " in out and "new b² = [" in out


def test_xw_plus_b_writes_inputs_times_weights(tmp_path):
    path = tmp_path / "xw.yaml"
    path.write_text(convert(PROBLEMS / "worksheet.yaml", "xW+b"))
    out = invoke("run", str(path)).stdout
    assert "Into layer 2: z² = a¹ W² + b²" in out
    assert "z² = (0.5)(2) + (0.99999999996)(-4) + (1) = -1.9999999998" in out


def test_symbols_rename_the_working(tmp_path):
    path = tmp_path / "h.yaml"
    text = convert(PROBLEMS / "worksheet.yaml", "Wx+b") + "symbols: {alpha: h, beta: o, loss: E, learning_rate: alpha}\n"
    path.write_text(text)
    out = invoke("run", str(path)).stdout
    assert "Into layer 1: h¹ = W¹ x + b¹" in out and "Out of layer 1: o¹ = sigmoid(h¹)" in out
    assert "E = ½ (1 − 0.11920292)² = 0.38790175" in out and "learning rate α = 2" in out
    # and back: the file as written keeps them
    assert "symbols: {alpha: h, beta: o, loss: E, learning_rate: alpha}" in convert(path, "Wx+b")


def test_grad_takes_the_conventions_names(tmp_path):
    path = tmp_path / "wxb.yaml"
    path.write_text(convert(PROBLEMS / "worksheet.yaml", "Wx+b"))
    # the worksheet's W1[2,1] (from x_2 into neuron 1) is W1[1,2] in Wx+b
    out = invoke("grad", "W1[1,2]", str(path)).stdout
    assert "∂L/∂W1[1,2] = -0.23119511" in out and "new W1[1,2] = W1[1,2] − η ∂L/∂W1[1,2] = 1 − (2)(-0.23119511) = 1.46239022" in out
    out = invoke("grad", "b2[1]", str(path)).stdout
    assert "∂L/∂b2[1] = -0.09247804" in out
    assert_usage_error(invoke("grad", "W1[3,1]", str(path)), "W1[3,1]: out of range", "W1 is 2 x 2 (neurons x inputs)")
    assert_usage_error(invoke("grad", "W1[0,1]", str(path)), "count from 1", "b1[1]")


# -- random networks: the test's own forward pass, as the convention writes it -------------------


_OWN_ACTIVATIONS = {
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "softmax": lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(),
}


def _own_loss(convention: str, x, y, Ws, bs, activations=None, loss="squared_error") -> float:
    """The loss of a network computed the way the convention writes it: z = W a + b or a W + b."""
    a = np.asarray(x, dtype=float)
    for l, (W, b) in enumerate(zip(Ws, bs)):
        z = (W @ a if convention == "Wx+b" else a @ W) + b
        a = _OWN_ACTIVATIONS[(activations or ["sigmoid"] * len(Ws))[l]](z)
    y = np.asarray(y, dtype=float)
    if loss == "cross_entropy":
        return float(-np.sum(y * np.log(a)))
    return 0.5 * float(np.sum((y - a) ** 2))


@pytest.mark.parametrize("convention", ["Wx+b", "xW+b"])
def test_random_networks_agree_with_finite_differences_in_the_convention(convention):
    """Random networks (sigmoid, tanh, relu hidden layers; sigmoid + squared error or softmax +
    cross-entropy outputs), written in the convention by the test, its own forward pass in that
    form, every W[.,.] and b[.] named as the convention does: nnsolve's derivative of each is the
    central difference of the test's loss."""
    rng = np.random.default_rng(15 if convention == "Wx+b" else 16)
    for case in range(24):
        sizes = [int(v) for v in rng.integers(1, 4, size=int(rng.integers(2, 5)))]
        softmax = case % 3 == 2
        if softmax:
            sizes[-1] = max(2, sizes[-1])
        hidden = [str(rng.choice(["sigmoid", "tanh", "relu"])) for _ in sizes[2:]]
        activations = hidden + (["softmax"] if softmax else ["sigmoid"])
        loss = "cross_entropy" if softmax else "squared_error"
        x = rng.uniform(-1, 1, sizes[0]).round(2)
        y = np.eye(sizes[-1])[int(rng.integers(sizes[-1]))] if softmax else rng.integers(0, 2, sizes[-1]).astype(float)
        Ws, bs = [], []
        for n_in, n_out in zip(sizes, sizes[1:]):
            W = rng.uniform(-1, 1, (n_out, n_in)).round(2)
            Ws.append(W if convention == "Wx+b" else W.T.copy())
            bs.append(rng.uniform(-1, 1, n_out).round(2))
        text = yaml.safe_dump({"convention": convention, "x": x.tolist(), "y": y.tolist(), "learning_rate": 0.5,
                               "activation": activations, "loss": loss,
                               **{f"W{l}": W.tolist() for l, W in enumerate(Ws, 1)}, **{f"b{l}": b.tolist() for l, b in enumerate(bs, 1)}})
        problem = parse_problem(text)
        solution = solve(problem)
        own = lambda Ws, bs: _own_loss(convention, x, y, Ws, bs, activations, loss)  # noqa: E731
        assert solution.loss == pytest.approx(own(Ws, bs), rel=1e-12)
        if any(np.any(np.abs(s.alpha) < 1e-4) for s, act in zip(solution.layers, activations) if act == "relu"):
            continue  # a relu at its kink has no derivative to compare
        h = 1e-6
        for l, (W, b) in enumerate(zip(Ws, bs), start=1):
            named = [(f"W{l}[{r + 1},{c + 1}]", W, (r, c)) for r in range(W.shape[0]) for c in range(W.shape[1])]
            named += [(f"b{l}[{k + 1}]", b, (k,)) for k in range(len(b))]
            for name, array, index in named:
                up, down = array.copy(), array.copy()
                up[index] += h
                down[index] -= h
                swap = lambda v: [v if m is array else m for m in (Ws if array.ndim == 2 else bs)]  # noqa: E731
                if array.ndim == 2:
                    numeric = (own(swap(up), bs) - own(swap(down), bs)) / (2 * h)
                else:
                    numeric = (own(Ws, swap(up)) - own(Ws, swap(down))) / (2 * h)
                g = chain.weight_gradient(solution, name)
                assert g.gradient == pytest.approx(numeric, rel=1e-5, abs=1e-9), (convention, name)
                assert g.value == array[index]
                assert g.updated == pytest.approx(array[index] - 0.5 * g.gradient, rel=1e-12)


# -- what a user gets wrong ---------------------------------------------------------------------------


WXB = """convention: Wx+b
x: [2, 5]
y: [1]
W1: [[-2, 1], [1, 4]]
b1: [-1, 2]
W2: [[2, -4]]
b2: [1]
learning_rate: 2
"""


@pytest.mark.parametrize("change, fragments", [
    (("convention: Wx+b", "convention: Wxb"), ["p.yaml:1:", "convention", "unknown convention 'Wxb'", "Wx+b (W is neurons x inputs"]),
    (("b2: [1]\n", ""), ["b2", "missing: in Wx+b each layer's biases are a vector b2", "or 'bias: false'"]),
    (("b1: [-1, 2]", "b1: [-1, 2, 3]"), ["p.yaml:5:", "b1", "has 3 biases, but W1 has 2 neurons", "one bias per neuron of layer 1"]),
    (("W2: [[2, -4]]", "W2: [[2], [-4]]"), ["p.yaml:6:", "W2", "is 2 x 1, but 2 neurons of layer 1 come into layer 2; in Wx+b W2 is neurons x inputs, and this is how xW+b writes it",
                                            "write its transpose, 1 x 2, or say 'convention: xW+b'"]),
    (("W1: [[-2, 1], [1, 4]]", "W1: [[-2, 1, 0], [1, 4, 0]]"), ["p.yaml:4:", "W1", "but 2 inputs come into layer 1", "write its transpose, 3 x 2"]),
    (("W1: [[-2, 1], [1, 4]]", "W1: [[-2, 1, 0]]"), ["p.yaml:4:", "W1", "is 1 x 3, but 2 inputs come into layer 1", "make W1 (neurons of layer 1) x 2"]),
    (("convention: Wx+b\n", ""), ["p.yaml:4:", "b1", "in the bias-row convention the biases are row 0 of W1", "convention: Wx+b"]),
    (("learning_rate: 2", "learning_rate: 2\nbias: false"), ["p.yaml:5:", "b1", "'bias: false' says the network has no biases"]),
    (("learning_rate: 2", "learning_rate: 2\nb3: [1]"), ["b3", "is for layer 3, but the weights stop at W2"]),
    (("learning_rate: 2", "learning_rate: 2\nsymbols: {alpha: zz}"), ["symbols: alpha", "'zz' is not one letter, a Greek letter or a Greek letter's name"]),
    (("learning_rate: 2", "learning_rate: 2\nsymbols: {alpha: x}"), ["symbols: alpha", "'x' already means something"]),
    (("learning_rate: 2", "learning_rate: 2\nsymbols: {alpha: a}"), ["symbols", "gives", "the same symbol a"]),
    (("learning_rate: 2", "learning_rate: 2\nsymbols: {weights: V}"), ["symbols: weights", "is not a symbol nnsolve writes"]),
])
def test_a_wrong_convention_file_is_one_line_naming_the_line_key_and_fix(tmp_path, change, fragments):
    path = tmp_path / "p.yaml"
    old, new = change
    assert old in WXB
    path.write_text(WXB.replace(old, new, 1))
    line = assert_usage_error(invoke("run", str(path)), str(path), *fragments)
    assert line.count(";") >= 1, line  # the fix follows the message


def test_convert_writes_a_file_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "wxb.yaml"
    result = invoke("convert", str(PROBLEMS / "worksheet.yaml"), "--to", "Wx+b", "-o", str(out))
    assert result.exit_code == 0 and result.stdout == "" and out.exists()
    assert load_problem(str(out)).convention == "Wx+b"
    assert_usage_error(invoke("convert", str(PROBLEMS / "worksheet.yaml"), "--to", "Wx+b", "-o", str(out)), str(out), "--force")
    assert_usage_error(invoke("convert", str(PROBLEMS / "worksheet.yaml"), "--to", "Wxb"), "Wxb")
    assert_usage_error(invoke("convert", str(tmp_path / "missing.yaml"), "--to", "Wx+b"), "missing.yaml", "no such file")


# -- check: sheets answer in the problem's notation --------------------------------------------------


def _sheet(folder, answers: dict, problem: str = "wxb.yaml") -> str:
    path = folder / f"s{len(list(folder.glob('s*.yaml')))}.yaml"
    path.write_text(yaml.safe_dump({"problem": problem, **answers}, sort_keys=False))
    return str(path)


def _check_json(*args) -> list[dict]:
    result = invoke("check", *args, "--json")
    assert result.exit_code in (0, 1), result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_wx_plus_b_sheet_is_graded_in_z_a_and_the_conventions_indexing(tmp_path):
    (tmp_path / "wxb.yaml").write_text(convert(PROBLEMS / "worksheet.yaml", "Wx+b"))
    template = invoke("check", "--template", str(tmp_path / "wxb.yaml")).stdout
    names = [n for n in yaml.safe_load(template) if n not in ("problem", "student")]
    assert names[:6] == ["shape W1", "shape W2", "z1", "a1", "z2", "y_hat"]
    assert {"dL/dW2[1,1]", "new W2[1,1]", "dL/db2[1]", "new b2[1]", "dL/dW1[1,2]", "dz2/da1_1"} <= set(names)
    assert not any("alpha" in n or "beta" in n or "[0," in n for n in names)
    # the worksheet's dl/dW1[2,1] (from x_2 into neuron 1) is dL/dW1[1,2] here; W1 is 2 x 2, b1 apart
    good = {"shape W1": [2, 2], "z1": [0, 24], "dL/dW1[1,2]": -0.23119511, "dL/db2[1]": -0.09247804,
            "new W1[1,2]": 1.46239022, "dL/dW1": [[-0.09247804, -0.23119511], [2.7929373e-11, 6.9823434e-11]],
            "dL/db1": [-0.04623902, 1.3964687e-11],
            "new W2": [[2.09247804, -3.81504391]], "new b2": [1.18495609]}
    [record] = _check_json(_sheet(tmp_path, good))
    assert {a["quantity"]: a["verdict"] for a in record["answers"]} == {name: "correct" for name in good}
    # the worksheet's orientation of W1 (inputs x neurons) is wrong here
    [record] = _check_json(_sheet(tmp_path, {"dL/dW1": [[-0.09247804, 2.7929373e-11], [-0.23119511, 6.9823434e-11]]}))
    assert record["answers"][0]["verdict"] == "wrong"
    # slips, named in the problem's notation
    slipped = {"z1": [0.5, 0.99999999996], "z2": -1.9999999998 - 1, "new W2[1,1]": 2}
    [record] = _check_json(_sheet(tmp_path, slipped))
    by = {a["quantity"]: a for a in record["answers"]}
    assert by["z1"]["slip"]["name"] == "beta for alpha" and by["z1"]["slip"]["explanation"].startswith("this is a1, the activation; z1 is")
    assert by["z2"]["slip"] == {"name": "bias left out", "explanation": "the biases b2 were left out of z2", "formula": "z2 - b2"}
    assert by["new W2[1,1]"]["slip"]["name"] == "old weight"
    # carried forward from the student's own a1
    [record] = _check_json(_sheet(tmp_path, {"a1": [0.5, 0.9], "z2": 1 + 2 * 0.5 - 4 * 0.9}))
    assert [a["verdict"] for a in record["answers"]] == ["wrong", "carried forward"]
    # the worksheet's names are not this problem's
    result = invoke("check", _sheet(tmp_path, {"alpha1": [0, 24]}))
    assert result.exit_code == 2 and "alpha1: is not a quantity of this problem" in result.stderr


def test_a_class_of_both_conventions_is_graded_each_in_its_own(tmp_path):
    """Variants of the worksheet in bias-row and in Wx+b, keys mixed in one class: the same sizes,
    yet each key is graded with its own names (the catalog is per convention, not per size)."""
    (tmp_path / "wxb.yaml").write_text(convert(PROBLEMS / "worksheet.yaml", "Wx+b"))
    for folder, source in (("row", PROBLEMS / "worksheet.yaml"), ("wxb", tmp_path / "wxb.yaml")):
        assert invoke("new", "--from", str(source), "--seed", "4", "--count", "2", "--out", str(tmp_path / folder)).exit_code == 0
    keys = sorted(str(p) for p in tmp_path.glob("*/*.key.yaml"))
    assert "z1:" in (tmp_path / "wxb" / "variant-001.key.yaml").read_text()
    assert load_problem(str(tmp_path / "wxb" / "variant-001.yaml")).convention == "Wx+b"
    records = _check_json(*keys)
    assert len(records) == 4 and all(r["counts"]["wrong"] == 0 and r["counts"]["correct"] > 20 for r in records)


def test_the_readmes_side_by_side_table_is_what_nnsolve_does(tmp_path):
    """README's "Your course's notation" table: each cell is checked against the real thing."""
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:5]]
            for line in readme.split("## Your course's notation")[1].split("##")[0].splitlines() if line.startswith("| ") and "---" not in line}
    for column, convention in enumerate(CONVENTIONS):
        path = tmp_path / f"{column}.yaml"
        path.write_text(convert(PROBLEMS / "two_outputs.yaml", convention))
        data = yaml.safe_load(path.read_text())
        W1 = rows["`W1:`"][column].strip("`")
        assert data["W1"] == yaml.safe_load(W1), convention
        if convention != "bias-row":
            assert rows["biases"][column] == f"`b1: {data['b1']}`".replace("'", "")
        out = invoke("run", str(path)).stdout
        assert rows["a layer"][column] in out
        assert rows["`nnsolve run` writes"][column] in out
        ref, value = rows["`nnsolve grad`"][column].split(": ", 1)
        weight = ref.strip("`").split()[1]
        assert weight == rows["from x₂ into neuron 1"][column].strip("`")
        symbol, number = value.split(" ")[0], value.split(" ")[-1]
        lines = invoke("grad", weight, str(path)).stdout.splitlines()
        assert any(line.startswith(f"{symbol} = ") and line.endswith(f"= {number}") for line in lines), (convention, value)


# -- the order of the weights: as the convention writes them ------------------------------------------


@pytest.mark.parametrize("convention", ["Wx+b", "xW+b"])
@pytest.mark.parametrize("bias", ["vector", "shared", "none"])
def test_grad_all_lists_the_weights_as_the_convention_writes_them(convention, bias, tmp_path):
    """grad --all (text and JSON) in Wx+b and xW+b: layer by layer, W row by row as the file writes
    it, then b; each weight's value the file's entry and its derivative the central difference of
    the test's own loss. check --template and tutor --all ask a layer's weights in that order."""
    rng = np.random.default_rng(21)
    sizes = [3, 2, 2]
    x, y = [0.5, -1.0, 2.0], [1.0, 0.0]
    Ws, bs = [], []
    for n_in, n_out in zip(sizes, sizes[1:]):
        W = rng.uniform(-1, 1, (n_out, n_in)).round(2)
        Ws.append(W if convention == "Wx+b" else W.T.copy())
        b = rng.uniform(-1, 1, n_out).round(2)
        bs.append(np.full(n_out, b[0]) if bias == "shared" else b if bias == "vector" else np.zeros(n_out))
    data = {"convention": convention, "x": x, "y": y, "learning_rate": 0.5, **{f"W{l}": W.tolist() for l, W in enumerate(Ws, 1)}}
    if bias == "none":
        data["bias"] = False
    else:
        data.update({f"b{l}": (float(b[0]) if bias == "shared" else b.tolist()) for l, b in enumerate(bs, 1)})
        data["bias"] = "shared" if bias == "shared" else True
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data))
    expected = []  # (name, the array, its index), as the test writes the file
    for l, (W, b) in enumerate(zip(Ws, bs), start=1):
        expected += [(f"W{l}[{r + 1},{c + 1}]", W, (r, c)) for r in range(W.shape[0]) for c in range(W.shape[1])]
        if bias == "shared":
            expected.append((f"b{l}", b, slice(None)))  # one parameter: every entry moves
        elif bias == "vector":
            expected += [(f"b{l}[{k + 1}]", b, (k,)) for k in range(len(b))]
    listed = json.loads(invoke("grad", "--all", str(path), "--json").stdout)["weights"]
    assert [w["weight"] for w in listed] == [name for name, _, _ in expected]
    lines = invoke("grad", "--all", str(path)).stdout.splitlines()
    text = lines[[line.split()[:1] for line in lines].index(["weight"]) + 1:]
    assert [line.split()[0] for line in text] == [name if "[" in name else name.replace("b1", "b¹").replace("b2", "b²") for name, _, _ in expected]
    h = 1e-6
    for w, (name, array, index) in zip(listed, expected):
        assert w["value"] == float(np.ravel(array[index])[0])
        up, down = array.copy(), array.copy()
        up[index] += h
        down[index] -= h
        if array.ndim == 2:  # a W
            swap = lambda v: [v if m is array else m for m in Ws]  # noqa: E731
            numeric = (_own_loss(convention, x, y, swap(up), bs) - _own_loss(convention, x, y, swap(down), bs)) / (2 * h)
        else:
            swap = lambda v: [v if m is array else m for m in bs]  # noqa: E731
            numeric = (_own_loss(convention, x, y, Ws, swap(up)) - _own_loss(convention, x, y, Ws, swap(down))) / (2 * h)
        assert w["gradient"] == pytest.approx(numeric, rel=1e-5, abs=1e-9), name
    # the blank sheet and tutor --all: each layer's weights in the same order (the last layer first)
    template = invoke("check", "--template", str(path)).stdout
    derivative = "dL/d"
    asked = [line.split(":")[0][len(derivative):] for line in template.splitlines() if line.startswith(derivative + "W") or line.startswith(derivative + "b")]
    by_layer = [name for l in (2, 1) for name, _, _ in expected if name[1] == str(l)]
    assert asked == by_layer
    from nnsolve.tutor import Session

    tutor = [q.name[len(derivative):] for q in Session(load_problem(str(path)), everything=True).asked if q.name.startswith(derivative) and q.base.startswith("dl/dW")]
    assert tutor == by_layer


def test_grad_all_of_a_bias_row_problem_is_row_by_row_as_before():
    """bias-row: row 0 (the biases) first, then row by row, each row column by column."""
    listed = [w["weight"] for w in json.loads(invoke("grad", "--all", str(PROBLEMS / "two_outputs.yaml"), "--json").stdout)["weights"]]
    assert listed == [f"W{l}[{i},{j}]" for l in (1, 2) for i in range(3) for j in (1, 2)]


def test_grad_all_with_a_weight_is_refused():
    assert_usage_error(invoke("grad", "--all", "W1[1,1]", str(PROBLEMS / "wxb_relu_softmax.yaml")), "--all")
