"""Optimizers (issue 19): nnsolve.optimizers against a plain-numpy reference written here from
the published pseudocode of torch.optim (always), and against torch.optim itself in float64
where torch is installed (skipped otherwise), on random networks for 1 to 5 steps, for every
optimizer and option combination; the state carried from step to step, given initial state,
weight decay (coupled and decoupled) with and without the biases, l2 as a term of the loss,
train_bias off."""

from __future__ import annotations

import itertools
import os
from dataclasses import replace

import numpy as np
import pytest

from nnsolve import network, optimizers
from nnsolve.optimizers import State
from nnsolve.problem import Problem
from nnsolve.solution import solve, solve_steps

from random_networks import make_case

RTOL = 1e-10


def combinations():
    """(name, options, weight_decay) for every optimizer and option combination listed in the issue."""
    out = []
    for momentum, dampening, nesterov in itertools.product((0.0, 0.9), (0.0, 0.3), (False, True)):
        if nesterov and (momentum == 0 or dampening):
            continue
        out.append(("sgd", {"momentum": momentum, "dampening": dampening, "nesterov": nesterov}))
    out.append(("momentum", {}))
    out.append(("momentum", {"nesterov": True, "momentum": 0.5}))
    for lr_decay, init, eps in itertools.product((0.0, 0.1), (0.0, 0.2), (1e-10, 1e-3)):
        out.append(("adagrad", {"lr_decay": lr_decay, "initial_accumulator": init, "eps": eps}))
    for alpha, momentum, centered in itertools.product((0.99, 0.8), (0.0, 0.7), (False, True)):
        out.append(("rmsprop", {"alpha": alpha, "momentum": momentum, "centered": centered, "eps": 1e-8}))
    for name, amsgrad, (b1, b2), eps in itertools.product(("adam", "adamw"), (False, True), ((0.9, 0.999), (0.5, 0.8)), (1e-8, 1e-2)):
        out.append((name, {"amsgrad": amsgrad, "beta1": b1, "beta2": b2, "eps": eps}))
    return [(name, options, wd) for name, options in out for wd in (0.0, 0.05)]


COMBINATIONS = combinations()


# -- the reference: torch.optim's documented pseudocode, in plain numpy, one array at a time ---


def reference_step(name, o, lr, wd, t, theta, g, state, decay):
    """One step of one parameter array; decay is 1 where weight decay applies, 0 where not.
    Returns the new theta; state (a dict) is updated in place."""
    lam = wd * decay  # elementwise
    if name in ("sgd", "momentum"):
        mu, tau, nesterov = o["momentum"], o["dampening"], o["nesterov"]
        g = g + lam * theta
        if mu != 0:
            if "b" in state:
                state["b"] = mu * state["b"] + (1 - tau) * g
            else:
                state["b"] = g.copy()
            g = g + mu * state["b"] if nesterov else state["b"]
        return theta - lr * g
    if name == "adagrad":
        eta, tau0, eps = o["lr_decay"], o["initial_accumulator"], o["eps"]
        lr_t = lr / (1 + (t - 1) * eta)
        g = g + lam * theta
        state.setdefault("sum", np.full_like(theta, tau0))
        state["sum"] = state["sum"] + g ** 2
        return theta - lr_t * g / (np.sqrt(state["sum"]) + eps)
    if name == "rmsprop":
        alpha, eps, mu, centered = o["alpha"], o["eps"], o["momentum"], o["centered"]
        g = g + lam * theta
        state["v"] = alpha * state.get("v", 0 * theta) + (1 - alpha) * g ** 2
        v_tilde = state["v"]
        if centered:
            state["g_ave"] = alpha * state.get("g_ave", 0 * theta) + (1 - alpha) * g
            v_tilde = v_tilde - state["g_ave"] ** 2
        if mu > 0:
            state["b"] = mu * state.get("b", 0 * theta) + g / (np.sqrt(v_tilde) + eps)
            return theta - lr * state["b"]
        return theta - lr * g / (np.sqrt(v_tilde) + eps)
    # adam, adamw
    b1, b2, eps, amsgrad = o["beta1"], o["beta2"], o["eps"], o["amsgrad"]
    if name == "adamw":
        theta = theta - lr * lam * theta
    else:
        g = g + lam * theta
    state["m"] = b1 * state.get("m", 0 * theta) + (1 - b1) * g
    state["v"] = b2 * state.get("v", 0 * theta) + (1 - b2) * g ** 2
    m_hat = state["m"] / (1 - b1 ** t)
    if amsgrad:
        state["v_max"] = np.maximum(state.get("v_max", 0 * theta), state["v"])
        v_hat = state["v_max"] / (1 - b2 ** t)
    else:
        v_hat = state["v"] / (1 - b2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps)


