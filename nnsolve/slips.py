"""The slips a grader knows, and the scale a tolerance is judged on.

For a quantity of the key, each slip is the value a common mistake gives, computed from the
key's own solution (never matched as text): the old weight for a new weight, the step added
rather than subtracted, lambda left out or applied twice, a derivative's sign flipped or left
at 0, delta without the activation's derivative, a hidden delta taken through the updated
weights of the next layer, alpha where beta was asked and the reverse, alpha without the bias
weight, one neuron's delta (or their mean) for a shared bias's sum of deltas, plain SGD's step
for an optimizer's, a weight matrix's shape transposed or with its bias row left out (or added).
grading.py marks an answer that lands on a slip wrong, and names it (docs/check.md).

Pure: a Solution in, arrays out. The Solution may be one member's or several members' at once
(solution.Work.members: every array, the problem's too, with the members on its last axis).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .quantities import base_value, split_base
from .solution import Solution


# every slip's name, as check --json writes it (the schema's enum; docs/check.md)
SLIP_NAMES = (
    "old weight", "added the step", "lambda missing", "lambda twice", "sign flipped", "zero",
    "no activation derivative", "updated weights", "beta for alpha", "bias left out", "alpha for beta",
    "rounding carried", "sum for mean", "mean for sum",
    # a shared bias's (bias: shared)
    "one neuron's delta",
    # an optimizer's (issue 19)
    "bias correction forgotten", "t off by one", "momentum left out", "weight decay left out", "plain SGD's step",
    # a weight matrix's shape
    "transposed", "bias added",
)


@dataclass(frozen=True)
class Slip:
    """One known mistake for a quantity: its name, what it means, and the value it gives (the
    whole base array: an element's slip is its element)."""

    name: str  # "old weight"
    explanation: str  # "this is the old weight: the update was not applied"
    formula: str  # "w", "w + lambda dl/dw"
    value: np.ndarray
    # False: named only on an answer outside the key's tolerance, never marking one within it down
    # (a slip that can come close to the key: a shared bias's one delta, rounding carried)
    demotes: bool = True


def slips_of(key: Solution, base: str) -> tuple[Slip, ...]:
    """Every known slip for a base quantity (alpha1, y_hat, delta2, dl/dW1, new W2, ...) of the
    key; () for a quantity with none."""
    return _slips_of(key, base) + _batch_slips(key, base)


def _batch_slips(key: Solution, base: str) -> tuple[Slip, ...]:
    """A batch's (batch: mean|sum, solution.Batch.as_solution): its dl/dW and new weights from the
    sum of the examples' derivatives where the mean was asked, or the mean for the sum."""
    p = key.problem
    n = len(p.examples)
    kind, l = split_base(base)
    if getattr(p, "batch", None) is None or n < 2 or kind not in ("dl/dW", "new W"):
        return ()
    s = key.layers[l - 1]
    if p.batch == "mean":
        name, factor, what = "sum for mean", float(n), f"the sum of the {n} examples' derivatives, not their mean"
        gradient, update = f"{n} dl/dw", f"w - {n} lambda dl/dw"
    else:
        name, factor, what = "mean for sum", 1.0 / n, f"the mean of the {n} examples' derivatives, not their sum"
        gradient, update = f"dl/dw / {n}", f"w - lambda dl/dw / {n}"
    if kind == "dl/dW":
        return (Slip(name, f"this is {what}", gradient, s.grad_W * factor),)
    step = s.W - s.updated_W  # lambda dl/dw, as applied (a kept bias row has none)
    return (Slip(name, f"the update was made from {what}", update, s.W - step * factor),)


def _optimizer_slips(key: Solution, l: int) -> list[Slip]:
    """The slips of a new weight under an optimizer: Adam's bias correction forgotten, the step
    number t off by one (where t enters the rule), the momentum (velocity) left out, an adaptive
    rule's (Adagrad's, RMSprop's, Adam's) left out for plain SGD's step, the weight decay left
    out; each the optimizer's own rule with that one thing changed. None marks down an answer
    within the key's tolerance (demotes=False): each can come as close to the key as the thing
    changed matters (bias correction at a large t, a small velocity, a small weight decay)."""
    from dataclasses import replace

    from .optimizers import Optimizer, State

    p = key.problem
    opt = p.optimizer
    state = p.state or State()
    t = state.step + 1
    g = key.layers[l - 1].grad_W
    found = []
    if opt.kind == "adam":
        found.append(Slip("bias correction forgotten", "the bias correction was left out: m and v in place of m_hat and v_hat",
                          "w - lambda m / (sqrt(v) + eps)", _updated(key, l, g, bias_correction=False), demotes=False))
    if opt.uses_step():
        found.append(Slip("t off by one", f"the step number is off by one: this is step t = {t}", f"t = {t + 1}", _updated(key, l, g, t=t + 1), demotes=False))
        if t > 1:
            found.append(Slip("t off by one", f"the step number is off by one: this is step t = {t}", f"t = {t - 1}", _updated(key, l, g, t=t - 1), demotes=False))
    if opt.kind == "sgd" and opt["momentum"] > 0:  # (at a first step the velocity is g: plain momentum's key, passed over; Nesterov's not)
        found.append(Slip("momentum left out", "the velocity was left out: this is plain SGD's step", "w - lambda g",
                          _updated(key, l, g, replace(opt, options=(("momentum", 0.0), ("dampening", 0.0), ("nesterov", False)))), demotes=False))
    elif opt.kind != "sgd":  # Adagrad, RMSprop, Adam, AdamW: w - lambda g, without (and with) the weight decay
        # named only outside the key's tolerance (demotes=False): where |g| is near 1, Adam's and
        # Adagrad's first step (about lambda sign(g)) is near plain SGD's
        rule = f"{opt.title}'s rule was left out: this is plain SGD's step"
        found.append(Slip("plain SGD's step", rule, "w - lambda dl/dw", _updated(key, l, g, Optimizer("sgd")), demotes=False))
        if opt.weight_decay:
            sgd = Optimizer("sgd", weight_decay=opt.weight_decay, decay_bias=opt.decay_bias)
            found.append(Slip("plain SGD's step", f"{rule}, with the weight decay", "w - lambda (dl/dw + weight_decay w)",
                              _updated(key, l, g, sgd), demotes=False))
    if opt.weight_decay:
        found.append(Slip("weight decay left out", "the weight decay was left out of the step", "weight_decay = 0", _updated(key, l, g, replace(opt, weight_decay=0.0)), demotes=False))
    return found


def _updated(key: Solution, l: int, g, opt=None, **changes) -> np.ndarray:
    """Layer l's new W as the key's update makes it, but from the gradient g (a slip's) and with
    the optimizer opt (the problem's by default) and its rule's changes (t, bias_correction):
    w - lambda g, or the optimizer's step from the problem's state; a bias row that
    train_bias: false keeps stays."""
    from .optimizers import State, decay_mask, rule

    p = key.problem
    s = key.layers[l - 1]
    W, g = np.asarray(s.W), np.asarray(g)
    opt = opt or p.optimizer
    if opt is None:
        value = W - p.learning_rate * g
    else:
        expand = W.ndim - 2  # members on the last axis (solution.Work.members)
        state = p.state or State()
        old = {n: np.asarray(v).reshape(np.shape(v) + (1,) * expand) for n, v in state.layer(l).items()}
        mask = decay_mask(W[(...,) + (0,) * expand] if expand else W, p.bias, opt.decay_bias).reshape(W.shape[:2] + (1,) * expand)
        value = rule(opt, p.learning_rate, W, g, old, changes.pop("t", state.step + 1), mask, None, **changes)[2]
    if p.bias and not p.train_bias:
        value = np.array(value)
        value[0] = W[0]
    return value


def _shared_bias_slips(key: Solution, kind: str, l: int) -> list[Slip]:
    """The slips of a shared bias's derivative (bias: shared: row 0 of dl/dW, the sum of the
    layer's deltas) and of the new bias made from it: one neuron's delta in place of the sum (each
    neuron's in turn; in bias-row also each entry of row 0 its own column's delta, as separate
    biases would have), and the deltas' mean. None for a layer of one neuron, whose delta is the
    sum, nor for a batch, whose deltas are each example's. Each is named only on an answer
    outside the key's tolerance (demotes=False): where the other deltas are small, one delta is
    within it, and no mistake a tolerance can see."""
    p = key.problem
    s = key.layers[l - 1]
    n = np.shape(s.delta)[0]
    if not (p.bias and getattr(p, "shared_bias", False)) or n < 2 or getattr(p, "batch", None) is not None:
        return []
    total = np.sum(s.delta, axis=0)
    why = f"the layer's one bias reaches the loss through each of its {n} neurons, so its derivative is the sum of their deltas"
    wrong = [(f"the delta of neuron {j} alone", f"delta{l}_{j}", "one neuron's delta", s.delta[j - 1]) for j in range(1, n + 1)]
    if getattr(p, "convention", "bias-row") == "bias-row":  # W1[0,j] each from its own neuron, in a whole dl/dW1
        wrong.append(("each neuron's own delta in its column of row 0, as separate biases would have", f"delta{l}_j in W{l}[0,j]",
                      "one neuron's delta", s.delta))
    wrong.append((f"the mean of the layer's {n} deltas", f"sum_j delta{l}_j / {n}", "mean for sum", total / n))
    found = []
    for what, formula, name, value in wrong:
        g = np.array(s.grad_W, dtype=np.float64)
        g[0] = g[0] - total + value  # the sum of the deltas, and only it, replaced (an l2 term stays)
        if kind == "dl/dW":
            found.append(Slip(name, f"this is {what}: {why}", formula, g, demotes=False))
        else:
            step = f"w - lambda {formula}" if p.optimizer is None else f"the step from dl/dw = {formula}"
            found.append(Slip(name, f"the update was made from {what}: {why}", step, _updated(key, l, g), demotes=False))
    return found


def _shape_slips(key: Solution, l: int) -> tuple[Slip, ...]:
    """The slips of W^l's shape, as the problem's convention writes it (quantities.base_value):
    its rows and columns swapped; in bias-row its bias row left out, in Wx+b and xW+b the bias
    counted in W as bias-row's row 0 is (one more input); and, swapped as well, the shape another
    convention writes (Wx+b's for bias-row, bias-row's for Wx+b). Each value has the members'
    axes of the key's W (solution.Work.members)."""
    p = key.problem
    W = np.asarray(key.layers[l - 1].W)
    rows, cols = W.shape[:2]
    n, m = rows - (1 if p.bias else 0), cols  # inputs, neurons
    convention = getattr(p, "convention", "bias-row")
    inputs, neurons, plus = "inputs", "neurons", "(inputs + 1)"
    orientation = (f"a row per neuron and a column per input, b{l} apart" if convention == "Wx+b" else
                   f"a row per input and a column per neuron, b{l} apart" if convention == "xW+b" else
                   "row 0 for the bias weights, then a row per input, and a column per neuron" if p.bias else
                   "a row per input and a column per neuron")
    if convention == "Wx+b":
        swapped = (n, m, f"{inputs} x {neurons}")
        found = [("transposed", f"the rows and columns are swapped: W{l} has {orientation}", *swapped)]
        if p.bias:
            found += [("bias added", f"the bias was counted in W{l} as one more input: W{l} has {orientation}", m, n + 1, f"{neurons} x {plus}"),
                      ("transposed", f"the rows and columns are swapped and the bias counted as a row: this is W{l} as bias-row writes it, "
                                     f"with row 0 for the bias; in Wx+b W{l} has {orientation}", n + 1, m, f"{plus} x {neurons}")]
    elif convention == "xW+b":
        found = [("transposed", f"the rows and columns are swapped: W{l} has {orientation}", m, n, f"{neurons} x {inputs}")]
        if p.bias:
            found.append(("bias added", f"the bias was counted in W{l} as one more input, as bias-row's row 0: W{l} has {orientation}",
                          n + 1, m, f"{plus} x {neurons}"))
    else:
        found = [("transposed", f"the rows and columns are swapped: W{l} has {orientation}", cols, rows,
                  f"{neurons} x {plus if p.bias else inputs}")]
        if p.bias:
            found += [("bias left out", f"the bias row was left out: W{l} has {orientation}", n, m, f"{inputs} x {neurons}"),
                      ("transposed", f"the rows and columns are swapped and the bias row left out: this is W{l} as Wx+b writes it, "
                                     f"b{l} apart; here W{l} has {orientation}", m, n, f"{neurons} x {inputs}")]
    members = W.shape[2:]
    return tuple(Slip(name, explanation, formula, np.stack([np.full(members, a, dtype=np.float64), np.full(members, b, dtype=np.float64)]))
                 for name, explanation, a, b, formula in found)


def _slips_of(key: Solution, base: str) -> tuple[Slip, ...]:
    p, layers = key.problem, key.layers
    L = len(layers)
    kind, l = split_base(base)
    if kind == "shape W":
        return _shape_slips(key, l)
    if base == "y_hat":
        kind, l = "beta", L
    if kind == "new W":
        s = layers[l - 1]
        step = s.W - s.updated_W  # lambda dl/dw, as applied (a kept bias row has none)
        found = [
            Slip("old weight", "this is the old weight: the update was not applied", "w", s.W),
            Slip("added the step", "the step was added instead of subtracted", "w + lambda dl/dw", s.W + step),
        ]
        if np.any(np.asarray(p.learning_rate) != 1):  # (where it is 1, the slip is the key: passed over)
            found += [
                Slip("lambda missing", "the learning rate was left out of the update", "w - dl/dw", s.W - step / p.learning_rate),
                Slip("lambda twice", "the learning rate was applied twice", "w - lambda^2 dl/dw", s.W - step * p.learning_rate),
            ]
        if getattr(p, "optimizer", None) is not None:
            found += _optimizer_slips(key, l)
        found += _shared_bias_slips(key, kind, l)
        return tuple(found)
    if kind in ("dl/dW", "delta"):
        s = layers[l - 1]
        gradient = kind == "dl/dW"
        values, what, symbol = (s.grad_W, "derivative", "dl/dw") if gradient else (s.delta, "delta", "delta")
        found = [
            Slip("sign flipped", f"the {what}'s sign is flipped", f"-{symbol}", -values),
            Slip("zero", f"a {what} of 0", "0", np.zeros_like(values)),
        ]
        plain = _delta_without_derivative(key, l)
        if plain is not None:
            found.append(Slip(
                "no activation derivative", "delta was taken without the activation's derivative f'(alpha)",
                "input * dl/dbeta, without f'(alpha)" if gradient else "dl/dbeta",
                s.input[:, None] * plain[None, :] if gradient else plain,  # input delta^T without f'
            ))
        if gradient:
            return tuple(found + _shared_bias_slips(key, kind, l))
        if l < L and s.derivative is not None and layers[l].updated_W is not None:  # (no update: no updated weights)
            after = layers[l]
            rows = slice(1, None) if p.bias else slice(None)
            found.append(Slip(
                "updated weights", f"delta was taken through the updated W{l + 1}: every derivative comes before any weight changes",
                f"f'(alpha) * (new W{l + 1}) delta{l + 1}", s.derivative * np.einsum("jk...,k...->j...", after.updated_W[rows], after.delta),
            ))
        return tuple(found)
    if kind == "alpha":
        s = layers[l - 1]
        found = [Slip("beta for alpha", f"this is beta{l}, the activation; alpha{l} is the sum before it", f"beta{l}", s.beta)]
        if p.bias and getattr(p, "convention", "bias-row") != "bias-row":
            found.append(Slip("bias left out", f"the biases b{l} were left out of alpha{l}", f"alpha{l} - b{l}", s.alpha - s.W[0]))
        elif p.bias:
            found.append(Slip("bias left out", f"the bias weights (row 0 of W{l}) were left out of alpha{l}", f"alpha{l} - W{l}[0,:]", s.alpha - s.W[0]))
        return tuple(found)
    if kind == "beta":
        s = layers[l - 1]
        name = "y_hat" if l == L else f"beta{l}"
        return (Slip("alpha for beta", f"this is alpha{l}, the sum before the activation; {name} is f(alpha{l})", f"alpha{l}", s.alpha),)
    return ()


# what people round every intermediate to, by hand: a wrong answer that one of these chains gives
# is named "rounding carried" (grading.py). The worksheet itself wrote 0.999 for sigmoid(24).
HAND_ROUNDINGS = tuple((digits, mode) for digits in (4, 3, 2) for mode in ("half-up", "truncate"))


def rounding_slips(chains, base: str) -> tuple[Slip, ...]:
    """The "rounding carried" slip of a base quantity for each hand-rounded chain: (Rounding, the
    key solved with every intermediate rounded so, solution.Work) pairs."""
    found = []
    for r, chain in chains:
        verb, done = ("cutting", "cut") if r.mode == "truncate" else ("rounding", "rounded")
        found.append(Slip(
            "rounding carried",
            f"this is what {verb} every value to {r.digits} decimals and carrying it on gives: keep more digits until the end",
            f"the working, every value {done} to {r.digits} decimals",
            np.asarray(base_value(chain, base)),
            demotes=False,
        ))
    return tuple(found)


def _delta_without_derivative(key: Solution, l: int):
    """What delta^l is without f'(alpha^l): dl/dbeta^l (dl/dy_hat at the output); None where
    delta has no such factor (softmax, or a delta taken directly, y_hat - y)."""
    s = key.layers[l - 1]
    if s.derivative is None:
        return None
    if l < len(key.layers):
        return s.dl_dbeta
    return key.dl_dy_hat


def scale_of(key: Solution, base: str, index: tuple, target: np.ndarray) -> Optional[np.ndarray]:
    """What the tolerance of an answer aimed at target (the key's value of base[index], or the
    student's own recomputed one) is judged on: for a new weight its step, |target - old weight|
    (so that the old weight is never within it); for a derivative or a delta its own size (so
    that 0 is never within it); None for the others (their own size, as the tolerance has it).
    target may hold members on its last axis."""
    kind, l = split_base(base)
    if kind == "new W":
        old = np.asarray(key.layers[l - 1].W)[index]
        return np.abs(np.asarray(target) - np.reshape(old, np.shape(old) + (1,) * (np.ndim(target) - np.ndim(old))))
    if kind in ("dl/dW", "delta"):
        return np.abs(target)
    return None
