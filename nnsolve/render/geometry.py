"""Where a network's picture puts things, for both of its renderers: picture.py (matplotlib, SVG
and PNG) and svg.py (plain SVG for HTML pages). In inches, y growing upwards: the nodes' places,
the edges' ends, the neurons' own biases (Wx+b, xW+b) under them, and each edge label's place
(Labels): on its edge or just beside it, where it overlaps no other label and no node. A label
that fits nowhere along its edge is written in a key under the picture, its number ([1]) on the
edge. Arithmetic only: each renderer measures its text (a Measure) and draws.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple, Optional

from .diagram import Bias, Diagram, Edge, Node
from .mathtext import unicode

COLUMN_GAP = 3.4  # inches between layers: room for an edge label
ROW_GAP = 0.9  # inches between the nodes of a layer
RADIUS = 0.26  # of a neuron's circle
MARGIN, TOP, BOTTOM, LEGEND_LINE = 0.9, 1.2, 0.4, 0.25
LABEL_SIZE = 7  # points
LABEL_PAD = 0.12  # of an edge label's box, in units of its font size
BIAS_BELOW = RADIUS + 0.11  # from a neuron's centre down to the centre of its own bias's label
KEY_INDENT = 0.2  # inches from the picture's left edge to its key's lines

# a text's (width, height) in inches at LABEL_SIZE points, its lines split at "\n"
Measure = Callable[[str], tuple[float, float]]


class Box(NamedTuple):
    """A label's box, rotated with its edge (inches)."""

    centre: tuple[float, float]
    along: tuple[float, float]  # unit vectors along its edge and across it
    across: tuple[float, float]
    half_w: float
    half_h: float


class Label(NamedTuple):
    """An edge as drawn: its arrow from start to end at angle (degrees), and its label."""

    edge: Edge
    start: tuple[float, float]
    end: tuple[float, float]
    angle: float
    text: str  # the weight's name and value (lines split at "\n"), its key's number "[3]", or "" for a gap edge
    box: Optional[Box]  # where the text goes; None for a gap edge, or for a key's number that fits nowhere
    key: Optional[int]  # the label's number in the key under the picture; None when it is on its edge


class BiasLabel(NamedTuple):
    """A neuron's own bias (Wx+b, xW+b), written under its circle."""

    bias: Bias
    text: str
    box: Box


def size_inches(d: Diagram) -> tuple[float, float]:
    """(width, height) of the picture without its key, on a 0.2-inch grid so the pixels come
    out whole at 150 dpi."""
    tallest = max(len(c.nodes) for c in d.columns)
    width = 2 * MARGIN + (len(d.columns) - 1) * COLUMN_GAP
    height = TOP + (tallest - 1) * ROW_GAP + BOTTOM + 2 * RADIUS + LEGEND_LINE * len(d.legend())
    return (math.ceil(width * 5 - 1e-9) / 5, math.ceil(height * 5 - 1e-9) / 5)


def key_height(lines: int) -> float:
    """How much taller the key's lines make the picture (on the same 0.2-inch grid)."""
    return math.ceil((lines * LEGEND_LINE + 0.1) * 5 - 1e-9) / 5 if lines else 0.0


def positions(d: Diagram, height: float) -> dict[str, tuple[float, float]]:
    """Node id -> (x, y): columns left to right, each centred on the tallest."""
    tallest = max(len(c.nodes) for c in d.columns)
    top = height - TOP - RADIUS
    where = {}
    for c in d.columns:
        offset = (tallest - len(c.nodes)) / 2
        for k, n in enumerate(c.nodes):
            where[n.id] = (MARGIN + c.layer * COLUMN_GAP, top - (offset + k) * ROW_GAP)
    return where


def reach(n: Node) -> float:
    """How far from a node's centre its edges stop."""
    return 0.45 if n.kind == "gap" else 0.8 * RADIUS if n.kind == "bias" else RADIUS


def bias_labels(d: Diagram, where, measure: Measure) -> list[BiasLabel]:
    """Each neuron's own bias (Wx+b, xW+b: none in bias-row), its label centred under the neuron."""
    out = []
    for c in d.columns:
        for n in c.nodes:
            b = d.bias_of(n) if n.kind not in ("bias", "gap") else None
            if b is not None:
                text = unicode(d.edge_label(b, gradient=False))
                width, height = measure(text)
                x, y = where[n.id]
                out.append(BiasLabel(b, text, Box((x, y - BIAS_BELOW), (1.0, 0.0), (0.0, 1.0), width / 2 + 0.02, height / 2 + 0.02)))
    return out


