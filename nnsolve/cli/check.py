"""`nnsolve check`: grade answer sheets, one student's or a whole class's."""

from __future__ import annotations

import glob
import os

import click

from .common import EXIT_FOUND, EXIT_OK, EXIT_USAGE, make_console


@click.command()
@click.argument("sheets", nargs=-1)
@click.option("--problem", "problem_file", type=click.Path(dir_okay=False), metavar="FILE", help="The problem the sheets answer; overrides a sheet's own 'problem:' (default: the sheet's, else the built-in worksheet).")
@click.option("--rtol", type=click.FloatRange(0, 1), default=0.01, show_default=True, help="Relative tolerance: an answer s is correct when |s - key| <= atol + rtol |key|.")
@click.option("--atol", type=click.FloatRange(0), default=1e-4, show_default=True, help="Absolute floor of the tolerance, for answers near 0.")
@click.option("--sig", type=click.IntRange(1, 15), default=None, metavar="N", help="Instead of rtol/atol: correct when it agrees with the key to N significant figures (within one unit of the Nth).")
@click.option("--no-ecf", "no_ecf", is_flag=True, help="Do not carry errors forward: an answer is correct or wrong against the key only.")
@click.option("--partial", type=click.FloatRange(0, 1), default=1.0, show_default=True, metavar="F", help="Credit for a carried-forward answer, as a fraction of its points.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines: one object per sheet (schema nnsolve.check/1).")
@click.option("--gradescope", type=click.Path(), metavar="PATH", help="Write Gradescope's results.json: PATH is the file for one sheet, a folder (one SHEET.json each) for several.")
@click.option("--force", is_flag=True, help="Let --gradescope replace existing files.")
@click.option("--template", is_flag=True, help="Print a blank answer sheet with every quantity name of the problem (the argument, if any, is the problem file).")
@click.option("--digits", type=click.IntRange(1, 17), default=8, show_default=True, metavar="N", help="Decimals shown in the tables.")
def check(sheets, problem_file, rtol, atol, sig, no_ecf, partial, as_json, gradescope, force, template, digits):
    """Grade answer SHEETS against their problem, carrying errors forward.

    A sheet is a YAML file of quantity names and values (`nnsolve check --template` prints a
    blank one). Each answer is correct (within tolerance), carried forward (wrong against the
    key but right from the student's own earlier answers) or wrong. SHEETS may be files,
    folders (every .yaml file in them) or glob patterns. One sheet gets a table of every
    answer; several get one row each. Exit status: 0 nothing wrong, 1 something wrong,
    2 a sheet or option could not be read (after every other sheet is graded).

    \b
    Examples:
      nnsolve check problems/worksheet-answers.yaml
      nnsolve check --template problems/worksheet.yaml > sheet.yaml
      nnsolve check answers/ --problem problems/worksheet.yaml --gradescope results/
    """
    from ..check import Tolerance

    if template:
        if len(sheets) > 1:
            raise click.UsageError("--template takes one problem file at most")
        click.echo(blank_sheet(sheets[0] if sheets else problem_file), nl=False)
        return
    if not sheets:
        raise click.UsageError("give one or more answer sheets (files, folders or patterns), or --template")
    if force and not gradescope:
        raise click.UsageError("--force is for --gradescope")
    paths = expand(sheets)
    tolerance = Tolerance(rtol, atol, sig)
    rows = grade_all(paths, problem_file, tolerance, not no_ecf, partial)
    write_results(rows, tolerance, not no_ecf, as_json, digits)
    if gradescope:
        write_gradescope(rows, tolerance, gradescope, force)
    ctx = click.get_current_context()
    if any(error is not None for _, _, error in rows):
        ctx.exit(EXIT_USAGE)
    ctx.exit(EXIT_FOUND if any(r.first_wrong for _, r, e in rows if e is None) else EXIT_OK)


def expand(patterns) -> list[str]:
    """Sheets from files, folders (their .yaml files, sorted) and glob patterns, in order, once each."""
    paths: list[str] = []
    for pattern in patterns:
        if os.path.isdir(pattern):
            found = sorted(glob.glob(os.path.join(glob.escape(pattern), "*.yaml")) + glob.glob(os.path.join(glob.escape(pattern), "*.yml")))
            if not found:
                raise click.UsageError(f"{pattern}: a folder with no .yaml answer sheets")
        elif glob.has_magic(pattern) and not os.path.exists(pattern):
            found = sorted(glob.glob(pattern))
            if not found:
                raise click.UsageError(f"{pattern}: no file matches")
        else:
            found = [pattern]
        paths.extend(p for p in found if p not in paths)
    return paths


