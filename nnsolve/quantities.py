"""The names of every quantity of a problem, as answer sheets, --given and JSON write them.

One catalog per problem, in the worksheet's order: the shapes, then alpha and beta layer by
layer, y_hat, the class, the loss, then backpropagation (dl/dy_hat, dy_hat/dalpha, the
deltas) and, weight by weight, the chain-rule factors, the derivative and the new weight.
A vector may be answered whole (beta1: [0.5, 0.999]) or one element at a time (beta1_2),
a weight matrix one weight at a time (dl/dW1[2,1], new W1[2,1]) or whole (dl/dW1).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Optional

import numpy as np

from . import network
from .notation import Notation, ascii_name, first_row, weight_name, weight_order
from .problem import Problem
from .solution import Solution


@dataclass(frozen=True)
class Quantity:
    """One answerable name: the array it is read from (base) and which part of it (index)."""

    name: str  # as written on a sheet: "beta1", "beta1_2", "dl/dW1[2,1]", "dalpha2/dbeta1_1"
    base: str  # alpha1, beta1, y_hat, prediction, loss, shape W1, dl/dy_hat, dy_hat/dalpha2,
    #            dbeta1/dalpha1, delta1, dl/dW1, new W1, input1 (layer 1's input), W2 (a weight)
    index: tuple  # into the base array; () for all of it
    shape: tuple[int, ...]  # of the answer: () for a number
    order: int  # the worksheet's order: an earlier quantity is never computed from a later one
    listed: bool = True  # in the blank sheet (--template); element names of vectors are not
    # nnsolve's own name (the worksheet's notation, as the chain rule's factors are named): name
    # itself, except in a problem written in another convention or with symbols (z1_2 is alpha1_2)
    key: str = ""

    @property
    def overridable(self) -> bool:
        """A student's value for it changes what follows (carried forward, --given)."""
        return split_base(self.base)[0] in OVERRIDABLE


# the quantities backpropagation carries on from; the others (shapes, factors that are a weight
# or an input, the class, the loss, new weights) change nothing after them
OVERRIDABLE = frozenset({"alpha", "beta", "y_hat", "dl/dy_hat", "dy_hat/dalpha", "dbeta/dalpha", "delta", "dl/dW"})


def _neuron(kind: str, layer: int, k: int, width: int) -> str:
    return f"{kind}{layer}" if width == 1 else f"{kind}{layer}_{k}"


# what a sheet of a batch problem (batch: mean|sum) answers: the shapes, the batch's loss (the mean
# or sum of the examples'), its dl/dW (the mean or sum of theirs) and the new weights of its one
# update, read from solution.Batch.as_solution(); an example's own values are not answerable
BATCH_KINDS = frozenset({"shape W", "loss", "dl/dW", "new W"})


