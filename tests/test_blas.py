"""blas.py: numpy's own gemm with beta = 1 (W <- W - X^T delta in place), which mini-batch
training takes for its updates. It must give numpy's bits exactly, refuse what it cannot take,
and training must be the same, bit for bit, with it and without it."""

from __future__ import annotations

import numpy as np
import pytest

from nnsolve import blas, training

from test_train import random_network

DTYPES = ["float64", "float32"]


@pytest.fixture
def without_blas(monkeypatch):
    """Training as it is where numpy's BLAS cannot be reached: numpy's product, then a subtraction."""
    def turn_off():
        monkeypatch.setattr(blas, "subtract_product", lambda dtype: None)

    return turn_off


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_s_blas_is_found_here(dtype):
    """On this machine's numpy (an OpenBLAS wheel) the gemm is found and agrees: the benchmark's
    figures depend on it, so a numpy that hid it should be noticed, not silently slower."""
    assert blas.subtract_product(dtype) is not None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k, m, n", [(2, 2, 2), (7, 3, 5), (128, 784, 256), (129, 33, 10), (600, 40, 30)])
def test_c_minus_a_transposed_b_in_place_as_numpy_computes_it(dtype, k, m, n):
    f = blas.subtract_product(dtype)
    rng = np.random.default_rng(k * m * n)
    for a_order in "CF":
        for b_order in "CF":
            A = np.asarray(rng.standard_normal((k, m)), dtype=dtype, order=a_order)
            B = np.asarray(rng.standard_normal((k, n)), dtype=dtype, order=b_order)
            W = rng.standard_normal((m + 1, n)).astype(dtype)
            C = W[1:]
            assert blas.usable(C, A, B)
            expected, bias = C - np.matmul(A.T, B), W[0].copy()
            f(C, A, B)
            assert np.array_equal(C, expected), (a_order, b_order)
            assert np.array_equal(W[0], bias)  # the row above is left alone


def test_what_it_cannot_take_is_refused():
    rng = np.random.default_rng(0)
    A, B, C = rng.standard_normal((6, 4)), rng.standard_normal((6, 3)), np.zeros((4, 3))
    assert blas.usable(C, A, B)
    assert not blas.usable(np.zeros((5, 3)), A, B)  # shapes that do not match
    assert not blas.usable(np.zeros((1, 3)), A[:, :1], B)  # one row: numpy's product is no gemm
    assert not blas.usable(np.zeros((4, 1)), A, B[:, :1])  # one column
    assert not blas.usable(C, A[:1], B[:1])  # one example
    assert not blas.usable(C, A[::2], B[::2])  # not contiguous
    assert not blas.usable(C.astype(np.float32), A, B)  # mixed dtypes
    assert not blas.usable(np.zeros((3, 4)).T, A, B)  # columns not contiguous
    frozen = np.zeros((4, 3))
    frozen.flags.writeable = False
    assert not blas.usable(frozen, A, B)


def test_a_gemm_that_differs_from_numpy_is_not_taken():
    """The check before first use: a function off by one part in 10^7 is refused."""
    def off(C, A, B):
        C -= (A.T @ B) * (1 + 1e-7)

    assert blas._agrees(off, np.dtype("float64")) is False
    assert blas._agrees(lambda C, A, B: np.subtract(C, A.T @ B, out=C), np.dtype("float64")) is True


def test_no_blas_symbol_means_numpy_s_two_steps(monkeypatch):
    monkeypatch.setattr(blas, "_found", {})
    monkeypatch.setattr(blas, "_SYMBOLS", {"float64": ("no_such_gemm",), "float32": ("no_such_gemm",)})
    assert blas.subtract_product("float64") is None
    monkeypatch.setattr(blas, "_found", {})
    monkeypatch.setattr(blas.sys, "byteorder", "big")
    assert blas.subtract_product("float32") is None


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("dtype", DTYPES)
def test_training_is_the_same_with_and_without_it(seed, dtype, without_blas):
    """Random networks of every output and loss, with and without bias rows (trained or kept),
    batches of 5 and a last smaller one: the same weights bit for bit either way."""
    net, X, Y = random_network(seed, 23, train_bias=seed % 3 != 0)
    with_it = training.train(net, X, Y, epochs=2, batch_size=5, seed=seed, dtype=dtype)
    without_blas()
    without = training.train(net, X, Y, epochs=2, batch_size=5, seed=seed, dtype=dtype)
    for a, b in zip(with_it.weights, without.weights):
        assert np.array_equal(a, b)
    assert [r.loss for r in with_it.epochs] == [r.loss for r in without.epochs]


def test_the_benchmark_network_takes_it_for_every_layer(monkeypatch):
    """784-256-10 in batches of 128: both layers updated by the gemm (no second pass)."""
    calls = []
    real = blas.subtract_product("float64")
    monkeypatch.setattr(blas, "subtract_product", lambda dtype: lambda C, A, B: (calls.append(C.shape), real(C, A, B)))
    rng = np.random.default_rng(0)
    net = training.Network(
        weights=(rng.normal(0, 0.05, (785, 256)), rng.normal(0, 0.05, (257, 10))), activations=("relu", "softmax"),
        loss="cross_entropy", learning_rate=0.05,
    )
    X, Y = rng.standard_normal((256, 784)), np.eye(10)[rng.integers(0, 10, 256)]
    training.Trainer(net, X, Y, 128).epoch(np.arange(256))
    assert calls == [(256, 10), (784, 256)] * 2
