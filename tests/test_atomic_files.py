"""Reliability: every file nnsolve writes is written atomically, never replaces a file without
--force (not even one that appears while nnsolve works), and is left as it was when the command
or the write fails (a full disk, a failed rename, a write cut off half-way, an interrupt), with
no temporary file left behind."""

from __future__ import annotations

import errno
import importlib.util
import os
import shutil
from pathlib import Path

import pytest


from conftest import PROBLEMS, ROOT, assert_usage_error, invoke, leftovers, needs_permissions, needs_posix

WORKSHEET = PROBLEMS / "worksheet.yaml"
ANSWERS = PROBLEMS / "worksheet-answers.yaml"
XOR = PROBLEMS / "xor.yaml"
XOR_DATA = ROOT / "problems" / "data" / "xor.csv"
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
needs_matplotlib = pytest.mark.skipif(not HAS_MATPLOTLIB, reason="matplotlib is not installed")


# =============================================================================================
# Files: atomic, never replaced without --force, untouched when the command or write fails

BAD_PROBLEM = "x: [2, 5]\ny: [1]\nW1: [[1, 2]]\nlearning_rate: 1\n"  # W1 has too few rows


def _writers():
    """name -> (target file name, args(target, problem)); the problem argument is where a
    broken problem file goes to make the command fail."""
    w = {
        "run -o markdown": ("key.md", lambda t, p: ["run", p, "--format", "markdown", "-o", t]),
        "run -o json": ("key.json", lambda t, p: ["run", p, "--json", "-o", t]),
        "grad -o latex": ("grad.tex", lambda t, p: ["grad", "W2[1,1]", p, "--format", "latex", "-o", t]),
        "draw -o dot": ("net.dot", lambda t, p: ["draw", p, "--format", "dot", "-o", t]),
        "new --moodle": ("quiz.xml", lambda t, p: ["new", "--from", p, "--seed", "1", "--moodle", t]),
        "train --save": ("trained.yaml", lambda t, p: ["train", p, "--data", str(XOR_DATA), "--epochs", "2", "--save", t]),
        "check --gradescope": ("results.json", lambda t, p: ["check", str(ANSWERS), "--problem", p, "--gradescope", t]),
    }
    if HAS_MATPLOTLIB:
        w["draw -o png"] = ("net.png", lambda t, p: ["draw", p, "--format", "png", "-o", t])
        w["train --plot"] = ("loss.png", lambda t, p: ["train", p, "--data", str(XOR_DATA), "--epochs", "2", "--plot", t])
    return w


WRITERS = _writers()
OLD = b"the instructor's old file\n"


def _setup(tmp_path, name, broken=False):
    target_name, make = WRITERS[name]
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / target_name
    problem = tmp_path / "problem.yaml"
    if broken:
        problem.write_text(BAD_PROBLEM, encoding="utf-8")
    else:
        shutil.copy(XOR if name.startswith("train") else WORKSHEET, problem)
    return folder, target, make(str(target), str(problem))


@pytest.mark.parametrize("name", WRITERS)
def test_an_existing_file_is_never_replaced_without_force(tmp_path, name):
    folder, target, args = _setup(tmp_path, name)
    target.write_bytes(OLD)
    assert_usage_error(invoke(*args), str(target), "already exists", "--force")
    assert target.read_bytes() == OLD
    assert leftovers(folder) == []


@pytest.mark.parametrize("name", WRITERS)
def test_force_replaces_it_and_keeps_its_mode(tmp_path, name):
    folder, target, args = _setup(tmp_path, name)
    target.write_bytes(OLD)
    os.chmod(target, 0o640)
    result = invoke(*args, "--force")
    assert result.exit_code in (0, 1), result.stderr
    assert target.read_bytes() != OLD and target.stat().st_size > 0
    if os.name == "posix":  # (Windows keeps only a read-only flag: 0o640 reads back as 0o666)
        assert target.stat().st_mode & 0o777 == 0o640
    assert leftovers(folder) == []


