"""The terminal view of `paramcalc compare`, drawn with rich: totals side by side, differences, the stage view."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..compare import Comparison
from .compare_markdown import ratio_note, stage_heading, stages_grid, title, totals_grid
from .table import make_console


def _table(header, rows, right_from: int, caption: str | None = None) -> Table:
    table = Table(title=caption, title_justify="left", header_style="bold", pad_edge=False)
    for i, h in enumerate(header):
        table.add_column(h, justify="right" if i >= right_from else "left", overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def render(c: Comparison, console: Console | None = None) -> None:
    """Print the comparison to ``console`` (stdout by default; no colours when it is not a terminal)."""
    console = console or make_console()
    header, rows = totals_grid(c)
    console.print(_table(header, rows, 1, title(c)))
    console.print(Text(ratio_note(c), style="dim"))
    for d in c.differences:
        console.print(Text("note: " + d, style="yellow"))
    if c.stages is not None:
        header, rows = stages_grid(c)
        console.print()
        console.print(_table(header, rows, 2, stage_heading(c)))
