"""Training: `nnsolve train`'s loops against a straightforward numpy loop and a PyTorch autograd loop.

    .venv/bin/python benchmarks/bench_train.py [--quick]

Workloads (issue 7 item 4, issue 6's benchmark, and the training part of issue 7 item 5):

  sgd-2-16-1      per-example SGD (batch size 1) of a 2-16-1 sigmoid network, squared error,
                  on 100,000 examples, one epoch: nnsolve's `training.train` (what `nnsolve
                  train` runs, measuring included) and its steps alone, the obvious numpy loop
                  (np.dot and np.outer per example), and a torch autograd loop (float64, one
                  intra-op thread, on a prefix of the same order: it takes ~200 us an
                  example); how far their final weights are from each other and from
                  network.py's step repeated; and the `nnsolve train` command end to end on
                  the same examples as a CSV (start-up and parsing included).
  sgd-784-128-10  issue 6: relu, softmax, cross-entropy, 10,000 examples, batch size 1.
  minibatch-*     784-256-10 (relu, softmax, cross-entropy), batch 128, 60,000 examples, one
                  epoch, in float64 and float32, against the matmul ceiling measured in the same
                  run, interleaved with it: the GFLOP/s of the training's own two big matmuls,
                  (128x784)@(784x256) and (784x128)@(128x256), run alone with preallocated
                  outputs, one of each; a 1024^3 matmul is printed beside it. The data is
                  float64 (what `nnsolve train` reads); float32 training converts each batch,
                  and is timed as well on the data already in float32 (the library takes
                  float32 arrays as they are).
  memory          peak RSS of training on 60,000 x 784 float64 data in a fresh process, and of the
                  whole `nnsolve train` command (float64 and --dtype float32) on the same data as a
                  .npy file, set against a process that imports what the command imports and reads its problem file.

FLOPs. A training step of batch B performs, per layer l of fan_in x fan_out weights, a forward
matmul (2 B fan_in fan_out) and a weight-gradient matmul (the same), and for every layer but the
first an input-gradient matmul (the same again): the first layer's input gradient (the gradient
of the data) is never computed, so the usual "6 x parameters x examples" count would credit
work that is not done (it puts this run above the ceiling). The percentages of the ceiling
count only the FLOPs performed (bias rows not counted); the 6N figure is printed beside them.
The measuring at the end of each epoch (the loss and accuracy of every example with the
epoch's final weights, which `nnsolve train` reports) is a forward pass over all the data:
"steps" times the epoch's updates alone, "train()" the whole call with its two measuring passes
(epoch 0 and epoch 1), their FLOPs counted.

Timings are wall-clock (harness.time_call), the workloads of a section interleaved round by
round so that a busy machine slows all of them alike; the load average is printed. This
machine's speed also changes by up to 2x from one minute to the next with nothing else of ours
running (memory-bound work the most), so each mini-batch run is set against the ceiling
measured just before and just after it, and the percentage is the median over the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import harness
from harness import Target, Timing, header, time_call, torch_or_none

from nnsolve import network, training

FULL = dict(sgd_n=100_000, torch_sgd_n=10_000, ref_sgd_n=20_000, mnist_n=10_000, torch_mnist_n=2_000,
            mb_n=60_000, mem_n=60_000, repeats=5, compare_repeats=3, mb_repeats=5, mb_compare_repeats=2, command_repeats=3)
QUICK = dict(sgd_n=20_000, torch_sgd_n=2_000, ref_sgd_n=2_000, mnist_n=2_000, torch_mnist_n=500,
             mb_n=10_000, mem_n=10_000, repeats=3, compare_repeats=2, mb_repeats=3, mb_compare_repeats=2, command_repeats=2)
BATCH = 128
SEED = 0


# ---------------------------------------------------------------------------
# Networks and data


def make_network(sizes, activations, loss, rate, seed) -> training.Network:
    """He-style random weights, bias rows 0."""
    rng = np.random.default_rng(seed)
    weights = tuple(
        np.vstack([np.zeros((1, b)), rng.normal(0.0, np.sqrt(2.0 / a), (a, b))]) for a, b in zip(sizes[:-1], sizes[1:])
    )
    return training.Network(weights, tuple(activations), loss, rate)


def two_feature_data(n: int, seed: int):
    """A 2-D binary task (XOR of the signs, with noise) for the 2-16-1 network."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    Y = ((X[:, :1] * X[:, 1:] > 0) ^ (rng.random((n, 1)) < 0.05)).astype(np.float64)
    return X, Y


