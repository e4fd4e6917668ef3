"""Data files for `nnsolve train`: a CSV with a header, or NumPy's .npy/.npz, as examples X, Y.

The only module that reads data files. Every mistake is an NnsolveError naming the file,
the line (row) and the column, what is wrong and how to fix it, found before any training
starts. A CSV is parsed by numpy's C reader; only when that fails is the file read again,
cell by cell, to say exactly where and why.

Memory: a .npy or .npz array is read a few MiB of rows at a time (CHUNK_BYTES) straight into
the arrays training uses, the features in the dtype training runs in: a data set is held once,
never as the file's table beside X and Y, nor as float64 beside its float32 features.
"""

from __future__ import annotations

import csv
import io
import math
import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .errors import NnsolveError
from .network import LOSSES

MAX_DATA_BYTES = 1 << 30  # 1 GiB: about 60,000 x 784 float64 in .npy, or a CSV of that size
CHUNK_BYTES = 1 << 20  # a .npy or .npz array is read this much at a time
DATA_SUFFIXES = (".csv", ".npy", ".npz")


class DataError(NnsolveError):
    """A data file that cannot be read, or whose examples do not fit the network."""


@dataclass(frozen=True)
class DataSet:
    X: np.ndarray  # (N, n_0) the inputs, one example a row, float64 (or float32 when asked for)
    Y: np.ndarray  # (N, n_L) the labels, float64, one-hot where class numbers were given
    features: tuple[str, ...]  # column names of X
    labels: tuple[str, ...]  # column names of Y as given (one name for class numbers)
    source: str  # the file name used in messages

    @property
    def n_examples(self) -> int:
        return self.X.shape[0]


