"""`nnsolve check`: answer sheets graded with tolerance and error carried forward (issue 4)."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import time
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import yaml

from click.testing import CliRunner

from conftest import PROBLEMS, PROBLEM_FILES, ROOT, assert_usage_error, invoke, needs_posix, run_json
from nnsolve.grading import grade
from nnsolve.problem import load_problem
from nnsolve.solution import solve
from nnsolve.cli import cli
from nnsolve.quantities import Catalog

WORKSHEET = PROBLEMS / "worksheet.yaml"
TWO_OUTPUTS = PROBLEMS / "two_outputs.yaml"
ANSWERS = PROBLEMS / "worksheet-answers.yaml"
WORKSHEET_MD = ROOT.parent / "shared" / "worksheet.md"

# every number ../shared/worksheet.md prints, by its sheet name
WORKSHEET_PRINTS = {
    "shape W1": [3, 2],
    "shape W2": [3, 1],
    "alpha1": [0, 24],
    "beta1": [0.5, 0.999],
    "alpha2": -1.996,
    "y_hat": 0.119623,
    "prediction": 0,
    "loss": 0.38753,
    "dalpha2/dW2[1,1]": 0.5,
    "dl/dW2[1,1]": -0.04635772,
    "dalpha2/dbeta1_1": 2,
    "dalpha1_1/dW1[2,1]": 5,
    "dl/dW1[2,1]": -0.23178,
    "new W2[1,1]": 2.0927,
    "new W1[2,1]": 1.4636,
}
# after the worksheet's beta1_2 = 0.999, everything it computes is carried forward from it
CARRIED_IN_WORKSHEET = ["alpha2", "y_hat", "loss", "dl/dW2[1,1]", "new W2[1,1]", "dl/dW1[2,1]", "new W1[2,1]"]

_SCHEMA: dict = {}


def check_schema() -> jsonschema.Draft7Validator:
    if not _SCHEMA:
        result = invoke("schema", "check")
        assert result.exit_code == 0, result.stderr
        schema = json.loads(result.stdout)
        jsonschema.Draft7Validator.check_schema(schema)
        _SCHEMA["v"] = jsonschema.Draft7Validator(schema)
    return _SCHEMA["v"]


def check(*args: str):
    return invoke("check", *args)


def check_json(*args: str, exit_code: int | None = None) -> list[dict]:
    """`nnsolve check ARGS --json`: one object per line, each valid against the shipped schema."""
    result = check(*args, "--json")
    if exit_code is not None:
        assert result.exit_code == exit_code, (result.exit_code, result.stdout[:2000], result.stderr)
    assert result.stdout.endswith("\n")
    lines = result.stdout.splitlines()
    records = [json.loads(line) for line in lines]
    for record in records:
        check_schema().validate(record)
        assert record["schema"] == "nnsolve.check/1"
    return records


def verdicts(record: dict) -> dict[str, str]:
    return {a["quantity"]: a["verdict"] for a in record["answers"]}


def by_name(record: dict) -> dict[str, dict]:
    return {a["quantity"]: a for a in record["answers"]}


def yaml_value(v) -> str:
    """A value as a sheet writes it: repr of floats, so nothing is lost."""
    if isinstance(v, (list, tuple, np.ndarray)):
        return "[" + ", ".join(yaml_value(x) for x in v) + "]"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return repr(float(v))


def sheet_text(answers: dict, problem: str | None = None, student: str | None = None) -> str:
    lines = []
    if problem:
        lines.append(f"problem: {problem}")
    if student:
        lines.append(f"student: {student}")
    lines += [f"{name}: {yaml_value(value)}" for name, value in answers.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def folder(tmp_path):
    """A folder with the worksheet and two_outputs problem files, for sheets to name."""
    shutil.copy(WORKSHEET, tmp_path / "worksheet.yaml")
    shutil.copy(TWO_OUTPUTS, tmp_path / "two_outputs.yaml")
    return tmp_path


def write_sheet(folder: Path, name: str, answers: dict, problem: str | None = "worksheet.yaml", **kw) -> str:
    path = folder / name
    path.write_text(sheet_text(answers, problem, **kw), encoding="utf-8")
    return str(path)


# -- 1. the worksheet's own numbers ----------------------------------------------------------


def test_the_answers_file_holds_every_number_the_worksheet_prints():
    data = yaml.safe_load(ANSWERS.read_text())
    assert data.pop("problem") == "worksheet.yaml"
    assert data == WORKSHEET_PRINTS
    if WORKSHEET_MD.exists():  # the worksheet itself, beside the project
        text = WORKSHEET_MD.read_text()
        for value in ("-1.996", "0.119623", "0.38753", "-0.04635772", "-0.23178", "2.0927", "1.4636", "0.999", "24"):
            assert value in text, value


def test_the_worksheet_is_all_correct_at_the_default_tolerance():
    [record] = check_json(str(ANSWERS), exit_code=0)
    assert set(verdicts(record).values()) == {"correct"}
    assert record["counts"] == {"correct": 15, "carried_forward": 0, "wrong": 0}
    assert record["score"] == record["max_score"] == 15
    assert record["first_wrong"] is None
    assert record["tolerance"] == {"rtol": 0.01, "atol": 0.0001, "sig": None}
    result = check(str(ANSWERS))
    assert result.exit_code == 0
    assert "Score 15 of 15: 15 correct, 0 carried forward, 0 wrong" in result.stdout


def test_a_tight_tolerance_marks_beta1_wrong_and_carries_everything_after_it():
    [record] = check_json(str(ANSWERS), "--rtol", "5e-4", "--atol", "0", exit_code=1)
    v = verdicts(record)
    assert v["beta1"] == "wrong"
    for name in CARRIED_IN_WORKSHEET:
        assert v[name] == "carried forward", name
    correct = set(WORKSHEET_PRINTS) - set(CARRIED_IN_WORKSHEET) - {"beta1"}
    assert {name for name, verdict in v.items() if verdict == "correct"} == correct
    answers = by_name(record)
    assert answers["beta1"]["first_departure"] is None
    assert answers["beta1"]["key"][1] == pytest.approx(1 / (1 + math.exp(-24)), rel=1e-15)
    for name in CARRIED_IN_WORKSHEET:
        assert answers[name]["first_departure"] == "beta1"
        # right from the one before to the digits the worksheet prints
        assert answers[name]["recomputed"] is not None
        assert np.allclose(answers[name]["answer"], answers[name]["recomputed"], rtol=1e-4, atol=0)
    assert answers["alpha2"]["recomputed"] == pytest.approx([-1.996], abs=1e-12)
    assert record["first_wrong"] == "beta1"
    assert record["counts"] == {"correct": 7, "carried_forward": 7, "wrong": 1}

    # and in words
    result = check(str(ANSWERS), "--rtol", "5e-4", "--atol", "0")
    assert result.exit_code == 1
    out = result.stdout
    assert re.search(r"β¹ +\[0\.5, 0\.999\] +\[0\.5, 0\.99999999996\] +wrong", out)
    assert re.search(r"α² +-1\.996 +-1\.9999999998 +-1\.996 +carried forward", out)
    assert "β¹ is wrong: this is what cutting every value to 3 decimals and carrying it on gives: keep more digits until the end" in out
    notes = [line for line in out.splitlines() if line.startswith("Carried forward, right from your own earlier answers")]
    assert len(notes) == 1 and "(they first left the key at β¹)" in notes[0]
    assert notes[0].endswith("): α², ŷ, loss, ∂ℓ/∂W2[1,1], new W2[1,1], ∂ℓ/∂W1[2,1], new W1[2,1].")
    assert "Score 14 of 15: 7 correct, 7 carried forward, 1 wrong; first wrong: beta1 (rtol 0.0005, atol 0)." in out
    assert out.count("carried forward") == len(CARRIED_IN_WORKSHEET) + 1  # the rows and the score line


# -- 3. each verdict and each tolerance mode --------------------------------------------------

KEY = run_json()
LOSS = KEY["loss"]  # 0.38790175...
DL_DW1_21 = KEY["gradients"]["W1"][2][0]  # -0.23119511...


def test_each_verdict_with_the_first_departure(folder):
    path = write_sheet(folder, "s.yaml", {
        "alpha1": [0, 24],  # correct
        "beta1": [0.6, 1.0],  # wrong: the first departure
        "alpha2": 1 + 2 * 0.6 - 4 * 1.0,  # carried forward from beta1
        "y_hat": 0.3,  # wrong, and not from alpha2 either
        "loss": 0.5 * (1 - 0.3) ** 2,  # carried forward from y_hat
    })
    [record] = check_json(path, exit_code=1)
    answers = by_name(record)
    assert verdicts(record) == {"alpha1": "correct", "beta1": "wrong", "alpha2": "carried forward", "y_hat": "wrong", "loss": "carried forward"}
    assert answers["beta1"]["first_departure"] is None
    assert answers["y_hat"]["first_departure"] == "beta1"
    assert answers["y_hat"]["recomputed"] == pytest.approx([1 / (1 + math.exp(1.8))])
    assert record["first_wrong"] == "beta1"
    result = check(path)
    assert "β¹ is wrong: your working first leaves the key here." in result.stdout
    assert "ŷ is wrong, and not right from your own earlier answers either (they first left the key at β¹)." in result.stdout


def test_whole_matrices_are_graded_before_what_follows_from_them(folder):
    """A whole dl/dW2 answered wrong, and new W2[1,1] worked from it: the update is carried forward
    from the matrix, not marked correct for want of an earlier departure."""
    wrong = [[g[0] * 2] for g in KEY["gradients"]["W2"]]
    path = write_sheet(folder, "s.yaml", {"new W2[1,1]": 2 - 2 * wrong[1][0], "dl/dW2": wrong, "new W1": KEY["updated"]["W1"], "dl/dW1[2,1]": DL_DW1_21})
    [record] = check_json(path, exit_code=1)
    assert [a["quantity"] for a in record["answers"]] == ["dl/dW2", "new W2[1,1]", "dl/dW1[2,1]", "new W1"]
    assert verdicts(record) == {"dl/dW2": "wrong", "new W2[1,1]": "carried forward", "dl/dW1[2,1]": "correct", "new W1": "correct"}
    assert by_name(record)["new W2[1,1]"]["first_departure"] == "dl/dW2"
    assert by_name(record)["dl/dW2"]["answer"] == wrong


def test_a_gradient_from_the_students_delta_or_from_their_factors(folder):
    """dl/dW1[2,1] worked as input times the student's own delta1_1, or as the product of their own
    chain-rule factors: both are carried forward."""
    delta1 = [KEY["layers"][0]["delta"][0] * 3, KEY["layers"][0]["delta"][1]]
    base = {"delta1": delta1, "dalpha1_1/dW1[2,1]": 5, "dalpha2/dbeta1_1": 2}
    [record] = check_json(write_sheet(folder, "s.yaml", {**base, "dl/dW1[2,1]": 5 * delta1[0]}), exit_code=1)
    assert verdicts(record)["dl/dW1[2,1]"] == "carried forward"
    factors = {**base, "dalpha2/dbeta1_1": -2, "dl/dW1[2,1]": -DL_DW1_21}
    factors["delta1"] = KEY["layers"][0]["delta"]
    [record] = check_json(write_sheet(folder, "s.yaml", factors), exit_code=1)
    assert verdicts(record) == {"delta1": "correct", "dalpha2/dbeta1_1": "wrong", "dalpha1_1/dW1[2,1]": "correct", "dl/dW1[2,1]": "carried forward"}
    assert by_name(record)["dl/dW1[2,1]"]["recomputed"] == pytest.approx(-DL_DW1_21)


@pytest.mark.parametrize(
    "options, rtol, atol",
    [((), 0.01, 1e-4), (("--rtol", "0.05", "--atol", "0"), 0.05, 0.0), (("--rtol", "0", "--atol", "0.001"), 0.0, 0.001)],
)
@pytest.mark.parametrize("sign", [1, -1])
def test_the_rtol_atol_boundary(folder, options, rtol, atol, sign):
    allowed = atol + rtol * abs(LOSS)
    for factor, verdict, code in ((0.999, "correct", 0), (1.001, "wrong", 1)):
        path = write_sheet(folder, "s.yaml", {"loss": LOSS + sign * factor * allowed})
        [record] = check_json(path, *options, exit_code=code)
        assert verdicts(record) == {"loss": verdict}, (factor, record)
        assert record["tolerance"] == {"rtol": rtol, "atol": atol, "sig": None}


def test_atol_is_the_floor_near_zero_but_never_passes_a_derivative_of_0(folder):
    """alpha1_1 of the worksheet is exactly 0: any answer within atol 1e-4 passes. A derivative's
    atol is at most half its size: dl/dW1[0,2] is 4e-12, and 0 for it is the slip "zero", not
    a rounding (issue 14: a skipped step never scores)."""
    for value, verdict in ((0.0, "correct"), (9e-5, "correct"), (-9e-5, "correct"), (1.1e-4, "wrong")):
        [record] = check_json(write_sheet(folder, "s.yaml", {"alpha1_1": value}))
        assert verdicts(record) == {"alpha1_1": verdict}, value
    key = run_json("problems/worksheet.yaml")["gradients"]["W1"][0][1]
    assert 0 < key < 1e-10
    for value, verdict in ((key, "correct"), (key * 1.005, "correct"), (0.0, "wrong"), (9e-5, "wrong"), (-key, "wrong")):
        [record] = check_json(write_sheet(folder, "s.yaml", {"dl/dW1[0,2]": value}))
        assert verdicts(record) == {"dl/dW1[0,2]": verdict}, value
    [record] = check_json(write_sheet(folder, "s.yaml", {"dl/dW1[0,2]": 0.0}))
    assert record["answers"][0]["slip"]["name"] == "zero"


@pytest.mark.parametrize(
    "name, sig, passes, fails",
    [
        ("loss", 3, (0.388, 0.387, 0.3879), (0.386, 0.389)),  # key 0.38790175: rounded, cut; one unit more
        ("dl/dW1[2,1]", 4, (-0.2312, -0.2311), (-0.2310, -0.2313)),  # key -0.23119511
        ("alpha1", 2, ([0, 24], [0, 24.9], [0.001, 23.5]), ([0, 26], [0.02, 24])),  # 0: within one unit of the Nth decimal
    ],
)
def test_sig(folder, name, sig, passes, fails):
    for value in passes:
        [record] = check_json(write_sheet(folder, "s.yaml", {name: value}), "--sig", str(sig), exit_code=0)
        assert verdicts(record) == {name: "correct"}, value
        assert record["tolerance"]["sig"] == sig
    for value in fails:
        [record] = check_json(write_sheet(folder, "s.yaml", {name: value}), "--sig", str(sig), exit_code=1)
        assert verdicts(record) == {name: "wrong"}, value
    assert f"({sig} significant figures)" in check(write_sheet(folder, "s.yaml", {name: passes[0]}), "--sig", str(sig)).stdout


def test_sig_with_the_worksheet():
    """To 3 figures the worksheet's 0.999 is sigma(24) (one unit of the third), and all is correct:
    dl/dW2[1,1] = -0.04635772 is off the key's -0.04623902 in the third figure, but only through
    the rounding of answers accepted before it, from which it is right."""
    [record] = check_json(str(ANSWERS), "--sig", "3", exit_code=0)
    assert set(verdicts(record).values()) == {"correct"}
    drifted = by_name(record)["dl/dW2[1,1]"]
    assert drifted["recomputed"] == pytest.approx(-0.04635772, rel=1e-8) and drifted["score"] == 1
    assert check(str(ANSWERS), "--sig", "3", "--partial", "0").exit_code == 0
    [record] = check_json(str(ANSWERS), "--sig", "6", exit_code=1)
    assert verdicts(record)["beta1"] == "wrong"
    assert verdicts(record)["alpha2"] == "carried forward"


def test_no_ecf_makes_carried_forward_wrong():
    [record] = check_json(str(ANSWERS), "--rtol", "5e-4", "--atol", "0", "--no-ecf", exit_code=1)
    assert record["carry_forward"] is False
    v = verdicts(record)
    for name in CARRIED_IN_WORKSHEET + ["beta1"]:
        assert v[name] == "wrong", name
    assert all(a["recomputed"] is None for a in record["answers"])
    assert record["counts"] == {"correct": 7, "carried_forward": 0, "wrong": 8}
    assert record["score"] == 7
    out = check(str(ANSWERS), "--rtol", "5e-4", "--atol", "0", "--no-ecf").stdout
    assert "Carried forward" not in out
    assert "not right from your own earlier answers" not in out  # they were not checked against them
    assert "ŷ is wrong (your working first left the key at β¹; errors are not carried forward)." in out
    # alpha2 = -1.996 is the worksheet's own chain, sigmoid(24) cut to 0.999: named so (issue 14)
    assert "α² is wrong: this is what cutting every value to 3 decimals and carrying it on gives" in out


@pytest.mark.parametrize("partial, score", [("0.5", 10.5), ("0", 7.0), ("1", 14.0), ("0.25", 8.75)])
def test_partial_credit_for_carried_forward(partial, score):
    [record] = check_json(str(ANSWERS), "--rtol", "5e-4", "--atol", "0", "--partial", partial, exit_code=1)
    assert record["score"] == score
    assert record["max_score"] == 15
    for a in record["answers"]:
        expected = {"correct": 1.0, "carried forward": float(partial), "wrong": 0.0}[a["verdict"]]
        assert a["score"] == expected


def test_points_from_the_problem_file(tmp_path):
    problem = WORKSHEET.read_text() + "points:\n  loss: 2\n  beta1: 3\n  dl/dW1[2,1]: 4\n  new W1[2,1]: 0.5\n"
    (tmp_path / "worksheet.yaml").write_text(problem)
    shutil.copy(ANSWERS, tmp_path / "answers.yaml")
    [record] = check_json(str(tmp_path / "answers.yaml"), "--rtol", "5e-4", "--atol", "0", "--partial", "0.5", exit_code=1)
    points = {a["quantity"]: a["points"] for a in record["answers"]}
    assert points["loss"] == 2 and points["beta1"] == 3 and points["dl/dW1[2,1]"] == 4 and points["new W1[2,1]"] == 0.5
    assert points["alpha2"] == 1
    assert record["max_score"] == 11 + 2 + 3 + 4 + 0.5
    # beta1 (3) wrong; carried forward at half: alpha2, y_hat, dl/dW2[1,1], new W2[1,1] (1 each), loss (2), dl/dW1 (4), new W1 (0.5)
    assert record["score"] == 7 + 0.5 * (4 + 2 + 4 + 0.5)
    # the same through --problem, for sheets that do not name one
    sheet = write_sheet(tmp_path, "plain.yaml", {"loss": LOSS, "beta1": [0.5, 1.0]}, problem=None)
    [record] = check_json(sheet, "--problem", str(tmp_path / "worksheet.yaml"), exit_code=0)
    assert record["max_score"] == 5 and record["score"] == 5


def test_an_unknown_name_in_points(tmp_path):
    problem = tmp_path / "worksheet.yaml"
    problem.write_text(WORKSHEET.read_text() + "points:\n  los: 2\n")
    sheet = write_sheet(tmp_path, "s.yaml", {"loss": LOSS}, problem=None)
    assert_usage_error(check(sheet, "--problem", str(problem)), str(problem), "points: los", "is not a quantity", "did you mean 'loss'")
    # named by the sheets instead: each sheet's row says so, naming the problem file
    sheet = write_sheet(tmp_path, "t.yaml", {"loss": LOSS})
    [record] = check_json(sheet, exit_code=2)
    assert str(problem) in record["error"] and "points: los" in record["error"]


def test_without_a_learning_rate_new_weights_are_not_quantities(tmp_path):
    """A problem with no learning rate has no update: its blank sheet lists no new weights, and a
    sheet (or points:, or --given) that names one is told to add learning_rate to the problem."""
    problem = tmp_path / "worksheet.yaml"
    problem.write_text(WORKSHEET.read_text().replace("learning_rate: 2", ""))
    template = check("--template", str(problem))
    assert template.exit_code == 0
    assert "dl/dW1[2,1]:" in template.stdout and "new" not in template.stdout
    sheet = write_sheet(tmp_path, "s.yaml", {"loss": LOSS, "dl/dW1[2,1]": -0.2312})
    [record] = check_json(sheet, exit_code=0)
    assert record["score"] == record["max_score"] == 2
    for name, value in (("new W1[2,1]", 1.4624), ("new W1", [[1, 2], [1, 2], [1, 2]])):
        bad = write_sheet(tmp_path, "bad.yaml", {"loss": LOSS, name: value})
        [record] = check_json(bad, exit_code=2)
        assert f"bad.yaml:3: {name}: is not a quantity of this problem: it has no learning rate" in record["error"]
        assert record["error"].endswith("; add learning_rate to the problem, or leave out the new weights")
    assert_usage_error(invoke("run", str(problem), "--given", "new W1[2,1]=1"), "new W1[2,1]", "add learning_rate to the problem")
    problem.write_text(problem.read_text() + "points:\n  new W1[2,1]: 2\n")
    assert_usage_error(check(sheet, "--problem", str(problem)), "points: new W1[2,1]", "is not a quantity", "add learning_rate to the problem")


def test_sheets_of_problems_with_and_without_a_learning_rate_graded_together(tmp_path):
    """Stacked grading keeps problems with an update apart from those without."""
    shutil.copy(WORKSHEET, tmp_path / "worksheet.yaml")
    (tmp_path / "no_rate.yaml").write_text(WORKSHEET.read_text().replace("learning_rate: 2", ""))
    a = write_sheet(tmp_path, "a.yaml", {"loss": LOSS, "new W1[2,1]": 1.4624})
    b = write_sheet(tmp_path, "b.yaml", {"loss": LOSS, "dl/dW1[2,1]": -0.2312}, problem="no_rate.yaml")
    records = check_json(a, b, exit_code=0)
    assert [r["score"] for r in records] == [2, 2]


# -- 4. a class of generated sheets, with planted mistakes ------------------------------------


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _neuron(kind: str, layer: int, k: int, width: int) -> str:
    return f"{kind}{layer}" if width == 1 else f"{kind}{layer}_{k}"


class Network:
    """A sigmoid network with one hidden layer and squared error, worked by hand in numpy: the
    test's own answer key, and a student's working from their own (wrong) numbers."""

    def __init__(self, path: Path):
        p = yaml.safe_load(path.read_text())
        self.file = path.name
        self.x = np.array(p["x"], dtype=float)
        self.y = np.atleast_1d(np.array(p["y"], dtype=float))
        self.W1 = np.array(p["W1"], dtype=float)
        self.W2 = np.array(p["W2"], dtype=float)
        self.lr = float(p["learning_rate"])
        self.n1, self.K = self.W1.shape[1], self.W2.shape[1]

    def work(self, beta1=None, flip_dl_dy_hat=None, flip_factor=None) -> dict:
        """Every answer: with beta1 the student's, and a sign error in dl/dy_hat_k or in the
        factor dalpha2_k/dbeta1_j, everything after it follows from it."""
        K, n1 = self.K, self.n1
        i1 = np.r_[1.0, self.x]
        a1 = self.W1.T @ i1
        b1 = _sigmoid(a1) if beta1 is None else np.array(beta1, dtype=float)
        i2 = np.r_[1.0, b1]
        a2 = self.W2.T @ i2
        yh = _sigmoid(a2)
        dl = -(self.y - yh)
        if flip_dl_dy_hat is not None:
            dl[flip_dl_dy_hat] *= -1
        dyh = yh * (1 - yh)
        d2 = dl * dyh
        db1 = b1 * (1 - b1)
        F = self.W2[1:].copy()  # F[j-1, k-1] = dalpha2_k/dbeta1_j
        if flip_factor is not None:
            F[flip_factor] *= -1
        d1 = db1 * (F @ d2)
        g2, g1 = np.outer(i2, d2), np.outer(i1, d1)
        one = (lambda v: float(v[0])) if K == 1 else (lambda v: list(v))
        answers = {
            "shape W1": list(self.W1.shape),
            "shape W2": list(self.W2.shape),
            "alpha1": list(a1),
            "beta1": list(b1),
            "alpha2": one(a2),
            "y_hat": one(yh),
            "prediction": one((yh >= 0.5).astype(int)),
            "loss": float(0.5 * np.sum((self.y - yh) ** 2)),
            "dl/dy_hat": one(dl),
            "dy_hat/dalpha2": one(dyh),
            "delta2": one(d2),
            "dbeta1/dalpha1": list(db1),
            "delta1": list(d1),
        }
        for i in range(self.W2.shape[0]):
            for k in range(1, K + 1):
                answers[f"d{_neuron('alpha', 2, k, K)}/dW2[{i},{k}]"] = float(i2[i])
                answers[f"dl/dW2[{i},{k}]"] = float(g2[i, k - 1])
                answers[f"new W2[{i},{k}]"] = float(self.W2[i, k - 1] - self.lr * g2[i, k - 1])
        for j in range(1, n1 + 1):
            for k in range(1, K + 1):
                answers[f"d{_neuron('alpha', 2, k, K)}/dbeta1_{j}"] = float(F[j - 1, k - 1])
        for i in range(self.W1.shape[0]):
            for j in range(1, n1 + 1):
                answers[f"dalpha1_{j}/dW1[{i},{j}]"] = float(i1[i])
                answers[f"dl/dW1[{i},{j}]"] = float(g1[i, j - 1])
                answers[f"new W1[{i},{j}]"] = float(self.W1[i, j - 1] - self.lr * g1[i, j - 1])
        return answers


def _close(s, t, rtol=0.01, atol=1e-4, scale=None) -> bool:
    """check's tolerance, written out: with a scale (a new weight's step, a derivative's size),
    rtol of the scale and an atol of at most half of it."""
    s, t = np.asarray(s, dtype=float), np.asarray(t, dtype=float)
    if scale is None:
        return bool(np.all(np.abs(s - t) <= atol + rtol * np.abs(t)))
    scale = np.abs(np.asarray(scale, dtype=float))
    return bool(np.all(np.abs(s - t) <= np.where(scale > 0, np.minimum(atol, 0.5 * scale), atol) + rtol * scale))


def _scale(net, name: str, key_value):
    """The scale check judges an answer to name on (its key value key_value), or None."""
    if name.startswith("new W"):
        layer, i, j = (int(n) for n in re.findall(r"\d+", name))
        old = (net.W1 if layer == 1 else net.W2)[i, j - 1]
        return np.asarray(key_value) - old
    if name.startswith(("dl/dW", "delta")):
        return key_value
    return None


def _round(v, digits=9):
    if isinstance(v, list):
        return [_round(x, digits) for x in v]
    return float(f"{v:.{digits}g}") if isinstance(v, float) else v


def plant(net: Network, kind: str, rng) -> tuple[dict, dict, str | None]:
    """A student's sheet with one planted mistake: (answers, expected verdicts, the planted name).
    Every answer not planted is correct or, where it follows from the mistake, carried forward."""
    key = net.work()
    planted: list[str] = []
    if kind == "correct":
        answers = dict(key)
    elif kind in ("wrong beta", "wrong beta and a slip"):
        j = int(rng.integers(net.n1))
        beta = list(key["beta1"])
        beta[j] = float(np.clip(beta[j] + rng.choice([-1, 1]) * rng.uniform(0.15, 0.4), 0.05, 0.95))
        if _close(beta, key["beta1"]):
            beta[j] = 0.5 if key["beta1"][j] > 0.75 else 0.95
        answers = net.work(beta1=beta)
        planted.append("beta1")
        if kind == "wrong beta and a slip":  # an arithmetic slip in an answer nothing else uses
            name = str(rng.choice(["loss"] + [n for n in answers if n.startswith("new W")]))
            answers[name] = answers[name] * 1.5 + 0.3
            planted.append(name)
    elif kind == "slip":  # one later answer wrong, all else right
        answers = dict(key)
        candidates = [n for n, v in key.items() if isinstance(v, float) and abs(v) > 0.01 and n != "loss" or n == "loss"]
        name = str(rng.choice(candidates))
        answers[name] = answers[name] * 1.5 + 0.3 * np.sign(answers[name] or 1)
        planted.append(name)
    elif kind == "sign in dl/dy_hat":  # a sign error in a chain-rule factor; the gradients follow it
        k = int(rng.integers(net.K))
        answers = net.work(flip_dl_dy_hat=k)
        planted.append("dl/dy_hat")
    elif kind == "sign in a weight factor":
        j, k = int(rng.integers(net.n1)), int(rng.integers(net.K))
        answers = net.work(flip_factor=(j, k))
        del answers["delta1"]  # worked by the chain rule, weight by weight
        planted.append(f"d{_neuron('alpha', 2, k + 1, net.K)}/dbeta1_{j + 1}")
    else:
        raise ValueError(kind)
    # a student answers most of the sheet, not always all of it
    for name in list(answers):
        if name not in planted and rng.random() < 0.15:
            del answers[name]
    # a new weight in full: its step (judged on, issue 14) is below 9 digits of the weight on these
    # random networks' saturated neurons
    answers = {n: _round(v, 17 if n.startswith("new W") else 9) for n, v in answers.items()}
    expected = {}
    for name, value in answers.items():
        if name in planted:
            expected[name] = "wrong"
        elif _close(value, key[name], scale=_scale(net, name, key[name])):
            expected[name] = "correct"
        else:
            expected[name] = "carried forward"
    return answers, expected, (planted[0] if planted else None)


KINDS = ("correct", "wrong beta", "slip", "sign in dl/dy_hat", "sign in a weight factor", "wrong beta and a slip")


def test_a_class_of_generated_sheets(folder, monkeypatch):
    rng = np.random.default_rng(20241126)
    nets = [Network(WORKSHEET), Network(TWO_OUTPUTS)]
    os.mkdir(folder / "class")
    for problem in ("worksheet.yaml", "two_outputs.yaml"):  # beside the sheets, as `problem:` needs
        shutil.copy(folder / problem, folder / "class" / problem)
    monkeypatch.chdir(folder)
    planted: dict[str, tuple] = {}
    n = 0
    for net in nets:
        for kind in KINDS:
            for _ in range(10):
                n += 1
                answers, expected, first = plant(net, kind, rng)
                name = f"class/s{n:03d}.yaml"
                Path(name).write_text(sheet_text(answers, net.file, student=f"student {n}"))
                planted[name] = (kind, expected, first)
    assert len(planted) >= 100

    records = check_json("class", exit_code=1)
    assert [r["sheet"] for r in records] == sorted(planted)  # one line per sheet; not the problem files
    carried = 0
    for record in records:
        kind, expected, first = planted[record["sheet"]]
        assert record["error"] is None
        assert verdicts(record) == expected, (record["sheet"], kind)
        answers = by_name(record)
        assert record["first_wrong"] == first, (record["sheet"], kind)
        for name, verdict in expected.items():
            if verdict == "carried forward":
                assert answers[name]["first_departure"] == first, (record["sheet"], name)
                assert answers[name]["score"] == answers[name]["points"] == 1
                carried += 1
        if first is not None:
            assert answers[first]["first_departure"] is None  # the planted place: where it left the key
        if kind == "wrong beta and a slip":
            slip = next(n for n, v in expected.items() if v == "wrong" and n != "beta1")
            # named where the wrong beta1 moves what it follows from (not where, like a delta of a
            # saturated sigmoid, that stays the key's: then nothing it follows from left the key)
            moved = answers[slip]["recomputed"] is not None
            assert answers[slip]["first_departure"] == ("beta1" if moved else None), (record["sheet"], slip)
        counts = record["counts"]
        assert counts["correct"] + counts["carried_forward"] + counts["wrong"] == len(expected)
        assert record["score"] == counts["correct"] + counts["carried_forward"]
    # carrying forward was really exercised: most answers after a wrong beta follow from it
    wrong_beta = [r for r in records if planted[r["sheet"]][0] == "wrong beta"]
    assert all(r["counts"]["carried_forward"] >= 4 for r in wrong_beta)
    assert carried > 500
    sign_errors = [r for r in records if planted[r["sheet"]][0].startswith("sign")]
    # the factor wrong, a gradient carried forward from it (unless it is one that scarcely moves:
    # the worksheet's dbeta1_2/dalpha1_2 is 4e-11, so a sign error beside it changes nothing)
    followed = [r for r in sign_errors if any(a["verdict"] == "carried forward" and a["quantity"].startswith("dl/dW") for a in r["answers"])]
    assert len(followed) >= 0.7 * len(sign_errors)

    # the class table: one row per sheet
    result = check("class")
    assert result.exit_code == 1
    rows = [line for line in result.stdout.splitlines() if re.match(r"^ ?s\d{3}\.yaml ", line)]  # without the folder they share
    assert len(rows) == len(planted)
    assert f"{len(planted)} sheets graded" in result.stdout
    row = next(line for line in rows if line.strip().startswith("s011.yaml"))  # a wrong beta
    assert re.search(r"student 11 +\d+/\d+ +\d+ +\d+ +1 +beta1", row), row

    # glob patterns expand too, and a named file is graded once
    records = check_json("class/s00*.yaml", "class/s001.yaml", "class/s1[0-1]?.yaml", exit_code=1)
    assert [r["sheet"] for r in records] == [f"class/s{i:03d}.yaml" for i in list(range(1, 10)) + list(range(100, 120))]


def test_a_folder_with_sheets_and_their_problem(folder):
    """The problem file a folder's sheets name is not graded as a sheet."""
    os.mkdir(folder / "a")
    shutil.copy(WORKSHEET, folder / "a" / "worksheet.yaml")
    write_sheet(folder / "a", "s1.yaml", {"loss": LOSS})
    write_sheet(folder / "a", "s2.yml", {"loss": LOSS})
    records = check_json(str(folder / "a"), exit_code=0)
    assert [Path(r["sheet"]).name for r in records] == ["s1.yaml", "s2.yml"]
    # named on the command line, it is a sheet, and says what it is
    records = check_json(str(folder / "a" / "worksheet.yaml"), exit_code=2)
    assert "is a problem file, not an answer sheet" in records[0]["error"]


