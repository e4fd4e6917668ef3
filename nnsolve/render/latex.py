"""A Document as LaTeX: a complete article (amsmath, booktabs) for pdflatex, or the body alone."""

from __future__ import annotations

import re

from . import document as doc
from .mathtext import tex, tex_text

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage{amsmath}
\usepackage{booktabs}
\usepackage[margin=2cm]{geometry}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.6em}
"""


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]\d+)?")


def inline(part: doc.Inline) -> str:
    if isinstance(part, doc.Math) or NUMBER.fullmatch(part):
        # a number in a table is math too: its minus sign is a minus, not a hyphen
        return f"${tex(part if isinstance(part, str) else part.text).strip()}$"
    return tex_text(part)


def line(parts: doc.Parts) -> str:
    return "".join(inline(p) for p in parts)


def chain_of_equalities(terms: tuple[str, ...], approx: bool) -> str:
    """The right-hand side b = c, or b \\approx c for a hand-rounded result (the left has &=)."""
    written = [tex(t).strip() for t in terms]
    if approx and len(written) > 1:
        return " = ".join(written[:-1]) + r" \approx " + written[-1]
    return " = ".join(written)


def aligned(block: doc.Equations) -> str:
    """The rows of an align environment (LaTeX) or an aligned display (Markdown)."""
    rows = []
    for terms in block.lines:
        lhs, right = terms[0], chain_of_equalities(terms[1:], block.approx)
        rows.append(f"{tex(lhs).strip()} &= {right}" if lhs else f"&\\quad {right}")
    return " \\\\\n".join(rows)


def bmatrix(m: doc.Matrix) -> str:
    """name = [matrix], as math."""
    body = " \\\\ ".join(" & ".join(row) for row in m.rows)
    return f"{tex(m.name).strip()} = \\begin{{bmatrix}} {body} \\end{{bmatrix}}"


def equations(block: doc.Equations) -> str:
    return "\\begin{align*}\n" + aligned(block) + "\n\\end{align*}"


def matrix(m: doc.Matrix) -> str:
    return f"\\[\n{bmatrix(m)}\n\\]"


def table(t: doc.Table) -> str:
    numeric = t.numeric or (False,) * len(t.header)
    out = []
    if t.title:
        out.append(f"\\textbf{{{line(t.title)}}}\n")
    out.append("\\begin{center}\n\\begin{tabular}{" + "".join("r" if right else "l" for right in numeric) + "}")
    out.append("\\toprule")
    out.append(" & ".join(inline(h) for h in t.header) + " \\\\")
    out.append("\\midrule")
    out += [" & ".join(inline(c) for c in row) + " \\\\" for row in t.rows]
    out.append("\\bottomrule\n\\end{tabular}\n\\end{center}")
    return "\n".join(out)


def body(document: doc.Document) -> str:
    title = [f"\\section*{{{tex_text(document.title)}}}"] if document.title else []
    blocks = doc.each_block(
        document,
        heading=lambda b: f"\\{'sub' if b.level else ''}section*{{{line(b.parts)}}}",
        para=lambda b: line(b.parts),
        equations=equations,
        matrix=matrix,
        table=table,
    )
    return "\n\n".join(title + blocks) + "\n"


def write(document: doc.Document, fragment: bool = False) -> str:
    """A complete document, or with fragment the body alone (to \\input into another)."""
    if fragment:
        return body(document)
    return PREAMBLE + "\n\\begin{document}\n\n" + body(document) + "\n\\end{document}\n"
