"""Reliability: the same input gives byte-identical output, run twice, at any terminal width, in
any locale or output encoding, with or without NO_COLOR."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


from conftest import PROBLEMS, ROOT, invoke

WORKSHEET = PROBLEMS / "worksheet.yaml"
ANSWERS = PROBLEMS / "worksheet-answers.yaml"
XOR = PROBLEMS / "xor.yaml"
XOR_DATA = ROOT / "problems" / "data" / "xor.csv"
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


# =============================================================================================
# Determinism

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
