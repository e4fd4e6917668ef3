"""A Diagram as Graphviz DOT: `dot -Tsvg` lays it out left to right, a cluster per layer.

Bias nodes are dashed grey boxes, neurons circles, and every edge carries its weight's name
and value; a summarised layer's gap node and edges are dashed and stand for many. In Wx+b and
xW+b a neuron's own bias is its external label (xlabel, b1[2] = 0.5) and, coloured, its outline.
"""

from __future__ import annotations

from .diagram import Diagram, Edge, Node
from .mathtext import unicode

FONT = "Helvetica"


def quote(text: str) -> str:
    """A DOT string: backslashes and quotes escaped, line breaks as \\n."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write(d: Diagram) -> str:
    out = ["digraph network {"]
    # mclimit: barely reorder nodes to cross fewer edges, so each layer keeps the weight
    # matrix's order, bias on top
    graph = ["rankdir=LR", "mclimit=0.01", "nodesep=0.3", "ranksep=2.5", f"fontname={quote(FONT)}"]
    title = "\n".join(([d.title] if d.title else []) + d.legend())
    if title:
        graph += [f"label={quote(title)}", "labelloc=t"]
    if d.biases:  # each neuron's bias is its xlabel: placed even where it overlaps
        graph.append("forcelabels=true")
    out.extend(f"  {attr};" for attr in graph)
    out.append(f"  node [fontname={quote(FONT)}, shape=circle, style=filled, fillcolor=white];")
    out.append(f"  edge [fontname={quote(FONT)}, fontsize=10, arrowsize=0.6];")
    for c in d.columns:
        out.append(f"  subgraph cluster_{c.layer} {{")
        label = c.title if c.activation is None else f"{c.title}\n{c.activation}"
        out.append(f"    label={quote(label)}; style=rounded; color=\"#999999\";")
        for n in c.nodes:
            out.append(f"    {quote(n.id)} [{_node_attrs(n)}{_bias_attrs(d, n)}];")
        out.append("  }")
    for e in d.edges:
        out.append(f"  {quote(e.source.id)} -> {quote(e.target.id)} [{_edge_attrs(d, e)}];")
    out.append("}")
    return "\n".join(out) + "\n"


def _node_attrs(n: Node) -> str:
    if n.kind == "bias":
        return 'label="+1", shape=box, style="dashed,filled", fillcolor="#eeeeee"'
    if n.kind == "gap":
        return f"label={quote(unicode(n.label) + chr(10) + f'({n.count} more)')}, shape=plaintext, style=solid"
    fill = {"input": "#e8f0fe", "output": "#fff2df"}.get(n.kind, "white")
    return f"label={quote(unicode(n.label))}, fillcolor={quote(fill)}"


def _bias_attrs(d: Diagram, n: Node) -> str:
    """A neuron's own bias (Wx+b, xW+b) as its external label, its sign as the outline's colour."""
    b = d.bias_of(n)
    if b is None:
        return ""
    attrs = [f"xlabel={quote(unicode(d.edge_label(b)))}"]
    color = d.color(b)
    if color:
        attrs += [f"color={quote(color)}", f"penwidth={0.8 + 3.2 * d.strength(b):.2f}"]
    return ", " + ", ".join(attrs)


def _edge_attrs(d: Diagram, e: Edge) -> str:
    attrs = [f"label={quote(unicode(d.edge_label(e)))}"]
    if e.gap:
        attrs += ['style=dashed', 'color="#999999"', 'fontcolor="#777777"']
    color = d.color(e)
    if color:
        attrs += [f"color={quote(color)}", f"fontcolor={quote(color)}", f"penwidth={0.8 + 3.2 * d.strength(e):.2f}"]
    return ", ".join(attrs)
