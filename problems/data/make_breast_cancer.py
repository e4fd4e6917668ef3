"""Write breast_cancer.csv from the copy of the Breast Cancer Wisconsin (Diagnostic) data that
scikit-learn ships (sklearn/datasets/data/breast_cancer.csv, BSD-3-Clause; see README.md here).

Each of the 30 features is standardized (minus its mean, divided by its standard deviation,
over all 569 rows) so that a sigmoid network trains on it without saturating, and written to
4 decimals; the label column `benign` is scikit-learn's target (1 benign, 0 malignant).

    pip install scikit-learn            # only to run this script; nnsolve does not need it
    python problems/data/make_breast_cancer.py [PATH/TO/sklearn/datasets/data/breast_cancer.csv]
"""

import sys
from pathlib import Path

import numpy as np

MEASURES = (
    "radius", "texture", "perimeter", "area", "smoothness",
    "compactness", "concavity", "concave_points", "symmetry", "fractal_dimension",
)
# scikit-learn's order: the 10 means, their 10 standard errors, then the 10 worst values
NAMES = [f"mean_{m}" for m in MEASURES] + [f"{m}_error" for m in MEASURES] + [f"worst_{m}" for m in MEASURES]


def source() -> Path:
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    import sklearn  # noqa: only to find its data file

    return Path(sklearn.__file__).parent / "datasets" / "data" / "breast_cancer.csv"


def main() -> None:
    rows = source().read_text(encoding="utf-8").splitlines()
    n, n_features = (int(v) for v in rows[0].split(",")[:2])  # "569,30,malignant,benign"
    data = np.array([[float(v) for v in row.split(",")] for row in rows[1:]])
    assert data.shape == (n, n_features + 1) == (569, 31), data.shape
    X, y = data[:, :-1], data[:, -1].astype(int)
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    lines = [",".join(NAMES + ["benign"])]
    for z, label in zip(Z, y):
        cells = [f"{v:.4f}" for v in z]
        lines.append(",".join("0.0000" if c == "-0.0000" else c for c in cells) + f",{label}")
    Path(__file__).with_name("breast_cancer.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
