"""`nnsolve run`: the worksheet's golden numbers, the JSON contract, the terminal output."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jsonschema
import numpy as np
import pytest

from nnsolve.problem import load_problem
from conftest import PROBLEM_FILES, PROBLEMS, ROOT, assert_usage_error, invoke, run_json

SNAPSHOTS = ROOT / "tests" / "snapshots"


def schema(name: str) -> dict:
    result = invoke("schema", name)
    assert result.exit_code == 0
    return json.loads(result.stdout)


# -- the worksheet's numbers (../shared/worksheet.md, exact rather than hand-rounded) --------


@pytest.fixture(scope="module")
def worksheet() -> dict:
    return run_json(str(PROBLEMS / "worksheet.yaml"))


def test_worksheet_shapes(worksheet):
    assert worksheet["shapes"] == {"W1": [3, 2], "W2": [3, 1]}


def test_worksheet_forward(worksheet):
    layer1, layer2 = worksheet["layers"]
    assert layer1["input"] == [1, 2, 5]
    assert layer1["alpha"] == [0, 24]
    assert layer1["beta"] == pytest.approx([0.5, 0.99999999996], abs=1e-11)
    assert layer2["input"] == pytest.approx([1, 0.5, 0.99999999996], abs=1e-11)
    assert layer2["alpha"] == pytest.approx([-1.99999999985], abs=1e-11)
    assert worksheet["y_hat"] == pytest.approx([0.11920292], abs=5e-9)
    assert worksheet["prediction"] == [0]
    assert worksheet["loss"] == pytest.approx(0.38790175, abs=5e-9)


def test_worksheet_backprop_and_update(worksheet):
    grads, updated = worksheet["gradients"], worksheet["updated"]
    assert grads["W2"][1][0] == pytest.approx(-0.04623902, abs=5e-9)  # dl/dW2[1,1]
    assert grads["W1"][2][0] == pytest.approx(-0.23119511, abs=5e-9)  # dl/dW1[2,1]
    assert updated["W2"][1][0] == pytest.approx(2.09247804, abs=5e-9)
    assert updated["W1"][2][0] == pytest.approx(1.46239022, abs=5e-9)
    out = worksheet["output"]
    assert out["dl_dy_hat"] == pytest.approx([-(1 - 0.11920292)], abs=5e-9)
    assert out["dy_hat_dalpha"][0] == pytest.approx([0.11920292 * (1 - 0.11920292)], abs=5e-9)
    assert out["delta_rule"] is None


def test_worksheet_full_precision(worksheet):
    """JSON keeps float64 exactly: the same bits as the library computes."""
    from nnsolve.solution import solve

    s = solve(load_problem(str(PROBLEMS / "worksheet.yaml")))
    assert worksheet["layers"][0]["beta"][1] == float(s.layers[0].beta[1])
    assert worksheet["gradients"]["W1"][2][0] == float(s.layers[0].grad_W[2, 0])


def test_no_file_is_the_builtin_worksheet(worksheet):
    builtin = run_json()
    assert builtin["gradients"] == worksheet["gradients"]
    assert builtin["problem"] == worksheet["problem"]


def test_builtin_worksheet_matches_problems_folder():
    builtin = load_problem()
    shipped = load_problem(str(PROBLEMS / "worksheet.yaml"))
    assert builtin.as_dict() == shipped.as_dict()


# -- the JSON contract --------------------------------------------------------------------


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: p.name)
def test_json_validates_against_shipped_schema(path):
    data = run_json(str(path))
    if data["schema"] == "nnsolve.steps/1":  # a problem with examples: SGD step by step
        jsonschema.Draft7Validator(schema("steps")).validate(data)
        data = data["steps"][0]
        del data["epoch"], data["example"]
    if data["schema"].startswith("nnsolve.batch/"):  # examples and batch: one update from all of them
        jsonschema.Draft7Validator(schema("batch")).validate(data)
        assert data["schema"] == ("nnsolve.batch/1" if "convention" not in data["problem"] else "nnsolve.batch/2")
        for part in ("gradients", "updated"):
            for name, shape in data["shapes"].items():
                assert list(np.shape(data[part][name])) == shape
        return
    jsonschema.Draft7Validator(schema("solution")).validate(data)
    # version 3 for a problem with an optimizer or l2 (version 2 with its step and state); version 2
    # for a problem in another convention (its weights as it writes them), else 1
    optimized = "optimizer" in data["problem"] or "l2" in data["problem"]
    assert data["schema"] == ("nnsolve.solution/3" if optimized else "nnsolve.solution/1" if "convention" not in data["problem"] else "nnsolve.solution/2")
    assert ("optimizer" in data) == optimized
    n_layers = len([name for name in data["shapes"] if name.startswith("W")])
    assert [layer["layer"] for layer in data["layers"]] == list(range(1, n_layers + 1))
    for name, shape in data["shapes"].items():
        for part in ("gradients", "updated"):
            values = data[part][name]
            assert list(np.shape(values)) == shape


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: p.name)
def test_problem_files_validate_against_problem_schema(path):
    import yaml

    jsonschema.Draft7Validator(schema("problem")).validate(yaml.safe_load(path.read_text()))


def test_schemas_are_valid_draft7():
    for name in ("solution", "problem", "batch", "grad-batch"):
        jsonschema.Draft7Validator.check_schema(schema(name))


def test_softmax_cross_entropy_delta_is_y_hat_minus_y():
    data = run_json(str(PROBLEMS / "softmax_cross_entropy.yaml"))
    y, y_hat = data["problem"]["y"], data["y_hat"]
    assert data["output"]["delta_rule"] == "y_hat - y"
    assert data["layers"][-1]["derivative"] is None
    assert data["layers"][-1]["delta"] == pytest.approx([a - b for a, b in zip(y_hat, y)], abs=1e-15)
    assert sum(data["prediction"]) == 1


def test_train_bias_false_keeps_bias_rows(write):
    text = (PROBLEMS / "worksheet.yaml").read_text() + "train_bias: false\n"
    data = run_json(write(text))
    for name, W in (("W1", [[-1, 2], [-2, 1], [1, 4]]), ("W2", [[1], [2], [-4]])):
        assert data["updated"][name][0] == W[0]
        assert data["gradients"][name][0] != [0.0] * len(W[0])  # the gradient is still reported
        assert data["updated"][name][1] != W[1]


def test_no_bias(write):
    data = run_json(write("x: [1, 2]\ny: [1]\nW1: [[1, -1], [0.5, 0.5]]\nW2: [[1], [-1]]\nbias: false\nlearning_rate: 1\n"))
    assert data["shapes"] == {"W1": [2, 2], "W2": [2, 1]}
    assert data["layers"][0]["input"] == [1, 2]
    assert data["layers"][0]["alpha"] == [2, 0]


# -- a class label for softmax outputs (y: 2) --------------------------------------------------

SOFTMAX_CLASS = """\
x: [1, 2]
y: 2
W1: [[0, 1], [1, -1], [0.5, 0.5]]
W2: [[0, 0, 0], [1, -1, 2], [2, 1, -1]]
activation: [sigmoid, softmax]
loss: cross_entropy
learning_rate: 1
"""


def test_class_label_is_the_one_hot_vector(write):
    """y: 2 solves as y: [0, 1, 0], to the bit: the engine sees the one-hot vector."""
    by_class = run_json(write(SOFTMAX_CLASS))
    one_hot = run_json(write(SOFTMAX_CLASS.replace("y: 2", "y: [0, 1, 0]"), "one_hot.yaml"))
    assert by_class["problem"]["y"] == [0.0, 1.0, 0.0]
    assert by_class["problem"]["label_class"] == 2
    assert "label_class" not in one_hot["problem"]  # given as a list: no class to tell
    del by_class["problem"]["label_class"]
    assert by_class == one_hot
    jsonschema.Draft7Validator(schema("solution")).validate(run_json(write(SOFTMAX_CLASS)))


@pytest.mark.parametrize("k,one_hot", [(1, [1.0, 0.0, 0.0]), (3, [0.0, 0.0, 1.0])])
def test_class_label_counts_from_1_as_the_output_neurons(write, k, one_hot):
    data = run_json(write(SOFTMAX_CLASS.replace("y: 2", f"y: {k}")))
    assert data["problem"]["y"] == one_hot
    assert data["problem"]["label_class"] == k


@pytest.mark.parametrize("fmt,shown", [
    ("text", "The label y is given as class 2 of 3, one-hot: y = [0, 1, 0]."),
    ("markdown", "The label $y$ is given as class 2 of 3, one-hot: $y = [0, 1, 0]$."),
    ("latex", "The label $y$ is given as class 2 of 3, one-hot: $y = [0, 1, 0]$."),
])
def test_class_label_is_said_in_every_format(write, fmt, shown):
    result = invoke("run", write(SOFTMAX_CLASS), "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert shown in result.stdout
    one_hot = invoke("run", write(SOFTMAX_CLASS.replace("y: 2", "y: [0, 1, 0]"), "one_hot.yaml"), "--format", fmt)
    assert "given as class" not in one_hot.stdout


def test_class_labels_in_examples(write):
    text = SOFTMAX_CLASS.replace("x: [1, 2]\ny: 2\n", "examples:\n  - {x: [1, 2], y: 3}\n  - {x: [0, 1], y: [1, 0, 0]}\n  - {x: [2, 0], y: 2}\n")
    data = run_json(write(text))
    assert [e.get("label_class") for e in data["problem"]["examples"]] == [3, None, 2]
    assert [e["y"] for e in data["problem"]["examples"]] == [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
    assert [s["problem"].get("label_class") for s in data["steps"]] == [3, None, 2]
    assert [s["problem"]["y"] for s in data["steps"]] == [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
    out = invoke("run", write(text)).stdout
    assert "example 1: x = [1, 2], y = [0, 0, 1] (class 3)" in out
    assert "example 2: x = [0, 1], y = [1, 0, 0]\n" in out


def test_one_number_for_one_sigmoid_output_is_still_the_label(write):
    """y: 1 for one sigmoid output means [1], as always: not a class."""
    data = run_json(write((PROBLEMS / "worksheet.yaml").read_text().replace("y: [1]", "y: 1")))
    assert data["problem"]["y"] == [1.0]
    assert "label_class" not in data["problem"]


# -- no learning rate: the derivatives only, no update ------------------------------------------


def no_rate(write, name: str = "no_rate.yaml") -> str:
    """The worksheet without its learning rate."""
    text = (PROBLEMS / "worksheet.yaml").read_text()
    assert text.count("learning_rate: 2") == 1
    return write(text.replace("learning_rate: 2", ""), name)


def test_without_a_learning_rate_json_has_no_update(write, worksheet):
    data = run_json(no_rate(write))
    jsonschema.Draft7Validator(schema("solution")).validate(data)
    assert data["problem"]["learning_rate"] is None
    assert data["updated"] is None  # null, not absent: the key is always there
    # every derivative is the worksheet's, to the bit
    for key in ("layers", "y_hat", "prediction", "loss", "output", "gradients"):
        assert data[key] == worksheet[key], key


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex"])
def test_without_a_learning_rate_no_update_in_any_format(write, fmt):
    out = invoke("run", no_rate(write), "--format", fmt).stdout
    assert "-0.23119511" in out  # dl/dW1[2,1] is there
    for shown in ("new W", "new W^", "Updated weights", "1.46239022", "2.09247804", "lambda", "λ", "update is"):
        assert shown not in out, shown
    assert "no learning rate, so the derivatives only, no update" in out


def test_without_a_learning_rate_rounded_working_has_no_update(write):
    data = run_json(no_rate(write), "--round", "3")
    assert data["updated"] is None
    assert not data["rounding"]["max_difference"]["quantity"].startswith("new")


def test_without_a_learning_rate_epochs_are_refused(write):
    path = no_rate(write)
    assert_usage_error(invoke("run", path, "--epochs", "2"), f"{path}: learning_rate: missing: --epochs above 1 asks for SGD step by step",
                       "add learning_rate to the problem")


def test_json_is_deterministic():
    first = invoke("run", str(PROBLEMS / "deep_tanh_relu.yaml"), "--json").stdout
    second = invoke("run", str(PROBLEMS / "deep_tanh_relu.yaml"), "--json").stdout
    assert first == second


def test_overflow_is_a_clear_error(write):
    result = invoke("run", write("x: [1e300]\ny: [1]\nW1: [[0], [1e300]]\nactivation: linear\nlearning_rate: 1\n"), "--json")
    assert_usage_error(result, "alpha1 overflows float64", "use smaller weights")


# -- the terminal output --------------------------------------------------------------------


def test_terminal_snapshot_worksheet():
    """The whole text of `nnsolve run` on the worksheet. Regenerate with NNSOLVE_UPDATE_SNAPSHOTS=1."""
    result = invoke("run", str(PROBLEMS / "worksheet.yaml"))
    assert result.exit_code == 0
    path = SNAPSHOTS / "run_worksheet.txt"
    if os.environ.get("NNSOLVE_UPDATE_SNAPSHOTS"):
        path.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == path.read_text(encoding="utf-8")


def test_terminal_follows_the_worksheet():
    out = invoke("run").stdout
    order = [
        "Q2. The network and the shapes of the weights",
        "3 × 2",
        "Q3. Into layer 1",
        "α¹₁ = (-1)(1) + (-2)(2) + (1)(5) = 0",
        "α¹₂ = (2)(1) + (1)(2) + (4)(5) = 24",
        "Q4.",
        "β¹₂ = sigmoid(24) = 0.99999999996",
        "Q5.",
        "Q6.",
        "ŷ = sigmoid(",
        "Q7. The predicted class",
        "Class 0",
        "Q8. The loss",
        "= 0.38790175",
        "Q9. Backpropagation",
        "∂ℓ/∂ŷ = −(y − ŷ)",
        "W2[1,1]",
        "-0.04623902",
        "2.09247804",
        "W1[2,1]",
        "-0.23119511",
        "1.46239022",
        "Updated weights",
    ]
    position = 0
    for text in order:
        found = out.find(text, position)
        assert found >= 0, f"{text!r} missing or out of order"
        position = found


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: p.name)
def test_terminal_renders_every_problem_plain(path):
    result = invoke("run", str(path))
    assert result.exit_code == 0
    assert "\x1b[" not in result.stdout  # no colour when piped
    assert not any(c in result.stdout for c in "─│┃━┏┗╭╰"), "no box drawing when piped"


def test_digits_changes_display_only():
    short = invoke("run", "--digits", "3").stdout
    assert "= 0.388" in short
    assert "0.38790175" not in short
    assert run_json("--digits", "3")["loss"] == pytest.approx(0.38790175, abs=5e-9)
    result = invoke("run", "--digits", "99")
    assert_usage_error(result, "--digits", "1<=x<=17")


def test_no_color_env_is_plain():
    result = invoke("run", env={"NO_COLOR": "1"})
    assert "\x1b[" not in result.stdout


# -- the command line as a whole ------------------------------------------------------------


def test_version():
    from nnsolve import __version__

    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"nnsolve {__version__}\n"


def test_bare_nnsolve_prints_help():
    result = invoke()
    assert result.exit_code == 0
    assert "Usage: nnsolve" in result.stdout and "run" in result.stdout


def test_usage_errors_are_one_line():
    assert_usage_error(invoke("run", "--bogus"), "No such option", "--bogus")
    assert_usage_error(invoke("nope"), "No such command")
    assert_usage_error(invoke("schema", "other"), "'other'")
    assert_usage_error(invoke("run", "a.yaml", "b.yaml"), "unexpected extra argument")


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)


def _json_run_loads(args: list[str], names: set[str]) -> list[str]:
    """Which of names (modules) `nnsolve run ARGS --json` has loaded when it ends; its stdout is
    the solution's JSON."""
    code = (
        "import sys\n"
        "from nnsolve.cli import main\n"
        f"try:\n    main({['run', *args, '--json']!r})\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        f"print(sorted(m for m in {sorted(names)!r} if m in sys.modules or any(k.startswith(m + '.') for k in sys.modules)), file=sys.stderr)\n"
    )
    result = _python(code)
    assert json.loads(result.stdout)["schema"] == "nnsolve.solution/1"
    return json.loads(result.stderr.strip().replace("'", '"'))


