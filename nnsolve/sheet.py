"""Answer sheets: a student's YAML file of quantity names and values, read as untrusted input.

A sheet is read like a problem file (safe YAML into nodes, tags refused, aliases sized before
anything is read, files over 1 MiB refused) and its names are checked against the catalog of
its problem. `problem:` may name the sheet's problem file: any file beside the sheet, or a
.yaml/.yml file by a relative path from the sheet's folder (`../problems/worksheet.yaml`) that
stays in the folder nnsolve runs in, so that `check --template` can name a problem in another
folder. A sheet cannot make nnsolve open anything else (an absolute path, a file above the
folder nnsolve runs in, a file of another kind, a link out to one), and a problem outside the
sheet's folder that does not read is one line that shows nothing of the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import NamedTuple, Optional

import numpy as np
import yaml

from .errors import NnsolveError, ProblemError
from .problem import read_text_file
from .notation import count
from .yaml_nodes import TAG, NodeReader, compose_yaml, cut, needs_node_check, show
from .quantities import Catalog, Quantity

SHEET_KEYS = ("problem", "student")


class Answer(NamedTuple):  # a tuple: a class's sheets make hundreds of thousands
    quantity: Quantity
    value: np.ndarray  # the quantity's shape; a number for () and (1,)
    line: int


@dataclass(frozen=True)
class RawSheet:
    """A sheet read but not yet matched to a problem."""

    source: str
    problem: Optional[str]  # the problem file it names, as a path from the sheet's folder joined to it
    student: Optional[str]
    entries: dict  # name -> (key node, value node)
    reader: NodeReader


@dataclass(frozen=True)
class Sheet:
    source: str
    student: Optional[str]
    answers: tuple[Answer, ...]  # in the catalog's order


def read_raw_sheet(path: str) -> RawSheet:
    """Read a sheet's YAML; ProblemError (with file and line) if it is not a sheet."""
    text = read_text_file(path, what="answer sheet")
    return parse_raw_sheet(text, path)


def parse_raw_sheet(text: str, source: str) -> RawSheet:
    root = compose_yaml(text, source)
    reader = NodeReader(source)
    if root is None or (isinstance(root, yaml.ScalarNode) and root.value == ""):
        raise ProblemError("empty answer sheet", file=source, fix="write one answer per line, such as 'loss: 0.388'")
    if needs_node_check(text):
        reader.check_nodes("", root)
    if not isinstance(root, yaml.MappingNode):
        raise reader.error(root, "", "is not a mapping of quantity names to answers", "write one answer per line, such as 'loss: 0.388'")
    entries = reader.mapping(root)
    problem = _text(reader, entries, "problem")
    if problem is not None:
        problem = _named(source, problem, reader, entries["problem"][1])
    return RawSheet(source, problem, _text(reader, entries, "student"), entries, reader)


def _text(reader: NodeReader, entries: dict, key: str) -> Optional[str]:
    if key not in entries:
        return None
    node = entries[key][1]
    if isinstance(node, yaml.ScalarNode) and node.tag == TAG + "null":
        return None  # left blank, as in the blank sheet
    if not isinstance(node, yaml.ScalarNode) or not node.value:
        raise reader.error(node, key, "is not text", f"write '{key}: ...' on one line")
    return node.value


def _encodable(name: str) -> bool:
    """Whether a name can be a file name here (a lone surrogate, "\\ud800" in YAML, cannot)."""
    try:
        os.fsencode(name)
    except UnicodeError:
        return False
    return True


PROBLEM_SUFFIXES = (".yaml", ".yml")  # what a sheet may name outside its own folder


def naming(problem: str, folder: str) -> Optional[str]:
    """How a sheet in folder names the problem file problem (`problem:`): its name when it is
    beside it, else its relative path written with / (which every system reads); None when a
    sheet there cannot name it (another drive, a file not ending .yaml or .yml)."""
    try:
        path = os.path.relpath(os.path.abspath(problem), os.path.abspath(folder or "."))
    except ValueError:  # Windows: another drive
        return None
    path = path.replace(os.sep, "/")
    if "/" in path and not path.lower().endswith(PROBLEM_SUFFIXES):
        return None
    return path


