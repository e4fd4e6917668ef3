"""A problem file written by nnsolve (`nnsolve train --save`): the YAML that problem.py reads.

Every number is written so that it reads back as the same float64 (the shortest repr), in a
spelling YAML 1.1 readers take as a number too (1.0e-05, not 1e-05).
"""

from __future__ import annotations

from typing import Iterator, Optional, Sequence

import numpy as np

from ..notation import to_convention


def number(value: float) -> str:
    v = float(value)
    text = repr(v)
    if text.endswith(".0") and abs(v) < 1e15:  # a whole number: 2, not 2.0 (and 0, not -0)
        return text[:-2] if v else "0"
    if "e" in text:
        mantissa, _, exponent = text.partition("e")
        if "." not in mantissa:
            text = f"{mantissa}.0e{exponent}"  # YAML 1.1 reads 1e-05 as text
    return text


def numbers(values) -> list[str]:
    """number() of every value of an array (flattened), made for all of them at once: a class's
    variants write 600,000 numbers, and a call a number would be most of the work."""
    v = np.asarray(values, dtype=np.float64).ravel()
    whole = (v == np.trunc(v)) & (np.abs(v) < 1e15)
    texts = list(map(float.__repr__, v.tolist()))
    if whole.any():  # 2, not 2.0 (and 0, not -0)
        ints = map(int.__repr__, np.where(whole, v, 0.0).astype(np.int64).tolist())
        texts = [i if w else t for i, t, w in zip(ints, texts, whole.tolist())]
    # repr writes an exponent below 1e-4 and from 1e16 on (the margins are generous: each text is looked at)
    magnitude = np.abs(v)
    for k in np.flatnonzero((magnitude < 2e-4) | (magnitude > 5e15)).tolist():
        mantissa, e, exponent = texts[k].partition("e")
        if e and "." not in mantissa:
            texts[k] = f"{mantissa}.0e{exponent}"  # YAML 1.1 reads 1e-05 as text
    return texts


def vector(values) -> str:
    return "[" + ", ".join(map(number, np.ravel(values).tolist())) + "]"


def problem_yaml(
    *,
    comments: Sequence[str],
    title: Optional[str],
    x: np.ndarray,
    y: np.ndarray,
    weights: Sequence[np.ndarray],
    activations: Sequence[str],
    loss: str,
    learning_rate: Optional[float],
    threshold: float = 0.5,
    bias: bool = True,
    train_bias: bool = True,
    convention: str = "bias-row",
    symbols: Sequence[tuple[str, str]] = (),
    optimizer=None,
    l2: float = 0.0,
    decay_bias: bool = False,
    state=None,
    shared_bias: bool = False,
) -> str:
    """The text of a problem file, the weights (bias-row form) written in the convention;
    comments become the '#' lines at its top. shared_bias: 'bias: shared', each b one number."""
    written = [to_convention(W, convention, bias) for W in weights]
    return _layout(
        comments, title, vector(x), vector(y), [[vector(row) for row in W] for W, _ in written], [W.shape for W, _ in written],
        [None if b is None else number(b[0]) if shared_bias else vector(b) for _, b in written], activations, loss, learning_rate,
        threshold, bias, train_bias, convention, symbols, shared_bias, update_lines(optimizer, l2, decay_bias, state, convention, bias, shared_bias),
    )


def update_lines(optimizer, l2: float, decay_bias: bool, state, convention: str, bias: bool, shared_bias: bool = False) -> list[str]:
    """The lines of the update rule: optimizer (its options that differ from torch's defaults),
    weight_decay, l2, decay_bias, and the state, each array as the convention writes W and b."""
    from ..optimizers import DEFAULT_WEIGHT_DECAY, OPTIONS

    lines = []
    if optimizer is not None:
        changed = [(k, v) for k, v in optimizer.options if v != dict(OPTIONS[optimizer.name])[k]]
        if changed:
            values = ", ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else number(v)}" for k, v in changed)
            lines.append(f"optimizer: {{name: {optimizer.name}, {values}}}")
        else:
            lines.append(f"optimizer: {optimizer.name}")
        if optimizer.weight_decay != DEFAULT_WEIGHT_DECAY.get(optimizer.name, 0.0):
            lines.append(f"weight_decay: {number(optimizer.weight_decay)}")
    if l2:
        lines.append(f"l2: {number(l2)}")
    if decay_bias and (l2 or (optimizer is not None and optimizer.weight_decay)):
        lines.append("decay_bias: true")
    if state is not None and (state.step or state.arrays):
        lines.append("state:")
        lines.append(f"  step: {state.step}")
        for l, named in enumerate(state.arrays, start=1):
            parts: dict = {}
            for name, values in named:
                W, b = to_convention(values, convention, bias)
                parts.setdefault(f"W{l}", []).append(f"{name}: [{', '.join(vector(row) for row in W)}]")
                if b is not None:  # (bias: shared: one number, as b is)
                    parts.setdefault(f"b{l}", []).append(f"{name}: {number(b[0]) if shared_bias else vector(b)}")
            for key, items in parts.items():
                lines.append(f"  {key}: {{{', '.join(items)}}}")
    return lines


