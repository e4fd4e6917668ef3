"""`nnsolve new`: seeded variants, their keys, and the Moodle and PrairieLearn exports."""

from __future__ import annotations

import filecmp
import html.parser
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import yaml
from dataclasses import replace

from nnsolve.problem import load_problem
from nnsolve.solution import solve
from nnsolve.variant_drawing import Shape, default_questions, degeneracy, generate
from conftest import PROBLEMS, assert_usage_error, invoke


def make(tmp_path, *args, name="class"):
    out = tmp_path / name
    result = invoke("new", *args, "--out", str(out))
    assert result.exit_code == 0, result.stderr
    return out, result


def test_thirty_variants_solve_and_their_keys_check(tmp_path, monkeypatch):
    out, result = make(tmp_path, "--seed", "1", "--count", "30")
    assert "made 30 variants" in result.stderr and "rejected" in result.stderr
    problems = sorted(out.glob("variant-???.yaml"))
    keys = sorted(out.glob("variant-???.key.yaml"))
    assert len(problems) == len(keys) == 30
    texts = {p.read_text() for p in problems}
    assert len(texts) == 30  # distinct
    monkeypatch.chdir(out)
    for p in problems:
        assert invoke("run", p.name, "--json").exit_code == 0
    graded = invoke("check", ".", "--json")
    assert graded.exit_code == 0, graded.stdout
    rows = [json.loads(line) for line in graded.stdout.splitlines()]
    assert len(rows) == 30
    assert all(r["counts"]["wrong"] == 0 and r["counts"]["carried_forward"] == 0 and r["score"] == r["max_score"] for r in rows)
    assert all(r["max_score"] > 30 for r in rows)  # every quantity is in the key


def test_same_seed_same_bytes_other_seed_other_numbers(tmp_path):
    a, _ = make(tmp_path, "--seed", "5", "--count", "4", "--keys", "latex", name="a")
    b, _ = make(tmp_path, "--seed", "5", "--count", "4", "--keys", "latex", name="b")
    c, _ = make(tmp_path, "--seed", "6", "--count", "4", name="c")
    names = sorted(os.listdir(a))
    assert names == sorted(os.listdir(b)) and len(names) == 12
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert mismatch == [] and errors == []
    assert (a / "variant-001.yaml").read_text() != (c / "variant-001.yaml").read_text()


def test_a_thousand_worksheet_variants_none_degenerate():
    shape = Shape((2, 2, 1), ("sigmoid", "sigmoid"), "squared_error")
    problems, rejected = generate(shape, 1000, seed=3)
    assert len(problems) == 1000
    degenerate = sum(degeneracy(solve(p)) is not None for p in problems)
    assert degenerate == 0
    assert rejected  # the rules did reject draws: they are not vacuous
    numbers = np.concatenate([np.concatenate([p.x] + [W.ravel() for W in p.weights]) for p in problems])
    assert np.all(numbers == np.round(numbers)) and np.max(np.abs(numbers)) <= 3  # small integers
    assert {p.learning_rate for p in problems} <= {0.1, 0.5, 1.0, 2.0}


def test_degeneracy_rules_each_catch_their_case():
    worksheet = load_problem()
    assert "saturated" in degeneracy(solve(worksheet))  # sigma(24): a gradient of 1e-11
    dead = load_problem(str(PROBLEMS / "deep_tanh_relu.yaml"))
    assert degeneracy(solve(dead)) == "a zero gradient"  # one ReLU of layer 2 is dead
    tie = Shape((1, 1), ("sigmoid",), "squared_error")
    from nnsolve.problem import Problem

    p = Problem(x=np.array([1.0]), y=np.array([1.0]), weights=(np.array([[1.0], [-1.0]]),), activations=("sigmoid",), loss="squared_error", learning_rate=1.0)
    assert degeneracy(solve(p)) == "a tie in the predicted class"
    all_dead = Problem(x=np.array([1.0]), y=np.array([1.0]), weights=(np.array([[-1.0, -2.0], [-1.0, -1.0]]), np.array([[1.0], [1.0], [1.0]])), activations=("relu", "sigmoid"), loss="squared_error", learning_rate=1.0)
    assert degeneracy(solve(all_dead)) == "every ReLU of layer 1 dead"
    assert tie.sizes == (1, 1)


