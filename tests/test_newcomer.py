"""Issue 18: what a newcomer trips on, each through the CLI as a user types it."""

from __future__ import annotations

import pytest

from conftest import PROBLEM_FILES, PROBLEMS, assert_usage_error, invoke

WORKSHEET = "x: [2, 5]\ny: [1]\nW1: [[-1, 2], [-2, 1], [1, 4]]\nW2: [[1], [2], [-4]]\nlearning_rate: 2\n"


# -- 1: the fixes messages give --------------------------------------------------------------


@pytest.mark.parametrize(
    "text, fragments",
    [
        # a 2 x 3 W1 for 3 inputs: written neurons x inputs; the right shape is 4 x 2, not 4 x 3
        ("x: [1, 2, 3]\ny: [1]\nW1: [[1, 2, 3], [4, 5, 6]]\nW2: [[1], [2], [3]]\n",
         ["W1: has 2 rows; 3 inputs plus the bias row need 4", "looks transposed", "make W1 4 x 2"]),
        ("x: [1, 2, 3]\ny: [1]\nbias: false\nW1: [[1, 2, 3], [4, 5, 6]]\nW2: [[1], [2]]\n",
         ["W1: has 2 rows; 3 inputs need 3", "looks transposed", "write its transpose, 3 x 2"]),
        # the bias as a column: the transpose fits as it is
        ("x: [1, 2, 3]\ny: [1]\nW1: [[0, 1, 2, 3], [0, 4, 5, 6]]\nW2: [[1], [2], [3]]\n",
         ["looks transposed", "its 4 columns match the bias and the inputs", "write its transpose, 4 x 2"]),
        # an output layer written as a row: 1 x 3 for 2 hidden neurons and the bias
        (WORKSHEET.replace("W2: [[1], [2], [-4]]", "W2: [[1, 2, -4]]"), ["W2: has 1 row", "looks transposed", "write its transpose, 3 x 1"]),
    ],
)
def test_a_transposed_matrix_is_named_so_with_the_right_shape(write, text, fragments):
    line = assert_usage_error(invoke("run", write(text)), *fragments)
    assert "make W1 4 x 3" not in line and "make W1 3 x 3" not in line


def test_a_bias_row_missing_still_says_add_it(write):
    text = WORKSHEET.replace("W1: [[-1, 2], [-2, 1], [1, 4]]", "W1: [[-2, 1], [1, 4]]")
    line = assert_usage_error(invoke("run", write(text)), "make W1 3 x 2")
    assert "transposed" not in line


@pytest.mark.parametrize(
    "loss, activation, meant",
    [
        ("categorical_cross_entropy", "sigmoid", "cross_entropy"),
        ("CategoricalCrossentropy", "sigmoid", "cross_entropy"),
        ("log_loss", "sigmoid", "binary_cross_entropy"),
        ("log_loss", "softmax", "cross_entropy"),
        ("nll", "softmax", "cross_entropy"),
        ("nll", "sigmoid", "binary_cross_entropy"),
        ("mean_squared_error", "sigmoid", "mse"),
        ("sse", "sigmoid", "squared_error"),
        ("bce", "sigmoid", "binary_cross_entropy"),
    ],
)
def test_a_loss_by_another_name_points_to_nnsolves(write, loss, activation, meant):
    text = "x: [2, 5]\ny: [0, 1]\nW1: [[-1, 2], [-2, 1], [1, 4]]\n" f"activation: {activation}\nloss: {loss}\n"
    assert_usage_error(invoke("run", write(text)), f"unknown loss '{loss}'", f"did you mean '{meant}'?")


def test_a_bias_vector_in_a_bias_row_file_points_to_the_conventions(write):
    assert_usage_error(invoke("run", write(WORKSHEET + "b1: [1, 2]\n")), "b1:", "row 0 of W1", "convention: Wx+b")


# -- 2: grad's arguments ------------------------------------------------------------------------


TWO_OUTPUTS = str(PROBLEMS / "two_outputs.yaml")


