"""The record of every intermediate of one solve: forward pass, backpropagation, update.

Renderers (terminal, JSON, ...) read only this; they never redo the math. A hand-rounded
solution (solve with a Rounding) holds the rounded values a person writes, and the exact
solution of the same problem beside them, so that a renderer can say how far they drift.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Iterator, Mapping, Optional

import numpy as np

from . import network
from .optimizers import LayerStep
from .optimizers import Step as OptimizerStep
from . import optimizers
from .errors import ProblemError, SolveError
from .notation import first_row, weight_name
from .problem import Problem

if TYPE_CHECKING:  # rounding (and decimal) load only for --round
    from .rounding import Rounding


@dataclass(frozen=True)
class LayerSolution:
    """Layer l: its weights, its forward values, its delta, its gradient and its update."""

    layer: int  # l = 1..L
    activation: str
    W: np.ndarray  # (n_{l-1} + 1, n_l), row 0 = bias weights (no bias row with bias: false)
    input: np.ndarray  # [1; beta^{l-1}]: beta^0 = x
    alpha: np.ndarray  # (n_l,) = W^T input
    beta: np.ndarray  # (n_l,) = f(alpha)
    derivative: Optional[np.ndarray]  # f'(alpha), elementwise; None for softmax
    delta: np.ndarray  # (n_l,) = dl/dalpha
    grad_W: np.ndarray  # like W: dl/dW = input delta^T
    # like W: W - learning_rate grad_W (bias rows kept with train_bias: false); None when the
    # problem has no learning rate, and so no update
    updated_W: Optional[np.ndarray]
    # (n_l,) = dl/dbeta = sum_k W^(l+1)_jk delta^(l+1)_k, the sum backpropagated into a hidden
    # layer; None for the output layer, whose dl/dy_hat is Solution.dl_dy_hat
    dl_dbeta: Optional[np.ndarray] = None


@dataclass(frozen=True)
class Solution:
    """Every intermediate of one solve, as plain data: what the renderers and the JSON read."""

    problem: Problem
    layers: tuple[LayerSolution, ...]
    y_hat: np.ndarray  # (n_L,) = beta^L
    prediction: np.ndarray  # (n_L,) ints: 0/1 per output, one-hot argmax for softmax
    loss: float
    dl_dy_hat: Optional[np.ndarray]  # None where infinite (a log loss with y_hat exactly 0 or 1)
    dy_hat_dalpha: np.ndarray  # (n_L, n_L): the output layer's Jacobian, diagonal unless softmax
    simplified_delta: Optional[str]  # formula of delta^L where taken directly ("y_hat - y")
    rounding: Optional[Rounding] = None  # None: exact; else every value above is hand-rounded
    exact: Optional["Solution"] = None  # with rounding: the same problem solved exactly
    # with given values: what each given quantity would have been, computed from the values
    # before it (a student's own earlier numbers); keyed by network names (alpha2, beta1, dl/dW1)
    computed: Mapping[str, np.ndarray] = field(default_factory=dict)  # {} when nothing is given
    # the optimizer's step (optimizers.Step: its working per layer, the state before and after);
    # None for plain SGD and for a problem without a learning rate
    optimizer_step: Optional[OptimizerStep] = None
    penalty: float = 0.0  # the l2 term of the loss (included in loss), l2/2 ||W||^2; 0 without l2

    def quantities(self) -> Iterator[tuple[str, np.ndarray]]:
        """(name, values) of every computed quantity: per layer alpha, beta, delta, dl/dW and the
        new W (where the problem has a learning rate), then y_hat and the loss. The output
        layer's beta is named y_hat."""
        L = len(self.layers)
        for s in self.layers:
            yield f"alpha{s.layer}", s.alpha
            if s.layer < L:
                yield f"beta{s.layer}", s.beta
            yield f"delta{s.layer}", s.delta
            yield f"dl/dW{s.layer}", s.grad_W
            if s.updated_W is not None:
                yield f"new W{s.layer}", s.updated_W
        yield "y_hat", self.y_hat
        yield "loss", np.asarray(self.loss)

    def max_difference(self) -> Optional[tuple[str, float]]:
        """(name, |rounded - exact|) of the value that drifts furthest from the exact solution,
        named down to the element ("dl/dW1[2,1]", "beta1_2"); None for an exact solution."""
        if self.exact is None:
            return None
        worst_name, worst = "", -1.0
        for (name, rounded), (_, exact) in zip(self.quantities(), self.exact.quantities()):
            diff = np.abs(rounded - exact)
            k = int(np.argmax(diff))  # the first of equal differences
            if diff.flat[k] > worst:
                worst_name, worst = element_name(name, diff.shape, k, self.problem.bias), float(diff.flat[k])
        return worst_name, worst


