"""Reading YAML as nodes, so that every value keeps its line for the messages.

The safe composer (libyaml's where it is installed) with its limits: an alias bomb or a
nesting too deep is refused before a value is read, and YAML tags are refused, never
constructed. Numbers are read as a person means them (1e-3 is a number; 010, 1:30 and yes
are YAML 1.1 traps, each refused with its fix). NodeReader holds what problem files and
answer sheets share; problem.py and sheet.py build on it.
"""

from __future__ import annotations

import math
from typing import Optional

import yaml

from .errors import ProblemError

MAX_NODES = 200_000  # values after aliases expand; a bomb passes this long before it costs memory
TAG = "tag:yaml.org,2002:"
# what the safe resolver gives untagged text; a date or '=' then fails as a value, with its name
STANDARD_TAGS = {TAG + t for t in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp", "value")}
YAML_BOOLS = {"yes": "true", "on": "true", "no": "false", "off": "false"}  # YAML 1.1 reads these as booleans


# libyaml composes much faster (a class's sheets); its messages are terser, so a file it
# refuses is read again by the pure-Python parser for the message
C_LOADER = getattr(yaml, "CSafeLoader", None)


if C_LOADER is not None:

    class FastLoader(C_LOADER):
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

    FAST_LOADER = FastLoader if not C_LOADER.yaml_path_resolvers else C_LOADER
else:
    FAST_LOADER = yaml.SafeLoader


def compose_yaml(text: str, source: str) -> Optional[yaml.Node]:
    """The YAML node tree of text (safe: tags are only read, never constructed)."""
    try:
        return yaml.compose(text, Loader=FAST_LOADER)
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


def cut(text: str, limit: int = 40) -> str:
    """User text cut short for a message, which stays one readable line."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def show(text: str) -> str:
    """User text quoted in a message, cut short."""
    return repr(cut(text))


class Shown:
    """show(text), made only when a message is written (most numbers are fine)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __format__(self, spec: str) -> str:
        return format(show(self.text), spec)


def tag_name(tag: str) -> str:
    """A tag as the file spells it."""
    return "!!" + tag[len(TAG):] if tag.startswith(TAG) else tag


FLOAT, INT = TAG + "float", TAG + "int"


class NotANumber(ValueError):
    """A number YAML reads in a way a person does not mean: what it is, and the fix."""

    def __init__(self, what: str, fix: str):
        super().__init__(what)
        self.what, self.fix = what, fix


def yaml_number(tag: str, text: str) -> float:
    """The float that the text of an int, float or str scalar means; ValueError if none."""
    # not a YAML constructor: this is faster (an alias bomb's worth of values), and the
    # YAML 1.1 traps (1e-3 is text, 010 is octal, 1:30 is base 60) get an answer, not a surprise
    t = text.replace("_", "") if tag in ("int", "float") else text
    if tag in ("int", "float") and ":" in t:
        raise NotANumber("which YAML 1.1 reads as a base-60 number", "write the number in decimal")
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
            raise NotANumber(f"which YAML 1.1 reads as octal{octal}", f"write {sign_text}{digits.lstrip('0')} without the leading 0")
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
    """Whether a document can hold what NodeReader.check_nodes looks for. Without an alias (*), a
    tag (!) or a merge key (<<) none can be there, and without aliases a document has fewer
    values than characters: a class's small sheets skip the walk over every node."""
    return len(text) > MAX_NODES or "*" in text or "!" in text or "<<" in text


class NodeReader:
    """Converts the node tree of one file (a problem file, an answer sheet) into values, keeping
    lines for the messages: ProblemReader (problem.py) and the sheet reader build on it."""

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
                if node.tag == TAG + "merge":
                    raise self.error(node, key, "merge keys (<<) are not supported", "write the keys out")
                if node.tag not in STANDARD_TAGS:
                    raise self.error(node, key, f"the YAML tag '{cut(tag_name(node.tag))}' is not allowed", "remove the tag: nnsolve reads numbers, lists and names only")
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

    # -- the top-level mapping -------------------------------------------------

    def mapping(self, root: Optional[yaml.Node]) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        # an empty document ("---" alone) composes to an empty null scalar
        if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == TAG + "null" and root.value == ""):
            raise ProblemError("empty file", file=self.source, fix="write a mapping with x, y, W1, ... (see problems/worksheet.yaml)")
        if root.tag not in STANDARD_TAGS:
            self.check_nodes("", root)  # a tagged document: say so, not only that it is not a mapping
        if not isinstance(root, yaml.MappingNode):
            kind = "a list" if isinstance(root, yaml.SequenceNode) else f"the single value {show(root.value)}"
            raise self.error(root, "", f"is {kind}, not a mapping of keys to values", "write 'x: [2, 5]', 'y: [1]', 'W1: ...' on their own lines")
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in root.value:
            if key_node.tag == TAG + "merge":
                raise self.error(key_node, "<<", "merge keys are not supported", "write each key out, such as 'x' or 'W1'")
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != TAG + "str":
                shown = f"key {show(key_node.value)}" if isinstance(key_node, yaml.ScalarNode) else "a key"
                raise self.error(key_node, "", f"{shown} is not a plain name", "write each key as a plain name, such as 'x' or 'W1'")
            name = key_node.value
            if name in entries:
                first = entries[name][0].start_mark.line + 1
                raise self.error(key_node, cut(name), f"given twice (first on line {first})", "keep one of them")
            if value_node.start_mark.index < key_node.end_mark.index:
                # an alias, whose marks are the anchor's: a message about this value belongs on this line
                import copy  # only for an alias

                value_node = copy.copy(value_node)
                value_node.start_mark = key_node.start_mark
            entries[name] = (key_node, value_node)
        return entries

    # -- values -----------------------------------------------------------------

    def number(self, node: yaml.Node, key: str) -> float:
        if not isinstance(node, yaml.ScalarNode):
            kind = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
            raise self.error(node, key, f"is {kind}, not a number", "write a single number")
        text = node.value
        if node.tag == FLOAT or node.tag == INT and (text.isdigit() and text[:1] != "0" or text == "0"):
            # the common case, quickly: a decimal number (no octal, base-60, .inf or underscores
            # to read the YAML 1.1 way; whatever float() refuses or overflows is read below)
            try:
                value = float(text)
            except ValueError:
                value = math.inf
            if math.isfinite(value):
                return value
        tag = node.tag[len(TAG):]
        shown = Shown(text)  # written out only for a message
        if tag == "null":
            raise self.error(node, key, "is empty" if not text else f"is {shown} (empty)", "write a number")
        if tag == "bool":
            means = f", which YAML reads as {YAML_BOOLS[text.lower()]}" if text.lower() in YAML_BOOLS else ""
            raise self.error(node, key, f"is {shown}{means}, not a number", "write a number such as 1 or 0")
        if tag == "timestamp":
            raise self.error(node, key, f"is {shown}, which YAML reads as a date, not a number", "write a number")
        quoted = tag == "str" and node.style not in (None, "")  # libyaml writes a plain style as ""
        try:
            value = yaml_number(tag, text)
        except NotANumber as e:
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

    def boolean(self, entries, key: str, default: bool) -> bool:
        if key not in entries:
            return default
        node = entries[key][1]
        if not isinstance(node, yaml.ScalarNode) or node.tag != TAG + "bool":
            shown = f"is {show(node.value)}, not" if isinstance(node, yaml.ScalarNode) and node.value else "is not"
            raise self.error(node, key, f"{shown} true or false", f"write '{key}: true' or '{key}: false'")
        return YAML_BOOLS.get(node.value.lower(), node.value.lower()) == "true"
