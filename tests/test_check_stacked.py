"""grading.grade_many grades a class as arrays (every sheet that answers the same quantities at
once); tests/reference_check.py grades one sheet at a time, plainly. On random sheets of every
problem, with every kind of mistake and every tolerance, the two agree on every verdict, first
departure, score and recomputed value."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest
import yaml

from nnsolve.grading import Tolerance, grade, grade_each, grade_many, overflowing
from nnsolve.errors import ProblemError, SolveError
from nnsolve.problem import load_problem
from nnsolve.quantities import Catalog, network_name
from nnsolve.sheet import bind, parse_raw_sheet
from nnsolve.solution import solve
from conftest import PROBLEM_FILES
from reference_check import reference_grade

TOLERANCES = [Tolerance(), Tolerance(1e-6, 0.0), Tolerance(sig=3)]


def _slipped_state(problem, catalog, key, rng):
    """A student's working from one wrong overridable value, or one rounded to a decimal or two
    (within tolerance, yet what follows may not be): everything after it follows from it."""
    overridable = [q for q in catalog.quantities if q.overridable and q.index == ()]
    q = overridable[int(rng.integers(len(overridable)))]
    value = np.asarray(catalog.value(key, q), dtype=np.float64)
    pick = rng.random()
    if pick < 0.3:  # off by just under the default tolerance: accepted, yet what follows may not be
        wrong = value * (1 + rng.choice([-1, 1]) * 0.0099)
    elif pick < 0.6:
        wrong = np.round(value, int(rng.integers(1, 3)))
    else:
        wrong = value * rng.choice([-1.0, 0.7, 1.3]) + rng.normal(0, 0.2, value.shape)
    with np.errstate(all="ignore"):
        return solve(problem, given={network_name(problem, q.base): wrong}, finite=False), q.name, wrong


def random_sheets(problem, count: int, rng) -> list:
    """Sheets answering random quantities: each answer the key's, a rounded key, the value of a
    working that slipped earlier (carried forward), or a slip of its own."""
    catalog, key = Catalog(problem), solve(problem)
    names = list(catalog.by_name)
    sheets = []
    while len(sheets) < count:
        state, slipped, wrong = _slipped_state(problem, catalog, key, rng)
        chosen = rng.choice(names, size=int(rng.integers(1, min(len(names), 25) + 1)), replace=False)
        if rng.random() < 0.3:  # as many sheets do: the same quantities, only the numbers differ
            chosen = names[: min(len(names), 18)]
        answers = {}
        for name in chosen:
            q = catalog.by_name[name]
            pick = rng.random()
            source = key if pick < 0.45 else state
            value = np.asarray(catalog.value(source, q), dtype=np.float64)
            if 0.45 <= pick < 0.55:
                value = np.round(value, 3)
            elif pick > 0.9:
                value = value * 1.5 + 0.3
            if not np.all(np.isfinite(value)) or np.any(np.abs(value) > 1e300):
                continue
            answers[str(name)] = value.tolist()
        if rng.random() < 0.8 and np.all(np.isfinite(wrong)):  # the slip itself, on the sheet
            answers[slipped] = wrong.tolist()
        text = yaml.safe_dump(answers, default_flow_style=None) if answers else "loss:\n"
        try:
            sheets.append(bind(parse_raw_sheet(text, f"s{len(sheets)}"), catalog))
        except ProblemError:
            continue  # two names of one value: not a sheet bind accepts
    return sheets


def _same(stacked, reference):
    assert stacked.sheet == reference.sheet
    assert [g.quantity for g in stacked.graded] == [g.quantity for g in reference.graded]
    for s, r in zip(stacked.graded, reference.graded):
        where = (reference.sheet, r.quantity)
        assert (s.verdict, s.departure, s.points, s.score, s.line) == (r.verdict, r.departure, r.points, r.score, r.line), where
        assert getattr(s.slip, "name", None) == getattr(r.slip, "name", None), where
        np.testing.assert_array_equal(np.asarray(s.answer), np.asarray(r.answer), err_msg=str(where))
        np.testing.assert_allclose(np.asarray(s.key), np.asarray(r.key), rtol=1e-12, atol=0, err_msg=str(where))
        assert (s.recomputed is None) == (r.recomputed is None), where
        if r.recomputed is not None:
            np.testing.assert_allclose(np.asarray(s.recomputed, dtype=float), np.asarray(r.recomputed, dtype=float), rtol=1e-12, atol=1e-300, err_msg=str(where))


@pytest.mark.parametrize("problem_file", PROBLEM_FILES, ids=lambda p: p.stem)
def test_the_stacked_grading_agrees_with_one_sheet_at_a_time(problem_file):
    problem, sheets = _sheets(problem_file)
    for tolerance in TOLERANCES:
        for carry_forward, partial in ((True, 0.5), (False, 1.0)):
            points = {sheets[0].answers[0].quantity.name: 3.0}
            stacked = grade_many(problem, sheets, tolerance, carry_forward, points, partial)
            for sheet, report in zip(sheets, stacked):
                _same(report, reference_grade(problem, sheet, tolerance, carry_forward, points, partial))
    # the verdicts are not all alike: the comparison saw every kind
    assert {g.verdict for r in grade_many(problem, sheets) for g in r.graded} == {"correct", "carried forward", "wrong"}


@functools.cache  # two tests grade the same sheets (frozen): built once, not twice (1.8 s)
def _sheets(problem_file, count=60):
    problem = load_problem(str(problem_file))
    return problem, random_sheets(problem, count, np.random.default_rng(sum(map(ord, problem_file.stem))))


def test_the_comparison_sees_answers_correct_through_earlier_answers():
    """Off the key, yet right from earlier answers that were all accepted as correct (rounded):
    correct, not carried forward. The random sheets above hold such answers, across problems."""
    seen = 0
    for problem_file in PROBLEM_FILES:
        problem, sheets = _sheets(problem_file)
        catalog, key = Catalog(problem), solve(problem)
        for report in grade_many(problem, sheets):
            for g in report.graded:
                expected = catalog.value(key, catalog.by_name[g.quantity])
                off_the_key = not Tolerance().close(np.asarray(g.answer)[..., None], expected[..., None])[0]
                seen += g.verdict == "correct" and off_the_key
    assert seen >= 5


def test_grade_is_grade_many_of_one():
    problem = load_problem(str(PROBLEM_FILES[0]))
    sheets = random_sheets(problem, 5, np.random.default_rng(7))
    for sheet, report in zip(sheets, grade_many(problem, sheets)):
        _same(report, grade(problem, sheet))


def _variants(problem, count: int, rng) -> list:
    """count problems of problem's shape with other numbers: x and weights moved a little (so
    that no sigmoid saturates), learning rates among 0.1, 0.5 and 1, every other one with points."""
    made = []
    for n in range(count):
        made.append(dataclasses.replace(
            problem,
            x=problem.x + rng.normal(0, 0.3, problem.x.shape),
            weights=tuple(W + rng.normal(0, 0.2, W.shape) for W in problem.weights),
            learning_rate=float(rng.choice([0.1, 0.5, 1.0])),
            points=((Catalog(problem).names()[-1], 2.0),) if n % 2 else problem.points,
            source=f"{problem.source}#{n}",
        ))
    return made


def test_a_class_of_variants_graded_stacked_agrees_with_one_sheet_at_a_time():
    """grading.grade_each: each sheet against its own problem, the problems of every shape mixed in
    one class (and in no order), with points on some: each member's own key, slips, tolerances and
    carried-forward values, as grading each sheet alone gives them."""
    rng = np.random.default_rng(2026)
    problems, sheets = [], []
    for problem_file in PROBLEM_FILES:
        for variant in _variants(load_problem(str(problem_file)), 6, rng):
            key, L, catalog = solve(variant), variant.n_layers, Catalog(variant)
            r0 = 0 if variant.bias else 1
            # the old weight, a flipped sign: by nnsolve's own names, as the variant's notation writes them
            slipped = {catalog.by_key[f"new W{L}[{r0},1]"].name: float(variant.weights[-1][0, 0]),
                       catalog.by_key[f"dl/dW1[{r0},1]"].name: float(-key.layers[0].grad_W[0, 0])}
            planted = bind(parse_raw_sheet(yaml.safe_dump(slipped), "slipped"), catalog)
            for sheet in random_sheets(variant, 3, rng) + [planted]:
                problems.append(variant)
                sheets.append(sheet)
    order = rng.permutation(len(sheets))
    problems, sheets = [problems[n] for n in order], [sheets[n] for n in order]
    for tolerance in TOLERANCES[:2]:
        for carry_forward, partial in ((True, 0.5), (False, 1.0)):
            reports = grade_each(problems, sheets, tolerance, carry_forward, partial)
            for problem, sheet, report in zip(problems, sheets, reports):
                _same(report, reference_grade(problem, sheet, tolerance, carry_forward, dict(problem.points), partial))
    graded = [g for r in grade_each(problems, sheets) for g in r.graded]
    assert {g.verdict for g in graded} == {"correct", "carried forward", "wrong"}
    named = {g.slip.name for g in graded if g.slip is not None}
    assert {"old weight", "sign flipped"} <= named and len(named) >= 4, named


def test_grade_each_of_one_problem_is_grade_many():
    problem, sheets = _sheets(PROBLEM_FILES[0])
    for one, many in zip(grade_each([problem] * len(sheets), sheets), grade_many(problem, sheets)):
        _same(one, many)


def test_grade_each_raises_for_a_problem_whose_key_overflows():
    problem = load_problem(str(PROBLEM_FILES[0]))
    huge = dataclasses.replace(problem, x=problem.x * 1e200, weights=tuple(W * 1e200 for W in problem.weights), source="huge.yaml",
                               examples=tuple((x * 1e200, y) for x, y in problem.examples))  # (a batch's examples too)
    sheet = random_sheets(problem, 1, np.random.default_rng(1))[0]
    assert overflowing([problem, huge, problem]) == [1]
    with pytest.raises(SolveError, match="huge.yaml"):
        grade_each([problem, huge], [sheet, sheet])


@pytest.mark.parametrize("convention", ["bias-row", "Wx+b", "xW+b"])
def test_a_shared_bias_graded_stacked_agrees_with_one_sheet_at_a_time(convention, tmp_path):
    """bias: shared (docs/shared_bias.yaml in each convention): random sheets and sheets that
    answer the shared bias's derivative and new value with one neuron's delta, their mean, or a
    value within tolerance of the key yet nearer one delta. grade_many and grade_each (variants of
    the problem) agree with the reference, which names these slips only outside the tolerance."""
    from conftest import ROOT, invoke

    path = tmp_path / "p.yaml"
    path.write_text(invoke("convert", str(ROOT / "docs" / "shared_bias.yaml"), "--to", convention).stdout)
    problem = load_problem(str(path))
    rng = np.random.default_rng(17)

    def planted(variant) -> list:
        catalog, key = Catalog(variant), solve(variant)
        sheets = []
        for l, s in enumerate(key.layers, start=1):
            derivative, new = catalog.by_key[f"dl/dW{l}[0,1]"].name, catalog.by_key[f"new W{l}[0,1]"].name
            total = float(np.sum(s.delta))
            near = total + 0.004 * abs(total)  # within rtol 0.01 of the key, and nearer the first delta if it lies that way
            for value in [float(d) for d in s.delta] + [total / len(s.delta), near, float(s.delta[0] + 0.9 * (total - s.delta[0]))]:
                answers = {derivative: value, new: float(s.W[0, 0] - variant.learning_rate * value)}
                for chosen in ({derivative: value}, {new: answers[new]}, answers):
                    sheets.append(bind(parse_raw_sheet(yaml.safe_dump(chosen), f"planted{len(sheets)}"), catalog))
        return sheets

    sheets = random_sheets(problem, 30, rng) + planted(problem)
    # and one whose first hidden delta is nearly the sum (the second is 8.7e-11): that delta alone
    # is within tolerance of the key, and nearer itself: correct, in both
    (tmp_path / "tiny.yaml").write_text("x: [2, 5]\ny: [1]\nW1: [[0.5, 0.5], [-2, 1], [1, 4]]\nW2: [[1], [2], [-4]]\nbias: shared\nlearning_rate: 2\n")
    (tmp_path / "t.yaml").write_text(invoke("convert", str(tmp_path / "tiny.yaml"), "--to", convention).stdout)
    tiny = load_problem(str(tmp_path / "t.yaml"))
    tiny_sheets = planted(tiny)
    for p, group in ((problem, sheets), (tiny, tiny_sheets)):
        for tolerance in TOLERANCES:
            for carry_forward in (True, False):
                for sheet, report in zip(group, grade_many(p, group, tolerance, carry_forward)):
                    _same(report, reference_grade(p, sheet, tolerance, carry_forward))
    named = {g.slip.name for r in grade_many(problem, sheets) for g in r.graded if g.slip is not None}
    assert {"one neuron's delta", "mean for sum"} <= named, named
    first = float(solve(tiny).layers[0].delta[0])
    alone = [r.graded[0] for r in grade_many(tiny, tiny_sheets[:1])]
    assert float(alone[0].answer) == first != float(alone[0].key) and alone[0].verdict == "correct" and alone[0].slip is None
    problems, each = [], []
    for variant in _variants(problem, 4, rng):
        variant = dataclasses.replace(variant, weights=tuple(np.vstack([np.full((1, W.shape[1]), W[0, 0]), W[1:]]) for W in variant.weights))
        for sheet in planted(variant)[::3] + random_sheets(variant, 3, rng):
            problems.append(variant)
            each.append(sheet)
    for report, variant, sheet in zip(grade_each(problems, each), problems, each):
        _same(report, reference_grade(variant, sheet, Tolerance(), True, dict(variant.points), 1.0))


# optimizers whose step is not plain SGD's, each on the worksheet; nesterov from a fresh state
# (its first step is not plain SGD's) and momentum from a state (problems/worksheet_momentum.yaml)
OPTIMIZERS = ["adam", "adamw\nweight_decay: 0.1", "rmsprop", "adagrad", "{name: momentum, nesterov: true}", "momentum"]


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: o.split()[-1].strip("}"))
@pytest.mark.parametrize("convention", ["bias-row", "Wx+b", "xW+b"])
def test_plain_sgd_and_shape_slips_graded_stacked_agree_with_one_sheet_at_a_time(optimizer, convention, tmp_path):
    """Sheets that answer new weights with each of the optimizer's slips (plain SGD's step among
    them, from a derivative within tolerance of the key's too), the key, and shapes with each of
    the shape slips (transposed, the bias row left out or added): grade_many and grade_each
    (variants of the problem) agree with the reference, and both name plain SGD's step and the
    shape slips."""
    from conftest import ROOT, invoke
    from nnsolve.slips import slips_of

    source = tmp_path / "source.yaml"
    if optimizer == "momentum":  # (from a fresh state its first step is plain SGD's: the slip is the key, passed over)
        source.write_text((ROOT / "problems" / "worksheet_momentum.yaml").read_text())
    else:
        source.write_text((ROOT / "problems" / "worksheet.yaml").read_text() + f"optimizer: {optimizer}\n")
    path = tmp_path / "p.yaml"
    path.write_text(invoke("convert", str(source), "--to", convention).stdout)
    problem = load_problem(str(path))
    rng = np.random.default_rng(23)

    def planted(variant) -> list:
        catalog, key = Catalog(variant), solve(variant)
        sheets = []
        for l in (1, 2):
            shape = catalog.by_key[f"shape W{l}"]
            for slip in slips_of(key, shape.base) + (None,):
                value = catalog.value(key, shape) if slip is None else slip.value
                sheets.append({shape.name: [int(v) for v in value]})
            for q in [q for q in catalog.quantities if q.base == f"new W{l}" and len(q.index) == 2 and all(isinstance(i, int) for i in q.index)]:
                derivative = catalog.by_key["dl/dW" + q.key[5:]].name
                gradient = float(catalog.value(key, catalog.by_key["dl/dW" + q.key[5:]]))
                for slip in slips_of(key, q.base) + (None,):
                    value = float(catalog.value(key, q) if slip is None else np.asarray(slip.value)[q.index])
                    sheets += [{q.name: value}, {derivative: float(np.float64(f"{gradient:.4g}")), q.name: value}]
        return [bind(parse_raw_sheet(yaml.safe_dump(s), f"planted{n}"), catalog) for n, s in enumerate(sheets)]

    sheets = planted(problem) + random_sheets(problem, 10, rng)
    for tolerance in TOLERANCES:
        for carry_forward in (True, False):
            for sheet, report in zip(sheets, grade_many(problem, sheets, tolerance, carry_forward)):
                _same(report, reference_grade(problem, sheet, tolerance, carry_forward))
    named = {g.slip.name for r in grade_many(problem, sheets) for g in r.graded if g.slip is not None}
    assert {"transposed", "bias left out" if convention == "bias-row" else "bias added"} <= named, named
    assert ("momentum left out" if "momentum" in optimizer else "plain SGD's step") in named, named
    problems, each = [], []
    for variant in _variants(problem, 3, rng):
        for sheet in planted(variant)[::4] + random_sheets(variant, 3, rng):
            problems.append(variant)
            each.append(sheet)
    for report, variant, sheet in zip(grade_each(problems, each), problems, each):
        _same(report, reference_grade(variant, sheet, Tolerance(), True, dict(variant.points), 1.0))
