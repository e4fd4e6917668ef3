"""An optimizer's step as working (issue 19): the rule's formulas, then per parameter matrix and
per weight the state update with the numbers (v <- 0.9 v + g; m <- 0.9 m + (1 - 0.9) g;
m_hat = m / (1 - 0.9^t); ...), then the new weight. `nnsolve run` shows every weight's, `grad`
the chosen weight's, a batch's from its combined gradient. The blocks are document.py's, in
nnsolve's own names (document.in_notation writes them in the problem's notation).
"""

from __future__ import annotations

import re
from typing import Optional

import numpy as np

from ..notation import first_row, weight_name
from ..optimizers import Optimizer, Step, rounded_to_nothing
from .document import Block, Equations, Heading, M, Para
from .numbers import fmt

MAX_WRITTEN_WEIGHTS = 12  # past this many weights in a layer, its state is shown as matrices


def rule_lines(opt: Optimizer) -> list[tuple[str, str]]:
    """(name, formula) of each line of the rule, with the options' numbers in place; g is dl/dw
    (plus the weight decay where it adds to the gradient), lambda the learning rate."""

    n = number

    lines: list[tuple[str, str]] = []
    wd = opt.weight_decay
    if wd and not opt.decoupled:
        lines.append(("g", f"dl/dw + {n(wd)} w"))
    if wd and opt.decoupled:
        lines.append(("decayed w", f"w - lambda ({n(wd)}) w"))
    if opt.kind == "sgd":
        mu = opt["momentum"]
        if mu > 0:
            damp = f"(1 - {n(opt['dampening'])}) g" if opt["dampening"] else "g"
            lines.append(("v", f"{n(mu)} v + {damp}"))
            lines.append(("new w", f"w - lambda (g + {n(mu)} v)" if opt["nesterov"] else "w - lambda v"))
        else:
            lines.append(("new w", "w - lambda g"))
    elif opt.kind == "adagrad":
        lines.append(("G", "G + g^2"))
        rate = "lambda" if not opt["lr_decay"] else f"lambda / (1 + (t - 1) {n(opt['lr_decay'])})"
        lines.append(("new w", f"w - {rate} g / (sqrt(G) + {n(opt['eps'])})"))
    elif opt.kind == "rmsprop":
        a = n(opt["alpha"])
        lines.append(("v", f"{a} v + (1 - {a}) g^2"))
        root = "sqrt(v)"
        if opt["centered"]:
            lines.append(("g_avg", f"{a} g_avg + (1 - {a}) g"))
            root = "sqrt(v - g_avg^2)"
        if opt["momentum"] > 0:
            lines.append(("u", f"{n(opt['momentum'])} u + g / ({root} + {n(opt['eps'])})"))
            lines.append(("new w", "w - lambda u"))
        else:
            lines.append(("new w", f"w - lambda g / ({root} + {n(opt['eps'])})"))
    else:
        b1, b2 = n(opt["beta1"]), n(opt["beta2"])
        lines.append(("m", f"{b1} m + (1 - {b1}) g"))
        lines.append(("v", f"{b2} v + (1 - {b2}) g^2"))
        v = "v"
        if opt["amsgrad"]:
            lines.append(("v_max", "max(v_max, v)"))
            v = "v_max"
        lines.append(("m_hat", f"m / (1 - {b1}^t)"))
        lines.append(("v_hat", f"{v} / (1 - {b2}^t)"))
        lines.append(("new w", f"w - lambda m_hat / (sqrt(v_hat) + {n(opt['eps'])})"))
    return lines


def number(v: float) -> str:
    """An option as a person writes it: 0.9, 0.999, 1e-8."""
    text = f"{float(v):.10g}"
    return re.sub(r"e([+-])0*(\d)", lambda m: "e" + ("-" if m[1] == "-" else "") + m[2], text)


