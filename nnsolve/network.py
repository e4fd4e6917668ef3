"""The math of a fully connected network: activations, losses, forward, backward, update.

Pure numpy, float64, no I/O. Every function works on the last axis, so a stack of
problems of one shape (leading batch axes) goes through the same code as one problem.
Notation (see docs/design.md): W^l has shape (n_{l-1} + 1, n_l) with row 0 the bias weights;
alpha^l = W^l^T [1; beta^{l-1}], beta^l = f^l(alpha^l), y_hat = beta^L.

Hand-rounded working: forward, loss_value, backward and update take `rnd`, a function that
rounds an array (None: exact). Each intermediate is rounded as soon as it is computed and
the next step uses the rounded value, as a person with a calculator writes the worksheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional

import numpy as np


if TYPE_CHECKING:  # annotations only: subscripting typing's generics at import costs start-up time
    Rounder = Optional[Callable[[np.ndarray], np.ndarray]]  # None: exact
    # Given values: (name, computed value) -> the value the next step uses. Names are the
    # notation's: alpha2, beta1, dl/dy_hat, dy_hat/dalpha2, dbeta1/dalpha1, dl/dbeta1, delta1, dl/dW1.
    # A student's own numbers (nnsolve run --given, and carrying errors forward in check) enter here.
    Given = Optional[Callable[[str, np.ndarray], np.ndarray]]


def _exact(values: np.ndarray) -> np.ndarray:
    return values


def _keeper(rnd: Rounder, given: Given) -> Callable[[str, np.ndarray], np.ndarray]:
    """Each intermediate as the next step uses it: rounded (rnd), then replaced where given."""
    if given is None:
        keep = rnd or _exact
        return lambda name, values: keep(values)
    if rnd is None:
        return given
    return lambda name, values: given(name, rnd(values))


# ---------------------------------------------------------------------------
# Activations


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # exp of -|a| never overflows: sigmoid(+-1000) is exactly 1 and 0 without a warning.
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softmax(a: np.ndarray) -> np.ndarray:
    e = np.exp(a - np.max(a, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _log_sigmoid(a: np.ndarray) -> np.ndarray:
    """log(sigmoid(a)) = -softplus(-a), finite for every finite a."""
    return -np.logaddexp(0.0, -a)


def _log_softmax(a: np.ndarray) -> np.ndarray:
    shifted = a - np.max(a, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """f and f' of one layer. `derivative` is elementwise f'(alpha) given alpha and beta = f(alpha);
    it is None for softmax, whose Jacobian is not diagonal."""

    name: str
    formula: str  # f(a), for people
    derivative_formula: str  # f'(a), in terms of beta where that is how it is taught
    value: Callable[[np.ndarray], np.ndarray]
    derivative: Optional[Callable[[np.ndarray, np.ndarray], np.ndarray]]

    def backward(self, alpha: np.ndarray, beta: np.ndarray, grad_beta: np.ndarray, rnd: Rounder = None) -> np.ndarray:
        """dl/dalpha from dl/dbeta (the vector-Jacobian product); with rnd, from the rounded f' or Jacobian."""
        if self.derivative is not None:
            return grad_beta * (rnd or _exact)(self.derivative(alpha, beta))
        if rnd is not None:  # by hand: sum_m dl/dbeta_m dbeta_m/dalpha_k, each Jacobian entry rounded
            return (grad_beta[..., None, :] @ rnd(self.jacobian(alpha, beta)))[..., 0, :]
        # softmax: J = diag(s) - s s^T, symmetric, so J^T g = s * (g - <g, s>)
        return beta * (grad_beta - np.sum(grad_beta * beta, axis=-1, keepdims=True))

    def jacobian(self, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """d beta_i / d alpha_j for one layer (last two axes)."""
        if self.derivative is not None:
            d = self.derivative(alpha, beta)
            return d[..., :, None] * np.eye(d.shape[-1])
        return beta[..., :, None] * (np.eye(beta.shape[-1]) - beta[..., None, :])


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid", "1 / (1 + e^(-a))", "beta(1 - beta)", _sigmoid, lambda a, b: b * (1.0 - b)),
        Activation("tanh", "(e^a - e^(-a)) / (e^a + e^(-a))", "1 - beta^2", np.tanh, lambda a, b: 1.0 - b * b),
        Activation(
            "relu",
            "max(0, a)",
            "1 if a > 0 else 0",
            lambda a: np.maximum(a, 0.0),
            lambda a, b: (a > 0).astype(np.float64),
        ),
        Activation(
            "leaky_relu",
            f"a if a > 0 else {LEAKY_SLOPE} a",
            f"1 if a > 0 else {LEAKY_SLOPE}",
            lambda a: np.where(a > 0, a, LEAKY_SLOPE * a),
            lambda a, b: np.where(a > 0, 1.0, LEAKY_SLOPE),
        ),
        Activation("linear", "a", "1", lambda a: np.array(a, dtype=np.float64, copy=True), lambda a, b: np.ones_like(a)),
        Activation("softmax", "e^(a_j) / sum_k e^(a_k)", "beta_j(delta_jk - beta_k)", _softmax, None),
    )
}


