"""Reliability (issue 8): numerical extremes, files written safely, untrusted input, determinism.

The fuzzing of every input path is in test_fuzz.py. Here each protection has a test that
fails when the protection is taken out:

2. numbers up to 1e6 and learning rates from 1e-12 to 1e6 give finite results for every
   activation and loss; past float64 the run names what overflowed; training that diverges
   stops with the last good weights;
3. every file nnsolve writes is written atomically, never replaces a file without --force
   (not even one that appears while nnsolve works), and is left as it was when the command
   or the write fails (a full disk, a failed rename, a write cut off half-way, an interrupt),
   with no temporary file left behind;
4. YAML is read safely (a scan of the code), answer sheets and problem files over 1 MiB are
   refused, alias bombs are refused within a second and 100 MB, data files over the limit are
   refused (an .npz that unpacks past it too), pickles never load, and a sheet cannot make
   nnsolve open any file but the problem file beside it;
5. the same input gives byte-identical output, run twice, at any terminal width, in any
   locale or output encoding, with or without NO_COLOR.
"""

from __future__ import annotations

import ast
import builtins
import errno
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml

from nnsolve import network
from nnsolve.problem import load_problem

from conftest import PROBLEMS, ROOT, assert_usage_error, invoke

WORKSHEET = PROBLEMS / "worksheet.yaml"
ANSWERS = PROBLEMS / "worksheet-answers.yaml"
XOR = PROBLEMS / "xor.yaml"
XOR_DATA = ROOT / "problems" / "data" / "xor.csv"
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
needs_matplotlib = pytest.mark.skipif(not HAS_MATPLOTLIB, reason="matplotlib is not installed")
MiB = 1 << 20


def _no_nan(text: str):
    raise AssertionError(f"JSON holds {text}")


def strict_json(text: str):
    """JSON that holds no NaN or Infinity."""
    return json.loads(text, parse_constant=_no_nan)


def numbers_in(value) -> list[float]:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers_in(v)]
    return [n for v in value for n in numbers_in(v)]


def leftovers(folder: Path) -> list[str]:
    """Temporary files or folders nnsolve left behind."""
    return sorted(p.name for p in Path(folder).rglob(".nnsolve*"))


# =============================================================================================
# 2. Numerical extremes

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]
OUTPUT_LOSS = [
    ("sigmoid", "squared_error"), ("sigmoid", "mse"), ("sigmoid", "binary_cross_entropy"), ("sigmoid", "cross_entropy"),
    ("softmax", "cross_entropy"), ("softmax", "squared_error"), ("tanh", "mse"), ("relu", "squared_error"),
    ("leaky_relu", "mse"), ("linear", "squared_error"),
]


def extreme_problem(hidden: str, output: str, loss: str, size: float, rate: float) -> str:
    n_out = 2 if output == "softmax" else 1
    y = "[0, 1]" if n_out == 2 else "[1]"
    s = repr(size)
    W2 = [[-size] * n_out, [size] * n_out, [-size / 3] * n_out]
    if n_out == 2:
        W2 = [[-size, size], [size, -size / 2], [size / 3, -size]]
    return (
        f"x: [{s}, {-size!r}]\ny: {y}\n"
        f"W1: [[{s}, {-size!r}], [{-size!r}, {s}], [{size / 2!r}, {s}]]\n"
        f"W2: {json.dumps(W2)}\n"
        f"activation: [{hidden}, {output}]\nloss: {loss}\nlearning_rate: {rate!r}\n"
    )


