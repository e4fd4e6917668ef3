"""Training a network on a data set: the worksheet's step repeated over many examples.

Per-example SGD (batch size 1: one update per example, each bit for bit the step `nnsolve
run` shows) and mini-batch gradient descent (the gradient averaged over the batch, one matmul
per layer). Pure numpy, float64 by default (float32 on request), no I/O and no printing:
`train` returns a History, and calls `on_epoch` after each epoch for whoever shows progress.

How it is fast. A step is compiled once into a fixed list of numpy calls on preallocated
arrays (a "program", see _Step), and the loop only replays it: no array, Problem or other
Python object is made per step, and the weights change in place.

At batch size 1 the cost is the number of numpy calls (on arrays of a few dozen numbers a
call's overhead is its cost, whatever their width), so the program is short: every call writes into its output,
constants are 0-d arrays (a Python float argument costs twice as much), np.dot is called
without its __array_function__ dispatch, one copy brings in an example, the sigmoid takes five
calls with network.py's exact bits, f' of consecutive layers of one activation is one pass, and
all weights live in one flat array so that the update is two calls for the whole network.
On wide layers (784 inputs) the rank-1 update of W^1 costs what it costs any numpy code (the
outer product and the subtraction are most of a step). BENCHMARKS.md has the figures.

In mini-batches the cost is the two matmuls per layer: 1/B and the learning rate are folded
into delta^L (a (B, n_L) array) so that each layer's weight-gradient matmul is the step itself,
and the examples are gathered into a contiguous array (the bias rows are added and summed rather
than multiplied by a column of ones). The step is subtracted from the weights in a second pass
over them. What is not a matmul is one gather of the batch from the data (its reading from memory) and small passes over
(B, n_l) arrays.

Memory: the data is never copied. Examples are gathered by row number into a batch-sized
buffer (np.take with out=), converted to float32 a batch at a time when training in float32
on float64 data (`nnsolve train --dtype float32` reads the features as float32: nothing to convert);
measuring the loss and accuracy goes through the data EVAL_CHUNK rows at a time in one set of
preallocated arrays. Beyond the data, training holds the weights four times (the weights, the
step, the last finite weights, the caller's), one batch's arrays and the epoch's order.

Everything random comes from one seed through separate streams (initial weights, validation
split, example order), so changing one option never changes the draws of another.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Callable, Optional, Sequence

import numpy as np

from .errors import NnsolveError
from .network import ACTIVATIONS, LEAKY_SLOPE, LOSSES, Activation, Loss

if TYPE_CHECKING:
    from .optimizers import Optimizer, State

INITS = ("xavier", "he", "uniform")
DTYPES = ("float64", "float32")
EVAL_CHUNK = 512  # rows per forward pass when measuring loss and accuracy: bounds the memory
GATHER_BYTES = 1 << 18  # batch size 1: examples are gathered (in their epoch order) this much at a time


@dataclass(frozen=True)
class Network:
    """What training needs of a problem: the shape and math of the network, not its example."""

    weights: tuple[np.ndarray, ...]  # W^l: (n_{l-1} + 1, n_l) with bias row 0; (n_{l-1}, n_l) without
    activations: tuple[str, ...]
    loss: str
    learning_rate: float
    threshold: float = 0.5
    bias: bool = True
    train_bias: bool = True
    # the update rule (optimizers.Optimizer) and its state at the start; None: plain SGD
    optimizer: Optional["Optimizer"] = None
    l2: float = 0.0  # the l2 term of the loss: its gradient l2 W joins every step's (the loss shown is the data's)
    decay_bias: bool = False  # whether l2 reaches the bias rows
    state: Optional["State"] = None

    @property
    def plain(self) -> bool:
        """Whether each step is w - lambda dl/dw (no optimizer, no l2)."""
        return (self.optimizer is None or self.optimizer.plain) and not self.l2
    shared_bias: bool = False  # bias: shared: row 0 of each W is one bias; its step is the row's sum, in every entry

    @classmethod
    def of(cls, problem, weights: Optional[Sequence[np.ndarray]] = None) -> "Network":
        """The network of a Problem, with its own weights or the ones given (same shapes). A
        problem without a learning rate cannot be trained: NnsolveError."""
        if problem.learning_rate is None:
            raise NnsolveError(
                "missing: training needs a learning rate, the step of every update",
                file=problem.source, key="learning_rate", fix="add learning_rate to the problem, such as 'learning_rate: 0.5'",
            )
        return cls(
            weights=tuple(np.array(W, dtype=np.float64) for W in (problem.weights if weights is None else weights)),
            activations=tuple(problem.activations),
            loss=problem.loss,
            learning_rate=float(problem.learning_rate),
            threshold=float(problem.threshold),
            bias=bool(problem.bias),
            train_bias=bool(problem.train_bias),
            optimizer=getattr(problem, "optimizer", None),
            l2=float(getattr(problem, "l2", 0.0)),
            decay_bias=bool(getattr(problem, "decay_bias", False)),
            state=getattr(problem, "state", None) if weights is None else None,
            shared_bias=bool(getattr(problem, "shared_bias", False)),
        )

    @property
    def sizes(self) -> tuple[int, ...]:
        """(n_0, n_1, ..., n_L)."""
        first = self.weights[0].shape[0] - (1 if self.bias else 0)
        return (first,) + tuple(W.shape[1] for W in self.weights)


@dataclass(frozen=True)
class EpochRecord:
    """Loss and accuracy after an epoch (epoch 0: the initial weights), measured on every
    training example (and validation example) with the weights the epoch ended with."""

    epoch: int
    loss: float
    accuracy: float  # fraction of examples whose predicted class is the label's, in [0, 1]
    val_loss: Optional[float] = None
    val_accuracy: Optional[float] = None

    def as_dict(self) -> dict:
        d = {"epoch": self.epoch, "loss": self.loss, "accuracy": self.accuracy}
        if self.val_loss is not None:
            d.update(val_loss=self.val_loss, val_accuracy=self.val_accuracy)
        return d


@dataclass(frozen=True)
class Divergence:
    """Training stopped: in `epoch` a loss or weight stopped being a finite number."""

    epoch: int
    what: str  # "the loss", "the validation loss", "W2"


@dataclass(frozen=True)
class History:
    initial: EpochRecord  # epoch 0: the weights training started from
    epochs: tuple[EpochRecord, ...]  # 1..E, or up to the epoch before a divergence
    weights: tuple[np.ndarray, ...]  # after the last epoch whose numbers were all finite
    diverged: Optional[Divergence]
    train_rows: np.ndarray  # indices into the data of the training examples
    validation_rows: np.ndarray  # ... and of the validation examples (empty without a split)

    @property
    def final(self) -> EpochRecord:
        return self.epochs[-1] if self.epochs else self.initial


# ---------------------------------------------------------------------------
# Randomness


@dataclass(frozen=True)
class Streams:
    init: np.random.Generator  # initial weights (--init)
    split: np.random.Generator  # which examples are held out for validation
    order: np.random.Generator  # the order of the examples in each epoch


def streams(seed: int) -> Streams:
    init, split, order = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    return Streams(init, split, order)


def initial_weights(network: Network, method: str, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """New weights of the network's shapes. Bias rows start at 0; the others are drawn from
    xavier: U(+-sqrt(6 / (fan_in + fan_out))), he: N(0, 2 / fan_in), uniform: U(+-1/sqrt(fan_in))."""
    if method not in INITS:
        raise ValueError(method)
    new = []
    for W in network.weights:
        n_in = W.shape[0] - (1 if network.bias else 0)
        n_out = W.shape[1]
        if method == "xavier":
            limit = np.sqrt(6.0 / (n_in + n_out))
            drawn = rng.uniform(-limit, limit, size=(n_in, n_out))
        elif method == "he":
            drawn = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
        else:
            limit = 1.0 / np.sqrt(n_in)
            drawn = rng.uniform(-limit, limit, size=(n_in, n_out))
        if network.bias:
            drawn = np.vstack([np.zeros((1, n_out)), drawn])
        new.append(drawn)
    return tuple(new)


def split_rows(n: int, fraction: float, shuffle: bool, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, validation rows): round(fraction * n) rows held out, chosen at random
    with shuffle, else the last ones (as they are in the file)."""
    n_val = int(round(fraction * n))
    if fraction > 0 and n_val == 0:
        n_val = 1
    if n_val and n - n_val < 1:
        raise NnsolveError(
            f"a validation split of {fraction:g} leaves no training examples of {n}",
            key="--validation-split", fix="use a smaller fraction, such as 0.2",
        )
    rows = rng.permutation(n) if shuffle and n_val else np.arange(n)
    return np.sort(rows[: n - n_val]), np.sort(rows[n - n_val:])


