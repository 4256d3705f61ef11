"""num's arithmetic on sizes (plus, difference, scaled, div, prod of two, max) builds the very objects sympy's own
operators build: checked by ``srepr`` against ``a + b``, ``a - b``, ``a * k``, ``a / k`` and ``Mul(a, b)`` on
sizes as the layer rules make them, and on concrete values against Python's arithmetic."""

from __future__ import annotations

from fractions import Fraction

import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paramcalc import num

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

H = num.symbol("H")
W = num.symbol("W")
K = num.symbol("K")

# Sizes as the rules make them: symbols, strided windows' floors, sums with constants, products, maxima, sums
# that a number multiplies (sympy distributes it), a product with a sum among its factors.
ATOMS = [H, W, K, num.floordiv(H + 1, 2), num.floordiv(H - 1, 32) + 1, num.floordiv(W + 5, 32) * 32 - W + 64,
         H + 3, 2 * K + 1, num.maximum([H, K + 2]), num.maximum([3, K]) * 16 + 7, num.floordiv(K, 2) * 2 - K + 1,
         H * W, 9 * num.floordiv(H + 1, 2) ** 2, K * (H + 1), num.minimum([H, 7]), 3, 0, Fraction(1, 2), -4]
NUMBERS = [1, 2, -1, 3, 0, 64, 512 * 9, Fraction(1, 2), Fraction(-3, 4)]


def _sympy(x):
    return sympy.Rational(x.numerator, x.denominator) if isinstance(x, Fraction) else sympy.sympify(x)


def _same(got, expected):
    assert sympy.srepr(_sympy(got)) == sympy.srepr(_sympy(expected))
    assert num.show(got) == num.show(num.normalize(expected))


atom = st.sampled_from(range(len(ATOMS)))


@SETTINGS
@given(atom, atom)
def test_plus_and_difference_are_what_sympy_adds_and_subtracts(i, j):
    a, b = ATOMS[i], ATOMS[j]
    _same(num.plus(a, b), _sympy(a) + _sympy(b))
    _same(num.difference(a, b), _sympy(a) - _sympy(b))


@SETTINGS
@given(atom, st.sampled_from(NUMBERS))
def test_scaled_and_div_are_what_sympy_multiplies_and_divides(i, k):
    a = ATOMS[i]
    _same(num.scaled(a, k), _sympy(a) * _sympy(k))
    if k:
        _same(num.div(a, k), _sympy(a) / _sympy(k))


@SETTINGS
@given(atom, atom)
def test_a_product_of_two_is_sympys_mul_of_the_pair(i, j):
    a, b = ATOMS[i], ATOMS[j]
    _same(num.prod((a, b)), sympy.Mul(_sympy(a), _sympy(b)))


def test_concrete_values_stay_python_numbers():
    assert num.plus(2, 3) == 5 and type(num.plus(2, 3)) is int
    assert num.difference(Fraction(1, 2), Fraction(1, 2)) == 0 and type(num.difference(Fraction(1, 2), 0)) is Fraction
    assert num.scaled(7, 3) == 21 and num.scaled(Fraction(3, 2), 2) == 3 and type(num.scaled(Fraction(3, 2), 2)) is int
    assert num.div(H, H) == 1 and num.divisible(H + 1, H + 1) is True


def test_a_value_zero_at_a_multiple_of_32_is_not_called_unequal():
    # FPN's stride ratio: 32*floor((res + 31)/32) / floor((res + 15)/16) equals 16 exactly when 32 divides res
    # (sympy's assumptions say "unknown", slowly); num.equal must say None, not False.
    ratio = num.div(num.prod((32, num.ceildiv(H, 32))), num.ceildiv(H, 16))
    assert num.equal(ratio, 16) is None
    assert ratio.subs(H, 224) == 16 and ratio.subs(H, 225) != 16
