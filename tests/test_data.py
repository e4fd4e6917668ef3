"""Data files for `nnsolve train`: CSV, .npy and .npz read right, and every bad file is one
line naming the file, the row and the column, exit status 2, with nothing written."""

from __future__ import annotations

import numpy as np
import pytest

from nnsolve.data import load_data
from nnsolve.errors import NnsolveError

from conftest import PROBLEMS, ROOT, assert_usage_error, invoke

XOR = str(PROBLEMS / "xor.yaml")
BCE = str(PROBLEMS / "binary_cross_entropy.yaml")  # the worksheet's 2-2-1 with binary cross-entropy
DATA = ROOT / "problems" / "data"

SOFTMAX_3 = """\
x: [0, 0]
y: [1, 0, 0]
W1: [[0, 0, 0], [1, 0, -1], [0, 1, -1]]
activation: softmax
loss: cross_entropy
learning_rate: 0.5
"""


def xor_data(**kw):
    return load_data(str(DATA / "xor.csv"), [], 2, 1, "squared_error", "sigmoid", **kw)


# -- reading ------------------------------------------------------------------------------


def test_csv_with_a_header_reads_features_and_the_last_column_as_labels():
    d = xor_data()
    assert d.features == ("x1", "x2") and d.labels == ("y",)
    assert d.X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert d.Y.tolist() == [[0], [1], [1], [0]]
    assert d.X.dtype == np.float64 and d.X.flags.c_contiguous


def test_labels_are_named_columns_anywhere(write):
    path = write("y,x1,x2\n1,0.5,2\n0,-1,3\n", "d.csv")
    d = load_data(path, ["y"], 2, 1, "squared_error", "sigmoid")
    assert d.features == ("x1", "x2") and d.X.tolist() == [[0.5, 2], [-1, 3]] and d.Y.tolist() == [[1], [0]]


def test_several_label_columns_by_repeated_or_comma_list_label(write, tmp_path):
    path = write("a,b,x1,x2\n1,0,0.5,2\n0,1,-1,3\n", "two.csv")
    problem = write((PROBLEMS / "two_outputs.yaml").read_text(), "two.yaml")
    outputs = []
    for labels in (["--label", "a", "--label", "b"], ["--label", "a,b"], ["--label", " a , b "]):
        result = invoke("train", problem, "--data", path, "--epochs", "1", "--json", *labels)
        assert result.exit_code == 0, result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    assert_usage_error(invoke("train", problem, "--data", path, "--label", "b,a,x1"), "1 feature column (x2)", "takes 2 inputs")


def test_blank_lines_crlf_quotes_spaces_and_a_bom_are_read(write):
    text = "\ufeffx1, x2 ,y\r\n0,0,0\r\n\r\n \"0\", 1 ,1\r\n1,0,1\r\n1,1,0\r\n\r\n"
    d = load_data(write(text, "d.csv"), [], 2, 1, "squared_error", "sigmoid")
    assert d.features == ("x1", "x2") and d.X.tolist() == xor_data().X.tolist()


def test_blank_lines_keep_the_line_numbers_in_messages(write):
    path = write("x1,x2,y\n0,0,0\n\n\n0,1,7\n", "d.csv")
    with pytest.raises(NnsolveError) as e:
        load_data(path, [], 2, 1, "binary_cross_entropy", "sigmoid")
    assert str(e.value).startswith(f"{path}:5: row 2, column 'y': the label 7 is outside [0, 1]")


def test_npy_and_npz(tmp_path):
    X = np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([0.0, 1, 1, 0])
    np.save(tmp_path / "d.npy", np.column_stack([X, y]))
    np.savez(tmp_path / "d.npz", X=X, y=y)
    for name in ("d.npy", "d.npz"):
        d = load_data(str(tmp_path / name), [], 2, 1, "squared_error", "sigmoid")
        assert d.X.tolist() == X.tolist() and d.Y[:, 0].tolist() == y.tolist()
    np.savez(tmp_path / "ints.npz", X=X.astype(int), y=y.astype(np.int8))
    assert load_data(str(tmp_path / "ints.npz"), [], 2, 1, "squared_error", "sigmoid").X.dtype == np.float64