def describe(opt: Optimizer, problem) -> str:
    """The rule's name and options in words: 'Adam (beta1 0.9, beta2 0.999, eps 1e-8)'."""
    options = ", ".join(f"{k} {str(v).lower() if isinstance(v, bool) else number(v)}" for k, v in opt.options)
    return f"{opt.title} ({options})" if options else opt.title


def decay_note(opt: Optimizer, problem) -> Optional[str]:
    """Which weights the weight decay reaches, in words; None without weight decay."""
    if not opt.weight_decay:
        return None
    how = ("decoupled (AdamW): each weight shrinks by lambda times it before the step" if opt.decoupled
           else "added to the gradient, g = dl/dw + weight_decay w, as torch.optim does")
    which = ""
    if problem.bias:
        which = (" The bias weights are decayed too (decay_bias: true)." if opt.decay_bias
                 else " The bias weights are not decayed (decay_bias: false; torch decays every parameter it is given, so leave them out of its weight decay, or say decay_bias: true).")
    return f"Weight decay {number(opt.weight_decay)}, {how}.{which}"


class OptimizerWorking:
    """The optimizer's working of one step, for a document d (a SolutionDocument: its numbers,
    names and equations)."""

    def __init__(self, d, step: Step, weights, grads):
        self.d = d
        self.step = step
        self.opt = step.optimizer
        self.weights = weights  # per layer, the weights before the step (bias-row form)
        self.grads = grads  # per layer, dl/dW (with the l2 term where the loss has one)

    def blocks(self):
        """The rule, then every layer's working."""
        yield from self.intro()
        for l in range(1, len(self.weights) + 1):
            yield from self.layer(l)

    def intro(self):
        d, step, opt = self.d, self.step, self.opt
        p = d.p
        t = step.t
        yield Heading((f"The optimizer: {opt.title}, step ", M(f"t = {t}")))
        yield Para((f"{describe(opt, p)}, learning rate ", M(f"lambda = {d.f(step.learning_rate)}"),
                    ". Each weight keeps its own state; with ", M("g = dl/dw"), ":"))
        yield Equations(tuple((name, formula) for name, formula in rule_lines(opt)))
        note = decay_note(opt, p)
        if note:
            yield Para((note,))
        if opt.kind == "sgd" and opt["momentum"] > 0 and step.before.fresh:
            yield Para(("The first step has no velocity yet: ", M("v = g"), " (torch's momentum buffer starts as the first gradient).",))
        elif step.before.fresh:
            names = [M(n) for n in opt.state_names()]
            if opt.kind == "adagrad":
                yield Para(("Before the first step ", M("G"), f" is the initial accumulator, {number(opt['initial_accumulator'])}.",))
            elif names:
                yield Para(("Before the first step ", *_joined(names), " are 0." if len(names) > 1 else " is 0."))
        else:
            yield Para((f"The state is the one the steps before left: {step.before.step} taken, so this is step ", M(f"t = {step.t}"), ".")
                       if step.before.step else ("The state is the one the problem gives (state:).",))
        if opt.kind == "adagrad" and opt["lr_decay"]:
            yield Equations((("lambda_t", f"lambda / (1 + (t - 1) {number(opt['lr_decay'])})",
                              f"{d.f(step.learning_rate)} / (1 + ({t} - 1) {number(opt['lr_decay'])})", d.f(step.lr_t)),))
        if p.bias and not p.train_bias:
            yield Para(("train_bias is false: the bias weights and their state stay as they are.",))

    def layer(self, l: int):
        d = self.d
        s = self.step.layers[l - 1]
        W = self.weights[l - 1]
        if W.size > MAX_WRITTEN_WEIGHTS:
            yield Para((f"Layer {l}: {W.size} weights, each worked as above, elementwise:",))
            layer = d.s.layers[l - 1] if hasattr(d.s, "layers") else None
            for name, values in s.working:
                if name == "step":
                    continue
                yield from d.weights(f"{_label(name)} of ", layer, values)
            return
        r0 = first_row(d.p.bias)
        for r, j in d.cells(d.s.layers[l - 1]):
            lines = self.lines(l, r, j)
            yield Para((M(weight_name(l, r + r0, j + 1)), ":"))
            yield d.equations(*lines)

    def lines(self, l: int, r: int, j: int) -> list[tuple[str, ...]]:
        """The working of one weight (array row r, column j of layer l), line by line."""
        d, opt, step = self.d, self.opt, self.step
        f, pf = d.f, d.pf
        s = step.layers[l - 1]
        work = {name: float(values[r, j]) for name, values in s.working}
        old = {name: float(values[r, j]) for name, values in step.before.layer(l).items()}
        w = float(self.weights[l - 1][r, j])
        dl = float(self.grads[l - 1][r, j])
        new = float(s.updated[r, j])
        name = weight_name(l, r + first_row(d.p.bias), j + 1)
        if d.p.bias and not d.p.train_bias and r == 0:
            return [(f"new {name}", f(w) + " (kept)")]
        lr = pf(step.learning_rate)
        lines: list[tuple[str, ...]] = []
        g = dl
        decayed = not (d.p.bias and r == 0 and not opt.decay_bias)
        wd = opt.weight_decay if decayed else 0.0
        if opt.weight_decay and not opt.decoupled:
            if wd:
                g = work["g"]
                lines.append(("g", f"dl/d{name} + {pf(wd)}{pf(w)}", f"{f(dl)} + {pf(wd)}{pf(w)}", f(g)))
            else:
                lines.append(("g", f"dl/d{name}", f(g)) + ((" (bias: not decayed)",) if False else ()))
        else:
            lines.append(("g", f"dl/d{name}", f(g)))
        base = w
        if opt.weight_decay and opt.decoupled:
            base = work["w_decayed"]
            if wd:
                lines.append(("decayed w", f"{f(w)} - {lr}{pf(wd)}{pf(w)}", f(base)))
        if opt.kind == "sgd":
            mu = opt["momentum"]
            if mu > 0:
                v = work["v"]
                if "v" not in old:
                    lines.append(("v", "g", f(v)))
                elif opt["dampening"]:
                    lines.append(("v", f"{pf(mu)}{pf(old['v'])} + (1 - {f(opt['dampening'])}){pf(g)}", f(v)))
                else:
                    lines.append(("v", f"{pf(mu)}{pf(old['v'])} + {_signed(g, f)}", f(v)))
                if opt["nesterov"]:
                    lines.append((f"new {name}", f"{f(base)} - {lr}({f(g)} + {pf(mu)}{pf(v)})", f(new)))
                else:
                    lines.append((f"new {name}", f"{f(base)} - {lr}{pf(v)}", f(new)))
            else:
                lines.append((f"new {name}", f"{f(base)} - {lr}{pf(g)}", f(new)))
        elif opt.kind == "adagrad":
            G0 = old.get("G", opt["initial_accumulator"])
            lines.append(("G", f"{f(G0)} + {pf(g)}^2", f(work["G"])))
            rate = pf(step.lr_t)
            lines.append((f"new {name}", f"{f(base)} - {rate}{pf(g)} / (sqrt({f(work['G'])}) + {number(opt['eps'])})", f(new)))
        elif opt.kind == "rmsprop":
            a = opt["alpha"]
            lines.append(("v", f"{pf(a)}{pf(old.get('v', 0.0))} + (1 - {f(a)}){pf(g)}^2", f(work["v"])))
            root = f"sqrt({f(work['v'])})"
            if opt["centered"]:
                lines.append(("g_avg", f"{pf(a)}{pf(old.get('g_avg', 0.0))} + (1 - {f(a)}){pf(g)}", f(work["g_avg"])))
                lines.append(("v_tilde", f"v - g_avg^2", f"{f(work['v'])} - {pf(work['g_avg'])}^2", f(work["v_tilde"])))
                root = f"sqrt({f(work['v_tilde'])})"
            if opt["momentum"] > 0:
                lines.append(("u", f"{pf(opt['momentum'])}{pf(old.get('u', 0.0))} + {pf(g)} / ({root} + {number(opt['eps'])})", f(work["u"])))
                lines.append((f"new {name}", f"{f(base)} - {lr}{pf(work['u'])}", f(new)))
            else:
                lines.append((f"new {name}", f"{f(base)} - {lr}{pf(g)} / ({root} + {number(opt['eps'])})", f(new)))
        else:
            b1, b2, t = opt["beta1"], opt["beta2"], step.t
            lines.append(("m", f"{pf(b1)}{pf(old.get('m', 0.0))} + (1 - {f(b1)}){pf(g)}", f(work["m"])))
            lines.append(("v", f"{pf(b2)}{pf(old.get('v', 0.0))} + (1 - {f(b2)}){pf(g)}^2", f(work["v"])))
            v = work["v"]
            if opt["amsgrad"]:
                lines.append(("v_max", f"max({f(old.get('v_max', 0.0))}, {f(work['v'])})", f(work["v_max"])))
                v = work["v_max"]
            lines.append(("m_hat", f"{f(work['m'])} / (1 - {f(b1)}^{t})", f(work["m_hat"])))
            lines.append(("v_hat", f"{f(v)} / (1 - {f(b2)}^{t})", f(work["v_hat"])))
            lines.append((f"new {name}", f"{f(base)} - {lr}{pf(work['m_hat'])} / (sqrt({f(work['v_hat'])}) + {number(opt['eps'])})", f(new)))
        return lines


