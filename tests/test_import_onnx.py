"""paramcalc import onnx: models exported by torch.onnx.export (the TorchScript exporter, dynamo=False, which needs
no onnxscript) are imported, and PyTorch is the oracle: the exported module's parameter count, its multiply-adds as
torch.utils.flop_counter counts them, and its outputs against to_torch(yaml) with the ONNX initializers loaded."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

from click.testing import CliRunner  # noqa: E402

from paramcalc.cli import main  # noqa: E402
from paramcalc.importers.model import ImportError_  # noqa: E402
from paramcalc.importers.pipeline import import_onnx  # noqa: E402
from paramcalc.importers.proof import analyse_text, randomize  # noqa: E402

from test_import_torch import DenseNetLike, MobileNetV2Like, ResNetLike, Rolling, _macs_by_flop_counter  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def export(model, path, shape=(3, 32, 32), dynamic=False):
    model = model.eval()
    randomize(model)  # distinct weights: the exporter shares identical initializers (fresh BatchNorms are all 1s)
    axes = {"x": {0: "batch", 2: "height", 3: "width"}} if dynamic else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(1, *shape),), str(path), dynamo=False, input_names=["x"],
                          dynamic_axes=axes, training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    return model


@pytest.mark.parametrize("cls", [ResNetLike, DenseNetLike, MobileNetV2Like])
def test_exported_model_imports_with_the_same_totals_and_outputs(cls, tmp_path):
    path = tmp_path / f"{cls.__name__}.onnx"
    model = export(cls(), path)
    result = import_onnx(str(path), file="m.yaml")
    analysis = analyse_text(result.text, "m.yaml")
    assert analysis.totals.params == sum(p.numel() for p in model.parameters())
    assert analysis.totals.macs == _macs_by_flop_counter(model, (3, 32, 32))
    assert result.proof.outputs_compared and result.proof.max_difference < 1e-4


def test_symbolic_batch_and_resolution_become_symbols(tmp_path):
    path = tmp_path / "dyn.onnx"
    model = export(ResNetLike(), path, dynamic=True)
    result = import_onnx(str(path), file="dyn.yaml")
    assert "symbols: {height: null, width: null}" in result.text
    assert "input: [3, height, width]" in result.text
    assert not result.proof.outputs_compared  # no sizes to run at
    symbolic = analyse_text(result.text, "dyn.yaml")
    assert symbolic.totals.params == sum(p.numel() for p in model.parameters())
    assert "height" in str(symbolic.totals.macs)
    at_64 = analyse_text(result.text, "dyn.yaml", overrides={"height": 64, "width": 48})
    assert at_64.totals.macs == _macs_by_flop_counter(model, (3, 64, 48))
    given = import_onnx(str(path), defaults={"height": "40", "width": "40"}, file="dyn.yaml")
    assert "symbols: {height: 40, width: 40}" in given.text and given.proof.outputs_compared


def test_layer_names_follow_the_initializers_so_the_torch_state_dict_loads(tmp_path):
    import paramcalc

    path = tmp_path / "r.onnx"
    model = export(ResNetLike(), path)
    yaml_path = tmp_path / "r.yaml"
    yaml_path.write_text(import_onnx(str(path), file="r.yaml").text)
    rebuilt = paramcalc.to_torch(str(yaml_path)).eval()
    rebuilt.load_state_dict(model.state_dict())
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(rebuilt(x), model(x), rtol=1e-4, atol=1e-5)


def test_unmapped_onnx_ops_are_named_and_opaque_keeps_them(tmp_path):
    path = tmp_path / "roll.onnx"
    export(Rolling(), path, shape=(3, 8, 8))
    with pytest.raises(ImportError_) as e:
        import_onnx(str(path))
    assert "no paramcalc layer type for ONNX" in str(e.value) and "CumSum" in str(e.value)
    result = import_onnx(str(path), opaque=True)
    assert "type: opaque" in result.text


def test_show_and_compare_accept_an_onnx_file(tmp_path):
    path = tmp_path / "m.onnx"
    model = export(MobileNetV2Like(), path)
    r = CliRunner().invoke(main, ["show", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    assert f'"params": {sum(p.numel() for p in model.parameters())}' in r.output


def test_a_corrupted_onnx_file_is_one_line_and_exit_code_2(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07garbage that is not a protobuf \xff\xff\xff")
    proc = subprocess.run([sys.executable, "-m", "paramcalc", "import", "onnx", str(bad)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert "not a readable ONNX model" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    missing = subprocess.run([sys.executable, "-m", "paramcalc", "import", "onnx", str(tmp_path / "no.onnx")],
                             capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_without_onnx_the_import_says_which_extra_to_install():
    code = ("import sys; sys.modules['onnx'] = None\n"
            "from paramcalc.cli import main\n"
            "main(['import', 'onnx', 'model.onnx'])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 2
    assert "pip install onnx" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
