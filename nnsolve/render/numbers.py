"""Numbers as a person writes them, for every human-readable output (terminal, Markdown, LaTeX)."""

from __future__ import annotations


def fmt(value: float, digits: int) -> str:
    """A number as a person writes it: exact values short (24, 0.5), others to `digits` decimals."""
    v = float(value)
    if v == 0:
        return "0"
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if abs(v) < 0.5 * 10.0**-digits or abs(v) >= 1e15:
        return f"{v:.{max(digits - 1, 1)}e}"
    text = f"{v:.{digits}f}"
    short = text.rstrip("0").rstrip(".") if "." in text else text
    if float(short) == v:
        return short
    # never let rounding pass for an exact value: sigmoid(24) shows as 0.99999999996, not 1.00000000
    d = digits
    while float(text).is_integer() and d < 17:
        d += 1
        text = f"{v:.{d}f}"
    return text.rstrip("0") if d > digits and "." in text else text


def paren(value: float, digits: int) -> str:
    """(−1)(1): every factor in brackets, as the worksheet writes products out."""
    return f"({fmt(value, digits)})"
