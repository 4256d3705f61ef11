"""ResNet-164 and ResNet-1001 (He et al., "Identity Mappings in Deep Residual Networks", ECCV 2016): the course's
"1001 layers", counted by hand from the authors' code (convs without bias, BatchNorm before every conv)."""

from __future__ import annotations

import pytest

from paramcalc import analyze_file


def by_hand(n: int, *, batchnorm: bool = True) -> int:
    """Parameters of the CIFAR-10 pre-activation ResNet with n bottleneck units per stage (depth 9n + 2)."""
    bn = (lambda c: 2 * c) if batchnorm else (lambda c: 0)
    total = 3 * 3 * 3 * 16                                     # the first 3x3 conv, 3 -> 16
    for c_in, out in ((16, 64), (64, 128), (128, 256)):
        b = out // 4                                           # bottleneck width
        body = b * b * 9 + bn(b) + bn(b) + b * out             # 3x3 conv, two BNs, 1x1 expand
        first = bn(c_in) + c_in * b + body + c_in * out        # + the 1x1 projection shortcut
        rest = bn(out) + out * b + body
        total += first + (n - 1) * rest
    return total + bn(256) + 256 * 10 + 10                     # final BN, the 10-way linear layer


@pytest.mark.parametrize("n, depth, published_millions", [(18, 164, 1.7), (111, 1001, 10.2)])
def test_preact_resnet_parameters_by_hand_and_against_the_papers_table(n, depth, published_millions):
    a = analyze_file("preresnet1001_cifar", overrides={"n": n})
    assert 9 * n + 2 == depth
    assert a.totals.params == by_hand(n)
    # Weighted layers along the main path: three convs per unit, the first conv and the linear layer.
    main_path = [l for l in a.layers if l.type in ("conv", "linear") and not l.name.endswith("shortcut")]
    assert len(main_path) == depth
    # Table 3 of the paper: 1.7M and 10.2M. Counting conv and linear weights only gives both; with BatchNorm's
    # affine parameters ResNet-1001 has 10,327,706, which would round to 10.3M.
    assert round(by_hand(n, batchnorm=False) / 1e6, 1) == published_millions


def test_resnet1001_exact_totals():
    a = analyze_file("preresnet1001_cifar")
    assert a.totals.params == by_hand(111) == 10_327_706
    assert by_hand(111, batchnorm=False) == 10_178_490
    assert a.layer("stage3.rest.109.sum").output_shape == (1, 256, 8, 8)
