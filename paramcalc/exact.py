"""Symbolic totals compiled to plain Python functions of whole numbers, exact to the last digit: floors become
integer floor division, rational coefficients a common denominator, repeated subexpressions are computed once.

`sweep` and `solve` evaluate one symbolic analysis at up to a million points; sympy's substitution costs about a
millisecond per expression and point, a compiled function a few microseconds for all of them together.
Only models with symbols get here, so sympy is already loaded.
"""

from __future__ import annotations

import math
from fractions import Fraction

from . import num


class Unsupported(Exception):
    """An expression this compiler does not translate (the caller substitutes it with sympy instead)."""


def _quotient(n, d):
    """n / d exactly: an int when it divides, else a Fraction."""
    if isinstance(n, int) and n % d == 0:
        return n // d
    out = Fraction(n, d)
    return out.numerator if out.denominator == 1 else out


class _Compiler:
    def __init__(self, symbols):
        self.names = {s: f"v{i}" for i, s in enumerate(symbols)}
        self.lines: list[str] = []
        self.done: dict = {}

    def value(self, e) -> str:
        """A Python expression (a literal, an argument or a temporary) for ``e``; each subexpression once."""
        if e.is_Integer:
            return str(int(e))
        if e.is_Symbol:
            if e not in self.names:
                raise Unsupported(f"free symbol {e}")
            return self.names[e]
        if e in self.done:
            return self.done[e]
        text = self._text(e)
        name = f"t{len(self.done)}"
        self.lines.append(f"    {name} = {text}")
        self.done[e] = name
        return name

    def _scaled(self, e) -> tuple[str, int]:
        """(N, D) with e == N / D, N a Python expression and D a positive int (the common denominator)."""
        terms = [t.as_coeff_Mul() for t in num.sympy().Add.make_args(e)]
        if any(not c.is_Rational for c, _ in terms):
            raise Unsupported(str(e))
        d = math.lcm(*(int(c.q) for c, _ in terms))
        parts = []
        for c, rest in terms:
            k = int(c.p) * (d // int(c.q))
            parts.append(str(k) if rest == 1 else f"{k}*{self.value(rest)}")
        return " + ".join(parts), d

    def _text(self, e) -> str:
        s = num.sympy()
        if e.is_Rational:
            return f"_F({int(e.p)}, {int(e.q)})"
        if e.is_Add:
            n, d = self._scaled(e)
            return f"({n})" if d == 1 else f"_q({n}, {d})"
        if e.is_Mul:
            c, factors = e.as_coeff_mul()
            product = "*".join(self.value(f) for f in factors)
            if not c.is_Rational:
                raise Unsupported(str(e))
            if c.is_Integer:
                return product if c == 1 else f"{int(c)}*{product}"
            return f"_q({int(c.p)}*{product}, {int(c.q)})"
        if e.is_Pow:
            if not (e.exp.is_Integer and e.exp > 0):
                raise Unsupported(str(e))
            return f"{self.value(e.base)}**{int(e.exp)}"
        if isinstance(e, s.floor):
            n, d = self._scaled(e.args[0])
            return f"(({n}) // {d})"  # floor division of an int or a Fraction by an int is an exact int
        if isinstance(e, s.ceiling):
            n, d = self._scaled(e.args[0])
            return f"(-(-({n}) // {d}))"
        if isinstance(e, (s.Max, s.Min)):
            return f"{'max' if isinstance(e, s.Max) else 'min'}({', '.join(self.value(a) for a in e.args)})"
        if isinstance(e, s.Mod):
            return f"({self.value(e.args[0])} % {self.value(e.args[1])})"
        if isinstance(e, s.Piecewise):
            text = "None"
            for value, condition in reversed(e.args):
                text = f"({self.value(value)} if {self._condition(condition)} else {text})"
            return text
        raise Unsupported(str(e))

    def _condition(self, c) -> str:
        s = num.sympy()
        if c is s.true:
            return "True"
        if c is s.false:
            return "False"
        ops = {s.Ge: ">=", s.Gt: ">", s.Le: "<=", s.Lt: "<", s.Eq: "==", s.Ne: "!="}
        for kind, op in ops.items():
            if isinstance(c, kind):
                return f"({self.value(c.lhs)} {op} {self.value(c.rhs)})"
        if isinstance(c, (s.And, s.Or)):
            joint = " and " if isinstance(c, s.And) else " or "
            return "(" + joint.join(self._condition(a) for a in c.args) + ")"
        if isinstance(c, s.Not):
            return f"(not {self._condition(c.args[0])})"
        raise Unsupported(str(c))


def compile_exact(expressions, symbols):
    """One function f(*values) -> tuple: each of ``expressions`` (sympy expressions, numbers or None) at
    ``values`` of ``symbols``, as exact ints (Fractions where a value is not whole).

    >>> import sympy
    >>> H = sympy.Symbol("H", integer=True, positive=True)
    >>> compile_exact([sympy.floor((H + 1) / 2) ** 2, 7], [H])(5)
    (9, 7)

    An expression it cannot translate, or one that still depends on other symbols, is substituted by sympy at
    each call (exact too, only slower).
    """
    s = num.sympy()
    compiler = _Compiler(symbols)
    results, slow = [], {}
    for i, e in enumerate(expressions):
        if e is None or num.is_concrete(e):
            results.append(repr(e) if not isinstance(e, Fraction) else f"_F({e.numerator}, {e.denominator})")
            continue
        mark = len(compiler.lines)
        try:
            results.append(compiler.value(s.sympify(e)))
        except Unsupported:
            del compiler.lines[mark:]
            compiler.done = {k: v for k, v in compiler.done.items() if int(v[1:]) < mark}
            slow[i] = s.sympify(e)
            results.append("None")
    source = "def _exact(" + ", ".join(f"v{i}" for i in range(len(symbols))) + "):\n"
    source += "\n".join(compiler.lines) + ("\n" if compiler.lines else "")
    source += "    return (" + "".join(f"{r}, " for r in results) + ")\n"
    namespace = {"_F": Fraction, "_q": _quotient}
    exec(compile(source, "<paramcalc.exact>", "exec"), namespace)  # source built above from numbers and v/t names
    fast = namespace["_exact"]
    if not slow:
        return fast
    symbols = tuple(symbols)

    def with_substitution(*values):
        out = list(fast(*values))
        env = dict(zip(symbols, values))
        for i, e in slow.items():
            out[i] = num.normalize(e.xreplace(env))
        return tuple(out)

    return with_substitution