# ---------------------------------------------------------------------------
# Losses


@dataclass(frozen=True)
class Loss:
    """A loss and its derivatives. `value` and `output_delta` take alpha^L too, so that the
    log losses are computed in log space (finite where y_hat rounds to exactly 0 or 1)."""

    name: str
    formula: str
    grad_formula: str  # dl/dy_hat
    outputs: tuple[str, ...]  # output activations it accepts; () = any
    # (y, y_hat) -> dl/dy_hat; may be infinite where y_hat is exactly 0 or 1
    grad_y_hat: Callable[[np.ndarray, np.ndarray], np.ndarray]
    # (y, alpha, y_hat, activation) -> l   summed over the last axis
    value: Callable[[np.ndarray, np.ndarray, np.ndarray, Activation], np.ndarray]
    # (y, alpha, y_hat, activation) -> dl/dalpha^L taken directly, for the outputs above
    simplified_delta: Optional[Callable[[np.ndarray, np.ndarray, np.ndarray, Activation], np.ndarray]] = None
    # output activation name -> the formula of that direct delta^L, for people
    simplified_formulas: tuple[tuple[str, str], ...] = ()
    # (y, y_hat) -> l from y_hat itself, for a log loss whose value above comes from alpha^L:
    # where y_hat does not follow from alpha^L (hand-rounded, or a student's own y_hat)
    value_of_y_hat: Optional[Callable[[np.ndarray, np.ndarray], np.ndarray]] = None

    def output_delta(self, y, alpha, y_hat, activation: Activation, rnd: Rounder = None) -> np.ndarray:
        """delta^L = dl/dalpha^L; with rnd, from the rounded dl/dy_hat and dy_hat/dalpha, itself rounded."""
        return _output_step(self, y, alpha, y_hat, activation, _keeper(rnd, None), rnd, layer=0)[0]

    def simplified_formula(self, activation: Activation) -> Optional[str]:
        """The formula of delta^L where it is taken directly (y_hat - y), else None."""
        return dict(self.simplified_formulas).get(activation.name)

    def simplifies_with(self, activation: Activation) -> bool:
        return self.simplified_formula(activation) is not None


def _bce_value(y, alpha, y_hat, activation):
    # -[y log s + (1-y) log(1-s)] with s = sigmoid(a) equals softplus(a) - y a
    return np.sum(np.logaddexp(0.0, alpha) - y * alpha, axis=-1)


def _ce_value(y, alpha, y_hat, activation):
    log_y_hat = _log_softmax(alpha) if activation.name == "softmax" else _log_sigmoid(alpha)
    # 0 * log 0 is 0 here: a label of 0 contributes nothing, whatever y_hat is
    return -np.sum(np.where(y > 0, y * log_y_hat, 0.0), axis=-1)


def _ce_delta(y, alpha, y_hat, activation):
    if activation.name == "softmax":
        return y_hat - y  # labels sum to 1 (checked when the problem is read)
    return -y * (1.0 - y_hat)  # sigmoid outputs: d(-y log s)/da = -y (1 - s)