def edge_labels(d: Diagram, where, measure: Measure) -> list[Label]:
    """Every edge with its label's place, in the order they are drawn: layer by layer, the
    edges into each neuron together. The labels into each neuron ask for their own distance
    along their edges (Labels places them there or at the nearest free place). Labels that
    still overlap are replaced on their edges by their numbers in the key ([1]), until none
    does; a number that fits nowhere either is left off its edge (the key names the weight)."""
    nodes = [(where[n.id], 0.45 if n.kind == "gap" else 1.15 * RADIUS) for c in d.columns for n in c.nodes]
    fixed = [b.box for b in bias_labels(d, where, measure)]
    edges = []  # (edge, start, end, angle, t)
    for layer in range(1, len(d.columns)):
        targets = [n for n in d.columns[layer].nodes if n.kind != "bias"]
        for b, target in enumerate(targets):
            t = 0.5 if len(targets) == 1 else 0.3 + 0.4 * b / (len(targets) - 1)
            for e in [e for e in d.edges if e.target is target]:
                (x0, y0), (x1, y1) = where[e.source.id], where[e.target.id]
                angle = math.atan2(y1 - y0, x1 - x0)
                dx, dy = math.cos(angle), math.sin(angle)
                start = (x0 + reach(e.source) * dx, y0 + reach(e.source) * dy)
                end = (x1 - reach(e.target) * dx, y1 - reach(e.target) * dy)
                edges.append((e, start, end, math.degrees(angle), t))
    # the weight's name and value; with --color-by gradient its dl/dw on a second line
    texts = ["" if e.gap else unicode(d.edge_label(e)).replace(", ", "\n", 1) for e, *_ in edges]
    keys: dict[int, int] = {}  # edge's place in the drawing order -> its number in the key
    while True:
        labels = Labels(nodes, fixed)
        placed = []  # the drawing order's places of the labels added
        for k, (e, start, end, _, t) in enumerate(edges):
            if not e.gap:
                width, height = measure(f"[{keys[k]}]" if k in keys else texts[k])
                pad = LABEL_PAD * LABEL_SIZE / 72  # the box's padding, in inches
                labels.add(width / 2 + pad, height / 2 + pad, start, end, t)
                placed.append(k)
        chosen = labels.finish()
        clashing = [placed[m] for m in labels.clashing(chosen)]
        unkeyed = [k for k in clashing if k not in keys]
        if not unkeyed:
            break
        for k in unkeyed:
            keys[k] = len(keys) + 1
    boxes: dict[int, Optional[Box]] = dict(zip(placed, chosen))
    for k in clashing:  # a number that fits nowhere: off its edge, while it meets anything
        if labels.meets(boxes[k], [b for m, b in boxes.items() if m != k and b is not None]):
            boxes[k] = None
    out = []
    for k, (e, start, end, angle, _) in enumerate(edges):
        text = f"[{keys[k]}]" if k in keys else texts[k]
        out.append(Label(e, start, end, angle, text, boxes.get(k), keys.get(k)))
    return out


def key(d: Diagram, labels: list[Label], width: float, measure: Measure) -> list[str]:
    """The key's lines: '[1] W1[2,1] = 0.5' for every label in it, as many to a line as fit the
    picture's width."""
    entries = sorted((l.key, f"[{l.key}] {unicode(d.edge_label(l.edge))}") for l in labels if l.key is not None)
    lines: list[str] = []
    for _, entry in entries:
        joined = f"{lines[-1]}    {entry}" if lines else entry
        if lines and measure(joined)[0] <= width - 2 * KEY_INDENT:
            lines[-1] = joined
        else:
            lines.append(entry)
    return lines


