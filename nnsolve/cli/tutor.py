"""`nnsolve tutor`: the worksheet as a session that checks every step as the student types it.

Input is read with the standard library's input(): on a terminal it has line editing and
history from readline (where Python has it: Linux, macOS), it needs no new dependency, and
the same loop reads answers piped in, one a line, for scripts and tests.
"""

from __future__ import annotations

import os
import sys

import click

from .common import EXIT_FOUND, EXIT_OK, problem_argument

HELP = ("Type a number or an expression (1/(1+e^2), 2 - 2*-0.046), a list for a vector (0.5, 0.999);"
        " or hint (the formula, then with the numbers), show (the answer), skip, back, quit.")
_COLOURS = {"right": "\x1b[32m", "wrong": "\x1b[31m", "note": "\x1b[33m", "end": "\x1b[0m"}


@click.command()
@problem_argument
@click.option("--all", "everything", is_flag=True, help="Ask every quantity of the network (the names of check --template), not only the worksheet's questions.")
@click.option("--save", type=click.Path(dir_okay=False), metavar="SHEET",
              help="Write the answers to SHEET as you go: an answer sheet that nnsolve check grades the same way. An existing SHEET is replaced only with --force.")
@click.option("--resume", type=click.Path(dir_okay=False), metavar="SHEET", help="Go on with a session saved by --save (and keep saving to it).")
@click.option("--student", metavar="NAME", help="The name written on the saved sheet.")
@click.option("--force", is_flag=True, help="Let --save replace an existing file.")
def tutor(file, everything, save, resume, student, force):
    """Work FILE's questions one at a time, each answer checked as you type it.

    The worksheet's questions, in its order: the shapes, alpha, beta and y_hat layer by layer,
    the class, the loss, then each chain-rule factor of the weights it asks about, their
    derivatives and updates (--all: every quantity). Each answer gets the verdict nnsolve check
    gives: correct, right from your own earlier answers (carried forward), or wrong, with the
    slip named. After a wrong answer, 'hint' gives the formula, 'hint' again the formula with
    the numbers (your own earlier answers' where those are off the key), 'show' the answer
    (marked as shown; and what follows from your answers, where that differs). Without FILE, the built-in worksheet.
    Answers may be piped in, one a line; the exit status is 0 when every answer ends right,
    1 otherwise.

    \b
    Examples:
      nnsolve tutor
      nnsolve tutor problems/two_outputs.yaml --save me.yaml
      nnsolve tutor --resume me.yaml
      printf '3x2\\n...' | nnsolve tutor
    """
    from ..errors import NnsolveError
    from ..files import check_target
    from ..problem import load_problem
    from ..tutor import Session

    if save and resume:
        raise click.UsageError("--resume goes on saving to its own sheet: drop --save")
    raw = problem = None
    if resume:
        from ..sheet import named_problem, read_raw_sheet

        raw = read_raw_sheet(resume)
        if not file and raw.problem:
            file, problem = named_problem(raw, load_problem)
        save = resume
    elif save:
        check_target(save, force, "--save")
    problem = problem or load_problem(file)
    if problem.batch is not None:  # (the tutor asks one example's working, step by step)
        raise NnsolveError("the tutor works one example; this problem is a batch of several, one update from all of them",
                           file=problem.source, key="batch", fix="see the batch's working with nnsolve run, or tutor a problem of one of its examples")
    session = Session(problem, student=student or (raw.student if raw else None), everything=everything)
    if raw is not None:
        _restore(session, raw, resume)
    problem_name = None
    if file and save:
        from ..sheet import naming

        problem_name = naming(file, os.path.dirname(save))  # its path from the sheet's folder
        if problem_name is None:
            click.echo(f"nnsolve: note: {save} cannot name {file} (a sheet names a .yaml file by a relative path); "
                       f"check it with --problem {file}", err=True)
    sys.exit(EXIT_OK if _run(session, save, problem_name) else EXIT_FOUND)


def _restore(session, raw, path: str) -> None:
    """A saved session's answers and shown ones, graded again (so their verdicts are known), each
    right one as it came right (its comment: after a hint, after a miss)."""
    from ..sheet import bind
    from ..tutor import shown_in, tries_in

    sheet = bind(raw, session.catalog)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for a in sheet.answers:
        if a.quantity in session.asked:
            session.answer(a.quantity, a.value)
            tries = tries_in(text, a.line)
            if tries:
                session.came_right(a.quantity, tries)
    for name in shown_in(text):
        q = session.catalog.find(name)
        if q is not None:
            session.show(q)