# -- 5. Gradescope -----------------------------------------------------------------------------

VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def assert_gradescope(data: dict) -> None:
    """Gradescope's documented results.json fields: top-level score; tests with name, score,
    max_score, output, visibility; optional output, visibility, stdout_visibility."""
    assert isinstance(data["score"], (int, float)) and not isinstance(data["score"], bool)
    allowed = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
               "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
    assert set(data) <= allowed, set(data) - allowed
    if "output" in data:
        assert isinstance(data["output"], str)
    for key in ("visibility", "stdout_visibility"):
        if key in data:
            assert data[key] in VISIBILITY
    assert isinstance(data["tests"], list)
    for test in data["tests"]:
        assert isinstance(test, dict)
        assert isinstance(test["name"], str) and test["name"]
        for key in ("score", "max_score"):
            assert isinstance(test[key], (int, float)) and not isinstance(test[key], bool)
        assert 0 <= test["score"] <= test["max_score"]
        assert isinstance(test["output"], str)
        assert test["visibility"] in VISIBILITY
        assert set(test) <= {"score", "max_score", "status", "name", "name_format", "number", "output",
                             "output_format", "tags", "visibility", "extra_data"}
    assert math.isclose(data["score"], math.fsum(t["score"] for t in data["tests"]))


def test_gradescope_for_one_sheet(tmp_path):
    out = tmp_path / "results.json"
    result = check(str(ANSWERS), "--rtol", "5e-4", "--atol", "0", "--partial", "0.5", "--gradescope", str(out))
    assert result.exit_code == 1
    data = json.loads(out.read_text())
    assert_gradescope(data)
    assert data["score"] == 10.5
    tests = {t["name"]: t for t in data["tests"]}
    assert list(tests) == list(by_name(check_json(str(ANSWERS))[0]))
    assert tests["beta1"]["score"] == 0 and "wrong" in tests["beta1"]["output"]
    assert tests["alpha2"]["score"] == 0.5 and "carried forward" in tests["alpha2"]["output"]
    assert tests["alpha1"]["score"] == 1 and "correct" in tests["alpha1"]["output"]
    assert all(t["max_score"] == 1 for t in data["tests"])
    assert "Score 10.5 of 15" in data["output"]
    # never over a file unasked
    before = out.read_text()
    assert_usage_error(check(str(ANSWERS), "--gradescope", str(out)), "already exists", "--force")
    assert out.read_text() == before
    result = check(str(ANSWERS), "--gradescope", str(out), "--force")
    assert result.exit_code == 0
    assert json.loads(out.read_text())["score"] == 15


