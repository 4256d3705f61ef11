"""What the numbers mean where a definition had to be chosen: upsampling by a decimal scale, resizing to another
layer's size, the warning for a linear layer on a map, the receptive field after a global-context gate, what
activation memory counts, `solve --min-rf` on a field that a symbol does not change, fvcore's 2-D-only handles and
stochastic depth.

Each expectation is derived by hand in the test, or measured with the named tool on the same PyTorch module.
"""

from __future__ import annotations

import json
import math

import pytest

from paramcalc.conventions import apply
from paramcalc.errors import SpecError

from conftest import ARCH, analyse_text

# --------------------------------------------------------------------------------------- upsample by a scale

SCALED = """
    input: [1, 100]
    layers:
      - {type: upsample, scale: 0.29}
      - {type: linear, out: 10}
    """


def test_a_decimal_scale_is_floored_in_floating_point_as_pytorch_does():
    # PyTorch multiplies in doubles: 100 x 0.29 = 28.999999999999996, floored to 28 (exactly: 29).
    assert 100 * 0.29 < 29 and math.floor(100 * 0.29) == 28
    a = analyse_text(SCALED)
    assert a.layers[0].output_shape == (1, 1, 28)
    assert a.totals.params == 10 * (28 + 1) == 290


def test_a_scale_whose_product_is_exact_stays_exact():
    a = analyse_text("input: [3, 5, 6]\nlayers:\n  - {type: upsample, scale: [1.5, 2.5]}\n")
    assert a.outputs[0][1] == (1, 3, 7, 15)    # floor(7.5), 15


def test_upsample_to_nothing_is_refused():
    with pytest.raises(SpecError, match="size 0"):
        analyse_text("input: [3, 10, 10]\nlayers:\n  - {type: upsample, scale: 0.05}\n")


# ------------------------------------------------------------------------- resize to another layer's size

SEGMENTATION_HEAD = """
    input: [3, 33, 31]
    layers:
      - {type: conv, out: 8, kernel: 3, stride: 2, padding: 1}     # 17 x 16
      - {type: conv, out: 5, kernel: 1}                            # class scores
      - {name: logits, type: upsample, mode: bilinear, inputs: [prev, input]}
    """


def test_upsample_to_the_size_of_a_second_input():
    a = analyse_text(SEGMENTATION_HEAD)
    logits = a.layer("logits")
    assert logits.output_shape == (1, 5, 33, 31)
    assert logits.ops == {"upsampling": 5 * 33 * 31}
    # The field follows the first input only: 3x3 at stride 2, bilinear reach 2 adds (2 - 1) x 2, so 5 wide, on a
    # grid 2 / (33 / 17) = 34/33 apart vertically; the image lends its size, not its pixels.
    assert logits.receptive_field.size == (5, 5)
    assert not logits.receptive_field.whole


@pytest.mark.parametrize("extra, message", [(", scale: 2", "give no scale or size"),
                                            (", size: [4, 4]", "give no scale or size")])
def test_a_second_input_and_a_scale_or_size_are_refused_together(extra, message):
    with pytest.raises(SpecError, match=message):
        analyse_text(SEGMENTATION_HEAD.replace("inputs: [prev, input]}", "inputs: [prev, input]" + extra + "}"))


def test_a_second_input_with_other_spatial_axes_is_refused():
    with pytest.raises(SpecError, match="2 and 1 spatial axes"):
        analyse_text("inputs: {a: [3, 4, 4], b: [2, 9]}\nlayers:\n  - {type: upsample, inputs: [a, b]}\n")


def test_an_upsample_without_scale_size_or_second_input_is_refused():
    with pytest.raises(SpecError, match="give a scale, a size, or a second input"):
        analyse_text("input: [3, 4, 4]\nlayers:\n  - {type: upsample}\n")


def test_resize_to_a_second_input_runs_in_pytorch():
    pytest.importorskip("torch")
    import textwrap

    from paramcalc.executor import to_torch
    from paramcalc.graph import build_graph
    from paramcalc.spec import load_text

    to_torch(build_graph(load_text(textwrap.dedent(SEGMENTATION_HEAD), "seg.yaml"), "seg.yaml"))


# ------------------------------------------------------------------------------ linear on a non-flat input