def _grad_lines(*args):
    import json

    result = invoke("grad", *args, "--json")
    assert result.exit_code == 0, result.stderr
    if result.stdout.startswith("{\n"):  # one weight: one indented object
        return [json.loads(result.stdout)]
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_grad_takes_several_weights_and_the_file_in_either_order():
    first = invoke("grad", TWO_OUTPUTS, "W2[1,1]", "W1[2,1]")
    assert first.exit_code == 0, first.stderr
    assert "the chain rule for W2[1,1]" in first.stdout and "the chain rule for W1[2,1]" in first.stdout
    assert first.stdout.count("Two outputs") == 1  # the title once
    assert invoke("grad", "W2[1,1]", TWO_OUTPUTS, "W1[2,1]").stdout == first.stdout
    single = invoke("grad", "W2[1,1]", TWO_OUTPUTS)
    assert single.exit_code == 0 and single.stdout == invoke("grad", TWO_OUTPUTS, "W2[1,1]").stdout
    # --json: one nnsolve.grad object a line, each what grad gives for the weight alone
    lines = _grad_lines(TWO_OUTPUTS, "W2[1,1]", "W1[2,1]")
    assert [g["weight"] for g in lines] == ["W2[1,1]", "W1[2,1]"]
    assert lines[1]["gradient"] == _grad_lines("W1[2,1]", TWO_OUTPUTS)[0]["gradient"]


def test_grad_with_several_weights_and_no_file_is_the_worksheet():
    result = invoke("grad", "W2[1,1]", "W1[2,1]")
    assert result.exit_code == 0, result.stderr
    assert "no such file" not in result.stderr and "1 Neural Network" in result.stdout


def test_grad_with_a_file_only_asks_for_a_weight():
    assert_usage_error(invoke("grad", TWO_OUTPUTS), "name a weight", "--all")
    assert invoke("grad", TWO_OUTPUTS, "--all").exit_code == 0


def test_grad_weights_in_the_problems_convention(tmp_path):
    path = tmp_path / "wxb.yaml"
    path.write_text("convention: Wx+b\nx: [2, 5]\ny: [1]\nW1: [[-2, 1], [2, 1]]\nb1: [-1, 2]\nW2: [[2, -4]]\nb2: [1]\n", encoding="utf-8")
    assert [g["weight"] for g in _grad_lines(str(path), "b2[1]", "W1[1,2]")] == ["b2[1]", "W1[1,2]"]


