"""Bad problem files: each gets one clear line on stderr and exit status 2, never a traceback.

Every case runs `nnsolve run FILE` as a user does and checks the whole contract: status 2,
nothing on stdout, exactly one stderr line `nnsolve: error: FILE:LINE: KEY: what; fix`
(no LINE where there is none), and the fragments that tell the user what is wrong and how
to fix it. A few cases call parse_problem directly, for the attributes that tools read.
"""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner, Result

from conftest import needs_permissions

from nnsolve import problem as problem_module
from nnsolve.cli import cli
from nnsolve.errors import ProblemError
from nnsolve.problem import MAX_FILE_BYTES, MAX_NODES, parse_problem

# The worksheet, one key a line, so that each case knows the line of what it breaks.
GOOD = """\
x: [2, 5]
y: [1]
W1: [[-1, 2], [-2, 1], [1, 4]]
W2: [[1], [2], [-4]]
activation: sigmoid
loss: squared_error
learning_rate: 2
"""
LINE = {"x": 1, "y": 2, "W1": 3, "W2": 4, "activation": 5, "loss": 6, "learning_rate": 7}

# Two outputs, for the softmax and cross-entropy cases.
TWO_OUT = GOOD.replace("y: [1]", "y: [0, 1]").replace("W2: [[1], [2], [-4]]", "W2: [[1, 0], [2, 1], [-4, 3]]")


def edit(old: str, new: str, base: str = GOOD) -> str:
    """base with one piece replaced; the piece must be there, so a case cannot silently test nothing."""
    assert base.count(old) == 1, (old, base)
    return base.replace(old, new)


def drop(key: str) -> str:
    """GOOD without the line of key."""
    (line,) = [l for l in GOOD.splitlines(keepends=True) if l.startswith(f"{key}:")]
    return GOOD.replace(line, "")


def run(path) -> Result:
    return CliRunner().invoke(cli, ["run", str(path)])


