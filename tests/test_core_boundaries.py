"""The core stays framework-free and sympy-free for concrete models; every layer type defines every rule."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from paramcalc.layers import REGISTRY, Layer

ROOT = Path(__file__).resolve().parent.parent


def _modules_after(code: str) -> set:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_engine_imports_no_framework_no_renderer_no_sympy():
    mods = _modules_after("import paramcalc.engine, paramcalc.graph")
    for heavy in ("torch", "rich", "sympy", "numpy"):
        assert heavy not in mods, heavy


def test_show_on_a_concrete_model_does_not_import_sympy_or_torch():
    code = ("from click.testing import CliRunner\nfrom paramcalc.cli import main\n"
            "r = CliRunner().invoke(main, ['show', 'alexnet', '--format', 'json'])\nassert r.exit_code == 0, r.output")
    mods = _modules_after(code)
    assert "sympy" not in mods
    assert "torch" not in mods


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_a_short_show_imports_neither_dataclasses_inspect_nor_typing(fmt):
    """What records.py and the annotation-only typing imports are for: `paramcalc show NAME`, the command users time,
    pays for none of them (about 16 ms of a 0.1 s run)."""
    code = ("import sys, io, contextlib\n"
            "from paramcalc.cli.quick import show\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    assert show(['densenet201', '--format', {fmt!r}]) == 0\n")
    assert {"dataclasses", "inspect", "typing"} & _modules_after(code) == set()


# Every command on models whose symbols all have values (defaults or --set), each run in turn in one process: none
# may load sympy (0.2 s of import) when no value stays symbolic. Paths that do need a symbolic value are left out on
# purpose: --symbolic, sweep/solve's closed forms, compare --set (it shows each total's formula beside its value),
# and check of a folder without budgets (it builds the design studies whose symbols have no value, to prove they
# build).
_CONCRETE_COMMANDS = [
    ["show", "alexnet"], ["show", "resnet50", "--format", "json"], ["show", "resnet50", "--format", "markdown"],
    ["show", "resnet50", "--format", "csv", "--batch", "4", "--dtype", "fp16"], ["show", "resnet50", "--depth", "1"],
    ["show", "resnet50", "--set", "res=300"], ["show", "vgg_one_5x5", "--set", "c=8"],
    ["show", "architectures/resnet_basic.yaml", "--set", "c=64", "--format", "json"],
    ["compare", "alexnet", "resnet50"], ["compare", "alexnet", "alexnet2012", "--format", "json"],
    ["list"], ["check", "architectures/alexnet.yaml"], ["check", "architectures/vgg_one_5x5.yaml", "--set", "c=8"],
    ["check", "architectures", "--max-params", "200M"], ["snapshot", "architectures"],
    ["sweep", "resnet50", "--set", "res=224,256", "--method", "concrete"],
    ["report", "resnet50", "--set", "res=300", "-o", "{tmp}/report.html"], ["draw", "alexnet", "-o", "{tmp}/a.svg"],
    ["draw", "vgg_one_5x5", "--set", "c=8", "--format", "mermaid"], ["schema"],
]


def test_no_command_on_a_model_without_free_symbols_imports_sympy(tmp_path):
    code = ("import json, sys\nfrom click.testing import CliRunner\nfrom paramcalc.cli import main\n"
            f"for args in json.loads({json.dumps(json.dumps(_CONCRETE_COMMANDS))}):\n"
            f"    args = [a.replace('{{tmp}}', {str(tmp_path)!r}) for a in args]\n"
            "    r = CliRunner().invoke(main, args)\n"
            "    assert r.exit_code in (0, 1), (args, r.output)\n"
            "    assert 'sympy' not in sys.modules, f'{\" \".join(args)} imported sympy'\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]


def test_every_layer_type_defines_all_five_rules():
    for name, layer in REGISTRY.items():
        for rule in Layer.RULES:
            owner = next(k for k in type(layer).__mro__ if rule in k.__dict__)
            assert owner is not Layer, f"{name} does not define {rule}"
