"""The chain rule for one weight, factor by factor, read off a Solution.

A weight W^l[i,j] reaches the loss through alpha^l_j and, from there, through every chain of
neurons in the later layers: the derivative is the sum over those paths of the product of
their factors. Each factor keeps its symbol, its general formula and the values the formula
uses, so a renderer can write `beta1_1(1 - beta1_1) = 0.5(1 - 0.5) = 0.25`.

Read off a hand-rounded Solution, every factor is a rounded intermediate, and the gradient is
worked as a person does: each path's product rounded, their sum rounded, then the update.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from . import network
from .errors import NnsolveError
from .notation import first_row, input_name, parse_weight_in, weight_name, weight_order
from .solution import Solution

if TYPE_CHECKING:  # rounding (and decimal) load only for --round
    from .rounding import Rounding

MAX_LISTED_PATHS = 4096  # past this, the one path through delta^l_j stands for them all


@dataclass(frozen=True)
class Factor:
    """One factor of a chain-rule path: its symbol, its formula, the values in it, its value."""

    symbol: str  # dalpha2/dbeta1_1
    formula: str  # W2[1,1]
    values: tuple[tuple[str, float], ...]  # the names in formula and their values: (("W2[1,1]", 2.0),)
    value: float


@dataclass(frozen=True)
class WeightGradient:
    """dl/dw for one weight w = W^l[i,j], with the paths that make it up."""

    weight: str  # W2[1,1]
    layer: int
    row: int  # i, from 0 = the bias row (from 1 with bias: false)
    column: int  # j, from 1
    value: float  # w
    paths: tuple[tuple[Factor, ...], ...]  # each from the loss back to the weight
    path_count: int  # the number of paths; more than len(paths) when they are summarised by delta
    gradient: float  # dl/dw: as backpropagation computed it; with rounding, the rounded chain rule
    learning_rate: Optional[float]  # None: the problem has none, and so no update
    updated: Optional[float]  # w - learning_rate dl/dw (rounded with rounding); w when not trained; None without a learning rate
    trained: bool  # False for a bias weight with train_bias: false
    rounding: Optional[Rounding] = None  # the solution's: None for exact working
    exact_gradient: Optional[float] = None  # dl/dw without rounding (gradient itself when exact)
    exact_updated: Optional[float] = None  # the update without rounding (updated itself when exact); None without a learning rate
    # with an optimizer (solution.optimizer_step): its step t, this weight's state before the step
    # and every intermediate of its working ((name, value), in order); 0 and () for plain SGD
    optimizer_t: int = 0
    optimizer_before: tuple[tuple[str, float], ...] = ()
    optimizer_working: tuple[tuple[str, float], ...] = ()
    # a layer's one shared bias (bias: shared; weight is any entry of row 0, all of them that
    # bias): it reaches the loss through every neuron of its layer, and the paths are theirs
    shared: bool = False

    def path_products(self) -> tuple[float, ...]:
        """The product of each path's factors, rounded as the gradient's working rounds it."""
        return tuple(_path_product(path, self.rounding) for path in self.paths)


def resolve_ref(solution: Solution, ref: str) -> tuple[int, int, int]:
    """(layer, i, j) of a weight name, checked against the network; NnsolveError if it has none."""
    p = solution.problem
    try:
        layer, i, j = parse_weight_in(p.convention, ref, p.bias, p.shared_bias)
    except ValueError as e:
        raise NnsolveError(str(e), key=ref) from None
    if not 1 <= layer <= p.n_layers:
        raise NnsolveError(
            f"the network has no layer {layer}", key=ref, fix=f"layers are W1..W{p.n_layers}"
        )
    rows, cols = p.weights[layer - 1].shape
    r0 = first_row(p.bias)
    if not (r0 <= i < r0 + rows and 1 <= j <= cols):
        if p.convention == "bias-row":
            fix = f"W{layer} has rows {r0}..{r0 + rows - 1} and columns 1..{cols}"
        else:
            inputs = rows - (1 if p.bias else 0)
            shape = f"{cols} x {inputs} (neurons x inputs)" if p.convention == "Wx+b" else f"{inputs} x {cols} (inputs x neurons)"
            fix = f"W{layer} is {shape}" + (f"; b{layer} has {cols} (b{layer}[1]..b{layer}[{cols}])" if p.bias else "")
        raise NnsolveError("out of range", key=ref, fix=fix)
    return layer, i, j


# -- symbols ---------------------------------------------------------------------------


def neuron(kind: str, layer: int, k: int, width: int) -> str:
    """alpha2 for a layer of one neuron (as the worksheet writes it), alpha2_1 otherwise."""
    return f"{kind}{layer}" if width == 1 else f"{kind}{layer}_{k}"


def y_hat(k: int, width: int) -> str:
    return "y_hat" if width == 1 else f"y_hat_{k}"


def y_label(k: int, width: int) -> str:
    return "y" if width == 1 else f"y_{k}"


@functools.lru_cache(maxsize=1024)  # the same few names again and again, for a class's sheets
def derivative_formula(activation: network.Activation, beta: str, alpha: str) -> str:
    """An activation's derivative, written for one neuron (or layer) named beta = f(alpha)."""
    template = activation.derivative_formula
    template = re.sub(r"\bbeta\^", f"({beta})^", template)
    template = re.sub(r"\bbeta\b", beta, template)
    return re.sub(r"\ba\b", alpha, template)


