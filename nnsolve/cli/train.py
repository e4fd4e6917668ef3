"""`nnsolve train`: the worksheet's step over a whole data set, epoch after epoch."""

from __future__ import annotations

import math
import os
import sys

import click

from .common import EXIT_FOUND, problem_argument

INITS = ("xavier", "he", "uniform")  # training.INITS, spelled here so --help imports no numpy
SHIPPED = "problems/data/xor.csv (with problems/xor.yaml), moons.csv (problems/moons.yaml), breast_cancer.csv (problems/breast_cancer.yaml)"
TRAIN_SCHEMA_ID = "nnsolve.train/1"
TABLE_ROWS = 20  # about this many epochs in the table unless --every says otherwise


@click.command()
@problem_argument
@click.option("--data", "data_path", type=click.Path(), metavar="PATH",
              help="The examples: a CSV with a header line (labels in the last column, or as --label names), "
                   "or .npy (one array, labels last) or .npz (arrays X and y). Shipped sets are in problems/data/.")
@click.option("--label", "labels", multiple=True, metavar="NAME",
              help="The label column(s) of the CSV, by name: repeat it or give a comma list for several outputs "
                   "(default: the last column). One column of class numbers 0..K-1 is one-hot for K outputs.")
@click.option("--epochs", type=click.IntRange(1, 10_000_000), default=100, show_default=True, metavar="N",
              help="Passes over the training examples.")
@click.option("--batch-size", type=click.IntRange(1), default=1, show_default=True, metavar="B",
              help="1: the worksheet's SGD, one update per example; larger: one update per B examples with the gradient averaged over them.")
@click.option("--dtype", type=click.Choice(("float64", "float32")), default="float64", show_default=True,
              help="Arithmetic of the training: float64 is the worksheet's step exactly; float32 keeps about 7 significant digits and makes mini-batches of large networks faster (its matmuls take half the time).")
@click.option("--shuffle/--no-shuffle", default=True, show_default=True,
              help="Visit the examples in a new random order each epoch (from --seed), or in the file's order.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, metavar="S",
              help="Seed of everything random (order, validation split, --init): the same seed gives the same run.")
@click.option("--validation-split", type=click.FloatRange(0, 1, max_open=True), default=0.0, metavar="F",
              help="Hold out this fraction of the examples (chosen at random with --shuffle, else the last ones) and report their loss and accuracy.")
@click.option("--init", type=click.Choice(INITS), default=None,
              help="Start from new weights of the problem's shapes (bias rows 0, --seed): xavier, he or uniform; default: the weights in FILE.")
@click.option("--json", "as_json", is_flag=True,
              help=f"JSON Lines on stdout, one object per epoch as it ends (schema {TRAIN_SCHEMA_ID}): epoch, loss, accuracy, and val_loss, val_accuracy with a split.")
@click.option("--every", type=click.IntRange(1), default=None, metavar="N",
              help=f"Show every Nth epoch in the table (the first and last always; default: about {TABLE_ROWS} rows). --json gives them all.")
@click.option("--plot", type=click.Path(dir_okay=False), metavar="FILE.png",
              help="Draw the loss and accuracy curves (and, for two features, the decision boundary with the examples) as a PNG. Needs matplotlib.")
@click.option("--save", type=click.Path(dir_okay=False), metavar="FILE.yaml",
              help="Write the trained weights as a problem file for `nnsolve run` and `grad` (x, y: the first example).")