def test_json_run_imports_no_rich():
    assert _json_run_loads([], {"rich"}) == []


def test_json_run_imports_only_what_it_uses():
    """Start-up: `run --json` loads none of the renderers for people, and nothing for rounding,
    --given or misspelt keys."""
    unused = {"decimal", "difflib", "rich", "nnsolve.render.document", "nnsolve.render.mathtext",
              "nnsolve.chain", "nnsolve.quantities", "nnsolve.rounding", "nnsolve.check", "nnsolve.sheet"}
    assert _json_run_loads(["problems/worksheet.yaml"], unused) == []


def test_text_run_imports_no_quantities_or_emoji():
    """The text of a run without --given needs no quantity catalog, and rich (on a terminal) never
    loads its emoji table: nnsolve's text holds no emoji codes."""
    code = (
        "import io, sys\n"
        "from rich.console import Console\n"
        "from nnsolve.problem import load_problem\n"
        "from nnsolve.render import terminal\n"
        "from nnsolve.render.document import solution_document\n"
        "from nnsolve.cli.common import make_console\n"
        "from nnsolve.solution import solve\n"
        "console = make_console()\n"
        "console.file = io.StringIO()\n"
        "terminal.write(solution_document(solve(load_problem()), 8), console)\n"
        "assert 'W¹' in console.file.getvalue()\n"
        "print(sorted({'nnsolve.quantities', 'rich._emoji_codes'} & set(sys.modules)), file=sys.stderr)\n"
    )
    assert _python(code).stderr.strip() == "[]"


def test_help_and_version_import_no_numpy():
    code = (
        "import sys\n"
        "from nnsolve.cli import main\n"
        "for args in (['--help'], ['--version'], ['run', '--help']):\n"
        "    try:\n        main(args)\n    except SystemExit as e:\n        assert e.code == 0, e.code\n"
        "heavy = {'numpy', 'yaml', 'rich'} & {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(heavy), file=sys.stderr)\n"
    )
    assert _python(code).stderr.strip() == "[]"


def test_python_dash_m():
    result = subprocess.run([sys.executable, "-m", "nnsolve", "run", "--json"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["prediction"] == [0]


def test_installed_console_script():
    script = os.path.join(os.path.dirname(sys.executable), "nnsolve")
    if not os.path.exists(script):
        pytest.skip("nnsolve is not installed as a console script in this environment")
    result = subprocess.run([script, "run", "--json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["loss"] == pytest.approx(0.38790175, abs=5e-9)