def wide_data(n: int, n_in: int, n_out: int, seed: int):
    """n x n_in standard-normal inputs (made in place: no temporary the size of the data) and
    one-hot labels from a random linear teacher, so that training has something to learn."""
    rng = np.random.default_rng(seed)
    X = np.empty((n, n_in))
    rng.standard_normal(out=X)
    teacher = rng.normal(size=(n_in, n_out))
    labels = np.concatenate([np.argmax(X[s:s + 8192] @ teacher, axis=1) for s in range(0, n, 8192)])
    return X, np.eye(n_out)[labels]


def order_of(n: int) -> np.ndarray:
    """The example order of the first epoch of train(..., shuffle=True, seed=SEED)."""
    return training.streams(SEED).order.permutation(n)


# ---------------------------------------------------------------------------
# The comparisons: the obvious numpy loop, and PyTorch autograd


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _softmax(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


NUMPY_VALUE = {"sigmoid": _sigmoid, "relu": lambda a: np.maximum(a, 0.0), "softmax": _softmax}
NUMPY_SLOPE = {"sigmoid": lambda a, b: b * (1.0 - b), "relu": lambda a, b: (a > 0).astype(a.dtype)}


def numpy_sgd(net: training.Network, X, Y, order):
    """Per-example SGD as one would write it: forward, backward and update with np.dot and
    np.outer, new arrays every step."""
    Ws = [W.copy() for W in net.weights]
    rate = net.learning_rate
    with np.errstate(over="ignore"):
        for i in order:
            x, y = X[i], Y[i]
            inputs, alphas, betas, b = [], [], [], x
            for W, act in zip(Ws, net.activations):
                inputs.append(b)
                a = np.dot(b, W[1:]) + W[0]
                b = NUMPY_VALUE[act](a)
                alphas.append(a)
                betas.append(b)
            if net.loss == "squared_error":
                delta = (b - y) * NUMPY_SLOPE[net.activations[-1]](alphas[-1], b)
            else:  # softmax + cross-entropy, sigmoid + binary cross-entropy
                delta = b - y
            for l in range(len(Ws) - 1, -1, -1):
                W = Ws[l]
                back = np.dot(W[1:], delta) if l else None
                W[1:] -= rate * np.outer(inputs[l], delta)
                W[0] -= rate * delta
                if l:
                    delta = back * NUMPY_SLOPE[net.activations[l - 1]](alphas[l - 1], betas[l - 1])
    return Ws


def numpy_minibatch(net: training.Network, X, Y, order, B, dtype=np.float64):
    """Mini-batch gradient descent as one would write it (relu hidden layers, softmax output)."""
    Ws = [W.astype(dtype) for W in net.weights]
    rate = net.learning_rate
    for start in range(0, len(order), B):
        rows = order[start:start + B]
        x, y = X[rows].astype(dtype, copy=False), Y[rows].astype(dtype, copy=False)
        inputs, alphas, b = [], [], x
        for W, act in zip(Ws, net.activations):
            inputs.append(b)
            a = b @ W[1:] + W[0]
            b = NUMPY_VALUE[act](a)
            alphas.append(a)
        delta = (b - y) / len(rows)
        for l in range(len(Ws) - 1, -1, -1):
            W = Ws[l]
            back = delta @ W[1:].T if l else None
            W[1:] -= rate * (inputs[l].T @ delta)
            W[0] -= rate * delta.sum(axis=0)
            if l:
                delta = back * (alphas[l - 1] > 0)
    return Ws


def torch_train(torch, net: training.Network, X, Y, order, B, dtype="float64"):
    """The same training with PyTorch autograd: a loss, backward(), and an SGD update."""
    tdtype = getattr(torch, dtype)
    Ws = [torch.tensor(W, dtype=tdtype, requires_grad=True) for W in net.weights]
    Xt = torch.from_numpy(X)
    Yt = torch.from_numpy(Y)
    rate = net.learning_rate
    acts = net.activations
    for start in range(0, len(order), B):
        if B == 1:
            i = int(order[start])
            x, y = Xt[i].to(tdtype), Yt[i].to(tdtype)
        else:
            rows = torch.from_numpy(order[start:start + B])
            x, y = Xt[rows].to(tdtype), Yt[rows].to(tdtype)
        b = x
        for l, W in enumerate(Ws):
            a = b @ W[1:] + W[0]
            if l < len(Ws) - 1 or acts[-1] != "softmax":
                b = torch.sigmoid(a) if acts[l] == "sigmoid" else torch.relu(a)
        if net.loss == "squared_error":
            loss = 0.5 * ((y - b) ** 2).sum()
        else:  # cross-entropy of softmax outputs, summed over the outputs
            loss = -(y * torch.log_softmax(a, dim=-1)).sum()
        if B > 1:
            loss = loss / x.shape[0]
        loss.backward()
        with torch.no_grad():
            for W in Ws:
                W -= rate * W.grad
                W.grad = None
    return [W.detach().numpy().astype(np.float64) for W in Ws]


def network_py_sgd(net: training.Network, X, Y, order):
    """network.py's forward, backward and update once per example (the worksheet's step)."""
    weights = tuple(np.array(W) for W in net.weights)
    acts = [network.ACTIVATIONS[a] for a in net.activations]
    loss = network.LOSSES[net.loss]
    for i in order:
        fwd = network.forward(weights, X[i], acts, net.bias)
        bwd = network.backward(weights, fwd, Y[i], acts, loss, net.bias)
        weights = network.update(weights, bwd.grads, net.learning_rate, net.bias, net.train_bias)
    return weights


def max_diff(a, b) -> float:
    return max(float(np.max(np.abs(np.asarray(x, dtype=np.float64) - np.asarray(y, dtype=np.float64)))) for x, y in zip(a, b))


def bit_identical(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b))


