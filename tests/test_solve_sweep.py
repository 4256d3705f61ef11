"""`solve`, `sweep` and derived shape constraints: exact answers derived by hand in each test."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import analyse_text
from paramcalc.errors import UsageError
from paramcalc.explore import parse_quantity
from paramcalc.solve import Budgets, solve
from paramcalc.sweep import parse_grid, sparkline, sweep

# Two 2x2 max pools down, two 2x upsamplings back up, skips added (U-Net style): the skips line up only when H is a
# multiple of 4 (floor(floor(H/2)/2) * 4 == H).
UNET2 = """
name: unet2
symbols: {H: null}
input: [3, H, H]
layers:
  - {name: e1, type: conv, out: 8, kernel: 3, padding: 1}
  - {name: p1, type: maxpool, kernel: 2}
  - {name: e2, type: conv, out: 8, kernel: 3, padding: 1}
  - {name: p2, type: maxpool, kernel: 2}
  - {name: mid, type: conv, out: 8, kernel: 3, padding: 1}
  - {name: u2, type: upsample, scale: 2}
  - {name: s2, type: add, inputs: [u2, e2]}
  - {name: u1, type: upsample, scale: 2}
  - {name: s1, type: concat, inputs: [u1, e1]}
"""


def _five_stage(tmp_path):
    """Five stride-2 stages down and five 2x upsamplings up, each added to its skip: needs H % 32 == 0."""
    lines = ["name: five", "symbols: {H: null}", "input: [4, H, H]", "layers:", "  - {name: s0, type: conv, out: 4, kernel: 1}"]
    for i in range(1, 6):
        lines.append(f"  - {{name: s{i}, type: conv, out: 4, kernel: 3, stride: 2, padding: 1}}")
    prev = "s5"
    for i in range(4, -1, -1):
        lines.append(f"  - {{name: up{i}, type: upsample, scale: 2, input: {prev}}}")
        lines.append(f"  - {{name: add{i}, type: add, inputs: [up{i}, s{i}]}}")
        prev = f"add{i}"
    path = tmp_path / "five.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


# ----------------------------------------------------------------------------------------------- units

def test_quantities_with_decimal_and_binary_units():
    assert parse_quantity("5M") == 5_000_000
    assert parse_quantity("1.5G") == 1_500_000_000
    assert parse_quantity("4Mi") == 4 * 1024 * 1024
    assert parse_quantity("256MiB") == 256 * 2**20
    assert parse_quantity("224") == 224
    with pytest.raises(UsageError):
        parse_quantity("5X")
    with pytest.raises(UsageError):
        parse_quantity("1.5")  # not a whole number


# ----------------------------------------------------------------------------------------------- solve

def test_solve_width_for_a_parameter_budget_by_hand():
    # two 3x3 convs at c channels without bias: 18 c^2 weights. 18 * 527^2 = 4,999,122 <= 5M < 18 * 528^2
    s = solve("vgg_two_3x3", "c", Budgets(max_params=5_000_000))
    assert s.value == 527 and s.at.params == 18 * 527**2 and s.next.params == 18 * 528**2
    assert s.next_broken == ("params 5,018,112 > 5,000,000",)
    # binary unit: 4Mi = 4,194,304 -> 18 * 482^2 = 4,181,832 fits, 18 * 483^2 = 4,199,202 does not
    assert solve("vgg_two_3x3", "c", Budgets(max_params=parse_quantity("4Mi"))).value == 482


def test_solve_resolution_for_a_mac_budget_by_hand():
    # ResNet bottleneck at c=64, stride 1: per output pixel 256*64 + 64*64*9 + 64*256 = 69,632 MACs;
    # 69,632 * 119^2 = 986,058,752 <= 1G < 69,632 * 120^2 = 1,002,700,800
    s = solve("resnet_bottleneck", "H", Budgets(max_macs=10**9), sets={"c": 64})
    assert s.value == 119 and s.at.compute == 69_632 * 119**2
    assert "MACs 1,002,700,800 > 1,000,000,000" in s.next_broken


def test_solve_smallest_depth_reaching_a_receptive_field(tmp_path):
    # d stacked 3x3 convs (stride 1): receptive field 2d + 1 >= 224 first at d = 112. `repeat: d` cannot stay
    # symbolic, so this also exercises re-running the concrete engine per value.
    path = tmp_path / "deep.yaml"
    path.write_text("symbols: {d: 4}\ninput: [3, 256, 256]\nlayers:\n"
                    "  - {type: conv, out: 4, kernel: 3, padding: 1, repeat: d}\n")
    s = solve(path, "d", Budgets(min_rf=224))
    assert s.value == 112 and s.at.receptive_field == 225 and s.next.receptive_field == 223


def test_solve_steps_down_to_a_size_the_skips_accept(tmp_path):
    path = tmp_path / "unet2.yaml"
    path.write_text(UNET2)
    budget = 50_000_000
    s = solve(path, "H", Budgets(max_macs=budget))
    assert s.value % 4 == 0
    # checked with the concrete engine, independently of the search: the answer fits, the next multiple of 4 not
    fits = analyse_text(UNET2, overrides={"H": s.value}).totals.macs
    over = analyse_text(UNET2, overrides={"H": s.value + 4}).totals.macs
    assert fits <= budget < over


def test_solve_refuses_an_unknown_symbol_and_no_budget():
    with pytest.raises(UsageError, match="declares no symbol 'w'"):
        solve("vgg_two_3x3", "w", Budgets(max_params=10))
    with pytest.raises(UsageError, match="at least one budget"):
        solve("vgg_two_3x3", "c", Budgets())


def test_solve_cli_prints_the_answer_and_what_the_next_value_breaks(run_cli):
    r = run_cli("solve", "vgg_two_3x3", "--for", "c", "--max-params", "5M")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("c = 527") and "c = 528 breaks: params 5,018,112 > 5,000,000" in r.stdout
    d = json.loads(run_cli("solve", "vgg_two_3x3", "--for", "c", "--max-params", "5M", "--format", "json").stdout)
    assert d["value"] == 527 and d["at"]["params"] == 4_999_122
    bad = run_cli("solve", "vgg_two_3x3", "--for", "c", "--max-params", "5 lots")
    assert bad.exit_code == 2 and "Traceback" not in bad.output


# ----------------------------------------------------------------------------------------------- sweep

def test_grid_values_and_ranges():
    assert parse_grid("H=128,160,224") == ("H", (128, 160, 224))
    assert parse_grid("c=16:64:16") == ("c", (16, 32, 48, 64))
    with pytest.raises(UsageError):
        parse_grid("H=12x")


def test_sweep_rows_equal_the_concrete_engine_and_the_hand_formula():
    s = sweep("vgg_two_3x3", [("c", (32, 64)), ("H", (28, 56))])
    assert [dict(p.values) for p in s.points] == [{"c": 32, "H": 28}, {"c": 32, "H": 56},
                                                 {"c": 64, "H": 28}, {"c": 64, "H": 56}]
    for p in s.points:
        c, h = dict(p.values)["c"], dict(p.values)["H"]
        assert p.params == 18 * c * c                       # two 3x3 convs, no bias
        assert p.compute == 18 * c * c * h * h              # 3x3 convs with padding 1 keep H x H
        concrete = analyse_text(open("architectures/vgg_two_3x3.yaml").read(), overrides={"c": c, "H": h}).totals
        assert (p.params, p.compute, p.activation_bytes) == (concrete.params, concrete.macs,
                                                             concrete.activation_bytes)
    again = sweep("vgg_two_3x3", [("c", (32, 64)), ("H", (28, 56))], method="concrete")
    assert again.points == s.points


def test_sweep_cli_formats(run_cli):
    r = run_cli("sweep", "resnet_bottleneck", "--set", "H=28,56,112", "--fix", "c=64", "--format", "csv")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [int(x["compute"]) for x in rows] == [69_632 * h * h for h in (28, 56, 112)]
    d = json.loads(run_cli("sweep", "resnet_bottleneck", "--set", "H=28,56", "--fix", "c=64",
                           "--format", "json").stdout)
    assert d["rows"][1]["params"] == d["rows"][0]["params"]
    table = run_cli("sweep", "resnet_bottleneck", "--set", "H=28,56,112,224", "--fix", "c=64").stdout
    assert "growth" in table and "x64.00" in table  # MACs grow with H^2: (224 / 28)^2


def test_sparkline_scales_to_the_largest_value():
    # 8 levels: level = 7 * value // largest -> 0, 1, 3, 7
    assert sparkline([1, 2, 4, 8]) == "▁▂▄█"
    assert sparkline([0, 0]) == "▁▁"


# ------------------------------------------------------------------------------------------- constraints

def test_unet_skips_give_a_divisibility_constraint():
    a = analyse_text(UNET2)
    assert [c.text for c in a.constraints] == ["H % 4 == 0"]
    assert set(a.constraints[0].layers) == {"s1", "s2"}
    assert a.constraints[0].holds({"H": 64}) and not a.constraints[0].holds({"H": 66})


def test_five_stride_two_stages_need_a_multiple_of_32(tmp_path, run_cli):
    r = run_cli("show", _five_stage(tmp_path), "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert [c["condition"] for c in d["constraints"]] == ["H % 32 == 0"]
    table = run_cli("show", _five_stage(tmp_path)).stdout
    assert "Shape constraints: H % 32 == 0" in table


def test_json_gives_each_constraint_its_equation(tmp_path, run_cli):
    # the raw equation is printed for JSON only; its two sides agree exactly where the condition holds
    import sympy

    d = json.loads(run_cli("show", _five_stage(tmp_path), "--format", "json").stdout)
    lhs, rhs = d["constraints"][0]["equation"].split(" == ")
    H = sympy.Symbol("H", integer=True, positive=True)
    sides = [sympy.sympify(side, locals={"H": H}) for side in (lhs, rhs)]
    agree = [h for h in range(1, 200) if sides[0].subs(H, h) == sides[1].subs(H, h)]
    assert agree == list(range(32, 200, 32))


def test_merges_at_several_scales_with_one_condition_give_one_constraint():
    # GoogLeNet with its 5x5 kernel k5 free: the 5x5 branch keeps the map's size only for an odd k5, at three map
    # sizes (28, 14 and 7 at 224 pixels: inception3, 4 and 5); one constraint names all nine concats
    from paramcalc.bundled import resolve
    from paramcalc.engine import analyze
    from paramcalc.graph import load_graph

    a = analyze(load_graph(resolve("googlenet"), symbolic=True))
    assert [(c.text, c.symbol, c.modulus, c.residues) for c in a.constraints] == [("k5 % 2 == 1", "k5", 2, (1,))]
    assert len(a.constraints[0].layers) == 9 and all(l.endswith(".concat") for l in a.constraints[0].layers)
    assert " == " in a.constraints[0].equation and "k5" in a.constraints[0].equation


def test_no_constraint_when_sizes_agree_for_every_value():
    # the bottleneck at stride 1 adds tensors of the same symbolic size: nothing to require
    assert analyse_text(open("architectures/resnet_bottleneck.yaml").read(), symbolic=True).constraints == ()
    assert analyse_text(UNET2, overrides={"H": 64}).constraints == ()


@pytest.mark.parametrize("side", ["ceil(H/8)", "-(-H // 8)", "(H + 7) // 8"])
def test_two_forms_of_one_size_give_no_constraint(side):
    # three stride-2 3x3 convs with padding 1 give ceil(H/8) for every H (floor((H - 1)/2) + 1 = ceil(H/2), three
    # times); a branch resized to ceil(H/8), however it is written, lines up with it at every H
    text = f"""
