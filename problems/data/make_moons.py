"""Write moons.csv: two interleaving half circles, a two-class set no straight line separates.

The same recipe as scikit-learn's make_moons (150 points on each half circle, Gaussian noise
of standard deviation 0.2, rows shuffled), in numpy alone and with a fixed seed, so running
this script again writes the same file byte for byte:

    python problems/data/make_moons.py
"""

from pathlib import Path

import numpy as np

SEED = 20240607
N_PER_CLASS = 150
NOISE = 0.2


def moons(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0.0, np.pi, N_PER_CLASS)
    upper = np.column_stack([np.cos(t), np.sin(t)])  # class 0
    lower = np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)])  # class 1
    X = np.vstack([upper, lower]) + rng.normal(0.0, NOISE, size=(2 * N_PER_CLASS, 2))
    y = np.repeat([0, 1], N_PER_CLASS)
    order = rng.permutation(len(y))
    return X[order], y[order]


def main() -> None:
    X, y = moons(np.random.default_rng(SEED))
    lines = ["x1,x2,y"] + [f"{a:.4f},{b:.4f},{label}" for (a, b), label in zip(X, y)]
    # -0.0000 and 0.0000 are the same number: write it once
    text = "\n".join(lines).replace("-0.0000,", "0.0000,") + "\n"
    Path(__file__).with_name("moons.csv").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