def gradients(case, weights, x, y, l2=0.0, decay_bias=False):
    acts = [network.ACTIVATIONS[a] for a in case.activations]
    fwd = network.forward(weights, x, acts, case.bias)
    grads = network.backward(weights, fwd, y, acts, network.LOSSES[case.loss], case.bias).grads
    return [G + l2 * mask(W, case.bias, decay_bias) * W for G, W in zip(grads, weights)]


def mask(W, bias, decay_bias):
    m = np.ones_like(W)
    if bias and not decay_bias:
        m[0] = 0
    return m


def examples_of(case, steps, seed):
    rng = np.random.default_rng(1000 + seed)
    xs = [case.x] + [rng.normal(0, 1.5, size=case.x.shape) for _ in range(steps - 1)]
    return [(x, case.y) for x in xs]


def reference_run(case, name, options, wd, lr, steps, decay_bias, train_bias, l2=0.0):
    """Weights after each of the steps, one example a step, from the reference."""
    o = dict(optimizers.OPTIONS["momentum" if name == "sgd" else name])
    o.update(dict(optimizers.OPTIONS[name]))
    o.update(options)
    weights = [np.array(W) for W in case.weights]
    states = [{} for _ in weights]
    out = []
    for t, (x, y) in enumerate(examples_of(case, steps, case.seed), start=1):
        grads = gradients(case, weights, x, y, l2, decay_bias)
        new = []
        for W, G, state in zip(weights, grads, states):
            kept_state = {k: v.copy() for k, v in state.items()}
            W2 = reference_step(name, o, lr, wd, t, W, G, state, mask(W, case.bias, decay_bias))
            if case.bias and not train_bias:
                W2[0] = W[0]
                for k in state:
                    state[k][0] = kept_state[k][0] if k in kept_state else (o.get("initial_accumulator", 0.0) if k == "sum" else 0.0)
            new.append(W2)
        weights = new
        out.append([W.copy() for W in weights])
    return out


def problem_of(case, name, options, wd, lr, steps, decay_bias, train_bias, l2=0.0) -> Problem:
    examples = tuple((np.array(x), np.array(y)) for x, y in examples_of(case, steps, case.seed))
    return Problem(
        x=examples[0][0], y=examples[0][1], weights=case.weights, activations=case.activations, loss=case.loss,
        learning_rate=lr, bias=case.bias, train_bias=train_bias, examples=examples,
        optimizer=optimizers.make(name, options, wd, decay_bias), l2=l2, decay_bias=decay_bias,
    )


def nnsolve_run(problem):
    return [[s.updated_W for s in step.solution.layers] for step in solve_steps(problem)]


@pytest.mark.parametrize("k", range(len(COMBINATIONS)), ids=lambda k: "-".join(
    [COMBINATIONS[k][0]] + [f"{a}={b}" for a, b in COMBINATIONS[k][1].items()] + [f"wd={COMBINATIONS[k][2]}"]))
def test_every_optimizer_and_option_agrees_with_the_reference(k):
    name, options, wd = COMBINATIONS[k]
    for seed in range(3 * k, 3 * k + 3):
        case = make_case(seed)
        steps = 1 + seed % 5
        decay_bias, train_bias = bool(seed % 2), seed % 3 != 0
        lr = (0.01, 0.1, 0.5)[seed % 3]
        problem = problem_of(case, name, options, wd, lr, steps, decay_bias, train_bias)
        want = reference_run(case, name, options, wd, lr, steps, decay_bias, train_bias)
        got = nnsolve_run(problem)
        assert len(got) == steps
        for n, (g_step, w_step) in enumerate(zip(got, want), start=1):
            for l, (g, w) in enumerate(zip(g_step, w_step), start=1):
                np.testing.assert_allclose(g, w, rtol=RTOL, atol=1e-13, err_msg=f"{case.describe()} step {n} W{l}")


@pytest.mark.parametrize("name", ["momentum", "adam", "adamw", "rmsprop", "adagrad"])
def test_l2_in_the_loss_and_its_gradient(name):
    for seed in range(6):
        case = make_case(seed)
        decay_bias = bool(seed % 2)
        problem = problem_of(case, name, {}, 0.0, 0.1, 3, decay_bias, True, l2=0.03)
        want = reference_run(case, name, {}, 0.0, 0.1, 3, decay_bias, True, l2=0.03)
        for g_step, w_step in zip(nnsolve_run(problem), want):
            for g, w in zip(g_step, w_step):
                np.testing.assert_allclose(g, w, rtol=RTOL, atol=1e-13)
        one = replace(problem, examples=())
        s = solve(one)
        plain = solve(replace(one, l2=0.0))
        penalty = 0.5 * 0.03 * sum(float(np.sum((mask(W, case.bias, decay_bias) * W) ** 2)) for W in case.weights)
        assert s.loss == pytest.approx(plain.loss + penalty, rel=1e-12)
        # the gradient of the loss with l2 is that of the loss plus l2 w: finite differences agree
        W = np.array(case.weights[0])
        h = 1e-6
        r, c = (0, 0)
        Wp, Wm = W.copy(), W.copy()
        Wp[r, c] += h
        Wm[r, c] -= h
        lp = solve(replace(one, weights=(Wp,) + case.weights[1:])).loss
        lm = solve(replace(one, weights=(Wm,) + case.weights[1:])).loss
        assert s.layers[0].grad_W[r, c] == pytest.approx((lp - lm) / (2 * h), rel=1e-5, abs=1e-7)