def test_gradescope_for_a_class(folder):
    sheets = [write_sheet(folder, f"s{i}.yaml", {"loss": LOSS * (1 + i / 10), "alpha1": [0, 24]}) for i in range(3)]
    (folder / "bad.yaml").write_text("problem: worksheet.yaml\nloss: [1, 2]\n")
    out = folder / "results"
    result = check(*sheets, str(folder / "bad.yaml"), "--gradescope", str(out))
    assert result.exit_code == 2  # a sheet could not be read
    assert sorted(os.listdir(out)) == ["bad.json", "s0.json", "s1.json", "s2.json"]
    scores = []
    for name in ("s0", "s1", "s2"):
        data = json.loads((out / f"{name}.json").read_text())
        assert_gradescope(data)
        scores.append(data["score"])
    assert scores == [2, 1, 1]
    bad = json.loads((out / "bad.json").read_text())
    assert_gradescope(bad)
    assert bad["score"] == 0 and "loss" in bad["output"] and "is a list" in bad["output"]
    # again: every file is there already
    assert_usage_error(check(*sheets, "--gradescope", str(out)), "already exists")
    assert check(*sheets, "--gradescope", str(out), "--force").exit_code == 1
    # a folder for one sheet too, when PATH is one
    assert check(sheets[0], "--gradescope", str(out), "--force").exit_code == 0
    # several sheets and PATH a file
    assert_usage_error(check(*sheets, "--gradescope", str(out / "s0.json")), "give a folder")