LENET = """
    input: [1, 32, 32]
    layers:
      - {type: conv, out: 6, kernel: 5}
      - {type: relu}
      - {type: maxpool, kernel: 2}
      - {type: conv, out: 16, kernel: 5}
      - {type: relu}
      - {type: maxpool, kernel: 2}
      - {type: flatten}
      - {name: fc1, type: linear, out: 120}
      - {type: relu}
      - {name: fc2, type: linear, out: 84}
      - {type: relu}
      - {name: fc3, type: linear, out: 10}
    """


def test_lenet_without_its_flatten_is_legal_but_warned_about():
    # conv1 6 x 26 + conv2 16 x 151 = 2,572; with flatten fc1 sees 400 features: 120 x 401 + 84 x 121 + 10 x 85
    with_flatten = analyse_text(LENET)
    assert with_flatten.totals.params == 2572 + 120 * 401 + 84 * 121 + 10 * 85 == 61_706
    assert with_flatten.warnings == ()
    # without it fc1 acts on the last axis of [16, 5, 5]: 120 x (5 + 1)
    without = analyse_text(LENET.replace("      - {type: flatten}\n", ""))
    assert without.totals.params == 2572 + 120 * 6 + 84 * 121 + 10 * 85 == 14_306
    assert len(without.warnings) == 1
    warning = without.warnings[0]
    assert warning.startswith("fc1: linear on the non-flat input [16, 5, 5]") and "add a flatten" in warning