def _named(sheet: str, name: str, reader: NodeReader, node) -> str:
    """The path of a problem file named by a sheet: a file beside it, or a .yaml/.yml file by a
    relative path from its folder; anything else refused."""
    shown = show(name)
    plain = ("\0" not in name and name not in (".", "..") and not os.path.isabs(name)
             and not os.path.splitdrive(name)[0] and _encodable(name))
    if plain and os.path.normpath(name) != os.path.basename(name):  # in another folder: a problem file, by its ending
        plain = name.lower().endswith(PROBLEM_SUFFIXES) and os.path.basename(os.path.normpath(name)) not in ("", ".", "..")
    if not plain:
        raise reader.error(
            node, "problem", f"{shown} is not a file beside the sheet nor a .yaml file by a path from its folder",
            "name the problem file beside the sheet, or by a relative path (../problems/worksheet.yaml), or give --problem FILE",
        )
    return os.path.join(os.path.dirname(sheet), name)


def _beside(raw: RawSheet, path: str) -> bool:
    """Whether the file at path (links followed) is in the sheet's own folder."""
    return os.path.dirname(os.path.realpath(path)) == os.path.realpath(os.path.dirname(raw.source) or ".")


def problem_path(raw: RawSheet) -> Optional[str]:
    """The problem file the sheet names, checked on disk (None: the sheet names none): a file
    beside it, or a .yaml/.yml file in the folder nnsolve runs in or below it (links followed).
    Only where --problem does not name one instead."""
    if raw.problem is None:
        return None
    node = raw.entries["problem"][1]
    shown = show(node.value)
    beside = _beside(raw, raw.problem)
    real = os.path.realpath(raw.problem)
    if not beside and not real.lower().endswith(PROBLEM_SUFFIXES):
        raise raw.reader.error(node, "problem", f"{shown} leads out of the sheet's folder (a link) to a file that is not .yaml",
                               "name the problem file itself, or give --problem FILE")
    if not beside and not _within(real, os.path.realpath(os.getcwd())):
        raise raw.reader.error(node, "problem", f"{shown} is outside the folder nnsolve runs in, which a sheet cannot reach",
                               "run nnsolve from a folder that holds both the sheet and the problem, or give --problem FILE")
    if not os.path.isfile(raw.problem):
        where = "beside the sheet" if beside else "at that path from the sheet's folder"
        raise raw.reader.error(node, "problem", f"there is no problem file {shown} {where}", "copy it there, or give --problem FILE")
    return raw.problem