def test_gradescope_refuses_two_sheets_with_one_name(folder):
    os.mkdir(folder / "a")
    os.mkdir(folder / "b")
    for sub in ("a", "b"):
        shutil.copy(WORKSHEET, folder / sub / "worksheet.yaml")
        write_sheet(folder / sub, "s.yaml", {"loss": LOSS})
    result = check(str(folder / "a" / "s.yaml"), str(folder / "b" / "s.yaml"), "--gradescope", str(folder / "out"))
    assert_usage_error(result, "would both write", "s.json")
    assert not (folder / "out").exists()


# -- 6. hostile sheets ---------------------------------------------------------------------------


def _bomb() -> str:
    lines = ["problem: worksheet.yaml", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    lines.append("loss: *a9")
    return "\n".join(lines) + "\n"


HOSTILE = {
    # name: (text, what its error row says)
    "bomb.yaml": (_bomb(), "holds more than"),
    "tag.yaml": ("problem: worksheet.yaml\nloss: !!python/object/apply:os.system ['touch {marker}']\n", "the YAML tag '!!python/object/apply:os.system' is not allowed"),
    "tag2.yaml": ("problem: worksheet.yaml\nloss: !!python/object/new:os.system [touch {marker}]\n", "is not allowed"),
    "tag3.yaml": ("!!python/object:os.system\nloss: 1\n", "is not allowed"),
    "deep.yaml": ("problem: worksheet.yaml\nloss: " + "[" * 10_000 + "]" * 10_000 + "\n", "nested too deeply"),
    "mapping.yaml": ("problem: worksheet.yaml\nbeta1: {a: 1}\n", "beta1: is a mapping, not a number"),
    "text.yaml": ("problem: worksheet.yaml\nloss: hello\n", "loss: is 'hello', not a number"),
    "bool.yaml": ("problem: worksheet.yaml\nloss: yes\n", "which YAML reads as true"),
    "boolinlist.yaml": ("problem: worksheet.yaml\nbeta1: [true, 0.5]\n", "beta1_1: is 'true'"),
    "listnumber.yaml": ("problem: worksheet.yaml\nloss: [1, 2]\n", "loss: is a list; it is one number"),
    "short.yaml": ("problem: worksheet.yaml\nbeta1: [0.5]\n", "beta1 has 2"),
    "matrix.yaml": ("problem: worksheet.yaml\ndl/dW1: [[1, 2], [3, 4]]\n", "is not a 3 x 2 matrix"),
    "nan.yaml": ("problem: worksheet.yaml\nloss: .nan\n", "not a finite number"),
    "unknown.yaml": ("problem: worksheet.yaml\nlos: 0.38\n", "los: is not a quantity of this problem; did you mean 'loss'?"),
    "longname.yaml": ("problem: worksheet.yaml\n" + "x" * 1000 + ": 1\n", "is not a quantity"),
    "hugekey.yaml": ("problem: worksheet.yaml\n" + "x" * 100_000 + ": 1\n", "not valid YAML"),
    "hugevalue.yaml": ("problem: worksheet.yaml\nloss: " + "9" * 100_000 + "\n", "loss:"),
    "duplicate.yaml": ("problem: worksheet.yaml\nloss: 0.38\nloss: 0.39\n", "loss: given twice (first on line 2)"),
    "twonames.yaml": ("problem: worksheet.yaml\nbeta1: [0.5, 1]\nbeta1_2: 1\n", "answers a value that beta1 answers too"),
    "traversal.yaml": ("problem: ../../etc/passwd\nloss: 0.38\n", "'../../etc/passwd' is not a file beside the sheet"),
    "absolute.yaml": ("problem: /etc/passwd\nloss: 0.38\n", "'/etc/passwd' is not a file beside the sheet"),
    "subfolder.yaml": ("problem: sub/worksheet.txt\nloss: 0.38\n", "is not a file beside the sheet nor a .yaml file"),
    "missingsub.yaml": ("problem: sub/worksheet.yaml\nloss: 0.38\n", "there is no problem file 'sub/worksheet.yaml' at that path from the sheet's folder"),
    "above.yaml": ("problem: ../worksheet.yaml\nloss: 0.38\n", "is outside the folder nnsolve runs in"),
    "nul.yaml": ('problem: "worksheet.yaml\\0"\nloss: 0.38\n', "is not a file beside the sheet"),
    "surrogate.yaml": ('problem: "\\ud800.yaml"\nloss: 0.38\n', "'\\ud800.yaml' is not a file beside the sheet"),  # no file name can hold it
    "missing.yaml": ("problem: nothere.yaml\nloss: 0.38\n", "there is no problem file 'nothere.yaml' beside the sheet"),
    "notmapping.yaml": ("- loss\n- 0.38\n", "is not a mapping"),
    "empty.yaml": ("", "empty answer sheet"),
    "studentlist.yaml": ("problem: worksheet.yaml\nstudent: [a, b]\n", "student: is not text"),
    "binary.yaml": ("loss: \x00\n", "not valid YAML"),
    "merge.yaml": ("problem: worksheet.yaml\nbase: &b {loss: 1}\n<<: *b\n", "merge"),
    "recursive.yaml": ("problem: worksheet.yaml\nloss: &a [1, *a]\n", "an alias refers to the list that contains it"),
}


@needs_posix
def test_hostile_sheets(folder, monkeypatch):
    marker = folder / "ran"
    monkeypatch.chdir(folder)
    (folder / "link.yaml").symlink_to("/etc/passwd")
    names = []
    for name, (text, _) in HOSTILE.items():
        (folder / name).write_text(text.replace("{marker}", str(marker)), encoding="utf-8")
        names.append(name)
    (folder / "link-sheet.yaml").write_text("problem: link.yaml\nloss: 0.38\n")
    with open(folder / "huge.yaml", "wb") as f:  # 1 GiB, sparse: refused without reading it all
        f.truncate(1 << 30)
    good = write_sheet(folder, "good.yaml", {"loss": LOSS})
    expected = {**{n: e for n, (_, e) in HOSTILE.items()}, "link-sheet.yaml": "leads out of the sheet's folder",
                "huge.yaml": "larger than 1 MiB"}

    # each alone: refused fast, with its own reason
    for name, fragment in expected.items():
        start = time.perf_counter()
        [record] = check_json(name, exit_code=2)
        elapsed = time.perf_counter() - start
        assert elapsed < 1.0, (name, elapsed)
        assert record == {"schema": "nnsolve.check/1", "sheet": name, "error": record["error"]}
        assert fragment in record["error"], (name, record["error"])
        assert record["error"].startswith(name), record["error"]
        assert "\n" not in record["error"] and len(record["error"]) < 400, record["error"][:500]

    # all at once, with a good sheet among them: every row, the good one graded, exit 2 at the end
    order = list(expected) + ["good.yaml"]
    start = time.perf_counter()
    records = check_json(*order, exit_code=2)
    assert time.perf_counter() - start < 5
    assert [r["sheet"] for r in records] == order
    assert records[-1]["error"] is None and records[-1]["counts"]["correct"] == 1
    assert all(r["error"] for r in records[:-1])
    result = check(*order)
    assert result.exit_code == 2
    assert "1 sheets graded" in result.stdout or "1 sheet graded" in result.stdout
    assert f"{len(expected)} could not be read" in result.stdout
    stderr = result.stderr.splitlines()
    assert len(stderr) == len(expected) and all(line.startswith("nnsolve: error: ") for line in stderr)
    assert "Traceback" not in result.stderr
    assert not marker.exists()  # no tag ran anything
    assert good


def test_a_sheet_whose_numbers_overflow_is_graded_not_refused(folder):
    path = write_sheet(folder, "s.yaml", {"alpha1": [0, 1e300], "alpha2": 1e308, "delta2": 1e308, "dl/dW2[1,1]": 1e308, "new W2[1,1]": 3})
    [record] = check_json(path, exit_code=1)
    assert set(verdicts(record).values()) == {"wrong"}
    # y_hat = 0 makes a log loss infinite; the rest of the sheet is still graded
    shutil.copy(PROBLEMS / "binary_cross_entropy.yaml", folder / "bce.yaml")
    path = write_sheet(folder, "t.yaml", {"y_hat": 0.0, "loss": 30.0, "alpha1": [0, 24]}, problem="bce.yaml")
    [record] = check_json(path, exit_code=1)
    assert verdicts(record) == {"alpha1": "correct", "y_hat": "wrong", "loss": "wrong"}


def test_a_class_of_variants_each_sheet_graded_against_its_own_problem(tmp_path):
    """`new` keys, each naming its own variant, graded in one run (stacked): each key is all
    correct against its own problem and the same key names the other variant's numbers wrong;
    a variant whose key overflows is that sheet's error, the others are graded."""
    assert invoke("new", "--seed", "5", "--count", "3", "--out", str(tmp_path / "v")).exit_code == 0
    keys = sorted(str(p) for p in (tmp_path / "v").glob("*.key.yaml"))
    records = check_json(*keys, exit_code=0)
    assert [r["counts"]["wrong"] for r in records] == [0, 0, 0] and all(r["counts"]["correct"] > 20 for r in records)
    # variant 2's answers on a sheet that names variant 1: graded against variant 1, so off
    text = (tmp_path / "v" / "variant-002.key.yaml").read_text().replace("variant-002.yaml", "variant-001.yaml")
    (tmp_path / "v" / "swapped.yaml").write_text(text)
    huge = yaml.safe_load((tmp_path / "v" / "variant-003.yaml").read_text())
    huge["W1"] = [[v * 1e200 for v in row] for row in huge["W1"]]
    huge["x"] = [v * 1e200 + 1e200 for v in huge["x"]]
    (tmp_path / "v" / "variant-003.yaml").write_text(yaml.safe_dump(huge))
    records = check_json(*keys, str(tmp_path / "v" / "swapped.yaml"), exit_code=2)
    assert [r["error"] is None for r in records] == [True, True, False, True]
    assert "variant-003.yaml" in records[2]["error"] and "overflows" in records[2]["error"]
    assert records[0]["counts"]["wrong"] == 0 and records[3]["counts"]["wrong"] > 10


# -- 7. the blank sheet, filled in from the key, is all correct ------------------------------------


def _key_answers(problem: Path, *given: str) -> dict:
    """Every name of the blank sheet, its value read off `nnsolve run --json` by the test's own
    rules: the worksheet's names, or, for a problem in the Wx+b or xW+b convention (JSON version
    2: its W and b as the convention writes them), z, a, L and the convention's indexing."""
    data = run_json(str(problem), *(f"--given={g}" for g in given))
    if "steps" in data:  # several examples, SGD step by step: a sheet answers the first step
        data = data["steps"][0]
    if "count" in data:  # a batch: its loss, dl/dW and new W (the rest is example 1's, which a batch's sheet does not answer)
        data = {**data["examples"][0], **{k: data[k] for k in ("problem", "shapes", "loss", "gradients", "updated")}}
    p = data["problem"]
    convention = p.get("convention", "bias-row")
    z, a, d = ("alpha", "beta", "dl/d") if convention == "bias-row" else ("z", "a", "dL/d")
    layers = data["layers"]
    L = len(layers)
    r0 = 0 if p["bias"] else 1
    sizes = [len(layers[0]["input"]) - (1 - r0)] + [len(s["alpha"]) for s in layers]

    def vec(values, name):
        return values[0] if len(values) == 1 else values

    out = {f"shape W{k[1:]}": v for k, v in data["shapes"].items() if k.startswith("W")}
    for s in layers:
        l = s["layer"]
        out[f"{z}{l}"] = vec(s["alpha"], "alpha")
        out["y_hat" if l == L else f"{a}{l}"] = vec(s["beta"], "beta")
        out[f"delta{l}"] = vec(s["delta"], "delta")
        if l < L:
            out[f"d{a}{l}/d{z}{l}"] = vec(s["derivative"], "derivative")
    out["prediction"] = vec(data["prediction"], "prediction")
    out["loss"] = data["loss"]
    if data["output"]["dl_dy_hat"] is not None:
        out[f"{d}y_hat"] = vec(data["output"]["dl_dy_hat"], "dl/dy_hat")
        jac = data["output"]["dy_hat_dalpha"]
        out[f"dy_hat/d{z}{L}"] = vec([jac[k][k] for k in range(len(jac))], "dy_hat")
    for s in layers:
        l, W = s["layer"], p[f"W{s['layer']}"]
        # (input i from 1, neuron j from 1) -> (the name, the JSON's W entry), the bias as input 0
        cells = {}
        for r, row in enumerate(W):
            for c in range(len(row)):
                if convention == "bias-row":
                    cells[(r + r0, c + 1)] = (f"W{l}[{r + r0},{c + 1}]", W, (r, c))
                elif convention == "Wx+b":
                    cells[(c + 1, r + 1)] = (f"W{l}[{r + 1},{c + 1}]", W, (r, c))
                else:
                    cells[(r + 1, c + 1)] = (f"W{l}[{r + 1},{c + 1}]", W, (r, c))
        if convention != "bias-row" and p["bias"]:
            for j in range(sizes[l]):
                cells[(0, j + 1)] = (f"b{l}[{j + 1}]", p[f"b{l}"], (j,))
        for (i, j), (w, matrix, at) in cells.items():
            part = "W" if w.startswith("W") else "b"
            out[f"d{_neuron(z, l, j, sizes[l])}/d{w}"] = s["input"][i - r0]
            out[f"{d}{w}"] = _at(data["gradients"][f"{part}{l}"], at)
            out[f"new {w}"] = _at(data["updated"][f"{part}{l}"], at)
        if l > 1:
            for j in range(1, sizes[l - 1] + 1):
                for k in range(1, sizes[l] + 1):
                    out[f"d{_neuron(z, l, k, sizes[l])}/d{_neuron(a, l - 1, j, sizes[l - 1])}"] = _at(W, cells[(j, k)][2])
    return out


def _at(values, index: tuple):
    for i in index:
        values = values[i]
    return values


@pytest.mark.parametrize("problem", PROBLEM_FILES, ids=lambda p: p.stem)
def test_the_filled_in_template_is_all_correct(problem, tmp_path, monkeypatch):
    # a student's folder with the problem in a subfolder: the sheet names it by its path from here
    (tmp_path / "problems").mkdir()
    shutil.copy(problem, tmp_path / "problems" / problem.name)
    monkeypatch.chdir(tmp_path)
    result = check("--template", f"problems/{problem.name}")
    assert result.exit_code == 0, result.stderr
    blank = result.stdout
    parsed = yaml.safe_load(blank)
    assert parsed["problem"] == f"problems/{problem.name}"
    names = [n for n in parsed if n not in ("problem", "student")]
    assert all(v is None for n, v in parsed.items() if n != "problem")
    # the blank sheet reads, and answers nothing: an error, never a silent 0 of 0 (issue 14)
    (tmp_path / "blank.yaml").write_text(blank)
    [record] = check_json(str(tmp_path / "blank.yaml"), exit_code=2)
    assert "answers nothing" in record["error"]
    # filled in from the key, line by line as a student would, it is all correct
    key = _key_answers(problem)
    assert set(names) <= set(key), set(names) - set(key)
    lines = []
    for line in blank.splitlines():
        name = line.split(":", 1)[0]
        if name in key:
            line = f"{name}: {yaml_value(key[name])}  # {line.split('#', 1)[1].strip()}"
        elif name == "student":
            line = "student: Ada"
        lines.append(line)
    (tmp_path / "filled.yaml").write_text("\n".join(lines) + "\n")
    [record] = check_json(str(tmp_path / "filled.yaml"), "--rtol", "1e-9", "--atol", "1e-12", exit_code=0)
    assert [a["quantity"] for a in record["answers"]] == names
    assert set(verdicts(record).values()) == {"correct"}
    assert record["score"] == record["max_score"] == len(names)
    assert record["student"] == "Ada"


@pytest.mark.parametrize("where", ["beta1", "alpha1", "deltaL", "delta1"])
@pytest.mark.parametrize("problem", PROBLEM_FILES, ids=lambda p: p.stem)
def test_a_mistake_carried_through_every_problem(problem, where, tmp_path):
    """A student whose first element of beta1 (or alpha1, delta^L, delta1) is off, and who works
    everything after it from their own numbers (as `run --given` does), has that answer wrong and
    every other answer correct or carried forward from it."""
    data = yaml.safe_load(problem.read_text())
    if "examples" in data:  # --given is for one step: the same problem with its first example
        data.pop("batch", None)  # (one example alone is no batch)
        first = data.pop("examples")[0]
        data.update(first)
        problem = tmp_path / problem.name
        problem.write_text(json.dumps(data))
    key = _key_answers(problem)
    L = sum(1 for n in key if n.startswith("shape W"))
    name = where.replace("L", str(L))
    if name not in key:  # a problem in the Wx+b or xW+b convention: z and a
        name = name.replace("alpha", "z").replace("beta", "a")
    value = key[name] if isinstance(key[name], list) else [key[name]]
    given = [value[0] + 0.3 + 0.5 * abs(value[0])] + value[1:]
    names = [n for n in yaml.safe_load(check("--template", str(problem)).stdout) if n not in ("problem", "student")]
    computed = _key_answers(problem, f"{name}={yaml_value(given)}")
    answers = {n: computed[n] for n in names}
    if not (tmp_path / problem.name).exists():
        shutil.copy(problem, tmp_path / problem.name)
    path = tmp_path / "s.yaml"
    path.write_text(sheet_text(answers, problem.name))
    [record] = check_json(str(path), exit_code=1)
    v = verdicts(record)
    assert v.pop(name) == "wrong"
    assert set(v.values()) <= {"correct", "carried forward"}, {n: x for n, x in v.items() if x == "wrong"}
    assert list(v.values()).count("carried forward") >= 2
    assert all(a["first_departure"] == name for a in record["answers"] if a["verdict"] == "carried forward")


def test_the_built_in_template():
    blank = check("--template").stdout
    parsed = yaml.safe_load(blank)
    assert "problem" not in parsed  # the built-in worksheet, by default
    assert list(parsed)[:5] == ["student", "shape W1", "shape W2", "alpha1", "beta1"]
    assert check("--template", "--problem", str(TWO_OUTPUTS)).stdout == check("--template", str(TWO_OUTPUTS)).stdout


# -- 8. usage errors -------------------------------------------------------------------------------


def test_usage_errors(tmp_path):
    assert_usage_error(check(), "give one or more answer sheets")
    assert_usage_error(check("--template", str(WORKSHEET), str(TWO_OUTPUTS)), "--template takes one problem file at most")
    assert_usage_error(check(str(ANSWERS), "--force"), "--force is for --gradescope")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not a sheet")
    assert_usage_error(check(str(tmp_path / "empty")), "a folder with no .yaml answer sheets")
    assert_usage_error(check(str(tmp_path / "*.yaml")), "no file matches")
    assert_usage_error(check(str(ANSWERS), "--rtol", "-1"), "--rtol")
    assert_usage_error(check(str(ANSWERS), "--partial", "2"), "--partial")
    assert_usage_error(check(str(ANSWERS), "--sig", "0"), "--sig")
    assert_usage_error(check(str(ANSWERS), "--problem", str(tmp_path / "nothere.yaml")), "nothere.yaml", "no such file")
    assert_usage_error(check("--template", str(tmp_path / "nothere.yaml")), "no such file")
    # a folder holding only the problem its sheets would answer
    only = tmp_path / "only"
    only.mkdir()
    shutil.copy(WORKSHEET, only / "worksheet.yaml")
    assert_usage_error(check(str(only), "--problem", str(only / "worksheet.yaml")), "no answer sheets")


@needs_posix
def test_problem_overrides_what_the_sheets_name(tmp_path):
    """--problem names the problem for every sheet: a sheet's own problem: line (a file not
    there, or a link out of the folder) is then not opened."""
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(TWO_OUTPUTS, tmp_path / "elsewhere" / "two_outputs.txt")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "elsewhere" / "two_outputs.txt")
    a = write_sheet(tmp_path, "a.yaml", {"loss": LOSS}, problem="nothere.yaml")
    b = write_sheet(tmp_path, "b.yaml", {"loss": LOSS}, problem="link.yaml")
    records = check_json(a, b, "--problem", str(WORKSHEET), exit_code=0)
    assert [r["counts"]["correct"] for r in records] == [1, 1]
    records = check_json(a, b, exit_code=2)
    assert "there is no problem file 'nothere.yaml' beside the sheet" in records[0]["error"]
    assert "leads out of the sheet's folder" in records[1]["error"]


