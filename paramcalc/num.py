"""Arithmetic on sizes that are exact Python ints (and Fractions) or, only when a model has symbols, sympy expressions.

sympy is imported on first use of a symbol, so concrete models never load it.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

TYPE_CHECKING = False  # typing is not imported at run time: annotations only (4 ms of every start-up)
if TYPE_CHECKING:
    from typing import Any, Iterable

    Number = Any  # int | Fraction | sympy.Expr

_sympy = None
# sympy's classes of sizes that are never numbers (sums, products, powers, symbols, floors, maxima ...): a value of
# one of these types is an expression, told by one set lookup (is_concrete, normalize and the sums and products
# ask that of every symbolic size they see).
_EXPRESSIONS: frozenset = frozenset()
# The key Add.flatten and Mul.flatten sort their arguments by (sympy's own `_args_sortkey`, which lives in
# sympy.core.basic from 1.13 and in add.py / mul.py before): the builders below put terms in the same order.
_SORT_KEY = None
_RATIONAL_CONTENT = None


def sympy():
    """The sympy module, imported lazily."""
    global _sympy, _EXPRESSIONS, _SORT_KEY, _RATIONAL_CONTENT
    if _sympy is None:
        import sympy as _s

        _EXPRESSIONS = frozenset((_s.Add, _s.Mul, _s.Pow, _s.Symbol, _s.floor, _s.ceiling, _s.Max, _s.Min))
        _SORT_KEY = functools.cmp_to_key(_compare)
        _RATIONAL_CONTENT = _s.Rational._hashable_content
        _sympy = _s
    return _sympy


@functools.lru_cache(maxsize=65536)
def _compare(a, b) -> int:
    """sympy's ``Basic.compare``, remembered: the builders put the same sizes in order again and again (every layer
    on a map multiplies its two spatial sizes), and comparing two sizes walks both expressions."""
    return a.compare(b)


_ranks: dict = {}


def _rank(cls) -> tuple:
    """Where ``Basic.compare`` puts a class: its place in sympy's ``ordering_of_classes``, classes not listed there
    after all listed ones and among themselves by name."""
    rank = _ranks.get(cls)
    if rank is None:
        from sympy.core.basic import ordering_of_classes

        name = cls.__name__
        rank = _ranks[cls] = (ordering_of_classes.index(name), "") if name in ordering_of_classes \
            else (len(ordering_of_classes) + 1, name)
    return rank


def _canonical_sort(items: list) -> None:
    """Sort sympy objects in place in ``Basic.compare``'s order (as Add and Mul sort their arguments). Where every
    object's hashable content starts with an object (products, sums, powers, functions), each key starts with what
    compare reads first: the class, the length of the content, and the class of its first item, with a number's
    value (a product's coefficient); compare itself decides only between objects that agree on all that. The terms
    of a model's totals are new products that differ in their coefficients: they are put in order without walking
    them. Anything else is sorted by compare alone."""
    if len(items) < 2:
        return
    Basic = _sympy.Basic
    keys = {}
    for x in items:
        content = x._hashable_content()
        first = content[0] if content else None
        if not isinstance(first, Basic):  # a symbol's name, a number's digits: compare alone
            items.sort(key=_SORT_KEY)
            return
        keys[id(x)] = (_rank(type(x)), len(content), _rank(type(first)),
                       first._hashable_content() if type(first)._hashable_content is _RATIONAL_CONTENT else None,
                       _SORT_KEY(x))
    items.sort(key=lambda x: keys[id(x)])


def is_concrete(x) -> bool:
    t = type(x)
    if t is int or t is Fraction:
        return True
    if t in _EXPRESSIONS:
        return False
    if _sympy is not None and isinstance(x, _sympy.Basic):  # before Fraction's isinstance, an ABC check (slow)
        return False
    return isinstance(x, (int, Fraction)) and not isinstance(x, bool)


def _number(x) -> bool:
    """Whether ``x`` is a Python number that sums and products fold as numbers (int, bool or Fraction)."""
    t = type(x)
    if t is int or t is Fraction:
        return True
    if t in _EXPRESSIONS or _sympy is not None and isinstance(x, _sympy.Basic):
        return False
    return isinstance(x, (int, Fraction))


_symbol_parts = None


def symbol(name: str):
    """A size symbol: a positive integer unknown.

    Built as sympy's ``Symbol(name, integer=True, positive=True)`` builds it, with the assumption tables that
    constructor shares between all symbols of the same assumptions (it deduces them again after every clear of
    its cache: a tenth of a one-layer model's analysis); tests/test_symbolic_arithmetic.py checks the object."""
    global _symbol_parts
    s = sympy()
    try:
        if _symbol_parts is None:
            model = s.Symbol("_", integer=True, positive=True)
            _symbol_parts = (s.Expr.__new__, model._assumptions, model._assumptions_orig, model._assumptions0)
        new, table, given, canonical = _symbol_parts
        x = new(s.Symbol)
        x.name = name
        x._assumptions = table
        x._assumptions_orig = given
        x._assumptions0 = canonical
        return x
    except AttributeError:  # another sympy's internals
        return s.Symbol(name, integer=True, positive=True)


def normalize(x):
    """Fraction with denominator 1 -> int; sympy numbers -> int/Fraction; other expressions unchanged."""
    if type(x) is int:  # nearly every size of a concrete model
        return x
    if type(x) in _EXPRESSIONS:  # never a number
        return x
    if type(x) is Fraction:
        return int(x) if x.denominator == 1 else x
    if isinstance(x, bool):
        return x
    if _sympy is not None and isinstance(x, _sympy.Basic):  # before Fraction's isinstance, an ABC check (slow)
        if x.is_Integer:
            return int(x)
        if x.is_Rational:
            return Fraction(int(x.p), int(x.q))
        return x
    if isinstance(x, Fraction):
        return int(x) if x.denominator == 1 else x
    return x


def floordiv(a, b):
    """floor(a / b), exact. With symbols and a whole divisor b > 0 the result is kept in a small canonical form
    (see ``_floor``): whole parts pulled out, a floor of a floor merged into one floor."""
    if type(a) is int and type(b) is int and b:
        return a // b
    if is_concrete(a) and is_concrete(b):
        return normalize(Fraction(a) // Fraction(b))
    s = sympy()
    a = s.sympify(a)
    if isinstance(b, int) and not isinstance(b, bool) and b > 0:
        return normalize(_floordiv(a, b))
    return normalize(s.floor(a / b))


@functools.lru_cache(maxsize=65536)
def _floordiv(a, b: int):
    if b == 1 and _whole(a):
        return a
    out = _built_directly(_floor_of_quotient, a, b)
    return _floor(_product((_unnest_floor(a),), Fraction(1, b))) if out is None else out


def _floor_of_quotient(a, b: int, shift: int = 0, then: int = 0):
    """What ``_floor(_product((_unnest_floor(a),), Fraction(1, b)))`` builds, without building the unnested sum
    and the quotient on the way: a's terms (a lone floor's argument opened in place of the floor, as
    ``_unnest_floor`` does) are read once into coefficients, like terms summed as ``_combination`` would, each
    divided by b and split into its whole part (outside the floor) and the rest (inside), as ``_floor`` does.
    None wherever those functions would take another path (then they are called).

    With whole ``shift`` and ``then``: what ``plus(floordiv(plus(a, shift), b), then)`` builds (the shift joins
    a's constant; ``then`` joins the constant outside the floor), without the two sums on the way."""
    s = sympy()
    terms = s.Add.make_args(a)
    floors = [t for t in terms if isinstance(t, s.floor)]
    if len(floors) == 1:
        others = [t for t in terms if t is not floors[0]]
        if not all(_whole(t) for t in others):
            return None
        terms = (*s.Add.make_args(floors[0].args[0]), *others)
    # Whole-number arithmetic: the constant as numerator / denominator, each coefficient split by divmod of its
    # numerator (Fraction arithmetic was most of this function's time).
    numerator, denominator = shift, 1
    coefficients: dict = {}
    for t in terms:
        if t.is_Rational:
            if t.q == 1:
                numerator += t.p * denominator
            else:
                numerator, denominator = numerator * t.q + t.p * denominator, denominator * t.q
            continue
        split = _coefficient_and_term(t)
        if split is None:
            return None
        c, term = split
        known = coefficients.get(term)
        coefficients[term] = c if known is None else known + c
    outside, inside = [], []
    for term, c in coefficients.items():
        if not c:
            continue
        if not _whole(term):
            return None
        # c/b = p/(d*b) (an int is p/1): its whole part and the rest, in [0, 1)
        whole, rest = divmod(c.numerator, c.denominator * b)
        if rest:
            rest = Fraction(rest, c.denominator * b)
        if whole:
            outside.append((term, whole))
        if rest:
            inside.append((term, rest))
    whole, rest = divmod(numerator, denominator * b)
    if not inside:
        return _combination(tuple(outside), whole + then)  # the constant left inside lies in [0, 1): floor 0
    inner_constant = Fraction(rest, denominator * b) if rest else 0
    if len(inside) == 1 and not outside:
        # floor(r*t + c) + k, every strided size of one symbol: what the two _combination calls below build (one
        # value plus a number: the number first), without asking again how the new floor splits
        term, r = inside[0]
        inner = _with_coefficient(term, r)  # 0 < r < 1
        if inner_constant:
            inner = _postprocessed(s.Add, s.Add._from_args((_rational(inner_constant), inner), True))
        out = _whole_floor(inner)
        if whole + then:
            out = _postprocessed(s.Add, s.Add._from_args((_rational(whole + then), out), True))
    else:
        inner = _combination(tuple(inside), inner_constant)
        if inner is None:
            return None
        out = _combination((*outside, (_whole_floor(inner), 1)), whole + then)
    bound = _floor_bound(outside, inside, inner_constant, whole + then)
    if bound is not None and out is not None:
        if len(_seeded_bounds) >= 65536:
            _seeded_bounds.clear()
        _seeded_bounds[out] = bound
    return out


def _floor_bound(outside, inside, inner_constant, constant):
    """What ``_lower_bound`` finds for ``constant + sum(c * t for t, c in outside) + floor(inner_constant +
    sum(r * t for t, r in inside))`` (what ``_floor_of_quotient`` builds), computed from its parts where every
    coefficient is positive and every term's bound is >= 0: then each c*t is bounded by c times t's bound, as
    ``_lower_bound`` bounds a product of non-negative parts, and like terms merged in the sum change nothing.
    None otherwise (the walk decides)."""
    numerator, denominator = inner_constant.numerator, inner_constant.denominator  # 0 is 0/1
    for term, r in inside:  # whole-number arithmetic: r is a Fraction in (0, 1), the bounds of sizes are ints
        b = _lower_bound(term)
        if type(b) is not int or b < 0:
            return None
        numerator, denominator = numerator * r.denominator + r.numerator * b * denominator, denominator * r.denominator
    bound = numerator // denominator + constant
    for term, c in outside:
        if c < 0:
            return None
        b = _lower_bound(term)
        if type(b) is float or b < 0:
            return None
        bound += c * b
    return bound


# new sizes -> their lower bound, known when they were built (``_floor_bound``): read by ``_lower_bound`` instead of
# walking the new floor and sum
_seeded_bounds: dict = {}


def shifted_floordiv(x, shift: int, b: int, then: int):
    """floor((x + shift) / b) + then for whole shift, b, then: ``plus(floordiv(plus(x, shift), b), then)``, the
    same object, built in one step for a symbolic x and b > 1 (a sliding window's output length)."""
    if type(x) is int and type(shift) is int and type(b) is int and type(then) is int and b:
        return (x + shift) // b + then
    if type(shift) is int and type(b) is int and type(then) is int and b > 0 and not is_concrete(x):
        if type(x) not in _EXPRESSIONS:
            x = sympy().sympify(x)
        if b == 1:  # floordiv(y, 1) is y for a whole y, and x + shift is whole when x's terms are
            if all(_whole(t) for t in sympy().Add.make_args(x)):
                return plus(x, shift + then)  # sympy adds constants in any order to the same sum
        else:
            out = _shifted_floordiv(x, shift, b, then)
            if out is not None:
                return out
    return plus(floordiv(plus(x, shift), b), then)


@functools.lru_cache(maxsize=65536)
def _shifted_floordiv(x, shift: int, b: int, then: int):
    try:
        out = _floor_of_quotient(x, b, shift, then)
    except AttributeError:  # another sympy's internals: the steps one by one
        return None
    return None if out is None else normalize(out)


def _unnest_floor(a):
    """floor((floor(y) + k) / n) == floor((y + k) / n) for a whole-valued k and whole n > 0, so strided layers
    stacked on a symbolic size read floor((H + 3)/4), never floor((floor((H + 1)/2) + 1)/2): the size of the
    expression stays the same however many layers are stacked. ``a`` is the numerator; the one floor with
    coefficient 1 is replaced by its argument when the rest of ``a`` is whole-valued."""
    s = sympy()
    terms = s.Add.make_args(a)
    floors = [t for t in terms if isinstance(t, s.floor)]
    if len(floors) != 1:
        return a
    rest = _linear(tuple((t, 1) for t in terms if t is not floors[0]), 0)
    if _whole(rest):
        return _linear(((floors[0].args[0], 1), (rest, 1)), 0)
    return a


def _floor(x):
    """floor(x) for an expression x whose non-constant terms are whole-valued (sizes: integer symbols, products,
    floors) times rational coefficients: each coefficient's whole part is pulled out of the floor, so the floor
    keeps only fractional coefficients in [0, 1) (floor(H/2 + 5/2) -> floor(H/2 + 1/2) + 2) and a floor of a
    whole-valued expression disappears. Built without sympy's general evaluation, which is what made chains of
    ceil-mode pools grow exponentially. Anything else goes to sympy's floor unchanged."""
    s = sympy()
    outside, inside = [], []
    for term in s.Add.make_args(x):  # sympy has distributed the divisor over the sum; products stay as they are
        coeff, rest = term.as_coeff_Mul()
        if not coeff.is_Rational or not (rest is s.S.One or _whole(rest)):
            return s.floor(x)
        coeff = Fraction(int(coeff.p), int(coeff.q))
        whole = coeff.numerator // coeff.denominator
        if whole:
            outside.append((rest, whole))
        if coeff != whole:
            inside.append((rest, coeff - whole))
    if all(rest is s.S.One for rest, _ in inside):
        return _linear(outside, 0)  # the constant left inside lies in [0, 1): its floor is 0
    inner = _whole_floor(_linear(inside, 0))
    return _linear((*outside, (inner, 1)), 0)


_floor_parts = None


def _whole_floor(arg):
    """``floor(arg, evaluate=False)`` told that it is an integer (``_integer_valued``), built directly: sympy's
    constructor makes a new set of its argument counts and deduces the same assumption table each time (about
    100 µs of every strided size); here the object gets the same attributes and a copy of that table, deduced
    once. sympy's own path where this sympy's internals differ; tests/test_symbolic_arithmetic.py checks that the
    objects are the same."""
    global _floor_parts
    s = sympy()
    try:
        if _floor_parts is None:
            proto = s.floor(s.Dummy(integer=True, positive=True), evaluate=False)
            table = s.floor.default_assumptions.copy()
            table.deduce_all_facts((("integer", True),))
            extra = {k: v for k, v in vars(proto).items() if k not in ("_args", "_mhash", "_assumptions")}
            _floor_parts = (s.core.basic.Basic.__new__, type(table), dict(table), table.rules, extra)
        new, kb_type, facts, rules, extra = _floor_parts
        f = new(s.floor, arg)
        f.__dict__.update(extra)
        kb = dict.__new__(kb_type)
        kb.update(facts)
        kb.rules = rules
        kb._generator = {}
        f._assumptions = kb
        return f
    except (AttributeError, TypeError):
        return _integer_valued(s.floor(arg, evaluate=False))


def _integer_valued(f):
    """``f`` (a floor of a real argument) told that it is an integer, which is what sympy's own rule for floor
    would find: asked later (building sums and powers asks whether it is infinite, zero ...), sympy would
    otherwise derive it again through its assumptions on the argument, a millisecond each time."""
    try:
        if f._assumptions is f.default_assumptions:
            f._assumptions = f.default_assumptions.copy()
        f._assumptions.deduce_all_facts((("integer", True),))
    except AttributeError:  # another sympy's internals: it derives the same fact itself
        pass
    return f


def ceildiv(a, b):
    """ceil(a / b), exact; for a whole-valued symbolic a and whole b > 0 written floor((a + b - 1) / b)."""
    if type(a) is int and type(b) is int and b:
        return -(-a // b)
    if is_concrete(a) and is_concrete(b):
        return normalize(-(Fraction(-a) // Fraction(b)))
    a = sympy().sympify(a)
    if isinstance(b, int) and not isinstance(b, bool) and b > 0:
        if _whole(a):
            return shifted_floordiv(a, b - 1, b, 0)  # floordiv(plus(a, b - 1), b), built in one step
        q = _common_denominator(a)  # a = y/q with y whole: ceil(a/b) = ceil(y/(q*b)), the same form as above
        if q is not None:
            return shifted_floordiv(scaled(a, q), q * b - 1, q * b, 0)
    return normalize(-floordiv(-a, b))


def _common_denominator(a):
    """The least q > 1 such that q*a is whole-valued, for a sum of rational multiples of whole-valued terms (res/8,
    H/2 + 1/2); None for anything else. ceil(res/8) is then written floor(res/8 + 7/8), as a stride-8 layer's
    output size is, not res - floor(7*res/8): two forms of one size would look like two sizes at a merge."""
    terms = _rational_terms(a)
    if terms is None or not all(rest.is_Number or _whole(rest) for _, rest in terms):
        return None
    q = math.lcm(*(c.denominator for c, _ in terms))  # an int's denominator is 1
    return q if q > 1 else None


def _rational_terms(x):
    """(rational coefficient as an int or Fraction, the rest) for each term of the sum ``x``, as ``as_coeff_Mul``
    splits it (a constant's rest is 1); None when a coefficient is not rational."""
    out = []
    for term in sympy().Add.make_args(x):
        c, rest = term.as_coeff_Mul()
        if not c.is_Rational:
            return None
        out.append((int(c.p) if c.q == 1 else Fraction(int(c.p), int(c.q)), rest))
    return out


def div(a, b):
    """Exact division: Fractions for numbers, Rationals for expressions."""
    if type(a) is int and type(b) is int and b:
        whole, rest = divmod(a, b)
        return Fraction(a, b) if rest else whole
    if is_concrete(a) and is_concrete(b):
        return normalize(Fraction(a) / Fraction(b))
    if isinstance(b, int) and b == 1:
        return normalize(a)
    if a is b or (not is_concrete(a) and a == b):  # x / x is 1 in sympy (a depthwise conv's in / groups)
        return 1
    if is_concrete(b) and b:  # a / b == a * (1/b), built as prod builds it
        return normalize(_product((sympy().sympify(a),), 1 / Fraction(b)))
    s = sympy()
    return normalize(s.sympify(a) / s.sympify(b))


def prod(xs: Iterable) -> Number:
    """The product of ``xs``: numbers multiplied as Python numbers, expressions in one cached sympy Mul (a model
    multiplies the same few shapes again and again)."""
    number = 1
    expressions = []
    for x in xs:
        t = type(x)
        if t is int or t is Fraction or t not in _EXPRESSIONS and _number(x):
            number = number * x
        else:
            expressions.append(x)
    if not expressions:
        return normalize(number)
    if number == 1 and len(expressions) == 1:  # Mul(x, 1) is x
        return normalize(expressions[0])
    return normalize(_product(tuple(expressions), number))


# expressions -> (their product with some number, that number): a model multiplies the same sizes by each layer's
# own channel counts (MACs), and twice a layer's MACs are its FLOPs
_products_of: dict = {}


@functools.lru_cache(maxsize=65536)
def _product(expressions: tuple, number):
    if len(expressions) == 1:
        if number != 1 and number:  # a number times one expression
            out = _built_directly(_rescaled, expressions[0], (1, number))
            if out is not None:
                return out
    else:
        known, before = _products_of.get(expressions, (None, None))
        if known is not None and number and number != before:  # the product built before, its number scaled
            out = _built_directly(_rescaled, known, (before, number))
            if out is not None:
                return out
    out = _built_directly(_monomial_product, expressions, number)
    if out is None and number and len(expressions) == 1 and getattr(expressions[0], "is_Add", False):
        # Mul(k, sum) with a number k != 0, 1 distributes k over the sum's terms
        out = _built_directly(_combination, ((expressions[0], number),), 0)
    if out is None:
        out = sympy().Mul(*expressions, number)
    if number and len(expressions) > 1:
        if len(_products_of) >= 65536:
            _products_of.clear()
        _products_of[expressions] = (out, number)
    return out


def _built_directly(build, expressions, number):
    """``build(expressions, number)``, or None (sympy's own constructor then) where this sympy lacks an internal it
    uses; tests/test_symbolic_fast_paths.py checks the objects against sympy's Mul and Add."""
    try:
        return build(expressions, number)
    except AttributeError:
        return None


def _monomial_product(expressions: tuple, number):
    """The Mul that sympy's ``Mul(*expressions, number)`` builds, built directly when every factor is a rational,
    a symbol, a sum, a floor/ceiling/max/min, a positive whole power of those, or a product of them (sizes):
    exponents of equal bases are added and the factors put in sympy's canonical order, without Mul.flatten's
    general walk (the first construction of each product is most of a symbolic analysis). None in every other
    case, and where sympy would distribute the coefficient over a sum (2*(H + 1) -> 2*H + 2)."""
    s = sympy()
    coeff = number
    powers: dict = {}
    for x in expressions:
        factors = _factors(x)
        if factors is None:
            return None
        c, pairs = factors
        if c != 1:
            coeff *= c
        for base, exponent in pairs:
            powers[base] = powers.get(base, 0) + exponent
    if not coeff or not powers:
        return None
    if len(powers) == 1 and coeff != 1 and next(iter(powers)).is_Add and next(iter(powers.values())) == 1:
        return None
    parts = [b if e == 1 else _power(b, e) for b, e in powers.items()]
    _canonical_sort(parts)
    if coeff != 1:
        parts.insert(0, _rational(coeff))
    if len(parts) == 1:
        return parts[0]
    return _postprocessed(s.Mul, s.Mul._from_args(parts, True))


def _rescaled(x, numbers):
    """``Mul(x, after / before)`` for ``numbers`` = (before, after), a product, a symbol, a power or a
    floor/ceiling/max/min x and a ratio other than 0 and 1, built as sympy builds it: the coefficient slot of x's
    arguments takes x's coefficient times the ratio (a layer's MACs are the product of sizes built for the layer
    before, rebuilt for this layer's channel counts; its FLOPs are twice its MACs). Whole-number arithmetic where
    x's coefficient is a whole multiple of ``before``. None for a sum (sympy distributes a number over it) and
    anything else."""
    before, after = numbers
    split = _coefficient_and_term(x)
    if split is None:
        return None
    c, term = split
    if term.is_Add:
        return None
    if type(c) is int and type(before) is int and type(after) is int and not c % before:
        c = c // before * after
    elif before == 1:
        c = _times(c, after)
    else:
        c = Fraction(c) * after / before
        if c.denominator == 1:
            c = c.numerator
    return term if c == 1 else _with_coefficient(term, c)


@functools.lru_cache(maxsize=65536)
def _factors(x):
    """(rational coefficient, ((base, whole exponent > 0), ...)) of ``x`` read as a product of the factors
    ``_monomial_product`` builds with (a rational, a symbol, a sum that is not a number, a floor/ceiling/max/min,
    a positive whole power of those), or None; remembered, as a model multiplies the same sizes many times."""
    functions = _size_functions()
    coeff = 1
    pairs = []
    for factor in (x.args if x.is_Mul else (x,)):
        if factor.is_Rational:
            coeff *= factor.p if factor.q == 1 else Fraction(factor.p, factor.q)
            continue
        if factor.is_Pow:
            base, exponent = factor.args
            if not (exponent.is_Integer and exponent.p > 0):
                return None
            exponent = exponent.p
        else:
            base, exponent = factor, 1
        if not (base.is_Symbol or (base.is_Add and not _is_number(base)) or isinstance(base, functions)):
            return None
        pairs.append((base, exponent))
    return coeff, tuple(pairs)


def _is_number(x) -> bool:
    """sympy's ``x.is_number``, answered False at once where a symbol is found by walking each level's last
    argument (sympy puts a sum's number first and a product's coefficient first, so a size's symbol is at the end
    of a short path; ``is_number`` reads every argument before it); sympy's answer otherwise."""
    y = x
    while y.args:
        y = y.args[-1]
    return False if y.is_Symbol else x.is_number


@functools.lru_cache(maxsize=65536)
def _power(base, exponent: int):
    """``Pow(base, exponent)`` for a base that Pow's evaluation leaves as it is (a symbol, a function or a sum of
    finite terms: base._eval_power returns None), so it is the same object built unevaluated."""
    s = sympy()
    return s.Pow(base, s.Integer(exponent), evaluate=False)


def total(xs: Iterable) -> Number:
    """The sum of ``xs``: numbers added as Python numbers, expressions summed once in one sympy Add (adding them
    one by one rebuilds the growing sum at every step: quadratic in the number of layers)."""
    numbers = 0
    expressions = []
    for x in xs:
        t = type(x)
        if t is int or t is Fraction or t not in _EXPRESSIONS and _number(x):
            numbers += x
        else:
            expressions.append(x)
    if not expressions:
        return normalize(numbers)
    if len(expressions) == 1 and not numbers:
        return normalize(expressions[0])
    return normalize(_sum(tuple(expressions), numbers))


@functools.lru_cache(maxsize=4096)
def _sum(expressions: tuple, number):
    """One sympy Add, remembered: the engine sums the same terms more than once (trainable parameters are the
    parameters when every layer trains; a layer's MACs are its one MAC category)."""
    out = _built_directly(_combination, tuple((x, 1) for x in expressions), number)
    return sympy().Add(*expressions, number) if out is None else out


def scaled(x, k):
    """x * k for a number k (int or Fraction): numbers multiplied as Python numbers; an expression's product built
    directly in sympy's canonical form where ``prod`` and ``_combination`` can (a sum times a number is the sum of
    the scaled terms, as sympy distributes it)."""
    if type(x) is int and type(k) is int:
        return x * k
    if k == 1:  # every rule's ops at batch 1
        return normalize(x)
    if is_concrete(x):
        return normalize(x * k)
    if k == 0:
        return 0
    return normalize(_scaled(x, k))


def _scaled(x, k):
    return _product((x,), k) if isinstance(x, sympy().Basic) else x * k


def difference(a, b):
    """a - b, exact; for expressions built directly as sympy's ``Add(a, -b)`` where ``_combination`` can."""
    if type(a) is int and type(b) is int:
        return a - b
    if is_concrete(a) and is_concrete(b):
        return normalize(a - b)
    return normalize(_difference(a, b))


@functools.lru_cache(maxsize=65536)
def _difference(a, b):
    return _linear(((a, 1), (b, -1)), 0)


def _linear(pairs, number):
    """``number + sum(c * x for x, c in pairs)`` for numbers c (int or Fraction) and sizes x (numbers or sympy
    expressions): built directly by ``_combination`` where it can, else by sympy (the same object either way)."""
    s = sympy()
    rest = []
    for x, c in pairs:
        if is_concrete(x):
            number += c * x
        else:
            rest.append((s.sympify(x), c))
    out = _built_directly(_combination, tuple(rest), number)
    if out is None:
        return s.Add(*(x * c for x, c in rest), number)
    return out


def times(a, b):
    """a * b, exact; for expressions the Mul sympy builds for the pair, built directly where ``prod`` can."""
    if type(a) is int and type(b) is int:
        return a * b
    return prod((a, b))


def plus(a, b):
    """a + b, exact; for expressions built directly as sympy's ``Add(a, b)`` where ``_combination`` can."""
    if type(a) is int and type(b) is int:
        return a + b
    return total((a, b))


def _combination(pairs: tuple, number):
    """The Add that sympy builds for ``number + sum(c * x for x, c in pairs)`` (``Add(*expressions, number)``
    when every c is 1; sympy distributes a number over a sum, so ``Mul(c, x)`` of a sum is the sum of the scaled
    terms), built directly when every term is a rational multiple of a symbol, a product, a power of a non-number
    or a floor/ceiling/max/min (the sizes of a model): like terms' coefficients are summed as Fractions and the
    terms put in sympy's canonical order, as Add.flatten does, without rebuilding each scaled term through Mul's
    general walk or asking each new coefficient whether it is zero (a copy of its assumption table each). None for
    anything else."""
    s = sympy()
    if len(pairs) == 1:  # one value plus a number (a size shifted, a field grown): no like terms to collect
        o, k = pairs[0]
        if o.is_Add:
            if k == 1:
                return _shifted_sum(o, number)
            if k:
                return _scaled_sum(o, k, number)
        elif not o.is_Number:
            split = _coefficient_and_term(o)
            if split is None:
                return None
            c, term = split
            if k != 1:
                c = _times(k, c)
                o = term if c == 1 else _with_coefficient(term, c) if c else None
            if o is None:
                return _rational(number)
            return _postprocessed(s.Add, s.Add._from_args((_rational(number), o), True)) if number else o
    collected = _collected(pairs, number)
    if collected is None:
        return None
    constant, coefficients = collected
    terms = []
    for term, (c, o) in coefficients.items():
        if c == 0:
            continue
        # a term met once and not scaled is that same object (the one Mul(c, term) would build again)
        terms.append(o if o is not None else term if c == 1 else _with_coefficient(term, c))
    _canonical_sort(terms)
    if constant:
        terms.insert(0, _rational(constant))
    if not terms:
        return s.S.Zero
    if len(terms) == 1:
        return terms[0]
    return _postprocessed(s.Add, s.Add._from_args(terms, True))


def _scaled_sum(x, k, number):
    """``_combination(((x, k),), number)`` for a sum x and a number k other than 0 and 1 (a total's FLOPs are
    twice its MACs, its bytes 4 times its elements): the terms of a sum sympy built are distinct, so each is
    scaled as it is, with nothing to collect. They are put in order again unless that order cannot change: when
    k is a whole number > 0 and every term is c*t with c of sympy's Integer class (|c| >= 2), the new
    coefficients are Integers in the same order, and Basic.compare reads a product's coefficient first and the
    rest of it unchanged. None where a term is not one ``_combination`` builds with."""
    constant = number
    terms = []
    Integer = _sympy.Integer
    keeps_order = type(k) is int and k > 0
    for t in x.args:
        if t.is_Rational:
            constant += k * t.p if t.q == 1 else _times(k, Fraction(t.p, t.q))
            continue
        split = _coefficient_and_term(t)
        if split is None:
            return None
        c, term = split
        if keeps_order and not (t.is_Mul and type(t.args[0]) is Integer):
            keeps_order = False
        c = _times(k, c)
        terms.append(term if c == 1 else _with_coefficient(term, c))
    if not keeps_order:
        _canonical_sort(terms)
    if constant:
        terms.insert(0, _rational(constant))
    if len(terms) == 1:
        return terms[0]
    return _postprocessed(_sympy.Add, _sympy.Add._from_args(terms, True))


def _collected(pairs, number):
    """(constant, {term: [coefficient, object]}) of ``number + sum(k * o for o, k in pairs)`` for sympy objects o,
    as Add.flatten collects them: sums opened in place, like terms' coefficients summed (whole numbers stay ints);
    the object is the term as it was given where it was met once and not scaled, else None. None where a term is
    not one ``_combination`` builds with. What ``_combination`` builds and ``_bound_of_linear`` bounds."""
    constant = number
    coefficients: dict = {}
    pending = list(pairs)
    for o, k in pending:
        if o.is_Rational:
            constant += k * o.p if o.q == 1 else _times(k, Fraction(o.p, o.q))
            continue
        if o.is_Add:
            pending.extend((a, k) for a in o.args)
            continue
        split = _coefficient_and_term(o)
        if split is None:
            return None
        c, term = split
        if k != 1:
            c = _times(k, c)
            o = None
        entry = coefficients.get(term)
        if entry is None:
            coefficients[term] = [c, o]
        else:
            entry[0] += c
            entry[1] = None
    return constant, coefficients


def _shifted_sum(x, number):
    """``_combination(((x, 1),), number)`` for a sum x: its terms stay as they are, in their order, and only its
    constant changes (Add.flatten puts the number first); None where a term is not one ``_combination`` builds."""
    args = x.args
    first = args[0]
    if first.is_Number:
        if not first.is_Rational:
            return None
        number += first.p if first.q == 1 else Fraction(first.p, first.q)
        args = args[1:]
    elif not number:
        return x
    for t in args:
        if _coefficient_and_term(t) is None:
            return None
    s = sympy()
    if number:
        args = (_rational(number), *args)
    elif len(args) == 1:
        return args[0]
    return _postprocessed(s.Add, s.Add._from_args(args, True))


@functools.lru_cache(maxsize=65536)
def _coefficient_and_term(o):
    """(rational coefficient, term) of a term of a sum, as Add.flatten splits it (``as_coeff_Mul``), for the terms
    ``_combination`` builds with (a rational multiple of a symbol, a product, a power of a non-number or a
    floor/ceiling/max/min); None for anything else. Remembered: the same terms are summed again and again."""
    if o.is_Number:
        return None
    if o.is_Mul:
        c, *rest = o.args
        if not c.is_Number:
            c, term = 1, o
        elif not c.is_Rational:
            return None
        else:
            c = c.p if c.q == 1 else Fraction(c.p, c.q)
            term = _term_of(tuple(rest), o)
    else:
        c, term = 1, o
    if not (term.is_Symbol or term.is_Mul or (term.is_Pow and not term.base.is_Number)
            or isinstance(term, _size_functions())):
        return None
    return c, term


# a product's factors after its coefficient -> the product of them: c*H*W for every c splits into the same H*W
_terms_of: dict = {}


def _term_of(factors: tuple, o):
    """The product of ``factors`` (``o``'s arguments after its coefficient), as ``as_coeff_Mul`` builds it, and
    the same object for every product of the same factors: the terms a sum collects are then one object, and
    everything remembered about one (its coefficients' products, comparisons) is found by identity."""
    term = _terms_of.get(factors)
    if term is None:
        if len(_terms_of) >= 65536:
            _terms_of.clear()
        term = _terms_of[factors] = factors[0] if len(factors) == 1 else o._new_rawargs(*factors)
    return term


def _with_coefficient(term, c):
    """The term ``c * term`` of a sum, as Add.flatten builds it, for a rational c other than 0 and 1. Not
    remembered: a first analysis asks for each (term, c) about once (fcn32s_vgg16: 82 new, 11 again; googlenet:
    204 and 14), as what it is part of (a product, a sum) is remembered itself."""
    if term.is_Mul:  # the coefficient goes in slot 0 of the product's own arguments (what _new_rawargs does)
        if term.is_commutative is True:
            return sympy().Mul._from_args((_rational(c), *term.args), True)
        return term._new_rawargs(_rational(c), *term.args)
    return sympy().Mul._from_args((_rational(c), term), True)  # Mul(c, term) for these terms is exactly (c, term)


_no_postprocessor: set = set()
_postprocessor_count = -1


def _postprocessed(cls, obj):
    """``cls._exec_constructor_postprocessors(obj)``, skipped where no argument's type has a constructor
    postprocessor (none of the types sizes are built of has one; matrices and vectors do): that lookup costs a
    cached call per argument."""
    global _postprocessor_count
    mapping = sympy().Basic._constructor_postprocessor_mapping
    if len(mapping) != _postprocessor_count:  # a module registered one since: look again
        _no_postprocessor.clear()
        _postprocessor_count = len(mapping)
    for a in obj.args:
        t = type(a)
        if t not in _no_postprocessor:
            if any(c in mapping for c in t.__mro__):
                return cls._exec_constructor_postprocessors(obj)
            _no_postprocessor.add(t)
    return obj


@functools.lru_cache(maxsize=4096)
def _rational(c):
    """sympy's Rational for an int or Fraction (remembered), built directly where ``_number_builder`` can."""
    global _numbers
    if _numbers is None:
        _numbers = _number_builder()
    if type(c) is int:
        return _numbers(c, 1)
    return _numbers(c.numerator, c.denominator)


_numbers = None


def _number_builder():
    """A function (p, q) -> sympy's Rational(p, q) for a fraction already in lowest terms with q > 0 (a Fraction's
    parts): the object made as sympy's constructors make it (Expr.__new__, then p, and q for a non-integer), without
    their cache lookup, type checks and gcd (about 1 µs of each new coefficient a symbolic analysis makes). 0, 1, -1
    and 1/2 are sympy's singletons. Checked against sympy's own objects once; sympy's constructors where this
    sympy's internals differ (tests/test_symbolic_fast_paths.py checks the objects)."""
    s = sympy()
    Expr, Integer, Rational = s.Expr, s.Integer, s.Rational
    singletons = {(0, 1): s.S.Zero, (1, 1): s.S.One, (-1, 1): s.S.NegativeOne, (1, 2): s.S.Half}

    def build(p, q):
        obj = singletons.get((p, q))
        if obj is not None:
            return obj
        if q == 1:
            obj = Expr.__new__(Integer)
            obj.p = p
        else:
            obj = Expr.__new__(Rational)
            obj.p = p
            obj.q = q
        return obj

    def sympys(p, q):
        return Integer(p) if q == 1 else Rational(p, q)

    try:
        for p, q in ((12345, 1), (-7, 1), (3, 4), (-5, 3), (2**70 + 1, 1)):
            mine, theirs = build(p, q), sympys(p, q)
            if type(mine) is not type(theirs) or mine != theirs or hash(mine) != hash(theirs) \
                    or s.srepr(mine) != s.srepr(theirs) or mine.is_positive != theirs.is_positive:
                return sympys
    except (AttributeError, TypeError):
        return sympys
    return build


_functions = None


def _size_functions() -> tuple:
    """sympy's floor, ceiling, Max and Min: the functions sizes are built of."""
    global _functions
    if _functions is None:
        s = sympy()
        _functions = (s.floor, s.ceiling, s.Max, s.Min)
    return _functions


def maximum(xs: Iterable):
    """The largest of ``xs``. With expressions the result is kept small: nested maxima are flattened, a value
    that another is known to reach (their difference is a number) is dropped, and terms every value shares are
    taken out of the max (max(M + 2*s, M + k*s) = M + s*max(2, k)), so maxima chained through merges grow
    linearly, not exponentially. No general simplification is attempted."""
    xs = list(xs)
    if all(is_concrete(x) for x in xs):
        return max(xs)
    return normalize(_max(xs))


def _max(xs):
    s = sympy()
    return _max_of(tuple(s.sympify(x) for x in xs))


@functools.lru_cache(maxsize=4096)
def _max_of(xs: tuple):
    """The max of ``xs`` (sympy objects), remembered: merges of branches at every block of a network ask the same
    max of what the branches add (GoogLeNet's 5x5 branch against the others, at each of its nine concats)."""
    s = sympy()
    xs = list(xs)
    # Terms every value shares leave the max first, so the comparisons below read only the rest (a field merged at
    # each of GoogLeNet's Inception blocks carries the sum of all the maxima before it).
    out = _max_apart(xs)
    if out is not None:
        return out
    kept = _undominated(xs)
    if len(kept) == 1:
        return kept[0]
    # Terms every value kept shares leave the max too; then a common positive factor does.
    out = _max_apart(kept)
    if out is not None:
        return out
    coeffs = [k.as_coeff_Mul()[0] for k in kept]
    if all(c.is_Integer and c > 0 for c in coeffs):
        g = math.gcd(*(int(c) for c in coeffs))
        if g != 1:
            return prod((g, _max([_product((k,), Fraction(1, g)) for k in kept])))
    kept = _undominated(y for x in kept for y in (x.args if isinstance(x, s.Max) else (x,)))
    if len(kept) == 1:
        return kept[0]
    return s.Max(*kept, evaluate=False)  # Max puts its arguments in sympy's canonical order itself


def _max_apart(xs):
    """max(xs) as the terms every value shares (numbers aside) plus the max of the rest, or None when the values
    share no term. Each rest is built from its value's other terms (the shared ones cancel exactly): no negated
    copy of the shared sum."""
    if len(xs) < 2:
        return None
    terms = [sympy().Add.make_args(x) for x in xs]
    others = [set(t) for t in terms[1:]]
    common = [t for t in terms[0] if not t.is_Number and all(t in o for o in others)]
    if not common:
        return None
    gone = set(common)
    rest = _max([_linear(tuple((t, 1) for t in args if t not in gone), 0) for args in terms])
    return _linear((*((t, 1) for t in common), (rest, 1)), 0)  # one sum: the shared terms and the max


def minimum(xs: Iterable):
    """The smallest of ``xs``. With expressions, a value another is known to reach is dropped (the cheap test of
    ``maximum``) and the rest stay in one unevaluated Min: sympy's own evaluation compares every pair through its
    assumptions, which costs tens of milliseconds on sizes (Swin's shift indicator)."""
    xs = list(xs)
    if all(is_concrete(x) for x in xs):
        return min(xs)
    s = sympy()
    kept = []
    for x in map(s.sympify, xs):
        if any(_reaches(x, k) for k in kept):
            continue
        kept = [k for k in kept if not _reaches(k, x)] + [x]
    return normalize(kept[0] if len(kept) == 1 else s.Min(*kept, evaluate=False))


def _undominated(xs) -> list:
    """``xs`` without repeats and without values another one is known to reach."""
    kept = []
    for x in xs:
        if any(_reaches(k, x) for k in kept):
            continue
        kept = [k for k in kept if not _reaches(x, k)] + [x]
    return kept


def _reaches(a, b) -> bool:
    """Whether a >= b for every value of the symbols, known cheaply: their difference has a lower bound >= 0."""
    if a == b:
        return True
    for v in (1, 2**20 + 1):  # a < b at a sample point: the difference's lower bound is < 0 too (no need to build it)
        x, y = value_at(a, v), value_at(b, v)
        if x is not None and y is not None and x < y:
            return False
    d = _difference(a, b)
    if d.is_Rational:  # what the expansion and the bound would give
        return d >= 0
    return _lower_bound(_expand(d)) >= 0


def known(flag) -> bool | None:
    """sympy's three-valued answers as True/False/None."""
    return None if flag is None else bool(flag)


def equal(a, b) -> bool | None:
    """True, False, or None when it depends on the symbols' values.

    Sizes are kept canonical (``floordiv``), so equal sizes cancel in a subtraction; an expansion settles products.
    sympy's general ``simplify`` is never called: its cost is unbounded on nested floors.
    """
    if type(a) is int and type(b) is int or is_concrete(a) and is_concrete(b):
        return a == b
    d = _difference(a, b)
    if d == 0:
        return True
    if d.is_number:
        return False
    d = _expand(d)
    if d == 0:
        return True
    if d.is_number:
        return False
    if any(value_at(d, v) == 0 for v in SAMPLES):  # zero somewhere, so not nonzero everywhere: sympy's
        return True if _zero_everywhere(d) else None   # assumptions could not answer False (and cost ms)
    if d.is_nonzero:
        return False
    return None


PERIOD_LIMIT = 1024  # the longest period _zero_everywhere checks value by value


@functools.lru_cache(maxsize=4096)
def _zero_everywhere(d) -> bool:
    """Whether ``d`` is 0 for every whole value of its one symbol n, proved for a sum of rational multiples of n,
    of floors and ceilings of linear functions of n (a*n + b, a and b rational) and a constant: with P the least
    common denominator of those a, each floor or ceiling grows by exactly a*P when n grows by P, so d(n + P) =
    d(n) + P*s for s the sum of d's coefficients of n, inside the floors included. With s = 0, d repeats with
    period P, and P consecutive zeros make it 0 everywhere (n - floor(7*n/8) - floor((n + 7)/8), two forms of
    ceil(n/8), is 0 at n = 1..8). False when d has another form, or another symbol, or is not 0 everywhere.
    Remembered: a merge asks it of every pair of its inputs, and a network repeats its merges."""
    s = sympy()
    symbol = None
    slope = 0
    period = 1
    terms = _rational_terms(d)
    if terms is None:
        return False
    for c, rest in terms:
        if rest.is_Number:
            continue
        inner = rest.args[0] if isinstance(rest, (s.floor, s.ceiling)) else rest if rest.is_Symbol else None
        parts = None if inner is None else _rational_terms(inner)
        if parts is None:
            return False
        a = 0
        for k, x in parts:
            if x.is_Number:
                continue
            if not x.is_Symbol or (symbol is not None and x != symbol):
                return False
            symbol = x
            a += k
        slope += c * a
        if rest is not inner:
            period = math.lcm(period, a.denominator)
    if symbol is None or slope != 0 or period > PERIOD_LIMIT:
        return False
    return all(value_at(d, v) == 0 for v in range(1, period + 1))


# Values at which every symbol is tried when a sample settles a question without sympy's assumptions: small,
# odd and even, large, and 8! = 40320, a multiple of every stride up to 8 and of 16, 32, 64 and 128 (FPN's
# 32*floor((res + 31)/32)/floor((res + 15)/16) - 16 is 0 at multiples of 32, which sympy cannot see in 20 ms).
SAMPLES = (1, 2, 3, 2**20 + 1, 40320)


class _NoValue(Exception):
    pass


def value_at(x, v):
    """The exact value of expression ``x`` with every symbol set to the whole number ``v`` (an int or Fraction),
    or None when ``x`` holds something this walk does not evaluate."""
    if is_concrete(x):
        return x
    try:
        return _value(x, v)
    except (_NoValue, ZeroDivisionError):
        return None


@functools.lru_cache(maxsize=65536)
def _value(x, v):
    """The value as an int where it is whole, else a Fraction (int arithmetic is several times faster)."""
    s = sympy()
    if x.is_Number:
        if x.is_Rational:
            return int(x.p) if x.q == 1 else Fraction(int(x.p), int(x.q))
        raise _NoValue
    if x.is_Symbol:
        if x.is_integer and x.is_positive:
            return v
        raise _NoValue
    if x.is_Add:
        return sum(_value(a, v) for a in x.args)
    if x.is_Mul:
        out = 1
        for a in x.args:
            out *= _value(a, v)
        return out
    if x.is_Pow and x.exp.is_Integer:
        e = int(x.exp)
        return Fraction(_value(x.base, v)) ** e if e < 0 else _value(x.base, v) ** e
    if isinstance(x, s.floor):
        return math.floor(_value(x.args[0], v))
    if isinstance(x, s.ceiling):
        return math.ceil(_value(x.args[0], v))
    if isinstance(x, s.Max):
        return max(_value(a, v) for a in x.args)
    if isinstance(x, s.Min):
        return min(_value(a, v) for a in x.args)
    raise _NoValue


def _expand(x):
    """sympy's ``expand(x)``, without its walk when ``x`` is already expanded (as sums of sizes mostly are)."""
    return x if _is_expanded(x) else sympy().expand(x)


@functools.lru_cache(maxsize=65536)
def _is_expanded(x) -> bool:
    """Whether ``expand`` leaves ``x`` as it is, known for certain forms only: numbers and symbols; sums and
    products of expanded terms with no sum among the factors; whole powers of a symbol or of a floor, ceiling,
    max or min; and those functions of expanded arguments. False means unknown."""
    s = sympy()
    if x.is_Number or x.is_Symbol:
        return True
    if x.is_Add or x.is_Mul:
        return all(not a.is_Add and _is_expanded(a) for a in x.args)
    if x.is_Pow:
        return bool(x.exp.is_Integer) and (x.base.is_Symbol or isinstance(x.base, (s.floor, s.ceiling, s.Max, s.Min))) \
            and _is_expanded(x.base)
    if isinstance(x, (s.floor, s.ceiling, s.Max, s.Min)):
        return all(_is_expanded(a) for a in x.args)
    return False


def can_be_positive(x) -> bool:
    """``positive(x) is not False``: whether x > 0 for some values of the symbols, as far as ``positive`` knows.
    A value > 0 at one sample point settles it without sympy's assumptions (which can only prove x <= 0 for
    every value when that is true)."""
    if type(x) in _EXPRESSIONS:  # a symbolic size, asked of every layer's output: no conversion to make
        return _can_be_positive(x)
    if is_concrete(x):
        return x > 0
    return _can_be_positive(sympy().sympify(x))


def can_be_positive_plus(x, c) -> bool:
    """``can_be_positive(plus(x, c))`` for a number c, without building the sum where x has a lower bound: then
    so has x + c (its terms but the constant are x's), and ``can_be_positive`` answers True for it."""
    if type(c) is int and not is_concrete(x) \
            and type(_lower_bound(x if type(x) in _EXPRESSIONS else sympy().sympify(x))) is not float:
        return True
    return can_be_positive(plus(x, c))


@functools.lru_cache(maxsize=65536)
def _can_be_positive(x) -> bool:  # asked of every symbolic output size: a model repeats a few
    if type(_lower_bound(x)) is not float:
        return True  # positive() answers True or None then
    if any((y := value_at(x, v)) is not None and y > 0 for v in SAMPLES):
        return True
    return positive(x) is not False


def positive(x) -> bool | None:
    if type(x) is int or is_concrete(x):
        return x > 0
    x = sympy().sympify(x)
    bound = _lower_bound(x)
    if type(bound) is not float:  # the exact minimum (see _lower_bound): positive everywhere, or only for some values
        return True if bound > 0 else None
    if _signs_differ(x, lambda y: y > 0):  # positive at one sample, not at another: sympy can only say None
        return None
    return known(x.is_positive)


def _signs_differ(x, holds) -> bool:
    """Whether ``holds`` is true of ``x`` at one sample point and false at another: then no answer for every
    value of the symbols exists, and sympy's assumptions (milliseconds on sizes with floors) would say None."""
    seen = {holds(y) for y in (value_at(x, v) for v in SAMPLES) if y is not None}
    return len(seen) == 2


def nonnegative(x) -> bool | None:
    if is_concrete(x):
        return x >= 0
    x = sympy().sympify(x)
    bound = _lower_bound(x)
    if type(bound) is not float:
        return True if bound >= 0 else None
    if _floors_relaxed_bound(x) >= 0:  # a proof (sympy's assumptions, tens of ms here, find none: FCN's crop)
        return True
    if _signs_differ(x, lambda y: y >= 0):
        return None
    return known(x.is_nonnegative)


def _floors_relaxed_bound(x):
    """A lower bound of a sum with floors of sizes in it (-H + 32*floor((H + 5)/32) + 64, FCN's crop margin):
    each c*floor(y) is replaced by what bounds it from below, c*(y - 1 + 1/d) for c > 0 (y's rational coefficients
    over whole-valued parts have common denominator d, so y - floor(y) <= 1 - 1/d) and c*y for c < 0; the
    result, a sum without those floors, is expanded and bounded by ``_lower_bound``. -inf when that fails."""
    s = sympy()
    pairs = []
    for term in s.Add.make_args(x):
        coeff, rest = term.as_coeff_Mul()
        if isinstance(rest, s.floor) and coeff.is_Rational:
            pairs.append((rest, int(coeff.p) if coeff.q == 1 else Fraction(int(coeff.p), int(coeff.q))))
        else:
            pairs.append((term, 1))
    return _relaxed_bound(pairs, 0)


def _relaxed_bound(pairs, constant):
    """``_floors_relaxed_bound`` of ``constant + sum(c * o for o, c in pairs)`` (sympy objects o, numbers c), read
    off the pairs: each floor o is relaxed as described there."""
    s = sympy()
    relaxed = []  # (term, coefficient) pairs of the relaxed sum, and its constant: built directly by _linear
    changed = False
    for o, c in pairs:
        if isinstance(o, s.floor):
            inner = o.args[0]
            parts = [t.as_coeff_Mul() for t in s.Add.make_args(inner)]
            if not all(k.is_Rational and (r is s.S.One or _whole(r)) for k, r in parts):
                return -math.inf
            d = math.lcm(*(int(k.q) for k, _ in parts))
            relaxed.append((inner, c))
            if c > 0:
                constant += _times(c, Fraction(1 - d, d))  # c * (1/d - 1)
            changed = True
        else:
            relaxed.append((o, c))
    if not changed:
        return -math.inf
    bound = _bound_of_linear(relaxed, constant)
    return _lower_bound(_expand(_linear(relaxed, constant))) if bound is None else bound


def fits(size, part, offset) -> bool | None:
    """``nonnegative(size - part - offset)``: does a crop of ``part`` pixels starting at ``offset`` fit in
    ``size``? For two expressions and a whole offset, proved from their terms where it can be (their bound, then
    the floor relaxation, as ``nonnegative`` tries them on the built difference) without building the
    difference; else the difference is built and asked."""
    if type(size) is int and type(part) is int and type(offset) is int:
        return size - part - offset >= 0
    if type(size) in _EXPRESSIONS and type(part) in _EXPRESSIONS and type(offset) is int:
        collected = _collected(((size, 1), (part, -1)), -offset)
        if collected is not None:
            constant, coefficients = collected
            pairs = [(term, c) for term, (c, _) in coefficients.items() if c]
            bound = _bound_of_linear(pairs, constant)
            if bound is not None and type(bound) is not float and bound >= 0:
                return True
            if _relaxed_bound(pairs, constant) >= 0:
                return True
    return nonnegative(difference(difference(size, part), offset))


def _times(a, b):
    """a * b for ints and Fractions, an int where it is whole, without Fraction arithmetic where an int factor
    cancels the other's denominator (32 * 5/32)."""
    if type(a) is int:
        if type(b) is int:
            return a * b
        if not a % b.denominator:
            return a // b.denominator * b.numerator
    elif type(b) is int and not b % a.denominator:
        return b // a.denominator * a.numerator
    out = a * b
    return out.numerator if out.denominator == 1 else out


def _bound_of_linear(pairs, constant):
    """``_lower_bound(_expand(_linear(pairs, constant)))`` for sympy objects in ``pairs``, read off the terms that
    ``_collected`` gives, without building the sum, where every term is expanded (then the sum is too): each c*t is
    bounded as _lower_bound bounds that product (t's bound for c = 1, c times it for c > 0 and a bound >= 0, -inf
    otherwise). None anywhere else."""
    collected = _collected(pairs, constant)
    if collected is None:
        return None
    bound, coefficients = collected
    for term, (c, _) in coefficients.items():
        if not c:
            continue
        if not _is_expanded(term):
            return None
        b = _lower_bound(term)
        if type(b) is float:
            return b
        if c == 1:
            bound += b
        elif c > 0 and b >= 0:
            bound += c * b
        else:
            return -math.inf
    return bound


def whole(x) -> bool | None:
    """Whether ``x`` is a whole number for every value of the symbols (sizes built of integer symbols, whole
    coefficients, floors and maxima are), found by one cached walk; sympy's assumptions only when that fails."""
    if is_concrete(x):
        return normalize(x).__class__ is int
    return _whole(sympy().sympify(x))


@functools.lru_cache(maxsize=65536)
def _whole(x) -> bool | None:
    s = sympy()
    if x.is_Number:
        return bool(x.is_Integer)
    if x.is_Symbol:
        return x.is_integer
    if isinstance(x, (s.floor, s.ceiling)):  # sympy's own rule, read without its assumptions' deductions
        if getattr(x, "_assumptions", {}).get("integer") is True:  # told so when built (_whole_floor): no walk
            return True
        return True if _real(x.args[0]) else x.is_integer
    if x.is_Add or x.is_Mul or isinstance(x, (s.Max, s.Min)):
        if all(_whole(a) for a in x.args):
            return True
    elif x.is_Pow and x.exp.is_Integer and x.exp >= 0 and _whole(x.base):
        return True
    return known(x.is_integer)


@functools.lru_cache(maxsize=65536)
def _real(x) -> bool:
    """Whether ``x`` is real for every value of the symbols, known by one walk for sizes: rationals, real symbols,
    and sums, products, whole powers, floors, ceilings and maxima of real values (True is a proof; False means
    unknown here)."""
    s = sympy()
    if x.is_Number:
        return bool(x.is_Rational)
    if x.is_Symbol:
        return x.is_real is True
    if x.is_Add or x.is_Mul or isinstance(x, (s.floor, s.ceiling, s.Max, s.Min)):
        return all(_real(a) for a in x.args)
    if x.is_Pow:
        return bool(x.exp.is_Integer) and _real(x.base) and (x.exp >= 0 or _lower_bound(x.base) > 0)
    return False


@functools.lru_cache(maxsize=65536)
def _lower_bound(x):
    """A lower bound of expression x over positive integer symbols, found by one walk (sympy's assumptions are
    far slower on sizes): symbols are >= 1, a floor's bound is the floor of its argument's, a max's the largest of
    its arguments', and a sum or product of non-negative parts is bounded by the same of their bounds. -inf when
    no bound is found this way (then sympy is asked).

    A finite bound is the exact minimum: it is only found for expressions built by operations that never decrease
    when a symbol grows, so it is their value with every symbol at 1, which is attained. A bound is an int or a
    Fraction; -inf is the only float, so callers ask ``type(b) is float`` (comparing a Fraction with a float is a
    slow conversion)."""
    seeded = _seeded_bounds.pop(x, None)
    if seeded is not None:
        return seeded
    s = sympy()
    if x.is_Number:
        return (int(x.p) if x.q == 1 else Fraction(int(x.p), int(x.q))) if x.is_Rational else -math.inf
    if x.is_Symbol:
        return 1 if x.is_integer and x.is_positive else -math.inf
    if isinstance(x, s.floor):
        b = _lower_bound(x.args[0])
        return math.floor(b) if type(b) is not float else b
    if isinstance(x, s.Max):
        return max(_lower_bound(a) for a in x.args)
    if x.is_Add:
        bounds = [_lower_bound(a) for a in x.args]
        return -math.inf if float in map(type, bounds) else sum(bounds)
    if x.is_Mul:
        out = 1
        for a in x.args:
            b = _lower_bound(a)
            if b < 0:
                return -math.inf
            out *= b
        return out
    if x.is_Pow and x.exp.is_Integer and x.exp > 0:
        b = _lower_bound(x.base)
        return b ** int(x.exp) if b >= 0 else -math.inf
    return -math.inf


def divisible(a, b) -> bool | None:
    if type(a) is int and type(b) is int:
        return b != 0 and a % b == 0
    if is_concrete(a) and is_concrete(b):
        return b != 0 and Fraction(a) % Fraction(b) == 0
    if isinstance(b, int) and not isinstance(b, bool) and b > 0 and not is_concrete(a):
        return _divisible_by(sympy().sympify(a), b)
    if a is b or (not is_concrete(a) and a == b):  # Mod(x, x) is 0 in sympy (a depthwise conv's groups)
        return True
    return equal(sympy().Mod(a, b), 0)


@functools.lru_cache(maxsize=65536)
def _divisible_by(a, b: int) -> bool | None:
    """Whether whole b > 0 divides ``a`` for every value of the symbols, read off its terms: when every term but
    the constant is a multiple of b times a whole-valued part, the constant decides; otherwise unknown (None)."""
    constant = 0
    for term in sympy().Add.make_args(a):
        coeff, rest = term.as_coeff_Mul()
        if rest == 1:
            constant = coeff
        elif not (coeff.is_Integer and int(coeff) % b == 0 and _whole(rest)):
            return None
    return constant.is_Integer and int(constant) % b == 0 if hasattr(constant, "is_Integer") else constant % b == 0


def to_json(x):
    """JSON form: ints stay numbers, Fractions become 'p/q', expressions Python-syntax strings ('18*c**2')."""
    x = normalize(x)
    if isinstance(x, bool) or x is None or isinstance(x, (int, float, str)):
        return x
    if isinstance(x, Fraction):
        return f"{x.numerator}/{x.denominator}"
    return _text(x)


def _text(x) -> str:
    return expression_text(x) if _sympy is not None and isinstance(x, _sympy.Basic) else str(x)


@functools.lru_cache(maxsize=4096)
def expression_text(x) -> str:
    """The printed form of a sympy expression, cached: a model repeats a few distinct sizes many times (resnet152
    prints 10,015 values, 64 of them distinct) and sympy's printer is slow. Renderers print through this."""
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
        return _text(x)
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
    if type(x) is int:
        return x
    from .errors import RuleError

    x = normalize(x)
    if isinstance(x, Fraction):
        raise RuleError(f"{what} must be a whole number, got {x} ({float(x):g})")
    if isinstance(x, float):
        if x != math.floor(x):
            raise RuleError(f"{what} must be a whole number, got {x:g}")
        return int(x)
    return x


def clear_caches() -> None:
    """Forget every remembered symbolic result (for benchmarks that time a first analysis)."""
    for cached in (_floordiv, _product, _sum, _difference, _can_be_positive, _lower_bound, _whole, _real, _value,
                   _is_expanded, _divisible_by, expression_text, _factors, _power, _shifted_floordiv,
                   _coefficient_and_term, _rational, _zero_everywhere, _compare, _max_of):
        cached.cache_clear()
    _products_of.clear()
    _terms_of.clear()
    _seeded_bounds.clear()
    if _sympy is not None:
        _sympy.core.cache.clear_cache()
