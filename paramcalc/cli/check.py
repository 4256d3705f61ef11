"""`paramcalc check`: enforce architecture budgets (YAML, pyproject, command line) and a baseline; exit 0, 1 or 2."""

from __future__ import annotations

from pathlib import Path

import click

from ..budget import METRICS
from ..engine import DTYPE_BYTES
from .common import complete_path, convention_option, parse_sets


def config_options(f):
    """--config and --no-config: where `[tool.paramcalc]` is read from."""
    f = click.option("--no-config", is_flag=True, help="Ignore pyproject.toml.")(f)
    f = click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
                     help="The pyproject.toml to read [tool.paramcalc] from (default: the nearest one from the "
                          "working folder up).")(f)
    return f


def load_config(config_path, no_config):
    from ..budget import Config, find_pyproject, load_config as _load

    if no_config:
        return Config()
    if config_path is not None:
        if not Path(config_path).is_file():
            raise click.BadParameter(f"{config_path}: no such file", param_hint="--config")
        return _load(Path(config_path))
    return _load(find_pyproject())


def budget_options(f):
    """One --max-... / --min-... option per budget key."""
    for metric in reversed(list(METRICS.values())):
        word = "at least" if metric.direction == "min" else "at most"
        f = click.option(f"--{metric.key.replace('_', '-')}", metric.key, default=None, metavar="VALUE",
                         help=f"Budget: {metric.label} {word} VALUE (e.g. {metric.example}).")(f)
    return f


@click.command()
@click.argument("paths", nargs=-1, shell_complete=complete_path)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "github", "markdown"]), default="text",
              show_default=True, help="Report format: junit for CI test reports, github for workflow annotations, "
                                      "markdown for a job summary.")
@click.option("--baseline", type=click.Path(dir_okay=False), default=None,
              help="A lock file written by `paramcalc snapshot`: fail when a total grew beyond --max-growth.")
@click.option("--max-growth", default=None, metavar="PERCENT",
              help="Growth allowed against --baseline, e.g. 5% (default 0%: any growth fails).")
@budget_options
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
              help="Give a symbol a value in every architecture that declares it; repeatable.")
@click.option("--batch", type=click.IntRange(min=1), default=None,
              help="Batch size for budgets that name none (default 1).")
@click.option("--dtype", type=click.Choice(sorted(DTYPE_BYTES)), default=None,
              help="Element type for memory budgets that name none (default fp32).")
@config_options
@convention_option
@click.pass_context
def check(ctx, paths, fmt, baseline, max_growth, sets, batch, dtype, config_path, no_config, convention, **limits):
    """Check architectures against their budgets; exit 0 when all hold, 1 when one is exceeded, 2 for unusable input.

    PATHS are files, folders (searched for *.yaml and *.yml) or globs; without PATHS, `paths` from
    [tool.paramcalc] in pyproject.toml. Budgets come from each file's `budget:` section, from
    [[tool.paramcalc.budget]] tables and from the --max-... options; all of them apply. Units: K, M, G, T
    (powers of 1000), Ki, Mi, Gi, Ti (powers of 1024); memory also takes B (256MiB).

    \b
    Examples:
      paramcalc check architectures/
      paramcalc check models/*.yaml --max-params 25M --max-macs 4.5G
      paramcalc check --baseline paramcalc.lock.json --max-growth 5% --format github
      paramcalc check models/ --max-params 25.6M --convention keras
    """
    from ..baseline import load_baseline
    from ..budget import BudgetError, from_command_line, parse_percent
    from ..check import run_check
    from ..errors import UsageError
    from ..render.check_report import render

    if convention is not None:
        from ..conventions import get

        get(convention)  # an unknown name fails before any work
    config = load_config(config_path, no_config)
    targets = paths or config.paths
    baseline = baseline or config.baseline
    growth = config.max_growth
    if max_growth is not None:
        try:
            growth = parse_percent(max_growth)
        except BudgetError as e:
            raise UsageError(f"--max-growth {max_growth}: {e}") from None
        if baseline is None:
            raise UsageError("--max-growth needs --baseline (a lock file written by `paramcalc snapshot`)")
    report = run_check(targets, command_line=from_command_line(limits), config=config, overrides=parse_sets(sets),
                       batch=batch or 1, dtype=dtype or "fp32",
                       baseline=load_baseline(baseline) if baseline else None, max_growth=growth,
                       convention=convention)
    for problem in report.errors:
        click.echo(f"paramcalc: error: {problem.message}", err=True)
    click.echo(render(report, fmt), nl=False)
    ctx.exit(report.exit_code)
