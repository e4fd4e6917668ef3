"""Writing files the way an instructor can rely on: atomically, and never over a file unasked."""

from __future__ import annotations

import os
import tempfile

from .errors import NnsolveError


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
    check_target(path, force)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".nnsolve-", suffix=".tmp", dir=folder)
    except OSError as e:
        raise NnsolveError(f"cannot write: {e.strerror or e}", file=path) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except OSError as e:
        _remove_quietly(tmp)
        raise NnsolveError(f"cannot write: {e.strerror or e}", file=path) from None
    except BaseException:
        _remove_quietly(tmp)
        raise


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
