"""The modern half of the architecture library, each file checked against figures published outside paramcalc.

Ground truth, written beside each figure: torchvision's documented ``num_params`` and ``GFLOPS`` (the model docs and
the ``meta`` of each weights enum in torchvision/models/*.py, torchvision 0.13+, where ``_ops`` keeps three decimals),
the papers' tables, and hand derivations written out in the test.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import sympy

from paramcalc import analyze_file, load_graph
from paramcalc.bundled import resolve
from conftest import analyse_text

MODERN = ["densenet121", "densenet169", "densenet201", "mobilenet_v1", "mobilenet_v2", "squeezenet1_0",
          "squeezenet1_1", "fcn32s_vgg16", "unet", "conv_autoencoder", "yolo_v1", "faster_rcnn_rpn_vgg16",
          "ssd300_vgg16"]

# torchvision (0.13+) model docs and weights meta: num_params, GFLOPS (docs, 2 decimals), _ops (meta, 3 decimals).
TORCHVISION = {
    # torchvision/models/densenet.py, DenseNet121_Weights.IMAGENET1K_V1
    "densenet121": (7_978_856, 2.83, 2.834),
    # torchvision/models/densenet.py, DenseNet169_Weights.IMAGENET1K_V1
    "densenet169": (14_149_480, 3.36, 3.36),
    # torchvision/models/densenet.py, DenseNet201_Weights.IMAGENET1K_V1
    "densenet201": (20_013_928, 4.29, 4.291),
    # torchvision/models/mobilenetv2.py, MobileNet_V2_Weights.IMAGENET1K_V1
    "mobilenet_v2": (3_504_872, 0.30, 0.301),
    # torchvision/models/squeezenet.py, SqueezeNet1_0_Weights.IMAGENET1K_V1
    "squeezenet1_0": (1_248_424, 0.82, 0.819),
    # torchvision/models/squeezenet.py, SqueezeNet1_1_Weights.IMAGENET1K_V1
    "squeezenet1_1": (1_235_496, 0.35, 0.349),
    # torchvision/models/detection/ssd.py, SSD300_VGG16_Weights.COCO_V1
    "ssd300_vgg16": (35_641_826, 34.86, 34.858),
}


def weights(analysis, layer):
    """Elements of one layer's weight tensor (no bias)."""
    return math.prod(analysis.layer(layer).param_shapes["weight"])


def conv_params(c_in, c_out, k, bias=True):
    """k x k convolution: k*k*c_in*c_out weights (+ c_out biases)."""
    return k * k * c_in * c_out + (c_out if bias else 0)


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_torchvision_networks_match_published_num_params_and_gflops(name):
    params, gflops, ops = TORCHVISION[name]
    a = analyze_file(name)
    assert a.totals.params == params
    assert abs(a.totals.macs / (gflops * 1e9) - 1) < 0.005      # the issue's tolerance: 0.5% of the docs' GFLOPS
    assert round(a.totals.macs / 1e9, 3) == ops                  # and the meta's three decimals exactly


@pytest.mark.parametrize("name", MODERN)
def test_every_modern_file_has_a_one_line_description_and_a_source(name):
    graph = load_graph(resolve(name))
    assert graph.description and "\n" not in graph.description
    assert graph.source and "\n" not in graph.source


def test_bundled_list_shows_the_modern_networks(run_cli):
    result = run_cli("list")
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.splitlines() if line.strip()}
    assert set(MODERN) <= listed


# --- DenseNet --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, blocks", [("densenet121", (6, 12, 24, 16)), ("densenet169", (6, 12, 32, 32)),
                                          ("densenet201", (6, 12, 48, 32))])
