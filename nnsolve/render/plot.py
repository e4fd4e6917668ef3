"""The picture of a training run (`nnsolve train --plot`): loss and accuracy per epoch and,
for data with two features, the decision boundary with the examples.

matplotlib is an optional extra (`make plot` in a clone, `pip install 'nnsolve[plot]'`), imported only here and
without pyplot, so no display or global backend is touched; the same run gives the same bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ..errors import NnsolveError

DPI = 100
PANEL = (4.2, 3.6)  # inches per panel
GRID = 200  # points per side of the decision-boundary grid
CLASS_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def require_matplotlib() -> None:
    """Say how to get matplotlib when it is missing (a NnsolveError, so exit status 2)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        from ..errors import install_plot

        raise NnsolveError(
            "--plot needs matplotlib, which is not installed", key="--plot", fix=f"install it: {install_plot()}"
        ) from None


@dataclass(frozen=True)
class Curves:
    """Per epoch (0 = the initial weights) the numbers to draw; val_* empty without a split."""

    epochs: list[int]
    loss: list[float]
    accuracy: list[float]
    val_loss: list[float]
    val_accuracy: list[float]


@dataclass(frozen=True)
class Boundary:
    """Two-feature data, its classes, and the network's output over the plane."""

    X: np.ndarray  # (N, 2)
    classes: np.ndarray  # (N,) ints: the label's class
    validation: np.ndarray  # (N,) bool: held out for validation
    predict: Callable[[np.ndarray], np.ndarray]  # (M, 2) points -> (M,) class, or P(class 1) with threshold
    threshold: Optional[float]  # None: predict gives classes (softmax); else a probability-like output
    features: tuple[str, str]


def render(title: str, loss_name: str, curves: Curves, boundary: Optional[Boundary] = None) -> bytes:
    """The PNG."""
    require_matplotlib()
    import matplotlib
    from matplotlib.figure import Figure

    panels = 3 if boundary is not None else 2
    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 9}):
        fig = Figure(figsize=(PANEL[0] * panels, PANEL[1]), dpi=DPI, layout="constrained")
        axes = fig.subplots(1, panels)
        fig.suptitle(title)
        _curve(axes[0], curves.epochs, curves.loss, curves.val_loss, f"loss ({loss_name}, mean per example)")
        _curve(axes[1], curves.epochs, [100 * a for a in curves.accuracy], [100 * a for a in curves.val_accuracy], "accuracy (%)")
        axes[1].set_ylim(-2, 102)
        if boundary is not None:
            _boundary(axes[2], boundary)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def render_comparison(title: str, loss_name: str, runs) -> bytes:
    """The PNG comparing runs: (label, Curves) each, its loss and accuracy one line each."""
    require_matplotlib()
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 9}):
        fig = Figure(figsize=(PANEL[0] * 2, PANEL[1]), dpi=DPI, layout="constrained")
        axes = fig.subplots(1, 2)
        fig.suptitle(title)
        for k, (label, c) in enumerate(runs):
            colour = COMPARISON_COLOURS[k % len(COMPARISON_COLOURS)]
            axes[0].plot(c.epochs, c.loss, color=colour, label=label)
            axes[1].plot(c.epochs, [100 * a for a in c.accuracy], color=colour, label=label)
            if c.val_loss:
                axes[0].plot(c.epochs, c.val_loss, color=colour, linestyle="--", label=f"{label} (validation)")
                axes[1].plot(c.epochs, [100 * a for a in c.val_accuracy], color=colour, linestyle="--", label=f"{label} (validation)")
        for ax, label in zip(axes, (f"loss ({loss_name}, mean per example)", "accuracy (%)")):
            ax.set_xlabel("epoch")
            ax.set_title(label)
            ax.grid(True, alpha=0.3)
            ax.legend(loc="best")
        axes[1].set_ylim(-2, 102)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


COMPARISON_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def _curve(ax, epochs, train, validation, label: str) -> None:
    ax.plot(epochs, train, color=CLASS_COLOURS[0], label="training")
    if validation:
        ax.plot(epochs, validation, color=CLASS_COLOURS[1], label="validation")
    ax.set_xlabel("epoch")
    ax.set_title(label)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")


def _boundary(ax, b: Boundary) -> None:
    lo, hi = b.X.min(axis=0), b.X.max(axis=0)
    pad = 0.1 * np.maximum(hi - lo, 1e-9)
    g0 = np.linspace(lo[0] - pad[0], hi[0] + pad[0], GRID)
    g1 = np.linspace(lo[1] - pad[1], hi[1] + pad[1], GRID)
    mesh0, mesh1 = np.meshgrid(g0, g1)
    values = b.predict(np.column_stack([mesh0.ravel(), mesh1.ravel()])).reshape(mesh0.shape)
    if b.threshold is None:  # classes: one colour each
        n = int(max(values.max(), b.classes.max())) + 1
        from matplotlib.colors import ListedColormap

        cmap = ListedColormap([CLASS_COLOURS[k % len(CLASS_COLOURS)] for k in range(n)])
        ax.contourf(mesh0, mesh1, values, levels=np.arange(n + 1) - 0.5, cmap=cmap, alpha=0.25)
    else:
        ax.contourf(mesh0, mesh1, values, levels=20, cmap="RdBu_r", alpha=0.35)
        if values.min() < b.threshold < values.max():
            ax.contour(mesh0, mesh1, values, levels=[b.threshold], colors="black", linewidths=1.2)
    for k in np.unique(b.classes):
        colour = CLASS_COLOURS[int(k) % len(CLASS_COLOURS)]
        train = (b.classes == k) & ~b.validation
        held = (b.classes == k) & b.validation
        ax.scatter(b.X[train, 0], b.X[train, 1], s=14, color=colour, edgecolors="white", linewidths=0.4, label=f"class {int(k)}")
        if held.any():
            ax.scatter(b.X[held, 0], b.X[held, 1], s=22, facecolors="none", edgecolors=colour, linewidths=1.0, label=f"class {int(k)} (validation)")
    ax.set_xlabel(b.features[0])
    ax.set_ylabel(b.features[1])
    ax.set_title("decision boundary" + ("" if b.threshold is None else f" (ŷ = {b.threshold:g})"))
    ax.legend(loc="best", fontsize=7)
