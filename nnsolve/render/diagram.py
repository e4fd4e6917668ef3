"""The picture of a network, before it is drawn: columns of nodes and labelled edges.

`network_diagram` turns a Solution into a Diagram: one column per layer (the input, then
each layer of neurons) and one edge per weight, named and valued (W1[2,1] = 1). Biases are
drawn as the problem's convention writes them: in bias-row (the worksheet's) a bias node (+1)
on top of every column that feeds a layer, its edges the weights of row 0; in Wx+b and xW+b
each neuron's own bias b1[j] beside the neuron (Diagram.biases), with no +1 node. A layer
wider than FULL_LAYER is summarised: its first two nodes, one gap node standing for the rest,
and its last node, so every drawing stays small. Every name (nodes, weights, formulas) is in
the problem's notation (notation.Notation: z and a, or the problem's symbols). The text,
DOT, Mermaid and matplotlib drawings all read this, so they show the same nodes, edges and
biases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional

import numpy as np

from ..notation import Notation, count, first_row, to_convention
from ..solution import Solution
from .document import _Names
from .mathtext import sup, unicode
from .numbers import fmt

FULL_LAYER = 6  # layers up to this many neurons are drawn in full; wider ones are summarised
COLOR_BY = ("weight", "gradient")

# the sign of a weight or a gradient, in every drawing: red positive, blue negative
POSITIVE, NEGATIVE, ZERO = "#d62728", "#1f77b4", "#7f7f7f"


@dataclass(frozen=True)
class Node:
    id: str  # unique, ASCII: "x_1", "bias0", "beta1_2", "y_hat", "x_gap"
    label: str  # ASCII math: "x_1", "beta1_2", "y_hat", "+1"; a gap: "x_3…x_783"
    kind: str  # "bias", "input", "neuron", "output" or "gap"
    column: int  # 0 = the input, l = layer l
    index: int  # in the notation: 0 the bias, i the input x_i or neuron i (a gap: its first)
    count: int = 1  # a gap node stands for this many nodes

    @property
    def last(self) -> int:
        return self.index + self.count - 1


@dataclass(frozen=True)
class Column:
    layer: int  # 0 = the input
    title: str  # "input", "layer 1", ...
    activation: Optional[str]  # None for the input
    size: int  # inputs or neurons, without the bias
    nodes: tuple[Node, ...]  # bias first (in columns that feed a layer), then the neurons


@dataclass(frozen=True)
class Edge:
    source: Node
    target: Node
    layer: int
    name: str  # "W1[2,1]"; for a gap "W1[3..783,1]"
    value: Optional[float]  # None for a gap edge, which stands for many weights
    gradient: Optional[float]  # dl/dw at the drawn network's weights (before the update)
    count: int = 1  # the weights this edge stands for

    @property
    def gap(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class Bias:
    """A neuron's own bias, drawn beside it (Wx+b and xW+b): b1[2] = 0.5; for a gap node, the
    biases it stands for (b1[3..15], no value)."""

    target: Node
    layer: int
    name: str  # "b1[2]"; "b1" for a layer's one shared bias; for a gap "b1[3..15]"
    value: Optional[float]  # None for a gap, which stands for many biases
    gradient: Optional[float]
    count: int = 1

    @property
    def gap(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class Diagram:
    title: Optional[str]
    columns: tuple[Column, ...]
    edges: tuple[Edge, ...]
    formulas: dict  # node id -> "beta1_1 = sigmoid(alpha1_1)", for every neuron shown
    weights: tuple[np.ndarray, ...]  # the drawn W^l: given, or after the update
    updated: bool  # the weights are those after one update
    learning_rate: float
    color_by: Optional[str]  # None, "weight" or "gradient"
    digits: int
    notation: Notation  # the problem's convention and symbols: every name above is written in it
    biases: tuple[Bias, ...] = ()  # Wx+b and xW+b: each neuron's bias, drawn beside it (bias-row: none, +1 nodes instead)

    def bias_of(self, target: Node) -> Optional[Bias]:
        """The bias drawn beside a neuron (or a gap node), None in bias-row or without biases."""
        for b in self.biases:
            if b.target is target:
                return b
        return None

    def math(self, text: str) -> str:
        """nnsolve's ASCII math in the problem's notation, as the drawings write it (Unicode)."""
        return unicode(self.notation.write(text))

    def edges_into(self, layer: int) -> Iterator[tuple[Node, list[Edge]]]:
        """(target, its incoming edges) for every node of a layer, in order."""
        for target in self.columns[layer].nodes:
            if target.kind != "bias":
                yield target, [e for e in self.edges if e.target is target]

    def weights_into(self, target: Node) -> str:
        """The weights into a node, as a range in the convention: 'W1[0..784,3..15]' (bias-row),
        'W1[3..15,1..784] and b1[3..15]' (Wx+b)."""
        sources = self.columns[target.column - 1].nodes
        j = f"{target.index}" if target.count == 1 else f"{target.index}..{target.last}"
        text = _weight_range(self.notation.convention, target.column, f"{sources[0].index}..{sources[-1].last}", j)
        bias = self.bias_of(target)
        return text + (f" and {bias.name}" if bias is not None else "")

    def shapes(self, layer: int, short: bool = False) -> str:
        """The shapes of a layer's weights as the convention writes them: 'W¹ is 3 × 2'
        (bias-row), 'W¹ is 2 × 3 (neurons × inputs), b¹ has 2' (Wx+b); short: 'W¹: 2 × 3, b¹: 2'."""
        convention = self.notation.convention
        W, b = to_convention(self.weights[layer - 1], convention, bool(self.biases))
        name = f"W{sup(layer)}"
        shared = self.notation.shared
        if short:
            bias = "" if b is None else f", b{sup(layer)}: 1, shared" if shared else f", b{sup(layer)}: {len(b)}"
            return f"{name}: {W.shape[0]} × {W.shape[1]}" + bias
        text = f"{name} is {W.shape[0]} × {W.shape[1]}"
        if convention != "bias-row":
            text += " (neurons × inputs)" if convention == "Wx+b" else " (inputs × neurons)"
        bias = "" if b is None else f", b{sup(layer)} is one number, shared" if shared else f", b{sup(layer)} has {len(b)}"
        return text + bias

    def summarised(self, layer: int) -> bool:
        """Layer l's weights are not all drawn (its input or its neurons are summarised)."""
        return any(e.gap for e in self.edges if e.layer == layer)

    def number(self, value: float) -> str:
        return fmt(value, self.digits)

    def edge_label(self, edge, gradient: bool = True) -> str:
        """'W1[2,1] = 1' (an Edge) or 'b1[2] = 0.5' (a Bias), with the gradient when edges are
        coloured by it; a gap's count. ASCII math in the problem's notation."""
        bias = isinstance(edge, Bias)
        if edge.gap:
            return f"{edge.name}: {edge.count} {'biases' if bias else 'weights'}"
        text = f"{edge.name} = {self.number(edge.value)}"
        if gradient and self.color_by == "gradient":
            text += f", {self.notation.write('dl/db' if bias else 'dl/dw')} = {self.number(edge.gradient)}"
        return text

    def sign(self, edge) -> Optional[float]:
        """The number whose sign colours an edge or a bias (None: not coloured)."""
        if edge.gap or self.color_by is None:
            return None
        return edge.gradient if self.color_by == "gradient" else edge.value

    def color(self, edge: Edge) -> Optional[str]:
        value = self.sign(edge)
        if value is None:
            return None
        return POSITIVE if value > 0 else NEGATIVE if value < 0 else ZERO

    def strength(self, edge: Edge) -> float:
        """0..1: |value| of the coloured quantity over the largest of the drawing (0 when uncoloured)."""
        value = self.sign(edge)
        if value is None:
            return 0.0
        largest = max((abs(self.sign(e)) for e in self.edges + self.biases if not e.gap), default=0.0)
        return abs(value) / largest if largest > 0 else 0.0

    def description(self) -> str:
        """'2 inputs -> layer 1: 2 sigmoid neurons -> layer 2: 1 sigmoid output'."""
        parts = [count(self.columns[0].size, "input")]
        last = len(self.columns) - 1
        for c in self.columns[1:]:
            parts.append(f"{c.title}: {count(c.size, c.activation + (' output' if c.layer == last else ' neuron'))}")
        return " → ".join(parts)

    def legend(self, colors: bool = True) -> list[str]:
        """Sentences that say what the drawing shows, beyond the names (the colours only if shown)."""
        lines = []
        m = self.math
        biases = " and biases" if self.biases else ""
        if self.updated:
            lines.append(f"The weights{biases} after one update, {m('w - lambda dl/dw')} with {m('lambda')} = {self.number(self.learning_rate)}.")
        shared = self.notation.shared
        if self.columns[0].nodes[0].kind == "bias":
            lines.append("+1 is the bias term: row 0 of each W holds the " + ("layer's one shared bias, the same for every neuron." if shared else "bias weights."))
        elif self.biases:
            z = m("alpha")
            formula = m(("W a + b" if self.notation.convention == "Wx+b" else "a W + b").replace("a", "beta"))
            if shared:
                lines.append(f"Each layer's one bias b (bias: shared) is drawn with each of its neurons: {z} = {formula}.")
            else:
                lines.append(f"Each neuron's own bias b is drawn with it: {z} = {formula}.")
        dw = m("dl/dw")
        # (the text drawing colours a bias's label; the pictures a neuron's outline)
        outline = ", a neuron's outline by its bias" if self.biases else ""
        if colors and self.color_by == "gradient":
            at = " (taken at the weights before the update)" if self.updated else ""
            lines.append(f"Edge colour: the sign of {dw}{at}{outline}, red + and blue −; width: |{dw}|.")
        elif colors and self.color_by == "weight":
            lines.append(f"Edge colour: the sign of the weight{outline}, red + and blue −; width: |w|.")
        return lines


