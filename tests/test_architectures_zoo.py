"""torchvision's model zoo: every bundled file named after a torchvision builder against the figures it publishes.

Ground truth: tests/data/torchvision_published.json, torchvision 0.29.1's weights `meta` for all 121 builders
(`num_params`, `_ops` = the documented GFLOPS, which are multiply-adds, and the input of the eval transform), written
by scripts/torchvision_published.py from torchvision itself, never from paramcalc. A few figures are also written out
below from torchvision's model docs, so a damaged data file cannot pass silently.
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from paramcalc import analyze_file, load_graph
from paramcalc.bundled import names, resolve
from conftest import ROOT

DATA = json.loads((ROOT / "tests" / "data" / "torchvision_published.json").read_text())
BUILDERS = DATA["builders"]
BUNDLED = sorted(name for name in BUILDERS if name in set(names()))
TOLERANCE = 0.005            # the bound: MACs within 0.5% of the published GFLOPS


def _script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# torchvision's GFLOPS for these two leave out the box head (RoI align onwards) at any number of regions, which
# fasterrcnn_resnet50_fpn's figure includes at 1000 regions (tests/test_architectures_detection.py)
BOX_HEAD_LEFT_OUT = {"fasterrcnn_mobilenet_v3_large_fpn", "fasterrcnn_mobilenet_v3_large_320_fpn"}


def _checked_weights():
    """(builder, weights entry) for every bundled builder: its default weights, and any other weights with the same
    parameters at another input (RegNet's SWAG weights at 384x384). Weights whose num_params differ from the
    default's (ViT's SWAG fine-tunes, with resized position embeddings) belong to a different model."""
    cases = []
    for name in BUNDLED:
        entries = BUILDERS[name]["weights"]
        default = next(e for e in entries if e["weights"] == BUILDERS[name]["default"])
        seen = set()
        for entry in [default] + entries:
            key = (tuple(entry["input"] or ()), entry["gflops"])
            if entry["num_params"] == default["num_params"] and key not in seen:
                seen.add(key)
                cases.append(pytest.param(name, entry, id=f"{name}-{entry['weights'].split('.')[1]}"))
    return cases


def _analysis_at(name, shape):
    """The file analysed at the documented input: `res` (and `frames` for video) set from the shape."""
    graph = load_graph(resolve(name))
    overrides = {}
    if shape is not None:
        symbols = dict(graph.symbols)
        if "res" in symbols:
            overrides["res"] = shape[-1]
        if "frames" in symbols:
            overrides["frames"] = shape[1]
    return analyze_file(name, overrides=overrides)


def test_the_data_lists_all_121_builders_of_torchvision_0_29_1():
    assert DATA["torchvision"] == "0.29.1"
    assert len(BUILDERS) == 121
    modules = {}
    for builder in BUILDERS.values():
        modules[builder["module"]] = modules.get(builder["module"], 0) + 1
    assert modules == {"classification": 80, "quantization": 12, "segmentation": 6, "video": 9, "detection": 12,
                       "optical_flow": 2}


@pytest.mark.parametrize("name, params, gflops", [
    ("efficientnet_b0", 5_288_548, 0.386),      # torchvision/models/efficientnet.py, EfficientNet_B0_Weights
    ("regnet_y_128gf", 644_812_894, 374.57),    # regnet.py, RegNet_Y_128GF_Weights.IMAGENET1K_SWAG_E2E_V1 (384)
    ("mobilenet_v3_large", 5_483_032, 0.217),   # mobilenetv3.py, MobileNet_V3_Large_Weights.IMAGENET1K_V1
    ("r2plus1d_18", 31_505_325, 40.519),        # video/resnet.py, R2Plus1D_18_Weights.KINETICS400_V1
    ("deeplabv3_resnet50", 42_004_074, 178.722),  # segmentation/deeplabv3.py, COCO_WITH_VOC_LABELS_V1
])
def test_the_data_agrees_with_figures_copied_from_torchvisions_model_docs(name, params, gflops):
    default = next(e for e in BUILDERS[name]["weights"] if e["weights"] == BUILDERS[name]["default"])
    assert (default["num_params"], default["gflops"]) == (params, gflops)


@pytest.mark.parametrize("name, entry", _checked_weights())
def test_bundled_torchvision_builder_matches_published_params_and_gflops(name, entry):
    a = _analysis_at(name, entry["input"])
    if entry["input"] is not None:
        assert list(a.inputs[0][1][1:]) == entry["input"]      # analysed at the documented input
    assert a.totals.params == entry["num_params"]
    published = entry["gflops"] * 1e9
    if name in BOX_HEAD_LEFT_OUT:   # their published GFLOPS stop before the per-region box head
        layers = [t.name for t in a.layers]
        macs = a.totals.macs - sum(t.macs for t in a.layers[layers.index("box_roi_pool"):])
        assert round(macs / 1e9, 3) == entry["gflops"]
        return
    # Within 0.5%, or equal at the three decimals torchvision publishes (0.057 G for mobilenet_v3_small is itself
    # rounded by up to 0.9%).
    assert abs(a.totals.macs / published - 1) < TOLERANCE or round(a.totals.macs / 1e9, 3) == entry["gflops"]


def test_most_of_the_zoo_is_bundled():
    assert len(BUNDLED) >= 72


@pytest.mark.parametrize("name", sorted(n for n, b in BUILDERS.items() if b["module"] == "quantization"))
def test_quantized_builders_publish_their_float_twins_figures(name):
    """A quantized builder is its float twin's architecture: torchvision publishes the same parameters and GFLOPS,
    so the twin's file stands for it."""
    twin = name.removeprefix("quantized_")
    assert twin in BUILDERS
    quantized, float_ = BUILDERS[name]["weights"][0], BUILDERS[twin]["weights"][0]
    assert (quantized["num_params"], quantized["gflops"], quantized["input"]) == \
        (float_["num_params"], float_["gflops"], float_["input"])