def test_grad_two_files_and_a_file_named_like_a_weight(tmp_path, monkeypatch):
    assert_usage_error(invoke("grad", TWO_OUTPUTS, str(PROBLEMS / "xor.yaml"), "W1[1,1]"), "both files", "give one problem file")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "W2_11").write_text((PROBLEMS / "two_outputs.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    result = invoke("grad", "W2_11", "W1[1,1]")
    assert result.exit_code == 0, result.stderr
    assert "took 'W2_11' for the problem file" in result.stderr and "Two outputs" in result.stdout


# -- 3: float noise ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, text",
    [
        (0.7 - 0.2, "0.5"),  # 0.49999999999999994
        (0.2 - 0.7, "-0.5"),
        (0.1 + 0.2, "0.3"),  # 0.30000000000000004
        (0.7 * 0.7, "0.49"),  # 0.48999999999999994
        (-(1 - 0.8808), "-0.1192"),  # -0.11919999999999997
        (0.7 + 0.2 + 0.1, "1"),  # 0.9999999999999999
        # a real difference is never hidden: more than a few ulps off a short decimal
        (0.5 + 1e-12, "0.50000000"),
        (0.3 - 2e-15, "0.30000000"),
        (0.25 - 2.5e-15, "0.25000000"),  # sigmoid'(1e-7)
        (-0.030000000000000054, "-0.03"),  # 0.7 a1 - 0.5 a2 with a = [0.1, 0.2] computed (docs/problem-files.md)
        (1 - 1e-15, "0.999999999999999"),
        (0.9999999999622486, "0.99999999996"),
    ],
)
def test_float_noise_prints_short_and_a_real_difference_does_not(value, text):
    from nnsolve.render.numbers import fmt

    assert fmt(value, 8) == text


def test_run_prints_computed_short_decimals_short(write):
    # x = [0.7, 0.2, 1]: alpha1_1 = 0.7 - 0.2 - 0.2 = 0.30000000000000004, beta1_2 = 0.49 + 0.3 = 0.79
    text = ("x: [0.7, 0.2, 1]\ny: [1, 0]\nW1: [[0, 0.3], [1, 0.7], [-1, 0], [-0.2, 0]]\n"
            "W2: [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]\nactivation: [relu, sigmoid]\nlearning_rate: 0.1\n")
    out = invoke("run", write(text)).stdout
    assert "relu(0.3) = 0.3" in out and "[1; β¹] = [1, 0.3, 0.79]" in out
    assert "0.30000000" not in out and "0.79000000" not in out


# -- 4: wrapped at the terminal's width ---------------------------------------------------------------

TRAIN_DATA = {
    "xor": ["--data", "problems/data/xor.csv", "--epochs", "20"],
    "moons": ["--data", "problems/data/moons.csv", "--epochs", "3"],
    "breast_cancer": ["--data", "problems/data/breast_cancer.csv", "--epochs", "2", "--validation-split", "0.2"],
}


def _key_sheet_with_slips(problem_path, folder) -> str:
    """The problem's key as an answer sheet, with two answers wrong: check has notes to write."""
    import re

    from nnsolve.problem import load_problem
    from nnsolve.render.answer_sheet import key_sheet
    from nnsolve.solution import solve

    lines = key_sheet(solve(load_problem(str(problem_path))), None).splitlines()
    answers = [n for n, l in enumerate(lines) if ":" in l and not l.startswith(("#", "student"))]
    for n in (answers[3], answers[-1]):
        name, value = lines[n].split(":", 1)
        lines[n] = name + ":" + re.sub(r"-?\d+(\.\d+)?(e-?\d+)?", lambda m: str(-float(m.group(0)) + 0.3), value, count=1)
    path = folder / f"{problem_path.stem}.sheet.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path.name


def _commands(problem_path, folder):
    p = str(problem_path)
    yield ["run", p]
    yield ["grad", "--all", p]
    yield ["grad", p, "W1[1,1]", "W2[1,1]"]
    yield ["check", _key_sheet_with_slips(problem_path, folder), "--problem", p]
    if problem_path.stem in TRAIN_DATA:
        yield ["train", p, *TRAIN_DATA[problem_path.stem]]


@pytest.mark.parametrize("terminal", ["colour", "NO_COLOR"])
@pytest.mark.parametrize("problem_path", PROBLEM_FILES, ids=lambda p: p.name)
def test_at_80_columns_no_line_breaks_inside_a_word_or_a_number(problem_path, terminal, tmp_path, monkeypatch):
    """What a terminal 80 columns wide shows: every line fits, so the terminal breaks none, and
    rich cuts nothing short (no …). The terminal is the one thing simulated: stdout is a
    terminal (rich's tables), or a terminal with NO_COLOR set (plain text), 80 columns wide."""
    import shutil

    from rich.cells import cell_len

    from nnsolve.cli import common

    # short paths, as a user types them: a path is one word, which no width can break
    (tmp_path / "problems").symlink_to(PROBLEMS, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    if terminal == "colour":
        monkeypatch.setattr(common, "colour_terminal", lambda: True)
    else:
        monkeypatch.setattr(common, "terminal_width", lambda: shutil.get_terminal_size().columns)
    for args in _commands(PROBLEMS.relative_to(PROBLEMS.parent) / problem_path.name, tmp_path):
        result = invoke(*args, env={"COLUMNS": "80", **({"NO_COLOR": "1"} if terminal == "NO_COLOR" else {})})
        assert result.exit_code in (0, 1), (args, result.stderr)
        assert result.stdout.strip(), args
        for line in result.stdout.splitlines():
            assert cell_len(line) <= 80 and "…" not in line, (args, line)


@pytest.mark.parametrize("colour", [True, False], ids=["colour", "NO_COLOR"])
def test_a_real_terminal_80_columns_wide(colour):
    """The same, in a real pseudo-terminal of 80 columns (no COLUMNS): nnsolve asks the terminal its width."""
    import os
    import re
    import sys

    pexpect = pytest.importorskip("pexpect")
    from conftest import ROOT
    from rich.cells import cell_len

    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env.update({"TERM": "xterm-256color"} if colour else {"NO_COLOR": "1", "TERM": "dumb"})
    child = pexpect.spawn(sys.executable, ["-m", "nnsolve", "run", "problems/moons.yaml"], cwd=str(ROOT), env=env,
                          encoding="utf-8", timeout=60, dimensions=(50, 80))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", child.before).replace("\r\n", "\n")
    lines = text.splitlines()
    assert any("[1; β¹] = [1, 0.05030151" in l for l in lines) and len(lines) > 100
    assert max(cell_len(l.rstrip()) for l in lines) <= 80


@pytest.mark.parametrize("text, width", [
    ("After epoch 3: loss 0.077841, accuracy 97.6% (444 of 455); validation loss 0.2017898, accuracy 98.2% (112 of 114).", 80),
    ("Row 0 of each weight matrix holds the bias weights, row i the weights from input i, column j the weights into neuron j.", 80),
    ("[1; x] = [1, 1.0971, -2.0733, 1.2699, 0.9844, 1.5685, 3.2835, 2.6529, 2.5325, 2.2175, 2.2557, 2.4897, -0.5653]", 40),
    ("α²₁ = (0.2)(1) + (1)(-0.37994896) + (-1)(0.94680601) + (0.5)(0.86172316) = -0.69589340", 30),
])
def test_wrapping_breaks_between_words_and_keeps_every_one(text, width):
    from nnsolve.render.plain import CONTINUATION, wrap

    lines = wrap(text, width, CONTINUATION)
    assert len(lines) > 1 and all(len(l) <= width for l in lines)
    assert " ".join(l.strip() for l in lines) == text  # every word, in order, none cut
    assert all(not l.rstrip().endswith(("=", "+")) for l in lines)  # a continuation starts with its = or +


# -- 5: pictures ---------------------------------------------------------------------------------------


def _label_boxes(svg: str) -> dict[str, list[tuple[float, float]]]:
    """Each edge label's box as matplotlib drew it in the SVG: the corners of its (rotated,
    rounded) background patch, in the picture's pixels, and its text."""
    import re
    import xml.etree.ElementTree as ET

    ns = "{http://www.w3.org/2000/svg}"
    boxes = {}
    for group in ET.fromstring(svg).iter(ns + "g"):
        if group.get("id", "").startswith("edge-label-"):
            path = next(group.iter(ns + "path")).get("d")
            numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path)]
            text = "\n".join("".join(t.itertext()) for t in group.iter(ns + "text"))
            boxes[f"{group.get('id')} {text}"] = list(zip(numbers[0::2], numbers[1::2]))
    return boxes