def element_name(name: str, shape: tuple[int, ...], k: int, bias: bool) -> str:
    """The name of element k (flat) of a quantity: beta1 -> beta1_2, dl/dW1 -> dl/dW1[2,1]."""
    index = np.unravel_index(k, shape)
    if "W" in name:  # dl/dW1, new W1: a weight's name in the notation
        prefix, layer = name.rsplit("W", 1)
        return prefix + weight_name(int(layer), int(index[0]) + first_row(bias), int(index[1]) + 1)
    if math.prod(shape) == 1:  # the loss, or a layer of one neuron: alpha2, as the worksheet writes it
        return name
    return f"{name}_{int(index[0]) + 1}"


def solve(
    problem: Problem,
    rounding: Optional[Rounding] = None,
    given: Optional[Mapping[str, np.ndarray]] = None,
    finite: bool = True,
) -> Solution:
    """Forward pass, loss, backpropagation (all derivatives first), then the update; with
    rounding, every intermediate is rounded before the next step uses it, as by hand; with
    given values (network names -> arrays, NaN where not given), each given value replaces the
    computed one and everything after it follows from it. finite=False lets values overflow
    (a student's own numbers, which may be anything) rather than raise SolveError."""
    # first, so an overflow reads as before; from the same given values, so that the rounding's
    # drift is measured against the working it rounds
    exact = solve(problem, given=given, finite=finite) if rounding is not None else None
    work = Work(problem, rounding, given)
    return work.solution((), finite, rounding, exact)


def solve_key(problem: Problem):
    """What a sheet of the problem is graded against: its solve(), or for a batch problem its
    solve_batch(); raises SolveError where it overflows, naming the problem file."""
    return solve_batch(problem) if problem.batch is not None else solve(problem)


def solve_stack(problem: Problem, given: Mapping[str, np.ndarray], count: int) -> list[Solution]:
    """solve(problem, given=...) for count sets of given values at once (each given array has a
    leading axis of count): one stacked computation, as for a class's answer sheets. Values may
    overflow (finite=False)."""
    work = Work(problem, None, given)
    return [work.solution((k,), False) for k in range(count)]


def solve_many(problems) -> list[Solution]:
    """solve() for many problems of one shape (a class's variants) as one stacked computation
    (stack_problems). Values may overflow."""
    work = Work(stack_problems(problems), None, None)
    return [replace(work.solution((k,), False), problem=p) for k, p in enumerate(problems)]


def stack_problems(problems) -> Problem:
    """Problems of one shape (same_shape) as one problem for Work: their x, y, weights and
    learning rates stacked on a leading axis (None: none of them has one); the rest is the first one's."""
    first = problems[0]
    rates = None if first.learning_rate is None else np.array([p.learning_rate for p in problems], dtype=np.float64)[:, None, None]
    return replace(
        first,
        x=np.stack([p.x for p in problems]),
        y=np.stack([p.y for p in problems]),
        weights=tuple(np.stack([p.weights[i] for p in problems]) for i in range(first.n_layers)),
        learning_rate=rates,
    )