def test_one_variant_is_printed(tmp_path):
    result = invoke("new", "--seed", "2")
    assert result.exit_code == 0
    data = yaml.safe_load(result.stdout)
    assert set(data) >= {"title", "x", "y", "W1", "W2", "activation", "loss", "learning_rate"}
    path = tmp_path / "v.yaml"
    path.write_text(result.stdout)
    assert invoke("run", str(path), "--json").exit_code == 0


def test_from_keeps_shape_and_style(tmp_path):
    out, _ = make(tmp_path, "--from", str(PROBLEMS / "deep_tanh_relu.yaml"), "--count", "3", "--seed", "4")
    source = load_problem(str(PROBLEMS / "deep_tanh_relu.yaml"))
    for p in sorted(out.glob("variant-???.yaml")):
        v = load_problem(str(p))
        assert v.sizes == source.sizes and v.activations == source.activations and v.loss == source.loss
        assert v.learning_rate == source.learning_rate
        numbers = np.concatenate([W.ravel() for W in v.weights])
        assert np.all(numbers * 10 == np.round(numbers * 10))  # one decimal, like the source
    out2, _ = make(tmp_path, "--layers", "3,2,2", "--activation", "tanh,softmax", "--loss", "cross_entropy", "--count", "2", name="soft")
    v = load_problem(str(out2 / "variant-002.yaml"))
    assert v.sizes == (3, 2, 2) and v.activations == ("tanh", "softmax") and sum(v.y) == 1


def test_from_a_class_label_writes_class_labels(tmp_path, monkeypatch):
    """A problem whose softmax label is a class number (y: 2) makes variants that give theirs so
    too, each with its one-hot vector in a comment; their keys check as they stand."""
    source = tmp_path / "source.yaml"
    source.write_text((PROBLEMS / "softmax_cross_entropy.yaml").read_text().replace("y: [0, 1, 0]", "y: 2"))
    out, _ = make(tmp_path, "--from", str(source), "--count", "6", "--seed", "3", "--keys", "markdown")
    for n in range(1, 7):
        text = (out / f"variant-{n:03d}.yaml").read_text()
        (line,) = [l for l in text.splitlines() if l.startswith("y:")]
        v = load_problem(str(out / f"variant-{n:03d}.yaml"))
        assert v.label_class is not None and v.y.tolist() == np.eye(3)[v.label_class - 1].tolist()
        assert line == f"y: {v.label_class}   # class {v.label_class} of 3: one-hot {[int(k) for k in v.y]}"
        assert f"is given as class {v.label_class} of 3" in (out / f"variant-{n:03d}.key.md").read_text()
    monkeypatch.chdir(out)
    graded = invoke("check", ".", "--json")
    assert graded.exit_code == 0, graded.stdout
    # a one-hot source makes one-hot variants, as before
    plain, _ = make(tmp_path, "--from", str(PROBLEMS / "softmax_cross_entropy.yaml"), "--seed", "3", name="plain")
    assert load_problem(str(plain / "variant-001.yaml")).label_class is None


def test_from_a_problem_without_a_learning_rate_keeps_it_out(tmp_path, monkeypatch):
    """No learning rate in the source: none in the variants, no new weights in their keys, the
    quizzes or the key documents; every key checks as it stands."""
    source = tmp_path / "source.yaml"
    source.write_text((PROBLEMS / "worksheet.yaml").read_text().replace("learning_rate: 2", ""))
    out, _ = make(tmp_path, "--from", str(source), "--count", "4", "--keys", "markdown",
                  "--moodle", str(tmp_path / "quiz.xml"), "--prairielearn", str(tmp_path / "pl"))
    for n in range(1, 5):
        assert "learning_rate" not in (out / f"variant-{n:03d}.yaml").read_text()
        assert load_problem(str(out / f"variant-{n:03d}.yaml")).learning_rate is None
        key = (out / f"variant-{n:03d}.key.yaml").read_text()
        assert "dl/dW1[2,1]:" in key and "new" not in key
        assert "Updated weights" not in (out / f"variant-{n:03d}.key.md").read_text()
    quiz = (tmp_path / "quiz.xml").read_text()
    assert r"\partial W^{1}_{21}" in quiz  # dl/dW1[2,1] is asked, its update is not
    assert "new } W" not in quiz and "lambda" not in quiz and "learning rate" not in quiz
    assert "new } W" not in (tmp_path / "pl" / "question.html").read_text()  # (with one, \text{new } W^{1}_{21})
    monkeypatch.chdir(out)
    graded = invoke("check", ".", "--json")
    assert graded.exit_code == 0, graded.stdout
    asked = invoke("new", "--from", str(source), "--moodle", str(tmp_path / "q2.xml"), "--questions", "loss,new W2")
    assert_usage_error(asked, "--questions 'new W2'", "no learning rate", "add learning_rate to the problem")


