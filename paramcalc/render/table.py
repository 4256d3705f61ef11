"""The terminal table of `paramcalc show`, drawn with rich: human units, share of parameters, totals footer."""

from __future__ import annotations

from rich.console import Console as _RichConsole
from rich.table import Table
from rich.text import Text

from .. import num
from ..engine import Analysis, collapse, group_totals
from . import convention_lines, convention_rows, field_text, group_compute, shape_text, share, symbols_text
from .markdown import totals_lines


class Console(_RichConsole):
    """rich's console, except that a closed pipe (`| head`) raises BrokenPipeError, which the CLI ends quietly with
    exit code 0, instead of rich's own exit code 1."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def build(a: Analysis, depth: int | None = None, convention=None) -> Table:
    t = a.totals
    title = a.name + (f"  ({symbols_text(a.symbols)})" if a.symbols else "")
    table = Table(title=title, title_justify="left", header_style="bold", show_lines=False, pad_edge=False)
    table.add_column("Layer", no_wrap=True)
    table.add_column("Type", no_wrap=True)
    table.add_column("Output shape", no_wrap=True)
    table.add_column("Params", justify="right", no_wrap=True)
    table.add_column("%", justify="right", no_wrap=True)
    table.add_column("MACs" if convention is None else f"{convention.convention.unit} ({convention.name})",
                     justify="right", no_wrap=True)
    table.add_column("Receptive field", no_wrap=True)
    open_groups: tuple = ()
    groups = group_totals(a)
    for r in convention_rows(collapse(a, depth), convention):
        scope = r["scope"]
        shared = 0
        while shared < min(len(scope), len(open_groups)) and scope[shared] == open_groups[shared]:
            shared += 1
        for level in range(shared, len(scope)):  # a header row for each group entered here
            group, gtype = scope[level]
            label = group if level == 0 else group[len(scope[level - 1][0]) + 1:]
            g = groups[group]
            if convention is not None:  # the header sums what the MACs column shows: the convention's compute
                g = {**g, "macs": group_compute(convention, group)}
            table.add_row(Text("  " * level + label, style="bold"), Text(gtype, style="dim"),
                          Text(shape_text(g["output_shape"]), style="dim"),
                          Text(num.human(g["params"]) if g["params"] != 0 else "-", style="dim"),
                          Text(share(g["params"], t.params) if g["params"] != 0 else "", style="dim"),
                          Text(num.human(g["macs"]) if g["macs"] != 0 else "-", style="dim"),
                          Text(field_text(g["receptive_field"]), style="dim"))
        open_groups = scope
        name = r["name"] if not scope else "  " * len(scope) + r["name"][len(scope[-1][0]) + 1:]
        table.add_row(name, r["type"],
                      shape_text(r["output_shape"]), num.human(r["params"]) if r["params"] != 0 else "-",
                      share(r["params"], t.params) if r["params"] != 0 else "",
                      num.human(r["macs"]) if r["macs"] != 0 else "-", field_text(r["receptive_field"]))
    return table


def render(a: Analysis, depth: int | None = None, console: Console | None = None, convention=None) -> None:
    """Print the table and totals to ``console`` (stdout by default; no colours when it is not a terminal)."""
    console = console or make_console()
    console.print(build(a, depth, convention))
    for line in totals_lines(a) + (convention_lines(convention) if convention is not None else []):
        label, _, value = line.partition(": ")
        console.print(Text.assemble((label + ": ", "bold"), value))
    for w in a.warnings:
        console.print(Text("note: " + w, style="yellow"))


def make_console(stderr: bool = False) -> Console:
    probe = Console(stderr=stderr)
    if probe.is_terminal:
        return probe
    return Console(stderr=stderr, width=200, no_color=True, highlight=False)
