"""A Diagram drawn with matplotlib, as SVG or PNG: the layers left to right, bias nodes as
dashed grey boxes, neurons as circles, every edge labelled with its weight's name and value.
In Wx+b and xW+b a neuron's own bias is written under its circle (b1[2] = 0.5), and coloured
by sign (the text and the circle's outline) where edges are.

matplotlib is an optional extra (`pip install 'nnsolve[plot]'`); it is imported only here,
without pyplot, so no display or global backend is touched. One unit of the axes is one inch
of the figure, so the circles stay round and the labels can follow their edges.
"""

from __future__ import annotations

import io
import math

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
LABEL_CHAR = 0.55 * LABEL_SIZE / 72  # inches: the mean width of a character of a label


def require_matplotlib() -> None:
    """Say how to get matplotlib when it is missing (a NnsolveError, so exit status 2)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise NnsolveError(
            "drawing SVG or PNG needs matplotlib, which is not installed",
            fix="pip install 'nnsolve[plot]' (or use --format text, dot or mermaid)",
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
            # labels into each neuron sit at their own distance along the edges, so they do not meet
            t = 0.5 if len(targets) == 1 else 0.3 + 0.4 * b / (len(targets) - 1)
            for e in [e for e in d.edges if e.target is target]:
                _edge(ax, d, e, where, t)

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


def _edge(ax, d: Diagram, e: Edge, where, t: float) -> None:
    """An arrow from node to node, its label (none for a gap edge) about a fraction t of the way along."""
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
    label = unicode(d.edge_label(e, gradient=False))
    length = math.hypot(end[0] - start[0], end[1] - start[1])
    half = 0.5 * LABEL_CHAR * len(label) + 0.05  # the label stays clear of both nodes
    t = min(max(t, half / length), 1 - half / length)
    x, y = start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1])
    ax.text(x, y, label, rotation=math.degrees(angle), rotation_mode="anchor", ha="center", va="center",
            fontsize=LABEL_SIZE, color=d.color(e) or "black", zorder=2, parse_math=False,
            bbox=dict(boxstyle="round,pad=0.12", fc="white", ec="none", alpha=0.9))


def _reach(n: Node) -> float:
    """How far from a node's centre its edges stop."""
    return 0.45 if n.kind == "gap" else 0.8 * RADIUS if n.kind == "bias" else RADIUS


def _math(label: str) -> str:
    """ASCII math ('beta1_2', 'x_3…x_783') as matplotlib mathtext."""
    return "$" + r"\ldots ".join(tex(part).strip() for part in label.split("…")) + "$"