def test_from_a_batch_keeps_its_examples_and_its_batch(tmp_path, monkeypatch):
    """A batch problem (batch: mean) makes batch variants: each example's x and y drawn, batch:
    kept, the key the batch's (its mean gradient, checked here against each example solved on
    its own), the key document the batch's working, the quiz statement every example."""
    source = load_problem(str(PROBLEMS / "batch_mean.yaml"))
    out, result = make(tmp_path, "--from", str(PROBLEMS / "batch_mean.yaml"), "--count", "8", "--seed", "1", "--keys", "markdown",
                       "--moodle", str(tmp_path / "quiz.xml"))
    assert "made 8 variants" in result.stderr
    for n in range(1, 9):
        path = out / f"variant-{n:03d}.yaml"
        text = path.read_text()
        assert "examples:" in text and "batch: mean" in text and "\nx: " not in text
        v = load_problem(str(path))
        assert v.batch == "mean" and len(v.examples) == 3 and v.title == f"One update from a batch of three, variant {n:03d}"
        assert v.sizes == source.sizes and v.activations == source.activations and v.learning_rate == source.learning_rate
        assert len({x.tobytes() for x, _ in v.examples}) == 3  # no example twice
        # the key: the mean of the examples' own gradients, and one update from it
        key = yaml.safe_load((out / f"variant-{n:03d}.key.yaml").read_text())
        alone = [solve(replace(v, x=x, y=y, examples=(), batch=None)) for x, y in v.examples]
        for l, W in enumerate(v.weights, start=1):
            mean = np.mean([s.layers[l - 1].grad_W for s in alone], axis=0)
            assert key[f"dl/dW{l}[1,1]"] == pytest.approx(mean[1, 0], rel=1e-12)
            assert key[f"new W{l}[0,1]"] == pytest.approx(W[0, 0] - v.learning_rate * mean[0, 0], rel=1e-12)
        assert key["loss"] == pytest.approx(np.mean([float(s.loss) for s in alone]), rel=1e-12)
        document = (out / f"variant-{n:03d}.key.md").read_text()
        assert "Example 3 of 3" in document and "One update from a batch of 3 examples" in document
    assert (tmp_path / "quiz.xml").read_text().count("A batch of 3 examples") == 8
    monkeypatch.chdir(out)
    graded = invoke("check", ".", "--json")
    assert graded.exit_code == 0, graded.stdout
    rows = [json.loads(line) for line in graded.stdout.splitlines()]
    assert len(rows) == 8 and all(r["counts"]["wrong"] == 0 and r["counts"]["carried_forward"] == 0 and r["score"] == r["max_score"] for r in rows)
    printed = invoke("new", "--from", str(PROBLEMS / "batch_mean.yaml"), "--seed", "1")
    assert printed.stdout == (out / "variant-001.yaml").read_text().replace(" --count 8 --out DIR (any new folder); its key is variant-001.key.yaml", "")


def test_from_a_batch_in_another_convention_with_class_labels_and_a_state(tmp_path, monkeypatch):
    source = tmp_path / "source.yaml"
    source.write_text(
        "convention: Wx+b\nexamples:\n  - {x: [1], y: 2}\n  - {x: [2], y: 1}\n  - {x: [-1], y: 3}\n  - {x: [3], y: 2}\nbatch: sum\n"
        "W1: [[1], [-1]]\nb1: [0.5, 0]\nW2: [[1, 2], [-1, 1], [2, -2]]\nb2: [0, 1, 0]\nactivation: [relu, softmax]\n"
        "loss: cross_entropy\nlearning_rate: 0.1\noptimizer: adam\nstate: {step: 1, W1: {m: [[0.1], [0]], v: [[0.01], [0]]},"
        " b1: {m: [0, 0], v: [0, 0]}, W2: {m: [[0, 0], [0, 0], [0, 0]], v: [[0, 0], [0, 0], [0, 0]]}, b2: {m: [0, 0, 0], v: [0, 0, 0]}}\n")
    original = load_problem(str(source))
    out, result = make(tmp_path, "--from", str(source), "--count", "4", "--seed", "3")
    assert "every ReLU of layer 1 dead" in result.stderr  # each example's forward pass is judged
    for n in range(1, 5):
        v = load_problem(str(out / f"variant-{n:03d}.yaml"))
        assert v.batch == "sum" and len(v.examples) == 4 and v.convention == "Wx+b"
        assert all(k is not None for k in v.example_classes)  # class numbers, as the source gave them
        assert v.optimizer == original.optimizer and v.state.as_dict() == original.state.as_dict()
    monkeypatch.chdir(out)
    rows = [json.loads(line) for line in invoke("check", ".", "--json").stdout.splitlines()]
    assert len(rows) == 4 and all(r["counts"]["wrong"] == 0 and r["score"] == r["max_score"] for r in rows)


