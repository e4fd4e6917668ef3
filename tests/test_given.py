"""`--given NAME=VALUE` on run and grad: what follows from a student's own numbers (issue 4)."""

from __future__ import annotations

import json
import math

import jsonschema
import pytest

from conftest import assert_usage_error, invoke, run_json

from nnsolve.render.numbers import fmt

# what `nnsolve run --given 'beta1=[0.5,0.999]'` must give (issue 4, "Done when"), to 8 decimals
FROM_0_999 = {
    "alpha2": -1.996,
    "y_hat": 0.11962354,
    "loss": 0.38753136,
    "dl/dW2[1,1]": -0.04635787,
    "dl/dW1[2,1]": -0.23178936,
    "new W2[1,1]": 2.09271574,
    "new W1[2,1]": 1.46357872,
}
# what ../shared/worksheet.md prints for them, having cut beta1_2 = sigma(24) to 0.999
PRINTED = {
    "alpha2": "-1.996",
    "y_hat": "0.119623",
    "loss": "0.38753",
    "dl/dW2[1,1]": "-0.04635772",
    "dl/dW1[2,1]": "-0.23178",
    "new W2[1,1]": "2.0927",
    "new W1[2,1]": "1.4636",
}


def picked(data: dict) -> dict:
    """The quantities of FROM_0_999 out of `run --json`."""
    return {
        "alpha2": data["layers"][1]["alpha"][0],
        "y_hat": data["y_hat"][0],
        "loss": data["loss"],
        "dl/dW2[1,1]": data["gradients"]["W2"][1][0],
        "dl/dW1[2,1]": data["gradients"]["W1"][2][0],
        "new W2[1,1]": data["updated"]["W2"][1][0],
        "new W1[2,1]": data["updated"]["W1"][2][0],
    }


def schema(name: str) -> dict:
    return json.loads(invoke("schema", name).stdout)


def test_given_beta1_gives_the_worksheets_numbers():
    data = run_json("--given", "beta1=[0.5,0.999]")
    jsonschema.Draft7Validator(schema("solution")).validate(data)
    got = picked(data)
    for name, expected in FROM_0_999.items():
        assert got[name] == pytest.approx(expected, abs=5e-9), name
    # within a relative 1e-5 of the number the worksheet prints, where its digits allow that
    for name in ("alpha2", "y_hat", "loss", "dl/dW2[1,1]", "new W2[1,1]"):
        assert got[name] == pytest.approx(float(PRINTED[name]), rel=1e-5), name
    # the worksheet cut -0.23178936 and 1.46357872 to 5 significant figures: a relative 4e-5 and
    # 1.5e-5 off; they agree to every digit it prints (within one unit of the last)
    for name in ("dl/dW1[2,1]", "new W1[2,1]"):
        unit = 10.0 ** -len(PRINTED[name].split(".")[1])
        assert abs(got[name] - float(PRINTED[name])) < unit, name
    # and it says what was given and what the working gives instead
    assert data["given"]["beta1"]["value"] == [0.5, 0.999]
    assert data["given"]["beta1"]["computed"][1] == pytest.approx(1 / (1 + math.exp(-24)), rel=1e-15)


def test_given_y_hat_as_the_worksheet_cut_it():
    """The worksheet also cut y_hat to 0.119623 before going on: from there its loss and
    dl/dW2[1,1] come out as it prints them."""
    data = run_json("--given", "beta1=[0.5,0.999]", "--given", "y_hat=0.119623")
    assert data["loss"] == pytest.approx(0.38753, rel=1e-5)
    assert data["gradients"]["W2"][1][0] == pytest.approx(-0.04635772, rel=1e-6)


def test_an_element_name_gives_the_same_as_the_whole():
    whole = run_json("--given", "beta1=[0.5,0.999]")
    element = run_json("--given", "beta1_2=0.999")
    assert picked(element) == pytest.approx(picked(whole), rel=1e-12, abs=0)
    assert element["layers"][0]["beta"] == [0.5, 0.999]


