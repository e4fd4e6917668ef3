"""A tutoring session: the worksheet's questions one at a time, each answer graded as it is
typed, by the same code as `nnsolve check` (grading.grade on the sheet so far, so a wrong answer
carries forward and a slip is named), with hints before the answer: the numbers the student's
own where their earlier answers give the question another value than the key (Session.own).

No input or output here: cli/tutor.py asks and prints. The session's answers are an answer
sheet (sheet_text) that `nnsolve check` grades identically; a shown answer is not an answer
(it is kept as a comment, so the sheet does not score for it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple, Optional

import numpy as np

from . import chain
from .grading import CARRIED, CORRECT, Graded, Tolerance, grade, student_states
from .notation import Notation
from .problem import Problem
from .quantities import Catalog, Quantity
from .sheet import Answer, Sheet
from .slips import scale_of
from .solution import Solution, solve

SHOWN = "# shown: "  # a sheet's comment line for an answer the tutor showed
TRIES = ("after a hint", "after a miss")  # a saved answer's comment: how it came right, kept for --resume's summary


class Own(NamedTuple):
    """A question worked from the student's own earlier answers, where that is not the key."""

    value: np.ndarray  # the question's value from their answers: what the tutor accepts as carried forward
    state: Solution  # the problem solved with their answers in place of the computed values (grading.student_states)
    sources: tuple[tuple[str, np.ndarray], ...]  # (name, their value) of each answer of theirs it follows from


def questions(problem: Problem, catalog: Catalog, key: Solution, everything: bool = False) -> list[Quantity]:
    """What the session asks, in the worksheet's order: the shapes, alpha, beta and y_hat layer by
    layer, the class, the loss, then for each weight the worksheet asks about (the last layer's
    first, then the first layer's: W2[1,1] and W1[2,1]) every chain-rule factor not yet asked, its
    derivative and its update. everything: every name of the blank sheet (check --template)."""
    if everything:
        return [catalog.by_name[name] for name in catalog.names()]
    asked = [q for q in catalog.quantities if q.listed and (q.base.startswith(("shape", "alpha", "beta")) or q.base in ("y_hat", "prediction", "loss"))]
    L, r0 = problem.n_layers, 0 if problem.bias else 1
    weights = ([(L, r0 + 1, 1)] if L > 1 else []) + [(1, problem.weights[0].shape[0] - 1 + r0, 1)]
    for layer, i, j in weights:
        for path in chain.factor_paths(key, layer, i, j):
            for factor in path:
                q = catalog.by_key.get(factor.symbol)
                if q is not None and q not in asked and q.shape in ((), (1,)):
                    asked.append(q)
        w = f"W{layer}[{i},{j}]"
        for name in (f"dl/d{w}", f"new {w}"):
            if name in catalog.by_key and catalog.by_key[name] not in asked:
                asked.append(catalog.by_key[name])
    return asked