def test_a_named_sheet_that_does_not_exist_is_its_own_row(tmp_path):
    records = check_json(str(tmp_path / "nothere.yaml"), str(ANSWERS), exit_code=2)
    assert "no such file" in records[0]["error"]
    assert records[1]["error"] is None


def test_what_is_made_while_the_collector_is_off_is_still_collected():
    """Objects made while a class is graded go to the collector's oldest generation (so that
    turning it back on does not walk them all at once), not out of its reach: a cycle made then
    is freed by the next full collection, and nothing stays frozen."""
    import gc
    import weakref

    from nnsolve.cli.check import _no_cycle_collection

    class Node:
        pass

    with _no_cycle_collection(True):
        assert not gc.isenabled()
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle: reference counting alone never frees it
        gone = weakref.ref(a)
        del a, b
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert gone() is not None
    gc.collect()
    assert gone() is None


def test_a_class_leaves_the_cycle_collector_as_it_was(folder):
    """check turns Python's cycle collector off while it reads and grades a class (it would walk
    the sheets' trees for nothing) and back on after, also when a sheet is unreadable."""
    import gc

    (folder / "broken.yaml").write_text("alpha1: [0, \n")
    shutil.copy(ANSWERS, folder / "a.yaml")
    shutil.copy(ANSWERS, folder / "b.yaml")
    assert gc.isenabled()
    result = check(str(folder / "a.yaml"), str(folder / "b.yaml"), str(folder / "broken.yaml"), "--problem", str(WORKSHEET), "--json")
    assert result.exit_code == 2, result.stderr
    assert gc.isenabled()


