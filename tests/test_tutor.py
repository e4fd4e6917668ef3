"""`nnsolve tutor` (issue 16): the worksheet asked one quantity at a time, each answer graded as
it is typed by the grading code of `nnsolve check`. Driven through a real pseudo-terminal
(pexpect) and with answers piped in."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from nnsolve.expressions import read_answer
from nnsolve.problem import load_problem
from nnsolve.tutor import Session
from conftest import PROBLEMS, ROOT, invoke, needs_posix


def key_lines(problem=None) -> list[str]:
    """Each question's key value, as a student types it (full precision)."""
    session = Session(load_problem(problem))
    lines = []
    for q in session.asked:
        value = np.asarray(session.catalog.value(session.key, q), dtype=float)
        lines.append(", ".join(repr(float(v)) for v in value.ravel()))
    return lines


def piped(lines: list[str], *args: str, cwd=None) -> subprocess.CompletedProcess:
    """`nnsolve tutor ARGS` with the lines as its input, as a script pipes them."""
    return subprocess.run([sys.executable, "-m", "nnsolve", "tutor", *args], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, encoding="utf-8", cwd=cwd or ROOT, timeout=60)


# -- typed numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize("text, value", [
    ("0.5", 0.5), ("-1.996", -1.996), ("1/(1+e^2)", 1 / (1 + np.e ** 2)), ("2 - 2*-0.046", 2.092), ("2^-1", 0.5),
    ("sigmoid(24)", 1 / (1 + np.exp(-24))), ("sqrt(4) + ln(e)", 3.0), ("2pi", 2 * np.pi), ("1.5e-3", 0.0015), ("−0.5", -0.5),
])
def test_what_a_person_types_is_read_as_a_number(text, value):
    assert float(read_answer(text)) == pytest.approx(value, rel=1e-15)


def test_a_list_is_a_vector():
    np.testing.assert_array_equal(read_answer("0.5, 0.999"), [0.5, 0.999])
    np.testing.assert_array_equal(read_answer("[0.5, 1/2]"), [0.5, 0.5])


@pytest.mark.parametrize("text, fragment", [
    ("abc", "unknown name 'abc'"), ("(1+2", "never closed"), ("1+2)", "never opened"), ("1e400", "not a finite number"),
    ("10^10000", "too large"), ("1/0", "divides by zero"), ("log(-1)", "not defined"), ("__import__('os')", "unknown function"),
    ("(1).real", "only numbers"), ("[1 for x in y]", "cannot read"), ("", "nothing typed"), ("1,,2", "empty entry"), ("x" * 600, "longer than"),
])
def test_what_cannot_be_read_gets_one_clear_message(text, fragment):
    with pytest.raises(ValueError, match=None) as e:
        read_answer(text)
    assert fragment in str(e.value) and "\n" not in str(e.value)


# -- piped in -----------------------------------------------------------------------------------------


def test_the_worksheet_answered_right_end_to_end_exits_0():
    result = piped(key_lines())
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert result.stdout.count("✓ correct") == 18 and "✗" not in result.stdout
    assert "Done: 18 questions: 18 right first time, 0 after a hint, 0 after another try, 0 shown." in result.stdout
    assert "\x1b[" not in result.stdout  # no colour in a pipe
    assert result.stderr == ""


def test_a_wrong_beta_then_answers_from_it_are_carried_forward():
    lines = key_lines()
    beta = [0.5, 0.9]
    own = Session(load_problem(None))
    from nnsolve.grading import student_state  # the state of a student whose beta1 is theirs
    from nnsolve.sheet import Answer

    state = student_state(own.problem, [Answer(own.catalog.by_name["beta1"], np.asarray(beta), 0)])
    followed = [", ".join(repr(float(v)) for v in np.ravel(own.catalog.value(state, q))) for q in own.asked]
    answers = lines[:3] + ["0.5, 0.9", "skip"] + followed[4:]
    result = piped(answers)
    assert result.returncode == 1  # beta1 stays wrong
    out = result.stdout
    assert "β¹ (2 numbers) = 0.5, 0.9\n  ✗ wrong" in out
    assert "α² = " + followed[4] + "\n  ✓ right from your own earlier answers (carried forward; your working left the key at β¹)" in out
    assert out.count("carried forward") >= 5
    assert "Still wrong: β¹." in out


def test_a_slip_is_named_and_hints_come_in_order_then_show():
    lines = key_lines()
    at = 12  # new W2[1,1]
    answers = lines[:at] + ["2", "hint", "hint", "hint", "show"] + lines[at + 1:]
    result = piped(answers)
    out = result.stdout
    assert "new W2[1,1] = 2\n  ✗ wrong: this is the old weight: the update was not applied (w)" in out
    assert "  type hint for the formula, show for the answer, or try again" in out
    first, second, third = out.split("  hint: ")[1:3] + [out.split("no more hints")[0][-200:]]
    assert first.startswith("new W2[1,1] = w − λ ∂ℓ/∂w")
    assert second.startswith("new W2[1,1] = W2[1,1] − λ ∂ℓ/∂W2[1,1] = 2 − (2)(-0.04623902)")
    assert "no more hints: type show to see the answer" in out
    assert "new W2[1,1] = 2.09247804 (shown)" in out
    assert result.returncode == 1 and "Shown: new W2[1,1]." in out


