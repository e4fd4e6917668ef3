"""The record of every intermediate of one solve: forward pass, backpropagation, update.

Renderers (terminal, JSON, ...) read only this; they never redo the math.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from . import network
from .errors import SolveError
from .problem import Problem


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
    updated_W: np.ndarray  # like W: W - learning_rate grad_W (bias rows kept with train_bias: false)


@dataclass(frozen=True)
class Solution:
    problem: Problem
    layers: tuple[LayerSolution, ...]
    y_hat: np.ndarray  # (n_L,) = beta^L
    prediction: np.ndarray  # (n_L,) ints: 0/1 per output, one-hot argmax for softmax
    loss: float
    dl_dy_hat: Optional[np.ndarray]  # None where infinite (a log loss with y_hat exactly 0 or 1)
    dy_hat_dalpha: np.ndarray  # (n_L, n_L): the output layer's Jacobian, diagonal unless softmax
    simplified_delta: Optional[str]  # formula of delta^L where taken directly ("y_hat - y")


def solve(problem: Problem) -> Solution:
    """Forward pass, loss, backpropagation (all derivatives first), then the update."""
    activations = [network.ACTIVATIONS[a] for a in problem.activations]
    loss = network.LOSSES[problem.loss]
    with np.errstate(all="ignore"):  # overflow is reported below by name, not as a warning
        fwd = network.forward(problem.weights, problem.x, activations, problem.bias)
        loss_value = float(network.loss_value(problem.y, fwd, activations, loss))
        bwd = network.backward(problem.weights, fwd, problem.y, activations, loss, problem.bias)
        updated = network.update(problem.weights, bwd.grads, problem.learning_rate, problem.bias, problem.train_bias)
        dl_dy_hat = loss.grad_y_hat(problem.y, fwd.y_hat)
        derivatives = [
            act.derivative(a, b) if act.derivative is not None else None
            for act, a, b in zip(activations, fwd.alphas, fwd.betas)
        ]
        jacobian = activations[-1].jacobian(fwd.alphas[-1], fwd.y_hat)

    layers = []
    for l, act in enumerate(problem.activations, start=1):
        i = l - 1
        layer = LayerSolution(
            layer=l,
            activation=act,
            W=problem.weights[i],
            input=fwd.inputs[i],
            alpha=fwd.alphas[i],
            beta=fwd.betas[i],
            derivative=derivatives[i],
            delta=bwd.deltas[i],
            grad_W=bwd.grads[i],
            updated_W=updated[i],
        )
        for name in ("alpha", "beta", "delta", "grad_W", "updated_W"):
            _check_finite(getattr(layer, name), name, l, problem)
        layers.append(layer)
    _check_finite(np.array(loss_value), "loss", None, problem)

    y_hat = fwd.y_hat
    if problem.activations[-1] == "softmax":
        prediction = (np.arange(len(y_hat)) == np.argmax(y_hat)).astype(int)
    else:
        prediction = (y_hat >= problem.threshold).astype(int)
    return Solution(
        problem=problem,
        layers=tuple(layers),
        y_hat=y_hat,
        prediction=prediction,
        loss=loss_value,
        dl_dy_hat=dl_dy_hat if np.all(np.isfinite(dl_dy_hat)) else None,
        dy_hat_dalpha=jacobian,
        simplified_delta=loss.simplified_formula(activations[-1]),
    )


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