def _run(session, save, problem_name) -> bool:
    """Ask until every question is answered right or shown, or the student quits (or input ends)."""
    from ..grading import CARRIED, CORRECT
    from ..expressions import read_answer, shape_typed
    from ..render.mathtext import unicode
    from ..tutor import from_your, written

    interactive = sys.stdin.isatty()
    colour = interactive and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    if interactive:
        try:
            import readline  # noqa: F401  (line editing and history for input(), where Python has it)
        except ImportError:
            pass

    def say(text: str, kind: str = "") -> None:
        click.echo(f"{_COLOURS[kind]}{text}{_COLOURS['end']}" if colour and kind else text)

    _introduce(session, say)
    k = session.next_open(0)
    while k is not None:
        q = session.asked[k]
        size = "" if q.shape in ((), (1,)) else f" ({' x '.join(map(str, q.shape))} numbers)" if len(q.shape) > 1 else f" ({q.shape[0]} numbers)"
        try:
            line = input(f"{unicode(q.name)}{size} = ")
        except EOFError:
            if not interactive:
                click.echo("")
            break
        if not interactive:
            click.echo(line)  # the transcript reads as on a terminal
        word = line.strip().lower()
        if word in ("quit", "exit", "q"):
            break
        if word in ("help", "?"):
            say(HELP, "note")
        elif word == "hint":
            hint = session.hint(q)
            say(f"  hint: {unicode(hint)}" if hint else "  no more hints: type show to see the answer", "note")
        elif word == "show":
            value = session.show(q)
            say(f"  {unicode(q.name)} = {written(value)} (shown)", "note")
            mine = session.own(q)
            if mine is not None:  # what their own earlier answers give: the answer carried forward
                say(f"  {unicode(from_your(mine))}: {unicode(q.name)} = {written(mine.value)} (right from your own earlier answers)", "note")
            _save(session, save, problem_name)
            k = session.next_open(k + 1)
        elif word == "skip":
            k = session.next_open(k + 1)
        elif word == "back":
            k = max(k - 1, 0)
        else:
            try:
                value = read_answer(shape_typed(line) if q.base.startswith("shape") else line)
            except ValueError as e:
                say(f"  {e}", "wrong")
                continue
            graded = session.answer(q, value)
            _save(session, save, problem_name)
            if graded.verdict == CORRECT:
                say("  ✓ correct", "right")
            elif graded.verdict == CARRIED:
                say(f"  ✓ right from your own earlier answers (carried forward; your working left the key at {unicode(graded.departure)})", "right")
            else:
                say(f"  ✗ {unicode(graded.explain())}", "wrong")
                if session.misses.get(q.name) == 1:
                    say("  type hint for the formula, show for the answer, or try again", "note")
                continue
            k = session.next_open(k + 1)
    _summarise(session, say, save)
    return session.all_right()


def _introduce(session, say) -> None:
    """The problem, as `nnsolve run` shows it first (the network and its weights)."""
    from ..render import plain
    from ..render.document import Document, SolutionDocument, in_notation
    from ..notation import Notation

    builder = SolutionDocument(session.key, 8)
    blocks = [b for b in builder.network() if not getattr(b, "parts", ("",))[0:1] == ("Q2. ",)]
    document = in_notation(Document(session.problem.title, tuple(blocks)), Notation.of(session.problem))
    say(plain.text(document).rstrip("\n"))
    from ..tutor import written

    say(f"x = {written(session.problem.x)}, y = {written(session.problem.y)}")
    if session.problem.examples:
        say(f"The problem has {len(session.problem.examples)} examples (SGD step by step); the questions are the first step's, with these x and y.", "note")
    say(f"{len(session.asked)} questions. {HELP}", "note")


def _save(session, save, problem_name) -> None:
    if save:
        from ..files import write_text_atomic
        from ..tutor import sheet_text

        write_text_atomic(save, sheet_text(session, problem_name), force=True)


def _summarise(session, say, save) -> None:
    from ..render.mathtext import unicode

    found = session.summary()
    total = len(session.asked)
    parts = [f"{len(found['first'])} right first time", f"{len(found['after a hint'])} after a hint",
             f"{len(found['after a miss'])} after another try", f"{len(found['shown'])} shown"]
    say("")
    say(f"Done: {total} questions: " + ", ".join(parts) + ".", "note")
    for what, label in (("wrong", "still wrong"), ("open", "not answered"), ("shown", "shown")):
        if found[what]:
            say(f"{label.capitalize()}: " + ", ".join(unicode(n) for n in found[what]) + ".", "wrong" if what != "shown" else "note")
    if save:
        say(f"Saved to {save}: nnsolve check {save} grades it the same way.", "note")
