"""Writing files the way an instructor can rely on: atomically, and never over a file unasked."""

from __future__ import annotations

import contextlib
import os
import tempfile

from .errors import NnsolveError

# past this many files, written together, one os.sync() rather than an fsync each
MANY_FILES = 64
# os.open's files hold the bytes given (Windows translates line ends without O_BINARY)
BINARY = getattr(os, "O_BINARY", 0)


def write_text_atomic(path: str, text: str, force: bool = False) -> None:
    """Write text to path through a temporary file and a rename, so a failure leaves the old
    file (or no file) in place; an existing path is replaced only with force."""
    write_bytes_atomic(path, text.encode("utf-8"), force)


def check_target(path: str, force: bool = False, option: str = "-o") -> None:
    """The errors writing to path would meet, raised before any work is done: a directory,
    an existing file without force, a file where a folder above it would be. (Missing folders
    above it are made when it is written, and taken away again if it is not.)"""
    if os.path.isdir(path):
        raise NnsolveError("is a directory", file=path, fix=f"give a file name for {option}")
    if os.path.lexists(path) and (os.path.islink(path) or not os.path.isfile(path)):
        # the rename that makes a write atomic would replace the link or the device itself
        raise NnsolveError(
            "is a link, a device or a pipe, not a file", file=path,
            fix=f"give a plain file name for {option}, or leave out {option} to print to stdout",
        )
    if os.path.lexists(path) and not force:
        raise NnsolveError("already exists", file=path, fix="add --force to replace it, or choose another name")
    missing_folders(path)


def missing_folders(path: str) -> list[str]:
    """The folders above path that do not exist yet, outermost first: every output makes them
    when it is written (and takes them away again when it is not). NnsolveError when a file
    stands where one of them would be."""
    missing = []
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.isdir(parent):
        if os.path.lexists(parent):
            raise NnsolveError(f"{parent} is a file, not a folder", file=path, fix="give a path whose folders are folders")
        missing.append(parent)
        parent, above = os.path.dirname(parent), parent
        if parent == above:
            break
    return missing[::-1]


def make_folders(paths) -> list[str]:
    """Make the missing folders above each path, outermost first; the ones made, for
    remove_folders (on a failure, those made so far are removed again before it is raised)."""
    made: list[str] = []
    try:
        for path in paths:
            for folder in missing_folders(path):
                if not os.path.isdir(folder):
                    os.mkdir(folder)
                    made.append(folder)
    except OSError as e:
        remove_folders(made)
        raise NnsolveError(f"cannot make the folder: {e.strerror or e}", file=e.filename or path, fix="give a folder name that is free") from None
    except BaseException:
        remove_folders(made)
        raise
    return made


def remove_folders(made) -> None:
    """Take away folders make_folders made, innermost first, each only if it is still empty."""
    for folder in reversed(made):
        try:
            os.rmdir(folder)
        except OSError:
            pass


def write_bytes_atomic(path: str, data: bytes, force: bool = False) -> None:
    """write_text_atomic for bytes (a PNG)."""
    write_files_atomic([(path, data)], force)


def write_files_atomic(files, force: bool = False) -> None:
    """Write several files (path, bytes), all or none: each goes to a temporary file beside it,
    and only when every one is written and flushed to disk are they renamed into place. A
    failure before that (a full disk, an interrupt) leaves every old file as it was and no
    temporary file behind. Without force, no file is ever replaced, not even one that appears
    while nnsolve works."""
    commit_files(stage_files(files, force), force)


class Staged(list):
    """stage_files' (temporary, path) pairs, not yet renamed, and the folders made for them
    (which discard_files takes away again)."""

    made: tuple[str, ...] = ()


def stage_files(files, force: bool = False) -> Staged:
    """write_files_atomic's first half: every target checked, the missing folders above them
    made, every file written to a temporary beside it and flushed to disk; (temporary, path)
    pairs for commit_files, or discard_files to take them back. On a failure nothing is left
    behind, not even a folder (NnsolveError naming the file)."""
    files = list(files)
    for path, _ in files:
        check_target(path, force)
    staged = Staged()  # (temporary, path), not yet renamed
    staged.made = tuple(make_folders(path for path, _ in files))
    each = fsync_each(len(files))
    with _undone_on_failure(staged) as current:
        for path, data in files:
            current[0] = path
            staged.append((_stage(path, data, sync=each), path))
        if not each:
            os.sync()
    return staged


def commit_files(staged: list[tuple[str, str]], force: bool = False) -> None:
    """stage_files' second half: each temporary renamed onto its path (without force, never
    over a file, not even one that appeared meanwhile). On a failure the ones not yet renamed
    are removed, and so are the folders made for them that are left empty."""
    rest = Staged(staged)  # those not yet renamed
    rest.made = getattr(staged, "made", ())
    staged = rest
    with _undone_on_failure(staged) as current:
        while staged:
            tmp, current[0] = staged[0]
            _commit(tmp, current[0], force)
            staged.pop(0)


@contextlib.contextmanager
def _undone_on_failure(staged: list[tuple[str, str]]):
    """On any failure inside, the temporaries still in staged are removed, then the folders
    made for them that are left empty (discard_files); an OSError becomes an NnsolveError naming
    the file being written (current[0], which the block keeps up)."""
    current = [""]
    try:
        yield current
    except OSError as e:
        discard_files(staged)
        raise NnsolveError(f"cannot write: {e.strerror or e}", file=current[0]) from None
    except BaseException:
        discard_files(staged)
        raise


def discard_files(staged: list[tuple[str, str]]) -> None:
    """Remove staged temporaries (their paths are left as they were), and the folders made
    for them (stage_files)."""
    for tmp, _ in staged:
        _remove_quietly(tmp)
    remove_folders(getattr(staged, "made", ()))


def _stage(path: str, data: bytes, sync: bool = True) -> str:
    """data in a new temporary file in path's folder (on disk with sync), with the mode path
    will have."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".nnsolve-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(path))
    except BaseException:
        _remove_quietly(tmp)
        raise
    return tmp


def _commit(tmp: str, path: str, force: bool) -> None:
    """Rename tmp to path; without force, never over a file (one made since check_target looked)."""
    if force:
        os.replace(tmp, path)
        return
    link = getattr(os, "link", None)
    if link is None:  # a platform without hard links: checked by check_target only
        os.replace(tmp, path)
        return
    try:
        link(tmp, path)  # fails, atomically, if path exists
    except FileExistsError:
        raise NnsolveError("already exists", file=path, fix="add --force to replace it, or choose another name") from None
    except OSError:
        os.replace(tmp, path)  # a file system without hard links: checked by check_target only
        return
    _remove_quietly(tmp)


def _mode_for(path: str) -> int:
    """The mode the file keeps (or would get from open()): mkstemp's 0600 is for the temporary only."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        return 0o666 & ~umask()


def umask() -> int:
    """The process's umask (os.umask only sets it: it is set back at once)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def create_file(path: str, data: bytes, sync: bool = True) -> None:
    """A new file (never an existing one) holding data, on disk when sync; mode 0666 less the
    umask, as open() makes. os.open and os.write: a class's thousands of files in a fraction
    of open()'s time."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | BINARY | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def fsync_each(count: int) -> bool:
    """Whether count files written together are each fsync'd as they are written (True), or
    all flushed at once by os.sync() once written (False): for a class's thousands of files an
    fsync each costs seconds. Where there is no os.sync (Windows), an fsync each, while the
    file is still open for writing (Windows flushes no file opened only for reading)."""
    return count <= MANY_FILES or not hasattr(os, "sync")
