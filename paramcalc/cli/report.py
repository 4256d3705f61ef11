"""`paramcalc report`: one self-contained HTML file with totals, the graph, charts and the per-layer table."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import UsageError
from .common import model_options, parse_sets


@click.command()
@click.argument("targets", nargs=-1, required=True, metavar="TARGET [TARGET ...]")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="The HTML file to write (default: NAME.html, or NAME-vs-NAME.html for a comparison).")
@click.option("--depth", type=click.IntRange(min=0), default=1, show_default=True,
              help="Blocks deeper than N start closed in the graph (click to open them).")
@click.option("--input", "block_input", metavar="C,H,W",
              help="Input of FILE#BLOCK targets, e.g. 256,56,56 or 4*c,H,H (as in paramcalc compare).")
@model_options
def report(targets, output, depth, block_input, sets, symbolic, batch, dtype):
    """Write an HTML report that works offline: totals, the interactive graph, a sortable per-layer table, and
    plots of params and MACs by stage, receptive field by depth and activation memory over the forward pass.

    A target is a file, a bundled name or FILE#BLOCK (one block built alone, as in paramcalc compare). With two or
    more targets the designs are put side by side, with each one's ratio to the first.

    \b
    Examples:
      paramcalc report resnet50              # writes resnet50.html
      paramcalc report googlenet --depth 0 -o g.html
      paramcalc report resnet50 resnet101 -o cmp.html
    """
    from ..report import page

    if len(targets) == 1:
        from .common import load_analysis

        analysis = load_analysis(targets[0], sets, symbolic, batch, dtype, block_input)
        text = page.report(analysis, depth)
        default = f"{_file_name(analysis.name)}.html"
    else:
        from ..compare import compare, load_designs

        designs = load_designs(targets, parse_sets(sets), symbolic=symbolic, batch=batch, dtype=dtype,
                               block_input=block_input)
        text = page.comparison(designs, compare(designs), depth)
        default = "-vs-".join(_file_name(d.label) for d in designs) + ".html"
    path = Path(output or default)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror}") from None
    click.echo(f"wrote {path} ({len(text.encode('utf-8')) // 1024:,} KiB)", err=True)


def _file_name(label: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in label)
