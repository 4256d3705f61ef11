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


def _floor_by_sympys_constructor(arg):
    return num._integer_valued(sympy.floor(arg, evaluate=False))


@SETTINGS
@given(atom, st.sampled_from(NUMBERS))
def test_a_floor_built_directly_is_the_object_sympys_constructor_builds(i, k):
    arg = _sympy(num.plus(num.scaled(ATOMS[i], k), Fraction(1, 3)))
    got, expected = num._whole_floor(arg), _floor_by_sympys_constructor(arg)
    assert type(got) is type(expected) and got == expected and hash(got) == hash(expected)
    assert sympy.srepr(got) == sympy.srepr(expected) and str(got) == str(expected)
    assert {k: v for k, v in vars(got).items() if k != "_mhash"} == \
        {k: v for k, v in vars(expected).items() if k != "_mhash"}
    assert dict(got._assumptions) == dict(expected._assumptions) and got.is_integer is True
    assert type(got._assumptions) is type(expected._assumptions)
    assert got._assumptions._generator == expected._assumptions._generator


def _floordiv_by_steps(a, b):
    """floordiv as built before its direct path: unnest, divide, then take the floor apart."""
    return num._floor(num._product((num._unnest_floor(a),), Fraction(1, b)))


@SETTINGS
@given(st.lists(st.tuples(atom, st.sampled_from([1, 2, -1, 3, 5, 64, Fraction(1, 2)])), min_size=1, max_size=4),
       st.sampled_from([0, 1, -7, 5, 31, Fraction(3, 2)]), st.sampled_from([1, 2, 3, 4, 7, 16, 32]))
def test_floordiv_built_directly_is_what_its_steps_build(parts, number, b):
    a = _sympy(num.total([*(num.scaled(ATOMS[i], c) for i, c in parts), number]))
    if a.is_Number:
        return
    expected = _floordiv_by_steps(a, b)
    direct = num._floor_of_quotient(a, b)
    if direct is not None:
        assert sympy.srepr(direct) == sympy.srepr(expected)
    got = num.floordiv(a, b)
    assert sympy.srepr(_sympy(got)) == sympy.srepr(_sympy(num.normalize(expected)))
    for v in (1, 2, 5, 37):  # and it is floor(a / b)
        point = {s: v for s in a.free_symbols}
        assert _sympy(got).subs(point) == sympy.floor(a.subs(point) / b)


@SETTINGS
@given(atom, atom, st.sampled_from(NUMBERS), st.sampled_from(num.SAMPLES))
def test_values_at_sample_points_are_sympys_exact_values(i, j, k, v):
    x = _sympy(num.plus(num.prod((ATOMS[i], ATOMS[j])), num.div(ATOMS[i], 3) if k else k))
    got = num.value_at(x, v)
    assert got == x.subs({s: v for s in x.free_symbols})
    assert type(got) in (int, Fraction)


class _Tagged(sympy.Symbol):
    """A symbol type with a constructor postprocessor, as matrices and vectors have."""


def test_constructor_postprocessors_are_skipped_only_where_no_argument_has_one():
    plain = sympy.Add._from_args((H, W), True)
    assert num._postprocessed(sympy.Add, plain) is plain
    tagged = _Tagged("T", integer=True, positive=True)
    marker = sympy.Add._from_args((H, K), True)
    sympy.Basic._constructor_postprocessor_mapping[_Tagged] = {"Add": [lambda obj: marker]}
    try:
        built = sympy.Add._from_args((H, tagged), True)
        assert num._postprocessed(sympy.Add, built) is marker
        assert sympy.Add._exec_constructor_postprocessors(built) is marker
        assert num._postprocessed(sympy.Add, plain) is plain
    finally:
        del sympy.Basic._constructor_postprocessor_mapping[_Tagged]
        num._postprocessed(sympy.Add, plain)  # forget the mapping's size


@SETTINGS
@given(atom, atom, st.sampled_from([2, -1, 3, 512 * 9, Fraction(1, 2), Fraction(-3, 4)]), st.sampled_from([2, 3, 4]))
def test_remembered_terms_and_powers_are_what_sympy_builds(i, j, c, e):
    term = _sympy(num.prod((ATOMS[i], ATOMS[j])))
    split = num._coefficient_and_term(term) if not term.is_Number and not term.is_Add else None
    if split is not None:
        coefficient, rest = split
        assert sympy.srepr(_sympy(coefficient) * rest) == sympy.srepr(term)
        assert sympy.srepr(num._with_coefficient(rest, c)) == sympy.srepr(sympy.Mul(_sympy(c), rest))
    base = _sympy(ATOMS[i])
    if base.is_Symbol or isinstance(base, (sympy.floor, sympy.Max, sympy.Min)) or base.is_Add:
        assert sympy.srepr(num._power(base, e)) == sympy.srepr(base ** e)
    assert num.normalize(_sympy(ATOMS[i])) == ATOMS[i] and num.is_concrete(ATOMS[i]) == (not isinstance(
        ATOMS[i], sympy.Basic))