def test_densenet_channels_grow_by_k_per_dense_layer_and_transitions_halve_them(name, blocks):
    # Course fact: concatenation makes the channels grow by the growth rate k with every layer; transitions halve.
    # Huang et al. 2017, Table 1: k = 32, 64 stem channels, 4 blocks, 224 -> 56, 28, 14, 7.
    a = analyze_file(name)
    k, channels = 32, 64
    for b, n in enumerate(blocks, 1):
        for i in range(n):
            assert a.layer(f"denseblock{b}.{i}.conv1").output_shape[1] == 4 * k    # bottleneck: 4k channels
            assert a.layer(f"denseblock{b}.{i}.conv2").output_shape[1] == k
            channels += k
            assert a.layer(f"denseblock{b}.{i}.cat").output_shape[1] == channels
        if b < 4:
            channels //= 2
            assert a.layer(f"transition{b}.conv").output_shape[1] == channels
    sizes = [a.layer(f"denseblock{b}.0.cat").output_shape[2] for b in range(1, 5)]
    assert sizes == [56, 28, 14, 7]
    # Hand: 121 -> 1024, 169 -> 1664, 201 -> 1920 channels into the classifier (torchvision's classifier in_features).
    assert a.layer("classifier").param_shapes["weight"][1] == {"densenet121": 1024, "densenet169": 1664,
                                                               "densenet201": 1920}[name]


def test_densenet_growth_is_symbolic_in_k():
    # With k symbolic the channel count after layer i of block 1 is 2k + (i + 1) k: linear growth, exactly.
    a = analyze_file("densenet121", symbolic=True)
    k = sympy.Symbol("k", integer=True, positive=True)
    for i in range(6):
        assert sympy.simplify(a.layer(f"denseblock1.{i}.cat").output_shape[1] - (2 * k + (i + 1) * k)) == 0
    assert sympy.simplify(a.layer("denseblock4.15.cat").output_shape[1] - 32 * k) == 0


# --- MobileNet v1 ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha, mult_adds_m, params_m", [
    # Howard et al. 2017, Table 6 (width multiplier at 224x224): million mult-adds, million parameters.
    (1, 569, 4.2), ("0.75", 325, 2.6), ("0.5", 149, 1.3), ("0.25", 41, 0.5)])
def test_mobilenet_v1_matches_the_width_multiplier_table(alpha, mult_adds_m, params_m):
    a = analyze_file("mobilenet_v1", overrides={"alpha": alpha})
    assert round(a.totals.macs / 1e6) == mult_adds_m
    assert round(a.totals.params / 1e6, 1) == params_m


def test_mobilenet_v1_parameters_are_a_polynomial_in_alpha():
    # Hand derivation (Table 1, all widths times alpha, no conv bias, BN weight + bias per channel):
    #   alpha^2: pointwise convs 32*64 + 64*128 + 128*128 + 128*256 + 256*256 + 256*512 + 5*512*512 + 512*1024
    #            + 1024*1024 = 3,139,584
    #   alpha:   conv1 27*32 = 864; depthwise 9 * (32+64+128+128+256+256+6*512+1024) = 44,640;
    #            fc weights 1024*1000; BN 2 * (32 + 4,960 depthwise + 5,952 pointwise channels) = 21,888
    #   1:       fc bias 1000
    alpha = sympy.Symbol("alpha", integer=True, positive=True)
    a = analyze_file("mobilenet_v1", symbolic=True, overrides={"res": 224})
    pointwise = 32 * 64 + 64 * 128 + 128 * 128 + 128 * 256 + 256 * 256 + 256 * 512 + 5 * 512 * 512 + 512 * 1024 \
        + 1024 * 1024
    linear = 27 * 32 + 9 * (32 + 64 + 128 + 128 + 256 + 256 + 6 * 512 + 1024) + 1024 * 1000 + 2 * (32 + 4960 + 5952)
    assert pointwise == 3_139_584 and linear == 1_091_392
    assert sympy.expand(a.totals.params - (pointwise * alpha**2 + linear * alpha + 1000)) == 0


