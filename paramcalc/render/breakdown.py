"""Display of `show --breakdown`: where the compute goes, as a rich table, Markdown, CSV or JSON. No counting here."""

from __future__ import annotations

import csv
import io

from .. import num
from ..breakdown import Breakdown


def _cells(values, human: bool):
    return [(num.human(v) if human else num.show(v)) if not (num.is_concrete(v) and v == 0) else "-"
            for v in values]


def table(bd: Breakdown, console) -> None:
    from rich.table import Table

    t = Table(title=bd.title, title_justify="left", header_style="bold", pad_edge=False)
    t.add_column("Layer", no_wrap=True)
    t.add_column("Type", no_wrap=True)
    for c in bd.columns:
        t.add_column(c, justify="right", no_wrap=True)
    t.add_column("total", justify="right", no_wrap=True)
    for r in bd.rows:
        t.add_row(r.name, r.type, *_cells(r.values, True), num.human(num.total(r.values)))
    t.add_row("TOTAL", "", *_cells(bd.totals, True), num.human(bd.compute), style="bold")
    console.print(t)
    console.print(f"Total {bd.unit}: {num.exact(bd.compute)}")
    for heading, label, value in zip(bd.columns, bd.labels, bd.totals):
        share = f" ({100 * value / bd.compute:.2f}%)" if num.is_concrete(value) and num.is_concrete(bd.compute) \
            and bd.compute else ""
        console.print(f"  {heading}: {num.exact(value)}{share}" + (f"  - {label}" if label != heading else ""))


def markdown(bd: Breakdown) -> str:
    lines = [f"### {bd.title}", "", "| Layer | Type | " + " | ".join(bd.columns) + " | total |",
             "|---|---|" + "---:|" * (len(bd.columns) + 1)]
    for r in bd.rows:
        lines.append(f"| {r.name} | {r.type} | " + " | ".join(_cells(r.values, False)) +
                     f" | {num.show(num.total(r.values))} |")
    lines.append("| **TOTAL** | | " + " | ".join(num.show(v) for v in bd.totals) + f" | {num.show(bd.compute)} |")
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
