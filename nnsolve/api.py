"""nnsolve as a Python library (docs/api.md): the objects a notebook or a script uses.

Each is a thin face on the same functions the commands call (problem.py reads, solution.py
solves, chain.py derives, grading.py grades, variant_drawing.py draws, render/formats.py writes), so a
result is the same in Python and on the command line. Results show themselves in Jupyter
(HTML with MathML and the network as SVG; Markdown and LaTeX where a front end prefers them).
"""

from __future__ import annotations

import os
from typing import Any, Optional, Union

import numpy as np

from . import problem as _problem
from .errors import NnsolveError

Number = Union[int, float]


class Problem:
    """A network and its example: x, y, the weights, the activations, the loss, the learning rate.

    Problem(x=[2, 5], y=[1], W1=[[-1, 2], [-2, 1], [1, 4]], W2=[[1], [2], [-4]], learning_rate=2)
    takes what a problem file holds, as Python values, and checks it as a file is checked: the
    same messages (NnsolveError). Keys that are not names (b1 beside W1 in the Wx+b convention)
    are keyword arguments too.
    """

    def __init__(self, **keys: Any):
        import yaml

        values = {k: _plain(v) for k, v in keys.items() if v is not None}
        try:
            self._p = _problem.parse_problem(yaml.safe_dump(values, sort_keys=False), source="Problem(...)")
        except NnsolveError as e:  # the file's message, without a line of a file the caller never wrote
            raise type(e)(e.message, file="Problem(...)", key=e.key, fix=e.fix) from None

    @classmethod
    def _of(cls, internal: _problem.Problem) -> "Problem":
        p = cls.__new__(cls)
        p._p = internal
        return p

    # what the problem holds, as its file gives it
    @property
    def title(self) -> Optional[str]:
        return self._p.title

    @property
    def x(self) -> np.ndarray:
        return self._p.x

    @property
    def y(self) -> np.ndarray:
        return self._p.y

    @property
    def weights(self) -> dict[str, np.ndarray]:
        """W1, W2, ... (and b1, b2, ... in the Wx+b and xW+b conventions) as the problem writes them."""
        from .render.json import weights_dict

        return {k: np.asarray(v) for k, v in weights_dict(self._p, self._p.weights).items()}

    @property
    def learning_rate(self) -> Optional[float]:
        return self._p.learning_rate

    @property
    def activations(self) -> tuple[str, ...]:
        return self._p.activations

    @property
    def loss(self) -> str:
        return self._p.loss

    @property
    def convention(self) -> str:
        return self._p.convention

    def solve(self, round: Optional[int] = None) -> "Solution":
        """Forward pass, loss, backpropagation and update; round=N works it by hand to N decimals."""
        from .solution import solve

        if self._p.examples:
            raise NnsolveError("has several examples (SGD step by step, or a batch): Problem.solve() solves one example",
                               file=self._p.source, fix="use nnsolve run FILE for its steps, or give one x and y")
        rounding = None
        if round is not None:
            from .rounding import Rounding

            rounding = Rounding(round)
        return Solution(solve(self._p, rounding))

    def to_yaml(self) -> str:
        """The problem file's text, as nnsolve writes it (nnsolve convert)."""
        from .render.problem_file import problem_text

        return problem_text(self._p)

    def to_dict(self) -> dict[str, Any]:
        return self._p.as_dict()

    def convert(self, convention: str) -> "Problem":
        """The same network written in another convention: bias-row, Wx+b or xW+b."""
        from dataclasses import replace

        from .notation import convention_named

        found = convention_named(convention)
        if found is None:
            raise NnsolveError(f"unknown convention {convention!r}", fix="use bias-row, Wx+b or xW+b")
        return Problem._of(replace(self._p, convention=found))

    def _repr_html_(self) -> str:
        from .solution import solve

        return Solution(solve(self._p))._html(network_only=True)  # the network: (its first example's) weights

    def __repr__(self) -> str:
        sizes = "-".join(map(str, self._p.sizes))
        return f"<nnsolve.Problem {self._p.title or ''!s} {sizes}, {', '.join(self._p.activations)}, {self._p.loss}>".replace("  ", " ")