# ---------------------------------------------------------------------------
# Programs: a step (or a forward pass) as a fixed list of numpy calls on preallocated arrays

Program = list  # of (function, args): replayed as `for f, args in program: f(*args)`

# np.dot and np.copyto themselves, without the __array_function__ dispatch in front of them
# (for other array types; a program holds only ndarrays), which on a program's small arrays
# costs about as much as the call
_dot = getattr(np.dot, "__wrapped__", np.dot)
_copyto = getattr(np.copyto, "__wrapped__", np.copyto)


class _Constants:
    """The numbers a program uses, as 0-d arrays of its dtype: a ufunc takes a 0-d array
    argument at the cost of an array, a Python float at about twice that."""

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)
        self.one, self.zero, self.minus_one, self.slope = (self.of(v) for v in (1.0, 0.0, -1.0, LEAKY_SLOPE))

    def of(self, value: float) -> np.ndarray:
        return np.array(value, dtype=self.dtype)


def _run(program: Program) -> None:
    for f, args in program:
        f(*args)


def _assign(out: np.ndarray, function: Callable, *args) -> None:
    """out = function(*args): an activation or loss this module has no program for (any new
    one in network.py still trains, at network.py's speed)."""
    out[...] = function(*args)


def _value_ops(act: Activation, alpha: np.ndarray, beta: np.ndarray, k: _Constants) -> Program:
    """beta = f(alpha), with network.py's float operations (so its bits)."""
    name = act.name
    if name == "sigmoid":
        # network._sigmoid: e = exp(-|a|); 1 / (1 + e) where a >= 0, else e / (1 + e). The
        # numerator is exp(min(a, 0)), exactly 1 or e, so one exp of both rows does it.
        # (fmin, not minimum: fmin(nan, 0) is 0, but the denominator is still nan.)
        z = np.empty((2,) + alpha.shape, alpha.dtype)
        return [
            (np.copysign, (alpha, k.minus_one, z[0])),  # -|a|
            (np.fmin, (alpha, k.zero, z[1])),
            (np.exp, (z, z)),
            (np.add, (z[0], k.one, z[0])),
            (np.divide, (z[1], z[0], beta)),
        ]
    if name == "tanh":
        return [(np.tanh, (alpha, beta))]
    if name == "relu":  # np.maximum: a nan stays nan (fmax would hide a divergence)
        return [(partial(np.maximum, out=beta), (alpha, k.zero))]
    if name == "linear":
        return [(_copyto, (beta, alpha))]
    if name == "leaky_relu":  # where(a > 0, a, slope a)
        mask = np.empty(alpha.shape, dtype=bool)
        return [
            (np.multiply, (alpha, k.slope, beta)),
            (np.greater, (alpha, k.zero, mask)),
            (partial(_copyto, where=mask), (beta, alpha)),
        ]
    if name == "softmax":  # e = exp(a - max a); e / sum e (np.max and np.sum are these reduces)
        m = np.empty(alpha.shape[:-1] + (1,), alpha.dtype)
        s = np.empty_like(m)
        return [
            (partial(np.maximum.reduce, axis=-1, keepdims=True, out=m), (alpha,)),
            (np.subtract, (alpha, m, beta)),
            (np.exp, (beta, beta)),
            (partial(np.add.reduce, axis=-1, keepdims=True, out=s), (beta,)),
            (np.divide, (beta, s, beta)),
        ]
    return [(_assign, (beta, act.value, alpha))]