# ---------------------------------------------------------------------------
# Timing helpers


def interleaved(fns: dict, repeats: dict) -> dict:
    """harness.time_call of each function, one sample a round, round after round (after one
    warm-up each), so that the machine's load falls on all of them alike."""
    for fn in fns.values():
        time_call(fn, repeats=0, warmup=1)
    samples = {name: [] for name in fns}
    for round_ in range(max(repeats.values())):
        for name, fn in fns.items():
            if round_ < repeats[name]:
                samples[name] += time_call(fn, repeats=1, warmup=0).samples
    return {name: Timing(s) for name, s in samples.items()}


def span(t: Timing, scale: float, unit: str, digits: int = 3) -> str:
    return f"{t.median * scale:.{digits}g} {unit} (min {t.low * scale:.{digits}g}, max {t.high * scale:.{digits}g}, {len(t.samples)} runs)"


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def matmul_fns(dtype, B: int, sizes) -> dict:
    """The ceiling's matmuls, each a function doing enough of them to take ~0.1 s, and its FLOPs."""
    rng = np.random.default_rng(1)
    n_in, n_hidden = sizes[0], sizes[1]
    shapes = {
        f"matmul ({B}x{n_in})@({n_in}x{n_hidden})": (B, n_in, n_hidden, False),
        f"matmul ({n_in}x{B})@({B}x{n_hidden})": (n_in, B, n_hidden, True),
        "matmul 1024x1024x1024": (1024, 1024, 1024, False),
    }
    out = {}
    for name, (m, k, n, transposed) in shapes.items():
        A = rng.normal(size=(k, m)).astype(dtype).T if transposed else rng.normal(size=(m, k)).astype(dtype)
        W = rng.normal(size=(k, n)).astype(dtype)
        C = np.empty((m, n), dtype=dtype)
        count = max(1, int(0.1 * 100e9 / (2 * m * k * n)))

        def run(A=A, W=W, C=C, count=count):
            for _ in range(count):
                np.matmul(A, W, out=C)

        out[name] = (run, 2.0 * m * k * n * count)
    return out


def training_flops(sizes, n: int) -> tuple[float, float]:
    """(FLOPs performed by one epoch's steps on n examples, the 6N convention's count)."""
    layers = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    performed = 2 * n * (2 * sum(layers) + sum(layers[1:]))
    return float(performed), float(6 * n * sum(layers))


def forward_flops(sizes, n: int) -> float:
    return float(2 * n * sum(a * b for a, b in zip(sizes[:-1], sizes[1:])))


# ---------------------------------------------------------------------------
# Workloads