def error_line(result) -> str:
    """The one error line of a failed run, after checking the whole contract around it."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    # an exception other than the CLI's own exit would be a crash the runner caught for us
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stdout == ""
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stderr.endswith("\n")
    assert lines[0].startswith("nnsolve: error: "), lines[0]
    return lines[0]


def assert_error(path, where, *fragments: str) -> str:
    """Run FILE; where is 'LINE: KEY', 'LINE:COLUMN', 'KEY' (no line) or None (file only)."""
    line = error_line(run(path))
    head = f"nnsolve: error: {path}:{where}: " if where and where[0].isdigit() else (
        f"nnsolve: error: {path}: {where}: " if where else f"nnsolve: error: {path}: "
    )
    assert line.startswith(head), (head, line)
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    # the fix follows the message after '; ' (the message itself may hold one too)
    assert "; " in line, line
    return line


@pytest.fixture
def write(tmp_path):
    """write(text) -> the path of tmp_path/w.yaml holding text (str as UTF-8, or bytes)."""

    def _write(text, name: str = "w.yaml"):
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", newline="")
        return path

    return _write


def test_the_base_file_is_good(write):
    """Each case below breaks one thing in GOOD; GOOD itself must run."""
    result = run(write(GOOD))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


# ---------------------------------------------------------------------------
# The file itself


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    line = assert_error(path, None, "no such file", "check the path")
    assert line == f"nnsolve: error: {path}: no such file; check the path"


def test_directory(tmp_path):
    assert_error(tmp_path, None, "is a directory, not a file", "give a YAML file inside it")


@needs_permissions
def test_unreadable_file(write):
    path = write(GOOD)
    path.chmod(0)
    try:
        assert_error(path, None, "permission denied", "make the file readable")
    finally:
        path.chmod(0o644)


def test_unreadable_file_message_without_chmod(write, monkeypatch):
    """The same message where chmod cannot block reading (as root): opening is what refuses."""
    path = write(GOOD)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(problem_module.os, "open", refuse)
    assert_error(path, None, "permission denied", "make the file readable")


def test_not_utf8_names_the_line(write):
    path = write(b"x: [2, 5]\ny: [1]\ntitle: caf\xe9\n")
    assert_error(path, "3", "not UTF-8 text", "save the file as UTF-8")


def test_utf16_is_not_utf8(write):
    assert_error(write(GOOD.encode("utf-16")), "1", "not UTF-8 text")


def test_file_over_one_mib_is_refused_before_parsing(write):
    path = write(GOOD + "# " + "x" * MAX_FILE_BYTES + "\n")
    start = time.perf_counter()
    assert_error(path, None, "larger than 1 MiB", "a file is a few kilobytes at most")
    assert time.perf_counter() - start < 2


def test_a_file_of_exactly_one_mib_is_read(write):
    padding = MAX_FILE_BYTES - len(GOOD.encode()) - 1
    path = write(GOOD + "#" + "x" * (padding - 1) + "\n")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert run(path).exit_code == 0


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "# only a comment\n", "---\n", "---\n...\n"],
    ids=["nothing", "blank-lines", "comment", "document-marker", "empty-document"],
)
def test_empty_file(write, text):
    assert_error(write(text), None, "empty file", "write a mapping with x, y, W1")


# ---------------------------------------------------------------------------
# Not YAML, or not a mapping

NOT_YAML = [
    # unclosed bracket: the parser notices on line 2; the message also points at the '['
    ("unclosed-list", "x: [2, 5\ny: [1]\n", "2:2", ["not valid YAML", "expected ',' or ']'", "line 1, column 4", "check the indentation"]),
    ("unclosed-mapping", "x: {a: 1\n", "2:1", ["not valid YAML", "line 1, column 4"]),
    ("bad-indent", "x: [2, 5]\n  y: [1]\n", "2:3", ["not valid YAML", "check the indentation"]),
    ("extra-bracket", "x: [1, 2]]\n", "1:10", ["not valid YAML", "']'"]),
    ("two-colons", "x: a: b\n", "1:5", ["not valid YAML", "mapping values are not allowed here"]),
    ("unclosed-quote", 'title: "abc\nx: [1]\n', "3:1", ["not valid YAML", "the quoted text on line 1, column 8"]),
    ("tab-indent", "x: [2, 5]\n\ty: [1]\n", "2:1", ["a tab, which YAML does not allow here", "indent with spaces, not tabs"]),
    ("undefined-alias", "x: *nothing\n", "1:4", ["not valid YAML", "found undefined alias 'nothing'"]),
    ("two-documents", GOOD + "---\nx: [1, 1]\n", "8:1", ["a second document ('---') starts here", "keep one problem per file"]),
    ("control-character", "x: [2, 5\x00]\n", "1:9", ["control character U+0000 is not allowed", "delete it"]),
    ("bell-character", GOOD.replace("sigmoid", "sig\x07moid"), "5:16", ["control character U+0007"]),
]


@pytest.mark.parametrize("text,where,fragments", [c[1:] for c in NOT_YAML], ids=[c[0] for c in NOT_YAML])
def test_not_yaml_gives_line_and_column(write, text, where, fragments):
    assert_error(write(text), where, *fragments)


def test_nesting_too_deep_is_an_error_not_a_crash(write):
    path = write(edit("x: [2, 5]", "x: " + "[" * 5000 + "1" + "]" * 5000))
    assert_error(path, "1", "nested too deeply", "a matrix is a list of lists")


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("- x\n- y\n", "is a list, not a mapping of keys to values"),
        ("[2, 5]\n", "is a list, not a mapping"),
        ("hello\n", "is the single value 'hello', not a mapping"),
        ("42\n", "is the single value '42', not a mapping"),
        ("~\n", "not a mapping"),
        ("x\n", "is the single value 'x', not a mapping"),
    ],
    ids=["block-list", "flow-list", "word", "number", "null", "a-key-without-colon"],
)
def test_not_a_mapping(write, text, fragment):
    assert_error(write(text), "1", fragment, "write 'x: [2, 5]'")


# ---------------------------------------------------------------------------
# Keys


@pytest.mark.parametrize(
    "key,fix",
    [
        ("x", "add the input, such as 'x: [2, 5]'"),
        ("y", "add the label(s), such as 'y: [1]'"),
        ("W1", "add the first layer's weights, such as 'W1: [[-1, 2], [-2, 1], [1, 4]]' (row 0 = bias weights)"),
    ],
    ids=lambda v: v if len(v) < 15 else "",
)
def test_missing_key(write, key, fix):
    path = write(drop(key))  # without W1, W2 is still there: W1 is what is missing
    line = assert_error(path, key, "missing", fix)
    assert line == f"nnsolve: error: {path}: {key}: missing; {fix}"


@pytest.mark.parametrize(
    "old,new,line,fix",
    [
        ("learning_rate", "learning rate", 7, "did you mean 'learning_rate'?"),
        ("learning_rate", "learning-rate", 7, "did you mean 'learning_rate'?"),
        ("learning_rate", "learningrate", 7, "did you mean 'learning_rate'?"),
        ("learning_rate", "lr", 7, "did you mean 'learning_rate'?"),
        ("learning_rate", "eta", 7, "did you mean 'learning_rate'?"),
        ("activation", "activaton", 5, "did you mean 'activation'?"),
        ("activation", "activations", 5, "did you mean 'activation'?"),
        ("loss", "Loss", 6, "did you mean 'loss'?"),
        ("W1", "w1", 3, "did you mean 'W1'?"),
        ("y", "labels", 2, "did you mean 'y'?"),
        ("x", "input", 1, "did you mean 'x'?"),
    ],
)
def test_unknown_key_suggests_the_near_one(write, old, new, line, fix):
    text = edit(f"{old}:", f"{new}:")
    got = assert_error(write(text), f"{line}: {new}", "unknown key", fix)
    assert got.endswith(f"{new}: unknown key; {fix}")


def test_unknown_key_far_from_any_lists_the_known_keys(write):
    line = assert_error(write(GOOD + "colour: blue\n"), "8: colour", "unknown key", "known: x, y, W1, learning_rate")
    for key in ("title", "activation", "loss", "threshold", "bias", "train_bias", "W2"):
        assert key in line
    assert line.count("W1") == 1, "each known key once"


def test_w0_explains_that_layers_count_from_1(write):
    assert_error(write(GOOD + "W0: [[1]]\n"), "8: W0", "unknown key", "layers count from 1")


def test_a_very_long_unknown_key_is_cut_short(write):
    line = assert_error(write(GOOD + "a" * 900 + ": 1\n"), "8: " + "a" * 37 + "...", "unknown key")
    assert len(line) < 400


def test_duplicate_key_names_both_lines(write):
    line = assert_error(write(GOOD + "x: [1, 1]\n"), "8: x", "given twice (first on line 1)", "keep one of them")
    assert line.endswith("x: given twice (first on line 1); keep one of them")


def test_duplicate_key_quoted_and_plain_is_the_same_key(write):
    assert_error(write(GOOD + '"learning_rate": 3\n'), "8: learning_rate", "given twice (first on line 7)")


@pytest.mark.parametrize(
    "key_text,fragment",
    [("3: 4", "key '3' is not a plain name"), ("~: 4", "key '~' is not a plain name"), ("? [a]\n: 4", "a key is not a plain name")],
    ids=["number", "null", "list"],
)
def test_key_that_is_not_a_name(write, key_text, fragment):
    assert_error(write(key_text + "\n" + GOOD), "1", fragment, "write each key as a plain name")


def test_merge_key_is_refused(write):
    text = "<<: {x: [2, 5]}\n" + drop("x")
    assert_error(write(text), "1: <<", "merge keys are not supported", "write each key out")


def test_merge_key_inside_a_value_is_refused(write):
    text = edit("activation: sigmoid", "activation: {<<: {a: 1}}")
    assert_error(write(text), "5: activation", "merge keys (<<) are not supported")


# ---------------------------------------------------------------------------
# Numbers

NOT_NUMBERS = [
    ("word", "five", "is 'five', not a number", "write a number such as 2, -0.5 or 1e-3"),
    ("quoted", '"5"', "is the text '5' (in quotes), not a number", "remove the quotes"),
    ("single-quoted", "'5'", "is the text '5' (in quotes), not a number", "remove the quotes"),
    ("bool-true", "true", "is 'true', not a number", "write a number such as 1 or 0"),
    ("bool-yes", "yes", "is 'yes', which YAML reads as true, not a number", "write a number"),
    ("bool-off", "off", "is 'off', which YAML reads as false, not a number", "write a number"),
    ("null", "null", "is 'null' (empty)", "write a number"),
    ("tilde", "~", "is '~' (empty)", "write a number"),
    ("mapping", "{a: 1}", "is a mapping, not a number", "write a single number"),
    ("date", "2024-01-01", "is '2024-01-01', which YAML reads as a date, not a number", "write a number"),
    ("octal", "010", "is '010', which YAML 1.1 reads as octal 8", "write 10 without the leading 0"),
    ("negative-octal", "-010", "is '-010', which YAML 1.1 reads as octal -8", "write -10 without the leading 0"),
    ("base-60", "1:30", "is '1:30', which YAML 1.1 reads as a base-60 number", "write the number in decimal"),
    ("decimal-comma", '"1,5"', "is '1,5', not a number", "write a decimal point (1.5)"),
    ("unicode-digits", "\u0661\u0662", "is '\u0661\u0662', not a number", "write a number"),
]


@pytest.mark.parametrize("value,message,fix", [c[1:] for c in NOT_NUMBERS], ids=[c[0] for c in NOT_NUMBERS])
def test_not_a_number(write, value, message, fix):
    line = assert_error(write(edit("x: [2, 5]", f"x: [2, {value}]")), "1: x_2", message, fix)
    assert f"x_2: {message}" in line


# every spelling of NaN and infinity that YAML (or Python's float) accepts
NON_FINITE = [".nan", ".NaN", ".NAN", "nan", "NaN", ".inf", ".Inf", ".INF", "+.inf", "-.inf", "-.Inf", "-.INF",
              "inf", "-inf", "Infinity", "-Infinity", "INF"]
TOO_LARGE = ["1e999", "-1e999", "1.0e+999", "1E400", "9" * 400, "9" * 5000, "0x" + "f" * 300]


@pytest.mark.parametrize("value", NON_FINITE)
def test_nan_and_inf_in_every_spelling(write, value):
    line = assert_error(write(edit("x: [2, 5]", f"x: [2, {value}]")), "1: x_2", "not a finite number", "write a finite number")
    assert f"x_2: is '{value}', not a finite number" in line


@pytest.mark.parametrize("value", TOO_LARGE, ids=lambda v: v if len(v) < 12 else f"{len(v)}-chars")
def test_numbers_too_large_for_float64(write, value):
    line = assert_error(write(edit("x: [2, 5]", f"x: [2, {value}]")), "1: x_2", "too large for float64", "write a finite number")
    assert len(line) < 400, "a long number is cut short"


@pytest.mark.parametrize(
    "key,old,new,where",
    [
        ("W1", "[-2, 1]", "[-2, .nan]", "3: W1[1,2]"),
        ("W2", "[[1], [2], [-4]]", "[[1], [2], [-.inf]]", "4: W2[2,1]"),
        ("y", "y: [1]", "y: [.nan]", "2: y_1"),
        ("y", "y: [1]", "y: .nan", "2: y"),
        ("learning_rate", "learning_rate: 2", "learning_rate: .inf", "7: learning_rate"),
    ],
)
def test_non_finite_anywhere_names_the_entry(write, key, old, new, where):
    assert_error(write(edit(old, new)), where, "not a finite number")


def test_weight_entry_named_by_row_and_column(write):
    """Row 0 is the bias row, columns count from 1: the W1[i,j] of docs/design.md."""
    assert_error(write(edit("[1, 4]", "[1, four]")), "3: W1[2,2]", "is 'four', not a number")


# ---------------------------------------------------------------------------
# Vectors and matrices


@pytest.mark.parametrize(
    "old,new,where,fragments",
    [
        ("x: [2, 5]", "x: []", "1: x", ["is an empty list", "give at least one number"]),
        ("x: [2, 5]", "x: [[2, 5]]", "1: x", ["is a nested list; the inputs are one flat list", "write 'x: [2, 5]'"]),
        ("y: [1]", "y: [[1]]", "2: y", ["is a nested list; the labels are one flat list", "write 'y: [1]'"]),
        ("y: [1]", "y: {a: 1}", "2: y", ["is a mapping, not a number"]),
        ("x: [2, 5]", "x:", "1: x", ["is empty", "write a number"]),
        ("x: [2, 5]", "x: 2, 5", "1: x", ["is '2, 5', not a number", "put a list in brackets ([1, 5])"]),
    ],
    ids=["x-empty", "x-nested", "y-nested", "y-mapping", "x-nothing", "x-no-brackets"],
)
def test_bad_vector(write, old, new, where, fragments):
    assert_error(write(edit(old, new)), where, *fragments)


MATRICES = [
    ("ragged", "W1: [[-1, 2], [-2], [1, 4]]", "3: W1 row 1", ["has 1 weight but row 0 has 2", "give every row one weight per neuron"]),
    ("ragged-longer", "W1: [[-1, 2], [-2, 1, 7], [1, 4]]", "3: W1 row 1", ["has 3 weights but row 0 has 2"]),
    ("flat", "W1: [-1, 2, -2, 1, 1, 4]", "3: W1", ["is a flat list, not a matrix", "write one list per row"]),
    ("scalar", "W1: 3", "3: W1", ["is not a matrix", "write one list per row, such as 'W1: [[-1, 2], [-2, 1], [1, 4]]'"]),
    ("mapping", "W1: {a: 1}", "3: W1", ["is not a matrix"]),
    ("empty", "W1: []", "3: W1", ["is an empty list", "write one list per row"]),
    ("null", "W1:", "3: W1", ["is not a matrix"]),
    ("row-not-a-list", "W1: [[-1, 2], 7, [1, 4]]", "3: W1 row 1", ["is not a list of weights", "write the row in brackets, such as [7]"]),
    ("empty-row", "W1: [[-1, 2], [], [1, 4]]", "3: W1 row 1", ["is empty", "give one weight per neuron"]),
    ("three-levels", "W1: [[[-1], 2], [-2, 1], [1, 4]]", "3: W1[0,1]", ["is a list, not a number"]),
]


@pytest.mark.parametrize("new,where,fragments", [c[1:] for c in MATRICES], ids=[c[0] for c in MATRICES])
def test_bad_matrix(write, new, where, fragments):
    assert_error(write(edit("W1: [[-1, 2], [-2, 1], [1, 4]]", new)), where, *fragments)


def test_ragged_row_in_block_style_names_the_row_line(write):
    text = edit("W1: [[-1, 2], [-2, 1], [1, 4]]", "W1:\n  - [-1, 2]\n  - [-2, 1]\n  - [1]")
    assert_error(write(text), "6: W1 row 2", "has 1 weight but row 0 has 2")


def test_weight_rows_must_fit_the_inputs(write):
    """The issue's own example: the bias row of W1 forgotten."""
    line = assert_error(write(edit("[[-1, 2], [-2, 1], [1, 4]]", "[[-2, 1], [1, 4]]")), "3: W1", "make W1 3 x 2")
    assert line.endswith("W1: has 2 rows; 2 inputs plus the bias row need 3; make W1 3 x 2")