@pytest.mark.parametrize("res", [192, 160, 128])
def test_mobilenet_v1_resolution_scales_compute_by_rho_squared_and_leaves_parameters(res):
    # Howard et al. 2017, Section 3.4: the resolution multiplier rho cuts the cost by rho^2 and leaves the
    # parameters unchanged (Table 7 lists 4.2M at every resolution). Every map here is res/32 * (32, 16, ..., 1)
    # exactly, so the conv mult-adds scale by (res/224)^2; the final dense layer (1024 x 1000) does not.
    base = analyze_file("mobilenet_v1")
    a = analyze_file("mobilenet_v1", overrides={"res": res})
    assert a.totals.params == base.totals.params
    fc = 1024 * 1000
    assert (a.totals.macs - fc) * 224**2 == (base.totals.macs - fc) * res**2


def test_mobilenet_v1_separable_layer_costs_one_over_n_plus_one_over_dk2_of_a_standard_conv():
    # Section 3.1: (Dk^2 M DF^2 + M N DF^2) / (Dk^2 M N DF^2) = 1/N + 1/Dk^2, here at sep7.0 (512 -> 512, 14x14).
    a = analyze_file("mobilenet_v1")
    dw, pw = a.layer("sep7.0.dw"), a.layer("sep7.0.pw")
    standard = 3 * 3 * 512 * 512 * 14 * 14
    assert sympy.Rational(dw.macs + pw.macs, standard) == sympy.Rational(1, 512) + sympy.Rational(1, 9)


# --- MobileNet v2 ----------------------------------------------------------------------------------------------


def test_mobilenet_v2_inverted_residuals_expand_six_fold_and_add_only_where_shapes_match():
    # Sandler et al. 2018, Table 2: rows (t, c, n, s); a shortcut on every repeat (stride 1, same width):
    # (2-1) + (3-1) + (4-1) + (3-1) + (3-1) = 10 additions.
    a = analyze_file("mobilenet_v2")
    assert sum(1 for l in a.layers if l.type == "add") == 10
    assert a.layer("b3r.0.expand").output_shape[1] == 6 * 32
    assert a.layer("b6.expand").output_shape[1] == 6 * 96
    relu6 = [l for l in a.layers if l.type == "relu6"]
    assert relu6 and not any(l.type == "relu" for l in a.layers)
    # The projection is linear: no activation follows a project_bn.
    names = [l.name for l in a.layers]
    for i, name in enumerate(names[:-1]):
        if name.endswith("project_bn"):
            assert a.layers[i + 1].type not in ("relu6", "relu")
    assert a.layer("last_relu6").output_shape == (1, 1280, 7, 7)


# --- SqueezeNet ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["squeezenet1_0", "squeezenet1_1"])
def test_squeezenet_fire_modules_concatenate_two_expand_branches(name):
    # Iandola et al. 2016, Section 3.2 / Table 1: fire = squeeze 1x1 (s1x1), expand 1x1 (e1x1) and 3x3 (e3x3),
    # concatenated: 2 * e channels. fire9: s = 64, e = 256 -> 512 channels at 13x13.
    a = analyze_file(name)
    assert a.layer("fire9.cat").output_shape == (1, 512, 13, 13)
    assert a.layer("fire2.squeeze").param_shapes["weight"] == (16, 96 if name == "squeezenet1_0" else 64, 1, 1)
    assert a.layer("fire9.expand3x3").param_shapes["weight"] == (256, 64, 3, 3)
    assert a.layer("conv10").output_shape == (1, 1000, 13, 13)


# --- FCN-32s ---------------------------------------------------------------------------------------------------


