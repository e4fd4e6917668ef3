"""A problem file written by nnsolve (`nnsolve train --save`): the YAML that problem.py reads.

Every number is written so that it reads back as the same float64 (the shortest repr), in a
spelling YAML 1.1 readers take as a number too (1.0e-05, not 1e-05).
"""

from __future__ import annotations

from typing import Iterator, Optional, Sequence

import numpy as np


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
) -> str:
    """The text of a problem file; comments become the '#' lines at its top."""
    return _layout(
        comments, title, vector(x), vector(y), [[vector(row) for row in W] for W in weights], [W.shape for W in weights],
        activations, loss, learning_rate, threshold, bias, train_bias,
    )


def problem_yamls(problems: Sequence, comments: Sequence[Sequence[str]]) -> Iterator[str]:
    """problem_yaml() of each of many problems of one shape (a class's variants: their x, y,
    weights, learning rates and titles differ), one at a time, the numbers made at once."""
    count = len(problems)
    first = problems[0]

    def rows(arrays) -> list[list[str]]:
        """Each problem's rows of one matrix (or its one vector) as list texts."""
        stacked = np.array(arrays, dtype=np.float64)
        texts = numbers(stacked)
        width = stacked.shape[-1]
        lines = ["[" + ", ".join(texts[i:i + width]) + "]" for i in range(0, len(texts), width)]
        per = len(lines) // count
        return [lines[k * per:(k + 1) * per] for k in range(count)]

    xs, ys = rows([p.x for p in problems]), rows([p.y for p in problems])
    weights = [rows([p.weights[l] for p in problems]) for l in range(len(first.weights))]
    shapes = [W.shape for W in first.weights]
    for k, p in enumerate(problems):
        y = ys[k][0] if p.label_class is None else f"{p.label_class}   # class {p.label_class} of {len(p.y)}: one-hot {ys[k][0]}"
        yield _layout(
            comments[k], p.title, xs[k][0], y, [W[k] for W in weights], shapes,
            p.activations, p.loss, p.learning_rate, p.threshold, p.bias, p.train_bias,
        )


def _layout(comments, title, x: str, y: str, weight_rows, shapes, activations, loss, learning_rate, threshold, bias, train_bias) -> str:
    """A problem file's lines, its vectors and weight rows already written as lists."""
    lines = [f"# {c}".rstrip() for c in comments]
    if title:
        lines.append(f"title: {_quoted(title)}")
    lines.append(f"x: {x}")
    lines.append(f"y: {y}")
    for l, (rows, shape) in enumerate(zip(weight_rows, shapes), start=1):
        kind = "(inputs + 1) x neurons; row 0 = bias weights" if bias else "inputs x neurons"
        lines.append(f"W{l}:   # {shape[0]} x {shape[1]}: {kind}")
        lines.extend(f"  - {row}" for row in rows)
    names = list(activations)
    lines.append(f"activation: {names[0] if len(set(names)) == 1 else '[' + ', '.join(names) + ']'}")
    lines.append(f"loss: {loss}")
    if learning_rate is not None:  # none: the problem asks the derivatives only
        lines.append(f"learning_rate: {number(learning_rate)}")
    if threshold != 0.5:
        lines.append(f"threshold: {number(threshold)}")
    if not bias:
        lines.append("bias: false")
    elif not train_bias:
        lines.append("train_bias: false")
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    """A title as a YAML double-quoted string: safe whatever it holds."""
    escaped = " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
