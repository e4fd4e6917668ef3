"""Training a network on a data set: the worksheet's step repeated over many examples.

Per-example SGD (batch size 1: one update per example, each exactly the step `nnsolve run`
shows) and mini-batch gradient descent (the gradient averaged over the batch, one matmul per
layer). Pure numpy, float64, no I/O and no printing: `train` returns a History, and calls
`on_epoch` after each epoch for whoever shows progress.

The loops keep every array preallocated and change the weights in place: no Problem,
Solution or other Python object is made per step. Everything random comes from one seed
through separate streams (initial weights, validation split, example order), so changing
one option never changes the draws of another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np

from .errors import NnsolveError
from .network import ACTIVATIONS, LOSSES, Activation, Loss

INITS = ("xavier", "he", "uniform")
EVAL_CHUNK = 4096  # rows per forward pass when measuring loss and accuracy: bounds the memory


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

    @classmethod
    def of(cls, problem, weights: Optional[Sequence[np.ndarray]] = None) -> "Network":
        """The network of a Problem, with its own weights or the ones given (same shapes)."""
        return cls(
            weights=tuple(np.array(W, dtype=np.float64) for W in (problem.weights if weights is None else weights)),
            activations=tuple(problem.activations),
            loss=problem.loss,
            learning_rate=float(problem.learning_rate),
            threshold=float(problem.threshold),
            bias=bool(problem.bias),
            train_bias=bool(problem.train_bias),
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
# Measuring


def predict(network: Network, X: np.ndarray, weights: Optional[Sequence[np.ndarray]] = None) -> np.ndarray:
    """y_hat for every row of X (one matmul per layer, in chunks)."""
    weights = network.weights if weights is None else weights
    acts = [ACTIVATIONS[a] for a in network.activations]
    out = np.empty((X.shape[0], weights[-1].shape[1]))
    for start in range(0, X.shape[0], EVAL_CHUNK):
        _, y_hat = _forward(weights, acts, network.bias, X[start:start + EVAL_CHUNK])
        out[start:start + EVAL_CHUNK] = y_hat
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
    output's class matches. Works in chunks, so it holds no more than a chunk's activations."""
    weights = network.weights if weights is None else weights
    acts = [ACTIVATIONS[a] for a in network.activations]
    loss = LOSSES[network.loss]
    n = X.shape[0] if rows is None else len(rows)
    total, right = 0.0, 0
    for start in range(0, n, EVAL_CHUNK):
        if rows is None:
            Xc, Yc = X[start:start + EVAL_CHUNK], Y[start:start + EVAL_CHUNK]
        else:
            chunk = rows[start:start + EVAL_CHUNK]
            Xc, Yc = X[chunk], Y[chunk]
        alpha, y_hat = _forward(weights, acts, network.bias, Xc)
        total += float(np.sum(loss.value(Yc, alpha, y_hat, acts[-1])))
        right += int(np.sum(np.all(classes(network, y_hat) == classes(network, Yc), axis=-1)))
    return total / max(n, 1), right / max(n, 1)


def _forward(weights, acts, bias: bool, X: np.ndarray):
    """(alpha^L, y_hat) of a stack of examples."""
    beta = X
    alpha = X
    for W, act in zip(weights, acts):
        alpha = beta @ W[1:] if bias else beta @ W
        if bias:
            alpha += W[0]
        beta = np.empty_like(alpha)
        _Kernel(act, alpha.shape).value(alpha, beta)  # in place: fewer passes over a big chunk
    return alpha, beta


# ---------------------------------------------------------------------------
# Training


