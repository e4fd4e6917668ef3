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
    ("(1)(1) + (2)(0.5) + (-4)(0.9)", -1.6), ("(0.5) (-0.5)", -0.25),  # products as the hints write them
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


# -- hints from the student's own earlier answers ----------------------------------------------------


def own_lines(problem, wrong: dict[str, str]) -> tuple[list[str], list[str]]:
    """Each question's key value and, for a student whose answers in wrong (name -> as typed)
    are theirs and every other answer carried forward from them, the value each question has
    (grading.student_state: what check recomputes "from your answers"), as typed."""
    from nnsolve.grading import student_state
    from nnsolve.sheet import Answer

    session = Session(load_problem(problem))
    theirs = {}
    for q in session.asked:
        if q.name in wrong:
            theirs[q.name] = np.asarray(read_answer(wrong[q.name]), dtype=float).reshape(q.shape)
        else:
            state = student_state(session.problem, [Answer(session.catalog.by_name[n], v, 0) for n, v in theirs.items()])
            theirs[q.name] = np.asarray(session.catalog.value(state, q), dtype=float)
    typed = lambda values: ", ".join(repr(float(v)) for v in np.ravel(values))  # noqa: E731
    return key_lines(problem), [wrong.get(q.name) or typed(theirs[q.name]) for q in session.asked]


def test_after_a_wrong_beta_the_numbers_hint_and_show_use_the_students_beta():
    lines, theirs = own_lines(None, {"beta1": "0.6, 0.9"})
    at = 4  # alpha2
    result = piped(lines[:3] + ["0.6, 0.9", "skip", "hint", "hint", "show", "back", theirs[at], "hint", "hint", theirs[at + 1], "quit"])
    out = result.stdout
    assert "α² = hint\n  hint: α² = W²ᵀ [1; β¹]\n" in out  # the formula, as before
    # the numbers are the student's beta1, and say so; they lead to 1 + 2(0.6) - 4(0.9) = -1.4
    assert "α² = hint\n  hint: from your β¹ = [0.6, 0.9]: α² = (1)(1) + (2)(0.6) + (-4)(0.9)\n" in out
    assert float(theirs[at]) == pytest.approx(-1.4, rel=1e-12)
    # show gives the key, and what follows from their own answers
    assert "α² = show\n  α² = -1.9999999998 (shown)\n  from your β¹ = [0.6, 0.9]: α² = -1.4 (right from your own earlier answers)\n" in out
    assert f"α² = {theirs[at]}\n  ✓ right from your own earlier answers (carried forward; your working left the key at β¹)" in out
    # the next question's numbers come from their alpha2 (answered after being shown)
    assert "ŷ = hint\n  hint: from your α² = -1.4: ŷ = sigmoid(-1.4)\n" in out
    assert f"ŷ = {theirs[at + 1]}\n  ✓ right from your own earlier answers" in out


def test_a_hint_from_the_students_numbers_leads_to_an_answer_the_tutor_accepts():
    lines = key_lines()
    at = 8  # dl/dy_hat; then dy_hat/dalpha2, dalpha2/dW2[1,1], and dl/dW2[1,1] from their delta
    result = piped(lines[:at] + ["-0.5", "skip", lines[at + 1], lines[at + 2], "hint", "hint", "0.5*-0.5*0.10499359", "hint", "hint", "show", "quit"])
    out = result.stdout
    delta = -0.5 * 0.11920292202211755 * (1 - 0.11920292202211755)  # their dl/dy_hat times the key's dy_hat/dalpha2
    assert f"hint: from your ∂ℓ/∂ŷ = -0.5: ∂ℓ/∂W2[1,1] = input · δ = (0.5)({delta:.8f})\n" in out
    assert "∂ℓ/∂W2[1,1] = 0.5*-0.5*0.10499359\n  ✓ right from your own earlier answers (carried forward; your working left the key at ∂ℓ/∂ŷ)" in out
    gradient = 0.5 * -0.5 * 0.10499359  # as they typed it
    assert f"hint: from your ∂ℓ/∂W2[1,1] = {gradient:.8f}: new W2[1,1] = W2[1,1] − λ ∂ℓ/∂W2[1,1] = 2 − (2)({gradient:.8f})\n" in out
    assert (f"new W2[1,1] = 2.09247804 (shown)\n  from your ∂ℓ/∂W2[1,1] = {gradient:.8f}: new W2[1,1] = {2 - 2 * gradient:.8f}"
            " (right from your own earlier answers)\n") in out