def test_every_builder_is_bundled_a_quantized_twin_or_listed_with_a_reason():
    coverage = _script("architecture_table").coverage()
    listed = set(coverage["bundled"]) | set(coverage["quantized"]) | {n for n, _ in coverage["not_bundled"]}
    assert listed == set(BUILDERS)
    assert all(reason for _, reason in coverage["not_bundled"])
    assert not set(coverage["bundled"]) & {n for n, _ in coverage["not_bundled"]}


def test_generated_family_files_match_their_templates():
    zoo = _script("zoo_families")
    paths = {name: ROOT / "architectures" / f"{name}.yaml" for name in zoo.FAMILIES}
    stale = [name for name, path in paths.items() if not path.is_file() or path.read_text() != zoo.render(name)]
    assert stale == [], "run python scripts/zoo_families.py (and scripts/architecture_table.py for README)"


@pytest.mark.parametrize("name", sorted(_script("zoo_families").FAMILIES))
def test_every_generated_file_has_a_one_line_description_a_source_and_a_res_default(name):
    graph = load_graph(resolve(name))
    assert graph.description and "\n" not in graph.description
    assert graph.source and "\n" not in graph.source and "torchvision/models/" in graph.source
    assert dict(graph.symbols).get("res") in (112, 224, 240, 288, 300, 320, 380, 384, 456, 480, 520, 528, 600, 800)


def test_regnet_widths_follow_torchvisions_quantised_rule():
    # RegNetY-400MF, worked by hand from depth 16, w_0 48, w_a 27.89, w_m 2.09, group width 8 (torchvision's
    # regnet_y_400mf): block widths 48, 104 (x3), 208 (x6), 440 (x6) - the paper's Figure 14 / pycls config.
    stages = _script("zoo_families").regnet_stages(16, 48, 27.89, 2.09, 8)
    assert [(w, b) for w, b, _ in stages] == [(48, 1), (104, 3), (208, 6), (440, 6)]


def test_efficientnet_b4_scales_b0_by_torchvisions_rounding():
    # width 1.4: 32 -> 48 stem channels, 320 -> 448 last stage, 1792 head; depth 1.8: 4 blocks -> ceil(7.2) = 8
    a = analyze_file("efficientnet_b4")
    assert tuple(a.layer("stem").param_shapes["weight"]) == (48, 3, 3, 3)
    assert tuple(a.layer("head").param_shapes["weight"]) == (1792, 448, 1, 1)
    assert len([r for r in a.layers if r.name.startswith("stage6") and r.name.endswith(".add")]) == 7


def test_segmentation_outputs_are_at_the_input_size_with_the_auxiliary_head():
    a = analyze_file("fcn_resnet50")
    assert [tuple(shape) for _, shape in a.outputs] == [(1, 21, 520, 520), (1, 21, 520, 520)]
    lraspp = analyze_file("lraspp_mobilenet_v3_large", overrides={"res": 224})
    assert [tuple(shape) for _, shape in lraspp.outputs] == [(1, 21, 224, 224)]