# -- paths ---------------------------------------------------------------------------------


class _PathBuilder:
    def __init__(self, solution: Solution, number=float):
        self.s = solution
        self.number = number  # float; for Work.members(), each value an array over the members
        self.p = solution.problem
        self.sizes = self.p.sizes
        self.L = self.p.n_layers
        self.loss = network.LOSSES[self.p.loss]
        self.out_act = network.ACTIVATIONS[self.p.activations[-1]]

    def sym(self, kind: str, layer: int, k: int) -> str:
        """The name of neuron k of a layer; the output layer's beta is y_hat."""
        if kind == "beta" and layer == self.L:
            return y_hat(k, self.sizes[-1])
        return neuron(kind, layer, k, self.sizes[layer])

    def output_factors(self, k: int) -> list[list[Factor]]:
        """dl/dalpha^L_k as one or more products: the first factors of every path through k."""
        s, L, K = self.s, self.L, self.sizes[-1]
        a_k = self.sym("alpha", L, k)
        if s.simplified_delta is not None:
            formula = re.sub(r"\by\b", y_label(k, K), s.simplified_delta)
            formula = re.sub(r"\by_hat\b", y_hat(k, K), formula)
            values = ((y_hat(k, K), self.number(s.y_hat[k - 1])), (y_label(k, K), self.number(self.p.y[k - 1])))
            return [[Factor(f"dl/d{a_k}", formula, values, self.number(s.layers[-1].delta[k - 1]))]]
        outputs = range(1, K + 1) if self.out_act.derivative is None else (k,)
        products = []
        for m in outputs:
            yh, y = y_hat(m, K), y_label(m, K)
            dl = Factor(
                f"dl/d{yh}",
                self.loss_formula(m),
                ((y, self.number(self.p.y[m - 1])), (yh, self.number(s.y_hat[m - 1]))),
                self.number(s.dl_dy_hat[m - 1]),
            )
            if self.out_act.derivative is None:  # softmax: y_hat_m(delta_mk - y_hat_k)
                yk = y_hat(k, K)
                formula = f"{yh}(1 - {yh})" if m == k else f"-{yh} {yk}"
                values = ((yh, self.number(s.y_hat[m - 1])),) if m == k else ((yh, self.number(s.y_hat[m - 1])), (yk, self.number(s.y_hat[k - 1])))
            else:
                formula = derivative_formula(self.out_act, yh, a_k)
                values = ((yh, self.number(s.y_hat[m - 1])), (a_k, self.number(s.layers[-1].alpha[k - 1])))
            dy = Factor(f"d{yh}/d{a_k}", formula, _used(formula, values), self.number(s.dy_hat_dalpha[m - 1, k - 1]))
            products.append([dl, dy])
        return products

    def loss_formula(self, m: int) -> str:
        return _loss_formula(self.loss.grad_formula, m, self.sizes[-1])

    def hidden_factors(self, t: int, k: int, j: int) -> list[Factor]:
        """dalpha^(t+1)_k / dbeta^t_j = W^(t+1)[j,k], then dbeta^t_j / dalpha^t_j = f'(alpha^t_j)."""
        s, p = self.s, self.p
        nxt, cur = s.layers[t], s.layers[t - 1]
        row = j - first_row(p.bias)
        w = weight_name(t + 1, j, k)
        b, a = self.sym("beta", t, j), self.sym("alpha", t, j)
        act = network.ACTIVATIONS[cur.activation]
        formula = derivative_formula(act, b, a)
        values = ((b, self.number(cur.beta[j - 1])), (a, self.number(cur.alpha[j - 1])))
        return [
            Factor(f"d{self.sym('alpha', t + 1, k)}/d{b}", w, ((w, self.number(nxt.W[row, k - 1])),), self.number(nxt.W[row, k - 1])),
            Factor(f"d{b}/d{a}", formula, _used(formula, values), self.number(cur.derivative[j - 1])),
        ]

    def input_factor(self, layer: int, i: int, j: int, k: Optional[int] = None) -> Factor:
        """dalpha_k/dW[i,j]: the weight's input (1 for a bias); k is j but for a shared bias,
        whose one weight W[0,j] reaches every neuron k of its layer."""
        s = self.s.layers[layer - 1]
        a = self.sym("alpha", layer, j if k is None else k)
        w = weight_name(layer, i, j)
        value = self.number(s.input[i - first_row(self.p.bias)])
        if i == 0 and self.p.bias:
            return Factor(f"d{a}/d{w}", "1", (), 1.0)
        name = input_name(layer, i) if layer == 1 else self.sym("beta", layer - 1, i)
        return Factor(f"d{a}/d{w}", name, ((name, value),), value)

    def paths(self, layer: int, i: int, j: int) -> tuple[list[list[Factor]], int]:
        """Every path from the loss to W^layer[i,j], or the one through delta when there are too
        many; a shared bias's, through each neuron of its layer in turn."""
        neurons = range(1, self.sizes[layer] + 1) if shared_bias(self.p, i) else (j,)
        count = self.path_count(layer) * len(neurons)
        result = []
        for k in neurons:
            last = self.input_factor(layer, i, j, k)
            if count > MAX_LISTED_PATHS:
                delta = self.number(self.s.layers[layer - 1].delta[k - 1])
                d = neuron("delta", layer, k, self.sizes[layer])
                a = self.sym("alpha", layer, k)
                result.append([Factor(f"dl/d{a}", d, ((d, delta),), delta), last])
            else:
                self._extend(layer, k, [last], result)
        return result, count

    def path_count(self, layer: int) -> int:
        later = self.sizes[layer + 1 :]  # neurons of each later layer
        count = math.prod(later)
        if self.s.simplified_delta is None and self.out_act.derivative is None:
            count *= self.sizes[-1]  # softmax: each alpha^L reaches every y_hat
        return count

    def _extend(self, t: int, k: int, tail: list[Factor], result: list) -> None:
        """Paths from neuron k of layer t forward; tail holds the factors already written (weight side)."""
        if t == self.L:
            for head in self.output_factors(k):
                result.append(head + tail)
            return
        for k_next in range(1, self.sizes[t + 1] + 1):
            self._extend(t + 1, k_next, self.hidden_factors(t, k_next, k) + tail, result)


