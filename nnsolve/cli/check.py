"""`nnsolve check`: grade answer sheets, one student's or a whole class's."""

from __future__ import annotations

import contextlib
import gc
import os

import click

from .common import EXIT_FOUND, EXIT_OK, EXIT_USAGE, show

LINES_AT_ONCE = 256  # JSON Lines records written together


@click.command()
@click.argument("sheets", nargs=-1)
@click.option("--problem", "problem_file", type=click.Path(dir_okay=False), metavar="FILE", help="The problem the sheets answer; overrides a sheet's own 'problem:' (default: the sheet's, else the built-in worksheet).")
@click.option("--rtol", type=click.FloatRange(0, 1), default=0.01, show_default=True, help="Relative tolerance: an answer s is correct when |s - key| <= atol + rtol |key|.")
@click.option("--atol", type=click.FloatRange(0), default=1e-4, show_default=True, help="Absolute floor of the tolerance, for answers near 0.")
@click.option("--sig", type=click.IntRange(1, 15), default=None, metavar="N", help="Instead of rtol/atol: correct when it agrees with the key to N significant figures (within one unit of the Nth).")
@click.option("--no-ecf", "no_ecf", is_flag=True, help="Do not carry errors forward: an answer is correct or wrong against the key only.")
@click.option("--partial", type=click.FloatRange(0, 1), default=1.0, show_default=True, metavar="F", help="Credit for a carried-forward answer, as a fraction of its points.")
@click.option("--format", "output_format", type=click.Choice(("text", "json", "csv")), default=None, help="text (tables, the default), json (JSON Lines, one object per sheet) or csv (one row per sheet: score, each quantity's points, slips: for a gradebook).")
@click.option("--json", "as_json", is_flag=True, help="Short for --format json: JSON Lines, one object per sheet (schema nnsolve.check/1).")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False), metavar="FILE", help="Also write the class's grades as CSV to FILE (as --format csv prints them), atomically; --force replaces it.")
@click.option("--gradescope", type=click.Path(), metavar="PATH", help="Write Gradescope's results.json: PATH is the file for one sheet, a folder (one SHEET.json each) for several.")
@click.option("--force", is_flag=True, help="Let --gradescope replace existing files.")
@click.option("--template", is_flag=True, help="Print a blank answer sheet with every quantity name of the problem (the argument, if any, is the problem file).")
@click.option("--digits", type=click.IntRange(1, 17), default=8, show_default=True, metavar="N", help="Decimals shown in the tables.")
def check(sheets, problem_file, rtol, atol, sig, no_ecf, partial, output_format, as_json, csv_file, gradescope, force, template, digits):
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
      nnsolve check answers/ --csv grades.csv
    """
    from ..grading import Tolerance

    if as_json and output_format not in (None, "json"):
        raise click.UsageError(f"--json and --format {output_format} ask for two formats; give one")
    chosen = "json" if as_json else (output_format or "text")
    if template:
        if len(sheets) > 1:
            raise click.UsageError("--template takes one problem file at most")
        refused = "--json" if as_json else ("--format" if output_format else ("--csv" if csv_file else ("--gradescope" if gradescope else None)))
        if refused:  # none would be honoured: say so rather than print YAML
            raise click.UsageError(f"--template prints a blank YAML answer sheet; drop {refused}")
        click.echo(blank_sheet(sheets[0] if sheets else problem_file), nl=False)
        return
    if not sheets:
        raise click.UsageError("give one or more answer sheets (files, folders or patterns), or --template")
    if force and not gradescope and not csv_file:
        raise click.UsageError("--force is for --gradescope and --csv")
    if csv_file:
        from ..files import check_target

        check_target(csv_file, force, "--csv")
    paths, found = expand(sheets)
    tolerance = Tolerance(rtol, atol, sig)
    with _no_cycle_collection(len(paths) > 1):
        read = read_all(paths, problem_file, found)
        if not read:
            raise click.UsageError(f"{' '.join(sheets)}: no answer sheets, only the problem file they answer")
        targets = gradescope_targets([path for path, _ in read], gradescope, force) if gradescope else None
        rows, order = grade_all(read, problem_file, tolerance, not no_ecf, partial)
        write_results(rows, tolerance, not no_ecf, chosen, digits, order)
        if csv_file:
            from ..files import write_text_atomic
            from ..render.gradebook import csv_text

            write_text_atomic(csv_file, csv_text(rows, order), force)
        if targets:
            write_gradescope(rows, tolerance, targets, force)
    ctx = click.get_current_context()
    if any(error is not None for _, _, error in rows):
        ctx.exit(EXIT_USAGE)
    ctx.exit(EXIT_FOUND if any(r.first_wrong for _, r, e in rows if e is None) else EXIT_OK)


@contextlib.contextmanager
def _no_cycle_collection(active: bool):
    """Python's cycle collector off while a class is read, graded and written, and as it was
    after: the sheets are thousands of small trees, kept until graded, that hold no cycles, and
    the collector would walk them again and again for nothing.

    Turned back on, it would walk every object made meanwhile at the next allocation: they are
    moved to its oldest generation first (freeze, unfreeze), still collected, but only in the
    next full collection, as if they had been there all along."""
    was = gc.isenabled()
    if active:
        gc.disable()
    try:
        yield
    finally:
        if active and was:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def expand(patterns) -> tuple[list[str], set[str]]:
    """Sheets from files, folders (their .yaml files, sorted) and glob patterns, in order, once
    each; and which of them a folder or a pattern found rather than the command line named."""
    import glob

    paths: list[str] = []
    seen: set[str] = set()
    found: set[str] = set()
    for pattern in patterns:
        if os.path.isdir(pattern):
            matches = sorted(glob.glob(os.path.join(glob.escape(pattern), "*.yaml")) + glob.glob(os.path.join(glob.escape(pattern), "*.yml")))
            if not matches:
                raise click.UsageError(f"{pattern}: a folder with no .yaml answer sheets")
        elif glob.has_magic(pattern) and not os.path.exists(pattern):
            matches = sorted(glob.glob(pattern))
            if not matches:
                raise click.UsageError(f"{pattern}: no file matches")
        else:
            matches = []
            if pattern not in seen:
                paths.append(pattern)
                seen.add(pattern)
        for path in matches:
            if path not in seen:
                paths.append(path)
                seen.add(path)
                found.add(path)
    return paths, found


def read_all(paths, problem_file, found=frozenset()) -> list:
    """(path, RawSheet or the error reading it) for every sheet. A problem file among the sheets
    (the file their `problem:` names, or --problem), found by a folder or a pattern or named by
    the shell's glob, is left out with a note on stderr: it is not a sheet. (Named alone, it is
    graded, and refused as a problem file.)"""
    from ..errors import NnsolveError
    from ..sheet import read_raw_sheet

    read = []
    for path in paths:
        try:
            read.append((path, read_raw_sheet(path)))
        except NnsolveError as e:
            read.append((path, str(e)))
    problems = {os.path.realpath(raw.problem) for _, raw in read if not isinstance(raw, str) and raw.problem}
    if problem_file:
        problems.add(os.path.realpath(problem_file))
    skipped = [path for path, _ in read if (path in found or len(read) > 1) and os.path.realpath(path) in problems]
    kept = [(path, raw) for path, raw in read if path not in skipped]
    if kept and skipped:  # (with none left, the caller says so, naming the problem file)
        shown = ", ".join(skipped[:3]) + (f" and {len(skipped) - 3} more" if len(skipped) > 3 else "")
        what = "the problem file the sheets answer" if len(skipped) == 1 else f"{len(skipped)} problem files the sheets answer"
        click.echo(f"nnsolve: note: skipped {what}, not sheets: {shown}", err=True)
    return kept


def grade_all(read, problem_file, tolerance, carry_forward: bool, partial: float):
    """(sheet, report, error) for every sheet read (a sheet that cannot be read or graded gets its
    error); and the worksheet's order of the quantities (name -> place), for a gradebook's columns.
    Each sheet is graded against its own problem; the sheets of problems of one shape are graded
    as one stack (grading.grade_each)."""
    from dataclasses import replace

    from ..grading import grade_each, overflowing
    from ..errors import NnsolveError
    from ..problem import load_problem
    from ..quantities import Catalog
    from ..sheet import bind, named_problem
    from ..solution import same_shape, solve_key

    problems: dict = {}  # path -> (problem, catalog), each read once
    catalogs: dict = {}  # a problem's shape -> its names: the same for every problem of the shape

    def problem_for(path):
        if path not in problems:
            problem = load_problem(path)
            shape = same_shape(problem)
            catalog = catalogs.get(shape) or catalogs.setdefault(shape, Catalog(problem))
            named: dict = {}  # each quantity's name -> the points: name that gave it points
            for name, _ in problem.points:
                q = catalog.find(name)
                if q is None:
                    raise NnsolveError("is not a quantity of this problem", file=problem.source, key=f"points: {name}", fix=suggest_name(name, catalog))
                if q.name in named:
                    raise NnsolveError(f"gives {q.name} points, as {named[q.name]} does", file=problem.source, key=f"points: {name}",
                                       fix="give each quantity its points once")
                named[q.name] = name
            # grading finds an answer's points by the quantity's name: dl/dW2_11's are dl/dW2[1,1]'s
            problem = replace(problem, points=tuple((catalog.find(name).name, worth) for name, worth in problem.points))
            problems[path] = (problem, catalog)
        return problems[path]

    if problem_file:
        problem, _ = problem_for(problem_file)  # the instructor's problem: an error in it stops everything, at once
        solve_key(problem)
    rows: list = [None] * len(read)
    graded: list = []  # (row number, sheet, problem path)
    for n, (path, raw) in enumerate(read):
        if isinstance(raw, str):
            rows[n] = (path, None, raw)
            continue
        try:
            if problem_file:
                source, (_, catalog) = problem_file, problem_for(problem_file)
            else:
                source, (_, catalog) = named_problem(raw, problem_for)
            sheet = bind(raw, catalog)
            if not sheet.answers:
                raise NnsolveError("answers nothing: every quantity is blank", file=path, fix="fill in at least one answer (nnsolve check --template lists the names)")
            graded.append((n, sheet, source))
        except NnsolveError as e:
            rows[n] = (path, None, str(e))
    # a problem whose key overflows is an error of each sheet that answers it (found stacked)
    sources = list(dict.fromkeys(source for _, _, source in graded))
    for k in overflowing([problems[source][0] for source in sources]):
        try:
            solve_key(problems[sources[k]][0])
        except NnsolveError as e:
            for n, _, source in graded:
                if source == sources[k]:
                    rows[n] = (read[n][0], None, str(e))
    graded = [(n, sheet, source) for n, sheet, source in graded if rows[n] is None]
    reports = grade_each([problems[source][0] for _, _, source in graded], [sheet for _, sheet, _ in graded], tolerance, carry_forward, partial)
    for (n, _, _), report in zip(graded, reports):
        rows[n] = (read[n][0], report, None)
    order: dict = {}
    for catalog in catalogs.values():
        for q in catalog.quantities:
            order.setdefault(q.name, q.order)
    return rows, order


def suggest_name(name: str, catalog) -> str:
    if catalog.missing_update(name):
        return "the problem has no learning rate, so no update and no new weights: add learning_rate to the problem"
    return catalog.meant(name) + "nnsolve check --template lists the names"


def write_results(rows, tolerance, carry_forward: bool, chosen: str, digits: int, order: dict) -> None:
    if chosen == "csv":
        from ..render.gradebook import csv_text

        click.echo(csv_text(rows, order), nl=False)
        _report_errors(rows)
        return
    if chosen == "json":
        from ..render.json import check_line

        for start in range(0, len(rows), LINES_AT_ONCE):  # a write a line was a tenth of the time
            click.echo("".join([check_line(sheet, report, error, tolerance, carry_forward) for sheet, report, error in rows[start:start + LINES_AT_ONCE]]), nl=False)
        _report_errors(rows)  # stdout is the data; the diagnostics go to stderr all the same
        return
    from ..render import document

    if len(rows) == 1 and rows[0][2] is None:
        show(document.check_document(rows[0][1], tolerance, digits))
    else:
        show(document.class_document(rows, tolerance))
    _report_errors(rows)


def _report_errors(rows) -> None:
    """One `nnsolve: error:` line on stderr for every sheet that could not be read."""
    for sheet, _, error in rows:
        if error is not None:
            click.echo(f"nnsolve: error: {error}", err=True)


def gradescope_targets(sheets, path: str, force: bool) -> dict:
    """sheet -> the results.json file it gets, every one checked before anything is graded:
    PATH itself for one sheet, PATH/SHEET.json in a folder for several (or when PATH is a folder)."""
    from ..files import check_target

    folder = len(sheets) != 1 or os.path.isdir(path) or path.endswith(("/", os.sep))
    if not folder:
        check_target(path, force, "--gradescope")
        return {sheets[0]: path}
    if os.path.exists(path) and not os.path.isdir(path):
        raise click.UsageError(f"--gradescope {path}: with several sheets, give a folder")
    targets: dict = {}
    owner: dict = {}
    for sheet in sheets:
        target = os.path.join(path, os.path.splitext(os.path.basename(sheet))[0] + ".json")
        if target in owner:
            raise click.UsageError(f"--gradescope: {owner[target]} and {sheet} would both write {target}; rename one")
        owner[target] = sheet
        if os.path.isdir(path):
            check_target(target, force, "--gradescope")
        targets[sheet] = target
    return targets


def write_gradescope(rows, tolerance, targets: dict, force: bool) -> None:
    """Gradescope's results.json for every sheet; one that could not be read scores 0 and says why."""
    from ..errors import NnsolveError
    from ..files import write_files_atomic
    from ..render.json import dumps, gradescope_dict

    files = []
    for sheet, report, error in rows:
        target = targets[sheet]
        if error is None:
            data = gradescope_dict(report, tolerance)
        else:
            data = {
                "score": 0.0,
                "output": f"Your answer sheet could not be graded: {error}",
                "visibility": "visible",
                "stdout_visibility": "hidden",
                "tests": [],
            }
        files.append((target, dumps(data).encode("utf-8")))
    write_files_atomic(files, force)  # every result or none, and the folders made for them
    if len(rows) == 1:
        click.echo(f"nnsolve: wrote {targets[rows[0][0]]}", err=True)
    else:
        click.echo(f"nnsolve: wrote {len(rows)} results to {os.path.dirname(targets[rows[0][0]]) or '.'}", err=True)


