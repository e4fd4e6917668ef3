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

import numpy as np

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
KEY_GAP = 0.3  # inches between two entries of a line of the key

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
    along their edges (Labels places them there or at the nearest free place). Of two labels
    that still overlap (or one that meets a node) the first is replaced on its edge by its
    number in the key ([1]) and all are placed again, until none overlaps; a number that fits
    nowhere either is left off its edge (the key names the weight)."""
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
        # of two labels that overlap, the first goes to the key: the other may fit now
        keyed_now: set[int] = set()
        for m, k in enumerate(placed):
            others = [b for n, b in enumerate(chosen) if n != m and n not in keyed_now]
            if k not in keys and labels.meets(chosen[m], others):
                keyed_now.add(m)
        if not keyed_now:
            break
        for m in sorted(keyed_now):
            keys[placed[m]] = len(keys) + 1
    boxes: dict[int, Optional[Box]] = dict(zip(placed, chosen))
    for k in keys:  # a number that fits nowhere: off its edge, while it meets anything
        if labels.meets(boxes[k], [b for m, b in boxes.items() if m != k and b is not None]):
            boxes[k] = None
    out = []
    for k, (e, start, end, angle, _) in enumerate(edges):
        text = f"[{keys[k]}]" if k in keys else texts[k]
        out.append(Label(e, start, end, angle, text, boxes.get(k), keys.get(k)))
    return out


def key(d: Diagram, labels: list[Label], width: float, measure: Measure) -> list[list[tuple[float, str]]]:
    """The key's lines, each a list of (x, entry): '[1] W1[2,1] = 0.5' for every label in it, as
    many to a line as fit the picture's width, KEY_GAP apart."""
    entries = sorted((l.key, f"[{l.key}] {unicode(d.edge_label(l.edge))}") for l in labels if l.key is not None)
    lines: list[list[tuple[float, str]]] = []
    x = 0.0
    for _, entry in entries:
        entry_width = measure(entry)[0]
        if not lines or x + entry_width > width - KEY_INDENT:
            lines.append([])
            x = KEY_INDENT
        lines[-1].append((x, entry))
        x += entry_width + KEY_GAP
    return lines


class Labels:
    """Where the edge labels go. Each label sits on its edge (or just beside it) at a place
    along it, clear of the edge's two ends, where its box (rotated with the edge) overlaps no
    other label and no node: first each label in turn at the free place nearest the one asked
    for, then any label still overlapping moved to the place where it overlaps least, until
    none does (or a few rounds have not managed: edge_labels sends those to the key)."""

    CLEAR = 0.03  # inches kept between two labels, and between a label and a node
    STEPS = 40  # places tried along an edge
    ROUNDS = 8

    def __init__(self, nodes: list[tuple[tuple[float, float], float]], fixed: list[Box]):
        self.circles = [(centre, r + self.CLEAR) for centre, r in nodes]  # every node, and the room kept around it
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
        taken = _meet_circles(box_list, self.circles) | _meet(box_list, self.fixed, self.CLEAR).any(axis=1)
        free = [b for b, no in zip(box_list, taken) if not no]
        self.choices.append(free or box_list)

    def meets(self, box: Box, others: list[Box]) -> bool:
        """Whether a box meets a node, a text under a neuron, or any of others."""
        return bool(_meet_circles([box], self.circles)[0] or _meet([box], self.fixed + others, self.CLEAR).any())

    def finish(self) -> list[Box]:
        """Every label's place, in the order added."""
        chosen: list[Box] = []

        def clashes(k: int, boxes: list[Box]) -> np.ndarray:
            """How many of the other labels placed each of boxes meets."""
            return _meet(boxes, [other for m, other in enumerate(chosen) if m != k], self.CLEAR).sum(axis=1)

        for k, places in enumerate(self.choices):
            free = np.flatnonzero(clashes(k, places) == 0)
            chosen.append(places[free[0]] if len(free) else places[0])
        for _ in range(self.ROUNDS):
            moved = False
            for k, places in enumerate(self.choices):
                if clashes(k, [chosen[k]])[0]:
                    best = places[int(np.argmin(clashes(k, places)))]  # the first of the fewest
                    moved |= best is not chosen[k]
                    chosen[k] = best
            if not moved:
                break
        # still overlapping: move a label to a place where it meets one other only, and that one
        # to a place where it meets none
        for k, places in enumerate(self.choices):
            if not clashes(k, [chosen[k]])[0]:
                continue
            met = _meet(places, chosen, self.CLEAR)
            met[:, k] = False
            for box, row in zip(places, met):
                others = np.flatnonzero(row)
                if len(others) != 1:
                    continue
                m, before = int(others[0]), chosen[k]
                chosen[k] = box
                free = np.flatnonzero(clashes(m, self.choices[m]) == 0)
                if len(free):
                    chosen[m] = self.choices[m][free[0]]
                    break
                chosen[k] = before
        return chosen


