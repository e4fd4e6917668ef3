"""A Diagram as a Mermaid flowchart, which GitHub renders in a ```mermaid block.

Every label is quoted (so brackets and = are text); a quote in a label is written #quot;.
Bias nodes are dashed grey boxes, neurons circles; a summarised layer's gap edges are dotted.
In Wx+b and xW+b a neuron's own bias is the second line of its label (b1[2] = 0.5) and,
coloured, its outline.
"""

from __future__ import annotations

import json

from .diagram import Diagram, Node
from .mathtext import unicode


def quote(text: str) -> str:
    return '"' + text.replace('"', "#quot;").replace("\n", "<br>") + '"'


def write(d: Diagram) -> str:
    out = []
    if d.title:
        out += ["---", f"title: {json.dumps(d.title, ensure_ascii=False)}", "---"]
    out.append("flowchart LR")
    for text in d.legend():
        out.append(f"  %% {text}")
    for c in d.columns:
        label = c.title if c.activation is None else f"{c.title}: {c.activation}"
        out.append(f"  subgraph L{c.layer}[{quote(label)}]")
        for n in c.nodes:
            out.append(f"    {_node(d, n)}")
        out.append("  end")
    styles = []
    for k, e in enumerate(d.edges):
        link = "-.->" if e.gap else "-->"
        out.append(f"  {e.source.id} {link}|{quote(unicode(d.edge_label(e)))}| {e.target.id}")
        color = d.color(e)
        if color:
            styles.append(f"  linkStyle {k} stroke:{color},stroke-width:{1 + 3 * d.strength(e):.1f}px,color:{color}")
    out += styles
    out.append("  classDef bias fill:#eeeeee,stroke:#999999,stroke-dasharray:4 3")
    out.append("  classDef input fill:#e8f0fe,stroke:#333333")
    out.append("  classDef output fill:#fff2df,stroke:#333333")
    out.append("  classDef gap fill:none,stroke:none")
    for kind in ("bias", "input", "output", "gap"):
        ids = [n.id for c in d.columns for n in c.nodes if n.kind == kind]
        if ids:
            out.append(f"  class {','.join(ids)} {kind}")
    for b in d.biases:  # after the classes, which would otherwise set the outline
        color = d.color(b)
        if color:
            out.append(f"  style {b.target.id} stroke:{color},stroke-width:{1 + 3 * d.strength(b):.1f}px")
    return "\n".join(out) + "\n"


def _node(d: Diagram, n: Node) -> str:
    if n.kind == "bias":
        return f"{n.id}[{quote('+1')}]"
    b = d.bias_of(n)
    bias = "" if b is None else chr(10) + unicode(d.edge_label(b))
    if n.kind == "gap":
        return f"{n.id}[{quote(unicode(n.label) + chr(10) + f'({n.count} more)' + bias)}]"
    return f"{n.id}(({quote(unicode(n.label) + bias)}))"