def test_weight_rows_with_bias_false(write):
    line = assert_error(write("bias: false\n" + GOOD), "4: W1", "make W1 2 x 2")
    assert "W1: has 3 rows; 2 inputs need 2 (bias: false" in line


def test_weight_rows_of_a_later_layer(write):
    line = assert_error(write(edit("W2: [[1], [2], [-4]]", "W2: [[2], [-4]]")), "4: W2", "make W2 3 x 1")
    assert "W2: has 2 rows; 2 neurons of layer 1 plus the bias row need 3" in line


def test_one_input_is_singular(write):
    line = assert_error(write(edit("x: [2, 5]", "x: [2]")), "3: W1", "1 input plus the bias row need 2", "make W1 2 x 2")
    assert "1 inputs" not in line


@pytest.mark.parametrize(
    "old,new,fragment",
    [
        ("y: [1]", "y: [1, 0]", "W2: has 1 column (output neurons) but y has 2 labels"),
        ("W2: [[1], [2], [-4]]", "W2: [[1, 1], [2, 1], [-4, 1]]", "W2: has 2 columns (output neurons) but y has 1 label"),
    ],
)
def test_output_columns_must_match_y(write, old, new, fragment):
    assert_error(write(edit(old, new)), "4: W2", fragment, "give the output layer one column per label")


