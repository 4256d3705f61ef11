"""The JSON, CSV and Markdown paths of `show` (and the default table) never import rich."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown", "table"])
def test_show_does_not_import_rich(fmt):
    code = ("from click.testing import CliRunner\nfrom paramcalc.cli import main\n"
            f"r = CliRunner().invoke(main, ['show', 'resnet18', '--format', '{fmt}'])\n"
            "assert r.exit_code == 0, r.output\nimport sys\nprint(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_show_json_is_valid_and_each_layer_is_one_line(run_cli):
    import json

    r = run_cli("show", "alexnet", "--format", "json")
    d = json.loads(r.stdout)
    layer_lines = [l for l in r.stdout.splitlines() if l.startswith('    {"name": ') and '"type": ' in l]
    assert len(layer_lines) == len(d["layers"]) == 22
