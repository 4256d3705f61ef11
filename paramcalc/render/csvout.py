"""CSV: one row per layer (or per group with --depth) with exact values, and a final TOTAL row."""

from __future__ import annotations

import csv
import io

from .. import num
from ..engine import Analysis, collapse
from . import shape_text

COLUMNS = ("name", "type", "output_shape", "params", "macs", "flops", "rf_size", "rf_stride", "rf_padding")


def _axes(values):
    return "" if values is None else "x".join(num.show(v) for v in values)


def render(a: Analysis, depth: int | None = None) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in collapse(a, depth):
        rf = r["receptive_field"]
        w.writerow([r["name"], r["type"], shape_text(r["output_shape"]), num.show(r["params"]), num.show(r["macs"]),
                    num.show(r["flops"]), _axes(rf.size) if rf else "", _axes(rf.stride) if rf else "",
                    _axes(rf.padding) if rf else ""])
    t = a.totals
    rf = t.receptive_field
    w.writerow(["TOTAL", "", shape_text(a.outputs[0][1]), num.show(t.params), num.show(t.macs), num.show(t.flops),
                _axes(rf.size) if rf else "", _axes(rf.stride) if rf else "", _axes(rf.padding) if rf else ""])
    return buf.getvalue()
