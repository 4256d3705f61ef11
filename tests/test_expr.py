"""The whitelist expression parser: exact arithmetic it accepts, and everything it refuses.

Accepted: ints, exact fractions and sympy symbols with + - * / // % **, min, max, floor, ceil. Refused: attribute
access, calls, subscripts, lambdas, strings, huge powers, overlong text.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from paramcalc.errors import RuleError
from paramcalc.expr import MAX_TEXT, ExprError, evaluate, parse


@pytest.mark.parametrize("text,env,value", [
    ("4*c", {"c": 64}, 256),
    ("c//2 + 1", {"c": 7}, 4),
    ("2**k", {"k": 5}, 32),
    ("2 + 3*4", {}, 14),
    ("(2 + 3)*4", {}, 20),
    ("2**3**2", {}, 512),            # right-associative, as in Python
    ("-3 + 5", {}, 2),
    ("+7", {}, 7),
    ("17 % 5", {}, 2),
    ("a*b - c", {"a": 3, "b": 4, "c": 5}, 7),
    ("  4 * c  ", {"c": 2}, 8),
])
def test_integer_arithmetic(text, env, value):
    got = evaluate(text, env)
    assert got == value and type(got) is int


@pytest.mark.parametrize("text,value", [("7//2", 3), ("-7//2", -4), ("7.5//2", 3), ("1//3", 0), ("9//3", 3)])
def test_floor_division_rounds_towards_minus_infinity(text, value):
    assert evaluate(text, {}) == value


def test_division_is_exact_and_whole_results_are_ints():
    assert evaluate("1/3", {}) == Fraction(1, 3)
    assert evaluate("1/3 + 1/6", {}) == Fraction(1, 2)
    assert evaluate("0.1 + 0.2", {}) == Fraction(3, 10)       # decimals are read exactly, not as binary floats
    got = evaluate("3/4*8", {})
    assert got == 6 and type(got) is int
    assert evaluate("32*alpha", {"alpha": Fraction(3, 4)}) == 24


def test_yaml_numbers_are_read_exactly():
    assert evaluate(0.75, {}) == Fraction(3, 4)
    assert evaluate(0.1, {}) == Fraction(1, 10)
    assert evaluate(2.0, {}) == 2 and type(evaluate(2.0, {})) is int
    assert evaluate(12, {}) == 12


@pytest.mark.parametrize("text,env,value", [
    ("max(8, c//4)", {"c": 64}, 16),
    ("max(8, c//4)", {"c": 16}, 8),
    ("min(3, 2, 5)", {}, 2),
    ("floor(7/2)", {}, 3),
    ("ceil(7/2)", {}, 4),
    ("floor(-7/2)", {}, -4),
    ("ceil(-7/2)", {}, -3),
    ("ceil(c*0.25)", {"c": 10}, 3),
])
def test_min_max_floor_ceil(text, env, value):
    assert evaluate(text, env) == value


def test_symbols_become_exact_sympy_expressions():
    sympy = pytest.importorskip("sympy")
    from paramcalc.num import symbol

    c, k = symbol("c"), symbol("k")
    env = {"c": c, "k": k}
    assert sympy.expand(evaluate("4*c", env) - 4 * c) == 0
    assert evaluate("c//2", env) == sympy.floor(c / 2)
    assert evaluate("c/2", env) == c / 2
    assert evaluate("max(8, c)", env) == sympy.Max(8, c)
    assert evaluate("min(c, k)", env) == sympy.Min(c, k)
    assert sympy.expand(evaluate("(c + 1)**2", env) - (c**2 + 2 * c + 1)) == 0
    assert sympy.expand(evaluate("9*c*c + 9*c*c", env) - 18 * c**2) == 0


def test_a_symbolic_exponent_is_refused():
    from paramcalc.num import symbol

    with pytest.raises(ExprError, match="exponent"):
        evaluate("2**k", {"k": symbol("k")})


def test_parse_reports_the_names_used():
    assert parse("4*c + c//2 - max(k, 3)").names == frozenset({"c", "k"})
    assert parse("12").names == frozenset()


def test_undeclared_name_is_named_with_a_suggestion():
    with pytest.raises(ExprError, match=r"undeclared symbol 'chanels'; did you mean 'channels'"):
        evaluate("2*chanels", {"channels": 8})
    with pytest.raises(ExprError, match=r"undeclared symbol 'x' \(declared: none\)"):
        evaluate("x", {})


@pytest.mark.parametrize("text", ["1/0", "1//0", "5 % 0", "c/(c-8)", "c//(c - c)"])
def test_division_by_zero_is_an_error(text):
    with pytest.raises(ExprError, match="division by zero"):
        evaluate(text, {"c": 8})


@pytest.mark.parametrize("text", [
    # attribute access and dunder escapes
    "c.real", "(1).__class__", "().__class__.__bases__[0].__subclasses__()", "c.__class__",
    # calls other than min/max/floor/ceil, and those with the wrong arguments
    "abs(c)", "__import__('os')", "open('/tmp/x', 'w')", "eval('1')", "exec('1')", "getattr(c, 'real')",
    "max(a=1)", "floor(1, 2)", "ceil()", "min()", "c(1)", "max(*c)",
    # subscripts, slices, containers, comprehensions
    "c[0]", "[1, 2][0]", "[1, 2]", "(1, 2)", "{1: 2}", "{1}", "[x for x in c]",
    # lambdas, conditionals, comparisons, boolean and bitwise operators, walrus
    "lambda: 1", "(lambda x: x)(1)", "1 if c else 2", "c > 1", "c == 1", "c and 1", "not c",
    "1 << 100", "1 | 2", "3 ^ 2", "~1", "(x := 1)", "c @ c",
    # strings, bytes, f-strings, other literals
    "'a'", "'a' * 3", "b'a'", "f'{c}'", "True", "None", "...", "1j",
    # not an expression at all
    "", "1 +", "import os", "c = 1", "1; 2",
])
def test_everything_outside_the_whitelist_is_refused(text):
    with pytest.raises(ExprError):
        evaluate(text, {"c": 8})


@pytest.mark.parametrize("text", ["2**100000000", "10**10**10", "2**-1", "4**0.5", "2**65"])
def test_huge_or_odd_exponents_are_refused(text):
    with pytest.raises(ExprError, match="exponent"):
        evaluate(text, {})


@pytest.mark.parametrize("text", ["2**62 * 2**62", "64**64", "9" * 30 + " + 1", "max(2**63, 4) * 4"])
def test_values_beyond_2_to_the_63_are_refused(text):
    with pytest.raises(ExprError, match="too large"):
        evaluate(text, {})


def test_overlong_text_is_refused_before_parsing():
    with pytest.raises(ExprError, match=f"longer than {MAX_TEXT}"):
        evaluate("1+" * MAX_TEXT + "1", {})
    assert evaluate("+".join(["1"] * 100), {}) == 100  # 199 characters: fine


@pytest.mark.parametrize("value", [True, False, None, [1, 2], {"a": 1}, float("inf"), float("nan")])
def test_non_numbers_from_yaml_are_refused(value):
    with pytest.raises(ExprError):
        evaluate(value, {})


def test_expression_errors_are_rule_errors_the_cli_can_report():
    assert issubclass(ExprError, RuleError)


def test_refusal_happens_at_parse_time_so_nothing_is_evaluated(tmp_path):
    marker = tmp_path / "written"
    with pytest.raises(ExprError):
        parse(f"open('{marker}', 'w').write('x')")
    assert not marker.exists()


@pytest.mark.parametrize("text", ["1e400", "-1e400 + 1", "1e400 - 1e400"])
def test_literals_that_overflow_to_infinity_are_refused(text):
    # YAML reads 1e400 (no dot) as a string; Python's parser turns it into inf
    with pytest.raises(ExprError, match="not a finite number"):
        evaluate(text, {})
