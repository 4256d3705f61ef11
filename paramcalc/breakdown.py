"""Where the compute goes: per layer (or per block with a depth) and in total, by category or by a convention's terms.

Without a convention the columns are the engine's categories (conv, linear, bias, normalization, ...); with one
they are the terms of that tool's count, so ``show resnet50 --convention thop --breakdown`` shows which layers make
thop's 4,133,742,592.
"""

from __future__ import annotations

from . import num
from .layers import CATEGORIES
from .records import record


@record
class Row:
    name: str
    type: str
    values: tuple       # one per column
    members: int = 1    # layers summed into this row
    scope: tuple = ()


@record
class Breakdown:
    title: str
    columns: tuple      # headings
    labels: tuple       # what each column counts
    rows: tuple
    totals: tuple
    compute: object     # the sum of the totals (the convention's figure; for categories, all work counted)
    unit: str


def _nonzero(x) -> bool:
    return not (num.is_concrete(x) and x == 0)


def build(analysis, convention=None, depth: int | None = None, *, keep_zero_rows: bool = False) -> Breakdown:
    """Rows of per-column values, with layers inside blocks deeper than ``depth`` summed per block."""
    if convention is None or convention == "paramcalc":
        columns = list(CATEGORIES)
        labels = list(CATEGORIES)
        per_layer = [[l.ops.get(c, 0) for c in CATEGORIES] for l in analysis.layers]
        title, unit = "operations by category", "operations"
    else:
        from .conventions import get, layer_compute

        conv = get(convention) if isinstance(convention, str) else convention
        columns = [t.heading() for t in conv.terms]
        labels = [t.name() for t in conv.terms]
        per_layer = [layer_compute(analysis, l, conv) for l in analysis.layers]
        title, unit = f"{conv.name} convention: {conv.tool}", conv.unit
    width = len(columns)
    rows: list[Row] = []
    groups: dict[str, int] = {}
    for layer, values in zip(analysis.layers, per_layer):
        if depth is not None and len(layer.scope) > depth:
            group, gtype = layer.scope[depth]
            if group in groups:
                i = groups[group]
                old = rows[i]
                rows[i] = Row(old.name, old.type, tuple(num.normalize(a + b) for a, b in zip(old.values, values)),
                              old.members + 1, old.scope)
            else:
                groups[group] = len(rows)
                rows.append(Row(group, gtype, tuple(values), 1, layer.scope[:depth]))
        else:
            rows.append(Row(layer.name, layer.type, tuple(values), 1, layer.scope))
    totals = [num.total(r.values[i] for r in rows) for i in range(width)]
    keep = [i for i in range(width) if _nonzero(totals[i])] or list(range(min(width, 1)))
    if not keep_zero_rows:
        rows = [r for r in rows if any(_nonzero(r.values[i]) for i in keep)]
    return Breakdown(
        title=title, columns=tuple(columns[i] for i in keep), labels=tuple(labels[i] for i in keep),
        rows=tuple(Row(r.name, r.type, tuple(r.values[i] for i in keep), r.members, r.scope) for r in rows),
        totals=tuple(totals[i] for i in keep), compute=num.total(totals), unit=unit,
    )