def problem_text(problem, comments: Sequence[str] = ()) -> str:
    """A Problem as the text of its file, in its convention (nnsolve convert)."""
    examples = problem.examples
    text = problem_yaml(
        comments=comments, title=problem.title, x=problem.x, y=problem.y, weights=problem.weights,
        activations=problem.activations, loss=problem.loss, learning_rate=problem.learning_rate,
        threshold=problem.threshold, bias=problem.bias, train_bias=problem.train_bias,
        convention=problem.convention, symbols=problem.symbols,
        optimizer=problem.optimizer, l2=problem.l2, decay_bias=problem.decay_bias, state=problem.state, shared_bias=problem.shared_bias,
    )
    if problem.label_class is not None and not examples:  # y given as a class number: kept so
        lines = text.splitlines()
        at = next(k for k, line in enumerate(lines) if line.startswith("y: "))
        lines[at] = f"y: {problem.label_class}   # class {problem.label_class} of {len(problem.y)}: one-hot {vector(problem.y)}"
        text = "\n".join(lines) + "\n"
    if examples:  # x and y are the first example's: the list of examples instead
        lines = [line for line in text.splitlines() if not line.startswith(("x: ", "y: "))]
        at = next(k for k, line in enumerate(lines) if line.startswith("W1:"))
        batch = [f"batch: {problem.batch}"] if problem.batch is not None else []  # one update from all of them
        classes = problem.example_classes or (None,) * len(examples)  # a label given as a class number: kept so
        lines[at:at] = ["examples:"] + [f"  - {{x: {vector(x)}, y: {vector(y) if k is None else k}}}" for (x, y), k in zip(examples, classes)] + batch
        text = "\n".join(lines) + "\n"
    if problem.points:
        text += "points:\n" + "".join(f"  {_quoted(name)}: {number(value)}\n" for name, value in problem.points)
    return text


def problem_yamls(problems: Sequence, comments: Sequence[Sequence[str]]) -> Iterator[str]:
    """problem_yaml() of each of many problems of one shape (a class's variants: their x, y,
    weights, learning rates and titles differ), one at a time, the numbers made at once."""
    count = len(problems)
    first = problems[0]
    if first.examples:  # a batch's variants: each with its list of examples, written one at a time
        for problem, lines in zip(problems, comments):
            yield problem_text(problem, lines)
        return
    convention, bias = first.convention, first.bias

    def rows(arrays) -> list[list[str]]:
        """Each problem's rows of one matrix (or its one vector) as list texts."""
        stacked = np.array(arrays, dtype=np.float64)
        texts = numbers(stacked)
        width = stacked.shape[-1]
        lines = ["[" + ", ".join(texts[i:i + width]) + "]" for i in range(0, len(texts), width)]
        per = len(lines) // count
        return [lines[k * per:(k + 1) * per] for k in range(count)]

    xs, ys = rows([p.x for p in problems]), rows([p.y for p in problems])
    layers = range(len(first.weights))
    written = [[to_convention(p.weights[l], convention, bias) for p in problems] for l in layers]
    weights = [rows([W for W, _ in layer]) for layer in written]
    shared = first.shared_bias  # each b one number: its first entry
    biases = [rows([b[:1] if shared else b for _, b in layer]) if layer[0][1] is not None else None for layer in written]
    shapes = [layer[0][0].shape for layer in written]
    for k, p in enumerate(problems):
        y = ys[k][0] if p.label_class is None else f"{p.label_class}   # class {p.label_class} of {len(p.y)}: one-hot {ys[k][0]}"
        yield _layout(
            comments[k], p.title, xs[k][0], y, [W[k] for W in weights], shapes,
            [None if b is None else b[k][0][1:-1] if shared else b[k][0] for b in biases], p.activations, p.loss, p.learning_rate,
            p.threshold, p.bias, p.train_bias, convention, p.symbols, shared,
            update_lines(p.optimizer, p.l2, p.decay_bias, p.state, convention, bias, shared),
        )


def _layout(comments, title, x: str, y: str, weight_rows, shapes, biases, activations, loss, learning_rate, threshold, bias, train_bias,
            convention: str = "bias-row", symbols=(), shared_bias: bool = False, update: Sequence[str] = ()) -> str:
    """A problem file's lines, its vectors and weight rows already written as lists."""
    lines = [f"# {c}".rstrip() for c in comments]
    if title:
        lines.append(f"title: {_quoted(title)}")
    if convention != "bias-row":
        lines.append(f"convention: {convention}")
    lines.append(f"x: {x}")
    lines.append(f"y: {y}")
    for l, (rows, shape, b) in enumerate(zip(weight_rows, shapes, biases), start=1):
        if convention == "bias-row":
            kind = "(inputs + 1) x neurons; row 0 = bias weights" if bias else "inputs x neurons"
            if shared_bias:
                kind = "(inputs + 1) x neurons; row 0 = the layer's one shared bias"
        else:
            kind = "neurons x inputs" if convention == "Wx+b" else "inputs x neurons"
        lines.append(f"W{l}:   # {shape[0]} x {shape[1]}: {kind}")
        lines.extend(f"  - {row}" for row in rows)
        if b is not None:
            lines.append(f"b{l}: {b}")
    names = list(activations)
    lines.append(f"activation: {names[0] if len(set(names)) == 1 else '[' + ', '.join(names) + ']'}")
    lines.append(f"loss: {loss}")
    if learning_rate is not None:  # none: the problem asks the derivatives only
        lines.append(f"learning_rate: {number(learning_rate)}")
    if threshold != 0.5:
        lines.append(f"threshold: {number(threshold)}")
    if not bias:
        lines.append("bias: false")
    elif shared_bias:
        lines.append("bias: shared")
    if bias and not train_bias:
        lines.append("train_bias: false")
    if symbols:
        lines.append("symbols: {" + ", ".join(f"{name}: {value}" for name, value in symbols) + "}")
    lines.extend(update)
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    """A title as a YAML double-quoted string: safe whatever it holds."""
    escaped = " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