def test_missing_layer_between_w1_and_w3(write):
    line = assert_error(write(edit("W2:", "W3:")), "4: W2", "missing: W3 is given", "add W2 or rename the layers W1..W2")
    assert "every layer W1..W3 needs weights" in line


def test_extra_layer_that_does_not_fit(write):
    """W3 after a one-neuron W2 needs 2 rows; a 3-row W3 is caught like any other shape."""
    text = GOOD + "W3: [[1], [2], [3]]\n"
    assert_error(write(text), "8: W3", "has 3 rows; 1 neuron of layer 2 plus the bias row need 2", "make W3 2 x 1")


# ---------------------------------------------------------------------------
# Activations and losses

ACTIVATION_CASES = [
    ("typo", "activation: sigmod", "5: activation", ["unknown activation 'sigmod'", "did you mean 'sigmoid'?"]),
    ("capitals", "activation: ReLU", "5: activation", ["unknown activation 'ReLU'", "did you mean 'relu'?"]),
    ("far", "activation: banana", "5: activation", ["unknown activation 'banana'", "known: sigmoid, tanh, relu, leaky_relu, linear, softmax"]),
    ("number", "activation: 3", "5: activation", ["unknown activation '3'", "known: sigmoid"]),
    ("mapping", "activation: {a: 1}", "5: activation", ["is not a name", "known: sigmoid"]),
    ("empty", "activation:", "5: activation", ["is not a name"]),
    ("in-list", "activation: [sigmoid, banana]", "5: activation of layer 2", ["unknown activation 'banana'", "known:"]),
    ("short-list", "activation: [sigmoid]", "5: activation", ["lists 1 name for 2 layers", "give one name, or a list of 2"]),
    ("long-list", "activation: [sigmoid, tanh, relu]", "5: activation", ["lists 3 names for 2 layers"]),
    ("softmax-hidden", "activation: [softmax, sigmoid]", "5: activation", ["softmax on layer 1; it is for the output layer only", "use sigmoid, tanh or relu for the hidden layers"]),
    ("softmax-everywhere", "activation: softmax", "5: activation", ["softmax on layer 1", "give one name per layer, such as 'activation: [sigmoid, softmax]'"]),
    ("softmax-one-output", "activation: [sigmoid, softmax]", "5: activation", ["softmax of one output is always 1", "use sigmoid for one output"]),
]


