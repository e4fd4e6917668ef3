"""The JSON contract for scripts: `nnsolve run --json`. Documented in README, schema in nnsolve/schemas.

Full float64 precision (shortest repr that round-trips); never NaN or Infinity.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..solution import Solution

SOLUTION_SCHEMA_ID = "nnsolve.solution/1"


def solution_dict(solution: Solution) -> dict[str, Any]:
    problem = solution.problem
    layers = solution.layers
    return {
        "schema": SOLUTION_SCHEMA_ID,
        "problem": problem.as_dict(),
        "shapes": {f"W{s.layer}": list(s.W.shape) for s in layers},
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
        "gradients": {f"W{s.layer}": s.grad_W.tolist() for s in layers},
        "updated": {f"W{s.layer}": s.updated_W.tolist() for s in layers},
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
        "schema": STEPS_SCHEMA_ID,
        "problem": problem.as_dict(),
        "epochs": len(steps) // per_epoch,
        "steps": [{"epoch": step.epoch, "example": step.example, **solution_dict(step.solution)} for step in steps],
        "final": {f"W{s.layer}": s.updated_W.tolist() for s in steps[-1].solution.layers},
    }


def rounding_dict(solution: Solution) -> Optional[dict[str, Any]]:
    """How the working was rounded, and how far that took it from the exact result; None if exact."""
    if solution.rounding is None:
        return None
    quantity, difference = solution.max_difference()
    return {**solution.rounding.as_dict(), "max_difference": {"quantity": quantity, "difference": difference}}


def dumps(data: dict[str, Any]) -> str:
    """Deterministic, readable JSON text (each vector on one line); raises ValueError rather than write NaN.

    The text json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) writes, with every
    list of numbers on one line ([1.0, 2.0]), and a newline at the end. Written here rather than by
    the json module, whose import (its decoder compiles patterns too) was a fifth of what `run
    --json` adds to its third-party imports; tests/test_json_text.py checks it against json."""
    out: list[str] = []
    _write(data, "\n", out)
    out.append("\n")
    return "".join(out)


# json's escapes with ensure_ascii=False: the quote, the backslash and the control characters
_ESCAPES = {c: f"\\u{c:04x}" for c in range(0x20)}
_ESCAPES.update({ord('"'): '\\"', ord("\\"): "\\\\", ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", ord("\b"): "\\b", ord("\f"): "\\f"})


def _string(text: str) -> str:
    return '"' + text.translate(_ESCAPES) + '"'


_INFINITIES = (float("inf"), float("-inf"))


def _float(value: float) -> str:
    if value != value or value in _INFINITIES:
        raise ValueError("Out of range float values are not JSON compliant: " + repr(value))
    return float.__repr__(value)


def _number(value) -> str:
    return _float(value) if isinstance(value, float) else int.__repr__(value)


def _key(key) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, float):
        return _float(key)
    if key is True or key is False or key is None:
        return {True: "true", False: "false", None: "null"}[key]
    if isinstance(key, int):
        return int.__repr__(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")


def _write(value, newline: str, out: list[str]) -> None:
    """value as JSON, in json's order of type tests; newline is a newline and the indent of value's line."""
    if isinstance(value, str):
        out.append(_string(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_float(value))
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
        elif all(isinstance(v, (int, float)) and v is not True and v is not False for v in value):
            out.append("[" + ", ".join(map(_number, value)) + "]")  # a vector: one line
        else:
            inner = newline + "  "
            separator = "[" + inner
            for item in value:
                out.append(separator)
                _write(item, inner, out)
                separator = "," + inner
            out.append(newline + "]")
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():
            out.append(separator + _string(_key(key)) + ": ")
            _write(item, inner, out)
            separator = "," + inner
        out.append(newline + "}")
    else:
        raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


GRAD_SCHEMA_ID = "nnsolve.grad/1"
GRAD_ALL_SCHEMA_ID = "nnsolve.grad-all/1"


def grad_dict(grad) -> dict[str, Any]:
    """One weight's chain rule (chain.WeightGradient) as plain data."""
    return {
        "schema": GRAD_SCHEMA_ID,
        "weight": grad.weight,
        "layer": grad.layer,
        "row": grad.row,
        "column": grad.column,
        "value": grad.value,
        "paths": [
            [{"symbol": f.symbol, "formula": f.formula, "value": f.value} for f in path] for path in grad.paths
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


def grad_all_dict(grads) -> dict[str, Any]:
    """Every weight of the network, in order: layer, row, column."""
    rounding = grads[0].rounding
    return {
        "schema": GRAD_ALL_SCHEMA_ID,
        "rounding": None if rounding is None else rounding.as_dict(),
        "weights": [
            {k: v for k, v in grad_dict(g).items() if k not in ("schema", "paths", "path_count", "rounding")} for g in grads
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
    from ..check import CARRIED, CORRECT, WRONG

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
                "points": g.points,
                "score": g.score,
            }
            for g in report.graded
        ],
        "error": None,
    }


def dumps_line(data: dict[str, Any]) -> str:
    """One JSON Lines record: compact, never NaN."""
    import json

    return json.dumps(data, allow_nan=False, ensure_ascii=False, separators=(",", ":")) + "\n"


def check_line(sheet: str, report, error: Optional[str], tolerance, carry_forward: bool) -> str:
    """dumps_line(check_dict(...)), written out directly: the same text (tests/test_json_text.py
    compares them), without a dict per answer and json's walk over them; the texts a class
    repeats (names, verdicts, each quantity's key) are made once."""
    if error is not None:
        return dumps_line(check_dict(sheet, report, error, tolerance, carry_forward))
    try:
        return _check_text(sheet, report, tolerance, carry_forward)
    except (TypeError, ValueError):  # something JSON cannot hold (NaN): json's own error
        return dumps_line(check_dict(sheet, report, error, tolerance, carry_forward))


def _check_text(sheet: str, report, tolerance, carry_forward: bool) -> str:
    from ..check import CARRIED, CORRECT, WRONG

    graded = report.graded
    verdicts = [g.verdict for g in graded]
    text, numbers, number = _text_of, _numbers_of, _float
    answers = ",".join([
        f'{{"quantity":{text(g.quantity)},"answer":{numbers(g.answer)},"key":{_key_numbers(g.key)},'
        f'"recomputed":{"null" if g.recomputed is None else numbers(g.recomputed)},"verdict":{text(g.verdict)},'
        f'"first_departure":{text(g.departure)},"points":{number(g.points)},"score":{number(g.score)}}}'
        for g in graded
    ])
    return (
        f'{{"schema":"{CHECK_SCHEMA_ID}","sheet":{_compact(sheet)},"student":{_compact(report.student)},'
        f'"score":{_compact(report.score)},"max_score":{_compact(report.max_score)},'
        f'"counts":{{"correct":{verdicts.count(CORRECT)},"carried_forward":{verdicts.count(CARRIED)},"wrong":{verdicts.count(WRONG)}}},'
        f'"first_wrong":{text(report.first_wrong)},'
        f'"tolerance":{{"rtol":{_compact(tolerance.rtol)},"atol":{_compact(tolerance.atol)},"sig":{_compact(tolerance.sig)}}},'
        f'"carry_forward":{_compact(carry_forward)},"answers":[{answers}],"error":null}}\n'
    )


_texts: dict = {}  # a name, verdict or None -> its JSON text (a class repeats a few dozen)
_keys: dict = {}  # id(key array) -> (the array, its JSON text): a group's sheets share their keys


def _text_of(value: Optional[str]) -> str:
    text = _texts.get(value)
    if text is None:
        text = _compact(value)
        if len(_texts) < 4096:
            _texts[value] = text
    return text


def _key_numbers(values) -> str:
    kept = _keys.get(id(values))
    if kept is not None and kept[0] is values:
        return kept[1]
    text = _numbers_of(values)
    if len(_keys) >= 1024:
        _keys.clear()
    _keys[id(values)] = (values, text)  # (the array kept: its id is not reused while it is here)
    return text


def _compact(value) -> str:
    """A str, None, bool, int or float as json writes it."""
    if isinstance(value, str):
        return _string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def _numbers_of(values) -> str:
    """_plain(values) as compact JSON: a number, or (nested) lists of them."""
    values = _plain(values)
    if values.__class__ is float:
        return _float(values)
    text = _list_of(values)
    if "n" in text:  # nan or inf: a finite float's repr has digits, '.', '-', 'e' and '+' only
        raise ValueError("not a finite number")
    return text


def _list_of(values: list) -> str:
    if values and values[0].__class__ is list:
        return "[" + ",".join(map(_list_of, values)) + "]"
    return "[" + ",".join(map(float.__repr__, values)) + "]"


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
