"""What a solution says, in the worksheet's order, before it is written for a medium.

The builders here turn a Solution (and a chain.WeightGradient) into a Document: headings,
sentences, chains of equalities, matrices and tables, with the math in nnsolve's ASCII
notation (alpha1_1, y_hat, W2[1,1], dl/dy_hat). The terminal, Markdown and LaTeX renderers
each write the same Document in their own symbols (see mathtext), so the three never drift.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from typing import Optional, Union

import numpy as np

from ..chain import derivative_formula, output_factors, substitute
from ..network import ACTIVATIONS, LOSSES
from ..notation import Notation, count, first_row, to_convention, weight_name, weight_order
from ..solution import LayerSolution, Solution, element_name
from .numbers import fmt, paren

MAX_WRITTEN_TERMS = 10  # past this fan-in, alpha is given as a sum, not term by term
MAX_WRITTEN_PATHS = 8  # past this many paths, grad writes the delta recursion


@dataclass(frozen=True)
class Math:
    """A piece of math in ASCII notation, inside a sentence or a table cell."""

    text: str


Inline = Union[str, Math]  # plain text or math
Parts = tuple[Inline, ...]


@dataclass(frozen=True)
class Heading:
    """A heading: a section (level 1), or a part of its own (level 0)."""

    parts: Parts
    level: int = 1  # 0: a part of its own (one SGD step); 1: a section


@dataclass(frozen=True)
class Para:
    """A sentence of text and math."""

    parts: Parts


@dataclass(frozen=True)
class Equations:
    """Chains of equalities, one per line: ("alpha1_1", "(-1)(1) + (-2)(2) + (1)(5)", "0")."""

    lines: tuple[tuple[str, ...], ...]
    approx: bool = False  # the last equality of each line is a hand-rounded result: write it ≈


@dataclass(frozen=True)
class Matrix:
    """A matrix of numbers with its rows labelled: W1, new W1."""

    name: str  # ASCII math: "W1", "new W1"
    row_labels: tuple[str, ...]  # ASCII math: "1" (the bias), "x_1", "beta1_2"
    rows: tuple[tuple[str, ...], ...]  # numbers, already written
    first_row: int = 0  # the notation's index of the first row: 1 without biases
    axes: tuple[str, str] = ("i", "j")  # what rows and columns count: inputs i, neurons j (Wx+b: j, i)


@dataclass(frozen=True)
class Table:
    """A table: a header, rows of cells, an optional title."""

    header: Parts
    rows: tuple[Parts, ...]
    title: Optional[Parts] = None
    numeric: tuple[bool, ...] = ()  # right-align these columns


Block = Union[Heading, Para, Equations, Matrix, Table]


@dataclass(frozen=True)
class Document:
    """What a solution says, block by block, before it is written for a medium."""

    title: Optional[str]
    blocks: tuple[Block, ...]


def M(text: str) -> Math:
    return Math(text)


def in_notation(document: Document, notation) -> Document:
    """The document with every piece of math written in the problem's notation
    (notation.Notation: z and a for alpha and beta, b2[1] for W2[0,1], ...). The builders write
    nnsolve's own names; this is the one place they are turned into a course's."""
    if notation.plain:
        return document
    w = notation.write

    def parts(ps):
        return tuple(Math(w(p.text)) if isinstance(p, Math) else p for p in ps)

    def block(b):
        if isinstance(b, (Heading, Para)):
            return replace(b, parts=parts(b.parts))
        if isinstance(b, Equations):
            return replace(b, lines=tuple(tuple(w(t) for t in line) for line in b.lines))
        if isinstance(b, Matrix):
            return replace(b, name=w(b.name), row_labels=tuple(w(t) for t in b.row_labels))
        return replace(b, header=parts(b.header), rows=tuple(parts(r) for r in b.rows), title=b.title and parts(b.title))

    return replace(document, blocks=tuple(block(b) for b in document.blocks))


def each_block(document: Document, *, heading, para, equations, matrix, table) -> list:
    """Every block of a document written by the function for its kind, in order: the one
    walk that Markdown and LaTeX share."""
    kinds = {Heading: heading, Para: para, Equations: equations, Matrix: matrix, Table: table}
    return [kinds[type(block)](block) for block in document.blocks]


# -- names ---------------------------------------------------------------------------------


class _Names:
    """Symbols of one network in ASCII notation: alpha2 for a single output, alpha2_1 otherwise."""

    def __init__(self, solution: Solution):
        self.s = solution
        self.p = solution.problem
        self.widths = self.p.sizes
        self.notation = Notation.of(self.p)
        self.convention = self.notation.convention  # bias-row, Wx+b or xW+b (notation.py)

    def neuron(self, kind: str, layer: int, k: int) -> str:
        if kind == "beta" and layer == self.p.n_layers:
            return self.y_hat(k)
        return f"{kind}{layer}" if self.widths[layer] == 1 else f"{kind}{layer}_{k}"

    def y_hat(self, k: int) -> str:
        return "y_hat" if self.widths[-1] == 1 else f"y_hat_{k}"

    def y(self, k: int) -> str:
        return "y" if self.widths[-1] == 1 else f"y_{k}"

    def input(self, layer: int, i: int) -> str:
        """Feature i of layer l's input: 1 (bias), x_i, beta{l-1}_i."""
        if i == 0 and self.p.bias:
            return "1"
        if layer == 1:
            return f"x_{i}"
        return f"beta{layer - 1}_{i}"

    def input_vector(self, layer: int) -> str:
        prev = "x" if layer == 1 else f"beta{layer - 1}"
        return f"[1; {prev}]" if self.p.bias else prev


# -- nnsolve run ---------------------------------------------------------------------------


