"""Problem files: YAML -> a validated, immutable Problem.

The only module that reads problem files. Every error names the file, the line, the key,
what is wrong and how to fix it. YAML is read with the safe loader into nodes, and the
nodes are converted here, so that each value keeps its line and nothing in a file runs.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import yaml

from .errors import ProblemError
from .network import ACTIVATIONS, LOSSES
from .optimizers import ALL_NAMES as OPTIMIZER_NAMES
from .optimizers import Optimizer, OptionError, State, check_state
from .optimizers import make as optimizers_make
from .notation import (DEFAULT_SYMBOLS, SYMBOL_NAMES, convention_named, count, first_row, from_convention, symbol_error, symbol_named,
                       to_convention, weight_in)
from .yaml_nodes import MAX_NODES, TAG, NodeReader, compose_yaml, cut, show, suggest

MAX_FILE_BYTES = 1 << 20  # 1 MiB: a worksheet is a few hundred bytes
BUILTIN_NAME = "worksheet.yaml"  # shipped in nnsolve/data; the same as problems/worksheet.yaml

REQUIRED_KEYS = ("x", "y", "W1")
OPTIONAL_KEYS = ("learning_rate", "title", "activation", "loss", "threshold", "bias", "train_bias", "points", "examples", "batch", "convention", "symbols",
                 "optimizer", "weight_decay", "l2", "decay_bias", "state")
BATCH_MODES = ("mean", "sum")  # batch: one update from the mean (or the sum) of the examples' gradients
DEFAULT_ACTIVATION = "sigmoid"
DEFAULT_LOSS = "squared_error"
DEFAULT_THRESHOLD = 0.5
WEIGHT_KEY = re.compile(r"W([1-9][0-9]*)")
BIAS_KEY = re.compile(r"b([1-9][0-9]*)")  # a layer's bias vector, in the Wx+b and xW+b conventions


# names people type for a key, and the key they mean (near misses are found by difflib)
KEY_ALIASES = {
    "lr": "learning_rate",
    "eta": "learning_rate",
    "step_size": "learning_rate",
    "rate": "learning_rate",
    "input": "x",
    "inputs": "x",
    "label": "y",
    "labels": "y",
    "target": "y",
    "targets": "y",
    "act": "activation",
    "loss_function": "loss",
    "optim": "optimizer",
    "decay": "weight_decay",
    "wd": "weight_decay",
    "l2_lambda": "l2",
    "regularization": "l2",
    "lambda_l2": "l2",
}

# other names of the losses (spelled without '_', '-' or spaces, in lower case), and nnsolve's;
# None: a log loss, which is cross_entropy for softmax outputs and binary_cross_entropy otherwise
LOSS_ALIASES = {
    "categoricalcrossentropy": "cross_entropy", "categoricalce": "cross_entropy", "cce": "cross_entropy",
    "softmaxcrossentropy": "cross_entropy", "multiclasscrossentropy": "cross_entropy",
    "binarycrossentropy": "binary_cross_entropy", "bce": "binary_cross_entropy", "logistic": "binary_cross_entropy",
    "logisticloss": "binary_cross_entropy", "sigmoidcrossentropy": "binary_cross_entropy",
    "meansquarederror": "mse", "meansquareerror": "mse", "meansquared": "mse", "l2": "squared_error",
    "sse": "squared_error", "sumsquarederror": "squared_error", "sumofsquarederrors": "squared_error",
    "sumofsquares": "squared_error", "quadratic": "squared_error", "squared": "squared_error",
    "logloss": None, "log": None, "nll": None, "negativeloglikelihood": None, "ce": "cross_entropy",
}


@dataclass(frozen=True)
class Problem:
    """One network and one example, as the worksheet gives them."""

    x: np.ndarray  # (n_0,) the input, without the bias
    y: np.ndarray  # (n_L,) the labels (one-hot where given as a class number)
    weights: tuple[np.ndarray, ...]  # W^l: (n_{l-1} + 1, n_l) with bias row 0; (n_{l-1}, n_l) without
    activations: tuple[str, ...]  # one name per layer
    loss: str
    learning_rate: Optional[float]  # None: no learning rate given, so no update (the derivatives only)
    threshold: float = DEFAULT_THRESHOLD  # class of a sigmoid-like output; softmax takes the argmax
    bias: bool = True  # every layer's input gets a leading 1
    train_bias: bool = True  # False: bias weights are used but not updated
    title: Optional[str] = None
    source: str = "<problem>"  # the file name used in messages
    # points per answer when nnsolve check grades a sheet: (quantity name, points); others earn 1
    points: tuple[tuple[str, float], ...] = ()
    # examples: several (x, y) for SGD step by step; x and y above are the first of them
    examples: tuple[tuple[np.ndarray, np.ndarray], ...] = ()
    # how the file writes the weights (notation.CONVENTIONS); the weights above are always in
    # the bias-row form, whatever the file's convention: it is a reading and a writing of them
    convention: str = "bias-row"
    symbols: tuple[tuple[str, str], ...] = ()  # (alpha, "h"), ...: renamed from the convention's defaults
    # y given as a class number (`y: 2`, from 1, as the output neurons) for softmax outputs: that
    # number (y is its one-hot vector); None where y was given as labels
    label_class: Optional[int] = None
    example_classes: tuple[Optional[int], ...] = ()  # label_class of each example, with examples
    # bias: shared: one bias per layer, used by every neuron of it. The weights keep the one
    # internal form: row 0 of each W holds it, every entry equal; its gradient is the sum of
    # the row's (network.backward puts that sum in every entry), so the update keeps them equal
    shared_bias: bool = False
    # with examples: "mean" or "sum" makes one update from the mean (or the sum) of the examples'
    # gradients, each taken at the same weights (solution.solve_batch); None: SGD, one update an example
    batch: Optional[str] = None
    # the update rule (optimizers.Optimizer, with its weight decay); None: plain SGD, w - lambda dl/dw
    optimizer: Optional[Optimizer] = None
    l2: float = 0.0  # a term l2/2 ||W||^2 of the loss (its gradient l2 W), the biases only with decay_bias
    decay_bias: bool = False  # whether l2 and weight_decay reach the bias weights (row 0)
    state: Optional[State] = None  # the optimizer's state before this step (state:); None: before the first

    @property
    def updates(self) -> bool:
        """Whether the problem has a learning rate, and so an update after the derivatives."""
        return self.learning_rate is not None

    @property
    def n_layers(self) -> int:
        return len(self.weights)

    @property
    def sizes(self) -> tuple[int, ...]:
        """(n_0, n_1, ..., n_L): inputs, then neurons per layer."""
        return (len(self.x),) + tuple(W.shape[1] for W in self.weights)

    def as_dict(self) -> dict[str, Any]:
        """The normalised problem, as plain data (every default filled in)."""
        d: dict[str, Any] = {"title": self.title}
        if self.examples:
            classes = self.example_classes or (None,) * len(self.examples)
            d["examples"] = [
                {"x": x.tolist(), "y": y.tolist(), **({} if k is None else {"label_class": k})}
                for (x, y), k in zip(self.examples, classes)
            ]
        else:
            d.update(x=self.x.tolist(), y=self.y.tolist())
            if self.label_class is not None:  # y given as a class number: y above is its one-hot vector
                d["label_class"] = self.label_class
        for l, W in enumerate(self.weights, start=1):
            W, b = to_convention(W, self.convention, self.bias)  # as the file's convention writes it
            d[f"W{l}"] = W.tolist()
            if b is not None:
                d[f"b{l}"] = float(b[0]) if self.shared_bias else b.tolist()  # shared: one number
        d.update(
            activation=list(self.activations),
            loss=self.loss,
            learning_rate=self.learning_rate,
            threshold=self.threshold,
            bias=self.bias,
            train_bias=self.train_bias,
        )
        if self.shared_bias:  # (only then: the documents of other problems are as they were)
            d["shared_bias"] = True
        if self.batch is not None:
            d["batch"] = self.batch
        if self.optimizer is not None:
            d["optimizer"] = {k: v for k, v in self.optimizer.as_dict().items() if k not in ("weight_decay", "decay_bias")}
            d["weight_decay"] = self.optimizer.weight_decay
        if self.l2:
            d["l2"] = self.l2
        if self.optimizer is not None or self.l2:
            d["decay_bias"] = self.decay_bias
        if self.state is not None:
            d["state"] = self.state.as_dict(lambda l, values: _state_arrays(self, l, values))
        if self.convention != "bias-row" or self.symbols:  # (the worksheet's notation: as it always was, nnsolve.solution/1)
            d.update(convention=self.convention, symbols={**DEFAULT_SYMBOLS[self.convention], **dict(self.symbols)})
        return d


# ---------------------------------------------------------------------------
# Reading


def load_problem(path: Optional[str] = None) -> Problem:
    """Read and validate a problem file; None means the built-in worksheet."""
    if path is None:
        with open(os.path.join(os.path.dirname(__file__), "data", BUILTIN_NAME), encoding="utf-8") as f:
            text = f.read()
        return parse_problem(text, source=f"<built-in {BUILTIN_NAME}>")
    return parse_problem(read_text_file(path), source=path)


def read_text_file(path: str, what: str = "file") -> str:
    """The text of a small UTF-8 file, or a ProblemError that says why not."""
    try:
        data = _read_bytes(path, MAX_FILE_BYTES + 1)
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
            f"larger than {MAX_FILE_BYTES // (1 << 20)} MiB", file=path,
            fix=f"{'an' if what[:1] in 'aeiou' else 'a'} {what} is a few kilobytes at most",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ProblemError("not UTF-8 text", file=path, line=line, fix="save the file as UTF-8") from None


def _read_bytes(path: str, limit: int) -> bytes:
    """The first limit bytes of a file (all of a smaller one). os.open and os.read rather than
    open(), whose layers cost more than the read for a class's thousands of small sheets."""
    # O_BINARY: the file's bytes as they are (Windows would translate line ends)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        size = os.fstat(fd).st_size
        chunks, total = [], 0
        while total < limit:
            chunk = os.read(fd, min(limit - total, max(size + 1, 65536)))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def parse_problem(text: str, source: str = "<problem>") -> Problem:
    """Validate the YAML text of a problem file."""
    return ProblemReader(source).problem(compose_yaml(text, source))


