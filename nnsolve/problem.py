"""Problem files: YAML -> a validated, immutable Problem.

The only module that reads problem files. Every error names the file, the line, the key,
what is wrong and how to fix it. YAML is read with the safe loader into nodes, and the
nodes are converted here, so that each value keeps its line and nothing in a file runs.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
import os
import re
from typing import Any, Optional

import numpy as np
import yaml

from .errors import ProblemError
from .network import ACTIVATIONS, LOSSES

MAX_FILE_BYTES = 1 << 20  # 1 MiB: a worksheet is a few hundred bytes
MAX_NODES = 200_000  # values after aliases expand; a bomb passes this long before it costs memory
BUILTIN_NAME = "worksheet.yaml"  # shipped in nnsolve/data; the same as problems/worksheet.yaml

REQUIRED_KEYS = ("x", "y", "W1", "learning_rate")
OPTIONAL_KEYS = ("title", "activation", "loss", "threshold", "bias", "train_bias", "points", "examples")
DEFAULT_ACTIVATION = "sigmoid"
DEFAULT_LOSS = "squared_error"
DEFAULT_THRESHOLD = 0.5
WEIGHT_KEY = re.compile(r"W([1-9][0-9]*)")

_TAG = "tag:yaml.org,2002:"
# what the safe resolver gives untagged text; a date or '=' then fails as a value, with its name
_STANDARD_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp", "value")}
_YAML_BOOLS = {"yes": "true", "on": "true", "no": "false", "off": "false"}  # YAML 1.1 reads these as booleans

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
}


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
    # points per answer when nnsolve check grades a sheet: (quantity name, points); others earn 1
    points: tuple[tuple[str, float], ...] = ()
    # examples: several (x, y) for SGD step by step; x and y above are the first of them
    examples: tuple[tuple[np.ndarray, np.ndarray], ...] = ()

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
            d["examples"] = [{"x": x.tolist(), "y": y.tolist()} for x, y in self.examples]
        else:
            d.update(x=self.x.tolist(), y=self.y.tolist())
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
    open(): a third of the time, for a class's thousands of small sheets."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
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
    return _Reader(source).problem(compose_yaml(text, source))


# libyaml composes ten times faster (a class's sheets); its messages are terser, so a file it
# refuses is read again by the pure-Python parser for the message
_C_LOADER = getattr(yaml, "CSafeLoader", None)


if _C_LOADER is not None:

    class _FastLoader(_C_LOADER):
        """libyaml's safe loader with its tag resolver remembered: libyaml parses in C but asks
        Python's resolver (a list of regular expressions) for the tag of every scalar, the same
        few short texts sheet after sheet in a class (0, 0.5, the names). Resolving depends on
        the text alone (a safe loader has no path resolvers), so each answer is kept."""

        _resolved: dict = {}

        def resolve(self, kind, value, implicit):
            key = (kind, value, implicit)
            tag = self._resolved.get(key)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if value is None or len(value) <= 32 and len(self._resolved) < 65536:  # bounded
                    self._resolved[key] = tag
            return tag

        # nothing to track: a safe loader has no path resolvers (checked below)
        def descend_resolver(self, current_node, current_index):
            pass

        def ascend_resolver(self):
            pass

    _FAST_LOADER = _FastLoader if not _C_LOADER.yaml_path_resolvers else _C_LOADER
else:
    _FAST_LOADER = yaml.SafeLoader


def compose_yaml(text: str, source: str) -> Optional[yaml.Node]:
    """The YAML node tree of text (safe: tags are only read, never constructed)."""
    try:
        return yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError as e:
        if "nesting depth" in str(e):  # libyaml's limit; the pure-Python parser would recurse for a second
            mark = getattr(e, "problem_mark", None)
            raise ProblemError(
                "lists or mappings nested too deeply to read", file=source, line=mark.line + 1 if mark else None,
                fix="a matrix is a list of lists, two levels deep",
            ) from None
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what, fix = f"not valid YAML: {e.problem or e.context or 'malformed'}", "check the indentation, brackets and colons there"
        if e.problem and ("'\\t'" in e.problem or "tab character" in e.problem):
            what, fix = "not valid YAML: a tab, which YAML does not allow here", "indent with spaces, not tabs"
        elif e.context and "single document" in e.context:
            what, fix = "not valid YAML: a second document ('---') starts here", "keep one problem per file"
        elif e.context and e.context_mark and e.problem_mark and e.context.startswith("while ") and e.context_mark.line != e.problem_mark.line:
            # the error shows up where the parser gave up; the cause is usually where the list began
            opened = {"flow sequence": "the list opened with '['", "flow mapping": "the mapping opened with '{'", "quoted scalar": "the quoted text"}
            for name, thing in opened.items():
                if name in e.context:
                    what += f" ({thing} on line {e.context_mark.line + 1}, column {e.context_mark.column + 1})"
                    break
        raise ProblemError(
            what,
            file=source,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            fix=fix,
        ) from None
    except yaml.reader.ReaderError as e:
        # its position counts characters of text; people look for lines
        before = text[: e.position]
        line, column = before.count("\n") + 1, e.position - (before.rfind("\n") + 1) + 1
        char = f"U+{e.character:04X}" if isinstance(e.character, int) else repr(e.character)
        raise ProblemError(
            f"not valid YAML: the control character {char} is not allowed", file=source, line=line, column=column,
            fix="delete it (most editors show it as a box or not at all)",
        ) from None
    except yaml.YAMLError as e:
        raise ProblemError(f"not valid YAML: {e}", file=source) from None
    except RecursionError:
        raise ProblemError("lists or mappings nested too deeply to read", file=source, fix="a matrix is a list of lists, two levels deep") from None


def suggest(name: str, known) -> str:
    """A fix that names the nearest known name, or lists them all."""
    import difflib  # only when a name is wrong

    known = list(dict.fromkeys(known))
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if not close:
        close = [k for k in known if k.lower() == name.lower().replace(" ", "_").replace("-", "_")]
    if close:
        return f"did you mean '{close[0]}'?"
    return "known: " + ", ".join(known)


def _cut(text: str, limit: int = 40) -> str:
    """User text cut short for a message, which stays one readable line."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(text: str) -> str:
    """User text quoted in a message, cut short."""
    return repr(_cut(text))


