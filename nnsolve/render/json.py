"""The JSON contract for scripts: `nnsolve run --json`. Documented in docs/json.md, schema in nnsolve/schemas.

Full float64 precision (shortest repr that round-trips); never NaN or Infinity.
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional

import numpy as np

from ..notation import Notation, to_convention
from ..solution import Solution

SOLUTION_SCHEMA_ID = "nnsolve.solution/1"


def schema_id(name: str, problem) -> str:
    """The id a document of a problem carries: version 1 for the worksheet's convention (as it
    always was), version 2, whose weights are written in the problem's convention (W and b),
    for Wx+b and xW+b, with symbols:, and with a shared bias; version 3, version 2 with the
    optimizer's step and state and the l2 term, for a problem with an optimizer, weight decay or
    l2 (docs/json.md)."""
    if getattr(problem, "optimizer", None) is not None or getattr(problem, "l2", 0.0):
        return f"nnsolve.{name}/3"
    plain = problem.convention == "bias-row" and not problem.symbols and not getattr(problem, "shared_bias", False)
    return f"nnsolve.{name}/{1 if plain else 2}"


def optimizer_dict(problem, step) -> Optional[dict[str, Any]]:
    """An optimizer's step (optimizers.Step) as plain data: the rule and its options, t, the
    state before and after, and every intermediate of the working, each array as the problem's
    convention writes W (and b); None for plain SGD."""
    if step is None:
        return None

    def arrays(named_per_layer) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for l, named in enumerate(named_per_layer, start=1):
            for name, values in named:
                W, b = to_convention(np.asarray(values), problem.convention, problem.bias)
                out.setdefault(f"W{l}", {})[name] = W.tolist()
                if b is not None:  # (bias: shared in Wx+b or xW+b: one number, as b is)
                    shared = getattr(problem, "shared_bias", False) and problem.convention != "bias-row"
                    out.setdefault(f"b{l}", {})[name] = float(b[..., 0]) if shared else b.tolist()
        return out

    opt = step.optimizer
    return {
        **opt.as_dict(),
        "learning_rate": step.learning_rate,
        "t": step.t,
        "effective_learning_rate": step.lr_t,
        "state_before": {"step": step.before.step, **arrays(step.before.arrays)},
        "working": arrays(tuple(s.working for s in step.layers)),
        "state_after": {"step": step.t, **arrays(tuple(s.state for s in step.layers))},
        "torch_state": {name: opt.torch_state(name) for name in opt.state_names()},
    }


def l2_dict(problem, penalty) -> Optional[dict[str, Any]]:
    """The l2 term of the loss: its coefficient, whether it reaches the biases, its value."""
    if not getattr(problem, "l2", 0.0):
        return None
    return {"l2": problem.l2, "decay_bias": problem.decay_bias, "term": float(penalty)}


def _optimizer_keys(problem, step, penalty) -> dict[str, Any]:
    """The keys a version 3 document adds: optimizer and l2 (both present, either may be null)."""
    if not schema_id("x", problem).endswith("/3"):
        return {}
    return {"optimizer": optimizer_dict(problem, step), "l2": l2_dict(problem, penalty)}


def weights_dict(problem, weights, shapes: bool = False) -> dict[str, Any]:
    """Each layer's weights (the bias-row form) as the problem's convention writes them:
    W1, W2, ... (and b1, b2, ... in Wx+b and xW+b); with shapes, their shapes instead. A shared
    bias (bias: shared) is one number in Wx+b and xW+b (its shape []); in bias-row, row 0 of W
    with every entry equal (a gradient's: the shared bias's, the sum over the layer's neurons)."""
    result: dict[str, Any] = {}
    for l, values in enumerate(weights, start=1):
        W, b = to_convention(np.asarray(values), problem.convention, problem.bias)
        result[f"W{l}"] = list(W.shape) if shapes else W.tolist()
        if b is not None and problem.shared_bias:
            result[f"b{l}"] = [] if shapes else float(b[0])
        elif b is not None:
            result[f"b{l}"] = list(b.shape) if shapes else b.tolist()
    return result


def solution_dict(solution: Solution) -> dict[str, Any]:
    problem = solution.problem
    layers = solution.layers
    return {
        "schema": schema_id("solution", problem),
        "problem": problem.as_dict(),
        "shapes": weights_dict(problem, [s.W for s in layers], shapes=True),
        "layers": [
            {
                "layer": s.layer,
                "activation": s.activation,
                "input": s.input.tolist(),
                "alpha": s.alpha.tolist(),
                "beta": s.beta.tolist(),
                "derivative": None if s.derivative is None else s.derivative.tolist(),
                "delta": s.delta.tolist(),
            }
            for s in layers
        ],
        "y_hat": solution.y_hat.tolist(),
        "prediction": solution.prediction.tolist(),
        "loss": solution.loss,
        "output": {
            "dl_dy_hat": None if solution.dl_dy_hat is None else solution.dl_dy_hat.tolist(),
            "dy_hat_dalpha": solution.dy_hat_dalpha.tolist(),
            "delta_rule": solution.simplified_delta,
        },
        "gradients": weights_dict(problem, [s.grad_W for s in layers]),
        "updated": weights_dict(problem, [s.updated_W for s in layers]) if problem.updates else None,
        "rounding": rounding_dict(solution),
        "given": _given(solution),
        **_optimizer_keys(problem, solution.optimizer_step, solution.penalty),
    }


def _given(solution: Solution) -> Optional[dict[str, Any]]:
    """With --given: each given quantity's value and the value it replaced; None otherwise."""
    if not solution.computed:
        return None
    from ..quantities import base_value

    return {
        name: {"value": _plain(base_value(solution, name)), "computed": _plain(computed)}
        for name, computed in solution.computed.items()
    }


STEPS_SCHEMA_ID = "nnsolve.steps/1"


def steps_dict(problem, steps) -> dict[str, Any]:
    """SGD step by step: every step's solution (as `run --json` gives one), then the final weights."""
    per_epoch = len(problem.examples) or 1
    return {
        "schema": schema_id("steps", problem),
        "problem": problem.as_dict(),
        "epochs": len(steps) // per_epoch,
        "steps": [{"epoch": step.epoch, "example": step.example, **solution_dict(step.solution)} for step in steps],
        "final": weights_dict(problem, [s.updated_W for s in steps[-1].solution.layers]),
    }


BATCH_SCHEMA_ID = "nnsolve.batch/1"
# what each example of a batch keeps of solution_dict: its working, not the problem or an update of its own
_EXAMPLE_KEYS = ("layers", "y_hat", "prediction", "loss", "output", "gradients", "rounding")


def batch_dict(batch) -> dict[str, Any]:
    """One update from a batch (solution.Batch): each example's working from the same starting
    weights (as `run --json` gives one, without the problem and the update), then the combined
    loss and gradients and the one update."""
    problem = batch.problem
    examples = []
    for n, s in enumerate(batch.solutions, start=1):
        one = solution_dict(s)
        label = {} if s.problem.label_class is None else {"label_class": s.problem.label_class}
        examples.append({"example": n, "x": s.problem.x.tolist(), "y": s.problem.y.tolist(), **label, **{k: one[k] for k in _EXAMPLE_KEYS}})
    rounding = None
    if batch.rounding is not None:
        quantity, difference = batch.max_difference()
        rounding = {**batch.rounding.as_dict(), "max_difference": {"quantity": quantity, "difference": difference}}
    return {
        "schema": schema_id("batch", problem),
        "problem": problem.as_dict(),
        "shapes": weights_dict(problem, problem.weights, shapes=True),
        "batch": batch.mode,
        "count": batch.count,
        "examples": examples,
        "loss": batch.loss,
        "gradients": weights_dict(problem, batch.grads),
        "learning_rate": problem.learning_rate,
        "updated": weights_dict(problem, batch.updated),
        "rounding": rounding,
        **_optimizer_keys(problem, batch.optimizer_step, batch.penalty),
    }


def rounding_dict(solution: Solution) -> Optional[dict[str, Any]]:
    """How the working was rounded, and how far that took it from the exact result; None if exact."""
    if solution.rounding is None:
        return None
    quantity, difference = solution.max_difference()
    return {**solution.rounding.as_dict(), "max_difference": {"quantity": quantity, "difference": difference}}


def dumps(data: dict[str, Any]) -> str:
    """Deterministic, readable JSON text: json's, indented, with each vector on one line
    ([1.0, 2.0]) and a newline at the end; raises ValueError rather than write NaN."""
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    return _VECTOR.sub(_one_line, text) + "\n"


# a list of numbers as json.dumps(indent=2) writes it, an element a line; a string cannot match,
# since json writes a newline inside a string as \n
_VECTOR = re.compile(r"\[\n\s+(-?[0-9][0-9.eE+-]*(?:,\n\s+-?[0-9][0-9.eE+-]*)*)\n\s*\]")
_BETWEEN = re.compile(r",\n\s+")


def _one_line(match: re.Match) -> str:
    return "[" + _BETWEEN.sub(", ", match[1]) + "]"


GRAD_SCHEMA_ID = "nnsolve.grad/1"
GRAD_ALL_SCHEMA_ID = "nnsolve.grad-all/1"


def _weight_position(problem, weight: str, layer: int, row: int, column: int) -> dict[str, Any]:
    """weight, layer, row and column of a weight (its internal row, 0 the bias row, and column
    from 1), named and indexed in the problem's convention (with parameter W or b there)."""
    notation = Notation.of(problem) if problem is not None else Notation()
    position: dict[str, Any] = {"row": row, "column": column}
    if not notation.plain and problem.convention != "bias-row":
        if row == 0 and problem.bias and problem.shared_bias:  # b2: the layer's one bias
            position = {"parameter": "b", "row": None, "column": None}
        elif row == 0 and problem.bias:  # b2[j]: a vector's element
            position = {"parameter": "b", "row": column, "column": None}
        else:  # the input it comes from (rows count from 1 in these conventions)
            position = {"parameter": "W", "row": column, "column": row} if problem.convention == "Wx+b" else {"parameter": "W", "row": row, "column": column}
    return {"weight": notation.write(weight), "layer": layer, **position}


def grad_dict(grad, problem=None) -> dict[str, Any]:
    """One weight's chain rule (chain.WeightGradient) as plain data; names and indices in the
    problem's convention (docs/json.md), the worksheet's without a problem."""
    write = (Notation.of(problem) if problem is not None else Notation()).write
    return {
        "schema": GRAD_SCHEMA_ID if problem is None else schema_id("grad", problem),
        **_weight_position(problem, grad.weight, grad.layer, grad.row, grad.column),
        "value": grad.value,
        "paths": [
            [{"symbol": write(f.symbol), "formula": write(f.formula), "value": f.value} for f in path] for path in grad.paths
        ],
        "path_count": grad.path_count,
        "gradient": grad.gradient,
        "learning_rate": grad.learning_rate,
        "updated": grad.updated,
        "trained": grad.trained,
        "rounding": None if grad.rounding is None else grad.rounding.as_dict(),
        "exact_gradient": grad.exact_gradient,
        "exact_updated": grad.exact_updated,
        # a shared bias (bias: shared): its gradient is the sum over the layer's neurons
        **({"shared": True} if grad.shared else {}),
        **_grad_optimizer(grad, problem),
    }


def _grad_optimizer(grad, problem) -> dict[str, Any]:
    """One weight's optimizer working, in a version 3 document: the rule, t, its state before the
    step and each intermediate ({} for versions 1 and 2)."""
    if problem is None or not schema_id("x", problem).endswith("/3"):
        return {}
    opt = problem.optimizer
    return {
        "optimizer": None if opt is None or not grad.optimizer_t else {
            **opt.as_dict(), "t": grad.optimizer_t, "state_before": dict(grad.optimizer_before), "working": dict(grad.optimizer_working),
        },
        "l2": l2_dict(problem, 0.0) and {"l2": problem.l2, "decay_bias": problem.decay_bias},
    }


GRAD_BATCH_SCHEMA_ID = "nnsolve.grad-batch/1"
# what each example of a batch keeps of grad_dict: the weight's chain rule in that example
_EXAMPLE_GRAD_KEYS = ("paths", "path_count", "gradient", "exact_gradient")


def grad_batch_dict(batch, grads) -> dict[str, Any]:
    """One weight over a batch: its derivative in each example (grads: chain.WeightGradient of
    each), the combination of them and the one update."""
    from ..notation import first_row

    problem = batch.problem
    g = grads[0]
    r, c = g.row - first_row(problem.bias), g.column - 1
    head = grad_dict(g, problem)
    G = batch.example_gradients(g.layer)[:, r, c]
    examples = []
    for n, (eg, s) in enumerate(zip(grads, batch.solutions), start=1):
        one = grad_dict(eg, problem)
        # the example's derivative as backpropagation computes it (the batch combines these)
        examples.append({"example": n, "x": s.problem.x.tolist(), "y": s.problem.y.tolist(),
                         **{k: one[k] for k in _EXAMPLE_GRAD_KEYS}, "gradient": float(G[n - 1])})
    combined, updated = float(batch.grads[g.layer - 1][r, c]), float(batch.updated[g.layer - 1][r, c])
    exact = batch.exact or batch
    return {
        "schema": schema_id("grad-batch", problem),
        **{k: head[k] for k in ("weight", "parameter", "layer", "row", "column", "value") if k in head},
        "batch": batch.mode,
        "count": batch.count,
        "examples": examples,
        "gradient": combined,
        "learning_rate": problem.learning_rate,
        "updated": updated,
        "trained": g.trained,
        "rounding": None if batch.rounding is None else batch.rounding.as_dict(),
        "exact_gradient": float(exact.grads[g.layer - 1][r, c]),
        "exact_updated": float(exact.updated[g.layer - 1][r, c]),
        **({"shared": True} if g.shared else {}),  # a layer's one shared bias (bias: shared)
    }


def grad_all_batch_dict(batch) -> dict[str, Any]:
    """grad --all on a batch: every weight with the batch's derivative (the examples' mean or
    sum) and its one update, as grad --all gives a problem's (schema nnsolve.grad-all), with batch."""
    from ..chain import all_weights
    from ..notation import weight_name

    problem = batch.problem
    exact = batch.exact or batch
    weights = []
    for layer, i, j in all_weights(batch.solutions[0]):
        r, c = i - (0 if problem.bias else 1), j - 1
        weights.append({
            **_weight_position(problem, weight_name(layer, i, j), layer, i, j),
            "value": float(problem.weights[layer - 1][r, c]),
            "gradient": float(batch.grads[layer - 1][r, c]),
            "learning_rate": problem.learning_rate,
            "updated": float(batch.updated[layer - 1][r, c]),
            "trained": not (problem.bias and i == 0 and not problem.train_bias),
            "exact_gradient": float(exact.grads[layer - 1][r, c]),
            "exact_updated": float(exact.updated[layer - 1][r, c]),
        })
    return {
        "schema": schema_id("grad-all", problem),
        "rounding": None if batch.rounding is None else batch.rounding.as_dict(),
        "batch": batch.mode,
        "weights": weights,
    }


def grad_all_dict(grads, problem=None) -> dict[str, Any]:
    """Every weight of the network, in order: layer, row, column (of the bias-row form)."""
    rounding = grads[0].rounding
    return {
        "schema": GRAD_ALL_SCHEMA_ID if problem is None else schema_id("grad-all", problem),
        "rounding": None if rounding is None else rounding.as_dict(),
        "weights": [
            {k: v for k, v in grad_dict(g, problem).items() if k not in ("schema", "paths", "path_count", "rounding")} for g in grads
        ],
    }


CHECK_SCHEMA_ID = "nnsolve.check/1"


def _plain(values):
    """A number as a float, an array as (nested) lists of floats."""
    if type(values) is not np.ndarray or values.dtype != np.float64:
        values = np.asarray(values, dtype=np.float64)
    return values.tolist()  # a float for a 0-d array


def check_dict(sheet: str, report, error: Optional[str], tolerance, carry_forward: bool) -> dict[str, Any]:
    """One line of `nnsolve check --json`: a graded sheet, or the reason it could not be graded."""
    if error is not None:
        return {"schema": CHECK_SCHEMA_ID, "sheet": sheet, "error": error}
    from ..grading import CARRIED, CORRECT, WRONG

    return {
        "schema": CHECK_SCHEMA_ID,
        "sheet": sheet,
        "student": report.student,
        "score": report.score,
        "max_score": report.max_score,
        "counts": {"correct": report.count(CORRECT), "carried_forward": report.count(CARRIED), "wrong": report.count(WRONG)},
        "first_wrong": report.first_wrong,
        "tolerance": {"rtol": tolerance.rtol, "atol": tolerance.atol, "sig": tolerance.sig},
        "carry_forward": carry_forward,
        "answers": [
            {
                "quantity": g.quantity,
                "answer": _plain(g.answer),
                "key": _plain(g.key),
                "recomputed": None if g.recomputed is None else _plain(g.recomputed),
                "verdict": g.verdict,
                "first_departure": g.departure,
                "slip": None if g.slip is None else {"name": g.slip.name, "explanation": g.slip.explanation, "formula": g.slip.formula},
                "points": g.points,
                "score": g.score,
            }
            for g in report.graded
        ],
        "error": None,
    }


def dumps_line(data: dict[str, Any]) -> str:
    """One JSON Lines record: compact, never NaN."""
    return json.dumps(data, allow_nan=False, ensure_ascii=False, separators=(",", ":")) + "\n"


def check_line(sheet: str, report, error: Optional[str], tolerance, carry_forward: bool) -> str:
    """One line of `nnsolve check --json`."""
    return dumps_line(check_dict(sheet, report, error, tolerance, carry_forward))


def gradescope_dict(report, tolerance) -> dict[str, Any]:
    """Gradescope's autograder results.json for one sheet: score, and one test per answer."""
    from .document import _answer_text, summary

    return {
        "score": report.score,
        "output": summary(report, tolerance),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": g.quantity,
                "score": g.score,
                "max_score": g.points,
                "output": f"your answer {_answer_text(g.answer, 8)}: {g.explain()}",
                "visibility": "visible",
            }
            for g in report.graded
        ],
    }