def shown(n: int) -> list:
    """The indices 1..n drawn for a layer of n: all of them, or 1, 2, (3, n-1) for the gap, n."""
    if n <= FULL_LAYER:
        return list(range(1, n + 1))
    return [1, 2, (3, n - 1), n]


def network_diagram(solution: Solution, updated: bool = False, color_by: Optional[str] = None, digits: int = 4) -> Diagram:
    """The diagram of a solved network: the given weights, or with updated those after the update."""
    p = solution.problem
    names = _Names(solution)
    notation = names.notation
    write = notation.write
    # bias-row draws the bias as a +1 node whose edges are row 0; the others draw each neuron's b
    bias_nodes = p.bias and notation.convention == "bias-row"
    L = p.n_layers
    columns: list[Column] = []
    for l in range(L + 1):
        nodes: list[Node] = []
        if bias_nodes and l < L:
            nodes.append(Node(f"bias{l}", "+1", "bias", l, 0))
        kind = "input" if l == 0 else "output" if l == L else "neuron"
        for k in shown(p.sizes[l]):
            if isinstance(k, tuple):
                a, b = k
                stem = "x" if l == 0 else "y_hat" if l == L else f"beta{l}"
                label = f"{_node_name(names, l, a)}…{_node_name(names, l, b)}"
                nodes.append(Node(f"{stem}_gap", write(label), "gap", l, a, count=b - a + 1))
            else:
                # the id stays nnsolve's own (ASCII, unique); the label is in the problem's notation
                nodes.append(Node(_node_name(names, l, k), write(_node_name(names, l, k)), kind, l, k))
        title = "input" if l == 0 else f"layer {l}"
        columns.append(Column(l, title, None if l == 0 else p.activations[l - 1], p.sizes[l], tuple(nodes)))

    r0 = first_row(p.bias)
    edges: list[Edge] = []
    biases: list[Bias] = []
    weights = []
    for s in solution.layers:
        l = s.layer
        W = s.updated_W if updated else s.W
        weights.append(W)
        sources = columns[l - 1].nodes  # the bias node (bias-row) is row 0
        targets = [n for n in columns[l].nodes if n.kind != "bias"]
        for target in targets:
            (j0, j1) = (target.index, target.last)
            j = f"{j0}" if j0 == j1 else f"{j0}..{j1}"
            for source in sources:
                (i0, i1) = (source.index, source.last)
                n_weights = (i1 - i0 + 1) * (j1 - j0 + 1)
                if n_weights == 1:
                    value = float(W[i0 - r0, j0 - 1])
                    grad = float(s.grad_W[i0 - r0, j0 - 1])
                    edges.append(Edge(source, target, l, notation.weight(l, i0, j0), value, grad))
                else:
                    i = f"{i0}" if i0 == i1 else f"{i0}..{i1}"
                    edges.append(Edge(source, target, l, _weight_range(notation.convention, l, i, j), None, None, n_weights))
            if p.bias and not bias_nodes:  # the neuron's own bias, row 0 of the internal form
                if j0 == j1 or notation.shared:  # (a shared bias is one, valued, even for a gap node)
                    biases.append(Bias(target, l, notation.weight(l, 0, j0), float(W[0, j0 - 1]), float(s.grad_W[0, j0 - 1])))
                else:
                    biases.append(Bias(target, l, f"b{l}[{j}]", None, None, j1 - j0 + 1))

    formulas = {}
    for s in solution.layers:
        for node in columns[s.layer].nodes:
            if node.kind in ("neuron", "output"):
                formulas[node.id] = write(_formula(names, s.layer, node, s.activation, p.sizes[s.layer]))
    return Diagram(
        title=p.title,
        columns=tuple(columns),
        edges=tuple(edges),
        formulas=formulas,
        weights=tuple(weights),
        updated=updated,
        learning_rate=p.learning_rate,
        color_by=color_by,
        digits=digits,
        notation=notation,
        biases=tuple(biases),
    )


def _weight_range(convention: str, layer: int, i: str, j: str) -> str:
    """The weights from inputs i into neurons j (each a number or a range, 3..783) as the
    convention names them: W1[i,j] in bias-row and xW+b, W1[j,i] in Wx+b."""
    return f"W{layer}[{j},{i}]" if convention == "Wx+b" else f"W{layer}[{i},{j}]"


def _node_name(names: _Names, layer: int, k: int) -> str:
    """x_1 in the input; beta1_2, or y_hat_2 in the output layer (no _k for a single neuron)."""
    return f"x_{k}" if layer == 0 else names.neuron("beta", layer, k)


def _formula(names: _Names, layer: int, node: Node, activation: str, width: int) -> str:
    """'beta1_1 = sigmoid(alpha1_1)', 'y_hat = sigmoid(alpha2)'; softmax takes all of alpha
    (nnsolve's own names: network_diagram writes them in the problem's notation)."""
    k = node.index if width > 1 else 1
    if activation == "softmax":
        return f"{node.id} = softmax(alpha{layer})"
    return f"{node.id} = {activation}({names.neuron('alpha', layer, k)})"
