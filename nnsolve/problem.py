"""Problem files: YAML -> a validated, immutable Problem.

The only module that reads problem files. Every error names the file, the line, the key,
what is wrong and how to fix it. YAML is read with the safe loader into nodes, and the
nodes are converted here, so that each value keeps its line and nothing in a file runs.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, Optional

import numpy as np
import yaml

from .errors import ProblemError
from .network import ACTIVATIONS, LOSSES

MAX_FILE_BYTES = 1 << 20  # 1 MiB: a worksheet is a few hundred bytes
MAX_NODES = 200_000  # an alias bomb expands past this long before it costs memory
BUILTIN_NAME = "worksheet.yaml"  # shipped in nnsolve/data; the same as problems/worksheet.yaml

REQUIRED_KEYS = ("x", "y", "W1", "learning_rate")
OPTIONAL_KEYS = ("title", "activation", "loss", "threshold", "bias", "train_bias")
DEFAULT_ACTIVATION = "sigmoid"
DEFAULT_LOSS = "squared_error"
DEFAULT_THRESHOLD = 0.5
WEIGHT_KEY = re.compile(r"W([1-9][0-9]*)")

_TAG = "tag:yaml.org,2002:"
_STANDARD_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "seq", "map")}


@dataclass(frozen=True)
class Problem:
    """One network and one example, as the worksheet gives them."""

    x: np.ndarray  # (n_0,) the input, without the bias
    y: np.ndarray  # (n_L,) the labels
    weights: tuple[np.ndarray, ...]  # W^l: (n_{l-1} + 1, n_l) with bias row 0; (n_{l-1}, n_l) without
    activations: tuple[str, ...]  # one name per layer
    loss: str
    learning_rate: float
    threshold: float = DEFAULT_THRESHOLD  # class of a sigmoid-like output; softmax takes the argmax
    bias: bool = True  # every layer's input gets a leading 1
    train_bias: bool = True  # False: bias weights are used but not updated
    title: Optional[str] = None
    source: str = "<problem>"  # the file name used in messages

    @property
    def n_layers(self) -> int:
        return len(self.weights)

    @property
    def sizes(self) -> tuple[int, ...]:
        """(n_0, n_1, ..., n_L): inputs, then neurons per layer."""
        return (len(self.x),) + tuple(W.shape[1] for W in self.weights)

    def as_dict(self) -> dict[str, Any]:
        """The normalised problem, as plain data (every default filled in)."""
        d: dict[str, Any] = {"title": self.title, "x": self.x.tolist(), "y": self.y.tolist()}
        for l, W in enumerate(self.weights, start=1):
            d[f"W{l}"] = W.tolist()
        d.update(
            activation=list(self.activations),
            loss=self.loss,
            learning_rate=self.learning_rate,
            threshold=self.threshold,
            bias=self.bias,
            train_bias=self.train_bias,
        )
        return d


# ---------------------------------------------------------------------------
# Reading


def load_problem(path: Optional[str] = None) -> Problem:
    """Read and validate a problem file; None means the built-in worksheet."""
    if path is None:
        text = resources.files("nnsolve").joinpath("data").joinpath(BUILTIN_NAME).read_text(encoding="utf-8")
        return parse_problem(text, source=f"<built-in {BUILTIN_NAME}>")
    return parse_problem(read_text_file(path), source=path)


def read_text_file(path: str, what: str = "file") -> str:
    """The text of a small UTF-8 file, or a ProblemError that says why not."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ProblemError("no such file", file=path, fix="check the path") from None
    except IsADirectoryError:
        raise ProblemError("is a directory, not a file", file=path, fix=f"give a YAML {what} inside it") from None
    except PermissionError:
        raise ProblemError("permission denied", file=path, fix="make the file readable") from None
    except OSError as e:
        raise ProblemError(f"cannot read: {e.strerror or e}", file=path) from None
    if len(data) > MAX_FILE_BYTES:
        raise ProblemError(
            f"larger than {MAX_FILE_BYTES // (1 << 20)} MiB", file=path, fix=f"a {what} is a few kilobytes at most"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ProblemError("not UTF-8 text", file=path, line=line, fix="save the file as UTF-8") from None


def parse_problem(text: str, source: str = "<problem>") -> Problem:
    """Validate the YAML text of a problem file."""
    return _Reader(source).problem(compose_yaml(text, source))


def compose_yaml(text: str, source: str) -> Optional[yaml.Node]:
    """The YAML node tree of text (safe: tags are only read, never constructed)."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = e.problem or e.context or "malformed"
        raise ProblemError(
            f"not valid YAML: {what}",
            file=source,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            fix="check the indentation, brackets and colons there",
        ) from None
    except yaml.YAMLError as e:
        raise ProblemError(f"not valid YAML: {e}", file=source) from None


def suggest(name: str, known) -> str:
    """A fix that names the nearest known name, or lists them all."""
    known = list(known)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if not close:
        close = [k for k in known if k.lower() == name.lower().replace(" ", "_").replace("-", "_")]
    if close:
        return f"did you mean '{close[0]}'?"
    return "known: " + ", ".join(known)


class _Reader:
    """Converts the node tree of one file, keeping lines for the messages."""

    def __init__(self, source: str):
        self.source = source
        self.nodes_seen = 0

    def error(self, node: Optional[yaml.Node], key: str, message: str, fix: Optional[str] = None) -> ProblemError:
        line = node.start_mark.line + 1 if node is not None else None
        return ProblemError(message, file=self.source, line=line, key=key, fix=fix)

    def count(self, node: yaml.Node) -> None:
        self.nodes_seen += 1
        if self.nodes_seen > MAX_NODES:
            raise self.error(node, "", f"more than {MAX_NODES} values (aliases expand to this)", "write the values out")
        if node.tag not in _STANDARD_TAGS:
            raise self.error(node, "", f"YAML tag '{node.tag}' is not allowed", "remove the tag")

    # -- the top-level mapping -------------------------------------------------

    def mapping(self, root: Optional[yaml.Node]) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if root is None:
            raise ProblemError("empty file", file=self.source, fix="write a mapping with x, y, W1, ... (see problems/worksheet.yaml)")
        if not isinstance(root, yaml.MappingNode):
            raise self.error(root, "", "not a mapping of keys to values", "write 'x: [2, 5]', 'y: [1]', 'W1: ...' on their own lines")
        self.count(root)
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in root.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _TAG + "str":
                what = "a merge key (<<)" if key_node.tag == _TAG + "merge" else "not a plain name"
                raise self.error(key_node, "", f"key {what}", "write each key as a plain name, such as 'x' or 'W1'")
            name = key_node.value
            if name in entries:
                first = entries[name][0].start_mark.line + 1
                raise self.error(key_node, name, f"given twice (first on line {first})", "keep one of them")
            entries[name] = (key_node, value_node)
        return entries

    def problem(self, root: Optional[yaml.Node]) -> Problem:
        entries = self.mapping(root)
        weight_layers: dict[int, str] = {}
        for name, (key_node, _) in entries.items():
            m = WEIGHT_KEY.fullmatch(name)
            if m:
                weight_layers[int(m.group(1))] = name
            elif name not in REQUIRED_KEYS + OPTIONAL_KEYS:
                known = REQUIRED_KEYS + OPTIONAL_KEYS + tuple(f"W{l}" for l in range(1, len(weight_layers) + 3))
                raise self.error(key_node, name, "unknown key", suggest(name, known))
        for name in REQUIRED_KEYS:
            if name not in entries:
                fixes = {
                    "x": "add the input, such as 'x: [2, 5]'",
                    "y": "add the label(s), such as 'y: [1]'",
                    "W1": "add the first layer's weights, such as 'W1: [[-1, 2], [-2, 1], [1, 4]]' (row 0 = bias weights)",
                    "learning_rate": "add the step size, such as 'learning_rate: 2'",
                }
                raise self.error(root, name, "missing", fixes[name])
        L = max(weight_layers)
        for l in range(1, L + 1):
            if l not in weight_layers:
                node = entries[f"W{L}"][0]
                raise self.error(node, f"W{l}", f"missing: W{L} is given, so every layer W1..W{L} needs weights", f"add W{l} or rename the layers W1..W{L - 1}")

        bias = self.boolean(entries, "bias", True)
        train_bias = self.boolean(entries, "train_bias", True)
        if not bias and "train_bias" in entries:
            raise self.error(entries["train_bias"][0], "train_bias", "has no effect with 'bias: false'", "remove one of them")
        x = self.vector(entries, "x", "x", "inputs")
        y = self.vector(entries, "y", "y", "labels")
        weights = tuple(self.weights(entries, l, bias) for l in range(1, L + 1))
        self.check_shapes(entries, x, y, weights, bias)
        activations = self.activations(entries, L, len(y))
        loss = self.loss(entries, activations[-1], y)
        learning_rate = self.number(entries["learning_rate"][1], "learning_rate")
        if learning_rate <= 0:
            raise self.error(entries["learning_rate"][1], "learning_rate", f"is {learning_rate:g}; it must be positive", "use a step size such as 0.1 or 2")
        threshold = DEFAULT_THRESHOLD
        if "threshold" in entries:
            threshold = self.number(entries["threshold"][1], "threshold")
        title = None
        if "title" in entries:
            node = entries["title"][1]
            self.count(node)
            if not isinstance(node, yaml.ScalarNode) or node.tag == _TAG + "null":
                raise self.error(node, "title", "is not text", "write the title on one line, such as 'title: 1 Neural Network'")
            title = node.value
        return Problem(
            x=_frozen(x),
            y=_frozen(y),
            weights=tuple(_frozen(W) for W in weights),
            activations=activations,
            loss=loss,
            learning_rate=learning_rate,
            threshold=threshold,
            bias=bias,
            train_bias=train_bias,
            title=title,
            source=self.source,
        )

    # -- values -----------------------------------------------------------------

    def number(self, node: yaml.Node, key: str) -> float:
        self.count(node)
        if not isinstance(node, yaml.ScalarNode):
            kind = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
            raise self.error(node, key, f"is {kind}, not a number", "write a single number")
        tag, text = node.tag, node.value
        if tag == _TAG + "null":
            raise self.error(node, key, "is empty", "write a number")
        if tag == _TAG + "bool":
            raise self.error(node, key, f"is '{text}', not a number", "write a number")
        if tag == _TAG + "str" and node.style is not None:
            raise self.error(node, key, f"is the text {text!r}, not a number", "remove the quotes")
        try:
            # YAML 1.1 reads 1e-3 (no dot) as text; a person means 0.001
            value = float(text) if tag == _TAG + "str" else float(yaml.safe_load(text))
        except (ValueError, TypeError, OverflowError):
            raise self.error(node, key, f"'{text}' is not a number", "write a number such as 2, -0.5 or 1e-3") from None
        if not np.isfinite(value):
            raise self.error(node, key, f"is {text}, not a finite number", "write a finite number")
        return value

    def numbers(self, node: yaml.Node, key: str) -> list[float]:
        """A list of numbers; element i (from 1) is named key_i in messages."""
        self.count(node)
        if not isinstance(node, yaml.SequenceNode):
            return [self.number(node, key)]
        if not node.value:
            raise self.error(node, key, "is an empty list", "give at least one number")
        return [self.number(item, f"{key}_{i}") for i, item in enumerate(node.value, start=1)]

    def vector(self, entries, name: str, key: str, what: str) -> np.ndarray:
        node = entries[name][1]
        if isinstance(node, yaml.SequenceNode) and any(isinstance(i, yaml.SequenceNode) for i in node.value):
            raise self.error(node, key, f"is a nested list; the {what} are one flat list", f"write '{key}: [2, 5]'")
        return np.array(self.numbers(node, key), dtype=np.float64)

    def weights(self, entries, layer: int, bias: bool) -> np.ndarray:
        key = f"W{layer}"
        node = entries[key][1]
        self.count(node)
        example = "[[-1, 2], [-2, 1], [1, 4]]"
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.error(node, key, "is not a matrix", f"write one list per row, such as '{key}: {example}'")
        if not all(isinstance(row, yaml.SequenceNode) for row in node.value):
            raise self.error(node, key, "is a flat list, not a matrix", "write one list per row; a single column is [[1], [2], [-4]]")
        first_row = 0 if bias else 1
        rows = []
        for r, row in enumerate(node.value, start=first_row):
            self.count(row)
            if not row.value:
                raise self.error(row, f"{key} row {r}", "is empty", "give one weight per neuron of the layer")
            rows.append([self.number(v, f"{key}[{r},{c}]") for c, v in enumerate(row.value, start=1)])
            if len(rows[-1]) != len(rows[0]):
                raise self.error(
                    row, f"{key} row {r}", f"has {len(rows[-1])} entries but row {first_row} has {len(rows[0])}",
                    "give every row one weight per neuron of the layer",
                )
        return np.array(rows, dtype=np.float64)

    def boolean(self, entries, key: str, default: bool) -> bool:
        if key not in entries:
            return default
        node = entries[key][1]
        self.count(node)
        if not isinstance(node, yaml.ScalarNode) or node.tag != _TAG + "bool":
            raise self.error(node, key, f"is not true or false", f"write '{key}: true' or '{key}: false'")
        return yaml.safe_load(node.value)

    def check_shapes(self, entries, x, y, weights, bias: bool) -> None:
        n_in = len(x)
        source = "inputs"
        for l, W in enumerate(weights, start=1):
            key = f"W{l}"
            need = n_in + (1 if bias else 0)
            if W.shape[0] != need:
                why = f"{n_in} {source} plus the bias row need {need}" if bias else f"{n_in} {source} need {need} (bias: false)"
                raise self.error(entries[key][1], key, f"has {_count(W.shape[0], 'row')}; {why}", f"make {key} {need} x {W.shape[1]}")
            n_in = W.shape[1]
            source = f"neurons of layer {l}" if n_in != 1 else f"neuron of layer {l}"
        if weights[-1].shape[1] != len(y):
            key = f"W{len(weights)}"
            raise self.error(
                entries[key][1], key,
                f"has {_count(weights[-1].shape[1], 'column')} (output neurons) but y has {_count(len(y), 'label')}",
                "give the output layer one column per label",
            )

    def activations(self, entries, L: int, n_out: int) -> tuple[str, ...]:
        if "activation" not in entries:
            names = [DEFAULT_ACTIVATION] * L
            nodes = [None] * L
        else:
            node = entries["activation"][1]
            self.count(node)
            if isinstance(node, yaml.SequenceNode):
                if len(node.value) != L:
                    raise self.error(node, "activation", f"lists {_count(len(node.value), 'name')} for {_count(L, 'layer')}", f"give one name, or a list of {L}")
                nodes = node.value
            else:
                nodes = [node] * L
            names = []
            for l, n in enumerate(nodes, start=1):
                self.count(n)
                name = n.value if isinstance(n, yaml.ScalarNode) else None
                if name not in ACTIVATIONS:
                    key = "activation" if len(set(map(id, nodes))) == 1 else f"activation of layer {l}"
                    raise self.error(n, key, f"unknown activation {name!r}" if name else "is not a name", suggest(str(name), ACTIVATIONS))
                names.append(name)
        for l, name in enumerate(names, start=1):
            if name == "softmax" and l != L:
                raise self.error(nodes[l - 1] or entries["W1"][0], "activation", f"softmax on layer {l}; it is for the output layer only", "use sigmoid, tanh or relu for the hidden layers")
        if names[-1] == "softmax" and n_out < 2:
            raise self.error(nodes[-1], "activation", "softmax of one output is always 1", "use sigmoid for one output, or give two or more outputs")
        return tuple(names)

    def loss(self, entries, output_activation: str, y: np.ndarray) -> str:
        node = entries["loss"][1] if "loss" in entries else None
        name = DEFAULT_LOSS
        if node is not None:
            self.count(node)
            name = node.value if isinstance(node, yaml.ScalarNode) else None
            if name not in LOSSES:
                raise self.error(node, "loss", f"unknown loss {name!r}" if name else "is not a name", suggest(str(name), LOSSES))
        loss = LOSSES[name]
        if loss.outputs and output_activation not in loss.outputs:
            needs = " or ".join(loss.outputs)
            raise self.error(node, "loss", f"{name} needs outputs in (0, 1), but the output layer is {output_activation}", f"use activation {needs} on the output layer, or loss squared_error")
        y_node = entries["y"][1]
        if loss.outputs and np.any((y < 0) | (y > 1)):
            raise self.error(y_node, "y", f"labels must lie in [0, 1] for {name}", "use 0/1 labels (one-hot for several classes)")
        if name == "cross_entropy" and output_activation == "softmax" and abs(np.sum(y) - 1.0) > 1e-9:
            raise self.error(y_node, "y", f"labels sum to {np.sum(y):g}; softmax outputs sum to 1", "give a one-hot label such as [0, 1, 0]")
        return name


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a