class SolutionDocument(_Names):
    """Every step of one solve, in the worksheet's order."""

    def __init__(self, solution: Solution, digits: int):
        super().__init__(solution)
        self.d = digits

    def f(self, v: float) -> str:
        return fmt(v, self.d)

    def pf(self, v: float) -> str:
        return paren(v, self.d)

    @property
    def rounded(self) -> bool:
        return self.s.rounding is not None

    def build(self) -> Document:
        blocks: list[Block] = [*self.given_note(), *self.rounding_note()]
        for part in (self.network, self.forward, self.output, self.backprop, self.update):
            blocks.extend(part())
        blocks.extend(self.rounding_summary())
        return Document(self.p.title, tuple(blocks))

    def given_note(self):
        """With --given: which values are the student's own, and what they replace."""
        if not self.s.computed:
            return
        from ..quantities import base_value  # only with --given

        for name, computed in self.s.computed.items():
            given = np.asarray(base_value(self.s, name))
            computed = np.asarray(computed)
            changed = np.flatnonzero(given != computed)
            if given.ndim == 2 and 0 < len(changed) < given.size:
                # a weight's derivative given one element at a time: those elements, by name
                parts = [(element_name(name, given.shape, int(k), self.p.bias), given.flat[k], computed.flat[k]) for k in changed]
            else:
                parts = [("y_hat" if name == f"beta{self.p.n_layers}" else name, given, computed)]
            for shown, value, before in parts:
                yield Para(("Given: ", M(f"{shown} = {_answer_text(value, self.d)}"), " in place of the computed ",
                            M(_answer_text(before, self.d)), "; everything after it follows from it."))

    def rounding_note(self):
        if self.rounded:
            yield Para((f"Hand-rounded working: every intermediate is rounded to {self.s.rounding.describe()}, "
                        "before the next step uses it (≈ marks a rounded result).",))

    def rounding_summary(self):
        if not self.rounded:
            return
        name, difference = self.s.max_difference()
        yield Heading(("Rounding",))
        yield Para((f"Rounded to {self.s.rounding.describe()}, at every step, the largest difference from the exact "
                    "result is ", M(self.f(difference)), ", in ", M(name), "."))
        if self.s.optimizer_step is not None:
            from .optimizer import rounded_denominator

            yield from rounded_denominator(self.s.optimizer_step, self.s.exact.optimizer_step, self.s.rounding, self.p.bias)

    def equations(self, *lines: tuple[str, ...]) -> Equations:
        """Lines whose last term is a computed value: written ≈ when the working is rounded."""
        return Equations(tuple(lines), approx=self.rounded)

    def heading(self, question: Optional[int], *parts: Inline) -> Heading:
        """Numbered as the worksheet's questions when the network has the worksheet's two layers."""
        if question is not None and self.p.n_layers == 2:
            parts = (f"Q{question}. ",) + parts
        return Heading(tuple(parts))

    def matrix(self, name: str, s: LayerSolution, values) -> Matrix:
        r0 = first_row(self.p.bias)
        labels = tuple(self.input(s.layer, r + r0) for r in range(values.shape[0]))
        return Matrix(name, labels, tuple(tuple(self.f(v) for v in row) for row in values), r0)

    def weights(self, new: str, s: LayerSolution, values) -> list:
        """A layer's weights (values: the bias-row form) as the convention writes them: W^l with
        its bias row (bias-row), or W^l and the vector b^l (Wx+b, xW+b)."""
        l = s.layer
        if self.convention == "bias-row":
            return [self.matrix(f"{new}W{l}", s, values)]
        W, b = to_convention(values, self.convention, self.p.bias)
        if self.convention == "Wx+b":  # rows: the layer's neurons j; columns: its inputs i
            labels = tuple(self.neuron("alpha", l, j + 1) if l < self.p.n_layers or self.widths[-1] > 1 else f"alpha{l}" for j in range(W.shape[0]))
            blocks = [Matrix(f"{new}W{l}", labels, tuple(tuple(self.f(v) for v in row) for row in W), 1, ("j", "i"))]
        else:
            labels = tuple(self.input(l, i + 1) for i in range(W.shape[0]))
            blocks = [Matrix(f"{new}W{l}", labels, tuple(tuple(self.f(v) for v in row) for row in W), 1)]
        if b is not None:
            shown = self.f(b[0]) if self.p.shared_bias else "[" + ", ".join(self.f(v) for v in b) + "]"  # shared: one number
            blocks.append(Equations(((f"{new}b{l}", shown),)))
        return blocks

    def network(self):
        p = self.p
        yield self.heading(2, "The network and the shapes of the weights")
        rows = [("input", str(len(p.x)), "", "", "")]
        prev = "input" if len(p.x) == 1 else "inputs"
        for s in self.s.layers:
            n_rows, cols = s.W.shape
            bias = " + bias" if p.bias else ""
            what = "output" if s.layer == p.n_layers else "neuron"
            rows.append(
                (
                    str(s.layer),
                    str(cols),
                    s.activation,
                    M(f"W{s.layer}"),
                    f"{n_rows} × {cols} = ({n_rows - p.bias} {prev}{bias}) × {cols} {what}{'s' if cols != 1 else ''}",
                )
            )
            prev = f"from layer {s.layer}"
        if self.convention != "bias-row":  # the shapes as the convention writes them
            rows = [rows[0]] + [self.convention_shape(s, row) for s, row in zip(self.s.layers, rows[1:])]
        yield Table(("layer", "neurons", "activation", "weights", "shape"), tuple(rows))
        loss = LOSSES[p.loss]
        if p.updates and p.optimizer is not None:
            from .optimizer import describe

            yield Para((f"Loss {p.loss}: ", M(f"l = {loss.formula}"), *self.l2_words(), "; learning rate ", M(f"lambda = {self.f(p.learning_rate)}"),
                        f"; optimizer {describe(p.optimizer, p)}", *((f", weight decay {self.f(p.optimizer.weight_decay)}",) if p.optimizer.weight_decay else ()), "."))
        elif p.updates:
            yield Para((f"Loss {p.loss}: ", M(f"l = {loss.formula}"), *self.l2_words(), "; learning rate ", M(f"lambda = {self.f(p.learning_rate)}"), "."))
        else:
            yield Para((f"Loss {p.loss}: ", M(f"l = {loss.formula}"), *self.l2_words(), "; no learning rate, so the derivatives only, no update."))
        if p.label_class is not None:
            yield Para(("The label ", M("y"), f" is given as class {p.label_class} of {len(p.y)}, one-hot: ",
                        M(f"y = [{', '.join(self.f(v) for v in p.y)}]"), "."))
        if self.convention == "Wx+b":
            yield Para(("Convention Wx+b: ", M("alpha = W beta + b"), ", each W has a row per neuron j and a column per input i: W[j,i] is the weight into neuron j from input i"
                        + self.bias_clause(),))
        elif self.convention == "xW+b":
            yield Para(("Convention xW+b: ", M("alpha = beta W + b"), " with row-vector inputs, each W has a row per input i and a column per neuron j: W[i,j] is the weight from input i into neuron j"
                        + self.bias_clause(),))
        elif p.bias:
            yield Para(("Row 0 of each weight matrix holds the bias weights, row i the weights from input i, column j the weights into neuron j.",))
        yield from self.shared_note()
        if p.bias and not p.train_bias:
            yield Para(("train_bias is false: the bias weights (row 0) are used but not updated." if self.convention == "bias-row"
                        else "train_bias is false: the biases are used but not updated.",))
        for s in self.s.layers:
            yield from self.weights("", s, s.W)

    def l2_words(self) -> tuple:
        """', plus the l2 term 1/2 (0.01) sum_i w_i^2' where the loss has one."""
        if not self.p.l2:
            return ()
        return (", plus the l2 term ", M(f"1/2 {self.pf(self.p.l2)} sum_i w_i^2"),
                " (the biases too)" if self.p.decay_bias or not self.p.bias else " (not the biases)")

    def l2_term(self, s: LayerSolution, r: int) -> float:
        """l2 times the factor the l2 term gives weight row r of layer s (0 for an undecayed bias row)."""
        p = self.p
        return 0.0 if not p.l2 or (p.bias and r == 0 and not p.decay_bias) else p.l2

    def bias_clause(self) -> str:
        """The end of the sentence on the convention: what b is."""
        if not self.p.bias:
            return "."
        return ", b the layer's one bias." if self.p.shared_bias else ", b[j] the bias of neuron j."

    def shared_note(self):
        """bias: shared: one bias per layer, and its derivative the sum over the layer's neurons."""
        if not (self.p.bias and self.p.shared_bias):
            return
        if self.convention == "bias-row":
            yield Para(("bias: shared: row 0 of each W is the layer's one bias, the same in every column (",
                        M("W1[0,j]"), " is that bias for every j). It is one parameter: its derivative is the sum over the layer's neurons, ",
                        M("dl/dW[0,j] = sum_k delta_k"), ", and the update changes every entry of row 0 alike."))
        else:
            yield Para(("bias: shared: one bias per layer, used by every neuron of the layer; its derivative is the sum over the layer's neurons, ",
                        M("dl/db = sum_j delta_j"), "."))

    def convention_shape(self, s: LayerSolution, row: tuple) -> tuple:
        """A row of the network table with the shapes of W^l and b^l as the convention writes them."""
        n_rows, cols = s.W.shape
        inputs = n_rows - (1 if self.p.bias else 0)
        shape = f"{cols} × {inputs} (neurons × inputs)" if self.convention == "Wx+b" else f"{inputs} × {cols} (inputs × neurons)"
        if self.p.bias:
            shape += f", b{s.layer}: 1, shared" if self.p.shared_bias else f", b{s.layer}: {cols}"
        return (*row[:4], shape)

    def forward(self):
        p = self.p
        for s in self.s.layers:
            l = s.layer
            q = 3 + 2 * (l - 1)
            last = l == p.n_layers
            yield self.heading(q, f"Into layer {l}: ", M(f"alpha{l} = {self.layer_formula(l)}"))
            vector, values = self.input_vector(l), s.input
            if self.convention != "bias-row" and p.bias:
                vector, values = self.input_vector(l)[4:-1], s.input[1:]  # [1; x] -> x: the bias is b's
            yield Equations(((vector, f"[{', '.join(self.f(v) for v in values)}]"),))
            lines = []
            for j in range(s.W.shape[1]):
                name = self.neuron("alpha", l, j + 1)
                if len(s.input) <= MAX_WRITTEN_TERMS:
                    terms = self.terms(s, j)
                else:
                    terms = f"sum_i W{l}[i,{j + 1}] input_i ({len(s.input)} terms)"
                lines.append(self.worked(name, f"alpha{l}", j, terms, s.alpha[j]))
            yield self.equations(*lines)
            act = ACTIVATIONS[s.activation]
            out = "y_hat = " if last else ""
            yield self.heading(q + 1, f"Out of layer {l}: ", M(f"{out}beta{l} = {s.activation}(alpha{l})"))
            variable, formula = "a", act.formula
            if "a" in (self.notation.symbol("alpha"), self.notation.symbol("beta")):  # a is a layer's output here: t
                variable, formula = "t", re.sub(r"\ba(?=\b|_)", "t", formula)
            yield Equations(((f"{s.activation}({variable})", formula),))
            lines = []
            denominator = " + ".join(f"e^({self.f(a)})" for a in s.alpha)
            for j in range(len(s.beta)):
                name = self.neuron("beta", l, j + 1)
                if act.derivative is None:  # softmax: every output depends on every alpha
                    working = f"e^({self.f(s.alpha[j])}) / ({denominator})"
                else:
                    working = f"{s.activation}({self.f(s.alpha[j])})"
                lines.append(self.worked(name, f"beta{l}", j, working, s.beta[j]))
            yield self.equations(*lines)

    def layer_formula(self, l: int) -> str:
        """alpha^l from its input, as the convention writes it."""
        before = "x" if l == 1 else f"beta{l - 1}"
        b = f" + b{l}" if self.p.bias else ""
        if self.convention == "Wx+b":
            return f"W{l} {before}{b}"
        if self.convention == "xW+b":
            return f"{before} W{l}{b}"
        return f"W{l}^T {self.input_vector(l)}"

    def terms(self, s: LayerSolution, j: int) -> str:
        """The sum that makes alpha^l_j, term by term with the numbers, in the convention's order:
        weight times input (bias-row, Wx+b; the bias row's input 1 first in bias-row, b last in
        the others), input times weight (xW+b)."""
        pf, W, inputs = self.pf, s.W, s.input
        if self.convention == "bias-row":
            return " + ".join(f"{pf(W[r, j])}{pf(inputs[r])}" for r in range(len(inputs)))
        r0 = 1 if self.p.bias else 0
        if self.convention == "Wx+b":
            terms = [f"{pf(W[r, j])}{pf(inputs[r])}" for r in range(r0, len(inputs))]
        else:
            terms = [f"{pf(inputs[r])}{pf(W[r, j])}" for r in range(r0, len(inputs))]
        return " + ".join(terms + ([pf(W[0, j])] if self.p.bias else []))

    def output(self):
        p, s = self.p, self.s
        yield self.heading(7, "The predicted class")
        if p.activations[-1] == "softmax":
            k = int(s.prediction.argmax()) + 1
            yield Para(
                ("The class is the output with the largest ", M("y_hat"), f": output {k}, with ",
                 M(f"{self.y_hat(k)} = {self.f(s.y_hat[k - 1])}"), f" (one-hot {s.prediction.tolist()}).")
            )
        else:
            for k, (yh, c) in enumerate(zip(s.y_hat, s.prediction), start=1):
                which = "Class" if len(s.y_hat) == 1 else f"Output {k}: class"
                rel = ">=" if c else "<"
                yield Para((f"{which} {c}, since ", M(f"{self.y_hat(k)} = {self.f(yh)} {rel} {self.f(p.threshold)}"), " (the threshold)."))
        yield self.heading(8, "The loss")
        if s.penalty or p.l2:
            from .optimizer import l2_blocks

            yield self.equations(("l", self.loss_working(), self.f(s.loss - s.penalty)))
            yield from l2_blocks(self, s.penalty, s.loss)
        else:
            yield self.equations(("l", self.loss_working(), self.f(s.loss)))

    def loss_working(self) -> str:
        p, s, f = self.p, self.s, self.f
        pairs = list(zip(p.y, s.y_hat))
        squares = " + ".join(f"({f(y)} - {f(yh)})^2" for y, yh in pairs)
        if p.loss == "squared_error":
            return f"1/2 ({f(pairs[0][0])} - {f(pairs[0][1])})^2" if len(pairs) == 1 else f"1/2 [{squares}]"
        if p.loss == "mse":
            return f"1/{len(pairs)} [{squares}]"
        if p.loss == "binary_cross_entropy":
            return "-[" + " + ".join(f"{f(y)} log({f(yh)}) + (1 - {f(y)}) log(1 - {f(yh)})" for y, yh in pairs) + "]"
        terms = [f"{f(y)} log({f(yh)})" for y, yh in pairs if y != 0]
        return "-[" + " + ".join(terms or ["0"]) + "]"

    def backprop(self):
        yield self.heading(9, "Backpropagation: every derivative" + (", before any weight changes" if self.p.updates else ""))
        yield from self.deltas()
        update = ("; the update is ", M("w - lambda dl/dw")) if self.p.updates and self.p.optimizer is None else (
            (f"; the update is {self.p.optimizer.title}'s, below",) if self.p.updates else ())
        if self.p.l2:
            update = (", plus ", M(f"{self.pf(self.p.l2)} w"), " from the l2 term" + (" (not for a bias)" if self.p.bias and not self.p.decay_bias else ""), *update)
        if self.convention == "bias-row":
            yield Para(("Each weight's derivative is its input times the delta of its neuron, ",
                        M("dl/dW[i,j] = input_i * delta_j"), ", with input 0 = 1 for the bias",
                        *((" (a shared bias: the sum over its row, ", M("sum_j delta_j"), ")") if self.p.shared_bias else ()), *update, "."))
        else:
            each = "delta_j * input_i" if self.convention == "Wx+b" else "input_i * delta_j"
            weight = "W[j,i]" if self.convention == "Wx+b" else "W[i,j]"
            yield Para(("Each weight's derivative is its input times the delta of its neuron, ",
                        M(f"dl/d{weight} = {each}"), *self.bias_derivative(),
                        *update, "."))
        for layer in reversed(self.s.layers):
            yield self.weight_table(layer)

    def bias_derivative(self) -> tuple:
        """How a bias's derivative is made (Wx+b, xW+b), for the sentence on the weights' derivatives."""
        if not self.p.bias:
            return ()
        if self.p.shared_bias:
            return (", and the shared bias's is the sum of its layer's deltas, ", M("dl/db = sum_j delta_j"))
        return (", and a bias's is its neuron's delta, ", M("dl/db[j] = delta_j"))

    def deltas(self):
        """delta^L from the loss, then each hidden layer's delta from the layer after it."""
        p, s, f = self.p, self.s, self.f
        L = p.n_layers
        out = s.layers[-1]
        K = len(s.y_hat)
        factors = [output_factors(s, k) for k in range(1, K + 1)]
        if s.simplified_delta is not None:
            yield Para((f"With {out.activation} outputs and {p.loss} the derivative of the activation cancels: ",
                        M(f"delta{L} = dl/dalpha{L} = {s.simplified_delta}"), "."))
            yield self.equations(*(self.factor_line(paths[0][0], self.neuron("delta", L, k))
                                   for k, paths in enumerate(factors, start=1)))
        elif out.derivative is not None:
            yield Para((M(f"delta{L} = dl/dalpha{L} = dl/dy_hat * dy_hat/dalpha{L}"), ", with ",
                        M(f"dy_hat/dalpha{L} = {out.activation}'(alpha{L})"), ":"))
            lines = []
            for k, [[dl, dy]] in enumerate(factors, start=1):
                lines += [self.factor_line(dl), self.factor_line(dy)]
                lines.append(self.worked(self.neuron("delta", L, k), f"delta{L}", k - 1, f"{self.pf(dl.value)}{self.pf(dy.value)}", out.delta[k - 1]))
            yield self.equations(*lines)
        else:  # softmax with a loss that does not simplify: every output reaches every alpha
            yield Para(("The softmax Jacobian is ", M(f"dy_hat_j/dalpha{L}_k = y_hat_j(delta_jk - y_hat_k)"),
                        ", so ", M(f"delta{L}_k = sum_j dl/dy_hat_j * dy_hat_j/dalpha{L}_k"), ":"))
            yield self.equations(*(self.factor_line(paths[0]) for paths in [factors[0][m] for m in range(K)]))
            lines = []
            for k, paths in enumerate(factors, start=1):
                terms = " + ".join(f"{self.pf(dl.value)}{self.pf(dy.value)}" for dl, dy in paths)
                lines.append((self.neuron("delta", L, k), terms, f(out.delta[k - 1])))
            yield self.equations(*lines)
        r0 = first_row(p.bias)
        for l in range(L - 1, 0, -1):
            s_l, s_next = s.layers[l - 1], s.layers[l]
            act = ACTIVATIONS[s_l.activation]
            W_next = f"W{l + 1}" + (" without its bias row" if p.bias else "")
            back = {"Wx+b": f"(W{l + 1}^T delta{l + 1})", "xW+b": f"(delta{l + 1} W{l + 1}^T)"}.get(self.convention, f"({W_next}) delta{l + 1}")
            yield Para((M(f"delta{l} = {s_l.activation}'(alpha{l}) (.) {back}"), ", with ",
                        M(f"{s_l.activation}'(alpha{l}) = {derivative_formula(act, f'beta{l}', f'alpha{l}')}"), ":"))
            lines = []
            for j in range(len(s_l.delta)):
                row = j + 1 - r0  # the array row of W^{l+1} holding the weights from neuron j+1
                terms = " + ".join(f"{self.pf(s_next.W[row, k])}{self.pf(s_next.delta[k])}" for k in range(len(s_next.delta)))
                working = [f"{f(s_l.derivative[j])} * [{terms}]"]
                if self.rounded and s_l.dl_dbeta is not None:  # by hand the sum is rounded first
                    working.append(f"{f(s_l.derivative[j])} * {self.pf(s_l.dl_dbeta[j])}")
                lines.append(self.worked(self.neuron("delta", l, j + 1), f"delta{l}", j, *working, s_l.delta[j]))
            yield self.equations(*lines)

    def worked(self, name: str, base: str, index, *working) -> tuple[str, ...]:
        """name = working = value; where the value was given (--given), the given value instead,
        and what the working gives beside it: the working no longer leads to the value shown."""
        *steps, value = working
        computed = self.s.computed.get(base)
        if computed is not None and computed[index] != value:
            return (name, f"{self.f(value)} (given; the working gives {self.f(computed[index])})")
        return (name, *steps, self.f(value))

    def factor_line(self, factor, name: Optional[str] = None) -> tuple[str, ...]:
        """symbol = formula = the formula with its numbers = value."""
        line = [name or factor.symbol, factor.formula]
        with_numbers = substitute(factor.formula, factor.values, self.f)
        if with_numbers != factor.formula and with_numbers != self.f(factor.value):
            line.append(with_numbers)
        return (*line, self.f(factor.value))

    def weight_table(self, s: LayerSolution) -> Table:
        p = self.p
        r0 = first_row(p.bias)
        rows = []
        shared = p.bias and p.shared_bias
        for r, j in self.cells(s):
            i = r + r0
            if True:
                kept = i == 0 and not p.train_bias
                name, product = weight_name(s.layer, i, j + 1), f"{self.pf(s.input[r])}{self.pf(s.delta[j])}"
                if shared and i == 0:  # W1[0,j] (b1 in Wx+b): the sum over the layer's neurons
                    name = f"W{s.layer}[0,j]" if len(s.delta) > 1 else name
                    many = len(s.delta) > MAX_WRITTEN_TERMS
                    product = f"sum_j delta{s.layer}_j" if many else " + ".join(f"{self.pf(s.input[0])}{self.pf(d)}" for d in s.delta)
                row = (
                    M(name),
                    self.f(s.W[r, j]),
                    M(product + (f" + {self.pf(self.l2_term(s, r))}{self.pf(s.W[r, j])}" if self.l2_term(s, r) else "")),
                    self.f(s.grad_W[r, j]) + (" (given)" if self.given_gradient(s.layer, r, j) else ""),
                )
                # the new weight, where the problem has a learning rate
                rows.append(row + ((self.f(s.updated_W[r, j]) + (" (kept)" if kept else ""),) if p.updates else ()))
        update = ((M("w - lambda dl/dw") if p.optimizer is None else M("new w")),) if p.updates else ()
        return Table(
            ("weight", M("w"), M("input * delta" + (" + l2 w" if p.l2 else "")), M("dl/dw"), *update),
            tuple(rows),
            title=(f"Layer {s.layer}",),
            numeric=(False, True, False, True, True)[:4 + len(update)],
        )

    def cells(self, s: LayerSolution) -> list[tuple[int, int]]:
        """(array row, array column) of every weight of a layer, in the order the convention
        writes them (notation.weight_order)."""
        return weight_order(self.convention, self.p.bias, self.p.shared_bias, *s.W.shape[:2])

    def given_gradient(self, layer: int, r: int, c: int) -> bool:
        computed = self.s.computed.get(f"dl/dW{layer}")
        return computed is not None and computed[r, c] != self.s.layers[layer - 1].grad_W[r, c]

    def update(self):
        if not self.p.updates:
            return  # no learning rate: no update
        if self.s.optimizer_step is not None:
            from .optimizer import OptimizerWorking

            yield from OptimizerWorking(self, self.s.optimizer_step, [s.W for s in self.s.layers], [s.grad_W for s in self.s.layers]).blocks()
            yield Heading(("Updated weights (", self.s.optimizer_step.optimizer.title, ", ", M(f"lambda = {self.f(self.p.learning_rate)}"), ")"))
        else:
            yield Heading(("Updated weights (", M(f"lambda = {self.f(self.p.learning_rate)}"), ")"))
        for s in self.s.layers:
            yield from self.weights("new ", s, s.updated_W)


