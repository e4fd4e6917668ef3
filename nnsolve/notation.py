"""The worksheet's names for things, in one place: W2[1,1], alpha1_2, x_2, ...

Row i of W^l counts from 0 (the bias row) and column j from 1 (the first neuron), so
W2[1,1] is the weight from beta^1_1 into output neuron 1. Without biases (bias: false)
rows count from 1, still naming the input they come from.
"""

from __future__ import annotations


def first_row(bias: bool) -> int:
    """The notation's index of a weight matrix's array row 0."""
    return 0 if bias else 1


def weight_name(layer: int, i: int, j: int) -> str:
    """The canonical name of W^l_ij: 'W2[1,1]'."""
    return f"W{layer}[{i},{j}]"


def input_name(layer: int, i: int) -> str:
    """Feature i of layer l's input: x_i for layer 1, beta{l-1}_i after; 0 is the bias term."""
    return f"x_{i}" if layer == 1 else f"beta{layer - 1}_{i}"
