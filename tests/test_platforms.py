"""nnsolve where POSIX's extras are missing (Windows, macOS): the package imports and run, grad,
check, train and new work without os.sync, hard links, user ids, fcntl or pwd, and new --out
works where a folder cannot be renamed onto another (Windows)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import PROBLEMS, ROOT, invoke, leftovers

# what only some systems have: nnsolve must run without any of it
POSIX_ONLY = ("sync", "link", "geteuid", "getuid", "getgid", "fork", "fchmod", "mkfifo", "symlink",
              "O_CLOEXEC", "O_NOFOLLOW", "O_DIRECTORY", "O_NONBLOCK")
POSIX_MODULES = ("fcntl", "pwd", "grp", "termios", "resource")

WITHOUT_POSIX = """
import json, os, sys
for name in {names!r}:
    if hasattr(os, name):
        delattr(os, name)
for module in {modules!r}:
    sys.modules[module] = None  # import fails, as it does where the module does not exist
real_replace = os.replace

def replace(src, dst):  # as Windows: no folder is renamed onto another, even an empty one
    if os.path.isdir(src) and os.path.exists(dst):
        raise PermissionError(13, "Access is denied", dst)
    return real_replace(src, dst)

os.replace = replace
from click.testing import CliRunner
from nnsolve.cli import cli

out = sys.argv[1]
os.mkdir(os.path.join(out, "empty"))
runs = {{
    "run -o": ["run", "--json", "-o", os.path.join(out, "key.json")],
    "grad": ["grad", "W2[1,1]"],
    "check": ["check", {answers!r}],
    "train": ["train", {xor!r}, "--data", {xor_data!r}, "--epochs", "2", "--batch-size", "2"],
    "new, a few": ["new", "--seed", "1", "--count", "3", "--out", os.path.join(out, "empty")],
    "new, a class": ["new", "--seed", "1", "--count", "80", "--out", os.path.join(out, "class")],
}}
codes = {{name: CliRunner().invoke(cli, args, catch_exceptions=False).exit_code for name, args in runs.items()}}
print(json.dumps({{"codes": codes, "files": {{d: len(os.listdir(os.path.join(out, d))) for d in ("empty", "class")}}}}))
"""


def test_nnsolve_runs_without_what_only_posix_has(tmp_path):
    """A fresh interpreter without POSIX's extras (nnsolve imported after they are gone)."""
    code = WITHOUT_POSIX.format(names=POSIX_ONLY, modules=POSIX_MODULES, answers=str(PROBLEMS / "worksheet-answers.yaml"),
                                xor=str(PROBLEMS / "xor.yaml"), xor_data=str(PROBLEMS / "data" / "xor.csv"))
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout.splitlines()[-1])
    assert got["codes"] == {"run -o": 0, "grad": 0, "check": 0, "train": 0, "new, a few": 0, "new, a class": 0}, result.stdout
    assert got["files"] == {"empty": 6, "class": 160}
    assert json.loads((tmp_path / "key.json").read_text())["loss"]
    assert leftovers(tmp_path) == []


def _windows_replace(monkeypatch, fail_twice: bool = False):
    """os.replace as Windows has it: a folder is never renamed onto an existing one."""
    real = os.replace

    def replace(src, dst):
        if os.path.isdir(src) and (os.path.exists(dst) or fail_twice):
            raise PermissionError(13, "Access is denied", dst)
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)


def test_new_into_an_empty_folder_where_folders_are_not_renamed_onto_folders(tmp_path, monkeypatch):
    _windows_replace(monkeypatch)
    (tmp_path / "empty").mkdir()
    assert invoke("new", "--seed", "2", "--count", "4", "--out", str(tmp_path / "empty")).exit_code == 0
    assert len(os.listdir(tmp_path / "empty")) == 8 and leftovers(tmp_path) == []


def test_new_that_cannot_rename_its_folder_leaves_the_empty_folder_as_it_was(tmp_path, monkeypatch):
    _windows_replace(monkeypatch, fail_twice=True)
    (tmp_path / "empty").mkdir()
    result = invoke("new", "--seed", "2", "--count", "4", "--out", str(tmp_path / "empty"))
    assert result.exit_code == 2 and "cannot write: Access is denied" in result.stderr
    assert os.listdir(tmp_path) == ["empty"] and os.listdir(tmp_path / "empty") == []