# -- 5. slips: a known mistake is wrong, and named (issue 14) -----------------------------------


def test_the_old_weight_and_the_added_step_are_wrong_and_named(folder):
    """The worksheet's new W2[1,1] is 2 - 2(-0.04623902) = 2.09247804: 2 (the old weight) is
    within rtol 0.01 of it and wrong, and 2 + 2(-0.04623902) (the step added) is wrong; each is
    named. (Issue 14 writes the second as 2 + 2*0.04623902, which is the key itself: the
    derivative is negative.)"""
    for value, name in ((2, "old weight"), (2 + 2 * -0.04623902, "added the step")):
        [record] = check_json(write_sheet(folder, "s.yaml", {"new W2[1,1]": value}), exit_code=1)
        [answer] = record["answers"]
        assert answer["verdict"] == "wrong" and answer["slip"]["name"] == name, value
    result = check(write_sheet(folder, "s.yaml", {"new W2[1,1]": 2}))
    assert "new W2[1,1] is wrong: this is the old weight: the update was not applied (w)." in result.stdout
    [record] = check_json(write_sheet(folder, "s.yaml", {"new W2[1,1]": 2.09247804}), exit_code=0)
    assert record["answers"][0]["verdict"] == "correct" and record["answers"][0]["slip"] is None


def _random_network(folder: Path, n: int, rng) -> Network:
    """A worksheet-shaped problem with random numbers, sizable gradients (no saturated neuron)."""
    n0, n1, K = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 3))
    text = yaml.safe_dump({
        "x": rng.uniform(-1, 1, n0).round(2).tolist(), "y": rng.integers(0, 2, K).astype(float).tolist(),
        "W1": rng.uniform(-1, 1, (n0 + 1, n1)).round(2).tolist(), "W2": rng.uniform(-1, 1, (n1 + 1, K)).round(2).tolist(),
        "learning_rate": float(rng.choice([0.5, 2.0, 3.0])),
    })
    (folder / f"net{n}.yaml").write_text(text)
    return Network(folder / f"net{n}.yaml")