def grade_all(paths, problem_file, tolerance, carry_forward: bool, partial: float):
    """(sheet, report, error) for every sheet; a sheet that cannot be read gets its error."""
    from ..check import grade
    from ..errors import NnsolveError
    from ..problem import load_problem
    from ..quantities import Catalog
    from ..sheet import bind, read_raw_sheet
    from ..solution import solve

    problems: dict = {}  # path -> (problem, catalog, key, points), each read and solved once

    def problem_for(path):
        if path not in problems:
            problem = load_problem(path)
            catalog = Catalog(problem)
            for name, _ in problem.points:
                if catalog.find(name) is None:
                    raise NnsolveError("is not a quantity of this problem", file=problem.source, key=f"points: {name}", fix="use a name that nnsolve check --template lists")
            problems[path] = (problem, catalog, solve(problem), dict(problem.points))
        return problems[path]

    rows = []
    for path in paths:
        try:
            raw = read_raw_sheet(path)
            problem, catalog, key, points = problem_for(problem_file or raw.problem)
            report = grade(problem, bind(raw, catalog), tolerance, carry_forward, points, partial, key)
            rows.append((path, report, None))
        except NnsolveError as e:
            if problem_file and e.file == problem_file:
                raise  # the instructor's problem, not the student's sheet: stop
            rows.append((path, None, str(e)))
    return rows


def write_results(rows, tolerance, carry_forward: bool, as_json: bool, digits: int) -> None:
    if as_json:
        from ..render.json import check_dict, dumps_line

        for sheet, report, error in rows:
            click.echo(dumps_line(check_dict(sheet, report, error, tolerance, carry_forward)), nl=False)
        return
    from ..render import document, terminal

    if len(rows) == 1 and rows[0][2] is None:
        terminal.write(document.check_document(rows[0][1], tolerance, digits), make_console())
    else:
        terminal.write(document.class_document(rows, tolerance), make_console())
    for sheet, _, error in rows:
        if error is not None:
            click.echo(f"nnsolve: error: {error}", err=True)


def write_gradescope(rows, tolerance, path: str, force: bool) -> None:
    from ..files import write_text_atomic
    from ..render.json import dumps, gradescope_dict

    graded = [(sheet, report) for sheet, report, error in rows if error is None]
    if len(rows) == 1:
        if graded:
            write_text_atomic(path, dumps(gradescope_dict(graded[0][1], tolerance)), force)
            click.echo(f"nnsolve: wrote {path}", err=True)
        return
    if os.path.exists(path) and not os.path.isdir(path):
        raise click.UsageError(f"--gradescope {path}: with several sheets, give a folder")
    os.makedirs(path, exist_ok=True)
    for sheet, report in graded:
        name = os.path.splitext(os.path.basename(sheet))[0] + ".json"
        write_text_atomic(os.path.join(path, name), dumps(gradescope_dict(report, tolerance)), force)
    click.echo(f"nnsolve: wrote {len(graded)} results to {path}", err=True)


def blank_sheet(problem_file) -> str:
    """Every quantity name of the problem, each left blank, with what it holds."""
    from ..problem import load_problem
    from ..quantities import Catalog

    problem = load_problem(problem_file)
    catalog = Catalog(problem)
    lines = [
        f"# Answer sheet for {problem.title or problem.source}: fill in what you have; blanks are not graded.",
        "# A list answers a whole layer ([0.5, 0.999]); name one element as beta1_2. Check with nnsolve check FILE.",
    ]
    if problem_file:
        lines.append(f"problem: {os.path.basename(problem_file)}")
    lines.append("student:")
    width = max(len(n) for n in catalog.names()) + 2
    for name in catalog.names():
        q = catalog.by_name[name]
        what = "a number" if q.shape in ((), (1,)) else (f"{q.shape[0]} numbers" if len(q.shape) == 1 else f"{q.shape[0]} x {q.shape[1]}")
        lines.append(f"{name + ':':{width}}  # {what}")
    return "\n".join(lines) + "\n"
