"""Network in Network (Lin, Chen & Yan, ICLR 2014): MLPconv blocks and global average pooling, derived by hand."""

from __future__ import annotations

from paramcalc import analyze_file


def conv(k, c_in, c_out):
    return k * k * c_in * c_out + c_out


def test_nin_cifar10_parameters_by_hand():
    a = analyze_file("nin")
    blocks = [
        conv(5, 3, 192) + conv(1, 192, 160) + conv(1, 160, 96),
        conv(5, 96, 192) + conv(1, 192, 192) + conv(1, 192, 192),
        conv(3, 192, 192) + conv(1, 192, 192) + conv(1, 192, 10),
    ]
    assert a.totals.params == sum(blocks) == 966_986          # the "0.97M" usually quoted for NIN on CIFAR-10
    for i, expected in enumerate(blocks, start=1):
        assert sum(l.params for l in a.layers if l.scope and l.scope[0][0] == f"mlpconv{i}") == expected


def test_nin_pools_to_one_score_per_class_without_parameters():
    a = analyze_file("nin")
    # ceil-mode 3x3/2 pools (Caffe's rounding): 32 -> 16 -> 8; the last block leaves one 8x8 map per class.
    assert a.layer("pool1").output_shape == (1, 96, 16, 16)
    assert a.layer("pool2").output_shape == (1, 192, 8, 8)
    assert a.layer("gap").output_shape == (1, 10)
    assert a.layer("gap").params == 0
    # A dense classifier on the same 192x8x8 map would add 192*8*8*10 + 10 weights; global pooling adds none.
    assert 192 * 8 * 8 * 10 + 10 == 122_890


def test_a_1x1_conv_is_a_dense_layer_over_channels():
    # cccp = "cascaded cross channel parametric pooling": a 1x1 conv has exactly a dense layer's c_in*c_out + c_out.
    a = analyze_file("nin")
    assert a.layer("mlpconv1.cccp1").param_shapes == {"weight": (160, 192, 1, 1), "bias": (160,)}
    assert a.layer("mlpconv1.cccp1").params == 192 * 160 + 160
