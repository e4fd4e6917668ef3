"""`nnsolve train`: the worksheet's step over a whole data set, epoch after epoch."""

from __future__ import annotations

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
@click.option("--optimizer", "optimizer_specs", metavar="NAME[,NAME...]",
              help="Train with this optimizer (torch.optim's rules and defaults): sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw; "
                   "NAME:key=value:... sets options and the learning rate (adam:lr=0.01:beta2=0.99); the problem file's optimizer options, "
                   "weight_decay, l2 and state where it names the same one. Several, comma-separated: each trained from the same start, "
                   "compared in a table and in --plot's curves.")
@click.option("--force", is_flag=True, help="Let --plot and --save replace existing files.")
def train(file, data_path, labels, epochs, batch_size, dtype, shuffle, seed, validation_split, init, as_json, every, plot, save, force, optimizer_specs):
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
      nnsolve train problems/moons.yaml --data problems/data/moons.csv --optimizer sgd,adam:lr=0.01 --plot compare.png
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
    networks = [(None, network)] if optimizer_specs is None else _optimized(problem, network, optimizer_specs)
    if save and len(networks) > 1:
        raise click.UsageError("--save writes one trained network; give one --optimizer with it")

    from .trained import TrainedRun, comparison_document

    runs = []
    for label, net in networks:
        progress = _progress(epochs)
        on_epoch = _epoch_printer(as_json, progress, label if len(networks) > 1 or optimizer_specs else None)
        try:
            history = training.train(
                net, data.X, data.Y, epochs=epochs, batch_size=batch_size, shuffle=shuffle, seed=seed,
                validation_split=validation_split, on_epoch=on_epoch, dtype=dtype,
            )
        finally:
            if progress is not None:
                progress.stop()
        runs.append(TrainedRun(
            problem=problem, network=net, data=data, history=history, file=file or "the built-in worksheet",
            data_path=data_path, batch_size=batch_size, shuffle=shuffle, seed=seed, init=init, dtype=dtype, label=label,
        ))
    if not as_json:
        from .common import show

        for run in runs:
            show(run.document(every))
        if len(runs) > 1:
            show(comparison_document(runs))
    for run in runs:
        if run.history.diverged is not None:
            click.echo(f"nnsolve: {run.divergence_message()}", err=True)
    run = runs[-1]
    picture = (lambda: run.picture()) if len(runs) == 1 else (lambda: run.comparison_picture(runs))
    outputs = ([(plot, picture())] if plot else []) + ([(save, run.problem_file().encode("utf-8"))] if save else [])
    if outputs:
        from ..files import write_files_atomic

        write_files_atomic(outputs, force)  # both or neither
        for path, _ in outputs:
            click.echo(f"nnsolve: wrote {path}", err=True)
    if any(r.history.diverged is not None for r in runs):
        click.get_current_context().exit(EXIT_FOUND)


def _optimized(problem, network, specs: str) -> list:
    """(label, network) for each NAME[:key=value...] of --optimizer: the optimizer with its options
    (the problem file's where it names the same one and gives none here), the learning rate
    lr=... or the problem's, and the problem's weight decay, l2 and (for its own optimizer) state."""
    from dataclasses import replace

    from ..errors import NnsolveError
    from ..optimizers import ALL_NAMES, OptionError, make, split_spec
    from ..yaml_nodes import suggest

    result = []
    for text in [t.strip() for t in specs.split(",")]:
        if not text:
            raise click.UsageError("--optimizer: an empty name; give NAME[,NAME...], such as sgd,momentum,adam")
        try:
            name, options, lr = split_spec(text)
            own = problem.optimizer
            if own is not None and name.strip().lower() == own.name and not options:
                opt = own
            else:
                decay = own.weight_decay if own is not None and "weight_decay" not in options else options.pop("weight_decay", None)
                if own is not None and own.name == "adamw" and name.strip().lower() != "adamw" and "weight_decay" not in options:
                    decay = None  # AdamW's default decay is its own
                opt = make(name, options, decay, problem.decay_bias)
        except OptionError as e:
            # an unknown name: the nearest known one, as a problem file's optimizer: gets
            fix = suggest(text.split(":")[0].strip(), ALL_NAMES) if e.key == "optimizer" else e.fix
            raise NnsolveError(f"{text}: {e.message}", key=f"--optimizer ({e.key})" if e.key != "--optimizer" else "--optimizer", fix=fix) from None
        state = network.state if opt is problem.optimizer else None
        net = replace(network, optimizer=None if opt.plain else opt, state=state,
                      learning_rate=network.learning_rate if lr is None else lr)
        result.append((text, net))
    return result


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


def _epoch_printer(as_json: bool, progress, label=None):
    """What happens as each epoch ends: a JSON line (with the optimizer as --optimizer named it),
    a step of the progress bar."""
    if not as_json and progress is None:
        return None
    from ..render.json import dumps_line

    extra = {} if label is None else {"optimizer": label}

    def on_epoch(record) -> None:
        if as_json:
            click.echo(dumps_line({"schema": TRAIN_SCHEMA_ID, **extra, **record.as_dict()}), nl=False)
        if progress is not None:
            progress.update(0, advance=1, status=f"loss {record.loss:.4g}  accuracy {100 * record.accuracy:.1f}%")

    return on_epoch