@dataclass
class Session:
    """One student's way through the questions: their answers so far, the hints they took, the
    answers shown, and how each question went."""

    problem: Problem
    tolerance: Tolerance = field(default_factory=Tolerance)
    everything: bool = False
    student: Optional[str] = None

    def __post_init__(self):
        self.catalog = Catalog(self.problem)
        self.key = solve(self.problem)
        self.notation = Notation.of(self.problem)
        self.asked = questions(self.problem, self.catalog, self.key, self.everything)
        self.answers: dict[str, np.ndarray] = {}  # by the quantity's name, as typed
        self.shown: set[str] = set()
        self.hints: dict[str, int] = {}  # how many hints each question took
        self.misses: dict[str, int] = {}  # wrong answers before the last
        self.outcome: dict[str, str] = {}  # "first", "after a hint", "after a miss", "shown", "wrong"
        self._hint_texts = _hints(self.key, self.catalog, self.asked)

    # -- asking ------------------------------------------------------------------------------

    def next_open(self, start: int = 0) -> Optional[int]:
        """The first question from start that is neither answered right nor shown."""
        for k in range(start, len(self.asked)):
            name = self.asked[k].name
            if name not in self.shown and self.outcome.get(name) not in ("first", "after a hint", "after a miss"):
                return k
        return None

    def answer(self, q: Quantity, value: np.ndarray) -> Graded:
        """Grade value as the answer to q, with every answer before it (grading.grade)."""
        self.answers[q.name] = value
        self.shown.discard(q.name)
        graded = self.grade()
        result = next(g for g in graded.graded if g.quantity == q.name)
        right = result.verdict in (CORRECT, CARRIED)
        if right:
            if self.misses.get(q.name):
                self.outcome[q.name] = "after a miss" if not self.hints.get(q.name) else "after a hint"
            else:
                self.outcome[q.name] = "after a hint" if self.hints.get(q.name) else "first"
        else:
            self.misses[q.name] = self.misses.get(q.name, 0) + 1
            self.outcome[q.name] = "wrong"
        return result

    def grade(self):
        """grading.grade of the sheet so far."""
        return grade(self.problem, self.sheet(), self.tolerance)

    def came_right(self, q: Quantity, tries: str) -> None:
        """A resumed answer that was right before, as it came right then (tries_in)."""
        if self.outcome.get(q.name) in ("first", "after a hint", "after a miss"):
            self.outcome[q.name] = tries
            (self.hints if tries == "after a hint" else self.misses)[q.name] = 1

    def show(self, q: Quantity) -> np.ndarray:
        """The key's value, marked shown: the sheet no longer answers it."""
        self.answers.pop(q.name, None)
        self.shown.add(q.name)
        self.outcome[q.name] = "shown"
        return self.catalog.value(self.key, q)

    def hint(self, q: Quantity) -> Optional[str]:
        """The next hint for q (the formula, then the formula with the numbers), in nnsolve's ASCII
        math in the problem's notation; None when there is none left. Where q worked from the
        student's own earlier answers is not the key (own), the numbers are theirs, and the hint
        says which answers they come from: it leads to the value the tutor accepts as carried
        forward, not to the key."""
        texts = self._hint_texts.get(q.key, ())
        n = self.hints.get(q.name, 0)
        if n >= len(texts):
            return None
        self.hints[q.name] = n + 1
        if n == 1:
            mine = self.own(q)
            if mine is not None:
                numbers = _hints(mine.state, self.catalog, self.asked).get(q.key, ())
                if len(numbers) == 2:
                    return f"{from_your(mine)}: {self.notation.write(numbers[1])}"
        return self.notation.write(texts[n])

    def own(self, q: Quantity) -> Optional[Own]:
        """q worked from the student's own answers to the other questions, as check recomputes it
        "from your answers" (grading.student_states: their answers in place of the computed values,
        as run --given solves), where that is off the key by the tolerance grading judges it with
        (and finite); else None. Its sources are the answers that move it: each one's value put
        back to the key's changes q."""
        answers = [a for a in self.sheet().answers if a.quantity.name != q.name]
        given = [a for a in answers if a.quantity.overridable]
        if not given:
            return None
        sheets = [Sheet("<tutor>", None, tuple(answers))]
        for a in given:  # the same answers with a's put back to the key's
            keyed = Answer(a.quantity, np.asarray(self.catalog.value(self.key, a.quantity), dtype=np.float64).reshape(np.shape(a.value)), a.line)
            sheets.append(Sheet("<tutor>", None, tuple(keyed if b is a else b for b in answers)))
        states = student_states(self.problem, sheets)
        value = np.asarray(self.catalog.value(states[0], q), dtype=np.float64)
        key = np.asarray(self.catalog.value(self.key, q), dtype=np.float64)
        scale = scale_of(self.key, q.base, q.index, key[..., None])
        if not np.all(np.isfinite(value)) or self.tolerance.close(value[..., None], key[..., None], scale)[0]:
            return None
        sources = tuple(
            (a.quantity.name, a.value) for a, state in zip(given, states[1:])
            if not np.allclose(np.asarray(self.catalog.value(state, q), dtype=np.float64), value, rtol=1e-12, atol=0, equal_nan=True)
        )
        return Own(value, states[0], sources)

    # -- the sheet ---------------------------------------------------------------------------

    def sheet(self) -> Sheet:
        """The answers so far as an answer sheet, in the catalog's order."""
        answers = []
        for q in sorted((self.catalog.by_name[n] for n in self.answers), key=lambda q: q.order):
            value = np.asarray(self.answers[q.name], dtype=np.float64)
            if value.size == int(np.prod(q.shape)) and q.shape not in ((), (1,)):
                value = value.reshape(q.shape)
            elif value.size == 1 and q.shape in ((), (1,)):
                value = np.asarray(float(value.flat[0]))
            answers.append(Answer(q, value, 0))
        return Sheet("<tutor>", self.student, tuple(answers))

    def summary(self) -> dict[str, list[str]]:
        """Each question's name under how it went: first, after a hint, after a miss, shown,
        wrong (answered, never right), open (not answered)."""
        found: dict[str, list[str]] = {k: [] for k in ("first", "after a hint", "after a miss", "shown", "wrong", "open")}
        for q in self.asked:
            found[self.outcome.get(q.name, "open")].append(q.name)
        return found

    def all_right(self) -> bool:
        return all(self.outcome.get(q.name) in ("first", "after a hint", "after a miss") for q in self.asked)