def _derivative_ops(act: Activation, alpha, beta, t, k: _Constants) -> Program:
    """t = f'(alpha) as network.py takes it, for an elementwise f other than linear (whose f'
    is 1: nothing to compute). alpha, beta and t may span several layers of the same f."""
    name = act.name
    if name == "sigmoid":  # beta (1 - beta)
        return [(np.subtract, (k.one, beta, t)), (np.multiply, (beta, t, t))]
    if name == "tanh":  # 1 - beta^2
        return [(np.multiply, (beta, beta, t)), (np.subtract, (k.one, t, t))]
    if name == "relu":  # 1 where a > 0, else 0
        return [(np.greater, (alpha, k.zero, t))]
    if name == "leaky_relu":  # 1 where a > 0, else slope
        mask = np.empty(alpha.shape, dtype=bool)
        return [(np.greater, (alpha, k.zero, mask)), (_copyto, (t, k.slope)), (partial(_copyto, where=mask), (t, k.one))]
    return [(_assign, (t, act.derivative, alpha, beta))]


def _backward_ops(act: Activation, alpha, beta, grad_beta, out, k: _Constants, t=None) -> Program:
    """out = dl/dalpha = f'(alpha) * dl/dbeta (the vector-Jacobian product for softmax), as
    network.backward takes it; t: where f'(alpha) is already (else it is computed here)."""
    if act.derivative is None:  # softmax: beta * (g - <g, beta>)
        u = np.empty_like(alpha)
        s = np.empty(alpha.shape[:-1] + (1,), alpha.dtype)
        return [
            (np.multiply, (grad_beta, beta, u)),
            (partial(np.add.reduce, axis=-1, keepdims=True, out=s), (u,)),
            (np.subtract, (grad_beta, s, u)),
            (np.multiply, (beta, u, out)),
        ]
    if act.name == "linear":  # g * 1 is g
        return [(_copyto, (out, grad_beta))]
    ops: Program = []
    if t is None:
        t = np.empty_like(alpha)
        ops = _derivative_ops(act, alpha, beta, t, k)
    return ops + [(np.multiply, (grad_beta, t, out))]


