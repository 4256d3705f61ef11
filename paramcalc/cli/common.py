"""Options shared by the commands that analyse a model, and the one way they load it."""

from __future__ import annotations

import click

from ..engine import DTYPE_BYTES


def model_options(f):
    """--set, --symbolic, --batch and --dtype."""
    f = click.option("--dtype", type=click.Choice(["fp32", "fp16", "bf16", "int8"]), default="fp32",
                     show_default=True, help="Element type for weight and activation memory.")(f)
    f = click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Batch size (shapes, MACs and activation memory scale with it).")(f)
    f = click.option("--symbolic", is_flag=True,
                     help="Keep every symbol not given by --set symbolic, ignoring the file's defaults.")(f)
    f = click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
                     help="Give a symbol a value (128, 0.75, 3/4); repeatable.")(f)
    return f


def parse_sets(sets) -> dict:
    out = {}
    for item in sets:
        name, eq, value = item.partition("=")
        if not eq or not name.strip() or not value.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--set")
        out[name.strip()] = value.strip()
    return out


def load_analysis(target, sets=(), symbolic=False, batch=1, dtype="fp32"):
    """Resolve a path or bundled name, build its graph with the --set values, and analyse it."""
    from .. import analyze_file

    assert dtype in DTYPE_BYTES
    return analyze_file(target, overrides=parse_sets(sets), symbolic=symbolic, batch=batch, dtype=dtype)


# The profiles of paramcalc.conventions, named here so that --help does not import it (a test keeps them equal).
CONVENTION_NAMES = ("paramcalc", "torchvision", "flopcounter", "fvcore", "ptflops", "thop", "keras")


def convention_option(f):
    """--convention NAME (validated by paramcalc.conventions.get, which lists the known names)."""
    return click.option("--convention", default=None, metavar="NAME",
                        help="Also count as another tool does: " + ", ".join(CONVENTION_NAMES) +
                             " (README: 'Other tools' conventions').")(f)