def _hull(points):
    points = sorted(set(points))
    def half(ps):
        out = []
        for p in ps:
            while len(out) >= 2 and (out[-1][0] - out[-2][0]) * (p[1] - out[-2][1]) - (out[-1][1] - out[-2][1]) * (p[0] - out[-2][0]) <= 0:
                out.pop()
            out.append(p)
        return out[:-1]
    return half(points) + half(points[::-1])


def _overlap(a, b) -> bool:
    """Whether two convex polygons overlap (more than touching): no edge normal separates them."""
    for poly in (a, b):
        for p, q in zip(poly, poly[1:] + poly[:1]):
            axis = (q[1] - p[1], p[0] - q[0])
            sa = [axis[0] * x + axis[1] * y for x, y in a]
            sb = [axis[0] * x + axis[1] * y for x, y in b]
            if max(sa) <= min(sb) + 1e-9 or max(sb) <= min(sa) + 1e-9:
                return False
    return True


@pytest.mark.parametrize("problem_path", PROBLEM_FILES, ids=lambda p: p.name)
def test_no_two_edge_labels_overlap_in_any_picture_of_the_problems(problem_path):
    pytest.importorskip("matplotlib")
    for extra in ([], ["--color-by", "gradient"], ["--color-by", "weight", "--updated"]):
        if "--updated" in extra and "learning_rate" not in problem_path.read_text(encoding="utf-8"):
            continue
        result = invoke("draw", str(problem_path), "--format", "svg", *extra)
        assert result.exit_code == 0, result.stderr
        boxes = _label_boxes(result.stdout)
        assert boxes, "no edge labels found"
        hulls = {name: _hull(points) for name, points in boxes.items()}
        names = sorted(hulls)
        for k, a in enumerate(names):
            for b in names[k + 1:]:
                assert not _overlap(hulls[a], hulls[b]), (extra, a, b)


