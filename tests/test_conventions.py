"""Convention profiles reproduce what other tools print, from one paramcalc analysis.

Ground truth, in this order of preference:
- published figures, with their source beside each;
- hand derivations written in the test;
- the tools themselves, run once on equivalent PyTorch models (torch 2.13 CPU; ptflops 0.7.5 with
  backend='pytorch'; ultralytics-thop 2.2.3 `profile`; fvcore 0.1.5.post20221221 `FlopCountAnalysis`, model in eval()),
  written down as "measured with <tool>";
- torch.utils.flop_counter.FlopCounterMode, run here on equivalent torch models, where torch is installed.
"""

from __future__ import annotations

import json

import pytest

from paramcalc import analyze_file
from paramcalc.conventions import PROFILES, apply, get
from paramcalc.errors import UsageError
from conftest import ROOT

MIXED = ROOT / "tests" / "data" / "transposed_grouped.yaml"


def rounds_to(value, published: float, digits: int) -> bool:
    """True when value / 1e9 printed with ``digits`` decimals is the published figure."""
    return round(value / 1e9, digits) == round(published, digits)


@pytest.fixture(scope="module")
def resnet50():
    return analyze_file("resnet50")


@pytest.fixture(scope="module")
def resnet50_v1():
    return analyze_file("resnet50_v1")


@pytest.fixture(scope="module")
def alexnet():
    return analyze_file("alexnet")


@pytest.fixture(scope="module")
def mixed():
    return analyze_file(MIXED)


# ------------------------------------------------------------------------------------------------ ResNet-50

def test_resnet50_torchvision_convention_is_the_published_gflops(resnet50):
    # torchvision/models/resnet.py, ResNet50_Weights.IMAGENET1K_V1.meta["_ops"] = 4.089 (GFLOPS = conv+linear MACs)
    assert rounds_to(apply(resnet50, "torchvision").compute, 4.089, 3)


def test_resnet50_flopcounter_convention_is_twice_the_multiply_adds(resnet50):
    # issue 7: torch.utils.flop_counter.FlopCounterMode reports about 8.18 GFLOPs for torchvision's resnet50
    fc = apply(resnet50, "flopcounter").compute
    assert rounds_to(fc, 8.18, 2)
    assert fc == 2 * apply(resnet50, "torchvision").compute
    assert fc == 8_178_368_512  # measured with FlopCounterMode (torch 2.13) on torchvision's ResNet-50 layout


def test_resnet50_thop_convention_is_thops_exact_published_count(resnet50):
    # ultralytics/thop README, "Basic Usage": profile(resnet50(), (1, 3, 224, 224)) -> MACs: 4133742592.0
    assert apply(resnet50, "thop").compute == 4_133_742_592


def test_resnet50_fvcore_convention_counts_eval_batchnorm(resnet50):
    # issue 7: fvcore 4.11 G. fvcore/nn/jit_handles.py (0.1.5.post20221221): batch_norm in eval counts 2 per input
    # element when affine; adaptive_avg_pool2d 1 per input element; conv and linear multiply-adds; nothing else.
    fv = apply(resnet50, "fvcore")
    assert rounds_to(fv.compute, 4.11, 2)
    assert fv.compute == 4_111_512_576  # measured with fvcore FlopCountAnalysis(model.eval())
    # thop counts the same BatchNorms at 4 per element, the pooling at input + output, and no linear difference:
    thop = apply(resnet50, "thop").compute
    bn_elements = (thop - fv.compute - 2048) // 2  # thop adds one divide per pooled channel (2048) on top
    assert fv.compute == apply(resnet50, "torchvision").compute + 2 * bn_elements + 2048 * 7 * 7


def test_resnet50_ptflops_convention_is_the_published_pytorch_backend_figure(resnet50):
    # ptflops 0.7.5 README, Benchmark / torchvision table: resnet50 MACs(G) `pytorch` backend 4.13
    pt = apply(resnet50, "ptflops").compute
    assert rounds_to(pt, 4.13, 2)
    assert pt == 4_132_436_968  # measured with ptflops 0.7.5 get_model_complexity_info(backend='pytorch')


