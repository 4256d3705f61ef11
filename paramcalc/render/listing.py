"""`paramcalc list`: each bundled architecture with its parameters and MACs (as README's table shows them) and
its description, fit to the terminal's width."""

from __future__ import annotations

import sys

from .. import num
from .grid import Column, Row, Terminal, draw, terminal


def entries() -> list[tuple[str, str, str, str]]:
    """(name, params, MACs, first line of the description) for every bundled architecture, each analysed at its
    defaults (symbols without a default stay symbols, so their counts print as expressions)."""
    from .. import analyze_file
    from ..bundled import directory, names
    from ..errors import ParamcalcError
    from ..spec import load_file

    out = []
    for name in names():
        raw = load_file(directory() / f"{name}.yaml")
        desc = raw.get("description", "") if isinstance(raw, dict) else ""
        desc = str(desc).splitlines()[0] if desc else ""
        try:
            t = analyze_file(name).totals
            params, macs = num.exact(t.params), num.human(t.macs)
        except ParamcalcError:
            params = macs = "?"
        out.append((name, params, macs, desc))
    return out


def lines(rows, term: Terminal | None = None) -> list[str]:
    term = term or terminal()
    columns = [Column("Name", min_width=12), Column("Params", right=True, number=True),
               Column("MACs", right=True, number=True), Column("Description", min_width=12, drop=0)]
    return draw(columns, [Row(r) for r in rows], term)


def render(term: Terminal | None = None) -> None:
    sys.stdout.write("\n".join(lines(entries(), term)) + "\n")