@click.option("--force", is_flag=True, help="Let --plot and --save replace existing files.")
def train(file, data_path, labels, epochs, batch_size, dtype, shuffle, seed, validation_split, init, as_json, every, plot, save, force):
    """Train the network of FILE on a data set, and show the loss and accuracy per epoch.

    FILE is a problem file (see problems/); its weights are the starting point (or --init),
    and its activations, loss, learning rate and threshold are used as they are. Batch size 1
    repeats the worksheet's step once per example. The loss and accuracy of an epoch are
    those of every training example, with the weights the epoch ends with.

    Exit status: 0 trained; 1 training diverged (a loss or weight overflowed: the table stops
    at the last good epoch, and --save and --plot keep its weights); 2 bad input, and nothing
    is written.

    \b
    Examples:
      nnsolve train problems/xor.yaml --data problems/data/xor.csv --epochs 40
      nnsolve train problems/moons.yaml --data problems/data/moons.csv --plot moons.png
      nnsolve train problems/breast_cancer.yaml --data problems/data/breast_cancer.csv --validation-split 0.2 --json
    """
    from ..errors import NnsolveError

    if data_path is None:
        raise NnsolveError("no data to train on", key="--data", fix=f"give --data FILE (CSV with a header, .npy or .npz); shipped sets: {SHIPPED}")
    if force and not (plot or save):
        raise click.UsageError("--force is for --plot and --save")
    from ..files import check_target

    for option, path, suffixes in (("--plot", plot, (".png",)), ("--save", save, (".yaml", ".yml"))):
        if path is None:
            continue
        if not path.lower().endswith(suffixes):
            raise click.UsageError(f"{option} {path}: give a file name ending in {' or '.join(suffixes)}")
        check_target(path, force, option)
    if plot and save and os.path.abspath(plot) == os.path.abspath(save):
        raise click.UsageError("--plot and --save name the same file")
    if plot:
        from ..render.plot import require_matplotlib

        require_matplotlib()

    from .. import training
    from ..data import load_data
    from ..problem import load_problem

    problem = load_problem(file)
    network = training.Network.of(problem)
    names = [n.strip() for text in labels for n in text.split(",") if n.strip()]
    data = load_data(data_path, names, network.sizes[0], network.sizes[-1], problem.loss, problem.activations[-1], dtype)
    if init:
        network = training.Network.of(problem, training.initial_weights(network, init, training.streams(seed).init))

    progress = _progress(epochs)
    on_epoch = _epoch_printer(as_json, progress)
    try:
        history = training.train(
            network, data.X, data.Y, epochs=epochs, batch_size=batch_size, shuffle=shuffle, seed=seed,
            validation_split=validation_split, on_epoch=on_epoch, dtype=dtype,
        )
    finally:
        if progress is not None:
            progress.stop()

    run = _Run(problem, network, data, history, file, data_path, epochs, batch_size, shuffle, seed, init, dtype)
    if not as_json:
        from .common import show

        show(run.document(every))
    if history.diverged is not None:
        click.echo(f"nnsolve: {run.divergence_message()}", err=True)
    outputs = ([(plot, run.picture())] if plot else []) + ([(save, run.problem_file().encode("utf-8"))] if save else [])
    if outputs:
        from ..files import write_files_atomic

        write_files_atomic(outputs, force)  # both or neither
        for path, _ in outputs:
            click.echo(f"nnsolve: wrote {path}", err=True)
    if history.diverged is not None:
        click.get_current_context().exit(EXIT_FOUND)


def _progress(epochs: int):
    """A rich progress bar on stderr, started, when stderr is a terminal; else None."""
    if not sys.stderr.isatty() or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn("epoch"), MofNCompleteColumn(), BarColumn(), TextColumn("{task.fields[status]}"), TimeRemainingColumn(),
        console=Console(file=sys.stderr), transient=True,
        redirect_stdout=False, redirect_stderr=False,  # stdout is the data: never through the bar
    )
    progress.add_task("train", total=epochs, status="")
    progress.start()
    return progress


def _epoch_printer(as_json: bool, progress):
    """What happens as each epoch ends: a JSON line, a step of the progress bar."""
    if not as_json and progress is None:
        return None
    import json

    def on_epoch(record) -> None:
        if as_json:
            click.echo(json.dumps({"schema": TRAIN_SCHEMA_ID, **record.as_dict()}, allow_nan=False))
        if progress is not None:
            progress.update(0, advance=1, status=f"loss {record.loss:.4g}  accuracy {100 * record.accuracy:.1f}%")

    return on_epoch


class _Run:
    """A finished training run, and what is made of it: the table, the picture, the problem file."""

    def __init__(self, problem, network, data, history, file, data_path, epochs, batch_size, shuffle, seed, init, dtype="float64"):
        self.problem, self.network, self.data, self.history = problem, network, data, history
        self.dtype = dtype
        self.file = file or "the built-in worksheet"
        self.data_path, self.epochs, self.batch_size = data_path, epochs, batch_size
        self.shuffle, self.seed, self.init = shuffle, seed, init

    @property
    def shape(self) -> str:
        return "-".join(str(n) for n in self.network.sizes)

    def how(self) -> str:
        """How the run was made, in one sentence (for the table and the saved file)."""
        n_train, n_val = len(self.history.train_rows), len(self.history.validation_rows)
        examples = f"{n_train} examples of {self.data_path}" + (f" ({n_val} more held out for validation)" if n_val else "")
        method = "per-example SGD" if self.batch_size == 1 or n_train == 1 else f"mini-batches of {min(self.batch_size, n_train)}"
        if self.dtype != "float64":
            method += f" in {self.dtype}"
        order = f"shuffled with seed {self.seed}" if self.shuffle else "in the file's order"
        start = f"{self.init} weights (seed {self.seed})" if self.init else f"the weights of {self.file}"
        return f"{examples}, {method}, {order}, from {start}"

    def title(self) -> str:
        return self.problem.title or "Training"

    def document(self, every):
        from ..render.document import Document, Para, Table
        from ..render.numbers import fmt

        h, net = self.history, self.network
        acts = ", ".join(dict.fromkeys(net.activations))
        intro = (
            f"A {self.shape} network ({acts}, {net.loss}, learning rate {fmt(net.learning_rate, 8)}) "
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
        return Document(self.title(), tuple(blocks))

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
        )


def _percent(fraction: float) -> str:
    return f"{100 * fraction:.1f}%"