def per_example(name: str, net, X, Y, n_torch: int, n_ref: int, cfg, torch, figures, targets, check_targets: bool):
    """Batch size 1 over all of X: nnsolve, the numpy loop, torch on a prefix."""
    n = X.shape[0]
    order = order_of(n)
    header(f"{name}: per-example SGD (batch size 1), {n:,} examples, one epoch  [load {load()}]")
    results = {}

    def nnsolve_train():
        results["train"] = training.train(net, X, Y, epochs=1, batch_size=1, shuffle=True, seed=SEED)

    def nnsolve_steps():
        trainer = training.Trainer(net, X, Y, 1)
        trainer.epoch(order)
        results["steps"] = trainer.current()

    def numpy_loop():
        results["numpy"] = numpy_sgd(net, X, Y, order)

    fns = {"nnsolve train()": nnsolve_train, "nnsolve steps": nnsolve_steps, "numpy loop": numpy_loop}
    reps = {"nnsolve train()": cfg["repeats"], "nnsolve steps": cfg["repeats"], "numpy loop": cfg["compare_repeats"]}
    if torch is not None:
        def torch_loop():  # one intra-op thread: steadier beside numpy's BLAS threads, and no slower
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                results["torch"] = torch_train(torch, net, X, Y, order[:n_torch], 1)
            finally:
                torch.set_num_threads(threads)

        fns["torch autograd"] = torch_loop
        reps["torch autograd"] = cfg["compare_repeats"]
    t = interleaved(fns, reps)
    per = {k: (n_torch if k == "torch autograd" else n) for k in t}
    us = {k: Timing([s / per[k] for s in v.samples]) for k, v in t.items()}
    for k, v in us.items():
        print(f"  {k:18s} {span(v, 1e6, 'us/example')}" + (f"  [first {n_torch:,} examples of the same order]" if k == "torch autograd" else ""))
    fig = {k: v.as_dict(1e6) | {"unit": "us/example", "examples": per[k]} for k, v in us.items()}

    # the same weights: the numpy loop (whole run), network.py's step (prefix), torch (prefix)
    trained = results["train"].weights
    diff_numpy = max_diff(trained, results["numpy"])
    steps_same = bit_identical(trained, results["steps"])
    trainer = training.Trainer(net, X, Y, 1)
    trainer.epoch(order[:n_ref])
    reference = network_py_sgd(net, X, Y, order[:n_ref])
    ref_identical = bit_identical(trainer.current(), reference)
    diff_ref = max_diff(trainer.current(), reference)
    print(f"  final weights: max |nnsolve - numpy loop| = {diff_numpy:.2g} over {n:,} steps; train() and the steps alone "
          f"{'bit for bit the same' if steps_same else 'DIFFER'}")
    print(f"  network.py's step repeated over the first {n_ref:,}: {'bit for bit the same' if ref_identical else f'max diff {diff_ref:.2g}'}")
    fig["weights"] = {"max_diff_numpy_loop": diff_numpy, "network_py_prefix": n_ref, "network_py_bit_identical": ref_identical,
                      "network_py_max_diff": diff_ref}
    ratio_numpy = us["numpy loop"].median / us["nnsolve train()"].median
    print(f"  numpy loop / nnsolve train(): {ratio_numpy:.2f}x")
    fig["ratio_numpy_loop"] = ratio_numpy
    if torch is not None:
        trainer = training.Trainer(net, X, Y, 1)
        trainer.epoch(order[:n_torch])
        diff_torch = max_diff(trainer.current(), results["torch"])
        ratio_torch = us["torch autograd"].median / us["nnsolve train()"].median
        print(f"  torch autograd / nnsolve train(): {ratio_torch:.1f}x; max |nnsolve - torch| over {n_torch:,} steps = {diff_torch:.2g}")
        fig["ratio_torch"] = ratio_torch
        fig["weights"]["max_diff_torch"] = diff_torch
    if check_targets:  # the command itself, start-up and reading the CSV included
        fig["command"] = command_run(name, net, X, Y, cfg)
    figures[name] = fig
    if check_targets:
        targets.append(Target(f"{name}: nnsolve train() per example", us["nnsolve train()"].median * 1e6, 10, unit=" us"))
        if torch is not None:
            targets.append(Target(f"{name}: torch autograd loop / nnsolve", ratio_torch, 10, at_least=True))
        targets.append(Target(f"{name}: numpy loop / nnsolve", ratio_numpy, 1.5, at_least=True))
        targets.append(Target(f"{name}: max |W - numpy loop's W| after {n:,} steps", diff_numpy, 1e-12, unit=""))
        targets.append(Target(f"{name}: max |W - network.py's step repeated| ({n_ref:,} steps)", diff_ref, 1e-12, unit=""))


