"""Grading an answer sheet: each answer against the key, and, where it is not, against what
follows from the student's own earlier answers (error carried forward).

Pure: a Problem and a Sheet in, verdicts out. The student's state is the problem solved with
every answer they gave in place of the computed value (solution.solve(given=...)), so each
answer can be recomputed from the answers before it, exactly as a grader does by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Optional

import numpy as np

from . import chain
from .problem import Problem
from .quantities import Catalog, Quantity, base_shape, network_name
from .sheet import Answer, Sheet
from .solution import Solution, solve, solve_stack

CORRECT, CARRIED, WRONG = "correct", "carried forward", "wrong"
VERDICTS = (CORRECT, CARRIED, WRONG)


@dataclass(frozen=True)
class Tolerance:
    """|s - t| <= atol + rtol |t|, or with sig, agreement to sig significant figures."""

    rtol: float = 0.01
    atol: float = 1e-4
    sig: Optional[int] = None

    def close(self, student: np.ndarray, target: np.ndarray) -> bool:
        s, t = np.asarray(student, dtype=np.float64), np.asarray(target, dtype=np.float64)
        if self.sig is None and s.size == 1 and t.size == 1 and s.shape == t.shape:
            # one number, the common case: plain floats are ten times quicker than array reductions
            sv, tv = s.item(), t.item()
            return math.isfinite(tv) and abs(sv - tv) <= self.atol + self.rtol * abs(tv)
        if s.shape != t.shape or not np.all(np.isfinite(t)):
            return False
        if self.sig is not None:
            # one unit in the last significant figure of the key: a rounded or a cut answer passes
            magnitude = np.floor(np.log10(np.where(t == 0, 1.0, np.abs(t))))
            unit = np.where(t == 0, 10.0 ** -self.sig, 10.0 ** (magnitude - self.sig + 1))
            return bool(np.all(np.abs(s - t) <= unit * (1 + 1e-9)))
        return bool(np.all(np.abs(s - t) <= self.atol + self.rtol * np.abs(t)))

    def describe(self) -> str:
        if self.sig is not None:
            return f"{self.sig} significant figures"
        return f"rtol {self.rtol:g}, atol {self.atol:g}"


@dataclass(frozen=True)
class Graded:
    """One answer, graded."""

    quantity: str
    answer: np.ndarray
    key: np.ndarray
    recomputed: Optional[np.ndarray]  # from the student's own earlier answers; None where nothing differs
    verdict: str  # correct, carried forward or wrong
    departure: Optional[str]  # the first earlier answer that left the key (for wrong and carried forward)
    points: float
    score: float
    line: int
    carry_forward: bool = True  # whether a wrong answer was also checked against the student's own

    def explain(self) -> str:
        """The verdict in words a student understands."""
        if self.verdict == CORRECT:
            return "correct"
        if self.verdict == CARRIED:
            return f"carried forward: right from your own earlier answers (first off the key at {self.departure})"
        if self.departure is None:
            return "wrong: your working first leaves the key here"
        if not self.carry_forward:
            return f"wrong (your working first left the key at {self.departure}; errors are not carried forward)"
        return f"wrong, and not right from your own earlier answers either (first off the key at {self.departure})"


@dataclass(frozen=True)
class Report:
    sheet: str
    student: Optional[str]
    graded: tuple[Graded, ...]

    @property
    def score(self) -> float:
        return math.fsum(g.score for g in self.graded)

    @property
    def max_score(self) -> float:
        return math.fsum(g.points for g in self.graded)

    def count(self, verdict: str) -> int:
        return sum(g.verdict == verdict for g in self.graded)

    @property
    def first_wrong(self) -> Optional[str]:
        return next((g.quantity for g in self.graded if g.verdict == WRONG), None)


def grade(
    problem: Problem,
    sheet: Sheet,
    tolerance: Tolerance = Tolerance(),
    carry_forward: bool = True,
    points: Optional[Mapping[str, float]] = None,
    partial: float = 1.0,
    key: Optional[Solution] = None,
    state: Optional[Solution] = None,
    catalog: Optional[Catalog] = None,
) -> Report:
    """Every answer of a sheet: correct, carried forward (right from the student's own earlier
    answers) or wrong, with the points it earns. key, state (student_state) and catalog may be
    given when they are already at hand (grade_many)."""
    catalog = catalog or Catalog(problem)
    key = key or solve(problem)
    if carry_forward and state is None:
        with np.errstate(all="ignore"):  # a student's numbers may overflow; such a value is simply not matched
            state = student_state(problem, sheet.answers)
    answered = {a.quantity.name: a for a in sheet.answers}
    graded: list[Graded] = []
    departed: Optional[str] = None  # the first answer that left the key
    for a in sheet.answers:
        q = a.quantity
        expected = catalog.value(key, q)
        answer = _as_answer(problem, q, a.value)
        worth = float((points or {}).get(q.name, 1.0))
        recomputed = None
        if state is not None:
            with np.errstate(all="ignore"):
                # where nothing before it differs (or it overflows), carrying forward changes nothing
                candidates = [
                    c for c in recomputations(catalog, state, q, answered, problem)
                    if np.all(np.isfinite(c)) and not tolerance.close(c, expected)
                ]
            # the way of working the student's answer follows, else the first
            recomputed = next((c for c in candidates if tolerance.close(answer, c)), candidates[0] if candidates else None)
        if tolerance.close(answer, expected):
            verdict, score = CORRECT, worth
        elif recomputed is not None and tolerance.close(answer, recomputed):
            if departed is None:  # off the key only through earlier answers accepted as correct (rounded)
                verdict, score = CORRECT, worth
            else:
                verdict, score = CARRIED, worth * partial
        else:
            verdict, score = WRONG, 0.0
        graded.append(Graded(q.name, answer, expected, recomputed, verdict, departed, worth, score, a.line, carry_forward))
        if verdict != CORRECT and departed is None:
            departed = q.name
    return Report(sheet.source, sheet.student, tuple(graded))


def grade_many(
    problem: Problem,
    sheets,
    tolerance: Tolerance = Tolerance(),
    carry_forward: bool = True,
    points: Optional[Mapping[str, float]] = None,
    partial: float = 1.0,
) -> list[Report]:
    """grade() for many sheets of one problem: the key solved once, and every student's state
    in one stacked computation rather than a solve per sheet."""
    catalog, key = Catalog(problem), solve(problem)
    states = student_states(problem, sheets) if carry_forward else [None] * len(sheets)
    return [grade(problem, sheet, tolerance, carry_forward, points, partial, key, state, catalog) for sheet, state in zip(sheets, states)]


def student_states(problem: Problem, sheets) -> list[Solution]:
    """student_state() of every sheet, computed as one stack."""
    given: dict[str, np.ndarray] = {}
    for k, sheet in enumerate(sheets):
        for name, values in overrides(problem, ((a.quantity, a.value) for a in sheet.answers)).items():
            if name not in given:
                given[name] = np.full((len(sheets),) + values.shape, np.nan)
            given[name][k] = values
    with np.errstate(all="ignore"):
        if not given:
            return [solve(problem, finite=False)] * len(sheets)
        return solve_stack(problem, given, len(sheets))


def _as_answer(problem: Problem, q: Quantity, value: np.ndarray) -> np.ndarray:
    """A softmax class may be answered as its output number (2) rather than one-hot."""
    if q.base == "prediction" and problem.activations[-1] == "softmax" and value.size == 1 and q.shape[0] > 1:
        k = int(round(float(value.flat[0])))
        return (np.arange(1, q.shape[0] + 1) == k).astype(np.float64)
    return np.asarray(value, dtype=np.float64).reshape(q.shape) if value.size == math.prod(q.shape) else value


def student_state(problem: Problem, answers) -> Solution:
    """The problem solved with each of the student's answers in place of the computed value."""
    return solve(problem, given=overrides(problem, ((a.quantity, a.value) for a in answers)), finite=False)