class Catalog:
    """Every name of one problem, and how to read each from a Solution. A batch problem's are
    the batch's (BATCH_KINDS)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.sizes = problem.sizes
        self.L = problem.n_layers
        out = network.ACTIVATIONS[problem.activations[-1]]
        loss = network.LOSSES[problem.loss]
        self.simplified = loss.simplifies_with(out)
        self.elementwise_output = out.derivative is not None
        self.notation = Notation.of(problem)
        self.quantities: list[Quantity] = []
        self.by_name: dict[str, Quantity] = {}  # as a sheet names them, in the problem's notation
        self.by_key: dict[str, Quantity] = {}  # by nnsolve's own names (Quantity.key)
        self._build()
        if getattr(problem, "batch", None) is not None:
            self._batch_only()

    def _batch_only(self) -> None:
        """Only the batch's quantities (BATCH_KINDS), in the same order."""
        keep = [q for q in self.quantities if split_base(q.base)[0] in BATCH_KINDS]
        self.quantities = [replace(q, order=n) for n, q in enumerate(keep)]
        renumbered = {q.name: q for q in self.quantities}
        self.by_name = {name: renumbered[q.name] for name, q in self.by_name.items() if q.name in renumbered}
        self.by_key = {key: renumbered[q.name] for key, q in self.by_key.items() if q.name in renumbered}

    # -- building -------------------------------------------------------------------------

    def _add(self, key: str, base: str, index: tuple, shape: tuple, listed: bool = True, name: Optional[str] = None) -> None:
        """A quantity by nnsolve's own name (key), named on sheets in the problem's notation."""
        q = Quantity(name or self.notation.write(key), base, index, shape, len(self.quantities), listed, key)
        self.quantities.append(q)
        self.by_name[q.name] = q
        self.by_key[key] = q

    def _alias(self, key: str, q: Quantity) -> None:
        """Another name of the same quantity."""
        self.by_name[self.notation.write(key)] = q
        self.by_key[key] = q

    def _matrix(self, kind: str, l: int, W: np.ndarray) -> None:
        """A layer's whole dl/dW or new W, answerable at once: as the convention writes W (and,
        in Wx+b and xW+b, its bias vector b apart), read out of the bias-row form by index."""
        convention, bias = self.notation.convention, self.problem.bias
        if convention == "bias-row":
            self._add(f"{kind}W{l}", f"{kind}W{l}", (), W.shape, listed=False)
            return
        rows, cols = W.shape
        inputs = range(1 if bias else 0, rows)
        if convention == "Wx+b":  # neurons x inputs: element [j, i] is row i, column j of the form
            index = (tuple(tuple(inputs) for _ in range(cols)), tuple((c,) * len(inputs) for c in range(cols)))
            shape = (cols, len(inputs))
        else:  # inputs x neurons: the form without its bias row
            index = (tuple((r,) * cols for r in inputs), tuple(tuple(range(cols)) for _ in inputs))
            shape = (len(inputs), cols)
        name = self.notation.write(f"{kind}W{l}")
        self._add(f"{name} ({convention})", f"{kind}W{l}", index, shape, listed=False, name=name)
        if bias and self.problem.shared_bias:  # bias: shared: b is one number
            name = self.notation.write(f"{kind}b{l}")
            self._add(f"{name} ({convention})", f"{kind}W{l}", (0, 0), (), listed=False, name=name)
        elif bias:
            name = self.notation.write(f"{kind}b{l}")
            self._add(f"{name} ({convention})", f"{kind}W{l}", (0, tuple(range(cols))), (cols,), listed=False, name=name)

    def _vector(self, name: str, layer: int, width: int, element) -> None:
        """A layer vector, answerable whole or by element (element(k) names element k)."""
        self._add(name, name, (), (width,))
        if width > 1:
            for k in range(1, width + 1):
                self._add(element(k), name, (k - 1,), (), listed=False)

    def _build(self) -> None:
        p, L, n = self.problem, self.L, self.sizes
        for l, W in enumerate(p.weights, start=1):
            self._add(f"shape W{l}", f"shape W{l}", (), (2,))
        for l in range(1, L + 1):
            self._vector(f"alpha{l}", l, n[l], lambda k, l=l: f"alpha{l}_{k}")
            if l < L:
                self._vector(f"beta{l}", l, n[l], lambda k, l=l: f"beta{l}_{k}")
        self._vector("y_hat", L, n[L], lambda k: f"y_hat_{k}")
        self._alias(f"beta{L}", self.by_key["y_hat"])  # the same thing, by its other name
        self._add("prediction", "prediction", (), (n[L],))
        self._add("loss", "loss", (), ())
        K = n[L]
        if not self.simplified:
            self._vector("dl/dy_hat", L, K, lambda k: f"dl/dy_hat_{k}")
            if self.elementwise_output:
                self._vector(f"dy_hat/dalpha{L}", L, K, lambda k: f"dy_hat_{k}/dalpha{L}_{k}")
        self._vector(f"delta{L}", L, K, lambda k: f"delta{L}_{k}")
        if self.simplified:  # where delta^L is taken directly the chain rule calls it dl/dalpha^L
            for k in range(1, K + 1):
                self._alias(f"dl/d{_neuron('alpha', L, k, K)}", self.by_key[f"delta{L}" if K == 1 else f"delta{L}_{k}"])
        for l in range(L - 1, 0, -1):
            width = n[l]
            if width == 1:
                self._add(f"dbeta{l}/dalpha{l}", f"dbeta{l}/dalpha{l}", (), (1,))
            else:
                self._vector(f"dbeta{l}/dalpha{l}", l, width, lambda k, l=l: f"dbeta{l}_{k}/dalpha{l}_{k}")
            self._vector(f"delta{l}", l, width, lambda k, l=l: f"delta{l}_{k}")
        r0 = first_row(p.bias)
        shared = p.bias and p.shared_bias  # bias: shared: row 0 of W is one parameter, the layer's bias
        for l in range(L, 0, -1):
            W = p.weights[l - 1]
            # the whole matrix dl/dW before any new weight of the layer, the whole new W after every
            # dl/dW element: an answer is never graded before one it follows from; neither is listed
            self._matrix("dl/d", l, W)
            # as the convention writes them; every entry of a shared bias's row, for its factor
            for r, c in weight_order(self.notation.convention, p.bias, False, *W.shape):
                w = weight_name(l, r + r0, c + 1)
                alpha = _neuron("alpha", l, c + 1, n[l])
                self._add(f"d{alpha}/d{w}", f"input{l}", (r,), ())
                if shared and r + r0 == 0 and c > 0:  # one shared bias: asked once (W1[0,1], b1), any W1[0,j] names it
                    self._alias(f"dl/d{w}", self.by_key[f"dl/d{weight_name(l, 0, 1)}"])
                    if p.updates:
                        self._alias(f"new {w}", self.by_key[f"new {weight_name(l, 0, 1)}"])
                    continue
                self._add(f"dl/d{w}", f"dl/dW{l}", (r, c), ())
                if p.updates:  # without a learning rate there is no update: no new weights
                    self._add(f"new {w}", f"new W{l}", (r, c), ())
            if p.updates:
                self._matrix("new ", l, W)
            if l > 1:  # dalpha^l_k / dbeta^(l-1)_j is the weight W^l[j,k], in the convention's order
                for r, c in weight_order(self.notation.convention, p.bias, False, *W.shape):
                    j, k = r + r0, c + 1
                    if j > 0:
                        name = f"d{_neuron('alpha', l, k, n[l])}/d{_neuron('beta', l - 1, j, n[l - 1])}"
                        self._add(name, f"W{l}", (r, c), ())

    # -- reading --------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Every name of the blank sheet, in order."""
        return [q.name for q in self.quantities if q.listed]

    def find(self, name: str) -> Optional[Quantity]:
        """The quantity a name means: as the catalog names it, as nnsolve shows it (α¹₂, ∂ℓ/∂W2[1,1]:
        notation.ascii_name), or with its weight in any spelling `nnsolve grad` takes
        (notation.parse_weight_in: dl/dW2_11, new w2[1][1], dalpha2/dW^2_{11})."""
        plain = _plain(name)
        found = self.by_name.get(plain)
        if found is None and ("/" in plain or plain[:4].lower() == "new "):
            found = self._weight_spelling(plain)
        return found

    def meant(self, name: str) -> str:
        """What a name that is not a quantity of the problem may have meant, as the start of a
        message's fix ("" when nothing is near): the problem's name for nnsolve's own name of a
        quantity (dl/dW1[0,1] is dL/db1[1] in Wx+b), why a weight's name is none of this
        convention's, or the nearest name."""
        import difflib

        from .notation import layer_named, names_weight, parse_weight_in

        plain = _plain(name)
        why = ""  # a weight (or a bias vector) named as another convention names it
        part = _weight_part(plain)
        if part is not None and len(part[1]) <= 40 and names_weight(part[1]) and layer_named(part[1]) != "W":
            try:  # (a whole W is a quantity: dl/dW1 is answerable; no long name of a sheet is quoted)
                parse_weight_in(self.notation.convention, part[1], self.problem.bias, self.problem.shared_bias)
            except ValueError as e:
                why = f"{e}; "
        L = self.problem.n_layers
        delta = self.by_key.get(f"delta{L}")
        factor = plain.startswith("dy_hat") or (plain.startswith("d") and plain.split("/", 1)[-1].startswith("dy_hat"))
        if factor and "dl/dy_hat" not in self.by_key and delta is not None:
            # softmax with cross-entropy, sigmoid with binary cross-entropy: no output factors to answer
            return (f"with {self.problem.activations[-1]} outputs and {self.problem.loss} the output factors cancel, "
                    f"delta{L} = y_hat - y: answer it as '{delta.name}' (or dl/dalpha{L}); ").replace(f"dl/dalpha{L}", self.notation.write(f"dl/dalpha{L}"))
        own = self.by_key.get(plain)
        if own is not None and own.name != plain:
            return f"{why}in nnsolve's own notation (the worksheet's, bias-row) {plain} is this problem's {own.name}: did you mean '{own.name}'? "
        if why:  # the nearest name would be another weight's
            return why
        close = difflib.get_close_matches(plain, list(self.by_name), n=1, cutoff=0.6)
        return f"did you mean '{close[0]}'? " if close else ""

    def _weight_spelling(self, name: str) -> Optional[Quantity]:
        """dl/dW, new W or a factor d.../dW named with the weight in another spelling."""
        from .notation import parse_weight_in

        part = _weight_part(name)
        if part is None:
            return None
        prefix, ref = part
        try:
            found = parse_weight_in(self.notation.convention, ref, self.problem.bias)
        except ValueError:
            return None
        own = weight_name(*found)
        if prefix.lower() == "new ":
            return self.by_key.get(f"new {own}")
        if prefix.lower() in ("dl/d", "de/d"):  # the loss, as the problem names it or as nnsolve does
            return self.by_key.get(f"dl/d{own}")
        return self.by_name.get(prefix + self.notation.weight(*found)) or self.by_key.get(prefix + own)

    def missing_update(self, name: str) -> bool:
        """Whether name asks for a new weight of a problem that has no learning rate (and so no
        update): what a sheet's or a points: name that is not a quantity may mean."""
        return not self.problem.updates and " ".join(name.split()).lower().startswith("new ")

    def value(self, solution: Solution, q: Quantity) -> np.ndarray:
        """The quantity's value in a solution (the key, or a student's carried-forward state)."""
        return np.asarray(base_value(solution, q.base))[q.index]


