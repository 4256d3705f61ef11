"""`paramcalc schema`: print the JSON Schema of the YAML format, or of `show --format json` with --output."""

from __future__ import annotations

import click


@click.command("schema")
@click.option("--output", "output", is_flag=True,
              help="The schema of `paramcalc show --format json` instead of the YAML format's.")
def schema_command(output):
    """Print a JSON Schema shipped with paramcalc (generated from the layer registry).

    \b
    Editors validate and autocomplete architecture files with it:
      paramcalc schema > paramcalc.schema.json
      # yaml-language-server: $schema=paramcalc.schema.json     (first line of a YAML file)
    Consumers of the JSON output validate it with:
      paramcalc schema --output > paramcalc-output.schema.json
    """
    from ..schema import ARCHITECTURE_FILE, OUTPUT_FILE, shipped

    click.echo(shipped(OUTPUT_FILE if output else ARCHITECTURE_FILE), nl=False)
