"""`sweep`: the totals at every combination of symbol values, from one symbolic analysis substituted exactly
(or, with method 'concrete', the concrete engine re-run per combination)."""

from __future__ import annotations

import itertools
import math
import time

from .errors import UsageError
from .explore import Evaluator
from .records import record

MAX_POINTS = 1_000_000          # combinations evaluated from the compiled closed forms (a few seconds per 100,000)
MAX_CONCRETE_POINTS = 10_000    # with --method concrete, each combination is a whole analysis


def parse_grid(spec: str) -> tuple:
    """'H=128,160,224' or 'c=16:128:16' (start:stop:step, stop included) -> ('H', (128, 160, 224))."""
    name, eq, values = spec.partition("=")
    name = name.strip()
    if not eq or not name or not values.strip():
        raise UsageError(f"--set {spec!r}: expected NAME=V1,V2,... or NAME=START:STOP:STEP")
    out = []
    for part in values.split(","):
        part = part.strip()
        try:
            if ":" in part:
                bits = [int(x) for x in part.split(":")]
                if len(bits) not in (2, 3) or (len(bits) == 3 and bits[2] <= 0):
                    raise ValueError
                start, stop, step = bits[0], bits[1], bits[2] if len(bits) == 3 else 1
                if (stop - start) // step + 1 > MAX_POINTS:
                    raise UsageError(f"--set {spec!r}: more than {MAX_POINTS:,} values")
                out.extend(range(start, stop + 1, step))
            else:
                out.append(int(part))
        except ValueError:
            raise UsageError(f"--set {spec!r}: {part!r} is not a whole number or START:STOP[:STEP]") from None
    if any(v < 1 for v in out):
        raise UsageError(f"--set {spec!r}: sizes must be positive")
    return name, tuple(out)


@record
class Sweep:
    symbols: tuple
    points: tuple            # Point per combination, in the order of the grids (last symbol varies fastest)
    method: str
    seconds: float
    constraints: tuple       # the architecture's derived shape constraints (text)


def sweep(target, grids, *, sets=None, batch=1, dtype="fp32", convention=None, method="symbolic") -> Sweep:
    """One row of totals per combination of the grids' values.

    >>> [p.params for p in sweep("vgg_two_3x3", [("c", (64, 128))]).points]    # doctest: +SKIP
    [73728, 294912]
    """
    names = [n for n, _ in grids]
    if len(set(names)) != len(names):
        raise UsageError("each symbol may be swept by one --set")
    count = math.prod(len(values) for _, values in grids)
    limit = MAX_POINTS if method == "symbolic" else MAX_CONCRETE_POINTS
    if count > limit:
        raise UsageError(f"{count:,} combinations; sweep at most {limit:,}"
                         + (" with --method concrete" if method != "symbolic" else ""))
    start = time.perf_counter()
    ev = Evaluator(target, names, sets=sets, batch=batch, dtype=dtype, convention=convention, method=method)
    if ev.method != "symbolic" and count > MAX_CONCRETE_POINTS:
        raise UsageError(f"{count:,} combinations; every swept symbol sets a repeat count, so each is a whole "
                         f"analysis: sweep at most {MAX_CONCRETE_POINTS:,}")
    points = tuple(ev.at(values) for values in itertools.product(*(values for _, values in grids)))
    return Sweep(tuple(names), points, ev.method, time.perf_counter() - start,
                 tuple(c.text for c in ev.constraints))


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values) -> str:
    """A unicode sparkline scaled from 0 to the largest value: '▁▂▄█'."""
    values = [v for v in values if v is not None]
    if not values:
        return ""
    top = max(values)
    if top <= 0:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[min(len(SPARKS) - 1, (len(SPARKS) - 1) * v // top)] for v in values)
