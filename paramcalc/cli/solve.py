"""`paramcalc solve`: the largest value of a symbol within budgets (or the smallest reaching a receptive field)."""

from __future__ import annotations

import json

import click

from .common import complete_conventions, complete_target, parse_sets


@click.command()
@click.argument("target", metavar="FILE_OR_NAME", shell_complete=complete_target)
@click.option("--for", "symbol", required=True, metavar="SYMBOL", help="The symbol to solve for (width, resolution).")
@click.option("--max-params", metavar="N", help="Parameter budget: 5M, 25_000_000, 4Mi (K/M/G = x1000, Ki/Mi/Gi = x1024).")
@click.option("--max-macs", metavar="N", help="MAC budget (or the --convention's compute figure): 1G, 600M.")
@click.option("--max-activations", metavar="BYTES", help="Activation memory budget in bytes: 256Mi, 1G.")
@click.option("--min-rf", metavar="PIXELS", help="The receptive field must reach this many input pixels.")
@click.option("--convention", default=None, metavar="NAME", shell_complete=complete_conventions,
              help="Count params and MACs as this tool does.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Give another symbol a value; repeatable.")
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--dtype", type=click.Choice(["fp32", "fp16", "bf16", "int8"]), default="fp32", show_default=True)
def solve(target, symbol, max_params, max_macs, max_activations, min_rf, convention, fmt, sets, batch, dtype):
    """The largest integer SYMBOL that keeps every budget, from the exact symbolic totals.

    With only --min-rf: the smallest SYMBOL whose receptive field reaches it. Prints the totals at the answer and
    one step past it, and which budget that step breaks.

    \b
    Examples:
      paramcalc solve vgg_two_3x3 --for c --max-params 5M
      paramcalc solve resnet_bottleneck --for H --set c=64 --max-macs 1G
    """
    from ..explore import parse_quantity
    from ..solve import Budgets, solve as run

    budgets = Budgets(
        max_params=parse_quantity(max_params, "--max-params") if max_params else None,
        max_macs=parse_quantity(max_macs, "--max-macs") if max_macs else None,
        max_activation_bytes=parse_quantity(max_activations, "--max-activations") if max_activations else None,
        min_rf=parse_quantity(min_rf, "--min-rf") if min_rf else None,
    )
    if convention:
        from ..conventions import get

        get(convention)
    s = run(target, symbol, budgets, sets=parse_sets(sets), batch=batch, dtype=dtype, convention=convention)
    from ..render import solve as render

    if fmt == "json":
        click.echo(json.dumps(render.to_dict(s, budgets), indent=2))
    else:
        click.echo(render.text(s, budgets, convention), nl=False)