def test_numpy_arrays_are_read_a_chunk_at_a_time_into_the_dtype_asked_for(tmp_path, monkeypatch):
    """Chunk boundaries anywhere (a Fortran-order array is read whole); float32 features with
    float64 labels; a value too large for float32 is named; a non-finite one past the first chunk."""
    import nnsolve.data as data

    monkeypatch.setattr(data, "CHUNK_BYTES", 100)  # 3 rows of 4 float64 values a chunk
    table = np.random.default_rng(0).normal(size=(101, 4))
    table[:, -1] = table[:, -1] > 0
    for name, array in (("c.npy", table), ("f.npy", np.asfortranarray(table))):
        np.save(tmp_path / name, array)
        for dtype in ("float64", "float32"):
            d = load_data(str(tmp_path / name), [], 3, 1, "binary_cross_entropy", "sigmoid", dtype)
            assert d.X.dtype == dtype and d.X.flags.c_contiguous and d.Y.dtype == np.float64
            assert np.array_equal(d.X, table[:, :3].astype(dtype)) and np.array_equal(d.Y[:, 0], table[:, 3])
    np.savez(tmp_path / "d.npz", X=table[:, :3], y=table[:, 3])
    d = load_data(str(tmp_path / "d.npz"), [], 3, 1, "binary_cross_entropy", "sigmoid", "float32")
    assert np.array_equal(d.X, table[:, :3].astype(np.float32)) and np.array_equal(d.Y[:, 0], table[:, 3])
    table[70, 1] = 1e300
    np.save(tmp_path / "big.npy", table)
    assert load_data(str(tmp_path / "big.npy"), [], 3, 1, "binary_cross_entropy", "sigmoid").X[70, 1] == 1e300
    with pytest.raises(NnsolveError, match=r"array\[70, 1\]: 1e\+300 is too large for float32"):
        load_data(str(tmp_path / "big.npy"), [], 3, 1, "binary_cross_entropy", "sigmoid", "float32")
    table[70, 1] = np.nan
    np.save(tmp_path / "nan.npy", table)
    with pytest.raises(NnsolveError, match=r"array\[70, 1\]: nan is not a finite number"):
        load_data(str(tmp_path / "nan.npy"), [], 3, 1, "binary_cross_entropy", "sigmoid")
    (tmp_path / "cut.npy").write_bytes((tmp_path / "c.npy").read_bytes()[:-8])
    with pytest.raises(NnsolveError, match="array ends before its 101 x 4 values"):
        load_data(str(tmp_path / "cut.npy"), [], 3, 1, "binary_cross_entropy", "sigmoid")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_numpy_file_is_held_once_in_the_dtype_of_training(tmp_path, dtype):
    """Reading allocates the features once, in the dtype asked for, and the labels, plus a chunk:
    never the file's table beside them, nor float64 beside float32."""
    import tracemalloc

    import nnsolve.data as data

    n, features = 20_000, 200
    table = np.zeros((n, features + 1))
    table[:, -1] = np.arange(n) % 4
    np.save(tmp_path / "d.npy", table)
    del table
    tracemalloc.start()
    try:
        d = load_data(str(tmp_path / "d.npy"), [], features, 4, "cross_entropy", "softmax", dtype)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    held = d.X.nbytes + d.Y.nbytes
    assert d.X.nbytes == n * features * np.dtype(dtype).itemsize
    assert peak < held + 2 * data.CHUNK_BYTES + (1 << 20), (peak, held)


def test_class_numbers_are_one_hot_for_several_outputs(write):
    problem = write(SOFTMAX_3)
    data = write("x1,x2,class\n0,0,0\n1,0,2\n0,1,1\n", "d.csv")
    d = load_data(data, [], 2, 3, "cross_entropy", "softmax")
    assert d.Y.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    result = invoke("train", problem, "--data", data, "--epochs", "5", "--json")
    assert result.exit_code == 0, result.stderr
    bad = write("x1,x2,class\n0,0,0\n1,0,3\n", "bad.csv")
    assert_usage_error(invoke("train", problem, "--data", bad), f"{bad}:3: row 2, column 'class'", "3 is not a class number 0..2")
    half = write("x1,x2,class\n0,0,0.5\n", "half.csv")
    assert_usage_error(invoke("train", problem, "--data", half), f"{half}:2: row 1, column 'class'", "0.5 is not a class number")