def test_answers_all_right_give_the_keys_hints():
    # rounded answers within tolerance (the worksheet's own 0.999) change no hint: the key's numbers
    lines = key_lines()
    typed = lines[:3] + ["0.5, 0.999", "-1.996", "0.119623", "0", "0.38753", "-0.880377", "0.104993", "0.5", "-0.0462"]
    result = piped(typed + ["2", "hint", "hint", "show", "quit"])
    assert result.stdout.count("✓ correct") == 12
    assert "hint: new W2[1,1] = W2[1,1] − λ ∂ℓ/∂W2[1,1] = 2 − (2)(-0.04623902)\n" in result.stdout
    assert "new W2[1,1] = 2.09247804 (shown)\n∂α²/∂β¹₁ = " in result.stdout  # the key alone
    assert "from your" not in result.stdout


@pytest.mark.parametrize("convention", ["Wx+b", "xW+b"])
def test_hints_from_the_students_numbers_in_each_convention(tmp_path, convention):
    path = tmp_path / "p.yaml"
    path.write_text(invoke("convert", str(PROBLEMS / "worksheet.yaml"), "--to", convention).stdout)
    lines, theirs = own_lines(str(path), {"a1": "0.6, 0.9"})
    result = piped(lines[:3] + ["0.6, 0.9", "skip", "hint", "hint", theirs[4], "hint", "hint", theirs[5], "quit"], str(path))
    out = result.stdout
    assert "z² = hint\n  hint: from your a¹ = [0.6, 0.9]: z² = " in out
    assert f"z² = {theirs[4]}\n  ✓ right from your own earlier answers (carried forward; your working left the key at a¹)" in out
    assert "ŷ = hint\n  hint: from your z² = -1.4: ŷ = sigmoid(-1.4)\n" in out
    assert f"ŷ = {theirs[5]}\n  ✓ right from your own earlier answers" in out


@pytest.mark.parametrize("name", ["worksheet_adam", "worksheet_momentum"])
def test_an_optimizers_step_hint_takes_the_students_derivative(name):
    path = str(PROBLEMS / f"{name}.yaml")
    lines, theirs = own_lines(path, {"dl/dW2[1,1]": "0.05"})
    at = 12  # new W2[1,1]
    result = piped(lines[:at - 1] + ["0.05", "skip", "hint", "hint", theirs[at], "quit"], path)
    out = result.stdout
    assert "new W2[1,1] = hint\n  hint: from your ∂ℓ/∂W2[1,1] = 0.05: new W2[1,1] = " in out
    assert f"new W2[1,1] = {theirs[at]}\n  ✓ right from your own earlier answers (carried forward; your working left the key at ∂ℓ/∂W2[1,1])" in out


