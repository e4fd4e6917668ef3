"""The terminal output of `nnsolve run`: the worksheet's questions in order, in its notation.

Rich tables on a terminal; plain text (no colour, no box drawing) when piped or NO_COLOR.
"""

from __future__ import annotations

import re
from typing import Iterable, Optional

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..chain import derivative_formula, substitute
from ..network import ACTIVATIONS, LOSSES
from ..notation import first_row, weight_name
from ..solution import LayerSolution, Solution
from .numbers import fmt, paren

MAX_WRITTEN_TERMS = 10  # past this fan-in, alpha is given as a dot product, not term by term

_SUP = str.maketrans("0123456789-T", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻ᵀ")
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def sup(n) -> str:
    return str(n).translate(_SUP)


def sub(n) -> str:
    return str(n).translate(_SUB)


_GREEK = {"alpha": "α", "beta": "β", "delta": "δ"}
_SYMBOL = re.compile(
    r"(?P<greek>alpha|beta|delta)(?P<layer>\d+)?(?:_(?P<k>\d+))?(?![a-z])"
    r"|y_hat(?:_(?P<yk>\d+))?|\b(?P<xy>[xy])_(?P<xk>\d+)"
)


def _symbol(m: re.Match) -> str:
    if m.group("greek"):
        layer, k = m.group("layer"), m.group("k")
        return _GREEK[m.group("greek")] + (sup(layer) if layer else "") + (sub(k) if k else "")
    if m.group("xy"):
        return m.group("xy") + sub(m.group("xk"))
    return "ŷ" + (sub(m.group("yk")) if m.group("yk") else "")


_OPERATORS = (
    ("dl/d", "∂ℓ/∂"), ("/d", "/∂"), ("delta_jk", "δⱼₖ"), ("sum_k", "Σₖ"), ("y_k", "yₖ"), ("y_hat_k", "ŷₖ"),
    ("beta_j", "βⱼ"), ("beta_k", "βₖ"), ("a_j", "aⱼ"), ("a_k", "aₖ"), ("^2", "²"), ("1/2 ", "½ "), ("*", "·"),
)


def pretty(text: str) -> str:
    """ASCII math in the worksheet's symbols: y_hat -> ŷ, alpha2_1 -> α²₁, dl/dy_hat -> ∂ℓ/∂ŷ.
    A minus sign becomes −, but not the sign of a number written into the text."""
    for ascii_, uni in _OPERATORS:
        text = text.replace(ascii_, uni)
    if text.startswith("d") and "/∂" in text:  # a derivative dA/dB
        text = "∂" + text[1:]
    text = _SYMBOL.sub(_symbol, text)
    return re.sub(r"-(?![\d.])", "−", text)


class TerminalRenderer:
    """Builds the rich renderables for one Solution."""

    def __init__(self, solution: Solution, digits: int, plain: bool):
        self.s = solution
        self.p = solution.problem
        self.d = digits
        self.box = None if plain else box.SIMPLE_HEAD

    def f(self, v: float) -> str:
        return fmt(v, self.d)

    # -- names --------------------------------------------------------------

    def input_symbol(self, layer: int, i: int) -> str:
        if i == 0 and self.p.bias:
            return "1"
        return f"x{sub(i)}" if layer == 1 else f"β{sup(layer - 1)}{sub(i)}"

    def y_hat_symbol(self, k: int) -> str:
        return "ŷ" if len(self.s.y_hat) == 1 else f"ŷ{sub(k)}"

    def input_vector(self, layer: int) -> str:
        prev = "x" if layer == 1 else f"β{sup(layer - 1)}"
        return f"[1; {prev}]" if self.p.bias else prev

    # -- sections -----------------------------------------------------------

    def renderables(self) -> Iterable:
        if self.p.title:
            yield Text(self.p.title, style="bold")
            yield Text("")
        yield from self.network()
        yield from self.forward()
        yield from self.output()
        yield from self.backprop()
        yield from self.update()

    def heading(self, text: str, question: Optional[int] = None) -> Text:
        """A section title; numbered as the worksheet's questions when the network has its shape."""
        if question is not None and self.p.n_layers == 2:
            text = f"Q{question}. {text}"
        return Text(text, style="bold underline")

    def network(self):
        p = self.p
        yield self.heading("The network and the shapes of the weights", 2)
        t = Table(box=self.box, show_edge=False)
        for col in ("layer", "neurons", "activation", "weights", "shape"):
            t.add_column(col)
        t.add_row("input", str(len(p.x)), "", "", "")
        prev = "inputs"
        for s in self.s.layers:
            rows, cols = s.W.shape
            bias = " + bias" if p.bias else ""
            what = "output" if s.layer == p.n_layers else "neuron"
            t.add_row(
                str(s.layer),
                str(cols),
                s.activation,
                f"W{sup(s.layer)}",
                f"{rows} × {cols}  ({rows - p.bias} {prev}{bias}) × {cols} {what}{'s' if cols != 1 else ''}",
            )
            prev = f"from layer {s.layer}"
        yield t
        loss = LOSSES[p.loss]
        yield Text(f"loss: {p.loss}, ℓ = {pretty(loss.formula)}; learning rate λ = {self.f(p.learning_rate)}")
        if p.bias:
            yield Text("Row 0 of each Wˡ holds the bias weights; row i the weights from input i; column j the weights into neuron j.")
        if not p.train_bias and p.bias:
            yield Text("train_bias: false: the bias weights (row 0) are used but not updated.")
        for s in self.s.layers:
            yield self.matrix(f"W{sup(s.layer)}", s, s.W)
        yield Text("")

    def matrix(self, title: str, s: LayerSolution, M) -> Table:
        t = Table(title=title, title_justify="left", box=self.box, show_edge=False)
        t.add_column("row i")
        for j in range(1, M.shape[1] + 1):
            t.add_column(f"j={j}", justify="right")
        r0 = first_row(self.p.bias)
        for r, row in enumerate(M):
            i = r + r0
            label = f"{i} ({'bias' if i == 0 else self.input_symbol(s.layer, i)})"
            t.add_row(label, *(self.f(v) for v in row))
        return t

    def forward(self):
        p = self.p
        for s in self.s.layers:
            l = s.layer
            q = 3 + 2 * (l - 1)
            last = l == p.n_layers
            yield self.heading(f"Into layer {l}: α{sup(l)} = W{sup(l)}ᵀ {self.input_vector(l)}", q)
            shown = ", ".join(self.f(v) for v in s.input)
            yield Text(f"{self.input_vector(l)} = [{shown}]")
            for j in range(s.W.shape[1]):
                terms = [f"{paren(s.W[r, j], self.d)}{paren(s.input[r], self.d)}" for r in range(len(s.input))]
                name = f"α{sup(l)}{sub(j + 1)}"
                if len(terms) <= MAX_WRITTEN_TERMS:
                    yield Text(f"{name} = {' + '.join(terms)} = {self.f(s.alpha[j])}")
                else:
                    yield Text(f"{name} = Σᵢ W{sup(l)}ᵢ{sub(j + 1)} · input_i ({len(terms)} terms) = {self.f(s.alpha[j])}")
            yield Text("")
            act = ACTIVATIONS[s.activation]
            out = "ŷ = " if last else ""
            yield self.heading(f"Out of layer {l}: {out}β{sup(l)} = {s.activation}(α{sup(l)})", q + 1)
            yield Text(f"{s.activation}(a) = {pretty(act.formula)}")
            denominator = " + ".join(f"e^({self.f(a)})" for a in s.alpha)
            for j in range(len(s.beta)):
                name = self.y_hat_symbol(j + 1) + " = " if last else ""
                if act.derivative is None:  # softmax: every output depends on every alpha
                    working = f"e^({self.f(s.alpha[j])}) / ({denominator})"
                else:
                    working = f"{s.activation}({self.f(s.alpha[j])})"
                yield Text(f"{name}β{sup(l)}{sub(j + 1)} = {working} = {self.f(s.beta[j])}")
            yield Text("")

    def output(self):
        p, s = self.p, self.s
        yield self.heading("The predicted class", 7)
        if p.activations[-1] == "softmax":
            k = int(s.prediction.argmax()) + 1
            yield Text(f"class = argmax ŷ = output {k} (ŷ{sub(k)} = {self.f(s.y_hat[k - 1])}); one-hot {s.prediction.tolist()}")
        else:
            for k, (yh, c) in enumerate(zip(s.y_hat, s.prediction), start=1):
                rel = "≥" if c else "<"
                which = "class" if len(s.y_hat) == 1 else f"output {k}: class"
                yield Text(f"{which} {c}  ({self.y_hat_symbol(k)} = {self.f(yh)} {rel} threshold {self.f(p.threshold)})")
        yield Text("")
        yield self.heading("The loss", 8)
        yield Text(f"ℓ = {self.loss_working()} = {self.f(s.loss)}")
        yield Text("")

    def loss_working(self) -> str:
        p, s, f = self.p, self.s, self.f
        pairs = list(zip(p.y, s.y_hat))
        if p.loss == "squared_error":
            return "½ [" + " + ".join(f"({f(y)} − {f(yh)})²" for y, yh in pairs) + "]" if len(pairs) > 1 else f"½ ({f(pairs[0][0])} − {f(pairs[0][1])})²"
        if p.loss == "mse":
            return f"1/{len(pairs)} [" + " + ".join(f"({f(y)} − {f(yh)})²" for y, yh in pairs) + "]"
        if p.loss == "binary_cross_entropy":
            return "−[" + " + ".join(f"{f(y)}·log({f(yh)}) + (1 − {f(y)})·log(1 − {f(yh)})" for y, yh in pairs) + "]"
        terms = [f"{f(y)}·log({f(yh)})" for y, yh in pairs if y != 0]
        return "−[" + " + ".join(terms or ["0"]) + "]"

    def backprop(self):
        p, s, f = self.p, self.s, self.f
        L = p.n_layers
        out = s.layers[-1]
        yield self.heading("Backpropagation: every derivative, before any weight changes", 9)
        loss = LOSSES[p.loss]
        if s.simplified_delta is not None:
            yield Text(
                f"With {out.activation} outputs and {p.loss}, the derivative of the activation cancels: "
                f"δ{sup(L)} = ∂ℓ/∂α{sup(L)} = {pretty(s.simplified_delta)}"
            )
        else:
            if s.dl_dy_hat is not None:
                yield Text(f"∂ℓ/∂ŷ = {pretty(loss.grad_formula)}")
                for k, g in enumerate(s.dl_dy_hat, start=1):
                    yield Text(f"  ∂ℓ/∂{self.y_hat_symbol(k)} = {f(g)}")
            act = ACTIVATIONS[out.activation]
            if out.derivative is not None:
                yield Text(f"∂ŷ/∂α{sup(L)} = {out.activation}'(α{sup(L)}) = {pretty(derivative_formula(act, 'y_hat', f'alpha{L}'))}")
                for k, d in enumerate(out.derivative, start=1):
                    yield Text(f"  ∂{self.y_hat_symbol(k)}/∂α{sup(L)}{sub(k)} = {f(d)}")
                yield Text(f"δ{sup(L)} = ∂ℓ/∂α{sup(L)} = ∂ℓ/∂ŷ · ∂ŷ/∂α{sup(L)}")
            else:
                yield Text(f"∂ŷ/∂α{sup(L)} is the softmax Jacobian ŷⱼ(δⱼₖ − ŷₖ); δ{sup(L)} = (∂ŷ/∂α{sup(L)})ᵀ ∂ℓ/∂ŷ")
        for k, d in enumerate(out.delta, start=1):
            yield Text(f"  δ{sup(L)}{sub(k)} = {f(d)}")
        r0 = first_row(p.bias)
        for l in range(L - 1, 0, -1):
            s_l, s_next = s.layers[l - 1], s.layers[l]
            act = ACTIVATIONS[s_l.activation]
            W_next = f"(W{sup(l + 1)} without its bias row)" if p.bias else f"W{sup(l + 1)}"
            derivative = pretty(derivative_formula(act, f"beta{l}", f"alpha{l}"))
            yield Text(f"δ{sup(l)} = {s_l.activation}'(α{sup(l)}) ⊙ {W_next} δ{sup(l + 1)},  {s_l.activation}' = {derivative}")
            for j in range(len(s_l.delta)):
                row = j + 1 - r0  # array row of W^{l+1} holding the weights from neuron j+1
                terms = [f"{paren(s_next.W[row, k], self.d)}{paren(s_next.delta[k], self.d)}" for k in range(len(s_next.delta))]
                yield Text(f"  δ{sup(l)}{sub(j + 1)} = {f(s_l.derivative[j])} · [{' + '.join(terms)}] = {f(s_l.delta[j])}")
        yield Text("")
        yield Text(f"∂ℓ/∂Wˡᵢⱼ = (input i of layer l) · δˡⱼ, with input 0 = 1 for the bias")
        for layer in reversed(s.layers):
            yield self.weight_table(layer)
        yield Text("")

    def weight_table(self, s: LayerSolution) -> Table:
        p = self.p
        t = Table(title=f"Layer {s.layer}", title_justify="left", box=self.box, show_edge=False)
        for col, just in (("weight", "left"), ("w", "right"), ("∂ℓ/∂w = input · δ", "left"), ("", "right"), ("new w = w − λ ∂ℓ/∂w", "right")):
            t.add_column(col, justify=just)
        r0 = first_row(p.bias)
        for r in range(s.W.shape[0]):
            i = r + r0
            for j in range(s.W.shape[1]):
                kept = i == 0 and not p.train_bias
                t.add_row(
                    weight_name(s.layer, i, j + 1),
                    self.f(s.W[r, j]),
                    f"{paren(s.input[r], self.d)}{paren(s.delta[j], self.d)} =",
                    self.f(s.grad_W[r, j]),
                    self.f(s.updated_W[r, j]) + (" (kept)" if kept else ""),
                )
        return t

    def update(self):
        yield self.heading(f"Updated weights (λ = {self.f(self.p.learning_rate)})")
        for s in self.s.layers:
            yield self.matrix(f"new W{sup(s.layer)}", s, s.updated_W)


def _plain(console: Console) -> bool:
    return console.no_color or not console.is_terminal


def _print(console: Console, parts: Iterable) -> None:
    if not _plain(console):
        for part in parts:
            # a line of working is never wrapped mid-formula; tables fit the width
            console.print(part, highlight=False, soft_wrap=isinstance(part, Text))
        return
    with console.capture() as capture:
        for part in parts:
            console.print(part, highlight=False, soft_wrap=isinstance(part, Text))
    # piped text carries no padding after the last column
    console.file.write("".join(line.rstrip() + "\n" for line in capture.get().splitlines()))


def render(solution: Solution, console: Console, digits: int) -> None:
    _print(console, TerminalRenderer(solution, digits, _plain(console)).renderables())


# -- nnsolve grad ---------------------------------------------------------------------------


def route(path) -> list[str]:
    """The nodes a path passes from the weight to the loss, read off its factors' symbols."""
    nodes = [f.symbol.split("/d", 1)[1] for f in reversed(path)][:1]
    nodes += [f.symbol.split("/", 1)[0][1:] for f in reversed(path)]
    return nodes[:-1] + ["ℓ"]  # the last numerator is the loss, "l" in dl/d...


def product(values, digits: int) -> str:
    return "".join(paren(v, digits) for v in values)


class GradRenderer(TerminalRenderer):
    """The chain rule for one weight, factor by factor, with the numbers plugged in."""

    MAX_WRITTEN_PATHS = 8

    def __init__(self, solution: Solution, grad, digits: int, plain: bool):
        super().__init__(solution, digits, plain)
        self.g = grad

    def renderables(self) -> Iterable:
        g = self.g
        yield self.heading(f"∂ℓ/∂{g.weight}: the chain rule for {g.weight} = {self.f(g.value)}")
        yield from self.paths_text()
        yield Text("")
        if g.path_count > self.MAX_WRITTEN_PATHS:
            yield from self.recursion()
        else:
            yield from self.written_paths()
        yield Text("")
        yield from self.update_text()

    def paths_text(self):
        g = self.g
        paths = g.paths
        if g.path_count == 1:
            nodes = [pretty(n) for n in route(paths[0])]
            through = nodes[1:-2]
            via = ", ".join(through[:-1]) + (" and " if len(through) > 1 else "") + through[-1]
            source = paths[0][-1].formula
            source = "the bias term 1" if source == "1" else pretty(source)
            yield Text(f"{g.weight} affects ŷ only through {via}, from {source}: {' → '.join(nodes)}")
        else:
            yield Text(f"{g.weight} reaches the loss by {g.path_count} paths; ∂ℓ/∂{g.weight} is the sum over them of the product of the factors along each.")

    def written_paths(self):
        g, f = self.g, self.f
        symbols = [" · ".join(pretty(x.symbol) for x in path) for path in g.paths]
        yield Text(f"∂ℓ/∂{g.weight} = " + ("\n    + ".join(symbols) if len(symbols) > 1 else symbols[0]))
        totals = []
        for n, path in enumerate(g.paths, start=1):
            title = f"Path {n}: {' → '.join(pretty(x) for x in route(path))}" if len(g.paths) > 1 else "The factors"
            t = Table(title=title, title_justify="left", box=self.box, show_edge=False)
            for col, just in (("factor", "left"), ("formula", "left"), ("with the numbers", "left"), ("value", "right")):
                t.add_column(col, justify=just)
            for x in path:
                t.add_row(pretty(x.symbol), pretty(x.formula), pretty(substitute(x.formula, x.values, f)), f(x.value))
            yield t
            value = 1.0
            for x in path:
                value *= x.value
            totals.append(value)
            yield Text(f"product = {product([x.value for x in path], self.d)} = {f(value)}")
        if len(totals) > 1:
            yield Text(f"∂ℓ/∂{g.weight} = " + " + ".join(paren(v, self.d) for v in totals) + f" = {f(g.gradient)}")
        else:
            yield Text(f"∂ℓ/∂{g.weight} = {f(g.gradient)}")

    def recursion(self):
        """Past a handful of paths, the sum is written the way backpropagation computes it."""
        g, f = self.g, self.f
        l, j = g.layer, g.column
        last = g.paths[0][-1]
        yield Text(f"∂ℓ/∂{g.weight} = δ{sup(l)}{sub(j)} · ∂α{sup(l)}{sub(j)}/∂{g.weight}, where δˡⱼ = fˡ'(αˡⱼ) · Σₖ Wˡ⁺¹ⱼₖ δˡ⁺¹ₖ")
        for line in self.backprop():
            if isinstance(line, Text) and "δ" in line.plain and "∂ℓ/∂Wˡᵢⱼ" not in line.plain:
                yield line
        yield Text(
            f"∂ℓ/∂{g.weight} = δ{sup(l)}{sub(j)} · {pretty(last.formula)} = "
            f"{paren(self.s.layers[l - 1].delta[j - 1], self.d)}{paren(last.value, self.d)} = {f(g.gradient)}"
        )

    def update_text(self):
        g, f = self.g, self.f
        yield self.heading("The update")
        if not g.trained:
            yield Text(f"{g.weight} is a bias weight and train_bias is false: it stays {f(g.value)}.")
            return
        yield Text(
            f"new {g.weight} = {g.weight} − λ ∂ℓ/∂{g.weight} = {f(g.value)} − {paren(g.learning_rate, self.d)}"
            f"{paren(g.gradient, self.d)} = {f(g.updated)}"
        )


def render_grad(solution: Solution, grad, console: Console, digits: int) -> None:
    _print(console, GradRenderer(solution, grad, digits, _plain(console)).renderables())


def render_grad_table(solution: Solution, grads, console: Console, digits: int) -> None:
    """--all: every weight of the network, one row each."""
    r = TerminalRenderer(solution, digits, _plain(console))
    t = Table(box=r.box, show_edge=False)
    for col in ("weight", "w", "∂ℓ/∂w", "new w"):
        t.add_column(col, justify="left" if col == "weight" else "right")
    for g in grads:
        t.add_row(g.weight, r.f(g.value), r.f(g.gradient), r.f(g.updated) + ("" if g.trained else " (kept)"))
    _print(console, [t])
