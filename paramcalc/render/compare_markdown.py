"""`paramcalc compare` as Markdown pipe tables (fit to paste into a pull request), and the cell texts the table shares.

Display only: every number and ratio comes computed from paramcalc.compare.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

from .. import num
from ..compare import Cell, Comparison
from . import field_text, percent, shape_text

MISSING = "missing"


def plain(text: str) -> str:
    return text


def code(text: str) -> str:
    """Markdown code span, so `18*c**2` keeps its stars."""
    return f"`{text}`"


def _count(x) -> str:
    x = num.normalize(x)
    if not num.is_concrete(x):
        return num.show(x)
    text = num.exact(x)
    h = num.human(x)
    return text if abs(x) < 10_000 or h in (text, num.show(x)) else f"{text} ({h})"


def _bytes(x) -> str:
    x = num.normalize(x)
    return num.human(x, bytes_=True) if num.is_concrete(x) else num.show(x)  # cell_text adds the unit


def _symbolic(x) -> bool:
    return not num.is_concrete(num.normalize(x))


def _field(rf) -> str:
    if rf is None:
        return "n/a"
    text = field_text(rf)
    if rf.whole:
        text += " (" + "x".join(num.show(s) for s in rf.size) + ")"
    return text


def _shapes(shapes) -> str:
    return ", ".join(shape_text(s) for s in shapes)


def _text(x) -> str:
    return "n/a" if x is None else str(x)


def _has_symbols(value, kind: str) -> bool:
    if kind == "text":
        return False
    if kind == "field":
        return value is not None and any(_symbolic(s) for s in value.size)
    if kind == "shape":
        return any(_symbolic(s) for shape in value for s in shape)
    return _symbolic(value)


def cell_text(cell: Cell | None, kind: str, wrap: Callable[[str], str] = plain) -> str:
    """'18*c**2 = 294,912' (expression, then its value under --set), or the value alone when they agree."""
    if cell is None:
        return MISSING
    form = {"count": _count, "bytes": _bytes, "field": _field, "shape": _shapes, "text": _text}[kind]
    if cell.expr is None or cell.value is None:  # known only for concrete sizes (peak activation memory)
        known = cell.value if cell.expr is None else cell.expr
        return "n/a" if known is None else form(known)
    expr, value = form(cell.expr), form(cell.value)

    def shown(text, x):
        if not _has_symbols(x, kind):
            return text
        return wrap(text) + (" B" if kind == "bytes" else "")

    if expr == value:
        return shown(expr, cell.expr)
    return f"{shown(expr, cell.expr)} = {shown(value, cell.value)}"


def _number(x) -> str:
    """A concrete ratio: '2x', '18/25 (0.72x)', or '1.743x' when the exact fraction is too long to read."""
    x = num.normalize(x)
    if isinstance(x, int):
        return f"{x}x"
    if isinstance(x, Fraction):
        approx = f"{float(x):.4g}x"
        return f"{x} ({approx})" if x.denominator <= 100 else approx
    return num.show(x)


def _one_ratio(x, wrap) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, tuple):
        parts = [_one_ratio(r, wrap) for r in x]
        return parts[0] if len(set(parts)) == 1 else " x ".join(parts)
    return wrap(num.show(x)) if _symbolic(x) else _number(x)


def ratio_text(cell: Cell | None, wrap: Callable[[str], str] = plain) -> str:
    """A ratio to the first design, exact, with its value under --set beside it when that differs."""
    if cell is None:
        return "n/a"
    if cell.expr is None or cell.value is None:
        return _one_ratio(cell.value if cell.expr is None else cell.expr, wrap)
    expr, value = _one_ratio(cell.expr, wrap), _one_ratio(cell.value, wrap)
    return expr if expr == value else f"{expr} = {value}"


def settings_text(c: Comparison) -> str:
    return ", ".join(f"{k}={num.show(v)}" for k, v in c.settings)


def title(c: Comparison) -> str:
    names = " vs ".join(d.label for d in c.designs)
    return names + (f" ({settings_text(c)})" if c.settings else "")


def ratio_note(c: Comparison) -> str:
    return (f"Ratios are to the first design, {c.designs[0].label}: this design's value / its value. "
            f"Batch {c.batch}, {c.dtype}.")


def totals_grid(c: Comparison, wrap: Callable[[str], str] = plain) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the side-by-side totals: quantity, then each design's value and its ratio."""
    header = ["", c.designs[0].label]
    for d in c.designs[1:]:
        header += [d.label, "ratio"]
    rows = []
    for q in c.totals:
        row = [q.label, cell_text(q.cells[0], q.kind, wrap)]
        for i in range(1, len(c.designs)):
            row.append(cell_text(q.cells[i], q.kind, wrap))
            row.append("" if q.ratios is None else ratio_text(q.ratios[i], wrap))
        rows.append(row)
    return header, rows


def stages_grid(c: Comparison, wrap: Callable[[str], str] = plain) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the per-stage view: stage, type, then per design params, share, MACs (and params ratio)."""
    header = ["Stage", "Type"]
    for i, d in enumerate(c.designs):
        header += [f"{d.label} params", "%", "MACs"] + (["params ratio"] if i else [])
    rows = []
    for r in c.stages or ():
        types = []
        for p in r.parts:
            if p is not None and p.type not in types:
                types.append(p.type)
        row = [r.key, " / ".join(types)]
        for i, p in enumerate(r.parts):
            if p is None:
                row += [MISSING, "", ""]
            else:
                share = p.share.value
                pct = percent(float(share)) if num.is_concrete(share) and share is not None else ""
                row += [cell_text(p.params, "count", wrap), pct, cell_text(p.macs, "count", wrap)]
            if i:
                row.append("" if p is None or r.parts[0] is None else ratio_text(r.params_ratios[i], wrap))
        rows.append(row)
    return header, rows


def stage_heading(c: Comparison) -> str:
    level = "every layer" if c.depth is None else \
        "one row per top-level layer or block" if c.depth == 0 else f"blocks deeper than {c.depth} summed"
    return f"By stage ({level}; rows aligned by name, `{MISSING}` where a design has no such stage)"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _prose(text: str) -> str:
    """A sentence with shapes such as [1, 4*c, 56, 56] in it: stars escaped so Markdown does not italicise."""
    return _cell(text).replace("*", "\\*")


def _pipe_table(header, rows, right_from: int) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |",
             "|" + "|".join("---:" if i >= right_from else "---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(_cell(x) for x in row) + " |" for row in rows]
    return lines


def render(c: Comparison) -> str:
    header, rows = totals_grid(c, code)
    lines = [f"### Comparison: {title(c)}", "", *_pipe_table(header, rows, 1), "", ratio_note(c)]
    if c.differences:
        lines += ["", "**Differences**", ""] + [f"- {_prose(d)}" for d in c.differences]
    if c.stages is not None:
        header, rows = stages_grid(c, code)
        lines += ["", f"#### {stage_heading(c)}", "", *_pipe_table(header, rows, 2)]
    return "\n".join(lines) + "\n"
