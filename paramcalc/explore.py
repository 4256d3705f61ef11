"""Totals of one architecture at many symbol values: one symbolic analysis substituted exactly, or the concrete
engine re-run per value. Shared by `solve` (search for the largest value within budgets) and `sweep` (a table).

A Point is what both report per combination of values: params, compute (MACs, or a convention's figure),
weight and activation memory and the receptive field, all exact ints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import num
from .errors import ParamcalcError, UsageError

def parse_quantity(text, what: str = "value") -> int:
    """'5M' -> 5_000_000, '1G' -> 10**9, '4Mi' -> 4_194_304, '256MiB' -> 268_435_456; exact, never a float.

    The units are check's budget units (paramcalc.budget.parse_quantity); a bad value names the option.
    """
    from .budget import BudgetError
    from .budget import parse_quantity as budget_quantity

    try:
        return budget_quantity(text, bytes_=True)
    except BudgetError as e:
        raise UsageError(f"{what}: {e}") from None


@dataclass(frozen=True)
class Point:
    """The totals at one combination of symbol values."""

    values: tuple          # ((name, value), ...)
    params: int
    compute: int
    weight_bytes: int
    activation_bytes: int
    receptive_field: int | None   # the largest side of the spatial receptive field (before it became whole)
    constraints_ok: bool = True   # whether the architecture's derived shape constraints hold here


def _field_size(rf):
    if rf is None or not rf.size:
        return None
    return num.maximum(rf.size)


class Evaluator:
    """Exact totals of an architecture as functions of some of its symbols.

    method 'symbolic': one analysis with those symbols left symbolic, then exact substitution per point;
    'concrete': the concrete engine re-run per point (also the fallback when a symbol cannot stay symbolic,
    e.g. it sets a `repeat:` count).
    """

    def __init__(self, target, symbols, *, sets=None, batch=1, dtype="fp32", convention=None, method="symbolic"):
        from .bundled import resolve
        from .graph import load_graph

        self.path = resolve(target)
        self.symbols = tuple(symbols)
        self.sets = dict(sets or {})
        self.batch, self.dtype = batch, dtype
        self.convention = convention
        from .spec import load_file

        raw = load_file(self.path)
        declared = raw.get("symbols") if isinstance(raw, dict) else None
        declared = declared if isinstance(declared, dict) else {}
        for name in self.symbols:
            if name in self.sets:
                raise UsageError(f"{name} is both searched/swept and given a value with --set")
            if name not in declared:
                listing = ", ".join(map(str, declared)) or "none"
                raise UsageError(f"{self.path} declares no symbol '{name}' (declared: {listing})")
        self.method = method
        self.analysis = None
        if method == "symbolic":
            try:
                overrides = {**self.sets, **{n: num.symbol(n) for n in self.symbols}}
                graph = load_graph(self.path, overrides=overrides)
                from .engine import analyze

                self.analysis = analyze(graph, batch=batch, dtype=dtype)
            except ParamcalcError as e:
                if "whole number known when the file is read" not in str(e):
                    raise
                self.method = "concrete"  # a symbol that sets a repeat count: re-run per value
        if self.analysis is not None:
            self._prepare_symbolic()
        else:
            self._check_symbols()

    # -- symbolic
    def _prepare_symbolic(self):
        from .conventions import apply

        a = self.analysis
        t = a.totals
        ct = apply(a, self.convention) if self.convention else None
        self.constraints = a.constraints
        self.exprs = {
            "params": ct.params if ct else t.params,
            "compute": ct.compute if ct else t.macs,
            "weight_bytes": t.weight_bytes,
            "activation_bytes": t.activation_bytes,
        }
        rf = t.spatial_receptive_field if t.receptive_field is None or t.receptive_field.whole else t.receptive_field
        self.exprs["receptive_field"] = _field_size(rf)
        s = num.sympy()
        self._syms = [s.Symbol(n, integer=True, positive=True) for n in self.symbols]

    def _exact(self, expr, values):
        if expr is None or num.is_concrete(expr):
            return expr
        s = num.sympy()
        out = s.sympify(expr).subs(dict(zip(self._syms, values)))
        out = num.normalize(out)
        if not num.is_concrete(out):
            raise UsageError(f"the totals still depend on {', '.join(sorted(map(str, out.free_symbols)))}: "
                             f"give them values with --set")
        return out

    # -- concrete
    def _check_symbols(self):
        self.constraints = ()

    def _concrete(self, values):
        from .conventions import apply
        from .engine import analyze
        from .graph import load_graph

        graph = load_graph(self.path, overrides={**self.sets, **dict(zip(self.symbols, values))})
        a = analyze(graph, batch=self.batch, dtype=self.dtype)
        t = a.totals
        ct = apply(a, self.convention) if self.convention else None
        if graph.symbolic:
            free = [n for n, v in graph.symbols if not num.is_concrete(v)]
            raise UsageError(f"the totals still depend on {', '.join(free)}: give them values with --set")
        rf = t.spatial_receptive_field if t.receptive_field is None or t.receptive_field.whole else t.receptive_field
        return {"params": ct.params if ct else t.params, "compute": ct.compute if ct else t.macs,
                "weight_bytes": t.weight_bytes, "activation_bytes": t.activation_bytes,
                "receptive_field": _field_size(rf)}

    def at(self, values) -> Point:
        """Exact totals at ``values`` (one per symbol, in order). A size that comes out empty is an error."""
        values = tuple(int(v) for v in values)
        if self.analysis is not None:
            self._check_shapes(values)
            got = {k: self._exact(e, values) for k, e in self.exprs.items()}
            for key in ("params", "compute", "activation_bytes"):
                if got[key] is not None and got[key] < 0:
                    raise UsageError(f"at {self._describe(values)} some layer's output would be empty")
            ok = all(c.holds(dict(zip(self.symbols, values))) is not False for c in self.constraints)
        else:
            got = self._concrete(values)
            ok = True
        return Point(tuple(zip(self.symbols, values)), got["params"], got["compute"], got["weight_bytes"],
                     got["activation_bytes"], got["receptive_field"], ok)

    def valid(self, values) -> bool:
        """Whether the architecture can be built at ``values`` (every layer non-empty)."""
        if self.analysis is None:
            try:
                self._concrete(tuple(values))
                return True
            except ParamcalcError:
                return False
        try:
            self._check_shapes(values)
            return True
        except ParamcalcError:
            return False

    def _check_shapes(self, values):
        """With symbols substituted, every layer's output size must be positive (the symbolic engine cannot know)."""
        if not hasattr(self, "_shape_exprs"):
            sizes = set()
            for layer in self.analysis.layers:
                for size in layer.output_shape:
                    if not num.is_concrete(size):
                        sizes.add(size)
            self._shape_exprs = tuple(sizes)
        for size in self._shape_exprs:
            if self._exact(size, tuple(values)) < 1:
                raise UsageError(f"at {self._describe(values)} a layer's output would be empty")

    def _describe(self, values):
        return ", ".join(f"{n}={v}" for n, v in zip(self.symbols, values))