def test_given_on_grad():
    result = invoke("grad", "W1[2,1]", "--given", "beta1=[0.5,0.999]", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    jsonschema.Draft7Validator(schema("grad")).validate(data)
    assert data["gradient"] == pytest.approx(FROM_0_999["dl/dW1[2,1]"], abs=5e-9)
    assert data["updated"] == pytest.approx(FROM_0_999["new W1[2,1]"], abs=5e-9)
    factors = {f["symbol"]: f["value"] for f in data["paths"][0]}
    assert factors["dl/dy_hat"] == pytest.approx(-0.88037646, abs=5e-9)
    assert factors["dbeta1_1/dalpha1_1"] == 0.25
    assert math.prod(factors.values()) == pytest.approx(data["gradient"], rel=1e-12)

    result = invoke("grad", "W2[1,1]", "--given", "beta1_2=0.999", "--json")
    data = json.loads(result.stdout)
    assert data["gradient"] == pytest.approx(FROM_0_999["dl/dW2[1,1]"], abs=5e-9)
    assert data["updated"] == pytest.approx(FROM_0_999["new W2[1,1]"], abs=5e-9)

    # grad --all follows the given values too
    result = invoke("grad", "--all", "--given", "beta1=[0.5,0.999]", "--json")
    weights = {w["weight"]: w for w in json.loads(result.stdout)["weights"]}
    assert weights["W1[2,1]"]["gradient"] == pytest.approx(FROM_0_999["dl/dW1[2,1]"], abs=5e-9)


def test_a_given_gradient_gives_the_update():
    data = run_json("--given", "dl/dW2[1,1]=-0.05")
    assert data["gradients"]["W2"][1][0] == -0.05
    assert data["updated"]["W2"][1][0] == pytest.approx(2.1, rel=1e-15)
    assert data["updated"]["W2"][0][0] == pytest.approx(run_json()["updated"]["W2"][0][0], rel=1e-15)  # the rest as computed
    result = invoke("grad", "W2[1,1]", "--given", "dl/dW2[1,1]=-0.05", "--json")
    assert json.loads(result.stdout)["updated"] == pytest.approx(2.1, rel=1e-15)


def test_other_problems_and_deeper_quantities():
    plain = run_json("problems/two_outputs.yaml")
    given = run_json("problems/two_outputs.yaml", "--given", "delta2=[0.1,-0.2]")
    assert given["layers"][1]["delta"] == [0.1, -0.2]
    assert given["layers"][0]["delta"] != plain["layers"][0]["delta"]
    assert given["y_hat"] == plain["y_hat"]  # before it: unchanged
    assert given["gradients"]["W2"][0] == [0.1, -0.2]  # the bias input is 1


def test_the_terminal_output_marks_given_values():
    result = invoke("run", "--given", "beta1=[0.5,0.999]", "--digits", "6")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Given: " in out and "in place of the computed" in out
    assert "0.999 (given; the working gives 0.99999999996)" in out
    assert "-1.996" in out and "0.119624" in out  # alpha2 and y_hat follow from it
    result = invoke("run", "--given", "dl/dW2[1,1]=-0.05")
    assert "(given)" in result.stdout
    # one element of a weight's derivative is named as the element, not the whole matrix
    assert "Given: ∂ℓ/∂W2[1,1] = -0.05 in place of the computed -0.04623902;" in result.stdout
    result = invoke("run", "--given", "dl/dW2=[[0.1],[0.2],[0.3]]")
    assert "Given: ∂ℓ/∂W² = [0.1, 0.2, 0.3] in place of the computed" in result.stdout  # one style: ∂ℓ/∂W² as ∂ℓ/∂W2[1,1]
    result = invoke("grad", "W1[2,1]", "--given", "beta1=[0.5,0.999]")
    assert "Given: " in result.stdout and "-0.23178936" in result.stdout


@pytest.mark.parametrize("command", [("run",), ("grad", "W1[2,1]")])
@pytest.mark.parametrize(
    "given, fragments",
    [
        ("betta1=[0.5,0.999]", ("is not a quantity of this problem", "did you mean 'beta1'")),
        ("dl/dW2[5,1]=1", ("is not a quantity of this problem",)),
        ("beta1=[0.5]", ("has 1 value; beta1 has 2",)),
        ("beta1=[0.5,0.9,1]", ("has 3 values; beta1 has 2",)),
        ("beta1=0.5", ("is one number; beta1 has 2 values",)),
        ("beta1_2=[[1,2]]", ("is a list; it is one number",)),
        ("beta1_2={a: 1}", ("is a mapping, not a number",)),
        ("beta1", ("write NAME=VALUE",)),
        ("beta1=", ("write NAME=VALUE",)),
        ("=0.5", ("write NAME=VALUE",)),
        ("loss=0.3", ("--given loss: nothing after it is computed from it",)),
        ("prediction=1", ("nothing after it is computed from it",)),
        ("shape W1=[3,2]", ("nothing after it is computed from it",)),
        ("new W2[1,1]=3", ("nothing after it is computed from it",)),
        ("dalpha2/dW2[1,1]=0.5", ("nothing after it is computed from it",)),
        ("beta1_2=.nan", ("not a finite number",)),
        ("beta1_2=.inf", ("not a finite number",)),
        ("beta1_2=-.inf", ("not a finite number",)),
        ("beta1_2=1e999", ("too large for float64",)),
        ("beta1_2='0.9'", ("(in quotes), not a number", "remove the quotes")),
        ("beta1_2=yes", ("which YAML reads as true",)),
        ("beta1_2=abc", ("is 'abc', not a number",)),
        ("beta1_2=!!python/object/apply:os.system [echo]", ("the YAML tag '!!python/object/apply:os.system' is not allowed",)),
        ("beta1_2=0.9\nbeta1_1: 3", ("write NAME=VALUE",)),  # one value per --given: no second line
        ("student=bob", ("is not a quantity",)),
        ("problem=x.yaml", ("is not a quantity",)),
    ],
)
def test_bad_given(command, given, fragments):
    assert_usage_error(invoke(*command, "--given", given), "--given", *fragments)


def test_a_value_given_twice():
    assert_usage_error(invoke("run", "--given", "beta1_2=0.9", "--given", "beta1=[0.5,0.9]"), "--given beta1_2 gives it already")
    assert_usage_error(invoke("run", "--given", "y_hat=0.2", "--given", "beta2=0.2"), "--given y_hat gives it already")
    assert_usage_error(invoke("run", "--given", "beta1_2=0.9", "--given", "beta1_2=0.8"), "gives it already")
    # two elements of one vector are two values
    data = run_json("--given", "beta1_1=0.3", "--given", "beta1_2=0.9")
    assert data["layers"][0]["beta"] == [0.3, 0.9]


# -- the loss of the y_hat in use (issue 14): a given or hand-rounded y_hat, every loss ----------

@pytest.mark.parametrize("problem, given, expected", [
    ("problems/binary_cross_entropy.yaml", "y_hat=0.65", -math.log(0.65)),  # y = 1
    ("problems/softmax_cross_entropy.yaml", "y_hat=[0.2,0.3,0.5]", -math.log(0.3)),  # y = [0, 1, 0]
    ("problems/worksheet.yaml", "y_hat=0.65", 0.5 * (1 - 0.65) ** 2),  # squared error
])
def test_the_loss_is_the_loss_of_the_given_y_hat(problem, given, expected):
    data = run_json(problem, "--given", given)
    assert data["loss"] == pytest.approx(expected, rel=1e-12)
    text = invoke("run", problem, "--given", given).stdout
    assert f"= {fmt(expected, 8)}" in text  # the printed equation and its value agree (0.06125, not its float noise)


def test_a_student_s_own_y_hat_and_its_loss_are_graded_from_each_other(tmp_path):
    """A wrong y_hat, and the loss worked from it (-ln 0.65 for BCE with y = 1): the loss is
    carried forward, not wrong; a sheet that gives no y_hat is graded from the key's, in the
    same class."""
    from test_check import check_json

    (tmp_path / "own.yaml").write_text(f"y_hat: 0.65\nloss: {-math.log(0.65):.6f}\n")
    (tmp_path / "key.yaml").write_text(f"loss: {run_json('problems/binary_cross_entropy.yaml')['loss']:.6f}\n")
    (tmp_path / "wrong.yaml").write_text("y_hat: 0.65\nloss: 0.429587\n")  # the loss from alpha, not from 0.65
    records = {r["sheet"].rsplit("/", 1)[-1]: r for r in check_json(
        str(tmp_path / "own.yaml"), str(tmp_path / "key.yaml"), str(tmp_path / "wrong.yaml"),
        "--problem", "problems/binary_cross_entropy.yaml", "--rtol", "1e-5", "--atol", "1e-6")}
    loss = {name: next(a for a in r["answers"] if a["quantity"] == "loss") for name, r in records.items()}
    assert loss["own.yaml"]["verdict"] == "carried forward"
    assert loss["own.yaml"]["recomputed"] == pytest.approx(-math.log(0.65), rel=1e-12)
    assert loss["key.yaml"]["verdict"] == "correct"
    assert loss["wrong.yaml"]["verdict"] == "wrong"


@pytest.mark.parametrize("problem", ["problems/binary_cross_entropy.yaml", "problems/softmax_cross_entropy.yaml"])
def test_hand_rounded_working_writes_the_loss_of_its_rounded_y_hat(problem):
    """With --round 3 the log loss is that of the rounded y_hat (the equation as written), rounded."""
    data = run_json(problem, "--round", "3")
    y, y_hat = data["problem"]["y"], data["y_hat"]
    y = y if isinstance(y, list) else [y]
    terms = [t * math.log(p) for t, p in zip(y, y_hat) if t > 0]
    if problem.endswith("binary_cross_entropy.yaml"):
        terms += [(1 - t) * math.log(1 - p) for t, p in zip(y, y_hat) if t < 1]
    assert data["loss"] == pytest.approx(round(-sum(terms), 3), abs=1e-12)
