"""Problem variants for a class: seeded draws of hand-workable numbers, degenerate ones rejected.

Pure: a seed and a shape in, Problems out. Numbers are small integers (or one-decimal
numbers) so that a student can work them by hand; a draw is rejected when it teaches nothing
or cannot be graded: every ReLU of a layer dead, a zero gradient, a gradient so small (a
saturated sigmoid) that it rounds away, a tie in the predicted class, or a repeat. A batch
(batch: mean|sum) keeps its examples, each drawn as one problem's x and y: the rules hold for
each example's forward pass and for the batch's combined gradient, which is what its sheet
asks, and no two examples have the same x.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Callable, Optional

import numpy as np

from .problem import Problem
from .solution import Solution, Work, solve_batch, stack_problems

LEARNING_RATES = (0.1, 0.5, 1.0, 2.0)
MIN_GRADIENT = 1e-6  # below this a gradient asked for is lost to rounding by hand
MAX_DRAWS_PER_VARIANT = 1000


@dataclass(frozen=True)
class Shape:
    """What every variant keeps: the sizes, activations, loss and the problem's switches."""

    sizes: tuple[int, ...]  # n_0 (inputs), hidden sizes, n_L (outputs)
    activations: tuple[str, ...]
    loss: str
    bias: bool = True
    train_bias: bool = True
    threshold: float = 0.5
    decimals: int = 0  # 0: integers; 1: numbers with one decimal
    learning_rate: Optional[float] = None  # None: drawn from LEARNING_RATES
    title: str = "Neural network"
    class_label: bool = False  # softmax labels written as a class number (y: 2), as the problem gave its own
    update: bool = True  # False: no learning rate, so no update (as the problem had none)
    convention: str = "bias-row"  # how the variants write their weights (notation.CONVENTIONS), as the problem did
    symbols: tuple[tuple[str, str], ...] = ()  # and the symbols it renamed
    # the update rule, as the problem gave it (issue 19): its optimizer, l2, decay_bias and the
    # optimizer's state before the step (a "second step" question keeps the state it gives)
    optimizer: Optional[object] = None
    l2: float = 0.0
    decay_bias: bool = False
    state: Optional[object] = None
    shared_bias: bool = False  # bias: shared: one bias per layer (row 0 of each W, every entry equal)
    batch: Optional[str] = None  # batch: mean|sum: one update from `examples` examples, each drawn
    examples: int = 0  # how many examples a batch has (0: one x and y)

    @classmethod
    def of(cls, problem: Problem) -> "Shape":
        """The shape and style of an existing problem (--from)."""
        batch = problem.batch is not None
        inputs = [x for x, _ in problem.examples] if batch else [problem.x]
        numbers = np.concatenate([x.ravel() for x in inputs] + [W.ravel() for W in problem.weights])
        decimals = 0 if np.all(numbers == np.round(numbers)) else 1
        classes = problem.example_classes if batch else (problem.label_class,)
        return cls(
            problem.sizes, problem.activations, problem.loss, problem.bias, problem.train_bias,
            problem.threshold, decimals, problem.learning_rate, problem.title or "Neural network",
            class_label=any(k is not None for k in classes), update=problem.updates,
            convention=problem.convention, symbols=problem.symbols,
            optimizer=problem.optimizer, l2=problem.l2, decay_bias=problem.decay_bias, state=problem.state,
            shared_bias=problem.shared_bias, batch=problem.batch, examples=len(problem.examples) if batch else 0,
        )


class TooManyRejections(Exception):
    def __init__(self, made: int, rejected: Counter):
        super().__init__(f"only {made} variants after {sum(rejected.values())} rejected draws")
        self.made = made
        self.rejected = rejected


def _numbers(rng: np.random.Generator, size, high: int, decimals: int) -> np.ndarray:
    """Integers from -high to high, or with decimals=1 tenths, never 0: a zero input or weight
    makes a zero gradient, which a variant must not have."""
    scale = 10**decimals
    magnitude = rng.integers(1, high * scale + 1, size=size)
    sign = _SIGNS[rng.integers(0, 2, size=size, dtype=np.int64)]  # rng.choice([-1, 1], size): the same draws, without choice's checks
    return (sign * magnitude).astype(np.float64) / scale


_SIGNS = np.array([-1, 1])


