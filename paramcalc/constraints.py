"""Derived shape constraints: sizes a merge needs equal that are equal only for some symbol values ('H % 32 == 0').

The engine collects (layer, lhs, rhs) whenever a merge (add, multiply, concat) sees two sizes whose equality depends
on the symbols (``num.equal`` answers None). Here each condition is put in its simplest form: with one symbol, the
set of values that satisfy it is found exactly and, when it is periodic, written as ``H % 32 == 0``.
Only models with symbols get here, so sympy is already loaded.
"""

from __future__ import annotations

from . import num
from .records import field, record

SCAN = 512          # values 1..SCAN of the symbol are checked exactly
MIN_CHECKED = 64    # a period must be confirmed over at least this many values


@record
class Constraint:
    """A condition on the symbols without which some merge's inputs would not line up."""

    text: str            # 'H % 32 == 0', or the raw equation 'floor(H/32) == H/32' when no simpler form is found
    layers: tuple        # the layers that need it
    sides: tuple = field(default=(), repr=False)  # (lhs, rhs): the sizes of the first merge that needs it
    symbol: str | None = None
    modulus: int | None = None
    residues: tuple = ()  # the symbol's allowed values modulo `modulus`

    @property
    def equation(self) -> str:
        """The raw equation 'lhs == rhs', for reference: printed when asked (JSON output), not by every analysis
        (sympy's printer takes about a millisecond for GoogLeNet's, more than finding the condition)."""
        return _equation(*self.sides) if self.sides else self.text

    def holds(self, values: dict) -> bool | None:
        """Whether the condition holds for the given symbol values (None if it cannot tell)."""
        if self.modulus is not None and self.symbol in values:
            return values[self.symbol] % self.modulus in self.residues
        return None

    def implies(self, other: "Constraint") -> bool:
        """True when every value allowed here is allowed by ``other`` (32 | H implies 2 | H)."""
        return (self.symbol is not None and self.symbol == other.symbol and self.modulus is not None
                and other.modulus is not None and self.modulus % other.modulus == 0
                and all(r % other.modulus in other.residues for r in self.residues))


def _satisfied(difference, symbol, values):
    """The values at which ``difference`` is zero, evaluated exactly by one compiled function (paramcalc.exact)."""
    from .exact import compile_exact

    f = compile_exact([difference], [symbol])
    return [v for v in values if f(v)[0] == 0]


def _periodic(good: list, values: range):
    """Smallest modulus m and residue set R such that v is good exactly when v % m is in R.

    Over consecutive values that holds exactly when whether v is good repeats with period m (each residue class is
    then all good or all bad), which one comparison of the flags with themselves shifted by m tells."""
    if not good or len(values) < MIN_CHECKED:
        return None
    assert values.step == 1
    wanted = set(good)
    flags = [v in wanted for v in values]
    for m in range(2, len(values) // 4 + 1):
        if flags[m:] == flags[:-m]:
            residues = {v % m for v in good}
            if len(residues) < m:  # m == len(residues) only when every value is good: no condition
                return m, tuple(sorted(residues))
    return None


def _text(symbol, m, residues) -> str:
    if len(residues) == 1:
        return f"{symbol} % {m} == {residues[0]}"
    return f"{symbol} % {m} in {{{', '.join(map(str, residues))}}}"


def _equation(lhs, rhs) -> str:
    return f"{num.show(lhs)} == {num.show(rhs)}"


def simplify(lhs, rhs, known: dict | None = None) -> tuple:
    """(text, symbol, modulus, residues) for the condition lhs == rhs. The equation is printed only when it is
    the text (sympy's printer is most of the cost here). ``known`` remembers the periodic form found for each
    difference lhs - rhs: merges at several scales often differ by the same amount (each of GoogLeNet's odd-kernel
    conditions is -k5 + 2*floor(k5/2) + 1 == 0, met at three map sizes)."""
    difference = num.sympy().sympify(num.difference(lhs, rhs))  # what sympy's lhs - rhs builds (remembered)
    free = sorted(difference.free_symbols, key=str)
    if len(free) != 1:
        return _equation(lhs, rhs), None, None, ()
    symbol = free[0]
    if known is not None and difference in known:
        found = known[difference]
    else:
        values = range(1, SCAN + 1)
        found = _periodic(_satisfied(difference, symbol, values), values)
        if known is not None:
            known[difference] = found
    if found is None:
        return _equation(lhs, rhs), str(symbol), None, ()
    m, residues = found
    return _text(symbol, m, residues), str(symbol), m, residues


def derive(found) -> tuple:
    """Constraints from the engine's (layer, lhs, rhs) triples, one per distinct condition, in first-seen order.
    A condition implied by a stronger one is folded into it (its layers listed there)."""
    by_text: dict[str, list] = {}
    info: dict[str, tuple] = {}
    simplest: dict[tuple, tuple] = {}  # each distinct pair once: GoogLeNet's 9 concats x 2 axes ask 3 pairs
    periodic: dict = {}  # each distinct difference once: those 3 pairs differ by the same amount
    for layer, lhs, rhs in found:
        if (lhs, rhs) not in simplest:
            simplest[lhs, rhs] = simplify(lhs, rhs, periodic)
        text, symbol, m, residues = simplest[lhs, rhs]
        layers = by_text.setdefault(text, [])
        if layer not in layers:
            layers.append(layer)
        if text not in info:  # the first pair's sides, printed as the equation when asked
            info[text] = ((lhs, rhs), symbol, m, residues)
    every = [Constraint(text, tuple(layers), *info[text]) for text, layers in by_text.items()]
    kept = [c for c in every if not any(o is not c and o.implies(c) and not c.implies(o) for o in every)]
    out = []
    for k in kept:
        layers = list(k.layers)
        for c in every:
            if c not in kept and k.implies(c):
                layers += [l for l in c.layers if l not in layers]
        out.append(Constraint(k.text, tuple(layers), k.sides, k.symbol, k.modulus, k.residues))
    return tuple(out)