def test_resnet50_keras_params_come_from_biased_convs_and_moving_statistics(resnet50):
    # keras.io/api/applications table: ResNet50 25,636,712 parameters; torchvision: num_params 25,557,032.
    # Hand derivation of the difference: every conv of Keras' ResNet50 has a bias and is followed by a
    # BatchNormalization, whose moving mean and variance Keras counts as (non-trainable) weights. Channels that
    # go through a BatchNorm: stem 64, then per stage of width w with n blocks: the first block 10w (w, w, 4w and
    # the 4w projection), each other block 6w -> 26,560 channels; biases add 26,560, moving statistics 2 x 26,560.
    channels = 64 + sum(10 * w + 6 * w * (n - 1) for w, n in [(64, 3), (128, 4), (256, 6), (512, 3)])
    assert channels == 26_560
    keras = apply(analyze_file("resnet50_keras"), "keras")
    assert keras.params == 25_636_712 == 25_557_032 + channels + 2 * channels
    assert keras.non_trainable_params == 2 * channels
    assert keras.trainable_params == 25_557_032 + channels
    # the Keras convention on PyTorch's ResNet-50: its running statistics counted, but no conv biases to count
    assert apply(resnet50, "keras").params == 25_557_032 + 2 * channels


def test_resnet_v1_and_v15_differ_only_in_compute_under_every_convention(resnet50, resnet50_v1):
    # He et al., CVPR 2016, Table 1: 50-layer 3.8 x 10^9 FLOPs (multiply-adds) for v1; torchvision's v1.5: 4.089 G
    for name in PROFILES:
        assert apply(resnet50, name).params == apply(resnet50_v1, name).params
        assert apply(resnet50_v1, name).compute < apply(resnet50, name).compute
    assert abs(apply(resnet50_v1, "torchvision").compute - 3.8e9) < 0.1e9
    assert apply(resnet50_v1, "ptflops").compute == 3_899_118_568  # measured with ptflops 0.7.5 (pytorch)
    assert apply(resnet50_v1, "thop").compute == 3_900_424_192    # measured with ultralytics-thop 2.2.3


# ------------------------------------------------------------------------------------------------ AlexNet

def test_alexnet_torchvision_and_ptflops_published_figures(alexnet):
    # torchvision/models/alexnet.py, AlexNet_Weights.IMAGENET1K_V1.meta["_ops"] = 0.714
    assert rounds_to(apply(alexnet, "torchvision").compute, 0.714, 3)
    # ptflops 0.7.5 README, Benchmark / torchvision table: alexnet MACs(G) `pytorch` 0.72
    assert rounds_to(apply(alexnet, "ptflops").compute, 0.72, 2)
    assert apply(alexnet, "ptflops").compute == 716_441_128  # measured with ptflops 0.7.5 (pytorch backend)


def test_alexnet_ptflops_terms_by_hand(alexnet):
    # ptflops' pytorch backend: conv/linear MACs + one add per bias per output element + ReLU twice per element +
    # pooling twice per input element (module hook and the patched functional both fire).
    macs = apply(alexnet, "torchvision").compute
    bias = 64 * 55 * 55 + 192 * 27 * 27 + 384 * 13 * 13 + 256 * 13 * 13 * 2 + 4096 + 4096 + 1000
    relu = 64 * 55 * 55 + 192 * 27 * 27 + 384 * 13 * 13 + 256 * 13 * 13 * 2 + 4096 * 2
    pool_inputs = 64 * 55 * 55 + 192 * 27 * 27 + 256 * 13 * 13 + 256 * 6 * 6  # three max pools, the adaptive one
    assert apply(alexnet, "ptflops").compute == macs + bias + 2 * relu + 2 * pool_inputs


def test_alexnet_thop_and_fvcore_by_hand(alexnet):
    macs = apply(alexnet, "torchvision").compute
    # thop: ReLU and max pooling are free; AdaptiveAvgPool2d(6) on 6x6 reads each input once, divides per output
    assert apply(alexnet, "thop").compute == macs + 256 * 36 + 256 * 36 == 714_206_912  # also measured with thop
    # fvcore: adaptive_avg_pool2d counts its input elements; no bias, ReLU or max pooling
    assert apply(alexnet, "fvcore").compute == macs + 256 * 36 == 714_197_696  # also measured with fvcore
    assert apply(alexnet, "keras").params == 61_100_840  # no BatchNorm: nothing to add


