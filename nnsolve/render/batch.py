"""A batch as a document: one update from several examples (a problem with `batch: mean|sum`).

`nnsolve run` shows the network once, then each example's forward pass and derivatives (the
working of one solve, from the same starting weights), then the batch: the loss, each
weight's derivative combined from the examples' ((g1 + g2 + g3) / 3), and the one update.
`nnsolve grad REF` shows the weight's derivative in each example, briefly, and combined. The
blocks are document.py's, written in the problem's notation by document.in_notation.
"""

from __future__ import annotations

from dataclasses import replace

from ..notation import Notation, first_row, weight_name
from ..solution import Batch
from .document import (
    MAX_WRITTEN_PATHS,
    MAX_WRITTEN_TERMS,
    Block,
    Document,
    Equations,
    GradDocument,
    Heading,
    M,
    Para,
    SolutionDocument,
    Table,
    in_notation,
)
from .numbers import fmt

MAX_WRITTEN_WEIGHTS = 24  # past this many weights in a layer, its combined gradient is shown as a matrix


def sum_text(values, f) -> str:
    """a + (-b) + c: the terms of a sum as a person writes them, a negative one in brackets."""
    return " + ".join(f(v) if v >= 0 else f"({f(v)})" for v in values)


def combined_text(values, mode: str, f) -> str:
    """(g1 + g2 + g3) / 3 for a mean, g1 + g2 + g3 for a sum."""
    return f"({sum_text(values, f)}) / {len(values)}" if mode == "mean" else sum_text(values, f)


def _what(batch: Batch) -> str:
    return "mean" if batch.mode == "mean" else "sum"


class ExampleDocument(SolutionDocument):
    """One example of a batch: its forward pass, loss and derivatives, no network and no update."""

    def build(self) -> Document:
        blocks: list[Block] = []
        for part in (self.forward, self.output, self.backprop):
            blocks.extend(part())
        return Document(None, tuple(blocks))


def example_heading(batch: Batch, n: int, digits: int) -> tuple:
    """Example n of N: x = [...], y = [...] (class k)."""
    p = batch.solutions[n - 1].problem
    label = () if p.label_class is None else (f" (class {p.label_class})",)
    return (f"Example {n} of {batch.count}: ", M(f"x = [{', '.join(fmt(v, digits) for v in p.x)}]"), ", ",
            M(f"y = [{', '.join(fmt(v, digits) for v in p.y)}]"), *label)


