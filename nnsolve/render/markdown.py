"""A Document as Markdown with GitHub math: $...$ inline, $$...$$ displays, pipe tables."""

from __future__ import annotations

from . import document as doc
from .latex import aligned, bmatrix
from .mathtext import tex


def inline(part: doc.Inline) -> str:
    if isinstance(part, doc.Math):
        return f"${tex(part.text).strip()}$"
    # Markdown would read these as emphasis, code or a table's column break
    return part.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("`", "\\`").replace("|", "\\|")


def line(parts: doc.Parts) -> str:
    return "".join(inline(p) for p in parts)


def equations(block: doc.Equations) -> str:
    return "$$\n\\begin{aligned}\n" + aligned(block) + "\n\\end{aligned}\n$$"


def matrix(m: doc.Matrix) -> str:
    return f"$$\n{bmatrix(m)}\n$$"


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
    title = [f"# {inline(document.title)}"] if document.title else []
    blocks = doc.each_block(
        document,
        heading=lambda b: f"{'#' * (b.level + 1)} {line(b.parts)}",
        para=lambda b: line(b.parts),
        equations=equations,
        matrix=matrix,
        table=table,
    )
    return "\n\n".join(title + blocks) + "\n"
