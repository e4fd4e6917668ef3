"""Property-based fuzzing of every input path (issue 8, part 1).

Hypothesis generates problem files, answer sheets, data files (CSV, .npy, .npz), weight
references, --given values and whole command lines, full of what people and programs get
wrong: wrong types and shapes, huge and tiny numbers, NaN and infinity spelled every way YAML
allows, unicode, empty and deeply nested documents, duplicate keys, YAML tags, anchors and
aliases. Every generated case is run through the real CLI, in-process (click's CliRunner with
catch_exceptions=False, so a crash is a failure, and pytest's filterwarnings=error, so a Python
warning is one too), and must keep the contract of docs/design.md:

- the exit status is 0, 1 or 2;
- status 2 prints exactly one `nnsolve: error: ...` line on stderr (check: one per sheet that
  could not be read) and, except for check's table of sheets, nothing on stdout;
- nothing but `nnsolve: ...` lines on stderr, and never a traceback;
- when JSON was asked for, stdout (or the -o file) is valid JSON (JSON Lines for check and
  train) with no NaN or Infinity.

The runs are deterministic (derandomize=True, no example database): CI runs the same cases
every time. COUNTS counts the cases run per input path; the last test checks that a full run
of this file ran CASES (12,700) of them, at least MIN_TOTAL (10,000). NNSOLVE_FUZZ_SCALE=10 runs
ten times as many.
"""

from __future__ import annotations

import collections
import io
import json
import math
import os
import shutil
import warnings
import zipfile

import click

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnsolve.cli import cli

from conftest import PROBLEMS, ROOT

SCALE = float(os.environ.get("NNSOLVE_FUZZ_SCALE", "1"))
MIN_TOTAL = 10_000  # generated cases a full run of this file must reach
CASES = 12_700  # the fuzz(...) budgets below, summed: the cases a full run at SCALE 1 runs
COUNTS: collections.Counter = collections.Counter()  # input path -> cases run
RAN: set = set()  # the fuzz tests that ran to the end (the total is checked only after all of them)
RUNNER = CliRunner()


def fuzz(max_examples: int):
    """Deterministic hypothesis settings for one input path."""
    return settings(
        max_examples=max(1, int(max_examples * SCALE)),
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
    )


# ---------------------------------------------------------------------------------------------
# The property every run keeps


def _no_nan(text: str):
    raise ValueError(f"JSON holds {text}")


def parse_json(text: str):
    return json.loads(text, parse_constant=_no_nan)


def nnsolve(path: str, args: list[str], *, json_out: str | None = None, sheets: int = 1, output: str | None = None):
    """Run `nnsolve ARGS` for the input path `path` and check the contract; the result.

    json_out: "object" (one JSON document) or "lines" (JSON Lines) when JSON was asked for.
    sheets: how many sheets a check run grades (each unreadable one has its own error line).
    output: the file JSON goes to instead of stdout (-o)."""
    COUNTS[path] += 1
    result = RUNNER.invoke(cli, args, catch_exceptions=False)
    where = f"nnsolve {args!r}\n--- stdout\n{result.stdout[:2000]}\n--- stderr\n{result.stderr[:2000]}"
    assert result.exit_code in (0, 1, 2), where
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, where
    assert "Warning:" not in result.stderr, where
    errors = result.stderr.splitlines()
    for line in errors:
        assert line.startswith("nnsolve: "), where
    error_lines = [line for line in errors if line.startswith("nnsolve: error: ")]
    if result.exit_code == 2:
        is_check = args[:1] == ["check"]
        if is_check:
            assert 1 <= len(error_lines) <= sheets, where
        else:
            assert errors == error_lines and len(error_lines) == 1, where
            assert result.stdout == "", where
        for line in error_lines:
            assert len(line) > len("nnsolve: error: ") + 3, where
    else:
        assert not error_lines, where
    if json_out and not result.stdout.startswith("Usage:"):
        if output is not None:
            text = read_text(output) if result.exit_code != 2 and os.path.isfile(output) else ""
        else:
            text = result.stdout
        if json_out == "object" and result.exit_code != 2:
            try:
                parse_json(text)
            except ValueError as e:
                raise AssertionError(f"not JSON ({e}): {where}") from None
        elif json_out == "lines":
            for line in text.splitlines():
                try:
                    parse_json(line)
                except ValueError as e:
                    raise AssertionError(f"not a JSON line ({e}): {line[:300]!r}: {where}") from None
    return result


# ---------------------------------------------------------------------------------------------
# A working folder: copies of the shipped problems and data, scratch space for each case

WORK_FILES = ("worksheet.yaml", "two_outputs.yaml", "deep_tanh_relu.yaml", "softmax_cross_entropy.yaml",
              "binary_cross_entropy.yaml", "sgd_steps.yaml", "xor.yaml")


@pytest.fixture(scope="module", autouse=True)
def work(tmp_path_factory):
    """Every case runs in a folder of its own: relative paths, and every file written, stay there."""
    folder = tmp_path_factory.mktemp("fuzz")
    for name in WORK_FILES:
        shutil.copy(PROBLEMS / name, folder / name)
    shutil.copy(ROOT / "problems" / "data" / "xor.csv", folder / "xor.csv")
    (folder / "nobias.yaml").write_text(
        "x: [2, 5]\ny: [1]\nW1: [[-2, 1], [1, 4]]\nW2: [[2], [-4]]\nbias: false\nlearning_rate: 1\n", encoding="utf-8"
    )
    old = os.getcwd()
    os.chdir(folder)
    try:
        yield folder
    finally:
        os.chdir(old)