def test_bad_input_gets_one_line_and_the_question_again():
    lines = key_lines()
    result = piped(["three", "(3, 2", "1e400", "[3, 2"] + lines)
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    for fragment in ("unknown name 'three'", "never closed", "not a finite number"):
        assert fragment in out
    assert out.count("shape W¹ (2 numbers) = ") == 5  # asked again after each
    assert result.returncode == 0


def test_saved_then_checked_gives_the_same_verdicts(tmp_path):
    lines = key_lines()
    # a wrong beta1 (then answers from the key, some no longer carried), a wrong dl/dy_hat, the old weight
    answers = lines[:3] + ["0.5, 0.9", "skip"] + lines[4:8] + ["0.1", "skip"] + lines[9:12] + ["2", "skip"] + lines[13:]
    result = piped(answers + ["quit"], "--save", str(tmp_path / "me.yaml"))
    assert result.returncode == 1
    tutor_verdicts = [line.strip() for line in result.stdout.splitlines() if line.startswith(("  ✓", "  ✗"))]
    check = invoke("check", str(tmp_path / "me.yaml"), "--json")
    record = json.loads(check.stdout)
    assert len(record["answers"]) == len(tutor_verdicts) == 18
    by_name = {a["quantity"]: a for a in record["answers"]}
    asked = [q.name for q in Session(load_problem(None)).asked]  # the tutor's order: one verdict each
    assert sum(a["verdict"] == "wrong" for a in record["answers"]) >= 3
    for answer, said in zip((by_name[name] for name in asked), tutor_verdicts):
        expected = {"correct": "✓ correct", "carried forward": "✓ right from", "wrong": "✗"}[answer["verdict"]]
        assert said.startswith(expected), (answer["quantity"], answer["verdict"], said)


def test_a_file_that_is_not_a_problem_is_one_error_line():
    result = piped([], str(ROOT / "README.md"))
    assert result.returncode == 2 and result.stderr.startswith("nnsolve: error: ") and "Traceback" not in result.stderr


def test_save_refuses_to_overwrite_without_force(tmp_path):
    (tmp_path / "me.yaml").write_text("x")
    result = piped([], "--save", str(tmp_path / "me.yaml"))
    assert result.returncode == 2 and "--force" in result.stderr


def test_a_wx_plus_b_problem_is_asked_in_its_notation(tmp_path):
    (tmp_path / "wxb.yaml").write_text(invoke("convert", str(PROBLEMS / "worksheet.yaml"), "--to", "Wx+b").stdout)
    result = piped(key_lines(str(tmp_path / "wxb.yaml")), str(tmp_path / "wxb.yaml"))
    assert result.returncode == 0, result.stdout[-1500:]
    assert "z¹ (2 numbers) = " in result.stdout and "∂L/∂W1[1,2] = " in result.stdout and "new W1[1,2] = " in result.stdout


# -- a real terminal ------------------------------------------------------------------------------------


try:  # (a module-level importorskip would skip the piped tests above too)
    import pexpect
except ImportError:
    pexpect = None


def spawn(*args: str, cwd=ROOT):
    if pexpect is None:
        pytest.skip("pexpect is not installed (it is in the test extras: pip install -e '.[test]')")
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb"}
    return pexpect.spawn(sys.executable, ["-m", "nnsolve", "tutor", *args], cwd=str(cwd), env=env, encoding="utf-8", timeout=30)


@needs_posix
def test_a_terminal_session_end_to_end():
    child = spawn()
    for line in key_lines():
        child.expect(r" = $")
        child.sendline(line)
        child.expect("✓ correct")
    child.expect("Done: 18 questions: 18 right first time")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


@needs_posix
def test_resume_after_the_terminal_is_killed(tmp_path):
    lines = key_lines()
    child = spawn("--save", str(tmp_path / "me.yaml"))
    for line in lines[:4]:  # the shapes, alpha1, beta1
        child.expect(r" = $")
        child.sendline(line)
        child.expect("✓ correct")
    child.expect(r"α² = $")
    child.kill(signal.SIGKILL)
    child.close()
    saved = (tmp_path / "me.yaml").read_text()
    assert "beta1: [0.5, 0.9999999999622486]" in saved and "alpha2" not in saved
    child = spawn("--resume", str(tmp_path / "me.yaml"))
    child.expect(r"α² = $")  # the first question not yet answered
    for line in lines[4:]:
        child.sendline(line)
        child.expect("✓ correct")
        if line is not lines[-1]:
            child.expect(r" = $")
    child.expect("Done: 18 questions: 18 right first time")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    record = json.loads(invoke("check", str(tmp_path / "me.yaml"), "--json").stdout)
    assert record["counts"]["correct"] == 18


def test_skip_and_back():
    lines = key_lines()
    # skip shape W1, answer shape W2, then at alpha1 go back to shape W2 (asked again) and answer it
    result = piped(["skip", lines[1], "back", lines[1], "quit"])
    prompts = [line.split(" = ")[0] for line in result.stdout.splitlines() if " (2 numbers) = " in line]
    assert prompts == ["shape W¹ (2 numbers)", "shape W² (2 numbers)", "α¹ (2 numbers)", "shape W² (2 numbers)", "α¹ (2 numbers)"]
    assert "Not answered: shape W¹, α¹" in result.stdout and result.returncode == 1
