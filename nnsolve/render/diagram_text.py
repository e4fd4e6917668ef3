"""A Diagram in the terminal: the layers side by side, then every layer's edges drawn into
each neuron, each labelled with its weight's name and value.

    +1 ──W1[0,1] = -1──┐
    x₁ ──W1[1,1] = -2──┼──▶ β¹₁ = sigmoid(α¹₁)
    x₂ ──W1[2,1] = 1───┘

In Wx+b and xW+b there is no +1 node: each neuron's own bias is the last line of its fan,
with no source, as the bias is the last term of z = W a + b:

    x₁ --W1[1,1] = -2--.
    x₂ --W1[1,2] = 1---+--> a¹₁ = sigmoid(z¹₁)
       --b1[1] = -1----'

Box drawing and colour on a terminal; plain ASCII lines (--, +, ', -->) when piped or
NO_COLOR is set, so the same input gives the same bytes.
"""

from __future__ import annotations

from typing import Optional

from ..notation import count
from .diagram import NEGATIVE, POSITIVE, Bias, Diagram, Node
from .mathtext import unicode

Segment = tuple[str, Optional[str]]  # text, rich style
Line = list[Segment]

# the strokes of the fan of edges into a neuron: (line, gap line, top, middle, bottom, arrow on a
# middle line, arrow on the top line, arrow)
_FANCY = ("─", "┄", "┐", "┤", "┘", "┼", "┬", "──▶")
_PLAIN = ("-", " ", ".", "|", "'", "+", "+", "-->")


def lines(d: Diagram, fancy: bool) -> list[Line]:
    out: list[Line] = []
    if d.title:
        out.append([(d.title, "bold")])
    out.append([(d.description(), None)])
    out.extend([(text, None)] for text in d.legend(colors=False))
    dw = d.math("dl/dw")
    if fancy and d.color_by:  # colour only on a terminal, and no widths
        what = dw if d.color_by == "gradient" else "the weight"
        out.append([(f"Colour: the sign of {what}, ", None), ("red +", "red"), (" and ", None), ("blue −", "blue"), (".", None)])
    if d.color_by == "gradient":
        before = " (taken before the update)" if d.updated else ""
        out.append([(f"{dw}{before}: ↑ marks a weight the update raises ({dw} < 0), ↓ one it lowers.", None)])
    out.append([])
    out.extend(_grid(d))
    for layer in range(1, len(d.columns)):
        out.append([])
        out.extend(_layer(d, layer, _FANCY if fancy else _PLAIN))
    return out


def plain_text(d: Diagram) -> str:
    """The drawing as plain text, for a pipe or a file."""
    return "".join("".join(text for text, _ in line).rstrip() + "\n" for line in lines(d, fancy=False))


def write(d: Diagram, console) -> None:
    """To a rich console on a colour terminal: box drawing and colour (elsewhere plain_text)."""
    from rich.text import Text

    for line in lines(d, fancy=True):
        console.print(Text.assemble(*line) if line else Text(""), highlight=False, soft_wrap=True)


# -- the layers side by side ---------------------------------------------------------------


def _grid(d: Diagram) -> list[Line]:
    """A column per layer: its title and activation, its nodes (bias on top), its size."""
    has_bias = any(c.nodes[0].kind == "bias" for c in d.columns)
    last = len(d.columns) - 1
    cells = []
    for c in d.columns:
        nodes = [n for n in c.nodes if n.kind != "bias"]
        column = [c.title, c.activation or ""]
        if has_bias:  # the bias row, blank in the output layer's column
            column.append("+1" if c.nodes[0].kind == "bias" else "")
        column += [_node(n, short=True) for n in nodes]
        what = "input" if c.layer == 0 else "output" if c.layer == last else "neuron"
        cells.append((column, count(c.size, what)))
    height = max(len(column) for column, _ in cells)
    rows = [[column[r] if r < len(column) else "" for column, _ in cells] for r in range(height)]
    rows.append([size for _, size in cells])
    widths = [max(len(row[k]) for row in rows) for k in range(len(cells))]
    out = []
    for r, row in enumerate(rows):
        text = "   ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
        out.append([(" " + text, "bold" if r == 0 else "dim" if r == len(rows) - 1 else None)])
    return out


def _node(n: Node, short: bool = False) -> str:
    if n.kind == "gap":
        return "⋮" if short else unicode(n.label)
    return unicode(n.label)


# -- each layer's edges, into each neuron ----------------------------------------------------


def _layer(d: Diagram, layer: int, strokes) -> list[Line]:
    heading = f"Layer {layer}: {d.shapes(layer)}"
    if d.summarised(layer):
        W = d.weights[layer - 1]
        what = "weights" if d.notation.convention == "bias-row" or not d.biases else "weights and biases"
        heading += f" ({W.size} {what}, from {d.number(W.min())} to {d.number(W.max())}; … marks those not drawn)"
    out: list[Line] = [[(heading, "bold")]]
    groups = [(target, edges + ([d.bias_of(target)] if d.bias_of(target) else [])) for target, edges in d.edges_into(layer)]
    shown = [edges for target, edges in groups if target.kind != "gap"]
    source_width = max(len(_source(e)) for edges in shown for e in edges)
    label_width = max(len(_label(d, e)) for edges in shown for e in edges)
    for target, edges in groups:
        if target.kind == "gap":
            out.append([(f" ⋮  into {unicode(target.label)} ({target.count} more neurons): {d.weights_into(target)}", "dim")])
            continue
        out.extend(_fan(d, target, edges, source_width, label_width, strokes))
    return out


def _source(e) -> str:
    """The node an edge comes from; none for a neuron's own bias."""
    return "" if isinstance(e, Bias) else _node(e.source)


def _label(d: Diagram, e) -> str:
    text = unicode(d.edge_label(e))
    if d.color_by == "gradient" and not e.gap and e.gradient:
        text += " ↑" if e.gradient < 0 else " ↓"
    return text


def _fan(d: Diagram, target: Node, edges: list, source_width: int, label_width: int, strokes) -> list[Line]:
    line, gap_line, top, middle, bottom, cross, tee, arrow = strokes
    n = len(edges)
    at = (n - 1) // 2  # the line that carries the arrow into the neuron
    out = []
    for k, e in enumerate(edges):
        stroke = gap_line if e.gap else line
        label = _label(d, e)
        if n == 1:
            joint = stroke
        elif k == 0:
            joint = tee if k == at else top
        elif k == n - 1:
            joint = bottom
        else:
            joint = cross if k == at else middle
        style = "dim" if e.gap else _style(d, e)
        segments: Line = [
            (" " + _source(e).ljust(source_width) + " ", "dim" if e.gap else None),
            (stroke * 2, style),
            (label, style),
            (stroke * (label_width - len(label) + 2), style),
            (joint, None),
        ]
        if k == at:
            segments += [(arrow + " ", None), (unicode(d.formulas[target.id]), "bold")]
        out.append(segments)
    return out


def _style(d: Diagram, e) -> Optional[str]:
    color = d.color(e)
    if color == POSITIVE:
        return "red"
    if color == NEGATIVE:
        return "blue"
    return None
