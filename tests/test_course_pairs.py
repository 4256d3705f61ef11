"""The course's comparison pairs as small symbolic files, each count derived by hand in the test.

Pairs: three 3x3 vs one 7x7 (VGG), a 1x1 reduction before a k x k conv (inception), a dense layer vs a 1x1 conv
(convolutionalisation), a standard vs a depthwise separable conv (MobileNet). Two 3x3 vs one 5x5 and bottleneck vs
basic are in test_course_arithmetic.py.
"""

from __future__ import annotations

import sympy

from paramcalc import analyze_file
from conftest import ARCH


def sym(name):
    return sympy.Symbol(name, integer=True, positive=True)


def test_three_3x3_against_one_7x7_same_field_27c2_against_49c2():
    # Simonyan & Zisserman 2015, Section 2.3: "3(3^2 C^2) = 27C^2 ... a single 7x7 conv. layer would require
    # 7^2 C^2 = 49C^2 parameters"; three stacked 3x3 layers have a 7x7 effective receptive field.
    c = sym("c")
    three = analyze_file(ARCH / "vgg_three_3x3.yaml")
    one = analyze_file(ARCH / "vgg_one_7x7.yaml")
    assert sympy.expand(three.totals.params - 27 * c**2) == 0
    assert sympy.expand(one.totals.params - 49 * c**2) == 0
    assert three.totals.receptive_field.size == one.totals.receptive_field.size == (7, 7)   # 3 + 2 + 2
    # Both keep the H x H map (padding 1 and 3), so the MACs keep the same 27 : 49 ratio.
    assert sympy.simplify(three.totals.macs / one.totals.macs - sympy.Rational(27, 49)) == 0
    at64 = analyze_file(ARCH / "vgg_three_3x3.yaml", overrides={"c": 64, "H": 56})
    assert at64.totals.params == 3 * 3 * 3 * 64 * 64 == 110_592
    assert at64.totals.macs == 110_592 * 56 * 56


def test_inception_1x1_reduction_leaves_about_30_percent_of_the_direct_count():
    # Course example (1x1 convolution before a 3x3, 128 -> 32 -> 128 channels): 3*3*128*128 = 147,456 direct,
    # 1*1*128*32 + 3*3*32*128 = 4,096 + 36,864 = 40,960 reduced, about 28% ("about 30%").
    naive = analyze_file(ARCH / "inception_naive.yaml", overrides={"c": 128})
    reduced = analyze_file(ARCH / "inception_reduced.yaml", overrides={"c": 128, "r": 32})
    assert naive.totals.params == 3 * 3 * 128 * 128 == 147_456
    assert reduced.totals.params == 1 * 1 * 128 * 32 + 3 * 3 * 32 * 128 == 40_960
    ratio = reduced.totals.params / naive.totals.params
    assert abs(ratio - 0.30) < 0.03
    # Same 3x3 field and the same output shape: the reduction is free in what the branch sees.
    assert naive.totals.receptive_field.size == reduced.totals.receptive_field.size == (3, 3)
    assert naive.outputs[0][1] == reduced.outputs[0][1] == (1, 128, 28, 28)


def test_inception_reduction_symbolically_and_for_the_5x5_branch():
    # Szegedy et al. 2015, Section 4: 1x1 reductions before "the expensive 3x3 and 5x5 convolutions".
    # Direct: k^2 c^2 weights. Reduced: c r (1x1) + k^2 r c (k x k). Ratio: r (1 + k^2) / (k^2 c).
    c, r, k = sym("c"), sym("r"), sym("k")
    naive = analyze_file(ARCH / "inception_naive.yaml", symbolic=True, overrides={"H": 28})
    reduced = analyze_file(ARCH / "inception_reduced.yaml", symbolic=True, overrides={"H": 28})
    assert naive.outputs[0][1] == reduced.outputs[0][1] == (1, c, 28, 28)      # 'same' padding for any k
    assert sympy.expand(naive.totals.params - k**2 * c**2) == 0
    assert sympy.expand(reduced.totals.params - (c * r + k**2 * r * c)) == 0
    assert sympy.simplify(reduced.totals.params / naive.totals.params - r * (1 + k**2) / (k**2 * c)) == 0
    # The 5x5 branch at the same widths: 25*128*128 = 409,600 against 128*32 + 25*32*128 = 106,496 (26%).
    naive5 = analyze_file(ARCH / "inception_naive.yaml", overrides={"c": 128, "k": 5})
    reduced5 = analyze_file(ARCH / "inception_reduced.yaml", overrides={"c": 128, "r": 32, "k": 5})
    assert naive5.totals.params == 409_600 and reduced5.totals.params == 106_496
    assert naive5.outputs[0][1] == reduced5.outputs[0][1] == (1, 128, 28, 28)   # padding 2 keeps 28x28