@dataclass(frozen=True)
class _Stored:
    """A 2-D array of numbers in a .npy file or an .npz member (a 1-D one is one column), read
    CHUNK_BYTES of rows at a time: never held whole."""

    path: str
    member: Optional[str]  # the .npz member, or None for a .npy file
    name: str  # in messages: "the array", "X", "y"
    shape: tuple[int, int]
    dtype: np.dtype

    def chunks(self):
        """(first row, the rows) in order; the rows are one reused array."""
        n, columns = self.shape
        rows = max(1, CHUNK_BYTES // max(1, columns * self.dtype.itemsize))
        buffer = np.empty((min(rows, n), columns), dtype=self.dtype)
        try:
            with _open_array(self.path, self.member) as f:
                _array_header(self.path, self.name, f)  # to the values
                for start in range(0, n, rows):
                    part = buffer[: min(rows, n - start)]
                    if _read_into(f, part.reshape(-1).view(np.uint8)) < part.nbytes:
                        raise DataError(f"{self.name} ends before its {n} x {columns} values", file=self.path,
                                        fix="save it again with numpy.save / numpy.savez")
                    yield start, part
        except (DataError, GeneratorExit):
            raise
        except Exception as e:  # noqa: BLE001 - a damaged file: see _array
            raise DataError(f"is not a NumPy file ({type(e).__name__}: {_cut(str(e))})", file=self.path,
                            fix="give a .npy or .npz saved by numpy.save / numpy.savez") from None



@contextmanager
def _open_array(path: str, member: Optional[str]):
    """The .npy file, or the .npz member, as a file read from its start."""
    if member is None:
        with open(path, "rb") as f:
            yield f
        return
    import zipfile

    with zipfile.ZipFile(path) as archive, archive.open(member) as f:
        yield f


def _read_into(f, buffer: np.ndarray) -> int:
    """Fill buffer from f; the bytes read (fewer only at the end of f)."""
    done = 0
    while done < buffer.size:
        got = f.readinto(buffer[done:])
        if not got:
            break
        done += got
    return done


@dataclass(frozen=True)
class _Table:
    """The numbers of a data file, with what is needed to point at a cell in a message."""

    names: tuple[str, ...]
    # the columns, left to right, in blocks of rows x columns: in memory (a CSV), or in the file
    # (each array of a .npy or .npz), read only when their columns are taken
    blocks: tuple
    source: str
    csv: bool  # rows and columns are lines and names of a CSV; else indices of arrays
    row_lines: Optional[tuple[int, ...]] = None  # the line of each row, when it differs from row + 1

    @property
    def n_rows(self) -> int:
        return self.blocks[0].shape[0]

    def where(self, row: int, column: int) -> tuple[Optional[int], str]:
        """(line, key) for a message about the cell at row, column (from 0)."""
        if self.csv:
            line = self.row_lines[row] if self.row_lines else row + 2
            return line, f"row {row + 1}, column '{self.names[column]}'"
        return None, f"array[{row}, {column}]"  # as numpy indexes it, from 0

    def columns(self, groups: Sequence[tuple[Sequence[int], np.dtype]]) -> list[np.ndarray]:
        """For each (columns, dtype) of groups: those columns of every row as a new array of that
        dtype. Each block is read once, a chunk of rows at a time; every value read must be a
        finite number, in the dtype asked for too (float32 goes up to about 3.4e38)."""
        out = [np.empty((self.n_rows, len(columns)), dtype=dtype) for columns, dtype in groups]
        first = 0
        for block in self.blocks:
            width = block.shape[1]
            parts = []  # (an output, where in it, which of the block's columns) of each group with columns here
            for (columns, _), array in zip(groups, out):
                here = [(i, c - first) for i, c in enumerate(columns) if first <= c < first + width]
                if here:
                    parts.append((array, _span([i for i, _ in here]), _span([c for _, c in here])))
            chunks = block.chunks() if isinstance(block, _Stored) else [(0, block)]
            for start, rows in chunks if parts else ():
                stop = start + len(rows)
                self._finite(rows, rows, start, first, np.arange(width), None)
                for array, positions, taken in parts:
                    with np.errstate(over="ignore"):  # too large for float32: found just below
                        array[start:stop, positions] = rows[:, taken]
                    self._finite(array[start:stop, positions], rows, start, first, np.arange(width)[taken], array.dtype)
            first += width
        return out

    def _finite(self, values: np.ndarray, rows: np.ndarray, start: int, first: int, columns: np.ndarray, dtype) -> None:
        """Raise at the first value that is not finite: values are rows' columns (converted to dtype)."""
        if np.isfinite(values).all():
            return
        r, c = (int(v) for v in np.argwhere(~np.isfinite(values))[0])
        column = int(columns[c])
        line, key = self.where(start + r, first + column)
        value = _number(rows[r, column])
        if dtype is None or not np.isfinite(rows[r, column]):
            raise DataError(f"{value} is not a finite number", file=self.source, line=line, key=key, fix="remove the row, or fill in a real value")
        raise DataError(f"{value} is too large for {dtype}", file=self.source, line=line, key=key,
                        fix="train in float64 (leave out --dtype float32), or scale the data")


def _span(indices: list[int]):
    """The indices as a slice when they are a run (a view, not a copy), else as they are."""
    if indices == list(range(indices[0], indices[-1] + 1)):
        return slice(indices[0], indices[-1] + 1)
    return indices


def load_data(path: str, labels: Sequence[str], n_inputs: int, n_outputs: int, loss: str, output_activation: str,
              dtype: str = "float64") -> DataSet:
    """The examples of a data file for a network with n_inputs and n_outputs.

    labels: the label column names (--label); none means the last column(s). With n_outputs
    of 2 or more, one label column of class numbers 0..n_outputs-1 is written one-hot. dtype:
    of the features X, "float64" or "float32" (for float32 training: X held once, as float32)."""
    table = _read(path)
    return _select(table, list(labels), n_inputs, n_outputs, loss, output_activation, np.dtype(dtype))


# ---------------------------------------------------------------------------
# Reading


def _read(path: str) -> _Table:
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        raise DataError("no such file", file=path, fix=f"check the path; shipped data sets are in {shipped_hint()}") from None
    except OSError as e:
        raise DataError(f"cannot read: {e.strerror or e}", file=path) from None
    if os.path.isdir(path):
        raise DataError("is a directory, not a file", file=path, fix="give a .csv, .npy or .npz file inside it")
    if size > MAX_DATA_BYTES:
        raise DataError(
            f"is {size / (1 << 30):.1f} GiB, larger than the {MAX_DATA_BYTES >> 30} GiB nnsolve reads",
            file=path, fix="train on a sample of the rows",
        )
    suffix = os.path.splitext(path)[1].lower()
    if suffix in (".npy", ".npz"):
        return _read_npy(path)
    return _read_csv(path)


def shipped_hint() -> str:
    return "problems/data/ (xor.csv, moons.csv, breast_cancer.csv)"


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(MAX_DATA_BYTES + 1)
    except PermissionError:
        raise DataError("permission denied", file=path, fix="make the file readable") from None
    except OSError as e:
        raise DataError(f"cannot read: {e.strerror or e}", file=path) from None


def _read_csv(path: str) -> _Table:
    raw = _read_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataError("not UTF-8 text", file=path, line=line, fix="save the file as UTF-8 CSV") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # a lone CR ends a line too (old Mac files)
    if "\x00" in text:
        raise DataError("is not a CSV file (it holds NUL bytes)", file=path, fix="give a CSV, .npy or .npz file")
    header_end = text.find("\n")
    header_text = text if header_end < 0 else text[:header_end]
    first_line = 1
    if not text.strip():
        raise DataError("empty file", file=path, fix="write a header line such as 'x1,x2,y', then one example a line")
    # blank lines before the header are skipped like blank lines anywhere
    while not header_text.strip():
        first_line += 1
        text = text[header_end + 1:]
        header_end = text.find("\n")
        header_text = text if header_end < 0 else text[:header_end]
    names = tuple(n.strip() for n in next(_csv_rows(csv.reader([header_text], skipinitialspace=True), path, first_line - 1)))
    if all(_is_number(n) for n in names):
        raise DataError(
            "the first line is numbers, not a header naming the columns", file=path, line=first_line,
            fix=f"add a header line such as '{','.join(_default_names(len(names)))}'",
        )
    for c, name in enumerate(names):
        if not name:
            raise DataError("a column has no name", file=path, line=first_line, key=f"column {c + 1}", fix="name every column in the header")
        if name in names[:c]:
            raise DataError(f"the column name '{name}' is given twice", file=path, line=first_line, key=f"column {c + 1}", fix="give every column its own name")
    body = "" if header_end < 0 else text[header_end + 1:]
    if not body.strip():
        raise DataError("has a header but no rows of data", file=path, line=first_line + 1, fix="add one example a line below the header")
    try:
        with np.errstate(all="ignore"):
            values = np.loadtxt(io.StringIO(body), delimiter=",", dtype=np.float64, ndmin=2, comments=None)
        ok = values.shape[0] > 0 and values.shape[1] == len(names) and bool(np.all(np.isfinite(values)))
    except ValueError:
        ok = False
    if ok:
        return _Table(names, (values,), path, csv=True, row_lines=_row_lines(body, first_line))
    return _read_csv_slowly(path, names, body, first_line)


def _row_lines(body: str, header_line: int) -> Optional[tuple[int, ...]]:
    """The line of each row (numpy skipped the empty lines); None when it is simply row + 2."""
    lines = [n for n, line in enumerate(body.split("\n"), start=header_line + 1) if line]
    return None if header_line == 1 and (not lines or lines[-1] == len(lines) + 1) else tuple(lines)


def _read_csv_slowly(path: str, names: tuple[str, ...], body: str, header_line: int) -> _Table:
    """Read the rows cell by cell, to name the first one that is wrong (or read quoted numbers)."""
    rows, lines = [], []
    reader = csv.reader(io.StringIO(body), skipinitialspace=True)
    for fields in _csv_rows(reader, path, header_line):
        line = header_line + reader.line_num
        if not fields or all(not f.strip() for f in fields) and len(fields) <= 1:
            continue  # a blank line
        r = len(rows)
        if len(fields) != len(names):
            if len(fields) < len(names):
                missing = names[len(fields)]
                what = f"has {_count(len(fields), 'value')} but the header names {len(names)} columns; column '{missing}' is missing"
                column = len(fields) + 1
            else:
                what = f"has {_count(len(fields), 'value')} but the header names only {len(names)} columns"
                column = len(names) + 1
            raise DataError(
                what, file=path, line=line, key=f"row {r + 1}, column {column}",
                fix="give every row one value per column (check for a missing or extra comma)",
            )
        row = []
        for c, cell in enumerate(fields):
            text = cell.strip()
            try:
                value = float(text)
            except ValueError:
                shown = repr(text) if len(text) <= 30 else repr(text[:27] + "...")
                what = "is empty" if not text else f"{shown} is not a number"
                fix = "write a number such as 0.5 or 1e-3"
                if "," in text or ";" in text:
                    fix = "write a decimal point (1.5), not a decimal comma"
                raise DataError(what, file=path, line=line, key=f"row {r + 1}, column '{names[c]}'", fix=fix) from None
            if not np.isfinite(value):
                raise DataError(
                    f"{text!r} is not a finite number", file=path, line=line, key=f"row {r + 1}, column '{names[c]}'",
                    fix="remove the row, or fill in a real value",
                )
            row.append(value)
        rows.append(row)
        lines.append(line)
    if not rows:
        raise DataError("has a header but no rows of data", file=path, line=header_line + 1, fix="add one example a line below the header")
    return _Table(names, (np.array(rows, dtype=np.float64),), path, csv=True, row_lines=tuple(lines))


def _csv_rows(reader, path: str, line_before: int):
    """The rows of a csv.reader; what the csv module refuses (a cell over its 128 KiB limit) is a DataError."""
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise DataError(f"not CSV: {e}", file=path, line=line_before + reader.line_num, fix="give a CSV file with one example a line") from None
        yield fields


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _default_names(n: int) -> list[str]:
    return [f"x{i}" for i in range(1, n)] + ["y"] if n > 1 else ["y"]


def _read_npy(path: str) -> _Table:
    """One array, labels in the last column(s); an .npz under either name is read as one."""
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
    except OSError as e:
        raise DataError(f"cannot read: {e.strerror or e}", file=path) from None
    if magic != b"\x93NUMPY" and not magic.startswith(b"PK"):
        raise DataError("is not a NumPy file", file=path, fix="give a .npy or .npz saved by numpy.save / numpy.savez, or a CSV named .csv")
    if magic.startswith(b"PK"):
        return _npz_table(path)
    block = _array(path, None, "array")
    return _Table(tuple(f"column {c}" for c in range(block.shape[1])), (block,), path, csv=False)


def _array(path: str, member: Optional[str], name: str):
    """The array of a .npy file (or .npz member) as a _Stored, its header checked: numbers, one
    or two dimensions, at least a row, at most MAX_DATA_BYTES. (An array saved in Fortran
    order, columns first, cannot be read by rows: it is loaded whole.)"""
    # numpy meets a broken or hostile file with almost any exception (ValueError, SyntaxError
    # from the header, zipfile.BadZipFile, MemoryError from a header's shape, ...): each one
    # means the same to a user, so each is one message, never a traceback
    try:
        with _open_array(path, member) as f:
            if member is not None and f.read(6) != b"\x93NUMPY":
                raise DataError(f"{name} is not a NumPy array", file=path, fix="save with numpy.savez(path, X=inputs, y=labels)")
        with _open_array(path, member) as f:
            shape, fortran, dtype = _array_header(path, name, f)
            if dtype.hasobject:
                raise DataError("holds Python objects (pickled), which nnsolve does not load", file=path, fix="save plain numeric arrays")
            if dtype.kind not in "biuf":
                raise DataError(f"{name} holds {dtype} values, not numbers", file=path, fix=f"save {name} as a float or int array")
            if len(shape) not in (1, 2):
                raise DataError(f"{name} has {len(shape)} dimensions; it must be one example a row", file=path,
                                fix=f"reshape {name} to (examples, columns)")
            if shape[0] == 0:
                raise DataError(f"{name} has no rows", file=path, fix="save at least one example")
            if len(shape) == 1 or not fortran:
                return _Stored(path, member, name, (shape[0], shape[1] if len(shape) == 2 else 1), dtype)
        from numpy.lib import format as npy_format

        with _open_array(path, member) as f:
            return npy_format.read_array(f, allow_pickle=False)  # never unpickle: a data file runs no code
    except DataError:
        raise
    except Exception as e:  # noqa: BLE001 - see above
        raise DataError(f"is not a NumPy file ({type(e).__name__}: {_cut(str(e))})", file=path,
                        fix="give a .npy or .npz saved by numpy.save / numpy.savez") from None


def _cut(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _array_header(path: str, name: str, f) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, Fortran order, dtype) from the .npy header at f, which is left at the values;
    an array of more than MAX_DATA_BYTES is refused before anything is allocated (an .npz
    member is compressed: a small file can unpack to any size)."""
    from numpy.lib import format as npy_format

    version = npy_format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = npy_format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, fortran, dtype = npy_format.read_array_header_2_0(f)
    else:
        raise DataError(f"{name} is in NumPy file format {version[0]}.{version[1]}, which nnsolve does not read", file=path, fix="save it with numpy.save (format 1.0)")
    size = math.prod(shape) * dtype.itemsize
    if size > MAX_DATA_BYTES:
        raise DataError(
            f"{name} would take {size / (1 << 30):.3g} GiB, more than the {MAX_DATA_BYTES >> 30} GiB nnsolve reads",
            file=path, fix="train on a sample of the rows",
        )
    return shape, fortran, dtype


def _npz_table(path: str) -> _Table:
    """X and y side by side, as if they were the columns of one table: X's, then y's."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except Exception as e:  # noqa: BLE001 - see _array
        raise DataError(f"is not a NumPy file ({type(e).__name__}: {_cut(str(e))})", file=path,
                        fix="give a .npy or .npz saved by numpy.save / numpy.savez") from None
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_DATA_BYTES:
        raise DataError(
            f"unpacks to {unpacked / (1 << 30):.3g} GiB, more than the {MAX_DATA_BYTES >> 30} GiB nnsolve reads",
            file=path, fix="train on a sample of the rows",
        )
    keys = {m.filename[:-4] if m.filename.endswith(".npy") else m.filename: m.filename for m in members}  # as np.load names them
    missing = [k for k in ("X", "y") if k not in keys]
    if missing:
        raise DataError(
            f"has no array named {' or '.join(missing)} (it holds {', '.join(keys) or 'nothing'})", file=path,
            fix="save with numpy.savez(path, X=inputs, y=labels)",
        )
    X = _array(path, keys["X"], "X")
    y = _array(path, keys["y"], "y")
    if X.shape[0] != y.shape[0]:
        raise DataError(f"X has {X.shape[0]} rows but y has {y.shape[0]}", file=path, fix="give one label row per example")
    names = tuple(f"X[:, {c}]" for c in range(X.shape[1])) + tuple(f"y[:, {c}]" for c in range(y.shape[1]))
    return _NpzTable(names, (X, y), path, csv=False, n_features=X.shape[1])


@dataclass(frozen=True)
class _NpzTable(_Table):
    n_features: int = 0  # the columns of X; the rest are y's

    def where(self, row: int, column: int) -> tuple[Optional[int], str]:
        if column < self.n_features:
            return None, f"X[{row}, {column}]"
        return None, f"y[{row}, {column - self.n_features}]" if len(self.names) - self.n_features > 1 else f"y[{row}]"


# ---------------------------------------------------------------------------
# Which columns are the labels, and whether the network and its loss can take them


def _select(table: _Table, labels: list[str], n_inputs: int, n_outputs: int, loss: str, output_activation: str,
            dtype: np.dtype) -> DataSet:
    path, names = table.source, table.names
    n_columns = len(names)
    header_line = 1 if table.csv else None
    if isinstance(table, _NpzTable):
        if labels:
            raise DataError("--label names CSV columns; in an .npz the labels are the array y", file=path, key="--label", fix="leave out --label")
        label_columns = list(range(table.n_features, n_columns))
    elif labels:
        if not table.csv:
            raise DataError("--label names CSV columns; a .npy array has no names", file=path, key="--label", fix="leave out --label: the last column(s) are the labels")
        label_columns = []
        for name in labels:
            if name not in names:
                import difflib

                close = [n for n in names if n.lower() == name.lower()] or difflib.get_close_matches(name, names, n=1)
                raise DataError(
                    f"--label '{name}': no such column", file=path, line=header_line,
                    fix=(f"did you mean '{close[0]}'? " if close else "") + f"the columns are {', '.join(names)}",
                )
            if names.index(name) in label_columns:
                raise DataError(f"--label '{name}' is given twice", file=path, key="--label", fix="name each label column once")
            label_columns.append(names.index(name))
    else:
        # the last column(s): one per output, or one column of class numbers for several outputs
        n_labels = 1 if n_outputs == 1 or n_columns == n_inputs + 1 else n_outputs
        if n_outputs > 1 and n_columns not in (n_inputs + 1, n_inputs + n_outputs):
            raise DataError(
                f"{_count(n_columns, 'column')} ({_names(names)}), but the network takes {_count(n_inputs, 'input')} and has {n_outputs} outputs",
                file=path, line=header_line,
                fix=f"give {_count(n_inputs, 'feature column')}, then {n_outputs} label columns or 1 of class numbers 0..{n_outputs - 1} (or name the labels with --label)",
            )
        label_columns = list(range(max(n_columns - n_labels, 0), n_columns))
    feature_columns = [c for c in range(n_columns) if c not in label_columns]
    feature_names = tuple(names[c] for c in feature_columns)
    label_names = tuple(names[c] for c in label_columns)

    if len(feature_columns) != n_inputs:
        shown = _names(feature_names)
        fix = f"give W1 one row per feature (plus the bias row), or use data with {_count(n_inputs, 'feature column')}"
        if not labels and table.csv:
            fix = "name the label column(s) with --label, or " + fix
        raise DataError(
            f"{_count(len(feature_columns), 'feature column')} ({shown or 'none'}) but the problem's W1 takes {_count(n_inputs, 'input')}",
            file=path, line=header_line, fix=fix,
        )
    Y, X = table.columns([(label_columns, np.dtype(np.float64)), (feature_columns, dtype)])
    if len(label_columns) == n_outputs:
        _check_labels(table, Y, label_columns, loss, output_activation)
    elif len(label_columns) == 1 and n_outputs > 1:
        Y = _one_hot(table, Y[:, 0], label_columns[0], n_outputs)
    else:
        raise DataError(
            f"{_count(len(label_columns), 'label column')} ({', '.join(label_names)}) but the network has {_count(n_outputs, 'output')}",
            file=path, line=header_line,
            fix="give one label column per output"
            + (", or one column of class numbers 0.." + str(n_outputs - 1) if n_outputs > 1 else ""),
        )
    return DataSet(X, Y, feature_names, label_names, path)


def _check_labels(table: _Table, Y: np.ndarray, label_columns: list[int], loss: str, output_activation: str) -> None:
    """Labels the loss cannot take: outside [0, 1] for the log losses, not summing to 1 with softmax."""
    spec = LOSSES[loss]
    if spec.outputs:
        bad = np.argwhere((Y < 0) | (Y > 1))
        if len(bad):
            r, k = (int(v) for v in bad[0])
            line, key = table.where(r, label_columns[k])
            raise DataError(
                f"the label {_number(Y[r, k])} is outside [0, 1], which {loss} needs", file=table.source, line=line, key=key,
                fix="use 0/1 labels (one-hot for several classes), or loss squared_error in the problem file",
            )
    if loss == "cross_entropy" and output_activation == "softmax":
        sums = np.sum(Y, axis=1)
        bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-9)
        if len(bad):
            r = int(bad[0])
            line, key = table.where(r, label_columns[0])
            raise DataError(
                f"the labels of this row sum to {_number(sums[r])}; softmax outputs sum to 1", file=table.source, line=line, key=key,
                fix="give one-hot labels such as 0,1,0, or one column of class numbers",
            )


