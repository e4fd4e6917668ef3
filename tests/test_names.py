"""The names of quantities a user types: as nnsolve shows them (α¹₂, ŷ, ∂ℓ/∂W2[1,1]), as the
problem's notation writes them (z1, a1_2, dL/db1[1]), as nnsolve's own notation does (beta1_2,
dl/dW1[0,1]: suggested, never taken for another quantity), and a layer's whole matrix named where
one weight is asked for (grad dL/db1)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import PROBLEM_FILES, PROBLEMS, assert_usage_error, invoke
from nnsolve.notation import CONVENTIONS
from nnsolve.problem import load_problem
from nnsolve.quantities import Catalog
from nnsolve.render.mathtext import unicode

WXB = str(PROBLEMS / "wxb_relu_softmax.yaml")
WORKSHEET = str(PROBLEMS / "worksheet.yaml")


def _in(tmp_path, path, convention: str) -> str:
    """The problem at path written in a convention (nnsolve convert), as a file in tmp_path."""
    result = invoke("convert", str(path), "--to", convention)
    assert result.exit_code == 0, result.stderr
    target = tmp_path / f"{path.stem}.{convention.replace('+', '')}.yaml"
    target.write_text(result.stdout, encoding="utf-8")
    return str(target)


def _zeros(shape):
    if not shape:
        return 0
    return [_zeros(shape[1:]) for _ in range(shape[0])]


def _sheet_error(tmp_path, key: str, problem: str) -> str:
    sheet = tmp_path / "k.yaml"
    sheet.write_text(f"'{key}': 0.2\n", encoding="utf-8")
    result = invoke("check", str(sheet), "--problem", problem)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    [line] = result.stderr.splitlines()
    assert line.startswith("nnsolve: error: ") and "Traceback" not in result.stderr
    return line


# -- 1: the blank sheet and the suggestions speak the problem's notation ----------------------


def test_the_blank_sheets_example_names_are_the_problems_own_and_are_read(tmp_path):
    header = invoke("check", "--template", WXB).stdout.splitlines()[1]
    assert "(a1: [0.5, 0.999]); name one element as a1_2." in header and "beta" not in header
    sheet = tmp_path / "s.yaml"
    sheet.write_text("a1_2: 0.2\na1: [0.1, 0.2]\n", encoding="utf-8")
    assert invoke("check", str(sheet), "--problem", WXB).exit_code == 2  # one value answered twice: both are a1's
    sheet.write_text("a1_2: 0.2\n", encoding="utf-8")
    result = invoke("check", str(sheet), "--problem", WXB, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["answers"][0]["quantity"] == "a1_2"
    # the worksheet's header is as it was; a batch's has no layer to show
    assert "(beta1: [0.5, 0.999]); name one element as beta1_2." in invoke("check", "--template", WORKSHEET).stdout
    assert "beta1_2" not in invoke("check", "--template", str(PROBLEMS / "batch_mean.yaml")).stdout


@pytest.mark.parametrize(
    "key, meant, also",
    [
        ("beta1_2", "a1_2", ""),
        ("β¹₂", "a1_2", ""),
        ("alpha2", "z2", ""),
        ("dl/dW1[0,1]", "dL/db1[1]", "in Wx+b weights count from 1 (W1[1,1]); the biases are b1[1], b1[2], ..."),
        ("∂ℓ/∂W1[0,2]", "dL/db1[2]", "count from 1"),
        ("new W2[0,1]", "new b2[1]", "count from 1"),
        ("dalpha1_1/dW1[0,1]", "dz1_1/db1[1]", "count from 1"),
        ("dbeta1/dalpha1", "da1/dz1", ""),
        ("dl/dW1[3,1]", "dL/dW1[1,3]", ""),  # nnsolve's own W1[3,1] is from input 3 into neuron 1
    ],
)
def test_nnsolves_own_name_points_to_the_same_quantity_in_the_problems_notation(tmp_path, key, meant, also):
    line = _sheet_error(tmp_path, key, WXB)
    assert "is not a quantity of this problem" in line
    assert f"did you mean '{meant}'?" in line and also in line
    assert line.count("did you mean") == 1


def test_a_bias_named_as_another_convention_names_it_says_how_this_one_does(tmp_path):
    line = _sheet_error(tmp_path, "dl/db1[2]", WORKSHEET)
    assert "in bias-row the biases are row 0 of W1; the bias of neuron 2 is W1[0,2]" in line and "did you mean" not in line
    xwb = _in(tmp_path, PROBLEMS / "worksheet.yaml", "xW+b")
    line = _sheet_error(tmp_path, "dl/dW1[0,2]", xwb)
    assert "in xW+b weights count from 1" in line and "did you mean 'dL/db1[2]'?" in line


def test_a_points_name_gets_the_same_suggestion(write):
    text = Path(WXB).read_text(encoding="utf-8") + "points: {'dl/dW1[0,1]': 2}\n"
    sheet = write("dL/db1[1]: 0.4654\n", "s.yaml")
    line = assert_usage_error(invoke("check", sheet, "--problem", write(text)), "points: dl/dW1[0,1]", "count from 1",
                              "did you mean 'dL/db1[1]'?")
    assert "dL/dW1[2,1]" not in line


# -- 2: every name nnsolve shows reads back as that quantity -------------------------------------


def _problems(tmp_path):
    """Every shipped problem in every convention, and the worksheet with symbols of its own."""
    for path in PROBLEM_FILES:
        for convention in CONVENTIONS:
            yield _in(tmp_path, path, convention)
    text = Path(WORKSHEET).read_text(encoding="utf-8")
    for symbols in ("{alpha: h, beta: o, loss: E}", "{alpha: theta, beta: phi, y_hat: o}"):
        target = tmp_path / f"symbols{len(list(tmp_path.glob('symbols*')))}.yaml"
        target.write_text(text + f"symbols: {symbols}\n", encoding="utf-8")
        yield str(target)


def test_every_name_check_and_the_tutor_show_reads_back_as_that_quantity(tmp_path):
    checked = 0
    for problem in _problems(tmp_path):
        catalog = Catalog(load_problem(problem))
        quantities = {q.name: q for q in catalog.quantities}
        # what check prints in its answer table for each name: answered in ASCII, every listed name
        listed = tmp_path / "listed.yaml"
        listed.write_text(yaml.safe_dump({n: _zeros(catalog.by_name[n].shape) for n in catalog.names()}, sort_keys=False), encoding="utf-8")
        table = invoke("check", str(listed), "--problem", problem).stdout.splitlines()[2:]
        for name, row in zip(catalog.names(), table):
            assert row.startswith(f" {unicode(name)} "), (problem, name, row)
        # what the tutor prints for each of its questions (every one, each shown; it tutors no batch)
        if catalog.problem.batch is None:
            session = invoke("tutor", problem, "--all", input="show\n" * len(catalog.names())).stdout
            shown = re.findall(r"^  (.+?) = .* \(shown\)$", session, re.M)
            assert shown == [unicode(n) for n in catalog.names()], problem
        # every name (an element, a whole matrix too) as it is shown, fed back: one sheet each
        folder = tmp_path / f"sheets{checked}"
        folder.mkdir()
        for n, name in enumerate(quantities):
            (folder / f"s{n:04}.yaml").write_text(yaml.safe_dump({unicode(name): _zeros(quantities[name].shape)}, allow_unicode=True), encoding="utf-8")
        result = invoke("check", str(folder), "--problem", problem, "--json")
        records = [json.loads(line) for line in result.stdout.splitlines()]
        assert [r.get("error") for r in records] == [None] * len(quantities), problem
        assert [r["answers"][0]["quantity"] for r in records] == list(quantities), problem
        checked += 1
    assert checked == 3 * len(PROBLEM_FILES) + 2


@pytest.mark.parametrize(
    "key, quantity",
    [("α1", "alpha1"), ("α¹", "alpha1"), ("ŷ", "y_hat"), ("δ2", "delta2"), ("β¹₂", "beta1_2"), ("∂ℓ/∂W2[1,1]", "dl/dW2[1,1]"),
     ("∂α²/∂β¹₁", "dalpha2/dbeta1_1"), ("shape W¹", "shape W1"), ("∂ℓ/∂W²₁₁", "dl/dW2[1,1]")],
)
def test_the_worksheets_names_as_shown_are_sheet_keys(write, key, quantity):
    value = "[0, 24]" if quantity in ("alpha1", "beta1") else "[3, 2]" if quantity == "shape W1" else "0.5"
    result = invoke("check", write(f"{key}: {value}\n"), "--problem", WORKSHEET, "--json")
    assert result.exit_code in (0, 1), result.stderr
    assert json.loads(result.stdout)["answers"][0]["quantity"] == quantity


# -- 3: a layer's matrix named where one weight is asked for ------------------------------------


@pytest.mark.parametrize(
    "problem, spellings, message",
    [
        (WXB, ("b1", "dl/db1", "dL/db1", "∂ℓ/∂b1", "∂L/∂b1"), "is layer 1's bias vector; name one of its biases, such as b1[1]"),
        (WORKSHEET, ("W2", "dl/dW2", "dL/dW2", "∂ℓ/∂W2"), "is layer 2's weight matrix; name one of its weights, such as W2[1,1]"),
        (WXB, ("W2", "dL/dW2"), "is layer 2's weight matrix; name one of its weights, such as W2[1,1]"),
        (WORKSHEET, ("b1", "dl/db1"), "in bias-row the biases are row 0 of W1; name one of them, such as W1[0,1]"),
    ],
)
def test_grad_says_what_a_layers_name_is_in_every_spelling_and_order(problem, spellings, message):
    for spelling in spellings:
        for args in ((spelling, problem), (problem, spelling)):
            line = assert_usage_error(invoke("grad", *args), f"'{spelling}'", message)
            assert "file" not in line


def test_grad_never_calls_a_name_that_is_no_file_a_file(tmp_path):
    line = assert_usage_error(invoke("grad", "W1[1,1]", str(tmp_path / "gone.yaml"), WORKSHEET), "there is no file")
    assert "both files" not in line
    assert_usage_error(invoke("grad", "W1[1,1]", "no/such", WORKSHEET), "'no/such' is not a weight name")
    assert_usage_error(invoke("grad", WORKSHEET, str(PROBLEMS / "xor.yaml"), "W1[1,1]"), "both files")
    # a superscript next to a digit is no layer: W1² is not W12
    assert_usage_error(invoke("grad", "W1²[1,1]", WORKSHEET), "'W1²[1,1]' is not a weight name")
    result = invoke("grad", "∂ℓ/∂W2[1,1]", WORKSHEET, "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["gradient"] == pytest.approx(-0.04623902, rel=1e-6)


def test_points_in_any_spelling_give_that_quantity_its_points_once(write):
    text = Path(WORKSHEET).read_text(encoding="utf-8")
    sheet = write("dl/dW2[1,1]: -0.04623902\ny_hat: 0.1192\n", "s.yaml")
    result = invoke("check", sheet, "--problem", write(text + "points: {'ŷ': 3, 'dl/dW2_11': 5}\n"), "--json")
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert (record["score"], record["max_score"]) == (8, 8)
    assert {a["quantity"]: a["points"] for a in record["answers"]} == {"y_hat": 3, "dl/dW2[1,1]": 5}
    assert_usage_error(invoke("check", sheet, "--problem", write(text + "points: {'dl/dW2[1,1]': 2, 'dl/dW2_11': 5}\n")),
                       "points: dl/dW2_11: gives dl/dW2[1,1] points, as dl/dW2[1,1] does")


@pytest.mark.parametrize("problem, name, delta", [
    ("softmax_cross_entropy.yaml", "dl/dy_hat", "'delta2' (or dl/dalpha2)"),
    ("wxb_relu_softmax.yaml", "dL/dy_hat", "'delta2' (or dL/dz2)"),
    ("binary_cross_entropy.yaml", "dy_hat/dalpha2", "'delta2' (or dl/dalpha2)"),
])
def test_the_output_factors_where_they_cancel_point_to_delta(tmp_path, problem, name, delta):
    """With softmax and cross-entropy (sigmoid and binary cross-entropy) there is no dl/dy_hat to
    answer: delta^L = y_hat - y is; the nearest name (y_hat) would be another quantity."""
    sheet = tmp_path / "s.yaml"
    sheet.write_text(f"{name}: 0.1\n", encoding="utf-8")
    result = invoke("check", str(sheet), "--problem", str(PROBLEMS / problem))
    [message] = result.stderr.splitlines()  # the sheet's row, and the same one line on stderr
    assert result.exit_code == 2 and message.startswith("nnsolve: error: ") and "the output factors cancel" in message
    assert f"answer it as {delta}" in message and "did you mean" not in message
