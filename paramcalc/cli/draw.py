"""`paramcalc draw`: the layer graph as SVG, PNG, Graphviz DOT, Mermaid or interactive HTML."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import UsageError
from .common import input_option, load_analysis, model_options

FORMATS = ("svg", "png", "dot", "mermaid", "html")
SUFFIXES = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".md": "mermaid",
            ".html": "html", ".htm": "html"}


@click.command()
@click.argument("target", metavar="FILE_OR_NAME")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to FILE (default: standard output; PNG needs a file). The suffix picks the format.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="svg (default), png, dot (Graphviz), mermaid (renders on GitHub), html (interactive, offline).")
@click.option("--depth", type=click.IntRange(min=0), default=None,
              help="Draw blocks deeper than N as one node each (0: the top level; default: every layer).")
@click.option("--rf", "receptive_field", is_flag=True,
              help="Print each node's receptive field in its box (HTML and SVG show it on hover anyway).")
@input_option
@model_options
def draw(target, output, fmt, depth, receptive_field, block_input, sets, symbolic, batch, dtype):
    """Draw the layer graph: blocks as groups, each node with its name, type, output shape, params and MACs.

    Merges (add, concat, multiply) are drawn as rounded red pills. SVG, Mermaid, DOT and HTML need no system
    program; PNG uses CairoSVG (pip install cairosvg) or a Chromium/Chrome on the PATH.

    \b
    Examples:
      paramcalc draw resnet50 --depth 1 -o resnet50.svg
      paramcalc draw googlenet --depth 1 --format mermaid   # for GitHub
      paramcalc draw unet -o unet.html                       # interactive
      paramcalc draw densenet121 --depth 1 -o densenet121.png
      paramcalc draw resnet50#bottleneck --input 256,56,56 -o bottleneck.svg   # one block alone
    """
    if fmt is None:
        fmt = SUFFIXES.get(Path(output).suffix.lower(), "svg") if output else "svg"
    if fmt == "png" and output is None and sys.stdout.isatty():
        raise click.UsageError("--format png writes binary data: give -o FILE.png (or redirect the output)")
    analysis = load_analysis(target, sets, symbolic, batch, dtype, block_input)
    if fmt == "html":
        from ..report import page

        _write(output, page.drawing(analysis, depth))
        return
    from ..draw import model

    diagram = model.build(analysis, depth)
    if fmt == "mermaid":
        from ..draw import mermaid

        text = mermaid.render(diagram, receptive_field)
        problem = mermaid.too_large(text, diagram)
        if problem:
            click.echo(f"paramcalc: warning: the Mermaid text has {problem}: GitHub will not draw it; "
                       f"use --depth to close blocks", err=True)
        _write(output, text)
    elif fmt == "dot":
        from ..draw import dot

        _write(output, dot.render(diagram, receptive_field))
    else:
        from ..draw import layout, svg

        placed = layout.layout(diagram, receptive_field)
        text = svg.render(diagram, placed, receptive_field)
        if fmt == "svg":
            _write(output, text)
        else:
            from ..draw import png

            _write(output, png.render(text, placed.width, placed.height))


def _write(output, content) -> None:
    if output is None:
        if isinstance(content, bytes):
            sys.stdout.buffer.write(content)
            sys.stdout.buffer.flush()
        else:
            click.echo(content, nl=False)
        return
    path = Path(output)
    try:
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror}") from None
    click.echo(f"wrote {path}", err=True)
