"""`paramcalc show` (per-layer table and totals) and `paramcalc list` (the bundled architectures)."""

from __future__ import annotations

import click

from .common import complete_target, convention_option, load_analysis, model_options


@click.command()
@click.argument("target", metavar="FILE_OR_NAME", shell_complete=complete_target)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown", "csv"]), default="table",
              show_default=True, help="Output format; json is the stable machine-readable contract.")
@click.option("--depth", type=click.IntRange(min=0), default=None,
              help="Collapse layers inside blocks deeper than N into one row per block (0 = top level only).")
@convention_option
@click.option("--breakdown", is_flag=True,
              help="Where the compute goes: per layer and in total, by category (or by the --convention's terms).")
@model_options
def show(target, fmt, depth, convention, breakdown, sets, symbolic, batch, dtype):
    """Per-layer shapes, parameters, MACs and receptive fields of an architecture, with totals.

    FILE_OR_NAME is a YAML file or the name of a bundled architecture (see `paramcalc list`).

    \b
    Examples:
      paramcalc show architectures/alexnet.yaml
      paramcalc show resnet50 --depth 1
      paramcalc show resnet50 --convention thop --breakdown
      paramcalc show vgg_two_3x3 --set c=128 --format json
    """
    totals = None
    if convention is not None:
        from ..conventions import DEFAULT, apply, get

        get(convention)  # an unknown name fails before any work
    analysis = load_analysis(target, sets, symbolic, batch, dtype)
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

        click.echo(jsonout.render(analysis, convention=totals, breakdown=bd))
    elif fmt == "markdown":
        if bd is None:
            from ..render import markdown

            click.echo(markdown.render(analysis, depth, convention=totals), nl=False)
        else:
            from ..render import breakdown as render_breakdown

            click.echo(render_breakdown.markdown(bd), nl=False)
    else:
        if bd is None:
            from ..render import csvout

            click.echo(csvout.render(analysis, depth, convention=totals), nl=False)
        else:
            from ..render import breakdown as render_breakdown

            click.echo(render_breakdown.csv_text(bd), nl=False)
    if fmt != "table" or bd is not None:  # the plain table prints them as notes under its totals
        for w in analysis.warnings:
            click.echo(f"paramcalc: warning: {w}", err=True)


def constraint_lines(analysis) -> list[str]:
    return [f"Shape constraint: {c.text} (needed by {', '.join(c.layers)})" for c in analysis.constraints]


@click.command("list")
def list_command():
    """The bundled architectures, usable by name in every command, with their params and MACs."""
    from ..render import listing

    listing.render()