@SETTINGS
@given(st.lists(st.tuples(atom, st.sampled_from([1, 2, -1, 3, 64, Fraction(1, 2)])), min_size=1, max_size=3),
       st.sampled_from([0, 1, -3, 7, 198, -64]), st.sampled_from([1, 2, 3, 4, 32]), st.sampled_from([0, 1, -1, 5]))
def test_a_shifted_floordiv_is_the_sum_of_a_floordiv_of_a_sum(parts, shift, b, then):
    x = num.total([num.scaled(ATOMS[i], c) for i, c in parts])
    expected = num.plus(num.floordiv(num.plus(x, shift), b), then)
    got = num.shifted_floordiv(x, shift, b, then)
    assert sympy.srepr(_sympy(got)) == sympy.srepr(_sympy(expected))
    assert num.shifted_floordiv(17, shift, b, then) == (17 + shift) // b + then


def test_a_size_symbol_is_the_symbol_sympys_constructor_builds():
    for name in ("H", "res", "k5", "classes"):
        got, expected = num.symbol(name), sympy.Symbol(name, integer=True, positive=True)
        assert type(got) is type(expected) and got == expected and hash(got) == hash(expected)
        assert sympy.srepr(got) == sympy.srepr(expected) and str(got) == str(expected)
        for slot in ("name", "_assumptions_orig", "_assumptions0"):
            assert getattr(got, slot) == getattr(expected, slot)
        known = [{k: v for k, v in x._assumptions.items() if v is not None} for x in (got, expected)]
        assert known[0] == known[1]  # the facts (a table shared between symbols also notes what is unknown)
        assert got.is_integer and got.is_positive and got.is_finite and not got.is_zero
        assert (got + 1).subs(expected, 3) == 4 and got.free_symbols == {expected}


# ------------------------------------------------------------------------- ceil and identities of one symbol

@SETTINGS
@given(st.integers(1, 40), st.integers(-40, 40), st.integers(1, 12), st.integers(1, 5))
def test_ceil_of_a_fraction_of_a_size_is_the_floor_a_strided_layer_writes(p, c, q, b):
    # ceil((p*H + c) / q / b), checked at every H against Python's exact integer ceiling -(-x // y)
    x = num.div(num.plus(num.scaled(H, p), c), q)
    got = num.ceildiv(x, b)
    assert not any(isinstance(f, sympy.ceiling) for f in sympy.preorder_traversal(got))
    for h in range(1, 70):
        assert num.value_at(got, h) == -(-(p * h + c) // (q * b))


def test_ceil_of_res_over_8_is_the_size_a_stride_8_layer_gives():
    # three stride-2 3x3 convs with padding 1 give floor((res + 7)/8), ceil(res/8) written as a floor
    strided = num.plus(num.floordiv(num.plus(H, 7), 8), 0)
    assert num.ceildiv(num.div(H, 8), 1) == strided
    assert str(strided) == "floor(H/8 + 7/8)"


def test_identities_of_one_symbol_are_proved_by_one_period():
    n = H
    ceil_8 = num.floordiv(num.plus(n, 7), 8)
    minus_floor = num.difference(n, num.floordiv(num.scaled(n, 7), 8))  # n - floor(7n/8), also ceil(n/8)
    assert str(minus_floor) == "H - floor(7*H/8)"
    assert num.equal(minus_floor, ceil_8) is True
    # floor(n/2) + ceil(n/2) = n
    assert num.equal(num.plus(num.floordiv(n, 2), num.floordiv(num.plus(n, 1), 2)), n) is True
    # floor(n/3) + floor((n+1)/3) + floor((n+2)/3) = n (Hermite's identity)
    three = num.total([num.floordiv(num.plus(n, k), 3) for k in range(3)])
    assert num.equal(three, n) is True


def test_conditions_that_hold_for_some_values_only_stay_undecided():
    n = H
    assert num.equal(num.scaled(num.floordiv(n, 32), 32), n) is None          # n % 32 == 0
    assert num.equal(num.floordiv(n, 2), num.floordiv(num.plus(n, 1), 2)) is None  # n even
    # a slope: floor(n/2) and n/2 + 1 differ by an unbounded amount, zero nowhere
    assert num.equal(num.floordiv(num.plus(n, 3), 2), num.floordiv(num.plus(n, 1), 2)) is False
    # two symbols: no period to check, as before
    assert num.equal(num.plus(num.floordiv(n, 2), W), num.plus(num.floordiv(num.plus(n, 1), 2), W)) is None
    # a product of floors is not linear in the floors: left undecided, never called equal
    sq = num.prod((num.floordiv(n, 2), num.floordiv(n, 2)))
    assert num.equal(sq, num.prod((num.floordiv(num.plus(n, 1), 2), num.floordiv(n, 2)))) is None
