"""One rule for the spellings of names everywhere: what the problem reader takes (convention,
optimizer, batch, bias: shared, symbols), `convert --to` takes too, and the shipped problem
schema (which editors check a file with) agrees with the reader, both ways."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from conftest import PROBLEMS, assert_usage_error, invoke

from nnsolve.errors import ProblemError
from nnsolve.problem import parse_problem

ROOT = PROBLEMS.parent
SCHEMA = json.loads((ROOT / "nnsolve" / "schemas" / "problem.schema.json").read_text(encoding="utf-8"))
WORKSHEET = (PROBLEMS / "worksheet.yaml").read_text()
# the worksheet as each convention writes it (nnsolve convert), so that a spelling's meaning can be read
IN = {
    "bias-row": WORKSHEET,
    "Wx+b": "x: [2, 5]\ny: [1]\nW1: [[-2, 1], [1, 4]]\nb1: [-1, 2]\nW2: [[2, -4]]\nb2: [1]\nlearning_rate: 2\n",
    "xW+b": "x: [2, 5]\ny: [1]\nW1: [[-2, 1], [1, 4]]\nb1: [-1, 2]\nW2: [[2], [-4]]\nb2: [1]\nlearning_rate: 2\n",
}
BATCH = (PROBLEMS / "batch_mean.yaml").read_text().replace("batch: mean\n", "")
SHARED = (ROOT / "docs" / "shared_bias.yaml").read_text().replace("bias: shared", "bias: SHARED_BIAS")

# (the key, the problem's text, what the reader makes of the key: a convention, an optimizer's
# name, ... or None where it refuses the file)
SPELLINGS = (
    [("convention", IN[meaning] + f"convention: {spelled}\n", meaning) for spelled, meaning in [
        ("Wx+b", "Wx+b"), ("wx+b", "Wx+b"), ("W x + b", "Wx+b"), ("WX+B", "Wx+b"), ("'w x+b'", "Wx+b"), ("' Wx + b '", "Wx+b"),
        ("xW+b", "xW+b"), ("xw+b", "xW+b"), ("X W + B", "xW+b"),
        ("bias-row", "bias-row"), ("Bias-Row", "bias-row"), ("bias_row", "bias-row"), ("biasrow", "bias-row"),
        ("bias row", "bias-row"), ("worksheet", "bias-row"), ("Worksheet", "bias-row"),
    ]]
    + [("convention", WORKSHEET + f"convention: {spelled}\n", None) for spelled in
       ("wxb", "W*x+b", "Wx-b", "x+Wb", "bias", "row", "[Wx+b]", "1", "''", "{name: Wx+b}")]
    + [("optimizer", WORKSHEET + f"optimizer: {spelled}\n", meaning) for spelled, meaning in [
        ("adam", "adam"), ("Adam", "adam"), ("ADAM", "adam"), ("AdamW", "adamw"), ("Nesterov", "momentum"), ("RMSprop", "rmsprop"),
        ("rmsprop_centered", "rmsprop"), ("RMSprop_Centered", "rmsprop"), ("Momentum", "momentum"), ("Adagrad", "adagrad"),
        ("'adam '", "adam"), ("{name: Adam, beta1: 0.8}", "adam"), ("{name: NESTEROV, momentum: 0.5}", "momentum"),
        ("adma", None), ("rms prop", None), ("adam w", None), ("nesterov_momentum", None), ("''", None), ("[adam]", None),
        ("{name: adma}", None), ("{name: Adam, beta: 0.9}", None), ("{name: adam, beta1: 1}", None),
    ]]
    + [("batch", BATCH + f"batch: {spelled}\n", meaning) for spelled, meaning in [
        ("mean", "mean"), ("Mean", "mean"), ("SUM", "sum"), ("average", None), ("total", None), ("'mean sum'", None), ("[mean]", None),
    ]]
    + [("bias", SHARED.replace("SHARED_BIAS", spelled), meaning) for spelled, meaning in [
        ("shared", True), ("Shared", True), ("SHARED", True), ("sharred", None), ("one", None),
    ]]
    + [("symbols", WORKSHEET + f"symbols: {spelled}\n", meaning) for spelled, meaning in [
        ("{alpha: h}", {"alpha": "h"}), ("{alpha: θ}", {"alpha": "theta"}), ("{alpha: theta}", {"alpha": "theta"}),
        ("{loss: E, beta: o}", {"loss": "E", "beta": "o"}), ("{learning_rate: eta}", {"learning_rate": "eta"}),
        ("{learning_rate: delta}", {"learning_rate": "delta"}), ("{learning_rate: δ}", {"learning_rate": "delta"}),
        ("{y_hat: y_hat}", {"y_hat": "y_hat"}), ("{alpha: Z, beta: ω}", {"alpha": "Z", "beta": "omega"}),
        ("{alpha: x}", None), ("{alpha: W}", None), ("{alpha: w}", None), ("{alpha: e}", None), ("{beta: k}", None),
        ("{alpha: delta}", None), ("{alpha: δ}", None), ("{alpha: y_hat}", None), ("{alpha: zz}", None), ("{alpha: 1}", None),
        ("{alpha: Θ}", None), ("{alpha: αβ}", None), ("{alpha: ' h'}", None), ("{alpha: }", None), ("{gamma: h}", None),
        ("{alpha: [h]}", None),
    ]]
)
# what JSON Schema cannot say: no two symbols the same, the convention's own symbols counted
# (bias-row writes beta for beta, l for the loss); the reader refuses these, the schema cannot
READER_ONLY = [WORKSHEET + "symbols: {alpha: beta}\n", WORKSHEET + "symbols: {alpha: h, beta: h}\n",
               WORKSHEET + "symbols: {loss: λ}\n"]


def meaning(problem, key: str):
    """What the reader made of the spelled key."""
    return {"convention": problem.convention, "optimizer": problem.optimizer and problem.optimizer.name, "batch": problem.batch,
            "bias": problem.shared_bias, "symbols": dict(problem.symbols)}[key]


def reader(text: str):
    try:
        return parse_problem(text)
    except ProblemError:
        return None


def schema_takes(text: str) -> bool:
    return jsonschema.Draft7Validator(SCHEMA).is_valid(yaml.safe_load(text))


def spelled(key: str, text: str) -> str:
    return next(line.split("#")[0].strip() for line in text.splitlines() if line.startswith(f"{key}:"))


@pytest.mark.parametrize("key, text, meant", SPELLINGS, ids=[spelled(k, t) for k, t, _ in SPELLINGS])
def test_the_reader_and_the_schema_take_the_same_spellings(key, text, meant):
    problem = reader(text)
    assert (problem is not None) == (meant is not None), "the reader " + ("refused" if problem is None else "took") + " it"
    assert schema_takes(text) == (meant is not None), "the schema " + ("took" if meant is None else "refused") + " it"
    if problem is not None:
        assert meaning(problem, key) == meant


def test_the_schema_cannot_say_two_symbols_are_the_same_and_the_reader_does():
    for text in READER_ONLY:
        assert reader(text) is None and schema_takes(text)


def test_every_shipped_problem_still_validates():
    for path in sorted(PROBLEMS.glob("*.yaml")) + sorted((ROOT / "docs").glob("*.yaml")):
        text = path.read_text()
        if path.name.endswith(("-answers.yaml", ".key.yaml", "-sheet.yaml")) or "answers:" in text:
            continue
        if reader(text) is not None:
            assert schema_takes(text), path.name


# -- the commands -------------------------------------------------------------------------------


@pytest.mark.parametrize("spelled, canonical", [("wx+b", "Wx+b"), ("W x + b", "Wx+b"), ("XW+B", "xW+b"), ("bias_row", "bias-row"),
                                                ("Worksheet", "bias-row")])
def test_convert_to_takes_the_spellings_a_problem_file_takes(spelled, canonical):
    source = str(PROBLEMS / "two_outputs.yaml")
    got, want = invoke("convert", source, "--to", spelled), invoke("convert", source, "--to", canonical)
    assert got.exit_code == 0, got.stderr
    assert got.stdout == want.stdout and want.stdout


def test_convert_to_an_unknown_convention_is_one_line():
    assert_usage_error(invoke("convert", str(PROBLEMS / "worksheet.yaml"), "--to", "wxb"), "--to", "unknown convention 'wxb'",
                       "bias-row, Wx+b or xW+b")


def test_the_problem_files_spellings_run(write):
    for text in (IN["Wx+b"] + "convention: W x + b\n", WORKSHEET.replace("learning_rate: 2", "learning_rate: 0.1") + "optimizer: Adam\n"):
        result = invoke("run", write(text))
        assert result.exit_code == 0, result.stderr


def test_a_greek_letter_is_its_name(write):
    as_letter = invoke("run", write(WORKSHEET + "symbols: {alpha: θ, learning_rate: η}\n", "letter.yaml"), "--json")
    as_name = invoke("run", write(WORKSHEET + "symbols: {alpha: theta, learning_rate: eta}\n", "name.yaml"), "--json")
    assert as_letter.exit_code == 0, as_letter.stderr
    assert as_letter.stdout == as_name.stdout
    assert json.loads(as_letter.stdout)["problem"]["symbols"]["alpha"] == "theta"
    text = invoke("run", write(WORKSHEET + "symbols: {alpha: θ}\n", "letter.yaml")).stdout
    assert "θ¹₁ = " in text and text == invoke("run", write(WORKSHEET + "symbols: {alpha: theta}\n", "name.yaml")).stdout


def test_a_taken_symbol_is_quoted_once(write):
    path = write(WORKSHEET + "symbols: {alpha: x}\n")
    line = assert_usage_error(invoke("run", path), f"{path}:11: symbols: alpha: 'x' already means something in the working;")
    assert line.count("'x'") == 1
    assert_usage_error(invoke("run", write(WORKSHEET + "symbols: {alpha: zz}\n")),
                       "'zz' is not one letter, a Greek letter or a Greek letter's name", "a Greek letter (θ)")


def test_grad_help_names_weights_in_every_convention(write):
    text = " ".join(invoke("grad", "--help").stdout.split())
    assert "row 0 is the bias row" in text
    assert "Wx+b, REF is W1[j,i] (into neuron j from input i, both from 1) or the bias b1[j]" in text
    assert "in xW+b, W1[i,j] (from input i into neuron j) or b1[j]" in text
    # as it says: the worksheet's weight from x2 into neuron 1 is W1[2,1] in bias-row, W1[1,2] in
    # Wx+b, W1[2,1] in xW+b; its bias b1[1] is W1[0,1]
    def value(ref, text):
        result = invoke("grad", ref, write(text), "--json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)["gradient"]
    into_1_from_2 = value("W1[2,1]", WORKSHEET)
    assert value("W1[1,2]", IN["Wx+b"] + "convention: Wx+b\n") == into_1_from_2 == value("W1[2,1]", IN["xW+b"] + "convention: xW+b\n")
    assert value("b1[1]", IN["Wx+b"] + "convention: Wx+b\n") == value("W1[0,1]", WORKSHEET)
