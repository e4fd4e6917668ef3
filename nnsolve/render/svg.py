"""A Diagram as plain SVG text, for HTML pages and notebooks: no matplotlib, no script. The
nodes, edges and labels where picture.py puts them (geometry.py places both): each edge a line
with its weight's name and value (and its dl/dw when coloured by gradient) along it, where it
overlaps no other label and no node, or its number in a key under the picture; in Wx+b and
xW+b each neuron's own bias under its circle. Edges are coloured by sign where the diagram
asks for it.

Without matplotlib the text is not measured but estimated (measure), on the safe side: the
labels' font is DejaVu Sans, Verdana, Arial or Helvetica, where no glyph a label uses is wider
than the estimate gives it."""

from __future__ import annotations

import html

from .diagram import NEGATIVE, POSITIVE, ZERO, Diagram
from .geometry import LABEL_SIZE, LEGEND_LINE, RADIUS, Box, bias_labels, edge_labels, key, key_height, positions, size_inches
from .mathtext import unicode

SCALE = 96  # SVG units (CSS pixels) an inch
FILL = {"bias": "var(--bias, #eeeeee)", "input": "var(--input, #e8f0fe)", "neuron": "var(--neuron, #ffffff)", "output": "var(--output, #fff2df)", "gap": "none"}
FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"  # the fonts measure's estimate holds for
FONT_PX = LABEL_SIZE / 72 * SCALE  # the labels' font size in CSS pixels (LABEL_SIZE points)
WIDE = set("WMmw…=+−≈×")  # the widest glyphs: up to 1.06 em (Verdana's m); other capitals up to 0.79 em
NARROW = set(" .,:;[]()-/|'")  # at most 0.46 em (Verdana's brackets; DejaVu Sans's are 0.39)
LINE = 1.25  # ems a line of a label takes, its glyphs' height (1.17 em in DejaVu Sans) with room


def measure(text: str) -> tuple[float, float]:
    """A label's (width, height) in inches at LABEL_SIZE points, estimated on the safe side from
    its characters: 1.1 em for each of WIDE, 0.85 em for another capital, 0.5 em for each of
    NARROW, 0.7 em for any other character (digits are 0.64 em in these fonts, ∂ 0.52), and
    LINE ems a line."""
    lines = text.split("\n")
    ems = max(sum(1.1 if c in WIDE else 0.85 if c.isupper() else 0.5 if c in NARROW else 0.7 for c in line) for line in lines)
    return ems * LABEL_SIZE / 72, len(lines) * LINE * LABEL_SIZE / 72


def svg(d: Diagram) -> str:
    """The diagram as an <svg> element, sized in CSS pixels, scaling down with its container."""
    width, height = size_inches(d)
    where = positions(d, height)
    labels = edge_labels(d, where, measure)
    lines = key(d, labels, width, measure)
    full = height + key_height(len(lines))

    def at(point: tuple[float, float]) -> tuple[float, float]:
        return point[0] * SCALE, (height - point[1]) * SCALE  # SVG's y grows downwards

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="network" viewBox="0 0 {width * SCALE:.0f} {full * SCALE:.0f}" '
             f'width="{width * SCALE:.0f}" height="{full * SCALE:.0f}" font-family="{FONT}" role="img" aria-label="{html.escape(d.title or "the network")}">']
    parts.append('<g class="edges" stroke-width="1.2">')
    for label in labels:
        e = label.edge
        (x1, y1), (x2, y2) = at(label.start), at(label.end)  # from edge to edge of the two nodes
        value = e.gradient if d.color_by == "gradient" else e.value
        colour = "currentColor" if d.color_by is None or value is None else (POSITIVE if value > 0 else NEGATIVE if value < 0 else ZERO)
        dash = ' stroke-dasharray="4 3"' if e.gap else ""
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" stroke-opacity="0.7"{dash}/>')
    parts.append("</g>")
    for label in labels:
        if label.box is not None:  # (none for a gap edge, or a key's number that fits nowhere)
            parts.append(_label(label.text, at(label.box.centre), label.box, label.angle, "edge-label"))
    for under in bias_labels(d, where, measure):
        parts.append(_label(under.text, at(under.box.centre), under.box, 0.0, "bias-label"))
    r = RADIUS * SCALE
    for c in d.columns:
        x, _ = at(where[c.nodes[0].id])
        parts.append(f'<text x="{x:.1f}" y="{0.45 * SCALE:.1f}" font-size="12" text-anchor="middle" font-weight="bold">{html.escape(c.title)}</text>')
        for n in c.nodes:
            cx, cy = at(where[n.id])
            if n.kind == "bias":
                parts.append(f'<rect x="{cx - r:.1f}" y="{cy - r * 0.7:.1f}" width="{2 * r:.1f}" height="{1.4 * r:.1f}" rx="4" fill="{FILL["bias"]}" stroke="currentColor" stroke-dasharray="3 2"/>')
            elif n.kind != "gap":
                parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" fill="{FILL.get(n.kind, FILL["neuron"])}" stroke="currentColor"/>')
            parts.append(f'<text x="{cx:.1f}" y="{cy + 4:.1f}" font-size="11" text-anchor="middle" class="node-label">{html.escape(unicode(n.label))}</text>')
            if n.kind == "gap":
                parts.append(f'<text x="{cx:.1f}" y="{cy + 18:.1f}" font-size="9" text-anchor="middle" class="node-label">({n.count} more)</text>')
    for k, line in enumerate(lines):
        y = (height + 0.05 + LEGEND_LINE * (k + 0.5)) * SCALE
        for x, entry in line:
            parts.append(f'<text x="{x * SCALE:.1f}" y="{y:.1f}" font-size="{FONT_PX:.2f}" dominant-baseline="central" class="key">{html.escape(entry)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _label(text: str, centre: tuple[float, float], box: Box, angle: float, kind: str) -> str:
    """A label's text at its box's centre (in SVG units), turned with its edge, on a background of the page's colour."""
    (x, y), w, h = centre, box.half_w * SCALE, box.half_h * SCALE
    lines = text.split("\n")
    spans = "".join(f'<tspan x="0" y="{(k - (len(lines) - 1) / 2) * LINE * FONT_PX:.2f}">{html.escape(line)}</tspan>' for k, line in enumerate(lines))
    return (f'<g class="{kind}" transform="translate({x:.2f} {y:.2f}) rotate({-angle:.2f})">'
            f'<rect x="{-w:.2f}" y="{-h:.2f}" width="{2 * w:.2f}" height="{2 * h:.2f}" rx="2" fill="var(--bg, #ffffff)" fill-opacity="0.9"/>'
            f'<text font-size="{FONT_PX:.2f}" text-anchor="middle" dominant-baseline="central">{spans}</text></g>')
