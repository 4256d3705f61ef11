"""`paramcalc show` (per-layer table and totals) and `paramcalc list` (the bundled architectures)."""

from __future__ import annotations

import click

from .common import FORMATS, complete_target, convention_option, input_option, model_options


@click.command()
@click.argument("target", metavar="FILE_OR_NAME", shell_complete=complete_target)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=FORMATS[0],
              show_default=True, help="Output format; json is the stable machine-readable contract.")
@click.option("--depth", type=click.IntRange(min=0), default=None,
              help="Collapse layers inside blocks deeper than N into one row per block (0 = top level only).")
@convention_option
@click.option("--breakdown", is_flag=True,
              help="Where the compute goes: per layer and in total, by category (or by the --convention's terms).")
@input_option
@model_options
def show(target, fmt, depth, convention, breakdown, block_input, sets, symbolic, batch, dtype):
    """Per-layer shapes, parameters, MACs and receptive fields of an architecture, with totals.

    FILE_OR_NAME is a YAML file or the name of a bundled architecture (see `paramcalc list`); FILE#BLOCK is one
    block of it built alone (its arguments are symbols; --input gives its input).

    \b
    Examples:
      paramcalc show architectures/alexnet.yaml
      paramcalc show resnet50 --depth 1
      paramcalc show resnet50 --convention thop --breakdown
      paramcalc show vgg_two_3x3 --set c=128 --format json
      paramcalc show resnet50#bottleneck --input 256,56,56 --set width=64
    """
    from .show_output import write

    write(target, fmt, depth, convention, breakdown, sets, symbolic, batch, dtype, block_input)


@click.command("list")
def list_command():
    """The bundled architectures, usable by name in every command, with their params and MACs."""
    from ..render import listing

    listing.render()
