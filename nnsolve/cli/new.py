"""`nnsolve new`: seeded problem variants for a class, their keys, and quiz exports."""

from __future__ import annotations

import os
from typing import Optional

import click

KEY_FORMATS = ("markdown", "latex", "html")
KEY_EXTENSIONS = {"markdown": "md", "latex": "tex", "html": "html"}


@click.command()
@click.option("--layers", default=None, metavar="N0,N1,...,NL",
              help="Sizes: inputs, hidden layers, outputs (default 2,2,1, the worksheet's); at most 16 each and 5 layers of weights (6 sizes), to stay workable by hand.")
@click.option("--activation", default=None, metavar="NAME[,NAME...]", help="One activation for every layer, or one per layer (default sigmoid).")
@click.option("--loss", default=None, metavar="NAME", help="squared_error (default), mse, binary_cross_entropy or cross_entropy.")
@click.option("--from", "from_file", type=click.Path(dir_okay=False), metavar="FILE", help="Make variants of FILE: its sizes, activations, loss, learning rate and style of numbers; a batch (examples: with batch:) keeps its number of examples, each drawn, and batch:.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="The same seed gives byte-identical files.")
@click.option("--count", type=click.IntRange(1, 100_000), default=1, show_default=True, metavar="N", help="How many variants; more than one needs --out.")
@click.option("--out", type=click.Path(file_okay=False), metavar="DIR", help="Write variant-001.yaml, variant-001.key.yaml, ... into DIR (new or empty).")
@click.option("--decimals", type=click.IntRange(0, 1), default=None, help="0: small integers (default); 1: numbers with one decimal.")
@click.option("--keys", "key_format", type=click.Choice(KEY_FORMATS), default=None, help="Also write each variant's answer key as variant-001.key.md, .tex or .html (a self-contained page).")
@click.option("--moodle", type=click.Path(dir_okay=False), metavar="FILE", help="Write the variants' questions as Moodle XML: one multi-part (Cloze) question per variant, in a category of the assignment's own.")
@click.option("--moodle-form", type=click.Choice(("cloze", "numerical")), default="cloze", show_default=True, help="With --moodle: cloze (one question per variant, every answer a part) or numerical (one question per answer per variant).")
@click.option("--prairielearn", type=click.Path(file_okay=False), metavar="DIR", help="Write a PrairieLearn question folder whose server.py picks among the variants.")
@click.option("--questions", default=None, metavar="NAME[,NAME...]", help="The quantities Moodle and PrairieLearn ask (default: each alpha and beta, y_hat, the loss, two gradients and updates).")
@click.option("--rtol", type=click.FloatRange(0, 1), default=0.01, show_default=True, help="Relative tolerance of the quiz answers.")
@click.option("--atol", type=click.FloatRange(0), default=1e-4, show_default=True, help="Absolute tolerance floor of the quiz answers: max(atol, rtol |answer|).")
@click.option("--force", is_flag=True, help="Write into a folder or over files that already exist.")
def new(layers, activation, loss, from_file, seed, count, out, decimals, key_format, moodle, moodle_form, prairielearn, questions, rtol, atol, force):
    """Make problem variants for a class, each with its answer key.

    Numbers are small integers (or one-decimal numbers) a student can work by hand; a draw is
    rejected when every ReLU of a layer is dead, a gradient is zero or below 1e-6 (a saturated
    sigmoid), the predicted class is a tie, or it repeats an earlier variant. --from a batch
    problem makes batch variants: each example drawn, the rules held for each example and for
    the combined gradient, no x twice. One variant
    without --out is printed; with --out DIR each variant-NNN.yaml gets its key
    variant-NNN.key.yaml, an answer sheet that `nnsolve check` grades as it stands.

    \b
    Examples:
      nnsolve new --seed 7
      nnsolve new --seed 1 --count 30 --out class/ --keys markdown
      nnsolve new --from problems/deep_tanh_relu.yaml --count 5 --out deep/ --moodle deep.xml
    """
    from ..notation import count as plural
    from ..variant_drawing import TooManyRejections, clash_judge, generate_solved

    if count > 1 and not out:
        raise click.UsageError("--count above 1 needs --out DIR for the files")
    if key_format and not out:
        raise click.UsageError("--keys writes beside the variants: give --out DIR")
    shape = make_shape(layers, activation, loss, from_file, decimals)
    preflight(out, moodle, prairielearn, force)
    # --out staged now: a class's files are created while the variants are drawn
    outputs: list = [NewFolder(out, force)] if out else []  # written, not yet in place
    try:
        try:
            problems, solutions, rejected = generate_solved(shape, count, seed, clash_judge(questions, rtol, atol))
        except TooManyRejections as e:
            raise click.UsageError(
                f"only {e.made} of {count} variants after {sum(e.rejected.values())} rejected draws "
                f"({describe(e.rejected)}); try other sizes or activations"
            ) from None
        names = question_names(problems[0], questions) if moodle or prairielearn else []  # every refusal before any file is written
        made_by = remake_command(from_file, layers, activation, loss, decimals, questions, rtol, atol, seed, count, out)
        files = variant_files(problems, solutions, key_format, made_by, bool(out))  # made as they are written
        if not out and not moodle and not prairielearn:
            click.echo(next(files)[1], nl=False)
        if out:
            outputs[0].fill(files, len(problems) * (3 if key_format else 2))
        # the quizzes staged too: every output is written before any is put in place
        outputs += exports(problems, solutions, names, moodle, moodle_form, prairielearn, rtol, atol, force, seed, shape.title,
                           into=outputs[0] if out else None)
        for output in outputs:
            output.commit()
    except BaseException:
        for output in outputs:
            output.discard()
        raise
    where = f" in {out}" if out else ""
    click.echo(f"nnsolve: made {plural(count, 'variant')}{where} (seed {seed}); "
               f"rejected {plural(sum(rejected.values()), 'draw')}{': ' + describe(rejected) if rejected else ''}", err=True)


def describe(rejected) -> str:
    return ", ".join(f"{n} {reason}" for reason, n in sorted(rejected.items(), key=lambda item: (-item[1], item[0])))


def make_shape(layers, activation, loss, from_file, decimals):
    """The Shape the options ask for, checked as a problem file would be."""
    from ..errors import NnsolveError
    from ..problem import load_problem, parse_problem
    from ..variant_drawing import Shape

    if from_file:
        if layers or activation or loss:
            raise click.UsageError("--from takes its sizes, activations and loss from FILE; drop --layers, --activation and --loss")
        shape = Shape.of(load_problem(from_file))
        if decimals is None:
            return shape
        import dataclasses  # not at import: nnsolve --help loads this module

        return dataclasses.replace(shape, decimals=decimals)
    sizes = parse_sizes(layers or "2,2,1")
    names = [a.strip() for a in (activation or "sigmoid").split(",")]
    # a problem of this shape, read as a file would be, so every rule and message is the reader's
    text = "\n".join(
        [f"x: [{', '.join(['1'] * sizes[0])}]", f"y: [{', '.join(['0'] * (sizes[-1] - 1) + ['1'])}]"]
        + [f"W{l}: [{', '.join(['[' + ', '.join(['1'] * sizes[l]) + ']'] * (sizes[l - 1] + 1))}]" for l in range(1, len(sizes))]
        + [f"activation: [{', '.join(names)}]" if len(names) > 1 else f"activation: {names[0]}", f"loss: {loss or 'squared_error'}", "learning_rate: 1"]
    )
    try:
        problem = parse_problem(text, source="nnsolve new")
    except NnsolveError as e:
        raise click.UsageError(f"{e.key}: {e.message}" + (f"; {e.fix}" if e.fix else "")) from None
    return Shape(tuple(sizes), problem.activations, problem.loss, decimals=decimals or 0, title="Neural network")


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise click.UsageError(f"--layers {text!r}: write the sizes as whole numbers, such as 2,2,1") from None
    if len(sizes) < 2:
        raise click.UsageError(f"--layers {text!r}: give the inputs and the outputs at least, such as 2,1")
    if any(n < 1 for n in sizes):
        raise click.UsageError(f"--layers {text!r}: every layer needs at least one neuron")
    if any(n > 16 for n in sizes) or len(sizes) > 6:
        raise click.UsageError(f"--layers {text!r}: at most 16 neurons a layer and 5 layers of weights (6 sizes), to stay workable by hand")
    return sizes


def remake_command(from_file, layers, activation, loss, decimals, questions, rtol, atol, seed, count, out) -> str:
    """The command that makes the same variants again: every option that changes what is drawn
    (the quizzes' questions and tolerance too: a draw whose answers they could not tell from a
    slip is drawn again), and --count with --out where the variants are kept: DIR, any new
    folder, so that the same options give the same bytes in every folder."""
    import shlex

    words = ["nnsolve", "new"]
    for option, value in (("--from", from_file), ("--layers", layers), ("--activation", activation), ("--loss", loss),
                          ("--decimals", decimals), ("--questions", questions)):
        if value is not None:
            words += [option, str(value)]
    if rtol != 0.01:
        words += ["--rtol", repr(rtol)]
    if atol != 1e-4:
        words += ["--atol", repr(atol)]
    words += ["--seed", str(seed)]
    if count > 1:
        words += ["--count", str(count)]
    command = shlex.join(words)
    return command + " --out DIR (any new folder)" if out else command


def variant_files(problems, solutions, key_format, made_by: str, with_keys: bool):
    """(file name, text) for every variant, its key sheet and its key document, one after the
    other as they are asked for; made_by: the command that makes them again."""
    from ..quantities import Catalog
    from ..render.answer_sheet import key_sheets
    from ..render.problem_file import problem_yamls

    catalog = Catalog(problems[0])  # every variant has the same shape, so the same names
    stems = [f"variant-{n:03d}" for n in range(1, len(problems) + 1)]
    keys = key_sheets(solutions, [f"{stem}.yaml" for stem in stems], [[f"The key of {stem}: `nnsolve check {stem}.key.yaml`"] for stem in stems], catalog)
    texts = problem_yamls(problems, [[f"{stem}: made by {made_by}" + (f"; its key is {stem}.key.yaml" if with_keys else "")] for stem in stems])
    for stem, solution, text, key in zip(stems, solutions, texts, keys):
        yield (f"{stem}.yaml", text)
        yield (f"{stem}.key.yaml", key)
        if key_format:
            from ..render.diagram import network_diagram
            from ..render.formats import written
            from ..render.svg import svg

            text = written(key_format, lambda: key_document(solution), dict, diagram=lambda: svg(network_diagram(solution)))
            yield (f"{stem}.key.{KEY_EXTENSIONS[key_format]}", text)


def key_document(solution):
    """A variant's worked solution, as `run` writes it: a batch's (each example, then the one
    update) where the variant is a batch."""
    if solution.problem.batch is not None:
        from ..render.batch import batch_document
        from ..solution import solve_batch

        return batch_document(solve_batch(solution.problem), 8)
    from ..render.document import solution_document

    return solution_document(solution, 8)


class NewFolder:
    """A folder of new files for --out: checked, then staged beside it (a hidden folder), filled,
    and put in place at once by commit(), so that a failure (or an interrupt) before that leaves
    nothing behind. Call fill() then commit(), or discard()."""

    def __init__(self, out: str, force: bool):
        import tempfile

        from ..errors import NnsolveError
        from ..files import make_folders

        if os.path.exists(out) and not os.path.isdir(out):
            raise NnsolveError("is a file, not a folder", file=out, fix="give a folder for --out")
        self.out = out
        self.shared = os.path.isdir(out) and bool(os.listdir(out))  # files beside the new ones: not staged
        if self.shared and not force:
            raise NnsolveError("holds files already", file=out, fix="give a new or empty folder, or --force to write into it")
        self.staging = None
        self.staged: list = []  # into a shared folder: (temporary, path) of each file
        self.made: list[str] = []  # the missing folders above it, made for it (outermost first)
        if self.shared:
            return
        self.made = make_folders([out])  # NnsolveError naming the folder, and none left made
        try:
            self.staging = tempfile.mkdtemp(prefix=".nnsolve-new-", dir=os.path.dirname(os.path.abspath(out)))
        except OSError as e:
            self.discard()
            raise NnsolveError(f"cannot make the folder: {e.strerror or e}", file=out, fix="give a folder name that is free") from None

    def fill(self, files, count: int) -> None:
        """Write every (name, text) of files (count of them; a generator's each as it is made)
        and flush them to disk, not yet in place."""
        from ..errors import NnsolveError
        from ..files import create_file, fsync_each, stage_files

        if self.shared:  # into a folder the user asked to share: every file staged beside its target
            self.staged = stage_files([(os.path.join(self.out, name), text.encode("utf-8")) for name, text in files], force=True)
            return
        each = fsync_each(count)  # on disk one by one, or all with one os.sync() at the end
        try:
            for name, text in files:
                if "/" in name:  # a quiz folder inside it (--prairielearn OUT/pl)
                    os.makedirs(os.path.join(self.staging, os.path.dirname(name)), exist_ok=True)
                create_file(os.path.join(self.staging, name), text.encode("utf-8"), sync=each)
            if not each:
                os.sync()
        except OSError as e:
            self.discard()
            raise NnsolveError(f"cannot write: {e.strerror or e}", file=self.out) from None

    def commit(self) -> None:
        """Put the filled folder (or files) in place."""
        from ..errors import NnsolveError
        from ..files import commit_files, umask

        self.made = []  # in place: the folders made for it stay
        if self.shared:
            staged, self.staged = self.staged, []
            commit_files(staged, force=True)
            return
        try:
            os.chmod(self.staging, 0o777 & ~umask())
            try:
                os.replace(self.staging, self.out)  # onto a missing or empty folder
            except OSError:
                # Windows renames no folder onto another, even an empty one: it goes first
                if not (os.path.isdir(self.out) and not os.listdir(self.out)):
                    raise
                os.rmdir(self.out)
                try:
                    os.replace(self.staging, self.out)
                except OSError:
                    os.mkdir(self.out)  # the empty folder as it was
                    raise
            self.staging = None
        except OSError as e:
            self.discard()
            raise NnsolveError(f"cannot write: {e.strerror or e}", file=self.out) from None

    def discard(self) -> None:
        """Remove what was staged (nothing of it stays)."""
        import shutil

        from ..files import discard_files, remove_folders

        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None
        discard_files(self.staged)
        self.staged = []
        remove_folders(self.made)  # made for it: gone again, as nothing was written
        self.made = []


def question_names(problem, questions) -> list[str]:
    """The quantities the quizzes ask: --questions, checked, or the defaults."""
    from ..quantities import Catalog
    from ..variant_drawing import default_questions

    catalog = Catalog(problem)
    names = [n.strip() for n in questions.split(",")] if questions else default_questions(problem)
    for name in names:
        q = catalog.find(name)
        if q is None and catalog.missing_update(name):
            raise click.UsageError(f"--questions {name!r}: the problem has no learning rate, so no update and no new weights; add learning_rate to the problem")
        if q is None or q.shape not in ((), (1,)):
            raise click.UsageError(f"--questions {name!r}: not a single number of this problem; nnsolve check --template lists the names")
    return names


def preflight(out, moodle, prairielearn, force: bool) -> None:
    """What would stop a write, found before the first file is written: a failed command
    leaves no folder or file behind. (--questions is checked once a variant is drawn.)"""
    from ..errors import NnsolveError
    from ..files import check_target, missing_folders

    if out and prairielearn and os.path.abspath(out) == os.path.abspath(prairielearn):
        raise click.UsageError("--out and --prairielearn name the same folder; give two")
    for option, folder in (("--out", out), ("--prairielearn", prairielearn)):
        if not folder:
            continue
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise NnsolveError("is a file, not a folder", file=folder, fix=f"give a folder for {option}")
        if os.path.isdir(folder) and os.listdir(folder) and not force:
            raise NnsolveError("holds files already", file=folder, fix="give a new or empty folder, or --force to write into it")
        missing_folders(folder)  # made when written; only a file in the way stops it
    if moodle and not (out and os.path.dirname(os.path.abspath(moodle)) == os.path.abspath(out)):
        check_target(moodle, force, "--moodle")


def exports(problems, solutions, names, moodle, moodle_form, prairielearn, rtol, atol, force, seed, title, into=None) -> list:
    """The Moodle file and the PrairieLearn folder asking the quantities names, written and
    flushed but not yet in place: their commit() puts them there, their discard() takes them back.
    One inside the new --out folder (into) is written into it, and put in place with it."""
    if not moodle and not prairielearn:
        return []
    import numpy as np

    from ..grading import Tolerance, answer_width
    from ..quantities import Catalog

    catalog = Catalog(problems[0])
    tolerance = Tolerance(rtol, atol)
    variants = []  # (id, problem, [(name, answer, how far an answer may be from it)])
    for n, (problem, solution) in enumerate(zip(problems, solutions), start=1):
        asked = [catalog.find(name) for name in names]
        variants.append((f"variant-{n:03d}", problem, [
            (name, float(catalog.value(solution, q).ravel()[0]), float(np.ravel(answer_width(solution, q, tolerance))[0]))
            for name, q in zip(names, asked)
        ]))
    staged = []
    try:
        if moodle:
            from ..render.moodle import quiz_xml

            category = f"nnsolve/{title}, seed {seed}"  # one assignment's variants, and only them
            xml = quiz_xml(category, variants, moodle_form)
            inside = _inside(moodle, into)
            if inside:
                into.fill([(inside, xml)], 1)
            else:
                staged.append(_StagedFiles([(moodle, xml.encode("utf-8"))], force))
        if prairielearn:
            import uuid

            from ..render import prairielearn as pl

            question_uuid = uuid.UUID(bytes=np.random.default_rng(seed).bytes(16), version=4)
            files = [
                ("info.json", pl.info_json(f"{title} (nnsolve, seed {seed})", question_uuid)),
                ("question.html", pl.question_html(names)),
                ("server.py", pl.server_py(variants)),
            ]
            inside = _inside(prairielearn, into)
            if inside:
                into.fill([(f"{inside}/{name}", text) for name, text in files], 3)
            else:
                folder = NewFolder(prairielearn, force)
                staged.append(folder)
                folder.fill(files, 3)
    except BaseException:
        for output in staged:
            output.discard()
        raise
    return staged


def _inside(path: str, into) -> Optional[str]:
    """path from the new --out folder into, where it lies inside it ("quiz.xml", "pl/q1"); None
    where it does not, or into is an existing folder written into (nothing of it is renamed)."""
    if into is None or into.shared:
        return None
    out, where = os.path.abspath(into.out), os.path.abspath(path)
    if where == out or os.path.commonpath([out, where]) != out:
        return None
    return os.path.relpath(where, out).replace(os.sep, "/")


class _StagedFiles:
    """Files written beside their paths (files.stage_files), put in place by commit()."""

    def __init__(self, files, force: bool):
        from ..files import stage_files

        self.force = force
        self.staged = stage_files(files, force)

    def commit(self) -> None:
        from ..files import commit_files

        staged, self.staged = self.staged, []
        commit_files(staged, self.force)

    def discard(self) -> None:
        from ..files import discard_files

        discard_files(self.staged)
        self.staged = []
