"""What `nnsolve train` makes of a finished run: the table of epochs, the picture and the
trained problem file. Imported once training has run, so `--help` builds none of it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from .train import TABLE_ROWS

if TYPE_CHECKING:
    from ..data import DataSet
    from ..problem import Problem
    from ..training import History, Network


@dataclass(frozen=True)
class TrainedRun:
    """A finished training run, and what is made of it: the table, the picture, the problem file."""

    problem: Problem
    network: Network
    data: DataSet
    history: History
    file: str  # the problem file, or "the built-in worksheet"
    data_path: str
    batch_size: int
    shuffle: bool
    seed: int
    init: Optional[str]  # the initialisation asked for; None: the problem's weights
    dtype: str
    label: Optional[str] = None  # the optimizer as --optimizer named it; None without --optimizer

    @property
    def shape(self) -> str:
        return "-".join(str(n) for n in self.network.sizes)

    def how(self) -> str:
        """How the run was made, in one sentence (for the table and the saved file)."""
        n_train, n_val = len(self.history.train_rows), len(self.history.validation_rows)
        examples = f"{n_train} examples of {self.data_path}" + (f" ({n_val} more held out for validation)" if n_val else "")
        method = "per-example SGD" if self.batch_size == 1 or n_train == 1 else f"mini-batches of {min(self.batch_size, n_train)}"
        if self.optimizer_words():
            method += f", {self.optimizer_words()}"
        if self.dtype != "float64":
            method += f" in {self.dtype}"
        order = f"shuffled with seed {self.seed}" if self.shuffle else "in the file's order"
        start = f"{self.init} weights (seed {self.seed})" if self.init else f"the weights of {self.file}"
        return f"{examples}, {method}, {order}, from {start}"

    def optimizer_words(self) -> str:
        """'with Adam (beta1 0.9, ...)', and the l2 term; '' for plain SGD."""
        net = self.network
        words = []
        if net.optimizer is not None:
            from ..render.optimizer import describe, number

            words.append(f"each step {describe(net.optimizer, self.problem)}" + (f" with weight decay {number(net.optimizer.weight_decay)}" if net.optimizer.weight_decay else ""))
        if net.l2:
            words.append(f"l2 {net.l2:g} in each gradient (the loss shown is the data's)")
        return ", ".join(words)

    def title(self) -> str:
        return self.problem.title or "Training"

    def document(self, every):
        from ..render.document import Document, Para, Table
        from ..render.numbers import fmt

        h, net = self.history, self.network
        acts = ", ".join(dict.fromkeys(net.activations))
        intro = (
            f"A {self.shape} network ({acts}, {net.loss}, learning rate {fmt(net.learning_rate, 8)}"
            + ("; one shared bias per layer" if net.bias and net.shared_bias else "") + ") "
            f"trained on {self.how()}."
        )
        validation = len(h.validation_rows) > 0
        header = ("epoch", "loss", "accuracy") + (("val loss", "val accuracy") if validation else ())
        every = every or max(1, math.ceil(len(h.epochs) / TABLE_ROWS))
        shown = [r for r in h.epochs if r.epoch == 1 or r.epoch % every == 0 or r is h.epochs[-1]]
        rows = tuple(self._row(r, validation, fmt) for r in [h.initial] + shown)
        blocks = [Para((intro,)), Table(header, rows, numeric=(True,) * len(header))]
        final = h.final
        if h.epochs:
            n_train = len(h.train_rows)
            right = round(final.accuracy * n_train)
            summary = f"After epoch {final.epoch}: loss {fmt(final.loss, 6)}, accuracy {_percent(final.accuracy)} ({right} of {n_train})"
            if validation:
                n_val = len(h.validation_rows)
                summary += f"; validation loss {fmt(final.val_loss, 6)}, accuracy {_percent(final.val_accuracy)} ({round(final.val_accuracy * n_val)} of {n_val})"
            blocks.append(Para((summary + ". Epoch 0 is the starting weights.",)))
        return Document(self.title() + (f" ({self.label})" if self.label else ""), tuple(blocks))

    @staticmethod
    def _row(r, validation: bool, fmt):
        cells = (str(r.epoch), fmt(r.loss, 6), _percent(r.accuracy))
        if validation:
            cells += (fmt(r.val_loss, 6), _percent(r.val_accuracy))
        return cells

    def divergence_message(self) -> str:
        d, h = self.history.diverged, self.history
        kept = f"the weights after epoch {h.final.epoch}" if h.epochs else "the starting weights"
        return (
            f"training diverged in epoch {d.epoch}: {d.what} is no longer a finite number; stopped and kept {kept}; "
            f"try a smaller learning_rate in the problem file or a larger --batch-size"
        )

    def picture(self) -> bytes:
        import numpy as np

        from .. import training
        from ..render import plot

        h = self.history
        records = [h.initial] + list(h.epochs)
        curves = plot.Curves(
            epochs=[r.epoch for r in records],
            loss=[r.loss for r in records],
            accuracy=[r.accuracy for r in records],
            val_loss=[r.val_loss for r in records if r.val_loss is not None],
            val_accuracy=[r.val_accuracy for r in records if r.val_accuracy is not None],
        )
        boundary = None
        if self.data.X.shape[1] == 2:
            net = self.network
            trained = h.weights
            softmax = net.activations[-1] == "softmax"
            single = net.sizes[-1] == 1

            def predict(points):
                y_hat = training.predict(net, points, trained)
                return np.argmax(y_hat, axis=1) if softmax or not single else y_hat[:, 0]

            label_classes = training.classes(net, self.data.Y)
            validation = np.zeros(self.data.n_examples, dtype=bool)
            validation[h.validation_rows] = True
            boundary = plot.Boundary(
                X=self.data.X,
                classes=label_classes[:, 0] if label_classes.shape[1] == 1 else np.argmax(self.data.Y, axis=1),
                validation=validation,
                predict=predict,
                threshold=None if softmax or not single else net.threshold,
                features=self.data.features,
            )
        return plot.render(f"{self.title()}: trained on {self.data_path}", self.network.loss, curves, boundary)

    def curves(self):
        from ..render import plot

        h = self.history
        records = [h.initial] + list(h.epochs)
        return plot.Curves(
            epochs=[r.epoch for r in records],
            loss=[r.loss for r in records],
            accuracy=[r.accuracy for r in records],
            val_loss=[r.val_loss for r in records if r.val_loss is not None],
            val_accuracy=[r.val_accuracy for r in records if r.val_accuracy is not None],
        )

    def comparison_picture(self, runs) -> bytes:
        """The loss and accuracy curves of several optimizers' runs, one line each."""
        from ..render import plot

        return plot.render_comparison(f"{self.title()}: trained on {self.data_path}", self.network.loss,
                                      [(r.label, r.curves()) for r in runs])

    def problem_file(self) -> str:
        from .. import __version__
        from ..render.problem_file import problem_yaml

        h, net = self.history, self.network
        final = h.final
        result = f"loss {final.loss:.6g}, accuracy {_percent(final.accuracy)} after epoch {final.epoch}"
        if final.val_loss is not None:
            result += f"; validation loss {final.val_loss:.6g}, accuracy {_percent(final.val_accuracy)}"
        import textwrap

        text = (
            f"Trained by nnsolve {__version__} (nnsolve train): the {self.shape} network of {self.file} "
            f"on {self.how()}; {result}."
        )
        if h.diverged is not None:
            text += f" Training diverged in epoch {h.diverged.epoch}: these are the last finite weights."
        comments = textwrap.wrap(text, 92) + ["x and y are the first example of the data."]
        return problem_yaml(
            comments=comments,
            title=f"{self.title()} (trained)",
            x=[float(str(v)) for v in self.data.X[0]],  # float32 features (--dtype float32) as their shortest decimals
            y=self.data.Y[0],
            weights=h.weights,
            activations=net.activations,
            loss=net.loss,
            learning_rate=net.learning_rate,
            threshold=net.threshold,
            bias=net.bias,
            train_bias=net.train_bias,
            optimizer=net.optimizer,
            l2=net.l2,
            decay_bias=net.decay_bias,
            shared_bias=net.shared_bias,
        )


def _percent(fraction: float) -> str:
    return f"{100 * fraction:.1f}%"


def comparison_document(runs):
    """Several optimizers' runs side by side: each one's final loss and accuracy, and the first
    epoch at which it reached the first run's final accuracy."""
    from ..render.document import Document, Para, Table
    from ..render.numbers import fmt

    target = runs[0].history.final.accuracy
    rows = []
    for r in runs:
        h = r.history
        reached = next((e.epoch for e in [h.initial] + list(h.epochs) if e.accuracy >= target), None)
        rows.append((r.label or "sgd", fmt(r.network.learning_rate, 8), str(h.final.epoch), fmt(h.final.loss, 6), _percent(h.final.accuracy),
                     "-" if reached is None else str(reached)))
    header = ("optimizer", "learning rate", "epochs", "loss", "accuracy", f"first epoch at {_percent(target)}")
    note = Para((f"Each run starts from the same weights and sees the examples in the same order; the last column is the first epoch "
                 f"whose accuracy reaches {runs[0].label or 'sgd'}'s final {_percent(target)} (- where it never does).",))
    return Document("Optimizers compared", (Table(header, tuple(rows), numeric=(False, True, True, True, True, True)), note))