# ------------------------------------------------------------------------------- transposed and grouped convs

def test_mixed_network_multiply_adds_by_hand(mixed):
    conv1 = 20 * 20 * 16 * 8 * 9           # 8 -> 16, 3x3, padding 1, at 20x20
    grouped = 10 * 10 * 32 * (16 // 4) * 9  # 16 -> 32 in 4 groups, stride 2
    transposed = 5 * 5 * 32 * (16 // 2) * 16  # every input pixel of the 5x5 map scatters a 4x4 kernel, 2 groups
    fc = 16 * 3 * 3 * 10
    assert apply(mixed, "torchvision").compute == conv1 + grouped + transposed + fc
    assert apply(mixed, "flopcounter").compute == 2 * (conv1 + grouped + transposed + fc)


def test_mixed_network_matches_each_tool_as_measured(mixed):
    # Each tool run on the same network in PyTorch (the torch model is in test_mixed_network_flopcounter_oracle):
    assert apply(mixed, "ptflops").compute == 739_060   # ptflops 0.7.5, backend='pytorch'
    assert apply(mixed, "thop").compute == 776_717      # ultralytics-thop 2.2.3
    assert apply(mixed, "fvcore").compute == 715_040    # fvcore 0.1.5.post20221221, eval()
    assert apply(mixed, "flopcounter").compute == 1_359_680


def test_mixed_network_batchnorm_weights_depend_on_affine(mixed):
    bn1 = 32 * 10 * 10   # affine
    bn2 = 16 * 10 * 10   # affine: false
    terms = dict(apply(mixed, "fvcore").terms)
    assert terms["batch_norm (eval): 1 per input element, 2 if affine"] == 2 * bn1 + bn2
    terms = dict(apply(mixed, "thop").terms)
    assert terms["norm layers: 2 per input element, 4 if affine"] == 4 * bn1 + 2 * bn2


# ------------------------------------------------------------------------------------------ torch as oracle

def _torch_models():
    torch = pytest.importorskip("torch")
    nn = torch.nn

    def mixed():
        return nn.Sequential(
            nn.Conv2d(8, 16, 3, padding=1), nn.Conv2d(16, 32, 3, stride=2, padding=1, groups=4, bias=False),
            nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2), nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1, groups=2),
            nn.BatchNorm2d(16, affine=False), nn.LeakyReLU(0.1), nn.Upsample(scale_factor=2, mode="bilinear"),
            nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(3), nn.Flatten(), nn.Linear(16 * 9, 10), nn.Softmax(dim=1))

    def alexnet():
        return nn.Sequential(
            nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(),
            nn.MaxPool2d(3, 2), nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(), nn.Conv2d(384, 256, 3, padding=1),
            nn.ReLU(), nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2), nn.AdaptiveAvgPool2d(6),
            nn.Flatten(), nn.Dropout(), nn.Linear(9216, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 4096),
            nn.ReLU(), nn.Linear(4096, 1000))

    return torch, mixed, alexnet


def _torch_resnet50(nn, v15: bool):
    """torchvision's ResNet-50 layout (v1.5: stride on the 3x3; v1: on the first 1x1), written out here."""

    class Bottleneck(nn.Module):
        def __init__(self, cin, width, stride):
            super().__init__()
            s1, s3 = (1, stride) if v15 else (stride, 1)
            self.body = nn.Sequential(
                nn.Conv2d(cin, width, 1, stride=s1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                nn.Conv2d(width, width, 3, stride=s3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                nn.Conv2d(width, 4 * width, 1, bias=False), nn.BatchNorm2d(4 * width))
            self.shortcut = nn.Identity() if stride == 1 and cin == 4 * width else nn.Sequential(
                nn.Conv2d(cin, 4 * width, 1, stride=stride, bias=False), nn.BatchNorm2d(4 * width))

        def forward(self, x):
            return (self.body(x) + self.shortcut(x)).relu()

    layers, cin = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)], 64
    for width, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for i in range(blocks):
            layers.append(Bottleneck(cin, width, stride if i == 0 else 1))
            cin = 4 * width
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, 1000))