def _plain(name: str) -> str:
    """A name with its spaces made one (none around a /), in nnsolve's ASCII (notation.ascii_name)."""
    return ascii_name(" ".join(name.split()).replace(" /", "/").replace("/ ", "/"))


def _weight_part(name: str) -> Optional[tuple[str, str]]:
    """(what comes before the weight, the weight) of a name that ends in one: ("new ", "W1[2,1]")
    of new W1[2,1], ("dl/d", "W2_11") of dl/dW2_11; None for a name that names no weight there."""
    if name[:4].lower() == "new ":
        return name[:4], name[4:]
    at = name.rfind("/d")
    return (name[: at + 2], name[at + 2:]) if at > 0 else None


def base_value(solution: Solution, base: str) -> np.ndarray:
    """The whole array a base name stands for."""
    p, layers = solution.problem, solution.layers
    kind, layer = split_base(base)
    if base == "y_hat":
        return solution.y_hat
    if base == "prediction":
        return solution.prediction.astype(np.float64)
    if base == "loss":
        return np.asarray(solution.loss)
    if base == "dl/dy_hat":
        return solution.dl_dy_hat
    if base.startswith("shape W"):  # as the problem's convention writes W (members may follow the two axes)
        rows, cols = p.weights[layer - 1].shape[:2]
        inputs = rows - (1 if p.bias else 0)
        shape = {"Wx+b": (cols, inputs), "xW+b": (inputs, cols)}.get(getattr(p, "convention", "bias-row"), (rows, cols))
        return np.asarray(shape, dtype=np.float64)
    return getattr(layers[layer - 1], _LAYER_FIELDS[kind])


