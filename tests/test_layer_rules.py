"""Every layer type's shape, parameter, operation and receptive-field rules against independent derivations.

The ground truth: hand derivations written beside each assertion, PyTorch's documented output-size formulas and,
where torch is installed, torch.nn itself (shapes, parameter tensors) and torch.utils.flop_counter (MACs).
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from paramcalc.layers import REGISTRY

from conftest import run_layers

COVERED: set = set()


def covers(*types):
    """Marks a test as checking the rules of these canonical layer types (see the coverage test at the end)."""
    COVERED.update(types)
    return lambda f: f


run = run_layers  # conftest: a small network given as Python data


def one(attrs, input_shape, **kw):
    """The result of a single layer named 'x' applied to the input."""
    return run([{"name": "x", **attrs}], input_shape, **kw).layer("x")


def conv_out(L, k, s=1, p=0, d=1):
    """PyTorch's Conv/MaxPool output size: floor((L + 2p - d*(k-1) - 1) / s) + 1 (torch.nn.Conv2d docs)."""
    return (L + 2 * p - d * (k - 1) - 1) // s + 1


def pool_out_ceil(L, k, s, p=0, d=1):
    """PyTorch's pooling_output_shape with ceil_mode=True, including the rule that the last window must start
    inside the input or its left padding (aten/src/ATen/native/Pool.h)."""
    out = -(-(L + 2 * p - d * (k - 1) - 1) // s) + 1
    if (out - 1) * s >= L + p:
        out -= 1
    return out


def rf(layer):
    f = layer.receptive_field
    return f.size, f.stride, f.padding


def nonzero(ops):
    return {k: v for k, v in ops.items() if v != 0}


# ---------------------------------------------------------------------------------------------- convolutions


@covers("conv")
def test_conv2d_with_stride_padding_dilation_matches_hand_derivation():
    x = one({"type": "conv", "out": 16, "kernel": 5, "stride": 2, "padding": 1, "dilation": 2}, [3, 32, 32])
    # effective kernel 2*(5-1)+1 = 9; floor((32 + 2 - 9) / 2) + 1 = 13
    assert x.output_shape == (1, 16, 13, 13) == (1, 16, conv_out(32, 5, 2, 1, 2), conv_out(32, 5, 2, 1, 2))
    assert x.param_shapes == {"weight": (16, 3, 5, 5), "bias": (16,)}
    assert x.params == 16 * 3 * 25 + 16
    # every output element: in_channels x kernel MACs; one bias add
    assert nonzero(x.ops) == {"conv": 16 * 13 * 13 * 3 * 25, "bias": 16 * 13 * 13}
    assert x.macs == 16 * 13 * 13 * 3 * 25 and x.flops == 2 * x.macs
    # Araujo et al.: r = 1 + (k_eff - 1) * 1 = 9, j = 2, p = 1
    assert rf(x) == ((9, 9), (2, 2), (1, 1))


@covers("conv")
def test_conv_groups_divide_the_weight_and_the_macs():
    x = one({"type": "conv", "out": 12, "kernel": 3, "groups": 4, "bias": False}, [8, 10, 10])
    assert x.param_shapes == {"weight": (12, 2, 3, 3)}
    assert x.output_shape == (1, 12, 8, 8)
    assert nonzero(x.ops) == {"conv": 12 * 8 * 8 * 2 * 9}


@covers("conv")
def test_conv1d_with_per_side_padding():
    x = one({"type": "conv1d", "out": 6, "kernel": 7, "stride": 3, "padding": [[2, 1]]}, [4, 100])
    # floor((100 + 2 + 1 - 7) / 3) + 1 = 33
    assert x.output_shape == (1, 6, 33)
    assert x.param_shapes == {"weight": (6, 4, 7), "bias": (6,)}
    assert nonzero(x.ops) == {"conv": 6 * 33 * 4 * 7, "bias": 6 * 33}
    assert rf(x) == ((7,), (3,), (2,))


@covers("conv")
def test_conv2d_per_side_padding_differs_per_axis():
    x = one({"type": "conv", "out": 2, "kernel": [3, 2], "padding": [[1, 2], [0, 3]]}, [1, 9, 9])
    assert x.output_shape == (1, 2, 9 + 3 - 3 + 1, 9 + 3 - 2 + 1)
    assert rf(x) == ((3, 2), (1, 1), (1, 0))


@covers("conv")
def test_conv_padding_same_at_stride_1_keeps_size_and_puts_the_odd_pixel_after():
    # PyTorch padding='same': total padding d*(k-1) = 3, left 1, right 2
    x = one({"type": "conv", "out": 4, "kernel": 4, "padding": "same"}, [2, 11, 11])
    assert x.output_shape == (1, 4, 11, 11)
    assert rf(x) == ((4, 4), (1, 1), (1, 1))


@covers("conv")
def test_conv_padding_same_at_stride_2_gives_ceil_of_input_over_stride():
    # TensorFlow's 'SAME' for strides > 1: out = ceil(in / stride)
    x = one({"type": "conv", "out": 4, "kernel": 3, "stride": 2, "padding": "same"}, [2, 11, 10])
    assert x.output_shape == (1, 4, 6, 5)


@covers("conv")
def test_conv_padding_valid_is_no_padding():
    x = one({"type": "conv", "out": 4, "kernel": 3, "padding": "valid"}, [2, 11, 11])
    assert x.output_shape == (1, 4, 9, 9)


@covers("conv")
def test_course_fact_3x3_stride_1_padding_1_keeps_the_size():
    for size in (5, 32, 224):
        x = one({"type": "conv", "out": 8, "kernel": 3, "stride": 1, "padding": 1}, [3, size, size])
        assert x.output_shape[2:] == (size, size)


@covers("conv", "linear")
def test_course_fact_1x1_conv_has_the_parameters_of_a_dense_layer_over_channels():
    conv = one({"type": "conv", "out": 64, "kernel": 1}, [256, 14, 14])
    dense = one({"type": "linear", "out": 64}, [256])
    assert conv.params == dense.params == 256 * 64 + 64
    assert conv.param_shapes["weight"] == (64, 256, 1, 1) and dense.param_shapes["weight"] == (64, 256)
    # the 1x1 conv is the dense layer applied at each of the 14*14 positions
    assert conv.macs == 14 * 14 * dense.macs


@covers("conv")
def test_conv_with_symbolic_height_gives_a_floor_expression():
    sympy = pytest.importorskip("sympy")
    x = one({"type": "conv", "out": 8, "kernel": 3, "stride": 2}, [3, "H", 16], symbols={"H": None})
    H = sympy.Symbol("H", integer=True, positive=True)
    h_out = x.output_shape[2]
    assert not isinstance(h_out, int)
    for value in range(3, 40):  # the expression equals PyTorch's formula at every valid H
        assert h_out.subs(H, value) == conv_out(value, 3, 2)
    assert x.output_shape[3] == conv_out(16, 3, 2)
    # floor((H - 3)/2) + 1, written with the whole part outside the one floor: floor(H/2 + 1/2) - 1.
    assert h_out.count(sympy.floor) == 1
    assert sympy.expand(h_out - (sympy.floor((H + 1) / 2) - 1)) == 0


@covers("conv")
def test_conv_3x3_stride_1_padding_1_keeps_a_symbolic_height_exactly():
    sympy = pytest.importorskip("sympy")
    x = one({"type": "conv", "out": "c", "kernel": 3, "padding": 1, "bias": False}, ["c", "H", "W"],
            symbols={"c": None, "H": None, "W": None})
    H, W, c = (sympy.Symbol(n, integer=True, positive=True) for n in ("H", "W", "c"))
    assert x.output_shape == (1, c, H, W)
    assert sympy.expand(x.params - 9 * c**2) == 0


@covers("depthwise_conv")
def test_depthwise_conv_has_one_filter_per_channel_times_multiplier():
    x = one({"type": "depthwise_conv", "kernel": 3, "padding": 1, "multiplier": 2}, [8, 16, 16])
    assert x.output_shape == (1, 16, 16, 16)
    assert x.param_shapes == {"weight": (16, 1, 3, 3), "bias": (16,)}
    # each output element reads one input channel's 3x3 window
    assert nonzero(x.ops) == {"conv": 16 * 16 * 16 * 9, "bias": 16 * 16 * 16}
    assert rf(x) == ((3, 3), (1, 1), (1, 1))


@covers("conv_transpose")
def test_conv_transpose_output_size_is_pytorchs_formula():
    # (in - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1 = 6*2 - 2 + 3 + 1 + 1 = 15
    x = one({"type": "conv_transpose", "out": 8, "kernel": 4, "stride": 2, "padding": 1, "output_padding": 1},
            [16, 7, 7])
    assert x.output_shape == (1, 8, 15, 15)
    assert x.param_shapes == {"weight": (16, 8, 4, 4), "bias": (8,)}
    # each input pixel scatters a kernel to every output channel: 7*7 x 16 x 8 x 16
    assert nonzero(x.ops) == {"conv": 7 * 7 * 16 * 8 * 16, "bias": 8 * 15 * 15}
    # upsampling by 2: the grid becomes finer (stride 1/2); ceil(4/2) = 2 input pixels per output pixel
    assert rf(x) == ((2, 2), (Fraction(1, 2), Fraction(1, 2)), (0, 0))


@covers("conv_transpose")
@pytest.mark.parametrize("shape", [["c", "H", "W"], ["c", "H"], [4, "H"], ["c", 6, "W"], [4, "H + 2"], [4, "H + 2", 3]])
def test_conv_transpose_macs_with_symbols_are_the_pairwise_product(shape):
    # in_pixels x in_ch x out_ch/groups x kernel, multiplied a pair at a time as sympy's operators do: a 1-D
    # input whose size is a sum is scaled by the channels first, ((H + 2)*4)*k*3 = 3*k*(4*H + 8), not 12*k*(H + 2)
    sympy = pytest.importorskip("sympy")
    x = one({"type": "conv_transpose", "out": "k", "kernel": 3, "stride": 2, "bias": False}, shape,
            symbols={"c": None, "H": None, "W": None, "k": None})
    sym = {n: sympy.Symbol(n, integer=True, positive=True) for n in ("c", "H", "W", "k")}
    size = [sympy.sympify(v, locals=sym) if isinstance(v, str) else v for v in shape]
    pixels = sympy.Mul(*size[1:])
    expected = ((pixels * size[0]) * sym["k"]) * 3 ** (len(shape) - 1)
    assert x.ops["conv"] == expected and sympy.srepr(x.ops["conv"]) == sympy.srepr(expected)
    assert x.macs == expected


@covers("conv_transpose")
def test_conv_transpose_with_dilation_and_groups():
    x = one({"type": "conv_transpose", "out": 6, "kernel": 3, "stride": 3, "dilation": 2, "groups": 2,
             "bias": False}, [4, 5])
    assert x.output_shape == (1, 6, (5 - 1) * 3 + 2 * (3 - 1) + 1)
    assert x.param_shapes == {"weight": (4, 3, 3)}


# ------------------------------------------------------------------------------------------------- dense


@covers("linear")
def test_linear_acts_on_the_last_axis():
    x = one({"type": "linear", "out": 10}, [20])
    assert x.output_shape == (1, 10)
    assert x.param_shapes == {"weight": (10, 20), "bias": (10,)}
    assert nonzero(x.ops) == {"linear": 200, "bias": 10}
    assert x.receptive_field.whole
    y = one({"type": "linear", "out": 10, "bias": False}, [4, 20])
    assert y.output_shape == (1, 4, 10)
    assert nonzero(y.ops) == {"linear": 4 * 20 * 10}


@covers("flatten")
def test_flatten_multiplies_out_the_axes_and_the_field_becomes_the_whole_input():
    net = run([{"type": "conv", "out": 8, "kernel": 3}, {"name": "x", "type": "flatten"}], [3, 6, 6])
    x = net.layer("x")
    assert x.output_shape == (1, 8 * 4 * 4)
    assert x.param_shapes == {} and nonzero(x.ops) == {}
    assert x.receptive_field.whole and x.receptive_field.size == (6, 6)


@covers("reshape")
def test_reshape_fills_in_the_minus_one():
    x = one({"type": "reshape", "shape": [-1, 8]}, [12, 2, 2])
    assert x.output_shape == (1, 6, 8)
    assert one({"type": "reshape", "shape": [3, 16]}, [12, 2, 2]).output_shape == (1, 3, 16)
    assert x.param_shapes == {} and nonzero(x.ops) == {}


# ----------------------------------------------------------------------------------------------- pooling


@covers("maxpool")
def test_course_fact_2x2_max_pool_halves_each_side():
    for h, w in ((224, 224), (56, 28), (7, 9)):
        x = one({"type": "maxpool", "kernel": 2}, [3, h, w])
        assert x.output_shape == (1, 3, h // 2, w // 2)
        assert x.param_shapes == {}


@covers("maxpool")
def test_2x2_max_pool_halves_a_symbolic_even_side_exactly():
    sympy = pytest.importorskip("sympy")
    x = one({"type": "maxpool", "kernel": 2}, [3, "2*h", "2*w"], symbols={"h": None, "w": None})
    h, w = (sympy.Symbol(n, integer=True, positive=True) for n in ("h", "w"))
    assert x.output_shape == (1, 3, h, w)


@covers("maxpool")
def test_maxpool_window_stride_padding_and_ops():
    x = one({"type": "maxpool", "kernel": 3, "stride": 2, "padding": 1}, [4, 14, 14])
    assert x.output_shape == (1, 4, 7, 7) == (1, 4, conv_out(14, 3, 2, 1), conv_out(14, 3, 2, 1))
    assert nonzero(x.ops) == {"pooling": 4 * 7 * 7 * 9}  # every output reads a 3x3 window
    assert rf(x) == ((3, 3), (2, 2), (1, 1))


@covers("maxpool")
def test_maxpool_ceil_mode_rounds_up():
    # floor((8 - 3) / 2) + 1 = 3; ceil((8 - 3) / 2) + 1 = 4
    assert one({"type": "maxpool", "kernel": 3, "stride": 2}, [1, 8, 8]).output_shape == (1, 1, 3, 3)
    assert one({"type": "maxpool", "kernel": 3, "stride": 2, "ceil_mode": True}, [1, 8, 8]).output_shape \
        == (1, 1, 4, 4)


@covers("maxpool")
def test_maxpool_ceil_mode_drops_a_last_window_that_would_start_in_the_right_padding():
    # L=5, k=2, s=2, p=1: ceil((5 + 2 - 2) / 2) + 1 = 4, but window 3 starts at 3*2 - 1 = 5, past the input:
    # PyTorch drops it -> 3
    x = one({"type": "maxpool", "kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True}, [1, 5, 5])
    assert x.output_shape == (1, 1, 3, 3) == (1, 1, pool_out_ceil(5, 2, 2, 1), pool_out_ceil(5, 2, 2, 1))


@covers("maxpool")
def test_maxpool_dilation():
    x = one({"type": "maxpool", "kernel": 3, "stride": 1, "dilation": 2}, [1, 10])
    assert x.output_shape == (1, 1, conv_out(10, 3, 1, 0, 2)) == (1, 1, 6)
    assert rf(x) == ((5,), (1,), (0,))


@covers("avgpool")
def test_avgpool_floor_and_ceil_mode():
    assert one({"type": "avgpool", "kernel": 2}, [4, 9, 9]).output_shape == (1, 4, 4, 4)
    x = one({"type": "avgpool", "kernel": 2, "ceil_mode": True}, [4, 9, 9])
    assert x.output_shape == (1, 4, 5, 5)  # last window starts at 8 < 9: kept
    assert nonzero(x.ops) == {"pooling": 4 * 5 * 5 * 4}
    assert rf(x) == ((2, 2), (2, 2), (0, 0))
    # DenseNet's transition: 2x2 average pooling, stride 2
    assert one({"type": "avgpool", "kernel": 2, "stride": 2}, [128, 56, 56]).output_shape == (1, 128, 28, 28)


@covers("adaptive_avgpool", "adaptive_maxpool")
@pytest.mark.parametrize("kind", ["adaptive_avgpool", "adaptive_maxpool"])
def test_adaptive_pool_output_size_and_field(kind):
    x = one({"type": kind, "size": [2, 3]}, [4, 8, 9])
    assert x.output_shape == (1, 4, 2, 3)
    assert x.param_shapes == {}
    assert nonzero(x.ops) == {"pooling": 4 * 8 * 9}  # windows tile the input: one read per input element
    # windows of 8/2 = 4 rows and 9/3 = 3 columns, stepping by the same
    assert rf(x) == ((4, 3), (4, 3), (0, 0))
    assert one({"type": kind}, [4, 8, 9]).receptive_field.whole  # size 1 = global


@covers("adaptive_avgpool")
def test_adaptive_pool_field_is_the_largest_of_pytorchs_uneven_windows():
    # L=7, o=3: windows [floor(i*7/3), ceil((i+1)*7/3)) = [0,3), [2,5), [4,7): 3 pixels each
    x = one({"type": "adaptive_avgpool", "size": 3}, [1, 7])
    assert x.receptive_field.size == (3,)
    # L=5, o=3: [0,2), [1,4), [3,5): the largest has 3
    assert one({"type": "adaptive_avgpool", "size": 3}, [1, 5]).receptive_field.size == (3,)


@covers("global_avgpool", "global_maxpool")
@pytest.mark.parametrize("kind", ["global_avgpool", "global_maxpool"])
def test_global_pool_flattens_to_channels_and_sees_the_whole_input(kind):
    x = one({"type": kind}, [8, 5, 6])
    assert x.output_shape == (1, 8)
    assert x.param_shapes == {}
    assert nonzero(x.ops) == {"pooling": 8 * 5 * 6}
    assert x.receptive_field.whole and x.receptive_field.size == (5, 6)


# ------------------------------------------------------------------------------------------ normalisation


@covers("batchnorm")
def test_batchnorm_has_2c_parameters_and_2c_buffers():
    x = one({"type": "batchnorm"}, [16, 8, 8])
    assert x.output_shape == (1, 16, 8, 8)
    assert x.param_shapes == {"weight": (16,), "bias": (16,)}
    assert x.buffer_shapes == {"running_mean": (16,), "running_var": (16,)}
    assert x.params == 32 and x.buffers == 32
    assert nonzero(x.ops) == {"normalization": 16 * 64}
    assert rf(x) == ((1, 1), (1, 1), (0, 0))
    y = one({"type": "batchnorm", "affine": False, "track_running_stats": False}, [16, 8, 8])
    assert y.param_shapes == {} and y.buffer_shapes == {}


@covers("layernorm")
def test_layernorm_parameters_have_the_normalised_shape():
    x = one({"type": "layernorm", "dims": 2}, [4, 6, 8])
    assert x.param_shapes == {"weight": (6, 8), "bias": (6, 8)}
    assert x.output_shape == (1, 4, 6, 8)
    assert nonzero(x.ops) == {"normalization": 4 * 6 * 8}
    assert one({"type": "layernorm"}, [10, 32]).param_shapes == {"weight": (32,), "bias": (32,)}


@covers("groupnorm")
def test_groupnorm_has_per_channel_affine_parameters():
    x = one({"type": "groupnorm", "groups": 4}, [16, 4, 4])
    assert x.param_shapes == {"weight": (16,), "bias": (16,)}
    assert x.buffer_shapes == {}
    assert nonzero(x.ops) == {"normalization": 16 * 16}


@covers("lrn")
def test_local_response_norm_has_no_parameters():
    x = one({"type": "lrn", "size": 5}, [96, 55, 55])
    assert x.output_shape == (1, 96, 55, 55)
    assert x.param_shapes == {} and x.buffer_shapes == {}
    assert nonzero(x.ops) == {"normalization": 96 * 55 * 55}


@covers("l2norm")
def test_l2norm_has_a_per_channel_scale():
    x = one({"type": "l2norm"}, [512, 38, 38])
    assert x.param_shapes == {"weight": (512,)}
    assert nonzero(x.ops) == {"normalization": 512 * 38 * 38}


# ------------------------------------------------------------------------------------------- activations

ACTIVATIONS = ["relu", "relu6", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "silu", "hardswish", "hardsigmoid"]


@covers(*ACTIVATIONS)
@pytest.mark.parametrize("kind", ACTIVATIONS)
def test_activation_keeps_shape_and_field_and_counts_one_op_per_element(kind):
    net = run([{"type": "conv", "out": 4, "kernel": 3}, {"name": "x", "type": kind}], [2, 7, 7])
    x = net.layer("x")
    assert x.output_shape == (1, 4, 5, 5)
    assert x.param_shapes == {} and x.buffer_shapes == {}
    assert nonzero(x.ops) == {"activation": 4 * 5 * 5}
    assert x.macs == 0
    assert rf(x) == ((3, 3), (1, 1), (0, 0))


@covers("prelu")
def test_prelu_learns_one_slope_or_one_per_channel():
    assert one({"type": "prelu"}, [8, 4, 4]).param_shapes == {"weight": (1,)}
    x = one({"type": "prelu", "channelwise": True}, [8, 4, 4])
    assert x.param_shapes == {"weight": (8,)}
    assert nonzero(x.ops) == {"activation": 8 * 16}


@covers("softmax")
def test_softmax_keeps_the_shape():
    x = one({"type": "softmax"}, [10])
    assert x.output_shape == (1, 10)
    assert x.param_shapes == {}
    assert nonzero(x.ops) == {"softmax": 10}


@covers("dropout", "identity", "stochastic_depth")
@pytest.mark.parametrize("kind", ["dropout", "identity", "stochastic_depth", "drop_path"])
def test_dropout_and_identity_change_nothing(kind):
    net = run([{"type": "conv", "out": 4, "kernel": 3, "stride": 2}, {"name": "x", "type": kind}], [2, 9, 9])
    x = net.layer("x")
    assert x.output_shape == (1, 4, 4, 4)
    assert x.param_shapes == {} and nonzero(x.ops) == {}
    assert rf(x) == ((3, 3), (2, 2), (0, 0))


# ----------------------------------------------------------------------------------------------- merges


@covers("add")
def test_add_broadcasts_and_counts_one_add_per_extra_input():
    net = run([{"name": "a", "type": "conv", "out": 8, "kernel": 1},
               {"name": "g", "type": "global_avgpool", "input": "input"},
               {"name": "g3", "type": "reshape", "shape": [8, 1, 1]},
               {"name": "x", "type": "add", "inputs": ["a", "g3"]},
               {"name": "y", "type": "add", "inputs": ["a", "a", "a"]}], [8, 4, 4])
    assert net.layer("x").output_shape == (1, 8, 4, 4)
    assert nonzero(net.layer("x").ops) == {"elementwise": 8 * 16}
    assert nonzero(net.layer("y").ops) == {"elementwise": 2 * 8 * 16}
    assert net.layer("y").param_shapes == {}


@covers("multiply")
def test_multiply_gates_channels_as_in_squeeze_excitation():
    net = run([{"name": "gap", "type": "global_avgpool"},
               {"type": "linear", "out": 4}, {"type": "relu"}, {"type": "linear", "out": 16},
               {"type": "sigmoid"}, {"name": "gate", "type": "reshape", "shape": [16, 1, 1]},
               {"name": "x", "type": "multiply", "inputs": ["input", "gate"]}], [16, 7, 7])
    x = net.layer("x")
    assert x.output_shape == (1, 16, 7, 7)
    assert nonzero(x.ops) == {"elementwise": 16 * 49}
    assert x.param_shapes == {}


@covers("concat")
def test_concat_sums_the_axis_and_checks_the_others():
    net = run([{"name": "a", "type": "conv", "out": 8, "kernel": 1},
               {"name": "b", "type": "conv", "out": 16, "kernel": 3, "padding": 1, "input": "input"},
               {"name": "x", "type": "concat", "inputs": ["a", "b"]},
               {"name": "y", "type": "concat", "inputs": ["a", "a"], "axis": 2},
               {"name": "z", "type": "concat", "inputs": ["a", "a"], "axis": -1}], [3, 4, 5])
    assert net.layer("x").output_shape == (1, 24, 4, 5)
    assert net.layer("y").output_shape == (1, 8, 8, 5)
    assert net.layer("z").output_shape == (1, 8, 4, 10)
    assert net.layer("x").param_shapes == {} and nonzero(net.layer("x").ops) == {}
    assert net.layer("x").receptive_field.size == (3, 3)  # the larger branch's field


# -------------------------------------------------------------------------------------------- structural


@covers("upsample")
def test_upsample_by_scale_is_floor_of_input_times_scale():
    x = one({"type": "upsample", "scale": 2}, [4, 5, 7])
    assert x.output_shape == (1, 4, 10, 14)
    assert nonzero(x.ops) == {"upsampling": 4 * 10 * 14}
    assert rf(x) == ((1, 1), (Fraction(1, 2), Fraction(1, 2)), (0, 0))
    # floor(5 * 1.5) = 7, floor(7 * 1.5) = 10
    assert one({"type": "upsample", "scale": 1.5}, [4, 5, 7]).output_shape == (1, 4, 7, 10)
    assert one({"type": "upsample", "scale": [2, 3]}, [4, 5, 7]).output_shape == (1, 4, 10, 21)


@covers("upsample")
def test_upsample_to_a_size_and_bilinear_field():
    x = one({"type": "upsample", "size": [9, 11], "mode": "bilinear"}, [4, 3, 11])
    assert x.output_shape == (1, 4, 9, 11)
    # bilinear reads 2 neighbours per axis; the grid gets 3x finer along H, unchanged along W
    assert rf(x) == ((2, 2), (Fraction(1, 3), 1), (0, 0))


@covers("zeropad")
def test_zeropad_adds_pixels_per_side_and_moves_the_field():
    x = one({"type": "zeropad", "padding": [[1, 2], [3, 4]]}, [3, 5, 5])
    assert x.output_shape == (1, 3, 8, 12)
    assert x.param_shapes == {} and nonzero(x.ops) == {}
    assert rf(x) == ((1, 1), (1, 1), (1, 3))
    assert one({"type": "zeropad", "padding": 2}, [3, 5, 5]).output_shape == (1, 3, 9, 9)


@covers("crop")
def test_crop_to_a_size_is_centred_and_moves_the_field_inwards():
    x = one({"type": "crop", "size": [3, 3]}, [4, 7, 8])
    assert x.output_shape == (1, 4, 3, 3)
    # offsets floor((7-3)/2) = 2 and floor((8-3)/2) = 2: the first output pixel is input pixel (2, 2)
    assert rf(x) == ((1, 1), (1, 1), (-2, -2))
    y = one({"type": "crop", "size": [3, 3], "offset": [0, 5]}, [4, 7, 8])
    assert y.receptive_field.padding == (0, -5)


@covers("crop")
def test_crop_to_match_a_second_input_as_in_unet():
    net = run([{"name": "small", "type": "conv", "out": 4, "kernel": 5},
               {"name": "x", "type": "crop", "inputs": ["input", "small"]}], [4, 12, 12])
    assert net.layer("x").output_shape == (1, 4, 8, 8)


@covers("crop")
def test_crop_at_an_offset_is_checked_against_symbolic_sizes():
    from paramcalc.errors import SpecError

    def crop(size, offset):
        return one({"type": "crop", "size": size, "offset": offset}, [3, "H", "H"], symbols={"H": None})

    # H - 4 - offset >= 0 cannot be shown for every H >= 1, but holds for some: the crop stands
    x = crop([4, 4], [0, 3])
    assert str(x.output_shape) == "(1, 3, 4, 4)" and rf(x)[2] == (0, -3)
    with pytest.raises(SpecError, match=r"offset H \+ size 4 runs past the input's H"):
        crop([4, 4], [0, "H"])  # H - 4 - H < 0 for every H
    with pytest.raises(SpecError, match=r"cannot crop H pixels to H \+ 1: the target is larger"):
        crop(["H + 1", 4], 0)


# ----------------------------------------------------------------------------------- receptive field DAGs


@covers("add")
def test_merge_takes_the_largest_field_and_aligned_merges_give_no_warning():
    net = run([{"name": "a", "type": "conv", "out": 4, "kernel": 3, "padding": 1},
               {"name": "b", "type": "conv", "out": 4, "kernel": 3, "padding": 1},
               {"name": "x", "type": "add", "inputs": ["b", "input"]}], [4, 8, 8])
    # b: 3x3 twice = 5x5, centred (padding 2); the input: 1, centred at its own pixel: the same centre
    assert rf(net.layer("x")) == ((5, 5), (1, 1), (2, 2))
    assert net.layer("x").receptive_field.aligned
    assert net.warnings == ()


def test_inception_concat_takes_the_largest_branch_field_without_a_warning():
    # GoogLeNet-style branches, each padded to keep the size: 1x1, 1x1 -> 3x3, 1x1 -> 5x5, 3x3 pool -> 1x1
    net = run([{"name": "b1", "type": "conv", "out": 4, "kernel": 1},
               {"name": "r3", "type": "conv", "out": 4, "kernel": 1, "input": "input"},
               {"name": "b3", "type": "conv", "out": 4, "kernel": 3, "padding": 1},
               {"name": "r5", "type": "conv", "out": 4, "kernel": 1, "input": "input"},
               {"name": "b5", "type": "conv", "out": 4, "kernel": 5, "padding": 2},
               {"name": "p", "type": "maxpool", "kernel": 3, "stride": 1, "padding": 1, "input": "input"},
               {"name": "bp", "type": "conv", "out": 4, "kernel": 1},
               {"name": "x", "type": "concat", "inputs": ["b1", "b3", "b5", "bp"]}], [8, 12, 12])
    assert net.layer("x").output_shape == (1, 16, 12, 12)
    assert rf(net.layer("x")) == ((5, 5), (1, 1), (2, 2))
    assert net.warnings == ()


def test_merge_of_unaligned_fields_warns():
    # a 2x2 conv without padding is centred half a pixel off the input pixel it is added to
    net = run([{"name": "a", "type": "conv", "out": 4, "kernel": 2},
               {"name": "p", "type": "zeropad", "padding": [[1, 0], [1, 0]]},
               {"name": "x", "type": "add", "inputs": ["p", "input"]}], [4, 8, 8])
    assert net.layer("x").receptive_field.size == (2, 2)
    assert not net.layer("x").receptive_field.aligned
    assert len(net.warnings) == 1 and "x" in net.warnings[0] and "not aligned" in net.warnings[0]


def test_resnet_downsampling_shortcut_is_aligned_with_the_main_path():
    # main path 3x3 stride 2 padding 1 (centre (3-1)/2 - 1 = 0), shortcut 1x1 stride 2 (centre 0): same grid
    net = run([{"name": "main", "type": "conv", "out": 8, "kernel": 3, "stride": 2, "padding": 1},
               {"name": "short", "type": "conv", "out": 8, "kernel": 1, "stride": 2, "input": "input"},
               {"name": "x", "type": "add", "inputs": ["main", "short"]}], [4, 8, 8])
    assert rf(net.layer("x")) == ((3, 3), (2, 2), (1, 1))
    assert net.warnings == ()


def test_unaligned_merge_warning_reaches_the_json_output(tmp_path, run_cli):
    path = tmp_path / "skew.yaml"
    path.write_text("input: [4, 8, 8]\nlayers:\n  - {type: conv, out: 4, kernel: 2}\n"
                    "  - {type: zeropad, padding: [[1, 0], [1, 0]]}\n  - {name: x, type: add, inputs: [prev, input]}\n")
    out = json.loads(run_cli("show", path, "--format", "json").stdout)
    assert any("x" in w and "not aligned" in w for w in out["warnings"])
    assert out["layers"][-1]["receptive_field"]["size"] == [2, 2]


def test_merge_of_different_strides_warns():
    net = run([{"name": "a", "type": "conv", "out": 4, "kernel": 1, "stride": 2},
               {"name": "b", "type": "maxpool", "kernel": 2, "input": "input"},
               {"name": "x", "type": "add", "inputs": ["a", "b"]}], [4, 8, 8])
    assert net.layer("x").receptive_field.size == (2, 2)
    assert any("x" in w and "not aligned" in w for w in net.warnings)


def test_field_after_global_pooling_and_linear_is_the_whole_input():
    net = run([{"type": "conv", "out": 4, "kernel": 3, "stride": 2}, {"name": "g", "type": "global_avgpool"},
               {"name": "fc", "type": "linear", "out": 3}], [3, 17, 19])
    for name in ("g", "fc"):
        f = net.layer(name).receptive_field
        assert f.whole and f.size == (17, 19) and f.stride is None
    assert net.totals.receptive_field.whole
    # the last field that was still a window is the conv's
    assert net.totals.spatial_receptive_field.size == (3, 3)


def test_linear_on_an_unflattened_map_sees_the_whole_input():
    net = run([{"type": "conv", "out": 4, "kernel": 3}, {"name": "fc", "type": "linear", "out": 3}], [3, 9, 9])
    assert net.layer("fc").receptive_field.whole


# ------------------------------------------------------------------------------------------- torch oracle
# Each case: the engine's layer attributes, the input shape (no batch), and a constructor for torch.nn.

TORCH_CASES = [
    ("conv2d", {"type": "conv", "out": 16, "kernel": 5, "stride": 2, "padding": 1, "dilation": 2}, [3, 32, 31],
     lambda nn: nn.Conv2d(3, 16, 5, stride=2, padding=1, dilation=2)),
    ("conv2d_groups", {"type": "conv", "out": 12, "kernel": [3, 1], "groups": 4, "bias": False}, [8, 10, 9],
     lambda nn: nn.Conv2d(8, 12, (3, 1), groups=4, bias=False)),
    ("conv2d_same_even", {"type": "conv", "out": 4, "kernel": 4, "padding": "same", "dilation": 2}, [2, 11, 12],
     lambda nn: nn.Conv2d(2, 4, 4, padding="same", dilation=2)),
    ("conv2d_rect", {"type": "conv", "out": 6, "kernel": [3, 5], "stride": [2, 1], "padding": [0, 2]}, [3, 15, 15],
     lambda nn: nn.Conv2d(3, 6, (3, 5), stride=(2, 1), padding=(0, 2))),
    ("conv1d", {"type": "conv1d", "out": 6, "kernel": 7, "stride": 3, "padding": 2}, [4, 100],
     lambda nn: nn.Conv1d(4, 6, 7, stride=3, padding=2)),
    ("alexnet_conv1", {"type": "conv", "out": 64, "kernel": 11, "stride": 4, "padding": 2}, [3, 224, 224],
     lambda nn: nn.Conv2d(3, 64, 11, stride=4, padding=2)),
    ("depthwise", {"type": "depthwise_conv", "kernel": 3, "stride": 2, "padding": 1, "multiplier": 2}, [8, 16, 15],
     lambda nn: nn.Conv2d(8, 16, 3, stride=2, padding=1, groups=8)),
    ("deconv", {"type": "conv_transpose", "out": 8, "kernel": 4, "stride": 2, "padding": 1, "output_padding": 1},
     [16, 7, 6], lambda nn: nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1, output_padding=1)),
    ("deconv_dil_groups", {"type": "conv_transpose", "out": 6, "kernel": 3, "stride": 3, "dilation": 2,
                           "groups": 2, "padding": 2, "bias": False}, [4, 5, 6],
     lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=3, dilation=2, groups=2, padding=2, bias=False)),
    ("deconv1d", {"type": "conv_transpose", "out": 3, "kernel": 5, "stride": 2}, [2, 9],
     lambda nn: nn.ConvTranspose1d(2, 3, 5, stride=2)),
    ("linear", {"type": "linear", "out": 10}, [4, 20], lambda nn: nn.Linear(20, 10)),
    ("maxpool", {"type": "maxpool", "kernel": 3, "stride": 2, "padding": 1}, [4, 14, 13],
     lambda nn: nn.MaxPool2d(3, stride=2, padding=1)),
    ("maxpool_ceil", {"type": "maxpool", "kernel": 3, "stride": 2, "ceil_mode": True}, [4, 8, 13],
     lambda nn: nn.MaxPool2d(3, stride=2, ceil_mode=True)),
    ("maxpool_ceil_last_window", {"type": "maxpool", "kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True},
     [1, 5, 6], lambda nn: nn.MaxPool2d(2, stride=2, padding=1, ceil_mode=True)),
    ("maxpool_dilated", {"type": "maxpool", "kernel": 3, "stride": 2, "dilation": 2, "ceil_mode": True},
     [1, 12, 11], lambda nn: nn.MaxPool2d(3, stride=2, dilation=2, ceil_mode=True)),
    ("maxpool1d", {"type": "maxpool", "kernel": 2}, [3, 9], lambda nn: nn.MaxPool1d(2)),
    ("avgpool_ceil", {"type": "avgpool", "kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [4, 10, 9],
     lambda nn: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True)),
    ("avgpool", {"type": "avgpool", "kernel": 2}, [4, 9, 8], lambda nn: nn.AvgPool2d(2)),
    ("adaptive_avg", {"type": "adaptive_avgpool", "size": [6, 6]}, [256, 13, 13],
     lambda nn: nn.AdaptiveAvgPool2d((6, 6))),
    ("adaptive_max", {"type": "adaptive_maxpool", "size": [2, 3]}, [4, 7, 8], lambda nn: nn.AdaptiveMaxPool2d((2, 3))),
    ("batchnorm", {"type": "batchnorm"}, [16, 5, 5], lambda nn: nn.BatchNorm2d(16)),
    ("batchnorm1d", {"type": "batchnorm"}, [16], lambda nn: nn.BatchNorm1d(16)),
    ("layernorm", {"type": "layernorm", "dims": 2}, [4, 6, 8], lambda nn: nn.LayerNorm([6, 8])),
    ("groupnorm", {"type": "groupnorm", "groups": 4}, [16, 4, 4], lambda nn: nn.GroupNorm(4, 16)),
    ("lrn", {"type": "lrn", "size": 5}, [8, 6, 6], lambda nn: nn.LocalResponseNorm(5)),
    ("prelu", {"type": "prelu", "channelwise": True}, [8, 4, 4], lambda nn: nn.PReLU(8)),
    ("upsample_nearest", {"type": "upsample", "scale": 1.5}, [4, 5, 7], lambda nn: nn.Upsample(scale_factor=1.5)),
    ("upsample_bilinear", {"type": "upsample", "size": [9, 11], "mode": "bilinear"}, [4, 3, 5],
     lambda nn: nn.Upsample(size=(9, 11), mode="bilinear")),
    ("zeropad", {"type": "zeropad", "padding": [[1, 2], [3, 4]]}, [3, 5, 5], lambda nn: nn.ZeroPad2d((3, 4, 1, 2))),
    ("flatten", {"type": "flatten"}, [8, 4, 4], lambda nn: nn.Flatten()),
    ("pixel_reshape", {"type": "reshape", "shape": [-1, 8]}, [12, 2, 2], lambda nn: nn.Unflatten(1, (6, 8))),
]


@pytest.mark.parametrize("case", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_shapes_and_parameter_tensors_match_torch_nn(case):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    _, attrs, shape, build = case
    module = build(torch.nn).eval()
    batch = 2
    x = torch.zeros(batch, *shape)
    if case[0] == "pixel_reshape":
        x = x.flatten(1)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        y = module(x)
    layer = one(attrs, shape, batch=batch)
    assert layer.output_shape == tuple(y.shape)
    assert layer.param_shapes == {n: tuple(p.shape) for n, p in module.named_parameters()}
    assert layer.buffer_shapes == {n: tuple(b.shape) for n, b in module.named_buffers()
                                   if n != "num_batches_tracked"}
    # torch.utils.flop_counter counts 2 FLOPs per multiply-accumulate of conv / transposed conv / linear
    assert 2 * layer.macs == counter.get_total_flops()


# (kernel, stride, padding, dilation, length) that PyTorch accepts: padding at most half the kernel, and the
# dilated kernel no longer than the padded input
POOL_GRID = [(k, s, p, d, L) for k, s, p, d in [(3, 1, 1, 1), (5, 2, 2, 1), (3, 2, 0, 2), (2, 3, 1, 1), (4, 3, 2, 1)]
             for L in (1, 2, 5, 7, 12, 33) if L + 2 * p >= d * (k - 1) + 1]


@pytest.mark.parametrize("kernel,stride,padding,dilation,length", POOL_GRID)
def test_pool_ceil_mode_output_matches_torch_over_a_grid(kernel, stride, padding, dilation, length):
    torch = pytest.importorskip("torch")
    pool = torch.nn.MaxPool1d(kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=True)
    expected = pool(torch.zeros(1, 1, length)).shape[-1]
    assert pool_out_ceil(length, kernel, stride, padding, dilation) == expected  # the formula written above
    layer = one({"type": "maxpool", "kernel": kernel, "stride": stride, "padding": padding, "dilation": dilation,
                 "ceil_mode": True}, [1, length])
    assert layer.output_shape[-1] == expected


@pytest.mark.parametrize("length,size", [(7, 3), (5, 3), (10, 4), (13, 6), (6, 4), (3, 5)])
def test_adaptive_pool_receptive_field_is_torchs_largest_window(length, size):
    torch = pytest.importorskip("torch")
    x = torch.zeros(1, 1, length, requires_grad=True)
    y = torch.nn.AdaptiveAvgPool1d(size)(x)
    widths = []
    for i in range(size):
        (g,) = torch.autograd.grad(y[0, 0, i], x, retain_graph=True)
        idx = (g[0, 0] != 0).nonzero().flatten().tolist()
        widths.append(idx[-1] - idx[0] + 1)
    assert one({"type": "adaptive_avgpool", "size": size}, [1, length]).receptive_field.size == (max(widths),)


@covers("opaque")
def test_opaque_declares_its_shape_counts_nothing_and_every_report_says_its_cost_is_unknown():
    a = run([{"type": "conv", "out": 4, "kernel": 3},
             {"name": "mystery", "type": "opaque", "shape": [4, 6, 6], "note": "torch.roll"}], (3, 8, 8))
    layer = a.layer("mystery")
    assert layer.output_shape == (1, 4, 6, 6) and layer.params == 0 and layer.macs == 0
    assert layer.receptive_field.whole  # nothing is known about what it reads
    assert a.totals.params == 4 * 3 * 9 + 4  # the conv alone: the opaque node adds no silent number
    assert any("mystery: cost unknown" in w and "do not include it" in w for w in a.warnings)


# ---------------------------------------------------------------------------------------------- coverage


def test_every_registered_layer_type_has_rule_tests_here():
    from test_layers_modern import COVERED as MODERN  # the transformer-era types' rule tests

    covered = COVERED | MODERN
    canonical = {layer.type for layer in REGISTRY.values()}
    missing = sorted(canonical - covered)
    assert not missing, f"layer types without rule tests here or in test_layers_modern.py: {missing}"
    assert not covered - canonical, f"tests claim types that are not registered: {sorted(covered - canonical)}"
