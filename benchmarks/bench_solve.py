"""One worksheet solve, and 10,000 of them: nnsolve's numpy engine one at a time and stacked,
against PyTorch autograd on the same problem."""

from __future__ import annotations

import dataclasses
import sys

import numpy as np

from harness import ROOT, Target, header, save, time_call, torch_or_none


def main(quick: bool = False) -> None:
    from nnsolve import network
    from nnsolve.problem import load_problem
    from nnsolve.solution import Work, solve

    problem = load_problem(str(ROOT / "problems" / "worksheet.yaml"))
    acts = [network.ACTIVATIONS[a] for a in problem.activations]
    loss = network.LOSSES[problem.loss]
    n = 2000 if quick else 10_000
    figures, targets = {}, []

    def engine_once():
        fwd = network.forward(problem.weights, problem.x, acts, problem.bias)
        bwd = network.backward(problem.weights, fwd, problem.y, acts, loss, problem.bias)
        network.update(problem.weights, bwd.grads, problem.learning_rate)

    header("one worksheet solve")
    per = 2000
    engine = time_call(lambda: [engine_once() for _ in range(per)], repeats=5)
    record = time_call(lambda: [solve(problem) for _ in range(per)], repeats=5)
    print(f"  nnsolve engine (forward, backward, update): {engine.median / per * 1e6:.1f} us")
    print(f"  nnsolve solve() with its full record (every intermediate): {record.median / per * 1e6:.1f} us")
    figures["engine_us"] = engine.median / per * 1e6
    figures["solve_us"] = record.median / per * 1e6
    torch = torch_or_none()
    if torch is not None:
        W = [torch.tensor(np.array(w), requires_grad=True) for w in problem.weights]
        x, y = torch.tensor(problem.x), torch.tensor(problem.y)

        def torch_once():
            beta = x
            for w in W:
                beta = torch.sigmoid(torch.cat([torch.ones(1, dtype=torch.float64), beta]) @ w)
            for w in W:
                w.grad = None
            (0.5 * torch.sum((y - beta) ** 2)).backward()
            with torch.no_grad():
                [w - problem.learning_rate * w.grad for w in W]

        t = time_call(lambda: [torch_once() for _ in range(per)], repeats=5)
        print(f"  torch autograd: {t.median / per * 1e6:.1f} us ({t.median / engine.median:.1f}x the engine)")
        figures["torch_us"] = t.median / per * 1e6
        targets.append(Target("one solve: torch / nnsolve engine", t.median / engine.median, 1, at_least=True))

    header(f"{n} worksheet-sized problems")
    rng = np.random.default_rng(0)
    stacked = dataclasses.replace(
        problem,
        x=rng.normal(size=(n, 2)),
        weights=tuple(np.broadcast_to(w, (n,) + w.shape) + rng.normal(scale=0.1, size=(n,) + w.shape) for w in problem.weights),
    )
    together = time_call(lambda: Work(stacked, None, None), repeats=5)
    one_by_one = time_call(lambda: [engine_once() for _ in range(n)], repeats=1)
    print(f"  stacked into one computation: {together.median * 1e3:.2f} ms; one by one: {one_by_one.median * 1e3:.0f} ms "
          f"({one_by_one.median / together.median:.0f}x)")
    figures["stacked_ms"] = together.median * 1e3
    figures["one_by_one_ms"] = one_by_one.median * 1e3
    targets.append(Target(f"{n} problems: one by one / stacked", one_by_one.median / together.median, 20, at_least=True))
    save("solve", figures, targets)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main("--quick" in sys.argv)