# the field of a LayerSolution each kind of base name reads
_LAYER_FIELDS = {
    "alpha": "alpha",
    "beta": "beta",
    "delta": "delta",
    "dbeta/dalpha": "derivative",
    "dy_hat/dalpha": "derivative",
    "dl/dW": "grad_W",
    "new W": "updated_W",
    "input": "input",
    "W": "W",
}


def base_shape(problem: Problem, base: str) -> tuple[int, ...]:
    """The shape of the whole array a base name stands for."""
    kind, layer = split_base(base)
    if kind in ("y_hat", "dl/dy_hat", "dy_hat/dalpha", "prediction"):
        return (problem.sizes[-1],)
    if kind in ("dl/dW", "new W", "W"):
        return problem.weights[layer - 1].shape
    if kind == "loss":
        return ()
    return (problem.sizes[layer],)


@functools.lru_cache(maxsize=4096)
@functools.lru_cache(maxsize=None)  # a class grades the same few dozen names again and again
def split_base(base: str) -> tuple[str, int]:
    """("alpha", 2) from alpha2, ("dbeta/dalpha", 1) from dbeta1/dalpha1, ("new W", 1) from new W1."""
    digits = "".join(c if c.isdigit() else " " for c in base).split()
    layer = int(digits[-1]) if digits else 0
    kind = "".join(c for c in base if not c.isdigit())
    return kind, layer


def network_name(problem: Problem, base: str) -> str:
    """The name network.forward/backward give a base: y_hat is beta^L there."""
    return f"beta{problem.n_layers}" if base == "y_hat" else base
