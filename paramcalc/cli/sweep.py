"""`paramcalc sweep`: totals at every combination of symbol values, as a table with growth sparklines, CSV or JSON."""

from __future__ import annotations

import click

from .common import complete_conventions, complete_target, parse_sets


@click.command()
@click.argument("target", metavar="FILE_OR_NAME", shell_complete=complete_target)
@click.option("--set", "grids", multiple=True, required=True, metavar="NAME=V1,V2,...",
              help="Values to sweep (128,160,224 or START:STOP:STEP); repeat for a grid over several symbols.")
@click.option("--fix", "sets", multiple=True, metavar="NAME=VALUE", help="Give another symbol one value.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--convention", default=None, metavar="NAME", shell_complete=complete_conventions,
              help="Count params and MACs as this tool does.")
@click.option("--method", type=click.Choice(["symbolic", "concrete"]), default="symbolic", show_default=True,
              help="Substitute into one symbolic analysis, or re-run the concrete engine per combination.")
@click.option("--rows", "max_rows", type=click.IntRange(min=2), default=100, show_default=True,
              help="Most rows in the table (evenly spaced, first and last kept); csv and json list every row.")
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--dtype", type=click.Choice(["fp32", "fp16", "bf16", "int8"]), default="fp32", show_default=True)
def sweep(target, grids, sets, fmt, convention, method, max_rows, batch, dtype):
    """One row per combination of symbol values: params, MACs, memory and receptive field.

    \b
    Examples:
      paramcalc sweep resnet_bottleneck --set H=28,56,112,224 --fix c=64
      paramcalc sweep vgg_two_3x3 --set c=32:256:32 --format csv
      paramcalc sweep resnet50 --set res=32:1024:1 --rows 20
    """
    from ..sweep import parse_grid, sweep as run

    if convention:
        from ..conventions import get

        get(convention)
    result = run(target, [parse_grid(g) for g in grids], sets=parse_sets(sets, "--fix"), batch=batch, dtype=dtype,
                 convention=convention, method=method)
    from ..render import sweep as render

    if fmt == "csv":
        click.echo(render.csv_text(result), nl=False)
    elif fmt == "json":
        click.echo(render.json_text(result))
    else:
        total = len(result.points)
        if total > max_rows:  # a table of 100,000 rows helps nobody: an even sample, and where the rest is
            from ..records import replace

            picked = sorted({round(i * (total - 1) / (max_rows - 1)) for i in range(max_rows)})
            result = replace(result, points=tuple(result.points[i] for i in picked))
        render.table(result, None, convention)
        if total > max_rows:
            click.echo(f"{len(result.points)} of {total:,} rows shown, evenly spaced (--rows N to change; "
                       f"--format csv or json for every row)")