# -- bad data: exit 2, one line naming file, row and column, nothing written -----------------

BAD_CSV = [
    # name, text, fragments of the one-line message (after the file name)
    ("ragged", "x1,x2,y\n0,0,0\n0,1,1\n1,0\n", [":4: row 3, column 3", "has 2 values", "column 'y' is missing"]),
    ("extra value", "x1,x2,y\n0,0,0,5\n", [":2: row 1, column 4", "has 4 values but the header names only 3"]),
    ("non-numeric", "x1,x2,y\n0,0,0\n0,abc,1\n", [":3: row 2, column 'x2'", "'abc' is not a number"]),
    ("empty cell", "x1,x2,y\n0,,0\n", [":2: row 1, column 'x2'", "is empty"]),
    ("decimal comma", 'x1,x2,y\n0,"0,5",0\n', [":2: row 1, column 'x2'", "'0,5' is not a number", "decimal point"]),
    ("nan", "x1,x2,y\n0,nan,0\n", [":2: row 1, column 'x2'", "'nan' is not a finite number"]),
    ("inf", "x1,x2,y\n0,0,-inf\n", [":2: row 1, column 'y'", "not a finite number"]),
    ("label 2 for BCE", "x1,x2,y\n0,0,0\n0,1,2\n", [":3: row 2, column 'y'", "the label 2 is outside [0, 1], which binary_cross_entropy needs"]),
    ("negative label", "x1,x2,y\n0,0,-1\n", [":2: row 1, column 'y'", "the label -1 is outside [0, 1]"]),
    ("too many features", "x1,x2,x3,y\n0,0,0,0\n", [":1:", "3 feature columns (x1, x2, x3)", "W1 takes 2 inputs", "--label"]),
    ("too few features", "x1,y\n0,0\n", [":1:", "1 feature column (x1)", "W1 takes 2 inputs"]),
    ("empty file", "", [": empty file", "header line"]),
    ("blank file", "\n\n  \n", [": empty file"]),
    ("header only", "x1,x2,y\n", [":2: has a header but no rows"]),
    ("no header", "0,0,0\n1,1,0\n", [":1: the first line is numbers, not a header", "x1,x2,y"]),
    ("duplicate column", "x1,x1,y\n0,0,0\n", [":1: column 2", "'x1' is given twice"]),
    ("unnamed column", "x1,,y\n0,0,0\n", [":1: column 2", "has no name"]),
]


@pytest.mark.parametrize("name, text, fragments", BAD_CSV, ids=[c[0] for c in BAD_CSV])
def test_bad_csv(tmp_path, name, text, fragments):
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    save, plot = tmp_path / "trained.yaml", tmp_path / "curves.png"
    result = invoke("train", BCE, "--data", str(path), "--save", str(save), "--plot", str(plot))
    line = assert_usage_error(result, str(path), *fragments)
    assert line.startswith(f"nnsolve: error: {path}")
    assert not save.exists() and not plot.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["data.csv"]  # no temporary left either


def test_missing_label_column():
    data = str(DATA / "xor.csv")
    assert_usage_error(invoke("train", XOR, "--data", data, "--label", "z"), f"{data}:1: --label 'z': no such column", "x1, x2, y")
    assert_usage_error(invoke("train", XOR, "--data", data, "--label", "Y"), "did you mean 'y'?")
    assert_usage_error(invoke("train", XOR, "--data", data, "--label", "y,y"), "given twice")


def test_labels_a_softmax_cannot_take(write):
    problem = write(SOFTMAX_3)
    data = write("x1,x2,a,b,c\n0,0,1,0,0\n1,1,0.5,0.2,0.2\n", "d.csv")
    assert_usage_error(invoke("train", problem, "--data", data), f"{data}:3: row 2, column 'a'", "sum to 0.9")
    two = write("x1,x2,a,b\n0,0,1,0\n", "two.csv")
    assert_usage_error(invoke("train", problem, "--data", two), f"{two}:1: 4 columns (x1, x2, a, b)", "takes 2 inputs and has 3 outputs")
    assert_usage_error(invoke("train", problem, "--data", two, "--label", "a,b"), "2 label columns (a, b) but the network has 3 outputs")


