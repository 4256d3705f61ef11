"""num's shortcuts around sympy give sympy's own answers: products built directly are the objects Mul builds,
expressions called expanded are what expand returns, and questions settled by samples or bounds agree with sympy's
assumptions (checked here against sympy itself and against exact values at many points)."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paramcalc import num

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

H = num.symbol("H")
W = num.symbol("W")
K = num.symbol("K")


def _floor_of(x, d):
    return num.floordiv(x, d)


# Sizes as the layer rules make them: symbols, floors of strided windows, sums with constants, maxima.
ATOMS = [H, W, K, _floor_of(H + 1, 2), _floor_of(H - 1, 32) + 1, _floor_of(W + 5, 32) * 32 - W + 64,
         H + 3, 2 * K + 1, num.maximum([H, K + 2]), num.maximum([3, K]) * 16 + 7, _floor_of(K, 2) * 2 - K + 1]


@SETTINGS
@given(st.lists(st.sampled_from(range(len(ATOMS))), min_size=1, max_size=4),
       st.sampled_from([1, 2, 3, 64, 512, Fraction(1, 2), Fraction(3, 4), 9 * 512 * 512]))
def test_a_product_of_sizes_is_the_mul_sympy_builds(picks, number):
    factors = tuple(ATOMS[i] for i in picks)
    expected = sympy.Mul(*factors, sympy.Rational(number.numerator, number.denominator)
                         if isinstance(number, Fraction) else number)
    got = num.prod((*factors, number))
    assert sympy.srepr(sympy.sympify(got)) == sympy.srepr(expected)
    assert sympy.sympify(got).args == expected.args  # the arguments in sympy's order (srepr prints them sorted)
    assert num.show(got) == num.show(num.normalize(expected))


@SETTINGS
@given(st.lists(st.sampled_from(range(len(ATOMS))), min_size=1, max_size=3),
       st.lists(st.sampled_from([2, 3, -1, 64, 1, Fraction(1, 2), Fraction(3, 4), Fraction(-5, 3), 0, 9 * 512]),
                min_size=2, max_size=6))
def test_the_same_sizes_times_one_number_after_another_are_the_muls_sympy_builds(picks, numbers):
    # A product is built from the one made with the number before (a layer's MACs from the same spatial product
    # times other channel counts); each must still be the object sympy's Mul builds from scratch.
    num.clear_caches()
    factors = tuple(ATOMS[i] for i in picks)
    for number in numbers:
        expected = sympy.Mul(*factors, sympy.Rational(number.numerator, number.denominator)
                             if isinstance(number, Fraction) else number)
        got = num.prod((*factors, number))
        assert sympy.srepr(sympy.sympify(got)) == sympy.srepr(expected), (factors, numbers, number)
        assert sympy.sympify(got).args == expected.args, (factors, numbers, number)
        assert sympy.srepr(sympy.sympify(num.scaled(got, 2))) == sympy.srepr(sympy.Mul(expected, 2))


@pytest.mark.parametrize("x", ATOMS + [ATOMS[3] ** 2 * 512, H * W + 3 * K, (H + 1) * (W + 1),
                                       num.maximum([H, W]) ** 2 - 1, 2 * (H + 1) * K])
def test_an_expression_called_expanded_is_what_expand_returns(x):
    if num._is_expanded(x):
        assert sympy.srepr(sympy.expand(x)) == sympy.srepr(x)


def test_products_of_sums_are_not_called_expanded():
    assert not num._is_expanded((H + 1) * (W + 1))
    assert not num._is_expanded(K * (H + 1) ** 2 + 1) or sympy.expand(K * (H + 1) ** 2 + 1) == K * (H + 1) ** 2 + 1


def _values(x, points=range(1, 70)):
    return [num.normalize(x.subs({s: v for s in x.free_symbols})) for v in points]


@pytest.mark.parametrize("x", [
    -K + 2 * _floor_of(K, 2) + _floor_of(H + 1, 8) + 1,      # GoogLeNet's 5x5 branch with a free kernel: 0 at H<7
    4 * K - 8 * _floor_of(K, 2) - 4,                          # 0 for odd K, -4 for even
    H - _floor_of(15 * H, 16),                                # positive everywhere (sympy cannot tell)
    H - 3, H + 1, _floor_of(H, 2) - 1,
])
def test_positive_and_can_be_positive_agree_with_sympy_and_with_values(x):
    got = num.positive(x)
    truth = sympy.sympify(x).is_positive
    assert got == (None if truth is None else bool(truth))
    assert num.can_be_positive(x) == (got is not False)
    if any(v > 0 for v in _values(x)):  # sound: never False where some value is positive
        assert num.can_be_positive(x)


def test_a_sign_that_differs_between_samples_is_unknown_without_asking_sympy():
    x = -K + 2 * _floor_of(K, 2) + _floor_of(H + 1, 8) + 1   # 0 at K = H = 1, positive for large values
    assert num._signs_differ(x, lambda y: y > 0)
    assert num.positive(x) is None


def test_equal_is_none_when_the_difference_vanishes_somewhere_and_false_only_when_never():
    assert num.equal(4 * K - 8 * _floor_of(K, 2) - 4, 0) is None     # equal for odd K only
    assert num.equal(H + 1, H) is False
    assert num.equal(_floor_of(H + 1, 2) * 2, H + 1) is None           # equal for odd H


def test_fcn_crop_margin_is_proven_non_negative_and_is_at_every_value():
    margin = 32 * _floor_of(H + 5, 32) + 64 - H                        # FCN-32s: upsampled map minus the input
    assert num.nonnegative(margin) is True
    assert min(_values(margin, range(1, 400))) >= 0
    assert num.nonnegative(margin - 100) is None                       # 38 at H = 27: not every value
    assert min(_values(margin - 100, range(1, 400))) < 0


def test_minimum_keeps_what_sympy_keeps_and_drops_what_is_dominated():
    m = num.minimum([num.maximum([H - 7, 0]), 1])
    assert sympy.srepr(m) == sympy.srepr(sympy.Min(sympy.Max(H - 7, 0), 1))
    assert num.minimum([H + 2, H]) == H
    assert num.minimum([3, 5]) == 3


@SETTINGS
@given(st.lists(st.sampled_from(range(len(ATOMS))), min_size=0, max_size=3),
       st.lists(st.tuples(st.sampled_from(range(len(ATOMS))), st.integers(-20, 20)), min_size=1, max_size=4))
def test_maximum_with_shared_terms_is_the_largest_value_everywhere(shared, rest):
    # GoogLeNet's merged receptive fields: every branch carries the same sum of the maxima before it, plus its own
    # part. The shared terms leave the max before the values are compared; the value is the largest at every point.
    num.clear_caches()
    base = num.total([ATOMS[i] for i in shared])
    xs = [num.plus(base, num.plus(ATOMS[i], k)) for i, k in rest]
    m = num.maximum(xs)
    for v in (1, 2, 3, 5, 8, 13, 31, 64):
        point = {H: v, W: v + 1, K: v + 2}
        assert num.normalize(sympy.sympify(m).subs(point)) == max(num.normalize(sympy.sympify(x).subs(point))
                                                                   for x in xs)


def test_floors_built_by_floordiv_are_known_integers_as_sympy_would_find():
    f = _floor_of(H + 1, 2)
    floor = next(a for a in sympy.Add.make_args(f) if isinstance(a, sympy.floor))
    assert floor.is_integer is True and floor.is_finite is True
    assert num.whole(f) is True
    assert num.whole(H / 2) is None or num.whole(H / 2) is False


def test_a_floor_told_it_is_an_integer_is_whole_without_a_walk(monkeypatch):
    # every strided size is such a floor: its argument need not be walked again to know it is whole
    num.clear_caches()
    f = _floor_of(H + 3, 4)
    floor = next(a for a in sympy.Add.make_args(f) if isinstance(a, sympy.floor))
    monkeypatch.setattr(num, "_real", lambda x: pytest.fail(f"walked {x}"))
    assert num.whole(f) is True and num._whole(floor) is True
    plain = sympy.floor(H / 3 + sympy.Rational(1, 3), evaluate=False)  # sympy's own, no fact recorded: walked
    with pytest.raises(pytest.fail.Exception, match="walked"):
        num._whole(plain)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(range(len(ATOMS))), st.sampled_from(range(len(ATOMS))),
                          st.sampled_from([1, 2, -1, 3, Fraction(1, 2), 0, 512 * 9])), min_size=1, max_size=8),
       st.sampled_from([0, 1, -7, Fraction(3, 2)]))
def test_a_sum_of_sizes_is_the_add_sympy_builds(parts, number):
    terms = tuple(sympy.sympify(num.prod((ATOMS[i], ATOMS[j], c))) for i, j, c in parts)
    terms = tuple(t for t in terms if not t.is_Number)
    expected = sympy.Add(*terms, sympy.Rational(number.numerator, number.denominator)
                         if isinstance(number, Fraction) else number)
    got = num._sum(terms, number)
    assert sympy.srepr(got) == sympy.srepr(expected)
    assert got.args == expected.args  # the terms in sympy's order (srepr prints them sorted)


@SETTINGS
@given(st.sampled_from(range(len(ATOMS))), st.sampled_from(range(len(ATOMS))),
       st.sampled_from([1, 2, -1, 3, Fraction(1, 2), Fraction(-5, 3), 0]),
       st.sampled_from([0, 1, -7, 64, Fraction(3, 2), Fraction(-1, 4)]))
def test_one_size_scaled_and_shifted_is_the_add_sympy_builds(i, j, k, number):
    # one value plus a number (a size shifted, a receptive field grown) is built without collecting like terms: a
    # sum keeps its terms and changes its constant, a term takes its coefficient; each must be sympy's own object
    num.clear_caches()
    for x in (ATOMS[i], sympy.sympify(num.plus(ATOMS[i], ATOMS[j])), sympy.sympify(num.prod((ATOMS[i], ATOMS[j]))),
              sympy.sympify(num.div(num.plus(ATOMS[i], 1), 2))):  # (x + 1)/2: fractional coefficients
        if x.is_Number:
            continue
        rational = sympy.Rational(k.numerator, k.denominator) if isinstance(k, Fraction) else sympy.Integer(k)
        shift = sympy.Rational(number.numerator, number.denominator) if isinstance(number, Fraction) else number
        expected = sympy.Add(sympy.Mul(rational, x), shift)
        got = num._combination(((x, k),), number)
        # the same object: srepr, and the arguments in the same order (srepr prints a sum's terms sorted)
        assert got is None or (sympy.srepr(got) == sympy.srepr(expected) and got.args == expected.args), \
            (x, k, number)
        assert got is not None or k == 0 or not all(t.is_Rational or num._coefficient_and_term(t)
                                                    for t in sympy.Add.make_args(x))


@SETTINGS
@given(st.one_of(st.integers(-10**30, 10**30), st.fractions(max_denominator=10**6)))
def test_coefficients_built_directly_are_sympys_numbers(c):
    # the numbers num builds for new coefficients are made without sympy's constructor: the same class, value,
    # hash and assumptions as sympy's own, and sympy's singletons for 0, 1, -1 and 1/2
    num.clear_caches()
    c = Fraction(c)
    got = num._rational(c.numerator if c.denominator == 1 else c)
    expected = sympy.Rational(c.numerator, c.denominator)
    assert type(got) is type(expected) and got == expected and hash(got) == hash(expected)
    assert (got.p, got.q) == (expected.p, expected.q)
    assert (got.is_positive, got.is_integer, got.is_zero) == (expected.is_positive, expected.is_integer,
                                                              expected.is_zero)
    if c in (0, 1, -1, Fraction(1, 2)):
        assert got is expected


BOUNDED = [*ATOMS, num.maximum([H - 5, -3])]  # and a term whose least value is negative: Max(-3, H - 5)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(range(len(BOUNDED))), st.sampled_from([1, 2, -1, 32, Fraction(1, 32),
                                                                                 Fraction(-3, 2), 0])),
                min_size=1, max_size=5),
       st.sampled_from([0, 5, -31, Fraction(31, 32)]))
def test_a_bound_read_off_the_terms_is_the_bound_of_the_built_sum(parts, constant):
    # the floor relaxation bounds a sum without building it; the bound must be the one _lower_bound finds on
    # the sum itself (sums of floors, maxima and products of sizes, with any rational coefficients)
    num.clear_caches()
    pairs = tuple((BOUNDED[i], c) for i, c in parts)
    got = num._bound_of_linear(pairs, constant)
    expected = num._lower_bound(num._expand(sympy.sympify(num._linear(pairs, constant))))
    assert got is None or got == expected, (pairs, constant, got, expected)


def test_is_number_is_sympys_answer():
    # the short walk answers False where it meets a symbol, and asks sympy otherwise
    for x in [*ATOMS, sympy.sqrt(2) + 1, sympy.Integer(3) + sympy.pi, num.maximum([3, K]) + sympy.Integer(2),
              sympy.Max(H, 3) + 1]:
        x = sympy.sympify(x)
        assert num._is_number(x) == x.is_number, x


STRIDED = [H, 3 * H + 5, _floor_of(H + 199, 2) + 99, _floor_of(H + 5, 32) + 1, 2 * H, H * W, _floor_of(H, 2) * 2 - H,
           _floor_of(W + 1, 2) + H, 32 * _floor_of(H + 5, 32) + 64, num.maximum([H, K + 2]) + 1,
           num.maximum([H - 5, -3]) + W]  # a term whose least value is negative
# (size, shift, stride, then) of floor((size + shift) / stride) + then
STRIDES = (st.sampled_from(range(len(STRIDED))), st.sampled_from([0, -1, 5, 198, -3, -64]), st.sampled_from([2, 3, 32]),
           st.sampled_from([0, 1, -2]))


def _strided(i):
    num.clear_caches()  # every size built anew, as in a first analysis
    return sympy.sympify(STRIDED[i])


@SETTINGS
@given(*STRIDES)
def test_a_strided_size_is_what_the_general_floor_builds(i, shift, b, then):
    # floor((x + shift) / b) + then, built in one step (for one term: its coefficient and the constants, without
    # collecting), is the object that floor's general rule builds from the quotient: same terms, same order
    x = _strided(i)
    got = num._floor_of_quotient(x, b, shift, then)
    quotient = num._product((num._unnest_floor(sympy.sympify(num.plus(x, shift))),), Fraction(1, b))
    expected = sympy.sympify(num.plus(num._floor(quotient), then))
    assert got is not None and sympy.srepr(got) == sympy.srepr(expected) and got.args == expected.args, (x, got)


@SETTINGS
@given(*STRIDES)
def test_the_bound_known_when_a_strided_size_is_built_is_the_one_the_walk_finds(i, shift, b, then):
    # a new floor's least value is noted when it is built (where every coefficient is positive and every term's
    # bound >= 0), so that the positivity checks that follow need not walk it; it must be the walk's own answer
    x = _strided(i)
    out = num._floor_of_quotient(x, b, shift, then)
    seeded = num._seeded_bounds.pop(out, None) if out is not None else None
    walked = num._lower_bound.__wrapped__(out) if out is not None else None
    if seeded is not None:
        assert seeded == walked and type(seeded) is type(walked), (x, out, seeded, walked)
    positive = i not in (6, 10)  # every coefficient positive and every term bounded >= 0 (not -H, not max(H-5, -3))
    old = x.atoms(sympy.floor)
    new_floor = out is not None and any(isinstance(t, sympy.floor) and t not in old for t in sympy.Add.make_args(out))
    assert (seeded is not None) == (positive and new_floor), (x, out)  # 2*H / 2 is H: nothing new to note


def test_a_seeded_bound_is_the_one_the_positivity_checks_read():
    num.clear_caches()
    out = num.shifted_floordiv(sympy.sympify(_floor_of(H + 199, 2) + 99), -1, 2, 1)
    assert out in num._seeded_bounds
    # its least value, at H = 1: floor((floor(200 / 2) + 99 - 1) / 2) + 1 = 100; read once, then remembered
    assert num._lower_bound(out) == 100 and out not in num._seeded_bounds
    assert num.positive(out) is True


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(range(len(ATOMS))), st.sampled_from([2, 3, -2, 512 * 9, 1, -1,
                                                                               Fraction(1, 2), Fraction(3, 4)])),
                min_size=2, max_size=6),
       st.sampled_from([2, 3, 4, 7, -2, Fraction(1, 2), Fraction(4, 3)]), st.sampled_from([0, 5, Fraction(1, 3)]))
def test_a_sum_times_a_number_is_the_add_sympy_builds(parts, k, number):
    # a total's FLOPs are twice its MACs and its bytes a multiple of its elements: each term is scaled where it is,
    # and the terms are sorted again unless every coefficient is an Integer and k a whole number > 0
    num.clear_caches()
    x = sympy.sympify(num.total([num.prod((ATOMS[i] * H, c)) for i, c in parts]))
    if not x.is_Add:
        return
    rational = sympy.Rational(k.numerator, k.denominator) if isinstance(k, Fraction) else sympy.Integer(k)
    shift = sympy.Rational(number.numerator, number.denominator) if isinstance(number, Fraction) else number
    expected = sympy.Add(sympy.Mul(rational, x), shift)
    got = num._combination(((x, k),), number)
    assert got is not None and sympy.srepr(got) == sympy.srepr(expected) and got.args == expected.args, (x, k)


def test_a_sum_whose_terms_change_order_when_scaled_is_sorted_again():
    # H/2 (sympy's Half) < 2*W (Integer) < 3*K/4 (Rational) by class; times 4 all are Integers: 2*H, 3*K, 8*W
    x = sympy.Add(H / 2, 2 * W, sympy.Rational(3, 4) * K)
    got = num._combination(((x, 4),), 0)
    assert got.args == (2 * H, 3 * K, 8 * W) == sympy.Mul(4, x).args


FITS = [*ATOMS, H * W, 2 * H, 32 * _floor_of(H + 5, 32) + 64, 32 * _floor_of(H + 37, 32) - 3, 7, 0]


@SETTINGS
@given(st.sampled_from(range(len(FITS))), st.sampled_from(range(len(FITS))), st.sampled_from([0, 1, 19, 38, 39, 64]))
def test_fits_answers_what_nonnegative_answers_for_the_built_difference(i, j, offset):
    # a crop's check, proved from the terms of the two sizes without building their difference, must give the
    # answer nonnegative gives on the difference itself
    num.clear_caches()
    expected = num.nonnegative(num.difference(num.difference(FITS[i], FITS[j]), offset))
    num.clear_caches()
    assert num.fits(FITS[i], FITS[j], offset) is expected, (FITS[i], FITS[j], offset)


def test_fcn_crop_fits_is_proven_from_the_terms():
    upscore = 32 * _floor_of(H + 5, 32) + 64  # FCN-32s: the upsampled map, cropped to H at offset 19
    # the margin is 38 to 69 pixels: 38 fits everywhere, 39 only for some H, the reverse crop nowhere
    assert num.fits(upscore, H, 19) is True and num.fits(upscore, H, 38) is True and num.fits(upscore, H, 39) is None
    assert num.fits(H, upscore, 0) is not True
