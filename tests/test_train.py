"""`nnsolve train`: the training math against independent reference loops, and the command's
outputs (table, JSON Lines, plot, saved problem file), determinism and divergence."""

from __future__ import annotations

import json
import math
import struct
import subprocess
import sys

import jsonschema
import numpy as np
import pytest

from nnsolve import network, training
from nnsolve.errors import NnsolveError
from nnsolve.network import ACTIVATIONS, LOSSES
from nnsolve.problem import load_problem
from nnsolve.solution import solve

from conftest import PROBLEMS, ROOT, assert_usage_error, invoke
from random_networks import OUTPUT_LOSS_PAIRS, _labels, make_case

XOR = str(PROBLEMS / "xor.yaml")
XOR_DATA = str(ROOT / "problems" / "data" / "xor.csv")
MOONS = str(PROBLEMS / "moons.yaml")
MOONS_DATA = str(ROOT / "problems" / "data" / "moons.csv")
X_XOR = np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]])
Y_XOR = np.array([[0.0], [1], [1], [0]])


def train_json(*args: str) -> list[dict]:
    result = invoke("train", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def random_network(seed: int, n_examples: int, train_bias: bool = True):
    """A random network of every (output activation, loss) pair in turn, and data for it."""
    case = make_case(seed)
    rng = np.random.default_rng(1000 + seed)
    out_act = case.activations[-1]
    k = case.weights[-1].shape[1]
    X = rng.normal(0.0, 1.0, size=(n_examples, len(case.x)))
    Y = np.array([_labels(rng, out_act, case.loss, k) for _ in range(n_examples)])
    net = training.Network(
        weights=case.weights, activations=case.activations, loss=case.loss, learning_rate=0.05,
        bias=case.bias, train_bias=train_bias or not case.bias,
    )
    return net, X, Y


# -- the math ------------------------------------------------------------------------------


def reference_sgd_sigmoid(W1, W2, X, Y, rate):
    """Per-example SGD of a 2-layer sigmoid network with the squared error, from the formulas."""
    W1, W2 = W1.copy(), W2.copy()
    sigma = lambda a: 1.0 / (1.0 + math.exp(-a))  # noqa: E731
    for x, y in zip(X, Y):
        inp1 = [1.0, *x]
        beta1 = [sigma(sum(inp1[i] * W1[i, j] for i in range(len(inp1)))) for j in range(W1.shape[1])]
        inp2 = [1.0, *beta1]
        y_hat = sigma(sum(inp2[i] * W2[i, 0] for i in range(len(inp2))))
        delta2 = -(y[0] - y_hat) * y_hat * (1 - y_hat)
        delta1 = [beta1[j] * (1 - beta1[j]) * W2[j + 1, 0] * delta2 for j in range(len(beta1))]
        grad2 = np.array([[inp2[i] * delta2] for i in range(len(inp2))])
        grad1 = np.array([[inp1[i] * delta1[j] for j in range(len(delta1))] for i in range(len(inp1))])
        W1, W2 = W1 - rate * grad1, W2 - rate * grad2
    return W1, W2


def reference_sgd(net: training.Network, X, Y, order):
    """Per-example SGD from nnsolve.network, one example at a time, with new arrays each step."""
    weights = tuple(np.array(W) for W in net.weights)
    acts = [ACTIVATIONS[a] for a in net.activations]
    for i in order:
        fwd = network.forward(weights, X[i], acts, net.bias)
        bwd = network.backward(weights, fwd, Y[i], acts, LOSSES[net.loss], net.bias)
        weights = network.update(weights, bwd.grads, net.learning_rate, net.bias, net.train_bias)
    return weights


def reference_minibatch(net: training.Network, X, Y, order, B):
    """Mini-batch gradient descent: every example's gradient from nnsolve.network, averaged."""
    weights = tuple(np.array(W) for W in net.weights)
    acts = [ACTIVATIONS[a] for a in net.activations]
    for start in range(0, len(order), B):
        rows = order[start:start + B]
        grads = [np.zeros_like(W) for W in weights]
        for i in rows:
            fwd = network.forward(weights, X[i], acts, net.bias)
            bwd = network.backward(weights, fwd, Y[i], acts, LOSSES[net.loss], net.bias)
            grads = [G + g for G, g in zip(grads, bwd.grads)]
        weights = network.update(weights, [G / len(rows) for G in grads], net.learning_rate, net.bias, net.train_bias)
    return weights


def test_xor_one_epoch_equals_a_reference_loop_written_from_the_formulas():
    problem = load_problem(XOR)
    net = training.Network.of(problem)
    history = training.train(net, X_XOR, Y_XOR, epochs=1, shuffle=False)
    W1, W2 = reference_sgd_sigmoid(problem.weights[0], problem.weights[1], X_XOR, Y_XOR, problem.learning_rate)
    np.testing.assert_allclose(history.weights[0], W1, rtol=0, atol=1e-12)
    np.testing.assert_allclose(history.weights[1], W2, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(2 * len(OUTPUT_LOSS_PAIRS)))
def test_per_example_sgd_equals_the_reference_loop_on_random_networks(seed):
    net, X, Y = random_network(seed, 7, train_bias=seed % 3 != 0)
    for shuffle in (False, True):
        history = training.train(net, X, Y, epochs=2, shuffle=shuffle, seed=seed)
        order = np.arange(7)
        if shuffle:  # the order stream of the seed, one permutation per epoch
            rng = training.streams(seed).order
            order = np.concatenate([rng.permutation(7), rng.permutation(7)])
        else:
            order = np.concatenate([order, order])
        for got, want in zip(history.weights, reference_sgd(net, X, Y, order)):
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(len(OUTPUT_LOSS_PAIRS)))
def test_minibatch_is_the_averaged_gradient(seed):
    net, X, Y = random_network(seed, 11, train_bias=seed % 2 == 0)
    history = training.train(net, X, Y, epochs=1, batch_size=4, shuffle=False)  # batches of 4, 4, 3
    for got, want in zip(history.weights, reference_minibatch(net, X, Y, np.arange(11), 4)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    whole = training.train(net, X, Y, epochs=1, batch_size=100, shuffle=False)  # one batch of all 11
    for got, want in zip(whole.weights, reference_minibatch(net, X, Y, np.arange(11), 11)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("path", sorted(PROBLEMS.glob("*.yaml")), ids=lambda p: p.name)
def test_batch_size_1_on_one_row_is_the_worksheet_step(path):
    try:
        problem = load_problem(str(path))
    except NnsolveError:  # not a problem file (an answer sheet)
        pytest.skip("not a problem file")
    history = training.train(training.Network.of(problem), problem.x[None, :], problem.y[None, :], epochs=1)
    for got, layer in zip(history.weights, solve(problem).layers):
        np.testing.assert_allclose(got, layer.updated_W, rtol=1e-12, atol=1e-15, err_msg=path.name)


def test_the_loss_of_an_epoch_is_the_mean_of_the_problem_loss():
    problem = load_problem(XOR)
    net = training.Network.of(problem)
    history = training.train(net, X_XOR, Y_XOR, epochs=1, shuffle=False)
    acts = [ACTIVATIONS[a] for a in net.activations]
    losses = []
    for x, y in zip(X_XOR, Y_XOR):
        fwd = network.forward(history.weights, x, acts)
        losses.append(float(network.loss_value(y, fwd, acts, LOSSES[net.loss])))
    assert history.epochs[0].loss == pytest.approx(np.mean(losses), rel=1e-14)
    # epoch 0 is the problem's own weights: for the first example, the loss `nnsolve run` shows
    first = training.train(net, X_XOR[:1], Y_XOR[:1], epochs=1)
    assert first.initial.loss == pytest.approx(solve(problem).loss, rel=1e-14)


def test_xor_from_the_shipped_weights_reaches_100_percent():
    lines = train_json(XOR, "--data", XOR_DATA, "--epochs", "40", "--seed", "0")
    assert len(lines) == 40 and lines[-1]["accuracy"] == 1.0
    assert lines[0]["accuracy"] < 1.0
    # the worksheet's weights and learning rate, exactly
    xor, worksheet = load_problem(XOR), load_problem(str(PROBLEMS / "worksheet.yaml"))
    assert all(np.array_equal(a, b) for a, b in zip(xor.weights, worksheet.weights))
    assert xor.learning_rate == worksheet.learning_rate and xor.activations == worksheet.activations
    assert xor.loss == worksheet.loss


def test_initial_weights_have_the_problem_shapes_and_zero_biases():
    problem = load_problem(MOONS)
    net = training.Network.of(problem)
    for method in training.INITS:
        ws = training.initial_weights(net, method, training.streams(3).init)
        again = training.initial_weights(net, method, training.streams(3).init)
        assert [W.shape for W in ws] == [W.shape for W in problem.weights]
        assert all(np.array_equal(a, b) for a, b in zip(ws, again))
        assert all(np.all(W[0] == 0) and np.any(W[1:] != 0) for W in ws)
    limit = math.sqrt(6 / (2 + 8))
    assert np.all(np.abs(training.initial_weights(net, "xavier", training.streams(0).init)[0]) <= limit)
    from nnsolve.cli.train import INITS

    assert INITS == training.INITS


def test_validation_split_holds_out_a_seeded_random_or_the_last_rows():
    rows, held = training.split_rows(10, 0.3, True, training.streams(5).split)
    assert len(rows) == 7 and len(held) == 3 and sorted(np.concatenate([rows, held])) == list(range(10))
    again = training.split_rows(10, 0.3, True, training.streams(5).split)
    assert held.tolist() == again[1].tolist()
    assert training.split_rows(10, 0.3, False, training.streams(5).split)[1].tolist() == [7, 8, 9]
    assert len(training.split_rows(10, 0.01, True, training.streams(5).split)[1]) == 1  # never zero when asked
    result = invoke("train", XOR, "--data", XOR_DATA, "--validation-split", "0.9")
    assert_usage_error(result, "--validation-split", "leaves no training examples")


def test_training_needs_a_learning_rate(tmp_path):
    """No learning rate, no update: train refuses, naming the key, before it reads the data."""
    text = (PROBLEMS / "xor.yaml").read_text()
    assert text.count("learning_rate: 2") == 1
    problem = tmp_path / "xor.yaml"
    problem.write_text(text.replace("learning_rate: 2", ""))
    result = invoke("train", str(problem), "--data", XOR_DATA, "--save", str(tmp_path / "out.yaml"))
    assert_usage_error(result, f"{problem}: learning_rate: missing: training needs a learning rate",
                       "add learning_rate to the problem")
    assert not (tmp_path / "out.yaml").exists()
    with pytest.raises(NnsolveError, match="learning_rate: missing"):
        training.Network.of(load_problem(str(problem)))


# -- the command ---------------------------------------------------------------------------


def test_table_on_stdout():
    result = invoke("train", XOR, "--data", XOR_DATA, "--epochs", "40", "--every", "10")
    assert result.exit_code == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "XOR with the worksheet's network"
    assert "2-2-1 network (sigmoid, squared_error, learning rate 2)" in lines[1] and "per-example SGD" in lines[1]
    assert lines[2].split() == ["epoch", "loss", "accuracy"]
    assert [line.split()[0] for line in lines[3:-1]] == ["0", "1", "10", "20", "30", "40"]
    assert lines[-1].startswith("After epoch 40:") and "accuracy 100.0% (4 of 4)" in lines[-1]


def test_json_lines_parse_have_the_keys_and_validate():
    schema = json.loads((ROOT / "nnsolve" / "schemas" / "train.schema.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    for extra, keys in (([], {"schema", "epoch", "loss", "accuracy"}),
                        (["--validation-split", "0.25"], {"schema", "epoch", "loss", "accuracy", "val_loss", "val_accuracy"})):
        result = invoke("train", MOONS, "--data", MOONS_DATA, "--epochs", "3", "--json", *extra)
        assert result.exit_code == 0 and result.stderr == ""
        assert "NaN" not in result.stdout and "Infinity" not in result.stdout
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert [d["epoch"] for d in lines] == [1, 2, 3]
        for d in lines:
            assert set(d) == keys
            validator.validate(d)
            assert all(math.isfinite(v) for v in d.values() if isinstance(v, float))


def test_json_never_imports_rich():
    code = (
        "import sys; from nnsolve.cli import main\n"
        "try:\n main(['train', 'problems/xor.yaml', '--data', 'problems/data/xor.csv', '--epochs', '2', '--json'])\n"
        "except SystemExit: pass\n"
        "assert 'rich' not in sys.modules and 'matplotlib' not in sys.modules, sorted(m for m in sys.modules if m.startswith(('rich', 'matplotlib')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2


def test_runs_are_deterministic_in_the_seed():
    args = (MOONS, "--data", MOONS_DATA, "--epochs", "2", "--validation-split", "0.2")
    same = [train_json(*args, "--seed", "7") for _ in range(2)]
    assert same[0] == same[1]
    assert train_json(*args, "--seed", "8") != same[0]
    # without shuffling, the seed changes nothing (no split at random either)
    plain = (MOONS, "--data", MOONS_DATA, "--epochs", "2", "--no-shuffle")
    assert train_json(*plain, "--seed", "1") == train_json(*plain, "--seed", "2")
    assert train_json(*plain) != train_json(MOONS, "--data", MOONS_DATA, "--epochs", "2")
    # --init draws from its own stream: it does not change the order of the examples
    assert train_json(*args, "--init", "he", "--seed", "7") != same[0]


def test_save_round_trips_through_run_and_grad(tmp_path):
    saved = tmp_path / "trained.yaml"
    result = invoke("train", MOONS, "--data", MOONS_DATA, "--epochs", "3", "--save", str(saved))
    assert result.exit_code == 0 and result.stderr == f"nnsolve: wrote {saved}\n"
    text = saved.read_text()
    assert text.startswith("# Trained by nnsolve") and "problems/data/moons.csv" in text
    problem, trained = load_problem(MOONS), load_problem(str(saved))
    history = training.train(training.Network.of(problem), *_moons(), epochs=3)
    assert all(np.array_equal(a, b) for a, b in zip(trained.weights, history.weights))  # every digit kept
    assert trained.activations == problem.activations and trained.loss == problem.loss
    assert trained.learning_rate == problem.learning_rate
    assert trained.x.tolist() == [1.9708, 0.1366] and trained.y.tolist() == [1.0]
    run = json.loads(invoke("run", str(saved), "--json").stdout)
    assert run["problem"]["W1"] == history.weights[0].tolist()
    assert invoke("grad", "W2[1,1]", str(saved)).exit_code == 0
    assert invoke("draw", str(saved)).exit_code == 0
    # not over an existing file without --force, checked before any training
    again = invoke("train", MOONS, "--data", MOONS_DATA, "--epochs", "1", "--save", str(saved))
    assert_usage_error(again, f"{saved}: already exists", "--force")
    assert saved.read_text() == text
    forced = invoke("train", MOONS, "--data", MOONS_DATA, "--epochs", "1", "--save", str(saved), "--force")
    assert forced.exit_code == 0 and saved.read_text() != text


def _moons():
    from nnsolve.data import load_data

    d = load_data(MOONS_DATA, [], 2, 1, "binary_cross_entropy", "sigmoid")
    return d.X, d.Y


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_plot_is_a_real_picture(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.image

    moons, xor_wide = tmp_path / "moons.png", tmp_path / "cancer.png"
    result = invoke("train", MOONS, "--data", MOONS_DATA, "--epochs", "2", "--validation-split", "0.2", "--plot", str(moons))
    assert result.exit_code == 0 and f"nnsolve: wrote {moons}" in result.stderr
    assert _png_size(moons.read_bytes()) == (1260, 360)  # three panels: loss, accuracy, boundary
    pixels = matplotlib.image.imread(str(moons))
    assert pixels.std() > 0.05 and len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 100
    cancer = ("problems/breast_cancer.yaml", "--data", "problems/data/breast_cancer.csv", "--epochs", "1")
    result = invoke("train", *(str(ROOT / a) if a.startswith("problems") else a for a in cancer), "--plot", str(xor_wide))
    assert result.exit_code == 0
    assert _png_size(xor_wide.read_bytes()) == (840, 360)  # 30 features: the curves only
    # the same run gives the same bytes
    again = tmp_path / "again.png"
    invoke("train", MOONS, "--data", MOONS_DATA, "--epochs", "2", "--validation-split", "0.2", "--plot", str(again))
    assert again.read_bytes() == moons.read_bytes()


def test_output_options_are_checked_before_training(tmp_path):
    (tmp_path / "old.png").write_bytes(b"old")
    base = ("train", XOR, "--data", XOR_DATA)
    assert_usage_error(invoke(*base, "--plot", str(tmp_path / "old.png")), "already exists")
    assert (tmp_path / "old.png").read_bytes() == b"old"
    assert_usage_error(invoke(*base, "--plot", str(tmp_path / "curves.jpg")), "ending in .png")
    assert_usage_error(invoke(*base, "--save", str(tmp_path / "w.json")), "ending in .yaml or .yml")
    assert_usage_error(invoke(*base, "--save", str(tmp_path / "old.png" / "w.yaml")), "is a file, not a folder")
    assert_usage_error(invoke(*base, "--force"), "--force is for --plot and --save")
    assert_usage_error(invoke(*base, "--epochs", "0"), "--epochs")
    assert_usage_error(invoke(*base, "--batch-size", "0"), "--batch-size")
    assert_usage_error(invoke(*base, "--validation-split", "1"), "--validation-split")
    assert_usage_error(invoke(*base, "--init", "zeros"), "'zeros'")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.png"]


DIVERGES = """\
title: Too large a step
x: [1, 1]
y: 0
W1: [[0, 0], [1, 1], [1, 1]]
W2: [[0], [1], [1]]
activation: [linear, linear]
learning_rate: 10
"""


def test_divergence_stops_names_the_epoch_and_keeps_the_last_good_weights(write, tmp_path):
    problem = write(DIVERGES)
    saved = tmp_path / "last.yaml"
    result = invoke("train", problem, "--data", MOONS_DATA, "--epochs", "5", "--json", "--save", str(saved))
    assert result.exit_code == 1
    assert result.stdout == ""  # no epoch ended with finite numbers
    assert "training diverged in epoch 1" in result.stderr and "kept the starting weights" in result.stderr
    assert "learning_rate" in result.stderr and "Traceback" not in result.stderr
    kept = load_problem(str(saved))
    assert all(np.array_equal(a, b) for a, b in zip(kept.weights, load_problem(problem).weights))
    assert "Training diverged in epoch 1" in saved.read_text()

    # a step that diverges later: y_hat grows 4e10-fold an epoch until the loss overflows
    later = write("x: [1]\ny: 0\nW1: [[0], [1]]\nactivation: linear\nlearning_rate: 1e5\n", "later.yaml")
    data = write("x,y\n1,0\n1,0\n", "ones.csv")
    history = training.train(training.Network.of(load_problem(later)), np.ones((2, 1)), np.zeros((2, 1)), epochs=50)
    assert history.diverged == training.Divergence(15, "the loss")
    assert len(history.epochs) == 14 and all(np.all(np.isfinite(W)) for W in history.weights)
    table = invoke("train", later, "--data", data, "--epochs", "50", "--save", str(tmp_path / "kept.yaml"))
    assert table.exit_code == 1
    assert "training diverged in epoch 15: the loss is no longer a finite number" in table.stderr
    assert "kept the weights after epoch 14" in table.stderr
    assert table.stdout.splitlines()[-1].startswith("After epoch 14:") and "nan" not in table.stdout.lower()
    kept = load_problem(str(tmp_path / "kept.yaml"))
    assert all(np.array_equal(a, b) for a, b in zip(kept.weights, history.weights))
    lines = train_json(later, "--data", data, "--epochs", "14")
    assert len(lines) == 14 and all(math.isfinite(d["loss"]) for d in lines)


def test_no_progress_bar_when_stderr_is_not_a_terminal():
    result = invoke("train", XOR, "--data", XOR_DATA, "--epochs", "3")
    assert result.exit_code == 0 and result.stderr == ""


def test_every_shipped_problem_trains_from_its_data():
    for name, epochs, want in (("xor", "40", 1.0), ("moons", "20", 0.9), ("breast_cancer", "5", 0.95)):
        lines = train_json(str(PROBLEMS / f"{name}.yaml"), "--data", str(ROOT / "problems" / "data" / f"{name}.csv"), "--epochs", epochs)
        assert lines[-1]["accuracy"] >= want, (name, lines[-1])


# -- the fast loops, as the benchmark (benchmarks/bench_train.py) times them ----------------------


BENCHMARKS = ROOT / "benchmarks"


def bench():
    """benchmarks/bench_train.py as a module: its networks, data and comparison loops."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    import bench_train

    return bench_train


def test_sgd_2_16_1_is_the_reference_loop():
    b = bench()
    net = b.make_network((2, 16, 1), ("sigmoid", "sigmoid"), "squared_error", 0.5, 1)
    X, Y = b.two_feature_data(300, 2)
    history = training.train(net, X, Y, epochs=1, shuffle=True, seed=b.SEED)
    order = b.order_of(300)
    want = reference_sgd(net, X, Y, order)
    for got, w in zip(history.weights, want):
        np.testing.assert_allclose(got, w, rtol=0, atol=1e-12)
    # the benchmark's steps alone are train()'s, and its numpy loop computes the same SGD
    trainer = training.Trainer(net, X, Y, 1)
    trainer.epoch(order)
    assert all(np.array_equal(a, w) for a, w in zip(trainer.current(), history.weights))
    for got, w in zip(b.numpy_sgd(net, X, Y, order), want):
        np.testing.assert_allclose(got, w, rtol=0, atol=1e-12)
    assert all(W.flags.c_contiguous and W.dtype == np.float64 for W in history.weights)
    assert not any(np.shares_memory(a, w) for a, w in zip(history.weights, net.weights))  # the network is left as it was


@pytest.mark.parametrize("hidden", [8, 33])
def test_wide_inputs_per_example_and_minibatch_equal_the_reference_loops(hidden):
    """784-x-10 (relu, softmax, cross-entropy), the benchmark's shapes at a small size."""
    b = bench()
    net = b.make_network((784, hidden, 10), ("relu", "softmax"), "cross_entropy", 0.01, 3)
    X, Y = b.wide_data(37, 784, 10, 4)
    order = b.order_of(37)
    sgd = training.train(net, X, Y, epochs=1, seed=b.SEED)
    for got, w in zip(sgd.weights, reference_sgd(net, X, Y, order)):
        np.testing.assert_allclose(got, w, rtol=0, atol=1e-12)
    for got, w in zip(sgd.weights, b.numpy_sgd(net, X, Y, order)):
        np.testing.assert_allclose(got, w, rtol=0, atol=1e-12)
    batches = training.train(net, X, Y, epochs=1, batch_size=8, seed=b.SEED)  # 4 batches of 8, then 5
    for got, w in zip(batches.weights, reference_minibatch(net, X, Y, order, 8)):
        np.testing.assert_allclose(got, w, rtol=0, atol=1e-12)
    for got, w in zip(batches.weights, b.numpy_minibatch(net, X, Y, order, 8)):
        np.testing.assert_allclose(got, w, rtol=0, atol=1e-12)
    trainer = training.Trainer(net, X, Y, 8)
    trainer.epoch(order)
    assert all(np.array_equal(a, w) for a, w in zip(trainer.current(), batches.weights))


def test_the_torch_comparison_trains_the_same_network():
    torch = pytest.importorskip("torch")
    b = bench()
    for net, (X, Y), B in (
        (b.make_network((2, 16, 1), ("sigmoid", "sigmoid"), "squared_error", 0.5, 1), b.two_feature_data(50, 2), 1),
        (b.make_network((784, 8, 10), ("relu", "softmax"), "cross_entropy", 0.05, 3), b.wide_data(40, 784, 10, 4), 16),
    ):
        order = b.order_of(len(X))
        trainer = training.Trainer(net, X, Y, B)
        trainer.epoch(order)
        for got, w in zip(trainer.current(), b.torch_train(torch, net, X, Y, order, B)):
            np.testing.assert_allclose(got, w, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(len(OUTPUT_LOSS_PAIRS)))
def test_minibatch_with_a_last_batch_of_one(seed):
    """A batch of 1 at the end of a mini-batch epoch takes the per-example program."""
    net, X, Y = random_network(seed, 9, train_bias=seed % 2 == 1)
    history = training.train(net, X, Y, epochs=1, batch_size=4, shuffle=False)  # 4, 4, 1
    for got, want in zip(history.weights, reference_minibatch(net, X, Y, np.arange(9), 4)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(len(OUTPUT_LOSS_PAIRS)))
def test_float32_trains_and_stays_close_to_float64(seed):
    net, X, Y = random_network(seed, 24)
    for B in (1, 5):
        exact = training.train(net, X, Y, epochs=2, batch_size=B, seed=seed)
        single = training.train(net, X, Y, epochs=2, batch_size=B, seed=seed, dtype="float32")
        assert [r.epoch for r in single.epochs] == [1, 2] and single.diverged is None
        for a, w in zip(single.weights, exact.weights):
            assert a.dtype == np.float64  # float64 copies of the float32 weights
            assert not np.array_equal(a, w)  # it did train in float32
            np.testing.assert_allclose(a, w, rtol=1e-3, atol=1e-4)
        assert single.final.loss == pytest.approx(exact.final.loss, rel=1e-3, abs=1e-5)


def test_float32_on_the_command_line():
    lines = train_json(XOR, "--data", XOR_DATA, "--epochs", "40", "--dtype", "float32")
    assert len(lines) == 40 and lines[-1]["accuracy"] == 1.0
    exact = train_json(XOR, "--data", XOR_DATA, "--epochs", "40")
    assert lines[-1]["loss"] == pytest.approx(exact[-1]["loss"], rel=1e-4)
    table = invoke("train", XOR, "--data", XOR_DATA, "--epochs", "2", "--dtype", "float32")
    assert table.exit_code == 0 and "per-example SGD in float32" in table.stdout
    assert_usage_error(invoke("train", XOR, "--data", XOR_DATA, "--dtype", "float16"), "'float16'")
    with pytest.raises(ValueError):
        training.Trainer(training.Network.of(load_problem(XOR)), X_XOR, Y_XOR, dtype="float16")


def test_float32_save_writes_the_first_example_as_the_file_gives_it(tmp_path):
    """The features are held as float32; the saved x is their shortest decimals, the CSV's own."""
    saved = tmp_path / "m.yaml"
    result = invoke("train", MOONS, "--data", MOONS_DATA, "--epochs", "1", "--dtype", "float32", "--save", str(saved))
    assert result.exit_code == 0
    with open(MOONS_DATA) as f:
        first = [float(v) for v in f.read().splitlines()[1].split(",")[:-1]]
    assert load_problem(str(saved)).x.tolist() == first


@pytest.mark.parametrize("dtype, split", [("float64", 0.0), ("float32", 0.0), ("float64", 0.25)])
def test_training_never_copies_the_data(dtype, split):
    """What train() allocates beyond the data it is given is a few batches' worth, never a copy
    of the data (no shuffled copy, no float32 copy, no copy of the validation rows)."""
    import tracemalloc

    b = bench()
    net = b.make_network((200, 16, 4), ("relu", "softmax"), "cross_entropy", 0.05, 3)
    X, Y = b.wide_data(20_000, 200, 4, 4)  # 32 MB of features
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        training.train(net, X, Y, epochs=2, batch_size=64, seed=1, dtype=dtype, validation_split=split)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 8, (peak, X.nbytes)