def same_shape(problem: Problem) -> tuple:
    """What problems must share to be stacked (stack_problems) and graded as one: everything but
    x, y, the weights' values and the learning rate (whether there is one counts: without it, no update),
    the notation (the convention and symbols: the names a sheet answers), and whether it is a batch
    (batch: mean|sum: a sheet answers the batch's gradient), whether the bias is shared,
    and the update rule: the optimizer, its state, l2."""
    state = problem.state
    return (problem.sizes, problem.activations, problem.loss, problem.threshold, problem.bias, problem.train_bias, problem.updates,
            problem.convention, problem.symbols, problem.batch, problem.shared_bias,
            # the update rule and what it starts from (an optimizer's state is the problem's own, not stacked)
            problem.optimizer, problem.l2, problem.decay_bias,
            None if state is None else (state.step, tuple(tuple((n, np.asarray(a).tobytes()) for n, a in named) for named in state.arrays)))


class Work:
    """Every array of one solve, or of a stack of them (a leading axis from the given values)."""

    def __init__(self, problem: Problem, rounding: Optional[Rounding], given: Optional[Mapping[str, np.ndarray]]):
        self.problem = problem
        self.given = given or {}
        rnd = rounding.apply if rounding is not None else None
        keep = rnd or (lambda values: values)
        self.computed: dict[str, np.ndarray] = {}
        take = _taker(given, self.computed) if given else None
        activations = [network.ACTIVATIONS[a] for a in problem.activations]
        self.loss = network.LOSSES[problem.loss]
        with np.errstate(all="ignore"):  # overflow is reported by name (SolveError), not as a warning
            self.fwd = network.forward(problem.weights, problem.x, activations, problem.bias, rnd, take)
            y_hat = f"beta{problem.n_layers}"
            y_hat_given = np.any(~np.isnan(given[y_hat]), axis=-1) if given and y_hat in given else False
            self.loss_value = network.loss_value(problem.y, self.fwd, activations, self.loss, rnd, y_hat_given)
            self.penalty = 0.0
            if problem.l2:  # the l2 term of the loss: l2/2 ||W||^2
                self.penalty = keep(network.l2_penalty(problem.weights, problem.l2, problem.bias, problem.decay_bias, problem.shared_bias))
                self.loss_value = keep(self.loss_value + self.penalty)
            self.bwd = network.backward(problem.weights, self.fwd, problem.y, activations, self.loss, problem.bias, rnd, take,
                                        problem.l2, problem.decay_bias, shared_bias=problem.shared_bias)
            self.step = None
            if problem.learning_rate is None:
                self.updated = (None,) * problem.n_layers
            elif problem.optimizer is not None:
                self.step = optimizers.step(problem.optimizer, problem.learning_rate, problem.weights, self.bwd.grads,
                                            problem.state, problem.bias, problem.train_bias, rnd)
                self.updated = self.step.updated
            else:
                self.updated = network.update(problem.weights, self.bwd.grads, problem.learning_rate, problem.bias, problem.train_bias, rnd)
            # the values backward used (rounded, or given, there), kept for the renderers; where
            # backward took a shortcut (delta = y_hat - y), as a person would compute them
            bwd, fwd = self.bwd, self.fwd
            self.dl_dy_hat = bwd.dl_dy_hat if bwd.dl_dy_hat is not None else keep(self.loss.grad_y_hat(problem.y, fwd.y_hat))
            self.derivatives = [
                used if used is not None else (keep(act.derivative(a, b)) if act.derivative is not None else None)
                for used, act, a, b in zip(bwd.derivatives, activations, fwd.alphas, fwd.betas)
            ]
            if self.derivatives[-1] is not None:
                self.jacobian = self.derivatives[-1][..., :, None] * np.eye(fwd.y_hat.shape[-1])
            else:
                self.jacobian = keep(activations[-1].jacobian(fwd.alphas[-1], fwd.y_hat))
        self.simplified = self.loss.simplified_formula(activations[-1])

    def solution(self, k: tuple, finite: bool, rounding: Optional[Rounding] = None, exact: Optional[Solution] = None) -> Solution:
        """The Solution of stack member k (() for a single solve)."""

        def pick(values, ndim: int):
            """Member k of a stacked array; an array every member shares is itself."""
            return None if values is None else (values[k] if getattr(values, "ndim", 0) > ndim else values)

        given = self.given
        return self._record(
            pick, finite, rounding, exact,
            # what this member gave, not another
            lambda name: not np.all(np.isnan(given[name][k])),
            members=False,
        )

    def members(self, rows: np.ndarray) -> Solution:
        """Several stack members (rows) as one Solution whose every array has the members on its
        last axis: alpha1 is (n1, members), a weight's dl/dW (rows, columns, members). Indexing a
        quantity's element reads it for every member at once (alpha1[1] is each member's
        alpha1_2), as the chain rule and the grading of a class's sheets do. The loss is an array
        of the members' losses; values may overflow, and dl/dy_hat is kept where it does."""
        count = len(rows)

        def pick(values, ndim: int):
            if values is None:
                return None
            values = np.asarray(values)
            if values.ndim > ndim:
                return np.moveaxis(values[rows], 0, -1)
            return np.broadcast_to(values[..., None], values.shape + (count,))

        # its problem too has the members on the last axis: x (n0, members), W1 (rows, columns,
        # members), the learning rate (members,), so that each member is read with its own
        p = self.problem
        rate = None if p.learning_rate is None else np.asarray(p.learning_rate, dtype=np.float64)
        problem = replace(
            p, x=pick(p.x, 1), y=pick(p.y, 1), weights=tuple(pick(W, 2) for W in p.weights),
            learning_rate=rate if rate is None else (rate.reshape(-1)[rows] if rate.ndim else np.broadcast_to(rate, (count,))),
        )
        return self._record(pick, False, None, None, lambda name: True, members=True, problem=problem)

    def _record(self, pick, finite: bool, rounding, exact, gave, members: bool, problem: Optional[Problem] = None) -> Solution:
        """The Solution read from the stacked arrays through pick(values, ndim): ndim is the
        number of dimensions of one member's array; gave(name) whether a given quantity is in
        the record's computed; problem the record's (the solved one if None)."""
        problem = problem or self.problem
        layers = []
        for l, act in enumerate(problem.activations, start=1):
            i = l - 1
            layer = LayerSolution(
                layer=l,
                activation=act,
                W=pick(self.problem.weights[i], 2),
                input=pick(self.fwd.inputs[i], 1),
                alpha=pick(self.fwd.alphas[i], 1),
                beta=pick(self.fwd.betas[i], 1),
                derivative=pick(self.derivatives[i], 1),
                delta=pick(self.bwd.deltas[i], 1),
                grad_W=pick(self.bwd.grads[i], 2),
                updated_W=pick(self.updated[i], 2),
                dl_dbeta=pick(self.bwd.grad_betas[i], 1),
            )
            for name in ("alpha", "beta", "delta", "grad_W", "updated_W"):
                if finite and getattr(layer, name) is not None:
                    _check_finite(getattr(layer, name), name, l, problem)
            layers.append(layer)
        loss_value = pick(self.loss_value, 0)
        loss_value = float(loss_value) if np.ndim(loss_value) == 0 else loss_value
        if finite:
            _check_finite(np.array(loss_value), "loss", None, problem)
        y_hat = pick(self.fwd.y_hat, 1)
        if problem.activations[-1] == "softmax":
            outputs = np.arange(len(y_hat)).reshape((-1,) + (1,) * (y_hat.ndim - 1))
            prediction = (outputs == np.argmax(y_hat, axis=0)).astype(int)
        else:
            prediction = (y_hat >= problem.threshold).astype(int)
        dl_dy_hat = pick(self.dl_dy_hat, 1)
        penalty = pick(self.penalty, 0)
        return Solution(
            problem=problem,
            layers=tuple(layers),
            y_hat=y_hat,
            prediction=prediction,
            loss=loss_value,
            dl_dy_hat=dl_dy_hat if members or np.all(np.isfinite(dl_dy_hat)) else None,
            dy_hat_dalpha=pick(self.jacobian, 2),
            simplified_delta=self.simplified,
            rounding=rounding,
            exact=exact,
            # a weight's dl/dW is a matrix; every other quantity that can be given is a vector
            computed={
                name: pick(values, 2 if name.startswith("dl/dW") else 1)
                for name, values in self.computed.items()
                if gave(name)
            },
            optimizer_step=None if self.step is None else _picked_step(self.step, pick, problem),
            penalty=float(penalty) if np.ndim(penalty) == 0 else penalty,
        )