def test_a_batch_draw_is_judged_on_each_example_and_on_the_combined_gradient():
    from nnsolve.problem import Problem
    from nnsolve.solution import solve_batch
    from nnsolve.variant_drawing import batch_degeneracy

    def batch(examples, weights, activations=("linear",)):
        return solve_batch(Problem(x=examples[0][0], y=examples[0][1], examples=examples, batch="mean", weights=weights,
                                   activations=activations, loss="squared_error", learning_rate=1.0))

    one, zero = np.array([1.0]), np.array([0.0])
    # each example's bias gradient is +1 and -1: the mean, what the sheet asks, is 0
    assert batch(((one, zero), (-one, zero)), (np.array([[0.0], [1.0]]),)).grads[0][0, 0] == 0
    assert batch_degeneracy(batch(((one, zero), (-one, zero)), (np.array([[0.0], [1.0]]),))) == "a zero gradient"
    assert batch_degeneracy(batch(((one, zero), (one * 2, zero), (one, one)), (np.array([[0.5], [1.0]]),))) == "two examples with the same x"
    dead = batch(((one, one), (-one, one)), (np.array([[-1.0, 0.5], [-1.0, 1.0]]), np.array([[1.0], [1.0], [1.0]])), ("relu", "linear"))
    assert batch_degeneracy(dead) == "every ReLU of layer 1 dead"
    assert batch_degeneracy(batch(((one, zero), (one * 2, one)), (np.array([[0.5], [1.0]]),))) is None
    # one input: six xs from -3 to 3, so three examples often repeat one; none is kept
    shape = Shape((1, 1), ("sigmoid",), "squared_error", batch="mean", examples=3)
    problems, rejected = generate(shape, 30, seed=2)
    assert rejected["two examples with the same x"] > 0
    assert all(len({x.tobytes() for x, _ in p.examples}) == 3 for p in problems)


def test_keys_in_markdown(tmp_path):
    out, _ = make(tmp_path, "--count", "2", "--keys", "markdown")
    text = (out / "variant-002.key.md").read_text()
    assert text.startswith("# Neural network, variant 002") and "$$" in text


def test_moodle_xml_one_numerical_question_per_answer(tmp_path):
    xml_path = tmp_path / "quiz.xml"
    out, _ = make(tmp_path, "--seed", "1", "--count", "3", "--moodle", str(xml_path), "--moodle-form", "numerical")
    root = ET.parse(xml_path).getroot()
    assert root.tag == "quiz"
    category, *questions = root.findall("question")
    assert category.get("type") == "category" and category.find("category/text").text.startswith("$course$/")
    names = default_questions(load_problem(str(out / "variant-001.yaml")))
    assert len(questions) == 3 * len(names)
    keys = {}
    for n in (1, 2, 3):
        keys[f"variant-{n:03d}"] = yaml.safe_load((out / f"variant-{n:03d}.key.yaml").read_text())
    for q in questions:
        assert q.get("type") == "numerical"
        variant, name = q.find("name/text").text.split(" ", 1)
        html_text = q.find("questiontext/text").text
        assert q.find("questiontext").get("format") == "html"
        answer = q.find("answer")
        assert answer.get("fraction") == "100"
        value, tolerance = float(answer.find("text").text), float(answer.find("tolerance").text)
        expected = _key_value(keys[variant], name)
        problem = load_problem(str(out / f"{variant}.yaml"))
        assert tolerance == pytest.approx(_width(problem, name, value), rel=1e-9)
        assert value == pytest.approx(expected, rel=1e-12, abs=1e-15)
        text = _html_text(html_text)  # what MathJax sees, after XML and HTML unescaping
        assert "\\begin{bmatrix}" in text and " & " in text and "\\(" in text and "What is \\(" in text


CLOZE_PART = re.compile(r"\{1:NUMERICAL:=([^:}]+):([^}]+)\}")


