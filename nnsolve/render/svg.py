"""A Diagram as plain SVG text, for HTML pages and notebooks: no matplotlib, no script. The
nodes where picture.py puts them (the same layout), each edge a line with its weight's name
and value, coloured by sign where the diagram asks for it."""

from __future__ import annotations

import html

from .diagram import NEGATIVE, POSITIVE, ZERO, Diagram
from .mathtext import unicode
from .picture import RADIUS, _positions, size_inches

SCALE = 96  # SVG units (CSS pixels) an inch
FILL = {"bias": "var(--bias, #eeeeee)", "input": "var(--input, #e8f0fe)", "neuron": "var(--neuron, #ffffff)", "output": "var(--output, #fff2df)", "gap": "none"}


def svg(d: Diagram) -> str:
    """The diagram as an <svg> element, sized in CSS pixels, scaling down with its container."""
    width, height = size_inches(d)
    where = _positions(d, height)

    def at(node_id: str) -> tuple[float, float]:
        x, y = where[node_id]
        return x * SCALE, (height - y) * SCALE  # SVG's y grows downwards

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="network" viewBox="0 0 {width * SCALE:.0f} {height * SCALE:.0f}" '
             f'width="{width * SCALE:.0f}" height="{height * SCALE:.0f}" role="img" aria-label="{html.escape(d.title or "the network")}">']
    parts.append('<g class="edges" stroke-width="1.2">')
    for k, e in enumerate(d.edges):
        (x1, y1), (x2, y2) = at(e.source.id), at(e.target.id)
        value = e.gradient if d.color_by == "gradient" else e.value
        colour = "currentColor" if d.color_by is None or value is None else (POSITIVE if value > 0 else NEGATIVE if value < 0 else ZERO)
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" stroke-opacity="0.7"/>')
        t = 0.3 + 0.15 * (k % 3)  # staggered along the edge, so the labels of one node's edges part
        lx, ly = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
        parts.append(f'<text x="{lx:.1f}" y="{ly - 3:.1f}" font-size="10" text-anchor="middle" class="edge-label">{html.escape(unicode(d.edge_label(e)))}</text>')
    parts.append("</g>")
    r = RADIUS * SCALE
    for c in d.columns:
        x, _ = at(c.nodes[0].id)
        parts.append(f'<text x="{x:.1f}" y="{0.45 * SCALE:.1f}" font-size="12" text-anchor="middle" font-weight="bold">{html.escape(c.title)}</text>')
        for n in c.nodes:
            cx, cy = at(n.id)
            if n.kind == "bias":
                parts.append(f'<rect x="{cx - r:.1f}" y="{cy - r * 0.7:.1f}" width="{2 * r:.1f}" height="{1.4 * r:.1f}" rx="4" fill="{FILL["bias"]}" stroke="currentColor" stroke-dasharray="3 2"/>')
            elif n.kind != "gap":
                parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" fill="{FILL.get(n.kind, FILL["neuron"])}" stroke="currentColor"/>')
            parts.append(f'<text x="{cx:.1f}" y="{cy + 4:.1f}" font-size="11" text-anchor="middle" class="node-label">{html.escape(unicode(n.label))}</text>')
    parts.append("</svg>")
    return "".join(parts)