def _within(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # Windows: another drive
        return False


def named_problem(raw: RawSheet, read):
    """(path, read(path)) for the problem file the sheet names (problem_path). One outside the
    sheet's folder that does not read is refused in one line that shows nothing of the file (a
    sheet is untrusted: its name could point at any .yaml file the grader can read)."""
    path = problem_path(raw)
    try:
        return path, read(path)
    except NnsolveError:
        if _beside(raw, path):
            raise
        node = raw.entries["problem"][1]
        raise raw.reader.error(node, "problem", f"{show(node.value)} is not a problem file nnsolve can read",
                               "nnsolve run on that file says why, or give --problem FILE") from None


def bind(raw: RawSheet, catalog: Catalog) -> Sheet:
    """Match a sheet's names to its problem's quantities and read each answer in its shape."""
    answers = []
    seen: dict[tuple, str] = {}  # (base, index) -> the name that answered it
    elements: dict[str, str] = {}  # base -> the first name that answered an element of it
    for name, (key_node, value_node) in raw.entries.items():
        if name in SHEET_KEYS or _blank(value_node):
            continue  # a blank answer is not graded
        q = catalog.find(name)
        if q is None:
            if {"x", "W1"} <= set(raw.entries):
                raise raw.reader.error(None, "", "is a problem file, not an answer sheet", "give the answer sheet, or name this file with --problem")
            if catalog.missing_update(name):
                raise raw.reader.error(
                    key_node, cut(name), "is not a quantity of this problem: it has no learning rate, so no update and no new weights",
                    "add learning_rate to the problem, or leave out the new weights",
                )
            raise raw.reader.error(key_node, cut(name), "is not a quantity of this problem", f"{catalog.meant(name)}nnsolve check --template lists them all")
        # two names of one value (y_hat and beta2; beta1 and beta1_2): a chain-rule factor that
        # is an input or a weight shares its value with other factors but is its own answer
        shared = q.base.startswith(("input", "W"))
        where = (q.name, ()) if shared else (q.base, q.index)
        earlier = seen.get(where) or seen.get((where[0], ()))
        if earlier is None and q.index == () and not shared:  # the whole, after one of its elements
            earlier = elements.get(q.base)
        if earlier is not None:
            # both as the sheet writes them (dL/db2[1] and dL/db2 are one value where the bias is shared)
            raise raw.reader.error(key_node, cut(name), f"answers a value that {earlier} answers too", "keep one answer for each value")
        seen[where] = cut(name)
        if q.index != () and not shared:
            elements.setdefault(q.base, cut(name))
        answers.append(Answer(q, _value(raw.reader, value_node, q.name, q), key_node.start_mark.line + 1))
    answers.sort(key=lambda a: a.quantity.order)
    return Sheet(raw.source, raw.student, tuple(answers))


def _blank(node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == TAG + "null" and node.value in ("", "~", "null", "Null", "NULL")


def _value(reader: NodeReader, node, key: str, q: Quantity) -> np.ndarray:
    """An answer in the quantity's shape: a number, a list, or a list of rows."""
    shape = q.shape
    if q.base.startswith("shape") and isinstance(node, yaml.ScalarNode):  # shape W1: 3x2, as the tutor takes it
        from .expressions import SHAPE

        m = SHAPE.fullmatch(node.value)
        if m:
            return np.array([float(m.group(1)), float(m.group(2))])
        raise reader.error(node, key, f"is {show(node.value)}, not a shape", "write it as rows x columns, such as 3x2 or [3, 2]")
    if len(shape) <= 1 and not isinstance(node, yaml.SequenceNode):
        number = reader.number(node, key)
        if shape == ():
            return np.array(number)
        if shape == (1,):
            return np.array([number])
        raise reader.error(node, key, f"is one number; {key} has {shape[0]} values", f"write a list of {shape[0]}, such as [{', '.join(['0'] * shape[0])}]")
    if not isinstance(node, yaml.SequenceNode):
        raise reader.error(node, key, "is one number; it is a matrix", f"write {shape[0]} rows of {shape[1]}")
    if shape == ():
        if len(node.value) == 1 and isinstance(node.value[0], yaml.ScalarNode):
            return np.array(reader.number(node.value[0], key))
        raise reader.error(node, key, "is a list; it is one number", "write a single number")
    if len(shape) == 1:
        values = reader.numbers(node, key)
        if any(isinstance(item, yaml.SequenceNode) for item in node.value) or len(values) != shape[0]:
            raise reader.error(node, key, f"has {count(len(node.value), 'value')}; {key} has {shape[0]}", f"write a list of {shape[0]} numbers")
        return np.array(values)
    rows = node.value
    if len(rows) != shape[0] or not all(isinstance(r, yaml.SequenceNode) and len(r.value) == shape[1] for r in rows):
        raise reader.error(node, key, f"is not a {shape[0]} x {shape[1]} matrix", f"write {shape[0]} rows of {shape[1]} numbers")
    return np.array([[reader.number(v, key) for v in r.value] for r in rows])