class _Kernel:
    """An activation's value and derivative written into preallocated arrays, with the same
    float operations as network.py's (so bit for bit its results), for a layer of one shape."""

    def __init__(self, act: Activation, shape: tuple[int, int]):
        self.act = act
        self.fast = act.name in ("sigmoid", "tanh", "relu", "linear")
        self.tmp = np.empty(shape)
        self.mask = np.empty(shape, dtype=bool)

    def value(self, alpha: np.ndarray, out: np.ndarray) -> None:
        name, t = self.act.name, self.tmp
        if name == "sigmoid":  # e = exp(-|a|); 1 / (1 + e) where a >= 0, else e / (1 + e)
            np.abs(alpha, out=t)
            np.negative(t, out=t)
            np.exp(t, out=t)
            np.add(t, 1.0, out=out)
            np.greater_equal(alpha, 0.0, out=self.mask)
            np.copyto(t, 1.0, where=self.mask)
            np.divide(t, out, out=out)
        elif name == "tanh":
            np.tanh(alpha, out=out)
        elif name == "relu":
            np.maximum(alpha, 0.0, out=out)
        elif name == "linear":
            np.copyto(out, alpha)
        else:
            out[...] = self.act.value(alpha)

    def backward(self, alpha: np.ndarray, beta: np.ndarray, grad_beta: np.ndarray, out: np.ndarray) -> None:
        """out = dl/dalpha = f'(alpha) * dl/dbeta (the vector-Jacobian product for softmax)."""
        name, t = self.act.name, self.tmp
        if name == "sigmoid":  # beta (1 - beta)
            np.subtract(1.0, beta, out=t)
            np.multiply(beta, t, out=t)
        elif name == "tanh":  # 1 - beta^2
            np.multiply(beta, beta, out=t)
            np.subtract(1.0, t, out=t)
        elif name == "relu":  # 1 where alpha > 0
            np.greater(alpha, 0.0, out=t)
        elif name == "linear":
            t.fill(1.0)
        else:
            out[...] = self.act.backward(alpha, beta, grad_beta)
            return
        np.multiply(grad_beta, t, out=out)


