"""A class at once: `nnsolve check` on 10,000 answer sheets and `nnsolve new --count 10000`,
whole commands on the wall clock, and the math they stack compared with a loop of PyTorch
autograd over the same problems."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from harness import ROOT, Target, Timing, header, nnsolve_command, save, settle, time_call, torch_or_none

ANSWERS = (ROOT / "problems" / "worksheet-answers.yaml").read_text()
WORKSHEET = str(ROOT / "problems" / "worksheet.yaml")


def make_class(folder: Path, count: int, seed: int = 1) -> None:
    """count sheets of the worksheet: the worksheet's own answers, a third with a planted slip."""
    rng = np.random.default_rng(seed)
    body = ANSWERS.replace("problem: worksheet.yaml\n", "")
    for n in range(count):
        text = body
        if n % 3 == 0:
            text = text.replace("beta1: [0.5, 0.999]", f"beta1: [0.5, {rng.uniform(0.9, 0.99):.4f}]")
        (folder / f"s{n:05d}.yaml").write_text(f"student: s{n}\n{text}")


def wall(argv: list[str], repeats: int) -> Timing:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return Timing(samples)


def torch_states(torch, problem, sheets_given):
    """What nnsolve's stacked student states compute, one problem at a time with autograd:
    each student's forward pass from their given values, the loss and every gradient."""
    W = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in problem.weights]
    x = torch.tensor(problem.x, dtype=torch.float64)
    y = torch.tensor(problem.y, dtype=torch.float64)
    for given in sheets_given:
        beta = x
        for l, w in enumerate(W, start=1):
            alpha = torch.cat([torch.ones(1, dtype=torch.float64), beta]) @ w
            beta = torch.sigmoid(alpha)
            if f"beta{l}" in given:  # the student's own values in place of the computed ones
                beta = torch.where(torch.isnan(given[f"beta{l}"]), beta, given[f"beta{l}"])
        loss = 0.5 * torch.sum((y - beta) ** 2)
        for w in W:
            w.grad = None
        loss.backward()


