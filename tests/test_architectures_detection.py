"""Detection files (RetinaNet, FCOS, Faster R-CNN on ResNet-50 + FPN) against torchvision's published parameters
and MACs derived by hand for one head on one level."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paramcalc import analyze_file

ROOT = Path(__file__).resolve().parent.parent
PUBLISHED = json.loads((ROOT / "tests" / "data" / "torchvision_published.json").read_text())["builders"]


def _published(name):
    entry = PUBLISHED[name]
    return next(w for w in entry["weights"] if w["weights"] == entry["default"])


# torchvision 0.29.1 weights meta num_params (COCO_V1), copied from its model docs' tables
@pytest.mark.parametrize("name, params", [("retinanet_resnet50_fpn", 34_014_999), ("fcos_resnet50_fpn", 32_269_600),
                                          ("fasterrcnn_resnet50_fpn", 41_755_286),
                                          ("retinanet_resnet50_fpn_v2", 38_198_935),
                                          ("fasterrcnn_mobilenet_v3_large_fpn", 19_386_354),
                                          ("fasterrcnn_mobilenet_v3_large_320_fpn", 19_386_354)])
def test_detection_parameters_equal_torchvisions_published_count(name, params):
    assert _published(name)["num_params"] == params
    assert analyze_file(name).totals.params == params


# ResNet-50's 53 BatchNorms hold 2 x 26,560 = 53,120 channels' weight and bias; FrozenBatchNorm2d makes them buffers,
# so torchvision's num_params leaves them out and the files declare them without affine parameters.
@pytest.mark.parametrize("name", ["retinanet_resnet50_fpn", "fcos_resnet50_fpn", "fasterrcnn_resnet50_fpn"])
def test_frozen_batchnorm_has_no_parameters_only_running_statistics(name):
    a = analyze_file(name)
    assert a.totals.buffers == 53_120
    assert a.layer("bn1").params == 0 and a.layer("layer1.bn1").params == 0


def _layers_under(a, prefix):
    return [t for t in a.layers if t.name.startswith(prefix)]


def test_retinanet_head_on_p3_by_hand_and_tied_on_the_other_levels():
    a = analyze_file("retinanet_resnet50_fpn")          # 800x800: P3 is 100x100
    hw = 100 * 100
    tower = 4 * (256 * 9 * 256 * hw)                   # four 3x3 convs 256 -> 256 per tower
    cls_macs = 256 * 9 * 819 * hw                       # 9 anchors x 91 classes
    box_macs = 256 * 9 * 36 * hw                        # 9 anchors x 4 deltas
    head = _layers_under(a, "head_p3.")
    assert sum(t.macs for t in head if t.type == "conv") == 2 * tower + cls_macs + box_macs
    one_head = 8 * (256 * 9 * 256 + 256) + (256 * 9 * 819 + 819) + (256 * 9 * 36 + 36)
    assert sum(t.params for t in head) == one_head      # 8,096,535: counted once ...
    for level in ("p4", "p5", "p6", "p7"):              # ... and never again on the other four levels
        assert sum(t.params for t in _layers_under(a, f"head_{level}.")) == 0
    assert a.layer("head_p7.cls_logits").output_shape == (1, 819, 7, 7)   # 800 / 128 rounded up by the stride-2 convs


def test_retinanet_v2_differs_from_v1_by_batchnorm_groupnorm_heads_and_p6_from_c5():
    v1, v2 = analyze_file("retinanet_resnet50_fpn"), analyze_file("retinanet_resnet50_fpn_v2")
    batchnorm = 53_120                                  # the backbone's BatchNorm weight and bias, trainable in v2
    p6 = (2048 - 256) * 9 * 256                         # P6 reads C5 (2048 channels) instead of P5 (256)
    norms = 8 * (2 * 256) - 8 * 256                     # eight GroupNorms in, eight conv biases out
    assert v2.totals.params - v1.totals.params == batchnorm + p6 + norms
    assert v2.layer("p6").macs == 256 * 9 * 2048 * 13 * 13   # C5 of 800x800 is 25x25; P6 is 13x13


def test_fcos_head_on_p3_by_hand():
    a = analyze_file("fcos_resnet50_fpn")
    hw = 100 * 100
    convs = 8 * 256 * 9 * 256 * hw + 256 * 9 * (91 + 4 + 1) * hw
    head = _layers_under(a, "head_p3.")
    assert sum(t.macs for t in head if t.type == "conv") == convs
    assert sum(t.params for t in head) == 8 * (256 * 9 * 256 + 256 + 2 * 256) + 256 * 9 * 96 + 96
    assert sum(t.params for t in _layers_under(a, "head_p7.")) == 0


def test_faster_rcnn_box_head_is_counted_per_region():
    a = analyze_file("fasterrcnn_resnet50_fpn", overrides={"regions": 300})
    assert a.layer("box_roi_pool").output_shape == (1, 300, 256, 7, 7)
    assert a.layer("fc6").macs == 300 * 256 * 49 * 1024
    assert a.layer("fc7").macs == 300 * 1024 * 1024
    assert a.layer("cls_score").macs == 300 * 1024 * 91 and a.layer("bbox_pred").macs == 300 * 1024 * 364
    rpn = _layers_under(a, "rpn_p2.")                   # RPN on P2 (200x200): 3x3 conv, 3 + 12 channel 1x1 convs
    assert sum(t.macs for t in rpn if t.type == "conv") == 200 * 200 * (256 * 9 * 256 + 256 * 15)
    assert sum(t.params for t in _layers_under(a, "rpn_pool.")) == 0


# torchvision publishes detection GFLOPS without their image size; at 800x800 (the transform's shorter side, and a
# multiple of 32) and 1000 proposals the files reproduce them to the three decimals published.
@pytest.mark.parametrize("name", ["retinanet_resnet50_fpn", "fcos_resnet50_fpn", "fasterrcnn_resnet50_fpn",
                                  "retinanet_resnet50_fpn_v2"])
def test_published_gflops_are_reproduced_at_800_by_800(name):
    assert round(analyze_file(name).totals.macs / 1e9, 3) == _published(name)["gflops"]


def _box_head_macs(a):
    names = [t.name for t in a.layers]
    return sum(t.macs for t in a.layers[names.index("box_roi_pool"):])


@pytest.mark.parametrize("name, res, regions, gflops", [("fasterrcnn_mobilenet_v3_large_fpn", 800, 1000, 4.494),
                                                        ("fasterrcnn_mobilenet_v3_large_320_fpn", 320, 150, 0.719)])
def test_mobilenet_faster_rcnn_published_gflops_leave_out_the_box_head(name, res, regions, gflops):
    a = analyze_file(name)
    assert _published(name)["gflops"] == gflops
    per_region = 256 * 49 * 1024 + 1024 * 1024 + 1024 * (91 + 364)     # fc6, fc7, cls_score, bbox_pred by hand
    assert _box_head_macs(a) - a.layer("box_roi_pool").macs == regions * per_region
    assert round((a.totals.macs - _box_head_macs(a)) / 1e9, 3) == gflops
    # ... while fasterrcnn_resnet50_fpn's published 134.38 includes its box head at 1000 regions
    r50 = analyze_file("fasterrcnn_resnet50_fpn")
    assert round(r50.totals.macs / 1e9, 3) == 134.38 != round((r50.totals.macs - _box_head_macs(r50)) / 1e9, 3)


def test_mobilenet_faster_rcnn_takes_two_stride_32_maps_and_ties_its_rpn_head():
    a = analyze_file("fasterrcnn_mobilenet_v3_large_fpn")          # 800 / 32 = 25
    assert a.layer("fpn_inner_c4").output_shape == a.layer("fpn_inner_c5").output_shape == (1, 256, 25, 25)
    assert a.layer("fpn_inner_c4").params == 160 * 256 + 256 and a.layer("fpn_inner_c5").params == 960 * 256 + 256
    assert sum(t.params for t in _layers_under(a, "rpn_p4.")) == 256 * 9 * 256 + 256 + 256 * 15 + 15 + 256 * 60 + 60
    assert sum(t.params for t in _layers_under(a, "rpn_p5.")) == sum(t.params for t in _layers_under(a, "rpn_pool.")) == 0