def test_own_numbers_are_accepted_at_every_question_after_any_wrong_answer():
    """Session.own, for a student who got one answer wrong and carried it forward: at every later
    question the value it gives (the numbers hint's, show's) is graded right, and the key's value
    where it gives none; in every convention and with an optimizer."""
    from nnsolve.grading import CARRIED, CORRECT

    for path in ("worksheet.yaml", "worksheet_adam.yaml", "wxb_relu_softmax.yaml", "deep_tanh_relu.yaml"):
        problem = load_problem(str(PROBLEMS / path))
        first = Session(problem)
        keys = {q.name: np.asarray(first.catalog.value(first.key, q), dtype=float) for q in first.asked}
        for w, wrong in enumerate(first.asked):
            if not wrong.overridable:
                continue
            session = Session(problem)
            for q in session.asked[:w]:
                session.answers[q.name] = keys[q.name]
            session.answers[wrong.name] = keys[wrong.name] * 1.3 + 0.1
            for q in session.asked[w + 1:]:
                mine = session.own(q)
                graded = session.answer(q, keys[q.name] if mine is None else mine.value)
                assert graded.verdict in (CORRECT, CARRIED), (path, wrong.name, q.name, graded.explain())
                if mine is not None:
                    assert mine.sources and graded.verdict == CARRIED or graded.departure is None


def test_resume_keeps_a_number_a_number_and_how_each_answer_came_right(tmp_path):
    """A saved alpha2 stays `alpha2: -2` when resumed (not [-2]), and the summary after --resume
    still counts the answer right after a miss and the one after a hint."""
    sheet = tmp_path / "me.yaml"
    answers = ["3x2", "3x1", "[0, 25]", "[0, 24]", "hint", "[0.5, 1]", "-2", "quit"]
    first = piped(answers, "--save", str(sheet))
    assert first.returncode == 1, first.stderr
    saved = sheet.read_text(encoding="utf-8")
    assert "alpha1: [0, 24]  # after a miss\n" in saved and "beta1: [0.5, 1]  # after a hint\n" in saved
    assert "alpha2: -2\n" in saved
    again = piped(["quit"], "--resume", str(sheet))
    assert "3 right first time, 1 after a hint, 1 after another try" in again.stdout, again.stdout
    assert sheet.read_text(encoding="utf-8") == saved
    graded = subprocess.run([sys.executable, "-m", "nnsolve", "check", str(sheet), "--json"], capture_output=True, text=True, cwd=ROOT)
    assert '"counts":{"correct":5,' in graded.stdout, graded.stdout  # the comments do not change the grading


@pytest.mark.parametrize("convention, wrong, slip, numbers", [
    ("bias-row", "2x3", "the rows and columns are swapped", "shape W¹ = (3 inputs + 1) x (2 neurons)"),
    ("bias-row", "3x2", "the bias row was left out", "shape W¹ = (3 inputs + 1) x (2 neurons)"),
    ("Wx+b", "3x2", "the rows and columns are swapped", "shape W¹ = (2 neurons) x (3 inputs)"),
    ("Wx+b", "2x4", "the bias was counted in W¹ as one more input", "shape W¹ = (2 neurons) x (3 inputs)"),
    ("xW+b", "4x2", "the bias was counted in W¹ as one more input", "shape W¹ = (3 inputs) x (2 neurons)"),
])
def test_a_shape_slip_is_named_and_its_second_hint_gives_the_layers_counts(convention, wrong, slip, numbers, tmp_path):
    """Piped: a shape transposed, or with the bias row left out or added, is named (the tutor grades
    with check's grading); hint gives the formula, hint again the layer's inputs and neurons, not
    'no more hints'; then the right shape is right after a hint."""
    path = tmp_path / "p.yaml"
    path.write_text(invoke("convert", str(PROBLEMS / "wxb_relu_softmax.yaml"), "--to", convention).stdout)
    right = "x".join(str(n) for n in {"bias-row": (4, 2), "Wx+b": (2, 3), "xW+b": (3, 2)}[convention])
    out = piped([wrong, "hint", "hint", right, "quit"], str(path)).stdout
    assert f"shape W¹ (2 numbers) = {wrong}\n  ✗ wrong: {slip}" in out
    hints = out.split("  hint: ")[1:]
    assert hints[0].startswith("shape W¹: (") and hints[1].startswith(numbers + "\n"), hints
    assert "no more hints" not in out
    assert f"shape W¹ (2 numbers) = {right}\n  ✓ correct" in out