def solution_document(solution: Solution, digits: int) -> Document:
    return in_notation(SolutionDocument(solution, digits).build(), Notation.of(solution.problem))


def steps_document(problem, steps, digits: int) -> Document:
    """SGD step by step: each step's whole working, then the weights it leaves for the next."""
    per_epoch = len(problem.examples) or 1
    blocks: list[Block] = [Para((f"Stochastic gradient descent: {len(steps)} steps, one update per example "
                                 f"({per_epoch} examples a pass, {len(steps) // per_epoch} "
                                 f"epoch{'s' if len(steps) // per_epoch != 1 else ''}); each step starts from the weights "
                                 "the step before it left.",))]
    for n, step in enumerate(steps, start=1):
        p = step.solution.problem
        label = () if p.label_class is None else (f" (class {p.label_class})",)
        blocks.append(Heading((f"Step {n} of {len(steps)}: epoch {step.epoch}, example {step.example}: ",
                               M(f"x = [{', '.join(fmt(v, digits) for v in p.x)}]"), ", ",
                               M(f"y = [{', '.join(fmt(v, digits) for v in p.y)}]"), *label), level=0))
        blocks.extend(solution_document(step.solution, digits).blocks)
    return Document(problem.title, tuple(blocks))


# -- nnsolve grad --------------------------------------------------------------------------