def _y_log(y, y_hat):
    """y log y_hat elementwise, 0 where y is 0 (whatever y_hat is)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y > 0, y * np.log(np.where(y > 0, y_hat, 1.0)), 0.0)


def _bce_of_y_hat(y, y_hat):
    return -np.sum(_y_log(y, y_hat) + _y_log(1.0 - y, 1.0 - y_hat), axis=-1)


def _ce_of_y_hat(y, y_hat):
    return -np.sum(_y_log(y, y_hat), axis=-1)


def _divide(num, den):
    """num / den, infinite where den is 0; 0 where num is 0 (a term 0 log y_hat is identically 0,
    so its derivative is 0 even at y_hat = 0, not 0/0 = NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(num == 0, 0.0, num / den)


LOSSES: dict[str, Loss] = {
    l.name: l
    for l in (
        Loss(
            "squared_error",
            "1/2 sum_k (y_k - y_hat_k)^2",
            "-(y - y_hat)",
            (),
            lambda y, yh: -(y - yh),
            lambda y, a, yh, act: 0.5 * np.sum((y - yh) ** 2, axis=-1),
        ),
        Loss(
            "mse",
            "1/K sum_k (y_k - y_hat_k)^2",
            "-(2/K)(y - y_hat)",
            (),
            lambda y, yh: -(2.0 / y.shape[-1]) * (y - yh),
            lambda y, a, yh, act: np.mean((y - yh) ** 2, axis=-1),
        ),
        Loss(
            "binary_cross_entropy",
            "-sum_k [y_k log y_hat_k + (1 - y_k) log(1 - y_hat_k)]",
            "-y / y_hat + (1 - y) / (1 - y_hat)",
            ("sigmoid",),
            lambda y, yh: _divide(-y, yh) + _divide(1.0 - y, 1.0 - yh),
            _bce_value,
            lambda y, a, yh, act: yh - y,
            (("sigmoid", "y_hat - y"),),
            _bce_of_y_hat,
        ),
        Loss(
            "cross_entropy",
            "-sum_k y_k log y_hat_k",
            "-y / y_hat",
            ("softmax", "sigmoid"),
            lambda y, yh: _divide(-y, yh),
            _ce_value,
            _ce_delta,
            (("softmax", "y_hat - y"), ("sigmoid", "-y(1 - y_hat)")),
            _ce_of_y_hat,
        ),
    )
}


# ---------------------------------------------------------------------------
# Forward, backward, update


@dataclass(frozen=True)
class Forward:
    """Per layer l = 1..L (index l-1): the input [1; beta^{l-1}], alpha^l and beta^l."""

    inputs: tuple[np.ndarray, ...]  # (..., n_{l-1} + 1) with the bias, (..., n_{l-1}) without
    alphas: tuple[np.ndarray, ...]  # (..., n_l)
    betas: tuple[np.ndarray, ...]  # (..., n_l)

    @property
    def y_hat(self) -> np.ndarray:
        return self.betas[-1]


def with_bias(beta: np.ndarray) -> np.ndarray:
    """[1; beta]: the bias is the first feature."""
    ones = np.ones(beta.shape[:-1] + (1,), dtype=np.float64)
    return np.concatenate([ones, beta], axis=-1)


def forward(weights, x: np.ndarray, activations, bias: bool = True, rnd: Rounder = None, given: Given = None) -> Forward:
    """alpha^l = W^l^T input^l and beta^l = f^l(alpha^l), for every layer in turn (x used as given)."""
    keep = _keeper(rnd, given)
    inputs, alphas, betas = [], [], []
    beta = np.asarray(x, dtype=np.float64)
    for l, (W, act) in enumerate(zip(weights, activations), start=1):
        inp = with_bias(beta) if bias else beta
        alpha = keep(f"alpha{l}", (inp[..., None, :] @ W)[..., 0, :])  # W^T input, for stacks too
        beta = keep(f"beta{l}", act.value(alpha))
        inputs.append(inp)
        alphas.append(alpha)
        betas.append(beta)
    return Forward(tuple(inputs), tuple(alphas), tuple(betas))


def loss_value(y, fwd: Forward, activations, loss: Loss, rnd: Rounder = None, y_hat_given=False) -> np.ndarray:
    """The loss of the forward pass fwd. The log losses are computed from alpha^L, in log space
    (finite where y_hat rounds to 0 or 1), except where y_hat does not follow from alpha^L: in
    hand-rounded working (unless the rounded y_hat is exactly 0 or 1 where it matters), and where
    y_hat_given (a bool, or one per member of a stack) says a y_hat was given. There the loss
    is the loss of that y_hat, as the working writes it."""
    y = np.asarray(y, dtype=np.float64)
    value = loss.value(y, fwd.alphas[-1], fwd.y_hat, activations[-1])
    if loss.value_of_y_hat is not None and (rnd is not None or np.any(y_hat_given)):
        of_y_hat = loss.value_of_y_hat(y, fwd.y_hat)
        # a y_hat rounded to exactly 0 or 1 has an infinite log: the log-space value stands in
        use = y_hat_given | (np.isfinite(of_y_hat) if rnd is not None else False)
        value = np.where(use, of_y_hat, value)
    return (rnd or _exact)(value)


@dataclass(frozen=True)
class Backward:
    """Per layer l = 1..L (index l-1): delta^l = dl/dalpha^l and dl/dW^l."""

    deltas: tuple[np.ndarray, ...]  # (..., n_l)
    grads: tuple[np.ndarray, ...]  # same shape as W^l
    # dl/dbeta^l = W^{l+1} delta^{l+1} without the bias row, the sum backpropagated into layer l;
    # None for the output layer (its dl/dy_hat comes from the loss)
    grad_betas: tuple[Optional[np.ndarray], ...] = ()
    # f'(alpha^l) as backpropagation used it; None for softmax, and for an output layer whose
    # delta is taken directly (y_hat - y)
    derivatives: tuple[Optional[np.ndarray], ...] = ()
    dl_dy_hat: Optional[np.ndarray] = None  # as used; None where delta^L is taken directly


def _output_step(loss: Loss, y, alpha, y_hat, out: Activation, keep, rnd: Rounder, layer: int):
    """(delta^L, dl/dy_hat, dy_hat/dalpha^L) as the output layer's step uses them: delta^L taken
    directly where the loss simplifies (the other two None), else by the chain rule."""
    if loss.simplifies_with(out):
        return keep(f"delta{layer}", loss.simplified_delta(y, alpha, y_hat, out)), None, None
    dl_dy_hat = keep("dl/dy_hat", loss.grad_y_hat(y, y_hat))
    if out.derivative is None:  # softmax: through its Jacobian
        return keep(f"delta{layer}", out.backward(alpha, y_hat, dl_dy_hat, rnd)), dl_dy_hat, None
    derivative = keep(f"dy_hat/dalpha{layer}", out.derivative(alpha, y_hat))
    return keep(f"delta{layer}", dl_dy_hat * derivative), dl_dy_hat, derivative


def backward(
    weights, fwd: Forward, y, activations, loss: Loss, bias: bool = True, rnd: Rounder = None, given: Given = None,
    l2: float = 0.0, decay_bias: bool = False, shared_bias: bool = False,
) -> Backward:
    """Backpropagation: delta^L from the loss, then delta^l = f'(alpha^l) * (W^{l+1} delta^{l+1})
    without its bias row, and dl/dW^l = input^l (delta^l)^T. No weight is changed here.
    With rnd, f'(alpha^l), the sum W^{l+1} delta^{l+1}, delta^l and dl/dW^l are each rounded.
    With l2, the loss has the term l2/2 ||W||^2 (the bias rows only with decay_bias), and each
    dl/dW^l gains l2 W^l.
    shared_bias: row 0 of each W is one parameter, the layer's shared bias (its entries equal):
    its derivative, the sum over the layer's neurons of delta_j, is in every entry of row 0, so
    that update() (or an optimizer's step) keeps the entries equal."""
    keep = _keeper(rnd, given)
    y = np.asarray(y, dtype=np.float64)
    L = len(weights)
    deltas: list[np.ndarray] = [None] * L  # type: ignore[list-item]
    grad_betas: list[Optional[np.ndarray]] = [None] * L
    derivatives: list[Optional[np.ndarray]] = [None] * L
    out, alpha_L, y_hat = activations[-1], fwd.alphas[-1], fwd.y_hat
    deltas[-1], dl_dy_hat, derivatives[-1] = _output_step(loss, y, alpha_L, y_hat, out, keep, rnd, L)
    for l in range(L - 2, -1, -1):
        W_next = weights[l + 1][..., 1:, :] if bias else weights[l + 1]
        act = activations[l]
        grad_betas[l] = keep(f"dl/dbeta{l + 1}", (W_next @ deltas[l + 1][..., :, None])[..., 0])
        derivatives[l] = keep(f"dbeta{l + 1}/dalpha{l + 1}", act.derivative(fwd.alphas[l], fwd.betas[l]))
        deltas[l] = keep(f"delta{l + 1}", grad_betas[l] * derivatives[l])  # hidden layers are never softmax
    grads = tuple(keep(f"dl/dW{l + 1}", _shared(fwd.inputs[l][..., :, None] * deltas[l][..., None, :], shared_bias)
                       + (l2_gradient(weights[l], l2, bias, decay_bias) if l2 else 0.0)) for l in range(L))
    return Backward(tuple(deltas), grads, tuple(grad_betas), tuple(derivatives), dl_dy_hat)


def l2_mask(W, bias: bool, decay_bias: bool) -> np.ndarray:
    """1 for each weight the l2 term (and weight decay) reaches, 0 for the bias row unless decay_bias."""
    mask = np.ones(np.shape(W)[-2:], dtype=np.float64)
    if bias and not decay_bias:
        mask[0, :] = 0.0
    return mask


def l2_gradient(W, l2: float, bias: bool, decay_bias: bool) -> np.ndarray:
    """d(l2/2 ||W||^2)/dW = l2 W, zero on the bias row unless decay_bias."""
    return l2 * l2_mask(W, bias, decay_bias) * W


def l2_penalty(weights, l2: float, bias: bool, decay_bias: bool, shared_bias: bool = False) -> np.ndarray:
    """l2/2 times the sum of the squared weights (the bias rows only with decay_bias), per stack member.
    A shared bias (shared_bias: row 0 one parameter, its entries equal) counts once."""
    total = 0.0
    for W in weights:
        mask = l2_mask(W, bias, decay_bias)
        if bias and shared_bias and decay_bias:
            mask[0, 1:] = 0.0
        total = total + np.sum(mask * np.asarray(W) ** 2, axis=(-2, -1))
    return 0.5 * l2 * total


def _shared(grad: np.ndarray, shared_bias: bool) -> np.ndarray:
    """dl/dW with row 0 the derivative of a shared bias, the sum of the row, in every entry."""
    if shared_bias:
        grad[..., 0, :] = np.sum(grad[..., 0, :], axis=-1, keepdims=True)
    return grad


def combine(grads, mode: str = "mean", rnd: Rounder = None) -> tuple:
    """The gradient of a batch from its examples' gradients (each layer's array with the examples
    on its leading axis): their mean, the gradient of the mean loss, or their sum, the gradient
    of the summed loss (batch: mean|sum). With rnd, the result is rounded (the sum of the rounded
    derivatives, divided, as by hand)."""
    if mode not in ("mean", "sum"):
        raise ValueError(f"a batch combines by mean or sum, not {mode!r}")
    combined = []
    for G in grads:
        G = np.asarray(G, dtype=np.float64)
        total = np.sum(G, axis=0)
        combined.append((rnd or _exact)(total / G.shape[0] if mode == "mean" else total))
    return tuple(combined)


def update(weights, grads, learning_rate: float, bias: bool = True, train_bias: bool = True, rnd: Rounder = None):
    """w <- w - lambda dl/dw for every weight at once; bias rows stay when train_bias is off.
    With rnd, each new weight is rounded; a bias weight that stays keeps its given value."""
    updated = []
    for W, G in zip(weights, grads):
        step = learning_rate * G
        if bias and not train_bias:
            step = step.copy()
            step[..., 0, :] = 0.0
        new = W - step
        if rnd is not None:
            new = rnd(new)
            if bias and not train_bias:
                new[..., 0, :] = W[..., 0, :]  # a kept weight is given, not computed: never rounded
        updated.append(new)
    return tuple(updated)
