"""Hand-rounded working: round every intermediate as a person with a calculator does.

A value is rounded on its decimal digits, not its binary ones, so 2.675 rounds half-up to
2.68 (float's round() gives 2.67, because the float 2.675 is 2.67499999...). Half-up means
half away from zero, -2.675 -> -2.68, as taught; truncate drops the digits toward zero.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from typing import Union

import numpy as np

MODES = ("half-up", "truncate")
_DECIMAL_MODES = {"half-up": decimal.ROUND_HALF_UP, "truncate": decimal.ROUND_DOWN}

# Digits a float64 always carries faithfully (DBL_DIG). A computed value is first read at this
# many significant figures, as a calculator's display shows it: float arithmetic leaves noise
# in the last bits (1 - 0.9 is 0.09999999999999998), and truncating or breaking a tie on that
# noise would give 0.099 where the person writes 0.1.
DISPLAY_DIGITS = 15

# Enough for every quantize below: a result never has more than DISPLAY_DIGITS + 1 digits.
_CONTEXT = decimal.Context(prec=DISPLAY_DIGITS + 10, traps=[decimal.InvalidOperation])

Number = Union[float, np.ndarray]


@dataclass(frozen=True)
class Rounding:
    """Round to `digits` decimals, or to `digits` significant figures when `significant`."""

    digits: int
    mode: str = "half-up"
    significant: bool = False

    def __post_init__(self):
        if isinstance(self.digits, bool) or not isinstance(self.digits, (int, np.integer)):
            raise ValueError(f"rounding digits must be a whole number, not {self.digits!r}")
        if self.mode not in MODES:
            raise ValueError(f"rounding mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.significant and self.digits < 1:
            raise ValueError(f"significant figures must be 1 or more, not {self.digits}")
        if not self.significant and self.digits < 0:
            raise ValueError(f"decimals must be 0 or more, not {self.digits}")

    def apply(self, value: Number) -> Number:
        """value rounded: a float for a scalar, a float64 array of the same shape for an array."""
        if isinstance(value, np.ndarray):
            a = np.asarray(value, dtype=np.float64)
            return np.array([self._round(float(v)) for v in a.ravel()], dtype=np.float64).reshape(a.shape)
        return self._round(float(value))

    __call__ = apply

    def describe(self) -> str:
        """'3 decimals, half-up', '4 significant figures, truncate'."""
        unit = "significant figure" if self.significant else "decimal"
        plural = "" if self.digits == 1 else "s"
        return f"{self.digits} {unit}{plural}, {self.mode}"

    def as_dict(self) -> dict:
        """The rounding as plain data, for JSON."""
        return {"digits": int(self.digits), "mode": self.mode, "significant": self.significant}

    def _round(self, v: float) -> float:
        if v == 0.0 or not np.isfinite(v):
            return 0.0 if v == 0.0 else v  # a person writes 0, never -0; inf and NaN are reported elsewhere
        shown = _CONTEXT.create_decimal(repr(v))  # shortest repr, then DISPLAY_DIGITS significant
        shown = _at_significant(shown, DISPLAY_DIGITS, decimal.ROUND_HALF_EVEN)
        if self.significant:
            result = _at_significant(shown, self.digits, _DECIMAL_MODES[self.mode])
        else:
            result = _at_exponent(shown, -self.digits, _DECIMAL_MODES[self.mode])
        return float(result) + 0.0  # + 0.0 turns -0.0 (from -0.0004 at 3 decimals) into 0.0


def _at_exponent(d: decimal.Decimal, exponent: int, mode: str) -> decimal.Decimal:
    """d with no digit below 10^exponent."""
    if d.as_tuple().exponent >= exponent:
        return d  # already short enough; quantizing could only pad it with zeros
    return d.quantize(decimal.Decimal(1).scaleb(exponent), rounding=mode, context=_CONTEXT)


def _at_significant(d: decimal.Decimal, digits: int, mode: str) -> decimal.Decimal:
    """d to `digits` significant figures, counted from its first non-zero digit."""
    return _at_exponent(d, d.adjusted() - digits + 1, mode)
