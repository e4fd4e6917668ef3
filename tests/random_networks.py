"""Random networks for the tests: deterministic in a seed, covering every activation and loss."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnsolve import network
from nnsolve.network import ACTIVATIONS
from nnsolve.problem import Problem

HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "linear")
KINKED = ("relu", "leaky_relu")
KINK_MARGIN = 1e-3  # no |alpha| of a relu-like layer closer than this to 0

# Every valid (output activation, loss) pair; the random networks cycle through them.
OUTPUT_LOSS_PAIRS = tuple(
    [(act, loss) for loss in ("squared_error", "mse") for act in (*HIDDEN_ACTIVATIONS, "softmax")]
    + [("sigmoid", "binary_cross_entropy"), ("softmax", "cross_entropy"), ("sigmoid", "cross_entropy")]
)


@dataclass(frozen=True)
class Case:
    seed: int
    x: np.ndarray
    y: np.ndarray
    weights: tuple[np.ndarray, ...]
    activations: tuple[str, ...]
    loss: str
    bias: bool
    redraws: int  # how many networks were drawn and rejected for sitting near a relu kink

    def describe(self) -> str:
        widths = [len(self.x)] + [W.shape[-1] for W in self.weights]
        return (
            f"seed={self.seed}: widths={widths} activations={list(self.activations)} "
            f"loss={self.loss} bias={self.bias}"
        )


def _labels(rng: np.random.Generator, out_act: str, loss: str, k: int) -> np.ndarray:
    if loss == "cross_entropy" and out_act == "softmax":
        if rng.random() < 0.5:
            return np.eye(k)[rng.integers(k)]  # one-hot
        return rng.dirichlet(np.ones(k))
    if loss in ("binary_cross_entropy", "cross_entropy"):  # sigmoid outputs: labels in [0, 1]
        y = rng.uniform(0.0, 1.0, size=k)
        y[rng.random(k) < 0.3] = rng.integers(0, 2)  # some exact 0s and 1s
        return y
    return rng.normal(0.0, 1.0, size=k)


def make_case(seed: int) -> Case:
    """A random network, deterministic in seed; (output activation, loss) cycle with seed."""
    rng = np.random.default_rng(seed)
    out_act, loss = OUTPUT_LOSS_PAIRS[seed % len(OUTPUT_LOSS_PAIRS)]
    depth = 1 + (seed // len(OUTPUT_LOSS_PAIRS)) % 4
    bias = bool(rng.integers(2))
    n_out = int(rng.integers(2 if out_act == "softmax" else 1, 7))
    widths = [int(rng.integers(1, 7)) for _ in range(depth)] + [n_out]  # n_0 .. n_L
    activations = tuple(str(rng.choice(HIDDEN_ACTIVATIONS)) for _ in range(depth - 1)) + (out_act,)
    y = _labels(rng, out_act, loss, n_out)
    acts = [ACTIVATIONS[a] for a in activations]
    for redraws in range(1000):
        x = rng.normal(0.0, 1.5, size=widths[0])
        weights = tuple(
            rng.normal(0.0, 1.0, size=(widths[l] + (1 if bias else 0), widths[l + 1])) for l in range(depth)
        )
        fwd = network.forward(weights, x, acts, bias)
        if all(
            np.min(np.abs(alpha)) >= KINK_MARGIN for alpha, a in zip(fwd.alphas, activations) if a in KINKED
        ):
            return Case(seed, x, y, weights, activations, loss, bias, redraws)
    raise AssertionError(f"seed={seed}: no network away from the relu kinks in 1000 draws")




def as_problem(case: Case, learning_rate: float = 0.5) -> Problem:
    """The case as a Problem, as if read from a file."""
    return Problem(
        x=case.x,
        y=case.y,
        weights=case.weights,
        activations=case.activations,
        loss=case.loss,
        learning_rate=learning_rate,
        bias=case.bias,
        source=f"<random seed={case.seed}>",
    )
