"""A Document as one self-contained HTML page (`--format html`), or as a fragment for a notebook.

The mathematics is MathML (mathml.py), which every current browser lays out with no script and
no network; the network's diagram is inline SVG (svg.py); tables are HTML tables. The page
carries its own style: light and dark colour schemes, and print styles. Nothing is loaded
from anywhere.
"""

from __future__ import annotations

import html
from typing import Optional

from . import document as doc
from .mathml import mathml

STYLE = """
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #ffffff; --muted: #5f6368; --rule: #d0d7de; --head: #f6f8fa;
        --bias: #eeeeee; --input: #e8f0fe; --neuron: #ffffff; --output: #fff2df; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e6e6; --bg: #16181d; --muted: #a0a6ad; --rule: #3a3f47; --head: #20242b;
          --bias: #2b2f36; --input: #1d2b45; --neuron: #16181d; --output: #3d2f1a; }
}
body { margin: 0; background: var(--bg); color: var(--fg); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 52rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.8rem 0 0.6rem; border-bottom: 1px solid var(--rule); padding-bottom: 0.2rem; }
h2.part { font-size: 1.3rem; border-bottom-width: 3px; }
p { margin: 0.5rem 0; overflow-wrap: anywhere; }
math { font-size: 1.05em; }
.eq { margin: 0.35rem 0; overflow-x: auto; }
.eq math[display="block"] { display: block math; text-align: left; margin: 0; }
.scroll { overflow-x: auto; margin: 0.6rem 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 0.2rem 0; }
th, td { border: 1px solid var(--rule); padding: 0.2rem 0.55rem; text-align: left; white-space: nowrap; }
th { background: var(--head); }
td.num { text-align: right; }
svg.network { max-width: 100%; height: auto; color: var(--fg); }
svg.network text { fill: var(--fg); }
footer { color: var(--muted); font-size: 0.85rem; margin-top: 2rem; }
@media print {
  :root { --fg: #000; --bg: #fff; --rule: #999; --head: #eee; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  .scroll, .eq { overflow: visible; }
  table, .eq, svg { break-inside: avoid; }
}
"""


_NUM = '<td class="num">'


def inline(part: doc.Inline) -> str:
    return mathml(part.text) if isinstance(part, doc.Math) else html.escape(part)


def line(parts: doc.Parts) -> str:
    return "".join(inline(p) for p in parts)


def equation(terms: tuple[str, ...], approx: bool = False) -> str:
    """a = b = c as one block of math; ≈ before a hand-rounded result."""
    written = [t for t in terms if t]
    text = " = ".join(written[:-1]) + (" ~= " if approx and len(written) > 1 else " = ") + written[-1] if len(written) > 1 else written[0]
    return mathml(text.replace(" ~= ", " ≈ "), display=True)


def block(b: doc.Block) -> str:
    if isinstance(b, doc.Heading):
        attributes = ' class="part"' if b.level == 0 else ""
        return f"<h2{attributes}>{line(b.parts)}</h2>"
    if isinstance(b, doc.Para):
        return f"<p>{line(b.parts)}</p>"
    if isinstance(b, doc.Equations):
        return "\n".join(f'<div class="eq">{equation(terms, b.approx)}</div>' for terms in b.lines)
    if isinstance(b, doc.Matrix):
        row, column = b.axes
        head = f"<th>row {row}</th>" + "".join(f"<th>{column}={j}</th>" for j in range(1, len(b.rows[0]) + 1))
        body = "".join(
            f"<tr><th>{i} ({'bias' if label == '1' else mathml(label)})</th>" + "".join(f'<td class="num">{html.escape(v)}</td>' for v in values) + "</tr>"
            for i, (label, values) in enumerate(zip(b.row_labels, b.rows), start=b.first_row)
        )
        return f'<div class="scroll"><table><caption>{mathml(b.name)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
    numeric = b.numeric or (False,) * len(b.header)
    head = "".join(f"<th>{inline(h)}</th>" for h in b.header)
    body = "".join(
        "<tr>" + "".join((_NUM if right else "<td>") + f"{inline(c)}</td>" for c, right in zip(r, numeric)) + "</tr>"
        for r in b.rows
    )
    caption = f"<caption>{line(b.title)}</caption>" if b.title else ""
    return f'<div class="scroll"><table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def body(document: doc.Document, diagram: Optional[str] = None) -> str:
    """The document's blocks as HTML (a notebook's cell output), the diagram (SVG) first."""
    parts = [f"<h1>{html.escape(document.title)}</h1>"] if document.title else []
    if diagram:
        parts.append(f'<div class="scroll">{diagram}</div>')
    parts.extend(block(b) for b in document.blocks)
    return "\n".join(parts)


def page(document: doc.Document, diagram: Optional[str] = None) -> str:
    """A whole page: one file that opens in any browser, with nothing to fetch."""
    title = html.escape(document.title or "nnsolve")
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"{body(document, diagram)}\n"
        '<footer>Made by nnsolve. The mathematics is MathML; the page needs no script and no network.</footer>\n'
        "</main>\n</body>\n</html>\n"
    )
