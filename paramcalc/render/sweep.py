"""Display of `paramcalc sweep`: a table with a growth sparkline per total, CSV, or JSON. No counting here."""

from __future__ import annotations

import csv
import io
import json

from .. import num
from ..sweep import sparkline

METRICS = (("params", "params"), ("compute", "MACs"), ("weight_bytes", "weight bytes"),
           ("activation_bytes", "activation bytes"), ("receptive_field", "receptive field"))


def _value(p, key):
    return getattr(p, key)


def csv_text(s) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*s.symbols, *(k for k, _ in METRICS), "constraints_ok"])
    for p in s.points:
        w.writerow([*(v for _, v in p.values), *("" if _value(p, k) is None else _value(p, k) for k, _ in METRICS),
                    str(p.constraints_ok).lower()])
    return buf.getvalue()


def json_text(s) -> str:
    return json.dumps({
        "symbols": list(s.symbols),
        "method": s.method,
        "constraints": list(s.constraints),
        "rows": [{**dict(p.values), **{k: _value(p, k) for k, _ in METRICS}, "constraints_ok": p.constraints_ok}
                 for p in s.points],
    }, indent=2)


def table(s, console, convention=None) -> None:
    from rich.table import Table

    t = Table(header_style="bold", pad_edge=False)
    for name in s.symbols:
        t.add_column(name, justify="right")
    for key, label in METRICS:
        t.add_column(label if key != "compute" or not convention else f"compute ({convention})", justify="right")
    for p in s.points:
        mark = "" if p.constraints_ok else " *"
        t.add_row(*(f"{v}{mark}" for _, v in p.values),
                  *(num.human(_value(p, k), bytes_=k.endswith("bytes")) if _value(p, k) is not None else "-"
                    for k, _ in METRICS[:4]),
                  str(p.receptive_field) if p.receptive_field is not None else "-")
    console.print(t)
    console.print("growth (first to last row):")
    width = max(len(label) for _, label in METRICS)
    for key, label in METRICS:
        values = [_value(p, key) for p in s.points]
        if any(v is None for v in values) or not values:
            continue
        ratio = f"x{values[-1] / values[0]:.2f}" if values[0] else ""
        console.print(f"  {label.ljust(width)}  {sparkline(values)}  {ratio}")
    if s.constraints:
        bad = sum(1 for p in s.points if not p.constraints_ok)
        console.print(f"shape constraints: {'; '.join(s.constraints)}"
                      + (f" (rows marked * break them)" if bad else ""))