def _picked_step(step: OptimizerStep, pick, problem: Problem) -> OptimizerStep:  # noqa: ARG001
    """A stacked optimizer step's member, through pick (see Work._record)."""
    if all(np.ndim(s.updated) == 2 for s in step.layers) and np.ndim(step.learning_rate) == 0:
        return step
    layers = tuple(
        LayerStep(tuple((n, pick(v, 2)) for n, v in s.working), pick(s.updated, 2), tuple((n, pick(v, 2)) for n, v in s.state))
        for s in step.layers
    )
    def rate(value):  # a stack's learning rates are (count, 1, 1): one per member
        if np.ndim(value) == 0:
            return value
        member = pick(np.asarray(value).reshape(-1), 0)
        return float(member) if np.ndim(member) == 0 else member

    return replace(step, learning_rate=rate(step.learning_rate), lr_t=rate(step.lr_t), layers=layers)


@dataclass(frozen=True)
class Step:
    """One step of SGD over a problem's examples: which, and its whole solution."""

    epoch: int  # from 1
    example: int  # from 1
    solution: Solution


def solve_steps(problem: Problem, epochs: int = 1, rounding: Optional[Rounding] = None) -> list[Step]:
    """Stochastic gradient descent step by step: one update per example, in order, each step
    starting from the weights the step before it left; the pass repeated for each epoch. Each
    step is an update: a problem without a learning rate is refused (ProblemError)."""
    if problem.learning_rate is None:
        what = "examples ask" if problem.examples else "--epochs above 1 asks"
        raise ProblemError(
            f"missing: {what} for SGD step by step, one update per example",
            file=problem.source, key="learning_rate", fix="add learning_rate to the problem, such as 'learning_rate: 0.5'",
        )
    examples = problem.examples or ((problem.x, problem.y),)
    classes = problem.example_classes or ((None,) * len(problem.examples) if problem.examples else (problem.label_class,))
    weights = problem.weights
    state = problem.state
    steps = []
    for epoch in range(1, epochs + 1):
        for n, ((x, y), label_class) in enumerate(zip(examples, classes), start=1):
            one = replace(problem, x=x, y=y, weights=weights, examples=(), label_class=label_class, example_classes=(), state=state)
            solution = solve(one, rounding)
            steps.append(Step(epoch, n, solution))
            weights = tuple(_frozen(s.updated_W) for s in solution.layers)
            if solution.optimizer_step is not None:  # the optimizer's state carries to the next step
                state = solution.optimizer_step.after
    return steps


