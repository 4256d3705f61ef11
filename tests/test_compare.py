"""`paramcalc compare`: the course's design pairs in symbols and numbers, block targets, stages, formats, bad input.

Every expected value is derived by hand in the test or taken from a published source named beside it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from fractions import Fraction

import pytest
import sympy

from conftest import ARCH
from paramcalc.compare import align, compare, load_designs, ratio

c = sympy.Symbol("c", integer=True, positive=True)


def _json(run_cli, *args):
    r = run_cli("compare", *args, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _expr(text):
    """A JSON expression string read back with the same assumptions paramcalc gives size symbols."""
    return sympy.sympify(text, locals={"c": c})


# ------------------------------------------------------------------------------------------ the course pairs


def test_two_3x3_costs_18_25_of_one_5x5_exactly_and_at_128_channels(run_cli):
    d = _json(run_cli, ARCH / "vgg_one_5x5.yaml", ARCH / "vgg_two_3x3.yaml", "--set", "c=128")
    params = d["totals"]["params"]
    # one 5x5: 5*5*c*c; two 3x3: 2*3*3*c*c (no bias in either file)
    assert params["values"][0] == {"expr": "25*c**2", "value": 5 * 5 * 128 * 128}
    assert params["values"][1] == {"expr": "18*c**2", "value": 2 * 3 * 3 * 128 * 128}
    assert params["values"][1]["value"] == 294_912 and params["values"][0]["value"] == 409_600
    # the ratio is each design over the first one: two 3x3 / one 5x5 = 18/25, in symbols and in numbers
    assert params["ratios"] == [{"expr": 1, "value": 1}, {"expr": "18/25", "value": "18/25"}]
    # MACs at H = W = 56 with padding keeping the size: weights x 56*56 output positions, same ratio
    assert d["totals"]["macs"]["values"][1]["expr"] == f"{18 * 56 * 56}*c**2"
    assert d["totals"]["macs"]["ratios"][1]["expr"] == "18/25"
    assert d["totals"]["flops"]["values"][0]["value"] == 2 * 25 * 128 * 128 * 56 * 56
    # the same receptive field: 3 + (3 - 1) = 5 against 5
    assert d["totals"]["receptive_field"]["values"][1]["value"]["size"] == [5, 5]
    assert d["totals"]["receptive_field"]["ratios"][1] == {"expr": [1, 1], "value": [1, 1]}
    # depth: one layer with parameters against two
    assert [v["value"] for v in d["totals"]["layers_with_params"]["values"]] == [1, 2]
    assert d["set"] == {"c": 128}


def test_ratio_is_to_the_first_design_so_the_order_inverts_it(run_cli):
    d = _json(run_cli, "vgg_two_3x3", "vgg_one_5x5")
    assert d["ratio_to"] == "vgg_two_3x3"
    assert d["totals"]["params"]["ratios"][1] == {"expr": "25/18", "value": "25/18"}
    # without --set the symbol stays symbolic in both columns
    assert d["totals"]["params"]["values"][0] == {"expr": "18*c**2", "value": "18*c**2"}


def test_bottleneck_against_basic_block_17c2_against_18c2_plus_batchnorm(run_cli):
    d = _json(run_cli, "resnet_bottleneck", "resnet_basic", "--set", "c=64", "--by", "layer")
    # bottleneck on 4c channels: convs 4c*c + 9c*c + c*4c = 17c^2; BatchNorm weight+bias 2*(c + c + 4c) = 12c
    # basic block on c channels: convs 2 * 9c*c = 18c^2; BatchNorm 2*(c + c) = 4c
    bottleneck, basic = 17 * c**2 + 12 * c, 18 * c**2 + 4 * c
    params = d["totals"]["params"]
    assert _expr(params["values"][0]["expr"]) == bottleneck
    assert _expr(params["values"][1]["expr"]) == basic
    assert params["values"][0]["value"] == 17 * 64**2 + 12 * 64 == 70_400
    assert params["values"][1]["value"] == 18 * 64**2 + 4 * 64 == 73_984
    assert sympy.simplify(_expr(params["ratios"][1]["expr"]) - basic / bottleneck) == 0
    assert Fraction(params["ratios"][1]["value"]) == Fraction(73_984, 70_400) == Fraction(289, 275)
    # buffers: running mean and var, 2 per channel of each BatchNorm: 12c against 4c
    assert d["totals"]["buffers"]["values"][0]["expr"] == "12*c"
    assert d["totals"]["buffers"]["ratios"][1]["expr"] == "1/3"
    # MACs at 56x56 (stride 1 throughout): 17c^2 * 56^2 against 18c^2 * 56^2, ratio 18/17
    assert d["totals"]["macs"]["values"][0]["expr"] == f"{17 * 56 * 56}*c**2"
    assert d["totals"]["macs"]["ratios"][1]["expr"] == "18/17"
    # per layer: the conv weights alone are 17c^2 against 18c^2
    conv_weights = [sum((_expr(part["params"]["expr"]) for row in d["stages"]["rows"]
                         if (part := row["designs"][i]) is not None and part["type"] == "conv"), sympy.Integer(0))
                    for i in (0, 1)]
    assert sympy.expand(conv_weights[0] - 17 * c**2) == 0
    assert sympy.expand(conv_weights[1] - 18 * c**2) == 0


def test_numbers_stand_beside_the_expressions_in_the_table(run_cli):
    r = run_cli("compare", "vgg_one_5x5", "vgg_two_3x3", "--set", "c=128")
    assert r.exit_code == 0, r.output
    assert "25*c**2 = 409,600" in r.stdout and "18*c**2 = 294,912" in r.stdout
    assert "18/25" in r.stdout
    assert "\x1b[" not in r.stdout


# ------------------------------------------------------------------------------------------- block targets


def test_a_block_inside_a_file_is_compared_with_its_args_from_set(run_cli, tmp_path):
    net = tmp_path / "stems.yaml"
    net.write_text(textwrap.dedent("""\
        name: stems
        input: [3, 224, 224]
        blocks:
          two3x3:
            args: {c: null}
            layers:
              - {type: conv, out: c, kernel: 3, padding: 1, bias: false}
              - {type: relu}
              - {type: conv, out: c, kernel: 3, padding: 1, bias: false}
          one5x5:
            args: {c: null}
            layers:
              - {type: conv, out: c, kernel: 5, padding: 2, bias: false}
        layers:
          - {type: conv, out: 64, kernel: 7, stride: 2, padding: 3}
    """))
    d = _json(run_cli, f"{net}#one5x5", f"{net}#two3x3", "--set", "c=128", "--input", "c,32,32")
    labels = [x["label"] for x in d["designs"]]
    assert labels == ["stems#one5x5", "stems#two3x3"]
    assert [x["block"] for x in d["designs"]] == ["one5x5", "two3x3"]
    params = d["totals"]["params"]
    assert params["values"][0] == {"expr": "25*c**2", "value": 409_600}
    assert params["values"][1] == {"expr": "18*c**2", "value": 294_912}
    assert params["ratios"][1]["expr"] == "18/25"
    assert d["designs"][0]["inputs"][0]["shape"] == {"expr": [1, "c", 32, 32], "value": [1, 128, 32, 32]}


def test_a_block_takes_the_files_own_input_by_default_or_the_input_option(run_cli):
    target = f"{ARCH / 'resnet_bottleneck.yaml'}#bottleneck"
    d = _json(run_cli, target, f"{ARCH / 'resnet_basic.yaml'}#basic")
    # the file's input [4c, 56, 56]: the same block as the whole file, 17c^2 + 12c
    assert _expr(d["totals"]["params"]["values"][0]["expr"]) == 17 * c**2 + 12 * c
    assert set(d["designs"][0]["symbols"]) == {"c", "H", "stride"}   # the block's args join the file's symbols
    # --input 256,56,56 at c = 64: 256*64 + 9*64*64 + 64*256 + 2*(64 + 64 + 256) = 70,400
    d = _json(run_cli, target, "vgg_two_3x3", "--input", "256,56,56", "--set", "c=64")
    assert d["totals"]["params"]["values"][0]["value"] == 256 * 64 + 9 * 64 * 64 + 64 * 256 + 2 * (64 + 64 + 256)
    assert d["designs"][0]["inputs"][0]["shape"]["value"] == [1, 256, 56, 56]


def test_a_block_in_depth_zero_is_one_row_per_layer_of_the_block(run_cli):
    d = _json(run_cli, f"{ARCH / 'resnet_bottleneck.yaml'}#bottleneck", "resnet_basic", "--by", "stage")
    names = [row["name"] for row in d["stages"]["rows"]]
    # the block's own layers are its top level; the whole basic file has one top-level block, 'block'
    assert names[:3] == ["reduce", "batchnorm1", "relu1"] and "block" in names
    reduce = d["stages"]["rows"][0]["designs"]
    assert reduce[0]["name"] == "bottleneck.reduce" and reduce[1] is None
    assert _expr(reduce[0]["params"]["expr"]) == 4 * c * c        # 1x1 conv from 4c to c


# ------------------------------------------------------------------------------------ ResNet-50 vs ResNet-101


def test_resnet50_against_resnet101_match_torchvisions_published_totals(run_cli):
    if not (ARCH / "resnet50.yaml").is_file() or not (ARCH / "resnet101.yaml").is_file():
        pytest.skip("resnet50.yaml / resnet101.yaml are not in architectures/ on this branch yet")
    d = _json(run_cli, "resnet50", "resnet101", "--by", "stage")
    # torchvision/models/resnet.py, ResNet50_Weights.IMAGENET1K_V1.meta: num_params 25,557,032, GFLOPS 4.09;
    # ResNet101_Weights.IMAGENET1K_V1.meta: num_params 44,549,160, GFLOPS 7.80 (torchvision 0.13+ docs)
    params = [v["value"] for v in d["totals"]["params"]["values"]]
    assert params == [25_557_032, 44_549_160]
    assert Fraction(d["totals"]["params"]["ratios"][1]["value"]) == Fraction(44_549_160, 25_557_032)
    macs = [v["value"] for v in d["totals"]["macs"]["values"]]
    assert abs(macs[0] / 4.09e9 - 1) < 0.005 and abs(macs[1] / 7.80e9 - 1) < 0.005
    rows = {row["name"]: row for row in d["stages"]["rows"]}
    # He et al. 2016, Table 1: 3, 4, 6, 3 blocks against 3, 4, 23, 3: only conv4_x (layer3) differs
    for same in ("conv1", "layer1", "layer2", "layer4", "fc"):
        assert rows[same]["params_ratios"][1] == {"expr": 1, "value": 1}, same
    # 17 more identity bottlenecks at width 256 on 1024 channels:
    # 1024*256 + 9*256*256 + 256*1024 conv weights + BatchNorm 2*(256 + 256 + 1024) = 1,117,184 each
    identity = 1024 * 256 + 9 * 256 * 256 + 256 * 1024 + 2 * (256 + 256 + 1024)
    layer3 = [part["params"]["value"] for part in rows["layer3"]["designs"]]
    assert layer3[1] - layer3[0] == 17 * identity == 44_549_160 - 25_557_032


# ----------------------------------------------------------------------------------------------- formats


def _tables(markdown: str) -> list[list[str]]:
    tables, current = [], []
    for line in markdown.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def _cells(line: str) -> list[str]:
    assert line.startswith("|") and line.endswith("|"), line
    return [x.strip() for x in re.split(r"(?<!\\)\|", line[1:-1])]


def test_markdown_pastes_as_valid_pipe_tables(run_cli):
    r = run_cli("compare", "resnet_bottleneck", "resnet_basic", "vgg_two_3x3", "--set", "c=64",
                "--format", "markdown", "--by", "layer")
    assert r.exit_code == 0, r.output
    tables = _tables(r.stdout)
    assert len(tables) == 2                                   # totals and the stage view
    for table in tables:
        width = len(_cells(table[0]))
        assert re.fullmatch(r"\|(:?-{3,}:?\|)+", table[1]), table[1]
        assert len(_cells(table[1])) == width
        for line in table[2:]:
            cells = _cells(line)
            assert len(cells) == width, line
            for cell in cells:   # a star outside a code span would turn into emphasis
                assert "*" not in re.sub(r"`[^`]*`", "", cell), cell
    assert "| Params | `17*c**2 + 12*c` = 70,400" in r.stdout
    assert any("| missing |" in line for line in tables[1][2:])      # stages one design lacks


def test_json_is_exact_integers_and_fraction_strings_never_floats(run_cli):
    d = _json(run_cli, "alexnet", "alexnet2012", "--by", "stage")

    def walk(x):
        assert not isinstance(x, float), x
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(d)
    # torchvision/models/alexnet.py, AlexNet_Weights.IMAGENET1K_V1.meta: num_params 61,100,840
    assert d["totals"]["params"]["values"][0] == {"expr": 61_100_840, "value": 61_100_840}
    other = d["totals"]["params"]["values"][1]["value"]
    assert Fraction(d["totals"]["params"]["ratios"][1]["value"]) == Fraction(other, 61_100_840)
    assert d["totals"]["flops"]["values"][0]["value"] == 2 * d["totals"]["macs"]["values"][0]["value"]


def test_different_input_sizes_are_stated_not_refused(run_cli, tmp_path):
    small = tmp_path / "small.yaml"
    small.write_text("name: small\ninput: [3, 32, 32]\nlayers:\n  - {type: conv, out: 6, kernel: 5}\n"
                     "  - {type: flatten}\n  - {type: linear, out: 10}\n")
    r = run_cli("compare", "alexnet", small)
    assert r.exit_code == 0, r.output
    text = " ".join(r.stdout.split())
    assert "Input shapes differ" in text and "[1, 3, 224, 224]" in text and "[1, 3, 32, 32]" in text
    assert "Output shapes differ" in text and "[1, 1000]" in text and "[1, 10]" in text
    d = _json(run_cli, "alexnet", small)
    assert any(s.startswith("Input shapes differ") for s in d["differences"])
    # 3*5*5*6 + 6 conv, then 6*28*28 -> 10 linear: 4710 + 47050
    assert d["totals"]["params"]["values"][1]["value"] == 3 * 5 * 5 * 6 + 6 + 6 * 28 * 28 * 10 + 10


# ---------------------------------------------------------------------------------------- --set and errors


def test_set_skips_designs_without_the_symbol_and_says_so(run_cli):
    d = _json(run_cli, "vgg_two_3x3", "alexnet", "--set", "c=128")
    assert d["designs"][1]["ignored_set"] == ["c"]
    assert any("--set c does not apply to alexnet" in s for s in d["differences"])
    assert d["totals"]["params"]["values"][0]["value"] == 294_912


def test_set_of_a_symbol_no_design_declares_is_an_error(run_cli):
    r = run_cli("compare", "vgg_two_3x3", "alexnet", "--set", "k=3")
    assert r.exit_code == 2
    assert "--set k" in r.stderr and "Traceback" not in r.output


@pytest.mark.parametrize("position", [0, 1])
def test_a_broken_file_is_named_in_the_error(run_cli, tmp_path, position):
    broken = tmp_path / "broken.yaml"
    broken.write_text("input: [3, 32, 32]\nlayers:\n  - {type: conv, out: 6, kernel: 5}\n"
                      "  - {type: conv, out: 6, kernl: 3}\n")
    targets = ["alexnet", "vgg_two_3x3"]
    targets.insert(position, str(broken))
    r = run_cli("compare", *targets)
    assert r.exit_code == 2
    assert f"{broken}:4" in r.stderr and "kernl" in r.stderr
    assert "Traceback" not in r.output and r.stdout == ""


def test_a_missing_block_or_file_is_named(run_cli):
    r = run_cli("compare", "alexnet", f"{ARCH / 'resnet_basic.yaml'}#bottlenek")
    assert r.exit_code == 2 and "resnet_basic.yaml" in r.stderr and "no block 'bottlenek'" in r.stderr
    r = run_cli("compare", "alexnet", "no_such_net")
    assert r.exit_code == 2 and "no_such_net" in r.stderr


def test_a_file_with_a_hash_in_its_name_is_that_file_as_show_reads_it(run_cli, tmp_path):
    # 'v#2.yaml' exists: it is a file, not block '2.yaml' of a file 'v' (show and compare read it alike)
    copy = tmp_path / "alexnet#2.yaml"
    copy.write_text((ARCH / "alexnet.yaml").read_text())
    r = run_cli("compare", str(copy), "alexnet", "--format", "json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["designs"][0]["file"] == str(copy) and d["designs"][0]["block"] is None
    assert [v["value"] for v in d["totals"]["params"]["values"]] == [61_100_840] * 2  # AlexNet's 61.1M
    r = run_cli("show", str(copy), "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["totals"]["params"] == 61_100_840


def test_one_design_alone_is_refused(run_cli):
    r = run_cli("compare", "alexnet")
    assert r.exit_code == 2 and "two or more" in r.stderr


# --------------------------------------------------------------------------------------------- the domain


def test_align_keeps_every_name_once_in_order():
    assert align([["conv1", "layer1", "fc"], ["conv1", "layer1", "layer2", "fc"]]) == \
        ["conv1", "layer1", "layer2", "fc"]
    # a name another design already placed is not repeated; names found nowhere else go where they were
    assert align([["a", "b"], ["x"], ["b", "y"]]) == ["a", "b", "x", "y"]


def test_ratio_is_exact_and_undefined_against_zero():
    assert ratio(18, 25) == Fraction(18, 25)
    assert ratio(5, 0) is None
    assert ratio(18 * c**2, 25 * c**2) == Fraction(18, 25)


def test_stage_rows_missing_on_one_side_are_none():
    comparison = compare(load_designs(["vgg_one_5x5", "vgg_two_3x3"], {"c": "8"}), depth=None, stages=True)
    rows = {r.key: r for r in comparison.stages}
    assert rows["conv2"].parts[0] is None and rows["conv2"].parts[1].params.value == 3 * 3 * 8 * 8
    assert rows["conv1"].params_ratios[1].value == Fraction(9, 25)   # 3x3 against 5x5 at the same channels


def test_comparing_concrete_models_does_not_import_sympy():
    code = ("from paramcalc.compare import compare, load_designs\n"
            "from paramcalc.render import compare_markdown, compare_json\n"
            "c = compare(load_designs(['alexnet', 'alexnet2012']), depth=0, stages=True)\n"
            "compare_markdown.render(c); compare_json.render(c)\n"
            "import sys; print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_symbol_used_as_a_repeat_count_is_shown_by_its_value(run_cli, tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: deep\nsymbols: {n: 2}\ninput: [8, 16, 16]\nlayers:\n"
                    "  - {type: conv, out: 8, kernel: 3, padding: 1, bias: false, repeat: n}\n")
    d = _json(run_cli, deep, "vgg_two_3x3", "--set", "n=3", "--set", "c=8")
    # a repeat count cannot stay symbolic, so both columns hold the value: 3 convs of 3*3*8*8 weights
    assert d["totals"]["params"]["values"][0] == {"expr": 3 * 3 * 3 * 8 * 8, "value": 3 * 3 * 3 * 8 * 8}
    # two 3x3 (18c^2) against three convs of 576: c^2/96 in symbols, 18*64/1728 = 2/3 at c = 8
    assert d["totals"]["params"]["ratios"][1] == {"expr": "c**2/96", "value": "2/3"}


def test_peak_memory_of_symbolic_designs_is_unknown_until_sizes_are_given(run_cli):
    # Which tensors peak together depends on the sizes, so the engine reports no symbolic peak.
    bare = run_cli("compare", "vgg_two_3x3", "vgg_one_5x5", "--format", "markdown").stdout
    peak_row = next(line for line in bare.splitlines() if line.startswith("| Peak activation memory"))
    assert "None" not in peak_row and "n/a" in peak_row
    # At c = 128, H = 56 both peak at input + one 128x56x56 output alive at once: 2 * 128*56*56 * 4 bytes.
    sized = run_cli("compare", "vgg_two_3x3", "vgg_one_5x5", "--set", "c=128", "--format", "json").stdout
    import json

    values = json.loads(sized)["totals"]["peak_activation_bytes"]["values"]
    assert [v["value"] for v in values] == [2 * 128 * 56 * 56 * 4] * 2