def _output_ops(loss: Loss, act: Activation, alpha, y_hat, y, delta, k: _Constants, t=None) -> Program:
    """delta = dl/dalpha^L, as network.backward takes it: directly where the loss simplifies
    with the output activation, else dl/dy_hat times f' (t: f'(alpha^L) if already there)."""
    pair = (loss.name, act.name)
    if loss.simplifies_with(act):
        if pair in (("binary_cross_entropy", "sigmoid"), ("cross_entropy", "softmax")):  # y_hat - y
            return [(np.subtract, (y_hat, y, delta))]
        if pair == ("cross_entropy", "sigmoid"):  # -y (1 - y_hat)
            minus_y, u = np.empty_like(y), np.empty_like(y)
            return [(np.negative, (y, minus_y)), (np.subtract, (k.one, y_hat, u)), (np.multiply, (minus_y, u, delta))]
        return [(_assign, (delta, loss.simplified_delta, y, alpha, y_hat, act))]
    g = np.empty_like(y_hat)  # dl/dy_hat
    if loss.name == "squared_error":  # -(y - y_hat): the same number (a zero may change sign)
        ops = [(np.subtract, (y_hat, y, g))]
    elif loss.name == "mse":  # -(2/K)(y - y_hat)
        ops = [(np.subtract, (y, y_hat, g)), (np.multiply, (k.of(-(2.0 / y.shape[-1])), g, g))]
    else:
        ops = [(_assign, (g, loss.grad_y_hat, y, y_hat))]
    return ops + _backward_ops(act, alpha, y_hat, g, delta, k, t)


class _Weights:
    """The weights of every layer as views of one flat array, and their gradients (or steps)
    likewise: the update of the whole network is one or two numpy calls."""

    def __init__(self, weights: Sequence[np.ndarray], dtype):
        total = sum(W.size for W in weights)
        self.flat = np.empty(total, dtype=dtype)
        self.grad_flat = np.zeros(total, dtype=dtype)
        self.layers: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        start = 0
        for W in weights:
            end = start + W.size
            view = self.flat[start:end].reshape(W.shape)
            view[...] = W
            self.layers.append(view)
            self.grads.append(self.grad_flat[start:end].reshape(W.shape))
            start = end

    def as_float64(self) -> tuple[np.ndarray, ...]:
        return tuple(np.array(W, dtype=np.float64) for W in self.layers)


MERGED = ("sigmoid", "tanh", "relu")  # f' of consecutive layers taken in one go at batch size 1


class _FlatOptimizer:
    """An optimizer's step over training's flat array of every weight (optimizers.rule, which is
    elementwise), with its state kept from step to step, and the l2 term's gradient l2 W added
    first. A bias row with train_bias off stays, and so does its state."""

    def __init__(self, network: Network, weights: _Weights, dtype):
        from .optimizers import Optimizer, decay_mask

        self.opt = network.optimizer or Optimizer("sgd")
        self.weights = weights
        self.lr = float(network.learning_rate)
        self.l2 = network.l2
        masks, frozen = [], []
        for W in weights.layers:
            masks.append(decay_mask(W, network.bias, network.decay_bias if network.optimizer is None else self.opt.decay_bias).ravel())
            keep = np.zeros(W.shape, dtype=bool)
            if network.bias and not network.train_bias:
                keep[0] = True
            frozen.append(keep.ravel())
        self.mask = np.concatenate(masks).astype(dtype)
        self.l2_mask = np.concatenate([decay_mask(W, network.bias, network.decay_bias).ravel() for W in weights.layers]).astype(dtype)
        self.frozen = np.concatenate(frozen) if network.bias and not network.train_bias else None
        state = network.state
        self.t = state.step if state is not None else 0
        self.state: dict = {}
        if state is not None and not state.fresh:
            for name in self.opt.state_names():
                self.state[name] = np.concatenate([np.asarray(state.layer(l)[name], dtype=dtype).ravel() for l in range(1, len(weights.layers) + 1)])

    def __call__(self) -> None:
        from .optimizers import rule

        self.t += 1
        W, g = self.weights.flat, self.weights.grad_flat
        if self.l2:
            g = g + self.l2 * self.l2_mask * W
        _, state, new = rule(self.opt, self.lr, W, g, self.state, self.t, self.mask)
        state = dict(state)
        if self.frozen is not None:
            new[self.frozen] = W[self.frozen]
            for name, values in state.items():
                before = self.state.get(name)
                values[self.frozen] = before[self.frozen] if before is not None else (self.opt["initial_accumulator"] if name == "G" else 0.0)
        W[...] = new
        self.state = state