def sheet_text(session: Session, problem_name: Optional[str]) -> str:
    """The session as an answer sheet nnsolve check reads: the answers, the shown ones as comments."""
    from .render.problem_file import number

    lines = ["# a session of nnsolve tutor; nnsolve check grades it as the tutor did"]
    if problem_name:
        lines.append(f"problem: {problem_name}")
    if session.student:
        lines.append(f"student: {_quoted(session.student)}")
    for q in session.asked:
        if q.name in session.answers:
            value = np.asarray(session.answers[q.name], dtype=np.float64)
            one = value.size == 1 and q.shape in ((), (1,))  # a number, as typed (alpha2: -2, not [-2])
            text = number(value.flat[0]) if one else "[" + ", ".join(number(v) for v in value.ravel()) + "]"
            tries = session.outcome.get(q.name)
            lines.append(f"{_key(q.name)}: {text}" + (f"  # {tries}" if tries in TRIES else ""))
        elif q.name in session.shown:
            lines.append(f"{SHOWN}{q.name}")
    return "\n".join(lines) + "\n"


def tries_in(text: str, line: int) -> Optional[str]:
    """How a saved answer on line (from 1) came right, from its comment: "after a hint", "after a
    miss", or None (first time, or a sheet not saved by the tutor)."""
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return None
    return next((tries for tries in TRIES if lines[line - 1].rstrip().endswith(f"# {tries}")), None)


def shown_in(text: str) -> list[str]:
    """The names a saved session marks shown."""
    return [line[len(SHOWN):].strip() for line in text.splitlines() if line.startswith(SHOWN)]


def from_your(own: Own) -> str:
    """Where own's numbers come from, in the problem's notation: "from your beta1 = [0.6, 0.9]"."""
    if not own.sources:
        return "from your answers"
    return "from your " + ", ".join(f"{name} = {written(value)}" for name, value in own.sources)


def written(value) -> str:
    """A number, a vector or a matrix as the tutor writes it (8 decimals where not exact)."""
    from .render.numbers import fmt

    value = np.asarray(value, dtype=float)
    if value.size == 1:
        return fmt(float(value.flat[0]), 8)
    if value.ndim == 1:
        return "[" + ", ".join(fmt(float(v), 8) for v in value) + "]"
    return "[" + ", ".join("[" + ", ".join(fmt(float(v), 8) for v in row) + "]" for row in value) + "]"


def _key(name: str) -> str:
    """A name as a YAML key: quoted where YAML would read it otherwise (none of ours need it)."""
    return f'"{name}"' if re.search(r"[:#{}&*!|>'\"%@`]|^[-?]", name) else name


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- hints --------------------------------------------------------------------------------------