def scratch(name: str = "case") -> str:
    """An empty folder for one case (emptied again by the next case)."""
    shutil.rmtree(name, ignore_errors=True)
    os.mkdir(name)
    return name


def read_text(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def write_text(path: str, text: str) -> str:
    with open(path, "w", encoding="utf-8", errors="surrogatepass", newline="") as f:
        f.write(text)
    return path


# ---------------------------------------------------------------------------------------------
# YAML pieces: scalars, values, documents


def weighted(*choices):
    """one_of with weights: weighted((5, a), (1, b)) draws a five times as often as b."""
    table = [s for w, s in choices for _ in range(w)]
    return st.integers(0, len(table) - 1).flatmap(lambda i: table[i])


def _float_text(x: float, style: int) -> str:
    if style == 0:
        return repr(x)
    if style == 1:
        return f"{x:e}"
    if style == 2:
        return f"{x:.3g}"
    return f"{x:.17g}"


# numbers a person or a program writes, in every style YAML 1.1 knows
finite_float = weighted(
    (6, st.floats(-10, 10, allow_nan=False, allow_infinity=False)),
    (3, st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)),
    (1, st.floats(allow_nan=False, allow_infinity=False)),
    (1, st.sampled_from([0.0, -0.0, 1e-12, -1e-12, 5e-324, 2.2250738585072014e-308, 1e-320, 1.7976931348623157e308, 1e6, -1e6, 1e154, 1e300])),
)
small_int = st.integers(-5, 5).map(str)
number_text = weighted(
    (6, st.tuples(finite_float, st.integers(0, 3)).map(lambda t: _float_text(*t))),
    (3, small_int),
    (1, st.integers(-(10**40), 10**40).map(str)),
    (1, st.sampled_from([
        "1_000", "+5", ".5", "5.", "1e3", "1E-3", "-1e-3", "0x1F", "-0x1f", "0o17", "0b101", "017", "-010", "08", "00",
        "0x_1F", "1:30", "190:20:30.15", "1e309", "-1e309", "1e-400", "1e99999", "0x" + "f" * 300, "1.8e308",
        "9" * 400, "1__0", "+.5e+3", "0.0", "-0.0", "1e-3 ", "12e", "1.2.3", "٣", "１", "²",
    ])),
)
NAN_INF = [
    ".nan", ".NaN", ".NAN", "nan", "NaN", "NAN", "-.nan", "+.nan", ".inf", ".Inf", ".INF", "+.inf", "-.inf", "-.Inf",
    "+.INF", "inf", "-inf", "Infinity", "-Infinity", "infinity", "!!float nan", "!!float .nan", "!!float .inf",
    "!!float -.inf", "!!float inf", "'nan'", '".inf"', "!!float 'nan'", '"NaN"', "!!float '-.INF'", "!!float 1e999",
]
TAGS = [
    "!!str 1", "!!int 3", "!!int '3'", "!!float 2", "!!bool yes", "!!null ''", "!!binary aGVsbG8=",
    "!!timestamp 2001-12-14", "!!set {a, b}", "!!omap [a: 1, b: 2]", "!!pairs [a: 1]", "!!seq [1, 2]", "!!map {a: 1}",
    "!!python/object/apply:os.system ['echo pwned']", "!!python/object/new:os.system [echo pwned]",
    "!!python/name:os.system", "!!python/tuple [1, 2]", "!!python/none ''", "!local 3", "!<tag:yaml.org,2002:float> 1",
    "!<tag:example.com,2000:x> 1", "!!value =", "!! 1", "! 1", "!!merge <<",
]
OTHER = [
    "", "~", "null", "Null", "NULL", "yes", "no", "on", "off", "y", "n", "true", "False", "TRUE", "2001-12-14",
    "2001-12-14t21:59:43.10-05:00", "=", "<<", '"1"', "'2.5'", '"0.5"', "[]", "{}", "[[]]", "[{}]", "- 1", "? a", "a: b",
    "*undefined", "&dangling", "|\n  1", ">\n  2", "'unterminated", '"unterminated', "[1, 2", "{a: 1", "]", "}", "@", "`",
    "%TAG", "\t1", "1 # comment", "'\u0000'", '"\\x00"', '"\\ud800"', "\u00a0", "\ufeff1", "\u202e1", "…", "ℯ", "∞", "-∞",
]
unicode_text = st.text(max_size=12).map(lambda s: json.dumps(s, ensure_ascii=False))
plain_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)
scalar_text = weighted(
    (8, number_text),
    (2, st.sampled_from(NAN_INF)),
    (2, st.sampled_from(TAGS)),
    (2, st.sampled_from(OTHER)),
    (1, unicode_text),
    (1, plain_text),
)
key_text = weighted((4, st.sampled_from(["x", "y", "W1", "W2", "a", "loss", "beta1", "0", "1.5", "null", "<<", "? x"])), (1, plain_text), (1, unicode_text))


def flow_list(items) -> str:
    return "[" + ", ".join(items) + "]"


def flow_map(pairs) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"


yaml_value = st.recursive(
    scalar_text,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5).map(flow_list),
        st.lists(st.tuples(key_text, inner), max_size=4).map(flow_map),
        st.tuples(st.sampled_from(["!!seq ", "!!map ", "!foo ", "&a ", "&b "]), inner).map("".join),
    ),
    max_leaves=16,
)