def test_dense_layer_and_its_1x1_convolution_have_the_same_parameters():
    # Course fact / Long et al. 2015, Section 3.1: convolutionalising a dense layer keeps its parameters:
    # c*n weights + n biases either way; the 1x1 conv applies them at every one of H*W positions.
    c, n, H, W = sym("c"), sym("n"), sym("H"), sym("W")
    dense = analyze_file(ARCH / "dense_fc.yaml")
    conv = analyze_file(ARCH / "conv_1x1_fc.yaml", symbolic=True)
    assert sympy.expand(dense.totals.params - (c * n + n)) == 0
    assert sympy.expand(conv.totals.params - (c * n + n)) == 0
    assert sympy.expand(conv.totals.macs - H * W * c * n) == 0
    # At H = W = 1 (the file's defaults) the conv is the dense layer: same parameters, same MACs.
    at1 = analyze_file(ARCH / "conv_1x1_fc.yaml", overrides={"c": 4096, "n": 1000})
    dense_at = analyze_file(ARCH / "dense_fc.yaml", overrides={"c": 4096, "n": 1000})
    assert at1.totals.params == dense_at.totals.params == 4096 * 1000 + 1000
    assert at1.totals.macs == dense_at.totals.macs == 4096 * 1000
    assert at1.layer("fc").param_shapes["weight"] == (1000, 4096, 1, 1)
    assert dense_at.layer("fc").param_shapes["weight"] == (1000, 4096)


def test_depthwise_separable_cost_is_one_over_n_plus_one_over_dk2_of_a_standard_conv():
    # Howard et al. 2017, Section 3.1, equation (5):
    #   (Dk*Dk*M*DF*DF + M*N*DF*DF) / (Dk*Dk*M*N*DF*DF) = 1/N + 1/Dk^2, with DF the output size.
    M, N, Dk, H = sym("M"), sym("N"), sym("Dk"), sym("H")
    standard = analyze_file(ARCH / "standard_conv.yaml", symbolic=True)
    separable = analyze_file(ARCH / "depthwise_separable.yaml", symbolic=True)
    # 'same' padding keeps DF = H for any kernel size, so the costs are the paper's equations (2) and (4):
    assert sympy.expand(standard.totals.macs - Dk**2 * M * N * H**2) == 0
    assert sympy.expand(separable.totals.macs - (Dk**2 * M * H**2 + M * N * H**2)) == 0
    ratio = sympy.simplify(separable.totals.macs / standard.totals.macs)
    assert sympy.simplify(ratio - (1 / N + 1 / Dk**2)) == 0
    # The parameters follow the same ratio (no biases): Dk^2 M + M N against Dk^2 M N.
    assert sympy.expand(standard.totals.params - Dk**2 * M * N) == 0
    assert sympy.expand(separable.totals.params - (Dk**2 * M + M * N)) == 0
    # "8 to 9 times less computation" for 3x3 at N = 512 (Section 3.1): 1 / (1/512 + 1/9) = 8.84.
    s = analyze_file(ARCH / "standard_conv.yaml", overrides={"M": 512, "N": 512, "H": 14})
    d = analyze_file(ARCH / "depthwise_separable.yaml", overrides={"M": 512, "N": 512, "H": 14})
    assert s.totals.macs == 3 * 3 * 512 * 512 * 14 * 14
    assert d.totals.macs == 3 * 3 * 512 * 14 * 14 + 512 * 512 * 14 * 14
    assert 8 < s.totals.macs / d.totals.macs < 9
