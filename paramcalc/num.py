"""Arithmetic on sizes that are exact Python ints (and Fractions) or, only when a model has symbols, sympy expressions.

sympy is imported on first use of a symbol, so concrete models never load it.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Iterable

Number = Any  # int | Fraction | sympy.Expr

_sympy = None


def sympy():
    """The sympy module, imported lazily."""
    global _sympy
    if _sympy is None:
        import sympy as _s

        _sympy = _s
    return _sympy


def is_concrete(x) -> bool:
    return isinstance(x, (int, Fraction)) and not isinstance(x, bool)


def symbol(name: str):
    """A size symbol: a positive integer unknown."""
    return sympy().Symbol(name, integer=True, positive=True)


def normalize(x):
    """Fraction with denominator 1 -> int; sympy numbers -> int/Fraction; other expressions unchanged."""
    if isinstance(x, bool):
        return x
    if isinstance(x, Fraction):
        return int(x) if x.denominator == 1 else x
    if isinstance(x, int):
        return x
    if _sympy is not None and isinstance(x, _sympy.Basic):
        if x.is_Integer:
            return int(x)
        if x.is_Rational:
            return Fraction(int(x.p), int(x.q))
    return x


def floordiv(a, b):
    if is_concrete(a) and is_concrete(b):
        return normalize(Fraction(a) // Fraction(b))
    s = sympy()
    return normalize(s.floor(_unnest_floor(s.sympify(a), b) / b))


def _unnest_floor(a, b):
    """floor((floor(x) + k) / n) == floor((x + k) / n) for whole k and whole n > 0: strided layers stacked on a
    symbolic size then read floor((H - 1)/4) instead of floor(floor((H - 1)/2)/2)."""
    s = sympy()
    if not (isinstance(b, int) and b > 0):
        return a
    floors = [t for t in s.Add.make_args(a) if isinstance(t, s.floor)]
    rest = a - floors[0] if len(floors) == 1 else None
    if rest is not None and rest.is_Integer:
        return floors[0].args[0] + rest
    return a


def ceildiv(a, b):
    if is_concrete(a) and is_concrete(b):
        return normalize(-(Fraction(-a) // Fraction(b)))
    return normalize(-floordiv(-sympy().sympify(a), b))


def div(a, b):
    """Exact division: Fractions for numbers, Rationals for expressions."""
    if is_concrete(a) and is_concrete(b):
        return normalize(Fraction(a) / Fraction(b))
    s = sympy()
    return normalize(s.sympify(a) / s.sympify(b))


def prod(xs: Iterable) -> Number:
    out = 1
    for x in xs:
        out = out * x
    return normalize(out)


def total(xs: Iterable) -> Number:
    out = 0
    for x in xs:
        out = out + x
    return normalize(out)


def maximum(xs: Iterable):
    xs = list(xs)
    if all(is_concrete(x) for x in xs):
        return max(xs)
    return normalize(sympy().Max(*xs))


def known(flag) -> bool | None:
    """sympy's three-valued answers as True/False/None."""
    return None if flag is None else bool(flag)


def equal(a, b) -> bool | None:
    """True, False, or None when it depends on the symbols' values."""
    if is_concrete(a) and is_concrete(b):
        return a == b
    s = sympy()
    d = s.simplify(s.sympify(a) - s.sympify(b))
    if d == 0:
        return True
    if d.is_number or d.is_nonzero:
        return False
    return None


def positive(x) -> bool | None:
    if is_concrete(x):
        return x > 0
    return known(sympy().sympify(x).is_positive)


def nonnegative(x) -> bool | None:
    if is_concrete(x):
        return x >= 0
    return known(sympy().sympify(x).is_nonnegative)


def divisible(a, b) -> bool | None:
    if is_concrete(a) and is_concrete(b):
        return b != 0 and Fraction(a) % Fraction(b) == 0
    return equal(sympy().Mod(a, b), 0)


def to_json(x):
    """JSON form: ints stay numbers, Fractions become 'p/q', expressions Python-syntax strings ('18*c**2')."""
    x = normalize(x)
    if isinstance(x, bool) or x is None or isinstance(x, (int, float, str)):
        return x
    if isinstance(x, Fraction):
        return f"{x.numerator}/{x.denominator}"
    return str(x)


def show(x) -> str:
    """Exact text of a value: 61100840, 1/2, 18*c**2."""
    j = to_json(x)
    return str(j)


def exact(x) -> str:
    """Exact text with thousands separators for whole numbers: 61,100,840; expressions as show()."""
    x = normalize(x)
    return f"{x:,}" if isinstance(x, int) else show(x)


_UNITS = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K"))
_BYTE_UNITS = ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"))


def human(x, *, bytes_: bool = False) -> str:
    """Short human form: 61.1M, 714.2M, 233.1 MiB; expressions print exactly."""
    x = normalize(x)
    if not is_concrete(x):
        return str(x)
    if isinstance(x, Fraction):
        x = float(x)
    units = _BYTE_UNITS if bytes_ else _UNITS
    for size, unit in units:
        if abs(x) >= size:
            value = x / size
            return f"{value:.1f} {unit}" if bytes_ else f"{value:.1f}{unit}"
    return f"{x} B" if bytes_ else f"{x:,}" if isinstance(x, int) else f"{x:g}"


def as_int(x, what: str):
    """A size that must be a whole number: exact ints pass, fractions are an error, expressions pass."""
    from .errors import RuleError

    x = normalize(x)
    if isinstance(x, Fraction):
        raise RuleError(f"{what} must be a whole number, got {x} ({float(x):g})")
    if isinstance(x, float):
        if x != math.floor(x):
            raise RuleError(f"{what} must be a whole number, got {x:g}")
        return int(x)
    return x