def command_run(name: str, net: training.Network, X, Y, cfg) -> dict:
    """`nnsolve train` on the same examples written as a CSV, the same network as a problem
    file, one epoch: whole-process wall time (start-up, reading, training, measuring, output)."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.csv"
        columns = np.hstack([X, Y])
        names = [f"x{i + 1}" for i in range(X.shape[1])] + ["y"]
        np.savetxt(data, columns, delimiter=",", header=",".join(names), comments="", fmt="%.17g")
        problem = Path(tmp) / "net.yaml"
        problem.write_text(
            f"title: {name}\nx: {X[0].tolist()}\ny: {Y[0].tolist()}\n"
            + "".join(f"W{l + 1}: {W.tolist()}\n" for l, W in enumerate(net.weights))
            + f"activation: {list(net.activations)}\nloss: {net.loss}\nlearning_rate: {net.learning_rate}\n"
        )
        argv = harness.nnsolve_command() + ["train", str(problem), "--data", str(data), "--epochs", "1", "--json"]
        out = subprocess.run(argv, capture_output=True, text=True, check=True)
        assert json.loads(out.stdout.splitlines()[-1])["epoch"] == 1
        t = harness.time_commands({"command": argv}, repeats=cfg["command_repeats"], warmup=1)["command"]
    n = X.shape[0]
    print(f"  the command, `nnsolve train ... --epochs 1 --json` on a {n:,}-row CSV (start-up, parsing, output included): "
          f"{span(t, 1e6 / n, 'us/example')}")
    return t.as_dict(1e6 / n) | {"unit": "us/example", "what": "whole process, CSV of the examples"}


def minibatch(dtype: str, net, X, Y, cfg, torch, figures, targets, limit_percent: float, X_same=None):
    """Batch 128 over all of X: nnsolve's steps alone and its whole train(), the plain numpy
    loop and torch, each run between two measurements of the ceiling (the machine's speed can
    change from one second to the next, so each run is set against the ceiling around it)."""
    n = X.shape[0]
    sizes = net.sizes
    name = f"minibatch-{'-'.join(map(str, sizes))}-{dtype}"
    order = order_of(n)
    header(f"{name}: batch {BATCH}, {n:,} examples x {sizes[0]} features, one epoch  [load {load()}]")
    ceiling = matmul_fns(getattr(np, dtype), BATCH, sizes)
    # the ceiling: the training's own two big matmuls run alone, one of each (their FLOPs over
    # their time); a square 1024^3 one beside it for reference
    shaped = [k for k in ceiling if not k.startswith("matmul 1024")]
    square_name = next(k for k in ceiling if k.startswith("matmul 1024"))
    results = {}

    def steps():
        trainer = training.Trainer(net, X, Y, BATCH, dtype)
        trainer.epoch(order)
        results["steps"] = trainer.current()

    def whole():
        results["train"] = training.train(net, X, Y, epochs=1, batch_size=BATCH, seed=SEED, dtype=dtype)

    def plain():
        results["numpy"] = numpy_minibatch(net, X, Y, order, BATCH, getattr(np, dtype))

    runs = {"nnsolve steps": steps, "nnsolve train()": whole, "numpy plain": plain}
    reps = {"nnsolve steps": cfg["mb_repeats"], "nnsolve train()": cfg["mb_repeats"], "numpy plain": cfg["mb_compare_repeats"]}
    if X_same is not None:  # the data already in the training's dtype: nothing converted, half the bytes read
        def steps_same():
            trainer = training.Trainer(net, X_same, Y, BATCH, dtype)
            trainer.epoch(order)
            results["steps same"] = trainer.current()

        runs[f"steps, {dtype} data"] = steps_same
        reps[f"steps, {dtype} data"] = cfg["mb_repeats"]
    if torch is not None:
        def torch_loop():
            results["torch"] = torch_train(torch, net, X, Y, order, BATCH, dtype)

        runs["torch autograd"] = torch_loop
        reps["torch autograd"] = cfg["mb_compare_repeats"]
    performed, conventional = training_flops(sizes, n)
    evaluation = 2 * forward_flops(sizes, n)  # epoch 0 and epoch 1
    work = {"nnsolve train()": performed + evaluation}
    work.update({k: performed for k in runs if k not in work})

    samples = {k: [] for k in list(ceiling) + list(runs)}
    ceilings, squares = [], []
    percents = {k: [] for k in runs}
    square_percents = {k: [] for k in runs}

    def measure_ceiling() -> tuple[float, float]:
        times = {k: time_call(f, repeats=1, warmup=0).samples[0] for k, (f, _) in ceiling.items()}
        for k, v in times.items():
            samples[k].append(v)
        c = sum(ceiling[k][1] for k in shaped) / sum(times[k] for k in shaped) / 1e9
        q = ceiling[square_name][1] / times[square_name] / 1e9
        ceilings.append(c)
        squares.append(q)
        return c, q

    for f in [f for f, _ in ceiling.values()] + list(runs.values()):  # warm-up
        f()
    before = measure_ceiling()
    for round_ in range(max(reps.values())):
        for k, f in runs.items():
            if round_ >= reps[k]:
                continue
            seconds = time_call(f, repeats=1, warmup=0).samples[0]
            after = measure_ceiling()
            samples[k].append(seconds)
            rate = work[k] / seconds / 1e9
            percents[k].append(100 * rate / ((before[0] + after[0]) / 2))
            square_percents[k].append(100 * rate / ((before[1] + after[1]) / 2))
            before = after

    t = {k: Timing(v) for k, v in samples.items()}
    fig = {}
    for k, (_, flops) in ceiling.items():
        rate = Timing([flops / s / 1e9 for s in t[k].samples])
        print(f"  {k:34s} {span(rate, 1, 'GFLOP/s')}")
        fig[k] = rate.as_dict() | {"unit": "GFLOP/s"}
    best, square = Timing(ceilings).median, Timing(squares).median
    print(f"  ceiling: {span(Timing(ceilings), 1, 'GFLOP/s')} (the two shapes above, one of each); a 1024^3 matmul: {square:.1f}")
    fig["ceiling_gflops"] = Timing(ceilings).as_dict()
    fig["square_gflops"] = Timing(squares).as_dict()
    for k in runs:
        rate = Timing([work[k] / s / 1e9 for s in t[k].samples])
        percent = Timing(percents[k]).median
        percent_square = Timing(square_percents[k]).median
        six = conventional / t[k].median / 1e9
        print(f"  {k:20s} {span(t[k], 1, 's')} = {rate.median:.1f} GFLOP/s performed; {percent:.0f}% of the ceiling around each run "
              f"(min {min(percents[k]):.0f}, max {max(percents[k]):.0f}), {percent_square:.0f}% of 1024^3; 6N count {six:.1f}")
        fig[k] = t[k].as_dict() | {"unit": "s", "gflops_performed": rate.median, "percent_of_ceiling": percent,
                                   "percent_of_ceiling_runs": percents[k], "percent_of_square": percent_square, "gflops_6n": six}
    for k in ("numpy plain", "torch autograd"):
        if k in t:
            r = t[k].median / t["nnsolve steps"].median
            print(f"  {k} / nnsolve steps: {r:.2f}x")
            fig[f"ratio_{k.split()[0]}"] = r
    diffs = {"numpy plain": max_diff(results["steps"], results["numpy"])}
    if torch is not None:
        diffs["torch"] = max_diff(results["steps"], results["torch"])
    print("  final weights: " + "; ".join(f"max |nnsolve - {k}| = {v:.2g}" for k, v in diffs.items())
          + f"; train() and steps {'bit for bit the same' if bit_identical(results['train'].weights, results['steps']) else 'DIFFER'}")
    fig["max_diff"] = diffs
    figures[name] = fig
    # the target: the steps on the data as `nnsolve train --dtype D` holds it (data.py reads the
    # features in the training's dtype), the other figures beside it
    held = f"steps, {dtype} data" if X_same is not None else "nnsolve steps"
    steps_fig, whole_fig = fig[held], fig["nnsolve train()"]
    note = (f"({steps_fig['percent_of_square']:.0f}% of a 1024^3 matmul; 6N count {steps_fig['gflops_6n']:.0f} GFLOP/s; "
            f"whole train() with its measuring passes {whole_fig['percent_of_ceiling']:.0f}%")
    if X_same is not None:
        note += f"; on float64 data, converted a batch at a time, {fig['nnsolve steps']['percent_of_ceiling']:.0f}%"
    targets.append(Target(f"{name}: training steps on {dtype} data, % of the {dtype} ceiling of their matmuls (FLOPs performed)",
                          steps_fig["percent_of_ceiling"], limit_percent, at_least=True, unit="%", note=note + ")"))


# ---------------------------------------------------------------------------
# Memory: each case in a fresh process, for its own peak RSS


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def rss_now() -> int:
    return _status("VmRSS")


def peak_rss() -> int:
    """The peak RSS of this process: the kernel's high-water mark of its memory (VmHWM), which
    starts afresh at exec. (getrusage's ru_maxrss does not: a process started by vfork, as
    subprocess does, takes over the peak of its parent, here the benchmark with its data; the
    command below is measured with getrusage(RUSAGE_CHILDREN) from a small parent instead.)"""
    hwm = _status("VmHWM")
    return hwm or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory_child(n: int, dtype: str, split: float) -> None:
    """Run in a fresh process: make the data, train one epoch, print what the memory did."""
    net = make_network((784, 256, 10), ("relu", "softmax"), "cross_entropy", 0.05, 3)
    rng = np.random.default_rng(0)
    for m, k, o in ((BATCH, 784, 256), (784, BATCH, 256)):  # the BLAS's own buffers, before measuring
        for t in (np.float64, np.float32):
            rng.normal(size=(m, k)).astype(t) @ rng.normal(size=(k, o)).astype(t)
    X, Y = wide_data(n, 784, 10, 5)
    before, peak_before = rss_now(), peak_rss()
    training.train(net, X, Y, epochs=1, batch_size=BATCH, seed=SEED, dtype=dtype, validation_split=split)
    print(json.dumps({"data": X.nbytes + Y.nbytes, "rss_with_data": before, "peak_before": peak_before, "peak": peak_rss(),
                      "ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def problem_file(path: Path, hidden: int) -> None:
    """A 784-hidden-10 problem file (zeros: the command draws --init he weights)."""
    def rows(r, c):
        return "[" + ", ".join("[" + ", ".join(["0"] * c) + "]" for _ in range(r)) + "]"

    path.write_text(
        f"title: 784-{hidden}-10 for the memory benchmark\n"
        f"x: [{', '.join(['0'] * 784)}]\ny: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]\n"
        f"W1: {rows(785, hidden)}\nW2: {rows(hidden + 1, 10)}\n"
        "activation: [relu, softmax]\nloss: cross_entropy\nlearning_rate: 0.05\n"
    )


def memory(cfg, figures, targets) -> None:
    n = cfg["mem_n"]
    header(f"memory: peak RSS of training 784-256-10 on {n:,} x 784 float64 examples, batch {BATCH}, one epoch")
    batch_bytes = BATCH * 784 * 8
    fig = {"batch_bytes": batch_bytes}
    for dtype, split in (("float64", 0.0), ("float32", 0.0), ("float64", 0.1)):
        out = subprocess.run([sys.executable, __file__, "--memory-child", str(n), dtype, str(split)],
                             capture_output=True, text=True, check=True)
        m = json.loads(out.stdout.splitlines()[-1])
        # what training added to the resident set (the peak is training's when above the one before)
        extra = max(m["peak"], m["peak_before"]) - m["rss_with_data"]
        key = f"train() {dtype}" + (f", validation split {split}" if split else "")
        print(f"  {key:36s} data {m['data'] / 2**20:.0f} MiB; RSS with the data {m['rss_with_data'] / 2**20:.0f} MiB; "
              f"peak {m['peak'] / 2**20:.0f} MiB: {extra / 2**20:.1f} MiB more = {extra / batch_bytes:.1f} batches")
        fig[key] = m | {"extra": extra, "extra_batches": extra / batch_bytes}
        if dtype == "float64" and not split:
            targets.append(Target("memory: train() beyond the data, in batches of 128 x 784 float64", extra / batch_bytes, 16,
                                  unit=" batches", note=f"({extra / 2**20:.1f} MiB)"))

    # the whole command, data read from a .npy file
    with tempfile.TemporaryDirectory() as tmp:
        X, Y = wide_data(n, 784, 10, 5)
        table = np.empty((n, 785))
        table[:, :784] = X
        table[:, 784] = np.argmax(Y, axis=1)
        data_bytes = X.nbytes
        del X, Y
        np.save(Path(tmp) / "data.npy", table)
        del table
        # 784-128-10: a problem file holds at most 200,000 values a matrix, fewer than 785 x 256
        problem_file(Path(tmp) / "net.yaml", 128)
        code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)")
        # what the command holds besides the data and training: the interpreter, its imports and
        # the problem file it read (the YAML of 785 x 128 weights leaves ~7 MiB in Python's heap)
        imports = ("import gc, sys, numpy, click, yaml, nnsolve.cli.train, nnsolve.training, nnsolve.data; "
                   "from nnsolve.problem import load_problem; numpy.ones((128, 784)) @ numpy.ones((784, 256)); "
                   "problem = load_problem(sys.argv[1]); gc.collect(); "
                   "print(next(int(l.split()[1]) * 1024 for l in open('/proc/self/status') if l.startswith('VmRSS:')))")
        out = subprocess.run([sys.executable, "-c", imports, str(Path(tmp) / "net.yaml")], capture_output=True, text=True, check=True)
        base = int(out.stdout.split()[-1])
        print(f"  python with nnsolve's imports, a BLAS call and the problem file read: RSS {base / 2**20:.0f} MiB")
        fig["imports"] = {"rss": base}
        for dtype in ("float64", "float32"):
            command = harness.nnsolve_command() + ["train", str(Path(tmp) / "net.yaml"), "--data", str(Path(tmp) / "data.npy"),
                                                   "--epochs", "1", "--batch-size", str(BATCH), "--init", "he", "--json",
                                                   "--dtype", dtype]
            start = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", code] + command, capture_output=True, text=True, check=True)
            seconds = time.perf_counter() - start
            peak = int(out.stdout.split()[-1])
            held = data_bytes * np.dtype(dtype).itemsize // 8 + n * 10 * 8  # the features as the command holds them, one-hot labels
            extra = peak - base - held
            print(f"  nnsolve train 784-128-10 --dtype {dtype} (the command; a .npy of {data_bytes / 2**20:.0f} MiB of float64 features "
                  f"and a label column): peak {peak / 2**20:.0f} MiB = {peak / data_bytes:.2f}x the file's features; beyond the imports "
                  f"the problem file and the data in {dtype} ({held / 2**20:.0f} MiB): {extra / 2**20:.1f} MiB = {extra / batch_bytes:.1f} batches, {seconds:.1f} s")
            fig[f"nnsolve train command {dtype}"] = {"peak": peak, "features_bytes": data_bytes, "held_bytes": held, "extra": extra,
                                                     "extra_batches": extra / batch_bytes, "seconds": seconds}
            # a copy of the data (or float64 beside float32) would put this at 1.5x or more
            targets.append(Target(f"memory: the whole `nnsolve train --dtype {dtype}`, peak / (imports + problem file + data)",
                                  peak / (base + held), 1.1,
                                  note=f"(peak {peak / 2**20:.0f} MiB, {peak / data_bytes:.2f}x the float64 features; "
                                       f"{extra / 2**20:.1f} MiB = {extra / batch_bytes:.1f} batches beyond)"))
    figures["memory"] = fig


# ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data and fewer repeats (a minute)")
    parser.add_argument("--memory-child", nargs=3, metavar=("N", "DTYPE", "SPLIT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        n, dtype, split = args.memory_child
        memory_child(int(n), dtype, float(split))
        return
    cfg = QUICK if args.quick else FULL
    start = time.perf_counter()
    print(f"bench_train{' --quick' if args.quick else ''}: {os.cpu_count()} cores, load {load()}")
    torch = torch_or_none()
    if torch is not None:
        torch.set_default_dtype(torch.float64)
    figures: dict = {"quick": args.quick}
    targets: list[Target] = []

    net = make_network((2, 16, 1), ("sigmoid", "sigmoid"), "squared_error", 0.5, 1)
    X, Y = two_feature_data(cfg["sgd_n"], 2)
    per_example("sgd-2-16-1", net, X, Y, cfg["torch_sgd_n"], cfg["ref_sgd_n"], cfg, torch, figures, targets, True)

    net = make_network((784, 128, 10), ("relu", "softmax"), "cross_entropy", 0.01, 3)
    X, Y = wide_data(cfg["mnist_n"], 784, 10, 4)
    per_example("sgd-784-128-10", net, X, Y, cfg["torch_mnist_n"], min(500, cfg["mnist_n"]), cfg, torch, figures, targets, False)

    net = make_network((784, 256, 10), ("relu", "softmax"), "cross_entropy", 0.05, 3)
    X, Y = wide_data(cfg["mb_n"], 784, 10, 5)
    minibatch("float64", net, X, Y, cfg, torch, figures, targets, 75)
    X32 = X.astype(np.float32)
    minibatch("float32", net, X, Y, cfg, torch, figures, targets, 70, X32)
    del X, Y, X32

    memory(cfg, figures, targets)
    header(f"targets  [load {load()}; {time.perf_counter() - start:.0f} s in all]")
    path = harness.save("train", figures, targets)
    print(f"  wrote {path}")


if __name__ == "__main__":
    main()