def test_pictures_coloured_by_gradient_label_each_edge_with_it(tmp_path):
    pytest.importorskip("matplotlib")
    svg = invoke("draw", "--format", "svg", "--color-by", "gradient").stdout
    labels = {name.split(" ", 1)[1] for name in _label_boxes(svg)}
    assert "W1[2,1] = 1\n∂ℓ/∂w = -0.2312" in labels, labels
    assert all("∂ℓ/∂w = " in l for l in labels)
    plain = invoke("draw", "--format", "svg").stdout
    assert "∂ℓ/∂w = " not in "".join(_label_boxes(plain))  # without --color-by gradient, the weights only
    assert invoke("draw", "--format", "png", "--color-by", "gradient", "-o", str(tmp_path / "n.png")).exit_code == 0


# -- 6: new's "made by" remakes the file -------------------------------------------------------------


def _made_by(text: str) -> list[str]:
    import shlex

    first = text.splitlines()[0]
    command = first.split(": made by ", 1)[1].split("; its key is", 1)[0].replace(" (any new folder)", "")
    words = shlex.split(command)
    assert words[:2] == ["nnsolve", "new"], first
    return words[1:]


def test_new_from_a_file_says_the_command_that_remakes_it(monkeypatch):
    from conftest import ROOT

    monkeypatch.chdir(ROOT)
    made = invoke("new", "--from", "problems/worksheet.yaml", "--seed", "3")
    assert made.exit_code == 0, made.stderr
    again = _made_by(made.stdout)
    assert again == ["new", "--from", "problems/worksheet.yaml", "--seed", "3"]
    assert invoke(*again).stdout == made.stdout


