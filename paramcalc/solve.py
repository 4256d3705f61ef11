"""`solve`: the largest integer value of a symbol that keeps every budget (or the smallest that reaches a receptive
field), found by an exact integer search over the symbolic totals.

Totals are evaluated exactly at integer points (no floats, floors included), so the answer is exact; the search
brackets by doubling and then bisects, which is right when the totals only grow with the symbol. That is checked
on a spread of points below and above the answer; when it fails, the search falls back to a scan and says so.
Values that break a derived shape constraint (H % 32 == 0) are skipped.
"""

from __future__ import annotations

from . import num
from .errors import UsageError
from .explore import Evaluator, Point
from .records import record

LIMIT = 2**40        # no symbol is searched beyond this
SCAN_LIMIT = 4096    # a non-monotone search is redone by scanning up to this many values


@record
class Budgets:
    max_params: int | None = None
    max_macs: int | None = None
    max_activation_bytes: int | None = None
    min_rf: int | None = None

    def broken(self, p: Point) -> list[str]:
        """The upper budgets ``p`` breaks, as text ('params 5,012,345 > 5,000,000')."""
        out = []
        for name, value, limit in (("params", p.params, self.max_params), ("MACs", p.compute, self.max_macs),
                                   ("activation memory", p.activation_bytes, self.max_activation_bytes)):
            if limit is not None and value > limit:
                out.append(f"{name} {value:,} > {limit:,}")
        return out

    def reaches_rf(self, p: Point) -> bool:
        return self.min_rf is None or (p.receptive_field is not None and p.receptive_field >= self.min_rf)

    @property
    def has_upper(self) -> bool:
        return any(x is not None for x in (self.max_params, self.max_macs, self.max_activation_bytes))


@record
class Solution:
    symbol: str
    value: int | None            # the answer (None: no value keeps every budget)
    at: Point | None             # totals at the answer
    next: Point | None           # totals one step further (value + 1, or value - 1 for --min-rf alone)
    next_broken: tuple           # what the next point breaks
    lowest: int | None           # the smallest value that meets --min-rf (when given)
    monotone: bool
    notes: tuple = ()


def _ok_upper(ev, budgets, v):
    try:
        p = ev.at((v,))
    except UsageError:
        return None  # the architecture cannot be built at v (an empty layer)
    return p if not budgets.broken(p) else False


def _first_buildable(ev, start=1, stop=512):
    for v in range(start, stop + 1):
        if ev.valid((v,)):
            return v
    raise UsageError(f"no value of {ev.symbols[0]} from {start} to {stop} gives every layer a non-empty output")


def _largest_within(ev, budgets, lo):
    """Largest v >= lo with every upper budget kept (lo itself must keep them)."""
    hi = lo
    step = 1
    while True:  # bracket: double until a budget breaks
        candidate = lo + step
        if candidate > LIMIT:
            raise UsageError(f"every budget still holds at {ev.symbols[0]} = {LIMIT:,}: the budgets do not bound it")
        got = _ok_upper(ev, budgets, candidate)
        if got is False:
            hi = candidate
            break
        if got is not None:
            lo = candidate
        step *= 2
    while hi - lo > 1:  # invariant: lo keeps the budgets (or is unbuildable above a kept value), hi breaks them
        mid = (lo + hi) // 2
        got = _ok_upper(ev, budgets, mid)
        if got is False:
            hi = mid
        else:
            lo = mid
    return lo