@pytest.mark.parametrize("new,where,fragments", [c[1:] for c in ACTIVATION_CASES], ids=[c[0] for c in ACTIVATION_CASES])
def test_bad_activation(write, new, where, fragments):
    assert_error(write(edit("activation: sigmoid", new)), where, *fragments)


def test_softmax_hidden_in_block_list_names_the_list(write):
    text = edit("activation: sigmoid", "activation:\n  - softmax\n  - sigmoid", TWO_OUT)
    assert_error(write(text), "6: activation", "softmax on layer 1")


LOSS_CASES = [
    ("unknown", "loss: hinge", "loss: unknown loss 'hinge'", "known: squared_error, mse, binary_cross_entropy, cross_entropy"),
    ("space", "loss: squared error", "loss: unknown loss 'squared error'", "did you mean 'squared_error'?"),
    ("run-together", "loss: crossentropy", "loss: unknown loss 'crossentropy'", "did you mean 'cross_entropy'?"),
    ("list", "loss: [mse]", "loss: is not a name", "known: squared_error"),
    ("empty", "loss:", "loss: is not a name", "known: squared_error"),
]


@pytest.mark.parametrize("new,message,fix", [c[1:] for c in LOSS_CASES], ids=[c[0] for c in LOSS_CASES])
def test_bad_loss(write, new, message, fix):
    assert_error(write(edit("loss: squared_error", new)), "6: loss", message, fix)


@pytest.mark.parametrize(
    "activation,loss,fix",
    [
        ("[sigmoid, relu]", "binary_cross_entropy", "use activation sigmoid on the output layer, or loss squared_error"),
        ("[sigmoid, linear]", "binary_cross_entropy", "use activation sigmoid on the output layer"),
        ("tanh", "cross_entropy", "use activation softmax or sigmoid on the output layer, or loss squared_error"),
    ],
)
def test_loss_that_needs_probabilities(write, activation, loss, fix):
    text = edit("loss: squared_error", f"loss: {loss}", edit("activation: sigmoid", f"activation: {activation}"))
    output = activation.strip("[]").split(", ")[-1]
    assert_error(write(text), "6: loss", f"{loss} needs outputs in (0, 1), but the output layer is {output}", fix)


@pytest.mark.parametrize(
    "y,loss",
    [("[2]", "binary_cross_entropy"), ("[-1]", "binary_cross_entropy"), ("[1.5]", "cross_entropy"), ("2", "binary_cross_entropy")],
)
def test_cross_entropy_labels_outside_0_1(write, y, loss):
    text = edit("loss: squared_error", f"loss: {loss}", edit("y: [1]", f"y: {y}"))
    assert_error(write(text), "2: y", f"labels must lie in [0, 1] for {loss}", "use 0/1 labels")


# Three softmax outputs, for the class labels (y: 2 is the one-hot [0, 1, 0]).
THREE_SOFTMAX = edit("W2: [[1], [2], [-4]]", "W2: [[1, 0, 2], [2, 1, -1], [-4, 3, 0]]", edit("activation: sigmoid", "activation: [sigmoid, softmax]"))

CLASS_LABELS = [
    ("zero", "0", "y: 0 is not a class number: classes count from 1, as the output neurons do"),
    ("past-the-last", "4", "y: 4 is not a class number: the 3 softmax outputs are classes 1 to 3"),
    ("fraction", "1.5", "y: 1.5 is not a class number: the 3 softmax outputs are classes 1 to 3"),
    ("negative", "-1", "y: -1 is not a class number: the 3 softmax outputs are classes 1 to 3"),
    ("huge", "1e300", "y: 1e+300 is not a class number"),
]


@pytest.mark.parametrize("value,message", [c[1:] for c in CLASS_LABELS], ids=[c[0] for c in CLASS_LABELS])
def test_bad_class_label(write, value, message):
    line = assert_error(write(edit("y: [1]", f"y: {value}", THREE_SOFTMAX)), "2: y", message)
    assert line.endswith("; give a whole number from 1 to 3, or a one-hot list such as [0, 1, 0]"), line


def test_class_label_that_is_not_a_number(write):
    assert_error(write(edit("y: [1]", "y: two", THREE_SOFTMAX)), "2: y", "is 'two', not a number")


def test_class_label_for_outputs_that_are_not_softmax(write):
    """A class number needs softmax outputs: two sigmoid outputs take one label each."""
    text = edit("y: [0, 1]", "y: 2", TWO_OUT)
    line = assert_error(write(text), "2: y", "is one number, but the network has 2 sigmoid outputs (a class number is for softmax outputs)")
    assert line.endswith("; give one label per output, such as [0, 1], or use softmax on the output layer"), line


def test_class_label_in_examples_names_the_example(write):
    text = THREE_SOFTMAX.replace("x: [2, 5]\ny: [1]\n", "examples:\n  - {x: [2, 5], y: 1}\n  - {x: [1, 1], y: 0}\n")
    assert_error(write(text), "3: examples 2: y", "0 is not a class number: classes count from 1", "from 1 to 3")
    first = THREE_SOFTMAX.replace("x: [2, 5]\ny: [1]\n", "examples:\n  - {x: [2, 5], y: 7}\n  - {x: [1, 1], y: 1}\n")
    assert_error(write(first), "2: examples 1: y", "7 is not a class number")