def nested(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + "1" + closer * depth


deep_value = st.integers(1, 300).flatmap(lambda d: st.sampled_from([nested(d), "{a: " * d + "1" + "}" * d, "- " * min(d, 60) + "1"]))


# ---------------------------------------------------------------------------------------------
# Problem files: a valid problem of random shape, then a few mutations of its entries

ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax"]
LOSSES = ["squared_error", "mse", "binary_cross_entropy", "cross_entropy"]
element = weighted((12, number_text), (1, scalar_text))


@st.composite
def problem_entries(draw, numbers=element):
    """(key, value text) pairs of a problem file: usually a valid one, of 1 to 3 layers."""
    sizes = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
    bias = draw(st.sampled_from([True, True, True, False]))
    L = len(sizes) - 1

    def vector(n):
        return flow_list(draw(st.lists(numbers, min_size=n, max_size=n)))

    entries = []
    if draw(st.booleans()):
        entries.append(("title", draw(weighted((3, unicode_text), (1, scalar_text)))))
    n_examples = draw(st.sampled_from([0, 0, 0, 1, 2, 3]))
    if n_examples:
        examples = [flow_map([("x", vector(sizes[0])), ("y", vector(sizes[-1]))]) for _ in range(n_examples)]
        entries.append(("examples", flow_list(examples)))
    else:
        entries.append(("x", vector(sizes[0])))
        entries.append(("y", vector(sizes[-1])))
    for l in range(1, L + 1):
        rows = sizes[l - 1] + (1 if bias else 0)
        entries.append((f"W{l}", flow_list([vector(sizes[l]) for _ in range(rows)])))
    activation = draw(st.one_of(st.sampled_from(ACTIVATIONS), st.lists(st.sampled_from(ACTIVATIONS), min_size=L, max_size=L).map(flow_list)))
    entries.append(("activation", activation))
    entries.append(("loss", draw(st.sampled_from(LOSSES))))
    entries.append(("learning_rate", draw(weighted((4, st.sampled_from(["0.1", "0.5", "1", "2"])), (2, numbers), (1, st.sampled_from(["1e-12", "1e6", "1e-300", "1e300"]))))))
    if not bias:
        entries.append(("bias", "false"))
    if draw(st.integers(0, 5)) == 0:
        entries.append(("train_bias", draw(st.sampled_from(["false", "true", "no", "1"]))))
    if draw(st.integers(0, 5)) == 0:
        entries.append(("threshold", draw(numbers)))
    if draw(st.integers(0, 7)) == 0:
        entries.append(("points", flow_map([(draw(st.sampled_from(["loss", "alpha1", "y_hat", "nope"])), draw(numbers))])))
    return entries


@st.composite
def mutated(draw, entries_strategy):
    """Entries with 0 to 3 mutations: a value replaced, a key dropped, doubled, renamed or added,
    an anchor and alias between two values, a deep value."""
    entries = list(draw(entries_strategy))
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.integers(0, 8))
        i = draw(st.integers(0, max(len(entries) - 1, 0)))
        if not entries:
            entries.append((draw(key_text), draw(yaml_value)))
        elif op == 0:
            entries[i] = (entries[i][0], draw(yaml_value))
        elif op == 1:
            del entries[i]
        elif op == 2:
            entries.insert(draw(st.integers(0, len(entries))), (entries[i][0], draw(weighted((1, yaml_value), (1, st.just(entries[i][1]))))))
        elif op == 3:
            entries[i] = (draw(key_text), entries[i][1])
        elif op == 4:
            entries.insert(draw(st.integers(0, len(entries))), (draw(key_text), draw(yaml_value)))
        elif op == 5 and len(entries) > 1:
            j = draw(st.integers(0, len(entries) - 1))
            lo, hi = sorted((i, j))
            if lo != hi:
                entries[lo] = (entries[lo][0], f"&v{lo} {entries[lo][1]}")
                entries[hi] = (entries[hi][0], f"*v{lo}")
        elif op == 6:
            entries[i] = (entries[i][0], draw(deep_value))
        elif op == 7:
            entries[i] = (entries[i][0], draw(st.sampled_from(NAN_INF + TAGS)))
        else:
            entries[i] = (entries[i][0], draw(st.sampled_from(["*nowhere", "", "[]", "{}", "~", "[[]]", "[[1, 2], [3]]"])))
    return entries


@st.composite
def document(draw, entries_strategy):
    """The text of a YAML file from its entries, in one of several layouts."""
    entries = draw(entries_strategy)
    layout = draw(st.integers(0, 9))
    if layout == 0:  # one flow mapping
        text = flow_map(entries) + "\n"
    else:
        text = "".join(f"{k}: {v}\n" for k, v in entries)
    frame = draw(st.integers(0, 15))
    if frame == 0:
        text = "---\n" + text + "...\n"
    elif frame == 1:
        text = "%YAML 1.1\n---\n" + text
    elif frame == 2:
        text = text + "---\n" + text  # two documents
    elif frame == 3:
        text = "\ufeff" + text.replace("\n", "\r\n")
    elif frame == 4:
        text = draw(st.sampled_from(["!!map\n", "--- !foo\n", "--- !!python/object:os.system\n", "&root\n"])) + text
    elif frame == 5:
        text = "# a comment\n\n" + text + "# trailing\n"
    elif frame == 6:
        text = text.replace(": ", ":\t", 1)
    elif frame == 7:
        k = draw(st.integers(0, len(text)))
        text = text[:k] + draw(st.sampled_from(["\x00", "\x07", "\ud800", "\u2028", "\x85", "\t", ":", "[", "'", "&", "*", "!", "\r"])) + text[k:]
    elif frame == 8:
        k = draw(st.integers(0, len(text)))
        text = text[:k]  # cut short
    return text


problem_text = document(mutated(problem_entries()))

