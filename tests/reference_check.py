"""The grading of one sheet, written plainly, one answer at a time: the reference that the
stacked grading of nnsolve.check (grading.grade_many, arrays over a class's sheets) must agree
with, verdict for verdict and value for value (tests/test_check.py). This is how grading.py
graded before it graded a class as arrays."""

from __future__ import annotations

import math
from typing import Mapping, Optional

import numpy as np

from nnsolve import chain
from nnsolve.grading import CARRIED, CORRECT, WRONG, Graded, Report, Tolerance, _as_answer, student_state
from nnsolve.errors import SolveError
from nnsolve.rounding import Rounding
from nnsolve.slips import HAND_ROUNDINGS, rounding_slips, slips_of
from nnsolve.problem import Problem
from nnsolve.quantities import Catalog, Quantity, network_name
from nnsolve.sheet import Answer, Sheet
from nnsolve.solution import Solution, solve, solve_batch


def close(self, student: np.ndarray, target: np.ndarray, scale=None) -> bool:
    s, t = np.asarray(student, dtype=np.float64), np.asarray(target, dtype=np.float64)
    if self.sig is None and scale is None and s.size == 1 and t.size == 1 and s.shape == t.shape:
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
    if scale is None:
        return bool(np.all(np.abs(s - t) <= self.atol + self.rtol * np.abs(t)))
    # a new weight's step, a derivative's size: rtol of it, and an atol of at most half of it
    scale = np.abs(np.asarray(scale, dtype=np.float64))
    atol = np.where(scale > 0, np.minimum(self.atol, 0.5 * scale), self.atol)
    return bool(np.all(np.abs(s - t) <= atol + self.rtol * scale))


def scale(key: Solution, q: Quantity, target: np.ndarray):
    """What check judges an answer aimed at target on, written out: a new weight's step, a
    derivative's or a delta's size; None for the rest."""
    if q.base.startswith("new W"):
        return np.asarray(target) - np.asarray(key.problem.weights[int(q.base[5:]) - 1])[q.index]
    if q.base.startswith(("dl/dW", "delta")):
        return target
    return None


def slip_of(key: Solution, q: Quantity, answer, expected, own, correct: bool, carried: bool, tolerance: Tolerance):
    """The slip an answer is, one sheet at a time: the nearest slip the answer is strictly nearer
    than the key and than its own recomputed value, within tolerance of it or close to the key;
    never for an answer carried forward; never a slip that gives the key itself; never one that
    does not demote (Slip.demotes: a shared bias's one delta) for an answer within tolerance of
    the key."""
    if carried or np.shape(answer) != np.shape(expected):
        return None
    best = float(np.max(np.abs(answer - expected))) if np.size(expected) else 0.0
    if own is not None and np.all(np.isfinite(own)):
        best = min(best, float(np.max(np.abs(answer - own))))
    found = None
    for slip in slips_of(key, q.base):
        value = np.asarray(slip.value, dtype=np.float64)[q.index]
        if np.max(np.abs(value - expected), initial=0.0) <= 1e-12 * np.max(np.abs(expected), initial=0.0):
            continue
        if correct and not slip.demotes:
            continue
        to_slip = float(np.max(np.abs(answer - value)))
        if to_slip < best and (correct or close(tolerance, answer, value, scale(key, q, value))):
            found, best = slip, to_slip
    return found


_CHAINS: dict = {}  # id(problem) -> (problem, its chains): kept, so that the id is not reused


def _chains(problem: Problem) -> list:
    """(Rounding, the problem solved with it) for each hand rounding, solved once a problem."""
    if id(problem) not in _CHAINS:
        chains = []
        for digits, mode in HAND_ROUNDINGS:
            rounding = Rounding(digits, mode)
            with np.errstate(all="ignore"):
                try:
                    chains.append((rounding, solve(problem, rounding)))
                except SolveError:
                    continue
        _CHAINS[id(problem)] = (problem, chains, Catalog(problem))
    return _CHAINS[id(problem)][1]


def rounding_carried(problem: Problem, q: Quantity, answer, tolerance: Tolerance):
    """A wrong answer no other slip explains: the "rounding carried" slip of the first hand
    rounding whose chain (the problem solved with every value rounded so) gives it, or None."""
    for rounding, chain in _chains(problem):
        value = np.asarray(_CHAINS[id(problem)][2].value(chain, q), dtype=np.float64)
        if close(tolerance, answer, value, scale(chain, q, value)):
            return rounding_slips([(rounding, chain)], q.base)[0]
    return None