@pytest.mark.parametrize("name", WRITERS)
def test_a_command_that_fails_leaves_the_file_as_it_was(tmp_path, name):
    folder, target, args = _setup(tmp_path, name, broken=True)
    target.write_bytes(OLD)
    result = invoke(*args, "--force")
    assert_usage_error(result, "W1")
    assert target.read_bytes() == OLD
    assert leftovers(folder) == []


class _CutOff:
    """A file whose write puts half the bytes on disk and then fails: a disk that fills up."""

    def __init__(self, f, error):
        self.f, self.error = f, error

    def write(self, data):
        self.f.write(data[: len(data) // 2])
        self.f.flush()
        raise self.error

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def _disk_full():
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _fail(monkeypatch, how: str) -> None:
    """Make the next write fail the way `how` says."""
    if how == "half-written":
        real = os.fdopen
        monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: _CutOff(real(fd, *a, **k), _disk_full()))
    elif how == "interrupted half-way":
        real = os.fdopen
        monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: _CutOff(real(fd, *a, **k), KeyboardInterrupt()))
    elif how == "fsync":
        def fsync(fd):
            raise _disk_full()
        monkeypatch.setattr(os, "fsync", fsync)
    elif how == "rename":
        def fail(*args, **kwargs):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        monkeypatch.setattr(os, "replace", fail)
        monkeypatch.setattr(os, "link", fail)
    elif how == "no temporary file":
        def mkstemp(*args, **kwargs):
            raise _disk_full()
        monkeypatch.setattr("tempfile.mkstemp", mkstemp)
    else:
        raise ValueError(how)


FAILURES = ["half-written", "interrupted half-way", "fsync", "rename", "no temporary file"]


@pytest.mark.parametrize("how", FAILURES)
@pytest.mark.parametrize("name", WRITERS)
def test_a_write_that_fails_half_way_leaves_the_old_file(tmp_path, monkeypatch, name, how):
    folder, target, args = _setup(tmp_path, name)
    target.write_bytes(OLD)
    _fail(monkeypatch, how)
    result = invoke(*args, "--force")
    if how == "interrupted half-way":
        assert result.exit_code == 130 and result.stderr.endswith("nnsolve: interrupted\n"), result.stderr
    else:
        assert result.exit_code == 2
        # one error line (train has shown its table by then; check its grades)
        [line] = [line for line in result.stderr.splitlines() if line.startswith("nnsolve: error: ")]
        assert str(target) in line and "cannot write" in line, line
        assert "No space left on device" in line or "Input/output error" in line, line
    assert target.read_bytes() == OLD
    assert leftovers(folder) == []


def _deeper(target: Path, args: list) -> tuple[Path, list]:
    """The same command writing its file two missing folders further down."""
    deeper = target.parent / "week7" / "keys" / target.name
    return deeper, [str(deeper) if a == str(target) else a for a in args]


@pytest.mark.parametrize("name", WRITERS)
def test_every_file_output_makes_its_missing_folders(tmp_path, name):
    folder, target, args = _setup(tmp_path, name)
    deeper, args = _deeper(target, args)
    result = invoke(*args)
    assert result.exit_code in (0, 1), result.stderr  # check grades the sheet: 0 or 1
    assert deeper.is_file() and leftovers(folder) == []


@pytest.mark.parametrize("how", ["half-written", "interrupted half-way", "rename"])
@pytest.mark.parametrize("name", WRITERS)
def test_a_write_that_fails_takes_away_the_folders_it_made(tmp_path, monkeypatch, name, how):
    folder, target, args = _setup(tmp_path, name)
    _, args = _deeper(target, args)
    _fail(monkeypatch, how)
    assert invoke(*args).exit_code in (2, 130)
    assert os.listdir(folder) == []


@pytest.mark.parametrize("name", WRITERS)
def test_a_command_that_fails_makes_no_folder(tmp_path, name):
    folder, target, args = _setup(tmp_path, name, broken=True)
    _, args = _deeper(target, args)
    assert_usage_error(invoke(*args), "W1")
    assert os.listdir(folder) == []