def test_moodle_xml_one_cloze_question_per_variant(tmp_path):
    """The default: each variant is one multi-part question, every asked answer a NUMERICAL part
    with the tolerance check grades with, in a category of this assignment (title and seed)."""
    xml_path = tmp_path / "quiz.xml"
    out, _ = make(tmp_path, "--seed", "1", "--count", "4", "--moodle", str(xml_path))
    root = ET.parse(xml_path).getroot()
    category, *questions = root.findall("question")
    assert category.get("type") == "category"
    assert category.find("category/text").text == "$course$/top/nnsolve/Neural network, seed 1"
    assert [q.get("type") for q in questions] == ["cloze"] * 4
    assert [q.find("name/text").text for q in questions] == [f"variant-{n:03d}" for n in range(1, 5)]
    names = default_questions(load_problem(str(out / "variant-001.yaml")))
    for q in questions:
        variant = q.find("name/text").text
        key = yaml.safe_load((out / f"{variant}.key.yaml").read_text())
        problem = load_problem(str(out / f"{variant}.yaml"))
        html_text = q.find("questiontext/text").text
        assert q.find("questiontext").get("format") == "html" and "\\begin{bmatrix}" in _html_text(html_text)
        parts = CLOZE_PART.findall(html_text)
        assert len(parts) == len(names)  # every part parses: answer and tolerance, as numbers
        for name, (answer, tolerance) in zip(names, parts):
            assert float(answer) == pytest.approx(_key_value(key, name), rel=1e-12, abs=1e-15)
            assert float(tolerance) == pytest.approx(_width(problem, name, float(answer)), rel=1e-9)
            assert float(tolerance) > 0


def _width(problem, name: str, value: float, rtol: float = 0.01, atol: float = 1e-4) -> float:
    """check's tolerance for an answer, worked here: a new weight's on its step |new - old|, a
    derivative's on itself, with atol at most half of it; the rest atol + rtol |value|."""
    scale = None
    if name.startswith("new W"):
        layer, i, j = (int(n) for n in re.findall(r"\d+", name))
        scale = abs(value - problem.weights[layer - 1][i - (0 if problem.bias else 1), j - 1])
    elif name.startswith("dl/dW"):
        scale = abs(value)
    if scale is None:
        return atol + rtol * abs(value)
    return (min(atol, 0.5 * scale) if scale > 0 else atol) + rtol * scale


def _key_value(key: dict, name: str) -> float:
    if name in key:
        return float(np.ravel(key[name])[0])
    base, k = name.rsplit("_", 1)
    return float(key[base][int(k) - 1])


def _html_text(markup: str) -> str:
    parts = []

    class Collect(html.parser.HTMLParser):
        def handle_data(self, data):
            parts.append(data)

    parser = Collect(convert_charrefs=True)
    parser.feed(markup)
    return "".join(parts)


def test_prairielearn_folder(tmp_path):
    pl = tmp_path / "pl"
    out, _ = make(tmp_path, "--seed", "1", "--count", "4", "--prairielearn", str(pl))
    info = json.loads((pl / "info.json").read_text())
    assert {"uuid", "title", "topic", "tags", "type"} <= set(info) and info["type"] == "v3"
    assert len(info["uuid"]) == 36
    html_text = (pl / "question.html").read_text()
    names = default_questions(load_problem(str(out / "variant-001.yaml")))
    for n in range(1, len(names) + 1):
        assert f'answers-name="q{n}"' in html_text
    assert 'atol="{{params.q1_atol}}"' in html_text and 'rtol="0"' in html_text and "{{{params.problem_html}}}" in html_text
    # server.py runs with nothing but Python: no nnsolve, no numpy
    code = (
        "import json, random, sys\n"
        f"sys.path.insert(0, {str(pl)!r})\n"
        "import server\n"
        "random.seed(0)\n"
        "data = {'params': {}, 'correct_answers': {}}\n"
        "server.generate(data)\n"
        "print(json.dumps(data))\n"
        "assert 'nnsolve' not in sys.modules and 'numpy' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    variant = data["params"]["variant"]
    assert data["params"]["problem_html"].startswith("<p>")
    key = yaml.safe_load((out / f"{variant}.key.yaml").read_text())
    assert len(data["correct_answers"]) == len(names)
    problem = load_problem(str(out / f"{variant}.yaml"))
    for n, name in enumerate(names, start=1):
        assert data["correct_answers"][f"q{n}"] == pytest.approx(_key_value(key, name))
        assert data["params"][f"q{n}_atol"] == pytest.approx(_width(problem, name, data["correct_answers"][f"q{n}"]), rel=1e-9)


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["--layers", "2"], ["--layers", "inputs and the outputs"]),
        (["--moodle", "q.xml", "--moodle-form", "bogus"], ["--moodle-form", "cloze", "numerical"]),
        (["--layers", "2,0,1"], ["at least one neuron"]),
        (["--layers", "2,x,1"], ["whole numbers"]),
        (["--layers", "2,40,1"], ["at most 16"]),
        (["--count", "0"], ["--count"]),
        (["--count", "3"], ["needs --out"]),
        (["--activation", "sigmod"], ["activation", "sigmoid"]),
        (["--activation", "softmax"], ["softmax"]),
        (["--loss", "hinge"], ["loss", "hinge"]),
        (["--activation", "tanh", "--loss", "binary_cross_entropy"], ["binary_cross_entropy"]),
        (["--from", "missing.yaml"], ["missing.yaml", "no such file"]),
        (["--keys", "pdf"], ["'pdf'"]),
        (["--keys", "markdown"], ["--out"]),
        (["--questions", "loss,alpha1", "--moodle", "q.xml"], ["alpha1", "not a single number"]),
    ],
)
def test_bad_options(tmp_path, monkeypatch, args, fragments):
    monkeypatch.chdir(tmp_path)
    assert_usage_error(invoke("new", *args), *fragments)
    assert os.listdir(tmp_path) == []  # nothing written