class _Result:
    """What Solution, Gradient and Report share: each writes itself in every format the
    commands write (render/formats.py), and shows itself in a notebook."""

    def _document(self, digits: int):
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def _diagram(self) -> Optional[str]:
        return None

    def to(self, format: str, digits: int = 8) -> str:
        """As text, json, markdown, latex or html: what the command's --format writes."""
        from .render.formats import FORMATS, written

        if format not in FORMATS:
            raise NnsolveError(f"unknown format {format!r}", fix=f"use one of {', '.join(FORMATS)}")
        return written(format, lambda: self._document(digits), self.to_dict, diagram=self._diagram)

    def to_text(self, digits: int = 8) -> str:
        return self.to("text", digits)

    def to_json(self) -> str:
        return self.to("json")

    def to_markdown(self, digits: int = 8) -> str:
        return self.to("markdown", digits)

    def to_latex(self, digits: int = 8) -> str:
        return self.to("latex", digits)

    def to_html(self, digits: int = 8) -> str:
        return self.to("html", digits)

    def _repr_html_(self) -> str:
        from .render import html

        return f'<div class="nnsolve">{html.body(self._document(8), self._diagram())}</div>'

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


class Solution(_Result):
    """Every step of one solve: the fields of `nnsolve run --json` (y_hat, prediction, loss,
    gradients, updated, layers), and the worked solution in any format."""

    def __init__(self, solution):
        self._s = solution

    @property
    def problem(self) -> Problem:
        return Problem._of(self._s.problem)

    @property
    def y_hat(self) -> np.ndarray:
        return self._s.y_hat

    @property
    def prediction(self) -> np.ndarray:
        return self._s.prediction

    @property
    def loss(self) -> float:
        return float(self._s.loss)

    @property
    def gradients(self) -> dict[str, np.ndarray]:
        """dl/dW for each weight matrix (and dl/db in Wx+b, xW+b), as the problem's convention writes W."""
        return {k: np.asarray(v) for k, v in self.to_dict()["gradients"].items()}

    @property
    def updated(self) -> Optional[dict[str, np.ndarray]]:
        """The weights after the update; None without a learning rate."""
        data = self.to_dict()["updated"]
        return None if data is None else {k: np.asarray(v) for k, v in data.items()}

    @property
    def layers(self) -> list[dict[str, Any]]:
        """Per layer: layer, activation, input, alpha, beta, derivative, delta (as run --json)."""
        return self.to_dict()["layers"]

    def grad(self, weight: str) -> "Gradient":
        """The chain rule of one weight, named as the problem's convention names it: 'W2[1,1]'."""
        from . import chain

        return Gradient(self._s, chain.weight_gradient(self._s, weight))

    def to_dict(self) -> dict[str, Any]:
        from .render.json import solution_dict

        return solution_dict(self._s)

    def _document(self, digits: int = 8):
        from .render.document import solution_document

        return solution_document(self._s, digits)

    def _diagram(self) -> str:
        from .render.diagram import network_diagram
        from .render.svg import svg

        return svg(network_diagram(self._s))

    def _html(self, network_only: bool = False) -> str:
        from .render import html
        from .render.document import Document, SolutionDocument, in_notation
        from .notation import Notation

        document = self._document()
        if network_only:
            blocks = tuple(SolutionDocument(self._s, 8).network())
            document = in_notation(Document(self._s.problem.title, blocks), Notation.of(self._s.problem))
        return f'<div class="nnsolve">{html.body(document, self._diagram())}</div>'

    def __repr__(self) -> str:
        return f"<nnsolve.Solution loss={self.loss:.8g} y_hat={np.array2string(self.y_hat, precision=8)}>"


class Gradient(_Result):
    """One weight's derivative by the chain rule: value (dl/dw), the weight's own value w, its
    update, and every path of factors from the loss back to it."""

    def __init__(self, solution, gradient):
        self._s, self._g = solution, gradient

    @property
    def weight(self) -> str:
        """Its name, as the problem's convention writes it."""
        from .notation import Notation

        return Notation.of(self._s.problem).write(self._g.weight)

    @property
    def value(self) -> float:
        """dl/dw."""
        return float(self._g.gradient)

    @property
    def w(self) -> float:
        """The weight itself."""
        return float(self._g.value)

    @property
    def updated(self) -> Optional[float]:
        """w - learning_rate dl/dw; None without a learning rate."""
        return None if self._g.updated is None else float(self._g.updated)

    @property
    def paths(self) -> list[list[dict[str, Any]]]:
        """Each path's factors: symbol, formula, value (as grad --json)."""
        return self.to_dict()["paths"]

    def to_dict(self) -> dict[str, Any]:
        from .render.json import grad_dict

        return grad_dict(self._g, self._s.problem)

    def _document(self, digits: int):
        from .render.document import grad_document

        return grad_document(self._s, self._g, digits)

    def __repr__(self) -> str:
        return f"<nnsolve.Gradient {self.weight}: dl/dw = {self.value:.8g}>"


