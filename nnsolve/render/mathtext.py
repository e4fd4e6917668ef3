"""nnsolve's ASCII math (the names of the JSON: alpha2_1, y_hat, W2[1,1], dl/dy_hat) written
for people: Unicode for the terminal (α²₁, ŷ, ∂ℓ/∂ŷ) and LaTeX for Markdown and LaTeX keys.

Symbols: alpha/beta/delta followed by the layer and _neuron; y_hat and y_hat_k; x_i, y_k;
W2 (a matrix), W2^T, W2[1,1] (a weight); dA/dB a derivative, with l the loss; lambda;
sigmoid(...) and the other activations; 1/2, ^2, e^(...), sum_k, *, >=, <, (.)
"""

from __future__ import annotations

import re

from ..notation import GREEK, GREEK_LETTERS, SUBSCRIPT_DIGITS, SUPERSCRIPT_DIGITS

# (notation.ascii_name reads these back)
_SUP = str.maketrans("0123456789-T+", SUPERSCRIPT_DIGITS + "⁻ᵀ⁺")
_SUB = str.maketrans("0123456789ijk", SUBSCRIPT_DIGITS + "ᵢⱼₖ")


def sup(n) -> str:
    return str(n).translate(_SUP)


def sub(n) -> str:
    return str(n).translate(_SUB)


_NAME = r"(?:y_hat(?:_\d+)?|(?:alpha|beta|delta)\d*(?:_\d+)?|W\d*\[\w+,\w+\]|W\d+(?![\d\[])|b\d*\[\w+\]|[xy]_\d+|[A-VX-Za-z]\d+(?:_\d+)?|l|w|b(?![\w\[])|[A-Z](?![\w\[]))"
_TOKEN = re.compile(
    rf"d(?P<num>{_NAME})/d(?P<den>{_NAME})"
    r"|\b(?P<hat>[mv])_hat\b"  # an optimizer's state (render/optimizer.py): m_hat, v_hat, v_max, g_avg, v_tilde, sqrt(...)
    r"|\b(?P<sv2>[vg])_(?P<sub2>max|avg|tilde)\b"
    r"|\bsqrt\((?P<root>[^()]*(?:\([^()]*\)[^()]*)*)\)"
    r"|W(?P<wl>\d*)\[(?P<wi>\w+),(?P<wj>\w+)\]"
    r"|b(?P<bl>\d*)\[(?P<bj>\w+)\]"
    r"|(?P<vb>b)(?P<vbl>\d+)(?![\d\[\w])"
    r"|W(?P<ml>\d+)(?P<mt>\^T)?(?![\d\[])"
    r"|(?P<greek>alpha|beta|delta)(?P<gl>\d+)?(?:_(?P<gk>\d+|jk|j|k))?(?![a-z])"
    r"|(?<![A-Za-z_])(?P<sym>[a-zA-Z]|" + "|".join(g for g in GREEK if g not in ("alpha", "beta", "delta")) + r")(?P<sl>\d+)(?:_(?P<sk>\d+|jk|j|k))?(?![A-Za-z\[])"
    r"|y_hat(?:_(?P<yk>\d+|k|j))?"
    r"|(?<![A-Za-z_])(?P<xy>[a-zA-Z]|" + "|".join(g for g in GREEK if g not in ("alpha", "beta", "delta")) + r")_(?P<xk>\d+|k|j|i)(?![A-Za-z\d])"
    r"|\b(?P<fn>sigmoid|tanh|relu|leaky_relu|linear|softmax|log|max|exp)(?P<prime>')?(?=\()"
    r"|\b(?P<sum>sum)_(?P<sv>[ijk])"
    r"|\b(?P<inp>input)_(?P<iv>[ijk0-9])"
    r"|\b(?P<lam>" + "|".join(GREEK) + r")\b"
    r"|(?<![\w.])(?P<loss>l)(?![\w\[(])"
    r"|(?P<half>1/2)(?=\s)"
    r"|\^\((?P<exp>[^()]*(?:\([^()]*\)[^()]*)*)\)"
    r"|(?P<sq>\^2)"
    r"|(?P<op>->|>=|\*|\(\.\)|(?<![\w)])-(?![\d.>])| - )"
    r"|(?P<sci>\d+(?:\.\d+)?)e(?P<e10>[+-]\d+)"
    # an English word left in the math: if, else, new, without ...; not a derivative after it ("from your dl/dW2[1,1]")
    r"|(?P<word>\b[a-z][a-z]+(?: (?!d\w*/d)[a-z][a-z]+)*\b)"
)

