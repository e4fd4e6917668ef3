"""A Diagram drawn with matplotlib, as SVG or PNG: the layers left to right, bias nodes as
dashed grey boxes, neurons as circles, every edge labelled with its weight's name and value
(and, coloured by gradient, its dl/dw), each label where it overlaps no other (geometry.py places them; one that fits nowhere
along its edge is written in a key under the picture, its number on the edge).
In Wx+b and xW+b a neuron's own bias is written under its circle (b1[2] = 0.5), and coloured
by sign (the text and the circle's outline) where edges are.

matplotlib is an optional extra (`make plot` in a clone, `pip install 'nnsolve[plot]'`); it is imported only here,
without pyplot, so no display or global backend is touched. One unit of the axes is one inch
of the figure, so the circles stay round and the labels can follow their edges.
"""

from __future__ import annotations

import io

from ..errors import NnsolveError
from .diagram import Diagram
from .geometry import (BOTTOM, COLUMN_GAP, LABEL_PAD, LABEL_SIZE, LEGEND_LINE, MARGIN, RADIUS, TOP, bias_labels,
                       edge_labels, key, key_height, positions, size_inches)
from .mathtext import tex

DPI = 150
FILL = {"bias": "#eeeeee", "input": "#e8f0fe", "neuron": "white", "output": "#fff2df"}


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


def size_pixels(d: Diagram) -> tuple[int, int]:
    """(width, height) of the PNG, without a key (geometry.key_height more for one)."""
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


def _draw(ax, d: Diagram, width: float, height: float) -> None:
    from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

    where = positions(d, height)
    measure = _measure(ax)
    labels = edge_labels(d, where, measure)
    lines = key(d, labels, width, measure)
    if lines:  # the key's lines below y = 0, each unit still an inch
        extra = key_height(len(lines))
        ax.figure.set_size_inches(width, height + extra)
        ax.set_ylim(-extra, height)
        for k, line in enumerate(lines):
            for x, entry in line:
                ax.text(x, -0.05 - LEGEND_LINE * (k + 0.5), entry, ha="left", va="center", fontsize=LABEL_SIZE, parse_math=False)
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

    drawn = 0
    for layer in range(1, len(d.columns)):
        ax.text(MARGIN + (layer - 0.5) * COLUMN_GAP, height - TOP + 0.55, d.shapes(layer, short=True),
                ha="center", va="top", fontsize=9, color="#444444", parse_math=False)
        for label in [l for l in labels if l.edge.layer == layer]:
            e = label.edge
            color = d.color(e) or ("#bbbbbb" if e.gap else "#555555")
            lw = 0.6 + 2.6 * d.strength(e) if d.color_by else 0.9
            ax.add_patch(FancyArrowPatch(label.start, label.end, arrowstyle="-|>", mutation_scale=9, lw=0.7 if e.gap else lw,
                                         color=color, ls="--" if e.gap else "-", shrinkA=0, shrinkB=0, zorder=1))
            if label.box is None:  # a gap edge (dashed and grey: the text drawing names the weights it stands for),
                continue  # or a key's number that fits nowhere
            text = ax.text(*label.box.centre, label.text, ha="center", va="center", multialignment="center", fontsize=LABEL_SIZE,
                           color=d.color(e) or "black", zorder=2, parse_math=False, rotation=label.angle, rotation_mode="anchor",
                           bbox=dict(boxstyle=f"round,pad={LABEL_PAD}", fc="white", ec="none", alpha=0.9))
            drawn += 1
            text.set_gid(f"edge-label-{drawn}")  # the SVG names each label's group

    bias_text = {b.bias.target.id: b for b in bias_labels(d, where, measure)}
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
                if n.id in bias_text:  # the neuron's own bias, under it
                    under = bias_text[n.id]
                    ax.text(*under.box.centre, under.text, ha="center", va="center",
                            fontsize=LABEL_SIZE, color=color or "black", zorder=4, parse_math=False,
                            bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.9))


def _measure(ax):
    """A Measure: a text's size as matplotlib draws it at LABEL_SIZE, in inches."""
    from matplotlib.backends.backend_agg import RendererAgg

    renderer = RendererAgg(1, 1, DPI)  # for measuring text only

    def measure(text: str) -> tuple[float, float]:
        probe = ax.text(0, 0, text, multialignment="center", fontsize=LABEL_SIZE, parse_math=False)
        box = probe.get_window_extent(renderer)
        probe.remove()
        return box.width / DPI, box.height / DPI

    return measure


def _math(label: str) -> str:
    """ASCII math ('beta1_2', 'x_3…x_783') as matplotlib mathtext."""
    return "$" + r"\ldots ".join(tex(part).strip() for part in label.split("…")) + "$"