class Report(_Result):
    """A graded answer sheet: the score, and each answer's verdict (as check --json)."""

    def __init__(self, report, tolerance):
        self._r, self._t = report, tolerance

    @property
    def score(self) -> float:
        return self._r.score

    @property
    def max_score(self) -> float:
        return self._r.max_score

    @property
    def verdicts(self) -> dict[str, str]:
        """Each answered quantity's verdict: correct, carried forward or wrong."""
        return {g.quantity: g.verdict for g in self._r.graded}

    @property
    def answers(self) -> list[dict[str, Any]]:
        return self.to_dict()["answers"]

    def to_dict(self) -> dict[str, Any]:
        from .render.json import check_dict

        return check_dict(self._r.sheet, self._r, None, self._t, True)

    def _document(self, digits: int):
        from .render.document import check_document

        return check_document(self._r, self._t, digits)

    def to_json(self) -> str:
        """One line, as check --json writes it."""
        from .render.json import dumps_line

        return dumps_line(self.to_dict())

    def __repr__(self) -> str:
        return f"<nnsolve.Report {self.score:g} of {self.max_score:g}>"


def load(path_or_text: Optional[str] = None) -> Problem:
    """A problem from a file, or from the YAML text itself; None: the built-in worksheet."""
    if path_or_text is None:
        return Problem._of(_problem.load_problem(None))
    if _is_text(path_or_text):
        return Problem._of(_problem.parse_problem(path_or_text, source="<text>"))
    return Problem._of(_problem.load_problem(path_or_text))


def check(sheet: Union[str, dict], problem: Union[Problem, str, None] = None, rtol: float = 0.01, atol: float = 1e-4) -> Report:
    """Grade an answer sheet (a file, its YAML text, or a dict of answers) against a problem
    (a Problem, a file; by default the sheet's problem: line, else the built-in worksheet)."""
    import yaml

    from .grading import Tolerance, grade
    from .quantities import Catalog
    from .sheet import bind, named_problem, parse_raw_sheet, read_raw_sheet

    if isinstance(sheet, dict):
        raw = parse_raw_sheet(yaml.safe_dump({k: _plain(v) for k, v in sheet.items()}, sort_keys=False), "<sheet>")
    elif _is_text(sheet):
        raw = parse_raw_sheet(sheet, "<sheet>")
    else:
        raw = read_raw_sheet(sheet)
    if problem is None:
        problem = named_problem(raw, load)[1] if raw.problem else load(None)
    elif isinstance(problem, str):
        problem = load(problem)
    tolerance = Tolerance(rtol, atol)
    bound = bind(raw, Catalog(problem._p))
    return Report(grade(problem._p, bound, tolerance), tolerance)


def variants(problem: Problem, seed: int, count: int) -> list[Problem]:
    """count new problems of problem's shape, drawn from seed: those `nnsolve new --from FILE
    --seed SEED --count COUNT` writes."""
    from .variant_drawing import Shape, clash_judge, generate_solved

    made, _, _ = generate_solved(Shape.of(problem._p), count, seed, clash_judge(None, 0.01, 1e-4))
    return [Problem._of(p) for p in made]


def _is_text(given: str) -> bool:
    """YAML text rather than a file's name: several lines, or a 'key: value' that names no file
    (a name ending .yaml or .yml is a file's, even a missing one: C:\\p.yaml says 'no such file')."""
    if "\n" in given:
        return True
    return ":" in given and not os.path.exists(given) and not given.lower().endswith((".yaml", ".yml"))


def _plain(value: Any) -> Any:
    """numpy arrays and numbers as the lists and floats YAML writes."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