def route(path) -> list[str]:
    """The nodes a path passes from the weight to the loss, read off its factors' symbols."""
    nodes = [path[-1].symbol.split("/d", 1)[1]]
    nodes += [f.symbol.split("/", 1)[0][1:] for f in reversed(path)]
    return nodes


class GradDocument(SolutionDocument):
    """The chain rule for one weight, factor by factor, with the numbers plugged in."""

    def __init__(self, solution: Solution, grad, digits: int):
        super().__init__(solution, digits)
        self.g = grad

    def build(self) -> Document:
        g = self.g
        blocks: list[Block] = [Heading((M(f"dl/d{g.weight}"), ": the chain rule for ", M(g.weight), f" = {self.f(g.value)}"))]
        if self.p.examples:
            blocks.append(Para((f"The problem has {len(self.p.examples)} examples; this is the first step, on the first: ",
                                M(f"x = [{', '.join(self.f(v) for v in self.p.x)}]"), ".")))
        blocks.extend(self.given_note())
        blocks.extend(self.rounding_note())
        blocks.extend(self.paths_text())
        if g.path_count > MAX_WRITTEN_PATHS:
            blocks.extend(self.recursion())
        else:
            blocks.extend(self.written_paths())
        blocks.extend(self.update_text())
        blocks.extend(self.rounding_summary())
        return Document(self.p.title, tuple(blocks))

    def rounding_summary(self):
        g = self.g
        if g.rounding is None:
            return
        yield Heading(("Rounding",))
        yield Para((f"Rounded to {g.rounding.describe()}, at every step, ", M(f"dl/d{g.weight}"), " is ",
                    M(self.f(g.gradient)), "; exactly it is ", M(self.f(g.exact_gradient)), ", a difference of ",
                    M(self.f(abs(g.gradient - g.exact_gradient))), ". (The rounded working of nnsolve run, which goes "
                    "through delta, may differ in the last digit.)"))
        if self.s.optimizer_step is not None and self.s.exact is not None:
            from .optimizer import rounded_denominator

            yield from rounded_denominator(self.s.optimizer_step, self.s.exact.optimizer_step, g.rounding, self.p.bias,
                                           only=(g.layer, g.row, g.column))

    def paths_text(self):
        g = self.g
        if g.path_count == 1:
            nodes = route(g.paths[0])
            inner = nodes[1:-1]  # between the weight and the loss: ... -> alpha^L (-> y_hat)
            through = [M(n) for n in (inner[:-1] if inner and inner[-1] == "y_hat" else inner)]
            via: list[Inline] = []
            for n, node in enumerate(through):
                if n:
                    via.append(" and " if n == len(through) - 1 else ", ")
                via.append(node)
            source = g.paths[0][-1].formula
            src: Inline = "the bias term 1" if source == "1" else M(source)
            yield Para((M(g.weight), " affects ", M("y_hat"), " only through ", *via, ", from ", src, ": ", M(" -> ".join(nodes)), "."))
            if g.shared:
                yield Para((M(g.weight), f" is layer {g.layer}'s one bias (bias: shared); the layer has one neuron.",))
        elif g.shared:
            n = self.widths[g.layer]
            which = ((f" is row 0 of W{g.layer}, layer {g.layer}'s one shared bias (bias: shared: every ", M(f"W{g.layer}[0,j]"), " names it)")
                     if self.convention == "bias-row" else (f" is layer {g.layer}'s one shared bias (bias: shared)",))
            yield Para((M(g.weight), *which, f", used by all {n} neurons of the layer: it reaches the loss through each of them, by {g.path_count} paths; ",
                        M(f"dl/d{g.weight}"), " is the sum over them of the product of the factors along each."))
        else:
            yield Para((M(g.weight), f" reaches the loss by {g.path_count} paths; ", M(f"dl/d{g.weight}"),
                        " is the sum over them of the product of the factors along each."))

    def written_paths(self):
        g, f = self.g, self.f
        chains = [" * ".join(x.symbol for x in path) for path in g.paths]
        yield Equations(((f"dl/d{g.weight}", " + ".join(chains)),) if len(chains) == 1 else
                        ((f"dl/d{g.weight}", chains[0]),) + tuple(("", "+ " + c) for c in chains[1:]))
        totals = g.path_products()
        for n, (path, value) in enumerate(zip(g.paths, totals), start=1):
            title = (f"Path {n}: ", M(" -> ".join(route(path)))) if len(g.paths) > 1 else ("The factors",)
            rows = tuple((M(x.symbol), M(x.formula), M(substitute(x.formula, x.values, f)), f(x.value)) for x in path)
            yield Table(("factor", "formula", "with the numbers", "value"), rows, title=tuple(title), numeric=(False, False, False, True))
            yield self.equations(("product", "".join(self.pf(x.value) for x in path), f(value)))
        term = self.l2_term(self.s.layers[g.layer - 1], g.row - first_row(self.p.bias))
        if term:  # the l2 term of the loss adds l2 w
            yield Para(("The l2 term of the loss adds ", M(f"{self.pf(term)} {g.weight}"), " to the derivative:"))
            yield self.equations((f"dl/d{g.weight}", " + ".join(self.pf(v) for v in totals) + f" + {self.pf(term)}{self.pf(g.value)}", f(g.gradient)))
        elif len(totals) > 1:
            yield self.equations((f"dl/d{g.weight}", " + ".join(self.pf(v) for v in totals), f(g.gradient)))
        else:
            yield Equations(((f"dl/d{g.weight}", f(g.gradient)),))

    def delta_rule(self) -> str:
        """Backpropagation's recursion for one neuron's delta, W indexed as the convention writes
        it: W[j,k] from neuron j to neuron k of the layer after (bias-row, xW+b); W[k,j] in Wx+b."""
        w = "W[k,j]" if self.convention == "Wx+b" else "W[j,k]"
        return f"delta_j = f'(alpha_j) * sum_k {w} delta_k"

    def recursion(self):
        """Past a handful of paths, the sum is written the way backpropagation computes it."""
        g, f = self.g, self.f
        l, j = g.layer, g.column
        last = g.paths[0][-1]
        if g.shared:  # the one bias of the layer: the sum of its neurons' deltas
            deltas = self.s.layers[l - 1].delta
            yield Para((M(f"dl/d{g.weight} = sum_j delta{l}_j"), ": the bias enters every ", M(f"alpha{l}_j"),
                        " with the factor 1, so its derivative is the sum of the layer's deltas, each from the layer after it: ",
                        M(self.delta_rule()), "."))
            yield from self.deltas()
            names = [self.neuron("delta", l, k) for k in range(1, len(deltas) + 1)]
            if len(names) > MAX_WRITTEN_TERMS:
                yield self.equations((f"dl/d{g.weight}", f"sum_j delta{l}_j ({len(names)} terms)", f(g.gradient)))
            else:
                yield self.equations((f"dl/d{g.weight}", " + ".join(names), " + ".join(self.pf(d) for d in deltas), f(g.gradient)))
            return
        delta = self.neuron("delta", l, j)
        yield Para((M(f"dl/d{g.weight} = {delta} * d{self.neuron('alpha', l, j)}/d{g.weight}"),
                    ", where each delta comes from the layer after it: ",
                    M(self.delta_rule()), "."))
        yield from self.deltas()
        yield self.equations((f"dl/d{g.weight}", f"{delta} * {last.formula}",
                              f"{self.pf(self.s.layers[l - 1].delta[j - 1])}{self.pf(last.value)}", f(g.gradient)))

    def update_text(self):
        g, f = self.g, self.f
        if g.learning_rate is None:
            return  # the problem has no learning rate: the derivative only
        yield Heading(("The update",))
        if not g.trained:
            yield Para((M(g.weight), f" is a bias weight and train_bias is false: it stays {f(g.value)}.",))
            return
        step = self.s.optimizer_step
        if step is not None:  # the optimizer's working of this weight, after its derivative
            from .optimizer import OptimizerWorking, describe, rule_lines

            working = OptimizerWorking(self, step, [s.W for s in self.s.layers], [s.grad_W for s in self.s.layers])
            yield Para((f"{describe(step.optimizer, self.p)}, step ", M(f"t = {step.t}"), ", learning rate ",
                        M(f"lambda = {f(step.learning_rate)}"), ", with ", M("g = dl/dw"), ":"))
            yield Equations(tuple(rule_lines(step.optimizer)))
            yield self.equations(*working.lines(g.layer, g.row - first_row(self.p.bias), g.column - 1))
            return
        yield self.equations((f"new {g.weight}", f"{g.weight} - lambda dl/d{g.weight}",
                              f"{f(g.value)} - {self.pf(g.learning_rate)}{self.pf(g.gradient)}", f(g.updated)))


