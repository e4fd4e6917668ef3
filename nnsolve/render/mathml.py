"""nnsolve's ASCII math as MathML, for HTML pages and notebooks: every current browser lays it
out with no script and no network (alpha2_1 -> α with 2 above and 1 below, dl/dy_hat -> a
fraction of partials).

It reads the same tokens as mathtext (the terminal's Unicode and LaTeX's TeX), so the three
never disagree about what a name is.
"""

from __future__ import annotations

import html
import re

from .mathtext import _GREEK_UNI, _TOKEN

_FN_SYMBOL = {"sigmoid": "σ"}
_OP = {"->": "→", ">=": "≥", "*": "·", "(.)": "⊙", "-": "−", " - ": "−"}
_PLAIN = re.compile(r"\s+|(?P<num>\d+(?:\.\d+)?)|(?P<id>[A-Za-z]+)|(?P<op>\S)")


def mathml(text: str, display: bool = False) -> str:
    """A whole <math> element."""
    attributes = ' display="block"' if display else ""
    return f"<math{attributes}>{_row(text)}</math>"


def _row(text: str) -> str:
    return "<mrow>" + "".join(_nodes(text)) + "</mrow>"


def _nodes(text: str) -> list[str]:
    nodes: list[str] = []
    at = 0
    for m in _TOKEN.finditer(text):
        nodes.extend(_plain(text[at:m.start()]))
        _token(m, nodes)
        at = m.end()
    nodes.extend(_plain(text[at:]))
    return nodes


def _plain(text: str) -> list[str]:
    """What lies between the tokens: numbers, names, operators and brackets."""
    out = []
    for m in _PLAIN.finditer(text):
        if m.group("num"):
            out.append(f"<mn>{m.group('num')}</mn>")
        elif m.group("id"):
            out.append(f"<mi>{html.escape(m.group('id'))}</mi>")
        elif m.group("op"):
            out.append(f"<mo>{html.escape(_OP.get(m.group('op'), m.group('op')))}</mo>")
    return out


def _mi(name: str) -> str:
    return f"<mi>{html.escape(_GREEK_UNI.get(name, name))}</mi>"


def _scripts(base: str, sup: str | None, sub: str | None) -> str:
    up = f"<mn>{html.escape(sup)}</mn>" if sup else None
    down = f"<mrow>{''.join(_plain(sub))}</mrow>" if sub else None
    if up and down:
        return f"<msubsup>{base}{down}{up}</msubsup>"
    if up:
        return f"<msup>{base}{up}</msup>"
    if down:
        return f"<msub>{base}{down}</msub>"
    return base


def _token(m: re.Match, nodes: list[str]) -> None:
    g = m.groupdict()
    if g["num"]:
        nodes.append(f"<mfrac><mrow><mo>∂</mo>{''.join(_nodes(g['num']))}</mrow><mrow><mo>∂</mo>{''.join(_nodes(g['den']))}</mrow></mfrac>")
    elif g["hat"]:  # an optimizer's m_hat, v_hat, v_max, g_avg, v_tilde, sqrt(...)
        nodes.append(f'<mover accent="true"><mi>{g["hat"]}</mi><mo>^</mo></mover>')
    elif g["sv2"]:
        nodes.append({"max": "<msub><mi>v</mi><mi>max</mi></msub>", "avg": '<mover accent="true"><mi>g</mi><mo>¯</mo></mover>',
                      "tilde": '<mover accent="true"><mi>v</mi><mo>~</mo></mover>'}[g["sub2"]])
    elif g["root"] is not None:
        nodes.append(f"<msqrt>{_row(g['root'])}</msqrt>")
    elif g["wi"]:
        nodes.append(_scripts("<mi>W</mi>", g["wl"] or None, f"{g['wi']},{g['wj']}"))
    elif g["bj"]:
        nodes.append(_scripts("<mi>b</mi>", g["bl"] or None, g["bj"]))
    elif g["vb"]:
        nodes.append(_scripts("<mi>b</mi>", g["vbl"], None))
    elif g["ml"]:
        sup = f"<mrow><mn>{g['ml']}</mn>{'<mo>⊤</mo>' if g['mt'] else ''}</mrow>"
        nodes.append(f"<msup><mi>W</mi>{sup}</msup>")
    elif g["greek"]:
        nodes.append(_scripts(_mi(g["greek"]), g["gl"], g["gk"]))
    elif g["sym"]:
        nodes.append(_scripts(_mi(g["sym"]), g["sl"], g["sk"]))
    elif m.group(0).startswith("y_hat"):
        nodes.append(_scripts('<mover accent="true"><mi>y</mi><mo>^</mo></mover>', None, g["yk"]))
    elif g["xy"]:
        nodes.append(_scripts(_mi(_GREEK_UNI.get(g["xy"], g["xy"])), None, g["xk"]))
    elif g["fn"]:
        name = f"<mi>{_FN_SYMBOL.get(g['fn'], g['fn'])}</mi>"
        nodes.append(f"<msup>{name}<mo>′</mo></msup>" if g["prime"] else name)
    elif g["sum"]:
        nodes.append(f"<munder><mo>∑</mo><mi>{g['sv']}</mi></munder>")
    elif g["inp"]:
        nodes.append(f"<msub><mtext>input</mtext><mi>{g['iv']}</mi></msub>")
    elif g["lam"]:
        nodes.append(_mi(g["lam"]))
    elif g["loss"]:
        nodes.append("<mi>ℓ</mi>")
    elif g["half"]:
        nodes.append("<mfrac><mn>1</mn><mn>2</mn></mfrac>")
    elif g["exp"] is not None or g["sq"]:
        up = _row(g["exp"]) if g["exp"] is not None else "<mn>2</mn>"
        base = nodes.pop() if nodes else "<mrow></mrow>"
        nodes.append(f"<msup>{base}{up}</msup>")
    elif g["op"]:
        nodes.append(f"<mo>{html.escape(_OP[g['op']])}</mo>")
    elif g["sci"]:
        nodes.append(f"<mn>{g['sci']}</mn><mo>×</mo><msup><mn>10</mn><mn>{int(g['e10'])}</mn></msup>")
    elif g["word"]:
        nodes.append(f"<mtext>&#160;{html.escape(g['word'])}&#160;</mtext>")
    else:
        nodes.extend(_plain(m.group(0)))