def _layer_example(catalog) -> str:
    """The blank sheet's example of a layer answered whole and by element, in the problem's names
    (beta1 and beta1_2 in the worksheet's, a1 and a1_2 in Wx+b): its first layer vector of
    several neurons, an activation where there is one; "" for a sheet with none (a batch's)."""
    layers = [q for q in catalog.quantities if q.listed and q.key[:4] in ("alph", "beta", "y_ha") and q.shape[0] > 1]
    if not layers:
        return ""
    q = next((q for q in layers if q.key.startswith("beta")), layers[0])
    element = catalog.by_key[f"{q.key}_2"].name
    whole = "[0.5, 0.999]" if q.shape[0] == 2 else f"a list of {q.shape[0]}"
    return f"A list answers a whole layer ({q.name}: {whole}); name one element as {element}. "


def blank_sheet(problem_file) -> str:
    """Every quantity name of the problem, each left blank, with what it holds."""
    from ..problem import load_problem
    from ..quantities import Catalog

    problem = load_problem(problem_file)
    catalog = Catalog(problem)
    lines = [
        f"# Answer sheet for {problem.title or problem.source}: fill in what you have; blanks are not graded.",
        "# " + _layer_example(catalog) + "Check with nnsolve check FILE.",
    ]
    if problem.batch is not None:
        lines.append(f"# A batch of {len(problem.examples)}: the loss, each dl/dW and each new W are the batch's ({problem.batch} over the examples), one update.")
    if problem_file:
        from ..sheet import naming

        name = naming(problem_file, ".")  # printed, so saved here: its problem's path from here
        if name is None:
            lines.append(f"# Its problem: {problem_file}, which a sheet cannot name: check it with --problem {problem_file}")
            click.echo(f"nnsolve: note: a sheet cannot name {problem_file} (a sheet names a .yaml file by a relative path): "
                       f"check it with --problem {problem_file}", err=True)
        else:
            if name.startswith("../"):
                # a sheet reaches no file above the folder nnsolve runs in (sheet.py): say how to check it
                lines += ["# Its problem, by its path from the folder this sheet was made in. A sheet reaches no",
                          f"# file above the folder nnsolve runs in: check it with --problem {problem_file}",
                          "# from here, or from a folder that holds both."]
                click.echo(f"nnsolve: note: the sheet names its problem {name}, its path from this folder; a sheet reaches "
                           f"no file above the folder nnsolve runs in: check it with --problem {problem_file}, or from a "
                           f"folder that holds both", err=True)
            elif "/" in name:
                lines.append("# Its problem, by its path from the folder this sheet was made in: save the sheet there.")
                click.echo(f"nnsolve: note: the sheet names its problem {name}, its path from this folder: save the sheet here",
                           err=True)
            lines.append(f"problem: {name}")
    lines.append("student:")
    width = max(len(n) for n in catalog.names()) + 2
    for name in catalog.names():
        q = catalog.by_name[name]
        what = "a number" if q.shape in ((), (1,)) else (f"{q.shape[0]} numbers" if len(q.shape) == 1 else f"{q.shape[0]} x {q.shape[1]}")
        lines.append(f"{name + ':':{width}}  # {what}")
    return "\n".join(lines) + "\n"