@pytest.mark.parametrize("name", WRITERS)
def test_a_file_where_a_folder_would_be_is_refused_before_any_work(tmp_path, name):
    folder, target, args = _setup(tmp_path, name)
    (folder / "week7").write_bytes(OLD)
    _, args = _deeper(target, args)
    assert_usage_error(invoke(*args), "week7 is a file, not a folder")
    assert os.listdir(folder) == ["week7"] and (folder / "week7").read_bytes() == OLD


@pytest.mark.parametrize("name", WRITERS)
def test_a_new_file_is_not_made_when_the_write_fails(tmp_path, monkeypatch, name):
    folder, target, args = _setup(tmp_path, name)
    _fail(monkeypatch, "half-written")
    assert invoke(*args).exit_code == 2
    assert sorted(os.listdir(folder)) == []


@pytest.mark.parametrize("name", WRITERS)
def test_a_file_that_appears_while_nnsolve_works_is_not_replaced(tmp_path, monkeypatch, name):
    """Without --force the last step is a link that fails if the file exists, not a rename."""
    from nnsolve import files

    folder, target, args = _setup(tmp_path, name)
    real = files._stage

    def stage(path, data, **options):
        tmp = real(path, data, **options)
        Path(path).write_bytes(b"written by someone else meanwhile\n")
        return tmp

    monkeypatch.setattr(files, "_stage", stage)
    result = invoke(*args)
    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert target.read_bytes() == b"written by someone else meanwhile\n"
    assert leftovers(folder) == []


@needs_permissions
@pytest.mark.parametrize("name", WRITERS)
def test_a_read_only_folder(tmp_path, name):
    folder, target, args = _setup(tmp_path, name)
    target.write_bytes(OLD)
    os.chmod(folder, 0o555)
    try:
        result = invoke(*args, "--force")
    finally:
        os.chmod(folder, 0o755)
    assert result.exit_code == 2 and "Permission denied" in result.stderr, result.stderr
    assert target.read_bytes() == OLD
    assert leftovers(folder) == []


@needs_matplotlib
@pytest.mark.parametrize("failing", [1, 2])
def test_train_writes_the_plot_and_the_weights_both_or_neither(tmp_path, monkeypatch, failing):
    plot, save = tmp_path / "loss.png", tmp_path / "t.yaml"
    plot.write_bytes(OLD)
    save.write_bytes(OLD)
    calls = []
    real = os.fsync

    def fsync(fd):
        calls.append(fd)
        if len(calls) == failing:
            raise _disk_full()
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    result = invoke("train", str(XOR), "--data", str(XOR_DATA), "--epochs", "2", "--plot", str(plot), "--save", str(save), "--force")
    assert result.exit_code == 2 and "No space left on device" in result.stderr
    assert plot.read_bytes() == OLD and save.read_bytes() == OLD
    assert leftovers(tmp_path) == []


# -- folders: new --out, new --prairielearn, check --gradescope FOLDER

def _class_of_sheets(tmp_path) -> list[str]:
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    shutil.copy(WORKSHEET, sheets / "worksheet.yaml")
    names = []
    for student in ("ann", "bob", "cy"):
        shutil.copy(ANSWERS, sheets / f"{student}.yaml")
        names.append(str(sheets / f"{student}.yaml"))
    return names


FOLDER_WRITERS = {
    "new --out": lambda tmp, out: ["new", "--seed", "2", "--count", "3", "--out", out, "--keys", "markdown"],
    "new --prairielearn": lambda tmp, out: ["new", "--seed", "2", "--count", "3", "--out", str(tmp / "variants"), "--prairielearn", out],
    "check --gradescope": lambda tmp, out: ["check", *_class_of_sheets(tmp), "--gradescope", out],
}