@functools.lru_cache(maxsize=1024)
def _loss_formula(grad_formula: str, m: int, K: int) -> str:
    """dl/dy_hat_m written for output m of K."""
    formula = grad_formula.replace("2/K", f"2/{K}")
    formula = re.sub(r"\by_hat\b", y_hat(m, K), formula)
    return re.sub(r"\by\b", y_label(m, K), formula)


def _used(formula: str, values) -> tuple[tuple[str, float], ...]:
    """Only the values a formula names (a sigmoid's derivative needs beta, a relu's alpha)."""
    return tuple((n, v) for n, v in values if _names(formula, n))


@functools.lru_cache(maxsize=4096)
def _names(formula: str, name: str) -> bool:
    return re.search(rf"(?<![\w\[]){re.escape(name)}(?![\w\]])", formula) is not None


def shared_bias(problem, i: int) -> bool:
    """Whether row i of a W is a layer's one shared bias (bias: shared)."""
    return i == 0 and problem.bias and problem.shared_bias


def weight_gradient(solution: Solution, ref: str) -> WeightGradient:
    """The chain rule for the weight named ref (any spelling of notation.parse_weight_ref)."""
    layer, i, j = resolve_ref(solution, ref)
    return gradient_of(solution, layer, i, j)


def gradient_of(solution: Solution, layer: int, i: int, j: int) -> WeightGradient:
    p = solution.problem
    s = solution.layers[layer - 1]
    r = i - first_row(p.bias)
    paths, count = _PathBuilder(solution).paths(layer, i, j)
    paths = tuple(tuple(path) for path in paths)
    trained = not (p.bias and i == 0 and not p.train_bias)
    value = float(s.W[r, j - 1])
    updates = p.learning_rate is not None  # without a learning rate, the derivative only
    gradient, updated = float(s.grad_W[r, j - 1]), float(s.updated_W[r, j - 1]) if updates else None
    exact_gradient, exact_updated = gradient, updated
    rounding = solution.rounding
    if rounding is not None:
        exact = solution.exact.layers[layer - 1]
        exact_gradient = float(exact.grad_W[r, j - 1])
        exact_updated = float(exact.updated_W[r, j - 1]) if updates else None
        # by hand the chain rule is its own working, not a copy of backpropagation's rounded
        # dl/dW: the two can differ in the last digit
        gradient = rounding.apply(sum(_path_product(path, rounding) for path in paths))
        if getattr(p, "l2", 0.0) and not (p.bias and i == 0 and not p.decay_bias):  # the l2 term's l2 w
            gradient = rounding.apply(gradient + rounding.apply(p.l2 * value))
        if updates and getattr(p, "optimizer", None) is not None:  # the optimizer's rounded working (solution.optimizer_step)
            updated = float(s.updated_W[r, j - 1])
        elif updates:
            updated = rounding.apply(value - p.learning_rate * gradient) if trained else value
    return WeightGradient(
        weight=weight_name(layer, i, j),
        layer=layer,
        row=i,
        column=j,
        value=value,
        paths=paths,
        path_count=count,
        gradient=gradient,
        learning_rate=p.learning_rate,
        updated=updated,
        trained=trained,
        rounding=rounding,
        exact_gradient=exact_gradient,
        exact_updated=exact_updated,
        **_optimizer_of(solution, layer, r, j - 1),
        shared=shared_bias(p, i),
    )


