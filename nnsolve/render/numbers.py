"""Numbers as a person writes them, for every human-readable output (terminal, Markdown, LaTeX)."""

from __future__ import annotations

import math

# A value this few units in the last place from a short decimal is that decimal, computed:
# 0.7 - 0.2 = 0.49999999999999994 is 0.5. The units are those of the value, or of 1 for a
# smaller value: a worksheet's numbers are about 1, and a sum of them carries their noise
# (0.7 * 0.1 - 0.5 * 0.2 is -0.030000000000000013, 4 units of 0.03's but 0.06 of 1's). Any
# farther, and the difference is real and shown: 1 - 1e-15 (sigmoid of 34.5) is not 1.
NOISE_ULPS = 4


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
    if float(short) == v or abs(float(short) - v) <= NOISE_ULPS * math.ulp(max(abs(v), 1.0)):
        return short  # a short decimal, or one within float noise of it: 0.7 - 0.2 is 0.5
    # never let rounding pass for an exact value: sigmoid(24) shows as 0.99999999996, not 1.00000000
    d = digits
    while float(text).is_integer() and d < 17:
        d += 1
        text = f"{v:.{d}f}"
    return text.rstrip("0") if d > digits and "." in text else text


def paren(value: float, digits: int) -> str:
    """(−1)(1): every factor in brackets, as the worksheet writes products out."""
    return f"({fmt(value, digits)})"