def grad_document(solution: Solution, grad, digits: int) -> Document:
    return in_notation(GradDocument(solution, grad, digits).build(), Notation.of(solution.problem))


def grad_table_document(solution: Solution, grads, digits: int) -> Document:
    """--all: every weight of the network, one row each (and its update, with a learning rate)."""
    if not solution.problem.updates:
        rows = tuple((M(g.weight), fmt(g.value, digits), fmt(g.gradient, digits)) for g in grads)
        return Document(solution.problem.title, (Table(("weight", M("w"), M("dl/dw")), rows, numeric=(False, True, True)),))
    rows = tuple(
        (M(g.weight), fmt(g.value, digits), fmt(g.gradient, digits), fmt(g.updated, digits) + ("" if g.trained else " (kept)"))
        for g in grads
    )
    table = Table(("weight", M("w"), M("dl/dw"), M("w - lambda dl/dw" if solution.problem.optimizer is None else "new w")), rows, numeric=(False, True, True, True))
    return in_notation(Document(solution.problem.title, (table,)), Notation.of(solution.problem))


# -- nnsolve check -------------------------------------------------------------------------


def _answer_text(values, digits: int) -> str:
    values = list(map(float, getattr(values, "flat", [values])))
    shown = [fmt(v, digits) for v in values]
    return shown[0] if len(shown) == 1 else "[" + ", ".join(shown) + "]"