class ProblemReader(NodeReader):
    """Converts the node tree of a problem file into a Problem."""

    def problem(self, root: Optional[yaml.Node]) -> Problem:
        entries = self.mapping(root)
        weight_layers: dict[int, str] = {}
        bias_layers: dict[int, str] = {}
        for name, (key_node, _) in entries.items():
            m = WEIGHT_KEY.fullmatch(name)
            b = BIAS_KEY.fullmatch(name)
            if m:
                weight_layers[int(m.group(1))] = name
            elif b:
                bias_layers[int(b.group(1))] = name
            elif name not in REQUIRED_KEYS + OPTIONAL_KEYS:
                raise self.error(key_node, cut(name), "unknown key", self.key_fix(name))
        if "examples" in entries:
            both = [k for k in ("x", "y") if k in entries]
            if both:
                raise self.error(entries[both[0]][0], both[0], "is given beside examples", "give x and y, or a list of examples, not both")
        for name in REQUIRED_KEYS:
            if name in ("x", "y") and "examples" in entries:
                continue
            if name not in entries:
                fixes = {
                    "x": "add the input, such as 'x: [2, 5]'",
                    "y": "add the label(s), such as 'y: [1]'",
                    "W1": "add the first layer's weights, such as 'W1: [[-1, 2], [-2, 1], [1, 4]]' (row 0 = bias weights)",
                }
                # no line: a key that is not there has none, and line 1 would send the reader to the wrong place
                raise self.error(None, name, "missing", fixes[name])
        L = max(weight_layers)
        for l in range(1, L + 1):
            if l not in weight_layers:
                node = entries[f"W{L}"][0]
                raise self.error(node, f"W{l}", f"missing: W{L} is given, so every layer W1..W{L} needs weights", f"add W{l} or rename the layers W1..W{L - 1}")
        total = 0
        for name, (_, value_node) in entries.items():
            self.check_nodes(name, value_node)
            # the limit is for the whole file: many keys aliasing one big list add up
            total += self.sizes[id(value_node)]
            if total > MAX_NODES:
                raise self.error(value_node, name, f"the file holds more than {MAX_NODES} values once its aliases expand", "write the values out")

        bias, shared_bias = self.bias_mode(entries)
        train_bias = self.boolean(entries, "train_bias", True)
        if not bias and "train_bias" in entries:
            raise self.error(entries["train_bias"][0], "train_bias", "has no effect with 'bias: false'", "remove one of them")
        convention = self.convention(entries)
        self.check_bias_keys(entries, convention, bias, L, bias_layers, shared_bias)
        symbols = self.symbols(entries, convention) if "symbols" in entries else ()
        examples = self.examples(entries) if "examples" in entries else ()
        if examples:
            (x, y, x_node, y_node), rest = examples[0], examples[1:]
            entries = {**entries, "x": (x_node, x_node), "y": (y_node, y_node)}  # the first, for the checks below
            y_key = "examples 1: y"
        else:
            x = self.vector(entries, "x", "inputs", "[2, 5]")
            y = self.vector(entries, "y", "labels", "[1]")
            y_node, y_key = entries["y"][1], "y"
            rest = ()
        if convention == "bias-row":
            weights = tuple(self.weights(entries, l, bias) for l in range(1, L + 1))
            if shared_bias:
                self.check_shared_rows(entries, weights)
        else:
            weights = self.convention_weights(entries, convention, bias, L, x, shared_bias)
        n_out = weights[-1].shape[1]
        label_class = None
        if _class_number(y_node, n_out):  # y: 2 for several outputs: a class number, if softmax
            activations = self.activations(entries, L, n_out)
            y, label_class = self.class_label(y_node, y_key, n_out, activations[-1])
            self.check_shapes(entries, x, y, weights, bias)
        else:
            if convention != "bias-row" and n_out != len(y):
                raise self.error(entries[f"W{L}"][1], f"W{L}", f"has {count(n_out, 'output neuron')} but y has {count(len(y), 'label')}",
                                 "give the output layer one neuron per label")
            self.check_shapes(entries, x, y, weights, bias)
            activations = self.activations(entries, L, len(y))
        loss = self.loss(entries, activations[-1], y)
        classes = [label_class]
        for n, (x_n, y_n, x_node, y_node) in enumerate(rest, start=2):
            if len(x_n) != len(x):
                raise self.error(x_node, f"examples {n}: x", f"has {count(len(x_n), 'input')}; example 1 has {len(x)}", "give every example the same inputs")
            k = None
            if _class_number(y_node, n_out):
                y_n, k = self.class_label(y_node, f"examples {n}: y", n_out, activations[-1])
            classes.append(k)
            examples[n - 1] = (x_n, y_n, x_node, y_node)
            if len(y_n) != len(y):
                raise self.error(y_node, f"examples {n}: y", f"has {count(len(y_n), 'label')}; example 1 has {len(y)}", "give every example one label per output")
            self.check_labels(loss, activations[-1], y_n, y_node, f"examples {n}: y")
        if examples:
            examples[0] = (x, y) + examples[0][2:]
        learning_rate = None
        if "learning_rate" in entries:
            learning_rate = self.number(entries["learning_rate"][1], "learning_rate")
            if learning_rate <= 0:
                raise self.error(entries["learning_rate"][1], "learning_rate", f"is {learning_rate:g}; it must be positive", "use a step size such as 0.1 or 2")
        elif examples:
            what = "one update from the batch" if "batch" in entries else "SGD step by step (one update per example)"
            raise self.error(
                entries["examples"][0], "examples", f"{what} needs a learning rate",
                "add learning_rate to the problem, such as 'learning_rate: 0.5'",
            )
        batch = self.batch(entries) if "batch" in entries else None
        threshold = DEFAULT_THRESHOLD
        if "threshold" in entries:
            threshold = self.number(entries["threshold"][1], "threshold")
            if activations[-1] == "sigmoid" and not 0 < threshold < 1:
                raise self.error(
                    entries["threshold"][1], "threshold",
                    f"is {threshold:g}, but sigmoid outputs lie between 0 and 1, so every output would get the same class",
                    "use a threshold between 0 and 1, such as 0.5",
                )
        title = None
        if "title" in entries:
            node = entries["title"][1]
            if not isinstance(node, yaml.ScalarNode) or node.tag == TAG + "null":
                raise self.error(node, "title", "is not text", "write the title on one line, such as 'title: 1 Neural Network'")
            title = node.value
        points = self.points(entries) if "points" in entries else ()
        decay_bias = self.boolean(entries, "decay_bias", False)
        if decay_bias and not bias:
            raise self.error(entries["decay_bias"][0], "decay_bias", "has no effect with 'bias: false'", "remove one of them")
        l2 = self.penalty(entries, "l2") if "l2" in entries else 0.0
        optimizer = self.optimizer(entries, decay_bias)
        if optimizer is not None and learning_rate is None:
            raise self.error(entries["optimizer" if "optimizer" in entries else "weight_decay"][0], "optimizer" if "optimizer" in entries else "weight_decay",
                             "an optimizer's step needs a learning rate", "add learning_rate to the problem, such as 'learning_rate: 0.001'")
        if "decay_bias" in entries and optimizer is None and not l2:
            raise self.error(entries["decay_bias"][0], "decay_bias", "has nothing to decay: the problem has no weight_decay and no l2",
                             "add 'weight_decay: 0.01' or 'l2: 0.01', or remove decay_bias")
        state = self.state(entries, optimizer, convention, bias, weights, shared_bias) if "state" in entries else None
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
            points=points,
            examples=tuple((_frozen(x_n), _frozen(y_n)) for x_n, y_n, _, _ in examples),
            convention=convention,
            symbols=symbols,
            label_class=label_class,
            example_classes=tuple(classes) if examples and any(k is not None for k in classes) else (),
            shared_bias=shared_bias,
            batch=batch,
            optimizer=optimizer,
            l2=l2,
            decay_bias=decay_bias,
            state=state,
        )

    # -- optimizers (optimizers.py): the update rule, weight decay, l2, the state -----------------

    def penalty(self, entries, key: str) -> float:
        value = self.number(entries[key][1], key)
        if value < 0:
            raise self.error(entries[key][1], key, f"is {value:g}; it must be 0 or more", "use a small number such as 0.01")
        return value

    def optimizer(self, entries, decay_bias: bool) -> Optional[Optimizer]:
        """optimizer: NAME or {name: NAME, option: value, ...}, with weight_decay beside it; None
        for plain SGD (no optimizer, or sgd without momentum and weight decay)."""
        if "optimizer" not in entries and "weight_decay" not in entries:
            return None
        name, options, nodes = "sgd", {}, {}
        name_node = None
        if "optimizer" in entries:
            name_node = node = entries["optimizer"][1]
            if isinstance(node, yaml.MappingNode):
                fields = self.mapping(node)
                if "name" not in fields:
                    raise self.error(node, "optimizer", "has no name", "write 'optimizer: {name: adam, beta1: 0.9}', or 'optimizer: adam' for its defaults")
                name_node = fields["name"][1]
                for option, (key_node, value_node) in fields.items():
                    if option == "name":
                        continue
                    nodes[option] = (key_node, value_node)
                    if isinstance(value_node, yaml.ScalarNode) and value_node.tag == TAG + "bool":
                        options[option] = value_node.value.lower() in ("true", "yes", "on")
                    elif option in ("nesterov", "centered", "amsgrad"):
                        raise self.error(value_node, f"optimizer: {option}", f"is {show(value_node.value) if isinstance(value_node, yaml.ScalarNode) else 'not a value'}, not true or false",
                                         f"write '{option}: true' or '{option}: false'")
                    elif isinstance(value_node, yaml.ScalarNode) and option in ("weight_decay", "lr", "learning_rate"):
                        options[option] = 0.0  # refused below, with its fix
                    else:
                        options[option] = self.number(value_node, f"optimizer: {cut(option)}")
            if not isinstance(name_node, yaml.ScalarNode) or not name_node.value or name_node.tag == TAG + "null":
                raise self.error(name_node, "optimizer", "is not a name", f"use one of {', '.join(OPTIMIZER_NAMES)}")
            name = name_node.value
        decay = self.penalty(entries, "weight_decay") if "weight_decay" in entries else None
        try:
            optimizer = optimizers_make(name, options, decay, decay_bias)
        except OptionError as e:
            option = e.key.split(": ", 1)[1] if e.key.startswith("optimizer: ") else None
            if e.key == "optimizer":
                raise self.error(name_node, "optimizer", f"unknown optimizer {show(name)}", suggest(str(name), OPTIMIZER_NAMES)) from None
            if option is not None and option in nodes:
                raise self.error(nodes[option][0 if "not an option" in e.message else 1], e.key, e.message, e.fix) from None
            where = entries["weight_decay"][1] if e.key == "weight_decay" and "weight_decay" in entries else (name_node or entries["optimizer"][1])
            raise self.error(where, e.key, e.message, e.fix) from None
        return None if optimizer.plain else optimizer

    def state(self, entries, optimizer: Optional[Optimizer], convention: str, bias: bool, weights, shared_bias: bool = False) -> State:
        """state: {step: t, W1: {m: ..., v: ...}, ...}: the optimizer's state after the steps taken,
        each array as the convention writes W (and b) of its layer."""
        key_node, node = entries["state"]
        if optimizer is None:
            what = "plain SGD (no momentum) keeps none" if "optimizer" in entries else "the problem has no optimizer"
            raise self.error(key_node, "state", f"is an optimizer's state, but {what}",
                             "add 'optimizer: momentum' (or adam, ...), or remove state")
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, "state", "is not a mapping", "write 'state:' then 'step: 1' and one 'W1: {m: [[...]], v: [[...]]}' per layer")
        fields = self.mapping(node)
        names = optimizer.state_names()
        step = 0
        if "step" in fields:
            value = self.number(fields["step"][1], "state: step")
            if value != int(value) or value < 0:
                raise self.error(fields["step"][1], "state: step", f"is {value:g}; it counts the steps already taken", "give a whole number such as 1")
            step = int(value)
        elif optimizer.uses_step():
            raise self.error(key_node, "state: step", f"missing: {optimizer.title} needs the number of steps already taken",
                             "add 'step: 1' (the steps taken so far) under state")
        L = len(weights)
        layers: dict[str, dict[str, np.ndarray]] = {}
        parts = {}
        for name, (k_node, v_node) in fields.items():
            if name == "step":
                continue
            m = WEIGHT_KEY.fullmatch(name) or (BIAS_KEY.fullmatch(name) if convention != "bias-row" and bias else None)
            if not m or int(m.group(1)) > L:
                allowed = f"W1..W{L}" + (f" and b1..b{L}" if convention != "bias-row" and bias else "")
                raise self.error(k_node, f"state: {cut(name)}", "is not a layer's weights", f"give step and {allowed}")
            if not isinstance(v_node, yaml.MappingNode):
                raise self.error(v_node, f"state: {name}", "is not a mapping", f"write '{name}: {{{', '.join(f'{n}: ...' for n in names)}}}'")
            arrays, nodes = {}, {}
            for arr, (a_key, a_node) in self.mapping(v_node).items():
                nodes[arr] = a_node
                if arr not in names:
                    keeps = ", ".join(names) if names else "no state"
                    raise self.error(a_key, f"state: {name}: {cut(arr)}", f"is not {optimizer.title}'s state", f"{optimizer.title} keeps {keeps}")
                if name.startswith("b") and shared_bias and isinstance(a_node, yaml.ScalarNode):
                    # bias: shared: the layer's one bias, one number (as b is), in every neuron's entry
                    one = self.numbers(yaml.SequenceNode(TAG + "seq", [a_node], a_node.start_mark, a_node.end_mark), f"state: {name}: {arr}")[0]
                    arrays[arr] = np.full(weights[int(name[1:]) - 1].shape[1], one, dtype=np.float64)
                elif name.startswith("b"):
                    arrays[arr] = np.array(self.numbers(a_node, f"state: {name}: {arr}"), dtype=np.float64)
                else:
                    arrays[arr] = self.matrix(a_node, f"state: {name}: {arr}")
            parts[name] = (arrays, v_node, nodes)
        if not names:
            if parts or "step" in fields:
                pass
            return State(step, ())
        for l in range(1, L + 1):
            need = [f"W{l}"] + ([f"b{l}"] if convention != "bias-row" and bias else [])
            for key in need:
                if key not in parts:
                    raise self.error(key_node, f"state: {key}", "missing", f"give '{key}: {{{', '.join(f'{n}: ...' for n in names)}}}'"
                                     " (zeros before the first step)")
                arrays, v_node = parts[key][:2]
                for n in names:
                    if n not in arrays:
                        raise self.error(v_node, f"state: {key}: {n}", "missing", f"{optimizer.title} keeps {', '.join(names)}")
            values = {}
            for n in names:
                W = parts[f"W{l}"][0][n]
                b = parts[f"b{l}"][0][n] if convention != "bias-row" and bias else None
                want = weights[l - 1].shape
                try:
                    values[n] = from_convention(W, b, convention)
                except ValueError:
                    values[n] = None
                if values[n] is None or values[n].shape != want:
                    shape = to_convention(np.zeros(want), convention, bias)
                    need_shape = " x ".join(map(str, shape[0].shape)) + (f" and b{l} {shape[1].shape[0]}" if shape[1] is not None else "")
                    raise self.error(parts[f"W{l}"][1], f"state: W{l}: {n}", "is not the shape of the layer's weights", f"make it {need_shape}, as W{l}")
            broken = check_state(optimizer, values)
            if broken is not None:
                raise self._state_entry_error(parts, l, broken, convention, bias, shared_bias, weights[l - 1].shape[1])
            layers[l] = values
        return State(step, tuple(tuple((n, _frozen(layers[l][n])) for n in names) for l in range(1, L + 1)))

    def _state_entry_error(self, parts, l: int, broken, convention: str, bias: bool, shared_bias: bool, columns: int):
        """The error of a state entry optimizers.check_state refused, at the line of its row, named
        as the convention names the weight it belongs to (state: W1: v of W1[0,1] is -1; ...)."""
        name, k, what, rule = broken
        r, c = divmod(k, columns)  # the internal form's row (0 the bias row) and column
        in_b = convention != "bias-row" and bias and r == 0
        key = f"b{l}" if in_b else f"W{l}"
        node = parts[key][2][name]
        row = c if in_b or convention == "Wx+b" else r - (bias and convention == "xW+b")
        if isinstance(node, yaml.SequenceNode) and row < len(node.value):
            node = node.value[row]
        entry = weight_in(convention, l, r + first_row(bias), c + 1, shared_bias)
        return self.error(node, f"state: {key}", f"{name} of {entry} {what}", rule)

    def matrix(self, node, key: str) -> np.ndarray:
        if not isinstance(node, yaml.SequenceNode) or not node.value or not all(isinstance(r, yaml.SequenceNode) for r in node.value):
            raise self.error(node, key, "is not a matrix", "write one list per row, as the weights are written")
        rows = [self.numbers(r, key) for r in node.value]
        if len({len(r) for r in rows}) != 1:
            raise self.error(node, key, "has rows of different lengths", "give every row one number per neuron")
        return np.array(rows, dtype=np.float64)

    def batch(self, entries) -> str:
        """batch: mean or sum, for a problem with examples (and so a learning rate)."""
        key_node, node = entries["batch"]
        name = node.value if isinstance(node, yaml.ScalarNode) and node.tag != TAG + "null" else None
        if name is None or name.strip().lower() not in BATCH_MODES:
            what = f"unknown batch {show(name)}" if name else "is not a name"
            raise self.error(node, "batch", what, "use mean (one update from the mean of the examples' gradients) or sum (from their sum)")
        if "examples" not in entries:
            raise self.error(key_node, "batch", "is given without examples: a batch is several examples, one update from all of them",
                             "give a list of examples, such as 'examples: [{x: [2, 5], y: [1]}, {x: [1, -1], y: [0]}]', or remove batch")
        return name.strip().lower()

    # -- conventions (notation.py): the weights as a course writes them ----------------------

    def convention(self, entries) -> str:
        if "convention" not in entries:
            return "bias-row"
        node = entries["convention"][1]
        name = node.value if isinstance(node, yaml.ScalarNode) else None
        found = convention_named(name) if name else None
        if found is None:
            raise self.error(node, "convention", f"unknown convention {show(name)}" if name else "is not a name",
                             "use bias-row (the bias as row 0 of W), Wx+b (W is neurons x inputs, with b) or xW+b (W is inputs x neurons, with b)")
        return found

    def bias_mode(self, entries) -> tuple[bool, bool]:
        """(bias, shared) from 'bias: true | false | shared' (shared: one bias per layer, used by
        every neuron of it)."""
        node = entries["bias"][1] if "bias" in entries else None
        if node is None:
            return True, False
        scalar = isinstance(node, yaml.ScalarNode)
        if scalar and node.tag != TAG + "bool" and node.value.strip().lower() == "shared":
            return True, True
        if not scalar or node.tag != TAG + "bool":
            shown = f"is {show(node.value)}, not" if scalar and node.value else "is not"
            raise self.error(node, "bias", f"{shown} true, false or shared", "write 'bias: true', 'bias: false' or 'bias: shared' (one bias per layer)")
        return self.boolean(entries, "bias", True), False

    def check_shared_rows(self, entries, weights) -> None:
        """bias: shared in bias-row: row 0 of each W is the layer's one bias, so its entries are equal."""
        for l, W in enumerate(weights, start=1):
            if np.any(W[0] != W[0, 0]):
                key = f"W{l}"
                row = entries[key][1].value[0]
                shown = ", ".join(f"{v:g}" for v in W[0])
                raise self.error(
                    row, f"{key} row 0", f"holds [{shown}], but with 'bias: shared' row 0 is the layer's one bias, the same for every neuron",
                    f"write row 0 as [{', '.join([f'{W[0, 0]:g}'] * W.shape[1])}] (one number, repeated), or remove 'bias: shared'",
                )

    def check_bias_keys(self, entries, convention: str, bias: bool, L: int, bias_layers: dict, shared: bool = False) -> None:
        """b1, b2, ...: one per layer in Wx+b and xW+b (unless bias: false), none in bias-row."""
        for l, name in sorted(bias_layers.items()):
            node = entries[name][0]
            if convention == "bias-row":
                raise self.error(node, name, f"is a bias vector, but in the bias-row convention the biases are row 0 of W{l}",
                                 "add 'convention: Wx+b' (or xW+b), or move the biases into row 0 of W" + str(l))
            if not bias:
                raise self.error(node, name, "is given, but 'bias: false' says the network has no biases", f"remove {name} or 'bias: false'")
            if l > L:
                raise self.error(node, name, f"is for layer {l}, but the weights stop at W{L}", f"remove {name} or add W{l}")
        if convention != "bias-row" and bias:
            for l in range(1, L + 1):
                if l not in bias_layers and shared:
                    raise self.error(None, f"b{l}", f"missing: with 'bias: shared' each layer has one bias, a number b{l}",
                                     f"add 'b{l}: 0' (layer {l}'s bias), or 'bias: false'")
                if l not in bias_layers:
                    raise self.error(None, f"b{l}", f"missing: in {convention} each layer's biases are a vector b{l}",
                                     f"add 'b{l}: [...]' with one bias per neuron of layer {l}, or 'bias: false'")

    def convention_weights(self, entries, convention: str, bias: bool, L: int, x, shared: bool = False) -> tuple:
        """Each layer's W (and b) as the convention writes them, checked, in the bias-row form;
        shared (bias: shared): each b is one number, the layer's one bias."""
        layout = "neurons x inputs" if convention == "Wx+b" else "inputs x neurons"
        result = []
        n_in, source = len(x), count(len(x), "input")
        for l in range(1, L + 1):
            key = f"W{l}"
            W = self.weights(entries, l, False)
            neurons, inputs = W.shape if convention == "Wx+b" else W.shape[::-1]
            if inputs != n_in:
                message = f"is {W.shape[0]} x {W.shape[1]}, but {source} come into layer {l}; in {convention} W{l} is {layout}"
                if neurons == n_in:  # the other convention's orientation: its transpose fits
                    other = "xW+b" if convention == "Wx+b" else "Wx+b"
                    raise self.error(entries[key][1], key, f"{message}, and this is how {other} writes it",
                                     f"write its transpose, {W.shape[1]} x {W.shape[0]}, or say 'convention: {other}'")
                need = f"(neurons of layer {l}) x {n_in}" if convention == "Wx+b" else f"{n_in} x (neurons of layer {l})"
                raise self.error(entries[key][1], key, message, f"make {key} {need}")
            b = None
            if shared:
                node = entries[f"b{l}"][1]
                if not isinstance(node, yaml.ScalarNode):
                    raise self.error(node, f"b{l}", "is a list, but with 'bias: shared' each layer has one bias, used by every neuron",
                                     f"write b{l} as one number, such as 'b{l}: 0.5', or remove 'bias: shared'")
                b = np.full(neurons, self.number(node, f"b{l}"))
            elif bias:
                node = entries[f"b{l}"][1]
                b = np.array(self.numbers(node, f"b{l}"), dtype=np.float64)
                if isinstance(node, yaml.ScalarNode) and neurons > 1:
                    raise self.error(node, f"b{l}", f"is one number, but W{l} has {count(neurons, 'neuron')}, each with its own bias",
                                     f"give b{l} one bias per neuron, such as [{', '.join(['0'] * neurons)}], or add 'bias: shared' for one bias per layer")
                if len(b) != neurons:
                    raise self.error(entries[f"b{l}"][1], f"b{l}", f"has {len(b)} bias{'' if len(b) == 1 else 'es'}, but W{l} has {count(neurons, 'neuron')}",
                                     f"give b{l} one bias per neuron of layer {l}")
            result.append(from_convention(W, b, convention))
            n_in, source = neurons, f"{count(neurons, 'neuron')} of layer {l}"
        return tuple(result)

    def symbols(self, entries, convention: str) -> tuple[tuple[str, str], ...]:
        """symbols: {alpha: h, beta: o, loss: E, learning_rate: eta}: the convention's names, renamed."""
        node = entries["symbols"][1]
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, "symbols", "is not a mapping", "write 'symbols:' then one 'name: symbol' per line, such as 'loss: E'")
        result = []
        taken: dict[str, str] = {}
        for name, (key_node, value_node) in self.mapping(node).items():
            key = f"symbols: {cut(name)}"
            if name not in SYMBOL_NAMES:
                raise self.error(key_node, key, "is not a symbol nnsolve writes", suggest(name, SYMBOL_NAMES))
            value = value_node.value if isinstance(value_node, yaml.ScalarNode) else None
            why = symbol_error(name, symbol_named(value)) if value else "is not a name"
            if why:
                raise self.error(value_node, key, f"{show(value)} {why}" if value else why,
                                 "use one letter (h, o, E), a Greek letter (θ) or its name (eta, theta)")
            result.append((name, symbol_named(value)))
        final = {**DEFAULT_SYMBOLS[convention], **dict(result)}
        for name, value in final.items():
            if value in taken and value != "y_hat":
                raise self.error(node, "symbols", f"gives {taken[value]} and {name} the same symbol {value}", "give each its own symbol")
            taken[value] = name
        return tuple(result)

    def examples(self, entries) -> list:
        """examples: a list of {x: [...], y: [...]}, each read as x and y are."""
        node = entries["examples"][1]
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.error(node, "examples", "is not a list of examples", "write one '- {x: [2, 5], y: [1]}' per example")
        result = []
        for n, item in enumerate(node.value, start=1):
            key = f"examples {n}"
            if not isinstance(item, yaml.MappingNode):
                raise self.error(item, key, "is not an example", "write it as {x: [2, 5], y: [1]}")
            fields = self.mapping(item)
            for name, (key_node, _) in fields.items():
                if name not in ("x", "y"):
                    raise self.error(key_node, f"{key}: {cut(name)}", "unknown key", "an example has x and y only")
            for name in ("x", "y"):
                if name not in fields:
                    raise self.error(item, f"{key}: {name}", "missing", "write it as {x: [2, 5], y: [1]}")
            values = []
            for name in ("x", "y"):
                value_node = fields[name][1]
                if isinstance(value_node, yaml.SequenceNode) and any(isinstance(i, yaml.SequenceNode) for i in value_node.value):
                    raise self.error(value_node, f"{key}: {name}", "is a nested list", "write one flat list of numbers")
                values.append(np.array(self.numbers(value_node, f"{key}: {name}"), dtype=np.float64))
            result.append((values[0], values[1], fields["x"][1], fields["y"][1]))
        return result

    def class_label(self, node, key: str, n_out: int, output_activation: str) -> tuple[np.ndarray, int]:
        """y given as one number for several outputs: a class number 1..n_out (as the output
        neurons are numbered) of softmax outputs, as its one-hot vector and the number."""
        from .data import not_classes, one_hot  # train's class numbers, counted from 1 here

        value = self.number(node, key)
        if output_activation != "softmax":
            raise self.error(
                node, key, f"is one number, but the network has {n_out} {output_activation} outputs (a class number is for softmax outputs)",
                f"give one label per output, such as [{', '.join(['0'] * (n_out - 1) + ['1'])}], or use softmax on the output layer",
            )
        if len(not_classes(np.array([value]), n_out, first=1)):
            shown = f"{value:g}"
            why = "classes count from 1, as the output neurons do" if value == 0 else f"the {n_out} softmax outputs are classes 1 to {n_out}"
            example = ", ".join(["0", "1"] + ["0"] * (n_out - 2))
            raise self.error(node, key, f"{shown} is not a class number: {why}", f"give a whole number from 1 to {n_out}, or a one-hot list such as [{example}]")
        return one_hot(np.array([value]), n_out, first=1)[0], int(value)

    def points(self, entries) -> tuple[tuple[str, float], ...]:
        """points: {quantity name: points}; the names are checked when a sheet is graded."""
        node = entries["points"][1]
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, "points", "is not a mapping", "write 'points:' then one 'name: points' per line, such as 'loss: 2'")
        result = []
        for key_node, value_node in self.mapping(node).values():
            value = self.number(value_node, f"points: {key_node.value}")
            if value < 0:
                raise self.error(value_node, f"points: {key_node.value}", f"is {value:g}", "give 0 or more points")
            result.append((key_node.value, value))
        return tuple(result)

    @staticmethod
    def key_fix(name: str) -> str:
        """The fix for an unknown key: the key meant, or the known ones."""
        plain = name.strip().lower().replace(" ", "_").replace("-", "_")
        if plain in KEY_ALIASES:
            return f"did you mean '{KEY_ALIASES[plain]}'?"
        if re.fullmatch(r"[Ww]0+", plain):
            return "layers count from 1: the first layer's weights are W1"
        return suggest(name, REQUIRED_KEYS + OPTIONAL_KEYS + ("W2", "W3"))

    # -- values -----------------------------------------------------------------

    def vector(self, entries, key: str, what: str, example: str) -> np.ndarray:
        node = entries[key][1]
        if isinstance(node, yaml.SequenceNode) and any(isinstance(i, yaml.SequenceNode) for i in node.value):
            raise self.error(node, key, f"is a nested list; the {what} are one flat list", f"write '{key}: {example}'")
        return np.array(self.numbers(node, key), dtype=np.float64)

    def weights(self, entries, layer: int, bias: bool) -> np.ndarray:
        key = f"W{layer}"
        node = entries[key][1]
        example = "[[-1, 2], [-2, 1], [1, 4]]"
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, key, "is not a matrix", f"write one list per row, such as '{key}: {example}'")
        if not node.value:
            raise self.error(node, key, "is an empty list", f"write one list per row, such as '{key}: {example}'")
        if not any(isinstance(row, yaml.SequenceNode) for row in node.value):
            raise self.error(node, key, "is a flat list, not a matrix", "write one list per row; a single column is [[1], [2], [-4]]")
        first_row = 0 if bias else 1
        rows = []
        for r, row in enumerate(node.value, start=first_row):
            if not isinstance(row, yaml.SequenceNode):
                fix = f"write the row in brackets, such as [{row.value}]" if isinstance(row, yaml.ScalarNode) else "write one list per row"
                raise self.error(row, f"{key} row {r}", "is not a list of weights", fix)
            if not row.value:
                raise self.error(row, f"{key} row {r}", "is empty", "give one weight per neuron of the layer")
            rows.append([self.number(v, f"{key}[{r},{c}]") for c, v in enumerate(row.value, start=1)])
            if len(rows[-1]) != len(rows[0]):
                raise self.error(
                    row, f"{key} row {r}", f"has {count(len(rows[-1]), 'weight')} but row {first_row} has {len(rows[0])}",
                    "give every row one weight per neuron of the layer",
                )
        return np.array(rows, dtype=np.float64)

    def check_shapes(self, entries, x, y, weights, bias: bool) -> None:
        n_in = len(x)
        source = count(n_in, "input")
        for l, W in enumerate(weights, start=1):
            key = f"W{l}"
            need = n_in + (1 if bias else 0)
            if W.shape[0] != need:
                why = f"{source} plus the bias row need {need}" if bias else f"{source} need {need} (bias: false, so no bias row)"
                message, fix = f"has {count(W.shape[0], 'row')}; {why}", f"make {key} {need} x {W.shape[1]}"
                if _looks_transposed(W, n_in, need, weights[l:], len(y), bias):
                    neurons = W.shape[0]
                    message += (f", and it looks transposed: its {count(W.shape[1], 'column')} match the "
                                f"{'bias and the ' if W.shape[1] == need and bias else ''}inputs, but {key} has a row per input and a column per neuron")
                    if W.shape[1] == need:
                        fix = f"write its transpose, {need} x {neurons}"
                    else:
                        fix = f"make {key} {need} x {neurons}, its transpose with the biases as row 0 (or say 'convention: Wx+b' and give b{l})"
                raise self.error(entries[key][1], key, message, fix)
            n_in = W.shape[1]
            source = f"{count(n_in, 'neuron')} of layer {l}"
        if weights[-1].shape[1] != len(y):
            key = f"W{len(weights)}"
            raise self.error(
                entries[key][1], key,
                f"has {count(weights[-1].shape[1], 'column')} (output neurons) but y has {count(len(y), 'label')}",
                "give the output layer one column per label",
            )

    def activations(self, entries, L: int, n_out: int) -> tuple[str, ...]:
        single = True  # one name for every layer
        if "activation" not in entries:
            names = [DEFAULT_ACTIVATION] * L
            nodes = [None] * L
        else:
            node = entries["activation"][1]
            if isinstance(node, yaml.SequenceNode):
                if len(node.value) != L:
                    raise self.error(node, "activation", f"lists {count(len(node.value), 'name')} for {count(L, 'layer')}", f"give one name, or a list of {L}")
                nodes = node.value
                single = False
            else:
                nodes = [node] * L
            names = []
            for l, n in enumerate(nodes, start=1):
                name = n.value if isinstance(n, yaml.ScalarNode) and n.value else None
                if name not in ACTIVATIONS:
                    key = "activation" if single else f"activation of layer {l}"
                    raise self.error(n, key, f"unknown activation {show(name)}" if name else "is not a name", suggest(str(name), ACTIVATIONS))
                names.append(name)
        for l, name in enumerate(names, start=1):
            if name == "softmax" and l != L:
                fix = "use sigmoid, tanh or relu for the hidden layers"
                if single:
                    fix = f"give one name per layer, such as 'activation: [{', '.join(['sigmoid'] * (L - 1) + ['softmax'])}]'"
                raise self.error(nodes[l - 1] or entries["W1"][0], "activation", f"softmax on layer {l}; it is for the output layer only", fix)
        if names[-1] == "softmax" and n_out < 2:
            raise self.error(nodes[-1], "activation", "softmax of one output is always 1", "use sigmoid for one output, or give two or more outputs")
        return tuple(names)

    def loss(self, entries, output_activation: str, y: np.ndarray) -> str:
        node = entries["loss"][1] if "loss" in entries else None
        name = DEFAULT_LOSS
        if node is not None:
            name = node.value if isinstance(node, yaml.ScalarNode) and node.value else None
            if name not in LOSSES:
                raise self.error(node, "loss", f"unknown loss {show(name)}" if name else "is not a name", self.loss_fix(name, output_activation))
        loss = LOSSES[name]
        if loss.outputs and output_activation not in loss.outputs:
            needs = " or ".join(loss.outputs)
            raise self.error(node, "loss", f"{name} needs outputs in (0, 1), but the output layer is {output_activation}", f"use activation {needs} on the output layer, or loss squared_error")
        self.check_labels(name, output_activation, y, entries["y"][1], "y")
        return name

    @staticmethod
    def loss_fix(name: Optional[str], output_activation: str) -> str:
        """The fix for an unknown loss: the loss another book's name means, with its formula."""
        plain = re.sub(r"[\s_\-]", "", str(name).lower()) if name else ""
        if plain not in LOSS_ALIASES:
            return suggest(str(name), LOSSES)
        meant = LOSS_ALIASES[plain] or ("cross_entropy" if output_activation == "softmax" else "binary_cross_entropy")
        return f"did you mean '{meant}'? ({meant} is {LOSSES[meant].formula})"

    def check_labels(self, name: str, output_activation: str, y: np.ndarray, y_node, key: str) -> None:
        """Labels the loss can take: in [0, 1] for the cross-entropies, a distribution for softmax."""
        if LOSSES[name].outputs and np.any((y < 0) | (y > 1)):
            raise self.error(y_node, key, f"labels must lie in [0, 1] for {name}", "use 0/1 labels (one-hot for several classes)")
        if name == "cross_entropy" and output_activation == "softmax" and abs(np.sum(y) - 1.0) > 1e-9:
            raise self.error(y_node, key, f"labels sum to {np.sum(y):g}; softmax outputs sum to 1", "give a one-hot label such as [0, 1, 0]")


def _looks_transposed(W: np.ndarray, n_in: int, need: int, later: tuple, n_labels: int, bias: bool) -> bool:
    """Whether a W with the wrong number of rows was written neurons x inputs: its columns
    match the inputs, its rows are not the inputs with a bias row forgotten (or one too many),
    and what comes after it does not fit its columns as neurons (the next layer's rows, or the
    labels after the output layer)."""
    rows, columns = W.shape
    if rows == columns or columns not in (n_in, need) or rows in (n_in, n_in + 1):
        return False
    fits_columns = later[0].shape[0] == columns + bias if later else columns == n_labels
    return not fits_columns


def _class_number(node, n_out: int) -> bool:
    """Whether y is written as one number (not a list) for a network of several outputs: a class number."""
    return n_out > 1 and isinstance(node, yaml.ScalarNode)


def _state_arrays(problem: "Problem", l: int, values) -> dict:
    """A state array of layer l as the problem's convention writes W{l} (and b{l})."""
    W, b = to_convention(np.asarray(values), problem.convention, problem.bias)
    return {f"W{l}": W.tolist(), **({} if b is None else {f"b{l}": b.tolist()})}


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a
