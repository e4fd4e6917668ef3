"""A Document as Markdown with GitHub math: $...$ inline, $$...$$ displays, pipe tables."""

from __future__ import annotations

from . import document as doc
from .latex import chain_of_equalities
from .mathtext import tex


def inline(part: doc.Inline) -> str:
    if isinstance(part, doc.Math):
        return f"${tex(part.text).strip()}$"
    # Markdown would read these as emphasis, code or a table's column break
    return part.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("`", "\\`").replace("|", "\\|")


def line(parts: doc.Parts) -> str:
    return "".join(inline(p) for p in parts)


def equations(block: doc.Equations) -> str:
    rows = []
    for terms in block.lines:
        lhs, right = terms[0], chain_of_equalities(terms[1:], block.approx)
        rows.append(f"{tex(lhs).strip()} &= {right}" if lhs else f"&\\quad {right}")
    return "$$\n\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}\n$$"


def matrix(m: doc.Matrix) -> str:
    body = " \\\\ ".join(" & ".join(row) for row in m.rows)
    return f"$$\n{tex(m.name).strip()} = \\begin{{bmatrix}} {body} \\end{{bmatrix}}\n$$"


def table(t: doc.Table) -> str:
    numeric = t.numeric or (False,) * len(t.header)
    out = []
    if t.title:
        out.append(f"**{line(t.title)}**\n")
    out.append("| " + " | ".join(inline(h) for h in t.header) + " |")
    out.append("|" + "|".join("---:" if right else "---" for right in numeric) + "|")
    out += ["| " + " | ".join(inline(c) for c in row) + " |" for row in t.rows]
    return "\n".join(out)


def write(document: doc.Document) -> str:
    out = []
    if document.title:
        out.append(f"# {inline(document.title)}")
    for block in document.blocks:
        if isinstance(block, doc.Heading):
            out.append(f"{'#' * (block.level + 1)} {line(block.parts)}")
        elif isinstance(block, doc.Para):
            out.append(line(block.parts))
        elif isinstance(block, doc.Equations):
            out.append(equations(block))
        elif isinstance(block, doc.Matrix):
            out.append(matrix(block))
        elif isinstance(block, doc.Table):
            out.append(table(block))
    return "\n\n".join(out) + "\n"
