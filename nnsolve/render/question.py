"""A problem as the statement of a quiz question: HTML with its math in \\( \\) (MathJax)."""

from __future__ import annotations

import html

import numpy as np

from ..network import LOSSES
from ..notation import Notation, to_convention
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
    """The problem's numbers as a student reads them on the quiz page, in its notation (its
    convention's W and b, its symbols)."""
    notation = Notation.of(problem)
    sizes = " - ".join(str(n) for n in problem.sizes)
    acts = ", ".join(dict.fromkeys(problem.activations))
    loss = LOSSES[problem.loss]
    if not problem.bias:
        layout = ", without biases"
    elif problem.convention == "bias-row":
        layout = ", the bias as the first row of each weight matrix"
    else:
        layout = (f", written {html.escape(problem.convention)}: "
                  + math(tex(notation.write("alpha1 = W1 x + b1" if problem.convention == "Wx+b" else "alpha1 = x W1 + b1")))
                  + (", each W a row per neuron" if problem.convention == "Wx+b" else ", each W a row per input") + ", b a vector beside it")
    weights = []
    for l, W in enumerate(problem.weights, start=1):
        W, b = to_convention(W, problem.convention, problem.bias)
        weights.append(math(f"W^{{{l}}} = " + matrix_tex(W)))
        if b is not None:
            weights.append(math(f"b^{{{l}}} = " + matrix_tex(b[:, None])))
    if problem.batch is not None:  # every example, and the one update from them all
        examples = [math(rf"x^{{({n})}} = " + matrix_tex(x[:, None])) + ", " + math(rf"y^{{({n})}} = " + matrix_tex(y[:, None]))
                    for n, (x, y) in enumerate(problem.examples, start=1)]
        data = (f"<p>A batch of {len(examples)} examples, each worked from the same weights, then one update from the "
                f"{problem.batch} of their gradients (the loss is the {problem.batch} of theirs): " + "; ".join(examples) + "</p>")
    else:
        data = "<p>" + math(r"x = " + matrix_tex(problem.x[:, None])) + ", " + math(r"y = " + matrix_tex(problem.y[:, None])) + "</p>"
    parts = [
        f"<p>A fully connected network with layers {html.escape(sizes)} ({html.escape(acts)} activations){layout}.</p>",
        data,
        "<p>" + ", ".join(weights) + "</p>",
        "<p>Loss " + math(tex(notation.write(f"l = {loss.formula}")))
        + (", learning rate " + math(tex(notation.write("lambda")).strip() + f" = {number(problem.learning_rate)}") if problem.updates else "") + ".</p>",
    ]
    if problem.l2:
        reach = "the biases too" if problem.decay_bias or not problem.bias else "the biases left out"
        parts.append("<p>The loss has an l2 term " + math(r"\frac{\lambda_2}{2} \sum w^2") + ", "
                     + math(rf"\lambda_2 = {number(problem.l2)}") + f" ({reach}): it adds " + math(r"\lambda_2 w")
                     + " to each derivative.</p>")
    if problem.updates and problem.optimizer is not None:
        parts += update_rule_html(problem)
    return "\n".join(parts)


def update_rule_html(problem: Problem) -> list[str]:
    """The optimizer a quiz's new weights follow (they are its step, not plain SGD's), with its
    options, weight decay and the state it starts from: what a student needs to work the step."""
    from .optimizer import decay_note, describe, rule_lines

    opt, state = problem.optimizer, problem.state
    notation = Notation.of(problem)
    t = (state.step if state is not None else 0) + 1
    rule = ", ".join(math(tex(notation.write(f"{name} = {formula}"))) for name, formula in rule_lines(opt))
    decay = decay_note(opt, problem)
    parts = [f"<p>The new weights are one step of {html.escape(describe(opt, problem))}, step " + math(f"t = {t}")
             + ", with " + math(tex(notation.write("g = dl/dw"))) + ": " + rule + "."
             + (" " + html.escape(decay) if decay else "") + "</p>"]
    if state is not None and not state.fresh:
        arrays = []
        for l, named in enumerate(state.arrays, start=1):
            for name, values in named:
                W, b = to_convention(np.asarray(values), problem.convention, problem.bias)
                arrays.append(math(tex(name).strip() + f" \\text{{ of }} W^{{{l}}} = " + matrix_tex(W)))
                if b is not None:
                    arrays.append(math(tex(name).strip() + f" \\text{{ of }} b^{{{l}}} = " + matrix_tex(b[:, None])))
        parts.append("<p>Its state after the steps before this one: " + ", ".join(arrays) + ".</p>")
    return parts


def label(name: str) -> str:
    """A quantity's name as math: alpha1_2 -> \\alpha^{1}_{2}, new W2[1,1] -> \\text{new } W^{2}_{11}."""
    return tex(name).strip()