def _answer_cell(values, digits: int) -> str:
    """An answer in a table cell: a matrix a row a line, as it is written; else _answer_text."""
    if np.ndim(values) == 2 and np.shape(values)[0] > 1:
        cells = [[fmt(float(v), digits) for v in row] for row in np.asarray(values)]
        widths = [max(len(row[c]) for row in cells) for c in range(len(cells[0]))]  # each column aligned
        return "\n".join("[" + ", ".join(v.rjust(w) for v, w in zip(row, widths)) + "]" for row in cells)
    return _answer_text(values, digits)


def check_document(report, tolerance, digits: int) -> Document:
    """One sheet: every answer with the key, what follows from the student's answers, the verdict."""
    rows, notes = [], []
    for g in report.graded:
        rows.append(
            (
                M(g.quantity),
                _answer_cell(g.answer, digits),
                _answer_cell(g.key, digits),
                "" if g.recomputed is None else _answer_cell(g.recomputed, digits),
                g.verdict,
            )
        )
        if g.verdict == "wrong":
            if g.slip is not None:
                notes.append(Para((M(g.quantity), f" is wrong: {g.slip.explanation} (", M(g.slip.formula), ").")))
            elif g.departure is None:
                notes.append(Para((M(g.quantity), " is wrong: your working first leaves the key here.")))
            elif not g.carry_forward:
                notes.append(Para((M(g.quantity), " is wrong (your working first left the key at ", M(g.departure),
                                   "; errors are not carried forward).")))
            else:
                notes.append(Para((M(g.quantity), " is wrong, and not right from your own earlier answers either "
                                   "(they first left the key at ", M(g.departure), ").")))
    carried = [g for g in report.graded if g.verdict == "carried forward"]
    if carried:
        names: list[Inline] = []
        for n, g in enumerate(carried):
            names += ([", "] if n else []) + [M(g.quantity)]
        notes.append(Para(("Carried forward, right from your own earlier answers (they first left the key at ",
                           M(carried[0].departure), "): ", *names, ".")))
    who = f" ({report.student})" if report.student else ""
    blocks: list[Block] = [
        Heading((f"{report.sheet}{who}",)),
        Table(("answer", "yours", "key", "from your answers", "verdict"), tuple(rows), numeric=(False, True, True, True, False)),
        *notes,
        Para((summary(report, tolerance),)),
    ]
    return Document(None, tuple(blocks))


