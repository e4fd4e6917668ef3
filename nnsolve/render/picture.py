"""A Diagram drawn with matplotlib, as SVG or PNG: the layers left to right, bias nodes as
dashed grey boxes, neurons as circles, every edge labelled with its weight's name and value
(and, coloured by gradient, its dl/dw), each label where it overlaps no other (_Labels).
In Wx+b and xW+b a neuron's own bias is written under its circle (b1[2] = 0.5), and coloured
by sign (the text and the circle's outline) where edges are.

matplotlib is an optional extra (`make plot` in a clone, `pip install 'nnsolve[plot]'`); it is imported only here,
without pyplot, so no display or global backend is touched. One unit of the axes is one inch
of the figure, so the circles stay round and the labels can follow their edges.
"""

from __future__ import annotations

import io
import math
from typing import Optional

from ..errors import NnsolveError
from .diagram import Diagram, Edge, Node
from .mathtext import tex, unicode

DPI = 150
COLUMN_GAP = 3.4  # inches between layers: room for an edge label
ROW_GAP = 0.9  # inches between the nodes of a layer
RADIUS = 0.26  # of a neuron's circle
MARGIN, TOP, BOTTOM, LEGEND_LINE = 0.9, 1.2, 0.4, 0.25
FILL = {"bias": "#eeeeee", "input": "#e8f0fe", "neuron": "white", "output": "#fff2df"}
LABEL_SIZE = 7  # points
LABEL_PAD = 0.12  # of an edge label's box, in units of its font size