class Labels:
    """Where the edge labels go. Each label sits on its edge (or just beside it) at a place
    along it, clear of the edge's two ends, where its box (rotated with the edge) overlaps no
    other label and no node: first each label in turn at the free place nearest the one asked
    for, then any label still overlapping moved to the place where it overlaps least, until
    none does (or a few rounds have not managed: clashing says which still overlap)."""

    CLEAR = 0.03  # inches kept between two labels, and between a label and a node
    STEPS = 40  # places tried along an edge
    ROUNDS = 8

    def __init__(self, nodes: list[tuple[tuple[float, float], float]], fixed: list[Box]):
        self.nodes = nodes  # (centre, radius) of every node
        self.fixed = fixed  # the texts drawn under neurons (a Wx+b or xW+b neuron's own bias): kept clear as labels are
        self.choices: list[list[Box]] = []  # each label's places, the most wanted first

    def add(self, half_w: float, half_h: float, start, end, t: float) -> None:
        """A label of this half size for the edge from start to end, wanted a fraction t along it."""
        dx, dy = end[0] - start[0], end[1] - start[1]
        length = math.hypot(dx, dy)
        along, across = (dx / length, dy / length), (-dy / length, dx / length)
        lo = min((half_w + 0.05) / length, 0.5)  # the label stays clear of both nodes
        places = []
        for k in range(self.STEPS + 1):
            c = lo + (1 - 2 * lo) * k / self.STEPS
            for side in (0, 1, -1):  # on the edge, or beside it
                shift = side * (half_h + 0.02)
                centre = (start[0] + c * dx + shift * across[0], start[1] + c * dy + shift * across[1])
                places.append((abs(c - t) + 0.25 * abs(side), c, Box(centre, along, across, half_w, half_h)))
        places.sort(key=lambda p: (p[0], p[1]))
        box_list = [p[2] for p in places]
        # places that meet a node are no choice at all (while any other is free)
        free = [b for b in box_list if not self.meets_node(b) and not any(_boxes_meet(b, other, self.CLEAR) for other in self.fixed)]
        self.choices.append(free or box_list)

    def meets_node(self, box: Box) -> bool:
        return any(_box_meets_circle(box, node, r + self.CLEAR) for node, r in self.nodes)

    def meets(self, box: Box, others: list[Box]) -> bool:
        """Whether a box meets a node, a text under a neuron, or any of others."""
        return self.meets_node(box) or any(_boxes_meet(box, other, self.CLEAR) for other in self.fixed + others)

    def clashing(self, chosen: list[Box]) -> list[int]:
        """The labels (in the order added) whose places meet a node, a text under a neuron or another label."""
        return [k for k, box in enumerate(chosen) if self.meets(box, chosen[:k] + chosen[k + 1:])]

    def finish(self) -> list[Box]:
        """Every label's place, in the order added."""
        chosen: list[Optional[Box]] = [None] * len(self.choices)

        def clashes(k: int, box) -> int:
            return sum(1 for m, other in enumerate(chosen) if m != k and other is not None and _boxes_meet(box, other, self.CLEAR))

        for k, places in enumerate(self.choices):
            chosen[k] = next((b for b in places if not clashes(k, b)), places[0])
        for _ in range(self.ROUNDS):
            moved = False
            for k, places in enumerate(self.choices):
                if clashes(k, chosen[k]):
                    best = min(places, key=lambda b: clashes(k, b))  # the first of the fewest
                    moved |= best is not chosen[k]
                    chosen[k] = best
            if not moved:
                break
        # still overlapping: move a label to a place where it meets one other only, and that one
        # to a place where it meets none
        for k, places in enumerate(self.choices):
            if not clashes(k, chosen[k]):
                continue
            for box in places:
                others = [m for m, other in enumerate(chosen) if m != k and _boxes_meet(box, other, self.CLEAR)]
                if len(others) != 1:
                    continue
                m, before = others[0], chosen[k]
                chosen[k] = box
                moved_to = next((b for b in self.choices[m] if not clashes(m, b)), None)
                if moved_to is not None:
                    chosen[m] = moved_to
                    break
                chosen[k] = before
        return chosen


def _boxes_meet(a: Box, b: Box, clear: float) -> bool:
    """Whether two rotated boxes come within clear of each other: no axis of either separates
    them (the separating axis test)."""
    reach = math.hypot(a[3], a[4]) + math.hypot(b[3], b[4]) + clear
    if abs(a[0][0] - b[0][0]) > reach or abs(a[0][1] - b[0][1]) > reach:  # too far apart to meet
        return False
    corners = [_corners(a, clear / 2), _corners(b, clear / 2)]
    for axis in (a[1], a[2], b[1], b[2]):
        spans = [[p[0] * axis[0] + p[1] * axis[1] for p in box] for box in corners]
        if max(spans[0]) <= min(spans[1]) or max(spans[1]) <= min(spans[0]):
            return False
    return True


def _corners(box: Box, grow: float = 0.0) -> list[tuple[float, float]]:
    (cx, cy), (ux, uy), (vx, vy), hw, hh = box
    hw, hh = hw + grow, hh + grow
    return [(cx + sa * hw * ux + sb * hh * vx, cy + sa * hw * uy + sb * hh * vy) for sa in (-1, 1) for sb in (-1, 1)]


def _box_meets_circle(box: Box, centre, r: float) -> bool:
    """Whether a rotated box and a circle overlap."""
    (cx, cy), (ux, uy), (vx, vy), hw, hh = box
    px, py = centre[0] - cx, centre[1] - cy
    a, b = px * ux + py * uy, px * vx + py * vy  # the circle's centre in the box's frame
    nearest = (max(-hw, min(hw, a)), max(-hh, min(hh, b)))
    return math.hypot(a - nearest[0], b - nearest[1]) < r
