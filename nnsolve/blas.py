"""numpy's own BLAS, for the one product numpy does not offer: C <- C - A^T B, in place.

Mini-batch training updates each weight matrix by the product of a layer's inputs and deltas
(W <- W - X^T delta). numpy computes the product into a new array and subtracts it in a second
pass over the weights: that pass reads and writes the whole matrix again (W^1 of a 784-256-10
network is 1.6 MB), 10-30% of a step. BLAS's gemm does both at once (beta = 1: C <- alpha A B +
C), and numpy already calls it for every matmul; it only does not let its callers set beta.

`subtract_product(dtype)` finds, in the BLAS numpy itself is linked to (through numpy's own
extension module, so the very library and thread pool its matmuls use), the cblas gemm of that
dtype, and returns a function computing C -= A^T B with it; or None, and training takes numpy's
two steps. It is taken only where its arguments' sizes are known (the symbol names the integer
width: `...64_` for numpy's 64-bit-integer OpenBLAS, plain `cblas_?gemm` for a 32-bit one), on a
64-bit little-endian machine, and only after it computes, on test matrices, the very same bits
as numpy's matmul and subtraction. Nothing here is needed for a right answer: only for speed.
"""

from __future__ import annotations

import sys
from typing import Callable, Optional

import numpy as np

# the cblas gemm symbols numpy's BLAS builds export, most specific first
_SYMBOLS = {
    "float64": ("scipy_cblas_dgemm64_", "cblas_dgemm64_", "scipy_cblas_dgemm", "cblas_dgemm"),
    "float32": ("scipy_cblas_sgemm64_", "cblas_sgemm64_", "scipy_cblas_sgemm", "cblas_sgemm"),
}
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112  # CBLAS_ORDER and CBLAS_TRANSPOSE
_found: dict[str, Optional[Callable]] = {}


def subtract_product(dtype) -> Optional[Callable[[np.ndarray, np.ndarray, np.ndarray], None]]:
    """A function f(C, A, B) doing C -= A^T B in place, for 2-D arrays of this dtype (A (k, m)
    and B (k, n) C- or Fortran-contiguous, C (m, n) with contiguous rows), or None."""
    name = np.dtype(dtype).name
    if name not in _found:
        try:
            _found[name] = _bind(name)
        except Exception:  # any surprise in a BLAS: numpy's two steps instead
            _found[name] = None
    return _found[name]


def _bind(name: str) -> Optional[Callable]:
    if name not in _SYMBOLS or sys.byteorder != "little":
        return None
    import ctypes

    if ctypes.sizeof(ctypes.c_void_p) != 8:
        return None
    try:
        from numpy._core import _multiarray_umath as umath  # numpy 2
    except ImportError:
        from numpy.core import _multiarray_umath as umath  # numpy 1
    library = ctypes.CDLL(umath.__file__)  # loaded already: the same library, and what it links to
    for symbol in _SYMBOLS[name]:
        gemm = getattr(library, symbol, None)
        if gemm is None:
            continue
        integer = ctypes.c_int64 if symbol.endswith("64_") else ctypes.c_int
        real = ctypes.c_double if name == "float64" else ctypes.c_float
        pointer = ctypes.c_void_p
        gemm.argtypes = [integer] * 6 + [real, pointer, integer, pointer, integer, real, pointer, integer]
        gemm.restype = None
        f = _caller(gemm)
        return f if _agrees(f, np.dtype(name)) else None
    return None


def _caller(gemm) -> Callable:
    def subtract(C: np.ndarray, A: np.ndarray, B: np.ndarray) -> None:
        """C -= A^T B."""
        m, n = C.shape
        k = A.shape[0]
        trans_a, lda = (_TRANS, A.shape[1]) if A.flags.c_contiguous else (_NO_TRANS, k)
        trans_b, ldb = (_NO_TRANS, n) if B.flags.c_contiguous else (_TRANS, k)
        gemm(_ROW_MAJOR, trans_a, trans_b, m, n, k, -1.0, A.ctypes.data, max(lda, 1), B.ctypes.data, max(ldb, 1),
             1.0, C.ctypes.data, max(C.strides[0] // C.itemsize, 1))

    return subtract


def usable(C: np.ndarray, A: np.ndarray, B: np.ndarray) -> bool:
    """Whether subtract_product's function takes these arrays as they are, where numpy's matmul
    would call gemm too (a product with one row or column is a gemv, or numpy's own loop, whose
    sums may round differently)."""
    return (
        C.ndim == A.ndim == B.ndim == 2 and C.dtype == A.dtype == B.dtype
        and A.shape[0] == B.shape[0] >= 2 and C.shape == (A.shape[1], B.shape[1]) and min(C.shape) >= 2
        and (A.flags.c_contiguous or A.flags.f_contiguous) and (B.flags.c_contiguous or B.flags.f_contiguous)
        and C.strides[1] == C.itemsize and C.strides[0] >= C.shape[1] * C.itemsize and C.flags.writeable
    )


def _agrees(f: Callable, dtype: np.dtype) -> bool:
    """f gives numpy's own bits (its matmul, then the subtraction) on test matrices of every
    layout training passes, from two rows to a few hundred."""
    rng = np.random.default_rng(0)
    for k, m, n in ((2, 2, 2), (5, 7, 3), (64, 33, 17), (128, 300, 10)):
        for a_order in ("C", "F"):
            for b_order in ("C", "F"):
                A = np.asarray(rng.standard_normal((k, m)), dtype=dtype, order=a_order)
                B = np.asarray(rng.standard_normal((k, n)), dtype=dtype, order=b_order)
                W = rng.standard_normal((m + 1, n)).astype(dtype)
                C = W[1:]  # the rows of a weight matrix below its bias row
                expected = C - np.matmul(A.T, B)
                f(C, A, B)
                if not np.array_equal(C, expected):
                    return False
    return True
