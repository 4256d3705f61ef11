"""The core stays framework-free and sympy-free for concrete models; every layer type defines every rule."""

from __future__ import annotations

import subprocess
import sys

from paramcalc.layers import REGISTRY, Layer


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


def test_every_layer_type_defines_all_five_rules():
    for name, layer in REGISTRY.items():
        for rule in Layer.RULES:
            owner = next(k for k in type(layer).__mro__ if rule in k.__dict__)
            assert owner is not Layer, f"{name} does not define {rule}"