symbols: {{H: null}}
input: [3, H, H]
layers:
  - {{name: a, type: conv, out: 4, kernel: 3, stride: 2, padding: 1}}
  - {{name: b, type: conv, out: 4, kernel: 3, stride: 2, padding: 1}}
  - {{name: c, type: conv, out: 4, kernel: 3, stride: 2, padding: 1}}
  - {{name: pooled, type: adaptive_avgpool, size: 1}}
  - {{name: up, type: upsample, size: ["{side}", "{side}"]}}
  - {{name: cat, type: concat, inputs: [c, up]}}
"""
    assert analyse_text(text).constraints == ()


@pytest.mark.parametrize("name", ["deeplabv3_resnet50", "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"])
def test_segmentation_heads_need_no_condition_on_the_resolution(name):
    # torchvision's DeepLabV3 and LR-ASPP run at any input size: their image-pooling branches are resized to the
    # backbone's output size, ceil(res/8) or ceil(res/16), which is what the strided layers give
    from paramcalc.bundled import resolve
    from paramcalc.engine import analyze
    from paramcalc.graph import load_graph

    assert analyze(load_graph(resolve(name), symbolic=True)).constraints == ()


def _smallest_period_by_definition(good, values):
    """The definition: the smallest m >= 2 with a residue set R (not every residue) such that v is good exactly
    when v % m is in R, tried value by value."""
    for m in range(2, len(values) // 4 + 1):
        residues = {v % m for v in good}
        if len(residues) < m and all((v % m in residues) == (v in set(good)) for v in values):
            return m, tuple(sorted(residues))
    return None


@pytest.mark.parametrize("rule", [
    lambda v: v % 32 == 0, lambda v: v % 6 in (1, 5), lambda v: v % 4 != 3, lambda v: v % 97 == 5,
    lambda v: v % 128 == 0, lambda v: v % 129 == 0, lambda v: True, lambda v: v == 7, lambda v: v > 200,
    lambda v: v % 2 == 0 and v != 64, lambda v: (v * v) % 7 == 2,
])
def test_the_period_of_a_condition_is_the_one_its_definition_gives(rule):
    from paramcalc.constraints import SCAN, _periodic

    values = range(1, SCAN + 1)
    good = [v for v in values if rule(v)]
    assert _periodic(good, values) == _smallest_period_by_definition(good, values)


def test_period_of_common_conditions():
    from paramcalc.constraints import SCAN, _periodic

    values = range(1, SCAN + 1)
    assert _periodic([v for v in values if v % 32 == 0], values) == (32, (0,))
    assert _periodic([v for v in values if v % 6 in (1, 5)], values) == (6, (1, 5))
    assert _periodic([v for v in values if v % 129 == 0], values) is None  # past SCAN / 4: not confirmed often
    assert _periodic(list(values), values) is None  # every value: no condition


def test_solve_counts_macs_the_way_the_convention_does(run_cli):
    # FlopCounterMode counts 2 per multiply-add: 2 * 18 c^2 * 56^2 = 112,896 c^2 <= 1G -> c = 94
    # (112,896 * 94^2 = 997,549,056; 112,896 * 95^2 = 1,018,886,400)
    r = run_cli("solve", "vgg_two_3x3", "--for", "c", "--max-macs", "1G", "--convention", "flopcounter",
                "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["value"] == 94 and d["at"]["compute"] == 997_549_056 and d["next"]["compute"] == 1_018_886_400


def test_sweep_marks_rows_that_break_a_shape_constraint(tmp_path, run_cli):
    path = tmp_path / "unet2.yaml"
    path.write_text(UNET2)
    d = json.loads(run_cli("sweep", path, "--set", "H=62,64", "--format", "json").stdout)
    assert d["constraints"] == ["H % 4 == 0"]
    assert [row["constraints_ok"] for row in d["rows"]] == [False, True]  # 62 = 4 * 15 + 2