def reference_grade(
    problem: Problem,
    sheet: Sheet,
    tolerance: Tolerance = Tolerance(),
    carry_forward: bool = True,
    points: Optional[Mapping[str, float]] = None,
    partial: float = 1.0,
) -> Report:
    """grading.grade as it was written for one sheet at a time (with its own solve of the
    student's state and the chain rule read off it with gradient_of)."""
    catalog = Catalog(problem)
    # a batch (batch: mean|sum): its loss, combined dl/dW and one update, and nothing a student
    # gives changes what follows but a new weight's own dl/dW (recomputations)
    key = solve(problem) if problem.batch is None else solve_batch(problem).as_solution()
    state = None
    if carry_forward:
        with np.errstate(all="ignore"):  # a student's numbers may overflow; such a value is simply not matched
            state = student_state(problem, sheet.answers) if problem.batch is None else key
    answered = {a.quantity.key: a for a in sheet.answers}  # by nnsolve's own names, as the factors are
    graded: list[Graded] = []
    departed: Optional[str] = None  # the first answer that left the key
    for a in sheet.answers:
        q = a.quantity
        expected = catalog.value(key, q)
        answer = _as_answer(problem, q, a.value)
        worth = float((points or {}).get(q.name, 1.0))
        recomputed = own = None
        if state is not None:
            with np.errstate(all="ignore"):
                every = recomputations(catalog, state, q, answered, problem)
                own = np.asarray(every[0], dtype=np.float64) if every else None
                # where nothing before it differs (or it overflows), carrying forward changes nothing
                candidates = [
                    c for c in every
                    if np.all(np.isfinite(c)) and not close(tolerance, c, expected, scale(key, q, expected))
                ]
            # the way of working the student's answer follows, else the first
            recomputed = next((c for c in candidates if close(tolerance, answer, c, scale(key, q, c))), candidates[0] if candidates else None)
        correct = close(tolerance, answer, expected, scale(key, q, expected))
        carried = not correct and recomputed is not None and close(tolerance, answer, recomputed, scale(key, q, recomputed))
        slip = slip_of(key, q, answer, expected, own, correct, carried, tolerance)
        if correct and slip is None:
            verdict, score = CORRECT, worth
        elif carried:
            if departed is None:  # off the key only through earlier answers accepted as correct (rounded)
                verdict, score = CORRECT, worth
            else:
                verdict, score = CARRIED, worth * partial
        else:
            verdict, score = WRONG, 0.0
            if slip is None and np.shape(answer) == np.shape(expected) and problem.batch is None:  # (no hand-rounded chains of a batch)
                slip = rounding_carried(problem, q, answer, tolerance)
        graded.append(Graded(q.name, answer, expected, recomputed, verdict, departed, worth, score, a.line, carry_forward, slip))
        if verdict != CORRECT and departed is None:
            departed = q.name
    return Report(sheet.source, sheet.student, tuple(graded))


def recomputations(catalog: Catalog, state: Solution, q: Quantity, answered: Mapping[str, Answer], problem: Problem) -> list:
    """Every value the answer to q follows from the student's own earlier answers. One, except for
    a weight's derivative (and so its update), which a student may work by the chain rule, from
    their factors, or from their delta (input times delta): either is their own working."""
    if q.base.startswith("shape") or q.base.startswith("W"):
        return []  # given by the problem, not computed
    if problem.batch is not None:  # a batch: a new weight from the student's own dl/dW, and nothing else
        if not q.base.startswith("new W") or _whole(q):
            return []
        layer, i, j = _weight_position(problem, q)
        if problem.bias and i == 0 and not problem.train_bias:
            return [np.asarray(problem.weights[layer - 1][q.index])]
        a = answered.get(f"dl/dW{layer}[{i},{j}]")
        g = float(a.value) if a is not None else (float(answered[f"dl/dW{layer}"].value[q.index]) if f"dl/dW{layer}" in answered else None)
        return [] if g is None else [np.asarray(_update(problem, layer, i, q.index, problem.weights[layer - 1][q.index], g))]
    if q.base.startswith("new W"):
        return _new_weights(catalog, state, q, answered, problem)
    if q.base.startswith("dl/dW") and not _whole(q):
        return _gradients(state, q, answered, problem)
    name = network_name(problem, q.base)
    if name in state.computed:  # the student gave this quantity: what it computes to before theirs
        return [np.asarray(state.computed[name])[q.index]]
    return [catalog.value(state, q)]


def _whole(q: Quantity) -> bool:
    """A whole matrix or vector (dl/dW2; in Wx+b also dL/db2), not one weight."""
    return q.index == () or not all(isinstance(i, int) for i in q.index)


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
    if _whole(q):
        return [np.asarray(state.layers[int(q.base.rsplit("W", 1)[1]) - 1].updated_W)[q.index]]
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
        gradients = [float(g) for g in _gradients(state, catalog.by_key[grad_name], answered, problem)]
    return [np.asarray(_update(problem, layer, i, q.index, W, g)) for g in gradients]


def _update(problem, layer, i, index, w, g):
    """The new weight from a student's own derivative g: w - lambda g, or one step of the
    problem's optimizer (its rule, from the problem's state), one weight at a time."""
    if problem.optimizer is None:
        return w - problem.learning_rate * g
    from nnsolve.optimizers import new_weight

    return new_weight(problem.optimizer, problem.learning_rate, w, g, problem.state, layer, index,
                      not (problem.bias and i == 0 and not problem.decay_bias))