class _Step:
    """One gradient step on B examples, as a program.

    B = 1: the same float operations as network.forward, backward and update on one example,
    in the same order (so the worksheet's step bit for bit; a dl/dy_hat of exactly 0 may be
    -0 there and +0 here). B > 1: the gradient averaged over the batch; 1/B and the learning
    rate are folded into delta^L, so each layer's weight-gradient matmul gives its step (equal
    to the mean gradient times the rate up to rounding, ~1e-16 relative), and the bias rows are
    added in the forward pass and summed in the backward one (1^T delta, a matrix-vector product
    twice as fast as np.sum over the batch) rather than multiplied by a column of ones (a batch
    is gathered into a contiguous array a third faster than into one with a ones column). The
    output layer's arrays are in column order, so that a softmax's max and sum over each
    example's few outputs read contiguous memory.

    Write the examples into self.x (B, n_0) and their labels into self.y (B, n_L), then run
    self.program. With B = 1, x and y are both in self.example, which takes a row [x, y]."""

    def __init__(self, network: Network, weights: _Weights, B: int, k: _Constants, optimizer: Optional[_FlatOptimizer] = None):
        dtype = k.dtype
        Ws = weights.layers
        L = len(Ws)
        extra = 1 if network.bias else 0
        acts = [ACTIVATIONS[a] for a in network.activations]
        loss = LOSSES[network.loss]
        sizes = [Ws[0].shape[0] - extra] + [W.shape[1] for W in Ws]
        keep_bias = network.bias and not network.train_bias
        shared = network.bias and network.shared_bias  # row 0's gradient (or step) summed into every entry
        deltas = [np.empty((B, n), dtype=dtype) for n in sizes[1:]]
        slopes: dict[int, np.ndarray] = {}  # f'(alpha^l), where backpropagation takes it
        program: Program = []
        if B == 1:
            # inputs[l] = [1, beta^{l-1}], as network.forward makes it. One row holds
            # [1, x, y, 1, beta^1, 1, beta^2, ..., beta^L]: one copy a step brings in an
            # example, each layer writes its beta straight into the next one's input, and f' of
            # consecutive layers of one activation is one pass over their betas (the ones
            # between them get an f'(1) that nothing reads)
            row = np.ones(extra + sizes[0] + sizes[-1] + sum(extra + n for n in sizes[1:-1]) + sizes[-1], dtype=dtype)
            at = extra + sizes[0]
            self.example = row[extra:at + sizes[-1]]
            self.y = row[None, at:at + sizes[-1]]
            inputs = [row[None, :at]]
            spans = []  # where beta^l is in row
            at += sizes[-1]
            for n in sizes[1:-1]:
                inputs.append(row[None, at:at + extra + n])
                spans.append((at + extra, at + extra + n))
                at += extra + n
            spans.append((at, at + sizes[-1]))
            betas = [row[None, a:b] for a, b in spans]
            all_alphas = np.empty(sum(sizes[1:]), dtype=dtype)
            alpha_spans = [(int(e) - n, int(e)) for e, n in zip(np.cumsum(sizes[1:]), sizes[1:])]
            alphas = [all_alphas[None, a:b] for a, b in alpha_spans]
            for l in range(L):
                program.append((_dot, (inputs[l], Ws[l], alphas[l])))
                program += _value_ops(acts[l], alphas[l], betas[l], k)
            # f' of the layers that need it, runs of one activation in one go
            slopes_of_betas, slopes_of_alphas = np.empty_like(row), np.empty_like(all_alphas)
            for first, last in _runs(acts, loss):
                from_betas = acts[first].name != "relu"
                span = spans if from_betas else alpha_spans
                source, t = (row, slopes_of_betas) if from_betas else (all_alphas, slopes_of_alphas)
                a, b = span[first][0], span[last][1]
                program += _derivative_ops(acts[first], source[None, a:b], source[None, a:b], t[None, a:b], k)
                slopes.update({m: t[None, span[m][0]:span[m][1]] for m in range(first, last + 1)})
        else:
            ones = np.ones(B, dtype=dtype)
            inputs = [np.empty((B, n), dtype=dtype) for n in sizes[:-1]]
            # the output layer's arrays in column order: a softmax's max and sum over each
            # example's outputs then run along contiguous memory
            self.y = np.empty((B, sizes[-1]), dtype=dtype, order="F")
            alphas = [np.empty((B, n), dtype=dtype, order="F" if l == L - 1 else "C") for l, n in enumerate(sizes[1:])]
            betas = inputs[1:] + [np.empty_like(alphas[-1])]
            deltas[-1] = np.empty_like(alphas[-1])
            for l in range(L):
                product = _dot if alphas[l].flags.c_contiguous else np.matmul  # (np.dot writes only into C order)
                program.append((product, (inputs[l], Ws[l][extra:], alphas[l])))
                if extra:
                    program.append((np.add, (alphas[l], Ws[l][0], alphas[l])))
                program += _value_ops(acts[l], alphas[l], betas[l], k)
            for first, _ in _runs(acts, loss, merge=False):
                slopes[first] = np.empty((B, sizes[first + 1]), dtype=dtype)
                program += _derivative_ops(acts[first], alphas[first], betas[first], slopes[first], k)
        self.x = inputs[0][:, extra:] if B == 1 else inputs[0]

        program += _output_ops(loss, acts[-1], alphas[-1], betas[-1], self.y, deltas[-1], k, slopes.get(L - 1))
        if B > 1:  # (with an optimizer, the mean gradient: the optimizer makes the step)
            program.append((np.multiply, (deltas[-1], k.of((network.learning_rate if optimizer is None else 1.0) / B), deltas[-1])))
        for l in range(L - 1, -1, -1):
            G = weights.grads[l]
            if l:  # dl/dbeta^{l-1} = delta^l W^l without its bias row, taken before W^l is updated
                grad_beta = np.empty((B, sizes[l]), dtype=dtype)
                program.append((_dot, (deltas[l], Ws[l][extra:].T, grad_beta)))
            if B == 1:  # dl/dW^l = input^T delta: the outer product (a k=1 product: exactly x_i delta_j)
                program.append((_dot, (inputs[l].T, deltas[l], G)))
                if keep_bias:
                    program.append((_copyto, (G[0], k.zero)))
                elif shared:
                    program += _shared_ops(G[0])
            else:  # the step (the sum over the batch; delta is scaled: the product is the step), then W^l - step
                program.append((_dot, (inputs[l].T, deltas[l], G[extra:])))
                if extra and not keep_bias:  # (kept: row 0 of the steps stays 0, as it was made)
                    program.append((_dot, (ones, deltas[l], G[0])))  # 1^T delta, the bias row's step
                    if shared:
                        program += _shared_ops(G[0])
                if optimizer is None:
                    program.append((np.subtract, (Ws[l], G, Ws[l])))
            if l:
                program += _backward_ops(acts[l - 1], alphas[l - 1], betas[l - 1], grad_beta, deltas[l - 1], k, slopes.get(l - 1))
        if optimizer is not None:  # the optimizer's step, every layer at once
            program.append((optimizer, ()))
        elif B == 1:  # w - lambda dl/dw, every layer at once
            program.append((np.multiply, (weights.grad_flat, k.of(network.learning_rate), weights.grad_flat)))
            program.append((np.subtract, (weights.flat, weights.grad_flat, weights.flat)))
        self.program = program
        self.B = B


