"""Display of `show --breakdown`: where the compute goes, as a rich table, Markdown, CSV or JSON. No counting here."""

from __future__ import annotations

import csv
import io

from .. import num
from ..breakdown import Breakdown
from . import percent


def _cells(values, form):
    return [form(v) if not (num.is_concrete(v) and v == 0) else "-" for v in values]


def table(bd: Breakdown, console=None, term=None, notes=()) -> None:
    """Print the breakdown fit to the terminal, its totals per category, then ``notes``. ``console`` is ignored
    (kept for callers of the rich-based version)."""
    import sys

    from .grid import Column, Row, draw, terminal

    term = term or terminal()
    columns = [Column("Layer", min_width=12), Column("Type", min_width=6, drop=0)]
    columns += [Column(c, right=True, number=True) for c in bd.columns] + [Column("total", right=True, number=True)]
    rows = [Row((r.name, r.type, *_cells(r.values, num.human), num.human(num.total(r.values)))) for r in bd.rows]
    rows.append(Row(("TOTAL", "", *_cells(bd.totals, num.human), num.human(bd.compute)), "bold"))
    out = draw(columns, rows, term, bd.title)
    out.append(f"Total {bd.unit}: {num.exact(bd.compute)}")
    for heading, label, value in zip(bd.columns, bd.labels, bd.totals):
        share = f" ({percent(value / bd.compute, 2)})" if num.is_concrete(value) and num.is_concrete(bd.compute) \
            and bd.compute else ""
        out.append(f"  {heading}: {num.exact(value)}{share}" + (f"  - {label}" if label != heading else ""))
    out += list(notes)
    sys.stdout.write("\n".join(out) + "\n")


def markdown(bd: Breakdown) -> str:
    lines = [f"### {bd.title}", "", "| Layer | Type | " + " | ".join(bd.columns) + " | total |",
             "|---|---|" + "---:|" * (len(bd.columns) + 1)]
    for r in bd.rows:
        lines.append(f"| {r.name} | {r.type} | " + " | ".join(_cells(r.values, num.exact)) +
                     f" | {num.exact(num.total(r.values))} |")
    lines.append("| **TOTAL** | | " + " | ".join(num.exact(v) for v in bd.totals) + f" | {num.exact(bd.compute)} |")
    return "\n".join(lines) + "\n"


def csv_text(bd: Breakdown) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", "type", *bd.columns, "total"])
    for r in bd.rows:
        w.writerow([r.name, r.type, *(num.show(v) for v in r.values), num.show(num.total(r.values))])
    w.writerow(["TOTAL", "", *(num.show(v) for v in bd.totals), num.show(bd.compute)])
    return buf.getvalue()


def to_dict(bd: Breakdown) -> dict:
    return {
        "title": bd.title,
        "unit": bd.unit,
        "columns": [{"name": c, "counts": l} for c, l in zip(bd.columns, bd.labels)],
        "totals": {c: num.to_json(v) for c, v in zip(bd.columns, bd.totals)},
        "total": num.to_json(bd.compute),
        "layers": [{"name": r.name, "type": r.type, "members": r.members,
                    "values": {c: num.to_json(v) for c, v in zip(bd.columns, r.values)}} for r in bd.rows],
    }