@pytest.mark.parametrize("name", FOLDER_WRITERS)
def test_a_folder_that_holds_files_is_not_written_into_without_force(tmp_path, name):
    out = tmp_path / "out"
    out.mkdir()
    (out / "variant-001.yaml").write_bytes(OLD)
    (out / "ann.json").write_bytes(OLD)
    (out / "info.json").write_bytes(OLD)
    result = invoke(*FOLDER_WRITERS[name](tmp_path, str(out)))
    assert result.exit_code == 2
    assert "holds files already" in result.stderr or "already exists" in result.stderr, result.stderr
    assert sorted(os.listdir(out)) == ["ann.json", "info.json", "variant-001.yaml"]
    assert all((out / n).read_bytes() == OLD for n in os.listdir(out))
    assert not (tmp_path / "variants").exists()  # nothing else was written first
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("how", ["fsync", "rename", "interrupted"])
@pytest.mark.parametrize("name", FOLDER_WRITERS)
def test_a_folder_write_that_fails_leaves_nothing(tmp_path, monkeypatch, name, how):
    out = tmp_path / "out"
    args = FOLDER_WRITERS[name](tmp_path, str(out))
    if how == "interrupted":
        def fsync(fd):
            raise KeyboardInterrupt
        monkeypatch.setattr(os, "fsync", fsync)
    else:
        _fail(monkeypatch, how)
    result = invoke(*args)
    assert result.exit_code == (130 if how == "interrupted" else 2), result.stderr
    assert not out.exists()
    assert not (tmp_path / "variants").exists() or name != "new --out"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("name", FOLDER_WRITERS)
def test_a_forced_folder_write_that_fails_half_way_leaves_every_old_file(tmp_path, monkeypatch, name):
    """--force into a folder that holds files: every file is staged before any is renamed."""
    out = tmp_path / "out"
    out.mkdir()
    olds = {"variant-001.yaml": OLD, "variant-002.key.md": OLD + b"2", "ann.json": OLD + b"3", "info.json": OLD + b"4", "other.txt": b"x"}
    for n, data in olds.items():
        (out / n).write_bytes(data)
    calls = []
    real = os.fsync

    def fsync(fd):  # the third file fails: two are staged already
        calls.append(fd)
        if len(calls) == 3:
            raise _disk_full()
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    result = invoke(*FOLDER_WRITERS[name](tmp_path, str(out)), "--force")
    assert result.exit_code == 2 and "No space left on device" in result.stderr, result.stderr
    assert {n: (out / n).read_bytes() for n in os.listdir(out)} == olds
    assert leftovers(tmp_path) == []


def test_new_checks_every_target_before_writing_the_first(tmp_path):
    out = tmp_path / "class"
    (tmp_path / "quiz.xml").write_bytes(OLD)
    result = invoke("new", "--seed", "1", "--count", "2", "--out", str(out), "--moodle", str(tmp_path / "quiz.xml"))
    assert_usage_error(result, "quiz.xml", "already exists")
    assert not out.exists()
    result = invoke("new", "--seed", "1", "--count", "2", "--out", str(out), "--moodle", str(tmp_path / "q.xml"), "--questions", "nope")
    assert_usage_error(result, "--questions 'nope'")
    assert not out.exists() and not (tmp_path / "q.xml").exists()
    (tmp_path / "pl").mkdir()
    (tmp_path / "pl" / "server.py").write_bytes(OLD)
    result = invoke("new", "--seed", "1", "--count", "2", "--out", str(out), "--prairielearn", str(tmp_path / "pl"))
    assert_usage_error(result, "holds files already")
    assert not out.exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("count", [2, 40])