class _Shown:
    """_show(text), made only when a message is written (most numbers are fine)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __format__(self, spec: str) -> str:
        return format(_show(self.text), spec)


def _tag_name(tag: str) -> str:
    """A tag as the file spells it."""
    return "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag


_FLOAT, _INT = _TAG + "float", _TAG + "int"


class _NotANumber(ValueError):
    """A number YAML reads in a way a person does not mean: what it is, and the fix."""

    def __init__(self, what: str, fix: str):
        super().__init__(what)
        self.what, self.fix = what, fix


def _yaml_number(tag: str, text: str) -> float:
    """The float that the text of an int, float or str scalar means; ValueError if none."""
    # not a YAML constructor: this is faster (an alias bomb's worth of values), and the
    # YAML 1.1 traps (1e-3 is text, 010 is octal, 1:30 is base 60) get an answer, not a surprise
    t = text.replace("_", "") if tag in ("int", "float") else text
    if tag in ("int", "float") and ":" in t:
        raise _NotANumber("which YAML 1.1 reads as a base-60 number", "write the number in decimal")
    if tag == "int":
        sign = -1 if t.startswith("-") else 1
        digits = t.lstrip("+-")
        try:
            if digits.startswith("0x"):
                return sign * float(int(digits[2:], 16))
            if digits.startswith("0b"):
                return sign * float(int(digits[2:], 2))
        except OverflowError:
            return sign * float("inf")
        if digits.startswith("0") and len(digits.lstrip("0")) > 1:  # 00 to 07 mean the same either way
            sign_text = t[: len(t) - len(digits)]
            octal = f" {sign_text}{int(digits, 8)}" if len(digits) <= 20 else ""
            raise _NotANumber(f"which YAML 1.1 reads as octal{octal}", f"write {sign_text}{digits.lstrip('0')} without the leading 0")
        return float(t)
    if tag == "float":
        if t.lower().lstrip("+-") in (".inf", ".nan"):
            return float(t.lower().replace(".", ""))
        return float(t)
    if tag == "str" and t.isascii():
        # YAML 1.1 reads 1e-3 (no dot) as text; a person means 0.001
        return float(t)
    raise ValueError(text)


def needs_node_check(text: str) -> bool:
    """Whether a document can hold what _Reader.check_nodes looks for. Without an alias (*), a
    tag (!) or a merge key (<<) none can be there, and without aliases a document has fewer
    values than characters: a class's small sheets skip the walk over every node."""
    return len(text) > MAX_NODES or "*" in text or "!" in text or "<<" in text