def _hints(key: Solution, catalog: Catalog, asked) -> dict[str, tuple[str, ...]]:
    """For each asked quantity (by nnsolve's own name): the formula, then the formula with the
    numbers of key (the key, or a student's state: Session.own), read off its worked solution
    (render/document.py builds it: the tutor shows what `nnsolve run` would, or `run --given`)."""
    from .network import LOSSES
    from .quantities import split_base
    from .render.document import Equations, SolutionDocument, Table

    p = key.problem
    builder = SolutionDocument(key, 8)
    worked: dict[str, str] = {}
    for block in builder.build().blocks:
        if isinstance(block, Equations):
            for line in block.lines:
                if line and line[0] and len(line) > 2:
                    worked.setdefault(line[0], " = ".join(line[:-1]))
        elif isinstance(block, Table) and block.title and block.title[0].startswith("Layer "):
            for row in block.rows:
                name = row[0].text
                worked[f"dl/d{name}"] = f"dl/d{name} = input * delta = {row[2].text}"
                if len(row) > 4 and p.optimizer is None:  # (an optimizer's step is its own working's, above)
                    gradient = row[3].split(" ")[0]
                    worked[f"new {name}"] = f"new {name} = {name} - lambda dl/d{name} = {row[1]} - ({builder.f(p.learning_rate)})({gradient})"
    hints: dict[str, tuple[str, ...]] = {}
    for q in asked:
        k = q.key
        kind, layer = split_base(q.base)
        if q.base == "y_hat":
            kind, layer = "beta", p.n_layers
        formula = None
        if kind == "shape W":
            formula = f"shape W{layer}: " + ("(inputs of the layer + 1) x (its neurons)" if p.bias and p.convention == "bias-row" else
                                              "(its neurons) x (its inputs)" if p.convention == "Wx+b" else "(its inputs) x (its neurons)")
            n, m = p.weights[layer - 1].shape[0] - (1 if p.bias else 0), p.weights[layer - 1].shape[1]  # the layer's inputs, neurons
            n, m = f"{n} input{'s' * (n != 1)}", f"{m} neuron{'s' * (m != 1)}"
            worked[k] = f"shape W{layer} = " + (f"({n} + 1) x ({m})" if p.bias and p.convention == "bias-row" else
                                                f"({m}) x ({n})" if p.convention == "Wx+b" else f"({n}) x ({m})")
        elif kind == "alpha":
            formula = f"{k} = " + (builder.layer_formula(layer) if q.index == () else f"sum_i W{layer}[i,{q.index[0] + 1}] input_i")
        elif kind == "beta":
            formula = f"{k} = {p.activations[layer - 1]}(alpha{layer})"
        elif kind == "prediction":
            formula = "the output with the largest y_hat" if p.activations[-1] == "softmax" else f"1 if y_hat >= {builder.f(p.threshold)} else 0"
        elif kind == "loss":
            formula = f"l = {LOSSES[p.loss].formula}"
        elif kind == "dl/dW":
            formula = f"{k} = the product of its chain's factors = input_i * delta_j"
        elif kind == "new W" and p.optimizer is not None:
            from .render.optimizer import rule_lines

            formula = f"{k}: {p.optimizer.title}'s step, " + "; ".join(f"{name} = {rule}" for name, rule in rule_lines(p.optimizer))
        elif kind == "new W":
            formula = f"{k} = w - lambda dl/dw"
        elif kind == "delta":
            formula = f"{k} = dl/dalpha{layer}"
        numbers = worked.get("l" if kind == "loss" else k)
        if numbers is None and q.index == () and q.shape and q.shape[0] > 1:  # a vector: its elements' working
            parts = [worked[e.key] for e in catalog.quantities if e.base == q.base and e.index and e.key in worked]
            numbers = "; ".join(parts) or None
        hints[k] = tuple(t for t in (formula, numbers) if t)
    for q in asked:  # the chain rule's factors: their formula, then with the numbers
        if q.base.startswith("dl/dW") and q.index and all(isinstance(i, int) for i in q.index):
            layer = int(q.base[5:])
            for path in chain.factor_paths(key, layer, q.index[0] + (0 if p.bias else 1), q.index[1] + 1):
                for f in path:
                    if len(hints.get(f.symbol, ())) < 2:
                        with_numbers = chain.substitute(f.formula, f.values, builder.f)
                        hints[f.symbol] = (f"{f.symbol} = {f.formula}",) + ((f"{f.symbol} = {with_numbers}",) if with_numbers != f.formula else ())
    return hints