def _flop_counter(torch, model, shape):
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model.eval()(torch.zeros(1, *shape))
    return counter.get_total_flops()


def test_mixed_network_flopcounter_oracle(mixed):
    torch, make_mixed, _ = _torch_models()
    model = make_mixed()
    assert sum(p.numel() for p in model.parameters()) == mixed.totals.params
    assert _flop_counter(torch, model, (8, 20, 20)) == apply(mixed, "flopcounter").compute


def test_resnet50_v1_and_v15_flopcounter_oracle(resnet50, resnet50_v1):
    torch, _, _ = _torch_models()
    for v15, analysis in ((True, resnet50), (False, resnet50_v1)):
        model = _torch_resnet50(torch.nn, v15)
        assert sum(p.numel() for p in model.parameters()) == 25_557_032
        assert _flop_counter(torch, model, (3, 224, 224)) == apply(analysis, "flopcounter").compute


def test_alexnet_flopcounter_oracle(alexnet):
    torch, _, make_alexnet = _torch_models()
    assert _flop_counter(torch, make_alexnet(), (3, 224, 224)) == apply(alexnet, "flopcounter").compute


# ----------------------------------------------------------------------------------------- API and CLI

def test_unknown_convention_is_a_usage_error_naming_the_known_ones(run_cli):
    with pytest.raises(UsageError, match="thop"):
        get("thopp")
    r = run_cli("show", "alexnet", "--convention", "thopp")
    assert r.exit_code == 2 and "did you mean 'thop'" in r.output and "Traceback" not in r.output


def test_every_layer_share_sums_to_the_convention_total(resnet50):
    for name in PROFILES:
        ct = apply(resnet50, name)
        assert sum(v for _, v in ct.per_layer) == ct.compute == sum(v for _, v in ct.terms)


def test_conventions_work_on_symbolic_models():
    a = analyze_file("vgg_two_3x3")  # c symbolic
    assert str(apply(a, "flopcounter").compute) == str(2 * a.totals.macs)


