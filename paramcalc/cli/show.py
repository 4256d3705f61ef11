"""`paramcalc show` (per-layer table and totals) and `paramcalc list` (the bundled architectures)."""

from __future__ import annotations

import click

from .common import load_analysis, model_options


@click.command()
@click.argument("target", metavar="FILE_OR_NAME")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown", "csv"]), default="table",
              show_default=True, help="Output format; json is the stable machine-readable contract.")
@click.option("--depth", type=click.IntRange(min=0), default=None,
              help="Collapse layers inside blocks deeper than N into one row per block (0 = top level only).")
@model_options
def show(target, fmt, depth, sets, symbolic, batch, dtype):
    """Per-layer shapes, parameters, MACs and receptive fields of an architecture, with totals.

    FILE_OR_NAME is a YAML file or the name of a bundled architecture (see `paramcalc list`).

    \b
    Examples:
      paramcalc show architectures/alexnet.yaml
      paramcalc show resnet50 --depth 1
      paramcalc show two_3x3_vs_5x5.yaml --set c=128 --format json
    """
    analysis = load_analysis(target, sets, symbolic, batch, dtype)
    if fmt == "table":
        from ..render import table

        table.render(analysis, depth)
    elif fmt == "json":
        from ..render import jsonout

        click.echo(jsonout.render(analysis))
    elif fmt == "markdown":
        from ..render import markdown

        click.echo(markdown.render(analysis, depth), nl=False)
    else:
        from ..render import csvout

        click.echo(csvout.render(analysis, depth), nl=False)


@click.command("list")
def list_command():
    """The bundled architectures, usable by name in every command."""
    from ..bundled import directory, names
    from ..spec import load_file

    for name in names():
        raw = load_file(directory() / f"{name}.yaml")
        desc = raw.get("description", "") if isinstance(raw, dict) else ""
        click.echo(f"{name:28s} {str(desc).splitlines()[0] if desc else ''}".rstrip())