def test_new_with_every_drawing_option_says_them_all(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    options = ["--layers", "2,3,2", "--activation", "tanh,softmax", "--loss", "cross_entropy", "--decimals", "1",
               "--rtol", "0.02", "--seed", "4", "--count", "3", "--out", "class"]
    monkeypatch.chdir(tmp_path / "a")
    assert invoke("new", *options).exit_code == 0
    text = (tmp_path / "a" / "class" / "variant-003.yaml").read_text(encoding="utf-8")
    again = _made_by(text)
    assert sorted(again[1:]) == sorted(options[:-1] + ["DIR"])
    monkeypatch.chdir(tmp_path / "b")
    assert invoke(*again).exit_code == 0
    assert (tmp_path / "b" / "DIR" / "variant-003.yaml").read_text(encoding="utf-8") == text


# -- 7: check --template and tutor --save name a problem in another folder by its path -----------------------------------------------------


def test_a_template_names_a_problem_in_a_subfolder_by_its_path_and_the_sheet_checks_where_saved(tmp_path, monkeypatch):
    import shutil

    (tmp_path / "problems").mkdir()
    shutil.copy(PROBLEMS / "deep_tanh_relu.yaml", tmp_path / "problems")
    monkeypatch.chdir(tmp_path)
    made = invoke("check", "--template", "problems/deep_tanh_relu.yaml")
    assert made.exit_code == 0
    assert "problem: problems/deep_tanh_relu.yaml\n" in made.stdout
    assert "its path from this folder" in made.stderr  # and it says so
    (tmp_path / "sheet.yaml").write_text(made.stdout.replace("loss:", "loss: 0.5", 1), encoding="utf-8")
    graded = invoke("check", "sheet.yaml")  # no --problem: the sheet finds it
    assert graded.exit_code == 1 and "loss" in graded.stdout, graded.stderr
    # from a folder above, the sheet's path is still read from the sheet's own folder
    (tmp_path / "up").mkdir()
    shutil.move(tmp_path / "sheet.yaml", tmp_path / "up" / "sheet.yaml")
    text = (tmp_path / "up" / "sheet.yaml").read_text(encoding="utf-8")
    (tmp_path / "up" / "sheet.yaml").write_text(text.replace("problem: problems/", "problem: ../problems/"), encoding="utf-8")
    assert invoke("check", "up/sheet.yaml").stdout.replace("up/", "") == graded.stdout


def test_a_template_of_a_problem_above_says_where_it_is_and_how_to_check(tmp_path, monkeypatch):
    import shutil

    (tmp_path / "p" / "problems").mkdir(parents=True)
    shutil.copy(PROBLEMS / "deep_tanh_relu.yaml", tmp_path / "p" / "problems")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    where = "../p/problems/deep_tanh_relu.yaml"
    made = invoke("check", "--template", where)
    assert made.exit_code == 0
    assert f"problem: {where}\n" in made.stdout  # its path from where the sheet is saved
    assert f"--problem {where}" in made.stderr and f"--problem {where}" in made.stdout
    sheet = made.stdout.replace("loss:", "loss: 0.5", 1)
    (tmp_path / "work" / "sheet.yaml").write_text(sheet, encoding="utf-8")
    # the command the sheet gives grades it (the loss is wrong: exit 1, graded)
    graded = invoke("check", "sheet.yaml", "--problem", where)
    assert graded.exit_code == 1 and "loss" in graded.stdout, graded.stderr
    # without it, a sheet reaches nothing above the folder nnsolve runs in: said, with both fixes
    refused = invoke("check", "sheet.yaml")
    assert refused.exit_code == 2 and "is outside the folder nnsolve runs in" in refused.stdout
    assert "run nnsolve from a folder that holds both the sheet and the problem, or give --problem FILE" in refused.stdout
    # from a folder that holds both, the sheet's own line finds it
    monkeypatch.chdir(tmp_path)
    assert invoke("check", "work/sheet.yaml").stdout.replace("work/", "") == graded.stdout


def test_the_tutors_saved_sheet_names_its_problem_by_its_path(tmp_path, monkeypatch):
    import shutil

    (tmp_path / "problems").mkdir()
    shutil.copy(PROBLEMS / "worksheet.yaml", tmp_path / "problems")
    (tmp_path / "answers").mkdir()
    monkeypatch.chdir(tmp_path)
    result = invoke("tutor", "problems/worksheet.yaml", "--save", "answers/me.yaml", input="3x2\n")
    assert "note" not in result.stderr
    assert "problem: ../problems/worksheet.yaml\n" in (tmp_path / "answers" / "me.yaml").read_text(encoding="utf-8")
    graded = invoke("check", "answers/me.yaml", "--json")
    assert graded.exit_code == 0 and '"counts":{"correct":1,' in graded.stdout, (graded.stdout, graded.stderr)


def test_a_template_of_a_problem_here_names_it_and_says_nothing_more(tmp_path, monkeypatch):
    import shutil

    shutil.copy(PROBLEMS / "deep_tanh_relu.yaml", tmp_path)
    monkeypatch.chdir(tmp_path)
    made = invoke("check", "--template", "deep_tanh_relu.yaml")
    assert made.exit_code == 0 and made.stderr == ""
    assert "problem: deep_tanh_relu.yaml\n" in made.stdout and "--problem" not in made.stdout


# -- 8: one parser for weight names -------------------------------------------------------------------


@pytest.mark.parametrize("derivative, new, factor", [
    ("dl/dW2_11", "new W2_11", "dalpha2/dW2_11"),
    ("dl/dW^2_{11}", "new w2[1][1]", "dalpha2/dW^{2}_{1,1}"),
    ("dl/dw2(1,1)", "new W2_1_1", "dalpha2/dw2[1][1]"),
    ("∂ℓ/∂W2[1,1]", "new W2[1,1]", "dalpha2/dW2[1,1]"),
])
def test_a_sheet_takes_every_spelling_grad_takes(write, derivative, new, factor):
    import json

    spelling = derivative.replace("∂", "d").split("/d", 1)[1]
    assert invoke("grad", spelling).exit_code == 0  # grad reads it
    sheet = write(f"{derivative}: -0.0462\n{new}: 2.0925\n{factor}: 0.5\n", "sheet.yaml")
    result = invoke("check", sheet, "--json")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    graded = json.loads(result.stdout)["answers"]
    assert [(a["quantity"], a["verdict"]) for a in graded] == [
        ("dalpha2/dW2[1,1]", "correct"), ("dl/dW2[1,1]", "correct"), ("new W2[1,1]", "correct")]


def test_a_sheet_in_wxb_takes_the_conventions_spellings(write):
    import json

    sheet = write("problem: wxb_relu_softmax.yaml\ndL/dW1_12: 0\ndl/db2_1: 0\n", "sheet.yaml")
    import shutil

    shutil.copy(PROBLEMS / "wxb_relu_softmax.yaml", sheet.rsplit("/", 1)[0])
    names = [a["quantity"] for a in json.loads(invoke("check", sheet, "--json").stdout)["answers"]]
    assert names == ["dL/db2[1]", "dL/dW1[1,2]"] or sorted(names) == ["dL/dW1[1,2]", "dL/db2[1]"]


def test_given_takes_grads_spellings_too():
    assert invoke("run", "--given", "dl/dW2_11=-0.05").exit_code == 0


# -- 9: output folders and their parents -------------------------------------------------------------


def test_every_output_folder_gets_its_missing_parents(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("new", "--count", "2", "--out", "week7/class/", "--prairielearn", "pl/questions/nnBackprop/")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "week7" / "class").iterdir())[:2] == ["variant-001.key.yaml", "variant-001.yaml"]
    assert sorted(p.name for p in (tmp_path / "pl" / "questions" / "nnBackprop").iterdir()) == ["info.json", "question.html", "server.py"]


