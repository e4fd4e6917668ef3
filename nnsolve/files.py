"""Writing files the way an instructor can rely on: atomically, and never over a file unasked."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import tempfile

from .errors import NnsolveError

# past this many files, written together, one os.sync() rather than an fsync each
MANY_FILES = 64


def write_text_atomic(path: str, text: str, force: bool = False) -> None:
    """Write text to path through a temporary file and a rename, so a failure leaves the old
    file (or no file) in place; an existing path is replaced only with force."""
    write_bytes_atomic(path, text.encode("utf-8"), force)


def check_target(path: str, force: bool = False, option: str = "-o") -> None:
    """The errors writing to path would meet, raised before any work is done: a directory,
    an existing file without force, a folder that does not exist."""
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
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise NnsolveError("its folder does not exist", file=path, fix="create the folder first")


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


def stage_files(files, force: bool = False) -> list[tuple[str, str]]:
    """write_files_atomic's first half: every target checked, every file written to a temporary
    beside it and flushed to disk; (temporary, path) pairs for commit_files, or discard_files
    to take them back. On a failure nothing is left behind (NnsolveError naming the file)."""
    for path, _ in files:
        check_target(path, force)
    staged: list[tuple[str, str]] = []  # (temporary, path), not yet renamed
    each = len(files) <= MANY_FILES
    with _undone_on_failure(staged) as current:
        for path, data in files:
            current[0] = path
            staged.append((_stage(path, data, sync=each), path))
        if not each:
            flush_file_system(os.path.dirname(os.path.abspath(files[0][0])))
    return staged


def commit_files(staged: list[tuple[str, str]], force: bool = False) -> None:
    """stage_files' second half: each temporary renamed onto its path (without force, never
    over a file, not even one that appeared meanwhile). On a failure the ones not yet renamed
    are removed."""
    staged = list(staged)
    with _undone_on_failure(staged) as current:
        while staged:
            tmp, current[0] = staged[0]
            _commit(tmp, current[0], force)
            staged.pop(0)


@contextlib.contextmanager
def _undone_on_failure(staged: list[tuple[str, str]]):
    """On any failure inside, the temporaries still in staged are removed; an OSError becomes
    an NnsolveError naming the file being written (current[0], which the block keeps up)."""
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
    """Remove staged temporaries (their paths are left as they were)."""
    for tmp, _ in staged:
        _remove_quietly(tmp)


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
    try:
        os.link(tmp, path)  # fails, atomically, if path exists
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
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def create_file(path: str, data: bytes, sync: bool = True) -> None:
    """A new file (never an existing one) holding data, on disk when sync; mode 0666 less the
    umask, as open() makes. os.open and os.write: a class's thousands of files in a fraction
    of open()'s time."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def flush_file_system(folder: str) -> None:
    """Everything written to the file system that holds folder, on disk: one flush for a
    class's thousands of files, where an fsync each costs seconds. syncfs(2) where the C
    library has it (only that file system; a tmpfs has nothing to flush), else os.sync()."""
    try:
        import ctypes

        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (ImportError, OSError, AttributeError):
        os.sync()
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if syncfs(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


# The helper process of FileMaker. It reads from its standard input the names of the files to
# create at once (empty), then (name, bytes) records, and makes each file in its folder as
# create_file does (never over a file it did not create itself), until the input ends. It
# ignores an interrupt (its parent, which gets the same one, stops it and cleans up) and reports
# a failure as one line: errno, message, file name.
_WRITER = r"""
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
folder, read = sys.argv[1], sys.stdin.buffer.read
new = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
ready = set()  # made empty in advance: opened to be written
name, made = "", 0
try:
    names = [read(int.from_bytes(read(4), "little")).decode("utf-8", "surrogateescape") for _ in range(int.from_bytes(read(8), "little"))]
    for name in names:  # (all read first: the parent is not kept waiting)
        os.close(os.open(os.path.join(folder, name), new, 0o666))
        ready.add(name)
    while True:
        head = read(8)
        if len(head) < 8:
            break
        name = read(int.from_bytes(head[:4], "little")).decode("utf-8", "surrogateescape")
        data = read(int.from_bytes(head[4:], "little"))
        flags = new & ~(os.O_CREAT | os.O_EXCL) if name in ready else new
        ready.discard(name)
        fd = os.open(os.path.join(folder, name), flags, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        made += 1
    if ready:  # named in advance, never written: it would be left empty
        raise OSError(0, "a file named in advance was never written", next(iter(ready)))
except OSError as e:
    sys.stderr.write(f"{e.errno or 0}\t{e.strerror or e}\t{e.filename or name}")
    sys.exit(3)
"""
_SEND_BYTES = 1 << 20  # records sent to the helper this many bytes at a time


class FileMaker:
    """New files in one folder, made by a helper process on another core while this one makes
    the next ones' text: a class's 20,000 files cost ext4 60-400 us each to create, as long as
    making their text, so the two overlap. names: files to create (empty) at once, before their
    text is ready. add() each file, then finish() (or stop() on a failure); an error making a
    file is raised as an OSError naming it, by add or finish. Where no helper can start (no
    Python executable to run), the files are made here, in turn, when added."""

    def __init__(self, folder: str, names=()):
        import subprocess

        self.folder = folder
        self._pending: list[bytes] = [len(names).to_bytes(8, "little")]
        for name in names:  # created at once, empty, while this process goes on
            encoded = name.encode("utf-8", "surrogateescape")
            self._pending += (len(encoded).to_bytes(4, "little"), encoded)
        self._size = 0
        self._process = None
        if sys.executable and not getattr(sys, "frozen", False):  # (a frozen app's executable is not a Python)
            try:
                self._process = subprocess.Popen(
                    [sys.executable, "-I", "-S", "-c", _WRITER, folder],
                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, close_fds=True,
                )
            except OSError:
                self._process = None
        if self._process is not None:
            self._send()
        else:
            self._pending.clear()

    def add(self, name: str, data: bytes) -> None:
        if self._process is None:
            create_file(os.path.join(self.folder, name), data, sync=False)
            return
        encoded = name.encode("utf-8", "surrogateescape")
        self._pending += (len(encoded).to_bytes(4, "little") + len(data).to_bytes(4, "little"), encoded, data)
        self._size += 8 + len(encoded) + len(data)
        if self._size >= _SEND_BYTES:
            self._send()

    def _send(self) -> None:
        try:
            self._process.stdin.write(b"".join(self._pending))
        except BrokenPipeError:  # the helper stopped: at a file it could not make (raised by _end)
            self._end()
            raise OSError(errno.EPIPE, "the process making the files stopped") from None
        self._pending.clear()
        self._size = 0

    def finish(self) -> None:
        """Every file added is made (not yet flushed to disk: flush_file_system)."""
        if self._process is None:
            return
        self._send()
        try:
            self._process.stdin.close()
        except BrokenPipeError:
            pass
        self._end()

    def _end(self) -> None:
        """Wait for the helper to end; raise the OSError it met, if any."""
        process = self._process
        report = process.stderr.read().decode("utf-8", "replace")
        process.wait()
        process.stderr.close()
        self._process = None
        if process.returncode != 0:
            number, _, rest = report.partition("\t")
            message, _, name = rest.partition("\t")
            if not number.isdigit():  # it did not say: killed, or no Python to run it
                raise OSError(0, f"the process making the files stopped (exit status {process.returncode})")
            raise OSError(int(number), message, os.path.join(self.folder, os.path.basename(name)))

    def stop(self) -> None:
        """Stop the helper at once (a failure or an interrupt here): no file is made after this."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()
            for stream in (process.stdin, process.stderr):
                try:
                    stream.close()
                except OSError:
                    pass