@pytest.mark.parametrize("how", ["disk full in the Moodle file", "disk full in the PrairieLearn folder", "interrupted making the quiz"])
def test_new_writes_its_folder_and_quizzes_all_or_none(tmp_path, monkeypatch, how, count):
    """--out, --moodle and --prairielearn are one write: each is written out (staged) before
    any is put in place, so a failure in the last leaves none of them, and no staging."""
    from nnsolve.render import moodle

    out, xml, pl = tmp_path / "class", tmp_path / "quiz.xml", tmp_path / "pl"
    if how == "disk full in the Moodle file":
        from nnsolve import files

        real_stage = files._stage
        monkeypatch.setattr(files, "_stage", lambda path, data, sync=True: _raise(_disk_full()) if path.endswith(".xml") else real_stage(path, data, sync))
    elif how == "disk full in the PrairieLearn folder":
        from nnsolve import files

        real_create = files.create_file
        monkeypatch.setattr(files, "create_file", lambda path, data, sync=True: _raise(_disk_full()) if path.endswith("server.py") else real_create(path, data, sync))
    else:
        monkeypatch.setattr(moodle, "quiz_xml", lambda *a, **k: _raise(KeyboardInterrupt()))
    result = invoke("new", "--seed", "2", "--count", str(count), "--out", str(out), "--moodle", str(xml), "--prairielearn", str(pl))
    assert result.exit_code == (130 if how.startswith("interrupted") else 2), result.stderr
    if how.startswith("disk"):
        assert "No space left on device" in result.stderr
    assert not out.exists() and not xml.exists() and not pl.exists()
    assert leftovers(tmp_path) == []
    monkeypatch.undo()
    assert invoke("new", "--seed", "2", "--count", str(count), "--out", str(out), "--moodle", str(xml), "--prairielearn", str(pl)).exit_code == 0
    assert len(os.listdir(out)) == 2 * count and xml.exists() and len(os.listdir(pl)) == 3 and leftovers(tmp_path) == []


def _raise(error):
    raise error