def _monotone_around(ev, budgets, answer, low) -> bool:
    """Spot-check that the budgets hold at points below the answer and break at points above it."""
    below = sorted({max(low, answer - d) for d in (1, 2, 3, answer // 4, answer // 2, answer - low)})
    above = sorted({answer + d for d in (1, 2, 3, max(1, answer // 4), max(1, answer // 2), answer)})
    for v in below:
        if _ok_upper(ev, budgets, v) is False:
            return False
    for v in above:
        if _ok_upper(ev, budgets, v) not in (False, None):
            return False
    return True


def _respecting_constraints(ev, v, down=True):
    """Step from v to the nearest value that meets the derived shape constraints."""
    for _ in range(4096):
        if v < 1:
            return None
        if all(c.holds({ev.symbols[0]: v}) is not False for c in ev.constraints):
            return v
        v = v - 1 if down else v + 1
    return None


def solve(target, symbol: str, budgets: Budgets, *, sets=None, batch=1, dtype="fp32", convention=None,
          method="symbolic") -> Solution:
    """Largest integer ``symbol`` keeping every upper budget; with only ``min_rf``, the smallest reaching it.

    >>> solve("vgg_two_3x3", "c", Budgets(max_params=5_000_000)).value    # doctest: +SKIP
    527
    """
    if not budgets.has_upper and budgets.min_rf is None:
        raise UsageError("give at least one budget: --max-params, --max-macs, --max-activations or --min-rf")
    ev = Evaluator(target, [symbol], sets=sets, batch=batch, dtype=dtype, convention=convention, method=method)
    notes = []
    if budgets.min_rf is not None:
        _check_field_depends_on(ev, symbol, budgets)
    first = _first_buildable(ev)
    lowest = None
    if budgets.min_rf is not None:
        lowest = _smallest_reaching(ev, budgets, first)
        if lowest is None:
            raise UsageError(f"no value of {symbol} up to {LIMIT:,} reaches a receptive field of {budgets.min_rf}")
        lowest = _respecting_constraints(ev, lowest, down=False)
    if not budgets.has_upper:
        at = ev.at((lowest,))
        prev = ev.at((lowest - 1,)) if lowest - 1 >= first and ev.valid((lowest - 1,)) else None
        why = (f"receptive field {prev.receptive_field} < {budgets.min_rf}",) if prev else ()
        return Solution(symbol, lowest, at, prev, why, lowest, True, tuple(notes))
    start = first if lowest is None else lowest
    if _ok_upper(ev, budgets, start) is False:
        p = ev.at((start,))
        return Solution(symbol, None, None, p, tuple(budgets.broken(p)), lowest, True,
                        (f"even {symbol} = {start} breaks a budget",))
    answer = _largest_within(ev, budgets, start)
    monotone = _monotone_around(ev, budgets, answer, start)
    if not monotone:
        notes.append(f"the totals are not monotone in {symbol}: the answer was found by scanning "
                     f"{start}..{min(SCAN_LIMIT, 4 * answer)}")
        answer = max((v for v in range(start, min(SCAN_LIMIT, 4 * answer) + 1)
                      if _ok_upper(ev, budgets, v) not in (False, None)), default=None)
    if answer is not None and ev.constraints:
        fixed = _respecting_constraints(ev, answer)
        if fixed != answer:
            notes.append(f"{answer} breaks the shape constraint{'s' if len(ev.constraints) > 1 else ''} "
                         f"{'; '.join(c.text for c in ev.constraints)}; stepped down to {fixed}")
            answer = fixed
        if answer is not None and lowest is not None and answer < lowest:
            answer = None
    if answer is None:
        return Solution(symbol, None, None, None, (), lowest, monotone, tuple(notes))
    at = ev.at((answer,))
    nxt = ev.at((answer + 1,))
    broken = budgets.broken(nxt)
    if not broken and not nxt.constraints_ok:
        broken = ["the shape constraints (" + "; ".join(c.text for c in ev.constraints) + ")"]
    return Solution(symbol, answer, at, nxt, tuple(broken), lowest, monotone, tuple(notes))


def _check_field_depends_on(ev, symbol, budgets) -> None:
    """--min-rf searches the symbol for a field; one that the symbol does not change is said in one line instead of
    a search to 2**40 (kept when other budgets still have something to solve and the field already suffices)."""
    totals = ev.symbolic_totals() if ev.method == "symbolic" else None
    if totals is None:
        return  # a symbol that sets a repeat count: the depth, and with it the field, changes per value
    field = totals.get("receptive_field")
    if field is None:
        raise UsageError(f"--min-rf {budgets.min_rf}: {ev.path} has no spatial receptive field to reach")
    if not num.is_concrete(field):
        return
    if field >= budgets.min_rf and budgets.has_upper:
        return
    verdict = "always reaches" if field >= budgets.min_rf else "never reaches"
    raise UsageError(f"--min-rf {budgets.min_rf}: the receptive field of {ev.path} does not depend on {symbol} "
                     f"(it is {field} at every value), so it {verdict} {budgets.min_rf}; nothing to solve for")


def _smallest_reaching(ev, budgets, first):
    """Smallest v >= first whose receptive field reaches budgets.min_rf (doubling, then bisection)."""
    def reaches(v):
        try:
            return budgets.reaches_rf(ev.at((v,)))
        except UsageError:
            return False

    if reaches(first):
        return first
    lo, step = first, 1
    while True:
        hi = lo + step
        if hi > LIMIT:
            return None
        if reaches(hi):
            break
        lo, step = hi, step * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if reaches(mid):
            hi = mid
        else:
            lo = mid
    return hi