def test_a_failed_command_leaves_no_folder_behind(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("new", "--out", "a/b/c", "--prairielearn", "d/e", "--questions", "no_such_name")
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "f").write_text("", encoding="utf-8")
    assert_usage_error(invoke("new", "--out", "f/g/h"), "is a file, not a folder")
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


# -- 10: hand rounding with given values ---------------------------------------------------------------


def test_rounded_working_with_given_values_is_compared_with_the_exact_working_from_them():
    import json

    given = ["--given", "beta1=[0.5,0.999]"]
    exact = json.loads(invoke("grad", "W2[1,1]", *given, "--json").stdout)
    rounded = json.loads(invoke("grad", "W2[1,1]", *given, "--round", "4", "--json").stdout)
    assert rounded["exact_gradient"] == pytest.approx(exact["gradient"], rel=1e-12)
    assert rounded["exact_updated"] == pytest.approx(exact["updated"], rel=1e-12)
    text = invoke("grad", "W2[1,1]", *given, "--round", "4").stdout
    assert "exactly it is -0.04635787, a difference of 0.00004213" in text
    # run's summary: the drift of the rounded working from the exact working with the same given values
    run_text = invoke("run", *given, "--round", "4").stdout
    assert "the largest difference from the exact result is 0.0004" in run_text


# -- 11: how to get matplotlib ---------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["draw", "--format", "svg"], ["train", "problems/xor.yaml", "--data", "problems/data/xor.csv", "--plot", "x.png"]],
                         ids=["draw", "train"])