def test_gradescope_results_are_all_written_or_none(tmp_path, monkeypatch):
    sheets = _class_of_sheets(tmp_path)
    out = tmp_path / "results"
    calls = []
    real = os.fsync

    def fsync(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise _disk_full()
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    result = invoke("check", *sheets, "--gradescope", str(out) + "/")
    assert result.exit_code == 2 and "No space left on device" in result.stderr
    assert not out.exists()  # the folder made for the results is gone again
    assert leftovers(tmp_path) == []


def test_gradescope_into_a_name_that_is_a_file(tmp_path):
    (tmp_path / "taken").write_bytes(OLD)
    result = invoke("check", *_class_of_sheets(tmp_path), "--gradescope", str(tmp_path / "taken" / "results") + "/")
    assert result.exit_code == 2
    assert [line for line in result.stderr.splitlines() if line.startswith("nnsolve: error: ")], result.stderr
    assert (tmp_path / "taken").read_bytes() == OLD


@needs_posix
def test_output_to_a_link_or_a_device_is_refused(tmp_path):
    (tmp_path / "real.md").write_bytes(OLD)
    (tmp_path / "link.md").symlink_to(tmp_path / "real.md")
    assert_usage_error(invoke("run", "--format", "markdown", "-o", str(tmp_path / "link.md"), "--force"), "is a link, a device or a pipe")
    assert (tmp_path / "real.md").read_bytes() == OLD and (tmp_path / "link.md").is_symlink()
    assert_usage_error(invoke("run", "-o", "/dev/null", "--force"), "is a link, a device or a pipe")




def _counted_fsync(calls: dict):
    """os.fsync that counts its calls and, as Windows does, refuses a file not open for writing."""
    real = os.fsync

    def fsync(fd):
        os.write(fd, b"")  # EBADF on a file opened only for reading (Windows cannot flush it)
        calls["fsync"] += 1
        return real(fd)

    return fsync


@pytest.mark.parametrize("count", [3, 200])
@pytest.mark.parametrize("has_sync", [True, False], ids=["os.sync", "no os.sync"])
def test_many_files_are_flushed_once_few_each(tmp_path, monkeypatch, count, has_sync):
    """write_files_atomic: a few files are each fsync'd before their rename; a class's many
    (past files.MANY_FILES) are flushed with one os.sync(), or, where there is none (Windows),
    an fsync each while it is open for writing, still before any rename."""
    from nnsolve import files

    calls = {"fsync": 0, "sync": 0, "renamed before flush": 0}
    real_link = os.link
    monkeypatch.setattr(files.os, "fsync", _counted_fsync(calls))
    if has_sync:
        monkeypatch.setattr(files.os, "sync", lambda: calls.__setitem__("sync", calls["sync"] + 1))
    else:
        monkeypatch.delattr(files.os, "sync", raising=False)

    def link(src, dst):
        if count > files.MANY_FILES and calls["sync"] + calls["fsync"] == 0:
            calls["renamed before flush"] += 1
        return real_link(src, dst)

    monkeypatch.setattr(files.os, "link", link)
    targets = [(str(tmp_path / f"r{n:03d}.json"), f"result {n}\n".encode()) for n in range(count)]
    files.write_files_atomic(targets)
    assert [Path(p).read_bytes() for p, _ in targets] == [d for _, d in targets]
    assert sorted(os.listdir(tmp_path)) == sorted(os.path.basename(p) for p, _ in targets)  # no temporary left
    if count <= files.MANY_FILES or not has_sync:
        assert calls == {"fsync": count, "sync": 0, "renamed before flush": 0}
    else:
        assert calls == {"fsync": 0, "sync": 1, "renamed before flush": 0}


def test_new_flushes_a_class_with_or_without_os_sync(tmp_path, monkeypatch):
    """new --out with many files: one os.sync(); where there is none, an fsync each (while it is
    open for writing); the same files."""
    from nnsolve import files

    calls = {"fsync": 0, "sync": 0}
    monkeypatch.setattr(files.os, "fsync", _counted_fsync(calls))
    monkeypatch.setattr(files.os, "sync", lambda: calls.__setitem__("sync", calls["sync"] + 1))
    assert invoke("new", "--seed", "5", "--count", "40", "--out", str(tmp_path / "synced")).exit_code == 0
    assert calls == {"fsync": 0, "sync": 1}
    monkeypatch.delattr(files.os, "sync")
    assert invoke("new", "--seed", "5", "--count", "40", "--out", str(tmp_path / "each")).exit_code == 0
    assert calls == {"fsync": 80, "sync": 1}
    synced, each = sorted((tmp_path / "synced").iterdir()), sorted((tmp_path / "each").iterdir())
    assert [(p.name, p.read_bytes(), p.stat().st_mode) for p in synced] == [(p.name, p.read_bytes(), p.stat().st_mode) for p in each]
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("how", ["disk full half-way", "interrupted while making files"])
def test_new_with_many_files_fails_cleanly(tmp_path, monkeypatch, how):
    """Past files.MANY_FILES, new's files are written and flushed all at the end: a failure
    half-way (a full disk, an interrupt while the files are being made) leaves no folder and no
    staging behind, and nothing is written after it."""
    from nnsolve import files
    from nnsolve.render import problem_file

    out = tmp_path / "out"
    made = []
    if how == "disk full half-way":
        real_create = files.create_file

        def create(path, data, sync=True):
            if len(made) == 49:
                raise _disk_full()
            made.append(path)
            return real_create(path, data, sync)

        monkeypatch.setattr(files, "create_file", create)
    else:
        real_layout, calls = problem_file._layout, []

        def layout(*args):  # the text of one variant's problem file
            calls.append(1)
            if len(calls) == 30:
                raise KeyboardInterrupt
            return real_layout(*args)

        monkeypatch.setattr(problem_file, "_layout", layout)
    result = invoke("new", "--seed", "4", "--count", "40", "--out", str(out))
    assert result.exit_code == (130 if how.startswith("interrupted") else 2), result.stderr
    if how == "disk full half-way":
        assert "No space left on device" in result.stderr and len(made) == 49
    assert not out.exists()
    assert leftovers(tmp_path) == []
    monkeypatch.undo()  # and without a failure: every file
    assert invoke("new", "--seed", "4", "--count", "40", "--out", str(out)).exit_code == 0
    assert len(os.listdir(out)) == 80 and leftovers(tmp_path) == []


def test_new_that_refuses_after_staging_leaves_nothing(tmp_path):
    """A refusal found once the variants are drawn (--questions that are not quantities) leaves
    no folder, no staging and no quiz behind."""
    out = tmp_path / "class"
    result = invoke("new", "--count", "40", "--out", str(out), "--moodle", str(tmp_path / "q.xml"), "--questions", "nonsense")
    assert_usage_error(result, "--questions 'nonsense'")
    assert not out.exists() and not (tmp_path / "q.xml").exists() and leftovers(tmp_path) == []
