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
    for Wx+b and xW+b (docs/json.md)."""
    return f"nnsolve.{name}/{1 if problem.convention == 'bias-row' and not problem.symbols else 2}"


def weights_dict(problem, weights, shapes: bool = False) -> dict[str, Any]:
    """Each layer's weights (the bias-row form) as the problem's convention writes them:
    W1, W2, ... (and b1, b2, ... in Wx+b and xW+b); with shapes, their shapes instead."""
    result: dict[str, Any] = {}
    for l, values in enumerate(weights, start=1):
        W, b = to_convention(np.asarray(values), problem.convention, problem.bias)
        result[f"W{l}"] = list(W.shape) if shapes else W.tolist()
        if b is not None:
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


def grad_dict(grad, problem=None) -> dict[str, Any]:
    """One weight's chain rule (chain.WeightGradient) as plain data; names and indices in the
    problem's convention (docs/json.md), the worksheet's without a problem."""
    notation = Notation.of(problem) if problem is not None else Notation()
    write = notation.write
    row, column = grad.row, grad.column
    position: dict[str, Any] = {"row": row, "column": column}
    if not notation.plain and problem.convention != "bias-row":
        if grad.row == 0 and problem.bias:  # b2[j]: a vector's element
            position = {"parameter": "b", "row": column, "column": None}
        else:
            r = grad.row  # the input it comes from (rows count from 1 in these conventions)
            position = {"parameter": "W", "row": column, "column": r} if problem.convention == "Wx+b" else {"parameter": "W", "row": r, "column": column}
    return {
        "schema": GRAD_SCHEMA_ID if problem is None else schema_id("grad", problem),
        "weight": write(grad.weight),
        "layer": grad.layer,
        **position,
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
