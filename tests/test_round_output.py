"""--round / --sig / --round-mode on run and grad: what a user sees and what scripts read."""

from __future__ import annotations

import json

import jsonschema
import pytest

from conftest import PROBLEM_FILES, assert_usage_error, invoke, run_json


def schema(name: str) -> dict:
    return json.loads(invoke("schema", name).stdout)


def test_run_round_3_json_holds_the_rounded_working():
    data = run_json("--round", "3")
    jsonschema.Draft7Validator(schema("solution")).validate(data)
    assert data["layers"][0]["beta"] == [0.5, 1.0]  # sigma(24) = 0.99999999996 rounds to 1
    assert data["layers"][1]["alpha"] == [-2.0]
    assert data["y_hat"] == [0.119] and data["loss"] == 0.388
    assert data["updated"]["W1"][2][0] == 1.47
    rounding = data["rounding"]
    assert rounding["digits"] == 3 and rounding["mode"] == "half-up" and rounding["significant"] is False
    assert rounding["max_difference"]["quantity"] == "new W1[2,1]"
    assert rounding["max_difference"]["difference"] == pytest.approx(1.47 - 1.4623902161940028)
    assert run_json()["rounding"] is None


def test_run_round_terminal_marks_rounded_results():
    out = invoke("run", "--round", "3").stdout
    assert out.splitlines()[1].startswith("Hand-rounded working: every intermediate is rounded to 3 decimals, half-up,")
    assert "β¹₂ = sigmoid(24) ≈ 1\n" in out
    assert "α² = (1)(1) + (2)(0.5) + (-4)(1) ≈ -2\n" in out
    assert "δ¹₁ = 0.25 · [(2)(-0.093)] = 0.25 · (-0.186) ≈ -0.047" in out
    assert out.rstrip().endswith("the largest difference from the exact result is 0.00760978, in new W1[2,1].")


def test_truncate_gives_the_worksheets_own_numbers():
    """The worksheet truncated sigma(24) to 0.999 and carried it on: alpha2 = -1.996."""
    data = run_json("--round", "3", "--round-mode", "truncate")
    assert data["layers"][0]["beta"] == [0.5, 0.999]
    assert data["layers"][1]["alpha"] == [-1.996]


def test_sig_figures():
    data = run_json("--sig", "3")
    assert data["rounding"]["significant"] is True
    assert data["y_hat"] == [0.119]
    assert data["layers"][0]["delta"][0] == pytest.approx(-0.0463, abs=1e-12)


def test_grad_round_4_rounds_each_factor_then_the_product():
    result = invoke("grad", "W1[2,1]", "--round", "4", "--json")
    g = json.loads(result.stdout)
    jsonschema.Draft7Validator(schema("grad")).validate(g)
    assert [f["value"] for f in g["paths"][0]] == [-0.8808, 0.105, 2.0, 0.25, 5.0]
    assert g["gradient"] == -0.2312 and g["updated"] == 1.4624
    assert g["exact_gradient"] == pytest.approx(-0.23119511, abs=5e-9)
    assert g["rounding"] == {"digits": 4, "mode": "half-up", "significant": False}
    out = invoke("grad", "W1[2,1]", "--round", "4").stdout
    assert "product = (-0.8808)(0.105)(2)(0.25)(5) ≈ -0.2312" in out
    assert "1 − (2)(-0.2312) ≈ 1.4624" in out
    assert "exactly it is -0.23119511" in out


def test_grad_all_with_rounding_validates():
    data = json.loads(invoke("grad", "--all", "--round", "2", "--json").stdout)
    jsonschema.Draft7Validator(schema("grad-all")).validate(data)
    assert data["rounding"]["digits"] == 2


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: p.name)
def test_every_problem_rounds_and_renders(path):
    for fmt in ("text", "markdown", "latex", "json"):
        assert invoke("run", str(path), "--round", "2", "--format", fmt).exit_code == 0
    assert "\\approx" in invoke("run", str(path), "--round", "2", "--format", "latex").stdout


def test_rounding_usage_errors():
    assert_usage_error(invoke("run", "--round", "3", "--sig", "2"), "give one")
    assert_usage_error(invoke("run", "--round-mode", "truncate"), "--round-mode needs --round N or --sig N")
    assert_usage_error(invoke("run", "--round", "-1"), "--round")
    assert_usage_error(invoke("run", "--round", "16"), "0<=x<=15")
    assert_usage_error(invoke("grad", "W2[1,1]", "--sig", "0"), "--sig")
    assert_usage_error(invoke("grad", "W2[1,1]", "--round", "2", "--round-mode", "down"), "'down'")
