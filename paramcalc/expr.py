"""The whitelist parser and evaluator for size expressions in YAML values: '4*c', 'c//2', '2**k', 'max(8, c//4)'.

Text is parsed with Python's ``ast`` (parsing only: nothing is executed) and every node is checked against a short
whitelist: integer and decimal literals, declared names, + - * / // % **, unary minus, parentheses and the
functions min, max, floor and ceil. Never ``eval``, never ``sympify`` on file text.
"""

from __future__ import annotations

import ast
import math
from fractions import Fraction
from functools import lru_cache

from . import num
from .errors import RuleError, shorten
from .records import record

TYPE_CHECKING = False  # typing is not imported at run time: annotations only
if TYPE_CHECKING:
    from typing import Mapping

MAX_TEXT = 200
MAX_EXPONENT = 64
MAX_MAGNITUDE = 2**63

_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_FUNCTIONS = ("min", "max", "floor", "ceil")


class ExprError(RuleError):
    """An expression that is not allowed or cannot be evaluated."""


@record
class Expr:
    """A parsed, validated expression."""

    text: str
    tree: ast.expr
    names: frozenset


@lru_cache(maxsize=4096)
def parse(text: str) -> Expr:
    """Parse and validate ``text``.

    >>> sorted(parse("4*c + c//2").names)
    ['c']
    """
    if len(text) > MAX_TEXT:
        raise ExprError(f"expression longer than {MAX_TEXT} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise ExprError(f"cannot read {shorten(text)} as an arithmetic expression") from None
    names: set[str] = set()
    _check(tree, text, names)
    return Expr(text, tree, frozenset(names))


def _check(node: ast.AST, text: str, names: set[str]) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExprError(f"{shorten(text)}: only numbers are allowed as literals, not {shorten(node.value)}")
        if isinstance(node.value, float) and not math.isfinite(node.value):  # '1e400' reads as inf
            raise ExprError(f"{shorten(text)}: {node.value} is not a finite number")
    elif isinstance(node, ast.Name):
        names.add(node.id)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, _BINOPS):
        _check(node.left, text, names)
        _check(node.right, text, names)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        _check(node.operand, text, names)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS:
        if node.keywords or not node.args or (node.func.id in ("floor", "ceil") and len(node.args) != 1):
            raise ExprError(f"{shorten(text)}: wrong arguments to {node.func.id}()")
        for arg in node.args:
            _check(arg, text, names)
    else:
        what = type(node).__name__
        if isinstance(node, ast.Call):
            what = "a call (only min, max, floor, ceil are allowed)"
        raise ExprError(f"{shorten(text)}: {what} is not allowed in a size expression "
                        f"(numbers, names, + - * / // % ** and min/max/floor/ceil only)")


def evaluate(value, env: Mapping[str, object], what: str = "value"):
    """Evaluate a YAML value: an int, a decimal, or an expression string over ``env``.

    >>> evaluate("4*c", {"c": 64})
    256
    >>> evaluate("c//2 + 1", {"c": 7})
    4
    """
    if isinstance(value, bool):
        raise ExprError(f"{what}: expected a number or an expression, got {value}")
    if isinstance(value, int):
        if abs(value) > MAX_MAGNITUDE:
            raise ExprError(f"{what}: {shorten(value)} is too large (the limit is 2**63)")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ExprError(f"{what}: {value} is not a finite number")
        if abs(value) > MAX_MAGNITUDE:
            raise ExprError(f"{what}: {value} is too large (the limit is 2**63)")
        return num.normalize(Fraction(str(value)))
    if isinstance(value, str):
        return _eval(parse(value).tree, env, value)
    raise ExprError(f"{what}: expected a number or an expression, got {type(value).__name__} {value!r}")


def _limit(x, text):
    if num.is_concrete(x) and abs(x) > MAX_MAGNITUDE:
        raise ExprError(f"{shorten(text)}: value too large (the limit is 2**63)")
    return num.normalize(x)


def _eval(node, env, text):
    if isinstance(node, ast.Constant):
        v = node.value
        if abs(v) > MAX_MAGNITUDE:
            raise ExprError(f"{shorten(text)}: value too large (the limit is 2**63)")
        return v if isinstance(v, int) else num.normalize(Fraction(repr(v)))
    if isinstance(node, ast.Name):
        if node.id not in env:
            import difflib  # only for a 'did you mean' hint: kept off the start-up path

            hint = difflib.get_close_matches(node.id, list(env), n=1)
            declared = ", ".join(sorted(env)) or "none"
            extra = f"; did you mean '{hint[0]}'?" if hint else f" (declared: {declared})"
            raise ExprError(f"{shorten(text)}: undeclared symbol '{node.id}'{extra}")
        value = env[node.id]
        if value is None or isinstance(value, (bool, str, list, tuple, dict)):
            # A block argument given a word or a list ({type: b, n: [8, 16]}) must not reach the arithmetic.
            raise ExprError(f"{shorten(text)}: '{node.id}' is {shorten(value)}, not a number")
        return value
    if isinstance(node, ast.UnaryOp):
        x = _eval(node.operand, env, text)
        return num.normalize(-x) if isinstance(node.op, ast.USub) else x
    if isinstance(node, ast.Call):
        args = [_eval(a, env, text) for a in node.args]
        return _limit(_call(node.func.id, args), text)
    a = _eval(node.left, env, text)
    b = _eval(node.right, env, text)
    op = node.op
    if isinstance(op, (ast.Div, ast.FloorDiv, ast.Mod)) and num.is_concrete(b) and b == 0:
        raise ExprError(f"{shorten(text)}: division by zero")
    concrete = num.is_concrete(a) and num.is_concrete(b)
    if isinstance(op, ast.Add):
        r = a + b if concrete else num.plus(a, b)  # with symbols, built directly as sympy would build them
    elif isinstance(op, ast.Sub):
        r = a - b if concrete else num.difference(a, b)
    elif isinstance(op, ast.Mult):
        r = a * b if concrete else num.prod((a, b))
    elif isinstance(op, ast.Div):
        r = num.div(a, b)
    elif isinstance(op, ast.FloorDiv):
        r = num.floordiv(a, b)
    elif isinstance(op, ast.Mod):
        r = a % b if num.is_concrete(a) and num.is_concrete(b) else num.sympy().Mod(a, b)
    else:  # Pow
        if not (isinstance(b, int) and 0 <= b <= MAX_EXPONENT):
            raise ExprError(f"{shorten(text)}: exponents must be whole numbers from 0 to {MAX_EXPONENT}")
        r = a**b
    return _limit(r, text)


def _call(name, args):
    concrete = all(num.is_concrete(a) for a in args)
    if name == "min":
        return min(args) if concrete else num.sympy().Min(*args)
    if name == "max":
        return max(args) if concrete else num.sympy().Max(*args)
    if name == "floor":
        return num.floordiv(args[0], 1)
    return num.ceildiv(args[0], 1)