RUN_COMMANDS = [
    (["run", "{f}", "--json"], "object"),
    (["run", "{f}", "--json"], "object"),
    (["run", "{f}", "--json"], "object"),
    (["run", "{f}", "--format", "markdown"], None),
    (["run", "{f}", "--round", "3", "--json"], "object"),
    (["run", "{f}", "--epochs", "2", "--json"], "object"),
    (["grad", "--all", "{f}", "--json"], "object"),
    (["grad", "W1[0,1]", "{f}", "--json"], "object"),
    (["grad", "W2[1,1]", "{f}", "--sig", "3"], None),
    (["draw", "{f}", "--format", "dot"], None),
    (["draw", "{f}", "--updated", "--color-by", "gradient", "--format", "mermaid"], None),
    (["check", "--template", "{f}"], None),
    (["new", "--from", "{f}", "--seed", "1"], None),
    (["train", "{f}", "--data", "xor.csv", "--epochs", "2", "--json"], "lines"),
    (["run", "{f}", "--given", "alpha1=[0, 1]", "--json"], "object"),
]
run_command = st.sampled_from(RUN_COMMANDS)


def run_problem(path: str, text: str, command) -> None:
    folder = scratch()
    f = write_text(os.path.join(folder, "p.yaml"), text)
    args, json_out = command
    nnsolve(path, [a.replace("{f}", f) for a in args], json_out=json_out)


@fuzz(2400)
@given(problem_text, run_command)
def test_fuzz_problem_files(text, command):
    run_problem("problem files", text, command)


@fuzz(600)
@given(st.lists(st.tuples(key_text, weighted((3, yaml_value), (1, deep_value))), max_size=6), run_command, st.integers(0, 3))
def test_fuzz_random_yaml_documents(entries, command, top):
    """Documents that are not problems at all: random mappings, lists, scalars, nothing."""
    if top == 0:
        text = "".join(f"{k}: {v}\n" for k, v in entries)
    elif top == 1:
        text = "".join(f"- {v}\n" for _, v in entries)
    elif top == 2:
        text = entries[0][1] + "\n" if entries else ""
    else:
        text = flow_map(entries)
    run_problem("problem files", text, command)


def _mutate_bytes(data: str, ops) -> str:
    for kind, position, piece in ops:
        k = position % (len(data) + 1)
        if kind == 0:
            data = data[:k] + piece + data[k:]
        elif kind == 1:
            data = data[:k] + data[k + len(piece) + 1:]
        else:
            data = data[:k] + piece + data[k + len(piece):]
    return data


text_ops = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 10_000), weighted((3, st.text(alphabet=" \n\t-:[]{},&*!|>'\"#%@`?0123456789.eE+x", max_size=3)), (1, st.text(max_size=3)))),
    min_size=1, max_size=4,
)


@fuzz(700)
@given(st.sampled_from(WORK_FILES), text_ops, run_command)
def test_fuzz_shipped_problems_mutated_character_by_character(name, ops, command):
    text = (PROBLEMS / name).read_text(encoding="utf-8")
    run_problem("problem files", _mutate_bytes(text, ops), command)


# ---------------------------------------------------------------------------------------------
# Numerical extremes: valid problems whose numbers reach 1e6 and far beyond, learning rates from
# 1e-12 to 1e6, every activation and loss. A result is finite (JSON has no NaN), or the run is
# refused naming the quantity that overflowed.

extreme_number = weighted(
    (3, st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(repr)),
    (1, st.sampled_from(["1e6", "-1e6", "1e-12", "0", "1e300", "-1e300", "1e154", "1.7976931348623157e308", "5e-324"])),
    (1, st.floats(allow_nan=False, allow_infinity=False).map(repr)),
)
learning_rate_text = weighted(
    (3, st.floats(1e-12, 1e6).map(repr)),
    (1, st.sampled_from(["1e-12", "1e6", "1e-300", "1e300"])),
)


@st.composite
def extreme_problem(draw):
    entries = dict(draw(problem_entries(numbers=extreme_number)))
    entries["learning_rate"] = draw(learning_rate_text)
    # labels and output layers the losses accept, so that the numbers are what is tested
    loss = entries["loss"]
    if loss in ("binary_cross_entropy", "cross_entropy") and "y" in entries:
        n_out = entries["y"].count(",") + 1
        n_layers = sum(1 for k in entries if k.startswith("W"))
        out = "softmax" if loss == "cross_entropy" and n_out > 1 and draw(st.booleans()) else "sigmoid"
        hidden = draw(st.lists(st.sampled_from(ACTIVATIONS[:-1]), min_size=n_layers - 1, max_size=n_layers - 1))
        entries["activation"] = flow_list(hidden + [out])
        if out == "softmax":
            k = draw(st.integers(0, n_out - 1))
            labels = ["1" if i == k else "0" for i in range(n_out)]
        else:
            labels = draw(st.lists(st.sampled_from(["0", "1", "0.5", "0.0", "1e-12"]), min_size=n_out, max_size=n_out))
        entries["y"] = flow_list(labels)
    return "".join(f"{k}: {v}\n" for k, v in entries.items())


EXTREME_COMMANDS = [
    (["run", "{f}", "--json"], "object"),
    (["run", "{f}", "--json"], "object"),
    (["grad", "--all", "{f}", "--json"], "object"),
    (["run", "{f}", "--round", "4", "--json"], "object"),
    (["run", "{f}", "--sig", "2", "--json"], "object"),
    (["run", "{f}", "--format", "latex"], None),
    (["grad", "W1[1,1]", "{f}"], None),
]


@fuzz(1200)
@given(extreme_problem(), st.sampled_from(EXTREME_COMMANDS))
def test_fuzz_numerical_extremes(text, command):
    folder = scratch()
    f = write_text(os.path.join(folder, "p.yaml"), text)
    args, json_out = command
    result = nnsolve("numerical extremes", [a.replace("{f}", f) for a in args], json_out=json_out)
    if result.exit_code == 2 and "overflows" in result.stderr:
        # the quantity that overflowed is named, and why
        assert any(q in result.stderr for q in ("alpha", "beta", "delta", "dl/dW", "updated W", "the loss")), result.stderr
        assert "float64" in result.stderr