@dataclass(frozen=True)
class Batch:
    """One update from a batch of examples (a problem with examples and batch: mean or sum):
    every example solved from the same starting weights (forward pass and derivatives, no
    update of its own), their gradients combined, and the one update from the combination."""

    problem: Problem  # the batch problem, with its examples; its weights are where every example starts
    mode: str  # "mean" or "sum": how the examples' gradients (and losses) are combined
    solutions: tuple[Solution, ...]  # each example's whole working (example_problems: no learning rate)
    grads: tuple[np.ndarray, ...]  # per layer, like W (bias-row form): the mean (or sum) of the examples' dl/dW
    updated: tuple[np.ndarray, ...]  # per layer: W - learning_rate grads (bias rows kept with train_bias: false)
    loss: float  # the mean (or sum) of the examples' losses: what grads are the derivatives of
    rounding: Optional[Rounding] = None  # None: exact; else every value above is hand-rounded
    exact: Optional["Batch"] = None  # with rounding: the same batch solved exactly
    optimizer_step: Optional[OptimizerStep] = None  # the optimizer's step from the combined gradient; None: plain SGD
    penalty: float = 0.0  # the l2 term, added once to the combined loss (and l2 W to grads)

    @property
    def count(self) -> int:
        """The number of examples."""
        return len(self.solutions)

    @property
    def weights(self) -> tuple[np.ndarray, ...]:
        """The starting weights, the same for every example."""
        return self.problem.weights

    def example_gradients(self, layer: int) -> np.ndarray:
        """dl/dW^layer of every example, stacked: (examples, rows, columns)."""
        return np.stack([s.layers[layer - 1].grad_W for s in self.solutions])

    def max_difference(self) -> Optional[tuple[str, float]]:
        """(name, |rounded - exact|) of the value of the batch that drifts furthest from the exact
        one: an example's ("beta1_2 of example 2"), the combined dl/dW, a new weight or the loss;
        None for an exact batch."""
        if self.exact is None:
            return None
        worst_name, worst = "", -1.0
        for n, s in enumerate(self.solutions, start=1):
            name, diff = s.max_difference()
            if diff > worst:
                worst_name, worst = f"{name} of example {n}", diff
        mine = self.as_solution()
        for (name, rounded), (_, exact) in zip(mine.quantities(), mine.exact.quantities()):
            if not (name.startswith(("dl/dW", "new W")) or name == "loss"):
                continue  # (the rest is the first example's, above)
            diff = np.abs(rounded - exact)
            k = int(np.argmax(diff))
            if diff.flat[k] > worst:
                worst_name, worst = element_name(name, diff.shape, k, self.problem.bias), float(diff.flat[k])
        return worst_name, worst

    def as_solution(self) -> Solution:
        """The batch as the quantities a sheet of it answers read it (quantities.BATCH_KINDS): a
        Solution of the batch problem whose dl/dW are the combined gradients, whose new W are
        the update, and whose loss is the combined loss (draw and check read it). Its forward
        values are the first example's, which nothing of a batch reads; f'(alpha) and dl/dbeta,
        which no slip of the batch's gradient may be taken from, are None."""
        first = self.solutions[0]
        layers = tuple(replace(s, grad_W=G, updated_W=U, derivative=None, dl_dbeta=None)
                       for s, G, U in zip(first.layers, self.grads, self.updated))
        return replace(first, problem=self.problem, layers=layers, loss=self.loss, rounding=self.rounding,
                       exact=None if self.exact is None else self.exact.as_solution(), computed={},
                       optimizer_step=self.optimizer_step, penalty=self.penalty)