def overrides(problem: Problem, values) -> dict[str, np.ndarray]:
    """(quantity, value) pairs as solve()'s given: whole arrays, NaN where nothing is given."""
    given: dict[str, np.ndarray] = {}
    for q, value in values:
        if not q.overridable:
            continue
        name = network_name(problem, q.base)
        target = given.setdefault(name, np.full(base_shape(problem, q.base), np.nan))
        target[q.index] = np.asarray(value, dtype=np.float64).reshape(np.shape(target[q.index]))
    return given


def recomputations(catalog: Catalog, state: Solution, q: Quantity, answered: Mapping[str, Answer], problem: Problem) -> list:
    """Every value the answer to q follows from the student's own earlier answers. One, except for
    a weight's derivative (and so its update), which a student may work by the chain rule, from
    their factors, or from their delta (input times delta): either is their own working."""
    if q.base.startswith("shape") or q.base.startswith("W"):
        return []  # given by the problem, not computed
    if q.base.startswith("new W"):
        return _new_weights(catalog, state, q, answered, problem)
    if q.base.startswith("dl/dW") and q.index != ():
        return _gradients(state, q, answered, problem)
    name = network_name(problem, q.base)
    if name in state.computed:  # the student gave this quantity: what it computes to before theirs
        return [np.asarray(state.computed[name])[q.index]]
    return [catalog.value(state, q)]


def _weight_position(problem: Problem, q: Quantity) -> tuple[int, int, int]:
    """(layer, i, j) of the weight an element of dl/dW or new W names."""
    layer = int(q.base.rsplit("W", 1)[1])
    r, c = q.index
    return layer, r + (0 if problem.bias else 1), c + 1


def _gradients(state: Solution, q: Quantity, answered: Mapping[str, Answer], problem: Problem) -> list:
    """dl/dW[i,j] from the student: the product of their chain-rule factors where they gave any,
    and from their deltas (the state's backpropagation)."""
    g = chain.gradient_of(state, *_weight_position(problem, q))
    source = state.computed.get(network_name(problem, q.base))  # the student gave dl/dW: from before it
    found = [np.asarray(source)[q.index] if source is not None else np.asarray(g.gradient)]
    if any(f.symbol in answered for path in g.paths for f in path):
        total = 0.0
        for path in g.paths:
            product = 1.0
            for f in path:
                a = answered.get(f.symbol)
                product *= float(a.value.flat[0]) if a is not None and a.value.size == 1 else f.value
            total += product
        found.insert(0, np.asarray(total))
    return found


def _new_weights(catalog: Catalog, state: Solution, q: Quantity, answered: Mapping[str, Answer], problem: Problem) -> list:
    """W - lambda dl/dW with the student's own dl/dW (given, or recomputed from their answers)."""
    if q.index == ():
        return [np.asarray(state.layers[int(q.base.rsplit("W", 1)[1]) - 1].updated_W)]
    layer, i, j = _weight_position(problem, q)
    W = problem.weights[layer - 1][q.index]
    if problem.bias and i == 0 and not problem.train_bias:
        return [np.asarray(W)]
    grad_name = f"dl/dW{layer}[{i},{j}]"
    if grad_name in answered:
        gradients = [float(answered[grad_name].value)]
    elif f"dl/dW{layer}" in answered:
        gradients = [float(answered[f"dl/dW{layer}"].value[q.index])]
    else:
        gradients = [float(g) for g in _gradients(state, catalog.by_name[grad_name], answered, problem)]
    return [np.asarray(W - problem.learning_rate * g) for g in gradients]