def test_class_labels_are_read_as_one_hot():
    p = parse_problem(edit("y: [1]", "y: 3", THREE_SOFTMAX))
    assert p.y.tolist() == [0.0, 0.0, 1.0]
    assert p.label_class == 3
    assert parse_problem(edit("y: [1]", "y: [0, 0, 1]", THREE_SOFTMAX)).label_class is None
    assert parse_problem(GOOD.replace("y: [1]", "y: 1")).label_class is None  # one sigmoid output: the label 1


@pytest.mark.parametrize("y,total", [("[1, 1]", "2"), ("[0, 0]", "0"), ("[0.5, 0.25]", "0.75")])
def test_softmax_cross_entropy_labels_must_sum_to_1(write, y, total):
    text = edit("y: [0, 1]", f"y: {y}", edit("activation: sigmoid", "activation: [sigmoid, softmax]", TWO_OUT))
    text = edit("loss: squared_error", "loss: cross_entropy", text)
    assert_error(write(text), "2: y", f"labels sum to {total}; softmax outputs sum to 1", "give a one-hot label such as [0, 1, 0]")


# ---------------------------------------------------------------------------
# Learning rate, threshold, bias

LEARNING_RATES = [
    ("zero", "0", "is 0; it must be positive", "use a step size such as 0.1 or 2"),
    ("zero-float", "0.0", "is 0; it must be positive", "use a step size"),
    ("negative", "-0.5", "is -0.5; it must be positive", "use a step size such as 0.1 or 2"),
    ("tiny-negative", "-1e-3", "is -0.001; it must be positive", "use a step size"),
    ("word", "fast", "is 'fast', not a number", "write a number"),
    ("quoted", '"2"', "is the text '2' (in quotes), not a number", "remove the quotes"),
    ("empty", "", "is empty", "write a number"),
    ("list", "[2]", "is a list, not a number", "write a single number"),
    ("bool", "yes", "is 'yes', which YAML reads as true, not a number", "write a number"),
]


def test_learning_rate_may_be_left_out():
    """Without a learning rate the problem asks the derivatives only: no update."""
    p = parse_problem(drop("learning_rate"))
    assert p.learning_rate is None and not p.updates
    assert p.as_dict()["learning_rate"] is None


def test_examples_need_a_learning_rate(write):
    text = drop("learning_rate").replace("x: [2, 5]\ny: [1]\n", "examples:\n  - {x: [2, 5], y: [1]}\n  - {x: [1, 1], y: [0]}\n")
    line = assert_error(write(text), "1: examples", "SGD step by step (one update per example) needs a learning rate")
    assert line.endswith("; add learning_rate to the problem, such as 'learning_rate: 0.5'"), line


@pytest.mark.parametrize("value,message,fix", [c[1:] for c in LEARNING_RATES], ids=[c[0] for c in LEARNING_RATES])
def test_learning_rate_not_a_positive_number(write, value, message, fix):
    text = edit("learning_rate: 2", f"learning_rate: {value}".rstrip())
    line = assert_error(write(text), "7: learning_rate", message, fix)
    assert f"learning_rate: {message}" in line


@pytest.mark.parametrize(
    "value,message",
    [("high", "is 'high', not a number"), ("[0.5]", "is a list, not a number"), (".nan", "not a finite number"), ('"0.5"', "(in quotes)")],
)
def test_threshold_not_a_number(write, value, message):
    assert_error(write(GOOD + f"threshold: {value}\n"), "8: threshold", message)


@pytest.mark.parametrize("value", ["1.5", "0", "1", "-0.5"])
def test_threshold_outside_sigmoid_range(write, value):
    assert_error(
        write(GOOD + f"threshold: {value}\n"), "8: threshold",
        "sigmoid outputs lie between 0 and 1", "use a threshold between 0 and 1, such as 0.5",
    )


@pytest.mark.parametrize(
    "key,value,message",
    [
        ("bias", "yes please", "is 'yes please', not true, false or shared"),
        ("bias", '"yes"', "is 'yes', not true, false or shared"),
        ("bias", "1", "is '1', not true, false or shared"),
        ("bias", "[true]", "is not true, false or shared"),
        ("bias", "", "is not true, false or shared"),
        ("train_bias", "nope", "is 'nope', not true or false"),
    ],
)
def test_bias_not_a_boolean(write, key, value, message):
    text = f"{key}: {value}".rstrip() + "\n" + GOOD
    fix = "write 'bias: true', 'bias: false' or 'bias: shared'" if key == "bias" else f"write '{key}: true' or '{key}: false'"
    assert_error(write(text), f"1: {key}", message, fix)


def test_train_bias_without_bias(write):
    text = "bias: false\ntrain_bias: false\n" + edit("W1: [[-1, 2], [-2, 1], [1, 4]]", "W1: [[-2, 1], [1, 4]]").replace(
        "W2: [[1], [2], [-4]]", "W2: [[2], [-4]]"
    )
    assert_error(write(text), "2: train_bias", "has no effect with 'bias: false'", "remove one of them")


def test_title_not_text(write):
    assert_error(write("title: [a, b]\n" + GOOD), "1: title", "is not text", "write the title on one line")


# ---------------------------------------------------------------------------
# Tags, aliases, and nothing in a file ever runs