def example_problems(problem: Problem) -> list[Problem]:
    """Each example of a problem as a problem of its own, from the problem's weights and without
    a learning rate: the examples of a batch, whose one update is the batch's (solve_batch)."""
    classes = problem.example_classes or (None,) * len(problem.examples)
    return [
        replace(problem, x=x, y=y, examples=(), label_class=k, example_classes=(), learning_rate=None, batch=None,
                optimizer=None, state=None, l2=0.0)
        for (x, y), k in zip(problem.examples, classes)
    ]


def solve_batch(problem: Problem, rounding: Optional[Rounding] = None) -> Batch:
    """One update from a batch (a problem with examples and batch: mean or sum): every example
    solved from the same starting weights as one stacked computation, then the mean (or sum) of
    their gradients, dl/dW = (1/N) sum_n dl_n/dW, and one update W - learning_rate dl/dW; the
    loss is the mean (or sum) of theirs. With rounding, each example's working is rounded as by
    hand, then the combination (the sum of the rounded values, divided) and the update."""
    if problem.batch is None or not problem.examples or problem.learning_rate is None:
        raise ProblemError("is not a batch: one update from several examples needs examples, batch: mean|sum and a learning rate",
                           file=problem.source, key="batch", fix="add 'batch: mean' beside the problem's examples and learning_rate")
    exact = solve_batch(problem) if rounding is not None else None  # first, so an overflow reads as before
    ones = example_problems(problem)
    work = Work(stack_problems(ones), rounding, None)
    solutions = tuple(
        replace(work.solution((k,), True, rounding, None if exact is None else exact.solutions[k]), problem=one)
        for k, one in enumerate(ones)
    )
    rnd = rounding.apply if rounding is not None else None
    with np.errstate(all="ignore"):  # an overflow is reported by name below
        grads = network.combine(work.bwd.grads, problem.batch, rnd)
        penalty = 0.0
        if problem.l2:  # added once, to the batch's loss and its gradient
            keep = rnd or (lambda v: v)
            grads = tuple(keep(G + network.l2_gradient(W, problem.l2, problem.bias, problem.decay_bias)) for G, W in zip(grads, problem.weights))
            penalty = float(keep(network.l2_penalty(problem.weights, problem.l2, problem.bias, problem.decay_bias, problem.shared_bias)))
        opt_step = None
        if problem.optimizer is not None:
            opt_step = optimizers.step(problem.optimizer, problem.learning_rate, problem.weights, grads, problem.state,
                                       problem.bias, problem.train_bias, rnd)
            updated = opt_step.updated
        else:
            updated = network.update(problem.weights, grads, problem.learning_rate, problem.bias, problem.train_bias, rnd)
        losses = np.asarray(work.loss_value, dtype=np.float64)
        loss = float(np.sum(losses) / len(ones) if problem.batch == "mean" else np.sum(losses))
        if rnd is not None:
            loss = rnd(loss)
        if penalty:
            loss = float((rnd or (lambda v: v))(loss + penalty))
    for l, (G, U) in enumerate(zip(grads, updated), start=1):
        _check_finite(G, "grad_W", l, problem)
        _check_finite(U, "updated_W", l, problem)
    _check_finite(np.array(loss), "loss", None, problem)
    return Batch(problem, problem.batch, solutions, tuple(map(_frozen, grads)), tuple(map(_frozen, updated)), loss, rounding, exact,
                 opt_step, penalty)


def _frozen(values: np.ndarray) -> np.ndarray:
    values = np.array(values, dtype=np.float64)
    values.setflags(write=False)
    return values


def _taker(given: Mapping[str, np.ndarray], computed: dict[str, np.ndarray]):
    """The network's `given` hook: record what each given quantity computes to, then use the given."""

    def take(name: str, values: np.ndarray) -> np.ndarray:
        if name not in given:
            return values
        computed[name] = values
        return np.where(np.isnan(given[name]), values, given[name])

    return take


_WHAT = {
    "alpha": "alpha{l}",
    "beta": "beta{l}",
    "delta": "delta{l}",
    "grad_W": "dl/dW{l}",
    "updated_W": "the updated W{l}",
    "loss": "the loss",
}


def _check_finite(values: np.ndarray, name: str, layer: Optional[int], problem: Problem) -> None:
    if not np.all(np.isfinite(values)):
        what = _WHAT[name].format(l=layer)
        raise SolveError(
            f"{what} overflows float64 (larger than 1.8e308)",
            file=problem.source,
            fix="use smaller weights, inputs or learning rate",
        )
