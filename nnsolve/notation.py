"""The worksheet's names for things, in one place: W2[1,1], alpha1_2, x_2, ...

Row i of W^l counts from 0 (the bias row) and column j from 1 (the first neuron), so
W2[1,1] is the weight from beta^1_1 into output neuron 1. Without biases (bias: false)
rows count from 1, still naming the input they come from.
"""

from __future__ import annotations

import functools
import re


def first_row(bias: bool) -> int:
    """The notation's index of a weight matrix's array row 0."""
    return 0 if bias else 1


def weight_name(layer: int, i: int, j: int) -> str:
    """The canonical name of W^l_ij: 'W2[1,1]'."""
    return f"W{layer}[{i},{j}]"


def input_name(layer: int, i: int) -> str:
    """Feature i of layer l's input: x_i for layer 1, beta{l-1}_i after; 0 is the bias term."""
    return f"x_{i}" if layer == 1 else f"beta{layer - 1}_{i}"


# W2[1,1], W2[1][1], w2(1,1), W^2_{11}, W^{2}_{1,1}, W2_11, W2_1_1: layer, then row and column.
# Compiled when a name is first parsed (grad, check): `run` never pays for it.
_REF_PATTERN = r"""(?ix)
    (?:d\s*l\s*/\s*d\s*)?                  # an optional dl/d in front
    w\s*\^?\s*\{?\s*(?P<layer>\d+)\s*\}?     # W2, W^2, W^{2}
    \s*(?:
        \[\s*(?P<i1>\d+)\s*(?:,|\]\s*\[)\s*(?P<j1>\d+)\s*\]      # [1,1] or [1][1]
      | \(\s*(?P<i2>\d+)\s*,\s*(?P<j2>\d+)\s*\)                  # (1,1)
      | _\s*\{\s*(?P<i3>\d+)\s*,\s*(?P<j3>\d+)\s*\}              # _{1,1}
      | _\s*\{\s*(?P<ij4>\d\d)\s*\}                              # _{11}
      | _\s*(?P<i5>\d+)\s*_\s*(?P<j5>\d+)                        # _1_1
      | _\s*(?P<ij6>\d\d)                                        # _11
    )\s*"""


@functools.cache
def _ref() -> re.Pattern:
    return re.compile(_REF_PATTERN)


def parse_weight_ref(text: str) -> tuple[int, int, int]:
    """(layer, i, j) from any spelling people type; ValueError if it is not a weight name."""
    m = _ref().fullmatch(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a weight name; write it as W2[1,1] (layer 2, row 1, column 1)")
    g = m.groupdict()
    for a, b in (("i1", "j1"), ("i2", "j2"), ("i3", "j3"), ("i5", "j5")):
        if g[a] is not None:
            return int(g["layer"]), int(g[a]), int(g[b])
    pair = g["ij4"] or g["ij6"]
    return int(g["layer"]), int(pair[0]), int(pair[1])


def count(n: int, noun: str) -> str:
    """'1 input', '784 inputs': a number and its noun, in the plural where it needs one."""
    return f"{n} {noun}" + ("" if n == 1 else "s")