class _Reader:
    """Converts the node tree of one file, keeping lines for the messages."""

    def __init__(self, source: str):
        self.source = source
        self.sizes: dict[int, int] = {}  # id(node) -> values in it once aliases expand

    def error(self, node: Optional[yaml.Node], key: str, message: str, fix: Optional[str] = None) -> ProblemError:
        line = node.start_mark.line + 1 if node is not None else None
        return ProblemError(message, file=self.source, line=line, key=key, fix=fix)

    def check_nodes(self, key: str, top: yaml.Node) -> None:
        """Refuse tags, and aliases that expand past MAX_NODES, before any value is read."""
        # each node is sized once (an alias is the same node again), so a billion laughs
        # costs as much as its own text, and a loop of aliases is found, not followed
        stack = [(top, False)]
        open_nodes: set[int] = set()
        while stack:
            node, children_done = stack.pop()
            if id(node) in self.sizes:
                continue
            if isinstance(node, yaml.MappingNode):
                children = [n for pair in node.value for n in pair]
            elif isinstance(node, yaml.SequenceNode):
                children = list(node.value)
            else:
                children = []
            if not children_done:
                if node.tag == _TAG + "merge":
                    raise self.error(node, key, "merge keys (<<) are not supported", "write the keys out")
                if node.tag not in _STANDARD_TAGS:
                    raise self.error(node, key, f"the YAML tag '{_cut(_tag_name(node.tag))}' is not allowed", "remove the tag: nnsolve reads numbers, lists and names only")
                if id(node) in open_nodes:
                    raise self.error(node, key, "an alias refers to the list that contains it", "write the values out")
                open_nodes.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(children))
                continue
            open_nodes.discard(id(node))
            self.sizes[id(node)] = 1 + sum(self.sizes[id(child)] for child in children)
            if self.sizes[id(node)] > MAX_NODES:
                raise self.error(node, key, f"holds more than {MAX_NODES} values once its aliases expand", "write the values out")

    # -- the top-level mapping -------------------------------------------------

    def mapping(self, root: Optional[yaml.Node]) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        # an empty document ("---" alone) composes to an empty null scalar
        if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _TAG + "null" and root.value == ""):
            raise ProblemError("empty file", file=self.source, fix="write a mapping with x, y, W1, ... (see problems/worksheet.yaml)")
        if root.tag not in _STANDARD_TAGS:
            self.check_nodes("", root)  # a tagged document: say so, not only that it is not a mapping
        if not isinstance(root, yaml.MappingNode):
            kind = "a list" if isinstance(root, yaml.SequenceNode) else f"the single value {_show(root.value)}"
            raise self.error(root, "", f"is {kind}, not a mapping of keys to values", "write 'x: [2, 5]', 'y: [1]', 'W1: ...' on their own lines")
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in root.value:
            if key_node.tag == _TAG + "merge":
                raise self.error(key_node, "<<", "merge keys are not supported", "write each key out, such as 'x' or 'W1'")
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _TAG + "str":
                shown = f"key {_show(key_node.value)}" if isinstance(key_node, yaml.ScalarNode) else "a key"
                raise self.error(key_node, "", f"{shown} is not a plain name", "write each key as a plain name, such as 'x' or 'W1'")
            name = key_node.value
            if name in entries:
                first = entries[name][0].start_mark.line + 1
                raise self.error(key_node, _cut(name), f"given twice (first on line {first})", "keep one of them")
            if value_node.start_mark.index < key_node.end_mark.index:
                # an alias, whose marks are the anchor's: a message about this value belongs on this line
                import copy  # only for an alias

                value_node = copy.copy(value_node)
                value_node.start_mark = key_node.start_mark
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
                raise self.error(key_node, _cut(name), "unknown key", self.key_fix(name))
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
                    "learning_rate": "add the step size, such as 'learning_rate: 2'",
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

        bias = self.boolean(entries, "bias", True)
        train_bias = self.boolean(entries, "train_bias", True)
        if not bias and "train_bias" in entries:
            raise self.error(entries["train_bias"][0], "train_bias", "has no effect with 'bias: false'", "remove one of them")
        examples = self.examples(entries) if "examples" in entries else ()
        if examples:
            (x, y, x_node, y_node), rest = examples[0], examples[1:]
            entries = {**entries, "x": (x_node, x_node), "y": (y_node, y_node)}  # the first, for the checks below
        else:
            x = self.vector(entries, "x", "inputs", "[2, 5]")
            y = self.vector(entries, "y", "labels", "[1]")
            rest = ()
        weights = tuple(self.weights(entries, l, bias) for l in range(1, L + 1))
        self.check_shapes(entries, x, y, weights, bias)
        activations = self.activations(entries, L, len(y))
        loss = self.loss(entries, activations[-1], y)
        for n, (x_n, y_n, x_node, y_node) in enumerate(rest, start=2):
            if len(x_n) != len(x):
                raise self.error(x_node, f"examples {n}: x", f"has {_count(len(x_n), 'input')}; example 1 has {len(x)}", "give every example the same inputs")
            if len(y_n) != len(y):
                raise self.error(y_node, f"examples {n}: y", f"has {_count(len(y_n), 'label')}; example 1 has {len(y)}", "give every example one label per output")
            self.check_labels(loss, activations[-1], y_n, y_node, f"examples {n}: y")
        learning_rate = self.number(entries["learning_rate"][1], "learning_rate")
        if learning_rate <= 0:
            raise self.error(entries["learning_rate"][1], "learning_rate", f"is {learning_rate:g}; it must be positive", "use a step size such as 0.1 or 2")
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
            if not isinstance(node, yaml.ScalarNode) or node.tag == _TAG + "null":
                raise self.error(node, "title", "is not text", "write the title on one line, such as 'title: 1 Neural Network'")
            title = node.value
        points = self.points(entries) if "points" in entries else ()
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
        )

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
                    raise self.error(key_node, f"{key}: {_cut(name)}", "unknown key", "an example has x and y only")
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

    def number(self, node: yaml.Node, key: str) -> float:
        if not isinstance(node, yaml.ScalarNode):
            kind = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
            raise self.error(node, key, f"is {kind}, not a number", "write a single number")
        text = node.value
        if node.tag == _FLOAT or node.tag == _INT and (text.isdigit() and text[:1] != "0" or text == "0"):
            # the common case, quickly: a decimal number (no octal, base-60, .inf or underscores
            # to read the YAML 1.1 way; whatever float() refuses or overflows is read below)
            try:
                value = float(text)
            except ValueError:
                value = math.inf
            if math.isfinite(value):
                return value
        tag = node.tag[len(_TAG):]
        shown = _Shown(text)  # written out only for a message
        if tag == "null":
            raise self.error(node, key, "is empty" if not text else f"is {shown} (empty)", "write a number")
        if tag == "bool":
            means = f", which YAML reads as {_YAML_BOOLS[text.lower()]}" if text.lower() in _YAML_BOOLS else ""
            raise self.error(node, key, f"is {shown}{means}, not a number", "write a number such as 1 or 0")
        if tag == "timestamp":
            raise self.error(node, key, f"is {shown}, which YAML reads as a date, not a number", "write a number")
        quoted = tag == "str" and node.style not in (None, "")  # libyaml writes a plain style as ""
        try:
            value = _yaml_number(tag, text)
        except _NotANumber as e:
            raise self.error(node, key, f"is {shown}, {e.what}", e.fix) from None
        except ValueError:
            fix = "write a number such as 2, -0.5 or 1e-3"
            if "," in text:
                fix = "write a decimal point (1.5), and put a list in brackets ([1, 5])"
            raise self.error(node, key, f"is {shown}, not a number", fix) from None
        if quoted:
            raise self.error(node, key, f"is the text {shown} (in quotes), not a number", "remove the quotes")
        if not math.isfinite(value):
            spelled = text.lower().replace(".", "").lstrip("+-")
            what = "not a finite number" if spelled.startswith(("nan", "inf")) else "too large for float64 (over 1.8e308)"
            raise self.error(node, key, f"is {shown}, {what}", "write a finite number")
        return value

    def numbers(self, node: yaml.Node, key: str) -> list[float]:
        """A list of numbers; element i (from 1) is named key_i in messages."""
        if not isinstance(node, yaml.SequenceNode):
            return [self.number(node, key)]
        if not node.value:
            raise self.error(node, key, "is an empty list", "give at least one number")
        return [self.number(item, f"{key}_{i}") for i, item in enumerate(node.value, start=1)]

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
                    row, f"{key} row {r}", f"has {_count(len(rows[-1]), 'weight')} but row {first_row} has {len(rows[0])}",
                    "give every row one weight per neuron of the layer",
                )
        return np.array(rows, dtype=np.float64)

    def boolean(self, entries, key: str, default: bool) -> bool:
        if key not in entries:
            return default
        node = entries[key][1]
        if not isinstance(node, yaml.ScalarNode) or node.tag != _TAG + "bool":
            shown = f"is {_show(node.value)}, not" if isinstance(node, yaml.ScalarNode) and node.value else "is not"
            raise self.error(node, key, f"{shown} true or false", f"write '{key}: true' or '{key}: false'")
        return _YAML_BOOLS.get(node.value.lower(), node.value.lower()) == "true"

    def check_shapes(self, entries, x, y, weights, bias: bool) -> None:
        n_in = len(x)
        source = _count(n_in, "input")
        for l, W in enumerate(weights, start=1):
            key = f"W{l}"
            need = n_in + (1 if bias else 0)
            if W.shape[0] != need:
                why = f"{source} plus the bias row need {need}" if bias else f"{source} need {need} (bias: false, so no bias row)"
                raise self.error(entries[key][1], key, f"has {_count(W.shape[0], 'row')}; {why}", f"make {key} {need} x {W.shape[1]}")
            n_in = W.shape[1]
            source = f"{_count(n_in, 'neuron')} of layer {l}"
        if weights[-1].shape[1] != len(y):
            key = f"W{len(weights)}"
            raise self.error(
                entries[key][1], key,
                f"has {_count(weights[-1].shape[1], 'column')} (output neurons) but y has {_count(len(y), 'label')}",
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
                    raise self.error(node, "activation", f"lists {_count(len(node.value), 'name')} for {_count(L, 'layer')}", f"give one name, or a list of {L}")
                nodes = node.value
                single = False
            else:
                nodes = [node] * L
            names = []
            for l, n in enumerate(nodes, start=1):
                name = n.value if isinstance(n, yaml.ScalarNode) and n.value else None
                if name not in ACTIVATIONS:
                    key = "activation" if single else f"activation of layer {l}"
                    raise self.error(n, key, f"unknown activation {_show(name)}" if name else "is not a name", suggest(str(name), ACTIVATIONS))
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
                raise self.error(node, "loss", f"unknown loss {_show(name)}" if name else "is not a name", suggest(str(name), LOSSES))
        loss = LOSSES[name]
        if loss.outputs and output_activation not in loss.outputs:
            needs = " or ".join(loss.outputs)
            raise self.error(node, "loss", f"{name} needs outputs in (0, 1), but the output layer is {output_activation}", f"use activation {needs} on the output layer, or loss squared_error")
        self.check_labels(name, output_activation, y, entries["y"][1], "y")
        return name

    def check_labels(self, name: str, output_activation: str, y: np.ndarray, y_node, key: str) -> None:
        """Labels the loss can take: in [0, 1] for the cross-entropies, a distribution for softmax."""
        if LOSSES[name].outputs and np.any((y < 0) | (y > 1)):
            raise self.error(y_node, key, f"labels must lie in [0, 1] for {name}", "use 0/1 labels (one-hot for several classes)")
        if name == "cross_entropy" and output_activation == "softmax" and abs(np.sum(y) - 1.0) > 1e-9:
            raise self.error(y_node, key, f"labels sum to {np.sum(y):g}; softmax outputs sum to 1", "give a one-hot label such as [0, 1, 0]")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a
