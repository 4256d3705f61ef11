"""The executor: every layer type's torch rule and every bundled architecture agree with the engine; the graph module
computes what the graph says; `paramcalc run` reports its measurements; errors are one clear line.

Ground truth here is PyTorch itself (real output shapes, named_parameters, functional oracles such as
F.normalize) and hand derivations written beside each check.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

from paramcalc.errors import ParamcalcError, SpecError, UsageError  # noqa: E402
from paramcalc.executor import INSTALL_HINT, to_torch  # noqa: E402
from paramcalc.executor.build import GraphModule  # noqa: E402
from paramcalc.executor.measure import percentile  # noqa: E402
from paramcalc.executor.peaks import lookup  # noqa: E402
from paramcalc.executor.verify import VerificationError, verify  # noqa: E402
from paramcalc.graph import build_graph, load_graph  # noqa: E402
from paramcalc.layers import REGISTRY, Layer, canonical  # noqa: E402
from paramcalc.spec import load_file, load_text  # noqa: E402
from test_layers_modern import TORCH_CASES as MODERN_CASES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURES = sorted((ROOT / "architectures").glob("*.yaml"))
SIZE_FOR_FREE_SYMBOLS = 8          # symbols declared without a default (c: null) get this small value
META_ABOVE_PARAMS = 20_000_000     # larger networks are verified on torch.device('meta'): shapes only, no arithmetic
META_ABOVE_MACS = 2_000_000_000


def graph_of(text: str):
    return build_graph(load_text(textwrap.dedent(text), "case.yaml"), "case.yaml")


def built(text: str) -> GraphModule:
    """Build inline YAML in PyTorch and verify it against the engine (to_torch's default)."""
    return to_torch(graph_of(text))


# ------------------------------------------------------------------------------- every bundled architecture


def _free_symbols(path: Path) -> dict:
    raw = load_file(path)
    symbols = raw.get("symbols") or {}
    return {name: SIZE_FOR_FREE_SYMBOLS for name, default in symbols.items() if default is None}


@pytest.mark.parametrize("path", ARCHITECTURES, ids=[p.stem for p in ARCHITECTURES])
def test_every_bundled_architecture_builds_and_matches_the_engine(path):
    """Batch 1, the file's symbol defaults (8 for symbols without one). Networks above 20M parameters or 2 GMACs
    are built and run on the meta device, which checks every shape and tensor without the CPU arithmetic."""
    graph = load_graph(path, overrides=_free_symbols(path))
    from paramcalc.engine import analyze

    totals = analyze(graph).totals
    large = totals.params > META_ABOVE_PARAMS or totals.macs > META_ABOVE_MACS
    model = to_torch(graph, verify=False, device="meta" if large else "cpu")
    assert next(model.parameters()).device.type == ("meta" if large else "cpu")
    summary = verify(model)
    assert summary["layers"] == len(graph.nodes)
    assert sum(p.numel() for p in model.parameters()) == totals.params
    counted = [b for n, b in model.named_buffers() if not n.endswith("num_batches_tracked")]
    assert sum(b.numel() for b in counted) == totals.buffers


def test_bundled_alexnet_has_torchvisions_parameter_count():
    # torchvision 0.15+ models/alexnet.py, AlexNet_Weights.IMAGENET1K_V1.meta["num_params"] = 61,100,840
    with torch.device("meta"):
        model = to_torch("alexnet")
    assert sum(p.numel() for p in model.parameters()) == 61_100_840


# ------------------------------------------------------------------------------- every layer type's torch rule

CASES = {
    "conv": [
        "input: [3, 9, 9]\nlayers: [{type: conv, out: 8, kernel: 3, stride: 2, padding: 1}]",
        "input: [4, 12, 12]\nlayers: [{type: conv, out: 8, kernel: 3, dilation: 2, groups: 2, bias: false}]",
        "input: [3, 8, 8]\nlayers: [{type: conv, out: 4, kernel: 3, stride: 2, padding: same}]",
        "input: [3, 7, 7]\nlayers: [{type: conv, out: 4, kernel: 4, padding: same}]",
        "input: [3, 7, 7]\nlayers: [{type: conv, out: 4, kernel: [3, 2], padding: [[1, 0], [2, 1]]}]",
        "input: [3, 7, 7]\nlayers: [{type: conv, out: 4, kernel: 3, stride: [2, 1], padding: valid}]",
        "input: [3, 20]\nlayers: [{type: conv1d, out: 4, kernel: 5, stride: 3}]",
        "input: [2, 5, 6, 7]\nlayers: [{type: conv3d, out: 3, kernel: 3, padding: 1}]",
    ],
    "depthwise_conv": ["input: [4, 10, 10]\nlayers: [{type: dwconv, kernel: 3, multiplier: 2, padding: 1}]",
                       "input: [4, 9, 9]\nlayers: [{type: dwconv, kernel: 3, stride: 2, padding: same}]"],
    "conv_transpose": [
        "input: [4, 5, 5]\nlayers: [{type: deconv, out: 6, kernel: 3, stride: 2, padding: 1, output_padding: 1, "
        "groups: 2}]",
        "input: [4, 6]\nlayers: [{type: conv_transpose, out: 2, kernel: 4, stride: 2, bias: false}]"],
    "linear": ["input: [10]\nlayers: [{type: linear, out: 5}]",
               "input: [3, 7]\nlayers: [{type: linear, out: 4, bias: false}]"],
    "maxpool": ["input: [3, 10, 10]\nlayers: [{type: maxpool, kernel: 3, stride: 2, ceil_mode: true}]",
                "input: [3, 11, 11]\nlayers: [{type: maxpool, kernel: 3, stride: 2, padding: 1, dilation: 2}]",
                "input: [3, 11]\nlayers: [{type: maxpool, kernel: 2}]"],
    "avgpool": ["input: [3, 9, 9]\nlayers: [{type: avgpool, kernel: 2, padding: 1, count_include_pad: false}]",
                "input: [3, 9, 9]\nlayers: [{type: avgpool, kernel: 3, stride: 2, ceil_mode: true}]"],
    "adaptive_avgpool": ["input: [3, 10, 7]\nlayers: [{type: adaptive_avgpool, size: [3, 2]}]"],
    "adaptive_maxpool": ["input: [3, 10, 7]\nlayers: [{type: adaptive_maxpool, size: 3}]"],
    "global_avgpool": ["input: [5, 4, 4]\nlayers: [{type: gap}]"],
    "global_maxpool": ["input: [5, 4, 6]\nlayers: [{type: global_maxpool}]"],
    "batchnorm": ["input: [6, 5, 5]\nlayers: [{type: batchnorm}]",
                  "input: [6]\nlayers: [{type: bn}]",
                  "input: [6, 9]\nlayers: [{type: batchnorm, affine: false, track_running_stats: false}]",
                  "input: [2, 3, 4, 5]\nlayers: [{type: batchnorm, eps: 0.001, momentum: 0.01}]"],
    "layernorm": ["input: [4, 6]\nlayers: [{type: layernorm, dims: 2}]",
                  "input: [8]\nlayers: [{type: layernorm, bias: false}]"],
    "groupnorm": ["input: [6, 4, 4]\nlayers: [{type: groupnorm, groups: 3}]"],
    "lrn": ["input: [8, 5, 5]\nlayers: [{type: lrn, size: 5, alpha: 0.0001, beta: 0.75, k: 2}]"],
    "l2norm": ["input: [8, 5, 5]\nlayers: [{type: l2norm, scale: 20}]"],
    "relu": ["input: [4, 3, 3]\nlayers: [{type: relu}]"],
    "relu6": ["input: [4, 3, 3]\nlayers: [{type: relu6}]"],
    "leaky_relu": ["input: [4, 3, 3]\nlayers: [{type: leaky_relu, negative_slope: 0.1}]"],
    "elu": ["input: [4, 3, 3]\nlayers: [{type: elu, alpha: 0.5}]"],
    "sigmoid": ["input: [4, 3, 3]\nlayers: [{type: sigmoid}]"],
    "tanh": ["input: [4, 3, 3]\nlayers: [{type: tanh}]"],
    "gelu": ["input: [4, 3, 3]\nlayers: [{type: gelu, approximate: tanh}]"],
    "silu": ["input: [4, 3, 3]\nlayers: [{type: swish}]"],
    "hardswish": ["input: [4, 3, 3]\nlayers: [{type: hardswish}]"],
    "hardsigmoid": ["input: [4, 3, 3]\nlayers: [{type: hardsigmoid}]"],
    "prelu": ["input: [4, 3, 3]\nlayers: [{type: prelu}]",
              "input: [4, 3, 3]\nlayers: [{type: prelu, channelwise: true}]"],
    "softmax": ["input: [10]\nlayers: [{type: softmax}]",
                "input: [4, 3, 5]\nlayers: [{type: softmax, axis: -1}]"],
    "dropout": ["input: [4, 3, 3]\nlayers: [{type: dropout, p: 0.3}]"],
    "identity": ["input: [4, 3, 3]\nlayers: [{type: identity}]"],
    "stochastic_depth": ["input: [4, 3, 3]\nlayers: [{type: drop_path, p: 0.2}]"],
    "add": ["inputs: {a: [4, 3, 3], b: [4, 3, 3]}\nlayers: [{type: add, inputs: [a, b]}]",
            "inputs: {a: [4, 3, 3], b: [4, 1, 1], c: [4, 3, 3]}\nlayers: [{type: sum, inputs: [a, b, c]}]"],
    "multiply": ["inputs: {a: [4, 3, 3], b: [4, 1, 1]}\nlayers: [{type: multiply, inputs: [a, b]}]"],
    "concat": ["inputs: {a: [4, 3, 3], b: [2, 3, 3]}\nlayers: [{type: concat, inputs: [a, b]}]",
               "inputs: {a: [4, 3, 3], b: [4, 3, 5]}\nlayers: [{type: cat, axis: 3, inputs: [a, b]}]"],
    "upsample": ["input: [3, 4, 5]\nlayers: [{type: upsample, scale: 2}]",
                 "input: [3, 4, 5]\nlayers: [{type: upsample, size: [7, 9], mode: bilinear}]",
                 "input: [3, 5, 5]\nlayers: [{type: upsample, scale: 1.5}]",
                 "input: [3, 6]\nlayers: [{type: upsample, scale: 2, mode: bilinear, align_corners: true}]",
                 "inputs: {a: [3, 4, 5], b: [1, 9, 11]}\nlayers: [{type: upsample, inputs: [a, b], mode: bilinear}]",
                 "input: [1, 100]\nlayers: [{type: upsample, scale: 0.29}]"],
    "zeropad": ["input: [3, 4, 4]\nlayers: [{type: zeropad, padding: [[1, 2], [0, 3]]}]",
                "input: [3, 4, 4]\nlayers: [{type: pad, padding: 1}]"],
    "crop": ["input: [3, 8, 8]\nlayers: [{type: crop, size: [4, 5]}]",
             "input: [3, 8, 8]\nlayers: [{type: crop, size: [4, 4], offset: [1, 2]}]",
             "inputs: {a: [3, 9, 9], b: [2, 5, 5]}\nlayers: [{type: crop, inputs: [a, b]}]"],
    "flatten": ["input: [3, 4, 4]\nlayers: [{type: flatten}]"],
    "reshape": ["input: [12, 2]\nlayers: [{type: reshape, shape: [6, -1]}]"],
}
CASES.update(MODERN_CASES)  # the transformer-era types (tests/test_layers_modern.py)


def test_every_layer_type_has_a_torch_rule_and_a_case_here():
    types = {canonical(name) for name in REGISTRY}
    for name in types:
        owner = next(k for k in type(REGISTRY[name]).__mro__ if "torch" in k.__dict__)
        assert owner is not Layer, f"{name} has no torch rule"
    types -= {"opaque"}  # an importer's node of unknown operation: its rule refuses, see the test below
    assert types == set(CASES), f"layer types without a case: {types - set(CASES)}; stale: {set(CASES) - types}"


def test_an_opaque_layer_refuses_to_run_in_one_line(tmp_path):
    path = tmp_path / "o.yaml"
    path.write_text("input: [3, 4, 4]\nlayers: [{name: mystery, type: opaque, shape: [3, 4, 4]}]\n")
    with pytest.raises(SpecError, match="layer 'mystery' \\(opaque\\): an opaque layer cannot run in PyTorch"):
        to_torch(str(path))


@pytest.mark.parametrize("layer_type,text", [(t, x) for t, xs in CASES.items() for x in xs],
                         ids=[f"{t}-{i}" for t, xs in CASES.items() for i in range(len(xs))])
def test_torch_rule_matches_the_engines_shapes_and_tensors(layer_type, text):
    model = built(text)
    assert model.analysis.layers[-1].type == layer_type


def test_same_padding_with_stride_2_pads_like_tensorflow_odd_pixel_after():
    # Input 8, kernel 3, stride 2, 'same': output ceil(8/2) = 4; total padding (4-1)*2 + 3 - 8 = 1 -> 0 before, 1 after.
    # All-ones 1-channel kernel on an all-ones input: the first window lies inside (sum 9); the last window covers
    # rows/columns 6, 7 and the padded 8 (sum 2 x 2 = 4). PyTorch's symmetric padding=1 would give 4 at the start.
    model = built("input: [1, 8, 8]\nlayers: [{name: c, type: conv, out: 1, kernel: 3, stride: 2, padding: same, "
                  "bias: false}]")
    with torch.no_grad():
        model.layer_module("c").weight.fill_(1)
        y = model(torch.ones(1, 1, 8, 8))
    assert y.shape == (1, 1, 4, 4)
    assert y[0, 0, 0, 0].item() == 9 and y[0, 0, -1, -1].item() == 4


def test_per_side_padding_places_the_zeros_where_declared():
    # 1x1 convolution of weight 1 on ones, padding rows [1 before, 0 after], columns [0 before, 2 after]:
    # output 5 x 6 with a zero first row and zero last two columns.
    model = built("input: [1, 4, 4]\nlayers: [{name: c, type: conv, out: 1, kernel: 1, bias: false, "
                  "padding: [[1, 0], [0, 2]]}]")
    with torch.no_grad():
        model.layer_module("c").weight.fill_(1)
        y = model(torch.ones(1, 1, 4, 4))[0, 0]
    assert y.shape == (5, 6)
    assert y[0].sum().item() == 0 and y[:, 4:].sum().item() == 0 and y[1:, :4].sum().item() == 16


def test_l2norm_is_ssds_channel_normalisation_times_its_scale():
    model = built("input: [8, 5, 5]\nlayers: [{type: l2norm, scale: 20}]")
    x = torch.randn(2, 8, 5, 5)
    torch.testing.assert_close(model(x), F.normalize(x, dim=1) * 20)


def test_global_avgpool_is_the_spatial_mean_flattened():
    model = built("input: [5, 4, 6]\nlayers: [{type: global_avgpool}]")
    x = torch.randn(3, 5, 4, 6)
    torch.testing.assert_close(model(x), x.mean(dim=(2, 3)))


def test_crop_to_a_second_input_is_centred():
    # 8 -> 4 pixels, centred: offset floor((8 - 4) / 2) = 2 on both axes.
    model = built("inputs: {a: [1, 8, 8], b: [1, 4, 4]}\nlayers: [{type: crop, inputs: [a, b]}]")
    a = torch.arange(64.0).reshape(1, 1, 8, 8)
    y = model(a, torch.zeros(1, 1, 4, 4))
    torch.testing.assert_close(y, a[:, :, 2:6, 2:6])


def test_softmax_axis_counts_the_batch_axis():
    model = built("input: [4, 3, 5]\nlayers: [{type: softmax, axis: 1}]")
    y = model(torch.randn(2, 4, 3, 5))
    torch.testing.assert_close(y.sum(dim=1), torch.ones(2, 3, 5))


# ------------------------------------------------------------------------------- the graph module


def test_forward_follows_the_residual_graph():
    # With both convolutions zeroed and BatchNorm at its initial statistics (eval: mean 0, var 1, weight 1, bias 0,
    # so bn(0) = 0), the basic block computes relu(0 + x) = relu(x): the add must take the block's input.
    model = to_torch("resnet_basic", c=4, H=6)
    with torch.no_grad():
        for name in ("block.conv1", "block.conv2"):
            model.layer_module(name).weight.zero_()
    model.eval()
    x = torch.randn(2, 4, 6, 6)
    torch.testing.assert_close(model(x), torch.relu(x))


def test_in_place_activations_never_change_a_tensor_read_elsewhere():
    # conv's output feeds both the relu and the add: the relu must not overwrite it, so y = c + relu(c).
    model = built("""
        input: [2, 5, 5]
        layers:
          - {name: c, type: conv, out: 2, kernel: 1}
          - {name: r, type: relu}
          - {name: s, type: add, inputs: [c, r]}
          - {name: r2, type: relu}
    """)
    assert model.layer_module("r").inplace is False and model.layer_module("r2").inplace is True
    x = torch.randn(3, 2, 5, 5)
    c = model.layer_module("c")(x)
    torch.testing.assert_close(model(x), torch.relu(c + torch.relu(c)))


def test_a_training_step_runs_backward_through_the_graph():
    model = to_torch("resnet_basic", c=4, H=6).train()
    model(torch.randn(2, 4, 6, 6)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_several_inputs_and_outputs():
    model = built("""
        inputs: {a: [2, 3, 3], b: [2, 3, 3]}
        outputs: [joined, product]
        layers:
          - {name: total, type: add, inputs: [a, b]}
          - {name: product, type: multiply, inputs: [a, b]}
          - {name: joined, type: concat, inputs: [total, product]}
    """)
    a, b = torch.randn(1, 2, 3, 3), torch.randn(1, 2, 3, 3)
    joined, product = model(a, b)
    torch.testing.assert_close(product, a * b)
    torch.testing.assert_close(joined, torch.cat([a + b, a * b], dim=1))


def test_module_names_follow_layer_names_with_dots_replaced():
    model = to_torch("resnet_bottleneck", c=4, H=4)
    names = dict(model.named_parameters())
    assert "block_reduce.weight" in names and "block_expand.weight" in names
    assert model.layer_module("block.reduce") is model.block_reduce


def test_frozen_layers_do_not_require_gradients():
    model = built("input: [3, 8, 8]\nlayers:\n  - {name: a, type: conv, out: 4, kernel: 3, trainable: false}\n"
                  "  - {name: b, type: conv, out: 4, kernel: 3}")
    assert not any(p.requires_grad for p in model.layer_module("a").parameters())
    assert all(p.requires_grad for p in model.layer_module("b").parameters())


# ------------------------------------------------------------------------------- verification finds mismatches


def test_a_wrong_parameter_shape_is_reported_with_the_layer_and_both_values(monkeypatch):
    from paramcalc.layers.conv import Conv

    def wrong(self, a, ins, out):
        return torch.nn.Conv2d(ins[0][0], a.out + 1, a.kernel)

    monkeypatch.setattr(Conv, "torch", wrong)
    with pytest.raises(VerificationError) as e:
        built("input: [3, 8, 8]\nlayers: [{name: c1, type: conv, out: 4, kernel: 3}]")
    message = str(e.value)
    assert "layer 'c1' (conv)" in message and "case.yaml:2" in message
    assert "weight [4, 3, 3, 3]" in message and "weight [5, 3, 3, 3]" in message


def test_a_wrong_output_shape_is_reported_with_the_layer_and_both_values(monkeypatch):
    from paramcalc.layers.pool import MaxPool

    monkeypatch.setattr(MaxPool, "torch", lambda self, a, ins, out: torch.nn.MaxPool2d(3, 2, ceil_mode=True))
    with pytest.raises(VerificationError) as e:
        built("input: [3, 10, 10]\nlayers: [{name: p, type: maxpool, kernel: 3, stride: 2}]")
    # floor((10 - 3) / 2) + 1 = 4 predicted; ceil_mode gives ceil(7 / 2) + 1 = 5.
    assert "layer 'p' (maxpool)" in str(e.value)
    assert "[1, 3, 4, 4]" in str(e.value) and "[1, 3, 5, 5]" in str(e.value)


def test_a_layer_type_without_a_torch_rule_says_so(monkeypatch):
    from paramcalc.layers import base
    from paramcalc.layers.structural import Identity

    class Opaque(Identity):
        type = "opaque"

    Opaque.torch = Layer.torch  # every other rule inherited; the torch rule is the base's
    monkeypatch.setitem(base.REGISTRY, "opaque", Opaque())
    monkeypatch.setitem(base._CANONICAL, "opaque", "opaque")
    with pytest.raises(SpecError) as e:
        built("input: [3, 4, 4]\nlayers: [{name: mystery, type: opaque}]")
    assert "layer type 'opaque' has no torch rule" in str(e.value)
    assert "layer 'mystery'" in str(e.value)


def test_symbols_without_values_cannot_be_built():
    with pytest.raises(UsageError, match="no value: c"):
        to_torch("resnet_basic")


# ------------------------------------------------------------------------------- paramcalc run

TINY = """\
name: tiny
input: [3, 8, 8]
layers:
  - {type: conv, out: 4, kernel: 3, padding: 1}
  - {type: batchnorm}
  - {type: relu}
  - {type: gap}
  - {type: linear, out: 2}
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def test_run_json_reports_latency_throughput_memory_and_compute(run_cli, tiny):
    r = run_cli("run", tiny, "--device", "cpu", "--batch", "2", "--warmup", "1", "--iters", "3", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    for key in ("device", "device_name", "torch_version", "dtype", "batch", "mode", "latency_ms",
                "throughput_samples_per_s", "flops_per_iteration", "achieved_tflops", "memory", "verified"):
        assert key in d, key
    assert d["device"] == "cpu" and d["batch"] == 2 and d["dtype"] == "fp32" and d["mode"] == "inference"
    assert d["peak"] is None  # no share of a GPU peak on the CPU
    lat = d["latency_ms"]
    assert 0 < lat["min"] <= lat["median"] <= lat["p90"] <= lat["max"]
    assert d["throughput_samples_per_s"] == pytest.approx(2 / (lat["median"] / 1e3))
    # conv: 8*8 outputs x 4 channels x 3*3*3 MACs = 6,912; linear 4 x 2 = 8; x 2 FLOPs per MAC x batch 2
    assert d["flops_per_iteration"] == 2 * 2 * (6912 + 8)
    assert d["achieved_tflops"] == pytest.approx(d["flops_per_iteration"] / (lat["median"] / 1e3) / 1e12)
    assert d["memory"]["measured_peak_bytes"] > 0
    assert d["verified"]["layers"] == 5 and d["verified"]["params"] == 4 * 27 + 4 + 2 * 4 + 2 * 4 + 2


def test_run_training_counts_three_forward_passes_and_shows_a_table(run_cli, tiny):
    r = run_cli("run", tiny, "--device", "cpu", "--batch", "2", "--train", "--warmup", "0", "--iters", "2",
                "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["mode"] == "train" and d["flops_per_iteration"] == 3 * 2 * 2 * (6912 + 8)
    r = run_cli("run", tiny, "--device", "cpu", "--warmup", "0", "--iters", "2", "--channels-last")
    assert r.exit_code == 0, r.output
    assert "latency" in r.stdout and "throughput" in r.stdout and "TFLOP/s" in r.stdout


def test_run_with_a_dtype_the_cpu_lacks_names_the_layer(run_cli, tmp_path):
    try:
        torch.nn.LocalResponseNorm(5)(torch.ones(1, 8, 4, 4, dtype=torch.float16))
        pytest.skip("this PyTorch runs LocalResponseNorm in fp16 on the CPU")
    except RuntimeError:
        pass  # PyTorch 2.13 on the CPU: "avg_pool3d_out_frame" not implemented for 'Half'
    path = tmp_path / "lrn.yaml"
    path.write_text("input: [3, 8, 8]\nlayers:\n  - {type: conv, out: 8, kernel: 3}\n"
                    "  - {name: norm1, type: lrn, size: 5}\n")
    r = run_cli("run", path, "--device", "cpu", "--dtype", "fp16", "--iters", "1", "--warmup", "0")
    assert r.exit_code == 2
    assert "layer 'norm1' (lrn): fp16 is not supported on cpu" in r.output
    assert "Traceback" not in r.output


def test_run_on_cuda_without_a_gpu_is_a_clear_error(run_cli, tiny):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    r = run_cli("run", tiny, "--device", "cuda")
    assert r.exit_code == 2 and "CUDA is not available" in r.output


def test_run_without_torch_says_how_to_install_it(run_cli, tiny, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    r = run_cli("run", tiny)
    assert r.exit_code == 2
    assert "pip install torch" in r.output and INSTALL_HINT in r.output


def test_run_with_an_unset_symbol_asks_for_it(run_cli):
    r = run_cli("run", "vgg_two_3x3", "--iters", "1")
    assert r.exit_code == 2 and "--set" in r.output and "c" in r.output


def test_verification_failure_exits_1_from_the_cli(run_cli, tiny, monkeypatch):
    from paramcalc.layers.linear import Linear

    monkeypatch.setattr(Linear, "torch", lambda self, a, ins, out: torch.nn.Linear(ins[0][-1], a.out, bias=False))
    r = run_cli("run", tiny, "--iters", "1", "--warmup", "0")
    assert r.exit_code == 1 and "parameters differ" in r.output and "linear" in r.output


# ------------------------------------------------------------------------------- pieces


def test_percentile_interpolates_between_ranks():
    # numpy.percentile([1, 2, 3, 4], 90) with linear interpolation: position 0.9 * 3 = 2.7 -> 3 + 0.7 * (4 - 3)
    assert percentile([4, 1, 3, 2], 90) == pytest.approx(3.7)
    assert percentile([5.0], 90) == 5.0


def test_known_gpus_are_matched_by_device_name_with_dense_datasheet_peaks():
    # NVIDIA H100 datasheet: BF16 tensor core 1,979 TFLOPS "with sparsity" (SXM), 1,513 (PCIe); dense is half.
    assert lookup("NVIDIA H100 80GB HBM3").name == "H100 SXM"
    assert lookup("NVIDIA H100 80GB HBM3").peak("bf16") == pytest.approx(1979 / 2, abs=0.5)
    assert lookup("NVIDIA H100 PCIe").peak("fp16") == pytest.approx(1513 / 2, abs=0.5)
    assert lookup("NVIDIA H200").name == "H200 SXM"
    assert lookup("NVIDIA A100-SXM4-80GB").peak("fp32") == 19.5     # A100 datasheet: FP32 19.5 TFLOPS
    assert lookup("Tesla T4").peak("bf16") is None                   # T4 (Turing) has no bf16
    assert lookup("NVIDIA L40S") is None                             # not the L4
    assert lookup("NVIDIA L4").name == "L4"


def test_importing_paramcalc_does_not_import_torch():
    import subprocess

    code = ("import sys, paramcalc, paramcalc.cli, paramcalc.executor\n"
            "assert callable(paramcalc.to_torch)\nassert 'torch' not in sys.modules, 'torch imported'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr


def test_errors_are_paramcalc_errors():
    assert issubclass(VerificationError, ParamcalcError) and VerificationError.exit_code == 1


def test_the_benchmark_says_when_torchvision_is_missing(monkeypatch, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "resnet50_vs_torchvision.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    monkeypatch.setitem(sys.modules, "torchvision", None)  # `import torchvision` now raises ImportError
    with pytest.raises(SystemExit) as e:
        bench.main(["--device", "cpu"])
    assert e.value.code == 2
    assert "torchvision is not installed" in capsys.readouterr().err