def test_python_tag_is_refused_and_never_runs(write, tmp_path):
    marker = tmp_path / "ran"
    text = edit("learning_rate: 2", f"learning_rate: !!python/object/apply:os.system ['touch {marker}']")
    assert_error(write(text), "7: learning_rate", "the YAML tag '!!python/object/apply:os.system' is not allowed", "remove the tag")
    assert not marker.exists()


def test_python_tag_on_the_whole_document(write, tmp_path):
    marker = tmp_path / "ran"
    text = f"!!python/object/apply:os.system ['touch {marker}']\n"
    assert_error(write(text), "1", "the YAML tag '!!python/object/apply:os.system' is not allowed")
    assert not marker.exists()


def test_python_tag_on_a_mapping_document(write):
    assert_error(write("!!python/object:os.Foo\n" + GOOD), "1", "YAML tag '!!python/object:os.Foo' is not allowed")


@pytest.mark.parametrize(
    "old,new,where,tag",
    [
        ("learning_rate: 2", "learning_rate: !fast 2", "7: learning_rate", "!fast"),
        ("x: [2, 5]", "x: [2, !num 5]", "1: x", "!num"),
        ("x: [2, 5]", "x: !!set {a, b}", "1: x", "!!set"),
        ("x: [2, 5]", "x: [2, !!binary aGk=]", "1: x", "!!binary"),
        ("W1: [[-1, 2], [-2, 1], [1, 4]]", "W1: !!omap [[-1, 2]]", "3: W1", "!!omap"),
    ],
    ids=["custom-scalar", "custom-in-list", "set", "binary", "omap"],
)
def test_other_tags_are_refused(write, old, new, where, tag):
    assert_error(write(edit(old, new)), where, f"the YAML tag '{tag}' is not allowed", "remove the tag")


