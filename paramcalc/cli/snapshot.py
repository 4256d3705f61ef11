"""`paramcalc snapshot`: record every architecture's totals as a lock file for `paramcalc check --baseline`."""

from __future__ import annotations

import json

import click

from ..engine import DTYPE_BYTES
from .check import config_options, load_config
from .common import complete_path, parse_sets


@click.command()
@click.argument("paths", nargs=-1, shell_complete=complete_path)
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
              help="Give a symbol a value in every architecture that declares it; repeatable.")
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True, help="Batch size recorded.")
@click.option("--dtype", type=click.Choice(sorted(DTYPE_BYTES)), default="fp32", show_default=True,
              help="Element type for the memory totals recorded.")
@config_options
def snapshot(paths, sets, batch, dtype, config_path, no_config):
    """Print a lock file with the totals of every architecture under PATHS (JSON on stdout).

    PATHS as for `paramcalc check` (default: `paths` from [tool.paramcalc]). Every total must be a number:
    give symbols values with --set or defaults in the file.

    \b
    Example:
      paramcalc snapshot architectures/ > paramcalc.lock.json
      paramcalc check architectures/ --baseline paramcalc.lock.json --max-growth 5%
    """
    from ..check import run_snapshot

    config = load_config(config_path, no_config)
    document, skipped = run_snapshot(paths or config.paths, overrides=parse_sets(sets), batch=batch, dtype=dtype)
    for s in skipped:
        click.echo(f"paramcalc: skipped {s.file}: {s.reason}", err=True)
    click.echo(json.dumps(document, indent=2))