class BatchDocument(SolutionDocument):
    """Every step of a batch: the network, each example's working, then the batch's gradient and update."""

    def __init__(self, batch: Batch, digits: int):
        # the network as the batch problem gives it (its learning rate); the labels are the examples'
        super().__init__(replace(batch.solutions[0], problem=replace(batch.problem, label_class=None)), digits)
        self.b = batch

    def build(self) -> Document:
        b = self.b
        each = "each worked from the same starting weights, none changed until every example is done"
        blocks: list[Block] = [Para((f"One update from a batch of {b.count} examples, from the {_what(b)} of their gradients; "
                                     f"{each}.",))]
        blocks.extend(self.rounding_note())
        blocks.extend(self.network())
        for n, s in enumerate(b.solutions, start=1):
            blocks.append(Heading(example_heading(b, n, self.d), level=0))
            blocks.extend(ExampleDocument(s, self.d).build().blocks)
        blocks.append(Heading((f"The batch: the {_what(b)} of the {b.count} examples",), level=0))
        blocks.extend(self.batch_loss())
        blocks.extend(self.combined())
        blocks.extend(self.batch_update())
        blocks.extend(self.batch_rounding_summary())
        return Document(self.p.title, tuple(blocks))

    def batch_loss(self):
        b, f = self.b, self.f
        yield Heading(("The loss of the batch",))
        yield Para((f"The {_what(b)} of the examples' losses:",))
        yield self.equations(("l", combined_text([s.loss for s in b.solutions], b.mode, f), f(b.loss - b.penalty)))
        if self.p.l2:  # once, for the batch
            from .optimizer import l2_blocks

            yield from l2_blocks(self, b.penalty, b.loss)

    def combined(self):
        b, f = self.b, self.f
        yield Heading(("The gradient of the batch",))
        of = "mean loss" if b.mode == "mean" else "summed loss"
        terms = " + ".join(f"example {n}" for n in range(1, b.count + 1)) if b.count <= 3 else f"example 1 + ... + example {b.count}"
        yield Para((f"Each weight's derivative is the {_what(b)} of its derivatives in the {b.count} examples (the derivative of the {of}): "
                    + (f"({terms}) / {b.count}." if b.mode == "mean" else f"{terms}."),))
        for layer in reversed(self.s.layers):
            l = layer.layer
            G = b.example_gradients(l)
            cells = self.cells(layer)
            if b.count <= MAX_WRITTEN_TERMS and len(cells) <= MAX_WRITTEN_WEIGHTS:
                r0 = first_row(self.p.bias)
                lines = [(f"dl/d{weight_name(l, r + r0, j + 1)}", combined_text(G[:, r, j], b.mode, f) + self.l2_text(layer, r, j),
                          f(b.grads[l - 1][r, j])) for r, j in cells]
                yield Para((f"Layer {l}:",))
                yield self.equations(*lines)
            else:  # too many to write out: the matrix, element by element the examples' mean (or sum)
                yield Para((f"Layer {l}, element by element the {_what(b)} of the examples' ", M(f"dl/dW{l}"), ":"))
                yield from self.weights("dl/d", layer, b.grads[l - 1])

    def l2_text(self, layer, r: int, j: int) -> str:
        """' + (l2)(w)', the l2 term's part of a weight's derivative, once for the batch ('' without)."""
        term = self.l2_term(layer, r)
        return f" + {self.pf(term)}{self.pf(layer.W[r, j])}" if term else ""

    def batch_update(self):
        b, p, f = self.b, self.p, self.f
        if b.optimizer_step is not None:  # the optimizer's step from the combined gradient
            from .optimizer import OptimizerWorking

            yield from OptimizerWorking(self, b.optimizer_step, list(p.weights), list(b.grads)).blocks()
            yield Heading(("Updated weights (", b.optimizer_step.optimizer.title, ", ", M(f"lambda = {f(p.learning_rate)}"), ")"))
            for layer in self.s.layers:
                yield from self.weights("new ", layer, b.updated[layer.layer - 1])
            return
        yield Heading(("Updated weights (", M(f"lambda = {f(p.learning_rate)}"), ")"))
        yield Para(("One update for the whole batch, ", M("w - lambda dl/dw"), ", with each weight's derivative above.",))
        r0 = first_row(p.bias)
        for layer in reversed(self.s.layers):
            l = layer.layer
            rows = []
            for r, j in self.cells(layer):
                kept = r + r0 == 0 and not p.train_bias
                rows.append((M(weight_name(l, r + r0, j + 1)), f(layer.W[r, j]), f(b.grads[l - 1][r, j]),
                             f(b.updated[l - 1][r, j]) + (" (kept)" if kept else "")))
            yield Table(("weight", M("w"), M("dl/dw"), M("w - lambda dl/dw")), tuple(rows), title=(f"Layer {l}",),
                        numeric=(False, True, True, True))
        for layer in self.s.layers:
            yield from self.weights("new ", layer, b.updated[layer.layer - 1])

    def batch_rounding_summary(self):
        if self.b.rounding is None:
            return
        name, difference = self.b.max_difference()
        yield Heading(("Rounding",))
        yield Para((f"Rounded to {self.b.rounding.describe()}, at every step, the largest difference from the exact "
                    "result is ", M(self.f(difference)), ", in ", M(name.split(" of example ")[0]),
                    *((f" of example {name.split(' of example ')[1]}",) if " of example " in name else ()), "."))
        if self.b.optimizer_step is not None:
            from .optimizer import rounded_denominator

            yield from rounded_denominator(self.b.optimizer_step, self.b.exact.optimizer_step, self.b.rounding, self.b.problem.bias)


def batch_document(batch: Batch, digits: int) -> Document:
    return in_notation(BatchDocument(batch, digits).build(), Notation.of(batch.problem))


# -- nnsolve grad on a batch -------------------------------------------------------------------