_GREEK_UNI = dict(zip(GREEK, GREEK_LETTERS))
_FN_TEX = {
    "sigmoid": r"\sigma",
    "tanh": r"\tanh",
    "relu": r"\operatorname{relu}",
    "leaky_relu": r"\operatorname{leaky\_relu}",
    "linear": r"\operatorname{linear}",
    "softmax": r"\operatorname{softmax}",
    "log": r"\log",
    "max": r"\max",
    "exp": r"\exp",
}


def _indices(i: str, j: str) -> str:
    return f"{i}{j}" if len(i) == 1 and len(j) == 1 else f"{i},{j}"


def _unicode(m: re.Match) -> str:
    g = m.groupdict()
    if g["num"]:
        return f"∂{unicode(g['num'])}/∂{unicode(g['den'])}"
    if g["hat"]:
        return g["hat"] + "\u0302"
    if g["sv2"]:
        return {"max": "vₘₐₓ", "avg": "g\u0304", "tilde": "v\u0303"}[g["sub2"]]
    if g["root"] is not None:
        return "√(" + unicode(g["root"]) + ")"
    if g["wi"]:
        return m.group(0)  # weights keep their canonical name W2[1,1], as typed on the command line
    if g["bj"]:
        return m.group(0)  # a bias keeps its name b2[1], as typed on the command line
    if g["vb"]:
        return "b" + sup(g["vbl"])
    if g["ml"]:
        return "W" + sup(g["ml"]) + ("ᵀ" if g["mt"] else "")
    if g["greek"]:
        return _GREEK_UNI[g["greek"]] + (sup(g["gl"]) if g["gl"] else "") + (sub(g["gk"]) if g["gk"] else "")
    if g["sym"]:
        return _GREEK_UNI.get(g["sym"], g["sym"]) + sup(g["sl"]) + (sub(g["sk"]) if g["sk"] else "")
    if m.group(0).startswith("y_hat"):
        return "ŷ" + (sub(g["yk"]) if g["yk"] else "")
    if g["xy"]:  # x_1, a_j, z_j, theta_j (a symbol's letter with a neuron's index)
        return _GREEK_UNI.get(g["xy"], g["xy"]) + sub(g["xk"])
    if g["fn"]:
        return g["fn"] + ("'" if g["prime"] else "")
    if g["sum"]:
        return "Σ" + sub(g["sv"])
    if g["inp"]:
        return "input" + sub(g["iv"])
    if g["lam"]:
        return _GREEK_UNI[g["lam"]]
    if g["loss"]:
        return "ℓ"
    if g["half"]:
        return "½"
    if g["exp"] is not None:
        return "^(" + unicode(g["exp"]) + ")"
    if g["sq"]:
        return "²"
    if g["op"]:
        return {"->": "→", ">=": "≥", "*": "·", "(.)": "⊙", "-": "−", " - ": " − "}[g["op"]]
    return m.group(0)


