"""The worksheet's names for things, in one place: W2[1,1], alpha1_2, x_2, ...

Row i of W^l counts from 0 (the bias row) and column j from 1 (the first neuron), so
W2[1,1] is the weight from beta^1_1 into output neuron 1. Without biases (bias: false)
rows count from 1, still naming the input they come from.
"""

from __future__ import annotations

import functools
import re


def first_row(bias: bool) -> int:
    """The notation's index of a weight matrix's array row 0."""
    return 0 if bias else 1


def weight_name(layer: int, i: int, j: int) -> str:
    """The canonical name of W^l_ij: 'W2[1,1]'."""
    return f"W{layer}[{i},{j}]"


def weight_order(convention: str, bias: bool, shared: bool, rows: int, cols: int) -> list[tuple[int, int]]:
    """(array row, array column) of every weight of a layer's bias-row form (rows x cols), in the
    order the convention writes them: bias-row row by row, row 0 (the biases) first; Wx+b W row
    by row as it is written (neurons x inputs: neuron by neuron, each from its inputs), then b;
    xW+b W row by row as it is written (inputs x neurons), then b. A shared bias (bias: shared)
    is one weight: row 0 once, as its column 0."""
    cells = [(r, c) for r in range(rows) for c in range(cols) if not (bias and shared and r == 0 and c > 0)]
    if convention == "Wx+b":
        cells.sort(key=lambda rc: (bias and rc[0] == 0, rc[1], rc[0]))
    elif convention == "xW+b":
        cells.sort(key=lambda rc: bias and rc[0] == 0)  # (a stable sort: the rows of W keep their order)
    return cells


def input_name(layer: int, i: int) -> str:
    """Feature i of layer l's input: x_i for layer 1, beta{l-1}_i after; 0 is the bias term."""
    return f"x_{i}" if layer == 1 else f"beta{layer - 1}_{i}"


# W2[1,1], W2[1][1], w2(1,1), W^2_{11}, W^{2}_{1,1}, W2_11, W2_1_1: layer, then row and column.
# Compiled when a name is first parsed (grad, check): `run` never pays for it.
_REF_PATTERN = r"""(?ix)
    (?:d\s*l\s*/\s*d\s*)?                  # an optional dl/d in front
    w\s*\^?\s*\{?\s*(?P<layer>\d+)\s*\}?     # W2, W^2, W^{2}
    \s*(?:
        \[\s*(?P<i1>\d+)\s*(?:,|\]\s*\[)\s*(?P<j1>\d+)\s*\]      # [1,1] or [1][1]
      | \(\s*(?P<i2>\d+)\s*,\s*(?P<j2>\d+)\s*\)                  # (1,1)
      | _\s*\{\s*(?P<i3>\d+)\s*,\s*(?P<j3>\d+)\s*\}              # _{1,1}
      | _\s*\{\s*(?P<ij4>\d\d)\s*\}                              # _{11}
      | _\s*(?P<i5>\d+)\s*_\s*(?P<j5>\d+)                        # _1_1
      | _\s*(?P<ij6>\d\d)                                        # _11
    )\s*"""


@functools.cache
def _ref() -> re.Pattern:
    return re.compile(_REF_PATTERN)


