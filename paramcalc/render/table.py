"""The terminal table of `paramcalc show`: human units, share of parameters, totals footer, fit to the width."""

from __future__ import annotations

from .. import num
from ..collector import paused
from ..engine import Analysis, collapse, group_totals
from . import convention_lines, convention_rows, field_text, group_compute, shape_text, share, symbols_text
from .grid import BOLD, YELLOW, Column, Row, Terminal, draw, terminal
from .markdown import totals_lines


def squeeze_shape(text: str) -> str:
    """'[1, 64, 55, 55]' -> '[1,64,55,55]': the same numbers in less width."""
    return text.replace(", ", ",")


def columns(convention=None) -> list[Column]:
    compute = "MACs" if convention is None else f"{convention.convention.unit} ({convention.name})"
    return [
        Column("Layer", min_width=12),
        Column("Type", min_width=6, drop=0),
        Column("Output shape", short="Shape", squeeze=squeeze_shape, min_width=40, drop=1),
        Column("Params", right=True, number=True),
        Column("%", right=True, number=True),
        Column(compute, right=True, number=True, short="MACs" if convention is None else convention.convention.unit),
        Column("Receptive field", short="RF", min_width=40, drop=2),
    ]


def _remembered(text_of, key=id):
    """``text_of`` that writes each value once: a deep model repeats a few shapes, receptive fields (shared objects,
    so by identity: they stay alive in the analysis) and counts (by value) thousands of times."""
    texts: dict = {}

    def text(value) -> str:
        k = key(value)
        found = texts.get(k)
        if found is None:
            found = texts[k] = (value, text_of(value))
        return found[1]

    return text


def _same(value):
    return value


def rows(a: Analysis, depth: int | None = None, convention=None) -> list[Row]:
    """One row per layer (or collapsed block), with a header row for each block entered."""
    t = a.totals
    human = _remembered(num.human, key=_same)
    show_shape, field = _remembered(shape_text), _remembered(field_text)
    percent = _remembered(lambda part: share(part, t.params), key=_same)
    out = []
    open_groups: tuple = ()
    groups = group_totals(a)
    for r in convention_rows(collapse(a, depth), convention):
        scope = r["scope"]
        shared = len(scope)
        if scope is not open_groups:  # the layers of one block instance share their scope
            shared = 0
            while shared < min(len(scope), len(open_groups)) and scope[shared] == open_groups[shared]:
                shared += 1
        for level in range(shared, len(scope)):  # a header row for each group entered here
            group, gtype = scope[level]
            label = group if level == 0 else group[len(scope[level - 1][0]) + 1:]
            g = groups[group]
            macs = group_compute(convention, group) if convention is not None else g["macs"]
            out.append(Row(("  " * level + label, gtype, show_shape(g["output_shape"]),
                            human(g["params"]) if g["params"] != 0 else "-",
                            percent(g["params"]) if g["params"] != 0 else "",
                            human(macs) if macs != 0 else "-", field(g["receptive_field"])), "group"))
        open_groups = scope
        name = r["name"] if not scope else "  " * len(scope) + r["name"][len(scope[-1][0]) + 1:]
        params, macs = r["params"], r["macs"]
        out.append(Row((name, r["type"], show_shape(r["output_shape"]), human(params) if params != 0 else "-",
                        percent(params) if params != 0 else "", human(macs) if macs != 0 else "-",
                        field(r["receptive_field"]))))
    return out


@paused  # rows, cells and lines all stay alive until the table is printed
def lines(a: Analysis, depth: int | None = None, convention=None, term: Terminal | None = None) -> list[str]:
    """The table, totals and notes as lines fit to ``term`` (stdout's width and colour by default)."""
    term = term or terminal()
    title = a.name + (f"  ({symbols_text(a.symbols)})" if a.symbols else "")
    out = draw(columns(convention), rows(a, depth, convention), term, title)
    for line in totals_lines(a) + (convention_lines(convention) if convention is not None else []):
        label, _, value = line.partition(": ")
        out.append(term.paint(label + ": ", BOLD) + value)
    for w in a.warnings:
        out.append(term.paint("note: " + w, YELLOW))
    return out


def render(a: Analysis, depth: int | None = None, console=None, convention=None, term: Terminal | None = None) -> None:
    """Print the table and totals to stdout (no colours when it is not a terminal). ``console`` is ignored (kept
    for callers of the rich-based version)."""
    import sys

    sys.stdout.write("\n".join(lines(a, depth, convention, term)) + "\n")


def make_console(stderr: bool = False):
    """A rich Console for the renderers that still draw with rich (check, run): colour only on a terminal."""
    from rich.console import Console as RichConsole

    class Console(RichConsole):
        def on_broken_pipe(self) -> None:  # `| head`: the CLI ends quietly with exit 0, not rich's exit 1
            raise BrokenPipeError

    probe = Console(stderr=stderr)
    if probe.is_terminal:
        return probe
    return Console(stderr=stderr, width=200, no_color=True, highlight=False)