def _labels(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    K, out = shape.sizes[-1], shape.activations[-1]
    if out == "softmax":
        return np.eye(K)[rng.integers(K)]
    if out == "sigmoid" or shape.loss in ("binary_cross_entropy", "cross_entropy"):
        return rng.integers(0, 2, size=K).astype(np.float64)
    if out == "tanh":
        return rng.choice([-1.0, 1.0], size=K)
    return rng.integers(-3, 4, size=K).astype(np.float64)


def draw(rng: np.random.Generator, shape: Shape, number: int) -> Problem:
    """One variant: x, y, weights and a learning rate a person can work with."""
    sizes, d = shape.sizes, shape.decimals
    xs = _numbers(rng, (shape.examples, sizes[0]), 3, d) if shape.batch else None  # (drawn first, as x is)
    x = xs[0] if shape.batch else _numbers(rng, sizes[0], 3, d)
    weights = tuple(_numbers(rng, (sizes[l] + (1 if shape.bias else 0), sizes[l + 1]), 2, d) for l in range(len(sizes) - 1))
    if shape.bias and shape.shared_bias:  # one bias per layer: the first of row 0, in every column
        weights = tuple(np.vstack([np.full((1, W.shape[1]), W[0, 0]), W[1:]]) for W in weights)
    rate = shape.learning_rate if shape.learning_rate is not None else float(rng.choice(LEARNING_RATES))
    if not shape.update:
        rate = None  # (drawn all the same, so that the other numbers are those of a problem with one)
    y = _labels(rng, shape)
    examples: tuple = ()
    if shape.batch:
        examples = ((x, y),) + tuple((xs[n], _labels(rng, shape)) for n in range(1, shape.examples))
    classes = tuple(int(np.argmax(label)) + 1 for _, label in examples) if shape.class_label else ()
    return Problem(
        x=x, y=y, label_class=int(np.argmax(y)) + 1 if shape.class_label else None, weights=weights, activations=shape.activations, loss=shape.loss,
        examples=examples, example_classes=classes, batch=shape.batch,
        learning_rate=rate, threshold=shape.threshold, bias=shape.bias, train_bias=shape.train_bias, shared_bias=shape.shared_bias,
        title=f"{shape.title}, variant {number:03d}", source=f"variant-{number:03d}.yaml",
        convention=shape.convention, symbols=shape.symbols,
        optimizer=shape.optimizer, l2=shape.l2, decay_bias=shape.decay_bias, state=shape.state,
    )


def degeneracy(solution: Solution) -> Optional[str]:
    """Why a variant teaches nothing or cannot be graded, or None when it is fine."""
    return _dead_relu(solution) or _flat_gradient(s.grad_W for s in solution.layers) or _tie(solution)


def batch_degeneracy(batch) -> Optional[str]:
    """degeneracy() of a batch (solution.Batch): each example's forward pass, the batch's combined
    gradient (what its sheet asks), and no example's x twice (the same example again teaches nothing)."""
    for reason in (*(_dead_relu(s) for s in batch.solutions), _flat_gradient(batch.grads), *(_tie(s) for s in batch.solutions)):
        if reason:
            return reason
    inputs = {x.tobytes() for x, _ in batch.problem.examples}
    return "two examples with the same x" if len(inputs) < len(batch.problem.examples) else None


def _dead_relu(solution: Solution) -> Optional[str]:
    for s in solution.layers:
        if s.activation == "relu" and np.all(s.alpha <= 0):
            return f"every ReLU of layer {s.layer} dead"
    return None


def _flat_gradient(grads) -> Optional[str]:
    gradients = np.abs(np.concatenate([np.ravel(g) for g in grads]))
    if np.any(gradients == 0):
        return "a zero gradient"
    if np.any(gradients < MIN_GRADIENT):
        return f"a gradient below {MIN_GRADIENT:g} (a saturated sigmoid)"
    return None


def _tie(solution: Solution) -> Optional[str]:
    p, y_hat = solution.problem, solution.y_hat
    if p.activations[-1] == "softmax":
        if np.sum(y_hat == np.max(y_hat)) > 1:
            return "a tie in the predicted class"
    elif np.any(y_hat == p.threshold):
        return "a tie in the predicted class"
    return None


def _fingerprint(problem: Problem) -> bytes:
    arrays = (problem.x, problem.y, *problem.weights, *(a for example in problem.examples for a in example))
    return b"".join(a.tobytes() for a in arrays) + repr(problem.learning_rate).encode()


def generate(shape: Shape, count: int, seed: int) -> tuple[list[Problem], Counter]:
    """count distinct, non-degenerate variants, the same for the same seed; and the reasons for
    each rejected draw."""
    problems, _, rejected = generate_solved(shape, count, seed)
    return problems, rejected


def generate_solved(
    shape: Shape, count: int, seed: int, judge: Optional[Callable[[Problem, Solution], list[Optional[str]]]] = None
) -> tuple[list[Problem], list[Solution], Counter]:
    """generate(), with each variant's solution. Draws are solved a batch at a time, as one
    stacked computation, and judged in the order drawn: the same variants as one at a time.
    judge(first draw, the batch's keys as solution.Work.members) gives each draw of a batch one
    more reason to draw again (grading.slip_clashes: answers a tolerance could not tell from a
    slip), or None."""
    rng = np.random.default_rng(seed)
    solutions: list[Solution] = []
    made: list[Problem] = []
    seen: set[bytes] = set()
    rejected: Counter = Counter()
    while len(made) < count:
        if sum(rejected.values()) > MAX_DRAWS_PER_VARIANT * count:
            raise TooManyRejections(len(made), rejected)
        batch = [draw(rng, shape, 0) for _ in range(min(4096, max(16, int((count - len(made)) * 1.2))))]
        with np.errstate(all="ignore"):
            if shape.batch:  # a batch problem's key is its examples' combined (solve_batch), one draw at a time
                batches = [solve_batch(problem) for problem in batch]
                solved = [b.as_solution() for b in batches]
                degenerate = [batch_degeneracy(b) for b in batches]
                clashes = [judge(problem, _one_member(key))[0] for problem, key in zip(batch, solved)] if judge else [None] * len(batch)
            else:
                work = Work(stack_problems(batch), None, None)
                solved = [work.solution((k,), False) for k in range(len(batch))]
                degenerate = [None] * len(batch)  # (judged below, in the order drawn)
                clashes = judge(batch[0], work.members(np.arange(len(batch)))) if judge else [None] * len(batch)
        for problem, solution, clash, broken in zip(batch, solved, clashes, degenerate):
            if len(made) == count:
                break  # the rest of the batch is never judged: as if never drawn
            key = _fingerprint(problem)
            reason = "a repeat of an earlier variant" if key in seen else (broken if shape.batch else degeneracy(solution)) or clash
            if reason:
                rejected[reason] += 1
                continue
            number = len(made) + 1
            problem = replace(problem, title=f"{shape.title}, variant {number:03d}", source=f"variant-{number:03d}.yaml")
            seen.add(key)
            made.append(problem)
            solutions.append(replace(solution, problem=problem))
    return made, solutions, rejected


def _one_member(key: Solution) -> Solution:
    """One key as the keys of one member (solution.Work.members' form), as a judge takes them."""
    from .grading import _broadcast  # (how check grades a batch's sheets against its one key)

    return _broadcast(key, 1)

def default_questions(problem: Problem) -> list[str]:
    """The worksheet's questions for a problem of any shape: each alpha and beta, y_hat, the loss,
    then the derivative and the update of the weight it asks about in the last and first layers
    (W2[1,1] and W1[2,1] in the worksheet)."""
    from .quantities import Catalog

    catalog = Catalog(problem)
    names = []
    for q in catalog.quantities:
        if q.base.startswith(("alpha", "beta")) or q.base in ("y_hat", "loss"):
            if q.shape in ((), (1,)) or (q.index != () and q.listed is False):
                names.append(q.name)
    L, r0 = problem.n_layers, 0 if problem.bias else 1
    first = f"W1[{problem.weights[0].shape[0] - 1 + r0},1]"
    last = f"W{L}[1,1]" if L > 1 else None
    for w in filter(None, (last, first)):
        keys = [f"dl/d{w}", f"new {w}"] if problem.updates else [f"dl/d{w}"]
        names += [catalog.by_key[key].name for key in keys]  # in the problem's notation (dL/dW2[1,1], new b1[2])
    return list(dict.fromkeys(names))


def clash_judge(questions, rtol: float, atol: float):
    """A variant is drawn again when an answer it asks (--questions, or the worksheet's) could
    not be told from a known slip at the quizzes' and check's tolerance (grading.slip_clashes),
    judged for a batch of variants' keys at once."""
    from .grading import Tolerance, asked_elements, slip_clashes
    from .quantities import Catalog

    tolerance = Tolerance(rtol, atol)
    masks: dict = {}  # what is asked, found once: every variant has the first one's shape

    def judge(first, keys):
        if not masks:
            catalog = Catalog(first)
            names = [n.strip() for n in questions.split(",")] if questions else default_questions(first)
            asked = [q for q in map(catalog.find, names) if q is not None]  # (unknown names are refused later)
            masks.update(asked_elements(first, asked))
        return slip_clashes(keys, masks, tolerance)

    return judge
