"""Totals of one architecture at many symbol values: one symbolic analysis substituted exactly, or the concrete
engine re-run per value. Shared by `solve` (search for the largest value within budgets) and `sweep` (a table).

A Point is what both report per combination of values: params, compute (MACs, or a convention's figure),
weight and activation memory and the receptive field, all exact ints.
"""

from __future__ import annotations

from . import num
from .errors import ParamcalcError, UsageError
from .records import record

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


@record
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


_STRUCTURAL = "whole number known when the file is read"  # graph.py's error for a symbol that sets a repeat count


class _ClosedForm:
    """The totals of one symbolic analysis as one compiled exact function of its free symbols (paramcalc.exact)."""

    def __init__(self, analysis, free: tuple, convention):
        from .conventions import apply
        from .exact import compile_exact

        s = num.sympy()
        t = analysis.totals
        ct = apply(analysis, convention) if convention else None
        self.constraints = analysis.constraints
        rf = t.spatial_receptive_field if t.receptive_field is None or t.receptive_field.whole else t.receptive_field
        exprs = {"params": ct.params if ct else t.params, "compute": ct.compute if ct else t.macs,
                 "weight_bytes": t.weight_bytes, "activation_bytes": t.activation_bytes,
                 "receptive_field": _field_size(rf)}
        syms = [s.Symbol(n, integer=True, positive=True) for n in free]
        # Every layer's symbolic output size must come out positive at a point (the symbolic engine cannot know).
        sizes = {size for layer in analysis.layers for size in layer.output_shape if not num.is_concrete(size)}
        sizes = tuple(sorted(sizes, key=s.default_sort_key))
        unbound = set()
        for e in (*exprs.values(), *sizes):
            if e is not None and not num.is_concrete(e):
                unbound |= s.sympify(e).free_symbols
        self.unbound = sorted(map(str, unbound - set(syms)))
        self.keys = tuple(exprs)
        self.exprs = exprs
        self.function = compile_exact([*exprs.values(), *sizes], syms)


class Evaluator:
    """Exact totals of an architecture as functions of some of its symbols.

    method 'symbolic': one analysis with those symbols left symbolic, compiled once and evaluated exactly per
    point. A symbol that must be a number when the file is read (it sets a `repeat:` count) is given its value
    and the others stay symbolic: one analysis per value of it. 'concrete': the concrete engine re-run per point
    (what 'symbolic' amounts to when every symbol sets a repeat count).
    """

    def __init__(self, target, symbols, *, sets=None, batch=1, dtype="fp32", convention=None, method="symbolic"):
        from .bundled import resolve

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
        self.constraints = ()
        self._structural = None     # names of symbols that must be numbers (None: not known yet)
        self._forms: dict = {}      # their values -> _ClosedForm
        if method == "symbolic":
            try:
                self._forms[()] = self._closed_form({})
                self._structural = ()
                self.constraints = self._forms[()].constraints
            except ParamcalcError as e:
                if _STRUCTURAL not in str(e):
                    raise

    def symbolic_totals(self) -> dict | None:
        """The totals as expressions of the searched symbols (None when a symbol sets a repeat count)."""
        form = self._forms.get(())
        return form.exprs if form is not None and self._structural == () else None

    # -- symbolic
    def _closed_form(self, fixed: dict) -> _ClosedForm:
        from .engine import analyze
        from .graph import load_graph

        free = tuple(n for n in self.symbols if n not in fixed)
        overrides = {**self.sets, **fixed, **{n: num.symbol(n) for n in free}}
        analysis = analyze(load_graph(self.path, overrides=overrides), batch=self.batch, dtype=self.dtype)
        return _ClosedForm(analysis, free, self.convention)

    def _find_structural(self, values) -> tuple:
        """The fewest symbols (first ones first) that must be given their values for the graph to build."""
        from .graph import load_graph

        def builds(fixed):
            overrides = {**self.sets, **{n: (v if n in fixed else num.symbol(n)) for n, v in zip(self.symbols, values)}}
            try:
                load_graph(self.path, overrides=overrides)
                return True
            except ParamcalcError as e:
                if _STRUCTURAL not in str(e):
                    return True  # another problem: it is reported where the analysis runs
                return False

        fixed = []
        for name in self.symbols:
            if builds(set(fixed)):
                break
            fixed.append(name)
        for name in list(fixed):
            if builds(set(fixed) - {name}):
                fixed.remove(name)
        if len(fixed) == len(self.symbols):
            self.method = "concrete"
        return tuple(fixed)

    def _form(self, values) -> tuple:
        """The closed form for ``values`` and the values of its free symbols."""
        if self._structural is None:
            self._structural = self._find_structural(values)
            fixed = set(self._structural)
            self._fixed_at = tuple(i for i, n in enumerate(self.symbols) if n in fixed)
            self._free_at = tuple(i for i, n in enumerate(self.symbols) if n not in fixed)
        if not self._structural:
            return self._forms[()], values
        key = tuple(values[i] for i in self._fixed_at)
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = self._closed_form(dict(zip(self._structural, key)))
            if not self.constraints:
                self.constraints = form.constraints
        return form, tuple(values[i] for i in self._free_at)

    def _symbolic(self, values) -> tuple:
        """Every total at ``values``, exact, and the shape constraints; an error when some layer would be empty."""
        form, free = self._form(values)
        if form.unbound:
            raise UsageError(f"the totals still depend on {', '.join(form.unbound)}: give them values with --set")
        out = form.function(*free)
        n = len(form.keys)
        if n < len(out) and min(out[n:]) < 1:
            raise UsageError(f"at {self._describe(values)} a layer's output would be empty")
        return dict(zip(form.keys, out[:n])), form.constraints

    # -- concrete
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
        if self.method == "symbolic":
            got, constraints = self._symbolic(values)
            for key in ("params", "compute", "activation_bytes"):
                if got[key] is not None and got[key] < 0:
                    raise UsageError(f"at {self._describe(values)} some layer's output would be empty")
            ok = not constraints or all(c.holds(dict(zip(self.symbols, values))) is not False for c in constraints)
        else:
            got = self._concrete(values)
            ok = True
        return Point(tuple(zip(self.symbols, values)), got["params"], got["compute"], got["weight_bytes"],
                     got["activation_bytes"], got["receptive_field"], ok)

    def valid(self, values) -> bool:
        """Whether the architecture can be built at ``values`` (every layer non-empty)."""
        values = tuple(int(v) for v in values)
        try:
            if self.method == "symbolic":
                self._symbolic(values)
            else:
                self._concrete(values)
            return True
        except ParamcalcError:
            return False

    def _describe(self, values):
        return ", ".join(f"{n}={v}" for n, v in zip(self.symbols, values))
