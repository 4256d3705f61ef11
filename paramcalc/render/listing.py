"""`paramcalc list`: each bundled architecture with its parameters and MACs (as README's table shows them) and
its description, fit to the terminal's width."""

from __future__ import annotations

import sys

from .. import num
from .grid import BOLD, Column, Row, Terminal, layout, terminal


INDEX_FILE = "index.json"  # written by scripts/architecture_table.py beside the bundled files


def live_entry(file) -> tuple[str, str, str]:
    """(params, MACs, first line of the description) of one file, analysed at its defaults (symbols without a
    default stay symbols, so their counts print as expressions)."""
    from .. import analyze_file
    from ..errors import ParamcalcError
    from ..spec import load_file

    raw = load_file(file)
    desc = raw.get("description", "") if isinstance(raw, dict) else ""
    desc = str(desc).splitlines()[0] if desc else ""
    try:
        t = analyze_file(file).totals
        params, macs = num.exact(t.params), num.human(t.macs)
    except ParamcalcError:
        params = macs = "?"
    return params, macs, desc


def entries() -> list[tuple[str, str, str, str]]:
    """(name, params, MACs, first line of the description) for every bundled architecture: from the index where the
    file's SHA-256 matches it (analysing ~120 files takes seconds), analysed live otherwise."""
    import json
    from hashlib import sha256

    from ..bundled import directory, names

    try:
        index = json.loads((directory() / INDEX_FILE).read_text(encoding="utf-8"))["architectures"]
    except (OSError, ValueError, KeyError, TypeError):
        index = {}
    out = []
    for name in names():
        file = directory() / f"{name}.yaml"
        known = index.get(name)
        if isinstance(known, dict) and known.get("sha256") == sha256(file.read_bytes()).hexdigest():
            out.append((name, known["params"], known["macs"], known["description"]))
        else:
            out.append((name, *live_entry(file)))
    return out


def lines(rows, term: Terminal | None = None) -> list[str]:
    """A header and one line per architecture, columns two spaces apart (no box, so `awk '{print $1}'` gives the
    names), the description cut to the width first, then left out."""
    term = term or terminal()
    columns = [Column("NAME", min_width=12), Column("PARAMS", right=True, number=True),
               Column("MACS", right=True, number=True), Column("DESCRIPTION", min_width=12, drop=0)]
    rows = [Row(r) for r in rows]
    # layout() sizes a boxed table: n + 1 rules more than the two-space gaps used here
    lay = layout(columns, rows, term.width + len(columns) + 1)
    out = []
    for cells, style in [(lay.headers, BOLD)] + [(tuple(r.cells[i] for i in lay.columns), "") for r in rows]:
        parts = []
        for text, w, i in zip(cells, lay.widths, lay.columns):
            text = text if len(text) <= w else text[:w - 1] + "…"
            parts.append(text.rjust(w) if columns[i].right else text.ljust(w))
        line = "  ".join(parts).rstrip()
        out.append(term.paint(line, style) if style else line)
    return out


def render(term: Terminal | None = None) -> None:
    sys.stdout.write("\n".join(lines(entries(), term)) + "\n")