def _tex(m: re.Match) -> str:
    g = m.groupdict()
    if g["num"]:
        return rf"\frac{{\partial {tex(g['num'])}}}{{\partial {tex(g['den'])}}}"
    if g["hat"]:
        return rf"\hat{{{g['hat']}}}"
    if g["sv2"]:
        return {"max": r"v_{\max}", "avg": r"\bar{g}", "tilde": r"\tilde{v}"}[g["sub2"]]
    if g["root"] is not None:
        return rf"\sqrt{{{tex(g['root'])}}}"
    if g["wi"]:
        layer = f"^{{{g['wl']}}}" if g["wl"] else ""
        return f"W{layer}_{{{_indices(g['wi'], g['wj'])}}}"
    if g["bj"]:
        return (f"b^{{{g['bl']}}}" if g["bl"] else "b") + f"_{{{g['bj']}}}"
    if g["vb"]:
        return f"b^{{{g['vbl']}}}"
    if g["ml"]:
        return f"W^{{{g['ml']}" + (r"\top" if g["mt"] else "") + "}"
    if g["greek"]:
        text = "\\" + g["greek"]
        if g["gl"]:
            text += f"^{{{g['gl']}}}"
        if g["gk"]:
            text += f"_{{{g['gk']}}}"
        return text + " "
    if g["sym"]:
        name = "\\" + g["sym"] + " " if g["sym"] in _GREEK_UNI else g["sym"]
        return f"{name}^{{{g['sl']}}}" + (f"_{{{g['sk']}}}" if g["sk"] else "")
    if m.group(0).startswith("y_hat"):
        return r"\hat{y}" + (f"_{{{g['yk']}}}" if g["yk"] else "")
    if g["xy"]:
        name = "\\" + g["xy"] + " " if g["xy"] in _GREEK_UNI else g["xy"]
        return f"{name}_{{{g['xk']}}}"
    if g["fn"]:
        return _FN_TEX[g["fn"]] + ("'" if g["prime"] else "")
    if g["sum"]:
        return rf"\sum_{g['sv']} "
    if g["inp"]:
        return rf"\text{{input}}_{g['iv']}"
    if g["lam"]:
        return "\\" + g["lam"] + " "
    if g["loss"]:
        return r"\ell "
    if g["half"]:
        return r"\frac{1}{2}"
    if g["exp"] is not None:
        return "^{" + tex(g["exp"]) + "}"
    if g["sq"]:
        return "^2"
    if g["op"]:
        return {"->": r"\to ", ">=": r"\geq ", "*": r"\cdot ", "(.)": r"\odot ", "-": "-", " - ": " - "}[g["op"]]
    if g["sci"]:
        return rf"{g['sci']} \times 10^{{{int(g['e10'])}}}"
    if g["word"]:
        return rf"\text{{ {g['word']} }}"
    return m.group(0)


def unicode(text: str) -> str:
    """For the terminal: alpha2_1 -> α²₁, dl/dy_hat -> ∂ℓ/∂ŷ, 1/2 (y - y_hat)^2 -> ½ (y − ŷ)²."""
    return _TOKEN.sub(_unicode, text)


_TEX_SPECIAL = {"×": r"$\times$", "−": "-", "→": r"$\to$", "%": r"\%", "#": r"\#", "&": r"\&", "$": r"\$", "{": r"\{", "}": r"\}", "~": r"\~{}", "^": r"\^{}", "\\": r"\textbackslash{}"}


def tex(text: str) -> str:
    """For LaTeX math mode: alpha2_1 -> \\alpha^{2}_{1}, dl/dy_hat -> \\frac{\\partial \\ell}{\\partial \\hat{y}}."""
    out = _TOKEN.sub(_tex, text)
    return re.sub(r"[%#&$~]", lambda m: "\\" + m.group(0) if m.group(0) != "~" else r"\sim ", out)


def tex_text(text: str) -> str:
    """Plain text (a title, a file name) made safe for LaTeX outside math mode."""
    out = "".join(_TEX_SPECIAL.get(c, c) for c in text).replace("_", r"\_")
    # pdflatex reads UTF-8 Latin letters; anything past Latin-1 would stop it
    return "".join(c if ord(c) < 0x100 else "?" for c in out)