@pytest.mark.parametrize("rate", [1e-12, 1.0, 1e6])
@pytest.mark.parametrize("size", [1e-12, 1.0, 1e3, 1e6])
@pytest.mark.parametrize("output,loss", OUTPUT_LOSS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_numbers_up_to_1e6_give_finite_results(tmp_path, hidden, output, loss, size, rate):
    """Weights and inputs of size up to 1e6, learning rates from 1e-12 to 1e6, every activation
    and loss: every number of the solution and of every weight's chain rule is finite."""
    path = tmp_path / "p.yaml"
    path.write_text(extreme_problem(hidden, output, loss, size, rate), encoding="utf-8")
    for args in (["run", str(path), "--json"], ["grad", "--all", str(path), "--json"], ["run", str(path), "--round", "4", "--json"]):
        result = invoke(*args)
        assert result.exit_code == 0, (args, result.stderr)
        data = strict_json(result.stdout)
        assert all(np.isfinite(numbers_in(data))), args
    result = invoke("grad", "W1[1,1]", str(path), "--json")
    assert result.exit_code == 0, result.stderr
    assert all(np.isfinite(numbers_in(strict_json(result.stdout))))


@pytest.mark.parametrize(
    "text, quantity",
    [
        # alpha1 = 1e200 * 1e200: past float64 in the first step
        ("x: [1e200, 1]\ny: [1]\nW1: [[0], [1e200], [0]]\nW2: [[0], [1]]\nactivation: linear\nlearning_rate: 1\n", "alpha1 overflows float64"),
        # a finite gradient times a learning rate of 1e300
        ("x: [1e10, 1]\ny: [0]\nW1: [[0], [1], [0]]\nW2: [[0], [1]]\nactivation: linear\nlearning_rate: 1e300\n", "the updated W1 overflows float64"),
        # (y - y_hat)^2 of y_hat = 1e155
        ("x: [1, 1]\ny: [0]\nW1: [[0], [1], [0]]\nW2: [[1e155], [0]]\nactivation: [sigmoid, linear]\nlearning_rate: 1\n", "the loss overflows float64"),
    ],
)
def test_past_float64_the_run_names_what_overflowed(tmp_path, text, quantity):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    for args in (["run", str(path), "--json"], ["run", str(path)], ["grad", "--all", str(path)], ["draw", str(path)]):
        line = assert_usage_error(invoke(*args), str(path), "overflows float64 (larger than 1.8e308)", "use smaller weights, inputs or learning rate")
        assert quantity in line, line


@pytest.mark.parametrize("a", [-1e308, -1e6, -746.0, -40.0, -1e-300, 0.0, 1e-300, 40.0, 710.0, 1e6, 1e308])
def test_sigmoid_softmax_and_the_log_losses_are_stable(a):
    """No overflow, no NaN and no warning (warnings are errors in the tests), wherever alpha is."""
    alpha = np.array([a])
    s = network.ACTIVATIONS["sigmoid"].value(alpha)
    assert np.all((s >= 0) & (s <= 1))
    assert np.all(np.isfinite(network.ACTIVATIONS["tanh"].value(alpha)))
    for y in (0.0, 1.0, 0.5):
        bce = network.LOSSES["binary_cross_entropy"].value(np.array([y]), alpha, s, network.ACTIVATIONS["sigmoid"])
        ce = network.LOSSES["cross_entropy"].value(np.array([y]), alpha, s, network.ACTIVATIONS["sigmoid"])
        assert np.isfinite(bce) and bce >= 0 and np.isfinite(ce) and ce >= 0, (a, y, bce, ce)
    alphas = np.array([a, 0.0, a / 2, -a / 4])  # no two more than 1.25 |a| apart: their differences stay finite
    soft = network.ACTIVATIONS["softmax"].value(alphas)
    assert np.all(np.isfinite(soft)) and abs(np.sum(soft) - 1) < 1e-12
    for k in range(4):
        y = np.eye(4)[k]
        ce = network.LOSSES["cross_entropy"].value(y, alphas, soft, network.ACTIVATIONS["softmax"])
        assert np.isfinite(ce) and ce >= 0, (a, k, ce)


DIVERGES = """x: [0, 0]
y: [0]
W1: [[-1, 2], [-2, 1], [1, 4]]
W2: [[1], [2], [-4]]
activation: [linear, linear]
loss: squared_error
learning_rate: {rate}
"""


def _weights(path: Path) -> list:
    problem = load_problem(str(path))
    return [W.tolist() for W in problem.weights]


def test_training_that_diverges_stops_with_the_last_good_weights(tmp_path):
    problem = tmp_path / "diverges.yaml"
    problem.write_text(DIVERGES.format(rate=0.15), encoding="utf-8")
    common = ["train", str(problem), "--data", str(XOR_DATA), "--no-shuffle"]
    result = invoke(*common, "--epochs", "100", "--json", "--save", str(tmp_path / "kept.yaml"))
    assert result.exit_code == 1, result.stderr
    records = [strict_json(line) for line in result.stdout.splitlines()]
    assert [r["epoch"] for r in records] == [1, 2, 3, 4]
    assert all(np.isfinite(numbers_in(records)))
    said = [line for line in result.stderr.splitlines() if "diverged" in line]
    assert said == [
        "nnsolve: training diverged in epoch 5: W1 is no longer a finite number; stopped and kept the weights after "
        "epoch 4; try a smaller learning_rate in the problem file or a larger --batch-size"
    ]
    kept = _weights(tmp_path / "kept.yaml")  # a problem file nnsolve reads again: no NaN in it
    assert all(np.isfinite(numbers_in(kept)))
    assert "diverged in epoch 5" in (tmp_path / "kept.yaml").read_text(encoding="utf-8")
    # the weights kept are those of epoch 4, exactly
    result = invoke(*common, "--epochs", "4", "--save", str(tmp_path / "four.yaml"))
    assert result.exit_code == 0, result.stderr
    assert kept == _weights(tmp_path / "four.yaml")


def test_training_that_diverges_at_once_keeps_the_starting_weights(tmp_path):
    problem = tmp_path / "diverges.yaml"
    problem.write_text(DIVERGES.format(rate=1e6), encoding="utf-8")
    result = invoke("train", str(problem), "--data", str(XOR_DATA), "--epochs", "5", "--save", str(tmp_path / "kept.yaml"))
    assert result.exit_code == 1
    assert "diverged in epoch 1" in result.stderr and "kept the starting weights" in result.stderr
    assert _weights(tmp_path / "kept.yaml") == _weights(problem)
    assert "nan" not in result.stdout.lower() and "inf" not in result.stdout.lower()


def _dtypes() -> list[list[str]]:
    from nnsolve.cli.train import train

    has_dtype = any(p.name == "dtype" for p in train.params)
    return [[]] + ([["--dtype", "float32"]] if has_dtype else [])


@pytest.mark.parametrize("dtype", _dtypes(), ids=lambda d: d[-1] if d else "float64")
def test_training_that_diverges_saves_only_finite_weights(tmp_path, dtype):
    problem = tmp_path / "diverges.yaml"
    problem.write_text(DIVERGES.format(rate=0.15), encoding="utf-8")
    save = tmp_path / "kept.yaml"
    result = invoke("train", str(problem), "--data", str(XOR_DATA), "--no-shuffle", "--epochs", "100", "--json", "--save", str(save), *dtype)
    assert result.exit_code == 1, result.stderr
    assert "training diverged in epoch" in result.stderr
    assert all(np.isfinite(numbers_in([strict_json(line) for line in result.stdout.splitlines()])))
    assert all(np.isfinite(numbers_in(_weights(save))))


@pytest.mark.parametrize("dtype", _dtypes(), ids=lambda d: d[-1] if d else "float64")
@pytest.mark.parametrize("rate", ["1e-12", "1e6"])
def test_training_at_the_extreme_learning_rates_never_shows_nan(tmp_path, rate, dtype):
    problem = tmp_path / "p.yaml"
    problem.write_text(XOR.read_text(encoding="utf-8").replace("learning_rate: ", f"learning_rate: {rate} #"), encoding="utf-8")
    result = invoke("train", str(problem), "--data", str(XOR_DATA), "--epochs", "5", "--json", *dtype)
    assert result.exit_code in (0, 1), result.stderr
    assert all(np.isfinite(numbers_in([strict_json(line) for line in result.stdout.splitlines()])))
    if rate == "1e-12":
        assert result.exit_code == 0


# =============================================================================================
# 3. Files: atomic, never replaced without --force, untouched when the command or write fails

BAD_PROBLEM = "x: [2, 5]\ny: [1]\nW1: [[1, 2]]\nlearning_rate: 1\n"  # W1 has too few rows


def _writers():
    """name -> (target file name, args(target, problem)); the problem argument is where a
    broken problem file goes to make the command fail."""
    w = {
        "run -o markdown": ("key.md", lambda t, p: ["run", p, "--format", "markdown", "-o", t]),
        "run -o json": ("key.json", lambda t, p: ["run", p, "--json", "-o", t]),
        "grad -o latex": ("grad.tex", lambda t, p: ["grad", "W2[1,1]", p, "--format", "latex", "-o", t]),
        "draw -o dot": ("net.dot", lambda t, p: ["draw", p, "--format", "dot", "-o", t]),
        "new --moodle": ("quiz.xml", lambda t, p: ["new", "--from", p, "--seed", "1", "--moodle", t]),
        "train --save": ("trained.yaml", lambda t, p: ["train", p, "--data", str(XOR_DATA), "--epochs", "2", "--save", t]),
        "check --gradescope": ("results.json", lambda t, p: ["check", str(ANSWERS), "--problem", p, "--gradescope", t]),
    }
    if HAS_MATPLOTLIB:
        w["draw -o png"] = ("net.png", lambda t, p: ["draw", p, "--format", "png", "-o", t])
        w["train --plot"] = ("loss.png", lambda t, p: ["train", p, "--data", str(XOR_DATA), "--epochs", "2", "--plot", t])
    return w


WRITERS = _writers()
OLD = b"the instructor's old file\n"


def _setup(tmp_path, name, broken=False):
    target_name, make = WRITERS[name]
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / target_name
    problem = tmp_path / "problem.yaml"
    if broken:
        problem.write_text(BAD_PROBLEM, encoding="utf-8")
    else:
        shutil.copy(XOR if name.startswith("train") else WORKSHEET, problem)
    return folder, target, make(str(target), str(problem))


@pytest.mark.parametrize("name", WRITERS)
def test_an_existing_file_is_never_replaced_without_force(tmp_path, name):
    folder, target, args = _setup(tmp_path, name)
    target.write_bytes(OLD)
    assert_usage_error(invoke(*args), str(target), "already exists", "--force")
    assert target.read_bytes() == OLD
    assert leftovers(folder) == []


@pytest.mark.parametrize("name", WRITERS)
def test_force_replaces_it_and_keeps_its_mode(tmp_path, name):
    folder, target, args = _setup(tmp_path, name)
    target.write_bytes(OLD)
    os.chmod(target, 0o640)
    result = invoke(*args, "--force")
    assert result.exit_code in (0, 1), result.stderr
    assert target.read_bytes() != OLD and target.stat().st_size > 0
    assert target.stat().st_mode & 0o777 == 0o640
    assert leftovers(folder) == []


@pytest.mark.parametrize("name", WRITERS)
def test_a_command_that_fails_leaves_the_file_as_it_was(tmp_path, name):
    folder, target, args = _setup(tmp_path, name, broken=True)
    target.write_bytes(OLD)
    result = invoke(*args, "--force")
    assert_usage_error(result, "W1")
    assert target.read_bytes() == OLD
    assert leftovers(folder) == []


class _CutOff:
    """A file whose write puts half the bytes on disk and then fails: a disk that fills up."""

    def __init__(self, f, error):
        self.f, self.error = f, error

    def write(self, data):
        self.f.write(data[: len(data) // 2])
        self.f.flush()
        raise self.error

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def _disk_full():
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _fail(monkeypatch, how: str) -> None:
    """Make the next write fail the way `how` says."""
    if how == "half-written":
        real = os.fdopen
        monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: _CutOff(real(fd, *a, **k), _disk_full()))
    elif how == "interrupted half-way":
        real = os.fdopen
        monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: _CutOff(real(fd, *a, **k), KeyboardInterrupt()))
    elif how == "fsync":
        def fsync(fd):
            raise _disk_full()
        monkeypatch.setattr(os, "fsync", fsync)
    elif how == "rename":
        def fail(*args, **kwargs):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        monkeypatch.setattr(os, "replace", fail)
        monkeypatch.setattr(os, "link", fail)
    elif how == "no temporary file":
        def mkstemp(*args, **kwargs):
            raise _disk_full()
        monkeypatch.setattr("tempfile.mkstemp", mkstemp)
    else:
        raise ValueError(how)


FAILURES = ["half-written", "interrupted half-way", "fsync", "rename", "no temporary file"]


@pytest.mark.parametrize("how", FAILURES)
@pytest.mark.parametrize("name", WRITERS)
def test_a_write_that_fails_half_way_leaves_the_old_file(tmp_path, monkeypatch, name, how):
    folder, target, args = _setup(tmp_path, name)
    target.write_bytes(OLD)
    _fail(monkeypatch, how)
    result = invoke(*args, "--force")
    if how == "interrupted half-way":
        assert result.exit_code == 130 and result.stderr.endswith("nnsolve: interrupted\n"), result.stderr
    else:
        assert result.exit_code == 2
        # one error line (train has shown its table by then; check its grades)
        [line] = [line for line in result.stderr.splitlines() if line.startswith("nnsolve: error: ")]
        assert str(target) in line and "cannot write" in line, line
        assert "No space left on device" in line or "Input/output error" in line, line
    assert target.read_bytes() == OLD
    assert leftovers(folder) == []


@pytest.mark.parametrize("name", WRITERS)
def test_a_new_file_is_not_made_when_the_write_fails(tmp_path, monkeypatch, name):
    folder, target, args = _setup(tmp_path, name)
    _fail(monkeypatch, "half-written")
    assert invoke(*args).exit_code == 2
    assert sorted(os.listdir(folder)) == []


@pytest.mark.parametrize("name", WRITERS)
def test_a_file_that_appears_while_nnsolve_works_is_not_replaced(tmp_path, monkeypatch, name):
    """Without --force the last step is a link that fails if the file exists, not a rename."""
    from nnsolve import files

    folder, target, args = _setup(tmp_path, name)
    real = files._stage

    def stage(path, data, **options):
        tmp = real(path, data, **options)
        Path(path).write_bytes(b"written by someone else meanwhile\n")
        return tmp

    monkeypatch.setattr(files, "_stage", stage)
    result = invoke(*args)
    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert target.read_bytes() == b"written by someone else meanwhile\n"
    assert leftovers(folder) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
@pytest.mark.parametrize("name", WRITERS)
def test_a_read_only_folder(tmp_path, name):
    folder, target, args = _setup(tmp_path, name)
    target.write_bytes(OLD)
    os.chmod(folder, 0o555)
    try:
        result = invoke(*args, "--force")
    finally:
        os.chmod(folder, 0o755)
    assert result.exit_code == 2 and "Permission denied" in result.stderr, result.stderr
    assert target.read_bytes() == OLD
    assert leftovers(folder) == []


@needs_matplotlib
@pytest.mark.parametrize("failing", [1, 2])
def test_train_writes_the_plot_and_the_weights_both_or_neither(tmp_path, monkeypatch, failing):
    plot, save = tmp_path / "loss.png", tmp_path / "t.yaml"
    plot.write_bytes(OLD)
    save.write_bytes(OLD)
    calls = []
    real = os.fsync

    def fsync(fd):
        calls.append(fd)
        if len(calls) == failing:
            raise _disk_full()
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    result = invoke("train", str(XOR), "--data", str(XOR_DATA), "--epochs", "2", "--plot", str(plot), "--save", str(save), "--force")
    assert result.exit_code == 2 and "No space left on device" in result.stderr
    assert plot.read_bytes() == OLD and save.read_bytes() == OLD
    assert leftovers(tmp_path) == []


# -- folders: new --out, new --prairielearn, check --gradescope FOLDER

def _class_of_sheets(tmp_path) -> list[str]:
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    shutil.copy(WORKSHEET, sheets / "worksheet.yaml")
    names = []
    for student in ("ann", "bob", "cy"):
        shutil.copy(ANSWERS, sheets / f"{student}.yaml")
        names.append(str(sheets / f"{student}.yaml"))
    return names


FOLDER_WRITERS = {
    "new --out": lambda tmp, out: ["new", "--seed", "2", "--count", "3", "--out", out, "--keys", "markdown"],
    "new --prairielearn": lambda tmp, out: ["new", "--seed", "2", "--count", "3", "--out", str(tmp / "variants"), "--prairielearn", out],
    "check --gradescope": lambda tmp, out: ["check", *_class_of_sheets(tmp), "--gradescope", out],
}


@pytest.mark.parametrize("name", FOLDER_WRITERS)
def test_a_folder_that_holds_files_is_not_written_into_without_force(tmp_path, name):
    out = tmp_path / "out"
    out.mkdir()
    (out / "variant-001.yaml").write_bytes(OLD)
    (out / "ann.json").write_bytes(OLD)
    (out / "info.json").write_bytes(OLD)
    result = invoke(*FOLDER_WRITERS[name](tmp_path, str(out)))
    assert result.exit_code == 2
    assert "holds files already" in result.stderr or "already exists" in result.stderr, result.stderr
    assert sorted(os.listdir(out)) == ["ann.json", "info.json", "variant-001.yaml"]
    assert all((out / n).read_bytes() == OLD for n in os.listdir(out))
    assert not (tmp_path / "variants").exists()  # nothing else was written first
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("how", ["fsync", "rename", "interrupted"])
@pytest.mark.parametrize("name", FOLDER_WRITERS)
def test_a_folder_write_that_fails_leaves_nothing(tmp_path, monkeypatch, name, how):
    out = tmp_path / "out"
    args = FOLDER_WRITERS[name](tmp_path, str(out))
    if how == "interrupted":
        def fsync(fd):
            raise KeyboardInterrupt
        monkeypatch.setattr(os, "fsync", fsync)
    else:
        _fail(monkeypatch, how)
    result = invoke(*args)
    assert result.exit_code == (130 if how == "interrupted" else 2), result.stderr
    assert not out.exists()
    assert not (tmp_path / "variants").exists() or name != "new --out"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("name", FOLDER_WRITERS)
def test_a_forced_folder_write_that_fails_half_way_leaves_every_old_file(tmp_path, monkeypatch, name):
    """--force into a folder that holds files: every file is staged before any is renamed."""
    out = tmp_path / "out"
    out.mkdir()
    olds = {"variant-001.yaml": OLD, "variant-002.key.md": OLD + b"2", "ann.json": OLD + b"3", "info.json": OLD + b"4", "other.txt": b"x"}
    for n, data in olds.items():
        (out / n).write_bytes(data)
    calls = []
    real = os.fsync

    def fsync(fd):  # the third file fails: two are staged already
        calls.append(fd)
        if len(calls) == 3:
            raise _disk_full()
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    result = invoke(*FOLDER_WRITERS[name](tmp_path, str(out)), "--force")
    assert result.exit_code == 2 and "No space left on device" in result.stderr, result.stderr
    assert {n: (out / n).read_bytes() for n in os.listdir(out)} == olds
    assert leftovers(tmp_path) == []


def test_new_checks_every_target_before_writing_the_first(tmp_path):
    out = tmp_path / "class"
    (tmp_path / "quiz.xml").write_bytes(OLD)
    result = invoke("new", "--seed", "1", "--count", "2", "--out", str(out), "--moodle", str(tmp_path / "quiz.xml"))
    assert_usage_error(result, "quiz.xml", "already exists")
    assert not out.exists()
    result = invoke("new", "--seed", "1", "--count", "2", "--out", str(out), "--moodle", str(tmp_path / "q.xml"), "--questions", "nope")
    assert_usage_error(result, "--questions 'nope'")
    assert not out.exists() and not (tmp_path / "q.xml").exists()
    (tmp_path / "pl").mkdir()
    (tmp_path / "pl" / "server.py").write_bytes(OLD)
    result = invoke("new", "--seed", "1", "--count", "2", "--out", str(out), "--prairielearn", str(tmp_path / "pl"))
    assert_usage_error(result, "holds files already")
    assert not out.exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("count", [2, 40])
@pytest.mark.parametrize("how", ["disk full in the Moodle file", "disk full in the PrairieLearn folder", "interrupted making the quiz"])
def test_new_writes_its_folder_and_quizzes_all_or_none(tmp_path, monkeypatch, how, count):
    """--out, --moodle and --prairielearn are one write: each is written out (staged) before
    any is put in place, so a failure in the last leaves none of them, and no staging."""
    from nnsolve.render import moodle

    out, xml, pl = tmp_path / "class", tmp_path / "quiz.xml", tmp_path / "pl"
    if how == "disk full in the Moodle file":
        from nnsolve import files

        real_stage = files._stage
        monkeypatch.setattr(files, "_stage", lambda path, data, sync=True: _raise(_disk_full()) if path.endswith(".xml") else real_stage(path, data, sync))
    elif how == "disk full in the PrairieLearn folder":
        from nnsolve import files

        real_create = files.create_file
        monkeypatch.setattr(files, "create_file", lambda path, data, sync=True: _raise(_disk_full()) if path.endswith("server.py") else real_create(path, data, sync))
    else:
        monkeypatch.setattr(moodle, "quiz_xml", lambda *a, **k: _raise(KeyboardInterrupt()))
    result = invoke("new", "--seed", "2", "--count", str(count), "--out", str(out), "--moodle", str(xml), "--prairielearn", str(pl))
    assert result.exit_code == (130 if how.startswith("interrupted") else 2), result.stderr
    if how.startswith("disk"):
        assert "No space left on device" in result.stderr
    assert not out.exists() and not xml.exists() and not pl.exists()
    assert leftovers(tmp_path) == []
    monkeypatch.undo()
    assert invoke("new", "--seed", "2", "--count", str(count), "--out", str(out), "--moodle", str(xml), "--prairielearn", str(pl)).exit_code == 0
    assert len(os.listdir(out)) == 2 * count and xml.exists() and len(os.listdir(pl)) == 3 and leftovers(tmp_path) == []


def _raise(error):
    raise error


def test_gradescope_results_are_all_written_or_none(tmp_path, monkeypatch):
    sheets = _class_of_sheets(tmp_path)
    out = tmp_path / "results"
    calls = []
    real = os.fsync

    def fsync(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise _disk_full()
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    result = invoke("check", *sheets, "--gradescope", str(out) + "/")
    assert result.exit_code == 2 and "No space left on device" in result.stderr
    assert not out.exists()  # the folder made for the results is gone again
    assert leftovers(tmp_path) == []


def test_gradescope_into_a_name_that_is_a_file(tmp_path):
    (tmp_path / "taken").write_bytes(OLD)
    result = invoke("check", *_class_of_sheets(tmp_path), "--gradescope", str(tmp_path / "taken" / "results") + "/")
    assert result.exit_code == 2
    assert [line for line in result.stderr.splitlines() if line.startswith("nnsolve: error: ")], result.stderr
    assert (tmp_path / "taken").read_bytes() == OLD


def test_output_to_a_link_or_a_device_is_refused(tmp_path):
    (tmp_path / "real.md").write_bytes(OLD)
    (tmp_path / "link.md").symlink_to(tmp_path / "real.md")
    assert_usage_error(invoke("run", "--format", "markdown", "-o", str(tmp_path / "link.md"), "--force"), "is a link, a device or a pipe")
    assert (tmp_path / "real.md").read_bytes() == OLD and (tmp_path / "link.md").is_symlink()
    assert_usage_error(invoke("run", "-o", "/dev/null", "--force"), "is a link, a device or a pipe")


# =============================================================================================
# 4. Untrusted input

SAFE_LOADERS = {"SafeLoader", "CSafeLoader", "_FAST_LOADER"}
UNSAFE_NAMES = {"FullLoader", "UnsafeLoader", "Loader", "CLoader", "CFullLoader", "CUnsafeLoader", "unsafe_load", "full_load", "unsafe_load_all", "full_load_all"}
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle", "jsonpickle", "subprocess"}


def scan_source(source: str, name: str = "<code>") -> tuple[list[str], dict]:
    """Unsafe ways of reading input in Python source: (problems found, counts of the safe calls seen)."""
    problems: list[str] = []
    seen = {"yaml": 0, "np.load": 0}
    for node in ast.walk(ast.parse(source, name)):
        where = f"{name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            problems += [f"{where}: import {a.name}" for a in node.names if a.name.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in FORBIDDEN_MODULES:
                problems.append(f"{where}: from {node.module} import")
            problems += [f"{where}: import {a.name}" for a in node.names if a.name in UNSAFE_NAMES]
        elif isinstance(node, ast.Attribute) and node.attr in UNSAFE_NAMES and isinstance(node.value, ast.Name) and node.value.id == "yaml":
            problems.append(f"{where}: yaml.{node.attr}")
        elif isinstance(node, ast.Attribute) and node.attr == "system" and isinstance(node.value, ast.Name) and node.value.id == "os":
            problems.append(f"{where}: os.system")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
                problems.append(f"{where}: {func.id}()")
            if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
                continue
            base, attr = func.value.id, func.attr
            keywords = {k.arg: k.value for k in node.keywords}
            if base == "yaml" and attr in ("load", "load_all"):
                problems.append(f"{where}: yaml.{attr}() (use the safe loader)")
            elif base == "yaml" and attr in ("compose", "compose_all", "parse", "scan"):
                seen["yaml"] += 1
                loader = keywords.get("Loader")
                loader_name = loader.attr if isinstance(loader, ast.Attribute) else loader.id if isinstance(loader, ast.Name) else None
                if loader_name not in SAFE_LOADERS:
                    problems.append(f"{where}: yaml.{attr}() without Loader=SafeLoader")
            elif base == "yaml" and attr in ("safe_load", "safe_load_all"):
                seen["yaml"] += 1
            elif base in ("np", "numpy") and attr == "load" or attr == "read_array":  # (numpy.lib.format.read_array)
                seen["np.load"] += 1
                allow = keywords.get("allow_pickle")
                if not (isinstance(allow, ast.Constant) and allow.value is False):
                    problems.append(f"{where}: {base}.{attr}() without allow_pickle=False")
    return problems, seen


@pytest.mark.parametrize("bad", [
    "yaml.load(text)", "yaml.load(text, Loader=yaml.SafeLoader)", "yaml.unsafe_load(text)", "yaml.full_load(text)",
    "yaml.compose(text, Loader=yaml.Loader)", "yaml.compose(text, Loader=yaml.FullLoader)", "yaml.compose(text)",
    "yaml.load_all(text)", "from yaml import FullLoader", "eval(text)", "exec(text)", "compile(text, 'f', 'exec')",
    "import pickle", "from pickle import loads", "import marshal", "np.load(path)", "np.load(path, allow_pickle=True)",
    "numpy.load(path, allow_pickle=flag)", "npy_format.read_array(f)", "format.read_array(f, allow_pickle=True)",
    "os.system(cmd)", "import subprocess",
])
def test_the_code_scan_finds_every_unsafe_reader(bad):
    problems, _ = scan_source(bad)
    assert problems, bad


def test_the_only_process_nnsolve_starts_is_its_own_file_maker():
    """files.FileMaker starts the Python running nnsolve (-I: no environment, no user site; -S:
    no site) on files._WRITER, a constant of nnsolve's, with the folder as its one argument: no
    command or code comes from input. Nothing else in the package starts a process."""
    starts = []
    for path in sorted((ROOT / "nnsolve").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("subprocess", "os") \
                    and node.attr in ("Popen", "run", "call", "check_call", "check_output", "getoutput", "getstatusoutput", "popen", "system") \
                    or isinstance(node, ast.Attribute) and node.attr.startswith(("spawn", "exec", "posix_spawn", "fork")) and isinstance(node.value, ast.Name) and node.value.id == "os":
                starts.append((path.name, node))
    assert [(name, node.attr) for name, node in starts] == [("files.py", "Popen")]
    tree = ast.parse((ROOT / "nnsolve" / "files.py").read_text(encoding="utf-8"))
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "Popen")
    assert ast.unparse(call.args[0]) == "[sys.executable, '-I', '-S', '-c', _WRITER, folder]"
    assert not any(k.arg == "shell" for k in call.keywords)


def test_nnsolve_reads_yaml_and_numpy_safely_and_runs_nothing():
    """yaml.safe_load / the safe loader only, np.load (and numpy's read_array) with
    allow_pickle=False, no eval, exec or pickle anywhere in the package. (data.py reads most
    arrays as raw bytes, after refusing an object dtype in the header.)"""
    from nnsolve.problem import _FAST_LOADER

    package = ROOT / "nnsolve"
    problems, totals = [], {"yaml": 0, "np.load": 0}
    sources = sorted(package.rglob("*.py"))
    assert len(sources) > 20
    for path in sources:
        found, seen = scan_source(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
        problems += found
        for k in totals:
            totals[k] += seen[k]
    # the one process nnsolve starts: its own helper that makes a class's files (checked below)
    problems = [p for p in problems if not (p.startswith("nnsolve/files.py:") and p.endswith(": import subprocess"))]
    assert problems == []
    assert totals["yaml"] >= 2 and totals["np.load"] >= 1, totals  # the scan saw the real readers
    # libyaml's safe loader (or the pure one), only its tag resolving remembered: no constructors
    assert issubclass(_FAST_LOADER, (yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    assert _FAST_LOADER.yaml_constructors is yaml.SafeLoader.yaml_constructors


def test_the_remembered_tags_are_the_safe_loaders_tags():
    """_FAST_LOADER remembers the tag of each text: every node's tag is the one the safe loader
    gives, the first time and when remembered, for the texts YAML 1.1 reads in surprising ways."""
    from nnsolve.problem import _FAST_LOADER

    texts = ["0", "010", "0x1F", "1_000", "1:30", "1.5", "1e-3", "1.5e+3", ".inf", "-.INF", ".nan", "yes", "No", "on",
             "~", "null", "", "2001-12-14", "'0.5'", '"1"', "abc", "<<", "=", "+1", "0b101", "1__0.5", "3."]
    document = "a: [" + ", ".join(t if t else "''" for t in texts) + "]\n" + "\n".join(f"k{n}: {t}" for n, t in enumerate(texts)) + "\n"

    def tags(loader):
        node, found = yaml.compose(document, Loader=loader), []
        stack = [node]
        while stack:
            n = stack.pop()
            found.append((n.tag, n.value if isinstance(n, yaml.ScalarNode) else None))
            stack.extend(v for pair in n.value for v in pair) if isinstance(n, yaml.MappingNode) else None
            stack.extend(n.value) if isinstance(n, yaml.SequenceNode) else None
        return found

    assert tags(_FAST_LOADER) == tags(yaml.SafeLoader)
    assert tags(_FAST_LOADER) == tags(yaml.SafeLoader)  # remembered, the same


def _pad(text: str, size: int) -> str:
    """text with a comment line that makes it exactly size bytes of UTF-8."""
    pad = size - len(text.encode("utf-8")) - 3
    return text + "#" + "x" * pad + "\n\n"


@pytest.mark.parametrize("args", [
    ["run", "{p}", "--json"], ["grad", "W2[1,1]", "{p}"], ["draw", "{p}"], ["check", "--template", "{p}"],
    ["new", "--from", "{p}"], ["check", str(ANSWERS), "--problem", "{p}", "--json"], ["run", "--given", "beta1=[0.5,0.9]", "{p}"],
])
def test_problem_files_over_1_MiB_are_refused(tmp_path, args):
    """A valid problem made 1 MiB + 1 byte long with a comment: refused, not read."""
    path = tmp_path / "p.yaml"
    text = WORKSHEET.read_text(encoding="utf-8")
    path.write_text(_pad(text, MiB + 1), encoding="utf-8")
    result = invoke(*(a.replace("{p}", str(path)) for a in args))
    assert result.exit_code == 2
    assert f"{path}: larger than 1 MiB" in result.stderr
    path.write_text(_pad(text, MiB), encoding="utf-8")  # exactly 1 MiB is read
    assert invoke(*(a.replace("{p}", str(path)) for a in args)).exit_code == 0


def test_train_refuses_a_problem_file_over_1_MiB(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(_pad(XOR.read_text(encoding="utf-8"), MiB + 1), encoding="utf-8")
    assert_usage_error(invoke("train", str(path), "--data", str(XOR_DATA), "--epochs", "1"), "larger than 1 MiB")


def test_answer_sheets_over_1_MiB_are_refused(tmp_path):
    shutil.copy(WORKSHEET, tmp_path / "worksheet.yaml")
    sheet = tmp_path / "sheet.yaml"
    text = ANSWERS.read_text(encoding="utf-8")
    sheet.write_text(_pad(text, MiB + 1), encoding="utf-8")
    result = invoke("check", str(sheet), "--json")
    assert result.exit_code == 2
    assert strict_json(result.stdout)["error"] == f"{sheet}: larger than 1 MiB; an answer sheet is a few kilobytes at most"
    sheet.write_text(_pad(text, MiB), encoding="utf-8")
    assert invoke("check", str(sheet), "--json").exit_code == 0


def _matrix_bomb(key: str, rows: int, width: int) -> str:
    """key: a rows x width matrix in a few kilobytes of text: one row, and rows - 1 aliases of it."""
    row = "[" + ", ".join(["1"] * width) + "]"
    return f"{key}: [&r {row}" + ", *r" * (rows - 1) + "]"


def _laughs(key: str, levels: int = 9) -> str:
    """The billion laughs: 10 ** levels values in nine lines."""
    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join(lines) + f"\n{key}: *a{levels - 1}\n"


def _measure(args) -> tuple:
    """(result, seconds, peak bytes allocated by Python) of one run."""
    start = time.perf_counter()
    result = invoke(*args)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    try:
        invoke(*args)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, seconds, peak


BOMBS = {
    # 10 million weights in 20 kB: read one by one, they take seconds and hundreds of MB
    "matrix in a problem": ("problem", "x: [1, 2]\ny: [1]\nlearning_rate: 1\n" + _matrix_bomb("W1", 4000, 2500) + "\n"),
    "laughs in a problem": ("problem", "x: [1, 2]\ny: [1]\nW1: [[1], [1], [1]]\nlearning_rate: 1\nW2: [" + ", ".join(
        ["&a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"] + [f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]) + "]\n"),
    "matrix in a sheet": ("sheet", "problem: worksheet.yaml\n" + _matrix_bomb("dl/dW1", 4000, 2500) + "\n"),
    "laughs in a sheet": ("sheet", "problem: worksheet.yaml\n" + _laughs("loss")),
    "matrix in --given": ("given", _matrix_bomb("dl/dW1", 4000, 2500).replace(": ", "=", 1)),
}


@pytest.mark.parametrize("name", BOMBS)
def test_alias_bombs_are_refused_within_a_second_and_100_MB(tmp_path, name):
    kind, text = BOMBS[name]
    if kind == "problem":
        path = tmp_path / "p.yaml"
        path.write_text(text, encoding="utf-8")
        args = ["run", str(path), "--json"]
    elif kind == "sheet":
        shutil.copy(WORKSHEET, tmp_path / "worksheet.yaml")
        path = tmp_path / "sheet.yaml"
        path.write_text(text, encoding="utf-8")
        args = ["check", str(path), "--json"]
    else:
        args = ["run", "--given", text, "--json"]
    assert len(text) < 100_000
    result, seconds, peak = _measure(args)
    assert result.exit_code == 2
    assert "values once its aliases expand" in result.stderr, result.stderr[:500]
    assert seconds < 1.0, seconds
    assert peak < 100 * MiB, peak


def test_a_csv_over_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    from nnsolve import data

    big = tmp_path / "big.csv"
    with open(big, "wb") as f:  # sparse: 1 GiB + 1 byte of nothing, refused by its size alone
        f.truncate(data.MAX_DATA_BYTES + 1)
    start = time.perf_counter()
    assert_usage_error(invoke("train", str(XOR), "--data", str(big)), "larger than the 1 GiB nnsolve reads")
    assert time.perf_counter() - start < 1.0
    # a real CSV past a (lowered) limit: refused, though it would train
    monkeypatch.setattr(data, "MAX_DATA_BYTES", 2000)
    csv = tmp_path / "xor.csv"
    csv.write_text("x1,x2,y\n" + "0,0,0\n0,1,1\n1,0,1\n1,1,0\n" * 100, encoding="utf-8")
    assert_usage_error(invoke("train", str(XOR), "--data", str(csv), "--epochs", "1"), "larger than")
    monkeypatch.setattr(data, "MAX_DATA_BYTES", 1 << 30)
    assert invoke("train", str(XOR), "--data", str(csv), "--epochs", "1").exit_code == 0


def test_an_npz_that_unpacks_past_the_limit_is_refused(tmp_path, monkeypatch):
    from nnsolve import data

    path = tmp_path / "zeros.npz"
    np.savez_compressed(path, X=np.zeros((2000, 2)), y=np.zeros((2000, 1)))  # 48 kB of zeros, 1 kB packed
    assert path.stat().st_size < 4000
    monkeypatch.setattr(data, "MAX_DATA_BYTES", 20_000)
    assert_usage_error(invoke("train", str(XOR), "--data", str(path), "--epochs", "1"), "unpacks to", "more than")
    monkeypatch.setattr(data, "MAX_DATA_BYTES", 1 << 30)
    assert invoke("train", str(XOR), "--data", str(path), "--epochs", "1").exit_code == 0


def _npy_header(shape, descr="<f8") -> bytes:
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %r, }" % (descr, shape)
    header += " " * (117 - len(header)) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode("latin-1")


@pytest.mark.parametrize("suffix", [".npy", ".npz"])
def test_an_array_whose_header_claims_more_than_the_limit_is_refused_unread(tmp_path, suffix):
    path = tmp_path / f"big{suffix}"
    huge = _npy_header((1 << 28, 3)) + b"\0" * 64  # says 6 GiB, holds 64 bytes
    if suffix == ".npz":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("X.npy", huge)
            archive.writestr("y.npy", _npy_header((3,)) + b"\0" * 24)
    else:
        path.write_bytes(huge)
    assert_usage_error(invoke("train", str(XOR), "--data", str(path)), "would take 6 GiB, more than the 1 GiB nnsolve reads")


class _Evil:
    """Unpickling this runs a command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("suffix", [".npy", ".npz"])
def test_a_pickle_in_a_data_file_is_never_loaded(tmp_path, suffix):
    marker = tmp_path / "ran"
    path = tmp_path / f"evil{suffix}"
    evil = np.array([_Evil(marker), _Evil(marker)], dtype=object)
    if suffix == ".npy":
        np.save(path, evil, allow_pickle=True)
    else:
        np.savez(path, X=evil, y=evil)
    assert_usage_error(invoke("train", str(XOR), "--data", str(path)), "pickled")
    assert not marker.exists()


def test_yaml_tags_never_run_code(tmp_path):
    marker = tmp_path / "ran"
    tag = f"!!python/object/apply:os.system ['touch {marker}']"
    problem = tmp_path / "p.yaml"
    problem.write_text(WORKSHEET.read_text(encoding="utf-8").replace("title: 1 Neural Network", f"title: {tag}"), encoding="utf-8")
    assert_usage_error(invoke("run", str(problem)), "is not allowed")
    shutil.copy(WORKSHEET, tmp_path / "worksheet.yaml")
    (tmp_path / "s.yaml").write_text(f"problem: worksheet.yaml\nloss: {tag}\n", encoding="utf-8")
    assert invoke("check", str(tmp_path / "s.yaml")).exit_code == 2
    assert_usage_error(invoke("run", "--given", f"loss={tag}"), "is not allowed")
    assert_usage_error(invoke("run", "--given", f"beta1={tag}"), "is not allowed")
    assert not marker.exists()


def test_a_sheet_never_makes_nnsolve_open_another_file(tmp_path, monkeypatch):
    """Only the sheet and the problem file beside it are opened: no other name a sheet gives
    (a path out of its folder, an absolute path, a link out, a name in a value) is ever opened."""
    secret = tmp_path / "secret.yaml"
    shutil.copy(WORKSHEET, secret)  # a valid problem: opened, it would grade the sheet
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(WORKSHEET, folder / "worksheet.yaml")
    (folder / "link.yaml").symlink_to(secret)
    sheets = {
        "up.yaml": "problem: ../secret.yaml\nloss: 0.38790175\n",
        "absolute.yaml": f"problem: {secret}\nloss: 0.38790175\n",
        "link.yaml-sheet.yaml": "problem: link.yaml\nloss: 0.38790175\n",
        "dots.yaml": "problem: ./../secret.yaml\nloss: 0.38790175\n",
        "values.yaml": f"problem: worksheet.yaml\nstudent: {secret}\nloss: {secret}\n",
        "good.yaml": "problem: worksheet.yaml\nloss: 0.38790175\n",
    }
    for name, text in sheets.items():
        (folder / name).write_text(text, encoding="utf-8")
    opened: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def record_open(file, *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)):
            opened.append(os.path.realpath(file))
        return real_open(file, *args, **kwargs)

    def record_os_open(path, *args, **kwargs):
        opened.append(os.path.realpath(path))
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", record_open)
    monkeypatch.setattr(os, "open", record_os_open)
    result = invoke("check", *(str(folder / n) for n in sheets), "--json")
    monkeypatch.undo()
    records = [strict_json(line) for line in result.stdout.splitlines()]
    assert [r["error"] is None for r in records] == [False, False, False, False, False, True]
    assert str(secret.resolve()) not in opened
    assert str((folder / "worksheet.yaml").resolve()) in opened  # the one file a sheet may name


# =============================================================================================
# 5. Determinism

def _class_folder(tmp: Path) -> None:
    shutil.copy(WORKSHEET, tmp / "worksheet.yaml")
    shutil.copy(ANSWERS, tmp / "answers.yaml")
    shutil.copy(XOR, tmp / "xor.yaml")
    shutil.copy(XOR_DATA, tmp / "xor.csv")
    shutil.copy(PROBLEMS / "sgd_steps.yaml", tmp / "sgd.yaml")


COMMANDS = [
    ["run"], ["run", "--json"], ["run", "--format", "markdown"], ["run", "--format", "latex"], ["run", "sgd.yaml", "--epochs", "2"],
    ["run", "--round", "3", "--round-mode", "truncate"], ["run", "--given", "beta1=[0.5,0.999]", "--json"],
    ["grad", "W1[2,1]"], ["grad", "--all"], ["grad", "W2_11", "--json"], ["grad", "W1[2,1]", "--sig", "3", "--format", "latex"],
    ["check", "answers.yaml"], ["check", "answers.yaml", "--json"], ["check", "answers.yaml", "--rtol", "1e-4", "--atol", "0"],
    ["check", "--template", "worksheet.yaml"], ["check", "answers.yaml", "--gradescope", "out/results.json"],
    ["new", "--seed", "7"], ["new", "--seed", "3", "--count", "3", "--out", "out/class", "--keys", "latex", "--moodle", "out/q.xml", "--prairielearn", "out/pl"],
    ["draw"], ["draw", "--format", "dot", "--updated"], ["draw", "--format", "mermaid", "--color-by", "gradient"],
    ["draw", "--format", "text", "-o", "out/net.txt"],
    ["train", "xor.yaml", "--data", "xor.csv", "--epochs", "30"], ["train", "xor.yaml", "--data", "xor.csv", "--epochs", "5", "--json", "--seed", "4", "--init", "he"],
    ["train", "xor.yaml", "--data", "xor.csv", "--epochs", "5", "--batch-size", "2", "--validation-split", "0.5", "--save", "out/t.yaml"],
    ["schema", "solution"], ["schema", "train"],
]
if HAS_MATPLOTLIB:
    COMMANDS += [
        ["draw", "--format", "svg"], ["draw", "--format", "png", "-o", "out/net.png"],
        ["train", "xor.yaml", "--data", "xor.csv", "--epochs", "5", "--plot", "out/loss.png"],
    ]


def _tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_the_same_input_gives_byte_identical_output(tmp_path, monkeypatch, args):
    """Each command run twice, each time in a fresh folder: the same stdout, stderr and files, byte for byte."""
    runs = []
    for n in (1, 2):
        folder = tmp_path / str(n)
        folder.mkdir()
        (folder / "out").mkdir()
        _class_folder(folder)
        monkeypatch.chdir(folder)
        result = invoke(*args)
        assert result.exit_code in (0, 1), result.stderr
        runs.append((result.stdout_bytes, result.stderr_bytes, _tree(folder / "out")))
    assert runs[0] == runs[1]


DRIVER = r"""
import json, os, sys
import numpy, yaml  # noqa: F401 (imported once, before the forks)
from nnsolve.cli import main
commands, out = json.loads(sys.argv[1]), sys.argv[2]
codes = []
for i, args in enumerate(commands):
    pid = os.fork()
    if pid == 0:
        os.dup2(os.open(os.path.join(out, f"{i}.out"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 1)
        os.dup2(os.open(os.path.join(out, f"{i}.err"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
        code = 0
        try:
            main(args)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 0
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    codes.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
print(json.dumps(codes))
"""

ENVIRONMENTS = {
    "plain": {},
    "narrow, NO_COLOR": {"COLUMNS": "30", "LINES": "5", "NO_COLOR": "1"},
    "wide, LC_ALL=C": {"COLUMNS": "250", "LC_ALL": "C"},
    "LC_ALL=C.UTF-8, TERM=dumb": {"LC_ALL": "C.UTF-8", "TERM": "dumb"},
    "C locale without UTF-8 mode": {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
    "latin-1 output": {"PYTHONIOENCODING": "latin-1", "FORCE_COLOR": "1"},
}
PROCESS_COMMANDS = [
    ["run"], ["run", "--json"], ["grad", "W1[2,1]"], ["grad", "--all"], ["check", "answers.yaml"],
    ["check", "answers.yaml", "--json"], ["new", "--seed", "7"], ["draw"], ["draw", "--format", "mermaid"],
    ["train", "xor.yaml", "--data", "xor.csv", "--epochs", "5"], ["schema", "problem"], ["run", "nothere.yaml"],
]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the driver forks")
def test_output_is_the_same_at_any_width_in_any_locale_with_or_without_colour(tmp_path):
    """Real processes (stdout a pipe): the environment changes nothing in the output's bytes."""
    _class_folder(tmp_path)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TERM", "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONCOERCECLOCALE"))}
    base["PYTHONPATH"] = str(ROOT)
    procs = {}
    for name, extra in ENVIRONMENTS.items():
        out = tmp_path / name.replace(" ", "_").replace(",", "").replace("=", "")
        out.mkdir()
        procs[name] = (out, subprocess.Popen(
            [sys.executable, "-c", DRIVER, json.dumps(PROCESS_COMMANDS), str(out)], cwd=tmp_path,
            env={**base, **extra}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        ))
    outputs = {}
    for name, (out, proc) in procs.items():
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, (name, stderr.decode(errors="replace")[-3000:])
        codes = json.loads(stdout)
        assert codes == [0] * (len(PROCESS_COMMANDS) - 1) + [2], (name, codes)
        outputs[name] = [((out / f"{i}.out").read_bytes(), (out / f"{i}.err").read_bytes()) for i in range(len(PROCESS_COMMANDS))]
        for o, e in outputs[name]:
            assert b"\x1b[" not in o and b"Traceback" not in e, name
    first = outputs["plain"]
    for name, runs in outputs.items():
        for args, got, want in zip(PROCESS_COMMANDS, runs, first):
            assert got == want, (name, args)
    assert "β¹".encode("utf-8") in first[0][0]  # UTF-8, whatever the locale said


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_no_colour_on_a_terminal_with_no_color(tmp_path):
    master, slave = os.openpty()
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "nnsolve", "run"], stdout=slave, stderr=slave, env=env, cwd=tmp_path)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(master)
    text = b"".join(chunks)
    assert proc.returncode == 0
    assert b"sigmoid" in text
    assert b"\x1b[" not in text  # no colour, no styles


# =============================================================================================
# Defects the fuzzing found, each kept found


def _npz_bytes(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _npy_bytes(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


DATA_DEFECTS = {
    # name: (file name, bytes, exit status, what the error says)
    "lines ended by a lone CR": ("old-mac.csv", b"\xef\xbb\xbf\rx1,x2,y\r0,0,0\r0,1,1\r1,0,1\r1,1,0\r", 0, None),
    "a cell over the csv module's limit": ("big-cell.csv", b"x1,x2,y\n1,2," + b"a" * 200_000 + b"\n", 2, "not CSV: field larger than field limit"),
    "a header numpy cannot tokenize": ("token.npy", _npy_header((4, 3)).replace(b"(4, 3)", b"\x062/ 3)") + b"\0" * 96, 2, "is not a NumPy file"),
    "a header cut short": ("cut.npy", _npy_header((4, 3))[:40], 2, "is not a NumPy file"),
    "a zip that is not one": ("bad.npz", b"PK\x05\x06\x00fH8\xc8C'\rb" + b"\0" * 12, 2, "is not a NumPy file (BadZipFile"),
    "an npz member not saved by numpy": ("raw.npz", _npz_bytes({"X": b"raw bytes", "y.npy": _npy_bytes(np.zeros(4))}), 2, "X is not a NumPy array"),
    "an npz with a broken member": ("broken.npz", _npz_bytes({"X.npy": _npy_bytes(np.zeros((4, 2)))[:90], "y.npy": _npy_bytes(np.zeros(4))}), 2, "is not a NumPy file"),
    "an npz read as .npy": ("npz.npy", _npz_bytes({"X.npy": _npy_bytes(np.zeros((4, 2))), "y.npy": _npy_bytes(np.zeros(4))}), 0, None),
}


@pytest.mark.parametrize("name", DATA_DEFECTS)
def test_data_files_the_fuzzing_found(tmp_path, name):
    file_name, data, status, message = DATA_DEFECTS[name]
    path = tmp_path / file_name
    path.write_bytes(data)
    result = invoke("train", str(XOR), "--data", str(path), "--epochs", "1", "--json")
    if status == 0:
        assert result.exit_code == 0, result.stderr
        assert [strict_json(line)["epoch"] for line in result.stdout.splitlines()] == [1]
    else:
        assert_usage_error(result, str(path), message)


def test_check_json_says_on_stderr_too_which_sheet_it_could_not_read(tmp_path):
    shutil.copy(WORKSHEET, tmp_path / "worksheet.yaml")
    (tmp_path / "s.yaml").write_text("---\n{student: \"\"}\n...\n", encoding="utf-8")
    result = invoke("check", str(tmp_path / "s.yaml"), "--json")
    assert result.exit_code == 2
    assert strict_json(result.stdout)["error"].startswith(str(tmp_path / "s.yaml"))
    assert result.stderr.splitlines() == [f"nnsolve: error: {strict_json(result.stdout)['error']}"]


@pytest.mark.parametrize("option", ["--json", "--gradescope=out.json"])
def test_check_template_refuses_what_it_would_not_honour(tmp_path, option):
    assert_usage_error(invoke("check", "--template", option), "--template prints a blank YAML answer sheet")
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("args", [["grad", "--all", "\0"], ["run", "p\0.yaml"], ["train", "xor.yaml", "--data", "x\0.csv"], ["run", "-o", "k\0.md"]])
def test_an_argument_with_a_nul_character(args):
    assert_usage_error(invoke(*args), "an argument holds a NUL character")


@pytest.mark.parametrize("count", [3, 200])
def test_many_files_are_flushed_once_few_each(tmp_path, monkeypatch, count):
    """write_files_atomic: a few files are each fsync'd before their rename; a class's many
    (past files.MANY_FILES) are flushed with one flush of their file system (syncfs), still
    before any rename."""
    from nnsolve import files

    calls = {"fsync": 0, "sync": 0, "renamed before sync": 0}
    real_fsync, real_flush, real_link = os.fsync, files.flush_file_system, os.link
    monkeypatch.setattr(files.os, "fsync", lambda fd: (calls.__setitem__("fsync", calls["fsync"] + 1), real_fsync(fd))[1])
    monkeypatch.setattr(files, "flush_file_system", lambda folder: (calls.__setitem__("sync", calls["sync"] + 1), real_flush(folder))[1])

    def link(src, dst):
        if count > files.MANY_FILES and calls["sync"] == 0:
            calls["renamed before sync"] += 1
        return real_link(src, dst)

    monkeypatch.setattr(files.os, "link", link)
    targets = [(str(tmp_path / f"r{n:03d}.json"), f"result {n}\n".encode()) for n in range(count)]
    files.write_files_atomic(targets)
    assert [Path(p).read_bytes() for p, _ in targets] == [d for _, d in targets]
    assert sorted(os.listdir(tmp_path)) == sorted(os.path.basename(p) for p, _ in targets)  # no temporary left
    assert calls == ({"fsync": count, "sync": 0, "renamed before sync": 0} if count <= files.MANY_FILES else {"fsync": 0, "sync": 1, "renamed before sync": 0})


def _writer_that(what: str) -> str:
    """files._WRITER (the helper process that makes a class's files) doing `what` (a statement)
    just before it makes its 50th file."""
    from nnsolve import files

    assert "        fd = os.open(" in files._WRITER
    return files._WRITER.replace("        fd = os.open(", f"        if made == 49:\n            {what}\n        fd = os.open(", 1)


@pytest.mark.parametrize("how", ["disk full in the writer", "the writer killed", "interrupted while making files"])
def test_new_with_many_files_fails_cleanly(tmp_path, monkeypatch, how):
    """Past files.MANY_FILES, new's files are made by a helper process as they are written, and
    flushed all at the end: a failure half-way (a full disk, the helper killed, an interrupt
    while the files are being made) leaves no folder, no staging and no helper behind, and
    nothing is written after it."""
    from nnsolve import files
    from nnsolve.render import problem_file

    out = tmp_path / "out"
    makers = []
    real_maker = files.FileMaker

    class FileMaker(real_maker):
        def __init__(self, folder, names=()):
            super().__init__(folder, names)
            makers.append(self._process)

    monkeypatch.setattr(files, "FileMaker", FileMaker)
    if how == "disk full in the writer":
        monkeypatch.setattr(files, "_WRITER", _writer_that("raise OSError(28, 'No space left on device')"))
    elif how == "the writer killed":
        monkeypatch.setattr(files, "_WRITER", _writer_that("os.kill(os.getpid(), 9)"))
    else:
        real_layout, calls = problem_file._layout, []

        def layout(*args):  # the text of one variant's problem file
            calls.append(1)
            if len(calls) == 30:
                raise KeyboardInterrupt
            return real_layout(*args)

        monkeypatch.setattr(problem_file, "_layout", layout)
    result = invoke("new", "--seed", "4", "--count", "40", "--out", str(out))
    assert result.exit_code == (130 if how.startswith("interrupted") else 2), result.stderr
    if how == "disk full in the writer":
        assert "No space left on device" in result.stderr
    elif how == "the writer killed":
        assert "the process making the files stopped" in result.stderr
    assert not out.exists()
    assert leftovers(tmp_path) == []
    assert len(makers) == 1 and makers[0].returncode is not None  # the helper is gone
    monkeypatch.undo()  # and without a failure: every file
    assert invoke("new", "--seed", "4", "--count", "40", "--out", str(out)).exit_code == 0
    assert len(os.listdir(out)) == 80 and leftovers(tmp_path) == []


def test_new_makes_the_same_files_with_or_without_its_helper(tmp_path, monkeypatch):
    """The helper process makes each file as this process would (the same bytes and modes);
    where no Python can be started for it (a frozen app, or no sys.executable), new makes them
    itself."""
    from nnsolve import files

    assert invoke("new", "--seed", "5", "--count", "40", "--out", str(tmp_path / "helped")).exit_code == 0
    monkeypatch.setattr(files.sys, "frozen", True, raising=False)  # an app bundle: its executable runs the app, not Python
    made, real_create = [], files.create_file
    monkeypatch.setattr(files, "create_file", lambda path, data, sync=True: (made.append(path), real_create(path, data, sync))[1])
    assert invoke("new", "--seed", "5", "--count", "40", "--out", str(tmp_path / "alone")).exit_code == 0
    assert len(made) == 80
    helped, alone = sorted((tmp_path / "helped").iterdir()), sorted((tmp_path / "alone").iterdir())
    assert [p.name for p in helped] == [p.name for p in alone]
    assert [(p.read_bytes(), p.stat().st_mode) for p in helped] == [(p.read_bytes(), p.stat().st_mode) for p in alone]
    assert leftovers(tmp_path) == []
    monkeypatch.setattr(files.sys, "executable", "")
    assert invoke("new", "--seed", "5", "--count", "40", "--out", str(tmp_path / "alone2")).exit_code == 0
    assert len(made) == 160 and [p.read_bytes() for p in sorted((tmp_path / "alone2").iterdir())] == [p.read_bytes() for p in helped]


def test_new_stages_its_folder_before_drawing_and_leaves_nothing_when_it_fails(tmp_path, monkeypatch):
    """--out is staged (its files created empty by the helper) before the variants are drawn: a
    refusal found after that (--questions that are not quantities) leaves no folder, no staging,
    no helper behind; and the names staged are the very files new writes, with every key format."""
    from nnsolve import files
    from nnsolve.cli.new import variant_files, variant_names
    from nnsolve.cli.new import make_shape
    from nnsolve.variants import generate_solved

    makers = []
    real_maker = files.FileMaker

    class FileMaker(real_maker):
        def __init__(self, folder, names=()):
            super().__init__(folder, names)
            makers.append((self._process, len(names)))

    monkeypatch.setattr(files, "FileMaker", FileMaker)
    out = tmp_path / "class"
    result = invoke("new", "--count", "40", "--out", str(out), "--moodle", str(tmp_path / "q.xml"), "--questions", "nonsense")
    assert_usage_error(result, "--questions 'nonsense'")
    assert not out.exists() and not (tmp_path / "q.xml").exists() and leftovers(tmp_path) == []
    assert len(makers) == 1 and makers[0][1] == 80 and makers[0][0].returncode is not None
    problems, solutions, _ = generate_solved(make_shape(None, None, None, None, None), 7, 3)
    for key_format in (None, "markdown", "latex"):
        assert variant_names(7, key_format) == [name for name, _ in variant_files(problems, solutions, key_format, 3, True)]


def test_a_file_named_in_advance_but_never_written_is_an_error(tmp_path):
    """The helper refuses to leave a file it created empty in advance and was never given: an
    empty file in a class's folder would be a silent loss."""
    from nnsolve import files

    maker = files.FileMaker(str(tmp_path), ["a.yaml", "b.yaml"])
    maker.add("a.yaml", b"x: 1\n")
    with pytest.raises(OSError, match="never written"):
        maker.finish()
    maker = files.FileMaker(str(tmp_path / "."), [])
    maker.add("c.yaml", b"y: 2\n")
    maker.finish()
    assert (tmp_path / "a.yaml").read_bytes() == b"x: 1\n" and (tmp_path / "c.yaml").read_bytes() == b"y: 2\n"