# ---------------------------------------------------------------------------------------------
# Answer sheets: the names of the worksheet's (and other problems') sheets, values of every kind

def _template_names(problem: str) -> list[str]:
    """The names of a problem's blank answer sheet."""
    result = RUNNER.invoke(cli, ["check", "--template", str(PROBLEMS / problem)], catch_exceptions=False)
    lines = [line.split("#")[0].strip() for line in result.stdout.splitlines() if not line.startswith("#")]
    return [line[:-1] for line in lines if line.endswith(":")]


SHEET_NAMES = sorted(set(_template_names("worksheet.yaml") + _template_names("deep_tanh_relu.yaml")))
SHEET_PROBLEMS = [
    "worksheet.yaml", "deep_tanh_relu.yaml", "softmax_cross_entropy.yaml", "nobias.yaml", "sgd_steps.yaml", "nothere.yaml",
    "../worksheet.yaml", "/etc/passwd", "./worksheet.yaml", "sub/worksheet.yaml", ".", "..", "", "~", "[a]", "{a: 1}",
    '"worksheet.yaml\\0"', "xor.csv", "sheet.yaml", "link.yaml", "..\\\\worksheet.yaml", "C:\\\\x.yaml", "%2e%2e/x",
    "worksheet.yaml ", "WORKSHEET.YAML", "!!python/object/apply:os.system [ls]",
]
sheet_value = weighted(
    (4, number_text),
    (3, st.lists(number_text, min_size=1, max_size=4).map(flow_list)),
    (1, st.lists(st.lists(number_text, min_size=1, max_size=3).map(flow_list), min_size=1, max_size=4).map(flow_list)),
    (2, yaml_value),
    (1, st.sampled_from(NAN_INF + TAGS + OTHER)),
)
sheet_name = weighted(
    (8, st.sampled_from(SHEET_NAMES)),
    (1, key_text),
    (1, st.sampled_from(SHEET_NAMES).flatmap(lambda n: st.sampled_from([n.upper(), n + "_9", n + "_0", n.replace("[", "(").replace("]", ")"), " " + n, n + "x", n.replace("1", "٣")]))),
)


@st.composite
def sheet_text(draw):
    entries = []
    if draw(st.integers(0, 4)):
        entries.append(("problem", draw(st.sampled_from(SHEET_PROBLEMS))))
    if draw(st.booleans()):
        entries.append(("student", draw(weighted((3, unicode_text), (1, scalar_text)))))
    for _ in range(draw(st.integers(0, 8))):
        entries.append((draw(sheet_name), draw(sheet_value)))
    return draw(document(mutated(st.just(entries))))


CHECK_OPTIONS = st.lists(st.sampled_from([
    ["--rtol", "0"], ["--rtol", "1"], ["--atol", "0"], ["--atol", "1e300"], ["--sig", "1"], ["--sig", "15"], ["--no-ecf"],
    ["--partial", "0.5"], ["--partial", "0"], ["--digits", "1"], ["--digits", "17"], ["--problem", "two_outputs.yaml"],
    ["--problem", "worksheet.yaml"], ["--problem", "deep_tanh_relu.yaml"],
]), max_size=3)


@pytest.fixture(scope="module")
def sheet_folder(work):
    folder = work / "sheets"
    folder.mkdir()
    for name in WORK_FILES:
        shutil.copy(PROBLEMS / name, folder / name)
    shutil.copy(work / "nobias.yaml", folder / "nobias.yaml")
    (work / "secret.yaml").write_text("loss: 1\n", encoding="utf-8")
    if os.name == "posix":  # (a link on Windows needs a privilege)
        (folder / "link.yaml").symlink_to(work / "secret.yaml")  # a link out of the sheets' folder
    return folder


@fuzz(2000)
@given(st.lists(sheet_text(), min_size=1, max_size=3), CHECK_OPTIONS, st.integers(0, 3))
def test_fuzz_answer_sheets(sheet_folder, texts, options, mode):
    names = []
    for n, text in enumerate(texts):
        names.append(write_text(str(sheet_folder / f"sheet{n}.yaml"), text))
    args = ["check", *names, *(a for o in options for a in o)]
    json_out = None
    if mode < 2:
        args.append("--json")
        json_out = "lines"
    elif mode == 2:
        shutil.rmtree("results", ignore_errors=True)
        args += ["--gradescope", "results/" if len(names) > 1 else "results.json", "--force"]
    nnsolve("answer sheets", args, json_out=json_out, sheets=len(names))
    if mode == 2 and os.path.exists("results.json"):
        parse_json(read_text("results.json"))


@fuzz(500)
@given(text_ops, CHECK_OPTIONS)
def test_fuzz_the_worksheet_answers_mutated(sheet_folder, ops, options):
    text = (PROBLEMS / "worksheet-answers.yaml").read_text(encoding="utf-8")
    sheet = write_text(str(sheet_folder / "answers.yaml"), _mutate_bytes(text, ops))
    nnsolve("answer sheets", ["check", sheet, "--json", *(a for o in options for a in o)], json_out="lines")


# ---------------------------------------------------------------------------------------------
# Data files for train: CSV text, .npy and .npz arrays of any dtype and shape, broken files