def test_the_help_says_the_layer_sizes_it_takes():
    text = " ".join(invoke("new", "--help").stdout.split())
    assert "at most 16 each and 5 layers of weights (6 sizes)" in text
    assert_usage_error(invoke("new", "--layers", "50,40,10"), "at most 16 neurons a layer and 5 layers of weights (6 sizes)")
    assert_usage_error(invoke("new", "--layers", "2,2,2,2,2,2,1"), "5 layers of weights (6 sizes)")
    assert invoke("new", "--layers", "4,4,4,4,4,1").exit_code == 0  # 6 sizes: 5 layers of weights, taken


def test_an_out_folder_with_files_is_refused(tmp_path):
    out = tmp_path / "class"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    assert_usage_error(invoke("new", "--count", "2", "--out", str(out)), "holds files already", "--force")
    assert os.listdir(out) == ["notes.txt"]
    assert invoke("new", "--count", "2", "--out", str(out), "--force").exit_code == 0
    assert sorted(os.listdir(out)) == ["notes.txt", "variant-001.key.yaml", "variant-001.yaml", "variant-002.key.yaml", "variant-002.yaml"]


def test_for_1000_variants_no_old_weight_and_no_zero_derivative_passes():
    """Issue 14: for 1,000 variants of the worksheet's shape, the old weight for a new weight and
    0 for a derivative are outside the tolerance that check, Moodle and PrairieLearn use, and
    check grades them wrong, naming the slip; the key's own value passes."""
    from nnsolve.grading import Tolerance, answer_width, grade
    from nnsolve.cli.new import make_shape
    from nnsolve.variant_drawing import clash_judge
    from nnsolve.quantities import Catalog
    from nnsolve.sheet import Answer, Sheet
    from nnsolve.variant_drawing import generate_solved

    problems, solutions, rejected = generate_solved(make_shape(None, None, None, None, None), 1000, 2026, clash_judge(None, 0.01, 1e-4))
    tolerance = Tolerance(0.01, 1e-4)
    catalog = Catalog(problems[0])
    asked = [catalog.find(n) for n in default_questions(problems[0]) if n.startswith(("new W", "dl/dW"))]
    assert len(asked) == 4
    for n, (problem, solution) in enumerate(zip(problems, solutions)):
        slipped = []
        for q in asked:
            key = float(catalog.value(solution, q))
            if q.base.startswith("new W"):
                layer = int(q.base[5:])
                wrong, slip = float(problem.weights[layer - 1][q.index]), "old weight"
            else:
                wrong, slip = 0.0, "zero"
            width = float(answer_width(solution, q, tolerance))
            assert abs(wrong - key) > width, (n, q.name)  # the quizzes' tolerance, as check's
            assert width > 0
            slipped.append((q, wrong, slip))
        if n % 10 == 0:  # check itself, on every tenth variant: each slip alone on a sheet
            for q, wrong, slip in slipped:
                report = grade(problem, Sheet(f"v{n}.yaml", None, (Answer(q, np.array(wrong), 2),)), tolerance)
                [g] = report.graded
                assert (g.verdict, g.slip.name) == ("wrong", slip), (n, q.name)