def test_bad_numpy_files(tmp_path):
    cases = {
        "nan.npy": (lambda p: np.save(p, np.array([[0.0, 1, 0], [np.nan, 0, 1]])), ["array[1, 0]", "nan is not a finite number"]),
        "label.npz": (lambda p: np.savez(p, X=np.zeros((2, 2)), y=np.array([0.0, 3.0])), ["y[1]", "the label 3 is outside [0, 1]"]),
        "rows.npz": (lambda p: np.savez(p, X=np.zeros((3, 2)), y=np.zeros(2)), ["X has 3 rows but y has 2"]),
        "keys.npz": (lambda p: np.savez(p, inputs=np.zeros((3, 2)), y=np.zeros(3)), ["no array named X", "inputs, y"]),
        "wide.npz": (lambda p: np.savez(p, X=np.zeros((3, 3)), y=np.zeros(3)), ["3 feature columns", "W1 takes 2 inputs"]),
        "text.npy": (lambda p: np.save(p, np.array([["a", "b", "c"]])), ["holds <U1 values, not numbers"]),
        "objects.npy": (lambda p: np.save(p, np.array([{"a": 1}], dtype=object), allow_pickle=True), ["pickled"]),
        "cube.npy": (lambda p: np.save(p, np.zeros((2, 2, 2))), ["3 dimensions"]),
        "junk.npz": (lambda p: p.write_bytes(b"not numpy at all"), ["is not a NumPy file"]),
    }
    for name, (make, fragments) in cases.items():
        path = tmp_path / name
        make(path)
        assert_usage_error(invoke("train", BCE, "--data", str(path)), str(path), *fragments)


def test_missing_or_unreadable_data(tmp_path):
    assert_usage_error(invoke("train", XOR, "--data", str(tmp_path / "nope.csv")), "nope.csv: no such file", "problems/data/")
    assert_usage_error(invoke("train", XOR, "--data", str(tmp_path)), "is a directory")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"x1,x2,y\n0,0,0\n0,\xe91,1\n")
    assert_usage_error(invoke("train", XOR, "--data", str(latin)), f"{latin}:3: not UTF-8")


def test_no_data_names_the_shipped_sets():
    line = assert_usage_error(invoke("train", XOR), "--data", "no data to train on")
    for name in ("problems/data/xor.csv", "moons.csv", "breast_cancer.csv"):
        assert name in line


def test_shipped_data_sets_fit_their_problems():
    for name, n, n_in in (("xor", 4, 2), ("moons", 300, 2), ("breast_cancer", 569, 30)):
        d = load_data(str(DATA / f"{name}.csv"), [], n_in, 1, "binary_cross_entropy", "sigmoid")
        assert d.X.shape == (n, n_in) and set(d.Y[:, 0]) == {0.0, 1.0}
        # the problem file's x and y are the first example
        problem = (PROBLEMS / f"{name}.yaml").read_text()
        assert f"x: [{', '.join(f'{v:g}' for v in d.X[0])}]" in problem
    moons = load_data(str(DATA / "moons.csv"), [], 2, 1, "binary_cross_entropy", "sigmoid")
    assert int(moons.Y.sum()) == 150
    cancer = load_data(str(DATA / "breast_cancer.csv"), [], 30, 1, "binary_cross_entropy", "sigmoid")
    assert np.allclose(cancer.X.mean(axis=0), 0, atol=1e-3) and np.allclose(cancer.X.std(axis=0), 1, atol=1e-3)
    assert int(cancer.Y.sum()) == 357  # benign, as in scikit-learn


def test_moons_script_rewrites_the_same_file(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_moons", DATA / "make_moons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    X, y = module.moons(np.random.default_rng(module.SEED))
    d = load_data(str(DATA / "moons.csv"), [], 2, 1, "binary_cross_entropy", "sigmoid")
    assert np.allclose(X, d.X, atol=5e-5) and y.tolist() == d.Y[:, 0].tolist()