csv_cell = weighted(
    (10, st.floats(-5, 5, allow_nan=False).map(lambda v: f"{v:.3g}")),
    (4, st.sampled_from(["0", "1", "2", "0.0", "1.0", "-1"])),
    (2, st.sampled_from(["", " ", "nan", "NaN", "inf", "-inf", "Infinity", "1e400", "-1e400", "1e300", "1e6", "-1e6", "1e-12",
                         '"1.5"', '"1,5"', "1,5", "0x1F", "1_000", "True", "yes", "a", "é", '"', "'1'", "1 2", "#1", "\t1", "\x00"])),
    (1, st.text(max_size=4)),
    (1, st.floats(allow_nan=False, allow_infinity=False).map(repr)),
)
csv_header_name = weighted((6, st.sampled_from(["x1", "x2", "y", "y1", "y2", "label", "x3"])), (1, st.sampled_from(["", "1", "2.5", " x1", "x1 ", '"x1"', "é"])), (1, st.text(max_size=5)))


@st.composite
def csv_text(draw):
    n_columns = draw(st.integers(1, 5))
    header = draw(st.lists(csv_header_name, min_size=n_columns, max_size=n_columns))
    rows = []
    for _ in range(draw(st.integers(0, 25))):
        width = n_columns + draw(weighted((12, st.just(0)), (1, st.sampled_from([-1, 1, -n_columns]))))
        rows.append(",".join(draw(st.lists(csv_cell, min_size=max(width, 0), max_size=max(width, 0)))))
    lines = [",".join(header)] + rows
    if draw(st.integers(0, 5)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), "")
    end = draw(st.sampled_from(["\n", "\n", "\n", "\r\n", "\r"]))
    text = end.join(lines) + draw(st.sampled_from([end, "", end + end]))
    if draw(st.integers(0, 9)) == 0:
        text = "\ufeff" + text
    return text


array_dtypes = st.sampled_from(["<f8", "<f4", "<f2", "<i8", "<i1", "<u1", "|b1", "<c16", "<U3", "|S2", "<M8[D]", "<m8[s]", ">f8", "V4", "O"])


@st.composite
def numpy_array(draw):
    dtype = draw(array_dtypes)
    shape = draw(st.sampled_from([(), (0,), (0, 3), (4,), (4, 3), (5, 2), (3, 4), (2, 2, 2), (1, 3), (6, 3), (4, 1)]))
    size = math.prod(shape)
    values = draw(st.lists(weighted((8, st.floats(-3, 3)), (1, st.sampled_from([0.0, 1.0, 2.0, -1.0, 1e6, -1e6, 1e300, float("nan"), float("inf"), -float("inf")]))), min_size=size, max_size=size))
    if dtype == "O":
        return np.array(values + [None], dtype=object)[:size].reshape(shape) if size else np.empty(shape, dtype=object)
    if dtype == "V4":
        return np.zeros(shape, dtype=[("a", "<i2"), ("b", "<i2")])
    with np.errstate(all="ignore"):
        base = np.array(values, dtype=np.float64).reshape(shape)
        if dtype.startswith(("<i", "<u", "|b", "<M", "<m")):
            base = np.nan_to_num(base, nan=0.0, posinf=1.0, neginf=-1.0).clip(-100, 100).round()
        if dtype in ("<U3", "|S2"):
            return base.astype(dtype)
        return base.astype(dtype)


def _npy_bytes(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=array.dtype == object)
    return buffer.getvalue()


@st.composite
def numpy_file(draw):
    kind = draw(st.integers(0, 5))
    if kind <= 1:
        data = _npy_bytes(draw(numpy_array()))
    else:
        buffer = io.BytesIO()
        arrays = {k: draw(numpy_array()) for k in draw(st.lists(st.sampled_from(["X", "y", "x", "Y", "data"]), max_size=3, unique=True))}
        if kind == 2:
            arrays.setdefault("X", draw(numpy_array()))
            arrays.setdefault("y", draw(numpy_array()))
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, array in arrays.items():
                archive.writestr(name + ".npy", _npy_bytes(array))
            if kind == 3:  # a stray member, or a second X.npy (zipfile warns of it: here it is meant)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    archive.writestr(draw(st.sampled_from(["X.npy", "../X.npy", "y.txt", "X"])), draw(st.binary(max_size=40)))
        data = buffer.getvalue()
    if kind == 5 or draw(st.integers(0, 7)) == 0:  # a broken file: cut short or with bytes changed
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=8)) + data[cut + draw(st.integers(0, 8)):]
    return data


TRAIN_PROBLEMS = ["xor.yaml", "softmax_cross_entropy.yaml", "binary_cross_entropy.yaml", "two_outputs.yaml", "nobias.yaml"]
train_options = st.lists(st.sampled_from([
    ["--epochs", "1"], ["--epochs", "3"], ["--batch-size", "2"], ["--batch-size", "100"], ["--no-shuffle"],
    ["--validation-split", "0.25"], ["--validation-split", "0.99"], ["--seed", "3"], ["--init", "he"], ["--every", "2"],
    ["--label", "y"], ["--label", "y1,y2"], ["--label", "x1"], ["--label", "nope"], ["--label", "y", "--label", "y"],
    ["--dtype", "float32"],
]), max_size=3)


def run_train(data_path: str, problem: str, options, json: bool) -> None:
    args = ["train", problem, "--data", data_path, "--epochs", "2", *(a for o in options for a in o)]
    if json:
        args.append("--json")
    nnsolve("data files", args, json_out="lines" if json else None)


@fuzz(900)
@given(csv_text(), st.sampled_from(TRAIN_PROBLEMS), train_options, st.booleans(), st.sampled_from([".csv", ".csv", ".txt", ""]))
def test_fuzz_csv_data(text, problem, options, json, suffix):
    folder = scratch()
    run_train(write_text(os.path.join(folder, "data" + suffix), text), problem, options, json)


