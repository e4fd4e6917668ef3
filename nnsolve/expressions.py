"""What a person types for a number: 0.5, -1.996, 1/(1+e^2), 2 - 2*-0.046, sigmoid(24), and a
list of them for a vector (0.5, 0.999 or [0.5, 0.999]).

Read with Python's own parser (ast) and evaluated by walking the tree: only numbers, the four
operations, powers, parentheses, the constants e and pi and a few functions are taken; any
other name or construct is refused with a message. Nothing is ever eval'd.

Pure: text in, floats out (ValueError with a message a person understands).
"""

from __future__ import annotations

import ast
import math
import operator
import re

import numpy as np

MAX_LENGTH = 500  # a worksheet answer is a few dozen characters
MAX_POWER = 1000  # 2^1000 is still finite; a bigger exponent is not a worksheet's

_CONSTANTS = {"e": math.e, "pi": math.pi}


def _sigmoid(v: float) -> float:
    return 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))


_FUNCTIONS = {
    "exp": math.exp, "log": math.log, "ln": math.log, "sqrt": math.sqrt, "sigmoid": _sigmoid,
    "tanh": math.tanh, "relu": lambda v: max(v, 0.0), "abs": abs,
}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv, ast.Pow: operator.pow}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}


def read_answer(text: str) -> np.ndarray:
    """A number or a list of numbers as a float64 array (a number: shape (), a list: (n,))."""
    text = text.strip()
    if not text:
        raise ValueError("nothing typed: type a number, such as 0.5, or 'hint', 'show', 'skip'")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"longer than {MAX_LENGTH} characters: type the number, or a short expression")
    inner = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    parts = _split(inner)
    values = [_number(part) for part in parts]
    if len(values) == 1 and not text.startswith("["):
        return np.asarray(values[0], dtype=np.float64)
    return np.asarray(values, dtype=np.float64)


SHAPE = re.compile(r"\s*(\d+)\s*[x×X*]\s*(\d+)\s*")  # a shape as people write it: 3x2, 3 × 2


def shape_typed(text: str) -> str:
    """A shape as people write it, 3x2 or 3 × 2, as the list "3, 2" read_answer reads; any
    other text as it is."""
    m = SHAPE.fullmatch(text)
    return f"{m.group(1)}, {m.group(2)}" if m else text


def _split(text: str) -> list[str]:
    """The comma-separated parts of a list, commas inside parentheses kept (none are needed)."""
    parts, depth, start = [], 0, 0
    for k, c in enumerate(text):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
            if depth < 0:
                raise ValueError(f"'{c}' closes a bracket that was never opened")
        elif c in ",;" and depth == 0:
            parts.append(text[start:k])
            start = k + 1
    if depth > 0:
        raise ValueError("a bracket is opened and never closed: add ')'")
    parts.append(text[start:])
    if any(not p.strip() for p in parts):
        raise ValueError("an empty entry in the list: write the numbers with one comma between each, such as 0.5, 0.999")
    return parts


def _number(text: str) -> float:
    source = text.strip().replace("^", "**").replace("×", "*").replace("·", "*").replace("−", "-")
    source = re.sub(r"(?<=\d)\s*(?=[a-zA-Z(])(?!e[+-]?\d)", "*", source)  # 2e^x? no: 2(3) and 2pi are 2*(3), 2*pi
    source = re.sub(r"\)\s*(?=[\w(])", ")*", source)  # (0.5)(-0.5) and (2)x, as the hints write products: a product
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        raise ValueError(f"cannot read {text.strip()!r} as a number: use digits, + - * / ^, parentheses, e, pi, exp(), log(), sqrt(), sigmoid()") from None
    try:
        value = _evaluate(tree.body)
    except ZeroDivisionError:
        raise ValueError(f"{text.strip()!r} divides by zero") from None
    except OverflowError:
        raise ValueError(f"{text.strip()!r} is too large for a number (beyond 1.8e308)") from None
    if not math.isfinite(value):
        raise ValueError(f"{text.strip()!r} is not a finite number (beyond 1.8e308)")
    return float(value)


def _evaluate(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise ValueError(f"unknown name {node.id!r}: a number, e, pi, or a function such as exp(2)")
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_evaluate(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_POWER:
            raise OverflowError
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        name = node.func.id
        if name not in _FUNCTIONS:
            raise ValueError(f"unknown function {name!r}: use exp, log (ln), sqrt, sigmoid, tanh, relu or abs")
        if len(node.args) != 1:
            raise ValueError(f"{name}() takes one number")
        argument = _evaluate(node.args[0])
        try:
            return float(_FUNCTIONS[name](argument))
        except ValueError:
            raise ValueError(f"{name}({argument:g}) is not defined") from None
    raise ValueError("only numbers, + - * / ^, parentheses and a few functions can be typed")