def test_the_linear_warning_reaches_stderr_and_json(tmp_path, run_cli):
    import textwrap

    path = tmp_path / "lenet.yaml"
    path.write_text(textwrap.dedent(LENET.replace("      - {type: flatten}\n", "")))
    r = run_cli("show", path, "--format", "json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["warnings"][0].startswith("fc1: linear on the non-flat input [16, 5, 5]")
    assert r.stderr.startswith("paramcalc: warning: fc1: linear on the non-flat input [16, 5, 5]")


@pytest.mark.parametrize("text", [
    "input: [197, 768]\nlayers:\n  - {type: linear, out: 3072}\n",                         # tokens x features
    "input: [8, 4, 4]\nlayers:\n  - {type: reshape, shape: [16, 8]}\n  - {type: linear, out: 2}\n",
    "input: [16]\nlayers:\n  - {type: linear, out: 4}\n  - {type: relu}\n  - {type: linear, out: 2}\n",
])
def test_a_linear_on_tokens_or_a_reshaped_input_is_not_warned_about(text):
    assert analyse_text(text).warnings == ()


def test_a_linear_after_a_1d_conv_is_warned_about_through_shape_keeping_layers():
    a = analyse_text("input: [4, 30]\nlayers:\n  - {type: conv1d, out: 8, kernel: 3}\n  - {type: batchnorm}\n"
                     "  - {type: relu}\n  - {name: head, type: linear, out: 2}\n")
    assert [w.split(":")[0] for w in a.warnings] == ["head"]
    assert "[8, 28]" in a.warnings[0]


# ------------------------------------------------------------------ receptive field after a global gate

SE_NET = """
    input: [16, 32, 32]
    blocks:
      se:
        args: {c: null}
        layers:
          - {type: adaptive_avgpool, size: 1}
          - {type: conv, out: c//4, kernel: 1}
          - {type: relu}
          - {type: conv, out: c, kernel: 1}
          - {type: hardsigmoid}
          - {type: multiply, inputs: [in, prev], name: scale}
    layers:
      - {name: conv1, type: conv, out: 16, kernel: 3, padding: 1}
      - {type: se, c: 16}
      - {name: conv2, type: conv, out: 16, kernel: 3, padding: 1}
      - {type: adaptive_avgpool, size: 1}
      - {type: flatten}
      - {type: linear, out: 10}
    """


def test_after_a_squeeze_excitation_gate_the_field_follows_the_trunk_and_flags_global_context():
    a = analyse_text(SE_NET)
    # Trunk: two 3x3 convs at stride 1 -> 3 + 2 = 5 pixels. The gate's branch sees the whole input.
    assert a.layer("se1.adaptive_avgpool1").receptive_field.whole
    gated = a.layer("se1.scale").receptive_field
    assert (gated.size, gated.whole, gated.global_context) == ((3, 3), False, True)
    after = a.layer("conv2").receptive_field
    assert (after.size, after.stride, after.global_context) == ((5, 5), (1, 1), True)
    assert a.layer("conv1").receptive_field.global_context is False
    assert a.totals.spatial_receptive_field.size == (5, 5)
    assert a.totals.spatial_receptive_field_layer == "conv2"


def test_the_global_context_flag_is_in_json_and_marked_in_the_table(tmp_path, run_cli):
    import textwrap

    path = tmp_path / "se.yaml"
    path.write_text(textwrap.dedent(SE_NET))
    out = json.loads(run_cli("show", path, "--format", "json").stdout)
    assert out["totals"]["spatial_receptive_field"]["global_context"] is True
    layers = {l["name"]: l for l in out["layers"]}
    assert layers["conv1"]["receptive_field"]["global_context"] is False
    assert layers["conv2"]["receptive_field"]["size"] == [5, 5]
    table = run_cli("show", path).stdout
    assert "5x5 s1 +global" in table


def test_check_min_receptive_field_measures_the_trunk_after_a_gate(tmp_path, run_cli):
    import textwrap

    path = tmp_path / "se.yaml"
    path.write_text(textwrap.dedent(SE_NET))
    assert run_cli("check", path, "--min-receptive-field", "5").exit_code == 0
    assert run_cli("check", path, "--min-receptive-field", "6").exit_code == 1


def test_an_image_pooling_branch_concatenated_keeps_the_spatial_field():
    # DeepLabV3's ASPP pooling branch: global pool, 1x1 conv, resized back and concatenated with a 3x3 branch.
    a = analyse_text("""
        input: [8, 16, 16]
        layers:
          - {name: local, type: conv, out: 4, kernel: 3, padding: 1}
          - {name: pooled, type: adaptive_avgpool, size: 1, input: input}
          - {type: conv, out: 4, kernel: 1}
          - {name: back, type: upsample, inputs: [prev, local]}
          - {name: cat, type: concat, inputs: [local, back]}
        """)
    field = a.layer("cat").receptive_field
    assert (field.size, field.global_context) == ((3, 3), True)


def test_when_every_branch_sees_the_whole_input_the_field_is_whole():
    a = analyse_text("""
        input: [8, 4, 4]
        layers:
          - {name: g, type: adaptive_avgpool, size: 1}
          - {name: h, type: adaptive_maxpool, size: 1, input: input}
          - {type: add, inputs: [g, h]}
        """)
    assert a.layers[-1].receptive_field.whole


# ---------------------------------------------------------------------------------------- activation memory


def test_activation_memory_and_its_peak_count_the_same_tensors():
    a = analyse_text(SCALED)
    # input 100, upsample 28, linear 10 floats: all 138 x 4 bytes; the peak is input + upsample alive together.
    assert a.totals.activation_bytes == (100 + 28 + 10) * 4
    assert a.totals.peak_activation_bytes == (100 + 28) * 4
    assert a.totals.peak_activation_bytes <= a.totals.activation_bytes


@pytest.mark.parametrize("path", sorted(ARCH.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_peak_never_exceeds_the_total(path):
    from paramcalc.engine import analyze
    from paramcalc.graph import load_graph

    t = analyze(load_graph(path)).totals
    if t.peak_activation_bytes is not None:
        assert t.peak_activation_bytes <= t.activation_bytes


# --------------------------------------------------------------------------- solve --min-rf, field fixed


def test_solve_min_rf_for_a_symbol_the_field_does_not_depend_on(run_cli):
    # standard_conv is one 3x3 conv on an H x H map: its field is 3 whatever H is.
    r = run_cli("solve", "standard_conv", "--for", "H", "--min-rf", "100")
    assert r.exit_code == 2
    message = r.stderr.strip()
    assert "\n" not in message
    assert "does not depend on H" in message and "it is 3 at every value" in message and "never reaches" in message


def test_solve_min_rf_that_already_holds_still_solves_the_other_budgets(run_cli):
    r = run_cli("solve", "standard_conv", "--for", "H", "--min-rf", "3", "--max-macs", "1G", "--set", "M=3",
                "--set", "N=8")
    assert r.exit_code == 0, r.output
    # MACs = 9 x H^2 x M x N = 216 H^2 <= 1e9  ->  H = floor(sqrt(1e9 / 216)) = 2151
    assert 216 * 2151**2 <= 10**9 < 216 * 2152**2
    assert "H = 2151" in r.stdout


# -------------------------------------------------------------------------------- fvcore's 2-D-only handles

# fvcore 0.1.5.post20221221 FlopCountAnalysis(module.eval(), x).total(), measured on these modules: its handle
# table has aten::adaptive_avg_pool2d, upsample_nearest2d and upsample_bilinear2d only.
FVCORE_BY_RANK = [
    ("[4, 8]", "{type: adaptive_avgpool, size: 3}", 0),                     # AdaptiveAvgPool1d(3)
    ("[4, 8, 8]", "{type: adaptive_avgpool, size: 3}", 256),                # AdaptiveAvgPool2d(3)
    ("[4, 2, 8, 8]", "{type: adaptive_avgpool, size: 1}", 0),               # AdaptiveAvgPool3d(1), r3d_18's
    ("[4, 8]", "{type: upsample, scale: 2}", 0),                            # nearest1d
    ("[4, 8]", "{type: upsample, scale: 2, mode: bilinear}", 0),            # linear1d
    ("[4, 8, 8]", "{type: upsample, scale: 2}", 1024),                      # nearest2d
    ("[4, 8, 8]", "{type: upsample, scale: 2, mode: bilinear}", 4096),      # bilinear2d
    ("[4, 2, 8, 8]", "{type: upsample, scale: 2}", 0),                      # nearest3d
    ("[4, 2, 8, 8]", "{type: upsample, scale: 2, mode: bilinear}", 0),      # trilinear3d
]


@pytest.mark.parametrize("shape, layer, measured", FVCORE_BY_RANK)
def test_fvcore_counts_pooling_and_upsampling_only_in_their_2d_forms(shape, layer, measured):
    a = analyse_text(f"input: {shape}\nlayers:\n  - {layer}\n")
    assert apply(a, "fvcore").compute == measured


def test_r3d_final_pool_is_not_counted_by_fvcore():
    # r3d_18's AdaptiveAvgPool3d(1) on [512, 2, 7, 7] was counted as 512 x 2 x 7 x 7 = 50,176 before.
    a = analyse_text("input: [512, 2, 7, 7]\nlayers:\n  - {type: adaptive_avgpool, size: 1}\n  - {type: flatten}\n"
                     "  - {type: linear, out: 400}\n")
    assert apply(a, "fvcore").compute == 512 * 400


# ------------------------------------------------------------------------------------------ stochastic depth


def test_stochastic_depth_in_a_residual_branch_counts_nothing():
    text = """
        input: [8, 6, 6]
        layers:
          - {type: conv, out: 8, kernel: 3, padding: 1}
          - {type: KIND, p: 0.1}
          - {type: add, inputs: [prev, input]}
        """
    plain = analyse_text(text.replace("          - {type: KIND, p: 0.1}\n", ""))
    assert len(plain.layers) == 2
    for kind in ("stochastic_depth", "drop_path", "dropout"):
        a = analyse_text(text.replace("KIND", kind))
        assert (a.totals.params, a.totals.macs, a.totals.ops) == (plain.totals.params, plain.totals.macs,
                                                                  plain.totals.ops)
        assert a.totals.receptive_field == plain.totals.receptive_field


def test_stochastic_depth_probability_is_checked():
    with pytest.raises(SpecError, match=r"p must be in \[0, 1\]"):
        analyse_text("input: [8]\nlayers:\n  - {type: stochastic_depth, p: 1.5}\n")


def test_fvcore_itself_agrees_on_the_executors_modules_when_installed():
    """Where fvcore is installed (it is not a dependency), run it on the module the executor builds."""
    pytest.importorskip("fvcore")
    import logging
    import warnings

    import torch
    from fvcore.nn import FlopCountAnalysis

    from paramcalc.engine import analyze
    from paramcalc.executor import to_torch
    from paramcalc.graph import build_graph
    from paramcalc.spec import load_text

    logging.disable(logging.WARNING)  # fvcore logs every operator it skips
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for shape, layer, _ in FVCORE_BY_RANK:
                graph = build_graph(load_text(f"input: {shape}\nlayers:\n  - {layer}\n", "fv.yaml"), "fv.yaml")
                x = torch.zeros(1, *json.loads(shape))
                measured = FlopCountAnalysis(to_torch(graph).eval(), x).total()
                assert measured == apply(analyze(graph), "fvcore").compute, (shape, layer)
    finally:
        logging.disable(logging.NOTSET)
