"""Display of `paramcalc sweep`: a table with a growth sparkline per total, CSV, or JSON. No counting here."""

from __future__ import annotations

import csv
import io

from .. import num
from ..sweep import sparkline

METRICS = (("params", "params"), ("compute", "MACs"), ("weight_bytes", "weight bytes"),
           ("activation_bytes", "activation bytes"), ("receptive_field", "receptive field"))

SHORT_HEADERS = {"weight_bytes": "weights", "activation_bytes": "activations", "receptive_field": "RF"}


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
    from .jsontext import dumps

    return dumps({
        "symbols": list(s.symbols),
        "method": s.method,
        "constraints": list(s.constraints),
        "rows": [{**dict(p.values), **{k: _value(p, k) for k, _ in METRICS}, "constraints_ok": p.constraints_ok}
                 for p in s.points],
    }, levels=2)


def table(s, console=None, convention=None, term=None) -> None:
    """Print the sweep fit to the terminal, then a growth sparkline per total. ``console`` is ignored (kept for
    callers of the rich-based version)."""
    import sys

    from .grid import Column, Row, draw, terminal

    term = term or terminal()
    columns = [Column(name, right=True, number=True) for name in s.symbols]
    for key, label in METRICS:
        columns.append(Column(label if key != "compute" or not convention else f"compute ({convention})",
                              right=True, number=True, short=SHORT_HEADERS.get(key)))
    rows = []
    for p in s.points:
        mark = "" if p.constraints_ok else " *"
        rows.append(Row((*(f"{v}{mark}" for _, v in p.values),
                         *(num.human(_value(p, k), bytes_=k.endswith("bytes")) if _value(p, k) is not None else "-"
                           for k, _ in METRICS[:4]),
                         str(p.receptive_field) if p.receptive_field is not None else "-")))
    out = draw(columns, rows, term)
    out.append("growth (first to last row):")
    width = max(len(label) for _, label in METRICS)
    for key, label in METRICS:
        values = [_value(p, key) for p in s.points]
        if any(v is None for v in values) or not values:
            continue
        ratio = f"x{values[-1] / values[0]:.2f}" if values[0] else ""
        out.append(f"  {label.ljust(width)}  {sparkline(values)}  {ratio}")
    if s.constraints:
        bad = sum(1 for p in s.points if not p.constraints_ok)
        out.append(f"shape constraints: {'; '.join(s.constraints)}" + (" (rows marked * break them)" if bad else ""))
    sys.stdout.write("\n".join(out) + "\n")