def hand_slips(net: Network) -> list[tuple[str, float, str]]:
    """(quantity, the value a slip gives, the slip's name) for each slip of each element of the
    network's answers, worked here from the test's own numbers (Network.work)."""
    key = net.work()
    vec = lambda name: np.atleast_1d(np.array(key[name], dtype=float))  # noqa: E731
    alpha1, beta1, d2, dl = vec("alpha1"), vec("beta1"), vec(_neuron("delta", 2, 1, 1)[:-1] + "2"), vec("dl/dy_hat")
    i1, i2 = np.r_[1.0, net.x], np.r_[1.0, beta1]
    through = net.W2[1:] @ d2  # dl/dbeta1: delta1 without sigmoid'
    g2, g1 = np.outer(i2, d2), np.outer(i1, beta1 * (1 - beta1) * through)
    new_W2 = net.W2 - net.lr * g2
    found = []
    for j in range(net.n1):
        a, b = _neuron("alpha", 1, j + 1, net.n1), _neuron("beta", 1, j + 1, net.n1)
        found += [(a, beta1[j], "beta for alpha"), (a, alpha1[j] - net.W1[0, j], "bias left out"), (b, alpha1[j], "alpha for beta")]
        d = _neuron("delta", 1, j + 1, net.n1)
        found += [(d, through[j], "no activation derivative"), (d, beta1[j] * (1 - beta1[j]) * (new_W2[1:] @ d2)[j], "updated weights")]
    for layer, W, g, inputs, plain in ((1, net.W1, g1, i1, through), (2, net.W2, g2, i2, dl)):
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                w, grad = f"W{layer}[{i},{j + 1}]", g[i, j]
                found += [(f"dl/d{w}", -grad, "sign flipped"), (f"dl/d{w}", 0.0, "zero"), (f"dl/d{w}", inputs[i] * plain[j], "no activation derivative")]
                found += [(f"new {w}", W[i, j], "old weight"), (f"new {w}", W[i, j] + net.lr * grad, "added the step"),
                          (f"new {w}", W[i, j] - grad, "lambda missing"), (f"new {w}", W[i, j] - net.lr ** 2 * grad, "lambda twice")]
    return found


def test_every_slip_on_random_networks_is_wrong_and_named(folder):
    """On random networks, each slip's value (worked by the test) answered alone is wrong and
    named; the key's own value is correct. A slip that coincides with the key or with another
    slip is left out (it cannot be told apart)."""
    rng = np.random.default_rng(14)
    sheets, expected = [], {}
    for n in range(6):
        net = _random_network(folder, n, rng)
        key = net.work()
        found = hand_slips(net)
        for quantity, value, name in found:
            right = np.asarray(key[quantity], dtype=float) if quantity in key else None
            if right is None or abs(value - float(np.ravel(right)[0] if right.size == 1 else right)) < 1e-6:
                continue
            if sum(1 for q, v, _ in found if q == quantity and abs(v - value) < 1e-9) > 1:
                continue
            path = write_sheet(folder, f"s{len(sheets):04d}.yaml", {quantity: value}, problem=net.file)
            sheets.append(path)
            expected[path] = (quantity, name)
    assert len(sheets) > 200 and {name for _, name in expected.values()} == {
        "beta for alpha", "bias left out", "alpha for beta", "no activation derivative", "updated weights",
        "sign flipped", "zero", "old weight", "added the step", "lambda missing", "lambda twice"}
    records = check_json(*sheets, exit_code=1)
    for record in records:
        quantity, name = expected[record["sheet"]]
        [answer] = record["answers"]
        assert (answer["verdict"], (answer["slip"] or {}).get("name")) == ("wrong", name), (record["sheet"], quantity)


def test_the_schema_lists_every_slip_name_and_each_slip_made_has_one():
    from nnsolve.slips import SLIP_NAMES, slips_of

    properties = check_schema().schema["definitions"]["graded"]["properties"]["answers"]["items"]["properties"]
    assert properties["slip"]["oneOf"][0]["properties"]["name"]["enum"] == list(SLIP_NAMES)
    files = PROBLEM_FILES + [ROOT / "docs" / "shared_bias.yaml"]  # (bias: shared: one neuron's delta)
    made = {slip.name for path in files for key in [solve(load_problem(str(path)))] for base in Catalog(key.problem).by_name for slip in slips_of(key, Catalog(key.problem).by_name[base].base)}
    assert "one neuron's delta" in made
    assert made <= set(SLIP_NAMES) and len(made) >= 10


def test_rounding_carried_is_named_on_a_wrong_answer_and_never_demotes_a_right_one(folder):
    """The worksheet cut sigmoid(24) to 0.999 and carried it: alpha2 = 1 + 2(0.5) - 4(0.999) =
    -1.996. Alone on a sheet, at rtol 5e-4, that is wrong, and named "rounding carried" (cut to 3
    decimals). At the default tolerance it is within the key's: correct, no slip (rounding that
    stays within the tolerance is no mistake). A made-up number is wrong with no slip."""
    chain = 1 + 2 * 0.5 - 4 * 0.999
    [record] = check_json(write_sheet(folder, "s.yaml", {"alpha2": chain}), "--rtol", "5e-4", "--atol", "0", exit_code=1)
    [answer] = record["answers"]
    assert answer["verdict"] == "wrong" and answer["slip"]["name"] == "rounding carried"
    assert "cutting every value to 3 decimals" in answer["slip"]["explanation"]
    [record] = check_json(write_sheet(folder, "s.yaml", {"alpha2": chain}), exit_code=0)
    assert record["answers"][0]["verdict"] == "correct" and record["answers"][0]["slip"] is None
    [record] = check_json(write_sheet(folder, "s.yaml", {"alpha2": -1.9}), "--rtol", "5e-4", "--atol", "0", exit_code=1)
    assert record["answers"][0]["verdict"] == "wrong" and record["answers"][0]["slip"] is None


def _half_up(value: float, digits: int) -> float:
    import decimal

    return float(decimal.Decimal(repr(float(value))).quantize(decimal.Decimal(1).scaleb(-digits), rounding=decimal.ROUND_HALF_UP))


def test_rounding_carried_on_random_networks(folder):
    """The test's own 2-decimal chain (each value rounded half up before the next uses it) of
    alpha2 and y_hat, answered alone at a tolerance it falls outside: wrong, rounding carried."""
    rng = np.random.default_rng(15)
    named = 0
    for n in range(12):
        net = _random_network(folder, n, rng)
        r = np.vectorize(lambda v: _half_up(v, 2))
        a1 = r(net.W1.T @ np.r_[1.0, net.x])
        b1 = r(_sigmoid(a1))
        a2 = r(net.W2.T @ np.r_[1.0, b1])
        y_hat = r(_sigmoid(a2))
        key = net.work()
        for name, chain in (("alpha2", a2), ("y_hat", y_hat)):
            exact = np.atleast_1d(np.asarray(key[name], dtype=float))
            apart = np.max(np.abs(chain - exact) / np.abs(exact))
            if apart < 1e-3:
                continue  # the rounding changed nothing that a tolerance can see
            value = float(chain[0]) if chain.size == 1 else chain.tolist()
            [record] = check_json(write_sheet(folder, "s.yaml", {name: value}, problem=net.file), "--rtol", "1e-4", "--atol", "0", exit_code=1)
            [answer] = record["answers"]
            assert answer["verdict"] == "wrong" and (answer["slip"] or {}).get("name") == "rounding carried", (n, name)
            named += 1
    assert named >= 8


# -- 6. the small things of issue 14 ----------------------------------------------------------


def test_a_glob_and_a_folder_skip_the_problem_file_alike(tmp_path):
    """`check class/*.yaml` (the shell's glob names the problem file too) grades as `check class/`:
    the problem file is skipped, with a note on stderr."""
    shutil.copy(WORKSHEET, tmp_path / "worksheet.yaml")
    for n in (1, 2):
        write_sheet(tmp_path, f"s{n}.yaml", {"loss": LOSS})
    named = sorted(str(p) for p in tmp_path.glob("*.yaml"))  # what the shell gives
    assert str(tmp_path / "worksheet.yaml") in named
    by_glob, by_folder = check(*named, "--json"), check(str(tmp_path), "--json")
    assert by_glob.exit_code == by_folder.exit_code == 0, by_glob.stderr
    assert by_glob.stdout == by_folder.stdout and len(by_glob.stdout.splitlines()) == 2
    for result in (by_glob, by_folder):
        assert result.stderr == f"nnsolve: note: skipped the problem file the sheets answer, not sheets: {tmp_path / 'worksheet.yaml'}\n"


def test_a_blank_sheet_is_an_error_not_a_silent_zero(folder):
    sheet = str(folder / "blank.yaml")
    (folder / "blank.yaml").write_text("problem: worksheet.yaml\nloss:\nbeta1:\n")
    result = check(sheet)
    assert result.exit_code == 2 and "answers nothing: every quantity is blank" in result.stderr
    assert "Score 0 of 0" not in result.stdout


def test_the_class_table_tells_sheets_apart_at_80_columns(tmp_path):
    from nnsolve.render.document import shared_folder

    deep = tmp_path / "instructor" / "classes" / "week7"
    deep.mkdir(parents=True)
    shutil.copy(WORKSHEET, deep / "worksheet.yaml")
    for n in (1, 2, 3):
        (deep / f"student-{n:02d}.yaml").write_text(f"problem: worksheet.yaml\nloss: {LOSS}\n")
    result = CliRunner().invoke(cli, ["check", str(deep)], env={"COLUMNS": "80"}, catch_exceptions=False)
    rows = [line.split()[0] for line in result.stdout.splitlines() if line.strip().startswith("student-")]
    assert rows == ["student-01.yaml", "student-02.yaml", "student-03.yaml"]
    assert f"3 sheets graded in {deep}{os.sep}" in result.stdout
    assert shared_folder(["a/x.yaml"]) == ("", ["a/x.yaml"])
    assert shared_folder(["a/b/x.yaml", "a/c/y.yaml"]) == ("a", ["b/x.yaml", "c/y.yaml"])
    assert shared_folder(["x.yaml", "y.yaml"]) == ("", ["x.yaml", "y.yaml"])