def test_a_given_state_is_the_state_the_steps_before_it_left():
    """Two steps from the start equal one step from the state the first one left (the second step's question)."""
    for name in ("momentum", "adagrad", "rmsprop", "adam", "adamw"):
        opts = {"centered": True, "momentum": 0.5} if name == "rmsprop" else {"amsgrad": True} if name.startswith("adam") else {}
        for seed in range(4):
            case = make_case(seed)
            problem = problem_of(case, name, opts, 0.01, 0.1, 2, False, True)
            steps = solve_steps(problem)
            first = steps[0].solution
            second = replace(problem, x=problem.examples[1][0], examples=(), weights=tuple(s.updated_W for s in first.layers),
                             state=first.optimizer_step.after)
            got = solve(second)
            assert got.optimizer_step.t == 2
            for a, b in zip(got.layers, steps[1].solution.layers):
                np.testing.assert_allclose(a.updated_W, b.updated_W, rtol=1e-14, atol=0)


def test_options_are_checked_as_torch_checks_them():
    with pytest.raises(optimizers.OptionError, match="unknown optimizer"):
        optimizers.make("adma")
    with pytest.raises(optimizers.OptionError, match="momentum above 0"):
        optimizers.make("sgd", {"nesterov": True})
    with pytest.raises(optimizers.OptionError, match=r"\[0, 1\)"):
        optimizers.make("adam", {"beta1": 1.0})
    with pytest.raises(optimizers.OptionError, match="not an option"):
        optimizers.make("adam", {"momentum": 0.9})
    assert optimizers.make("adamw").weight_decay == 0.01  # torch.optim.AdamW's default
    assert optimizers.make("adam").weight_decay == 0.0
    assert optimizers.make("nesterov")["nesterov"] is True
    assert dict(optimizers.make("momentum").options) == {"momentum": 0.9, "dampening": 0.0, "nesterov": False}


# -- torch.optim itself ----------------------------------------------------------------------


def _torch():
    """torch, or a skip that says how to get it; in CI (which runs `make torch-deps`) a failure."""
    try:
        import torch
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("torch is missing in CI: .ci/run runs `make torch-deps` to install it")
        pytest.skip("torch is not installed (make torch-deps)")
    return torch


