"""Tests of nnsolve.network: the gradients against finite differences on random networks,
the worksheet's numbers as golden values, numerical stability, the update rule and stacks."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from nnsolve import network
from nnsolve.network import ACTIVATIONS, LOSSES

from random_networks import HIDDEN_ACTIVATIONS, KINK_MARGIN, KINKED, OUTPUT_LOSS_PAIRS, Case, make_case

N_NETWORKS = 240  # 16 networks per (output activation, loss) pair

FD_RTOL = 1e-6
FD_STEP = 1e-6  # times max(1, |w|)
# Absolute floor, times max(1, |l|): each loss value is rounded to a few ulps of |l|, so the
# difference quotient carries ~ eps |l| / h = 2e-10 |l| of rounding error however right backward is.
FD_ATOL = 1e-9


CASES = [make_case(seed) for seed in range(N_NETWORKS)]


def _loss(case: Case, weights) -> float:
    acts = [ACTIVATIONS[a] for a in case.activations]
    fwd = network.forward(weights, case.x, acts, case.bias)
    return float(network.loss_value(case.y, fwd, acts, LOSSES[case.loss]))


def test_random_networks_cover_every_activation_loss_depth_width_and_bias():
    hidden = Counter(a for c in CASES for a in c.activations[:-1])
    outputs = Counter(c.activations[-1] for c in CASES)
    losses = Counter(c.loss for c in CASES)
    pairs = Counter((c.activations[-1], c.loss) for c in CASES)
    depths = Counter(len(c.weights) for c in CASES)
    widths = Counter(n for c in CASES for n in [len(c.x)] + [W.shape[-1] for W in c.weights])
    n_outputs = Counter(c.weights[-1].shape[-1] for c in CASES)
    biases = Counter(c.bias for c in CASES)

    for act in HIDDEN_ACTIVATIONS:
        assert hidden[act] >= 20, f"hidden {act} seen {hidden[act]} times"
    for act in ACTIVATIONS:
        assert outputs[act] >= 20, f"output {act} seen {outputs[act]} times"
    for loss in LOSSES:
        assert losses[loss] >= 15, f"{loss} seen {losses[loss]} times"
    for pair in OUTPUT_LOSS_PAIRS:
        assert pairs[pair] >= 15, f"{pair} seen {pairs[pair]} times"
    assert all(depths[d] >= 50 for d in (1, 2, 3, 4)), depths
    assert all(widths[n] >= 20 for n in range(1, 7)), widths
    assert sum(v for k, v in n_outputs.items() if k >= 2) >= 100, n_outputs
    assert biases[True] >= 80 and biases[False] >= 80, biases
    # softmax only on the output layer and with >= 2 outputs
    assert all("softmax" not in c.activations[:-1] for c in CASES)
    assert all(c.weights[-1].shape[-1] >= 2 for c in CASES if c.activations[-1] == "softmax")
    # the relu kink check really ran: some relu-like networks were drawn
    assert sum(1 for c in CASES if set(c.activations) & set(KINKED)) >= 50
    assert ACTIVATIONS.keys() == set(HIDDEN_ACTIVATIONS) | {"softmax"}
    assert LOSSES.keys() == {l for _, l in OUTPUT_LOSS_PAIRS}


@pytest.mark.parametrize("case", CASES, ids=[f"seed={c.seed}" for c in CASES])
def test_backward_matches_central_finite_differences(case: Case):
    acts = [ACTIVATIONS[a] for a in case.activations]
    loss = LOSSES[case.loss]
    fwd = network.forward(case.weights, case.x, acts, case.bias)
    bwd = network.backward(case.weights, fwd, case.y, acts, loss, case.bias)
    assert len(bwd.grads) == len(case.weights)

    atol = FD_ATOL * max(1.0, abs(_loss(case, case.weights)))
    failures = []
    for l, (W, G) in enumerate(zip(case.weights, bwd.grads)):
        assert G.shape == W.shape, f"{case.describe()}: dl/dW{l + 1} has shape {G.shape}, W{l + 1} {W.shape}"
        for idx in np.ndindex(W.shape):
            h = FD_STEP * max(1.0, abs(W[idx]))
            plus = [w.copy() for w in case.weights]
            minus = [w.copy() for w in case.weights]
            plus[l][idx] += h
            minus[l][idx] -= h
            fd = (_loss(case, plus) - _loss(case, minus)) / (plus[l][idx] - minus[l][idx])
            if not abs(G[idx] - fd) <= FD_RTOL * max(abs(G[idx]), abs(fd)) + atol:
                failures.append(f"dl/dW{l + 1}{list(idx)}: backward {G[idx]!r}, finite difference {fd!r}")
    assert not failures, case.describe() + "\n" + "\n".join(failures)


# An independent engine in plain Python floats (math, lists), for the forward pass and the loss.


def _ref_activation(name: str, alpha: list[float]) -> list[float]:
    if name == "sigmoid":
        return [1.0 / (1.0 + math.exp(-a)) for a in alpha]
    if name == "tanh":
        return [math.tanh(a) for a in alpha]
    if name == "relu":
        return [a if a > 0 else 0.0 for a in alpha]
    if name == "leaky_relu":
        return [a if a > 0 else 0.01 * a for a in alpha]
    if name == "linear":
        return list(alpha)
    if name == "softmax":
        e = [math.exp(a) for a in alpha]
        return [v / sum(e) for v in e]
    raise AssertionError(name)


def _ref_forward(x, weights, activations, bias):
    beta = [float(v) for v in x]
    alpha = beta
    for W, act in zip(weights, activations):
        inp = [1.0] + beta if bias else beta
        alpha = [sum(inp[i] * float(W[i][j]) for i in range(len(inp))) for j in range(len(W[0]))]
        beta = _ref_activation(act, alpha)
    return alpha, beta


def _ref_loss(y, alpha, y_hat, out_act, loss):
    y = [float(v) for v in y]
    if loss == "squared_error":
        return 0.5 * sum((a - b) ** 2 for a, b in zip(y, y_hat))
    if loss == "mse":
        return sum((a - b) ** 2 for a, b in zip(y, y_hat)) / len(y)
    # log y_hat and log(1 - y_hat) from alpha, so that saturated outputs stay exact
    if out_act == "sigmoid":
        log_p = [-math.log1p(math.exp(-a)) for a in alpha]
        log_q = [-math.log1p(math.exp(a)) for a in alpha]
    else:
        log_p = [math.log(p) for p in y_hat]
        log_q = None
    if loss == "binary_cross_entropy":
        return -sum(t * lp + (1 - t) * lq for t, lp, lq in zip(y, log_p, log_q))
    if loss == "cross_entropy":
        return -sum(t * lp for t, lp in zip(y, log_p) if t > 0)
    raise AssertionError(loss)


@pytest.mark.parametrize("case", CASES[::3], ids=[f"seed={c.seed}" for c in CASES[::3]])
def test_forward_and_loss_match_an_independent_engine(case: Case):
    acts = [ACTIVATIONS[a] for a in case.activations]
    fwd = network.forward(case.weights, case.x, acts, case.bias)
    alpha, y_hat = _ref_forward(case.x, case.weights, case.activations, case.bias)
    np.testing.assert_allclose(fwd.alphas[-1], alpha, rtol=1e-12, atol=1e-12, err_msg=case.describe())
    np.testing.assert_allclose(fwd.y_hat, y_hat, rtol=1e-12, atol=1e-15, err_msg=case.describe())
    expected = _ref_loss(case.y, alpha, y_hat, case.activations[-1], case.loss)
    got = float(network.loss_value(case.y, fwd, acts, LOSSES[case.loss]))
    assert got == pytest.approx(expected, rel=1e-10, abs=1e-12), case.describe()
    # each layer's input is [1; beta^{l-1}] with the bias, beta^{l-1} without
    previous = np.asarray(case.x, dtype=np.float64)
    for inp, beta in zip(fwd.inputs, fwd.betas):
        expected_inp = np.concatenate([[1.0], previous]) if case.bias else previous
        np.testing.assert_array_equal(inp, expected_inp, err_msg=case.describe())
        previous = beta


# ---------------------------------------------------------------------------
# Activations and losses, one at a time


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_derivative_jacobian_and_backward_agree_with_finite_differences(name):
    act = ACTIVATIONS[name]
    rng = np.random.default_rng(7)
    for _ in range(20):
        alpha = rng.normal(0.0, 2.0, size=4)
        alpha[np.abs(alpha) < KINK_MARGIN] = 0.5
        beta = act.value(alpha)
        h = 1e-6
        fd = np.empty((4, 4))
        for j in range(4):
            e = np.zeros(4)
            e[j] = h
            fd[:, j] = (act.value(alpha + e) - act.value(alpha - e)) / (2 * h)
        J = act.jacobian(alpha, beta)
        np.testing.assert_allclose(J, fd, rtol=1e-6, atol=1e-9, err_msg=f"{name} at {alpha}")
        if act.derivative is not None:
            np.testing.assert_allclose(act.derivative(alpha, beta), np.diag(fd), rtol=1e-6, atol=1e-9)
        g = rng.normal(size=4)
        np.testing.assert_allclose(act.backward(alpha, beta, g), J.T @ g, rtol=1e-12, atol=1e-15)


def test_relu_derivative_is_zero_at_exactly_zero():
    relu = ACTIVATIONS["relu"]
    a = np.array([-1.0, -0.0, 0.0, 1e-300, 3.0])
    np.testing.assert_array_equal(relu.value(a), [0.0, 0.0, 0.0, 1e-300, 3.0])
    np.testing.assert_array_equal(relu.derivative(a, relu.value(a)), [0.0, 0.0, 0.0, 1.0, 1.0])
    # through backward: a hidden relu neuron with alpha exactly 0 passes no gradient back
    weights = (np.array([[0.0, 1.0], [1.0, 1.0], [-1.0, 1.0]]), np.array([[0.5], [2.0], [3.0]]))
    acts = [relu, ACTIVATIONS["linear"]]
    fwd = network.forward(weights, [1.0, 1.0], acts)
    np.testing.assert_array_equal(fwd.alphas[0], [0.0, 3.0])
    bwd = network.backward(weights, fwd, [0.0], acts, LOSSES["squared_error"])
    assert bwd.deltas[0][0] == 0.0
    np.testing.assert_array_equal(bwd.grads[0][:, 0], [0.0, 0.0, 0.0])
    assert np.all(bwd.grads[0][:, 1] != 0.0)


def test_leaky_relu_slope_is_one_hundredth():
    leaky = ACTIVATIONS["leaky_relu"]
    assert network.LEAKY_SLOPE == 0.01
    a = np.array([-200.0, -1.0, 0.0, 2.0])
    np.testing.assert_array_equal(leaky.value(a), [-2.0, -0.01, 0.0, 2.0])
    np.testing.assert_array_equal(leaky.derivative(a, leaky.value(a)), [0.01, 0.01, 0.01, 1.0])


def test_sigmoid_and_softmax_values():
    sig = ACTIVATIONS["sigmoid"].value
    assert sig(np.array(0.0)) == 0.5
    assert sig(np.array(2.0)) == pytest.approx(1.0 / (1.0 + math.exp(-2.0)), rel=1e-15)
    assert sig(np.array(-2.0)) == pytest.approx(1.0 / (1.0 + math.exp(2.0)), rel=1e-15)
    s = ACTIVATIONS["softmax"].value(np.array([1.0, 2.0, 3.0]))
    e = [math.exp(1.0), math.exp(2.0), math.exp(3.0)]
    np.testing.assert_allclose(s, [v / sum(e) for v in e], rtol=1e-15)


@pytest.mark.parametrize(
    "out_act, loss_name",
    [("sigmoid", "binary_cross_entropy"), ("sigmoid", "cross_entropy"), ("softmax", "cross_entropy")],
)
def test_simplified_delta_equals_the_chain_rule_through_grad_y_hat(out_act, loss_name):
    act, loss = ACTIVATIONS[out_act], LOSSES[loss_name]
    assert loss.simplifies_with(act)
    rng = np.random.default_rng(11)
    for _ in range(50):
        alpha = rng.normal(0.0, 3.0, size=3)
        y = rng.dirichlet(np.ones(3)) if out_act == "softmax" else rng.uniform(0.0, 1.0, size=3)
        y_hat = act.value(alpha)
        chain = act.backward(alpha, y_hat, loss.grad_y_hat(y, y_hat))
        np.testing.assert_allclose(loss.output_delta(y, alpha, y_hat, act), chain, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("loss_name", list(LOSSES))
def test_grad_y_hat_matches_its_formula(loss_name):
    loss = LOSSES[loss_name]
    y = np.array([0.0, 0.3, 1.0, 0.6])
    y_hat = np.array([0.2, 0.7, 0.9, 0.6])
    expected = {
        "squared_error": -(y - y_hat),
        "mse": -2.0 / 4 * (y - y_hat),
        "binary_cross_entropy": -y / y_hat + (1 - y) / (1 - y_hat),
        "cross_entropy": -y / y_hat,
    }[loss_name]
    np.testing.assert_allclose(loss.grad_y_hat(y, y_hat), expected, rtol=1e-15, atol=0)


# ---------------------------------------------------------------------------
# The worksheet: golden numbers


W1 = np.array([[-1.0, 2.0], [-2.0, 1.0], [1.0, 4.0]])
W2 = np.array([[1.0], [2.0], [-4.0]])
X, Y, LEARNING_RATE = np.array([2.0, 5.0]), np.array([1.0]), 2.0


def _worksheet_by_hand() -> dict[str, float]:
    """The worksheet in plain Python floats, step by step as on paper."""
    sig = lambda a: 1.0 / (1.0 + math.exp(-a))  # noqa: E731
    a11 = -1.0 * 1 + -2.0 * 2 + 1.0 * 5
    a12 = 2.0 * 1 + 1.0 * 2 + 4.0 * 5
    b11, b12 = sig(a11), sig(a12)
    a2 = 1.0 * 1 + 2.0 * b11 + -4.0 * b12
    y_hat = sig(a2)
    loss = 0.5 * (1.0 - y_hat) ** 2
    delta2 = -(1.0 - y_hat) * y_hat * (1.0 - y_hat)
    dW2_11 = delta2 * b11
    dW1_21 = delta2 * 2.0 * b11 * (1.0 - b11) * 5.0
    return {
        "alpha11": a11, "alpha12": a12, "beta11": b11, "beta12": b12, "alpha2": a2, "y_hat": y_hat,
        "loss": loss, "dW2_11": dW2_11, "dW1_21": dW1_21,
        "W2_11": 2.0 - LEARNING_RATE * dW2_11, "W1_21": 1.0 - LEARNING_RATE * dW1_21,
    }  # fmt: skip


def _solve_worksheet():
    acts = [ACTIVATIONS["sigmoid"]] * 2
    loss = LOSSES["squared_error"]
    fwd = network.forward((W1, W2), X, acts)
    value = float(network.loss_value(Y, fwd, acts, loss))
    bwd = network.backward((W1, W2), fwd, Y, acts, loss)
    updated = network.update((W1, W2), bwd.grads, LEARNING_RATE)
    return fwd, value, bwd, updated


def test_worksheet_golden_numbers():
    fwd, loss, bwd, updated = _solve_worksheet()
    gold = 5e-9
    np.testing.assert_array_equal(fwd.alphas[0], [0.0, 24.0])
    np.testing.assert_allclose(fwd.betas[0], [0.5, 0.99999999996], rtol=0, atol=gold)
    assert fwd.alphas[1][0] == pytest.approx(-1.99999999985, abs=gold)
    assert fwd.y_hat[0] == pytest.approx(0.11920292, abs=gold)
    assert loss == pytest.approx(0.38790175, abs=gold)
    assert bwd.grads[1][1, 0] == pytest.approx(-0.04623902, abs=gold)
    assert bwd.grads[0][2, 0] == pytest.approx(-0.23119511, abs=gold)
    assert updated[1][1, 0] == pytest.approx(2.09247804, abs=gold)
    assert updated[0][2, 0] == pytest.approx(1.46239022, abs=gold)
    assert [W.shape for W in updated] == [(3, 2), (3, 1)]


def test_worksheet_matches_the_hand_computation_to_full_precision():
    fwd, loss, bwd, updated = _solve_worksheet()
    hand = _worksheet_by_hand()
    exact = dict(rel=1e-13, abs=1e-15)
    assert fwd.alphas[0][0] == pytest.approx(hand["alpha11"], **exact)
    assert fwd.alphas[0][1] == pytest.approx(hand["alpha12"], **exact)
    assert fwd.betas[0][0] == pytest.approx(hand["beta11"], **exact)
    assert fwd.betas[0][1] == pytest.approx(hand["beta12"], **exact)
    assert fwd.alphas[1][0] == pytest.approx(hand["alpha2"], **exact)
    assert fwd.y_hat[0] == pytest.approx(hand["y_hat"], **exact)
    assert loss == pytest.approx(hand["loss"], **exact)
    assert bwd.grads[1][1, 0] == pytest.approx(hand["dW2_11"], **exact)
    assert bwd.grads[0][2, 0] == pytest.approx(hand["dW1_21"], **exact)
    assert updated[1][1, 0] == pytest.approx(hand["W2_11"], **exact)
    assert updated[0][2, 0] == pytest.approx(hand["W1_21"], **exact)


# ---------------------------------------------------------------------------
# Numerical stability: finite results and no warnings (filterwarnings = error)


def test_sigmoid_saturates_exactly_without_warning():
    sig = ACTIVATIONS["sigmoid"].value
    np.testing.assert_array_equal(sig(np.array([1000.0, -1000.0, 800.0, -800.0])), [1.0, 0.0, 1.0, 0.0])
    assert sig(np.array(1000.0)) == 1.0 and sig(np.array(-1000.0)) == 0.0


def test_softmax_of_huge_values():
    s = ACTIVATIONS["softmax"].value(np.array([1000.0, 1000.0, -1000.0]))
    np.testing.assert_array_equal(s, [0.5, 0.5, 0.0])
    s = ACTIVATIONS["softmax"].value(np.array([-1000.0, -1000.0]))
    np.testing.assert_array_equal(s, [0.5, 0.5])


SATURATED = [
    # (output activation, loss, alpha^L, y)
    ("sigmoid", "binary_cross_entropy", [800.0], [0.0]),
    ("sigmoid", "binary_cross_entropy", [-800.0], [1.0]),
    ("sigmoid", "binary_cross_entropy", [800.0], [1.0]),
    ("sigmoid", "binary_cross_entropy", [-800.0], [0.0]),
    ("sigmoid", "binary_cross_entropy", [800.0, -800.0], [0.3, 0.7]),
    ("sigmoid", "cross_entropy", [-800.0], [1.0]),
    ("sigmoid", "cross_entropy", [800.0, -800.0], [0.0, 0.0]),
    ("sigmoid", "cross_entropy", [800.0, -800.0], [1.0, 0.5]),
    ("softmax", "cross_entropy", [800.0, -800.0], [0.0, 1.0]),
    ("softmax", "cross_entropy", [800.0, -800.0], [1.0, 0.0]),
    ("softmax", "cross_entropy", [-800.0, 800.0, 0.0], [0.5, 0.0, 0.5]),
]


@pytest.mark.parametrize("out_act, loss_name, alpha, y", SATURATED)
def test_log_losses_are_finite_where_y_hat_rounds_to_0_or_1(out_act, loss_name, alpha, y):
    # one linear-input layer so that alpha^L is exactly the given value: W = [[0]; diag(alpha)], x = 1s
    alpha, y = np.array(alpha), np.array(y)
    k = len(alpha)
    W = np.vstack([np.zeros((1, k)), np.diag(alpha)])
    acts = [ACTIVATIONS[out_act]]
    loss = LOSSES[loss_name]
    fwd = network.forward((W,), np.ones(k), acts)
    np.testing.assert_array_equal(fwd.alphas[0], alpha)
    assert set(np.unique(fwd.y_hat)) <= {0.0, 1.0}  # really saturated
    value = network.loss_value(y, fwd, acts, loss)
    bwd = network.backward((W,), fwd, y, acts, loss)
    assert np.isfinite(value)
    assert all(np.all(np.isfinite(g)) for g in (*bwd.deltas, *bwd.grads))
    # the loss is exact: log y_hat is alpha-based, not log(0)
    if out_act == "sigmoid":
        log_p, log_q = -np.logaddexp(0.0, -alpha), -np.logaddexp(0.0, alpha)
    else:
        log_p, log_q = alpha - np.logaddexp.reduce(alpha), None
    if loss_name == "binary_cross_entropy":
        expected = -np.sum(y * log_p + (1 - y) * log_q)
    else:
        expected = -np.sum(np.where(y > 0, y * log_p, 0.0))
    assert float(value) == pytest.approx(float(expected), rel=1e-15)
    if out_act == "softmax" or loss_name == "binary_cross_entropy":
        np.testing.assert_array_equal(bwd.deltas[-1], fwd.y_hat - y)
    else:
        np.testing.assert_array_equal(bwd.deltas[-1], -y * (1.0 - fwd.y_hat))
    # dl/dy_hat may be infinite here (documented), but never NaN and never a warning
    g = loss.grad_y_hat(y, fwd.y_hat)
    assert not np.any(np.isnan(g)), g


def test_grad_y_hat_is_zero_for_a_zero_label_term_at_y_hat_0_or_1():
    # the y log y_hat term with y = 0 is identically 0, so its derivative is 0 (not 0/0 = NaN)
    bce, ce = LOSSES["binary_cross_entropy"], LOSSES["cross_entropy"]
    np.testing.assert_array_equal(bce.grad_y_hat(np.array([1.0, 0.0]), np.array([1.0, 0.0])), [-1.0, 1.0])
    np.testing.assert_array_equal(bce.grad_y_hat(np.array([1.0, 0.0]), np.array([0.0, 1.0])), [-np.inf, np.inf])
    np.testing.assert_array_equal(ce.grad_y_hat(np.array([1.0, 0.0]), np.array([1.0, 0.0])), [-1.0, 0.0])
    np.testing.assert_array_equal(ce.grad_y_hat(np.array([0.0, 1.0]), np.array([1.0, 0.0])), [0.0, -np.inf])


def test_saturated_hidden_layers_give_finite_gradients():
    # alphas of +-1000 in sigmoid and tanh hidden layers: derivatives exactly 0, no warning
    W1 = np.array([[0.0, 0.0, 0.0], [1000.0, -1000.0, 1000.0]])
    W2 = np.array([[0.0, 0.0], [1000.0, -1000.0], [-1000.0, 1000.0], [1.0, 1.0]])
    W3 = np.array([[0.0, 0.0], [800.0, -800.0], [-800.0, 800.0]])
    for hidden in ("sigmoid", "tanh"):
        for out_act, loss_name in [("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy")]:
            acts = [ACTIVATIONS[hidden], ACTIVATIONS[hidden], ACTIVATIONS[out_act]]
            loss = LOSSES[loss_name]
            fwd = network.forward((W1, W2, W3), [1.0], acts)
            y = np.array([0.0, 1.0])
            value = network.loss_value(y, fwd, acts, loss)
            bwd = network.backward((W1, W2, W3), fwd, y, acts, loss)
            assert np.isfinite(value)
            for g in (*bwd.deltas, *bwd.grads):
                assert np.all(np.isfinite(g))


# ---------------------------------------------------------------------------
# update()


def test_update_takes_every_derivative_from_the_old_weights():
    W1_before, W2_before = W1.copy(), W2.copy()
    fwd, _, bwd, updated = _solve_worksheet()
    # nothing was changed in place
    np.testing.assert_array_equal(W1, W1_before)
    np.testing.assert_array_equal(W2, W2_before)
    for W, G, new in zip((W1, W2), bwd.grads, updated):
        np.testing.assert_array_equal(new, W - LEARNING_RATE * G)
    # W1's gradient uses the old W2 (2): with the updated W2 it would differ
    acts = [ACTIVATIONS["sigmoid"]] * 2
    loss = LOSSES["squared_error"]
    after_W2 = network.backward((W1, updated[1]), fwd, Y, acts, loss)
    assert after_W2.grads[0][2, 0] != pytest.approx(bwd.grads[0][2, 0], rel=1e-3)
    assert updated[0][2, 0] == pytest.approx(1.0 - LEARNING_RATE * bwd.grads[0][2, 0], rel=1e-15)
    # backward does not touch the forward record either
    np.testing.assert_array_equal(fwd.alphas[0], [0.0, 24.0])


def test_update_with_train_bias_off_keeps_row_0():
    _, _, bwd, _ = _solve_worksheet()
    grads_before = [G.copy() for G in bwd.grads]
    updated = network.update((W1, W2), bwd.grads, LEARNING_RATE, bias=True, train_bias=False)
    for W, G, new in zip((W1, W2), bwd.grads, updated):
        np.testing.assert_array_equal(new[0], W[0])
        np.testing.assert_array_equal(new[1:], W[1:] - LEARNING_RATE * G[1:])
        assert np.all(G[0] != 0)  # the kept row really had a gradient
    # the gradient itself is untouched: the same floats as before update(), and as a new solve
    _, _, again, _ = _solve_worksheet()
    for G, G_before, G_again in zip(bwd.grads, grads_before, again.grads):
        np.testing.assert_array_equal(G, G_before)
        np.testing.assert_allclose(G, G_again, rtol=1e-12, atol=0)


def test_update_without_bias_has_no_row_to_keep():
    rng = np.random.default_rng(3)
    weights = (rng.normal(size=(2, 3)), rng.normal(size=(3, 2)))
    acts = [ACTIVATIONS["tanh"], ACTIVATIONS["sigmoid"]]
    loss = LOSSES["squared_error"]
    fwd = network.forward(weights, [0.5, -1.0], acts, bias=False)
    assert [inp.shape for inp in fwd.inputs] == [(2,), (3,)]
    bwd = network.backward(weights, fwd, [1.0, 0.0], acts, loss, bias=False)
    for train_bias in (True, False):
        updated = network.update(weights, bwd.grads, 0.5, bias=False, train_bias=train_bias)
        for W, G, new in zip(weights, bwd.grads, updated):
            np.testing.assert_array_equal(new, W - 0.5 * G)
            assert np.all(new != W)  # every row moved, row 0 included


# ---------------------------------------------------------------------------
# Stacks of problems


STACK_CONFIGS = [
    # (activations, loss, widths n_0..n_L, bias)
    (("sigmoid", "sigmoid"), "squared_error", (2, 2, 1), True),
    (("tanh", "relu", "softmax"), "cross_entropy", (3, 4, 5, 3), True),
    (("leaky_relu", "linear", "sigmoid"), "binary_cross_entropy", (4, 3, 2, 2), False),
    (("linear", "softmax"), "mse", (1, 6, 4), False),
    (("relu", "sigmoid"), "cross_entropy", (5, 2, 3), True),
    (("sigmoid",), "mse", (3, 1), False),
]


@pytest.mark.parametrize("config", STACK_CONFIGS, ids=lambda c: "-".join(c[0]) + f"-{c[1]}-bias={c[3]}")
def test_a_stack_of_problems_gives_each_problem_s_result(config):
    names, loss_name, widths, bias = config
    rng = np.random.default_rng(len(widths) * 100 + sum(widths))
    B = 5
    acts = [ACTIVATIONS[a] for a in names]
    loss = LOSSES[loss_name]
    x = rng.normal(size=(B, widths[0]))
    weights = tuple(rng.normal(size=(B, widths[l] + bias, widths[l + 1])) for l in range(len(names)))
    k = widths[-1]
    if loss_name == "cross_entropy" and names[-1] == "softmax":
        y = rng.dirichlet(np.ones(k), size=B)
    else:
        y = rng.uniform(0.0, 1.0, size=(B, k))

    fwd = network.forward(weights, x, acts, bias)
    value = network.loss_value(y, fwd, acts, loss)
    bwd = network.backward(weights, fwd, y, acts, loss, bias)
    updated = network.update(weights, bwd.grads, 0.3, bias, train_bias=False)
    assert value.shape == (B,)
    for b in range(B):
        one_w = tuple(W[b] for W in weights)
        f1 = network.forward(one_w, x[b], acts, bias)
        v1 = network.loss_value(y[b], f1, acts, loss)
        b1 = network.backward(one_w, f1, y[b], acts, loss, bias)
        u1 = network.update(one_w, b1.grads, 0.3, bias, train_bias=False)
        where = f"problem {b} of {config}"
        assert value[b] == pytest.approx(float(v1), rel=1e-12, abs=1e-14), where
        for stacked, single in [
            (fwd.inputs, f1.inputs), (fwd.alphas, f1.alphas), (fwd.betas, f1.betas),
            (bwd.deltas, b1.deltas), (bwd.grads, b1.grads), (updated, u1),
        ]:  # fmt: skip
            for s, one in zip(stacked, single):
                np.testing.assert_allclose(s[b], one, rtol=1e-12, atol=1e-14, err_msg=where)
    if bias:
        for W, new in zip(weights, updated):
            np.testing.assert_array_equal(new[:, 0, :], W[:, 0, :])


def test_shared_weights_with_a_stack_of_inputs():
    # one set of weights broadcast against 4 inputs: per-problem gradients, not their sum
    rng = np.random.default_rng(5)
    weights = (rng.normal(size=(3, 3)), rng.normal(size=(4, 2)))
    acts = [ACTIVATIONS["tanh"], ACTIVATIONS["softmax"]]
    loss = LOSSES["cross_entropy"]
    x = rng.normal(size=(4, 2))
    y = np.eye(2)[[0, 1, 1, 0]]
    fwd = network.forward(weights, x, acts)
    bwd = network.backward(weights, fwd, y, acts, loss)
    for b in range(4):
        f1 = network.forward(weights, x[b], acts)
        b1 = network.backward(weights, f1, y[b], acts, loss)
        for s, one in zip(bwd.grads, b1.grads):
            np.testing.assert_allclose(s[b], one, rtol=1e-12, atol=1e-14)