def test_fcn32s_fc6_as_a_7x7_conv_keeps_the_dense_layers_parameters():
    # Long et al. 2015, Section 3.1: the dense fc6 of VGG-16 (25088 = 7*7*512 inputs -> 4096) recast as a 7x7 conv.
    a = analyze_file("fcn32s_vgg16")
    fc6 = a.layer("fc6")
    assert fc6.params == 7 * 7 * 512 * 4096 + 4096 == 25088 * 4096 + 4096 == 102_764_544
    assert a.layer("fc7").params == 4096 * 4096 + 4096
    # The whole net: torchvision's VGG-16 (138,357,544 parameters, torchvision/models/vgg.py VGG16_Weights) minus
    # its 1000-way fc8 (4096*1000 + 1000), plus the 21-way 1x1 scores and the bias-free 64x64 upscore.
    vgg16 = 138_357_544
    expected = vgg16 - (4096 * 1000 + 1000) + (4096 * 21 + 21) + 21 * 21 * 64 * 64
    assert a.totals.params == expected == 136_152_917


@pytest.mark.parametrize("size, pool5", [(500, 22), (224, 14)])
def test_fcn32s_upsamples_by_32_with_the_transposed_conv_formula_and_crops_to_the_input(size, pool5):
    # conv1_1 pads 100: size + 198; five ceil-mode 2x2 pools; fc6 (7x7 valid) -> pool5 - 6;
    # upscore: (in - 1)*32 - 2*0 + 1*(64 - 1) + 0 + 1; crop at offset 19 back to the input size.
    a = analyze_file("fcn32s_vgg16", overrides={"H": size, "W": size})
    side = size + 198
    for _ in range(5):
        side = -(-side // 2)
    assert side == pool5 == a.layer("pool5").output_shape[2]
    score = pool5 - 6
    assert a.layer("score_fr").output_shape == (1, 21, score, score)
    up = (score - 1) * 32 - 0 + (64 - 1) + 0 + 1
    assert a.layer("upscore").output_shape == (1, 21, up, up)
    assert up >= 19 + size
    assert a.outputs[0][1] == (1, 21, size, size)


# --- U-Net -----------------------------------------------------------------------------------------------------


def test_unet_maps_a_572_tile_to_a_388x388x2_output():
    # Ronneberger et al. 2015, Figure 1: 572x572 input, 388x388 output map with 2 classes.
    a = analyze_file("unet")
    assert a.outputs[0][1] == (1, 2, 388, 388)


def test_unet_feature_map_sizes_per_level_follow_figure_1():
    # Figure 1: contracting path 568, 280, 136, 64, 28; expansive path 52, 100, 196, 388 after the two convs;
    # each valid 3x3 conv removes 2 pixels, each pool halves, each up-conv doubles.
    a = analyze_file("unet")
    assert [a.layer(f"enc{i}.relu2").output_shape[2] for i in range(1, 5)] == [568, 280, 136, 64]
    assert a.layer("bottom.relu2").output_shape == (1, 1024, 28, 28)
    assert [a.layer(f"up{i}").output_shape[2] for i in (4, 3, 2, 1)] == [56, 104, 200, 392]
    assert [a.layer(f"crop{i}").output_shape[2] for i in (4, 3, 2, 1)] == [56, 104, 200, 392]
    assert [a.layer(f"dec{i}.relu2").output_shape[2] for i in (4, 3, 2, 1)] == [52, 100, 196, 388]
    assert [a.layer(f"cat{i}").output_shape[1] for i in (4, 3, 2, 1)] == [1024, 512, 256, 128]


def test_unet_has_23_conv_layers_and_a_hand_derived_parameter_count():
    # Section 2: "In total the network has 23 convolutional layers" (18 3x3, 4 up-convs, 1 final 1x1).
    # The paper publishes no parameter count (~31M is quoted by re-implementations); derived here by hand.
    a = analyze_file("unet")
    assert sum(1 for l in a.layers if l.type in ("conv", "conv_transpose")) == 23

    def double(c_in, c):
        return conv_params(c_in, c, 3) + conv_params(c, c, 3)

    encoder = double(1, 64) + double(64, 128) + double(128, 256) + double(256, 512) + double(512, 1024)
    up_convs = sum(2 * 2 * c_in * c_in // 2 + c_in // 2 for c_in in (1024, 512, 256, 128))
    decoder = double(1024, 512) + double(512, 256) + double(256, 128) + double(128, 64)
    final = conv_params(64, 2, 1)
    assert a.totals.params == encoder + up_convs + decoder + final == 31_030_658


# --- Convolutional autoencoder -----------------------------------------------------------------------------------


def transposed_size(n, kernel, stride=1, padding=0, output_padding=0, dilation=1):
    """The course formula: (in - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1."""
    return (n - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def test_conv_autoencoder_reconstructs_its_input_shape():
    a = analyze_file("conv_autoencoder")
    assert a.outputs[0][1] == a.inputs[0][1] == (1, 1, 28, 28)
    assert a.layer("code").output_shape == (1, 64, 1, 1)
    assert transposed_size(1, 7) == 7 == a.layer("dec1").output_shape[2]
    assert transposed_size(7, 3, 2, 1, 1) == 14 == a.layer("dec2").output_shape[2]
    assert transposed_size(14, 3, 2, 1, 1) == 28 == a.layer("dec3").output_shape[2]
    # Each transposed conv mirrors its conv's weight count: weight [in, out, k, k] against [out, in, k, k].
    for enc, dec in (("code", "dec1"), ("enc2", "dec2"), ("enc1", "dec3")):
        assert weights(a, enc) == weights(a, dec)


def test_conv_autoencoder_sizes_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    x = torch.zeros(1, 1, 28, 28)
    encoder = nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1), nn.Conv2d(16, 32, 3, 2, 1), nn.Conv2d(32, 64, 7))
    decoder = nn.Sequential(nn.ConvTranspose2d(64, 32, 7), nn.ConvTranspose2d(32, 16, 3, 2, 1, 1),
                            nn.ConvTranspose2d(16, 1, 3, 2, 1, 1))
    a = analyze_file("conv_autoencoder")
    assert tuple(decoder(encoder(x)).shape) == a.outputs[0][1]
    n_params = sum(p.numel() for p in (*encoder.parameters(), *decoder.parameters()))
    assert a.totals.params == n_params


# --- YOLO v1 ---------------------------------------------------------------------------------------------------


def test_yolo_v1_predicts_7x7x30_from_24_convs_and_2_dense_layers():
    # Redmon et al. 2016, Section 2 and Figure 3: S=7, B=2, C=20 -> 7 x 7 x 30; 24 conv + 2 fully connected layers;
    # the conv trunk ends on 7 x 7 x 1024 at 448 x 448.
    a = analyze_file("yolo_v1")
    assert a.outputs[0][1] == (1, 7, 7, 30)
    assert sum(1 for l in a.layers if l.type == "conv") == 24
    assert sum(1 for l in a.layers if l.type == "linear") == 2
    assert a.layer("conv24.conv").output_shape == (1, 1024, 7, 7)
    leaky = [l for l in a.layers if l.type == "leaky_relu"]
    assert len(leaky) == 25                                             # every layer but the last
    assert all(a.graph.node(l.name).attrs["negative_slope"] == Fraction(1, 10) for l in leaky)
    assert a.layer("fc1").params == 7 * 7 * 1024 * 4096 + 4096
    assert a.layer("fc2").params == 4096 * 1470 + 1470                  # 1470 = 7 * 7 * 30


def test_yolo_v1_output_is_s_by_s_by_5b_plus_c_symbolically():
    S, B, C = (sympy.Symbol(n, integer=True, positive=True) for n in "SBC")
    a = analyze_file("yolo_v1", symbolic=True)
    shape = a.outputs[0][1]
    assert shape[1:3] == (S, S)
    assert sympy.expand(shape[3] - (5 * B + C)) == 0
    assert sympy.expand(a.layer("fc2").output_shape[1] - S * S * (5 * B + C)) == 0
    # Overrides give other grids: S=14, B=3, C=80 -> 14 x 14 x 95.
    b = analyze_file("yolo_v1", overrides={"S": 14, "B": 3, "C": 80})
    assert b.outputs[0][1] == (1, 14, 14, 95)


# --- Faster R-CNN RPN ------------------------------------------------------------------------------------------


def test_rpn_head_has_18_objectness_and_36_box_channels_from_9_anchors():
    # Ren et al. 2015, Section 3.1: k = 9 anchors (3 scales x 3 ratios), cls layer 2k scores, reg layer 4k outputs,
    # after a 3x3 conv to a 512-d feature (VGG-16).
    a = analyze_file("faster_rcnn_rpn_vgg16")
    outputs = dict(a.outputs)
    assert outputs["rpn_cls_score"] == (1, 18, 37, 62)
    assert outputs["rpn_bbox_pred"] == (1, 36, 37, 62)
    conv = conv_params(512, 512, 3)
    heads = conv_params(512, 18, 1) + conv_params(512, 36, 1)
    assert a.totals.params == conv + heads == 2_387_510
    assert weights(a, "rpn_cls_score") + weights(a, "rpn_bbox_pred") == 512 * (4 + 2) * 9 == 27_648
    assert 37 * 62 == 2294          # "typically ~2,400" anchor positions (Section 3.1.1) for a ~600x1000 image


def test_rpn_sliding_window_sees_228_pixels_on_vgg16():
    # Ren et al. 2015, Section 3.1: with n = 3 "the effective receptive field on the input image is large (171 and
    # 228 pixels for ZF and VGG, respectively)". VGG-16 conv5_3 then the RPN's 3x3 conv:
    vgg_to_rpn = """
        input: [3, 224, 224]
        blocks:
          stage:
            args: {c: null, n: 2}
            layers:
              - {name: conv, type: conv, out: c, kernel: 3, padding: 1, repeat: n}
              - {name: pool, type: maxpool, kernel: 2}
        layers:
          - {type: stage, c: 64}
          - {type: stage, c: 128}
          - {type: stage, c: 256, n: 3}
          - {type: stage, c: 512, n: 3}
          - {name: conv5, type: conv, out: 512, kernel: 3, padding: 1, repeat: 3}
          - {name: rpn_conv, type: conv, out: 512, kernel: 3, padding: 1}
    """
    a = analyse_text(vgg_to_rpn)
    assert a.layer("rpn_conv").receptive_field.size == (228, 228)


# --- SSD300 ----------------------------------------------------------------------------------------------------


def test_ssd300_predicts_8732_boxes_from_six_feature_maps():
    # Liu et al. 2016, Figure 2: feature maps 38, 19, 10, 5, 3, 1 with 4, 6, 6, 6, 4, 4 default boxes: 8732 boxes.
    a = analyze_file("ssd300_vgg16")
    outputs = dict(a.outputs)
    sizes, boxes = [], []
    for i in range(1, 7):
        reg = outputs[f"head{i}.bbox_regression"]
        cls = outputs[f"head{i}.cls_logits"]
        assert reg[2:] == cls[2:] and cls[1] == 91 * reg[1] // 4
        sizes.append(reg[2])
        boxes.append(reg[1] // 4)
    assert sizes == [38, 19, 10, 5, 3, 1]
    assert boxes == [4, 6, 6, 6, 4, 4]
    assert sum(s * s * b for s, b in zip(sizes, boxes)) == 8732
    assert a.layer("conv4_3_norm").params == 512                 # L2Norm's learned scale per channel
    assert a.layer("fc6").param_shapes["weight"] == (1024, 512, 3, 3)


def test_cli_shows_yolo_symbolically_and_mobilenet_at_a_width_multiplier(run_cli):
    import json

    result = run_cli("show", "yolo_v1", "--symbolic", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["outputs"][0]["shape"] == [1, "S", "S", "5*B + C"]
    result = run_cli("show", "mobilenet_v1", "--set", "alpha=0.75", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["symbols"]["alpha"] == "3/4"
    assert round(data["totals"]["macs"] / 1e6) == 325          # Howard et al. 2017, Table 6