def test_one_sheet_graded_in_the_singular(folder):
    result = check(write_sheet(folder, "s.yaml", {"loss": LOSS}), str(folder / "missing.yaml"))
    assert "1 sheet graded" in result.stdout and "1 sheets" not in result.stdout


def test_verdicts_in_colour_on_a_terminal_and_not_with_no_color():
    import io

    from rich.console import Console

    from nnsolve.grading import Tolerance
    from nnsolve.problem import load_problem
    from nnsolve.render import document, terminal
    from nnsolve.sheet import Answer, Sheet

    problem = load_problem()
    catalog = Catalog(problem)
    sheet = Sheet("s.yaml", None, (Answer(catalog.find("loss"), np.array(LOSS), 2), Answer(catalog.find("new W2[1,1]"), np.array(2.0), 3)))
    report = grade(problem, sheet)
    for no_color, expected in ((False, True), (True, False)):
        console = Console(file=io.StringIO(), force_terminal=True, color_system="standard", width=100, no_color=no_color)
        terminal.write(document.check_document(report, Tolerance(), 8), console)
        text = console.file.getvalue()
        assert ("\x1b[32mcorrect" in text and "\x1b[31mwrong" in text) is expected


# -- 7. a gradebook file: check --format csv, --csv FILE (issue 14) ---------------------------


def _gradebook_class(tmp_path) -> list[str]:
    shutil.copy(WORKSHEET, tmp_path / "worksheet.yaml")
    shutil.copy(ANSWERS, tmp_path / "ada.yaml")
    write_sheet(tmp_path, "sam.yaml", {"loss": LOSS, "dl/dW2[1,1]": 0.04623902, "new W2[1,1]": 2}, student="Sam, Jr.")
    write_sheet(tmp_path, "kim.yaml", {"beta1": [0.5, 0.9], "y_hat": 0.12})
    (tmp_path / "bad.yaml").write_text("problem: worksheet.yaml\nloss: [1, \n")
    return [str(tmp_path / n) for n in ("ada.yaml", "bad.yaml", "kim.yaml", "sam.yaml")]


def test_the_csv_reads_back_as_the_json_lines(tmp_path):
    import csv
    import io

    sheets = _gradebook_class(tmp_path)
    as_csv, as_json = check(*sheets, "--format", "csv"), check(*sheets, "--json")
    assert as_csv.exit_code == as_json.exit_code == 2  # bad.yaml could not be read; the others are graded
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [r["sheet"] for r in rows] == [r["sheet"] for r in records] == sheets
    header = as_csv.stdout.splitlines()[0].split(",")
    assert header[:4] == ["sheet", "student", "score", "max_score"] and header[-2:] == ["slips", "error"]
    for row, record in zip(rows, records):
        if record["error"]:
            assert row["error"] == record["error"] and row["score"] == ""
            continue
        assert row["student"] == (record["student"] or "")
        assert float(row["score"]) == record["score"] and float(row["max_score"]) == record["max_score"]
        answered = {a["quantity"]: a for a in record["answers"]}
        for name in row:
            if name in answered:
                assert float(row[name]) == answered[name]["score"], (record["sheet"], name)
            elif name not in ("sheet", "student", "score", "max_score", "slips", "error"):
                assert row[name] == "", (record["sheet"], name)
        slips = [f"{a['quantity']}: {a['slip']['name']}" for a in record["answers"] if a["slip"]]
        assert row["slips"] == "; ".join(slips)
    assert rows[3]["slips"] == "dl/dW2[1,1]: sign flipped; new W2[1,1]: old weight" and rows[3]["student"] == "Sam, Jr."


def test_csv_to_a_file_beside_the_table(tmp_path):
    sheets = _gradebook_class(tmp_path)
    target = tmp_path / "grades.csv"
    result = check(*sheets, "--csv", str(target))
    assert result.exit_code == 2 and "sheets graded" in result.stdout  # the table as ever, and the file
    assert target.read_text() == check(*sheets, "--format", "csv").stdout
    assert_usage_error(check(*sheets, "--csv", str(target)), "grades.csv", "already exists", "--force")
    assert check(*sheets, "--csv", str(target), "--force").exit_code == 2
    assert_usage_error(check(*sheets, "--json", "--format", "csv"), "--json and --format csv")
    assert_usage_error(check("--template", "--csv", str(target)), "drop --csv")
    assert_usage_error(check(*sheets, "--force"), "--force is for --gradescope and --csv")


def test_a_wrong_answer_names_a_departure_only_among_the_answers_it_follows_from(tmp_path):
    """new W2[1,1] follows from dl/dW2[1,1] (right here), not from new W2[0,1] (wrong before it):
    it is wrong on its own, and the note says so instead of blaming the other update."""
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text("new W2[0,1]: 1.5\ndl/dW2[1,1]: -0.04624\nnew W2[1,1]: 2.5\n", encoding="utf-8")
    [record] = check_json(str(sheet), exit_code=1)
    departures = {a["quantity"]: a["first_departure"] for a in record["answers"]}
    assert departures == {"new W2[0,1]": None, "dl/dW2[1,1]": None, "new W2[1,1]": None}
    assert "new W2[1,1] is wrong: your working first leaves the key here." in check(str(sheet)).stdout
    # where an answer it does follow from left the key, that one is named
    sheet.write_text("beta1: [0.5, 0.9]\nnew W2[0,1]: 1.5\nalpha2: -1.5\n", encoding="utf-8")
    [record] = check_json(str(sheet), exit_code=1)
    departures = {a["quantity"]: a["first_departure"] for a in record["answers"]}
    assert departures["alpha2"] == "beta1" and departures["new W2[0,1]"] == "beta1"


# problems/wxb_relu_softmax.yaml's W1 has 3 inputs and 2 neurons, W2 2 and 2, in each convention:
# an answer to shape W1 or W2 -> the slip check names (None: correct, or wrong and no slip)
SHAPE_SLIPS = {
    "bias-row": {"W1": {(4, 2): None, (2, 4): "transposed", (3, 2): "bias left out", (2, 3): "transposed", (5, 7): "wrong"},
                 "W2": {(3, 2): None, (2, 3): "transposed", (2, 2): "bias left out"}},
    "Wx+b": {"W1": {(2, 3): None, (3, 2): "transposed", (2, 4): "bias added", (4, 2): "transposed", (5, 7): "wrong"},
             "W2": {(2, 2): None, (2, 3): "bias added", (3, 2): "transposed"}},
    "xW+b": {"W1": {(3, 2): None, (2, 3): "transposed", (4, 2): "bias added", (2, 4): "wrong"},
             "W2": {(2, 2): None, (3, 2): "bias added"}},
}


@pytest.mark.parametrize("convention", list(SHAPE_SLIPS))
def test_check_names_a_shape_transposed_or_with_the_bias_left_out_or_added(convention, tmp_path):
    """A weight matrix's shape as the other orientation writes it, without bias-row's bias row, or
    with the bias counted in W in Wx+b and xW+b: wrong and named, through check as a user types it.
    The right shape is correct and names nothing, and so is W2's in Wx+b and xW+b, which is square:
    transposed, it is the key (a slip that gives the key is passed over)."""
    (tmp_path / "p.yaml").write_text(invoke("convert", str(PROBLEMS / "wxb_relu_softmax.yaml"), "--to", convention).stdout)
    sheet = tmp_path / "s.yaml"
    for layer, answers in SHAPE_SLIPS[convention].items():
        for shape, slip in answers.items():
            sheet.write_text(f"problem: p.yaml\nshape {layer}: {list(shape)}\n")
            result = invoke("check", str(sheet), "--json")
            record = json.loads(result.stdout)
            check_schema().validate(record)
            [answer] = record["answers"]
            assert answer["verdict"] == ("correct" if slip is None else "wrong"), (layer, shape, answer)
            assert (answer["slip"] or {}).get("name") == (None if slip in (None, "wrong") else slip), (layer, shape, answer)
            assert result.exit_code == (0 if slip is None else 1)
    shape, words = {
        "bias-row": ([2, 4], "W1 has row 0 for the bias weights, then a row per input, and a column per neuron (neurons x (inputs + 1))"),
        "Wx+b": ([3, 2], "W1 has a row per neuron and a column per input, b1 apart (inputs x neurons)"),
        "xW+b": ([2, 3], "W1 has a row per input and a column per neuron, b1 apart (neurons x inputs)"),
    }[convention]
    sheet.write_text(f"problem: p.yaml\nshape W1: {shape}\n")
    assert f"shape W¹ is wrong: the rows and columns are swapped: {words}." in invoke("check", str(sheet)).stdout


def test_the_worksheets_shapes_with_the_bias_row_left_out_and_transposed(tmp_path):
    """The worksheet (bias-row): W1 is 3 x 2 and W2 3 x 1; 2 x 2 and 2 x 1 leave the bias row out,
    1 x 3 is W2 transposed, 1 x 2 W2 as Wx+b writes it."""
    path = tmp_path / "s.yaml"
    for answers, names in (("shape W1: [2, 2]\nshape W2: [2, 1]\n", ["bias left out", "bias left out"]),
                           ("shape W1: [3, 2]\nshape W2: [1, 3]\n", [None, "transposed"]), ("shape W2: [1, 2]\n", ["transposed"])):
        path.write_text(answers)
        record = json.loads(invoke("check", str(path), "--json").stdout)
        assert [(a["slip"] or {}).get("name") for a in record["answers"]] == names
    text = invoke("check", str(path)).stdout
    assert ("shape W² is wrong: the rows and columns are swapped and the bias row left out: this is W2 as Wx+b writes it, b2 apart; "
            "here W2 has row 0 for the bias weights, then a row per input, and a column per neuron (neurons x inputs).") in text


def test_a_sheet_takes_a_shape_as_the_tutor_does(tmp_path):
    """shape W1: 3x2 (or 3 × 2, 3 X 2) on a sheet, as the tutor takes it typed; [3, 2] as before."""
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text("shape W1: 3x2\nshape W2: 3 × 1\n", encoding="utf-8")
    [record] = check_json(str(sheet), exit_code=0)
    assert [(a["quantity"], a["answer"], a["verdict"]) for a in record["answers"]] == [
        ("shape W1", [3, 2], "correct"), ("shape W2", [3, 1], "correct")]
    sheet.write_text("shape W1: 3y2\n", encoding="utf-8")
    assert "shape W1: is '3y2', not a shape; write it as rows x columns, such as 3x2 or [3, 2]" in check(str(sheet)).stderr