def _shared_ops(row: np.ndarray) -> Program:
    """row[:] = sum(row): a shared bias's gradient (or step), the sum over its layer's neurons,
    in every entry of row 0, so that the update keeps the entries equal (network._shared)."""
    total = np.empty(1, dtype=row.dtype)
    return [(partial(np.add.reduce, axis=-1, keepdims=True, out=total), (row,)), (_copyto, (row, total))]


def _runs(acts: Sequence[Activation], loss: Loss, merge: bool = True) -> list[tuple[int, int]]:
    """(first, last) layers whose f'(alpha) backpropagation multiplies by, elementwise: every
    hidden layer, and the output layer when delta^L is not taken directly; consecutive layers
    of one MERGED activation in one run when merge."""
    L = len(acts)
    needs = [l for l in range(L - 1)] + ([] if loss.simplifies_with(acts[-1]) else [L - 1])
    runs: list[tuple[int, int]] = []
    for l in needs:
        if acts[l].derivative is None or acts[l].name == "linear":  # softmax; f' = 1
            continue
        if merge and runs and runs[-1][1] == l - 1 and acts[l].name == acts[l - 1].name and acts[l].name in MERGED:
            runs[-1] = (runs[-1][0], l)
        else:
            runs.append((l, l))
    return runs


class Trainer:
    """The steps of training, without the measuring: a network's weights (copied), changed in
    place by `epoch`. `train` drives one; the benchmark times one."""

    def __init__(self, network: Network, X: np.ndarray, Y: np.ndarray, batch_size: int = 1, dtype: str = "float64",
                 weights: Optional[Sequence[np.ndarray]] = None):
        if dtype not in DTYPES:
            raise ValueError(dtype)
        self.X, self.Y = _floats(X), _floats(Y)
        self.k = _Constants(dtype)
        self.weights = _Weights(network.weights if weights is None else weights, self.k.dtype)
        self.network = network
        self.batch_size = batch_size
        self._one: Optional[_Step] = None  # batch size 1's program, kept from epoch to epoch (it is small)
        # an optimizer and its state, kept from step to step (None: plain SGD, in the programs themselves)
        self.optimizer = None if network.plain else _FlatOptimizer(network, self.weights, self.k.dtype)

    def epoch(self, rows: np.ndarray) -> None:
        """One pass over the examples of these rows, in this order (an update after each
        batch_size of them, the last batch possibly smaller)."""
        rows = np.asarray(rows, dtype=np.intp)
        n = len(rows)
        B = min(self.batch_size, n)
        if n == 0:
            return
        with np.errstate(all="ignore"):  # a divergence is found after the epoch, by name
            if B == 1:
                self._one_at_a_time(rows)
            else:
                self._batches(rows, B)

    def _one_at_a_time(self, rows: np.ndarray) -> None:
        if self._one is None:
            self._one = _Step(self.network, self.weights, 1, self.k, self.optimizer)
        step = self._one
        X, Y, n0 = self.X, self.Y, self.X.shape[1]
        chunk = max(1, min(len(rows), GATHER_BYTES // (step.example.size * self.k.dtype.itemsize)))
        gathered = np.empty((chunk, step.example.size), dtype=self.k.dtype)  # rows [x, y]
        example, program, copyto = step.example, step.program, _copyto
        for start in range(0, len(rows), chunk):
            some = rows[start:start + chunk]
            block = gathered[: len(some)]
            np.take(X, some, axis=0, out=block[:, :n0], mode="clip")  # valid rows: no checks
            np.take(Y, some, axis=0, out=block[:, n0:], mode="clip")
            for row in block:
                copyto(example, row)
                for f, args in program:
                    f(*args)

    def _batches(self, rows: np.ndarray, B: int) -> None:
        X, Y = self.X, self.Y
        # float64 data for float32 training: gathered as it is, then converted (faster than
        # np.take converting as it goes)
        staging = np.empty((B, X.shape[1]), dtype=X.dtype) if X.dtype != self.k.dtype else None
        full = len(rows) - len(rows) % B
        # the arrays of one program at a time (made each epoch): the full batches',
        # then the last smaller batch's, then none while the epoch is measured
        for start, stop, size in ((0, full, B), (full, len(rows), len(rows) - full)):
            if start == stop:
                continue
            step = _Step(self.network, self.weights, size, self.k, self.optimizer)
            for at in range(start, stop, size):
                some = rows[at:at + size]
                if staging is None:
                    np.take(X, some, axis=0, out=step.x, mode="clip")  # valid rows: no checks
                else:
                    np.take(X, some, axis=0, out=staging[:size], mode="clip")
                    np.copyto(step.x, staging[:size])
                np.take(Y, some, axis=0, out=step.y, mode="clip")
                _run(step.program)
            del step

    def current(self) -> tuple[np.ndarray, ...]:
        """The weights now, as float64 copies."""
        return self.weights.as_float64()


def _floats(A: np.ndarray) -> np.ndarray:
    """A as it is when it is an array of floats (float32 data is not doubled), else as float64."""
    A = np.asarray(A)
    return A if A.dtype in (np.float64, np.float32) else A.astype(np.float64)


# ---------------------------------------------------------------------------
# Measuring


class _Forward:
    """The forward pass of C examples at a time, into preallocated arrays. The first layer
    adds its bias row rather than reading a ones column, so a slice of the data is used where
    it lies (when it is of the weights' dtype)."""

    def __init__(self, network: Network, weights: Sequence[np.ndarray], C: int):
        k = _Constants(weights[0].dtype)
        extra = 1 if network.bias else 0
        acts = [ACTIVATIONS[a] for a in network.activations]
        self.dtype, self.C, self.n_in = k.dtype, C, weights[0].shape[0] - extra
        self.x: Optional[np.ndarray] = None  # for rows gathered or converted, made when needed
        alphas = [np.empty((C, W.shape[1]), dtype=k.dtype) for W in weights]
        betas = [np.empty((C, W.shape[1]), dtype=k.dtype) for W in weights]
        self.head = (weights[0][extra:], alphas[0])
        rest: Program = []
        for l, W in enumerate(weights):
            if l:
                rest.append((_dot, (betas[l - 1], W[extra:], alphas[l])))
            if extra:
                rest.append((np.add, (alphas[l], W[0], alphas[l])))
            rest += _value_ops(acts[l], alphas[l], betas[l], k)
        self.rest = rest
        self.out = (alphas[-1], betas[-1])

    def __call__(self, X: np.ndarray, start: int, rows: Optional[np.ndarray]):
        """(alpha^L, y_hat) of the C examples X[start:] (or X[rows]): this object's arrays."""
        if rows is None and X.dtype == self.dtype and X.flags.c_contiguous:
            x = X[start:start + self.C]
        else:
            if self.x is None:
                self.x = np.empty((self.C, self.n_in), dtype=self.dtype)
            x = self.x
            if rows is None:
                x[...] = X[start:start + self.C]
            else:
                np.take(X, rows, axis=0, out=x, mode="clip")
        first, alpha = self.head
        _dot(x, first, alpha)
        _run(self.rest)
        return self.out


def _forward_chunks(network: Network, weights: Sequence[np.ndarray], X: np.ndarray, rows: Optional[np.ndarray] = None):
    """(start, stop, alpha^L, y_hat) for each chunk of up to EVAL_CHUNK examples of X (or of
    X[rows]), in order; the arrays are reused from one chunk to the next. Every chunk is of one
    size, so one set of arrays does: the last one ends at the last example and overlaps the one
    before, and only its new rows are given."""
    n = X.shape[0] if rows is None else len(rows)
    if n == 0:
        return
    C = min(EVAL_CHUNK, n)
    forward = _Forward(network, weights, C)
    for start in range(0, n, C):
        first = min(start, n - C)  # the rows computed: first .. first + C
        alpha, y_hat = forward(X, first, None if rows is None else rows[first:first + C])
        skip = start - first
        yield start, first + C, alpha[skip:], y_hat[skip:]


def _weights_of(network: Network, weights) -> list[np.ndarray]:
    """The weights to measure with: float32 stays float32, anything else is float64."""
    weights = network.weights if weights is None else weights
    dtype = np.float32 if all(np.asarray(W).dtype == np.float32 for W in weights) else np.float64
    return [np.ascontiguousarray(W, dtype=dtype) for W in weights]


def predict(network: Network, X: np.ndarray, weights: Optional[Sequence[np.ndarray]] = None) -> np.ndarray:
    """y_hat for every row of X (one matmul per layer, in chunks)."""
    weights = _weights_of(network, weights)
    X = _floats(X)
    out = np.empty((X.shape[0], weights[-1].shape[1]))
    with np.errstate(all="ignore"):
        for start, stop, _, y_hat in _forward_chunks(network, weights, X):
            out[start:stop] = y_hat
    return out


def classes(network: Network, values: np.ndarray) -> np.ndarray:
    """The class of each row of outputs (or labels) as solution.py predicts it: the argmax
    for softmax, else 1 where a value is at least the threshold, per output."""
    if network.activations[-1] == "softmax":
        return np.argmax(values, axis=-1)[:, None]
    return (values >= network.threshold).astype(np.int8)


def evaluate(network: Network, X: np.ndarray, Y: np.ndarray, weights=None, rows: Optional[np.ndarray] = None) -> tuple[float, float]:
    """(mean loss, accuracy) over the rows of X and Y (all, or those given): the loss as the
    problem defines it, averaged over examples; an example counts as right when every
    output's class matches. Works in chunks, so it holds no more than a chunk's activations.
    float32 weights are measured in float32 (the loss summed in float64)."""
    weights = _weights_of(network, weights)
    X, Y = _floats(X), _floats(Y)
    out = ACTIVATIONS[network.activations[-1]]
    loss = LOSSES[network.loss]
    n = X.shape[0] if rows is None else len(rows)
    total, right = 0.0, 0
    for start, stop, alpha, y_hat in _forward_chunks(network, weights, X, rows):
        Yc = Y[start:stop] if rows is None else Y[rows[start:stop]]
        total += float(np.sum(loss.value(Yc, alpha, y_hat, out), dtype=np.float64))
        right += int(np.count_nonzero(np.all(classes(network, y_hat) == classes(network, Yc), axis=-1)))
    return total / max(n, 1), right / max(n, 1)


# ---------------------------------------------------------------------------
# Training


def _finite(weights, loss: float, val_loss: Optional[float]) -> Optional[str]:
    """What is not a finite number after an epoch, or None."""
    for l, W in enumerate(weights, start=1):
        if not np.all(np.isfinite(W)):
            return f"W{l}"
    if not np.isfinite(loss):
        return "the loss"
    if val_loss is not None and not np.isfinite(val_loss):
        return "the validation loss"
    return None


def train(
    network: Network,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    epochs: int,
    batch_size: int = 1,
    shuffle: bool = True,
    seed: int = 0,
    validation_split: float = 0.0,
    on_epoch: Optional[Callable[[EpochRecord], None]] = None,
    dtype: str = "float64",
) -> History:
    """Train from network.weights (left as they were) on X (N, n_0) and Y (N, n_L).

    Each epoch visits every training example once, in a fresh seeded order with shuffle, in
    the file's order without; batch_size 1 updates after each example with the problem's
    learning rate, a larger one after each batch with the gradient averaged over it (the last
    batch of an epoch may be smaller). Stops early, keeping the last finite weights, if a
    loss or weight stops being finite. dtype "float32" trains and measures in float32 (the
    weights returned are float64 copies of the float32 ones)."""
    X, Y = _floats(X), _floats(Y)
    rng = streams(seed)
    train_rows, val_rows = split_rows(X.shape[0], validation_split, shuffle, rng.split)
    # the data is never copied: examples are read through their row numbers
    everything = len(val_rows) == 0
    trainer = Trainer(network, X, Y, batch_size, dtype)
    weights = trainer.weights.layers  # changed in place by each epoch
    n = len(train_rows)

    def measure(epoch: int) -> EpochRecord:
        with np.errstate(all="ignore"):  # a divergence is found below by name, not as a warning
            loss, accuracy = evaluate(network, X, Y, weights, None if everything else train_rows)
            if everything:
                return EpochRecord(epoch, loss, accuracy)
            val_loss, val_accuracy = evaluate(network, X, Y, weights, val_rows)
        return EpochRecord(epoch, loss, accuracy, val_loss, val_accuracy)

    initial = measure(0)
    records: list[EpochRecord] = []
    good = trainer.current()
    diverged = None
    for epoch in range(1, epochs + 1):
        trainer.epoch(train_rows[rng.order.permutation(n)] if shuffle else train_rows)
        record = measure(epoch)
        what = _finite(weights, record.loss, record.val_loss)
        if what is not None:
            diverged = Divergence(epoch, what)
            break
        for kept, W in zip(good, weights):  # (into the same arrays: no second copy at the peak)
            kept[...] = W
        records.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return History(initial, tuple(records), good, diverged, train_rows, val_rows)
