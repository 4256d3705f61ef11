"""What `paramcalc show` prints: the analysis of one model in the chosen format, its warnings on stderr.

No click here: the `show` command (show.py) and the quick path that skips click (quick.py) both end in `write`.
"""

from __future__ import annotations

from .common import load_analysis
from .guard import echo


def write(target, fmt="table", depth=None, convention=None, breakdown=False, sets=(), symbolic=False, batch=1,
          dtype="fp32", block_input=None) -> None:
    """Analyse ``target`` (a file, a bundled name, '-' or FILE#BLOCK) and print it as `paramcalc show` does."""
    totals = None
    if convention is not None:
        from ..conventions import DEFAULT, apply, get

        get(convention)  # an unknown name fails before any work
    analysis = load_analysis(target, sets, symbolic, batch, dtype, block_input)
    if convention is not None and convention != DEFAULT:
        totals = apply(analysis, convention)
    bd = None
    if breakdown:
        from ..breakdown import build

        bd = build(analysis, convention, depth)
    if fmt == "table":
        from ..render import table

        if bd is None:
            table.render(analysis, depth, convention=totals)
        else:
            from ..render import breakdown as render_breakdown

            render_breakdown.table(bd, notes=constraint_lines(analysis))
    elif fmt == "json":
        from ..render import jsonout

        echo(jsonout.render(analysis, convention=totals, breakdown=bd))
    elif fmt == "markdown":
        if bd is None:
            from ..render import markdown

            echo(markdown.render(analysis, depth, convention=totals), nl=False)
        else:
            from ..render import breakdown as render_breakdown

            echo(render_breakdown.markdown(bd), nl=False)
    else:
        if bd is None:
            from ..render import csvout

            echo(csvout.render(analysis, depth, convention=totals), nl=False)
        else:
            from ..render import breakdown as render_breakdown

            echo(render_breakdown.csv_text(bd), nl=False)
    if fmt != "table" or bd is not None:  # the plain table prints them as notes under its totals
        for w in analysis.warnings:
            echo(f"paramcalc: warning: {w}", err=True)


def constraint_lines(analysis) -> list[str]:
    return [f"Shape constraint: {c.text} (needed by {', '.join(c.layers)})" for c in analysis.constraints]