@fuzz(700)
@given(numpy_file(), st.sampled_from(TRAIN_PROBLEMS), train_options, st.booleans(), st.sampled_from([".npy", ".npz", ".csv"]))
def test_fuzz_numpy_data(data, problem, options, json, suffix):
    folder = scratch()
    path = os.path.join(folder, "data" + suffix)
    with open(path, "wb") as f:
        f.write(data)
    run_train(path, problem, options, json)


# ---------------------------------------------------------------------------------------------
# Weight references for grad: every spelling, and near misses

ref_piece = st.sampled_from([
    "W", "w", "W^", "W^{", "}", "_", "_{", "[", "]", "][", "(", ")", ",", " ", "dl/d", "d l / d ", "0", "1", "2", "3", "9",
    "10", "99999999999999999999", "-1", "+1", "٢", "１", "²", "₁", "x", "*", "\n", "\x00", "W2[1,1]", "W1[2,1]", "é",
])
ref_text = weighted(
    (3, st.tuples(st.sampled_from(["W", "w", "W^", "W^{", "dl/dW"]), st.integers(0, 12), st.sampled_from(["", "}"]),
                  st.sampled_from(["[{i},{j}]", "[{i}][{j}]", "({i},{j})", "_{{{i}{j}}}", "_{{{i},{j}}}", "_{i}_{j}", "_{i}{j}", "[ {i} , {j} ]"]),
                  st.integers(-1, 12), st.integers(-1, 12)).map(lambda t: f"{t[0]}{t[1]}{t[2]}" + t[3].format(i=t[4], j=t[5]))),
    (2, st.lists(ref_piece, min_size=1, max_size=8).map("".join)),
    (1, st.text(max_size=10)),
)
REF_FILES = [None, "two_outputs.yaml", "deep_tanh_relu.yaml", "nobias.yaml", "softmax_cross_entropy.yaml", "sgd_steps.yaml"]


@fuzz(1100)
@given(ref_text, st.sampled_from(REF_FILES), st.sampled_from([["--json"], ["--json"], [], ["--round", "2", "--json"], ["--format", "markdown"], ["--all", "--json"]]))
def test_fuzz_weight_references(ref, file, options):
    args = ["grad", ref] + ([file] if file else []) + options
    json_out = "object" if "--json" in options else None
    nnsolve("weight references", args, json_out=json_out)


# ---------------------------------------------------------------------------------------------
# --given NAME=VALUE on run and grad

given_name = weighted((6, st.sampled_from(SHEET_NAMES)), (1, key_text), (1, st.sampled_from(["problem", "student", "", " ", "=", "beta1=", "alpha3", "beta2"])))
given_text = weighted(
    (8, st.tuples(given_name, sheet_value).map(lambda t: f"{t[0]}={t[1]}")),
    (1, st.text(max_size=12)),
    (1, st.sampled_from(["=", "beta1", "beta1=", "=1", "beta1==1", "beta1=1\nloss=2", "beta1=[0.5,\r0.9]", "alpha1=[0, 24]"])),
)


@fuzz(1100)
@given(st.lists(given_text, min_size=1, max_size=3), st.sampled_from([None, "two_outputs.yaml", "deep_tanh_relu.yaml", "nobias.yaml", "sgd_steps.yaml"]),
       st.sampled_from([["run", "--json"], ["run", "--json"], ["grad", "W1[1,1]", "--json"], ["grad", "--all", "--json"], ["run", "--round", "3"], ["run"]]))
def test_fuzz_given_values(values, file, command):
    args = list(command) + ([file] if file else [])
    for v in values:
        args += ["--given", v]
    nnsolve("--given values", args, json_out="object" if "--json" in command else None)


# ---------------------------------------------------------------------------------------------
# Every command's options: random command lines of valid and invalid options and values

