"""`paramcalc show`: the formats, the JSON contract, --set, --batch, --dtype and --depth."""

from __future__ import annotations

import csv
import io
import json

import pytest


def test_json_contract_has_the_documented_keys(run_cli):
    r = run_cli("show", "alexnet", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    for key in ("name", "symbols", "inputs", "outputs", "totals", "layers"):
        assert key in d
    for key in ("params", "trainable_params", "buffers", "macs", "flops", "weight_bytes", "activation_bytes",
                "receptive_field"):
        assert key in d["totals"]
    conv1 = d["layers"][0]
    for key in ("name", "type", "inputs", "output_shape", "params", "param_shapes", "macs", "flops",
                "receptive_field"):
        assert key in conv1
    assert conv1["param_shapes"] == {"weight": [64, 3, 11, 11], "bias": [64]}
    assert conv1["output_shape"] == [1, 64, 55, 55]          # floor((224 + 4 - 11) / 4) + 1
    assert conv1["receptive_field"]["size"] == [11, 11]
    assert conv1["receptive_field"]["stride"] == [4, 4]
    assert isinstance(d["totals"]["params"], int) and d["totals"]["params"] == 61_100_840
    assert d["totals"]["flops"] == 2 * d["totals"]["macs"]
    assert d["totals"]["weight_bytes"] == 4 * 61_100_840


def test_json_symbolic_values_are_python_syntax_strings(run_cli):
    r = run_cli("show", "vgg_two_3x3", "--format", "json")
    d = json.loads(r.stdout)
    assert d["totals"]["params"] == "18*c**2"
    assert d["symbols"]["c"] == "c"
    r = run_cli("show", "vgg_two_3x3", "--format", "json", "--set", "c=128")
    assert json.loads(r.stdout)["totals"]["params"] == 294_912


def test_batch_scales_macs_and_activations_not_params(run_cli):
    one = json.loads(run_cli("show", "alexnet", "--format", "json").stdout)["totals"]
    eight = json.loads(run_cli("show", "alexnet", "--format", "json", "--batch", "8").stdout)["totals"]
    assert eight["params"] == one["params"]
    assert eight["macs"] == 8 * one["macs"]
    assert eight["activation_bytes"] == 8 * one["activation_bytes"]


def test_dtype_sets_bytes_per_element(run_cli):
    half = json.loads(run_cli("show", "alexnet", "--format", "json", "--dtype", "fp16").stdout)["totals"]
    assert half["weight_bytes"] == 2 * 61_100_840


def test_table_shows_human_units_and_totals_without_colour(run_cli):
    r = run_cli("show", "alexnet")
    assert r.exit_code == 0, r.output
    assert "61.1M" in r.stdout and "61,100,840" in r.stdout
    assert "714.2M" in r.stdout
    assert "\x1b[" not in r.stdout


def test_csv_rows_sum_to_the_total_row(run_cli):
    rows = list(csv.DictReader(io.StringIO(run_cli("show", "alexnet", "--format", "csv").stdout)))
    total = rows[-1]
    assert total["name"] == "TOTAL"
    assert sum(int(r["params"]) for r in rows[:-1]) == int(total["params"]) == 61_100_840
    assert sum(int(r["macs"]) for r in rows[:-1]) == int(total["macs"])


def test_depth_collapses_blocks_and_keeps_the_sums(run_cli):
    full = list(csv.DictReader(io.StringIO(run_cli("show", "resnet_bottleneck", "--set", "c=64",
                                                   "--format", "csv").stdout)))
    top = list(csv.DictReader(io.StringIO(run_cli("show", "resnet_bottleneck", "--set", "c=64", "--format", "csv",
                                                  "--depth", "0").stdout)))
    assert len(top) == 2 and top[0]["name"] == "block" and top[0]["type"] == "bottleneck"
    assert int(top[0]["params"]) == sum(int(r["params"]) for r in full[:-1])


def test_markdown_is_a_pipe_table(run_cli):
    out = run_cli("show", "alexnet", "--format", "markdown").stdout
    assert "| Layer | Type |" in out and "| conv1 | conv | [1, 64, 55, 55] |" in out


def test_list_names_the_bundled_architectures(run_cli):
    out = run_cli("list").stdout
    assert "alexnet " in out and "alexnet2012" in out


def test_block_header_rows_show_the_sum_of_their_layers(run_cli):
    from paramcalc import num

    layers = json.loads(run_cli("show", "resnet_bottleneck", "--set", "c=64", "--format", "json").stdout)["layers"]
    block_params = sum(l["params"] for l in layers if l["scope"][:1] == ["block"])
    assert block_params == 17 * 64 * 64 + 12 * 64          # convs 17c^2, three BatchNorms 2c + 2c + 8c
    table = run_cli("show", "resnet_bottleneck", "--set", "c=64").stdout
    header = next(line for line in table.splitlines() if line.strip("│ ").startswith("block"))
    assert num.human(block_params) in header


def test_show_a_block_alone_on_its_own_input(run_cli):
    # torchvision's first ResNet-50 bottleneck after stage 1 (Bottleneck(256, 64)): 1x1 256->64, 3x3 64->64,
    # 1x1 64->256, no biases; BatchNorm weight and bias on 64 + 64 + 256 channels; running mean and variance
    r = run_cli("show", "resnet50#bottleneck", "--input", "256,56,56", "--set", "width=64", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    convs = 256 * 64 + 9 * 64 * 64 + 64 * 256
    assert d["name"] == "resnet50#bottleneck"
    assert d["totals"]["params"] == convs + 2 * (64 + 64 + 256) == 70_400
    assert d["totals"]["buffers"] == 2 * (64 + 64 + 256)
    assert d["inputs"][0]["shape"] == [1, 256, 56, 56] and d["outputs"][0]["shape"] == [1, 256, 56, 56]
    # each conv's MACs: its weights x 56 x 56 output positions
    assert d["totals"]["ops"]["conv"] == convs * 56 * 56
    # the block's arguments are symbols: left free, the width stays one
    r = run_cli("show", "resnet50#bottleneck", "--input", "4*width,56,56", "--symbolic", "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["totals"]["params"] == "17*width**2 + 12*width"


def test_input_is_for_a_block_target_only(run_cli):
    r = run_cli("show", "alexnet", "--input", "3,64,64")
    assert r.exit_code == 2 and "FILE#BLOCK" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run_cli("show", "resnet50#nosuch")
    assert r.exit_code == 2 and "no block 'nosuch'" in r.stderr and "bottleneck" in r.stderr


def test_the_library_builds_a_block_alone_as_the_command_line_does():
    import paramcalc

    a = paramcalc.analyze_file("resnet50", block="bottleneck", block_input=(256, 56, 56), width=64)
    convs = 256 * 64 + 9 * 64 * 64 + 64 * 256  # the MACs are the convs' alone: their weights x 56 x 56 positions
    assert (a.totals.params, a.totals.macs) == (70_400, convs * 56 * 56) == (70_400, 218_365_952)
    with pytest.raises(paramcalc.ParamcalcError, match="give the block too"):
        paramcalc.load_graph("resnet50", block_input=(256, 56, 56))