def billion_laughs(levels: int = 9) -> str:
    """W1 whose rows are aliases of aliases: 9**9 values once expanded, a few hundred bytes here."""
    rows = ["&a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for i in range(1, levels):
        rows.append(f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return edit("W1: [[-1, 2], [-2, 1], [1, 4]]", "W1: [" + ", ".join(rows) + "]")


def test_alias_bomb_is_refused_fast(write):
    path = write(billion_laughs())
    assert path.stat().st_size < 1000
    start = time.perf_counter()
    assert_error(path, "3: W1", f"holds more than {MAX_NODES} values once its aliases expand", "write the values out")
    assert time.perf_counter() - start < 2


def test_classic_billion_laughs_at_the_top_is_refused_fast(write):
    levels = ["lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    levels += [f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]
    start = time.perf_counter()
    assert_error(write("\n".join(levels) + "\n" + GOOD), "1: lol0", "unknown key")
    assert time.perf_counter() - start < 2


def test_wide_aliases_are_refused_fast(write):
    """A 1000-number row aliased 1001 times: a million weights from 7 kB."""
    row = "[" + ", ".join(["1"] * 1000) + "]"
    text = edit("x: [2, 5]", f"x: &r {row}")
    text = edit("W1: [[-1, 2], [-2, 1], [1, 4]]", "W1: [" + ", ".join(["*r"] * 1001) + "]", text)
    start = time.perf_counter()
    assert_error(write(text), "3: W1", f"more than {MAX_NODES} values", "write the values out")
    assert time.perf_counter() - start < 2


def test_aliases_spread_over_many_keys_add_up(write):
    row = "[" + ", ".join(["1"] * 1000) + "]"
    text = edit("W1: [[-1, 2], [-2, 1], [1, 4]]", "W1: &m [" + ", ".join(["*r"] * 150) + "]", edit("x: [2, 5]", f"x: &r {row}"))
    text = edit("W2: [[1], [2], [-4]]", "W2: *m", text)
    assert_error(write(text), "4: W2", f"the file holds more than {MAX_NODES} values")


def test_an_aliased_value_is_reported_on_its_own_line(write):
    """An alias shares the anchor's node; the message still points at the key that uses it."""
    text = edit("W2: [[1], [2], [-4]]", "W2: *w", edit("W1: [[-1, 2], [-2, 1], [1, 4]]", "W1: &w [[-1, 2], [-2, 1], [1, 4]]"))
    assert_error(write(text), "4: W2", "W2: has 2 columns (output neurons) but y has 1 label")


def test_an_alias_inside_itself_is_refused(write):
    assert_error(write(edit("W1: [[-1, 2], [-2, 1], [1, 4]]", "W1: &w [*w]")), "3: W1", "an alias refers to the list that contains it")


# ---------------------------------------------------------------------------
# YAML traps that must work


def solved(write, text) -> dict:
    result = CliRunner().invoke(cli, ["run", str(write(text)), "--json"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return json.loads(result.stdout)["problem"]


@pytest.mark.parametrize("text,value", [("1e-3", 0.001), ("1E-3", 0.001), ("1e3", 1000.0), ("5e-1", 0.5), (".5", 0.5), ("1_000", 1000.0)])
def test_learning_rate_in_exponent_form(write, text, value):
    """YAML 1.1 reads 1e-3 (no dot) as text; a person means the number."""
    assert solved(write, edit("learning_rate: 2", f"learning_rate: {text}"))["learning_rate"] == value


def test_bare_y_is_one_output(write):
    assert solved(write, edit("y: [1]", "y: 1"))["y"] == [1.0]


def test_bare_x_is_one_input(write):
    text = edit("W1: [[-1, 2], [-2, 1], [1, 4]]", "W1: [[-1, 2], [1, 4]]", edit("x: [2, 5]", "x: 5"))
    assert solved(write, text)["x"] == [5.0]


def test_reasonable_anchors_and_aliases_work(write):
    text = edit("W1: [[-1, 2], [-2, 1], [1, 4]]", "W1: [&row [-1, 2], [-2, 1], *row]")
    text = edit("activation: sigmoid", "activation: [&act sigmoid, *act]", text)
    p = solved(write, text)
    assert p["W1"] == [[-1.0, 2.0], [-2.0, 1.0], [-1.0, 2.0]]
    assert p["activation"] == ["sigmoid", "sigmoid"]


def test_block_style_and_comments_work(write):
    text = (
        "# a comment\n"
        "x:\n  - 2\n  - 5\n"
        "y: 1  # one output\n"
        "W1:\n  - [-1, 2]\n  - [-2, 1]\n  - [1, 4]\n"
        "W2: [[1], [2], [-4]]\n"
        "learning_rate: 2.0\n"
    )
    assert solved(write, text)["W1"] == [[-1.0, 2.0], [-2.0, 1.0], [1.0, 4.0]]


@pytest.mark.parametrize("value,number", [("07", 7.0), ("0x10", 16.0), ("+3", 3.0), ("-0", 0.0), ("1.", 1.0)])
def test_numbers_that_mean_one_thing(write, value, number):
    assert solved(write, edit("x: [2, 5]", f"x: [2, {value}]"))["x"] == [2.0, number]


def test_byte_order_mark_and_crlf_lines(write):
    assert solved(write, "\ufeff" + GOOD.replace("\n", "\r\n"))["learning_rate"] == 2.0


def test_yaml_booleans_for_bias(write):
    assert solved(write, "train_bias: no\n" + GOOD)["train_bias"] is False
    assert solved(write, "train_bias: On\n" + GOOD)["train_bias"] is True


def test_quoted_keys_are_keys(write):
    assert solved(write, edit("W1:", '"W1":'))["W1"][0] == [-1.0, 2.0]


# ---------------------------------------------------------------------------
# The library, for tools that read the attributes


def error_of(text: str) -> ProblemError:
    with pytest.raises(ProblemError) as info:
        parse_problem(text, source="w.yaml")
    return info.value


def test_parse_problem_shape_error_attributes():
    e = error_of(edit("[[-1, 2], [-2, 1], [1, 4]]", "[[-2, 1], [1, 4]]"))
    assert (e.file, e.line, e.column, e.key) == ("w.yaml", 3, None, "W1")
    assert e.message == "has 2 rows; 2 inputs plus the bias row need 3"
    assert e.fix == "make W1 3 x 2"
    assert str(e) == "w.yaml:3: W1: has 2 rows; 2 inputs plus the bias row need 3; make W1 3 x 2"


def test_parse_problem_missing_key_has_no_line():
    e = error_of(drop("x"))
    assert (e.line, e.key) == (None, "x")
    assert str(e).startswith("w.yaml: x: missing; ")


def test_parse_problem_yaml_error_has_line_and_column():
    e = error_of("x: [2, 5\ny: [1]\n")
    assert (e.line, e.column) == (2, 2)
    assert e.message.startswith("not valid YAML")


def test_parse_problem_duplicate_key():
    e = error_of(GOOD + "learning_rate: 3\n")
    assert (e.line, e.key) == (8, "learning_rate")
    assert "first on line 7" in e.message


def test_parse_problem_entry_key():
    e = error_of(edit("[1, 4]", "[1, .nan]"))
    assert (e.line, e.key) == (3, "W1[2,2]")


def test_parse_problem_values_of_traps():
    p = parse_problem(edit("y: [1]", "y: 1", edit("learning_rate: 2", "learning_rate: 1e-3")))
    assert p.learning_rate == 0.001
    assert p.y.tolist() == [1.0]


def test_every_message_is_one_line():
    """Messages quote user text; a newline in it must not break the one-line rule."""
    e = error_of(GOOD + '"a\\nb": 1\n')
    assert "\n" not in str(e)


# -- batch: one update from the examples' gradients (issue 15, item 6) -------------------------------

# the worksheet's network with two examples, one update from the mean of their gradients
BATCHED = GOOD.replace("x: [2, 5]\ny: [1]\n", "examples:\n  - {x: [2, 5], y: [1]}\n  - {x: [1, 1], y: [0]}\n") + "batch: mean\n"


def test_batch_is_read():
    assert parse_problem(BATCHED).batch == "mean"
    assert parse_problem(BATCHED.replace("batch: mean", "batch: Sum")).batch == "sum"
    assert parse_problem(BATCHED).as_dict()["batch"] == "mean"
    assert parse_problem(BATCHED.replace("batch: mean\n", "")).batch is None  # examples alone: SGD, as before
    assert "batch" not in parse_problem(GOOD).as_dict()


@pytest.mark.parametrize(
    "value, message",
    [("avg", "unknown batch 'avg'"), ("[mean]", "is not a name"), ("", "is not a name"), ("1", "unknown batch '1'")],
)
def test_batch_not_mean_or_sum(write, value, message):
    line = assert_error(write(BATCHED.replace("batch: mean", f"batch: {value}".rstrip())), "9: batch", message)
    assert line.endswith("; use mean (one update from the mean of the examples' gradients) or sum (from their sum)"), line


def test_batch_needs_examples(write):
    line = assert_error(write(GOOD + "batch: mean\n"), "8: batch", "is given without examples")
    assert "give a list of examples, such as 'examples: [{x: [2, 5], y: [1]}, {x: [1, -1], y: [0]}]', or remove batch" in line


def test_batch_needs_a_learning_rate(write):
    text = BATCHED.replace("learning_rate: 2\n", "")
    line = assert_error(write(text), "1: examples", "one update from the batch needs a learning rate")
    assert line.endswith("; add learning_rate to the problem, such as 'learning_rate: 0.5'"), line
