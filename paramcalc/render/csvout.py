"""CSV: one row per layer (or per group with --depth) with exact values, and a final TOTAL row."""

from __future__ import annotations

import csv
import io

from .. import num
from ..engine import Analysis, collapse
from . import convention_rows, shape_text

COLUMNS = ("name", "type", "output_shape", "params", "macs", "flops", "rf_size", "rf_stride", "rf_padding")


def _axes(values):
    return "" if values is None else "x".join(num.show(v) for v in values)


def render(a: Analysis, depth: int | None = None, convention=None) -> str:
    """CSV text; with a convention, a last column `<name>_compute` holds that tool's per-layer count."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS if convention is None else COLUMNS + (f"{convention.name}_compute",))
    rows = collapse(a, depth)
    extra = convention_rows(rows, convention) if convention is not None else None
    for i, r in enumerate(rows):
        rf = r["receptive_field"]
        w.writerow([r["name"], r["type"], shape_text(r["output_shape"]), num.show(r["params"]), num.show(r["macs"]),
                    num.show(r["flops"]), _axes(rf.size) if rf else "", _axes(rf.stride) if rf else "",
                    _axes(rf.padding) if rf else ""] + ([num.show(extra[i]["macs"])] if extra else []))
    t = a.totals
    rf = t.receptive_field
    w.writerow(["TOTAL", "", shape_text(a.outputs[0][1]), num.show(t.params), num.show(t.macs), num.show(t.flops),
                _axes(rf.size) if rf else "", _axes(rf.stride) if rf else "", _axes(rf.padding) if rf else ""]
               + ([num.show(convention.compute)] if convention is not None else []))
    return buf.getvalue()
