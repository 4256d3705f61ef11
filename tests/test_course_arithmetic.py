"""The arithmetic the course material teaches, derived by hand in each test and checked against the engine."""

from __future__ import annotations

import sympy

from paramcalc import analyze_file
from conftest import ARCH


def weights(analysis, layer):
    """Weight elements (no bias) of one layer."""
    shape = analysis.layer(layer).param_shapes["weight"]
    out = 1
    for s in shape:
        out *= s
    return out


def test_alexnet_2012_two_tower_conv_weights_match_the_lecture():
    # Krizhevsky et al. 2012, Section 3.5 / Figure 2: kernel sizes and the per-GPU input depths.
    a = analyze_file(ARCH / "alexnet2012.yaml")
    assert weights(a, "conv1") == 11 * 11 * 3 * 96 == 34_848
    assert weights(a, "conv2") == 5 * 5 * 48 * 256 == 307_200      # groups=2: 48 input channels per filter
    assert weights(a, "conv3") == 3 * 3 * 256 * 384 == 884_736     # conv3 sees both towers
    assert weights(a, "conv4") == 3 * 3 * 192 * 384 == 663_552
    assert weights(a, "conv5") == 3 * 3 * 192 * 256 == 442_368


def test_alexnet_2012_dense_layers_hold_most_parameters():
    a = analyze_file(ARCH / "alexnet2012.yaml")
    assert weights(a, "fc6") == 6 * 6 * 256 * 4096 == 37_748_736   # "a real definition gives 37.7M"
    assert weights(a, "fc7") == 4096 * 4096
    assert weights(a, "fc8") == 4096 * 1000
    conv_biases = 96 + 256 + 384 + 384 + 256
    fc = 37_748_736 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000
    expected = 34_848 + 307_200 + 884_736 + 663_552 + 442_368 + conv_biases + fc
    assert a.totals.params == expected == 60_965_224                  # "about 61M" in the paper
    assert a.layer("conv1").output_shape == (1, 96, 55, 55)
    assert a.layer("pool5").output_shape == (1, 256, 6, 6)


def test_torchvision_alexnet_matches_its_published_num_params():
    # torchvision/models/alexnet.py, AlexNet_Weights.IMAGENET1K_V1.meta: num_params 61,100,840, GFLOPS 0.71
    a = analyze_file("alexnet")
    assert a.totals.params == 61_100_840
    assert abs(a.totals.macs / 0.71e9 - 1) < 0.01


def test_two_3x3_against_one_5x5_symbolic_and_at_128_channels():
    c = sympy.Symbol("c", integer=True, positive=True)
    two = analyze_file(ARCH / "vgg_two_3x3.yaml")
    one = analyze_file(ARCH / "vgg_one_5x5.yaml")
    assert sympy.simplify(two.totals.params - 18 * c**2) == 0
    assert sympy.simplify(one.totals.params - 25 * c**2) == 0
    two128 = analyze_file(ARCH / "vgg_two_3x3.yaml", overrides={"c": 128})
    one128 = analyze_file(ARCH / "vgg_one_5x5.yaml", overrides={"c": 128})
    assert two128.totals.params == 2 * 3 * 3 * 128 * 128 == 294_912
    assert one128.totals.params == 5 * 5 * 128 * 128 == 409_600
    # Same receptive field: 3 + (3 - 1) = 5.
    assert two128.totals.receptive_field.size == (5, 5)
    assert one128.totals.receptive_field.size == (5, 5)


def test_bottleneck_costs_17c2_against_two_3x3_at_18c2():
    c = sympy.Symbol("c", integer=True, positive=True)
    bottleneck = analyze_file(ARCH / "resnet_bottleneck.yaml")
    basic = analyze_file(ARCH / "resnet_basic.yaml")
    conv_weights = lambda a: sum(weights(a, l.name) for l in a.layers if l.type == "conv")  # noqa: E731
    assert sympy.expand(conv_weights(bottleneck) - 17 * c**2) == 0   # 4c*c + 9c*c + c*4c
    assert sympy.expand(conv_weights(basic) - 18 * c**2) == 0        # 2 * 9c*c
    # At c = 64: 256-d -> 64-d -> 256-d.
    at64 = analyze_file(ARCH / "resnet_bottleneck.yaml", overrides={"c": 64})
    assert conv_weights(at64) == 256 * 64 + 9 * 64 * 64 + 64 * 256 == 69_632


def test_video_tensors_are_5d_and_conv3d_follows_the_same_rules():
    # "Tensors are 4D (batch, channels, height, width); sometimes 5D with time": a 3x7x7 conv over 16 frames.
    from conftest import analyse_text

    a = analyse_text("""
        input: [3, 16, 112, 112]
        layers:
          - {type: conv3d, out: 64, kernel: [3, 7, 7], stride: [1, 2, 2], padding: [1, 3, 3]}
        """)
    layer = a.layers[0]
    # T: (16 + 2 - 3)/1 + 1 = 16; H, W: floor((112 + 6 - 7)/2) + 1 = 56.
    assert layer.output_shape == (1, 64, 16, 56, 56)
    assert layer.param_shapes == {"weight": (64, 3, 3, 7, 7), "bias": (64,)}
    assert layer.params == 64 * 3 * 3 * 7 * 7 + 64 == 28_288
    assert layer.macs == 64 * 16 * 56 * 56 * (3 * 3 * 7 * 7)
    assert layer.receptive_field.size == (3, 7, 7) and layer.receptive_field.stride == (1, 2, 2)