def test_show_json_carries_the_convention_and_keeps_paramcalc_totals(run_cli):
    r = run_cli("show", "resnet50", "--convention", "thop", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["convention"]["name"] == "thop" and d["convention"]["compute"] == 4_133_742_592
    assert d["totals"]["macs"] == apply(analyze_file("resnet50"), "torchvision").compute  # unchanged meaning
    assert d["constraints"] == []


def test_show_table_names_the_convention_and_its_terms(run_cli):
    r = run_cli("show", "resnet50_keras", "--convention", "keras", "--depth", "1")
    assert r.exit_code == 0, r.output
    assert "Convention keras" in r.stdout and "25,636,712" in r.stdout and "non-trainable 53,120" in r.stdout


# ------------------------------------------------------------------------------------- single layers, measured

# One layer on a [4, 8, 8] input (batch 1), measured once by running each tool on the same nn.Module:
# ptflops 0.7.5 get_model_complexity_info(backend='pytorch'), ultralytics-thop 2.2.3 profile(),
# fvcore 0.1.5.post20221221 FlopCountAnalysis(model.eval()).total(). Each rule's quirk in a comment.
SINGLE_LAYERS = [
    ("{type: layernorm, dims: 2}", 256, 1024, 1280),          # ptflops reads `affine`, which LayerNorm lacks
    ("{type: layernorm, dims: 2, affine: false}", 256, 512, 1024),
    ("{type: groupnorm, groups: 2}", 512, 1024, 1280),
    ("{type: prelu}", 512, 256, 0),
    ("{type: relu6}", 256, 0, 0),                               # nn.ReLU6 calls hardtanh: no functional double count
    ("{type: elu}", 512, 0, 0),
    ("{type: gelu}", 512, 0, 0),
    ("{type: silu}", 256, 0, 0),                                # ptflops: functional hook only
    ("{type: sigmoid}", 0, 0, 0),
    ("{type: softmax, axis: 1}", 256, 704, 0),                  # thop: 64 rows of 4 -> 64 * (3 * 4 - 1)
    ("{type: upsample, scale: 2}", 2048, 0, 1024),
    ("{type: upsample, scale: 2, mode: bilinear}", 2048, 11264, 4096),
    ("{type: avgpool, kernel: 3, stride: 2, padding: 1}", 512, 640, 0),
    ("{type: avgpool, kernel: 3, stride: 2, ceil_mode: true}", 512, 548, 0),
    ("{type: avgpool, kernel: 3, stride: 2, padding: 1, count_include_pad: false, ceil_mode: true}", 512, 676, 0),
    ("{type: maxpool, kernel: 3, stride: 2, ceil_mode: true}", 512, 0, 0),
    ("{type: adaptive_avgpool, size: 3}", 512, 436, 256),        # thop: overlapping windows 3+4+3 per axis
    ("{type: adaptive_maxpool, size: 2}", 512, 0, 0),
    ("{type: depthwise_conv, kernel: 3, multiplier: 2}", 2880, 2592, 2592),
    ("{type: conv_transpose, out: 6, kernel: 3, stride: 2, padding: 1, output_padding: 1}", 15360, 13824, 13824),
]


@pytest.mark.parametrize("layer, ptflops, thop, fvcore", SINGLE_LAYERS)
def test_single_layer_counts_match_each_tool(layer, ptflops, thop, fvcore):
    from conftest import analyse_text

    a = analyse_text("input: [4, 8, 8]\nlayers:\n  - " + layer + "\n")
    assert (apply(a, "ptflops").compute, apply(a, "thop").compute, apply(a, "fvcore").compute) == \
        (ptflops, thop, fvcore)


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_the_convention_column_is_headed_by_its_name_in_every_format(run_cli, fmt):
    out = run_cli("show", "alexnet", "--convention", "ptflops", "--format", fmt).stdout
    header = next(line for line in out.splitlines() if "Type" in line or line.startswith("name,"))
    assert "ptflops" in header and "bound method" not in header and len(header) < 200


def test_the_cli_lists_exactly_the_convention_profiles():
    from paramcalc.cli.common import CONVENTION_NAMES

    assert CONVENTION_NAMES == tuple(PROFILES)


def test_compare_with_a_convention_adds_that_tools_params_and_compute(run_cli):
    out = json.loads(run_cli("compare", "resnet50", "resnet50_keras", "--convention", "keras",
                             "--format", "json").stdout)
    params = [v["value"] for v in out["totals"]["convention_params"]["values"]]
    # keras.io/api/applications: ResNet50 has 25,636,712 parameters (its moving statistics included).
    assert params[1] == 25_636_712
    # torchvision's ResNet-50 (25,557,032 published) plus its BatchNorm statistics, 2 per channel counted by hand:
    # 53 BatchNorms over 26,560 channels in all (stem 64; bottlenecks 64+64+256 x3, 128+128+512 x4,
    # 256+256+1024 x6, 512+512+2048 x3; projections 256+512+1024+2048).
    channels = 64 + 3 * 384 + 4 * 768 + 6 * 1536 + 3 * 3072 + (256 + 512 + 1024 + 2048)
    assert channels == 26_560
    assert params[0] == 25_557_032 + 2 * channels


def test_compare_with_an_unknown_convention_fails_before_any_work(run_cli):
    r = run_cli("compare", "alexnet", "alexnet2012", "--convention", "thopp")
    assert r.exit_code == 2 and "did you mean 'thop'" in r.stderr


def test_check_measures_params_and_macs_budgets_in_the_convention(run_cli):
    # ultralytics/thop README: ResNet-50 4,133,742,592 MACs (exact); paramcalc's own convention gives 4.089 G.
    assert run_cli("check", "resnet50", "--max-macs", "4133742592", "--convention", "thop").exit_code == 0
    failing = run_cli("check", "resnet50", "--max-macs", "4133742591", "--convention", "thop")
    assert failing.exit_code == 1 and "MACs (thop)" in failing.stdout and "by 1 " in failing.stdout
    assert run_cli("check", "resnet50", "--max-macs", "4133742591").exit_code == 0
    # keras.io: ResNet50's 25,636,712 parameters; a budget one below fails only in the keras convention.
    assert run_cli("check", "resnet50_keras", "--max-params", "25636711", "--convention", "keras").exit_code == 1
    assert run_cli("check", "resnet50_keras", "--max-params", "25636711").exit_code == 0
