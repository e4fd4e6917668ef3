"""The stacked computations the benchmarks time give what one solve at a time gives."""

from __future__ import annotations

import numpy as np
import pytest

from nnsolve.grading import overrides, student_state, student_states
from nnsolve.problem import load_problem
from nnsolve.quantities import Catalog
from nnsolve.sheet import bind, parse_raw_sheet
from nnsolve.solution import solve, solve_many
from nnsolve.variant_drawing import Shape, draw
from conftest import PROBLEMS


def _same(a, b):
    assert a.loss == pytest.approx(b.loss, rel=1e-12, abs=0)
    for la, lb in zip(a.layers, b.layers):
        for name in ("alpha", "beta", "delta", "grad_W", "updated_W"):
            np.testing.assert_allclose(getattr(la, name), getattr(lb, name), rtol=1e-12, atol=0)
    assert a.computed.keys() == b.computed.keys()
    for name in a.computed:
        np.testing.assert_allclose(a.computed[name], b.computed[name], rtol=1e-12, atol=0)


def test_student_states_stacked_equal_one_at_a_time():
    problem = load_problem(str(PROBLEMS / "two_outputs.yaml"))
    catalog = Catalog(problem)
    texts = [
        "alpha1: [0.4, 2]\n",
        "beta1_2: 0.9\ndelta2: [0.1, -0.2]\n",
        "y_hat: [0.5, 0.5]\ndl/dW1[1,1]: 0.3\n",
        "loss: 1\n",  # nothing given that later steps use
        "dbeta1/dalpha1: [0.2, 0.2]\n",
    ]
    sheets = [bind(parse_raw_sheet(t, f"s{n}"), catalog) for n, t in enumerate(texts)]
    for stacked, sheet in zip(student_states(problem, sheets), sheets):
        _same(stacked, student_state(problem, sheet.answers))


def test_solve_many_equals_solve():
    shape = Shape((3, 4, 2), ("tanh", "softmax"), "cross_entropy")
    rng = np.random.default_rng(2)
    problems = [draw(rng, shape, n) for n in range(1, 30)]
    for together, problem in zip(solve_many(problems), problems):
        alone = solve(problem)
        _same(together, alone)
        assert together.problem is problem


def test_the_benchmarks_torch_loop_computes_what_nnsolve_does():
    """bench_class times torch_states against nnsolve's stacked states: the same gradients."""
    torch = pytest.importorskip("torch")
    import sys

    sys.path.insert(0, str(PROBLEMS.parent / "benchmarks"))
    from bench_class import torch_states

    problem = load_problem()
    sheet = bind(parse_raw_sheet("beta1: [0.5, 0.999]\n", "s"), Catalog(problem))
    mine = student_state(problem, sheet.answers)
    seen = []
    original = torch.Tensor.backward

    def recording_backward(tensor, *args, **kwargs):
        original(tensor, *args, **kwargs)
        seen.append(float(tensor.detach()))

    torch.Tensor.backward = recording_backward
    try:
        torch_states(torch, problem, [{"beta1": torch.tensor([0.5, 0.999], dtype=torch.float64)}])
    finally:
        torch.Tensor.backward = original
    assert seen == [pytest.approx(mine.loss, rel=1e-12)]
