"""A problem as the statement of a quiz question: HTML with its math in \\( \\) (MathJax)."""

from __future__ import annotations

import html

import numpy as np

from ..network import LOSSES
from ..problem import Problem
from .mathtext import tex
from .problem_file import number


def matrix_tex(values) -> str:
    rows = np.atleast_2d(np.asarray(values))
    return r"\begin{bmatrix}" + r" \\ ".join(" & ".join(number(v) for v in row) for row in rows) + r"\end{bmatrix}"


def math(text: str) -> str:
    """Inline math for HTML: \\( ... \\), escaped for HTML (a matrix's & is &amp;)."""
    return html.escape(rf"\({text}\)", quote=False)


def problem_html(problem: Problem) -> str:
    """The problem's numbers as a student reads them on the quiz page."""
    sizes = " - ".join(str(n) for n in problem.sizes)
    acts = ", ".join(dict.fromkeys(problem.activations))
    loss = LOSSES[problem.loss]
    parts = [
        f"<p>A fully connected network with layers {html.escape(sizes)} ({html.escape(acts)} activations)"
        + (", the bias as the first row of each weight matrix" if problem.bias else ", without biases")
        + ".</p>",
        "<p>" + math(r"x = " + matrix_tex(problem.x[:, None])) + ", " + math(r"y = " + matrix_tex(problem.y[:, None])) + "</p>",
        "<p>" + ", ".join(math(f"W^{{{l}}} = " + matrix_tex(W)) for l, W in enumerate(problem.weights, start=1)) + "</p>",
        "<p>Loss " + math(tex(f"l = {loss.formula}"))
        + (", learning rate " + math(rf"\lambda = {number(problem.learning_rate)}") if problem.updates else "") + ".</p>",
    ]
    return "\n".join(parts)


def label(name: str) -> str:
    """A quantity's name as math: alpha1_2 -> \\alpha^{1}_{2}, new W2[1,1] -> \\text{new } W^{2}_{11}."""
    return tex(name).strip()