def require_matplotlib() -> None:
    """Say how to get matplotlib when it is missing (a NnsolveError, so exit status 2)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        from ..errors import install_plot

        raise NnsolveError(
            "drawing SVG or PNG needs matplotlib, which is not installed",
            fix=f"install it: {install_plot()}; or use --format text, dot or mermaid",
        ) from None


def size_inches(d: Diagram) -> tuple[float, float]:
    """(width, height) of the figure, on a 0.2-inch grid so the pixels come out whole at DPI."""
    tallest = max(len(c.nodes) for c in d.columns)
    width = 2 * MARGIN + (len(d.columns) - 1) * COLUMN_GAP
    height = TOP + (tallest - 1) * ROW_GAP + BOTTOM + 2 * RADIUS + LEGEND_LINE * len(d.legend())
    return (math.ceil(width * 5 - 1e-9) / 5, math.ceil(height * 5 - 1e-9) / 5)


def size_pixels(d: Diagram) -> tuple[int, int]:
    """(width, height) of the PNG."""
    width, height = size_inches(d)
    return round(width * DPI), round(height * DPI)


def render(d: Diagram, file_format: str) -> bytes:
    """The picture as SVG (UTF-8 text) or PNG bytes; the same diagram gives the same bytes."""
    require_matplotlib()
    import matplotlib
    from matplotlib.figure import Figure

    settings = {"svg.hashsalt": "nnsolve", "svg.fonttype": "none", "font.family": "DejaVu Sans"}
    with matplotlib.rc_context(settings):
        width, height = size_inches(d)
        fig = Figure(figsize=(width, height), dpi=DPI)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(0, height)
        ax.set_axis_off()
        _draw(ax, d, width, height)
        buffer = io.BytesIO()
        metadata = {"Date": None} if file_format == "svg" else None
        fig.savefig(buffer, format=file_format, dpi=DPI, metadata=metadata)
    return buffer.getvalue()


def _positions(d: Diagram, height: float) -> dict[str, tuple[float, float]]:
    """Node id -> (x, y) in inches: columns left to right, each centred on the tallest."""
    tallest = max(len(c.nodes) for c in d.columns)
    top = height - TOP - RADIUS
    where = {}
    for c in d.columns:
        offset = (tallest - len(c.nodes)) / 2
        for k, n in enumerate(c.nodes):
            where[n.id] = (MARGIN + c.layer * COLUMN_GAP, top - (offset + k) * ROW_GAP)
    return where


def _draw(ax, d: Diagram, width: float, height: float) -> None:
    from matplotlib.patches import Circle, FancyBboxPatch

    where = _positions(d, height)
    labels = _Labels(ax, d, where)
    if d.title:
        ax.text(width / 2, height - 0.3, d.title, ha="center", va="center", fontsize=12, fontweight="bold", parse_math=False)
    for c in d.columns:
        x = MARGIN + c.layer * COLUMN_GAP
        heading = c.title if c.activation is None else f"{c.title}\n{c.activation}"
        ax.text(x, height - TOP + 0.55, heading, ha="center", va="top", fontsize=9, color="#444444", parse_math=False)
    legend = d.legend()
    for k, text in enumerate(legend):
        ax.text(0.2, BOTTOM / 2 + LEGEND_LINE * (len(legend) - 1 - k), text, ha="left", va="center", fontsize=8,
                color="#444444", parse_math=False)

    for layer in range(1, len(d.columns)):
        ax.text(MARGIN + (layer - 0.5) * COLUMN_GAP, height - TOP + 0.55, d.shapes(layer, short=True),
                ha="center", va="top", fontsize=9, color="#444444", parse_math=False)
        targets = [n for n in d.columns[layer].nodes if n.kind != "bias"]
        for b, target in enumerate(targets):
            # labels into each neuron sit at their own distance along the edges, where free
            t = 0.5 if len(targets) == 1 else 0.3 + 0.4 * b / (len(targets) - 1)
            for e in [e for e in d.edges if e.target is target]:
                _edge(ax, d, e, where, t, labels)

    labels.finish()

    for c in d.columns:
        for n in c.nodes:
            x, y = where[n.id]
            if n.kind == "bias":
                side = 1.6 * RADIUS
                ax.add_patch(FancyBboxPatch((x - side / 2, y - side / 2), side, side, boxstyle="round,pad=0.02",
                                            fc=FILL["bias"], ec="#888888", ls="--", lw=1, zorder=3))
                ax.text(x, y, "+1", ha="center", va="center", fontsize=10, zorder=4, parse_math=False)
            elif n.kind == "gap":
                ax.text(x, y + 0.08, "⋮", ha="center", va="center", fontsize=14, color="#666666", zorder=4,
                        parse_math=False)
                ax.text(x, y - 0.22, f"{_math(n.label)} ({n.count} more)", ha="center", va="center", fontsize=7,
                        color="#666666", zorder=4, bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none"))
            else:
                b = d.bias_of(n)
                color = d.color(b) if b is not None else None
                lw = 1.2 + 2.0 * d.strength(b) if color else 1.2
                ax.add_patch(Circle((x, y), RADIUS, fc=FILL[n.kind], ec=color or "#333333", lw=lw, zorder=3))
                ax.text(x, y, _math(n.label), ha="center", va="center", fontsize=11, zorder=4)
                if b is not None:  # the neuron's own bias, under it
                    ax.text(x, y - RADIUS - 0.11, unicode(d.edge_label(b, gradient=False)), ha="center", va="center",
                            fontsize=LABEL_SIZE, color=color or "black", zorder=4, parse_math=False,
                            bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.9))


def _edge(ax, d: Diagram, e: Edge, where, t: float, labels: "_Labels") -> None:
    """An arrow from node to node, its label (none for a gap edge) the nearest place to a fraction
    t of the way along where it overlaps no label drawn before it (labels.place)."""
    from matplotlib.patches import FancyArrowPatch

    (x0, y0), (x1, y1) = where[e.source.id], where[e.target.id]
    angle = math.atan2(y1 - y0, x1 - x0)
    dx, dy = math.cos(angle), math.sin(angle)
    start = (x0 + _reach(e.source) * dx, y0 + _reach(e.source) * dy)
    end = (x1 - _reach(e.target) * dx, y1 - _reach(e.target) * dy)
    color = d.color(e) or ("#bbbbbb" if e.gap else "#555555")
    lw = 0.6 + 2.6 * d.strength(e) if d.color_by else 0.9
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9, lw=0.7 if e.gap else lw, color=color,
                                 ls="--" if e.gap else "-", shrinkA=0, shrinkB=0, zorder=1))
    if e.gap:  # dashed and grey: the text drawing names the weights it stands for
        return
    # the weight's name and value; with --color-by gradient its dl/dw on a second line
    label = unicode(d.edge_label(e)).replace(", ", "\n", 1)
    text = ax.text(0, 0, label, ha="center", va="center", multialignment="center", fontsize=LABEL_SIZE,
                   color=d.color(e) or "black", zorder=2, parse_math=False,
                   bbox=dict(boxstyle=f"round,pad={LABEL_PAD}", fc="white", ec="none", alpha=0.9))
    labels.add(text, start, end, t, math.degrees(angle))


class _Labels:
    """Where the edge labels go. Each label sits on its edge (or just beside it) at a place
    along it, clear of the edge's two ends, where its box (rotated with the edge, measured as
    matplotlib draws the text) overlaps no other label and no node: first each label in turn
    at the free place nearest the one asked for, then any label still overlapping moved to
    the place where it overlaps least, until none does (or a few rounds have not managed)."""

    CLEAR = 0.03  # inches kept between two labels, and between a label and a node
    STEPS = 40  # places tried along an edge
    ROUNDS = 8

    def __init__(self, ax, d: Diagram, where):
        from matplotlib.backends.backend_agg import RendererAgg

        self.renderer = RendererAgg(1, 1, DPI)  # for measuring text only
        self.nodes = [(where[n.id], 0.45 if n.kind == "gap" else 1.15 * RADIUS) for c in d.columns for n in c.nodes]
        # the texts drawn under neurons (a Wx+b or xW+b neuron's own bias): kept clear as labels are
        self.fixed = []
        bias_of = getattr(d, "bias_of", lambda n: None)
        for c in d.columns:
            for n in c.nodes:
                b = bias_of(n) if n.kind not in ("bias", "gap") else None
                if b is not None:
                    probe = ax.text(0, 0, unicode(d.edge_label(b, gradient=False)), fontsize=LABEL_SIZE, parse_math=False)
                    box = probe.get_window_extent(self.renderer)
                    probe.remove()
                    x, y = where[n.id]
                    self.fixed.append(((x, y - RADIUS - 0.11), (1.0, 0.0), (0.0, 1.0), box.width / DPI / 2 + 0.02, box.height / DPI / 2 + 0.02))
        self.texts: list = []
        self.choices: list[list[tuple]] = []  # each label's places, the most wanted first

    def add(self, text, start, end, t: float, angle: float) -> None:
        box = text.get_window_extent(self.renderer)  # unrotated, in pixels
        pad = LABEL_PAD * LABEL_SIZE / 72  # the bbox's pad, in inches
        half_w, half_h = box.width / DPI / 2 + pad, box.height / DPI / 2 + pad
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
                places.append((abs(c - t) + 0.25 * abs(side), c, (centre, along, across, half_w, half_h)))
        places.sort(key=lambda p: (p[0], p[1]))
        box_list = [p[2] for p in places]
        # places that meet a node are no choice at all (while any other is free)
        free = [b for b in box_list if not any(_box_meets_circle(b, node, r + self.CLEAR) for node, r in self.nodes)
                and not any(_boxes_meet(b, other, self.CLEAR) for other in self.fixed)]
        text.set_gid(f"edge-label-{len(self.texts) + 1}")  # the SVG names each label's group
        self.texts.append((text, angle))
        self.choices.append(free or box_list)

    def finish(self) -> None:
        """Every label put at its place."""
        chosen: list[Optional[tuple]] = [None] * len(self.texts)

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
        for (text, angle), box in zip(self.texts, chosen):
            text.set_position(box[0])
            text.set_rotation(angle)
            text.set_rotation_mode("anchor")


def _boxes_meet(a, b, clear: float) -> bool:
    """Whether two rotated boxes (centre, unit along, unit across, half length, half height) come
    within clear of each other: no axis of either separates them (the separating axis test)."""
    reach = math.hypot(a[3], a[4]) + math.hypot(b[3], b[4]) + clear
    if abs(a[0][0] - b[0][0]) > reach or abs(a[0][1] - b[0][1]) > reach:  # too far apart to meet
        return False
    corners = [_corners(a, clear / 2), _corners(b, clear / 2)]
    for axis in (a[1], a[2], b[1], b[2]):
        spans = [[p[0] * axis[0] + p[1] * axis[1] for p in box] for box in corners]
        if max(spans[0]) <= min(spans[1]) or max(spans[1]) <= min(spans[0]):
            return False
    return True


def _corners(box, grow: float = 0.0) -> list[tuple[float, float]]:
    (cx, cy), (ux, uy), (vx, vy), hw, hh = box
    hw, hh = hw + grow, hh + grow
    return [(cx + sa * hw * ux + sb * hh * vx, cy + sa * hw * uy + sb * hh * vy) for sa in (-1, 1) for sb in (-1, 1)]


def _box_meets_circle(box, centre, r: float) -> bool:
    """Whether a rotated box and a circle overlap."""
    (cx, cy), (ux, uy), (vx, vy), hw, hh = box
    px, py = centre[0] - cx, centre[1] - cy
    a, b = px * ux + py * uy, px * vx + py * vy  # the circle's centre in the box's frame
    nearest = (max(-hw, min(hw, a)), max(-hh, min(hh, b)))
    return math.hypot(a - nearest[0], b - nearest[1]) < r


def _reach(n: Node) -> float:
    """How far from a node's centre its edges stop."""
    return 0.45 if n.kind == "gap" else 0.8 * RADIUS if n.kind == "bias" else RADIUS


def _math(label: str) -> str:
    """ASCII math ('beta1_2', 'x_3…x_783') as matplotlib mathtext."""
    return "$" + r"\ldots ".join(tex(part).strip() for part in label.split("…")) + "$"
