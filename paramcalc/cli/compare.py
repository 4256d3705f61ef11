"""`paramcalc compare`: designs side by side, with ratios to the first; domain in paramcalc.compare."""

from __future__ import annotations

import click

from .common import complete_target, convention_option, model_options, parse_sets


@click.command()
@click.argument("targets", nargs=-1, required=True, metavar="A B [C ...]", shell_complete=complete_target)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table",
              show_default=True, help="Output format; markdown pastes into a pull request, json is exact.")
@click.option("--by", "by", type=click.Choice(["total", "stage", "layer"]), default="total", show_default=True,
              help="total: side-by-side totals only; stage: also one row per top-level layer or block, aligned by "
                   "name; layer: also every layer.")
@click.option("--depth", type=click.IntRange(min=0), default=None,
              help="Also show stages, summing layers inside blocks deeper than N (0 = as --by stage).")
@click.option("--input", "block_input", metavar="C,H,W",
              help="Input of FILE#BLOCK targets, e.g. 256,56,56 or 4*c,H,H (default: the file's own input).")
@convention_option
@model_options
def compare(targets, fmt, by, depth, block_input, convention, sets, symbolic, batch, dtype):
    """Compare designs side by side: params, MACs, FLOPs, memory, depth, receptive field, output shape.

    Each of A B [C ...] is a YAML file, a bundled architecture name, or a block of a file built alone
    (FILE#BLOCK, its arguments given with --set). --set applies to every design that declares the symbol.
    With symbols, values and ratios stay exact expressions; --set gives numbers beside them.

    \b
    Examples:
      paramcalc compare vgg_one_5x5 vgg_two_3x3 --set c=128
      paramcalc compare resnet50 resnet101 --by stage --format markdown
      paramcalc compare resnet50 resnet50_v1 --convention thop
      paramcalc compare resnet_bottleneck#bottleneck resnet_basic#basic --set c=64 --format markdown
      paramcalc compare resnet50#bottleneck resnet_bottleneck#bottleneck --set width=64 --set c=64 --input 256,56,56
    """
    from ..compare import compare as run_compare
    from ..compare import load_designs
    from ..conventions import get

    if convention is not None:
        get(convention)  # an unknown name fails before any work
    designs = load_designs(targets, parse_sets(sets), symbolic=symbolic, batch=batch, dtype=dtype,
                           block_input=block_input)
    stages = by != "total" or depth is not None
    level = depth if depth is not None else (None if by == "layer" else 0)
    comparison = run_compare(designs, depth=level, stages=stages, convention=convention)
    if fmt == "table":
        from ..render import compare_table

        compare_table.render(comparison)
    elif fmt == "json":
        from ..render import compare_json

        click.echo(compare_json.render(comparison))
    else:
        from ..render import compare_markdown

        click.echo(compare_markdown.render(comparison), nl=False)