def torch_run(torch, case, name, options, wd, lr, steps, decay_bias, train_bias, autograd=False):
    """The weights after each step as torch.optim leaves them, float64: each W split into its
    bias row and the rest (two parameters), so that weight decay can skip the biases and a
    frozen bias row is a parameter the optimizer is not given. The gradient of each step is
    the one nnsolve's backpropagation gives at torch's own weights (autograd=False), so that
    what is compared is torch.optim's rule: an adaptive rule divides a gradient by its own size,
    and where a gradient is far below eps (1e-9 against 1e-8) the last bit of an autograd
    gradient moves the step by 1e-10 (test_autograd_agrees_too compares the whole step).""" 
    o = {**dict(optimizers.OPTIONS[name]), **options}
    rows, rests = [], []
    for W in case.weights:
        W = torch.tensor(np.array(W), dtype=torch.float64)
        if case.bias:
            rows.append(W[:1].clone().requires_grad_(train_bias))
            rests.append(W[1:].clone().requires_grad_(True))
        else:
            rests.append(W.clone().requires_grad_(True))
    groups = [{"params": rests, "weight_decay": wd}]
    if case.bias and train_bias:
        groups.append({"params": rows, "weight_decay": wd if decay_bias else 0.0})
    if name in ("sgd", "momentum"):
        opt = torch.optim.SGD(groups, lr=lr, momentum=o["momentum"], dampening=o["dampening"], nesterov=o["nesterov"])
    elif name == "adagrad":
        opt = torch.optim.Adagrad(groups, lr=lr, lr_decay=o["lr_decay"], initial_accumulator_value=o["initial_accumulator"], eps=o["eps"])
    elif name == "rmsprop":
        opt = torch.optim.RMSprop(groups, lr=lr, alpha=o["alpha"], eps=o["eps"], momentum=o["momentum"], centered=o["centered"])
    else:
        cls = torch.optim.Adam if name == "adam" else torch.optim.AdamW
        opt = cls(groups, lr=lr, betas=(o["beta1"], o["beta2"]), eps=o["eps"], amsgrad=o["amsgrad"], foreach=False)
    out = []
    for x, y in examples_of(case, steps, case.seed):
        opt.zero_grad()
        with torch.no_grad():
            now = [(torch.cat([r, w]) if case.bias else w).numpy() for r, w in itertools.zip_longest(rows, rests)] if case.bias \
                else [w.numpy() for w in rests]
        if autograd:
            beta = torch.tensor(np.array(x), dtype=torch.float64)
            Ws = [torch.cat([r, w]) for r, w in zip(rows, rests)] if case.bias else list(rests)
            for W, act in zip(Ws, case.activations):
                inp = torch.cat([torch.ones(1, dtype=torch.float64), beta]) if case.bias else beta
                alpha = inp @ W
                beta = torch_activation(torch, act, alpha)
            loss = torch_loss(torch, case.loss, case.activations[-1], alpha, beta, torch.tensor(np.array(y), dtype=torch.float64))
            loss.backward()
        else:  # the gradient at torch's own weights, as nnsolve's backpropagation computes it
            for l, G in enumerate(gradients(case, [np.array(W) for W in now], x, y)):
                if case.bias:
                    if train_bias:
                        rows[l].grad = torch.tensor(G[:1])
                    rests[l].grad = torch.tensor(G[1:])
                else:
                    rests[l].grad = torch.tensor(G)
        opt.step()
        with torch.no_grad():
            out.append([(torch.cat([r, w]) if case.bias else w).numpy().copy() for r, w in zip(rows, rests)]
                       if case.bias else [w.numpy().copy() for w in rests])
    return out


def torch_activation(torch, name, a):
    return {
        "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "linear": lambda a: a,
        "leaky_relu": lambda a: torch.nn.functional.leaky_relu(a, network.LEAKY_SLOPE),
        "softmax": lambda a: torch.softmax(a, dim=-1),
    }[name](a)


def torch_loss(torch, name, out, alpha, y_hat, y):
    if name == "squared_error":
        return 0.5 * torch.sum((y - y_hat) ** 2)
    if name == "mse":
        return torch.mean((y - y_hat) ** 2)
    if name == "binary_cross_entropy":
        return torch.sum(torch.nn.functional.softplus(alpha) - y * alpha)
    log = torch.log_softmax(alpha, dim=-1) if out == "softmax" else torch.nn.functional.logsigmoid(alpha)
    return -torch.sum(torch.where(y > 0, y * log, torch.zeros_like(log)))


@pytest.mark.parametrize("k", range(len(COMBINATIONS)), ids=lambda k: "-".join(
    [COMBINATIONS[k][0]] + [f"{a}={b}" for a, b in COMBINATIONS[k][1].items()] + [f"wd={COMBINATIONS[k][2]}"]))
def test_every_optimizer_and_option_agrees_with_torch(k):
    torch = _torch()
    name, options, wd = COMBINATIONS[k]
    for seed in range(3 * k, 3 * k + 3):
        case = make_case(seed)
        steps = 1 + seed % 5
        decay_bias, train_bias = bool(seed % 2), seed % 3 != 0
        lr = (0.01, 0.1, 0.5)[seed % 3]
        got = nnsolve_run(problem_of(case, name, options, wd, lr, steps, decay_bias, train_bias))
        want = torch_run(torch, case, name, options, wd, lr, steps, decay_bias, train_bias)
        for n, (g_step, w_step) in enumerate(zip(got, want), start=1):
            for l, (g, w) in enumerate(zip(g_step, w_step), start=1):
                np.testing.assert_allclose(g, w, rtol=RTOL, atol=1e-13, err_msg=f"{case.describe()} step {n} W{l}")


def test_autograd_agrees_too():
    """torch's own autograd and torch.optim, step by step, on networks whose gradients are not
    near 0 against eps: the whole of a student's PyTorch check."""
    torch = _torch()
    for k, (name, options, wd) in enumerate(COMBINATIONS[::3]):
        case = make_case(k)
        got = nnsolve_run(problem_of(case, name, options, wd, 0.1, 3, False, True))
        want = torch_run(torch, case, name, options, wd, 0.1, 3, False, True, autograd=True)
        for g_step, w_step in zip(got, want):
            for g, w in zip(g_step, w_step):
                np.testing.assert_allclose(g, w, rtol=1e-8, atol=1e-10, err_msg=case.describe())