def not_classes(classes: np.ndarray, n_outputs: int, first: int = 0) -> np.ndarray:
    """The positions of the values that are not class numbers first..first + n_outputs - 1 (a
    data file's count from 0, a problem file's `y: 2` from 1, as the output neurons)."""
    classes = np.asarray(classes, dtype=np.float64)
    return np.flatnonzero((classes != np.round(classes)) | (classes < first) | (classes >= first + n_outputs))


def one_hot(classes: np.ndarray, n_outputs: int, first: int = 0) -> np.ndarray:
    """Class numbers (every one good: not_classes finds none) as one-hot rows of n_outputs."""
    return np.eye(n_outputs)[np.asarray(classes, dtype=np.float64).astype(np.intp) - first]


def _one_hot(table: _Table, classes: np.ndarray, column: int, n_outputs: int) -> np.ndarray:
    bad = not_classes(classes, n_outputs)
    if len(bad):
        r = int(bad[0])
        line, key = table.where(r, column)
        raise DataError(
            f"{_number(classes[r])} is not a class number 0..{n_outputs - 1} for the network's {n_outputs} outputs",
            file=table.source, line=line, key=key, fix=f"use class numbers 0 to {n_outputs - 1}, or one label column per output",
        )
    return one_hot(classes, n_outputs)


def _names(names: Sequence[str]) -> str:
    return ", ".join(names) if len(names) <= 8 else ", ".join(names[:8]) + ", ..."


def _number(v: float) -> str:
    return f"{v:g}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
