"""The JSON contract for scripts: `nnsolve run --json`. Documented in README, schema in nnsolve/schemas.

Full float64 precision (shortest repr that round-trips); never NaN or Infinity.
"""

from __future__ import annotations

import json
import re
from typing import Any

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
    }


# a list of numbers that json.dumps spread over lines; JSON strings hold no raw newline,
# so this never matches inside a string
_NUMBER_LIST = re.compile(r"\[\n\s*((?:-?[0-9][-+.0-9eE]*,\n\s*)*-?[0-9][-+.0-9eE]*)\n\s*\]")


def dumps(data: dict[str, Any]) -> str:
    """Deterministic, readable JSON text (each vector on one line); raises ValueError rather than write NaN."""
    text = json.dumps(data, indent=2, allow_nan=False, ensure_ascii=False)
    return _NUMBER_LIST.sub(lambda m: "[" + re.sub(r",\n\s*", ", ", m.group(1)) + "]", text) + "\n"