def summary(report, tolerance) -> str:
    from ..grading import CARRIED, CORRECT, WRONG

    first = f"; first wrong: {report.first_wrong}" if report.first_wrong else ""
    return (
        f"Score {fmt(report.score, 2)} of {fmt(report.max_score, 2)}: {report.count(CORRECT)} correct, "
        f"{report.count(CARRIED)} carried forward, {report.count(WRONG)} wrong{first} ({tolerance.describe()})."
    )


def class_document(rows, tolerance) -> Document:
    """Many sheets, one row each; a sheet that could not be read gets its reason instead."""
    from ..grading import CARRIED, CORRECT, WRONG

    folder, names = shared_folder([sheet for sheet, _, _ in rows])
    table_rows = []
    for name, (sheet, report, error) in zip(names, rows):
        if error is not None:
            table_rows.append((name, "", "", "", "", "", f"error: {error}"))
            continue
        table_rows.append(
            (
                name,
                report.student or "",
                f"{fmt(report.score, 2)}/{fmt(report.max_score, 2)}",
                str(report.count(CORRECT)),
                str(report.count(CARRIED)),
                str(report.count(WRONG)),
                report.first_wrong or "",
            )
        )
    table = Table(
        ("sheet", "student", "score", "correct", "carried forward", "wrong", "first wrong"),
        tuple(table_rows),
        numeric=(False, False, True, True, True, True, False),
    )
    graded = [r for _, r, e in rows if e is None]
    errors = len(rows) - len(graded)
    where = f" in {folder}{os.sep}" if folder else ""
    text = (f"{count(len(graded), 'sheet')} graded{where} ({tolerance.describe()})"
            + (f", {errors} could not be read." if errors else "."))
    return Document(None, (table, Para((text,))))


def shared_folder(paths: list[str]) -> tuple[str, list[str]]:
    """The folder all the sheets share ("" where they share none, or there is one sheet), and
    their paths without it, so that a narrow table still tells them apart ("s001.yaml", not
    "../inst/cla...")."""
    if len(paths) < 2:
        return "", list(paths)
    try:
        folder = os.path.commonpath([os.path.dirname(p) for p in paths])
    except ValueError:  # absolute and relative paths, or other drives
        return "", list(paths)
    if not folder:
        return "", list(paths)
    return folder, [os.path.relpath(p, folder) for p in paths]