NUMBERS = ["0", "1", "2", "3", "-1", "17", "18", "0.5", "1e-12", "1e6", "nan", "inf", "-inf", "99999999999999999999", "", "x", "٣", "1,2"]
# every file a case writes stays in out/, emptied before each case ("" and "out/." are odd names for it)
OUT = ["out/a.txt", "out/b.md", "out/c.json", "out/d.png", "out/e.yaml", "out/sub/", "out/", "out", "out/new", "out/x.tex", "out/f.svg", "out/g.xml", "out/h.yml", "out/.", ""]
FILES = ["worksheet.yaml", "two_outputs.yaml", "deep_tanh_relu.yaml", "sgd_steps.yaml", "xor.yaml", "nothere.yaml", "xor.csv", "out", "-", "", "."]
OPTIONS = {
    "run": {"--format": ["text", "json", "markdown", "latex", "html"], "--json": None, "--digits": NUMBERS, "--fragment": None,
            "-o": OUT, "--output": OUT, "--force": None, "--round": NUMBERS, "--sig": NUMBERS, "--round-mode": ["half-up", "truncate", "up"],
            "--given": ["beta1=[0.5,0.999]", "alpha2=-2", "loss=1", "x"], "--epochs": NUMBERS},
    "grad": {"--all": None, "--format": ["text", "json", "markdown", "latex"], "--json": None, "--digits": NUMBERS, "--fragment": None,
             "-o": OUT, "--force": None, "--round": NUMBERS, "--sig": NUMBERS, "--round-mode": ["half-up", "truncate"],
             "--given": ["beta1=[0.5,0.999]", "delta2=1"]},
    "check": {"--problem": FILES, "--rtol": NUMBERS, "--atol": NUMBERS, "--sig": NUMBERS, "--no-ecf": None, "--partial": NUMBERS,
              "--json": None, "--gradescope": OUT, "--force": None, "--template": None, "--digits": NUMBERS},
    "draw": {"--format": ["text", "dot", "mermaid", "svg", "png", "jpg"], "--updated": None, "--color-by": ["weight", "gradient", "x"],
             "--digits": NUMBERS, "-o": OUT, "--force": None},
    "new": {"--layers": ["2,2,1", "1,1", "3", "2,0,1", "17,1", "1,2,3,4,5,6,7", "a,b", "", "2,,1", "2,2,3"],
            "--activation": ["sigmoid", "relu", "tanh,softmax", "softmax", "x", "", "relu,relu"],
            "--loss": LOSSES + ["x", ""], "--from": FILES, "--seed": NUMBERS, "--count": ["1", "2", "3", "0", "100001", "x"],
            "--out": OUT, "--decimals": NUMBERS, "--keys": ["markdown", "latex", "html"], "--moodle": OUT, "--prairielearn": OUT,
            "--questions": ["loss", "y_hat,loss", "beta1", "nope", "", "alpha1_1"], "--rtol": NUMBERS, "--atol": NUMBERS, "--force": None},
    "train": {"--data": ["xor.csv", "nothere.csv", "worksheet.yaml", "", "out"], "--label": ["y", "x1", "nope", "y,y", ""],
              "--epochs": ["1", "2", "5", "0", "10000001", "x"], "--batch-size": NUMBERS, "--shuffle": None, "--no-shuffle": None,
              "--seed": NUMBERS, "--validation-split": NUMBERS, "--init": ["xavier", "he", "uniform", "zeros"], "--json": None,
              "--every": NUMBERS, "--plot": OUT, "--save": OUT, "--force": None, "--dtype": ["float64", "float32", "float16"]},
    "schema": {},
}
POSITIONAL = {
    "run": FILES, "grad": ["W2[1,1]", "W1[2,1]", "W9[1,1]", "--all"] + FILES, "check": ["worksheet.yaml", "sheets", "*.yaml", "[", "nothere.yaml"] + FILES,
    "draw": FILES, "new": ["x"], "train": FILES, "schema": ["solution", "steps", "problem", "grad", "grad-all", "check", "train", "nope"],
}
GENERIC = ["--help", "-h", "--bogus", "--", "-x", "--json=1", "--forc"]


def parsed(args: list[str]) -> dict:
    """The options click reads from a command line ({} where it cannot read them)."""
    command = cli.get_command(None, args[0])
    try:
        with command.make_context(args[0], list(args[1:]), resilient_parsing=True) as ctx:
            return dict(ctx.params)
    except Exception:  # noqa: BLE001 - a line click refuses: nnsolve refuses it too, with status 2
        return {}


@st.composite
def command_line(draw):
    command = draw(st.sampled_from(sorted(OPTIONS)))
    options, positional = OPTIONS[command], POSITIONAL[command]
    args = [command]
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.integers(0, 12))
        if kind <= 7 and options:
            name = draw(st.sampled_from(sorted(options)))
            values = options[name]
            args.append(name)
            if values is not None:
                args.append(draw(st.sampled_from(values)))
        elif kind <= 10:
            args.append(draw(st.sampled_from(positional)))
        elif kind == 11:
            args.append(draw(st.sampled_from(GENERIC)))
        else:
            args.append(draw(st.text(max_size=6)))
    return args


@fuzz(1500)
@given(command_line())
def test_fuzz_every_commands_options(work, args):
    scratch("out")
    if args[0] == "check" and not os.path.isdir("sheets"):
        os.mkdir("sheets")
        shutil.copy(PROBLEMS / "worksheet-answers.yaml", "sheets/answers.yaml")
        shutil.copy(PROBLEMS / "worksheet.yaml", "sheets/worksheet.yaml")
    params = parsed(args)  # what click makes of the line: which format, which -o
    wants_json = bool(params.get("as_json")) or params.get("output_format") == "json"
    json_out = None
    output = None
    if wants_json and args[0] in ("run", "grad"):
        json_out = "object"
        output = params.get("output")
        if args[0] == "grad" and not params.get("all_weights"):  # several weights: a JSON line each
            from nnsolve.cli.grad import _refs_and_file

            try:
                if len(_refs_and_file(params.get("args") or ())[0]) > 1:
                    json_out = "lines"
            except click.UsageError:
                pass
    elif wants_json and args[0] in ("check", "train"):
        json_out = "lines"
    if args[0] == "schema":
        json_out = "object"
    nnsolve("command options", args, json_out=json_out, sheets=10**6, output=output)  # a folder holds any number
    shutil.rmtree("out", ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The count


FUZZ_TESTS = {name for name in dir() if name.startswith("test_fuzz_")}


@pytest.fixture(autouse=True)
def _record(request):
    yield
    RAN.add(request.node.name)


def test_the_fuzz_suite_ran_at_least_10000_cases():
    """A full run of this file ran every input path, and at least MIN_TOTAL cases in all."""
    if not FUZZ_TESTS <= RAN:
        pytest.skip(f"only part of the fuzz suite ran: {sorted(FUZZ_TESTS - RAN)}")
    total = sum(COUNTS.values())
    print("fuzz cases per input path:", dict(sorted(COUNTS.items())), "total", total)
    for path in ("problem files", "numerical extremes", "answer sheets", "data files", "weight references", "--given values", "command options"):
        assert COUNTS[path] > 0, path
    assert total >= MIN_TOTAL * min(SCALE, 1), COUNTS
    assert CASES >= MIN_TOTAL
    if SCALE == 1:
        assert total == CASES, f"{total} cases ran: a budget changed, and CASES with it ({COUNTS})"