def _optimizer_of(solution: Solution, layer: int, r: int, c: int) -> dict:
    """One weight's part of the solution's optimizer step (WeightGradient's optimizer_ fields)."""
    step = getattr(solution, "optimizer_step", None)
    if step is None:
        return {}
    return {
        "optimizer_t": step.t,
        "optimizer_before": tuple((n, float(v[r, c])) for n, v in step.before.layer(layer).items()),
        "optimizer_working": tuple((n, float(v[r, c])) for n, v in step.layers[layer - 1].working),
    }


def _path_product(path, rounding: Optional[Rounding]) -> float:
    """The product of a path's factor values; rounded, as a person writes it, with rounding."""
    product = math.prod(f.value for f in path)
    return product if rounding is None else rounding.apply(product)


def all_weights(solution: Solution):
    """(layer, i, j) of every weight, layer by layer, each layer's in the order its convention
    writes them (notation.weight_order); a shared bias once, as W[0,1]."""
    p = solution.problem
    r0 = first_row(p.bias)
    for s in solution.layers:
        for r, c in weight_order(p.convention, p.bias, p.shared_bias, *s.W.shape):
            yield s.layer, r + r0, c + 1


def substitute(formula: str, values, fmt) -> str:
    """The formula with each name replaced by its value, as fmt writes it."""
    for name, value in sorted(values, key=lambda nv: -len(nv[0])):
        text = fmt(value)
        if value < 0:
            text = f"({text})"
        formula = re.sub(rf"(?<![\w\[]){re.escape(name)}(?![\w\]])", lambda _m: text, formula)
    return formula


def factor_paths(solution: Solution, layer: int, i: int, j: int, number=float) -> list[list[Factor]]:
    """The paths of gradient_of(solution, layer, i, j). number converts each factor's value: float
    for one solution; for the Solution of several members (Work.members), np.asarray keeps each
    value an array over the members."""
    return _PathBuilder(solution, number).paths(layer, i, j)[0]


def output_factors(solution: Solution, k: int) -> list[list[Factor]]:
    """The first factors of every path through output neuron k: [dl/dy_hat_m, dy_hat_m/dalpha^L_k]
    for each output m it reaches (only m = k unless softmax), or [dl/dalpha^L_k] where it simplifies."""
    return _PathBuilder(solution).output_factors(k)