def main(quick: bool = False) -> None:
    from nnsolve.grading import grade_many, stacked_overrides
    from nnsolve.problem import load_problem
    from nnsolve.quantities import Catalog
    from nnsolve.sheet import bind, read_raw_sheet
    from nnsolve.solution import Work, solve_many, stack_problems
    from nnsolve.variant_drawing import Shape, draw

    count = 2000 if quick else 10_000
    repeats = 1 if quick else 3
    nnsolve = nnsolve_command()
    work = Path(tempfile.mkdtemp(prefix="nnsolve-bench-"))
    figures, targets = {}, []
    try:
        for n in sorted({1000, count}):
            folder = work / f"class{n}"
            folder.mkdir()
            make_class(folder, n)
            header(f"nnsolve check, {n} sheets of the worksheet (whole command)")
            t = wall(nnsolve + ["check", str(folder), "--problem", WORKSHEET, "--json"], repeats)
            print(f"  median {t.median:.2f} s (min {t.low:.2f}, max {t.high:.2f}): {t.median / n * 1e3:.2f} ms a sheet")
            figures[f"check_{n}_s"] = t.as_dict()
        targets.append(Target(f"check {count} sheets, wall", figures[f"check_{count}_s"]["median"], 3.0, unit=" s"))

        # a class whose sheets each name their own problem: 1,000 variants' keys (issue 14)
        keys = work / "keys1000"
        subprocess.run(nnsolve + ["new", "--seed", "2026", "--count", "1000", "--out", str(keys)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        header("nnsolve check, 1000 variants' keys, each sheet its own problem (whole command)")
        t = wall(nnsolve + ["check", str(keys), "--json"], repeats)
        print(f"  median {t.median:.2f} s (min {t.low:.2f}, max {t.high:.2f})")
        figures["check_1000_variant_keys_s"] = t.as_dict()
        targets.append(Target("check 1000 variant keys, wall", t.median, 1.5, unit=" s"))

        header(f"nnsolve new --count {count} (whole command)")
        samples = []
        for r in range(repeats):
            out = work / f"new{r}"
            settle()  # the files of the run before on disk first: each run writes to a quiet disk
            start = time.perf_counter()
            subprocess.run(nnsolve + ["new", "--seed", "1", "--count", str(count), "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            samples.append(time.perf_counter() - start)
        for r in range(repeats):  # deleted only after all the runs: a deletion (and its discards) slows the writes after it
            shutil.rmtree(work / f"new{r}")
        t = Timing(samples)
        print(f"  median {t.median:.2f} s (min {t.low:.2f}, max {t.high:.2f}), {2 * count} files written")
        figures[f"new_{count}_s"] = t.as_dict()
        targets.append(Target(f"new --count {count}, wall", t.median, 3.0, unit=" s"))

        # the math stacked into one computation, against a loop of torch autograd
        problem = load_problem(WORKSHEET)
        catalog = Catalog(problem)
        sheets = [bind(read_raw_sheet(str(p)), catalog) for p in sorted((work / f"class{count}").glob("*.yaml"))]
        header(f"the math of check: {count} students' states")
        given = stacked_overrides(problem, sheets)
        stacked = time_call(lambda: Work(problem, None, given), repeats=5)
        graded = time_call(lambda: grade_many(problem, sheets), repeats=3)
        print(f"  nnsolve, one stacked computation: {stacked.median * 1e3:.2f} ms ({stacked.median / count * 1e6:.2f} us a sheet)")
        print(f"  the whole grading (grade_many: states, every answer's verdict, a report per sheet): {graded.median * 1e3:.1f} ms ({graded.median / count * 1e6:.1f} us a sheet)")
        figures["check_states_stacked_ms"] = stacked.as_dict(1e3)
        figures["check_grade_many_ms"] = graded.as_dict(1e3)
        torch = torch_or_none()
        if torch is not None:
            given = []
            for sheet in sheets:
                g = {}
                for a in sheet.answers:
                    if a.quantity.base == "beta1":
                        g["beta1"] = torch.tensor(np.asarray(a.value, dtype=np.float64))
                given.append(g)
            looped = time_call(lambda: torch_states(torch, problem, given), repeats=1, warmup=0)
            ratio = looped.median / stacked.median
            print(f"  torch autograd, a loop: {looped.median * 1e3:.1f} ms ({looped.median / count * 1e6:.1f} us a sheet): "
                  f"the stacked math {ratio:.0f}x faster; the whole grading {looped.median / graded.median:.1f}x")
            figures["check_states_torch_loop_ms"] = looped.as_dict(1e3)
            targets.append(Target("check math: torch loop / nnsolve stacked", ratio, 20, at_least=True))

        header(f"the math of new: {count} variants solved")
        shape = Shape((2, 2, 1), ("sigmoid", "sigmoid"), "squared_error")
        rng = np.random.default_rng(0)
        variants = [draw(rng, shape, 1) for _ in range(count)]
        stacked_problem = stack_problems(variants)
        many = time_call(lambda: Work(stacked_problem, None, None), repeats=5)
        records = time_call(lambda: solve_many(variants), repeats=3)
        print(f"  nnsolve, one stacked computation: {many.median * 1e3:.2f} ms ({many.median / count * 1e6:.2f} us a variant)")
        print(f"  with a Solution record for each (what the keys are written from): {records.median * 1e3:.1f} ms")
        figures["new_solve_stacked_ms"] = many.as_dict(1e3)
        figures["new_solve_with_records_ms"] = records.as_dict(1e3)
        if torch is not None:
            def torch_variants():
                for p in variants:
                    W = [torch.tensor(w, requires_grad=True) for w in p.weights]
                    beta = torch.tensor(p.x)
                    for w in W:
                        beta = torch.sigmoid(torch.cat([torch.ones(1, dtype=torch.float64), beta]) @ w)
                    (0.5 * torch.sum((torch.tensor(p.y) - beta) ** 2)).backward()

            looped = time_call(torch_variants, repeats=1, warmup=0)
            ratio = looped.median / many.median
            print(f"  torch autograd, a loop: {looped.median * 1e3:.1f} ms: the stacked math {ratio:.0f}x faster; "
                  f"with the records {looped.median / records.median:.1f}x")
            figures["new_solve_torch_loop_ms"] = looped.as_dict(1e3)
            targets.append(Target("new math: torch loop / nnsolve stacked", ratio, 20, at_least=True))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    save("class", figures, targets)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main("--quick" in sys.argv)
