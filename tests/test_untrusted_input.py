"""Reliability: YAML is read safely (a scan of the code), answer sheets and problem files over
1 MiB are refused, alias bombs are refused within a second and 100 MB, data files over the limit
are refused (an .npz that unpacks past it too), pickles never load, and a sheet cannot make
nnsolve open any file but the problem file beside it; and the defects the fuzzing found."""

from __future__ import annotations

import ast
import builtins
import io
import os
import shutil
import time
import tracemalloc
import zipfile

import numpy as np
import pytest
import yaml


from conftest import PROBLEMS, ROOT, assert_usage_error, invoke, needs_posix, strict_json

WORKSHEET = PROBLEMS / "worksheet.yaml"
ANSWERS = PROBLEMS / "worksheet-answers.yaml"
XOR = PROBLEMS / "xor.yaml"
XOR_DATA = ROOT / "problems" / "data" / "xor.csv"
MiB = 1 << 20


# =============================================================================================
# Untrusted input

SAFE_LOADERS = {"SafeLoader", "CSafeLoader", "FAST_LOADER"}
UNSAFE_NAMES = {"FullLoader", "UnsafeLoader", "Loader", "CLoader", "CFullLoader", "CUnsafeLoader", "unsafe_load", "full_load", "unsafe_load_all", "full_load_all"}
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle", "jsonpickle", "subprocess", "ctypes"}


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


def test_nnsolve_starts_no_process_and_calls_no_c_library():
    """No process is started anywhere in the package (no subprocess, os.system, os.spawn*,
    os.exec*, os.fork), and no C function is called through ctypes or cffi: what nnsolve runs is
    Python and numpy, on every platform."""
    found = []
    for path in sorted((ROOT / "nnsolve").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
                found += [(path.name, n) for n in names if n.split(".")[0] in ("subprocess", "ctypes", "cffi", "multiprocessing")]
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os" \
                    and (node.attr in ("system", "popen") or node.attr.startswith(("spawn", "exec", "posix_spawn", "fork"))):
                found.append((path.name, f"os.{node.attr}"))
    assert found == []


def test_nnsolve_reads_yaml_and_numpy_safely_and_runs_nothing():
    """yaml.safe_load / the safe loader only, np.load (and numpy's read_array) with
    allow_pickle=False, no eval, exec or pickle anywhere in the package. (data.py reads most
    arrays as raw bytes, after refusing an object dtype in the header.)"""
    from nnsolve.yaml_nodes import FAST_LOADER

    package = ROOT / "nnsolve"
    problems, totals = [], {"yaml": 0, "np.load": 0}
    sources = sorted(package.rglob("*.py"))
    assert len(sources) > 20
    for path in sources:
        found, seen = scan_source(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
        problems += found
        for k in totals:
            totals[k] += seen[k]
    assert problems == []
    assert totals["yaml"] >= 2 and totals["np.load"] >= 1, totals  # the scan saw the real readers
    # libyaml's safe loader (or the pure one), only its tag resolving remembered: no constructors
    assert issubclass(FAST_LOADER, (yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    assert FAST_LOADER.yaml_constructors is yaml.SafeLoader.yaml_constructors


def test_the_remembered_tags_are_the_safe_loaders_tags():
    """FAST_LOADER remembers the tag of each text: every node's tag is the one the safe loader
    gives, the first time and when remembered, for the texts YAML 1.1 reads in surprising ways."""
    from nnsolve.yaml_nodes import FAST_LOADER

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

    assert tags(FAST_LOADER) == tags(yaml.SafeLoader)
    assert tags(FAST_LOADER) == tags(yaml.SafeLoader)  # remembered, the same


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


@needs_posix
def test_a_sheet_never_makes_nnsolve_open_another_file(tmp_path, monkeypatch):
    """Run in the class's folder, only the sheets and the problem file beside them are opened:
    no other name a sheet gives (a path above the folder nnsolve runs in, an absolute path, a
    link out, a name in a value) is ever opened."""
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
    monkeypatch.chdir(folder)
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
    result = invoke("check", *sheets, "--json")
    monkeypatch.undo()
    records = [strict_json(line) for line in result.stdout.splitlines()]
    assert [r["error"] is None for r in records] == [False, False, False, False, False, True]
    assert str(secret.resolve()) not in opened
    assert str((folder / "worksheet.yaml").resolve()) in opened  # the one file these sheets may name
    assert all("outside the folder nnsolve runs in" in records[n]["error"] for n in (0, 2, 3))
    assert "is not a file beside the sheet nor a .yaml file" in records[1]["error"]


def test_a_problem_a_sheet_names_elsewhere_that_does_not_read_shows_nothing_of_it(tmp_path, monkeypatch):
    """In the folder nnsolve runs in, a sheet may name a .yaml problem by a path out of its own
    folder; if that file is not a problem, the error says so in one line that quotes none of it."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "secret.yaml").write_text("password: hunter2\nW1: [[hunter3]]\n", encoding="utf-8")
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "ann.yaml").write_text("problem: ../config/secret.yaml\nloss: 0.38\n", encoding="utf-8")
    (tmp_path / "class" / "local.yaml").write_text("password: hunter2\n", encoding="utf-8")
    (tmp_path / "class" / "bob.yaml").write_text("problem: local.yaml\nloss: 0.38\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = invoke("check", "class/ann.yaml", "--json")
    [record] = [strict_json(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 2
    assert record["error"] == ("class/ann.yaml:1: problem: '../config/secret.yaml' is not a problem file nnsolve can read; "
                               "nnsolve run on that file says why, or give --problem FILE")
    # beside the sheet, the problem's own message, as before (the sheet's folder is the sheet writer's)
    [record] = [strict_json(line) for line in invoke("check", "class/bob.yaml", "--json").stdout.splitlines()]
    assert "password" in record["error"]


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
