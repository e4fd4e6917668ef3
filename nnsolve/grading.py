"""Grading an answer sheet: each answer against the key, and, where it is not, against what
follows from the student's own earlier answers (error carried forward).

Pure: a Problem and a Sheet in, verdicts out. The student's state is the problem solved with
every answer they gave in place of the computed value (solution.solve(given=...)), so each
answer can be recomputed from the answers before it, exactly as a grader does by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Mapping, NamedTuple, Optional, Sequence

import numpy as np

from . import chain
from .errors import SolveError
from .problem import Problem
from .quantities import Catalog, Quantity, base_shape, base_value, network_name
from .sheet import Answer, Sheet
from .slips import HAND_ROUNDINGS, Slip, rounding_slips, scale_of, slips_of
from .solution import Solution, Work, same_shape, solve, solve_batch, solve_stack, stack_problems

CORRECT, CARRIED, WRONG = "correct", "carried forward", "wrong"
VERDICTS = (CORRECT, CARRIED, WRONG)
# a derivative's or a new weight's atol is at most this fraction of its scale (the derivative,
# the step): with rtol below 1 - SCALE_FRACTION, neither 0 nor the old weight is ever close
SCALE_FRACTION = 0.5


@dataclass(frozen=True)
class Tolerance:
    """|s - t| <= atol + rtol |t|, or with sig, agreement to sig significant figures."""

    rtol: float = 0.01
    atol: float = 1e-4
    sig: Optional[int] = None

    def close(self, student, target, scale=None) -> np.ndarray:
        """Which members' answers are within tolerance of their targets: both arrays hold the
        members on their last axis (a quantity's shape, then one entry per sheet), and a member
        is close when every element is. A target that is not finite is never matched. With
        scale (slips.scale_of: a new weight's step, a derivative's size), rtol is taken of the
        scale, and atol is at most SCALE_FRACTION of it: the old weight, or a derivative of 0,
        is never within the tolerance of the key."""
        s, t = np.broadcast_arrays(np.asarray(student, dtype=np.float64), np.asarray(target, dtype=np.float64))
        axes = tuple(range(s.ndim - 1))
        with np.errstate(all="ignore"):
            if self.sig is not None:
                # one unit in the last significant figure of the key: a rounded or a cut answer passes
                magnitude = np.floor(np.log10(np.where(t == 0, 1.0, np.abs(t))))
                unit = np.where(t == 0, 10.0 ** -self.sig, 10.0 ** (magnitude - self.sig + 1))
                within = np.abs(s - t) <= unit * (1 + 1e-9)
            else:
                within = np.abs(s - t) <= self.width(t, scale)
        return np.all(within & np.isfinite(t), axis=axes)

    def width(self, target, scale=None) -> np.ndarray:
        """How far an answer may be from target: atol + rtol |target|, or, with a scale, at
        most SCALE_FRACTION of the scale plus rtol of it."""
        if scale is None:
            return self.atol + self.rtol * np.abs(target)
        scale = np.abs(np.asarray(scale, dtype=np.float64))
        atol = np.where(scale > 0, np.minimum(self.atol, SCALE_FRACTION * scale), self.atol)
        return atol + self.rtol * scale

    def describe(self) -> str:
        if self.sig is not None:
            return f"{self.sig} significant figures"
        return f"rtol {self.rtol:g}, atol {self.atol:g}"


class Graded(NamedTuple):  # a tuple: a class's sheets make hundreds of thousands
    """One answer, graded."""

    quantity: str
    answer: np.ndarray
    key: np.ndarray
    recomputed: Optional[np.ndarray]  # from the student's own earlier answers; None where nothing differs
    verdict: str  # correct, carried forward or wrong
    departure: Optional[str]  # the first earlier answer that left the key, where one it follows from did (for wrong and carried forward)
    points: float
    score: float
    line: int
    carry_forward: bool = True  # whether a wrong answer was also checked against the student's own
    slip: Optional[Slip] = None  # the known mistake a wrong answer is (slips.py), if it is one

    def explain(self) -> str:
        """The verdict in words a student understands."""
        if self.slip is not None:
            return f"wrong: {self.slip.explanation} ({self.slip.formula})"
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
) -> Report:
    """Every answer of a sheet: correct, carried forward (right from the student's own earlier
    answers) or wrong, with the points it earns."""
    return grade_many(problem, [sheet], tolerance, carry_forward, points, partial)[0]


def grade_many(
    problem: Problem,
    sheets: Sequence[Sheet],
    tolerance: Tolerance = Tolerance(),
    carry_forward: bool = True,
    points: Optional[Mapping[str, float]] = None,
    partial: float = 1.0,
) -> list[Report]:
    """grade() for many sheets of one problem, as arrays rather than a loop over sheets: the
    key solved once, every student's state in one stacked computation (the problem solved with
    each student's answers in place of the computed values), and each answer graded for every
    sheet that answers the same quantities at once."""
    if problem.batch is not None:
        return _grade_batch(problem, sheets, tolerance, carry_forward, points, partial)
    solve(problem)  # an overflowing key raises SolveError, naming the problem file
    return _grade_stack(problem, problem, sheets, tolerance, carry_forward, points, partial)


def grade_each(
    problems: Sequence[Problem],
    sheets: Sequence[Sheet],
    tolerance: Tolerance = Tolerance(),
    carry_forward: bool = True,
    partial: float = 1.0,
) -> list[Report]:
    """grade() of each sheet against its own problem (problems[n] for sheets[n]), with that
    problem's points: a class whose every student answers their own variant. The sheets of
    problems of one shape (solution.same_shape) and the same points are graded as one stack,
    each member with its own key, slips and tolerances: as fast as a class of one problem. A
    problem whose key overflows raises SolveError (overflowing() finds them first)."""
    bad = overflowing(problems)
    if bad:
        solve(problems[bad[0]])  # raises, naming the file
    reports: list = [None] * len(sheets)
    for rows in _by_shape(problems, with_points=True):
        members = [problems[n] for n in rows]
        if members[0].batch is not None:  # each batch problem's sheets against its own key, not stacked
            by_problem: dict = {}
            for n in rows:
                by_problem.setdefault(id(problems[n]), []).append(n)
            for ns in by_problem.values():
                p = problems[ns[0]]
                for n, report in zip(ns, _grade_batch(p, [sheets[n] for n in ns], tolerance, carry_forward, dict(p.points), partial)):
                    reports[n] = report
            continue
        one = all(p is members[0] for p in members)
        solved = members[0] if one else stack_problems(members)
        graded = _grade_stack(members[0], solved, [sheets[n] for n in rows], tolerance, carry_forward, dict(members[0].points), partial, members)
        for n, report in zip(rows, graded):
            reports[n] = report
    return reports


def overflowing(problems: Sequence[Problem]) -> list[int]:
    """The positions of the problems whose key overflows float64 (solve() would raise), found
    with one stacked solve per shape."""
    bad = []
    for rows in _by_shape(problems, with_points=False):
        members = [problems[n] for n in rows]
        if members[0].batch is not None:  # a batch's key is every example's: solved one problem at a time
            for n in rows:
                try:
                    solve_batch(problems[n])
                except SolveError:
                    bad.append(n)
            continue
        with np.errstate(all="ignore"):
            key = Work(stack_problems(members), None, None).members(np.arange(len(rows)))
        finite = np.isfinite(np.asarray(key.loss))
        for s in key.layers:
            for values in (s.alpha, s.beta, s.delta, s.grad_W) + (() if s.updated_W is None else (s.updated_W,)):
                finite &= np.all(np.isfinite(values), axis=tuple(range(values.ndim - 1)))
        bad += [n for n, ok in zip(rows, finite) if not ok]
    return sorted(bad)


def _by_shape(problems: Sequence[Problem], with_points: bool) -> list[list[int]]:
    """The positions of the problems, grouped by what stacking needs them to share."""
    groups: dict = {}
    for n, p in enumerate(problems):
        groups.setdefault((same_shape(p), p.points if with_points else ()), []).append(n)
    return list(groups.values())


def _grade_stack(problem, solved, sheets, tolerance, carry_forward, points, partial, members=None) -> list[Report]:
    """grade_many() of the sheets against solved: problem itself, or the stack of each sheet's
    own problem (solution.stack_problems of members, member n for sheet n), problem then being
    one of them (its names and shapes are the stack's)."""
    catalog = Catalog(problem)
    count = len(sheets)
    with np.errstate(all="ignore"):
        keys = Work(solved, None, None)
    groups, answers = _groups(problem, sheets)
    work = None
    if carry_forward:
        given = _given(problem, groups, answers, count)
        with np.errstate(all="ignore"):  # a student's numbers may overflow; such a value is simply not matched
            work = Work(solved, None, given)
    reports: list = [None] * count
    problems, chains = members, []
    for signature, rows in groups.items():
        group = [sheets[n] for n in rows]
        rows = np.asarray(rows)
        state = gave = None
        if work is not None:
            state = work.members(rows)
            gave = {name: ~np.all(np.isnan(np.moveaxis(values[rows], 0, -1)), axis=tuple(range(values.ndim - 1))) for name, values in work.given.items()}
        # the key of each member (members on the last axis; one problem's key is shared, not copied)
        key = keys.members(rows if solved is not problem else np.zeros(len(rows), dtype=int))

        def rounded(positions, rows=rows):
            """The hand-rounded chains (slips.HAND_ROUNDINGS) of the group's members at positions:
            one problem's solved once for every group, a stack's for those members only."""
            if solved is not problem:
                return [(r, work.members(np.arange(len(positions)))) for r, work in _rounded_chains(stack_problems([problems[n] for n in rows[positions]]))]
            if not chains:
                chains.extend(_rounded_chains(problem))
            return [(r, work.members(np.zeros(len(positions), dtype=int))) for r, work in chains]

        graded = _grade_members(problem, catalog, key, group, answers[signature], state, gave, tolerance, carry_forward, points, partial, rounded)
        for n, report in zip(rows, graded):
            reports[n] = report
    return reports


def _grade_batch(problem, sheets, tolerance, carry_forward, points, partial) -> list[Report]:
    """grade_many() of the sheets of a batch problem (batch: mean|sum): the loss, dl/dW and new
    weights they answer (quantities.BATCH_KINDS) against the batch's (solution.solve_batch), with
    the slips of each; a new weight is carried forward from the student's own dl/dW of the batch."""
    catalog = Catalog(problem)
    key = _broadcast(solve_batch(problem).as_solution(), len(sheets))  # raises SolveError on an overflow
    groups, answers = _groups(problem, sheets)
    reports: list = [None] * len(sheets)
    for signature, rows in groups.items():
        members = _broadcast(key, len(rows), again=True)
        graded = _grade_members(problem, catalog, members, [sheets[n] for n in rows], answers[signature],
                                members if carry_forward else None, {}, tolerance, carry_forward, points, partial)
        for n, report in zip(rows, graded):
            reports[n] = report
    return reports


def _broadcast(solution: Solution, count: int, again: bool = False) -> Solution:
    """One Solution as the Solution of count members (Work.members' form: every array, the
    problem's too, with the members on its last axis), all of them the same; again: solution
    is such a Solution already, with members for another count."""

    def spread(values):
        values = np.asarray(values)
        if again:
            values = values[..., 0]
        return np.broadcast_to(values[..., None], values.shape + (count,))

    p = solution.problem
    problem = replace(p, weights=tuple(spread(W) for W in p.weights), learning_rate=spread(p.learning_rate))
    layers = tuple(
        replace(s, **{name: spread(getattr(s, name)) for name in ("W", "input", "alpha", "beta", "derivative", "delta", "grad_W", "updated_W", "dl_dbeta")
                      if getattr(s, name) is not None})
        for s in solution.layers
    )
    return replace(solution, problem=problem, layers=layers, y_hat=spread(solution.y_hat), prediction=spread(solution.prediction),
                   loss=spread(solution.loss), dl_dy_hat=None if solution.dl_dy_hat is None else spread(solution.dl_dy_hat),
                   dy_hat_dalpha=spread(solution.dy_hat_dalpha), exact=None)


def _rounded_chains(problem: Problem) -> list:
    """(Rounding, the Work of problem solved with it) for each hand rounding (slips.HAND_ROUNDINGS)."""
    from .rounding import Rounding

    chains = []
    for digits, mode in HAND_ROUNDINGS:
        rounding = Rounding(digits, mode)
        with np.errstate(all="ignore"):
            chains.append((rounding, Work(problem, rounding, None)))
    return chains


def _grade_members(problem, catalog, key, sheets, values, state, gave, tolerance, carry_forward, points, partial, rounded=None) -> list[Report]:
    """The sheets of one group (the same answers): each answer graded for all of them at once.
    rounded(positions) gives the hand-rounded chains of the members at positions (_rounded_chains)."""
    count = len(sheets)
    answered = {q.key: v for q, v in values}  # by nnsolve's own names, as the chain rule's factors are
    departed = np.full(count, -1)  # each sheet's first answer off the key (its position), -1: none yet
    columns = []
    for position, (q, answer) in enumerate(values):
        expected = catalog.value(key, q)  # each member's key, on the last axis
        if expected.shape != q.shape + (count,):  # (a weight's shape: the same for every member)
            expected = np.broadcast_to(expected[..., None], q.shape + (count,))
        close = lambda a, b: tolerance.close(a, b, scale_of(key, q.base, q.index, b))  # noqa: E731 (the quantity's tolerance)
        fits = answer.shape[:-1] == q.shape  # an answer of another size is never close
        recomputed, found, own = None, np.zeros(count, dtype=bool), None
        upstream = np.full(count, state is None)  # whether an answer it follows from left the key (unknown without ECF)
        if state is not None:
            with np.errstate(all="ignore"):
                # where nothing before it differs (or it overflows), carrying forward changes nothing
                candidates = []
                for c in recomputations(catalog, state, gave, q, answered, problem):
                    c = np.broadcast_to(np.asarray(c, dtype=np.float64), q.shape + (count,))
                    usable = np.all(np.isfinite(c), axis=tuple(range(c.ndim - 1))) & ~close(c, expected)
                    candidates.append((c, usable))
                    upstream |= usable
                own = candidates[0][0] if candidates else None  # from their own answers, as the key's were
                # the way of working the student's answer follows, else the first
                if candidates:
                    recomputed = np.full(q.shape + (count,), np.nan)
                    chosen = [(c, usable & close(answer, c)) for c, usable in candidates] if fits else []
                    for c, take in chosen + candidates:
                        take = take & ~found
                        recomputed[..., take] = c[..., take]
                        found |= take
        correct = close(answer, expected) if fits else np.zeros(count, dtype=bool)
        carried = found & close(answer, recomputed) if fits and recomputed is not None else np.zeros(count, dtype=bool)
        slips = slips_of(key, q.base)
        slip = _slips_hit(slips, q, answer, expected, own, correct, carried, close) if fits and slips else np.full(count, -1)
        correct &= slip < 0
        # right from earlier answers that were all accepted as correct (rounded): correct too
        verdict = np.where(correct, 0, np.where(carried, np.where(departed < 0, 0, 1), 2))
        # each member's slip, its value that member's
        named = [None if k < 0 else _member_slip(slips[k], m, catalog.notation) for m, k in enumerate(slip.tolist())]
        # the first departure named only where something it follows from left the key
        columns.append((verdict.tolist(), np.where(upstream, departed, -1).tolist(), recomputed, found.tolist(), expected, named))
        if not q.key.startswith("new W"):  # a new weight feeds no later answer: no departure for others
            departed = np.where((verdict != 0) & (departed < 0), position, departed)
    if rounded is not None:
        _rounding_carried(values, columns, rounded, tolerance)
    names = [q.name for q, _ in values]
    worth = [float((points or {}).get(name, 1.0)) for name in names]
    reports = []
    for m, sheet in enumerate(sheets):
        graded = []
        for position, (a, (verdict, first, recomputed, found, expected, slip)) in enumerate(zip(sheet.answers, columns)):
            v = VERDICTS[verdict[m]]
            score = worth[position] if v == CORRECT else (worth[position] * partial if v == CARRIED else 0.0)
            graded.append(Graded(
                names[position], values[position][1][..., m], expected[..., m], recomputed[..., m] if found[m] else None, v,
                names[first[m]] if first[m] >= 0 else None, worth[position], score, a.line, carry_forward,
                slip[m],
            ))
        reports.append(Report(sheet.source, sheet.student, tuple(graded)))
    return reports


def _member_slip(slip: Slip, m: int, notation) -> Slip:
    """A slip as one member's verdict names it: its value that member's, its words in the
    problem's notation (z1 for alpha1 in Wx+b)."""
    return replace(slip, value=slip.value[..., m], explanation=notation.write(slip.explanation), formula=notation.write(slip.formula))


def _rounding_carried(values, columns, rounded, tolerance: Tolerance) -> None:
    """Name "rounding carried" on each wrong answer that no other slip explains and that a
    hand-rounded chain gives (within tolerance of it): every intermediate rounded, as by hand, and
    carried on. The verdict stays wrong (the rounding took the answer outside the tolerance); an
    answer within the tolerance of the key is never named so: rounding that stays within the
    tolerance is no mistake. The chains are solved only for the members that need them."""
    unexplained = {}
    for position, ((q, answer), (verdict, _, _, _, _, slip)) in enumerate(zip(values, columns)):
        if answer.shape[:-1] == q.shape:
            members = [m for m, (v, s) in enumerate(zip(verdict, slip)) if v == 2 and s is None]
            if members:
                unexplained[position] = members
    if not unexplained:
        return
    positions = sorted(set().union(*unexplained.values()))
    chains = rounded(np.asarray(positions))
    at = {m: k for k, m in enumerate(positions)}
    for position, members in unexplained.items():
        q, answer = values[position]
        slip = columns[position][5]
        for found, (_, chain) in zip(rounding_slips(chains, q.base), chains):
            value = np.asarray(found.value, dtype=np.float64)[q.index]
            if value.shape != q.shape + (len(positions),):  # (a weight's shape: no member axis)
                continue
            take = [at[m] for m in members]
            scale = scale_of(chain, q.base, q.index, value)  # (the chain's own step or size, as the key's)
            close = tolerance.close(answer[..., members], value[..., take], None if scale is None else scale[..., take])
            for m, k, hit in zip(members, take, close):
                if hit and slip[m] is None:
                    slip[m] = replace(found, value=found.value[..., k])


def _slips_hit(slips, q: Quantity, answer: np.ndarray, expected: np.ndarray, own, correct, carried, close) -> np.ndarray:
    """For each member (last axis of answer), which of the quantity's slips (slips_of) its
    answer is, as an index into slips, or -1. It is the nearest slip that the answer is
    strictly nearer than the key and than own (what the student's own earlier answers give,
    where known), and that it is within tolerance of (or the answer is close to the key only
    by being nearer the slip). A slip equal to the key tells nothing and is passed over; an
    answer carried forward is the student's own, even where it equals a slip: the mistake was
    made earlier. A slip that does not demote (Slip.demotes) names only an answer outside the
    key's tolerance."""
    count = answer.shape[-1]
    hit = np.full(count, -1)
    axes = tuple(range(answer.ndim - 1))
    with np.errstate(all="ignore"):
        distance = lambda a, b: np.max(np.abs(a - b), axis=axes) if axes else np.abs(a - b)  # noqa: E731
        best = distance(answer, expected)
        size = distance(expected, 0.0)  # each member's largest key element
        if own is not None:
            to_own = distance(answer, own)
            best = np.where(to_own < best, to_own, best)
        for k, slip in enumerate(slips):
            value = np.asarray(slip.value, dtype=np.float64)[q.index]  # each member's, on the last axis
            informative = distance(value, expected) > 1e-12 * size  # a slip that gives the key tells nothing
            to_slip = distance(answer, value)
            taken = informative & (to_slip < best) & ~carried & (close(answer, value) | correct) & (slip.demotes | ~correct)
            hit = np.where(taken, k, hit)
            best = np.where(taken, to_slip, best)
    return hit


def answer_width(key: Solution, q: Quantity, tolerance: Tolerance) -> np.ndarray:
    """How far from the key an answer to q may be (Tolerance.width on the quantity's scale):
    what a quiz's numerical answer allows, by the rule check grades with."""
    value = Catalog(key.problem).value(key, q)
    return tolerance.width(value, scale_of(key, q.base, q.index, value))


def asked_elements(problem: Problem, asked: Sequence[Quantity]) -> dict[str, np.ndarray]:
    """The asked quantities as base name -> which of its elements are asked (a bool mask)."""
    masks: dict[str, np.ndarray] = {}
    for q in asked:
        mask = masks.setdefault(q.base, np.zeros(base_shape(problem, q.base), dtype=bool))
        mask[q.index] = True
    return masks


def slip_clashes(keys: Solution, masks: Mapping[str, np.ndarray], tolerance: Tolerance) -> list[Optional[str]]:
    """For each member of keys (solution.Work.members: many variants' keys, the members on the
    last axis), why answers to the asked elements (asked_elements) could not be told from a known
    slip at this tolerance (a slip within the tolerance of the key), or None: `new` draws such a
    variant again."""
    reasons: list[Optional[str]] = [None] * np.shape(keys.loss)[-1]
    for base, mask in masks.items():
        value = np.asarray(base_value(keys, base))
        if base.startswith("shape W"):  # (the same for every member: given their axis, as the slips have it)
            value = value[..., None]
        width = tolerance.width(value, scale_of(keys, base, (), value))
        axes = tuple(range(value.ndim - 1))
        for slip in slips_of(keys, base):
            apart = np.abs(np.asarray(slip.value, dtype=np.float64) - value)
            differs = apart > 1e-12 * np.abs(value)  # (a slip that gives the key is passed over in grading)
            for k in np.flatnonzero(np.any(mask[..., None] & differs & (apart <= width), axis=axes)):
                reasons[k] = reasons[k] or f"an answer within tolerance of a slip ({slip.name})"
    return reasons


def _groups(problem: Problem, sheets: Sequence[Sheet]) -> tuple[dict, dict]:
    """The sheets that answer the same quantities (in the same shapes): signature -> their
    positions; and each group's answers: signature -> [(quantity, values)], the values in the
    quantity's shape, then one entry per member of the group."""
    groups: dict[tuple, list[int]] = {}
    for n, sheet in enumerate(sheets):
        groups.setdefault(tuple((a.quantity.name, np.shape(a.value)) for a in sheet.answers), []).append(n)
    answers = {}
    for signature, rows in groups.items():
        members = [sheets[n] for n in rows]
        answers[signature] = [
            (a.quantity, np.stack([_as_answer(problem, a.quantity, sheet.answers[p].value) for sheet in members], axis=-1))
            for p, a in enumerate(members[0].answers)
        ]
    return groups, answers


def stacked_overrides(problem: Problem, sheets: Sequence[Sheet]) -> Optional[dict[str, np.ndarray]]:
    """Every sheet's overridable answers as solve()'s given, stacked: whole arrays with a leading
    axis of sheets, NaN where a sheet gives nothing (None when no sheet gives anything)."""
    return _given(problem, *_groups(problem, sheets), len(sheets))


def _given(problem: Problem, groups: dict, answers: dict, count: int) -> Optional[dict[str, np.ndarray]]:
    """stacked_overrides() from the sheets' groups (_groups)."""
    given: dict[str, np.ndarray] = {}
    for signature, rows in groups.items():
        for q, values in answers[signature]:
            if not q.overridable:
                continue
            base = network_name(problem, q.base)
            if base not in given:
                given[base] = np.full((count,) + base_shape(problem, q.base), np.nan)
            target = given[base]
            members = np.asarray(rows)
            if _whole(q) and q.index:  # a whole W (or b) as a convention writes it: read out by index arrays
                members = members.reshape((-1,) + (1,) * np.ndim(q.index[-1]))
            slot = (members,) + q.index
            target[slot] = np.moveaxis(values, -1, 0).reshape(target[slot].shape)
    return given or None


def student_states(problem: Problem, sheets: Sequence[Sheet]) -> list[Solution]:
    """student_state() of every sheet, computed as one stack."""
    given = stacked_overrides(problem, sheets)
    with np.errstate(all="ignore"):
        if not given:
            return [solve(problem, finite=False)] * len(sheets)
        return solve_stack(problem, given, len(sheets))


def _as_answer(problem: Problem, q: Quantity, value: np.ndarray) -> np.ndarray:
    """A softmax class may be answered as its output number (2) rather than one-hot."""
    if value.shape == q.shape and value.dtype == np.float64 and q.base != "prediction":
        return value
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


def recomputations(catalog: Catalog, state: Solution, gave: Mapping[str, np.ndarray], q: Quantity, answered: Mapping[str, np.ndarray], problem: Problem) -> list:
    """Every value the answer to q follows from the students' own earlier answers, for every
    member of state (Work.members: the members on the last axis); gave tells which members gave
    each given quantity, answered holds the group's answers (members on the last axis). One
    value, except for a weight's derivative (and so its update), which a student may work by
    the chain rule, from their factors, or from their delta (input times delta): either is
    their own working."""
    if q.base.startswith("shape") or q.base.startswith("W"):
        return []  # given by the problem, not computed
    if problem.batch is not None:  # a batch's: only a new weight follows from an earlier answer, its dl/dW
        return _batch_new_weights(state, q, answered, problem) if q.base.startswith("new W") else []
    if q.base.startswith("new W"):
        return _new_weights(catalog, state, gave, q, answered, problem)
    if q.base.startswith("dl/dW") and not _whole(q):
        return _gradients(state, gave, q, answered, problem)
    return [_before_given(catalog.value(state, q), state, gave, q, problem)]


def _batch_new_weights(state: Solution, q: Quantity, answered: Mapping[str, np.ndarray], problem: Problem) -> list:
    """A batch's new weight from the student's own dl/dW of the batch, where they gave it:
    W - lambda dl/dW (as _new_weights, without a chain rule to recompute it from)."""
    if _whole(q):
        return []
    layer, i, j = _weight_position(problem, q)
    W = state.layers[layer - 1].W[q.index]
    if problem.bias and i == 0 and not problem.train_bias:
        return [np.asarray(W)]
    grad_name = f"dl/dW{layer}[{i},{j}]"
    if grad_name in answered:
        gradient = answered[grad_name].reshape(-1)
    elif f"dl/dW{layer}" in answered:
        gradient = answered[f"dl/dW{layer}"][q.index]
    else:
        return []
    return [updated_weight(problem, state.problem.learning_rate, layer, i, q.index, W, gradient)]


def updated_weight(problem: Problem, learning_rate, layer: int, i: int, index, W, gradient):
    """A new weight from a student's own derivative: W - lambda dl/dW, or the problem's
    optimizer's step from its state (optimizers.new_weight)."""
    if problem.optimizer is None:
        return W - learning_rate * gradient
    from .optimizers import new_weight

    decayed = not (problem.bias and i == 0 and not problem.decay_bias)
    return new_weight(problem.optimizer, learning_rate, W, gradient, problem.state, layer, index, decayed)


def _before_given(value: np.ndarray, state: Solution, gave: Mapping[str, np.ndarray], q: Quantity, problem: Problem) -> np.ndarray:
    """value, but for the members that gave q's quantity: what it computes to before theirs."""
    name = network_name(problem, q.base)
    if name not in state.computed:
        return value
    return np.where(gave[name], np.asarray(state.computed[name])[q.index], value)


def _whole(q: Quantity) -> bool:
    """A whole matrix or vector of weights (dl/dW2, new b2), not one weight."""
    return not all(isinstance(i, int) for i in q.index) or q.index == ()


def _weight_position(problem: Problem, q: Quantity) -> tuple[int, int, int]:
    """(layer, i, j) of the weight an element of dl/dW or new W names."""
    layer = int(q.base.rsplit("W", 1)[1])
    r, c = q.index
    return layer, r + (0 if problem.bias else 1), c + 1


def _gradients(state: Solution, gave: Mapping[str, np.ndarray], q: Quantity, answered: Mapping[str, np.ndarray], problem: Problem) -> list:
    """dl/dW[i,j] from the students: the product of their chain-rule factors where they gave any,
    and from their deltas (the state's backpropagation)."""
    layer, i, j = _weight_position(problem, q)
    found = [_before_given(np.asarray(state.layers[layer - 1].grad_W)[q.index], state, gave, q, problem)]
    paths = chain.factor_paths(state, layer, i, j, number=np.asarray)
    if any(f.symbol in answered for path in paths for f in path):
        total = 0.0
        for path in paths:
            product = 1.0
            for f in path:
                a = answered.get(f.symbol)
                product = product * (a.reshape(-1) if a is not None and a.shape[:-1] in ((), (1,)) else f.value)
            total = total + product
        found.insert(0, total)
    return found


def _new_weights(catalog: Catalog, state: Solution, gave: Mapping[str, np.ndarray], q: Quantity, answered: Mapping[str, np.ndarray], problem: Problem) -> list:
    """W - lambda dl/dW with the students' own dl/dW (given, or recomputed from their answers)."""
    if _whole(q):
        return [np.asarray(state.layers[int(q.base.rsplit("W", 1)[1]) - 1].updated_W)[q.index]]
    layer, i, j = _weight_position(problem, q)
    W = state.layers[layer - 1].W[q.index]  # each member's own weight and learning rate (Work.members)
    if problem.bias and i == 0 and not problem.train_bias:
        return [np.asarray(W)]
    grad_name = f"dl/dW{layer}[{i},{j}]"
    if grad_name in answered:
        gradients = [answered[grad_name].reshape(-1)]
    elif f"dl/dW{layer}" in answered:
        gradients = [answered[f"dl/dW{layer}"][q.index]]
    else:
        gradients = _gradients(state, gave, catalog.by_key[grad_name], answered, problem)
    return [updated_weight(problem, state.problem.learning_rate, layer, i, q.index, W, g) for g in gradients]