class BatchGradDocument(GradDocument):
    """One weight's derivative in each example of a batch, briefly, then combined, then its update."""

    def __init__(self, batch: Batch, grads, digits: int):
        super().__init__(replace(batch.solutions[0], problem=batch.problem), grads[0], digits)
        self.b = batch
        self.grads = grads  # chain.WeightGradient of each example

    def build(self) -> Document:
        b, g, f = self.b, self.g, self.f
        r, j = g.row - first_row(self.p.bias), g.column - 1
        G = b.example_gradients(g.layer)[:, r, j]
        combined = b.grads[g.layer - 1][r, j]
        blocks: list[Block] = [Heading((M(f"dl/d{g.weight}"), f" over a batch of {b.count} examples: the {_what(b)} of its derivatives"))]
        blocks.append(Para((M(g.weight), f" = {f(g.value)} in every example: the batch makes one update, after all of them.",)))
        blocks.extend(self.rounding_note())
        blocks.extend(self.paths_text())
        # the factors of each path, or, past a handful of paths or in hand-rounded working (whose
        # rounded product of factors may differ in the last digit), backpropagation's delta * input
        written = g.path_count <= MAX_WRITTEN_PATHS and b.rounding is None
        if written:
            chains = [" * ".join(x.symbol for x in path) for path in g.paths]
            blocks.append(Equations(((f"dl/d{g.weight}", " + ".join(chains)),)))
        else:
            delta = self.neuron("delta", g.layer, g.column)
            blocks.append(Equations(((f"dl/d{g.weight}", f"{delta} * {g.paths[0][-1].formula}"),)))
        rows = []
        for n, (eg, value) in enumerate(zip(self.grads, G), start=1):
            p = b.solutions[n - 1].problem
            if written:
                working = " + ".join("".join(self.pf(x.value) for x in path) for path in eg.paths)
            else:
                s = b.solutions[n - 1].layers[g.layer - 1]
                working = f"{self.pf(s.delta[j])}{self.pf(s.input[r])}"
            rows.append((str(n), M(f"[{', '.join(f(v) for v in p.x)}]"), M(f"[{', '.join(f(v) for v in p.y)}]"), M(working), f(value)))
        blocks.append(Table(("example", M("x"), M("y"), "factors" if written else M("delta * input"), M(f"dl/d{g.weight}")), tuple(rows),
                            title=("In each example",), numeric=(False, False, False, False, True)))
        term = self.l2_term(b.solutions[0].layers[g.layer - 1], r)
        blocks.append(self.equations((f"dl/d{g.weight}", combined_text(G, b.mode, f) + (f" + {self.pf(term)}{self.pf(g.value)}" if term else ""),
                                      f(combined))))
        blocks.append(Heading(("The update",)))
        if not g.trained:
            blocks.append(Para((M(g.weight), f" is a bias weight and train_bias is false: it stays {f(g.value)}.",)))
        elif b.optimizer_step is not None:  # the optimizer's working of this weight, from the combined derivative
            from .optimizer import OptimizerWorking, describe, rule_lines

            step = b.optimizer_step
            blocks.append(Para((f"{describe(step.optimizer, self.p)}, step ", M(f"t = {step.t}"), ", learning rate ",
                                M(f"lambda = {f(step.learning_rate)}"), ", with ", M("g = dl/dw"), " the batch's:")))
            blocks.append(Equations(tuple(rule_lines(step.optimizer))))
            blocks.append(self.equations(*OptimizerWorking(self, step, list(self.p.weights), list(b.grads)).lines(g.layer, r, j)))
        else:
            new = b.updated[g.layer - 1][r, j]
            blocks.append(self.equations((f"new {g.weight}", f"{g.weight} - lambda dl/d{g.weight}",
                                          f"{f(g.value)} - {self.pf(self.p.learning_rate)}{self.pf(combined)}", f(new))))
        if b.rounding is not None:
            exact = b.exact.grads[g.layer - 1][r, j]
            blocks.append(Heading(("Rounding",)))
            blocks.append(Para((f"Rounded to {b.rounding.describe()}, at every step, ", M(f"dl/d{g.weight}"), " is ", M(f(combined)),
                                "; exactly it is ", M(f(exact)), ", a difference of ", M(f(abs(combined - exact))),
                                ". (Each example's derivative is backpropagation's, through delta, as nnsolve run works it.)")))
        return Document(self.p.title, tuple(blocks))


def batch_grad_document(batch: Batch, grads, digits: int) -> Document:
    return in_notation(BatchGradDocument(batch, grads, digits).build(), Notation.of(batch.problem))


def batch_grad_table_document(batch: Batch, digits: int) -> Document:
    """grad --all on a batch: every weight, its derivative in each example, combined, and its update."""
    p = batch.problem
    r0 = first_row(p.bias)
    doc = SolutionDocument(replace(batch.solutions[0], problem=p), digits)
    written = batch.count <= MAX_WRITTEN_TERMS  # each example's column, for a handful of them
    rows = []
    for layer in doc.s.layers:
        l = layer.layer
        G = batch.example_gradients(l)
        for r, j in doc.cells(layer):
            kept = r + r0 == 0 and not p.train_bias
            each = (fmt(v, digits) for v in G[:, r, j]) if written else ()
            rows.append((M(weight_name(l, r + r0, j + 1)), fmt(layer.W[r, j], digits), *each,
                         fmt(batch.grads[l - 1][r, j], digits), fmt(batch.updated[l - 1][r, j], digits) + (" (kept)" if kept else "")))
    examples = tuple(f"example {n}" for n in range(1, batch.count + 1)) if written else ()
    table = Table(("weight", M("w"), *examples, M("dl/dw"), M("w - lambda dl/dw")), tuple(rows),
                  numeric=(False, True) + (True,) * len(examples) + (True, True))
    each = "Each weight's derivative in each example, then their" if written else f"Each weight's derivative over the {batch.count} examples: the"
    note = Para((f"{each} {_what(batch)}, ", M("dl/dw"), ", the batch's, from which the one update is made.",))
    return in_notation(Document(p.title, (note, table)), Notation.of(p))