def parse_weight_ref(text: str) -> tuple[int, int, int]:
    """(layer, i, j) from any spelling people type; ValueError if it is not a weight name."""
    m = _ref().fullmatch(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a weight name; write it as W2[1,1] (layer 2, row 1, column 1)")
    g = m.groupdict()
    for a, b in (("i1", "j1"), ("i2", "j2"), ("i3", "j3"), ("i5", "j5")):
        if g[a] is not None:
            return int(g["layer"]), int(g[a]), int(g[b])
    pair = g["ij4"] or g["ij6"]
    return int(g["layer"]), int(pair[0]), int(pair[1])


# how nnsolve writes names for people (render/mathtext.py): the Greek letters, a layer as a
# superscript and a neuron as a subscript (beta1_2 is β¹₂), ŷ for y_hat, ∂ and ℓ for d and l
GREEK_LETTERS = "αβγδεζηθκλμνξρστφχψω"
SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
SUBSCRIPT_DIGITS = "₀₁₂₃₄₅₆₇₈₉"


def ascii_name(text: str) -> str:
    """A name as nnsolve shows it (α¹₂, ∂ℓ/∂W2[1,1], ŷ₁, ∂z²₁/∂b2[1], shape W¹, W²₁₁) in
    nnsolve's ASCII, as sheets and the commands take it (alpha1_2, dl/dW2[1,1], y_hat_1,
    dz2_1/db2[1], shape W1, W2_11); an ASCII name is returned as it is. A superscript layer
    next to an ASCII digit (W1², α¹2) is left as it is, which no name matches: W12 is not meant."""
    if text.isascii():
        return text
    superscripts, subscripts, letters = _displayed()
    text = text.replace("y\u0302", "ŷ")  # ŷ written with the combining circumflex
    text = superscripts.sub(lambda m: m.group(0).translate(_FROM_SUPERSCRIPT), text)
    text = subscripts.sub(lambda m: "_" + m.group(0).translate(_FROM_SUBSCRIPT), text)
    return "".join(letters.get(c, c) for c in text)


_FROM_SUPERSCRIPT = str.maketrans(SUPERSCRIPT_DIGITS, "0123456789")
_FROM_SUBSCRIPT = str.maketrans(SUBSCRIPT_DIGITS, "0123456789")


@functools.cache
def _displayed() -> tuple[re.Pattern, re.Pattern, dict]:
    """A run of superscript digits (a layer) not next to an ASCII digit; a run of subscript digits
    (_neuron); the letters shown for a word (α for alpha, ŷ for y_hat, ∂ for d, ℓ for l)."""
    letters = {**dict(zip(GREEK_LETTERS, GREEK)), "ŷ": "y_hat", "∂": "d", "ℓ": "l"}
    return re.compile(f"(?<![0-9])[{SUPERSCRIPT_DIGITS}]+(?![0-9])"), re.compile(f"[{SUBSCRIPT_DIGITS}]+"), letters


def count(n: int, noun: str) -> str:
    """'1 input', '784 inputs': a number and its noun, in the plural where it needs one."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


# -- conventions: how a course writes a layer ------------------------------------------------
#
# nnsolve works in one form, the worksheet's: W^l is (n_{l-1} + 1) x n_l, row 0 the bias
# weights, alpha^l = W^l^T [1; beta^{l-1}]. A convention is a way of reading and writing it:
#   bias-row  that form itself (the worksheet's);
#   Wx+b      W^l is n_l x n_{l-1}, a bias vector b^l beside it: z^l = W^l a^{l-1} + b^l
#             (Ng, Nielsen, Goodfellow, PyTorch's nn.Linear);
#   xW+b      W^l is n_{l-1} x n_l, row-vector inputs: z^l = a^{l-1} W^l + b^l (CS231n, Keras).
# Weight names follow the convention's own indexing, 1-based as the books write it: in Wx+b,
# W2[1,2] is the weight into neuron 1 of layer 2 from neuron 2 of layer 1, b2[1] its bias.

CONVENTIONS = ("bias-row", "Wx+b", "xW+b")
# what people type for a convention, and the one they mean, with case and spaces ignored
# (convention_named): Wx+b, wx+b, 'W x + b' and 'WX + B' are all Wx+b. The one table the problem
# reader, `convert --to` and the API read; the problem schema's pattern spells the same.
CONVENTION_ALIASES = {
    "bias-row": "bias-row", "bias_row": "bias-row", "biasrow": "bias-row", "worksheet": "bias-row",
    "wx+b": "Wx+b", "xw+b": "xW+b",
}


def convention_named(text) -> str | None:
    """The convention a person means by text (CONVENTION_ALIASES, with case and spaces
    ignored), or None."""
    return CONVENTION_ALIASES.get("".join(str(text).split()).lower())


# the symbols a problem may rename (symbols: in a problem file), and each convention's defaults
SYMBOL_NAMES = ("alpha", "beta", "y_hat", "loss", "learning_rate")
DEFAULT_SYMBOLS = {
    "bias-row": {"alpha": "alpha", "beta": "beta", "y_hat": "y_hat", "loss": "l", "learning_rate": "lambda"},
    "Wx+b": {"alpha": "z", "beta": "a", "y_hat": "y_hat", "loss": "L", "learning_rate": "eta"},
    "xW+b": {"alpha": "z", "beta": "a", "y_hat": "y_hat", "loss": "L", "learning_rate": "eta"},
}
# names a symbol may take: one letter, or a Greek letter's name (written as the letter), or
# the Greek letter itself (kept as its name: theta and θ are the same symbol)
GREEK = (
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "kappa", "lambda", "mu", "nu",
    "xi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega",
)
# the letters the working already uses for something else (x, y, W, b, e, the d of dl/dw, indices)
TAKEN_LETTERS = ("x", "y", "W", "b", "e", "d", "i", "j", "k", "w")


def symbol_named(text: str) -> str:
    """A symbol as nnsolve keeps it: a Greek letter (θ) as its name (theta), anything else as given."""
    index = GREEK_LETTERS.find(text) if len(text) == 1 else -1
    return GREEK[index] if index >= 0 else text


def symbol_error(what: str, name: str) -> str | None:
    """Why name (as symbol_named keeps it) cannot be the symbol of what (alpha, beta, ...), or None."""
    if what == "y_hat" and name == "y_hat":
        return None
    if not (re.fullmatch(r"[A-Za-z]", name) or name in GREEK):
        return "is not one letter, a Greek letter or a Greek letter's name"
    if name in TAKEN_LETTERS or (name == "delta" and what != "learning_rate"):
        return "already means something in the working"
    return None


def weight_in(convention: str, layer: int, i: int, j: int, shared: bool = False) -> str:
    """The name, in a convention, of the internal weight (layer, row i with 0 the bias row,
    column j from 1): bias-row W2[0,1]; Wx+b and xW+b b2[1] (b2, a layer's one shared bias,
    with shared); W2[1,2] in Wx+b is W2[2,1]'s."""
    if convention == "bias-row":
        return weight_name(layer, i, j)
    if i == 0:
        return f"b{layer}" if shared else f"b{layer}[{j}]"
    return f"W{layer}[{j},{i}]" if convention == "Wx+b" else f"W{layer}[{i},{j}]"


_BIAS_REF = r"(?ix)(?:d\s*[lLE]\s*/\s*d\s*)?b\s*\^?\s*\{?\s*(?P<layer>\d+)\s*\}?\s*(?:\[\s*(?P<j1>\d+)\s*\]|_\s*\{?\s*(?P<j2>\d+)\s*\}?|\(\s*(?P<j3>\d+)\s*\))\s*"
# b2, b^2, b^{2}: a layer's one shared bias (bias: shared)
_SHARED_BIAS_REF = r"(?ix)(?:d\s*[lLE]\s*/\s*d\s*)?b\s*\^?\s*\{?\s*(?P<layer>\d+)\s*\}?\s*"
# W2, b1, dl/dW2, dL/db1: a layer's whole matrix or bias vector, where one weight is asked for
_LAYER_REF = r"(?ix)(?:d\s*[a-z]\s*/\s*d\s*)?(?P<kind>[wb])\s*\^?\s*\{?\s*(?P<layer>\d+)\s*\}?\s*"


def parse_weight_in(convention: str, text: str, bias: bool = True, shared: bool = False) -> tuple[int, int, int]:
    """(layer, row i, column j) internal, from a weight's name as the convention writes it
    (any spelling parse_weight_ref takes, b2[1] for a bias, and each as nnsolve shows it:
    ∂ℓ/∂W2[1,1], ascii_name); ValueError if it is none.
    With shared (bias: shared), b2 names layer 2's one bias, as row 0 column 1 (as does any
    b2[j], and in bias-row any W2[0,j]: every entry of row 0 is that one bias)."""
    typed = text.strip()
    text = ascii_name(typed)
    if convention == "bias-row":
        try:
            return parse_weight_ref(text)
        except ValueError as e:
            raise ValueError(_whole_layer(convention, text, bias, typed) or str(e)) from None
    m = re.fullmatch(_SHARED_BIAS_REF, text)
    if m and bias and shared:
        return int(m.group("layer")), 0, 1
    m = re.fullmatch(_BIAS_REF, text)
    if m:
        if not bias:
            raise ValueError(f"{typed!r} names a bias, but the problem has none (bias: false)")
        return int(m.group("layer")), 0, int(m.group("j1") or m.group("j2") or m.group("j3"))
    try:
        layer, r, c = parse_weight_ref(text.replace("dL/d", "dl/d").replace("dE/d", "dl/d"))
    except ValueError:
        example = "W2[1,2] (into neuron 1 from neuron 2) or b2[1]" if convention == "Wx+b" else "W2[2,1] (from neuron 2 into neuron 1) or b2[1]"
        raise ValueError(_whole_layer(convention, text, bias, typed) or f"{typed!r} is not a weight name; write it as {example}") from None
    if r == 0 or c == 0:
        raise ValueError(f"{typed!r}: in {convention} weights count from 1 (W{layer}[1,1]); the biases are b{layer}[1], b{layer}[2], ...")
    return (layer, c, r) if convention == "Wx+b" else (layer, r, c)


def _whole_layer(convention: str, text: str, bias: bool, typed: str) -> str | None:
    """Why text, a layer's whole weight matrix or bias vector (W2, b1, dL/db1), is not one weight;
    None when it is not written as one. typed: text as the user wrote it."""
    m = re.fullmatch(_BIAS_REF, text)
    if m and bias and convention == "bias-row":  # b1[2] is row 0 of W1 in every convention
        layer, j = m.group("layer"), m.group("j1") or m.group("j2") or m.group("j3")
        return f"{typed!r}: in bias-row the biases are row 0 of W{layer}; the bias of neuron {j} is W{layer}[0,{j}]"
    m = re.fullmatch(_LAYER_REF, text)
    if not m:
        return None
    layer = m.group("layer")
    if m.group("kind").lower() == "w":
        return f"{typed!r} is layer {layer}'s weight matrix; name one of its weights, such as W{layer}[1,1]"
    if not bias:
        return f"{typed!r} names a bias, but the problem has none (bias: false)"
    if convention == "bias-row":
        return f"{typed!r}: in bias-row the biases are row 0 of W{layer}; name one of them, such as W{layer}[0,1] (the bias of neuron 1)"
    return f"{typed!r} is layer {layer}'s bias vector; name one of its biases, such as b{layer}[1] (the bias of neuron 1)"


def layer_named(text: str) -> str | None:
    """'W' or 'b' when text names a layer's whole weight matrix or bias vector (W2, dL/db1,
    ∂ℓ/∂W2), else None."""
    m = re.fullmatch(_LAYER_REF, ascii_name(text.strip()))
    if m is None:
        return None
    return "W" if m.group("kind") in "Ww" else "b"


def names_weight(text: str) -> bool:
    """Whether text is written as a weight's name (W2[1,1], b2[1], dl/dW2_11, ∂ℓ/∂W2[1,1]) or a
    layer's (W2, b1, dL/db1) in some convention: what `grad` reads as a name, never as a file."""
    if layer_named(text):
        return True
    for convention in CONVENTIONS:
        try:
            parse_weight_in(convention, text)
        except ValueError:
            continue
        return True
    return False


def to_convention(W, convention: str, bias: bool):
    """The internal weights of a layer as the convention writes them: (W, b), b None without
    biases (and in bias-row, where the bias is W's row 0)."""
    import numpy as np

    W = np.asarray(W)
    if convention == "bias-row":
        return W, None
    b, rest = (W[0], W[1:]) if bias else (None, W)
    return (rest.T if convention == "Wx+b" else rest), b


def from_convention(W, b, convention: str):
    """The internal weights of a layer from the convention's W and b (None: no biases)."""
    import numpy as np

    W = np.asarray(W, dtype=np.float64)
    if convention == "bias-row":
        return W
    rest = W.T if convention == "Wx+b" else W
    return rest if b is None else np.vstack([np.asarray(b, dtype=np.float64)[None, :], rest])


class Notation:
    """A problem's way of writing names (its convention and symbols): write() turns nnsolve's
    own ASCII math (alpha2_1, dl/dW2[0,1], lambda, as in the JSON of bias-row problems) into
    the problem's (z2_1, dL/db2[1], eta). Presentation reads it; the math never does."""

    def __init__(self, convention: str = "bias-row", symbols=(), bias: bool = True, shared: bool = False):
        self.convention = convention
        self.bias = bias
        self.shared = shared  # bias: shared: b2, the layer's one bias, for every b2[j] (Wx+b, xW+b)
        self.symbols = {**DEFAULT_SYMBOLS[convention], **dict(symbols)}
        self.plain = self.symbols == DEFAULT_SYMBOLS["bias-row"] and convention == "bias-row"

    @classmethod
    def of(cls, problem) -> "Notation":
        return cls(getattr(problem, "convention", "bias-row"), getattr(problem, "symbols", ()), problem.bias,
                   getattr(problem, "shared_bias", False))

    def symbol(self, what: str) -> str:
        """alpha, beta, y_hat, loss or learning_rate, as this problem writes it."""
        return self.symbols[what]

    def weight(self, layer: int, i: int, j: int) -> str:
        return weight_in(self.convention, layer, i, j, self.shared)

    def write(self, text: str) -> str:
        """nnsolve's ASCII math in this notation (unchanged for the worksheet's)."""
        if self.plain or not text:
            return text
        return _canonical().sub(self._token, text)

    def _token(self, m: re.Match) -> str:
        g = m.groupdict()
        if g["wl"] is not None:
            layer, i, j = g["wl"], g["wi"], g["wj"]
            if self.convention == "bias-row":
                return m.group(0)
            if i == "0" and self.bias:
                return f"b{layer}" if self.shared else f"b{layer}[{j}]"
            if self.bias and i.isdigit():  # a numbered row counts from 0 (the bias row) only in bias-row
                i = str(int(i))
            return f"W{layer}[{j},{i}]" if self.convention == "Wx+b" else f"W{layer}[{i},{j}]"
        if g["greek"]:
            return g["d"] + self.symbols[g["greek"]]
        if g["loss"]:
            return g["ld"] + self.symbols["loss"]
        if g["rate"]:
            return self.symbols["learning_rate"]
        if g["yhat"]:
            return self.symbols["y_hat"]
        return m.group(0)


# nnsolve's own names, as write() finds them: a weight W2[1,1], alpha/beta (after a derivative's
# d too: dbeta1/dalpha1), the loss l (dl/dw, l = ...), lambda, y_hat
_CANONICAL = r"""(?x)
    W(?P<wl>\d+)\[(?P<wi>\w+),(?P<wj>\w+)\]
  | (?<![A-Za-z_])(?P<d>d?)(?P<greek>alpha|beta)(?![A-Za-z])
  | (?<![A-Za-z_])(?P<ld>d?)(?P<loss>l)(?![A-Za-z_\[(\d])
  | (?<![A-Za-z_])(?P<rate>lambda)(?![A-Za-z])
  | (?<![A-Za-z])(?P<yhat>y_hat)
"""


@functools.cache
def _canonical() -> re.Pattern:
    return re.compile(_CANONICAL)