def _meet(a: list[Box], b: list[Box], clear: float) -> np.ndarray:
    """Which of the rotated boxes a come within clear of which of b, as a (len(a), len(b)) array:
    the pairs that no axis of either box separates (the separating axis test)."""
    if not a or not b:
        return np.zeros((len(a), len(b)), dtype=bool)
    fields = lambda boxes: [np.array([box[i] for box in boxes], dtype=float) for i in range(5)]
    (ca, ua, va, wa, ha), (cb, ub, vb, wb, hb) = fields(a), fields(b)
    reach = (np.hypot(wa, ha)[:, None] + np.hypot(wb, hb)[None, :]) + clear
    d = np.abs(ca[:, None, :] - cb[None, :, :])
    near = (d[..., 0] <= reach) & (d[..., 1] <= reach)  # further apart cannot meet
    signs = np.array([(-1, -1), (-1, 1), (1, -1), (1, 1)], dtype=float)

    def corners(c, u, v, w, h):  # (boxes, 4, 2), each grown by clear / 2
        w, h = w + clear / 2, h + clear / 2
        along = (signs[None, :, 0] * w[:, None])[..., None] * u[:, None, :]
        across = (signs[None, :, 1] * h[:, None])[..., None] * v[:, None, :]
        return c[:, None, :] + along + across

    i, j = np.nonzero(near)  # only the pairs near enough are tested
    pa, pb = corners(ca, ua, va, wa, ha)[i], corners(cb, ub, vb, wb, hb)[j]  # (pairs, 4, 2)
    apart = np.zeros(len(i), dtype=bool)
    for axis in (ua[i], va[i], ub[j], vb[j]):  # (pairs, 2)
        sa = pa[:, :, 0] * axis[:, None, 0] + pa[:, :, 1] * axis[:, None, 1]
        sb = pb[:, :, 0] * axis[:, None, 0] + pb[:, :, 1] * axis[:, None, 1]
        apart |= (sa.max(axis=1) <= sb.min(axis=1)) | (sb.max(axis=1) <= sa.min(axis=1))
    met = np.zeros(near.shape, dtype=bool)
    met[i[~apart], j[~apart]] = True
    return met


def _meet_circles(boxes: list[Box], circles: list[tuple[tuple[float, float], float]]) -> np.ndarray:
    """Which of the rotated boxes overlap any of the circles (centre, radius)."""
    if not boxes or not circles:
        return np.zeros(len(boxes), dtype=bool)
    c, u, v, w, h = (np.array([box[i] for box in boxes], dtype=float)[:, None] for i in range(5))  # (boxes, 1, ...)
    centres, radii = np.array([centre for centre, _ in circles], dtype=float), np.array([r for _, r in circles], dtype=float)
    px, py = centres[None, :, 0] - c[..., 0], centres[None, :, 1] - c[..., 1]  # (boxes, circles)
    a, b = px * u[..., 0] + py * u[..., 1], px * v[..., 0] + py * v[..., 1]  # the circles' centres in each box's frame
    nearest_a, nearest_b = np.maximum(-w, np.minimum(w, a)), np.maximum(-h, np.minimum(h, b))
    return (np.hypot(a - nearest_a, b - nearest_b) < radii[None, :]).any(axis=1)