class _Stepper:
    """One gradient step on a batch of B examples: every array preallocated, the weights
    changed in place. With B = 1 it is bit for bit network.forward, backward and update on
    one example (the same float operations in the same order): a one-row epoch is exactly
    the worksheet's step."""

    def __init__(self, network: Network, weights: list[np.ndarray], B: int):
        self.B = B
        self.weights = weights
        self.loss: Loss = LOSSES[network.loss]
        self.rate = network.learning_rate
        self.keep_bias = network.bias and not network.train_bias
        extra = 1 if network.bias else 0
        acts = [ACTIVATIONS[a] for a in network.activations]
        L = len(weights)
        # inputs[l] = [1; beta^{l-1}] for the batch, (B, n_{l-1} + 1): column 0 holds the ones
        # once and for all, and layer l-1 writes its beta straight into the rest
        self.inputs = [np.ones((B, W.shape[0])) for W in weights]
        self.x = self.inputs[0][:, extra:]  # (B, n_0): where the batch's features go
        self.alphas = [np.empty((B, W.shape[1])) for W in weights]
        self.betas = [self.inputs[l + 1][:, extra:] for l in range(L - 1)] + [np.empty((B, weights[-1].shape[1]))]
        self.deltas = [np.empty((B, W.shape[1])) for W in weights]
        self.grad_betas = [np.empty((B, W.shape[1])) for W in weights[:-1]]  # dl/dbeta^l, hidden layers
        self.kernels = [_Kernel(a, (B, W.shape[1])) for a, W in zip(acts, weights)]
        self.acts = acts
        # W^{l+1} without its bias row, transposed: a view, valid as the weights change in place
        self.W_next_T = [W[extra:].T for W in weights[1:]]
        self.grads = [np.empty_like(W) for W in weights]  # (n_{l-1} + 1, n_l), like W^l
        self.steps = [np.empty_like(W) for W in weights]
        # B = 1: dl/dW = input delta^T as an outer product, the way network.backward takes it
        self.input_columns = [inp[0][:, None] for inp in self.inputs]
        self.output_fast = self._output_fast()
        self.residual = np.empty((B, weights[-1].shape[1]))

    def _output_fast(self) -> str:
        name, act = self.loss.name, self.acts[-1].name
        if self.loss.simplifies_with(self.acts[-1]) and (name, act) in (
            ("binary_cross_entropy", "sigmoid"), ("cross_entropy", "softmax"),
        ):
            return "y_hat - y"
        if name == "squared_error" and self.kernels[-1].fast:
            return "squared_error"
        return ""

    def __call__(self, Y: np.ndarray) -> None:
        """A step on the examples already written into self.x, with labels Y (B, n_L)."""
        weights, inputs, alphas, betas, deltas, kernels = (
            self.weights, self.inputs, self.alphas, self.betas, self.deltas, self.kernels,
        )
        L = len(weights)
        for l in range(L):
            np.matmul(inputs[l], weights[l], out=alphas[l])
            kernels[l].value(alphas[l], betas[l])
        delta = deltas[-1]
        if self.output_fast == "y_hat - y":
            np.subtract(betas[-1], Y, out=delta)
        elif self.output_fast == "squared_error":  # dl/dy_hat = -(y - y_hat), times f'(alpha^L)
            r = self.residual
            np.subtract(Y, betas[-1], out=r)
            np.negative(r, out=r)
            kernels[-1].backward(alphas[-1], betas[-1], r, delta)
        else:
            delta[...] = self.loss.output_delta(Y, alphas[-1], betas[-1], self.acts[-1])
        for l in range(L - 1, -1, -1):
            G = self.grads[l]
            if self.B == 1:
                np.multiply(self.input_columns[l], deltas[l], out=G)
            else:  # the sum over the batch of input delta^T, then the mean
                np.matmul(inputs[l].T, deltas[l], out=G)
                G /= self.B
            if l:
                grad_beta = self.grad_betas[l - 1]
                np.matmul(deltas[l], self.W_next_T[l - 1], out=grad_beta)
                kernels[l - 1].backward(alphas[l - 1], betas[l - 1], grad_beta, deltas[l - 1])
            # every derivative that needs this layer's weights is taken: now they may change
            step = np.multiply(G, self.rate, out=self.steps[l])
            if self.keep_bias:
                step[0] = 0.0
            np.subtract(weights[l], step, out=weights[l])


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
) -> History:
    """Train from network.weights (left as they were) on X (N, n_0) and Y (N, n_L).

    Each epoch visits every training example once, in a fresh seeded order with shuffle, in
    the file's order without; batch_size 1 updates after each example with the problem's
    learning rate, a larger one after each batch with the gradient averaged over it (the last
    batch of an epoch may be smaller). Stops early, keeping the last finite weights, if a
    loss or weight stops being finite."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    rng = streams(seed)
    train_rows, val_rows = split_rows(X.shape[0], validation_split, shuffle, rng.split)
    # the data is never copied: examples are read through their row numbers
    everything = len(val_rows) == 0
    weights = [np.array(W, dtype=np.float64) for W in network.weights]
    n = len(train_rows)
    B = min(batch_size, n)

    def measure(epoch: int, ws) -> EpochRecord:
        loss, accuracy = evaluate(network, X, Y, ws, None if everything else train_rows)
        if everything:
            return EpochRecord(epoch, loss, accuracy)
        val_loss, val_accuracy = evaluate(network, X, Y, ws, val_rows)
        return EpochRecord(epoch, loss, accuracy, val_loss, val_accuracy)

    with np.errstate(all="ignore"):  # a divergence is found below by name, not as a warning
        initial = measure(0, weights)
    records: list[EpochRecord] = []
    good = tuple(W.copy() for W in weights)
    diverged = None
    full = _Stepper(network, weights, B)
    rest = n % B
    last = _Stepper(network, weights, rest) if rest else None
    for epoch in range(1, epochs + 1):
        order = train_rows[rng.order.permutation(n)] if shuffle else train_rows
        with np.errstate(all="ignore"):
            if B == 1:
                x = full.x[0]
                for i in order.tolist():
                    x[:] = X[i]
                    full(Y[i:i + 1])
            else:
                for start in range(0, n, B):
                    rows = order[start:start + B]
                    stepper = full if len(rows) == B else last
                    np.take(X, rows, axis=0, out=stepper.x, mode="clip")  # rows are valid: no checks
                    stepper(Y[rows])
            record = measure(epoch, weights)
        what = _finite(weights, record.loss, record.val_loss)
        if what is not None:
            diverged = Divergence(epoch, what)
            break
        good = tuple(W.copy() for W in weights)
        records.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return History(initial, tuple(records), good, diverged, train_rows, val_rows)