def _label(name: str) -> str:
    return {"w_decayed": "decayed w"}.get(name, name)


def _signed(v: float, f) -> str:
    return f(v) if v >= 0 else f"({f(v)})"


def _joined(parts):
    out = []
    for k, p in enumerate(parts):
        if k:
            out.append(" and " if k == len(parts) - 1 else ", ")
        out.append(p)
    return out


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(n, f"{n}th")


def l2_blocks(d, penalty: float, total: float):
    """The l2 term of the loss: l = (data loss) + l2/2 (sum of the squared weights)."""
    p = d.p
    which = "every weight, the biases too (decay_bias: true)" if p.decay_bias or not p.bias else "every weight but the biases"
    squares = 2 * penalty / p.l2 if p.l2 else 0.0
    data = total - penalty
    yield Para(("With ", M(f"l2 = {d.f(p.l2)}"), f" the loss has the term ", M("1/2 l2 ||W||^2"),
                f": half of l2 times the sum of the squares of {which} (", M(f"||W||^2 = {d.f(squares)}"), ")."))
    yield d.equations(("l", f"{d.f(data)} + 1/2 {d.pf(p.l2)}{d.pf(squares)}", d.f(total)))


def rounded_denominator(rounded: Step, exact: Step, rounding, bias: bool, only: Optional[tuple[int, int, int]] = None):
    """A paragraph where hand rounding took a value under a step's square root to 0 (so that the
    step divided by eps alone, and the new weights are far off): which, and what to do instead;
    only: (layer, row, column) of the one weight grad shows (row 0 the bias row, with bias)."""
    if only is not None:
        layer, row, column = only
        only = (layer, int(np.ravel_multi_index((row - first_row(bias), column - 1), np.shape(rounded.layers[layer - 1].updated))))
    lost = rounded_to_nothing(rounded, exact, only)
    if lost is None:
        return
    layer, k, name, value = lost
    shape = np.shape(rounded.layers[layer - 1].updated)
    row, column = np.unravel_index(k, shape)
    weight = weight_name(layer, int(row) + first_row(bias), int(column) + 1)
    yield Para((M(name), " of ", M(weight), f" is {value:.3g} exactly, which rounds to 0 at {rounding.describe()}: "
                "the rounded step divides by ", M(f"epsilon = {number(rounded.optimizer['eps'])}"), " alone, so the new "
                f"{'weight' if only else 'weights'} above {'is' if only else 'are'} far from {rounded.optimizer.title}'s. Work it by hand to significant figures instead "
                f"(--sig {rounding.digits}).",))