def test_without_matplotlib_the_fix_is_a_command_that_works_here(args, tmp_path, monkeypatch):
    """From this clone: make plot where nnsolve runs from the clone's .venv (make run's), else pip
    -e on the clone with the Python that runs nnsolve; never pip's 'nnsolve[plot]', which is no
    package a clone can install from an index."""
    import os
    import sys

    from conftest import ROOT

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` raises ImportError
    monkeypatch.chdir(ROOT)
    if args[0] == "train":
        args = args[:-1] + [str(tmp_path / "x.png")]
    line = assert_usage_error(invoke(*args), "needs matplotlib", "install it: ")
    assert f"{sys.executable} -m pip install -e '.[plot]'" in line and "nnsolve[plot]" not in line
    monkeypatch.setattr(sys, "prefix", str(ROOT / ".venv"))
    assert "install it: make plot (or " in assert_usage_error(invoke(*args))
    monkeypatch.setattr(sys, "prefix", str(tmp_path))  # another environment: pip, into it
    monkeypatch.chdir(tmp_path)
    line = assert_usage_error(invoke(*args if args[0] == "draw" else ["draw", "--format", "png", "-o", "n.png"]))
    assert f"install it: {sys.executable} -m pip install -e '{ROOT}[plot]'" in line and "make" not in line


def test_make_plot_installs_the_plot_extra():
    import shutil
    import subprocess

    from conftest import ROOT

    if shutil.which("make") is None:
        pytest.skip("no make")
    dry = subprocess.run(["make", "-n", "-B", "plot"], cwd=ROOT, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert "pip install" in dry.stdout and "-e '.[plot]'" in dry.stdout


# -- 12: the check table ----------------------------------------------------------------------------


def test_check_shows_a_matrix_answer_with_its_rows_and_names_in_one_style(write):
    sheet = write("dl/dW1: [[-0.046, 0], [-0.092, 0], [-0.23, 0]]\ndl/dW2[1,1]: -0.046\n", "sheet.yaml")
    lines = invoke("check", sheet).stdout.splitlines()
    first = next(n for n, l in enumerate(lines) if l.lstrip().startswith("∂ℓ/∂W¹"))
    assert "[-0.046, 0]" in lines[first] and "[-0.092, 0]" in lines[first + 1] and "[ -0.23, 0]" in lines[first + 2]
    assert "[-0.04623902, 1.3964687e-11]" in lines[first] and "[-0.23119511, 6.9823434e-11]" in lines[first + 2]
    assert not any("dl/d" in l for l in lines[:first + 3])  # the rows are all named ∂ℓ/∂...
    assert any(l.lstrip().startswith("∂ℓ/∂W2[1,1]") for l in lines)


def test_grad_takes_several_weights_of_a_batch_problem():
    import json

    path = str(PROBLEMS / "batch_mean.yaml")
    result = invoke("grad", path, "W2[1,1]", "W1[1,1]", "--json")
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    alone = json.loads(invoke("grad", "W1[1,1]", path, "--json").stdout)
    assert len(lines) == 2 and lines[1] == alone


def test_quizzes_inside_the_new_out_folder_are_written_with_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("new", "--count", "2", "--out", "week7", "--moodle", "week7/quiz.xml", "--prairielearn", "week7/pl/nnBackprop")
    assert result.exit_code == 0, result.stderr
    made = sorted(str(p.relative_to(tmp_path / "week7")) for p in (tmp_path / "week7").rglob("*") if p.is_file())
    assert made == ["pl/nnBackprop/info.json", "pl/nnBackprop/question.html", "pl/nnBackprop/server.py", "quiz.xml",
                    "variant-001.key.yaml", "variant-001.yaml", "variant-002.key.yaml", "variant-002.yaml"]
    assert "<quiz>" in (tmp_path / "week7" / "quiz.xml").read_text(encoding="utf-8")
    # a refusal after drawing leaves none of it
    result = invoke("new", "--count", "2", "--out", "week8", "--moodle", "week8/quiz.xml", "--questions", "no_such_name")
    assert result.exit_code == 2 and not (tmp_path / "week8").exists()
